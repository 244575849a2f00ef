//! Errors of every stage, where they happened, and what a finished command found.

use std::fmt;
use std::path::{Path, PathBuf};

/// Tells the user the notes a library call gave back, each as `note: …` on stderr.
pub fn print_notes(notes: impl IntoIterator<Item = String>) {
    for note in notes {
        eprintln!("note: {note}");
    }
}

/// The process exit codes, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The command did what was asked and the data broke no rule.
    Success = 0,
    /// Rows of the input break rules of the data contract.
    DataProblems = 1,
    /// Usage, configuration, query or I/O error: the command could not do its job.
    Error = 2,
}

/// What a command that finished found; [`crate::run`] alone turns it into an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked and the data broke no rule.
    Done,
    /// It finished, and rows of the input break rules of the data contract.
    RowsRejected,
    /// `diff`: the two exports differ.
    Changed,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status as u8)
    }
}

/// A place in a text: a file's path, `<stdin>` or the query; a line and a column from 1
/// (the column in characters) and the line itself when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub source: String,
    pub line: usize,
    pub column: Option<usize>,
    pub excerpt: Option<String>,
}

impl Location {
    /// The place of `line` and `column` in `text`, with that line as its excerpt.
    pub fn in_text(source: impl Into<String>, text: &str, line: usize, column: usize) -> Self {
        Location {
            source: source.into(),
            line,
            column: Some(column),
            excerpt: line
                .checked_sub(1)
                .and_then(|i| text.lines().nth(i))
                .map(str::to_string),
        }
    }

    /// The place of the byte `offset` of `text`.
    pub fn at_offset(source: impl Into<String>, text: &str, offset: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location::in_text(source, text, line, column)
    }

    /// `source:line:column: message`, then the line and a caret under the column.
    pub fn render(&self, message: &str) -> String {
        let mut out = format!("{self}: {message}");
        if let (Some(text), Some(column)) = (&self.excerpt, self.column) {
            let caret = format!("{}^", " ".repeat(column.saturating_sub(1)));
            out.push_str(&format!("\n  {text}\n  {caret}"));
        }
        out
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.line)?;
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        Ok(())
    }
}

/// Everything that stops a command. Each variant names what it was working on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An input that cannot be used at all: missing folder or table, two files for one table,
    /// a file that is not CSV, XLSX or Parquet, a missing required column.
    #[error("{}: {reason}", path.display())]
    Input { path: PathBuf, reason: String },

    /// Rows were rejected and the command was not told to go on without them.
    #[error(
        "{summary}; run `hubstat check --data {}` to list them, or pass --skip-invalid to go on without them",
        data.display()
    )]
    Rejected { summary: String, data: PathBuf },

    /// A file of a store that is not what its manifest says: replaced, cut short, or of
    /// another layout.
    #[error("{}: the store is damaged ({reason}): run `hubstat import` again", path.display())]
    Damaged { path: PathBuf, reason: String },

    /// A configuration file (a report template) that cannot be used, at its place.
    #[error("{}", location.render(reason))]
    Config { location: Location, reason: String },

    /// A bug of hubstat's met while reading a file: the panic's message and place, so that
    /// it can be reported and the file found again.
    #[error("{}: hubstat failed while reading this file (a bug: please report it with the file): {message}", path.display())]
    Internal { path: PathBuf, message: String },

    /// What a report is about to publish does not add up (disclosure.md, section 4).
    #[error("consistency check failed: {0}")]
    Inconsistent(String),

    /// A statement that could not be planned or run: `context` says which, and where.
    #[error("{context}")]
    Sql {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("reading {what}")]
    Reading {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("writing {what}")]
    Writing {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A step between reading and writing that failed: forming rows, drawing a chart,
    /// auditing the suppression.
    #[error("{what}")]
    Computing {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn input(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub fn damaged(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Damaged {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub fn sql(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Sql {
            context: context.into(),
            source: source.into(),
        }
    }

    pub fn reading(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Reading {
            what: what.into(),
            source: source.into(),
        }
    }

    pub fn writing(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Writing {
            what: what.into(),
            source: source.into(),
        }
    }

    pub fn computing(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Computing {
            what: what.into(),
            source: source.into(),
        }
    }
}

thread_local! {
    /// Whether this thread runs inside [`catch_panic`], and the last panic it caught.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static CAUGHT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Keeps a panic inside [`catch_panic`] off stderr, for its error to say instead; any other
/// panic is printed as before.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if CATCHING.get() {
            CAUGHT.set(Some(info.to_string().replace('\n', " ")));
        } else {
            default(info);
        }
    }));
}

/// Runs `work` on `path`; a panic in it becomes [`Error::Internal`] naming the file.
pub fn catch_panic<T>(path: &Path, work: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    let was = CATCHING.replace(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    CATCHING.set(was);
    result.unwrap_or_else(|payload| {
        let message = CAUGHT
            .take()
            .unwrap_or_else(|| panic_text(payload.as_ref()));
        Err(Error::Internal {
            path: path.to_path_buf(),
            message,
        })
    })
}

/// The message a panic was raised with.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Prints an error and its causes as a short chain: `error: ...` then `  caused by: ...`.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = self.0.to_string();
        write!(f, "error: {last}")?;
        let mut cause = self.0.source();
        while let Some(err) = cause {
            // Libraries often wrap an error in one that repeats its text: say it once.
            let text = err.to_string();
            if !last.contains(&text) {
                write!(f, "\n  caused by: {text}")?;
            }
            last = text;
            cause = err.source();
        }
        Ok(())
    }
}
