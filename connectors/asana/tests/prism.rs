//! Every request the connector sends and every answer the emulator gives, checked against
//! Asana's own OpenAPI description by Stoplight Prism (`prism proxy --errors` between them),
//! and a canary request Prism must refuse before it reaches the emulator.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;
mod external;

use common::{Mode, Setup, identities, plan};
use jiff::civil::Date;
use serde_json::json;
use throughline_asana::emulator::LoggedRequest;
use throughline_asana::{AsanaAuth, AsanaConnector};
use throughline_connector::{
    Applied, Change, Connector, DesiredEntry, EntryFields, State, TaskFields,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connector_and_the_emulator_speak_asanas_api_as_described() {
    for mode in [Mode::Marker, Mode::Field, Mode::OAuth] {
        let s = Setup::new(mode).await;
        let upstream = s.emu.base_url();
        let dir = s.dir.path().to_path_buf();
        let Some((prism, url)) =
            tokio::task::spawn_blocking(move || external::prism_proxy(&upstream, &dir))
                .await
                .unwrap()
        else {
            return;
        };
        s.emu.set_public_base_url(&url);
        let mut settings = s.settings();
        // The description's paths have no /api/1.0 prefix: Prism adds nothing either.
        settings.base_url = url.clone();
        if let AsanaAuth::OAuth(o) = &mut settings.auth {
            // Sign-in endpoints are not part of the REST API description.
            o.token_url = Some(format!("{}/-/oauth_token", s.emu.root_url()));
        }
        settings.mapping.channel = throughline_asana::ChannelAs::Tag;
        let mut c = AsanaConnector::new(settings).unwrap();
        let log = run_cycle_through(&s, &mut c)
            .await
            .unwrap_or_else(|e| panic!("{mode:?}: {e}\nPrism's log:\n{}", prism.log_tail()));
        replay_batch_actions(&s, &url, log).await;
        canaries(&s, &url).await;
        let log = prism.log_tail();
        assert!(!log.contains("Violation:"), "Prism saw violations:\n{log}");
    }
}

/// Push, pull a person's edits, update, archive, add entries: the whole life of tasks.
async fn run_cycle_through(
    s: &Setup,
    c: &mut AsanaConnector,
) -> Result<Vec<LoggedRequest>, String> {
    let mut desired = plan(12, &["draft", "review"], 2);
    desired[0].context.channel = Some("blog".into());
    let obs = c.observe(None).await.map_err(|e| e.to_string())?;
    let creates: Vec<Change> = desired
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    for r in c.apply(&creates).await {
        r.map_err(|e| format!("create: {e}"))?;
    }
    // A person ticks a subtask and completes a task, through Prism too.
    let sub = s.gid_of("item-003/review/k1");
    let task = s.gid_of("item-004/draft");
    for gid in [&sub, &task] {
        let r = s
            .http
            .put(format!("{}/tasks/{gid}", c.settings().base_url))
            .bearer_auth(&s.person)
            .json(&json!({"data": {"completed": true}}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!(
                "a person's edit: {}",
                r.text().await.unwrap_or_default()
            ));
        }
    }
    let obs = c
        .observe(obs.cursor.clone())
        .await
        .map_err(|e| e.to_string())?;
    let seen = identities(&obs);
    if seen.len() != 24 * 3 || seen.values().any(|n| *n != 1) {
        return Err(format!("unexpected identities: {seen:?}"));
    }
    let find = |id: &str| {
        obs.tasks
            .iter()
            .find(|t| t.identity.as_deref() == Some(id))
            .cloned()
            .ok_or(format!("`{id}` not observed"))
    };
    if find("item-004/draft")?.state != State::Done {
        return Err("the completed task was not pulled".into());
    }
    let review = find("item-003/review")?;
    if !review
        .entries
        .iter()
        .any(|e| e.identity.as_deref() == Some("item-003/review/k1") && e.checked)
    {
        return Err("the ticked subtask was not pulled".into());
    }

    // Updates of every kind.
    let first = find("item-000/draft")?;
    let moved = TaskFields {
        title: "שלב חדש — new title".into(),
        description: "Two\nlines".into(),
        group: "review".into(),
        owner: Some("ben@example.com".into()),
        start: Some(Date::constant(2027, 1, 3)),
        due: Some(Date::constant(2027, 1, 5)),
    };
    let archived = find("item-005/review")?;
    let changes = vec![
        Change::UpdateTask {
            remote_id: first.remote_id.clone(),
            identity: "item-000/draft".into(),
            context: desired[0].context.clone(),
            fields: Some(moved.clone()),
            previous: Some(first.fields.clone()),
            state: Some(State::Done),
            unarchive: false,
        },
        Change::ArchiveTask {
            remote_id: archived.remote_id.clone(),
            identity: "item-005/review".into(),
            context: desired[0].context.clone(),
        },
        Change::CreateEntry {
            parent_remote_id: first.remote_id.clone(),
            parent_identity: "item-000/draft".into(),
            context: desired[0].context.clone(),
            index: 0,
            entry: DesiredEntry {
                identity: "item-000/draft/first".into(),
                fields: EntryFields {
                    text: "Goes first".into(),
                    owner: None,
                    due: None,
                },
                checked: false,
            },
        },
        Change::UpdateEntry {
            parent_remote_id: first.remote_id.clone(),
            remote_id: first.entries[1].remote_id.clone(),
            identity: "item-000/draft/k1".into(),
            fields: Some(EntryFields {
                text: "Renamed".into(),
                owner: None,
                due: Some(Date::constant(2027, 1, 4)),
            }),
            checked: Some(true),
            unarchive: false,
        },
        Change::ArchiveEntry {
            parent_remote_id: first.remote_id.clone(),
            remote_id: first.entries[0].remote_id.clone(),
            identity: "item-000/draft/k0".into(),
        },
    ];
    let results = c.apply(&changes).await;
    for (r, change) in results.iter().zip(&changes) {
        match r {
            Ok(Applied::Created { .. } | Applied::Updated { .. } | Applied::Archived) => {}
            other => return Err(format!("{:?}: {other:?}", change.kind())),
        }
    }
    let after = c.observe(c.cursor()).await.map_err(|e| e.to_string())?;
    let first = after
        .tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some("item-000/draft"))
        .ok_or("item-000/draft is gone")?;
    if first.fields != moved || first.state != State::Done {
        return Err(format!("the update did not hold: {first:?}"));
    }
    let order: Vec<_> = first
        .entries
        .iter()
        .map(|e| {
            (
                e.identity.clone().unwrap_or_default(),
                e.archived,
                e.checked,
            )
        })
        .collect();
    // The new entry goes first among the live ones; the archived one keeps its place.
    let want = vec![
        ("item-000/draft/k0".to_owned(), true, false),
        ("item-000/draft/first".to_owned(), false, false),
        ("item-000/draft/k1".to_owned(), false, true),
    ];
    if order != want {
        return Err(format!("entries: {order:?}"));
    }
    let gone = after
        .tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some("item-005/review"))
        .ok_or("the archived task must stay")?;
    if !gone.archived {
        return Err("the archived task is not marked archived".into());
    }
    // A restarted process without a cursor reads everything, people included.
    let mut fresh = AsanaConnector::new(c.settings().clone()).map_err(|e| e.to_string())?;
    let everything = fresh.observe(None).await.map_err(|e| e.to_string())?;
    if identities(&everything) != identities(&after) {
        return Err("a fresh read differs".into());
    }
    // Nothing changed since: one request.
    let log = s.emu.requests();
    s.emu.clear_requests();
    c.observe(after.cursor.clone())
        .await
        .map_err(|e| e.to_string())?;
    if s.emu.requests().len() != 1 {
        return Err(format!("a quiet observation sent {:?}", s.emu.requests()));
    }
    Ok(log)
}

/// Prism checks a `/batch` request's envelope, not its actions: send every action the
/// connector batched once more as a request of its own, so the description checks each.
async fn replay_batch_actions(s: &Setup, url: &str, log: Vec<LoggedRequest>) {
    let batches: Vec<_> = log
        .into_iter()
        .filter(|r| r.path == "/batch" && r.user == s.seeded.user)
        .collect();
    assert!(!batches.is_empty());
    let token = match &s.auth {
        AsanaAuth::Token(t) => t.expose().to_owned(),
        AsanaAuth::OAuth(_) => throughline_asana::oauth::read_token_file(&s.token_file())
            .unwrap()
            .access_token
            .unwrap(),
    };
    let mut checked = std::collections::BTreeSet::new();
    for batch in batches {
        for action in batch.body.unwrap()["data"]["actions"].as_array().unwrap() {
            let path = action["relative_path"].as_str().unwrap();
            let method = action["method"].as_str().unwrap().to_ascii_uppercase();
            let mut query: Vec<(String, String)> = Vec::new();
            if let Some(fields) = action["options"]["fields"].as_array() {
                let fields: Vec<&str> = fields.iter().filter_map(|f| f.as_str()).collect();
                query.push(("opt_fields".into(), fields.join(",")));
            }
            if let Some(limit) = action["options"]["limit"].as_u64() {
                query.push(("limit".into(), limit.to_string()));
            }
            let mut request = s
                .http
                .request(method.parse().unwrap(), format!("{url}{path}"))
                .bearer_auth(&token)
                .query(&query);
            if method != "GET" {
                request = request.json(&json!({"data": action["data"]}));
            }
            let answer = request.send().await.unwrap();
            let status = answer.status().as_u16();
            let body: serde_json::Value = answer.json().await.unwrap_or_default();
            let prism_said = body["type"]
                .as_str()
                .is_some_and(|t| t.contains("stoplight.io/prism"));
            assert!(
                !prism_said,
                "{method} {path} as the connector batched it does not fit the description: {body}\naction: {action}"
            );
            checked.insert(format!("{method} {}", shape(path)));
            let _ = status;
        }
    }
    // Every kind of write and read the connector batches was checked.
    for kind in [
        "POST /tasks",
        "POST /tasks/{}/subtasks",
        "PUT /tasks/{}",
        "POST /tasks/{}/addTag",
        "POST /tasks/{}/setParent",
        "POST /sections/{}/addTask",
        "POST /projects/{}/sections",
        "POST /tags",
        "GET /projects/{}/tasks",
        "GET /projects/{}/sections",
        "GET /projects/{}/custom_field_settings",
        "GET /tasks/{}/subtasks",
        "GET /users/{}",
    ] {
        assert!(
            checked.contains(kind),
            "no `{kind}` was checked: {checked:?}"
        );
    }
}

/// `/tasks/123/subtasks` → `/tasks/{}/subtasks`.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|p| {
            if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() {
                "{}"
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Requests the description forbids: Prism refuses them, the emulator never sees them.
async fn canaries(s: &Setup, url: &str) {
    s.emu.clear_requests();
    let project = &s.seeded.project;
    let too_many = s
        .http
        .get(format!("{url}/projects/{project}/tasks?limit=500"))
        .bearer_auth(&s.seeded.token)
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status().as_u16(), 422, "limit=500 must be refused");
    let wrong_type = s
        .http
        .post(format!("{url}/projects/{project}/sections"))
        .bearer_auth(&s.seeded.token)
        .json(&json!({"data": {"name": 42}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_type.status().as_u16(),
        422,
        "a number for a name must be refused"
    );
    let unknown_field = s
        .http
        .get(format!(
            "{url}/projects/{project}/tasks?opt_fields=assignee.email&limit=5"
        ))
        .bearer_auth(&s.seeded.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        unknown_field.status().as_u16(),
        422,
        "an opt_field the description does not list must be refused"
    );
    assert!(
        s.emu.requests().is_empty(),
        "refused requests reached the emulator: {:?}",
        s.emu.requests()
    );
}
