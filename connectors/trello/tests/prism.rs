//! Every request the connector sends and every answer the emulator gives, checked against
//! Trello's official OpenAPI description by Stoplight Prism (`prism proxy --errors` between the
//! connector and the emulator): the whole conformance suite runs through it. A canary proves
//! the check rejects what it should.
//!
//! Needs Node.js and `npm ci` in `connectors/trello/tests/prism`; the description is
//! `tests/fixtures/specs/trello-openapi.json`. Without them the test is skipped with a message,
//! unless THROUGHLINE_REQUIRE_EXTERNAL_CHECKS=1 (CI), where it fails.
//!
//! Where the description contradicts the traffic recorded from the real Trello
//! (`tests/fixtures/recordings/trello`), the test corrects a copy of it, each correction with its
//! evidence (see `corrections` and `EVIDENCE`); everything else is checked as published.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::Board;
use serde_json::{Value, json};
use throughline_connector::conformance;
use throughline_trello::TrelloMapping;

fn skip_or_fail(why: String) {
    if std::env::var("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").as_deref() == Ok("1") {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
}

/// The repository's `tests/fixtures`.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn spec_path() -> PathBuf {
    fixtures().join("specs/trello-openapi.json")
}

/// What each correction rests on: a recording of the real Trello and what it shows.
const EVIDENCE: [(&str, &str); 8] = [
    (
        "can_success_create_a_card.yml",
        r#""due":"2020-12-22T01:59:00.000Z""#,
    ),
    ("can_success_create_a_card.yml", r#""labels":[{"id":"#),
    (
        "can_success_update_bong_a_card.yml",
        "due=2020-12-22T01%3A59%3A00.000Z",
    ),
    (
        "can_success_create_a_card_when_due_is_datetime.yml",
        "due=2020-12-22T01%3A59%3A00%2B00%3A00",
    ),
    (
        "board_find_with_id_and_get_all_fields.yml",
        r#""descData":{"emoji":{}}"#,
    ),
    ("can_get_cards_of_board.yml", r#""descData":null"#),
    ("checklist_can_add_an_item.yml", r#""pos":16384"#),
    (
        "checklist_can_add_an_item.yml",
        r#""nameData":{"emoji":{}}"#,
    ),
];

#[test]
fn every_correction_of_the_description_is_shown_by_a_recording() {
    let dir = fixtures().join("recordings/trello/jeremytregunna__ruby-trello");
    for (file, shows) in EVIDENCE {
        let path = dir.join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            text.contains(shows),
            "{} does not show {shows}",
            path.display()
        );
    }
}

fn prism_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/prism/node_modules/.bin/prism")
}

/// Set `schema` at a JSON pointer inside the spec.
fn set(spec: &mut Value, pointer: &str, value: Value) {
    *spec
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the spec has no {pointer}")) = value;
}

fn query_param<'s>(spec: &'s mut Value, path: &str, method: &str, name: &str) -> &'s mut Value {
    let params = spec["paths"][path][method]["parameters"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("{method} {path} has no parameters"));
    params
        .iter_mut()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
}

/// Where the published description contradicts what the real Trello sends and accepts.
fn corrections(spec: &mut Value) {
    let moment = json!({"type": "string", "format": "date-time", "nullable": true});
    // Cards carry moments, not dates: "due":"2020-12-22T01:59:00.000Z"
    // (can_success_create_a_card.yml).
    // (The description lists no `start` on a card, so any value passes there.)
    set(
        spec,
        "/components/schemas/Card/properties/due",
        moment.clone(),
    );
    for field in ["due", "start"] {
        set(
            spec,
            &format!("/components/schemas/Card/properties/badges/properties/{field}"),
            moment.clone(),
        );
    }
    // And take them: due=2020-12-22T01%3A59%3A00.000Z in can_success_update_bong_a_card.yml,
    // due=2020-12-22T01%3A59%3A00%2B00%3A00 in can_success_create_a_card_when_due_is_datetime.yml.
    for (path, method) in [("/cards", "post"), ("/cards/{id}", "put")] {
        for field in ["due", "start"] {
            query_param(spec, path, method, field)["schema"] = moment.clone();
        }
    }
    for (path, method) in [
        ("/cards/{id}/checkItem/{idCheckItem}", "put"),
        ("/checklists/{id}/checkItems", "post"),
    ] {
        query_param(spec, path, method, "due")["schema"] = moment.clone();
    }
    // A card's labels are label objects (can_success_create_a_card.yml: "labels":[{"id":…}]).
    set(
        spec,
        "/components/schemas/Card/properties/labels/items",
        json!({"$ref": "#/components/schemas/Label"}),
    );
    // descData is an object or null ("descData":{"emoji":{}} in board_find_with_id…yml,
    // "descData":null in can_get_cards_of_board.yml).
    set(
        spec,
        "/components/schemas/Board/properties/descData",
        json!({"type": "object", "nullable": true}),
    );
    set(
        spec,
        "/components/schemas/Card/properties/descData",
        json!({"type": "object", "nullable": true}),
    );
    // Check items have numeric positions and nameData may be an object
    // ("pos":16384,"nameData":{"emoji":{}} in checklist_can_add_an_item.yml).
    set(
        spec,
        "/components/schemas/CheckItem/properties/pos",
        json!({"type": "number"}),
    );
    set(
        spec,
        "/components/schemas/CheckItem/properties/nameData",
        json!({"type": "object", "nullable": true}),
    );
    // A label's colour may be none: the description says so in words ("Null means no
    // color") and marks the schema nullable, but the enum lacks null.
    set(
        spec,
        "/components/schemas/Color",
        json!({"type": "string", "nullable": true, "enum": ["yellow", "purple", "blue", "red", "green", "orange", "black", "sky", "pink", "lime", null]}),
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conformance_suite_passes_through_prism_and_a_canary_is_rejected() {
    let spec = spec_path();
    if !spec.exists() {
        return skip_or_fail(format!(
            "the Trello OpenAPI description is not at {}",
            spec.display()
        ));
    }
    if !prism_bin().exists() {
        return skip_or_fail(format!(
            "Stoplight Prism is not installed: run `npm ci` in {}",
            prism_bin()
                .parent()
                .unwrap()
                .parent()
                .unwrap()
                .parent()
                .unwrap()
                .display()
        ));
    }
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    corrections(&mut doc);
    let dir = std::env::temp_dir().join(format!("throughline-prism-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let corrected = dir.join("trello-openapi.json");
    std::fs::write(&corrected, serde_json::to_vec(&doc).unwrap()).unwrap();

    let mut board = Board::new(TrelloMapping::default()).await;
    board.emu.enable_custom_fields(&board.board);
    let port = free_port();
    let log = std::fs::File::create(dir.join("prism.log")).unwrap();
    let mut prism = tokio::process::Command::new(prism_bin())
        .arg("proxy")
        .arg(&corrected)
        .arg(board.emu.base_url())
        .args(["--errors", "-h", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("prism starts");
    let mut up = false;
    for _ in 0..240 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        up,
        "prism did not start: {}",
        std::fs::read_to_string(dir.join("prism.log")).unwrap_or_default()
    );
    let through = format!("http://127.0.0.1:{port}");

    // The canary: a tick with a state Trello does not know must be refused by the check.
    let card = reqwest::Client::new()
        .put(format!(
            "{through}/cards/5e93ba98614ac22d22f085c4/checkItem/5e93ba98614ac22d22f085c5"
        ))
        .query(&[
            ("key", board.emu.key()),
            ("token", board.emu.token()),
            ("state", "done".into()),
        ])
        .send()
        .await
        .unwrap();
    let status = card.status().as_u16();
    let body = card.text().await.unwrap();
    assert_eq!(status, 422, "the canary passed the check: {body}");
    assert!(body.contains("state"), "{body}");
    let before = board.emu.requests().len();
    assert_eq!(before, 0, "the invalid request reached the emulator");

    // The suite, with the connector talking to Prism.
    board.proxy = Some(through.clone());
    conformance::run(&mut board).await;
    let served = board.emu.requests().len();
    println!("{served} requests went through Prism and were valid both ways");
    assert!(served > 100, "only {served} requests went through");
    let _ = prism.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}
