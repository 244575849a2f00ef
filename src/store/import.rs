//! Takes an export folder and a store and gives the store brought up to date: the tables
//! whose files changed read and checked again into new Parquet files, the rules across tables
//! run again, the manifest swapped in, and what older imports left removed.

use std::fs;
use std::path::{Path, PathBuf};

use super::files::{self, ProblemWriter, RejectedWriter, StagingOutput, TableWriter};
use super::manifest::{
    CONTRACT_VERSION, Manifest, RegionsSource, STORE_FORMAT, SourceEntry, TableEntry,
};
use super::read::{self, StoredRows};
use super::{StoreOptions, TABLES_DIR, bytes_sha256, file_sha256};
use crate::check::cross::{self, StagedRows};
use crate::check::keys::{self, Duplicate, KeyLog};
use crate::check::{CheckedTable, Problem, Severity};
use crate::contract::{TABLES, Table, table_named};
use crate::diagnostics::Error;
use crate::load::{
    BUILT_IN_REGIONS, BUILT_IN_REGIONS_FILE, Encoding, Format, Source, find_files,
    stage_built_in_regions, stage_file,
};
use crate::progress::Progress;
use crate::side_by_side::side_by_side;

fn modified_ns(metadata: &fs::Metadata) -> Option<i128> {
    let modified = metadata.modified().ok()?;
    let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(since.as_nanos() as i128)
}

/// A name for a new file of the store, never that of a file an older manifest refers to.
fn fresh_name(table: &str, suffix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{TABLES_DIR}/{table}-{:x}-{nanos:x}{suffix}",
        std::process::id()
    )
}

/// A table's source as this import finds it.
struct Found {
    spec: &'static Table,
    /// The file as the user named it; `None` for the built-in regions.
    path: Option<PathBuf>,
    /// The same, absolute, as the manifest keeps it.
    absolute: Option<String>,
    bytes: u64,
    modified_ns: Option<i128>,
    /// The content's SHA-256, computed once when first asked.
    sha256: std::sync::OnceLock<String>,
}

impl Found {
    fn new(
        spec: &'static Table,
        path: Option<PathBuf>,
        bytes: u64,
        modified_ns: Option<i128>,
    ) -> Found {
        let absolute = path.as_ref().map(|p| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        });
        Found {
            spec,
            path,
            absolute,
            bytes,
            modified_ns,
            sha256: std::sync::OnceLock::new(),
        }
    }

    fn sha256(&self) -> Result<String, Error> {
        if let Some(known) = self.sha256.get() {
            return Ok(known.clone());
        }
        let sha256 = match &self.path {
            Some(path) => file_sha256(path)?,
            None => bytes_sha256(BUILT_IN_REGIONS),
        };
        Ok(self.sha256.get_or_init(|| sha256).clone())
    }
}

fn found_sources(
    data: &Path,
    regions: Option<&Path>,
    notes: &mut Vec<String>,
) -> Result<Vec<Found>, Error> {
    let mut files = find_files(data)?;
    if let Some(given) = regions {
        if !given.is_file() {
            return Err(Error::input(given, "--regions: no such file"));
        }
        let instead = match &files[0] {
            Some(own) => own.display().to_string(),
            None => "the built-in regions".to_string(),
        };
        notes.push(format!(
            "regions from {} (--regions), instead of {instead}",
            given.display()
        ));
        files[0] = Some(given.to_path_buf());
    }
    let mut found = Vec::new();
    for (spec, path) in TABLES.iter().zip(files) {
        match path {
            Some(path) => {
                let metadata = fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
                let (bytes, modified) = (metadata.len(), modified_ns(&metadata));
                found.push(Found::new(spec, Some(path), bytes, modified));
            }
            None if spec.name == "regions" => {
                found.push(Found::new(spec, None, BUILT_IN_REGIONS.len() as u64, None))
            }
            None => {}
        }
    }
    Ok(found)
}

/// The entry of a table whose source is unchanged since `old`, its hash computed only when
/// its size or modification time differ.
fn unchanged(
    found: &Found,
    old: &TableEntry,
    same_encoding: bool,
) -> Result<Option<TableEntry>, Error> {
    let path = found.path.as_ref().map(|p| p.display().to_string());
    if found.absolute != old.source.path || (!same_encoding && old.source.format == Format::Csv) {
        return Ok(None);
    }
    let mut entry = old.clone();
    entry.source.file = path.unwrap_or_else(|| BUILT_IN_REGIONS_FILE.to_string());
    if found.bytes == old.source.bytes && found.modified_ns == old.source.modified_ns {
        return Ok(Some(entry));
    }
    if found.sha256()? != old.source.sha256 {
        return Ok(None);
    }
    entry.source.bytes = found.bytes;
    entry.source.modified_ns = found.modified_ns;
    Ok(Some(entry))
}

/// Reads and checks one table's file into the store's files.
fn stage(
    dir: &Path,
    found: &Found,
    encoding: Encoding,
    progress: &Progress,
) -> Result<TableEntry, Error> {
    let spec = found.spec;
    let parquet = fresh_name(spec.name, ".parquet");
    let problems = fresh_name(spec.name, ".problems.parquet");
    let rejected = fresh_name(spec.name, ".rejected.parquet");
    let duplicates = fresh_name(spec.name, ".duplicates.parquet");
    let mut out = StagingOutput {
        table: spec.name,
        rows: TableWriter::new(dir.join(&parquet), spec),
        problems: ProblemWriter::new(dir.join(&problems))?,
        rejected: RejectedWriter::new(dir.join(&rejected), spec)?,
        error: None,
    };
    let (source, checked): (Source, CheckedTable) = match &found.path {
        Some(path) => stage_file(spec, path, encoding, progress, &mut out)?,
        None => stage_built_in_regions(progress, &mut out)?,
    };
    if let Some(e) = out.error {
        return Err(e);
    }
    if let Some(sha256) = &source.sha256 {
        let _ = found.sha256.set(sha256.clone());
    }
    out.rows.finish(&checked.schema)?;
    out.rejected.finish()?;
    let CheckedTable {
        mut tally,
        rejected_keys,
        keys,
        ..
    } = checked;
    let repeats = repeated_keys(spec, &dir.join(&parquet), &dir.join(&rejected), keys)?;
    let stored: Vec<u64> = repeats
        .iter()
        .filter(|r| r.row.stored)
        .map(|r| r.row.line)
        .collect();
    for repeat in &repeats {
        out.problems
            .push(spec.name, unique_problem(spec, &source.file, repeat))?;
    }
    tally.accepted -= stored.len() as u64;
    tally.rejected += stored.len() as u64;
    out.problems.finish()?;
    files::write_excluded(&dir.join(&duplicates), &[(spec.name, &stored)])?;
    let sha256 = found.sha256()?;
    Ok(TableEntry {
        table: spec.name.to_string(),
        source: SourceEntry {
            file: source.file,
            path: found.absolute.clone(),
            format: source.format,
            encoding: source.encoding,
            bytes: found.bytes,
            modified_ns: found.modified_ns,
            sha256,
            left_out: source.left_out,
        },
        parquet,
        problems,
        rejected,
        duplicates,
        read: tally.read,
        rejected_own: tally.rejected,
        rejected_cross: 0,
        rejected_keys,
    })
}

/// The rows of a staged table that repeat an earlier row's unique key: only the rows whose key
/// hash another row shares are read back, and their keys compared as text.
fn repeated_keys(
    spec: &Table,
    table: &Path,
    rejected: &Path,
    keys: KeyLog,
) -> Result<Vec<Duplicate>, Error> {
    let candidates = keys.candidates();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    Ok(keys::duplicates(read::keys_at(
        spec,
        table,
        rejected,
        &candidates,
    )?))
}

/// The problem of a row that repeats an earlier row's unique key.
fn unique_problem(spec: &Table, file: &str, repeat: &Duplicate) -> Problem {
    Problem {
        severity: Severity::Error,
        file: file.to_string(),
        line: repeat.row.line,
        column: spec.key.join("+"),
        rule: "unique".into(),
        detail: format!("first at line {}", repeat.first),
        value: keys::shown(&repeat.row.key),
    }
}

/// Stages the tables of `jobs` side by side, one per core, the largest first; gives their
/// entries in the order of `jobs`.
fn stage_all(
    dir: &Path,
    jobs: Vec<&Found>,
    encoding: Encoding,
    progress: &Progress,
) -> Result<Vec<TableEntry>, Error> {
    let mut largest_first: Vec<(usize, &Found)> = jobs.into_iter().enumerate().collect();
    largest_first.sort_by_key(|(_, f)| std::cmp::Reverse(f.bytes));
    let mut entries = side_by_side(&largest_first, dir, |(i, found)| {
        Ok((*i, stage(dir, found, encoding, progress)?))
    })?;
    entries.sort_by_key(|(i, _)| *i);
    Ok(entries.into_iter().map(|(_, e)| e).collect())
}

/// Runs the rules across tables over the store's tables and writes their problems and the
/// lines of the rows they reject; gives the two files' names.
fn cross_check(dir: &Path, tables: &mut [TableEntry]) -> Result<(String, String), Error> {
    let specs: Vec<&'static Table> = tables
        .iter()
        .map(|t| table_named(&t.table).expect("a contract table"))
        .collect();
    let duplicates: Vec<Vec<u64>> = tables
        .iter()
        .map(|t| {
            let mut lines = read::read_excluded(&dir.join(&t.duplicates))?;
            Ok(lines.remove(&t.table).unwrap_or_default())
        })
        .collect::<Result<_, Error>>()?;
    let rows: Vec<StoredRows> = tables
        .iter()
        .zip(&specs)
        .zip(&duplicates)
        .map(|((t, spec), duplicates)| StoredRows {
            spec,
            file: &t.source.file,
            path: dir.join(&t.parquet),
            rejected: dir.join(&t.rejected),
            rejected_keys: &t.rejected_keys,
            duplicates,
        })
        .collect();
    let staged: Vec<&(dyn StagedRows + Sync)> =
        rows.iter().map(|r| r as &(dyn StagedRows + Sync)).collect();
    let mut results = cross::check(&staged)?;
    check_succession(dir, tables, &duplicates, &mut results)?;
    let problems = fresh_name("cross", ".problems.parquet");
    let excluded = fresh_name("cross", ".excluded.parquet");
    let mut writer = ProblemWriter::new(dir.join(&problems))?;
    for (table, result) in tables.iter_mut().zip(&results) {
        table.rejected_cross = result.excluded.len() as u64;
        for problem in &result.problems {
            writer.push(&table.table, problem.clone())?;
        }
    }
    writer.finish()?;
    // Queries leave out both the rows these rules rejected and the repeated keys.
    let all: Vec<Vec<u64>> = results
        .iter()
        .zip(duplicates)
        .map(|(r, mut lines)| {
            lines.extend(&r.excluded);
            lines.sort_unstable();
            lines
        })
        .collect();
    let lines: Vec<(&str, &[u64])> = tables
        .iter()
        .zip(&all)
        .map(|(t, lines)| (t.table.as_str(), lines.as_slice()))
        .collect();
    files::write_excluded(&dir.join(&excluded), &lines)?;
    Ok((problems, excluded))
}

/// The rules of codes over time, over the rows the other rules accepted: cycles among the
/// successor rows (rejected) and teams whose host is abolished without a successor.
fn check_succession(
    dir: &Path,
    tables: &[TableEntry],
    duplicates: &[Vec<u64>],
    results: &mut [cross::CrossChecked],
) -> Result<(), Error> {
    use crate::check::cross::succession::{abolished_hosts, given_successors, successor_cycles};
    use crate::geography::{History, regions_of};
    let at = |name: &str| tables.iter().position(|t| t.table == name);
    // The rows every other rule accepted, with their lines.
    let rows = |i: usize, results: &[cross::CrossChecked]| {
        let mut left_out = results[i].excluded.clone();
        left_out.extend(&duplicates[i]);
        left_out.sort_unstable();
        let spec = table_named(&tables[i].table).expect("a contract table");
        read::read_rows_with_lines(spec, &dir.join(&tables[i].parquet), &left_out)
    };
    let Some(regions_at) = at("regions") else {
        return Ok(());
    };
    let regions = regions_of(&rows(regions_at, results)?);
    let given = match at("successors") {
        Some(i) => given_successors(&rows(i, results)?),
        None => Vec::new(),
    };
    let plain: Vec<_> = given.iter().map(|(_, s)| s.clone()).collect();
    let history = History::new(regions, &plain);
    if let Some(i) = at("successors") {
        let (problems, rejected) = successor_cycles(&tables[i].source.file, &history, &given);
        results[i].problems.extend(problems);
        results[i].excluded.extend(rejected);
        results[i].excluded.sort_unstable();
    }
    if let Some(i) = at("teams") {
        let warnings = abolished_hosts(&tables[i].source.file, &history, &rows(i, results)?);
        results[i].problems.extend(warnings);
        results[i].problems.sort_by_key(|p| p.line);
    }
    Ok(())
}

/// Removes the files of the store no manifest refers to: left by an older import, or by one
/// that was killed.
fn remove_unreferenced(dir: &Path, manifest: &Manifest) {
    let keep = manifest.files();
    let Ok(entries) = fs::read_dir(dir.join(TABLES_DIR)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("{TABLES_DIR}/{}", entry.file_name().to_string_lossy());
        if !keep.contains(&name) {
            let _ = fs::remove_file(entry.path());
        }
    }
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".hubstat-") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Brings the store in `dir` up to date with `data`: stages the tables whose files changed,
/// runs the rules across tables when any did, then swaps the manifest in. Runs under the
/// store's lock. Gives what the user should be told.
pub(super) fn import(
    dir: &Path,
    data: &Path,
    options: &StoreOptions,
) -> Result<Vec<String>, Error> {
    let old = Manifest::read(dir)?.ok();
    let mut notes = Vec::new();
    let found = found_sources(data, options.regions.as_deref(), &mut notes)?;
    let encoding = format!("{:?}", options.encoding);
    let same_encoding = old.as_ref().is_some_and(|m| m.encoding == encoding);
    let mut entries: Vec<Option<TableEntry>> = Vec::new();
    for f in &found {
        let previous = old.as_ref().and_then(|m| m.table(f.spec.name));
        entries.push(match previous {
            Some(previous) => unchanged(f, previous, same_encoding)?,
            None => None,
        });
    }
    let jobs: Vec<&Found> = found
        .iter()
        .zip(&entries)
        .filter(|(_, e)| e.is_none())
        .map(|(f, _)| f)
        .collect();
    let same_tables = old.as_ref().is_some_and(|m| {
        m.tables
            .iter()
            .map(|t| t.table.as_str())
            .eq(found.iter().map(|f| f.spec.name))
    });
    if jobs.is_empty() && same_tables {
        let mut manifest = old.expect("same tables means an old manifest");
        let refreshed: Vec<TableEntry> = entries.into_iter().flatten().collect();
        if refreshed != manifest.tables {
            manifest.tables = refreshed;
            manifest.write(dir)?;
        }
        return Ok(notes);
    }
    let mut staged = stage_all(dir, jobs, options.encoding, &options.progress)?.into_iter();
    let mut tables: Vec<TableEntry> = entries
        .into_iter()
        .map(|e| e.unwrap_or_else(|| staged.next().expect("a staged table per job")))
        .collect();
    let bar = options.progress.step("checking across tables");
    let (cross, excluded) = cross_check(dir, &mut tables)?;
    bar.finish_and_clear();
    let regions = tables
        .iter()
        .find(|t| t.table == "regions")
        .expect("regions are always there");
    let manifest = Manifest {
        store_format: STORE_FORMAT,
        contract: CONTRACT_VERSION.into(),
        hubstat: env!("CARGO_PKG_VERSION").into(),
        data: Some(
            std::path::absolute(data)
                .unwrap_or_else(|_| data.to_path_buf())
                .display()
                .to_string(),
        ),
        encoding,
        regions: RegionsSource {
            source: regions
                .source
                .path
                .clone()
                .unwrap_or_else(|| "built-in".into()),
            sha256: regions.source.sha256.clone(),
        },
        tables,
        cross,
        excluded,
    };
    manifest.write(dir)?;
    remove_unreferenced(dir, &manifest);
    Ok(notes)
}
