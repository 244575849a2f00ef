//! Takes a dot command line of the shell and does it: list the tables, views and figures,
//! show a table's columns, choose how and where results are written, or leave.

use std::path::Path;

use datafusion::arrow::datatypes::DataType;

use super::{Mode, Shell};
use crate::catalogue::{FIGURES, view_names};
use crate::diagnostics::Error;
use crate::output::{ResultTable, text_column};

/// What the shell does after a command.
pub enum Next {
    Go,
    Quit,
}

pub const HELP: &str = "\
Statements end with `;` and may take several lines. Only reading statements run.
  .tables               the tables (and with --period, the figures' views)
  .schema TABLE         the columns of a table or view, with their types
  .figures              the figures of the catalogue (run them with `hubstat query`)
  .mode table|csv|json  how results are written
  .output [FILE]        write results to FILE (made anew), or back to the screen
  .help                 this text
  .quit                 leave (or Ctrl-D); Ctrl-C cancels a running query
";

/// The commands, for completion.
pub const COMMANDS: [&str; 8] = [
    ".tables", ".schema", ".figures", ".mode", ".output", ".help", ".quit", ".exit",
];

pub fn run(shell: &mut Shell, line: &str) -> Result<Next, Error> {
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    let arity = |n: std::ops::RangeInclusive<usize>, usage: &str| {
        if n.contains(&args.len()) {
            Ok(())
        } else {
            Err(Error::Usage(format!("usage: {usage}")))
        }
    };
    match command {
        ".help" => {
            print!("{HELP}");
        }
        ".quit" | ".exit" => return Ok(Next::Quit),
        ".mode" => {
            arity(1..=1, ".mode table|csv|json")?;
            shell.mode = match args[0] {
                "table" => Mode::Table,
                "csv" => Mode::Csv,
                "json" => Mode::Json,
                other => {
                    return Err(Error::Usage(format!(
                        ".mode {other}: the modes are table, csv and json"
                    )));
                }
            };
        }
        ".output" => {
            arity(0..=1, ".output [FILE]")?;
            shell.set_output(args.first().map(Path::new))?;
        }
        ".tables" => {
            arity(0..=0, ".tables")?;
            let names = names(shell);
            let table = ResultTable::of_columns(vec![
                ("name", text_column(names.iter().map(|(n, _)| Some(n)))),
                ("kind", text_column(names.iter().map(|(_, k)| Some(k)))),
            ]);
            shell.write(&table)?;
        }
        ".schema" => {
            arity(1..=1, ".schema TABLE")?;
            let columns = columns(shell, args[0])?;
            let table = ResultTable::of_columns(vec![
                ("column", text_column(columns.iter().map(|c| Some(&c.0)))),
                ("type", text_column(columns.iter().map(|c| Some(&c.1)))),
                ("nullable", text_column(columns.iter().map(|c| Some(&c.2)))),
            ]);
            shell.write(&table)?;
        }
        ".figures" => {
            arity(0..=0, ".figures")?;
            let table = ResultTable::of_columns(vec![
                ("figure", text_column(FIGURES.iter().map(|f| Some(f.name)))),
                (
                    "title",
                    text_column(FIGURES.iter().map(|f| Some(f.title()))),
                ),
            ]);
            shell.write(&table)?;
        }
        other => {
            return Err(Error::Usage(format!(
                "unknown command `{other}`: .help lists the commands"
            )));
        }
    }
    Ok(Next::Go)
}

/// Every name a statement can read, with whether it is a table or a view.
pub fn names(shell: &Shell) -> Vec<(String, &'static str)> {
    let mut names: Vec<(String, &'static str)> = shell
        .engine
        .table_names()
        .into_iter()
        .map(|n| (n.to_string(), "table"))
        .collect();
    if shell.params.is_some() {
        names.extend(view_names().into_iter().map(|n| (n.to_string(), "view")));
    }
    names
}

/// A table's or view's columns: name, type, nullable.
pub fn columns(shell: &Shell, name: &str) -> Result<Vec<(String, String, String)>, Error> {
    if !names(shell)
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        return Err(Error::Usage(format!(
            "no table or view named `{name}`: .tables lists them"
        )));
    }
    let sql = format!("SELECT * FROM \"{}\" LIMIT 0", name.to_lowercase());
    let table = shell
        .runtime
        .block_on(shell.engine.sql(&sql, shell.params.as_ref()))?;
    Ok(table
        .schema
        .fields()
        .iter()
        .map(|f| {
            (
                f.name().clone(),
                sql_type(f.data_type()),
                if f.is_nullable() { "yes" } else { "no" }.to_string(),
            )
        })
        .collect())
}

/// The SQL name of a column's type, as a statement casts to it; text stored as a
/// dictionary or a view is VARCHAR all the same.
fn sql_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => "VARCHAR".into(),
        DataType::Dictionary(_, value) => sql_type(value),
        DataType::Int64 => "BIGINT".into(),
        DataType::Int32 => "INT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Date32 => "DATE".into(),
        DataType::Boolean => "BOOLEAN".into(),
        other => other.to_string(),
    }
}
