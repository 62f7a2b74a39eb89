//! SVG charts for the HTML report (and the dashboard): plain strings, no scripts, no fonts to
//! load, no network. Every chart is one `<svg>` with an id, a `<title>` and a `<desc>`, so a
//! screen reader names it; the page puts a table of the same numbers under it.
//!
//! Right to left (`Frame::rtl`): the horizontal axis runs from right to left and the value
//! axis stands on the right, as a Hebrew reader reads a time line.

use std::fmt::Write;

use jiff::civil::Date;

#[cfg(test)]
mod tests;

/// Width and height of every chart's view box; the page scales it to its column.
pub const WIDTH: f64 = 760.0;
pub const HEIGHT: f64 = 300.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 40.0;

/// Colours that stay apart for colour-blind readers (Okabe–Ito).
pub const BLUE: &str = "#0072b2";
pub const ORANGE: &str = "#e69f00";
pub const GREEN: &str = "#009e73";
pub const RED: &str = "#d55e00";
pub const PURPLE: &str = "#cc79a7";
pub const SKY: &str = "#56b4e9";
pub const GREY: &str = "#8c8c8c";
pub const YELLOW: &str = "#f0e442";

/// What every chart has: its element id, its accessible name and description, direction.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub rtl: bool,
}

/// Text for an HTML element or attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text drawn in a chart. Positions and anchors are physical (the chart is laid out left to
/// right and mirrored by hand), so a right-to-left string is embedded as such (RLE … PDF) for
/// its neutral characters ("%", ":") to fall on the right side.
fn txt(s: &str) -> String {
    let rtl = s
        .chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(|c| matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF));
    if rtl {
        format!("\u{202B}{}\u{202C}", escape(s))
    } else {
        escape(s)
    }
}

/// A label cut to about `px` pixels of 11-pixel text, with "…" where it was cut.
fn fit(label: &str, px: f64) -> String {
    let max = (px / 6.5).floor().max(2.0) as usize;
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// A date as a number on a time axis (days since 1970-01-01).
pub fn day_number(d: Date) -> f64 {
    (d - Date::constant(1970, 1, 1)).get_days() as f64
}

/// A line across the chart at a value (a percentile, a target).
#[derive(Debug, Clone)]
pub struct RefLine {
    pub value: f64,
    pub label: String,
    pub color: &'static str,
}

/// One named row of values (a state, a measure).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    pub color: &'static str,
}

#[derive(Debug, Clone)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// Shown on hover and read by screen readers.
    pub label: String,
    pub color: &'static str,
}

/// A value axis from 0 to a round maximum, with its tick step.
fn nice_max(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 1.0);
    }
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let step = if max >= 1.0 { step.max(1.0) } else { step };
    ((max / step).ceil() * step, step)
}

fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Data → pixels, mirrored for right to left.
struct Plot {
    x0: f64,
    x1: f64,
    y1: f64,
    step: f64,
    rtl: bool,
}

impl Plot {
    fn new(x0: f64, x1: f64, ymax: f64, rtl: bool) -> Plot {
        let (y1, step) = nice_max(ymax);
        let (x0, x1) = if x1 > x0 {
            (x0, x1)
        } else {
            (x0 - 0.5, x0 + 0.5)
        };
        Plot {
            x0,
            x1,
            y1,
            step,
            rtl,
        }
    }

    fn flip(&self, px: f64) -> f64 {
        if self.rtl { WIDTH - px } else { px }
    }

    fn x(&self, v: f64) -> f64 {
        let t = (v - self.x0) / (self.x1 - self.x0);
        self.flip(LEFT + t * (WIDTH - LEFT - RIGHT))
    }

    fn y(&self, v: f64) -> f64 {
        let t = v / self.y1;
        HEIGHT - BOTTOM - t * (HEIGHT - TOP - BOTTOM)
    }

    /// Where text that should end at the value axis is anchored.
    fn anchor_end(&self) -> &'static str {
        if self.rtl { "start" } else { "end" }
    }

    /// Grid lines and the value axis's labels, then the time axis's ticks.
    fn axes(&self, out: &mut String, x_ticks: &[(f64, String)], y_label: &str) {
        let mut v = 0.0;
        while v <= self.y1 + 1e-9 {
            let y = self.y(v);
            let _ = write!(
                out,
                r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="{}" font-size="11" fill="#555">{}</text>"##,
                self.flip(LEFT),
                self.flip(WIDTH - RIGHT),
                self.flip(LEFT - 6.0),
                y + 4.0,
                self.anchor_end(),
                num(v)
            );
            v += self.step;
        }
        let base = self.y(0.0);
        let _ = write!(
            out,
            r##"<line x1="{:.1}" y1="{base:.1}" x2="{:.1}" y2="{base:.1}" stroke="#444"/>"##,
            self.flip(LEFT),
            self.flip(WIDTH - RIGHT)
        );
        for (x, label) in x_ticks {
            let px = self.x(*x);
            let _ = write!(
                out,
                r##"<line x1="{px:.1}" y1="{base:.1}" x2="{px:.1}" y2="{:.1}" stroke="#444"/><text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#555">{}</text>"##,
                base + 4.0,
                base + 17.0,
                txt(label)
            );
        }
        if !y_label.is_empty() {
            // Above the value axis, running into the chart (not off its edge).
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="{}" font-size="11" fill="#555">{}</text>"##,
                self.flip(LEFT - 30.0),
                TOP - 10.0,
                if self.rtl { "end" } else { "start" },
                txt(y_label)
            );
        }
    }

    fn ref_lines(&self, out: &mut String, lines: &[RefLine]) {
        for l in lines {
            let y = self.y(l.value);
            let _ = write!(
                out,
                r##"<g class="ref"><line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{}" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" text-anchor="{}" font-size="11" fill="{}">{}</text></g>"##,
                self.flip(LEFT),
                self.flip(WIDTH - RIGHT),
                l.color,
                self.flip(WIDTH - RIGHT - 2.0),
                y - 4.0,
                self.anchor_end(),
                l.color,
                txt(&l.label)
            );
        }
    }
}

fn open(out: &mut String, f: &Frame) {
    let id = escape(f.id);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" direction="ltr" font-family="system-ui, 'DejaVu Sans', sans-serif"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"##,
        escape(f.title),
        escape(f.desc)
    );
}

fn close(out: &mut String) {
    out.push_str("</svg>");
}

/// Coloured boxes with names across the top.
fn legend(out: &mut String, rtl: bool, entries: &[(&str, &'static str)]) {
    let mut x = LEFT + 60.0;
    for (name, color) in entries {
        let w = 22.0 + name.chars().count() as f64 * 6.6;
        let (bx, tx, anchor) = if rtl {
            (WIDTH - x - 10.0, WIDTH - x - 14.0, "end")
        } else {
            (x, x + 14.0, "start")
        };
        let _ = write!(
            out,
            r##"<rect x="{bx:.1}" y="8" width="10" height="10" fill="{color}"/><text x="{tx:.1}" y="17" font-size="11" text-anchor="{anchor}" fill="#333">{}</text>"##,
            txt(name)
        );
        x += w;
    }
}

fn empty(out: &mut String, text: &str) {
    let _ = write!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#777">{}</text>"##,
        WIDTH / 2.0,
        HEIGHT / 2.0,
        txt(text)
    );
}

/// Dots (one per finished task: when it was done × how long it took) with reference lines
/// (the percentiles).
pub fn scatter(
    f: &Frame,
    x_ticks: &[(f64, String)],
    y_label: &str,
    points: &[Point],
    lines: &[RefLine],
    no_data: &str,
) -> String {
    let mut out = String::new();
    open(&mut out, f);
    let xs = points.iter().map(|p| p.x);
    let x0 = xs.clone().fold(f64::INFINITY, f64::min);
    let x1 = xs.fold(f64::NEG_INFINITY, f64::max);
    let ymax = points
        .iter()
        .map(|p| p.y)
        .chain(lines.iter().map(|l| l.value))
        .fold(0.0, f64::max);
    if points.is_empty() {
        empty(&mut out, no_data);
        close(&mut out);
        return out;
    }
    let plot = Plot::new(x0, x1, ymax, f.rtl);
    plot.axes(&mut out, x_ticks, y_label);
    out.push_str(r#"<g class="points">"#);
    for p in points {
        let _ = write!(
            out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{}" fill-opacity="0.75"><title>{}</title></circle>"##,
            plot.x(p.x),
            plot.y(p.y),
            p.color,
            escape(&p.label)
        );
    }
    out.push_str("</g>");
    plot.ref_lines(&mut out, lines);
    close(&mut out);
    out
}

/// Stacked bands over time, the first series at the bottom (a cumulative flow diagram).
pub fn stacked_area(
    f: &Frame,
    xs: &[f64],
    x_ticks: &[(f64, String)],
    y_label: &str,
    series: &[Series],
    no_data: &str,
) -> String {
    let mut out = String::new();
    open(&mut out, f);
    let n = xs.len();
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let ymax = totals.iter().copied().fold(0.0, f64::max);
    if n == 0 || ymax <= 0.0 {
        empty(&mut out, no_data);
        close(&mut out);
        return out;
    }
    let plot = Plot::new(xs[0], xs[n - 1], ymax, f.rtl);
    plot.axes(&mut out, x_ticks, y_label);
    let mut below = vec![0.0; n];
    for s in series {
        let above: Vec<f64> = (0..n)
            .map(|i| below[i] + s.values.get(i).copied().unwrap_or(0.0))
            .collect();
        let mut d = String::new();
        for i in 0..n {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if i == 0 { "M" } else { "L" },
                plot.x(xs[i]),
                plot.y(above[i])
            );
        }
        for i in (0..n).rev() {
            let _ = write!(d, "L{:.1},{:.1} ", plot.x(xs[i]), plot.y(below[i]));
        }
        let _ = write!(
            out,
            r##"<path class="band" d="{}Z" fill="{}" fill-opacity="0.85" stroke="#fff" stroke-width="0.5"><title>{}</title></path>"##,
            d,
            s.color,
            escape(&s.name)
        );
        below = above;
    }
    let names: Vec<(&str, &'static str)> =
        series.iter().map(|s| (s.name.as_str(), s.color)).collect();
    legend(&mut out, f.rtl, &names);
    close(&mut out);
    out
}

/// Grouped columns per category (throughput per week: done and on time).
pub fn columns(
    f: &Frame,
    categories: &[String],
    y_label: &str,
    series: &[Series],
    lines: &[RefLine],
    no_data: &str,
) -> String {
    let mut out = String::new();
    open(&mut out, f);
    let n = categories.len();
    let ymax = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .chain(lines.iter().map(|l| l.value))
        .fold(0.0, f64::max);
    if n == 0 {
        empty(&mut out, no_data);
        close(&mut out);
        return out;
    }
    let plot = Plot::new(-0.5, n as f64 - 0.5, ymax, f.rtl);
    // At most about 12 labels along the axis, each cut to the room it has.
    let every = n.div_ceil(12).max(1);
    let room = (plot.x(every as f64) - plot.x(0.0)).abs() - 6.0;
    let ticks: Vec<(f64, String)> = categories
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, c)| (i as f64, fit(c, room)))
        .collect();
    plot.axes(&mut out, &ticks, y_label);
    let slot = (plot.x(1.0) - plot.x(0.0)).abs();
    let k = series.len().max(1) as f64;
    let bar = (slot * 0.8 / k).max(1.0);
    for (j, s) in series.iter().enumerate() {
        let _ = write!(out, r#"<g class="series">"#);
        for (i, v) in s.values.iter().enumerate().take(n) {
            let center = plot.x(i as f64);
            let offset = (j as f64 - (k - 1.0) / 2.0) * bar;
            let offset = if f.rtl { -offset } else { offset };
            let top = plot.y(*v);
            let _ = write!(
                out,
                r##"<rect x="{:.1}" y="{top:.1}" width="{bar:.1}" height="{:.1}" fill="{}"><title>{}: {} {}</title></rect>"##,
                center + offset - bar / 2.0,
                (plot.y(0.0) - top).max(0.0),
                s.color,
                escape(&categories[i]),
                escape(&s.name),
                num(*v)
            );
        }
        out.push_str("</g>");
    }
    plot.ref_lines(&mut out, lines);
    let names: Vec<(&str, &'static str)> =
        series.iter().map(|s| (s.name.as_str(), s.color)).collect();
    legend(&mut out, f.rtl, &names);
    close(&mut out);
    out
}

/// One column of the aging chart: a stage, its percentile bands and its open tasks' ages.
#[derive(Debug, Clone)]
pub struct AgingColumn {
    pub label: String,
    /// p50, p85, p95 of the stage's times (all three, or none).
    pub bands: Option<(f64, f64, f64)>,
    pub dots: Vec<Point>,
}

/// Work in progress by age: a column per stage, shaded up to p50, p85 and p95, a dot per open
/// task at its age (ActionableAgile's aging chart).
pub fn aging(f: &Frame, y_label: &str, cols: &[AgingColumn], no_data: &str) -> String {
    let mut out = String::new();
    open(&mut out, f);
    let n = cols.len();
    let ymax = cols
        .iter()
        .flat_map(|c| {
            c.dots
                .iter()
                .map(|d| d.y)
                .chain(c.bands.map(|b| b.2))
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    if n == 0 {
        empty(&mut out, no_data);
        close(&mut out);
        return out;
    }
    let plot = Plot::new(-0.5, n as f64 - 0.5, ymax, f.rtl);
    let room = (plot.x(1.0) - plot.x(0.0)).abs() - 6.0;
    let ticks: Vec<(f64, String)> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64, fit(&c.label, room)))
        .collect();
    plot.axes(&mut out, &ticks, y_label);
    let slot = (plot.x(1.0) - plot.x(0.0)).abs();
    for (i, c) in cols.iter().enumerate() {
        let center = plot.x(i as f64);
        if let Some((p50, p85, p95)) = c.bands {
            for (lo, hi, color) in [(0.0, p50, GREEN), (p50, p85, YELLOW), (p85, p95, ORANGE)] {
                let _ = write!(
                    out,
                    r##"<rect class="band" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}" fill-opacity="0.25"/>"##,
                    center - slot * 0.45,
                    plot.y(hi),
                    slot * 0.9,
                    (plot.y(lo) - plot.y(hi)).max(0.0)
                );
            }
        }
        let m = c.dots.len().max(1) as f64;
        for (j, d) in c.dots.iter().enumerate() {
            // Spread a column's dots sideways so equal ages stay visible.
            let dx = (j as f64 + 0.5) / m * slot * 0.7 - slot * 0.35;
            let _ = write!(
                out,
                r##"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{}" stroke="#fff"><title>{}</title></circle>"##,
                center + dx,
                plot.y(d.y),
                d.color,
                escape(&d.label)
            );
        }
    }
    close(&mut out);
    out
}

/// One row of the timeline: a task's plan and what happened.
#[derive(Debug, Clone)]
pub struct TimelineRow {
    pub label: String,
    pub planned: (f64, f64),
    /// Ready (or first seen) to done; `None` when it has not begun.
    pub actual: Option<(f64, f64)>,
    pub color: &'static str,
    /// Shown on hover.
    pub detail: String,
}

/// Planned bars (outlined) with the actual bars over them, a row per task, and a line for
/// today.
pub fn timeline(
    f: &Frame,
    x_ticks: &[(f64, String)],
    rows: &[TimelineRow],
    today: Option<(f64, &str)>,
    no_data: &str,
) -> String {
    let mut out = String::new();
    let row_h = 16.0;
    let height = TOP + BOTTOM + row_h * rows.len().max(1) as f64;
    let label_w = 230.0;
    let id = escape(f.id);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {WIDTH} {height}" width="100%" direction="ltr" font-family="system-ui, 'DejaVu Sans', sans-serif"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"##,
        escape(f.title),
        escape(f.desc)
    );
    if rows.is_empty() {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#777">{}</text>"##,
            WIDTH / 2.0,
            height / 2.0,
            txt(no_data)
        );
        close(&mut out);
        return out;
    }
    let (lo, hi) = timeline_span(rows, today);
    let span = (hi - lo).max(1.0);
    let left = label_w;
    let right = WIDTH - RIGHT;
    let flip = |px: f64| if f.rtl { WIDTH - px } else { px };
    let x = |v: f64| flip(left + (v - lo) / span * (right - left));
    let bottom = height - BOTTOM;
    for (v, label) in x_ticks.iter().filter(|(v, _)| *v >= lo && *v <= hi) {
        let px = x(*v);
        let _ = write!(
            out,
            r##"<line x1="{px:.1}" y1="{TOP:.1}" x2="{px:.1}" y2="{bottom:.1}" stroke="#e3e3e3"/><text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#555">{}</text>"##,
            bottom + 16.0,
            txt(label)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + i as f64 * row_h;
        let _ = write!(
            out,
            r##"<g class="row"><title>{}</title><text x="{:.1}" y="{:.1}" text-anchor="{}" font-size="11" fill="#333">{}</text>"##,
            escape(&r.detail),
            flip(left - 6.0),
            y + 11.0,
            if f.rtl { "start" } else { "end" },
            txt(&fit(&r.label, label_w - 12.0))
        );
        timeline_bars(&mut out, r, y, row_h, &x);
        out.push_str("</g>");
    }
    if let Some((t, label)) = today {
        let px = x(t);
        let _ = write!(
            out,
            r##"<line class="today" x1="{px:.1}" y1="{:.1}" x2="{px:.1}" y2="{bottom:.1}" stroke="{RED}" stroke-width="1.5"/><text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{RED}">{}</text>"##,
            TOP - 14.0,
            TOP - 18.0,
            txt(label)
        );
    }
    close(&mut out);
    out
}

/// The days the timeline spans: every planned and actual bar, and today; `hi` is exclusive.
fn timeline_span(rows: &[TimelineRow], today: Option<(f64, &str)>) -> (f64, f64) {
    let lo = rows
        .iter()
        .flat_map(|r| [Some(r.planned.0), r.actual.map(|a| a.0)])
        .flatten()
        .chain(today.map(|t| t.0))
        .fold(f64::INFINITY, f64::min);
    let hi = rows
        .iter()
        .flat_map(|r| [Some(r.planned.1), r.actual.map(|a| a.1)])
        .flatten()
        .chain(today.map(|t| t.0))
        .fold(f64::NEG_INFINITY, f64::max)
        + 1.0;
    (lo, hi)
}

/// A row's planned bar (outlined) and its actual bar over it.
fn timeline_bars(out: &mut String, r: &TimelineRow, y: f64, row_h: f64, x: &impl Fn(f64) -> f64) {
    let (a, b) = (x(r.planned.0), x(r.planned.1 + 1.0));
    let _ = write!(
        out,
        r##"<rect class="planned" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#555" stroke-dasharray="3 2"/>"##,
        a.min(b),
        y + 1.0,
        (b - a).abs().max(1.0),
        row_h - 2.0
    );
    if let Some((s, e)) = r.actual {
        let (a, b) = (x(s), x(e + 1.0));
        let _ = write!(
            out,
            r##"<rect class="actual" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" fill-opacity="0.8"/>"##,
            a.min(b),
            y + 4.0,
            (b - a).abs().max(1.0),
            row_h - 8.0,
            r.color
        );
    }
}

/// One line of a line chart: (x, y) points in x order.
#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub color: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// Lines over time with target lines (a metric against its target).
pub fn lines(
    f: &Frame,
    x_ticks: &[(f64, String)],
    y_label: &str,
    series: &[Line],
    targets: &[RefLine],
    no_data: &str,
) -> String {
    let mut out = String::new();
    open(&mut out, f);
    let pts = series.iter().flat_map(|s| s.points.iter());
    let x0 = pts
        .clone()
        .map(|p| p.0)
        .chain(x_ticks.iter().map(|t| t.0))
        .fold(f64::INFINITY, f64::min);
    let x1 = pts
        .clone()
        .map(|p| p.0)
        .chain(x_ticks.iter().map(|t| t.0))
        .fold(f64::NEG_INFINITY, f64::max);
    let ymax = pts
        .map(|p| p.1)
        .chain(targets.iter().map(|t| t.value))
        .fold(0.0, f64::max);
    let no_points = series.iter().all(|s| s.points.is_empty());
    if no_points && (targets.is_empty() || x_ticks.is_empty()) {
        empty(&mut out, no_data);
        close(&mut out);
        return out;
    }
    let plot = Plot::new(x0, x1, ymax, f.rtl);
    plot.axes(&mut out, x_ticks, y_label);
    plot.ref_lines(&mut out, targets);
    if no_points {
        // The target still shows what is expected; the note says nothing was measured.
        empty(&mut out, no_data);
    }
    for Line {
        name,
        color,
        points,
    } in series
    {
        let mut d = String::new();
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if i == 0 { "M" } else { "L" },
                plot.x(*x),
                plot.y(*y)
            );
        }
        let _ = write!(
            out,
            r##"<path class="line" d="{d}" fill="none" stroke="{color}" stroke-width="2"/>"##
        );
        for (x, y) in points {
            let _ = write!(
                out,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}"><title>{}: {}</title></circle>"##,
                plot.x(*x),
                plot.y(*y),
                txt(name),
                num(*y)
            );
        }
    }
    let names: Vec<(&str, &'static str)> =
        series.iter().map(|s| (s.name.as_str(), s.color)).collect();
    legend(&mut out, f.rtl, &names);
    close(&mut out);
    out
}
