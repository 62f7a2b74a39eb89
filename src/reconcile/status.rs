//! Status moves pulled from the tools, merged into the hub's status.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use throughline_connector::{Identity, State, StateSupport};

use crate::model::ConflictPolicy;

/// The hub's status of one task or entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubState {
    pub state: State,
    /// Why it is blocked (with [`State::Blocked`] only), when someone said.
    pub reason: Option<String>,
    /// While blocked: the state it had before. A tool that knows only "blocked or not" says
    /// "not blocked" as "to do"; the task then goes back to this (in progress stays in
    /// progress), not to "to do".
    pub before_blocked: State,
}

impl From<State> for HubState {
    fn from(state: State) -> HubState {
        HubState {
            state,
            reason: None,
            before_blocked: State::Todo,
        }
    }
}

/// The hub's status of every task and entry that has one; absent = to do.
pub type HubStatus = HashMap<Identity, HubState>;

/// When the hub recorded each status in [`HubStatus`].
pub type HubTimes = HashMap<Identity, Timestamp>;

/// A status a person changed in one tool since the hub last saw that tool.
#[derive(Debug, Clone, PartialEq)]
pub struct Pull {
    pub identity: Identity,
    pub target: String,
    pub state: State,
    /// The reason the tool shows with a blocked state (only where [`Pull::holds_reason`]).
    pub reason: Option<String>,
    /// The tool has a place for a blocked task's reason: its `reason` speaks, even empty.
    pub holds_reason: bool,
    /// What the tool can hold: a "to do" from a done-or-not tool only means "not done".
    pub support: StateSupport,
    pub modified: Option<Timestamp>,
    pub person: Option<String>,
    /// No link (and no create of this engine) says what the tool held before: this is what the
    /// tool holds, not a move anyone is known to have made (the state file was lost, or the
    /// target was reset).
    pub unlinked: bool,
}

/// A new hub status and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub identity: Identity,
    pub state: State,
    /// With [`State::Blocked`]: why, when someone said.
    pub reason: Option<String>,
    pub target: String,
    pub person: Option<String>,
}

/// Tools that moved one status differently in the same cycle, and how it was settled.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub identity: Identity,
    pub pulls: Vec<Pull>,
    /// The target whose change won; `None` = the hub kept its status.
    pub winner: Option<String>,
    pub state: State,
    /// The hub's own status, when it took part: tools without history disagreed with it.
    pub hub: Option<State>,
}

/// Two pulls say the same state, as far as the coarser of the two tools can tell. Reasons
/// that differ are no conflict: the state is what people act on.
fn agree(a: &Pull, b: &Pull) -> bool {
    let both = a.support.coarser(b.support);
    both.holds(a.state) == both.holds(b.state)
}

/// A tool's state says the same as the hub's, as far as that tool can tell.
fn agrees_with(hub: State, p: &Pull) -> bool {
    p.support.holds(hub) == p.support.holds(p.state)
}

/// The hub's new status after a pull, or `None` when the pull tells nothing new. `reason` is
/// the reason that goes with a blocked state (see [`merge_status`]).
fn apply_pull(current: &HubState, pull: &Pull, reason: Option<String>) -> Option<StatusUpdate> {
    let update = |state: State, reason: Option<String>| StatusUpdate {
        identity: pull.identity.clone(),
        state,
        reason,
        target: pull.target.clone(),
        person: pull.person.clone(),
    };
    if pull.support.holds(current.state) != pull.support.holds(pull.state) {
        let state = match (current.state, pull.state, pull.support) {
            // Cleared where only "blocked or not" is shown: back to what it was before.
            (State::Blocked, State::Todo, StateSupport::DoneBlockedOrNot)
                if current.before_blocked == State::Doing =>
            {
                State::Doing
            }
            (_, s, _) => s,
        };
        let reason = reason.filter(|_| state == State::Blocked);
        return Some(update(state, reason));
    }
    // Still blocked, with another reason given in a tool that shows one.
    (current.state == State::Blocked
        && pull.state == State::Blocked
        && pull.holds_reason
        && reason != current.reason)
        .then(|| update(State::Blocked, reason))
}

/// The reason a blocked state is merged with: the newest given with "blocked" by a tool that
/// shows reasons and agreed with the winner (an empty one clears it); else the hub's own.
fn blocked_reason(group: &[&Pull], winner: &Pull, current: &HubState) -> Option<String> {
    let mut told: Vec<&Pull> = group
        .iter()
        .copied()
        .filter(|p| p.holds_reason && p.state == State::Blocked && agree(p, winner))
        .collect();
    // Newest first; among equals the earlier target (the group is in config order).
    told.sort_by_key(|p| std::cmp::Reverse(p.modified));
    match told.first() {
        Some(p) => p.reason.clone(),
        None => current.reason.clone(),
    }
}

/// Merge every tool's status moves into the hub. `targets` is the config order (ties in the
/// `newest` policy go to the earlier target). Returns the hub updates and the conflicts.
///
/// Tools that disagree are a conflict. So is a tool without history ([`Pull::unlinked`]) that
/// disagrees with a status the hub recorded, unless a tool with history moved it: nothing
/// says who moved, so the policy decides, with the hub's time of record against the tools'
/// modification times.
///
/// Blocked merges like any state, its reason with it: a tool that shows only "blocked or not"
/// says "not blocked" as "to do", and the task goes back to the state it had before it was
/// blocked; a new reason given while still blocked (in a tool that shows reasons) is an
/// update of its own; tools that agree on "blocked" with different reasons are no conflict
/// (see `blocked_reason` for which reason is kept).
pub fn merge_status(
    hub: &HubStatus,
    hub_times: &HubTimes,
    pulls: &[Pull],
    policy: &ConflictPolicy,
    targets: &[String],
) -> (Vec<StatusUpdate>, Vec<Conflict>) {
    let rank = |t: &str| targets.iter().position(|x| x == t).unwrap_or(usize::MAX);
    let mut by_identity: BTreeMap<&str, Vec<&Pull>> = BTreeMap::new();
    for p in pulls {
        by_identity.entry(&p.identity).or_default().push(p);
    }
    let mut updates = Vec::new();
    let mut conflicts = Vec::new();
    for (identity, mut group) in by_identity {
        group.sort_by_key(|p| rank(&p.target));
        let recorded = hub.get(identity).map(|h| h.state);
        let current = hub
            .get(identity)
            .cloned()
            .unwrap_or_else(|| HubState::from(State::Todo));
        let all_agree = group.iter().all(|p| agree(p, group[0]));
        // The hub takes part when only tools without history speak and one of them differs.
        let hub_disputed = recorded.filter(|&h| {
            group.iter().all(|p| p.unlinked) && group.iter().any(|p| !agrees_with(h, p))
        });
        let winner: Option<&Pull> = if all_agree && hub_disputed.is_none() {
            // The most precise tool speaks for all of them (the first of equals).
            group.iter().copied().min_by_key(|p| match p.support {
                StateSupport::Full => 0,
                StateSupport::DoneBlockedOrNot => 1,
                StateSupport::DoneOrNot => 2,
            })
        } else {
            let newest = || {
                let tool = group
                    .iter()
                    .copied()
                    .enumerate()
                    .max_by(|(ia, a), (ib, b)| a.modified.cmp(&b.modified).then(ib.cmp(ia)))
                    .map(|(_, p)| p)?;
                // The hub's record wins over a tool that changed nothing since.
                let hub_newer = hub_disputed.is_some()
                    && hub_times
                        .get(identity)
                        .is_some_and(|at| tool.modified.is_none_or(|m| *at >= m));
                (!hub_newer).then_some(tool)
            };
            let chosen = match policy {
                ConflictPolicy::Newest => newest(),
                ConflictPolicy::Hub => None,
                ConflictPolicy::Target(t) => group
                    .iter()
                    .copied()
                    .find(|p| &p.target == t)
                    .or_else(newest),
            };
            conflicts.push(Conflict {
                identity: identity.to_string(),
                pulls: group.iter().map(|p| (*p).clone()).collect(),
                winner: chosen.map(|p| p.target.clone()),
                state: chosen.map(|p| p.state).unwrap_or(current.state),
                hub: hub_disputed,
            });
            chosen
        };
        if let Some(p) = winner
            && let Some(update) = apply_pull(&current, p, blocked_reason(&group, p, &current))
        {
            updates.push(update);
        }
    }
    (updates, conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pull(target: &str, state: State, support: StateSupport, secs: Option<i64>) -> Pull {
        Pull {
            identity: "a/copy".into(),
            target: target.into(),
            state,
            reason: None,
            holds_reason: false,
            support,
            modified: secs.map(|s| Timestamp::from_second(s).unwrap()),
            person: Some(format!("{target}-person")),
            unlinked: false,
        }
    }

    fn order() -> Vec<String> {
        vec!["trello".into(), "sheet".into(), "excel".into()]
    }

    #[test]
    fn one_tool_moves_the_hub() {
        let p = vec![pull("trello", State::Done, StateSupport::DoneOrNot, None)];
        let (u, c) = merge_status(
            &HubStatus::new(),
            &HubTimes::new(),
            &p,
            &ConflictPolicy::Newest,
            &order(),
        );
        assert!(c.is_empty());
        assert_eq!(
            u,
            vec![StatusUpdate {
                identity: "a/copy".into(),
                state: State::Done,
                reason: None,
                target: "trello".into(),
                person: Some("trello-person".into())
            }]
        );
    }

    #[test]
    fn agreeing_tools_are_no_conflict_and_the_precise_one_speaks() {
        let p = vec![
            pull("trello", State::Todo, StateSupport::DoneOrNot, Some(5)),
            pull("excel", State::Doing, StateSupport::Full, Some(1)),
        ];
        let (u, c) = merge_status(
            &HubStatus::new(),
            &HubTimes::new(),
            &p,
            &ConflictPolicy::Newest,
            &order(),
        );
        assert!(c.is_empty());
        assert_eq!(u[0].state, State::Doing);
        assert_eq!(u[0].target, "excel");
    }

    #[test]
    fn not_done_from_a_binary_tool_keeps_doing() {
        let hub = HubStatus::from([("a/copy".to_string(), State::Doing.into())]);
        let p = vec![pull("trello", State::Todo, StateSupport::DoneOrNot, None)];
        let (u, c) = merge_status(
            &hub,
            &HubTimes::new(),
            &p,
            &ConflictPolicy::Newest,
            &order(),
        );
        assert!(u.is_empty() && c.is_empty());
    }

    #[test]
    fn conflict_newest_wins_and_is_recorded() {
        let p = vec![
            pull("trello", State::Done, StateSupport::DoneOrNot, Some(10)),
            pull("excel", State::Doing, StateSupport::Full, Some(20)),
        ];
        let (u, c) = merge_status(
            &HubStatus::new(),
            &HubTimes::new(),
            &p,
            &ConflictPolicy::Newest,
            &order(),
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].winner.as_deref(), Some("excel"));
        assert_eq!(u[0].state, State::Doing);
    }

    #[test]
    fn conflict_newest_tie_goes_to_the_earlier_target() {
        let p = vec![
            pull("excel", State::Doing, StateSupport::Full, None),
            pull("trello", State::Done, StateSupport::DoneOrNot, None),
        ];
        let (u, c) = merge_status(
            &HubStatus::new(),
            &HubTimes::new(),
            &p,
            &ConflictPolicy::Newest,
            &order(),
        );
        assert_eq!(c[0].winner.as_deref(), Some("trello"));
        assert_eq!(u[0].state, State::Done);
    }

    #[test]
    fn conflict_hub_policy_keeps_the_hub() {
        let hub = HubStatus::from([("a/copy".to_string(), State::Doing.into())]);
        let p = vec![
            pull("trello", State::Done, StateSupport::DoneOrNot, Some(10)),
            pull("excel", State::Todo, StateSupport::Full, Some(20)),
        ];
        let (u, c) = merge_status(&hub, &HubTimes::new(), &p, &ConflictPolicy::Hub, &order());
        assert!(u.is_empty());
        assert_eq!(c[0].winner, None);
        assert_eq!(c[0].state, State::Doing);
    }

    #[test]
    fn conflict_target_policy_prefers_that_target() {
        let p = vec![
            pull("trello", State::Done, StateSupport::DoneOrNot, Some(10)),
            pull("excel", State::Doing, StateSupport::Full, Some(20)),
        ];
        let (u, c) = merge_status(
            &HubStatus::new(),
            &HubTimes::new(),
            &p,
            &ConflictPolicy::Target("trello".into()),
            &order(),
        );
        assert_eq!(c[0].winner.as_deref(), Some("trello"));
        assert_eq!(u[0].state, State::Done);
    }

    fn unlinked(target: &str, state: State, support: StateSupport, secs: Option<i64>) -> Pull {
        Pull {
            unlinked: true,
            ..pull(target, state, support, secs)
        }
    }

    #[test]
    fn tools_without_history_that_disagree_are_a_conflict_settled_by_time() {
        // Reopened in one tool (at 20), still done in the other (pushed at 10); no links.
        let p = vec![
            unlinked("trello", State::Done, StateSupport::DoneOrNot, Some(10)),
            unlinked("excel", State::Todo, StateSupport::Full, Some(20)),
        ];
        let (u, c) = merge_status(
            &HubStatus::new(),
            &HubTimes::new(),
            &p,
            &ConflictPolicy::Newest,
            &order(),
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].winner.as_deref(), Some("excel"));
        assert_eq!(c[0].state, State::Todo);
        assert!(u.is_empty(), "the hub already has to do: {u:?}");
    }

    #[test]
    fn a_tool_without_history_against_the_hubs_record_is_a_conflict() {
        let hub = HubStatus::from([("a/copy".to_string(), State::Done.into())]);
        let times = HubTimes::from([("a/copy".to_string(), Timestamp::from_second(15).unwrap())]);
        let reopened = |secs| {
            vec![unlinked(
                "excel",
                State::Todo,
                StateSupport::Full,
                Some(secs),
            )]
        };
        // Changed in the tool after the hub recorded done: the tool wins, recorded.
        let (u, c) = merge_status(
            &hub,
            &times,
            &reopened(20),
            &ConflictPolicy::Newest,
            &order(),
        );
        assert_eq!((c.len(), c[0].hub), (1, Some(State::Done)));
        assert_eq!(u[0].state, State::Todo);
        // Not changed since: the hub keeps done, recorded too.
        let (u, c) = merge_status(
            &hub,
            &times,
            &reopened(10),
            &ConflictPolicy::Newest,
            &order(),
        );
        assert_eq!((c.len(), c[0].winner.as_ref()), (1, None));
        assert!(u.is_empty());
        // Agreeing with the hub: nothing to settle.
        let same = vec![unlinked("excel", State::Done, StateSupport::Full, Some(20))];
        let (u, c) = merge_status(&hub, &times, &same, &ConflictPolicy::Newest, &order());
        assert!(u.is_empty() && c.is_empty());
    }

    #[test]
    fn with_no_record_in_the_hub_agreeing_tools_without_history_are_taken() {
        let p = vec![
            unlinked("trello", State::Done, StateSupport::DoneOrNot, Some(10)),
            unlinked("excel", State::Done, StateSupport::Full, None),
        ];
        let (u, c) = merge_status(
            &HubStatus::new(),
            &HubTimes::new(),
            &p,
            &ConflictPolicy::Newest,
            &order(),
        );
        assert!(c.is_empty());
        assert_eq!(u[0].state, State::Done);
    }

    // --- Blocked ---------------------------------------------------------------------------

    fn blocked(target: &str, support: StateSupport, reason: Option<&str>, secs: i64) -> Pull {
        Pull {
            reason: reason.map(str::to_string),
            holds_reason: true,
            ..pull(target, State::Blocked, support, Some(secs))
        }
    }

    fn hub_blocked(reason: Option<&str>, before: State) -> HubStatus {
        HubStatus::from([(
            "a/copy".to_string(),
            HubState {
                state: State::Blocked,
                reason: reason.map(str::to_string),
                before_blocked: before,
            },
        )])
    }

    fn merge(hub: &HubStatus, pulls: &[Pull]) -> (Vec<StatusUpdate>, Vec<Conflict>) {
        merge_status(
            hub,
            &HubTimes::new(),
            pulls,
            &ConflictPolicy::Newest,
            &order(),
        )
    }

    #[test]
    fn blocked_in_one_tool_moves_the_hub_with_its_reason() {
        let hub = HubStatus::from([("a/copy".to_string(), State::Doing.into())]);
        let p = [blocked(
            "trello",
            StateSupport::DoneBlockedOrNot,
            Some("waiting on legal"),
            5,
        )];
        let (u, c) = merge(&hub, &p);
        assert!(c.is_empty());
        assert_eq!(
            (u[0].state, u[0].reason.as_deref()),
            (State::Blocked, Some("waiting on legal"))
        );
    }

    #[test]
    fn cleared_where_only_blocked_or_not_shows_returns_to_the_state_before() {
        let cleared = [pull(
            "trello",
            State::Todo,
            StateSupport::DoneBlockedOrNot,
            Some(9),
        )];
        let (u, _) = merge(&hub_blocked(Some("legal"), State::Doing), &cleared);
        assert_eq!((u[0].state, u[0].reason.as_ref()), (State::Doing, None));
        let (u, _) = merge(&hub_blocked(Some("legal"), State::Todo), &cleared);
        assert_eq!(u[0].state, State::Todo);
        // A status column says what it is now: "To do" is to do.
        let typed = [pull("excel", State::Todo, StateSupport::Full, Some(9))];
        let (u, _) = merge(&hub_blocked(None, State::Doing), &typed);
        assert_eq!(u[0].state, State::Todo);
    }

    #[test]
    fn a_tool_without_blocked_neither_blocks_nor_clears() {
        // Trello without a "Blocked" label in its mapping: blocked shows there as not done.
        let not_done = [pull(
            "trello",
            State::Todo,
            StateSupport::DoneOrNot,
            Some(9),
        )];
        let (u, c) = merge(&hub_blocked(Some("legal"), State::Doing), &not_done);
        assert!(u.is_empty() && c.is_empty(), "{u:?}");
        // Ticking done there is a move.
        let ticked = [pull(
            "trello",
            State::Done,
            StateSupport::DoneOrNot,
            Some(9),
        )];
        let (u, _) = merge(&hub_blocked(Some("legal"), State::Doing), &ticked);
        assert_eq!((u[0].state, u[0].reason.as_ref()), (State::Done, None));
    }

    #[test]
    fn a_new_reason_while_blocked_is_an_update_and_an_empty_one_clears_it() {
        let hub = hub_blocked(Some("legal"), State::Todo);
        let p = [blocked("excel", StateSupport::Full, Some("the printer"), 9)];
        let (u, c) = merge(&hub, &p);
        assert!(c.is_empty());
        assert_eq!(
            (u[0].state, u[0].reason.as_deref()),
            (State::Blocked, Some("the printer"))
        );
        let p = [blocked("excel", StateSupport::Full, None, 9)];
        let (u, _) = merge(&hub, &p);
        assert_eq!((u[0].state, u[0].reason.as_ref()), (State::Blocked, None));
        // The same reason: nothing new.
        let p = [blocked("excel", StateSupport::Full, Some("legal"), 9)];
        assert!(merge(&hub, &p).0.is_empty());
        // A tool with no place for a reason says nothing about it.
        let p = [Pull {
            holds_reason: false,
            ..blocked("trello", StateSupport::DoneBlockedOrNot, None, 9)
        }];
        assert!(merge(&hub, &p).0.is_empty());
    }

    #[test]
    fn tools_agreeing_on_blocked_are_no_conflict_and_the_newest_reason_is_kept() {
        let hub = HubStatus::from([("a/copy".to_string(), State::Todo.into())]);
        let p = [
            blocked("excel", StateSupport::Full, Some("older"), 10),
            blocked("trello", StateSupport::DoneBlockedOrNot, Some("newer"), 20),
        ];
        let (u, c) = merge(&hub, &p);
        assert!(c.is_empty(), "{c:?}");
        assert_eq!(
            (u[0].state, u[0].reason.as_deref(), u[0].target.as_str()),
            (State::Blocked, Some("newer"), "excel")
        );
        // Blocked by a tool that shows no reason, with one from a tool that does.
        let p = [
            Pull {
                holds_reason: false,
                ..blocked("trello", StateSupport::DoneBlockedOrNot, None, 30)
            },
            blocked("sheet", StateSupport::Full, Some("legal"), 10),
        ];
        let (u, _) = merge(&hub, &p);
        assert_eq!(u[0].reason.as_deref(), Some("legal"));
    }

    #[test]
    fn blocked_against_done_is_a_conflict_settled_by_the_policy() {
        let hub = HubStatus::from([("a/copy".to_string(), State::Doing.into())]);
        let p = [
            blocked("excel", StateSupport::Full, Some("legal"), 10),
            pull(
                "trello",
                State::Done,
                StateSupport::DoneBlockedOrNot,
                Some(20),
            ),
        ];
        let (u, c) = merge(&hub, &p);
        assert_eq!((c.len(), c[0].winner.as_deref()), (1, Some("trello")));
        assert_eq!((u[0].state, u[0].reason.as_ref()), (State::Done, None));
        // A done-or-not tool's "not done" agrees with blocked: no conflict.
        let p = [
            blocked("excel", StateSupport::Full, Some("legal"), 10),
            pull("trello", State::Todo, StateSupport::DoneOrNot, Some(20)),
        ];
        let (u, c) = merge(&hub, &p);
        assert!(c.is_empty());
        assert_eq!(
            (u[0].state, u[0].reason.as_deref()),
            (State::Blocked, Some("legal"))
        );
    }
}
