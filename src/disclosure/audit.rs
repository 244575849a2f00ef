//! Takes a problem and the cells hidden so far, and gives, for each target, the smallest and
//! largest whole values a reader can find for it from everything printed: by linear
//! programming (microlp) over each connected group of unknown cells, a hidden cell being at
//! least 1 and an unprinted one at least 0.

use microlp::{ComparisonOp, OptimizationDirection, Variable};

use super::problem::{Problem, Relation, Target};

/// The whole values a target can take: `high` is `None` when nothing bounds it above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub low: i64,
    pub high: Option<i64>,
}

impl Interval {
    pub fn width(&self) -> Option<i64> {
        self.high.map(|h| h - self.low)
    }
}

/// The cells a reader does not see: hidden, or printed nowhere.
pub fn unknown(problem: &Problem, hidden: &[bool]) -> Vec<bool> {
    problem
        .cells
        .iter()
        .zip(hidden)
        .map(|(c, &h)| h || !c.printed)
        .collect()
}

/// Groups of unknown cells joined by the relations they share: each cell's group number
/// (the smallest cell of its group), `None` for a known cell.
pub fn groups(problem: &Problem, unknown: &[bool]) -> Vec<Option<usize>> {
    let mut parent: Vec<usize> = (0..problem.cells.len()).collect();
    fn root(parent: &mut [usize], mut c: usize) -> usize {
        while parent[c] != c {
            parent[c] = parent[parent[c]];
            c = parent[c];
        }
        c
    }
    for relation in &problem.relations {
        let mut first = None;
        for m in relation.members().filter(|&m| unknown[m]) {
            match first {
                None => first = Some(m),
                Some(f) => {
                    let (a, b) = (root(&mut parent, f), root(&mut parent, m));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    (0..problem.cells.len())
        .map(|c| unknown[c].then(|| root(&mut parent, c)))
        .collect()
}

/// The relations with a member in `group`.
pub fn relations_of(problem: &Problem, group_of: &[Option<usize>], group: usize) -> Vec<usize> {
    problem
        .relations
        .iter()
        .enumerate()
        .filter(|(_, r)| r.members().any(|m| group_of[m] == Some(group)))
        .map(|(i, _)| i)
        .collect()
}

/// An audit that could not be carried out: the relations contradict the values (a defect,
/// since the consistency checks run first) or the solver gave up.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditFailure(pub String);

/// The interval of each target of one group, in the order given.
pub fn intervals(
    problem: &Problem,
    hidden: &[bool],
    group_of: &[Option<usize>],
    group: usize,
    targets: &[&Target],
) -> Result<Vec<Interval>, AuditFailure> {
    let members: Vec<usize> = (0..problem.cells.len())
        .filter(|&c| group_of[c] == Some(group))
        .collect();
    let relations = relations_of(problem, group_of, group);
    targets
        .iter()
        .map(|t| {
            let low = bound(problem, hidden, &members, &relations, t, false)?;
            let high = bound(problem, hidden, &members, &relations, t, true)?;
            Ok(Interval {
                low: (low.expect("bounded below by zero") - 1e-6).ceil() as i64,
                high: high.map(|h| (h + 1e-6).floor() as i64),
            })
        })
        .collect()
}

/// The least (or greatest) value of the target's sum; `None` when unbounded.
fn bound(
    problem: &Problem,
    hidden: &[bool],
    members: &[usize],
    relations: &[usize],
    target: &Target,
    greatest: bool,
) -> Result<Option<f64>, AuditFailure> {
    let direction = if greatest {
        OptimizationDirection::Maximize
    } else {
        OptimizationDirection::Minimize
    };
    let mut lp = microlp::Problem::new(direction);
    let vars: Vec<(usize, Variable)> = members
        .iter()
        .map(|&c| {
            let objective = if target.cells.contains(&c) { 1.0 } else { 0.0 };
            let low = if hidden[c] { 1.0 } else { 0.0 };
            (c, lp.add_var(objective, (low, f64::INFINITY)))
        })
        .collect();
    let var = |c: usize| vars.iter().find(|(m, _)| *m == c).map(|(_, v)| *v);
    // Σ coefficient·cell, the known cells moved to the right-hand side.
    let linear = |terms: &[(usize, f64)]| {
        let mut expr = Vec::new();
        let mut constant = 0.0;
        for &(c, coefficient) in terms {
            match var(c) {
                Some(v) => expr.push((v, coefficient)),
                None => constant += coefficient * problem.cells[c].value as f64,
            }
        }
        (expr, -constant)
    };
    let mut add = |terms: Vec<(usize, f64)>, op: ComparisonOp| {
        let (expr, rhs) = linear(&terms);
        if !expr.is_empty() {
            lp.add_constraint(expr.as_slice(), op, rhs);
        }
    };
    for &r in relations {
        match &problem.relations[r] {
            Relation::Sum { total, parts } => add(difference(*total, parts), ComparisonOp::Eq),
            Relation::Distinct { total, parts } => {
                // Where the values add up a reader may assume they do: the stricter audit.
                if problem.cells[*total].value == problem.value_of(parts) {
                    add(difference(*total, parts), ComparisonOp::Eq);
                } else {
                    add(difference(*total, parts), ComparisonOp::Le);
                    for &p in parts {
                        add(vec![(p, 1.0), (*total, -1.0)], ComparisonOp::Le);
                    }
                }
            }
            Relation::AtMost { lesser, greater } => {
                add(difference(*lesser, greater), ComparisonOp::Le)
            }
        }
    }
    match lp.solve() {
        Ok(outcome) => match outcome {
            microlp::SolveOutcome::Solution(solution) => Ok(Some(solution.objective())),
            microlp::SolveOutcome::Interrupted(_) => {
                Err(AuditFailure("the solver stopped before an answer".into()))
            }
        },
        Err(microlp::Error::Unbounded) => Ok(None),
        Err(e) => Err(AuditFailure(format!("the solver failed: {e}"))),
    }
}

/// `first − Σ rest` as terms.
fn difference(first: usize, rest: &[usize]) -> Vec<(usize, f64)> {
    std::iter::once((first, 1.0))
        .chain(rest.iter().map(|&p| (p, -1.0)))
        .collect()
}
