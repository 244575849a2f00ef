//! Takes CSV bytes in UTF-8 (with or without a BOM) or CP949 and gives the header and each
//! record with the line it starts on, quoted newlines and all, whatever the line endings.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Cursor, Read};
use std::path::Path;
use std::rc::Rc;

use csv::{ByteRecord, ReaderBuilder};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::{Encoding, RowSink};
use crate::check::Cell;
use crate::diagnostics::Error;

/// How much of the file decides its encoding.
const SAMPLE_BYTES: u64 = 1 << 20;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a CSV file into `sink` and says which encoding it was read in.
pub fn read<R: Read>(
    mut reader: R,
    path: &Path,
    choice: Encoding,
    sink: &mut dyn RowSink,
) -> Result<&'static str, Error> {
    let mut sample = Vec::new();
    (&mut reader)
        .take(SAMPLE_BYTES)
        .read_to_end(&mut sample)
        .map_err(|e| Error::io(path, e))?;
    if let Some(reason) = not_text(&sample) {
        return Err(Error::input(path, reason));
    }
    let bom = sample.starts_with(BOM);
    let encoding = match choice {
        Encoding::Auto if bom || utf8_errors(&sample) <= cp949_errors(&sample) => Encoding::Utf8,
        Encoding::Auto => Encoding::Cp949,
        forced => forced,
    };
    let mut body = Cursor::new(sample);
    if bom {
        body.set_position(BOM.len() as u64);
    }
    let quotes = std::cell::Cell::new(QuoteState::default());
    let body = QuoteCounter {
        inner: body.chain(reader),
        state: &quotes,
    };
    let result = match encoding {
        Encoding::Cp949 => {
            let decoded = DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::EUC_KR))
                .build(body);
            read_records(decoded, path, sink).map(|m| ("CP949", m))
        }
        _ => read_records(body, path, sink).map(|m| (if bom { "UTF-8 (BOM)" } else { "UTF-8" }, m)),
    };
    let (encoding, multiline) = result?;
    // A file that ends inside a quoted field whose record spans lines had a quote never
    // closed, which swallowed the rest of the file into one field.
    if quotes.get().open()
        && let Some(line) = multiline
    {
        return Err(Error::input(
            path,
            format!("not valid CSV: the quote opened in the record at line {line} is never closed"),
        ));
    }
    Ok(encoding)
}

/// Where the reading stands in RFC 4180's quoting, as the csv crate reads it: a quote opens
/// a quoted field only at the start of a field, and a doubled quote inside one is a quote.
#[derive(Debug, Clone, Copy, Default)]
struct QuoteState {
    /// Inside a field that is not at its start.
    in_field: bool,
    quoted: bool,
    /// A quote just seen inside a quoted field: its end, or the first half of a pair.
    quote_seen: bool,
}

impl QuoteState {
    fn see(mut self, bytes: &[u8]) -> QuoteState {
        for &b in bytes {
            if self.quoted && !self.quote_seen {
                self.quote_seen = b == b'"';
                continue;
            }
            if self.quote_seen && b == b'"' {
                self.quote_seen = false;
                continue;
            }
            self.quote_seen = false;
            self.quoted = false;
            match b {
                b',' | b'\r' | b'\n' => self.in_field = false,
                b'"' if !self.in_field => {
                    self.quoted = true;
                    self.in_field = true;
                }
                _ => self.in_field = true,
            }
        }
        self
    }

    fn open(self) -> bool {
        self.quoted && !self.quote_seen
    }
}

/// Follows the quoting of the bytes that pass (ASCII, so the same in UTF-8 and CP949: no
/// CP949 byte pair uses a quote, comma, CR or LF).
struct QuoteCounter<'a, R> {
    inner: R,
    state: &'a std::cell::Cell<QuoteState>,
}

impl<R: Read> Read for QuoteCounter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.state.set(self.state.get().see(&buf[..n]));
        Ok(n)
    }
}

/// Why a file's first bytes are not CSV text at all. A few NUL bytes are not enough: they
/// are control characters in a field, named with their row.
fn not_text(sample: &[u8]) -> Option<String> {
    if sample.starts_with(b"\xFF\xFE") || sample.starts_with(b"\xFE\xFF") || utf16_pattern(sample) {
        return Some(
            "UTF-16 text (Excel's \"Unicode text\"), not CSV: save the export as CSV UTF-8 or CP949"
                .into(),
        );
    }
    let nul = sample.iter().filter(|b| **b == 0).count();
    (nul * 10 > sample.len()).then(|| {
        "binary content (NUL bytes in more than a tenth of the first megabyte): not a CSV, XLSX or Parquet file".into()
    })
}

/// UTF-16 without a byte-order mark: ASCII text with a NUL beside every character, so that
/// nearly all the bytes at even (big-endian) or odd (little-endian) offsets are NUL.
fn utf16_pattern(sample: &[u8]) -> bool {
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return false;
    }
    let nul_at = |parity: usize| {
        sample
            .chunks_exact(2)
            .filter(|pair| pair[parity] == 0 && pair[1 - parity] != 0)
            .count()
    };
    nul_at(0).max(nul_at(1)) * 10 >= pairs * 9
}

/// Invalid UTF-8 sequences in the sample, not counting a character cut off at its end.
/// A file is read in the encoding that fits it best, so that a UTF-8 file with one stray
/// CP949 row is read as UTF-8 and that row is reported, rather than all Hangul garbled.
fn utf8_errors(sample: &[u8]) -> usize {
    let mut errors = 0;
    let mut rest = sample;
    while let Err(e) = std::str::from_utf8(rest) {
        let Some(len) = e.error_len() else { break };
        errors += 1;
        rest = &rest[e.valid_up_to() + len..];
    }
    errors
}

fn cp949_errors(sample: &[u8]) -> usize {
    let (text, _) = encoding_rs::EUC_KR.decode_without_bom_handling(sample);
    text.matches('\u{FFFD}').count()
}

/// The offsets of the line-break bytes that have passed, for the line a record starts on.
/// The csv crate's own line count stops short at a CRLF and ignores a lone CR; these are
/// counted here from the bytes: CRLF, CR and LF are each one line break.
#[derive(Default)]
struct Breaks {
    /// Offsets of CR and LF bytes not yet passed, each with whether it starts a line break
    /// (the LF of a CRLF does not).
    pending: VecDeque<(u64, bool)>,
    /// Bytes seen so far.
    offset: u64,
    last_was_cr: bool,
    /// Line breaks before the first pending offset.
    passed: u64,
}

impl Breaks {
    fn see(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'\r' => {
                    self.pending.push_back((self.offset + i as u64, true));
                    self.last_was_cr = true;
                }
                b'\n' => {
                    self.pending
                        .push_back((self.offset + i as u64, !self.last_was_cr));
                    self.last_was_cr = false;
                }
                _ => self.last_was_cr = false,
            }
        }
        self.offset += bytes.len() as u64;
    }

    /// The line (from 1) of the record whose reading began at `start`: the csv crate skips
    /// blank lines and the LF of a CRLF there, so line-break bytes right at the start are
    /// passed over too.
    fn line_at(&mut self, start: u64) -> u64 {
        let mut start = start;
        while let Some(&(at, counts)) = self.pending.front() {
            if at > start {
                break;
            }
            if at == start {
                start += 1;
            }
            self.passed += u64::from(counts);
            self.pending.pop_front();
        }
        self.passed + 1
    }
}

/// Passes bytes through to the csv reader, noting where the line breaks are.
struct BreakCounter<R> {
    inner: R,
    breaks: Rc<RefCell<Breaks>>,
}

impl<R: Read> Read for BreakCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.breaks.borrow_mut().see(&buf[..n]);
        Ok(n)
    }
}

/// Gives the line of the last record when one of its fields holds a line break: where a quote
/// left open at the end of a file would have started.
fn read_records<R: Read>(
    input: R,
    path: &Path,
    sink: &mut dyn RowSink,
) -> Result<Option<u64>, Error> {
    let breaks = Rc::new(RefCell::new(Breaks::default()));
    let input = BreakCounter {
        inner: input,
        breaks: breaks.clone(),
    };
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut record = ByteRecord::new();
    let mut header_seen = false;
    let mut multiline: Option<u64> = None;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(multiline),
            Err(e) => return Err(Error::input(path, format!("not readable as CSV: {e}"))),
        }
        let start = record.position().map_or(0, |p| p.byte());
        let line = breaks.borrow_mut().line_at(start);
        multiline = record
            .iter()
            .any(|f| f.contains(&b'\n') || f.contains(&b'\r'))
            .then_some(line);
        // Invalid bytes become U+FFFD here, which the checker reports as an encoding problem.
        let texts: Vec<Cow<str>> = record.iter().map(String::from_utf8_lossy).collect();
        if !header_seen {
            header_seen = true;
            sink.header(texts.iter().map(|t| t.to_string()).collect())?;
            continue;
        }
        let cells: Vec<Cell> = texts
            .iter()
            .map(|t| {
                if t.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(t)
                }
            })
            .collect();
        sink.row(line, &cells);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of_records(text: &[u8]) -> Vec<u64> {
        let mut breaks = Breaks::default();
        breaks.see(text);
        let mut reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut record = ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            lines.push(breaks.line_at(record.position().unwrap().byte()));
        }
        lines
    }

    #[test]
    fn records_start_on_their_line_with_every_line_ending() {
        for eol in ["\n", "\r\n", "\r"] {
            let text = format!("h1,h2{eol}a,b{eol}{eol}\"x{eol}y\",c{eol}d,e{eol}");
            assert_eq!(lines_of_records(text.as_bytes()), [1, 2, 4, 6], "{eol:?}");
        }
        assert_eq!(lines_of_records(b"h\r\n\r\na\nb\rc"), [1, 3, 4, 5]);
    }

    #[test]
    fn a_quote_left_open_is_told_from_a_stray_one() {
        let open = |text: &[u8]| QuoteState::default().see(text).open();
        assert!(open(b"a,\"b\nc"));
        assert!(!open(b"a\"b,c\n\"x\ny\",d\n"));
        assert!(!open(b"\"a\"\"b\",c"));
        assert!(open(b"\"a\"\"b,c"));
    }

    #[test]
    fn utf16_is_told_from_text_with_a_nul() {
        let utf16: Vec<u8> = "visit_id,emd_code\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(not_text(&utf16).unwrap().contains("UTF-16"));
        assert!(not_text(b"visit_id,emd_code\nV1,11\x0011\n").is_none());
        assert!(
            not_text(&[0, 0, 0, 1, 2, 0, 0, 0, 0, 0])
                .unwrap()
                .contains("binary")
        );
    }
}
