//! Status moves pulled from the tools, merged into the hub's status.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use throughline_connector::{Identity, State, StateSupport};

use crate::model::ConflictPolicy;

/// The hub's status of every task and entry that has one; absent = to do.
pub type HubStatus = HashMap<Identity, State>;

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
pub fn merge_status(
    hub: &HubStatus,
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
        let current = hub.get(identity).copied().unwrap_or(State::Todo);
        let all_agree = group.iter().all(|p| agree(p, group[0]));
        let winner: Option<&Pull> = if all_agree {
            // The most precise tool speaks for all of them.
            group
                .iter()
                .copied()
                .find(|p| p.support == StateSupport::Full)
                .or(Some(group[0]))
        } else {
            let newest = || {
                group
                    .iter()
                    .copied()
                    .enumerate()
                    .max_by(|(ia, a), (ib, b)| a.modified.cmp(&b.modified).then(ib.cmp(ia)))
                    .map(|(_, p)| p)
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
        }
    }

    fn order() -> Vec<String> {
        vec!["trello".into(), "sheet".into(), "excel".into()]
    }

    #[test]
    fn one_tool_moves_the_hub() {
        let p = vec![pull("trello", State::Done, StateSupport::DoneOrNot, None)];
        let (u, c) = merge_status(&HubStatus::new(), &p, &ConflictPolicy::Newest, &order());
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
        let (u, c) = merge_status(&HubStatus::new(), &p, &ConflictPolicy::Newest, &order());
        assert!(c.is_empty());
        assert_eq!(u[0].state, State::Doing);
        assert_eq!(u[0].target, "excel");
    }

    #[test]
    fn not_done_from_a_binary_tool_keeps_doing() {
        let hub = HubStatus::from([("a/copy".to_string(), State::Doing)]);
        let p = vec![pull("trello", State::Todo, StateSupport::DoneOrNot, None)];
        let (u, c) = merge_status(&hub, &p, &ConflictPolicy::Newest, &order());
        assert!(u.is_empty() && c.is_empty());
    }

    #[test]
    fn conflict_newest_wins_and_is_recorded() {
        let p = vec![
            pull("trello", State::Done, StateSupport::DoneOrNot, Some(10)),
            pull("excel", State::Doing, StateSupport::Full, Some(20)),
        ];
        let (u, c) = merge_status(&HubStatus::new(), &p, &ConflictPolicy::Newest, &order());
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
        let (u, c) = merge_status(&HubStatus::new(), &p, &ConflictPolicy::Newest, &order());
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
        let (u, c) = merge_status(&hub, &p, &ConflictPolicy::Hub, &order());
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
            &p,
            &ConflictPolicy::Target("trello".into()),
            &order(),
        );
        assert_eq!(c[0].winner.as_deref(), Some("trello"));
        assert_eq!(u[0].state, State::Done);
    }
}
