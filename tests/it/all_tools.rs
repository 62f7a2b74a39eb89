//! Every kind of tool at once — Asana, Trello and Google Sheets on their emulators, and an Excel
//! workbook — driven by the sync engine: a tick made in any one of them is in all the others
//! after one cycle, and the cycle after that has nothing left to do.

use crate::common;

use std::collections::BTreeMap;

use serde_json::json;
use throughline::engine::{CycleOptions, CycleReport, TargetRun, run_cycle};
use throughline::model::SyncSettings;
use throughline::reconcile::DriftPolicy;
use throughline::state::MemoryStore;
use throughline_asana::emulator::{Emulator as Asana, Seeded};
use throughline_asana::{AsanaAuth, AsanaConnector, AsanaSettings};
use throughline_connector::http::Secret;
use throughline_connector::{Change, Connector};
use throughline_excel::{ExcelConnector, ExcelMapping};
use throughline_sheets::emulator::Emulator as Sheets;
use throughline_sheets::{ROW_KEY, SheetsAuth, SheetsConnector, SheetsSettings};
use throughline_trello::emulator::Emulator as Trello;
use throughline_trello::{TrelloConnector, TrelloSettings};

pub(crate) const TARGETS: [&str; 4] = ["managers", "studio", "writers", "workbook"];

pub(crate) fn tz() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Jerusalem").unwrap()
}

pub(crate) struct Tools {
    pub(crate) asana: (Asana, Seeded),
    pub(crate) trello: Trello,
    pub(crate) board: String,
    pub(crate) sheets: Sheets,
    pub(crate) spreadsheet: String,
    pub(crate) workbook: std::path::PathBuf,
}

impl Tools {
    /// The four tools, fresh: Asana's seeded project, a Trello board with Ana on it, an empty
    /// spreadsheet, and a workbook (not made yet) in `dir`.
    pub(crate) async fn start(dir: &std::path::Path) -> Tools {
        let asana = Asana::start().await.unwrap();
        let seeded = asana.seed();
        let trello = Trello::start().await.unwrap();
        let board = trello.seed_board("Content");
        trello.add_member(&board, "ana", "Ana");
        let sheets = Sheets::start().await.unwrap();
        let spreadsheet = sheets.create_spreadsheet("Writers' tracker");
        Tools {
            asana: (asana, seeded),
            trello,
            board,
            sheets,
            spreadsheet,
            workbook: dir.join("plan.xlsx"),
        }
    }

    /// A personal access token of Ben, who works in the Asana project.
    pub(crate) fn ben(&self) -> String {
        let asana = &self.asana.0;
        asana.personal_token(&asana.user_by_email("ben@example.com").unwrap())
    }

    /// Fresh connectors, as after a restart, in `TARGETS` order.
    pub(crate) fn connectors(&self) -> Vec<Box<dyn Connector>> {
        let mut a = AsanaSettings::new(
            "managers",
            self.asana.1.project.clone(),
            self.asana.1.workspace.clone(),
            AsanaAuth::Token(Secret::new(self.asana.1.token.clone())),
        );
        a.base_url = self.asana.0.base_url();
        a.timezone = tz();
        let mut t = TrelloSettings::new(
            "studio",
            &self.board,
            Secret::new(self.trello.key()),
            Secret::new(self.trello.token()),
        );
        t.base_url = self.trello.base_url();
        t.timezone = tz();
        t.people = BTreeMap::from([("ana@example.com".to_owned(), "ana".to_owned())]);
        let mut s = SheetsSettings::new(
            "writers",
            self.spreadsheet.clone(),
            SheetsAuth::Token(Secret::new(self.sheets.access_token())),
        )
        .with_base_url(&self.sheets.base_url());
        s.timezone = tz();
        vec![
            Box::new(AsanaConnector::new(a).unwrap()),
            Box::new(TrelloConnector::new(t).unwrap()),
            Box::new(SheetsConnector::new(s).unwrap()),
            Box::new(ExcelConnector::new(
                "workbook",
                &self.workbook,
                ExcelMapping::default(),
            )),
        ]
    }

    pub(crate) async fn cycle(&self, store: &mut MemoryStore) -> CycleReport {
        let mut runs: Vec<TargetRun> = TARGETS
            .iter()
            .zip(self.connectors())
            .map(|(id, connector)| TargetRun {
                id: id.to_string(),
                connector,
                desired: common::brief_and_check_tasks(),
                drift: DriftPolicy::default(),
                people: None,
            })
            .collect();
        let report = run_cycle(
            store,
            &mut runs,
            &SyncSettings::default(),
            &CycleOptions::default(),
            "2026-12-01T08:00:00Z".parse().unwrap(),
        )
        .await
        .expect("the cycle runs");
        for t in &report.targets {
            assert!(
                t.ok(),
                "{}: {:?} {:?} {:?}",
                t.target,
                t.observe_error,
                t.stopped,
                t.failed
            );
        }
        report
    }

    /// Whether each tool shows the entry ticked, in `TARGETS` order.
    async fn ticked(&self, entry: &str) -> Vec<bool> {
        let mut out = Vec::new();
        for mut c in self.connectors() {
            let obs = c.observe(None).await.unwrap();
            let e = obs
                .tasks
                .iter()
                .flat_map(|t| &t.entries)
                .find(|e| e.identity.as_deref() == Some(entry));
            out.push(
                e.unwrap_or_else(|| panic!("{} has no {entry}", c.target()))
                    .checked,
            );
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_in_any_tool_reaches_every_other_tool_in_one_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let tools = Tools::start(dir.path()).await;
    let ben = tools.ben();
    let mut store = MemoryStore::new();

    tools.cycle(&mut store).await;
    assert_eq!(tools.ticked("item0/copy/brief").await, [false; 4]);

    // In Google Sheets: a writer ticks the Done box on the entry's row (found by its metadata).
    tools.sheets.person(&tools.spreadsheet, |p| {
        let (tab, row) = p
            .rows_with_metadata(ROW_KEY, "item0/copy/brief")
            .pop()
            .expect("the row carries its identity");
        let header = p.values(
            &format!("'{tab}'!1:1"),
            throughline_sheets::emulator::Render::Formatted,
        );
        let done = header[0]
            .iter()
            .position(|h| h == "Done")
            .expect("a Done column");
        let col = char::from(b'A' + done as u8);
        p.type_in(
            &format!("'{tab}'!{col}{}", row + 1),
            vec![vec![json!(true)]],
        )
        .unwrap();
    });
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.ticked("item0/copy/brief").await,
        [true; 4],
        "from Sheets to all (order: {TARGETS:?})"
    );

    // In Trello: a designer ticks the check item.
    tools.trello.person(|p| {
        let card = p.card_with_marker("item1/design").unwrap();
        assert!(p.set_item(&card, "check for Item 1", true));
    });
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.ticked("item1/design/check").await,
        [true; 4],
        "from Trello to all"
    );

    // In Asana: Ben completes a subtask.
    let sub = tools
        .asana
        .0
        .task_with_identity("item0/design/brief")
        .unwrap();
    let answer = reqwest::Client::new()
        .put(format!("{}/tasks/{sub}", tools.asana.0.base_url()))
        .bearer_auth(&ben)
        .json(&json!({"data": {"completed": true}}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.ticked("item0/design/brief").await,
        [true; 4],
        "from Asana to all"
    );

    // In the workbook: another program ticks an entry (the file changes under throughline).
    let mut book = ExcelConnector::new("workbook", &tools.workbook, ExcelMapping::default());
    let obs = book.observe(None).await.unwrap();
    let (task, entry) = obs
        .tasks
        .iter()
        .find_map(|t| {
            t.entries
                .iter()
                .find(|e| e.identity.as_deref() == Some("item1/copy/check"))
                .map(|e| (t, e))
        })
        .unwrap();
    let change = Change::UpdateEntry {
        parent_remote_id: task.remote_id.clone(),
        remote_id: entry.remote_id.clone(),
        identity: "item1/copy/check".into(),
        fields: None,
        checked: Some(true),
        unarchive: false,
    };
    assert!(book.apply(&[change]).await[0].is_ok());
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.ticked("item1/copy/check").await,
        [true; 4],
        "from Excel to all"
    );

    // Nothing was ticked that nobody ticked, and nothing is left to do.
    assert_eq!(tools.ticked("item1/copy/brief").await, [false; 4]);
    let last = tools.cycle(&mut store).await;
    for t in &last.targets {
        let plan = t.plan.as_ref().unwrap();
        assert!(plan.changes.is_empty(), "{}: {:?}", t.target, plan.changes);
    }
}
