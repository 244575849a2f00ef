//! `hubstat list`: the figures of the catalogue and the report templates, with their titles.

use std::fmt::Write as _;

use super::write_stdout;
use crate::catalogue::FIGURES;
use crate::cli::ListArgs;
use crate::diagnostics::{Error, Outcome};
use crate::template::{BUILT_IN, Template};

pub fn run(args: &ListArgs) -> Result<Outcome, Error> {
    let mut out = String::from("figures (hubstat query NAME):\n");
    let width = FIGURES.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for figure in &FIGURES {
        let _ = writeln!(out, "  {:width$}  {}", figure.name, figure.title());
    }
    let mut names: Vec<String> = BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
    if let Ok(entries) = std::fs::read_dir(&args.templates) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if let Some(name) = file.strip_suffix(".toml")
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    out.push_str("\nreport templates (hubstat report NAME):\n");
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    for name in &names {
        let title = match Template::find(name, &args.templates) {
            Ok(t) => t.title,
            Err(e) => format!("(unusable: {e})"),
        };
        let _ = writeln!(out, "  {name:width$}  {title}");
    }
    write_stdout(out.as_bytes())?;
    Ok(Outcome::Done)
}
