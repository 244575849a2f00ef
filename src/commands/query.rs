//! `hubstat query NAME` and `hubstat sql`: a figure of the catalogue or an analyst's
//! read-only SQL over the checked store, written as a table, CSV, JSON, XLSX or Parquet.

use std::io::IsTerminal;

use super::{engine_options, open_store, output_format, rebase_scope, runtime, write_result};
use crate::cli::OutputArgs;
use crate::cli::{QueryArgs, SqlArgs};
use crate::diagnostics::{Error, ExitStatus};
use crate::query::{Engine, Params, figure_named};
use crate::shell::{Mode, Shell};

pub fn run_figure(args: &QueryArgs) -> Result<ExitStatus, Error> {
    let query = figure_named(&args.name)?;
    let params_given = args.figure.scope.period.resolve()?.is_some();
    if !params_given {
        return Err(Error::Usage(
            "a figure needs a period: --period 2020Q4 or --from DATE --to DATE".into(),
        ));
    }
    let store = open_store(&args.data)?;
    let mut params = args.figure.params(&store)?.expect("a period was given");
    let engine = Engine::new(&store, engine_options(&args.engine))?;
    rebase_scope(&engine, &mut params)?;
    let table = runtime()?.block_on(engine.figure(query, &params))?;
    write_result(&table, &args.output, query.name)?;
    Ok(ExitStatus::Success)
}

/// What `hubstat sql` runs: one query, or the statements of standard input.
enum SqlRun {
    Query(String),
    /// Decided before the data is read, so that a wrong form costs nothing.
    Shell(Mode),
}

pub fn run_sql(args: &SqlArgs) -> Result<ExitStatus, Error> {
    let run = match (&args.query, &args.file) {
        (Some(text), _) => SqlRun::Query(text.clone()),
        (None, Some(path)) => {
            SqlRun::Query(std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?)
        }
        (None, None) => SqlRun::Shell(Mode::of_format(output_format(&args.output)?)?),
    };
    let store = open_store(&args.data)?;
    let mut params = args.figure.params(&store)?;
    let engine = Engine::new(&store, engine_options(&args.engine))?;
    if let Some(params) = &mut params {
        rebase_scope(&engine, params)?;
    }
    match run {
        SqlRun::Query(text) => {
            let table = runtime()?.block_on(engine.sql(&text, params.as_ref()))?;
            write_result(&table, &args.output, "query")?;
            Ok(ExitStatus::Success)
        }
        SqlRun::Shell(mode) => run_shell(&engine, params, mode, &args.output),
    }
}

/// The shell over standard input: interactive on a terminal, a script from a pipe. `--out`
/// is where results go from the start, as `.output FILE` would send them.
fn run_shell(
    engine: &Engine,
    params: Option<Params>,
    mode: Mode,
    output: &OutputArgs,
) -> Result<ExitStatus, Error> {
    let mut shell = Shell::new(engine, params, runtime()?, mode);
    if let Some(path) = &output.out {
        shell.set_output(Some(path))?;
    }
    if std::io::stdin().is_terminal() {
        shell.run_terminal()
    } else {
        shell.run_script(std::io::stdin().lock())
    }
}
