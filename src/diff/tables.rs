//! Takes the revisions between two exports and gives them as result tables: the figure
//! values that changed, the rows per table and region, the rows one by one, and what was
//! compared.

use std::path::Path;

use super::{Ask, Revisions};
use crate::output::{ResultTable, count_column, text_column};

impl Revisions {
    /// The figure values that changed:
    /// `figure,region_code,region_name,key,column,old,new,change`.
    pub fn figures_table(&self) -> ResultTable {
        let f = &self.figures;
        ResultTable::of_columns(vec![
            ("figure", text_column(f.iter().map(|c| Some(c.figure)))),
            (
                "region_code",
                text_column(f.iter().map(|c| Some(&c.region_code))),
            ),
            (
                "region_name",
                text_column(f.iter().map(|c| Some(&c.region_name))),
            ),
            ("key", text_column(f.iter().map(|c| Some(&c.key)))),
            ("column", text_column(f.iter().map(|c| Some(&c.column)))),
            ("old", text_column(f.iter().map(|c| c.old.as_ref()))),
            ("new", text_column(f.iter().map(|c| c.new.as_ref()))),
            ("change", text_column(f.iter().map(|c| Some(&c.change)))),
        ])
    }

    /// Rows added, removed and changed per table and region.
    pub fn counts_table(&self) -> ResultTable {
        let c = &self.counts;
        ResultTable::of_columns(vec![
            ("table", text_column(c.iter().map(|r| Some(r.table)))),
            (
                "region_code",
                text_column(c.iter().map(|r| Some(&r.region_code))),
            ),
            (
                "region_name",
                text_column(c.iter().map(|r| Some(&r.region_name))),
            ),
            ("added", count_column(c.iter().map(|r| r.added))),
            ("removed", count_column(c.iter().map(|r| r.removed))),
            ("changed", count_column(c.iter().map(|r| r.changed))),
        ])
    }

    /// The rows behind the changes, one by one.
    pub fn rows_table(&self) -> ResultTable {
        let r = &self.rows;
        ResultTable::of_columns(vec![
            ("table", text_column(r.iter().map(|c| Some(c.table)))),
            ("key", text_column(r.iter().map(|c| Some(&c.key)))),
            ("change", text_column(r.iter().map(|c| Some(&c.change)))),
            (
                "old_region_code",
                text_column(r.iter().map(|c| c.old_region.as_ref())),
            ),
            (
                "new_region_code",
                text_column(r.iter().map(|c| c.new_region.as_ref())),
            ),
            ("columns", text_column(r.iter().map(|c| Some(&c.columns)))),
        ])
    }

    /// What was compared and how much changed: the revisions workbook's first sheet.
    pub fn about_table(&self, ask: &Ask, old: &Path, new: &Path) -> ResultTable {
        let p = &ask.params;
        let day = p
            .geography_day()
            .map(crate::period::format_date)
            .unwrap_or_default();
        let rows_changed: u64 = self
            .tables
            .iter()
            .map(|c| c.added + c.removed + c.changed)
            .sum();
        let pairs: [(&str, String); 10] = [
            ("old", old.display().to_string()),
            ("new", new.display().to_string()),
            ("period", p.period.to_string()),
            ("level", p.level.as_str().to_string()),
            ("region", p.scope.clone().unwrap_or_default()),
            (
                "figure",
                ask.figure.map_or("every figure", |q| q.name).to_string(),
            ),
            (
                "geography",
                format!("end: the new export's regions and successors in force on {day}"),
            ),
            ("figure values changed", self.figures.len().to_string()),
            ("rows added, removed or changed", rows_changed.to_string()),
            (
                "rows counted",
                "rows whose old or new version counts for the period, matched by key; a row that moved counts under both regions; household ids are never shown".to_string(),
            ),
        ];
        ResultTable::of_columns(vec![
            ("item", text_column(pairs.iter().map(|(k, _)| Some(k)))),
            ("value", text_column(pairs.iter().map(|(_, v)| Some(v)))),
        ])
    }
}
