//! The disclosure stage on its own: the spec's cases worked by hand (tests/disclosure/
//! cases.test), and the linear-programming audit against an independent enumeration of
//! whole-number solutions on random tables.

use hubstat::disclosure::{Cell, Problem, Protection, Relation, Rule, Target, protect};
use proptest::prelude::*;

use crate::support::root;

/// A case of cases.test: its cells by name, in order.
struct Case {
    names: Vec<String>,
    problem: Problem,
    rule: Rule,
}

fn cell(token: &str) -> (String, Cell) {
    let (name, rest) = token.split_once('=').expect("NAME=VALUE");
    let mut flags = rest.split(':');
    let value: i64 = flags.next().unwrap().parse().expect("a whole value");
    let mut cell = Cell {
        value,
        households: value,
        sensitive: true,
        printed: true,
        frozen: false,
        depth: 0,
    };
    for flag in flags {
        match flag {
            "u" => cell.printed = false,
            "f" => cell.frozen = true,
            "P" => cell.sensitive = false,
            f if f.starts_with('h') => cell.households = f[1..].parse().unwrap(),
            f if f.starts_with('d') => cell.depth = f[1..].parse().unwrap(),
            f => panic!("unknown flag {f}"),
        }
    }
    (name.to_string(), cell)
}

fn parse_relation(kind: &str, text: &str, names: &[String]) -> Relation {
    let index = |n: &str| {
        names
            .iter()
            .position(|m| m == n.trim())
            .unwrap_or_else(|| panic!("no cell {n}"))
    };
    let (left, right) = text
        .split_once(" = ")
        .or_else(|| text.split_once(" <= "))
        .expect("A = B + C");
    let parts: Vec<usize> = right.split(" + ").map(index).collect();
    let first = index(left);
    match kind {
        "sum" => Relation::Sum {
            total: first,
            parts,
        },
        "distinct" => Relation::Distinct {
            total: first,
            parts,
        },
        "atmost" => Relation::AtMost {
            lesser: first,
            greater: parts,
        },
        k => panic!("unknown relation {k}"),
    }
}

/// What `> protect` prints for a case.
fn protect_text(case: &Case) -> String {
    let outcome = protect(&case.problem, case.rule).expect("the audit runs");
    let interval = |t: &Target| {
        outcome.intervals.iter().find(|(u, _)| u == t).map(|(_, i)| {
            let high = i.high.map_or("∞".to_string(), |h| h.to_string());
            format!(" [{}, {high}]", i.low)
        })
    };
    let mut out = String::new();
    for (c, name) in case.names.iter().enumerate() {
        let cell = &case.problem.cells[c];
        let shown = if !cell.printed {
            "-".to_string()
        } else if outcome.hidden[c] {
            "X".to_string()
        } else {
            cell.value.to_string()
        };
        let target = Target { cells: vec![c] };
        let bounds = if cell.printed {
            interval(&target).unwrap_or_default()
        } else {
            String::new()
        };
        out.push_str(&format!("{name} {shown}{bounds}\n"));
    }
    for (t, _) in &outcome.intervals {
        if t.cells.iter().any(|&c| !case.problem.cells[c].printed) {
            let names: Vec<&str> = t.cells.iter().map(|&c| case.names[c].as_str()).collect();
            out.push_str(&format!(
                "virtual {}{}\n",
                names.join(" + "),
                interval(t).unwrap()
            ));
        }
    }
    out
}

#[test]
fn the_cases_of_the_specification() {
    let path = root().join("tests/disclosure/cases.test");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut failures = Vec::new();
    let mut case = Case {
        names: Vec::new(),
        problem: Problem::default(),
        rule: Rule::default(),
    };
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        if let Some(cells) = line.strip_prefix("cells ") {
            for (name, cell) in cells.split_whitespace().map(self::cell) {
                case.names.push(name);
                case.problem.cells.push(cell);
            }
        } else if line == "protection range" {
            case.rule.protection = Protection::Range;
        } else if let Some((kind, rest)) = line.split_once(' ')
            && ["sum", "distinct", "atmost"].contains(&kind)
        {
            let relation = parse_relation(kind, rest, &case.names);
            case.problem.relations.push(relation);
        } else if line == "> protect" {
            let mut expected = String::new();
            while let Some((_, l)) = lines.peek() {
                if l.is_empty() {
                    break;
                }
                expected.push_str(l);
                expected.push('\n');
                lines.next();
            }
            let actual = protect_text(&case);
            if actual != expected {
                failures.push(format!(
                    "cases.test:{}:\n--- expected\n{expected}--- actual\n{actual}",
                    n + 1
                ));
            }
            case = Case {
                names: Vec::new(),
                problem: Problem::default(),
                rule: Rule::default(),
            };
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An R×C table with its row, column and grand totals, all printed, the grand total frozen.
fn table(interior: &[Vec<i64>]) -> Problem {
    let rows = interior.len();
    let cols = interior[0].len();
    let mut cells = Vec::new();
    let plain = |value: i64, depth: u8| Cell {
        value,
        households: value,
        sensitive: true,
        printed: true,
        frozen: false,
        depth,
    };
    for row in interior {
        for &v in row {
            cells.push(plain(v, 2));
        }
    }
    let at = |r: usize, c: usize| r * cols + c;
    let row_total = cells.len();
    for row in interior {
        cells.push(plain(row.iter().sum(), 2));
    }
    let col_total = cells.len();
    for c in 0..cols {
        cells.push(plain(interior.iter().map(|r| r[c]).sum(), 1));
    }
    let grand = cells.len();
    let mut g = plain(interior.iter().flatten().sum(), 1);
    g.frozen = true;
    cells.push(g);
    let mut relations = Vec::new();
    for r in 0..rows {
        relations.push(Relation::Sum {
            total: row_total + r,
            parts: (0..cols).map(|c| at(r, c)).collect(),
        });
    }
    for c in 0..cols {
        relations.push(Relation::Sum {
            total: col_total + c,
            parts: (0..rows).map(|r| at(r, c)).collect(),
        });
    }
    relations.push(Relation::Sum {
        total: grand,
        parts: (0..rows).map(|r| row_total + r).collect(),
    });
    relations.push(Relation::Sum {
        total: grand,
        parts: (0..cols).map(|c| col_total + c).collect(),
    });
    Problem { cells, relations }
}

/// Past the grand total, the values tried for a table whose grand total is hidden: a cell
/// that reaches it is unbounded above.
const BEYOND: i64 = 3;

/// Every whole-number table a reader could take for the true one: hidden interior cells are
/// tried from 1 up to the grand total (or past it, when it is hidden), the others are as
/// printed; margins follow, and must be as printed or, hidden, at least 1. Gives each cell's
/// least and most.
fn enumerate(problem: &Problem, hidden: &[bool], rows: usize, cols: usize) -> Vec<(i64, i64)> {
    let n = rows * cols;
    let g = n + rows + cols;
    let grand = problem.cells[g].value + if hidden[g] { BEYOND } else { 0 };
    let free: Vec<usize> = (0..n).filter(|&c| hidden[c]).collect();
    let mut values: Vec<i64> = problem.cells.iter().map(|c| c.value).collect();
    let mut seen: Vec<(i64, i64)> = vec![(i64::MAX, i64::MIN); problem.cells.len()];
    fn go(
        i: usize,
        free: &[usize],
        values: &mut Vec<i64>,
        seen: &mut Vec<(i64, i64)>,
        problem: &Problem,
        hidden: &[bool],
        grand: i64,
        shape: (usize, usize),
    ) {
        let (rows, cols) = shape;
        if i == free.len() {
            let n = rows * cols;
            let mut all = values.clone();
            for r in 0..rows {
                all[n + r] = (0..cols).map(|c| all[r * cols + c]).sum();
            }
            for c in 0..cols {
                all[n + rows + c] = (0..rows).map(|r| all[r * cols + c]).sum();
            }
            all[n + rows + cols] = (0..n).map(|c| all[c]).sum();
            let fits = (n..all.len()).all(|m| {
                if hidden[m] {
                    all[m] >= 1
                } else {
                    all[m] == problem.cells[m].value
                }
            });
            if fits {
                for (m, v) in all.iter().enumerate() {
                    seen[m].0 = seen[m].0.min(*v);
                    seen[m].1 = seen[m].1.max(*v);
                }
            }
            return;
        }
        for v in 1..=grand {
            values[free[i]] = v;
            go(i + 1, free, values, seen, problem, hidden, grand, shape);
        }
    }
    go(
        0,
        &free,
        &mut values,
        &mut seen,
        problem,
        hidden,
        grand,
        (rows, cols),
    );
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// On random 2×2, 3×2 and 2×3 tables: every primary is hidden and has at least two
    /// whole values under "hidden means at least 1"; no X on a zero; and the intervals the LP
    /// audit gives are those an enumeration of every consistent table finds.
    #[test]
    fn the_audit_agrees_with_an_enumeration(
        shape in prop::sample::select(vec![(2usize, 2usize), (3, 2), (2, 3)]),
        values in prop::collection::vec(0i64..5, 6),
    ) {
        let (rows, cols) = shape;
        let interior: Vec<Vec<i64>> = (0..rows)
            .map(|r| (0..cols).map(|c| values[r * cols + c]).collect())
            .collect();
        let problem = table(&interior);
        let rule = Rule::default();
        let outcome = protect(&problem, rule).unwrap();
        for (c, cell) in problem.cells.iter().enumerate() {
            prop_assert!(!(outcome.hidden[c] && cell.value == 0), "an X on a zero");
            if problem.is_primary(c, rule) {
                prop_assert!(outcome.hidden[c], "primary {c} shown");
            }
        }
        if outcome.unprotected.is_empty() {
            let seen = enumerate(&problem, &outcome.hidden, rows, cols);
            for (target, interval) in &outcome.intervals {
                let c = target.cells[0];
                prop_assert_eq!(interval.low, seen[c].0, "least of cell {}", c);
                match interval.high {
                    Some(high) => prop_assert_eq!(high, seen[c].1, "most of cell {}", c),
                    None => prop_assert!(
                        seen[c].1 >= problem.cells[problem.cells.len() - 1].value + BEYOND - 1,
                        "cell {} unbounded for the LP, not for the enumeration", c
                    ),
                }
                prop_assert!(seen[c].1 > seen[c].0, "cell {} derivable", c);
            }
        }
    }
}
