//! Takes the accepted rows of `regions`, `successors` and `teams` (with their lines) and gives
//! the rules of codes over time: a successor row that leads back to its own code (`cycle`),
//! and a team whose host 읍면동 is abolished without a successor while the team is active (a
//! warning).

use std::collections::{HashMap, HashSet};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Date32Type, Int64Type};

use crate::check::{LINE_COLUMN, Problem, Severity};
use crate::geography::{History, Successor, cycles, successors_of};
use crate::period::format_date;

/// The lines of rows read back with the line column.
fn lines(batch: &RecordBatch) -> Vec<u64> {
    batch
        .column_by_name(LINE_COLUMN)
        .map(|c| {
            c.as_primitive::<Int64Type>()
                .values()
                .iter()
                .map(|l| *l as u64)
                .collect()
        })
        .unwrap_or_default()
}

/// The export's successor rows, each with its line.
pub fn given_successors(batch: &RecordBatch) -> Vec<(u64, Successor)> {
    lines(batch).into_iter().zip(successors_of(batch)).collect()
}

/// The `cycle` problems of the export's successor rows (each with its line), and the lines
/// they reject. The cycles are looked for over every successor in effect: a row can close a
/// cycle with the successors the history gives.
pub fn successor_cycles(
    file: &str,
    history: &History,
    rows: &[(u64, Successor)],
) -> (Vec<Problem>, Vec<u64>) {
    let line_of: HashMap<&str, u64> = rows.iter().map(|(l, s)| (s.old.as_str(), *l)).collect();
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for (old, chain) in cycles(&history.successors.emd) {
        let Some(&line) = line_of.get(old.as_str()) else {
            continue;
        };
        lines.push(line);
        problems.push(Problem {
            severity: Severity::Error,
            file: file.to_string(),
            line,
            column: "old_code".into(),
            rule: "cycle".into(),
            detail: format!("successors lead back to it: {}", chain.join(" → ")),
            value: old,
        });
    }
    problems.sort_by_key(|p| p.line);
    lines.sort_unstable();
    (problems, lines)
}

/// Warnings for teams (rows with their lines) whose host 읍면동 is abolished, with no
/// successor, while the team is active: from that day the team hosts no 읍면동 in force, in
/// any geography.
pub fn abolished_hosts(file: &str, history: &History, teams: &RecordBatch) -> Vec<Problem> {
    let text = |name| teams.column_by_name(name).map(|c| c.as_string::<i32>());
    let date = |name| {
        teams
            .column_by_name(name)
            .map(|c| c.as_primitive::<Date32Type>())
    };
    let (Some(hosts), Some(from), Some(to)) =
        (text("emd_code"), date("established_on"), date("closed_on"))
    else {
        return Vec::new();
    };
    let succeeded: HashSet<&str> = history
        .successors
        .emd
        .iter()
        .map(|s| s.old.as_str())
        .collect();
    let abolished: HashMap<&str, i32> = history
        .regions
        .iter()
        .filter_map(|r| Some((r.emd_code.as_str(), r.valid_to?)))
        .filter(|(code, _)| !succeeded.contains(code))
        .collect();
    lines(teams)
        .into_iter()
        .enumerate()
        .filter_map(|(k, line)| {
            let host = hosts.value(k);
            let day = *abolished.get(host)?;
            let active = from.value(k) < day && (to.is_null(k) || day < to.value(k));
            active.then(|| Problem {
                severity: Severity::Warning,
                file: file.to_string(),
                line,
                column: "emd_code".into(),
                rule: "host abolished".into(),
                detail: format!(
                    "abolished on {} without a successor while the team is active",
                    format_date(day)
                ),
                value: host.to_string(),
            })
        })
        .collect()
}
