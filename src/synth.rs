//! Takes a date range, a scale and a seed, and gives a synthetic export in the data contract
//! on the built-in real regions: every table, streamed to CSV or Parquet. At scale 1.0 and the
//! default seed it reproduces the programme's published 2020 figures: on 2020-09-30, 3,197 of
//! 3,492 읍면동 host an active team and 12,633 staff are active (11,674 공공, 959 민간);
//! calendar 2020 holds 3,967,556 visits and 4,335,951 linked services.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{
    ArrayRef, Date32Builder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::contract::{self, Kind, Table};
use crate::diagnostics::Error;
use crate::geography::{History, Region, Successor};
use crate::load::official;
use crate::period::{days, format_date, parse_date};

/// The published 2020 national figures the generator is calibrated to.
pub const ANCHOR_DAY: &str = "2020-09-30";
pub const EMD_WITH_TEAM: usize = 3_197;
pub const STAFF_PUBLIC: usize = 11_674;
pub const STAFF_PRIVATE: usize = 959;
pub const VISITS_2020: f64 = 3_967_556.0;
pub const LINKS_2020: f64 = 4_335_951.0;
const CASES_2020: f64 = 92_000.0;
const DISCOVERIES_2020: f64 = 310_000.0;
/// Yearly growth of activity around 2020.
const GROWTH: f64 = 1.08;
/// The programme began in the second half of 2016.
const PROGRAMME_START: &str = "2016-07-01";

/// Resident population by 시도, thousands, 2020 (주민등록인구): shares of events.
const SIDO_POPULATION: [(&str, f64); 19] = [
    ("11", 9668.0),
    ("26", 3391.0),
    ("27", 2418.0),
    ("28", 2942.0),
    ("29", 1450.0),
    ("30", 1463.0),
    ("31", 1136.0),
    ("36", 355.0),
    ("41", 13427.0),
    ("42", 1542.0),
    ("43", 1600.0),
    ("44", 2121.0),
    ("45", 1804.0),
    ("46", 1851.0),
    ("47", 2639.0),
    ("48", 3340.0),
    ("50", 675.0),
    ("51", 1542.0),
    ("52", 1804.0),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SynthFormat {
    Csv,
    Parquet,
}

#[derive(Debug, Clone)]
pub struct SynthOptions {
    pub out: PathBuf,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub scale: f64,
    pub seed: u64,
    pub format: SynthFormat,
}

/// SplitMix64: a tiny generator whose output is fixed by its seed forever, so that a seed
/// names the same export in every version; each stream is seeded from the names of what it
/// makes, so tables do not depend on the order they are made in.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: &[u64]) -> Rng {
        let mut rng = Rng(seed ^ 0x9E37_79B9_7F4A_7C15);
        for s in stream {
            rng.0 ^= s.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            rng.next();
        }
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A day in `from..=to` (days since epoch).
    fn day(&mut self, from: i32, to: i32) -> i32 {
        from + self.below((to - from + 1).max(1) as u64) as i32
    }

    fn pick<'a>(&mut self, weighted: &[(&'a str, f64)]) -> &'a str {
        let total: f64 = weighted.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (v, w) in weighted {
            if x < *w {
                return v;
            }
            x -= w;
        }
        weighted.last().expect("choices").0
    }
}

fn code_number(code: &str) -> u64 {
    code.bytes()
        .fold(0u64, |n, b| n.wrapping_mul(131).wrapping_add(u64::from(b)))
}

#[derive(Debug, Clone)]
struct Emd {
    code: String,
    name: String,
    kind: String,
    sgg_code: String,
    sgg_name: String,
    sido_code: String,
    sido_name: String,
    from: Option<i32>,
    to: Option<i32>,
    weight: f64,
}

impl Emd {
    fn valid_on(&self, d: i32) -> bool {
        self.from.is_none_or(|f| f <= d) && self.to.is_none_or(|t| d < t)
    }

    /// The days of `from..=to` it is valid on, as an inclusive range.
    fn window(&self, from: i32, to: i32) -> Option<(i32, i32)> {
        let a = self.from.map_or(from, |f| f.max(from));
        let b = self.to.map_or(to, |t| (t - 1).min(to));
        (a <= b).then_some((a, b))
    }
}

/// The built-in 읍면동 with their weights, and the chains of their re-issued codes.
fn regions() -> (Vec<Emd>, Lineages) {
    let rows = official::built_in_rows().rows;
    let history = History::new(rows.iter().map(Region::from_row).collect(), &[]);
    let mut emds = Vec::new();
    for r in rows {
        let date = |i: usize| (!r[i].is_empty()).then(|| parse_date(&r[i]).expect("a date"));
        emds.push(Emd {
            code: r[0].to_string(),
            name: r[1].to_string(),
            kind: r[2].to_string(),
            sgg_code: r[3].to_string(),
            sgg_name: r[4].to_string(),
            sido_code: r[5].to_string(),
            sido_name: r[6].to_string(),
            from: date(7),
            to: date(8),
            weight: 0.0,
        });
    }
    // Population-like weights: a 시도's population shared among its 읍면동 of the anchor day,
    // 동 busier than 읍, 읍 busier than 면.
    let anchor = parse_date(ANCHOR_DAY).expect("a date");
    let mut per_sido: BTreeMap<String, f64> = BTreeMap::new();
    let kind_factor = |k: &str| match k {
        "동" => 1.3,
        "읍" => 1.0,
        _ => 0.6,
    };
    for e in emds.iter().filter(|e| e.valid_on(anchor)) {
        *per_sido.entry(e.sido_code.clone()).or_default() += kind_factor(&e.kind);
    }
    // A 시도 re-issued under a new code (강원 42→51, 전북 45→52) shares its population among
    // the 읍면동 it had on the anchor day.
    for e in &mut emds {
        let population = SIDO_POPULATION
            .iter()
            .find(|(c, _)| *c == e.sido_code)
            .map_or(1000.0, |(_, p)| *p);
        let sido_on_anchor = history.code_on(&e.sido_code, anchor);
        let units = per_sido.get(&sido_on_anchor).copied().unwrap_or(100.0);
        e.weight = population / units * kind_factor(&e.kind);
    }
    // A re-issued code is the same 읍면동: the same weight all along its chain.
    let lineages = Lineages::of(&emds, &history.successors.emd);
    for i in 0..emds.len() {
        let members = lineages.members(lineages.first[i]);
        if let Some(&on_anchor) = members.iter().find(|&&m| emds[m].valid_on(anchor)) {
            emds[i].weight = emds[on_anchor].weight;
        }
    }
    (emds, lineages)
}

/// Splits `total` among `weights` in whole numbers that add up to it exactly
/// (largest remainder; ties to the earlier index).
fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || total == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut counts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = total - counts.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.partial_cmp(&ra)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

/// A value of one cell of a generated row.
enum Cell<'a> {
    Text(&'a str),
    Date(i32),
    Int(i64),
    Number(f64),
    Null,
}

/// Writes one table, CSV or Parquet, into a temporary file renamed when complete.
struct TableWriter {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    sink: Sink,
    rows: u64,
}

enum Sink {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Parquet {
        writer: Box<parquet::arrow::ArrowWriter<BufWriter<File>>>,
        schema: SchemaRef,
        builders: Vec<Builder>,
        pending: usize,
    },
}

enum Builder {
    Text(StringBuilder),
    Date(Date32Builder),
    Int(Int64Builder),
    Number(Float64Builder),
}

const PARQUET_BATCH: usize = 64 * 1024;

fn schema(spec: &Table) -> SchemaRef {
    Arc::new(Schema::new(
        spec.columns
            .iter()
            .map(|c| {
                let t = match c.kind {
                    Kind::Date => DataType::Date32,
                    Kind::Integer | Kind::Count => DataType::Int64,
                    Kind::Amount => DataType::Float64,
                    _ => DataType::Utf8,
                };
                Field::new(c.name, t, !c.required)
            })
            .collect::<Vec<_>>(),
    ))
}

impl TableWriter {
    fn create(out: &Path, spec: &'static Table, format: SynthFormat) -> Result<TableWriter, Error> {
        let extension = match format {
            SynthFormat::Csv => "csv",
            SynthFormat::Parquet => "parquet",
        };
        let path = out.join(format!("{}.{extension}", spec.name));
        let temp = crate::output::temp_file_in(out, ".tmp")?;
        let file = temp.reopen().map_err(|e| Error::io(&path, e))?;
        let buffered = BufWriter::with_capacity(1 << 20, file);
        let sink = match format {
            SynthFormat::Csv => {
                let mut writer = csv::Writer::from_writer(buffered);
                writer
                    .write_record(spec.columns.iter().map(|c| c.name))
                    .map_err(|e| Error::writing(path.display().to_string(), e))?;
                Sink::Csv(Box::new(writer))
            }
            SynthFormat::Parquet => {
                let schema = schema(spec);
                let properties = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .build();
                let writer = parquet::arrow::ArrowWriter::try_new(
                    buffered,
                    schema.clone(),
                    Some(properties),
                )
                .map_err(|e| Error::writing(path.display().to_string(), e))?;
                let builders = schema
                    .fields()
                    .iter()
                    .map(|f| match f.data_type() {
                        DataType::Date32 => Builder::Date(Date32Builder::new()),
                        DataType::Int64 => Builder::Int(Int64Builder::new()),
                        DataType::Float64 => Builder::Number(Float64Builder::new()),
                        _ => Builder::Text(StringBuilder::new()),
                    })
                    .collect();
                Sink::Parquet {
                    writer: Box::new(writer),
                    schema,
                    builders,
                    pending: 0,
                }
            }
        };
        Ok(TableWriter {
            path,
            temp,
            sink,
            rows: 0,
        })
    }

    fn row(&mut self, cells: &[Cell]) -> Result<(), Error> {
        self.rows += 1;
        let fail = |path: &Path, e: &dyn std::fmt::Display| {
            Error::writing(path.display().to_string(), e.to_string())
        };
        match &mut self.sink {
            Sink::Csv(writer) => {
                for cell in cells {
                    let text = match cell {
                        Cell::Text(s) => std::borrow::Cow::Borrowed(*s),
                        Cell::Date(d) => std::borrow::Cow::Owned(format_date(*d)),
                        Cell::Int(n) => std::borrow::Cow::Owned(n.to_string()),
                        Cell::Number(x) => std::borrow::Cow::Owned(x.to_string()),
                        Cell::Null => std::borrow::Cow::Borrowed(""),
                    };
                    writer
                        .write_field(text.as_bytes())
                        .map_err(|e| fail(&self.path, &e))?;
                }
                writer
                    .write_record(None::<&[u8]>)
                    .map_err(|e| fail(&self.path, &e))?;
            }
            Sink::Parquet {
                builders, pending, ..
            } => {
                for (builder, cell) in builders.iter_mut().zip(cells) {
                    match (builder, cell) {
                        (Builder::Text(b), Cell::Text(s)) => b.append_value(s),
                        (Builder::Date(b), Cell::Date(d)) => b.append_value(*d),
                        (Builder::Int(b), Cell::Int(n)) => b.append_value(*n),
                        (Builder::Number(b), Cell::Number(x)) => b.append_value(*x),
                        (Builder::Text(b), _) => b.append_null(),
                        (Builder::Date(b), _) => b.append_null(),
                        (Builder::Int(b), _) => b.append_null(),
                        (Builder::Number(b), _) => b.append_null(),
                    }
                }
                *pending += 1;
                if *pending == PARQUET_BATCH {
                    self.flush()?;
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        if let Sink::Parquet {
            writer,
            schema,
            builders,
            pending,
        } = &mut self.sink
        {
            if *pending == 0 {
                return Ok(());
            }
            let columns: Vec<ArrayRef> = builders
                .iter_mut()
                .map(|b| -> ArrayRef {
                    match b {
                        Builder::Text(b) => Arc::new(b.finish()),
                        Builder::Date(b) => Arc::new(b.finish()),
                        Builder::Int(b) => Arc::new(b.finish()),
                        Builder::Number(b) => Arc::new(b.finish()),
                    }
                })
                .collect();
            let batch = RecordBatch::try_new(schema.clone(), columns)
                .map_err(|e| Error::computing("building a batch", e))?;
            writer
                .write(&batch)
                .map_err(|e| Error::writing(self.path.display().to_string(), e))?;
            *pending = 0;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(PathBuf, u64), Error> {
        self.flush()?;
        let fail = |e: &dyn std::fmt::Display| {
            Error::writing(self.path.display().to_string(), e.to_string())
        };
        match self.sink {
            Sink::Csv(writer) => {
                let mut inner = writer.into_inner().map_err(|e| fail(&e))?;
                inner.flush().map_err(|e| fail(&e))?;
            }
            Sink::Parquet { writer, .. } => {
                writer.close().map_err(|e| fail(&e))?;
            }
        }
        self.temp
            .persist(&self.path)
            .map_err(|e| Error::io(&self.path, e.error))?;
        Ok((self.path, self.rows))
    }
}

#[derive(Debug, Clone)]
struct TeamLife {
    id: String,
    host: usize,
    established: i32,
    closed: Option<i32>,
}

impl TeamLife {
    fn active_on(&self, d: i32) -> bool {
        self.established <= d && self.closed.is_none_or(|c| d < c)
    }
}

/// The built-in regions' codes re-issued under new ones, as chains of indices.
struct Lineages {
    /// The index of each code's successor.
    next: Vec<Option<usize>>,
    /// Whether a code succeeds another.
    is_successor: Vec<bool>,
    /// The first code of each code's chain.
    first: Vec<usize>,
}

impl Lineages {
    fn of(emds: &[Emd], successors: &[Successor]) -> Lineages {
        let index: HashMap<&str, usize> = emds
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code.as_str(), i))
            .collect();
        let mut next = vec![None; emds.len()];
        let mut is_successor = vec![false; emds.len()];
        for s in successors {
            if let (Some(&a), Some(&b)) = (index.get(s.old.as_str()), index.get(s.new.as_str())) {
                next[a] = Some(b);
                is_successor[b] = true;
            }
        }
        let mut first: Vec<usize> = (0..emds.len()).collect();
        for (i, _) in is_successor.iter().enumerate().filter(|(_, s)| !**s) {
            let mut at = i;
            while let Some(n) = next[at] {
                first[n] = i;
                at = n;
            }
        }
        Lineages {
            next,
            is_successor,
            first,
        }
    }

    /// The codes of the chain that starts at `i`, in order.
    fn members(&self, i: usize) -> Vec<usize> {
        let mut all = vec![i];
        while let Some(n) = self.next[*all.last().expect("not empty")] {
            all.push(n);
        }
        all
    }
}

/// The files a generation wrote, each with its rows.
#[derive(Debug, Default)]
pub struct Written {
    pub files: Vec<(PathBuf, u64)>,
}

/// The yearly volume of a flow in `year`, for the part of the year inside the range.
fn yearly(base_2020: f64, year: i32, scale: f64, covered: f64) -> u64 {
    (base_2020 * GROWTH.powi(year - 2020) * scale * covered).round() as u64
}

pub fn generate(options: &SynthOptions, progress: &dyn Fn(&str)) -> Result<Written, Error> {
    if options.to < options.from {
        return Err(Error::Usage(format!(
            "--to {} is before --from {}",
            options.to, options.from
        )));
    }
    if !(options.scale > 0.0 && options.scale.is_finite()) {
        return Err(Error::Usage(format!(
            "--scale {} must be above 0",
            options.scale
        )));
    }
    std::fs::create_dir_all(&options.out).map_err(|e| Error::io(&options.out, e))?;
    let from = days(options.from);
    let to = days(options.to);
    let anchor = parse_date(ANCHOR_DAY).expect("a date");
    let start = parse_date(PROGRAMME_START).expect("a date");
    let seed = options.seed;
    let (emds, chains) = regions();
    let mut written = Written::default();

    progress("regions");
    let mut w = TableWriter::create(&options.out, &contract::REGIONS, options.format)?;
    // The regions as an export made on its last day knows them: codes created later are not
    // there yet, and abolitions after it are not known.
    for e in emds.iter().filter(|e| e.from.is_none_or(|f| f <= to)) {
        let population = (e.weight * 3_000.0).round() as i64;
        w.row(&[
            Cell::Text(&e.code),
            Cell::Text(&e.name),
            Cell::Text(&e.kind),
            Cell::Text(&e.sgg_code),
            Cell::Text(&e.sgg_name),
            Cell::Text(&e.sido_code),
            Cell::Text(&e.sido_name),
            e.from.map_or(Cell::Null, Cell::Date),
            e.to.filter(|t| *t <= to).map_or(Cell::Null, Cell::Date),
            Cell::Int(population),
        ])?;
    }
    written.files.push(w.finish()?);

    // Teams: exactly EMD_WITH_TEAM of the 읍면동 valid on the anchor day host an active team.
    progress("teams");
    let live: Vec<usize> = (0..emds.len())
        .filter(|&i| emds[i].valid_on(anchor))
        .collect();
    let mut order = live.clone();
    order.sort_by_key(|&i| Rng::new(seed, &[1, code_number(&emds[i].code)]).next());
    let hosted: std::collections::HashSet<usize> =
        order.iter().take(EMD_WITH_TEAM).copied().collect();
    let mut teams: Vec<TeamLife> = Vec::new();
    let mut team_type: BTreeMap<String, &str> = BTreeMap::new();
    let mut areas: Vec<(String, usize)> = Vec::new();
    // A code re-issued under a new one is one 읍면동: its team goes on under the code it was
    // recorded with, and closes only when the last code of the chain is abolished.
    for (i, e) in emds.iter().enumerate() {
        if chains.is_successor[i] {
            continue;
        }
        let members = chains.members(i);
        let end = emds[*members.last().expect("a chain has its first code")].to;
        let mut rng = Rng::new(seed, &[2, code_number(&e.code)]);
        let valid_from = e.from.unwrap_or(start).max(start);
        // The last day it can host a team within the export; a closure after the export's
        // end is not known yet.
        let last = end.map_or(to, |t| t - 1).min(to);
        let closed = end.filter(|t| *t <= to);
        let id = |n: u32| format!("T{}{n:02}", e.code);
        let host_on = |day: i32| {
            members
                .iter()
                .copied()
                .find(|&m| emds[m].valid_on(day))
                .unwrap_or(i)
        };
        let on_anchor = members.iter().copied().find(|&m| emds[m].valid_on(anchor));
        if let Some(i) = on_anchor.filter(|m| hosted.contains(m)) {
            let established = match rng.unit() {
                x if x < 0.40 => rng.day(valid_from, valid_from.max(start + 364)),
                x if x < 0.75 => rng.day(valid_from.max(start + 365), valid_from.max(start + 900)),
                x if x < 0.95 => rng.day(valid_from.max(start + 901), valid_from.max(start + 1279)),
                _ => rng.day(valid_from.max(start + 1280), anchor),
            }
            .min(anchor);
            if rng.chance(0.02) && established > start + 400 && established > valid_from + 30 {
                // An earlier team, closed and replaced on the same day.
                teams.push(TeamLife {
                    id: id(1),
                    host: host_on(valid_from),
                    established: valid_from,
                    closed: Some(established),
                });
                team_type.insert(id(1), "기본형");
            }
            let team = TeamLife {
                id: id(2),
                host: host_on(established),
                established,
                closed,
            };
            let e = &emds[i];
            let regional = e.kind != "동" && rng.chance(0.15);
            team_type.insert(team.id.clone(), if regional { "권역형" } else { "기본형" });
            if regional {
                // Serves 1 or 2 neighbours of the same 시군구 that host no team.
                let wanted = 1 + rng.below(2) as usize;
                let neighbours = live
                    .iter()
                    .filter(|&&j| j != i && emds[j].sgg_code == e.sgg_code && !hosted.contains(&j))
                    .take(wanted);
                for &j in neighbours {
                    areas.push((team.id.clone(), j));
                }
            }
            teams.push(team);
        } else if on_anchor.is_some() {
            // No team on the anchor day; some get one afterwards.
            if last > anchor && rng.chance(0.3) {
                let established = rng.day(anchor + 1, last);
                let team = TeamLife {
                    id: id(2),
                    host: host_on(established),
                    established,
                    closed,
                };
                team_type.insert(team.id.clone(), "기본형");
                teams.push(team);
            }
        } else if valid_from <= last && rng.chance(0.85) {
            // Valid before or after the anchor day only: a team for (part of) its life.
            let established = rng.day(valid_from, last.min(valid_from + 300));
            let team = TeamLife {
                id: id(2),
                host: host_on(established),
                established,
                closed,
            };
            team_type.insert(team.id.clone(), "기본형");
            teams.push(team);
        }
    }
    areas.sort_by(|a, b| a.0.cmp(&b.0).then(emds[a.1].code.cmp(&emds[b.1].code)));
    let mut w = TableWriter::create(&options.out, &contract::TEAMS, options.format)?;
    for t in &teams {
        w.row(&[
            Cell::Text(&t.id),
            Cell::Text(&emds[t.host].code),
            Cell::Text(team_type[&t.id]),
            Cell::Date(t.established),
            t.closed.map_or(Cell::Null, Cell::Date),
        ])?;
    }
    written.files.push(w.finish()?);
    let mut w = TableWriter::create(&options.out, &contract::TEAM_AREAS, options.format)?;
    for (team, j) in &areas {
        w.row(&[Cell::Text(team), Cell::Text(&emds[*j].code)])?;
    }
    written.files.push(w.finish()?);

    // Staff: exactly STAFF_PUBLIC + STAFF_PRIVATE people active on the anchor day.
    progress("staff");
    written
        .files
        .push(staff(options, &emds, &teams, anchor, to)?);

    // The team serving each 읍면동, for the team_id of visits.
    // A team serves every code of its 읍면동's chain.
    let mut serving: Vec<Vec<usize>> = vec![Vec::new(); emds.len()];
    for (k, t) in teams.iter().enumerate() {
        for m in chains.members(chains.first[t.host]) {
            serving[m].push(k);
        }
    }
    for (team, j) in &areas {
        if let Some(k) = teams.iter().position(|t| &t.id == team) {
            for m in chains.members(chains.first[*j]) {
                serving[m].push(k);
            }
        }
    }

    let years: Vec<i32> = (options.from.year()..=options.to.year()).collect();
    let covered = |year: i32| -> (i32, i32, f64) {
        let y0 = days(NaiveDate::from_ymd_opt(year, 1, 1).expect("a date"));
        let y1 = days(NaiveDate::from_ymd_opt(year, 12, 31).expect("a date"));
        let a = y0.max(from);
        let b = y1.min(to);
        (a, b, (b - a + 1) as f64 / (y1 - y0 + 1) as f64)
    };
    // Each flow: per year, its total apportioned to 읍면동 by weight and valid days.
    let allocation = |base: f64, year: i32| -> Vec<(usize, u64, (i32, i32))> {
        let (a, b, share) = covered(year);
        let total = yearly(base, year, options.scale, share);
        let windows: Vec<Option<(i32, i32)>> = emds.iter().map(|e| e.window(a, b)).collect();
        let weights: Vec<f64> = emds
            .iter()
            .zip(&windows)
            .map(|(e, w)| w.map_or(0.0, |(x, y)| e.weight * (y - x + 1) as f64))
            .collect();
        apportion(total, &weights)
            .into_iter()
            .enumerate()
            .filter(|(_, n)| *n > 0)
            .map(|(i, n)| (i, n, windows[i].expect("a weight means a window")))
            .collect()
    };
    let household =
        |e: &Emd, rng: &mut Rng, pool: u64| format!("H{}{:05}", e.code, rng.below(pool.max(1)));

    progress("visits");
    let mut w = TableWriter::create(&options.out, &contract::VISITS, options.format)?;
    let mut n = 0u64;
    for &year in &years {
        for (i, count, (a, b)) in allocation(VISITS_2020, year) {
            let e = &emds[i];
            let mut rng = Rng::new(seed, &[3, year as u64, code_number(&e.code)]);
            let pool = count / 2 + 1;
            for _ in 0..count {
                n += 1;
                let day = rng.day(a, b);
                let team = serving[i]
                    .iter()
                    .map(|&k| &teams[k])
                    .find(|t| t.active_on(day));
                let id = format!("V{n:09}");
                let hh = household(e, &mut rng, pool);
                w.row(&[
                    Cell::Text(&id),
                    Cell::Text(&e.code),
                    team.map_or(Cell::Null, |t| Cell::Text(&t.id)),
                    Cell::Text(&hh),
                    Cell::Date(day),
                    Cell::Text(rng.pick(&[
                        ("방문", 55.0),
                        ("전화", 30.0),
                        ("내방", 12.0),
                        ("기타", 3.0),
                    ])),
                    Cell::Text(rng.pick(&[
                        ("노인", 38.0),
                        ("장애인", 13.0),
                        ("아동", 11.0),
                        ("출산가정", 4.0),
                        ("위기가구", 26.0),
                        ("기타", 8.0),
                    ])),
                ])?;
            }
        }
    }
    written.files.push(w.finish()?);

    progress("service_links");
    let mut w = TableWriter::create(&options.out, &contract::SERVICE_LINKS, options.format)?;
    let mut n = 0u64;
    for &year in &years {
        for (i, count, (a, b)) in allocation(LINKS_2020, year) {
            let e = &emds[i];
            let mut rng = Rng::new(seed, &[4, year as u64, code_number(&e.code)]);
            let pool = count / 2 + 1;
            for _ in 0..count {
                n += 1;
                let id = format!("L{n:09}");
                let hh = household(e, &mut rng, pool);
                w.row(&[
                    Cell::Text(&id),
                    Cell::Text(&e.code),
                    Cell::Text(&hh),
                    Cell::Date(rng.day(a, b)),
                    Cell::Text(rng.pick(&[("공공", 61.0), ("민간", 39.0)])),
                    Cell::Text(rng.pick(&[
                        ("보건", 17.0),
                        ("복지", 46.0),
                        ("고용", 7.0),
                        ("주거", 9.0),
                        ("교육", 5.0),
                        ("법률", 3.0),
                        ("기타", 13.0),
                    ])),
                ])?;
            }
        }
    }
    written.files.push(w.finish()?);

    progress("cases");
    let mut cases = TableWriter::create(&options.out, &contract::CASES, options.format)?;
    let mut meetings = TableWriter::create(&options.out, &contract::CASE_MEETINGS, options.format)?;
    let mut n = 0u64;
    let mut m = 0u64;
    for &year in &years {
        for (i, count, (a, b)) in allocation(CASES_2020, year) {
            let e = &emds[i];
            let mut rng = Rng::new(seed, &[5, year as u64, code_number(&e.code)]);
            for _ in 0..count {
                n += 1;
                let id = format!("C{n:08}");
                let opened = rng.day(a, b);
                let closed = Some(opened + 60 + rng.below(300) as i32).filter(|c| *c <= to);
                let reason = closed.map(|_| {
                    rng.pick(&[
                        ("목표달성", 68.0),
                        ("이관", 14.0),
                        ("거부", 6.0),
                        ("기타", 12.0),
                    ])
                });
                let referred = rng
                    .chance(0.12)
                    .then(|| opened + 7 + rng.below(50) as i32)
                    .filter(|r| *r <= to);
                let hh = format!("H{}{:05}", e.code, 50_000 + rng.below(count.max(1)));
                cases.row(&[
                    Cell::Text(&id),
                    Cell::Text(&e.code),
                    Cell::Text(&hh),
                    Cell::Date(opened),
                    closed.map_or(Cell::Null, Cell::Date),
                    reason.map_or(Cell::Null, Cell::Text),
                    referred.map_or(Cell::Null, Cell::Date),
                ])?;
                let last = closed.map_or(to, |c| (c - 1).min(to));
                for _ in 0..rng.below(4) {
                    m += 1;
                    let meeting = format!("M{m:09}");
                    meetings.row(&[
                        Cell::Text(&meeting),
                        Cell::Text(&id),
                        Cell::Date(rng.day(opened, last.max(opened))),
                        Cell::Text(rng.pick(&[
                            ("사례회의", 60.0),
                            ("솔루션회의", 15.0),
                            ("사후관리", 25.0),
                        ])),
                    ])?;
                }
            }
        }
    }
    written.files.push(cases.finish()?);
    written.files.push(meetings.finish()?);

    progress("discoveries");
    let mut w = TableWriter::create(&options.out, &contract::DISCOVERIES, options.format)?;
    let mut n = 0u64;
    for &year in &years {
        for (i, count, (a, b)) in allocation(DISCOVERIES_2020, year) {
            let e = &emds[i];
            let mut rng = Rng::new(seed, &[6, year as u64, code_number(&e.code)]);
            for _ in 0..count {
                n += 1;
                let id = format!("D{n:09}");
                let hh = format!("H{}{:05}", e.code, 70_000 + rng.below(count.max(1)));
                w.row(&[
                    Cell::Text(&id),
                    Cell::Text(&e.code),
                    Cell::Text(&hh),
                    Cell::Date(rng.day(a, b)),
                    Cell::Text(rng.pick(&[
                        ("빅데이터", 41.0),
                        ("인적안전망", 24.0),
                        ("방문상담", 19.0),
                        ("신청", 11.0),
                        ("기타", 5.0),
                    ])),
                    Cell::Text(rng.pick(&[
                        ("공공지원", 48.0),
                        ("민간지원", 22.0),
                        ("비해당", 22.0),
                        ("진행중", 8.0),
                    ])),
                ])?;
            }
        }
    }
    written.files.push(w.finish()?);

    progress("targets");
    written
        .files
        .push(targets(options, &emds, &teams, &years, &covered)?);
    Ok(written)
}

/// Staff: on the anchor day exactly STAFF_PUBLIC 공공 and STAFF_PRIVATE 민간 people on the
/// teams active then; predecessors who left before, hires after, and people on two teams.
fn staff(
    options: &SynthOptions,
    emds: &[Emd],
    teams: &[TeamLife],
    anchor: i32,
    to: i32,
) -> Result<(PathBuf, u64), Error> {
    let seed = options.seed;
    let active: Vec<usize> = (0..teams.len())
        .filter(|&k| teams[k].active_on(anchor))
        .collect();
    let mut rng = Rng::new(seed, &[7]);
    // A few teams without a 팀장 on the anchor day, so that some miss the standard.
    let leaderless: Vec<bool> = active.iter().map(|_| rng.chance(0.03)).collect();
    let leaders = leaderless.iter().filter(|l| !**l).count();
    let weights: Vec<f64> = active
        .iter()
        .map(|&k| emds[teams[k].host].weight.powf(0.3) * (0.5 + rng.unit()))
        .collect();
    let members = apportion((STAFF_PUBLIC - leaders) as u64, &weights);
    let private = apportion(STAFF_PRIVATE as u64, &weights);
    let mut w = TableWriter::create(&options.out, &contract::STAFF, options.format)?;
    let mut person = 0u64;
    let mut next_id = || {
        person += 1;
        format!("S{person:07}")
    };
    let mut doubles: Vec<(String, usize, i32)> = Vec::new();
    for (slot, &k) in active.iter().enumerate() {
        let team = &teams[k];
        let mut rng = Rng::new(seed, &[8, code_number(&team.id)]);
        let mut people: Vec<(&str, &str)> = Vec::new();
        if !leaderless[slot] {
            people.push(("공공", "팀장"));
        }
        for _ in 0..members[slot] {
            people.push((
                "공공",
                rng.pick(&[
                    ("사회복지", 60.0),
                    ("행정", 20.0),
                    ("간호", 10.0),
                    ("직업상담", 5.0),
                    ("기타", 5.0),
                ]),
            ));
        }
        for _ in 0..private[slot] {
            people.push((
                "민간",
                rng.pick(&[
                    ("사회복지", 50.0),
                    ("간호", 25.0),
                    ("직업상담", 15.0),
                    ("기타", 10.0),
                ]),
            ));
        }
        for (sector, role) in people {
            let grade = match (sector, role) {
                ("민간", _) => None,
                (_, "팀장") => Some("6급"),
                _ => Some(rng.pick(&[("7급", 40.0), ("8급", 40.0), ("9급", 20.0)])),
            };
            let assigned = rng.day(team.established, anchor);
            if assigned > team.established + 90 && rng.chance(0.5) {
                // The person before, who left when this one came.
                let before = next_id();
                w.row(&[
                    Cell::Text(&before),
                    Cell::Text(&team.id),
                    Cell::Text(sector),
                    Cell::Text(role),
                    grade.map_or(Cell::Null, Cell::Text),
                    Cell::Date(team.established),
                    Cell::Date(assigned),
                ])?;
            }
            let id = next_id();
            let left = team.closed.filter(|c| *c <= to);
            w.row(&[
                Cell::Text(&id),
                Cell::Text(&team.id),
                Cell::Text(sector),
                Cell::Text(role),
                grade.map_or(Cell::Null, Cell::Text),
                Cell::Date(assigned),
                left.map_or(Cell::Null, Cell::Date),
            ])?;
            if sector == "공공" && role != "팀장" && rng.chance(0.01) {
                doubles.push((id, k, assigned));
            }
        }
        if to > anchor && rng.chance(0.05) {
            let id = next_id();
            w.row(&[
                Cell::Text(&id),
                Cell::Text(&team.id),
                Cell::Text("공공"),
                Cell::Text("사회복지"),
                Cell::Text("9급"),
                Cell::Date(rng.day(anchor + 1, to)),
                Cell::Null,
            ])?;
        }
    }
    // People also assigned to a second active team of their 시군구 (counted once).
    for (id, k, first) in doubles {
        let sgg = &emds[teams[k].host].sgg_code;
        if let Some(&other) = active
            .iter()
            .find(|&&j| j != k && &emds[teams[j].host].sgg_code == sgg)
        {
            let team = &teams[other];
            // Another day than the first assignment: (staff_id, assigned_on) is a key.
            let mut assigned = team.established.max(anchor - 30);
            if assigned == first {
                assigned = if assigned < anchor {
                    assigned + 1
                } else {
                    assigned - 1
                };
            }
            if assigned < team.established || assigned == first {
                continue;
            }
            w.row(&[
                Cell::Text(&id),
                Cell::Text(&team.id),
                Cell::Text("공공"),
                Cell::Text("사회복지"),
                Cell::Text("7급"),
                Cell::Date(assigned),
                Cell::Null,
            ])?;
        }
    }
    // Teams not active on the anchor day: three people for their whole life.
    for t in teams.iter().filter(|t| !t.active_on(anchor)) {
        let mut rng = Rng::new(seed, &[9, code_number(&t.id)]);
        let last = t.closed.map_or(to, |c| (c - 1).min(to)).max(t.established);
        for role in ["팀장", "사회복지", "행정"] {
            let id = next_id();
            let assigned = (t.established + rng.below(10) as i32).min(last);
            w.row(&[
                Cell::Text(&id),
                Cell::Text(&t.id),
                Cell::Text("공공"),
                Cell::Text(role),
                Cell::Text(if role == "팀장" { "6급" } else { "8급" }),
                Cell::Date(assigned),
                t.closed.filter(|c| *c <= to).map_or(Cell::Null, Cell::Date),
            ])?;
        }
    }
    w.finish()
}

/// Targets of each year for the nation and each 시도: what the year brings, rounded up a bit.
fn targets(
    options: &SynthOptions,
    emds: &[Emd],
    teams: &[TeamLife],
    years: &[i32],
    covered: &dyn Fn(i32) -> (i32, i32, f64),
) -> Result<(PathBuf, u64), Error> {
    let mut w = TableWriter::create(&options.out, &contract::TARGETS, options.format)?;
    let anchor = parse_date(ANCHOR_DAY).expect("a date");
    let population: f64 = SIDO_POPULATION[..17].iter().map(|(_, p)| p).sum();
    for &year in years {
        let year_end = days(NaiveDate::from_ymd_opt(year, 12, 31).expect("a date"));
        let (_, _, share) = covered(year);
        let mut sidos: BTreeMap<&str, f64> = BTreeMap::new();
        for e in emds
            .iter()
            .filter(|e| e.valid_on(year_end.min(days(options.to))))
        {
            sidos.entry(e.sido_code.as_str()).or_insert_with(|| {
                SIDO_POPULATION
                    .iter()
                    .find(|(c, _)| *c == e.sido_code)
                    .map_or(0.0, |(_, p)| *p)
            });
        }
        let teams_total = teams.iter().filter(|t| t.active_on(anchor)).count() as f64;
        let staff_total = (STAFF_PUBLIC + STAFF_PRIVATE) as f64;
        let mut regions: Vec<(&str, f64)> = vec![("00", population)];
        regions.extend(sidos.iter().map(|(c, p)| (*c, *p)));
        for (code, pop) in regions {
            let part = pop / population;
            let values = [
                (
                    "service_links",
                    yearly(LINKS_2020, year, options.scale, share) as f64 * part,
                ),
                ("staff", staff_total * part),
                ("teams", teams_total * part),
                (
                    "visits",
                    yearly(VISITS_2020, year, options.scale, share) as f64 * part,
                ),
            ];
            for (metric, expected) in values {
                w.row(&[
                    Cell::Int(i64::from(year)),
                    Cell::Text(code),
                    Cell::Text(metric),
                    Cell::Number((expected * 1.03).round()),
                ])?;
            }
        }
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportioning_adds_up_exactly() {
        let weights = [3.0, 1.0, 1.0, 0.0, 2.5];
        for total in [0, 1, 7, 3_967_556] {
            let counts = apportion(total, &weights);
            assert_eq!(counts.iter().sum::<u64>(), total);
            assert_eq!(counts[3], 0);
        }
    }

    #[test]
    fn the_2020_volumes_are_the_published_ones() {
        assert_eq!(yearly(VISITS_2020, 2020, 1.0, 1.0), 3_967_556);
        assert_eq!(yearly(LINKS_2020, 2020, 1.0, 1.0), 4_335_951);
        assert_eq!(EMD_WITH_TEAM, 3_197);
        assert_eq!(STAFF_PUBLIC + STAFF_PRIVATE, 12_633);
    }

    #[test]
    fn a_seed_names_one_sequence() {
        let mut a = Rng::new(7, &[1, 2]);
        let mut b = Rng::new(7, &[1, 2]);
        let mut c = Rng::new(7, &[2, 1]);
        let xs: Vec<u64> = (0..4).map(|_| a.next()).collect();
        assert_eq!(xs, (0..4).map(|_| b.next()).collect::<Vec<_>>());
        assert_ne!(xs, (0..4).map(|_| c.next()).collect::<Vec<_>>());
    }
}
