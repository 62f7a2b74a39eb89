//! One `apply` planned as two requests: every structural change (new tabs, inserted rows,
//! developer metadata, formats, validation, protection) in one `spreadsheets:batchUpdate`, and
//! every cell value in one `values:batchUpdateByDataFilter`.
//!
//! Rows are addressed by their developer metadata id, never by position, so a sort between the
//! observation and the write cannot send a value to the wrong row. New rows are inserted and
//! given their metadata in the same (atomic) batch, so their positions are only ever used
//! inside that one request. Only rows that lost their metadata (found by the ID column) are
//! written by position, and get their metadata back in the same cycle.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};
use throughline_connector::{
    Applied, Change, ConnectorError, DesiredEntry, DesiredTask, EntryFields, State, TaskContext,
    TaskFields,
};

use throughline_connector::change_view::{
    ChangeView, EntryArchive, EntryCreate, EntryUpdate, TaskArchive, TaskUpdate,
};
use throughline_grid::{
    EntryWrite, RowChecks, StateWrite, StatusCell, Words, check_entry_identity, entry_created,
};

use crate::a1::{self, date_to_serial};
use crate::mapping::{Field, IdColumn, Language, SheetsMapping, numbered};
use crate::snapshot::{Layout, ROW_KEY, Row, Snapshot, TAB_KEY};
use crate::words::{Seen, text};

mod cells;
mod tabs;

/// Google's limit on the characters in one cell.
pub(crate) const MAX_CELL_CHARS: usize = 50_000;
/// The checks that fail one row's change alone, with Google's limits.
const CHECKS: RowChecks<'static> = RowChecks {
    max_chars: MAX_CELL_CHARS,
    cell: "a Google Sheets cell",
    home: "a spreadsheet row",
    place: "",
};
/// The first date a cell's serial number is read back as (the last is 9999-12-31, past any
/// date there is): an earlier one would be written as a bare number, and read back as none.
const FIRST_DATE: jiff::civil::Date = jiff::civil::Date::constant(1, 1, 1);

/// Which row a value write goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// A row carrying this developer metadata (existing, or created in this batch).
    Meta(i32),
    /// A row found by its ID cell only: tab, and row index at observation time.
    Position { tab: usize, row: u32 },
}

/// The cells of one row to write (column → value); other cells are left as they are.
#[derive(Debug, Clone)]
pub(crate) struct RowWrite {
    pub target: Target,
    pub cells: BTreeMap<u32, Value>,
}

/// What one change needs to have succeeded.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub result: Result<Applied, ConnectorError>,
    /// It needs the structure batch (new rows, a new tab).
    pub structural: bool,
    /// The rows it writes (indexes into [`Plan::writes`]).
    pub writes: Vec<usize>,
    /// State columns it writes, to remember once written.
    pub seen: Vec<(String, Seen)>,
}

/// A tab as this apply sees it: one of the snapshot's, or one it adds.
#[derive(Debug, Clone)]
pub(crate) struct TabPlan {
    pub sheet_id: i32,
    pub title: String,
    pub key: String,
    pub layout: Layout,
    pub row_count: u32,
    pub is_new: bool,
    pub rtl: bool,
    /// Where rows added at the end go (0-based).
    pub append_at: u32,
}

impl TabPlan {
    /// The column of a field, as the API counts columns.
    pub fn col(&self, field: Field) -> Option<u32> {
        self.layout.col(field).map(|c| c as u32)
    }

    /// The header row (0-based).
    pub fn header_row(&self) -> u32 {
        self.layout.header_row as u32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RowRef {
    Existing { tab: usize, row: usize },
    New { insert: usize },
}

#[derive(Debug, Clone)]
struct Insert {
    tab: usize,
    /// Inserted before this row (observation-time index).
    before: u32,
    seq: usize,
    metadata_id: i32,
    identity: String,
}

/// The two requests of one apply, and what each change needs from them.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub structure: Vec<Value>,
    pub writes: Vec<RowWrite>,
    pub outcomes: Vec<Outcome>,
    pub tabs: Vec<TabPlan>,
    /// Rows inserted per tab, by observation-time position: to find where an ID-only row is
    /// after the inserts.
    shifts: Vec<Vec<(u32, u32)>>,
}

impl Plan {
    /// The A1 range of a positional write, after (`inserted`) or without the batch's inserts.
    pub fn position_range(&self, tab: usize, row: u32, inserted: bool, last_col: u32) -> String {
        let shift = if inserted {
            tabs::shift(&self.shifts[tab], row)
        } else {
            0
        };
        let r = row + shift;
        format!(
            "{}!A{}:{}{}",
            a1::quoted(&self.tabs[tab].title),
            r + 1,
            a1::column_letters(last_col),
            r + 1
        )
    }
}

pub(crate) struct Planner<'a> {
    snap: &'a Snapshot,
    mapping: &'a SheetsMapping,
    words: Words<'a>,
    tabs: Vec<TabPlan>,
    tasks: HashMap<String, RowRef>,
    entries: HashMap<String, RowRef>,
    identities: HashMap<RowRef, String>,
    children: HashMap<String, Vec<RowRef>>,
    inserts: Vec<Insert>,
    writes: Vec<RowWrite>,
    write_at: HashMap<Target, usize>,
    used_ids: HashSet<i32>,
    used_sheet_ids: HashSet<i32>,
    setup: Vec<Value>,
    /// ID-only rows that get their metadata back: (tab, observation-time row, id, identity).
    repairs: Vec<(usize, u32, i32, String)>,
    /// Notes to put on (or, `None`, clear from) status cells: (tab, observation-time row,
    /// column, text).
    notes: Vec<(usize, u32, u32, Option<String>)>,
}

impl<'a> Planner<'a> {
    pub fn new(snap: &'a Snapshot, mapping: &'a SheetsMapping) -> Planner<'a> {
        let tabs = snap
            .tabs
            .iter()
            .map(|t| TabPlan {
                sheet_id: t.sheet_id,
                title: t.title.clone(),
                key: t.key.clone(),
                layout: t.layout.clone(),
                row_count: t.row_count,
                is_new: false,
                rtl: false,
                append_at: t
                    .last_used_row
                    .map_or(t.layout.header_row as u32 + 1, |r| r + 1)
                    .max(t.layout.header_row as u32 + 1)
                    .min(t.row_count),
            })
            .collect();
        let index = snap.index();
        let mut tasks = HashMap::new();
        let mut entries = HashMap::new();
        let mut identities = HashMap::new();
        let mut children: HashMap<String, Vec<RowRef>> = HashMap::new();
        for t in &index.tasks {
            let r = RowRef::Existing {
                tab: t.loc.tab,
                row: t.loc.row,
            };
            let kids = children.entry(t.remote_id.clone()).or_default();
            for e in &t.entries {
                let er = RowRef::Existing {
                    tab: e.loc.tab,
                    row: e.loc.row,
                };
                kids.push(er);
                entries.insert(e.remote_id.clone(), er);
                identities.insert(er, snap.tabs[e.loc.tab].rows[e.loc.row].identity.clone());
            }
            tasks.insert(t.remote_id.clone(), r);
            identities.insert(r, snap.tabs[t.loc.tab].rows[t.loc.row].identity.clone());
        }
        // Checklist rows whose task row a person deleted: a re-created task takes them over.
        for e in &index.orphans {
            let er = RowRef::Existing {
                tab: e.loc.tab,
                row: e.loc.row,
            };
            entries.insert(e.remote_id.clone(), er);
            identities.insert(er, snap.tabs[e.loc.tab].rows[e.loc.row].identity.clone());
        }
        Planner {
            snap,
            mapping,
            words: mapping.words(),
            tabs,
            tasks,
            entries,
            identities,
            children,
            inserts: Vec::new(),
            writes: Vec::new(),
            write_at: HashMap::new(),
            used_ids: snap.metadata_ids.iter().copied().collect(),
            used_sheet_ids: snap.sheet_ids.iter().copied().collect(),
            setup: Vec::new(),
            repairs: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn plan(mut self, changes: &[Change]) -> Plan {
        let outcomes = changes.iter().map(|c| self.one(c)).collect();
        self.finish(outcomes)
    }

    fn one(&mut self, change: &Change) -> Outcome {
        let mut out = Outcome {
            result: Ok(Applied::Updated { version: None }),
            structural: false,
            writes: Vec::new(),
            seen: Vec::new(),
        };
        out.result = match change.view() {
            ChangeView::CreateTask(task) => self.create_task(task, &mut out),
            ChangeView::UpdateTask(u) => self.update_task(u, &mut out),
            ChangeView::ArchiveTask(TaskArchive { remote_id, .. }) => {
                self.find_task(remote_id).map(|r| {
                    self.archive(r, &mut out);
                    Applied::Archived
                })
            }
            ChangeView::CreateEntry(c) => self.create_entry(c, &mut out),
            ChangeView::UpdateEntry(u) => self.update_entry(u, &mut out),
            ChangeView::ArchiveEntry(EntryArchive { remote_id, .. }) => {
                self.find_entry(remote_id).map(|r| {
                    self.archive(r, &mut out);
                    Applied::Archived
                })
            }
        };
        if out.result.is_err() {
            // Nothing of a failed change is sent.
            out.writes.clear();
            out.seen.clear();
        }
        out
    }

    // --- Changes ------------------------------------------------------------------------------

    fn create_task(
        &mut self,
        task: &DesiredTask,
        out: &mut Outcome,
    ) -> Result<Applied, ConnectorError> {
        CHECKS.new_task(task)?;
        let cell = |identity: &str, entry: bool, field| {
            let rows = if entry { &self.entries } else { &self.tasks };
            self.cell_name(rows.get(identity).copied(), field)
        };
        throughline_grid::check_task_dates(task, FIRST_DATE, "a spreadsheet", cell)?;
        // Its row may already be there (a crash after the write, before the engine recorded
        // it): take it over instead of adding a second one.
        let row = match self.tasks.get(&task.identity) {
            Some(r) => *r,
            None => {
                let tab = self.tab_for(&task.context);
                let at = self.tabs[tab].append_at;
                let r = self.insert(tab, at, &task.identity);
                self.tasks.insert(task.identity.clone(), r);
                self.children.entry(task.identity.clone()).or_default();
                r
            }
        };
        if matches!(row, RowRef::New { .. }) || self.tab_of(row).is_new {
            out.structural = true;
        }
        self.write_identity(row, &task.identity, out);
        self.write_task_fields(row, &task.fields, &task.context.item_title, out);
        let reason = task.context.blocked_reason.as_deref();
        self.write_task_state(row, task.state, reason, &task.identity, out);
        let mut entries = Vec::new();
        for (i, entry) in task.entries.iter().enumerate() {
            self.put_entry(
                &task.identity,
                row,
                i,
                entry,
                &task.fields.group,
                &task.context.item_title,
                out,
            );
            entries.push((entry.identity.clone(), entry.identity.clone()));
        }
        Ok(Applied::Created {
            remote_id: task.identity.clone(),
            entries,
            version: None,
        })
    }

    fn update_task(
        &mut self,
        u: TaskUpdate<'_>,
        out: &mut Outcome,
    ) -> Result<Applied, ConnectorError> {
        let row = self.find_task(u.remote_id)?;
        if let Some(f) = u.fields {
            CHECKS.task_fields(f)?;
            self.check_dates(
                u.remote_id,
                Some(row),
                &[(Field::Start, f.start), (Field::Due, f.due)],
            )?;
        }
        let identity = self.identities[&row].clone();
        let status_now = self.status_now(row);
        let noted = self.snap.seen.get(&identity).is_some_and(|s| s.noted);
        if let Some(f) = u.fields {
            self.write_task_fields(row, f, &u.context.item_title, out);
        } else if !u.context.item_title.is_empty() {
            self.put(
                row,
                Field::Item,
                Value::String(u.context.item_title.clone()),
                out,
            );
        }
        let ticked_now = self.ticked_now(row);
        match throughline_grid::words::task_state_write(status_now, u.state, u.unarchive, || {
            ticked_now
        }) {
            // A word a person typed that the mapping does not know is theirs to fix: it is
            // kept and noted, only the tick follows the state; the note goes once it is fixed.
            StateWrite::KeepUnknown(state) => {
                self.put(row, Field::Done, Value::Bool(state == State::Done), out);
                self.note(row, Some(self.words.note()));
                out.seen.push((
                    identity.clone(),
                    Seen {
                        status: StatusCell::Other,
                        ticked: state == State::Done,
                        state,
                        noted: true,
                    },
                ));
            }
            StateWrite::Both(state) => {
                let reason = u.context.blocked_reason.as_deref();
                self.write_task_state(row, state, reason, &identity, out);
                if noted {
                    self.note(row, None);
                }
            }
            StateWrite::Tick(state) => {
                self.put(row, Field::Done, Value::Bool(state == State::Done), out);
            }
            StateWrite::Nothing => {}
        }
        self.write_identity(row, &identity, out);
        // Checklist rows show their task's stage and item too (for filtering).
        let kids = self.children.get(u.remote_id).cloned().unwrap_or_default();
        for kid in kids {
            if let Some(f) = u.fields {
                self.put(kid, Field::Stage, Value::String(f.group.clone()), out);
            }
            if !u.context.item_title.is_empty() {
                self.put(
                    kid,
                    Field::Item,
                    Value::String(u.context.item_title.clone()),
                    out,
                );
            }
        }
        Ok(Applied::Updated { version: None })
    }

    fn create_entry(
        &mut self,
        c: EntryCreate<'_>,
        out: &mut Outcome,
    ) -> Result<Applied, ConnectorError> {
        let parent = self.find_task(c.parent_remote_id)?;
        let parent_identity = self
            .identities
            .get(&parent)
            .cloned()
            .unwrap_or_else(|| c.parent_identity.to_owned());
        check_entry_identity(&parent_identity, &c.entry.identity)?;
        CHECKS.entry_fields(&c.entry.fields)?;
        let at = self.entries.get(&c.entry.identity).copied();
        self.check_dates(&c.entry.identity, at, &[(Field::Due, c.entry.fields.due)])?;
        let group = text(&self.cell_now(parent, Field::Stage));
        let item = text(&self.cell_now(parent, Field::Item));
        self.put_entry(
            c.parent_remote_id,
            parent,
            c.index,
            c.entry,
            &group,
            &item,
            out,
        );
        Ok(entry_created(c.entry.identity.clone()))
    }

    fn update_entry(
        &mut self,
        u: EntryUpdate<'_>,
        out: &mut Outcome,
    ) -> Result<Applied, ConnectorError> {
        let row = self.find_entry(u.remote_id)?;
        if let Some(f) = u.fields {
            CHECKS.entry_fields(f)?;
            self.check_dates(u.remote_id, Some(row), &[(Field::Due, f.due)])?;
        }
        let identity = self.identities[&row].clone();
        if let Some(f) = u.fields {
            let group = self
                .tasks
                .get(u.parent_remote_id)
                .map(|p| text(&self.cell_now(*p, Field::Stage)));
            self.write_entry_fields(row, f, group.as_deref(), out);
        }
        let archived = self.status_now(row) == StatusCell::Archived;
        let ticked_now = self.ticked_now(row);
        match throughline_grid::words::entry_state_write(archived, u.checked, u.unarchive, || {
            ticked_now
        }) {
            EntryWrite::Unarchive(checked) => {
                self.put(row, Field::Status, Value::String(String::new()), out);
                self.write_entry_checked(row, checked, &identity, out);
            }
            EntryWrite::Tick(checked) => self.put(row, Field::Done, Value::Bool(checked), out),
            EntryWrite::Checked(checked) => self.write_entry_checked(row, checked, &identity, out),
            EntryWrite::Nothing => {}
        }
        self.write_identity(row, &identity, out);
        Ok(Applied::Updated { version: None })
    }

    fn archive(&mut self, row: RowRef, out: &mut Outcome) {
        let lang = self.tab_of(row).layout.language;
        let word = self.words.archived_word(lang).to_owned();
        self.put(row, Field::Status, Value::String(word), out);
        let identity = self.identities[&row].clone();
        self.write_identity(row, &identity, out);
    }

    /// Create (or take over, if its row is there) an entry under its task.
    #[allow(clippy::too_many_arguments)]
    fn put_entry(
        &mut self,
        parent_rid: &str,
        parent: RowRef,
        index: usize,
        entry: &DesiredEntry,
        group: &str,
        item: &str,
        out: &mut Outcome,
    ) {
        let row = match self.entries.get(&entry.identity) {
            Some(r) => *r,
            None => {
                let (tab, before) = self.entry_place(parent_rid, parent, index);
                let r = self.insert(tab, before, &entry.identity);
                self.entries.insert(entry.identity.clone(), r);
                let kids = self.children.entry(parent_rid.to_owned()).or_default();
                let at = index.min(kids.len());
                kids.insert(at, r);
                r
            }
        };
        if matches!(row, RowRef::New { .. }) || self.tab_of(row).is_new {
            out.structural = true;
        }
        self.write_identity(row, &entry.identity, out);
        if !item.is_empty() {
            self.put(row, Field::Item, Value::String(item.to_owned()), out);
        }
        self.write_entry_fields(row, &entry.fields, Some(group), out);
        self.put(row, Field::Status, Value::String(String::new()), out);
        self.write_entry_checked(row, entry.checked, &entry.identity, out);
    }

    /// Where a new entry row goes: before the sibling now at `index`, else after the task's
    /// last row.
    fn entry_place(&self, parent_rid: &str, parent: RowRef, index: usize) -> (usize, u32) {
        let siblings = self.children.get(parent_rid).cloned().unwrap_or_default();
        let tab = self.tab_index(parent);
        let pos = |r: RowRef| -> u32 {
            match r {
                RowRef::Existing { tab, row } => self.snap.tabs[tab].rows[row].row,
                RowRef::New { insert } => self.inserts[insert].before,
            }
        };
        if let Some(s) = siblings.get(index)
            && self.tab_index(*s) == tab
            && matches!(s, RowRef::Existing { .. })
        {
            return (tab, pos(*s));
        }
        let last = siblings
            .iter()
            .filter(|s| self.tab_index(**s) == tab)
            .map(|s| match s {
                RowRef::Existing { .. } => pos(*s) + 1,
                RowRef::New { .. } => pos(*s),
            })
            .chain(std::iter::once(match parent {
                RowRef::Existing { .. } => pos(parent) + 1,
                RowRef::New { .. } => pos(parent),
            }))
            .max()
            .unwrap_or(0);
        (tab, last)
    }

    fn insert(&mut self, tab: usize, before: u32, identity: &str) -> RowRef {
        let metadata_id = self.new_id();
        let seq = self.inserts.len();
        self.inserts.push(Insert {
            tab,
            before,
            seq,
            metadata_id,
            identity: identity.to_owned(),
        });
        let r = RowRef::New { insert: seq };
        self.identities.insert(r, identity.to_owned());
        r
    }
}
