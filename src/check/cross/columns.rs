//! Takes a batch of a stored table and gives the columns the rules across tables read of it,
//! found once per batch: the lines, the foreign keys, the keys children refer to, a parent
//! row's life, an event's date and 읍면동, an assignment's parent and dates.

use datafusion::arrow::array::{Array, AsArray, Date32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{Date32Type, Int64Type};

use crate::check::{LINE_COLUMN, parent_key_columns};
use crate::contract::{ForeignKey, Table, Within};

/// The table and column a foreign key column of `spec` looks its values up in.
pub(super) fn parent_of(spec: &Table, column: &str) -> Option<(&'static str, &'static str)> {
    let fk = spec.foreign_keys.iter().find(|fk| fk.column == column)?;
    let (table, columns) = fk.references.columns();
    Some((table, columns[0]))
}

/// The columns the rules across tables read of `spec`.
pub(super) fn needed_columns(spec: &Table) -> Vec<&'static str> {
    let mut columns: Vec<&'static str> = spec.foreign_keys.iter().map(|f| f.column).collect();
    columns.extend(parent_key_columns(spec));
    if let Some(life) = &spec.life {
        columns.extend([life.from, life.to]);
    }
    if let Some(event) = &spec.event {
        columns.push(event.date);
        columns.extend(event.emd);
    }
    if let Some(within) = &spec.within {
        columns.extend([within.reference, within.from, within.to]);
    }
    columns.sort_unstable();
    columns.dedup();
    columns
}

pub(super) fn text_at(array: &StringArray, i: usize) -> Option<&str> {
    (!array.is_null(i)).then(|| array.value(i))
}

pub(super) fn date_at(array: &Date32Array, i: usize) -> Option<i32> {
    (!array.is_null(i)).then(|| array.value(i))
}

fn texts<'b>(batch: &'b RecordBatch, column: &str) -> Option<&'b StringArray> {
    batch.column_by_name(column).map(|a| a.as_string::<i32>())
}

pub(super) fn dates<'b>(batch: &'b RecordBatch, column: &str) -> Option<&'b Date32Array> {
    batch
        .column_by_name(column)
        .map(|a| a.as_primitive::<Date32Type>())
}

/// The columns the rules read, found in a batch once rather than by name for every row. A
/// batch of rejected rows has only the line and the foreign keys.
pub(super) struct Columns<'b> {
    pub(super) lines: &'b Int64Array,
    pub(super) references: Vec<(&'static ForeignKey, &'b StringArray)>,
    pub(super) parent_keys: Vec<(&'static str, &'b StringArray)>,
    pub(super) span: Option<(&'b Date32Array, &'b Date32Array)>,
    pub(super) event: Option<EventColumns<'b>>,
    pub(super) assignment: Option<AssignmentColumns<'b>>,
}

/// An event's date and 읍면동, with their column names and where the 읍면동 is looked up.
pub(super) struct EventColumns<'b> {
    pub(super) date_column: &'static str,
    pub(super) dates: &'b Date32Array,
    pub(super) emd_column: &'static str,
    pub(super) codes: &'b StringArray,
    pub(super) parent: (&'static str, &'static str),
}

/// An assignment's parent (where it is looked up), start and end.
pub(super) struct AssignmentColumns<'b> {
    pub(super) within: &'static Within,
    pub(super) parent: (&'static str, &'static str),
    pub(super) references: &'b StringArray,
    pub(super) from: &'b Date32Array,
    pub(super) to: &'b Date32Array,
}

impl<'b> Columns<'b> {
    pub(super) fn of(spec: &'static Table, batch: &'b RecordBatch) -> Columns<'b> {
        let lines = batch
            .column_by_name(LINE_COLUMN)
            .expect("the scan gives the line column")
            .as_primitive::<Int64Type>();
        let event = spec.event.as_ref().and_then(|e| {
            let emd = e.emd?;
            Some(EventColumns {
                date_column: e.date,
                dates: dates(batch, e.date)?,
                emd_column: emd,
                codes: texts(batch, emd)?,
                parent: parent_of(spec, emd)?,
            })
        });
        let assignment = spec.within.as_ref().and_then(|w| {
            Some(AssignmentColumns {
                within: w,
                parent: parent_of(spec, w.reference)?,
                references: texts(batch, w.reference)?,
                from: dates(batch, w.from)?,
                to: dates(batch, w.to)?,
            })
        });
        Columns {
            lines,
            references: spec
                .foreign_keys
                .iter()
                .filter_map(|fk| Some((fk, texts(batch, fk.column)?)))
                .collect(),
            parent_keys: parent_key_columns(spec)
                .into_iter()
                .filter_map(|c| Some((c, texts(batch, c)?)))
                .collect(),
            span: spec
                .life
                .as_ref()
                .and_then(|life| Some((dates(batch, life.from)?, dates(batch, life.to)?))),
            event,
            assignment,
        }
    }

    pub(super) fn line(&self, i: usize) -> u64 {
        self.lines.value(i) as u64
    }
}
