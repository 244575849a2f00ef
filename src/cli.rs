//! Takes the command line and gives the command to run, with its options (clap derive).

use std::path::PathBuf;

use chrono::{NaiveDate, NaiveDateTime};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::geography::Geography;
use crate::load::Encoding;
use crate::output::OutputFormat;
use crate::period::{Period, parse_cli_date};
use crate::region::RegionLevel;
use crate::synth::SynthFormat;

/// The exit codes of every command, as `hubstat --help` shows them; the README holds the
/// same text (a test checks both). `crate::run` decides them, from what a command found.
pub const EXIT_CODES: &str = "\
Exit codes: 0 done, 1 data problems, 2 the command could not do its job.
  check           1: rows break rules of the data contract
  import          1: rows were rejected (the store holds the others)
  query, sql      1: rows are rejected in a table it reads (no --skip-invalid)
  report          1: as query, or what it would publish does not add up
  diff            1: the exports differ (rows rejected in either are a 2)
  regions import  1: rows of the file break rules (nothing is written)
  synth, list and store: 0 or 2 only
  every command   2: usage, configuration, SQL or I/O error, or an input
                  that cannot be used at all (no such folder, no required
                  table or column, a file that is not CSV, XLSX or Parquet)";

#[derive(Debug, Parser)]
#[command(
    name = "hubstat",
    version,
    about = "Figures and reports of the 읍면동 복지허브화 programme from exported case data",
    long_about = None,
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an export folder against the data contract and list every problem
    Check(CheckArgs),
    /// Compute one figure of the catalogue (see `hubstat list`)
    Query(QueryArgs),
    /// Run a read-only SQL query over the checked tables, or a shell of them (no query)
    Sql(SqlArgs),
    /// Make a report (workbook and chart images) from a template
    Report(ReportArgs),
    /// Generate a synthetic export calibrated to the published 2020 national figures
    Synth(SynthArgs),
    /// List the figures and report templates
    List(ListArgs),
    /// Check an export into a store of Parquet tables, or bring the store up to date
    Import(ImportArgs),
    /// Show or remove the stores kept under the cache folder
    Store(StoreArgs),
    /// Bring regions up to date from the official 행정기관코드 file
    Regions(RegionsArgs),
    /// Show what changed between two exports for a period: every figure value, then the
    /// rows behind the changes (exit 0: nothing changed, 1: something did, 2: trouble)
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier export: an export folder or a store
    #[arg(long, value_name = "DIR|STORE")]
    pub old: PathBuf,

    /// The later export: an export folder or a store; its regions and successors key both
    #[arg(long, value_name = "DIR|STORE")]
    pub new: PathBuf,

    #[command(flatten)]
    pub scope: ScopeArgs,

    /// Compare this figure only [default: every figure of the catalogue]
    #[arg(long, value_name = "NAME")]
    pub figure: Option<String>,

    /// List the rows behind the changes one by one, besides counting them per region
    #[arg(long)]
    pub rows: bool,

    /// Text encoding of CSV files
    #[arg(long, value_enum, default_value_t = Encoding::Auto)]
    pub encoding: Encoding,

    /// Memory joins, sorts and distinct counts may reserve before they spill (e.g. 2G)
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "2G")]
    pub memory_limit: usize,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RegionsArgs {
    #[command(subcommand)]
    pub command: RegionsCommand,
}

#[derive(Debug, Subcommand)]
pub enum RegionsCommand {
    /// Write a regions table in the contract's form (regions.csv) with the successors its
    /// history gives (successors.csv), from the official 행정기관코드 file as published
    /// (KIKcd_H.YYYYMMDD .xlsx or its fixed-width text) or a regions table
    Import(RegionsImportArgs),
}

#[derive(Debug, Args)]
pub struct RegionsImportArgs {
    /// The official file, or a regions table
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The folder regions.csv and successors.csv are written to
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Text encoding of a CSV regions table
    #[arg(long, value_enum, default_value_t = Encoding::Auto)]
    pub encoding: Encoding,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub command: StoreCommand,
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// List the kept stores: folder, export, tables, size
    List,
    /// Remove kept stores: those of the given export folders, or all of them
    Clean(CleanArgs),
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Export folders whose kept stores to remove [default: every kept store]
    #[arg(long = "data", value_name = "DIR")]
    pub data: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The folder the export is written to
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// First day of the export
    #[arg(long, value_name = "DATE", value_parser = parse_cli_date, default_value = "2018-01-01")]
    pub from: NaiveDate,

    /// Last day of the export
    #[arg(long, value_name = "DATE", value_parser = parse_cli_date, default_value = "2020-12-31")]
    pub to: NaiveDate,

    /// Volume of events relative to the nation (1.0: the published 2020 figures)
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,

    /// Seed of the generator: the same seed gives the same export
    #[arg(long, default_value_t = 2020)]
    pub seed: u64,

    /// File form of the tables
    #[arg(long, value_enum, default_value_t = SynthFormat::Csv)]
    pub format: SynthFormat,
}

/// Where the export is and how to read it: shared by every command that reads data.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// The export folder: one file per table (<table>.csv, .xlsx or .parquet)
    #[arg(long, value_name = "DIR", required_unless_present = "store")]
    pub data: Option<PathBuf>,

    /// The checked store: kept up to date with --data, or read as it is without it
    /// [default with --data: one kept under the cache folder for that export]
    #[arg(long, value_name = "STORE")]
    pub store: Option<PathBuf>,

    /// Check the files on every run and keep no store
    #[arg(long, requires = "data", conflicts_with = "store")]
    pub no_store: bool,

    /// Text encoding of CSV files
    #[arg(long, value_enum, default_value_t = Encoding::Auto)]
    pub encoding: Encoding,

    /// The regions to use instead of the folder's or the built-in ones: a regions table, or
    /// the official 행정기관코드 file as published (KIKcd_H.YYYYMMDD .xlsx or its text form)
    #[arg(long, value_name = "FILE", requires = "data")]
    pub regions: Option<PathBuf>,

    /// The day events after which are warned about [default: the system date]
    #[arg(long, value_name = "DATE", value_parser = parse_cli_date)]
    pub today: Option<NaiveDate>,
}

/// How figures are computed from the checked tables.
#[derive(Debug, Args, Clone)]
pub struct EngineArgs {
    /// Go on without rejected rows, saying how many were left out
    #[arg(long)]
    pub skip_invalid: bool,

    /// Memory joins, sorts and distinct counts may reserve before they spill to disk or
    /// fail (e.g. 512M, 4G); they reserve more than they touch, and decoding the Parquet
    /// tables takes some besides
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "2G")]
    pub memory_limit: usize,
}

/// `1073741824`, `512M`, `2G` (powers of 1024; `MiB`, `GB` and the like are read alike).
fn parse_bytes(s: &str) -> Result<usize, String> {
    let bad = || format!("`{s}` is not a size: write 512M or 2G");
    let t = s.trim();
    let digits = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim().to_ascii_uppercase();
    let factor: f64 = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let bytes = number * factor;
    if !(1024.0 * 1024.0..1e15).contains(&bytes) {
        return Err(format!("`{s}`: give at least 1M"));
    }
    Ok(bytes as usize)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub data: DataArgs,

    /// Output form
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,

    /// Problems listed per rule, column and file (0: all); the rest are counted
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_problems: u64,
}

/// The period of a figure: a named period or two dates.
#[derive(Debug, Args, Clone)]
pub struct PeriodArgs {
    /// A quarter (2020Q4), a month (2020-11) or a year (2020)
    #[arg(long, value_name = "PERIOD", conflicts_with_all = ["from", "to"])]
    pub period: Option<Period>,

    /// First day of an explicit period (inclusive)
    #[arg(long, value_name = "DATE", value_parser = parse_cli_date, requires = "to")]
    pub from: Option<NaiveDate>,

    /// Last day of an explicit period (inclusive)
    #[arg(long, value_name = "DATE", value_parser = parse_cli_date, requires = "from")]
    pub to: Option<NaiveDate>,
}

/// The period, level and region figures are asked for.
#[derive(Debug, Args, Clone)]
pub struct ScopeArgs {
    #[command(flatten)]
    pub period: PeriodArgs,

    /// The level rows are grouped by
    #[arg(long, value_enum, default_value_t = RegionLevel::National)]
    pub level: RegionLevel,

    /// Keep the 읍면동 whose code starts with this 시도 (2), 시군구 (5) or 읍면동 (10) code
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,
}

/// What a figure is computed for, and how its regions are keyed.
#[derive(Debug, Args, Clone)]
pub struct FigureArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,

    /// Key regions by the codes as recorded, or by the regions in force on the period's last
    /// day (end) or on a day (YYYY-MM-DD), following re-issued codes to their successors
    #[arg(long, value_name = "GEOGRAPHY", default_value = "recorded")]
    pub geography: Geography,
}

/// Where and how a result table is written.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output form [default: from --out's extension; else a table on a terminal, CSV otherwise]
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Write to this file (whole or not at all) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The figure: coverage, staffing, visits, service_links, case_management, discoveries,
    /// team_standard, teams_below_standard, targets or trend
    pub name: String,

    #[command(flatten)]
    pub data: DataArgs,

    #[command(flatten)]
    pub figure: FigureArgs,

    #[command(flatten)]
    pub engine: EngineArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Withhold small counts of households (null, with a `<column>_flag` column of X or -)
    /// and what would give them back within this table. Without it the true values are
    /// printed: ad-hoc SQL and tables taken apart from their report cannot be made safe by
    /// suppression, so hand out reports, not these tables
    #[arg(long)]
    pub sdc: bool,

    /// With --sdc, k: a count behind 1 to k−1 households is withheld (2 to 10)
    #[arg(long, value_name = "K", default_value = "3", value_parser = clap::value_parser!(i64).range(2..=10), requires = "sdc")]
    pub min_households: i64,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The template: report-templates/NAME.toml (quarterly, city-progress, or your own)
    pub name: String,

    #[command(flatten)]
    pub data: DataArgs,

    #[command(flatten)]
    pub period: PeriodArgs,

    /// The report's region: a 시도 (2 digits) or 시군구 (5 digits) code
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,

    /// Key every column, comparison and trend quarter by the regions in force on the
    /// period's last day (end), on a day (YYYY-MM-DD), or by the codes as recorded
    #[arg(long, value_name = "GEOGRAPHY", default_value = "end")]
    pub geography: Geography,

    /// One pack per region of this level, within --region when given, from one load of the
    /// data, with an index workbook of the packs
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub each: Option<Each>,

    /// The folder the workbook and charts/ are written to
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Where templates are looked for before the built-in ones
    #[arg(long, value_name = "DIR", default_value = "report-templates")]
    pub templates: PathBuf,

    /// The generation time written in the report [default: SOURCE_DATE_EPOCH, else now]
    #[arg(long, value_name = "TIME", value_parser = parse_generated_at)]
    pub generated_at: Option<NaiveDateTime>,

    #[command(flatten)]
    pub sdc: SdcArgs,

    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Small-cell suppression of a report (../shared/spec/disclosure.md).
#[derive(Debug, Args, Clone)]
pub struct SdcArgs {
    /// Suppress small counts of households and what would give them back (on), or not
    /// (off: every sheet and 자료 say 내부용 — 비밀보호 미적용; not for handing out)
    #[arg(long, value_enum, value_name = "ON|OFF", default_value = "on")]
    pub sdc: Sdc,

    /// k: a count behind 1 to k−1 households is not shown, 2 to 10 [default: the
    /// template's min_households, else 3]
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(i64).range(2..=10))]
    pub min_households: Option<i64>,

    /// How strongly a small count is protected [default: the template's, else interval]
    #[arg(long, value_enum, value_name = "HOW")]
    pub protection: Option<crate::template::ProtectionSpec>,

    /// Also write the statistician's audit (JSON, mode 0600, never inside a workbook): each
    /// hidden cell with its true value, households, interval and relations
    #[arg(long, value_name = "FILE.json")]
    pub sdc_report: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Sdc {
    On,
    Off,
}

/// The level `report --each` writes a pack per region of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Each {
    /// One pack per 시도
    Sido,
    /// One pack per 시군구
    Sgg,
}

impl Each {
    pub fn level(self) -> RegionLevel {
        match self {
            Each::Sido => RegionLevel::Sido,
            Each::Sgg => RegionLevel::Sgg,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Where templates are looked for besides the built-in ones
    #[arg(long, value_name = "DIR", default_value = "report-templates")]
    pub templates: PathBuf,
}

/// `2020-10-05T09:00:00Z`, `2020-10-05T09:00:00` or `2020-10-05 09:00:00`, taken as UTC.
fn parse_generated_at(s: &str) -> Result<NaiveDateTime, String> {
    let trimmed = s.trim_end_matches('Z');
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(trimmed, f).ok())
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.naive_utc())
        })
        .ok_or_else(|| format!("`{s}` is not a time: write 2020-10-05T09:00:00Z"))
}

/// Prints the true values of the store: ad-hoc SQL cannot be made safe by small-cell
/// suppression, so what it prints is for those allowed to see case data.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The query text (or use --file); with neither, statements are read from standard
    /// input: an interactive shell on a terminal, a script from a pipe
    #[arg(conflicts_with = "file")]
    pub query: Option<String>,

    /// Read the query from this file
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Option<PathBuf>,

    #[command(flatten)]
    pub data: DataArgs,

    /// With a period, the figures' views (level_regions, teams_active, ...) and parameters
    /// ($start, $end, $as_of, $level, $scope, $year, $year_start) are bound too
    #[command(flatten)]
    pub figure: FigureArgs,

    #[command(flatten)]
    pub engine: EngineArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}
