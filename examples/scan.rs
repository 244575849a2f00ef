//! The benchmark's floor: a bare DataFusion scan of an export folder, `count(*)` of every
//! table file, with no checking. `cargo run --release --example scan -- DIR`.

use std::time::Instant;

use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionContext};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: scan DIR")?;
    let ctx = SessionContext::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    let started = Instant::now();
    let mut total = 0i64;
    for path in names {
        let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else {
            continue;
        };
        let table = stem.to_string_lossy().to_string();
        let file = path.to_string_lossy().to_string();
        match ext.to_str() {
            Some("csv") => {
                ctx.register_csv(&table, &file, CsvReadOptions::new())
                    .await?
            }
            Some("parquet") => {
                ctx.register_parquet(&table, &file, ParquetReadOptions::default())
                    .await?
            }
            _ => continue,
        }
        let batches = ctx
            .sql(&format!("SELECT count(*) FROM \"{table}\""))
            .await?
            .collect()
            .await?;
        let column = batches[0].column(0);
        let n = datafusion::arrow::array::AsArray::as_primitive::<
            datafusion::arrow::datatypes::Int64Type,
        >(column.as_ref())
        .value(0);
        total += n;
        println!("{table}\t{n}");
    }
    println!("total\t{total}\t{:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}
