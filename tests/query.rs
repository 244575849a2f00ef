//! The query and sql commands: the catalogue's columns at every level and period on the
//! sample, read-only SQL, output forms, and the errors a user meets.

use std::fs;

use calamine::{Data, Reader, Xlsx};
use hubstat::catalogue::{FIGURES, Params};
use hubstat::period::Period;
use hubstat::query::Engine;
use hubstat::region::RegionLevel;

use crate::support::{TODAY, assert_fails, code, hubstat, sample, stderr, stdout};

/// The columns of each figure, in the catalogue's order (figures.md).
fn catalogue_columns(figure: &str) -> Vec<&'static str> {
    let own: &[&str] = match figure {
        "coverage" => &[
            "emd_total",
            "emd_with_team",
            "coverage_rate",
            "teams",
            "emd_served",
            "served_rate",
        ],
        "staffing" => &[
            "staff_total",
            "staff_public",
            "staff_private",
            "public_share",
            "teams",
            "staff_per_team",
        ],
        "visits" => &[
            "visits_total",
            "visits_home",
            "visits_phone",
            "visits_office",
            "visits_other",
            "households",
        ],
        "service_links" => &["links_total", "links_public", "links_private", "households"],
        "case_management" => &[
            "cases_open",
            "cases_opened",
            "cases_closed",
            "referrals",
            "case_meetings",
            "solution_meetings",
            "followups",
        ],
        "discoveries" => &[
            "found_total",
            "found_bigdata",
            "found_network",
            "found_visit",
            "found_request",
            "found_other",
            "supported",
            "support_rate",
        ],
        "team_standard" => &["teams", "teams_meeting_standard", "standard_rate"],
        "teams_below_standard" => &["sgg_name", "team_id", "team_type", "staff", "has_leader"],
        "targets" => &["metric", "target", "actual", "achievement_rate"],
        "trend" => &[
            "quarter",
            "coverage_rate",
            "staff_total",
            "visits_total",
            "links_total",
        ],
        other => panic!("no figure {other}"),
    };
    let mut columns = vec!["region_code", "region_name"];
    columns.extend(own);
    columns
}

/// Every figure runs at every level, for a quarter, a month and a year, with and without
/// a scope, on the sample with the built-in regions; columns as the catalogue lists them.
#[test]
fn every_figure_runs_at_every_level_and_period() {
    let dataset = sample();
    let engine = Engine::new(&dataset.store, crate::support::engine_options()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let levels = [
        RegionLevel::National,
        RegionLevel::Sido,
        RegionLevel::Sgg,
        RegionLevel::Emd,
    ];
    let periods = ["2020Q4", "2019-02", "2020"];
    // Every level and period without a scope; scopes of 2, 5 and 10 digits at two levels.
    let mut runs: Vec<(RegionLevel, &str, Option<&str>)> = Vec::new();
    for level in levels {
        for period in periods {
            runs.push((level, period, None));
        }
    }
    for scope in ["42", "28110", "2811051000"] {
        runs.push((RegionLevel::Emd, "2020Q4", Some(scope)));
        runs.push((RegionLevel::Sido, "2020", Some(scope)));
    }
    for figure in &FIGURES {
        for &(level, period, scope) in &runs {
            let params = Params {
                period: period.parse::<Period>().unwrap(),
                level,
                scope: scope.map(str::to_string),
                geography: hubstat::geography::Geography::Recorded,
            };
            let table = runtime
                .block_on(engine.figure(figure, &params))
                .unwrap_or_else(|e| panic!("{} {level} {period} {scope:?}: {e}", figure.name));
            let names: Vec<&str> = table
                .schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect();
            assert_eq!(names, catalogue_columns(figure.name), "{}", figure.name);
            let codes = table.text_rows().unwrap();
            let mut sorted = codes.clone();
            sorted.sort();
            assert_eq!(codes, sorted, "{} rows sorted by their keys", figure.name);
            if let Some(scope) = scope {
                // Every row kept by a scope starts with it (none above the scope's level).
                assert!(
                    codes.iter().all(|r| r[0].starts_with(scope)),
                    "{} {scope}",
                    figure.name
                );
            }
        }
    }
}

/// The sample's published-style denominator: 3,492 읍면동 on 2020-09-30.
#[test]
fn coverage_counts_every_emd_of_the_built_in_regions() {
    let output = hubstat(&[
        "query",
        "coverage",
        "--data",
        "fixtures/sample",
        "--period",
        "2020Q3",
        "--today",
        TODAY,
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let line = stdout(&output).lines().nth(1).unwrap().to_string();
    assert!(line.starts_with("00,전국,3492,"), "{line}");
}

#[test]
fn sql_refuses_copy_and_writes_nothing() {
    let target = std::env::temp_dir().join("hubstat-copy-refused.csv");
    let _ = fs::remove_file(&target);
    let copy = format!("COPY visits TO '{}'", target.display());
    let output = hubstat(&[
        "sql",
        &copy,
        "--data",
        "tests/figures/data",
        "--today",
        TODAY,
    ]);
    assert_fails(&output, 2, "error: COPY is refused", &copy);
    assert!(stdout(&output).is_empty());
    assert!(!target.exists(), "COPY wrote a file");
    // Behind comments, the statement is still named by its keyword (the other writing
    // statements: tests/cases/errors.test).
    for (statement, keyword) in [
        ("/* why */ -- and\n  DROP TABLE visits", "DROP"),
        (
            "-- a note\nINSERT INTO visits SELECT * FROM visits",
            "INSERT",
        ),
    ] {
        let output = hubstat(&["sql", "--data", "tests/figures/data", "--", statement]);
        assert_fails(
            &output,
            2,
            &format!("error: {keyword} is refused"),
            statement,
        );
    }
}

#[test]
fn sql_runs_queries_with_the_figures_views_bound() {
    let output = hubstat(&[
        "sql",
        "SELECT region_code, COUNT(*) AS teams FROM teams_active GROUP BY region_code ORDER BY region_code",
        "--data",
        "tests/figures/data",
        "--today",
        TODAY,
        "--period",
        "2020Q3",
        "--level",
        "sido",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "region_code,teams\n28,3\n42,2\n");
    let output = hubstat(&[
        "sql",
        "SELECT COUNT(*) AS n FROM visits WHERE visited_on BETWEEN $start AND $end",
        "--data",
        "tests/figures/data",
        "--today",
        TODAY,
        "--period",
        "2020Q3",
    ]);
    assert_eq!(stdout(&output), "n\n6\n");
}

#[test]
fn a_query_file_runs_as_ad_hoc_sql() {
    let figure = hubstat(&[
        "query",
        "visits",
        "--data",
        "tests/figures/data",
        "--today",
        TODAY,
        "--period",
        "2020Q3",
        "--level",
        "sgg",
    ]);
    let sql = hubstat(&[
        "sql",
        "-f",
        "queries/visits.sql",
        "--data",
        "tests/figures/data",
        "--today",
        TODAY,
        "--period",
        "2020Q3",
        "--level",
        "sgg",
    ]);
    assert_eq!(code(&sql), 0, "{}", stderr(&sql));
    // As SQL, the file also gives its internal columns (the households behind each count,
    // for the disclosure stage), after the figure's own.
    let published = |text: String| -> String {
        let keep: Vec<bool> = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(|c| !c.contains("__"))
            .collect();
        text.lines()
            .map(|l| {
                let cells: Vec<&str> = l
                    .split(',')
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(c, _)| c)
                    .collect();
                cells.join(",") + "\n"
            })
            .collect()
    };
    assert_eq!(published(stdout(&sql)), stdout(&figure));
}

#[test]
fn sql_errors_point_at_line_and_column() {
    let output = hubstat(&[
        "sql",
        "SELECT visit_id,\n  nope FROM visits",
        "--data",
        "tests/figures/data",
        "--today",
        TODAY,
    ]);
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.starts_with("error: the query:2:3: SQL error\n    nope FROM visits\n    ^\n"),
        "{err}"
    );
    assert!(err.contains("No field named nope"), "{err}");
}

/// A figure that needs more than the memory limit names itself and how to raise the limit.
#[test]
fn a_figure_past_the_memory_limit_says_how_to_raise_it() {
    let output = hubstat(&[
        "query",
        "visits",
        "--data",
        "fixtures/sample",
        "--period",
        "2020",
        "--level",
        "emd",
        "--memory-limit",
        "1M",
    ]);
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.starts_with("error: queries/visits.sql: the query needs more memory than --memory-limit lets it reserve: raise it (for example --memory-limit 4G; the default is 2G)\n"),
        "{err}"
    );
    assert!(err.contains("Resources exhausted"), "{err}");
}

#[test]
fn results_come_in_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "query",
        "staffing",
        "--data",
        "tests/figures/data",
        "--today",
        TODAY,
        "--period",
        "2020Q3",
        "--level",
        "sido",
    ];
    let json = hubstat(&[&base[..], &["--format", "json"]].concat());
    let rows: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(rows[0]["region_code"], "28");
    assert_eq!(rows[0]["staff_total"], 4);
    assert_eq!(rows[1]["public_share"], 0.75);
    let table = hubstat(&[&base[..], &["--format", "table"]].concat());
    assert!(
        stdout(&table).contains("28           인천광역시"),
        "{}",
        stdout(&table)
    );

    let xlsx = dir.path().join("staffing.xlsx");
    let out = xlsx.to_str().unwrap();
    assert_eq!(code(&hubstat(&[&base[..], &["--out", out]].concat())), 0);
    let mut workbook: Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let range = workbook.worksheet_range("staffing").unwrap();
    assert_eq!(range.get((0, 2)), Some(&Data::String("staff_total".into())));
    assert_eq!(range.get((1, 1)), Some(&Data::String("인천광역시".into())));
    assert_eq!(
        range.get((1, 2)),
        Some(&Data::Float(4.0)),
        "numbers are numbers"
    );
    assert_eq!(range.get((2, 5)), Some(&Data::Float(0.75)));

    let parquet = dir.path().join("staffing.parquet");
    let out = parquet.to_str().unwrap();
    assert_eq!(code(&hubstat(&[&base[..], &["--out", out]].concat())), 0);
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        fs::File::open(&parquet).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 2);
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn list_names_every_figure_with_its_title() {
    let output = hubstat(&["list"]);
    assert_eq!(code(&output), 0);
    let out = stdout(&output);
    for figure in &FIGURES {
        assert!(
            out.contains(&format!("{}  ", figure.name)),
            "{}",
            figure.name
        );
    }
    assert!(out.contains("설치현황 (Team coverage)"), "{out}");
}

/// `--out` writes to what its path is: a named pipe's reader gets the bytes and the pipe
/// stays; through a symlink (dangling or not) the target is replaced and the link stays;
/// `/dev/stdout` is the command's standard output.
#[test]
fn out_writes_to_a_pipe_a_symlink_and_stdout_as_they_are() {
    let args = [
        "query",
        "visits",
        "--data",
        "tests/figures/data",
        "--today",
        TODAY,
        "--period",
        "2020Q3",
        "--format",
        "csv",
    ];
    let expected = stdout(&hubstat(&args));
    assert!(expected.starts_with("region_code,"), "{expected}");
    let dir = tempfile::tempdir().unwrap();
    let run_to = |out: &std::path::Path| {
        let output = crate::support::command()
            .args(args)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        assert_eq!(code(&output), 0, "{}: {}", out.display(), stderr(&output));
        stdout(&output)
    };

    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    run_to(&fifo);
    assert_eq!(reader.join().unwrap(), expected);
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());

    let targets = dir.path().join("targets");
    fs::create_dir(&targets).unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink("targets/real.csv", &link).unwrap();
    for content in ["dangling", "old content"] {
        if content != "dangling" {
            fs::write(targets.join("real.csv"), content).unwrap();
        }
        run_to(&link);
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_to_string(targets.join("real.csv")).unwrap(),
            expected
        );
        let leftovers: Vec<_> = fs::read_dir(&targets).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "{content}");
    }

    assert_eq!(run_to(std::path::Path::new("/dev/stdout")), expected);
}

/// A year-only export (the published year's shape at 1/20 of the nation) answers every
/// figure at a year and at a three-year range, at every level and geography, within a pool
/// of 40 MB: 1/50 of the default for 1/20 of the data. The fair pool this replaced refused
/// `service_links` for the year here under a pool of 100 MB: it split the limit evenly among
/// the plan's 16 operators that could spill and gave the final distinct count a sixteenth.
#[test]
fn every_figure_answers_a_year_and_a_range_on_a_year_only_export_in_a_small_pool() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("2020");
    let made = hubstat(&[
        "synth",
        "--from",
        "2020-01-01",
        "--to",
        "2020-12-31",
        "--scale",
        "0.05",
        "--seed",
        "1",
        "--format",
        "parquet",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert_eq!(code(&made), 0, "{}", stderr(&made));
    let dataset = crate::support::load(&data);
    let options = hubstat::query::EngineOptions {
        skip_invalid: false,
        memory_limit: 40 << 20,
    };
    let engine = Engine::new(&dataset.store, options).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let periods = [
        "2020".parse::<Period>().unwrap(),
        Period::range(
            hubstat::period::date_of(hubstat::period::parse_date("2018-01-01").unwrap()),
            hubstat::period::date_of(hubstat::period::parse_date("2020-12-31").unwrap()),
        )
        .unwrap(),
    ];
    for figure in &FIGURES {
        for period in &periods {
            for level in [RegionLevel::National, RegionLevel::Sido, RegionLevel::Emd] {
                for geography in [
                    hubstat::geography::Geography::Recorded,
                    hubstat::geography::Geography::End,
                ] {
                    let params = Params {
                        period: *period,
                        level,
                        scope: None,
                        geography,
                    };
                    let table = runtime
                        .block_on(engine.figure(figure, &params))
                        .unwrap_or_else(|e| panic!("{} {period} {level}: {e}", figure.name));
                    // Targets are set for the nation and the 시도 only.
                    let unset = figure.name == "targets" && level == RegionLevel::Emd;
                    assert_eq!(
                        table.num_rows() > 0,
                        !unset,
                        "{} {period} {level}",
                        figure.name
                    );
                }
            }
        }
    }
}
