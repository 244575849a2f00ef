//! Takes a problem and the rule, and gives the cells to hide: the primary cells, then
//! secondary cells chosen by local rules to a fixpoint, then an audit by linear programming
//! of every group of hidden cells and a repair that hides one more cell of a failing group,
//! until every target has at least two consistent whole values.

use std::collections::BTreeMap;

use super::audit::{self, AuditFailure, GroupProgram, Groups, Interval};
use super::problem::{Problem, Protection, Relation, Rule, Target};

/// What the stage decided for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub hidden: Vec<bool>,
    /// Every target with its interval once the cells are hidden.
    pub intervals: Vec<(Target, Interval)>,
    /// Frozen cells that had to be hidden: nothing else protected a cell.
    pub frozen_hidden: Vec<usize>,
    /// Targets that could not be protected even with every eligible cell hidden.
    pub unprotected: Vec<Target>,
}

/// Whether a cell may be hidden to protect another: printed, class S, not 0, not yet hidden.
fn eligible(problem: &Problem, hidden: &[bool], c: usize) -> bool {
    let cell = &problem.cells[c];
    cell.printed && cell.sensitive && cell.value > 0 && !hidden[c]
}

/// The order cells are chosen in: not frozen, a part before its relation's total, the
/// smaller value, the deeper level, then table order.
fn cost(problem: &Problem, c: usize, is_total: bool) -> (bool, bool, i64, u8, usize) {
    let cell = &problem.cells[c];
    (cell.frozen, is_total, cell.value, u8::MAX - cell.depth, c)
}

/// The cheapest eligible member of the relations given.
fn cheapest(problem: &Problem, hidden: &[bool], relations: &[usize]) -> Option<usize> {
    relations
        .iter()
        .flat_map(|&r| {
            let relation = &problem.relations[r];
            let total = relation.members().next();
            relation
                .members()
                .filter(|&m| eligible(problem, hidden, m))
                .map(move |m| (m, Some(m) == total))
                .collect::<Vec<_>>()
        })
        .map(|(m, is_total)| cost(problem, m, is_total))
        .min()
        .map(|key| key.4)
}

/// Whether a relation breaks a local rule and needs one more hidden cell: one hidden cell
/// alone, a virtual cell alone, or hidden parts of a printed total that are too small
/// together (less than one more than their number, or fewer than k households).
fn needs_more(
    problem: &Problem,
    hidden: &[bool],
    virtuals: &[&Target],
    relation: &Relation,
    rule: Rule,
) -> bool {
    let Some((total, parts)) = relation.as_sum() else {
        return false;
    };
    let members = || std::iter::once(total).chain(parts.iter().copied());
    let hidden_members: Vec<usize> = members().filter(|&m| hidden[m]).collect();
    let unprinted: Vec<usize> = members().filter(|&m| !problem.cells[m].printed).collect();
    if unprinted.is_empty() {
        if hidden_members.len() == 1 {
            return true;
        }
        if hidden[total] || hidden_members.is_empty() {
            return false;
        }
        let m = hidden_members.len() as i64;
        let value = problem.value_of(&hidden_members);
        let households: i64 = hidden_members
            .iter()
            .map(|&c| problem.cells[c].households)
            .sum();
        return value < m + 1 || households < rule.k;
    }
    // The unprinted parts of a printed sum are one unknown: alone they are a virtual cell.
    hidden_members.is_empty()
        && problem.cells[total].printed
        && virtuals.iter().any(|t| t.cells == unprinted)
}

/// Hides cells until no relation breaks a local rule (or its members have none left to give).
fn local_rules(problem: &Problem, hidden: &mut [bool], virtuals: &[&Target], rule: Rule) {
    loop {
        let mut changed = false;
        for (r, relation) in problem.relations.iter().enumerate() {
            if needs_more(problem, hidden, virtuals, relation, rule)
                && let Some(c) = cheapest(problem, hidden, &[r])
            {
                hidden[c] = true;
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

fn protected(interval: &Interval, rule: Rule) -> bool {
    let wide = interval.width().is_none_or(|w| w >= 1);
    let reaches =
        rule.protection == Protection::Interval || interval.high.is_none_or(|h| h >= rule.k);
    wide && reaches
}

/// Chooses the cells to hide in `problem` under `rule`.
pub fn protect(problem: &Problem, rule: Rule) -> Result<Outcome, AuditFailure> {
    let targets = problem.targets(rule);
    let mut hidden = vec![false; problem.cells.len()];
    for t in targets.iter().filter(|t| t.cells.len() == 1) {
        if problem.cells[t.cells[0]].printed {
            hidden[t.cells[0]] = true;
        }
    }
    let virtuals: Vec<&Target> = targets
        .iter()
        .filter(|t| t.cells.iter().any(|&c| !problem.cells[c].printed))
        .collect();
    // Hiding a cell only widens what a reader can find: a target that passed stays passed.
    let mut passed = vec![false; targets.len()];
    let mut unprotected = vec![false; targets.len()];
    loop {
        local_rules(problem, &mut hidden, &virtuals, rule);
        let unknown = audit::unknown(problem, &hidden);
        let groups = Groups::new(problem, &unknown);
        let mut by_group: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, t) in targets.iter().enumerate() {
            if !passed[i] && !unprotected[i] {
                let group = groups.of[t.cells[0]].expect("a target is unknown");
                by_group.entry(group).or_default().push(i);
            }
        }
        let mut repaired = false;
        for (group, members) in &by_group {
            let program = GroupProgram::new(problem, &hidden, &groups, *group)?;
            let mut failing = false;
            for &i in members {
                if protected(&program.interval(&targets[i])?, rule) {
                    passed[i] = true;
                } else {
                    failing = true;
                }
            }
            if !failing {
                continue;
            }
            match cheapest(problem, &hidden, groups.relations_of(*group)) {
                Some(c) => {
                    hidden[c] = true;
                    repaired = true;
                }
                None => {
                    for &i in members.iter().filter(|&&i| !passed[i]) {
                        unprotected[i] = true;
                    }
                }
            }
        }
        if !repaired {
            break;
        }
    }
    let intervals = final_intervals(problem, &hidden, &targets)?;
    let frozen_hidden = (0..problem.cells.len())
        .filter(|&c| hidden[c] && problem.cells[c].frozen && !problem.is_primary(c, rule))
        .collect();
    let mut unprotected: Vec<Target> = targets
        .iter()
        .zip(&unprotected)
        .filter(|(_, u)| **u)
        .map(|(t, _)| t.clone())
        .collect();
    unprotected.sort();
    Ok(Outcome {
        hidden,
        intervals,
        frozen_hidden,
        unprotected,
    })
}

/// Every target's interval once the cells are hidden, in target order.
fn final_intervals(
    problem: &Problem,
    hidden: &[bool],
    targets: &[Target],
) -> Result<Vec<(Target, Interval)>, AuditFailure> {
    let unknown = audit::unknown(problem, hidden);
    let groups = Groups::new(problem, &unknown);
    let mut programs: BTreeMap<usize, GroupProgram> = BTreeMap::new();
    let mut intervals = Vec::new();
    for t in targets {
        let group = groups.of[t.cells[0]].expect("a target is unknown");
        let program = match programs.entry(group) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(GroupProgram::new(problem, hidden, &groups, group)?)
            }
        };
        intervals.push((t.clone(), program.interval(t)?));
    }
    intervals.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(intervals)
}
