//! The analyst's shell: scripts through a pipe (results, dot commands, the first error
//! ending the script with `hubstat sql`'s exit code) and, on a pseudo-terminal, a long query
//! cancelled with Ctrl-C, the shell going on, and its history there the next session.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::{cache_home, code, command, stderr, stdout};

const SAMPLE: [&str; 3] = ["sql", "--data", "fixtures/sample"];

/// `hubstat sql --data fixtures/sample ARGS` with `script` on its standard input.
fn script(args: &[&str], script: &str) -> Output {
    let mut child = command()
        .args(SAMPLE)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hubstat runs");
    child
        .stdin
        .take()
        .expect("a pipe")
        .write_all(script.as_bytes())
        .expect("the script is written");
    child.wait_with_output().expect("hubstat ends")
}

#[test]
fn a_script_prints_each_result_and_runs_dot_commands() {
    let output = script(
        &[],
        "-- teams by type\nSELECT team_type, count(*) AS teams\nFROM teams GROUP BY team_type ORDER BY team_type;\n\
         .mode json\nSELECT 1 + 1 AS two;\n.mode csv\n.schema targets\n",
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "team_type,teams\n권역형,36\n기본형,252\n\
         [\n  {\n    \"two\": 2\n  }\n]\n\n\
         column,type,nullable\nyear,BIGINT,no\nregion_code,VARCHAR,no\nmetric,VARCHAR,no\ntarget,DOUBLE,no\n"
    );
}

#[test]
fn a_script_with_a_period_has_the_figures_views() {
    let output = script(
        &["--period", "2020Q4", "--level", "sido"],
        ".tables\nSELECT region_code, region_name FROM level_regions GROUP BY 1, 2 ORDER BY 1;",
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("\nteams_active,view\n"), "{text}");
    assert!(text.contains("\n28,인천광역시\n"), "{text}");
    assert!(text.contains("\n42,강원도\n"), "{text}");
}

#[test]
fn a_script_without_its_last_semicolon_says_so() {
    let output = script(&[], "SELECT 1 AS one;\nSELECT 2");
    assert_eq!(code(&output), 2);
    assert_eq!(stdout(&output), "one\n1\n");
    assert!(stderr(&output).contains(
        "<stdin>:2:1: the statement that starts here has no `;` at its end: it was not run"
    ));
}

/// A quote left open swallows the `;` after it: the message names where it opened.
#[test]
fn a_script_with_a_quote_left_open_names_where_it_opened() {
    let output = script(&[], "SELECT 1 AS one;\nSELECT '가', 'abc;\n");
    assert_eq!(code(&output), 2);
    assert_eq!(stdout(&output), "one\n1\n");
    assert!(
        stderr(&output).contains("<stdin>:2:13: the quote ' opened here is never closed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn output_sends_results_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("teams.csv");
    let output = script(
        &[],
        &format!(
            ".output {}\nSELECT count(*) AS teams FROM teams;\n.output\nSELECT 3 AS three;\n",
            file.display()
        ),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "teams\n288\n");
    assert_eq!(stdout(&output), "three\n3\n");
}

fn spawn_shell(data_home: &Path) -> rexpect::session::PtySession {
    let mut shell = Command::new(env!("CARGO_BIN_EXE_hubstat"));
    shell
        .args(SAMPLE)
        .current_dir(crate::support::root())
        .env("XDG_CACHE_HOME", cache_home())
        .env("XDG_DATA_HOME", data_home)
        .env("TERM", "xterm");
    rexpect::session::spawn_command(shell, Some(60_000)).expect("a shell on a pseudo-terminal")
}

#[test]
fn ctrl_c_cancels_a_query_and_the_history_is_there_the_next_day() {
    let data_home = tempfile::tempdir().unwrap();
    let mut shell = spawn_shell(data_home.path());
    shell.exp_string("hubstat> ").unwrap();
    // About 10^10 pairs of visits: far longer than the test waits.
    shell
        .send_line(
            "SELECT count(*) FROM visits a, visits b, visits c WHERE a.visit_id < b.visit_id;",
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    shell.send_control('c').unwrap();
    shell.exp_string("cancelled").unwrap();
    shell.exp_string("hubstat> ").unwrap();
    // Tab completes a table's name.
    shell.send("SELECT count(*) AS n FROM team_are\t").unwrap();
    shell.send_line(";").unwrap();
    shell.exp_string("54").unwrap();
    shell.exp_string("hubstat> ").unwrap();
    shell.send_line("SELECT 40 +").unwrap();
    shell.send_line("2 AS answer;").unwrap();
    shell.exp_string("42").unwrap();
    shell.exp_string("hubstat> ").unwrap();
    shell.send_control('d').unwrap();
    shell.exp_eof().unwrap();

    let history = std::fs::read_to_string(data_home.path().join("hubstat/sql_history")).unwrap();
    assert!(history.contains("visits c"), "{history}");
    assert!(history.contains("AS answer;"), "{history}");

    // The next session finds the last statement one line up.
    let mut shell = spawn_shell(data_home.path());
    shell.exp_string("hubstat> ").unwrap();
    shell.send("\x1b[A").unwrap();
    shell.send_line("").unwrap();
    shell.exp_string("42").unwrap();
    shell.send_control('d').unwrap();
    shell.exp_eof().unwrap();
}

/// A statement of `terms` comparisons joined by OR, as an analyst pastes one.
fn chain_of_ors(terms: usize) -> String {
    let terms: Vec<String> = (0..terms)
        .map(|i| format!("visit_id = 'none-{i}'"))
        .collect();
    format!(
        "SELECT count(*) AS found FROM visits WHERE {}",
        terms.join(" OR ")
    )
}

/// A long statement answers; one far past what can be planned fails with exit 2 and a way
/// round it, never a signal: from a file, and in a script where it names its line.
#[test]
fn a_long_statement_answers_or_is_refused_never_a_signal() {
    let dir = tempfile::tempdir().unwrap();
    let answered = script(&[], &format!("{};\n", chain_of_ors(400)));
    assert_eq!(code(&answered), 0, "{}", stderr(&answered));
    assert_eq!(stdout(&answered), "found\n0\n");
    let file = dir.path().join("long.sql");
    std::fs::write(&file, chain_of_ors(50_000)).unwrap();
    let from_file = command()
        .args(SAMPLE)
        .arg("-f")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(code(&from_file), 2, "{}", stderr(&from_file));
    assert!(
        stderr(&from_file).contains("50000 operators"),
        "{}",
        stderr(&from_file)
    );
    assert!(stderr(&from_file).contains("IN (value, value, ...)"));
    let in_script = script(
        &[],
        &format!("SELECT 1 AS one;\n{};\n", chain_of_ors(50_000)),
    );
    assert_eq!(code(&in_script), 2, "{}", stderr(&in_script));
    assert_eq!(stdout(&in_script), "one\n1\n");
    assert!(stderr(&in_script).contains("<stdin>:2: the statement holds 50000 operators"));
}
