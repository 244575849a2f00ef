//! Takes a template, the checked tables and a period and region, and gives a report: the
//! result tables of every sheet (with total rows), the summary comparisons, the charts'
//! data, and what the figures were made from. Rendering is left to `render`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};

pub mod memo;
pub mod packs;

use self::memo::FigureMemo;
use self::packs::SharedFigures;
use crate::catalogue::{FIGURES, PRELUDE, Params, QueryFile, REGION_NAME, figure};
use crate::diagnostics::Error;
use crate::geography::Geography;
use crate::load::Format;
use crate::output::ResultTable;
use crate::period::{Period, days, format_date};
use crate::query::{Engine, refused_for_memory};
use crate::region::RegionLevel;
use crate::store::{Store, bytes_sha256};
use crate::template::{CellFormat, ChartKind, SheetKind, SheetSpec, Template};

/// One cell of a result table, as a report shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Number(f64),
    Bool(bool),
    /// Withheld by the disclosure stage: the value is not kept.
    Hidden,
}

impl Value {
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            _ => None,
        }
    }
}

/// A result table as named columns of values.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    pub fn from_result(table: &ResultTable) -> Result<Rows, Error> {
        let columns = table
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let text = table.text_rows()?;
        let mut rows = Vec::with_capacity(text.len());
        let mut r = 0;
        for batch in &table.batches {
            for i in 0..batch.num_rows() {
                let row = batch
                    .columns()
                    .iter()
                    .enumerate()
                    .map(|(c, array)| {
                        if array.is_null(i) {
                            return Value::Null;
                        }
                        match array.data_type() {
                            DataType::Int64 => {
                                Value::Number(array.as_primitive::<Int64Type>().value(i) as f64)
                            }
                            DataType::Float64 => {
                                Value::Number(array.as_primitive::<Float64Type>().value(i))
                            }
                            DataType::Boolean => Value::Bool(array.as_boolean().value(i)),
                            _ => Value::Text(text[r][c].clone()),
                        }
                    })
                    .collect();
                rows.push(row);
                r += 1;
            }
        }
        Ok(Rows { columns, rows })
    }

    pub fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }
}

/// A sheet of a report with its data.
#[derive(Debug, Clone)]
pub enum SheetData<'t> {
    Table {
        spec: &'t SheetSpec,
        /// The total row(s): the same query at the report region's level; empty when none.
        total: Rows,
        rows: Rows,
        /// Says that the geography re-based codes used in the sheet's periods.
        note: Option<String>,
    },
    Summary {
        spec: &'t SheetSpec,
        /// The period, the one before it, and the same period a year before.
        periods: [Period; 3],
        /// Per template row: its value in each of the three periods.
        values: Vec<[Value; 3]>,
        /// Per template row and period: the figure's row the value comes from, for the
        /// disclosure stage (the households behind it, a rate's inputs); emptied by it.
        sources: Vec<[Rows; 3]>,
        note: Option<String>,
    },
    Provenance,
}

/// One input of the report, for the 자료 sheet.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub table: &'static str,
    pub file: String,
    pub format: Format,
    pub encoding: Option<String>,
    pub bytes: u64,
    pub sha256: String,
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
}

/// A chart's data: category labels and each series' values (total rows left out).
#[derive(Debug, Clone)]
pub struct ChartData {
    pub name: String,
    pub kind: ChartKind,
    pub title: String,
    pub x_axis: String,
    pub y_axis: String,
    pub categories: Vec<String>,
    pub series: Vec<(String, Vec<Option<f64>>)>,
    /// Per series, the points withheld by the disclosure stage: drawn as a gap marked X.
    pub hidden: Vec<Vec<bool>>,
    /// Values are rates (fractions), drawn as percentages.
    pub percent: bool,
}

/// A computed report, ready to render.
#[derive(Debug, Clone)]
pub struct Report<'t> {
    pub template: &'t Template,
    pub period: Period,
    pub scope: Option<String>,
    /// `전국`, or the name of the report's region.
    pub scope_name: String,
    pub generated_at: NaiveDateTime,
    pub sheets: Vec<SheetData<'t>>,
    pub inputs: Vec<InputFile>,
    /// Query files used, with their SHA-256.
    pub queries: Vec<(&'static str, String)>,
    /// The day whose regions the figures are keyed by; `None` as recorded.
    pub geography_day: Option<i32>,
    /// The recorded codes that day's geography counts under another code.
    pub rebased: Vec<RebasedCode>,
    /// What the disclosure stage did; `None` until it runs, and with `--sdc off`.
    pub disclosure: Option<crate::disclosure::Note>,
    /// How many relations the consistency checks verified; `None` until they run.
    pub checked: Option<usize>,
    /// What computing it has to tell the user.
    pub notes: Vec<String>,
}

impl Report<'_> {
    /// `<name>-<scope>-<period>`: the stem of the files the report is written to.
    pub fn stem(&self) -> String {
        format!(
            "{}-{}-{}",
            self.template.name,
            self.scope.as_deref().unwrap_or("national"),
            self.period
        )
    }

    pub fn rejected(&self) -> u64 {
        self.inputs.iter().map(|i| i.rejected).sum()
    }

    /// The headline figures: the first summary sheet's rows for the period, each with its
    /// label and format.
    pub fn headline(&self) -> Vec<(String, CellFormat, Value)> {
        self.sheets
            .iter()
            .find_map(|s| match s {
                SheetData::Summary { spec, values, .. } => Some(
                    spec.rows
                        .iter()
                        .zip(values)
                        .map(|(row, cells)| (row.label.clone(), row.format, cells[0].clone()))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default()
    }

    pub fn charts(&self) -> Vec<ChartData> {
        let mut charts = Vec::new();
        for spec in &self.template.charts {
            let found = self.sheets.iter().find_map(|s| match s {
                SheetData::Table {
                    spec: sheet, rows, ..
                } if sheet.title.get_ref() == spec.sheet.get_ref() => Some((sheet, rows)),
                _ => None,
            });
            let Some((sheet, rows)) = found else {
                continue;
            };
            let column = |name: &str| rows.index(name);
            let Some(category) = column(spec.categories.get_ref()) else {
                continue;
            };
            let categories = rows
                .rows
                .iter()
                .map(|r| match &r[category] {
                    Value::Text(t) => t.clone(),
                    Value::Number(x) => x.to_string(),
                    _ => String::new(),
                })
                .collect();
            let (series, hidden): (Vec<_>, Vec<_>) = spec
                .series
                .iter()
                .filter_map(|s| {
                    let c = column(s.column.get_ref())?;
                    Some((
                        (
                            s.name.clone(),
                            rows.rows.iter().map(|r| r[c].number()).collect(),
                        ),
                        rows.rows.iter().map(|r| r[c] == Value::Hidden).collect(),
                    ))
                })
                .unzip();
            let percent = spec.series.iter().all(|s| {
                sheet.columns.iter().any(|c| {
                    c.column.get_ref() == s.column.get_ref() && c.format == CellFormat::Rate
                })
            });
            charts.push(ChartData {
                name: spec.name.get_ref().clone(),
                kind: spec.kind,
                title: spec.title.clone(),
                x_axis: spec.x_axis.clone(),
                y_axis: spec.y_axis.clone(),
                categories,
                series,
                hidden,
                percent,
            });
        }
        charts
    }
}

/// What every figure of a report is computed for, beyond its period and level.
#[derive(Clone, Copy)]
struct Ask<'a> {
    scope: Option<&'a str>,
    geography: Geography,
    /// Figures computed once for several reports, split per region.
    shared: Option<&'a SharedFigures>,
    internal: bool,
}

/// Figures a report computes at once: the small ones are mostly planning and a single
/// partition's work, so several in flight keep every core busy; the pool still bounds them.
const FIGURES_IN_FLIGHT: usize = 3;

/// A figure computed for the report's scope, or taken from the figures shared by the run.
async fn compute_one(
    engine: &Engine<'_>,
    query: &'static QueryFile,
    level: RegionLevel,
    period: Period,
    ask: Ask<'_>,
) -> Result<Rows, Error> {
    if let Some(shared) = ask.shared {
        return match ask.scope {
            Some(region) if shared.parent() != Some(region) => {
                shared
                    .for_region(engine, query, level, period, region)
                    .await
            }
            _ => shared.for_parent(engine, query, level, period).await,
        };
    }
    let params = Params {
        period,
        level,
        scope: ask.scope.map(str::to_string),
        geography: ask.geography,
    };
    let table = if ask.internal {
        engine.figure_with_internal(query, &params).await?
    } else {
        engine.figure(query, &params).await?
    };
    Rows::from_result(&table)
}

/// Computes the figures `wanted` not yet in `cache` with `compute`, [`FIGURES_IN_FLIGHT`] at
/// a time, into it. A figure the memory pool refused beside the others is computed again alone
/// once they are done, so that a report needs no more memory than its largest figure; the
/// first other error, in the order wanted, ends the report. Gives how many were computed again.
async fn prefetch<F, Fut>(
    memo: &FigureMemo,
    wanted: Vec<(&'static QueryFile, RegionLevel, Period)>,
    compute: F,
) -> Result<usize, Error>
where
    F: Fn(&'static QueryFile, RegionLevel, Period) -> Fut,
    Fut: std::future::Future<Output = Result<Rows, Error>>,
{
    use futures::StreamExt;
    let mut keys = std::collections::HashSet::new();
    let todo: Vec<_> = wanted
        .into_iter()
        .filter(|(q, l, p)| {
            let key = memo::key(q, *l, *p);
            !memo.contains(&key) && keys.insert(key)
        })
        .collect();
    let results: Vec<Result<Rows, Error>> = futures::stream::iter(todo.iter().copied())
        .map(|(query, level, period)| compute(query, level, period))
        .buffered(FIGURES_IN_FLIGHT)
        .collect()
        .await;
    let mut again = 0;
    for ((query, level, period), result) in todo.into_iter().zip(results) {
        let rows = match result {
            Err(e) if refused_for_memory(&e) => {
                again += 1;
                compute(query, level, period).await?
            }
            other => other?,
        };
        memo.insert(memo::key(query, level, period), rows);
    }
    Ok(again)
}

async fn compute(
    engine: &Engine<'_>,
    memo: &FigureMemo,
    query: &'static QueryFile,
    level: RegionLevel,
    period: Period,
    ask: Ask<'_>,
) -> Result<Rows, Error> {
    let key = memo::key(query, level, period);
    if let Some(rows) = memo.get(&key) {
        return Ok(rows);
    }
    let rows = compute_one(engine, query, level, period, ask).await?;
    memo.insert(key, rows.clone());
    Ok(rows)
}

/// Every figure the sheets of `template` read, at the level and period each reads it.
fn wanted_figures(
    template: &Template,
    scope: Option<&str>,
    scope_level: RegionLevel,
    period: Period,
) -> Vec<(&'static QueryFile, RegionLevel, Period)> {
    let mut wanted = Vec::new();
    for spec in &template.sheets {
        match spec.kind {
            SheetKind::Table => {
                let Some(query) = spec.query.as_ref().and_then(|q| figure(q.get_ref())) else {
                    continue;
                };
                let Some(level) = spec.level.map(|l| l.resolve(scope)) else {
                    continue;
                };
                wanted.push((query, level, period));
                if spec.total && level > scope_level {
                    wanted.push((query, scope_level, period));
                }
            }
            SheetKind::Summary => {
                let level = spec.level.map_or(scope_level, |l| l.resolve(scope));
                for row in &spec.rows {
                    if let Some(query) = figure(row.query.get_ref()) {
                        for p in [period, period.previous(), period.year_before()] {
                            wanted.push((query, level, p));
                        }
                    }
                }
            }
            SheetKind::Provenance => {}
        }
    }
    if scope.is_some() {
        let coverage = figure("coverage").expect("the catalogue has coverage");
        wanted.push((coverage, scope_level, period));
    }
    wanted
}

/// What a report is asked for.
#[derive(Clone)]
pub struct ReportAsk<'a> {
    pub period: Period,
    /// The report's region, already in the report's geography.
    pub scope: Option<String>,
    pub geography: Geography,
    pub generated_at: NaiveDateTime,
    /// Figures shared with the other packs of one run (`report --each`).
    pub shared: Option<&'a SharedFigures>,
    /// Whether the figures' internal columns (the households behind each count) are
    /// computed, for the disclosure stage; not with `--sdc off`.
    pub internal: bool,
}

/// Computes every sheet of `template` for the period and scope asked. The geography `end`
/// is the period's last day for every column, comparison and trend quarter.
pub async fn build<'t>(
    template: &'t Template,
    store: &Store,
    engine: &Engine<'_>,
    asked: ReportAsk<'_>,
    on_sheet: &dyn Fn(&str),
) -> Result<Report<'t>, Error> {
    let ReportAsk {
        period,
        scope,
        geography,
        generated_at,
        shared,
        internal,
    } = asked;
    let geography = match geography.day(days(period.end())) {
        Some(day) => Geography::Day(day),
        None => Geography::Recorded,
    };
    let geography_day = geography.day(days(period.end()));
    let in_scope = |c: &RebasedCode| {
        scope
            .as_deref()
            .is_none_or(|s| c.recorded.starts_with(s) || c.counted_as.starts_with(s))
    };
    let rebased: Vec<RebasedCode> = match shared {
        Some(shared) => shared
            .rebased()
            .iter()
            .filter(|c| in_scope(c))
            .cloned()
            .collect(),
        None => rebased_codes(store, engine, geography_day)?
            .into_iter()
            .filter(in_scope)
            .collect(),
    };
    let scope_level =
        RegionLevel::of_code(scope.as_deref().unwrap_or("")).unwrap_or(RegionLevel::National);
    let scope_ref = scope.as_deref();
    let ask = Ask {
        scope: scope_ref,
        geography,
        shared,
        internal,
    };
    let memo = FigureMemo::default();
    let again = prefetch(
        &memo,
        wanted_figures(template, scope_ref, scope_level, period),
        |query, level, period| compute_one(engine, query, level, period, ask),
    )
    .await?;
    let notes = if again > 0 {
        vec![format!(
            "{again} figures computed again one at a time: the memory pool (--memory-limit) could not hold them beside others"
        )]
    } else {
        Vec::new()
    };
    let mut sheets = Vec::new();
    let mut used: Vec<&'static QueryFile> = Vec::new();
    let mut use_query = |q: &'static QueryFile| {
        if !used.iter().any(|u| u.name == q.name) {
            used.push(q);
        }
    };
    for spec in &template.sheets {
        on_sheet(spec.title.get_ref());
        match spec.kind {
            SheetKind::Table => {
                let query = figure(
                    spec.query
                        .as_ref()
                        .expect("checked by the template")
                        .get_ref(),
                )
                .expect("checked by the template");
                use_query(query);
                let level = spec
                    .level
                    .expect("checked by the template")
                    .resolve(scope_ref);
                let rows = compute(engine, &memo, query, level, period, ask).await?;
                for column in &spec.columns {
                    if rows.index(column.column.get_ref()).is_none() {
                        return Err(template.error_at(
                            column.column.span(),
                            format!(
                                "query {} has no column `{}`",
                                query.name,
                                column.column.get_ref()
                            ),
                        ));
                    }
                }
                // A total row is a level above the sheet's rows: the report region's level.
                let total = if spec.total && level > scope_level {
                    compute(engine, &memo, query, scope_level, period, ask).await?
                } else {
                    Rows::default()
                };
                let first = query.first_period(period);
                let note = rebased_note(&rebased, geography_day, first, period);
                sheets.push(SheetData::Table {
                    spec,
                    total,
                    rows,
                    note,
                });
            }
            SheetKind::Summary => {
                let level = spec.level.map_or(scope_level, |l| l.resolve(scope_ref));
                let periods = [period, period.previous(), period.year_before()];
                let mut values = Vec::new();
                let mut sources = Vec::new();
                for row in &spec.rows {
                    let query = figure(row.query.get_ref()).expect("checked by the template");
                    use_query(query);
                    let mut cells = [Value::Null, Value::Null, Value::Null];
                    let mut from: [Rows; 3] = Default::default();
                    for ((cell, source), p) in cells.iter_mut().zip(&mut from).zip(periods) {
                        let rows = compute(engine, &memo, query, level, p, ask).await?;
                        let c = rows.index(row.column.get_ref()).ok_or_else(|| {
                            template.error_at(
                                row.column.span(),
                                format!(
                                    "query {} has no column `{}`",
                                    query.name,
                                    row.column.get_ref()
                                ),
                            )
                        })?;
                        *cell = match rows.rows.first().map(|r| &r[c]) {
                            Some(Value::Number(x)) => Value::Number(*x),
                            _ => Value::Null,
                        };
                        *source = rows;
                    }
                    values.push(cells);
                    sources.push(from);
                }
                let note = rebased_note(&rebased, geography_day, periods[2], period);
                sheets.push(SheetData::Summary {
                    spec,
                    periods,
                    values,
                    sources,
                    note,
                });
            }
            SheetKind::Provenance => sheets.push(SheetData::Provenance),
        }
    }
    let scope_name = match scope_ref {
        None => "전국".to_string(),
        Some(code) => {
            let coverage = figure("coverage").expect("the catalogue has coverage");
            let rows = compute(engine, &memo, coverage, scope_level, period, ask).await?;
            let name = rows.index(REGION_NAME);
            match rows.rows.first().zip(name).map(|(r, i)| &r[i]) {
                Some(Value::Text(name)) => format!("{code} {name}"),
                _ => code.to_string(),
            }
        }
    };
    let mut queries = vec![(PRELUDE.file, bytes_sha256(PRELUDE.text.as_bytes()))];
    for q in FIGURES
        .iter()
        .filter(|f| used.iter().any(|u| u.name == f.name))
    {
        queries.push((q.file, bytes_sha256(q.text.as_bytes())));
    }
    Ok(Report {
        template,
        period,
        scope,
        scope_name,
        generated_at,
        sheets,
        inputs: inputs(store),
        queries,
        geography_day,
        rebased,
        disclosure: None,
        checked: None,
        notes,
    })
}

/// A recorded 읍면동 code the report's geography counts under another code, with the days
/// it was in use and those of the teams it hosts (a team keeps the code it was recorded with).
#[derive(Debug, Clone, PartialEq)]
pub struct RebasedCode {
    pub recorded: String,
    pub counted_as: String,
    pub valid_from: Option<i32>,
    pub valid_to: Option<i32>,
    pub teams: Vec<Life>,
}

/// The days a team is active: from, and to (exclusive; `None` while it goes on).
pub type Life = (i32, Option<i32>);

impl RebasedCode {
    /// Whether it was first used after `day`, so that it counts under its predecessor of
    /// that day rather than its successor.
    pub fn counted_back(&self, day: i32) -> bool {
        self.valid_from.is_some_and(|from| from > day)
    }

    /// Whether the code was in use, or hosted an active team, on a day of `from..=to`.
    fn used(&self, from: i32, to: i32) -> bool {
        let overlaps = |start: Option<i32>, end: Option<i32>| {
            start.is_none_or(|s| s <= to) && end.is_none_or(|e| from < e)
        };
        overlaps(self.valid_from, self.valid_to)
            || self.teams.iter().any(|(s, e)| overlaps(Some(*s), *e))
    }
}

/// The lives of the teams of the store, by host code.
fn team_lives(store: &Store) -> Result<HashMap<String, Vec<Life>>, Error> {
    use datafusion::arrow::datatypes::Date32Type;
    let mut lives: HashMap<String, Vec<Life>> = HashMap::new();
    let Some(teams) = store.read_rows("teams")? else {
        return Ok(lives);
    };
    let (Some(hosts), Some(from), Some(to)) = (
        teams.column_by_name("emd_code"),
        teams.column_by_name("established_on"),
        teams.column_by_name("closed_on"),
    ) else {
        return Ok(lives);
    };
    let (hosts, from, to) = (
        hosts.as_string::<i32>(),
        from.as_primitive::<Date32Type>(),
        to.as_primitive::<Date32Type>(),
    );
    for i in 0..teams.num_rows() {
        lives
            .entry(hosts.value(i).to_string())
            .or_default()
            .push((from.value(i), to.is_valid(i).then(|| to.value(i))));
    }
    Ok(lives)
}

/// Every code the geography of `day` re-bases, with the days it and its teams were in use.
pub fn rebased_codes(
    store: &Store,
    engine: &Engine<'_>,
    day: Option<i32>,
) -> Result<Vec<RebasedCode>, Error> {
    if day.is_none() {
        return Ok(Vec::new());
    }
    let history = engine.history()?;
    let mut lives = team_lives(store)?;
    let dates: HashMap<&str, (Option<i32>, Option<i32>)> = history
        .regions
        .iter()
        .map(|r| (r.emd_code.as_str(), (r.valid_from, r.valid_to)))
        .collect();
    Ok(history
        .rebased(day)
        .into_iter()
        .map(|(recorded, counted_as)| {
            let (valid_from, valid_to) = dates.get(recorded.as_str()).copied().unwrap_or_default();
            RebasedCode {
                teams: lives.remove(&recorded).unwrap_or_default(),
                recorded,
                counted_as,
                valid_from,
                valid_to,
            }
        })
        .collect())
}

/// The note of a sheet whose figures from `first` to `last` count codes re-based by the
/// geography; `None` when none of them was in use then, or hosted a team then.
fn rebased_note(
    rebased: &[RebasedCode],
    day: Option<i32>,
    first: Period,
    last: Period,
) -> Option<String> {
    let day = day?;
    let (from, to) = (days(first.start()), days(last.end()));
    let used: Vec<&RebasedCode> = rebased.iter().filter(|c| c.used(from, to)).collect();
    if used.is_empty() {
        return None;
    }
    Some(format!(
        "※ {} 기준 행정구역으로 집계했습니다: {}. 자료 시트 참조.",
        format_date(day),
        how_rebased(&used, day, true)
    ))
}

/// What the geography of `day` did with `codes`, both ways: earlier codes counted under
/// their successors, codes made after the day under their predecessor of that day; with an
/// example of each when asked.
pub fn how_rebased(codes: &[&RebasedCode], day: i32, examples: bool) -> String {
    let (back, forward): (Vec<&RebasedCode>, Vec<&RebasedCode>) =
        codes.iter().partition(|c| c.counted_back(day));
    let example = |list: &[&RebasedCode]| match list.first() {
        Some(c) if examples => format!(" (예: {} → {})", c.recorded, c.counted_as),
        _ => String::new(),
    };
    let forward_text = format!(
        "이전 코드로 기록된 읍면동 {}개를 그 후속 코드로 합쳤습니다{}",
        forward.len(),
        example(&forward)
    );
    let back_text = format!(
        "그날 뒤에 생긴 코드로 기록된 읍면동 {}개를 그날의 선행 코드로 집계했습니다{}",
        back.len(),
        example(&back)
    );
    match (forward.is_empty(), back.is_empty()) {
        (true, true) => "재편성한 코드가 없습니다".to_string(),
        (false, true) => forward_text,
        (true, false) => back_text,
        (false, false) => format!("{forward_text}; {back_text}"),
    }
}

fn inputs(store: &Store) -> Vec<InputFile> {
    store
        .tables
        .iter()
        .map(|t| InputFile {
            table: t.spec.name,
            file: t.source.file.clone(),
            format: t.source.format,
            encoding: t.source.encoding.clone(),
            bytes: t.source.bytes,
            sha256: t.sha256.clone(),
            read: t.tally.read,
            accepted: t.tally.accepted,
            rejected: t.tally.rejected,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use datafusion::error::DataFusionError;

    use super::*;

    /// Figures refused by the memory pool while others were in flight are computed again
    /// alone; the first other error, in the order wanted, is the report's.
    #[test]
    fn figures_refused_beside_others_are_computed_again_alone() {
        let period: Period = "2020Q3".parse().unwrap();
        let wanted: Vec<_> = ["coverage", "staffing", "visits", "service_links", "visits"]
            .iter()
            .map(|name| (figure(name).unwrap(), RegionLevel::Sido, period))
            .collect();
        let in_flight = Cell::new(0);
        let most = Cell::new(0);
        let refused = Cell::new(0);
        let compute = |query: &'static QueryFile, _, _| {
            let (in_flight, most, refused) = (&in_flight, &most, &refused);
            async move {
                in_flight.set(in_flight.get() + 1);
                most.set(most.get().max(in_flight.get()));
                let alone = in_flight.get() == 1;
                tokio::task::yield_now().await;
                in_flight.set(in_flight.get() - 1);
                if !alone {
                    refused.set(refused.get() + 1);
                    let error = DataFusionError::ResourcesExhausted("pool".into());
                    return Err(Error::sql("a figure", error));
                }
                Ok(Rows {
                    columns: vec![query.name.to_string()],
                    rows: Vec::new(),
                })
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let memo = FigureMemo::default();
        let again = runtime
            .block_on(prefetch(&memo, wanted.clone(), compute))
            .unwrap();
        assert_eq!(most.get(), FIGURES_IN_FLIGHT);
        assert!(again > 0);
        assert_eq!(again, refused.get(), "each refused figure computed again");
        assert_eq!(memo.len(), 4, "visits once");
        for (query, level, period) in &wanted {
            let rows = memo.get(&memo::key(query, *level, *period)).unwrap();
            assert_eq!(rows.columns, [query.name]);
        }

        let failing = |query: &'static QueryFile, _, _| async move {
            match query.name {
                "staffing" | "visits" => Err(Error::Usage(format!("{} failed", query.name))),
                _ => Ok(Rows::default()),
            }
        };
        let error = runtime
            .block_on(prefetch(&FigureMemo::default(), wanted, failing))
            .unwrap_err();
        assert_eq!(error.to_string(), "staffing failed");
    }
}
