//! Asana's official Python client (PyPI `asana`, `Configuration().host` set to the emulator)
//! works in the project like a person: throughline pulls what it did.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

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

/// The official client on what a person also does: finds a colleague by e-mail, lists and
/// creates projects, reads a section's tasks, comments on a task; and what Asana answers
/// without `opt_fields` (compact lists, single objects without their opt-in fields).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client_finds_people_makes_projects_and_comments() {
    let Some(python) = external::python_with_asana() else {
        return;
    };
    let s = Setup::new(Mode::Marker).await;
    let desired = plan(1, &["draft"], 1);
    let mut c = s.connector();
    s.emu.clear_requests();
    c.observe(None).await.unwrap();
    let created = c
        .apply(&[Change::CreateTask {
            task: desired[0].clone(),
        }])
        .await;
    assert!(created.iter().all(Result::is_ok), "{created:?}");
    let before = c.observe(c.cursor()).await.unwrap();
    // throughline names every field it reads: Asana's defaults are compact lists and single
    // objects without their opt-in fields. (Only `/events` takes no opt_fields, and adding
    // a task to a section or a tag answers with an empty object.)
    for r in s.emu.requests() {
        if r.path == "/batch" {
            for a in r.body.as_ref().unwrap()["data"]["actions"]
                .as_array()
                .unwrap()
            {
                let path = a["relative_path"].as_str().unwrap();
                let empty_answer = ["/addTask", "/addTag", "/removeTag"]
                    .iter()
                    .any(|e| path.ends_with(e));
                assert!(
                    empty_answer
                        || a["options"]["fields"]
                            .as_array()
                            .is_some_and(|f| !f.is_empty()),
                    "batch action without opt_fields: {a}"
                );
            }
        } else if r.path != "/events" {
            assert!(
                r.query.contains("opt_fields="),
                "{} {}?{} reads without opt_fields",
                r.method,
                r.path,
                r.query
            );
        }
    }
    let task = s.gid_of("item-000/draft");
    let section = s.emu.task(&task).unwrap()["memberships"][0]["section"]["gid"]
        .as_str()
        .unwrap()
        .to_owned();

    // Through Prism, so the answers are checked against Asana's OpenAPI description too.
    let upstream = s.emu.base_url();
    let dir = s.dir.path().to_path_buf();
    let prism = tokio::task::spawn_blocking(move || external::prism_proxy(&upstream, &dir))
        .await
        .unwrap();
    let base = match &prism {
        Some((_, url)) => {
            s.emu.set_public_base_url(url);
            url.clone()
        }
        None => s.emu.base_url(),
    };
    let script = external::crate_dir().join("tests/python/official_client_gaps.py");
    let args = [
        base,
        s.person.clone(),
        s.seeded.workspace.clone(),
        s.seeded.project.clone(),
        task.clone(),
        section,
        // Any case, and the client puts it in the path percent-encoded.
        "Ana@Example.com".to_owned(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args(args)
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
    if let Some((prism, _)) = &prism {
        let log = prism.log_tail();
        assert!(!log.contains("Violation:"), "Prism saw violations:\n{log}");
    }

    assert_eq!(did["colleague"]["name"], "Ana");
    assert_eq!(did["colleague"]["email"], "ana@example.com");
    assert_eq!(did["colleague"]["gid"], s.seeded.user.as_str());

    assert_eq!(did["created"]["name"], "Ben's side project");
    assert_eq!(did["created"]["notes"], "Not from the playbook");
    assert_eq!(
        did["created"]["workspace"]["gid"],
        s.seeded.workspace.as_str()
    );
    let projects = serde_json::json!(["Ben's other project", "Ben's side project", "Content"]);
    assert_eq!(did["in_workspace"], projects);
    assert_eq!(did["listed"], projects);
    assert_eq!(
        did["everywhere"], projects,
        "every workspace of the person's"
    );
    let other = did["other_default"].as_array().unwrap();
    assert!(other.contains(&"notes".into()) && other.contains(&"workspace".into()));
    assert!(
        !other.contains(&"html_notes".into()),
        "html_notes is opt-in: {other:?}"
    );

    assert_eq!(did["in_section"], serde_json::json!([task]));
    // A list without opt_fields is compact.
    assert_eq!(
        did["in_section_default_keys"],
        serde_json::json!(["gid", "name", "resource_subtype", "resource_type"])
    );

    let comment = &did["comment"];
    assert_eq!(comment["resource_type"], "story");
    assert_eq!(comment["resource_subtype"], "comment_added");
    assert_eq!(comment["type"], "comment");
    assert_eq!(comment["text"], "Draft is with legal");
    assert_eq!(comment["target"]["gid"], task.as_str());
    assert!(comment.get("html_text").is_none(), "html_text is opt-in");
    assert_eq!(did["html_comment"]["text"], "Legal says yes");
    assert_eq!(
        did["html_comment"]["html_text"],
        "<body>Legal says <strong>yes</strong></body>"
    );
    assert_eq!(did["html_comment"]["created_by"]["name"], "Ben");
    let comments = did["comments"].as_array().unwrap();
    let texts: Vec<&str> = comments.iter().filter_map(|c| c["text"].as_str()).collect();
    assert_eq!(texts, ["Draft is with legal", "Legal says yes"]);
    for c in comments {
        let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "created_at",
                "created_by",
                "gid",
                "resource_subtype",
                "resource_type",
                "text"
            ],
            "a story listed without opt_fields is compact"
        );
    }

    // A single task without opt_fields: everything but the opt-in fields.
    let keys = did["task_default_keys"].as_array().unwrap();
    for kept in [
        "name",
        "notes",
        "completed",
        "memberships",
        "assignee",
        "custom_fields",
    ] {
        assert!(keys.contains(&kept.into()), "{kept} is in {keys:?}");
    }
    for opt_in in ["html_notes", "num_subtasks", "dependencies", "dependents"] {
        assert!(
            !keys.contains(&opt_in.into()),
            "{opt_in} is opt-in: {keys:?}"
        );
    }

    // throughline sees the comments as activity on its task, and nothing else changes.
    let after = c.observe(before.cursor.clone()).await.unwrap();
    let ours = |o: &throughline_connector::Observation| {
        o.tasks
            .iter()
            .find(|t| t.identity.as_deref() == Some("item-000/draft"))
            .map(|t| (t.fields.clone(), t.state, t.entries.len()))
    };
    assert_eq!(ours(&after), ours(&before));
}
