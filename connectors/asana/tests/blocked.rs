//! Blocked in Asana as the mapping chooses: an option of a drop-down custom field (here) or a
//! tag (tests/it/blocked.rs), the reason in a text custom field; written by throughline, read
//! back after a person picks or clears the option.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;

use common::{Mode, Setup, task};
use serde_json::{Value, json};
use throughline_asana::{AsanaConnector, BlockedAs};
use throughline_connector::{Change, Connector, State, StateSupport};

fn field_value<'v>(task: &'v Value, field: &str) -> &'v Value {
    task["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["gid"] == field)
        .unwrap_or_else(|| panic!("the task has no field {field}: {task}"))
}

#[tokio::test]
async fn blocked_as_a_drop_down_option_with_its_reason_in_a_text_field() {
    let s = Setup::new(Mode::Marker).await;
    let status = s
        .emu
        .add_custom_field(&s.seeded.project, "Stage state", &["On track", "Blocked"]);
    let reason = s
        .emu
        .add_custom_field(&s.seeded.project, "Blocked reason", &[]);
    let mut settings = s.settings();
    settings.mapping.blocked = BlockedAs::Field {
        field: "stage state".into(),
        option: "Blocked".into(),
    };
    let mut c = AsanaConnector::new(settings).unwrap();
    assert_eq!(c.capabilities().states, StateSupport::DoneBlockedOrNot);

    // Created blocked, with a reason: the option is picked and the reason written.
    let mut t = task("spring", "copy", 0, &[]);
    t.state = State::Blocked;
    t.context.blocked_reason = Some("waiting on legal".into());
    c.observe(None).await.unwrap();
    assert!(c.apply(&[Change::CreateTask { task: t.clone() }]).await[0].is_ok());
    let gid = s.gid_of("spring/copy");
    let remote = s.emu.task(&gid).unwrap();
    assert_eq!(
        field_value(&remote, &status)["enum_value"]["name"],
        "Blocked"
    );
    assert_eq!(
        field_value(&remote, &reason)["text_value"],
        "waiting on legal"
    );
    assert!(remote["tags"].as_array().unwrap().is_empty(), "no tag");
    let obs = c.observe(None).await.unwrap();
    let seen = obs.tasks.iter().find(|x| x.remote_id == gid).unwrap();
    assert_eq!(seen.state, State::Blocked);
    assert!(seen.status_cells.holds_reason);
    assert_eq!(
        seen.status_cells.blocked_reason.as_deref(),
        Some("waiting on legal")
    );

    // A person picks the other option: the task reads as not blocked, and no reason shows.
    let on_track = s.emu.task(&gid).unwrap();
    let option = s
        .person(
            reqwest::Method::GET,
            &format!("/custom_fields/{status}"),
            None,
        )
        .await["data"]["enum_options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "On track")
        .unwrap()["gid"]
        .clone();
    assert_eq!(on_track["completed"], false);
    s.person_puts(&gid, json!({"custom_fields": {status.clone(): option}}))
        .await;
    let obs = c.observe(None).await.unwrap();
    let seen = obs.tasks.iter().find(|x| x.remote_id == gid).unwrap();
    assert_eq!(seen.state, State::Todo);
    assert_eq!(seen.status_cells.blocked_reason, None);

    // Unblocked by throughline: the option is cleared and the reason emptied.
    let change = Change::UpdateTask {
        remote_id: gid.clone(),
        identity: t.identity.clone(),
        context: t.context.clone(),
        fields: None,
        previous: None,
        state: Some(State::Blocked),
        unarchive: false,
    };
    assert!(c.apply(&[change]).await[0].is_ok());
    let change = Change::UpdateTask {
        remote_id: gid.clone(),
        identity: t.identity.clone(),
        context: t.context.clone(),
        fields: None,
        previous: None,
        state: Some(State::Doing),
        unarchive: false,
    };
    assert!(c.apply(&[change]).await[0].is_ok());
    let remote = s.emu.task(&gid).unwrap();
    assert!(field_value(&remote, &status)["enum_value"].is_null());
    assert_eq!(field_value(&remote, &reason)["text_value"], "");
    let obs = c.observe(None).await.unwrap();
    let seen = obs.tasks.iter().find(|x| x.remote_id == gid).unwrap();
    assert_eq!(seen.state, State::Todo, "in progress reads as to do");
}
