//! Property test of the sync engine: random sequences of model edits, tool edits, tool-side
//! deletes and failing calls, each followed by a sync. Once faults stop, the targets converge:
//! hub-owned fields equal everywhere, no identity twice, and every status change made in a tool
//! survives in the hub or is a recorded conflict.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use throughline::engine::CycleOptions;
use throughline::state::{EventKind, MemoryStore, StateStore};
use throughline_connector::fake::{ChangeFilter, FakeTarget};
use throughline_connector::{ConnectorError, State, StateSupport};

#[derive(Debug, Clone)]
enum Op {
    RenameItem(usize),
    MoveGolive(usize, i64),
    AddItem,
    RemoveItem(usize),
    ChangeOwner,
    /// (target, task index, state index)
    SetState(usize, usize, usize),
    CheckEntry(usize, usize, bool),
    EditTitle(usize, usize),
    Delete(usize, usize),
    Archive(usize, usize),
    FailChanges(usize),
    LoseReply(usize, usize),
    FailObserve(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..8usize).prop_map(Op::RenameItem),
        (0..8usize, -3..4i64).prop_map(|(i, d)| Op::MoveGolive(i, d)),
        Just(Op::AddItem),
        (0..8usize).prop_map(Op::RemoveItem),
        Just(Op::ChangeOwner),
        (0..2usize, 0..32usize, 0..4usize).prop_map(|(t, i, s)| Op::SetState(t, i, s)),
        (0..2usize, 0..64usize, any::<bool>()).prop_map(|(t, i, c)| Op::CheckEntry(t, i, c)),
        (0..2usize, 0..32usize).prop_map(|(t, i)| Op::EditTitle(t, i)),
        (0..2usize, 0..32usize).prop_map(|(t, i)| Op::Delete(t, i)),
        (0..2usize, 0..32usize).prop_map(|(t, i)| Op::Archive(t, i)),
        (0..2usize).prop_map(Op::FailChanges),
        (0..2usize, 0..32usize).prop_map(|(t, i)| Op::LoseReply(t, i)),
        (0..2usize).prop_map(Op::FailObserve),
    ]
}

fn live_identities(t: &FakeTarget) -> Vec<String> {
    t.snapshot()
        .tasks
        .iter()
        .filter(|t| !t.archived)
        .filter_map(|t| t.identity.clone())
        .collect()
}

fn live_entries(t: &FakeTarget) -> Vec<(String, bool)> {
    t.snapshot()
        .tasks
        .iter()
        .filter(|t| !t.archived)
        .flat_map(|t| {
            t.entries
                .iter()
                .filter(|e| !e.archived)
                .filter_map(|e| e.identity.clone().map(|i| (i, e.checked)))
        })
        .collect()
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut model = Model::new(3);
    let mut next_item = 100;
    // The board shows done and blocked (a label), not doing; the sheet all four states.
    let board = FakeTarget::new("board", StateSupport::DoneBlockedOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let tools = [&board, &sheet];
    let mut store = MemoryStore::new();
    let targets = [("board", &board), ("sheet", &sheet)];
    sync(&mut store, &model, &targets);
    // identity → (target, state) of the last status change a person made.
    let mut expected: BTreeMap<String, (usize, State)> = BTreeMap::new();
    // identity → the reason given when a person last blocked it.
    let mut reasons: BTreeMap<String, String> = BTreeMap::new();

    for op in ops {
        match op {
            Op::RenameItem(i) if !model.items.is_empty() => {
                let n = model.items.len();
                model.items[i % n].1.push_str(" (v2)");
            }
            Op::MoveGolive(i, d) if !model.items.is_empty() => {
                let n = model.items.len();
                let g = &mut model.items[i % n].2;
                *g = g.saturating_add(jiff::Span::new().days(d));
            }
            Op::AddItem => {
                model.items.push((
                    format!("new{next_item}"),
                    format!("New {next_item}"),
                    jiff::civil::date(2027, 1, 10),
                ));
                next_item += 1;
            }
            Op::RemoveItem(i) if model.items.len() > 1 => {
                let n = model.items.len();
                model.items.remove(i % n);
            }
            Op::ChangeOwner => {
                model.owner = if model.owner.starts_with("yossi") {
                    "noa@example.com".into()
                } else {
                    "yossi@example.com".into()
                };
            }
            Op::SetState(t, i, s) => {
                let ids = live_identities(tools[t]);
                if ids.is_empty() {
                    continue;
                }
                let id = &ids[i % ids.len()];
                let state = match (t, s) {
                    (0, 0) | (0, 1) => State::Todo, // the board shows no doing
                    (_, 0) => State::Todo,
                    (_, 1) => State::Doing,
                    (_, 2) => State::Done,
                    _ => State::Blocked,
                };
                let now = tools[t].snapshot().task(id).map(|x| x.state);
                if now != Some(state) {
                    if state == State::Blocked {
                        let reason = format!("waiting on {i} in {t}");
                        tools[t].set_blocked(id, Some(&reason));
                        reasons.insert(id.clone(), reason);
                    } else {
                        tools[t].set_state(id, state);
                    }
                    expected.insert(id.clone(), (t, state));
                }
            }
            Op::CheckEntry(t, i, c) => {
                let entries = live_entries(tools[t]);
                if entries.is_empty() {
                    continue;
                }
                let (id, checked) = &entries[i % entries.len()];
                if *checked != c {
                    tools[t].check_entry(id, c);
                    expected.insert(id.clone(), (t, if c { State::Done } else { State::Todo }));
                }
            }
            Op::EditTitle(t, i) => {
                let ids = live_identities(tools[t]);
                if !ids.is_empty() {
                    tools[t].edit_task(&ids[i % ids.len()], |f| f.title.push_str(" (edited)"));
                }
            }
            Op::Delete(t, i) => {
                let ids = live_identities(tools[t]);
                // Deleting the last object makes the target look empty: a safety stop, tested apart.
                if ids.len() > 1 {
                    let id = &ids[i % ids.len()];
                    tools[t].delete(id);
                    expected.retain(|k, (tt, _)| {
                        !(*tt == t && (k == id || k.starts_with(&format!("{id}/"))))
                    });
                }
            }
            Op::Archive(t, i) => {
                let ids = live_identities(tools[t]);
                if !ids.is_empty() {
                    tools[t].archive_task(&ids[i % ids.len()]);
                }
            }
            Op::FailChanges(t) => tools[t].fail_change(
                ChangeFilter::Any,
                ConnectorError::Retryable {
                    message: "503".into(),
                },
            ),
            Op::LoseReply(t, i) => {
                let ids: Vec<String> = model.desired().into_iter().map(|d| d.identity).collect();
                tools[t].lose_reply(
                    ChangeFilter::Identity(ids[i % ids.len()].clone()),
                    ConnectorError::Retryable {
                        message: "reset".into(),
                    },
                );
            }
            Op::FailObserve(t) => tools[t].fail_next_calls(
                1,
                ConnectorError::Retryable {
                    message: "timeout".into(),
                },
            ),
            _ => {}
        }
        // Random removes, deletes and failing calls can add up past the safety stops, which
        // are tested apart (tests/it/safety_stops.rs); here the operator always says yes.
        let options = CycleOptions {
            allow_mass_archive: true,
            allow_mass_create: true,
            allow_recreate: true,
            ..Default::default()
        };
        sync_with(&mut store, &model, &targets, &options)
            .expect("a cycle never errors on tool faults");
    }

    for t in tools {
        t.clear_faults();
    }
    let options = CycleOptions {
        allow_mass_archive: true,
        allow_mass_create: true,
        allow_recreate: true,
        ..Default::default()
    };
    sync_with(&mut store, &model, &targets, &options).unwrap();
    let last = sync_with(&mut store, &model, &targets, &options).unwrap();
    for o in &last.targets {
        let plan = o.plan.as_ref().unwrap();
        prop_assert!(
            plan.changes.is_empty(),
            "{} not converged: {:?}",
            o.target,
            plan.changes
        );
    }

    let desired = model.desired();
    for (n, t) in tools.iter().enumerate() {
        let snap = t.snapshot();
        prop_assert!(
            snap.duplicates().is_empty(),
            "target {n} duplicates {:?}",
            snap.duplicates()
        );
        let caps = t.capabilities();
        for d in &desired {
            let o = snap
                .tasks
                .iter()
                .find(|x| x.identity.as_deref() == Some(&d.identity) && !x.archived);
            let o =
                o.ok_or_else(|| TestCaseError::fail(format!("target {n} lacks {}", d.identity)))?;
            prop_assert_eq!(
                &o.fields,
                &caps.task_fields(&d.fields),
                "target {} fields of {}",
                n,
                d.identity
            );
            let texts: Vec<_> = o
                .entries
                .iter()
                .filter(|e| !e.archived)
                .map(|e| e.fields.text.clone())
                .collect();
            let want: Vec<_> = d.entries.iter().map(|e| e.fields.text.clone()).collect();
            prop_assert_eq!(texts, want);
        }
        for o in &snap.tasks {
            if let Some(id) = &o.identity
                && !desired.iter().any(|d| &d.identity == id)
            {
                prop_assert!(
                    o.archived,
                    "target {n}: {id} left the model but is not archived"
                );
            }
        }
    }

    let hub: BTreeMap<String, State> = store
        .statuses()
        .unwrap()
        .into_iter()
        .map(|s| (s.identity, s.state))
        .collect();
    let hub_reasons: BTreeMap<String, Option<String>> = store
        .statuses()
        .unwrap()
        .into_iter()
        .map(|s| (s.identity, s.reason))
        .collect();
    let conflicts: Vec<String> = store
        .events(None)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::Conflict)
        .filter_map(|e| e.identity)
        .collect();
    let in_model = |id: &str| {
        desired
            .iter()
            .any(|d| id == d.identity || id.starts_with(&format!("{}/", d.identity)))
    };
    for (id, (t, state)) in &expected {
        if !in_model(id) || conflicts.contains(id) {
            continue;
        }
        let hub_state = hub.get(id).copied().unwrap_or(State::Todo);
        let held = tools[*t].capabilities().states;
        let same = held.holds(hub_state) == held.holds(*state);
        if same && *state == State::Blocked {
            let reason = hub_reasons.get(id).cloned().flatten();
            prop_assert_eq!(
                reason.as_ref(),
                reasons.get(id),
                "{}: blocked in target {} with its reason",
                id,
                t
            );
        }
        prop_assert!(
            same,
            "{id}: a person set {state:?} in target {t}, the hub has {hub_state:?} and no conflict was recorded"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn random_edits_and_faults_converge_without_loss(ops in prop::collection::vec(op(), 1..14)) {
        run(ops)?;
    }
}
