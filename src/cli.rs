//! Takes the command line and gives the command to run, with its options (clap derive).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::load::Encoding;
use crate::period::parse_cli_date;

#[derive(Debug, Parser)]
#[command(
    name = "hubstat",
    version,
    about = "Figures and reports of the 읍면동 복지허브화 programme from exported case data",
    long_about = None,
    after_help = "Exit codes: 0 success, 1 data problems found, 2 usage, configuration, query or I/O error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an export folder against the data contract and list every problem
    Check(CheckArgs),
}

/// Where the export is and how to read it: shared by every command that reads data.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// The export folder: one file per table (<table>.csv, .xlsx or .parquet)
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,

    /// Text encoding of CSV files
    #[arg(long, value_enum, default_value_t = Encoding::Auto)]
    pub encoding: Encoding,

    /// The day events after which are warned about [default: the system date]
    #[arg(long, value_name = "DATE", value_parser = parse_cli_date)]
    pub today: Option<NaiveDate>,
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
