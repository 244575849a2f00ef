//! Successors and the official code file, against the public reference data.

use std::collections::BTreeSet;
use std::fs;

use hubstat::geography::{Region, Successors};
use hubstat::load::official;
use hubstat::period::parse_date;

use crate::support::root;

fn reference(name: &str) -> String {
    fs::read_to_string(root().join("fixtures/reference").join(name)).unwrap()
}

fn built_in() -> Vec<Region> {
    official::built_in_rows()
        .rows
        .iter()
        .map(Region::from_row)
        .collect()
}

/// The 439 `recoded` rows of the reference's changes from 2022-03-09 to 2024-08-01, no more
/// and no fewer, each on the day its new code was created.
#[test]
fn the_built_in_history_gives_exactly_the_recoded_rows() {
    let (first, last) = (parse_date("2022-03-09").unwrap(), parse_date("2024-08-01").unwrap());
    let derived: BTreeSet<(String, String, i32)> = Successors::derived(&built_in())
        .into_iter()
        .filter(|s| (first..=last).contains(&s.changed_on))
        .map(|s| (s.old, s.new, s.changed_on))
        .collect();
    let changes = reference("emd_changes_20220309_to_20240801.csv");
    let mut reader = csv::Reader::from_reader(changes.as_bytes());
    let recoded: BTreeSet<(String, String, i32)> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[0] == "recoded")
        .map(|r| (r[1].to_string(), r[3].to_string(), parse_date(&r[5]).unwrap()))
        .collect();
    assert_eq!(recoded.len(), 439);
    assert_eq!(derived, recoded);
}

/// 42 → 51 and 45 → 52 whole; 군위군 47720 → 27720 while 경북 goes on.
#[test]
fn recoded_sgg_and_sido_follow_their_emd() {
    let successors = Successors::new(&built_in(), &[]);
    let pairs = |list: &[hubstat::geography::Successor]| -> BTreeSet<(String, String)> {
        list.iter()
            .filter(|s| s.changed_on >= parse_date("2022-03-09").unwrap())
            .map(|s| (s.old.clone(), s.new.clone()))
            .collect()
    };
    let sido = pairs(&successors.sido);
    assert_eq!(
        sido,
        BTreeSet::from([("42".into(), "51".into()), ("45".into(), "52".into())])
    );
    let sgg = pairs(&successors.sgg);
    assert!(sgg.contains(&("47720".into(), "27720".into())));
    assert!(sgg.contains(&("42110".into(), "51110".into())));
    assert!(sgg.contains(&("45111".into(), "52111".into())));
    assert_eq!(sgg.len(), 18 + 15 + 1, "강원 18 and 전북 15 시군구, 군위군");
}

/// Both published forms of the 2024-08-01 file give the same regions, which are the
/// reference history's 읍·면·동 without the 5 unrecovered 면.
#[test]
fn both_official_forms_give_the_reference_regions() {
    let text = fs::read(root().join("fixtures/reference/KIKcd_H.20240801")).unwrap();
    let from_text = official::regions_rows(
        &official::read_text(&text, std::path::Path::new("KIKcd_H.20240801")).unwrap(),
    );
    let from_xlsx = official::built_in_rows();
    assert_eq!(from_text.rows, from_xlsx.rows);
    assert_eq!(from_text.left_out, from_xlsx.left_out);
    assert_eq!(from_text.left_out.values().sum::<u64>() + 8146, 9054);
    let history = reference("emd_code_history.csv");
    let mut reader = csv::Reader::from_reader(history.as_bytes());
    let unrecovered = [
        "4278034000", "4278035000", "4278036000", "4278037000", "4282034000", "5178034000",
        "5178035000", "5178036000", "5178037000", "5182034000",
    ];
    let expected: BTreeSet<(String, String, String, String)> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| ["읍", "면", "동"].contains(&&r[6]))
        .filter(|r| !unrecovered.contains(&&r[0]))
        .map(|r| (r[0].to_string(), r[5].to_string(), r[7].to_string(), r[8].to_string()))
        .collect();
    let got: BTreeSet<(String, String, String, String)> = from_text
        .rows
        .iter()
        .map(|r| {
            let compact = |d: &str| d.replace('-', "");
            // The one code abolished before it was created is kept as never valid.
            let to = if r[0] == "4311073000" { "19900331".into() } else { compact(&r[8]) };
            (r[0].clone(), r[1].clone(), compact(&r[7]), to)
        })
        .collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
    assert_eq!(got.len(), 8146);
}
