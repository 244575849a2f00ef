//! Takes the SQL files of `queries/` (compiled into the binary) and gives the figure
//! catalogue: each figure's text, the tables it needs, its level, its periods, the column
//! that keys its rows and its columns' classes for publication, and the prelude's views.
//! Nothing here knows the query engine.

pub mod cells;

use crate::diagnostics::Error;
use crate::geography::Geography;
use crate::period::{Period, days};
use crate::region::RegionLevel;

pub use cells::FigureCells;

/// The successors in effect, every level, as `hubstat sql` shows them.
pub const REGION_SUCCESSORS: &str = "region_successors";

/// The column of every figure that names its row's region.
pub const REGION_NAME: &str = "region_name";

/// Columns that name a row's region rather than give a value of the figure.
pub const NAME_COLUMNS: [&str; 2] = [REGION_NAME, "sgg_name"];

/// A SQL file of `queries/`, compiled into the binary.
#[derive(Debug)]
pub struct QueryFile {
    pub name: &'static str,
    pub file: &'static str,
    pub text: &'static str,
    /// Optional tables the figure cannot do without.
    pub needs: &'static [&'static str],
    /// The level the figure is always computed at, whatever is asked (a list of teams).
    pub fixed_level: Option<RegionLevel>,
    /// What `periods` holds: the period itself, or the quarters ending with its last one.
    pub over: Over,
    /// The column past the region that tells the figure's rows apart, where it has one.
    pub row_key: Option<&'static str>,
}

/// The periods a figure is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    Period,
    /// This many quarters, ending with the quarter that holds E.
    Quarters(u32),
}

impl QueryFile {
    /// The first line of the header comment: the Korean and English title.
    pub fn title(&self) -> &'static str {
        self.text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("--"))
            .map_or("", str::trim)
    }

    /// The periods the figure's `periods` table holds when `period` is asked, in order.
    pub fn periods(&self, period: Period) -> Vec<Period> {
        match self.over {
            Over::Period => vec![period],
            Over::Quarters(n) => (0..n)
                .rev()
                .map(|back| period.quarters_back(back))
                .collect(),
        }
    }

    /// The first period the figure covers when `period` is asked.
    pub fn first_period(&self, period: Period) -> Period {
        match self.over {
            Over::Period => period,
            Over::Quarters(n) => period.quarters_back(n - 1),
        }
    }

    /// What the header declares of the figure's columns for publication.
    pub fn cells(&self) -> Result<FigureCells, Error> {
        cells::of(self)
    }
}

macro_rules! query_file {
    ($name:literal, $needs:expr) => {
        query_file!($name, $needs, None, Over::Period, None)
    };
    ($name:literal, $needs:expr, $level:expr, $over:expr, $key:expr) => {
        QueryFile {
            name: $name,
            file: concat!("queries/", $name, ".sql"),
            text: include_str!(concat!("../../queries/", $name, ".sql")),
            needs: $needs,
            fixed_level: $level,
            over: $over,
            row_key: $key,
        }
    };
}

/// The shared views every figure is written over.
pub static PRELUDE: QueryFile = query_file!("_prelude", &[]);

/// The figure catalogue, in the order of the specification.
pub static FIGURES: [QueryFile; 10] = [
    query_file!("coverage", &[]),
    query_file!("staffing", &[]),
    query_file!("visits", &[]),
    query_file!("service_links", &[]),
    query_file!("case_management", &["cases", "case_meetings"]),
    query_file!("discoveries", &["discoveries"]),
    query_file!("team_standard", &[]),
    query_file!(
        "teams_below_standard",
        &[],
        Some(RegionLevel::Emd),
        Over::Period,
        Some("team_id")
    ),
    query_file!("targets", &["targets"], None, Over::Period, Some("metric")),
    query_file!("trend", &[], None, Over::Quarters(8), Some("quarter")),
];

/// Whether a figure's column is internal (the households behind a count, a complement
/// printed nowhere): read by the disclosure stage, never output.
pub fn internal_column(name: &str) -> bool {
    name.contains("__")
}

pub fn figure(name: &str) -> Option<&'static QueryFile> {
    FIGURES.iter().find(|f| f.name == name)
}

/// The figure of that name, or a usage error that lists them.
pub fn figure_named(name: &str) -> Result<&'static QueryFile, Error> {
    figure(name).ok_or_else(|| {
        let names: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
        Error::Usage(format!(
            "no figure named `{name}`; the figures are {}",
            names.join(", ")
        ))
    })
}

/// The names of the figures' views, in order.
pub fn view_names() -> Vec<&'static str> {
    prelude_views().into_iter().map(|(name, _)| name).collect()
}

/// Named views of the prelude, in order, each with its SQL.
pub fn prelude_views() -> Vec<(&'static str, &'static str)> {
    let mut views = Vec::new();
    for chunk in PRELUDE.text.split("\n-- view: ").skip(1) {
        let (name, sql) = chunk.split_once('\n').expect("a view name line");
        views.push((name.trim(), sql.trim().trim_end_matches(';')));
    }
    views
}

/// What a figure is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub period: Period,
    pub level: RegionLevel,
    /// A region code prefix; `None` for every region.
    pub scope: Option<String>,
    /// How regions are keyed.
    pub geography: Geography,
}

impl Params {
    /// The day whose regions figures are keyed by; `None` as recorded.
    pub fn geography_day(&self) -> Option<i32> {
        self.geography.day(days(self.period.end()))
    }
}
