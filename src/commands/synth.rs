//! `hubstat synth`: a synthetic national export, and the files it wrote with their rows.

use std::fmt::Write as _;

use super::write_stdout;
use crate::cli::SynthArgs;
use crate::diagnostics::{Error, Outcome};
use crate::progress::Progress;
use crate::synth::{SynthOptions, generate};

pub fn run(args: &SynthArgs) -> Result<Outcome, Error> {
    let options = SynthOptions {
        out: args.out.clone(),
        from: args.from,
        to: args.to,
        scale: args.scale,
        seed: args.seed,
        format: args.format,
    };
    let bar = Progress::new(true).step("synth");
    let written = generate(&options, &|table| {
        bar.set_message(format!("synth: {table}"))
    })?;
    bar.finish_and_clear();
    let mut out = String::new();
    for (path, rows) in &written.files {
        let _ = writeln!(out, "{}\t{rows}", path.display());
    }
    write_stdout(out.as_bytes())?;
    Ok(Outcome::Done)
}
