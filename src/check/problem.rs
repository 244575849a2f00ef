//! Takes the problems found in an export and gives them listed, capped per rule, and counted.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One broken rule (or a warning) at one place of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    /// CSV: the line where the record starts (header = 1); XLSX: the sheet row; Parquet: row index from 1.
    pub line: u64,
    pub column: String,
    pub rule: String,
    pub detail: String,
    pub value: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&self.rule)?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        write!(f, ": {:?}", self.value)
    }
}

/// How many problems of one rule on one column of one file were found, and how many listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCount {
    pub severity: Severity,
    pub file: String,
    pub column: String,
    pub rule: String,
    pub found: u64,
    pub listed: u64,
}

/// Every problem of a load, listed up to a cap per rule and always counted.
#[derive(Debug)]
pub struct ProblemLog {
    cap: Option<u64>,
    listed: Vec<Problem>,
    counts: BTreeMap<(String, String, String, Severity), RuleCount>,
}

impl ProblemLog {
    /// `cap`: how many problems of one rule on one column to keep for listing; `None` keeps all.
    pub fn new(cap: Option<u64>) -> Self {
        ProblemLog {
            cap,
            listed: Vec::new(),
            counts: BTreeMap::new(),
        }
    }

    pub fn push(&mut self, problem: Problem) {
        let key = (
            problem.file.clone(),
            problem.column.clone(),
            problem.rule.clone(),
            problem.severity,
        );
        let count = self.counts.entry(key).or_insert_with(|| RuleCount {
            severity: problem.severity,
            file: problem.file.clone(),
            column: problem.column.clone(),
            rule: problem.rule.clone(),
            found: 0,
            listed: 0,
        });
        count.found += 1;
        if self.cap.is_none_or(|cap| count.listed < cap) {
            count.listed += 1;
            self.listed.push(problem);
        }
    }

    /// Adds the problems of another log (of other files) after this one's.
    pub fn append(&mut self, other: ProblemLog) {
        self.listed.extend(other.listed);
        for (key, count) in other.counts {
            match self.counts.get_mut(&key) {
                Some(c) => {
                    c.found += count.found;
                    c.listed += count.listed;
                }
                None => {
                    self.counts.insert(key, count);
                }
            }
        }
    }

    /// The problems kept for listing, in the order they were found.
    pub fn listed(&self) -> &[Problem] {
        &self.listed
    }

    /// Counts per rule where more were found than listed.
    pub fn not_listed(&self) -> impl Iterator<Item = &RuleCount> {
        self.counts.values().filter(|c| c.found > c.listed)
    }

    pub fn total(&self, severity: Severity) -> u64 {
        self.counts
            .values()
            .filter(|c| c.severity == severity)
            .map(|c| c.found)
            .sum()
    }
}

/// Rows read, accepted, rejected and left out for one table: read = accepted + rejected +
/// left out. Only the official code file leaves rows out (those that are not 읍면동).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub left_out: u64,
}
