//! Takes a level name or a region code from the user and gives a `RegionLevel` or a checked
//! scope: the levels figures are grouped by and the region codes that narrow them.

use std::fmt;

use crate::diagnostics::Error;
use crate::store::Store;

/// The level a figure is grouped by, from the top (national) down (emd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum RegionLevel {
    /// One row: 00 전국.
    National,
    /// 시도 (2-digit codes).
    Sido,
    /// 시군구 (5-digit codes).
    Sgg,
    /// 읍면동 (10-digit codes).
    Emd,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::National => "national",
            RegionLevel::Sido => "sido",
            RegionLevel::Sgg => "sgg",
            RegionLevel::Emd => "emd",
        }
    }

    /// The level whose codes have `digits` digits.
    pub fn of_code(code: &str) -> Option<RegionLevel> {
        match code.len() {
            2 => Some(RegionLevel::Sido),
            5 => Some(RegionLevel::Sgg),
            10 => Some(RegionLevel::Emd),
            _ => None,
        }
    }
}

impl fmt::Display for RegionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a scope given with `--region`: 2, 5 or 10 digits, and a 시도, 시군구 or 읍면동
/// code that exists in the regions table.
pub fn check_scope(code: &str, store: &Store) -> Result<String, Error> {
    if !code.bytes().all(|b| b.is_ascii_digit()) || RegionLevel::of_code(code).is_none() {
        return Err(Error::Usage(format!(
            "--region {code}: a region is a 2-digit 시도, 5-digit 시군구 or 10-digit 읍면동 code"
        )));
    }
    if !store.has_region(code)? {
        return Err(Error::Usage(format!(
            "--region {code}: no such region in {}",
            store
                .table("regions")
                .map_or("the regions", |t| t.source.file.as_str())
        )));
    }
    Ok(code.to_string())
}
