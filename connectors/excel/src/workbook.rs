//! The workbook as throughline sees it: its own sheets (recognised by their headers), the rows
//! that carry identities, and the changes of one `apply` made to it in memory.
//!
//! Rows are found by the identity in the ID column, never by position: people sort, filter,
//! insert rows and move columns. A checklist entry's identity extends its task's
//! (`item/stage/key` under `item/stage`), which is how an entry finds its task after a sort.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;
use throughline_connector::{
    Applied, Change, ConnectorError, DesiredEntry, DesiredTask, EntryFields, ObservedEntry,
    ObservedTask, State, StatusCells, TaskContext, TaskFields, UnknownStatusWord,
};

use crate::book::{Book, Cell, Sheet, Visibility};
use crate::layout::{
    Baseline, Layout, RowRead, RowWriter, StatusCell, Words, numbered, sheet_name,
};
use crate::mapping::{ExcelMapping, Field, SheetPer};

/// The very hidden sheet where throughline keeps, per identity, the state columns as it last
/// wrote them. It is recognised by its first cell; the name is only what it is usually called
/// (a sheet of people's own may already have it).
pub(crate) const BASELINE_SHEET: &str = "throughline";
pub(crate) const BASELINE_MARK: &str = "throughline: state columns as last written; do not edit";

/// Excel's limit on the characters in one cell.
const MAX_CELL_CHARS: usize = 32_767;
/// The first date an Excel cell holds (the last is 9999-12-31, past any date there is).
const FIRST_DATE: Date = Date::constant(1900, 1, 1);
/// Excel's limit on rows per sheet.
pub(crate) const MAX_ROWS: usize = 1_048_576;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Loc {
    pub sheet: usize,
    pub row: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct TaskRow {
    pub remote_id: String,
    pub identity: String,
    pub loc: Loc,
    pub entries: Vec<EntryRow>,
}

#[derive(Debug, Clone)]
pub(crate) struct EntryRow {
    pub remote_id: String,
    pub identity: String,
    pub loc: Loc,
}

/// Every identity row of the workbook, tasks with their entries, in sheet and row order.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub tasks: Vec<TaskRow>,
    /// Entry rows whose task row is gone (a person deleted it): kept in the file, not observed.
    /// An identity with two slashes (`item/stage/key`) is an entry even without its task.
    pub orphans: Vec<EntryRow>,
}

impl Index {
    /// Which rows are entries (and of which task), which are tasks.
    pub fn build(book: &Book, layouts: &[Option<Layout>]) -> Index {
        let mut rows: Vec<(String, Loc)> = Vec::new();
        for (s, sheet) in book.sheets.iter().enumerate() {
            let Some(layout) = &layouts[s] else { continue };
            for row in layout.header_row + 1..sheet.rows.len() {
                if let Some(id) = layout.identity(sheet, row) {
                    rows.push((id, Loc { sheet: s, row }));
                }
            }
        }
        let ids: HashSet<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
        let prefixes = |id: &str| -> Vec<usize> { id.match_indices('/').map(|(i, _)| i).collect() };
        // A task is an identity no other identity is a prefix of; an entry's task is its
        // longest prefix that is a task.
        let is_task = |id: &str| prefixes(id).iter().all(|&i| !ids.contains(&id[..i]));
        let parent_of = |id: &str| -> Option<String> {
            prefixes(id)
                .iter()
                .rev()
                .map(|&i| &id[..i])
                .find(|p| ids.contains(p) && is_task(p))
                .map(str::to_string)
        };

        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut remote_id = |id: &str| {
            let n = seen.entry(id.to_string()).or_insert(0);
            *n += 1;
            if *n == 1 {
                id.to_string()
            } else {
                format!("{id}#{n}")
            }
        };
        let mut index = Index::default();
        let mut task_at: HashMap<String, usize> = HashMap::new();
        let mut entries: Vec<(String, EntryRow)> = Vec::new();
        for (id, loc) in &rows {
            let rid = remote_id(id);
            if is_task(id) && id.matches('/').count() >= 2 {
                // `item/stage/key` whose task row is gone.
                index.orphans.push(EntryRow {
                    remote_id: rid,
                    identity: id.clone(),
                    loc: *loc,
                });
            } else if is_task(id) {
                task_at.entry(id.clone()).or_insert(index.tasks.len());
                index.tasks.push(TaskRow {
                    remote_id: rid,
                    identity: id.clone(),
                    loc: *loc,
                    entries: Vec::new(),
                });
            } else if let Some(parent) = parent_of(id) {
                entries.push((
                    parent,
                    EntryRow {
                        remote_id: rid,
                        identity: id.clone(),
                        loc: *loc,
                    },
                ));
            }
        }
        for (parent, entry) in entries {
            match task_at.get(&parent) {
                Some(&t) => index.tasks[t].entries.push(entry),
                None => index.orphans.push(entry),
            }
        }
        index
    }
}

/// Where a row lives while changes are applied: in a sheet, or among rows waiting to be
/// inserted at the end of the apply (so row numbers stay valid until then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Row(Loc),
    Pending(usize),
}

struct PendingRow {
    sheet: usize,
    /// Inserted before this row of the sheet.
    before: usize,
    row: Sheet,
}

/// A workbook with throughline's sheets recognised.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Workbook {
    pub book: Book,
    pub layouts: Vec<Option<Layout>>,
    pub baseline: HashMap<String, Baseline>,
    /// The state each row was given by the changes applied to this copy (by identity): what a
    /// row keeping an unknown status word stands for from now on.
    pub written: HashMap<String, State>,
}

impl Workbook {
    pub fn new(mut book: Book, mapping: &ExcelMapping) -> Workbook {
        let words = Words { mapping };
        let mut baseline = HashMap::new();
        book.sheets.retain(|sheet| {
            let ours = sheet.cell(0, 0).text() == BASELINE_MARK;
            if ours {
                for row in sheet.rows.iter().skip(1) {
                    let cell = |i: usize| row.get(i).cloned().unwrap_or_default();
                    let id = cell(0).text();
                    if !id.is_empty() {
                        let status = baseline_status(&cell(1).text());
                        baseline.entry(id).or_insert(Baseline {
                            status,
                            ticked: words.ticked(&cell(2)),
                            state: baseline_state(&cell(3).text()),
                        });
                    }
                }
            }
            !ours
        });
        let layouts = book
            .sheets
            .iter()
            .map(|s| Layout::detect(s, mapping))
            .collect();
        Workbook {
            book,
            layouts,
            baseline,
            written: HashMap::new(),
        }
    }

    pub fn empty() -> Workbook {
        Workbook {
            book: Book::default(),
            layouts: Vec::new(),
            baseline: HashMap::new(),
            written: HashMap::new(),
        }
    }

    pub fn index(&self) -> Index {
        Index::build(&self.book, &self.layouts)
    }

    fn read_row(&self, loc: Loc, words: &Words<'_>) -> RowRead {
        let layout = self.layouts[loc.sheet]
            .as_ref()
            .expect("identity rows are in throughline's sheets");
        RowRead::read(&self.book.sheets[loc.sheet], loc.row, layout, words)
    }

    /// Every task and entry, as a person left them.
    pub fn observe(
        &self,
        mapping: &ExcelMapping,
        modified: Option<Timestamp>,
    ) -> Vec<ObservedTask> {
        let words = Words { mapping };
        let index = self.index();
        index
            .tasks
            .iter()
            .map(|t| {
                let row = self.read_row(t.loc, &words);
                let base = self.baseline.get(&t.identity).copied();
                let state = words.resolve(row.status, row.ticked, base);
                let status_cells = self.status_cells(t.loc, &row, base, &words);
                let fields = row.task_fields();
                let archived = row.archived();
                let entries = t
                    .entries
                    .iter()
                    .map(|e| {
                        let row = self.read_row(e.loc, &words);
                        let checked = words.resolve(
                            row.status,
                            row.ticked,
                            self.baseline.get(&e.identity).copied(),
                        ) == State::Done;
                        ObservedEntry {
                            remote_id: e.remote_id.clone(),
                            identity: Some(e.identity.clone()),
                            fields: row.entry_fields(),
                            checked,
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
                    fields,
                    state,
                    archived,
                    modified,
                    modified_by: None,
                    entries,
                    status_cells,
                }
            })
            .collect()
    }

    /// What a task row's status and done cells say beyond its state (see [`StatusCells`]).
    /// The note on an unknown word is there when the row was last written with one, since a
    /// write notes every such cell: the baseline tells.
    fn status_cells(
        &self,
        loc: Loc,
        row: &RowRead,
        base: Option<Baseline>,
        words: &Words<'_>,
    ) -> StatusCells {
        let other = row.status == StatusCell::Other;
        let unknown = other.then(|| {
            let sheet = &self.book.sheets[loc.sheet];
            let col = self.layouts[loc.sheet]
                .as_ref()
                .and_then(|l| l.col(Field::Status))
                .unwrap_or_default();
            UnknownStatusWord {
                word: sheet.cell(loc.row, col).text(),
                cell: cell_a1(&sheet.name, loc.row, col),
                accepted: words.accepted(),
            }
        });
        StatusCells {
            unknown,
            disagree: words.disagree(row.status, row.ticked),
            note_outdated: other != base.is_some_and(|b| b.status == StatusCell::Other),
        }
    }

    /// A version per remote id (tasks and entries): what a row said, to notice a person's edit
    /// made between an observation and the write.
    pub fn versions(&self, mapping: &ExcelMapping) -> HashMap<String, String> {
        let mut out = HashMap::new();
        for t in self.observe(mapping, None) {
            for e in &t.entries {
                out.insert(
                    e.remote_id.clone(),
                    entry_version(&e.fields, e.checked, e.archived),
                );
            }
            out.insert(t.remote_id.clone(), t.version.clone().unwrap_or_default());
        }
        out
    }

    /// The state columns of every identity row as they stand, to be kept in the workbook.
    pub fn baseline_rows(&self, mapping: &ExcelMapping) -> Vec<(String, Baseline)> {
        let words = Words { mapping };
        let index = self.index();
        let mut out = Vec::new();
        for t in &index.tasks {
            let row = self.read_row(t.loc, &words);
            let state = self.written.get(&t.identity).copied().unwrap_or_else(|| {
                words.resolve(
                    row.status,
                    row.ticked,
                    self.baseline.get(&t.identity).copied(),
                )
            });
            out.push((
                t.identity.clone(),
                Baseline {
                    state: Some(state),
                    ..row.baseline()
                },
            ));
            for e in &t.entries {
                out.push((e.identity.clone(), self.read_row(e.loc, &words).baseline()));
            }
        }
        out
    }
}

pub(crate) fn baseline_status_key(s: StatusCell) -> &'static str {
    match s {
        StatusCell::Empty => "",
        StatusCell::State(State::Todo) => "todo",
        StatusCell::State(State::Doing) => "doing",
        StatusCell::State(State::Done) => "done",
        StatusCell::Archived => "archived",
        StatusCell::Other => "other",
    }
}

/// A state as kept in the baseline sheet (empty in workbooks written before it was kept).
fn baseline_state(key: &str) -> Option<State> {
    match key {
        "todo" => Some(State::Todo),
        "doing" => Some(State::Doing),
        "done" => Some(State::Done),
        _ => None,
    }
}

/// `Plan!E12`, quoted as Excel quotes sheet names that need it.
pub(crate) fn cell_a1(sheet: &str, row: usize, col: usize) -> String {
    format!(
        "{}!{}{}",
        quote_sheet(sheet),
        rust_xlsxwriter::column_number_to_name(col as u16),
        row + 1
    )
}

/// A sheet name as a formula names it: quoted unless it is one plain word.
fn quote_sheet(sheet: &str) -> String {
    if sheet.chars().all(|c| c.is_alphanumeric() || c == '_') {
        sheet.to_string()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    }
}

fn baseline_status(key: &str) -> StatusCell {
    match key {
        "todo" => StatusCell::State(State::Todo),
        "doing" => StatusCell::State(State::Doing),
        "done" => StatusCell::State(State::Done),
        "archived" => StatusCell::Archived,
        "other" => StatusCell::Other,
        _ => StatusCell::Empty,
    }
}

pub(crate) fn task_version(fields: &TaskFields, state: State, archived: bool) -> String {
    let json = serde_json::to_string(&(fields, state, archived)).expect("task fields serialize");
    format!("{:016x}", fnv1a(json.as_bytes()))
}

pub(crate) fn entry_version(fields: &EntryFields, checked: bool, archived: bool) -> String {
    let json = serde_json::to_string(&(fields, checked, archived)).expect("entry fields serialize");
    format!("{:016x}", fnv1a(json.as_bytes()))
}

/// FNV-1a: stable across Rust versions and processes, unlike `DefaultHasher`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The changes of one `apply`, made in memory.
pub(crate) struct Applier<'a> {
    wb: &'a mut Workbook,
    mapping: &'a ExcelMapping,
    /// The file, for messages.
    file: &'a str,
    /// Versions as last observed, when the file changed since: rows a person edited in between
    /// are not overwritten.
    guard: Option<&'a HashMap<String, String>>,
    tasks: HashMap<String, (Place, String)>,
    entries: HashMap<String, (Place, String)>,
    /// Per task remote id: its entry rows (sheet rows and pending rows), in order.
    children: HashMap<String, Vec<Place>>,
    pending: Vec<PendingRow>,
    /// Pending rows by where they go, in the order they go there.
    slots: BTreeMap<(usize, usize), Vec<usize>>,
    /// Whether anything changed.
    pub changed: bool,
}

impl<'a> Applier<'a> {
    pub fn new(
        wb: &'a mut Workbook,
        mapping: &'a ExcelMapping,
        file: &'a str,
        guard: Option<&'a HashMap<String, String>>,
    ) -> Applier<'a> {
        let index = wb.index();
        let mut tasks = HashMap::new();
        let mut entries = HashMap::new();
        let mut children = HashMap::new();
        for t in index.tasks {
            let kids = children.entry(t.remote_id.clone()).or_insert_with(Vec::new);
            for e in t.entries {
                kids.push(Place::Row(e.loc));
                entries.insert(e.remote_id, (Place::Row(e.loc), e.identity));
            }
            tasks.insert(t.remote_id, (Place::Row(t.loc), t.identity));
        }
        // Checklist rows whose task row a person deleted: a re-created task takes them over.
        for e in index.orphans {
            entries.insert(e.remote_id, (Place::Row(e.loc), e.identity));
        }
        Applier {
            wb,
            mapping,
            file,
            guard,
            tasks,
            entries,
            children,
            pending: Vec::new(),
            slots: BTreeMap::new(),
            changed: false,
        }
    }

    /// Apply every change in order; one result each.
    pub fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        let results = changes.iter().map(|c| self.apply_one(c)).collect();
        self.insert_pending();
        results
    }

    fn apply_one(&mut self, change: &Change) -> Result<Applied, ConnectorError> {
        match change {
            Change::CreateTask { task } => self.create_task(task),
            Change::UpdateTask {
                remote_id,
                fields,
                state,
                unarchive,
                context,
                identity,
                ..
            } => {
                let place = self.find_task(remote_id)?;
                self.check_unchanged(remote_id, place)?;
                if let Some(f) = fields {
                    self.check_dates(
                        remote_id,
                        Some(place),
                        &[(Field::Start, f.start), (Field::Due, f.due)],
                    )?;
                }
                self.ensure_columns(place);
                let status_now = self.status_at(place);
                let archived = status_now == StatusCell::Archived;
                // A word a person typed that the mapping does not know is theirs to fix: it is
                // kept (and noted when written), only the tick follows the state.
                let unknown = status_now == StatusCell::Other;
                if let Some(state) = state {
                    self.wb.written.insert(identity.clone(), *state);
                }
                let (wb, words) = (
                    &mut *self.wb,
                    Words {
                        mapping: self.mapping,
                    },
                );
                let (sheet, row, layout) = row_at(wb, &mut self.pending, place);
                let w = RowWriter {
                    layout: &layout,
                    words: &words,
                };
                if let Some(fields) = fields {
                    check_task_fields(fields, self.file)?;
                    w.task_fields(sheet, row, fields);
                }
                let still_archived = archived && !unarchive;
                match (state, still_archived) {
                    (Some(state), false) if !unknown => w.task_state(sheet, row, *state),
                    // An archived row keeps its marker; only the tick follows the state.
                    (Some(state), _) => {
                        if let Some(c) = layout.col(Field::Done) {
                            sheet.set(row, c, words.tick(*state == State::Done));
                        }
                    }
                    (None, false) if archived => {
                        let ticked = layout
                            .col(Field::Done)
                            .is_some_and(|c| words.ticked(sheet.cell(row, c)));
                        w.task_state(sheet, row, if ticked { State::Done } else { State::Todo });
                    }
                    (None, _) => {}
                }
                if !context.item_title.is_empty() {
                    w.item(sheet, row, &context.item_title);
                }
                self.changed = true;
                // Checklist rows show their task's stage and item too (for filtering).
                let group = fields.as_ref().map(|f| f.group.as_str());
                self.refresh_entries(remote_id, group, &context.item_title);
                Ok(Applied::Updated { version: None })
            }
            Change::ArchiveTask { remote_id, .. } => {
                let place = self.find_task(remote_id)?;
                self.check_unchanged(remote_id, place)?;
                self.ensure_columns(place);
                let words = Words {
                    mapping: self.mapping,
                };
                let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
                RowWriter {
                    layout: &layout,
                    words: &words,
                }
                .archive(sheet, row);
                self.changed = true;
                Ok(Applied::Archived)
            }
            Change::CreateEntry {
                parent_remote_id,
                parent_identity,
                index,
                entry,
                ..
            } => {
                let parent = self.find_task(parent_remote_id)?;
                let parent_identity = self
                    .tasks
                    .get(parent_remote_id)
                    .map_or(parent_identity.clone(), |t| t.1.clone());
                check_entry_identity(&parent_identity, &entry.identity)?;
                check_entry_fields(&entry.fields, self.file)?;
                let at = self.entries.get(&entry.identity).map(|(p, _)| *p);
                self.check_dates(&entry.identity, at, &[(Field::Due, entry.fields.due)])?;
                let remote_id = self.put_entry(parent_remote_id, parent, *index, entry);
                Ok(Applied::Created {
                    remote_id,
                    entries: Vec::new(),
                    version: None,
                })
            }
            Change::UpdateEntry {
                parent_remote_id,
                remote_id,
                fields,
                checked,
                unarchive,
                ..
            } => {
                let place = self.find_entry(remote_id)?;
                self.check_unchanged(remote_id, place)?;
                if let Some(f) = fields {
                    self.check_dates(remote_id, Some(place), &[(Field::Due, f.due)])?;
                }
                self.ensure_columns(place);
                let group = self.parent_group(parent_remote_id);
                let words = Words {
                    mapping: self.mapping,
                };
                let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
                let w = RowWriter {
                    layout: &layout,
                    words: &words,
                };
                if let Some(fields) = fields {
                    check_entry_fields(fields, self.file)?;
                    w.entry_fields(sheet, row, fields, group.as_deref());
                }
                let archived = layout
                    .col(Field::Status)
                    .map(|c| words.status(sheet.cell(row, c)))
                    == Some(StatusCell::Archived);
                if *unarchive && archived {
                    if let Some(c) = layout.col(Field::Status) {
                        sheet.set(row, c, Cell::Empty);
                    }
                    let ticked = layout
                        .col(Field::Done)
                        .is_some_and(|c| words.ticked(sheet.cell(row, c)));
                    w.entry_checked(sheet, row, checked.unwrap_or(ticked));
                } else if let Some(checked) = checked {
                    if archived {
                        if let Some(c) = layout.col(Field::Done) {
                            sheet.set(row, c, words.tick(*checked));
                        }
                    } else {
                        w.entry_checked(sheet, row, *checked);
                    }
                }
                self.changed = true;
                Ok(Applied::Updated { version: None })
            }
            Change::ArchiveEntry { remote_id, .. } => {
                let place = self.find_entry(remote_id)?;
                self.check_unchanged(remote_id, place)?;
                self.ensure_columns(place);
                let words = Words {
                    mapping: self.mapping,
                };
                let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
                RowWriter {
                    layout: &layout,
                    words: &words,
                }
                .archive(sheet, row);
                self.changed = true;
                Ok(Applied::Archived)
            }
        }
    }

    fn create_task(&mut self, task: &DesiredTask) -> Result<Applied, ConnectorError> {
        check_identity(&task.identity, self.file)?;
        check_task_fields(&task.fields, self.file)?;
        for e in &task.entries {
            check_entry_identity(&task.identity, &e.identity)?;
            check_entry_fields(&e.fields, self.file)?;
        }
        let at = self.tasks.get(&task.identity).map(|(p, _)| *p);
        let f = &task.fields;
        self.check_dates(
            &task.identity,
            at,
            &[(Field::Start, f.start), (Field::Due, f.due)],
        )?;
        for e in &task.entries {
            let at = self.entries.get(&e.identity).map(|(p, _)| *p);
            self.check_dates(&e.identity, at, &[(Field::Due, e.fields.due)])?;
        }
        // The row may already be there (a crash after the write, before the engine recorded
        // it): take it over instead of adding a second one.
        let place = match self.tasks.get(&task.identity) {
            Some((place, _)) => {
                let place = *place;
                self.ensure_columns(place);
                place
            }
            None => {
                let s = self.sheet_for(&task.context);
                let sheet = &mut self.wb.book.sheets[s];
                let row = last_used_row(sheet)
                    .map_or(0, |r| r + 1)
                    .max(self.wb.layouts[s].as_ref().map_or(0, |l| l.header_row + 1));
                if row >= MAX_ROWS {
                    return Err(ConnectorError::Invalid {
                        message: format!(
                            "sheet \"{}\" of {} is full (Excel allows {MAX_ROWS} rows); use one sheet per stage in the mapping or archive old items",
                            sheet.name, self.file
                        ),
                    });
                }
                let place = Place::Row(Loc { sheet: s, row });
                self.tasks
                    .insert(task.identity.clone(), (place, task.identity.clone()));
                self.children.entry(task.identity.clone()).or_default();
                place
            }
        };
        let words = Words {
            mapping: self.mapping,
        };
        {
            let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
            let w = RowWriter {
                layout: &layout,
                words: &words,
            };
            w.identity(sheet, row, &task.identity);
            w.item(sheet, row, &task.context.item_title);
            w.task_fields(sheet, row, &task.fields);
            w.task_state(sheet, row, task.state);
        }
        let mut entries = Vec::new();
        for (i, entry) in task.entries.iter().enumerate() {
            let rid = self.put_entry(&task.identity, place, i, entry);
            entries.push((entry.identity.clone(), rid));
        }
        self.changed = true;
        Ok(Applied::Created {
            remote_id: task.identity.clone(),
            entries,
            version: None,
        })
    }

    /// Create (or take over, if its row is already there) an entry under its task.
    fn put_entry(
        &mut self,
        parent_rid: &str,
        parent: Place,
        index: usize,
        entry: &DesiredEntry,
    ) -> String {
        let place = match self.entries.get(&entry.identity) {
            Some((place, _)) => *place,
            None => {
                let place = self.new_entry_place(parent_rid, parent, index);
                self.entries
                    .insert(entry.identity.clone(), (place, entry.identity.clone()));
                place
            }
        };
        self.ensure_columns(place);
        let group = self.group_at(parent);
        let item = self.item_at(parent);
        let words = Words {
            mapping: self.mapping,
        };
        let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
        let w = RowWriter {
            layout: &layout,
            words: &words,
        };
        w.identity(sheet, row, &entry.identity);
        w.item(sheet, row, &item);
        w.entry_fields(sheet, row, &entry.fields, Some(&group));
        if let Some(c) = layout.col(Field::Status) {
            sheet.set(row, c, Cell::Empty);
        }
        w.entry_checked(sheet, row, entry.checked);
        self.changed = true;
        entry.identity.clone()
    }

    /// Where a new entry row goes: before the sibling now at `index`, else after the task's
    /// last entry row in the task's sheet, else right under the task.
    fn new_entry_place(&mut self, parent_rid: &str, parent: Place, index: usize) -> Place {
        let siblings: Vec<Place> = self.children.get(parent_rid).cloned().unwrap_or_default();
        let Place::Row(parent_loc) = parent else {
            unreachable!("tasks are never pending rows")
        };
        let same_sheet: Vec<Place> = siblings
            .iter()
            .copied()
            .filter(|p| match p {
                Place::Row(l) => l.sheet == parent_loc.sheet,
                Place::Pending(i) => self.pending[*i].sheet == parent_loc.sheet,
            })
            .collect();
        let (before, slot_pos) = match same_sheet.get(index) {
            // Right before that row, after rows already waiting there.
            Some(Place::Row(l)) => (
                l.row,
                self.slots
                    .get(&(parent_loc.sheet, l.row))
                    .map_or(0, Vec::len),
            ),
            // Right before a sibling that is itself waiting to be inserted.
            Some(Place::Pending(i)) => {
                let before = self.pending[*i].before;
                let slot = &self.slots[&(parent_loc.sheet, before)];
                (
                    before,
                    slot.iter().position(|x| x == i).unwrap_or(slot.len()),
                )
            }
            None => {
                let last = same_sheet
                    .iter()
                    .map(|p| match p {
                        Place::Row(l) => l.row,
                        Place::Pending(i) => self.pending[*i].before.saturating_sub(1),
                    })
                    .chain(std::iter::once(parent_loc.row))
                    .max()
                    .unwrap_or(parent_loc.row);
                let slot_len = self
                    .slots
                    .get(&(parent_loc.sheet, last + 1))
                    .map_or(0, Vec::len);
                (last + 1, slot_len)
            }
        };
        let id = self.pending.len();
        self.pending.push(PendingRow {
            sheet: parent_loc.sheet,
            before,
            row: Sheet::new(""),
        });
        self.slots
            .entry((parent_loc.sheet, before))
            .or_default()
            .insert(slot_pos, id);
        let place = Place::Pending(id);
        let kids = self.children.entry(parent_rid.to_string()).or_default();
        let at = index.min(kids.len());
        kids.insert(at, place);
        place
    }

    /// Put pending rows into their sheets; later rows first so earlier positions hold.
    fn insert_pending(&mut self) {
        let mut rows: Vec<Option<Vec<Cell>>> = self
            .pending
            .drain(..)
            .map(|p| Some(p.row.rows.into_iter().next().unwrap_or_default()))
            .collect();
        for ((sheet, before), ids) in std::mem::take(&mut self.slots).into_iter().rev() {
            let block: Vec<Vec<Cell>> = ids.iter().filter_map(|&i| rows[i].take()).collect();
            self.wb.book.sheets[sheet].insert_rows(before, block);
        }
    }

    fn refresh_entries(&mut self, task_rid: &str, group: Option<&str>, item_title: &str) {
        let words = Words {
            mapping: self.mapping,
        };
        for place in self.children.get(task_rid).cloned().unwrap_or_default() {
            let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
            let w = RowWriter {
                layout: &layout,
                words: &words,
            };
            if let (Some(group), Some(c)) = (group, layout.col(Field::Stage)) {
                sheet.set(row, c, Cell::text_cell(group));
            }
            if !item_title.is_empty() {
                w.item(sheet, row, item_title);
            }
        }
    }

    fn find_task(&self, remote_id: &str) -> Result<Place, ConnectorError> {
        self.tasks
            .get(remote_id)
            .map(|(p, _)| *p)
            .ok_or_else(|| ConnectorError::NotFound {
                what: format!(
                    "no row with ID \"{remote_id}\" in {} (it was deleted or its ID cell changed)",
                    self.file
                ),
            })
    }

    fn find_entry(&self, remote_id: &str) -> Result<Place, ConnectorError> {
        self.entries.get(remote_id).map(|(p, _)| *p).ok_or_else(|| ConnectorError::NotFound {
            what: format!(
                "no checklist row with ID \"{remote_id}\" in {} (it was deleted or its ID cell changed)",
                self.file
            ),
        })
    }

    /// A row a person edited after the observation this apply was planned from is left alone.
    fn check_unchanged(&self, remote_id: &str, place: Place) -> Result<(), ConnectorError> {
        let (Some(guard), Place::Row(loc)) = (self.guard, place) else {
            return Ok(());
        };
        let Some(before) = guard.get(remote_id) else {
            return Ok(());
        };
        let words = Words {
            mapping: self.mapping,
        };
        let row = self.wb.read_row(loc, &words);
        let identity = self
            .tasks
            .get(remote_id)
            .or_else(|| self.entries.get(remote_id))
            .map(|t| t.1.clone());
        let base = identity.and_then(|id| self.wb.baseline.get(&id).copied());
        let state = words.resolve(row.status, row.ticked, base);
        let now = if self.tasks.contains_key(remote_id) {
            task_version(&row.task_fields(), state, row.archived())
        } else {
            entry_version(&row.entry_fields(), state == State::Done, row.archived())
        };
        if &now == before {
            return Ok(());
        }
        let sheet = &self.wb.book.sheets[loc.sheet];
        Err(ConnectorError::VersionMismatch {
            message: format!(
                "'{}'!{} (ID \"{remote_id}\") in {} was edited after throughline read it; it was left as the person saved it and will be compared again on the next sync",
                sheet.name,
                loc.row + 1,
                self.file
            ),
        })
    }

    fn status_at(&mut self, place: Place) -> StatusCell {
        let words = Words {
            mapping: self.mapping,
        };
        let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
        layout
            .col(Field::Status)
            .map_or(StatusCell::Empty, |c| words.status(sheet.cell(row, c)))
    }

    fn cell_text(&mut self, place: Place, field: Field) -> String {
        let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
        layout
            .col(field)
            .map(|c| sheet.cell(row, c).text())
            .unwrap_or_default()
    }

    fn group_at(&mut self, place: Place) -> String {
        self.cell_text(place, Field::Stage)
    }

    fn item_at(&mut self, place: Place) -> String {
        self.cell_text(place, Field::Item)
    }

    fn parent_group(&mut self, parent_rid: &str) -> Option<String> {
        let place = self.tasks.get(parent_rid)?.0;
        Some(self.group_at(place))
    }

    /// A date no Excel cell holds fails its own change, before anything of its row is
    /// written: left in, it would fail the rendering of the whole workbook, every other row's
    /// change with it.
    fn check_dates(
        &self,
        identity: &str,
        place: Option<Place>,
        dates: &[(Field, Option<Date>)],
    ) -> Result<(), ConnectorError> {
        match throughline_connector::date_before(dates, FIRST_DATE) {
            None => Ok(()),
            Some((field, date)) => Err(throughline_connector::unwritable_date(
                identity,
                field.key(),
                date,
                &self.cell_name(place, field),
                "Excel",
                FIRST_DATE,
            )),
        }
    }

    /// `Plan!G12` for a row's cell, or where a new row would go.
    fn cell_name(&self, place: Option<Place>, field: Field) -> String {
        let Some(Place::Row(loc)) = place else {
            return format!("the {} column of a new row of {}", field.key(), self.file);
        };
        let name = &self.wb.book.sheets[loc.sheet].name;
        match self.wb.layouts[loc.sheet]
            .as_ref()
            .and_then(|l| l.col(field))
        {
            Some(c) => format!("{} of {}", cell_a1(name, loc.row, c), self.file),
            None => format!(
                "row {} of sheet {} of {}",
                loc.row + 1,
                quote_sheet(name),
                self.file
            ),
        }
    }

    /// A sheet that lost one of the mapping's columns (a person deleted it) gets it back at its
    /// right before throughline writes to it.
    fn ensure_columns(&mut self, place: Place) {
        let s = match place {
            Place::Row(l) => l.sheet,
            Place::Pending(i) => self.pending[i].sheet,
        };
        if let Some(layout) = self.wb.layouts[s].as_mut() {
            let before = layout.clone();
            layout.add_missing_columns(&mut self.wb.book.sheets[s], self.mapping);
            if *layout != before {
                self.changed = true;
            }
        }
    }

    /// The sheet a new task goes to, made if needed. A sheet of the same name that is not
    /// throughline's is never taken over.
    fn sheet_for(&mut self, ctx: &TaskContext) -> usize {
        let (wanted, fallback) = match self.mapping.sheet_per {
            SheetPer::Process => (&ctx.process_name, &ctx.process),
            SheetPer::Stage => (&ctx.stage_name, &ctx.stage),
        };
        let base = sheet_name(wanted, fallback);
        for n in 1.. {
            let name = if n == 1 {
                base.clone()
            } else {
                numbered(&base, n)
            };
            match self.wb.book.sheet_index(&name) {
                Some(i) if self.wb.layouts[i].is_some() => {
                    self.ensure_columns(Place::Row(Loc { sheet: i, row: 0 }));
                    return i;
                }
                Some(_) => continue,
                None => {
                    let language = self.mapping.language_for(ctx.rtl);
                    let (layout, header) = Layout::new_sheet(self.mapping, language);
                    let mut sheet = Sheet::new(name);
                    sheet.rows.push(header);
                    sheet.view.right_to_left = ctx.rtl;
                    sheet.visibility = Visibility::Visible;
                    self.wb.book.sheets.push(sheet);
                    self.wb.layouts.push(Some(layout));
                    self.changed = true;
                    return self.wb.book.sheets.len() - 1;
                }
            }
        }
        unreachable!("some numbered name is always free")
    }
}

/// The sheet, row number and layout of a place (a pending row is row 0 of its own scratch
/// sheet, with the layout of the sheet it goes to).
fn row_at<'w>(
    wb: &'w mut Workbook,
    pending: &'w mut [PendingRow],
    place: Place,
) -> (&'w mut Sheet, usize, Layout) {
    match place {
        Place::Row(loc) => {
            let layout = wb.layouts[loc.sheet]
                .clone()
                .expect("identity rows are in throughline's sheets");
            (&mut wb.book.sheets[loc.sheet], loc.row, layout)
        }
        Place::Pending(i) => {
            let p = &mut pending[i];
            let mut layout = wb.layouts[p.sheet]
                .clone()
                .expect("pending rows go to throughline's sheets");
            layout.header_row = 0;
            (&mut p.row, 0, layout)
        }
    }
}

fn last_used_row(sheet: &Sheet) -> Option<usize> {
    sheet.rows.iter().rposition(|r| {
        r.iter()
            .any(|c| !c.is_empty() || matches!(c, Cell::Formula { .. }))
    })
}

fn check_identity(identity: &str, file: &str) -> Result<(), ConnectorError> {
    if identity.trim().is_empty()
        || identity.trim() != identity
        || identity.chars().count() > MAX_CELL_CHARS
    {
        return Err(ConnectorError::Invalid {
            message: format!("identity {identity:?} cannot be kept in the ID column of {file}"),
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
                "checklist entry \"{entry}\" must have an identity under its task's (\"{parent}/…\"): that is how its row is tied to the task after people sort the sheet"
            ),
        }),
    }
}

fn too_long(what: &str, text: &str, file: &str) -> Result<(), ConnectorError> {
    if text.chars().count() > MAX_CELL_CHARS {
        return Err(ConnectorError::Invalid {
            message: format!(
                "the {what} \"{}…\" is longer than the {MAX_CELL_CHARS} characters an Excel cell holds; shorten it in the playbook ({file})",
                text.chars().take(40).collect::<String>()
            ),
        });
    }
    Ok(())
}

fn check_task_fields(f: &TaskFields, file: &str) -> Result<(), ConnectorError> {
    too_long("title", &f.title, file)?;
    too_long("description", &f.description, file)?;
    too_long("stage", &f.group, file)?;
    too_long("owner", f.owner.as_deref().unwrap_or(""), file)
}

fn check_entry_fields(f: &EntryFields, file: &str) -> Result<(), ConnectorError> {
    too_long("checklist text", &f.text, file)?;
    too_long("owner", f.owner.as_deref().unwrap_or(""), file)
}
