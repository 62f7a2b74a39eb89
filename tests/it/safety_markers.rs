//! A marker line copied into another card: the card is not adopted as that task. A marker is
//! trusted only where throughline writes it (the last line, after a blank line, in its exact
//! form), and two objects that both carry one identity, with no link to say which is the
//! task, stop the target with a report instead of a silent pick.

use crate::common;

use std::collections::BTreeMap;

use common::{Model, now};
use throughline::engine::{CycleOptions, CycleReport, TargetRun, run_cycle};
use throughline::model::SyncSettings;
use throughline::reconcile::{DriftPolicy, StopKind};
use throughline::state::{MemoryStore, StateStore};
use throughline_trello::emulator::Emulator;
use throughline_trello::{Secret, TrelloConnector, TrelloSettings};

async fn cycle(store: &mut MemoryStore, model: &Model, emu: &Emulator, board: &str) -> CycleReport {
    let mut s = TrelloSettings::new(
        "studio",
        board,
        Secret::new(emu.key()),
        Secret::new(emu.token()),
    );
    s.base_url = emu.base_url();
    s.people = BTreeMap::from([("yossi@example.com".to_owned(), "yossi".to_owned())]);
    let mut runs = vec![TargetRun {
        id: "studio".into(),
        connector: Box::new(TrelloConnector::new(s).unwrap()),
        desired: model.desired(),
        drift: DriftPolicy::default(),
        people: None,
    }];
    let report = run_cycle(
        store,
        &mut runs,
        &SyncSettings::default(),
        &CycleOptions::default(),
        now(),
    )
    .await
    .expect("the cycle runs");
    assert!(report.targets[0].observe_error.is_none(), "{report:?}");
    report
}

fn writes(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_marker_is_a_reported_stop_not_an_adoption() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("Content");
    emu.add_member(&board, "yossi", "Yossi");
    let model = Model::new(2);
    let mut store = MemoryStore::new();
    let first = cycle(&mut store, &model, &emu, &board).await;
    assert!(first.ok(), "{first:?}");

    let real = emu.person(|p| p.card_with_marker("item0/copy")).unwrap();
    let real_desc = emu.person(|p| p.card(&real)).unwrap().desc;
    let real_item1 = emu.person(|p| p.card_with_marker("item1/copy")).unwrap();
    // A person copies the whole description of item0/copy into a card of their own, marker
    // line and all, and pastes item1/copy's marker line under their notes of another card.
    let (copy, glued) = emu.person(|p| {
        (
            p.add_card("Ideas", "Notes on the copy", &real_desc),
            p.add_card(
                "Ideas",
                "More notes",
                "Remember this one\nthroughline: item1/copy",
            ),
        )
    });

    // The state file is lost.
    let mut store = MemoryStore::new();
    emu.clear_requests();
    let report = cycle(&mut store, &model, &emu, &board).await;
    let outcome = &report.targets[0];
    let plan = outcome.plan.as_ref().unwrap();
    let stop = plan
        .stop
        .as_ref()
        .expect("two cards claim item0/copy: stopped");
    assert_eq!(stop.kind, StopKind::AdoptionConflict);
    assert!(
        stop.reason.contains("item0/copy")
            && stop.reason.contains(&real)
            && stop.reason.contains(&copy),
        "{}",
        stop.reason
    );
    assert!(writes(&emu).is_empty(), "nothing sent: {:?}", writes(&emu));
    let reported: Vec<&str> = plan.unknown.iter().map(|u| u.remote_id.as_str()).collect();
    assert!(reported.contains(&real.as_str()) && reported.contains(&copy.as_str()));
    // A marker glued to the line above is not where throughline writes it: that card is nobody's.
    assert!(!reported.contains(&glued.as_str()), "{reported:?}");
    assert!(!stop.reason.contains("item1/copy"), "{}", stop.reason);

    // The person takes the marker line out of their copy: the real card is adopted, the
    // person's cards are left as they are.
    emu.person(|p| {
        p.edit_card(&copy, |c| {
            *c.desc = c.desc.replace("throughline: item0/copy", "");
        })
    });
    let report = cycle(&mut store, &model, &emu, &board).await;
    assert!(report.ok(), "{report:?}");
    let linked = |identity: &str| {
        store
            .links("studio")
            .unwrap()
            .into_iter()
            .find(|l| l.identity == identity)
            .map(|l| l.remote_id)
    };
    assert_eq!(linked("item0/copy"), Some(real));
    assert_eq!(linked("item1/copy"), Some(real_item1));
    assert_eq!(
        emu.person(|p| p.card(&glued)).unwrap().desc,
        "Remember this one\nthroughline: item1/copy"
    );
    assert!(cycle(&mut store, &model, &emu, &board).await.ok());
}

async fn asana_cycle(
    store: &mut MemoryStore,
    asana: &throughline_asana::emulator::Emulator,
    seeded: &throughline_asana::emulator::Seeded,
) -> CycleReport {
    use throughline_asana::{AsanaAuth, AsanaConnector, AsanaSettings};
    let mut s = AsanaSettings::new(
        "managers",
        seeded.project.clone(),
        seeded.workspace.clone(),
        AsanaAuth::Token(Secret::new(seeded.token.clone())),
    );
    s.base_url = asana.base_url();
    let mut runs = vec![TargetRun {
        id: "managers".into(),
        connector: Box::new(AsanaConnector::new(s).unwrap()),
        desired: common::brief_and_check_tasks(),
        drift: DriftPolicy::default(),
        people: None,
    }];
    run_cycle(
        store,
        &mut runs,
        &SyncSettings::default(),
        &CycleOptions::default(),
        now(),
    )
    .await
    .expect("the cycle runs")
}

/// The same in Asana, where the identity is the notes' last line: a task whose notes were
/// copied, marker and all, from a throughline task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_asana_notes_marker_is_a_reported_stop_not_an_adoption() {
    let asana = throughline_asana::emulator::Emulator::start()
        .await
        .unwrap();
    let seeded = asana.seed();
    let mut store = MemoryStore::new();
    assert!(asana_cycle(&mut store, &asana, &seeded).await.ok());

    let real = asana.task_with_identity("item0/copy").unwrap();
    let notes = asana.task(&real).unwrap()["notes"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(notes.ends_with("throughline: item0/copy"), "{notes:?}");
    let answer = reqwest::Client::new()
        .post(format!("{}/tasks", asana.base_url()))
        .bearer_auth(&seeded.token)
        .json(&serde_json::json!({"data": {
            "name": "My notes on the copy",
            "notes": notes,
            "projects": [seeded.project],
        }}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let copy: serde_json::Value = answer.json().await.unwrap();
    let copy = copy["data"]["gid"].as_str().unwrap().to_owned();

    let mut store = MemoryStore::new();
    asana.clear_requests();
    let report = asana_cycle(&mut store, &asana, &seeded).await;
    let plan = report.targets[0].plan.as_ref().unwrap();
    let stop = plan
        .stop
        .as_ref()
        .expect("two tasks claim item0/copy: stopped");
    assert_eq!(stop.kind, StopKind::AdoptionConflict);
    assert!(
        stop.reason.contains(&real) && stop.reason.contains(&copy),
        "{}",
        stop.reason
    );
    let writes: Vec<String> = asana
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .flat_map(|r| {
            if r.path == "/batch" {
                r.actions
            } else {
                vec![format!("{} {}", r.method, r.path)]
            }
        })
        .filter(|a| !a.starts_with("GET"))
        .collect();
    assert!(writes.is_empty(), "nothing sent: {writes:?}");
    assert_eq!(
        asana.task(&copy).unwrap()["notes"].as_str(),
        Some(notes.as_str())
    );
}
