//! Takes the checked tables and a figure (or an analyst's SQL) with its period, level and
//! scope, and gives a result table: the SQL of `queries/` run by DataFusion, read-only,
//! with every parameter bound through DataFusion's parameter support.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Date32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::MemTable;
use datafusion::common::ScalarValue;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::DataFusionError;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::execution::memory_pool::{GreedyMemoryPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::sql::parser::{DFParser, Statement as DFStatement};
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::{SetExpr, Statement};

use crate::check::{LINE_COLUMN, contract_fields};
use crate::contract::{SUCCESSORS, TABLES, TEAM_AREAS};

/// The successors in effect, every level, as `hubstat sql` shows them.
pub const REGION_SUCCESSORS: &str = "region_successors";
use crate::diagnostics::Error;
use crate::geography::{Geography, History};
use crate::output::ResultTable;
use crate::period::{Period, days};
use crate::region::RegionLevel;
use crate::store::schemas::{self, Expected};
use crate::store::{Store, StoredTable, rejected_summary};

/// A SQL file of `queries/`, compiled into the binary.
#[derive(Debug)]
pub struct QueryFile {
    pub name: &'static str,
    pub file: &'static str,
    pub text: &'static str,
    /// Optional tables the figure cannot do without.
    pub needs: &'static [&'static str],
    /// The level the figure is always computed at, whatever is asked (a list of teams).
    pub fixed_level: Option<RegionLevel>,
    /// What `periods` holds: the period itself, or the quarters ending with its last one.
    pub over: Over,
}

/// The periods a figure is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    Period,
    /// This many quarters, ending with the quarter that holds E.
    Quarters(u32),
}

impl QueryFile {
    /// The first line of the header comment: the Korean and English title.
    pub fn title(&self) -> &'static str {
        self.text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("--"))
            .map_or("", str::trim)
    }
}

macro_rules! query_file {
    ($name:literal, $needs:expr) => {
        query_file!($name, $needs, None, Over::Period)
    };
    ($name:literal, $needs:expr, $level:expr, $over:expr) => {
        QueryFile {
            name: $name,
            file: concat!("queries/", $name, ".sql"),
            text: include_str!(concat!("../queries/", $name, ".sql")),
            needs: $needs,
            fixed_level: $level,
            over: $over,
        }
    };
}

/// The shared views every figure is written over.
pub static PRELUDE: QueryFile = query_file!("_prelude", &[]);

/// The figure catalogue, in the order of the specification.
pub static FIGURES: [QueryFile; 10] = [
    query_file!("coverage", &[]),
    query_file!("staffing", &[]),
    query_file!("visits", &[]),
    query_file!("service_links", &[]),
    query_file!("case_management", &["cases", "case_meetings"]),
    query_file!("discoveries", &["discoveries"]),
    query_file!("team_standard", &[]),
    query_file!(
        "teams_below_standard",
        &[],
        Some(RegionLevel::Emd),
        Over::Period
    ),
    query_file!("targets", &["targets"]),
    query_file!("trend", &[], None, Over::Quarters(8)),
];

/// Whether a figure's column is internal (the households behind a count, a complement
/// printed nowhere): read by the disclosure stage, never output.
pub fn internal_column(name: &str) -> bool {
    name.contains("__")
}

pub fn figure(name: &str) -> Option<&'static QueryFile> {
    FIGURES.iter().find(|f| f.name == name)
}

/// The figure of that name, or a usage error that lists them.
pub fn figure_named(name: &str) -> Result<&'static QueryFile, Error> {
    figure(name).ok_or_else(|| {
        let names: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
        Error::Usage(format!(
            "no figure named `{name}`; the figures are {}",
            names.join(", ")
        ))
    })
}

/// What a figure is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub period: Period,
    pub level: RegionLevel,
    /// A region code prefix; `None` for every region.
    pub scope: Option<String>,
    /// How regions are keyed.
    pub geography: Geography,
}

impl Params {
    /// The day whose regions figures are keyed by; `None` as recorded.
    pub fn geography_day(&self) -> Option<i32> {
        self.geography.day(days(self.period.end()))
    }
}

/// The names of the figures' views, in order.
pub fn view_names() -> Vec<&'static str> {
    prelude_views().into_iter().map(|(name, _)| name).collect()
}

/// Named views of the prelude, in order, each with its SQL.
fn prelude_views() -> Vec<(&'static str, &'static str)> {
    let mut views = Vec::new();
    for chunk in PRELUDE.text.split("\n-- view: ").skip(1) {
        let (name, sql) = chunk.split_once('\n').expect("a view name line");
        views.push((name.trim(), sql.trim().trim_end_matches(';')));
    }
    views
}

fn date_value(d: NaiveDate) -> ScalarValue {
    ScalarValue::Date32(Some(days(d)))
}

fn periods_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("period", DataType::Utf8, false),
        Field::new("period_start", DataType::Date32, false),
        Field::new("period_end", DataType::Date32, false),
    ]))
}

fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

fn datafusion_error(context: impl Into<String>) -> impl FnOnce(DataFusionError) -> Error {
    let context = context.into();
    move |e| Error::query(context, e)
}

/// How queries run.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// Go on without rejected rows instead of stopping.
    pub skip_invalid: bool,
    /// Bytes the memory pool holds; joins, sorts and distinct counts spill past it.
    pub memory_limit: usize,
}

/// The checked store, ready to be queried many times with different parameters.
pub struct Engine<'s> {
    store: &'s Store,
    options: EngineOptions,
    runtime: Arc<RuntimeEnv>,
    partitions: usize,
    /// Tables already said to have rows left out, so that it is said once.
    noted: std::sync::Mutex<BTreeSet<&'static str>>,
    /// The regions' history, read when a figure first needs it.
    history: std::sync::OnceLock<History>,
    /// `geo_units` and `geo_codes` by geography day, worked out when first asked for.
    geographies: std::sync::Mutex<HashMap<Option<i32>, [RecordBatch; 2]>>,
}

/// The names a SQL text refers to as tables, lower-cased (every table of the contract when
/// it reads `information_schema`); CTEs are not among them.
fn referenced_names(sql: &str) -> Result<BTreeSet<String>, Error> {
    let statements = DFParser::parse_sql(sql).map_err(|e| sql_error("the query", sql, e))?;
    let mut names = BTreeSet::new();
    for statement in &statements {
        let (relations, _) = resolve_table_references(statement, true)
            .map_err(|e| sql_error("the query", sql, e))?;
        for relation in relations {
            match relation.schema() {
                None => {
                    names.insert(relation.table().to_lowercase());
                }
                // Asking what tables there are opens them all.
                Some(schema) if schema.eq_ignore_ascii_case("information_schema") => {
                    names.extend(TABLES.iter().map(|t| t.name.to_string()));
                    names.insert(REGION_SUCCESSORS.to_string());
                }
                Some(_) => {}
            }
        }
    }
    Ok(names)
}

/// The tables a store table's rows hang from, all the way up, with the tables themselves.
fn with_parents(names: &BTreeSet<&'static str>) -> BTreeSet<&'static str> {
    let mut all = names.clone();
    let mut todo: Vec<&'static str> = names.iter().copied().collect();
    while let Some(name) = todo.pop() {
        let Some(spec) = TABLES.iter().find(|t| t.name == name) else {
            continue;
        };
        for fk in spec.foreign_keys {
            if all.insert(fk.references.table()) {
                todo.push(fk.references.table());
            }
        }
    }
    all
}

impl<'s> Engine<'s> {
    pub fn new(store: &'s Store, options: EngineOptions) -> Result<Engine<'s>, Error> {
        let partitions = std::thread::available_parallelism().map_or(1, |n| n.get());
        // First come, first served up to the limit, as DataFusion's own limit is: a fair pool
        // splits the limit evenly among every operator that could spill, used or not (16 in
        // a figure's plan), and so refused a final distinct count a sixteenth of the limit,
        // however little the others held. Spilling operators still spill when the pool is
        // full; the five largest consumers are named when it is.
        let pool = TrackConsumersPool::new(
            GreedyMemoryPool::new(options.memory_limit),
            std::num::NonZeroUsize::new(5).expect("five"),
        );
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(pool))
            .build_arc()
            .map_err(datafusion_error("starting the query engine"))?;
        Ok(Engine {
            store,
            options,
            runtime,
            partitions,
            noted: std::sync::Mutex::new(BTreeSet::new()),
            history: std::sync::OnceLock::new(),
            geographies: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The regions' history and successors of the store.
    pub fn history(&self) -> Result<&History, Error> {
        if let Some(history) = self.history.get() {
            return Ok(history);
        }
        let history = self.store.history()?;
        Ok(self.history.get_or_init(|| history))
    }

    /// An empty session on the engine's memory pool.
    pub fn context(&self) -> SessionContext {
        let mut config = SessionConfig::new()
            .with_target_partitions(self.partitions)
            .with_information_schema(true);
        config.options_mut().sql_parser.collect_spans = true;
        SessionContext::new_with_config_rt(config, self.runtime.clone())
    }

    /// An engine whose regions are keyed by `history` instead of its store's own: another
    /// export's regions and successors, so that two exports are keyed alike (`diff`).
    pub fn with_history(
        store: &'s Store,
        options: EngineOptions,
        history: History,
    ) -> Result<Engine<'s>, Error> {
        let engine = Engine::new(store, options)?;
        Ok(Engine {
            history: std::sync::OnceLock::from(history),
            ..engine
        })
    }

    /// Registers every table of the contract in `ctx` as `<prefix><table>`: the store's
    /// accepted rows, or no rows where the export has no such table.
    pub async fn register_tables(&self, ctx: &SessionContext, prefix: &str) -> Result<(), Error> {
        for spec in TABLES {
            let name = format!("{prefix}{}", spec.name);
            match self.store.table(spec.name) {
                Some(table) => self.register_stored(ctx, table, &name).await?,
                None => register_empty(ctx, spec.name, &name)?,
            }
        }
        Ok(())
    }

    /// `geo_units` and `geo_codes` of the prelude for the geography of `params`, worked out
    /// once per day and kept for the engine's later sessions.
    fn register_geography(&self, ctx: &SessionContext, params: &Params) -> Result<(), Error> {
        let day = params.geography_day();
        let cached = self
            .geographies
            .lock()
            .expect("never poisoned")
            .get(&day)
            .cloned();
        let [units, codes] = match cached {
            Some(tables) => tables,
            None => {
                let history = self.history()?;
                let tables = [history.units_table(day), history.codes_table(day)];
                self.geographies
                    .lock()
                    .expect("never poisoned")
                    .insert(day, tables.clone());
                tables
            }
        };
        register_batch(ctx, "geo_units", units)?;
        register_batch(ctx, "geo_codes", codes)
    }

    /// The first optional table `query` needs that the export does not have.
    pub fn lacks(&self, query: &QueryFile) -> Option<&'static str> {
        query
            .needs
            .iter()
            .copied()
            .find(|table| *table != "team_areas" && self.store.table(table).is_none())
    }

    /// Stops when a table the query reads, or a table its rows hang from, has rejected rows,
    /// unless told to go on without them; then says once which rows are left out.
    fn require_clean(&self, tables: &BTreeSet<&'static str>) -> Result<(), Error> {
        let rejected: Vec<&StoredTable> = with_parents(tables)
            .into_iter()
            .filter_map(|name| self.store.table(name))
            .filter(|t| t.tally.rejected > 0)
            .collect();
        let Some(summary) = rejected_summary(rejected.iter().copied()) else {
            return Ok(());
        };
        if !self.options.skip_invalid {
            return Err(Error::Rejected {
                summary: format!("rows rejected: {summary}"),
                data: self.store.data_folder(),
            });
        }
        let mut noted = self.noted.lock().expect("never poisoned");
        for t in rejected {
            if noted.insert(t.spec.name) {
                eprintln!(
                    "note: {} of {} rows of {} rejected and left out (--skip-invalid)",
                    t.tally.rejected, t.tally.read, t.source.file
                );
            }
        }
        Ok(())
    }

    /// Registers a table of the store as a Parquet table read in place; rows rejected by the
    /// rules across tables are left out through their lines.
    async fn register_stored(
        &self,
        ctx: &SessionContext,
        table: &StoredTable,
        name: &str,
    ) -> Result<(), Error> {
        let context = format!("opening table {name} of the store");
        let url = file_url(&table.parquet)?;
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let stored = options
            .infer_schema(&ctx.state(), &url)
            .await
            .map_err(|e| {
                Error::damaged(&table.parquet, format!("not a readable Parquet file: {e}"))
            })?;
        schemas::check(&table.parquet, &stored, Expected::Rows(table.spec))?;
        let columns: Vec<Field> = stored
            .fields()
            .iter()
            .filter(|f| f.name() != LINE_COLUMN)
            .map(|f| f.as_ref().clone())
            .collect();
        let (schema, registered) = if table.excluded.is_empty() {
            (Arc::new(Schema::new(columns.clone())), name.to_string())
        } else {
            (stored.clone(), format!("_rows_{name}"))
        };
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(schema);
        let listing = ListingTable::try_new(config).map_err(datafusion_error(context.clone()))?;
        ctx.register_table(registered.as_str(), Arc::new(listing))
            .map_err(datafusion_error(context.clone()))?;
        if table.excluded.is_empty() {
            return Ok(());
        }
        let lines_schema = Arc::new(Schema::new(vec![Field::new(
            "line",
            DataType::Int64,
            false,
        )]));
        let lines = Int64Array::from_iter_values(table.excluded.iter().map(|l| *l as i64));
        let batch = RecordBatch::try_new(lines_schema.clone(), vec![Arc::new(lines)])
            .expect("lines follow their schema");
        let excluded = MemTable::try_new(lines_schema, vec![vec![batch]])
            .map_err(datafusion_error(context.clone()))?;
        ctx.register_table(format!("_left_out_{name}").as_str(), Arc::new(excluded))
            .map_err(datafusion_error(context.clone()))?;
        let list = columns
            .iter()
            .map(|f| format!("\"{}\"", f.name().replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(", ");
        let view = format!(
            "SELECT {list} FROM _rows_{name} WHERE {LINE_COLUMN} NOT IN (SELECT line FROM _left_out_{name})"
        );
        let df = ctx
            .sql_with_options(&view, read_only())
            .await
            .map_err(datafusion_error(context.clone()))?;
        ctx.register_table(name, df.into_view())
            .map_err(datafusion_error(context))?;
        Ok(())
    }

    /// A session with the tables `sql` reads and, when `params` are given, the prelude views
    /// it reads, bound to them. Only what the query refers to is opened.
    async fn session(
        &self,
        sql: &str,
        params: Option<(&Params, &[Period])>,
    ) -> Result<(SessionContext, Vec<(String, ScalarValue)>), Error> {
        let ctx = self.context();
        let views = if params.is_some() {
            prelude_views()
        } else {
            Vec::new()
        };
        let mut wanted: BTreeSet<String> = referenced_names(sql)?;
        let mut todo: Vec<String> = wanted.iter().cloned().collect();
        while let Some(name) = todo.pop() {
            if let Some((_, view_sql)) = views.iter().find(|(v, _)| *v == name) {
                for dependency in referenced_names(view_sql)? {
                    if wanted.insert(dependency.clone()) {
                        todo.push(dependency);
                    }
                }
            }
        }
        let tables: BTreeSet<&'static str> = TABLES
            .iter()
            .map(|t| t.name)
            .filter(|name| wanted.contains(*name))
            .collect();
        self.require_clean(&tables)?;
        for name in &tables {
            match self.store.table(name) {
                Some(table) => self.register_stored(&ctx, table, name).await?,
                // No team_areas file means no 읍면동 served beyond their hosts; no successors
                // file, none beyond those the regions' history gives.
                None if [&TEAM_AREAS, &SUCCESSORS].iter().any(|t| t.name == *name) => {
                    register_empty(&ctx, name, name)?;
                }
                None => {}
            }
        }
        if wanted.contains(REGION_SUCCESSORS) {
            register_batch(&ctx, REGION_SUCCESSORS, self.history()?.successors_table())?;
        }
        let Some((params, periods)) = params else {
            return Ok((ctx, Vec::new()));
        };
        let values = param_values(params, periods);
        if wanted.contains("geo_units") || wanted.contains("geo_codes") {
            self.register_geography(&ctx, params)?;
        }
        let periods_table = periods_table(periods)?;
        ctx.register_table("periods", periods_table)
            .map_err(datafusion_error("registering periods"))?;
        for (name, sql) in views.iter().filter(|(v, _)| wanted.contains(*v)) {
            let context = format!("{}: view {name}", PRELUDE.file);
            let df = ctx
                .sql_with_options(sql, read_only())
                .await
                .and_then(|df| df.with_param_values(as_param_values(&values)))
                .map_err(datafusion_error(context.clone()))?;
            ctx.register_table(*name, df.into_view())
                .map_err(datafusion_error(context))?;
        }
        Ok((ctx, values))
    }

    /// Runs a figure of the catalogue: its published columns (the internal ones are not
    /// computed).
    pub async fn figure(&self, query: &QueryFile, params: &Params) -> Result<ResultTable, Error> {
        self.figure_columns(query, params, false).await
    }

    /// Runs a figure of the catalogue with its internal columns, for the disclosure stage.
    pub async fn figure_with_internal(
        &self,
        query: &QueryFile,
        params: &Params,
    ) -> Result<ResultTable, Error> {
        self.figure_columns(query, params, true).await
    }

    async fn figure_columns(
        &self,
        query: &QueryFile,
        params: &Params,
        internal: bool,
    ) -> Result<ResultTable, Error> {
        if let Some(table) = self.lacks(query) {
            return Err(Error::Usage(format!(
                "figure {} needs the optional table `{table}`, which the export does not have",
                query.name
            )));
        }
        let mut params = params.clone();
        if let Some(level) = query.fixed_level {
            params.level = level;
        }
        let periods: Vec<Period> = match query.over {
            Over::Period => vec![params.period],
            Over::Quarters(n) => (0..n)
                .rev()
                .map(|back| params.period.quarters_back(back))
                .collect(),
        };
        let (ctx, mut values) = self.session(query.text, Some((&params, &periods))).await?;
        for (name, value) in &mut values {
            if name == "disclosure" {
                *value = ScalarValue::Boolean(Some(internal));
            }
        }
        let keep = |name: &str| internal || !internal_column(name);
        run(&ctx, query.text, &values, query.file, &keep).await
    }

    /// Runs an analyst's read-only SQL; with `params`, the prelude views and `$start`, `$end`,
    /// `$as_of`, `$level`, `$scope`, `$year`, `$year_start` are there too.
    pub async fn sql(&self, text: &str, params: Option<&Params>) -> Result<ResultTable, Error> {
        self.sql_in(text, params, "the query").await
    }

    /// [`Engine::sql`], its errors placed in `what` (`<stdin>:3:8`).
    pub async fn sql_in(
        &self,
        text: &str,
        params: Option<&Params>,
        what: &str,
    ) -> Result<ResultTable, Error> {
        refuse_writes(text, what)?;
        let periods = params.map(|p| vec![p.period]).unwrap_or_default();
        let (ctx, values) = self
            .session(text, params.map(|p| (p, periods.as_slice())))
            .await?;
        run(&ctx, text, &values, what, &|_| true).await
    }

    /// The tables a statement can read: the store's, the optional ones it stands in for
    /// with no rows, and the successors in effect.
    pub fn table_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = TABLES
            .iter()
            .map(|t| t.name)
            .filter(|n| {
                self.store.table(n).is_some() || *n == TEAM_AREAS.name || *n == SUCCESSORS.name
            })
            .collect();
        names.push(REGION_SUCCESSORS);
        names
    }
}

/// Registers the contract's table `spec` with no rows under `name`.
fn register_empty(ctx: &SessionContext, spec: &str, name: &str) -> Result<(), Error> {
    let spec = TABLES
        .iter()
        .find(|t| t.name == spec)
        .expect("a table of the contract");
    let context = format!("registering {name}");
    let schema = Arc::new(Schema::new(contract_fields(spec)));
    let empty =
        MemTable::try_new(schema, vec![vec![]]).map_err(datafusion_error(context.clone()))?;
    ctx.register_table(name, Arc::new(empty))
        .map_err(datafusion_error(context))?;
    Ok(())
}

/// Registers a table held in memory.
pub fn register_batch(ctx: &SessionContext, name: &str, batch: RecordBatch) -> Result<(), Error> {
    let context = format!("registering {name}");
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]])
        .map_err(datafusion_error(context.clone()))?;
    ctx.register_table(name, Arc::new(table))
        .map_err(datafusion_error(context))?;
    Ok(())
}

fn periods_table(periods: &[Period]) -> Result<Arc<MemTable>, Error> {
    let schema = periods_schema();
    let names: StringArray = periods.iter().map(|p| Some(p.to_string())).collect();
    let starts: Date32Array = periods.iter().map(|p| Some(days(p.start()))).collect();
    let ends: Date32Array = periods.iter().map(|p| Some(days(p.end()))).collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(names), Arc::new(starts), Arc::new(ends)],
    )
    .expect("the periods batch follows its schema");
    MemTable::try_new(schema, vec![vec![batch]])
        .map(Arc::new)
        .map_err(datafusion_error("registering periods"))
}

/// The parameters of a run. For a trend, S and E are the first day of its first quarter
/// and the last day of its last; D and the year stay those of the period asked.
fn param_values(params: &Params, periods: &[Period]) -> Vec<(String, ScalarValue)> {
    let start = periods.first().map_or(params.period.start(), Period::start);
    let end = periods.last().map_or(params.period.end(), Period::end);
    let year_start = NaiveDate::from_ymd_opt(params.period.end().year(), 1, 1).expect("1 January");
    vec![
        ("start".into(), date_value(start)),
        ("end".into(), date_value(end)),
        ("as_of".into(), date_value(params.period.as_of())),
        (
            "year".into(),
            ScalarValue::Int64(Some(i64::from(params.period.end().year()))),
        ),
        ("year_start".into(), date_value(year_start)),
        (
            "level".into(),
            ScalarValue::Utf8(Some(params.level.as_str().into())),
        ),
        (
            "scope".into(),
            ScalarValue::Utf8(Some(params.scope.clone().unwrap_or_default())),
        ),
        (
            "geography_day".into(),
            ScalarValue::Date32(params.geography_day()),
        ),
        // Whether a figure computes its internal columns (the disclosure stage's).
        ("disclosure".into(), ScalarValue::Boolean(Some(false))),
    ]
}

fn as_param_values(values: &[(String, ScalarValue)]) -> datafusion::common::ParamValues {
    values
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<Vec<_>>()
        .into()
}

/// Runs `sql` and gives the columns `keep` takes (the optimizer then leaves the others
/// uncomputed).
async fn run(
    ctx: &SessionContext,
    sql: &str,
    values: &[(String, ScalarValue)],
    what: &str,
    keep: &dyn Fn(&str) -> bool,
) -> Result<ResultTable, Error> {
    let df = ctx
        .sql_with_options(sql, read_only())
        .await
        .map_err(|e| sql_error(what, sql, e))?;
    let df = if values.is_empty() {
        df
    } else {
        df.with_param_values(as_param_values(values))
            .map_err(|e| sql_error(what, sql, e))?
    };
    let names: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let df = if names.iter().all(|n| keep(n)) {
        df
    } else {
        let kept: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| keep(n))
            .collect();
        df.select_columns(&kept)
            .map_err(|e| sql_error(what, sql, e))?
    };
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.map_err(|e| sql_error(what, sql, e))?;
    Ok(ResultTable { schema, batches })
}

/// The operators one statement may hold. DataFusion plans an expression by recursion and
/// simplifies a chain of `OR` or `AND` in time that grows with the square of its length
/// (4,000 terms take a few seconds), so a longer statement is refused before it is parsed,
/// rather than running for an hour or overflowing a stack.
pub const MAX_OPERATORS: usize = 5_000;

/// The operators of a statement that chain expressions into deep trees: `AND`, `OR`, `NOT`
/// and arithmetic (a comparison takes two operands and ends a chain), counted from its
/// tokens, since the tokenizer does not recurse.
fn operator_count(sql: &str) -> Option<usize> {
    use datafusion::sql::sqlparser::dialect::GenericDialect;
    use datafusion::sql::sqlparser::keywords::Keyword;
    use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&GenericDialect {}, sql).tokenize().ok()?;
    Some(
        tokens
            .iter()
            .filter(|t| match t {
                Token::Word(w) => matches!(w.keyword, Keyword::AND | Keyword::OR | Keyword::NOT),
                Token::Plus
                | Token::Minus
                | Token::Mul
                | Token::Div
                | Token::Mod
                | Token::StringConcat => true,
                _ => false,
            })
            .count(),
    )
}

/// Refuses anything but a query, before DataFusion sees it; SQLOptions guard again.
fn refuse_writes(sql: &str, what: &str) -> Result<(), Error> {
    if let Some(operators) = operator_count(sql).filter(|n| *n > MAX_OPERATORS) {
        return Err(Error::Usage(format!(
            "the statement holds {operators} operators (AND, OR, NOT, arithmetic); hubstat plans at most {MAX_OPERATORS} in one statement: write a long list of values as `column IN (value, value, ...)`, which has no such limit"
        )));
    }
    let statements = DFParser::parse_sql(sql).map_err(|e| sql_error(what, sql, e))?;
    if statements.len() != 1 {
        return Err(Error::Usage(format!(
            "hubstat sql runs one query at a time; this text holds {}",
            statements.len()
        )));
    }
    let statement = match &statements[0] {
        DFStatement::Explain(e) => e.statement.as_ref(),
        other => other,
    };
    let keyword = match statement {
        DFStatement::Statement(s) => match s.as_ref() {
            Statement::Query(q) => match q.body.as_ref() {
                SetExpr::Insert(_) => "INSERT".to_string(),
                SetExpr::Update(_) => "UPDATE".to_string(),
                SetExpr::Delete(_) => "DELETE".to_string(),
                SetExpr::Merge(_) => "MERGE".to_string(),
                _ => return Ok(()),
            },
            _ => first_keyword(sql),
        },
        _ => first_keyword(sql),
    };
    Err(Error::Usage(format!(
        "{keyword} is refused: hubstat sql only reads (SELECT, WITH, VALUES, EXPLAIN); nothing was run or written"
    )))
}

/// The statement's first word, past space and comments.
fn first_keyword(sql: &str) -> String {
    use datafusion::sql::sqlparser::dialect::GenericDialect;
    use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize()
        .unwrap_or_default();
    tokens
        .iter()
        .find_map(|t| match t {
            Token::Word(w) => Some(w.value.to_uppercase()),
            Token::Whitespace(_) => None,
            other => Some(other.to_string()),
        })
        .unwrap_or_default()
}

/// A SQL error with the place it points at, when DataFusion knows it:
/// `line:column`, the line itself and a caret under the problem.
fn sql_error(what: &str, sql: &str, e: DataFusionError) -> Error {
    let location = e
        .diagnostic()
        .and_then(|d| d.span)
        .map(|s| (s.start.line as usize, s.start.column as usize))
        .or_else(|| parser_location(&e.to_string()));
    let context = match location {
        Some((line, column)) if line > 0 => {
            let text = sql.lines().nth(line - 1).unwrap_or_default();
            let caret = format!("{}^", " ".repeat(column.saturating_sub(1)));
            format!("{what}:{line}:{column}: SQL error\n  {text}\n  {caret}")
        }
        _ if exhausted(&e) => format!(
            "{what}: the query needs more memory than --memory-limit lets it reserve: raise it (for example --memory-limit 4G; the default is 2G)"
        ),
        _ => format!("{what}: SQL error"),
    };
    Error::query(context, e)
}

/// Whether the memory pool refused the query, whatever wraps that.
fn exhausted(e: &DataFusionError) -> bool {
    matches!(e.find_root(), DataFusionError::ResourcesExhausted(_))
}

/// Whether `error` is a query the memory pool refused: one that may answer when run alone.
pub fn refused_for_memory(error: &Error) -> bool {
    match error {
        Error::Query { source, .. } => source
            .downcast_ref::<DataFusionError>()
            .is_some_and(exhausted),
        _ => false,
    }
}

/// sqlparser says `... at Line: 1, Column: 8`.
fn parser_location(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.find("Line: ")? + 6..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

/// The URL of a file, taken as it is named: `[`, `?`, `*`, `#`, `%` and spaces are part of
/// its name, never a pattern or a query.
fn file_url(path: &Path) -> Result<ListingTableUrl, Error> {
    let absolute = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
    let url = url::Url::from_file_path(&absolute)
        .map_err(|()| Error::input(path, "cannot be named as a file URL"))?;
    ListingTableUrl::try_new(url, None)
        .map_err(|e| Error::query(format!("opening {}", path.display()), e))
}
