//! `throughline report --format xlsx`: a workbook with one sheet per section, each a table of
//! the numbers and, where a picture helps, a native Excel chart drawn from that table (so it
//! stays live when someone edits a cell). Right to left for a Hebrew playbook.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use super::html::{Labels, Words, words};
use crate::insight::Report;

/// One cell of a section's table.
enum Cell {
    Text(String),
    Num(f64),
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

fn num<T: Into<f64>>(v: T) -> Cell {
    Cell::Num(v.into())
}

fn opt_num<T: Into<f64>>(v: Option<T>) -> Cell {
    v.map_or(Cell::Empty, |v| Cell::Num(v.into()))
}

fn text<T: ToString>(v: Option<T>) -> Cell {
    v.map_or(Cell::Empty, |v| Cell::Text(v.to_string()))
}

/// Excel's limit for a sheet name and the characters it refuses.
fn sheet_name(name: &str) -> String {
    name.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '-' } else { c })
        .take(31)
        .collect()
}

/// A sheet with a bold header row and the rows under it; columns sized to their text.
fn sheet<'a>(
    wb: &'a mut Workbook,
    name: &str,
    rtl: bool,
    header: &[&str],
    rows: Vec<Vec<Cell>>,
) -> Result<&'a mut Worksheet, XlsxError> {
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name(name))?;
    ws.set_right_to_left(rtl);
    for (c, h) in header.iter().enumerate() {
        ws.write_with_format(0, c as u16, *h, &bold)?;
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c16) = (r as u32 + 1, c as u16);
            match cell {
                Cell::Text(s) => {
                    ws.write(r, c16, s.as_str())?;
                    if let Some(w) = widths.get_mut(c) {
                        *w = (*w).max(s.chars().count());
                    }
                }
                Cell::Num(v) => {
                    ws.write(r, c16, *v)?;
                }
                Cell::Empty => {}
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w as f64 + 2.0).min(60.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(ws)
}

/// A chart over `rows` rows of the sheet: categories in column `cat`, one series per column in
/// `values` (named by its header).
fn chart(
    kind: ChartType,
    sheet: &str,
    title: &str,
    rows: usize,
    cat: u16,
    values: &[u16],
) -> Chart {
    let mut chart = Chart::new(kind);
    let sheet = sheet_name(sheet);
    let last = rows.max(1) as u32;
    for &v in values {
        chart
            .add_series()
            .set_categories((sheet.as_str(), 1, cat, last, cat))
            .set_values((sheet.as_str(), 1, v, last, v))
            .set_name((sheet.as_str(), 0, v));
    }
    chart.title().set_name(title);
    chart.set_width(720).set_height(360);
    chart
}

/// The workbook's bytes.
pub fn render(r: &Report, labels: &Labels) -> Result<Vec<u8>, XlsxError> {
    let w: &Words = words(labels.rtl);
    let mut wb = Workbook::new();
    on_time_sheet(&mut wb, r, labels, w)?;
    stage_time_sheet(&mut wb, r, labels, w)?;
    stage_time_tasks_sheet(&mut wb, r, labels, w)?;
    aging_sheet(&mut wb, r, labels, w)?;
    flow_sheet(&mut wb, r, labels, w)?;
    throughput_sheet(&mut wb, r, labels, w)?;
    timeline_sheet(&mut wb, r, labels, w)?;
    bottleneck_sheet(&mut wb, r, labels, w)?;
    forecast_sheet(&mut wb, r, labels, w)?;
    load_sheet(&mut wb, r, labels, w)?;
    adoption_sheet(&mut wb, r, labels, w)?;
    leaderboard_sheet(&mut wb, r, labels, w)?;
    kpis_sheet(&mut wb, r, labels, w)?;
    recommendations_sheet(&mut wb, r, labels, w)?;
    wb.save_to_buffer()
}

/// On time per stage, with a column chart of the rates.
fn on_time_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .on_time
        .by_stage
        .iter()
        .map(|s| {
            vec![
                labels.stage(&s.process, &s.stage).into(),
                num(s.rate.counted),
                num(s.rate.on_time),
                opt_num(s.rate.rate.map(|v| (v * 1000.0).round() / 10.0)),
                opt_num(s.rate.median_lateness),
            ]
        })
        .collect();
    let n = rows.len();
    let header = [w.stage, w.counted, w.on_time_col, "%", w.median_late];
    let ws = sheet(wb, w.on_time, rtl, &header, rows)?;
    let c = chart(ChartType::Column, w.on_time, w.on_time, n, 0, &[3]);
    ws.insert_chart(1, 6, &c)?;
    Ok(())
}

/// Stage time: percentiles next to the plan.
fn stage_time_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .stage_time
        .iter()
        .map(|s| {
            vec![
                labels.stage(&s.process, &s.stage).into(),
                num(s.planned_days),
                num(s.count),
                opt_num(s.p50),
                opt_num(s.p85),
                opt_num(s.p95),
            ]
        })
        .collect();
    let n = rows.len();
    let header = [w.stage, w.planned, w.done, "p50", "p85", "p95"];
    let ws = sheet(wb, w.stage_time, rtl, &header, rows)?;
    let c = chart(
        ChartType::Column,
        w.stage_time,
        w.stage_time,
        n,
        0,
        &[1, 3, 4, 5],
    );
    ws.insert_chart(1, 7, &c)?;
    Ok(())
}

/// Every measured stage time: a scatter of done day number × business days.
fn stage_time_tasks_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .stage_time
        .iter()
        .flat_map(|s| {
            s.tasks.iter().map(|t| {
                vec![
                    t.task.as_str().into(),
                    labels.stage(&s.process, &s.stage).into(),
                    t.ready.to_string().into(),
                    t.done.to_string().into(),
                    num(t.business_days),
                    num(t.calendar_days),
                ]
            })
        })
        .collect();
    let sheet_tasks = format!("{} ({})", w.stage_time, w.tasks);
    let header = [
        w.task,
        w.stage,
        w.ready,
        w.done,
        w.business_days,
        "calendar days",
    ];
    sheet(wb, &sheet_tasks, rtl, &header, rows)?;
    Ok(())
}

/// Aging: open tasks by age, a bar per task.
fn aging_sheet(wb: &mut Workbook, r: &Report, labels: &Labels, w: &Words) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .aging
        .iter()
        .map(|a| {
            vec![
                a.task.as_str().into(),
                text(a.owner.as_ref()),
                num(a.age),
                num(a.planned_days),
                a.due.to_string().into(),
                super::html::zone_name(w, a.zone).into(),
            ]
        })
        .collect();
    let n = rows.len();
    let header = [w.task, w.owner, w.age, w.planned, w.due, w.zone];
    let ws = sheet(wb, w.aging, rtl, &header, rows)?;
    if n > 0 {
        let c = chart(ChartType::Bar, w.aging, w.aging, n.min(40), 0, &[2, 3]);
        ws.insert_chart(1, 7, &c)?;
    }
    Ok(())
}

/// Cumulative flow: per day, the tasks in each state over all stages (stacked area), then
/// each stage's counts.
fn flow_sheet(wb: &mut Workbook, r: &Report, labels: &Labels, w: &Words) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let f = &r.cumulative_flow;
    let states: Vec<&'static str> = f
        .stages
        .first()
        .map(|s| s.states.iter().map(|c| c.state.as_str()).collect())
        .unwrap_or_default();
    let state_name = |s: &str| -> String {
        match s {
            "todo" => w.todo.to_string(),
            "doing" => w.doing.to_string(),
            "done" => w.done.to_string(),
            other => other.to_string(),
        }
    };
    // Done at the bottom of the stack.
    let order: Vec<&str> = states.iter().rev().copied().collect();
    let mut header: Vec<String> = vec![w.day.to_string()];
    header.extend(order.iter().map(|s| state_name(s)));
    for s in &f.stages {
        for st in &order {
            header.push(format!(
                "{} · {}",
                labels.stage(&s.process, &s.stage),
                state_name(st)
            ));
        }
    }
    let rows: Vec<Vec<Cell>> = f
        .days
        .iter()
        .enumerate()
        .map(|(d, day)| {
            let mut row: Vec<Cell> = vec![day.to_string().into()];
            row.extend(
                order
                    .iter()
                    .map(|st| num(f.stages.iter().map(|s| s.count(st, d)).sum::<u32>())),
            );
            for s in &f.stages {
                row.extend(order.iter().map(|st| num(s.count(st, d))));
            }
            row
        })
        .collect();
    let n = rows.len();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let ws = sheet(wb, w.flow, rtl, &header, rows)?;
    let series: Vec<u16> = (1..=order.len() as u16).collect();
    let c = chart(ChartType::AreaStacked, w.flow, w.flow, n, 0, &series);
    ws.insert_chart(1, header.len() as u16 + 1, &c)?;
    Ok(())
}

/// Throughput per week.
fn throughput_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .throughput
        .iter()
        .map(|t| vec![t.week.to_string().into(), num(t.done), num(t.on_time)])
        .collect();
    let n = rows.len();
    let ws = sheet(
        wb,
        w.throughput,
        rtl,
        &[w.week, w.done, w.on_time_col],
        rows,
    )?;
    let c = chart(ChartType::Column, w.throughput, w.throughput, n, 0, &[1, 2]);
    ws.insert_chart(1, 4, &c)?;
    Ok(())
}

/// Plan and actual per task.
fn timeline_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .timeline
        .iter()
        .flat_map(|i| {
            i.tasks.iter().map(move |t| {
                vec![
                    labels.item(&i.item).into(),
                    i.golive.to_string().into(),
                    labels.stage(&i.process, &t.stage).into(),
                    text(t.owner.as_ref()),
                    t.planned_start.to_string().into(),
                    t.planned_due.to_string().into(),
                    text(t.ready),
                    text(t.done),
                    if t.late { w.late.into() } else { Cell::Empty },
                ]
            })
        })
        .collect();
    let header = [
        w.item, w.golive, w.stage, w.owner, w.start, w.due, w.ready, w.done, w.late,
    ];
    sheet(wb, w.timeline, rtl, &header, rows)?;
    Ok(())
}

/// Bottleneck: slip per stage.
fn bottleneck_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .bottleneck
        .iter()
        .flat_map(|b| {
            b.stages.iter().map(|s| {
                vec![
                    labels.stage(&s.process, &s.stage).into(),
                    num(s.slip_days),
                    num(s.slipped_tasks),
                    num(s.tasks),
                ]
            })
        })
        .collect();
    let n = rows.len();
    let header = [w.stage, w.slip_days, w.slipped, w.tasks];
    let ws = sheet(wb, w.bottleneck, rtl, &header, rows)?;
    if n > 0 {
        let c = chart(ChartType::Bar, w.bottleneck, w.bottleneck, n, 0, &[1]);
        ws.insert_chart(1, 5, &c)?;
    }
    Ok(())
}

/// Forecast: chance per item.
fn forecast_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .forecast
        .items
        .iter()
        .map(|f| {
            vec![
                labels.item(&f.item).into(),
                f.golive.to_string().into(),
                num((f.chance_by_golive * 1000.0).round() / 10.0),
                f.date_p85.to_string().into(),
                if f.at_risk {
                    w.at_risk.into()
                } else {
                    Cell::Empty
                },
            ]
        })
        .collect();
    let n = rows.len();
    let header = [w.item, w.golive, w.chance, w.date_p85, ""];
    let ws = sheet(wb, w.forecast, rtl, &header, rows)?;
    if n > 0 {
        let c = chart(ChartType::Bar, w.forecast, w.chance, n.min(40), 0, &[2]);
        ws.insert_chart(1, 6, &c)?;
    }
    Ok(())
}

/// Load per person.
fn load_sheet(wb: &mut Workbook, r: &Report, labels: &Labels, w: &Words) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .load
        .iter()
        .map(|l| {
            vec![
                l.person.as_str().into(),
                opt_num(l.max_parallel),
                num(l.weeks.iter().map(|w| w.peak).max().unwrap_or(0)),
                num(l.weeks_over),
                num(l.weeks_with_work),
            ]
        })
        .collect();
    let header = [w.person, w.max_parallel, w.peak, w.weeks_over, w.week];
    sheet(wb, w.load, rtl, &header, rows)?;
    Ok(())
}

/// Adoption: updates per person and target.
fn adoption_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let targets: Vec<&str> = r
        .adoption
        .targets
        .iter()
        .map(|t| t.target.as_str())
        .collect();
    let rows: Vec<Vec<Cell>> = r
        .adoption
        .people
        .iter()
        .map(|p| {
            let mut row: Vec<Cell> = vec![p.person.as_str().into()];
            row.extend(
                targets
                    .iter()
                    .map(|t| num(p.updates.get(*t).copied().unwrap_or(0))),
            );
            row.push(opt_num(p.self_share.map(|v| (v * 1000.0).round() / 10.0)));
            row.push(opt_num(p.days_since_last_update));
            row
        })
        .collect();
    let n = rows.len();
    let mut header: Vec<&str> = vec![w.person];
    header.extend(&targets);
    header.push(w.own_share);
    header.push(w.days_since);
    let ws = sheet(wb, w.adoption, rtl, &header, rows)?;
    if n > 0 && !targets.is_empty() {
        let series: Vec<u16> = (1..=targets.len() as u16).collect();
        let c = chart(ChartType::BarStacked, w.adoption, w.updates, n, 0, &series);
        ws.insert_chart(1, header.len() as u16 + 1, &c)?;
    }
    Ok(())
}

/// Leaderboard.
fn leaderboard_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .leaderboard
        .people
        .iter()
        .chain(&r.leaderboard.roles)
        .map(|s| vec![s.name.as_str().into(), num(s.week), num(s.month)])
        .collect();
    sheet(wb, w.leaderboard, rtl, &[w.person, w.week, w.month], rows)?;
    Ok(())
}

/// Success metrics: a row per measured value (a metric with none: one row with its
/// status), and a line chart of each metric's values against its target.
fn kpis_sheet(wb: &mut Workbook, r: &Report, labels: &Labels, w: &Words) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut spans: Vec<(usize, usize, &str)> = Vec::new();
    for k in &r.kpis {
        let first = rows.len();
        let status = super::html::kpi_status(w, k.status);
        if k.values.is_empty() {
            rows.push(vec![
                k.name.as_str().into(),
                Cell::Empty,
                Cell::Empty,
                num(k.target),
                k.by.to_string().into(),
                status.into(),
                k.unit.as_str().into(),
            ]);
            continue;
        }
        for v in &k.values {
            rows.push(vec![
                k.name.as_str().into(),
                v.on.to_string().into(),
                num(v.value),
                num(k.target),
                k.by.to_string().into(),
                if v.met {
                    w.kpi_met.into()
                } else {
                    status.into()
                },
                k.unit.as_str().into(),
            ]);
        }
        spans.push((first, rows.len(), k.name.as_str()));
    }
    if r.kpis.is_empty() {
        rows.push(vec![w.kpis_none.into()]);
    }
    let header = [w.kpis, w.day, w.value, w.target, w.by, "", "unit"];
    let kpi_sheet = sheet_name(w.kpis);
    let ws = sheet(wb, w.kpis, rtl, &header, rows)?;
    for (n, (first, end, name)) in spans.iter().enumerate() {
        let mut chart = Chart::new(ChartType::Line);
        let (a, b) = (*first as u32 + 1, *end as u32);
        for col in [2u16, 3] {
            chart
                .add_series()
                .set_categories((kpi_sheet.as_str(), a, 1, b, 1))
                .set_values((kpi_sheet.as_str(), a, col, b, col))
                .set_name((kpi_sheet.as_str(), 0, col));
        }
        chart.title().set_name(*name);
        chart.set_width(600).set_height(300);
        ws.insert_chart(1 + n as u32 * 16, 8, &chart)?;
    }
    Ok(())
}

/// Recommendations, each with its change.
fn recommendations_sheet(
    wb: &mut Workbook,
    r: &Report,
    labels: &Labels,
    w: &Words,
) -> Result<(), XlsxError> {
    let rtl = labels.rtl;
    let rows: Vec<Vec<Cell>> = r
        .recommendations
        .iter()
        .map(|rec| {
            vec![
                rec.id.as_str().into(),
                rec.text.as_str().into(),
                rec.evidence.tasks.join(", ").into(),
                text(rec.change.as_ref()),
            ]
        })
        .collect();
    sheet(
        wb,
        w.recommendations,
        rtl,
        &["id", w.recommendations, w.tasks, "TOML"],
        rows,
    )?;
    Ok(())
}
