//! Takes a chart's data and gives it drawn with plotters as a PNG or an SVG image, with
//! Hangul from the NanumGothic font compiled into the binary, so no system font is needed.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::diagnostics::Error;
use crate::output::write_atomically;
use crate::report::ChartData;
use crate::template::ChartKind;

/// NanumGothic (SIL Open Font License 1.1, see assets/fonts/).
static FONT: &[u8] = include_bytes!("../../assets/fonts/NanumGothic.ttf");
const FAMILY: &str = "sans-serif";
const SIZE: (u32, u32) = (1200, 720);
const COLORS: [RGBColor; 6] = [
    RGBColor(47, 85, 151),
    RGBColor(237, 125, 49),
    RGBColor(112, 173, 71),
    RGBColor(255, 192, 0),
    RGBColor(91, 155, 213),
    RGBColor(165, 165, 165),
];

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            plotters::style::register_font(FAMILY, style, FONT)
                .unwrap_or_else(|_| panic!("the bundled font is valid"));
        }
    });
}

fn chart_error(chart: &ChartData) -> impl Fn(String) -> Error + '_ {
    move |e| Error::computing(format!("drawing chart {}", chart.name), e)
}

/// Writes the chart as a PNG file at `path` (whole or not at all).
pub fn write_png(chart: &ChartData, path: &Path) -> Result<(), Error> {
    register_font();
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // The encoder picks the format from the extension: the temporary file keeps `.png`.
    let temp = crate::output::temp_file_in(folder, ".png")?;
    {
        let root = BitMapBackend::new(temp.path(), SIZE).into_drawing_area();
        draw(&root, chart).map_err(chart_error(chart))?;
        root.present()
            .map_err(|e| chart_error(chart)(format!("{e:?}")))?;
    }
    // Handed on as bytes, so that a PNG path that is a symlink or a pipe is written as
    // every other output is.
    let png = std::fs::read(temp.path()).map_err(|e| Error::io(temp.path(), e))?;
    write_atomically(path, &png)
}

/// Writes the chart as an SVG file at `path` (whole or not at all).
pub fn write_svg(chart: &ChartData, path: &Path) -> Result<(), Error> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root, chart).map_err(chart_error(chart))?;
        root.present()
            .map_err(|e| chart_error(chart)(format!("{e:?}")))?;
    }
    write_atomically(path, svg.as_bytes())
}

fn axis_label(value: f64, percent: bool) -> String {
    if percent {
        format!("{:.0}%", value * 100.0)
    } else {
        thousands(value)
    }
}

fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0.0 { format!("-{out}") } else { out }
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &ChartData) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
    root.fill(&WHITE).map_err(e)?;
    match chart.kind {
        ChartKind::Bar | ChartKind::StackedBar => bars(root, chart),
        ChartKind::Line => lines(root, chart),
    }
}

type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The chart's title and its plotting area over `x` and `y`.
fn plot_area<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    chart: &ChartData,
    y_label_width: u32,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Plot<'a, DB>, String>
where
    DB::ErrorType: 'static,
{
    ChartBuilder::on(root)
        .caption(&chart.title, (FAMILY, 28).into_font())
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(x, y)
        .map_err(|e| format!("{e:?}"))
}

fn legend<'a, DB: DrawingBackend + 'a>(
    cc: &mut Plot<'a, DB>,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    cc.configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FAMILY, 16))
        .draw()
        .map_err(|e| format!("{e:?}"))
}

/// Category labels drawn beside the axis, where plotters' own labels would land between
/// or beyond the bars.
fn category_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    places: impl Iterator<Item = ((i32, i32), String)>,
    anchor: (HPos, VPos),
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let style = TextStyle::from((FAMILY, 15).into_font()).pos(Pos::new(anchor.0, anchor.1));
    for (at, text) in places {
        root.draw(&Text::new(text, at, style.clone()))
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

/// Horizontal bars: category names stay readable however long they are.
fn bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &ChartData) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
    let n = chart.categories.len();
    let stacked = chart.kind == ChartKind::StackedBar;
    let gap = |s: usize, i: usize| {
        if stacked {
            chart.hidden.iter().any(|h| h.get(i) == Some(&true))
        } else {
            chart.hidden.get(s).and_then(|h| h.get(i)) == Some(&true)
        }
    };
    let value = |s: usize, i: usize| {
        if gap(s, i) {
            return 0.0;
        }
        chart.series[s].1.get(i).copied().flatten().unwrap_or(0.0)
    };
    let max = (0..n)
        .map(|i| {
            let values = (0..chart.series.len()).map(|s| value(s, i));
            if stacked {
                values.sum::<f64>()
            } else {
                values.fold(0.0, f64::max)
            }
        })
        .fold(0.0, f64::max);
    let top = if max > 0.0 { max * 1.1 } else { 1.0 };
    let label_width = chart
        .categories
        .iter()
        .map(|c| unicode_width::UnicodeWidthStr::width(c.as_str()))
        .max()
        .unwrap_or(4) as u32
        * 9
        + 24;
    let mut cc = plot_area(
        root,
        chart,
        label_width.max(60),
        0f64..top,
        0f64..n.max(1) as f64,
    )?;
    let percent = chart.percent;
    cc.configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .y_labels(0)
        .x_label_formatter(&|v| axis_label(*v, percent))
        .x_desc(chart.y_axis.as_str())
        .y_desc(chart.x_axis.as_str())
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 17))
        .draw()
        .map_err(e)?;
    // The first category at the top.
    let row = |i: usize| (n - 1 - i) as f64;
    let k = chart.series.len().max(1);
    let mut base = vec![0.0; n];
    for (s, (name, _)) in chart.series.iter().enumerate() {
        let color = COLORS[s % COLORS.len()];
        let bars: Vec<Rectangle<(f64, f64)>> = (0..n)
            .map(|i| {
                let v = value(s, i);
                let (x0, x1) = if stacked {
                    (base[i], base[i] + v)
                } else {
                    (0.0, v)
                };
                let (y0, y1) = if stacked || k == 1 {
                    (row(i) + 0.15, row(i) + 0.85)
                } else {
                    let width = 0.7 / k as f64;
                    let first = row(i) + 0.85 - width * (s + 1) as f64;
                    (first, first + width)
                };
                Rectangle::new([(x0, y0), (x1, y1)], color.filled())
            })
            .collect();
        if stacked {
            for (i, b) in base.iter_mut().enumerate() {
                *b += value(s, i);
            }
        }
        cc.draw_series(bars)
            .map_err(e)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    if chart.series.len() > 1 {
        legend(&mut cc, SeriesLabelPosition::LowerRight)?;
    }
    let places = chart.categories.iter().enumerate().map(|(i, name)| {
        let (x, y) = cc.backend_coord(&(0.0, row(i) + 0.5));
        ((x - 8, y), name.clone())
    });
    category_labels(root, places, (HPos::Right, VPos::Center))?;
    let marks: Vec<(i32, i32)> = (0..n)
        .filter(|&i| (0..chart.series.len()).any(|s| gap(s, i)))
        .map(|i| {
            let (x, y) = cc.backend_coord(&(0.0, row(i) + 0.5));
            (x + 6, y)
        })
        .collect();
    hidden_marks(root, &marks, (HPos::Left, VPos::Center))
}

/// An `X` at each hidden point's baseline, and the legend of the mark under the chart.
fn hidden_marks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    marks: &[(i32, i32)],
    anchor: (HPos, VPos),
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    if marks.is_empty() {
        return Ok(());
    }
    let places = marks.iter().map(|&at| (at, "X".to_string()));
    category_labels(root, places, anchor)?;
    let (_, height) = root.dim_in_pixel();
    let style = TextStyle::from((FAMILY, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Bottom));
    root.draw(&Text::new(
        "X: 비밀보호 (가구 수가 적거나 계산해 낼 수 있어 표시하지 않음)",
        (20, height as i32 - 4),
        style,
    ))
    .map_err(|e| format!("{e:?}"))
}

fn lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &ChartData) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
    let n = chart.categories.len().max(1);
    let max = chart
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .fold(0.0, f64::max);
    let top = if max > 0.0 { max * 1.15 } else { 1.0 };
    let mut cc = plot_area(root, chart, 90, -0.5f64..(n as f64 - 0.5), 0f64..top)?;
    let percent = chart.percent;
    cc.configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .x_labels(0)
        .y_label_formatter(&|v| axis_label(*v, percent))
        .x_desc(chart.x_axis.as_str())
        .y_desc(chart.y_axis.as_str())
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 17))
        .draw()
        .map_err(e)?;
    let mut marks = Vec::new();
    for (s, (name, values)) in chart.series.iter().enumerate() {
        let color = COLORS[s % COLORS.len()];
        let hidden = |i: usize| chart.hidden.get(s).and_then(|h| h.get(i)) == Some(&true);
        // A line breaks where a point is hidden or missing.
        let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) if !hidden(i) => segments.last_mut().expect("one").push((i as f64, *v)),
                _ => segments.push(Vec::new()),
            }
            if hidden(i) {
                marks.push(cc.backend_coord(&(i as f64, 0.0)));
            }
        }
        let points: Vec<(f64, f64)> = segments.iter().flatten().copied().collect();
        for (k, segment) in segments.into_iter().filter(|g| !g.is_empty()).enumerate() {
            let drawn = cc
                .draw_series(LineSeries::new(segment, color.stroke_width(3)))
                .map_err(e)?;
            if k == 0 {
                drawn.label(name.as_str()).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(3))
                });
            }
        }
        cc.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 5, color.filled())),
        )
        .map_err(e)?;
    }
    legend(&mut cc, SeriesLabelPosition::UpperLeft)?;
    let places = chart.categories.iter().enumerate().map(|(i, name)| {
        let (x, y) = cc.backend_coord(&(i as f64, 0.0));
        ((x, y + 8), name.clone())
    });
    category_labels(root, places, (HPos::Center, VPos::Top))?;
    let marks: Vec<(i32, i32)> = marks.into_iter().map(|(x, y)| (x, y - 4)).collect();
    hidden_marks(root, &marks, (HPos::Center, VPos::Bottom))
}
