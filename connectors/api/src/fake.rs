//! An in-memory target for tests of the engine: a faithful [`Connector`] plus a handle that
//! plays the people working in the tool, counts calls and injects faults.
//!
//! ```
//! use throughline_connector::fake::{ChangeFilter, FakeTarget};
//! use throughline_connector::{ConnectorError, StateSupport};
//!
//! let target = FakeTarget::new("board", StateSupport::DoneOrNot);
//! let connector = target.connector(); // hand this to the engine
//! target.fail_next_calls(1, ConnectorError::Retryable { message: "502".into() });
//! target.lose_reply(ChangeFilter::Identity("post/draft".into()), ConnectorError::Retryable {
//!     message: "connection reset".into(),
//! });
//! # drop(connector);
//! ```
//!
//! Every [`FakeConnector`] made from one [`FakeTarget`] works on the same objects, so a new
//! connector stands for the process restarting. The fake behaves like a naive remote API: it
//! creates whatever it is asked to, duplicates included, so the engine's guards are what tests
//! exercise. Remote ids are `fake-1`, `fake-2`, ... in creation order, tasks and entries alike.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::change_view::{ChangeView, EntryCreate, EntryUpdate};
use crate::conformance::Harness;
use crate::{
    Applied, Capabilities, Change, ChangeKind, Connector, ConnectorError, DesiredEntry,
    DesiredTask, EntryFields, Identity, Observation, ObservedEntry, ObservedTask, RemoteId, State,
    StateSupport, StatusCells, TaskFields,
};

/// The fake tool's clock starts here and moves one second per write, so observations are
/// deterministic.
const EPOCH: Timestamp = Timestamp::constant(1_735_689_600, 0); // 2025-01-01T00:00:00Z

/// Which changes a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeFilter {
    /// Changes to the task or entry with this identity.
    Identity(Identity),
    /// Changes of this kind.
    Kind(ChangeKind),
    /// Every change.
    Any,
}

impl ChangeFilter {
    fn matches(&self, change: &Change) -> bool {
        match self {
            ChangeFilter::Identity(id) => change.identity() == id,
            ChangeFilter::Kind(kind) => change.kind() == *kind,
            ChangeFilter::Any => true,
        }
    }
}

/// Calls the engine made, counted since the target was made or [`FakeTarget::reset_calls`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// [`Connector::observe`] calls.
    pub observe: usize,
    /// [`Connector::apply`] calls.
    pub apply: usize,
    /// [`Connector::find`] calls.
    pub find: usize,
    /// [`Connector::people_with_accounts`] questions.
    pub people: usize,
    /// Changes received by kind, failed ones included.
    pub changes: BTreeMap<ChangeKind, usize>,
}

impl CallCounts {
    /// Every call, whatever its kind.
    pub fn total(&self) -> usize {
        self.observe + self.apply + self.find + self.people
    }

    /// Changes of this kind received, failed ones included.
    pub fn changes_of(&self, kind: ChangeKind) -> usize {
        self.changes.get(&kind).copied().unwrap_or(0)
    }

    /// Changes received, of every kind.
    pub fn all_changes(&self) -> usize {
        self.changes.values().sum()
    }
}

/// A task as the fake tool holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Task {
    remote_id: RemoteId,
    identity: Option<Identity>,
    fields: TaskFields,
    state: State,
    /// A blocked task's reason, where the tool holds blocked.
    reason: Option<String>,
    /// The tool has a place for reasons (it holds blocked).
    holds_reason: bool,
    archived: bool,
    version: u64,
    modified: Timestamp,
    modified_by: Option<String>,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    remote_id: RemoteId,
    identity: Option<Identity>,
    fields: EntryFields,
    checked: bool,
    archived: bool,
    modified: Timestamp,
    modified_by: Option<String>,
}

#[derive(Debug)]
struct ChangeFault {
    filter: ChangeFilter,
    error: ConnectorError,
    /// Applied remotely anyway, then reported as failed (the lost reply).
    applied: bool,
    /// `None`: every time until cleared.
    remaining: Option<usize>,
}

#[derive(Debug, Default)]
struct Faults {
    /// Errors for the next calls, one per call.
    next_calls: VecDeque<ConnectorError>,
    /// Errors for specific call numbers (1-based, all calls counted).
    at_call: BTreeMap<usize, ConnectorError>,
    changes: Vec<ChangeFault>,
    empty_observations: usize,
}

#[derive(Debug)]
struct Inner {
    target: String,
    capabilities: Capabilities,
    tasks: Vec<Task>,
    next_id: u64,
    clock: u64,
    /// Who the next person actions are attributed to.
    actor: Option<String>,
    calls: CallCounts,
    calls_made: usize,
    faults: Faults,
    /// The people with an account in the tool; `None`: everyone (owners written as text).
    accounts: Option<BTreeSet<String>>,
}

/// The shared state of one fake target. Cloning gives another handle on the same target.
#[derive(Debug, Clone)]
pub struct FakeTarget {
    inner: Arc<Mutex<Inner>>,
}

/// A [`Connector`] on a [`FakeTarget`].
#[derive(Debug)]
pub struct FakeConnector {
    target: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeTarget {
    /// An empty target that holds every field, with the given task states.
    pub fn new(target: impl Into<String>, states: StateSupport) -> Self {
        Self::with_capabilities(
            target,
            Capabilities {
                states,
                description: true,
                owner: true,
                start: true,
                due: true,
                entry_owner: true,
                entry_due: true,
                batch_size: 50,
            },
        )
    }

    /// An empty target that holds what `capabilities` says (the fields and the task states).
    pub fn with_capabilities(target: impl Into<String>, capabilities: Capabilities) -> Self {
        FakeTarget {
            inner: Arc::new(Mutex::new(Inner {
                target: target.into(),
                capabilities,
                tasks: Vec::new(),
                next_id: 1,
                clock: 0,
                actor: Some("person@example.com".to_owned()),
                calls: CallCounts::default(),
                calls_made: 0,
                faults: Faults::default(),
                accounts: None,
            })),
        }
    }

    /// A connector on this target (a new one stands for a restarted process).
    pub fn connector(&self) -> FakeConnector {
        let target = self.lock().target.clone();
        FakeConnector {
            target,
            inner: Arc::clone(&self.inner),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide the target from the assertions that follow.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    // --- A person working in the tool -------------------------------------------------------

    /// Attribute the following person actions to this person (`None`: the tool does not say).
    pub fn set_actor(&self, person: Option<&str>) {
        self.lock().actor = person.map(str::to_owned);
    }

    /// A person sets a task's state (as the tool can hold it).
    ///
    /// # Panics
    /// When no task has this identity: the test is wrong.
    pub fn set_state(&self, identity: &str, state: State) {
        let mut inner = self.lock();
        let state = inner.capabilities.state(state);
        inner.person_edits_task(identity, |t| {
            t.state = state;
            t.reason = None;
        });
    }

    /// A person blocks a task, giving a reason (where the tool holds blocked; elsewhere the
    /// task reads as to do).
    pub fn set_blocked(&self, identity: &str, reason: Option<&str>) {
        let mut inner = self.lock();
        let state = inner.capabilities.state(State::Blocked);
        inner.person_edits_task(identity, |t| {
            t.state = state;
            t.reason = reason
                .filter(|_| state == State::Blocked)
                .map(str::to_owned);
        });
    }

    /// A person edits a task's fields in the tool (drift of hub-owned fields).
    pub fn edit_task(&self, identity: &str, edit: impl FnOnce(&mut TaskFields)) {
        let mut inner = self.lock();
        let caps = inner.capabilities.clone();
        inner.person_edits_task(identity, |t| {
            edit(&mut t.fields);
            t.fields = caps.task_fields(&t.fields);
        });
    }

    /// A person archives a task in the tool.
    pub fn archive_task(&self, identity: &str) {
        self.lock()
            .person_edits_task(identity, |t| t.archived = true);
    }

    /// A person ticks or unticks a checklist entry.
    pub fn check_entry(&self, identity: &str, checked: bool) {
        self.lock()
            .person_edits_entry(identity, |e| e.checked = checked);
    }

    /// A person edits a checklist entry's fields (drift).
    pub fn edit_entry(&self, identity: &str, edit: impl FnOnce(&mut EntryFields)) {
        let mut inner = self.lock();
        let caps = inner.capabilities.clone();
        inner.person_edits_entry(identity, |e| {
            edit(&mut e.fields);
            e.fields = caps.entry_fields(&e.fields);
        });
    }

    /// A person deletes a task or entry outright (every object with this identity). Returns
    /// how many objects went.
    pub fn delete(&self, identity: &str) -> usize {
        let mut inner = self.lock();
        let before = inner.object_count();
        inner
            .tasks
            .retain(|t| t.identity.as_deref() != Some(identity));
        for task in &mut inner.tasks {
            task.entries
                .retain(|e| e.identity.as_deref() != Some(identity));
        }
        before - inner.object_count()
    }

    /// A person (or another program) adds a task: with `identity` it carries a marker the hub
    /// may not know, without it it is an ordinary task that is not throughline's.
    pub fn add_task(&self, identity: Option<&str>, fields: TaskFields, state: State) -> RemoteId {
        let mut inner = self.lock();
        let remote_id = inner.new_id();
        let modified = inner.tick();
        let task = Task {
            remote_id: remote_id.clone(),
            identity: identity.map(str::to_owned),
            fields: inner.capabilities.task_fields(&fields),
            state: inner.capabilities.state(state),
            reason: None,
            holds_reason: inner.capabilities.states != StateSupport::DoneOrNot,
            archived: false,
            version: 1,
            modified,
            modified_by: inner.actor.clone(),
            entries: Vec::new(),
        };
        inner.tasks.push(task);
        remote_id
    }

    // --- Looking at the target --------------------------------------------------------------

    /// Everything the target holds, archived objects included, in creation order.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock();
        Snapshot {
            tasks: inner.tasks.iter().map(Task::observed).collect(),
        }
    }

    /// The remote id of the (first) task or entry with this identity.
    pub fn remote_id(&self, identity: &str) -> Option<RemoteId> {
        let inner = self.lock();
        inner.tasks.iter().find_map(|t| {
            if t.identity.as_deref() == Some(identity) {
                return Some(t.remote_id.clone());
            }
            t.entries
                .iter()
                .find(|e| e.identity.as_deref() == Some(identity))
                .map(|e| e.remote_id.clone())
        })
    }

    /// What this target holds, as its connectors report it.
    pub fn capabilities(&self) -> Capabilities {
        self.lock().capabilities.clone()
    }

    /// Only these people (as the hub names them) have an account in the tool, as on a board
    /// with members; `None` (the start): everyone, as in a workbook.
    pub fn set_accounts(&self, people: Option<&[&str]>) {
        self.lock().accounts = people.map(|p| p.iter().map(|s| s.to_string()).collect());
    }

    /// The calls counted so far (see [`FakeTarget::reset_calls`]).
    pub fn calls(&self) -> CallCounts {
        self.lock().calls.clone()
    }

    /// Start counting again (call numbers for [`FakeTarget::fail_call`] keep counting).
    pub fn reset_calls(&self) {
        self.lock().calls = CallCounts::default();
    }

    // --- Faults -----------------------------------------------------------------------------

    /// The next `n` calls (observe, apply or find) fail with `error`. A failed apply returns
    /// `error` for every change and changes nothing.
    pub fn fail_next_calls(&self, n: usize, error: ConnectorError) {
        let mut inner = self.lock();
        inner
            .faults
            .next_calls
            .extend(std::iter::repeat_n(error, n));
    }

    /// The call with this number fails, counting every call since the target was made from 1.
    /// See [`FakeTarget::calls_made`].
    pub fn fail_call(&self, number: usize, error: ConnectorError) {
        self.lock().faults.at_call.insert(number, error);
    }

    /// How many calls were made so far (the number of the next call is this plus one).
    pub fn calls_made(&self) -> usize {
        self.lock().calls_made
    }

    /// The next change that matches fails with `error` and changes nothing.
    pub fn fail_change(&self, filter: ChangeFilter, error: ConnectorError) {
        self.add_change_fault(filter, error, false, Some(1));
    }

    /// Every change that matches fails until [`FakeTarget::clear_faults`].
    pub fn fail_changes(&self, filter: ChangeFilter, error: ConnectorError) {
        self.add_change_fault(filter, error, false, None);
    }

    /// The next change that matches is made in the tool, but the reply is lost: the connector
    /// reports `error`. A create then leaves an object the engine has no remote id for.
    pub fn lose_reply(&self, filter: ChangeFilter, error: ConnectorError) {
        self.add_change_fault(filter, error, true, Some(1));
    }

    /// The next `n` observations come back empty, as a tool with a broken view or a wrong
    /// target would answer.
    pub fn empty_observations(&self, n: usize) {
        self.lock().faults.empty_observations += n;
    }

    /// Drop every fault set so far: calls and changes succeed again.
    pub fn clear_faults(&self) {
        self.lock().faults = Faults::default();
    }

    fn add_change_fault(
        &self,
        filter: ChangeFilter,
        error: ConnectorError,
        applied: bool,
        remaining: Option<usize>,
    ) {
        self.lock().faults.changes.push(ChangeFault {
            filter,
            error,
            applied,
            remaining,
        });
    }
}

/// All objects of a fake target at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Every task, archived ones included, in creation order, as [`Connector::observe`] would
    /// report them.
    pub tasks: Vec<ObservedTask>,
}

/// A task's content without the tool's bookkeeping (remote ids, versions, times), to compare
/// the end states of two runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaskContent {
    /// The identity found in the object; `None` when it carries none.
    pub identity: Option<Identity>,
    /// The task's title.
    pub title: String,
    /// The task's description.
    pub description: String,
    /// The stage's place in the tool (see [`TaskFields::group`]).
    pub group: String,
    /// The task's owner, as the hub names people.
    pub owner: Option<String>,
    /// The task's start date.
    pub start: Option<jiff::civil::Date>,
    /// The task's due date.
    pub due: Option<jiff::civil::Date>,
    /// Where the task stands, as the target holds it.
    pub state: State,
    /// The task is archived.
    pub archived: bool,
    /// The task's checklist entries, in their order in the tool.
    pub entries: Vec<EntryContent>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
/// A checklist entry's content without the tool's bookkeeping; see [`TaskContent`].
pub struct EntryContent {
    /// The identity found in the entry; `None` when it carries none.
    pub identity: Option<Identity>,
    /// The entry's text.
    pub text: String,
    /// The entry's owner, as the hub names people.
    pub owner: Option<String>,
    /// The entry's due date.
    pub due: Option<jiff::civil::Date>,
    /// The entry is ticked off.
    pub checked: bool,
    /// The entry is archived.
    pub archived: bool,
}

impl Snapshot {
    /// The content of every task, sorted, entries in their order.
    pub fn content(&self) -> Vec<TaskContent> {
        let mut content: Vec<TaskContent> = self
            .tasks
            .iter()
            .map(|t| TaskContent {
                identity: t.identity.clone(),
                title: t.fields.title.clone(),
                description: t.fields.description.clone(),
                group: t.fields.group.clone(),
                owner: t.fields.owner.clone(),
                start: t.fields.start,
                due: t.fields.due,
                state: t.state,
                archived: t.archived,
                entries: t
                    .entries
                    .iter()
                    .map(|e| EntryContent {
                        identity: e.identity.clone(),
                        text: e.fields.text.clone(),
                        owner: e.fields.owner.clone(),
                        due: e.fields.due,
                        checked: e.checked,
                        archived: e.archived,
                    })
                    .collect(),
            })
            .collect();
        content.sort();
        content
    }

    /// Identities carried by more than one task or entry, sorted.
    pub fn duplicates(&self) -> Vec<Identity> {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for task in &self.tasks {
            let ids =
                std::iter::once(&task.identity).chain(task.entries.iter().map(|e| &e.identity));
            for id in ids.flatten() {
                *seen.entry(id).or_default() += 1;
            }
        }
        seen.into_iter()
            .filter(|&(_, n)| n > 1)
            .map(|(id, _)| id.to_owned())
            .collect()
    }

    /// The task with this identity (the first, if duplicated).
    pub fn task(&self, identity: &str) -> Option<&ObservedTask> {
        self.tasks
            .iter()
            .find(|t| t.identity.as_deref() == Some(identity))
    }
}

impl Task {
    fn observed(&self) -> ObservedTask {
        ObservedTask {
            remote_id: self.remote_id.clone(),
            identity: self.identity.clone(),
            fields: self.fields.clone(),
            state: self.state,
            archived: self.archived,
            version: Some(self.version.to_string()),
            modified: Some(self.modified),
            modified_by: self.modified_by.clone(),
            entries: self
                .entries
                .iter()
                .map(|e| ObservedEntry {
                    remote_id: e.remote_id.clone(),
                    identity: e.identity.clone(),
                    fields: e.fields.clone(),
                    checked: e.checked,
                    archived: e.archived,
                    modified: Some(e.modified),
                    modified_by: e.modified_by.clone(),
                })
                .collect(),
            status_cells: StatusCells {
                holds_reason: self.holds_reason,
                blocked_reason: self.reason.clone().filter(|_| self.state == State::Blocked),
                ..Default::default()
            },
        }
    }
}

enum CallKind {
    Observe,
    Apply,
    Find,
    People,
}

impl Inner {
    fn new_id(&mut self) -> RemoteId {
        let id = format!("fake-{}", self.next_id);
        self.next_id += 1;
        id
    }

    fn tick(&mut self) -> Timestamp {
        self.clock += 1;
        let seconds = i64::try_from(self.clock).unwrap_or(i64::MAX);
        EPOCH
            .saturating_add(SignedDuration::from_secs(seconds))
            .unwrap_or(EPOCH)
    }

    fn object_count(&self) -> usize {
        self.tasks.iter().map(|t| 1 + t.entries.len()).sum()
    }

    /// Count a call and return the fault it must fail with, if any.
    fn begin_call(&mut self, kind: CallKind) -> Option<ConnectorError> {
        self.calls_made += 1;
        match kind {
            CallKind::Observe => self.calls.observe += 1,
            CallKind::Apply => self.calls.apply += 1,
            CallKind::Find => self.calls.find += 1,
            CallKind::People => self.calls.people += 1,
        }
        let at = self.faults.at_call.remove(&self.calls_made);
        let next = self.faults.next_calls.pop_front();
        at.or(next)
    }

    fn person_edits_task(&mut self, identity: &str, edit: impl FnOnce(&mut Task)) {
        let modified = self.tick();
        let actor = self.actor.clone();
        let task = self
            .tasks
            .iter_mut()
            .find(|t| t.identity.as_deref() == Some(identity))
            .unwrap_or_else(|| panic!("the fake target holds no task `{identity}`"));
        edit(task);
        task.version += 1;
        task.modified = modified;
        task.modified_by = actor;
    }

    fn person_edits_entry(&mut self, identity: &str, edit: impl FnOnce(&mut Entry)) {
        let modified = self.tick();
        let actor = self.actor.clone();
        let (task, index) = self
            .tasks
            .iter_mut()
            .find_map(|t| {
                let i = t
                    .entries
                    .iter()
                    .position(|e| e.identity.as_deref() == Some(identity))?;
                Some((t, i))
            })
            .unwrap_or_else(|| panic!("the fake target holds no checklist entry `{identity}`"));
        let entry = &mut task.entries[index];
        edit(entry);
        entry.modified = modified;
        entry.modified_by = actor;
        task.version += 1;
    }

    fn observe(&mut self) -> Observation {
        let empty = self.faults.empty_observations > 0;
        if empty {
            self.faults.empty_observations -= 1;
        }
        let tasks = if empty {
            Vec::new()
        } else {
            self.tasks.iter().map(Task::observed).collect()
        };
        Observation {
            tasks,
            cursor: Some(serde_json::json!({ "clock": self.clock })),
        }
    }

    /// The fault for this change, if one matches; consumes it.
    fn change_fault(&mut self, change: &Change) -> Option<(ConnectorError, bool)> {
        let faults = &mut self.faults.changes;
        let i = faults.iter().position(|f| f.filter.matches(change))?;
        let fault = &mut faults[i];
        let found = (fault.error.clone(), fault.applied);
        if let Some(n) = &mut fault.remaining {
            *n -= 1;
            if *n == 0 {
                faults.remove(i);
            }
        }
        Some(found)
    }

    fn task_mut(&mut self, remote_id: &str) -> Result<&mut Task, ConnectorError> {
        let target = &self.target;
        self.tasks
            .iter_mut()
            .find(|t| t.remote_id == remote_id)
            .ok_or_else(|| ConnectorError::NotFound {
                what: format!("task {remote_id} in {target}"),
            })
    }

    fn new_entry(&mut self, entry: &DesiredEntry, modified: Timestamp) -> Entry {
        Entry {
            remote_id: self.new_id(),
            identity: Some(entry.identity.clone()),
            fields: self.capabilities.entry_fields(&entry.fields),
            checked: entry.checked,
            archived: false,
            modified,
            modified_by: None,
        }
    }

    fn create_task(&mut self, desired: &DesiredTask, modified: Timestamp) -> Applied {
        let remote_id = self.new_id();
        let entries: Vec<Entry> = desired
            .entries
            .iter()
            .map(|e| self.new_entry(e, modified))
            .collect();
        let created = entries
            .iter()
            .map(|e| (e.identity.clone().unwrap_or_default(), e.remote_id.clone()))
            .collect();
        self.tasks.push(Task {
            remote_id: remote_id.clone(),
            identity: Some(desired.identity.clone()),
            fields: self.capabilities.task_fields(&desired.fields),
            state: self.capabilities.state(desired.state),
            reason: desired.context.blocked_reason.clone(),
            holds_reason: self.capabilities.states != StateSupport::DoneOrNot,
            archived: false,
            version: 1,
            modified,
            modified_by: None,
            entries,
        });
        Applied::Created {
            remote_id,
            entries: created,
            version: Some("1".to_owned()),
        }
    }

    /// A checklist entry added at `index` (at the end when past it).
    fn create_entry(
        &mut self,
        c: EntryCreate<'_>,
        modified: Timestamp,
    ) -> Result<Applied, ConnectorError> {
        self.task_mut(c.parent_remote_id)?;
        let entry = self.new_entry(c.entry, modified);
        let remote_id = entry.remote_id.clone();
        let task = self.task_mut(c.parent_remote_id)?;
        let at = c.index.min(task.entries.len());
        task.entries.insert(at, entry);
        task.touch(modified);
        Ok(Applied::Created {
            remote_id,
            entries: Vec::new(),
            version: Some(task.version.to_string()),
        })
    }

    /// What an `UpdateEntry` names, and nothing else, changed on the entry.
    fn update_entry(
        &mut self,
        u: EntryUpdate<'_>,
        modified: Timestamp,
    ) -> Result<Applied, ConnectorError> {
        let caps = self.capabilities.clone();
        let task = self.task_mut(u.parent_remote_id)?;
        let entry = task.entry_mut(u.remote_id)?;
        if let Some(fields) = u.fields {
            entry.fields = caps.entry_fields(fields);
        }
        if let Some(checked) = u.checked {
            entry.checked = checked;
        }
        if u.unarchive {
            entry.archived = false;
        }
        entry.modified = modified;
        entry.modified_by = None;
        task.touch(modified);
        Ok(Applied::Updated {
            version: Some(task.version.to_string()),
        })
    }

    fn apply_one(&mut self, change: &Change) -> Result<Applied, ConnectorError> {
        let modified = self.tick();
        let caps = self.capabilities.clone();
        match change.view() {
            ChangeView::CreateTask(task) => Ok(self.create_task(task, modified)),
            ChangeView::UpdateTask(u) => {
                let task = self.task_mut(u.remote_id)?;
                if let Some(fields) = u.fields {
                    task.fields = caps.task_fields(fields);
                }
                if let Some(state) = u.state {
                    task.state = caps.state(state);
                    task.reason = u.context.blocked_reason.clone();
                }
                if u.unarchive {
                    task.archived = false;
                }
                task.touch(modified);
                Ok(Applied::Updated {
                    version: Some(task.version.to_string()),
                })
            }
            ChangeView::ArchiveTask(a) => {
                let task = self.task_mut(a.remote_id)?;
                task.archived = true;
                task.touch(modified);
                Ok(Applied::Archived)
            }
            ChangeView::CreateEntry(c) => self.create_entry(c, modified),
            ChangeView::UpdateEntry(u) => self.update_entry(u, modified),
            ChangeView::ArchiveEntry(a) => {
                let task = self.task_mut(a.parent_remote_id)?;
                let entry = task.entry_mut(a.remote_id)?;
                entry.archived = true;
                entry.modified = modified;
                entry.modified_by = None;
                task.touch(modified);
                Ok(Applied::Archived)
            }
        }
    }
}

impl Task {
    fn touch(&mut self, modified: Timestamp) {
        self.version += 1;
        self.modified = modified;
        self.modified_by = None;
    }

    fn entry_mut(&mut self, remote_id: &str) -> Result<&mut Entry, ConnectorError> {
        let task = &self.remote_id;
        self.entries
            .iter_mut()
            .find(|e| e.remote_id == remote_id)
            .ok_or_else(|| ConnectorError::NotFound {
                what: format!("checklist entry {remote_id} of task {task}"),
            })
    }
}

impl FakeConnector {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Connector for FakeConnector {
    fn target(&self) -> &str {
        &self.target
    }

    fn capabilities(&self) -> Capabilities {
        self.lock().capabilities.clone()
    }

    async fn observe(
        &mut self,
        _cursor: Option<serde_json::Value>,
    ) -> Result<Observation, ConnectorError> {
        let mut inner = self.lock();
        if let Some(error) = inner.begin_call(CallKind::Observe) {
            return Err(error);
        }
        Ok(inner.observe())
    }

    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        let mut inner = self.lock();
        let call_fault = inner.begin_call(CallKind::Apply);
        for change in changes {
            *inner.calls.changes.entry(change.kind()).or_default() += 1;
        }
        if let Some(error) = call_fault {
            return changes.iter().map(|_| Err(error.clone())).collect();
        }
        changes
            .iter()
            .map(|change| match inner.change_fault(change) {
                None => inner.apply_one(change),
                Some((error, true)) => {
                    let _ = inner.apply_one(change);
                    Err(error)
                }
                Some((error, false)) => Err(error),
            })
            .collect()
    }

    async fn people_with_accounts(
        &mut self,
        people: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>, ConnectorError> {
        let mut inner = self.lock();
        if let Some(error) = inner.begin_call(CallKind::People) {
            return Err(error);
        }
        Ok(match &inner.accounts {
            None => people.clone(),
            Some(accounts) => people.intersection(accounts).cloned().collect(),
        })
    }

    async fn find(&mut self, identity: &str) -> Result<Option<ObservedTask>, ConnectorError> {
        let mut inner = self.lock();
        if let Some(error) = inner.begin_call(CallKind::Find) {
            return Err(error);
        }
        let task = inner
            .tasks
            .iter()
            .find(|t| t.identity.as_deref() == Some(identity));
        Ok(task.map(Task::observed))
    }
}

/// The fake runs the conformance suite like any connector.
#[async_trait]
impl Harness for FakeTarget {
    type C = FakeConnector;

    async fn connector(&mut self) -> FakeConnector {
        FakeTarget::connector(self)
    }

    async fn person_sets_state(&mut self, identity: &str, state: State) {
        self.set_state(identity, state);
    }

    async fn person_checks_entry(&mut self, identity: &str, checked: bool) {
        self.check_entry(identity, checked);
    }

    fn stranger(&self) -> Option<String> {
        self.lock()
            .accounts
            .as_ref()
            .map(|_| "stranger@example.invalid".to_owned())
    }
}
