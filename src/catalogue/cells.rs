//! Takes a figure of the catalogue and gives what its SQL header declares of its columns for
//! publication: each column's class (S, P, or a rate of two others), where the households
//! behind a sensitive count are, and the sums and bounds its columns take part in.

use super::QueryFile;
use crate::diagnostics::{Error, Location};

/// Where the distinct households behind a class-S column are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Households {
    /// A count of households: its own value.
    Itself,
    /// An internal column of the figure.
    Column(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnClass {
    /// A count of households or of events about them. `distinct`: not additive over regions.
    Sensitive {
        households: Households,
        distinct: bool,
    },
    /// A fact about public bodies. `distinct`: not additive over regions (people).
    Public { distinct: bool },
    /// `numerator / denominator` of the same row (derived: hidden with either input); a rate
    /// of inputs the figure does not print has none.
    Rate { inputs: Option<(String, String)> },
}

/// `total = Σ parts` in every row, or `lesser <= Σ parts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRelation {
    pub total: String,
    pub parts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FigureCells {
    pub columns: Vec<(String, ColumnClass)>,
    pub sums: Vec<RowRelation>,
    pub bounds: Vec<RowRelation>,
    /// Rows are not regions (a list of teams): no sums over regions.
    pub list: bool,
}

impl FigureCells {
    pub fn class(&self, column: &str) -> Option<&ColumnClass> {
        self.columns
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, k)| k)
    }
}

/// The declarations of a figure's header: `-- cell: COLUMN S HOUSEHOLDS [distinct]`,
/// `-- cell: COLUMN P [distinct]`, `-- cell: COLUMN rate [NUMERATOR DENOMINATOR]`,
/// `-- sum: TOTAL = A + B`, `-- bound: LESSER <= A + B`, `-- list: ...`.
pub fn of(query: &QueryFile) -> Result<FigureCells, Error> {
    let mut cells = FigureCells::default();
    for (n, line) in query.text.lines().enumerate() {
        let Some(comment) = line.strip_prefix("-- ") else {
            if line.starts_with("--") {
                continue;
            }
            break;
        };
        let error = |reason: &str| Error::Config {
            location: Location::in_text(query.file, query.text, n + 1, 1),
            reason: reason.to_string(),
        };
        if let Some(rest) = comment.strip_prefix("cell: ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let class = match words.as_slice() {
                [_, "S", h, flags @ ..] => ColumnClass::Sensitive {
                    households: if *h == "self" {
                        Households::Itself
                    } else {
                        Households::Column(h.to_string())
                    },
                    distinct: distinct(flags).ok_or_else(|| error("unknown flag"))?,
                },
                [_, "P", flags @ ..] => ColumnClass::Public {
                    distinct: distinct(flags).ok_or_else(|| error("unknown flag"))?,
                },
                [_, "rate"] => ColumnClass::Rate { inputs: None },
                [_, "rate", num, den] => ColumnClass::Rate {
                    inputs: Some((num.to_string(), den.to_string())),
                },
                _ => {
                    return Err(error(
                        "a cell is `COLUMN S HOUSEHOLDS`, `COLUMN P` or `COLUMN rate`",
                    ));
                }
            };
            cells.columns.push((words[0].to_string(), class));
        } else if let Some(rest) = comment.strip_prefix("sum: ") {
            cells
                .sums
                .push(relation(rest, " = ").ok_or_else(|| error("a sum is `A = B + C`"))?);
        } else if let Some(rest) = comment.strip_prefix("bound: ") {
            cells
                .bounds
                .push(relation(rest, " <= ").ok_or_else(|| error("a bound is `A <= B + C`"))?);
        } else if comment.starts_with("list: ") {
            cells.list = true;
        }
    }
    Ok(cells)
}

fn distinct(flags: &[&str]) -> Option<bool> {
    match flags {
        [] => Some(false),
        ["distinct"] => Some(true),
        _ => None,
    }
}

fn relation(text: &str, sign: &str) -> Option<RowRelation> {
    let (total, parts) = text.split_once(sign)?;
    let parts: Vec<String> = parts.split(" + ").map(|p| p.trim().to_string()).collect();
    (!parts.iter().any(String::is_empty)).then(|| RowRelation {
        total: total.trim().to_string(),
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::FIGURES;

    /// Every figure's declarations parse and name columns the figure gives (each internal
    /// column named as households is one of its output columns, checked by the report tests).
    #[test]
    fn every_figure_declares_its_columns() {
        for figure in &FIGURES {
            let cells = of(figure).unwrap();
            assert!(
                cells.list || !cells.columns.is_empty(),
                "{} declares no cells",
                figure.name
            );
            for relation in cells.sums.iter().chain(&cells.bounds) {
                for c in std::iter::once(&relation.total).chain(&relation.parts) {
                    assert!(cells.class(c).is_some(), "{}: {c} undeclared", figure.name);
                }
            }
        }
        let visits = of(crate::catalogue::figure("visits").unwrap()).unwrap();
        assert_eq!(
            visits.class("visits_office"),
            Some(&ColumnClass::Sensitive {
                households: Households::Column("visits_office__h".into()),
                distinct: false
            })
        );
        assert_eq!(visits.sums[0].parts.len(), 4);
    }
}
