//! The process: each playbook's flowchart (drawn on the server), and the measurements of the
//! last weeks as charts (stage time against plan, tasks done per week, cumulative flow, the
//! bottleneck), each with a table of its numbers.

use std::fmt::Write;
use std::sync::{Arc, Mutex, OnceLock};

use jiff::civil::Date;
use throughline_connector::State;

use super::PageError;
use super::flowchart;
use super::page::{self, Ctx, Nav, card, section, table};
use crate::insight::{self, Filter, Report};
use crate::report::build::{self, Scope, Stored};
use crate::report::charts::{self, BLUE, Frame, GREEN, GREY, ORANGE, Series, day_number, escape};

/// The weeks the process page measures.
const WEEKS: i64 = 8;

/// Measurements kept for the next requests, the newest last (the process page's weeks and the
/// review's week, for a dashboard or two in one process).
const KEPT: usize = 4;

/// What a measurement depends on: the files (when the model was loaded), the state file (its
/// size and time, and its write-ahead log's), the period, and the minute it is measured at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Measured {
    config: std::path::PathBuf,
    loaded: jiff::Timestamp,
    state: Vec<Option<(std::time::SystemTime, u64)>>,
    since: Date,
    until: Date,
    minute: i64,
}

type Kept = Vec<(Measured, Arc<Report>)>;

fn kept() -> &'static Mutex<Kept> {
    static KEPT_REPORTS: OnceLock<Mutex<Kept>> = OnceLock::new();
    KEPT_REPORTS.get_or_init(Mutex::default)
}

/// The state file and its write-ahead log as they are now: a cycle that commits changes one.
fn state_stamp(dep: &crate::model::Deployment) -> Vec<Option<(std::time::SystemTime, u64)>> {
    let crate::model::StateLocation::Sqlite(path) = &dep.state else {
        return Vec::new();
    };
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    [path.clone(), wal.into()]
        .iter()
        .map(|p| {
            let m = std::fs::metadata(p).ok()?;
            Some((m.modified().ok()?, m.len()))
        })
        .collect()
}

/// The measurements of `since..=until`, as `throughline report` takes them. Measuring a year
/// of history is the dearest thing a page does, so the result is kept until the files, the
/// state file or the minute change.
pub fn measure(ctx: &Ctx, since: Date, until: Date) -> Result<Arc<Report>, PageError> {
    let key = Measured {
        config: ctx.model.dep.config_path.clone(),
        loaded: ctx.model.loaded,
        state: state_stamp(&ctx.model.dep),
        since,
        until,
        minute: ctx.now.as_second().div_euclid(60),
    };
    let found = kept()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, r)| r.clone());
    if let Some(report) = found {
        return Ok(report);
    }
    let stored = Stored::read(&*ctx.store)?;
    let scope = Scope {
        since,
        until,
        process: None,
        filter: Filter::default(),
    };
    let input = build::input(&ctx.model.dep, &ctx.model.schedule, ctx.now, &scope, stored);
    let report = Arc::new(insight::measure(&input));
    let mut kept = kept().lock().unwrap_or_else(|e| e.into_inner());
    kept.retain(|(k, _)| k.config != key.config || k.since != key.since || k.until != key.until);
    kept.push((key, report.clone()));
    let extra = kept.len().saturating_sub(KEPT);
    kept.drain(..extra);
    Ok(report)
}

/// The process page.
pub fn render(ctx: &Ctx) -> Result<String, PageError> {
    let w = ctx.w;
    let since = ctx
        .today
        .checked_sub(jiff::Span::new().weeks(WEEKS))
        .unwrap_or(ctx.today);
    let report = measure(ctx, since, ctx.today)?;
    let labels = build::labels(&ctx.model.dep, &ctx.model.schedule, None);
    let mut body = String::new();
    for (i, p) in ctx.model.dep.processes.iter().enumerate() {
        section(
            &mut body,
            &format!("flow-{i}"),
            &format!("{} · {}", w.flowchart, p.name),
            w.flowchart_desc,
        );
        let _ = write!(
            body,
            "<div class=\"scroll\">{}</div>",
            flowchart::svg(p, &format!("flowchart-{i}"), &p.name)
        );
        body.push_str("</section>");
    }
    bottleneck(&mut body, ctx, &report, &labels);
    body.push_str("<div class=\"grid\">");
    stage_time(&mut body, ctx, &report, &labels);
    throughput(&mut body, ctx, &report);
    body.push_str("</div>");
    flow(&mut body, ctx, &report);
    let _ = write!(
        body,
        "<p><a href=\"/report\">{}</a></p>",
        escape(w.full_report)
    );
    Ok(page::frame(ctx, Nav::Process, w.process, &body))
}

fn bottleneck(out: &mut String, ctx: &Ctx, r: &Report, labels: &crate::report::html::Labels) {
    let w = ctx.w;
    section(out, "bottleneck", w.bottleneck, w.charts_desc);
    out.push_str("<div class=\"cards\">");
    let o = &r.on_time.overall;
    let rate = o
        .rate
        .map_or("–".to_string(), |r| format!("{:.0}%", r * 100.0));
    card(
        out,
        w.on_time,
        &rate,
        &format!("{} / {}", o.on_time, o.counted),
        "ok",
    );
    match &r.bottleneck {
        Some(b) => card(
            out,
            w.bottleneck,
            &labels.stage(&b.process, &b.stage),
            &format!(
                "+{} {} · {} {}",
                b.slip_days,
                w.slip_days,
                b.slipped_tasks.len(),
                w.slipped
            ),
            "bad",
        ),
        None => card(out, w.bottleneck, "–", w.none, "ok"),
    }
    let risk = r.forecast.items.iter().filter(|i| i.at_risk).count();
    card(
        out,
        w.at_risk,
        &risk.to_string(),
        &format!("/ {}", r.forecast.items.len()),
        if risk > 0 { "bad" } else { "ok" },
    );
    out.push_str("</div></section>");
}

fn stage_time(out: &mut String, ctx: &Ctx, r: &Report, labels: &crate::report::html::Labels) {
    let w = ctx.w;
    section(out, "stage-time", w.stage_time, "");
    let cats: Vec<String> = r
        .stage_time
        .iter()
        .map(|s| labels.stage(&s.process, &s.stage))
        .collect();
    let planned = Series {
        name: w.planned_days.to_string(),
        values: r
            .stage_time
            .iter()
            .map(|s| f64::from(s.planned_days))
            .collect(),
        color: GREY,
    };
    let p85 = Series {
        name: "p85".to_string(),
        values: r
            .stage_time
            .iter()
            .map(|s| s.p85.map_or(0.0, f64::from))
            .collect(),
        color: BLUE,
    };
    let f = Frame {
        id: "stage-time-chart",
        title: w.stage_time,
        desc: w.stage_time,
        rtl: ctx.rtl,
    };
    out.push_str(&charts::columns(
        &f,
        &cats,
        w.stage_time,
        &[planned, p85],
        &[],
        w.none,
    ));
    let rows: Vec<Vec<String>> = r
        .stage_time
        .iter()
        .zip(&cats)
        .map(|(s, name)| {
            let n = |v: Option<u32>| v.map_or("–".to_string(), |v| v.to_string());
            vec![
                escape(name),
                s.planned_days.to_string(),
                s.count.to_string(),
                n(s.p50),
                n(s.p85),
                n(s.p95),
            ]
        })
        .collect();
    table(
        out,
        "",
        &[w.stage, w.planned_days, w.counted, "p50", "p85", "p95"],
        &[1, 2, 3, 4, 5],
        &rows,
    );
    out.push_str("</section>");
}

fn throughput(out: &mut String, ctx: &Ctx, r: &Report) {
    let w = ctx.w;
    section(out, "throughput", w.throughput, "");
    let cats: Vec<String> = r
        .throughput
        .iter()
        .map(|t| format!("{}.{}", t.week.day(), t.week.month()))
        .collect();
    let done = Series {
        name: w.done.to_string(),
        values: r.throughput.iter().map(|t| f64::from(t.done)).collect(),
        color: GREY,
    };
    let on_time = Series {
        name: w.on_time.to_string(),
        values: r.throughput.iter().map(|t| f64::from(t.on_time)).collect(),
        color: GREEN,
    };
    let f = Frame {
        id: "throughput-chart",
        title: w.throughput,
        desc: w.throughput,
        rtl: ctx.rtl,
    };
    out.push_str(&charts::columns(
        &f,
        &cats,
        w.task,
        &[done, on_time],
        &[],
        w.none,
    ));
    let rows: Vec<Vec<String>> = r
        .throughput
        .iter()
        .map(|t| {
            vec![
                t.week.to_string(),
                t.done.to_string(),
                t.on_time.to_string(),
            ]
        })
        .collect();
    table(out, "", &[w.golive, w.done, w.on_time], &[1, 2], &rows);
    out.push_str("</section>");
}

/// Cumulative flow over every stage: tasks to do, doing, blocked and done at each day's end.
fn flow(out: &mut String, ctx: &Ctx, r: &Report) {
    let w = ctx.w;
    let title = w.flow;
    section(out, "flow", title, w.flow_desc);
    let days = &r.cumulative_flow.days;
    let states = [
        (State::Todo, GREY),
        (State::Doing, BLUE),
        (State::Blocked, ORANGE),
        (State::Done, GREEN),
    ];
    let series: Vec<Series> = states
        .iter()
        .map(|(state, color)| Series {
            name: w.state(*state).to_string(),
            values: (0..days.len())
                .map(|d| {
                    r.cumulative_flow
                        .stages
                        .iter()
                        .flat_map(|s| s.states.iter().filter(|c| c.state == *state))
                        .map(|c| f64::from(c.counts.get(d).copied().unwrap_or(0)))
                        .sum()
                })
                .collect(),
            color,
        })
        .collect();
    let xs: Vec<f64> = days.iter().map(|d| day_number(*d)).collect();
    let ticks: Vec<(f64, String)> = days
        .iter()
        .filter(|d| d.weekday() == jiff::civil::Weekday::Monday)
        .map(|d| (day_number(*d), format!("{}.{}", d.day(), d.month())))
        .collect();
    let f = Frame {
        id: "flow-chart",
        title,
        desc: w.flow_desc,
        rtl: ctx.rtl,
    };
    out.push_str(&charts::stacked_area(
        &f, &xs, &ticks, w.task, &series, w.none,
    ));
    let last = days.len().saturating_sub(1);
    let rows: Vec<Vec<String>> = series
        .iter()
        .map(|s| {
            vec![
                escape(&s.name),
                format!("{:.0}", s.values.get(last).copied().unwrap_or(0.0)),
            ]
        })
        .collect();
    table(out, "", &[w.state, w.today], &[1], &rows);
    out.push_str("</section>");
}
