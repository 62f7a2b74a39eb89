//! The board's webhook as the daemon keeps it: one active webhook per board calling the
//! target's callback, made when missing, made again when Trello turned it off, and removed
//! when asked; against the emulator's webhooks, with a receiver answering Trello's checks.

mod common;

use common::Board;
use throughline_connector::ConnectorError;
use throughline_connector::emulator_kit::Receiver;
use throughline_connector::settings::WebhookHost;
use throughline_trello::TrelloMapping;

/// The daemon's callback for target `studio`, served by a receiver.
async fn callback() -> (Receiver, String) {
    let receiver = Receiver::start().await.expect("the receiver starts");
    let url = receiver.url("/hooks/trello/studio");
    (receiver, url)
}

fn ids(board: &Board) -> Vec<String> {
    board
        .emu
        .webhooks()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn ensure_makes_one_webhook_on_the_board_and_then_only_looks() {
    let board = Board::new(TrelloMapping::default()).await;
    let (receiver, url) = callback().await;
    let c = board.connector();

    let first = c.ensure_webhook(&url).await.unwrap();
    assert!(first.created && first.deleted.is_empty(), "{first:?}");
    assert_eq!(first.webhook.id_model, board.board);
    assert_eq!(first.webhook.callback_url, url);
    assert!(first.webhook.active);
    // Trello checked the callback before it made the webhook.
    assert_eq!(receiver.received()[0].method, "HEAD");
    assert_eq!(ids(&board), std::slice::from_ref(&first.webhook.id));

    board.emu.clear_requests();
    let again = c.ensure_webhook(&url).await.unwrap();
    assert!(!again.created && again.deleted.is_empty(), "{again:?}");
    assert_eq!(again.webhook, first.webhook);
    assert_eq!(ids(&board), [first.webhook.id]);
    let log = board.emu.requests();
    assert_eq!(log.len(), 1, "all well costs one listing: {log:?}");
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        (
            "GET",
            format!("/tokens/{}/webhooks", board.emu.token()).as_str()
        )
    );
}

#[tokio::test]
async fn a_webhook_trello_turned_off_is_made_again() {
    let board = Board::new(TrelloMapping::default()).await;
    let (_receiver, url) = callback().await;
    let c = board.connector();
    let first = c.ensure_webhook(&url).await.unwrap().webhook;
    assert!(board.emu.deactivate_webhook(&first.id));

    let again = c.ensure_webhook(&url).await.unwrap();
    assert!(again.created, "{again:?}");
    assert_eq!(again.deleted.len(), 1);
    assert_eq!(again.deleted[0].id, first.id);
    assert!(!again.deleted[0].active);
    assert_ne!(again.webhook.id, first.id);
    assert!(again.webhook.active);
    let hooks = board.emu.webhooks();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0]["id"], again.webhook.id.as_str());
    assert_eq!(hooks[0]["active"], true);
}

#[tokio::test]
async fn duplicates_and_stale_boards_go_and_other_callbacks_stay() {
    let board = Board::new(TrelloMapping::default()).await;
    let (receiver, url) = callback().await;
    let other_board = board.emu.seed_board("Old board");
    let c = board.connector();
    // Ours on the board the target used to name, and someone else's on this board.
    let mut old = board.settings();
    old.board = other_board.clone();
    let stale = throughline_trello::TrelloConnector::new(old)
        .unwrap()
        .create_webhook(&url)
        .await
        .unwrap();
    let theirs_url = receiver.url("/someone-else");
    let theirs = c.create_webhook(&theirs_url).await.unwrap();

    let ensured = c.ensure_webhook(&url).await.unwrap();
    assert!(ensured.created);
    assert_eq!(ensured.deleted, [stale]);
    let mut left = ids(&board);
    left.sort();
    let mut want = vec![theirs.id.clone(), ensured.webhook.id.clone()];
    want.sort();
    assert_eq!(left, want);

    // Removing the target's webhooks leaves the others.
    let removed = c.remove_webhooks(&url).await.unwrap();
    assert_eq!(removed, [ensured.webhook]);
    assert_eq!(ids(&board), [theirs.id]);
    assert!(c.remove_webhooks(&url).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_board_named_by_its_short_link_is_watched_by_its_id() {
    let board = Board::new(TrelloMapping::default()).await;
    let (_receiver, url) = callback().await;
    let snapshot = board.emu.board_snapshot(&board.board).unwrap();
    let short = snapshot["shortLink"].as_str().unwrap();
    assert_ne!(short, board.board);
    let mut settings = board.settings();
    settings.board = short.to_owned();
    let c = throughline_trello::TrelloConnector::new(settings).unwrap();

    let ensured = c.ensure_webhook(&url).await.unwrap();
    assert_eq!(ensured.webhook.id_model, board.board);
    // The next look finds it on the board, by the same id.
    assert!(!c.ensure_webhook(&url).await.unwrap().created);
}

#[tokio::test]
async fn a_callback_that_fails_trellos_check_is_reported_with_what_to_do() {
    let board = Board::new(TrelloMapping::default()).await;
    let (receiver, url) = callback().await;
    receiver.answer_head_with(404);
    let e = board.connector().ensure_webhook(&url).await.unwrap_err();
    let ConnectorError::Invalid { message } = &e else {
        panic!("{e:?}");
    };
    assert!(message.contains("did not return 200"), "{message}");
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("public_url"), "{message}");
    assert!(
        !message.contains(&board.emu.token()),
        "the token stays out of messages: {message}"
    );
    assert!(board.emu.webhooks().is_empty());
}

#[tokio::test]
async fn the_daemons_generic_host_sees_only_this_boards_webhooks_as_active() {
    let board = Board::new(TrelloMapping::default()).await;
    let (_receiver, url) = callback().await;
    let other_board = board.emu.seed_board("Old board");
    let mut old = board.settings();
    old.board = other_board;
    let stale = throughline_trello::TrelloConnector::new(old)
        .unwrap()
        .create_webhook(&url)
        .await
        .unwrap();
    let host: Box<dyn WebhookHost> = Box::new(board.connector());
    assert!(host.watched().contains(&board.board), "{}", host.watched());

    let listed = host.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].active),
        (stale.id.as_str(), false)
    );
    assert_eq!(listed[0].callback, url);

    let created = host.create(&url).await.unwrap();
    assert_eq!(created.secret, None, "Trello has no handshake secret");
    let listed = host.list().await.unwrap();
    let on_board: Vec<_> = listed.iter().filter(|w| w.active).collect();
    assert_eq!(on_board.len(), 1);
    assert_eq!(on_board[0].id, created.id);

    host.delete(&stale.id).await.unwrap();
    assert_eq!(ids(&board), [created.id]);
}
