//! `hubstat diff` on hand-made old and new exports, against answers worked out by hand and
//! written beside them (tests/diff/*.test): each case a whole command, its exit code and
//! what it prints, CSV blocks apart by a blank line (the form: tests/support/cases.rs).

use std::fs;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};

use crate::support::{code, copy_of_figures_data, hubstat, run_cases, stderr, stdout};

fn run_file(name: &str) {
    run_cases(&format!("tests/diff/{name}"));
}

#[test]
fn every_kind_of_change_between_two_exports() {
    run_file("revised.test");
}

#[test]
fn a_recode_between_two_exports_changes_no_figure() {
    run_file("recode.test");
}

const REVISED: [&str; 6] = [
    "diff",
    "--old",
    "tests/figures/data",
    "--new",
    "tests/diff/revised",
    "--period",
];

#[test]
fn json_holds_the_figures_the_counts_and_the_rows() {
    let mut args = REVISED.to_vec();
    args.extend(["2020Q3", "--level", "sido", "--rows", "--format", "json"]);
    let output = hubstat(&args);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let moved = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "V7")
        .unwrap();
    assert_eq!(moved["old_region_code"], "42");
    assert_eq!(moved["new_region_code"], "28");
    let counts = json["rows_by_region"].as_array().unwrap();
    assert_eq!(counts.len(), 3);
    assert_eq!(counts[1]["added"], 1);
    assert!(json["figures"].as_array().unwrap().len() > 6);
    assert!(
        !stdout(&output).contains("H9"),
        "household ids are never printed"
    );
}

fn cell(row: &[Data], i: usize) -> String {
    row.get(i).map(|c| c.to_string()).unwrap_or_default()
}

#[test]
fn the_revisions_workbook_has_numbers_and_every_part() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("revisions.xlsx");
    let mut args = REVISED.to_vec();
    args.extend(["2020Q3", "--rows", "--out", out.to_str().unwrap()]);
    let output = hubstat(&args);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    let mut workbook: Xlsx<_> = calamine::open_workbook(&out).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        ["개요", "수치 변경", "행 변경", "행 목록"]
    );
    let figures = workbook.worksheet_range("수치 변경").unwrap();
    let staff_total = figures
        .rows()
        .find(|r| cell(r, 0) == "staffing" && cell(r, 4) == "staff_total")
        .unwrap();
    assert_eq!(staff_total[5], Data::Float(7.0));
    assert_eq!(staff_total[7], Data::Float(1.0));
    let about = workbook.worksheet_range("개요").unwrap();
    let geography = about.rows().find(|r| cell(r, 0) == "geography").unwrap();
    assert!(cell(geography, 1).contains("2020-09-30"));
    let rows = workbook.worksheet_range("행 목록").unwrap();
    assert_eq!(rows.height(), 1 + 8);

    // The same revisions give the same bytes.
    let again = dir.path().join("again.xlsx");
    let mut args = REVISED.to_vec();
    args.extend(["2020Q3", "--rows", "--out", again.to_str().unwrap()]);
    hubstat(&args);
    assert_eq!(fs::read(&out).unwrap(), fs::read(&again).unwrap());
}

#[test]
fn stores_compare_as_their_exports_do() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    for (store, data) in [(&old, "tests/figures/data"), (&new, "tests/diff/revised")] {
        let output = hubstat(&["import", "--data", data, "--store", store.to_str().unwrap()]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
    }
    let from_stores = hubstat(&[
        "diff",
        "--old",
        old.to_str().unwrap(),
        "--new",
        new.to_str().unwrap(),
        "--period",
        "2020Q3",
    ]);
    let mut args = REVISED.to_vec();
    args.push("2020Q3");
    let from_folders = hubstat(&args);
    assert_eq!(code(&from_stores), 1, "{}", stderr(&from_stores));
    assert_eq!(stdout(&from_stores), stdout(&from_folders));
}

#[test]
fn rejected_rows_in_either_export_are_trouble() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken");
    copy_of_figures_data(&broken);
    let visits = broken.join("visits.csv");
    let text = fs::read_to_string(&visits)
        .unwrap()
        .replace("2020-08-10", "2020-13-10");
    fs::write(&visits, text).unwrap();
    let output = hubstat(&[
        "diff",
        "--old",
        broken.to_str().unwrap(),
        "--new",
        "tests/diff/revised",
        "--period",
        "2020Q3",
    ]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(message.contains("the old export has rows rejected (1 in "));
    assert!(message.contains("visits.csv); diff compares exports whose every row passes"));
    assert!(message.contains(&format!("hubstat check --data {}", broken.display())));
    assert!(stdout(&output).is_empty());
}

#[test]
fn a_diff_needs_a_period_and_a_known_figure() {
    let output = hubstat(&[
        "diff",
        "--old",
        "tests/figures/data",
        "--new",
        "tests/diff/revised",
    ]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("diff compares a period"));
    let mut args = REVISED.to_vec();
    args.extend(["2020Q3", "--figure", "visitz"]);
    let output = hubstat(&args);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("no figure named `visitz`"));
    let missing = Path::new("tests/diff/no-such-export");
    let output = hubstat(&[
        "diff",
        "--old",
        missing.to_str().unwrap(),
        "--new",
        "tests/diff/revised",
        "--period",
        "2020Q3",
    ]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("no-such-export"));
}
