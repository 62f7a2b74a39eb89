//! The hub's memory between cycles: which remote object stands for which task in which
//! target, what was last pushed and pulled, the intent journal that prevents duplicates after
//! a crash, the status of every task with its history, drift and conflict records, and cursors.
//!
//! The store is written through [`Batch`]es, each applied in one transaction, so a crash
//! between two steps of a cycle leaves the store at one step or the other, never between.
//! [`StateStore`] is a small trait so a PostgreSQL store can follow the SQLite one.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use throughline_connector::{Identity, RemoteId, State};

mod lock;
mod memory;
mod open;
pub mod postgres;
mod sqlite;

pub use memory::MemoryStore;
pub use open::{open, open_read_only};
pub use postgres::{Fence, PostgresStore};
pub use sqlite::{MetricValue, PlannedDates, Snooze, SqliteStore};

/// A task or entry × target → remote object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub target: String,
    pub identity: Identity,
    /// For an entry: its task's identity.
    pub parent: Option<Identity>,
    pub remote_id: RemoteId,
    /// JSON of the hub-owned fields last pushed (or adopted), as the tool holds them.
    pub pushed: Option<String>,
    /// The status last seen in (or pushed to) the tool: what "the tool moved" is measured from.
    pub pulled: Option<State>,
    /// With `pulled` blocked: the reason last seen in (or pushed to) the tool, where it holds one.
    pub pulled_reason: Option<String>,
    pub remote_version: Option<String>,
    /// throughline archived it (the item left the model).
    pub archived: bool,
    pub updated_at: Timestamp,
}

impl Link {
    /// The planned dates its pushed fields carry (`start`, `due`), when it is a task's: both
    /// stores keep each change of them (`planned_history`).
    pub(crate) fn pushed_dates(&self) -> Option<(Option<String>, Option<String>)> {
        if self.parent.is_some() {
            return None;
        }
        let pushed: serde_json::Value = serde_json::from_str(self.pushed.as_deref()?).ok()?;
        // The engine keeps `{"fields": {…}}`; a bare object of fields reads the same.
        let fields = pushed.get("fields").unwrap_or(&pushed);
        let date = |key: &str| fields.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let (start, due) = (date("start"), date("due"));
        (start.is_some() || due.is_some()).then_some((start, due))
    }
}

/// Written before a create is sent; cleared once the link is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub target: String,
    pub identity: Identity,
    pub created_at: Timestamp,
}

/// The hub's status of a task or entry, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRecord {
    pub identity: Identity,
    pub state: State,
    /// Why a blocked task is blocked, as a person gave it; `None` for the other states.
    pub reason: Option<String>,
    /// The target the change came from; `None` = the hub itself (first schedule).
    pub source_target: Option<String>,
    pub source_person: Option<String>,
    pub at: Timestamp,
}

/// One stretch of time a task spent blocked, read from its status history: blocked time is
/// kept apart from the time the task was being worked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockedSpan {
    pub identity: Identity,
    pub from: Timestamp,
    /// When it left blocked; `None` = still blocked.
    pub until: Option<Timestamp>,
    /// The last reason given while it was blocked.
    pub reason: Option<String>,
    /// Where it was blocked (the target of the record that blocked it; `None` = the hub).
    pub source_target: Option<String>,
}

/// The blocked stretches in a status history (records of each identity oldest first, as
/// [`StateStore::all_status_history`] and [`StateStore::status_history`] give them). A new
/// reason while still blocked continues the stretch.
pub fn blocked_spans(history: &[StatusRecord]) -> Vec<BlockedSpan> {
    let mut open: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut out: Vec<BlockedSpan> = Vec::new();
    for r in history {
        match (r.state, open.get(r.identity.as_str())) {
            (State::Blocked, Some(&i)) => out[i].reason = r.reason.clone(),
            (State::Blocked, None) => {
                open.insert(&r.identity, out.len());
                out.push(BlockedSpan {
                    identity: r.identity.clone(),
                    from: r.at,
                    until: None,
                    reason: r.reason.clone(),
                    source_target: r.source_target.clone(),
                });
            }
            (_, Some(&i)) => {
                out[i].until = Some(r.at);
                open.remove(r.identity.as_str());
            }
            (_, None) => {}
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A tool-side edit of a hub-owned field.
    Drift,
    /// Two tools moved the same status differently in one cycle.
    Conflict,
    /// A target was stopped instead of acting (suddenly empty, too many archives).
    SafetyStop,
    /// An object in a tool carries a marker the hub does not know, or a second copy of one.
    Unknown,
}

/// A task whose earlier stages are all done: its owner is told "your turn" once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handoff {
    pub identity: Identity,
    /// Who was (or is to be) told.
    pub owner: String,
    /// When the daemon saw the last earlier stage done.
    pub ready_at: Timestamp,
    /// When the notice went out; `None` while it is still to be sent.
    pub sent_at: Option<Timestamp>,
}

/// Drift, conflicts and safety stops, kept with who/where/when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub target: Option<String>,
    pub identity: Option<Identity>,
    /// Free-form, human-readable.
    pub detail: String,
    /// How it was resolved (`reverted`, `accepted`, `ignored`, `won by studio`, `stopped`).
    pub resolution: String,
    pub person: Option<String>,
    pub at: Timestamp,
}

/// What a signed-in person did on the dashboard, kept with who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// `sync_now`, `settle`, `accept_drift` or `snooze`.
    pub action: String,
    /// The name they signed in with (`[dashboard.users]` or `[dashboard.tokens]`).
    pub who: String,
    /// What it was done to: a task (`spring-sale/copy`), a recommendation's id, a playbook.
    pub subject: String,
    /// What was chosen or changed, in words.
    pub detail: String,
    pub at: Timestamp,
}

/// What [`StateStore::forget_target`] forgot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    /// Task links, archived ones included.
    pub tasks: usize,
    /// Checklist-entry links.
    pub entries: usize,
    /// Creates journaled but never linked.
    pub intents: usize,
    /// Whether a cursor (the tool's read position) was kept.
    pub cursor: bool,
}

/// One transaction's worth of writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub put_links: Vec<Link>,
    pub add_intents: Vec<Intent>,
    /// (target, identity)
    pub clear_intents: Vec<(String, Identity)>,
    pub statuses: Vec<StatusRecord>,
    pub events: Vec<Event>,
    /// (target, cursor JSON or `None` to forget it)
    pub cursors: Vec<(String, Option<serde_json::Value>)>,
    /// Hub-field values accepted from a tool (drift policy `accept`): (identity, field, value).
    pub overrides: Vec<(Identity, String, Option<String>)>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self == &Batch::default()
    }
}

/// Why the store could not do its job; every message says which file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot open the state file {path}: {message}")]
    Open { path: String, message: String },
    #[error(
        "the state file {path} is not a throughline state database ({message}); restore it from the backup or move it away to start fresh"
    )]
    Corrupt { path: String, message: String },
    #[error("the state file {path} is in use by another throughline process{} (lock file {lock}); wait for it to finish or stop it", held_by(.pid))]
    Locked {
        path: String,
        lock: String,
        /// The holder, as written in the lock file.
        pid: Option<u32>,
    },
    #[error(
        "the state file {path} was written by a newer throughline (schema {found}, this one knows {known}); upgrade throughline"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("state store {path}: {message}")]
    Sql { path: String, message: String },
    #[error(
        "state store {path}: this replica's lease (epoch {epoch}) is no longer current: another replica took over, so nothing was written; this one stands by"
    )]
    Stale { path: String, epoch: i64 },
}

fn held_by(pid: &Option<u32>) -> String {
    pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
}

/// The hub's state. All reads see committed batches only.
pub trait StateStore: Send {
    fn links(&self, target: &str) -> Result<Vec<Link>, StateError>;
    fn intents(&self, target: &str) -> Result<Vec<Intent>, StateError>;
    /// Current status of every task and entry that has one.
    fn statuses(&self) -> Result<Vec<StatusRecord>, StateError>;
    /// Every status a task or entry has had, oldest first.
    fn status_history(&self, identity: &str) -> Result<Vec<StatusRecord>, StateError>;
    /// Every status record of every task and entry, each identity's oldest first (what
    /// `report` measures). The default asks [`StateStore::status_history`] per identity.
    fn all_status_history(&self) -> Result<Vec<StatusRecord>, StateError> {
        let mut out = Vec::new();
        for s in self.statuses()? {
            out.extend(self.status_history(&s.identity)?);
        }
        Ok(out)
    }
    /// Measured values of success metrics (`metric record`); a store that keeps none: empty.
    fn all_metric_values(&self) -> Result<Vec<MetricValue>, StateError> {
        Ok(Vec::new())
    }
    /// Keep one measured value of a success metric (`metric record`, or typed on a Metrics tab
    /// and pulled by `sync` or the daemon). At once, in a transaction of its own.
    fn record_metric(&mut self, value: &MetricValue, now: Timestamp) -> Result<(), StateError>;
    /// Snoozed recommendations (`report --snooze`); a store that keeps none: empty.
    fn all_snoozes(&self) -> Result<Vec<Snooze>, StateError> {
        Ok(Vec::new())
    }
    /// Hide recommendation `s.id` until `s.until` (`report --snooze`, the dashboard); a later
    /// snooze of the same id replaces it. At once, in a transaction of its own.
    fn snooze(&mut self, s: &Snooze) -> Result<(), StateError>;
    /// Each task's planned dates as pushed, when they changed; a store that keeps none: empty.
    fn all_planned_history(&self) -> Result<Vec<PlannedDates>, StateError> {
        Ok(Vec::new())
    }
    fn events(&self, since: Option<Timestamp>) -> Result<Vec<Event>, StateError>;
    fn cursor(&self, target: &str) -> Result<Option<serde_json::Value>, StateError>;
    /// (identity, field) → value accepted from a tool.
    fn overrides(&self) -> Result<Vec<(Identity, String, String)>, StateError>;
    /// Apply every write of the batch in one transaction.
    fn commit(&mut self, batch: Batch) -> Result<(), StateError>;

    /// Whether the notice with this key (a reminder, an alert, a summary; see the daemon) was
    /// sent.
    fn notice_sent(&self, key: &str) -> Result<bool, StateError>;
    /// Remember that the notice with this key was sent, so that it is never sent again. At
    /// once, in a transaction of its own: the notice is already out.
    fn record_notice(&mut self, key: &str, at: Timestamp) -> Result<(), StateError>;
    /// Forget a target's links, intents and cursor in one transaction (`throughline target
    /// reset`): the next sync treats the target as new, adopting what carries an identity and
    /// creating the rest. The hub's statuses, their history and the events stay.
    fn forget_target(&mut self, target: &str) -> Result<Forgotten, StateError>;
    /// The secret a tool handed over for a target's webhooks (Asana's `X-Hook-Secret`).
    fn hook_secret(&self, target: &str) -> Result<Option<String>, StateError>;
    /// Keep (or replace) a target's webhook secret.
    fn set_hook_secret(
        &mut self,
        target: &str,
        secret: &str,
        at: Timestamp,
    ) -> Result<(), StateError>;
    /// Every task handed off (its earlier stages all done), the oldest first.
    fn handoffs(&self) -> Result<Vec<Handoff>, StateError>;
    /// Keep a handoff unless the task has one already (then `false`: it is never handed off
    /// twice). At once, in a transaction of its own.
    fn add_handoff(&mut self, handoff: &Handoff) -> Result<bool, StateError>;
    /// The owner was told: the handoff's notice went out by every channel.
    fn handoff_sent(&mut self, identity: &str, at: Timestamp) -> Result<(), StateError>;
    /// Each person's calendar subscription token: (address, token), by address.
    fn calendar_tokens(&self) -> Result<Vec<(String, String)>, StateError>;
    /// Keep (or replace, to revoke the old one) a person's calendar token.
    fn set_calendar_token(
        &mut self,
        person: &str,
        token: &str,
        at: Timestamp,
    ) -> Result<(), StateError>;
    /// Keep a dashboard action with what it writes, in one transaction: the hub statuses it
    /// sets (a settled conflict) and the recommendation it snoozes. A store that keeps no
    /// actions refuses.
    fn record_action(
        &mut self,
        action: &Action,
        statuses: &[StatusRecord],
        snooze: Option<&Snooze>,
    ) -> Result<(), StateError> {
        let _ = (statuses, snooze);
        Err(StateError::Sql {
            path: String::new(),
            message: format!(
                "this state store keeps no dashboard actions, so `{}` was not done; use a SQLite state file",
                action.action
            ),
        })
    }
    /// The dashboard's actions at or after `since` (all without), oldest first; a store that
    /// keeps none: empty.
    fn actions(&self, since: Option<Timestamp>) -> Result<Vec<Action>, StateError> {
        let _ = since;
        Ok(Vec::new())
    }
}
