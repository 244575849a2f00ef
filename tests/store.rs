//! The checked store: the same figures as from the files, only changed files read again,
//! answers from the store alone, crash-safe swaps, a lock, and the kept stores.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{
    TODAY, cache_home, code, command, copy_of_figures_data, hubstat, stderr, stdout,
};

fn manifest(store: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(store.join("manifest.json")).unwrap()).unwrap()
}

/// The Parquet file a table's rows are in, as the manifest says.
fn parquet_of(store: &Path, table: &str) -> String {
    manifest(store)["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == table)
        .map(|t| t["parquet"].as_str().unwrap().to_string())
        .unwrap()
}

/// The store's table folder holds exactly the files its manifest refers to.
fn assert_only_referenced(store: &Path) {
    let m = manifest(store);
    let mut referenced: Vec<String> = vec![
        m["cross"].as_str().unwrap().to_string(),
        m["excluded"].as_str().unwrap().to_string(),
    ];
    for t in m["tables"].as_array().unwrap() {
        for key in ["parquet", "problems", "rejected", "duplicates"] {
            referenced.push(t[key].as_str().unwrap().to_string());
        }
    }
    referenced.sort();
    let mut present: Vec<String> = fs::read_dir(store.join("tables"))
        .unwrap()
        .map(|e| format!("tables/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    present.sort();
    assert_eq!(present, referenced);
}

fn run_ok(args: &[&str]) -> String {
    let output = hubstat(args);
    assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
    stdout(&output)
}

#[test]
fn only_the_files_that_changed_are_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_of_figures_data(&data);
    let store = dir.path().join("store");
    let (data_arg, store_arg) = (data.to_str().unwrap(), store.to_str().unwrap());
    run_ok(&["import", "--data", data_arg, "--store", store_arg]);
    let visits = parquet_of(&store, "visits");
    let targets = parquet_of(&store, "targets");
    let before = run_ok(&["query", "targets", "--store", store_arg, "--period", "2020"]);
    // A new targets file: only targets is parsed again.
    let mut text = fs::read_to_string(data.join("targets.csv")).unwrap();
    text.push_str("2020,28110,visits,50\n");
    fs::write(data.join("targets.csv"), text).unwrap();
    run_ok(&["import", "--data", data_arg, "--store", store_arg]);
    assert_eq!(parquet_of(&store, "visits"), visits);
    assert_ne!(parquet_of(&store, "targets"), targets);
    let after = run_ok(&[
        "query", "targets", "--store", store_arg, "--period", "2020", "--level", "sgg",
    ]);
    assert!(after.contains("28110,중구,visits,50.0,"), "{after}");
    assert_ne!(before, after);
    // The same bytes with a new modification time: hashed, found unchanged, not parsed.
    let bytes = fs::read(data.join("visits.csv")).unwrap();
    fs::write(data.join("visits.csv"), &bytes).unwrap();
    run_ok(&["import", "--data", data_arg, "--store", store_arg]);
    assert_eq!(parquet_of(&store, "visits"), visits);
    // Files of older imports are gone; the manifest refers to every file that is left.
    assert_only_referenced(&store);
}

/// Every figure, from the files straight through, from the default store, and from a named
/// store without its export: the same bytes.
#[test]
fn the_store_gives_the_same_figures_as_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_arg = store.to_str().unwrap();
    run_ok(&[
        "import",
        "--data",
        "tests/figures/data",
        "--store",
        store_arg,
    ]);
    for figure in hubstat::catalogue::FIGURES.iter().map(|f| f.name) {
        for (level, period) in [("national", "2020Q3"), ("sido", "2020-11"), ("emd", "2020")] {
            let base = ["query", figure, "--period", period, "--level", level];
            let straight =
                run_ok(&[&base[..], &["--data", "tests/figures/data", "--no-store"]].concat());
            let kept = run_ok(&[&base[..], &["--data", "tests/figures/data"]].concat());
            let named = run_ok(&[&base[..], &["--store", store_arg]].concat());
            assert_eq!(straight, kept, "{figure} {level} {period}");
            assert_eq!(straight, named, "{figure} {level} {period}");
        }
    }
    let out = dir.path().join("out");
    let report = |extra: &[&str]| {
        let args = [
            &[
                "report",
                "quarterly",
                "--period",
                "2020Q3",
                "--generated-at",
                "2020-10-05T09:00:00Z",
                "--out",
                out.to_str().unwrap(),
            ][..],
            extra,
        ]
        .concat();
        run_ok(&args);
        fs::read(out.join("quarterly-national-2020Q3.xlsx")).unwrap()
    };
    let straight = report(&["--data", "fixtures/sample", "--no-store"]);
    assert_eq!(straight, report(&["--data", "fixtures/sample"]));
    assert_eq!(straight, report(&["--data", "fixtures/sample"]));
}

/// `check` on an unchanged export answers from its store, with the same listing as a check
/// of the files; the cap only cuts what is printed.
#[test]
fn check_answers_from_the_store_as_from_the_files() {
    for data in [
        "fixtures/bad/parent-rejected",
        "fixtures/bad/warnings",
        "fixtures/sample",
    ] {
        let check = |extra: &[&str]| {
            let args = [&["check", "--data", data, "--today", TODAY][..], extra].concat();
            let output = hubstat(&args);
            (code(&output), stdout(&output))
        };
        let straight = check(&["--no-store"]);
        assert_eq!(check(&[]), straight, "{data}: first run into the store");
        assert_eq!(check(&[]), straight, "{data}: answered from the store");
        let capped = check(&["--max-problems", "1", "--no-store"]);
        assert_eq!(check(&["--max-problems", "1"]), capped, "{data}");
    }
    // Warnings of the day are worked out again: a later day has fewer future dates.
    let output = hubstat(&["check", "--data", "fixtures/bad/warnings", "--today", TODAY]);
    let later = hubstat(&[
        "check",
        "--data",
        "fixtures/bad/warnings",
        "--today",
        "2100-01-01",
    ]);
    assert!(stdout(&output).contains("future date"));
    assert!(
        !stdout(&later).contains("future date"),
        "{}",
        stdout(&later)
    );
}

/// A bad row stops the figures that read its table (or a table it hangs from), not others.
#[test]
fn a_bad_table_stops_only_the_figures_that_read_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_of_figures_data(dir.path());
    let mut text = fs::read_to_string(dir.path().join("discoveries.csv")).unwrap();
    text.push_str("D99,2811051000,H1,2020-08-01,빅데이터,모름\n");
    fs::write(dir.path().join("discoveries.csv"), text).unwrap();
    let data = dir.path().to_str().unwrap();
    let query = |figure: &str| hubstat(&["query", figure, "--data", data, "--period", "2020Q3"]);
    assert_eq!(
        code(&query("coverage")),
        0,
        "{}",
        stderr(&query("coverage"))
    );
    assert_eq!(code(&query("visits")), 0);
    let stopped = query("discoveries");
    assert_eq!(code(&stopped), 1, "{}", stderr(&stopped));
    assert!(
        stderr(&stopped).contains("discoveries.csv"),
        "{}",
        stderr(&stopped)
    );
    let skipped = hubstat(&[
        "query",
        "discoveries",
        "--data",
        data,
        "--period",
        "2020Q3",
        "--skip-invalid",
    ]);
    assert_eq!(code(&skipped), 0);
    assert!(
        stderr(&skipped).contains("note: 1 of"),
        "{}",
        stderr(&skipped)
    );
}

/// An import killed at any moment leaves the previous store whole: its manifest is swapped
/// in only when everything it names is written.
#[test]
fn a_killed_import_leaves_the_previous_store_valid() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = dir.path().join("store");
    let (data_arg, store_arg) = (data.to_str().unwrap(), store.to_str().unwrap());
    run_ok(&[
        "synth",
        "--out",
        data_arg,
        "--scale",
        "0.01",
        "--from",
        "2020-01-01",
        "--to",
        "2020-12-31",
    ]);
    run_ok(&["import", "--data", data_arg, "--store", store_arg]);
    let before = run_ok(&[
        "query", "visits", "--store", store_arg, "--period", "2020Q3",
    ]);
    let mut text = fs::read_to_string(data.join("visits.csv")).unwrap();
    text.push_str("V9999999,1111051500,,H1,2020-08-01,방문,노인\n");
    fs::write(data.join("visits.csv"), text).unwrap();
    for wait_ms in [50, 200, 600] {
        let mut child = command()
            .args(["import", "--data", data_arg, "--store", store_arg])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = run_ok(&[
            "query", "visits", "--store", store_arg, "--period", "2020Q3",
        ]);
        let visits = |s: &str| {
            s.lines()
                .nth(1)
                .unwrap()
                .split(',')
                .nth(2)
                .unwrap()
                .parse::<u64>()
                .unwrap()
        };
        assert!(
            now == before || visits(&now) == visits(&before) + 1,
            "after {wait_ms} ms: {now} vs {before}"
        );
    }
    // What a killed import left is removed by the next one.
    run_ok(&["import", "--data", data_arg, "--store", store_arg]);
    assert_only_referenced(&store);
}

/// Two processes on one export wait for each other's import and agree.
#[test]
fn two_processes_on_one_store_agree() {
    let dir = tempfile::tempdir().unwrap();
    copy_of_figures_data(dir.path());
    let data = dir.path().to_str().unwrap();
    let spawn = || {
        command()
            .args([
                "query", "staffing", "--data", data, "--period", "2020Q3", "--level", "sido",
            ])
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert_eq!(code(&a), 0, "{}", stderr(&a));
    assert_eq!(code(&b), 0, "{}", stderr(&b));
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn kept_stores_are_listed_and_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("공공데이터");
    copy_of_figures_data(&data);
    let data_arg = data.to_str().unwrap();
    run_ok(&[
        "query", "coverage", "--data", data_arg, "--period", "2020Q3",
    ]);
    let listed = run_ok(&["store", "list"]);
    let line = listed
        .lines()
        .find(|l| l.contains(data_arg))
        .unwrap_or_else(|| panic!("{listed}"));
    let kept = Path::new(line.split('\t').next().unwrap());
    assert!(
        kept.starts_with(cache_home().join("hubstat/stores")),
        "{line}"
    );
    assert!(kept.join("manifest.json").is_file());
    let cleaned = run_ok(&["store", "clean", "--data", data_arg]);
    assert!(cleaned.contains("removed"), "{cleaned}");
    assert!(!kept.exists());
    assert!(!run_ok(&["store", "list"]).contains(data_arg));
}

/// Tables are opened when a query names them; asking `information_schema` names them all.
#[test]
fn information_schema_lists_every_table_of_the_store() {
    let listed = run_ok(&[
        "sql",
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        "--data",
        "tests/figures/data",
    ]);
    for table in hubstat::contract::TABLES.iter().map(|t| t.name) {
        assert!(listed.lines().any(|l| l == table), "{table} in {listed}");
    }
    let columns = run_ok(&[
        "sql",
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'visits'",
        "--data",
        "tests/figures/data",
    ]);
    assert!(columns.contains("visited_on"), "{columns}");
    assert!(!columns.contains("_line"), "{columns}");
}

/// The files a store's manifest names, with what the store holds beside them.
fn store_files(store: &Path) -> Vec<String> {
    let m = manifest(store);
    let mut files = vec![
        m["cross"].as_str().unwrap().to_string(),
        m["excluded"].as_str().unwrap().to_string(),
    ];
    for t in m["tables"].as_array().unwrap() {
        for key in ["parquet", "problems", "rejected", "duplicates"] {
            files.push(t[key].as_str().unwrap().to_string());
        }
    }
    files
}

/// Every Parquet file of a store replaced by another file of the store, or cut short, is
/// named as damaged (exit 2) when the store is read alone, and made again from the export
/// when the export is given; a manifest cut short is named damaged, not of another version.
#[test]
fn a_damaged_store_file_is_named_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_arg = store.to_str().unwrap();
    let expected = run_ok(&[
        "query",
        "visits",
        "--data",
        "tests/figures/data",
        "--store",
        store_arg,
        "--period",
        "2020Q3",
    ]);
    for i in 0..store_files(&store).len() {
        for way in ["replaced by another store file", "cut short"] {
            // Names change with each import: take this import's.
            let file = store_files(&store)[i].clone();
            let path = store.join(&file);
            let (teams, visits) = (parquet_of(&store, "teams"), parquet_of(&store, "visits"));
            let stand_in = store.join(if file == teams { visits } else { teams });
            let original = fs::read(&path).unwrap();
            let damaged = match way {
                "cut short" => original[..original.len() / 2].to_vec(),
                _ => fs::read(stand_in).unwrap(),
            };
            fs::write(&path, damaged).unwrap();
            let what = format!("{file} {way}");
            let alone = hubstat(&[
                "query", "visits", "--store", store_arg, "--period", "2020Q3",
            ]);
            let err = stderr(&alone);
            assert_eq!(code(&alone), 2, "{what}: {err}");
            assert!(err.contains("the store is damaged"), "{what}: {err}");
            assert!(err.contains(file.as_str()), "{what}: {err}");
            let again = run_ok(&[
                "query",
                "visits",
                "--data",
                "tests/figures/data",
                "--store",
                store_arg,
                "--period",
                "2020Q3",
            ]);
            assert_eq!(again, expected, "{what}");
            assert_only_referenced(&store);
        }
    }
    let text = fs::read_to_string(store.join("manifest.json")).unwrap();
    fs::write(store.join("manifest.json"), &text[..text.len() / 2]).unwrap();
    let alone = hubstat(&[
        "query", "visits", "--store", store_arg, "--period", "2020Q3",
    ]);
    assert_eq!(code(&alone), 2);
    assert!(
        stderr(&alone).contains("the store is damaged (manifest.json"),
        "{}",
        stderr(&alone)
    );
}

/// hubstat run in a mount namespace of its own where `store` is mounted read-only, as a
/// finished store on a shared read-only mount is: nothing it does can write there.
fn on_read_only(store: &Path, args: &[&str]) -> std::process::Output {
    let hubstat = env!("CARGO_BIN_EXE_hubstat");
    let mut unshare = std::process::Command::new("unshare");
    unshare
        .args([
            "-rm",
            "sh",
            "-c",
            "mount --bind -o ro \"$1\" \"$1\" && shift && exec \"$@\"",
            "sh",
        ])
        .arg(store)
        .arg(hubstat)
        .args(args)
        .current_dir(crate::support::root())
        .env("XDG_CACHE_HOME", cache_home());
    unshare.output().expect("unshare runs")
}

/// A store on a read-only mount is read with `--store` alone, with its lock file (locked
/// shared through a file opened for reading) or without one, and with `--data` when nothing
/// changed; an import it would need says that it cannot write.
#[test]
fn a_read_only_store_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_of_figures_data(&data);
    let store = dir.path().join("store");
    let (data_arg, store_arg) = (data.to_str().unwrap(), store.to_str().unwrap());
    let query = [
        "query", "visits", "--store", store_arg, "--period", "2020Q3",
    ];
    let expected = run_ok(&[&query[..], &["--data", data_arg]].concat());
    for lock in ["with its lock file", "without one"] {
        if lock == "without one" {
            fs::remove_file(store.join(".lock")).unwrap();
        }
        let alone = on_read_only(&store, &query);
        assert_eq!(code(&alone), 0, "{lock}: {}", stderr(&alone));
        assert_eq!(stdout(&alone), expected, "{lock}");
        let with_data = on_read_only(&store, &[&query[..], &["--data", data_arg]].concat());
        assert_eq!(code(&with_data), 0, "{lock}: {}", stderr(&with_data));
        assert_eq!(stdout(&with_data), expected, "{lock}");
    }
    fs::write(
        data.join("targets.csv"),
        "year,region_code,metric,target\n2020,00,teams,11\n",
    )
    .unwrap();
    let changed = on_read_only(&store, &[&query[..], &["--data", data_arg]].concat());
    assert_eq!(code(&changed), 2, "{}", stderr(&changed));
    assert!(
        stderr(&changed).contains("Read-only file system"),
        "{}",
        stderr(&changed)
    );
}

/// Every character a glob, a URL or DataFusion's paths treat specially, in the export's
/// folder, the store's, the cache folder's and the report's: import, query, report and
/// `store clean` take each name as it is.
#[test]
fn paths_with_special_characters_are_taken_as_named() {
    let expected = run_ok(&[
        "query",
        "visits",
        "--data",
        "tests/figures/data",
        "--no-store",
        "--period",
        "2020Q3",
    ]);
    for special in ["[", "]", "?", "*", "%", "%20", "#", "{", "}", " ", "한글"] {
        let dir = tempfile::tempdir().unwrap();
        let named = |what: &str| dir.path().join(format!("{what}{special}x"));
        let (data, cache) = (named("data"), named("cache"));
        copy_of_figures_data(&data);
        let data_arg = data.to_str().unwrap();
        let run = |args: &[&str]| {
            let output = command()
                .env("XDG_CACHE_HOME", &cache)
                .args(args)
                .output()
                .unwrap();
            assert_eq!(
                code(&output),
                0,
                "{special:?} {args:?}: {}",
                stderr(&output)
            );
            stdout(&output)
        };
        let store = named("store").join(format!("store{special}"));
        let store_arg = store.to_str().unwrap();
        run(&["import", "--data", data_arg, "--store", store_arg]);
        let query = ["query", "visits", "--period", "2020Q3"];
        assert_eq!(
            run(&[&query[..], &["--store", store_arg]].concat()),
            expected
        );
        assert_eq!(run(&[&query[..], &["--data", data_arg]].concat()), expected);
        assert!(run(&["store", "clean", "--data", data_arg]).contains("removed"));
        assert!(!run(&["store", "list"]).contains(data_arg), "{special:?}");
    }
    // A report is slow to make: one, into a folder named with all of them.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out [x] ? * % %20 # {y} 한글");
    let output = hubstat(&[
        "report",
        "quarterly",
        "--data",
        "tests/figures/data",
        "--store",
        dir.path()
            .join("store [x] ? * % %20 # {y} 한글")
            .to_str()
            .unwrap(),
        "--period",
        "2020Q3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(out.join("quarterly-national-2020Q3.xlsx").is_file());
}
