//! A person at the daemon's dashboard in headless Chromium (Debian's, through Playwright for
//! Python: `tests/browser/dashboard_actions.py`): signs in, presses "sync now" and sees the
//! cycle on the Sync page, settles a conflict by keeping the side the policy did not choose;
//! then the next `plan` agrees with that side. No request leaves 127.0.0.1, no console error.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use throughline::state::{EventKind, SqliteStore, StateStore};
use throughline_connector::State;

use crate::common::cli::{run, text};
use crate::daemon_support::{python_module, require};
use crate::dashboard_actions::{Daemon, set_state, state_in};
use crate::dashboard_security::{PASSWORD, deployment};

fn chromium() -> Result<(), String> {
    match Command::new("chromium").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "chromium is not installed (apt-get install chromium): {e}"
        )),
    }
}

#[test]
fn sign_in_sync_now_and_settle_a_conflict_in_chromium() {
    if !require(python_module("playwright")) || !require(chromium()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let (writers, managers) = (
        dir.path().join("writers.xlsx"),
        dir.path().join("managers.xlsx"),
    );
    let task = "spring-sale/copy";
    set_state(&writers, task, State::Done);
    set_state(&managers, task, State::Doing);
    let out = run(&config, &["--now", "2026-12-02T09:00:00Z", "sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let conflict = SqliteStore::open_read_only(&dir.path().join("throughline.db"))
        .unwrap()
        .events(None)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EventKind::Conflict)
        .expect("the conflict is recorded");
    let (loser, kept) = if conflict.resolution.starts_with("writers won") {
        ("managers", State::Doing)
    } else {
        ("writers", State::Done)
    };

    let daemon = Daemon::start(&config);
    let shots = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/dashboard_actions.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(shots.path())
        .arg(format!("http://{}", daemon.addr))
        .args(["dana", PASSWORD, task, loser])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["error"], Value::Null, "{seen:#}");
    assert_eq!(seen["signed_in"], true, "{seen:#}");
    let (before, after) = (
        seen["cycle_before"].as_u64().unwrap(),
        seen["cycle_after"].as_u64().unwrap(),
    );
    assert!(
        before >= 1 && after > before,
        "sync now ran a cycle: {seen:#}"
    );
    assert_eq!(seen["settle_offered"], true, "{seen:#}");
    assert_eq!(
        seen["after_settle"], "/sync",
        "back on the Sync page: {seen:#}"
    );
    for post in seen["posts"].as_array().unwrap() {
        assert_eq!(post[1], 303, "every form went through: {seen:#}");
    }
    assert_eq!(
        seen["posts"].as_array().unwrap().len(),
        3,
        "sign in, sync now, settle"
    );
    assert_eq!(
        seen["blocked"],
        Value::Array(vec![]),
        "nothing but 127.0.0.1"
    );
    assert_eq!(seen["console_errors"], Value::Array(vec![]));
    for shot in ["signed-in.png", "synced.png", "settled.png"] {
        assert!(
            shots.path().join(shot).metadata().unwrap().len() > 1000,
            "{shot}"
        );
    }
    drop(daemon);

    // The next plan agrees with the side kept: no conflict, and each workbook shows it or is
    // to be given it.
    let out = run(&config, &["plan", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plan["conflicts"].as_array().map(Vec::len),
        Some(0),
        "{plan:#}"
    );
    for (target, file) in [("writers", &writers), ("managers", &managers)] {
        let changes = plan["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target"] == target)
            .unwrap()["plan"]["changes"]
            .to_string();
        let pushed = changes.contains(task) && changes.contains(&format!("\"{kept}\""));
        assert!(
            pushed || state_in(file, task) == kept,
            "{target}: {changes}"
        );
    }
}
