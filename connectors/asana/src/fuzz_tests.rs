//! Fuzz properties of what the connector reads from Asana: the observation cursor it keeps
//! between cycles (a snapshot of the project), pages of tasks, and the events feed, each
//! decoded and turned into observed tasks and entries (identity from the external field, a
//! custom field or the notes marker; sections, assignees, dates) or into the set of tasks to
//! read again. Inputs are bodies shaped like Asana's, damaged (values replaced by generated
//! ones or removed, bytes flipped, cut short, huge numbers, deep nesting, Hebrew and
//! direction marks, NUL, very long text), and JSON generated from the field names the codec
//! knows.
//!
//! Here, inside `observe`, because the snapshot, the codec and the events are private. The
//! number of cases is `THROUGHLINE_FUZZ_CASES` (default 256); `scripts/fuzz` runs 100,000.

#[path = "../../../tests/fuzz_support/mutate.rs"]
mod mutate;

use proptest::prelude::*;
use serde_json::Value;
use throughline_connector::http::Secret;

use super::{Snapshot, dirty, parse_all};
use crate::client::Event;
use crate::codec::RemoteTask;
use crate::{AsanaAuth, AsanaConnector, AsanaSettings};

const PROJECT: &str = "1200000000000001";

/// A task as read with `TASK_FIELDS`.
const TASK: &str = r#"{
  "gid": "1200000000000101", "name": "מבצע אביב: כתיבה", "resource_type": "task",
  "notes": "‏הערות\n\nthroughline: spring-sale/copy",
  "completed": false, "modified_at": "2026-03-01T10:00:00.000Z",
  "due_on": "2026-03-10", "due_at": null, "start_on": "2026-03-08",
  "assignee": {"gid": "1200000000000900", "resource_type": "user"},
  "memberships": [{"project": {"gid": "1200000000000001"}, "section": {"gid": "1200000000000201", "name": "כתיבה"}}],
  "tags": [{"gid": "1200000000000301", "name": "archived by throughline"}],
  "external": {"gid": "1200000000000001:spring-sale/copy", "data": null},
  "custom_fields": [
    {"gid": "1200000000000401", "name": "throughline", "resource_subtype": "text", "text_value": "spring-sale/copy"},
    {"gid": "1200000000000402", "name": "Channel", "resource_subtype": "enum", "enum_value": {"gid": "5", "name": "Instagram"}}
  ],
  "num_subtasks": 2, "parent": null
}"#;

const SUBTASK: &str = r#"{
  "gid": "1200000000000102", "name": "Write down the source", "completed": true,
  "notes": "throughline: spring-sale/copy/source", "due_at": "2026-03-09T15:00:00.000Z",
  "assignee": {"gid": "1200000000000901"}, "parent": {"gid": "1200000000000101"}
}"#;

const EVENTS: &str = r#"{"sync": "de4774f6915eae04714ca93bb2f5ee81", "has_more": false, "data": [
  {"action": "changed", "created_at": "2026-03-02T10:00:00.000Z",
   "resource": {"gid": "1200000000000101", "resource_type": "task"},
   "parent": null, "change": {"field": "completed", "action": "changed"}},
  {"action": "added", "created_at": "2026-03-02T10:00:01.000Z",
   "resource": {"gid": "1200000000000103", "resource_type": "task"},
   "parent": {"gid": "1200000000000101", "resource_type": "task"}},
  {"action": "added", "resource": {"gid": "1200000000000202", "resource_type": "section"},
   "parent": {"gid": "1200000000000001", "resource_type": "project"}},
  {"action": "added", "resource": {"gid": "1200000000000501", "resource_type": "story"},
   "parent": {"gid": "1200000000000102", "resource_type": "task"}}
]}"#;

const KEYS: &[&str] = &[
    "gid",
    "name",
    "notes",
    "completed",
    "modified_at",
    "due_on",
    "due_at",
    "start_on",
    "assignee",
    "memberships",
    "project",
    "section",
    "tags",
    "external",
    "data",
    "custom_fields",
    "text_value",
    "enum_value",
    "resource_subtype",
    "num_subtasks",
    "parent",
    "v",
    "lineage",
    "generation",
    "sync",
    "identity_field",
    "channel_field",
    "options",
    "sections",
    "users",
    "tasks",
    "subtasks",
    "action",
    "resource",
    "resource_type",
    "created_at",
    "has_more",
];

/// A cursor as the connector writes it: its snapshot of the project.
fn cursor() -> String {
    let task: Value = serde_json::from_str(TASK).unwrap();
    let sub: Value = serde_json::from_str(SUBTASK).unwrap();
    serde_json::json!({
        "v": 1, "project": PROJECT, "lineage": 7, "generation": 3,
        "sync": "de4774f6915eae04714ca93bb2f5ee81",
        "identity_field": "1200000000000401",
        "channel_field": {"gid": "1200000000000402", "options": {"Instagram": "5"}},
        "sections": [{"gid": "1200000000000201", "name": "כתיבה"}, {"gid": "1200000000000202", "name": "Done"}],
        "users": {"1200000000000900": "dana@example.com"},
        "tags": {"archived by throughline": "1200000000000301"},
        "tasks": [task],
        "subtasks": {"1200000000000101": [sub]}
    })
    .to_string()
}

fn connector() -> AsanaConnector {
    let mut settings = AsanaSettings::new(
        "fuzz",
        PROJECT,
        "1200000000000000",
        AsanaAuth::Token(Secret::new("token")),
    );
    settings
        .people
        .insert("דנה".into(), "dana@example.com".into());
    settings
        .people
        .insert("noa".into(), "1200000000000901".into());
    AsanaConnector::new(settings).expect("settings are complete")
}

/// Observe `snap` and check what came back.
fn observe(conn: &AsanaConnector, snap: &Snapshot) -> Result<(), TestCaseError> {
    let observed = conn.observation(snap);
    prop_assert_eq!(observed.tasks.len(), snap.tasks.len());
    for (task, remote) in observed.tasks.iter().zip(&snap.tasks) {
        let subs = snap.subtasks.get(&remote.gid).map_or(0, Vec::len);
        prop_assert_eq!(task.entries.len(), subs);
    }
    Ok(())
}

#[test]
fn fuzz_cursor() {
    let conn = connector();
    let seed = cursor();
    mutate::run("asana cursor", mutate::json_body(&[&seed], KEYS), |body| {
        let Ok(value) = serde_json::from_slice::<Value>(&body) else {
            return Ok(());
        };
        let Some(snap) = Snapshot::from_cursor(value, PROJECT) else {
            return Ok(());
        };
        observe(&conn, &snap)
    });
}

/// A page of tasks or subtasks, as `parse_all` reads it, observed in a snapshot.
#[test]
fn fuzz_task_page() {
    let conn = connector();
    let page = format!(r#"{{"data": [{TASK}, {SUBTASK}], "next_page": null}}"#);
    mutate::run(
        "asana task page",
        mutate::json_body(&[&page], KEYS),
        |body| {
            let Ok(value) = serde_json::from_slice::<Value>(&body) else {
                return Ok(());
            };
            let items = value["data"].as_array().cloned().unwrap_or_default();
            for item in &items {
                let _ = RemoteTask::from_json(item);
            }
            let Ok(tasks) = parse_all::<RemoteTask>(&items, "the tasks of the fuzz project") else {
                return Ok(());
            };
            let mut snap = Snapshot::from_cursor(serde_json::from_str(&cursor()).unwrap(), PROJECT)
                .expect("the seed cursor is readable");
            snap.subtasks.insert(
                tasks.first().map(|t| t.gid.clone()).unwrap_or_default(),
                tasks.clone(),
            );
            snap.tasks = tasks;
            observe(&conn, &snap)
        },
    );
}

/// The events feed, decoded as `events` does, against the seed snapshot.
#[test]
fn fuzz_events() {
    let snap = Snapshot::from_cursor(serde_json::from_str(&cursor()).unwrap(), PROJECT)
        .expect("the seed cursor is readable");
    mutate::run("asana events", mutate::json_body(&[EVENTS], KEYS), |body| {
        let Ok(value) = serde_json::from_slice::<Value>(&body) else {
            return Ok(());
        };
        let _ = value["sync"].as_str();
        let _ = value["has_more"].as_bool();
        let Ok(events) = serde_json::from_value::<Vec<Event>>(value["data"].clone()) else {
            return Ok(());
        };
        let d = dirty(&snap, &events);
        prop_assert!(d.tasks.len() <= events.len());
        prop_assert!(d.subtasks_of.len() <= events.len());
        Ok(())
    });
}
