//! The sync guarantees of docs/sync.md with the Excel connector, alone and beside the
//! fake; a crash at every step of a two-target cycle; and a workbook edited with openpyxl the
//! way a person would (tick, status word, a notes column, sorted rows) before the next sync.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use throughline::engine::{CycleOptions, CycleReport, TargetRun, run_cycle};
use throughline::reconcile::DriftPolicy;
use throughline::state::{EventKind, MemoryStore, StateStore};
use throughline_connector::fake::FakeTarget;
use throughline_connector::{Connector, ObservedTask, State, StateSupport};
use throughline_excel::{ExcelConnector, ExcelMapping};

fn runs(model: &Model, workbook: &Path, fake: Option<&FakeTarget>) -> Vec<TargetRun> {
    let mut out = Vec::new();
    if let Some(f) = fake {
        out.push(TargetRun {
            id: "board".into(),
            connector: Box::new(f.connector()),
            desired: model.desired(),
            drift: DriftPolicy::default(),
            people: None,
        });
    }
    out.push(TargetRun {
        id: "workbook".into(),
        connector: Box::new(ExcelConnector::new(
            "workbook",
            workbook,
            ExcelMapping::default(),
        )),
        desired: model.desired(),
        drift: DriftPolicy::default(),
        people: None,
    });
    out
}

fn cycle(
    store: &mut MemoryStore,
    model: &Model,
    workbook: &Path,
    fake: Option<&FakeTarget>,
    options: &CycleOptions,
) -> Result<CycleReport, throughline::engine::EngineError> {
    let mut r = runs(model, workbook, fake);
    block_on(run_cycle(
        store,
        &mut r,
        &Default::default(),
        options,
        now(),
    ))
}

fn sync_all(
    store: &mut MemoryStore,
    model: &Model,
    workbook: &Path,
    fake: Option<&FakeTarget>,
) -> CycleReport {
    cycle(store, model, workbook, fake, &CycleOptions::default()).unwrap()
}

/// A task row as the workbook holds it: identity, title, owner, due, state, archived, entries
/// (identity, text, checked, archived) — no remote ids, versions or times.
type TaskRow = (
    Option<String>,
    String,
    Option<String>,
    Option<jiff::civil::Date>,
    State,
    bool,
    Vec<(Option<String>, String, bool, bool)>,
);

/// What the workbook holds, without remote ids, versions or times.
fn workbook_content(path: &Path) -> Vec<TaskRow> {
    let obs =
        block_on(ExcelConnector::new("workbook", path, ExcelMapping::default()).observe(None))
            .unwrap();
    let mut v: Vec<_> = obs
        .tasks
        .iter()
        .map(|t: &ObservedTask| {
            (
                t.identity.clone(),
                t.fields.title.clone(),
                t.fields.owner.clone(),
                t.fields.due,
                t.state,
                t.archived,
                t.entries
                    .iter()
                    .map(|e| {
                        (
                            e.identity.clone(),
                            e.fields.text.clone(),
                            e.checked,
                            e.archived,
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

fn duplicate_ids(path: &Path) -> Vec<String> {
    let obs =
        block_on(ExcelConnector::new("workbook", path, ExcelMapping::default()).observe(None))
            .unwrap();
    let mut ids: Vec<String> = obs
        .tasks
        .iter()
        .flat_map(|t| {
            std::iter::once(t.identity.clone()).chain(t.entries.iter().map(|e| e.identity.clone()))
        })
        .flatten()
        .collect();
    ids.sort();
    let mut dups: Vec<String> = ids
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0].clone())
        .collect();
    dups.dedup();
    dups
}

fn temp_workbook() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.xlsx");
    (dir, path)
}

#[test]
fn excel_second_sync_writes_nothing() {
    let (_dir, path) = temp_workbook();
    let model = Model::new(3);
    let mut store = MemoryStore::new();
    assert!(sync_all(&mut store, &model, &path, None).ok());
    let bytes = std::fs::read(&path).unwrap();
    let second = sync_all(&mut store, &model, &path, None);
    let plan = second.targets[0].plan.as_ref().unwrap();
    assert!(
        plan.changes.is_empty() && plan.bookkeeping.is_empty(),
        "{:?}",
        plan.changes
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is not rewritten when nothing changed"
    );
}

#[test]
fn excel_removed_item_is_archived_and_its_rows_kept() {
    let (_dir, path) = temp_workbook();
    let model = Model::new(8);
    let mut store = MemoryStore::new();
    sync_all(&mut store, &model, &path, None);
    let mut smaller = model.clone();
    smaller.items.remove(2);
    assert!(sync_all(&mut store, &smaller, &path, None).ok());
    let content = workbook_content(&path);
    assert_eq!(content.len(), 16, "no row deleted");
    let gone = content
        .iter()
        .find(|t| t.0.as_deref() == Some("item2/copy"))
        .unwrap();
    assert!(gone.5, "archived");
}

#[test]
fn excel_file_that_vanished_stops_the_target() {
    let (_dir, path) = temp_workbook();
    let model = Model::new(2);
    let mut store = MemoryStore::new();
    sync_all(&mut store, &model, &path, None);
    std::fs::remove_file(&path).unwrap();
    let report = sync_all(&mut store, &model, &path, None);
    assert!(
        report.targets[0]
            .stopped
            .as_ref()
            .unwrap()
            .contains("suddenly looks empty")
    );
    assert!(!path.exists(), "nothing written while stopped");
    assert!(
        store
            .events(None)
            .unwrap()
            .iter()
            .any(|e| e.kind == EventKind::SafetyStop)
    );
}

#[test]
fn crash_at_every_step_with_fake_and_excel() {
    let setup = |dir: &Path| {
        let path = dir.join("plan.xlsx");
        let model = Model::new(4);
        let board = FakeTarget::new("board", StateSupport::DoneOrNot);
        let mut store = MemoryStore::new();
        sync_all(&mut store, &model, &path, Some(&board));
        let mut next = model.clone();
        next.items.remove(0);
        next.items.push((
            "item9".into(),
            "Item 9".into(),
            jiff::civil::date(2027, 1, 5),
        ));
        next.items[0].1 = "Item 1 renamed".into();
        board.set_state("item2/copy", State::Done);
        board.check_entry("item3/design/brief", true);
        (path, next, board, store)
    };
    let clean_dir = tempfile::tempdir().unwrap();
    let (path, model, board, mut store) = setup(clean_dir.path());
    assert!(sync_all(&mut store, &model, &path, Some(&board)).ok());
    let expected = (board.snapshot().content(), workbook_content(&path));
    assert_eq!(
        expected
            .1
            .iter()
            .find(|t| t.0.as_deref() == Some("item2/copy"))
            .unwrap()
            .4,
        State::Done
    );

    let mut k = 0;
    loop {
        let dir = tempfile::tempdir().unwrap();
        let (path, model, board, mut store) = setup(dir.path());
        let crashed = cycle(
            &mut store,
            &model,
            &path,
            Some(&board),
            &CycleOptions {
                stop_after: Some(k),
                ..Default::default()
            },
        );
        let finished = crashed.is_ok();
        sync_all(&mut store, &model, &path, Some(&board));
        assert!(
            board.snapshot().duplicates().is_empty(),
            "crash after step {k}: duplicates on the board"
        );
        assert!(
            duplicate_ids(&path).is_empty(),
            "crash after step {k}: duplicate rows {:?}",
            duplicate_ids(&path)
        );
        assert_eq!(
            board.snapshot().content(),
            expected.0,
            "crash after step {k}: board differs"
        );
        assert_eq!(
            workbook_content(&path),
            expected.1,
            "crash after step {k}: workbook differs"
        );
        if finished {
            break;
        }
        k += 1;
    }
    assert!(k >= 4, "several steps expected, had {k}");
}

#[test]
fn ticks_travel_between_the_board_and_the_workbook() {
    let (_dir, path) = temp_workbook();
    let model = Model::new(2);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    sync_all(&mut store, &model, &path, Some(&board));
    board.set_state("item0/copy", State::Done);
    board.check_entry("item1/design/check", true);
    sync_all(&mut store, &model, &path, Some(&board));
    let content = workbook_content(&path);
    let task = content
        .iter()
        .find(|t| t.0.as_deref() == Some("item0/copy"))
        .unwrap();
    assert_eq!(task.4, State::Done);
    let design = content
        .iter()
        .find(|t| t.0.as_deref() == Some("item1/design"))
        .unwrap();
    assert!(
        design
            .6
            .iter()
            .any(|e| e.0.as_deref() == Some("item1/design/check") && e.2)
    );
}

// --- A person edits the workbook with openpyxl -------------------------------------------

fn openpyxl() -> Result<(), String> {
    match Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "python3 has no openpyxl: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("python3 is not installed: {e}")),
    }
}

fn require(check: Result<(), String>) -> bool {
    match check {
        Ok(()) => true,
        Err(why) if std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_some() => {
            panic!("{why} (THROUGHLINE_REQUIRE_EXTERNAL_CHECKS is set: this check must run)")
        }
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            false
        }
    }
}

/// Like a person: tick one task done, type a Hebrew "done" word in another's status, check an
/// entry, add a notes column, and sort the rows by due date, newest first.
const PERSON_EDITS: &str = r#"
import sys, openpyxl
path = sys.argv[1]
wb = openpyxl.load_workbook(path)
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
col = {name: head.index(name) for name in head if name}
rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
for r in rows:
    if r[col["ID"]] == "item0/copy":
        r[col["Done"]] = "✓"
    if r[col["ID"]] == "item1/design":
        r[col["Status"]] = "בוצע"
    if r[col["ID"]] == "item2/copy/check":
        r[col["Done"]] = "x"
rows.sort(key=lambda r: (r[col["Due"]] is not None, r[col["Due"]]), reverse=True)
notes = len(head) + 1
ws.cell(row=1, column=notes, value="Notes")
for i, r in enumerate(rows, start=2):
    for j, v in enumerate(r, start=1):
        ws.cell(row=i, column=j, value=v)
    ws.cell(row=i, column=notes, value="note for " + str(r[col["ID"]]))
wb.save(path)
"#;

const READ_BACK: &str = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
out = {"headers": head, "rows": {}}
for r in ws.iter_rows(min_row=2, values_only=True):
    rid = r[head.index("ID")]
    if rid:
        out["rows"][rid] = {h: (v.isoformat() if hasattr(v, "isoformat") else v) for h, v in zip(head, r) if h}
print(json.dumps(out, ensure_ascii=False))
"#;

fn python(script: &str, path: &Path) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_person_edits_the_workbook_with_openpyxl_and_the_next_sync_reads_it_all() {
    if !require(openpyxl()) {
        return;
    }
    let (_dir, path) = temp_workbook();
    let model = Model::new(3);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    sync_all(&mut store, &model, &path, Some(&board));
    python(PERSON_EDITS, &path);

    let report = sync_all(&mut store, &model, &path, Some(&board));
    assert!(
        report.ok(),
        "{:?}",
        report
            .targets
            .iter()
            .map(|t| (&t.target, &t.failed, &t.stopped))
            .collect::<Vec<_>>()
    );
    let hub: std::collections::BTreeMap<String, State> = store
        .statuses()
        .unwrap()
        .into_iter()
        .map(|s| (s.identity, s.state))
        .collect();
    assert_eq!(hub.get("item0/copy"), Some(&State::Done));
    assert_eq!(hub.get("item1/design"), Some(&State::Done));
    assert_eq!(hub.get("item2/copy/check"), Some(&State::Done));
    let history = store.status_history("item1/design").unwrap();
    assert_eq!(
        history.last().unwrap().source_target.as_deref(),
        Some("workbook")
    );
    // It reached the board in the same cycle.
    assert_eq!(
        board.snapshot().task("item0/copy").unwrap().state,
        State::Done
    );
    assert_eq!(
        board.snapshot().task("item1/design").unwrap().state,
        State::Done
    );

    // A change from the board is written into the sorted workbook without losing the notes.
    board.set_state("item2/design", State::Done);
    sync_all(&mut store, &model, &path, Some(&board));
    let back: serde_json::Value = serde_json::from_str(&python(READ_BACK, &path)).unwrap();
    assert!(
        back["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "Notes"),
        "the person's column is kept"
    );
    let rows = &back["rows"];
    assert_eq!(rows["item2/design"]["Notes"], "note for item2/design");
    assert_eq!(rows["item2/design"]["Status"], "Done");
    assert_eq!(rows["item0/copy"]["Notes"], "note for item0/copy");
    assert_eq!(
        rows.as_object().unwrap().len(),
        6 + 12,
        "no row lost or duplicated"
    );
    assert!(duplicate_ids(&path).is_empty());
    // And nothing more to do.
    let again = sync_all(&mut store, &model, &path, Some(&board));
    assert!(
        again
            .targets
            .iter()
            .all(|t| t.plan.as_ref().unwrap().changes.is_empty())
    );
}

/// A person moves a due date and marks a task in progress in the workbook, while the same task
/// is ticked done on the board: the date is put back (drift), the status disagreement is settled
/// by the policy, and both are recorded with where they happened.
const DRIFT_AND_CONFLICT: &str = r#"
import sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
for row in ws.iter_rows(min_row=2):
    rid = row[head.index("ID")].value
    if rid == "item0/copy":
        row[head.index("Due")].value = datetime.datetime(2027, 3, 1)
    if rid == "item1/copy":
        row[head.index("Status")].value = "In progress"
wb.save(sys.argv[1])
"#;

#[test]
fn drift_and_conflicts_in_the_workbook_are_recorded() {
    if !require(openpyxl()) {
        return;
    }
    let (_dir, path) = temp_workbook();
    let model = Model::new(2);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    sync_all(&mut store, &model, &path, Some(&board));
    board.set_actor(Some("dana@example.com"));
    board.set_state("item1/copy", State::Done);
    python(DRIFT_AND_CONFLICT, &path);

    let plan = cycle(
        &mut store,
        &model,
        &path,
        Some(&board),
        &CycleOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .unwrap();
    let drift = &plan.targets[1].plan.as_ref().unwrap().drift;
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(
        (
            drift[0].identity.as_str(),
            drift[0].field.as_str(),
            drift[0].tool.as_str()
        ),
        ("item0/copy", "due", "2027-03-01")
    );
    assert_eq!(plan.conflicts.len(), 1, "plan shows the conflict too");

    let report = sync_all(&mut store, &model, &path, Some(&board));
    assert_eq!(report.conflicts.len(), 1);
    let events = store.events(None).unwrap();
    let d = events
        .iter()
        .find(|e| e.kind == EventKind::Drift)
        .expect("drift recorded");
    assert_eq!(
        (
            d.target.as_deref(),
            d.identity.as_deref(),
            d.resolution.as_str()
        ),
        (Some("workbook"), Some("item0/copy"), "reverted")
    );
    let c = events
        .iter()
        .find(|e| e.kind == EventKind::Conflict)
        .expect("conflict recorded");
    assert_eq!(c.identity.as_deref(), Some("item1/copy"));
    assert!(
        c.detail.contains("board said done (dana@example.com)")
            && c.detail.contains("workbook said doing"),
        "{}",
        c.detail
    );
    // The playbook's date is back in the workbook, and both tools agree on the winner.
    let content = workbook_content(&path);
    let copy0 = content
        .iter()
        .find(|t| t.0.as_deref() == Some("item0/copy"))
        .unwrap();
    assert_eq!(copy0.3, model.desired()[0].fields.due);
    let winner = report.conflicts[0].state;
    let copy1 = content
        .iter()
        .find(|t| t.0.as_deref() == Some("item1/copy"))
        .unwrap();
    assert_eq!(copy1.4, winner);
    let board_state = board.snapshot().task("item1/copy").unwrap().state;
    assert_eq!(board_state == State::Done, winner == State::Done);
}
