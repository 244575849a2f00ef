//! `hubstat query NAME` and `hubstat sql`: a figure of the catalogue or an analyst's
//! read-only SQL over the checked store, written as a table, CSV, JSON, XLSX or Parquet.

use std::io::IsTerminal;

use super::{engine_options, open_store, output_format, rebase_scope, runtime, write_result};
use crate::cli::OutputArgs;
use crate::cli::{QueryArgs, SqlArgs};
use crate::diagnostics::{Error, Outcome, print_notes};
use datafusion::arrow::array::{ArrayRef, BooleanArray};

use crate::catalogue::cells::ColumnClass;
use crate::catalogue::{Params, QueryFile, figure_named, internal_column};
use crate::disclosure::{self, Rule};
use crate::output::{ResultTable, text_column};
use crate::query::Engine;
use crate::report::Rows;
use crate::shell::{Mode, Shell};

pub fn run_figure(args: &QueryArgs) -> Result<Outcome, Error> {
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
    let table = if args.sdc {
        let full = runtime()?.block_on(engine.figure_with_internal(query, &params))?;
        let rule = Rule {
            k: args.min_households,
            ..Rule::default()
        };
        flagged(query, &full, params.period, rule)?
    } else {
        runtime()?.block_on(engine.figure(query, &params))?
    };
    print_notes(engine.take_notes());
    write_result(&table, &args.output, query.name)?;
    Ok(Outcome::Done)
}

/// A figure's result protected on its own: each withheld value null, and after the
/// catalogue's columns a `<column>_flag` of `X`, `-` or empty for each count about
/// households and each rate.
fn flagged(
    query: &QueryFile,
    full: &ResultTable,
    period: crate::period::Period,
    rule: Rule,
) -> Result<ResultTable, Error> {
    let rows = Rows::from_result(full)?;
    let marks = disclosure::protect_table(query.name, &rows, period, rule)?;
    let cells = query.cells()?;
    let table = full.project(|name| !internal_column(name));
    // The batches' own schema: DataFusion may give views where the plan says strings.
    let schema = table
        .batches
        .first()
        .map_or(table.schema.clone(), |b| b.schema());
    let batch = datafusion::arrow::compute::concat_batches(&schema, &table.batches)
        .map_err(|e| Error::computing("joining the figure's rows", e))?;
    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    let mut flags: Vec<(String, ArrayRef)> = Vec::new();
    for (c, field) in schema.fields().iter().enumerate() {
        let array = batch.column(c).clone();
        let flaggable = matches!(
            cells.class(field.name()),
            Some(ColumnClass::Sensitive { .. } | ColumnClass::Rate { .. })
        );
        if !flaggable {
            columns.push((field.name().clone(), array));
            continue;
        }
        let hidden: BooleanArray = marks.iter().map(|m| Some(m[c] == "X")).collect();
        let shown = datafusion::arrow::compute::nullif(&array, &hidden)
            .map_err(|e| Error::computing("withholding cells", e))?;
        columns.push((field.name().clone(), shown));
        flags.push((
            format!("{}_flag", field.name()),
            text_column(marks.iter().map(|m| Some(m[c]))),
        ));
    }
    columns.extend(flags);
    Ok(ResultTable::of_columns(
        columns
            .iter()
            .map(|(n, a)| (n.as_str(), a.clone()))
            .collect(),
    ))
}

/// What `hubstat sql` runs: one query, or the statements of standard input.
enum SqlRun {
    Query(String),
    /// Decided before the data is read, so that a wrong form costs nothing.
    Shell(Mode),
}

pub fn run_sql(args: &SqlArgs) -> Result<Outcome, Error> {
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
            print_notes(engine.take_notes());
            write_result(&table, &args.output, "query")?;
            Ok(Outcome::Done)
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
) -> Result<Outcome, Error> {
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
