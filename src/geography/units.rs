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

/// Codes of one level, each with its successor and its predecessors, and the first day it
/// was in use.
struct Chains<'a> {
    next: HashMap<&'a str, &'a Successor>,
    previous: HashMap<&'a str, Vec<&'a Successor>>,
    first_day: HashMap<String, Option<i32>>,
}

impl<'a> Chains<'a> {
    fn new(successors: &'a [Successor], first_day: HashMap<String, Option<i32>>) -> Chains<'a> {
        let mut previous: HashMap<&str, Vec<&Successor>> = HashMap::new();
        for s in successors {
            previous.entry(s.new.as_str()).or_default().push(s);
        }
        Chains {
            next: successors.iter().map(|s| (s.old.as_str(), s)).collect(),
            previous,
            first_day,
        }
    }

    /// `code` followed through its successors changed by `day`; a code first used after
    /// `day` goes back to its one predecessor, as long as there is exactly one.
    fn on(&self, code: &str, day: i32) -> String {
        let mut at = code.to_string();
        let mut steps = 0;
        while let Some(s) = self.next.get(at.as_str()) {
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
        {
            match self.previous.get(at.as_str()).map(Vec::as_slice) {
                Some([one]) if steps <= self.next.len() => {
                    at.clone_from(&one.old);
                    steps += 1;
                }
                _ => break,
            }
        }
        at
    }
}

/// The first day each code of a level was in use (`None`: since always).
fn first_days(regions: &[Region], code: impl Fn(&Region) -> &str) -> HashMap<String, Option<i32>> {
    let mut first: HashMap<String, Option<i32>> = HashMap::new();
    for r in regions {
        first
            .entry(code(r).to_string())
            .and_modify(|f| {
                *f = match (*f, r.valid_from) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    _ => None,
                }
            })
            .or_insert(r.valid_from);
    }
    first
}

/// Where every code of `regions` counts on `day`; `None` keeps them as recorded.
///
/// A code goes through its successors to the code in force on the day (or back to its one
/// predecessor). A code that is then in force counts in its own 시군구 and 시도; one that is
/// not (abolished without a successor) keeps its own row at 읍면동 level and counts in the
/// successors of its 시군구 and 시도, where they have one.
pub fn units(regions: &[Region], successors: &Successors, day: Option<i32>) -> Vec<Unit> {
    let Some(day) = day else {
        return regions
            .iter()
            .map(|r| Unit {
                emd_code: r.emd_code.clone(),
                unit: r.emd_code.clone(),
                sgg_code: r.sgg_code.clone(),
                sido_code: r.sido_code.clone(),
            })
            .collect();
    };
    let emd = Chains::new(&successors.emd, first_days(regions, |r| &r.emd_code));
    let sgg = Chains::new(&successors.sgg, first_days(regions, |r| &r.sgg_code));
    let sido = Chains::new(&successors.sido, first_days(regions, |r| &r.sido_code));
    let by_code: HashMap<&str, &Region> =
        regions.iter().map(|r| (r.emd_code.as_str(), r)).collect();
    regions
        .iter()
        .map(|r| {
            let unit = emd.on(&r.emd_code, day);
            let region = by_code.get(unit.as_str()).copied().unwrap_or(r);
            let (sgg_code, sido_code) = if region.valid_on(day) {
                (region.sgg_code.clone(), region.sido_code.clone())
            } else {
                let sgg_code = sgg.on(&region.sgg_code, day);
                let sido_code = match sgg_code.get(..2) {
                    Some(p) if p != region.sido_code => sido.on(p, day),
                    _ => sido.on(&region.sido_code, day),
                };
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

/// The code of one level of a region row.
type CodeOf = fn(&Region) -> &str;

/// Every 시군구 and 시도 code of `regions` with its code on `day` (itself as recorded): the
/// region codes of targets and scopes follow them.
pub fn codes(
    regions: &[Region],
    successors: &Successors,
    day: Option<i32>,
) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = Vec::new();
    let levels: [(&[Successor], CodeOf); 2] = [
        (&successors.sgg, |r| &r.sgg_code),
        (&successors.sido, |r| &r.sido_code),
    ];
    for (list, code) in levels {
        let chains = Chains::new(list, first_days(regions, code));
        let mut seen: Vec<&str> = regions.iter().map(code).collect();
        seen.sort_unstable();
        seen.dedup();
        all.extend(seen.into_iter().map(|c| {
            let geo = day.map_or_else(|| c.to_string(), |d| chains.on(c, d));
            (c.to_string(), geo)
        }));
    }
    all
}

/// A 시도, 시군구 or 읍면동 code (by its length) followed to its code on `day`.
pub fn code_on(regions: &[Region], successors: &Successors, code: &str, day: i32) -> String {
    let (list, first): (&[Successor], HashMap<String, Option<i32>>) = match code.len() {
        2 => (&successors.sido, first_days(regions, |r| &r.sido_code)),
        5 => (&successors.sgg, first_days(regions, |r| &r.sgg_code)),
        _ => (&successors.emd, first_days(regions, |r| &r.emd_code)),
    };
    Chains::new(list, first).on(code, day)
}
