//! The SQLite state store, through its public interface and against real files.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use jiff::Timestamp;
use rusqlite::Connection;
use tempfile::TempDir;
use throughline::state::{
    Batch, Event, EventKind, Intent, Link, SqliteStore, StateError, StateStore, StatusRecord,
};
use throughline_connector::State;

fn at(seconds: i64, nanos: i32) -> Timestamp {
    Timestamp::new(seconds, nanos).unwrap()
}

/// 2026-06-01T09:00:00Z, plus `minutes`.
fn t(minutes: i64) -> Timestamp {
    at(1_780_304_400 + minutes * 60, 0)
}

fn db(dir: &TempDir) -> PathBuf {
    dir.path().join("throughline.db")
}

fn task_link(target: &str, identity: &str, remote_id: &str) -> Link {
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

fn entry_link(target: &str, parent: &str, key: &str, remote_id: &str) -> Link {
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

fn status(identity: &str, state: State, source: Option<&str>, minutes: i64) -> StatusRecord {
    StatusRecord {
        identity: identity.into(),
        state,
        source_target: source.map(Into::into),
        source_person: source.map(|_| "dana@example.com".into()),
        at: t(minutes),
        reason: None,
    }
}

fn event(kind: EventKind, minutes: i64, detail: &str) -> Event {
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
fn full_batch() -> Batch {
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

#[test]
fn every_type_round_trips() {
    let dir = TempDir::new().unwrap();
    let mut store = SqliteStore::open(&db(&dir)).unwrap();
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

#[test]
fn later_batches_update_clear_and_forget() {
    let dir = TempDir::new().unwrap();
    let mut store = SqliteStore::open(&db(&dir)).unwrap();
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

#[test]
fn the_last_recorded_status_is_current_and_history_keeps_the_order() {
    let dir = TempDir::new().unwrap();
    let mut store = SqliteStore::open(&db(&dir)).unwrap();
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

#[test]
fn hebrew_identities_and_text_round_trip() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("מצב").join("throughline.db");
    let task = "השקת-אביב/טיוטה";
    let entry = format!("{task}/כותרת");
    {
        let mut store = SqliteStore::open(&path).unwrap();
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
    let store = SqliteStore::open_read_only(&path).unwrap();
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

#[test]
fn reopening_after_drop_keeps_everything() {
    let dir = TempDir::new().unwrap();
    let batch = full_batch();
    {
        let mut store = SqliteStore::open(&db(&dir)).unwrap();
        store.commit(batch.clone()).unwrap();
    }
    let store = SqliteStore::open(&db(&dir)).unwrap();
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
fn snapshot(store: &SqliteStore) -> String {
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
fn failing_batch(bad: Link) -> Batch {
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

#[test]
fn a_batch_that_fails_midway_leaves_nothing() {
    let dir = TempDir::new().unwrap();
    let mut store = SqliteStore::open(&db(&dir)).unwrap();
    store.commit(full_batch()).unwrap();
    let before = snapshot(&store);

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
    assert_eq!(snapshot(&store), before);

    // An entry whose task has no link in that target.
    let orphan = entry_link("writers", "autumn/publish", "links", "row-11");
    let err = store.commit(failing_batch(orphan)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("its task \"autumn/publish\" has no link"),
        "{message}"
    );
    assert_eq!(snapshot(&store), before);

    // A time the file cannot hold, in the last table written.
    let mut batch = failing_batch(task_link("studio", "autumn/publish", "card-11"));
    batch.events.push(Event {
        at: Timestamp::MAX,
        ..event(EventKind::Drift, 0, "far future")
    });
    let err = store.commit(batch).unwrap_err();
    assert!(err.to_string().contains("years 1677 to 2262"), "{err}");
    assert_eq!(snapshot(&store), before);

    // Nothing of it reached the file either.
    drop(store);
    assert_eq!(snapshot(&SqliteStore::open(&db(&dir)).unwrap()), before);
}

#[test]
fn a_large_batch_commits_and_reads_back() {
    let dir = TempDir::new().unwrap();
    let mut store = SqliteStore::open(&db(&dir)).unwrap();
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

#[test]
fn a_second_open_is_locked_until_the_first_is_dropped() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let lock = SqliteStore::lock_path(&path);
    assert_eq!(lock, dir.path().join("throughline.db.lock"));

    let first = SqliteStore::open(&path).unwrap();
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap().trim(),
        std::process::id().to_string()
    );
    let err = SqliteStore::open(&path).unwrap_err();
    match &err {
        StateError::Locked {
            path: p,
            lock: l,
            pid,
        } => {
            assert_eq!(p, &path.display().to_string());
            assert_eq!(l, &lock.display().to_string());
            assert_eq!(*pid, Some(std::process::id()));
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&lock.display().to_string()), "{message}");
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );

    drop(first);
    SqliteStore::open(&path).unwrap();
}

const HOLDING: &str = "lock-holder: holding the lock";

/// Not a test by itself: the other process of `the_lock_holds_across_processes_and_dies_with_its_holder`.
#[test]
#[ignore = "run by another test as a child process"]
fn lock_holder() {
    let path = std::env::var_os("THROUGHLINE_TEST_HOLD").expect("run by another test");
    let _store = SqliteStore::open(Path::new(&path)).unwrap();
    // On its own line: libtest has already printed "test lock_holder ... " on this one.
    println!("\n{HOLDING}");
    std::io::stdout().flush().unwrap();
    // Hold until the parent closes our stdin (or kills us).
    let _ = std::io::stdin().lines().count();
}

fn spawn_holder(path: &Path) -> std::process::Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "state_sqlite::lock_holder",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("THROUGHLINE_TEST_HOLD", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in stdout.by_ref() {
        if line.unwrap().trim() == HOLDING {
            // Keep draining, so the child's last words do not hit a closed pipe.
            std::thread::spawn(move || stdout.for_each(drop));
            return child;
        }
    }
    let status = child.wait().unwrap();
    panic!("the lock holder exited ({status}) before taking the lock");
}

#[test]
fn the_lock_holds_across_processes_and_dies_with_its_holder() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);

    // A holder that finishes normally.
    let mut child = spawn_holder(&path);
    match SqliteStore::open(&path).unwrap_err() {
        StateError::Locked { pid, .. } => assert_eq!(pid, Some(child.id())),
        other => panic!("expected Locked, got {other:?}"),
    }
    // Readers are not blocked by a sync.
    SqliteStore::open_read_only(&path)
        .unwrap()
        .links("studio")
        .unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    drop(SqliteStore::open(&path).unwrap());

    // A holder killed outright leaves its pid in the lock file, but no OS lock.
    let mut child = spawn_holder(&path);
    let dead = child.id();
    assert!(SqliteStore::open(&path).is_err());
    child.kill().unwrap();
    child.wait().unwrap();
    let lock = SqliteStore::lock_path(&path);
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap().trim(),
        dead.to_string()
    );
    let _store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap().trim(),
        std::process::id().to_string()
    );
}

#[test]
fn a_stale_lock_file_does_not_block() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    std::fs::write(SqliteStore::lock_path(&path), "999999\n").unwrap();
    SqliteStore::open(&path).unwrap();
}

#[test]
fn read_only_sees_committed_batches_and_cannot_write() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let mut writer = SqliteStore::open(&path).unwrap();
    let mut reader = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(reader.links("studio").unwrap(), vec![]);

    writer.commit(full_batch()).unwrap();
    assert_eq!(reader.links("studio").unwrap().len(), 2);
    assert_eq!(reader.events(None).unwrap(), full_batch().events);

    let err = reader.commit(full_batch()).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");

    // After the writer closes (SQLite then removes its -wal and -shm files), reading still works.
    drop(writer);
    let reader = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(reader.links("studio").unwrap().len(), 2);
}

#[test]
fn read_only_of_a_missing_file_is_empty_and_creates_nothing() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let mut store = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(store.links("studio").unwrap(), vec![]);
    assert_eq!(store.statuses().unwrap(), vec![]);
    assert_eq!(store.events(None).unwrap(), vec![]);
    assert_eq!(store.cursor("studio").unwrap(), None);
    assert!(store.commit(full_batch()).is_err());
    assert!(!path.exists());
    assert!(!SqliteStore::lock_path(&path).exists());
}

fn assert_corrupt(path: &Path, err: StateError, reason: &str) {
    match &err {
        StateError::Corrupt { path: p, message } => {
            assert_eq!(p, &path.display().to_string());
            assert!(message.contains(reason), "{message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("move it away to start fresh"), "{message}");
}

#[test]
fn a_file_that_is_not_sqlite_is_corrupt_and_left_alone() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let content = "id,title\n1,Spring launch\n";
    std::fs::write(&path, content).unwrap();
    assert_corrupt(
        &path,
        SqliteStore::open(&path).unwrap_err(),
        "not an SQLite database",
    );
    assert_corrupt(
        &path,
        SqliteStore::open_read_only(&path).unwrap_err(),
        "not an SQLite database",
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), content);

    // The right header over garbage: SQLite itself finds it is not a database.
    let mut damaged = b"SQLite format 3\0".to_vec();
    damaged.extend([0xA5; 4096]);
    std::fs::write(&path, &damaged).unwrap();
    assert!(matches!(
        SqliteStore::open(&path).unwrap_err(),
        StateError::Corrupt { .. }
    ));
    assert_eq!(std::fs::read(&path).unwrap(), damaged);
}

#[test]
fn another_programs_sqlite_file_is_corrupt_and_left_alone() {
    let dir = TempDir::new().unwrap();

    let plain = dir.path().join("notes.db");
    let conn = Connection::open(&plain).unwrap();
    conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');")
        .unwrap();
    drop(conn);
    assert_corrupt(
        &plain,
        SqliteStore::open(&plain).unwrap_err(),
        "another program",
    );
    assert_corrupt(
        &plain,
        SqliteStore::open_read_only(&plain).unwrap_err(),
        "another program",
    );

    let marked = dir.path().join("other.db");
    let conn = Connection::open(&marked).unwrap();
    conn.pragma_update(None, "application_id", 0x0F0F_0F0F)
        .unwrap();
    drop(conn);
    assert_corrupt(
        &marked,
        SqliteStore::open(&marked).unwrap_err(),
        "0x0f0f0f0f",
    );

    // Still theirs, unchanged: no throughline tables, not switched to WAL.
    let conn = Connection::open(&plain).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1);
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
}

#[test]
fn a_newer_schema_is_too_new() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    drop(SqliteStore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let known: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert!(known >= 1);
    conn.pragma_update(None, "user_version", known + 1).unwrap();
    drop(conn);

    for err in [
        SqliteStore::open(&path).unwrap_err(),
        SqliteStore::open_read_only(&path).unwrap_err(),
    ] {
        match &err {
            StateError::TooNew {
                found, known: k, ..
            } => {
                assert_eq!((*found, *k), (known + 1, known));
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
        assert!(err.to_string().contains("upgrade throughline"), "{err}");
    }
}

#[test]
fn the_file_is_marked_versioned_and_in_wal_mode() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    drop(SqliteStore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(app.to_be_bytes(), *b"THLN");
    assert_eq!(version, 7);
    assert_eq!(mode, "wal");
    // Opening again does not migrate twice.
    drop(conn);
    drop(SqliteStore::open(&path).unwrap());
}

fn assert_open_error(path: &Path, err: StateError, reason: &str) {
    match &err {
        StateError::Open { path: p, message } => {
            assert_eq!(p, &path.display().to_string());
            assert!(message.contains(reason), "{message}");
        }
        other => panic!("expected Open, got {other:?}"),
    }
}

#[test]
fn a_folder_that_is_a_file_or_a_file_that_is_a_folder_is_an_open_error() {
    let dir = TempDir::new().unwrap();
    let not_a_folder = dir.path().join("plain-file");
    std::fs::write(&not_a_folder, "x").unwrap();
    let path = not_a_folder.join("throughline.db");
    assert_open_error(
        &path,
        SqliteStore::open(&path).unwrap_err(),
        "Not a directory",
    );

    let folder = dir.path().join("state");
    std::fs::create_dir(&folder).unwrap();
    assert_open_error(
        &folder,
        SqliteStore::open(&folder).unwrap_err(),
        "Is a directory",
    );
}

#[cfg(unix)]
#[test]
fn an_unwritable_folder_is_an_open_error() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new().unwrap();
    let folder = dir.path().join("locked-down");
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root (or CAP_DAC_OVERRIDE) writes anyway, so the check cannot be made: say so.
    let probe = folder.join("probe");
    if std::fs::write(&probe, "").is_ok() {
        eprintln!(
            "SKIPPED an_unwritable_folder_is_an_open_error: this user ignores file permissions (root?)"
        );
        std::fs::remove_file(&probe).unwrap();
        return;
    }
    let path = folder.join("throughline.db");
    let err = SqliteStore::open(&path).unwrap_err();
    assert_open_error(&path, err, "Permission denied");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();

    // A state file that may be read but not written: sync refuses, plan and status still read.
    drop(SqliteStore::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    assert_open_error(
        &path,
        SqliteStore::open(&path).unwrap_err(),
        "Permission denied",
    );
    assert_eq!(
        SqliteStore::open_read_only(&path)
            .unwrap()
            .links("studio")
            .unwrap(),
        vec![]
    );
}

#[test]
fn a_handoff_is_kept_once_and_its_sending_survives_a_reopen() {
    use throughline::state::Handoff;
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let ready = |owner: &str| Handoff {
        identity: "spring-sale/publish".into(),
        owner: owner.into(),
        ready_at: t(1),
        sent_at: None,
    };
    let mut memory = throughline::state::MemoryStore::new();
    {
        let mut store = SqliteStore::open(&path).unwrap();
        for s in [&mut store as &mut dyn StateStore, &mut memory] {
            assert!(s.add_handoff(&ready("dana@example.com")).unwrap());
            // Never twice, whoever it would go to now.
            assert!(!s.add_handoff(&ready("noa@example.com")).unwrap());
            s.handoff_sent("spring-sale/publish", t(2)).unwrap();
            // The first sending is kept.
            s.handoff_sent("spring-sale/publish", t(3)).unwrap();
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    let want = vec![Handoff {
        sent_at: Some(t(2)),
        ..ready("dana@example.com")
    }];
    assert_eq!(store.handoffs().unwrap(), want);
    assert_eq!(memory.handoffs().unwrap(), want);
}
