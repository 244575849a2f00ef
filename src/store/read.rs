//! Takes the store's Parquet files and gives them back: a table's rows in the order of their
//! lines, problems, the lines left out, the keys of given lines, and a table as the rules
//! across tables scan it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{concat_batches, take_record_batch};
use datafusion::arrow::datatypes::Int64Type;
use parquet::arrow::ProjectionMask;

use super::files::{excluded_schema, problems_schema};
use super::schemas::{self, Expected};
use crate::check::cross::{KEY_COLUMN, StagedRows, rejected_schema};
use crate::check::keys::{KeyAt, key_text};
use crate::check::{LINE_COLUMN, Problem, Severity};
use crate::contract::Table;
use crate::diagnostics::Error;

fn read_error(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
    move |e| Error::reading(format!("the store's {}", path.display()), e)
}

/// Reads what [`super::files::write_excluded`] wrote: table → sorted lines.
pub fn read_excluded(path: &Path) -> Result<BTreeMap<String, Vec<u64>>, Error> {
    let mut excluded: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let schema = excluded_schema();
    scan_file(path, Expected::Exactly(&schema), None, &mut |batch| {
        let tables = batch.column(0).as_string::<i32>();
        let lines = batch.column(1).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            excluded
                .entry(tables.value(i).to_string())
                .or_default()
                .push(lines.value(i) as u64);
        }
    })?;
    for lines in excluded.values_mut() {
        lines.sort_unstable();
    }
    Ok(excluded)
}

/// Reads the problems of a store file, in the order they were written.
pub fn read_problems(path: &Path) -> Result<Vec<(String, Problem)>, Error> {
    let schema = problems_schema();
    let reader = schemas::open(path, Expected::Exactly(&schema))?
        .build()
        .map_err(read_error(path))?;
    let mut problems = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| Error::reading(path.display().to_string(), e))?;
        let text = |i: usize| batch.column(i).as_string::<i32>().clone();
        let (table, severity, file) = (text(0), text(1), text(2));
        let line = batch.column(3).as_primitive::<Int64Type>().clone();
        let (column, rule, detail, value) = (text(4), text(5), text(6), text(7));
        for i in 0..batch.num_rows() {
            problems.push((
                table.value(i).to_string(),
                Problem {
                    severity: if severity.value(i) == "warning" {
                        Severity::Warning
                    } else {
                        Severity::Error
                    },
                    file: file.value(i).to_string(),
                    line: line.value(i) as u64,
                    column: column.value(i).to_string(),
                    rule: rule.value(i).to_string(),
                    detail: detail.value(i).to_string(),
                    value: value.value(i).to_string(),
                },
            ));
        }
    }
    Ok(problems)
}

/// The rows of a table file in the order of their lines, without the line column and the
/// rows of `excluded` lines.
pub fn read_rows(spec: &Table, path: &Path, excluded: &[u64]) -> Result<RecordBatch, Error> {
    rows_in_order(spec, path, excluded, false)
}

/// The same, with the line column.
pub fn read_rows_with_lines(
    spec: &Table,
    path: &Path,
    excluded: &[u64],
) -> Result<RecordBatch, Error> {
    rows_in_order(spec, path, excluded, true)
}

fn rows_in_order(
    spec: &Table,
    path: &Path,
    excluded: &[u64],
    with_lines: bool,
) -> Result<RecordBatch, Error> {
    let builder = schemas::open(path, Expected::Rows(spec))?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(read_error(path))?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::reading(path.display().to_string(), e))?;
    let all = concat_batches(&schema, &batches)
        .map_err(|e| Error::reading(path.display().to_string(), e))?;
    let line = schema
        .index_of(LINE_COLUMN)
        .map_err(|e| Error::reading(path.display().to_string(), e))?;
    let lines = all.column(line).as_primitive::<Int64Type>();
    let mut order: Vec<u32> = (0..all.num_rows() as u32)
        .filter(|i| {
            excluded
                .binary_search(&(lines.value(*i as usize) as u64))
                .is_err()
        })
        .collect();
    order.sort_by_key(|i| lines.value(*i as usize));
    let keep: Vec<usize> = (0..schema.fields().len())
        .filter(|i| with_lines || *i != line)
        .collect();
    let rows = take_record_batch(&all, &UInt32Array::from(order))
        .and_then(|b| b.project(&keep))
        .map_err(|e| Error::reading(path.display().to_string(), e))?;
    Ok(rows)
}

/// The keys of the rows at `lines` (sorted) of a table's file and of its rejected rows, as
/// text, each with whether the row is in the table's file.
pub fn keys_at(
    spec: &Table,
    table: &Path,
    rejected: &Path,
    lines: &[u64],
) -> Result<Vec<KeyAt>, Error> {
    let mut found = Vec::new();
    let wanted = |line: i64| lines.binary_search(&(line as u64)).is_ok();
    scan_file(table, Expected::Rows(spec), Some(spec.key), &mut |batch| {
        let line_column = batch.column_by_name(LINE_COLUMN).expect("scanned");
        let row_lines = line_column.as_primitive::<Int64Type>();
        let columns: Vec<&dyn Array> = spec
            .key
            .iter()
            .map(|k| batch.column_by_name(k).expect("scanned").as_ref())
            .collect();
        for i in 0..batch.num_rows() {
            if wanted(row_lines.value(i))
                && let Some(key) = key_text(&columns, i)
            {
                found.push(KeyAt {
                    line: row_lines.value(i) as u64,
                    key,
                    stored: true,
                });
            }
        }
    })?;
    let rejected_columns = rejected_schema(spec);
    scan_file(
        rejected,
        Expected::Exactly(&rejected_columns),
        None,
        &mut |batch| {
            let row_lines = batch.column(0).as_primitive::<Int64Type>();
            let keys = batch
                .column_by_name(KEY_COLUMN)
                .expect("rejected rows keep their key")
                .as_string::<i32>();
            for i in 0..batch.num_rows() {
                if wanted(row_lines.value(i)) && !keys.is_null(i) {
                    found.push(KeyAt {
                        line: row_lines.value(i) as u64,
                        key: keys.value(i).to_string(),
                        stored: false,
                    });
                }
            }
        },
    )?;
    Ok(found)
}

/// A checked table of the store, as the rules across tables read it.
pub struct StoredRows<'a> {
    pub spec: &'static Table,
    pub file: &'a str,
    pub path: PathBuf,
    /// The foreign keys of the rows rejected by their own rules.
    pub rejected: PathBuf,
    pub rejected_keys: &'a BTreeMap<String, BTreeSet<String>>,
    /// Lines of the rows of `path` that repeat an earlier row's key, sorted.
    pub duplicates: &'a [u64],
}

/// Reads a Parquet file of the store a batch at a time, `columns` only when given.
fn scan_file(
    path: &Path,
    expected: Expected,
    columns: Option<&[&str]>,
    each: &mut dyn FnMut(&RecordBatch),
) -> Result<(), Error> {
    let mut builder = schemas::open(path, expected)?;
    if let Some(columns) = columns {
        let mask = ProjectionMask::columns(
            builder.parquet_schema(),
            columns.iter().copied().chain([LINE_COLUMN]),
        );
        builder = builder.with_projection(mask);
    }
    let reader = builder
        .with_batch_size(64 * 1024)
        .build()
        .map_err(read_error(path))?;
    for batch in reader {
        let batch = batch.map_err(|e| Error::reading(path.display().to_string(), e))?;
        each(&batch);
    }
    Ok(())
}

impl StagedRows for StoredRows<'_> {
    fn spec(&self) -> &'static Table {
        self.spec
    }

    fn file(&self) -> &str {
        self.file
    }

    fn rejected_keys(&self) -> &BTreeMap<String, BTreeSet<String>> {
        self.rejected_keys
    }

    fn duplicates(&self) -> &[u64] {
        self.duplicates
    }

    fn scan(&self, columns: &[&str], each: &mut dyn FnMut(&RecordBatch)) -> Result<(), Error> {
        scan_file(&self.path, Expected::Rows(self.spec), Some(columns), each)
    }

    fn scan_rejected(&self, each: &mut dyn FnMut(&RecordBatch)) -> Result<(), Error> {
        let schema = rejected_schema(self.spec);
        scan_file(&self.rejected, Expected::Exactly(&schema), None, each)
    }
}
