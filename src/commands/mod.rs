//! Takes a parsed command and runs it: loads the data through the one shared path and hands
//! the results to the output stage. Gives the exit status of a command that finished.

mod check;
mod diff;
mod import;
mod list;
mod query;
mod regions;
mod report;
mod store;
mod synth;

use std::io::{self, IsTerminal, Write};

use crate::catalogue::Params;
use crate::cli::{Command, DataArgs, EngineArgs, FigureArgs, OutputArgs, PeriodArgs};
use crate::diagnostics::{Error, Outcome, print_notes};
use crate::output::{self, OutputFormat, ResultTable};
use crate::period::{Period, days};
use crate::progress::Progress;
use crate::query::{Engine, EngineOptions};
use crate::store::{Store, StoreOptions};

pub fn run(command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Check(args) => check::run(&args),
        Command::Query(args) => query::run_figure(&args),
        Command::Sql(args) => query::run_sql(&args),
        Command::Report(args) => report::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::List(args) => list::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Store(args) => store::run(&args),
        Command::Regions(args) => regions::run(&args),
        Command::Diff(args) => diff::run(&args),
    }
}

/// The async runtime for commands that run queries. Its threads have the command's large
/// stack: DataFusion clones, compares and evaluates expressions by recursion, so a long
/// statement runs as deep as it is long.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(crate::STACK_SIZE)
        .build()
        .map_err(|e| Error::io("<tokio runtime>", e))
}

pub(crate) fn store_options(args: &DataArgs) -> StoreOptions {
    StoreOptions {
        data: args.data.clone(),
        store: args.store.clone(),
        no_store: args.no_store,
        encoding: args.encoding,
        regions: args.regions.clone(),
        progress: Progress::new(true),
    }
}

/// The day after which events are warned about.
fn today(args: &DataArgs) -> i32 {
    days(
        args.today
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
    )
}

/// Opens the store of a command that computes figures, brought up to date with its export.
fn open_store(args: &DataArgs) -> Result<Store, Error> {
    let store = Store::open(&store_options(args))?;
    print_notes(store.notes.iter().cloned());
    Ok(store)
}

fn engine_options(args: &EngineArgs) -> EngineOptions {
    EngineOptions {
        skip_invalid: args.skip_invalid,
        memory_limit: args.memory_limit,
    }
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
    fn params(&self, store: &Store) -> Result<Option<Params>, Error> {
        let Some(period) = self.scope.period.resolve()? else {
            return Ok(None);
        };
        let scope = match &self.scope.region {
            Some(code) => Some(store.check_scope(code)?),
            None => None,
        };
        Ok(Some(Params {
            period,
            level: self.scope.level,
            scope,
            geography: self.geography,
        }))
    }
}

/// Follows a `--region` code not in force to its code of the geography day, saying so; as
/// recorded, runs it as given and warns, naming its successor.
fn rebase_scope(engine: &Engine, params: &mut Params) -> Result<(), Error> {
    let Some(code) = params.scope.clone() else {
        return Ok(());
    };
    let history = engine.history()?;
    let end = days(params.period.end());
    match params.geography_day() {
        Some(day) => {
            let rebased = history.code_on(&code, day);
            let on = crate::period::format_date(day);
            if rebased != code {
                eprintln!(
                    "note: --region {code} is {rebased} in the regions in force on {on} (--geography)"
                );
            }
            if let Err(under) = history.scope_on(&rebased, &code, day) {
                let under: Vec<String> = under.into_iter().collect();
                let instead = match under.as_slice() {
                    [] => "nothing recorded under it counts anywhere then".to_string(),
                    [one] => {
                        format!("what is recorded under it counts under {one} then: ask for it")
                    }
                    many => format!(
                        "what is recorded under it counts under {} then: ask for those",
                        many.join(", ")
                    ),
                };
                eprintln!(
                    "note: --region {code} is no region of the regions in force on {on} (--geography), so the figures have no rows: {instead}, or give --geography recorded"
                );
            }
            params.scope = Some(rebased);
        }
        None if !history.in_force(&code, days(params.period.start()), end) => {
            let successor = history.code_on(&code, end);
            let named = if successor == code {
                "it has no successor".to_string()
            } else {
                format!("its successor is {successor} (--geography end counts it there)")
            };
            eprintln!(
                "warning: --region {code} is not in force in {}: {named}",
                params.period
            );
        }
        None => {}
    }
    Ok(())
}

/// Writes a result table where and how it was asked for.
fn write_result(table: &ResultTable, args: &OutputArgs, sheet: &str) -> Result<(), Error> {
    let format = output_format(args)?;
    let bytes = match format {
        OutputFormat::Table => output::to_text_table(table)?,
        OutputFormat::Csv => output::to_csv(table)?,
        OutputFormat::Json => output::to_json(table)?,
        OutputFormat::Xlsx => output::to_xlsx(table, sheet)?,
        OutputFormat::Parquet => output::to_parquet(table)?,
    };
    write_output(args, &bytes)
}

/// Writes `bytes` to --out, whole or not at all, or to stdout.
fn write_output(args: &OutputArgs, bytes: &[u8]) -> Result<(), Error> {
    match &args.out {
        Some(path) => output::write_atomically(path, bytes),
        None => write_stdout(bytes),
    }
}

/// The form asked for: --format, else --out's extension, else a table on a terminal and
/// CSV otherwise. Binary forms are refused on a terminal.
fn output_format(args: &OutputArgs) -> Result<OutputFormat, Error> {
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
    Ok(format)
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
