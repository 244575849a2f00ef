//! `hubstat report NAME`: a template's workbook and chart images for a period and region,
//! each file written whole or not at all; prints the paths it wrote.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

use chrono::NaiveDateTime;

use super::{engine_options, open_store, rebase_scope, runtime, write_stdout};
use crate::cli::ReportArgs;
use crate::diagnostics::{Error, ExitStatus};
use crate::output::write_atomically;
use crate::progress::Progress;
use crate::query::{Engine, Params};
use crate::region::RegionLevel;
use crate::region::check_scope;
use crate::render::{chart_image, workbook};
use crate::report;
use crate::template::{RegionRule, Template};

/// The time a report says it was made: `--generated-at`, else SOURCE_DATE_EPOCH, else now.
fn generated_at(args: &ReportArgs) -> Result<NaiveDateTime, Error> {
    if let Some(t) = args.generated_at {
        return Ok(t);
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let seconds: i64 = epoch.trim().parse().map_err(|_| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH={epoch} is not a number of seconds"
            ))
        })?;
        return chrono::DateTime::from_timestamp(seconds, 0)
            .map(|t| t.naive_utc())
            .ok_or_else(|| Error::Usage(format!("SOURCE_DATE_EPOCH={epoch} is out of range")));
    }
    Ok(chrono::Utc::now().naive_utc().with_nanosecond_zero())
}

trait WithoutNanos {
    fn with_nanosecond_zero(self) -> Self;
}

impl WithoutNanos for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

pub fn run(args: &ReportArgs) -> Result<ExitStatus, Error> {
    let template = Template::find(&args.name, &args.templates)?;
    let period = args.period.resolve()?.ok_or_else(|| {
        Error::Usage("a report needs a period: --period 2020Q3 or --from DATE --to DATE".into())
    })?;
    match (template.region, &args.region) {
        (RegionRule::Required, None) => {
            return Err(Error::Usage(format!(
                "report {} is for one region: give --region with a 시도 or 시군구 code",
                template.name
            )));
        }
        (RegionRule::None, Some(_)) => {
            return Err(Error::Usage(format!(
                "report {} is national: it takes no --region",
                template.name
            )));
        }
        _ => {}
    }
    let generated_at = generated_at(args)?;
    let store = open_store(&args.data)?;
    let scope = match &args.region {
        Some(code) => Some(check_scope(code, &store)?),
        None => None,
    };
    let engine = Engine::new(&store, engine_options(&args.engine))?;
    let bar = Progress::new(true).step("report");
    let mut params = Params {
        period,
        level: RegionLevel::National,
        scope,
        geography: args.geography,
    };
    rebase_scope(&engine, &mut params)?;
    let asked = report::ReportAsk {
        period,
        scope: params.scope,
        geography: args.geography,
        generated_at,
    };
    let report =
        runtime()?.block_on(report::build(&template, &store, &engine, asked, &|sheet| {
            bar.set_message(format!("report {}: {sheet}", template.name))
        }))?;
    bar.set_message("writing the workbook and charts");
    let charts_dir = args.out.join("charts");
    fs::create_dir_all(&charts_dir).map_err(|e| Error::io(&charts_dir, e))?;
    let stem = report.stem();
    let mut written: Vec<PathBuf> = Vec::new();
    let workbook_path = args.out.join(format!("{stem}.xlsx"));
    write_atomically(&workbook_path, &workbook::workbook(&report)?)?;
    written.push(workbook_path);
    for chart in report.charts() {
        let png = charts_dir.join(format!("{stem}-{}.png", chart.name));
        chart_image::write_png(&chart, &png)?;
        written.push(png);
        let svg = charts_dir.join(format!("{stem}-{}.svg", chart.name));
        chart_image::write_svg(&chart, &svg)?;
        written.push(svg);
    }
    bar.finish_and_clear();
    let mut out = String::new();
    for path in &written {
        let _ = writeln!(out, "{}", path.display());
    }
    write_stdout(out.as_bytes())?;
    Ok(ExitStatus::Success)
}
