//! The shared state store: a PostgreSQL database (`state = "postgres://user@host/db"`), for
//! deployments that outgrow one file on one machine — several replicas of the daemon, one of
//! which leads (see `lease.rs` and the daemon's `leader.rs`).
//!
//! Choices, and why:
//! - **The same tables as SQLite**, made by the same numbered steps (`migrations.rs`), times as
//!   integer nanoseconds, text compared byte by byte: a store reads back exactly what the other
//!   would, and `state migrate` copies one into the other row for row.
//! - **The synchronous `postgres` client** (the rust-postgres project's), because
//!   [`StateStore`](crate::state::StateStore) is synchronous. It runs its own small runtime, which may not be entered from
//!   inside the daemon's; a call made from there runs on a short-lived thread of its own
//!   (`Conn::run`), which costs microseconds per call against a round trip to the server.
//! - **One writer, fenced**: a writable store holds the deployment's lease (holder, epoch,
//!   expiry) and every write transaction first checks, under the lease row's lock, that the
//!   epoch it holds is still the current one, extending the expiry as it goes. A replica whose
//!   lease was taken over (it was paused, or lost the database for longer than the lease) has
//!   every later write refused, in the same transaction, so it cannot write over the new
//!   leader's work. Creates in the tools stay protected by the intent journal and markers.
//! - **A lost connection is made again** at the next call, so a replica that lost the database
//!   for a while comes back (as a standby, if another took over meanwhile).
//! - Several deployments can share one database, each in a schema of its own:
//!   `postgres://host/db?options=-csearch_path%3Dclient_a`.

use std::cell::RefCell;
use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use postgres::error::SqlState;
use postgres::{Client, NoTls, Row};
use throughline_connector::{Identity, State};

mod copy;
pub mod lease;
mod migrations;
mod reads;
mod write;

pub use copy::Copied;
pub use lease::Lease;
use migrations::{BOOTSTRAP, MIGRATIONS};

use super::{EventKind, StateError};

/// The schema version this build reads and writes (the same number as SQLite's).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a lease taken by a one-off command (`sync`, `target reset`) lasts without a write;
/// every write extends it.
const COMMAND_LEASE: Duration = Duration::from_secs(60);

/// The epoch a writable store writes under: `0` while it holds no lease (a standby), then the
/// lease's epoch while this process leads. Shared with whoever keeps the lease.
#[derive(Debug, Clone)]
pub struct Fence {
    holder: String,
    epoch: Arc<AtomicI64>,
    /// How far each write extends the lease.
    period: Duration,
}

impl Fence {
    /// A fence for `holder`, writing nothing until [`Fence::set`] gives it an epoch; each write
    /// extends the lease to at least `period` from then.
    pub fn new(holder: impl Into<String>, period: Duration) -> Fence {
        Fence {
            holder: holder.into(),
            epoch: Arc::new(AtomicI64::new(0)),
            period,
        }
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    /// Lead under `epoch`; `0` stops every write.
    pub fn set(&self, epoch: i64) {
        self.epoch.store(epoch, Ordering::SeqCst);
    }

    pub fn epoch(&self) -> i64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }
}

/// One connection, made again when it was lost.
pub(crate) struct Conn {
    config: postgres::Config,
    client: Option<Client>,
    /// The address without its password, for messages.
    pub(crate) name: String,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").field("name", &self.name).finish()
    }
}

impl Conn {
    pub(crate) fn new(url: &str) -> Result<Conn, StateError> {
        let name = redact(url);
        let mut config: postgres::Config = url.parse().map_err(|e| StateError::Open {
            path: name.clone(),
            message: format!(
                "this is not a PostgreSQL address ({e}); write it as postgres://user@host:5432/database"
            ),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        // A server that went away mid-query is noticed within seconds, not hours.
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(5));
        config.application_name("throughline");
        Ok(Conn {
            config,
            client: None,
            name,
        })
    }

    /// Runs `f` on the connection, connecting first if there is none (or it was lost). Off the
    /// async runtime: from inside one, on a thread of its own.
    pub(crate) fn run<R: Send>(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<R, Failure> + Send,
    ) -> Result<R, Failure> {
        let call = move || -> Result<R, Failure> {
            if self.client.as_ref().is_none_or(Client::is_closed) {
                self.client = None;
                let client = self.config.connect(NoTls).map_err(Failure::Connect)?;
                self.client = Some(client);
            }
            let client = self.client.as_mut().expect("connected just above");
            f(client)
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(call)
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        } else {
            call()
        }
    }
}

impl Drop for Conn {
    /// The sync client closes its connection by blocking on a runtime of its own, which may not
    /// start inside the daemon's (a replica stepping down drops its store there): from inside
    /// one it is dropped on a thread of its own, as [`Conn::run`] calls it.
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            std::thread::scope(|s| {
                s.spawn(move || drop(client));
            });
        }
    }
}

/// Why a call failed: the server could not be reached, or it refused a statement.
#[derive(Debug)]
pub(crate) enum Failure {
    Connect(postgres::Error),
    Sql(postgres::Error),
    /// Refused before it was sent (already a full message).
    Store(StateError),
    /// Refused before it was sent: why, to follow what was being done.
    Refused(String),
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Failure {
        Failure::Sql(e)
    }
}

impl From<StateError> for Failure {
    fn from(e: StateError) -> Failure {
        Failure::Store(e)
    }
}

impl Failure {
    /// The store's error, naming the database and what was being done.
    pub(crate) fn into_state(self, name: &str, what: impl Display) -> StateError {
        match self {
            Failure::Store(e) => e,
            Failure::Refused(why) => StateError::Sql {
                path: name.to_owned(),
                message: format!("{what}: {why}"),
            },
            Failure::Connect(e) => StateError::Open {
                path: name.to_owned(),
                message: format!(
                    "cannot reach the database while {what}: {}; check that the server runs \
                     and `state` in throughline.toml names it",
                    source_text(&e)
                ),
            },
            Failure::Sql(e) => StateError::Sql {
                path: name.to_owned(),
                message: format!("{what}: {}", source_text(&e)),
            },
        }
    }
}

/// The server's own message where there is one (the plain `Display` says only "db error").
pub(crate) fn source_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                text = format!("{text}: {inner}");
                source = inner.source();
            }
            text
        }
    }
}

pub(crate) fn is_foreign_key(e: &Failure) -> bool {
    matches!(e, Failure::Sql(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION))
}

/// The address `state` names: written out (`postgres://…`), or in an environment variable
/// (`env:NAME`) or a file (`file:PATH`, resolved already), like every secret: the address
/// may hold a password.
pub fn resolve_url(text: &str) -> Result<String, StateError> {
    let failed = |message: String| StateError::Open {
        path: text.to_owned(),
        message,
    };
    let url = if let Some(name) = text.strip_prefix("env:") {
        throughline_connector::settings::SecretRef::Env(name.to_owned())
            .resolve()
            .map_err(|e| failed(e.to_string()))?
    } else if let Some(path) = text.strip_prefix("file:") {
        throughline_connector::settings::SecretRef::File(path.into())
            .resolve()
            .map_err(|e| failed(e.to_string()))?
    } else {
        text.to_owned()
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url)
    } else {
        Err(failed(
            "this holds no PostgreSQL address; it must start with postgres:// \
             (postgres://user@host:5432/database)"
                .to_owned(),
        ))
    }
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`: addresses are logged.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// The PostgreSQL [`StateStore`](super::StateStore).
#[derive(Debug)]
pub struct PostgresStore {
    conn: RefCell<Conn>,
    /// `None`: opened for reading only.
    fence: Option<Fence>,
    /// A lease this store took itself (a one-off command), given back when it is dropped.
    own_lease: bool,
}

impl PostgresStore {
    /// Connects and brings the schema up to date, writing under `fence`: nothing is written
    /// until whoever keeps the lease (the daemon's leader election) gives the fence an epoch.
    pub fn connect(url: &str, fence: Fence) -> Result<PostgresStore, StateError> {
        let store = PostgresStore::migrated(url, Some(fence))?;
        Ok(store)
    }

    /// Opens the store for a one-off command (`sync`, `target reset`, `state migrate`): takes
    /// the lease now, and fails as a locked SQLite file does while another process (a daemon)
    /// holds it.
    pub fn open(url: &str) -> Result<PostgresStore, StateError> {
        let fence = Fence::new(lease::holder_name("command"), COMMAND_LEASE);
        let mut store = PostgresStore::migrated(url, Some(fence.clone()))?;
        let name = store.name();
        let taken = store
            .conn
            .get_mut()
            .run(|client| lease::try_take(client, fence.holder(), COMMAND_LEASE))
            .map_err(|e| e.into_state(&name, "taking the lease"))?;
        match taken {
            lease::Taken::Epoch(epoch) => fence.set(epoch),
            lease::Taken::HeldBy(holder) => {
                return Err(StateError::Locked {
                    path: name,
                    lock: format!("the lease held by {holder}"),
                    pid: None,
                });
            }
        }
        store.own_lease = true;
        Ok(store)
    }

    /// Opens the store for reading only (`plan`, `status`, the dashboard): no lease, and a
    /// database never written reads as an empty state. Every write fails.
    pub fn open_read_only(url: &str) -> Result<PostgresStore, StateError> {
        PostgresStore::migrated(url, None)
    }

    fn migrated(url: &str, fence: Option<Fence>) -> Result<PostgresStore, StateError> {
        let mut conn = Conn::new(url)?;
        let name = conn.name.clone();
        conn.run(|client| migrate(client, &name))
            .map_err(|e| e.into_state(&name, "bringing the schema up to date"))?;
        Ok(PostgresStore {
            conn: RefCell::new(conn),
            fence,
            own_lease: false,
        })
    }

    /// The database's address, without a password.
    pub fn name(&self) -> String {
        self.conn.borrow().name.clone()
    }

    /// The fence this store writes under (`None` when read-only).
    pub fn fence(&self) -> Option<&Fence> {
        self.fence.as_ref()
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, StateError> {
        self.read("the schema version", |client| {
            let row = client.query_one("SELECT version FROM throughline_schema", &[])?;
            Ok(i64::from(row.get::<_, i32>(0)))
        })
    }

    /// Runs a read, mapping its error.
    fn read<R: Send>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Client) -> Result<R, Failure> + Send,
    ) -> Result<R, StateError> {
        let mut conn = self.conn.borrow_mut();
        let name = conn.name.clone();
        conn.run(f)
            .map_err(|e| e.into_state(&name, format_args!("reading {what}")))
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let (true, Some(fence)) = (self.own_lease, &self.fence) {
            let (holder, epoch) = (fence.holder().to_owned(), fence.epoch());
            // The next command need not wait for the lease to run out.
            let _ = self
                .conn
                .get_mut()
                .run(move |client| lease::give_back(client, &holder, epoch));
        }
    }
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction, under an advisory lock so two
/// replicas starting together do not both try.
fn migrate(client: &mut Client, name: &str) -> Result<(), Failure> {
    let mut tx = client.transaction()?;
    // Any fixed number; "THLN" as for SQLite's application id.
    tx.execute("SELECT pg_advisory_xact_lock(1414023246)", &[])?;
    tx.batch_execute(BOOTSTRAP)?;
    let found: Option<i32> = tx
        .query_opt("SELECT version FROM throughline_schema", &[])?
        .map(|row| row.get(0));
    let from = i64::from(found.unwrap_or(0));
    if from > SCHEMA_VERSION {
        return Err(too_new(name, from));
    }
    if from == 0 {
        let foreign: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name = 'links')",
                &[],
            )?
            .get(0);
        if foreign {
            return Err(foreign_tables(name));
        }
    }
    if from == SCHEMA_VERSION {
        return Ok(tx.commit()?);
    }
    // A read-only open upgrades an empty or older schema too: its queries need the tables, and
    // the steps run in one transaction, as the writer's would.
    for sql in &MIGRATIONS[from as usize..] {
        tx.batch_execute(sql)?;
    }
    tx.execute(
        "INSERT INTO throughline_schema (version) VALUES ($1)
         ON CONFLICT (one) DO UPDATE SET version = excluded.version",
        &[&(SCHEMA_VERSION as i32)],
    )?;
    Ok(tx.commit()?)
}

fn too_new(name: &str, found: i64) -> Failure {
    Failure::Store(StateError::TooNew {
        path: name.to_owned(),
        found,
        known: SCHEMA_VERSION,
    })
}

fn foreign_tables(name: &str) -> Failure {
    Failure::Store(StateError::Corrupt {
        path: name.to_owned(),
        message: "the database (or schema) has a table `links` but no throughline mark: it \
                  belongs to another program; point `state` at a database of its own, or at a \
                  schema of its own with ?options=-csearch_path%3Dname"
            .to_owned(),
    })
}

/// A [`Timestamp`] as integer nanoseconds since the Unix epoch, as SQLite keeps it.
pub(crate) fn nanos(at: Timestamp) -> Result<i64, Failure> {
    i64::try_from(at.as_nanosecond()).map_err(|_| {
        Failure::Refused(format!(
            "the time {at} is outside what the state store holds (years 1677 to 2262)"
        ))
    })
}

pub(crate) fn nanos_clamped(at: Timestamp) -> i64 {
    let nanos = at.as_nanosecond();
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

pub(crate) fn timestamp(row: &Row, i: usize) -> Timestamp {
    Timestamp::from_nanosecond(i128::from(row.get::<_, i64>(i))).unwrap_or(Timestamp::MIN)
}

pub(crate) fn parse_state(text: &str) -> State {
    match text {
        "doing" => State::Doing,
        "blocked" => State::Blocked,
        "done" => State::Done,
        // The table's CHECK admits only these four.
        _ => State::Todo,
    }
}

pub(crate) fn kind_text(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Drift => "drift",
        EventKind::Conflict => "conflict",
        EventKind::SafetyStop => "safety_stop",
        EventKind::Unknown => "unknown",
    }
}

pub(crate) fn parse_kind(text: &str) -> EventKind {
    match text {
        "conflict" => EventKind::Conflict,
        "safety_stop" => EventKind::SafetyStop,
        "unknown" => EventKind::Unknown,
        _ => EventKind::Drift,
    }
}

pub(crate) fn identity(row: &Row, i: usize) -> Identity {
    row.get(i)
}
