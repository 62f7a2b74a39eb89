//! The PostgreSQL state store against a real server (`postgres_server.rs`): the shared store
//! suite, the schema kept in step with SQLite's, the single writer (the lease) and its fence.

use std::collections::BTreeMap;
use std::time::Duration;

use throughline::state::postgres::lease::{Lease, Taken};
use throughline::state::{Batch, Fence, PostgresStore, SqliteStore, StateError, StateStore};

use crate::postgres_server::{connect, database};
use crate::store_conformance::{Backend, full_batch, task_link};

/// A database of its own on the test server.
pub struct PostgresDatabase {
    pub url: String,
}

impl PostgresDatabase {
    pub fn new() -> Option<PostgresDatabase> {
        database().map(|url| PostgresDatabase { url })
    }
}

impl Backend for PostgresDatabase {
    fn open(&self) -> Box<dyn StateStore> {
        Box::new(PostgresStore::open(&self.url).unwrap())
    }

    fn open_read_only(&self) -> Box<dyn StateStore> {
        Box::new(PostgresStore::open_read_only(&self.url).unwrap())
    }
}

store_conformance!(PostgresDatabase::new());

/// Table → its columns (name, NOT NULL), sorted: what both stores must agree on.
type Schema = BTreeMap<String, Vec<(String, bool)>>;

fn sqlite_schema(path: &std::path::Path) -> (i64, Schema) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let mut columns: Vec<(String, bool)> = conn
            .prepare(&format!(
                "SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')"
            ))
            .unwrap()
            .query_map([], |r| {
                // A primary key column is NOT NULL in PostgreSQL whatever it says.
                Ok((r.get(0)?, r.get::<_, bool>(1)? || r.get::<_, i64>(2)? > 0))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        columns.sort();
        schema.insert(table, columns);
    }
    (version, schema)
}

fn postgres_schema(url: &str) -> (i64, Schema) {
    let mut client = connect(url);
    let version: i32 = client
        .query_one("SELECT version FROM throughline_schema", &[])
        .unwrap()
        .get(0);
    let mut schema = Schema::new();
    for row in client
        .query(
            "SELECT table_name::text, column_name::text, is_nullable = 'NO'
             FROM information_schema.columns
             WHERE table_schema = current_schema()
               AND table_name NOT IN ('throughline_schema', 'throughline_lease')",
            &[],
        )
        .unwrap()
    {
        let columns = schema.entry(row.get(0)).or_default();
        columns.push((row.get(1), row.get(2)));
        columns.sort();
    }
    (i64::from(version), schema)
}

#[test]
fn both_stores_reach_the_same_version_and_the_same_tables_and_columns() {
    let Some(db) = PostgresDatabase::new() else {
        return;
    };
    drop(PostgresStore::open(&db.url).unwrap());
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("throughline.db");
    drop(SqliteStore::open(&path).unwrap());

    let (sqlite_version, sqlite) = sqlite_schema(&path);
    let (postgres_version, postgres) = postgres_schema(&db.url);
    assert_eq!(postgres_version, sqlite_version);
    assert_eq!(
        postgres, sqlite,
        "the PostgreSQL schema differs from SQLite's: mirror the newest step of \
         src/state/sqlite/migrations.rs in src/state/postgres/migrations.rs"
    );
    assert!(sqlite.contains_key("links") && sqlite.contains_key("handoffs"));
}

#[test]
fn a_second_writer_is_refused_until_the_first_is_dropped() {
    let Some(db) = PostgresDatabase::new() else {
        return;
    };
    let first = PostgresStore::open(&db.url).unwrap();
    let err = PostgresStore::open(&db.url).unwrap_err();
    assert!(matches!(err, StateError::Locked { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("in use by another throughline process"),
        "{message}"
    );
    assert!(message.contains("the lease held by command"), "{message}");
    // Readers need no lease.
    PostgresStore::open_read_only(&db.url).unwrap();
    drop(first);
    PostgresStore::open(&db.url).unwrap();
}

#[test]
fn a_write_with_a_stale_epoch_is_refused_and_leaves_nothing() {
    let Some(db) = PostgresDatabase::new() else {
        return;
    };
    let period = Duration::from_millis(300);
    let old = Fence::new("replica-a", period);
    let mut store = PostgresStore::connect(&db.url, old.clone()).unwrap();
    // Without a lease (a standby) nothing is written.
    let err = store.commit(full_batch()).unwrap_err();
    assert!(matches!(err, StateError::Stale { epoch: 0, .. }), "{err:?}");

    let mut a = Lease::connect(&db.url, "replica-a", period).unwrap();
    let Taken::Epoch(epoch) = a.try_take().unwrap() else {
        panic!("a free lease is taken")
    };
    old.set(epoch);
    store.commit(full_batch()).unwrap();

    // Replica a pauses past its lease; replica b takes over.
    let mut b = Lease::connect(&db.url, "replica-b", period).unwrap();
    assert_eq!(b.try_take().unwrap(), Taken::HeldBy("replica-a".into()));
    std::thread::sleep(period * 2);
    let Taken::Epoch(newer) = b.try_take().unwrap() else {
        panic!("a lease that ran out is taken over")
    };
    assert_eq!(newer, epoch + 1);

    // a wakes up and writes under its old epoch: refused, nothing of the batch kept.
    let before = store.links("studio").unwrap();
    let mut late = task_link("studio", "autumn/draft", "card-late");
    late.remote_version = Some("late".into());
    let err = store
        .commit(Batch {
            put_links: vec![late],
            ..Batch::default()
        })
        .unwrap_err();
    assert!(matches!(err, StateError::Stale { .. }), "{err:?}");
    assert!(
        err.to_string().contains("another replica took over"),
        "{err}"
    );
    assert_eq!(store.links("studio").unwrap(), before);
    assert!(!a.renew(epoch).unwrap(), "the old holder cannot renew");
    assert!(
        store
            .record_notice("late", crate::store_conformance::t(1))
            .is_err()
    );

    // b writes under the new epoch.
    let mut store_b = PostgresStore::connect(&db.url, Fence::new("replica-b", period)).unwrap();
    store_b.fence().unwrap().set(newer);
    store_b
        .record_notice("on time", crate::store_conformance::t(1))
        .unwrap();
    assert!(b.renew(newer).unwrap());
}

#[test]
fn a_lost_connection_is_made_again() {
    let Some(db) = PostgresDatabase::new() else {
        return;
    };
    let mut store = PostgresStore::open(&db.url).unwrap();
    store.commit(full_batch()).unwrap();
    // The server drops every other connection to this database (as a restart would).
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    connect(&db.url)
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&name],
        )
        .unwrap();
    // The first call after it may fail (the connection it used is gone); the next reconnects.
    let _ = store.links("studio");
    assert_eq!(store.links("studio").unwrap().len(), 2);
    store.commit(full_batch()).unwrap();
}

#[test]
fn another_programs_database_is_left_alone() {
    let Some(db) = PostgresDatabase::new() else {
        return;
    };
    connect(&db.url)
        .batch_execute("CREATE TABLE links (id INTEGER)")
        .unwrap();
    let err = PostgresStore::open(&db.url).unwrap_err();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("another program"), "{err}");
}

#[test]
fn a_password_never_shows_in_messages() {
    let url = "postgres://dana:hunter2@127.0.0.1:1/nowhere?connect_timeout=2";
    let err = PostgresStore::open(url).unwrap_err().to_string();
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.contains("postgres://dana@127.0.0.1:1/nowhere"), "{err}");
    assert!(err.contains("check that the server runs"), "{err}");
}
