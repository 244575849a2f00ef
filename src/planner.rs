//! Takes a figure of the catalogue or an analyst's SQL, with the parameters asked, and gives
//! a plan: the statement, the contract tables, prelude views and geography tables it reads,
//! the periods and parameter values bound to it. Read-only statements only: anything that
//! writes is refused here, before a session exists. Needs no store.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use datafusion::common::ScalarValue;
use datafusion::error::DataFusionError;
use datafusion::sql::parser::{DFParser, Statement as DFStatement};
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::{SetExpr, Statement};

use crate::catalogue::{Params, QueryFile, REGION_SUCCESSORS, internal_column, prelude_views};
use crate::contract::TABLES;
use crate::diagnostics::{Error, Location};
use crate::period::{Period, days};

/// The geography tables of the prelude, built from the regions' history for a day.
pub const GEOGRAPHY_TABLES: [&str; 2] = ["geo_units", "geo_codes"];

/// A statement ready to be run: what it reads and what is bound to it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub sql: String,
    /// Where its errors are placed: the query file, `<stdin>:3`, `the query`.
    pub what: String,
    /// The contract's tables it reads, through its views too.
    pub tables: BTreeSet<&'static str>,
    /// The prelude's views it reads, in the prelude's order, each with its SQL.
    pub views: Vec<(&'static str, &'static str)>,
    /// Whether it reads `geo_units` or `geo_codes`.
    pub geography: bool,
    /// Whether it reads the successors in effect.
    pub successors: bool,
    /// The parameters, the periods of `periods` and the values bound; `None` for SQL run
    /// without a period (no views then).
    pub bound: Option<Bound>,
    /// Whether the figure's internal columns are kept (the disclosure stage's).
    pub internal: bool,
}

#[derive(Debug, Clone)]
pub struct Bound {
    pub params: Params,
    pub periods: Vec<Period>,
    pub values: Vec<(String, ScalarValue)>,
}

impl Plan {
    /// Whether the plan keeps the column of that name.
    pub fn keeps(&self, column: &str) -> bool {
        self.internal || !internal_column(column)
    }

    /// The tables the plan reads and every table their rows hang from.
    pub fn tables_with_parents(&self) -> BTreeSet<&'static str> {
        with_parents(&self.tables)
    }
}

/// The plan of a figure of the catalogue for `params`, with its internal columns or not.
pub fn figure(query: &QueryFile, params: &Params, internal: bool) -> Result<Plan, Error> {
    let mut params = params.clone();
    if let Some(level) = query.fixed_level {
        params.level = level;
    }
    let periods = query.periods(params.period);
    let mut plan = plan(query.text, query.file, Some((params, periods)), internal)?;
    plan.internal = internal;
    Ok(plan)
}

/// The plan of an analyst's read-only SQL; with `params`, the prelude views and `$start`,
/// `$end`, `$as_of`, `$level`, `$scope`, `$year`, `$year_start` are there too.
pub fn statement(text: &str, params: Option<&Params>, what: &str) -> Result<Plan, Error> {
    refuse_writes(text, what)?;
    plan(
        text,
        what,
        params.map(|p| (p.clone(), vec![p.period])),
        false,
    )
}

/// `disclosure`: whether `$disclosure` is true (the figure's internal columns computed).
fn plan(
    sql: &str,
    what: &str,
    bound: Option<(Params, Vec<Period>)>,
    disclosure: bool,
) -> Result<Plan, Error> {
    let views = if bound.is_some() {
        prelude_views()
    } else {
        Vec::new()
    };
    let mut wanted: BTreeSet<String> = referenced_names(sql, what)?;
    let mut todo: Vec<String> = wanted.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        if let Some((_, view_sql)) = views.iter().find(|(v, _)| *v == name) {
            for dependency in referenced_names(view_sql, what)? {
                if wanted.insert(dependency.clone()) {
                    todo.push(dependency);
                }
            }
        }
    }
    let tables = TABLES
        .iter()
        .map(|t| t.name)
        .filter(|name| wanted.contains(*name))
        .collect();
    let bound = bound.map(|(params, periods)| Bound {
        values: param_values(&params, &periods, disclosure),
        params,
        periods,
    });
    Ok(Plan {
        sql: sql.to_string(),
        what: what.to_string(),
        tables,
        views: views
            .into_iter()
            .filter(|(v, _)| wanted.contains(*v))
            .collect(),
        geography: bound.is_some() && GEOGRAPHY_TABLES.iter().any(|t| wanted.contains(*t)),
        successors: wanted.contains(REGION_SUCCESSORS),
        bound,
        internal: true,
    })
}

/// The names a SQL text refers to as tables, lower-cased (every table of the contract when
/// it reads `information_schema`); CTEs are not among them.
fn referenced_names(sql: &str, what: &str) -> Result<BTreeSet<String>, Error> {
    let statements = DFParser::parse_sql(sql).map_err(|e| sql_error(what, sql, e))?;
    let mut names = BTreeSet::new();
    for statement in &statements {
        let (relations, _) =
            resolve_table_references(statement, true).map_err(|e| sql_error(what, sql, e))?;
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

fn date_value(d: NaiveDate) -> ScalarValue {
    ScalarValue::Date32(Some(days(d)))
}

/// The parameters of a run. For a trend, S and E are the first day of its first quarter
/// and the last day of its last; D and the year stay those of the period asked.
fn param_values(
    params: &Params,
    periods: &[Period],
    disclosure: bool,
) -> Vec<(String, ScalarValue)> {
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
        ("disclosure".into(), ScalarValue::Boolean(Some(disclosure))),
    ]
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
pub fn sql_error(what: &str, sql: &str, e: DataFusionError) -> Error {
    let location = e
        .diagnostic()
        .and_then(|d| d.span)
        .map(|s| (s.start.line as usize, s.start.column as usize))
        .or_else(|| parser_location(&e.to_string()));
    let context = match location {
        Some((line, column)) if line > 0 => {
            Location::in_text(what, sql, line, column).render("SQL error")
        }
        _ if exhausted(&e) => format!(
            "{what}: the query needs more memory than --memory-limit lets it reserve: raise it (for example --memory-limit 4G; the default is 2G)"
        ),
        _ => format!("{what}: SQL error"),
    };
    Error::sql(context, e)
}

/// sqlparser says `... at Line: 1, Column: 8`.
fn parser_location(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.find("Line: ")? + 6..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

/// Whether the memory pool refused the query, whatever wraps that.
pub fn exhausted(e: &DataFusionError) -> bool {
    matches!(e.find_root(), DataFusionError::ResourcesExhausted(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;
    use crate::geography::Geography;
    use crate::region::RegionLevel;

    fn params() -> Params {
        Params {
            period: "2020Q3".parse().unwrap(),
            level: RegionLevel::Sgg,
            scope: None,
            geography: Geography::End,
        }
    }

    #[test]
    fn a_figure_reads_its_tables_through_its_views() {
        let plan = figure(catalogue::figure("visits").unwrap(), &params(), false).unwrap();
        assert!(plan.tables.contains("visits"), "{:?}", plan.tables);
        assert!(!plan.tables.contains("targets"));
        assert!(!plan.views.is_empty());
        let bound = plan.bound.as_ref().unwrap();
        assert_eq!(bound.periods.len(), 1);
        assert!(
            bound
                .values
                .contains(&("disclosure".to_string(), ScalarValue::Boolean(Some(false))))
        );
        assert!(!plan.keeps("visits_home__h") && plan.keeps("visits_home"));
        assert!(plan.tables_with_parents().is_superset(&plan.tables));
    }

    #[test]
    fn a_trend_covers_eight_quarters_and_a_team_list_is_by_emd() {
        let trend = figure(catalogue::figure("trend").unwrap(), &params(), true).unwrap();
        let bound = trend.bound.unwrap();
        assert_eq!(bound.periods.len(), 8);
        assert_eq!(bound.periods[7].to_string(), "2020Q3");
        assert!(trend.internal);
        let teams = figure(
            catalogue::figure("teams_below_standard").unwrap(),
            &params(),
            false,
        )
        .unwrap();
        assert_eq!(teams.bound.unwrap().params.level, RegionLevel::Emd);
    }

    #[test]
    fn a_statement_reads_only_what_it_names() {
        let plan = statement("SELECT count(*) FROM staff", None, "the query").unwrap();
        assert_eq!(plan.tables.iter().copied().collect::<Vec<_>>(), ["staff"]);
        assert!(plan.views.is_empty() && plan.bound.is_none() && !plan.geography);
        let all = statement("SELECT * FROM information_schema.tables", None, "q").unwrap();
        assert_eq!(all.tables.len(), TABLES.len());
        assert!(all.successors);
    }

    #[test]
    fn writing_statements_are_refused_before_a_session() {
        for sql in [
            "INSERT INTO staff VALUES (1)",
            "DROP TABLE staff",
            "CREATE TABLE x AS SELECT 1",
        ] {
            let error = statement(sql, None, "the query").unwrap_err().to_string();
            assert!(error.contains("is refused"), "{sql}: {error}");
        }
        let two = statement("SELECT 1; SELECT 2", None, "q").unwrap_err();
        assert!(two.to_string().contains("one query at a time"));
    }
}
