//! Takes the first sheet of an XLSX (or legacy XLS) workbook and gives its header row and
//! each following row with the row number Excel shows; the official 행정기관코드 file is
//! recognised by its header and read as `regions`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::Path;

use calamine::{Data, DataType, Reader, Sheets, Xls, Xlsx};

use super::{Checker, official};
use crate::check::Cell;
use crate::check::raw::{Marks, Misfit, RawColumn, RawRows, Unfit};
use crate::diagnostics::Error;
use crate::period::{days, parse_date};

/// What a workbook turned out to be.
pub enum Read {
    /// A table in the contract's form.
    Table,
    /// The official 행정기관코드 file, with its rows left out by reason.
    Official(BTreeMap<String, u64>),
}

pub fn read(path: &Path, sink: &mut Checker) -> Result<Read, Error> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let workbook = match Xlsx::new(BufReader::new(file)) {
        Ok(x) => Sheets::Xlsx(x),
        Err(xlsx_error) => {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            match Xls::new(BufReader::new(file)) {
                Ok(x) => Sheets::Xls(x),
                Err(_) => return Err(not_workbook(path, &xlsx_error)),
            }
        }
    };
    read_sheets(workbook, path, sink)
}

/// Reads a workbook held in memory (the built-in regions).
pub fn read_bytes(bytes: &'static [u8], path: &Path, sink: &mut Checker) -> Result<Read, Error> {
    let workbook = Xlsx::new(Cursor::new(bytes)).map_err(|e| not_workbook(path, &e))?;
    read_sheets(Sheets::Xlsx(workbook), path, sink)
}

fn not_workbook(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::input(path, format!("not a valid XLSX or XLS workbook: {e}"))
}

fn read_sheets<RS: std::io::Read + std::io::Seek>(
    mut workbook: Sheets<RS>,
    path: &Path,
    sink: &mut Checker,
) -> Result<Read, Error> {
    let not_workbook = |e: &dyn std::fmt::Display| not_workbook(path, e);
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| Error::input(path, "the workbook has no sheet"))?
        .map_err(|e| not_workbook(&e))?;
    let Some((first_row, _)) = range.start() else {
        return Ok(Read::Table);
    };
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Ok(Read::Table);
    };
    let width = header
        .iter()
        .rposition(|d| !d.is_empty())
        .map_or(0, |i| i + 1);
    let names: Vec<String> = header[..width]
        .iter()
        .map(|d| cell(d).text().into_owned())
        .collect();
    if sink.takes_official() && official::is_official_header(&names) {
        let official = official::read_sheet(rows, first_row);
        return official::check(&official, sink).map(Read::Official);
    }
    sink.header(names)?;
    let mut stretch = Stretch::new(width);
    for (i, row) in rows.enumerate() {
        if row.iter().all(|d| d.is_empty()) {
            continue;
        }
        let mut cells: Vec<Cell> = row.iter().map(cell).collect();
        while cells.len() > width && cells.last() == Some(&Cell::Empty) {
            cells.pop();
        }
        // Excel numbers rows from 1 and the header is the range's first row.
        let excel_row = u64::from(first_row) + 2 + i as u64;
        stretch.push(excel_row, cells);
        if stretch.lines.len() == STRETCH_ROWS {
            sink.rows(&stretch.take())?;
        }
    }
    sink.rows(&stretch.take())?;
    Ok(Read::Table)
}

/// Rows checked at a time.
const STRETCH_ROWS: usize = 64 * 1024;

/// Rows gathered column by column.
struct Stretch<'a> {
    width: usize,
    lines: Vec<u64>,
    columns: Vec<Vec<Cell<'a>>>,
    misfits: Vec<Misfit>,
}

impl<'a> Stretch<'a> {
    fn new(width: usize) -> Stretch<'a> {
        Stretch {
            width,
            lines: Vec::new(),
            columns: vec![Vec::new(); width],
            misfits: Vec::new(),
        }
    }

    fn push(&mut self, line: u64, cells: Vec<Cell<'a>>) {
        if cells.len() == self.width {
            for (column, cell) in self.columns.iter_mut().zip(cells) {
                column.push(cell);
            }
            self.lines.push(line);
        } else {
            let text: Vec<String> = cells.iter().map(|c| c.text().into_owned()).collect();
            self.misfits.push(Misfit {
                line,
                unfit: Unfit::Fields(cells.len()),
                text: text.join(","),
            });
        }
    }

    fn take(&mut self) -> RawRows<'a> {
        let full = std::mem::replace(self, Stretch::new(self.width));
        RawRows {
            lines: full.lines,
            columns: full.columns.into_iter().map(RawColumn::Cells).collect(),
            misfits: full.misfits,
            marks: Marks::ANY,
        }
    }
}

pub(super) fn cell(data: &Data) -> Cell<'_> {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s),
        Data::Int(n) => Cell::Int(*n),
        Data::Float(x) => Cell::Float(*x),
        Data::Bool(b) => Cell::Bool(*b),
        // calamine's conversion panics on serial numbers far outside Excel's calendar
        // (1900 to 9999, serials up to 2,958,465): those stay numbers, for the date check.
        Data::DateTime(dt) if dt.is_duration() || !(-1.0e6..=1.0e7).contains(&dt.as_f64()) => {
            Cell::Float(dt.as_f64())
        }
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => Cell::Date(days(t.date())),
            None => Cell::Float(dt.as_f64()),
        },
        Data::DateTimeIso(s) => match s.get(..10).and_then(parse_date) {
            Some(d) if s.len() == 10 || s[10..].starts_with('T') => Cell::Date(d),
            _ => Cell::Text(s),
        },
        Data::DurationIso(s) => Cell::Text(s),
        Data::Error(e) => Cell::Error(format!("#{e:?}")),
    }
}
