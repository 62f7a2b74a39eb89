//! What the mapping's choices look like in Asana: `due_at` at a time of day, the channel as a
//! tag or a drop-down field, no sections per stage, and people mapped to other addresses.

mod common;

use common::{Mode, Setup, task};
use throughline_asana::{AsanaConnector, ChannelAs};
use throughline_connector::{Change, Connector};

#[tokio::test]
async fn a_due_time_writes_due_at_and_reads_back_the_same_date() {
    let s = Setup::new(Mode::Marker).await;
    let mut settings = s.settings();
    settings.mapping.due_time = Some(jiff::civil::Time::constant(23, 30, 0, 0));
    let mut c = AsanaConnector::new(settings).unwrap();
    let t = task("launch", "publish", 0, &["go"]);
    c.observe(None).await.unwrap();
    assert!(c.apply(&[Change::CreateTask { task: t.clone() }]).await[0].is_ok());
    let gid = s.gid_of("launch/publish");
    let remote = s.emu.task(&gid).unwrap();
    // 23:30 in Jerusalem on 2026-12-08 is 21:30 UTC; never both due fields.
    assert_eq!(remote["due_at"], "2026-12-08T21:30:00.000Z");
    assert!(remote["due_on"].is_null());
    assert_eq!(remote["start_on"], "2026-12-06");
    let obs = c.observe(c.cursor()).await.unwrap();
    let seen = obs.tasks.iter().find(|x| x.remote_id == gid).unwrap();
    assert_eq!(seen.fields.due, t.fields.due);
    assert_eq!(seen.fields.start, t.fields.start);
    assert_eq!(seen.entries[0].fields.due, t.entries[0].fields.due);
}

#[tokio::test]
async fn the_channel_goes_to_a_tag_or_to_a_drop_down_field() {
    let s = Setup::new(Mode::Marker).await;
    let field = s
        .emu
        .add_custom_field(&s.seeded.project, "Channel", &["Blog", "Newsletter"]);
    let mut t = task("spring", "copy", 0, &[]);
    t.context.channel = Some("newsletter".into());

    let mut c = s.connector();
    c.observe(None).await.unwrap();
    assert!(c.apply(&[Change::CreateTask { task: t.clone() }]).await[0].is_ok());
    let tagged = s.emu.task(&s.gid_of("spring/copy")).unwrap();
    assert_eq!(tagged["tags"][0]["name"], "newsletter");

    let mut settings = s.settings();
    settings.mapping.channel = ChannelAs::CustomField("channel".into());
    let mut c = AsanaConnector::new(settings).unwrap();
    let mut other = t.clone();
    other.identity = "summer/copy".into();
    c.observe(None).await.unwrap();
    assert!(c.apply(&[Change::CreateTask { task: other }]).await[0].is_ok());
    let fielded = s.emu.task(&s.gid_of("summer/copy")).unwrap();
    let value = fielded["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["gid"] == field.as_str())
        .unwrap();
    assert_eq!(value["enum_value"]["name"], "Newsletter");
    assert!(fielded["tags"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn sections_are_created_in_stage_order_unless_the_mapping_says_not_to() {
    let s = Setup::new(Mode::Marker).await;
    let mut c = s.connector();
    c.observe(None).await.unwrap();
    let stages = ["רעיון", "Copy", "Design", "Publish"];
    let changes: Vec<Change> = stages
        .iter()
        .enumerate()
        .map(|(i, st)| Change::CreateTask {
            task: task("a", st, i as u64, &[]),
        })
        .collect();
    assert!(c.apply(&changes).await.iter().all(Result::is_ok));
    let sections: serde_json::Value = s
        .person(
            reqwest::Method::GET,
            &format!("/projects/{}/sections?opt_fields=name", s.seeded.project),
            None,
        )
        .await;
    let names: Vec<&str> = sections["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Untitled section", "רעיון", "Copy", "Design", "Publish"]
    );

    let mut settings = s.settings();
    settings.mapping.create_sections = false;
    let mut strict = AsanaConnector::new(settings).unwrap();
    strict.observe(None).await.unwrap();
    let results = strict
        .apply(&[
            Change::CreateTask {
                task: task("b", "Copy", 0, &[]),
            },
            Change::CreateTask {
                task: task("b", "Review", 1, &[]),
            },
        ])
        .await;
    assert!(results[0].is_ok());
    let err = results[1].as_ref().unwrap_err().to_string();
    assert!(
        err.contains("\"Review\"") && err.contains("add the section"),
        "{err}"
    );
}

#[tokio::test]
async fn people_are_mapped_to_their_asana_addresses_and_back() {
    let s = Setup::new(Mode::Marker).await;
    let mut settings = s.settings();
    settings
        .people
        .insert("dana@hub.example".into(), "ben@example.com".into());
    let mut c = AsanaConnector::new(settings).unwrap();
    c.observe(None).await.unwrap();
    let mut t = task("b", "draft", 0, &[]);
    t.fields.owner = Some("dana@hub.example".into());
    assert!(c.apply(&[Change::CreateTask { task: t }]).await[0].is_ok());
    let remote = s.emu.task(&s.gid_of("b/draft")).unwrap();
    assert_eq!(remote["assignee"]["name"], "Ben");
    // A restarted process, which has to look the assignee up, names the hub's person too.
    let obs = AsanaConnector::new(c.settings().clone())
        .unwrap()
        .observe(None)
        .await
        .unwrap();
    assert_eq!(
        obs.tasks[0].fields.owner.as_deref(),
        Some("dana@hub.example")
    );

    // Someone Asana does not know is refused with a message that names them.
    let mut u = task("c", "draft", 1, &[]);
    u.fields.owner = Some("nobody@example.com".into());
    let err = c
        .apply(&[Change::CreateTask { task: u }])
        .await
        .remove(0)
        .unwrap_err();
    assert!(err.to_string().contains("nobody@example.com"), "{err}");
}

#[tokio::test]
async fn switching_from_a_personal_token_to_oauth_keeps_every_identity() {
    let s = Setup::new(Mode::OAuth).await;
    // Tasks made earlier with Ana's personal token carry their identity in the notes.
    let mut settings = s.settings();
    settings.auth = throughline_asana::AsanaAuth::Token(throughline_connector::http::Secret::new(
        s.seeded.token.clone(),
    ));
    let mut with_token = AsanaConnector::new(settings).unwrap();
    with_token.observe(None).await.unwrap();
    let t = task("old", "draft", 0, &["k"]);
    assert!(
        with_token
            .apply(&[Change::CreateTask { task: t.clone() }])
            .await[0]
            .is_ok()
    );

    // Now with OAuth: found by the notes line, and an update moves the identity to `external`.
    let mut c = s.connector();
    let obs = c.observe(None).await.unwrap();
    let seen = obs
        .tasks
        .iter()
        .find(|x| x.identity.as_deref() == Some("old/draft"))
        .expect("adopted by its notes line");
    let mut fields = t.fields.clone();
    fields.description = "Rewritten".into();
    let r = c
        .apply(&[Change::UpdateTask {
            remote_id: seen.remote_id.clone(),
            identity: "old/draft".into(),
            context: t.context.clone(),
            fields: Some(fields),
            previous: Some(t.fields.clone()),
            state: None,
            unarchive: false,
        }])
        .await;
    assert!(r[0].is_ok(), "{r:?}");
    let remote = s.emu.task(&seen.remote_id).unwrap();
    assert_eq!(remote["notes"], "Rewritten");
    assert!(
        remote["external"]["gid"]
            .as_str()
            .unwrap()
            .ends_with(":old/draft")
    );
    let again = s.connector().observe(None).await.unwrap();
    assert!(
        again
            .tasks
            .iter()
            .any(|x| x.identity.as_deref() == Some("old/draft")
                && x.fields.description == "Rewritten")
    );
}
