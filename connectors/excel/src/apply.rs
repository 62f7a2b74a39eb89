//! The changes of one `apply`, made to the workbook in memory: rows are found by identity,
//! new rows wait at the end of their task's rows until every change is made (so row numbers
//! stay valid until then), and a change that cannot be made fails alone, before anything of
//! its row is written.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use throughline_connector::change_view::{
    ChangeView, EntryArchive, EntryCreate, EntryUpdate, TaskArchive, TaskUpdate,
};
use throughline_connector::{
    Applied, Change, ConnectorError, DesiredEntry, DesiredTask, State, TaskContext,
};
use throughline_grid::{
    EntryWrite, RowChecks, StateWrite, StatusCell, check_entry_identity, entry_created,
};

use crate::book::{Cell, Sheet, Visibility};
use crate::layout::{self, Layout, RowWriter, numbered, sheet_name};
use crate::mapping::{ExcelMapping, Field, SheetPer};
use crate::workbook::{
    Loc, MAX_CELL_CHARS, MAX_ROWS, Workbook, cell_a1, entry_version, quote_sheet, task_version,
};

/// The first date an Excel cell holds (the last is 9999-12-31, past any date there is).
const FIRST_DATE: Date = Date::constant(1900, 1, 1);

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

/// The changes of one `apply`, made in memory.
pub(crate) struct Applier<'a> {
    wb: &'a mut Workbook,
    mapping: &'a ExcelMapping,
    /// The file, for messages.
    file: &'a str,
    /// Where identities are kept and the file, as the row checks name them.
    id_column: String,
    in_file: String,
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
            id_column: format!("the ID column of {file}"),
            in_file: format!(" ({file})"),
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
        match change.view() {
            ChangeView::CreateTask(task) => self.create_task(task),
            ChangeView::UpdateTask(u) => self.update_task(u),
            ChangeView::ArchiveTask(TaskArchive { remote_id, .. }) => {
                let place = self.find_task(remote_id)?;
                self.archive(remote_id, place)
            }
            ChangeView::CreateEntry(c) => self.create_entry(c),
            ChangeView::UpdateEntry(u) => self.update_entry(u),
            ChangeView::ArchiveEntry(EntryArchive { remote_id, .. }) => {
                let place = self.find_entry(remote_id)?;
                self.archive(remote_id, place)
            }
        }
    }

    /// The checks that fail one row's change alone, with this workbook's limits.
    fn row_checks(&self) -> RowChecks<'_> {
        RowChecks {
            max_chars: MAX_CELL_CHARS,
            cell: "an Excel cell",
            home: &self.id_column,
            place: &self.in_file,
        }
    }

    fn update_task(&mut self, u: TaskUpdate<'_>) -> Result<Applied, ConnectorError> {
        let place = self.find_task(u.remote_id)?;
        self.check_unchanged(u.remote_id, place)?;
        if let Some(f) = u.fields {
            self.check_dates(
                u.remote_id,
                Some(place),
                &[(Field::Start, f.start), (Field::Due, f.due)],
            )?;
            self.row_checks().task_fields(f)?;
        }
        self.ensure_columns(place);
        let status_now = self.status_at(place);
        if let Some(state) = u.state {
            self.wb.written.insert(u.identity.to_owned(), state);
        }
        let mapping = self.mapping;
        let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
        let w = RowWriter {
            layout: &layout,
            mapping,
        };
        if let Some(fields) = u.fields {
            w.task_fields(sheet, row, fields);
        }
        let ticked_now = || layout::ticked(mapping, &layout, sheet, row);
        match throughline_grid::words::task_state_write(
            status_now,
            u.state,
            u.unarchive,
            ticked_now,
        ) {
            StateWrite::Both(state) => {
                w.task_state(sheet, row, state, u.context.blocked_reason.as_deref())
            }
            // The unknown word stays as typed (the rendering notes it); only the tick follows.
            StateWrite::Tick(state) | StateWrite::KeepUnknown(state) => {
                if let Some(c) = layout.col(Field::Done) {
                    sheet.set(row, c, layout::tick(mapping, state == State::Done));
                }
            }
            StateWrite::Nothing => {}
        }
        if !u.context.item_title.is_empty() {
            w.item(sheet, row, &u.context.item_title);
        }
        self.changed = true;
        // Checklist rows show their task's stage and item too (for filtering).
        let group = u.fields.map(|f| f.group.as_str());
        self.refresh_entries(u.remote_id, group, &u.context.item_title);
        Ok(Applied::Updated { version: None })
    }

    fn archive(&mut self, remote_id: &str, place: Place) -> Result<Applied, ConnectorError> {
        self.check_unchanged(remote_id, place)?;
        self.ensure_columns(place);
        let mapping = self.mapping;
        let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
        RowWriter {
            layout: &layout,
            mapping,
        }
        .archive(sheet, row);
        self.changed = true;
        Ok(Applied::Archived)
    }

    fn create_entry(&mut self, c: EntryCreate<'_>) -> Result<Applied, ConnectorError> {
        let parent = self.find_task(c.parent_remote_id)?;
        let parent_identity = self
            .tasks
            .get(c.parent_remote_id)
            .map_or(c.parent_identity, |t| t.1.as_str());
        check_entry_identity(parent_identity, &c.entry.identity)?;
        self.row_checks().entry_fields(&c.entry.fields)?;
        let at = self.entries.get(&c.entry.identity).map(|(p, _)| *p);
        self.check_dates(&c.entry.identity, at, &[(Field::Due, c.entry.fields.due)])?;
        Ok(entry_created(self.put_entry(
            c.parent_remote_id,
            parent,
            c.index,
            c.entry,
        )))
    }

    fn update_entry(&mut self, u: EntryUpdate<'_>) -> Result<Applied, ConnectorError> {
        let place = self.find_entry(u.remote_id)?;
        self.check_unchanged(u.remote_id, place)?;
        if let Some(f) = u.fields {
            self.check_dates(u.remote_id, Some(place), &[(Field::Due, f.due)])?;
            self.row_checks().entry_fields(f)?;
        }
        self.ensure_columns(place);
        let group = self.parent_group(u.parent_remote_id);
        let archived = self.status_at(place) == StatusCell::Archived;
        let mapping = self.mapping;
        let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
        let w = RowWriter {
            layout: &layout,
            mapping,
        };
        if let Some(fields) = u.fields {
            w.entry_fields(sheet, row, fields, group.as_deref());
        }
        let ticked_now = || layout::ticked(mapping, &layout, sheet, row);
        match throughline_grid::words::entry_state_write(
            archived,
            u.checked,
            u.unarchive,
            ticked_now,
        ) {
            EntryWrite::Unarchive(checked) => {
                if let Some(c) = layout.col(Field::Status) {
                    sheet.set(row, c, Cell::Empty);
                }
                w.entry_checked(sheet, row, checked);
            }
            EntryWrite::Tick(checked) => {
                if let Some(c) = layout.col(Field::Done) {
                    sheet.set(row, c, layout::tick(mapping, checked));
                }
            }
            EntryWrite::Checked(checked) => w.entry_checked(sheet, row, checked),
            EntryWrite::Nothing => {}
        }
        self.changed = true;
        Ok(Applied::Updated { version: None })
    }

    fn create_task(&mut self, task: &DesiredTask) -> Result<Applied, ConnectorError> {
        self.row_checks().new_task(task)?;
        let cell = |identity: &str, entry: bool, field| {
            let rows = if entry { &self.entries } else { &self.tasks };
            self.cell_name(rows.get(identity).map(|(p, _)| *p), field)
        };
        throughline_grid::check_task_dates(task, FIRST_DATE, "Excel", cell)?;
        let place = self.task_place(&task.identity, &task.context)?;
        let mapping = self.mapping;
        {
            let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
            let w = RowWriter {
                layout: &layout,
                mapping,
            };
            w.identity(sheet, row, &task.identity);
            w.item(sheet, row, &task.context.item_title);
            w.task_fields(sheet, row, &task.fields);
            w.task_state(
                sheet,
                row,
                task.state,
                task.context.blocked_reason.as_deref(),
            );
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

    /// A new task's row: at the end of its sheet (made if needed). The row may already be
    /// there (a crash after the write, before the engine recorded it): it is taken over
    /// instead of adding a second one.
    fn task_place(
        &mut self,
        identity: &str,
        context: &TaskContext,
    ) -> Result<Place, ConnectorError> {
        let place = match self.tasks.get(identity) {
            Some((place, _)) => {
                let place = *place;
                self.ensure_columns(place);
                place
            }
            None => {
                let s = self.sheet_for(context);
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
                    .insert(identity.to_owned(), (place, identity.to_owned()));
                self.children.entry(identity.to_owned()).or_default();
                place
            }
        };
        Ok(place)
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
        let mapping = self.mapping;
        let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
        let w = RowWriter {
            layout: &layout,
            mapping,
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
        let mapping = self.mapping;
        for place in self.children.get(task_rid).cloned().unwrap_or_default() {
            let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
            let w = RowWriter {
                layout: &layout,
                mapping,
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
        let row = self.wb.read_row(loc, self.mapping);
        let identity = self
            .tasks
            .get(remote_id)
            .or_else(|| self.entries.get(remote_id))
            .map_or("", |t| t.1.as_str());
        let state = self.wb.state_of(identity, &row, self.mapping);
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
        let mapping = self.mapping;
        let (sheet, row, layout) = row_at(self.wb, &mut self.pending, place);
        layout::status_of(mapping, &layout, sheet, row)
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
        let cell = |field| self.cell_name(place, field);
        throughline_grid::check_dates(identity, dates, FIRST_DATE, "Excel", cell)
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
            layout::add_missing_columns(layout, &mut self.wb.book.sheets[s], self.mapping);
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
                    let (layout, header) = layout::new_sheet(self.mapping, language);
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
