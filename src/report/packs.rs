//! Takes a report template and a level and gives one report per region of that level within
//! a parent scope: every figure is computed once for the parent and split per region, so the
//! packs share a single load and a single run of each query.

use std::collections::HashMap;

use super::memo::{self, FigureMemo};
use super::{RebasedCode, Rows, Value, rebased_codes};
use crate::catalogue::{Params, QueryFile};
use crate::diagnostics::Error;
use crate::geography::Geography;
use crate::period::{Period, days};
use crate::query::Engine;
use crate::region::RegionLevel;
use crate::store::Store;

/// Figures computed once for the parent scope, handed out per region.
pub struct SharedFigures {
    /// The scope every figure is computed for: `None` for the nation.
    parent: Option<String>,
    geography: Geography,
    computed: FigureMemo,
    /// Each 읍면동 code's 시군구 in the geography: an 읍면동 row belongs to a pack when its
    /// code or its 시군구 starts with the pack's code, as the scope of a single report keeps it.
    sgg_of: HashMap<String, String>,
    /// The codes the geography re-bases, for every pack's notes and 자료.
    rebased: Vec<RebasedCode>,
    /// Whether the figures' internal columns are computed (for the disclosure stage).
    internal: bool,
}

impl SharedFigures {
    pub fn new(
        store: &Store,
        engine: &Engine<'_>,
        parent: Option<String>,
        geography: Geography,
        period: Period,
        internal: bool,
    ) -> Result<SharedFigures, Error> {
        let day = geography.day(days(period.end()));
        let sgg_of = engine
            .history()?
            .units(day)
            .into_iter()
            .map(|u| (u.unit, u.sgg_code))
            .collect();
        Ok(SharedFigures {
            parent,
            geography,
            computed: FigureMemo::default(),
            sgg_of,
            rebased: rebased_codes(store, engine, day)?,
            internal,
        })
    }

    pub fn parent(&self) -> Option<&str> {
        self.parent.as_deref()
    }

    pub fn rebased(&self) -> &[RebasedCode] {
        &self.rebased
    }

    /// A figure for the parent scope, computed on first use.
    pub async fn for_parent(
        &self,
        engine: &Engine<'_>,
        query: &'static QueryFile,
        level: RegionLevel,
        period: Period,
    ) -> Result<Rows, Error> {
        let key = memo::key(query, level, period);
        if let Some(rows) = self.computed.get(&key) {
            return Ok(rows);
        }
        let params = Params {
            period,
            level,
            scope: self.parent.clone(),
            geography: self.geography,
        };
        let table = if self.internal {
            engine.figure_with_internal(query, &params).await?
        } else {
            engine.figure(query, &params).await?
        };
        let rows = Rows::from_result(&table)?;
        self.computed.insert(key, rows.clone());
        Ok(rows)
    }

    /// The rows of a figure for one region inside the parent: those the region's own scope
    /// would keep.
    pub async fn for_region(
        &self,
        engine: &Engine<'_>,
        query: &'static QueryFile,
        level: RegionLevel,
        period: Period,
        region: &str,
    ) -> Result<Rows, Error> {
        let all = self.for_parent(engine, query, level, period).await?;
        let Some(code) = all.index("region_code") else {
            return Ok(all);
        };
        let rows = all
            .rows
            .iter()
            .filter(|row| match &row[code] {
                Value::Text(c) => self.belongs(c, region),
                _ => false,
            })
            .cloned()
            .collect();
        Ok(Rows {
            columns: all.columns.clone(),
            rows,
        })
    }

    fn belongs(&self, code: &str, region: &str) -> bool {
        code.starts_with(region)
            || (code.len() == 10
                && self
                    .sgg_of
                    .get(code)
                    .is_some_and(|sgg| sgg.starts_with(region)))
    }
}
