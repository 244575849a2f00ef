//! hubstat turns exported case data of the 읍면동 복지허브화 programme into its figures.
//!
//! The data's way through, one module per stage:
//! export folder ─[`load`] + [`check`]─▶ checked [`store`] ─[`planner`] + [`query`]─▶
//! figures ─[`report`] + [`disclosure`] + [`render`]─▶ workbooks and charts.
//! [`catalogue`] holds the figures' SQL and every fact about each figure, without the engine;
//! [`planner`] turns a figure or a statement into what it reads, [`query`] runs a plan.
//! [`contract`] holds the data contract as data, [`period`] the reporting periods,
//! [`geography`] the regions' codes over time,
//! [`diagnostics`] the errors and the exit codes, [`cli`] and [`commands`] the command line,
//! [`side_by_side`] the work spread over the cores, [`diff`] the revisions between two
//! exports, [`shell`] the analyst's shell.

pub mod catalogue;
pub mod check;
pub mod cli;
pub mod commands;
pub mod contract;
pub mod diagnostics;
pub mod diff;
pub mod disclosure;

pub mod geography;
pub mod load;
pub mod output;
pub mod period;
pub mod planner;
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

use crate::diagnostics::{Chain, Error, ExitStatus, Outcome};

/// The stack of the thread a command runs on and of its runtime's threads: what a statement
/// of [`query::MAX_OPERATORS`] operators needs to be planned and run, with room to spare. It
/// is reserved, not used: the pages a command never reaches are never touched.
pub const STACK_SIZE: usize = 256 << 20;

/// Runs hubstat with the given arguments and gives the exit status; the one place that decides it.
pub fn run<I, T>(args: I) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone + Send + 'static,
{
    let args: Vec<T> = args.into_iter().collect();
    let command = std::thread::Builder::new()
        .name("hubstat".into())
        .stack_size(STACK_SIZE)
        .spawn(move || run_here(args));
    match command.map(std::thread::JoinHandle::join) {
        Ok(Ok(status)) => status,
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(e) => {
            eprintln!("error: cannot start hubstat's thread: {e}");
            ExitStatus::Error
        }
    }
}

fn run_here<T: Into<OsString> + Clone>(args: Vec<T>) -> ExitStatus {
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
    let outcome = commands::run(cli.command);
    if let Err(e) = &outcome {
        eprintln!("{}", Chain(e));
    }
    exit_status(&outcome)
}

/// The exit code of a command's outcome, or of the error that stopped it (README, "Exit codes").
fn exit_status(outcome: &Result<Outcome, Error>) -> ExitStatus {
    match outcome {
        Ok(Outcome::Done) => ExitStatus::Success,
        Ok(Outcome::RowsRejected | Outcome::Changed) => ExitStatus::DataProblems,
        Err(e) => error_exit_status(e),
    }
}

/// The exit code of an error: 1 when it is about the data (rows rejected, totals that do not
/// add up), 2 when the command could not do its job.
pub fn error_exit_status(error: &Error) -> ExitStatus {
    match error {
        Error::Rejected { .. } | Error::Inconsistent(_) => ExitStatus::DataProblems,
        _ => ExitStatus::Error,
    }
}
