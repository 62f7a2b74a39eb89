//! Asana's official Python client (PyPI `asana`, `Configuration().host` set to the emulator)
//! works in the project like a person: throughline pulls what it did.

mod common;
mod external;

use std::process::Command;

use common::{Mode, Setup, plan};
use serde_json::Value;
use throughline_connector::{Change, Connector, State};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client_ticks_and_creates_and_throughline_pulls_it() {
    let Some(python) = external::python_with_asana() else {
        return;
    };
    let s = Setup::new(Mode::Marker).await;
    let desired = plan(2, &["draft"], 2);
    let mut c = s.connector();
    let obs = c.observe(None).await.unwrap();
    let changes: Vec<Change> = desired
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    assert!(c.apply(&changes).await.iter().all(Result::is_ok));
    let _ = obs;
    let cursor = c.cursor();
    let tick = s.gid_of("item-001/draft/k1");

    let script = external::crate_dir().join("tests/python/official_client.py");
    let base = s.emu.base_url();
    let person = s.person.clone();
    let project = s.seeded.project.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args([&base, &person, &project, &tick])
            .output()
            .expect("python runs")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the official client failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let did: Value = serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    assert_eq!(did["ticked"]["completed"], true);
    assert_eq!(did["own"]["due_on"], "2026-12-24");
    assert_eq!(did["sub"]["parent"], did["own"]["gid"]);
    assert_eq!(did["listed"].as_array().unwrap().len(), 3, "{did}");

    // A restarted throughline with the cursor it stored follows the events feed.
    s.emu.clear_requests();
    let mut fresh = s.connector();
    let seen = fresh.observe(cursor).await.unwrap();
    assert_eq!(s.emu.requests()[0].path, "/events");
    assert_eq!(
        s.emu.requests()[0].status,
        200,
        "the stored sync token still works"
    );
    let task = seen
        .tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some("item-001/draft"))
        .unwrap();
    let entry = task
        .entries
        .iter()
        .find(|e| e.identity.as_deref() == Some("item-001/draft/k1"))
        .unwrap();
    assert!(
        entry.checked,
        "the tick made with the official client is pulled"
    );
    assert!(
        task.entries
            .iter()
            .filter(|e| e.identity.as_deref() != Some("item-001/draft/k1"))
            .all(|e| !e.checked)
    );
    // The person's own task is seen, carries no identity, and is done.
    let own = seen
        .tasks
        .iter()
        .find(|t| t.remote_id == did["own"]["gid"].as_str().unwrap())
        .expect("the person's task is observed");
    assert_eq!(own.identity, None);
    assert_eq!(own.state, State::Done);
    assert_eq!(own.entries.len(), 1);
    assert!(own.entries[0].checked);
    assert_eq!(seen.tasks.len(), 3);
}
