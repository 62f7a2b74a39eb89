//! The embedded state store: one SQLite file (`state = "throughline.db"`).
//!
//! Choices, and why:
//! - **WAL journal**, so `plan` and `status` read while a `sync` writes.
//! - **`synchronous = FULL`**: a commit is on disk before the cycle goes on, so an intent
//!   written before a create, or a status pulled from a tool, survives a power cut and not just
//!   a crash of the process (`NORMAL` in WAL mode may lose the last commits then). A cycle
//!   commits a few large batches, so the one extra fsync per commit costs little.
//! - **Timestamps are integer nanoseconds since the Unix epoch (UTC)**: exact for
//!   [`Timestamp`], ordered correctly by plain comparison and indexes (RFC 3339 text with a
//!   varying number of fraction digits is not), cheap to convert. They cover the years 1677 to
//!   2262; anything outside is refused when written.
//! - **Recognisable**: the file carries an `application_id`, so a stranger's SQLite file is
//!   reported as such instead of being written into; `user_version` is the schema version and
//!   the steps in `MIGRATIONS` are applied in order, each once.
//! - **One writer**: [`SqliteStore::open`] holds `<file>.lock` (see `lock.rs`);
//!   [`SqliteStore::open_read_only`] takes no lock.
//! - Links of checklist entries reference their task's link in the same target (a foreign key),
//!   so an entry can never be recorded without the task that holds it.

use std::fmt::Display;
use std::fs::OpenOptions;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Row, ToSql, TransactionBehavior, params,
};
use throughline_connector::{Identity, State};

mod actions;
mod insight;
mod migrations;
mod write;
pub use insight::{MetricValue, PlannedDates, Snooze};
use migrations::MIGRATIONS;

use super::lock::{StateLock, lock_path};
use super::{
    Batch, Event, EventKind, Forgotten, Handoff, Intent, Link, StateError, StateStore, StatusRecord,
};

/// "THLN": marks a SQLite file as throughline's.
const APPLICATION_ID: i32 = 0x5448_4C4E;

/// How long a statement waits for another connection's lock (a reader checkpointing, a
/// read-only open racing the writer) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema version this build reads and writes.
const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The SQLite [`StateStore`]. A writable store holds the single-writer lock until dropped.
#[derive(Debug)]
pub struct SqliteStore {
    // Declared before `lock`: the connection closes (and checkpoints) while the lock is held.
    conn: Connection,
    path: PathBuf,
    /// `None` for a read-only store.
    lock: Option<StateLock>,
}

impl SqliteStore {
    /// Opens the state file for a sync, creating it (and its folder) if missing, and takes the
    /// single-writer lock `<path>.lock` until the store is dropped.
    pub fn open(path: &Path) -> Result<SqliteStore, StateError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
            && !dir.exists()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                open_error(
                    path,
                    format!("cannot create its folder {}: {e}", dir.display()),
                )
            })?;
        }
        // SQLite reduces every failure here to "unable to open database file"; opening the file
        // ourselves first gives the OS reason (permission denied, read-only file system, ...).
        // It is created private: it holds webhook secrets, and SQLite gives its `-wal` and
        // `-shm` files the same mode as the database file.
        private_file(OpenOptions::new().read(true).write(true).truncate(false))
            .open(path)
            .map_err(|e| open_error(path, e))?;
        warn_if_shared(path);
        check_header(path)?;
        let lock = StateLock::acquire(path)?;

        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql(path, "setting the busy timeout"))?;
        // Before anything writes: never touch a stranger's file.
        let version = check_owner(&conn, path)?;

        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(sql(path, "switching to WAL"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                path = %path.display(),
                mode,
                "the state file cannot use WAL here; `plan` and `status` will wait while a sync writes"
            );
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql(path, "setting synchronous"))?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(sql(path, "enabling foreign keys"))?;
        migrate(&mut conn, path, version)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(SqliteStore {
            conn,
            path: path.to_owned(),
            lock: Some(lock),
        })
    }

    /// Opens the state file for reading only (`plan`, `status`): no lock, so it works while a
    /// sync runs, and it sees the batches that sync has committed. A missing or empty file reads
    /// as an empty state (nothing synced yet) and is not created. [`StateStore::commit`] fails.
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StateError> {
        match std::fs::metadata(path) {
            Ok(meta) if meta.len() > 0 => {}
            Ok(_) => return SqliteStore::empty(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return SqliteStore::empty(path),
            Err(e) => return Err(open_error(path, e)),
        }
        check_header(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql(path, "setting the busy timeout"))?;
        match check_owner(&conn, path)? {
            0 => return SqliteStore::empty(path),
            SCHEMA_VERSION => {}
            older => {
                return Err(StateError::Open {
                    path: path.display().to_string(),
                    message: format!(
                        "it uses an older layout (schema {older}); run `throughline sync` once \
                         to upgrade it"
                    ),
                });
            }
        }
        conn.set_prepared_statement_cache_capacity(32);
        Ok(SqliteStore {
            conn,
            path: path.to_owned(),
            lock: None,
        })
    }

    /// The state of a deployment that has never synced: an in-memory store with the schema.
    fn empty(path: &Path) -> Result<SqliteStore, StateError> {
        let mut conn = Connection::open_in_memory().map_err(|e| open_error(path, e))?;
        migrate(&mut conn, path, 0)?;
        Ok(SqliteStore {
            conn,
            path: path.to_owned(),
            lock: None,
        })
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The single-writer lock file of the state file at `path`.
    pub fn lock_path(path: &Path) -> PathBuf {
        lock_path(path)
    }

    fn read_only_error(&self) -> StateError {
        StateError::Sql {
            path: self.path.display().to_string(),
            message: "this store was opened read-only (for plan or status) and cannot record \
                      anything; this is a bug in throughline, please report it"
                .to_owned(),
        }
    }

    fn query<T>(
        &self,
        what: &str,
        sql_text: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StateError> {
        let run = || -> rusqlite::Result<Vec<T>> {
            let mut stmt = self.conn.prepare_cached(sql_text)?;
            stmt.query_map(params, map)?.collect()
        };
        run().map_err(sql(&self.path, format_args!("reading {what}")))
    }
}

impl StateStore for SqliteStore {
    fn record_action(
        &mut self,
        action: &super::Action,
        statuses: &[StatusRecord],
        snooze: Option<&super::Snooze>,
    ) -> Result<(), StateError> {
        self.record_action_in(action, statuses, snooze)
    }

    fn actions(&self, since: Option<Timestamp>) -> Result<Vec<super::Action>, StateError> {
        self.actions_since(since)
    }

    fn links(&self, target: &str) -> Result<Vec<Link>, StateError> {
        self.query(
            "links",
            "SELECT target, identity, parent, remote_id, pushed, pulled, remote_version,
                    archived, updated_at, pulled_reason
             FROM links WHERE target = ?1 ORDER BY identity",
            [target],
            |row| {
                Ok(Link {
                    target: row.get(0)?,
                    identity: row.get(1)?,
                    parent: row.get(2)?,
                    remote_id: row.get(3)?,
                    pushed: row.get(4)?,
                    pulled: row.get::<_, Option<StateCol>>(5)?.map(|s| s.0),
                    remote_version: row.get(6)?,
                    archived: row.get(7)?,
                    updated_at: row.get::<_, Nanos>(8)?.0,
                    pulled_reason: row.get(9)?,
                })
            },
        )
    }

    fn intents(&self, target: &str) -> Result<Vec<Intent>, StateError> {
        self.query(
            "intents",
            "SELECT target, identity, created_at FROM intents WHERE target = ?1 ORDER BY identity",
            [target],
            |row| {
                Ok(Intent {
                    target: row.get(0)?,
                    identity: row.get(1)?,
                    created_at: row.get::<_, Nanos>(2)?.0,
                })
            },
        )
    }

    fn statuses(&self) -> Result<Vec<StatusRecord>, StateError> {
        self.query(
            "statuses",
            "SELECT identity, state, source_target, source_person, at, reason
             FROM status ORDER BY identity",
            [],
            status_from_row,
        )
    }

    fn status_history(&self, identity: &str) -> Result<Vec<StatusRecord>, StateError> {
        self.query(
            "status history",
            "SELECT identity, state, source_target, source_person, at, reason
             FROM status_history WHERE identity = ?1 ORDER BY seq",
            [identity],
            status_from_row,
        )
    }

    /// One query instead of one per identity: the whole history in the order recorded.
    fn all_metric_values(&self) -> Result<Vec<MetricValue>, StateError> {
        self.metric_values()
    }

    fn record_metric(&mut self, value: &MetricValue, now: Timestamp) -> Result<(), StateError> {
        SqliteStore::record_metric(self, value, now)
    }

    fn all_snoozes(&self) -> Result<Vec<Snooze>, StateError> {
        self.snoozes()
    }
    fn snooze(&mut self, s: &Snooze) -> Result<(), StateError> {
        SqliteStore::snooze(self, s)
    }

    fn all_planned_history(&self) -> Result<Vec<PlannedDates>, StateError> {
        self.planned_history()
    }

    fn all_status_history(&self) -> Result<Vec<StatusRecord>, StateError> {
        self.query(
            "status history",
            "SELECT identity, state, source_target, source_person, at, reason
             FROM status_history ORDER BY seq",
            [],
            status_from_row,
        )
    }

    /// Events at or after `since` (all of them for `None`), in the order they were recorded.
    fn events(&self, since: Option<Timestamp>) -> Result<Vec<Event>, StateError> {
        macro_rules! select {
            ($where:literal) => {
                concat!(
                    "SELECT kind, target, identity, detail, resolution, person, at FROM events ",
                    $where,
                    " ORDER BY seq"
                )
            };
        }
        let map = |row: &Row<'_>| {
            Ok(Event {
                kind: row.get::<_, KindCol>(0)?.0,
                target: row.get(1)?,
                identity: row.get(2)?,
                detail: row.get(3)?,
                resolution: row.get(4)?,
                person: row.get(5)?,
                at: row.get::<_, Nanos>(6)?.0,
            })
        };
        match since {
            None => self.query("events", select!(""), [], map),
            // Clamped: a bound outside the stored range still means "all" or "none".
            Some(since) => self.query(
                "events",
                select!("WHERE at >= ?1"),
                [nanos_clamped(since)],
                map,
            ),
        }
    }

    fn cursor(&self, target: &str) -> Result<Option<serde_json::Value>, StateError> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM cursors WHERE target = ?1")
            .and_then(|mut stmt| stmt.query_row([target], |row| row.get(0)).optional())
            .map_err(sql(
                &self.path,
                format_args!("reading the cursor of target {target}"),
            ))?;
        text.map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| StateError::Corrupt {
                path: self.path.display().to_string(),
                message: format!("the cursor of target {target} is not valid JSON: {e}"),
            })
    }

    fn overrides(&self) -> Result<Vec<(Identity, String, String)>, StateError> {
        self.query(
            "overrides",
            "SELECT identity, field, value FROM overrides ORDER BY identity, field",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
    }

    fn commit(&mut self, batch: Batch) -> Result<(), StateError> {
        if self.lock.is_none() {
            return Err(self.read_only_error());
        }
        if batch.is_empty() {
            return Ok(());
        }
        let path = self.path.as_path();
        // IMMEDIATE: take the write lock up front, so the batch never fails halfway on a
        // reader's lock upgrade.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(path, "starting a transaction"))?;
        // An early return drops `tx`, which rolls everything back.
        write::write_batch(&tx, path, &batch)?;
        tx.commit().map_err(sql(path, "committing"))
    }

    fn forget_target(&mut self, target: &str) -> Result<Forgotten, StateError> {
        if self.lock.is_none() {
            return Err(self.read_only_error());
        }
        let path = self.path.as_path();
        let what = format!("forgetting the links of target {target:?}");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(path, "starting a transaction"))?;
        let run = |sql_text: &str| tx.execute(sql_text, [target]);
        // Entries before their tasks: an entry's link refers to its task's.
        let forgotten = (|| -> rusqlite::Result<Forgotten> {
            Ok(Forgotten {
                entries: run("DELETE FROM links WHERE target = ?1 AND parent IS NOT NULL")?,
                tasks: run("DELETE FROM links WHERE target = ?1")?,
                intents: run("DELETE FROM intents WHERE target = ?1")?,
                cursor: run("DELETE FROM cursors WHERE target = ?1")? > 0,
            })
        })()
        .map_err(sql(path, &what))?;
        tx.commit().map_err(sql(path, &what))?;
        Ok(forgotten)
    }

    fn notice_sent(&self, key: &str) -> Result<bool, StateError> {
        self.conn
            .prepare_cached("SELECT 1 FROM notices WHERE key = ?1")
            .and_then(|mut stmt| stmt.exists([key]))
            .map_err(sql(
                &self.path,
                format_args!("reading whether notice {key:?} was sent"),
            ))
    }

    fn record_notice(&mut self, key: &str, at: Timestamp) -> Result<(), StateError> {
        if self.lock.is_none() {
            return Err(self.read_only_error());
        }
        // One statement, so one transaction of its own; the first time sent is kept.
        self.conn
            .prepare_cached(
                "INSERT INTO notices (key, sent_at) VALUES (?1, ?2)
                 ON CONFLICT (key) DO NOTHING",
            )
            .and_then(|mut stmt| stmt.execute(params![key, Nanos(at)]))
            .map(drop)
            .map_err(sql(
                &self.path,
                format_args!("recording that notice {key:?} was sent"),
            ))
    }

    fn hook_secret(&self, target: &str) -> Result<Option<String>, StateError> {
        self.conn
            .prepare_cached("SELECT secret FROM hook_secrets WHERE target = ?1")
            .and_then(|mut stmt| stmt.query_row([target], |row| row.get(0)).optional())
            .map_err(sql(
                &self.path,
                format_args!("reading the webhook secret of target {target}"),
            ))
    }

    fn set_hook_secret(
        &mut self,
        target: &str,
        secret: &str,
        at: Timestamp,
    ) -> Result<(), StateError> {
        self.keep_keyed(
            "INSERT INTO hook_secrets (target, secret, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (target) DO UPDATE SET
                secret = excluded.secret, updated_at = excluded.updated_at",
            [target, secret],
            at,
            format_args!("keeping the webhook secret of target {target}"),
        )
    }

    fn handoffs(&self) -> Result<Vec<Handoff>, StateError> {
        self.query(
            "the handoffs",
            "SELECT identity, owner, ready_at, sent_at FROM handoffs ORDER BY ready_at, identity",
            [],
            |row| {
                Ok(Handoff {
                    identity: row.get(0)?,
                    owner: row.get(1)?,
                    ready_at: row.get::<_, Nanos>(2)?.0,
                    sent_at: row.get::<_, Option<Nanos>>(3)?.map(|n| n.0),
                })
            },
        )
    }

    fn add_handoff(&mut self, handoff: &Handoff) -> Result<bool, StateError> {
        if self.lock.is_none() {
            return Err(self.read_only_error());
        }
        let id = handoff.identity.as_str();
        self.conn
            .prepare_cached(
                "INSERT INTO handoffs (identity, owner, ready_at, sent_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (identity) DO NOTHING",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    id,
                    handoff.owner,
                    Nanos(handoff.ready_at),
                    handoff.sent_at.map(Nanos)
                ])
            })
            .map(|added| added == 1)
            .map_err(sql(
                &self.path,
                format_args!("recording the handoff of {id}"),
            ))
    }

    fn handoff_sent(&mut self, identity: &str, at: Timestamp) -> Result<(), StateError> {
        if self.lock.is_none() {
            return Err(self.read_only_error());
        }
        self.conn
            .prepare_cached(
                "UPDATE handoffs SET sent_at = ?2 WHERE identity = ?1 AND sent_at IS NULL",
            )
            .and_then(|mut stmt| stmt.execute(params![identity, Nanos(at)]))
            .map(drop)
            .map_err(sql(
                &self.path,
                format_args!("recording that the handoff of {identity} was sent"),
            ))
    }

    fn calendar_tokens(&self) -> Result<Vec<(String, String)>, StateError> {
        self.query(
            "the calendar tokens",
            "SELECT person, token FROM calendar_tokens ORDER BY person",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
    }

    fn set_calendar_token(
        &mut self,
        person: &str,
        token: &str,
        at: Timestamp,
    ) -> Result<(), StateError> {
        self.keep_keyed(
            "INSERT INTO calendar_tokens (person, token, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (person) DO UPDATE SET
                token = excluded.token, updated_at = excluded.updated_at",
            [person, token],
            at,
            format_args!("keeping the calendar token of {person}"),
        )
    }
}

impl SqliteStore {
    /// One `(key, value, updated_at)` upsert: the webhook secrets and calendar tokens.
    fn keep_keyed(
        &mut self,
        upsert: &str,
        [key, value]: [&str; 2],
        at: Timestamp,
        what: std::fmt::Arguments<'_>,
    ) -> Result<(), StateError> {
        if self.lock.is_none() {
            return Err(self.read_only_error());
        }
        self.conn
            .prepare_cached(upsert)
            .and_then(|mut stmt| stmt.execute(params![key, value, Nanos(at)]))
            .map(drop)
            .map_err(sql(&self.path, what))
    }
}

fn status_from_row(row: &Row<'_>) -> rusqlite::Result<StatusRecord> {
    Ok(StatusRecord {
        identity: row.get(0)?,
        state: row.get::<_, StateCol>(1)?.0,
        source_target: row.get(2)?,
        source_person: row.get(3)?,
        at: row.get::<_, Nanos>(4)?.0,
        reason: row.get(5)?,
    })
}

/// Refuses anything that is not an SQLite file before SQLite sees it. An empty file is a new
/// database.
fn check_header(path: &Path) -> Result<(), StateError> {
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    let mut head = Vec::with_capacity(MAGIC.len());
    std::fs::File::open(path)
        .and_then(|file| file.take(MAGIC.len() as u64).read_to_end(&mut head))
        .map_err(|e| open_error(path, e))?;
    if head.is_empty() || head == MAGIC {
        Ok(())
    } else {
        Err(corrupt(path, "it is not an SQLite database"))
    }
}

/// Checks the file is throughline's (or new) and returns its schema version.
fn check_owner(conn: &Connection, path: &Path) -> Result<i64, StateError> {
    let read = || -> rusqlite::Result<(i32, i64, bool)> {
        let app: i32 = conn.pragma_query_value(None, "application_id", |row| row.get(0))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let has_tables: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_schema)", [], |row| {
                row.get(0)
            })?;
        Ok((app, version, has_tables))
    };
    let (app, version, has_tables) = read().map_err(sql(path, "reading the file header"))?;
    match app {
        APPLICATION_ID => {}
        0 if version == 0 && !has_tables => {}
        0 => {
            return Err(corrupt(
                path,
                "it is an SQLite database of another program (it has tables but no throughline mark); \
                 if `state` in throughline.toml names the wrong file, correct it",
            ));
        }
        other => {
            return Err(corrupt(
                path,
                format!(
                    "it is an SQLite database of another program (application id {other:#010x}); \
                     if `state` in throughline.toml names the wrong file, correct it"
                ),
            ));
        }
    }
    if version > SCHEMA_VERSION {
        return Err(StateError::TooNew {
            path: path.display().to_string(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Brings the schema from `from` to [`SCHEMA_VERSION`] in one transaction.
fn migrate(conn: &mut Connection, path: &Path, from: i64) -> Result<(), StateError> {
    if from == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql(path, "starting the schema upgrade"))?;
    for (step, sql_text) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        tx.execute_batch(sql_text).map_err(sql(
            path,
            format_args!("upgrading the schema to version {}", step + 1),
        ))?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .and_then(|()| tx.pragma_update(None, "user_version", SCHEMA_VERSION))
        .and_then(|()| tx.commit())
        .map_err(sql(path, "upgrading the schema"))
}

/// `options` set to create the file readable and writable by its owner only (0600), whatever
/// the umask: the state file and its lock hold webhook secrets and who works on what.
pub(super) fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
    options.create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The umask can only take bits away from 0600, never add any.
        options.mode(0o600);
    }
    options
}

/// A state file made by an older version (or copied in) may be readable by others; it is not
/// changed behind the operator's back, but said once per open.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "the state file may be read by other accounts and holds webhook secrets; \
                 run `chmod 600` on it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn open_error(path: &Path, reason: impl Display) -> StateError {
    StateError::Open {
        path: path.display().to_string(),
        message: format!(
            "{reason}; make sure the folder exists and you may write to it, or point `state` in \
             throughline.toml elsewhere"
        ),
    }
}

fn corrupt(path: &Path, message: impl Into<String>) -> StateError {
    StateError::Corrupt {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Maps a SQLite error, naming what was being done; a damaged file is [`StateError::Corrupt`].
fn sql(path: &Path, what: impl Display) -> impl FnOnce(rusqlite::Error) -> StateError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            corrupt(path, format!("{what}: {e}"))
        }
        _ => StateError::Sql {
            path: path.display().to_string(),
            message: format!("{what}: {e}"),
        },
    }
}

fn is_foreign_key(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(err, _)
            if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
    )
}

fn nanos_clamped(at: Timestamp) -> i64 {
    let nanos = at.as_nanosecond();
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

/// A [`Timestamp`] as integer nanoseconds since the Unix epoch.
#[derive(Debug)]
struct Nanos(Timestamp);

impl ToSql for Nanos {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        i64::try_from(self.0.as_nanosecond())
            .map(ToSqlOutput::from)
            .map_err(|_| {
                rusqlite::Error::ToSqlConversionFailure(
                    format!(
                        "the time {} is outside what the state file holds (years 1677 to 2262)",
                        self.0
                    )
                    .into(),
                )
            })
    }
}

impl FromSql for Nanos {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let nanos = i64::column_result(value)?;
        Timestamp::from_nanosecond(i128::from(nanos))
            .map(Nanos)
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

#[derive(Debug)]
struct StateCol(State);

impl ToSql for StateCol {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0.as_str()))
    }
}

impl FromSql for StateCol {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value.as_str()? {
            "todo" => Ok(StateCol(State::Todo)),
            "doing" => Ok(StateCol(State::Doing)),
            "blocked" => Ok(StateCol(State::Blocked)),
            "done" => Ok(StateCol(State::Done)),
            other => Err(FromSqlError::Other(
                format!("unknown task state {other:?}").into(),
            )),
        }
    }
}

#[derive(Debug)]
struct KindCol(EventKind);

impl ToSql for KindCol {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(match self.0 {
            EventKind::Drift => "drift",
            EventKind::Conflict => "conflict",
            EventKind::SafetyStop => "safety_stop",
            EventKind::Unknown => "unknown",
        }))
    }
}

impl FromSql for KindCol {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value.as_str()? {
            "drift" => Ok(KindCol(EventKind::Drift)),
            "conflict" => Ok(KindCol(EventKind::Conflict)),
            "safety_stop" => Ok(KindCol(EventKind::SafetyStop)),
            "unknown" => Ok(KindCol(EventKind::Unknown)),
            other => Err(FromSqlError::Other(
                format!("unknown event kind {other:?}").into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: ToSql, U: FromSql>(value: T) -> rusqlite::Result<U> {
        let conn = Connection::open_in_memory()?;
        conn.query_row("SELECT ?1", [value], |row| row.get(0))
    }

    #[test]
    fn states_and_event_kinds_round_trip_and_match_serde() {
        for state in State::ALL {
            assert_eq!(round_trip::<_, StateCol>(StateCol(state)).unwrap().0, state);
            let text: String = round_trip(StateCol(state)).unwrap();
            assert_eq!(serde_json::to_value(state).unwrap(), text.as_str());
        }
        for kind in [
            EventKind::Drift,
            EventKind::Conflict,
            EventKind::SafetyStop,
            EventKind::Unknown,
        ] {
            assert_eq!(round_trip::<_, KindCol>(KindCol(kind)).unwrap().0, kind);
            let text: String = round_trip(KindCol(kind)).unwrap();
            assert_eq!(serde_json::to_value(kind).unwrap(), text.as_str());
        }
        assert!(round_trip::<_, StateCol>("finished").is_err());
        assert!(round_trip::<_, KindCol>("drama").is_err());
    }

    #[test]
    fn timestamps_keep_every_nanosecond_and_their_order() {
        let times: Vec<Timestamp> = [
            "1677-09-21T00:12:44Z",
            "1969-12-31T23:59:59.999999999Z",
            "1970-01-01T00:00:00Z",
            "2026-03-27T00:00:00.000000001+03:00",
            "2026-03-27T00:00:00.5Z",
            "2262-04-11T23:47:16.854775807Z",
        ]
        .iter()
        .map(|text| text.parse().unwrap())
        .collect();
        let mut stored = Vec::new();
        for &time in &times {
            assert_eq!(round_trip::<_, Nanos>(Nanos(time)).unwrap().0, time);
            stored.push(round_trip::<_, i64>(Nanos(time)).unwrap());
        }
        assert!(stored.is_sorted());

        for outside in ["1677-09-21T00:12:43Z", "2262-04-11T23:47:16.854775808Z"] {
            let time: Timestamp = outside.parse().unwrap();
            let err = round_trip::<_, Nanos>(Nanos(time)).unwrap_err();
            assert!(err.to_string().contains("years 1677 to 2262"), "{err}");
            let clamped = nanos_clamped(time);
            assert!(clamped == i64::MIN || clamped == i64::MAX);
        }
    }

    #[test]
    fn step_4_keeps_links_and_history_and_takes_blocked_with_a_reason() {
        let path = Path::new("test.db");
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        // A store as schema 3 left it: a task with an entry, a status with its history.
        for step in &MIGRATIONS[..3] {
            conn.execute_batch(step).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO links VALUES ('t', 'a/copy', NULL, 'r1', NULL, 'doing', NULL, 0, 5);
             INSERT INTO links VALUES ('t', 'a/copy/x', 'a/copy', 'r2', NULL, 'done', 'v', 0, 6);
             INSERT INTO status_history (identity, state, source_target, source_person, at)
                 VALUES ('a/copy', 'doing', 't', 'dana@example.com', 7);
             INSERT INTO status VALUES ('a/copy', 'doing', 't', 'dana@example.com', 7);",
        )
        .unwrap();
        migrate(&mut conn, path, 3).unwrap();
        let store = SqliteStore {
            conn,
            path: path.to_owned(),
            lock: None,
        };
        let links = store.links("t").unwrap();
        assert_eq!(
            links
                .iter()
                .map(|l| (l.identity.as_str(), l.parent.as_deref(), l.pulled))
                .collect::<Vec<_>>(),
            [
                ("a/copy", None, Some(State::Doing)),
                ("a/copy/x", Some("a/copy"), Some(State::Done))
            ]
        );
        assert_eq!(store.status_history("a/copy").unwrap().len(), 1);
        assert_eq!(store.statuses().unwrap()[0].state, State::Doing);
        // The foreign key still holds: no entry without its task.
        let orphan = store.conn.execute(
            "INSERT INTO links (target, identity, parent, remote_id, archived, updated_at)
             VALUES ('t', 'b/copy/x', 'b/copy', 'r3', 0, 8)",
            [],
        );
        assert!(orphan.is_err());
        // Blocked with a reason is taken; a reason beside another state is refused.
        store
            .conn
            .execute(
                "UPDATE links SET pulled = 'blocked', pulled_reason = 'legal' WHERE identity = 'a/copy'",
                [],
            )
            .unwrap();
        assert_eq!(
            store.links("t").unwrap()[0].pulled_reason.as_deref(),
            Some("legal")
        );
        let stray = store.conn.execute(
            "INSERT INTO status (identity, state, reason, at) VALUES ('b/copy', 'done', 'legal', 9)",
            [],
        );
        assert!(stray.is_err());
    }

    #[test]
    fn the_migrations_build_the_current_schema_in_one_go() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new("test.db"), 0).unwrap();
        assert_eq!(
            check_owner(&conn, Path::new("test.db")).unwrap(),
            SCHEMA_VERSION
        );
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            tables,
            [
                "actions",
                "calendar_tokens",
                "cursors",
                "events",
                "handoffs",
                "hook_secrets",
                "intents",
                "links",
                "metric_values",
                "notices",
                "overrides",
                "planned_history",
                "snoozes",
                "status",
                "status_history"
            ]
        );
    }
}
