//! Status words in a spreadsheet a person edits with gspread (against the Sheets emulator),
//! through real sync cycles: a word the mapping does not know is reported (plan line naming the
//! cell and the accepted words, a note on the cell), kept as typed and never taken as a status
//! change; the Status and Done columns agree after every cycle. When a person changed both
//! columns to disagreeing values in one edit, any sign of "done" wins (as in a workbook).

use crate::common;

use common::*;
use serde_json::{Value, json};
use throughline::engine::{CycleOptions, CycleReport, TargetRun, run_cycle};
use throughline::reconcile::DriftPolicy;
use throughline::state::{MemoryStore, StateStore};
use throughline_connector::State;
use throughline_connector::http::Secret;
use throughline_sheets::emulator::{Emulator, Render};
use throughline_sheets::{ROW_KEY, SheetsAuth, SheetsConnector, SheetsSettings};

struct Tracker {
    emu: Emulator,
    id: String,
}

impl Tracker {
    async fn cycle(&self, store: &mut MemoryStore, model: &Model, dry_run: bool) -> CycleReport {
        let settings = SheetsSettings::new(
            "writers",
            self.id.clone(),
            SheetsAuth::Token(Secret::new(self.emu.access_token())),
        )
        .with_base_url(&self.emu.base_url());
        let mut runs = vec![TargetRun {
            id: "writers".into(),
            connector: Box::new(SheetsConnector::new(settings).unwrap()),
            desired: model.desired(),
            drift: DriftPolicy::default(),
            people: None,
        }];
        let options = CycleOptions {
            dry_run,
            ..Default::default()
        };
        let report = run_cycle(store, &mut runs, &Default::default(), &options, now())
            .await
            .unwrap();
        assert!(report.targets[0].ok(), "{:?}", report.targets[0]);
        report
    }

    /// A person's edits with gspread: {"identity": {"Header": value}}.
    async fn edit(&self, python: &str, edits: Value) {
        // Off the runtime: the emulator answers on it.
        let args = vec![
            "-c".to_owned(),
            EDIT.to_owned(),
            self.emu.base_url(),
            self.emu.access_token(),
            self.id.clone(),
            edits.to_string(),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/connectors/sheets/tests/sheets_python"
            )
            .to_owned(),
        ];
        let python = python.to_owned();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(python).args(args).output()
        })
        .await
        .unwrap()
        .unwrap();
        assert!(
            out.status.success(),
            "gspread failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// (status, done, note of the status cell, A1 name of the status cell) of a task row.
    fn row(&self, identity: &str) -> (Value, Value, Option<String>, String) {
        let (tab, row) = self
            .emu
            .person(&self.id, |p| p.rows_with_metadata(ROW_KEY, identity))
            .pop()
            .unwrap();
        let values = self.emu.person(&self.id, |p| {
            p.values(&format!("'{tab}'"), Render::Unformatted)
        });
        let head = &values[0];
        let col = |h: &str| head.iter().position(|v| v == h).unwrap();
        let (s, d) = (col("Status"), col("Done"));
        let cells = &values[row as usize];
        let snap = self.emu.person(&self.id, |p| p.snapshot());
        let sheet = snap["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["properties"]["title"] == tab.as_str())
            .unwrap();
        let note = sheet["data"][0]["rowData"][row as usize]["values"][s]["note"]
            .as_str()
            .map(str::to_owned);
        let a1 = format!("{tab}!{}{}", (b'A' + s as u8) as char, row + 1);
        (
            cells.get(s).cloned().unwrap_or(Value::Null),
            cells.get(d).cloned().unwrap_or(Value::Null),
            note,
            a1,
        )
    }
}

/// A person's edits with gspread (argv: base URL, token, spreadsheet, {"identity": {"Header":
/// value}}, the folder of `emulator_client.py`).
pub(crate) const EDIT: &str = r#"
import sys, json
sys.path.insert(0, sys.argv[5])
from emulator_client import client_for
base, token, spreadsheet, edits = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
gc = client_for(base, token)
ws = next(w for w in gc.open_by_key(spreadsheet).worksheets() if "ID" in w.row_values(1))
header = ws.row_values(1)
ids = ws.col_values(header.index("ID") + 1)
for identity, cells in edits.items():
    for h, v in cells.items():
        ws.update_cell(ids.index(identity) + 1, header.index(h) + 1, v)
"#;

fn python() -> Option<&'static str> {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import gspread"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3");
    }
    if std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_some() {
        panic!("python3 with gspread is needed (THROUGHLINE_REQUIRE_EXTERNAL_CHECKS is set)");
    }
    eprintln!("SKIPPED: python3 with gspread is not installed");
    None
}

fn hub(store: &MemoryStore, identity: &str) -> Option<State> {
    store
        .statuses()
        .unwrap()
        .into_iter()
        .find(|s| s.identity == identity)
        .map(|s| s.state)
}

async fn tracker() -> Tracker {
    let emu = Emulator::start().await.unwrap();
    let id = emu.create_spreadsheet("Writers' tracker");
    Tracker { emu, id }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_status_word_is_reported_noted_kept_and_cleared_once_fixed() {
    let Some(python) = python() else { return };
    let t = tracker().await;
    let model = Model::new(2);
    let mut store = MemoryStore::new();
    t.cycle(&mut store, &model, false).await;
    t.edit(python, json!({"item0/copy": {"Status": "In progress"}}))
        .await;
    t.cycle(&mut store, &model, false).await;
    assert_eq!(hub(&store, "item0/copy"), Some(State::Doing));

    t.edit(
        python,
        json!({"item0/copy": {"Status": "waiting on legal"}}),
    )
    .await;
    let plan = t.cycle(&mut store, &model, true).await;
    let words = &plan.targets[0].plan.as_ref().unwrap().unknown_words;
    assert_eq!(words.len(), 1, "{words:?}");
    let (_, _, _, cell) = t.row("item0/copy");
    assert_eq!(words[0].word.word, "waiting on legal");
    assert_eq!(words[0].word.cell, cell);
    assert_eq!(words[0].state, State::Doing, "the task keeps its status");
    let text = throughline::report::plan::render(&plan, false, false);
    assert!(
        text.contains(&format!(
            "? item0/copy: \"waiting on legal\" in {cell} is not a status word; the task stays doing"
        )),
        "{text}"
    );

    let report = t.cycle(&mut store, &model, false).await;
    assert!(
        report
            .status_updates
            .iter()
            .all(|u| u.identity != "item0/copy"),
        "an unknown word is no status change: {:?}",
        report.status_updates
    );
    let (status, _, note, _) = t.row("item0/copy");
    assert_eq!(status, "waiting on legal", "kept as typed");
    let note = note.expect("the cell has a note");
    assert!(
        note.contains("Use one of: To do, In progress, Blocked, Done, לביצוע, בתהליך, תקוע, בוצע"),
        "{note}"
    );
    // Written once, not every cycle.
    let again = t.cycle(&mut store, &model, false).await;
    assert!(again.targets[0].plan.as_ref().unwrap().changes.is_empty());
    assert_eq!(hub(&store, "item0/copy"), Some(State::Doing));

    // Ticked meanwhile: done; the word stays.
    t.edit(python, json!({"item0/copy": {"Done": true}})).await;
    t.cycle(&mut store, &model, false).await;
    assert_eq!(hub(&store, "item0/copy"), Some(State::Done));
    assert_eq!(t.row("item0/copy").0, "waiting on legal");

    // Fixed, in Hebrew: read, written back in the tab's words, the note gone.
    t.edit(
        python,
        json!({"item0/copy": {"Status": "בתהליך", "Done": false}}),
    )
    .await;
    let report = t.cycle(&mut store, &model, false).await;
    assert!(
        report.targets[0]
            .plan
            .as_ref()
            .unwrap()
            .unknown_words
            .is_empty()
    );
    assert_eq!(hub(&store, "item0/copy"), Some(State::Doing));
    let (status, done, note, _) = t.row("item0/copy");
    assert_eq!(
        (status, done, note),
        (json!("In progress"), json!(false), None)
    );
    let plan = t.cycle(&mut store, &model, true).await;
    assert!(plan.targets[0].plan.as_ref().unwrap().changes.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_done_agree_after_a_cycle_whichever_a_person_changed() {
    let Some(python) = python() else { return };
    let t = tracker().await;
    let model = Model::new(2);
    let mut store = MemoryStore::new();
    t.cycle(&mut store, &model, false).await;
    t.edit(
        python,
        json!({
            // Ticked only: done, and Status says so.
            "item0/copy": {"Done": true},
            // A Hebrew done word only: done, and ticked.
            "item0/design": {"Status": "בוצע"},
            // Both, disagreeing, in one edit: any sign of done wins.
            "item1/copy": {"Status": "In progress", "Done": true},
        }),
    )
    .await;
    t.cycle(&mut store, &model, false).await;
    for id in ["item0/copy", "item0/design", "item1/copy"] {
        assert_eq!(hub(&store, id), Some(State::Done), "{id}");
        let (status, done, _, _) = t.row(id);
        assert_eq!((status, done), (json!("Done"), json!(true)), "{id}");
    }
    // Unticked a done row: Status follows back to "To do".
    t.edit(python, json!({"item0/copy": {"Done": false}})).await;
    t.cycle(&mut store, &model, false).await;
    assert_eq!(hub(&store, "item0/copy"), Some(State::Todo));
    assert_eq!(t.row("item0/copy").0, "To do");
    let plan = t.cycle(&mut store, &model, true).await;
    assert!(plan.targets[0].plan.as_ref().unwrap().changes.is_empty());
}
