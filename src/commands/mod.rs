//! Takes a parsed command and runs it: loads the data through the one shared path and hands
//! the results to the output stage. Gives the exit status of a command that finished.

mod check;
mod list;
mod query;
mod report;
mod synth;

use std::io::{self, IsTerminal, Write};

use crate::cli::{Command, DataArgs, FigureArgs, OutputArgs, PeriodArgs};
use crate::diagnostics::{Error, ExitStatus};
use crate::load::{Dataset, LoadOptions};
use crate::output::{self, OutputFormat, ResultTable};
use crate::period::{Period, days};
use crate::progress::Progress;
use crate::query::Params;
use crate::region::check_scope;

pub fn run(command: Command) -> Result<ExitStatus, Error> {
    match command {
        Command::Check(args) => check::run(&args),
        Command::Query(args) => query::run_figure(&args),
        Command::Sql(args) => query::run_sql(&args),
        Command::Report(args) => report::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::List(args) => list::run(&args),
    }
}

/// The async runtime for commands that run queries.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("<tokio runtime>", e))
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
        progress: Progress::new(true),
        cache: args.cache.clone(),
    }
}

/// Loads and checks the export for a command that computes figures: rejected rows stop it,
/// unless it was told to go on without them, and then it says how many were left out.
fn load_checked(args: &DataArgs, skip_invalid: bool) -> Result<Dataset, Error> {
    let dataset = Dataset::load(&load_options(args, Some(0)))?;
    dataset.require_clean(skip_invalid)?;
    for t in dataset.tables.iter().filter(|t| t.table.tally.rejected > 0) {
        eprintln!(
            "note: {} of {} rows of {} rejected and left out (--skip-invalid)",
            t.table.tally.rejected, t.table.tally.read, t.source.file
        );
    }
    Ok(dataset)
}

impl PeriodArgs {
    fn resolve(&self) -> Result<Option<Period>, Error> {
        match (self.period, self.from, self.to) {
            (Some(p), _, _) => Ok(Some(p)),
            (None, Some(from), Some(to)) => Period::range(from, to).map(Some).map_err(Error::Usage),
            _ => Ok(None),
        }
    }
}

impl FigureArgs {
    /// The parameters of a figure, with the scope checked against the regions.
    fn params(&self, dataset: &Dataset) -> Result<Option<Params>, Error> {
        let Some(period) = self.period.resolve()? else {
            return Ok(None);
        };
        let scope = match &self.region {
            Some(code) => Some(check_scope(code, dataset)?),
            None => None,
        };
        Ok(Some(Params {
            period,
            level: self.level,
            scope,
        }))
    }
}

/// Writes a result table where and how it was asked for.
fn write_result(table: &ResultTable, args: &OutputArgs, sheet: &str) -> Result<(), Error> {
    let from_extension = args.out.as_ref().and_then(|p| {
        match p.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            "xlsx" => Some(OutputFormat::Xlsx),
            "parquet" => Some(OutputFormat::Parquet),
            "txt" => Some(OutputFormat::Table),
            _ => None,
        }
    });
    let terminal = args.out.is_none() && io::stdout().is_terminal();
    let format = args.format.or(from_extension).unwrap_or(if terminal {
        OutputFormat::Table
    } else {
        OutputFormat::Csv
    });
    if terminal && matches!(format, OutputFormat::Xlsx | OutputFormat::Parquet) {
        return Err(Error::Usage(
            "XLSX and Parquet are not for a terminal: give --out FILE or redirect stdout".into(),
        ));
    }
    let bytes = match format {
        OutputFormat::Table => output::to_text_table(table)?,
        OutputFormat::Csv => output::to_csv(table)?,
        OutputFormat::Json => output::to_json(table)?,
        OutputFormat::Xlsx => output::to_xlsx(table, sheet)?,
        OutputFormat::Parquet => output::to_parquet(table)?,
    };
    match &args.out {
        Some(path) => output::write_atomically(path, &bytes),
        None => write_stdout(&bytes),
    }
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("<stdout>", e)),
    }
}
