//! The interface between throughline's sync engine and the tools teams work in.
//!
//! A connector is a plain adapter: it observes a target (one Trello board, one Asana project,
//! one spreadsheet, one workbook) and applies the changes the engine planned. Every policy —
//! what to push, what to pull, drift, conflicts, safety stops — lives in the engine, never here.
//!
//! Contract every connector keeps (checked by `conformance`, feature `test-support`):
//! - **Identity travels with the object.** A created task or entry carries its identity
//!   (`item/stage`, `item/stage/key`) in the tool itself (a marker line, a custom field, an ID
//!   column, developer metadata), and [`Connector::observe`] reports it back. That is how the
//!   engine adopts objects after a crash instead of duplicating them.
//! - **Round trip.** Observing right after applying gives back the same [`TaskFields`],
//!   [`EntryFields`] and status that were sent, in the hub's terms (people as the hub names
//!   them, dates as civil dates in the process time zone), within what
//!   [`Capabilities`] says the tool can hold.
//! - **Batches.** [`Connector::apply`] receives the whole cycle's changes for the target, so a
//!   connector can use the API's batch endpoints (Sheets `batchUpdate`, Asana `/batch`, one
//!   Excel write). It returns one result per change, in order; a change that failed leaves the
//!   remote object as it was, as far as the API allows.
//! - **Never destroy.** Archive means archive/close/mark, never a hard delete.
//!
//! What else the crate holds, and the constraints it was built around:
//! - [`http`]: the client the hosted connectors share. The tools ration requests per account,
//!   not per board or project (Trello: 100 per 10 s per token and 300 per 10 s per API key;
//!   Asana: 150 per minute free, 1,500 paid; Sheets: 60 reads and 60 writes per minute per
//!   user), so limiters are shared by account key across targets, and one request can draw on
//!   several quotas. All three answer 429 when over; `Retry-After` may be seconds or an HTTP
//!   date. A create that timed out may still have happened, so only idempotent requests are
//!   retried after the tool may have seen them. Credentials travel in query strings (Trello
//!   `key=`/`token=`) and headers, so every message and log line goes through a redactor.
//! - `fake` (feature `test-support`): an in-memory target with the same contract, plus a handle to act as a person in
//!   the tool, count calls and inject faults (failed calls, failed changes, lost replies,
//!   empty observations). It is naive on purpose: it creates duplicates when asked to.
//! - `conformance` (feature `test-support`): the suite every connector runs through a small
//!   `conformance::Harness`. Neither is compiled into the release binary: crates that test with
//!   them turn the feature on in their `[dev-dependencies]`.
//! - `emulator_kit` (feature `emulator-kit`): what the tool emulators share — fault rules, the
//!   request log, rate-limit windows, serving on 127.0.0.1, webhook and watch callbacks.
//! - [`settings`]: what a connector reads from its `[[target]]` table and tells the root
//!   crate's registry of kinds (`Tool`): keys and credentials, its own checks, how to open it,
//!   sign in and reach its webhooks; errors name `file:line:col` and the target.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub mod change_view;
#[cfg(feature = "test-support")]
pub mod conformance;
#[cfg(feature = "emulator-kit")]
pub mod emulator_kit;
#[cfg(feature = "test-support")]
pub mod fake;
pub mod http;
pub mod identity;
pub mod mapping;
pub mod metrics;
pub mod oauth;
pub mod oauth_loopback;
pub mod settings;

/// `item/stage` for a task, `item/stage/key` for a checklist entry.
pub type Identity = String;
/// The tool's own id for an object (a Trello card id, an Asana gid, a row's metadata id).
pub type RemoteId = String;

/// Where a task stands. Tools with only "done or not" hold [`State::Todo`] and
/// [`State::Done`]; see [`StateSupport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Not started.
    Todo,
    /// Started, not finished (only a [`StateSupport::Full`] tool holds it).
    Doing,
    /// Waiting on something outside the task (a person, an approval); its reason travels
    /// beside it ([`TaskContext::blocked_reason`], [`StatusCells::blocked_reason`]).
    Blocked,
    /// Finished.
    Done,
}

impl State {
    /// Every state, in the order a task moves through them.
    pub const ALL: [State; 4] = [State::Todo, State::Doing, State::Blocked, State::Done];

    /// The lowercase word for the state, as in files and reports (`todo`, `blocked`).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Todo => "todo",
            State::Doing => "doing",
            State::Blocked => "blocked",
            State::Done => "done",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hub-owned fields of a task: what throughline decides and pushes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TaskFields {
    /// The task's title, rendered from the target's mapping.
    pub title: String,
    /// The task's description, rendered from the mapping; empty where the tool holds none.
    pub description: String,
    /// The stage's place in the tool: a Trello list, an Asana section, a sheet's stage column.
    pub group: String,
    /// The person (as the hub names them, usually an e-mail address).
    pub owner: Option<String>,
    /// The first business day of work on the task (in the process's time zone).
    pub start: Option<Date>,
    /// The business day the task is due (in the process's time zone).
    pub due: Option<Date>,
}

/// The hub-owned fields of a checklist entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct EntryFields {
    /// The entry's text as the playbook writes it.
    pub text: String,
    /// The person who ticks the entry off (as the hub names them), if any.
    pub owner: Option<String>,
    /// The day the entry is due, if the tool holds entry dates.
    pub due: Option<Date>,
}

/// Context a connector may use to place a task (which sheet, which list, right-to-left), never
/// compared by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskContext {
    /// The playbook's process id (`content`).
    pub process: String,
    /// The playbook's process name (`Content pipeline`).
    pub process_name: String,
    /// The item's id (`spring-sale`).
    pub item: String,
    /// The item's title (`Spring sale announcement`).
    pub item_title: String,
    /// The stage's id (`copy`).
    pub stage: String,
    /// The stage's name as people read it (`Copy`).
    pub stage_name: String,
    /// The id of the role that owns the stage (`writer`).
    pub role: String,
    /// The item's go-live date.
    pub golive: Option<Date>,
    /// The item's channel, when it names one.
    pub channel: Option<String>,
    /// The process's IANA time zone name (`Asia/Jerusalem`); empty when unknown.
    pub timezone: String,
    /// The process is written in a right-to-left language.
    pub rtl: bool,
    /// Order of the task among all tasks of the target (item order, then stage order).
    pub position: u64,
    /// The hub's reason for a blocked task (the task's state is [`State::Blocked`]), to be
    /// shown where the mapping keeps it; `None` when not blocked or nobody gave one.
    #[serde(default)]
    pub blocked_reason: Option<String>,
}

/// A task as the hub wants it to look in one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredTask {
    /// `item/stage`: what links this task to its object in the tool.
    pub identity: Identity,
    /// What the task should show.
    pub fields: TaskFields,
    /// Where the task should stand.
    pub state: State,
    /// Where and how the connector places the task; not compared.
    pub context: TaskContext,
    /// The stage's checklist entries, in playbook order.
    pub entries: Vec<DesiredEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// A checklist entry as the hub wants it to look in one target.
pub struct DesiredEntry {
    /// `item/stage/key`: what links this entry to its object in the tool.
    pub identity: Identity,
    /// What the entry should show.
    pub fields: EntryFields,
    /// The entry is ticked off.
    pub checked: bool,
}

/// A task as the tool shows it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedTask {
    /// The tool's id for the object.
    pub remote_id: RemoteId,
    /// The identity found in the object; `None` when it carries none (not ours: ignored).
    pub identity: Option<Identity>,
    /// What the object shows now, as the tool can hold it.
    pub fields: TaskFields,
    /// Where the task stands in the tool, as its [`StateSupport`] holds it.
    pub state: State,
    /// Archived, closed, or marked archived by throughline.
    pub archived: bool,
    /// The tool's version or etag of the object, when it has one.
    pub version: Option<String>,
    /// When the object last changed in the tool, when the tool says.
    pub modified: Option<Timestamp>,
    /// Who last changed it, as the hub names people, when the tool says.
    pub modified_by: Option<String>,
    /// The object's checklist entries, as found.
    pub entries: Vec<ObservedEntry>,
    /// What the task's status shows beyond its state: a blocked task's reason, and a grid
    /// tool's status and done cells (Excel, Sheets); the default where the tool shows nothing.
    #[serde(default)]
    pub status_cells: StatusCells,
}

/// What one task's status shows in a tool beyond its state, as observed: the reason of a
/// blocked task, and in a grid tool (a workbook, a spreadsheet) the status and done cells.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatusCells {
    /// The tool has a place for a blocked task's reason for this task (a Reason column, a
    /// custom field, a comment the mapping reads). `false`: a reason is neither shown nor read
    /// there, so its absence says nothing.
    #[serde(default)]
    pub holds_reason: bool,
    /// The reason shown for a blocked task (trimmed; `None` when empty or not blocked).
    #[serde(default)]
    pub blocked_reason: Option<String>,
    /// A word in the status cell the mapping does not know. It does not count as a status
    /// change: [`ObservedTask::state`] is what the row said before it was typed (or what the
    /// done column says). The connector keeps the word and notes the cell with the accepted
    /// words until a person fixes it.
    pub unknown: Option<UnknownStatusWord>,
    /// The status and done columns say different things: the row's state is to be written
    /// again (even when the hub's state is unchanged) so they agree.
    pub disagree: bool,
    /// The cell's note about an unknown word is to be added (a new word) or cleared (the word
    /// was fixed): the row's state is to be written again for that.
    pub note_outdated: bool,
}

impl StatusCells {
    /// The row's state cells need writing though its state did not move.
    pub fn rewrite(&self) -> bool {
        self.disagree || self.note_outdated
    }
}

/// A status word a person typed that the mapping does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownStatusWord {
    /// As typed.
    pub word: String,
    /// Where it is, as the tool names cells: `Tasks!E12`.
    pub cell: String,
    /// The words the status column accepts, in the mapping's languages.
    pub accepted: Vec<String>,
}

impl UnknownStatusWord {
    /// The text of the note put on the cell.
    pub fn note(&self) -> String {
        unknown_word_note(&self.accepted)
    }
}

/// The note a grid connector puts on a status cell holding a word it does not know.
pub fn unknown_word_note(accepted: &[String]) -> String {
    format!(
        "throughline does not know this status word, so the task keeps its status until it is \
         fixed. Use one of: {}",
        accepted.join(", ")
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// A checklist entry as the tool shows it now.
pub struct ObservedEntry {
    /// The tool's id for the entry.
    pub remote_id: RemoteId,
    /// The identity found in the entry; `None` when it carries none (not ours: ignored).
    pub identity: Option<Identity>,
    /// What the entry shows now, as the tool can hold it.
    pub fields: EntryFields,
    /// The entry is ticked off in the tool.
    pub checked: bool,
    /// Archived, closed, or marked archived by throughline.
    pub archived: bool,
    /// When the entry last changed in the tool, when the tool says.
    pub modified: Option<Timestamp>,
    /// Who last changed it, as the hub names people, when the tool says.
    pub modified_by: Option<String>,
}

/// Everything a target holds that throughline can see, after one observation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Every task object found, ours or not (those without an identity are ignored).
    pub tasks: Vec<ObservedTask>,
    /// Opaque state the connector wants back on its next observe (a sync token, a
    /// modification time with the snapshot it stands for). The engine stores it.
    pub cursor: Option<serde_json::Value>,
}

/// One change the engine wants made in a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// Create a task with all its entries, carrying its identity.
    CreateTask {
        /// The task as it should look, entries included.
        task: DesiredTask,
    },
    /// Bring a task's fields and/or state to these values. `previous` is what the engine
    /// last saw, so a connector can send only what changed.
    UpdateTask {
        /// The tool's id for the task's object.
        remote_id: RemoteId,
        /// The task's identity (`item/stage`).
        identity: Identity,
        /// Where the task belongs, for connectors that place it by context.
        context: TaskContext,
        /// The fields to write; `None`: leave them as they are.
        fields: Option<TaskFields>,
        /// The fields as last observed, to compare with `fields`.
        previous: Option<TaskFields>,
        /// The state to write; `None`: leave it as it is.
        state: Option<State>,
        /// Bring an archived object back (only ever planned explicitly).
        unarchive: bool,
    },
    /// Archive a task the hub no longer has (throughline never deletes).
    ArchiveTask {
        /// The tool's id for the task's object.
        remote_id: RemoteId,
        /// The task's identity (`item/stage`).
        identity: Identity,
        /// Where the task belongs, for connectors that place it by context.
        context: TaskContext,
    },
    /// Add a checklist entry to a task that already exists in the tool.
    CreateEntry {
        /// The tool's id for the task the entry goes in.
        parent_remote_id: RemoteId,
        /// The task's identity (`item/stage`).
        parent_identity: Identity,
        /// The task's context.
        context: TaskContext,
        /// Where the entry goes among its siblings.
        index: usize,
        /// The entry as it should look.
        entry: DesiredEntry,
    },
    /// Bring a checklist entry's fields and/or tick to these values.
    UpdateEntry {
        /// The tool's id for the task the entry is in.
        parent_remote_id: RemoteId,
        /// The tool's id for the entry.
        remote_id: RemoteId,
        /// The entry's identity (`item/stage/key`).
        identity: Identity,
        /// The fields to write; `None`: leave them as they are.
        fields: Option<EntryFields>,
        /// The tick to write; `None`: leave it as it is.
        checked: Option<bool>,
        /// Bring an archived entry back (only ever planned explicitly).
        unarchive: bool,
    },
    /// Archive a checklist entry the hub no longer has.
    ArchiveEntry {
        /// The tool's id for the task the entry is in.
        parent_remote_id: RemoteId,
        /// The tool's id for the entry.
        remote_id: RemoteId,
        /// The entry's identity (`item/stage/key`).
        identity: Identity,
    },
}

impl Change {
    /// The identity of the task or entry the change is about.
    pub fn identity(&self) -> &str {
        match self {
            Change::CreateTask { task } => &task.identity,
            Change::UpdateTask { identity, .. }
            | Change::ArchiveTask { identity, .. }
            | Change::UpdateEntry { identity, .. }
            | Change::ArchiveEntry { identity, .. } => identity,
            Change::CreateEntry { entry, .. } => &entry.identity,
        }
    }
}

/// The kind of a [`Change`], for counting and fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChangeKind {
    /// [`Change::CreateTask`].
    CreateTask,
    /// [`Change::UpdateTask`].
    UpdateTask,
    /// [`Change::ArchiveTask`].
    ArchiveTask,
    /// [`Change::CreateEntry`].
    CreateEntry,
    /// [`Change::UpdateEntry`].
    UpdateEntry,
    /// [`Change::ArchiveEntry`].
    ArchiveEntry,
}

impl ChangeKind {
    /// Every kind, tasks before entries, in the order of [`Change`]'s variants.
    pub const ALL: [ChangeKind; 6] = [
        ChangeKind::CreateTask,
        ChangeKind::UpdateTask,
        ChangeKind::ArchiveTask,
        ChangeKind::CreateEntry,
        ChangeKind::UpdateEntry,
        ChangeKind::ArchiveEntry,
    ];
}

impl Change {
    /// What kind of change this is.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::CreateTask { .. } => ChangeKind::CreateTask,
            Change::UpdateTask { .. } => ChangeKind::UpdateTask,
            Change::ArchiveTask { .. } => ChangeKind::ArchiveTask,
            Change::CreateEntry { .. } => ChangeKind::CreateEntry,
            Change::UpdateEntry { .. } => ChangeKind::UpdateEntry,
            Change::ArchiveEntry { .. } => ChangeKind::ArchiveEntry,
        }
    }
}

/// What a successful change produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Applied {
    /// A created task (with the remote ids of the entries created with it) or entry.
    Created {
        /// The tool's id for the new object.
        remote_id: RemoteId,
        /// For a task: each created entry's identity and the tool's id for it.
        entries: Vec<(Identity, RemoteId)>,
        /// The new object's version or etag, when the tool has one.
        version: Option<String>,
    },
    /// The object was changed.
    Updated {
        /// The object's version or etag after the change, when the tool has one.
        version: Option<String>,
    },
    /// The object was archived.
    Archived,
}

/// Which task states a tool can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateSupport {
    /// Done or not (Trello `dueComplete`, Asana `completed`): `Doing` and `Blocked` read back
    /// as `Todo`.
    DoneOrNot,
    /// Done, blocked or neither (a done tick plus a "Blocked" label, tag or field option):
    /// `Doing` reads back as `Todo`.
    DoneBlockedOrNot,
    /// To do, doing, blocked, done (a status column).
    Full,
}

impl StateSupport {
    /// A state as a tool with this support holds it.
    pub fn holds(self, s: State) -> State {
        match (self, s) {
            (StateSupport::DoneOrNot, State::Doing | State::Blocked)
            | (StateSupport::DoneBlockedOrNot, State::Doing) => State::Todo,
            (_, s) => s,
        }
    }

    /// The coarser of two supports: what both can tell apart.
    pub fn coarser(self, other: StateSupport) -> StateSupport {
        use StateSupport::*;
        match (self, other) {
            (DoneOrNot, _) | (_, DoneOrNot) => DoneOrNot,
            (DoneBlockedOrNot, _) | (_, DoneBlockedOrNot) => DoneBlockedOrNot,
            (Full, Full) => Full,
        }
    }
}

/// What a connector can hold and how it prefers to be called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Which task states the tool can hold.
    pub states: StateSupport,
    /// The tool holds a task description.
    pub description: bool,
    /// The tool holds a task's owner.
    pub owner: bool,
    /// The tool holds a task's start date.
    pub start: bool,
    /// The tool holds a task's due date.
    pub due: bool,
    /// The tool holds an owner per checklist entry.
    pub entry_owner: bool,
    /// The tool holds a due date per checklist entry.
    pub entry_due: bool,
    /// Changes the connector applies per remote call at best (1 = no batching).
    pub batch_size: usize,
}

impl Capabilities {
    /// The fields as the tool can hold them: what the engine compares and pushes.
    pub fn task_fields(&self, f: &TaskFields) -> TaskFields {
        TaskFields {
            title: f.title.clone(),
            description: if self.description {
                f.description.clone()
            } else {
                String::new()
            },
            group: f.group.clone(),
            owner: if self.owner { f.owner.clone() } else { None },
            start: if self.start { f.start } else { None },
            due: if self.due { f.due } else { None },
        }
    }

    /// An entry's fields as the tool can hold them: what the engine compares and pushes.
    pub fn entry_fields(&self, f: &EntryFields) -> EntryFields {
        EntryFields {
            text: f.text.clone(),
            owner: if self.entry_owner {
                f.owner.clone()
            } else {
                None
            },
            due: if self.entry_due { f.due } else { None },
        }
    }

    /// A state as the tool can hold it.
    pub fn state(&self, s: State) -> State {
        self.states.holds(s)
    }
}

/// Why a call to a tool failed. The engine decides what to do; connectors only classify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// A passing failure (5xx, timeout, dropped connection): try again later.
    #[error("temporary failure: {message}")]
    Retryable {
        /// What the tool or the connection said.
        message: String,
    },
    /// The tool rations requests and said to wait.
    #[error("rate limited{}: {message}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs_f32())).unwrap_or_default())]
    RateLimited {
        /// How long the tool said to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
        /// What the tool said.
        message: String,
    },
    /// Credentials are missing, wrong, expired or lack a permission.
    #[error("not signed in or not allowed: {message}")]
    Auth {
        /// What the tool said, and what to do.
        message: String,
    },
    /// The object (or the target itself) is not there.
    #[error("not found: {what}")]
    NotFound {
        /// What is missing: the target or the object, by its id.
        what: String,
    },
    /// The object changed in the tool since it was observed.
    #[error("changed since it was read: {message}")]
    VersionMismatch {
        /// What changed, as the tool said.
        message: String,
    },
    /// The tool rejected what was sent (a bug or a bad mapping/config value).
    #[error("rejected by the tool: {message}")]
    Invalid {
        /// What the tool rejected and why.
        message: String,
    },
    /// Anything else that will not get better by retrying.
    #[error("{message}")]
    Fatal {
        /// What went wrong, and what to do.
        message: String,
    },
}

impl ConnectorError {
    /// Worth retrying within the same cycle (after backing off).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ConnectorError::Retryable { .. } | ConnectorError::RateLimited { .. }
        )
    }
}

/// The first of a row's dates that falls before `first`, the earliest date the tool holds
/// (none is past the latest: 9999-12-31 is the last date there is).
pub fn date_before<F: Copy>(dates: &[(F, Option<Date>)], first: Date) -> Option<(F, Date)> {
    dates
        .iter()
        .find_map(|(f, d)| d.filter(|d| *d < first).map(|d| (*f, d)))
}

/// A row's date that `holder` ("Excel", "a spreadsheet") cannot hold, as the error that fails
/// that row's change alone: it names the row's identity, the date's field and its cell. The
/// connector checks before writing anything of the row, so the other rows are written.
pub fn unwritable_date(
    identity: &str,
    field: &str,
    date: Date,
    cell: &str,
    holder: &str,
    first: Date,
) -> ConnectorError {
    ConnectorError::Invalid {
        message: format!(
            "\"{identity}\": its {field} date {date} cannot be written to {cell}: {holder} holds \
             dates from {first} to 9999-12-31. This row is left as it is and the others are \
             written; fix the date in the playbook or the item"
        ),
    }
}

/// A tool throughline keeps in step with the hub.
#[async_trait]
pub trait Connector: Send {
    /// The target id from the config.
    fn target(&self) -> &str;

    /// What the tool can hold and how many changes it takes per call.
    fn capabilities(&self) -> Capabilities;

    /// Everything the target holds, with the fewest calls the API allows. `cursor` is what the
    /// previous observation returned (from the state store), if any.
    async fn observe(
        &mut self,
        cursor: Option<serde_json::Value>,
    ) -> Result<Observation, ConnectorError>;

    /// Apply one cycle's changes. One result per change, in the same order. A new task's
    /// entries come inside its [`Change::CreateTask`], so a [`Change::CreateEntry`] always
    /// names a parent that already exists in the tool.
    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>>;

    /// Which of `people` (as the hub names them, usually e-mail addresses) the tool can make
    /// the owner of a task: through the connector's people map, or by e-mail where the tool
    /// finds its users that way (Asana). A fact, not a decision: the engine asks once a cycle,
    /// after [`Connector::observe`] on the same instance (so the answer may come from what that
    /// read), and applies the target's `unmapped` policy to the others.
    ///
    /// The default, all of them, is right only where owners are written as text (a workbook, a
    /// spreadsheet): a tool with accounts must say whom it knows.
    async fn people_with_accounts(
        &mut self,
        people: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>, ConnectorError> {
        Ok(people.clone())
    }

    /// The HTTP requests this connector made so far, by method and outcome (the daemon's
    /// `/metrics`). `None` for a connector that makes none (a local file).
    fn requests(&self) -> Option<http::RequestCounts> {
        None
    }

    /// The cursor as of now, after [`Connector::apply`] too: what the connector learned from
    /// its own writes, so the next observation need not read them back. `None` (the default):
    /// keep the observation's cursor.
    fn cursor_after_apply(&self) -> Option<serde_json::Value> {
        None
    }

    /// Keep the target's "Metrics" tab: add a row for each metric that has none (never
    /// changing what a person typed) and read back the values people typed. Default: the tool
    /// has no such tab (only the grid targets, Excel and Sheets, have one).
    async fn metrics(
        &mut self,
        _metrics: &[metrics::MetricSpec],
    ) -> Result<metrics::MetricsRead, ConnectorError> {
        Ok(metrics::MetricsRead::default())
    }

    /// Find one object by identity (adoption after a crash, tests). Default: observe and search.
    async fn find(&mut self, identity: &str) -> Result<Option<ObservedTask>, ConnectorError> {
        let obs = self.observe(None).await?;
        Ok(obs
            .tasks
            .into_iter()
            .find(|t| t.identity.as_deref() == Some(identity)))
    }
}
