//! Takes a report template (`report-templates/<name>.toml`) and gives its checked model:
//! title, parameters, sheets with their query, level, columns, formats, totals and notes,
//! and charts. Unknown keys and broken references fail with the file, line and key.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::catalogue::figure;
use crate::diagnostics::{Error, Location};
use crate::region::RegionLevel;

/// The templates that come with hubstat; a file of the same name in the templates folder
/// takes their place.
pub static BUILT_IN: [(&str, &str); 2] = [
    (
        "quarterly",
        include_str!("../report-templates/quarterly.toml"),
    ),
    (
        "city-progress",
        include_str!("../report-templates/city-progress.toml"),
    ),
];

/// Whether a report is made for one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionRule {
    /// National only.
    #[default]
    None,
    Optional,
    Required,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SheetKind {
    /// A figure's rows with chosen columns.
    #[default]
    Table,
    /// Headline figures of the scope beside the previous period and a year before.
    Summary,
    /// What the figures were made from (자료).
    Provenance,
}

/// Where a sheet's rows come from: a level, or the level of the report's region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelSpec {
    National,
    Sido,
    Sgg,
    Emd,
    /// The level of the report's region (national without one).
    Scope,
}

impl LevelSpec {
    pub fn resolve(self, scope: Option<&str>) -> RegionLevel {
        match self {
            LevelSpec::National => RegionLevel::National,
            LevelSpec::Sido => RegionLevel::Sido,
            LevelSpec::Sgg => RegionLevel::Sgg,
            LevelSpec::Emd => RegionLevel::Emd,
            LevelSpec::Scope => scope
                .and_then(RegionLevel::of_code)
                .unwrap_or(RegionLevel::National),
        }
    }
}

/// How a cell is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellFormat {
    #[default]
    Text,
    /// `#,##0`
    Count,
    /// `0.0%`
    Rate,
    /// `#,##0.0`
    Number,
    /// `+#,##0;-#,##0;0`
    Change,
    /// A rate difference in percentage points: `+0.0"%p"`
    RateChange,
    Bool,
}

impl CellFormat {
    pub fn excel(self) -> Option<&'static str> {
        match self {
            CellFormat::Text | CellFormat::Bool => None,
            CellFormat::Count => Some("#,##0"),
            CellFormat::Rate => Some("0.0%"),
            CellFormat::Number => Some("#,##0.0"),
            CellFormat::Change => Some("+#,##0;-#,##0;0"),
            CellFormat::RateChange => Some("+0.0\"%p\";-0.0\"%p\";0.0\"%p\""),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub column: Spanned<String>,
    pub header: String,
    #[serde(default)]
    pub format: CellFormat,
    /// Values shown in place of the query's (e.g. metric names in Korean).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryRow {
    pub label: String,
    pub query: Spanned<String>,
    pub column: Spanned<String>,
    pub format: CellFormat,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetSpec {
    pub title: Spanned<String>,
    #[serde(default)]
    pub kind: SheetKind,
    pub query: Option<Spanned<String>>,
    pub level: Option<LevelSpec>,
    /// A total row first: the same query at the report region's level (전국 without one).
    #[serde(default)]
    pub total: bool,
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    #[serde(default)]
    pub rows: Vec<SummaryRow>,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Bar,
    StackedBar,
    Line,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSpec {
    pub column: Spanned<String>,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    /// The chart's file name (without extension) under charts/.
    pub name: Spanned<String>,
    pub sheet: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: ChartKind,
    pub title: String,
    /// The column whose values label the categories (x axis).
    pub categories: Spanned<String>,
    pub series: Vec<SeriesSpec>,
    #[serde(default)]
    pub x_axis: String,
    #[serde(default)]
    pub y_axis: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub title: String,
    #[serde(default)]
    pub region: RegionRule,
    pub sheets: Vec<SheetSpec>,
    #[serde(default)]
    pub charts: Vec<ChartSpec>,
    /// The disclosure rule's k: a count of 1 to k−1 households is not shown (2 to 10).
    pub min_households: Option<Spanned<i64>>,
    /// `range`: a primary cell's largest consistent value must also reach k.
    pub protection: Option<ProtectionSpec>,
    #[serde(skip)]
    pub name: String,
    /// Where it was read from, for error messages.
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    pub source: String,
}

/// How strongly the disclosure stage protects a primary cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ProtectionSpec {
    /// At least two whole values consistent with what is printed
    Interval,
    /// As interval, and the largest reaches k
    Range,
}

/// The range of k the specification allows.
pub const MIN_HOUSEHOLDS: std::ops::RangeInclusive<i64> = 2..=10;

/// Excel refuses these in sheet names.
const SHEET_NAME_FORBIDDEN: &[char] = &['[', ']', ':', '*', '?', '/', '\\'];

impl Template {
    /// Finds a template: `<folder>/<name>.toml` when that file exists, else the built-in one.
    pub fn find(name: &str, folder: &Path) -> Result<Template, Error> {
        let path = folder.join(format!("{name}.toml"));
        if path.is_file() {
            let source = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            return Template::parse(name, &path, &source);
        }
        match BUILT_IN.iter().find(|(n, _)| *n == name) {
            Some((_, source)) => Template::parse(
                name,
                &Path::new("report-templates").join(format!("{name}.toml")),
                source,
            ),
            None => Err(Error::Usage(format!(
                "no report template `{name}` (in {} or built in)",
                folder.display()
            ))),
        }
    }

    pub fn parse(name: &str, path: &Path, source: &str) -> Result<Template, Error> {
        let mut template: Template = toml::from_str(source).map_err(|e| Error::Config {
            location: Location::at_offset(
                path.display().to_string(),
                source,
                e.span().map_or(0, |s| s.start),
            ),
            reason: e.message().to_string(),
        })?;
        template.name = name.to_string();
        template.path = path.to_path_buf();
        template.source = source.to_string();
        template.validate()?;
        Ok(template)
    }

    /// An error at the place of `span` in the template.
    pub fn error_at(&self, span: Range<usize>, reason: impl Into<String>) -> Error {
        Error::Config {
            location: Location::at_offset(
                self.path.display().to_string(),
                &self.source,
                span.start,
            ),
            reason: reason.into(),
        }
    }

    pub fn sheet(&self, title: &str) -> Option<&SheetSpec> {
        self.sheets.iter().find(|s| s.title.get_ref() == title)
    }

    fn validate(&self) -> Result<(), Error> {
        if let Some(k) = &self.min_households
            && !MIN_HOUSEHOLDS.contains(k.get_ref())
        {
            return Err(self.error_at(
                k.span(),
                format!("min_households = {} is outside 2 to 10", k.get_ref()),
            ));
        }
        for (i, sheet) in self.sheets.iter().enumerate() {
            let title = sheet.title.get_ref();
            let span = sheet.title.span();
            if title.is_empty() || title.chars().count() > 31 {
                return Err(self.error_at(
                    span,
                    format!("sheet title `{title}` must have 1 to 31 characters (Excel's limit)"),
                ));
            }
            if title.contains(SHEET_NAME_FORBIDDEN) {
                return Err(self.error_at(
                    span,
                    format!("sheet title `{title}` holds one of [ ] : * ? / \\"),
                ));
            }
            if self.sheets[..i].iter().any(|s| s.title.get_ref() == title) {
                return Err(self.error_at(span, format!("two sheets are titled `{title}`")));
            }
            match sheet.kind {
                SheetKind::Table => {
                    let query = sheet.query.as_ref().ok_or_else(|| {
                        self.error_at(span.clone(), format!("table sheet `{title}` needs a query"))
                    })?;
                    self.check_query(query)?;
                    if sheet.level.is_none() {
                        return Err(
                            self.error_at(span, format!("table sheet `{title}` needs a level"))
                        );
                    }
                    if sheet.columns.is_empty() {
                        return Err(
                            self.error_at(span, format!("table sheet `{title}` needs columns"))
                        );
                    }
                    for column in &sheet.columns {
                        self.check_column(column.column.get_ref(), column.column.span())?;
                    }
                }
                SheetKind::Summary => {
                    if sheet.rows.is_empty() {
                        return Err(
                            self.error_at(span, format!("summary sheet `{title}` needs rows"))
                        );
                    }
                    for row in &sheet.rows {
                        self.check_query(&row.query)?;
                        self.check_column(row.column.get_ref(), row.column.span())?;
                    }
                }
                SheetKind::Provenance => {}
            }
        }
        for (i, chart) in self.charts.iter().enumerate() {
            let name = chart.name.get_ref();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(self.error_at(
                    chart.name.span(),
                    format!("chart name `{name}` is a file name: letters, digits, - and _"),
                ));
            }
            if self.charts[..i].iter().any(|c| c.name.get_ref() == name) {
                return Err(
                    self.error_at(chart.name.span(), format!("two charts are named `{name}`"))
                );
            }
            let sheet = self
                .sheet(chart.sheet.get_ref())
                .filter(|s| s.kind == SheetKind::Table)
                .ok_or_else(|| {
                    self.error_at(
                        chart.sheet.span(),
                        format!("chart `{name}`: no table sheet `{}`", chart.sheet.get_ref()),
                    )
                })?;
            let shown = |column: &Spanned<String>| -> Result<(), Error> {
                if sheet
                    .columns
                    .iter()
                    .any(|c| c.column.get_ref() == column.get_ref())
                {
                    Ok(())
                } else {
                    Err(self.error_at(
                        column.span(),
                        format!(
                            "chart `{name}`: column `{}` is not shown on sheet `{}`",
                            column.get_ref(),
                            sheet.title.get_ref()
                        ),
                    ))
                }
            };
            shown(&chart.categories)?;
            if chart.series.is_empty() {
                return Err(
                    self.error_at(chart.name.span(), format!("chart `{name}` needs series"))
                );
            }
            for series in &chart.series {
                shown(&series.column)?;
            }
        }
        Ok(())
    }

    fn check_query(&self, query: &Spanned<String>) -> Result<(), Error> {
        if figure(query.get_ref()).is_none() {
            return Err(self.error_at(
                query.span(),
                format!("no query `{}` in queries/", query.get_ref()),
            ));
        }
        Ok(())
    }

    fn check_column(&self, column: &str, span: Range<usize>) -> Result<(), Error> {
        if column == "household_id" {
            return Err(self.error_at(span, "household ids never appear in a report"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> Result<Template, Error> {
        Template::parse("t", Path::new("t.toml"), source)
    }

    #[test]
    fn built_in_templates_parse() {
        for (name, source) in &BUILT_IN {
            Template::parse(name, Path::new(name), source).unwrap();
        }
    }

    #[test]
    fn unknown_keys_name_file_and_line() {
        let err = parse("title = \"x\"\n\n[[sheets]]\ntitle = \"a\"\ncolour = \"red\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "t.toml:5:1: unknown field `colour`, expected one of `title`, `kind`, `query`, `level`, `total`, `columns`, `rows`, `notes`\n  colour = \"red\"\n  ^"
        );
    }

    #[test]
    fn missing_queries_and_long_titles_name_their_line() {
        let err = parse(
            "title = \"x\"\n[[sheets]]\ntitle = \"a\"\nquery = \"nope\"\nlevel = \"sido\"\ncolumns = []\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "t.toml:4:9: no query `nope` in queries/\n  query = \"nope\"\n          ^"
        );
        let err = parse("title = \"x\"\n[[sheets]]\nkind = \"provenance\"\ntitle = \"가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.toml:4:9: sheet title"), "{err}");
    }
}
