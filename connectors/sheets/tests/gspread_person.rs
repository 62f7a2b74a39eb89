//! A person edits the tracker with the PyPI client gspread (pointed at the emulator through
//! its `http_client` hook): ticks a checkbox, types "בוצע" in a status cell, ticks a checklist
//! entry, adds a notes column with a formula, sorts the rows and inserts one of their own in
//! the middle. The next sync reads every change, duplicates nothing, and writes its own
//! changes to the right rows without touching the person's.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;
mod discovery;

use std::process::Command;

use jiff::civil::date;
use serde_json::{Value, json};
use throughline_connector::{
    Applied, Change, Connector, DesiredEntry, DesiredTask, EntryFields, ObservedTask, State,
    TaskContext, TaskFields,
};
use throughline_sheets::emulator::Render;
use throughline_sheets::{Field, ROW_KEY};

/// Python with gspread, or why not (a failure when the checks are required).
fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args(["-c", "import gspread"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3");
    }
    let msg =
        "SKIPPED: python3 with gspread is not installed (pip install -r tests/requirements.txt)";
    if std::env::var("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").as_deref() == Ok("1") {
        panic!("{msg}");
    }
    println!("{msg}");
    None
}

fn task(item: &str, title: &str, due: jiff::civil::Date) -> DesiredTask {
    let identity = format!("{item}/copy");
    DesiredTask {
        identity: identity.clone(),
        fields: TaskFields {
            title: title.to_owned(),
            description: format!("Write {title}"),
            group: "Copy".to_owned(),
            owner: Some("yossi@example.com".to_owned()),
            start: Some(due.saturating_sub(jiff::Span::new().days(2))),
            due: Some(due),
        },
        state: State::Todo,
        context: TaskContext {
            process: "content".to_owned(),
            process_name: "Content".to_owned(),
            item: item.to_owned(),
            item_title: title.to_owned(),
            stage: "copy".to_owned(),
            stage_name: "Copy".to_owned(),
            timezone: "Asia/Jerusalem".to_owned(),
            ..Default::default()
        },
        entries: vec![DesiredEntry {
            identity: format!("{identity}/facts"),
            fields: EntryFields {
                text: format!("Check the facts of {title}"),
                owner: None,
                due: Some(due),
            },
            checked: false,
        }],
    }
}

fn find<'o>(tasks: &'o [ObservedTask], identity: &str) -> &'o ObservedTask {
    let found: Vec<_> = tasks
        .iter()
        .filter(|t| t.identity.as_deref() == Some(identity))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "`{identity}` observed {} times",
        found.len()
    );
    found[0]
}

#[tokio::test]
async fn a_persons_gspread_edits_are_read_and_nothing_is_duplicated() {
    let Some(python) = python() else { return };
    let sheet = common::Sheet::new().await;
    let desired = vec![
        task("alpha", "Alpha launch", date(2026, 12, 10)),
        task("bravo", "Bravo newsletter", date(2026, 12, 14)),
        task("charlie", "Charlie post", date(2026, 12, 15)),
        task("delta", "Delta campaign", date(2026, 12, 16)),
    ];
    let mut c = sheet.connector();
    c.observe(None).await.unwrap();
    let creates: Vec<Change> = desired
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    for r in c.apply(&creates).await {
        assert!(matches!(r, Ok(Applied::Created { .. })), "{r:?}");
    }
    let before = c.observe(None).await.unwrap();
    assert_eq!(before.tasks.len(), 4);

    let plan = json!({
        "tab": "Content", "id": "ID", "done": "Done", "status": "Status", "task": "Task",
        "tick": "bravo/copy", "type_done": ["charlie/copy", "בוצע"],
        "tick_entry": "alpha/copy/facts", "insert_at": 5,
    });
    // Asynchronously: the emulator answers on this same runtime.
    let out = tokio::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/sheets_python/person.py"
        ))
        .args([
            &sheet.emu.base_url(),
            &sheet.emu.access_token(),
            &sheet.id,
            &plan.to_string(),
        ])
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "gspread failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen_by_gspread: Vec<Vec<Value>> = serde_json::from_slice(&out.stdout).unwrap();
    // gspread saw the sort: task titles Z to A, and the person's row in the middle.
    let titles: Vec<&str> = seen_by_gspread
        .iter()
        .skip(1)
        .filter_map(|r| r[3].as_str())
        .collect();
    assert_eq!(titles[3], "Call the printer", "{titles:?}");
    let ours: Vec<&str> = titles
        .iter()
        .copied()
        .filter(|t| *t != "Call the printer")
        .collect();
    let mut sorted = ours.clone();
    sorted.sort_by_key(|t| std::cmp::Reverse(t.to_lowercase()));
    assert_eq!(ours, sorted);

    // The next sync reads every change.
    let after = c.observe(before.cursor.clone()).await.unwrap();
    assert_eq!(
        after.tasks.len(),
        4,
        "no task gained or lost: {:?}",
        after.tasks
    );
    assert_eq!(
        find(&after.tasks, "bravo/copy").state,
        State::Done,
        "the ticked checkbox"
    );
    assert_eq!(
        find(&after.tasks, "charlie/copy").state,
        State::Done,
        "\"בוצע\" typed in the status"
    );
    assert_eq!(find(&after.tasks, "alpha/copy").state, State::Todo);
    assert_eq!(find(&after.tasks, "delta/copy").state, State::Todo);
    for t in &desired {
        let seen = find(&after.tasks, &t.identity);
        assert_eq!(
            seen.fields, t.fields,
            "`{}` kept its fields through the sort",
            t.identity
        );
        assert_eq!(seen.entries.len(), 1, "`{}` kept its one entry", t.identity);
        let checked = t.identity == "alpha/copy";
        assert_eq!(
            seen.entries[0].checked, checked,
            "entry of `{}`",
            t.identity
        );
        assert_eq!(seen.entries[0].fields, t.entries[0].fields);
    }

    // The sync then writes its own changes, to the rows the person moved.
    let mut renamed = desired[3].fields.clone();
    renamed.title = "Delta campaign — final".to_owned();
    let changes = vec![
        Change::UpdateTask {
            remote_id: "delta/copy".into(),
            identity: "delta/copy".into(),
            context: desired[3].context.clone(),
            fields: Some(renamed.clone()),
            previous: Some(desired[3].fields.clone()),
            state: Some(State::Doing),
            unarchive: false,
        },
        Change::UpdateEntry {
            parent_remote_id: "charlie/copy".into(),
            remote_id: "charlie/copy/facts".into(),
            identity: "charlie/copy/facts".into(),
            fields: None,
            checked: Some(true),
            unarchive: false,
        },
    ];
    for r in c.apply(&changes).await {
        assert!(r.is_ok(), "{r:?}");
    }
    let last = c.observe(None).await.unwrap();
    assert_eq!(last.tasks.len(), 4);
    let delta = find(&last.tasks, "delta/copy");
    assert_eq!(delta.fields, renamed);
    assert_eq!(delta.state, State::Doing);
    assert!(find(&last.tasks, "charlie/copy").entries[0].checked);
    assert_eq!(
        find(&last.tasks, "bravo/copy").state,
        State::Done,
        "the tick is not undone"
    );

    // Nothing duplicated, the person's row and formula untouched.
    for t in &desired {
        for id in [t.identity.clone(), t.entries[0].identity.clone()] {
            let rows = sheet
                .emu
                .person(&sheet.id, |p| p.rows_with_metadata(ROW_KEY, &id));
            assert_eq!(rows.len(), 1, "`{id}` is on {rows:?}");
        }
    }
    let all = sheet
        .emu
        .person(&sheet.id, |p| p.values("'Content'", Render::Formula));
    let ids: Vec<&str> = all
        .iter()
        .skip(1)
        .filter_map(|r| r.first()?.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(ids.len(), 8, "{ids:?}");
    let printer: Vec<&Vec<Value>> = all
        .iter()
        .filter(|r| r.get(3) == Some(&json!("Call the printer")))
        .collect();
    assert_eq!(printer.len(), 1);
    assert!(
        printer[0]
            .iter()
            .enumerate()
            .all(|(i, v)| i == 3 || v == &json!("")),
        "{printer:?}"
    );
    let formulas: Vec<&Value> = all
        .iter()
        .flat_map(|r| r.iter())
        .filter(|v| {
            v.as_str()
                .is_some_and(|s| s.starts_with('=') && s.contains("(checked)"))
        })
        .collect();
    assert_eq!(
        formulas.len(),
        1,
        "the person's formula is still a formula: {all:?}"
    );
    assert_eq!(
        sheet.cell("delta/copy", Field::Task, Render::Formatted),
        json!("Delta campaign — final")
    );
    assert_eq!(
        sheet.cell("bravo/copy", Field::Done, Render::Unformatted),
        json!(true)
    );

    // And what gspread was answered matches Google's descriptions too.
    if let Some(d) = discovery::Discovery::load() {
        let mut errors = Vec::new();
        for r in sheet.emu.requests().iter().filter(|r| r.is_api()) {
            errors.extend(d.response(&r.method, &r.path, r.status, r.response.as_ref()));
        }
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}

/// gspread's Drive side (open by title, create, list, delete) and merged cells: the requests
/// and answers as Google's (recorded in gspread's own test of merges).
#[tokio::test]
async fn gspread_opens_by_title_creates_and_merges_cells() {
    let Some(python) = python() else { return };
    let sheet = common::Sheet::new().await;
    let out = tokio::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/sheets_python/drive_and_merges.py"
        ))
        .args([
            &sheet.emu.base_url(),
            &sheet.emu.access_token(),
            "Content plan",
        ])
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "gspread failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let did: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        did["opened"],
        json!(sheet.id),
        "open by title finds the tracker"
    );
    assert_eq!(did["missing"], "not found");
    assert_eq!(
        did["listed"],
        json!(["Ben's scratch sheet", "Content plan"])
    );
    // MERGE_ALL A1:B2, MERGE_COLUMNS C1:D2 (one per column), MERGE_ROWS B3:C4 (one per row),
    // as the real service lists them.
    let merge = |r0: u32, r1: u32, c0: u32, c1: u32| json!({"startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0, "endColumnIndex": c1});
    assert_eq!(
        did["merges"],
        json!([
            merge(0, 2, 0, 2),
            merge(0, 2, 2, 3),
            merge(0, 2, 3, 4),
            merge(2, 3, 1, 3),
            merge(3, 4, 1, 3)
        ])
    );
    // Only the top-left cell of a merge keeps its value ("x" in B2 is gone).
    assert_eq!(
        did["values"],
        json!([
            ["1", "", "2", "3"],
            ["", "", "", ""],
            ["", "4", "", ""],
            ["", "5", "", ""]
        ])
    );
    assert_eq!(
        did["combined"],
        json!([
            ["1", "1", "2", "3"],
            ["1", "1", "2", "3"],
            ["", "4", "4", ""],
            ["", "5", "5", ""]
        ])
    );
    assert_eq!(did["merges_after_unmerge"], Value::Null);
    assert_eq!(did["deleted"], true);

    // What gspread was answered matches Google's descriptions (the delete's 204 has no body).
    if let Some(d) = discovery::Discovery::load() {
        let mut errors = Vec::new();
        for r in sheet
            .emu
            .requests()
            .iter()
            .filter(|r| r.is_api() && r.status != 204)
        {
            errors.extend(d.response(&r.method, &r.path, r.status, r.response.as_ref()));
        }
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}
