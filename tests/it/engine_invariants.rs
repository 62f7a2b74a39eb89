//! The guarantees of docs/sync.md, each with its own test, against the fake connector.
//! (The same invariants against the Excel connector are in `tests/it/excel_sync.rs`.)

use crate::common;

use common::*;
use throughline::engine::CycleOptions;
use throughline::reconcile::{ChangeKind, DriftAction, DriftPolicy};
use throughline::state::{EventKind, MemoryStore, StateStore};
use throughline_connector::fake::{ChangeFilter, FakeTarget};
use throughline_connector::{ConnectorError, State, StateSupport};

fn retryable() -> ConnectorError {
    ConnectorError::Retryable {
        message: "502 Bad Gateway".into(),
    }
}

// 1. Idempotent.
#[test]
fn second_sync_plans_nothing_and_sends_no_writes() {
    let model = Model::new(3);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    let first = sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    assert!(first.ok());
    assert_eq!(board.snapshot().tasks.len(), 6);
    board.reset_calls();
    sheet.reset_calls();
    let second = sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    for t in &second.targets {
        let plan = t.plan.as_ref().unwrap();
        assert!(plan.changes.is_empty(), "{}: {:?}", t.target, plan.changes);
        assert!(
            plan.bookkeeping.is_empty(),
            "{}: {:?}",
            t.target,
            plan.bookkeeping
        );
    }
    assert_eq!(board.calls().apply, 0);
    assert_eq!(sheet.calls().apply, 0);
    assert_eq!(board.calls().observe, 1, "observing is one call per cycle");
}

// 2. No duplicates, even after a crash.
#[test]
fn lost_reply_on_create_is_adopted_not_duplicated() {
    let model = Model::new(2);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    board.lose_reply(ChangeFilter::Identity("item1/copy".into()), retryable());
    let mut store = MemoryStore::new();
    let first = sync(&mut store, &model, &[("board", &board)]);
    assert_eq!(first.targets[0].failed.len(), 1);
    assert_eq!(
        store.intents("board").unwrap().len(),
        1,
        "the intent stays until the object is linked"
    );
    board.clear_faults();
    let second = sync(&mut store, &model, &[("board", &board)]);
    assert!(second.ok());
    assert!(
        board.snapshot().duplicates().is_empty(),
        "{:?}",
        board.snapshot().duplicates()
    );
    assert!(store.intents("board").unwrap().is_empty());
    let third = sync(&mut store, &model, &[("board", &board)]);
    assert!(third.targets[0].plan.as_ref().unwrap().changes.is_empty());
}

#[test]
fn crash_at_every_step_gives_the_same_end_state() {
    // A scenario with creates, updates, archives and pulls across two targets.
    let setup = || {
        let model = Model::new(4);
        let board = FakeTarget::new("board", StateSupport::DoneOrNot);
        let sheet = FakeTarget::new("sheet", StateSupport::Full);
        let mut store = MemoryStore::new();
        sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
        // Between cycles: the model moves on, people work in both tools.
        let mut next = model.clone();
        next.items.remove(0); // archive
        next.items.push((
            "item9".into(),
            "Item 9".into(),
            jiff::civil::date(2027, 1, 5),
        )); // create
        next.items[0].1 = "Item 1 renamed".into(); // update
        next.owner = "noa@example.com".into(); // update everywhere
        board.set_actor(Some("dana@example.com"));
        board.set_state("item2/copy", State::Done); // pull
        sheet.check_entry("item3/design/brief", true); // pull
        sheet.set_state("item3/copy", State::Doing); // pull
        (next, board, sheet, store)
    };
    let (model, board, sheet, mut store) = setup();
    let clean = sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    assert!(clean.ok());
    let expected = (
        board.snapshot().content(),
        sheet.snapshot().content(),
        store.statuses().unwrap(),
    );

    let mut k = 0;
    loop {
        let (model, board, sheet, mut store) = setup();
        let options = CycleOptions {
            stop_after: Some(k),
            ..Default::default()
        };
        let crashed = sync_with(
            &mut store,
            &model,
            &[("board", &board), ("sheet", &sheet)],
            &options,
        );
        let finished = crashed.is_ok();
        // Restart: fresh connectors on the same tools, the same store.
        sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
        let got = (
            board.snapshot().content(),
            sheet.snapshot().content(),
            store.statuses().unwrap(),
        );
        assert!(
            board.snapshot().duplicates().is_empty(),
            "crash after step {k}: duplicates on board"
        );
        assert!(
            sheet.snapshot().duplicates().is_empty(),
            "crash after step {k}: duplicates on sheet"
        );
        assert_eq!(got.0, expected.0, "crash after step {k}: board differs");
        assert_eq!(got.1, expected.1, "crash after step {k}: sheet differs");
        let states = |v: &Vec<throughline::state::StatusRecord>| {
            v.iter()
                .map(|s| (s.identity.clone(), s.state))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            states(&got.2),
            states(&expected.2),
            "crash after step {k}: hub status differs"
        );
        if finished {
            break;
        }
        k += 1;
    }
    assert!(k >= 5, "the scenario should have several steps, had {k}");
}

// 3. Nothing is lost.
#[test]
fn a_tick_in_one_tool_reaches_the_other_in_the_same_cycle() {
    let model = Model::new(2);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    board.set_actor(Some("dana@example.com"));
    board.set_state("item0/copy", State::Done);
    board.check_entry("item1/design/check", true);
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    let snap = sheet.snapshot();
    assert_eq!(snap.task("item0/copy").unwrap().state, State::Done);
    let entry = snap
        .task("item1/design")
        .unwrap()
        .entries
        .iter()
        .find(|e| e.identity.as_deref() == Some("item1/design/check"))
        .unwrap();
    assert!(entry.checked);
    // The tick was not pushed back over, and the hub knows who and where.
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().state,
        State::Done
    );
    let history = store.status_history("item0/copy").unwrap();
    assert_eq!(
        history.last().unwrap().source_target.as_deref(),
        Some("board")
    );
    assert_eq!(
        history.last().unwrap().source_person.as_deref(),
        Some("dana@example.com")
    );
}

#[test]
fn doing_in_a_status_column_survives_a_done_or_not_tool() {
    let model = Model::new(1);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    sheet.set_state("item0/copy", State::Doing);
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    assert_eq!(
        sheet.snapshot().task("item0/copy").unwrap().state,
        State::Doing
    );
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().state,
        State::Todo
    );
}

#[test]
fn a_failed_call_leaves_the_link_as_it_was() {
    let model = Model::new(2);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board)]);
    let before = store.links("board").unwrap();
    let mut moved = model.clone();
    moved.items[0].2 = jiff::civil::date(2026, 12, 20);
    board.fail_changes(ChangeFilter::Any, retryable());
    let report = sync(&mut store, &moved, &[("board", &board)]);
    assert!(!report.targets[0].failed.is_empty());
    assert_eq!(store.links("board").unwrap(), before);
    board.clear_faults();
    sync(&mut store, &moved, &[("board", &board)]);
    let due = board.snapshot().task("item0/copy").unwrap().fields.due;
    assert_eq!(due, Some(jiff::civil::date(2026, 12, 18)));
}

#[test]
fn one_failing_target_does_not_stop_the_others() {
    let model = Model::new(1);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    board.fail_next_calls(
        1,
        ConnectorError::Auth {
            message: "invalid token".into(),
        },
    );
    let report = sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    assert!(matches!(
        report.targets[0].observe_error,
        Some(ConnectorError::Auth { .. })
    ));
    assert!(report.targets[1].ok());
    assert_eq!(sheet.snapshot().tasks.len(), 2);
    assert!(board.snapshot().tasks.is_empty());
}

#[test]
fn a_tick_in_a_target_that_cannot_be_written_is_kept_for_later() {
    let model = Model::new(1);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    board.set_state("item0/copy", State::Done);
    sheet.fail_changes(ChangeFilter::Any, retryable());
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    assert_eq!(
        sheet.snapshot().task("item0/copy").unwrap().state,
        State::Todo
    );
    sheet.clear_faults();
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    assert_eq!(
        sheet.snapshot().task("item0/copy").unwrap().state,
        State::Done
    );
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().state,
        State::Done
    );
}

// 4. Never destroy.
#[test]
fn items_removed_from_the_model_are_archived_not_deleted() {
    let model = Model::new(8);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board)]);
    let mut smaller = model.clone();
    smaller.items.remove(0);
    let report = sync(&mut store, &smaller, &[("board", &board)]);
    assert!(report.ok());
    let snap = board.snapshot();
    assert_eq!(snap.tasks.len(), 16, "nothing deleted");
    assert!(snap.task("item0/copy").unwrap().archived);
    assert!(!snap.task("item1/copy").unwrap().archived);
}

#[test]
fn a_target_that_suddenly_looks_empty_is_stopped() {
    let model = Model::new(2);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board)]);
    board.empty_observations(1);
    board.reset_calls();
    let report = sync(&mut store, &model, &[("board", &board)]);
    assert!(
        report.targets[0]
            .stopped
            .as_ref()
            .unwrap()
            .contains("suddenly looks empty")
    );
    assert_eq!(board.calls().apply, 0, "nothing sent");
    assert_eq!(board.snapshot().tasks.len(), 4);
    let events = store.events(None).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == EventKind::SafetyStop && e.target.as_deref() == Some("board"))
    );
}

#[test]
fn archiving_more_than_the_allowed_share_is_stopped() {
    let model = Model::new(4);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board)]);
    let mut half = model.clone();
    half.items.truncate(2);
    board.reset_calls();
    let report = sync(&mut store, &half, &[("board", &board)]);
    assert!(
        report.targets[0]
            .stopped
            .as_ref()
            .unwrap()
            .contains("would archive 4 of 8")
    );
    assert_eq!(board.calls().apply, 0);
    let allowed = sync_with(
        &mut store,
        &half,
        &[("board", &board)],
        &CycleOptions {
            allow_mass_archive: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(allowed.ok());
    assert_eq!(
        board.snapshot().tasks.iter().filter(|t| t.archived).count(),
        4
    );
}

#[test]
fn a_deleted_object_is_made_again_and_its_status_kept() {
    let model = Model::new(1);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    sheet.set_state("item0/copy", State::Done);
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    board.delete("item0/copy");
    let report = sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    let plan = report.targets[0].plan.as_ref().unwrap();
    assert!(plan.changes.iter().any(|c| c.kind == ChangeKind::Recreate));
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().state,
        State::Done
    );
}

// 5. Honest about conflicts and drift.
#[test]
fn conflicts_are_settled_by_policy_and_recorded() {
    let model = Model::new(1);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    board.set_actor(Some("dana@example.com"));
    board.set_state("item0/copy", State::Done);
    sheet.set_actor(Some("yossi@example.com"));
    // Each fake tool has its own clock, one tick per write: two writes make the sheet's newest.
    sheet.set_state("item0/copy", State::Done);
    sheet.set_state("item0/copy", State::Doing);
    let report = sync(&mut store, &model, &[("board", &board), ("sheet", &sheet)]);
    assert_eq!(report.conflicts.len(), 1);
    assert_eq!(report.conflicts[0].winner.as_deref(), Some("sheet"));
    let events = store.events(None).unwrap();
    let conflict = events
        .iter()
        .find(|e| e.kind == EventKind::Conflict)
        .expect("recorded");
    assert_eq!(conflict.identity.as_deref(), Some("item0/copy"));
    assert!(
        conflict
            .detail
            .contains("board said done (dana@example.com)"),
        "{}",
        conflict.detail
    );
    assert!(
        conflict.resolution.contains("sheet won"),
        "{}",
        conflict.resolution
    );
    // Every tool shows the winner.
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().state,
        State::Todo
    );
    assert_eq!(
        sheet.snapshot().task("item0/copy").unwrap().state,
        State::Doing
    );
}

#[test]
fn drift_is_reverted_and_recorded_with_who_and_where() {
    let model = Model::new(1);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &[("board", &board)]);
    board.set_actor(Some("dana@example.com"));
    board.edit_task("item0/copy", |f| {
        f.due = Some(jiff::civil::date(2026, 12, 31))
    });
    let plan = sync_with(
        &mut store,
        &model,
        &[("board", &board)],
        &CycleOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .unwrap();
    let drift = &plan.targets[0].plan.as_ref().unwrap().drift;
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].field, "due");
    sync(&mut store, &model, &[("board", &board)]);
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().fields.due,
        Some(jiff::civil::date(2026, 12, 8))
    );
    let e = store
        .events(None)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EventKind::Drift)
        .unwrap();
    assert_eq!(
        (
            e.target.as_deref(),
            e.person.as_deref(),
            e.resolution.as_str()
        ),
        (Some("board"), Some("dana@example.com"), "reverted")
    );
}

#[test]
fn accepted_drift_reaches_every_other_tool() {
    let model = Model::new(1);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    let mut policy = DriftPolicy::default();
    policy.fields.insert("due".into(), DriftAction::Accept);
    let cycle = |store: &mut MemoryStore, model: &Model| {
        let mut runs = run_for(model, &[("board", &board), ("sheet", &sheet)], &policy);
        block_on(throughline::engine::run_cycle(
            store,
            &mut runs,
            &Default::default(),
            &CycleOptions::default(),
            now(),
        ))
        .unwrap()
    };
    cycle(&mut store, &model);
    let moved = jiff::civil::date(2026, 12, 9);
    board.edit_task("item0/copy", |f| f.due = Some(moved));
    cycle(&mut store, &model);
    assert_eq!(
        sheet.snapshot().task("item0/copy").unwrap().fields.due,
        Some(moved)
    );
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().fields.due,
        Some(moved)
    );
    board.reset_calls();
    sheet.reset_calls();
    cycle(&mut store, &model);
    assert_eq!(board.calls().apply + sheet.calls().apply, 0, "settled");
    // The playbook changes the date: the playbook wins again.
    let mut later = model.clone();
    later.items[0].2 = jiff::civil::date(2026, 12, 24);
    cycle(&mut store, &later);
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().fields.due,
        Some(jiff::civil::date(2026, 12, 22))
    );
}

#[test]
fn plan_writes_nothing() {
    let model = Model::new(2);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    let report = sync_with(
        &mut store,
        &model,
        &[("board", &board)],
        &CycleOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(report.targets[0].plan.as_ref().unwrap().counts(), (4, 0, 0));
    assert_eq!(board.calls().apply, 0);
    assert_eq!(store, MemoryStore::new());
}

#[test]
fn objects_made_by_a_stopped_cycle_are_adopted_and_updated_in_the_sqlite_store() {
    // The real store checks that an entry's link never comes before its task's.
    let dir = tempfile::tempdir().unwrap();
    let mut store = throughline::state::SqliteStore::open(&dir.path().join("state.db")).unwrap();
    let model = Model::new(1);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    // Step 1 journals the intents, step 2 sends the creates; stop before the links are written.
    let stopped = sync_with(
        &mut store,
        &model,
        &[("board", &board)],
        &CycleOptions {
            stop_after: Some(2),
            ..Default::default()
        },
    );
    assert!(stopped.is_err());
    assert_eq!(board.snapshot().tasks.len(), 2, "the creates went through");
    assert!(
        store.links("board").unwrap().is_empty(),
        "but nothing was linked"
    );
    // Meanwhile the playbook gives the tasks another owner: the adopted tasks need an update,
    // their checklist entries do not.
    let mut moved = model.clone();
    moved.owner = "noa@example.com".into();
    let report = sync(&mut store, &moved, &[("board", &board)]);
    assert!(report.ok());
    assert!(board.snapshot().duplicates().is_empty());
    assert_eq!(
        board
            .snapshot()
            .task("item0/copy")
            .unwrap()
            .fields
            .owner
            .as_deref(),
        Some("noa@example.com")
    );
    assert_eq!(
        store.links("board").unwrap().len(),
        6,
        "tasks and entries all linked"
    );
    assert!(store.intents("board").unwrap().is_empty());
    let again = sync(&mut store, &moved, &[("board", &board)]);
    assert!(again.targets[0].plan.as_ref().unwrap().changes.is_empty());
}
