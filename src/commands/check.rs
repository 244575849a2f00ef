//! `hubstat check`: every problem of an export as `file:line:column: rule: value`, then rows
//! read, accepted and rejected per table.

use std::fmt::Write as _;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::{open_store, today, write_stdout};
use crate::check::{Problem, ProblemLog, RuleCount, Severity, Tally};
use crate::cli::{CheckArgs, CheckFormat};
use crate::diagnostics::{Error, Outcome};
use crate::load::Source;
use crate::store::Store;

/// An export's store and every problem found in it.
struct Checked {
    /// The export folder (or store) as the user named it.
    data: String,
    store: Store,
    problems: ProblemLog,
}

pub fn run(args: &CheckArgs) -> Result<Outcome, Error> {
    let cap = (args.max_problems > 0).then_some(args.max_problems);
    // An unchanged export is answered from its store, which keeps every problem; only the
    // warnings that depend on the day are worked out again.
    let store = open_store(&args.data)?;
    let problems = store.problems(today(&args.data), cap)?;
    let data = args.data.data.as_ref().or(args.data.store.as_ref());
    let checked = Checked {
        data: data.map(|d| d.display().to_string()).unwrap_or_default(),
        store,
        problems,
    };
    let text = match args.format {
        CheckFormat::Text => text_report(&checked),
        CheckFormat::Json => json_report(&checked),
    };
    write_stdout(text.as_bytes())?;
    Ok(if checked.store.rejected() > 0 {
        Outcome::RowsRejected
    } else {
        Outcome::Done
    })
}

fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(s.width())))
}

fn text_report(dataset: &Checked) -> String {
    let mut out = String::new();
    for problem in dataset.problems.listed() {
        let _ = writeln!(out, "{problem}");
    }
    for count in dataset.problems.not_listed() {
        let kind = match count.severity {
            Severity::Error => "problems",
            Severity::Warning => "warnings",
        };
        let _ = writeln!(
            out,
            "{}: {} more `{}` {kind} on {} not listed (--max-problems 0 lists all)",
            count.file,
            count.found - count.listed,
            count.rule,
            count.column
        );
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let file_width = dataset
        .store
        .tables
        .iter()
        .map(|t| t.source.file.width())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = writeln!(
        out,
        "{}  {}  {:>10}  {:>10}  {:>10}",
        pad("table", 13),
        pad("file", file_width),
        "read",
        "accepted",
        "rejected"
    );
    for t in &dataset.store.tables {
        let Tally {
            read,
            accepted,
            rejected,
            ..
        } = t.tally;
        let _ = writeln!(
            out,
            "{}  {}  {read:>10}  {accepted:>10}  {rejected:>10}",
            pad(t.spec.name, 13),
            pad(&t.source.file, file_width),
        );
    }
    for t in &dataset.store.tables {
        if t.tally.left_out == 0 {
            continue;
        }
        let reasons: Vec<String> = t
            .source
            .left_out
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        let _ = writeln!(
            out,
            "{}: {} rows of {} left out, not 읍면동: {}",
            t.spec.name,
            t.tally.left_out,
            t.source.file,
            reasons.join(", ")
        );
    }
    let errors = dataset.problems.total(Severity::Error);
    let warnings = dataset.problems.total(Severity::Warning);
    let rejected = dataset.store.rejected();
    out.push('\n');
    if errors == 0 {
        let _ = writeln!(out, "no problems; {warnings} warnings");
    } else {
        let _ = writeln!(
            out,
            "{errors} problems in {rejected} rejected rows; {warnings} warnings"
        );
    }
    out
}

#[derive(Serialize)]
struct TableReport<'a> {
    table: &'static str,
    #[serde(flatten)]
    source: &'a Source,
    #[serde(flatten)]
    tally: Tally,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    data: String,
    tables: Vec<TableReport<'a>>,
    problems: Vec<&'a Problem>,
    warnings: Vec<&'a Problem>,
    not_listed: Vec<&'a RuleCount>,
    problem_count: u64,
    warning_count: u64,
    rejected_rows: u64,
}

fn json_report(dataset: &Checked) -> String {
    let listed = dataset.problems.listed();
    let report = JsonReport {
        data: dataset.data.clone(),
        tables: dataset
            .store
            .tables
            .iter()
            .map(|t| TableReport {
                table: t.spec.name,
                source: &t.source,
                tally: t.tally,
            })
            .collect(),
        problems: listed
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect(),
        warnings: listed
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .collect(),
        not_listed: dataset.problems.not_listed().collect(),
        problem_count: dataset.problems.total(Severity::Error),
        warning_count: dataset.problems.total(Severity::Warning),
        rejected_rows: dataset.store.rejected(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the report serializes");
    text.push('\n');
    text
}
