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

/// A row of a sheet that holds anything: its 0-based sheet row and its cells, from the
/// sheet's first used column to the row's own last cell.
pub struct SheetRow {
    pub row: u32,
    pub cells: Vec<Data>,
}

/// Excel's own bounds: a cell past them is no cell of a table.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;

/// The rows of the first sheet that hold anything. An XLSX sheet is read cell by cell, so
/// that memory follows the cells present, not the sheet's extent: a sheet with one value in
/// its last cell is two rows, not 17 billion cells.
pub fn first_sheet_rows<RS: std::io::Read + std::io::Seek>(
    workbook: &mut Sheets<RS>,
) -> Result<Vec<SheetRow>, String> {
    let Some(name) = workbook.sheet_names().first().cloned() else {
        return Err("the workbook has no sheet".into());
    };
    let cells: Vec<((u32, u32), Data)> = match workbook {
        Sheets::Xlsx(xlsx) => {
            let mut reader = match xlsx.worksheet_cells_reader(&name) {
                Ok(reader) => reader,
                Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e.to_string()),
            };
            let mut cells = Vec::new();
            while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
                let (row, column) = cell.get_position();
                if row >= MAX_ROWS || column >= MAX_COLUMNS {
                    return Err(format!(
                        "a cell at row {} column {} lies outside Excel's {MAX_ROWS} rows × {MAX_COLUMNS} columns: not a sheet of a table",
                        u64::from(row) + 1,
                        u64::from(column) + 1
                    ));
                }
                let value = Data::from(cell.get_value().clone());
                if !value.is_empty() {
                    cells.push(((row, column), value));
                }
            }
            cells
        }
        // calamine reads a legacy XLS sheet whole, over its extent, when it opens the file:
        // only its cells are taken from there.
        other => {
            let range = other.worksheet_range(&name).map_err(|e| e.to_string())?;
            let Some((first_row, first_column)) = range.start() else {
                return Ok(Vec::new());
            };
            range
                .used_cells()
                .map(|(r, c, d)| ((first_row + r as u32, first_column + c as u32), d.clone()))
                .filter(|(_, d)| !d.is_empty())
                .collect()
        }
    };
    Ok(sparse_rows(cells))
}

/// Cells grouped into rows, each row from the first used column on.
fn sparse_rows(mut cells: Vec<((u32, u32), Data)>) -> Vec<SheetRow> {
    cells.sort_by_key(|(position, _)| *position);
    let first_column = cells.iter().map(|((_, c), _)| *c).min().unwrap_or(0);
    let mut rows: Vec<SheetRow> = Vec::new();
    for ((row, column), value) in cells {
        if rows.last().is_none_or(|r| r.row != row) {
            rows.push(SheetRow {
                row,
                cells: Vec::new(),
            });
        }
        let cells = &mut rows.last_mut().expect("pushed above").cells;
        let at = (column - first_column) as usize;
        if cells.len() <= at {
            cells.resize(at + 1, Data::Empty);
        }
        cells[at] = value;
    }
    rows
}

fn read_sheets<RS: std::io::Read + std::io::Seek>(
    mut workbook: Sheets<RS>,
    path: &Path,
    sink: &mut Checker,
) -> Result<Read, Error> {
    let rows = first_sheet_rows(&mut workbook).map_err(|e| not_workbook(path, &e))?;
    let mut rows = rows.iter();
    let Some(header) = rows.next() else {
        return Ok(Read::Table);
    };
    let names: Vec<String> = header
        .cells
        .iter()
        .map(|d| cell(d).text().into_owned())
        .collect();
    if sink.takes_official() && official::is_official_header(&names) {
        let official = official::read_sheet(rows);
        return official::check(&official, sink).map(Read::Official);
    }
    let width = names.len();
    sink.header(names)?;
    let mut stretch = Stretch::new(width);
    for row in rows {
        let mut cells: Vec<Cell> = row.cells.iter().map(cell).collect();
        cells.resize(cells.len().max(width), Cell::Empty);
        while cells.len() > width && cells.last() == Some(&Cell::Empty) {
            cells.pop();
        }
        // Excel numbers rows from 1.
        stretch.push(u64::from(row.row) + 1, cells);
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
