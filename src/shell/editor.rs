//! Takes the terminal and gives the shell its lines: rustyline with the history kept between
//! sessions, statements over several lines until their `;`, and completion of table, view,
//! column and command names.

use std::collections::BTreeSet;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::commands::{COMMANDS, columns, names};
use super::statements::split;
use super::{Shell, history_file};
use crate::diagnostics::{Error, Outcome};

/// What the editor knows of the session: names to complete, and when input is complete.
struct ShellHelper {
    /// Tables and views.
    tables: BTreeSet<String>,
    /// Tables, views and their columns.
    words: BTreeSet<String>,
}

impl ShellHelper {
    fn new(shell: &Shell) -> ShellHelper {
        let mut tables = BTreeSet::new();
        let mut words = BTreeSet::new();
        for (name, _) in names(shell) {
            // A table a statement cannot read (rows rejected) still completes by name.
            for (column, _, _) in columns(shell, &name).unwrap_or_default() {
                words.insert(column);
            }
            words.insert(name.clone());
            tables.insert(name);
        }
        ShellHelper { tables, words }
    }
}

/// Candidates of `set` that start with `prefix`, ignoring ASCII case.
fn starting_with<'a>(set: impl IntoIterator<Item = &'a String>, prefix: &str) -> Vec<Pair> {
    let prefix = prefix.to_lowercase();
    set.into_iter()
        .filter(|w| w.to_lowercase().starts_with(&prefix))
        .map(|w| Pair {
            display: w.clone(),
            replacement: w.clone(),
        })
        .collect()
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(before.len(), |(i, _)| i);
        let word = &before[start..];
        let head = &before[..start];
        if head.trim_start() == "." {
            let dot = head.len() - 1;
            let commands: Vec<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
            return Ok((dot, starting_with(&commands, &format!(".{word}"))));
        }
        let candidates = if head.trim_start().starts_with(".schema") {
            starting_with(&self.tables, word)
        } else {
            starting_with(&self.words, word)
        };
        Ok((start, candidates))
    }
}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let (_, open) = split(ctx.input());
        Ok(if open.is_some() {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {}

impl Helper for ShellHelper {}

fn editor_error(e: ReadlineError) -> Error {
    Error::io("<terminal>", std::io::Error::other(e.to_string()))
}

pub fn run(shell: &mut Shell) -> Result<Outcome, Error> {
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(10_000)
        .map_err(editor_error)?
        .build();
    let mut editor: Editor<ShellHelper, DefaultHistory> =
        Editor::with_config(config).map_err(editor_error)?;
    editor.set_helper(Some(ShellHelper::new(shell)));
    let history = history_file();
    if let Some(path) = &history {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
        }
        if path.exists() {
            editor.load_history(path).map_err(editor_error)?;
        }
    }
    eprintln!(
        "hubstat sql: statements end with `;`. .help lists the commands; Ctrl-C cancels a query, Ctrl-D leaves."
    );
    // Lines of a statement not yet ended, where the terminal cannot edit several lines.
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() {
            "hubstat> "
        } else {
            "     ..> "
        };
        match editor.readline(prompt) {
            Ok(input) => {
                if input.trim().is_empty() && pending.is_empty() {
                    continue;
                }
                editor
                    .add_history_entry(input.as_str())
                    .map_err(editor_error)?;
                // Kept at once, so that a session killed later still has it.
                if let Some(path) = &history
                    && let Err(e) = editor.append_history(path)
                {
                    eprintln!("warning: {}: history not kept: {e}", path.display());
                }
                pending.push_str(&input);
                pending.push('\n');
                let (parts, open) = split(&pending);
                if open.is_some() {
                    continue;
                }
                pending.clear();
                for part in parts {
                    if let Some(status) = shell.run_part(part, true)? {
                        return Ok(status);
                    }
                }
            }
            Err(ReadlineError::Interrupted) => pending.clear(),
            Err(ReadlineError::Eof) => return Ok(Outcome::Done),
            Err(e) => return Err(editor_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(line: &str) -> (usize, Vec<String>) {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect();
        let helper = ShellHelper {
            tables: words(&["teams", "team_areas", "visits"]),
            words: words(&["teams", "team_areas", "team_id", "visits", "visited_on"]),
        };
        let history = DefaultHistory::new();
        let (start, pairs) = helper
            .complete(line, line.len(), &Context::new(&history))
            .unwrap();
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn names_complete_from_the_word_under_the_cursor() {
        assert_eq!(
            complete("SELECT * FROM vis"),
            (14, vec!["visited_on".into(), "visits".into()])
        );
        assert_eq!(complete("select TEAM_A"), (7, vec!["team_areas".into()]));
        assert_eq!(complete(".schema team_"), (8, vec!["team_areas".into()]));
        assert_eq!(complete(".sc"), (0, vec![".schema".into()]));
        assert_eq!(complete("SELECT 가"), (7, Vec::<String>::new()));
    }
}
