//! Takes a level name or a region code and gives a `RegionLevel`, by its name or by the
//! level of its code: the levels figures are grouped by.

use std::fmt;

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
