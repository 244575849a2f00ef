//! hubstat turns exported case data of the 읍면동 복지허브화 programme into its figures.
//!
//! The data's way through, one module per stage:
//! export folder ─[`load`] + [`check`]─▶ checked [`store`] ─[`query`]─▶ figures
//! ─[`report`] + [`render`]─▶ workbooks and charts.
//! [`contract`] holds the data contract as data, [`period`] the reporting periods,
//! [`geography`] the regions' codes over time,
//! [`diagnostics`] the errors and the exit codes, [`cli`] and [`commands`] the command line,
//! [`side_by_side`] the work spread over the cores, [`diff`] the revisions between two
//! exports, [`shell`] the analyst's shell.

pub mod check;
pub mod cli;
pub mod commands;
pub mod contract;
pub mod diagnostics;
pub mod diff;
pub mod geography;
pub mod load;
pub mod output;
pub mod packs;
pub mod period;
pub mod progress;
pub mod query;
pub mod region;
pub mod render;
pub mod report;
pub mod shell;
pub mod side_by_side;
pub mod store;
pub mod synth;
pub mod template;

use std::ffi::OsString;

use clap::Parser;

use crate::diagnostics::{Chain, ExitStatus};

/// Runs hubstat with the given arguments and gives the exit status; the one place that decides it.
pub fn run<I, T>(args: I) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    diagnostics::install_panic_hook();
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
        }
    };
    match commands::run(cli.command) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("{}", Chain(&e));
            e.exit_status()
        }
    }
}
