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

/// A row that does not fit the header: never typed, rejected whole.
#[derive(Debug, Clone)]
pub struct Misfit {
    pub line: u64,
    pub unfit: Unfit,
    /// Its fields joined by commas (or the line as read), as the problem shows them.
    pub text: String,
}

/// How a row fails to fit its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfit {
    /// It has this many fields.
    Fields(usize),
    /// A fixed-width line that ends (at `width`, in CP949 bytes) before the header's columns
    /// say it must (`needed`): cut short, so its last fields cannot be trusted.
    CutShort { width: usize, needed: usize },
}

/// A stretch of rows of one file, column by column.
#[derive(Debug)]
pub struct RawRows<'a> {
    /// The line (or spreadsheet row) of each row.
    pub lines: Vec<u64>,
    /// One per column of the file's header.
    pub columns: Vec<RawColumn<'a>>,
    pub misfits: Vec<Misfit>,
    /// What the cells may hold that the checks must search them for; what a whole stretch
    /// of text is known not to hold is not searched for cell by cell.
    pub marks: Marks,
}

/// What a stretch of rows may hold.
#[derive(Debug, Clone, Copy)]
pub struct Marks {
    /// U+FFFD, the mark of bytes no encoding could read.
    pub replacement: bool,
    /// Control characters.
    pub control: bool,
}

impl Marks {
    /// Anything: cells that were not text to begin with.
    pub const ANY: Marks = Marks {
        replacement: true,
        control: true,
    };

    /// What a text holds.
    pub fn of(text: &str) -> Marks {
        let bytes = text.as_bytes();
        Marks {
            replacement: memchr::memmem::find(bytes, "\u{FFFD}".as_bytes()).is_some(),
            // Each block folded whole rather than searched, so that the loop runs many bytes
            // at a time.
            control: bytes.chunks(256).any(|block| {
                block
                    .iter()
                    .fold(false, |found, b| found | is_control_byte(*b))
            }),
        }
    }
}

/// A control character other than TAB, CR and LF, or DEL: in UTF-8 an ASCII byte is always
/// a character of its own.
pub fn is_control_byte(b: u8) -> bool {
    (b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f
}

impl RawRows<'_> {
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}
