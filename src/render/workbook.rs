//! Takes a computed report and gives the bytes of its XLSX workbook: one sheet per template
//! sheet, numbers stored as numbers with their formats, total rows first, frozen headers,
//! widths fitted to Hangul text, print set-up, native charts bound to the cell ranges, and
//! the 자료 sheet. The creation time is the report's generation time, so that the same
//! input gives the same bytes.

use chrono::{Datelike, NaiveDateTime, Timelike};
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet, XlsxError,
};
use unicode_width::UnicodeWidthStr;

use crate::diagnostics::Error;
use crate::report::{Report, Rows, SheetData, Value};
use crate::template::{CellFormat, ChartKind, ColumnSpec, SheetSpec};

/// Rows of a table sheet: title, subtitle, a blank row, the header, then the data.
const TITLE_ROW: u32 = 0;
const SUBTITLE_ROW: u32 = 1;
const NOTE_ROW: u32 = 2;
pub const HEADER_ROW: u32 = 3;

fn xlsx(e: XlsxError) -> Error {
    Error::writing("the workbook", e)
}

/// The cell formats of a workbook.
struct Styles {
    title: Format,
    subtitle: Format,
    warning: Format,
    header: Format,
    label: Format,
    note: Format,
}

impl Styles {
    fn new() -> Styles {
        let header = Format::new()
            .set_bold()
            .set_background_color("DDEBF7")
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap();
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            subtitle: Format::new().set_font_color("595959"),
            warning: Format::new().set_bold().set_font_color("C00000"),
            header,
            label: Format::new().set_bold().set_border(FormatBorder::Thin),
            note: Format::new().set_italic().set_font_color("595959"),
        }
    }

    fn cell(format: CellFormat, total: bool) -> Format {
        let mut f = Format::new().set_border(FormatBorder::Thin);
        if let Some(number) = format.excel() {
            f = f.set_num_format(number);
        }
        if total {
            f = f.set_bold().set_background_color("F2F2F2");
        }
        f
    }
}

/// Column widths fitted to their text: Hangul counts double.
struct Widths(Vec<usize>);

impl Widths {
    fn fit(&mut self, column: u16, text: &str) {
        let c = column as usize;
        if self.0.len() <= c {
            self.0.resize(c + 1, 0);
        }
        self.0[c] = self.0[c].max(text.width());
    }

    fn apply(&self, sheet: &mut Worksheet) -> Result<(), Error> {
        for (c, w) in self.0.iter().enumerate() {
            let width = (*w as f64 * 1.1 + 2.0).clamp(8.0, 80.0);
            sheet.set_column_width(c as u16, width).map_err(xlsx)?;
        }
        Ok(())
    }
}

fn excel_time(t: NaiveDateTime) -> Result<ExcelDateTime, Error> {
    ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
        .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second() as f64))
        .map_err(xlsx)
}

/// The period as a report shows it: `2020Q3 (2020-07-01 ~ 2020-09-30, 기준일 2020-09-30)`.
fn period_line(report: &Report) -> String {
    let p = report.period;
    format!(
        "기간 {} ({} ~ {}), 기준일 {} · 범위 {}",
        p,
        p.start(),
        p.end(),
        p.as_of(),
        report.scope_name
    )
}

/// What every sheet of a report made with `--sdc off` says.
pub const UNPROTECTED: &str = "내부용 — 비밀보호 미적용";

/// ` [내부용 — 비밀보호 미적용]` after a title when the report was not protected.
fn internal_mark(report: &Report) -> String {
    match report.disclosure {
        Some(_) => String::new(),
        None => format!(" [{UNPROTECTED}]"),
    }
}

fn page_setup(sheet: &mut Worksheet, title: &str) -> Result<(), Error> {
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_header(format!("&C&\"-,Bold\"{}", title.replace('&', "&&")));
    sheet.set_footer("&C&P / &N");
    Ok(())
}

/// The sheet's title, a line saying what it covers, and the note on rejected rows.
fn heading(
    sheet: &mut Worksheet,
    report: &Report,
    title: &str,
    styles: &Styles,
) -> Result<(), Error> {
    sheet
        .write_string_with_format(
            TITLE_ROW,
            0,
            format!(
                "{} — {title}{}",
                report.template.title,
                internal_mark(report)
            ),
            &styles.title,
        )
        .map_err(xlsx)?;
    sheet
        .write_string_with_format(SUBTITLE_ROW, 0, period_line(report), &styles.subtitle)
        .map_err(xlsx)?;
    if report.rejected() > 0 {
        let files: Vec<String> = report
            .inputs
            .iter()
            .filter(|i| i.rejected > 0)
            .map(|i| format!("{} {}행", i.file, i.rejected))
            .collect();
        let note = format!(
            "※ 데이터 규칙을 어긴 행을 빼고 계산했습니다 (--skip-invalid): {}. 자료 시트 참조.",
            files.join(", ")
        );
        sheet
            .write_string_with_format(NOTE_ROW, 0, note, &styles.warning)
            .map_err(xlsx)?;
    }
    Ok(())
}

/// The template's notes under a table, one a row.
fn write_notes(
    sheet: &mut Worksheet,
    first_row: u32,
    notes: &[String],
    styles: &Styles,
) -> Result<(), Error> {
    for (row, note) in (first_row..).zip(notes) {
        sheet
            .write_string_with_format(row, 0, note, &styles.note)
            .map_err(xlsx)?;
    }
    Ok(())
}

fn write_value(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: &Value,
    column: &ColumnSpec,
    format: &Format,
    widths: &mut Widths,
) -> Result<(), Error> {
    match value {
        // A rate or ratio without a denominator: 해당 없음.
        Value::Null if matches!(column.format, CellFormat::Rate | CellFormat::Number) => {
            widths.fit(col, NO_DENOMINATOR);
            sheet
                .write_string_with_format(row, col, NO_DENOMINATOR, &mark(format))
                .map_err(xlsx)?;
        }
        Value::Null => {
            sheet.write_blank(row, col, format).map_err(xlsx)?;
        }
        Value::Hidden => {
            sheet
                .write_string_with_format(row, col, HIDDEN, &mark(format))
                .map_err(xlsx)?;
        }
        Value::Text(t) => {
            let shown = column.labels.get(t).unwrap_or(t);
            widths.fit(col, shown);
            sheet
                .write_string_with_format(row, col, shown, format)
                .map_err(xlsx)?;
        }
        Value::Number(x) => {
            widths.fit(col, &shown_number(*x, column.format));
            sheet
                .write_number_with_format(row, col, *x, format)
                .map_err(xlsx)?;
        }
        Value::Bool(b) => {
            widths.fit(col, "FALSE");
            sheet
                .write_boolean_with_format(row, col, *b, format)
                .map_err(xlsx)?;
        }
    }
    Ok(())
}

/// The mark of a cell the disclosure stage withheld: text, never a number drawn as X.
pub const HIDDEN: &str = "X";
/// The mark of a rate with no denominator (해당 없음).
pub const NO_DENOMINATOR: &str = "-";

/// A mark in a cell's own style, right-aligned like the numbers beside it.
fn mark(format: &Format) -> Format {
    format.clone().set_align(FormatAlign::Right)
}

/// The legend lines for the marks a sheet shows.
fn legends(report: &Report, hidden: bool, no_denominator: bool) -> Vec<String> {
    legend_lines(
        report.disclosure.as_ref().map(|n| n.rule.k),
        hidden,
        no_denominator,
    )
}

/// The legend lines for X (under the rule's k) and `-`.
fn legend_lines(k: Option<i64>, hidden: bool, no_denominator: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if hidden {
        let k = k.unwrap_or(crate::disclosure::Rule::default().k);
        lines.push(format!(
            "X: 비밀보호 (가구 수 {k} 미만이거나 다른 수치로 계산해 낼 수 있어 표시하지 않음. 합계에는 포함됨)"
        ));
    }
    if no_denominator {
        lines.push("-: 해당 없음 (분모가 0)".to_string());
    }
    lines
}

/// Roughly how Excel shows a number in a format, for column widths.
fn shown_number(x: f64, format: CellFormat) -> String {
    match format {
        CellFormat::Rate => format!("{:.1}%", x * 100.0),
        CellFormat::RateChange => format!("+{:.1}%p", x),
        _ => {
            let digits = format!("{:.0}", x.abs()).len();
            "0".repeat(digits + digits / 3 + 2)
        }
    }
}

/// Where a table sheet's rows went: for charts.
struct Placed {
    sheet: String,
    first_data_row: u32,
    last_data_row: u32,
    columns: Vec<String>,
    formats: Vec<CellFormat>,
    width: u16,
    /// The data rows as shown (hidden cells as `Value::Hidden`), for charts.
    values: Vec<Vec<Value>>,
}

/// The template's notes, then the report's own note on the sheet.
fn with_note(notes: &[String], note: &Option<String>) -> Vec<String> {
    notes.iter().chain(note).cloned().collect()
}

fn table_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    spec: &SheetSpec,
    total: &Rows,
    rows: &Rows,
    notes: &[String],
    styles: &Styles,
) -> Result<Placed, Error> {
    let title = spec.title.get_ref();
    sheet.set_name(title).map_err(xlsx)?;
    heading(sheet, report, title, styles)?;
    let mut widths = Widths(Vec::new());
    for (c, column) in spec.columns.iter().enumerate() {
        widths.fit(c as u16, &column.header);
        sheet
            .write_string_with_format(HEADER_ROW, c as u16, &column.header, &styles.header)
            .map_err(xlsx)?;
    }
    let indices: Vec<usize> = spec
        .columns
        .iter()
        .map(|c| {
            rows.index(c.column.get_ref())
                .expect("columns checked when the report was built")
        })
        .collect();
    let mut r = HEADER_ROW + 1;
    for (block, is_total) in [(total, true), (rows, false)] {
        let formats: Vec<Format> = spec
            .columns
            .iter()
            .map(|c| Styles::cell(c.format, is_total))
            .collect();
        for row in &block.rows {
            for (c, column) in spec.columns.iter().enumerate() {
                let index = block.index(column.column.get_ref()).unwrap_or(indices[c]);
                write_value(
                    sheet,
                    r,
                    c as u16,
                    &row[index],
                    column,
                    &formats[c],
                    &mut widths,
                )?;
            }
            r += 1;
        }
    }
    let last = r.saturating_sub(1);
    let shown = |v: &dyn Fn(&Value, &ColumnSpec) -> bool| {
        [total, rows].iter().any(|block| {
            block.rows.iter().any(|row| {
                spec.columns.iter().any(|c| {
                    block
                        .index(c.column.get_ref())
                        .is_some_and(|i| v(&row[i], c))
                })
            })
        })
    };
    let hidden = shown(&|v, _| *v == Value::Hidden);
    let no_denominator = shown(&|v, c| {
        *v == Value::Null && matches!(c.format, CellFormat::Rate | CellFormat::Number)
    });
    let notes: Vec<String> = legends(report, hidden, no_denominator)
        .into_iter()
        .chain(notes.iter().cloned())
        .collect();
    write_notes(sheet, r + 1, &notes, styles)?;
    widths.apply(sheet)?;
    sheet.set_freeze_panes(HEADER_ROW + 1, 0).map_err(xlsx)?;
    sheet
        .set_repeat_rows(HEADER_ROW, HEADER_ROW)
        .map_err(xlsx)?;
    page_setup(sheet, &format!("{title}{}", internal_mark(report)))?;
    Ok(Placed {
        sheet: title.clone(),
        first_data_row: HEADER_ROW + 1 + total.rows.len() as u32,
        last_data_row: last,
        columns: spec
            .columns
            .iter()
            .map(|c| c.column.get_ref().clone())
            .collect(),
        formats: spec.columns.iter().map(|c| c.format).collect(),
        width: spec.columns.len() as u16,
        values: rows
            .rows
            .iter()
            .map(|row| {
                indices
                    .iter()
                    .zip(&spec.columns)
                    .map(|(&i, c)| row[rows.index(c.column.get_ref()).unwrap_or(i)].clone())
                    .collect()
            })
            .collect(),
    })
}

fn summary_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    spec: &SheetSpec,
    periods: &[crate::period::Period; 3],
    values: &[[Value; 3]],
    notes: &[String],
    styles: &Styles,
) -> Result<(), Error> {
    let title = spec.title.get_ref();
    sheet.set_name(title).map_err(xlsx)?;
    heading(sheet, report, title, styles)?;
    let previous = report.period.previous_label();
    let headers = [
        "지표".to_string(),
        periods[0].to_string(),
        format!("{previous} ({})", periods[1]),
        format!("전년 동기 ({})", periods[2]),
        format!("{previous} 대비"),
        "증감률".to_string(),
        "전년 동기 대비".to_string(),
        "증감률".to_string(),
    ];
    let mut widths = Widths(Vec::new());
    for (c, h) in headers.iter().enumerate() {
        widths.fit(c as u16, h);
        sheet
            .write_string_with_format(HEADER_ROW, c as u16, h, &styles.header)
            .map_err(xlsx)?;
    }
    let percent_change = Styles::cell(CellFormat::Rate, false).set_num_format("+0.0%;-0.0%;0.0%");
    let mut marks = (false, false);
    for (i, (row, cells)) in spec.rows.iter().zip(values).enumerate() {
        let r = HEADER_ROW + 1 + i as u32;
        widths.fit(0, &row.label);
        sheet
            .write_string_with_format(r, 0, &row.label, &styles.label)
            .map_err(xlsx)?;
        let rate = row.format == CellFormat::Rate;
        let value_format = Styles::cell(row.format, false);
        for (c, v) in cells.iter().enumerate() {
            let v = match v {
                Value::Null if rate => Shown::NoDenominator,
                Value::Number(x) => Shown::Number(*x),
                Value::Hidden => Shown::Hidden,
                _ => Shown::Blank,
            };
            write_shown(sheet, r, 1 + c as u16, v, &value_format, &mut marks)?;
            widths.fit(
                1 + c as u16,
                &shown_number(cells_number(&cells[c]), row.format),
            );
        }
        for (k, before) in [&cells[1], &cells[2]].iter().enumerate() {
            let c = 4 + 2 * k as u16;
            // A change is derived: hidden with either of its values.
            let diff = match (&cells[0], *before) {
                (Value::Hidden, _) | (_, Value::Hidden) => Shown::Hidden,
                (Value::Number(now), Value::Number(then)) => Shown::Number(now - then),
                _ => Shown::Blank,
            };
            if rate {
                let points = match diff {
                    Shown::Number(d) => Shown::Number(d * 100.0),
                    other => other,
                };
                let format = Styles::cell(CellFormat::RateChange, false);
                write_shown(sheet, r, c, points, &format, &mut marks)?;
                sheet
                    .write_blank(r, c + 1, &Styles::cell(CellFormat::Text, false))
                    .map_err(xlsx)?;
            } else {
                let format = Styles::cell(CellFormat::Change, false);
                write_shown(sheet, r, c, diff, &format, &mut marks)?;
                let relative = match (diff, *before) {
                    (Shown::Number(d), Value::Number(then)) if *then != 0.0 => {
                        Shown::Number(d / then)
                    }
                    (Shown::Hidden, _) => Shown::Hidden,
                    _ => Shown::Blank,
                };
                write_shown(sheet, r, c + 1, relative, &percent_change, &mut marks)?;
            }
        }
    }
    let notes: Vec<String> = legends(report, marks.0, marks.1)
        .into_iter()
        .chain(notes.iter().cloned())
        .collect();
    write_notes(
        sheet,
        HEADER_ROW + 2 + spec.rows.len() as u32,
        &notes,
        styles,
    )?;
    widths.apply(sheet)?;
    sheet.set_freeze_panes(HEADER_ROW + 1, 1).map_err(xlsx)?;
    sheet
        .set_repeat_rows(HEADER_ROW, HEADER_ROW)
        .map_err(xlsx)?;
    page_setup(sheet, &format!("{title}{}", internal_mark(report)))
}

/// A summary cell as shown: a number, blank, `X` or `-`.
#[derive(Debug, Clone, Copy)]
enum Shown {
    Number(f64),
    Blank,
    Hidden,
    NoDenominator,
}

fn cells_number(v: &Value) -> f64 {
    v.number().unwrap_or(0.0)
}

/// Writes a summary cell; `marks` records whether an X and a `-` were shown, for legends.
fn write_shown(
    sheet: &mut Worksheet,
    r: u32,
    c: u16,
    v: Shown,
    format: &Format,
    marks: &mut (bool, bool),
) -> Result<(), Error> {
    let text = match v {
        Shown::Number(x) => return write_number(sheet, r, c, Some(x), format),
        Shown::Blank => return write_number(sheet, r, c, None, format),
        Shown::Hidden => {
            marks.0 = true;
            HIDDEN
        }
        Shown::NoDenominator => {
            marks.1 = true;
            NO_DENOMINATOR
        }
    };
    sheet
        .write_string_with_format(r, c, text, &mark(format))
        .map_err(xlsx)?;
    Ok(())
}

fn write_number(
    sheet: &mut Worksheet,
    r: u32,
    c: u16,
    v: Option<f64>,
    format: &Format,
) -> Result<(), Error> {
    match v {
        Some(x) => sheet
            .write_number_with_format(r, c, x, format)
            .map_err(xlsx)?,
        None => sheet.write_blank(r, c, format).map_err(xlsx)?,
    };
    Ok(())
}

fn provenance_sheet(sheet: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), Error> {
    let title = "자료";
    sheet.set_name(title).map_err(xlsx)?;
    sheet
        .write_string_with_format(
            TITLE_ROW,
            0,
            format!("{} — 자료", report.template.title),
            &styles.title,
        )
        .map_err(xlsx)?;
    let mut widths = Widths(Vec::new());
    let text = Styles::cell(CellFormat::Text, false);
    let count = Styles::cell(CellFormat::Count, false);
    let facts = [
        (
            "보고서",
            format!("{} ({})", report.template.title, report.template.name),
        ),
        (
            "기간",
            format!(
                "{} ({} ~ {})",
                report.period,
                report.period.start(),
                report.period.end()
            ),
        ),
        ("기준일", report.period.as_of().to_string()),
        ("범위", report.scope_name.clone()),
        (
            "지역 기준",
            match report.geography_day {
                Some(day) => format!(
                    "{} 기준 행정구역 (--geography): {}",
                    crate::period::format_date(day),
                    crate::report::how_rebased(
                        &report.rebased.iter().collect::<Vec<_>>(),
                        day,
                        false
                    )
                ),
                None => "기록된 코드 그대로 (--geography recorded)".to_string(),
            },
        ),
        ("hubstat", env!("CARGO_PKG_VERSION").to_string()),
        (
            "작성 시각",
            report.generated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
    ];
    let mut r = 2;
    for (label, value) in facts {
        sheet
            .write_string_with_format(r, 0, label, &styles.label)
            .map_err(xlsx)?;
        sheet
            .write_string_with_format(r, 1, &value, &text)
            .map_err(xlsx)?;
        widths.fit(0, label);
        r += 1;
    }
    r += 1;
    sheet
        .write_string_with_format(r, 0, "입력 파일", &styles.title)
        .map_err(xlsx)?;
    r += 1;
    let headers = [
        "표",
        "파일",
        "형식",
        "인코딩",
        "크기(바이트)",
        "SHA-256",
        "읽은 행",
        "채택",
        "제외",
    ];
    for (c, h) in headers.iter().enumerate() {
        widths.fit(c as u16, h);
        sheet
            .write_string_with_format(r, c as u16, *h, &styles.header)
            .map_err(xlsx)?;
    }
    sheet.set_repeat_rows(r, r).map_err(xlsx)?;
    r += 1;
    for input in &report.inputs {
        let format = input.format.label();
        let texts = [
            input.table,
            input.file.as_str(),
            format,
            input.encoding.as_deref().unwrap_or(""),
        ];
        for (c, t) in texts.iter().enumerate() {
            widths.fit(c as u16, t);
            sheet
                .write_string_with_format(r, c as u16, *t, &text)
                .map_err(xlsx)?;
        }
        sheet
            .write_number_with_format(r, 4, input.bytes as f64, &count)
            .map_err(xlsx)?;
        widths.fit(4, &input.bytes.to_string());
        widths.fit(5, &input.sha256);
        sheet
            .write_string_with_format(r, 5, &input.sha256, &text)
            .map_err(xlsx)?;
        for (c, n) in [input.read, input.accepted, input.rejected]
            .iter()
            .enumerate()
        {
            sheet
                .write_number_with_format(r, 6 + c as u16, *n as f64, &count)
                .map_err(xlsx)?;
        }
        r += 1;
    }
    r += 1;
    sheet
        .write_string_with_format(r, 0, "쿼리 파일", &styles.title)
        .map_err(xlsx)?;
    r += 1;
    // Under the input files' 파일 and SHA-256 columns, so that the widths fit both.
    sheet
        .write_string_with_format(r, 1, "파일", &styles.header)
        .map_err(xlsx)?;
    sheet
        .write_string_with_format(r, 5, "SHA-256", &styles.header)
        .map_err(xlsx)?;
    r += 1;
    for (file, sha) in &report.queries {
        widths.fit(1, file);
        sheet
            .write_string_with_format(r, 1, *file, &text)
            .map_err(xlsx)?;
        sheet
            .write_string_with_format(r, 5, sha, &text)
            .map_err(xlsx)?;
        r += 1;
    }
    r = rebased_codes(sheet, report, r + 1, styles, &mut widths)?;
    r = protection_block(sheet, report, r + 1, styles, &mut widths)?;
    r += 1;
    sheet
        .write_string_with_format(
            r,
            0,
            "출처: 행정안전부 행정기관코드 (내장 행정구역 자료)",
            &styles.note,
        )
        .map_err(xlsx)?;
    widths.apply(sheet)?;
    page_setup(sheet, &format!("{title}{}", internal_mark(report)))
}

/// The 비밀보호 block of 자료: the rule, the method, the cells hidden per sheet, the audit's
/// and the consistency checks' results, and no values. Gives the next free row.
fn protection_block(
    sheet: &mut Worksheet,
    report: &Report,
    mut r: u32,
    styles: &Styles,
    widths: &mut Widths,
) -> Result<u32, Error> {
    let text = Styles::cell(CellFormat::Text, false);
    let count = Styles::cell(CellFormat::Count, false);
    sheet
        .write_string_with_format(r, 0, "비밀보호", &styles.title)
        .map_err(xlsx)?;
    r += 1;
    let checks = match report.checked {
        Some(n) => format!(
            "통과: 관계 {n}개 (전국·시도·시군구·읍면동 합계, 행의 합계, 가구 수·인원의 범위, 비율 재계산)"
        ),
        None => "실행하지 않음".to_string(),
    };
    let mut facts: Vec<(&str, String)> = Vec::new();
    match &report.disclosure {
        None => facts.push((
            "상태",
            format!("{UNPROTECTED} (--sdc off): 배포하지 마십시오."),
        )),
        Some(note) => {
            let k = note.rule.k;
            facts.push((
                "규칙",
                format!(
                    "가구 수 1~{}인 셀(건수는 그 뒤의 가구 수로 판단)은 표시하지 않음 (k = {k}, 단위: 가구). 0은 그대로 표시.",
                    k - 1
                ),
            ));
            facts.push((
                "방법",
                "1차 비밀보호 → 합계 관계로 역산되지 않도록 2차 비밀보호 → 선형계획법 감사 (숨긴 셀은 1 이상, 표시하지 않은 셀은 0 이상) → 부족하면 셀을 더 숨기고 다시 감사".to_string(),
            ));
            facts.push((
                "보호 수준",
                match note.rule.protection {
                    crate::disclosure::Protection::Interval => {
                        "보호 대상 셀마다 가능한 정수 값이 둘 이상".to_string()
                    }
                    crate::disclosure::Protection::Range => {
                        format!("보호 대상 셀마다 가능한 정수 값이 둘 이상이고 최댓값이 {k} 이상")
                    }
                },
            ));
            facts.push((
                "감사 결과",
                if note.unprotected == 0 {
                    format!("통과: 보호 대상 {}개 모두", note.targets)
                } else {
                    format!(
                        "보호하지 못한 셀 {}개 (보호 대상 {}개 중): 검토 필요",
                        note.unprotected, note.targets
                    )
                },
            ));
            if note.frozen_hidden > 0 {
                facts.push((
                    "고정 셀",
                    format!(
                        "전국 또는 보고 범위 합계 셀 {}개를 다른 방법이 없어 숨김",
                        note.frozen_hidden
                    ),
                ));
            }
        }
    }
    facts.push(("일관성 검사", checks));
    for (label, value) in &facts {
        widths.fit(0, label);
        sheet
            .write_string_with_format(r, 0, *label, &styles.label)
            .map_err(xlsx)?;
        sheet
            .write_string_with_format(r, 1, value, &text)
            .map_err(xlsx)?;
        r += 1;
    }
    if let Some(note) = &report.disclosure {
        for (c, h) in ["시트", "숨긴 셀 (X)"].iter().enumerate() {
            sheet
                .write_string_with_format(r, c as u16, *h, &styles.header)
                .map_err(xlsx)?;
        }
        r += 1;
        for (title, n) in &note.hidden_by_sheet {
            widths.fit(0, title);
            sheet
                .write_string_with_format(r, 0, title, &text)
                .map_err(xlsx)?;
            sheet
                .write_number_with_format(r, 1, *n as f64, &count)
                .map_err(xlsx)?;
            r += 1;
        }
    }
    Ok(r)
}

/// The codes the report's geography re-based, from row `r`; gives the next free row.
fn rebased_codes(
    sheet: &mut Worksheet,
    report: &Report,
    mut r: u32,
    styles: &Styles,
    widths: &mut Widths,
) -> Result<u32, Error> {
    let Some(day) = report.geography_day else {
        return Ok(r);
    };
    let title = format!(
        "재편성한 읍면동 코드 ({} 기준 행정구역): {}개",
        crate::period::format_date(day),
        report.rebased.len()
    );
    sheet
        .write_string_with_format(r, 0, title, &styles.title)
        .map_err(xlsx)?;
    r += 1;
    let text = Styles::cell(CellFormat::Text, false);
    for (c, h) in ["기록된 코드", "집계한 코드", "기록된 코드 사용 기간"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string_with_format(r, c as u16, *h, &styles.header)
            .map_err(xlsx)?;
    }
    r += 1;
    for code in &report.rebased {
        let day = |d: Option<i32>| d.map(crate::period::format_date).unwrap_or_default();
        let span = format!("{} ~ {}", day(code.valid_from), day(code.valid_to));
        for (c, t) in [&code.recorded, &code.counted_as, &span].iter().enumerate() {
            widths.fit(c as u16, t);
            sheet
                .write_string_with_format(r, c as u16, t.as_str(), &text)
                .map_err(xlsx)?;
        }
        r += 1;
    }
    Ok(r)
}

/// The first column of the hidden helper ranges charts read when a series has hidden cells.
const HELPER_COLUMN: u16 = 60;

/// Where a chart's series read their values: the table's own column, or a helper column.
type Source = (u32, u16);

/// Writes, in hidden columns from `first`, a copy of each series where a hidden cell (and,
/// in a stacked bar, every part of a category with a hidden part) is `#N/A`, which the chart
/// draws as a gap; gives the columns, or `None` when no series has a hidden cell.
fn helper_range(
    sheet: &mut Worksheet,
    spec: &crate::template::ChartSpec,
    placed: &Placed,
    first: u16,
) -> Result<Option<Vec<u16>>, Error> {
    let columns: Option<Vec<usize>> = spec
        .series
        .iter()
        .map(|s| placed.columns.iter().position(|c| c == s.column.get_ref()))
        .collect();
    let Some(columns) = columns else {
        return Ok(None);
    };
    let hidden = |row: &[Value], c: usize| row[c] == Value::Hidden;
    if !placed
        .values
        .iter()
        .any(|row| columns.iter().any(|&c| hidden(row, c)))
    {
        return Ok(None);
    }
    let stacked = spec.kind == ChartKind::StackedBar;
    let mut out = Vec::new();
    for (k, &c) in columns.iter().enumerate() {
        let col = first + k as u16;
        for (i, row) in placed.values.iter().enumerate() {
            let r = placed.first_data_row + i as u32;
            let gap = hidden(row, c) || (stacked && columns.iter().any(|&o| hidden(row, o)));
            match &row[c] {
                _ if gap => {
                    sheet
                        .write_formula(
                            r,
                            col,
                            rust_xlsxwriter::Formula::new("=NA()").set_result("#N/A"),
                        )
                        .map_err(xlsx)?;
                }
                Value::Number(x) => {
                    sheet.write_number(r, col, *x).map_err(xlsx)?;
                }
                _ => {}
            }
        }
        sheet.set_column_hidden(col).map_err(xlsx)?;
        out.push(col);
    }
    Ok(Some(out))
}

fn native_chart(
    spec: &crate::template::ChartSpec,
    placed: &Placed,
    helper: Option<&[u16]>,
) -> Option<Chart> {
    let column = |name: &str| {
        placed
            .columns
            .iter()
            .position(|c| c == name)
            .map(|c| c as u16)
    };
    let categories = column(spec.categories.get_ref())?;
    if placed.last_data_row < placed.first_data_row {
        return None;
    }
    let mut chart = Chart::new(match spec.kind {
        ChartKind::Bar => ChartType::Column,
        ChartKind::StackedBar => ChartType::ColumnStacked,
        ChartKind::Line => ChartType::Line,
    });
    for (k, series) in spec.series.iter().enumerate() {
        let values: Source = match helper {
            Some(cols) => (placed.first_data_row, cols[k]),
            None => (placed.first_data_row, column(series.column.get_ref())?),
        };
        chart
            .add_series()
            .set_name(series.name.as_str())
            .set_categories((
                placed.sheet.as_str(),
                placed.first_data_row,
                categories,
                placed.last_data_row,
                categories,
            ))
            .set_values((
                placed.sheet.as_str(),
                values.0,
                values.1,
                placed.last_data_row,
                values.1,
            ));
    }
    if helper.is_some() {
        // The helper columns are hidden: the chart must still draw them.
        chart.show_na_as_empty_cell().show_hidden_data();
    }
    chart.title().set_name(spec.title.as_str());
    chart.x_axis().set_name(spec.x_axis.as_str());
    chart.y_axis().set_name(spec.y_axis.as_str());
    let rates = spec.series.iter().all(|s| {
        column(s.column.get_ref()).is_some_and(|c| placed.formats[c as usize] == CellFormat::Rate)
    });
    if rates {
        chart.y_axis().set_num_format("0%");
    }
    if spec.series.len() == 1 {
        chart.legend().set_hidden();
    }
    chart.set_width(720).set_height(420);
    Some(chart)
}

/// Helper columns already written on `sheet`.
fn helpers_used(per_sheet: &[(String, u32, u16)], sheet: &str) -> u16 {
    per_sheet
        .iter()
        .find(|(s, _, _)| s == sheet)
        .map_or(0, |(_, _, h)| *h)
}

/// One pack of `report --each`, as its index lists it.
#[derive(Debug, Clone)]
pub struct PackEntry {
    pub code: String,
    pub name: String,
    pub file: String,
    /// The pack's headline figures: label, format, value for the period.
    pub headline: Vec<(String, CellFormat, Value)>,
    /// The pack's k, `None` when it was not protected (`--sdc off`).
    pub min_households: Option<i64>,
}

/// The index of the packs of one run: a row per pack, its file and its headline figures.
pub fn index_workbook(
    template: &crate::template::Template,
    period: crate::period::Period,
    generated_at: NaiveDateTime,
    packs: &[PackEntry],
) -> Result<Vec<u8>, Error> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!("{} — 목록", template.title).as_str())
            .set_author("hubstat")
            .set_creation_datetime(&excel_time(generated_at)?),
    );
    let sheet = workbook.add_worksheet();
    sheet.set_name("목록").map_err(xlsx)?;
    sheet
        .write_string_with_format(
            TITLE_ROW,
            0,
            format!("{} — 지역별 자료 목록", template.title),
            &styles.title,
        )
        .map_err(xlsx)?;
    sheet
        .write_string_with_format(
            SUBTITLE_ROW,
            0,
            format!(
                "기간 {period} ({} ~ {}), 기준일 {} · {}개 지역",
                period.start(),
                period.end(),
                period.as_of(),
                packs.len()
            ),
            &styles.subtitle,
        )
        .map_err(xlsx)?;
    let mut widths = Widths(Vec::new());
    let mut headers = vec!["지역코드".to_string(), "지역".into(), "파일".into()];
    if let Some(first) = packs.first() {
        headers.extend(first.headline.iter().map(|(label, _, _)| label.clone()));
    }
    for (c, h) in headers.iter().enumerate() {
        widths.fit(c as u16, h);
        sheet
            .write_string_with_format(HEADER_ROW, c as u16, h, &styles.header)
            .map_err(xlsx)?;
    }
    let text = Styles::cell(CellFormat::Text, false);
    let mut marks = (false, false);
    for (r, pack) in (HEADER_ROW + 1..).zip(packs) {
        for (c, t) in [&pack.code, &pack.name].iter().enumerate() {
            widths.fit(c as u16, t);
            sheet
                .write_string_with_format(r, c as u16, t.as_str(), &text)
                .map_err(xlsx)?;
        }
        widths.fit(2, &pack.file);
        sheet
            .write_string_with_format(r, 2, pack.file.as_str(), &text)
            .map_err(xlsx)?;
        for (k, (_, format, value)) in pack.headline.iter().enumerate() {
            let c = 3 + k as u16;
            let shown = match value {
                Value::Number(x) => Shown::Number(*x),
                Value::Hidden => Shown::Hidden,
                Value::Null if *format == CellFormat::Rate => Shown::NoDenominator,
                _ => Shown::Blank,
            };
            write_shown(
                sheet,
                r,
                c,
                shown,
                &Styles::cell(*format, false),
                &mut marks,
            )?;
            widths.fit(c, &shown_number(cells_number(value), *format));
        }
    }
    let k = packs.iter().find_map(|p| p.min_households);
    let mut legend = legend_lines(k, marks.0, marks.1);
    if packs.iter().any(|p| p.min_households.is_none()) {
        legend.push(UNPROTECTED.to_string());
    }
    write_notes(sheet, HEADER_ROW + 2 + packs.len() as u32, &legend, &styles)?;
    widths.apply(sheet)?;
    sheet.set_freeze_panes(HEADER_ROW + 1, 2).map_err(xlsx)?;
    page_setup(sheet, "목록")?;
    workbook.save_to_buffer().map_err(xlsx)
}

pub fn workbook(report: &Report) -> Result<Vec<u8>, Error> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    let created = excel_time(report.generated_at)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(report.template.title.as_str())
            .set_author("hubstat")
            .set_creation_datetime(&created),
    );
    let mut placed: Vec<Placed> = Vec::new();
    for data in &report.sheets {
        let sheet = workbook.add_worksheet();
        match data {
            SheetData::Table {
                spec,
                total,
                rows,
                note,
            } => {
                let notes = with_note(&spec.notes, note);
                placed.push(table_sheet(
                    sheet, report, spec, total, rows, &notes, &styles,
                )?);
            }
            SheetData::Summary {
                spec,
                periods,
                values,
                note,
                ..
            } => {
                let notes = with_note(&spec.notes, note);
                summary_sheet(sheet, report, spec, periods, values, &notes, &styles)?;
            }
            SheetData::Provenance => provenance_sheet(sheet, report, &styles)?,
        }
    }
    // Charts go beside the table they draw, one under the other.
    // Per sheet: charts placed, helper columns written.
    let mut per_sheet: Vec<(String, u32, u16)> = Vec::new();
    for spec in &report.template.charts {
        let Some(p) = placed.iter().find(|p| &p.sheet == spec.sheet.get_ref()) else {
            continue;
        };
        let sheet = workbook.worksheet_from_name(&p.sheet).map_err(xlsx)?;
        let first = HELPER_COLUMN + helpers_used(&per_sheet, &p.sheet);
        let helper = helper_range(sheet, spec, p, first)?;
        let Some(chart) = native_chart(spec, p, helper.as_deref()) else {
            continue;
        };
        let used = helper.as_ref().map_or(0, |h| h.len() as u16);
        let slot = match per_sheet.iter_mut().find(|(s, _, _)| s == &p.sheet) {
            Some((_, n, helpers)) => {
                *n += 1;
                *helpers += used;
                *n - 1
            }
            None => {
                per_sheet.push((p.sheet.clone(), 1, used));
                0
            }
        };
        let sheet = workbook.worksheet_from_name(&p.sheet).map_err(xlsx)?;
        sheet
            .insert_chart(HEADER_ROW + slot * 22, p.width + 1, &chart)
            .map_err(xlsx)?;
    }
    workbook.save_to_buffer().map_err(xlsx)
}
