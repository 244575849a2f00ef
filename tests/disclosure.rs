//! The disclosure stage on its own: the spec's cases worked by hand (tests/disclosure/
//! cases.test), and the linear-programming audit against an independent enumeration of
//! whole-number solutions on random tables.

use std::path::{Path, PathBuf};

use calamine::{Reader, Xlsx};
use hubstat::disclosure::{Cell, Problem, Protection, Relation, Rule, Target, protect};
use hubstat::query::Engine;
use hubstat::template::Template;
use proptest::prelude::*;

use crate::support::{TODAY, code, engine_options, hubstat, load, root, stderr, stdout};

fn zip_entry(xlsx: &Path, name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(xlsx).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(name).unwrap(), &mut text).unwrap();
    text
}

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
        outcome
            .intervals
            .iter()
            .find(|(u, _)| u == t)
            .map(|(_, i)| {
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
/// printed; margins follow, and must be as printed or, hidden, at least 1.
struct Enumeration<'a> {
    problem: &'a Problem,
    hidden: &'a [bool],
    rows: usize,
    cols: usize,
    grand: i64,
    free: Vec<usize>,
}

impl Enumeration<'_> {
    /// Each cell's least and most over every consistent table.
    fn bounds(&self) -> Vec<(i64, i64)> {
        let mut values: Vec<i64> = self.problem.cells.iter().map(|c| c.value).collect();
        let mut seen = vec![(i64::MAX, i64::MIN); values.len()];
        self.go(0, &mut values, &mut seen);
        seen
    }

    fn go(&self, i: usize, values: &mut Vec<i64>, seen: &mut [(i64, i64)]) {
        let (rows, cols, n) = (self.rows, self.cols, self.rows * self.cols);
        if i == self.free.len() {
            let mut all = values.clone();
            for r in 0..rows {
                all[n + r] = (0..cols).map(|c| all[r * cols + c]).sum();
            }
            for c in 0..cols {
                all[n + rows + c] = (0..rows).map(|r| all[r * cols + c]).sum();
            }
            all[n + rows + cols] = (0..n).map(|c| all[c]).sum();
            let fits = (n..all.len()).all(|m| {
                if self.hidden[m] {
                    all[m] >= 1
                } else {
                    all[m] == self.problem.cells[m].value
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
        // A printed row total bounds the cells of its row.
        let row_total = n + self.free[i] / cols;
        let most = if self.hidden[row_total] {
            self.grand
        } else {
            self.problem.cells[row_total].value
        };
        for v in 1..=most {
            values[self.free[i]] = v;
            self.go(i + 1, values, seen);
        }
    }
}

fn enumerate(problem: &Problem, hidden: &[bool], rows: usize, cols: usize) -> Vec<(i64, i64)> {
    let n = rows * cols;
    let g = n + rows + cols;
    Enumeration {
        problem,
        hidden,
        rows,
        cols,
        grand: problem.cells[g].value + if hidden[g] { BEYOND } else { 0 },
        free: (0..n).filter(|&c| hidden[c]).collect(),
    }
    .bounds()
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

/// The hand-made export of these tests: 인천 with 시군구 28110 (읍면동 가동 with 2 households
/// visited at home in 2020Q3, 나동 with 1, 다동 and 라동 with many) and 28140 (two more).
const DATA: &str = "tests/disclosure/data";

/// Makes the city pack of 2020Q3 for `region` from `data` into `out`; gives the printed paths.
fn city_pack(data: &str, region: &str, out: &Path, extra: &[&str]) -> Vec<PathBuf> {
    let mut args = vec!["--region", region];
    args.extend(extra);
    crate::report::report_of(data, "city-progress", out, &args)
}

/// Every sheet's cells as text (numbers as Rust prints them), by sheet name.
fn sheets(xlsx: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let mut workbook: Xlsx<_> = calamine::open_workbook(xlsx).unwrap();
    let names = workbook.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

fn row_of<'a>(rows: &'a [Vec<String>], code: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r.first().map(String::as_str) == Some(code))
        .unwrap_or_else(|| panic!("no row {code}"))
}

#[test]
fn a_city_pack_is_protected_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.json");
    let written = city_pack(
        DATA,
        "28",
        dir.path(),
        &["--sdc-report", audit.to_str().unwrap()],
    );
    assert!(written.contains(&audit), "the audit is listed: {written:?}");
    let xlsx = dir.path().join("city-progress-28-2020Q3.xlsx");
    let sheets = sheets(&xlsx);
    let emd = &sheets.iter().find(|(n, _)| n == "읍면동별 실적").unwrap().1;
    // 코드, 읍면동, 찾아가는 상담, 방문, 전화, 상담 가구: 가동 2, 나동 1 household(s), both X,
    // protecting each other (2 + 1 = 3 households together): 6 primary cells in all.
    assert_eq!(row_of(emd, "2811051000")[2..], ["X", "X", "0", "X"]);
    assert_eq!(row_of(emd, "2811052000")[2..], ["X", "X", "0", "X"]);
    assert_eq!(row_of(emd, "2811053000")[2..], ["14", "10", "4", "10"]);
    // 28's households are 39, not 42: 가동's two and 나동's one were visited in 28140 too.
    assert_eq!(row_of(emd, "28")[2..], ["58", "42", "16", "39"]);
    assert!(
        emd.iter()
            .flatten()
            .any(|c| c.starts_with("X: 비밀보호 (가구 수 3 미만")),
        "a legend under the table"
    );
    // Every X is text in the file, never a number formatted to look like one.
    let sheet_xml = zip_entry(&xlsx, "xl/worksheets/sheet7.xml");
    assert!(!sheet_xml.contains("<f>"), "no formulas on the sheet");
    let provenance = &sheets.iter().find(|(n, _)| n == "자료").unwrap().1;
    let text: Vec<&String> = provenance.iter().flatten().collect();
    assert!(text.iter().any(|c| c.contains("k = 3, 단위: 가구")));
    assert!(
        text.iter()
            .any(|c| c.starts_with("통과: 보호 대상 6개 모두")),
        "{text:?}"
    );
    assert!(text.iter().any(|c| c.starts_with("통과: 관계 ")));
    let hidden_row = provenance
        .iter()
        .find(|r| r.first().map(String::as_str) == Some("읍면동별 실적"))
        .unwrap();
    assert_eq!(hidden_row[1], "6");
    // The audit: true values for the statistician, readable by its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&audit).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&audit).unwrap()).unwrap();
    let hidden = json["hidden"].as_array().unwrap();
    assert_eq!(hidden.len(), 6);
    let a = hidden
        .iter()
        .find(|h| h["measure"] == "visits.visits_total" && h["region"] == "2811051000")
        .unwrap();
    assert_eq!(a["value"], 2);
    assert_eq!(a["interval"], serde_json::json!([1, 2]));
    assert!(
        a["relations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("28110 = Σ of its 4 regions"))
    );
    // Nothing of the audit is in the workbook's properties or names (only Excel's print
    // titles are named).
    let core = zip_entry(&xlsx, "docProps/core.xml");
    assert!(!core.contains("audit"));
    let workbook = zip_entry(&xlsx, "xl/workbook.xml");
    assert_eq!(
        workbook.matches("<definedName ").count(),
        workbook
            .matches("<definedName name=\"_xlnm.Print_Titles\"")
            .count()
    );
}

/// Moves household H0511's visit from 가동 to 나동 (both hidden, in 28110's sum): every
/// sheet and chart is unchanged, 자료's input file and its hash aside.
#[test]
fn moving_a_household_between_two_hidden_cells_changes_no_output() {
    let before = tempfile::tempdir().unwrap();
    let after = tempfile::tempdir().unwrap();
    let moved = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join(DATA)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), moved.path().join(entry.file_name())).unwrap();
    }
    let visits = moved.path().join("visits.csv");
    let text = std::fs::read_to_string(&visits).unwrap();
    let changed = text.replace("V2,2811051000,T1,", "V2,2811052000,T2,");
    assert_ne!(text, changed);
    std::fs::write(&visits, changed).unwrap();
    let first = city_pack(DATA, "28", before.path(), &[]);
    city_pack(moved.path().to_str().unwrap(), "28", after.path(), &[]);
    for path in &first {
        let relative = path.strip_prefix(before.path()).unwrap();
        let other = after.path().join(relative);
        if path.extension().is_some_and(|e| e == "xlsx") {
            let (a, b) = (sheets(path), sheets(&other));
            for ((name, x), (_, y)) in a.iter().zip(&b) {
                let strip = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
                    rows.iter()
                        .filter(|r| !r.iter().any(|c| c.ends_with(".csv")))
                        .cloned()
                        .collect()
                };
                assert_eq!(strip(x), strip(y), "sheet {name} changed");
            }
        } else {
            assert_eq!(
                std::fs::read(path).unwrap(),
                std::fs::read(&other).unwrap(),
                "{} changed",
                relative.display()
            );
        }
    }
}

/// The cells X in a workbook, as (sheet, row, column).
fn hidden_cells(xlsx: &Path) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for (name, rows) in sheets(xlsx) {
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if cell == "X" {
                    out.push((name.clone(), r, c));
                }
            }
        }
    }
    out
}

#[test]
fn each_pack_agrees_with_its_region_alone() {
    let packs = tempfile::tempdir().unwrap();
    let alone = tempfile::tempdir().unwrap();
    city_pack(DATA, "28", packs.path(), &["--each", "sgg"]);
    city_pack(DATA, "28110", alone.path(), &[]);
    let pack = packs.path().join("city-progress-28110-중구-2020Q3.xlsx");
    let single = alone.path().join("city-progress-28110-2020Q3.xlsx");
    let statuses = hidden_cells(&pack);
    assert!(!statuses.is_empty(), "the pack hides 가동 and 나동");
    assert_eq!(statuses, hidden_cells(&single));
    // The index shows each pack's headline as the pack does.
    let index = packs.path().join("city-progress-index-sgg-28-2020Q3.xlsx");
    assert!(index.exists());
}

#[test]
fn sdc_off_marks_every_sheet_internal_and_k_can_change() {
    let dir = tempfile::tempdir().unwrap();
    city_pack(DATA, "28", dir.path(), &["--sdc", "off"]);
    let sheets_off = sheets(&dir.path().join("city-progress-28-2020Q3.xlsx"));
    for (name, rows) in &sheets_off {
        assert!(
            rows.iter()
                .flatten()
                .any(|c| c.contains("내부용 — 비밀보호 미적용")),
            "sheet {name} is not marked"
        );
    }
    let emd = &sheets_off
        .iter()
        .find(|(n, _)| n == "읍면동별 실적")
        .unwrap()
        .1;
    assert_eq!(row_of(emd, "2811051000")[2..], ["2", "2", "0", "2"]);
    // k = 2: only 나동's single household is primary; 가동 is its partner.
    let two = tempfile::tempdir().unwrap();
    city_pack(DATA, "28", two.path(), &["--min-households", "2"]);
    let sheets_two = sheets(&two.path().join("city-progress-28-2020Q3.xlsx"));
    let emd = &sheets_two
        .iter()
        .find(|(n, _)| n == "읍면동별 실적")
        .unwrap()
        .1;
    assert_eq!(row_of(emd, "2811052000")[2..], ["X", "X", "0", "X"]);
    assert_eq!(row_of(emd, "2811051000")[2..], ["X", "X", "0", "X"]);
    let text: Vec<String> = sheets_two
        .into_iter()
        .flat_map(|(_, r)| r)
        .flatten()
        .collect();
    assert!(text.iter().any(|c| c.contains("k = 2, 단위: 가구")));
    let refused = hubstat(&[
        "report",
        "city-progress",
        "--data",
        DATA,
        "--period",
        "2020Q3",
        "--region",
        "28",
        "--out",
        dir.path().to_str().unwrap(),
        "--min-households",
        "11",
    ]);
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
}

/// A template whose charts draw the 읍면동 visits, where 가동 and 나동 are hidden.
const CHARTED: &str = r#"
title = "표"
region = "required"

[[sheets]]
title = "읍면동"
query = "visits"
level = "emd"
columns = [
    { column = "region_code", header = "코드" },
    { column = "region_name", header = "읍면동" },
    { column = "visits_home", header = "방문", format = "count" },
    { column = "visits_phone", header = "전화", format = "count" },
]

[[sheets]]
title = "자료"
kind = "provenance"

[[charts]]
name = "stacked"
sheet = "읍면동"
type = "stacked_bar"
title = "읍면동별 상담"
categories = "region_name"
series = [{ column = "visits_home", name = "방문" }, { column = "visits_phone", name = "전화" }]
x_axis = "읍면동"
y_axis = "건"
"#;

#[test]
fn charts_draw_hidden_cells_as_gaps() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(templates.path().join("charted.toml"), CHARTED).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let templates_arg = templates.path().to_str().unwrap();
    crate::report::report_of(
        DATA,
        "charted",
        dir.path(),
        &["--region", "28", "--templates", templates_arg],
    );
    let xlsx = dir.path().join("charted-28-2020Q3.xlsx");
    let sheet = zip_entry(&xlsx, "xl/worksheets/sheet1.xml");
    let chart = zip_entry(&xlsx, "xl/charts/chart1.xml");
    // The series read hidden helper columns (from BI, the 61st), not the table.
    assert!(chart.contains("$BI$"), "{chart}");
    assert!(chart.contains("dispNaAsBlank"), "#N/A drawn as a gap");
    assert!(
        !chart.contains("plotVisOnly"),
        "the hidden helper columns are drawn"
    );
    // The helper holds #N/A in both columns of the rows with an X (a stacked bar is a gap
    // as a whole), the numbers elsewhere.
    let rows = sheets(&xlsx);
    let table = &rows[0].1;
    for row in table
        .iter()
        .filter(|r| r.first().is_some_and(|c| c.len() == 10))
    {
        let hidden = row[2] == "X" || row[3] == "X";
        let helper = &row[60..62];
        if hidden {
            assert_eq!(helper, ["#N/A", "#N/A"], "{row:?}");
        } else {
            assert_eq!(helper, &row[2..4], "{row:?}");
        }
    }
    assert!(sheet.contains("<f>NA()</f>"));
    assert!(!chart.contains("<c:v>2</c:v>") || !chart.contains("numCache"));
    assert!(
        dir.path()
            .join("charts/charted-28-2020Q3-stacked.png")
            .exists()
    );
    let svg =
        std::fs::read_to_string(dir.path().join("charts/charted-28-2020Q3-stacked.svg")).unwrap();
    assert!(
        svg.lines().any(|l| l.trim() == "X"),
        "an X at the baseline of a hidden bar"
    );
}

/// What is about to be published must add up: a hand-made 읍면동 row one visit over its
/// 시군구 stops the run with the relation named.
#[test]
fn a_sum_that_does_not_add_up_stops_the_run() {
    use hubstat::disclosure::{Parents, check_and_protect};
    use hubstat::report::{ReportAsk, SheetData, Value, build};
    let data = load(&root().join(DATA));
    let engine = Engine::new(&data.store, engine_options()).unwrap();
    let template = Template::find("city-progress", &root().join("report-templates")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let asked = ReportAsk {
        period: "2020Q3".parse().unwrap(),
        scope: Some("28".into()),
        geography: hubstat::geography::Geography::Recorded,
        generated_at: chrono::NaiveDate::from_ymd_opt(2020, 10, 5)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
        shared: None,
        internal: true,
    };
    let report = runtime
        .block_on(build(&template, &data.store, &engine, asked, &|_| {}))
        .unwrap();
    let mut reports = vec![report];
    let clean = check_and_protect(&mut reports.clone(), &Parents::default(), None);
    assert!(clean.is_ok(), "{clean:?}");
    for sheet in &mut reports[0].sheets {
        if let SheetData::Table { spec, rows, .. } = sheet
            && spec.title.get_ref() == "읍면동별 실적"
        {
            let c = rows.index("visits_total").unwrap();
            let home = rows.index("visits_home").unwrap();
            rows.rows[2][c] = Value::Number(15.0);
            rows.rows[2][home] = Value::Number(11.0);
        }
    }
    let error = check_and_protect(&mut reports, &Parents::default(), None).unwrap_err();
    assert_eq!(hubstat::error_exit_status(&error) as i32, 1);
    assert_eq!(
        error.to_string(),
        "consistency check failed: visits.visits_home 2020Q3: 28110 = Σ of its 4 regions one level down: 28110 is 25, its parts add up to 26 (difference -1)"
    );
}

/// `query --sdc`: the figure on its own, small counts null with a flag column each after the
/// figure's columns; without it, the true values.
#[test]
fn query_withholds_small_counts_when_asked() {
    let args = [
        "query", "visits", "--data", DATA, "--period", "2020Q3", "--level", "emd", "--today",
        TODAY, "--format", "csv",
    ];
    let mut flagged = args.to_vec();
    flagged.push("--sdc");
    let output = hubstat(&flagged);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "region_code,region_name,visits_total,visits_home,visits_phone,visits_office,visits_other,households,visits_total_flag,visits_home_flag,visits_phone_flag,visits_office_flag,visits_other_flag,households_flag\n\
         2811051000,가동,,,0,0,0,,X,X,,,,X\n\
         2811052000,나동,,,0,0,0,,X,X,,,,X\n\
         2811053000,다동,14,10,4,0,0,10,,,,,,\n\
         2811054000,라동,16,12,4,0,0,12,,,,,,\n\
         2814051000,마동,12,8,4,0,0,8,,,,,,\n\
         2814052000,바동,13,9,4,0,0,9,,,,,,\n"
    );
    let plain = hubstat(&args);
    assert!(
        stdout(&plain).contains("2811051000,가동,2,2,0,0,0,2\n"),
        "{}",
        stdout(&plain)
    );
}
