//! A reference client nobody on this project wrote (py-trello, from PyPI) drives the emulator:
//! it creates a card, adds a checklist and ticks items, and the connector sees the ticks on its
//! next observation.
//!
//! Needs `python3` with `py-trello` (`pip install py-trello`). Without them the test is skipped
//! with a message, unless THROUGHLINE_REQUIRE_EXTERNAL_CHECKS=1 (CI), where it fails.

mod common;

use std::process::Command;

use common::Board;
use jiff::civil::Date;
use throughline_connector::{
    Change, Connector, DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields,
};
use throughline_trello::TrelloMapping;

fn py_trello_available() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import trello, requests"])
        .output()
        .map_err(|e| format!("python3 is not available ({e})"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "py-trello is not installed (pip install py-trello): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn py_trello_ticks_items_and_the_connector_sees_them() {
    if let Err(why) = py_trello_available() {
        if std::env::var("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").as_deref() == Ok("1") {
            panic!("{why}");
        }
        eprintln!("skipped: {why}");
        return;
    }
    let board = Board::new(TrelloMapping::default()).await;
    let task = DesiredTask {
        identity: "launch/copy".to_owned(),
        fields: TaskFields {
            title: "Launch: Copy".to_owned(),
            description: "Write the launch copy.".to_owned(),
            group: "Copy".to_owned(),
            owner: Some("ana@example.com".to_owned()),
            start: Some(Date::constant(2026, 12, 6)),
            due: Some(Date::constant(2026, 12, 8)),
        },
        state: State::Todo,
        context: TaskContext::default(),
        entries: ["Outline", "Sources", "בדיקת עובדות"]
            .iter()
            .map(|t| DesiredEntry {
                identity: format!("launch/copy/{}", t.to_lowercase()),
                fields: EntryFields {
                    text: (*t).to_owned(),
                    owner: None,
                    due: None,
                },
                checked: false,
            })
            .collect(),
    };
    let mut c = board.connector();
    c.observe(None).await.unwrap();
    assert!(c.apply(&[Change::CreateTask { task }]).await[0].is_ok());

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/py_trello_person.py"
    );
    let (base, key, token, id) = (
        board.emu.base_url(),
        board.emu.key(),
        board.emu.token(),
        board.board.clone(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([
                script,
                &base,
                &key,
                &token,
                &id,
                "Copy",
                "Launch: Copy",
                "בדיקת עובדות",
            ])
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "py-trello failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let did: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let obs = c.observe(None).await.unwrap();
    let ours = obs
        .tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some("launch/copy"))
        .unwrap();
    let checked: Vec<(Option<&str>, bool)> = ours
        .entries
        .iter()
        .map(|e| (e.identity.as_deref(), e.checked))
        .collect();
    assert_eq!(
        checked,
        [
            (Some("launch/copy/outline"), false),
            (Some("launch/copy/sources"), false),
            (Some("launch/copy/בדיקת עובדות"), true),
        ]
    );
    let theirs = obs
        .tasks
        .iter()
        .find(|t| t.remote_id == did["new_card"].as_str().unwrap())
        .expect("py-trello's card is observed");
    assert_eq!(theirs.identity, None, "a person's card is nobody's task");
    assert_eq!(theirs.fields.group, "Copy");
    let items: Vec<(&str, bool)> = theirs
        .entries
        .iter()
        .map(|e| (e.fields.text.as_str(), e.checked))
        .collect();
    assert_eq!(items, [("First step", true), ("Second step", false)]);
}
