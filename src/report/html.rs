//! `throughline report --format html`: one self-contained page (inline CSS and SVG, no
//! scripts, no fonts or images to fetch), each chart followed by a table of its numbers. A
//! Hebrew playbook gets a right-to-left page in Hebrew.

use std::collections::HashMap;
use std::fmt::Write;

use jiff::civil::Date;

use super::charts::{
    self, AgingColumn, BLUE, Frame, GREEN, GREY, Line, ORANGE, Point, RED, RefLine, SKY, Series,
    TimelineRow, day_number, escape,
};
use super::insight::{opt, pct, rate_cells, rows};
use crate::insight::{KpiStatus, Rate, Report, Zone};

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

/// The page's words in one language (also the workbook's sheet names and headers).
pub(crate) struct Words {
    pub(crate) lang: &'static str,
    pub(crate) report: &'static str,
    pub(crate) period: &'static str,
    pub(crate) measured: &'static str,
    pub(crate) on_time: &'static str,
    pub(crate) on_time_desc: &'static str,
    pub(crate) overall: &'static str,
    pub(crate) stage: &'static str,
    pub(crate) person: &'static str,
    pub(crate) counted: &'static str,
    pub(crate) on_time_col: &'static str,
    pub(crate) rate: &'static str,
    pub(crate) median_late: &'static str,
    pub(crate) stage_time: &'static str,
    pub(crate) stage_time_desc: &'static str,
    pub(crate) business_days: &'static str,
    pub(crate) planned: &'static str,
    pub(crate) done: &'static str,
    pub(crate) aging: &'static str,
    pub(crate) aging_desc: &'static str,
    pub(crate) task: &'static str,
    pub(crate) owner: &'static str,
    pub(crate) age: &'static str,
    pub(crate) due: &'static str,
    pub(crate) zone: &'static str,
    pub(crate) flow: &'static str,
    pub(crate) flow_desc: &'static str,
    pub(crate) day: &'static str,
    pub(crate) todo: &'static str,
    pub(crate) doing: &'static str,
    pub(crate) throughput: &'static str,
    pub(crate) throughput_desc: &'static str,
    pub(crate) week: &'static str,
    pub(crate) tasks: &'static str,
    pub(crate) timeline: &'static str,
    pub(crate) timeline_desc: &'static str,
    pub(crate) start: &'static str,
    pub(crate) ready: &'static str,
    pub(crate) late: &'static str,
    pub(crate) today: &'static str,
    pub(crate) bottleneck: &'static str,
    pub(crate) no_bottleneck: &'static str,
    pub(crate) slip_days: &'static str,
    pub(crate) slipped: &'static str,
    pub(crate) load: &'static str,
    pub(crate) max_parallel: &'static str,
    pub(crate) peak: &'static str,
    pub(crate) weeks_over: &'static str,
    pub(crate) weeks_with_work: &'static str,
    pub(crate) replanned: &'static str,
    pub(crate) days_later: &'static str,
    pub(crate) forecast: &'static str,
    pub(crate) item: &'static str,
    pub(crate) golive: &'static str,
    pub(crate) chance: &'static str,
    pub(crate) date_p85: &'static str,
    pub(crate) at_risk: &'static str,
    pub(crate) items_at_risk: &'static str,
    pub(crate) adoption: &'static str,
    pub(crate) updates: &'static str,
    pub(crate) own_share: &'static str,
    pub(crate) days_since: &'static str,
    pub(crate) unused: &'static str,
    pub(crate) leaderboard: &'static str,
    pub(crate) month: &'static str,
    pub(crate) kpis: &'static str,
    pub(crate) kpis_none: &'static str,
    pub(crate) kpis_desc: &'static str,
    pub(crate) kpi_met: &'static str,
    pub(crate) kpi_missed: &'static str,
    pub(crate) kpi_open: &'static str,
    pub(crate) kpi_no_data: &'static str,
    pub(crate) target: &'static str,
    pub(crate) by: &'static str,
    pub(crate) value: &'static str,
    pub(crate) note: &'static str,
    pub(crate) snoozed_until: &'static str,
    pub(crate) recommendations: &'static str,
    pub(crate) never_applied: &'static str,
    pub(crate) none: &'static str,
    pub(crate) no_data: &'static str,
    pub(crate) zones: [&'static str; 5],
}

/// English.
const EN: Words = Words {
    lang: "en",
    report: "Report",
    period: "Period",
    measured: "measured at",
    on_time: "On time",
    on_time_desc: "Share of tasks done by the end of their due day, per stage.",
    overall: "All tasks",
    stage: "Stage",
    person: "Person",
    counted: "Counted",
    on_time_col: "On time",
    rate: "Rate",
    median_late: "Median days late",
    stage_time: "Stage time",
    stage_time_desc: "Each dot is a finished task: the day it was done and the business days from ready to done. Dashed lines: 50th, 85th and 95th percentile.",
    business_days: "business days",
    planned: "Planned days",
    done: "Done",
    aging: "Aging work in progress",
    aging_desc: "Open tasks that are ready, by age in business days, against their stage's percentiles (green up to p50, yellow to p85, orange to p95).",
    task: "Task",
    owner: "Owner",
    age: "Age",
    due: "Due",
    zone: "Zone",
    flow: "Cumulative flow",
    flow_desc: "Tasks to do, doing and done at the end of each day.",
    day: "Day",
    todo: "To do",
    doing: "Doing",
    throughput: "Throughput",
    throughput_desc: "Tasks done per week, and how many of them on time.",
    week: "Week of",
    tasks: "tasks",
    timeline: "Plan and actual",
    timeline_desc: "Per task: the planned days (dashed outline) and from ready to done (filled; red when late).",
    start: "Planned start",
    ready: "Ready",
    late: "Late",
    today: "today",
    bottleneck: "Bottleneck",
    no_bottleneck: "None: no stage took longer than planned.",
    slip_days: "Slip days",
    slipped: "Slipped tasks",
    load: "Load",
    max_parallel: "max_parallel",
    peak: "Peak",
    weeks_over: "Weeks over",
    weeks_with_work: "Weeks with work",
    replanned: "Replanned (due date moved)",
    days_later: "Business days later",
    forecast: "Forecast",
    item: "Item",
    golive: "Go-live",
    chance: "Chance by go-live",
    date_p85: "85% date",
    at_risk: "at risk",
    items_at_risk: "items at risk of",
    adoption: "Adoption",
    updates: "Updates",
    own_share: "Own share",
    days_since: "Days since last update",
    unused: "Nobody updates in",
    leaderboard: "Leaderboard",
    month: "Month",
    kpis: "Success metrics",
    kpis_none: "No success metrics ([[metric]]) are defined.",
    kpis_desc: "Each measured value (throughline metric record) against the target (dashed).",
    kpi_met: "target met",
    kpi_missed: "missed",
    kpi_open: "not yet",
    kpi_no_data: "no value yet",
    target: "Target",
    by: "by",
    value: "Value",
    note: "Note",
    snoozed_until: "Snoozed until",
    recommendations: "Recommendations",
    never_applied: "Never applied: review them and edit the playbook yourself.",
    none: "None.",
    no_data: "No data in this period",
    zones: ["≤ p50", "p50–p85", "p85–p95", "> p95", "no history"],
};

const HE: Words = Words {
    lang: "he",
    report: "דוח",
    period: "תקופה",
    measured: "נמדד ב־",
    on_time: "עמידה בזמנים",
    on_time_desc: "שיעור המשימות שהושלמו עד סוף יום היעד שלהן, לפי שלב.",
    overall: "כל המשימות",
    stage: "שלב",
    person: "אדם",
    counted: "נספרו",
    on_time_col: "בזמן",
    rate: "שיעור",
    median_late: "חציון ימי איחור",
    stage_time: "משך שלב",
    stage_time_desc: "כל נקודה היא משימה שהושלמה: יום ההשלמה וימי העבודה ממוכנות ועד השלמה. קווים מקווקווים: האחוזון ה־50, ה־85 וה־95.",
    business_days: "ימי עבודה",
    planned: "ימים מתוכננים",
    done: "הושלמו",
    aging: "עבודה פתוחה לפי גיל",
    aging_desc: "משימות פתוחות שמוכנות להתחלה, לפי גילן בימי עבודה, מול האחוזונים של השלב (ירוק עד p50, צהוב עד p85, כתום עד p95).",
    task: "משימה",
    owner: "אחראי",
    age: "גיל",
    due: "יעד",
    zone: "אזור",
    flow: "זרימה מצטברת",
    flow_desc: "משימות לביצוע, בביצוע והושלמו בסוף כל יום.",
    day: "יום",
    todo: "לביצוע",
    doing: "בביצוע",
    throughput: "תפוקה",
    throughput_desc: "משימות שהושלמו בכל שבוע, וכמה מהן בזמן.",
    week: "שבוע מ־",
    tasks: "משימות",
    timeline: "תכנון מול ביצוע",
    timeline_desc: "לכל משימה: הימים המתוכננים (מסגרת מקווקוות) ומהמוכנות עד ההשלמה (מלא; אדום באיחור).",
    start: "התחלה מתוכננת",
    ready: "מוכנה",
    late: "באיחור",
    today: "היום",
    bottleneck: "צוואר בקבוק",
    no_bottleneck: "אין: אף שלב לא ארך יותר מהמתוכנן.",
    slip_days: "ימי חריגה",
    slipped: "משימות שחרגו",
    load: "עומס",
    max_parallel: "max_parallel",
    peak: "שיא",
    weeks_over: "שבועות מעל",
    weeks_with_work: "שבועות עם עבודה",
    replanned: "תוכננו מחדש (תאריך היעד זז)",
    days_later: "ימי עבודה מאוחר יותר",
    forecast: "תחזית",
    item: "פריט",
    golive: "עלייה לאוויר",
    chance: "סיכוי עד העלייה לאוויר",
    date_p85: "תאריך ב־85%",
    at_risk: "בסיכון",
    items_at_risk: "פריטים בסיכון מתוך",
    adoption: "אימוץ",
    updates: "עדכונים",
    own_share: "עדכון עצמי",
    days_since: "ימים מאז העדכון האחרון",
    unused: "אף אחד לא מעדכן ב־",
    leaderboard: "טבלת מובילים",
    month: "חודש",
    kpis: "מדדי הצלחה",
    kpis_none: "לא הוגדרו מדדי הצלחה ([[metric]]).",
    kpis_desc: "כל ערך שנמדד (throughline metric record) מול היעד (קו מקווקו).",
    kpi_met: "היעד הושג",
    kpi_missed: "לא הושג",
    kpi_open: "עדיין לא",
    kpi_no_data: "אין עדיין ערך",
    target: "יעד",
    by: "עד",
    value: "ערך",
    note: "הערה",
    snoozed_until: "נדחתה עד",
    recommendations: "המלצות",
    never_applied: "לעולם לא מוחלות אוטומטית: עברו עליהן וערכו את הפלייבוק בעצמכם.",
    none: "אין.",
    no_data: "אין נתונים בתקופה זו",
    zones: ["≤ p50", "p50–p85", "p85–p95", "> p95", "אין היסטוריה"],
};

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

    on_time(&mut out, r, labels, w);
    stage_time(&mut out, r, labels, w);
    aging(&mut out, r, labels, w);
    flow(&mut out, r, labels, w);
    throughput(&mut out, r, labels, w);
    timeline(&mut out, r, labels, w);
    bottleneck(&mut out, r, labels, w);
    forecast(&mut out, r, labels, w);
    people(&mut out, r, w);
    kpis(&mut out, r, labels, w);
    recommendations(&mut out, r, w);
    out.push_str("</main></body></html>\n");
    out
}

fn on_time(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
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

fn stage_time(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
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

pub(crate) fn zone_name(w: &Words, z: Zone) -> &'static str {
    match z {
        Zone::ToP50 => w.zones[0],
        Zone::P50P85 => w.zones[1],
        Zone::P85P95 => w.zones[2],
        Zone::OverP95 => w.zones[3],
        Zone::NoHistory => w.zones[4],
    }
}

fn aging(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
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

fn flow(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
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

fn throughput(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
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

fn timeline(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
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

fn bottleneck(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
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

fn forecast(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
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

fn people(out: &mut String, r: &Report, w: &Words) {
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

pub(crate) fn kpi_status(w: &Words, s: KpiStatus) -> &'static str {
    match s {
        KpiStatus::Met => w.kpi_met,
        KpiStatus::Missed => w.kpi_missed,
        KpiStatus::Open => w.kpi_open,
        KpiStatus::NoData => w.kpi_no_data,
    }
}

fn kpis(out: &mut String, r: &Report, labels: &Labels, w: &Words) {
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

fn recommendations(out: &mut String, r: &Report, w: &Words) {
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
