//! Takes the 행정안전부 행정기관코드 file as the ministry publishes it (the `.xlsx`, or the
//! fixed-width CP949 text) and gives its 읍·면·동 rows in the contract's `regions` layout,
//! each with its line, and the rows that are not 읍면동 counted by reason.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use calamine::Data;

use super::Checker;
use super::xlsx::{SheetRow, first_sheet_rows};
use crate::check::Cell;
use crate::check::raw::{Marks, Misfit, RawColumn, RawRows, Unfit};
use crate::contract::REGIONS;
use crate::diagnostics::Error;
use crate::period::{format_date, parse_date};

/// The official file's header, in its order.
pub const HEADER: [&str; 6] = [
    "행정동코드",
    "시도명",
    "시군구명",
    "읍면동명",
    "생성일자",
    "말소일자",
];

/// 철원군 근동·원동·원남·임남면 and 고성군 수동면, north of the DMZ, under their 42 and 51
/// codes: no residents, and statistics leave them out.
const UNRECOVERED: [&str; 10] = [
    "4278034000",
    "4278035000",
    "4278036000",
    "4278037000",
    "4282034000",
    "5178034000",
    "5178035000",
    "5178036000",
    "5178037000",
    "5182034000",
];

/// Why a row of the official file is not a row of `regions`.
pub const LEFT_OUT_SIDO: &str = "시도 row (no 시군구명 or 읍면동명)";
pub const LEFT_OUT_SGG: &str = "시군구 row (no 읍면동명)";
pub const LEFT_OUT_OFFICE: &str = "출장소·분소·지소 (not an 읍면동)";
pub const LEFT_OUT_UNRECOVERED: &str = "unrecovered 면 north of the DMZ";

/// One row of the official file as published, its six fields trimmed.
#[derive(Debug, Clone)]
pub struct OfficialRow {
    /// The line of the text form, or the row Excel shows.
    pub line: u64,
    pub fields: [String; 6],
    /// A text line that ends before its columns do: rejected whole, never classified.
    pub cut_short: Option<Unfit>,
}

/// Whether spreadsheet header cells are the official file's header.
pub fn is_official_header(names: &[String]) -> bool {
    let names: Vec<&str> = names.iter().map(|n| n.trim()).collect();
    names.len() >= HEADER.len()
        && names[..HEADER.len()] == HEADER
        && names[HEADER.len()..].iter().all(|n| n.is_empty())
}

/// The text form's first line decoded, when the bytes are that form: CP949 as published,
/// or UTF-8 when saved again so.
fn text_header(bytes: &[u8]) -> Option<(&'static encoding_rs::Encoding, String)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let line = lines(bytes).next().unwrap_or_default();
    for encoding in [encoding_rs::UTF_8, encoding_rs::EUC_KR] {
        let (text, had_errors) = encoding.decode_without_bom_handling(line);
        if !had_errors && text.split_whitespace().eq(HEADER.iter().copied()) {
            return Some((encoding, text.into_owned()));
        }
    }
    None
}

/// The encoding of a text file whose first bytes are the official file's header line.
pub fn text_encoding(head: &[u8]) -> Option<&'static str> {
    text_header(head).map(|(encoding, _)| {
        if encoding == encoding_rs::UTF_8 {
            "UTF-8"
        } else {
            "CP949"
        }
    })
}

/// A character's width in the published file's CP949 bytes: every Hangul syllable, hanja
/// and symbol CP949 holds takes two.
fn cp949_width(c: char) -> usize {
    if c.is_ascii() { 1 } else { 2 }
}

/// The fixed-width columns of the text form, read off its decoded header line.
struct Columns {
    /// Where each column starts, in CP949 bytes: its header name's first character.
    starts: [usize; 6],
    /// How far a line must reach not to be cut short: the whole header line when it is
    /// padded past its last name, as published; else (saved with trailing blanks trimmed, so
    /// that an empty 말소일자 ends a line early) into the 생성일자 column.
    needed: usize,
}

impl Columns {
    fn of(header: &str) -> Columns {
        let mut starts = [0; 6];
        let (mut k, mut at, mut in_word, mut last_end) = (0, 0, false, 0);
        for c in header.chars() {
            let space = c.is_whitespace();
            if !space && !in_word && k < starts.len() {
                starts[k] = at;
                k += 1;
            }
            in_word = !space;
            at += cp949_width(c);
            if !space {
                last_end = at;
            }
        }
        let needed = if at > last_end { at } else { starts[4] + 1 };
        Columns { starts, needed }
    }

    /// A decoded line cut into its six fields (trimmed), and its width in CP949 bytes.
    fn cut(&self, line: &str) -> ([String; 6], usize) {
        let mut fields: [String; 6] = Default::default();
        let mut at = 0;
        for c in line.chars() {
            let k = self.starts.iter().rposition(|s| *s <= at).unwrap_or(0);
            fields[k].push(c);
            at += cp949_width(c);
        }
        for field in &mut fields {
            *field = field.trim().to_string();
        }
        (fields, at)
    }
}

/// The rows of the text form. Each column runs from the first character of its header name
/// to the first of the next one, measured in CP949 bytes whatever the file was saved as
/// (widths are the published file's); the last runs to the line's end. A line is decoded
/// whole, so bytes its encoding cannot read stay in their field as U+FFFD for the
/// `encoding` check; a line that ends before the header says it must is cut short.
pub fn read_text(bytes: &[u8], path: &Path) -> Result<Vec<OfficialRow>, Error> {
    let (encoding, header) = text_header(bytes)
        .ok_or_else(|| Error::input(path, "not the 행정기관코드 file: no header line"))?;
    let columns = Columns::of(&header);
    let mut rows = Vec::new();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    for (i, line) in lines(body).enumerate().skip(1) {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (text, _) = encoding.decode_without_bom_handling(line);
        let (fields, width) = columns.cut(&text);
        let cut_short = (width < columns.needed).then_some(Unfit::CutShort {
            width,
            needed: columns.needed,
        });
        rows.push(OfficialRow {
            line: i as u64 + 1,
            fields,
            cut_short,
        });
    }
    Ok(rows)
}

/// The lines of a text, each without its end: CRLF, LF and CR each end one, as the CSV reader
/// counts them.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let text = rest?;
        match memchr::memchr2(b'\n', b'\r', text) {
            Some(end) => {
                let next = if text[end..].starts_with(b"\r\n") {
                    end + 2
                } else {
                    end + 1
                };
                rest = Some(&text[next..]);
                Some(&text[..end])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// The rows of the spreadsheet form after its header row, each named by the row Excel shows.
pub fn read_sheet<'a>(rows: impl Iterator<Item = &'a SheetRow>) -> Vec<OfficialRow> {
    let mut out = Vec::new();
    for row in rows {
        let text = |k: usize| row.cells.get(k).map_or_else(String::new, sheet_text);
        out.push(OfficialRow {
            line: u64::from(row.row) + 1,
            fields: std::array::from_fn(text),
            cut_short: None,
        });
    }
    out
}

/// A cell as the text the published file holds: codes and dates saved again as numbers or
/// Excel dates read back as digits and `YYYY-MM-DD`.
fn sheet_text(data: &Data) -> String {
    match data {
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if !dt.is_duration() => format_date(crate::period::days(t.date())),
            _ => dt.as_f64().to_string(),
        },
        other => crate::load::xlsx::cell(other).text().trim().to_string(),
    }
}

/// The official rows taken as `regions` rows (in the contract's column order, as text) and
/// the rows left out, by reason.
pub struct Converted {
    pub lines: Vec<u64>,
    pub rows: Vec<[String; 10]>,
    pub left_out: BTreeMap<String, u64>,
    /// Lines cut short, rejected whole.
    pub misfits: Vec<Misfit>,
}

/// Keeps the 읍·면·동 rows. An empty 시군구명 (세종, a few old 영주시 rows) takes the name of
/// its 시군구 code from the file's own 시군구 rows or other 읍면동 rows, latest first, else
/// the 시도명. A code abolished before it was created (4311073000, 1990) is kept as never
/// valid.
pub fn regions_rows(official: &[OfficialRow]) -> Converted {
    let sgg_of = |code: &str| code.get(..5).unwrap_or(code).to_string();
    let mut sgg_names: HashMap<String, (String, String)> = HashMap::new();
    for row in official {
        let [code, _, sgg, _, created, _] = &row.fields;
        if sgg.is_empty() {
            continue;
        }
        let latest = sgg_names.entry(sgg_of(code)).or_default();
        if created >= &latest.0 {
            *latest = (created.clone(), sgg.clone());
        }
    }
    let mut converted = Converted {
        lines: Vec::new(),
        rows: Vec::new(),
        left_out: BTreeMap::new(),
        misfits: Vec::new(),
    };
    for row in official {
        if let Some(unfit) = row.cut_short {
            converted.misfits.push(Misfit {
                line: row.line,
                unfit,
                text: row.fields.join(" ").trim().to_string(),
            });
            continue;
        }
        let [code, sido, sgg, emd, created, abolished] = &row.fields;
        // Bytes that did not decode say nothing about what the row is: it is checked as an
        // 읍면동 row, and rejected for them.
        let undecoded = row.fields.iter().any(|f| f.contains('\u{FFFD}'));
        let left_out = if undecoded {
            None
        } else if emd.is_empty() && sgg.is_empty() {
            Some(LEFT_OUT_SIDO)
        } else if emd.is_empty() {
            Some(LEFT_OUT_SGG)
        } else if !matches!(emd.chars().last(), Some('읍' | '면' | '동')) {
            Some(LEFT_OUT_OFFICE)
        } else if UNRECOVERED.contains(&code.as_str()) {
            Some(LEFT_OUT_UNRECOVERED)
        } else {
            None
        };
        if let Some(reason) = left_out {
            *converted.left_out.entry(reason.to_string()).or_default() += 1;
            continue;
        }
        let sgg_code = sgg_of(code);
        let sgg_name = if sgg.is_empty() {
            sgg_names
                .get(&sgg_code)
                .map_or_else(|| sido.clone(), |(_, name)| name.clone())
        } else {
            sgg.clone()
        };
        let never_valid = matches!(
            (parse_date(created), parse_date(abolished)),
            (Some(from), Some(to)) if to < from
        );
        let valid_to = if never_valid { created } else { abolished };
        let emd_type = emd.chars().last().map(String::from).unwrap_or_default();
        converted.lines.push(row.line);
        converted.rows.push([
            code.clone(),
            emd.clone(),
            emd_type,
            sgg_code,
            sgg_name,
            code.get(..2).unwrap_or(code).to_string(),
            sido.clone(),
            created.clone(),
            valid_to.clone(),
            String::new(),
        ]);
    }
    converted
}

/// Hands the official rows to the checker as a `regions` table; gives the rows left out.
pub fn check(official: &[OfficialRow], sink: &mut Checker) -> Result<BTreeMap<String, u64>, Error> {
    let converted = regions_rows(official);
    sink.header(REGIONS.columns.iter().map(|c| c.name.to_string()).collect())?;
    for (lines, rows) in converted
        .lines
        .chunks(STRETCH_ROWS)
        .zip(converted.rows.chunks(STRETCH_ROWS))
    {
        let columns = (0..REGIONS.columns.len())
            .map(|k| {
                RawColumn::Cells(
                    rows.iter()
                        .map(|r| {
                            if r[k].is_empty() {
                                Cell::Empty
                            } else {
                                Cell::Text(&r[k])
                            }
                        })
                        .collect(),
                )
            })
            .collect();
        sink.rows(&RawRows {
            lines: lines.to_vec(),
            columns,
            misfits: Vec::new(),
            marks: Marks::ANY,
        })?;
    }
    if !converted.misfits.is_empty() {
        sink.rows(&RawRows {
            lines: Vec::new(),
            columns: (0..REGIONS.columns.len())
                .map(|_| RawColumn::Cells(Vec::new()))
                .collect(),
            misfits: converted.misfits,
            marks: Marks::ANY,
        })?;
    }
    Ok(converted.left_out)
}

/// Rows checked at a time.
const STRETCH_ROWS: usize = 64 * 1024;

/// The official rows of a workbook held in memory, or why it is not the official file.
pub fn read_workbook(bytes: &[u8]) -> Result<Vec<OfficialRow>, String> {
    use calamine::Reader;
    let workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let rows = first_sheet_rows(&mut calamine::Sheets::Xlsx(workbook))?;
    let mut rows = rows.iter();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.cells.iter().map(sheet_text).collect())
        .unwrap_or_default();
    if !is_official_header(&header) {
        return Err("not the 행정기관코드 file: its header differs".into());
    }
    Ok(read_sheet(rows))
}

/// The built-in regions as `regions` rows, read as the checks read them.
pub fn built_in_rows() -> Converted {
    let official =
        read_workbook(super::BUILT_IN_REGIONS).expect("the built-in regions are the official file");
    regions_rows(&official)
}
