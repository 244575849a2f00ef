//! Takes an export folder and gives where its store is kept when none is named: under the
//! user's cache folder, apart from anything else hubstat keeps there; lists the kept stores.

use std::fs;
use std::path::{Path, PathBuf};

use super::manifest::{MANIFEST, Manifest};
use crate::diagnostics::Error;

/// `$XDG_CACHE_HOME/hubstat/stores`, else `~/.cache/hubstat/stores`.
pub(super) fn stores_root() -> Result<PathBuf, Error> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or_else(|| {
            Error::Usage(
                "no cache folder for the default store (neither XDG_CACHE_HOME nor HOME is set): give --store DIR or --no-store"
                    .into(),
            )
        })?;
    Ok(cache.join("hubstat").join("stores"))
}

/// The store kept for the export folder `data`: named by the folder's name and a hash of its
/// absolute path, so that two folders of one name keep two stores.
pub fn default_store_dir(data: &Path) -> Result<PathBuf, Error> {
    let absolute = fs::canonicalize(data).map_err(|e| Error::io(data, e))?;
    let hash = super::bytes_sha256(absolute.as_os_str().as_encoded_bytes());
    let name: String = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    Ok(stores_root()?.join(format!("{name}-{}", &hash[..16])))
}

/// A store kept under the cache folder.
#[derive(Debug)]
pub struct KeptStore {
    pub dir: PathBuf,
    /// The export folder it was checked from, when its manifest says.
    pub data: Option<String>,
    pub bytes: u64,
    pub tables: usize,
}

fn size_of(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        match entry.metadata() {
            Ok(m) if m.is_dir() => total += size_of(&entry.path()),
            Ok(m) => total += m.len(),
            Err(_) => {}
        }
    }
    total
}

/// Every store kept under the cache folder, by folder name.
pub fn kept_stores() -> Result<Vec<KeptStore>, Error> {
    let root = stores_root()?;
    let mut stores = Vec::new();
    let entries = match fs::read_dir(&root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(stores),
        Err(e) => return Err(Error::io(&root, e)),
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.join(MANIFEST).is_file() {
            continue;
        }
        let manifest = Manifest::read(&dir).ok().and_then(Result::ok);
        stores.push(KeptStore {
            bytes: size_of(&dir),
            data: manifest.as_ref().and_then(|m| m.data.clone()),
            tables: manifest.as_ref().map_or(0, |m| m.tables.len()),
            dir,
        });
    }
    stores.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(stores)
}
