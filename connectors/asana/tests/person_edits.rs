//! What people do in Asana by hand, as the events feed reports it and the connector reads it:
//! moving a task to another section, renaming a section, adding a subtask, deleting a task.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;

use common::{Mode, Setup, plan};
use reqwest::Method;
use serde_json::json;
use throughline_connector::{Change, Connector};

#[tokio::test]
async fn hand_edits_in_asana_are_observed_through_the_events_feed() {
    let s = Setup::new(Mode::Field).await;
    let desired = plan(3, &["draft", "review"], 1);
    let mut c = s.connector();
    c.observe(None).await.unwrap();
    let changes: Vec<Change> = desired
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    assert!(c.apply(&changes).await.iter().all(Result::is_ok));
    let before = c.observe(c.cursor()).await.unwrap();

    let moved = s.gid_of("item-000/draft");
    let deleted = s.gid_of("item-002/review");
    let parent = s.gid_of("item-001/review");
    let sections = s
        .person(
            Method::GET,
            &format!("/projects/{}/sections?opt_fields=name", s.seeded.project),
            None,
        )
        .await;
    let section = |name: &str| {
        sections["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .unwrap()["gid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (draft, review) = (section("draft"), section("review"));
    s.person(
        Method::POST,
        &format!("/sections/{review}/addTask"),
        Some(json!({"data": {"task": moved}})),
    )
    .await;
    s.person(
        Method::PUT,
        &format!("/sections/{draft}"),
        Some(json!({"data": {"name": "Drafting"}})),
    )
    .await;
    s.person(
        Method::POST,
        &format!("/tasks/{parent}/subtasks"),
        Some(json!({"data": {"name": "Ben's extra step"}})),
    )
    .await;
    s.person(Method::DELETE, &format!("/tasks/{deleted}"), None)
        .await;

    s.emu.clear_requests();
    let after = c.observe(c.cursor()).await.unwrap();
    let requests = s.emu.requests();
    assert_eq!(requests[0].path, "/events");
    assert_eq!(requests[0].status, 200, "no full re-read: {requests:?}");
    let find = |id: &str| {
        after
            .tasks
            .iter()
            .find(|t| t.identity.as_deref() == Some(id))
    };
    assert_eq!(find("item-000/draft").unwrap().fields.group, "review");
    assert!(find("item-002/review").is_none(), "a deleted task is gone");
    assert_eq!(after.tasks.len(), before.tasks.len() - 1);
    let review = find("item-001/review").unwrap();
    assert_eq!(review.entries.len(), 2);
    assert_eq!(
        review.entries[1].identity, None,
        "Ben's subtask is not throughline's"
    );
    assert_eq!(review.entries[1].fields.text, "Ben's extra step");
    // A renamed section shows on every task in it.
    assert!(
        after
            .tasks
            .iter()
            .filter(|t| t.identity.as_deref().is_some_and(|i| i.ends_with("/draft")))
            .filter(|t| t.identity.as_deref() != Some("item-000/draft"))
            .all(|t| t.fields.group == "Drafting")
    );
}
