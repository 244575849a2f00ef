//! Takes both exports' tables and gives the rows behind the changes: rows whose old or new
//! version counts for the period, matched by the table's key, that were added, removed or
//! changed, counted per region of the level (a row that moved counts under both regions)
//! and, when asked, listed with the columns that changed. Household ids are never shown.

use std::collections::BTreeMap;

use futures::StreamExt;

use super::Ask;
use crate::contract::TABLES;
use crate::diagnostics::Error;
use crate::output::ResultTable;
use crate::query::{Engine, register_batch};
use crate::region::RegionLevel;

/// Rows of one table added, removed and changed in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCount {
    pub table: &'static str,
    pub region_code: String,
    pub region_name: String,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

/// Rows of one table added, removed and changed, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

/// One row added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowChange {
    pub table: &'static str,
    /// The table's key, its columns joined by `|`.
    pub key: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    /// The region of the level the old and the new version belong to (none when that
    /// version is missing or out of scope).
    pub old_region: Option<String>,
    pub new_region: Option<String>,
    /// A changed row's columns: `column: old -> new`; `household_id` named without its values.
    pub columns: String,
}

/// How a table's rows are placed in the period and in a region.
struct Placing {
    table: &'static str,
    /// A table each row hangs from, joined as `p` on this column.
    parent: Option<(&'static str, &'static str)>,
    /// The 읍면동 code a row belongs to; `None` for targets, whose region is their own.
    emd: Option<&'static str>,
    /// When a row counts for the period, over `t` (the row) and `p` (its parent); `{S}`,
    /// `{E}` are the period's first and last days, `{Y}` its year.
    counts: &'static str,
}

/// Every table of the contract. Dated things count when their life touches the period (a
/// case also when it closed or was referred in it), events when dated in it, targets of
/// the period's year, team_areas while their team counts, successors always (they key
/// every other row).
const PLACINGS: [Placing; 11] = [
    Placing {
        table: "regions",
        parent: None,
        emd: Some("t.emd_code"),
        counts: "(t.valid_from IS NULL OR t.valid_from <= {E}) AND (t.valid_to IS NULL OR {S} < t.valid_to)",
    },
    Placing {
        table: "successors",
        parent: None,
        emd: Some("t.old_code"),
        counts: "TRUE",
    },
    Placing {
        table: "teams",
        parent: None,
        emd: Some("t.emd_code"),
        counts: "t.established_on <= {E} AND (t.closed_on IS NULL OR {S} < t.closed_on)",
    },
    Placing {
        table: "team_areas",
        parent: Some(("teams", "team_id")),
        emd: Some("t.emd_code"),
        counts: "p.established_on <= {E} AND (p.closed_on IS NULL OR {S} < p.closed_on)",
    },
    Placing {
        table: "staff",
        parent: Some(("teams", "team_id")),
        emd: Some("p.emd_code"),
        counts: "t.assigned_on <= {E} AND (t.left_on IS NULL OR {S} < t.left_on)",
    },
    Placing {
        table: "visits",
        parent: None,
        emd: Some("t.emd_code"),
        counts: "t.visited_on BETWEEN {S} AND {E}",
    },
    Placing {
        table: "service_links",
        parent: None,
        emd: Some("t.emd_code"),
        counts: "t.linked_on BETWEEN {S} AND {E}",
    },
    Placing {
        table: "cases",
        parent: None,
        emd: Some("t.emd_code"),
        counts: "(t.opened_on <= {E} AND (t.closed_on IS NULL OR {S} <= t.closed_on)) OR t.referred_on BETWEEN {S} AND {E}",
    },
    Placing {
        table: "case_meetings",
        parent: Some(("cases", "case_id")),
        emd: Some("p.emd_code"),
        counts: "t.held_on BETWEEN {S} AND {E}",
    },
    Placing {
        table: "discoveries",
        parent: None,
        emd: Some("t.emd_code"),
        counts: "t.found_on BETWEEN {S} AND {E}",
    },
    Placing {
        table: "targets",
        parent: None,
        emd: None,
        counts: "t.year = {Y}",
    },
];

/// The column whose values are never shown.
const HOUSEHOLD: &str = "household_id";

/// What differs in the tables.
#[derive(Debug, Clone, Default)]
pub struct RowChanges {
    pub tables: Vec<TableCount>,
    pub regions: Vec<RegionCount>,
    pub rows: Vec<RowChange>,
}

/// Rows of one table by kind (added, removed, changed): in all, and per region.
#[derive(Default)]
struct Tally {
    total: [u64; 3],
    by_region: BTreeMap<String, [u64; 3]>,
}

impl Tally {
    /// A row counts under its old region and, when it moved, its new one too.
    fn add(&mut self, change: &str, old_region: Option<&String>, new_region: Option<&String>) {
        let kind = match change {
            "added" => 0,
            "removed" => 1,
            _ => 2,
        };
        self.total[kind] += 1;
        let moved = new_region.filter(|n| old_region != Some(*n));
        for region in old_region.into_iter().chain(moved) {
            self.by_region.entry(region.clone()).or_default()[kind] += 1;
        }
    }

    /// Adds the table's counts, regions named by `names`, when it has any.
    fn add_to(self, table: &'static str, names: &BTreeMap<String, String>, to: &mut RowChanges) {
        let [added, removed, changed] = self.total;
        if self.total != [0; 3] {
            to.tables.push(TableCount {
                table,
                added,
                removed,
                changed,
            });
        }
        to.regions.extend(
            self.by_region
                .into_iter()
                .map(|(code, [added, removed, changed])| RegionCount {
                    table,
                    region_name: names.get(&code).cloned().unwrap_or_default(),
                    region_code: code,
                    added,
                    removed,
                    changed,
                }),
        );
    }
}

/// Counts per table and region of every table with changes, and the rows when asked for.
pub async fn changes(old: &Engine<'_>, new: &Engine<'_>, ask: &Ask) -> Result<RowChanges, Error> {
    let ctx = new.context();
    old.register_tables(&ctx, "old_").await?;
    new.register_tables(&ctx, "new_").await?;
    let params = &ask.params;
    let mut names = BTreeMap::new();
    for (engine, side) in [(old, "old"), (new, "new")] {
        let regions = engine.level_regions(params).await?;
        for row in regions.text_rows()? {
            names.insert(row[1].clone(), row[2].clone());
        }
        let schema = regions
            .batches
            .first()
            .map_or_else(|| regions.schema.clone(), |b| b.schema());
        let batch = datafusion::arrow::compute::concat_batches(&schema, &regions.batches)
            .map_err(|e| Error::computing("gathering level_regions", e))?;
        register_batch(&ctx, &format!("{side}_level_regions"), batch)?;
    }
    let history = new.history()?;
    register_batch(
        &ctx,
        "geo_codes",
        history.codes_table(params.geography_day()),
    )?;

    let mut changes = RowChanges::default();
    for placing in &PLACINGS {
        // Sorted only when listed; counting needs no order.
        let tail = if ask.rows {
            "SELECT key, change, old_region, new_region, columns FROM d ORDER BY key"
        } else {
            "SELECT key, change, old_region, new_region, '' AS columns FROM d"
        };
        let sql = format!("{}\n{tail}", diff_sql(placing, ask));
        let context = format!("comparing the rows of {}", placing.table);
        let df = ctx
            .sql(&sql)
            .await
            .map_err(|e| Error::sql(context.clone(), e))?;
        let mut stream = df
            .execute_stream()
            .await
            .map_err(|e| Error::sql(context.clone(), e))?;
        let mut tally = Tally::default();
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| Error::sql(context.clone(), e))?;
            for row in ResultTable::of_batch(batch).text_rows()? {
                let [key, change, old_region, new_region, columns] =
                    <[String; 5]>::try_from(row).expect("five columns");
                let old_region = (!old_region.is_empty()).then_some(old_region);
                let new_region = (!new_region.is_empty()).then_some(new_region);
                tally.add(&change, old_region.as_ref(), new_region.as_ref());
                if ask.rows {
                    changes.rows.push(RowChange {
                        table: placing.table,
                        key,
                        change,
                        old_region,
                        new_region,
                        columns,
                    });
                }
            }
        }
        tally.add_to(placing.table, &names, &mut changes);
    }
    Ok(changes)
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The region of a target of the level: its code in the geography when it is a code of
/// the level (`00` at national level) within the scope.
fn target_region(level: RegionLevel, scope: &str) -> String {
    let code = "COALESCE(gc.geo_code, t.region_code)";
    match level {
        RegionLevel::National if scope.is_empty() => {
            "CASE WHEN t.region_code = '00' THEN '00' END".to_string()
        }
        RegionLevel::Sido | RegionLevel::Sgg => {
            let digits = if level == RegionLevel::Sido { 2 } else { 5 };
            format!(
                "CASE WHEN character_length({code}) = {digits} AND {code} <> '00' AND starts_with({code}, {}) THEN {code} END",
                quoted(scope)
            )
        }
        _ => "CAST(NULL AS VARCHAR)".to_string(),
    }
}

/// The query, as a `WITH` clause ending in `d`, of the table's rows that differ: `key`,
/// `change`, `old_region`, `new_region`, `columns`.
fn diff_sql(placing: &Placing, ask: &Ask) -> String {
    let spec = TABLES
        .iter()
        .find(|t| t.name == placing.table)
        .expect("every placing is a table of the contract");
    let period = ask.params.period;
    let date = |d: chrono::NaiveDate| format!("DATE '{}'", d.format("%Y-%m-%d"));
    let counts = placing
        .counts
        .replace("{S}", &date(period.start()))
        .replace("{E}", &date(period.end()))
        .replace("{Y}", &chrono::Datelike::year(&period.end()).to_string());
    let scope = ask.params.scope.clone().unwrap_or_default();
    let columns: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let keys = spec.key;
    let values: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !keys.contains(c))
        .collect();
    let side = |s: &str| {
        let list = columns
            .iter()
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut joins = String::new();
        if let Some((parent, on)) = placing.parent {
            joins.push_str(&format!(" LEFT JOIN {s}_{parent} p ON p.{on} = t.{on}"));
        }
        let region = match placing.emd {
            Some(emd) => {
                joins.push_str(&format!(
                    " LEFT JOIN {s}_level_regions lr ON lr.emd_code = {emd}"
                ));
                "lr.region_code".to_string()
            }
            None => {
                joins.push_str(" LEFT JOIN geo_codes gc ON gc.code = t.region_code");
                target_region(ask.params.level, &scope)
            }
        };
        format!(
            "{s}_rows AS (SELECT {list}, {region} AS _region, ({counts}) IS TRUE AS _counts FROM {s}_{table} t{joins})",
            table = placing.table
        )
    };
    let on = |a: &str, b: &str| {
        keys.iter()
            .map(|k| format!("{a}.{k} = {b}.{k}"))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let key_list = keys.join(", ");
    let key_text = keys
        .iter()
        .map(|k| format!("CAST(COALESCE(o.{k}, n.{k}) AS VARCHAR)"))
        .collect::<Vec<_>>()
        .join(", ");
    let first = keys[0];
    let differs: Vec<String> = values
        .iter()
        .map(|c| format!("(o.{c} IS DISTINCT FROM n.{c})"))
        .collect();
    let details: Vec<String> = values
        .iter()
        .map(|c| {
            let shown = if *c == HOUSEHOLD {
                quoted(c)
            } else {
                format!(
                    "concat({}, COALESCE(CAST(o.{c} AS VARCHAR), 'null'), ' -> ', COALESCE(CAST(n.{c} AS VARCHAR), 'null'))",
                    quoted(&format!("{c}: "))
                )
            };
            format!("CASE WHEN (o.{c} IS DISTINCT FROM n.{c}) THEN {shown} END")
        })
        .collect();
    let any_differs = if differs.is_empty() {
        "FALSE".to_string()
    } else {
        differs.join(" OR ")
    };
    let detail = if details.is_empty() {
        "''".to_string()
    } else {
        format!("concat_ws('; ', {})", details.join(", "))
    };
    format!(
        "WITH {old_rows}, {new_rows},
keys AS (
    SELECT {key_list} FROM old_rows WHERE _counts AND _region IS NOT NULL
    UNION
    SELECT {key_list} FROM new_rows WHERE _counts AND _region IS NOT NULL
),
o AS (SELECT r.* FROM old_rows r JOIN keys k ON {on_ok}),
n AS (SELECT r.* FROM new_rows r JOIN keys k ON {on_nk}),
d AS (
    SELECT concat_ws('|', {key_text}) AS key,
           CASE WHEN o.{first} IS NULL THEN 'added' WHEN n.{first} IS NULL THEN 'removed' ELSE 'changed' END AS change,
           o._region AS old_region, n._region AS new_region,
           CASE WHEN o.{first} IS NOT NULL AND n.{first} IS NOT NULL THEN {detail} ELSE '' END AS columns
    FROM o FULL JOIN n ON {on_on}
    WHERE o.{first} IS NULL OR n.{first} IS NULL OR {any_differs}
)",
        old_rows = side("old"),
        new_rows = side("new"),
        on_ok = on("r", "k"),
        on_nk = on("r", "k"),
        on_on = on("o", "n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_the_contract_is_placed() {
        let placed: Vec<&str> = PLACINGS.iter().map(|p| p.table).collect();
        let tables: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        assert_eq!(placed, tables);
    }
}
