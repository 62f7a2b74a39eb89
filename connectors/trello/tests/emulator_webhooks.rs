//! The emulator's webhooks behave as Trello's: created only when the callback answers a HEAD
//! with 200, listed per token, a signed POST on every change to the watched model, and turned
//! off after repeated failed deliveries.

use std::time::Duration;

use serde_json::Value;
use throughline_connector::emulator_kit::Receiver;
use throughline_connector::emulator_kit::callback::hmac_sha1_base64;
use throughline_trello::emulator::{Deactivation, Emulator};

const PATIENCE: Duration = Duration::from_secs(10);

struct Api {
    base: String,
    auth: String,
    client: reqwest::Client,
}

impl Api {
    fn new(emu: &Emulator, token: &str) -> Api {
        Api {
            base: emu.base_url(),
            auth: format!("key={}&token={token}", emu.key()),
            client: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, query: &str) -> (u16, String) {
        let url = format!("{}{path}?{}&{query}", self.base, self.auth);
        let r = self.client.request(method, url).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn json(&self, method: reqwest::Method, path: &str, query: &str) -> Value {
        let (status, body) = self.call(method, path, query).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}

/// A value for a query string.
fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn a_callback_that_does_not_answer_the_head_with_200_is_refused() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("Content");
    let receiver = Receiver::start().await.unwrap();
    receiver.answer_head_with(404);
    let api = Api::new(&emu, &emu.token());
    let url = receiver.url("/hooks/trello/content");

    let query = format!("idModel={board}&callbackURL={}", enc(&url));
    let (status, body) = api.call(reqwest::Method::POST, "/webhooks", &query).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        format!("URL ({url}) did not return 200 status code, got 404")
    );
    assert_eq!(receiver.received()[0].method, "HEAD");
    assert!(emu.webhooks().is_empty());

    let (status, body) = api
        .call(
            reqwest::Method::POST,
            "/webhooks",
            &format!("idModel=5f0000000000000000000000&callbackURL={}", enc(&url)),
        )
        .await;
    assert_eq!((status, body.as_str()), (400, "invalid value for idModel"));
}

#[tokio::test]
async fn webhooks_belong_to_their_token_and_can_be_changed_and_removed() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("Content");
    let receiver = Receiver::start().await.unwrap();
    let api = Api::new(&emu, &emu.token());
    let url = receiver.url("/hooks/trello/content");
    let query = format!(
        "idModel={board}&callbackURL={}&description=throughline",
        enc(&url)
    );

    let hook = api.json(reqwest::Method::POST, "/webhooks", &query).await;
    assert_eq!(hook["idModel"], board.as_str());
    assert_eq!(hook["callbackURL"], url.as_str());
    assert_eq!(hook["description"], "throughline");
    assert_eq!(hook["active"], true);
    assert_eq!(hook["consecutiveFailures"], 0);
    assert_eq!(hook["firstConsecutiveFailDate"], Value::Null);
    let id = hook["id"].as_str().unwrap().to_owned();

    let (status, body) = api.call(reqwest::Method::POST, "/webhooks", &query).await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            "A webhook with that callback, model, and token already exists"
        )
    );

    let token = emu.token();
    let listed = api
        .json(
            reqwest::Method::GET,
            &format!("/tokens/{token}/webhooks"),
            "",
        )
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    let other = emu.add_token("dana", Some(&board));
    let theirs = Api::new(&emu, &other)
        .json(
            reqwest::Method::GET,
            &format!("/tokens/{other}/webhooks"),
            "",
        )
        .await;
    assert_eq!(theirs, Value::Array(Vec::new()));
    let (status, _) = Api::new(&emu, &other)
        .call(reqwest::Method::GET, &format!("/webhooks/{id}"), "")
        .await;
    assert_eq!(status, 404, "another token does not see the webhook");

    let changed = api
        .json(
            reqwest::Method::PUT,
            &format!("/webhooks/{id}"),
            "active=false&description=paused",
        )
        .await;
    assert_eq!(
        (changed["active"].clone(), changed["description"].clone()),
        (Value::Bool(false), Value::from("paused"))
    );
    let field = api
        .json(reqwest::Method::GET, &format!("/webhooks/{id}/active"), "")
        .await;
    assert_eq!(field["_value"], false);

    api.json(reqwest::Method::DELETE, &format!("/webhooks/{id}"), "")
        .await;
    let (status, _) = api
        .call(reqwest::Method::GET, &format!("/webhooks/{id}"), "")
        .await;
    assert_eq!(status, 404);
    assert!(emu.webhooks().is_empty());
}

#[tokio::test]
async fn every_change_to_the_board_is_posted_and_signed() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("Content");
    let list = emu.add_list(&board, "To do");
    let receiver = Receiver::start().await.unwrap();
    let api = Api::new(&emu, &emu.token());
    let url = receiver.url("/hooks/trello/content");
    let hook = api
        .json(
            reqwest::Method::POST,
            &format!("/tokens/{}/webhooks", emu.token()),
            &format!("idModel={board}&callbackURL={}", enc(&url)),
        )
        .await;

    // A change through the API, then one a person makes in the web app.
    let card = api
        .json(
            reqwest::Method::POST,
            "/cards",
            &format!("idList={list}&name=Brief"),
        )
        .await;
    let card_id = card["id"].as_str().unwrap().to_owned();
    let posts = receiver.wait_for_posts(1, PATIENCE).await;
    assert_eq!(posts.len(), 1);
    emu.person(|p| p.set_due_complete(&card_id, true));
    let posts = receiver.wait_for_posts(2, PATIENCE).await;
    assert_eq!(posts.len(), 2, "one delivery per change");

    let mut types = Vec::new();
    for post in &posts {
        let expected = hmac_sha1_base64(
            emu.app_secret().as_bytes(),
            format!("{}{url}", post.body).as_bytes(),
        );
        assert_eq!(
            post.header("x-trello-webhook"),
            expected,
            "signed body + callback URL"
        );
        let body: Value = serde_json::from_str(&post.body).unwrap();
        assert_eq!(body["model"]["id"], board.as_str());
        assert_eq!(body["webhook"]["id"], hook["id"]);
        assert_eq!(body["action"]["data"]["card"]["id"], card_id.as_str());
        types.push(body["action"]["type"].as_str().unwrap().to_owned());
    }
    types.sort();
    assert_eq!(types, ["createCard", "updateCard"]);

    // Reads are not changes.
    api.json(reqwest::Method::GET, &format!("/boards/{board}"), "")
        .await;
    emu.person(|p| p.set_due_complete(&card_id, true));
    let card_hook = api
        .json(
            reqwest::Method::POST,
            "/webhooks",
            &format!(
                "idModel={card_id}&callbackURL={}",
                enc(&receiver.url("/card"))
            ),
        )
        .await;
    assert_eq!(card_hook["idModel"], card_id.as_str());
    api.json(
        reqwest::Method::PUT,
        &format!("/cards/{card_id}"),
        "name=Brief%202",
    )
    .await;
    let posts = receiver.wait_for_posts(4, PATIENCE).await;
    assert_eq!(
        posts.len(),
        4,
        "the board's and the card's webhook both hear of the rename"
    );
    let paths: Vec<_> = posts[2..].iter().map(|p| p.path.as_str()).collect();
    assert!(
        paths.contains(&"/card") && paths.contains(&"/hooks/trello/content"),
        "{paths:?}"
    );
}

#[tokio::test]
async fn a_webhook_whose_deliveries_keep_failing_is_turned_off() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("Content");
    let list = emu.add_list(&board, "To do");
    emu.set_webhook_deactivation(Deactivation {
        failures: 3,
        after: Duration::ZERO,
    });
    let receiver = Receiver::start().await.unwrap();
    let api = Api::new(&emu, &emu.token());
    let url = receiver.url("/hooks/trello/content");
    let hook = api
        .json(
            reqwest::Method::POST,
            "/webhooks",
            &format!("idModel={board}&callbackURL={}", enc(&url)),
        )
        .await;
    let id = hook["id"].as_str().unwrap().to_owned();

    // One failure, then a success: the count starts again.
    receiver.answer_with(500);
    api.json(
        reqwest::Method::POST,
        "/lists",
        &format!("idBoard={board}&name=A"),
    )
    .await;
    receiver.wait_for_posts(1, PATIENCE).await;
    let failing = wait_for_hook(&api, &id, |h| h["consecutiveFailures"] == 1).await;
    assert!(failing["firstConsecutiveFailDate"].is_string());
    receiver.answer_with(200);
    api.json(
        reqwest::Method::PUT,
        &format!("/lists/{list}"),
        "name=Doing",
    )
    .await;
    receiver.wait_for_posts(2, PATIENCE).await;
    let healed = wait_for_hook(&api, &id, |h| h["consecutiveFailures"] == 0).await;
    assert_eq!(healed["firstConsecutiveFailDate"], Value::Null);

    receiver.answer_with(503);
    for n in 0..3 {
        api.json(
            reqwest::Method::POST,
            "/cards",
            &format!("idList={list}&name=c{n}"),
        )
        .await;
        receiver.wait_for_posts(3 + n, PATIENCE).await;
        wait_for_hook(&api, &id, |h| h["consecutiveFailures"] == n + 1).await;
    }
    let off = wait_for_hook(&api, &id, |h| h["active"] == false).await;
    assert_eq!(off["consecutiveFailures"], 3);

    // Turned off: changes are no longer sent.
    receiver.answer_with(200);
    api.json(
        reqwest::Method::POST,
        "/cards",
        &format!("idList={list}&name=late"),
    )
    .await;
    api.json(reqwest::Method::GET, &format!("/webhooks/{id}"), "")
        .await;
    assert_eq!(receiver.posts().len(), 5);
}

/// The webhook once `done` holds for it (deliveries are counted when their answer is in).
async fn wait_for_hook(api: &Api, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let hook = api
            .json(reqwest::Method::GET, &format!("/webhooks/{id}"), "")
            .await;
        if done(&hook) || tokio::time::Instant::now() > deadline {
            assert!(done(&hook), "{hook}");
            return hook;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
