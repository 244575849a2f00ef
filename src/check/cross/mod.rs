//! Takes the rows of every table that kept their own table's rules and gives the rules across
//! tables: `foreign key` and `parent rejected` (rows then rejected, all the way down), and
//! the warnings `region not valid on date`, `outside team life` and `future date`.
//!
//! It reads only the columns those rules need, a batch at a time, so that it runs the same
//! over rows in memory and over the store's Parquet tables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use datafusion::arrow::array::RecordBatch;

use super::known::{Known, ParentKey, Span};
use super::{LINE_COLUMN, Problem, Severity, parent_key_columns};
use crate::contract::{ForeignKey, Table};
use crate::diagnostics::Error;
use crate::side_by_side::side_by_side;

mod columns;
pub mod succession;
mod warnings;

use columns::{Columns, date_at, needed_columns, text_at};
pub use warnings::future_dates;
use warnings::warnings;

/// The checked rows of one table, as the rules across tables read them.
pub trait StagedRows {
    fn spec(&self) -> &'static Table;
    /// The file the rows came from, as problems name it.
    fn file(&self) -> &str;
    /// Column → the values of that column in rows rejected by their table's own rules.
    fn rejected_keys(&self) -> &BTreeMap<String, BTreeSet<String>>;
    /// Lines of rows handed over by [`StagedRows::scan`] that repeat an earlier row's unique
    /// key: rejected by their own table's rules, sorted.
    fn duplicates(&self) -> &[u64];
    /// Hands `columns` and the line column over, a batch at a time.
    fn scan(&self, columns: &[&str], each: &mut dyn FnMut(&RecordBatch)) -> Result<(), Error>;
    /// Hands over the foreign-key columns and the line column of the rows rejected by their
    /// table's own rules, a batch at a time.
    fn scan_rejected(&self, each: &mut dyn FnMut(&RecordBatch)) -> Result<(), Error>;
}

/// The column of a rejected row's unique key, as [`super::keys::key_text`] writes it.
pub const KEY_COLUMN: &str = "_key";

/// The columns of the foreign keys of rows rejected by their own rules, as kept for
/// [`StagedRows::scan_rejected`]: the line, then each foreign key's column, as text, then
/// the row's unique key.
pub fn rejected_schema(spec: &Table) -> datafusion::arrow::datatypes::SchemaRef {
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let mut fields = vec![Field::new(LINE_COLUMN, DataType::Int64, false)];
    fields.extend(
        spec.foreign_keys
            .iter()
            .map(|fk| Field::new(fk.column, DataType::Utf8, true)),
    );
    fields.push(Field::new(KEY_COLUMN, DataType::Utf8, true));
    std::sync::Arc::new(Schema::new(fields))
}

/// What the rules across tables found in one table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrossChecked {
    /// Errors and warnings, in the order of the lines they name.
    pub problems: Vec<Problem>,
    /// Lines of the rows rejected, sorted.
    pub excluded: Vec<u64>,
}

/// Runs the rules across tables over `tables`, given in the contract's order (parents before
/// their children). Gives one result per table, in the same order.
///
/// The tables children refer to are checked first, one after another, each noting its keys;
/// the rest, which only look keys up, are then checked side by side.
pub fn check(tables: &[&(dyn StagedRows + Sync)]) -> Result<Vec<CrossChecked>, Error> {
    let mut known = Known::default();
    let mut results: Vec<Option<CrossChecked>> = vec![None; tables.len()];
    let (parents, leaves): (Vec<usize>, Vec<usize>) =
        (0..tables.len()).partition(|i| !parent_key_columns(tables[*i].spec()).is_empty());
    for i in parents {
        let (result, notes) = check_table(tables[i], &known)?;
        for (column, value, span) in notes {
            known.note(tables[i].spec().name, column, &value, span);
        }
        results[i] = Some(result);
    }
    let file = tables.first().map_or("", |t| t.file());
    let checked = side_by_side(&leaves, Path::new(file), |i| {
        Ok(check_table(tables[*i], &known)?.0)
    })?;
    for (i, result) in leaves.into_iter().zip(checked) {
        results[i] = Some(result);
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every table checked"))
        .collect())
}

/// A key a checked table gives its children: column, value, and the span of the accepted
/// row with it (`None` when every row with it was rejected).
type Note = (&'static str, String, Option<Span>);

fn check_table(rows: &dyn StagedRows, known: &Known) -> Result<(CrossChecked, Vec<Note>), Error> {
    let spec = rows.spec();
    let columns = needed_columns(spec);
    let parent_keys = parent_key_columns(spec);
    let mut result = CrossChecked::default();
    let mut notes: Vec<Note> = Vec::new();
    let file = rows.file().to_string();
    let mut note = |severity, line: u64, column: &str, rule: &str, detail: String, value: &str| {
        result.problems.push(Problem {
            severity,
            file: file.clone(),
            line,
            column: column.to_string(),
            rule: rule.to_string(),
            detail,
            value: value.to_string(),
        });
    };
    let mut excluded = Vec::new();
    let duplicates = rows.duplicates();
    rows.scan(&columns, &mut |batch| {
        let columns = Columns::of(spec, batch);
        for i in 0..batch.num_rows() {
            let line = columns.line(i);
            if !duplicates.is_empty() && duplicates.binary_search(&line).is_ok() {
                // Rejected by its own table's rules: as a row of `scan_rejected`.
                references_held(known, &columns, i, line, &mut note);
                for (column, values) in &columns.parent_keys {
                    if let Some(value) = text_at(values, i) {
                        notes.push((column, value.to_string(), None));
                    }
                }
                continue;
            }
            let ok = references_held(known, &columns, i, line, &mut note);
            if ok {
                warnings(known, &columns, i, line, &mut note);
            } else {
                excluded.push(line);
            }
            let span: Option<Span> = ok.then(|| {
                columns.span.map_or((None, None), |(from, to)| {
                    (date_at(from, i), date_at(to, i))
                })
            });
            for (column, values) in &columns.parent_keys {
                if let Some(value) = text_at(values, i) {
                    notes.push((column, value.to_string(), span));
                }
            }
        }
    })?;
    // A row rejected by its own rules has its foreign keys' problems listed too; it is
    // rejected already, and counted once.
    rows.scan_rejected(&mut |batch| {
        let columns = Columns::of(spec, batch);
        for i in 0..batch.num_rows() {
            references_held(known, &columns, i, columns.line(i), &mut note);
        }
    })?;
    for (column, values) in rows.rejected_keys() {
        let Some(column) = parent_keys.iter().find(|c| **c == column.as_str()) else {
            continue;
        };
        for value in values {
            notes.push((column, value.clone(), None));
        }
    }
    // Rows come in the order the table was stored in; problems are listed in file order, a
    // row's errors before its warnings.
    result.problems.sort_by_key(|p| (p.line, p.severity));
    excluded.sort_unstable();
    result.excluded = excluded;
    Ok((result, notes))
}

/// The rule a foreign key's value breaks: `foreign key` when no parent row has it, `parent
/// rejected` when every parent row with it was rejected.
fn broken_reference(known: &Known, fk: &ForeignKey, value: &str) -> Option<(&'static str, String)> {
    match known.parent(fk.references, value) {
        ParentKey::Accepted => None,
        ParentKey::Rejected => Some((
            "parent rejected",
            format!(
                "every row of {} with it was rejected",
                fk.references.table()
            ),
        )),
        ParentKey::Unknown => Some((
            "foreign key",
            format!("not in {}", fk.references.describe()),
        )),
    }
}

pub(super) type Report<'n> = dyn FnMut(Severity, u64, &str, &str, String, &str) + 'n;

/// Notes the foreign keys of row `i` that break their rule; whether none did.
fn references_held(
    known: &Known,
    columns: &Columns,
    i: usize,
    line: u64,
    note: &mut Report,
) -> bool {
    let mut held = true;
    for (fk, values) in &columns.references {
        let Some(value) = text_at(values, i) else {
            continue;
        };
        if let Some((rule, detail)) = broken_reference(known, fk, value) {
            note(Severity::Error, line, fk.column, rule, detail, value);
            held = false;
        }
    }
    held
}
