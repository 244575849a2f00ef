//! Turns two tables of fixtures/sample from CSV into the other forms an export comes in:
//! `cases.csv` → `cases.xlsx` and `service_links.csv` → `service_links.parquet`.
//! Run after `python3 fixtures/make_sample.py`: `cargo run --example sample_forms`.

use std::path::Path;

use hubstat::load::{Dataset, Encoding, LoadOptions};
use hubstat::output::{ResultTable, to_parquet, to_xlsx, write_atomically};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = Path::new("fixtures/sample");
    let dataset = Dataset::load(&LoadOptions {
        data: folder.to_path_buf(),
        encoding: Encoding::Auto,
        today: hubstat::period::parse_date("2021-01-01").expect("a date"),
        max_problems: Some(0),
        progress: hubstat::progress::Progress::new(false),
        cache: None,
    })?;
    dataset.require_clean(false)?;
    for (name, xlsx) in [("cases", true), ("service_links", false)] {
        let loaded = dataset.table(name).ok_or("table missing from the sample")?;
        let table = ResultTable {
            schema: loaded.table.schema.clone(),
            batches: loaded.table.batches.clone(),
        };
        let (bytes, file) = if xlsx {
            (to_xlsx(&table, name)?, format!("{name}.xlsx"))
        } else {
            (to_parquet(&table)?, format!("{name}.parquet"))
        };
        write_atomically(&folder.join(&file), &bytes)?;
        std::fs::remove_file(folder.join(format!("{name}.csv")))?;
        println!("wrote {}", folder.join(file).display());
    }
    Ok(())
}
