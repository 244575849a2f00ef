//! Takes each figure computed on both exports and gives its values that changed, rows
//! matched by region code and the row's own key.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::arrow::datatypes::DataType;

use super::Ask;
use crate::catalogue::{FIGURES, NAME_COLUMNS, QueryFile, REGION_NAME};
use crate::diagnostics::Error;
use crate::output::ResultTable;
use crate::query::Engine;

/// One value of a figure that differs between the exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureChange {
    pub figure: &'static str,
    pub region_code: String,
    pub region_name: String,
    /// The row's own key past the region (a trend's quarter, a target's metric, a team's
    /// id); empty for figures with one row per region.
    pub key: String,
    pub column: String,
    /// The value as `query` prints it; `None` when the export's figure has no such row.
    pub old: Option<String>,
    pub new: Option<String>,
    /// new − old for numbers; `added` or `removed` for a row one export lacks; empty for
    /// text, or a value that is null on one side.
    pub change: String,
}

/// Every figure asked for, computed on both sides and compared; with notes on figures an
/// export cannot compute.
pub async fn changes(
    old: &Engine<'_>,
    new: &Engine<'_>,
    ask: &Ask,
) -> Result<(Vec<FigureChange>, Vec<String>), Error> {
    let queries: Vec<&QueryFile> = match ask.figure {
        Some(query) => vec![query],
        None => FIGURES.iter().collect(),
    };
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    for query in queries {
        let (old_lacks, new_lacks) = (old.lacks(query), new.lacks(query));
        if let (Some(table), Some(_)) = (old_lacks, new_lacks) {
            if ask.figure.is_some() {
                return Err(Error::Usage(format!(
                    "figure {} needs the optional table `{table}`, which neither export has",
                    query.name
                )));
            }
            continue;
        }
        let mut side = async |engine: &Engine<'_>, lacks: Option<&str>, which: &str, all: &str| {
            match lacks {
                Some(table) => {
                    notes.push(format!(
                        "{}: the {which} export has no `{table}` table, so its values are all {all}",
                        query.name
                    ));
                    Ok(None)
                }
                None => engine.figure(query, &ask.params).await.map(Some),
            }
        };
        let old_table = side(old, old_lacks, "old", "added").await?;
        let new_table = side(new, new_lacks, "new", "removed").await?;
        compare(
            query.name,
            old_table.as_ref(),
            new_table.as_ref(),
            &mut changes,
        )?;
    }
    Ok((changes, notes))
}

/// A figure's rows by (region code, key): the region's name and the values.
struct Rows {
    /// The value columns with their types, in the figure's order.
    columns: Vec<(String, DataType)>,
    rows: BTreeMap<(String, String), (String, Vec<String>)>,
}

fn rows_of(figure: &str, table: &ResultTable) -> Result<Rows, Error> {
    let fields = table.schema.fields();
    let position = |name: &str| fields.iter().position(|f| f.name() == name);
    let code = position("region_code").expect("every figure has region_code");
    let name = position(REGION_NAME).expect("every figure has region_name");
    let key = crate::catalogue::figure(figure)
        .and_then(|f| f.row_key)
        .and_then(position);
    let values: Vec<usize> = (0..fields.len())
        .filter(|i| {
            *i != code && Some(*i) != key && !NAME_COLUMNS.contains(&fields[*i].name().as_str())
        })
        .collect();
    let mut rows = BTreeMap::new();
    for row in table.text_rows()? {
        let key_value = key.map(|k| row[k].clone()).unwrap_or_default();
        let cells = values.iter().map(|i| row[*i].clone()).collect();
        rows.insert((row[code].clone(), key_value), (row[name].clone(), cells));
    }
    Ok(Rows {
        columns: values
            .iter()
            .map(|i| (fields[*i].name().clone(), fields[*i].data_type().clone()))
            .collect(),
        rows,
    })
}

/// Adds to `out` every value of `figure` that differs between the old and new tables; a
/// missing table is a figure with no rows.
fn compare(
    figure: &'static str,
    old: Option<&ResultTable>,
    new: Option<&ResultTable>,
    out: &mut Vec<FigureChange>,
) -> Result<(), Error> {
    let old = old.map(|t| rows_of(figure, t)).transpose()?;
    let new = new.map(|t| rows_of(figure, t)).transpose()?;
    let Some(columns) = new.as_ref().or(old.as_ref()).map(|r| r.columns.clone()) else {
        return Ok(());
    };
    let empty = BTreeMap::new();
    let old_rows = old.as_ref().map_or(&empty, |r| &r.rows);
    let new_rows = new.as_ref().map_or(&empty, |r| &r.rows);
    let keys: BTreeSet<&(String, String)> = old_rows.keys().chain(new_rows.keys()).collect();
    for key in keys {
        let (o, n) = (old_rows.get(key), new_rows.get(key));
        let region_name = n.or(o).map(|(name, _)| name.clone()).unwrap_or_default();
        for (i, (column, data_type)) in columns.iter().enumerate() {
            let (old_value, new_value) = (o.map(|r| &r.1[i]), n.map(|r| &r.1[i]));
            let change = match (old_value, new_value) {
                (Some(a), Some(b)) if same(a, b, data_type) => continue,
                (Some(a), Some(b)) => difference(a, b, data_type),
                (None, _) => "added".to_string(),
                (_, None) => "removed".to_string(),
            };
            out.push(FigureChange {
                figure,
                region_code: key.0.clone(),
                region_name: region_name.clone(),
                key: key.1.clone(),
                column: column.clone(),
                old: old_value.cloned(),
                new: new_value.cloned(),
                change,
            });
        }
    }
    Ok(())
}

/// Equal values; rates computed alike on both sides are compared with room for the last
/// bit of a division.
fn same(a: &str, b: &str, data_type: &DataType) -> bool {
    if a == b {
        return true;
    }
    match (data_type, a.parse::<f64>(), b.parse::<f64>()) {
        (DataType::Float64, Ok(x), Ok(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

/// new − old with its sign, for numbers both given; empty otherwise.
fn difference(old: &str, new: &str, data_type: &DataType) -> String {
    match data_type {
        DataType::Int64 => match (old.parse::<i64>(), new.parse::<i64>()) {
            (Ok(a), Ok(b)) => format!("{:+}", b - a),
            _ => String::new(),
        },
        DataType::Float64 => match (old.parse::<f64>(), new.parse::<f64>()) {
            (Ok(a), Ok(b)) => {
                let text = format!("{:+.12}", b - a);
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            _ => String::new(),
        },
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_signed_and_rounded() {
        assert_eq!(difference("3", "5", &DataType::Int64), "+2");
        assert_eq!(difference("5", "3", &DataType::Int64), "-2");
        assert_eq!(difference("0.915", "0.9155", &DataType::Float64), "+0.0005");
        assert_eq!(difference("", "0.5", &DataType::Float64), "");
        assert_eq!(difference("기본형", "권역형", &DataType::Utf8), "");
    }

    #[test]
    fn rates_differing_in_the_last_bit_are_the_same() {
        assert!(same("0.3", "0.30000000000000004", &DataType::Float64));
        assert!(!same("0.3", "0.3000001", &DataType::Float64));
        assert!(!same("3", "4", &DataType::Int64));
    }
}
