//! The latest weekly review: the seven days up to the last review day (`[review]` weekday and
//! time in the daemon's time zone; without `[review]`, the seven days up to today), its key
//! numbers, and the open recommendations with the playbook change each suggests. The whole
//! report of that week is at `/report`.

use std::fmt::Write;

use jiff::ToSpan;
use jiff::civil::Date;

use super::actions_forms as forms;
use super::page::{self, Ctx, Nav, card, nothing, section};
use super::{PageError, process};
use crate::insight::Report;
use crate::report::charts::escape;

/// The last day of the latest review: this week's review day once its time has passed, else
/// last week's.
pub fn review_day(ctx: &Ctx) -> Date {
    let dep = &ctx.model.dep;
    let Some(settings) = &dep.sync.review else {
        return ctx.today;
    };
    let local = crate::daemon::daemon_timezone(dep).to_datetime(ctx.now);
    let today = local.date();
    let back = (today.weekday().to_monday_zero_offset() - settings.weekday.to_monday_zero_offset())
        .rem_euclid(7);
    let day = today.checked_sub(i64::from(back).days()).unwrap_or(today);
    if day.to_datetime(settings.at) > local {
        day.checked_sub(7.days()).unwrap_or(day)
    } else {
        day
    }
}

/// The report of the latest review's week.
pub fn latest(ctx: &Ctx) -> Result<(Date, Date, std::sync::Arc<Report>), PageError> {
    let until = review_day(ctx);
    let since = until.checked_sub(6.days()).unwrap_or(until);
    Ok((since, until, process::measure(ctx, since, until)?))
}

/// The review page.
pub fn render(ctx: &Ctx) -> Result<String, PageError> {
    let w = ctx.w;
    let (since, until, report) = latest(ctx)?;
    let labels = crate::report::build::labels(&ctx.model.dep, &ctx.model.schedule, None);
    let mut body = String::new();
    section(
        &mut body,
        "week",
        &format!("{} {until}", w.week_of),
        w.review_desc,
    );
    process::measured_at(&mut body, ctx, &report);
    body.push_str("<div class=\"cards\">");
    let o = &report.on_time.overall;
    let rate = o
        .rate
        .map_or("–".to_string(), |r| format!("{:.0}%", r * 100.0));
    card(
        &mut body,
        w.on_time,
        &rate,
        &format!("{} / {}", o.on_time, o.counted),
        "ok",
    );
    let done: u32 = report.throughput.iter().map(|t| t.done).sum();
    card(
        &mut body,
        w.done,
        &done.to_string(),
        &format!("{since} – {until}"),
        "",
    );
    match &report.bottleneck {
        Some(b) => card(
            &mut body,
            w.bottleneck,
            &labels.stage(&b.process, &b.stage),
            &format!("+{}", b.slip_days),
            "bad",
        ),
        None => card(&mut body, w.bottleneck, "–", w.none, "ok"),
    }
    let risk = report.forecast.items.iter().filter(|i| i.at_risk).count();
    card(
        &mut body,
        w.at_risk,
        &risk.to_string(),
        &format!("/ {}", report.forecast.items.len()),
        if risk > 0 { "bad" } else { "ok" },
    );
    body.push_str("</div>");
    let _ = write!(
        body,
        "<p><a href=\"/report\">{}</a></p></section>",
        escape(w.full_report)
    );
    recommendations(&mut body, ctx, &report);
    Ok(page::frame(ctx, Nav::Review, w.review, &body))
}

fn recommendations(out: &mut String, ctx: &Ctx, r: &Report) {
    let w = ctx.w;
    section(
        out,
        "recommendations",
        &format!("{} ({})", w.recommendations, r.recommendations.len()),
        w.never_applied,
    );
    if r.recommendations.is_empty() {
        nothing(out, w);
    }
    for rec in &r.recommendations {
        let _ = write!(
            out,
            "<article class=\"rec\"><h3><code>{}</code></h3><p>{}</p>",
            escape(&rec.id),
            escape(&rec.text)
        );
        if !rec.evidence.tasks.is_empty() {
            let _ = write!(
                out,
                "<p class=\"desc\">{}: {}</p>",
                escape(w.task),
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
        if let Some(user) = &ctx.user {
            out.push_str(&forms::snooze(w, user, &rec.id));
        }
        out.push_str("</article>");
    }
    if !r.snoozed.is_empty() {
        let _ = write!(
            out,
            "<h3>{}</h3><ul class=\"links\">",
            escape(w.snoozed_until)
        );
        for s in &r.snoozed {
            let _ = write!(
                out,
                "<li>{} · <code>{}</code> {}</li>",
                s.until,
                escape(&s.id),
                escape(&s.text)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}
