//! End to end with the engine: a tick in Trello (the emulator) appears in the Excel workbook in
//! the same cycle, and a tick in the workbook appears in Trello.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Model, now};
use throughline::engine::{CycleOptions, TargetRun, run_cycle};
use throughline::model::SyncSettings;
use throughline::reconcile::DriftPolicy;
use throughline::state::MemoryStore;
use throughline_connector::{Change, Connector, State};
use throughline_excel::{ExcelConnector, ExcelMapping};
use throughline_trello::emulator::Emulator;
use throughline_trello::{Secret, TrelloConnector, TrelloSettings};

fn runs(model: &Model, emu: &Emulator, board: &str, workbook: &Path) -> Vec<TargetRun> {
    let mut s = TrelloSettings::new(
        "studio",
        board,
        Secret::new(emu.key()),
        Secret::new(emu.token()),
    );
    s.base_url = emu.base_url();
    s.timezone = jiff::tz::TimeZone::get("Asia/Jerusalem").unwrap();
    s.people = BTreeMap::from([("yossi@example.com".to_owned(), "yossi".to_owned())]);
    vec![
        TargetRun {
            id: "studio".into(),
            connector: Box::new(TrelloConnector::new(s).unwrap()),
            desired: model.desired(),
            drift: DriftPolicy::default(),
            people: None,
        },
        TargetRun {
            id: "workbook".into(),
            connector: Box::new(ExcelConnector::new(
                "workbook",
                workbook,
                ExcelMapping::default(),
            )),
            desired: model.desired(),
            drift: DriftPolicy::default(),
            people: None,
        },
    ]
}

async fn cycle(store: &mut MemoryStore, model: &Model, emu: &Emulator, board: &str, wb: &Path) {
    let mut r = runs(model, emu, board, wb);
    let report = run_cycle(
        store,
        &mut r,
        &SyncSettings::default(),
        &CycleOptions::default(),
        now(),
    )
    .await
    .expect("the cycle runs");
    for t in &report.targets {
        assert!(t.observe_error.is_none(), "{t:?}");
    }
}

/// (checked) of an entry and (state) of a task as the workbook shows them.
async fn in_workbook(wb: &Path, task: &str, entry: &str) -> (State, bool) {
    let obs = ExcelConnector::new("workbook", wb, ExcelMapping::default())
        .observe(None)
        .await
        .unwrap();
    let t = obs
        .tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some(task))
        .unwrap();
    let e = t
        .entries
        .iter()
        .find(|e| e.identity.as_deref() == Some(entry))
        .unwrap();
    (t.state, e.checked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_in_trello_reaches_the_workbook_in_the_same_cycle_and_back() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("Content");
    emu.add_member(&board, "yossi", "Yossi Cohen");
    let dir = tempfile::tempdir().unwrap();
    let wb = dir.path().join("plan.xlsx");
    let model = Model::new(2);
    let mut store = MemoryStore::new();

    cycle(&mut store, &model, &emu, &board, &wb).await;
    let cards = emu.person(|p| p.cards(&board));
    assert_eq!(
        cards
            .iter()
            .filter(|c| c.list != "throughline templates")
            .count(),
        4
    );
    assert_eq!(
        in_workbook(&wb, "item0/copy", "item0/copy/brief").await,
        (State::Todo, false)
    );

    // A designer ticks an item and completes a card in Trello.
    emu.person(|p| {
        let card = p.card_with_marker("item0/copy").unwrap();
        assert!(p.set_item(&card, "brief for Item 0", true));
        let done = p.card_with_marker("item1/design").unwrap();
        p.set_due_complete(&done, true);
    });
    cycle(&mut store, &model, &emu, &board, &wb).await;
    assert_eq!(
        in_workbook(&wb, "item0/copy", "item0/copy/brief").await,
        (State::Todo, true)
    );
    assert_eq!(
        in_workbook(&wb, "item1/design", "item1/design/brief")
            .await
            .0,
        State::Done
    );

    // A writer ticks an item in the workbook (through the workbook's own connector, as Excel
    // would save it).
    let mut excel = ExcelConnector::new("workbook", &wb, ExcelMapping::default());
    let obs = excel.observe(None).await.unwrap();
    let t = obs
        .tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some("item1/copy"))
        .unwrap();
    let e = t
        .entries
        .iter()
        .find(|e| e.identity.as_deref() == Some("item1/copy/check"))
        .unwrap();
    let r = excel
        .apply(&[Change::UpdateEntry {
            parent_remote_id: t.remote_id.clone(),
            remote_id: e.remote_id.clone(),
            identity: "item1/copy/check".into(),
            fields: None,
            checked: Some(true),
            unarchive: false,
        }])
        .await;
    assert!(r[0].is_ok(), "{r:?}");
    cycle(&mut store, &model, &emu, &board, &wb).await;
    let ticked = emu.person(|p| {
        let card = p.card_with_marker("item1/copy").unwrap();
        p.card(&card).unwrap().checklists[0]
            .1
            .iter()
            .find(|(_, name, _)| name == "check for Item 1")
            .map(|(_, _, done)| *done)
    });
    assert_eq!(ticked, Some(true), "the workbook's tick reached Trello");

    // Nothing left to do: a further cycle sends no write to Trello.
    emu.clear_requests();
    cycle(&mut store, &model, &emu, &board, &wb).await;
    let writes: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}
