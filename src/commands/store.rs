//! `hubstat store list` and `hubstat store clean`: the stores kept under the cache folder.

use std::fmt::Write as _;

use super::write_stdout;
use crate::cli::{StoreArgs, StoreCommand};
use crate::diagnostics::{Error, Outcome};
use crate::store::{default_store_dir, kept_stores};

pub fn run(args: &StoreArgs) -> Result<Outcome, Error> {
    match &args.command {
        StoreCommand::List => {
            let mut out = String::new();
            for store in kept_stores()? {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{} tables\t{:.1} MB",
                    store.dir.display(),
                    store.data.as_deref().unwrap_or("?"),
                    store.tables,
                    store.bytes as f64 / 1e6
                );
            }
            write_stdout(out.as_bytes())?;
        }
        StoreCommand::Clean(clean) => {
            let dirs: Vec<_> = if clean.data.is_empty() {
                kept_stores()?.into_iter().map(|s| s.dir).collect()
            } else {
                clean
                    .data
                    .iter()
                    .map(|d| default_store_dir(d))
                    .collect::<Result<_, _>>()?
            };
            let mut out = String::new();
            for dir in dirs.iter().filter(|d| d.exists()) {
                std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                let _ = writeln!(out, "removed {}", dir.display());
            }
            write_stdout(out.as_bytes())?;
        }
    }
    Ok(Outcome::Done)
}
