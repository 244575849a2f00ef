//! Takes an export folder and gives its tables' rows checked against their own table's
//! rules: finds one file per table, reads CSV (UTF-8 or CP949), XLSX or Parquet (or the
//! built-in regions), and hands each row with its line to the checker.

mod csv;
pub mod official;
mod parquet;
mod xlsx;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::check::raw::RawRows;
use crate::check::{CheckOutput, CheckedRows, CheckedTable, Staging, TableCheck};
use crate::contract::{TABLES, Table};
use crate::diagnostics::{Error, catch_panic};
use crate::progress::Progress;

/// The built-in 행정기관코드 history: the ministry's file as published, read as any official
/// file given with `--regions` is (see assets/regions/README.md).
pub const BUILT_IN_REGIONS: &[u8] = include_bytes!("../../assets/regions/KIKcd_H.20240801.xlsx");

/// How problems and reports name the built-in regions.
pub const BUILT_IN_REGIONS_FILE: &str = "(built-in regions)";

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
    /// The official 행정기관코드 file, spreadsheet form.
    #[serde(rename = "official-xlsx")]
    OfficialXlsx,
    /// The official 행정기관코드 file, fixed-width text form.
    #[serde(rename = "official-text")]
    OfficialText,
}

impl Format {
    /// How the provenance sheet of a workbook names the form.
    pub fn label(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Xlsx => "XLSX",
            Format::Parquet => "Parquet",
            Format::BuiltIn => "내장 (행정안전부 행정기관코드 20240801)",
            Format::OfficialXlsx => "행정기관코드 파일 (XLSX)",
            Format::OfficialText => "행정기관코드 파일 (텍스트)",
        }
    }
}

/// Where a table came from.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Source {
    /// The path as the user would open it; `(built-in regions)` for the built-in reference.
    pub file: String,
    #[serde(skip)]
    pub path: Option<PathBuf>,
    pub format: Format,
    /// The text encoding found in a CSV file.
    pub encoding: Option<String>,
    pub bytes: u64,
    /// The SHA-256 of the content, when it was worked out as the file was read.
    #[serde(skip)]
    pub sha256: Option<String>,
    /// Rows of the official code file that are not 읍면동, by reason.
    #[serde(
        rename = "left_out_by_reason",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub left_out: BTreeMap<String, u64>,
}

/// Passes bytes through and hashes them on the way: a CSV file is read whole once, on the
/// thread that cuts it into chunks, which has time to spare.
struct Hashing<R> {
    inner: R,
    hasher: Arc<std::sync::Mutex<Sha256>>,
}

impl<R: std::io::Read> std::io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut hasher) = self.hasher.lock() {
            hasher.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Finds the one file of each contract table in `dir`, in contract order.
pub fn find_files(dir: &Path) -> Result<Vec<Option<PathBuf>>, Error> {
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
                            && (["csv", "xlsx", "xls", "parquet"]
                                .contains(&ext.to_ascii_lowercase().as_str())
                                || spec.name == "regions" && official_extension(ext))
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

/// Extensions the official code file may have besides a table's: its text form as
/// published ends in the date (`KIKcd_H.20240801`), or is saved as `.txt`.
fn official_extension(ext: &str) -> bool {
    ext.eq_ignore_ascii_case("txt") || (!ext.is_empty() && ext.bytes().all(|b| b.is_ascii_digit()))
}

/// Takes what a reader read, the header first, and checks it: a stretch of rows at a time,
/// in the file's order.
pub struct Checker<'a> {
    spec: &'static Table,
    file: &'a str,
    bar: indicatif::ProgressBar,
    out: Option<&'a mut dyn CheckOutput>,
    staging: Option<Staging<'a>>,
}

impl<'a> Checker<'a> {
    fn new(
        spec: &'static Table,
        file: &'a str,
        progress: &Progress,
        out: &'a mut dyn CheckOutput,
    ) -> Self {
        Checker {
            spec,
            file,
            bar: progress.rows(file),
            out: Some(out),
            staging: None,
        }
    }

    /// Whether the table may be given as the official 행정기관코드 file: `regions`.
    pub fn takes_official(&self) -> bool {
        self.spec.name == crate::contract::REGIONS.name
    }

    /// Matches the header to the contract; given once, before any rows.
    pub fn header(&mut self, names: Vec<String>) -> Result<(), Error> {
        let out = self.out.take().expect("a reader gives the header once");
        let check = TableCheck::new(self.spec, self.file, &names)?;
        self.staging = Some(Staging::new(check, out));
        Ok(())
    }

    /// The checks of the file's header, to run on any thread.
    pub fn check(&self) -> Arc<TableCheck> {
        self.staging
            .as_ref()
            .expect("a reader gives the header before the rows")
            .check()
    }

    /// Takes the next stretch of rows, checked.
    pub fn take(&mut self, rows: CheckedRows) -> Result<(), Error> {
        self.bar.inc(rows.tally.read);
        self.staging
            .as_mut()
            .expect("a reader gives the header before the rows")
            .take(rows)
    }

    /// Checks the next stretch of rows here.
    pub fn rows(&mut self, raw: &RawRows) -> Result<(), Error> {
        let rows = self.check().check(raw);
        self.take(rows)
    }

    fn finish(self) -> Result<CheckedTable, Error> {
        self.bar.finish_and_clear();
        self.staging
            .map(Staging::finish)
            .ok_or_else(|| Error::input(self.file, "the file is empty: no header row"))
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

/// Reads one file of a table and checks its rows against the table's own rules, handing
/// the rows that keep them and every problem to `out`. A bug met on the way is an error
/// naming the file.
pub fn stage_file(
    spec: &'static Table,
    path: &Path,
    encoding: Encoding,
    progress: &Progress,
    out: &mut dyn CheckOutput,
) -> Result<(Source, CheckedTable), Error> {
    catch_panic(path, || read_file(spec, path, encoding, progress, out))
}

fn read_file(
    spec: &'static Table,
    path: &Path,
    choice: Encoding,
    progress: &Progress,
    out: &mut dyn CheckOutput,
) -> Result<(Source, CheckedTable), Error> {
    let file = path.display().to_string();
    let metadata = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let mut head = [0u8; 4096];
    let n = {
        use std::io::Read;
        let mut f = fs::File::open(path).map_err(|e| Error::io(path, e))?;
        f.read(&mut head).map_err(|e| Error::io(path, e))?
    };
    let mut sink = Checker::new(spec, &file, progress, out);
    let mut sha256 = None;
    let mut left_out = BTreeMap::new();
    let (format, encoding) = match sniff(&head[..n]) {
        Sniffed::Zip | Sniffed::Ole => match xlsx::read(path, &mut sink)? {
            xlsx::Read::Table => (Format::Xlsx, None),
            xlsx::Read::Official(rows) => {
                left_out = rows;
                (Format::OfficialXlsx, None)
            }
        },
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
        Sniffed::Text if sink.takes_official() && official::text_encoding(&head[..n]).is_some() => {
            let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
            sha256 = Some(format!("{:x}", Sha256::digest(&bytes)));
            let rows = official::read_text(&bytes, path)?;
            left_out = official::check(&rows, &mut sink)?;
            let encoding = official::text_encoding(&bytes).map(String::from);
            (Format::OfficialText, encoding)
        }
        Sniffed::Text => {
            let hasher = Arc::new(std::sync::Mutex::new(Sha256::new()));
            let f = Hashing {
                inner: fs::File::open(path).map_err(|e| Error::io(path, e))?,
                hasher: hasher.clone(),
            };
            let encoding = csv::read(f, path, choice, &mut sink)?;
            sha256 = Arc::into_inner(hasher)
                .and_then(|h| h.into_inner().ok())
                .map(|h| format!("{:x}", h.finalize()));
            (Format::Csv, Some(encoding.to_string()))
        }
    };
    let mut table = sink.finish()?;
    table.tally.left_out = left_out.values().sum();
    table.tally.read += table.tally.left_out;
    let source = Source {
        file,
        path: Some(path.to_path_buf()),
        format,
        encoding,
        bytes: metadata.len(),
        sha256,
        left_out,
    };
    Ok((source, table))
}

/// The built-in regions, checked like a file.
pub fn stage_built_in_regions(
    progress: &Progress,
    out: &mut dyn CheckOutput,
) -> Result<(Source, CheckedTable), Error> {
    let file = BUILT_IN_REGIONS_FILE;
    let mut sink = Checker::new(&crate::contract::REGIONS, file, progress, out);
    let xlsx::Read::Official(left_out) =
        xlsx::read_bytes(BUILT_IN_REGIONS, Path::new(file), &mut sink)?
    else {
        return Err(Error::input(
            file,
            "a bug: the built-in regions are not the official file",
        ));
    };
    let mut table = sink.finish()?;
    table.tally.left_out = left_out.values().sum();
    table.tally.read += table.tally.left_out;
    let source = Source {
        file: file.to_string(),
        path: None,
        format: Format::BuiltIn,
        encoding: None,
        bytes: BUILT_IN_REGIONS.len() as u64,
        sha256: None,
        left_out,
    };
    Ok((source, table))
}
