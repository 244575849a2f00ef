//! Loading and checking: the bad-input cases, the sample, the forms a table comes in,
//! and the built-in regions.

use std::fs;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema};
use hubstat::period::parse_date;

use crate::support::{Loaded, TODAY, code, hubstat, load, root, stderr, stdout};

#[test]
fn the_sample_is_clean_and_summarised() {
    let output = hubstat(&["check", "--data", "fixtures/sample", "--today", TODAY]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    let out = stdout(&output);
    assert!(out.contains("no problems;"), "{out}");
    for table in [
        "regions",
        "teams",
        "team_areas",
        "staff",
        "visits",
        "service_links",
        "cases",
        "case_meetings",
        "discoveries",
        "targets",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(table)),
            "{table} in {out}"
        );
    }
    assert!(out.contains("(built-in regions)"));
}

#[test]
fn check_json_counts_match_the_text() {
    let output = hubstat(&[
        "check",
        "--data",
        "fixtures/bad/unique",
        "--today",
        TODAY,
        "--format",
        "json",
    ]);
    assert_eq!(code(&output), 1);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let tables = report["tables"].as_array().unwrap();
    for t in tables {
        let (read, accepted, rejected) = (
            t["read"].as_u64().unwrap(),
            t["accepted"].as_u64().unwrap(),
            t["rejected"].as_u64().unwrap(),
        );
        assert_eq!(read, accepted + rejected, "{t}");
    }
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(
        problems.len() as u64,
        report["problem_count"].as_u64().unwrap()
    );
    assert_eq!(problems[0]["rule"], "unique");
    assert_eq!(problems[0]["line"], 5);
    assert_eq!(problems[0]["file"], "fixtures/bad/unique/regions.csv");
}

#[test]
fn a_cap_on_listed_problems_still_counts_them_all() {
    let output = hubstat(&[
        "check",
        "--data",
        "fixtures/bad/unique",
        "--today",
        TODAY,
        "--max-problems",
        "1",
    ]);
    let out = stdout(&output);
    assert!(
        out.contains(
            "fixtures/bad/unique/visits.csv: 1 more `unique` problems on visit_id not listed"
        ),
        "{out}"
    );
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("fixtures/bad/unique/visits.csv:"))
            .count(),
        2
    );
}

#[test]
fn a_missing_folder_is_an_input_error() {
    let output = hubstat(&["check", "--data", "fixtures/no-such-folder"]);
    assert_eq!(code(&output), 2);
    assert_eq!(
        stderr(&output),
        "error: fixtures/no-such-folder: no such folder\n"
    );
}

/// One table of exit codes: `--help` ends with it and the README holds it word for word.
#[test]
fn help_and_readme_give_the_same_exit_codes() {
    let output = hubstat(&["--help"]);
    assert_eq!(code(&output), 0);
    let help = stdout(&output);
    assert!(
        help.trim_end().ends_with(hubstat::cli::EXIT_CODES),
        "--help:\n{help}"
    );
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```text\n{}\n```", hubstat::cli::EXIT_CODES)),
        "the README's exit codes differ from --help's"
    );
}

fn table(dataset: &Loaded, name: &str) -> RecordBatch {
    dataset.rows(name)
}

const VISITS_HEADER: [&str; 8] = [
    "memo",
    "visit_id",
    "emd_code",
    "team_id",
    "household_id",
    "visited_on",
    "channel",
    "target_group",
];

fn visits_rows() -> Vec<[&'static str; 8]> {
    vec![
        [
            "첫 방문, \"긴급\"",
            "V1",
            "2811051000",
            "T1",
            "H1",
            "2020-01-02",
            "방문",
            "노인",
        ],
        [
            "",
            "V2",
            "2811051000",
            "",
            "H2",
            "2020-03-31",
            "전화",
            "위기가구",
        ],
        [
            "줄\n바꿈",
            "V3",
            "4211025000",
            "T2",
            "H3",
            "2020-04-01",
            "내방",
            "출산가정",
        ],
    ]
}

fn csv_text() -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(VISITS_HEADER).unwrap();
    for row in visits_rows() {
        writer.write_record(row).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// A folder holding the fixtures/bad base tables with visits in the given form.
fn folder_with_visits(name: &str, file: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(name).tempdir().unwrap();
    let base = root().join("fixtures/bad/closure-reason");
    for t in ["regions.csv", "teams.csv", "staff.csv", "service_links.csv"] {
        fs::copy(base.join(t), dir.path().join(t)).unwrap();
    }
    fs::write(dir.path().join(file), bytes).unwrap();
    dir
}

fn visits_xlsx() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, name) in VISITS_HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in visits_rows().iter().enumerate() {
        let r = r as u32 + 1;
        for (c, value) in row.iter().enumerate() {
            let c = c as u16;
            if value.is_empty() {
                continue;
            }
            if VISITS_HEADER[c as usize] == "visited_on" && r != 2 {
                // A real date cell; row 2 keeps its date as text, as exports often do.
                let d = hubstat::period::date_of(parse_date(value).unwrap());
                let excel = hubstat::output::excel_date(d).unwrap();
                sheet
                    .write_datetime_with_format(r, c, excel, &date_format)
                    .unwrap();
            } else if VISITS_HEADER[c as usize] == "emd_code" && r == 3 {
                // A code typed as a number: it must come back as the same text.
                sheet
                    .write_number(r, c, value.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                sheet.write_string(r, c, *value).unwrap();
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

fn visits_parquet() -> Vec<u8> {
    let rows = visits_rows();
    let mut fields = Vec::new();
    let mut columns: Vec<Arc<dyn Array>> = Vec::new();
    for (c, name) in VISITS_HEADER.iter().enumerate() {
        if *name == "visited_on" {
            let days: Vec<i32> = rows.iter().map(|r| parse_date(r[c]).unwrap()).collect();
            fields.push(Field::new(*name, DataType::Date32, false));
            columns.push(Arc::new(datafusion::arrow::array::Date32Array::from(days)));
        } else {
            let values: Vec<Option<&str>> = rows
                .iter()
                .map(|r| (!r[c].is_empty()).then_some(r[c]))
                .collect();
            fields.push(Field::new(*name, DataType::Utf8, true));
            columns.push(Arc::new(StringArray::from(values)));
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let mut bytes = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    bytes
}

/// The same table from UTF-8, UTF-8 with a BOM, CP949, YYYYMMDD dates, XLSX and Parquet
/// loads to the same Arrow table, extra column and all.
#[test]
fn a_table_loads_the_same_from_every_form() {
    let text = csv_text();
    let (cp949, _, unmappable) = encoding_rs::EUC_KR.encode(&text);
    assert!(!unmappable);
    let compact = text
        .replace("2020-01-02", "20200102")
        .replace("2020-04-01", "2020.04.01");
    let forms: Vec<(&str, &str, Vec<u8>)> = vec![
        ("utf8", "visits.csv", text.clone().into_bytes()),
        (
            "bom",
            "visits.csv",
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        ),
        ("cp949", "visits.csv", cp949.into_owned()),
        ("dates", "visits.csv", compact.into_bytes()),
        ("xlsx", "visits.xlsx", visits_xlsx()),
        ("parquet", "visits.parquet", visits_parquet()),
    ];
    let mut first: Option<RecordBatch> = None;
    for (name, file, bytes) in forms {
        let dir = folder_with_visits(name, file, &bytes);
        let dataset = load(dir.path());
        assert_eq!(
            dataset.store.rejected(),
            0,
            "{name}: {:?}",
            dataset.problems.listed()
        );
        let visits = table(&dataset, "visits");
        assert_eq!(visits.num_rows(), 3, "{name}");
        match &first {
            None => first = Some(visits),
            Some(expected) => assert_eq!(&visits, expected, "{name} differs from UTF-8"),
        }
    }
    let visits = first.unwrap();
    let schema = visits.schema();
    let last = schema.fields().last().unwrap();
    assert_eq!(
        last.name(),
        "memo",
        "extra columns come after the contract's"
    );
    let memo = visits.column_by_name("memo").unwrap().as_string::<i32>();
    assert_eq!(memo.value(0), "첫 방문, \"긴급\"");
    assert!(memo.is_null(1));
    assert_eq!(memo.value(2), "줄\n바꿈");
    let emd = visits
        .column_by_name("emd_code")
        .unwrap()
        .as_string::<i32>();
    assert_eq!(emd.value(2), "4211025000");
    let day = visits
        .column_by_name("visited_on")
        .unwrap()
        .as_primitive::<Date32Type>();
    assert_eq!(day.value(1), parse_date("2020-03-31").unwrap());
}

/// Bad rows in a workbook are reported with the row number Excel shows.
#[test]
fn xlsx_problems_name_the_excel_row() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let header = &VISITS_HEADER[1..];
    // The table starts at row 3; row 5 is left blank.
    for (c, name) in header.iter().enumerate() {
        sheet.write_string(2, c as u16, *name).unwrap();
    }
    let rows = [
        (
            3,
            ["V1", "2811051000", "T1", "H1", "2020-01-02", "방문", "노인"],
        ),
        (
            5,
            [
                "V2",
                "2811051000",
                "T1",
                "H2",
                "2020-01-02",
                "방문x",
                "노인",
            ],
        ),
    ];
    for (r, row) in rows {
        for (c, value) in row.iter().enumerate() {
            sheet.write_string(r, c as u16, *value).unwrap();
        }
    }
    let dir = folder_with_visits(
        "xlsx-rows",
        "visits.xlsx",
        &workbook.save_to_buffer().unwrap(),
    );
    let dataset = load(dir.path());
    let problems: Vec<String> = dataset
        .problems
        .listed()
        .iter()
        .map(|p| p.to_string())
        .collect();
    let file = dir.path().join("visits.xlsx").display().to_string();
    assert_eq!(
        problems,
        [format!(
            "{file}:6:channel: category (방문|전화|내방|기타): \"방문x\""
        )]
    );
}

/// A sheet with one value in its last cell (XFD1048576) is read in the memory of the cells
/// present, under a cap of 1 GiB of address space (the whole extent would be 550 GB): the
/// table's rows are read as ever and the far cell's row is one row of too many fields.
#[test]
fn a_sparse_xlsx_with_a_far_cell_reads_in_the_memory_of_its_cells() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, name) in VISITS_HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    let rows = visits_rows();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            sheet.write_string(r as u32 + 1, c as u16, *value).unwrap();
        }
    }
    sheet.write_string(1_048_575, 16_383, "far").unwrap();
    let dir = folder_with_visits("sparse", "visits.xlsx", &workbook.save_to_buffer().unwrap());
    let output = std::process::Command::new("prlimit")
        .arg(format!("--as={}", 1u64 << 30))
        .arg(env!("CARGO_BIN_EXE_hubstat"))
        .args([
            "check",
            "--no-store",
            "--format",
            "json",
            "--today",
            TODAY,
            "--data",
        ])
        .arg(dir.path())
        .env("XDG_CACHE_HOME", crate::support::cache_home())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let visits = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "visits")
        .unwrap();
    assert_eq!(visits["read"], rows.len() as u64 + 1);
    let far: Vec<&serde_json::Value> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["line"] == 1_048_576)
        .collect();
    assert_eq!(far.len(), 1, "{far:?}");
    assert_eq!(far[0]["rule"], "field count");
    assert_eq!(
        far[0]["detail"],
        format!("16384 fields, the header has {}", VISITS_HEADER.len())
    );
}

/// The built-in reference gives the counts of the reference's counts file on every date.
#[test]
fn built_in_regions_match_the_reference_counts() {
    let dataset = load(&root().join("fixtures/sample"));
    assert_eq!(
        dataset.table("regions").unwrap().source.file,
        "(built-in regions)"
    );
    let regions = table(&dataset, "regions");
    let from = regions
        .column_by_name("valid_from")
        .unwrap()
        .as_primitive::<Date32Type>();
    let to = regions
        .column_by_name("valid_to")
        .unwrap()
        .as_primitive::<Date32Type>();
    let valid_on = |day: i32| {
        (0..regions.num_rows())
            .filter(|&i| {
                (from.is_null(i) || from.value(i) <= day) && (to.is_null(i) || day < to.value(i))
            })
            .count()
    };
    let counts = fs::read_to_string(root().join("assets/regions/emd_counts_by_date.csv")).unwrap();
    let mut checked = 0;
    for line in counts.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let day = parse_date(fields[0]).unwrap();
        let expected: usize = fields[2].parse().unwrap();
        assert_eq!(valid_on(day), expected, "읍면동 in use on {}", fields[0]);
        checked += 1;
    }
    assert_eq!(checked, 49);
    assert_eq!(valid_on(parse_date("2020-09-30").unwrap()), 3492);
}

/// A visits file with a quoted line break in the second record and a bad date in the third,
/// in every line ending and both encodings: the bad row is named at the line it starts on.
#[test]
fn problems_are_named_at_their_line_for_every_line_ending_and_encoding() {
    for (ending, name) in [("\n", "LF"), ("\r\n", "CRLF"), ("\r", "CR")] {
        for cp949 in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            crate::support::copy_of_figures_data(dir.path());
            let text = [
                "visit_id,emd_code,team_id,household_id,visited_on,channel,target_group",
                "V1,2811051000,T1,H1,2020-07-01,방문,노인",
                &format!("V2,2811051000,T1,\"가{ending}나\",2020-07-01,방문,노인"),
                "",
                "V3,2811051000,T1,H3,2020-07-32,방문,노인",
                "",
            ]
            .join(ending);
            let bytes = if cp949 {
                encoding_rs::EUC_KR.encode(&text).0.into_owned()
            } else {
                text.into_bytes()
            };
            fs::write(dir.path().join("visits.csv"), bytes).unwrap();
            let dataset = load(dir.path());
            let lines: Vec<u64> = dataset
                .problems
                .listed()
                .iter()
                .filter(|p| p.file.ends_with("visits.csv"))
                .map(|p| p.line)
                .collect();
            // Header 1, V1 2, V2 3-4, a blank line 5, V3 6.
            assert_eq!(lines, [6], "{name}, CP949 {cp949}");
            let visits = dataset.table("visits").unwrap();
            assert_eq!(visits.tally.read, 3, "{name}, CP949 {cp949}");
        }
    }
}

/// A team rejected for its own date takes its staff and visits with it, each named, so that
/// read = accepted + rejected still holds and `--skip-invalid` loses nothing unseen.
#[test]
fn children_of_a_rejected_team_are_rejected_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_of_figures_data(dir.path());
    let teams = fs::read_to_string(dir.path().join("teams.csv")).unwrap();
    let teams = teams.replace(
        "T1,2811051000,기본형,2019-01-01,",
        "T1,2811051000,기본형,2019-01-32,",
    );
    fs::write(dir.path().join("teams.csv"), teams).unwrap();
    let count = |table: &str, team: &str| {
        fs::read_to_string(dir.path().join(format!("{table}.csv")))
            .unwrap()
            .lines()
            .filter(|l| l.split(',').any(|f| f == team))
            .count() as u64
    };
    let (staff_of_t1, visits_of_t1) = (count("staff", "T1"), count("visits", "T1"));
    assert!(staff_of_t1 > 0 && visits_of_t1 > 0);
    let dataset = load(dir.path());
    let parent_rejected: Vec<(String, u64)> = dataset
        .problems
        .listed()
        .iter()
        .filter(|p| p.rule == "parent rejected")
        .map(|p| (p.column.clone(), p.line))
        .collect();
    assert_eq!(
        parent_rejected.len() as u64,
        staff_of_t1 + visits_of_t1,
        "{parent_rejected:?}"
    );
    for table in ["staff", "visits"] {
        let t = dataset.table(table).unwrap().tally;
        assert_eq!(t.read, t.accepted + t.rejected, "{table}");
    }
    assert_eq!(dataset.table("staff").unwrap().tally.rejected, staff_of_t1);
    assert_eq!(
        dataset.table("visits").unwrap().tally.rejected,
        visits_of_t1
    );
}

/// A file of many chunks, read side by side: every problem is still named at its line,
/// whatever line endings and quoted line breaks come before it, keys repeated across chunks
/// are found exactly once with their first line, and every row is counted.
#[test]
fn a_file_of_many_chunks_names_every_line_and_repeated_key() {
    for (ending, cp949) in [("\r\n", false), ("\n", true)] {
        let dir = tempfile::tempdir().unwrap();
        crate::support::copy_of_figures_data(dir.path());
        let mut lines = vec![
            "visit_id,emd_code,team_id,household_id,visited_on,channel,target_group".to_string(),
        ];
        let mut line = 1u64;
        let mut expected = Vec::new();
        for i in 0..200_000u64 {
            line += 1;
            let row = match i {
                // A quoted household over two lines: the rows after it are a line further on.
                7 | 60_000 => {
                    let row = format!("V{i},2811051000,T1,\"가{ending}H{i}\",2020-07-01,방문,노인");
                    line += 1;
                    row
                }
                // The key of row 5, again in a later chunk.
                150_000 => {
                    expected.push((line, "unique".to_string(), "first at line 7".to_string()));
                    "V5,2811051000,T1,H5,2020-07-01,방문,노인".to_string()
                }
                170_000 | 199_999 => {
                    expected.push((
                        line,
                        "date".to_string(),
                        "YYYY-MM-DD, YYYYMMDD or YYYY.MM.DD".to_string(),
                    ));
                    format!("V{i},2811051000,T1,H{i},2020-02-30,방문,노인")
                }
                _ => format!("V{i},2811051000,T1,H{i},2020-07-01,방문,노인"),
            };
            lines.push(row);
        }
        let text = lines.join(ending) + ending;
        let bytes = if cp949 {
            encoding_rs::EUC_KR.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        assert!(bytes.len() > 8 << 20, "more than two chunks");
        fs::write(dir.path().join("visits.csv"), bytes).unwrap();
        let dataset = load(dir.path());
        let found: Vec<(u64, String, String)> = dataset
            .problems
            .listed()
            .iter()
            .filter(|p| p.file.ends_with("visits.csv"))
            .map(|p| (p.line, p.rule.clone(), p.detail.clone()))
            .collect();
        assert_eq!(found, expected, "{ending:?}, CP949 {cp949}");
        let visits = dataset.table("visits").unwrap();
        assert_eq!(
            (visits.tally.read, visits.tally.rejected),
            (200_000, 3),
            "{ending:?}, CP949 {cp949}"
        );
    }
}
