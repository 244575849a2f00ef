//! Turns two tables of fixtures/sample from CSV into the other forms an export comes in:
//! `cases.csv` → `cases.xlsx` and `service_links.csv` → `service_links.parquet`.
//! Run after `python3 fixtures/make_sample.py`: `cargo run --example sample_forms`.

use std::path::Path;

use hubstat::load::Encoding;
use hubstat::output::{ResultTable, to_parquet, to_xlsx, write_atomically};
use hubstat::store::{Store, StoreOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = Path::new("fixtures/sample");
    let store = Store::open(&StoreOptions {
        data: Some(folder.to_path_buf()),
        store: None,
        no_store: true,
        encoding: Encoding::Auto,
        regions: None,
        progress: hubstat::progress::Progress::new(false),
    })?;
    if store.rejected() > 0 {
        return Err("the sample has rejected rows: run hubstat check on it".into());
    }
    for (name, xlsx) in [("cases", true), ("service_links", false)] {
        let rows = store
            .read_rows(name)?
            .ok_or("table missing from the sample")?;
        let table = ResultTable {
            schema: rows.schema(),
            batches: vec![rows],
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
