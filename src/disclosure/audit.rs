//! Takes a problem and the cells hidden so far, and gives, for each target, the smallest and
//! largest whole values a reader can find for it from everything printed: by linear
//! programming (microlp) over each connected group of unknown cells, a hidden cell being at
//! least 1 and an unprinted one at least 0.

use std::collections::BTreeMap;

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

/// Groups of unknown cells joined by the relations they share, each numbered by its
/// smallest cell, with its cells and the relations with a member in it.
pub struct Groups {
    /// Each cell's group, `None` for a known cell.
    pub of: Vec<Option<usize>>,
    pub members: BTreeMap<usize, Vec<usize>>,
    pub relations: BTreeMap<usize, Vec<usize>>,
}

impl Groups {
    pub fn new(problem: &Problem, unknown: &[bool]) -> Groups {
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
        let of: Vec<Option<usize>> = (0..problem.cells.len())
            .map(|c| unknown[c].then(|| root(&mut parent, c)))
            .collect();
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (c, g) in of.iter().enumerate() {
            if let Some(g) = g {
                members.entry(*g).or_default().push(c);
            }
        }
        let mut relations: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (r, relation) in problem.relations.iter().enumerate() {
            if let Some(g) = relation.members().find_map(|m| of[m]) {
                relations.entry(g).or_default().push(r);
            }
        }
        Groups {
            of,
            members,
            relations,
        }
    }

    /// The relations with a member in `group`.
    pub fn relations_of(&self, group: usize) -> &[usize] {
        self.relations.get(&group).map_or(&[], Vec::as_slice)
    }
}

/// An audit that could not be carried out: the relations contradict the values (a defect,
/// since the consistency checks run first) or the solver gave up.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditFailure(pub String);

/// Larger than any count a run prints: the audit's stand-in for "no bound above".
const UNBOUNDED: f64 = 1e10;

/// The linear program of one group, solved once with a free objective variable `z`; each
/// target's least and greatest values are then found from copies of that solution with
/// `z = Σ target` added (a warm start, not a solve from scratch).
pub struct GroupProgram {
    members: Vec<usize>,
    vars: Vec<Variable>,
    z: Variable,
    greatest: microlp::Solution,
    least: microlp::Solution,
}

impl GroupProgram {
    pub fn new(
        problem: &Problem,
        hidden: &[bool],
        groups: &Groups,
        group: usize,
    ) -> Result<GroupProgram, AuditFailure> {
        let members = groups.members[&group].clone();
        let relations = groups.relations_of(group);
        let solve = |direction| {
            let (lp, vars, z) = program(problem, hidden, &members, relations, direction);
            match lp.solve() {
                Ok(microlp::SolveOutcome::Solution(solution)) => Ok((solution, vars, z)),
                Ok(microlp::SolveOutcome::Interrupted(_)) => {
                    Err(AuditFailure("the solver stopped before an answer".into()))
                }
                Err(e) => Err(AuditFailure(format!("the solver failed: {e}"))),
            }
        };
        let (greatest, vars, z) = solve(OptimizationDirection::Maximize)?;
        let (least, _, _) = solve(OptimizationDirection::Minimize)?;
        Ok(GroupProgram {
            members,
            vars,
            z,
            greatest,
            least,
        })
    }

    /// The least (or greatest) value of the target's sum; `None` when unbounded.
    fn extreme(&self, target: &Target, greatest: bool) -> Result<Option<f64>, AuditFailure> {
        let base = if greatest {
            &self.greatest
        } else {
            &self.least
        };
        let mut expr = vec![(self.z, 1.0)];
        for c in &target.cells {
            let i = self
                .members
                .binary_search(c)
                .map_err(|_| AuditFailure("a target outside its group".into()))?;
            expr.push((self.vars[i], -1.0));
        }
        match base
            .clone()
            .add_constraint(expr.as_slice(), ComparisonOp::Eq, 0.0)
        {
            Ok(microlp::SolveOutcome::Solution(solution)) => {
                let value = solution.objective();
                Ok((value < UNBOUNDED - 1.0).then_some(value))
            }
            Ok(microlp::SolveOutcome::Interrupted(_)) => {
                Err(AuditFailure("the solver stopped before an answer".into()))
            }
            Err(e) => Err(AuditFailure(format!("the solver failed: {e}"))),
        }
    }

    /// The whole values the target can take.
    pub fn interval(&self, target: &Target) -> Result<Interval, AuditFailure> {
        let low = self.extreme(target, false)?.unwrap_or(0.0);
        let high = self.extreme(target, true)?;
        Ok(Interval {
            low: (low - 1e-6).ceil() as i64,
            high: high.map(|h| (h + 1e-6).floor() as i64),
        })
    }
}

/// The program of a group's cells (a hidden one at least 1, an unprinted one at least 0)
/// under its relations, the known cells as constants, and `z` in [0, UNBOUNDED] to optimize.
fn program(
    problem: &Problem,
    hidden: &[bool],
    members: &[usize],
    relations: &[usize],
    direction: OptimizationDirection,
) -> (microlp::Problem, Vec<Variable>, Variable) {
    let mut lp = microlp::Problem::new(direction);
    let vars: Vec<Variable> = members
        .iter()
        .map(|&c| {
            let low = if hidden[c] { 1.0 } else { 0.0 };
            lp.add_var(0.0, (low, f64::INFINITY))
        })
        .collect();
    let z = lp.add_var(1.0, (0.0, UNBOUNDED));
    let var = |c: usize| members.binary_search(&c).ok().map(|i| vars[i]);
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
    (lp, vars, z)
}

/// `first − Σ rest` as terms.
fn difference(first: usize, rest: &[usize]) -> Vec<(usize, f64)> {
    std::iter::once((first, 1.0))
        .chain(rest.iter().map(|&p| (p, -1.0)))
        .collect()
}
