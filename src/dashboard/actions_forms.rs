//! The action forms the pages show a signed-in user, and only them: plain HTML forms (they work
//! without JavaScript), each posting to its route in [`super::actions`] with the session's
//! CSRF token in the `csrf` field.
//!
//! | form | route | fields |
//! |---|---|---|
//! | sync now (Sync page, daemon only) | `POST /actions/sync` | `csrf` |
//! | settle a conflict by choosing a side | `POST /actions/settle` | `csrf`, `identity`, `at` (the conflict's RFC 3339 time), `side` (a target id, or `hub`) |
//! | accept a drift into the playbook | `POST /actions/accept-drift` | `csrf`, `identity`, `target`, `at` |
//! | snooze a recommendation for a week | `POST /actions/snooze` | `csrf`, `id` |

use super::SignedIn;
use super::page::{Ctx, hidden};
use super::words::Words;
use crate::report::charts::escape;
use crate::state::{Event, EventKind};

pub const SYNC: &str = "/actions/sync";
pub const SETTLE: &str = "/actions/settle";
pub const ACCEPT_DRIFT: &str = "/actions/accept-drift";
pub const SNOOZE: &str = "/actions/snooze";

/// A form of one or more buttons posting `fields` to `action`.
fn form(
    action: &str,
    user: &SignedIn,
    fields: &[(&str, &str)],
    buttons: &[(Option<(&str, &str)>, &str)],
) -> String {
    let mut out = format!("<form class=\"inline\" method=\"post\" action=\"{action}\">");
    out.push_str(&hidden("csrf", &user.csrf));
    for (name, value) in fields {
        out.push_str(&hidden(name, value));
    }
    for (value, label) in buttons {
        match value {
            Some((name, value)) => out.push_str(&format!(
                " <button type=\"submit\" class=\"quiet\" name=\"{name}\" value=\"{}\">{}</button>",
                escape(value),
                escape(label)
            )),
            None => out.push_str(&format!(
                " <button type=\"submit\">{}</button>",
                escape(label)
            )),
        }
    }
    out.push_str("</form>");
    out
}

/// "Sync now": the daemon runs a cycle after its short settling delay.
pub fn sync_now(w: &Words, user: &SignedIn) -> String {
    format!("<p>{}</p>", form(SYNC, user, &[], &[(None, w.sync_now)]))
}

/// The action an event offers: a conflict is settled by keeping one of its sides (a tool that
/// moved it, or the hub's status), each button saying what that side said; a drift the
/// engine described is accepted into the playbook. Other events, and events without a task,
/// offer none.
pub fn for_event(ctx: &Ctx, user: &SignedIn, e: &Event) -> String {
    let w = ctx.w;
    let Some(identity) = &e.identity else {
        return String::new();
    };
    let at = e.at.to_string();
    match e.kind {
        EventKind::Conflict => {
            let labels: Vec<(String, String)> = super::actions::sides(e)
                .into_iter()
                .map(|(side, state)| {
                    let label = format!("{} {side}: {}", w.settle_for, w.state(state));
                    (side, label)
                })
                .collect();
            if labels.is_empty() {
                return String::new();
            }
            let buttons: Vec<(Option<(&str, &str)>, &str)> = labels
                .iter()
                .map(|(side, label)| (Some(("side", side.as_str())), label.as_str()))
                .collect();
            format!(
                "<div>{}</div>",
                form(
                    SETTLE,
                    user,
                    &[("identity", identity.as_str()), ("at", &at)],
                    &buttons
                )
            )
        }
        EventKind::Drift => {
            let Some(target) = &e.target else {
                return String::new();
            };
            if super::actions::parse_detail(&e.detail).is_none() {
                return String::new();
            }
            format!(
                "<div>{}</div>",
                form(
                    ACCEPT_DRIFT,
                    user,
                    &[
                        ("identity", identity.as_str()),
                        ("target", target),
                        ("at", &at)
                    ],
                    &[(None, w.accept)]
                )
            )
        }
        EventKind::Unknown | EventKind::SafetyStop => String::new(),
    }
}

/// "Snooze for a week" under a recommendation.
pub fn snooze(w: &Words, user: &SignedIn, id: &str) -> String {
    form(SNOOZE, user, &[("id", id)], &[(None, w.snooze)])
}
