//! What the connector sends and reads, beyond the shared suite: the request economy, dates in
//! the process's time zone, the done list, people, a person's edits to checklists, secrets.

mod common;

use common::Board;
use jiff::civil::Date;
use throughline_connector::identity::Identity;
use throughline_connector::{
    Change, Connector, ConnectorError, DesiredEntry, DesiredTask, EntryFields, State, TaskContext,
    TaskFields,
};
use throughline_trello::TrelloMapping;

fn task(identity: &str, group: &str, entries: &[&str]) -> DesiredTask {
    DesiredTask {
        identity: identity.to_owned(),
        fields: TaskFields {
            title: format!("Task {identity}"),
            description: "Write it.\nTwice.".to_owned(),
            group: group.to_owned(),
            owner: Some("ana@example.com".to_owned()),
            start: Some(Date::constant(2026, 3, 26)),
            due: Some(Date::constant(2026, 3, 27)),
        },
        state: State::Todo,
        context: TaskContext {
            channel: Some("Instagram".to_owned()),
            ..TaskContext::default()
        },
        entries: entries
            .iter()
            .map(|t| DesiredEntry {
                identity: Identity::parse(identity)
                    .expect("item/stage")
                    .with_key(&t.to_lowercase().replace(' ', "-"))
                    .to_string(),
                fields: EntryFields {
                    text: (*t).to_owned(),
                    owner: None,
                    due: None,
                },
                checked: false,
            })
            .collect(),
    }
}

async fn create(board: &Board, tasks: &[DesiredTask]) -> Vec<String> {
    let mut c = board.connector();
    c.observe(None).await.unwrap();
    let changes: Vec<Change> = tasks
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    c.apply(&changes)
        .await
        .into_iter()
        .map(|r| match r.expect("created") {
            throughline_connector::Applied::Created { remote_id, .. } => remote_id,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn an_observation_is_one_nested_board_read_and_nothing_to_do_sends_nothing() {
    let board = Board::new(TrelloMapping::default()).await;
    create(
        &board,
        &[
            task("a/copy", "Copy", &["One", "Two"]),
            task("b/copy", "Copy", &[]),
        ],
    )
    .await;
    board.emu.clear_requests();
    let mut c = board.connector();
    let obs = c.observe(None).await.unwrap();
    assert_eq!(obs.tasks.len(), 2);
    let log = board.emu.requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("GET", format!("/boards/{}", board.board).as_str())
    );
    for part in [
        // Comments too: blocked reasons live in comments on a board without the reason field.
        "actions=commentCard",
        "lists=all",
        "cards=all",
        "checklists=all",
        "customFields=true",
        "card_customFieldItems=true",
        "members=all",
        "labels=all",
    ] {
        assert!(
            log[0].query.contains(part),
            "the board read lacks {part}: {}",
            log[0].query
        );
    }
    assert!(c.apply(&[]).await.is_empty());
    assert_eq!(board.emu.requests().len(), 1);
    assert_eq!(c.requests().unwrap().total(), 1);
}

#[tokio::test]
async fn an_update_sends_only_what_changed_in_one_request() {
    let board = Board::new(TrelloMapping::default()).await;
    let t = task("a/copy", "Copy", &["One"]);
    let ids = create(&board, std::slice::from_ref(&t)).await;
    let mut c = board.connector();
    c.observe(None).await.unwrap();
    board.emu.clear_requests();
    let mut fields = t.fields.clone();
    fields.title = "Renamed — שם חדש".to_owned();
    let change = Change::UpdateTask {
        remote_id: ids[0].clone(),
        identity: t.identity.clone(),
        context: t.context.clone(),
        fields: Some(fields.clone()),
        previous: Some(t.fields.clone()),
        state: None,
        unarchive: false,
    };
    assert!(c.apply(std::slice::from_ref(&change)).await[0].is_ok());
    let log = board.emu.requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].method, "PUT");
    let keys: Vec<&str> = log[0]
        .query
        .split('&')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(keys, ["name"]);
    // The same change again: nothing differs, nothing is sent.
    let mut c = board.connector();
    c.observe(None).await.unwrap();
    board.emu.clear_requests();
    assert!(c.apply(&[change]).await[0].is_ok());
    assert!(board.emu.requests().is_empty());
}

#[tokio::test]
async fn dates_are_moments_at_the_mapped_hour_and_read_back_as_their_day() {
    let board = Board::new(TrelloMapping::default()).await;
    // Jerusalem moves to summer time on Friday 2026-03-27 at 02:00.
    let ids = create(&board, &[task("a/copy", "Copy", &[])]).await;
    let card = board.emu.person(|p| p.card(&ids[0])).unwrap();
    assert_eq!(
        card.due.unwrap().to_string(),
        "2026-03-27T14:00:00Z",
        "17:00 in Jerusalem (UTC+3)"
    );
    assert_eq!(
        card.start.unwrap().to_string(),
        "2026-03-26T07:00:00Z",
        "09:00 in Jerusalem (UTC+2)"
    );
    // A person picks 23:30 local on the due day, and 00:15 local the next day for the start.
    board.emu.person(|p| {
        p.set_due(&ids[0], "2026-03-27T20:30:00Z".parse().unwrap());
        p.set_start(&ids[0], "2026-03-27T21:15:00Z".parse().unwrap());
    });
    let obs = board.connector().observe(None).await.unwrap();
    assert_eq!(obs.tasks[0].fields.due, Some(Date::constant(2026, 3, 27)));
    assert_eq!(obs.tasks[0].fields.start, Some(Date::constant(2026, 3, 28)));
}

#[tokio::test]
async fn a_card_a_person_drags_to_done_reads_done_and_keeps_its_stage() {
    let board = Board::new(TrelloMapping::default()).await;
    let ids = create(
        &board,
        &[task("a/copy", "Copy", &[]), task("b/copy", "Copy", &[])],
    )
    .await;
    board.emu.person(|p| p.move_to_list(&ids[0], "Done"));
    // A restarted connector has no memory of where the card was; its stage's other cards tell.
    let obs = board.connector().observe(None).await.unwrap();
    let a = obs.tasks.iter().find(|t| t.remote_id == ids[0]).unwrap();
    assert_eq!((a.state, a.fields.group.as_str()), (State::Done, "Copy"));
    let b = obs.tasks.iter().find(|t| t.remote_id == ids[1]).unwrap();
    assert_eq!(b.state, State::Todo);
}

#[tokio::test]
async fn identities_survive_a_person_reordering_and_retyping_items() {
    let board = Board::new(TrelloMapping::default()).await;
    let t = task("a/copy", "Copy", &["Outline", "Sources", "Tone"]);
    let ids = create(&board, std::slice::from_ref(&t)).await;
    board.emu.person(|p| p.move_item_to_top(&ids[0], "Tone"));
    let obs = board.connector().observe(None).await.unwrap();
    let seen: Vec<_> = obs.tasks[0]
        .entries
        .iter()
        .map(|e| (e.fields.text.clone(), e.identity.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("Tone".to_owned(), Some("a/copy/tone".to_owned())),
            ("Outline".to_owned(), Some("a/copy/outline".to_owned())),
            ("Sources".to_owned(), Some("a/copy/sources".to_owned())),
        ]
    );
    board
        .emu
        .person(|p| p.rename_item(&ids[0], "Sources", "Sources, checked twice"));
    let obs = board.connector().observe(None).await.unwrap();
    let e = obs.tasks[0]
        .entries
        .iter()
        .find(|e| e.fields.text == "Sources, checked twice")
        .unwrap();
    assert_eq!(
        e.identity.as_deref(),
        Some("a/copy/sources"),
        "retyped: the drift is seen on the right entry"
    );
}

#[tokio::test]
async fn archived_cards_and_lists_read_as_archived_and_strangers_are_reported() {
    let board = Board::new(TrelloMapping::default()).await;
    let ids = create(
        &board,
        &[task("a/copy", "Copy", &[]), task("b/design", "Design", &[])],
    )
    .await;
    board.emu.person(|p| {
        p.edit_card(&ids[0], |c| *c.closed = true);
        p.archive_list_of(&ids[1]);
        p.add_card("Copy", "Someone's own card", "no marker here");
        p.add_card("Copy", "Copied by hand", "notes\n\nthroughline: gone/copy");
    });
    let obs = board.connector().observe(None).await.unwrap();
    let by_id = |id: &str| obs.tasks.iter().find(|t| t.remote_id == id).unwrap();
    assert!(by_id(&ids[0]).archived && by_id(&ids[1]).archived);
    let ids_seen: Vec<Option<&str>> = obs.tasks.iter().map(|t| t.identity.as_deref()).collect();
    assert!(
        ids_seen.contains(&None),
        "a card without marker is observed, as nobody's"
    );
    assert!(
        ids_seen.contains(&Some("gone/copy")),
        "an unknown marker is reported for the engine"
    );
}

#[tokio::test]
async fn people_are_members_and_a_missing_one_is_named_with_the_fix() {
    let board = Board::new(TrelloMapping::default()).await;
    let mut t = task("a/copy", "Copy", &[]);
    t.fields.owner = Some("noa@example.com".to_owned());
    let mut c = board.connector();
    c.observe(None).await.unwrap();
    let r = c.apply(&[Change::CreateTask { task: t }]).await;
    match &r[0] {
        Err(ConnectorError::Invalid { message }) => {
            assert!(
                message.contains("noa@example.com has no Trello username"),
                "{message}"
            );
            assert!(
                message.contains("[people]") && message.contains("`studio`"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let ids = create(&board, &[task("b/copy", "Copy", &[])]).await;
    let card = board.emu.person(|p| p.card(&ids[0])).unwrap();
    assert_eq!(card.members, ["ana"]);
    assert_eq!(card.labels, ["Instagram"]);
    let obs = board.connector().observe(None).await.unwrap();
    assert_eq!(
        obs.tasks[0].fields.owner.as_deref(),
        Some("ana@example.com")
    );
}

#[tokio::test]
async fn secrets_never_reach_an_error_message() {
    let board = Board::new(TrelloMapping::default()).await;
    let mut s = board.settings();
    s.token = throughline_trello::Secret::new("0123456789abcdef-not-the-token");
    let mut c = throughline_trello::TrelloConnector::new(s).unwrap();
    let e = c.observe(None).await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ConnectorError::Auth { .. }), "{e:?}");
    assert!(
        text.contains("invalid token") && text.contains("`studio`"),
        "{text}"
    );
    assert!(
        !text.contains("0123456789abcdef") && !text.contains(&board.emu.key()),
        "{text}"
    );
}
