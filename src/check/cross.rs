//! Takes the rows of every table that kept their own table's rules and gives the rules across
//! tables: `foreign key` and `parent rejected` (rows then rejected, all the way down), and
//! the warnings `region not valid on date`, `outside team life` and `future date`.
//!
//! It reads only the columns those rules need, a batch at a time, so that it runs the same
//! over rows in memory and over the store's Parquet tables.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::arrow::array::{Array, AsArray, Date32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{Date32Type, Int64Type};

use super::known::{Known, ParentKey, Span};
use super::{LINE_COLUMN, Problem, Severity, parent_key_columns};
use crate::contract::{ForeignKey, Table, Within};
use crate::diagnostics::Error;
use crate::period::format_date;

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

/// The table and column a foreign key column of `spec` looks its values up in.
fn parent_of(spec: &Table, column: &str) -> Option<(&'static str, &'static str)> {
    let fk = spec.foreign_keys.iter().find(|fk| fk.column == column)?;
    let (table, columns) = fk.references.columns();
    Some((table, columns[0]))
}

/// The columns the rules across tables read of `spec`.
fn needed_columns(spec: &Table) -> Vec<&'static str> {
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

fn text_at(array: &StringArray, i: usize) -> Option<&str> {
    (!array.is_null(i)).then(|| array.value(i))
}

fn date_at(array: &Date32Array, i: usize) -> Option<i32> {
    (!array.is_null(i)).then(|| array.value(i))
}

fn texts<'b>(batch: &'b RecordBatch, column: &str) -> Option<&'b StringArray> {
    batch.column_by_name(column).map(|a| a.as_string::<i32>())
}

fn dates<'b>(batch: &'b RecordBatch, column: &str) -> Option<&'b Date32Array> {
    batch
        .column_by_name(column)
        .map(|a| a.as_primitive::<Date32Type>())
}

/// The columns the rules read, found in a batch once rather than by name for every row. A
/// batch of rejected rows has only the line and the foreign keys.
struct Columns<'b> {
    lines: &'b Int64Array,
    references: Vec<(&'static ForeignKey, &'b StringArray)>,
    parent_keys: Vec<(&'static str, &'b StringArray)>,
    span: Option<(&'b Date32Array, &'b Date32Array)>,
    event: Option<EventColumns<'b>>,
    assignment: Option<AssignmentColumns<'b>>,
}

/// An event's date and 읍면동, with their column names and where the 읍면동 is looked up.
struct EventColumns<'b> {
    date_column: &'static str,
    dates: &'b Date32Array,
    emd_column: &'static str,
    codes: &'b StringArray,
    parent: (&'static str, &'static str),
}

/// An assignment's parent (where it is looked up), start and end.
struct AssignmentColumns<'b> {
    within: &'static Within,
    parent: (&'static str, &'static str),
    references: &'b StringArray,
    from: &'b Date32Array,
    to: &'b Date32Array,
}

impl<'b> Columns<'b> {
    fn of(spec: &'static Table, batch: &'b RecordBatch) -> Columns<'b> {
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

    fn line(&self, i: usize) -> u64 {
        self.lines.value(i) as u64
    }
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
    let known = &known;
    let queue = std::sync::Mutex::new(leaves);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let done: Vec<Result<Vec<(usize, CrossChecked)>, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = queue.lock().map(|mut q| q.pop());
                        let Ok(Some(i)) = next else {
                            return Ok(done);
                        };
                        done.push((i, check_table(tables[i], known)?.0));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|payload| {
                    Err(Error::Internal {
                        path: std::path::PathBuf::from(tables[0].file()),
                        message: crate::diagnostics::panic_text(payload.as_ref()),
                    })
                })
            })
            .collect()
    });
    for worker in done {
        for (i, result) in worker? {
            results[i] = Some(result);
        }
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

type Report<'n> = dyn FnMut(Severity, u64, &str, &str, String, &str) + 'n;

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

/// The warnings of an accepted row that depend on other tables: an event under an 읍면동 not
/// valid on its date, an assignment outside its team's active days.
fn warnings(known: &Known, columns: &Columns, i: usize, line: u64, note: &mut Report) {
    if let Some(event) = &columns.event
        && let Some(date) = date_at(event.dates, i)
        && let Some(code) = text_at(event.codes, i)
        && let Some((from, to)) = known.span(event.parent.0, event.parent.1, code)
        && (from.is_some_and(|f| date < f) || to.is_some_and(|t| date >= t))
    {
        let detail = format!(
            "{} {code} is valid {}..{}",
            event.emd_column,
            from.map(format_date).unwrap_or_default(),
            to.map(format_date).unwrap_or_default()
        );
        let value = format_date(date);
        note(
            Severity::Warning,
            line,
            event.date_column,
            "region not valid on date",
            detail,
            &value,
        );
    }
    if let Some(assignment) = &columns.assignment
        && let (Some(parent), Some(assigned)) = (
            text_at(assignment.references, i),
            date_at(assignment.from, i),
        )
        && let Some((Some(established), closed)) =
            known.span(assignment.parent.0, assignment.parent.1, parent)
    {
        let left = date_at(assignment.to, i);
        let outside = assigned < established
            || closed.is_some_and(|c| assigned >= c || left.is_none_or(|l| l > c));
        if outside {
            let detail = format!(
                "{} {parent} is active {}..{}",
                assignment.within.parent,
                format_date(established),
                closed.map(format_date).unwrap_or_default()
            );
            let value = format!(
                "{}..{}",
                format_date(assigned),
                left.map(format_date).unwrap_or_default()
            );
            note(
                Severity::Warning,
                line,
                assignment.within.from,
                &format!("outside {} life", assignment.within.parent),
                detail,
                &value,
            );
        }
    }
}

/// The `future date` warnings of a table's accepted rows: events after `today`. Worked out
/// whenever problems are listed, since they depend on the day they are asked on.
pub fn future_dates(
    rows: &dyn StagedRows,
    excluded: &[u64],
    today: i32,
) -> Result<Vec<Problem>, Error> {
    let Some(event) = &rows.spec().event else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    rows.scan(&[event.date], &mut |batch| {
        let columns = Columns::of(rows.spec(), batch);
        let Some(date_of) = dates(batch, event.date) else {
            return;
        };
        for i in 0..batch.num_rows() {
            let line = columns.line(i);
            if let Some(date) = date_at(date_of, i)
                && date > today
                && excluded.binary_search(&line).is_err()
            {
                found.push(Problem {
                    severity: Severity::Warning,
                    file: rows.file().to_string(),
                    line,
                    column: event.date.to_string(),
                    rule: "future date".into(),
                    detail: format!("after today {}", format_date(today)),
                    value: format_date(date),
                });
            }
        }
    })?;
    found.sort_by_key(|p| p.line);
    Ok(found)
}
