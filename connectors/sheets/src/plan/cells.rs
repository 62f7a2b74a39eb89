//! The cells of one apply: where each write goes (a row's developer metadata, or its position
//! when only the ID column has it), what a cell will hold after the writes planned so far, and
//! the writes of a row's fields and state columns.

use super::*;
use crate::words::view;

impl Planner<'_> {
    // --- Cells ---------------------------------------------------------------------------------

    /// A date no cell reads back as a date fails its own change, before anything of its row
    /// is planned; the other changes go through.
    pub(super) fn check_dates(
        &self,
        identity: &str,
        row: Option<RowRef>,
        dates: &[(Field, Option<jiff::civil::Date>)],
    ) -> Result<(), ConnectorError> {
        let cell = |field| self.cell_name(row, field);
        throughline_grid::check_dates(identity, dates, FIRST_DATE, "a spreadsheet", cell)
    }

    /// `Copy!G12` for a row's cell as observed, or where a new row would go.
    pub(super) fn cell_name(&self, row: Option<RowRef>, field: Field) -> String {
        let tab = row.map(|r| self.tab_of(r));
        match (row, tab.and_then(|t| t.col(field))) {
            (Some(RowRef::Existing { tab, row }), Some(col)) => format!(
                "{}!{}{}",
                a1::quote_title(&self.tabs[tab].title),
                a1::column_letters(col),
                self.snap.tabs[tab].rows[row].row + 1
            ),
            _ => format!("the {} column of a new row", field.key()),
        }
    }

    pub(super) fn tab_index(&self, row: RowRef) -> usize {
        match row {
            RowRef::Existing { tab, .. } => tab,
            RowRef::New { insert } => self.inserts[insert].tab,
        }
    }

    pub(super) fn tab_of(&self, row: RowRef) -> &TabPlan {
        &self.tabs[self.tab_index(row)]
    }

    pub(super) fn target(&mut self, row: RowRef) -> Target {
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
    pub(super) fn note(&mut self, row: RowRef, text: Option<String>) {
        if let (RowRef::Existing { tab, row }, Some(col)) =
            (row, self.tab_of(row).col(Field::Status))
        {
            self.notes
                .push((tab, self.snap.tabs[tab].rows[row].row, col, text));
        }
    }

    /// Write one cell of a row (nothing when the tab lacks the column).
    pub(super) fn put(&mut self, row: RowRef, field: Field, value: Value, out: &mut Outcome) {
        let Some(col) = self.tab_of(row).col(field) else {
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
    pub(super) fn cell_now(&self, row: RowRef, field: Field) -> Value {
        let Some(col) = self.tab_of(row).col(field) else {
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

    pub(super) fn status_now(&self, row: RowRef) -> StatusCell {
        self.words.status(&view(&self.cell_now(row, Field::Status)))
    }

    pub(super) fn ticked_now(&self, row: RowRef) -> bool {
        self.words.ticked(&view(&self.cell_now(row, Field::Done)))
    }

    pub(super) fn write_identity(&mut self, row: RowRef, identity: &str, out: &mut Outcome) {
        self.put(row, Field::Id, Value::String(identity.to_owned()), out);
    }

    pub(super) fn write_task_fields(
        &mut self,
        row: RowRef,
        f: &TaskFields,
        item: &str,
        out: &mut Outcome,
    ) {
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

    pub(super) fn write_entry_fields(
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
    /// A task's state in the status and done columns, and a blocked task's reason in the
    /// reason column (emptied for any other state).
    pub(super) fn write_task_state(
        &mut self,
        row: RowRef,
        state: State,
        reason: Option<&str>,
        identity: &str,
        out: &mut Outcome,
    ) {
        let reason = reason.filter(|_| state == State::Blocked).unwrap_or("");
        self.put(row, Field::Reason, Value::String(reason.to_owned()), out);
        let lang = self.tab_of(row).layout.language;
        let word = self.words.status_word(lang, state).to_owned();
        self.put(row, Field::Status, Value::String(word.clone()), out);
        self.put(row, Field::Done, Value::Bool(state == State::Done), out);
        let status = self
            .words
            .status(&throughline_grid::Cell::Text(word.into()));
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
    pub(super) fn write_entry_checked(
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
            let lang = self.tab_of(row).layout.language;
            let word = self.words.status_word(lang, state).to_owned();
            self.put(row, Field::Status, Value::String(word.clone()), out);
            self.words
                .status(&throughline_grid::Cell::Text(word.into()))
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

    pub(super) fn find_task(&self, remote_id: &str) -> Result<RowRef, ConnectorError> {
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

    pub(super) fn find_entry(&self, remote_id: &str) -> Result<RowRef, ConnectorError> {
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

    pub(super) fn new_id(&mut self) -> i32 {
        loop {
            let id = rand::random_range(1..i32::MAX);
            if self.used_ids.insert(id) {
                return id;
            }
        }
    }
}

fn date_value(d: Option<jiff::civil::Date>) -> Value {
    match d {
        Some(d) => json!(date_to_serial(d)),
        None => Value::String(String::new()),
    }
}
