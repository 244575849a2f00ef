//! Takes the rows of one export file and gives its rows that keep their own table's rules
//! (cell types, required values, categories, codes, row rules, unique keys) as Arrow batches
//! with the line each row came from, every problem found, and the keys of the rows rejected
//! that child tables may refer to. Rules across tables are [`super::cross`]'s.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Date32Builder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
    StringDictionaryBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Int8Type, Schema, SchemaRef};

use super::{Broken, Cell, Problem, Severity, Tally, Value, control_character, typed};
use crate::contract::{Kind, RowRule, TABLES, Table};
use crate::diagnostics::Error;
use crate::period::format_date;

/// Rows per Arrow batch of a checked table.
const BATCH_ROWS: usize = 64 * 1024;

/// The column of every checked table that holds the line (or row) each row came from, for
/// the rules across tables to name it.
pub const LINE_COLUMN: &str = "_line";

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

pub fn contract_fields(spec: &Table) -> Vec<Field> {
    spec.columns
        .iter()
        .map(|c| Field::new(c.name, data_type(c.kind), !c.required))
        .collect()
}

/// The schema of a checked table as stored: the contract's columns, then the file's extra
/// columns as text, then the line column.
fn stored_schema(spec: &Table, extras: &[&str]) -> SchemaRef {
    let mut fields = contract_fields(spec);
    fields.extend(
        extras
            .iter()
            .map(|name| Field::new(*name, DataType::Utf8, true)),
    );
    fields.push(Field::new(LINE_COLUMN, DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

/// The columns of `spec` that child tables refer to (regions' codes, team and case ids).
pub fn parent_key_columns(spec: &Table) -> Vec<&'static str> {
    let mut columns = Vec::new();
    for child in TABLES {
        for fk in child.foreign_keys {
            let (table, names) = fk.references.columns();
            if table == spec.name {
                for name in names {
                    if !columns.contains(name) {
                        columns.push(*name);
                    }
                }
            }
        }
    }
    columns
}

/// Where a checker's output goes as it is made: problems one by one, rows a batch at a time.
pub trait CheckOutput {
    fn problem(&mut self, problem: Problem);
    fn batch(&mut self, batch: RecordBatch);
    /// The foreign keys of a row rejected by its own rules, typed (`None` when null or
    /// broken), in the order of the table's foreign keys: their problems are listed too.
    fn rejected(&mut self, line: u64, references: &[Option<&str>]);
}

/// What one file gave: its schema as stored, its tally, and the values of the parent key
/// columns of its rejected rows (column → values), for children to be told `parent rejected`.
#[derive(Debug, Clone)]
pub struct CheckedTable {
    pub spec: &'static Table,
    pub schema: SchemaRef,
    pub tally: Tally,
    pub rejected_keys: BTreeMap<String, BTreeSet<String>>,
}

/// Checks the rows of one file, one at a time, and builds the rows that keep their table's
/// own rules into Arrow batches.
pub struct TableChecker<'a> {
    spec: &'static Table,
    file: String,
    out: &'a mut dyn CheckOutput,
    /// For each contract column, its position in the file's rows.
    positions: Vec<Option<usize>>,
    /// Extra columns of the file: kept as text.
    extras: Vec<usize>,
    width: usize,
    schema: SchemaRef,
    builders: Vec<ColumnBuilder>,
    lines: Int64Builder,
    pending: usize,
    /// Key hash (as two halves, so that an entry takes 12 bytes, not 16) → first line.
    seen: HashMap<[u32; 2], u32, BuildHasherDefault<KeyHash>>,
    key_positions: Vec<usize>,
    key_label: String,
    parent_keys: Vec<(&'static str, usize)>,
    rejected_keys: BTreeMap<String, BTreeSet<String>>,
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
        out: &'a mut dyn CheckOutput,
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
        let extra_names: Vec<&str> = extras.iter().map(|i| names[*i]).collect();
        let schema = stored_schema(spec, &extra_names);
        let builders = schema.fields()[..schema.fields().len() - 1]
            .iter()
            .map(|f| ColumnBuilder::new(f.data_type()))
            .collect();
        let key_positions = spec.key.iter().map(|k| spec.column_index(k)).collect();
        let parent_keys = parent_key_columns(spec)
            .into_iter()
            .map(|c| (c, spec.column_index(c)))
            .collect();
        Ok(TableChecker {
            spec,
            file: file.to_string(),
            out,
            positions,
            extras,
            width: names.len(),
            schema,
            builders,
            lines: Int64Builder::new(),
            pending: 0,
            seen: HashMap::default(),
            key_positions,
            key_label: spec.key.join("+"),
            parent_keys,
            rejected_keys: BTreeMap::new(),
            positions_by_name: RefCell::new(Vec::new()),
            tally: Tally::default(),
        })
    }

    fn problem(&mut self, line: u64, column: &str, (rule, detail): Broken, value: &str) {
        self.out.problem(Problem {
            severity: Severity::Error,
            file: self.file.clone(),
            line,
            column: column.to_string(),
            rule: rule.to_string(),
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
        if !ok {
            self.remember_rejected(cells);
            let references: Vec<Option<&str>> = spec
                .foreign_keys
                .iter()
                .map(|fk| self.value(&values, fk.column).text())
                .collect();
            if !references.is_empty() {
                self.out.rejected(line, &references);
            }
            self.tally.rejected += 1;
            return;
        }
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
        self.lines
            .append_value(i64::try_from(line).unwrap_or(i64::MAX));
        self.pending += 1;
        if self.pending == BATCH_ROWS {
            self.flush();
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

    /// Keeps the keys children may refer to of a rejected row, as written whatever its
    /// checks said, so that its children are told apart from orphans.
    fn remember_rejected(&mut self, cells: &[Cell]) {
        for (name, index) in &self.parent_keys {
            let Some(p) = self.positions[*index] else {
                continue;
            };
            let cell = &cells[p];
            if !cell.is_null() {
                self.rejected_keys
                    .entry(name.to_string())
                    .or_default()
                    .insert(cell.text().into_owned());
            }
        }
    }

    fn flush(&mut self) {
        if self.pending == 0 {
            return;
        }
        let mut columns: Vec<ArrayRef> = self.builders.iter_mut().map(|b| b.finish()).collect();
        columns.push(Arc::new(self.lines.finish()));
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .expect("builders follow the schema they were made from");
        self.out.batch(batch);
        self.pending = 0;
    }

    pub fn finish(mut self) -> CheckedTable {
        self.flush();
        CheckedTable {
            spec: self.spec,
            schema: self.schema,
            tally: self.tally,
            rejected_keys: self.rejected_keys,
        }
    }
}
