//! The process: each playbook's flowchart (drawn on the server), and the measurements of the
//! last weeks as charts (stage time against plan, tasks done per week, cumulative flow, the
//! bottleneck), each with a table of its numbers.

use std::collections::HashSet;
use std::fmt::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use jiff::civil::Date;
use throughline_connector::State;

use super::flowchart;
use super::page::{self, Ctx, Nav, card, section, table};
use super::{Model, PageError};
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
    config: PathBuf,
    loaded: jiff::Timestamp,
    state: Vec<Option<(std::time::SystemTime, u64)>>,
    since: Date,
    until: Date,
    minute: i64,
}

impl Measured {
    /// The files and the period: one measurement of them is kept, the newest.
    fn period(&self) -> (PathBuf, Date, Date) {
        (self.config.clone(), self.since, self.until)
    }
}

type Kept = Vec<(Measured, Arc<Report>)>;

fn kept() -> &'static Mutex<Kept> {
    static KEPT_REPORTS: OnceLock<Mutex<Kept>> = OnceLock::new();
    KEPT_REPORTS.get_or_init(Mutex::default)
}

/// The periods being measured again off the requests, so that one runs at a time for each.
fn measuring() -> &'static Mutex<HashSet<(PathBuf, Date, Date)>> {
    static MEASURING: OnceLock<Mutex<HashSet<(PathBuf, Date, Date)>>> = OnceLock::new();
    MEASURING.get_or_init(Mutex::default)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Forget every measurement: the next view measures afresh and waits for it. After an action
/// (a snooze, a settled conflict), so that the person sees what they did at once.
pub fn forget_measurements() {
    lock(kept()).clear();
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

/// The measurements of `since..=until`, as `throughline report` takes them (their own `now`,
/// in `period.now`, says when). Measuring a year of history is the dearest thing a page does
/// (about half a second at 10,000 tasks), so it is kept off the requests: once the files, the
/// state file or the minute changed, a page shows the last measurement of its period while a
/// thread measures again for the next view. Only the first view of a period waits for it.
pub fn measure(ctx: &Ctx, since: Date, until: Date) -> Result<Arc<Report>, PageError> {
    let key = Measured {
        config: ctx.model.dep.config_path.clone(),
        loaded: ctx.model.loaded,
        state: state_stamp(&ctx.model.dep),
        since,
        until,
        minute: ctx.now.as_second().div_euclid(60),
    };
    let (fresh, last) = {
        let kept = lock(kept());
        let of_period = kept.iter().find(|(k, _)| k.period() == key.period());
        (
            of_period.filter(|(k, _)| *k == key).map(|(_, r)| r.clone()),
            of_period.map(|(_, r)| r.clone()),
        )
    };
    if let Some(report) = fresh {
        return Ok(report);
    }
    if let Some(report) = last {
        measure_later(ctx, key);
        return Ok(report);
    }
    let report = Arc::new(measure_now(&*ctx.store, &ctx.model, ctx.now, since, until)?);
    keep(key, report.clone());
    Ok(report)
}

fn measure_now(
    store: &dyn crate::state::StateStore,
    model: &Model,
    now: jiff::Timestamp,
    since: Date,
    until: Date,
) -> Result<Report, PageError> {
    let stored = Stored::read(store)?;
    let scope = Scope {
        since,
        until,
        process: None,
        filter: Filter::default(),
    };
    let input = build::input(&model.dep, &model.schedule, now, &scope, stored);
    Ok(insight::measure(&input))
}

fn keep(key: Measured, report: Arc<Report>) {
    let mut kept = lock(kept());
    kept.retain(|(k, _)| k.period() != key.period());
    kept.push((key, report));
    let extra = kept.len().saturating_sub(KEPT);
    kept.drain(..extra);
}

/// Measure `key`'s period again on a thread of its own (unless one already does), reading
/// the state store through a connection of its own.
fn measure_later(ctx: &Ctx, key: Measured) {
    let period = key.period();
    if !lock(measuring()).insert(period.clone()) {
        return;
    }
    let (model, now, mine) = (ctx.model.clone(), ctx.now, period.clone());
    let work = move || {
        let measured = crate::state::open_read_only(&model.dep.state)
            .map_err(PageError::from)
            .and_then(|store| measure_now(&*store, &model, now, key.since, key.until));
        match measured {
            Ok(report) => keep(key, Arc::new(report)),
            Err(e) => tracing::warn!(
                error = %e,
                "the dashboard could not measure the history again; its pages show the last measurement"
            ),
        }
        lock(measuring()).remove(&period);
    };
    let started = std::thread::Builder::new()
        .name("dashboard-measure".to_string())
        .spawn(work);
    if let Err(e) = started {
        tracing::warn!(error = %e, "the dashboard could not start measuring again; the next view tries");
        lock(measuring()).remove(&mine);
    }
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
    measured_at(out, ctx, r);
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

/// When the measurement shown was taken: a page may show the last one while the next is made.
pub fn measured_at(out: &mut String, ctx: &Ctx, r: &Report) {
    let _ = write!(
        out,
        "<p class=\"desc\">{} {}</p>",
        escape(ctx.w.measured_at),
        escape(&ctx.time(r.period.now))
    );
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
