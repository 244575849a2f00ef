//! Takes the unique key of every row of a table as it is checked and gives, exactly, the rows
//! whose key an earlier row already had.
//!
//! Tens of millions of keys do not fit in memory as text, so each row leaves a 64-bit hash
//! of its key and its line, 12 bytes, in one of 256 buckets. At the end each bucket is sorted;
//! the few rows whose hash another row shares are the candidates, and only their keys are
//! read back and compared as text. A hash never decides: two keys that share one are told
//! apart by their text.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int8Type, Int64Type};

use crate::diagnostics::Error;
use crate::period::format_date;

/// Joins the parts of a key: no accepted value holds a NUL (it is a control character).
const SEPARATOR: char = '\0';

/// The value of a key column at a row as the key compares and shows it; `None` when null.
pub fn key_part(array: &dyn Array, i: usize) -> Option<Cow<'_, str>> {
    if array.is_null(i) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Utf8 => Cow::Borrowed(array.as_string::<i32>().value(i)),
        DataType::Dictionary(..) => {
            let dictionary = array.as_dictionary::<Int8Type>();
            let key = dictionary.keys().value(i) as usize;
            Cow::Borrowed(dictionary.values().as_string::<i32>().value(key))
        }
        DataType::Date32 => Cow::Owned(format_date(array.as_primitive::<Date32Type>().value(i))),
        DataType::Int64 => Cow::Owned(array.as_primitive::<Int64Type>().value(i).to_string()),
        DataType::Float64 => Cow::Owned(array.as_primitive::<Float64Type>().value(i).to_string()),
        other => unreachable!("a key column is never {other}"),
    })
}

/// The key of a row, its parts joined; `None` when a part is null (or broke its rule).
pub fn key_text(columns: &[&dyn Array], i: usize) -> Option<String> {
    let mut key = String::new();
    for (n, column) in columns.iter().enumerate() {
        if n > 0 {
            key.push(SEPARATOR);
        }
        key.push_str(&key_part(*column, i)?);
    }
    Some(key)
}

/// A key as a problem shows it: its parts joined by `|`.
pub fn shown(key: &str) -> String {
    key.replace(SEPARATOR, "|")
}

/// The hash of a row's key, from its typed values; `None` when a part is null.
pub fn key_hash(columns: &[&dyn Array], i: usize) -> Option<u64> {
    let mut hasher = foldhash::fast::FixedState::with_seed(0x68_75_62_73).build_hasher();
    for column in columns {
        if column.is_null(i) {
            return None;
        }
        match column.data_type() {
            DataType::Utf8 => hasher.write(column.as_string::<i32>().value(i).as_bytes()),
            DataType::Dictionary(..) => {
                hasher.write_i8(column.as_dictionary::<Int8Type>().keys().value(i));
            }
            DataType::Date32 => hasher.write_i32(column.as_primitive::<Date32Type>().value(i)),
            DataType::Int64 => hasher.write_i64(column.as_primitive::<Int64Type>().value(i)),
            DataType::Float64 => {
                hasher.write_u64(column.as_primitive::<Float64Type>().value(i).to_bits());
            }
            other => unreachable!("a key column is never {other}"),
        }
        hasher.write_u8(0xFF);
    }
    Some(hasher.finish())
}

/// A candidate row's key, read back: its line, its key as text, and whether the row is in the
/// table's file (or was rejected by its other rules already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAt {
    pub line: u64,
    pub key: String,
    pub stored: bool,
}

/// A row found to repeat the key of an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub row: KeyAt,
    /// The line of the first row with the key.
    pub first: u64,
}

/// Entries of a block of a bucket: blocks of a fixed size, so that a growing bucket never
/// holds twice the room it needs, as a doubling vector would.
const BLOCK: usize = 4096;

/// (hash high, hash low, line).
type Entry = [u32; 3];

/// The hashes and lines of a table's keys, as its rows are checked.
#[derive(Debug)]
pub struct KeyLog {
    /// By the hash's top byte, in blocks.
    buckets: Vec<Vec<Vec<Entry>>>,
}

impl Default for KeyLog {
    fn default() -> Self {
        KeyLog {
            buckets: vec![Vec::new(); 256],
        }
    }
}

impl KeyLog {
    /// Notes a row's key hash. Lines are kept in 32 bits, to keep a key to 12 bytes.
    pub fn note(&mut self, hash: u64, line: u64, file: &str) -> Result<(), Error> {
        let line = u32::try_from(line).map_err(|_| {
            Error::input(
                file,
                "more than 4,294,967,295 lines: split the export into smaller files",
            )
        })?;
        let bucket = &mut self.buckets[(hash >> 56) as usize];
        if bucket.last().is_none_or(|block| block.len() == BLOCK) {
            bucket.push(Vec::with_capacity(BLOCK));
        }
        let block = bucket.last_mut().expect("pushed above");
        block.push([(hash >> 32) as u32, hash as u32, line]);
        Ok(())
    }

    /// The lines of rows whose key hash another row shares, sorted: the only rows whose key
    /// may repeat another's.
    pub fn candidates(self) -> Vec<u64> {
        let mut lines = Vec::new();
        for blocks in self.buckets {
            let mut bucket: Vec<Entry> = blocks.concat();
            bucket.sort_unstable();
            let mut i = 0;
            while i < bucket.len() {
                let hash = [bucket[i][0], bucket[i][1]];
                let mut j = i + 1;
                while j < bucket.len() && [bucket[j][0], bucket[j][1]] == hash {
                    j += 1;
                }
                if j - i > 1 {
                    lines.extend(bucket[i..j].iter().map(|e| u64::from(e[2])));
                }
                i = j;
            }
        }
        lines.sort_unstable();
        lines
    }
}

/// Compares the keys of the candidate rows as text: the rows whose key an earlier row had,
/// in the order of their lines.
pub fn duplicates(keys: Vec<KeyAt>) -> Vec<Duplicate> {
    let mut by_key: BTreeMap<String, Vec<KeyAt>> = BTreeMap::new();
    for row in keys {
        by_key.entry(row.key.clone()).or_default().push(row);
    }
    let mut found = Vec::new();
    for mut rows in by_key.into_values() {
        rows.sort_unstable_by_key(|r| r.line);
        let first = rows[0].line;
        found.extend(rows.into_iter().skip(1).map(|row| Duplicate { row, first }));
    }
    found.sort_by_key(|d| d.row.line);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rows_sharing_a_hash_are_candidates_and_text_decides() {
        let mut log = KeyLog::default();
        for (hash, line) in [
            (7u64 << 56 | 1, 2),
            (9, 3),
            (7u64 << 56 | 1, 5),
            (9, 9),
            (4, 4),
        ] {
            log.note(hash, line, "f").unwrap();
        }
        assert_eq!(log.candidates(), [2, 3, 5, 9]);
        // Lines 3 and 9 share a hash but not a key: neither repeats the other.
        let at = |line, key: &str| KeyAt {
            line,
            key: key.into(),
            stored: true,
        };
        let found = duplicates(vec![at(5, "A"), at(2, "A"), at(3, "B"), at(9, "C")]);
        assert_eq!(
            found,
            [Duplicate {
                row: at(5, "A"),
                first: 2,
            }]
        );
    }
}
