//! One item: a timeline of its stages (planned against what happened), each task's checklist
//! progress, whom it waits for, and where to open it in each tool.

use std::collections::HashMap;
use std::fmt::Write;

use jiff::civil::Date;
use throughline_connector::State;

use super::PageError;
use super::page::{self, Ctx, Nav, badge, card, nothing, progress, section, table};
use crate::report::charts::{self, Frame, GREEN, RED, SKY, TimelineRow, day_number, escape};
use crate::report::mine::{Facts, ItemTasks, TaskLine};
use crate::schedule::Task;
use crate::state::StatusRecord;

/// Where a task is in one tool.
struct Place {
    target: String,
    tool: &'static str,
    /// An address to open, when the tool has one; else the tool's id or the file's row.
    href: Option<String>,
    text: String,
}

/// The item page, or `None` when no item has that id.
pub fn render(ctx: &Ctx, item: &str) -> Result<Option<String>, PageError> {
    let facts = Facts::new(
        &ctx.model.dep,
        &ctx.model.schedule,
        &ctx.statuses,
        ctx.today,
    );
    let Some(tasks) = facts.item(item) else {
        return Ok(None);
    };
    let w = ctx.w;
    let scheduled: Vec<&Task> = ctx
        .model
        .schedule
        .tasks
        .iter()
        .filter(|t| t.item == item)
        .collect();
    let mut histories = HashMap::new();
    for t in &scheduled {
        histories.insert(t.id.as_str(), ctx.store.status_history(&t.id)?);
    }
    let places = places(ctx, &scheduled)?;
    let mut body = String::new();
    summary(&mut body, ctx, &tasks, &scheduled);
    section(&mut body, "timeline", w.timeline, w.timeline_desc);
    body.push_str(&timeline(ctx, &tasks, &scheduled, &histories));
    body.push_str("</section>");
    stages(&mut body, ctx, &tasks, &scheduled, &places);
    Ok(Some(page::frame(ctx, Nav::None, &tasks.title, &body)))
}

fn summary(out: &mut String, ctx: &Ctx, tasks: &ItemTasks, scheduled: &[&Task]) {
    let w = ctx.w;
    let index = ctx.status_index();
    let done = tasks
        .tasks
        .iter()
        .filter(|t| t.state == State::Done)
        .count();
    let entries: Vec<&str> = scheduled
        .iter()
        .flat_map(|t| t.checklist.iter().map(|e| e.id.as_str()))
        .collect();
    let entries_done = entries
        .iter()
        .filter(|e| ctx.state_of(&index, e) == State::Done)
        .count();
    let late = tasks.tasks.iter().filter(|t| t.days_late > 0).count();
    let blocked = tasks
        .tasks
        .iter()
        .filter(|t| t.state == State::Blocked)
        .count();
    out.push_str("<div class=\"cards\">");
    let days = (tasks.golive - ctx.today).get_days();
    card(
        out,
        w.golive,
        &tasks.golive.to_string(),
        &format!("{days} {}", w.days_left),
        if tasks.at_risk { "bad" } else { "" },
    );
    card(
        out,
        w.progress,
        &format!("{done}/{}", tasks.tasks.len()),
        w.tasks_done,
        "ok",
    );
    if !entries.is_empty() {
        card(
            out,
            w.checklist,
            &format!("{entries_done}/{}", entries.len()),
            "",
            "ok",
        );
    }
    card(
        out,
        w.overdue,
        &late.to_string(),
        "",
        if late > 0 { "bad" } else { "ok" },
    );
    card(
        out,
        w.blocked,
        &blocked.to_string(),
        "",
        if blocked > 0 { "warn" } else { "ok" },
    );
    if tasks.at_risk {
        card(out, w.at_risk, "!", w.at_risk_desc, "bad");
    }
    out.push_str("</div>");
}

/// Each task line with its scheduled task, matched by id.
fn paired<'a>(
    tasks: &'a ItemTasks,
    scheduled: &'a [&'a Task],
) -> impl Iterator<Item = (&'a TaskLine, &'a Task)> {
    tasks.tasks.iter().filter_map(|line| {
        scheduled
            .iter()
            .find(|t| t.id == line.task)
            .map(|t| (line, *t))
    })
}

/// The first day a task moved off "to do", and the day it was done, from its history.
fn actual(history: &[StatusRecord], tz: &jiff::tz::TimeZone) -> (Option<Date>, Option<Date>) {
    let day = |r: &StatusRecord| r.at.to_zoned(tz.clone()).date();
    let began = history.iter().find(|r| r.state != State::Todo).map(day);
    let done = match history.last() {
        Some(r) if r.state == State::Done => Some(day(r)),
        _ => None,
    };
    (began, done)
}

fn timeline(
    ctx: &Ctx,
    tasks: &ItemTasks,
    scheduled: &[&Task],
    histories: &HashMap<&str, Vec<StatusRecord>>,
) -> String {
    let w = ctx.w;
    let today = day_number(ctx.today);
    let rows: Vec<TimelineRow> = paired(tasks, scheduled)
        .map(|(line, t)| {
            let (began, done) = histories
                .get(t.id.as_str())
                .map(|h| actual(h, &ctx.tz))
                .unwrap_or((None, None));
            let end = done.map(day_number).unwrap_or(today);
            let start = began.or(done).map(day_number);
            let late = done.map_or(ctx.today > t.due, |d| d > t.due);
            let color = match (done, late) {
                (_, true) => RED,
                (Some(_), false) => GREEN,
                (None, false) => SKY,
            };
            TimelineRow {
                label: line.stage_name.clone(),
                planned: (day_number(t.start), day_number(t.due)),
                actual: start.map(|s| (s, end.max(s))),
                color,
                detail: format!(
                    "{} · {} – {} · {}",
                    line.stage_name,
                    t.start,
                    t.due,
                    w.state(line.state)
                ),
            }
        })
        .collect();
    let ticks = ticks(&rows);
    charts::timeline(
        &Frame {
            id: "item-timeline",
            title: w.timeline,
            desc: w.timeline_desc,
            rtl: ctx.rtl,
        },
        &ticks,
        &rows,
        Some((today, w.today)),
        w.none,
    )
}

/// Date ticks on the Mondays across the rows' days (every second or fourth Monday on a long
/// span), as `d.m`; the chart leaves out those outside its span.
fn ticks(rows: &[TimelineRow]) -> Vec<(f64, String)> {
    let days = rows
        .iter()
        .flat_map(|r| [Some(r.planned), r.actual])
        .flatten();
    let (lo, hi) = days.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (a, b)| {
        (lo.min(a), hi.max(b))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let weeks = ((hi - lo) / 7.0).ceil().max(1.0);
    let every = if weeks > 20.0 {
        28.0
    } else if weeks > 10.0 {
        14.0
    } else {
        7.0
    };
    let epoch = Date::constant(1970, 1, 1);
    // 1970-01-05 was a Monday: day 4.
    let mut v = lo - (lo - 4.0).rem_euclid(7.0);
    let mut out = Vec::new();
    while v <= hi + 7.0 {
        if let Ok(d) = epoch.checked_add(jiff::Span::new().days(v as i64)) {
            out.push((v, format!("{}.{}", d.day(), d.month())));
        }
        v += every;
    }
    out
}

/// Where each task is in each tool, as the state store's links know it.
fn places(ctx: &Ctx, scheduled: &[&Task]) -> Result<HashMap<String, Vec<Place>>, PageError> {
    let dep = &ctx.model.dep;
    let mut out: HashMap<String, Vec<Place>> = HashMap::new();
    for target in &dep.targets {
        let links = ctx.store.links(&target.id)?;
        let tool = target.kind.tool();
        for t in scheduled {
            let Some(link) = links
                .iter()
                .find(|l| !l.archived && l.identity.as_str() == t.id)
            else {
                continue;
            };
            let file = tool
                .local_file
                .and_then(|(key, _)| crate::engine::connectors::target_path(dep, target, key));
            let href = match file {
                Some(_) => None,
                None => tool
                    .task_url
                    .and_then(|url| url(&target.settings, &link.remote_id)),
            };
            let text = match file {
                Some(path) => path
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default(),
                None => link.remote_id.to_string(),
            };
            out.entry(t.id.clone()).or_default().push(Place {
                target: target.id.clone(),
                tool: tool.spec.tool,
                href,
                text,
            });
        }
    }
    Ok(out)
}

fn stages(
    out: &mut String,
    ctx: &Ctx,
    tasks: &ItemTasks,
    scheduled: &[&Task],
    places: &HashMap<String, Vec<Place>>,
) {
    let w = ctx.w;
    section(out, "stages", w.stage, "");
    if tasks.tasks.is_empty() {
        nothing(out, w);
    }
    let index = ctx.status_index();
    let rows: Vec<Vec<String>> = paired(tasks, scheduled)
        .map(|(line, t)| {
            let done = t
                .checklist
                .iter()
                .filter(|e| ctx.state_of(&index, &e.id) == State::Done)
                .count();
            vec![
                escape(&line.stage_name),
                escape(
                    &line
                        .owner
                        .as_deref()
                        .map_or_else(|| w.nobody.to_string(), |o| ctx.person(o)),
                ),
                format!(
                    "<span class=\"nowrap\">{} – {}</span>",
                    line.start, line.due
                ),
                state_cell(ctx, line),
                if t.checklist.is_empty() {
                    String::new()
                } else {
                    progress(done, t.checklist.len(), w.checklist)
                },
                waits(ctx, line),
                links(places.get(&t.id).map(Vec::as_slice).unwrap_or(&[])),
            ]
        })
        .collect();
    table(
        out,
        "",
        &[
            w.stage,
            w.owner,
            w.dates,
            w.state,
            w.checklist,
            w.waits_for,
            w.open_in,
        ],
        &[],
        &rows,
    );
    out.push_str("</section>");
}

fn state_cell(ctx: &Ctx, line: &TaskLine) -> String {
    let mut cell = badge(ctx.w, line.state);
    if line.days_late > 0 {
        let _ = write!(
            cell,
            " <span class=\"late\">+{} {}</span>",
            line.days_late,
            escape(ctx.w.days_late)
        );
    }
    if let Some(reason) = &line.reason {
        let _ = write!(cell, "<br>{}", escape(reason));
    }
    cell
}

fn waits(ctx: &Ctx, line: &TaskLine) -> String {
    line.waits_for
        .iter()
        .map(|wo| {
            format!(
                "{} ({})",
                escape(&wo.stage_name),
                escape(
                    &wo.owner
                        .as_deref()
                        .map_or_else(|| ctx.w.nobody.to_string(), |o| ctx.person(o))
                )
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn links(places: &[Place]) -> String {
    if places.is_empty() {
        return String::new();
    }
    let mut out = String::from("<ul class=\"links\">");
    for p in places {
        let label = format!("{} · {}", p.tool, p.target);
        match &p.href {
            // Only web addresses become links; anything else is shown as text.
            Some(href) if href.starts_with("https://") || href.starts_with("http://") => {
                let _ = write!(
                    out,
                    "<li><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></li>",
                    escape(href),
                    escape(&label)
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "<li>{} <code>{}</code></li>",
                    escape(&label),
                    escape(&p.text)
                );
            }
        }
    }
    out.push_str("</ul>");
    out
}
