//! Takes a file's header row and its table's contract and gives where each contract column
//! is in the file, the file's extra columns, and the schema the checked rows are stored in.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::typing::data_type;
use crate::contract::Table;
use crate::diagnostics::Error;

/// The column of every checked table that holds the line (or row) each row came from, for
/// the rules across tables to name it.
pub const LINE_COLUMN: &str = "_line";

pub fn contract_fields(spec: &Table) -> Vec<Field> {
    spec.columns
        .iter()
        .map(|c| Field::new(c.name, data_type(c.kind), !c.required))
        .collect()
}

/// A file's header matched to its table's contract.
#[derive(Debug, Clone)]
pub struct Header {
    /// For each contract column, its position in the file's rows.
    pub positions: Vec<Option<usize>>,
    /// The file's columns the contract does not name: position and name, kept as text.
    pub extras: Vec<(usize, String)>,
    /// Fields a row has.
    pub width: usize,
    /// The contract's columns, then the extras as text, then the line column.
    pub schema: SchemaRef,
}

impl Header {
    /// Names are compared after trimming spaces; a missing required column or a repeated
    /// name makes the file unusable.
    pub fn new(spec: &Table, file: &str, header: &[String]) -> Result<Header, Error> {
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
        let extras: Vec<(usize, String)> = names
            .iter()
            .enumerate()
            .filter(|(_, name)| spec.column(name).is_none())
            .map(|(i, name)| (i, name.to_string()))
            .collect();
        let mut fields = contract_fields(spec);
        fields.extend(
            extras
                .iter()
                .map(|(_, name)| Field::new(name, DataType::Utf8, true)),
        );
        fields.push(Field::new(LINE_COLUMN, DataType::Int64, false));
        Ok(Header {
            positions,
            extras,
            width: names.len(),
            schema: Arc::new(Schema::new(fields)),
        })
    }
}
