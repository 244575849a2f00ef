//! Takes CSV bytes as they are read and gives them cut into chunks of whole records, at line
//! breaks outside quotes, each with the line breaks before it, so that chunks can be parsed
//! side by side and every record still knows its line.

use std::io::{self, Read};

use memchr::{memchr, memchr_iter, memchr3};

/// Bytes a chunk holds at least, unless the file ends first: some 50,000 records of a
/// national export.
pub const CHUNK_BYTES: usize = 4 << 20;

/// Where a scan stands in RFC 4180's quoting, as the csv crate reads it: a quote opens a
/// quoted field only at the start of a field, and a doubled quote inside one is a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// Outside quotes; `in_field` once a field has begun (a quote there is a character).
    Outside { in_field: bool },
    /// Inside a quoted field.
    Inside,
    /// A quote just seen inside a quoted field: its end, or the first of a pair.
    QuoteSeen,
}

impl Default for Quoting {
    fn default() -> Self {
        Quoting::Outside { in_field: false }
    }
}

impl Quoting {
    /// Inside a quote that the file never closes, if it ends here.
    pub fn open(self) -> bool {
        self == Quoting::Inside
    }
}

/// Scans `bytes[from..]` from `state`; gives the state at the end and the last place after
/// `from` where a chunk may end: after a line break outside quotes, never between the CR
/// and LF of a CRLF (a CR at the very end waits for the next byte).
pub fn scan(bytes: &[u8], from: usize, mut state: Quoting) -> (Quoting, Option<usize>) {
    let len = bytes.len();
    let mut i = from;
    let mut last = None;
    while i < len {
        match state {
            Quoting::Inside => match memchr(b'"', &bytes[i..]) {
                None => i = len,
                Some(p) => {
                    i += p + 1;
                    state = Quoting::QuoteSeen;
                }
            },
            Quoting::QuoteSeen => {
                if bytes[i] == b'"' {
                    state = Quoting::Inside;
                    i += 1;
                } else {
                    // The quoted field has ended; this byte is read outside quotes.
                    state = Quoting::Outside { in_field: true };
                }
            }
            Quoting::Outside { in_field } => match memchr3(b'"', b'\n', b'\r', &bytes[i..]) {
                None => {
                    state = Quoting::Outside {
                        in_field: bytes[len - 1] != b',',
                    };
                    i = len;
                }
                Some(p) => {
                    let at = i + p;
                    let field_begun = if at > i {
                        bytes[at - 1] != b','
                    } else {
                        in_field
                    };
                    state = match bytes[at] {
                        b'"' if !field_begun => Quoting::Inside,
                        b'"' => Quoting::Outside { in_field: true },
                        b'\n' => {
                            last = Some(at + 1);
                            Quoting::Outside { in_field: false }
                        }
                        _ => {
                            if bytes.get(at + 1).is_some_and(|b| *b != b'\n') {
                                last = Some(at + 1);
                            }
                            Quoting::Outside { in_field: false }
                        }
                    };
                    i = at + 1;
                }
            },
        }
    }
    (state, last)
}

/// Line breaks in `bytes`: CRLF, CR and LF are one each.
pub fn count_breaks(bytes: &[u8]) -> u64 {
    let lf = memchr_iter(b'\n', bytes).count();
    let (mut cr, mut crlf) = (0, 0);
    for at in memchr_iter(b'\r', bytes) {
        cr += 1;
        if bytes.get(at + 1) == Some(&b'\n') {
            crlf += 1;
        }
    }
    (lf + cr - crlf) as u64
}

/// A run of whole records.
#[derive(Debug)]
pub struct Chunk {
    /// Its place among the file's chunks, from 0.
    pub index: usize,
    pub bytes: Vec<u8>,
    /// Line breaks before it in the file.
    pub breaks_before: u64,
}

/// Cuts what a reader gives into chunks.
pub struct Scanner<R> {
    reader: R,
    pending: Vec<u8>,
    /// How far `pending` has been scanned, the state there, and the last place a chunk may
    /// end.
    scanned: usize,
    state: Quoting,
    last_end: Option<usize>,
    breaks: u64,
    index: usize,
    eof: bool,
}

impl<R: Read> Scanner<R> {
    pub fn new(reader: R) -> Scanner<R> {
        Scanner {
            reader,
            pending: Vec::new(),
            scanned: 0,
            state: Quoting::default(),
            last_end: None,
            breaks: 0,
            index: 0,
            eof: false,
        }
    }

    /// Whether the file ended inside a quoted field (after the last chunk).
    pub fn quote_open(&self) -> bool {
        self.state.open()
    }

    fn emit(&mut self, end: usize) -> Chunk {
        let rest = self.pending.split_off(end);
        let bytes = std::mem::replace(&mut self.pending, rest);
        let chunk = Chunk {
            index: self.index,
            breaks_before: self.breaks,
            bytes,
        };
        self.index += 1;
        self.breaks += count_breaks(&chunk.bytes);
        chunk
    }

    /// The next chunk; `None` at the end of the input.
    pub fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        loop {
            let (state, end) = scan(&self.pending, self.scanned, self.state);
            self.state = state;
            self.scanned = self.pending.len();
            if end.is_some() {
                self.last_end = end;
            }
            if self.eof {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                let all = self.pending.len();
                return Ok(Some(self.emit(all)));
            }
            if self.pending.len() >= CHUNK_BYTES
                && let Some(end) = self.last_end.take()
            {
                let chunk = self.emit(end);
                // The rest starts a record afresh: scanned again from its start.
                self.scanned = 0;
                self.state = Quoting::default();
                return Ok(Some(chunk));
            }
            // Room for the whole read at once: grown by doubling, the buffer was copied and
            // its fresh pages cleared several times a chunk.
            self.pending.reserve(CHUNK_BYTES);
            let read = (&mut self.reader)
                .take(CHUNK_BYTES as u64)
                .read_to_end(&mut self.pending)?;
            self.eof = read == 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same scan a byte at a time, as the csv crate's reader goes: whether a quote is
    /// left open, and every place a chunk may end.
    fn reference(bytes: &[u8]) -> (bool, Vec<usize>) {
        let (mut in_field, mut quoted, mut quote_seen) = (false, false, false);
        let mut ends = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            if quoted && !quote_seen {
                quote_seen = b == b'"';
                continue;
            }
            if quote_seen && b == b'"' {
                quote_seen = false;
                continue;
            }
            quote_seen = false;
            quoted = false;
            match b {
                b'\n' => {
                    in_field = false;
                    ends.push(i + 1);
                }
                b'\r' => {
                    in_field = false;
                    if bytes.get(i + 1).is_some_and(|n| *n != b'\n') {
                        ends.push(i + 1);
                    }
                }
                b',' => in_field = false,
                b'"' if !in_field => {
                    quoted = true;
                    in_field = true;
                }
                _ => in_field = true,
            }
        }
        (quoted && !quote_seen, ends)
    }

    fn texts() -> Vec<Vec<u8>> {
        let mut texts: Vec<Vec<u8>> = [
            &b"a,b\r\n\"x\ny\",\"q\"\"\n\"\nc\"d\n,\"e\"f\rg\r\r\n"[..],
            b"h1,h2\n\"a,\"\"b\"\"\nc\",d\r\ne\"f,g\n\"\",\"\"\r",
            b"a,\"b\nc",
            b"\"a\"\"b\",c",
            b"\"a\"\"b,c",
        ]
        .iter()
        .map(|t| t.to_vec())
        .collect();
        // Every string of six bytes over the bytes that matter.
        let alphabet = b"a,\"\r\n";
        for n in 0..5usize.pow(6) {
            let mut code = n;
            texts.push(
                (0..6)
                    .map(|_| {
                        let b = alphabet[code % 5];
                        code /= 5;
                        b
                    })
                    .collect(),
            );
        }
        texts
    }

    #[test]
    fn a_scan_finds_the_last_end_and_open_quote_the_byte_by_byte_reading_does() {
        for text in texts() {
            for cut in 0..=text.len() {
                let prefix = &text[..cut];
                let (open, ends) = reference(prefix);
                let (state, last) = scan(prefix, 0, Quoting::default());
                assert_eq!(state.open(), open, "{prefix:?}");
                assert_eq!(last, ends.last().copied(), "{prefix:?}");
            }
        }
    }

    #[test]
    fn a_scan_resumed_anywhere_ends_where_one_scan_does() {
        for text in texts() {
            let whole = scan(&text, 0, Quoting::default());
            for cut in 0..text.len() {
                let (middle, first) = scan(&text[..cut], 0, Quoting::default());
                let (state, second) = scan(&text, cut, middle);
                assert_eq!(state, whole.0, "{text:?} cut at {cut}");
                // A CR just before the cut is decided once its next byte is seen.
                if cut == 0 || text[cut - 1] != b'\r' {
                    assert_eq!(second.or(first), whole.1, "{text:?} cut at {cut}");
                }
            }
        }
    }

    #[test]
    fn breaks_count_crlf_once() {
        assert_eq!(count_breaks(b"a\r\nb\rc\n\n"), 4);
    }

    #[test]
    fn chunks_keep_every_byte_and_count_the_breaks_before_them() {
        let mut text = Vec::new();
        for i in 0..400_000 {
            text.extend_from_slice(format!("{i},\"x\r\ny\",z\r\n").as_bytes());
        }
        let mut scanner = Scanner::new(&text[..]);
        let mut joined = Vec::new();
        let mut breaks = 0;
        let mut chunks = 0;
        while let Some(chunk) = scanner.next_chunk().unwrap() {
            assert_eq!(chunk.breaks_before, breaks);
            assert!(chunk.bytes.ends_with(b"z\r\n"));
            breaks += count_breaks(&chunk.bytes);
            joined.extend_from_slice(&chunk.bytes);
            chunks += 1;
        }
        assert!(chunks > 1);
        assert_eq!(joined, text);
        assert!(!scanner.quote_open());
    }
}
