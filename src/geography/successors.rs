//! Takes the regions' code history and gives each re-issued 읍면동 code its successor, by the
//! rule of figures.md (Geography over time), and the 시군구 and 시도 successors that follow.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Region, Successor};

/// The successors the history itself shows. An 읍면동 code abolished on day X is succeeded by
/// the code created on X with the same 읍면동 name and the same 시군구 name; failing that, by
/// the one code created on X with the same 읍면동 name. Either is looked for only in the old
/// 시도 and in a 시도 that took the old 시군구 over (강원도 → 강원특별자치도): one where every
/// 읍면동 of the old 시군구 abolished on X has a code of its name created on X. A 시군구 name
/// alone establishes nothing: 동구 and 중앙동 are in many 시도. The matches of an old 시군구's
/// codes abolished on X hold only when every one of them finds one: merged and split 읍면동
/// have none.
pub fn derive(regions: &[Region]) -> Vec<Successor> {
    let mut created: HashMap<i32, Vec<&Region>> = HashMap::new();
    let mut abolished: BTreeMap<(i32, &str), Vec<&Region>> = BTreeMap::new();
    for r in regions {
        if let Some(from) = r.valid_from {
            created.entry(from).or_default().push(r);
        }
        if let Some(to) = r.valid_to
            && r.valid_from.is_none_or(|from| from < to)
        {
            abolished.entry((to, &r.sgg_code)).or_default().push(r);
        }
    }
    let mut successors = Vec::new();
    for ((day, _), old) in abolished {
        let Some(new) = created.get(&day) else {
            continue;
        };
        let receiving = receiving_sido(&old, new);
        let matches: Option<Vec<Successor>> = old
            .iter()
            .map(|o| {
                successor_of(o, new, &receiving).map(|n| Successor {
                    old: o.emd_code.clone(),
                    new: n.emd_code.clone(),
                    changed_on: day,
                })
            })
            .collect();
        successors.extend(matches.unwrap_or_default());
    }
    successors.sort_by(|a, b| a.old.cmp(&b.old));
    successors
}

/// The 시도 where the 읍면동 of one old 시군구 abolished on a day may go on: their own, and
/// each other one in which every one of them has a code of its name created that day.
fn receiving_sido<'a>(old: &[&'a Region], created: &[&'a Region]) -> BTreeSet<&'a str> {
    let mut names_in: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for r in created {
        names_in
            .entry(r.sido_code.as_str())
            .or_default()
            .insert(r.emd_name.as_str());
    }
    let mut receiving: BTreeSet<&str> = old.iter().map(|o| o.sido_code.as_str()).collect();
    receiving.extend(
        names_in
            .into_iter()
            .filter(|(_, names)| old.iter().all(|o| names.contains(o.emd_name.as_str())))
            .map(|(sido, _)| sido),
    );
    receiving
}

fn successor_of<'a>(
    old: &Region,
    created: &[&'a Region],
    receiving: &BTreeSet<&str>,
) -> Option<&'a Region> {
    let candidates: Vec<&'a Region> = created
        .iter()
        .copied()
        .filter(|r| r.emd_name == old.emd_name && r.emd_code != old.emd_code)
        .filter(|r| receiving.contains(r.sido_code.as_str()))
        .collect();
    let by_sgg: Vec<&'a Region> = candidates
        .iter()
        .copied()
        .filter(|r| r.sgg_name == old.sgg_name)
        .collect();
    match (by_sgg.as_slice(), candidates.as_slice()) {
        ([one], _) | ([], [one]) => Some(one),
        _ => None,
    }
}

/// The successors of the 시군구 (`digits` 5) or 시도 (2) codes: a code whose 읍면동 in force the
/// day before a change all go on, that day, in one other code (through their successors, or
/// by staying in force) has that code as its successor. Codes abolished that day without a
/// successor do not count either way.
pub fn of_level(regions: &[Region], emd: &[Successor], digits: usize) -> Vec<Successor> {
    let prefix = |code: &str| code.get(..digits).unwrap_or(code).to_string();
    let by_old: HashMap<&str, &Successor> = emd.iter().map(|s| (s.old.as_str(), s)).collect();
    let changes: BTreeSet<(i32, String)> = emd
        .iter()
        .map(|s| (s.changed_on, prefix(&s.old)))
        .filter(|(_, code)| code.len() == digits)
        .collect();
    let mut members: HashMap<String, Vec<&Region>> = HashMap::new();
    for r in regions {
        members.entry(prefix(&r.emd_code)).or_default().push(r);
    }
    let mut successors = Vec::new();
    for (day, code) in changes {
        let mut goes_to: BTreeSet<String> = BTreeSet::new();
        for r in members.get(&code).into_iter().flatten() {
            if !r.valid_on(day - 1) {
                continue;
            }
            match by_old.get(r.emd_code.as_str()) {
                Some(s) if s.changed_on == day => {
                    goes_to.insert(prefix(&s.new));
                }
                _ if r.valid_on(day) => {
                    goes_to.insert(code.clone());
                }
                _ => {}
            }
        }
        if let [one] = goes_to.into_iter().collect::<Vec<_>>().as_slice()
            && *one != code
        {
            successors.push(Successor {
                old: code.clone(),
                new: one.clone(),
                changed_on: day,
            });
        }
    }
    successors
}
