//! `throughline report`: the measurements of [`crate::insight`] as aligned text tables or JSON.

use std::fmt::Write;

use crate::insight::{KpiStatus, Rate, Report, Zone};

/// The JSON document: the report's sections.
pub fn json(report: &Report) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or_default()
}

/// Rows of cells, each column as wide as its widest cell; numbers right-aligned.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        out.push_str("  (none)\n");
        return;
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let numeric: Vec<bool> = (0..header.len())
        .map(|c| {
            rows.iter().all(|r| {
                r.get(c)
                    .is_none_or(|v| v == "-" || v.trim_end_matches('%').parse::<f64>().is_ok())
            })
        })
        .collect();
    let line = |out: &mut String, cells: Vec<&str>| {
        let mut s = String::from(" ");
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c].saturating_sub(cell.chars().count());
            s.push(' ');
            if numeric[c] && c > 0 {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            }
            s.push(' ');
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(out, header.to_vec());
    for row in rows {
        line(out, row.iter().map(String::as_str).collect());
    }
}

pub(crate) fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

pub(crate) fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.0}%", v * 100.0))
}

pub(crate) fn rate_cells(r: &Rate) -> Vec<String> {
    vec![
        r.counted.to_string(),
        r.on_time.to_string(),
        pct(r.rate),
        opt(r.median_lateness),
    ]
}

fn zone(z: Zone) -> &'static str {
    match z {
        Zone::ToP50 => "≤ p50",
        Zone::P50P85 => "p50–p85",
        Zone::P85P95 => "p85–p95",
        Zone::OverP95 => "> p95",
        Zone::NoHistory => "no history",
    }
}

fn kpi_status(s: KpiStatus) -> &'static str {
    match s {
        KpiStatus::Met => "met",
        KpiStatus::Missed => "MISSED",
        KpiStatus::Open => "not yet",
        KpiStatus::NoData => "no value yet",
    }
}

/// Table rows both the terminal page and the HTML page show (the HTML page names the columns
/// in the playbook's language).
pub(crate) mod rows {
    use super::{opt, pct, rate_cells};
    use crate::insight::Report;

    pub fn person_rates(r: &Report) -> Vec<Vec<String>> {
        r.on_time
            .by_person
            .iter()
            .map(|k| {
                let mut row = vec![k.key.clone()];
                row.extend(rate_cells(&k.rate));
                row
            })
            .collect()
    }

    pub fn throughput(r: &Report) -> Vec<Vec<String>> {
        r.throughput
            .iter()
            .map(|w| {
                vec![
                    w.week.to_string(),
                    w.done.to_string(),
                    w.on_time.to_string(),
                ]
            })
            .collect()
    }

    /// The end of each week (and the period's last day): per stage, its states' counts.
    pub fn flow_weeks(r: &Report) -> Vec<Vec<String>> {
        let flow = &r.cumulative_flow;
        flow.days
            .iter()
            .enumerate()
            .filter(|(d, day)| {
                day.weekday() == jiff::civil::Weekday::Sunday || *d + 1 == flow.days.len()
            })
            .map(|(d, day)| {
                let mut row = vec![day.to_string()];
                row.extend(flow.stages.iter().map(|s| {
                    s.states
                        .iter()
                        .map(|c| c.counts[d].to_string())
                        .collect::<Vec<_>>()
                        .join(" / ")
                }));
                row
            })
            .collect()
    }

    pub fn load(r: &Report) -> Vec<Vec<String>> {
        r.load
            .iter()
            .map(|l| {
                vec![
                    l.person.clone(),
                    opt(l.max_parallel),
                    l.weeks
                        .iter()
                        .map(|w| w.peak)
                        .max()
                        .unwrap_or(0)
                        .to_string(),
                    l.weeks_over.to_string(),
                    l.weeks_with_work.to_string(),
                ]
            })
            .collect()
    }

    pub fn adoption(r: &Report) -> Vec<Vec<String>> {
        r.adoption
            .people
            .iter()
            .map(|p| {
                vec![
                    p.person.clone(),
                    p.updates
                        .iter()
                        .map(|(t, n)| format!("{t} {n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    pct(p.self_share),
                    opt(p.days_since_last_update),
                ]
            })
            .collect()
    }

    pub fn leaderboard(r: &Report) -> Vec<Vec<String>> {
        r.leaderboard
            .people
            .iter()
            .chain(&r.leaderboard.roles)
            .map(|s| vec![s.name.clone(), s.week.to_string(), s.month.to_string()])
            .collect()
    }
}

/// The terminal page.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Report {} to {} (measured at {})\n",
        r.period.since, r.period.until, r.period.now
    );
    on_time_section(&mut out, r);
    stage_time_section(&mut out, r);
    aging_section(&mut out, r);
    flow_section(&mut out, r);
    bottleneck_section(&mut out, r);
    load_section(&mut out, r);
    forecast_section(&mut out, r);
    adoption_section(&mut out, r);
    replans_section(&mut out, r);
    kpis_section(&mut out, r);
    recommendations_section(&mut out, r);
    out
}

/// On time by stage and by person.
fn on_time_section(out: &mut String, r: &Report) {
    let _ = writeln!(out, "On time by stage (done by the end of the due day)");
    let rows: Vec<Vec<String>> = r
        .on_time
        .by_stage
        .iter()
        .map(|s| {
            let mut row = vec![format!("{}/{}", s.process, s.stage)];
            row.extend(rate_cells(&s.rate));
            row
        })
        .collect();
    table(
        out,
        &["stage", "counted", "on time", "rate", "median late"],
        &rows,
    );
    let _ = writeln!(out, "\nOn time by person");
    table(
        out,
        &["person", "counted", "on time", "rate", "median late"],
        &rows::person_rates(r),
    );
}

/// Stage time per stage: planned, done, percentiles, blocked days.
fn stage_time_section(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "\nStage time (business days, ready to done, blocked days left out; nearest rank)"
    );
    let rows: Vec<Vec<String>> = r
        .stage_time
        .iter()
        .map(|s| {
            vec![
                format!("{}/{}", s.process, s.stage),
                s.planned_days.to_string(),
                s.count.to_string(),
                opt(s.p50),
                opt(s.p85),
                opt(s.p95),
                opt(s.work_p50),
                format!("{} ({} tasks)", s.blocked_days, s.blocked_tasks),
            ]
        })
        .collect();
    table(
        out,
        &[
            "stage", "planned", "done", "p50", "p85", "p95", "work p50", "blocked",
        ],
        &rows,
    );
}

/// The open tasks that are ready, and how long they have waited.
fn aging_section(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\nAging (open tasks that are ready)");
    let rows: Vec<Vec<String>> = r
        .aging
        .iter()
        .map(|a| {
            vec![
                a.task.clone(),
                opt(a.owner.clone()),
                a.age.to_string(),
                a.due.to_string(),
                zone(a.zone).to_string(),
                opt(a.blocked_since.map(|d| format!("since {d}"))),
            ]
        })
        .collect();
    table(
        out,
        &["task", "owner", "age", "due", "zone", "blocked"],
        &rows,
    );
}

/// Throughput per week and the cumulative flow.
fn flow_section(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\nThroughput per week");
    table(out, &["week of", "done", "on time"], &rows::throughput(r));

    let _ = writeln!(
        out,
        "\nCumulative flow (tasks per state, to do / doing / done, at the end of each week)"
    );
    let flow = &r.cumulative_flow;
    let mut header = vec!["day".to_string()];
    header.extend(
        flow.stages
            .iter()
            .map(|s| format!("{}/{}", s.process, s.stage)),
    );
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(out, &header, &rows::flow_weeks(r));
}

/// The stage that slipped most, and every stage's slip.
fn bottleneck_section(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\nBottleneck");
    match &r.bottleneck {
        None => out.push_str("  none: no stage took longer than planned\n"),
        Some(b) => {
            let _ = writeln!(
                out,
                "  {}/{}: {} business days of slip {}",
                b.process,
                b.stage,
                b.slip_days,
                if b.late_items.is_empty() {
                    "over the tasks due in the period (no go-live was late)".to_string()
                } else {
                    format!(
                        "in {} late go-live{}: {}",
                        b.late_items.len(),
                        if b.late_items.len() == 1 { "" } else { "s" },
                        b.late_items.join(", ")
                    )
                }
            );
            let rows: Vec<Vec<String>> = b
                .stages
                .iter()
                .map(|s| {
                    vec![
                        format!("{}/{}", s.process, s.stage),
                        s.slip_days.to_string(),
                        s.slipped_tasks.to_string(),
                        s.tasks.to_string(),
                    ]
                })
                .collect();
            table(out, &["stage", "slip days", "slipped", "tasks"], &rows);
        }
    }
}

/// The most tasks open on one day per person and week.
fn load_section(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\nLoad (most tasks open on one day, per week)");
    table(
        out,
        &["person", "max_parallel", "peak", "weeks over", "weeks"],
        &rows::load(r),
    );
}

/// The chance each item goes live on time.
fn forecast_section(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "\nForecast ({} runs per item, fixed seed)",
        r.forecast.runs
    );
    let rows: Vec<Vec<String>> = r
        .forecast
        .items
        .iter()
        .map(|f| {
            vec![
                f.item.clone(),
                f.golive.to_string(),
                pct(Some(f.chance_by_golive)),
                f.date_p85.to_string(),
                if f.at_risk { "AT RISK" } else { "" }.to_string(),
            ]
        })
        .collect();
    table(out, &["item", "go-live", "chance", "85% date", ""], &rows);
}

/// Status updates from the tools, and the on-time leaderboard.
fn adoption_section(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\nAdoption (status updates from the tools)");
    table(
        out,
        &["person", "updates", "own share", "days since"],
        &rows::adoption(r),
    );
    if !r.adoption.unused.is_empty() {
        let _ = writeln!(out, "  nobody updates in: {}", r.adoption.unused.join(", "));
    }

    let _ = writeln!(
        out,
        "\nLeaderboard: on time, week of {} and {}",
        r.leaderboard.week, r.leaderboard.month
    );
    table(
        out,
        &["person / role", "week", "month"],
        &rows::leaderboard(r),
    );
}

/// Due dates as first pushed against the latest.
fn replans_section(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "\nReplanned (due dates as first pushed against the latest, business days)"
    );
    let rows: Vec<Vec<String>> = r
        .replans
        .by_stage
        .iter()
        .map(|s| {
            vec![
                format!("{}/{}", s.process, s.stage),
                s.tasks.to_string(),
                s.replanned.to_string(),
                s.days_later.to_string(),
            ]
        })
        .collect();
    table(out, &["stage", "planned", "replanned", "days later"], &rows);
}

/// The success metrics against their targets.
fn kpis_section(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\nSuccess metrics (latest value against the target)");
    let rows: Vec<Vec<String>> = r
        .kpis
        .iter()
        .map(|k| {
            let unit = |v: f64| {
                if k.unit.is_empty() {
                    format!("{v}")
                } else {
                    format!("{v} {}", k.unit)
                }
            };
            vec![
                k.id.clone(),
                k.latest.map_or_else(|| "-".into(), unit),
                opt(k.latest_on),
                format!(
                    "{} {}",
                    if k.higher_is_better { "≥" } else { "≤" },
                    unit(k.target)
                ),
                k.by.to_string(),
                kpi_status(k.status).to_string(),
            ]
        })
        .collect();
    table(
        out,
        &["metric", "latest", "on", "target", "by", "status"],
        &rows,
    );
}

/// The recommendations (never applied) and the snoozed ones.
fn recommendations_section(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "\nRecommendations (never applied; review and edit the playbook)"
    );
    if r.recommendations.is_empty() {
        out.push_str("  (none)\n");
    }
    for s in &r.snoozed {
        let _ = writeln!(out, "  snoozed until {}: [{}] {}", s.until, s.id, s.text);
    }
    for rec in &r.recommendations {
        let _ = writeln!(out, "  [{}] {}", rec.id, rec.text);
        if !rec.evidence.tasks.is_empty() {
            let _ = writeln!(out, "    tasks: {}", rec.evidence.tasks.join(", "));
        }
        if let Some(change) = &rec.change {
            for line in change.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_and_right_align_numbers() {
        let mut out = String::new();
        table(
            &mut out,
            &["stage", "done"],
            &[
                vec!["p/approval".into(), "7".into()],
                vec!["p/copy".into(), "12".into()],
            ],
        );
        assert_eq!(
            out,
            "  stage       done\n  p/approval     7\n  p/copy        12\n"
        );
    }
}
