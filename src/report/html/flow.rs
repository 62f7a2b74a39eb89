//! The sections on flow: cumulative flow, throughput and the items' timelines.

use std::fmt::Write;

use jiff::civil::Date;

use super::{Labels, TIMELINE_ITEMS, Words, date_ticks, folded_table, section, slug};
use crate::insight::Report;
use crate::report::charts::{
    self, BLUE, Frame, GREEN, GREY, ORANGE, RED, SKY, Series, TimelineRow, day_number, escape,
};
use crate::report::insight::{opt, rows};

pub(super) fn flow(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
    section(out, "flow", w.flow, w.flow_desc);
    let f = &r.cumulative_flow;
    let xs: Vec<f64> = f.days.iter().map(|d| day_number(*d)).collect();
    let (lo, hi) = (r.period.since, r.period.until);
    let mut processes: Vec<&str> = f.stages.iter().map(|s| s.process.as_str()).collect();
    processes.dedup();
    // The states in their order; done at the bottom, as a cumulative flow is drawn.
    let mut states: Vec<String> = f
        .stages
        .first()
        .map(|s| {
            s.states
                .iter()
                .map(|c| c.state.as_str().to_string())
                .collect()
        })
        .unwrap_or_default();
    states.reverse();
    let state_name = |s: &str| match s {
        "todo" => w.todo.to_string(),
        "doing" => w.doing.to_string(),
        "done" => w.done.to_string(),
        other => other.to_string(),
    };
    let state_color = |s: &str| match s {
        "todo" => GREY,
        "doing" => SKY,
        "done" => GREEN,
        _ => ORANGE,
    };
    for process in &processes {
        let stages: Vec<_> = f.stages.iter().filter(|s| s.process == *process).collect();
        let series: Vec<Series> = states
            .iter()
            .map(|state| Series {
                name: state_name(state),
                values: (0..xs.len())
                    .map(|d| stages.iter().map(|s| f64::from(s.count(state, d))).sum())
                    .collect(),
                color: state_color(state),
            })
            .collect();
        let id = format!("chart-flow-{}", slug(process));
        let title = if processes.len() > 1 {
            format!("{} · {process}", w.flow)
        } else {
            w.flow.to_string()
        };
        out.push_str(&charts::stacked_area(
            &Frame {
                id: &id,
                title: &title,
                desc: w.flow_desc,
                rtl: labels.rtl,
            },
            &xs,
            &date_ticks(lo, hi),
            w.tasks,
            &series,
            w.no_data,
        ));
    }
    // The table: the end of each week, per stage to do / doing / done.
    let mut head: Vec<String> = vec![w.day.to_string()];
    head.extend(f.stages.iter().map(|s| labels.stage(&s.process, &s.stage)));
    let rows = rows::flow_weeks(r);
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let caption = format!(
        "{} ({})",
        w.flow,
        f.stages
            .first()
            .map(|s| s
                .states
                .iter()
                .map(|c| state_name(c.state.as_str()))
                .collect::<Vec<_>>()
                .join(" / "))
            .unwrap_or_default()
    );
    folded_table(out, &caption, &head, &[], &rows);
    out.push_str("</section>");
}

pub(super) fn throughput(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
    section(out, "throughput", w.throughput, w.throughput_desc);
    let categories: Vec<String> = r
        .throughput
        .iter()
        .map(|t| format!("{}.{}", t.week.day(), t.week.month()))
        .collect();
    let series = vec![
        Series {
            name: w.done.to_string(),
            values: r.throughput.iter().map(|t| f64::from(t.done)).collect(),
            color: BLUE,
        },
        Series {
            name: w.on_time_col.to_string(),
            values: r.throughput.iter().map(|t| f64::from(t.on_time)).collect(),
            color: GREEN,
        },
    ];
    out.push_str(&charts::columns(
        &Frame {
            id: "chart-throughput",
            title: w.throughput,
            desc: w.throughput_desc,
            rtl: labels.rtl,
        },
        &categories,
        w.tasks,
        &series,
        &[],
        w.no_data,
    ));
    let head = [w.week, w.done, w.on_time_col];
    folded_table(out, w.throughput, &head, &[1, 2], &rows::throughput(r));
    out.push_str("</section>");
}

pub(super) fn timeline(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
    section(out, "timeline", w.timeline, w.timeline_desc);
    let today = r.period.until;
    // The items going live nearest the period's end.
    let mut items: Vec<&crate::insight::ItemTimeline> = r.timeline.iter().collect();
    items.sort_by_key(|i| (i.golive - today).get_days().abs());
    items.truncate(TIMELINE_ITEMS);
    items.sort_by_key(|i| i.golive);
    for item in items {
        let rows = timeline_rows(item, labels, w, today);
        let lo = item
            .tasks
            .iter()
            .map(|t| t.planned_start)
            .chain(item.tasks.iter().filter_map(|t| t.ready))
            .min()
            .unwrap_or(item.golive);
        let hi = item
            .tasks
            .iter()
            .map(|t| t.planned_due)
            .chain(item.tasks.iter().filter_map(|t| t.done))
            .max()
            .unwrap_or(item.golive)
            .max(today.min(item.golive.max(lo)));
        let name = labels.item(&item.item);
        let id = format!("chart-timeline-{}", slug(&item.item));
        let title = format!("{} · {}", w.timeline, name);
        let desc = format!("{} {} {}", name, w.golive, item.golive);
        let _ = write!(
            out,
            "<h3>{} · {} {}</h3>",
            escape(&name),
            escape(w.golive),
            item.golive
        );
        out.push_str(&charts::timeline(
            &Frame {
                id: &id,
                title: &title,
                desc: &desc,
                rtl: labels.rtl,
            },
            &date_ticks(lo, hi),
            &rows,
            (today >= lo).then(|| (day_number(today), w.today)),
            w.no_data,
        ));
        let head = [w.task, w.owner, w.start, w.due, w.ready, w.done, w.late];
        let rows = timeline_table_rows(item, labels, w);
        folded_table(out, &name, &head, &[], &rows);
    }
    if r.timeline.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(w.no_data));
    }
    out.push_str("</section>");
}

/// One chart row per task of the item: planned span, actual span (open tasks run to today).
fn timeline_rows(
    item: &crate::insight::ItemTimeline,
    labels: &Labels,
    w: &Words,
    today: Date,
) -> Vec<TimelineRow> {
    item.tasks
        .iter()
        .map(|t| {
            let end = t.done.or(t.ready.filter(|r| *r <= today).map(|_| today));
            TimelineRow {
                label: labels.stage(&item.process, &t.stage),
                planned: (day_number(t.planned_start), day_number(t.planned_due)),
                actual: t
                    .ready
                    .zip(end)
                    .map(|(a, b)| (day_number(a), day_number(b.max(a)))),
                color: if t.late { RED } else { GREEN },
                detail: format!(
                    "{}: {} {} – {} {}; {} {}, {} {}",
                    t.task,
                    w.start,
                    t.planned_start,
                    w.due,
                    t.planned_due,
                    w.ready,
                    opt(t.ready),
                    w.done,
                    opt(t.done)
                ),
            }
        })
        .collect()
}

/// The table under an item's timeline: one row per task.
fn timeline_table_rows(
    item: &crate::insight::ItemTimeline,
    labels: &Labels,
    w: &Words,
) -> Vec<Vec<String>> {
    item.tasks
        .iter()
        .map(|t| {
            vec![
                labels.stage(&item.process, &t.stage),
                opt(t.owner.clone()),
                t.planned_start.to_string(),
                t.planned_due.to_string(),
                opt(t.ready),
                opt(t.done),
                if t.late {
                    w.late.to_string()
                } else {
                    String::new()
                },
            ]
        })
        .collect()
}
