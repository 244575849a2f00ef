//! Command-line cases written as text (tests/cases/*.test; the form: tests/support/cases.rs):
//! the bad inputs of fixtures/bad and the errors a user meets.

use crate::support::{root, run_cases};

#[test]
fn bad_inputs_give_their_expected_problems() {
    run_cases("tests/cases/bad-inputs.test");
}

/// Every folder of fixtures/bad has its case.
#[test]
fn every_bad_input_has_a_case() {
    let text = std::fs::read_to_string(root().join("tests/cases/bad-inputs.test")).unwrap();
    for entry in std::fs::read_dir(root().join("fixtures/bad")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_str().unwrap();
            let case = format!("\n> fixtures/bad/{name}\n");
            assert!(text.contains(&case), "fixtures/bad/{name} has no case");
        }
    }
}

#[test]
fn errors_name_what_is_wrong() {
    run_cases("tests/cases/errors.test");
}
