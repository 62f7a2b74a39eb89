//! The state store's test suite, one for every store: each test is a function taking a
//! [`Backend`] (a way to open a fresh store of one kind), and [`store_conformance!`] makes a
//! `#[test]` of each for a backend. `tests/it/state_sqlite.rs` runs it on SQLite files,
//! `tests/it/postgres_store.rs` on databases of a real PostgreSQL server.
//!
//! Not part of the library: the integration tests include this file as a module
//! (`#[path]` in `tests/it/main.rs`), so it sits beside the stores it checks.

use jiff::Timestamp;
use throughline::state::{
    Batch, Event, EventKind, Intent, Link, MetricValue, Snooze, StateError, StateStore,
    StatusRecord,
};
use throughline_connector::State;

/// One fresh, empty store of one kind, opened as often as a test likes.
pub trait Backend {
    /// Opened for writing (the single writer: SQLite's lock, PostgreSQL's lease).
    fn open(&self) -> Box<dyn StateStore>;
    /// Opened for reading only, as `plan` and `status` do.
    fn open_read_only(&self) -> Box<dyn StateStore>;
}

/// A `#[test]` for each function of the suite, on the backend `$backend` makes (an
/// `Option`: `None` skips, for a server that is not installed).
macro_rules! store_conformance {
    ($backend:expr) => {
        store_conformance!(@each $backend; every_type_round_trips, later_batches_update_clear_and_forget, the_last_recorded_status_is_current_and_history_keeps_the_order, hebrew_identities_and_text_round_trip, reopening_after_drop_keeps_everything, a_batch_that_fails_midway_leaves_nothing, a_large_batch_commits_and_reads_back, read_only_sees_committed_batches_and_cannot_write, read_only_of_a_new_store_is_empty_and_cannot_write, a_handoff_is_kept_once_and_its_sending_survives_a_reopen, planned_dates_are_kept_when_they_change, metric_values_and_snoozes_survive_reopening, notices_secrets_and_calendar_tokens_are_kept, forget_target_forgets_links_intents_and_cursor_only, dashboard_actions_are_kept_with_what_they_write);
    };
    (@each $backend:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                if let Some(backend) = $backend {
                    $crate::store_conformance::$name(&backend);
                }
            }
        )*
    };
}

pub fn at(seconds: i64, nanos: i32) -> Timestamp {
    Timestamp::new(seconds, nanos).unwrap()
}

/// 2026-06-01T09:00:00Z, plus `minutes`.
pub fn t(minutes: i64) -> Timestamp {
    at(1_780_304_400 + minutes * 60, 0)
}

pub fn task_link(target: &str, identity: &str, remote_id: &str) -> Link {
    Link {
        target: target.into(),
        identity: identity.into(),
        parent: None,
        remote_id: remote_id.into(),
        pushed: Some(format!(r#"{{"title":"{identity}","due":"2026-06-10"}}"#)),
        pulled: Some(State::Todo),
        remote_version: Some("v1".into()),
        archived: false,
        updated_at: at(1_780_304_400, 123_456_789),
        pulled_reason: None,
    }
}

pub fn entry_link(target: &str, parent: &str, key: &str, remote_id: &str) -> Link {
    Link {
        target: target.into(),
        identity: format!("{parent}/{key}"),
        parent: Some(parent.into()),
        remote_id: remote_id.into(),
        pushed: None,
        pulled: None,
        remote_version: None,
        archived: true,
        updated_at: t(1),
        pulled_reason: None,
    }
}

pub fn status(identity: &str, state: State, source: Option<&str>, minutes: i64) -> StatusRecord {
    StatusRecord {
        identity: identity.into(),
        state,
        source_target: source.map(Into::into),
        source_person: source.map(|_| "dana@example.com".into()),
        at: t(minutes),
        reason: None,
    }
}

pub fn event(kind: EventKind, minutes: i64, detail: &str) -> Event {
    Event {
        kind,
        target: Some("studio".into()),
        identity: Some("spring-launch/draft".into()),
        detail: detail.into(),
        resolution: "reverted".into(),
        person: Some("noa@example.com".into()),
        at: t(minutes),
    }
}

/// A batch touching every table.
pub fn full_batch() -> Batch {
    Batch {
        put_links: vec![
            // The entry comes first on purpose: the store orders tasks before entries.
            entry_link("studio", "spring-launch/draft", "outline", "chk-1"),
            task_link("studio", "spring-launch/draft", "card-1"),
            task_link("writers", "spring-launch/draft", "row-7"),
        ],
        add_intents: vec![
            Intent {
                target: "studio".into(),
                identity: "spring-launch/review".into(),
                created_at: t(2),
            },
            Intent {
                target: "writers".into(),
                identity: "spring-launch/review".into(),
                created_at: t(3),
            },
        ],
        clear_intents: vec![],
        statuses: vec![
            status("spring-launch/draft", State::Todo, None, 0),
            status("spring-launch/draft", State::Doing, Some("studio"), 5),
            status("spring-launch/review", State::Todo, None, 0),
        ],
        events: vec![
            event(EventKind::Drift, 4, "title changed in Trello"),
            event(
                EventKind::Conflict,
                6,
                "studio says done, writers say doing",
            ),
            event(EventKind::SafetyStop, 7, "board looks empty"),
            event(EventKind::Unknown, 8, "card with unknown marker"),
        ],
        cursors: vec![
            (
                "studio".into(),
                Some(serde_json::json!({"since": "2026-06-01T09:00:00Z"})),
            ),
            ("writers".into(), Some(serde_json::json!(42))),
        ],
        overrides: vec![
            (
                "spring-launch/draft".into(),
                "title".into(),
                Some("Draft the launch post".into()),
            ),
            (
                "spring-launch/draft".into(),
                "owner".into(),
                Some("noa@example.com".into()),
            ),
        ],
    }
}

pub fn every_type_round_trips<B: Backend>(b: &B) {
    let mut store = b.open();
    let batch = full_batch();
    store.commit(batch.clone()).unwrap();

    let mut studio = vec![batch.put_links[1].clone(), batch.put_links[0].clone()];
    studio.sort_by(|a, b| a.identity.cmp(&b.identity));
    assert_eq!(store.links("studio").unwrap(), studio);
    assert_eq!(
        store.links("writers").unwrap(),
        vec![batch.put_links[2].clone()]
    );
    assert_eq!(store.links("nowhere").unwrap(), vec![]);

    assert_eq!(
        store.intents("studio").unwrap(),
        vec![batch.add_intents[0].clone()]
    );
    assert_eq!(
        store.intents("writers").unwrap(),
        vec![batch.add_intents[1].clone()]
    );

    assert_eq!(
        store.statuses().unwrap(),
        vec![batch.statuses[1].clone(), batch.statuses[2].clone()]
    );
    assert_eq!(
        store.status_history("spring-launch/draft").unwrap(),
        batch.statuses[..2].to_vec()
    );

    assert_eq!(store.events(None).unwrap(), batch.events);
    assert_eq!(
        store.events(Some(t(6))).unwrap(),
        batch.events[1..].to_vec()
    );
    assert_eq!(store.events(Some(t(9))).unwrap(), vec![]);
    assert_eq!(store.events(Some(Timestamp::MIN)).unwrap(), batch.events);
    assert_eq!(store.events(Some(Timestamp::MAX)).unwrap(), vec![]);

    assert_eq!(store.cursor("studio").unwrap(), batch.cursors[0].1);
    assert_eq!(store.cursor("writers").unwrap(), batch.cursors[1].1);
    assert_eq!(store.cursor("nowhere").unwrap(), None);

    assert_eq!(
        store.overrides().unwrap(),
        vec![
            (
                "spring-launch/draft".into(),
                "owner".into(),
                "noa@example.com".into()
            ),
            (
                "spring-launch/draft".into(),
                "title".into(),
                "Draft the launch post".into()
            ),
        ]
    );
}

pub fn later_batches_update_clear_and_forget<B: Backend>(b: &B) {
    let mut store = b.open();
    store.commit(full_batch()).unwrap();

    let mut moved = task_link("studio", "spring-launch/draft", "card-1");
    moved.pulled = Some(State::Done);
    moved.remote_version = Some("v2".into());
    moved.pushed = None;
    moved.archived = true;
    moved.updated_at = t(30);
    store
        .commit(Batch {
            put_links: vec![moved.clone()],
            // Repeating an intent keeps the time it was first written.
            add_intents: vec![Intent {
                target: "writers".into(),
                identity: "spring-launch/review".into(),
                created_at: t(20),
            }],
            clear_intents: vec![("studio".into(), "spring-launch/review".into())],
            cursors: vec![
                ("studio".into(), None),
                ("writers".into(), Some(serde_json::json!({"page": 2}))),
            ],
            overrides: vec![("spring-launch/draft".into(), "title".into(), None)],
            ..Batch::default()
        })
        .unwrap();

    let studio = store.links("studio").unwrap();
    assert_eq!(studio.len(), 2);
    assert_eq!(studio[0], moved);
    assert_eq!(store.intents("studio").unwrap(), vec![]);
    assert_eq!(store.intents("writers").unwrap()[0].created_at, t(3));
    assert_eq!(store.cursor("studio").unwrap(), None);
    assert_eq!(
        store.cursor("writers").unwrap(),
        Some(serde_json::json!({"page": 2}))
    );
    assert_eq!(
        store.overrides().unwrap(),
        vec![(
            "spring-launch/draft".into(),
            "owner".into(),
            "noa@example.com".into()
        )]
    );
}

pub fn the_last_recorded_status_is_current_and_history_keeps_the_order<B: Backend>(b: &B) {
    let mut store = b.open();
    let id = "spring-launch/draft";
    let records = [
        status(id, State::Done, Some("studio"), 10),
        // Earlier in time but recorded later (the engine resolved a conflict for this tool):
        // the store keeps the engine's decision.
        status(id, State::Doing, Some("writers"), 5),
        status(id, State::Todo, Some("writers"), 10),
    ];
    for record in &records {
        let batch = Batch {
            statuses: vec![record.clone()],
            ..Batch::default()
        };
        store.commit(batch).unwrap();
    }
    assert_eq!(store.statuses().unwrap(), vec![records[2].clone()]);
    assert_eq!(store.status_history(id).unwrap(), records.to_vec());
    assert_eq!(store.status_history("someone-else/draft").unwrap(), vec![]);

    // Events come back in the order recorded; `since` filters by their time.
    let events = vec![
        event(EventKind::Conflict, 10, "recorded first"),
        event(EventKind::Drift, 5, "recorded second, earlier time"),
        event(EventKind::Drift, 20, "recorded third"),
    ];
    store
        .commit(Batch {
            events: events.clone(),
            ..Batch::default()
        })
        .unwrap();
    assert_eq!(store.events(None).unwrap(), events);
    assert_eq!(
        store.events(Some(t(10))).unwrap(),
        vec![events[0].clone(), events[2].clone()]
    );
}

pub fn hebrew_identities_and_text_round_trip<B: Backend>(b: &B) {
    let task = "השקת-אביב/טיוטה";
    let entry = format!("{task}/כותרת");
    {
        let mut store = b.open();
        let mut link = task_link("סטודיו", task, "כרטיס-1");
        link.pushed = Some(r#"{"title":"טיוטת פוסט ההשקה","owner":"נועה"}"#.into());
        store
            .commit(Batch {
                put_links: vec![link, entry_link("סטודיו", task, "כותרת", "פריט-1")],
                statuses: vec![StatusRecord {
                    identity: entry.clone(),
                    state: State::Done,
                    source_target: Some("סטודיו".into()),
                    source_person: Some("נועה כהן".into()),
                    at: t(3),
                    reason: None,
                }],
                events: vec![Event {
                    kind: EventKind::Drift,
                    target: Some("סטודיו".into()),
                    identity: Some(task.into()),
                    detail: "הכותרת שונתה ב-Trello".into(),
                    resolution: "בוטל".into(),
                    person: Some("נועה כהן".into()),
                    at: t(4),
                }],
                cursors: vec![("סטודיו".into(), Some(serde_json::json!({"סמן": "א"})))],
                overrides: vec![(task.into(), "title".into(), Some("כותרת חדשה".into()))],
                ..Batch::default()
            })
            .unwrap();
    }
    let store = b.open_read_only();
    let links = store.links("סטודיו").unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].identity, task);
    assert_eq!(links[0].remote_id, "כרטיס-1");
    assert_eq!(
        links[0].pushed.as_deref(),
        Some(r#"{"title":"טיוטת פוסט ההשקה","owner":"נועה"}"#)
    );
    assert_eq!(links[1].identity, entry);
    assert_eq!(links[1].parent.as_deref(), Some(task));
    assert_eq!(
        store.status_history(&entry).unwrap()[0]
            .source_person
            .as_deref(),
        Some("נועה כהן")
    );
    assert_eq!(
        store.events(None).unwrap()[0].detail,
        "הכותרת שונתה ב-Trello"
    );
    assert_eq!(
        store.cursor("סטודיו").unwrap(),
        Some(serde_json::json!({"סמן": "א"}))
    );
    assert_eq!(
        store.overrides().unwrap(),
        vec![(task.into(), "title".into(), "כותרת חדשה".into())]
    );
}

pub fn reopening_after_drop_keeps_everything<B: Backend>(b: &B) {
    let batch = full_batch();
    {
        let mut store = b.open();
        store.commit(batch.clone()).unwrap();
    }
    let store = b.open();
    assert_eq!(store.links("studio").unwrap().len(), 2);
    assert_eq!(
        store.links("writers").unwrap(),
        vec![batch.put_links[2].clone()]
    );
    assert_eq!(
        store.intents("studio").unwrap(),
        vec![batch.add_intents[0].clone()]
    );
    assert_eq!(store.statuses().unwrap().len(), 2);
    assert_eq!(
        store.status_history("spring-launch/draft").unwrap(),
        batch.statuses[..2].to_vec()
    );
    assert_eq!(store.events(None).unwrap(), batch.events);
    assert_eq!(store.cursor("studio").unwrap(), batch.cursors[0].1);
    assert_eq!(store.overrides().unwrap().len(), 2);
}

/// Everything a store holds, to compare before and after a failed commit.
pub fn snapshot(store: &dyn StateStore) -> String {
    format!(
        "{:?}",
        (
            store.links("studio").unwrap(),
            store.links("writers").unwrap(),
            store.intents("studio").unwrap(),
            store.statuses().unwrap(),
            store.status_history("spring-launch/draft").unwrap(),
            store.events(None).unwrap(),
            store.cursor("studio").unwrap(),
            store.overrides().unwrap(),
        )
    )
}

/// A batch that writes to every table, then hits `bad` (a row the store must refuse) midway.
pub fn failing_batch(bad: Link) -> Batch {
    let mut batch = full_batch();
    batch.put_links = vec![
        task_link("studio", "autumn/draft", "card-9"),
        task_link("writers", "autumn/draft", "row-9"),
        bad,
        task_link("studio", "autumn/review", "card-10"),
    ];
    batch
        .statuses
        .push(status("autumn/draft", State::Done, Some("studio"), 50));
    batch.clear_intents = vec![("studio".into(), "spring-launch/review".into())];
    batch.cursors[0].1 = None;
    batch.overrides = vec![("spring-launch/draft".into(), "title".into(), None)];
    batch
}

pub fn a_batch_that_fails_midway_leaves_nothing<B: Backend>(b: &B) {
    let mut store = b.open();
    store.commit(full_batch()).unwrap();
    let before = snapshot(&*store);

    // An empty identity is refused by a constraint.
    let err = store
        .commit(failing_batch(task_link("studio", "", "card-x")))
        .unwrap_err();
    assert!(matches!(err, StateError::Sql { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("\"studio\""), "{message}");
    assert!(
        message.contains("nothing of this step was recorded"),
        "{message}"
    );
    assert_eq!(snapshot(&*store), before);

    // An entry whose task has no link in that target.
    let orphan = entry_link("writers", "autumn/publish", "links", "row-11");
    let err = store.commit(failing_batch(orphan)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("its task \"autumn/publish\" has no link"),
        "{message}"
    );
    assert_eq!(snapshot(&*store), before);

    // A time the file cannot hold, in the last table written.
    let mut batch = failing_batch(task_link("studio", "autumn/publish", "card-11"));
    batch.events.push(Event {
        at: Timestamp::MAX,
        ..event(EventKind::Drift, 0, "far future")
    });
    let err = store.commit(batch).unwrap_err();
    assert!(err.to_string().contains("years 1677 to 2262"), "{err}");
    assert_eq!(snapshot(&*store), before);

    // Nothing of it reached the file either.
    drop(store);
    assert_eq!(snapshot(&*b.open()), before);
}

pub fn a_large_batch_commits_and_reads_back<B: Backend>(b: &B) {
    let mut store = b.open();
    let mut links = Vec::new();
    for item in 0..10_000 {
        let task = format!("item-{item:05}/draft");
        links.push(task_link("studio", &task, &format!("card-{item}")));
        for key in ["outline", "images", "review"] {
            links.push(entry_link(
                "studio",
                &task,
                key,
                &format!("chk-{item}-{key}"),
            ));
        }
    }
    assert_eq!(links.len(), 40_000);
    let started = std::time::Instant::now();
    store
        .commit(Batch {
            put_links: links.clone(),
            ..Batch::default()
        })
        .unwrap();
    // Informational only (run with --release --nocapture to see it).
    eprintln!("committed 40,000 links in {:?}", started.elapsed());

    let mut read = store.links("studio").unwrap();
    links.sort_by(|a, b| a.identity.cmp(&b.identity));
    read.sort_by(|a, b| a.identity.cmp(&b.identity));
    assert_eq!(read, links);
}

pub fn read_only_sees_committed_batches_and_cannot_write<B: Backend>(b: &B) {
    let mut writer = b.open();
    let mut reader = b.open_read_only();
    assert_eq!(reader.links("studio").unwrap(), vec![]);

    writer.commit(full_batch()).unwrap();
    assert_eq!(reader.links("studio").unwrap().len(), 2);
    assert_eq!(reader.events(None).unwrap(), full_batch().events);

    let err = reader.commit(full_batch()).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");

    // After the writer closes (SQLite then removes its -wal and -shm files), reading still works.
    drop(writer);
    let reader = b.open_read_only();
    assert_eq!(reader.links("studio").unwrap().len(), 2);
}

pub fn read_only_of_a_new_store_is_empty_and_cannot_write<B: Backend>(b: &B) {
    let mut store = b.open_read_only();
    assert_eq!(store.links("studio").unwrap(), vec![]);
    assert_eq!(store.statuses().unwrap(), vec![]);
    assert_eq!(store.events(None).unwrap(), vec![]);
    assert_eq!(store.cursor("studio").unwrap(), None);
    assert!(store.commit(full_batch()).is_err());
}

pub fn a_handoff_is_kept_once_and_its_sending_survives_a_reopen<B: Backend>(b: &B) {
    use throughline::state::Handoff;
    let ready = |owner: &str| Handoff {
        identity: "spring-sale/publish".into(),
        owner: owner.into(),
        ready_at: t(1),
        sent_at: None,
    };
    let mut memory = throughline::state::MemoryStore::new();
    {
        let mut store = b.open();
        for s in [&mut *store as &mut dyn StateStore, &mut memory] {
            assert!(s.add_handoff(&ready("dana@example.com")).unwrap());
            // Never twice, whoever it would go to now.
            assert!(!s.add_handoff(&ready("noa@example.com")).unwrap());
            s.handoff_sent("spring-sale/publish", t(2)).unwrap();
            // The first sending is kept.
            s.handoff_sent("spring-sale/publish", t(3)).unwrap();
        }
    }
    let store = b.open();
    let want = vec![Handoff {
        sent_at: Some(t(2)),
        ..ready("dana@example.com")
    }];
    assert_eq!(store.handoffs().unwrap(), want);
    assert_eq!(memory.handoffs().unwrap(), want);
}

pub fn planned_dates_are_kept_when_they_change<B: Backend>(b: &B) {
    let mut store = b.open();
    let link = |target: &str, id: &str, due: &str, at: &str| Link {
        target: target.into(),
        identity: id.into(),
        parent: None,
        remote_id: format!("{target}-{id}"),
        pushed: Some(format!(
            r#"{{"fields":{{"title":"t","start":"2026-11-02","due":"{due}","owner":null}}}}"#
        )),
        pulled: None,
        pulled_reason: None,
        remote_version: None,
        archived: false,
        updated_at: at.parse().unwrap(),
    };
    let batches = [
        // Two targets push the same first plan; then the due date moves twice, once back.
        vec![
            link("xl", "a/copy", "2026-11-04", "2026-11-01T09:00:00Z"),
            link("board", "a/copy", "2026-11-04", "2026-11-01T09:00:00Z"),
        ],
        vec![link("xl", "a/copy", "2026-11-04", "2026-11-02T09:00:00Z")],
        vec![link("xl", "a/copy", "2026-11-06", "2026-11-03T09:00:00Z")],
        vec![link("xl", "a/copy", "2026-11-04", "2026-11-04T09:00:00Z")],
    ];
    for put_links in batches {
        store
            .commit(Batch {
                put_links,
                ..Default::default()
            })
            .unwrap();
    }
    let dues: Vec<String> = store
        .all_planned_history()
        .unwrap()
        .iter()
        .map(|p| p.due.unwrap().to_string())
        .collect();
    assert_eq!(dues, ["2026-11-04", "2026-11-06", "2026-11-04"]);
}

pub fn metric_values_and_snoozes_survive_reopening<B: Backend>(b: &B) {
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    {
        let mut store = b.open();
        for (value, when, note) in [
            (31.5, "2027-03-18T09:00:00Z", None),
            (12.0, "2027-03-11T09:00:00Z", Some("first count")),
        ] {
            let v = MetricValue {
                metric: "active".into(),
                value,
                at: at(when),
                note: note.map(Into::into),
            };
            store.record_metric(&v, at("2027-03-20T10:00:00Z")).unwrap();
        }
        let s = |until: &str| Snooze {
            id: "late-stage/launch/approval".into(),
            until: until.parse().unwrap(),
            at: at("2027-03-20T10:00:00Z"),
        };
        store.snooze(&s("2027-04-01")).unwrap();
        store.snooze(&s("2027-04-15")).unwrap();
    }
    let mut store = b.open_read_only();
    let values: Vec<(f64, Option<String>)> = store
        .all_metric_values()
        .unwrap()
        .into_iter()
        .map(|v| (v.value, v.note))
        .collect();
    // Oldest measurement first, whatever order they were recorded in.
    assert_eq!(values, [(12.0, Some("first count".into())), (31.5, None)]);
    let snoozes = store.all_snoozes().unwrap();
    assert_eq!(snoozes.len(), 1);
    assert_eq!(snoozes[0].until.to_string(), "2027-04-15");
    // Read only: nothing can be written.
    let err = store.snooze(&snoozes[0]).unwrap_err();
    assert!(err.to_string().contains("read"), "{err}");
}

pub fn notices_secrets_and_calendar_tokens_are_kept<B: Backend>(b: &B) {
    let token = |c: char| c.to_string().repeat(40);
    {
        let mut store = b.open();
        assert!(!store.notice_sent("digest/launch/2026-06-01/dana").unwrap());
        store
            .record_notice("digest/launch/2026-06-01/dana", t(1))
            .unwrap();
        store
            .record_notice("digest/launch/2026-06-01/dana", t(2))
            .unwrap();
        store.set_hook_secret("studio", "first", t(1)).unwrap();
        store.set_hook_secret("studio", "second", t(2)).unwrap();
        store
            .set_calendar_token("noa@example.com", &token('a'), t(1))
            .unwrap();
        store
            .set_calendar_token("dana@example.com", &token('b'), t(1))
            .unwrap();
        // Revoking replaces the token.
        store
            .set_calendar_token("noa@example.com", &token('c'), t(2))
            .unwrap();
        // A token is never shared by two people.
        assert!(
            store
                .set_calendar_token("eli@example.com", &token('b'), t(3))
                .is_err()
        );
    }
    let store = b.open_read_only();
    assert!(store.notice_sent("digest/launch/2026-06-01/dana").unwrap());
    assert!(!store.notice_sent("digest/launch/2026-06-02/dana").unwrap());
    assert_eq!(
        store.hook_secret("studio").unwrap().as_deref(),
        Some("second")
    );
    assert_eq!(store.hook_secret("board").unwrap(), None);
    assert_eq!(
        store.calendar_tokens().unwrap(),
        vec![
            ("dana@example.com".to_string(), token('b')),
            ("noa@example.com".to_string(), token('c')),
        ]
    );
}

pub fn forget_target_forgets_links_intents_and_cursor_only<B: Backend>(b: &B) {
    let mut store = b.open();
    store.commit(full_batch()).unwrap();
    let forgotten = store.forget_target("studio").unwrap();
    assert_eq!(
        (forgotten.tasks, forgotten.entries, forgotten.intents),
        (1, 1, 1)
    );
    assert!(forgotten.cursor);
    assert_eq!(store.links("studio").unwrap(), vec![]);
    assert_eq!(store.intents("studio").unwrap(), vec![]);
    assert_eq!(store.cursor("studio").unwrap(), None);
    // The other target, the statuses, their history and the events stay.
    assert_eq!(store.links("writers").unwrap().len(), 1);
    assert_eq!(store.statuses().unwrap().len(), 2);
    assert_eq!(store.events(None).unwrap().len(), 4);
    assert_eq!(store.forget_target("studio").unwrap(), Default::default());
}

pub fn dashboard_actions_are_kept_with_what_they_write<B: Backend>(b: &B) {
    use throughline::state::Action;
    let action = |kind: &str, minutes: i64| Action {
        action: kind.into(),
        who: "dana".into(),
        subject: "spring-launch/draft".into(),
        detail: "kept studio's done".into(),
        at: t(minutes),
    };
    let settled = status("spring-launch/draft", State::Done, Some("studio"), 10);
    let snooze = Snooze {
        id: "late-stage/launch/draft".into(),
        until: "2026-07-01".parse().unwrap(),
        at: t(20),
    };
    {
        let mut store = b.open();
        store
            .record_action(&action("settle", 10), std::slice::from_ref(&settled), None)
            .unwrap();
        store
            .record_action(&action("snooze", 20), &[], Some(&snooze))
            .unwrap();
    }
    let mut store = b.open_read_only();
    assert_eq!(store.statuses().unwrap(), vec![settled]);
    assert_eq!(store.all_snoozes().unwrap(), vec![snooze]);
    let kinds: Vec<String> = store
        .actions(None)
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(kinds, ["settle", "snooze"]);
    assert_eq!(store.actions(Some(t(15))).unwrap().len(), 1);
    // A read-only store refuses, and keeps nothing.
    assert!(
        store
            .record_action(&action("sync_now", 30), &[], None)
            .is_err()
    );
    assert_eq!(store.actions(None).unwrap().len(), 2);
}
