//! A [`Change`] borrowed by kind, each kind one small struct, so that a connector's per-kind
//! methods take one value instead of every connector spelling out the same six-field pattern.

use crate::{Change, DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields};

/// One change, by kind ([`Change::view`]).
#[derive(Debug, Clone, Copy)]
pub enum ChangeView<'c> {
    /// [`Change::CreateTask`]: the task as it should look, entries included.
    CreateTask(&'c DesiredTask),
    /// [`Change::UpdateTask`].
    UpdateTask(TaskUpdate<'c>),
    /// [`Change::ArchiveTask`].
    ArchiveTask(TaskArchive<'c>),
    /// [`Change::CreateEntry`].
    CreateEntry(EntryCreate<'c>),
    /// [`Change::UpdateEntry`].
    UpdateEntry(EntryUpdate<'c>),
    /// [`Change::ArchiveEntry`].
    ArchiveEntry(EntryArchive<'c>),
}

/// Bring a task's fields and/or state to these values.
#[derive(Debug, Clone, Copy)]
pub struct TaskUpdate<'c> {
    /// The tool's id for the task's object.
    pub remote_id: &'c str,
    /// The task's identity (`item/stage`).
    pub identity: &'c str,
    /// Where the task belongs (its item, process, channel, blocked reason).
    pub context: &'c TaskContext,
    /// The fields to write; `None`: leave them as they are.
    pub fields: Option<&'c TaskFields>,
    /// The fields as last observed, to compare with `fields`.
    pub previous: Option<&'c TaskFields>,
    /// The state to write; `None`: leave it as it is.
    pub state: Option<State>,
    /// Bring an archived object back.
    pub unarchive: bool,
}

/// Archive a task the hub no longer has.
#[derive(Debug, Clone, Copy)]
pub struct TaskArchive<'c> {
    /// The tool's id for the task's object.
    pub remote_id: &'c str,
    /// The task's identity (`item/stage`).
    pub identity: &'c str,
    /// Where the task belongs.
    pub context: &'c TaskContext,
}

/// Add a checklist entry to a task that already exists in the tool.
#[derive(Debug, Clone, Copy)]
pub struct EntryCreate<'c> {
    /// The tool's id for the task the entry goes in.
    pub parent_remote_id: &'c str,
    /// The task's identity (`item/stage`).
    pub parent_identity: &'c str,
    /// The task's context.
    pub context: &'c TaskContext,
    /// Where the entry goes among its siblings.
    pub index: usize,
    /// The entry as it should look.
    pub entry: &'c DesiredEntry,
}

/// Bring a checklist entry's fields and/or tick to these values.
#[derive(Debug, Clone, Copy)]
pub struct EntryUpdate<'c> {
    /// The tool's id for the task the entry is in.
    pub parent_remote_id: &'c str,
    /// The tool's id for the entry.
    pub remote_id: &'c str,
    /// The entry's identity (`item/stage/key`).
    pub identity: &'c str,
    /// The fields to write; `None`: leave them as they are.
    pub fields: Option<&'c EntryFields>,
    /// The tick to write; `None`: leave it as it is.
    pub checked: Option<bool>,
    /// Bring an archived entry back.
    pub unarchive: bool,
}

/// Archive a checklist entry the hub no longer has.
#[derive(Debug, Clone, Copy)]
pub struct EntryArchive<'c> {
    /// The tool's id for the task the entry is in.
    pub parent_remote_id: &'c str,
    /// The tool's id for the entry.
    pub remote_id: &'c str,
    /// The entry's identity (`item/stage/key`).
    pub identity: &'c str,
}

impl Change {
    /// The tool's existing objects the change writes to: the task, or the entry and its task
    /// (a create names only the parent it goes under, if any).
    pub fn objects(&self) -> Vec<&str> {
        match self.view() {
            ChangeView::CreateTask(_) => Vec::new(),
            ChangeView::UpdateTask(u) => vec![u.remote_id],
            ChangeView::ArchiveTask(a) => vec![a.remote_id],
            ChangeView::CreateEntry(c) => vec![c.parent_remote_id],
            ChangeView::UpdateEntry(u) => vec![u.parent_remote_id, u.remote_id],
            ChangeView::ArchiveEntry(a) => vec![a.parent_remote_id, a.remote_id],
        }
    }

    /// The change by kind, borrowed.
    pub fn view(&self) -> ChangeView<'_> {
        match self {
            Change::CreateTask { task } => ChangeView::CreateTask(task),
            Change::UpdateTask {
                remote_id,
                identity,
                context,
                fields,
                previous,
                state,
                unarchive,
            } => ChangeView::UpdateTask(TaskUpdate {
                remote_id,
                identity,
                context,
                fields: fields.as_ref(),
                previous: previous.as_ref(),
                state: *state,
                unarchive: *unarchive,
            }),
            Change::ArchiveTask {
                remote_id,
                identity,
                context,
            } => ChangeView::ArchiveTask(TaskArchive {
                remote_id,
                identity,
                context,
            }),
            Change::CreateEntry {
                parent_remote_id,
                parent_identity,
                context,
                index,
                entry,
            } => ChangeView::CreateEntry(EntryCreate {
                parent_remote_id,
                parent_identity,
                context,
                index: *index,
                entry,
            }),
            Change::UpdateEntry {
                parent_remote_id,
                remote_id,
                identity,
                fields,
                checked,
                unarchive,
            } => ChangeView::UpdateEntry(EntryUpdate {
                parent_remote_id,
                remote_id,
                identity,
                fields: fields.as_ref(),
                checked: *checked,
                unarchive: *unarchive,
            }),
            Change::ArchiveEntry {
                parent_remote_id,
                remote_id,
                identity,
            } => ChangeView::ArchiveEntry(EntryArchive {
                parent_remote_id,
                remote_id,
                identity,
            }),
        }
    }
}
