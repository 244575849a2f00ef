//! Takes a table's row rules (rules over several columns of one row) and gives them compiled
//! to column positions once, run over typed columns a rule at a time.

use super::findings::Findings;
use super::typing::TypedColumn;
use crate::contract::{RowRule, Table};
use crate::period::format_date;

/// A row rule with its columns found among the contract's.
#[derive(Debug, Clone, Copy)]
pub struct CompiledRule {
    rule: &'static RowRule,
    /// Positions of the rule's first and second column (see [`columns`]).
    first: usize,
    second: usize,
}

/// The rule's two columns: the one a problem names, then the one it is compared with.
fn columns(rule: &RowRule) -> (&'static str, &'static str) {
    match *rule {
        RowRule::Prefix { column, prefix } => (column, prefix),
        RowRule::NotBefore { column, start } => (column, start),
        RowRule::EmptyWhen { column, when, .. } => (column, when),
        RowRule::RequiredWhenClosed { reason, closed } => (reason, closed),
    }
}

pub fn compile(spec: &'static Table) -> Vec<CompiledRule> {
    spec.row_rules
        .iter()
        .map(|rule| {
            let (first, second) = columns(rule);
            CompiledRule {
                rule,
                first: spec.column_index(first),
                second: spec.column_index(second),
            }
        })
        .collect()
}

/// Runs each rule over every row, reporting the rows that break it.
pub fn apply(rules: &[CompiledRule], columns: &[TypedColumn], findings: &mut Findings) {
    for compiled in rules {
        let (a, b) = (&columns[compiled.first], &columns[compiled.second]);
        let rows = a.broken.len();
        match *compiled.rule {
            RowRule::Prefix { column, prefix } => {
                for i in 0..rows {
                    if let (Some(v), Some(p)) = (a.text(i), b.text(i))
                        && !v.starts_with(p)
                    {
                        let detail = format!("does not start with {prefix} {p}");
                        findings.reject(i, column, ("prefix", detail), v);
                    }
                }
            }
            RowRule::NotBefore { column, start } => {
                for i in 0..rows {
                    if let (Some(end), Some(begin)) = (a.date(i), b.date(i))
                        && end < begin
                    {
                        let detail = format!("before {start} {}", format_date(begin));
                        findings.reject(i, column, ("date order", detail), &format_date(end));
                    }
                }
            }
            RowRule::EmptyWhen {
                column,
                when,
                value,
            } => {
                for i in 0..rows {
                    if b.text(i) == Some(value)
                        && let Some(v) = a.text(i)
                    {
                        let detail = format!("must be empty when {when} is {value}");
                        findings.reject(i, column, ("empty when", detail), v);
                    }
                }
            }
            RowRule::RequiredWhenClosed { reason, closed } => {
                for i in 0..rows {
                    if b.date(i).is_some() && a.is_null(i) {
                        let detail = format!("required when {closed} is given");
                        findings.reject(i, reason, ("closure reason", detail), "");
                    } else if b.is_null(i)
                        && let Some(r) = a.text(i)
                    {
                        let detail = format!("must be empty while {closed} is empty");
                        findings.reject(i, reason, ("closure reason", detail), r);
                    }
                }
            }
        }
    }
}
