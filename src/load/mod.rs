//! Takes an export folder and gives the checked tables of the data contract: finds one file
//! per table, reads CSV (UTF-8 or CP949), XLSX or Parquet, falls back to the built-in regions,
//! and runs every row through the checks, keeping each problem with its file, line and column.

mod cache;
mod csv;
mod parquet;
mod xlsx;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use cache::{bytes_sha256, file_sha256};

use crate::check::{Cell, CheckedTable, Known, ProblemLog, TableChecker};
use crate::contract::{TABLES, Table};
use crate::diagnostics::{Error, catch_panic};
use crate::progress::Progress;

/// The built-in 행정기관코드 history in the contract's `regions` layout (see assets/regions/README.md).
pub const BUILT_IN_REGIONS: &[u8] = include_bytes!("../../assets/regions/regions.csv");

/// Rows between two updates of a progress bar.
const PROGRESS_ROWS: u64 = 16 * 1024;

/// Tables loaded first, in this order: later tables refer to their keys.
const SEQUENTIAL: [&str; 4] = ["regions", "teams", "team_areas", "staff"];

/// Tables loaded side by side after those, a group per thread (a group in order).
const SIDE_BY_SIDE: [&[&str]; 5] = [
    &["visits"],
    &["service_links"],
    &["cases", "case_meetings"],
    &["discoveries"],
    &["targets"],
];

/// How CSV bytes are turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Encoding {
    /// UTF-8 when the bytes are valid UTF-8 (with or without a BOM), CP949 otherwise.
    #[default]
    Auto,
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// CP949, the Windows superset of EUC-KR.
    #[value(name = "cp949", alias = "euc-kr")]
    Cp949,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Format {
    #[serde(rename = "csv")]
    Csv,
    #[serde(rename = "xlsx")]
    Xlsx,
    #[serde(rename = "parquet")]
    Parquet,
    #[serde(rename = "built-in")]
    BuiltIn,
}

/// Where a table came from.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// The path as the user would open it; `(built-in regions)` for the built-in reference.
    pub file: String,
    #[serde(skip)]
    pub path: Option<PathBuf>,
    pub format: Format,
    /// The text encoding found in a CSV file.
    pub encoding: Option<&'static str>,
    pub bytes: u64,
    /// SHA-256 of the file's content, when loading already computed it (with a cache).
    #[serde(skip)]
    pub sha256: Option<String>,
}

/// A table of the contract as loaded from its source.
#[derive(Debug, Clone)]
pub struct LoadedTable {
    pub source: Source,
    pub table: CheckedTable,
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub data: PathBuf,
    pub encoding: Encoding,
    /// Days since 1970-01-01: events after this day are warned about.
    pub today: i32,
    /// How many problems of one rule on one column to keep for listing (`None`: all).
    pub max_problems: Option<u64>,
    /// Where the progress of loading is shown.
    pub progress: Progress,
    /// A folder keeping checked tables of earlier runs, keyed by the files' content. A load
    /// from it has the tables and their tallies but lists no problems: for commands that
    /// compute figures, not for `check`.
    pub cache: Option<PathBuf>,
}

/// All tables of one export folder, checked, with the problems found.
#[derive(Debug)]
pub struct Dataset {
    pub data: PathBuf,
    pub tables: Vec<LoadedTable>,
    pub problems: ProblemLog,
}

impl Dataset {
    /// Loads every table: first, one after the other, the tables whose keys others refer to;
    /// then the rest side by side, a group per thread, each with a copy of those keys.
    pub fn load(options: &LoadOptions) -> Result<Dataset, Error> {
        let files = find_files(&options.data)?;
        let Some(cache) = &options.cache else {
            return Dataset::load_files(options, &files);
        };
        let hashes = cache::hashes(&files)?;
        let entry = cache::entry_dir(cache, options, &hashes);
        if let Some(tables) = cache::read(&entry) {
            return Ok(Dataset {
                data: options.data.clone(),
                tables,
                problems: ProblemLog::new(options.max_problems),
            });
        }
        let mut dataset = Dataset::load_files(options, &files)?;
        for t in &mut dataset.tables {
            let i = TABLES
                .iter()
                .position(|s| s.name == t.table.spec.name)
                .expect("a contract table");
            t.source.sha256 = hashes[i]
                .clone()
                .or_else(|| Some(cache::bytes_sha256(BUILT_IN_REGIONS)));
        }
        cache::write(&entry, &dataset.tables)?;
        Ok(dataset)
    }

    fn load_files(options: &LoadOptions, files: &[Option<PathBuf>]) -> Result<Dataset, Error> {
        let file_of = |name: &str| {
            let i = TABLES
                .iter()
                .position(|t| t.name == name)
                .expect("a contract table");
            (TABLES[i], files[i].clone())
        };
        let mut problems = ProblemLog::new(options.max_problems);
        let mut known = Known::default();
        let mut tables = Vec::new();
        for name in SEQUENTIAL {
            let (spec, path) = file_of(name);
            let loaded = match path {
                Some(path) => load_file(spec, &path, options, &mut problems, &mut known)?,
                None if spec.name == "regions" => {
                    load_built_in_regions(options, &mut problems, &mut known)?
                }
                None => continue,
            };
            tables.push(loaded);
        }
        let results: Vec<Result<(Vec<LoadedTable>, ProblemLog), Error>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = SIDE_BY_SIDE
                    .iter()
                    .map(|group| {
                        let mut known = known.clone();
                        let group: Vec<_> = group.iter().map(|name| file_of(name)).collect();
                        scope.spawn(move || {
                            let mut log = ProblemLog::new(options.max_problems);
                            let mut loaded = Vec::new();
                            for (spec, path) in group {
                                if let Some(path) = path {
                                    loaded.push(load_file(
                                        spec, &path, options, &mut log, &mut known,
                                    )?);
                                }
                            }
                            Ok((loaded, log))
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|payload| {
                            Err(Error::Internal {
                                path: options.data.clone(),
                                message: crate::diagnostics::panic_text(payload.as_ref()),
                            })
                        })
                    })
                    .collect()
            });
        for result in results {
            let (loaded, log) = result?;
            tables.extend(loaded);
            problems.append(log);
        }
        Ok(Dataset {
            data: options.data.clone(),
            tables,
            problems,
        })
    }

    pub fn table(&self, name: &str) -> Option<&LoadedTable> {
        self.tables.iter().find(|t| t.table.spec.name == name)
    }

    pub fn rejected(&self) -> u64 {
        self.tables.iter().map(|t| t.table.tally.rejected).sum()
    }

    /// Stops a command when rows were rejected, unless it was told to go on without them.
    pub fn require_clean(&self, skip_invalid: bool) -> Result<(), Error> {
        let rejected: Vec<String> = self
            .tables
            .iter()
            .filter(|t| t.table.tally.rejected > 0)
            .map(|t| format!("{} in {}", t.table.tally.rejected, t.source.file))
            .collect();
        if rejected.is_empty() || skip_invalid {
            return Ok(());
        }
        Err(Error::Rejected {
            summary: format!("rows rejected: {}", rejected.join(", ")),
            data: self.data.clone(),
        })
    }
}

/// Finds the one file of each contract table in `dir`, in contract order.
fn find_files(dir: &Path) -> Result<Vec<Option<PathBuf>>, Error> {
    if !dir.is_dir() {
        return Err(Error::input(dir, "no such folder"));
    }
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    TABLES
        .iter()
        .map(|spec| {
            let found: Vec<&String> = names
                .iter()
                .filter(|n| {
                    n.rsplit_once('.').is_some_and(|(stem, ext)| {
                        stem == spec.name
                            && ["csv", "xlsx", "xls", "parquet"]
                                .contains(&ext.to_ascii_lowercase().as_str())
                    })
                })
                .collect();
            match found.as_slice() {
                [] if spec.required && spec.name != "regions" => Err(Error::input(
                    dir,
                    format!(
                        "required table `{}` is missing: expected {0}.csv, {0}.xlsx or {0}.parquet",
                        spec.name
                    ),
                )),
                [] => Ok(None),
                [one] => Ok(Some(dir.join(one))),
                [first, second, ..] => Err(Error::input(
                    dir,
                    format!(
                        "two files for table `{}`: {} and {}; keep one",
                        spec.name,
                        dir.join(first).display(),
                        dir.join(second).display()
                    ),
                )),
            }
        })
        .collect()
}

/// What a reader hands over: the header once, then each row with its line.
pub trait RowSink {
    fn header(&mut self, names: Vec<String>) -> Result<(), Error>;
    fn row(&mut self, line: u64, cells: &[Cell]);
}

/// Feeds a reader's rows into the checker of one table.
struct Sink<'a> {
    spec: &'static Table,
    bar: indicatif::ProgressBar,
    rows: u64,
    file: &'a str,
    options: &'a LoadOptions,
    problems: Option<&'a mut ProblemLog>,
    known: Option<&'a mut Known>,
    checker: Option<TableChecker<'a>>,
}

impl<'a> Sink<'a> {
    fn new(
        spec: &'static Table,
        file: &'a str,
        options: &'a LoadOptions,
        problems: &'a mut ProblemLog,
        known: &'a mut Known,
    ) -> Self {
        Sink {
            spec,
            bar: options.progress.rows(file),
            rows: 0,
            file,
            options,
            problems: Some(problems),
            known: Some(known),
            checker: None,
        }
    }

    fn finish(self) -> Result<CheckedTable, Error> {
        self.bar.finish_and_clear();
        self.checker
            .map(TableChecker::finish)
            .ok_or_else(|| Error::input(self.file, "the file is empty: no header row"))
    }
}

impl RowSink for Sink<'_> {
    fn header(&mut self, names: Vec<String>) -> Result<(), Error> {
        let (Some(problems), Some(known)) = (self.problems.take(), self.known.take()) else {
            unreachable!("a reader gives the header once")
        };
        self.checker = Some(TableChecker::new(
            self.spec,
            self.file,
            &names,
            self.options.today,
            problems,
            known,
        )?);
        Ok(())
    }

    fn row(&mut self, line: u64, cells: &[Cell]) {
        self.rows += 1;
        if self.rows.is_multiple_of(PROGRESS_ROWS) {
            self.bar.inc(PROGRESS_ROWS);
        }
        self.checker
            .as_mut()
            .expect("a reader gives the header before the rows")
            .row(line, cells);
    }
}

/// What the first bytes of a file say it is, whatever its name.
#[derive(Debug, PartialEq, Eq)]
enum Sniffed {
    Zip,
    Ole,
    Parquet,
    Html,
    Text,
}

fn sniff(head: &[u8]) -> Sniffed {
    let trimmed = head
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .trim_ascii_start();
    if head.starts_with(b"PK\x03\x04") {
        Sniffed::Zip
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Sniffed::Ole
    } else if head.starts_with(b"PAR1") {
        Sniffed::Parquet
    } else if trimmed.first() == Some(&b'<') {
        Sniffed::Html
    } else {
        Sniffed::Text
    }
}

/// Reads and checks one file; a bug met on the way is an error naming the file.
fn load_file(
    spec: &'static Table,
    path: &Path,
    options: &LoadOptions,
    problems: &mut ProblemLog,
    known: &mut Known,
) -> Result<LoadedTable, Error> {
    catch_panic(path, || read_file(spec, path, options, problems, known))
}

fn read_file(
    spec: &'static Table,
    path: &Path,
    options: &LoadOptions,
    problems: &mut ProblemLog,
    known: &mut Known,
) -> Result<LoadedTable, Error> {
    let file = path.display().to_string();
    let bytes = fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
    let mut head = [0u8; 8];
    let n = {
        use std::io::Read;
        let mut f = fs::File::open(path).map_err(|e| Error::io(path, e))?;
        f.read(&mut head).map_err(|e| Error::io(path, e))?
    };
    let mut sink = Sink::new(spec, &file, options, problems, known);
    let (format, encoding) = match sniff(&head[..n]) {
        Sniffed::Zip | Sniffed::Ole => {
            xlsx::read(path, &mut sink)?;
            (Format::Xlsx, None)
        }
        Sniffed::Parquet => {
            parquet::read(path, &mut sink)?;
            (Format::Parquet, None)
        }
        Sniffed::Html => {
            return Err(Error::input(
                path,
                "an HTML page, not CSV, XLSX or Parquet: save the export as CSV or XLSX",
            ));
        }
        Sniffed::Text => {
            let f = fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let encoding = csv::read(f, path, options.encoding, &mut sink)?;
            (Format::Csv, Some(encoding))
        }
    };
    Ok(LoadedTable {
        table: sink.finish()?,
        source: Source {
            file,
            path: Some(path.to_path_buf()),
            format,
            encoding,
            bytes,
            sha256: None,
        },
    })
}

fn load_built_in_regions(
    options: &LoadOptions,
    problems: &mut ProblemLog,
    known: &mut Known,
) -> Result<LoadedTable, Error> {
    let file = "(built-in regions)";
    let mut sink = Sink::new(&crate::contract::REGIONS, file, options, problems, known);
    csv::read(BUILT_IN_REGIONS, Path::new(file), Encoding::Utf8, &mut sink)?;
    Ok(LoadedTable {
        table: sink.finish()?,
        source: Source {
            file: file.to_string(),
            path: None,
            format: Format::BuiltIn,
            encoding: Some("UTF-8"),
            bytes: BUILT_IN_REGIONS.len() as u64,
            sha256: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_loaded_once_after_the_tables_it_refers_to() {
        let mut order: Vec<&str> = SEQUENTIAL.to_vec();
        for group in SIDE_BY_SIDE {
            order.extend(group.iter());
        }
        let mut names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        assert_eq!(order, names, "contract order");
        names.sort();
        names.dedup();
        assert_eq!(names.len(), TABLES.len());
    }
}
