//! Takes the rows of one export file, a stretch at a time, and gives its rows that keep
//! their own table's rules (cell types, required values, categories, codes, row rules) as
//! Arrow batches with the line each row came from, every problem found, the keys of the rows
//! rejected that child tables may refer to, and every row's unique key for [`super::keys`].
//! Rules across tables are [`super::cross`]'s.
//!
//! A [`TableCheck`] is compiled once from the header and shared by the threads that check
//! stretches side by side; a [`Staging`] takes their results in the file's order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch, UInt32Array};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::Date32Type;
use datafusion::arrow::datatypes::SchemaRef;

use super::findings::Findings;
use super::header::Header;
use super::keys::{KeyLog, key_hash, key_text};
use super::raw::{RawRows, Unfit};
use super::rules::{self, CompiledRule};
use super::typing::{TypedColumn, extra_column, type_column};
use super::{Problem, Severity, Tally};
use crate::contract::{TABLES, Table};
use crate::diagnostics::Error;
use crate::period::quarter_of;

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
    /// A row rejected by its own rules.
    fn rejected(&mut self, row: RejectedRow);
}

/// A row rejected by its own rules: its foreign keys, typed (`None` when null or broken),
/// in the order of the table's foreign keys, for their problems to be listed too; and its
/// unique key, when every part of it was valid, for the rows after it that repeat it.
#[derive(Debug, Clone)]
pub struct RejectedRow {
    pub line: u64,
    pub references: Vec<Option<String>>,
    pub key: Option<String>,
}

/// What the check of a stretch of rows found.
#[derive(Debug)]
pub struct CheckedRows {
    /// The rows that keep the table's own rules, when there are any.
    pub batch: Option<RecordBatch>,
    pub problems: Vec<Problem>,
    pub rejected: Vec<RejectedRow>,
    /// (key hash, line) of every row whose key is valid, rejected rows included.
    pub keys: Vec<(u64, u64)>,
    /// (parent key column, value as written) of the rejected rows.
    pub parent_keys: Vec<(&'static str, String)>,
    pub tally: Tally,
}

/// A table's own rules, compiled against one file's header.
#[derive(Debug)]
pub struct TableCheck {
    pub spec: &'static Table,
    pub file: String,
    pub header: Header,
    rules: Vec<CompiledRule>,
    key: Vec<usize>,
    references: Vec<usize>,
    parent_keys: Vec<(&'static str, usize)>,
    /// The position of the table's main date, by whose quarter the rows are grouped.
    main_date: Option<usize>,
}

impl TableCheck {
    pub fn new(spec: &'static Table, file: &str, header: &[String]) -> Result<TableCheck, Error> {
        Ok(TableCheck {
            spec,
            file: file.to_string(),
            header: Header::new(spec, file, header)?,
            rules: rules::compile(spec),
            key: spec.key.iter().map(|k| spec.column_index(k)).collect(),
            references: spec
                .foreign_keys
                .iter()
                .map(|fk| spec.column_index(fk.column))
                .collect(),
            parent_keys: parent_key_columns(spec)
                .into_iter()
                .map(|c| (c, spec.column_index(c)))
                .collect(),
            main_date: spec.event.as_ref().map(|e| spec.column_index(e.date)),
        })
    }

    pub fn schema(&self) -> SchemaRef {
        self.header.schema.clone()
    }

    /// Checks a stretch of rows against the table's own rules, column by column.
    pub fn check(&self, raw: &RawRows) -> CheckedRows {
        let rows = raw.len();
        let mut findings = Findings::new(&self.file, &raw.lines);
        let columns: Vec<TypedColumn> = self
            .spec
            .columns
            .iter()
            .zip(&self.header.positions)
            .map(|(column, position)| {
                let raw_column = position.map(|p| &raw.columns[p]);
                type_column(column, raw_column, rows, raw.marks, &mut findings)
            })
            .collect();
        let extras: Vec<ArrayRef> = self
            .header
            .extras
            .iter()
            .map(|(p, name)| extra_column(name, &raw.columns[*p], rows, raw.marks, &mut findings))
            .collect();
        rules::apply(&self.rules, &columns, &mut findings);
        let (accepted, mut problems) = findings.into_problems();
        problems.extend(raw.misfits.iter().map(|m| self.misfit(m)));
        let key_columns: Vec<&dyn Array> = self
            .key
            .iter()
            .map(|k| columns[*k].array.as_ref())
            .collect();
        let keys = (0..rows)
            .filter_map(|i| Some((key_hash(&key_columns, i)?, raw.lines[i])))
            .collect();
        let mut rejected = Vec::new();
        let mut parent_keys = Vec::new();
        for i in (0..rows).filter(|i| !accepted[*i]) {
            rejected.push(RejectedRow {
                line: raw.lines[i],
                references: self
                    .references
                    .iter()
                    .map(|r| columns[*r].text(i).map(str::to_string))
                    .collect(),
                key: key_text(&key_columns, i),
            });
            // As written, whatever its checks said, so that its children are told apart
            // from orphans.
            for (name, index) in &self.parent_keys {
                if let Some(p) = self.header.positions[*index] {
                    let cell = raw.columns[p].cell(i);
                    if !cell.is_null() {
                        parent_keys.push((*name, cell.text().into_owned()));
                    }
                }
            }
        }
        let rejected_count = (rejected.len() + raw.misfits.len()) as u64;
        let tally = Tally {
            read: (rows + raw.misfits.len()) as u64,
            accepted: (rows - rejected.len()) as u64,
            rejected: rejected_count,
            left_out: 0,
        };
        CheckedRows {
            batch: self.batch(columns, extras, &raw.lines, accepted),
            problems,
            rejected,
            keys,
            parent_keys,
            tally,
        }
    }

    fn misfit(&self, misfit: &super::raw::Misfit) -> Problem {
        let (rule, detail) = match misfit.unfit {
            Unfit::Fields(fields) => (
                "field count",
                format!("{fields} fields, the header has {}", self.header.width),
            ),
            Unfit::CutShort { width, needed } => (
                "line length",
                format!(
                    "{width} bytes in CP949, the header's columns need {needed}: the line was cut short"
                ),
            ),
        };
        Problem {
            severity: Severity::Error,
            file: self.file.clone(),
            line: misfit.line,
            column: "-".into(),
            rule: rule.into(),
            detail,
            value: misfit.text.clone(),
        }
    }

    /// The accepted rows as a batch of the stored schema.
    fn batch(
        &self,
        columns: Vec<TypedColumn>,
        extras: Vec<ArrayRef>,
        lines: &[u64],
        accepted: Vec<bool>,
    ) -> Option<RecordBatch> {
        if !accepted.contains(&true) {
            return None;
        }
        let mut arrays: Vec<ArrayRef> = columns.into_iter().map(|c| c.array).collect();
        arrays.extend(extras);
        arrays.push(Arc::new(Int64Array::from_iter_values(
            lines.iter().map(|l| i64::try_from(*l).unwrap_or(i64::MAX)),
        )));
        // Rejected rows hold nulls where the schema has none: they go before the batch is
        // made, and the rest are grouped by the quarter of the main date, so that the store's
        // writer cuts its row groups without copying rows.
        let order = self.order(&arrays, &accepted);
        if let Some(order) = order {
            arrays = arrays
                .iter()
                .map(|a| take(a, &order, None).expect("indices within the column"))
                .collect();
        }
        Some(
            RecordBatch::try_new(self.schema(), arrays)
                .expect("typed columns follow the stored schema"),
        )
    }

    /// The accepted rows by quarter of the main date, in file order within it; `None` when
    /// that is every row as it stands.
    fn order(&self, arrays: &[ArrayRef], accepted: &[bool]) -> Option<UInt32Array> {
        let mut rows: Vec<u32> = (0..accepted.len() as u32)
            .filter(|i| accepted[*i as usize])
            .collect();
        let mut moved = rows.len() < accepted.len();
        if let Some(date) = self.main_date {
            let dates = arrays[date].as_primitive::<Date32Type>();
            let quarters: Vec<Option<i32>> = rows
                .iter()
                .map(|i| {
                    let i = *i as usize;
                    (!dates.is_null(i)).then(|| quarter_of(dates.value(i)))
                })
                .collect();
            if !quarters.is_sorted() {
                // A stretch spans a few quarters: each row goes to its quarter's bucket, in
                // file order, rather than through a comparison sort.
                let mut buckets: BTreeMap<Option<i32>, Vec<u32>> = BTreeMap::new();
                for (row, quarter) in rows.iter().zip(&quarters) {
                    buckets.entry(*quarter).or_default().push(*row);
                }
                rows = buckets.into_values().flatten().collect();
                moved = true;
            }
        }
        moved.then(|| UInt32Array::from(rows))
    }
}

/// What one file gave: its schema as stored, its tally, the values of the parent key
/// columns of its rejected rows (column → values), for children to be told `parent
/// rejected`, and its rows' keys, for [`super::keys`] to find the repeated ones.
#[derive(Debug)]
pub struct CheckedTable {
    pub spec: &'static Table,
    pub schema: SchemaRef,
    pub tally: Tally,
    pub rejected_keys: BTreeMap<String, BTreeSet<String>>,
    pub keys: KeyLog,
}

/// Takes the checked stretches of one file in the file's order and hands their output on.
pub struct Staging<'o> {
    check: Arc<TableCheck>,
    out: &'o mut dyn CheckOutput,
    tally: Tally,
    rejected_keys: BTreeMap<String, BTreeSet<String>>,
    keys: KeyLog,
}

impl<'o> Staging<'o> {
    pub fn new(check: TableCheck, out: &'o mut dyn CheckOutput) -> Staging<'o> {
        Staging {
            check: Arc::new(check),
            out,
            tally: Tally::default(),
            rejected_keys: BTreeMap::new(),
            keys: KeyLog::default(),
        }
    }

    pub fn take(&mut self, rows: CheckedRows) -> Result<(), Error> {
        for problem in rows.problems {
            self.out.problem(problem);
        }
        for row in rows.rejected {
            self.out.rejected(row);
        }
        for (column, value) in rows.parent_keys {
            self.rejected_keys
                .entry(column.to_string())
                .or_default()
                .insert(value);
        }
        for (hash, line) in rows.keys {
            self.keys.note(hash, line, &self.check.file)?;
        }
        if let Some(batch) = rows.batch {
            self.out.batch(batch);
        }
        self.tally.read += rows.tally.read;
        self.tally.accepted += rows.tally.accepted;
        self.tally.rejected += rows.tally.rejected;
        Ok(())
    }

    /// The checks rows are taken through, to run on any thread.
    pub fn check(&self) -> Arc<TableCheck> {
        self.check.clone()
    }

    pub fn finish(self) -> CheckedTable {
        CheckedTable {
            spec: self.check.spec,
            schema: self.check.schema(),
            tally: self.tally,
            rejected_keys: self.rejected_keys,
            keys: self.keys,
        }
    }
}
