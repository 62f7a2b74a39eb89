//! Settling a conflict by choosing a side. A conflict was settled by the `[sync] conflict`
//! policy when it happened; a person who knows better chooses the side that was right, and the
//! hub's status becomes what that side said. It is recorded like any status change (from that
//! side, by that person), so the next `plan` and cycle take it from there: the tools that show
//! something else are updated to it.

use jiff::Timestamp;
use throughline_connector::State;

use super::ActionError;
use crate::state::{Action, Event, EventKind, StateStore, StatusRecord};

/// The hub's own side (the status it had, which the `hub` policy keeps).
pub const HUB: &str = "hub";

/// The sides of a conflict event and what each said: `studio said done (Dana)`, `the hub had
/// doing, …`, `hub kept doing`, as the engine writes them.
pub fn sides(e: &Event) -> Vec<(String, State)> {
    let mut out: Vec<(String, State)> = Vec::new();
    for part in e.detail.split("; ") {
        if let Some(rest) = part.strip_prefix("the hub had ") {
            if let Some(state) = rest.split([' ', ',']).next().and_then(parse_state) {
                out.push((HUB.into(), state));
            }
        } else if let Some((target, rest)) = part.split_once(" said ")
            && !target.contains(' ')
            && let Some(state) = rest.split(' ').next().and_then(parse_state)
        {
            out.push((target.to_string(), state));
        }
    }
    if let Some(state) = e.resolution.strip_prefix("hub kept ").and_then(parse_state)
        && !out.iter().any(|(s, _)| s == HUB)
    {
        out.push((HUB.into(), state));
    }
    out
}

fn parse_state(word: &str) -> Option<State> {
    [State::Todo, State::Doing, State::Blocked, State::Done]
        .into_iter()
        .find(|s| s.as_str() == word)
}

/// What settling writes: the hub status of the chosen side, and the record of who chose.
pub struct Settled {
    pub status: StatusRecord,
    pub action: Action,
}

/// Settle the conflict of `identity` recorded at `at` by keeping `side`'s status.
pub fn settle(
    store: &dyn StateStore,
    user: &str,
    identity: &str,
    at: Timestamp,
    side: &str,
    now: Timestamp,
) -> Result<Settled, ActionError> {
    let event = store
        .events(Some(at))?
        .into_iter()
        .find(|e| {
            e.kind == EventKind::Conflict && e.at == at && e.identity.as_deref() == Some(identity)
        })
        .ok_or_else(|| {
            ActionError::Stale(format!(
                "there is no conflict of {identity} at {at}; reload the Sync page"
            ))
        })?;
    let sides = sides(&event);
    let Some((_, state)) = sides.iter().find(|(s, _)| s == side) else {
        let names: Vec<&str> = sides.iter().map(|(s, _)| s.as_str()).collect();
        return Err(ActionError::Bad(format!(
            "`{side}` was not a side of this conflict; its sides were: {}",
            names.join(", ")
        )));
    };
    // A status recorded after the conflict (a person moved the task again) is newer than
    // either side; only this conflict's own settlements may be replaced.
    if let Some(last) = store.status_history(identity)?.last()
        && last.at > event.at
    {
        let subject = subject(identity, at);
        let ours = store
            .actions(Some(event.at))?
            .iter()
            .any(|a| a.action == "settle" && a.subject == subject && a.at == last.at);
        if !ours {
            return Err(ActionError::Stale(format!(
                "{identity} changed after this conflict ({} at {}), so that newer status stands; there is nothing left to settle",
                last.source_target.as_deref().unwrap_or("the hub"),
                last.at
            )));
        }
    }
    Ok(Settled {
        status: StatusRecord {
            identity: identity.to_string(),
            state: *state,
            reason: None,
            source_target: (side != HUB).then(|| side.to_string()),
            source_person: Some(user.to_string()),
            at: now,
        },
        action: Action {
            action: "settle".into(),
            who: user.to_string(),
            subject: subject(identity, at),
            detail: format!(
                "kept {side}'s {state} (the policy had: {})",
                event.resolution
            ),
            at: now,
        },
    })
}

/// A settlement's subject: the task and the conflict's time.
fn subject(identity: &str, at: Timestamp) -> String {
    format!("{identity} @ {at}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(detail: &str, resolution: &str) -> Event {
        Event {
            kind: EventKind::Conflict,
            target: None,
            identity: Some("a/copy".into()),
            detail: detail.into(),
            resolution: resolution.into(),
            person: None,
            at: Timestamp::from_second(10).unwrap(),
        }
    }

    #[test]
    fn the_sides_are_read_from_the_event() {
        let e = event(
            "studio said done (Dana Levi); board said doing",
            "board won: doing",
        );
        assert_eq!(
            sides(&e),
            vec![
                ("studio".into(), State::Done),
                ("board".into(), State::Doing)
            ]
        );
        let e = event(
            "sheet said todo; the hub had done, and no link said which tool moved",
            "hub kept done",
        );
        assert_eq!(
            sides(&e),
            vec![("sheet".into(), State::Todo), (HUB.into(), State::Done)]
        );
        let e = event("studio said blocked; board said done", "hub kept doing");
        assert_eq!(sides(&e)[2], (HUB.into(), State::Doing));
    }
}
