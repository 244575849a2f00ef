//! Takes result tables (Arrow batches) and gives them as CSV, JSON, an aligned text table,
//! an XLSX sheet or a Parquet file. Files are written whole or not at all.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Map, Value};
use unicode_width::UnicodeWidthStr;

use crate::diagnostics::Error;
use crate::period::date_of;

/// The output forms of a result table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
    Xlsx,
    Parquet,
}

/// A result table: its schema and its rows.
#[derive(Debug, Clone)]
pub struct ResultTable {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl ResultTable {
    /// A table of one batch.
    pub fn of_batch(batch: RecordBatch) -> ResultTable {
        ResultTable {
            schema: batch.schema(),
            batches: vec![batch],
        }
    }

    /// A table of named columns of one length, built in memory (listings, summaries).
    pub fn of_columns(columns: Vec<(&str, ArrayRef)>) -> ResultTable {
        ResultTable::of_batch(RecordBatch::try_from_iter(columns).expect("columns of one length"))
    }

    /// The table without the columns `keep` refuses.
    pub fn project(&self, keep: impl Fn(&str) -> bool) -> ResultTable {
        let indices: Vec<usize> = (0..self.schema.fields().len())
            .filter(|&i| keep(self.schema.field(i).name()))
            .collect();
        ResultTable {
            schema: Arc::new(
                self.schema
                    .project(&indices)
                    .expect("indices of the schema"),
            ),
            batches: self
                .batches
                .iter()
                .map(|b| b.project(&indices).expect("indices of the schema"))
                .collect(),
        }
    }

    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }

    /// Every cell as text: nulls empty, booleans `true`/`false`, dates `YYYY-MM-DD`.
    pub fn text_rows(&self) -> Result<Vec<Vec<String>>, Error> {
        let options = FormatOptions::default().with_null("");
        let mut rows = Vec::with_capacity(self.num_rows());
        for batch in &self.batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::computing("formatting a result", e))?;
            for i in 0..batch.num_rows() {
                rows.push(formatters.iter().map(|f| f.value(i).to_string()).collect());
            }
        }
        Ok(rows)
    }

    fn names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }
}

/// A text column; `None` is null.
pub fn text_column<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

/// A column of counts.
pub fn count_column(values: impl IntoIterator<Item = u64>) -> ArrayRef {
    Arc::new(
        values
            .into_iter()
            .map(|n| Some(n as i64))
            .collect::<Int64Array>(),
    )
}

/// CSV with a header row; rates as fractions, nulls empty.
pub fn to_csv(table: &ResultTable) -> Result<Vec<u8>, Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| Error::writing("CSV", e);
    writer.write_record(table.names()).map_err(csv_error)?;
    for row in table.text_rows()? {
        writer.write_record(row).map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::writing("CSV", e.to_string()))
}

/// A JSON array of objects, one per row, keys in column order.
pub fn to_json(table: &ResultTable) -> Result<Vec<u8>, Error> {
    let mut text = serde_json::to_vec_pretty(&json_rows(table)).expect("JSON values serialize");
    text.push(b'\n');
    Ok(text)
}

/// The rows of a table as JSON objects, keys in column order.
pub fn json_rows(table: &ResultTable) -> Value {
    let names = table.names();
    let mut rows = Vec::with_capacity(table.num_rows());
    for batch in &table.batches {
        for i in 0..batch.num_rows() {
            let mut object = Map::new();
            for (name, column) in names.iter().zip(batch.columns()) {
                object.insert(name.clone(), json_value(column.as_ref(), i));
            }
            rows.push(Value::Object(object));
        }
    }
    Value::Array(rows)
}

fn json_value(array: &dyn Array, i: usize) -> Value {
    if array.is_null(i) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Utf8 => Value::from(array.as_string::<i32>().value(i)),
        DataType::Utf8View => Value::from(array.as_string_view().value(i)),
        DataType::Int64 => Value::from(array.as_primitive::<Int64Type>().value(i)),
        DataType::Float64 => {
            serde_json::Number::from_f64(array.as_primitive::<Float64Type>().value(i))
                .map_or(Value::Null, Value::Number)
        }
        DataType::Boolean => Value::from(array.as_boolean().value(i)),
        DataType::Date32 => Value::from(
            date_of(array.as_primitive::<Date32Type>().value(i))
                .format("%Y-%m-%d")
                .to_string(),
        ),
        _ => {
            let options = FormatOptions::default();
            ArrayFormatter::try_new(array, &options)
                .map(|f| Value::from(f.value(i).to_string()))
                .unwrap_or(Value::Null)
        }
    }
}

/// An aligned text table for a terminal: Hangul counts double width, numbers right-aligned.
pub fn to_text_table(table: &ResultTable) -> Result<Vec<u8>, Error> {
    let names = table.names();
    let rows = table.text_rows()?;
    let numeric: Vec<bool> = table
        .schema
        .fields()
        .iter()
        .map(|f| f.data_type().is_numeric())
        .collect();
    let mut widths: Vec<usize> = names.iter().map(|n| n.width()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let fill = " ".repeat(widths[i] - c.width());
                if numeric[i] {
                    format!("{fill}{c}")
                } else {
                    format!("{c}{fill}")
                }
            })
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&names, &mut out);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&rule, &mut out);
    for row in &rows {
        line(row, &mut out);
    }
    Ok(out.into_bytes())
}

/// A fixed creation time so that the same table gives the same bytes.
fn fixed_creation_time() -> ExcelDateTime {
    ExcelDateTime::from_ymd(2000, 1, 1).expect("a valid date")
}

/// One sheet named `sheet`: header row, numbers as numbers, dates as dates.
pub fn to_xlsx(table: &ResultTable, sheet: &str) -> Result<Vec<u8>, Error> {
    to_xlsx_sheets(&[Sheet {
        name: sheet,
        table,
        numbers_as_text: &[],
    }])
}

/// A result table as a sheet of a workbook.
pub struct Sheet<'a> {
    pub name: &'a str,
    pub table: &'a ResultTable,
    /// Text columns whose cells are written as numbers where they read as one (values of
    /// several figures in one column).
    pub numbers_as_text: &'a [&'a str],
}

/// A workbook of several sheets, each as [`to_xlsx`] writes one.
pub fn to_xlsx_sheets(sheets: &[Sheet]) -> Result<Vec<u8>, Error> {
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &rust_xlsxwriter::DocProperties::new().set_creation_datetime(&fixed_creation_time()),
    );
    for sheet in sheets {
        write_sheet(workbook.add_worksheet(), sheet)?;
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::writing("XLSX", e)
}

fn write_sheet(worksheet: &mut rust_xlsxwriter::Worksheet, sheet: &Sheet) -> Result<(), Error> {
    let xlsx = xlsx_error;
    let table = sheet.table;
    worksheet.set_name(sheet.name).map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let names = table.names();
    for (c, name) in names.iter().enumerate() {
        worksheet
            .write_string_with_format(0, c as u16, name, &bold)
            .map_err(xlsx)?;
    }
    let numeric: Vec<bool> = names
        .iter()
        .map(|n| sheet.numbers_as_text.contains(&n.as_str()))
        .collect();
    let mut r = 1u32;
    for batch in &table.batches {
        for i in 0..batch.num_rows() {
            for (c, column) in batch.columns().iter().enumerate() {
                let as_number = numeric[c];
                let c = c as u16;
                if column.is_null(i) {
                    continue;
                }
                match column.data_type() {
                    DataType::Int64 => {
                        let n = column.as_primitive::<Int64Type>().value(i);
                        worksheet.write_number(r, c, n as f64).map_err(xlsx)?;
                    }
                    DataType::Float64 => {
                        let x = column.as_primitive::<Float64Type>().value(i);
                        worksheet.write_number(r, c, x).map_err(xlsx)?;
                    }
                    DataType::Boolean => {
                        let b = column.as_boolean().value(i);
                        worksheet.write_boolean(r, c, b).map_err(xlsx)?;
                    }
                    DataType::Date32 => {
                        let d = date_of(column.as_primitive::<Date32Type>().value(i));
                        let excel = excel_date(d).map_err(xlsx)?;
                        worksheet
                            .write_datetime_with_format(r, c, excel, &date)
                            .map_err(xlsx)?;
                    }
                    _ => {
                        let text =
                            ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())
                                .map_err(|e| Error::computing("formatting a result", e))?
                                .value(i)
                                .to_string();
                        match text.parse::<f64>() {
                            Ok(x) if as_number && x.is_finite() => {
                                worksheet.write_number(r, c, x).map_err(xlsx)?;
                            }
                            _ => {
                                worksheet.write_string(r, c, text).map_err(xlsx)?;
                            }
                        }
                    }
                }
            }
            r += 1;
        }
    }
    worksheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    worksheet.autofit();
    Ok(())
}

pub fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, rust_xlsxwriter::XlsxError> {
    use chrono::Datelike;
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// A Parquet file (ZSTD-compressed) of the table.
pub fn to_parquet(table: &ResultTable) -> Result<Vec<u8>, Error> {
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;
    let parquet_error = |e: parquet::errors::ParquetError| Error::writing("Parquet", e);
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by(concat!("hubstat ", env!("CARGO_PKG_VERSION")).to_string())
        .build();
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, table.schema.clone(), Some(properties))
        .map_err(parquet_error)?;
    for batch in &table.batches {
        writer.write(batch).map_err(parquet_error)?;
    }
    writer.close().map_err(parquet_error)?;
    Ok(buffer)
}

/// A temporary file in `folder`, to be renamed into place when complete. It is created with
/// mode 0666 less the umask, as every other tool's output is, not tempfile's private 0600.
pub fn temp_file_in(folder: &Path, suffix: &str) -> Result<tempfile::NamedTempFile, Error> {
    temp_file_with_mode(folder, suffix, 0o666)
}

/// A temporary file in `folder` created with `mode` less the umask.
fn temp_file_with_mode(
    folder: &Path,
    suffix: &str,
    mode: u32,
) -> Result<tempfile::NamedTempFile, Error> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".hubstat-").suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder
        .tempfile_in(folder)
        .map_err(|e| Error::io(folder, e))
}

/// Writes `bytes` to what `path` is. A regular file (or a new one) is written through a
/// temporary file in its folder and a rename, so that a failure or a kill never leaves a
/// half-written file; through a symlink, its target is replaced so, in the target's folder,
/// and the link stays. A named pipe, a device or a file of `/dev` or `/proc` (`/dev/stdout`)
/// is written directly: its reader is waiting for the bytes, and a rename would hide them.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_with_mode(path, bytes, 0o666)
}

/// [`write_atomically`] for a file only its owner may read (mode 0600): true values of
/// cells a report withholds.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_with_mode(path, bytes, 0o600)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    match destination(path)? {
        Destination::Direct(target) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(|e| Error::io(path, e))?;
            file.write_all(bytes)
                .and_then(|()| file.flush())
                .map_err(|e| Error::io(path, e))
        }
        Destination::Replace(target) => {
            let folder = match target.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let mut temp = temp_file_with_mode(folder, ".tmp", mode)?;
            temp.write_all(bytes).map_err(|e| Error::io(path, e))?;
            temp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
            temp.persist(&target)
                .map_err(|e| Error::io(&target, e.error))?;
            Ok(())
        }
    }
}

/// How an output path is written.
enum Destination {
    /// Opened and written in place.
    Direct(std::path::PathBuf),
    /// A regular file, new or replaced whole.
    Replace(std::path::PathBuf),
}

/// What `path` names once its symlinks are followed (a dangling one names the file it
/// would make).
fn destination(path: &Path) -> Result<Destination, Error> {
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        if target.starts_with("/dev") || target.starts_with("/proc") {
            return Ok(Destination::Direct(target));
        }
        let meta = match std::fs::symlink_metadata(&target) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Destination::Replace(target));
            }
            Err(e) => return Err(Error::io(path, e)),
        };
        if meta.file_type().is_symlink() {
            let link = std::fs::read_link(&target).map_err(|e| Error::io(&target, e))?;
            target = match target.parent() {
                Some(folder) => folder.join(link),
                None => link,
            };
            continue;
        }
        if meta.is_dir() {
            return Err(Error::input(path, "a folder, not a file to write"));
        }
        return Ok(if meta.is_file() {
            Destination::Replace(target)
        } else {
            Destination::Direct(target)
        });
    }
    Err(Error::input(path, "too many levels of symbolic links"))
}
