//! Takes what a reader found in a stretch of a file and gives it column by column, before
//! the contract types it: CSV fields as ranges of one text, spreadsheet and Parquet values
//! as cells, each row with its line, and the rows whose field count is not the header's.

use super::Cell;

/// One column of a stretch of rows, as read.
#[derive(Debug)]
pub enum RawColumn<'a> {
    /// CSV fields: field `i` is `text[bounds[i].0..bounds[i].1]`.
    Fields {
        text: &'a str,
        bounds: Vec<(usize, usize)>,
    },
    /// Values with a type of their own (spreadsheets, Parquet).
    Cells(Vec<Cell<'a>>),
}

impl RawColumn<'_> {
    /// The cell of row `i`; an empty field is an empty cell.
    pub fn cell(&self, i: usize) -> Cell<'_> {
        match self {
            RawColumn::Fields { text, bounds } => {
                let (start, end) = bounds[i];
                if start == end {
                    Cell::Empty
                } else {
                    Cell::Text(&text[start..end])
                }
            }
            RawColumn::Cells(cells) => cells[i].clone(),
        }
    }
}

/// A row whose field count differs from the header's: never typed, rejected whole.
#[derive(Debug, Clone)]
pub struct Misfit {
    pub line: u64,
    pub fields: usize,
    /// Its fields joined by commas, as the problem shows them.
    pub text: String,
}

/// A stretch of rows of one file, column by column.
#[derive(Debug)]
pub struct RawRows<'a> {
    /// The line (or spreadsheet row) of each row.
    pub lines: Vec<u64>,
    /// One per column of the file's header.
    pub columns: Vec<RawColumn<'a>>,
    pub misfits: Vec<Misfit>,
    /// Whether a text may hold U+FFFD, the mark of bytes no encoding could read; when not,
    /// the cells are not searched for it.
    pub may_hold_replacement: bool,
}

impl RawRows<'_> {
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}
