//! Takes the regions' code history (and an export's `successors`) and gives each code's
//! successor, and for a geography (as recorded, or the regions in force on a day) the
//! 읍면동, 시군구 and 시도 every recorded 읍면동 code counts under.

mod successors;
mod units;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::Date32Type;

use units::Levels;
pub use units::Unit;

/// How figures key their regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Geography {
    /// The codes as recorded (v1).
    Recorded,
    /// The regions in force on the period's last day.
    End,
    /// The regions in force on a day.
    Day(i32),
}

impl Geography {
    /// The day regions are taken on for a period ending on `end`; `None` as recorded.
    pub fn day(self, end: i32) -> Option<i32> {
        match self {
            Geography::Recorded => None,
            Geography::End => Some(end),
            Geography::Day(d) => Some(d),
        }
    }
}

impl std::str::FromStr for Geography {
    type Err = String;

    fn from_str(s: &str) -> Result<Geography, String> {
        match s {
            "recorded" => Ok(Geography::Recorded),
            "end" => Ok(Geography::End),
            day => crate::period::parse_cli_date(day)
                .map(|d| Geography::Day(crate::period::days(d)))
                .map_err(|_| format!("`{s}`: write recorded, end or a day (YYYY-MM-DD)")),
        }
    }
}

/// One row of `regions`, as the history reads it.
#[derive(Debug, Clone)]
pub struct Region {
    pub emd_code: String,
    pub emd_name: String,
    pub sgg_code: String,
    pub sgg_name: String,
    pub sido_code: String,
    pub sido_name: String,
    pub valid_from: Option<i32>,
    pub valid_to: Option<i32>,
}

impl Region {
    /// A row in the contract's column order, as text (the official file's rows).
    pub fn from_row(row: &[String; 10]) -> Region {
        let date = |s: &str| crate::period::parse_date(s);
        Region {
            emd_code: row[0].clone(),
            emd_name: row[1].clone(),
            sgg_code: row[3].clone(),
            sgg_name: row[4].clone(),
            sido_code: row[5].clone(),
            sido_name: row[6].clone(),
            valid_from: date(&row[7]),
            valid_to: date(&row[8]),
        }
    }

    pub fn valid_on(&self, day: i32) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day < t)
    }
}

/// A code re-issued under a new one: from `changed_on`, `old` is `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Successor {
    pub old: String,
    pub new: String,
    pub changed_on: i32,
}

/// The successors of every level: 읍면동 (derived, with the export's rows over them), then
/// the 시군구 and 시도 ones that follow from those.
#[derive(Debug, Clone, Default)]
pub struct Successors {
    pub emd: Vec<Successor>,
    pub sgg: Vec<Successor>,
    pub sido: Vec<Successor>,
    /// Old codes whose successor the export's `successors` table gave.
    pub given: Vec<String>,
}

impl Successors {
    /// Derives the successors from `regions` and lays `given` (the export's table) over them:
    /// a given row adds one, or replaces the derived one of the same old code.
    pub fn new(regions: &[Region], given: &[Successor]) -> Successors {
        let mut emd: BTreeMap<String, Successor> = successors::derive(regions)
            .into_iter()
            .map(|s| (s.old.clone(), s))
            .collect();
        for s in given {
            emd.insert(s.old.clone(), s.clone());
        }
        let emd: Vec<Successor> = emd.into_values().collect();
        Successors {
            sgg: successors::of_level(regions, &emd, 5),
            sido: successors::of_level(regions, &emd, 2),
            emd,
            given: given.iter().map(|s| s.old.clone()).collect(),
        }
    }

    /// The derived 읍면동 successors alone.
    pub fn derived(regions: &[Region]) -> Vec<Successor> {
        successors::derive(regions)
    }
}

/// The regions' history and its successors, with their chains: what every geography is
/// worked out from.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub regions: Vec<Region>,
    pub successors: Successors,
    levels: Levels,
}

impl History {
    pub fn new(regions: Vec<Region>, given: &[Successor]) -> History {
        let successors = Successors::new(&regions, given);
        let levels = Levels::new(&regions, &successors);
        History {
            regions,
            successors,
            levels,
        }
    }

    /// This history with the 읍면동 rows of `other` it lacks, each its own unit: an older
    /// export keyed by this one's regions and successors.
    pub fn with_rows_of(&self, other: &[Region]) -> History {
        let known: HashSet<&str> = self.regions.iter().map(|r| r.emd_code.as_str()).collect();
        let lacking: Vec<Region> = other
            .iter()
            .filter(|r| !known.contains(r.emd_code.as_str()))
            .cloned()
            .collect();
        if lacking.is_empty() {
            return self.clone();
        }
        let given: Vec<Successor> = self
            .successors
            .emd
            .iter()
            .filter(|s| self.successors.given.contains(&s.old))
            .cloned()
            .collect();
        let mut regions = self.regions.clone();
        regions.extend(lacking);
        History::new(regions, &given)
    }

    /// Where every recorded 읍면동 code counts on `day` (`None`: as recorded).
    pub fn units(&self, day: Option<i32>) -> Vec<Unit> {
        self.levels.units(&self.regions, day)
    }

    /// Every 시군구 and 시도 code with its code on `day`.
    pub fn codes(&self, day: Option<i32>) -> Vec<(String, String)> {
        self.levels.codes(day)
    }

    /// A 시도, 시군구 or 읍면동 code followed to its code on `day`.
    pub fn code_on(&self, code: &str, day: i32) -> String {
        self.levels.of_code(code).on(code, day)
    }

    /// Whether `scope` is a region of the geography of `day` (some recorded 읍면동 counts
    /// under it); when it is not, the codes of its level under which the 읍면동 recorded under
    /// `recorded` count that day: where a split 시군구 went, or what a 시도 not yet made came
    /// from.
    pub fn scope_on(&self, scope: &str, recorded: &str, day: i32) -> Result<(), BTreeSet<String>> {
        let units = self.units(Some(day));
        let level = |u: &Unit| u.code_of_level(scope.len()).to_string();
        if units.iter().any(|u| level(u) == scope) {
            return Ok(());
        }
        Err(units
            .iter()
            .filter(|u| u.emd_code.starts_with(recorded))
            .map(level)
            .collect())
    }

    /// Whether some 읍면동 under `code` is valid on a day of `from..=to`.
    pub fn in_force(&self, code: &str, from: i32, to: i32) -> bool {
        self.regions.iter().any(|r| {
            r.emd_code.starts_with(code)
                && r.valid_from.is_none_or(|f| f <= to)
                && r.valid_to.is_none_or(|t| from < t)
        })
    }

    /// `geo_units` of the figures' views: every recorded 읍면동 code with the 읍면동, 시군구
    /// and 시도 it counts under on `day`.
    pub fn units_table(&self, day: Option<i32>) -> RecordBatch {
        let units = self.units(day);
        let column = |f: fn(&Unit) -> &str| -> ArrayRef {
            Arc::new(units.iter().map(|u| Some(f(u))).collect::<StringArray>())
        };
        RecordBatch::try_from_iter([
            ("emd_code", column(|u| &u.emd_code)),
            ("unit", column(|u| &u.unit)),
            ("sgg_code", column(|u| &u.sgg_code)),
            ("sido_code", column(|u| &u.sido_code)),
        ])
        .expect("columns of one length")
    }

    /// `geo_codes` of the figures' views: every 시군구 and 시도 code with its code on `day`.
    pub fn codes_table(&self, day: Option<i32>) -> RecordBatch {
        let codes = self.codes(day);
        let column = |f: fn(&(String, String)) -> &str| -> ArrayRef {
            Arc::new(codes.iter().map(|c| Some(f(c))).collect::<StringArray>())
        };
        RecordBatch::try_from_iter([("code", column(|c| &c.0)), ("geo_code", column(|c| &c.1))])
            .expect("columns of one length")
    }

    /// Every successor in effect, of every level, and where it comes from: `derived` from the
    /// history or given by the export's `successors`.
    pub fn successors_table(&self) -> RecordBatch {
        let s = &self.successors;
        let given: HashSet<&str> = s.given.iter().map(String::as_str).collect();
        let mut levels = Vec::new();
        let mut sources = Vec::new();
        let mut all = Vec::new();
        for (level, list) in [("emd", &s.emd), ("sgg", &s.sgg), ("sido", &s.sido)] {
            for successor in list {
                levels.push(level);
                let is_given = level == "emd" && given.contains(successor.old.as_str());
                sources.push(if is_given { "successors" } else { "derived" });
                all.push(successor.clone());
            }
        }
        let mut columns = vec![("level", Arc::new(StringArray::from(levels)) as ArrayRef)];
        columns.extend(successor_columns(&all));
        columns.push(("source", Arc::new(StringArray::from(sources))));
        RecordBatch::try_from_iter(columns).expect("columns of one length")
    }

    /// The codes the geography of `day` counts elsewhere: (recorded, counted as), sorted.
    pub fn rebased(&self, day: Option<i32>) -> Vec<(String, String)> {
        let mut moved: Vec<(String, String)> = self
            .units(day)
            .into_iter()
            .filter(|u| u.unit != u.emd_code)
            .map(|u| (u.emd_code, u.unit))
            .collect();
        moved.sort();
        moved
    }
}

/// Successors in the `successors` table's columns: old_code, new_code, changed_on.
pub fn successors_batch(list: &[Successor]) -> RecordBatch {
    RecordBatch::try_from_iter(successor_columns(list)).expect("columns of one length")
}

fn successor_columns(list: &[Successor]) -> Vec<(&'static str, ArrayRef)> {
    vec![
        (
            "old_code",
            Arc::new(
                list.iter()
                    .map(|s| Some(s.old.as_str()))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "new_code",
            Arc::new(
                list.iter()
                    .map(|s| Some(s.new.as_str()))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "changed_on",
            Arc::new(
                list.iter()
                    .map(|s| Some(s.changed_on))
                    .collect::<Date32Array>(),
            ),
        ),
    ]
}

/// The old codes of successor rows that lead back to themselves, each with the chain.
pub fn cycles(successors: &[Successor]) -> Vec<(String, Vec<String>)> {
    let next: HashMap<&str, &str> = successors
        .iter()
        .map(|s| (s.old.as_str(), s.new.as_str()))
        .collect();
    let mut found = Vec::new();
    for s in successors {
        let mut chain = vec![s.old.clone()];
        let mut at = s.new.as_str();
        while chain.len() <= successors.len() {
            chain.push(at.to_string());
            if at == s.old {
                found.push((s.old.clone(), chain));
                break;
            }
            match next.get(at) {
                Some(n) => at = n,
                None => break,
            }
        }
    }
    found
}

/// The regions of a checked `regions` table.
pub fn regions_of(batch: &RecordBatch) -> Vec<Region> {
    let text = |name: &str| {
        batch
            .column_by_name(name)
            .map(|c| c.as_string::<i32>().clone())
    };
    let date = |name: &str| {
        batch
            .column_by_name(name)
            .map(|c| c.as_primitive::<Date32Type>().clone())
    };
    let (Some(code), Some(emd), Some(sgg_code), Some(sgg), Some(sido_code), Some(sido)) = (
        text("emd_code"),
        text("emd_name"),
        text("sgg_code"),
        text("sgg_name"),
        text("sido_code"),
        text("sido_name"),
    ) else {
        return Vec::new();
    };
    let (from, to) = (date("valid_from"), date("valid_to"));
    let at = |d: &Option<datafusion::arrow::array::Date32Array>, i: usize| {
        d.as_ref().and_then(|d| d.is_valid(i).then(|| d.value(i)))
    };
    (0..batch.num_rows())
        .map(|i| Region {
            emd_code: code.value(i).to_string(),
            emd_name: emd.value(i).to_string(),
            sgg_code: sgg_code.value(i).to_string(),
            sgg_name: sgg.value(i).to_string(),
            sido_code: sido_code.value(i).to_string(),
            sido_name: sido.value(i).to_string(),
            valid_from: at(&from, i),
            valid_to: at(&to, i),
        })
        .collect()
}

/// The rows of a checked `successors` table.
pub fn successors_of(batch: &RecordBatch) -> Vec<Successor> {
    let text = |name: &str| {
        batch
            .column_by_name(name)
            .map(|c| c.as_string::<i32>().clone())
    };
    let (Some(old), Some(new), Some(on)) = (
        text("old_code"),
        text("new_code"),
        batch
            .column_by_name("changed_on")
            .map(|c| c.as_primitive::<Date32Type>().clone()),
    ) else {
        return Vec::new();
    };
    (0..batch.num_rows())
        .map(|i| Successor {
            old: old.value(i).to_string(),
            new: new.value(i).to_string(),
            changed_on: on.value(i),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_is_named_with_its_chain() {
        let s = |old: &str, new: &str| Successor {
            old: old.into(),
            new: new.into(),
            changed_on: 0,
        };
        let found = cycles(&[s("A", "B"), s("B", "A"), s("C", "D")]);
        assert_eq!(
            found,
            vec![
                ("A".to_string(), vec!["A".into(), "B".into(), "A".into()]),
                ("B".to_string(), vec!["B".into(), "A".into(), "B".into()]),
            ]
        );
    }
}
