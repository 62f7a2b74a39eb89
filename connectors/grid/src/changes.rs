//! A change of the engine as a grid connector applies it: each kind with just what a sheet
//! needs, borrowed from the [`Change`], so the connectors' per-kind methods take one value
//! instead of six fields.

use throughline_connector::{
    Applied, Capabilities, Change, DesiredEntry, DesiredTask, EntryFields, State, StateSupport,
    TaskContext, TaskFields,
};

use crate::mapping::{Field, GridMapping};

/// One change, by kind.
#[derive(Debug, Clone, Copy)]
pub enum GridChange<'c> {
    /// Make a task's row (and its entries' rows), or take over the row already there.
    CreateTask(&'c DesiredTask),
    /// Bring a task row's cells to these values.
    UpdateTask(TaskUpdate<'c>),
    /// Mark a task row archived (it is kept).
    ArchiveTask {
        /// The row's remote id.
        remote_id: &'c str,
    },
    /// Make a checklist entry's row under its task.
    CreateEntry(EntryCreate<'c>),
    /// Bring an entry row's cells to these values.
    UpdateEntry(EntryUpdate<'c>),
    /// Mark an entry row archived (it is kept).
    ArchiveEntry {
        /// The row's remote id.
        remote_id: &'c str,
    },
}

/// [`Change::UpdateTask`] as a sheet applies it.
#[derive(Debug, Clone, Copy)]
pub struct TaskUpdate<'c> {
    /// The row's remote id.
    pub remote_id: &'c str,
    /// The task's identity.
    pub identity: &'c str,
    /// Its item and process (the item title is shown on its rows).
    pub context: &'c TaskContext,
    /// New field values, if any.
    pub fields: Option<&'c TaskFields>,
    /// New state, if any.
    pub state: Option<State>,
    /// Bring an archived row back.
    pub unarchive: bool,
}

/// [`Change::CreateEntry`] as a sheet applies it.
#[derive(Debug, Clone, Copy)]
pub struct EntryCreate<'c> {
    /// The task row's remote id.
    pub parent_remote_id: &'c str,
    /// The task's identity, as the engine knows it.
    pub parent_identity: &'c str,
    /// Where the entry goes among its siblings.
    pub index: usize,
    /// The entry.
    pub entry: &'c DesiredEntry,
}

/// [`Change::UpdateEntry`] as a sheet applies it.
#[derive(Debug, Clone, Copy)]
pub struct EntryUpdate<'c> {
    /// The task row's remote id.
    pub parent_remote_id: &'c str,
    /// The entry row's remote id.
    pub remote_id: &'c str,
    /// New field values, if any.
    pub fields: Option<&'c EntryFields>,
    /// Checked or not, if that changes.
    pub checked: Option<bool>,
    /// Bring an archived row back.
    pub unarchive: bool,
}

impl<'c> GridChange<'c> {
    /// The change by kind.
    pub fn of(change: &'c Change) -> GridChange<'c> {
        match change {
            Change::CreateTask { task } => GridChange::CreateTask(task),
            Change::UpdateTask {
                remote_id,
                identity,
                context,
                fields,
                state,
                unarchive,
                ..
            } => GridChange::UpdateTask(TaskUpdate {
                remote_id,
                identity,
                context,
                fields: fields.as_ref(),
                state: *state,
                unarchive: *unarchive,
            }),
            Change::ArchiveTask { remote_id, .. } => GridChange::ArchiveTask { remote_id },
            Change::CreateEntry {
                parent_remote_id,
                parent_identity,
                index,
                entry,
                ..
            } => GridChange::CreateEntry(EntryCreate {
                parent_remote_id,
                parent_identity,
                index: *index,
                entry,
            }),
            Change::UpdateEntry {
                parent_remote_id,
                remote_id,
                fields,
                checked,
                unarchive,
                ..
            } => GridChange::UpdateEntry(EntryUpdate {
                parent_remote_id,
                remote_id,
                fields: fields.as_ref(),
                checked: *checked,
                unarchive: *unarchive,
            }),
            Change::ArchiveEntry { remote_id, .. } => GridChange::ArchiveEntry { remote_id },
        }
    }
}

/// What a made entry row is answered with: its identity is its remote id.
pub fn entry_created(remote_id: String) -> Applied {
    Applied::Created {
        remote_id,
        entries: Vec::new(),
        version: None,
    }
}

/// What a grid holds: every field its mapping has a column for, changes of any number at
/// once (one write per cycle).
pub fn capabilities(mapping: &GridMapping, states: StateSupport) -> Capabilities {
    let has = |f| mapping.has(f);
    Capabilities {
        states,
        description: has(Field::Description),
        owner: has(Field::Owner),
        start: has(Field::Start),
        due: has(Field::Due),
        entry_owner: has(Field::Owner),
        entry_due: has(Field::Due),
        batch_size: usize::MAX,
    }
}
