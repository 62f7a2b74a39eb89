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
use throughline_connector::identity::Identity;
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

/// Whether the test can run: `false` (with a message) when py-trello is missing, a panic
/// instead when CI requires the external checks.
fn can_run() -> bool {
    match py_trello_available() {
        Ok(()) => true,
        Err(why) if std::env::var("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").as_deref() == Ok("1") => {
            panic!("{why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            false
        }
    }
}

/// The launch copy task, with three checklist entries.
fn launch_copy() -> DesiredTask {
    DesiredTask {
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
                identity: Identity::task("launch", "copy")
                    .with_key(&t.to_lowercase())
                    .to_string(),
                fields: EntryFields {
                    text: (*t).to_owned(),
                    owner: None,
                    due: None,
                },
                checked: false,
            })
            .collect(),
    }
}

/// Run one of the Python scripts with these arguments; its standard output as JSON.
async fn run_script(name: &str, args: Vec<String>) -> serde_json::Value {
    let script = format!("{}/tests/python/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .args(args)
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
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn py_trello_ticks_items_and_the_connector_sees_them() {
    if !can_run() {
        return;
    }
    let board = Board::new(TrelloMapping::default()).await;
    let task = launch_copy();
    let mut c = board.connector();
    c.observe(None).await.unwrap();
    assert!(c.apply(&[Change::CreateTask { task }]).await[0].is_ok());

    let did = run_script(
        "py_trello_person.py",
        vec![
            board.emu.base_url(),
            board.emu.key(),
            board.emu.token(),
            board.board.clone(),
            "Copy".to_owned(),
            "Launch: Copy".to_owned(),
            "בדיקת עובדות".to_owned(),
        ],
    )
    .await;

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

/// Short links, comments, checklist renames and removals, new boards and new board members, as
/// py-trello asks for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn py_trello_uses_short_links_comments_checklists_and_new_boards() {
    if !can_run() {
        return;
    }
    let board = Board::new(TrelloMapping::default()).await;
    let dana = board.emu.add_member(&board.board, "dana", "Dana Levi");
    let mut c = board.connector();
    c.observe(None).await.unwrap();
    let create = Change::CreateTask {
        task: launch_copy(),
    };
    assert!(c.apply(&[create]).await[0].is_ok());
    let card = board.card_of("launch/copy");

    let did = run_script(
        "py_trello_board_admin.py",
        vec![
            board.emu.base_url(),
            board.emu.key(),
            board.emu.token(),
            board.board.clone(),
            "Launch: Copy".to_owned(),
            dana.clone(),
        ],
    )
    .await;

    assert_eq!(did["comments_before"], 0);
    assert_eq!(
        did["comments"],
        serde_json::json!(["Looks good, shipping Friday"])
    );
    assert_eq!(
        did["comment_count"], 1,
        "the card's badge counts the comment"
    );
    // Removing the scratch checklist answers with the checklists the card still has.
    assert_eq!(
        did["left_after_delete"],
        serde_json::json!(["Steps to launch"])
    );
    let view = board.emu.person(|p| p.card(&card)).unwrap();
    let names: Vec<&str> = view.checklists.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Steps to launch"]);
    assert_eq!(
        view.checklists[0].1.len(),
        3,
        "the renamed checklist keeps its items"
    );

    assert_eq!(
        did["new_board_lists"],
        serde_json::json!(["To Do", "Doing", "Done"])
    );
    assert_eq!(
        did["new_board_members"],
        serde_json::json!(["Dana Levi", "Noa Peretz", "throughline"])
    );
    let new_board = did["new_board"].as_str().unwrap();
    let snapshot = board.emu.board_snapshot(new_board).unwrap();
    assert_eq!(snapshot["name"], "Made with py-trello");
    assert_eq!(did["me"], "throughline");

    // py-trello posted the comment on the documented route, once.
    let actions = board
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/actions/comments"))
        .count();
    assert_eq!(actions, 1);
}
