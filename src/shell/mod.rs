//! Takes statements from a terminal or a script and gives each one's result: the analyst's
//! shell over the checked store (`hubstat sql` with no query), read-only as `hubstat sql`
//! is, with dot commands to look around and to choose how results are written.

mod commands;
mod editor;
pub mod statements;

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::catalogue::Params;
use crate::diagnostics::{Chain, Error, Outcome, print_notes};
use crate::output::{self, OutputFormat, ResultTable};
use crate::query::Engine;
use statements::{Part, Statement, split};

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Table,
    Csv,
    Json,
}

impl Mode {
    pub fn of_format(format: OutputFormat) -> Result<Mode, Error> {
        match format {
            OutputFormat::Table => Ok(Mode::Table),
            OutputFormat::Csv => Ok(Mode::Csv),
            OutputFormat::Json => Ok(Mode::Json),
            _ => Err(Error::Usage(
                "the shell writes results as table, csv or json".into(),
            )),
        }
    }
}

/// One session of the shell: the engine, the parameters of the figures' views, and where
/// and how results go.
pub struct Shell<'e, 's> {
    engine: &'e Engine<'s>,
    params: Option<Params>,
    runtime: tokio::runtime::Runtime,
    mode: Mode,
    /// `.output FILE`: results go there until `.output` alone.
    output: Option<(PathBuf, File)>,
    /// Results written so far to the current output, so that they are set apart.
    written: usize,
}

impl<'e, 's> Shell<'e, 's> {
    pub fn new(
        engine: &'e Engine<'s>,
        params: Option<Params>,
        runtime: tokio::runtime::Runtime,
        mode: Mode,
    ) -> Shell<'e, 's> {
        Shell {
            engine,
            params,
            runtime,
            mode,
            output: None,
            written: 0,
        }
    }

    /// Runs a script read from `input` (a pipe): every part in order, stopping at the first
    /// that fails with its error, as `hubstat sql` would.
    pub fn run_script(&mut self, mut input: impl Read) -> Result<Outcome, Error> {
        let mut text = String::new();
        input
            .read_to_string(&mut text)
            .map_err(|e| Error::io("<stdin>", e))?;
        let (parts, open) = split(&text);
        for part in parts {
            if let Some(status) = self.run_part(part, false)? {
                return Ok(status);
            }
        }
        if let Some(unended) = open {
            return Err(Error::Usage(format!("<stdin>:{unended}")));
        }
        Ok(Outcome::Done)
    }

    /// Runs the interactive shell on the terminal until Ctrl-D or `.quit`.
    pub fn run_terminal(&mut self) -> Result<Outcome, Error> {
        editor::run(self)
    }

    /// Runs one part; `Some(outcome)` ends the session (`.quit`), as an error in a script does.
    /// On a terminal errors are said and the session goes on; in a script an error that
    /// does not say where it is (a refused statement, a wrong command) is placed by the
    /// part's line.
    fn run_part(&mut self, part: Part, terminal: bool) -> Result<Option<Outcome>, Error> {
        let (line, outcome) = match part {
            Part::Sql(statement) => (statement.line, self.run_statement(&statement, terminal)),
            Part::Dot { line, text } => match commands::run(self, &text) {
                Ok(commands::Next::Quit) => return Ok(Some(Outcome::Done)),
                Ok(commands::Next::Go) => (line, Ok(())),
                Err(e) => (line, Err(e)),
            },
        };
        match outcome {
            Ok(()) => Ok(None),
            Err(e) if terminal => {
                eprintln!("{}", Chain(&e));
                Ok(None)
            }
            Err(e) => {
                let e = match e {
                    Error::Usage(message) => Error::Usage(format!("<stdin>:{line}: {message}")),
                    other => other,
                };
                Err(e)
            }
        }
    }

    /// Runs a statement and writes its result; on a terminal Ctrl-C cancels it.
    fn run_statement(&mut self, statement: &Statement, terminal: bool) -> Result<(), Error> {
        let text = statement.placed();
        let what = if terminal { "the query" } else { "<stdin>" };
        let query = self.engine.sql_in(&text, self.params.as_ref(), what);
        let result = if terminal {
            self.runtime.block_on(async {
                tokio::select! {
                    result = query => Some(result),
                    _ = tokio::signal::ctrl_c() => None,
                }
            })
        } else {
            Some(self.runtime.block_on(query))
        };
        print_notes(self.engine.take_notes());
        match result {
            Some(table) => self.write(&table?),
            None => {
                eprintln!("cancelled");
                Ok(())
            }
        }
    }

    /// Writes a result where results go now, apart from the one before.
    fn write(&mut self, table: &ResultTable) -> Result<(), Error> {
        let mut bytes = Vec::new();
        if self.written > 0 && self.mode != Mode::Json {
            bytes.push(b'\n');
        }
        bytes.extend(match self.mode {
            Mode::Table => output::to_text_table(table)?,
            Mode::Csv => output::to_csv(table)?,
            Mode::Json => output::to_json(table)?,
        });
        self.written += 1;
        match &mut self.output {
            Some((path, file)) => file
                .write_all(&bytes)
                .and_then(|_| file.flush())
                .map_err(|e| Error::io(path.as_path(), e)),
            None => {
                let mut out = io::stdout().lock();
                match out.write_all(&bytes).and_then(|_| out.flush()) {
                    Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                        Err(Error::io("<stdout>", e))
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// Sends results to `path` (created anew) from now on, or back to stdout.
    pub fn set_output(&mut self, path: Option<&Path>) -> Result<(), Error> {
        self.output = match path {
            Some(path) => {
                let file = File::create(path).map_err(|e| Error::io(path, e))?;
                Some((path.to_path_buf(), file))
            }
            None => None,
        };
        self.written = 0;
        Ok(())
    }
}

/// Where the shell's history is kept: `$XDG_DATA_HOME/hubstat/sql_history`, else
/// `~/.local/share/hubstat/sql_history`.
pub fn history_file() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("share"))
        })?;
    Some(data.join("hubstat").join("sql_history"))
}
