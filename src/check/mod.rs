//! Takes the rows of one export file and gives a checked Arrow table plus every problem found:
//! cell types, required values, categories, codes, uniqueness, foreign keys, date order and
//! the warnings for legal but suspicious rows.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Date32Builder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
    StringDictionaryBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Int8Type, Schema, SchemaRef};
use serde::Serialize;

use crate::contract::{Kind, RowRule, Table};
use crate::diagnostics::Error;
use crate::period::{format_date, is_contract_date, parse_date};

mod known;

pub use known::{Known, ParentKey};

/// Rows per Arrow batch of a loaded table.
const BATCH_ROWS: usize = 64 * 1024;

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
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One broken rule (or a warning) at one place of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    /// CSV: the line where the record starts (header = 1); XLSX: the sheet row; Parquet: row index from 1.
    pub line: u64,
    pub column: String,
    pub rule: &'static str,
    pub detail: String,
    pub value: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(self.rule)?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        write!(f, ": {:?}", self.value)
    }
}

/// How many problems of one rule on one column of one file were found, and how many listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCount {
    pub severity: Severity,
    pub file: String,
    pub column: String,
    pub rule: &'static str,
    pub found: u64,
    pub listed: u64,
}

/// Every problem of a load, listed up to a cap per rule and always counted.
#[derive(Debug)]
pub struct ProblemLog {
    cap: Option<u64>,
    listed: Vec<Problem>,
    counts: BTreeMap<(String, String, &'static str, Severity), RuleCount>,
}

impl ProblemLog {
    /// `cap`: how many problems of one rule on one column to keep for listing; `None` keeps all.
    pub fn new(cap: Option<u64>) -> Self {
        ProblemLog {
            cap,
            listed: Vec::new(),
            counts: BTreeMap::new(),
        }
    }

    pub fn push(&mut self, problem: Problem) {
        let key = (
            problem.file.clone(),
            problem.column.clone(),
            problem.rule,
            problem.severity,
        );
        let count = self.counts.entry(key).or_insert_with(|| RuleCount {
            severity: problem.severity,
            file: problem.file.clone(),
            column: problem.column.clone(),
            rule: problem.rule,
            found: 0,
            listed: 0,
        });
        count.found += 1;
        if self.cap.is_none_or(|cap| count.listed < cap) {
            count.listed += 1;
            self.listed.push(problem);
        }
    }

    /// Adds the problems of another log (of other files) after this one's.
    pub fn append(&mut self, other: ProblemLog) {
        self.listed.extend(other.listed);
        for (key, count) in other.counts {
            match self.counts.get_mut(&key) {
                Some(c) => {
                    c.found += count.found;
                    c.listed += count.listed;
                }
                None => {
                    self.counts.insert(key, count);
                }
            }
        }
    }

    /// The problems kept for listing, in the order they were found.
    pub fn listed(&self) -> &[Problem] {
        &self.listed
    }

    /// Counts per rule where more were found than listed.
    pub fn not_listed(&self) -> impl Iterator<Item = &RuleCount> {
        self.counts.values().filter(|c| c.found > c.listed)
    }

    pub fn total(&self, severity: Severity) -> u64 {
        self.counts
            .values()
            .filter(|c| c.severity == severity)
            .map(|c| c.found)
            .sum()
    }
}

/// Rows read, accepted and rejected for one table: read = accepted + rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
}

/// The hasher of a map whose keys are already hashes.
#[derive(Default)]
struct KeyHash(u64);

impl Hasher for KeyHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
}

/// A cell given its contract type.
#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Null,
    /// The cell broke its column's rule; already reported.
    Invalid,
    Text(Cow<'a, str>),
    Date(i32),
    Int(i64),
    Float(f64),
}

impl Value<'_> {
    fn text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    fn date(&self) -> Option<i32> {
        match self {
            Value::Date(d) => Some(*d),
            _ => None,
        }
    }

    fn key_part(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Text(s) => Some(Cow::Borrowed(s)),
            Value::Date(d) => Some(Cow::Owned(format_date(*d))),
            Value::Int(n) => Some(Cow::Owned(n.to_string())),
            Value::Float(x) => Some(Cow::Owned(x.to_string())),
            Value::Null | Value::Invalid => None,
        }
    }
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
    if let Cell::Text(s) = cell
        && s.contains('\u{FFFD}')
    {
        return Err(("encoding", "bytes that are neither UTF-8 nor CP949".into()));
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
            if values.contains(&text.as_ref()) {
                Ok(Value::Text(text))
            } else {
                Err(("category", values.join("|")))
            }
        }
        Kind::Date => {
            let date = match cell {
                Cell::Date(d) => Some(*d),
                Cell::Text(s) => parse_date(s),
                Cell::Int(n) => parse_date(&n.to_string()),
                Cell::Float(x) => whole(*x).and_then(|n| parse_date(&n.to_string())),
                _ => None,
            };
            date.filter(|d| is_contract_date(*d))
                .map(Value::Date)
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

/// Categories are dictionary-encoded: a byte a row instead of the text, for the tens of
/// millions of rows of a national export.
fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::Category(_) => {
            DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8))
        }
        Kind::Text | Kind::Code(_) => DataType::Utf8,
        Kind::Date => DataType::Date32,
        Kind::Integer | Kind::Count => DataType::Int64,
        Kind::Amount => DataType::Float64,
    }
}

enum ColumnBuilder {
    Text(StringBuilder),
    Category(StringDictionaryBuilder<Int8Type>),
    Date(Date32Builder),
    Int(Int64Builder),
    Float(Float64Builder),
}

impl ColumnBuilder {
    fn new(data_type: &DataType) -> Self {
        match data_type {
            DataType::Date32 => ColumnBuilder::Date(Date32Builder::new()),
            DataType::Int64 => ColumnBuilder::Int(Int64Builder::new()),
            DataType::Float64 => ColumnBuilder::Float(Float64Builder::new()),
            DataType::Dictionary(..) => ColumnBuilder::Category(StringDictionaryBuilder::new()),
            _ => ColumnBuilder::Text(StringBuilder::new()),
        }
    }

    fn append(&mut self, value: &Value) {
        match (self, value) {
            (ColumnBuilder::Text(b), Value::Text(s)) => b.append_value(s),
            (ColumnBuilder::Category(b), Value::Text(s)) => {
                b.append(s.as_ref())
                    .expect("a category has fewer values than an Int8 key holds");
            }
            (ColumnBuilder::Category(b), _) => b.append_null(),
            (ColumnBuilder::Date(b), Value::Date(d)) => b.append_value(*d),
            (ColumnBuilder::Int(b), Value::Int(n)) => b.append_value(*n),
            (ColumnBuilder::Float(b), Value::Float(x)) => b.append_value(*x),
            (ColumnBuilder::Text(b), _) => b.append_null(),
            (ColumnBuilder::Date(b), _) => b.append_null(),
            (ColumnBuilder::Int(b), _) => b.append_null(),
            (ColumnBuilder::Float(b), _) => b.append_null(),
        }
    }

    /// The column so far, its buffers cut to their length: growing doubles them, and the
    /// slack would otherwise stay for the life of the table.
    fn finish(&mut self) -> ArrayRef {
        fn fitted<A: Array + 'static>(mut array: A) -> ArrayRef {
            array.shrink_to_fit();
            Arc::new(array)
        }
        match self {
            ColumnBuilder::Text(b) => fitted(b.finish()),
            ColumnBuilder::Category(b) => fitted(b.finish()),
            ColumnBuilder::Date(b) => fitted(b.finish()),
            ColumnBuilder::Int(b) => fitted(b.finish()),
            ColumnBuilder::Float(b) => fitted(b.finish()),
        }
    }
}

fn contract_fields(spec: &Table) -> Vec<Field> {
    spec.columns
        .iter()
        .map(|c| Field::new(c.name, data_type(c.kind), !c.required))
        .collect()
}

/// A table that went through every check: the accepted rows as Arrow batches.
#[derive(Debug, Clone)]
pub struct CheckedTable {
    pub spec: &'static Table,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub tally: Tally,
}

impl CheckedTable {
    /// A table of the contract with no rows, for an optional table that is absent.
    pub fn empty(spec: &'static Table) -> CheckedTable {
        CheckedTable {
            spec,
            schema: Arc::new(Schema::new(contract_fields(spec))),
            batches: Vec::new(),
            tally: Tally::default(),
        }
    }
}

/// What a table gives the tables loaded after it (their keys) or is checked against (staff
/// against their team's life): decided once per table, not by its name on every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Regions,
    Teams,
    Cases,
    Staff,
    Other,
}

impl Role {
    fn of(spec: &Table) -> Role {
        match spec.name {
            "regions" => Role::Regions,
            "teams" => Role::Teams,
            "cases" => Role::Cases,
            "staff" => Role::Staff,
            _ => Role::Other,
        }
    }
}

/// Checks the rows of one file, one at a time, and builds the accepted ones into Arrow batches.
pub struct TableChecker<'a> {
    spec: &'static Table,
    role: Role,
    file: String,
    today: i32,
    log: &'a mut ProblemLog,
    known: &'a mut Known,
    /// For each contract column, its position in the file's rows.
    positions: Vec<Option<usize>>,
    /// Extra columns of the file: kept as text.
    extras: Vec<usize>,
    width: usize,
    schema: SchemaRef,
    builders: Vec<ColumnBuilder>,
    pending: usize,
    batches: Vec<RecordBatch>,
    /// Key hash (as two halves, so that an entry takes 12 bytes, not 16) → first line.
    seen: HashMap<[u32; 2], u32, BuildHasherDefault<KeyHash>>,
    key_positions: Vec<usize>,
    key_label: String,
    /// (address, length) of a column name → its position among the contract's columns.
    positions_by_name: RefCell<Vec<((usize, usize), usize)>>,
    tally: Tally,
}

impl<'a> TableChecker<'a> {
    /// Matches the file's header to the contract: names compared after trimming spaces;
    /// a missing required column or a repeated name makes the file unusable.
    pub fn new(
        spec: &'static Table,
        file: &str,
        header: &[String],
        today: i32,
        log: &'a mut ProblemLog,
        known: &'a mut Known,
    ) -> Result<Self, Error> {
        let names: Vec<&str> = header.iter().map(|h| h.trim()).collect();
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err(Error::input(
                    file,
                    format!("column {} of the header has no name", i + 1),
                ));
            }
            if names[..i].contains(name) {
                return Err(Error::input(
                    file,
                    format!("column `{name}` appears twice in the header"),
                ));
            }
        }
        let positions: Vec<Option<usize>> = spec
            .columns
            .iter()
            .map(|c| names.iter().position(|n| *n == c.name))
            .collect();
        let missing: Vec<&str> = spec
            .columns
            .iter()
            .zip(&positions)
            .filter(|(c, p)| c.required && p.is_none())
            .map(|(c, _)| c.name)
            .collect();
        if !missing.is_empty() {
            return Err(Error::input(
                file,
                format!(
                    "required column{} missing from the header: {}",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", ")
                ),
            ));
        }
        let extras: Vec<usize> = (0..names.len())
            .filter(|i| spec.column(names[*i]).is_none())
            .collect();
        let mut fields = contract_fields(spec);
        fields.extend(
            extras
                .iter()
                .map(|i| Field::new(names[*i], DataType::Utf8, true)),
        );
        let schema = Arc::new(Schema::new(fields));
        let builders = schema
            .fields()
            .iter()
            .map(|f| ColumnBuilder::new(f.data_type()))
            .collect();
        let key_positions = spec.key.iter().map(|k| spec.column_index(k)).collect();
        Ok(TableChecker {
            spec,
            role: Role::of(spec),
            file: file.to_string(),
            today,
            log,
            known,
            positions,
            extras,
            width: names.len(),
            schema,
            builders,
            pending: 0,
            batches: Vec::new(),
            seen: HashMap::default(),
            key_positions,
            key_label: spec.key.join("+"),
            positions_by_name: RefCell::new(Vec::new()),
            tally: Tally::default(),
        })
    }

    fn problem(&mut self, line: u64, column: &str, broken: Broken, value: &str) {
        self.note(Severity::Error, line, column, broken, value);
    }

    fn warning(&mut self, line: u64, column: &str, broken: Broken, value: &str) {
        self.note(Severity::Warning, line, column, broken, value);
    }

    fn note(
        &mut self,
        severity: Severity,
        line: u64,
        column: &str,
        (rule, detail): Broken,
        value: &str,
    ) {
        self.log.push(Problem {
            severity,
            file: self.file.clone(),
            line,
            column: column.to_string(),
            rule,
            detail,
            value: value.to_string(),
        });
    }

    /// Checks one row; `line` is where it stands in the file.
    pub fn row(&mut self, line: u64, cells: &[Cell]) {
        self.tally.read += 1;
        if cells.len() != self.width {
            let detail = format!("{} fields, the header has {}", cells.len(), self.width);
            let value = cells
                .iter()
                .map(|c| c.text().into_owned())
                .collect::<Vec<_>>()
                .join(",");
            self.problem(line, "-", ("field count", detail), &value);
            self.tally.rejected += 1;
            return;
        }
        let spec = self.spec;
        let mut ok = true;
        let mut values: Vec<Value> = Vec::with_capacity(spec.columns.len());
        for (i, column) in spec.columns.iter().enumerate() {
            let cell = self.positions[i].map_or(&Cell::Empty, |p| &cells[p]);
            let value = if let Some(broken) = control_character(cell) {
                self.problem(line, column.name, broken, &cell.text());
                ok = false;
                Value::Invalid
            } else if cell.is_null() {
                if column.required {
                    self.problem(line, column.name, ("required", String::new()), "");
                    ok = false;
                    Value::Invalid
                } else {
                    Value::Null
                }
            } else {
                match typed(column.kind, cell) {
                    Ok(v) => v,
                    Err(broken) => {
                        self.problem(line, column.name, broken, &cell.text());
                        ok = false;
                        Value::Invalid
                    }
                }
            };
            values.push(value);
        }
        for (j, p) in self.extras.clone().into_iter().enumerate() {
            if let Some(broken) = control_character(&cells[p]) {
                let name = self.schema.field(spec.columns.len() + j).name().clone();
                self.problem(line, &name, broken, &cells[p].text());
                ok = false;
            }
        }
        ok &= self.row_rules(line, &values);
        ok &= self.unique(line, &values);
        ok &= self.foreign_keys(line, &values);
        self.remember(cells, &values, ok);
        if ok {
            self.warnings(line, &values);
            self.tally.accepted += 1;
            for (builder, value) in self.builders.iter_mut().zip(&values) {
                builder.append(value);
            }
            for (builder, p) in self.builders[values.len()..].iter_mut().zip(&self.extras) {
                let cell = &cells[*p];
                if cell.is_null() {
                    builder.append(&Value::Null);
                } else {
                    builder.append(&Value::Text(cell.text()));
                }
            }
            self.pending += 1;
            if self.pending == BATCH_ROWS {
                self.flush();
            }
        } else {
            self.tally.rejected += 1;
        }
    }

    /// The position of a named contract column. Names are static, so their addresses are
    /// remembered with their positions: the rules look them up for every row, and comparing
    /// text is slow.
    fn index_of(&self, column: &'static str) -> usize {
        let key = (column.as_ptr() as usize, column.len());
        let known = self
            .positions_by_name
            .borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, i)| *i);
        known.unwrap_or_else(|| {
            let i = self.spec.column_index(column);
            self.positions_by_name.borrow_mut().push((key, i));
            i
        })
    }

    /// The value of a named column.
    fn value<'v>(&self, values: &'v [Value<'v>], column: &'static str) -> &'v Value<'v> {
        &values[self.index_of(column)]
    }

    /// A named column's cell as written, whatever its checks said: the key a rejected parent
    /// row had, for its children to be told apart from orphans.
    fn written<'c>(&self, cells: &'c [Cell<'c>], column: &'static str) -> Option<Cow<'c, str>> {
        let cell = &cells[self.positions[self.index_of(column)]?];
        (!cell.is_null()).then(|| cell.text())
    }

    fn row_rules(&mut self, line: u64, values: &[Value]) -> bool {
        let mut ok = true;
        for rule in self.spec.row_rules {
            match rule {
                RowRule::Prefix { column, prefix } => {
                    if let (Some(v), Some(p)) = (
                        self.value(values, column).text(),
                        self.value(values, prefix).text(),
                    ) && !v.starts_with(p)
                    {
                        let detail = format!("does not start with {prefix} {p}");
                        self.problem(line, column, ("prefix", detail), v);
                        ok = false;
                    }
                }
                RowRule::NotBefore { column, start } => {
                    if let (Some(end), Some(begin)) = (
                        self.value(values, column).date(),
                        self.value(values, start).date(),
                    ) && end < begin
                    {
                        let detail = format!("before {start} {}", format_date(begin));
                        self.problem(line, column, ("date order", detail), &format_date(end));
                        ok = false;
                    }
                }
                RowRule::EmptyWhen {
                    column,
                    when,
                    value,
                } => {
                    if self.value(values, when).text() == Some(value)
                        && let Some(v) = self.value(values, column).text()
                    {
                        let detail = format!("must be empty when {when} is {value}");
                        self.problem(line, column, ("empty when", detail), v);
                        ok = false;
                    }
                }
                RowRule::RequiredWhenClosed { reason, closed } => {
                    let closed_value = self.value(values, closed);
                    let reason_value = self.value(values, reason);
                    if matches!(closed_value, Value::Date(_)) && *reason_value == Value::Null {
                        let detail = format!("required when {closed} is given");
                        self.problem(line, reason, ("closure reason", detail), "");
                        ok = false;
                    } else if *closed_value == Value::Null
                        && let Some(r) = reason_value.text()
                    {
                        let detail = format!("must be empty while {closed} is empty");
                        self.problem(line, reason, ("closure reason", detail), r);
                        ok = false;
                    }
                }
            }
        }
        ok
    }

    /// Keys are remembered by a 64-bit hash of their values, not the values themselves, so
    /// that tens of millions of ids fit in memory; two different keys share a hash with a
    /// chance of about n²/2⁶⁵ (1 in 250,000 for 12 million rows).
    fn unique(&mut self, line: u64, values: &[Value]) -> bool {
        let mut hasher = std::hash::DefaultHasher::new();
        for p in &self.key_positions {
            match &values[*p] {
                Value::Text(s) => s.as_ref().hash(&mut hasher),
                Value::Date(d) => d.hash(&mut hasher),
                Value::Int(n) => n.hash(&mut hasher),
                Value::Float(x) => x.to_bits().hash(&mut hasher),
                Value::Null | Value::Invalid => return true,
            }
        }
        let hash = hasher.finish();
        let hash = [(hash >> 32) as u32, hash as u32];
        if let Some(first) = self.seen.get(&hash) {
            let key: Vec<String> = self
                .key_positions
                .iter()
                .filter_map(|p| values[*p].key_part().map(Cow::into_owned))
                .collect();
            let detail = format!("first at line {first}");
            let label = self.key_label.clone();
            self.problem(line, &label, ("unique", detail), &key.join("|"));
            false
        } else {
            self.seen
                .insert(hash, u32::try_from(line).unwrap_or(u32::MAX));
            true
        }
    }

    /// Records the keys of this row, accepted or not, for the tables checked after it.
    fn remember(&mut self, cells: &[Cell], values: &[Value], accepted: bool) {
        match self.role {
            Role::Regions => {
                let validity = accepted.then(|| {
                    (
                        self.value(values, "valid_from").date(),
                        self.value(values, "valid_to").date(),
                    )
                });
                let emd = self.written(cells, "emd_code");
                let sgg = self.written(cells, "sgg_code");
                let sido = self.written(cells, "sido_code");
                self.known
                    .note_region(emd.as_deref(), sgg.as_deref(), sido.as_deref(), validity);
            }
            Role::Teams => {
                if let Some(id) = self.written(cells, "team_id") {
                    let life = accepted.then(|| {
                        (
                            self.value(values, "established_on").date(),
                            self.value(values, "closed_on").date(),
                        )
                    });
                    self.known.note_team(&id, life);
                }
            }
            Role::Cases => {
                if let Some(id) = self.written(cells, "case_id") {
                    self.known.note_case(&id, accepted);
                }
            }
            Role::Staff | Role::Other => {}
        }
    }

    /// A key no parent row has breaks `foreign key`; one whose every parent row was rejected
    /// breaks `parent rejected`, so that a child never outlives its parent unseen.
    fn foreign_keys(&mut self, line: u64, values: &[Value]) -> bool {
        let mut ok = true;
        for fk in self.spec.foreign_keys {
            let Some(v) = self.value(values, fk.column).text() else {
                continue;
            };
            let broken = match self.known.parent(fk.references, v) {
                ParentKey::Accepted => continue,
                ParentKey::Rejected => (
                    "parent rejected",
                    format!(
                        "every row of {} with it was rejected",
                        fk.references.table()
                    ),
                ),
                ParentKey::Unknown => (
                    "foreign key",
                    format!("not in {}", fk.references.describe()),
                ),
            };
            self.problem(line, fk.column, broken, v);
            ok = false;
        }
        ok
    }

    fn warnings(&mut self, line: u64, values: &[Value]) {
        if let Some(event) = &self.spec.event
            && let Some(date) = self.value(values, event.date).date()
        {
            if date > self.today {
                let detail = format!("after today {}", format_date(self.today));
                self.warning(
                    line,
                    event.date,
                    ("future date", detail),
                    &format_date(date),
                );
            }
            if let Some(emd_column) = event.emd
                && let Some(code) = self.value(values, emd_column).text()
                && let Some((from, to)) = self.known.emd_validity(code)
                && (from.is_some_and(|f| date < f) || to.is_some_and(|t| date >= t))
            {
                let detail = format!(
                    "{} {code} is valid {}..{}",
                    emd_column,
                    from.map(format_date).unwrap_or_default(),
                    to.map(format_date).unwrap_or_default()
                );
                self.warning(
                    line,
                    event.date,
                    ("region not valid on date", detail),
                    &format_date(date),
                );
            }
        }
        if self.role == Role::Staff
            && let (Some(team), Some(assigned)) = (
                self.value(values, "team_id").text(),
                self.value(values, "assigned_on").date(),
            )
            && let Some((Some(established), closed)) = self.known.team_life(team)
        {
            let left = self.value(values, "left_on").date();
            let outside = assigned < established
                || closed.is_some_and(|c| assigned >= c || left.is_none_or(|l| l > c));
            if outside {
                let detail = format!(
                    "team {team} is active {}..{}",
                    format_date(established),
                    closed.map(format_date).unwrap_or_default()
                );
                let value = format!(
                    "{}..{}",
                    format_date(assigned),
                    left.map(format_date).unwrap_or_default()
                );
                self.warning(line, "assigned_on", ("outside team life", detail), &value);
            }
        }
    }

    fn flush(&mut self) {
        if self.pending == 0 {
            return;
        }
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(|b| b.finish()).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .expect("builders follow the schema they were made from");
        self.batches.push(batch);
        self.pending = 0;
    }

    pub fn finish(mut self) -> CheckedTable {
        self.flush();
        CheckedTable {
            spec: self.spec,
            schema: self.schema,
            batches: self.batches,
            tally: self.tally,
        }
    }
}
