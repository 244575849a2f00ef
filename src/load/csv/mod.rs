//! Takes CSV bytes in UTF-8 (with or without a BOM) or CP949 and gives the header and
//! every record with the line it starts on, quoted newlines and all, whatever the line
//! endings, checked against its table's own rules.
//!
//! One thread cuts the file into chunks of whole records ([`scan`]); the others parse and
//! check the chunks side by side ([`parse`]); the calling thread takes their results in
//! the file's order.

mod parse;
mod scan;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use super::{Checker, Encoding};
use crate::check::{CheckedRows, TableCheck};
use crate::diagnostics::{Error, catch_panic, panic_text};
use parse::{Records, decode};
use scan::{Chunk, Scanner};

/// How much of the file decides its encoding.
const SAMPLE_BYTES: u64 = 1 << 20;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a CSV file into `checker` and says which encoding it was read in.
pub fn read<R: Read + Send>(
    mut reader: R,
    path: &Path,
    choice: Encoding,
    checker: &mut Checker,
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
    read_chunks(
        body.chain(reader),
        path,
        encoding == Encoding::Cp949,
        checker,
    )?;
    Ok(match encoding {
        Encoding::Cp949 => "CP949",
        _ if bom => "UTF-8 (BOM)",
        _ => "UTF-8",
    })
}

/// A chunk parsed and checked, with its last record's line and whether it spans lines.
type ChunkResult = Result<(CheckedRows, Option<(u64, bool)>), Error>;

/// The records of a chunk.
fn records_of(chunk: Chunk, cp949: bool, path: &Path) -> Result<Records, Error> {
    Records::read(decode(chunk.bytes, cp949), chunk.breaks_before)
        .map_err(|e| Error::input(path, format!("not readable as CSV: {e}")))
}

/// A checking thread: takes chunks until there are none or nobody wants the results, and
/// sends each one's records checked, with its place in the file.
fn check_chunks(
    chunks: &Mutex<Receiver<Chunk>>,
    done: &Sender<(usize, ChunkResult)>,
    check: &TableCheck,
    width: usize,
    cp949: bool,
    path: &Path,
) {
    loop {
        let chunk = chunks
            .lock()
            .map_err(|_| ())
            .and_then(|rx| rx.recv().map_err(|_| ()));
        let Ok(chunk) = chunk else { break };
        let index = chunk.index;
        let result = catch_panic(path, || {
            let records = records_of(chunk, cp949, path)?;
            Ok((check.check(&records.rows(0, width)), records.last))
        });
        if done.send((index, result)).is_err() {
            break;
        }
    }
}

fn read_chunks<R: Read + Send>(
    input: R,
    path: &Path,
    cp949: bool,
    checker: &mut Checker,
) -> Result<(), Error> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let (chunk_tx, chunk_rx) = sync_channel(workers);
        // A chunk is read only while fewer than this many are read and not yet taken in
        // order, so that memory stays bounded however far the checks run ahead of the
        // writing.
        let (permit_tx, permit_rx) = sync_channel::<()>(workers * 2 + 1);
        let scanner = scope.spawn(move || {
            let mut scanner = Scanner::new(input);
            while permit_tx.send(()).is_ok()
                && let Some(chunk) = scanner.next_chunk()?
            {
                if chunk_tx.send(chunk).is_err() {
                    break;
                }
            }
            Ok::<bool, std::io::Error>(scanner.quote_open())
        });
        // The header is the first record; the rest of its chunk is checked here.
        let mut last = None;
        let mut next = 0;
        let width = loop {
            let Ok(chunk) = chunk_rx.recv() else {
                break None;
            };
            next = chunk.index + 1;
            let records = records_of(chunk, cp949, path)?;
            if records.len() == 0 {
                let _ = permit_rx.recv();
                continue;
            }
            let header = records.record(0);
            let width = header.len();
            checker.header(header)?;
            last = records.last;
            checker.take(checker.check().check(&records.rows(1, width)))?;
            let _ = permit_rx.recv();
            break Some(width);
        };
        if let Some(width) = width {
            let chunk_rx = Arc::new(Mutex::new(chunk_rx));
            let (done_tx, done_rx) = channel::<(usize, ChunkResult)>();
            for _ in 0..workers {
                let (chunk_rx, done_tx, check) =
                    (chunk_rx.clone(), done_tx.clone(), checker.check());
                scope.spawn(move || check_chunks(&chunk_rx, &done_tx, &check, width, cp949, path));
            }
            // Only the workers hold the chunks' receiver and the results' sender now: when
            // they stop, the scanner and this loop stop too.
            drop((chunk_rx, done_tx));
            let mut held: BTreeMap<usize, ChunkResult> = BTreeMap::new();
            for (index, result) in done_rx {
                held.insert(index, result);
                while let Some(result) = held.remove(&next) {
                    let (rows, last_record) = result?;
                    last = last_record.or(last);
                    checker.take(rows)?;
                    let _ = permit_rx.recv();
                    next += 1;
                }
            }
        } else {
            drop(chunk_rx);
        }
        drop(permit_rx);
        let quote_open = scanner
            .join()
            .map_err(|payload| Error::Internal {
                path: path.to_path_buf(),
                message: panic_text(payload.as_ref()),
            })?
            .map_err(|e| Error::io(path, e))?;
        // A file that ends inside a quoted field whose record spans lines had a quote never
        // closed, which swallowed the rest of the file into one field.
        if quote_open && let Some((line, true)) = last {
            return Err(Error::input(
                path,
                format!(
                    "not valid CSV: the quote opened in the record at line {line} is never closed"
                ),
            ));
        }
        Ok(())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
