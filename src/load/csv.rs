//! Takes CSV bytes in UTF-8 (with or without a BOM) or CP949 and gives the header and each
//! record with the line it starts on, quoted newlines and all.

use std::borrow::Cow;
use std::io::{Cursor, Read};
use std::path::Path;

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
    if sample.contains(&0) {
        return Err(Error::input(
            path,
            "binary content (NUL bytes): not a CSV, XLSX or Parquet file",
        ));
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
    let quotes = std::cell::Cell::new(0u64);
    let body = QuoteCounter {
        inner: body.chain(reader),
        quotes: &quotes,
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
    // Quoted fields hold their quotes in pairs. An odd count with a last record spanning lines
    // is a quote never closed, which swallowed the rest of the file into one field. (A stray
    // quote inside an unquoted field also makes the count odd; it stays in its value, for the
    // row's checks.)
    if quotes.get() % 2 == 1
        && let Some(line) = multiline
    {
        return Err(Error::input(
            path,
            format!("not valid CSV: the quote opened in the record at line {line} is never closed"),
        ));
    }
    Ok(encoding)
}

/// Counts the quote characters of the bytes that pass (ASCII, so the same in UTF-8 and CP949:
/// no CP949 byte pair uses 0x22).
struct QuoteCounter<'a, R> {
    inner: R,
    quotes: &'a std::cell::Cell<u64>,
}

impl<R: Read> Read for QuoteCounter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let found = buf[..n].iter().filter(|b| **b == b'"').count() as u64;
        self.quotes.set(self.quotes.get() + found);
        Ok(n)
    }
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

/// Gives the line of the last record when one of its fields holds a line break: where a quote
/// left open at the end of a file would have started.
fn read_records<R: Read>(
    input: R,
    path: &Path,
    sink: &mut dyn RowSink,
) -> Result<Option<u64>, Error> {
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
        let line = record.position().map_or(0, |p| p.line());
        multiline = record.iter().any(|f| f.contains(&b'\n')).then_some(line);
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
