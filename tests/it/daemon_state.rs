//! What the daemon keeps in the state store: the notices it sent (never twice) and the
//! webhook secrets tools handed over; the same in memory and in SQLite, across reopening, and
//! after upgrading a state file written before these existed.

use jiff::Timestamp;
use rusqlite::Connection;
use throughline::state::{MemoryStore, SqliteStore, StateError, StateStore};

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn notices_and_secrets(store: &mut dyn StateStore) {
    let key = "digest/content/2026-12-10/dana@example.com/email";
    assert!(!store.notice_sent(key).unwrap());
    store.record_notice(key, t(1)).unwrap();
    assert!(store.notice_sent(key).unwrap());
    // Recording again is harmless.
    store.record_notice(key, t(2)).unwrap();
    assert!(store.notice_sent(key).unwrap());
    assert!(
        !store
            .notice_sent("digest/content/2026-12-10/dana@example.com/webhook")
            .unwrap()
    );
    // Hebrew in keys and secrets.
    store
        .record_notice("digest/השקה/2026-12-10/מיכל@example.com/email", t(3))
        .unwrap();
    assert!(
        store
            .notice_sent("digest/השקה/2026-12-10/מיכל@example.com/email")
            .unwrap()
    );

    assert_eq!(store.hook_secret("tasks").unwrap(), None);
    store
        .set_hook_secret("tasks", "first-secret", t(4))
        .unwrap();
    store.set_hook_secret("other", "another", t(4)).unwrap();
    store
        .set_hook_secret("tasks", "second-secret", t(5))
        .unwrap();
    assert_eq!(
        store.hook_secret("tasks").unwrap().as_deref(),
        Some("second-secret")
    );
    assert_eq!(
        store.hook_secret("other").unwrap().as_deref(),
        Some("another")
    );
}

#[test]
fn in_memory() {
    notices_and_secrets(&mut MemoryStore::new());
}

#[test]
fn in_sqlite_and_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("throughline.db");
    notices_and_secrets(&mut SqliteStore::open(&path).unwrap());
    let store = SqliteStore::open(&path).unwrap();
    assert!(
        store
            .notice_sent("digest/content/2026-12-10/dana@example.com/email")
            .unwrap()
    );
    assert_eq!(
        store.hook_secret("tasks").unwrap().as_deref(),
        Some("second-secret")
    );
    drop(store);
    // Read-only (plan, status): reads work, writes are refused.
    let mut ro = SqliteStore::open_read_only(&path).unwrap();
    assert!(
        ro.notice_sent("digest/השקה/2026-12-10/מיכל@example.com/email")
            .unwrap()
    );
    assert!(matches!(
        ro.record_notice("x", t(9)),
        Err(StateError::Sql { .. })
    ));
    assert!(matches!(
        ro.set_hook_secret("x", "y", t(9)),
        Err(StateError::Sql { .. })
    ));
}

#[test]
fn a_state_file_from_before_is_upgraded_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("throughline.db");
    // A state file as the first schema left it, with a link in it.
    {
        let mut store = SqliteStore::open(&path).unwrap();
        store
            .commit(throughline::state::Batch {
                put_links: vec![throughline::state::Link {
                    target: "studio".into(),
                    identity: "spring-sale/copy".into(),
                    parent: None,
                    remote_id: "card-1".into(),
                    pushed: None,
                    pulled: None,
                    remote_version: None,
                    archived: false,
                    updated_at: t(0),
                    pulled_reason: None,
                }],
                ..Default::default()
            })
            .unwrap();
    }
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE notices; DROP TABLE hook_secrets; DROP TABLE calendar_tokens; DROP TABLE metric_values; DROP TABLE snoozes; DROP TABLE planned_history; DROP TABLE handoffs; DROP TABLE actions; PRAGMA user_version = 1;")
        .unwrap();
    drop(conn);

    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.links("studio").unwrap().len(), 1);
    store
        .record_notice("summary/2026-12-10/email", t(1))
        .unwrap();
    assert!(store.notice_sent("summary/2026-12-10/email").unwrap());
    drop(store);
    let version: i64 = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 8);
}
