//! Takes the problems the checks of a stretch of rows find, in any order of columns, and
//! gives them in the order of the file, each row's in the order its checks ran, with the
//! rows that keep every rule.

use super::{Problem, Severity};

/// The problems found so far in a stretch of rows, and which rows are still accepted.
pub struct Findings<'a> {
    file: &'a str,
    lines: &'a [u64],
    /// Per row: no rule broken so far.
    pub accepted: Vec<bool>,
    problems: Vec<(usize, Problem)>,
}

impl<'a> Findings<'a> {
    pub fn new(file: &'a str, lines: &'a [u64]) -> Findings<'a> {
        Findings {
            file,
            lines,
            accepted: vec![true; lines.len()],
            problems: Vec::new(),
        }
    }

    /// Row `row` breaks `rule` in `column`: reported, and the row rejected.
    pub fn reject(
        &mut self,
        row: usize,
        column: &str,
        (rule, detail): (&str, String),
        value: &str,
    ) {
        self.accepted[row] = false;
        self.problems.push((
            row,
            Problem {
                severity: Severity::Error,
                file: self.file.to_string(),
                line: self.lines[row],
                column: column.to_string(),
                rule: rule.to_string(),
                detail,
                value: value.to_string(),
            },
        ));
    }

    /// The problems by row, a row's in the order they were found.
    pub fn into_problems(self) -> (Vec<bool>, Vec<Problem>) {
        let mut problems = self.problems;
        problems.sort_by_key(|(row, _)| *row);
        (
            self.accepted,
            problems.into_iter().map(|(_, p)| p).collect(),
        )
    }
}
