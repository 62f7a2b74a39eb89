//! The sections on timing: on time, stage time and aging.

use std::fmt::Write;

use super::{Labels, Words, date_ticks, folded_table, rate_row, section, slug, table, zone_name};
use crate::insight::{Report, Zone};
use crate::report::charts::{
    self, AgingColumn, BLUE, Frame, GREEN, GREY, ORANGE, Point, RED, RefLine, Series, day_number,
    escape,
};
use crate::report::insight::{opt, pct, rows};

pub(super) fn on_time(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
    section(out, "on-time", w.on_time, w.on_time_desc);
    let o = &r.on_time.overall;
    let _ = write!(
        out,
        "<div class=\"cards\"><div class=\"card\">{}<b>{}</b>{} / {}</div>",
        escape(w.overall),
        pct(o.rate),
        o.on_time,
        o.counted
    );
    if let Some(b) = &r.bottleneck {
        let _ = write!(
            out,
            "<div class=\"card\">{}<b>{}</b>{} {}</div>",
            escape(w.bottleneck),
            escape(&labels.stage(&b.process, &b.stage)),
            b.slip_days,
            escape(w.slip_days)
        );
    }
    let risky = r.forecast.items.iter().filter(|f| f.at_risk).count();
    let _ = write!(
        out,
        "<div class=\"card\">{}<b>{}</b>{} {}</div></div>",
        escape(w.forecast),
        risky,
        escape(w.items_at_risk),
        r.forecast.items.len()
    );
    let categories: Vec<String> = r
        .on_time
        .by_stage
        .iter()
        .map(|s| labels.stage(&s.process, &s.stage))
        .collect();
    let series = vec![Series {
        name: format!("{} %", w.rate),
        values: r
            .on_time
            .by_stage
            .iter()
            .map(|s| s.rate.rate.unwrap_or(0.0) * 100.0)
            .collect(),
        color: BLUE,
    }];
    out.push_str(&charts::columns(
        &Frame {
            id: "chart-on-time",
            title: w.on_time,
            desc: w.on_time_desc,
            rtl: labels.rtl,
        },
        &categories,
        "%",
        &series,
        &[],
        w.no_data,
    ));
    let head = [w.stage, w.counted, w.on_time_col, w.rate, w.median_late];
    let rows: Vec<Vec<String>> = r
        .on_time
        .by_stage
        .iter()
        .map(|s| rate_row(labels.stage(&s.process, &s.stage), &s.rate))
        .collect();
    table(out, w.on_time, &head, &[1, 2, 3, 4], &rows);
    let head = [w.person, w.counted, w.on_time_col, w.rate, w.median_late];
    folded_table(out, w.person, &head, &[1, 2, 3, 4], &rows::person_rates(r));
    out.push_str("</section>");
}

pub(super) fn stage_time(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
    section(out, "stage-time", w.stage_time, w.stage_time_desc);
    out.push_str("<div class=\"grid\">");
    for s in r.stage_time.iter().filter(|s| s.count > 0) {
        let name = labels.stage(&s.process, &s.stage);
        let points: Vec<Point> = s
            .tasks
            .iter()
            .map(|t| Point {
                x: day_number(t.done),
                y: f64::from(t.business_days),
                label: format!("{}: {} {}", t.task, t.business_days, w.business_days),
                color: if t.business_days > s.planned_days {
                    RED
                } else {
                    BLUE
                },
            })
            .collect();
        let lo = s
            .tasks
            .iter()
            .map(|t| t.done)
            .min()
            .unwrap_or(r.period.since);
        let hi = s
            .tasks
            .iter()
            .map(|t| t.done)
            .max()
            .unwrap_or(r.period.until);
        let lines = stage_time_lines(s, w);
        let id = format!("chart-stage-time-{}-{}", slug(&s.process), slug(&s.stage));
        let title = format!("{} · {}", w.stage_time, name);
        let desc = format!(
            "{} {}: p50 {}, p85 {}, p95 {}; {} {}",
            s.count,
            w.tasks,
            opt(s.p50),
            opt(s.p85),
            opt(s.p95),
            w.planned,
            s.planned_days
        );
        out.push_str("<figure style=\"margin:0\">");
        let _ = write!(out, "<h3>{}</h3>", escape(&name));
        out.push_str(&charts::scatter(
            &Frame {
                id: &id,
                title: &title,
                desc: &desc,
                rtl: labels.rtl,
            },
            &date_ticks(lo, hi),
            w.business_days,
            &points,
            &lines,
            w.no_data,
        ));
        out.push_str("</figure>");
    }
    out.push_str("</div>");
    let head = [w.stage, w.planned, w.done, "p50", "p85", "p95"];
    let rows: Vec<Vec<String>> = r
        .stage_time
        .iter()
        .map(|s| {
            vec![
                labels.stage(&s.process, &s.stage),
                s.planned_days.to_string(),
                s.count.to_string(),
                opt(s.p50),
                opt(s.p85),
                opt(s.p95),
            ]
        })
        .collect();
    table(out, w.stage_time, &head, &[1, 2, 3, 4, 5], &rows);
    out.push_str("</section>");
}

/// The reference lines of one stage's chart: its percentiles (equal values share one line,
/// "p85 = p95 = 3") and the planned days unless a percentile already sits there.
fn stage_time_lines(s: &crate::insight::StageTime, w: &Words) -> Vec<RefLine> {
    // Percentiles of equal value share one line ("p85 = p95 = 3").
    let mut lines: Vec<RefLine> = Vec::new();
    for (p, v, color) in [
        ("p50", s.p50, GREEN),
        ("p85", s.p85, ORANGE),
        ("p95", s.p95, RED),
    ] {
        let Some(v) = v else { continue };
        match lines.last_mut() {
            Some(last) if last.value == f64::from(v) => {
                let names = last
                    .label
                    .rsplit_once(" = ")
                    .map_or("", |x| x.0)
                    .to_string();
                last.label = format!("{names} = {p} = {v}");
                last.color = color;
            }
            _ => lines.push(RefLine {
                value: f64::from(v),
                label: format!("{p} = {v}"),
                color,
            }),
        }
    }
    if !lines.iter().any(|l| l.value == f64::from(s.planned_days)) {
        lines.push(RefLine {
            value: f64::from(s.planned_days),
            label: format!("{} = {}", w.planned, s.planned_days),
            color: GREY,
        });
    }
    lines
}

fn zone_color(z: Zone) -> &'static str {
    match z {
        Zone::ToP50 => GREEN,
        Zone::P50P85 => ORANGE,
        Zone::P85P95 => RED,
        Zone::OverP95 => RED,
        Zone::NoHistory => GREY,
    }
}

pub(super) fn aging(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
    section(out, "aging", w.aging, w.aging_desc);
    // A column per stage that has open work.
    let cols: Vec<AgingColumn> = r
        .stage_time
        .iter()
        .filter(|s| {
            r.aging
                .iter()
                .any(|a| a.process == s.process && a.stage == s.stage)
        })
        .map(|s| AgingColumn {
            label: labels.stage(&s.process, &s.stage),
            bands: match (s.p50, s.p85, s.p95) {
                (Some(a), Some(b), Some(c)) => Some((f64::from(a), f64::from(b), f64::from(c))),
                _ => None,
            },
            dots: r
                .aging
                .iter()
                .filter(|a| a.process == s.process && a.stage == s.stage)
                .map(|a| Point {
                    x: 0.0,
                    y: f64::from(a.age),
                    label: format!(
                        "{}: {} {} ({})",
                        a.task,
                        a.age,
                        w.business_days,
                        zone_name(w, a.zone)
                    ),
                    color: zone_color(a.zone),
                })
                .collect(),
        })
        .collect();
    out.push_str(&charts::aging(
        &Frame {
            id: "chart-aging",
            title: w.aging,
            desc: w.aging_desc,
            rtl: labels.rtl,
        },
        w.business_days,
        &cols,
        w.no_data,
    ));
    let head = [w.task, w.owner, w.age, w.due, w.zone];
    let rows: Vec<Vec<String>> = r
        .aging
        .iter()
        .map(|a| {
            vec![
                a.task.clone(),
                opt(a.owner.clone()),
                a.age.to_string(),
                a.due.to_string(),
                zone_name(w, a.zone).to_string(),
            ]
        })
        .collect();
    folded_table(out, w.aging, &head, &[2], &rows);
    out.push_str("</section>");
}
