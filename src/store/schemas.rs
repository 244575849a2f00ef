//! Takes a Parquet file of the store and what it should be and gives its reader, or says the
//! store is damaged: a file replaced, cut short or of another layout is never read as if it
//! were the one the manifest names.

use std::fs::File;
use std::path::Path;

use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::files::{excluded_schema, problems_schema};
use super::manifest::Manifest;
use crate::check::cross::rejected_schema;
use crate::check::{LINE_COLUMN, contract_fields};
use crate::contract::{Table, table_named};
use crate::diagnostics::Error;

/// What a store file holds.
#[derive(Clone, Copy)]
pub enum Expected<'a> {
    /// The rows of a table: its contract's columns in order, extra columns as text, then
    /// the line.
    Rows(&'a Table),
    /// Exactly these columns (problems, lines, rejected rows' keys).
    Exactly(&'a SchemaRef),
}

/// The reader of a store file whose columns are what `expected` says.
pub fn open(
    path: &Path,
    expected: Expected,
) -> Result<ParquetRecordBatchReaderBuilder<File>, Error> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::damaged(path, "the file is missing"),
        _ => Error::io(path, e),
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::damaged(path, format!("not a readable Parquet file: {e}")))?;
    check(path, builder.schema(), expected)?;
    Ok(builder)
}

/// Every Parquet file a manifest names, each holding what it should: their footers only.
pub fn check_store(dir: &Path, manifest: &Manifest) -> Result<(), Error> {
    let (problems, lines) = (problems_schema(), excluded_schema());
    open(&dir.join(&manifest.cross), Expected::Exactly(&problems))?;
    open(&dir.join(&manifest.excluded), Expected::Exactly(&lines))?;
    for entry in &manifest.tables {
        let spec = table_named(&entry.table)
            .ok_or_else(|| Error::damaged(dir, format!("unknown table {}", entry.table)))?;
        let rejected = rejected_schema(spec);
        open(&dir.join(&entry.parquet), Expected::Rows(spec))?;
        open(&dir.join(&entry.problems), Expected::Exactly(&problems))?;
        open(&dir.join(&entry.rejected), Expected::Exactly(&rejected))?;
        open(&dir.join(&entry.duplicates), Expected::Exactly(&lines))?;
    }
    Ok(())
}

/// Whether `found`, the schema of the store file `path`, is what `expected` says.
pub fn check(path: &Path, found: &Schema, expected: Expected) -> Result<(), Error> {
    let wanted: Vec<(String, DataType)> = match expected {
        Expected::Exactly(schema) => columns(schema),
        Expected::Rows(spec) => {
            let contract = contract_fields(spec);
            let extras = found.fields().len().saturating_sub(contract.len() + 1);
            let mut wanted = columns(&Schema::new(contract.clone()));
            wanted.extend(
                found
                    .fields()
                    .iter()
                    .skip(contract.len())
                    .take(extras)
                    .map(|f| (f.name().clone(), DataType::Utf8)),
            );
            wanted.push((LINE_COLUMN.to_string(), DataType::Int64));
            wanted
        }
    };
    let found = columns(found);
    if found == wanted {
        return Ok(());
    }
    let difference = match found.iter().zip(&wanted).find(|(f, w)| f != w) {
        Some(((name, kind), (want_name, want_kind))) => {
            format!("column `{name}` ({kind}) where `{want_name}` ({want_kind}) belongs")
        }
        None => format!("{} columns where {} belong", found.len(), wanted.len()),
    };
    let what = match expected {
        Expected::Rows(spec) => format!("the rows of {}", spec.name),
        Expected::Exactly(_) => "this file".to_string(),
    };
    Err(Error::damaged(
        path,
        format!("not the columns of {what}: {difference}"),
    ))
}

/// Names and types, text of any layout as one: a reader may view what was written as
/// `Utf8` as `Utf8View`.
fn columns(schema: &Schema) -> Vec<(String, DataType)> {
    schema
        .fields()
        .iter()
        .map(|f| {
            let kind = match f.data_type() {
                DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
                other => other.clone(),
            };
            (f.name().clone(), kind)
        })
        .collect()
}
