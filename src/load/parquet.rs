//! Takes a Parquet file and gives its column names and each row with its index from 1.

use std::fs::File;
use std::path::Path;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::RowSink;
use crate::check::Cell;
use crate::diagnostics::Error;

const BATCH_ROWS: usize = 8192;

/// A Parquet column brought to one of the types a cell can hold.
enum Column {
    Text(StringArray),
    Int(Int64Array),
    Float(Float64Array),
    Date(Date32Array),
    Bool(BooleanArray),
}

impl Column {
    fn new(array: &ArrayRef) -> Result<Column, String> {
        let to = |t: DataType| cast(array, &t).map_err(|e| e.to_string());
        Ok(match array.data_type() {
            DataType::Boolean => Column::Bool(array.as_boolean().clone()),
            t if t.is_integer() => {
                Column::Int(to(DataType::Int64)?.as_primitive::<Int64Type>().clone())
            }
            t if t.is_floating()
                || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..)) =>
            {
                Column::Float(to(DataType::Float64)?.as_primitive::<Float64Type>().clone())
            }
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => {
                Column::Date(to(DataType::Date32)?.as_primitive::<Date32Type>().clone())
            }
            _ => Column::Text(to(DataType::Utf8)?.as_string::<i32>().clone()),
        })
    }

    fn cell(&self, i: usize) -> Cell<'_> {
        let array: &dyn Array = match self {
            Column::Text(a) => a,
            Column::Int(a) => a,
            Column::Float(a) => a,
            Column::Date(a) => a,
            Column::Bool(a) => a,
        };
        if array.is_null(i) {
            return Cell::Empty;
        }
        match self {
            Column::Text(a) if a.value(i).is_empty() => Cell::Empty,
            Column::Text(a) => Cell::Text(a.value(i)),
            Column::Int(a) => Cell::Int(a.value(i)),
            Column::Float(a) => Cell::Float(a.value(i)),
            Column::Date(a) => Cell::Date(a.value(i)),
            Column::Bool(a) => Cell::Bool(a.value(i)),
        }
    }
}

pub fn read(path: &Path, sink: &mut dyn RowSink) -> Result<(), Error> {
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
    let mut row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| invalid(&e))?;
        let columns = batch
            .columns()
            .iter()
            .zip(batch.schema().fields())
            .map(|(a, f)| {
                Column::new(a).map_err(|e| {
                    Error::input(path, format!("column `{}` cannot be read: {e}", f.name()))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for i in 0..batch.num_rows() {
            row += 1;
            let cells: Vec<Cell> = columns.iter().map(|c| c.cell(i)).collect();
            sink.row(row, &cells);
        }
    }
    Ok(())
}
