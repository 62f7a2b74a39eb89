//! Re-adoption without history never overwrites a status silently. A task reopened in one
//! tool, then the state file lost, then a sync: no link says which tool moved, so the tools'
//! disagreement is a conflict, settled by the policy with the tools' own modification times
//! and recorded, instead of the other tool's stale "done" being pushed over the reopen.

use crate::common;

use common::*;
use serde_json::json;
use throughline::engine::{CycleOptions, TargetRun, run_cycle};
use throughline::model::SyncSettings;
use throughline::reconcile::DriftPolicy;
use throughline::state::{EventKind, MemoryStore, StateStore};
use throughline_asana::emulator::{Emulator as Asana, Seeded};
use throughline_asana::{AsanaAuth, AsanaConnector, AsanaSettings};
use throughline_connector::fake::FakeTarget;
use throughline_connector::{State, StateSupport};
use throughline_trello::Secret;

fn conflict_events(store: &MemoryStore, identity: &str) -> usize {
    store
        .events(None)
        .unwrap()
        .iter()
        .filter(|e| e.kind == EventKind::Conflict && e.identity.as_deref() == Some(identity))
        .count()
}

#[test]
fn a_reopen_in_one_fake_tool_survives_the_loss_of_the_state_file() {
    let model = Model::new(2);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let targets = [("board", &board), ("sheet", &sheet)];
    let mut store = MemoryStore::new();
    sync(&mut store, &model, &targets);
    board.set_state("item0/copy", State::Done);
    sync(&mut store, &model, &targets);
    assert_eq!(
        sheet.snapshot().task("item0/copy").unwrap().state,
        State::Done
    );
    // Reopened on the board (its newest change), then the state file is gone.
    board.set_state("item0/copy", State::Todo);
    let mut store = MemoryStore::new();

    let report = sync(&mut store, &model, &targets);
    assert!(report.ok(), "{report:?}");
    let conflict = report
        .conflicts
        .iter()
        .find(|c| c.identity == "item0/copy")
        .expect("the disagreement is a conflict, not a silent pick");
    assert_eq!(conflict.winner.as_deref(), Some("board"));
    assert_eq!(conflict_events(&store, "item0/copy"), 1);
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().state,
        State::Todo
    );
    assert_eq!(
        sheet.snapshot().task("item0/copy").unwrap().state,
        State::Todo
    );
    // Settled: the next cycle has nothing to say.
    let again = sync(&mut store, &model, &targets);
    assert!(again.conflicts.is_empty(), "{:?}", again.conflicts);
    assert!(
        again.status_updates.is_empty(),
        "{:?}",
        again.status_updates
    );
}

fn asana_run(asana: &Asana, seeded: &Seeded) -> TargetRun {
    let mut s = AsanaSettings::new(
        "managers",
        seeded.project.clone(),
        seeded.workspace.clone(),
        AsanaAuth::Token(Secret::new(seeded.token.clone())),
    );
    s.base_url = asana.base_url();
    TargetRun {
        id: "managers".into(),
        connector: Box::new(AsanaConnector::new(s).unwrap()),
        desired: brief_and_check_tasks(),
        drift: DriftPolicy::default(),
        people: None,
    }
}

async fn cycle(
    store: &mut MemoryStore,
    asana: &Asana,
    seeded: &Seeded,
    sheet: &FakeTarget,
) -> throughline::engine::CycleReport {
    let mut runs = vec![
        asana_run(asana, seeded),
        TargetRun {
            id: "sheet".into(),
            connector: Box::new(sheet.connector()),
            desired: brief_and_check_tasks(),
            drift: DriftPolicy::default(),
            people: None,
        },
    ];
    let report = run_cycle(
        store,
        &mut runs,
        &SyncSettings::default(),
        &CycleOptions::default(),
        now(),
    )
    .await
    .expect("the cycle runs");
    assert!(report.ok(), "{report:?}");
    report
}

async fn set_completed(asana: &Asana, token: &str, identity: &str, completed: bool) {
    let gid = asana.task_with_identity(identity).unwrap();
    let answer = reqwest::Client::new()
        .put(format!("{}/tasks/{gid}", asana.base_url()))
        .bearer_auth(token)
        .json(&json!({"data": {"completed": completed}}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
}

fn completed(asana: &Asana, identity: &str) -> bool {
    let gid = asana.task_with_identity(identity).unwrap();
    asana.task(&gid).unwrap()["completed"].as_bool().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopen_in_asana_survives_the_loss_of_the_state_file() {
    let asana = Asana::start().await.unwrap();
    let seeded = asana.seed();
    let ben = asana.personal_token(&asana.user_by_email("ben@example.com").unwrap());
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    cycle(&mut store, &asana, &seeded, &sheet).await;

    // Ben completes the task in Asana; the sheet follows.
    set_completed(&asana, &ben, "item0/copy", true).await;
    cycle(&mut store, &asana, &seeded, &sheet).await;
    assert_eq!(
        sheet.snapshot().task("item0/copy").unwrap().state,
        State::Done
    );

    // Ben reopens it; then the state file is lost.
    set_completed(&asana, &ben, "item0/copy", false).await;
    let mut store = MemoryStore::new();
    let report = cycle(&mut store, &asana, &seeded, &sheet).await;

    assert!(
        !completed(&asana, "item0/copy"),
        "the sheet's stale done was pushed over Ben's reopen"
    );
    let conflict = report
        .conflicts
        .iter()
        .find(|c| c.identity == "item0/copy")
        .expect("recorded as a conflict");
    assert_eq!(
        conflict.winner.as_deref(),
        Some("managers"),
        "Asana's change is the newer"
    );
    assert_eq!(conflict_events(&store, "item0/copy"), 1);
    assert_eq!(
        sheet.snapshot().task("item0/copy").unwrap().state,
        State::Todo
    );
}
