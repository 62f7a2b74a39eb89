//! End to end with the sync engine and three targets at once: completing a subtask in Asana
//! ticks the same checklist entry in Trello and in the Excel workbook in the same cycle.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;
use throughline::engine::{CycleOptions, TargetRun, run_cycle};
use throughline::model::SyncSettings;
use throughline::reconcile::DriftPolicy;
use throughline::state::MemoryStore;
use throughline_asana::emulator::{Emulator as Asana, Seeded};
use throughline_asana::{AsanaAuth, AsanaConnector, AsanaSettings};
use throughline_connector::Connector;
use throughline_excel::{ExcelConnector, ExcelMapping};
use throughline_trello::emulator::Emulator as Trello;
use throughline_trello::{Secret, TrelloConnector, TrelloSettings};

fn asana_connector(asana: &Asana, seeded: &Seeded) -> AsanaConnector {
    let mut s = AsanaSettings::new(
        "managers",
        seeded.project.clone(),
        seeded.workspace.clone(),
        AsanaAuth::Token(Secret::new(seeded.token.clone())),
    );
    s.base_url = asana.base_url();
    s.timezone = jiff::tz::TimeZone::get("Asia/Jerusalem").unwrap();
    AsanaConnector::new(s).unwrap()
}

fn runs(asana: &(Asana, Seeded), trello: &Trello, board: &str, workbook: &Path) -> Vec<TargetRun> {
    let mut t = TrelloSettings::new(
        "studio",
        board,
        Secret::new(trello.key()),
        Secret::new(trello.token()),
    );
    t.base_url = trello.base_url();
    t.timezone = jiff::tz::TimeZone::get("Asia/Jerusalem").unwrap();
    t.people = BTreeMap::from([("ana@example.com".to_owned(), "ana".to_owned())]);
    let run = |id: &str, connector: Box<dyn Connector>| TargetRun {
        id: id.to_owned(),
        connector,
        desired: common::brief_and_check_tasks(),
        drift: DriftPolicy::default(),
        people: None,
    };
    vec![
        run("managers", Box::new(asana_connector(&asana.0, &asana.1))),
        run("studio", Box::new(TrelloConnector::new(t).unwrap())),
        run(
            "workbook",
            Box::new(ExcelConnector::new(
                "workbook",
                workbook,
                ExcelMapping::default(),
            )),
        ),
    ]
}

async fn cycle(
    store: &mut MemoryStore,
    asana: &(Asana, Seeded),
    trello: &Trello,
    board: &str,
    wb: &Path,
) {
    let mut r = runs(asana, trello, board, wb);
    let report = run_cycle(
        store,
        &mut r,
        &SyncSettings::default(),
        &CycleOptions::default(),
        "2026-12-01T08:00:00Z".parse().unwrap(),
    )
    .await
    .expect("the cycle runs");
    for t in &report.targets {
        assert!(t.observe_error.is_none(), "{t:?}");
    }
}

async fn in_workbook(wb: &Path, entry: &str) -> bool {
    let obs = ExcelConnector::new("workbook", wb, ExcelMapping::default())
        .observe(None)
        .await
        .unwrap();
    obs.tasks
        .iter()
        .flat_map(|t| &t.entries)
        .find(|e| e.identity.as_deref() == Some(entry))
        .unwrap()
        .checked
}

fn in_trello(trello: &Trello, task: &str, item_name: &str) -> Option<bool> {
    trello.person(|p| {
        let card = p.card_with_marker(task)?;
        p.card(&card)?
            .checklists
            .first()?
            .1
            .iter()
            .find(|(_, name, _)| name == item_name)
            .map(|(_, _, done)| *done)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_a_subtask_in_asana_ticks_the_entry_in_trello_and_the_workbook_in_one_cycle() {
    let emu = Asana::start().await.unwrap();
    let seeded = emu.seed();
    let ben = emu.personal_token(&emu.user_by_email("ben@example.com").unwrap());
    let asana = (emu, seeded);
    let trello = Trello::start().await.unwrap();
    let board = trello.seed_board("Content");
    trello.add_member(&board, "ana", "Ana");
    let dir = tempfile::tempdir().unwrap();
    let wb = dir.path().join("plan.xlsx");
    let mut store = MemoryStore::new();

    cycle(&mut store, &asana, &trello, &board, &wb).await;
    assert_eq!(asana.0.project_tasks(&asana.1.project).len(), 4);
    assert_eq!(
        in_trello(&trello, "item0/copy", "brief for Item 0"),
        Some(false)
    );
    assert!(!in_workbook(&wb, "item0/copy/brief").await);

    // Ben ticks the subtask "brief for Item 0" in Asana.
    let sub = asana.0.task_with_identity("item0/copy/brief").unwrap();
    let answer = reqwest::Client::new()
        .put(format!("{}/tasks/{sub}", asana.0.base_url()))
        .bearer_auth(&ben)
        .json(&json!({"data": {"completed": true}}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());

    // One cycle later it is ticked in Trello and in the workbook.
    cycle(&mut store, &asana, &trello, &board, &wb).await;
    assert_eq!(
        in_trello(&trello, "item0/copy", "brief for Item 0"),
        Some(true)
    );
    assert!(in_workbook(&wb, "item0/copy/brief").await);
    assert_eq!(
        in_trello(&trello, "item0/copy", "check for Item 0"),
        Some(false)
    );
    assert!(!in_workbook(&wb, "item0/copy/check").await);

    // And nothing is left to do: the next cycle writes nothing to Asana.
    asana.0.clear_requests();
    cycle(&mut store, &asana, &trello, &board, &wb).await;
    let writes: Vec<_> = asana
        .0
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && r.actions.iter().any(|a| !a.starts_with("GET")))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(
        asana.0.requests().len(),
        1,
        "a quiet cycle costs Asana one events request"
    );
}
