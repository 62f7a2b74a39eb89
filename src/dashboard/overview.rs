//! The overview: items by go-live with their progress, the items at risk, what is blocked,
//! and who is late with what.

use std::fmt::Write;

use throughline_connector::State;

use super::PageError;
use super::page::{self, Ctx, Nav, badge, card, item_link, nothing, progress, section, table};
use crate::report::charts::escape;
use crate::report::mine::Facts;
use crate::report::status::{ItemProgress, StatusReport, status_report};
use crate::state::blocked_spans;

/// Items whose go-live is this many days past are folded away under the upcoming ones.
const PAST_DAYS: i64 = 14;

/// The overview page.
pub fn render(ctx: &Ctx) -> Result<String, PageError> {
    let report = report(ctx)?;
    let w = ctx.w;
    let mut body = String::new();
    summary(&mut body, ctx, &report);
    items(&mut body, ctx, &report.items);
    blocked(&mut body, ctx, &report);
    overdue(&mut body, ctx, &report);
    Ok(page::frame(ctx, Nav::Overview, w.overview, &body))
}

/// Where everything stands, as `throughline status` computes it, items at risk marked.
fn report(ctx: &Ctx) -> Result<StatusReport, PageError> {
    let mut spans = Vec::new();
    for s in ctx.statuses.iter().filter(|s| s.state == State::Blocked) {
        spans.extend(blocked_spans(&ctx.store.status_history(&s.identity)?));
    }
    let schedule = &ctx.model.schedule;
    let mut report = status_report(schedule, &ctx.statuses, &spans, ctx.today, &ctx.tz);
    let facts = Facts::new(&ctx.model.dep, schedule, &ctx.statuses, ctx.today);
    for i in &mut report.items {
        i.at_risk = facts.is_at_risk(&i.item);
    }
    report
        .items
        .sort_by(|a, b| a.golive.cmp(&b.golive).then(a.item.cmp(&b.item)));
    Ok(report)
}

fn summary(out: &mut String, ctx: &Ctx, r: &StatusReport) {
    let w = ctx.w;
    let tasks: usize = r.items.iter().map(|i| i.tasks).sum();
    let done: usize = r.items.iter().map(|i| i.tasks_done).sum();
    let risk = r.items.iter().filter(|i| i.at_risk).count();
    let late: usize = r.overdue.iter().map(|o| o.tasks.len()).sum();
    let upcoming = r.items.iter().filter(|i| i.golive >= ctx.today).count();
    out.push_str("<div class=\"cards\">");
    card(
        out,
        w.items,
        &upcoming.to_string(),
        &format!("/ {}", r.items.len()),
        "",
    );
    let pct = (done * 100).checked_div(tasks).unwrap_or(0);
    card(
        out,
        w.progress,
        &format!("{pct}%"),
        &format!("{done}/{tasks} {}", w.tasks_done),
        "ok",
    );
    card(
        out,
        w.at_risk,
        &risk.to_string(),
        w.at_risk_desc,
        if risk > 0 { "bad" } else { "ok" },
    );
    card(
        out,
        w.blocked,
        &r.blocked.len().to_string(),
        "",
        if r.blocked.is_empty() { "ok" } else { "warn" },
    );
    card(
        out,
        w.overdue,
        &late.to_string(),
        &format!("{} × {}", r.overdue.len(), w.owner),
        if late > 0 { "bad" } else { "ok" },
    );
    out.push_str("</div>");
}

fn item_row(ctx: &Ctx, i: &ItemProgress) -> Vec<String> {
    let w = ctx.w;
    let mut title = item_link(&i.item, &i.title);
    if i.at_risk {
        let _ = write!(
            title,
            " <span class=\"badge risk\">{}</span>",
            escape(w.at_risk)
        );
    }
    let next = match &i.next {
        Some(n) => format!(
            "{} {} · {} · {}",
            escape(&n.stage_name),
            badge(w, n.state),
            escape(
                &n.owner
                    .as_deref()
                    .map_or_else(|| w.nobody.to_string(), |o| ctx.person(o))
            ),
            n.due
        ),
        None => String::new(),
    };
    vec![
        title,
        i.golive.to_string(),
        progress(i.tasks_done, i.tasks, w.tasks_done),
        if i.entries == 0 {
            String::new()
        } else {
            progress(i.entries_done, i.entries, w.checklist)
        },
        next,
    ]
}

fn items(out: &mut String, ctx: &Ctx, items: &[ItemProgress]) {
    let w = ctx.w;
    section(out, "items", w.items, "");
    let cut = ctx
        .today
        .checked_sub(jiff::Span::new().days(PAST_DAYS))
        .unwrap_or(ctx.today);
    let (recent, past): (Vec<&ItemProgress>, Vec<&ItemProgress>) =
        items.iter().partition(|i| i.golive >= cut);
    let header = [w.item, w.golive, w.progress, w.checklist, w.next];
    if recent.is_empty() {
        nothing(out, w);
    } else {
        let rows: Vec<Vec<String>> = recent.iter().map(|i| item_row(ctx, i)).collect();
        table(out, "", &header, &[1], &rows);
    }
    if !past.is_empty() {
        let _ = write!(
            out,
            "<details><summary>{} ({})</summary>",
            escape(w.past),
            past.len()
        );
        let rows: Vec<Vec<String>> = past.iter().rev().map(|i| item_row(ctx, i)).collect();
        table(out, w.past, &header, &[1], &rows);
        out.push_str("</details>");
    }
    out.push_str("</section>");
}

fn blocked(out: &mut String, ctx: &Ctx, r: &StatusReport) {
    let w = ctx.w;
    section(out, "blocked", w.blocked, "");
    if r.blocked.is_empty() {
        nothing(out, w);
    } else {
        let rows: Vec<Vec<String>> = r
            .blocked
            .iter()
            .map(|b| {
                let item = b.task.split('/').next().unwrap_or(&b.task);
                vec![
                    item_link(item, &b.title),
                    escape(
                        &b.owner
                            .as_deref()
                            .map_or_else(|| w.nobody.to_string(), |o| ctx.person(o)),
                    ),
                    escape(b.reason.as_deref().unwrap_or("")),
                    b.since.map(|t| ctx.time(t)).unwrap_or_default(),
                    escape(
                        &[b.target.as_deref(), b.person.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" · "),
                    ),
                    b.due.to_string(),
                ]
            })
            .collect();
        table(
            out,
            "",
            &[w.task, w.owner, w.reason, w.blocked_since, w.where_, w.due],
            &[5],
            &rows,
        );
    }
    out.push_str("</section>");
}

fn overdue(out: &mut String, ctx: &Ctx, r: &StatusReport) {
    let w = ctx.w;
    section(out, "overdue", w.overdue_by_person, "");
    if r.overdue.is_empty() {
        nothing(out, w);
    }
    out.push_str("<div class=\"grid\">");
    for o in &r.overdue {
        let who = o
            .owner
            .as_deref()
            .map_or_else(|| w.nobody.to_string(), |p| ctx.person(p));
        let rows: Vec<Vec<String>> = o
            .tasks
            .iter()
            .map(|t| {
                let item = t.task.split('/').next().unwrap_or(&t.task);
                vec![
                    item_link(item, &t.title),
                    t.due.to_string(),
                    format!("<span class=\"late\">{}</span>", t.days_late),
                    badge(w, t.state),
                ]
            })
            .collect();
        table(
            out,
            &format!("{who} ({})", o.tasks.len()),
            &[w.task, w.due, w.days_late, w.state],
            &[1, 2],
            &rows,
        );
    }
    out.push_str("</div></section>");
}
