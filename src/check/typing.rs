//! Takes one column of raw rows and its contract column and gives it typed, as an Arrow
//! array with the cells that broke the column's rules (control characters, required, type,
//! code, category) marked and reported.

use std::borrow::Cow;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Date32Builder, DictionaryArray, Float64Builder, Int8Array, Int64Builder,
    StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Int8Type};

use super::findings::Findings;
use super::raw::{Marks, RawColumn};
use super::{Cell, Value, control_character, typed};
use crate::contract::{Column, Kind};

/// Categories are dictionary-encoded: a byte a row instead of the text, for the tens of
/// millions of rows of a national export.
pub fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::Category(_) => {
            DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8))
        }
        Kind::Text | Kind::Code(_) => DataType::Utf8,
        Kind::Date => DataType::Date32,
        Kind::Integer | Kind::Count => DataType::Int64,
        Kind::Amount => DataType::Float64,
    }
}

/// A column typed: null where the cell was empty or broke a rule.
pub struct TypedColumn {
    pub array: ArrayRef,
    /// Rows whose cell broke a rule (reported already), told apart from empty ones.
    pub broken: Vec<bool>,
}

impl TypedColumn {
    /// Empty, not broken.
    pub fn is_null(&self, i: usize) -> bool {
        self.array.is_null(i) && !self.broken[i]
    }

    pub fn text(&self, i: usize) -> Option<&str> {
        if self.array.is_null(i) {
            return None;
        }
        match self.array.data_type() {
            DataType::Utf8 => Some(
                self.array
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("Utf8")
                    .value(i),
            ),
            DataType::Dictionary(..) => {
                let dictionary = self
                    .array
                    .as_any()
                    .downcast_ref::<DictionaryArray<Int8Type>>()
                    .expect("categories");
                let values = dictionary
                    .values()
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("Utf8 values");
                Some(values.value(dictionary.keys().value(i) as usize))
            }
            _ => None,
        }
    }

    pub fn date(&self, i: usize) -> Option<i32> {
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::Date32Type;
        (self.array.data_type() == &DataType::Date32 && !self.array.is_null(i))
            .then(|| self.array.as_primitive::<Date32Type>().value(i))
    }
}

/// Gives a cell its column's type, or the rule it breaks and the value to show.
fn check_cell<'c>(
    column: &Column,
    cell: &'c Cell<'c>,
    marks: Marks,
) -> Result<Value<'c>, ((&'static str, String), Cow<'c, str>)> {
    if marks.control
        && let Some(broken) = control_character(cell)
    {
        return Err((broken, cell.text()));
    }
    if cell.is_null() {
        return if column.required {
            Err((("required", String::new()), Cow::Borrowed("")))
        } else {
            Ok(Value::Null)
        };
    }
    if marks.replacement
        && let Cell::Text(s) = cell
        && s.contains('\u{FFFD}')
    {
        return Err((
            ("encoding", "bytes that are neither UTF-8 nor CP949".into()),
            cell.text(),
        ));
    }
    typed(column.kind, cell).map_err(|broken| (broken, cell.text()))
}

/// Where a typed column's values go: one builder per Arrow type.
enum Builder {
    Text(StringBuilder),
    Category(Vec<Option<i8>>, &'static [&'static str]),
    Date(Date32Builder),
    Int(Int64Builder),
    Float(Float64Builder),
}

impl Builder {
    fn new(kind: Kind, rows: usize) -> Builder {
        match kind {
            Kind::Text | Kind::Code(_) => Builder::Text(StringBuilder::with_capacity(rows, 0)),
            Kind::Category(values) => Builder::Category(Vec::with_capacity(rows), values),
            Kind::Date => Builder::Date(Date32Builder::with_capacity(rows)),
            Kind::Integer | Kind::Count => Builder::Int(Int64Builder::with_capacity(rows)),
            Kind::Amount => Builder::Float(Float64Builder::with_capacity(rows)),
        }
    }

    fn append(&mut self, value: &Value) {
        match (self, value) {
            (Builder::Text(b), Value::Text(s)) => b.append_value(s),
            (Builder::Category(keys, _), Value::Category(k)) => keys.push(Some(*k)),
            (Builder::Date(b), Value::Date(d)) => b.append_value(*d),
            (Builder::Int(b), Value::Int(n)) => b.append_value(*n),
            (Builder::Float(b), Value::Float(x)) => b.append_value(*x),
            (builder, _) => builder.append_null(),
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Text(b) => b.append_null(),
            Builder::Category(keys, _) => keys.push(None),
            Builder::Date(b) => b.append_null(),
            Builder::Int(b) => b.append_null(),
            Builder::Float(b) => b.append_null(),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            Builder::Text(mut b) => Arc::new(b.finish()),
            // Every category's values in the contract's order, whichever rows hold them.
            Builder::Category(keys, values) => Arc::new(
                DictionaryArray::<Int8Type>::try_new(
                    Int8Array::from(keys),
                    Arc::new(StringArray::from(values.to_vec())),
                )
                .expect("keys index the category's values"),
            ),
            Builder::Date(mut b) => Arc::new(b.finish()),
            Builder::Int(mut b) => Arc::new(b.finish()),
            Builder::Float(mut b) => Arc::new(b.finish()),
        }
    }
}

/// Types one contract column over every row; `raw` is `None` when the file lacks the
/// (optional) column.
pub fn type_column(
    column: &'static Column,
    raw: Option<&RawColumn>,
    rows: usize,
    marks: Marks,
    findings: &mut Findings,
) -> TypedColumn {
    let mut builder = Builder::new(column.kind, rows);
    let mut broken = vec![false; rows];
    for (i, broken) in broken.iter_mut().enumerate() {
        let cell = raw.map_or(Cell::Empty, |r| r.cell(i));
        match check_cell(column, &cell, marks) {
            Ok(value) => builder.append(&value),
            Err((rule, value)) => {
                findings.reject(i, column.name, rule, &value);
                *broken = true;
                builder.append_null();
            }
        }
    }
    TypedColumn {
        array: builder.finish(),
        broken,
    }
}

/// A column the contract does not name, kept as text: its control characters are reported.
pub fn extra_column(
    name: &str,
    raw: &RawColumn,
    rows: usize,
    marks: Marks,
    findings: &mut Findings,
) -> ArrayRef {
    let mut builder = StringBuilder::with_capacity(rows, 0);
    for i in 0..rows {
        let cell = raw.cell(i);
        if marks.control
            && let Some(broken) = control_character(&cell)
        {
            findings.reject(i, name, broken, &cell.text());
        }
        if cell.is_null() {
            builder.append_null();
        } else {
            builder.append_value(cell.text());
        }
    }
    Arc::new(builder.finish())
}
