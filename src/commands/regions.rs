//! `hubstat regions import FILE --out DIR`: a regions table, or the official 행정기관코드 file
//! as published, checked and written in the contract's form (`regions.csv`) with the
//! successors its history gives (`successors.csv`).

use std::collections::HashMap;
use std::fmt::Write as _;

use datafusion::arrow::array::{AsArray, RecordBatch};

use super::write_stdout;
use crate::check::{CheckOutput, LINE_COLUMN, Problem, RejectedRow, Severity};
use crate::cli::{RegionsArgs, RegionsCommand, RegionsImportArgs};
use crate::contract::REGIONS;
use crate::diagnostics::{Error, Outcome};
use crate::geography::{Successors, regions_of, successors_batch};
use crate::load::stage_file;
use crate::output::{ResultTable, to_csv, write_atomically};
use crate::progress::Progress;

pub fn run(args: &RegionsArgs) -> Result<Outcome, Error> {
    match &args.command {
        RegionsCommand::Import(args) => import(args),
    }
}

/// What the checks hand over: the rows kept and every problem.
#[derive(Default)]
struct Kept {
    batches: Vec<RecordBatch>,
    problems: Vec<Problem>,
}

impl CheckOutput for Kept {
    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn batch(&mut self, batch: RecordBatch) {
        self.batches.push(batch);
    }

    fn rejected(&mut self, _row: RejectedRow) {}
}

fn import(args: &RegionsImportArgs) -> Result<Outcome, Error> {
    let progress = Progress::new(true);
    let mut kept = Kept::default();
    let (source, checked) = stage_file(&REGIONS, &args.file, args.encoding, &progress, &mut kept)?;
    let file = source.file.clone();
    let schema = checked.schema.clone();
    let all = datafusion::arrow::compute::concat_batches(&schema, &kept.batches)
        .map_err(|e| Error::reading(file.to_string(), e))?;
    kept.problems.extend(repeated_codes(&file, &all));
    let errors: Vec<&Problem> = kept
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        let mut out = String::new();
        for problem in &errors {
            let _ = writeln!(out, "{problem}");
        }
        let _ = writeln!(
            out,
            "\n{} problems in {file}: nothing written; mend the file or give the ministry's file as published",
            errors.len()
        );
        write_stdout(out.as_bytes())?;
        return Ok(Outcome::RowsRejected);
    }
    let keep: Vec<usize> = (0..schema.fields().len())
        .filter(|i| schema.field(*i).name() != LINE_COLUMN)
        .collect();
    let rows = all
        .project(&keep)
        .map_err(|e| Error::reading(file.to_string(), e))?;
    let successors = Successors::derived(&regions_of(&rows));
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let regions_path = args.out.join("regions.csv");
    write_atomically(&regions_path, &csv_of(rows.clone())?)?;
    let successors_path = args.out.join("successors.csv");
    write_atomically(&successors_path, &csv_of(successors_batch(&successors))?)?;
    let mut out = String::new();
    let _ = write!(
        out,
        "{}: {} 읍면동",
        regions_path.display(),
        rows.num_rows()
    );
    if checked.tally.left_out > 0 || !source.left_out.is_empty() {
        let reasons: Vec<String> = source
            .left_out
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        let _ = write!(out, "; left out of {file}: {}", reasons.join(", "));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}: {} successors",
        successors_path.display(),
        successors.len()
    );
    write_stdout(out.as_bytes())?;
    Ok(Outcome::Done)
}

/// `unique` problems for 읍면동 codes given twice.
fn repeated_codes(file: &str, rows: &RecordBatch) -> Vec<Problem> {
    let (Some(codes), Some(lines)) = (
        rows.column_by_name("emd_code"),
        rows.column_by_name(LINE_COLUMN),
    ) else {
        return Vec::new();
    };
    let codes = codes.as_string::<i32>();
    let lines = lines.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    let mut first: HashMap<&str, i64> = HashMap::new();
    let mut problems = Vec::new();
    for i in 0..rows.num_rows() {
        let code = codes.value(i);
        match first.get(code) {
            Some(at) => problems.push(Problem {
                severity: Severity::Error,
                file: file.to_string(),
                line: lines.value(i) as u64,
                column: "emd_code".into(),
                rule: "unique".into(),
                detail: format!("first at line {at}"),
                value: code.to_string(),
            }),
            None => {
                first.insert(code, lines.value(i));
            }
        }
    }
    problems
}

fn csv_of(batch: RecordBatch) -> Result<Vec<u8>, Error> {
    to_csv(&ResultTable::of_batch(batch))
}
