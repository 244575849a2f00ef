//! Takes a store folder and gives its manifest: what each table was checked from, where its
//! Parquet files are, its tallies; written aside and swapped in whole.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Error;
use crate::load::Format;
use crate::output::temp_file_in;

/// The layout of the store's files; a store of another version is checked again from its
/// export.
pub const STORE_FORMAT: u32 = 3;

/// The version of `data-contract.md` the checks follow.
pub const CONTRACT_VERSION: &str = "1.1";

pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub store_format: u32,
    pub contract: String,
    pub hubstat: String,
    /// The export folder the tables were checked from, when there was one.
    pub data: Option<String>,
    /// The `--encoding` the CSV files were read with.
    pub encoding: String,
    /// Where the regions came from: the built-in history or a file, with its hash.
    pub regions: RegionsSource,
    /// One entry per table present, in the contract's order.
    pub tables: Vec<TableEntry>,
    /// The problems of the rules across tables (foreign keys, parent rejected, the warnings
    /// that depend on other tables), for every table, as a Parquet file of the store.
    pub cross: String,
    /// The lines of the rows those rules rejected, by table, as a Parquet file of the store.
    pub excluded: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionsSource {
    /// `built-in` or the file's path.
    pub source: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableEntry {
    pub table: String,
    pub source: SourceEntry,
    /// The rows that keep their table's own rules, with their `_line`: a Parquet file of the
    /// store, row groups split by quarter of the table's main date.
    pub parquet: String,
    /// The problems of the table's own rules, uncapped, as a Parquet file of the store.
    pub problems: String,
    /// The foreign keys of the rows rejected by the table's own rules, for their problems
    /// across tables: a Parquet file of the store.
    pub rejected: String,
    /// The lines of the rows of `parquet` that repeat an earlier row's unique key, rejected
    /// by the table's own rules: a Parquet file of the store.
    pub duplicates: String,
    /// Rows read, and rows rejected by the table's own rules (those of `duplicates` too).
    pub read: u64,
    pub rejected_own: u64,
    /// Rows of `parquet` rejected by the rules across tables.
    pub rejected_cross: u64,
    /// Column → values of rejected rows that children may refer to.
    pub rejected_keys: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    /// The path as the user gave it; `(built-in regions)` for the built-in reference.
    pub file: String,
    /// The absolute path, to find the file again.
    pub path: Option<String>,
    pub format: Format,
    pub encoding: Option<String>,
    pub bytes: u64,
    /// Modification time in nanoseconds since 1970, as the file system gave it.
    pub modified_ns: Option<i128>,
    pub sha256: String,
    /// Rows of the official code file that are not 읍면동, by reason.
    pub left_out: BTreeMap<String, u64>,
}

/// Why a store's manifest cannot be used as it is: the store is made again from its export.
#[derive(Debug, Clone, PartialEq)]
pub enum Unusable {
    Missing,
    /// Not a manifest this hubstat can read: cut short, edited, or not JSON.
    Damaged(String),
    /// Written by another version of hubstat, of the store's layout or of the contract.
    OtherVersion,
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::Missing => write!(f, "the store has no {MANIFEST}"),
            Unusable::Damaged(reason) => write!(f, "the store is damaged ({MANIFEST}: {reason})"),
            Unusable::OtherVersion => write!(f, "the store was made by another version of hubstat"),
        }
    }
}

impl Manifest {
    /// The manifest of `dir`, or why there is none that can be used.
    pub fn read(dir: &Path) -> Result<Result<Manifest, Unusable>, Error> {
        let path = dir.join(MANIFEST);
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Err(Unusable::Missing));
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        /// The fields every version of the manifest has.
        #[derive(Deserialize)]
        struct Versions {
            store_format: u32,
            contract: String,
            hubstat: String,
        }
        let damaged = |e: serde_json::Error| Ok(Err(Unusable::Damaged(e.to_string())));
        let versions = match serde_json::from_slice::<Versions>(&text) {
            Ok(versions) => versions,
            Err(e) => return damaged(e),
        };
        if versions.store_format != STORE_FORMAT
            || versions.contract != CONTRACT_VERSION
            || versions.hubstat != env!("CARGO_PKG_VERSION")
        {
            return Ok(Err(Unusable::OtherVersion));
        }
        match serde_json::from_slice::<Manifest>(&text) {
            Ok(manifest) => Ok(Ok(manifest)),
            Err(e) => damaged(e),
        }
    }

    /// Writes the manifest aside and renames it over the old one: a reader or a crash sees
    /// the old manifest or the new, never half of one.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        use std::io::Write;
        let path = dir.join(MANIFEST);
        let mut text = serde_json::to_string_pretty(self).expect("a manifest serializes");
        text.push('\n');
        let mut temp = temp_file_in(dir, ".json")?;
        temp.write_all(text.as_bytes())
            .and_then(|_| temp.as_file().sync_all())
            .map_err(|e| Error::io(&path, e))?;
        temp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        Ok(())
    }

    pub fn table(&self, name: &str) -> Option<&TableEntry> {
        self.tables.iter().find(|t| t.table == name)
    }

    /// Every file of the store the manifest refers to.
    pub fn files(&self) -> BTreeSet<String> {
        let mut files: BTreeSet<String> = self
            .tables
            .iter()
            .flat_map(|t| {
                [
                    t.parquet.clone(),
                    t.problems.clone(),
                    t.rejected.clone(),
                    t.duplicates.clone(),
                ]
            })
            .collect();
        files.insert(self.cross.clone());
        files.insert(self.excluded.clone());
        files
    }
}
