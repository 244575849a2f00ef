//! Takes two checked stores, an older and a newer export of the same programme, with a
//! period, level and scope, and gives the revisions between them: every figure value that
//! changed, and the table rows behind the changes, both keyed by the newer export's
//! geography on the period's last day.

mod figures;
mod rows;
mod tables;

pub use figures::FigureChange;
pub use rows::{RegionCount, RowChange, TableCount};

use crate::catalogue::{Params, QueryFile};
use crate::diagnostics::Error;
use crate::query::Engine;

/// What is compared.
#[derive(Debug, Clone)]
pub struct Ask {
    /// Period, level, scope and the geography (a day) both sides are keyed by.
    pub params: Params,
    /// One figure, or every figure of the catalogue.
    pub figure: Option<&'static QueryFile>,
    /// List the rows behind the changes one by one, not only count them.
    pub rows: bool,
}

/// What changed between two exports.
#[derive(Debug, Clone, Default)]
pub struct Revisions {
    /// Every figure value that changed, figures in catalogue order, then by region and key.
    pub figures: Vec<FigureChange>,
    /// Rows added, removed and changed per table (contract order), each row once.
    pub tables: Vec<TableCount>,
    /// The same per table and region: a row that moved counts under both regions.
    pub counts: Vec<RegionCount>,
    /// The rows themselves, when asked for.
    pub rows: Vec<RowChange>,
    /// Figures one export cannot compute (an optional table it lacks), with why.
    pub notes: Vec<String>,
}

impl Revisions {
    pub fn changed(&self) -> bool {
        !self.figures.is_empty() || !self.tables.is_empty()
    }
}

/// The revisions between the exports behind `old` and `new`. The old engine must be keyed
/// by the new export's history (`Engine::with_history`), so that a recode between the two
/// exports is not every row removed and added again.
pub async fn revisions(old: &Engine<'_>, new: &Engine<'_>, ask: &Ask) -> Result<Revisions, Error> {
    let (figures, notes) = figures::changes(old, new, ask).await?;
    let rows = rows::changes(old, new, ask).await?;
    Ok(Revisions {
        figures,
        tables: rows.tables,
        counts: rows.regions,
        rows: rows.rows,
        notes,
    })
}
