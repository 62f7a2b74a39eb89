//! The sections looking ahead: bottleneck, forecast, people (load, adoption, leaderboard),
//! success metrics and recommendations.

use std::fmt::Write;

use jiff::civil::Date;

use super::{Labels, Words, date_ticks, folded_table, kpi_status, section, slug, table};
use crate::insight::{KpiStatus, Report};
use crate::report::charts::{self, BLUE, Frame, GREEN, Line, ORANGE, RefLine, day_number, escape};
use crate::report::insight::{pct, rows};

pub(super) fn bottleneck(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
    section(out, "bottleneck", w.bottleneck, "");
    match &r.bottleneck {
        None => {
            let _ = write!(out, "<p>{}</p>", escape(w.no_bottleneck));
        }
        Some(b) => {
            let _ = write!(
                out,
                "<p><strong>{}</strong>: {} {}{}</p>",
                escape(&labels.stage(&b.process, &b.stage)),
                b.slip_days,
                escape(w.slip_days),
                if b.late_items.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", escape(&b.late_items.join(", ")))
                }
            );
            let head = [w.stage, w.slip_days, w.slipped, w.tasks];
            let rows: Vec<Vec<String>> = b
                .stages
                .iter()
                .map(|s| {
                    vec![
                        labels.stage(&s.process, &s.stage),
                        s.slip_days.to_string(),
                        s.slipped_tasks.to_string(),
                        s.tasks.to_string(),
                    ]
                })
                .collect();
            table(out, w.bottleneck, &head, &[1, 2, 3], &rows);
        }
    }
    // How far plans moved: per stage, the tasks replanned and the days their due dates moved.
    if !r.replans.by_stage.is_empty() {
        let head = [w.stage, w.tasks, w.replanned, w.days_later];
        let rows: Vec<Vec<String>> = r
            .replans
            .by_stage
            .iter()
            .map(|s| {
                vec![
                    labels.stage(&s.process, &s.stage),
                    s.tasks.to_string(),
                    s.replanned.to_string(),
                    s.days_later.to_string(),
                ]
            })
            .collect();
        table(out, w.replanned, &head, &[1, 2, 3], &rows);
    }
    out.push_str("</section>");
}

pub(super) fn forecast(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
    section(out, "forecast", w.forecast, "");
    let head = [w.item, w.golive, w.chance, w.date_p85, ""];
    let rows: Vec<Vec<String>> = r
        .forecast
        .items
        .iter()
        .map(|f| {
            vec![
                labels.item(&f.item),
                f.golive.to_string(),
                pct(Some(f.chance_by_golive)),
                f.date_p85.to_string(),
                if f.at_risk {
                    w.at_risk.to_string()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    folded_table(out, w.forecast, &head, &[2], &rows);
    out.push_str("</section>");
}

pub(super) fn people(out: &mut String, r: &Report, w: &Words) {
    section(out, "people", w.load, "");
    let head = [
        w.person,
        w.max_parallel,
        w.peak,
        w.weeks_over,
        w.weeks_with_work,
    ];
    folded_table(out, w.load, &head, &[1, 2, 3, 4], &rows::load(r));
    let head = [w.person, w.updates, w.own_share, w.days_since];
    folded_table(out, w.adoption, &head, &[2, 3], &rows::adoption(r));
    if !r.adoption.unused.is_empty() {
        let _ = write!(
            out,
            "<p>{}: {}</p>",
            escape(w.unused),
            escape(&r.adoption.unused.join(", "))
        );
    }
    let head = [w.person, w.week, w.month];
    let caption = format!(
        "{} · {} {}",
        w.leaderboard, r.leaderboard.week, r.leaderboard.month
    );
    folded_table(out, &caption, &head, &[1, 2], &rows::leaderboard(r));
    out.push_str("</section>");
}

pub(super) fn kpis(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
    section(out, "kpis", w.kpis, w.kpis_desc);
    if r.kpis.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(w.kpis_none));
    }
    out.push_str("<div class=\"grid\">");
    for k in &r.kpis {
        let unit = if k.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", k.unit)
        };
        let points: Vec<(f64, f64)> = k
            .values
            .iter()
            .map(|v| (day_number(v.on), v.value))
            .collect();
        let lo = k.values.first().map_or(k.by, |v| v.on.min(k.by));
        let hi = k.values.last().map_or(k.by, |v| v.on.max(k.by));
        let ticks = kpi_ticks(k, lo, hi, w);
        let id = format!("chart-kpi-{}", slug(&k.id));
        let desc = format!(
            "{}: {} {}{unit} {} {}; {}",
            k.name,
            w.target,
            k.target,
            w.by,
            k.by,
            kpi_status(w, k.status)
        );
        out.push_str("<figure style=\"margin:0\">");
        let _ = write!(
            out,
            "<h3>{} <small>({})</small></h3>",
            escape(&k.name),
            escape(kpi_status(w, k.status))
        );
        out.push_str(&charts::lines(
            &Frame {
                id: &id,
                title: &k.name,
                desc: &desc,
                rtl: labels.rtl,
            },
            &ticks,
            &k.unit,
            &[Line {
                name: k.name.clone(),
                color: BLUE,
                points,
            }],
            &[RefLine {
                value: k.target,
                label: format!("{} {}{unit}", w.target, k.target),
                color: if k.status == KpiStatus::Met {
                    GREEN
                } else {
                    ORANGE
                },
            }],
            w.no_data,
        ));
        let rows = kpi_value_rows(k, &unit);
        if !rows.is_empty() {
            let head = [w.day, w.value, w.kpi_met, w.note];
            folded_table(out, &k.name, &head, &[1], &rows);
        }
        out.push_str("</figure>");
    }
    out.push_str("</div>");
    out.push_str("</section>");
}

/// The date ticks of a KPI's chart. The target's day is a tick of its own; date ticks too near
/// it would overlap it.
fn kpi_ticks(k: &crate::insight::Kpi, lo: Date, hi: Date, w: &Words) -> Vec<(f64, String)> {
    let by = day_number(k.by);
    let near = ((day_number(hi) - day_number(lo)) * 0.08).max(1.0);
    let mut ticks: Vec<(f64, String)> = date_ticks(lo, hi)
        .into_iter()
        .filter(|(x, _)| (x - by).abs() > near)
        .collect();
    ticks.push((by, format!("{} {}.{}", w.by, k.by.day(), k.by.month())));
    ticks
}

/// The table under a KPI's chart: one row per recorded value.
fn kpi_value_rows(k: &crate::insight::Kpi, unit: &str) -> Vec<Vec<String>> {
    k.values
        .iter()
        .map(|v| {
            vec![
                v.on.to_string(),
                format!("{}{unit}", v.value),
                if v.met { "✓".into() } else { String::new() },
                v.note.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

pub(super) fn recommendations(out: &mut String, r: &Report, w: &Words) {
    section(out, "recommendations", w.recommendations, w.never_applied);
    if r.recommendations.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(w.none));
    }
    if !r.snoozed.is_empty() {
        out.push_str("<ul class=\"snoozed\">");
        for s in &r.snoozed {
            let _ = write!(
                out,
                "<li>{} {}: <code>{}</code> {}</li>",
                escape(w.snoozed_until),
                s.until,
                escape(&s.id),
                escape(&s.text)
            );
        }
        out.push_str("</ul>");
    }
    for rec in &r.recommendations {
        let _ = write!(
            out,
            "<article class=\"rec\" id=\"rec-{}\"><h3><code>{}</code></h3><p>{}</p>",
            slug(&rec.id),
            escape(&rec.id),
            escape(&rec.text)
        );
        if !rec.evidence.tasks.is_empty() {
            let _ = write!(
                out,
                "<p class=\"desc\">{}: {}</p>",
                escape(w.tasks),
                escape(&rec.evidence.tasks.join(", "))
            );
        }
        if let Some(change) = &rec.change {
            out.push_str("<pre class=\"diff\" dir=\"ltr\">");
            for line in change.lines() {
                let class = if line.starts_with("+++") || line.starts_with("---") {
                    ""
                } else if line.starts_with('+') {
                    "add"
                } else if line.starts_with('-') {
                    "del"
                } else {
                    ""
                };
                let _ = writeln!(out, "<span class=\"{class}\">{}</span>", escape(line));
            }
            out.push_str("</pre>");
        }
        out.push_str("</article>");
    }
    out.push_str("</section>");
}
