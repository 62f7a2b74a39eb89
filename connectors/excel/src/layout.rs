//! How throughline's rows look in a workbook: which sheet is throughline's, which column
//! holds what, how a row reads back as a task or entry, and how a task or entry is written
//! into a row. The rules are the grid core's (`throughline-grid`); this is where they meet
//! calamine's cells.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use throughline_connector::{EntryFields, State, TaskFields};
use throughline_grid::names;
pub(crate) use throughline_grid::{Layout, RowRead, StatusCell};

use crate::book::{Cell, Sheet};
use crate::mapping::{ExcelMapping, Field, Language};

/// Excel's limit on a sheet name.
const MAX_SHEET_CHARS: usize = 31;

/// The state columns of a row as throughline last wrote them (kept in the workbook), so that
/// when the status and done columns disagree, the one a person changed wins.
pub(crate) type Baseline = throughline_grid::Before;

/// The layout of a sheet throughline owns: a header row with at least the identity, task and
/// status titles (in any of the mapping's languages). Other sheets are people's own.
pub(crate) fn detect(sheet: &Sheet, mapping: &ExcelMapping) -> Option<Layout> {
    let rows = sheet.rows.iter().map(|row| {
        row.iter().map(|cell| match cell.value() {
            Cell::Text(text) => text.as_str(),
            _ => "",
        })
    });
    Layout::detect(rows, mapping)
}

/// A new sheet's layout and header row: the mapping's columns in order, header on the first
/// row.
pub(crate) fn new_sheet(mapping: &ExcelMapping, language: Language) -> (Layout, Vec<Cell>) {
    let layout = Layout::new_sheet(mapping, language, 0);
    let header = mapping
        .columns
        .iter()
        .map(|f| Cell::Text(mapping.headers(language)[f.index()].clone()))
        .collect();
    (layout, header)
}

/// Columns of the mapping that this sheet lacks get added at its right, after what people
/// added, so nothing of theirs moves.
pub(crate) fn add_missing_columns(layout: &mut Layout, sheet: &mut Sheet, mapping: &ExcelMapping) {
    let next = sheet.rows.get(layout.header_row).map_or(0, |r| r.len());
    for (field, col) in layout.add_missing_columns(mapping, next) {
        let title = mapping.headers(layout.language)[field.index()].clone();
        sheet.set(layout.header_row, col, Cell::Text(title));
    }
}

/// The identity in a row's ID cell, if any.
pub(crate) fn identity(layout: &Layout, sheet: &Sheet, row: usize) -> Option<String> {
    let id = sheet.cell(row, layout.col(Field::Id)?).text();
    let id = id.trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// What a row's status cell says.
pub(crate) fn status_of(
    mapping: &ExcelMapping,
    layout: &Layout,
    sheet: &Sheet,
    row: usize,
) -> StatusCell {
    layout.col(Field::Status).map_or(StatusCell::Empty, |c| {
        mapping.words().status(&sheet.cell(row, c).view())
    })
}

/// Whether a row's done cell is ticked (false without a done column).
pub(crate) fn ticked(mapping: &ExcelMapping, layout: &Layout, sheet: &Sheet, row: usize) -> bool {
    layout
        .col(Field::Done)
        .is_some_and(|c| mapping.words().ticked(&sheet.cell(row, c).view()))
}

/// One row as throughline reads it.
pub(crate) fn read_row(
    sheet: &Sheet,
    row: usize,
    layout: &Layout,
    mapping: &ExcelMapping,
) -> RowRead {
    let cell = |f: Field| layout.col(f).map(|c| sheet.cell(row, c).view());
    // A workbook has no time zone of its own: a timestamp typed into a date cell is read in UTC.
    let date = |c: &throughline_grid::Cell<'_>| read_date(c, &mapping.date_format);
    RowRead::read(cell, &mapping.words(), date)
}

/// A date cell, or text a person typed that reads as a date (see
/// [`throughline_grid::parse_date_text`]).
pub(crate) fn read_date(cell: &throughline_grid::Cell<'_>, format: &str) -> Option<Date> {
    throughline_grid::read_date(cell, format, &TimeZone::UTC, date_serial)
}

/// A number in a date column: a date whose format was lost (pasted values).
pub(crate) fn date_serial(n: f64) -> Option<Date> {
    (1.0..2_958_466.0)
        .contains(&n)
        .then(|| serial_to_date(n))
        .flatten()
}

fn serial_to_date(serial: f64) -> Option<Date> {
    // Day 60 is Excel's phantom 1900-02-29; later serials count from 1899-12-30.
    let days = serial.floor() as i64;
    let base = if days < 60 {
        Date::constant(1899, 12, 31)
    } else {
        Date::constant(1899, 12, 30)
    };
    base.checked_add(jiff::Span::new().days(days)).ok()
}

/// The status word for a state, as a cell.
pub(crate) fn status_word(mapping: &ExcelMapping, lang: Language, state: State) -> Cell {
    Cell::Text(mapping.words().status_word(lang, state).to_string())
}

/// The done column's cell: the tick, or nothing.
pub(crate) fn tick(mapping: &ExcelMapping, on: bool) -> Cell {
    if on {
        Cell::Text(mapping.tick.clone())
    } else {
        Cell::Empty
    }
}

/// Write a task's values into its row. `state: None` leaves the state columns as they are.
pub(crate) struct RowWriter<'a> {
    pub layout: &'a Layout,
    pub mapping: &'a ExcelMapping,
}

impl RowWriter<'_> {
    fn put(&self, sheet: &mut Sheet, row: usize, field: Field, cell: Cell) {
        if let Some(c) = self.layout.col(field) {
            sheet.set(row, c, cell);
        }
    }

    pub fn identity(&self, sheet: &mut Sheet, row: usize, identity: &str) {
        self.put(sheet, row, Field::Id, Cell::Text(identity.to_string()));
    }

    pub fn item(&self, sheet: &mut Sheet, row: usize, item_title: &str) {
        self.put(sheet, row, Field::Item, Cell::text_cell(item_title));
    }

    pub fn task_fields(&self, sheet: &mut Sheet, row: usize, f: &TaskFields) {
        self.put(sheet, row, Field::Task, Cell::text_cell(&f.title));
        self.put(
            sheet,
            row,
            Field::Description,
            Cell::text_cell(&f.description),
        );
        self.put(sheet, row, Field::Stage, Cell::text_cell(&f.group));
        self.put(
            sheet,
            row,
            Field::Owner,
            Cell::text_cell(f.owner.as_deref().unwrap_or("")),
        );
        self.put(sheet, row, Field::Start, Cell::date(f.start));
        self.put(sheet, row, Field::Due, Cell::date(f.due));
    }

    /// An entry's fields; `group` (its task's stage, shown for filtering) when known.
    pub fn entry_fields(
        &self,
        sheet: &mut Sheet,
        row: usize,
        f: &EntryFields,
        group: Option<&str>,
    ) {
        self.put(sheet, row, Field::Task, Cell::text_cell(&f.text));
        if let Some(group) = group {
            self.put(sheet, row, Field::Stage, Cell::text_cell(group));
        }
        self.put(
            sheet,
            row,
            Field::Owner,
            Cell::text_cell(f.owner.as_deref().unwrap_or("")),
        );
        self.put(sheet, row, Field::Due, Cell::date(f.due));
    }

    /// Both state columns, consistently.
    /// A task's state in the status and done columns, and a blocked task's reason in the
    /// reason column (emptied for any other state).
    pub fn task_state(&self, sheet: &mut Sheet, row: usize, state: State, reason: Option<&str>) {
        let reason = reason.filter(|_| state == State::Blocked).unwrap_or("");
        self.put(sheet, row, Field::Reason, Cell::text_cell(reason));
        let lang = self.layout.language;
        self.put(
            sheet,
            row,
            Field::Status,
            status_word(self.mapping, lang, state),
        );
        self.put(
            sheet,
            row,
            Field::Done,
            tick(self.mapping, state == State::Done),
        );
    }

    /// An entry is ticked in the done column; without one, its status says done or to do.
    pub fn entry_checked(&self, sheet: &mut Sheet, row: usize, checked: bool) {
        if self.layout.col(Field::Done).is_some() {
            self.put(sheet, row, Field::Done, tick(self.mapping, checked));
            if status_of(self.mapping, self.layout, sheet, row) != StatusCell::Archived {
                self.put(sheet, row, Field::Status, Cell::Empty);
            }
        } else {
            let state = if checked { State::Done } else { State::Todo };
            self.put(
                sheet,
                row,
                Field::Status,
                status_word(self.mapping, self.layout.language, state),
            );
        }
    }

    pub fn archive(&self, sheet: &mut Sheet, row: usize) {
        self.put(
            sheet,
            row,
            Field::Status,
            Cell::Text(
                self.mapping
                    .words()
                    .archived_word(self.layout.language)
                    .to_string(),
            ),
        );
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `\ / ? * [ ] :`, not starting or
/// ending with an apostrophe, not empty, not Excel's reserved "History".
pub(crate) fn sheet_name(wanted: &str, fallback: &str) -> String {
    let clean = |s: &str| -> String {
        let forbidden = |c: char| matches!(c, '\\' | '/' | '?' | '*' | '[' | ']' | ':');
        let replaced: String = s
            .chars()
            .map(|c| {
                if forbidden(c) || c.is_control() {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        let trimmed = replaced.trim().trim_matches('\'').trim();
        names::cut(trimmed, MAX_SHEET_CHARS)
            .trim_end_matches('\'')
            .to_string()
    };
    let mut name = names::sheet_name(wanted, fallback, clean);
    if name.eq_ignore_ascii_case("history") {
        name.push_str(" 1");
    }
    name
}

/// The `n`th alternative of a sheet name, still within 31 characters.
pub(crate) fn numbered(name: &str, n: usize) -> String {
    names::numbered(name, n, MAX_SHEET_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_fit_excel() {
        assert_eq!(
            sheet_name("Content: pipeline [v2]/2026?", "x"),
            "Content- pipeline -v2--2026-"
        );
        assert_eq!(sheet_name("'quoted'", "x"), "quoted");
        assert_eq!(sheet_name("   ", "content"), "content");
        assert_eq!(sheet_name("", ""), "Tasks");
        assert_eq!(sheet_name("History", "x"), "History 1");
        let long = "תהליך תוכן שיווקי ארוך מאוד עם שם שחורג מהמגבלה";
        let name = sheet_name(long, "x");
        assert!(name.chars().count() <= 31);
        assert!(long.starts_with(&name) && !name.ends_with(' '));
        assert_eq!(numbered(&name, 2).chars().count(), 31);
        assert!(numbered(&name, 2).ends_with(" 2"));
    }

    #[test]
    fn dates_read_from_cells_and_typed_text() {
        let read = |cell: Cell, format: &str| read_date(&cell.view(), format);
        let d = Date::constant(2026, 12, 10);
        assert_eq!(read(Cell::date(Some(d)), "yyyy-mm-dd"), Some(d));
        assert_eq!(read(Cell::Text("2026-12-10".into()), "yyyy-mm-dd"), Some(d));
        assert_eq!(read(Cell::Text("10/12/2026".into()), "dd/mm/yyyy"), Some(d));
        assert_eq!(read(Cell::Text("12/10/2026".into()), "mm/dd/yyyy"), Some(d));
        assert_eq!(read(Cell::Number(46366.0), "yyyy-mm-dd"), Some(d));
        assert_eq!(
            read(Cell::Number(61.0), "yyyy-mm-dd"),
            Some(Date::constant(1900, 3, 1))
        );
        assert_eq!(read(Cell::Number(0.5), "yyyy-mm-dd"), None);
        assert_eq!(read(Cell::Text("soon".into()), "yyyy-mm-dd"), None);
        assert_eq!(read(Cell::Text("31/02/2026".into()), "dd/mm/yyyy"), None);
    }

    /// Sheets always read year-first dates; Excel read `2026/12/10` as nothing (the year was
    /// taken for a day) until both used the grid core's reader.
    #[test]
    fn year_first_dates_are_read_whatever_the_format() {
        let d = Date::constant(2026, 12, 10);
        for format in ["dd/mm/yyyy", "mm/dd/yyyy", "yyyy/mm/dd"] {
            let typed = Cell::Text("2026/12/10".into());
            assert_eq!(read_date(&typed.view(), format), Some(d), "{format}");
        }
        let short = Cell::Text("26.12.10".into());
        assert_eq!(read_date(&short.view(), "yy.mm.dd"), Some(d));
    }
}
