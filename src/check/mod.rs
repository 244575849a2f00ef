//! Takes the rows of export files and gives them checked against the data contract: each
//! table's own rules ([`table`]), then the rules across tables ([`cross`]), every problem
//! kept with its file, line and column ([`problem`]).

use std::borrow::Cow;

use crate::contract::Kind;
use crate::period::{format_date, is_contract_date, parse_date};

pub mod cross;
mod findings;
mod header;
pub mod keys;
mod known;
mod problem;
pub mod raw;
mod rules;
mod table;
mod typing;

pub use header::{LINE_COLUMN, contract_fields};
pub use problem::{Problem, ProblemLog, RuleCount, Severity, Tally};
pub use table::{
    CheckOutput, CheckedRows, CheckedTable, RejectedRow, Staging, TableCheck, parent_key_columns,
};

/// One cell as a reader found it, before the contract gives it a type.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Text(&'a str),
    Int(i64),
    Float(f64),
    /// Days since 1970-01-01.
    Date(i32),
    Bool(bool),
    /// A spreadsheet error value such as `#N/A`.
    Error(String),
}

impl Cell<'_> {
    /// The cell as text, the way a person sees it in the file.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => {
                Cow::Owned(format!("{}", *x as i64))
            }
            // Very large or small numbers as Excel shows them, not hundreds of digits.
            Cell::Float(x) if x.abs() >= 1e15 || (*x != 0.0 && x.abs() < 1e-6) => {
                Cow::Owned(format!("{x:e}"))
            }
            Cell::Float(x) => Cow::Owned(x.to_string()),
            Cell::Date(d) => Cow::Owned(format_date(*d)),
            Cell::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Cell::Error(e) => Cow::Owned(e.clone()),
        }
    }

    fn is_null(&self) -> bool {
        match self {
            Cell::Empty => true,
            // Only a text that starts with a space can be all spaces.
            Cell::Text(s) => {
                s.chars().next().is_none_or(char::is_whitespace) && s.trim().is_empty()
            }
            _ => false,
        }
    }
}

/// A cell given its contract type.
#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Null,
    Text(Cow<'a, str>),
    /// The position of a category's value in the contract's list.
    Category(i8),
    Date(i32),
    Int(i64),
    Float(f64),
}

/// A broken cell rule: rule id and detail.
type Broken = (&'static str, String);

const DATE_FORMATS: &str = "YYYY-MM-DD, YYYYMMDD or YYYY.MM.DD";

fn whole(x: f64) -> Option<i64> {
    (x.fract() == 0.0 && x.abs() < 9.0e15).then_some(x as i64)
}

/// A control character in a text cell: C0 but TAB, CR and LF (which CSV holds only inside
/// quotes, and a spreadsheet cell as its line breaks), and DEL. NUL bytes come this way too.
fn control_character(cell: &Cell) -> Option<Broken> {
    let Cell::Text(s) = cell else { return None };
    if !s.bytes().any(raw::is_control_byte) {
        return None;
    }
    let (at, c) = s
        .chars()
        .enumerate()
        .find(|(_, c)| (*c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || *c == '\u{7f}')?;
    Some((
        "control character",
        format!("U+{:04X} at character {}", u32::from(c), at + 1),
    ))
}

fn typed<'a>(kind: Kind, cell: &'a Cell<'a>) -> Result<Value<'a>, Broken> {
    if let Cell::Error(e) = cell {
        return Err(("cell error", e.clone()));
    }
    match kind {
        Kind::Text => Ok(Value::Text(cell.text())),
        Kind::Code(digits) => {
            let text = cell.text();
            if text.bytes().all(|b| b.is_ascii_digit()) && digits.contains(&text.len()) {
                Ok(Value::Text(text))
            } else {
                let lengths: Vec<String> = digits.iter().map(|d| d.to_string()).collect();
                Err(("code", format!("{} digits", lengths.join(" or "))))
            }
        }
        Kind::Category(values) => {
            let text = cell.text();
            // Compared byte by byte in line: a call to compare six bytes costs more than it.
            let same = |v: &&str| {
                v.len() == text.len() && v.bytes().zip(text.bytes()).all(|(a, b)| a == b)
            };
            match values.iter().position(same) {
                Some(i) => Ok(Value::Category(i as i8)),
                None => Err(("category", values.join("|"))),
            }
        }
        Kind::Date => {
            // A date written in one of the contract's forms is always within its years.
            let date = match cell {
                Cell::Date(d) => Some(*d).filter(|d| is_contract_date(*d)),
                Cell::Text(s) => parse_date(s),
                Cell::Int(n) => parse_date(&n.to_string()),
                Cell::Float(x) => whole(*x).and_then(|n| parse_date(&n.to_string())),
                _ => None,
            };
            date.map(Value::Date)
                .ok_or_else(|| ("date", DATE_FORMATS.to_string()))
        }
        Kind::Integer | Kind::Count => {
            let n = match cell {
                Cell::Int(n) => Some(*n),
                Cell::Float(x) => whole(*x),
                Cell::Text(s) => s.parse::<i64>().ok(),
                _ => None,
            }
            .ok_or_else(|| ("integer", "a whole number".to_string()))?;
            if kind == Kind::Count && n < 0 {
                return Err(("not negative", ">= 0".into()));
            }
            Ok(Value::Int(n))
        }
        Kind::Amount => {
            let x = match cell {
                Cell::Int(n) => Some(*n as f64),
                Cell::Float(x) => Some(*x),
                Cell::Text(s) => s.parse::<f64>().ok(),
                _ => None,
            }
            .filter(|x| x.is_finite())
            .ok_or_else(|| ("number", "a number".to_string()))?;
            if x < 0.0 {
                return Err(("not negative", ">= 0".into()));
            }
            Ok(Value::Float(x))
        }
    }
}
