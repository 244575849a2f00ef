//! Writes the bad-input fixtures that are not text: `fixtures/bad/fuzz-002/visits.xlsx` (a
//! date cell far outside Excel's calendar, which panicked inside calamine) and
//! `fixtures/bad/parquet-types/visits.parquet` (columns of types and values a Parquet
//! export can hold where text or dates are expected). `cargo run --example bad_forms`.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryArray, Date32Array, Float64Array, LargeStringArray, RecordBatch, StringArray,
    Time32SecondArray, TimestampMillisecondArray, UInt64Array,
};
use datafusion::arrow::datatypes::{Field, Schema};

/// The visits columns, as the contract names them.
fn visits_columns() -> Vec<&'static str> {
    hubstat::contract::VISITS
        .columns
        .iter()
        .map(|c| c.name)
        .collect()
}

fn xlsx(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    for (c, name) in visits_columns().iter().enumerate() {
        sheet.write_string(0, c as u16, *name)?;
    }
    let rows: [(&str, f64); 4] = [
        ("V1", 44013.0),
        ("V2", -1e300),
        ("V3", 1e300),
        ("V4", 2958466.0),
    ];
    for (r, (id, serial)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *id)?;
        sheet.write_string(r, 1, "2811051000")?;
        sheet.write_string(r, 2, "T1")?;
        sheet.write_string(r, 3, "H1")?;
        sheet.write_number_with_format(r, 4, *serial, &date)?;
        sheet.write_string(r, 5, "방문")?;
        sheet.write_string(r, 6, "노인")?;
    }
    workbook.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_creation_datetime(&rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 11, 23)?),
    );
    workbook.save(path)?;
    Ok(())
}

fn parquet(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(LargeStringArray::from(vec!["V1", "V2", "V3", "V4", "V5"])),
        // A code as an unsigned number past i64: kept whole as text, then a code problem.
        Arc::new(UInt64Array::from(vec![
            2811051000,
            2811051000,
            u64::MAX,
            2811051000,
            2811051000,
        ])),
        Arc::new(StringArray::from(vec![Some("T1"), None, None, None, None])),
        // Household ids as bytes: one not UTF-8.
        Arc::new(BinaryArray::from(vec![
            b"H1".as_slice(),
            b"H2",
            b"H3",
            b"H\xff4",
            b"H5",
        ])),
        // Dates as timestamps with a zone; one past Date32, one a day chrono cannot hold.
        Arc::new(
            TimestampMillisecondArray::from(vec![
                1_593_561_600_000,
                i64::MAX,
                1_593_561_600_000,
                1_593_561_600_000,
                1_593_561_600_000,
            ])
            .with_timezone("+09:00"),
        ),
        Arc::new(StringArray::from(vec![
            "방문", "방문", "방문", "방문", "방문",
        ])),
        Arc::new(StringArray::from(vec![
            "노인", "노인", "노인", "노인", "노인",
        ])),
        // Extra columns: a date past year 9999, a number that is not finite, a time of day.
        Arc::new(Date32Array::from(vec![0, 0, 0, 0, i32::MAX])),
        Arc::new(Float64Array::from(vec![
            1.5,
            f64::NAN,
            f64::INFINITY,
            0.0,
            1e300,
        ])),
        Arc::new(Time32SecondArray::from(vec![0, 3600, 7200, 86_399, 1])),
    ];
    let mut names = visits_columns();
    names.extend(["checked_on", "score", "time"]);
    let fields: Vec<Field> = names
        .iter()
        .zip(&columns)
        .map(|(n, c)| Field::new(*n, c.data_type().clone(), true))
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    let file = std::fs::File::create(path)?;
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bad = Path::new("fixtures/bad");
    xlsx(&bad.join("fuzz-002/visits.xlsx"))?;
    parquet(&bad.join("parquet-types/visits.parquet"))?;
    println!("wrote fixtures/bad/fuzz-002/visits.xlsx, fixtures/bad/parquet-types/visits.parquet");
    Ok(())
}
