//! `hubstat diff --old DIR|STORE --new DIR|STORE --period P`: what changed between two
//! exports, as a table, CSV, JSON or an XLSX revisions workbook. Exits 0 when nothing
//! changed, 1 when something did, 2 for trouble.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use serde_json::{Map, Value};

use super::{output_format, rebase_scope, runtime, store_options, write_output};
use crate::cli::{DataArgs, DiffArgs};
use crate::diagnostics::{Error, ExitStatus};
use crate::diff::{self, Ask, Revisions};
use crate::geography::{Geography, regions_of};
use crate::output::{self, OutputFormat, ResultTable, Sheet};
use crate::query::{Engine, EngineOptions, FIGURES, Params, figure};
use crate::region::check_scope;
use crate::store::{MANIFEST, Store};

/// Rows a worksheet holds below its header.
const MAX_SHEET_ROWS: usize = 1_048_575;

pub fn run(args: &DiffArgs) -> Result<ExitStatus, Error> {
    let Some(period) = args.scope.period.resolve()? else {
        return Err(Error::Usage(
            "diff compares a period: give --period 2026Q2 or --from DATE --to DATE".into(),
        ));
    };
    let query = match &args.figure {
        Some(name) => Some(figure(name).ok_or_else(|| {
            let names: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
            Error::Usage(format!(
                "no figure named `{name}`; the figures are {}",
                names.join(", ")
            ))
        })?),
        None => None,
    };
    let format = output_format(&args.output)?;
    if format == OutputFormat::Parquet {
        return Err(parquet_refused());
    }
    let old_store = open_side(&args.old, args)?;
    // One export named twice is opened once: its store is locked while open.
    let same = matches!(
        (args.old.canonicalize(), args.new.canonicalize()),
        (Ok(a), Ok(b)) if a == b
    );
    let other_store = if same {
        None
    } else {
        Some(open_side(&args.new, args)?)
    };
    let new_store = other_store.as_ref().unwrap_or(&old_store);
    refuse_rejected(&old_store, "old")?;
    refuse_rejected(new_store, "new")?;

    let options = EngineOptions {
        skip_invalid: false,
        memory_limit: args.memory_limit,
    };
    let new = Engine::new(new_store, options)?;
    let old_regions = old_store
        .read_rows("regions")?
        .map(|b| regions_of(&b))
        .unwrap_or_default();
    let keyed = new.history()?.with_rows_of(&old_regions);
    let old = Engine::new(&old_store, options)?.keyed_by(keyed);
    let scope = match &args.scope.region {
        Some(code) => Some(check_scope(code, new_store)?),
        None => None,
    };
    let mut params = Params {
        period,
        level: args.scope.level,
        scope,
        geography: Geography::End,
    };
    rebase_scope(&new, &mut params)?;
    let ask = Ask {
        params,
        figure: query,
        rows: args.rows,
    };
    let revisions = runtime()?.block_on(diff::revisions(&old, &new, &ask))?;
    for note in &revisions.notes {
        eprintln!("note: {note}");
    }
    let bytes = render(&revisions, &ask, args, format)?;
    write_output(&args.output, &bytes)?;
    eprintln!("{}", summary(&revisions, &ask));
    Ok(if revisions.changed() {
        ExitStatus::DataProblems
    } else {
        ExitStatus::Success
    })
}

fn parquet_refused() -> Error {
    Error::Usage("diff writes a table, CSV, JSON or an XLSX workbook, not Parquet".into())
}

/// A side given as a store (it holds a manifest) or as an export folder, checked into its
/// kept store.
fn open_side(path: &Path, args: &DiffArgs) -> Result<Store, Error> {
    let is_store = path.join(MANIFEST).is_file();
    let data = DataArgs {
        data: (!is_store).then(|| path.to_path_buf()),
        store: is_store.then(|| path.to_path_buf()),
        no_store: false,
        encoding: args.encoding,
        regions: None,
        today: None,
    };
    Store::open(&store_options(&data))
}

/// Rows rejected in an export would make figures of a part of it: trouble, not a change.
fn refuse_rejected(store: &Store, side: &str) -> Result<(), Error> {
    let rejected: Vec<String> = store
        .tables
        .iter()
        .filter(|t| t.tally.rejected > 0)
        .map(|t| format!("{} in {}", t.tally.rejected, t.source.file))
        .collect();
    if rejected.is_empty() {
        return Ok(());
    }
    let data = store.data_folder();
    Err(Error::input(
        &data,
        format!(
            "the {side} export has rows rejected ({}); diff compares exports whose every row passes: run `hubstat check --data {}` to list them",
            rejected.join(", "),
            data.display()
        ),
    ))
}

/// One line for stderr: how much changed.
fn summary(revisions: &Revisions, ask: &Ask) -> String {
    let p = &ask.params;
    let scope = p
        .scope
        .as_deref()
        .map(|s| format!(" in {s}"))
        .unwrap_or_default();
    if !revisions.changed() {
        return format!(
            "nothing changed for {}, {}{scope}",
            p.period,
            p.level.as_str()
        );
    }
    let tables = revisions
        .tables
        .iter()
        .map(|t| {
            let kinds = [
                ("added", t.added),
                ("removed", t.removed),
                ("changed", t.changed),
            ];
            let said: Vec<String> = kinds
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect();
            format!("{} {}", t.table, said.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "{} figure values changed for {}, {}{scope}; rows: {}",
        revisions.figures.len(),
        p.period,
        p.level.as_str(),
        if tables.is_empty() { "none" } else { &tables }
    )
}

fn text_column(values: impl IntoIterator<Item = Option<String>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

fn count_column(values: impl IntoIterator<Item = u64>) -> ArrayRef {
    Arc::new(
        values
            .into_iter()
            .map(|n| Some(n as i64))
            .collect::<Int64Array>(),
    )
}

fn table(columns: Vec<(&str, ArrayRef)>) -> ResultTable {
    let batch = RecordBatch::try_from_iter(columns).expect("columns of one length");
    ResultTable {
        schema: batch.schema(),
        batches: vec![batch],
    }
}

/// The figure values that changed, in the CSV columns the issue names.
fn figures_table(revisions: &Revisions) -> ResultTable {
    let f = &revisions.figures;
    let text = |get: fn(&diff::FigureChange) -> Option<String>| text_column(f.iter().map(get));
    table(vec![
        ("figure", text(|c| Some(c.figure.to_string()))),
        ("region_code", text(|c| Some(c.region_code.clone()))),
        ("region_name", text(|c| Some(c.region_name.clone()))),
        ("key", text(|c| Some(c.key.clone()))),
        ("column", text(|c| Some(c.column.clone()))),
        ("old", text(|c| c.old.clone())),
        ("new", text(|c| c.new.clone())),
        ("change", text(|c| Some(c.change.clone()))),
    ])
}

/// Rows added, removed and changed per table and region.
fn counts_table(revisions: &Revisions) -> ResultTable {
    let c = &revisions.counts;
    table(vec![
        ("table", text_column(c.iter().map(|r| Some(r.table.into())))),
        (
            "region_code",
            text_column(c.iter().map(|r| Some(r.region_code.clone()))),
        ),
        (
            "region_name",
            text_column(c.iter().map(|r| Some(r.region_name.clone()))),
        ),
        ("added", count_column(c.iter().map(|r| r.added))),
        ("removed", count_column(c.iter().map(|r| r.removed))),
        ("changed", count_column(c.iter().map(|r| r.changed))),
    ])
}

/// The rows behind the changes, one by one.
fn rows_table(revisions: &Revisions) -> ResultTable {
    let r = &revisions.rows;
    let text = |get: fn(&diff::RowChange) -> Option<String>| text_column(r.iter().map(get));
    table(vec![
        ("table", text(|c| Some(c.table.to_string()))),
        ("key", text(|c| Some(c.key.clone()))),
        ("change", text(|c| Some(c.change.clone()))),
        ("old_region_code", text(|c| c.old_region.clone())),
        ("new_region_code", text(|c| c.new_region.clone())),
        ("columns", text(|c| Some(c.columns.clone()))),
    ])
}

/// What was compared, for the workbook's first sheet.
fn about_table(revisions: &Revisions, ask: &Ask, args: &DiffArgs) -> ResultTable {
    let p = &ask.params;
    let day = p
        .geography_day()
        .map(crate::period::format_date)
        .unwrap_or_default();
    let rows_changed: u64 = revisions
        .tables
        .iter()
        .map(|c| c.added + c.removed + c.changed)
        .sum();
    let pairs: Vec<(&str, String)> = vec![
        ("old", args.old.display().to_string()),
        ("new", args.new.display().to_string()),
        ("period", p.period.to_string()),
        ("level", p.level.as_str().to_string()),
        ("region", p.scope.clone().unwrap_or_default()),
        (
            "figure",
            ask.figure.map_or("every figure", |q| q.name).to_string(),
        ),
        (
            "geography",
            format!("end: the new export's regions and successors in force on {day}"),
        ),
        ("figure values changed", revisions.figures.len().to_string()),
        ("rows added, removed or changed", rows_changed.to_string()),
        (
            "rows counted",
            "rows whose old or new version counts for the period, matched by key; a row that moved counts under both regions; household ids are never shown".to_string(),
        ),
    ];
    table(vec![
        (
            "item",
            text_column(pairs.iter().map(|(k, _)| Some(k.to_string()))),
        ),
        (
            "value",
            text_column(pairs.iter().map(|(_, v)| Some(v.clone()))),
        ),
    ])
}

fn render(
    revisions: &Revisions,
    ask: &Ask,
    args: &DiffArgs,
    format: OutputFormat,
) -> Result<Vec<u8>, Error> {
    let figures = figures_table(revisions);
    let counts = counts_table(revisions);
    let rows = ask.rows.then(|| rows_table(revisions));
    match format {
        OutputFormat::Csv => {
            let mut bytes = output::to_csv(&figures)?;
            for table in std::iter::once(&counts).chain(rows.as_ref()) {
                bytes.push(b'\n');
                bytes.extend(output::to_csv(table)?);
            }
            Ok(bytes)
        }
        OutputFormat::Json => {
            let mut object = Map::new();
            object.insert("figures".into(), output::json_rows(&figures));
            object.insert("rows_by_region".into(), output::json_rows(&counts));
            if let Some(rows) = &rows {
                object.insert("rows".into(), output::json_rows(rows));
            }
            let mut bytes =
                serde_json::to_vec_pretty(&Value::Object(object)).expect("JSON values serialize");
            bytes.push(b'\n');
            Ok(bytes)
        }
        OutputFormat::Table => {
            let mut text = Vec::new();
            let sections = [
                ("Figure values changed", Some(&figures)),
                ("Rows behind them, per table and region", Some(&counts)),
                ("Rows", rows.as_ref()),
            ];
            for (title, table) in sections {
                let Some(table) = table else { continue };
                if !text.is_empty() {
                    text.push(b'\n');
                }
                if table.num_rows() == 0 {
                    text.extend(format!("{title}: none\n").into_bytes());
                } else {
                    text.extend(format!("{title}:\n").into_bytes());
                    text.extend(output::to_text_table(table)?);
                }
            }
            Ok(text)
        }
        OutputFormat::Xlsx => {
            let about = about_table(revisions, ask, args);
            let mut sheets = vec![
                Sheet {
                    name: "개요",
                    table: &about,
                    numbers_as_text: &[],
                },
                Sheet {
                    name: "수치 변경",
                    table: &figures,
                    numbers_as_text: &["old", "new", "change"],
                },
                Sheet {
                    name: "행 변경",
                    table: &counts,
                    numbers_as_text: &[],
                },
            ];
            if let Some(rows) = &rows {
                if rows.num_rows() >= MAX_SHEET_ROWS {
                    return Err(Error::Usage(format!(
                        "{} rows changed: more than a sheet holds; write them as CSV (--format csv)",
                        rows.num_rows()
                    )));
                }
                sheets.push(Sheet {
                    name: "행 목록",
                    table: rows,
                    numbers_as_text: &[],
                });
            }
            output::to_xlsx_sheets(&sheets)
        }
        OutputFormat::Parquet => Err(parquet_refused()),
    }
}
