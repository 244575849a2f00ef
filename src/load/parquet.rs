//! Takes a Parquet file and gives its column names and each row with its index from 1.

use std::fs::File;
use std::path::Path;

use datafusion::arrow::array::temporal_conversions::{as_datetime, as_datetime_with_timezone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::Checker;
use crate::check::Cell;
use crate::check::raw::{Marks, RawColumn, RawRows};
use crate::diagnostics::Error;
use crate::period::days;

const BATCH_ROWS: usize = 64 * 1024;

/// A Parquet column brought to one of the types a cell can hold.
enum Typed {
    Text(StringArray),
    Int(Int64Array),
    Float(Float64Array),
    Date(Date32Array),
    Bool(BooleanArray),
    /// Any other type, as Arrow displays it (times, durations, lists, structs...), or bytes
    /// taken as UTF-8 with invalid sequences marked, for the checks to name.
    Shown(Vec<Option<String>>),
}

/// A column of one batch: its values in a cell type, and the values a cast could not carry
/// over (an unsigned number past i64, a timestamp past Date32) as they were written, so that
/// a value is checked as itself and never silently becomes null.
struct Column {
    typed: Typed,
    lost: Option<Vec<Option<String>>>,
}

impl Column {
    /// Never fails on a type.
    fn new(array: &ArrayRef) -> Column {
        let to = |t: DataType| cast(array, &t).ok();
        let typed = match array.data_type() {
            DataType::Boolean => Some(Typed::Bool(array.as_boolean().clone())),
            t if t.is_integer() => {
                to(DataType::Int64).map(|c| Typed::Int(c.as_primitive::<Int64Type>().clone()))
            }
            t if t.is_floating()
                || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..)) =>
            {
                to(DataType::Float64).map(|c| Typed::Float(c.as_primitive::<Float64Type>().clone()))
            }
            DataType::Date32 | DataType::Date64 => {
                to(DataType::Date32).map(|c| Typed::Date(c.as_primitive::<Date32Type>().clone()))
            }
            DataType::Timestamp(unit, zone) => {
                local_days(array, *unit, zone.as_deref()).map(Typed::Date)
            }
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
                Some(Typed::Shown(bytes_as_text(array)))
            }
            DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Dictionary(..) => {
                to(DataType::Utf8).map(|c| Typed::Text(c.as_string::<i32>().clone()))
            }
            _ => None,
        };
        let Some(typed) = typed else {
            return Column {
                typed: Typed::Shown(shown(array)),
                lost: None,
            };
        };
        let nulls = match &typed {
            Typed::Text(a) => a.null_count(),
            Typed::Int(a) => a.null_count(),
            Typed::Float(a) => a.null_count(),
            Typed::Date(a) => a.null_count(),
            Typed::Bool(a) => a.null_count(),
            Typed::Shown(_) => array.null_count(),
        };
        let lost = (nulls != array.null_count()).then(|| shown(array));
        Column { typed, lost }
    }

    fn cell(&self, i: usize) -> Cell<'_> {
        let array: &dyn Array = match &self.typed {
            Typed::Text(a) => a,
            Typed::Int(a) => a,
            Typed::Float(a) => a,
            Typed::Date(a) => a,
            Typed::Bool(a) => a,
            Typed::Shown(values) => return shown_cell(values, i),
        };
        if array.is_null(i) {
            return match &self.lost {
                Some(values) => shown_cell(values, i),
                None => Cell::Empty,
            };
        }
        match &self.typed {
            Typed::Text(a) if a.value(i).is_empty() => Cell::Empty,
            Typed::Text(a) => Cell::Text(a.value(i)),
            Typed::Int(a) => Cell::Int(a.value(i)),
            Typed::Float(a) => Cell::Float(a.value(i)),
            Typed::Date(a) => Cell::Date(a.value(i)),
            Typed::Bool(a) => Cell::Bool(a.value(i)),
            Typed::Shown(_) => unreachable!("returned above"),
        }
    }
}

/// The day of each timestamp where it was taken: in its own zone when it has one (a Korean
/// system's midnight is the day before in UTC), as written when it has none.
fn local_days(array: &ArrayRef, unit: TimeUnit, zone: Option<&str>) -> Option<Date32Array> {
    let zone: Option<Tz> = match zone {
        Some(z) => Some(z.parse().ok()?),
        None => None,
    };
    let values = cast(array, &DataType::Int64).ok()?;
    let values = values.as_primitive::<Int64Type>();
    let day = |v: i64| -> Option<i32> {
        let date = match (unit, zone) {
            (TimeUnit::Second, Some(tz)) => {
                as_datetime_with_timezone::<TimestampSecondType>(v, tz).map(|t| t.date_naive())
            }
            (TimeUnit::Millisecond, Some(tz)) => {
                as_datetime_with_timezone::<TimestampMillisecondType>(v, tz).map(|t| t.date_naive())
            }
            (TimeUnit::Microsecond, Some(tz)) => {
                as_datetime_with_timezone::<TimestampMicrosecondType>(v, tz).map(|t| t.date_naive())
            }
            (TimeUnit::Nanosecond, Some(tz)) => {
                as_datetime_with_timezone::<TimestampNanosecondType>(v, tz).map(|t| t.date_naive())
            }
            (TimeUnit::Second, None) => as_datetime::<TimestampSecondType>(v).map(|t| t.date()),
            (TimeUnit::Millisecond, None) => {
                as_datetime::<TimestampMillisecondType>(v).map(|t| t.date())
            }
            (TimeUnit::Microsecond, None) => {
                as_datetime::<TimestampMicrosecondType>(v).map(|t| t.date())
            }
            (TimeUnit::Nanosecond, None) => {
                as_datetime::<TimestampNanosecondType>(v).map(|t| t.date())
            }
        }?;
        Some(days(date))
    };
    Some(values.iter().map(|v| v.and_then(day)).collect())
}

fn shown_cell(values: &[Option<String>], i: usize) -> Cell<'_> {
    match values[i].as_deref() {
        None | Some("") => Cell::Empty,
        Some(text) => Cell::Text(text),
    }
}

fn bytes_as_text(array: &ArrayRef) -> Vec<Option<String>> {
    let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
    match array.data_type() {
        DataType::Binary => array.as_binary::<i32>().iter().map(text).collect(),
        DataType::LargeBinary => array.as_binary::<i64>().iter().map(text).collect(),
        _ => array.as_binary_view().iter().map(text).collect(),
    }
}

/// Each value as Arrow writes it; a value past the range of its own type (a timestamp no
/// calendar holds) as its stored number; a type Arrow cannot write, by the type's name.
fn shown(array: &ArrayRef) -> Vec<Option<String>> {
    let options = FormatOptions::default().with_display_error(false);
    let raw = cast(array, &DataType::Int64).ok();
    match ArrayFormatter::try_new(array.as_ref(), &options) {
        Ok(formatter) => (0..array.len())
            .map(|i| {
                (!array.is_null(i)).then(|| match formatter.value(i).try_to_string() {
                    Ok(text) => text,
                    Err(_) => raw
                        .as_ref()
                        .filter(|r| !r.is_null(i))
                        .map_or_else(String::new, |r| {
                            r.as_primitive::<Int64Type>().value(i).to_string()
                        }),
                })
            })
            .collect(),
        Err(_) => {
            let name = format!("({})", array.data_type());
            (0..array.len())
                .map(|i| (!array.is_null(i)).then(|| name.clone()))
                .collect()
        }
    }
}

pub fn read(path: &Path, sink: &mut Checker) -> Result<(), Error> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let invalid =
        |e: &dyn std::fmt::Display| Error::input(path, format!("not a valid Parquet file: {e}"));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| invalid(&e))?;
    let names = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    sink.header(names)?;
    let reader = builder
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| invalid(&e))?;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| invalid(&e))?;
        let count = batch.num_rows();
        let columns: Vec<Column> = batch.columns().iter().map(Column::new).collect();
        let raw = RawRows {
            lines: (rows + 1..=rows + count as u64).collect(),
            columns: columns
                .iter()
                .map(|c| RawColumn::Cells((0..count).map(|i| c.cell(i)).collect()))
                .collect(),
            misfits: Vec::new(),
            marks: Marks::ANY,
        };
        sink.rows(&raw)?;
        rows += count as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::TimestampMillisecondArray;

    use super::*;
    use crate::period::parse_date;

    #[test]
    fn a_timestamp_is_the_day_of_its_own_zone_and_a_lost_one_stays_a_value() {
        // 2020-07-01 00:00 in Seoul is 2020-06-30 15:00 UTC.
        let array: ArrayRef = Arc::new(
            TimestampMillisecondArray::from(vec![1_593_529_200_000, i64::MAX])
                .with_timezone("+09:00"),
        );
        let column = Column::new(&array);
        assert_eq!(
            column.cell(0),
            Cell::Date(parse_date("2020-07-01").unwrap())
        );
        assert_eq!(column.cell(1), Cell::Text("9223372036854775807"));
    }
}
