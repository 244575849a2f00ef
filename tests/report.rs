//! Reports read back: sheet names, headers, number formats, every figure cell against the
//! query's value, chart ranges, chart images, byte-identical runs, template errors.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use calamine::{Data, DataType, Reader, Xlsx};
use hubstat::catalogue::{Params, figure};
use hubstat::period::Period;
use hubstat::query::Engine;
use hubstat::region::RegionLevel;
use hubstat::report::Value;
use hubstat::template::{SheetKind, Template};

use crate::support::{TODAY, code, copy_of_figures_data, hubstat, root, sample, stderr, stdout};

const GENERATED_AT: &str = "2020-10-05T09:00:00Z";

fn make_report(name: &str, region: Option<&str>, out: &Path, extra: &[&str]) -> Vec<PathBuf> {
    let mut extra = extra.to_vec();
    if let Some(region) = region {
        extra.extend(["--region", region]);
    }
    report_of("fixtures/sample", name, out, &extra)
}

/// Makes report `name` of 2020Q3 from `data`; gives the paths it printed.
pub(crate) fn report_of(data: &str, name: &str, out: &Path, extra: &[&str]) -> Vec<PathBuf> {
    let out_arg = out.to_str().unwrap();
    let mut args = vec![
        "report",
        name,
        "--data",
        data,
        "--period",
        "2020Q3",
        "--out",
        out_arg,
        "--today",
        TODAY,
        "--generated-at",
        GENERATED_AT,
    ];
    args.extend(extra);
    let output = hubstat(&args);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    stdout(&output).lines().map(PathBuf::from).collect()
}

fn zip_entry(xlsx: &Path, name: &str) -> String {
    let mut archive = zip::ZipArchive::new(fs::File::open(xlsx).unwrap()).unwrap();
    let mut entry = archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in {}", xlsx.display()));
    let mut text = String::new();
    entry.read_to_string(&mut text).unwrap();
    text
}

fn attribute<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&element[start..start + element[start..].find('"')?])
}

/// The number format code of a cell, from the sheet's XML and styles.xml.
fn number_format(xlsx: &Path, sheet: usize, cell: &str) -> String {
    let xml = zip_entry(xlsx, &format!("xl/worksheets/sheet{sheet}.xml"));
    let at = xml
        .find(&format!("<c r=\"{cell}\""))
        .unwrap_or_else(|| panic!("cell {cell}"));
    let element = &xml[at..at + xml[at..].find('>').unwrap()];
    let style: usize = attribute(element, "s").map_or(0, |s| s.parse().unwrap());
    let styles = zip_entry(xlsx, "xl/styles.xml");
    let xfs = &styles[styles.find("<cellXfs").unwrap()..];
    let xf = xfs.split("<xf ").nth(style + 1).unwrap();
    let id = attribute(&format!(" {xf}"), "numFmtId")
        .unwrap()
        .to_string();
    if id == "0" {
        return "General".into();
    }
    let marker = format!("<numFmt numFmtId=\"{id}\" formatCode=\"");
    let start = styles.find(&marker).unwrap() + marker.len();
    styles[start..start + styles[start..].find('"').unwrap()].replace("&quot;", "\"")
}

fn expected_rows(
    engine: &Engine,
    query: &str,
    level: RegionLevel,
    scope: Option<&str>,
) -> Vec<Vec<Value>> {
    let params = Params {
        period: "2020Q3".parse::<Period>().unwrap(),
        level,
        scope: scope.map(str::to_string),
        geography: hubstat::geography::Geography::End,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let table = runtime
        .block_on(engine.figure(figure(query).unwrap(), &params))
        .unwrap();
    hubstat::report::Rows::from_result(&table).unwrap().rows
}

fn matches(
    cell: &Data,
    value: &Value,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    match (cell, value) {
        (Data::Empty, Value::Null) => true,
        // A rate or ratio without a denominator: 해당 없음.
        (Data::String(s), Value::Null) => s == "-",
        (Data::Float(x), Value::Number(y)) => x == y,
        (Data::Int(x), Value::Number(y)) => *x as f64 == *y,
        (Data::Bool(x), Value::Bool(y)) => x == y,
        (Data::String(s), Value::Text(t)) => s == labels.get(t).unwrap_or(t),
        _ => false,
    }
}

/// The cells an audit file (`--sdc-report`) lists as hidden: (figure.column, region).
fn hidden_in(audit: &Path) -> std::collections::HashSet<(String, String)> {
    let json: serde_json::Value = serde_json::from_slice(&fs::read(audit).unwrap()).unwrap();
    json["hidden"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["period"] == "2020Q3")
        .map(|h| {
            (
                h["measure"].as_str().unwrap().to_string(),
                h["region"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every figure cell of every table sheet equals the query's own value, or is the text X
/// where the audit hid it (a rate: where an input of its row is hidden); totals come first.
fn check_tables(xlsx: &Path, template: &Template, scope: Option<&str>, audit: &Path) {
    let hidden = hidden_in(audit);
    let dataset = sample();
    let engine = Engine::new(&dataset.store, crate::support::engine_options()).unwrap();
    let mut workbook: Xlsx<_> = calamine::open_workbook(xlsx).unwrap();
    let names: Vec<String> = template
        .sheets
        .iter()
        .map(|s| s.title.get_ref().clone())
        .collect();
    assert_eq!(workbook.sheet_names(), names);
    let scope_level = scope
        .and_then(RegionLevel::of_code)
        .unwrap_or(RegionLevel::National);
    for sheet in template
        .sheets
        .iter()
        .filter(|s| s.kind == SheetKind::Table)
    {
        let title = sheet.title.get_ref();
        let range = workbook.worksheet_range(title).unwrap();
        let query = sheet.query.as_ref().unwrap().get_ref();
        let level = sheet.level.unwrap().resolve(scope);
        let mut expected = Vec::new();
        if sheet.total && level > scope_level {
            expected.extend(expected_rows(&engine, query, scope_level, scope));
        }
        let rows = expected_rows(&engine, query, level, scope);
        expected.extend(rows);
        // The columns of the query, to find each shown column's value.
        let params_columns = hubstat::catalogue::figure(query).unwrap();
        let table_columns = {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let p = Params {
                period: "2020Q3".parse().unwrap(),
                level,
                scope: scope.map(str::to_string),
                geography: hubstat::geography::Geography::End,
            };
            let t = runtime.block_on(engine.figure(params_columns, &p)).unwrap();
            t.schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect::<Vec<_>>()
        };
        for (c, column) in sheet.columns.iter().enumerate() {
            let header = range.get((3, c)).unwrap();
            assert_eq!(
                header,
                &Data::String(column.header.clone()),
                "{title} header {c}"
            );
            let index = table_columns
                .iter()
                .position(|n| n == column.column.get_ref())
                .unwrap();
            let region = table_columns
                .iter()
                .position(|n| n == "region_code")
                .unwrap();
            for (r, row) in expected.iter().enumerate() {
                let cell = range.get((4 + r, c)).unwrap_or(&Data::Empty);
                if cell == &Data::String("X".into()) {
                    let Value::Text(code) = &row[region] else {
                        panic!("a region code")
                    };
                    let measure = format!("{query}.{}", column.column.get_ref());
                    let withheld = hidden.contains(&(measure, code.clone()))
                        || (column.format == hubstat::template::CellFormat::Rate
                            && hidden
                                .iter()
                                .any(|(m, c)| c == code && m.starts_with(query)));
                    assert!(withheld, "{title} row {r}: an X the audit does not list");
                    assert_ne!(
                        row[index],
                        Value::Number(0.0),
                        "{title} row {r}: an X on a 0"
                    );
                    continue;
                }
                assert!(
                    matches(cell, &row[index], &column.labels),
                    "{title} row {r} column {}: cell {cell:?}, query {:?}",
                    column.column.get_ref(),
                    row[index]
                );
            }
        }
        let after = range.get((4 + expected.len(), 0)).unwrap_or(&Data::Empty);
        assert_eq!(after, &Data::Empty, "{title}: no rows beyond the query's");
    }
}

#[test]
fn quarterly_report_holds_the_queries_values() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.json");
    let written = make_report(
        "quarterly",
        None,
        dir.path(),
        &["--sdc-report", audit.to_str().unwrap()],
    );
    let xlsx = dir.path().join("quarterly-national-2020Q3.xlsx");
    assert_eq!(written[0], xlsx);
    let template = Template::find("quarterly", &root().join("report-templates")).unwrap();
    check_tables(&xlsx, &template, None, &audit);

    // Key number formats: 설치현황 is the second sheet; row 5 is the 전국 total.
    assert_eq!(number_format(&xlsx, 2, "C5"), "#,##0");
    assert_eq!(number_format(&xlsx, 2, "E5"), "0.0%");
    assert_eq!(number_format(&xlsx, 1, "E5"), "+#,##0;-#,##0;0");
    assert_eq!(number_format(&xlsx, 1, "F5"), "+0.0%;-0.0%;0.0%");
    assert_eq!(
        number_format(&xlsx, 1, "E7"),
        "+0.0\"%p\";-0.0\"%p\";0.0\"%p\""
    );

    // The summary's current-period column holds the national figures.
    let dataset = sample();
    let engine = Engine::new(&dataset.store, crate::support::engine_options()).unwrap();
    let coverage = expected_rows(&engine, "coverage", RegionLevel::National, None);
    let mut workbook: Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let summary = workbook.worksheet_range("요약").unwrap();
    assert_eq!(summary.get((4, 0)), Some(&Data::String("읍면동 수".into())));
    assert_eq!(
        summary.get((4, 1)).and_then(|d| d.as_f64()),
        coverage[0][2].number()
    );
    assert_eq!(
        summary.get((6, 1)).and_then(|d| d.as_f64()),
        coverage[0][4].number()
    );

    // Native charts bound to the ranges of the rows below the total.
    let chart = zip_entry(&xlsx, "xl/charts/chart1.xml");
    assert!(chart.contains("<c:f>설치현황!$B$6:$B$22</c:f>"), "{chart}");
    assert!(chart.contains("<c:f>설치현황!$E$6:$E$22</c:f>"), "{chart}");
    let staff = zip_entry(&xlsx, "xl/charts/chart2.xml");
    assert!(staff.contains("인력현황!$D$6:$D$22") && staff.contains("인력현황!$E$6:$E$22"));

    // Chart images.
    for name in [
        "coverage-by-sido",
        "staff-by-sido",
        "trend-activity",
        "trend-coverage",
    ] {
        let png = dir
            .path()
            .join(format!("charts/quarterly-national-2020Q3-{name}.png"));
        let svg = dir
            .path()
            .join(format!("charts/quarterly-national-2020Q3-{name}.svg"));
        assert!(written.contains(&png) && written.contains(&svg), "{name}");
        assert!(
            fs::read(&png).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"),
            "{name}"
        );
        assert!(fs::read_to_string(&svg).unwrap().contains("<svg"), "{name}");
    }
    let provenance = workbook.worksheet_range("자료").unwrap();
    let texts: Vec<String> = provenance
        .used_cells()
        .filter_map(|(_, _, d)| d.as_string())
        .collect();
    assert!(texts.iter().any(|t| t == "fixtures/sample/visits.csv"));
    assert!(texts.iter().any(|t| t == "queries/coverage.sql"));
    assert!(texts.iter().any(|t| t == "2020-10-05T09:00:00Z"));
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn city_progress_report_holds_the_queries_values() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.json");
    make_report(
        "city-progress",
        Some("28"),
        dir.path(),
        &["--sdc-report", audit.to_str().unwrap()],
    );
    let xlsx = dir.path().join("city-progress-28-2020Q3.xlsx");
    let template = Template::find("city-progress", &root().join("report-templates")).unwrap();
    check_tables(&xlsx, &template, Some("28"), &audit);
    let chart = zip_entry(&xlsx, "xl/charts/chart1.xml");
    assert!(
        chart.contains("<c:f>'시군구별 현황'!$B$6:$B$15</c:f>"),
        "{chart}"
    );
}

#[test]
fn same_input_gives_the_same_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    make_report("city-progress", Some("42110"), first.path(), &[]);
    make_report("city-progress", Some("42110"), second.path(), &[]);
    for file in [
        "city-progress-42110-2020Q3.xlsx",
        "charts/city-progress-42110-2020Q3-trend-activity.png",
        "charts/city-progress-42110-2020Q3-trend-activity.svg",
    ] {
        assert_eq!(
            fs::read(first.path().join(file)).unwrap(),
            fs::read(second.path().join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn household_ids_never_appear_in_a_report() {
    let dir = tempfile::tempdir().unwrap();
    make_report("city-progress", Some("28"), dir.path(), &[]);
    let strings = zip_entry(
        &dir.path().join("city-progress-28-2020Q3.xlsx"),
        "xl/sharedStrings.xml",
    );
    let visits = fs::read_to_string(root().join("fixtures/sample/visits.csv")).unwrap();
    for line in visits.lines().skip(1).take(200) {
        let household = line.split(',').nth(3).unwrap();
        assert!(!strings.contains(household), "{household}");
    }
}

#[test]
fn skipped_rows_are_reported_in_the_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let output = hubstat(&[
        "report",
        "city-progress",
        "--data",
        "tests/figures/data",
        "--period",
        "2020Q3",
        "--region",
        "28",
        "--out",
        dir.path().to_str().unwrap(),
        "--today",
        TODAY,
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let bad = tempfile::tempdir().unwrap();
    copy_of_figures_data(bad.path());
    let mut visits = fs::read_to_string(bad.path().join("visits.csv")).unwrap();
    visits.push_str("V99,2811051000,T1,H9,2020-08-01,방문x,노인\n");
    fs::write(bad.path().join("visits.csv"), visits).unwrap();
    let args = [
        "report",
        "city-progress",
        "--data",
        bad.path().to_str().unwrap(),
        "--period",
        "2020Q3",
        "--region",
        "28",
        "--out",
        dir.path().to_str().unwrap(),
        "--today",
        TODAY,
    ];
    assert_eq!(code(&hubstat(&args)), 1);
    let output = hubstat(&[&args[..], &["--skip-invalid"]].concat());
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let mut workbook: Xlsx<_> =
        calamine::open_workbook(dir.path().join("city-progress-28-2020Q3.xlsx")).unwrap();
    let first = workbook.worksheet_range("요약").unwrap();
    let note = first
        .get((2, 0))
        .and_then(|d| d.as_string())
        .unwrap_or_default();
    assert!(note.contains("visits.csv 1행"), "{note}");
    let provenance = workbook.worksheet_range("자료").unwrap();
    let row = provenance
        .rows()
        .find(|r| r.first() == Some(&Data::String("visits".into())))
        .unwrap();
    assert_eq!(
        &row[6..9],
        &[Data::Float(12.0), Data::Float(11.0), Data::Float(1.0)]
    );
}

#[test]
fn report_region_rules() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let base = [
        "--data",
        "tests/figures/data",
        "--period",
        "2020Q3",
        "--out",
        out,
        "--today",
        TODAY,
    ];
    let output = hubstat(&[&["report", "city-progress"][..], &base].concat());
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("is for one region"));
    let output = hubstat(&[&["report", "quarterly", "--region", "28"][..], &base].concat());
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("is national"));
}

/// SOURCE_DATE_EPOCH sets the generation time as --generated-at does: the same bytes.
#[test]
fn source_date_epoch_fixes_the_generation_time() {
    let with_flag = tempfile::tempdir().unwrap();
    make_report("city-progress", Some("42110"), with_flag.path(), &[]);
    let with_env = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hubstat"))
        .args([
            "report",
            "city-progress",
            "--data",
            "fixtures/sample",
            "--period",
            "2020Q3",
            "--region",
            "42110",
            "--out",
            with_env.path().to_str().unwrap(),
            "--today",
            TODAY,
        ])
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1601888400")
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let file = "city-progress-42110-2020Q3.xlsx";
    assert_eq!(
        fs::read(with_flag.path().join(file)).unwrap(),
        fs::read(with_env.path().join(file)).unwrap()
    );
}

/// Reports, charts and `--out` files are made like any other tool's: mode 0666 less the umask.
#[cfg(unix)]
#[test]
fn written_files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let bin = env!("CARGO_BIN_EXE_hubstat");
    let script = format!(
        "umask 022 && {bin} report quarterly --data fixtures/sample --period 2020Q3 --out {out} \
         --today {TODAY} && {bin} query coverage --data fixtures/sample --period 2020Q3 \
         --out {out}/coverage.csv --today {TODAY}"
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &script])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut files = Vec::new();
    for folder in [dir.path().to_path_buf(), dir.path().join("charts")] {
        for entry in fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 3, "{files:?}");
    for file in files {
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{}", file.display());
    }
}

/// `--each sido` writes one pack per 시도 from one load, each the same bytes as the report of
/// that region alone, and an index that lists them with their headline figures.
#[test]
fn each_writes_one_pack_per_region_and_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let run =
        |out: &Path, extra: &[&str]| report_of("tests/figures/data", "city-progress", out, extra);
    let packs = dir.path().join("packs");
    let workbooks: Vec<PathBuf> = run(&packs, &["--each", "sido"])
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    assert_eq!(
        workbooks,
        [
            packs.join("city-progress-28-인천광역시-2020Q3.xlsx"),
            packs.join("city-progress-42-강원도-2020Q3.xlsx"),
            packs.join("city-progress-index-sido-2020Q3.xlsx"),
        ]
    );
    for (code, name) in [("28", "인천광역시"), ("42", "강원도")] {
        let alone = dir.path().join(code);
        run(&alone, &["--region", code]);
        assert_eq!(
            fs::read(packs.join(format!("city-progress-{code}-{name}-2020Q3.xlsx"))).unwrap(),
            fs::read(alone.join(format!("city-progress-{code}-2020Q3.xlsx"))).unwrap(),
            "pack {code}"
        );
    }
    let mut index: Xlsx<_> =
        calamine::open_workbook(packs.join("city-progress-index-sido-2020Q3.xlsx")).unwrap();
    let sheet = index.worksheet_range("목록").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    let header = &rows[3];
    let rate = header
        .iter()
        .position(|h| matches!(h, Data::String(s) if s == "설치율"))
        .unwrap();
    // 28: 2 of 3 읍면동 host a team on 2020-09-30; 42: 2 of 4 (tests/figures/coverage.test).
    assert_eq!(rows[4][0].to_string(), "28");
    assert_eq!(rows[4][rate].as_f64(), Some(2.0 / 3.0));
    assert_eq!(rows[5][0].to_string(), "42");
    assert_eq!(rows[5][rate].as_f64(), Some(0.5));
    assert_eq!(
        rows[5][2].to_string(),
        "city-progress-42-강원도-2020Q3.xlsx"
    );
}
