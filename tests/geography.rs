//! Successors and the official code file, against the public reference data.

use std::collections::BTreeSet;
use std::fs;

use hubstat::geography::{Region, Successors};
use hubstat::load::official;
use hubstat::period::parse_date;

use crate::support::{code, hubstat, root, stderr, stdout};

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
    let (first, last) = (
        parse_date("2022-03-09").unwrap(),
        parse_date("2024-08-01").unwrap(),
    );
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
        .map(|r| {
            (
                r[1].to_string(),
                r[3].to_string(),
                parse_date(&r[5]).unwrap(),
            )
        })
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

/// The 2026-07-01 changes in small: 인천 동구 (28140) joins the new 제물포구 (28190), and
/// 광주 (29) and 전남 (46) merge into 12, which has a 동구 of its own. One 인천 동구 동 is
/// named 중앙동, as one of 12's 동구 is: a shared 시군구 and 읍면동 name establishes no
/// takeover of 인천 동구 by 12, so each 인천 동구 동 goes on in 제물포구 and 광주's in 12.
#[test]
fn a_takeover_is_established_by_the_old_sgg_as_a_whole() {
    let day = parse_date("2026-07-01");
    let region = |code: &str, name: &str, sgg: &str, sido: &str, from, to| Region {
        emd_code: code.into(),
        emd_name: name.into(),
        sgg_code: code[..5].into(),
        sgg_name: sgg.into(),
        sido_code: code[..2].into(),
        sido_name: sido.into(),
        valid_from: from,
        valid_to: to,
    };
    let regions = [
        region("2814051000", "만석동", "동구", "인천광역시", None, day),
        region("2814052000", "중앙동", "동구", "인천광역시", None, day),
        region("2814053000", "송림동", "동구", "인천광역시", None, day),
        region("2819051000", "만석동", "제물포구", "인천광역시", day, None),
        region("2819052000", "중앙동", "제물포구", "인천광역시", day, None),
        region("2819053000", "송림동", "제물포구", "인천광역시", day, None),
        region("2911051000", "충장동", "동구", "광주광역시", None, day),
        region("2911052000", "중앙동", "동구", "광주광역시", None, day),
        region(
            "1211051000",
            "충장동",
            "동구",
            "전남광주통합특별시",
            day,
            None,
        ),
        region(
            "1211052000",
            "중앙동",
            "동구",
            "전남광주통합특별시",
            day,
            None,
        ),
        region("4611025000", "중앙동", "목포시", "전라남도", None, day),
        region(
            "1211525000",
            "중앙동",
            "목포시",
            "전남광주통합특별시",
            day,
            None,
        ),
    ];
    let derived: BTreeSet<(String, String)> = Successors::derived(&regions)
        .into_iter()
        .map(|s| (s.old, s.new))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("2814051000", "2819051000"),
        ("2814052000", "2819052000"),
        ("2814053000", "2819053000"),
        ("2911051000", "1211051000"),
        ("2911052000", "1211052000"),
        ("4611025000", "1211525000"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(derived, expected);
    let successors = Successors::new(&regions, &[]);
    let sgg: BTreeSet<(String, String)> = successors
        .sgg
        .iter()
        .map(|s| (s.old.clone(), s.new.clone()))
        .collect();
    assert!(sgg.contains(&("28140".into(), "28190".into())), "{sgg:?}");
}

/// An export whose regions change as 2026-07-01's did: 인천 중구 (28110) split into 영종구
/// (28185) and 제물포구 (28190), 광주 (29) and 전남 (46) merged into 12.
fn export_of_2026(dir: &std::path::Path) {
    let files = [
        (
            "regions.csv",
            "emd_code,emd_name,emd_type,sgg_code,sgg_name,sido_code,sido_name,valid_from,valid_to,population\n\
             2811051000,운서동,동,28110,중구,28,인천광역시,,2026-07-01,\n\
             2811052000,신포동,동,28110,중구,28,인천광역시,,2026-07-01,\n\
             2818551000,운서동,동,28185,영종구,28,인천광역시,2026-07-01,,\n\
             2819052000,신포동,동,28190,제물포구,28,인천광역시,2026-07-01,,\n\
             2911051000,충장동,동,29110,동구,29,광주광역시,,2026-07-01,\n\
             4611025000,용해동,동,46110,목포시,46,전라남도,,2026-07-01,\n\
             1211051000,충장동,동,12110,동구,12,전남광주통합특별시,2026-07-01,,\n\
             1211525000,용해동,동,12115,목포시,12,전남광주통합특별시,2026-07-01,,\n",
        ),
        (
            "teams.csv",
            "team_id,emd_code,team_type,established_on,closed_on\n\
             T1,2811051000,기본형,2019-01-01,\nT2,1211051000,기본형,2019-01-01,\n",
        ),
        (
            "staff.csv",
            "staff_id,team_id,sector,role,grade,assigned_on,left_on\nP1,T1,공공,팀장,6급,2019-01-01,\n",
        ),
        (
            "visits.csv",
            "visit_id,emd_code,team_id,household_id,visited_on,channel,target_group\n\
             V1,2811051000,T1,H1,2026-05-04,방문,노인\n",
        ),
        (
            "service_links.csv",
            "link_id,emd_code,household_id,linked_on,sector,domain\n",
        ),
        (
            "cases.csv",
            "case_id,emd_code,household_id,opened_on,closed_on,closure_reason,referred_on\n",
        ),
        ("case_meetings.csv", "meeting_id,case_id,held_on,kind\n"),
        (
            "discoveries.csv",
            "discovery_id,emd_code,household_id,found_on,source,outcome\n",
        ),
    ];
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
}

/// A `--region` that is no region of the chosen geography gives an empty table and says
/// why, with what to ask instead: a 시군구 split before the period's end, a 시도 made after it.
#[test]
fn a_scope_that_is_nothing_in_the_geography_says_what_to_ask_instead() {
    let dir = tempfile::tempdir().unwrap();
    export_of_2026(dir.path());
    let data = dir.path().to_str().unwrap();
    let ask = |region: &str, period: &str| {
        let output = hubstat(&[
            "query",
            "visits",
            "--data",
            data,
            "--period",
            period,
            "--region",
            region,
            "--level",
            "sgg",
            "--geography",
            "end",
            "--today",
            "2026-12-01",
        ]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        (stdout(&output), stderr(&output))
    };
    let (rows, said) = ask("28110", "2026Q3");
    assert_eq!(rows.lines().count(), 1, "{rows}");
    assert!(
        said.contains("note: --region 28110 is no region of the regions in force on 2026-09-30 (--geography), so the figures have no rows: what is recorded under it counts under 28185, 28190 then: ask for those, or give --geography recorded"),
        "{said}"
    );
    let (rows, said) = ask("12", "2026Q2");
    assert_eq!(rows.lines().count(), 1, "{rows}");
    assert!(
        said.contains("counts under 29, 46 then: ask for those"),
        "{said}"
    );
    // A scope that is a region of the geography says nothing of the kind.
    let (rows, said) = ask("28110", "2026Q2");
    assert_eq!(rows.lines().count(), 2, "{rows}");
    assert!(!said.contains("no region"), "{said}");
}

/// A report says which way it re-based codes: on a day before a change, a code made after
/// it counts under its predecessor; on a day after one, an earlier code under its successor.
#[test]
fn a_report_says_which_way_codes_were_rebased() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    export_of_2026(&data);
    let notes = |period: &str| -> Vec<String> {
        let out = dir.path().join(period);
        let output = hubstat(&[
            "report",
            "quarterly",
            "--data",
            data.to_str().unwrap(),
            "--period",
            period,
            "--out",
            out.to_str().unwrap(),
            "--today",
            "2026-12-01",
        ]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let xlsx = out.join(format!("quarterly-national-{period}.xlsx"));
        let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
        use calamine::Reader;
        let names = workbook.sheet_names();
        let mut notes = Vec::new();
        for name in names {
            let range = workbook.worksheet_range(&name).unwrap();
            for cell in range.used_cells() {
                let text = cell.2.to_string();
                if text.contains("코드")
                    && (text.starts_with('※') || text.contains("(--geography)"))
                {
                    notes.push(text);
                }
            }
        }
        notes
    };
    let before = notes("2026Q2");
    assert!(
        before.iter().any(|n| n.contains("그날 뒤에 생긴 코드로 기록된 읍면동 1개를 그날의 선행 코드로 집계했습니다 (예: 1211051000 → 2911051000)")),
        "{before:?}"
    );
    assert!(
        !before.iter().any(|n| n.contains("후속 코드로")),
        "{before:?}"
    );
    let after = notes("2026Q3");
    assert!(
        after.iter().any(|n| n.contains("이전 코드로 기록된 읍면동 1개를 그 후속 코드로 합쳤습니다 (예: 2811051000 → 2818551000)")),
        "{after:?}"
    );
    assert!(
        !after.iter().any(|n| n.contains("선행 코드로")),
        "{after:?}"
    );
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
    // Any line ending: each line keeps its number.
    for ending in [&b"\r\n"[..], b"\r"] {
        let other: Vec<u8> = text.split(|b| *b == b'\n').collect::<Vec<_>>().join(ending);
        let rows = official::read_text(&other, std::path::Path::new("KIKcd_H.20240801")).unwrap();
        let converted = official::regions_rows(&rows);
        assert_eq!(converted.rows, from_text.rows);
        assert_eq!(converted.lines, from_text.lines);
    }
    assert_eq!(from_text.left_out, from_xlsx.left_out);
    assert_eq!(from_text.left_out.values().sum::<u64>() + 8146, 9054);
    let history = reference("emd_code_history.csv");
    let mut reader = csv::Reader::from_reader(history.as_bytes());
    let unrecovered = [
        "4278034000",
        "4278035000",
        "4278036000",
        "4278037000",
        "4282034000",
        "5178034000",
        "5178035000",
        "5178036000",
        "5178037000",
        "5182034000",
    ];
    let expected: BTreeSet<(String, String, String, String)> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| ["읍", "면", "동"].contains(&&r[6]))
        .filter(|r| !unrecovered.contains(&&r[0]))
        .map(|r| {
            (
                r[0].to_string(),
                r[5].to_string(),
                r[7].to_string(),
                r[8].to_string(),
            )
        })
        .collect();
    let got: BTreeSet<(String, String, String, String)> = from_text
        .rows
        .iter()
        .map(|r| {
            let compact = |d: &str| d.replace('-', "");
            // The one code abolished before it was created is kept as never valid.
            let to = if r[0] == "4311073000" {
                "19900331".into()
            } else {
                compact(&r[8])
            };
            (r[0].clone(), r[1].clone(), compact(&r[7]), to)
        })
        .collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(got.len(), 8146);
}

const RECODE: &str = "tests/figures/recode/data";

fn report(out: &std::path::Path, extra: &[&str]) -> std::path::PathBuf {
    let mut args = vec![
        "report",
        "quarterly",
        "--data",
        RECODE,
        "--period",
        "2023Q3",
        "--out",
        out.to_str().unwrap(),
        "--today",
        crate::support::TODAY,
        "--generated-at",
        "2023-10-05T09:00:00Z",
    ];
    args.extend(extra);
    let output = hubstat(&args);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    out.join("quarterly-national-2023Q3.xlsx")
}

fn sheet(xlsx: &std::path::Path, name: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(xlsx).unwrap();
    let range = workbook.worksheet_range(name).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn first_column(rows: &[Vec<String>]) -> Vec<String> {
    rows.iter().filter_map(|r| r.first().cloned()).collect()
}

/// A quarterly report keys everything by the regions in force on E: one 강원 row, every
/// comparison filled, the re-based codes listed in 자료 and noted on the sheets.
#[test]
fn a_report_is_keyed_by_the_regions_of_its_last_day() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = report(dir.path(), &[]);
    let coverage = first_column(&sheet(&xlsx, "설치현황"));
    assert!(coverage.contains(&"51".to_string()), "{coverage:?}");
    assert!(!coverage.contains(&"42".to_string()), "{coverage:?}");
    assert!(
        coverage
            .iter()
            .any(|c| c.starts_with("※ 2023-09-30 기준 행정구역")),
        "{coverage:?}"
    );
    // 설치율 on 2023-09-30, 2023-06-30 and 2022-09-30, each on 2023-09-30's regions.
    let summary = sheet(&xlsx, "요약");
    let rate = summary.iter().find(|r| r[0] == "설치율").unwrap();
    assert_eq!(&rate[1..4], ["0.6", "0.4", "0.4"], "{rate:?}");
    let provenance = sheet(&xlsx, "자료");
    let text: Vec<String> = provenance.iter().flatten().cloned().collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with("2023-09-30 기준 행정구역")),
        "{text:?}"
    );
    for (old, new) in [
        ("4211025000", "5111025000"),
        ("4211031000", "5111031000"),
        ("4213051000", "5113051000"),
    ] {
        assert!(
            provenance
                .iter()
                .any(|r| r.len() > 1 && r[0] == old && r[1] == new),
            "{old} → {new} in {provenance:?}"
        );
    }
}

/// `--geography recorded` gives the v1 report: 42 and 51 side by side, no note.
#[test]
fn a_recorded_report_keeps_the_codes_as_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = report(dir.path(), &["--geography", "recorded"]);
    let coverage = first_column(&sheet(&xlsx, "설치현황"));
    assert!(coverage.contains(&"42".to_string()), "{coverage:?}");
    assert!(coverage.contains(&"51".to_string()), "{coverage:?}");
    assert!(
        !coverage.iter().any(|c| c.starts_with("※ 2023")),
        "{coverage:?}"
    );
    let summary = sheet(&xlsx, "요약");
    let rate = summary.iter().find(|r| r[0] == "설치율").unwrap();
    assert_eq!(&rate[1..4], ["0.4", "0.2", "0.4"], "{rate:?}");
}

/// A `--region` not in force: followed to its successor under a geography, run and warned
/// about as recorded.
#[test]
fn a_region_not_in_force_follows_its_successor() {
    let base = [
        "query",
        "visits",
        "--data",
        RECODE,
        "--period",
        "2023Q3",
        "--level",
        "sido",
        "--region",
        "42",
        "--today",
        crate::support::TODAY,
    ];
    let recorded = hubstat(&base);
    assert_eq!(code(&recorded), 0, "{}", stderr(&recorded));
    assert!(
        stderr(&recorded)
            .contains("warning: --region 42 is not in force in 2023Q3: its successor is 51"),
        "{}",
        stderr(&recorded)
    );
    let mut args = base.to_vec();
    args.extend(["--geography", "end"]);
    let rebased = hubstat(&args);
    assert_eq!(code(&rebased), 0, "{}", stderr(&rebased));
    assert!(
        stderr(&rebased).contains("note: --region 42 is 51 in the regions in force on 2023-09-30"),
        "{}",
        stderr(&rebased)
    );
    assert!(
        stdout(&rebased).contains("51,강원특별자치도,2,"),
        "{}",
        stdout(&rebased)
    );
}

/// `--regions` takes the official file in either form, in place of the folder's regions, and
/// says so; the rows that are not 읍면동 are counted as left out, not rejected.
#[test]
fn the_official_file_stands_in_for_the_regions() {
    for file in [
        "fixtures/reference/KIKcd_H.20240801",
        "assets/regions/KIKcd_H.20240801.xlsx",
    ] {
        let output = hubstat(&[
            "check",
            "--data",
            "tests/figures/data",
            "--no-store",
            "--regions",
            file,
            "--format",
            "json",
            "--today",
            crate::support::TODAY,
        ]);
        assert!(
            stderr(&output).contains(&format!("note: regions from {file} (--regions)")),
            "{}",
            stderr(&output)
        );
        let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let regions = &json["tables"][0];
        assert_eq!(regions["table"], "regions");
        assert_eq!(regions["read"], 9054);
        assert_eq!(regions["accepted"], 8146);
        assert_eq!(regions["rejected"], 0);
        assert_eq!(regions["left_out"], 908);
    }
}

/// The text form saved again as UTF-8 (padded, or with trailing blanks trimmed) reads as
/// published: its columns are CP949 widths whatever the file's encoding. A download cut
/// inside a Hangul character rejects its last line, named, instead of leaving it out.
#[test]
fn the_official_text_reads_in_any_encoding_and_names_a_cut_line() {
    let published = fs::read(root().join("fixtures/reference/KIKcd_H.20240801")).unwrap();
    let (text, _) = encoding_rs::EUC_KR.decode_without_bom_handling(&published);
    let trimmed: String = text
        .lines()
        .map(|l| format!("{}\r\n", l.trim_end()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let check_json = |bytes: &[u8]| {
        let file = dir.path().join("KIKcd_H.20240801");
        fs::write(&file, bytes).unwrap();
        let file = file.to_str().unwrap().to_string();
        let output = hubstat(&[
            "check",
            "--data",
            "tests/figures/data",
            "--no-store",
            "--regions",
            &file,
            "--format",
            "json",
            "--max-problems",
            "0",
            "--today",
            crate::support::TODAY,
        ]);
        let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        (code(&output), json)
    };
    for bytes in [text.as_bytes(), trimmed.as_bytes()] {
        let (_, json) = check_json(bytes);
        let regions = &json["tables"][0];
        assert_eq!(
            (
                &regions["accepted"],
                &regions["rejected"],
                &regions["left_out"]
            ),
            (&8146.into(), &0.into(), &908.into())
        );
    }
    // Line 7 is 사직동's, 1111053000: cut after the first byte of 사.
    let line_7 = published
        .split(|b| *b == b'\n')
        .take(6)
        .map(|l| l.len() + 1)
        .sum::<usize>();
    let (name, _, _) = encoding_rs::EUC_KR.encode("사직동");
    let at = line_7 + position_of(&published[line_7..], &name) + 1;
    let cut = &published[..at];
    let (exit, json) = check_json(cut);
    assert_eq!(exit, 1);
    let regions = &json["tables"][0];
    assert_eq!(
        (&regions["read"], &regions["rejected"]),
        (&6.into(), &1.into())
    );
    let problem = &json["problems"][0];
    assert_eq!(
        (&problem["line"], &problem["rule"]),
        (&7.into(), &"line length".into())
    );
}

fn position_of(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

/// `regions import` writes the contract's form with its successors, which a folder then uses
/// as its regions.
#[test]
fn regions_import_writes_regions_and_successors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let output = hubstat(&[
        "regions",
        "import",
        "assets/regions/KIKcd_H.20240801.xlsx",
        "--out",
        out,
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stdout(&output).contains("8146 읍면동"),
        "{}",
        stdout(&output)
    );
    let regions = fs::read_to_string(dir.path().join("regions.csv")).unwrap();
    assert_eq!(regions.lines().count(), 8147);
    let successors = fs::read_to_string(dir.path().join("successors.csv")).unwrap();
    assert!(
        successors.contains("\n4211025000,5111025000,2023-06-11\n"),
        "{successors}"
    );
    let bad = dir.path().join("bad");
    let mut text = fs::read(root().join("fixtures/reference/KIKcd_H.20240801")).unwrap();
    // Line 4 is 청운동, 1111051000.
    let line_4 = text
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(2)
        .unwrap()
        .0
        + 1;
    text[line_4..line_4 + 10].copy_from_slice(b"11110X1000");
    fs::write(&bad, &text).unwrap();
    let output = hubstat(&["regions", "import", bad.to_str().unwrap(), "--out", out]);
    assert_eq!(code(&output), 1, "{}", stdout(&output));
    assert!(
        stdout(&output).contains(":4:emd_code: code"),
        "{}",
        stdout(&output)
    );
}

/// `hubstat check` of a folder: its exit code and output.
fn check(dir: &std::path::Path) -> (i32, String) {
    let output = hubstat(&[
        "check",
        "--data",
        dir.to_str().unwrap(),
        "--no-store",
        "--today",
        crate::support::TODAY,
    ]);
    (code(&output), stdout(&output))
}

/// The export's successors add to the derived ones; rows that lead back to themselves and
/// codes not in the regions are problems of `check`. A team whose host is abolished with no
/// successor while it is active is warned about.
#[test]
fn check_names_successor_cycles_unknown_codes_and_abolished_hosts() {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(root().join(RECODE)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    fs::write(
        dir.path().join("successors.csv"),
        "old_code,new_code,changed_on\n\
         5111025000,4211025000,2023-07-01\n\
         9999999999,5111025000,2023-06-11\n\
         4213052000,5113051000,2022-01-01\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("teams.csv"),
        "team_id,emd_code,team_type,established_on,closed_on\n\
         T1,4211025000,기본형,2020-01-01,\n\
         T2,5111031000,기본형,2023-07-01,\n\
         T3,1111051000,기본형,2020-01-01,\n\
         T4,4213052000,기본형,2020-01-01,\n",
    )
    .unwrap();
    let (exit, text) = check(dir.path());
    assert_eq!(exit, 1, "{text}");
    assert!(
        text.contains("successors.csv:2:old_code: cycle (successors lead back to it: 5111025000 → 4211025000 → 5111025000): \"5111025000\""),
        "{text}"
    );
    assert!(
        text.contains(
            "successors.csv:3:old_code: foreign key (not in regions.emd_code): \"9999999999\""
        ),
        "{text}"
    );
    // 학성동's successor given by the export: T4's host is not abolished without one.
    assert!(!text.contains("host abolished"), "{text}");
    let without = dir.path().join("successors.csv");
    fs::remove_file(&without).unwrap();
    let (_, text) = check(dir.path());
    assert!(
        text.contains("teams.csv:5:emd_code: warning: host abolished (abolished on 2022-01-01 without a successor while the team is active): \"4213052000\""),
        "{text}"
    );
    assert!(
        !text.contains("teams.csv:2:emd_code: warning: host abolished"),
        "{text}"
    );
}
