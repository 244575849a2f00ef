//! The synthetic export: clean under the contract, calibrated to the published 2020 figures
//! (exactly for teams and staff; for flows, the published totals times the scale), the same
//! for a seed, and the same figures from CSV and Parquet.

use std::fs;
use std::path::Path;

use crate::support::{TODAY, code, hubstat, stderr, stdout};

fn synth(out: &Path, format: &str) {
    let output = hubstat(&[
        "synth",
        "--out",
        out.to_str().unwrap(),
        "--scale",
        "0.01",
        "--format",
        format,
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

fn figure(data: &Path, args: &[&str]) -> String {
    let output = hubstat(
        &[
            &["query"],
            args,
            &["--data", data.to_str().unwrap(), "--today", TODAY],
        ]
        .concat(),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn synthetic_export_is_clean_and_calibrated() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("csv");
    synth(&csv, "csv");
    let check = hubstat(&["check", "--data", csv.to_str().unwrap(), "--today", TODAY]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
    assert!(
        stdout(&check).contains("no problems; 0 warnings"),
        "{}",
        stdout(&check)
    );

    let coverage = figure(&csv, &["coverage", "--period", "2020Q3"]);
    assert!(coverage.contains("\n00,전국,3492,3197,"), "{coverage}");
    let staffing = figure(&csv, &["staffing", "--period", "2020Q3"]);
    assert!(
        staffing.contains("\n00,전국,12633,11674,959,"),
        "{staffing}"
    );
    // The published 3,967,556 visits and 4,335,951 links, times the scale 0.01, rounded.
    let visits = figure(&csv, &["visits", "--period", "2020"]);
    assert!(visits.contains("\n00,전국,39676,"), "{visits}");
    let links = figure(&csv, &["service_links", "--period", "2020"]);
    assert!(links.contains("\n00,전국,43360,"), "{links}");

    let parquet = dir.path().join("parquet");
    synth(&parquet, "parquet");
    for args in [
        &["trend", "--period", "2020Q4", "--level", "sido"][..],
        &[
            "case_management",
            "--period",
            "2020",
            "--level",
            "sgg",
            "--region",
            "42",
        ],
        &["targets", "--period", "2019", "--level", "sido"],
    ] {
        assert_eq!(figure(&csv, args), figure(&parquet, args), "{args:?}");
    }

    let again = dir.path().join("again");
    synth(&again, "csv");
    for entry in fs::read_dir(&csv).unwrap().flatten() {
        let name = entry.file_name();
        assert_eq!(
            fs::read(entry.path()).unwrap(),
            fs::read(again.join(&name)).unwrap(),
            "{name:?} differs between two runs of one seed"
        );
    }
}
