//! The emulator answers as Trello does: status codes, bodies and headers as recorded from the
//! real service (other projects' recordings; see tests/fixtures/recordings).

use std::time::Duration;

use throughline_trello::emulator::{Emulator, Fault, FaultRule, RateLimits};

async fn get(url: &str) -> (u16, String, String, reqwest::header::HeaderMap) {
    let r = reqwest::get(url).await.expect("the emulator answers");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let ct = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap(), headers)
}

#[tokio::test]
async fn errors_look_like_trellos() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("B");
    let auth = format!("key={}&token={}", emu.key(), emu.token());
    let base = emu.base_url();

    let (s, ct, body, _) = get(&format!("{base}/cards/5e93ba98614ac22d22f085c4?{auth}")).await;
    assert_eq!(
        (s, body.as_str()),
        (404, "The requested resource was not found.")
    );
    assert!(ct.starts_with("text/plain"), "{ct}");

    let (s, ct, body, _) = get(&format!("{base}/cards/not-an-id?{auth}")).await;
    assert_eq!((s, body.as_str()), (400, "invalid id"));
    assert!(ct.starts_with("text/plain"), "{ct}");

    let (s, _, body, _) = get(&format!(
        "{base}/boards/{board}?key=nope&token={}",
        emu.token()
    ))
    .await;
    assert_eq!((s, body.as_str()), (401, "invalid key"));
    let (s, _, body, _) = get(&format!(
        "{base}/boards/{board}?key={}&token=nope",
        emu.key()
    ))
    .await;
    assert_eq!((s, body.as_str()), (401, "invalid token"));

    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/cards?{auth}&name=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.text().await.unwrap(), "invalid value for idList");

    // A board read carries the rate-limit headers of the recordings.
    let (s, ct, body, h) = get(&format!("{base}/boards/{board}?{auth}")).await;
    assert_eq!(s, 200);
    assert_eq!(ct, "application/json; charset=utf-8");
    assert_eq!(h["x-rate-limit-api-token-max"], "100");
    assert_eq!(h["x-rate-limit-api-key-max"], "300");
    assert_eq!(h["x-rate-limit-api-token-interval-ms"], "10000");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["id"], board.as_str());
    assert!(v.get("cards").is_none(), "nothing is nested unless asked");
}

#[tokio::test]
async fn the_token_limit_answers_429_with_trellos_body_until_the_window_passes() {
    let emu = Emulator::start().await.unwrap();
    emu.set_rate_limits(RateLimits {
        token_max: 5,
        key_max: 300,
        window: Duration::from_millis(300),
        enabled: true,
    });
    let board = emu.seed_board("B");
    let url = format!(
        "{}/boards/{board}?key={}&token={}",
        emu.base_url(),
        emu.key(),
        emu.token()
    );
    for _ in 0..5 {
        assert_eq!(get(&url).await.0, 200);
    }
    let (s, ct, body, h) = get(&url).await;
    assert_eq!(s, 429);
    assert!(ct.starts_with("application/json"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"})
    );
    assert_eq!(h["x-rate-limit-api-token-remaining"], "0");
    assert!(
        h.get("retry-after").is_none(),
        "Trello names no Retry-After"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(get(&url).await.0, 200);

    // Another token of the same key has its own budget; the key's is shared.
    emu.set_rate_limits(RateLimits {
        token_max: 100,
        key_max: 3,
        window: Duration::from_secs(60),
        enabled: true,
    });
    let other = emu.add_token("dana", Some(&board));
    let url2 = format!(
        "{}/boards/{board}?key={}&token={other}",
        emu.base_url(),
        emu.key()
    );
    for u in [&url, &url2, &url] {
        assert_eq!(get(u).await.0, 200);
    }
    let (s, _, body, _) = get(&url2).await;
    assert_eq!(s, 429);
    assert!(body.contains("API_KEY_LIMIT_EXCEEDED"));
}

#[tokio::test]
async fn faults_hit_what_they_name_as_often_as_they_say() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("B");
    let url = format!(
        "{}/boards/{board}?key={}&token={}",
        emu.base_url(),
        emu.key(),
        emu.token()
    );
    emu.inject(
        FaultRule::new(Fault::Status(500))
            .method("GET")
            .path("/boards")
            .times(2),
    );
    assert_eq!(get(&url).await.0, 500);
    assert_eq!(get(&url).await.0, 500);
    assert_eq!(get(&url).await.0, 200);

    emu.inject(FaultRule::new(Fault::Drop).times(1));
    let broken = reqwest::get(&url).await;
    let failed = match broken {
        Err(_) => true,
        Ok(r) => r.text().await.is_err(),
    };
    assert!(failed, "a dropped answer must not read as a whole one");
    assert_eq!(get(&url).await.0, 200);

    emu.inject(FaultRule::new(Fault::Delay(Duration::from_millis(300))).times(1));
    let slow = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await;
    assert!(slow.unwrap_err().is_timeout());
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses[..4], [500, 500, 200, 0]);
    assert!(
        emu.requests().iter().all(|r| !r.query.contains("token=")),
        "secrets stay out of the log"
    );
}

#[tokio::test]
async fn a_copy_keeps_the_source_checklist_with_new_ids() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("B");
    let list = emu.add_list(&board, "To do");
    let auth = [("key", emu.key()), ("token", emu.token())];
    let c = reqwest::Client::new();
    let base = emu.base_url();
    let post = |path: &str, q: Vec<(&str, String)>| {
        c.post(format!("{base}{path}"))
            .query(&auth)
            .query(&q)
            .send()
    };
    let src: serde_json::Value = post(
        "/cards",
        vec![("idList", list.clone()), ("name", "src".into())],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let cl: serde_json::Value = post(
        "/checklists",
        vec![
            ("idCard", src["id"].as_str().unwrap().into()),
            ("name", "Checklist".into()),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    for n in ["one", "שתיים"] {
        post(
            &format!("/checklists/{}/checkItems", cl["id"].as_str().unwrap()),
            vec![("name", n.into())],
        )
        .await
        .unwrap();
    }
    let copy: serde_json::Value = post(
        "/cards",
        vec![
            ("idList", list.clone()),
            ("name", "copy".into()),
            ("idCardSource", src["id"].as_str().unwrap().into()),
            ("keepFromSource", "checklists".into()),
            ("due", "2026-12-10T15:00:00.000Z".into()),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(copy["name"], "copy");
    assert_eq!(copy["due"], "2026-12-10T15:00:00.000Z");
    assert_eq!(copy["badges"]["checkItems"], 2);
    let view = emu
        .person(|p| p.card(copy["id"].as_str().unwrap()))
        .unwrap();
    let names: Vec<&str> = view.checklists[0]
        .1
        .iter()
        .map(|(_, n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["one", "שתיים"]);
    let src_view = emu.person(|p| p.card(src["id"].as_str().unwrap())).unwrap();
    assert_ne!(
        view.checklists[0].1[0].0, src_view.checklists[0].1[0].0,
        "new ids"
    );
}

/// Send a request; the status and the body.
async fn send(method: reqwest::Method, url: String) -> (u16, String) {
    let r = reqwest::Client::new()
        .request(method, url)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The endpoints py-trello reaches beyond throughline's: what they refuse, as Trello does.
#[tokio::test]
async fn new_boards_and_members_refuse_what_trello_refuses() {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("B");
    let auth = format!("key={}&token={}", emu.key(), emu.token());
    let base = emu.base_url();
    use reqwest::Method;

    // A board needs a name; a new one gets Trello's three lists unless told otherwise.
    assert_eq!(
        send(Method::POST, format!("{base}/boards?{auth}")).await,
        (400, "invalid value for name".to_owned())
    );
    let (s, body) = send(
        Method::POST,
        format!("{base}/boards?{auth}&name=Plain&defaultLists=false&prefs_permissionLevel=public"),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let made: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(made["prefs"]["permissionLevel"], "public");
    let id = made["id"].as_str().unwrap();
    let lists = emu.person(|p| p.lists(id));
    assert!(lists.is_empty(), "{lists:?}");

    // Adding a member needs a type and a member Trello knows.
    let dana = emu.add_member(&board, "dana", "Dana Levi");
    assert_eq!(
        send(
            Method::PUT,
            format!("{base}/boards/{id}/members/{dana}?{auth}")
        )
        .await,
        (400, "invalid value for type".to_owned())
    );
    assert_eq!(
        send(
            Method::PUT,
            format!("{base}/boards/{id}/members/5e93ba98614ac22d22f085c4?{auth}&type=normal")
        )
        .await,
        (400, "invalid value for idMember".to_owned())
    );
    assert_eq!(
        send(
            Method::PUT,
            format!("{base}/boards/{id}/members?{auth}&email=not-an-address")
        )
        .await,
        (400, "invalid value for email".to_owned())
    );
}

/// Comments as py-trello makes them: what they refuse, as Trello does.
#[tokio::test]
async fn comments_refuse_what_trello_refuses() {
    use reqwest::Method;
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("B");
    let list = emu.add_list(&board, "To do");
    let auth = format!("key={}&token={}", emu.key(), emu.token());
    let base = emu.base_url();

    // A comment needs text; only its author may change it; an unknown short link is no id.
    let (_, card) = send(
        Method::POST,
        format!("{base}/cards?{auth}&idList={list}&name=C"),
    )
    .await;
    let card: serde_json::Value = serde_json::from_str(&card).unwrap();
    let short = card["shortLink"].as_str().unwrap();
    assert_eq!(
        send(
            Method::POST,
            format!("{base}/cards/{short}/actions/comments?{auth}")
        )
        .await,
        (400, "invalid value for text".to_owned())
    );
    let (s, body) = send(
        Method::POST,
        format!("{base}/cards/{short}/actions/comments?{auth}&text=Hi"),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let comment: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(comment["type"], "commentCard");
    assert_eq!(comment["data"]["card"]["shortLink"], short);
    let other = emu.add_token("ben", Some(&board));
    let theirs = format!("key={}&token={other}", emu.key());
    let action = comment["id"].as_str().unwrap();
    assert_eq!(
        send(
            Method::PUT,
            format!("{base}/actions/{action}?{theirs}&text=Bye")
        )
        .await,
        (401, "unauthorized comment permission requested".to_owned())
    );
    assert_eq!(
        send(Method::GET, format!("{base}/cards/ZZZZZZZZ?{auth}")).await,
        (400, "invalid id".to_owned())
    );
}
