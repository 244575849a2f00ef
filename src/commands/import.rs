//! `hubstat import`: checks an export into its store, reading again only the files that
//! changed, and says what the store holds.

use std::fmt::Write as _;

use super::{store_options, write_stdout};
use crate::cli::ImportArgs;
use crate::diagnostics::{Error, Outcome, print_notes};
use crate::store::Store;

pub fn run(args: &ImportArgs) -> Result<Outcome, Error> {
    if args.data.data.is_none() {
        return Err(Error::Usage(
            "hubstat import needs the export: --data DIR".into(),
        ));
    }
    let store = Store::open(&store_options(&args.data))?;
    print_notes(store.notes.iter().cloned());
    let mut out = String::new();
    let _ = writeln!(out, "store {}", store.dir.display());
    for t in &store.tables {
        let _ = writeln!(
            out,
            "{:<14} {:>10} read {:>10} accepted {:>10} rejected  {}",
            t.spec.name, t.tally.read, t.tally.accepted, t.tally.rejected, t.source.file
        );
    }
    write_stdout(out.as_bytes())?;
    Ok(if store.rejected() > 0 {
        Outcome::RowsRejected
    } else {
        Outcome::Done
    })
}
