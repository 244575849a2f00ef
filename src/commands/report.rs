//! `hubstat report NAME`: a template's workbook and chart images for a period and region,
//! each file written whole or not at all; prints the paths it wrote.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::{engine_options, open_store, rebase_scope, runtime, write_stdout};
use crate::catalogue::Params;
use crate::catalogue::figure;
use crate::cli::{Each, ReportArgs, Sdc, SdcArgs};
use crate::diagnostics::{Error, Outcome, print_notes};
use crate::disclosure::{self, Audit, Parents, Rule};
use crate::geography::Geography;
use crate::output::{write_atomically, write_private};
use crate::period::days;
use crate::progress::Progress;
use crate::query::Engine;
use crate::region::RegionLevel;
use crate::render::{chart_image, workbook};
use crate::report;
use crate::report::Value;
use crate::report::packs::SharedFigures;
use crate::template::{ProtectionSpec, RegionRule, Template};

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

pub fn run(args: &ReportArgs) -> Result<Outcome, Error> {
    let template = Template::find(&args.name, &args.templates)?;
    let period = args.period.resolve()?.ok_or_else(|| {
        Error::Usage("a report needs a period: --period 2020Q3 or --from DATE --to DATE".into())
    })?;
    match (template.region, &args.region) {
        (RegionRule::None, _) if args.each.is_some() => {
            return Err(Error::Usage(format!(
                "report {} is national: it takes no --each",
                template.name
            )));
        }
        (RegionRule::Required, None) if args.each.is_none() => {
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
        Some(code) => Some(store.check_scope(code)?),
        None => None,
    };
    let engine = Engine::new(&store, engine_options(&args.engine))?;
    let mut params = Params {
        period,
        level: RegionLevel::National,
        scope,
        geography: args.geography,
    };
    rebase_scope(&engine, &mut params)?;
    // One geography for every column, comparison and trend quarter: E's.
    let geography = match args.geography.day(days(period.end())) {
        Some(day) => Geography::Day(day),
        None => Geography::Recorded,
    };
    let asked = report::ReportAsk {
        period,
        scope: params.scope,
        geography,
        generated_at,
        shared: None,
        internal: args.sdc.sdc == Sdc::On,
    };
    let runtime = runtime()?;
    let protection = RunProtection {
        rule: disclosure_rule(&template, &args.sdc),
        parents: parents(&engine, geography.day(days(period.end())))?,
        audit: args.sdc.sdc_report.clone(),
    };
    let written = match args.each {
        None => {
            let bar = Progress::new(true).step("report");
            let report =
                runtime.block_on(report::build(&template, &store, &engine, asked, &|sheet| {
                    bar.set_message(format!("report {}: {sheet}", template.name))
                }))?;
            print_notes(report.notes.iter().cloned());
            bar.set_message("protecting small counts");
            let mut reports = [report];
            let audit = protection.apply(&mut reports)?;
            bar.set_message("writing the workbook and charts");
            let [report] = reports;
            let mut written = write_report(&report, &args.out, &report.stem())?;
            written.extend(protection.write_audit(&audit)?);
            bar.finish_and_clear();
            written
        }
        Some(each) => runtime.block_on(write_packs(
            &template,
            &store,
            &engine,
            asked,
            each,
            &args.out,
            &protection,
        ))?,
    };
    print_notes(engine.take_notes());
    let mut out = String::new();
    for path in &written {
        let _ = writeln!(out, "{}", path.display());
    }
    write_stdout(out.as_bytes())?;
    Ok(Outcome::Done)
}

/// The rule a report is protected by: the options', else the template's, else k = 3;
/// `None` with `--sdc off`.
fn disclosure_rule(template: &Template, args: &SdcArgs) -> Option<Rule> {
    if args.sdc == Sdc::Off {
        return None;
    }
    let k = args
        .min_households
        .or(template.min_households.as_ref().map(|k| *k.get_ref()))
        .unwrap_or(Rule::default().k);
    let protection = match args.protection.or(template.protection) {
        Some(ProtectionSpec::Range) => disclosure::Protection::Range,
        _ => disclosure::Protection::Interval,
    };
    Some(Rule { k, protection })
}

/// Each 읍면동's 시군구 and each 시군구's 시도 in the geography of the report.
fn parents(engine: &Engine<'_>, day: Option<i32>) -> Result<Parents, Error> {
    let mut parents = Parents::default();
    let mut units = engine.history()?.units(day);
    units.sort_by(|a, b| a.emd_code.cmp(&b.emd_code));
    for unit in units {
        parents
            .sido_of_sgg
            .entry(unit.sgg_code.clone())
            .or_insert(unit.sido_code);
        parents.sgg_of_emd.entry(unit.unit).or_insert(unit.sgg_code);
    }
    Ok(parents)
}

/// How the reports of one run are checked and protected.
struct RunProtection {
    rule: Option<Rule>,
    parents: Parents,
    audit: Option<PathBuf>,
}

impl RunProtection {
    /// Checks and masks the reports of the run together.
    fn apply(&self, reports: &mut [report::Report]) -> Result<Option<Audit>, Error> {
        let audit = disclosure::check_and_protect(reports, &self.parents, self.rule)?;
        if let Some(audit) = &audit
            && !audit.frozen_hidden.is_empty()
        {
            eprintln!(
                "note: {} cells of 전국 or the report's own total were hidden: nothing else could protect a small count (자료 says so)",
                audit.frozen_hidden.len()
            );
        }
        if let Some(audit) = &audit
            && !audit.unprotected.is_empty()
        {
            eprintln!(
                "warning: {} small counts could not be protected even with every other cell hidden: see 자료{}",
                audit.unprotected.len(),
                if self.audit.is_some() {
                    " and the audit file"
                } else {
                    ""
                }
            );
        }
        Ok(audit)
    }

    /// Writes the audit file, when asked, once the workbooks are written; gives its path.
    fn write_audit(&self, audit: &Option<Audit>) -> Result<Option<PathBuf>, Error> {
        let Some(path) = &self.audit else {
            return Ok(None);
        };
        let json = serde_json::to_vec_pretty(audit)
            .map_err(|e| Error::writing(format!("the audit {}", path.display()), e))?;
        write_private(path, &json)?;
        Ok(Some(path.clone()))
    }
}

/// Writes a report's workbook as `DIR/STEM.xlsx` and its charts under `DIR/charts/`; gives the
/// paths written.
fn write_report(report: &report::Report, out: &Path, stem: &str) -> Result<Vec<PathBuf>, Error> {
    let charts_dir = out.join("charts");
    fs::create_dir_all(&charts_dir).map_err(|e| Error::io(&charts_dir, e))?;
    let mut written: Vec<PathBuf> = Vec::new();
    let workbook_path = out.join(format!("{stem}.xlsx"));
    write_atomically(&workbook_path, &workbook::workbook(report)?)?;
    written.push(workbook_path);
    for chart in report.charts() {
        let png = charts_dir.join(format!("{stem}-{}.png", chart.name));
        chart_image::write_png(&chart, &png)?;
        written.push(png);
        let svg = charts_dir.join(format!("{stem}-{}.svg", chart.name));
        chart_image::write_svg(&chart, &svg)?;
        written.push(svg);
    }
    Ok(written)
}

/// One pack per region of `each` within the report's scope, every figure computed once for
/// the scope and split per pack, then the index of the packs.
async fn write_packs(
    template: &Template,
    store: &crate::store::Store,
    engine: &Engine<'_>,
    asked: report::ReportAsk<'_>,
    each: Each,
    out: &Path,
    protection: &RunProtection,
) -> Result<Vec<PathBuf>, Error> {
    let level = each.level();
    let parent = asked.scope.clone();
    if parent
        .as_deref()
        .and_then(RegionLevel::of_code)
        .is_some_and(|l| l >= level)
    {
        return Err(Error::Usage(format!(
            "--each {} takes a --region above it: a 시도 code for --each sgg, none for --each sido",
            level
        )));
    }
    let shared = SharedFigures::new(
        store,
        engine,
        parent.clone(),
        asked.geography,
        asked.period,
        asked.internal,
    )?;
    let coverage = figure("coverage").expect("the catalogue has coverage");
    let regions: Vec<(String, String)> = shared
        .for_parent(engine, coverage, level, asked.period)
        .await?
        .rows
        .iter()
        .filter_map(|r| match (&r[0], &r[1]) {
            (Value::Text(code), Value::Text(name)) => Some((code.clone(), name.clone())),
            _ => None,
        })
        .collect();
    let bar = Progress::new(true).count(regions.len() as u64, "packs");
    let mut reports = Vec::new();
    for (code, name) in &regions {
        bar.set_message(format!("{code} {name}"));
        let pack = report::ReportAsk {
            scope: Some(code.clone()),
            shared: Some(&shared),
            ..asked.clone()
        };
        reports.push(report::build(template, store, engine, pack, &|_| {}).await?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    print_notes(reports.iter().flat_map(|r| r.notes.iter().cloned()));
    // Every pack of the run is protected as one problem, then written.
    let audit = protection.apply(&mut reports)?;
    let mut written = Vec::new();
    let mut index = Vec::new();
    for ((code, name), report) in regions.iter().zip(&reports) {
        let stem = format!(
            "{}-{code}-{}-{}",
            template.name,
            file_safe(name),
            asked.period
        );
        let files = write_report(report, out, &stem)?;
        index.push(workbook::PackEntry {
            code: code.clone(),
            name: name.clone(),
            file: format!("{stem}.xlsx"),
            headline: report.headline(),
            min_households: report.disclosure.as_ref().map(|n| n.rule.k),
        });
        written.extend(files);
    }
    let index_path = out.join(format!(
        "{}-index-{level}{}-{}.xlsx",
        template.name,
        parent.map(|p| format!("-{p}")).unwrap_or_default(),
        asked.period
    ));
    write_atomically(
        &index_path,
        &workbook::index_workbook(template, asked.period, asked.generated_at, &index)?,
    )?;
    written.push(index_path);
    written.extend(protection.write_audit(&audit)?);
    Ok(written)
}

/// A region name as part of a file name: characters file systems refuse become `_`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect()
}
