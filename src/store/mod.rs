//! Takes an export folder and gives its checked store: each table's rows that keep the
//! contract as plain Parquet, with a manifest saying what they were checked from, every
//! problem, and the tallies. A file unchanged since the last import is not read again; the
//! rules across tables run again whenever any table changed.

pub mod files;
mod folders;
mod import;
mod manifest;
mod read;
pub mod schemas;

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use sha2::{Digest, Sha256};

use crate::check::cross::{self, StagedRows};
use crate::check::{Problem, ProblemLog, Severity, Tally};
use crate::contract::{Table, table_named};
use crate::diagnostics::Error;
use crate::load::{Encoding, Source};
use crate::progress::Progress;
use crate::region::RegionLevel;
pub use folders::{KeptStore, default_store_dir, kept_stores};
pub use manifest::{MANIFEST, Manifest, TableEntry};
use read::{StoredRows, read_problems};

const TABLES_DIR: &str = "tables";
const LOCK: &str = ".lock";

/// Where the store is and what it is made from.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The export folder; `None` uses the store as it is.
    pub data: Option<PathBuf>,
    /// The store folder; `None` keeps one under the user's cache folder, keyed by `data`.
    pub store: Option<PathBuf>,
    /// Check into a temporary store, removed at the end, and keep nothing.
    pub no_store: bool,
    pub encoding: Encoding,
    /// A regions table (or the official code file) that replaces the folder's regions.
    pub regions: Option<PathBuf>,
    pub progress: Progress,
}

/// One table of the store.
#[derive(Debug, Clone)]
pub struct StoredTable {
    pub spec: &'static Table,
    pub source: Source,
    pub sha256: String,
    /// The Parquet file of the rows that keep the table's own rules.
    pub parquet: PathBuf,
    /// Read, accepted and rejected, by every rule.
    pub tally: Tally,
    /// Lines of rows in `parquet` rejected by the rules across tables, sorted.
    pub excluded: Vec<u64>,
}

/// A checked store, open for reading: shared-locked while it lives, so that no import
/// removes its files under it.
#[derive(Debug)]
pub struct Store {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub tables: Vec<StoredTable>,
    /// The export folder as the user named it this time.
    data: Option<PathBuf>,
    /// What opening it has to tell the user (regions taken from `--regions`).
    pub notes: Vec<String>,
    _lock: Option<File>,
    _temporary: Option<tempfile::TempDir>,
}

/// `3 in visits.csv, 1 in staff.csv`: the rows rejected in each of `tables` that has any;
/// `None` when there are none.
pub fn rejected_summary<'a>(tables: impl IntoIterator<Item = &'a StoredTable>) -> Option<String> {
    let parts: Vec<String> = tables
        .into_iter()
        .filter(|t| t.tally.rejected > 0)
        .map(|t| format!("{} in {}", t.tally.rejected, t.source.file))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// SHA-256 of a file's content, streamed.
pub fn file_sha256(path: &Path) -> Result<String, Error> {
    use std::io::Read;
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

pub fn bytes_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The store's lock file, made when missing. A store that cannot be written (a finished
/// store on a read-only mount) is locked through its lock file opened for reading, or not
/// at all when it has none: nothing can change it then.
fn lock_file(dir: &Path) -> Result<Option<File>, Error> {
    use std::io::ErrorKind;
    let path = dir.join(LOCK);
    let cannot_write = |e: &std::io::Error| {
        matches!(
            e.kind(),
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
        )
    };
    match File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    {
        Ok(file) => Ok(Some(file)),
        Err(e) if cannot_write(&e) => match File::open(&path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, e)),
        },
        Err(e) => Err(Error::io(&path, e)),
    }
}

/// Brings the store in `dir` up to date with its export under the exclusive lock, and makes
/// it again when files it names were damaged since; gives the lock, released, and the notes.
fn import_locked(
    dir: &Path,
    data: &Path,
    options: &StoreOptions,
) -> Result<(Option<File>, Vec<String>), Error> {
    let lock_error = |e| Error::io(dir.join(LOCK), e);
    fs::create_dir_all(dir.join(TABLES_DIR)).map_err(|e| Error::io(dir, e))?;
    let lock = lock_file(dir)?;
    if let Some(lock) = &lock {
        lock.lock().map_err(lock_error)?;
    }
    let mut notes = import::import(dir, data, options)?;
    if let Ok(Ok(manifest)) = Manifest::read(dir)
        && schemas::check_store(dir, &manifest).is_err()
    {
        let path = dir.join(manifest::MANIFEST);
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        notes.extend(import::import(dir, data, options)?);
    }
    if let Some(lock) = &lock {
        lock.unlock().map_err(lock_error)?;
    }
    Ok((lock, notes))
}

impl Store {
    /// Opens the store of `options`, bringing it up to date with its export folder first.
    pub fn open(options: &StoreOptions) -> Result<Store, Error> {
        if let Some(data) = &options.data
            && !data.is_dir()
        {
            return Err(Error::input(data, "no such folder"));
        }
        let temporary = if options.no_store {
            Some(
                tempfile::Builder::new()
                    .prefix("hubstat-store-")
                    .tempdir()
                    .map_err(|e| Error::io(std::env::temp_dir(), e))?,
            )
        } else {
            None
        };
        let dir = match (&temporary, &options.store, &options.data) {
            (Some(t), _, _) => t.path().to_path_buf(),
            (None, Some(store), _) => store.clone(),
            (None, None, Some(data)) => default_store_dir(data)?,
            (None, None, None) => {
                return Err(Error::Usage(
                    "give --data DIR, --store STORE or both".into(),
                ));
            }
        };
        let (lock, notes) = match &options.data {
            Some(data) => import_locked(&dir, data, options)?,
            None => {
                if !dir.join(manifest::MANIFEST).is_file() {
                    return Err(Error::input(
                        &dir,
                        "no store here: make one with `hubstat import --data DIR --store STORE`",
                    ));
                }
                (lock_file(&dir)?, Vec::new())
            }
        };
        if let Some(lock) = &lock {
            lock.lock_shared()
                .map_err(|e| Error::io(dir.join(LOCK), e))?;
        }
        let manifest = match Manifest::read(&dir)? {
            Ok(manifest) => manifest,
            Err(unusable) => {
                return Err(Error::input(
                    &dir,
                    format!("{unusable}: import the export again"),
                ));
            }
        };
        // Again under the shared lock: another import may have come in between.
        schemas::check_store(&dir, &manifest)?;
        let mut excluded = read::read_excluded(&dir.join(&manifest.excluded))?;
        let tables = manifest
            .tables
            .iter()
            .map(|t| {
                let spec = table_named(&t.table)
                    .ok_or_else(|| Error::input(&dir, format!("unknown table {}", t.table)))?;
                let lines = excluded.remove(t.table.as_str()).unwrap_or_default();
                let rejected = t.rejected_own + t.rejected_cross;
                let left_out: u64 = t.source.left_out.values().sum();
                Ok(StoredTable {
                    spec,
                    source: Source {
                        file: t.source.file.clone(),
                        path: t.source.path.as_ref().map(PathBuf::from),
                        format: t.source.format,
                        encoding: t.source.encoding.clone(),
                        bytes: t.source.bytes,
                        sha256: Some(t.source.sha256.clone()),
                        left_out: t.source.left_out.clone(),
                    },
                    sha256: t.source.sha256.clone(),
                    parquet: dir.join(&t.parquet),
                    tally: Tally {
                        read: t.read,
                        accepted: t.read.saturating_sub(rejected + left_out),
                        rejected,
                        left_out,
                    },
                    excluded: lines,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Store {
            dir,
            manifest,
            tables,
            data: options.data.clone(),
            notes,
            _lock: lock,
            _temporary: temporary,
        })
    }

    /// The export folder as the user named it, else the one the store was checked from,
    /// else the store itself.
    pub fn data_folder(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(|| {
            self.manifest
                .data
                .as_ref()
                .map_or_else(|| self.dir.clone(), PathBuf::from)
        })
    }

    /// A table of the store as the rules across tables read it.
    fn rows<'a>(&'a self, table: &'a StoredTable, entry: &'a TableEntry) -> StoredRows<'a> {
        StoredRows {
            spec: table.spec,
            file: &table.source.file,
            path: table.parquet.clone(),
            rejected: self.dir.join(&entry.rejected),
            rejected_keys: &entry.rejected_keys,
            duplicates: &[],
        }
    }

    /// Checks a scope given with `--region`: 2, 5 or 10 digits, and a 시도, 시군구 or 읍면동
    /// code that exists in the regions table.
    pub fn check_scope(&self, code: &str) -> Result<String, Error> {
        if !code.bytes().all(|b| b.is_ascii_digit()) || RegionLevel::of_code(code).is_none() {
            return Err(Error::Usage(format!(
                "--region {code}: a region is a 2-digit 시도, 5-digit 시군구 or 10-digit 읍면동 code"
            )));
        }
        if !self.has_region(code)? {
            return Err(Error::Usage(format!(
                "--region {code}: no such region in {}",
                self.table("regions")
                    .map_or("the regions", |t| t.source.file.as_str())
            )));
        }
        Ok(code.to_string())
    }

    /// Whether some 읍면동 code of the regions starts with `code`.
    pub fn has_region(&self, code: &str) -> Result<bool, Error> {
        use datafusion::arrow::array::AsArray;
        let (Some(table), Some(entry)) = (self.table("regions"), self.manifest.table("regions"))
        else {
            return Ok(false);
        };
        let rows = self.rows(table, entry);
        let mut found = false;
        rows.scan(&["emd_code"], &mut |batch| {
            let codes = batch
                .column_by_name("emd_code")
                .expect("scanned")
                .as_string::<i32>();
            found |= codes.iter().flatten().any(|c| c.starts_with(code));
        })?;
        Ok(found)
    }

    /// The accepted rows of a table in the order of its file, without the line column: for
    /// tools that want the checked table whole (it is small, or they asked for it).
    pub fn read_rows(&self, name: &str) -> Result<Option<RecordBatch>, Error> {
        let Some(table) = self.table(name) else {
            return Ok(None);
        };
        read::read_rows(table.spec, &table.parquet, &table.excluded).map(Some)
    }

    /// The regions' history with its successors: derived from the regions, with the export's
    /// `successors` laid over them.
    pub fn history(&self) -> Result<crate::geography::History, Error> {
        use crate::geography::{History, regions_of, successors_of};
        let regions = self
            .read_rows("regions")?
            .map(|b| regions_of(&b))
            .unwrap_or_default();
        let given = self
            .read_rows("successors")?
            .map(|b| successors_of(&b))
            .unwrap_or_default();
        Ok(History::new(regions, &given))
    }

    pub fn table(&self, name: &str) -> Option<&StoredTable> {
        self.tables.iter().find(|t| t.spec.name == name)
    }

    pub fn rejected(&self) -> u64 {
        self.tables.iter().map(|t| t.tally.rejected).sum()
    }

    /// Every problem of the store in file order, tables in the contract's order, with the
    /// `future date` warnings of `today`; listed up to `cap` per rule, column and file.
    pub fn problems(&self, today: i32, cap: Option<u64>) -> Result<ProblemLog, Error> {
        let mut log = ProblemLog::new(cap);
        let cross = read_problems(&self.dir.join(&self.manifest.cross))?;
        for (table, entry) in self.tables.iter().zip(&self.manifest.tables) {
            let own = read_problems(&self.dir.join(&entry.problems))?;
            let rows = self.rows(table, entry);
            let future = cross::future_dates(&rows, &table.excluded, today)?;
            // A row's own problems, then its foreign keys, then its warnings.
            let rank = |p: &Problem, own: bool| match (own, p.severity, p.rule.as_str()) {
                (true, ..) => 0,
                (false, Severity::Error, _) => 1,
                (false, _, "future date") => 2,
                _ => 3,
            };
            let mut all: Vec<(u64, u8, Problem)> = Vec::new();
            all.extend(own.into_iter().map(|(_, p)| (p.line, rank(&p, true), p)));
            all.extend(
                cross
                    .iter()
                    .filter(|(t, _)| t == table.spec.name)
                    .map(|(_, p)| (p.line, rank(p, false), p.clone())),
            );
            all.extend(future.into_iter().map(|p| (p.line, rank(&p, false), p)));
            all.sort_by_key(|(line, rank, _)| (*line, *rank));
            for (_, _, mut problem) in all {
                // The file as named this time, which may be another path to the same folder.
                problem.file.clone_from(&table.source.file);
                log.push(problem);
            }
        }
        Ok(log)
    }
}
