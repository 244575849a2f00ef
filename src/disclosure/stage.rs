//! Takes the computed reports of one run and gives them checked and masked: the
//! consistency checks of what is about to be published, then one suppression problem over
//! every report, whose hidden cells become `Value::Hidden` everywhere they are shown, and
//! the statistician's audit file (true values; never inside a workbook).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::cells::{CellKey, KeyRelation, Parents, Place, RunCells};
use super::problem::{Problem, Protection, Relation, Rule, Target};
use super::suppress::protect;
use crate::diagnostics::Error;
use crate::report::{Report, SheetData, Value};

/// What the stage did to one report, for its 자료 sheet and legends (no values).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub rule: Rule,
    /// Cells shown as X, per sheet title, in sheet order.
    pub hidden_by_sheet: Vec<(String, usize)>,
    /// Primary and virtual cells audited in the run, and how many could not be protected.
    pub targets: usize,
    pub unprotected: usize,
    /// Frozen cells (전국, the scope's total) that had to be hidden.
    pub frozen_hidden: usize,
    /// Relations checked before suppression.
    pub relations_checked: usize,
}

/// A hidden cell as the statistician who signs the run off sees it.
#[derive(Debug, Clone, Serialize)]
pub struct HiddenCell {
    pub measure: String,
    pub period: String,
    pub region: String,
    pub value: i64,
    pub households: i64,
    /// The whole values a reader can find, for a primary cell; `null` above: unbounded.
    pub interval: Option<(i64, Option<i64>)>,
    pub relations: Vec<String>,
}

/// The run's audit, for `--sdc-report`.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub min_households: i64,
    pub protection: &'static str,
    pub targets: usize,
    pub unprotected: Vec<Vec<String>>,
    /// 전국 and report-total cells hidden because nothing else protected a cell.
    pub frozen_hidden: Vec<String>,
    pub hidden: Vec<HiddenCell>,
}

/// Checks what `reports` are about to publish; fails (exit 1) naming the first relation
/// that does not hold. Gives how many relations were checked.
pub fn check(run: &RunCells) -> Result<usize, Error> {
    if let Some(conflict) = run.conflicts.first() {
        return Err(Error::Inconsistent(format!(
            "one cell, two values: {conflict}"
        )));
    }
    let value = |k: &CellKey| run.cells[k].cell.value;
    for (relation, label) in &run.relations {
        let failure = match relation {
            KeyRelation::Sum(total, parts) => {
                let sum: i64 = parts.iter().map(value).sum();
                (value(total) != sum).then(|| {
                    format!(
                        "{} is {}, its parts add up to {sum} (difference {})",
                        total.region,
                        value(total),
                        value(total) - sum
                    )
                })
            }
            KeyRelation::Distinct(total, parts) => {
                let sum: i64 = parts.iter().map(value).sum();
                let most = parts.iter().map(value).max().unwrap_or(0);
                let v = value(total);
                (v < most || v > sum).then(|| {
                    format!(
                        "{} is {v}, outside [{most}, {sum}] (its largest part, the sum of its parts; difference {})",
                        total.region,
                        if v < most { v - most } else { v - sum }
                    )
                })
            }
            KeyRelation::AtMost(lesser, greater) => {
                let sum: i64 = greater.iter().map(value).sum();
                (value(lesser) > sum).then(|| {
                    format!(
                        "{} is {}, more than {sum} (difference {})",
                        lesser.region,
                        value(lesser),
                        value(lesser) - sum
                    )
                })
            }
        };
        if let Some(failure) = failure {
            return Err(Error::Inconsistent(format!("{label}: {failure}")));
        }
    }
    for rate in &run.rates {
        let Some((num, den)) = &rate.inputs else {
            continue;
        };
        let (Some(n), Some(d)) = (run.cells.get(num), run.cells.get(den)) else {
            continue;
        };
        let (n, d) = (n.cell.value, d.cell.value);
        let holds = match (d, rate.value) {
            (0, None) => true,
            (0, Some(_)) | (_, None) => false,
            (d, Some(r)) => {
                let expected = n as f64 / d as f64;
                (r - expected).abs() <= 1e-9 * expected.abs().max(1.0)
            }
        };
        if !holds {
            return Err(Error::Inconsistent(format!(
                "the rate {}/{} of {} {} is {}, not {n}/{d} recomputed from its row",
                num.measure,
                den.measure,
                num.region,
                num.period,
                rate.value.map_or("empty".to_string(), |r| r.to_string()),
            )));
        }
    }
    Ok(run.relations.len() + run.rates.len())
}

/// The suppression problem of a run: its cells in key order, the frozen ones marked.
fn problem<'r>(
    run: &'r RunCells,
    reports: &[Report],
) -> (Problem, Vec<&'r CellKey>, Vec<Vec<usize>>) {
    let keys: Vec<&CellKey> = run.cells.keys().collect();
    let index: HashMap<&CellKey, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let current: Vec<(String, String)> = reports
        .iter()
        .map(|r| {
            (
                r.scope.clone().unwrap_or_else(|| "00".into()),
                r.period.to_string(),
            )
        })
        .collect();
    let cells = run
        .cells
        .iter()
        .map(|(key, found)| {
            let mut cell = found.cell.clone();
            cell.frozen = key.region == "00"
                || current
                    .iter()
                    .any(|(scope, period)| &key.region == scope && &key.period == period);
            cell
        })
        .collect();
    let mut relations: Vec<Relation> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut labels_of: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (n, (relation, _)) in run.relations.iter().enumerate() {
        let resolved = relation.resolve(&index);
        for m in resolved.members() {
            labels_of[m].push(n);
        }
        if seen.insert(resolved.clone()) {
            relations.push(resolved);
        }
    }
    (Problem { cells, relations }, keys, labels_of)
}

/// The marks of one figure's result protected on its own (`query --sdc`): per row, per
/// printed column (in `rows`' order less its internal columns), `X`, `-` or empty.
pub fn protect_table(
    figure: &str,
    rows: &crate::report::Rows,
    period: crate::period::Period,
    rule: Rule,
) -> Result<Vec<Vec<&'static str>>, Error> {
    let run = RunCells::of_table(figure, rows, period)?;
    check(&run)?;
    let (problem, keys, _) = problem(&run, &[]);
    let outcome = protect(&problem, rule).map_err(|e| {
        Error::computing(
            "auditing the suppression by linear programming",
            std::io::Error::other(e.0),
        )
    })?;
    let printed = rows
        .columns
        .iter()
        .filter(|c| !crate::catalogue::internal_column(c))
        .count();
    let mut marks = vec![vec![""; printed]; rows.rows.len()];
    let mut hidden_keys = std::collections::HashSet::new();
    let mut mark = |place: &Place, m: &'static str| {
        if let Place::Table { row, column, .. } = *place {
            marks[row][column] = m;
        }
    };
    for (c, key) in keys.iter().enumerate() {
        if outcome.hidden[c] {
            hidden_keys.insert(*key);
            for place in &run.cells[*key].places {
                mark(place, "X");
            }
        }
    }
    for rate in &run.rates {
        let hidden = rate
            .inputs
            .as_ref()
            .is_some_and(|(n, d)| hidden_keys.contains(n) || hidden_keys.contains(d));
        if hidden {
            mark(&rate.place, "X");
        } else if rate.value.is_none() {
            mark(&rate.place, "-");
        }
    }
    Ok(marks)
}

/// Checks the reports of one run, then, with a rule, masks them as one problem. Gives the
/// audit for the statistician (`None` with suppression off).
pub fn check_and_protect(
    reports: &mut [Report],
    parents: &Parents,
    rule: Option<Rule>,
) -> Result<Option<Audit>, Error> {
    let run = RunCells::of_reports(reports, parents)?;
    check(&run)?;
    let Some(rule) = rule else {
        for (r, report) in reports.iter_mut().enumerate() {
            report.checked = Some(checked_in(&run, r));
        }
        strip(reports);
        return Ok(None);
    };
    let (problem, keys, labels_of) = problem(&run, reports);
    let outcome = protect(&problem, rule).map_err(|e| {
        Error::computing(
            "auditing the suppression by linear programming",
            std::io::Error::other(e.0),
        )
    })?;
    let intervals: BTreeMap<usize, (i64, Option<i64>)> = outcome
        .intervals
        .iter()
        .filter(|(t, _)| t.cells.len() == 1)
        .map(|(t, i)| (t.cells[0], (i.low, i.high)))
        .collect();
    let labels: Vec<&String> = run.relations.iter().map(|(_, l)| l).collect();
    let mut hidden_places: Vec<Place> = Vec::new();
    let mut hidden_cells = Vec::new();
    let mut hidden_keys = std::collections::HashSet::new();
    for (c, key) in keys.iter().enumerate() {
        if !outcome.hidden[c] {
            continue;
        }
        hidden_keys.insert(*key);
        hidden_places.extend(&run.cells[*key].places);
        hidden_cells.push(HiddenCell {
            measure: key.measure.clone(),
            period: key.period.clone(),
            region: key.region.clone(),
            value: problem.cells[c].value,
            households: problem.cells[c].households,
            interval: intervals.get(&c).copied(),
            relations: labels_of[c].iter().map(|&n| labels[n].clone()).collect(),
        });
    }
    for rate in &run.rates {
        if let Some((num, den)) = &rate.inputs
            && (hidden_keys.contains(num) || hidden_keys.contains(den))
        {
            hidden_places.push(rate.place);
        }
    }
    hidden_places.sort();
    hidden_places.dedup();
    mask(reports, &hidden_places);
    strip(reports);
    let describe = |t: &Target| t.cells.iter().map(|&c| keys[c].to_string()).collect();
    let shown_in = |c: usize, r: usize| run.cells[keys[c]].places.iter().any(|p| p.report() == r);
    let relation_list: Vec<&(KeyRelation, String)> = run.relations.iter().collect();
    // A target concerns the reports that show it or (a virtual cell) a relation it is in.
    let reports_of = |c: usize| -> BTreeSet<usize> {
        let places =
            |k: &CellKey| -> Vec<usize> { run.cells[k].places.iter().map(Place::report).collect() };
        let mut out: BTreeSet<usize> = places(keys[c]).into_iter().collect();
        for &n in &labels_of[c] {
            for k in relation_list[n].0.keys() {
                out.extend(places(k));
            }
        }
        out
    };
    let concerning = |targets: &mut dyn Iterator<Item = &Target>| -> Vec<BTreeSet<usize>> {
        targets
            .map(|t| t.cells.iter().flat_map(|&c| reports_of(c)).collect())
            .collect()
    };
    let concerned = concerning(&mut outcome.intervals.iter().map(|(t, _)| t));
    let unprotected_in = concerning(&mut outcome.unprotected.iter());
    for (r, report) in reports.iter_mut().enumerate() {
        let relations_checked = checked_in(&run, r);
        let hidden_by_sheet = report
            .sheets
            .iter()
            .enumerate()
            .filter(|(_, s)| !matches!(s, SheetData::Provenance))
            .map(|(s, sheet)| {
                let n = hidden_places
                    .iter()
                    .filter(|p| p.report() == r && p.sheet() == s)
                    .count();
                (sheet_title(sheet), n)
            })
            .collect();
        report.disclosure = Some(Note {
            rule,
            hidden_by_sheet,
            targets: concerned.iter().filter(|s| s.contains(&r)).count(),
            unprotected: unprotected_in.iter().filter(|s| s.contains(&r)).count(),
            frozen_hidden: outcome
                .frozen_hidden
                .iter()
                .filter(|&&c| shown_in(c, r))
                .count(),
            relations_checked,
        });
        report.checked = Some(relations_checked);
    }
    Ok(Some(Audit {
        min_households: rule.k,
        protection: match rule.protection {
            Protection::Interval => "interval",
            Protection::Range => "range",
        },
        targets: outcome.intervals.len(),
        unprotected: outcome.unprotected.iter().map(describe).collect(),
        frozen_hidden: outcome
            .frozen_hidden
            .iter()
            .map(|&c| keys[c].to_string())
            .collect(),
        hidden: hidden_cells,
    }))
}

/// The relations and rates checked that concern report `r`: a member shown in it.
fn checked_in(run: &RunCells, r: usize) -> usize {
    let shown = |k: &CellKey| run.cells[k].places.iter().any(|p| p.report() == r);
    run.relations
        .iter()
        .filter(|(relation, _)| relation.keys().any(shown))
        .count()
        + run
            .rates
            .iter()
            .filter(|rate| rate.place.report() == r)
            .count()
}

fn sheet_title(sheet: &SheetData) -> String {
    match sheet {
        SheetData::Table { spec, .. } | SheetData::Summary { spec, .. } => {
            spec.title.get_ref().clone()
        }
        SheetData::Provenance => "자료".into(),
    }
}

/// Replaces the value at each place by `Value::Hidden`.
fn mask(reports: &mut [Report], places: &[Place]) {
    for place in places {
        match *place {
            Place::Table {
                report,
                sheet,
                total,
                row,
                column,
            } => {
                if let SheetData::Table {
                    spec,
                    total: t,
                    rows,
                    ..
                } = &mut reports[report].sheets[sheet]
                {
                    let block = if total { t } else { rows };
                    let name = spec.columns[column].column.get_ref();
                    if let Some(c) = block.index(name) {
                        block.rows[row][c] = Value::Hidden;
                    }
                }
            }
            Place::Summary {
                report,
                sheet,
                row,
                period,
            } => {
                if let SheetData::Summary { values, .. } = &mut reports[report].sheets[sheet] {
                    values[row][period] = Value::Hidden;
                }
            }
        }
    }
}

/// Leaves each table only the columns its sheet shows, and each summary no source rows:
/// render never holds a value it must not print.
fn strip(reports: &mut [Report]) {
    for report in reports.iter_mut() {
        for sheet in &mut report.sheets {
            match sheet {
                SheetData::Table {
                    spec, total, rows, ..
                } => {
                    for block in [total, rows] {
                        let keep: Vec<usize> = spec
                            .columns
                            .iter()
                            .filter_map(|c| block.index(c.column.get_ref()))
                            .collect();
                        block.columns = keep.iter().map(|&c| block.columns[c].clone()).collect();
                        for row in &mut block.rows {
                            *row = keep.iter().map(|&c| row[c].clone()).collect();
                        }
                    }
                }
                SheetData::Summary { sources, .. } => {
                    sources.clear();
                }
                SheetData::Provenance => {}
            }
        }
    }
}
