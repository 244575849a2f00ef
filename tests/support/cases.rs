//! Runs the command-line cases of a `.test` file and compares what each printed and its
//! exit code with the text under it; with `HUBSTAT_BLESS=1` writes the text instead.
//!
//! The form (after sqllogictest):
//!
//! ```text
//! # A comment, as many lines as it needs.
//! each: query {} --data tests/figures/data --today 2026-11-22
//! > visits --period 2020Q3
//! < a line of standard input (a script); a case without them has none
//! exit 1
//! what it prints on stdout
//! --- stderr
//! what it prints on stderr
//! ```
//!
//! `> ARGS` runs hubstat with ARGS, split as a POSIX shell would, and the `< ` lines under
//! it as its standard input (`<` alone: an empty line); `each:` (until the next
//! `each:`) wraps every case's ARGS, `{}` standing for them. `exit N` is left out when N is
//! 0, and so is the stderr block when nothing was printed there. A block ends at the next
//! comment, case or `each:`; blank lines at its end are not part of it. Before comparing,
//! this run's cache folder is written `$CACHE`, and every decimal number is rounded to 12
//! places on both sides. `HUBSTAT_CASE=visits.test:12` runs only the case at that line.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use super::{cache_home, code, command, root, stderr, stdout};

const STDERR: &str = "--- stderr";

/// One case: the line of its `> ARGS`, the arguments it runs with and its expected text.
struct Case {
    line: usize,
    args: Vec<String>,
    input: Option<String>,
    written: String,
    /// The lines of the file holding its expected text: `block.0..block.1`, from 0.
    block: (usize, usize),
}

fn parse(path: &Path, text: &str) -> Vec<Case> {
    let lines: Vec<&str> = text.lines().collect();
    let mut each: Option<&str> = None;
    let mut cases = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(wrapper) = line.strip_prefix("each: ") {
            each = Some(wrapper);
        } else if let Some(args) = case_line(line) {
            let written = match each {
                Some(wrapper) => wrapper.replace("{}", args),
                None => args.to_string(),
            };
            let args = shlex::split(&written)
                .unwrap_or_else(|| panic!("{}:{}: a quote left open", path.display(), i + 1));
            let mut start = i + 1;
            let mut input: Option<String> = None;
            while let Some(text) = lines.get(start).and_then(|l| stdin_line(l)) {
                let input = input.get_or_insert_with(String::new);
                input.push_str(text);
                input.push('\n');
                start += 1;
            }
            let mut end = start;
            while end < lines.len() && !ends_block(lines[end]) {
                end += 1;
            }
            let mut kept = end;
            while kept > start && lines[kept - 1].trim().is_empty() {
                kept -= 1;
            }
            cases.push(Case {
                line: i + 1,
                args,
                input,
                written,
                block: (start, kept),
            });
            i = end;
            continue;
        }
        i += 1;
    }
    cases
}

/// The arguments of a case's line: `> ARGS`, or `>` alone for none.
fn case_line(line: &str) -> Option<&str> {
    if line == ">" {
        return Some("");
    }
    line.strip_prefix("> ")
}

fn stdin_line(line: &str) -> Option<&str> {
    if line == "<" {
        return Some("");
    }
    line.strip_prefix("< ")
}

fn ends_block(line: &str) -> bool {
    line.starts_with('#') || case_line(line).is_some() || line.starts_with("each: ")
}

/// What a run gave, written as a case's block is.
fn block(exit: i32, out: &str, err: &str) -> String {
    let mut text = String::new();
    if exit != 0 {
        text.push_str(&format!("exit {exit}\n"));
    }
    text.push_str(out.trim_end_matches('\n'));
    if !err.is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(STDERR);
        text.push('\n');
        text.push_str(err.trim_end_matches('\n'));
    }
    text.trim_end_matches('\n').to_string()
}

/// Every decimal number of `text` rounded to 12 places, written without trailing zeros.
fn rounded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let number = run.contains('.')
            && run.starts_with(|c: char| c.is_ascii_digit() || c == '-')
            && run.ends_with(|c: char| c.is_ascii_digit());
        match run.parse::<f64>() {
            Ok(x) if number && x.is_finite() => {
                let fixed = format!("{x:.12}");
                let fixed = fixed.trim_end_matches('0').trim_end_matches('.');
                out.push_str(if fixed == "-0" { "0" } else { fixed });
            }
            _ => out.push_str(run),
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Runs every case of the `.test` file `file` (from the project root); fails naming each
/// case that printed or exited otherwise than written.
pub fn run_cases(file: &str) {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let cases = parse(&path, &text);
    assert!(!cases.is_empty(), "{}: no cases", path.display());
    let only = std::env::var("HUBSTAT_CASE").ok();
    let bless = std::env::var_os("HUBSTAT_BLESS").is_some();
    let lines: Vec<&str> = text.lines().collect();
    let cache = cache_home().display().to_string();
    let mut failures = Vec::new();
    let mut blessed: Vec<(usize, usize, String)> = Vec::new();
    for case in &cases {
        let place = format!("{file}:{}", case.line);
        if only.as_ref().is_some_and(|o| !place.ends_with(o.as_str())) {
            continue;
        }
        let output = run(&case.args, case.input.as_deref());
        let actual = block(
            code(&output),
            &stdout(&output).replace(&cache, "$CACHE"),
            &stderr(&output).replace(&cache, "$CACHE"),
        );
        let expected = lines[case.block.0..case.block.1].join("\n");
        if bless {
            blessed.push((case.block.0, case.block.1, actual));
        } else if rounded(&actual) != rounded(&expected) {
            failures.push(format!(
                "{place}: > {}\n--- expected\n{expected}\n--- actual\n{actual}\n",
                case.written
            ));
        }
    }
    if bless {
        write_blessed(&path, &lines, &blessed);
    }
    assert!(
        failures.is_empty(),
        "\n{}(HUBSTAT_BLESS=1 writes what was printed, for review in the diff)",
        failures.join("\n")
    );
}

/// Runs hubstat with `args`, `input` on its standard input (else none).
fn run(args: &[String], input: Option<&str>) -> Output {
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hubstat runs");
    let mut stdin = child.stdin.take().expect("a pipe");
    stdin
        .write_all(input.unwrap_or_default().as_bytes())
        .expect("the input is written");
    drop(stdin);
    child.wait_with_output().expect("hubstat ends")
}

/// Writes the file again with each blessed case's block replaced by what it gave.
fn write_blessed(path: &Path, lines: &[&str], blessed: &[(usize, usize, String)]) {
    let mut out = String::new();
    let mut next = 0;
    for (start, end, text) in blessed {
        for line in &lines[next..*start] {
            out.push_str(line);
            out.push('\n');
        }
        if !text.is_empty() {
            out.push_str(text);
            out.push('\n');
        }
        next = *end;
    }
    for line in &lines[next..] {
        out.push_str(line);
        out.push('\n');
    }
    std::fs::write(path, out).expect("the blessed file written");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_rounded_to_12_places_and_codes_are_not() {
        assert_eq!(
            rounded("0.30000000000000004,2811051000,2020-09-30,1.5e-3,-0.0000000000001"),
            "0.3,2811051000,2020-09-30,0.0015,0"
        );
    }

    #[test]
    fn a_case_is_its_arguments_exit_stdout_and_stderr() {
        let text = "# c\neach: query {} --today 2026-11-22\n> visits --period \"2020 Q3\"\nexit 2\n--- stderr\nerror: x\n\n# next\n> list\n< SELECT 1;\n<\na\n\nb\n\n";
        let cases = parse(Path::new("t.test"), text);
        assert_eq!(cases.len(), 2);
        assert_eq!(
            cases[0].args,
            [
                "query",
                "visits",
                "--period",
                "2020 Q3",
                "--today",
                "2026-11-22"
            ]
        );
        assert_eq!((cases[0].line, cases[0].block), (3, (3, 6)));
        assert_eq!(cases[1].args, ["query", "list", "--today", "2026-11-22"]);
        assert_eq!(cases[1].input.as_deref(), Some("SELECT 1;\n\n"));
        assert_eq!(cases[1].block, (11, 14));
        assert_eq!(block(2, "", "error: x\n"), "exit 2\n--- stderr\nerror: x");
        assert_eq!(block(0, "a\n\nb\n", ""), "a\n\nb");
    }
}
