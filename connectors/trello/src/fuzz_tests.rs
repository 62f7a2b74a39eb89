//! Fuzz properties of what the connector reads from Trello: the board body of an observation
//! (decoded, turned into the snapshot, then into observed tasks and entries, with markers,
//! dates and members), the answers to writes, and the marker line of a description. Inputs
//! are a board shaped like the one the connector asks for, damaged (bytes flipped, cut short,
//! keys spliced, huge numbers, deep nesting, Hebrew and direction marks, NUL, very long
//! text), and JSON generated from the field names the decoder knows.
//!
//! Here, inside the crate, because the decoder and the snapshot are private. The number of
//! cases is `THROUGHLINE_FUZZ_CASES` (default 256); `scripts/fuzz` runs 100,000.

#[path = "../../../tests/fuzz_support/mutate.rs"]
mod mutate;

use std::sync::Mutex;

use proptest::prelude::*;
use throughline_connector::http::Secret;

use crate::mapping::TrelloMapping;
use crate::{TrelloConnector, TrelloSettings};
use crate::{marker, wire};

/// A board as `read_board` asks for it: lists (one of them the done list, one the templates),
/// cards with markers, dates, members and custom field items, checklists with items.
const BOARD: &str = r#"{
  "name": "שיווק · Marketing",
  "lists": [
    {"id": "l1", "name": "Idea and brief", "closed": false, "pos": 16384},
    {"id": "l2", "name": "כתיבה", "closed": false, "pos": 32768.5},
    {"id": "l3", "name": "Done", "closed": false, "pos": 65536},
    {"id": "l4", "name": "throughline templates", "closed": true, "pos": 1e9}
  ],
  "cards": [
    {"id": "c1", "name": "Spring sale: Idea and brief", "desc": "Notes\n\nthroughline: spring-sale/idea · source~3f2a goal~91bc",
     "closed": false, "idList": "l1", "due": "2026-03-10T15:00:00.000Z", "start": "2026-03-08T07:00:00.000Z",
     "dueComplete": false, "idMembers": ["m1"], "dateLastActivity": "2026-03-01T10:00:00.000Z",
     "customFieldItems": [{"idCustomField": "f1", "value": {"text": "spring-sale/idea"}}]},
    {"id": "c2", "name": "מבצע אביב: כתיבה", "desc": "‏הערות\nthroughline: spring-sale/copy",
     "closed": false, "idList": "l3", "due": null, "dueComplete": true, "idMembers": ["m2", "m1"]},
    {"id": "c3", "name": "template", "desc": "", "idList": "l4"}
  ],
  "checklists": [
    {"id": "k1", "idCard": "c1", "name": "Checklist", "pos": 1,
     "checkItems": [
       {"id": "i1", "name": "Write down the source", "state": "complete", "pos": 2, "due": "2026-03-09T15:00:00.000Z", "idMember": "m1"},
       {"id": "i2", "name": "One goal, one number", "state": "incomplete", "pos": 1}
     ]},
    {"id": "k2", "idCard": "c1", "name": "Archived by throughline", "pos": 2,
     "checkItems": [{"id": "i3", "name": "old", "state": "incomplete", "pos": 1}]},
    {"id": "k3", "idCard": "c3", "name": "Checklist", "pos": 1,
     "checkItems": [{"id": "i4", "name": "Write down the source", "state": "incomplete", "pos": 1}]}
  ],
  "labels": [{"id": "b1", "name": "Instagram"}, {"id": "b2", "name": null}],
  "members": [{"id": "m1", "username": "dana"}, {"id": "m2", "username": "noa"}],
  "customFields": [{"id": "f1", "name": "throughline", "type": "text"}]
}"#;

const KEYS: &[&str] = &[
    "id",
    "name",
    "lists",
    "cards",
    "checklists",
    "labels",
    "members",
    "customFields",
    "closed",
    "pos",
    "desc",
    "idList",
    "due",
    "start",
    "dueComplete",
    "idMembers",
    "dateLastActivity",
    "customFieldItems",
    "idCustomField",
    "value",
    "text",
    "idCard",
    "checkItems",
    "state",
    "idMember",
    "username",
    "type",
];

/// One connector for every case: building its HTTP client costs more than a case.
fn connector(mapping: TrelloMapping) -> TrelloConnector {
    let mut settings =
        TrelloSettings::new("fuzz", "b0ard", Secret::new("key"), Secret::new("token"));
    settings.mapping = mapping;
    settings
        .people
        .insert("dana@example.com".into(), "dana".into());
    settings.people.insert("נועה".into(), "m2".into());
    TrelloConnector::new(settings).expect("settings are complete")
}

/// A mapping that reads every optional part: the done list, the custom field, entry owners
/// and due dates.
fn full_mapping() -> TrelloMapping {
    let table: toml::Table = toml::from_str(
        "[status]\ndone_list = \"Done\"\n[identity]\ncustom_field = \"throughline\"\n\
         [checklist]\nowner = true\ndue = true\n",
    )
    .unwrap();
    TrelloMapping::from_toml(&table).expect("a valid mapping")
}

/// Decode a board body and observe it as `observe` would.
fn observe_body(conn: &Mutex<TrelloConnector>, body: &[u8]) -> Result<(), TestCaseError> {
    let Ok(board) = serde_json::from_slice::<wire::Board>(body) else {
        return Ok(());
    };
    let cards = board.cards.len();
    let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
    conn.home.clear();
    let snap = conn.snapshot_of(board);
    conn.snap = Some(snap);
    let observed = conn.observe_snapshot();
    prop_assert!(observed.tasks.len() <= cards, "more tasks than cards");
    Ok(())
}

#[test]
fn fuzz_board_body() {
    let conns = [
        connector(TrelloMapping::default()),
        connector(full_mapping()),
    ]
    .map(Mutex::new);
    mutate::run(
        "trello board body",
        (any::<bool>(), mutate::json_body(&[BOARD], KEYS)),
        |(full, body)| observe_body(&conns[full as usize], &body),
    );
}

#[test]
fn fuzz_board_generated() {
    let conns = [
        connector(TrelloMapping::default()),
        connector(full_mapping()),
    ]
    .map(Mutex::new);
    mutate::run(
        "trello board generated",
        (any::<bool>(), mutate::json(KEYS)),
        |(full, value)| {
            let body = serde_json::to_vec(&value).unwrap();
            observe_body(&conns[full as usize], &body)
        },
    );
}

/// The answers to writes, and descriptions with and without a marker line.
#[test]
fn fuzz_answers_and_markers() {
    let seeds = vec![
        br#"{"id":"c9","name":"x","idList":"l1","customFieldItems":[]}"#.to_vec(),
        br#"{"id":"k9","idCard":"c9","name":"Checklist","checkItems":[{"id":"i9","name":"a","state":"complete"}]}"#.to_vec(),
        br#"{"id":"i9","name":"a","state":"incomplete","pos":16384,"idMember":null,"due":null}"#.to_vec(),
        "Notes\n\nthroughline: spring-sale/idea · source~3f2a goal~91bc".as_bytes().to_vec(),
        "throughline: מבצע/כתיבה ‏· a~0000".as_bytes().to_vec(),
    ];
    mutate::run(
        "trello answers and markers",
        mutate::mutated(seeds),
        |bytes| {
            let _ = serde_json::from_slice::<wire::Card>(&bytes);
            let _ = serde_json::from_slice::<wire::Checklist>(&bytes);
            let _ = serde_json::from_slice::<wire::CheckItem>(&bytes);
            let _ = serde_json::from_slice::<wire::List>(&bytes);
            let _ = serde_json::from_slice::<wire::Created>(&bytes);
            let desc = mutate::lossy(&bytes);
            let (body, found) = marker::split(&desc);
            prop_assert!(body.len() <= desc.len() + 2, "the body grew");
            if let Some(m) = found {
                let texts: Vec<&str> = desc.lines().collect();
                let matched = m.match_items(&texts);
                prop_assert_eq!(matched.len(), texts.len());
                let _ = marker::join(&body, &m);
            }
            Ok(())
        },
    );
}
