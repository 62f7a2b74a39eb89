//! Sync: each target's health and links, the daemon's last cycles (when, why, how long, how
//! each ended, each target's requests and 429s in it) and cycle counts, the requests each tool
//! answered since the daemon started and how many were 429s, and the conflicts, drift, unknown
//! markers and safety stops of the last weeks with who, where and when.
//!
//! Health, cycles and requests live in the daemon's memory: `throughline serve` shows what
//! the state store holds and says the rest is the daemon's to show.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::actions_forms as forms;
use super::page::{self, Ctx, Nav, card, item_link, nothing, section, table};
use super::{Dashboard, PageError};
use crate::daemon::Shared;
use crate::daemon::health::Condition;
use crate::daemon::recent::{CycleRecord, TargetRequests};
use crate::report::charts::escape;
use crate::state::{Event, EventKind};

/// Events older than this are not listed.
const EVENT_DAYS: i64 = 30;
/// At most this many events of a kind are listed (the newest).
const EVENT_ROWS: usize = 200;

/// Requests and 429s per target, read from the daemon's metrics.
#[derive(Default)]
struct Requests {
    total: BTreeMap<String, u64>,
    limited: BTreeMap<String, u64>,
}

/// The sync page.
pub fn render(ctx: &Ctx, dash: &Dashboard) -> Result<String, PageError> {
    let w = ctx.w;
    let shared = dash.daemon_shared();
    let mut body = String::new();
    if let Some(user) = &ctx.user
        && shared.is_some()
    {
        body.push_str(&forms::sync_now(w, user));
    }
    if let Some(shared) = shared {
        cycles(&mut body, ctx, shared);
    } else {
        let _ = write!(body, "<p class=\"note\">{}</p>", escape(w.read_only_note));
        section(&mut body, "last-cycles", w.last_cycles, "");
        let _ = write!(
            body,
            "<p class=\"note\">{}</p></section>",
            escape(w.cycles_daemon_only)
        );
    }
    targets(&mut body, ctx, shared)?;
    let since = ctx.now - jiff::SignedDuration::from_hours(24 * EVENT_DAYS);
    let mut events = ctx.store.events(Some(since))?;
    events.sort_by_key(|e| std::cmp::Reverse(e.at));
    for (kind, id, title) in [
        (EventKind::Conflict, "conflicts", w.conflicts),
        (EventKind::Drift, "drift", w.drift),
        (EventKind::Unknown, "unknown", w.unknown),
        (EventKind::SafetyStop, "stops", w.safety_stops),
    ] {
        let of_kind: Vec<&Event> = events
            .iter()
            .filter(|e| e.kind == kind)
            .take(EVENT_ROWS)
            .collect();
        event_table(&mut body, ctx, id, title, &of_kind);
    }
    Ok(page::frame(ctx, Nav::Sync, w.sync, &body))
}

fn cycles(out: &mut String, ctx: &Ctx, shared: &Shared) {
    let w = ctx.w;
    let view = shared.view();
    section(out, "cycles", w.cycles, "");
    out.push_str("<div class=\"cards\">");
    match &view.last_cycle {
        Some(c) => card(
            out,
            w.last_cycle,
            c.result.as_str(),
            &format!(
                "#{} · {} · {:.1}s · {}",
                c.number,
                c.trigger.as_str(),
                c.seconds,
                ctx.time(c.finished)
            ),
            result_class(c.result.as_str()),
        ),
        None => card(out, w.last_cycle, "–", "", "warn"),
    }
    if let Some(next) = view.next_cycle {
        card(out, w.next_cycle, &ctx.time(next), "", "");
    }
    let counts: u64 = shared.metrics().cycles().values().sum();
    card(out, w.cycles, &counts.to_string(), "", "");
    out.push_str("</div>");
    let rows: Vec<Vec<String>> = shared
        .metrics()
        .cycles()
        .iter()
        .map(|((trigger, result), n)| vec![escape(trigger), escape(result), n.to_string()])
        .collect();
    if !rows.is_empty() {
        table(out, "", &[w.trigger, w.result, w.cycles], &[2], &rows);
    }
    if let Some(c) = view.last_cycle.as_ref().and_then(|c| c.error.as_ref()) {
        let _ = write!(out, "<p class=\"late\">{}</p>", escape(c));
    }
    out.push_str("</section>");
    last_cycles(out, ctx, &shared.recent_cycles());
}

fn result_class(result: &str) -> &'static str {
    match result {
        "ok" => "ok",
        "partial" => "warn",
        _ => "bad",
    }
}

/// The daemon's last cycles, newest first: when, why, how long, how it ended, and each
/// target's requests and 429s in it.
fn last_cycles(out: &mut String, ctx: &Ctx, cycles: &[CycleRecord]) {
    let w = ctx.w;
    section(out, "last-cycles", w.last_cycles, "");
    if cycles.is_empty() {
        nothing(out, w);
        out.push_str("</section>");
        return;
    }
    let per_target = |c: &CycleRecord, n: fn(&TargetRequests) -> u64| {
        let said: Vec<String> = c
            .targets
            .iter()
            .filter(|t| n(t) > 0)
            .map(|t| format!("{} {}", escape(&t.target), n(t)))
            .collect();
        if said.is_empty() {
            "0".to_string()
        } else {
            said.join("<br>")
        }
    };
    let rows: Vec<Vec<String>> = cycles
        .iter()
        .map(|c| {
            let badge = match c.info.result.as_str() {
                "ok" => "ok",
                "partial" => "degraded",
                _ => "failing",
            };
            let mut result = format!(
                "<span class=\"badge {badge}\">{}</span>",
                c.info.result.as_str()
            );
            if let Some(e) = &c.info.error {
                let _ = write!(result, "<br>{}", escape(e));
            }
            vec![
                c.info.number.to_string(),
                ctx.time(c.info.started),
                c.info.trigger.as_str().to_string(),
                format!("{:.1}s", c.info.seconds),
                result,
                per_target(c, |t| t.requests),
                per_target(c, |t| t.rate_limited),
            ]
        })
        .collect();
    table(
        out,
        "",
        &[
            "#",
            w.started,
            w.trigger,
            w.duration,
            w.result,
            w.requests,
            w.rate_limited,
        ],
        &[0, 3],
        &rows,
    );
    out.push_str("</section>");
}

/// Requests and 429s per target since the daemon started.
fn requests(shared: &Shared) -> Requests {
    let mut out = Requests::default();
    for (target, (total, limited)) in shared.metrics().per_target() {
        out.total.insert(target.clone(), total);
        out.limited.insert(target, limited);
    }
    out
}

fn condition(w: &super::words::Words, c: Condition) -> String {
    let (i, class) = match c {
        Condition::Pending => (0, "pending"),
        Condition::Ok => (1, "ok"),
        Condition::Degraded => (2, "degraded"),
        Condition::Failing => (3, "failing"),
        Condition::Stopped => (4, "stopped"),
    };
    format!(
        "<span class=\"badge {class}\">{}</span>",
        escape(w.conditions[i])
    )
}

fn targets(
    out: &mut String,
    ctx: &Ctx,
    shared: Option<&std::sync::Arc<Shared>>,
) -> Result<(), PageError> {
    let w = ctx.w;
    section(out, "targets", w.target, "");
    let health = shared.map(|s| s.view().targets).unwrap_or_default();
    let req = shared.map(|s| requests(s)).unwrap_or_default();
    let mut rows = Vec::new();
    for t in &ctx.model.dep.targets {
        let links = ctx.store.links(&t.id)?;
        let linked = links
            .iter()
            .filter(|l| !l.archived && l.parent.is_none())
            .count();
        let mut row = vec![
            escape(&t.id),
            escape(t.kind.tool().spec.tool),
            linked.to_string(),
        ];
        if shared.is_some() {
            let h = health.iter().find(|h| h.target == t.id);
            row.push(h.map_or_else(
                || condition(w, Condition::Pending),
                |h| condition(w, h.condition),
            ));
            row.push(
                h.and_then(|h| h.last_success)
                    .map(|t| ctx.time(t))
                    .unwrap_or_default(),
            );
            row.push(req.total.get(&t.id).copied().unwrap_or(0).to_string());
            let limited = req.limited.get(&t.id).copied().unwrap_or(0);
            row.push(if limited > 0 {
                format!("<span class=\"late\">{limited}</span>")
            } else {
                "0".to_string()
            });
            let mut why = h
                .and_then(|h| h.error.clone())
                .map(|e| escape(&e))
                .unwrap_or_default();
            if let Some(at) = h.and_then(|h| h.retry_at) {
                let _ = write!(why, " ({} {})", escape(w.retry_at), escape(&ctx.time(at)));
            }
            row.push(why);
        }
        rows.push(row);
    }
    if shared.is_some() {
        table(
            out,
            "",
            &[
                w.target,
                w.tool,
                w.linked,
                w.health,
                w.last_success,
                w.requests,
                w.rate_limited,
                w.error,
            ],
            &[2, 5, 6],
            &rows,
        );
    } else {
        table(out, "", &[w.target, w.tool, w.linked], &[2], &rows);
    }
    out.push_str("</section>");
    Ok(())
}

fn event_table(out: &mut String, ctx: &Ctx, id: &str, title: &str, events: &[&Event]) {
    let w = ctx.w;
    section(out, id, &format!("{title} ({})", events.len()), "");
    if events.is_empty() {
        nothing(out, w);
        out.push_str("</section>");
        return;
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let what = match &e.identity {
                Some(identity) => {
                    let item = identity.as_str().split('/').next().unwrap_or("");
                    format!(
                        "{}<br>{}",
                        item_link(item, identity.as_str()),
                        escape(&e.detail)
                    )
                }
                None => escape(&e.detail),
            };
            let mut resolution = escape(&e.resolution);
            if let Some(user) = &ctx.user {
                resolution.push_str(&forms::for_event(ctx, user, e));
            }
            vec![
                ctx.time(e.at),
                escape(e.target.as_deref().unwrap_or("")),
                escape(
                    &e.person
                        .as_deref()
                        .map(|p| ctx.person(p))
                        .unwrap_or_default(),
                ),
                what,
                resolution,
            ]
        })
        .collect();
    table(
        out,
        "",
        &[w.when, w.where_, w.who, w.what, w.resolution],
        &[],
        &rows,
    );
    out.push_str("</section>");
}
