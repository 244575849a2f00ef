//! Each figure on a small hand-made export (tests/figures/data) against answers worked out
//! by hand, written as text beside it (tests/figures/<figure>.test): a line `> ARGS` runs
//! `hubstat query ARGS`, and the lines under it, up to the next comment or command, are the CSV
//! it must print (tests/support: `cases`).

use crate::support::{TODAY, root, run_cases};

fn run_file(figure: &str) {
    run_file_on(
        &format!("tests/figures/{figure}.test"),
        "tests/figures/data",
    );
}

/// Runs the cases of a test file as `hubstat query` over the export in `data`.
fn run_file_on(file: &str, data: &str) {
    run_cases(file, |args| {
        let mut all = vec!["query".to_string()];
        all.extend(args.split_whitespace().map(String::from));
        all.extend(["--data", data, "--today", TODAY].map(String::from));
        all
    });
}

#[test]
fn coverage() {
    run_file("coverage");
}

#[test]
fn staffing() {
    run_file("staffing");
}

#[test]
fn visits() {
    run_file("visits");
}

#[test]
fn service_links() {
    run_file("service_links");
}

#[test]
fn case_management() {
    run_file("case_management");
}

#[test]
fn discoveries() {
    run_file("discoveries");
}

#[test]
fn team_standard() {
    run_file("team_standard");
}

#[test]
fn teams_below_standard() {
    run_file("teams_below_standard");
}

#[test]
fn targets() {
    run_file("targets");
}

#[test]
fn trend() {
    run_file("trend");
}

/// Every figure across a recode (강원 42 → 51), as recorded and re-based on the regions of a
/// day: tests/figures/recode.
#[test]
fn across_a_recode() {
    for figure in &hubstat::catalogue::FIGURES {
        run_file_on(
            &format!("tests/figures/recode/{}.test", figure.name),
            "tests/figures/recode/data",
        );
    }
}

/// Every figure has a test file, and every test file a figure.
#[test]
fn every_figure_is_tested() {
    for figure in &hubstat::catalogue::FIGURES {
        let path = root().join(format!("tests/figures/{}.test", figure.name));
        assert!(path.is_file(), "{} has no hand-worked test", figure.name);
    }
}
