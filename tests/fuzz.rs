//! The loaders under generated input, judged by `hubstat check`'s own output: no input
//! panics, every row is accepted or rejected with its line, read = accepted + rejected, and
//! the lines named are where an independent count says each record starts.
//!
//! Each property runs a few dozen cases inside `cargo test`; `HUBSTAT_FUZZ_CASES=5000 cargo
//! test fuzz` runs longer. A failure is shrunk by proptest and printed; such an input is kept
//! in `fixtures/bad/fuzz-NNN/` with its expected output.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Decimal128Array,
    DurationSecondArray, Float32Array, Float64Array, Int8Array, Int32Array, Int64Array,
    LargeStringArray, ListArray, RecordBatch, StringArray, StringViewArray, Time32SecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, UInt64Array,
};
use datafusion::arrow::datatypes::{Field, Int32Type, Schema};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

use crate::support::TODAY;

/// Cases per property: a few seconds in `cargo test`, more on demand.
fn config() -> Config {
    let cases = std::env::var("HUBSTAT_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(32);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

const VISITS_HEADER: &str =
    "visit_id,emd_code,team_id,household_id,visited_on,channel,target_group,note";

/// The tables around the fuzzed `visits`: two regions, a team, a team whose row is rejected
/// (its children are `parent rejected`), one assignment.
fn write_other_tables(dir: &Path) {
    let files = [
        (
            "regions.csv",
            "emd_code,emd_name,emd_type,sgg_code,sgg_name,sido_code,sido_name,valid_from,valid_to,population\n\
             2811051000,가동,동,28110,중구,28,인천광역시,,,1000\n\
             2811052000,나동,동,28110,중구,28,인천광역시,,,500\n",
        ),
        (
            "teams.csv",
            "team_id,emd_code,team_type,established_on,closed_on\n\
             T1,2811051000,기본형,2019-01-01,\n\
             T2,2811052000,기본형,2019-13-01,\n",
        ),
        (
            "staff.csv",
            "staff_id,team_id,sector,role,grade,assigned_on,left_on\nP1,T1,공공,팀장,6급,2019-01-01,\n",
        ),
        (
            "service_links.csv",
            "link_id,emd_code,household_id,linked_on,sector,domain\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// What `hubstat check --format json` said of the `visits` table.
#[derive(Debug)]
struct Checked {
    exit: i32,
    stderr: String,
    /// read, accepted, rejected of visits (when the file could be used).
    tally: Option<(u64, u64, u64)>,
    /// (line, column, rule) of each problem in visits.
    problems: BTreeSet<(u64, String, String)>,
}

fn check(dir: &Path) -> Checked {
    let output = crate::support::command()
        .args([
            "check",
            "--format",
            "json",
            "--max-problems",
            "0",
            "--today",
            TODAY,
        ])
        .arg("--data")
        .arg(dir)
        .output()
        .expect("hubstat runs");
    let exit = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let mut checked = Checked {
        exit,
        stderr,
        tally: None,
        problems: BTreeSet::new(),
    };
    if exit == 2 {
        return checked;
    }
    let report: Value = serde_json::from_slice(&output.stdout).expect("check's JSON");
    for t in report["tables"].as_array().unwrap() {
        if t["table"] == "visits" {
            let n = |k: &str| t[k].as_u64().unwrap();
            checked.tally = Some((n("read"), n("accepted"), n("rejected")));
        }
    }
    for p in report["problems"].as_array().unwrap() {
        if p["file"].as_str().unwrap().ends_with("visits.csv")
            || p["file"].as_str().unwrap().contains("visits.")
        {
            checked.problems.insert((
                p["line"].as_u64().unwrap(),
                p["column"].as_str().unwrap().to_string(),
                p["rule"].as_str().unwrap().to_string(),
            ));
        }
    }
    checked
}

/// The promises every input keeps, whatever it holds: no panic, a usable exit code, an
/// error that names the file, and every row counted.
fn assert_kept_promises(checked: &Checked, file: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        [0, 1, 2].contains(&checked.exit),
        "exit {}: {}",
        checked.exit,
        checked.stderr
    );
    prop_assert!(!checked.stderr.contains("panicked"), "{}", checked.stderr);
    prop_assert!(!checked.stderr.contains("a bug"), "{}", checked.stderr);
    if checked.exit == 2 {
        prop_assert!(checked.stderr.contains(file), "{}", checked.stderr);
    } else {
        let (read, accepted, rejected) = checked.tally.expect("visits is counted");
        prop_assert_eq!(read, accepted + rejected);
        let lines: BTreeSet<u64> = checked.problems.iter().map(|p| p.0).collect();
        prop_assert!(
            lines.len() as u64 <= rejected,
            "{lines:?} vs {rejected} rejected"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// CSV: rows made valid or broken on purpose, in every line ending, quoting and encoding.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Defect {
    BadDate,
    HangulDate,
    ControlInId,
    ControlInExtra,
    BadCategory,
    UnknownRegion,
    RejectedTeam,
    MissingHousehold,
    DuplicateId,
    FieldCount,
}

impl Defect {
    fn column_and_rule(self) -> (&'static str, &'static str) {
        match self {
            Defect::BadDate | Defect::HangulDate => ("visited_on", "date"),
            Defect::ControlInId => ("household_id", "control character"),
            Defect::ControlInExtra => ("note", "control character"),
            Defect::BadCategory => ("channel", "category"),
            Defect::UnknownRegion => ("emd_code", "foreign key"),
            Defect::RejectedTeam => ("team_id", "parent rejected"),
            Defect::MissingHousehold => ("household_id", "required"),
            Defect::DuplicateId => ("visit_id", "unique"),
            Defect::FieldCount => ("-", "field count"),
        }
    }
}

#[derive(Debug, Clone)]
struct Row {
    defect: Option<Defect>,
    date_form: u8,
    household: String,
    note: String,
    /// Quote every field, not only those that need it.
    quote_all: bool,
    control: char,
}

#[derive(Debug, Clone)]
struct CsvCase {
    rows: Vec<Row>,
    /// A line ending per record (and the header): "\n", "\r\n" or "\r".
    endings: Vec<&'static str>,
    /// Blank lines after a record.
    blanks: Vec<u8>,
    trailing_ending: bool,
    encoding: u8,
}

fn defect() -> impl Strategy<Value = Option<Defect>> {
    prop_oneof![
        6 => Just(None),
        1 => prop::sample::select(vec![
            Defect::BadDate,
            Defect::HangulDate,
            Defect::ControlInId,
            Defect::ControlInExtra,
            Defect::BadCategory,
            Defect::UnknownRegion,
            Defect::RejectedTeam,
            Defect::MissingHousehold,
            Defect::DuplicateId,
            Defect::FieldCount,
        ]).prop_map(Some),
    ]
}

/// Field text that CSV must quote: commas, quotes and line breaks of every kind, Hangul.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a",
            "가",
            "홍길동",
            ",",
            "\"",
            "\n",
            "\r\n",
            "\r",
            " ",
            "\t",
            "9",
        ]),
        1..6,
    )
    .prop_map(|parts| parts.concat())
}

fn row() -> impl Strategy<Value = Row> {
    (
        defect(),
        0u8..3,
        text(),
        prop_oneof![Just(String::new()), text()],
        any::<bool>(),
        prop::sample::select(vec!['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{b}']),
    )
        .prop_map(
            |(defect, date_form, household, note, quote_all, control)| Row {
                defect,
                date_form,
                household,
                note,
                quote_all,
                control,
            },
        )
}

fn csv_case() -> impl Strategy<Value = CsvCase> {
    prop::collection::vec(row(), 1..12).prop_flat_map(|mut rows| {
        // Later duplicates repeat the first row's id: it must be a row with columns (one of
        // the wrong field count has none), and cannot repeat an earlier one itself.
        if matches!(
            rows[0].defect,
            Some(Defect::DuplicateId | Defect::FieldCount)
        ) {
            rows[0].defect = None;
        }
        let n = rows.len() + 1;
        (
            Just(rows),
            prop::collection::vec(prop::sample::select(vec!["\n", "\r\n", "\r"]), n),
            prop::collection::vec(prop_oneof![4 => Just(0u8), 1 => 1u8..3], n),
            any::<bool>(),
            0u8..3,
        )
            .prop_map(
                |(rows, endings, blanks, trailing_ending, encoding)| CsvCase {
                    rows,
                    endings,
                    blanks,
                    trailing_ending,
                    encoding,
                },
            )
    })
}

fn field(text: &str, quote_all: bool) -> String {
    if quote_all || text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn line_breaks(text: &str) -> u64 {
    text.replace("\r\n", "\n").matches(['\n', '\r']).count() as u64
}

impl Row {
    fn fields(&self, index: usize) -> Vec<String> {
        let d = self.defect;
        let id = if d == Some(Defect::DuplicateId) {
            "V1".to_string()
        } else {
            format!("V{}", index + 1)
        };
        let date = match (d, self.date_form) {
            (Some(Defect::BadDate), _) => "2020-02-30".to_string(),
            (Some(Defect::HangulDate), _) => "ab가나".to_string(),
            (_, 0) => "2020-07-01".to_string(),
            (_, 1) => "20200701".to_string(),
            _ => "2020.07.01".to_string(),
        };
        let mut household = self.household.trim().to_string();
        if household.is_empty() {
            household = "H".into();
        }
        if d == Some(Defect::ControlInId) {
            household.push(self.control);
        }
        if d == Some(Defect::MissingHousehold) {
            household.clear();
        }
        let mut note = self.note.clone();
        if d == Some(Defect::ControlInExtra) {
            note.insert(0, self.control);
        }
        let mut fields = vec![
            id,
            if d == Some(Defect::UnknownRegion) {
                "2811099999"
            } else {
                "2811051000"
            }
            .to_string(),
            if d == Some(Defect::RejectedTeam) {
                "T2"
            } else {
                "T1"
            }
            .to_string(),
            household,
            date,
            if d == Some(Defect::BadCategory) {
                "가정방문"
            } else {
                "방문"
            }
            .to_string(),
            "노인".to_string(),
            note,
        ];
        if d == Some(Defect::FieldCount) {
            fields.push("extra".into());
        }
        fields.iter().map(|f| field(f, self.quote_all)).collect()
    }
}

impl CsvCase {
    /// The file's text, and the line each data record starts on, counted while writing it.
    fn text(&self) -> (String, Vec<u64>) {
        let mut text = String::new();
        let mut starts = Vec::new();
        let mut records = vec![VISITS_HEADER.to_string()];
        records.extend(
            self.rows
                .iter()
                .enumerate()
                .map(|(i, r)| r.fields(i).join(",")),
        );
        let last = records.len() - 1;
        for (i, record) in records.iter().enumerate() {
            if i > 0 {
                starts.push(line_breaks(&text) + 1);
            }
            text.push_str(record);
            if i < last || self.trailing_ending {
                text.push_str(self.endings[i]);
            }
            if i < last {
                for _ in 0..self.blanks[i] {
                    text.push_str(self.endings[i]);
                }
            }
        }
        (text, starts)
    }

    fn bytes(&self, text: &str) -> Vec<u8> {
        match self.encoding {
            0 => text.as_bytes().to_vec(),
            1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            _ => encoding_rs::EUC_KR.encode(text).0.into_owned(),
        }
    }

    /// The problems the rows were made to have, at the lines they start on.
    fn expected(&self, starts: &[u64]) -> BTreeSet<(u64, String, String)> {
        self.rows
            .iter()
            .zip(starts)
            .filter_map(|(r, line)| {
                r.defect.map(|d| {
                    let (column, rule) = d.column_and_rule();
                    (*line, column.to_string(), rule.to_string())
                })
            })
            .collect()
    }
}

#[test]
fn csv_rows_are_named_at_their_line_in_every_form() {
    let mut runner = TestRunner::new(config());
    runner
        .run(&csv_case(), |case| {
            let dir = tempfile::tempdir().unwrap();
            write_other_tables(dir.path());
            let (text, starts) = case.text();
            std::fs::write(dir.path().join("visits.csv"), case.bytes(&text)).unwrap();
            let checked = check(dir.path());
            assert_kept_promises(&checked, "visits.csv")?;
            prop_assert_ne!(checked.exit, 2, "{}", checked.stderr);
            let expected = case.expected(&starts);
            prop_assert_eq!(&checked.problems, &expected, "{:?}", text);
            let bad = expected.len() as u64;
            prop_assert_eq!(
                checked.tally,
                Some((case.rows.len() as u64, case.rows.len() as u64 - bad, bad))
            );
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// CSV: any bytes after a valid header.

/// Where each record starts, by RFC 4180 as the csv crate reads it: a quote opens a quoted
/// field only at the start of a field; CR, LF and CRLF end a record outside quotes; blank
/// lines hold no record. Lines count every CR, LF and CRLF.
fn record_start_lines(bytes: &[u8]) -> Vec<u64> {
    let mut starts = Vec::new();
    let mut line = 1u64;
    let mut in_record = false;
    let mut field_start = true;
    let mut quoted = false;
    let mut quote_seen = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let crlf = b == b'\r' && bytes.get(i + 1) == Some(&b'\n');
        let is_break = b == b'\r' || b == b'\n';
        if quoted && !quote_seen {
            if b == b'"' {
                quote_seen = true;
            }
        } else if is_break {
            quoted = false;
            quote_seen = false;
            in_record = false;
            field_start = true;
        } else {
            if !in_record {
                starts.push(line);
                in_record = true;
            }
            if quote_seen && b == b'"' {
                quote_seen = false;
            } else {
                quote_seen = false;
                quoted = false;
                if b == b',' {
                    field_start = true;
                } else if b == b'"' && field_start {
                    quoted = true;
                    field_start = false;
                } else {
                    field_start = false;
                }
            }
        }
        if is_break {
            line += 1;
            if crlf {
                i += 1;
            }
        }
        i += 1;
    }
    starts
}

fn noise() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(b"ab1,\"\r\n \t".to_vec()),
            1 => any::<u8>(),
            1 => prop::sample::select(vec![0u8, 0x7f, 0x1b, 0xb0, 0xa1, 0xea, 0xb0, 0x80]),
        ],
        0..300,
    )
}

#[test]
fn csv_bytes_never_panic_and_name_record_starts() {
    let mut runner = TestRunner::new(config());
    runner
        .run(&noise(), |body| {
            let dir = tempfile::tempdir().unwrap();
            write_other_tables(dir.path());
            let mut bytes = format!("{VISITS_HEADER}\n").into_bytes();
            bytes.extend(&body);
            std::fs::write(dir.path().join("visits.csv"), &bytes).unwrap();
            let checked = check(dir.path());
            assert_kept_promises(&checked, "visits.csv")?;
            if checked.exit != 2 {
                let starts = record_start_lines(&bytes);
                let data_starts: BTreeSet<u64> = starts[1..].iter().copied().collect();
                let (read, _, _) = checked.tally.unwrap();
                prop_assert_eq!(read, data_starts.len() as u64);
                for (line, _, _) in &checked.problems {
                    prop_assert!(data_starts.contains(line), "line {line} of {data_starts:?}");
                }
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// XLSX: cells of every type, extreme dates and numbers where text is expected.

#[derive(Debug, Clone)]
enum XlsxCell {
    Blank,
    Text(String),
    Number(f64),
    Date(f64),
    Bool(bool),
}

fn xlsx_cell() -> impl Strategy<Value = XlsxCell> {
    prop_oneof![
        1 => Just(XlsxCell::Blank),
        2 => prop_oneof![text(), Just("2811051000".to_string()), Just("\u{1}x".to_string())]
            .prop_map(XlsxCell::Text),
        2 => prop_oneof![
            any::<f64>().prop_filter("xlsx holds finite numbers", |x| x.is_finite()),
            Just(2811051000.0),
            Just(1e300),
            Just(-1e300),
            Just(9.2e18),
        ]
        .prop_map(XlsxCell::Number),
        2 => prop_oneof![
            Just(44013.0),
            Just(-1e300),
            Just(1e300),
            Just(-700000.0),
            Just(2958466.0),
            -1.0e8..1.0e8f64,
        ]
        .prop_map(XlsxCell::Date),
        1 => any::<bool>().prop_map(XlsxCell::Bool),
    ]
}

fn write_xlsx(path: &Path, rows: &[Vec<XlsxCell>]) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (c, name) in VISITS_HEADER.split(',').enumerate() {
        sheet.write_string(0, c as u16, name).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            let written = match cell {
                XlsxCell::Blank => continue,
                XlsxCell::Text(s) => sheet.write_string(r, c, s),
                XlsxCell::Number(x) => sheet.write_number(r, c, *x),
                XlsxCell::Date(x) => sheet.write_number_with_format(r, c, *x, &date),
                XlsxCell::Bool(b) => sheet.write_boolean(r, c, *b),
            };
            written.unwrap();
        }
    }
    workbook.save(path).unwrap();
}

#[test]
fn xlsx_cells_of_every_type_never_panic() {
    let rows = prop::collection::vec(prop::collection::vec(xlsx_cell(), 8), 1..8);
    let mut runner = TestRunner::new(config());
    runner
        .run(&rows, |rows| {
            let dir = tempfile::tempdir().unwrap();
            write_other_tables(dir.path());
            write_xlsx(&dir.path().join("visits.xlsx"), &rows);
            let checked = check(dir.path());
            assert_kept_promises(&checked, "visits.xlsx")?;
            prop_assert_ne!(checked.exit, 2, "{}", checked.stderr);
            // Rows wholly blank are not rows; the others are named by their Excel row.
            let filled: BTreeSet<u64> = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.iter().any(|c| !matches!(c, XlsxCell::Blank)))
                .map(|(i, _)| i as u64 + 2)
                .collect();
            let (read, _, _) = checked.tally.unwrap();
            prop_assert_eq!(read, filled.len() as u64);
            for (line, _, _) in &checked.problems {
                prop_assert!(filled.contains(line), "row {line} of {filled:?}");
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// Parquet: columns of every type.

/// One column of `n` rows of the type `kind`, from `seed` values.
fn parquet_column(kind: u8, seed: &[i64]) -> ArrayRef {
    let n = seed.len();
    match kind {
        0 => Arc::new(StringArray::from_iter(seed.iter().map(|v| match v % 4 {
            0 => None,
            1 => Some("2811051000".to_string()),
            2 => Some(format!("가{v}\u{0}")),
            _ => Some(v.to_string()),
        }))),
        1 => Arc::new(LargeStringArray::from_iter_values(
            seed.iter().map(|v| format!("{v}")),
        )),
        2 => Arc::new(StringViewArray::from_iter_values(
            seed.iter().map(|v| format!("방{v}")),
        )),
        3 => Arc::new(BinaryArray::from_iter_values(
            seed.iter().map(|v| v.to_le_bytes().to_vec()),
        )),
        4 => Arc::new(Int8Array::from_iter_values(seed.iter().map(|v| *v as i8))),
        5 => Arc::new(Int64Array::from_iter_values(seed.iter().copied())),
        6 => Arc::new(UInt64Array::from_iter_values(
            seed.iter().map(|v| *v as u64),
        )),
        7 => Arc::new(Float64Array::from_iter_values(seed.iter().map(
            |v| match v % 4 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => *v as f64 * 1e290,
                _ => *v as f64 / 3.0,
            },
        ))),
        8 => Arc::new(Float32Array::from_iter_values(
            seed.iter().map(|v| *v as f32),
        )),
        9 => Arc::new(
            Decimal128Array::from_iter_values(seed.iter().map(|v| i128::from(*v) * 1_000_000))
                .with_precision_and_scale(38, 2)
                .unwrap(),
        ),
        10 => Arc::new(Date32Array::from_iter_values(
            seed.iter().map(|v| *v as i32),
        )),
        11 => Arc::new(Date64Array::from_iter_values(seed.iter().copied())),
        12 => Arc::new(TimestampNanosecondArray::from_iter_values(
            seed.iter().copied(),
        )),
        13 => Arc::new(
            TimestampMillisecondArray::from_iter_values(seed.iter().copied())
                .with_timezone("+09:00"),
        ),
        14 => Arc::new(BooleanArray::from_iter(
            seed.iter().map(|v| Some(v % 2 == 0)),
        )),
        15 => Arc::new(Time32SecondArray::from_iter_values(
            seed.iter().map(|v| (v.rem_euclid(86_400)) as i32),
        )),
        16 => Arc::new(DurationSecondArray::from_iter_values(seed.iter().copied())),
        17 => Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(
            seed.iter().map(|v| Some(vec![Some(*v as i32), None])),
        )),
        _ => Arc::new(Int32Array::from(vec![None::<i32>; n])),
    }
}

fn write_parquet(path: &Path, kinds: &[u8], seed: &[i64]) {
    let names: Vec<&str> = VISITS_HEADER.split(',').collect();
    let columns: Vec<ArrayRef> = kinds.iter().map(|k| parquet_column(*k, seed)).collect();
    let fields: Vec<Field> = names
        .iter()
        .zip(&columns)
        .map(|(n, c)| Field::new(*n, c.data_type().clone(), true))
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn parquet_columns_of_every_type_never_panic() {
    let extreme = prop_oneof![
        3 => -5i64..5,
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
        1 => Just(i64::from(i32::MAX)),
        1 => Just(i64::from(i32::MIN)),
        2 => any::<i64>(),
        2 => Just(18_444),
    ];
    let case = (
        prop::collection::vec(0u8..19, 8),
        prop::collection::vec(extreme, 1..20),
    );
    let mut runner = TestRunner::new(config());
    runner
        .run(&case, |(kinds, seed)| {
            let dir = tempfile::tempdir().unwrap();
            write_other_tables(dir.path());
            write_parquet(&dir.path().join("visits.parquet"), &kinds, &seed);
            let checked = check(dir.path());
            assert_kept_promises(&checked, "visits.parquet")?;
            prop_assert_ne!(checked.exit, 2, "{}", checked.stderr);
            let (read, _, _) = checked.tally.unwrap();
            prop_assert_eq!(read, seed.len() as u64);
            for (line, _, _) in &checked.problems {
                prop_assert!((1..=read).contains(line), "row {line} of {read}");
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// The official 행정기관코드 text: either encoding, padded as published or trimmed, cut anywhere.

/// What the reader made of each line: a regions row, a row left out, or a line rejected.
fn official_outcomes(bytes: &[u8]) -> Vec<(u64, String)> {
    use hubstat::load::official;
    let rows = official::read_text(bytes, Path::new("KIKcd_H")).expect("the header is intact");
    let converted = official::regions_rows(&rows);
    let mut outcomes: Vec<(u64, String)> = converted
        .lines
        .iter()
        .zip(&converted.rows)
        .map(|(line, row)| (*line, row.join("|")))
        .chain(
            converted
                .misfits
                .iter()
                .map(|m| (m.line, "cut short".into())),
        )
        .collect();
    outcomes.sort();
    let kept = outcomes.len() as u64;
    let left_out: u64 = converted.left_out.values().sum();
    assert_eq!(kept + left_out, rows.len() as u64);
    outcomes
}

/// The published file's lines.
fn published_lines() -> Vec<Vec<u8>> {
    std::fs::read(crate::support::root().join("fixtures/reference/KIKcd_H.20240801"))
        .unwrap()
        .split(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// The header and the `picked` lines of the published file, in UTF-8 or CP949, padded or
/// trimmed, cut at the fraction `cut` of what follows the header: each line before the cut
/// is read as in the whole file, and the line cut is rejected as cut short.
fn official_cut(
    lines: &[Vec<u8>],
    picked: &[usize],
    utf8: bool,
    trimmed: bool,
    cut: f64,
) -> Result<(), TestCaseError> {
    let form = |line: &[u8]| -> Vec<u8> {
        let mut line = line.strip_suffix(b"\r").unwrap_or(line).to_vec();
        if utf8 {
            let (text, _) = encoding_rs::EUC_KR.decode_without_bom_handling(&line);
            line = text.into_owned().into_bytes();
        }
        if trimmed {
            while line.last() == Some(&b' ') {
                line.pop();
            }
        }
        line
    };
    let mut whole = form(&lines[0]);
    let mut ends = Vec::new();
    for i in picked {
        whole.push(b'\n');
        whole.extend(form(&lines[*i]));
        ends.push(whole.len());
    }
    let first = ends[0] - form(&lines[picked[0]]).len();
    let at = first + 1 + ((whole.len() - first - 1) as f64 * cut) as usize;
    let uncut = official_outcomes(&whole);
    let outcomes = official_outcomes(&whole[..at]);
    // The line the cut falls in, and how far into it.
    let last = ends.iter().position(|end| at <= *end).unwrap();
    let line_start = ends[last] - form(&lines[picked[last]]).len();
    let line_no = last as u64 + 2;
    // An 읍면동 row without a 시군구명 takes its 시군구's name from the 시군구 row,
    // which may come after the cut: that one field may differ.
    let own = |(line, outcome): &(u64, String)| {
        let mut fields: Vec<&str> = outcome.split('|').collect();
        if fields.len() > 4 {
            fields[4] = "";
        }
        (*line, fields.join("|"))
    };
    let uncut_own: Vec<(u64, String)> = uncut.iter().map(own).collect();
    for outcome in &outcomes {
        if outcome.0 < line_no {
            prop_assert!(uncut_own.contains(&own(outcome)), "{outcome:?}");
        }
    }
    if at < ends[last] && at > line_start {
        let outcome = outcomes.iter().find(|(line, _)| *line == line_no);
        let kept = whole[line_start..at].to_vec();
        let decoded_whole = if utf8 {
            std::str::from_utf8(&kept).is_ok()
        } else {
            !encoding_rs::EUC_KR.decode_without_bom_handling(&kept).1
        };
        // Names hold no digits: past the code, a digit is the 생성일자 column reached.
        let reached_dates = kept.len() > 10 && kept[10..].iter().any(u8::is_ascii_digit);
        if !trimmed || !reached_dates {
            prop_assert_eq!(outcome.map(|o| o.1.as_str()), Some("cut short"));
        } else if !decoded_whole {
            let o = outcome.map(|o| o.1.clone()).unwrap_or_default();
            prop_assert!(o == "cut short" || o.contains('\u{FFFD}'), "{o}");
        }
    }
    Ok(())
}

#[test]
fn official_text_in_any_form_cut_anywhere_counts_no_line_for_a_wrong_reason() {
    let lines = published_lines();
    let case = (
        prop::collection::vec(1..lines.len() - 1, 1..12),
        any::<bool>(),
        any::<bool>(),
        0.0..1.0f64,
    );
    let mut runner = TestRunner::new(config());
    runner
        .run(&case, |(picked, utf8, trimmed, cut)| {
            official_cut(&lines, &picked, utf8, trimmed, cut)
        })
        .unwrap();
}

/// Found by the test above: an 읍면동 row (하망1동) whose 시군구명 comes from the 시군구 row
/// (영주시) after the cut.
#[test]
fn an_official_line_before_the_cut_may_lose_only_the_name_a_later_line_gave_it() {
    let lines = published_lines();
    official_cut(
        &lines,
        &[6997, 1, 1, 1, 6985, 1, 1],
        false,
        false,
        0.15156857343374538,
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// Shell scripts: statements with quotes, comments and Hangul, cut anywhere.

/// One statement of a script, as written, and where its quoted literal opens (line and
/// column within the statement, 1-based, in characters).
fn statement() -> impl Strategy<Value = (String, (usize, usize))> {
    let literal = prop::collection::vec(
        prop::sample::select(vec!["a", ";", "가", " ", "\n", "''", "--", "/*"]),
        0..6,
    );
    (literal, any::<bool>(), any::<bool>()).prop_map(|(literal, comment, newline)| {
        let mut text = String::from("SELECT ");
        if comment {
            text.push_str("/* ; 주석 */ ");
        }
        if newline {
            text.push_str("-- ; x\n  ");
        }
        let line = 1 + text.matches('\n').count();
        let column = 1 + text.rsplit('\n').next().unwrap().chars().count();
        text.push('\'');
        text.push_str(&literal.concat());
        text.push_str("' AS v");
        (text, (line, column))
    })
}

#[test]
fn shell_scripts_cut_anywhere_say_where_they_stop() {
    use hubstat::shell::statements::{Part, Unended, split};
    let case = (prop::collection::vec(statement(), 1..5), 0.0..1.0f64);
    let mut runner = TestRunner::new(config());
    runner
        .run(&case, |(statements, cut)| {
            // Each statement on lines of its own, then `;`.
            let mut script = String::new();
            let mut starts = Vec::new();
            for (text, _) in &statements {
                starts.push((script.len(), 1 + script.matches('\n').count()));
                script.push_str(text);
                script.push_str(";\n");
            }
            let (parts, unended) = split(&script);
            prop_assert_eq!(unended, None);
            let texts: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    Part::Sql(s) => s.text.clone(),
                    Part::Dot { text, .. } => text.clone(),
                })
                .collect();
            let wanted: Vec<String> = statements.iter().map(|(t, _)| t.clone()).collect();
            prop_assert_eq!(texts, wanted);
            let boundaries: Vec<usize> = script.char_indices().map(|(i, _)| i).collect();
            let at = boundaries[(boundaries.len() as f64 * cut) as usize];
            let (parts, unended) = split(&script[..at]);
            // Complete statements are those whose `;` comes before the cut.
            let cut_in = starts.iter().rposition(|(start, _)| *start <= at).unwrap();
            let (start, first_line) = starts[cut_in];
            let (text, (quote_line, quote_column)) = &statements[cut_in];
            let into = at - start;
            let complete = if into > text.len() {
                cut_in + 1
            } else {
                cut_in
            };
            prop_assert_eq!(parts.len(), complete);
            let quote_at = text.find('\'').unwrap();
            let closing = text.rfind('\'').unwrap();
            // Inside the literal after an odd number of quotes: `''` is a quote within it.
            let inside = into > quote_at
                && into <= closing
                && text[quote_at..into].matches('\'').count() % 2 == 1;
            if inside {
                prop_assert_eq!(
                    unended,
                    Some(Unended::Quote {
                        quote: '\'',
                        line: first_line + quote_line - 1,
                        column: *quote_column,
                    })
                );
            } else if into > quote_at && into <= text.len() {
                prop_assert_eq!(
                    unended,
                    Some(Unended::Statement {
                        line: first_line,
                        column: 1
                    })
                );
            }
            Ok(())
        })
        .unwrap();
}
