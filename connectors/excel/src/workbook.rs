//! The workbook as throughline sees it: its own sheets (recognised by their headers), the rows
//! that carry identities, and what they say. The changes of one `apply` are in `apply.rs`.
//!
//! Rows are found by the identity in the ID column, never by position: people sort, filter,
//! insert rows and move columns. A checklist entry's identity extends its task's
//! (`item/stage/key` under `item/stage`), which is how an entry finds its task after a sort
//! (the grid core's identity index).

use std::collections::HashMap;

use jiff::Timestamp;
use throughline_connector::{ObservedTask, State, StatusCells};
pub(crate) use throughline_grid::{entry_version, task_version};

use crate::book::Book;
use crate::layout::{self, Baseline, Layout, RowRead, StatusCell};
use crate::mapping::{ExcelMapping, Field};

/// The very hidden sheet where throughline keeps, per identity, the state columns as it last
/// wrote them. It is recognised by its first cell; the name is only what it is usually called
/// (a sheet of people's own may already have it).
pub(crate) const BASELINE_SHEET: &str = "throughline";
pub(crate) const BASELINE_MARK: &str = "throughline: state columns as last written; do not edit";

/// Excel's limit on the characters in one cell.
pub(crate) const MAX_CELL_CHARS: usize = 32_767;
/// Excel's limit on rows per sheet.
pub(crate) const MAX_ROWS: usize = 1_048_576;

/// Where a row is: its sheet and row (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Loc {
    pub sheet: usize,
    pub row: usize,
}

/// Every identity row of the workbook, tasks with their entries, in sheet and row order.
pub(crate) type Index = throughline_grid::Index<Loc>;

/// Which rows are entries (and of which task), which are tasks.
fn build_index(book: &Book, layouts: &[Option<Layout>]) -> Index {
    let mut rows: Vec<(String, Loc)> = Vec::new();
    for (s, sheet) in book.sheets.iter().enumerate() {
        let Some(layout) = &layouts[s] else { continue };
        for row in layout.header_row + 1..sheet.rows.len() {
            if let Some(id) = layout::identity(layout, sheet, row) {
                rows.push((id, Loc { sheet: s, row }));
            }
        }
    }
    Index::build(rows.iter().map(|(id, loc)| (id.as_str(), *loc)))
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
        let words = mapping.words();
        let mut baseline = HashMap::new();
        book.sheets.retain(|sheet| {
            let ours = sheet.cell(0, 0).text() == BASELINE_MARK;
            if ours {
                for row in sheet.rows.iter().skip(1) {
                    let cell = |i: usize| row.get(i).cloned().unwrap_or_default();
                    let id = cell(0).text();
                    if !id.is_empty() {
                        baseline.entry(id).or_insert(Baseline {
                            status: StatusCell::from_key(&cell(1).text()),
                            ticked: words.ticked(&cell(2).view()),
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
            .map(|s| layout::detect(s, mapping))
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
        build_index(&self.book, &self.layouts)
    }

    pub(super) fn read_row(&self, loc: Loc, mapping: &ExcelMapping) -> RowRead {
        let layout = self.layouts[loc.sheet]
            .as_ref()
            .expect("identity rows are in throughline's sheets");
        layout::read_row(&self.book.sheets[loc.sheet], loc.row, layout, mapping)
    }

    /// The state a row stands for: its state columns against the baseline.
    pub(super) fn state_of(&self, identity: &str, row: &RowRead, mapping: &ExcelMapping) -> State {
        let base = self.baseline.get(identity).copied();
        mapping.words().resolve(row.status, row.ticked, base)
    }

    /// Every task and entry, as a person left them.
    pub fn observe(
        &self,
        mapping: &ExcelMapping,
        modified: Option<Timestamp>,
    ) -> Vec<ObservedTask> {
        throughline_grid::observe(
            &self.index(),
            modified,
            |identity, loc| {
                let row = self.read_row(loc, mapping);
                let state = self.state_of(identity, &row, mapping);
                (row, state)
            },
            |task, row| self.status_cells(task, row, mapping),
        )
    }

    /// What a task row's status and done cells say beyond its state (see [`StatusCells`]).
    /// The note on an unknown word is there when the row was last written with one, since a
    /// write notes every such cell: the baseline tells.
    fn status_cells(
        &self,
        task: &throughline_grid::TaskRow<Loc>,
        row: &RowRead,
        mapping: &ExcelMapping,
    ) -> StatusCells {
        let loc = task.loc;
        let base = self.baseline.get(&task.identity);
        let noted = base.is_some_and(|b| b.status == StatusCell::Other);
        // A blocked task's reason, where the sheet has the column (a reason left beside
        // another status word is not shown: it is no longer why the task waits).
        let reason_col = self.layouts[loc.sheet]
            .as_ref()
            .and_then(|l| l.col(Field::Reason));
        let reason = reason_col
            .map(|c| self.book.sheets[loc.sheet].cell(loc.row, c).text())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty() && row.status == StatusCell::Blocked);
        let cells = mapping
            .words()
            .status_cells(row.status, row.ticked, noted, || {
                let sheet = &self.book.sheets[loc.sheet];
                let col = self.layouts[loc.sheet]
                    .as_ref()
                    .and_then(|l| l.col(Field::Status))
                    .unwrap_or_default();
                (
                    sheet.cell(loc.row, col).text(),
                    cell_a1(&sheet.name, loc.row, col),
                )
            });
        StatusCells {
            holds_reason: reason_col.is_some(),
            blocked_reason: reason,
            ..cells
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
        let index = self.index();
        let mut out = Vec::new();
        for t in &index.tasks {
            let row = self.read_row(t.loc, mapping);
            let state = self
                .written
                .get(&t.identity)
                .copied()
                .unwrap_or_else(|| self.state_of(&t.identity, &row, mapping));
            out.push((
                t.identity.clone(),
                Baseline {
                    state: Some(state),
                    ..row.before()
                },
            ));
            for e in &t.entries {
                out.push((e.identity.clone(), self.read_row(e.loc, mapping).before()));
            }
        }
        out
    }
}

/// A state as kept in the baseline sheet (empty in workbooks written before it was kept).
fn baseline_state(key: &str) -> Option<State> {
    State::ALL.into_iter().find(|s| s.as_str() == key)
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
pub(crate) fn quote_sheet(sheet: &str) -> String {
    if sheet.chars().all(|c| c.is_alphanumeric() || c == '_') {
        sheet.to_string()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    }
}
