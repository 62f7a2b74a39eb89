//! The emulator's webhooks behave as Asana's: the `X-Hook-Secret` handshake while the create
//! is in flight, each change POSTed as signed events, and a webhook whose deliveries keep
//! failing is deleted (or dropped at once by a test).

use std::time::Duration;

use serde_json::{Value, json};
use throughline_asana::emulator::{Emulator, Seeded};
use throughline_connector::emulator_kit::Receiver;
use throughline_connector::emulator_kit::callback::hmac_sha256_hex;

const PATIENCE: Duration = Duration::from_secs(10);

async fn call(
    emu: &Emulator,
    seeded: &Seeded,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", emu.base_url()))
        .bearer_auth(&seeded.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn add_task(emu: &Emulator, seeded: &Seeded, name: &str) {
    let body = json!({"data": {"name": name, "projects": [seeded.project]}});
    let (status, answer) = call(emu, seeded, reqwest::Method::POST, "/tasks", Some(body)).await;
    assert_eq!(status, 201, "{answer}");
}

/// A webhook on the seeded project, delivering to `receiver`; returns its gid and secret.
async fn hook(emu: &Emulator, seeded: &Seeded, receiver: &Receiver) -> (String, String) {
    let body = json!({"data": {"resource": seeded.project, "target": receiver.url("/hooks/asana/content")}});
    let (status, answer) = call(emu, seeded, reqwest::Method::POST, "/webhooks", Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    let handshake = &receiver.received()[0];
    let secret = handshake.header("x-hook-secret");
    assert_eq!(secret.len(), 64, "the handshake carries the secret");
    (answer["data"]["gid"].as_str().unwrap().to_owned(), secret)
}

#[tokio::test]
async fn each_change_is_delivered_as_signed_events() {
    let emu = Emulator::start().await.unwrap();
    let seeded = emu.seed();
    let receiver = Receiver::start().await.unwrap();
    let (_, secret) = hook(&emu, &seeded, &receiver).await;

    add_task(&emu, &seeded, "Brief").await;
    let posts = receiver.wait_for_posts(2, PATIENCE).await;
    assert_eq!(posts.len(), 2, "the handshake, then one delivery");
    let delivery = &posts[1];
    assert_eq!(
        delivery.header("x-hook-signature"),
        hmac_sha256_hex(secret.as_bytes(), delivery.body.as_bytes())
    );
    let events: Value = serde_json::from_str(&delivery.body).unwrap();
    let events = events["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["action"] == "added"), "{events:?}");

    add_task(&emu, &seeded, "Copy").await;
    assert_eq!(receiver.wait_for_posts(3, PATIENCE).await.len(), 3);
}

#[tokio::test]
async fn a_webhook_whose_deliveries_keep_failing_is_deleted() {
    let emu = Emulator::start().await.unwrap();
    let seeded = emu.seed();
    emu.set_webhook_drop_after(Duration::ZERO);
    let receiver = Receiver::start().await.unwrap();
    let (gid, _) = hook(&emu, &seeded, &receiver).await;

    receiver.answer_with(500);
    add_task(&emu, &seeded, "Brief").await;
    receiver.wait_for_posts(2, PATIENCE).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !emu.webhook_gids().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, _) = call(
        &emu,
        &seeded,
        reqwest::Method::GET,
        &format!("/webhooks/{gid}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "the failing webhook is gone");
    let listing = format!("/webhooks?workspace={}", seeded.workspace);
    let (_, listed) = call(&emu, &seeded, reqwest::Method::GET, &listing, None).await;
    assert_eq!(listed["data"], json!([]));

    receiver.answer_with(200);
    add_task(&emu, &seeded, "Copy").await;
    assert_eq!(
        receiver.posts().len(),
        2,
        "nothing goes to a deleted webhook"
    );
}

#[tokio::test]
async fn a_webhook_failing_for_less_than_a_day_stays_and_a_test_can_drop_it() {
    let emu = Emulator::start().await.unwrap();
    let seeded = emu.seed();
    let receiver = Receiver::start().await.unwrap();
    let (gid, _) = hook(&emu, &seeded, &receiver).await;

    // Failing for less than the span: kept.
    receiver.answer_with(503);
    add_task(&emu, &seeded, "Brief").await;
    receiver.wait_for_posts(2, PATIENCE).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (_, one) = call(
            &emu,
            &seeded,
            reqwest::Method::GET,
            &format!("/webhooks/{gid}"),
            None,
        )
        .await;
        if one["data"]["last_failure_at"].is_string() || tokio::time::Instant::now() > deadline {
            assert!(
                one["data"]["last_failure_content"]
                    .as_str()
                    .unwrap()
                    .contains("503")
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(emu.webhook_gids(), vec![gid.clone()]);

    assert!(emu.drop_webhook(&gid));
    assert!(!emu.drop_webhook(&gid));
    let (status, _) = call(
        &emu,
        &seeded,
        reqwest::Method::GET,
        &format!("/webhooks/{gid}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    receiver.answer_with(200);
    add_task(&emu, &seeded, "Copy").await;
    assert_eq!(receiver.posts().len(), 2);
}
