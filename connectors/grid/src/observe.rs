//! An observation of a grid: every task row with its entry rows, as people left them.

use jiff::Timestamp;
use throughline_connector::{ObservedEntry, ObservedTask, State, StatusCells};

use crate::index::{Index, TaskRow};
use crate::rows::{RowRead, version_of};

/// The tasks of `index`: `read` reads a row (by identity and place) and the state it stands
/// for; `status_cells` says what a task row's state cells hold beyond that.
pub fn observe<L: Copy>(
    index: &Index<L>,
    modified: Option<Timestamp>,
    read: impl Fn(&str, L) -> (RowRead, State),
    status_cells: impl Fn(&TaskRow<L>, &RowRead) -> StatusCells,
) -> Vec<ObservedTask> {
    index
        .tasks
        .iter()
        .map(|t| {
            let (row, state) = read(&t.identity, t.loc);
            let fields = row.task_fields();
            let archived = row.archived();
            let entries = t
                .entries
                .iter()
                .map(|e| {
                    let (row, state) = read(&e.identity, e.loc);
                    ObservedEntry {
                        remote_id: e.remote_id.clone(),
                        identity: Some(e.identity.clone()),
                        fields: row.entry_fields(),
                        checked: state == State::Done,
                        archived: row.archived(),
                        modified,
                        modified_by: None,
                    }
                })
                .collect();
            ObservedTask {
                remote_id: t.remote_id.clone(),
                identity: Some(t.identity.clone()),
                version: Some(task_version(&fields, state, archived)),
                status_cells: status_cells(t, &row),
                fields,
                state,
                archived,
                modified,
                modified_by: None,
                entries,
            }
        })
        .collect()
}

/// A task row's version: what it said, to notice a person's edit.
pub fn task_version(
    fields: &throughline_connector::TaskFields,
    state: State,
    archived: bool,
) -> String {
    version_of(&(fields, state, archived))
}

/// An entry row's version.
pub fn entry_version(
    fields: &throughline_connector::EntryFields,
    checked: bool,
    archived: bool,
) -> String {
    version_of(&(fields, checked, archived))
}
