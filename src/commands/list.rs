//! `hubstat list`: the figures of the catalogue with their titles.

use std::fmt::Write as _;

use super::write_stdout;
use crate::diagnostics::{Error, ExitStatus};
use crate::query::FIGURES;

pub fn run() -> Result<ExitStatus, Error> {
    let mut out = String::from("figures (hubstat query NAME):\n");
    let width = FIGURES.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for figure in &FIGURES {
        let _ = writeln!(out, "  {:width$}  {}", figure.name, figure.title());
    }
    write_stdout(out.as_bytes())?;
    Ok(ExitStatus::Success)
}
