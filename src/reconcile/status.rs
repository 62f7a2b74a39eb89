//! Status moves pulled from the tools, merged into the hub's status.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use throughline_connector::{Identity, State, StateSupport};

use crate::model::ConflictPolicy;

/// The hub's status of every task and entry that has one; absent = to do.
pub type HubStatus = HashMap<Identity, State>;

/// When the hub recorded each status in [`HubStatus`].
pub type HubTimes = HashMap<Identity, Timestamp>;

/// A status a person changed in one tool since the hub last saw that tool.
#[derive(Debug, Clone, PartialEq)]
pub struct Pull {
    pub identity: Identity,
    pub target: String,
    pub state: State,
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

fn done(s: State) -> bool {
    s == State::Done
}

/// Two pulls say the same thing, as far as the coarser of the two tools can tell.
fn agree(a: &Pull, b: &Pull) -> bool {
    if a.support == StateSupport::DoneOrNot || b.support == StateSupport::DoneOrNot {
        done(a.state) == done(b.state)
    } else {
        a.state == b.state
    }
}

/// A tool's status says the same as the hub's, as far as that tool can tell.
fn agrees_with(hub: State, p: &Pull) -> bool {
    match p.support {
        StateSupport::DoneOrNot => done(hub) == done(p.state),
        StateSupport::Full => hub == p.state,
    }
}

/// The hub's new status after a pull, or `None` when the pull tells nothing new.
fn apply_pull(current: State, pull: &Pull) -> Option<State> {
    let unchanged = match pull.support {
        StateSupport::DoneOrNot => done(current) == done(pull.state),
        StateSupport::Full => current == pull.state,
    };
    (!unchanged).then_some(pull.state)
}

/// Merge every tool's status moves into the hub. `targets` is the config order (ties in the
/// `newest` policy go to the earlier target). Returns the hub updates and the conflicts.
///
/// Tools that disagree are a conflict. So is a tool without history ([`Pull::unlinked`]) that
/// disagrees with a status the hub recorded, unless a tool with history moved it: nothing
/// says who moved, so the policy decides, with the hub's time of record against the tools'
/// modification times.
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
        let recorded = hub.get(identity).copied();
        let current = recorded.unwrap_or(State::Todo);
        let all_agree = group.iter().all(|p| agree(p, group[0]));
        // The hub takes part when only tools without history speak and one of them differs.
        let hub_disputed = recorded.filter(|&h| {
            group.iter().all(|p| p.unlinked) && group.iter().any(|p| !agrees_with(h, p))
        });
        let winner: Option<&Pull> = if all_agree && hub_disputed.is_none() {
            // The most precise tool speaks for all of them.
            group
                .iter()
                .copied()
                .find(|p| p.support == StateSupport::Full)
                .or(Some(group[0]))
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
                state: chosen.map(|p| p.state).unwrap_or(current),
                hub: hub_disputed,
            });
            chosen
        };
        if let Some(p) = winner
            && let Some(state) = apply_pull(current, p)
        {
            updates.push(StatusUpdate {
                identity: identity.to_string(),
                state,
                target: p.target.clone(),
                person: p.person.clone(),
            });
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
        let hub = HubStatus::from([("a/copy".to_string(), State::Doing)]);
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
        let hub = HubStatus::from([("a/copy".to_string(), State::Doing)]);
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
        let hub = HubStatus::from([("a/copy".to_string(), State::Done)]);
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
}
