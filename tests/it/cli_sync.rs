//! `plan`, `sync` and `status` as a person runs them, on a copy of the content example.

use crate::common;

use common::cli::{copy_example, run, text};

#[test]
fn plan_sync_status_on_the_content_example() {
    let (dir, config) = copy_example("content");

    let plan = run(&config, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    let out = text(&plan);
    assert!(out.contains("+ hanukkah-sale/idea"), "{out}");
    assert!(
        out.contains("to create, 0 to update, 0 to archive."),
        "{out}"
    );
    assert!(
        !dir.path().join("content-plan.xlsx").exists(),
        "plan writes nothing"
    );
    assert!(
        !dir.path().join("throughline.db").exists(),
        "plan writes nothing"
    );

    let sync = run(&config, &["sync"]);
    assert!(sync.status.success(), "{}", text(&sync));
    let out = text(&sync);
    assert!(out.contains("created, 0 updated, 0 archived."), "{out}");
    assert!(
        out.contains("content-plan.xlsx"),
        "says where the workbook is: {out}"
    );
    assert!(dir.path().join("content-plan.xlsx").exists());

    let again = run(&config, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(text(&again).contains("in step: nothing to change"));

    // The playbook renames an item: plan shows updates, as JSON too.
    let items = dir.path().join("items/december.toml");
    let renamed = std::fs::read_to_string(&items).unwrap();
    let first_title = renamed
        .lines()
        .find(|l| l.trim_start().starts_with("title"))
        .unwrap()
        .to_string();
    std::fs::write(
        &items,
        renamed.replacen(&first_title, "title = \"Renamed in the playbook\"", 1),
    )
    .unwrap();
    let json = run(&config, &["plan", "--json", "--detailed-exitcode"]);
    assert_eq!(json.status.code(), Some(2), "{}", text(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v["totals"]["update"].as_u64().unwrap() > 0, "{v}");

    let status = run(&config, &["status", "--json"]);
    assert!(status.status.success(), "{}", text(&status));
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(!v["items"].as_array().unwrap().is_empty());
    let human = run(&config, &["status"]);
    assert!(text(&human).contains("Tasks per stage"), "{}", text(&human));
}

#[test]
fn an_unknown_target_is_named() {
    let (_dir, config) = copy_example("content");
    let out = run(&config, &["sync", "--target", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(
        t.contains("there is no target `nope`; the targets are: workbook"),
        "{t}"
    );
}

#[test]
fn an_invalid_model_writes_nothing() {
    let (dir, config) = copy_example("content");
    let playbook = dir.path().join("playbooks/content.toml");
    let text0 = std::fs::read_to_string(&playbook).unwrap();
    std::fs::write(
        &playbook,
        text0.replacen("owner = \"writer\"", "owner = \"wrtier\"", 1),
    )
    .unwrap();
    let out = run(&config, &["sync"]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(t.contains("content.toml:") && t.contains("wrtier"), "{t}");
    assert!(!dir.path().join("content-plan.xlsx").exists());
    assert!(!dir.path().join("throughline.db").exists());
}

#[test]
fn a_second_sync_on_the_same_state_is_refused() {
    let (dir, config) = copy_example("content");
    assert!(run(&config, &["sync"]).status.success());
    // Hold the store's lock as another sync would.
    let _store = throughline::state::SqliteStore::open(&dir.path().join("throughline.db")).unwrap();
    let out = run(&config, &["sync"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("in use by another throughline process"),
        "{}",
        text(&out)
    );
}
