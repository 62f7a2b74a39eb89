//! `throughline report --format html`: one self-contained page (inline CSS and SVG, no
//! scripts, no fonts or images to fetch), each chart followed by a table of its numbers. A
//! Hebrew playbook gets a right-to-left page in Hebrew.

use std::collections::HashMap;
use std::fmt::Write;

use jiff::civil::Date;

use super::charts::{day_number, escape};
use super::insight::rate_cells;
use crate::insight::{Rate, Report};

mod flow;
mod lang;
mod outlook;
mod timing;

use lang::{EN, HE};
pub(crate) use lang::{Words, kpi_status, zone_name};

/// What the page needs beyond the measurements: language and the names people know.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub rtl: bool,
    /// The playbooks' names, for the heading.
    pub title: String,
    /// (process, stage) → the stage's name.
    pub stages: HashMap<(String, String), String>,
    /// item id → its title.
    pub items: HashMap<String, String>,
}

/// Items whose timeline is drawn (nearest go-lives to the period's end); the JSON has all.
pub const TIMELINE_ITEMS: usize = 8;

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: system-ui, 'DejaVu Sans', 'Noto Sans Hebrew', sans-serif; margin: 0; color: #1d1d1d; background: #f6f6f4; line-height: 1.45; }
header { background: #1f3a5f; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 1.5rem; }
header p { margin: 0; opacity: .9; }
nav { padding: 8px 28px; background: #e8ecf1; font-size: .9rem; }
nav a { color: #1f3a5f; margin-inline-end: 14px; }
main { padding: 8px 28px 40px; max-width: 1200px; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px 18px; margin: 16px 0; }
section h2 { margin: 4px 0 6px; font-size: 1.2rem; }
section h3 { margin: 14px 0 4px; font-size: 1rem; }
p.desc { margin: 0 0 8px; color: #555; font-size: .9rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0 10px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 1.4rem; }
table { border-collapse: collapse; margin: 8px 0; font-size: .85rem; }
caption { text-align: start; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 10px; text-align: start; }
td.n { text-align: end; font-variant-numeric: tabular-nums; }
.late, .risk { color: #b03000; font-weight: 600; }
pre.diff { background: #f4f4f4; padding: 8px; overflow-x: auto; direction: ltr; text-align: left; }
pre.diff .add { color: #006b3c; }
pre.diff .del { color: #b03000; }
details summary { cursor: pointer; color: #1f3a5f; }
code { direction: ltr; unicode-bidi: embed; }
"#;

/// A table with a caption; `numeric` marks the columns aligned as numbers.
fn table(
    out: &mut String,
    caption: &str,
    header: &[&str],
    numeric: &[usize],
    rows: &[Vec<String>],
) {
    let _ = write!(
        out,
        "<table><caption>{}</caption><thead><tr>",
        escape(caption)
    );
    for h in header {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (c, cell) in row.iter().enumerate() {
            if numeric.contains(&c) {
                let _ = write!(out, "<td class=\"n\">{}</td>", escape(cell));
            } else {
                let _ = write!(out, "<td>{}</td>", escape(cell));
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// Tables longer than this fold away under the chart.
const OPEN_ROWS: usize = 12;

fn folded_table(
    out: &mut String,
    caption: &str,
    header: &[&str],
    numeric: &[usize],
    rows: &[Vec<String>],
) {
    if rows.len() > OPEN_ROWS {
        let _ = write!(
            out,
            "<details><summary>{} ({})</summary>",
            escape(caption),
            rows.len()
        );
        table(out, caption, header, numeric, rows);
        out.push_str("</details>");
    } else {
        table(out, caption, header, numeric, rows);
    }
}

fn rate_row(first: String, r: &Rate) -> Vec<String> {
    let mut row = vec![first];
    row.extend(rate_cells(r));
    row
}

/// Date ticks: the Mondays, at most about 10 of them, as `d.m`.
fn date_ticks(lo: Date, hi: Date) -> Vec<(f64, String)> {
    let days = (hi - lo).get_days().max(1);
    let weeks = (days / 7 + 1).max(1);
    let every = ((weeks + 9) / 10).max(1);
    let mut out = Vec::new();
    let mut d = crate::insight::monday(lo);
    let mut k = 0;
    while d <= hi {
        if d >= lo && k % every == 0 {
            out.push((day_number(d), format!("{}.{}", d.day(), d.month())));
        }
        k += 1;
        match d.checked_add(jiff::Span::new().days(7)) {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    out
}

impl Labels {
    pub(crate) fn stage(&self, process: &str, stage: &str) -> String {
        self.stages
            .get(&(process.to_string(), stage.to_string()))
            .cloned()
            .unwrap_or_else(|| stage.to_string())
    }

    pub(crate) fn item(&self, item: &str) -> String {
        self.items
            .get(item)
            .cloned()
            .unwrap_or_else(|| item.to_string())
    }
}

fn section(out: &mut String, id: &str, title: &str, desc: &str) {
    let _ = write!(
        out,
        "<section id=\"{}\" aria-labelledby=\"{}-h\"><h2 id=\"{}-h\">{}</h2>",
        id,
        id,
        id,
        escape(title)
    );
    if !desc.is_empty() {
        let _ = write!(out, "<p class=\"desc\">{}</p>", escape(desc));
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The words for a page's direction: Hebrew right to left, else English.
pub(crate) fn words(rtl: bool) -> &'static Words {
    if rtl { &HE } else { &EN }
}

/// The whole page.
pub fn render(r: &Report, labels: &Labels) -> String {
    let w = words(labels.rtl);
    let rtl = labels.rtl;
    let mut out = String::new();
    let title = if labels.title.is_empty() {
        w.report.to_string()
    } else {
        format!("{} · {}", w.report, labels.title)
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>{}</title><style>{}</style></head><body>",
        w.lang,
        if rtl { "rtl" } else { "ltr" },
        escape(&title),
        STYLE
    );
    let _ = write!(
        out,
        "<header><h1>{}</h1><p>{}: {} – {} · {} {}</p></header>",
        escape(&title),
        w.period,
        r.period.since,
        r.period.until,
        w.measured,
        r.period.now
    );
    let sections = [
        ("on-time", w.on_time),
        ("stage-time", w.stage_time),
        ("aging", w.aging),
        ("flow", w.flow),
        ("throughput", w.throughput),
        ("timeline", w.timeline),
        ("bottleneck", w.bottleneck),
        ("forecast", w.forecast),
        ("kpis", w.kpis),
        ("recommendations", w.recommendations),
    ];
    out.push_str("<nav>");
    for (id, name) in sections {
        let _ = write!(out, "<a href=\"#{id}\">{}</a>", escape(name));
    }
    out.push_str("</nav><main>");

    timing::on_time(&mut out, r, labels, w);
    timing::stage_time(&mut out, r, labels, w);
    timing::aging(&mut out, r, labels, w);
    flow::flow(&mut out, r, labels, w);
    flow::throughput(&mut out, r, labels, w);
    flow::timeline(&mut out, r, labels, w);
    outlook::bottleneck(&mut out, r, labels, w);
    outlook::forecast(&mut out, r, labels, w);
    outlook::people(&mut out, r, w);
    outlook::kpis(&mut out, r, labels, w);
    outlook::recommendations(&mut out, r, w);
    out.push_str("</main></body></html>\n");
    out
}
