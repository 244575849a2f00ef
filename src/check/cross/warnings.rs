//! Takes the rows of a table that kept every rule and the keys of the tables before it, and
//! gives the warnings that depend on other tables (`region not valid on date`, `outside team
//! life`) and on the day asked (`future date`).

use super::columns::{Columns, date_at, dates, text_at};
use super::{Report, StagedRows};
use crate::check::known::Known;
use crate::check::{Problem, Severity};
use crate::diagnostics::Error;
use crate::period::format_date;

/// The warnings of an accepted row that depend on other tables: an event under an 읍면동 not
/// valid on its date, an assignment outside its team's active days.
pub(super) fn warnings(known: &Known, columns: &Columns, i: usize, line: u64, note: &mut Report) {
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
