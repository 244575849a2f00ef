//! Takes figures as they are computed and gives them back when asked again: one memo keyed
//! by (figure, level, period), for a report's sheets and for the packs of a run.

use std::collections::HashMap;
use std::sync::Mutex;

use super::Rows;
use crate::catalogue::QueryFile;
use crate::period::Period;
use crate::region::RegionLevel;

/// A figure asked for: by name, level and period.
pub type MemoKey = (&'static str, RegionLevel, String);

/// The figure asked for `query` at `level` over `period`.
pub fn key(query: &QueryFile, level: RegionLevel, period: Period) -> MemoKey {
    (query.name, level, period.to_string())
}

/// Figures already computed.
#[derive(Default)]
pub struct FigureMemo {
    computed: Mutex<HashMap<MemoKey, Rows>>,
}

impl FigureMemo {
    pub fn get(&self, key: &MemoKey) -> Option<Rows> {
        self.computed
            .lock()
            .expect("never poisoned")
            .get(key)
            .cloned()
    }

    pub fn contains(&self, key: &MemoKey) -> bool {
        self.computed
            .lock()
            .expect("never poisoned")
            .contains_key(key)
    }

    pub fn insert(&self, key: MemoKey, rows: Rows) {
        self.computed
            .lock()
            .expect("never poisoned")
            .insert(key, rows);
    }

    pub fn len(&self) -> usize {
        self.computed.lock().expect("never poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
