//! Status words in a workbook a person edits with openpyxl: a word the mapping does not know is
//! reported (plan line, cell note naming the accepted words), kept as typed and never taken as a
//! status change; the Status and Done columns agree after every cycle.
//!
//! Which column wins when they disagree: the one a person changed since throughline last wrote
//! the row; when a person changed both in one edit, any sign of "done" wins (a tick or a done
//! word), and the other column is brought in line.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::*;
use throughline::engine::{CycleOptions, CycleReport, TargetRun, run_cycle};
use throughline::reconcile::DriftPolicy;
use throughline::state::{MemoryStore, StateStore};
use throughline_connector::State;
use throughline_excel::{ExcelConnector, ExcelMapping};

fn cycle(store: &mut MemoryStore, model: &Model, path: &Path, dry_run: bool) -> CycleReport {
    let mut runs = vec![TargetRun {
        id: "workbook".into(),
        connector: Box::new(ExcelConnector::new(
            "workbook",
            path,
            ExcelMapping::default(),
        )),
        desired: model.desired(),
        drift: DriftPolicy::default(),
        people: None,
    }];
    let options = CycleOptions {
        dry_run,
        ..Default::default()
    };
    block_on(run_cycle(
        store,
        &mut runs,
        &Default::default(),
        &options,
        now(),
    ))
    .unwrap()
}

fn openpyxl_missing() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_some() {
            panic!("python3 with openpyxl is needed (THROUGHLINE_REQUIRE_EXTERNAL_CHECKS is set)");
        }
        eprintln!("SKIPPED: python3 with openpyxl is not installed");
    }
    !ok
}

/// Sets cells by row identity and column header: argv[2] is JSON {"id": {"Header": value}}.
const EDIT: &str = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
edits = json.loads(sys.argv[2])
for row in ws.iter_rows(min_row=2):
    rid = row[head.index("ID")].value
    for h, v in edits.get(rid, {}).items():
        row[head.index(h)].value = v
wb.save(sys.argv[1])
"#;

/// Every identity row's Status, Done and the Status cell's note (comment), as JSON.
const READ: &str = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
out = {}
for row in ws.iter_rows(min_row=2):
    rid = row[head.index("ID")].value
    if rid:
        s = row[head.index("Status")]
        out[rid] = {"status": s.value, "done": row[head.index("Done")].value,
                    "note": s.comment.text if s.comment else None, "cell": s.coordinate}
print(json.dumps(out, ensure_ascii=False))
"#;

fn python(args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn edit(path: &Path, edits: serde_json::Value) {
    python(&[EDIT, path.to_str().unwrap(), &edits.to_string()]);
}

fn read(path: &Path) -> serde_json::Value {
    serde_json::from_str(&python(&[READ, path.to_str().unwrap()])).unwrap()
}

fn hub(store: &MemoryStore, identity: &str) -> Option<State> {
    store
        .statuses()
        .unwrap()
        .into_iter()
        .find(|s| s.identity == identity)
        .map(|s| s.state)
}

#[test]
fn an_unknown_status_word_is_reported_noted_kept_and_cleared_once_fixed() {
    if openpyxl_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.xlsx");
    let model = Model::new(2);
    let mut store = MemoryStore::new();
    cycle(&mut store, &model, &path, false);
    edit(
        &path,
        serde_json::json!({"item0/copy": {"Status": "In progress"}}),
    );
    cycle(&mut store, &model, &path, false);
    assert_eq!(hub(&store, "item0/copy"), Some(State::Doing));

    edit(
        &path,
        serde_json::json!({"item0/copy": {"Status": "waiting on legal"}}),
    );
    let plan = cycle(&mut store, &model, &path, true);
    let words = &plan.targets[0].plan.as_ref().unwrap().unknown_words;
    assert_eq!(words.len(), 1, "{words:?}");
    let cell = read(&path)["item0/copy"]["cell"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(words[0].identity, "item0/copy");
    assert_eq!(words[0].word.word, "waiting on legal");
    assert_eq!(words[0].word.cell, format!("Content!{cell}"));
    assert_eq!(words[0].state, State::Doing, "the task keeps its status");
    let text = throughline::report::plan::render(&plan, false, false);
    assert!(
        text.contains(&format!(
            "? item0/copy: \"waiting on legal\" in Content!{cell} is not a status word; the task stays doing"
        )) && text.contains("To do, In progress, Blocked, Done, לביצוע, בתהליך, תקוע, בוצע"),
        "{text}"
    );

    let report = cycle(&mut store, &model, &path, false);
    assert!(report.targets[0].ok(), "{:?}", report.targets[0]);
    assert!(
        report
            .status_updates
            .iter()
            .all(|u| u.identity != "item0/copy"),
        "an unknown word is no status change: {:?}",
        report.status_updates
    );
    assert_eq!(hub(&store, "item0/copy"), Some(State::Doing));
    let row = &read(&path)["item0/copy"];
    assert_eq!(row["status"], "waiting on legal", "kept as typed");
    let note = row["note"].as_str().expect("the cell has a note");
    assert!(
        note.contains("Use one of: To do, In progress, Blocked, Done, לביצוע, בתהליך, תקוע, בוצע"),
        "{note}"
    );

    // The note is written once, not every cycle.
    let again = cycle(&mut store, &model, &path, false);
    let plan = again.targets[0].plan.as_ref().unwrap();
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert_eq!(
        plan.unknown_words.len(),
        1,
        "still reported while it is there"
    );

    // Another tool's move reaches the tick; the word stays.
    edit(&path, serde_json::json!({"item0/copy": {"Done": "✓"}}));
    cycle(&mut store, &model, &path, false);
    assert_eq!(hub(&store, "item0/copy"), Some(State::Done));
    assert_eq!(read(&path)["item0/copy"]["status"], "waiting on legal");

    // Fixed (in Hebrew): read, written back in the sheet's words, the note gone.
    edit(
        &path,
        serde_json::json!({"item0/copy": {"Status": "בתהליך", "Done": null}}),
    );
    let report = cycle(&mut store, &model, &path, false);
    assert!(
        report.targets[0]
            .plan
            .as_ref()
            .unwrap()
            .unknown_words
            .is_empty()
    );
    assert_eq!(hub(&store, "item0/copy"), Some(State::Doing));
    let row = &read(&path)["item0/copy"];
    assert_eq!(row["note"], serde_json::Value::Null, "{row}");
    assert_eq!(row["status"], "In progress");
    let plan = cycle(&mut store, &model, &path, true);
    assert!(plan.targets[0].plan.as_ref().unwrap().changes.is_empty());
}

#[test]
fn status_and_done_agree_after_a_cycle_whichever_a_person_changed() {
    if openpyxl_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.xlsx");
    let model = Model::new(2);
    let mut store = MemoryStore::new();
    cycle(&mut store, &model, &path, false);
    edit(
        &path,
        serde_json::json!({
            // Ticked only: done, and Status says so.
            "item0/copy": {"Done": "✓"},
            // A Hebrew done word only: done, and ticked.
            "item0/design": {"Status": "בוצע"},
            // Both, disagreeing, in one edit: any sign of done wins.
            "item1/copy": {"Status": "In progress", "Done": "✓"},
        }),
    );
    cycle(&mut store, &model, &path, false);
    let rows = read(&path);
    for id in ["item0/copy", "item0/design", "item1/copy"] {
        assert_eq!(hub(&store, id), Some(State::Done), "{id}");
        assert_eq!(rows[id]["status"], "Done", "{id}: {}", rows[id]);
        assert_eq!(rows[id]["done"], "✓", "{id}: {}", rows[id]);
    }
    // Unticked a done row: Status follows back to "To do".
    edit(&path, serde_json::json!({"item0/copy": {"Done": null}}));
    cycle(&mut store, &model, &path, false);
    assert_eq!(hub(&store, "item0/copy"), Some(State::Todo));
    assert_eq!(read(&path)["item0/copy"]["status"], "To do");
    let plan = cycle(&mut store, &model, &path, true);
    assert!(plan.targets[0].plan.as_ref().unwrap().changes.is_empty());
}
