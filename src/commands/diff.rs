//! `hubstat diff --old DIR|STORE --new DIR|STORE --period P`: what changed between two
//! exports, as a table, CSV, JSON or an XLSX revisions workbook. Exits 0 when nothing
//! changed, 1 when something did, 2 for trouble.

use std::path::Path;

use serde_json::{Map, Value};

use super::{output_format, rebase_scope, runtime, store_options, write_output};
use crate::catalogue::{Params, figure_named};
use crate::cli::{DataArgs, DiffArgs};
use crate::diagnostics::{Error, Outcome, print_notes};
use crate::diff::{self, Ask, Revisions};
use crate::geography::{Geography, regions_of};
use crate::output::{self, OutputFormat, Sheet};
use crate::query::{Engine, EngineOptions};
use crate::store::{MANIFEST, Store, rejected_summary};

/// Rows a worksheet holds below its header.
const MAX_SHEET_ROWS: usize = 1_048_575;

pub fn run(args: &DiffArgs) -> Result<Outcome, Error> {
    let Some(period) = args.scope.period.resolve()? else {
        return Err(Error::Usage(
            "diff compares a period: give --period 2026Q2 or --from DATE --to DATE".into(),
        ));
    };
    let query = args.figure.as_deref().map(figure_named).transpose()?;
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
    let old = Engine::with_history(&old_store, options, keyed)?;
    let scope = match &args.scope.region {
        Some(code) => Some(new_store.check_scope(code)?),
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
    print_notes(old.take_notes().into_iter().chain(new.take_notes()));
    print_notes(revisions.notes.iter().cloned());
    let bytes = render(&revisions, &ask, args, format)?;
    write_output(&args.output, &bytes)?;
    eprintln!("{}", summary(&revisions, &ask));
    Ok(if revisions.changed() {
        Outcome::Changed
    } else {
        Outcome::Done
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
    let store = Store::open(&store_options(&data))?;
    print_notes(store.notes.iter().cloned());
    Ok(store)
}

/// Rows rejected in an export would make figures of a part of it: trouble, not a change.
fn refuse_rejected(store: &Store, side: &str) -> Result<(), Error> {
    let Some(rejected) = rejected_summary(&store.tables) else {
        return Ok(());
    };
    let data = store.data_folder();
    Err(Error::input(
        &data,
        format!(
            "the {side} export has rows rejected ({rejected}); diff compares exports whose every row passes: run `hubstat check --data {}` to list them",
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

fn render(
    revisions: &Revisions,
    ask: &Ask,
    args: &DiffArgs,
    format: OutputFormat,
) -> Result<Vec<u8>, Error> {
    let figures = revisions.figures_table();
    let counts = revisions.counts_table();
    let rows = ask.rows.then(|| revisions.rows_table());
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
            let about = revisions.about_table(ask, &args.old, &args.new);
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
