//! Takes the regions, their successors and a geography day and gives, for every recorded
//! 읍면동 code, the 읍면동, 시군구 and 시도 it counts under that day.

use std::collections::HashMap;

use super::{Region, Successor, Successors};

/// Where a recorded 읍면동 code counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub emd_code: String,
    /// The 읍면동 it counts as: its code of the day, or itself.
    pub unit: String,
    pub sgg_code: String,
    pub sido_code: String,
}

impl Unit {
    /// Its code at the level of codes of `digits` digits: 시도 (2), 시군구 (5), else 읍면동.
    pub fn code_of_level(&self, digits: usize) -> &str {
        match digits {
            2 => &self.sido_code,
            5 => &self.sgg_code,
            _ => &self.unit,
        }
    }
}

/// The codes of one level, each with its successor, its predecessors and the first day it
/// was in use: built once, followed for any day.
#[derive(Debug, Clone, Default)]
pub struct Chains {
    next: HashMap<String, Successor>,
    previous: HashMap<String, Vec<String>>,
    /// `None`: in use since always.
    first_day: HashMap<String, Option<i32>>,
}

impl Chains {
    fn new(successors: &[Successor], regions: &[Region], code: fn(&Region) -> &str) -> Chains {
        let mut previous: HashMap<String, Vec<String>> = HashMap::new();
        for s in successors {
            previous
                .entry(s.new.clone())
                .or_default()
                .push(s.old.clone());
        }
        let mut first_day: HashMap<String, Option<i32>> = HashMap::new();
        for r in regions {
            first_day
                .entry(code(r).to_string())
                .and_modify(|f| *f = f.zip(r.valid_from).map(|(a, b)| a.min(b)))
                .or_insert(r.valid_from);
        }
        Chains {
            next: successors
                .iter()
                .map(|s| (s.old.clone(), s.clone()))
                .collect(),
            previous,
            first_day,
        }
    }

    /// The codes of the level, sorted.
    fn codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self.first_day.keys().map(String::as_str).collect();
        codes.sort_unstable();
        codes
    }

    /// `code` followed through its successors changed by `day`; a code first used after
    /// `day` goes back to its one predecessor, as long as there is exactly one. The steps are
    /// bounded, so that successors given in a loop cannot hang it.
    pub fn on(&self, code: &str, day: i32) -> String {
        let mut at = code.to_string();
        let mut steps = 0;
        while let Some(s) = self.next.get(&at) {
            if s.changed_on > day || steps > self.next.len() {
                break;
            }
            at.clone_from(&s.new);
            steps += 1;
        }
        while self
            .first_day
            .get(&at)
            .copied()
            .flatten()
            .is_some_and(|first| first > day)
            && steps <= self.next.len()
        {
            match self.previous.get(&at).map(Vec::as_slice) {
                Some([one]) => at.clone_from(one),
                _ => break,
            }
            steps += 1;
        }
        at
    }
}

/// The chains of every level.
#[derive(Debug, Clone, Default)]
pub struct Levels {
    pub emd: Chains,
    pub sgg: Chains,
    pub sido: Chains,
}

impl Levels {
    pub fn new(regions: &[Region], successors: &Successors) -> Levels {
        Levels {
            emd: Chains::new(&successors.emd, regions, |r| &r.emd_code),
            sgg: Chains::new(&successors.sgg, regions, |r| &r.sgg_code),
            sido: Chains::new(&successors.sido, regions, |r| &r.sido_code),
        }
    }

    /// The chains of the level of a 시도 (2), 시군구 (5) or 읍면동 (10) code.
    pub fn of_code(&self, code: &str) -> &Chains {
        match code.len() {
            2 => &self.sido,
            5 => &self.sgg,
            _ => &self.emd,
        }
    }

    /// Where every code of `regions` counts on `day`; `None` keeps them as recorded.
    ///
    /// A code goes through its successors to the code in force on the day (or back to its
    /// one predecessor). A code that is then in force counts in its own 시군구 and 시도; one
    /// that is not (abolished without a successor) keeps its own row at 읍면동 level and
    /// counts in the successors of its 시군구 and 시도, where they have one.
    pub fn units(&self, regions: &[Region], day: Option<i32>) -> Vec<Unit> {
        let by_code: HashMap<&str, &Region> =
            regions.iter().map(|r| (r.emd_code.as_str(), r)).collect();
        regions
            .iter()
            .map(|r| {
                let Some(day) = day else {
                    return Unit {
                        emd_code: r.emd_code.clone(),
                        unit: r.emd_code.clone(),
                        sgg_code: r.sgg_code.clone(),
                        sido_code: r.sido_code.clone(),
                    };
                };
                let unit = self.emd.on(&r.emd_code, day);
                let region = by_code.get(unit.as_str()).copied().unwrap_or(r);
                let (sgg_code, sido_code) = if region.valid_on(day) {
                    (region.sgg_code.clone(), region.sido_code.clone())
                } else {
                    // A 시군구 that moved to another 시도 takes that 시도 along.
                    let sgg_code = self.sgg.on(&region.sgg_code, day);
                    let sido = sgg_code.get(..2).unwrap_or(&region.sido_code);
                    let sido_code = self.sido.on(sido, day);
                    (sgg_code, sido_code)
                };
                Unit {
                    emd_code: r.emd_code.clone(),
                    unit,
                    sgg_code,
                    sido_code,
                }
            })
            .collect()
    }

    /// Every 시군구 and 시도 code with its code on `day` (itself as recorded): the region codes
    /// of targets follow them.
    pub fn codes(&self, day: Option<i32>) -> Vec<(String, String)> {
        [&self.sgg, &self.sido]
            .into_iter()
            .flat_map(|chains| {
                chains.codes().into_iter().map(move |c| {
                    let geo = day.map_or_else(|| c.to_string(), |d| chains.on(c, d));
                    (c.to_string(), geo)
                })
            })
            .collect()
    }
}
