//! Takes the accepted rows of `regions`, `successors` and `teams` and gives the rules of codes
//! over time: a successor row that leads back to its own code (`cycle`), and a team whose
//! host 읍면동 is abolished without a successor while the team is active (a warning).

use std::collections::{HashMap, HashSet};

use crate::check::{Problem, Severity};
use crate::geography::{History, Successor, cycles};
use crate::period::format_date;

/// A team row as the rule reads it.
pub struct TeamRow {
    pub line: u64,
    pub emd_code: String,
    pub established_on: i32,
    pub closed_on: Option<i32>,
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

/// Warnings for teams whose host 읍면동 is abolished, with no successor, while the team is
/// active: from that day the team hosts no 읍면동 in force, in any geography.
pub fn abolished_hosts(file: &str, history: &History, teams: &[TeamRow]) -> Vec<Problem> {
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
    teams
        .iter()
        .filter_map(|t| {
            let day = *abolished.get(t.emd_code.as_str())?;
            let active = t.established_on < day && t.closed_on.is_none_or(|c| day < c);
            active.then(|| Problem {
                severity: Severity::Warning,
                file: file.to_string(),
                line: t.line,
                column: "emd_code".into(),
                rule: "host abolished".into(),
                detail: format!(
                    "abolished on {} without a successor while the team is active",
                    format_date(day)
                ),
                value: t.emd_code.clone(),
            })
        })
        .collect()
}
