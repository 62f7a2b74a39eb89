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

use crate::a1::{self, date_to_serial};
use crate::mapping::{Field, IdColumn, Language, SheetsMapping, numbered};
use crate::snapshot::{Index, Layout, ROW_KEY, Row, Snapshot, TAB_KEY};
use crate::words::{Seen, StatusCell, Words};

/// Google's limit on the characters in one cell.
pub(crate) const MAX_CELL_CHARS: usize = 50_000;
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
        let shift: u32 = if inserted {
            self.shifts[tab]
                .iter()
                .filter(|(before, _)| *before <= row)
                .map(|(_, n)| n)
                .sum()
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
                    .map_or(t.layout.header_row + 1, |r| r + 1)
                    .max(t.layout.header_row + 1)
                    .min(t.row_count),
            })
            .collect();
        let index = Index::build(snap);
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
            words: Words { mapping },
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
        out.result = match change {
            Change::CreateTask { task } => self.create_task(task, &mut out),
            Change::UpdateTask {
                remote_id,
                context,
                fields,
                state,
                unarchive,
                ..
            } => self.update_task(
                remote_id,
                context,
                fields.as_ref(),
                *state,
                *unarchive,
                &mut out,
            ),
            Change::ArchiveTask { remote_id, .. } => self.find_task(remote_id).map(|r| {
                self.archive(r, &mut out);
                Applied::Archived
            }),
            Change::CreateEntry {
                parent_remote_id,
                parent_identity,
                index,
                entry,
                ..
            } => self.create_entry(parent_remote_id, parent_identity, *index, entry, &mut out),
            Change::UpdateEntry {
                parent_remote_id,
                remote_id,
                fields,
                checked,
                unarchive,
                ..
            } => self.update_entry(
                parent_remote_id,
                remote_id,
                fields.as_ref(),
                *checked,
                *unarchive,
                &mut out,
            ),
            Change::ArchiveEntry { remote_id, .. } => self.find_entry(remote_id).map(|r| {
                self.archive(r, &mut out);
                Applied::Archived
            }),
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
        check_identity(&task.identity)?;
        check_task_fields(&task.fields)?;
        for e in &task.entries {
            check_entry_identity(&task.identity, &e.identity)?;
            check_entry_fields(&e.fields)?;
        }
        let f = &task.fields;
        let at = self.tasks.get(&task.identity).copied();
        self.check_dates(
            &task.identity,
            at,
            &[(Field::Start, f.start), (Field::Due, f.due)],
        )?;
        for e in &task.entries {
            let at = self.entries.get(&e.identity).copied();
            self.check_dates(&e.identity, at, &[(Field::Due, e.fields.due)])?;
        }
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
        self.write_task_state(row, task.state, &task.identity, out);
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
        remote_id: &str,
        context: &TaskContext,
        fields: Option<&TaskFields>,
        state: Option<State>,
        unarchive: bool,
        out: &mut Outcome,
    ) -> Result<Applied, ConnectorError> {
        let row = self.find_task(remote_id)?;
        if let Some(f) = fields {
            check_task_fields(f)?;
            self.check_dates(
                remote_id,
                Some(row),
                &[(Field::Start, f.start), (Field::Due, f.due)],
            )?;
        }
        let identity = self.identities[&row].clone();
        let status_now = self.status_now(row);
        let archived = status_now == StatusCell::Archived;
        // A word a person typed that the mapping does not know is theirs to fix: it is kept
        // and noted, only the tick follows the state; the note goes once the word is fixed.
        let unknown = status_now == StatusCell::Other;
        let noted = self.snap.seen.get(&identity).is_some_and(|s| s.noted);
        if let Some(f) = fields {
            self.write_task_fields(row, f, &context.item_title, out);
        } else if !context.item_title.is_empty() {
            self.put(
                row,
                Field::Item,
                Value::String(context.item_title.clone()),
                out,
            );
        }
        let still_archived = archived && !unarchive;
        match (state, still_archived) {
            (Some(state), false) if unknown => {
                self.put(row, Field::Done, Value::Bool(state == State::Done), out);
                let note = throughline_connector::unknown_word_note(&self.words.accepted());
                self.note(row, Some(note));
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
            (Some(state), false) => {
                self.write_task_state(row, state, &identity, out);
                if noted {
                    self.note(row, None);
                }
            }
            // An archived row keeps its marker; only the tick follows the state.
            (Some(state), true) => {
                self.put(row, Field::Done, Value::Bool(state == State::Done), out);
            }
            (None, false) if archived => {
                let ticked = self.ticked_now(row);
                let state = if ticked { State::Done } else { State::Todo };
                self.write_task_state(row, state, &identity, out);
            }
            (None, _) => {}
        }
        self.write_identity(row, &identity, out);
        // Checklist rows show their task's stage and item too (for filtering).
        let kids = self.children.get(remote_id).cloned().unwrap_or_default();
        for kid in kids {
            if let Some(f) = fields {
                self.put(kid, Field::Stage, Value::String(f.group.clone()), out);
            }
            if !context.item_title.is_empty() {
                self.put(
                    kid,
                    Field::Item,
                    Value::String(context.item_title.clone()),
                    out,
                );
            }
        }
        Ok(Applied::Updated { version: None })
    }

    fn create_entry(
        &mut self,
        parent_remote_id: &str,
        parent_identity: &str,
        index: usize,
        entry: &DesiredEntry,
        out: &mut Outcome,
    ) -> Result<Applied, ConnectorError> {
        let parent = self.find_task(parent_remote_id)?;
        let parent_identity = self
            .identities
            .get(&parent)
            .cloned()
            .unwrap_or_else(|| parent_identity.to_owned());
        check_entry_identity(&parent_identity, &entry.identity)?;
        check_entry_fields(&entry.fields)?;
        let at = self.entries.get(&entry.identity).copied();
        self.check_dates(&entry.identity, at, &[(Field::Due, entry.fields.due)])?;
        let group = super::words::text(&self.cell_now(parent, Field::Stage));
        let item = super::words::text(&self.cell_now(parent, Field::Item));
        self.put_entry(parent_remote_id, parent, index, entry, &group, &item, out);
        Ok(Applied::Created {
            remote_id: entry.identity.clone(),
            entries: Vec::new(),
            version: None,
        })
    }

    fn update_entry(
        &mut self,
        parent_remote_id: &str,
        remote_id: &str,
        fields: Option<&EntryFields>,
        checked: Option<bool>,
        unarchive: bool,
        out: &mut Outcome,
    ) -> Result<Applied, ConnectorError> {
        let row = self.find_entry(remote_id)?;
        if let Some(f) = fields {
            check_entry_fields(f)?;
            self.check_dates(remote_id, Some(row), &[(Field::Due, f.due)])?;
        }
        let identity = self.identities[&row].clone();
        if let Some(f) = fields {
            let group = self
                .tasks
                .get(parent_remote_id)
                .map(|p| super::words::text(&self.cell_now(*p, Field::Stage)));
            self.write_entry_fields(row, f, group.as_deref(), out);
        }
        let archived = self.status_now(row) == StatusCell::Archived;
        if unarchive && archived {
            let ticked = self.ticked_now(row);
            self.put(row, Field::Status, Value::String(String::new()), out);
            self.write_entry_checked(row, checked.unwrap_or(ticked), &identity, out);
        } else if let Some(checked) = checked {
            if archived {
                self.put(row, Field::Done, Value::Bool(checked), out);
            } else {
                self.write_entry_checked(row, checked, &identity, out);
            }
        }
        self.write_identity(row, &identity, out);
        Ok(Applied::Updated { version: None })
    }

    fn archive(&mut self, row: RowRef, out: &mut Outcome) {
        let lang = self.tab_of(row).layout.language();
        let word = self.mapping.status_words(lang).archived.clone();
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

    // --- Cells ---------------------------------------------------------------------------------

    /// A date no cell reads back as a date fails its own change, before anything of its row
    /// is planned; the other changes go through.
    fn check_dates(
        &self,
        identity: &str,
        row: Option<RowRef>,
        dates: &[(Field, Option<jiff::civil::Date>)],
    ) -> Result<(), ConnectorError> {
        match throughline_connector::date_before(dates, FIRST_DATE) {
            None => Ok(()),
            Some((field, date)) => Err(throughline_connector::unwritable_date(
                identity,
                field.key(),
                date,
                &self.cell_name(row, field),
                "a spreadsheet",
                FIRST_DATE,
            )),
        }
    }

    /// `Copy!G12` for a row's cell as observed, or where a new row would go.
    fn cell_name(&self, row: Option<RowRef>, field: Field) -> String {
        let tab = row.map(|r| self.tab_of(r));
        match (row, tab.and_then(|t| t.layout.col(field))) {
            (Some(RowRef::Existing { tab, row }), Some(col)) => format!(
                "{}!{}{}",
                a1::quote_title(&self.tabs[tab].title),
                a1::column_letters(col),
                self.snap.tabs[tab].rows[row].row + 1
            ),
            _ => format!("the {} column of a new row", field.key()),
        }
    }

    fn tab_index(&self, row: RowRef) -> usize {
        match row {
            RowRef::Existing { tab, .. } => tab,
            RowRef::New { insert } => self.inserts[insert].tab,
        }
    }

    fn tab_of(&self, row: RowRef) -> &TabPlan {
        &self.tabs[self.tab_index(row)]
    }

    fn target(&mut self, row: RowRef) -> Target {
        match row {
            RowRef::New { insert } => Target::Meta(self.inserts[insert].metadata_id),
            RowRef::Existing { tab, row } => {
                let r: &Row = &self.snap.tabs[tab].rows[row];
                match r.metadata_id {
                    Some(id) => Target::Meta(id),
                    None => {
                        let at = r.row;
                        if !self
                            .repairs
                            .iter()
                            .any(|(t, rr, _, _)| *t == tab && *rr == at)
                        {
                            let id = self.new_id();
                            let identity = r.identity.clone();
                            self.repairs.push((tab, at, id, identity));
                        }
                        Target::Position { tab, row: at }
                    }
                }
            }
        }
    }

    /// Put a note on a row's status cell, or clear it (rows already in the sheet only).
    fn note(&mut self, row: RowRef, text: Option<String>) {
        if let (RowRef::Existing { tab, row }, Some(col)) =
            (row, self.tab_of(row).layout.col(Field::Status))
        {
            self.notes
                .push((tab, self.snap.tabs[tab].rows[row].row, col, text));
        }
    }

    /// Write one cell of a row (nothing when the tab lacks the column).
    fn put(&mut self, row: RowRef, field: Field, value: Value, out: &mut Outcome) {
        let Some(col) = self.tab_of(row).layout.col(field) else {
            return;
        };
        let target = self.target(row);
        let i = match self.write_at.get(&target) {
            Some(&i) => i,
            None => {
                self.writes.push(RowWrite {
                    target,
                    cells: BTreeMap::new(),
                });
                self.write_at.insert(target, self.writes.len() - 1);
                self.writes.len() - 1
            }
        };
        self.writes[i].cells.insert(col, value);
        if !out.writes.contains(&i) {
            out.writes.push(i);
        }
    }

    /// The cell as it will be after what this apply wrote so far.
    fn cell_now(&self, row: RowRef, field: Field) -> Value {
        let Some(col) = self.tab_of(row).layout.col(field) else {
            return Value::Null;
        };
        let planned = match row {
            RowRef::New { insert } => self
                .write_at
                .get(&Target::Meta(self.inserts[insert].metadata_id)),
            RowRef::Existing { tab, row } => {
                let r = &self.snap.tabs[tab].rows[row];
                match r.metadata_id {
                    Some(id) => self.write_at.get(&Target::Meta(id)),
                    None => self.write_at.get(&Target::Position { tab, row: r.row }),
                }
            }
        };
        if let Some(v) = planned.and_then(|&i| self.writes[i].cells.get(&col)) {
            return v.clone();
        }
        match row {
            RowRef::Existing { tab, row } => self.snap.tabs[tab].rows[row].cell(field).clone(),
            RowRef::New { .. } => Value::Null,
        }
    }

    fn status_now(&self, row: RowRef) -> StatusCell {
        self.words.status(&self.cell_now(row, Field::Status))
    }

    fn ticked_now(&self, row: RowRef) -> bool {
        self.words.ticked(&self.cell_now(row, Field::Done))
    }

    fn write_identity(&mut self, row: RowRef, identity: &str, out: &mut Outcome) {
        self.put(row, Field::Id, Value::String(identity.to_owned()), out);
    }

    fn write_task_fields(&mut self, row: RowRef, f: &TaskFields, item: &str, out: &mut Outcome) {
        if !item.is_empty() {
            self.put(row, Field::Item, Value::String(item.to_owned()), out);
        }
        self.put(row, Field::Task, Value::String(f.title.clone()), out);
        self.put(
            row,
            Field::Description,
            Value::String(f.description.clone()),
            out,
        );
        self.put(row, Field::Stage, Value::String(f.group.clone()), out);
        let owner = f.owner.clone().unwrap_or_default();
        self.put(row, Field::Owner, Value::String(owner), out);
        self.put(row, Field::Start, date_value(f.start), out);
        self.put(row, Field::Due, date_value(f.due), out);
    }

    fn write_entry_fields(
        &mut self,
        row: RowRef,
        f: &EntryFields,
        group: Option<&str>,
        out: &mut Outcome,
    ) {
        self.put(row, Field::Task, Value::String(f.text.clone()), out);
        if let Some(group) = group {
            self.put(row, Field::Stage, Value::String(group.to_owned()), out);
        }
        let owner = f.owner.clone().unwrap_or_default();
        self.put(row, Field::Owner, Value::String(owner), out);
        self.put(row, Field::Due, date_value(f.due), out);
    }

    /// Both state columns, consistently.
    fn write_task_state(&mut self, row: RowRef, state: State, identity: &str, out: &mut Outcome) {
        let lang = self.tab_of(row).layout.language();
        let word = self.words.status_word(lang, state);
        self.put(row, Field::Status, Value::String(word.clone()), out);
        self.put(row, Field::Done, Value::Bool(state == State::Done), out);
        let status = self.words.status(&Value::String(word));
        out.seen.push((
            identity.to_owned(),
            Seen {
                status,
                ticked: state == State::Done,
                state,
                noted: false,
            },
        ));
    }

    /// An entry is ticked in the done column; without one, its status says done or to do.
    fn write_entry_checked(
        &mut self,
        row: RowRef,
        checked: bool,
        identity: &str,
        out: &mut Outcome,
    ) {
        let state = if checked { State::Done } else { State::Todo };
        let status = if self.tab_of(row).layout.col(Field::Done).is_some() {
            self.put(row, Field::Done, Value::Bool(checked), out);
            self.status_now(row)
        } else {
            let lang = self.tab_of(row).layout.language();
            let word = self.words.status_word(lang, state);
            self.put(row, Field::Status, Value::String(word.clone()), out);
            self.words.status(&Value::String(word))
        };
        out.seen.push((
            identity.to_owned(),
            Seen {
                status,
                ticked: checked,
                state,
                noted: false,
            },
        ));
    }

    fn find_task(&self, remote_id: &str) -> Result<RowRef, ConnectorError> {
        self.tasks
            .get(remote_id)
            .copied()
            .ok_or_else(|| ConnectorError::NotFound {
                what: format!(
                    "no row of the spreadsheet carries the task \"{remote_id}\" (it was deleted, \
                     or its ID cell and marker were changed)"
                ),
            })
    }

    fn find_entry(&self, remote_id: &str) -> Result<RowRef, ConnectorError> {
        self.entries
            .get(remote_id)
            .copied()
            .ok_or_else(|| ConnectorError::NotFound {
                what: format!(
                    "no row of the spreadsheet carries the checklist entry \"{remote_id}\" (it \
                     was deleted, or its ID cell and marker were changed)"
                ),
            })
    }

    fn new_id(&mut self) -> i32 {
        loop {
            let id = rand::random_range(1..i32::MAX);
            if self.used_ids.insert(id) {
                return id;
            }
        }
    }

    // --- Tabs ----------------------------------------------------------------------------------

    /// The tab a new task goes to, planned if needed. A tab of the same name that is not
    /// throughline's is never taken over.
    fn tab_for(&mut self, ctx: &TaskContext) -> usize {
        let wanted = self.mapping.tab_for(&ctx.process, &ctx.process_name);
        if let Some(i) = self.tabs.iter().position(|t| t.key == wanted) {
            return i;
        }
        let taken: HashSet<String> = self
            .snap
            .titles
            .iter()
            .chain(self.tabs.iter().map(|t| &t.title))
            .map(|t| t.to_lowercase())
            .collect();
        let title = (1..)
            .map(|n| {
                if n == 1 {
                    wanted.clone()
                } else {
                    numbered(&wanted, n)
                }
            })
            .find(|t| !taken.contains(&t.to_lowercase()))
            .expect("some numbered name is free");
        let sheet_id = loop {
            let id = rand::random_range(1..i32::MAX);
            if self.used_sheet_ids.insert(id) {
                break id;
            }
        };
        let language = self.mapping.language_for(ctx.rtl);
        let header_row = self.mapping.header_row - 1;
        let mut cols = [None; 10];
        for (i, f) in self.mapping.columns.iter().enumerate() {
            cols[f.index()] = Some(i as u32);
        }
        let layout = Layout {
            header_row,
            hebrew: language == Language::Hebrew,
            cols,
        };
        let tab = TabPlan {
            sheet_id,
            title,
            key: wanted,
            layout,
            // The header, and one empty row under it that new rows go above.
            row_count: header_row + 2,
            is_new: true,
            rtl: ctx.rtl,
            append_at: header_row + 1,
        };
        let metadata_id = self.new_id();
        self.setup
            .extend(tab_setup(&tab, self.mapping, metadata_id));
        self.tabs.push(tab);
        self.tabs.len() - 1
    }

    // --- The requests --------------------------------------------------------------------------

    fn finish(mut self, outcomes: Vec<Outcome>) -> Plan {
        let mut structure = std::mem::take(&mut self.setup);
        let mut shifts: Vec<Vec<(u32, u32)>> = vec![Vec::new(); self.tabs.len()];
        let mut final_rows: HashMap<usize, u32> = HashMap::new();
        let mut grown: BTreeMap<usize, u32> = BTreeMap::new();
        for (t, tab) in self.tabs.iter().enumerate() {
            // Blocks of rows inserted before the same row, in the order they were planned.
            let mut blocks: BTreeMap<u32, Vec<&Insert>> = BTreeMap::new();
            for ins in self.inserts.iter().filter(|i| i.tab == t) {
                blocks.entry(ins.before).or_default().push(ins);
            }
            if blocks.is_empty() {
                continue;
            }
            // Bottom first, so the positions above stay as observed.
            for (&before, block) in blocks.iter().rev() {
                let n = block.len() as u32;
                if before >= tab.row_count {
                    structure.push(json!({"appendDimension": {
                        "sheetId": tab.sheet_id, "dimension": "ROWS", "length": n}}));
                } else {
                    structure.push(json!({"insertDimension": {
                        "range": {"sheetId": tab.sheet_id, "dimension": "ROWS",
                                  "startIndex": before, "endIndex": before + n},
                        "inheritFromBefore": before > tab.layout.header_row + 1}}));
                }
            }
            let mut above = 0;
            for (&before, block) in &blocks {
                let mut sorted = block.clone();
                sorted.sort_by_key(|i| i.seq);
                for (j, ins) in sorted.iter().enumerate() {
                    final_rows.insert(ins.seq, before + above + j as u32);
                }
                shifts[t].push((before, block.len() as u32));
                above += block.len() as u32;
            }
            grown.insert(t, tab.row_count + above);
        }
        for ins in &self.inserts {
            let tab = &self.tabs[ins.tab];
            let at = final_rows[&ins.seq];
            structure.push(row_metadata(
                tab.sheet_id,
                at,
                ins.metadata_id,
                &ins.identity,
            ));
        }
        for (tab, row, id, identity) in &self.repairs {
            let shift: u32 = shifts[*tab]
                .iter()
                .filter(|(before, _)| before <= row)
                .map(|(_, n)| n)
                .sum();
            let sheet_id = self.tabs[*tab].sheet_id;
            structure.push(row_metadata(sheet_id, row + shift, *id, identity));
        }
        for (tab, row, col, text) in &self.notes {
            let shift: u32 = shifts[*tab]
                .iter()
                .filter(|(before, _)| before <= row)
                .map(|(_, n)| n)
                .sum();
            let at = row + shift;
            let cell = match text {
                Some(t) => json!({"note": t}),
                None => json!({}),
            };
            structure.push(json!({"updateCells": {
                "range": {"sheetId": self.tabs[*tab].sheet_id,
                          "startRowIndex": at, "endRowIndex": at + 1,
                          "startColumnIndex": col, "endColumnIndex": col + 1},
                "rows": [{"values": [cell]}],
                "fields": "note"}}));
        }
        // Rows inserted at the end of a range do not take its validation and formats: set them
        // again over all of throughline's rows of the tab.
        for (t, rows) in grown {
            structure.extend(data_area(&self.tabs[t], self.mapping, rows));
        }
        Plan {
            structure,
            writes: self.writes,
            outcomes,
            tabs: self.tabs,
            shifts,
        }
    }
}

fn row_metadata(sheet_id: i32, row: u32, id: i32, identity: &str) -> Value {
    json!({"createDeveloperMetadata": {"developerMetadata": {
        "metadataId": id,
        "metadataKey": ROW_KEY,
        "metadataValue": identity,
        "location": {"dimensionRange": {
            "sheetId": sheet_id, "dimension": "ROWS", "startIndex": row, "endIndex": row + 1}},
        "visibility": "DOCUMENT"}}})
}

/// A new tab: its grid, marker, header (bold, frozen), identity column, conditional formats
/// and the warning-only protection of throughline's columns.
fn tab_setup(tab: &TabPlan, mapping: &SheetsMapping, marker_id: i32) -> Vec<Value> {
    let l = &tab.layout;
    let ncols = mapping.columns.len() as u32;
    let lang = l.language();
    let mut out = vec![
        json!({"addSheet": {"properties": {
            "sheetId": tab.sheet_id,
            "title": tab.title,
            "sheetType": "GRID",
            "rightToLeft": tab.rtl,
            "gridProperties": {"rowCount": tab.row_count, "columnCount": ncols,
                               "frozenRowCount": l.header_row + 1}}}}),
        json!({"createDeveloperMetadata": {"developerMetadata": {
            "metadataId": marker_id,
            "metadataKey": TAB_KEY,
            "metadataValue": tab.key,
            "location": {"sheetId": tab.sheet_id},
            "visibility": "DOCUMENT"}}}),
    ];
    let header: Vec<Value> = mapping
        .columns
        .iter()
        .map(|f| {
            json!({"userEnteredValue": {"stringValue": mapping.headers(lang)[f.index()]},
                   "userEnteredFormat": {"textFormat": {"bold": true},
                       "backgroundColor": {"red": 0.9, "green": 0.9, "blue": 0.9}}})
        })
        .collect();
    out.push(json!({"updateCells": {
        "rows": [{"values": header}],
        "fields": "userEnteredValue,userEnteredFormat(textFormat,backgroundColor)",
        "start": {"sheetId": tab.sheet_id, "rowIndex": l.header_row, "columnIndex": 0}}}));
    if let Some(c) = l.col(Field::Id) {
        let props = match mapping.id_column {
            IdColumn::Narrow => json!({"pixelSize": 60}),
            IdColumn::Hidden => json!({"hiddenByUser": true}),
        };
        let fields = match mapping.id_column {
            IdColumn::Narrow => "pixelSize",
            IdColumn::Hidden => "hiddenByUser",
        };
        out.push(json!({"updateDimensionProperties": {
            "range": {"sheetId": tab.sheet_id, "dimension": "COLUMNS",
                      "startIndex": c, "endIndex": c + 1},
            "properties": props, "fields": fields}}));
    }
    let first = l.header_row + 1;
    let letter = |f: Field| l.col(f).map(a1::column_letters);
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    if let Some(status) = letter(Field::Status) {
        // Archived rows are greyed, whatever language their word is in.
        let words: Vec<String> = Language::ALL
            .iter()
            .map(|&lang| {
                format!(
                    "${status}{}={}",
                    first + 1,
                    quote(&mapping.status_words(lang).archived)
                )
            })
            .collect();
        out.push(json!({"addConditionalFormatRule": {"index": 0, "rule": {
            "ranges": [{"sheetId": tab.sheet_id, "startRowIndex": first,
                        "startColumnIndex": 0, "endColumnIndex": ncols}],
            "booleanRule": {
                "condition": {"type": "CUSTOM_FORMULA",
                              "values": [{"userEnteredValue": format!("=OR({})", words.join(","))}]},
                "format": {"textFormat": {"foregroundColor": {"red": 0.6, "green": 0.6, "blue": 0.6}}}}}}}));
    }
    if let Some(due) = letter(Field::Due) {
        // Past due and not done: red, recomputed by Sheets every day.
        let r = first + 1;
        let not_done = match (letter(Field::Done), letter(Field::Status)) {
            (Some(done), _) => format!("${done}{r}<>TRUE"),
            (None, Some(status)) => format!(
                "AND(${status}{r}<>{},${status}{r}<>{})",
                quote(&mapping.status_en.done),
                quote(&mapping.status_he.done)
            ),
            (None, None) => "TRUE".to_owned(),
        };
        out.push(json!({"addConditionalFormatRule": {"index": 1, "rule": {
            "ranges": [{"sheetId": tab.sheet_id, "startRowIndex": first,
                        "startColumnIndex": l.col(Field::Due).unwrap_or(0),
                        "endColumnIndex": l.col(Field::Due).unwrap_or(0) + 1}],
            "booleanRule": {
                "condition": {"type": "CUSTOM_FORMULA",
                              "values": [{"userEnteredValue":
                                  format!("=AND(ISNUMBER(${due}{r}),${due}{r}<TODAY(),{not_done})")}]},
                "format": {"textFormat": {"foregroundColor": {"red": 0.8, "green": 0.0, "blue": 0.0}}}}}}}));
    }
    if mapping.protect {
        let unprotected: Vec<Value> = mapping
            .columns
            .iter()
            .filter(|f| f.people_edit())
            .filter_map(|f| l.col(*f))
            .map(|c| json!({"sheetId": tab.sheet_id, "startColumnIndex": c, "endColumnIndex": c + 1}))
            .collect();
        out.push(json!({"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": tab.sheet_id, "startColumnIndex": 0, "endColumnIndex": ncols},
            "description": "throughline keeps these columns in step with the playbook; edits \
                            here may be replaced by the next sync. Status and Done are yours.",
            "warningOnly": true,
            "unprotectedRanges": unprotected}}}));
    }
    out
}

/// Validation and formats over throughline's rows of a tab: the status dropdown, the done
/// checkbox, and the date format of the date columns.
fn data_area(tab: &TabPlan, mapping: &SheetsMapping, rows: u32) -> Vec<Value> {
    let l = &tab.layout;
    let first = l.header_row + 1;
    let range = |c: u32| {
        json!({"sheetId": tab.sheet_id, "startRowIndex": first, "endRowIndex": rows,
               "startColumnIndex": c, "endColumnIndex": c + 1})
    };
    let mut out = Vec::new();
    if rows <= first {
        return out;
    }
    if let Some(c) = l.col(Field::Status) {
        let words: Vec<Value> = mapping
            .status_words(l.language())
            .all()
            .iter()
            .map(|w| json!({"userEnteredValue": w}))
            .collect();
        out.push(json!({"setDataValidation": {"range": range(c), "rule": {
            "condition": {"type": "ONE_OF_LIST", "values": words},
            "showCustomUi": true, "strict": false}}}));
    }
    if let Some(c) = l.col(Field::Done) {
        out.push(json!({"setDataValidation": {"range": range(c), "rule": {
            "condition": {"type": "BOOLEAN"}, "strict": true}}}));
    }
    for f in [Field::Start, Field::Due] {
        if let Some(c) = l.col(f) {
            out.push(json!({"repeatCell": {"range": range(c),
                "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": mapping.date_format}}},
                "fields": "userEnteredFormat.numberFormat"}}));
        }
    }
    out
}

fn date_value(d: Option<jiff::civil::Date>) -> Value {
    match d {
        Some(d) => json!(date_to_serial(d)),
        None => Value::String(String::new()),
    }
}

fn check_identity(identity: &str) -> Result<(), ConnectorError> {
    if identity.trim().is_empty()
        || identity.trim() != identity
        || identity.chars().count() > MAX_CELL_CHARS
    {
        return Err(ConnectorError::Invalid {
            message: format!("identity {identity:?} cannot be kept in a spreadsheet row"),
        });
    }
    Ok(())
}

fn check_entry_identity(parent: &str, entry: &str) -> Result<(), ConnectorError> {
    match entry
        .strip_prefix(parent)
        .and_then(|rest| rest.strip_prefix('/'))
    {
        Some(key) if !key.is_empty() && key.trim() == key => Ok(()),
        _ => Err(ConnectorError::Invalid {
            message: format!(
                "checklist entry \"{entry}\" must have an identity under its task's \
                 (\"{parent}/…\"): that is how its row is tied to the task after people sort the \
                 sheet"
            ),
        }),
    }
}

fn too_long(what: &str, text: &str) -> Result<(), ConnectorError> {
    if text.chars().count() > MAX_CELL_CHARS {
        return Err(ConnectorError::Invalid {
            message: format!(
                "the {what} \"{}…\" is longer than the {MAX_CELL_CHARS} characters a Google \
                 Sheets cell holds; shorten it in the playbook",
                text.chars().take(40).collect::<String>()
            ),
        });
    }
    Ok(())
}

fn check_task_fields(f: &TaskFields) -> Result<(), ConnectorError> {
    too_long("title", &f.title)?;
    too_long("description", &f.description)?;
    too_long("stage", &f.group)?;
    too_long("owner", f.owner.as_deref().unwrap_or(""))
}

fn check_entry_fields(f: &EntryFields) -> Result<(), ConnectorError> {
    too_long("checklist text", &f.text)?;
    too_long("owner", f.owner.as_deref().unwrap_or(""))
}
