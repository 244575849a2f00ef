//! Takes one chunk of CSV bytes (whole records) and gives its records as text, each with the
//! line it starts on, then laid out column by column for the checks.
//!
//! A chunk without a quote is split at commas and line breaks directly; one with quotes is
//! read by the csv crate. Both read records the same way: CR, LF and CRLF end a record, and
//! blank lines are skipped.

use std::collections::VecDeque;

use csv::{ByteRecord, ReaderBuilder};
use memchr::{memchr, memchr_iter, memchr2};

use crate::check::raw::{Marks, Misfit, RawColumn, RawRows, Unfit};

/// A chunk's records: the fields of record `r` are `fields[starts[r]..starts[r + 1]]`,
/// ranges of `text`.
#[derive(Debug, Default)]
pub struct Records {
    text: String,
    fields: Vec<(usize, usize)>,
    starts: Vec<usize>,
    lines: Vec<u64>,
    /// The last record's line, and whether one of its fields holds a line break.
    pub last: Option<(u64, bool)>,
}

/// The chunk's bytes as text: CP949 decoded, invalid UTF-8 marked with U+FFFD (which the
/// checks report). Both keep every ASCII byte, so records end where they did in the bytes.
pub fn decode(bytes: Vec<u8>, cp949: bool) -> String {
    if cp949 {
        encoding_rs::EUC_KR
            .decode_without_bom_handling(&bytes)
            .0
            .into_owned()
    } else {
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

impl Records {
    /// Reads the records of `text`, the first of whose lines comes after `breaks_before`
    /// line breaks of the file.
    pub fn read(text: String, breaks_before: u64) -> Result<Records, String> {
        if memchr(b'"', text.as_bytes()).is_some() {
            Records::quoted(text, breaks_before)
        } else {
            Ok(Records::plain(text, breaks_before))
        }
    }

    /// Text without quotes: every comma ends a field, every CR or LF a record.
    fn plain(text: String, breaks_before: u64) -> Records {
        let mut records = Records::default();
        let bytes = text.as_bytes();
        let mut line = breaks_before + 1;
        let mut at = 0;
        while at < bytes.len() {
            match bytes[at] {
                b'\r' => line += 1,
                // The LF of a CRLF is not a break of its own; a chunk never starts inside one.
                b'\n' if at == 0 || bytes[at - 1] != b'\r' => line += 1,
                b'\n' => {}
                _ => {
                    let end = memchr2(b'\r', b'\n', &bytes[at..]).map_or(bytes.len(), |p| at + p);
                    records.starts.push(records.fields.len());
                    let mut start = at;
                    for comma in memchr_iter(b',', &bytes[at..end]) {
                        records.fields.push((start, at + comma));
                        start = at + comma + 1;
                    }
                    records.fields.push((start, end));
                    records.lines.push(line);
                    records.last = Some((line, false));
                    at = end;
                    continue;
                }
            }
            at += 1;
        }
        records.starts.push(records.fields.len());
        records.text = text;
        records
    }

    /// Text with quotes, read by the csv crate; the fields are copied out unquoted.
    fn quoted(text: String, breaks_before: u64) -> Result<Records, String> {
        let mut breaks = Breaks::after(breaks_before);
        breaks.see(text.as_bytes());
        let mut reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut record = ByteRecord::new();
        let mut records = Records::default();
        let mut out = String::with_capacity(text.len());
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| e.to_string())?
        {
            let line = breaks.line_at(record.position().map_or(0, |p| p.byte()));
            records.starts.push(records.fields.len());
            let mut multiline = false;
            for field in &record {
                multiline |= field.contains(&b'\n') || field.contains(&b'\r');
                let start = out.len();
                out.push_str(&String::from_utf8_lossy(field));
                records.fields.push((start, out.len()));
            }
            records.lines.push(line);
            records.last = Some((line, multiline));
        }
        records.starts.push(records.fields.len());
        records.text = out;
        Ok(records)
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    fn fields(&self, record: usize) -> &[(usize, usize)] {
        &self.fields[self.starts[record]..self.starts[record + 1]]
    }

    fn field(&self, (start, end): (usize, usize)) -> &str {
        &self.text[start..end]
    }

    /// The fields of one record as text.
    pub fn record(&self, record: usize) -> Vec<String> {
        self.fields(record)
            .iter()
            .map(|f| self.field(*f).to_string())
            .collect()
    }

    /// The records from `first` on, column by column for a header of `width` names; a
    /// record of another width is a misfit.
    pub fn rows(&self, first: usize, width: usize) -> RawRows<'_> {
        let count = self.len().saturating_sub(first);
        let mut bounds: Vec<Vec<(usize, usize)>> =
            (0..width).map(|_| Vec::with_capacity(count)).collect();
        let mut lines = Vec::with_capacity(count);
        let mut misfits = Vec::new();
        for record in first..self.len() {
            let fields = self.fields(record);
            if fields.len() == width {
                for (column, field) in bounds.iter_mut().zip(fields) {
                    column.push(*field);
                }
                lines.push(self.lines[record]);
            } else {
                let text: Vec<&str> = fields.iter().map(|f| self.field(*f)).collect();
                misfits.push(Misfit {
                    line: self.lines[record],
                    unfit: Unfit::Fields(fields.len()),
                    text: text.join(","),
                });
            }
        }
        RawRows {
            lines,
            columns: bounds
                .into_iter()
                .map(|bounds| RawColumn::Fields {
                    text: &self.text,
                    bounds,
                })
                .collect(),
            misfits,
            marks: Marks::of(&self.text),
        }
    }
}

/// The offsets of the line-break bytes of a text, for the line a record starts on. The csv
/// crate's own line count stops short at a CRLF and ignores a lone CR; these are counted
/// here from the bytes: CRLF, CR and LF are each one line break.
#[derive(Default)]
struct Breaks {
    /// Offsets of CR and LF bytes not yet passed, each with whether it starts a line break
    /// (the LF of a CRLF does not).
    pending: VecDeque<(u64, bool)>,
    /// Line breaks before the first pending offset.
    passed: u64,
}

impl Breaks {
    fn after(passed: u64) -> Breaks {
        Breaks {
            passed,
            ..Breaks::default()
        }
    }

    fn see(&mut self, bytes: &[u8]) {
        for at in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            let starts = bytes[at] == b'\r' || at == 0 || bytes[at - 1] != b'\r';
            self.pending.push_back((at as u64, starts));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of a text as the csv crate reads it: its fields and line.
    fn by_the_csv_crate(text: &str) -> Vec<(Vec<String>, u64)> {
        let records = Records::quoted(text.to_string(), 0).unwrap();
        (0..records.len())
            .map(|r| (records.record(r), records.lines[r]))
            .collect()
    }

    fn plain(text: &str) -> Vec<(Vec<String>, u64)> {
        let records = Records::plain(text.to_string(), 0);
        (0..records.len())
            .map(|r| (records.record(r), records.lines[r]))
            .collect()
    }

    #[test]
    fn records_start_on_their_line_with_every_line_ending() {
        for eol in ["\n", "\r\n", "\r"] {
            let text = format!("h1,h2{eol}a,b{eol}{eol}\"x{eol}y\",c{eol}d,e{eol}");
            let lines: Vec<u64> = by_the_csv_crate(&text).iter().map(|r| r.1).collect();
            assert_eq!(lines, [1, 2, 4, 6], "{eol:?}");
        }
        let lines: Vec<u64> = by_the_csv_crate("h\r\n\r\na\nb\rc")
            .iter()
            .map(|r| r.1)
            .collect();
        assert_eq!(lines, [1, 3, 4, 5]);
    }

    #[test]
    fn text_without_quotes_is_read_as_the_csv_crate_reads_it() {
        let alphabet = ["a", ",", "\r", "\n", "가", " "];
        for n in 0..6usize.pow(6) {
            let mut code = n;
            let text: String = (0..6)
                .map(|_| {
                    let piece = alphabet[code % 6];
                    code /= 6;
                    piece
                })
                .collect();
            assert_eq!(plain(&text), by_the_csv_crate(&text), "{text:?}");
        }
    }

    #[test]
    fn a_chunk_counts_lines_after_the_breaks_before_it() {
        let records = Records::read("a,b\r\n\r\nc,d".into(), 9).unwrap();
        assert_eq!(records.lines, [10, 12]);
        let records = Records::read("\"a\nb\",c\r\nd,e".into(), 9).unwrap();
        assert_eq!(records.lines, [10, 12]);
        assert_eq!(records.last, Some((12, false)));
    }
}
