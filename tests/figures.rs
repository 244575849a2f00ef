//! Each figure on a small hand-made export (tests/figures/data) against answers worked out
//! by hand, written as text beside it (tests/figures/<figure>.test): each case a line
//! `> ARGS` run as `hubstat query ARGS` over that export, and the CSV it must print
//! (the form: tests/support/cases.rs).

use crate::support::{root, run_cases};

fn run_file(figure: &str) {
    run_cases(&format!("tests/figures/{figure}.test"));
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
        run_cases(&format!("tests/figures/recode/{}.test", figure.name));
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
