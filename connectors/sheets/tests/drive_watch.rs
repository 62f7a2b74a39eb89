//! Drive push notifications in the emulator: `files.watch` opens a channel (shapes of the
//! Drive v3 discovery document's `Channel`), a `sync` message comes at once, every change to
//! the spreadsheet (through the API or a person's edit) is an `update`, `channels.stop` and
//! expiry end it.

mod discovery;

use std::time::Duration;

use serde_json::{Value, json};
use throughline_connector::emulator_kit::{Received, Receiver};
use throughline_sheets::emulator::Emulator;

const PATIENCE: Duration = Duration::from_secs(10);

async fn post(emu: &Emulator, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", emu.base_url()))
        .bearer_auth(emu.access_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn state(r: &Received) -> (String, String) {
    (
        r.header("x-goog-resource-state"),
        r.header("x-goog-message-number"),
    )
}

#[tokio::test]
async fn a_channel_hears_of_every_change_until_it_is_stopped() {
    let emu = Emulator::start().await.unwrap();
    let plan = emu.create_spreadsheet("Content plan");
    let other = emu.create_spreadsheet("Other");
    let receiver = Receiver::start().await.unwrap();
    let address = receiver.url("/hooks/drive/plan");

    let (status, channel) = post(
        &emu,
        &format!("/drive/v3/files/{plan}/watch"),
        json!({"id": "chan-1", "type": "web_hook", "address": address, "token": "target=plan"}),
    )
    .await;
    assert_eq!(status, 200, "{channel}");
    assert_eq!(channel["kind"], "api#channel");
    assert_eq!(channel["id"], "chan-1");
    assert_eq!(channel["token"], "target=plan");
    let resource = channel["resourceId"].as_str().unwrap().to_owned();
    assert!(channel["resourceUri"].as_str().unwrap().contains(&plan));
    let expiration: i64 = channel["expiration"].as_str().unwrap().parse().unwrap();
    let hour = jiff::Timestamp::now().as_millisecond() + 3_600_000;
    assert!(
        (hour - 60_000..=hour).contains(&expiration),
        "an hour by default"
    );

    let sync = receiver.wait_for_posts(1, PATIENCE).await;
    assert_eq!(state(&sync[0]), ("sync".into(), "1".into()));
    assert_eq!(sync[0].header("x-goog-channel-id"), "chan-1");
    assert_eq!(sync[0].header("x-goog-channel-token"), "target=plan");
    assert_eq!(sync[0].header("x-goog-resource-id"), resource);
    assert_eq!(sync[0].path, "/hooks/drive/plan");

    // A write through the API, a person's edit, and a change to another file.
    let (status, _) = post(
        &emu,
        &format!("/v4/spreadsheets/{plan}/values/Sheet1!A1:append?valueInputOption=RAW"),
        json!({"values": [["Brief"]]}),
    )
    .await;
    assert_eq!(status, 200);
    receiver.wait_for_posts(2, PATIENCE).await;
    emu.person(&plan, |p| p.type_in("Sheet1!B1", vec![vec![json!("TRUE")]]))
        .unwrap();
    emu.person(&other, |p| p.type_in("Sheet1!A1", vec![vec![json!("x")]]))
        .unwrap();
    let posts = receiver.wait_for_posts(3, PATIENCE).await;
    let states: Vec<_> = posts.iter().map(state).collect();
    assert_eq!(
        states[1..],
        [("update".into(), "2".into()), ("update".into(), "3".into())]
    );
    assert!(
        posts[1..]
            .iter()
            .all(|p| p.header("x-goog-changed") == "content")
    );

    stop_ends_the_channel(&emu, &plan, &resource, &receiver).await;
    check_against_discovery(&emu);
}

/// Reading changes nothing; stopping with the wrong resource id is refused, with the right one
/// the channel sends nothing more.
async fn stop_ends_the_channel(emu: &Emulator, plan: &str, resource: &str, receiver: &Receiver) {
    let r = reqwest::Client::new()
        .get(format!("{}/v4/spreadsheets/{plan}", emu.base_url()))
        .bearer_auth(emu.access_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, body) = post(
        emu,
        "/drive/v3/channels/stop",
        json!({"id": "chan-1", "resourceId": "nope"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["errors"][0]["reason"], "notFound");
    let (status, _) = post(
        emu,
        "/drive/v3/channels/stop",
        json!({"id": "chan-1", "resourceId": resource}),
    )
    .await;
    assert_eq!(status, 204);
    assert!(emu.channels().is_empty());
    emu.person(plan, |p| p.type_in("Sheet1!C1", vec![vec![json!("later")]]))
        .unwrap();
    assert_eq!(receiver.posts().len(), 3);
    assert_eq!(emu.channels().len(), 0);
}

/// The watch and stop requests sent here, and the channel answered, are what Drive v3's
/// discovery document describes (`Channel`, closed: a misspelt key fails).
fn check_against_discovery(emu: &Emulator) {
    let Some(d) = discovery::Discovery::load() else {
        return;
    };
    let mut errors = Vec::new();
    let mut checked = 0;
    for r in emu.requests() {
        let watching = r.path.ends_with("/watch") || r.path.ends_with("/channels/stop");
        if !watching || r.status >= 300 {
            continue;
        }
        checked += 1;
        if let Err(e) = d.request(&r.method, &r.path, &r.query, r.body.as_ref()) {
            errors.extend(e);
        }
        if r.status == 200 {
            errors.extend(d.response(&r.method, &r.path, r.status, r.response.as_ref()));
        }
    }
    assert_eq!(checked, 2, "files.watch and channels.stop were checked");
    assert!(errors.is_empty(), "{errors:#?}");
}

#[tokio::test]
async fn watch_requests_are_checked_as_drive_checks_them() {
    let emu = Emulator::start().await.unwrap();
    let plan = emu.create_spreadsheet("Content plan");
    let receiver = Receiver::start().await.unwrap();
    let address = receiver.url("/hooks/drive/plan");
    let path = format!("/drive/v3/files/{plan}/watch");

    let (status, body) = post(
        &emu,
        &path,
        json!({"id": "c", "type": "web_hook", "address": "http://example.com/hook"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["errors"][0]["reason"],
        "push.webhookUrlNotHttps"
    );
    let (status, _) = post(&emu, &path, json!({"type": "web_hook", "address": address})).await;
    assert_eq!(status, 400, "a channel needs an id");
    let (status, body) = post(
        &emu,
        "/drive/v3/files/1nope/watch",
        json!({"id": "c", "type": "web_hook", "address": address}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["errors"][0]["reason"], "notFound");

    let soon = jiff::Timestamp::now().as_millisecond() + 60_000;
    let (status, channel) = post(
        &emu,
        &path,
        json!({"id": "c", "type": "web_hook", "address": address, "expiration": soon.to_string()}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(channel["expiration"], soon.to_string());
    assert!(channel.get("token").is_none());
    let (status, body) = post(
        &emu,
        &path,
        json!({"id": "c", "type": "web_hook", "address": address}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["errors"][0]["reason"], "channelIdNotUnique");

    // An expired channel sends nothing more.
    receiver.wait_for_posts(1, PATIENCE).await;
    emu.expire_channels();
    emu.person(&plan, |p| p.type_in("Sheet1!A1", vec![vec![json!("x")]]))
        .unwrap();
    assert_eq!(receiver.posts().len(), 1);
    assert_eq!(emu.channels()[0]["sent"], 1);
}
