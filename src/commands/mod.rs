//! Takes a parsed command and runs it: loads the data through the one shared path and hands
//! the results to the output stage. Gives the exit status of a command that finished.

mod check;

use std::io::{self, Write};

use crate::cli::{Command, DataArgs};
use crate::diagnostics::{Error, ExitStatus};
use crate::load::LoadOptions;
use crate::period::days;

pub fn run(command: Command) -> Result<ExitStatus, Error> {
    match command {
        Command::Check(args) => check::run(&args),
    }
}

fn load_options(args: &DataArgs, max_problems: Option<u64>) -> LoadOptions {
    let today = args
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    LoadOptions {
        data: args.data.clone(),
        encoding: args.encoding,
        today: days(today),
        max_problems,
    }
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
fn write_stdout(text: &str) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("<stdout>", e)),
    }
}
