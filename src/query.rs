//! Takes the checked tables and a figure (or an analyst's SQL) with its period, level and
//! scope, and gives a result table: the SQL of `queries/` run by DataFusion, read-only,
//! with every parameter bound through DataFusion's parameter support.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

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

use crate::check::{LINE_COLUMN, contract_fields};
use crate::contract::{SUCCESSORS, TABLES, TEAM_AREAS};

use crate::catalogue::{PRELUDE, Params, QueryFile, REGION_SUCCESSORS};
use crate::diagnostics::Error;
use crate::geography::History;
use crate::output::ResultTable;
use crate::period::{Period, days};
use crate::planner::{self, Plan, exhausted, sql_error};
use crate::store::schemas::{self, Expected};
use crate::store::{Store, StoredTable, rejected_summary};

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
    move |e| Error::sql(context, e)
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
    /// What the caller should tell the user, not yet taken.
    notes: std::sync::Mutex<Vec<String>>,
    /// The regions' history, read when a figure first needs it.
    history: std::sync::OnceLock<History>,
    /// `geo_units` and `geo_codes` by geography day, worked out when first asked for.
    geographies: std::sync::Mutex<HashMap<Option<i32>, [RecordBatch; 2]>>,
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
            notes: std::sync::Mutex::new(Vec::new()),
            history: std::sync::OnceLock::new(),
            geographies: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The notes for the user since last taken (rows left out), each said once a run.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().expect("never poisoned"))
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
    fn require_clean(&self, plan: &Plan) -> Result<(), Error> {
        let rejected: Vec<&StoredTable> = plan
            .tables_with_parents()
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
        let mut notes = self.notes.lock().expect("never poisoned");
        for t in rejected {
            if noted.insert(t.spec.name) {
                notes.push(format!(
                    "{} of {} rows of {} rejected and left out (--skip-invalid)",
                    t.tally.rejected, t.tally.read, t.source.file
                ));
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

    /// A session with what `plan` reads: the store's tables, the successors, the geography
    /// of its day, its periods and its views bound to its parameters.
    pub async fn session(&self, plan: &Plan) -> Result<SessionContext, Error> {
        let ctx = self.context();
        self.require_clean(plan)?;
        for name in &plan.tables {
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
        if plan.successors {
            register_batch(&ctx, REGION_SUCCESSORS, self.history()?.successors_table())?;
        }
        let Some(bound) = &plan.bound else {
            return Ok(ctx);
        };
        if plan.geography {
            self.register_geography(&ctx, &bound.params)?;
        }
        let periods_table = periods_table(&bound.periods)?;
        ctx.register_table("periods", periods_table)
            .map_err(datafusion_error("registering periods"))?;
        for (name, sql) in &plan.views {
            let context = format!("{}: view {name}", PRELUDE.file);
            let df = ctx
                .sql_with_options(sql, read_only())
                .await
                .and_then(|df| df.with_param_values(as_param_values(&bound.values)))
                .map_err(datafusion_error(context.clone()))?;
            ctx.register_table(*name, df.into_view())
                .map_err(datafusion_error(context))?;
        }
        Ok(ctx)
    }

    /// Runs a plan in a session of its own.
    pub async fn run(&self, plan: &Plan) -> Result<ResultTable, Error> {
        let ctx = self.session(plan).await?;
        run(&ctx, plan).await
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
        self.run(&planner::figure(query, params, internal)?).await
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
        self.run(&planner::statement(text, params, what)?).await
    }

    /// Every recorded 읍면동 code in scope with its region at the level of `params` and that
    /// region's name on the geography day: `emd_code`, `region_code`, `region_name`, as the
    /// figures place and name their rows (the prelude's `level_regions`).
    pub async fn level_regions(&self, params: &Params) -> Result<ResultTable, Error> {
        self.sql_in(
            "SELECT emd_code, region_code, region_name FROM level_regions",
            Some(params),
            "level_regions",
        )
        .await
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

fn as_param_values(values: &[(String, ScalarValue)]) -> datafusion::common::ParamValues {
    values
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<Vec<_>>()
        .into()
}

/// Runs the plan's statement and gives the columns it keeps (the optimizer then leaves the
/// others uncomputed).
async fn run(ctx: &SessionContext, plan: &Plan) -> Result<ResultTable, Error> {
    let (sql, what) = (plan.sql.as_str(), plan.what.as_str());
    let df = ctx
        .sql_with_options(sql, read_only())
        .await
        .map_err(|e| sql_error(what, sql, e))?;
    let df = match &plan.bound {
        Some(bound) => df
            .with_param_values(as_param_values(&bound.values))
            .map_err(|e| sql_error(what, sql, e))?,
        None => df,
    };
    let names: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let df = if names.iter().all(|n| plan.keeps(n)) {
        df
    } else {
        let kept: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| plan.keeps(n))
            .collect();
        df.select_columns(&kept)
            .map_err(|e| sql_error(what, sql, e))?
    };
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.map_err(|e| sql_error(what, sql, e))?;
    Ok(ResultTable { schema, batches })
}

/// Whether `error` is a query the memory pool refused: one that may answer when run alone.
pub fn refused_for_memory(error: &Error) -> bool {
    match error {
        Error::Sql { source, .. } => source
            .downcast_ref::<DataFusionError>()
            .is_some_and(exhausted),
        _ => false,
    }
}

/// The URL of a file, taken as it is named: `[`, `?`, `*`, `#`, `%` and spaces are part of
/// its name, never a pattern or a query.
fn file_url(path: &Path) -> Result<ListingTableUrl, Error> {
    let absolute = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
    let url = url::Url::from_file_path(&absolute)
        .map_err(|()| Error::input(path, "cannot be named as a file URL"))?;
    ListingTableUrl::try_new(url, None).map_err(|e| Error::reading(path.display().to_string(), e))
}
