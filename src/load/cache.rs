//! Takes an export folder's files and gives its checked tables from a cache of earlier runs,
//! or stores them there: Parquet files of the accepted rows, under a key made of the content
//! (SHA-256) of every input file and every option that changes what the checks accept.
//! An entry keeps the accepted rows and the tallies (rows read, accepted, rejected), not the
//! problems: commands that compute figures need no more; `check` always reads the files.

use std::fs;
use std::path::{Path, PathBuf};

use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Format, LoadOptions, LoadedTable, Source};
use crate::check::{CheckedTable, Tally};
use crate::contract::TABLES;
use crate::diagnostics::Error;

/// What the cache keeps beside each table's rows.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    table: String,
    file: String,
    format: Format,
    encoding: Option<String>,
    bytes: u64,
    sha256: String,
    read: u64,
    accepted: u64,
    rejected: u64,
}

const ENCODINGS: [&str; 3] = ["UTF-8", "UTF-8 (BOM)", "CP949"];

/// SHA-256 of a file's content, streamed.
pub fn file_sha256(path: &Path) -> Result<String, Error> {
    use std::io::Read;
    let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
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

/// The SHA-256 of every input file, side by side on every core, in contract order.
pub fn hashes(files: &[Option<PathBuf>]) -> Result<Vec<Option<String>>, Error> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|f| scope.spawn(move || f.as_deref().map(file_sha256).transpose()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("hashing does not panic"))
            .collect()
    })
}

/// The folder of one export's cache entry.
pub fn entry_dir(cache: &Path, options: &LoadOptions, hashes: &[Option<String>]) -> PathBuf {
    let mut key = Sha256::new();
    key.update(env!("CARGO_PKG_VERSION"));
    // The rules themselves, so that a build that checks differently never reuses an entry.
    key.update(include_str!("../contract.rs"));
    key.update(include_str!("../check/mod.rs"));
    key.update(include_str!("../check/known.rs"));
    key.update(format!("{:?}", options.encoding));
    key.update(bytes_sha256(super::BUILT_IN_REGIONS));
    for (table, hash) in TABLES.iter().zip(hashes) {
        key.update(format!(
            "|{}={}",
            table.name,
            hash.as_deref().unwrap_or("-")
        ));
    }
    cache.join(format!("{:x}", key.finalize()))
}

/// The tables of a cache entry, or `None` when there is none (or it cannot be read whole).
pub fn read(dir: &Path) -> Option<Vec<LoadedTable>> {
    let manifest = fs::read_to_string(dir.join("manifest.json")).ok()?;
    let entries: Vec<Entry> = serde_json::from_str(&manifest).ok()?;
    let mut tables = Vec::new();
    for entry in entries {
        let spec = *TABLES.iter().find(|t| t.name == entry.table)?;
        let file = fs::File::open(dir.join(format!("{}.parquet", entry.table))).ok()?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).ok()?;
        let schema = builder.schema().clone();
        let batches = builder
            .with_batch_size(64 * 1024)
            .build()
            .ok()?
            .collect::<Result<Vec<_>, _>>()
            .ok()?;
        let path = (entry.format != Format::BuiltIn).then(|| PathBuf::from(&entry.file));
        tables.push(LoadedTable {
            source: Source {
                file: entry.file,
                path,
                format: entry.format,
                encoding: entry
                    .encoding
                    .and_then(|e| ENCODINGS.iter().find(|k| **k == e).copied()),
                bytes: entry.bytes,
                sha256: Some(entry.sha256),
            },
            table: CheckedTable {
                spec,
                schema,
                batches,
                tally: Tally {
                    read: entry.read,
                    accepted: entry.accepted,
                    rejected: entry.rejected,
                },
            },
        });
    }
    Some(tables)
}

/// Stores the tables of a clean load; written to a temporary folder renamed when complete.
pub fn write(dir: &Path, tables: &[LoadedTable]) -> Result<(), Error> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let temp = tempfile::Builder::new()
        .prefix(".hubstat-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    let mut entries = Vec::new();
    for t in tables {
        let path = temp.path().join(format!("{}.parquet", t.table.spec.name));
        let file = fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let fail = |e: parquet::errors::ParquetError| {
            Error::query(format!("writing {}", path.display()), e)
        };
        let mut writer =
            ArrowWriter::try_new(file, t.table.schema.clone(), Some(properties)).map_err(fail)?;
        for batch in &t.table.batches {
            writer.write(batch).map_err(fail)?;
        }
        writer.close().map_err(fail)?;
        entries.push(Entry {
            table: t.table.spec.name.to_string(),
            file: t.source.file.clone(),
            format: t.source.format,
            encoding: t.source.encoding.map(str::to_string),
            bytes: t.source.bytes,
            sha256: t.source.sha256.clone().unwrap_or_default(),
            read: t.table.tally.read,
            accepted: t.table.tally.accepted,
            rejected: t.table.tally.rejected,
        });
    }
    let manifest = serde_json::to_string_pretty(&entries).expect("entries serialize");
    let path = temp.path().join("manifest.json");
    fs::write(&path, manifest).map_err(|e| Error::io(&path, e))?;
    let kept = temp.keep();
    if fs::rename(&kept, dir).is_err() {
        // Another run stored the same entry first: theirs is as good as ours.
        let _ = fs::remove_dir_all(&kept);
    }
    Ok(())
}
