//! Takes the computed reports of a run and gives the cells they print, each once under its
//! key (figure column, period, region) with every place it is shown, the relations a reader
//! knows between them, and the rates derived from them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::problem::{Cell, Relation};
use crate::catalogue::cells::{ColumnClass, FigureCells, Households};
use crate::catalogue::{Over, QueryFile, figure};
use crate::diagnostics::Error;
use crate::period::Period;
use crate::report::{Report, Rows, SheetData, Value};

/// A published count: the figure column it is, the period, the region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub measure: String,
    pub period: String,
    pub region: String,
}

impl std::fmt::Display for CellKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.measure, self.period, self.region)
    }
}

/// Where a cell is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Table {
        report: usize,
        sheet: usize,
        total: bool,
        row: usize,
        column: usize,
    },
    Summary {
        report: usize,
        sheet: usize,
        row: usize,
        period: usize,
    },
}

impl Place {
    pub fn report(&self) -> usize {
        match *self {
            Place::Table { report, .. } | Place::Summary { report, .. } => report,
        }
    }

    pub fn sheet(&self) -> usize {
        match *self {
            Place::Table { sheet, .. } | Place::Summary { sheet, .. } => sheet,
        }
    }
}

/// A cell as the run found it.
#[derive(Debug, Clone)]
pub struct Found {
    pub cell: Cell,
    pub distinct: bool,
    pub places: Vec<Place>,
}

/// A rate shown somewhere: hidden with either input, `-` without a denominator.
#[derive(Debug, Clone)]
pub struct Rate {
    pub place: Place,
    pub value: Option<f64>,
    pub inputs: Option<(CellKey, CellKey)>,
}

/// Every cell of a run, its relations (with what each says, for messages) and its rates.
#[derive(Debug, Default)]
pub struct RunCells {
    pub cells: BTreeMap<CellKey, Found>,
    pub relations: BTreeSet<(KeyRelation, String)>,
    pub rates: Vec<Rate>,
    /// Two places showing one cell with two values.
    pub conflicts: Vec<String>,
}

/// A relation over keys, made into one over cell numbers once every cell is known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyRelation {
    Sum(CellKey, Vec<CellKey>),
    Distinct(CellKey, Vec<CellKey>),
    AtMost(CellKey, Vec<CellKey>),
}

impl KeyRelation {
    pub fn keys(&self) -> impl Iterator<Item = &CellKey> {
        let (first, rest) = match self {
            KeyRelation::Sum(t, ps) | KeyRelation::Distinct(t, ps) | KeyRelation::AtMost(t, ps) => {
                (t, ps)
            }
        };
        std::iter::once(first).chain(rest)
    }

    pub fn resolve(&self, index: &HashMap<&CellKey, usize>) -> Relation {
        let parts = |ps: &[CellKey]| ps.iter().map(|p| index[p]).collect();
        match self {
            KeyRelation::Sum(t, ps) => Relation::Sum {
                total: index[t],
                parts: parts(ps),
            },
            KeyRelation::Distinct(t, ps) => Relation::Distinct {
                total: index[t],
                parts: parts(ps),
            },
            KeyRelation::AtMost(t, ps) => Relation::AtMost {
                lesser: index[t],
                greater: parts(ps),
            },
        }
    }
}

/// The parent of a 읍면동 and of a 시군구 in the run's geography.
#[derive(Debug, Clone, Default)]
pub struct Parents {
    pub sgg_of_emd: HashMap<String, String>,
    pub sido_of_sgg: HashMap<String, String>,
}

/// 0 for 전국, 1 시도, 2 시군구, 3 읍면동.
pub fn depth(region: &str) -> u8 {
    match region.len() {
        _ if region == "00" => 0,
        2 => 1,
        5 => 2,
        _ => 3,
    }
}

impl Parents {
    /// The region's ancestor at `depth`, when it is deeper.
    fn ancestor(&self, region: &str, at: u8) -> Option<String> {
        let mut code = region.to_string();
        while depth(&code) > at {
            code = match depth(&code) {
                3 => self
                    .sgg_of_emd
                    .get(&code)
                    .cloned()
                    .or_else(|| code.get(..5).map(str::to_string))?,
                2 => self
                    .sido_of_sgg
                    .get(&code)
                    .cloned()
                    .or_else(|| code.get(..2).map(str::to_string))?,
                _ => "00".to_string(),
            };
        }
        Some(code)
    }
}

/// The label of "1 January to E" of a period, as a period of cells.
fn year_to_date(period: Period) -> String {
    format!("{}~{}", period.start().format("%Y-01-01"), period.end())
}

fn text(value: &Value) -> Option<&str> {
    match value {
        Value::Text(t) => Some(t),
        _ => None,
    }
}

fn whole(value: &Value) -> Option<i64> {
    value.number().map(|x| x.round() as i64)
}

/// Where a figure's column of one row is a cell: its measure and period; `None` for a
/// column that is no count (a name, a metric).
fn cell_key(
    figure: &str,
    column: &str,
    metric: Option<&str>,
    period: &str,
    ytd: &str,
    region: &str,
) -> CellKey {
    let (measure, period) = match (figure, column, metric) {
        // The year to date of targets is the flow figure's own count for that span.
        ("targets", "actual", Some("visits")) => ("visits.visits_total".to_string(), ytd),
        ("targets", "actual", Some("service_links")) => {
            ("service_links.links_total".to_string(), ytd)
        }
        ("targets", c, Some(m)) => (format!("targets.{c}.{m}"), period),
        // A quarter of the trend is the flow figure's count for that quarter.
        ("trend", "visits_total", _) => ("visits.visits_total".to_string(), period),
        ("trend", "links_total", _) => ("service_links.links_total".to_string(), period),
        (f, c, _) => (format!("{f}.{c}"), period),
    };
    CellKey {
        measure,
        period: period.to_string(),
        region: region.to_string(),
    }
}

/// The period of a figure's row: the run's, or a trend row's own quarter.
fn row_period(query: &QueryFile, rows: &Rows, row: usize, period: &str) -> String {
    match query.over {
        Over::Period => period.to_string(),
        Over::Quarters(_) => rows
            .index("quarter")
            .and_then(|q| text(&rows.rows[row][q]))
            .unwrap_or_default()
            .to_string(),
    }
}

/// One row of a figure, as the run reads it.
struct RowAt<'a> {
    figure: &'a str,
    cells: &'a FigureCells,
    rows: &'a Rows,
    row: usize,
    period: String,
    ytd: String,
}

impl RowAt<'_> {
    fn value(&self, column: &str) -> Option<&Value> {
        self.rows
            .index(column)
            .map(|c| &self.rows.rows[self.row][c])
    }

    fn key(&self, column: &str) -> Option<CellKey> {
        let region = text(self.value("region_code")?)?;
        let metric = self.value("metric").and_then(text);
        Some(cell_key(
            self.figure,
            column,
            metric,
            &self.period,
            &self.ytd,
            region,
        ))
    }
}

impl RunCells {
    /// Every cell, relation and rate of the reports of one run.
    pub fn of_reports(reports: &[Report], parents: &Parents) -> Result<RunCells, Error> {
        let mut run = RunCells::default();
        for (r, report) in reports.iter().enumerate() {
            let period = report.period.to_string();
            let ytd = year_to_date(report.period);
            for (s, sheet) in report.sheets.iter().enumerate() {
                match sheet {
                    SheetData::Table {
                        spec, total, rows, ..
                    } => {
                        let name = spec.query.as_ref().expect("a table has a query").get_ref();
                        let query = figure(name).expect("checked by the template");
                        let cells = query.cells()?;
                        if cells.list {
                            continue;
                        }
                        let printed: Vec<&str> = spec
                            .columns
                            .iter()
                            .map(|c| c.column.get_ref().as_str())
                            .collect();
                        for (block, is_total) in [(total, true), (rows, false)] {
                            for row in 0..block.rows.len() {
                                let at = RowAt {
                                    figure: name,
                                    cells: &cells,
                                    rows: block,
                                    row,
                                    period: row_period(query, block, row, &period),
                                    ytd: ytd.clone(),
                                };
                                let place = |column: usize| Place::Table {
                                    report: r,
                                    sheet: s,
                                    total: is_total,
                                    row,
                                    column,
                                };
                                run.add_row(&at, &printed, &place);
                            }
                        }
                    }
                    SheetData::Summary {
                        spec,
                        periods,
                        sources,
                        ..
                    } => {
                        for (i, (row, from)) in spec.rows.iter().zip(sources).enumerate() {
                            let query = figure(row.query.get_ref()).expect("checked");
                            let cells = query.cells()?;
                            for (p, rows) in from.iter().enumerate() {
                                if rows.rows.is_empty() {
                                    continue;
                                }
                                let at = RowAt {
                                    figure: query.name,
                                    cells: &cells,
                                    rows,
                                    row: 0,
                                    period: periods[p].to_string(),
                                    ytd: year_to_date(periods[p]),
                                };
                                let place = Place::Summary {
                                    report: r,
                                    sheet: s,
                                    row: i,
                                    period: p,
                                };
                                run.add_row(&at, &[row.column.get_ref().as_str()], &|_| place);
                            }
                        }
                    }
                    SheetData::Provenance => {}
                }
            }
        }
        run.add_hierarchy(parents);
        run.add_years_to_date(reports);
        Ok(run)
    }

    /// The cells of one figure's result on its own (`query --sdc`): every column printed,
    /// its rows at one level with no total, so that only the rows' own sums relate them.
    pub fn of_table(figure_name: &str, rows: &Rows, period: Period) -> Result<RunCells, Error> {
        let query = figure(figure_name).expect("a figure of the catalogue");
        let cells = query.cells()?;
        let mut run = RunCells::default();
        if cells.list {
            return Ok(run);
        }
        let printed: Vec<&str> = rows
            .columns
            .iter()
            .map(String::as_str)
            .filter(|c| !crate::catalogue::internal_column(c))
            .collect();
        for row in 0..rows.rows.len() {
            let at = RowAt {
                figure: figure_name,
                cells: &cells,
                rows,
                row,
                period: row_period(query, rows, row, &period.to_string()),
                ytd: year_to_date(period),
            };
            let place = |column: usize| Place::Table {
                report: 0,
                sheet: 0,
                total: false,
                row,
                column,
            };
            run.add_row(&at, &printed, &place);
        }
        Ok(run)
    }

    /// The cells, row relations and rates of one row; `printed` lists the columns shown
    /// (`place` gives where, by the column's position in `printed`).
    fn add_row(&mut self, at: &RowAt, printed: &[&str], place: &dyn Fn(usize) -> Place) {
        let shown = |column: &str| printed.iter().position(|p| *p == column);
        // A printed rate shows its inputs as well as the rate (rate × denominator).
        let mut revealed: Vec<&str> = Vec::new();
        for (column, class) in &at.cells.columns {
            if let ColumnClass::Rate {
                inputs: Some((num, den)),
            } = class
                && shown(column).is_some()
            {
                revealed.extend([num.as_str(), den.as_str()]);
            }
        }
        for (column, class) in &at.cells.columns {
            let (sensitive, distinct, households) = match class {
                ColumnClass::Sensitive {
                    households,
                    distinct,
                } => (true, *distinct, Some(households)),
                ColumnClass::Public { distinct } => (false, *distinct, None),
                ColumnClass::Rate { inputs } => {
                    if let Some(c) = shown(column) {
                        let inputs = inputs
                            .as_ref()
                            .and_then(|(n, d)| Some((at.key(n)?, at.key(d)?)));
                        self.rates.push(Rate {
                            place: place(c),
                            value: at.value(column).and_then(Value::number),
                            inputs,
                        });
                    }
                    continue;
                }
            };
            let (Some(key), Some(value)) = (at.key(column), at.value(column).and_then(whole))
            else {
                continue;
            };
            let households = match households {
                Some(Households::Itself) => Some(value),
                Some(Households::Column(h)) => at.value(h).and_then(whole),
                None => None,
            };
            let printed_here = shown(column);
            let cell = Cell {
                value,
                households: households.unwrap_or(value),
                // targets' actual for teams and staff has no households: a public fact.
                sensitive: sensitive && households.is_some(),
                printed: printed_here.is_some() || revealed.contains(&column.as_str()),
                frozen: false,
                depth: depth(&key.region),
            };
            self.add_cell(key, cell, distinct, printed_here.map(place));
        }
        for (relation, bound) in at
            .cells
            .sums
            .iter()
            .map(|r| (r, false))
            .chain(at.cells.bounds.iter().map(|r| (r, true)))
        {
            let Some(total) = at.key(&relation.total) else {
                continue;
            };
            let parts: Option<Vec<CellKey>> = relation.parts.iter().map(|p| at.key(p)).collect();
            let Some(parts) = parts else { continue };
            if !std::iter::once(&total)
                .chain(&parts)
                .all(|k| self.cells.contains_key(k))
            {
                continue;
            }
            let label = format!(
                "{} {} {}: {} {} {}",
                at.figure,
                at.period,
                total.region,
                relation.total,
                if bound { "<=" } else { "=" },
                relation.parts.join(" + ")
            );
            let relation = if bound {
                KeyRelation::AtMost(total, parts)
            } else {
                KeyRelation::Sum(total, parts)
            };
            self.relations.insert((relation, label));
        }
    }

    fn add_cell(&mut self, key: CellKey, cell: Cell, distinct: bool, place: Option<Place>) {
        match self.cells.get_mut(&key) {
            Some(found) => {
                if found.cell.value != cell.value {
                    self.conflicts.push(format!(
                        "{key} is {} in one place and {} in another",
                        found.cell.value, cell.value
                    ));
                }
                found.cell.printed |= cell.printed;
                found.places.extend(place);
            }
            None => {
                self.cells.insert(
                    key,
                    Found {
                        cell,
                        distinct,
                        places: place.into_iter().collect(),
                    },
                );
            }
        }
    }

    /// Each region = Σ its regions at the next level present, per measure and period: for
    /// the flow and stock figures, whose rows cover every region of their level in scope.
    fn add_hierarchy(&mut self, parents: &Parents) {
        let mut groups: BTreeMap<(&str, &str), BTreeMap<u8, Vec<&CellKey>>> = BTreeMap::new();
        for (key, found) in &self.cells {
            // The year to date comes from targets, whose rows are the regions with a target.
            if key.period.contains('~') || key.measure.starts_with("targets.") {
                continue;
            }
            groups
                .entry((&key.measure, &key.period))
                .or_default()
                .entry(found.cell.depth)
                .or_default()
                .push(key);
        }
        let mut relations = Vec::new();
        for ((measure, period), levels) in &groups {
            let depths: Vec<u8> = levels.keys().copied().collect();
            for pair in depths.windows(2) {
                let (up, down) = (pair[0], pair[1]);
                let mut children: BTreeMap<String, Vec<CellKey>> = BTreeMap::new();
                for child in &levels[&down] {
                    if let Some(parent) = parents.ancestor(&child.region, up) {
                        children.entry(parent).or_default().push((*child).clone());
                    }
                }
                for parent in &levels[&up] {
                    let Some(parts) = children.remove(&parent.region) else {
                        continue;
                    };
                    let distinct = self.cells[*parent].distinct;
                    let label = format!(
                        "{measure} {period}: {} = Σ of its {} regions one level down",
                        parent.region,
                        parts.len()
                    );
                    let relation = if distinct {
                        KeyRelation::Distinct((*parent).clone(), parts)
                    } else {
                        KeyRelation::Sum((*parent).clone(), parts)
                    };
                    relations.push((relation, label));
                }
            }
        }
        self.relations.extend(relations);
    }

    /// A year to date (targets' actual) = Σ of the year's quarters, where the run prints
    /// each of them for the same region.
    fn add_years_to_date(&mut self, reports: &[Report]) {
        let mut relations = Vec::new();
        for report in reports {
            let Period::Quarter { year, quarter } = report.period else {
                continue;
            };
            let ytd = year_to_date(report.period);
            for key in self.cells.keys().filter(|k| k.period == ytd) {
                let parts: Vec<CellKey> = (1..=quarter)
                    .map(|q| CellKey {
                        period: Period::Quarter { year, quarter: q }.to_string(),
                        ..key.clone()
                    })
                    .collect();
                if parts.iter().all(|p| self.cells.contains_key(p)) {
                    let label = format!("{key}: 1 January to E = Σ of its quarters");
                    relations.push((KeyRelation::Sum(key.clone(), parts), label));
                }
            }
        }
        self.relations.extend(relations);
    }
}
