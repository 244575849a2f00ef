//! Takes checked rows and problems and gives the store's Parquet files: a table's rows with
//! row groups split by quarter of its main date (so that a period's query skips the rest by
//! their statistics), problems as a table of their own, the rejected rows' keys, and the
//! lines left out. [`super::read`] reads them back.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::check::{CheckOutput, LINE_COLUMN, Problem, RejectedRow, Severity};
use crate::contract::{Kind, Table};
use crate::diagnostics::Error;
use crate::period::quarter_of;

/// Rows of a row group: a quarter of a national year's visits holds about a million rows.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Rows held back at most while quarters fill their row groups; past it the fullest quarter
/// is written as a smaller row group.
const HELD_ROWS: usize = 1024 * 1024;

/// Problems and rejected rows written per batch.
const PENDING_ROWS: usize = 8 * 1024;

/// The store's writer properties; `plain` columns are written without a dictionary.
fn properties(plain: &[&str]) -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::LZ4_RAW)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(concat!("hubstat ", env!("CARGO_PKG_VERSION")).to_string());
    for column in plain {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(*column), false);
    }
    builder.build()
}

/// The columns of a table whose values seldom repeat (ids, households, lines): a dictionary
/// of them would cost time and save nothing. Categories, codes and references repeat.
fn plain_columns(spec: &Table) -> Vec<&'static str> {
    spec.columns
        .iter()
        .filter(|c| c.kind == Kind::Text && !spec.foreign_keys.iter().any(|fk| fk.column == c.name))
        .map(|c| c.name)
        .chain([LINE_COLUMN])
        .collect()
}

/// A new Parquet file of the store at `path`, with the store's writer properties.
fn create(path: &Path, schema: SchemaRef, plain: &[&str]) -> Result<ArrowWriter<File>, Error> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    ArrowWriter::try_new(file, schema, Some(properties(plain))).map_err(parquet_error(path))
}

fn parquet_error(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
    move |e| Error::writing(path.display().to_string(), e)
}

/// Writes a table's rows to Parquet, a row group holding one quarter of its main date.
pub struct TableWriter {
    path: PathBuf,
    plain: Vec<&'static str>,
    date_column: Option<String>,
    writer: Option<ArrowWriter<File>>,
    /// Quarter → the rows held back for its next row group.
    held: BTreeMap<i32, Vec<RecordBatch>>,
    held_rows: usize,
}

impl TableWriter {
    pub fn new(path: PathBuf, spec: &Table) -> TableWriter {
        TableWriter {
            path,
            plain: plain_columns(spec),
            date_column: spec.event.as_ref().map(|e| e.date.to_string()),
            writer: None,
            held: BTreeMap::new(),
            held_rows: 0,
        }
    }

    fn writer(&mut self, schema: &SchemaRef) -> Result<&mut ArrowWriter<File>, Error> {
        if self.writer.is_none() {
            self.writer = Some(create(&self.path, schema.clone(), &self.plain)?);
        }
        Ok(self.writer.as_mut().expect("made above"))
    }

    /// Writes the held rows of one quarter as a row group of their own.
    fn write_quarter(&mut self, quarter: i32) -> Result<(), Error> {
        let Some(batches) = self.held.remove(&quarter) else {
            return Ok(());
        };
        let schema = batches[0].schema();
        let batch = concat_batches(&schema, &batches)
            .map_err(|e| Error::computing("joining rows of a quarter", e))?;
        self.held_rows -= batch.num_rows();
        let path = self.path.clone();
        let writer = self.writer(&schema)?;
        writer.write(&batch).map_err(parquet_error(&path))?;
        writer.flush().map_err(parquet_error(&path))
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let Some(date_column) = &self.date_column else {
            let path = self.path.clone();
            return self
                .writer(&batch.schema())?
                .write(batch)
                .map_err(parquet_error(&path));
        };
        let dates = batch
            .column_by_name(date_column)
            .expect("the main date is a column of the table")
            .as_primitive::<Date32Type>();
        // The checker hands rows grouped by quarter: each run is a slice, not a copy.
        let quarter = |i: usize| (!dates.is_null(i)).then(|| quarter_of(dates.value(i)));
        let mut start = 0;
        while start < batch.num_rows() {
            let run = quarter(start);
            let end = (start + 1..batch.num_rows())
                .find(|i| quarter(*i) != run)
                .unwrap_or(batch.num_rows());
            let quarter = run.unwrap_or(i32::MIN);
            let part = batch.slice(start, end - start);
            start = end;
            self.held_rows += part.num_rows();
            let held = self.held.entry(quarter).or_default();
            held.push(part);
            if held.iter().map(RecordBatch::num_rows).sum::<usize>() >= ROW_GROUP_ROWS {
                self.write_quarter(quarter)?;
            }
        }
        while self.held_rows > HELD_ROWS {
            let fullest = self
                .held
                .iter()
                .max_by_key(|(_, b)| b.iter().map(RecordBatch::num_rows).sum::<usize>())
                .map(|(q, _)| *q)
                .expect("rows are held");
            self.write_quarter(fullest)?;
        }
        Ok(())
    }

    /// Writes what is held and closes the file; a table with no rows still gets its schema.
    pub fn finish(mut self, schema: &SchemaRef) -> Result<(), Error> {
        let quarters: Vec<i32> = self.held.keys().copied().collect();
        for quarter in quarters {
            self.write_quarter(quarter)?;
        }
        self.writer(schema)?;
        let writer = self.writer.take().expect("made above");
        writer.close().map_err(parquet_error(&self.path))?;
        Ok(())
    }
}

pub(super) fn problems_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        text("table"),
        text("severity"),
        text("file"),
        Field::new("line", DataType::Int64, false),
        text("column"),
        text("rule"),
        text("detail"),
        text("value"),
    ]))
}

/// Rows gathered as they come and written to a Parquet file a batch at a time.
struct Batched<T> {
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<File>,
    pending: Vec<T>,
    /// The columns of a batch of rows, in the schema's order.
    columns: fn(&Schema, &[T]) -> Vec<ArrayRef>,
}

impl<T> Batched<T> {
    fn new(
        path: PathBuf,
        schema: SchemaRef,
        columns: fn(&Schema, &[T]) -> Vec<ArrayRef>,
    ) -> Result<Batched<T>, Error> {
        let writer = create(&path, schema.clone(), &[])?;
        Ok(Batched {
            path,
            schema,
            writer,
            pending: Vec::new(),
            columns,
        })
    }

    fn push(&mut self, row: T) -> Result<(), Error> {
        self.pending.push(row);
        if self.pending.len() >= PENDING_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let columns = (self.columns)(&self.schema, &std::mem::take(&mut self.pending));
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .expect("columns follow their schema");
        self.writer.write(&batch).map_err(parquet_error(&self.path))
    }

    fn finish(mut self) -> Result<(), Error> {
        self.flush()?;
        self.writer.close().map_err(parquet_error(&self.path))?;
        Ok(())
    }
}

fn texts<T>(rows: &[T], text: impl Fn(&T) -> &str) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(rows.iter().map(text)))
}

fn problem_columns(_: &Schema, rows: &[(String, Problem)]) -> Vec<ArrayRef> {
    vec![
        texts(rows, |(t, _)| t),
        texts(rows, |(_, p)| match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }),
        texts(rows, |(_, p)| &p.file),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|(_, p)| p.line as i64),
        )),
        texts(rows, |(_, p)| &p.column),
        texts(rows, |(_, p)| &p.rule),
        texts(rows, |(_, p)| &p.detail),
        texts(rows, |(_, p)| &p.value),
    ]
}

/// Writes problems to Parquet as they come, with the table they belong to.
pub struct ProblemWriter(Batched<(String, Problem)>);

impl ProblemWriter {
    pub fn new(path: PathBuf) -> Result<ProblemWriter, Error> {
        Batched::new(path, problems_schema(), problem_columns).map(ProblemWriter)
    }

    pub fn push(&mut self, table: &str, problem: Problem) -> Result<(), Error> {
        self.0.push((table.to_string(), problem))
    }

    pub fn finish(self) -> Result<(), Error> {
        self.0.finish()
    }
}

pub(super) fn excluded_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("table", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
    ]))
}

/// Writes the lines of the rows rejected by the rules across tables, by table.
pub fn write_excluded(path: &Path, excluded: &[(&str, &[u64])]) -> Result<(), Error> {
    let mut writer = create(path, excluded_schema(), &[])?;
    for (table, lines) in excluded {
        if lines.is_empty() {
            continue;
        }
        let batch = RecordBatch::try_new(
            excluded_schema(),
            vec![
                Arc::new(StringArray::from_iter_values(lines.iter().map(|_| *table))),
                Arc::new(Int64Array::from_iter_values(
                    lines.iter().map(|l| *l as i64),
                )),
            ],
        )
        .expect("columns follow their schema");
        writer.write(&batch).map_err(parquet_error(path))?;
    }
    writer.close().map_err(parquet_error(path))?;
    Ok(())
}

/// Hands a checked file's output to the store's writers; the first error is kept for the end.
pub struct StagingOutput {
    pub table: &'static str,
    pub rows: TableWriter,
    pub problems: ProblemWriter,
    pub rejected: RejectedWriter,
    pub error: Option<Error>,
}

impl CheckOutput for StagingOutput {
    fn problem(&mut self, problem: Problem) {
        if self.error.is_none()
            && let Err(e) = self.problems.push(self.table, problem)
        {
            self.error = Some(e);
        }
    }

    fn batch(&mut self, batch: RecordBatch) {
        if self.error.is_none()
            && let Err(e) = self.rows.write(&batch)
        {
            self.error = Some(e);
        }
    }

    fn rejected(&mut self, row: RejectedRow) {
        if self.error.is_none()
            && let Err(e) = self.rejected.0.push(row)
        {
            self.error = Some(e);
        }
    }
}

fn rejected_columns(schema: &Schema, rows: &[RejectedRow]) -> Vec<ArrayRef> {
    let references = schema.fields().len() - 2;
    let mut columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from_iter_values(
        rows.iter().map(|r| r.line as i64),
    ))];
    columns.extend((0..references).map(|j| -> ArrayRef {
        Arc::new(StringArray::from_iter(
            rows.iter().map(|r| r.references[j].as_deref()),
        ))
    }));
    columns.push(Arc::new(StringArray::from_iter(
        rows.iter().map(|r| r.key.as_deref()),
    )));
    columns
}

/// Writes the foreign keys and unique key of rows rejected by their own rules.
pub struct RejectedWriter(Batched<RejectedRow>);

impl RejectedWriter {
    pub fn new(path: PathBuf, spec: &Table) -> Result<RejectedWriter, Error> {
        let schema = crate::check::cross::rejected_schema(spec);
        Batched::new(path, schema, rejected_columns).map(RejectedWriter)
    }

    pub fn finish(self) -> Result<(), Error> {
        self.0.finish()
    }
}
