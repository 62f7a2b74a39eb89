//! Blocked on a Trello board whose Custom Fields power-up has a "Blocked reason" text field:
//! the label marks the card, the field holds the reason (a board without it gets comments,
//! tests/it/blocked.rs); a person's edit of the field is read back, and unblocking takes the
//! label off and empties the field.

mod common;

use common::{Board, task};
use serde_json::json;
use throughline_connector::conformance::{answer_json, state_change};
use throughline_connector::{Change, Connector, State, StateSupport};
use throughline_trello::TrelloMapping;

/// The board's "Blocked reason" text field, made through the API.
async fn reason_field(board: &Board) -> String {
    board.emu.enable_custom_fields(&board.board);
    let request = reqwest::Client::new()
        .post(format!("{}/customFields", board.emu.base_url()))
        .query(&[
            ("key", board.emu.key()),
            ("token", board.emu.token()),
            ("idModel", board.board.clone()),
            ("modelType", "board".to_owned()),
            ("name", "Blocked reason".to_owned()),
            ("type", "text".to_owned()),
            ("pos", "bottom".to_owned()),
        ]);
    let answer = answer_json(request).await;
    answer["id"].as_str().expect("a custom field").to_owned()
}

/// The text of a card's custom field, as a person reads it through the API.
async fn field_text(board: &Board, card: &str, field: &str) -> Option<String> {
    let request = reqwest::Client::new()
        .get(format!(
            "{}/cards/{card}/customFieldItems",
            board.emu.base_url()
        ))
        .query(&[("key", board.emu.key()), ("token", board.emu.token())]);
    let items = answer_json(request).await;
    items
        .as_array()
        .expect("a list of custom field items")
        .iter()
        .find(|i| i["idCustomField"] == field)
        .and_then(|i| i["value"]["text"].as_str())
        .map(str::to_owned)
}

#[tokio::test]
async fn the_label_marks_a_blocked_card_and_the_reason_lives_in_the_custom_field() {
    let board = Board::new(TrelloMapping::default()).await;
    let field = reason_field(&board).await;
    let mut c = board.connector();
    assert_eq!(c.capabilities().states, StateSupport::DoneBlockedOrNot);
    let mut t = task(1, State::Blocked, &[false, false, false]);
    t.context.blocked_reason = Some("waiting on legal".into());
    c.observe(None).await.unwrap();
    let done = c.apply(&[Change::CreateTask { task: t.clone() }]).await;
    assert!(done[0].is_ok(), "{done:?}");
    let card = board.card_of(&t.identity);
    let labels = board.emu.person(|p| p.card(&card).unwrap().labels);
    assert!(labels.contains(&"Blocked".to_owned()), "{labels:?}");
    assert_eq!(
        field_text(&board, &card, &field).await.as_deref(),
        Some("waiting on legal")
    );
    let seen = |obs: throughline_connector::Observation| {
        let t = obs.tasks.into_iter().find(|x| x.remote_id == card).unwrap();
        (t.state, t.status_cells.blocked_reason)
    };
    let mut fresh = board.connector();
    assert_eq!(
        seen(fresh.observe(None).await.unwrap()),
        (State::Blocked, Some("waiting on legal".into()))
    );

    // A person writes another reason into the field.
    let answer = reqwest::Client::new()
        .put(format!(
            "{}/cards/{card}/customField/{field}/item",
            board.emu.base_url()
        ))
        .query(&[("key", board.emu.key()), ("token", board.emu.token())])
        .json(&json!({"value": {"text": "the printer"}}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    assert_eq!(
        seen(fresh.observe(None).await.unwrap()),
        (State::Blocked, Some("the printer".into()))
    );

    // Unblocked (back in progress): the label goes, the field is emptied, no comment is made.
    let change = state_change(&card, &t, State::Doing);
    assert!(fresh.apply(&[change]).await[0].is_ok());
    let labels = board.emu.person(|p| p.card(&card).unwrap().labels);
    assert!(!labels.contains(&"Blocked".to_owned()), "{labels:?}");
    assert_eq!(field_text(&board, &card, &field).await.as_deref(), Some(""));
    assert_eq!(
        seen(board.connector().observe(None).await.unwrap()),
        (State::Todo, None)
    );
}

#[tokio::test]
async fn without_a_label_in_the_mapping_trello_shows_no_blocked() {
    let mapping = TrelloMapping {
        blocked_label: None,
        ..TrelloMapping::default()
    };
    let board = Board::new(mapping).await;
    let mut c = board.connector();
    assert_eq!(c.capabilities().states, StateSupport::DoneOrNot);
    let t = task(2, State::Blocked, &[false, false, false]);
    c.observe(None).await.unwrap();
    assert!(c.apply(&[Change::CreateTask { task: t.clone() }]).await[0].is_ok());
    let card = board.card_of(&t.identity);
    assert!(
        board
            .emu
            .person(|p| p.card(&card).unwrap().labels)
            .iter()
            .all(|l| l != "Blocked")
    );
    let obs = c.observe(None).await.unwrap();
    let seen = obs.tasks.iter().find(|x| x.remote_id == card).unwrap();
    assert_eq!(seen.state, State::Todo);
}
