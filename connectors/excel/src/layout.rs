//! How throughline's rows look: which sheet is throughline's, which column holds what, how a
//! row reads back as a task or entry, and how a task or entry is written into a row.

use jiff::civil::Date;
use throughline_connector::{EntryFields, State, TaskFields};

use crate::book::{Cell, Sheet};
use crate::mapping::{ExcelMapping, Field, Language, StateFrom, norm};

/// How far down a header row is looked for (people put a title or a note above it).
const HEADER_SEARCH_ROWS: usize = 10;

/// Where throughline's columns are in one of its sheets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub header_row: usize,
    pub language: Language,
    cols: [Option<usize>; 10],
}

impl Layout {
    /// The layout of a sheet throughline owns: a header row with at least the identity, task
    /// and status titles (in any of the mapping's languages). Other sheets are people's own.
    pub fn detect(sheet: &Sheet, mapping: &ExcelMapping) -> Option<Layout> {
        for row in 0..sheet.rows.len().min(HEADER_SEARCH_ROWS) {
            let mut cols = [None; 10];
            let mut language = None;
            for (c, cell) in sheet.rows[row].iter().enumerate() {
                let Cell::Text(text) = cell.value() else {
                    continue;
                };
                let text = norm(text);
                'langs: for lang in Language::ALL {
                    for field in Field::ALL {
                        if norm(&mapping.headers(lang)[field.index()]) == text
                            && cols[field.index()].is_none()
                        {
                            cols[field.index()] = Some(c);
                            if field == Field::Id {
                                language = Some(lang);
                            }
                            break 'langs;
                        }
                    }
                }
            }
            let found = |f: Field| cols[f.index()].is_some();
            if found(Field::Id) && found(Field::Task) && found(Field::Status) {
                return Some(Layout {
                    header_row: row,
                    language: language.unwrap_or(Language::English),
                    cols,
                });
            }
        }
        None
    }

    /// A new sheet's layout: the mapping's columns in order, header on the first row.
    pub fn new_sheet(mapping: &ExcelMapping, language: Language) -> (Layout, Vec<Cell>) {
        let mut cols = [None; 10];
        let mut header = Vec::new();
        for (i, field) in mapping.columns.iter().enumerate() {
            cols[field.index()] = Some(i);
            header.push(Cell::Text(mapping.headers(language)[field.index()].clone()));
        }
        (
            Layout {
                header_row: 0,
                language,
                cols,
            },
            header,
        )
    }

    pub fn col(&self, field: Field) -> Option<usize> {
        self.cols[field.index()]
    }

    /// Columns of the mapping that this sheet lacks get added at its right, after what people
    /// added, so nothing of theirs moves.
    pub fn add_missing_columns(&mut self, sheet: &mut Sheet, mapping: &ExcelMapping) {
        let mut next = sheet
            .rows
            .get(self.header_row)
            .map_or(0, |r| r.len())
            .max(self.cols.iter().flatten().map(|c| c + 1).max().unwrap_or(0));
        for &field in &mapping.columns {
            if self.cols[field.index()].is_none() {
                sheet.set(
                    self.header_row,
                    next,
                    Cell::Text(mapping.headers(self.language)[field.index()].clone()),
                );
                self.cols[field.index()] = Some(next);
                next += 1;
            }
        }
    }

    /// The columns throughline writes.
    pub fn field_columns(&self) -> Vec<usize> {
        self.cols.iter().flatten().copied().collect()
    }

    /// The field a column holds, if it is one of throughline's.
    pub fn field_at(&self, col: usize) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| self.cols[f.index()] == Some(col))
    }

    pub fn identity(&self, sheet: &Sheet, row: usize) -> Option<String> {
        let id = sheet.cell(row, self.col(Field::Id)?).text();
        let id = id.trim();
        (!id.is_empty()).then(|| id.to_string())
    }
}

/// What the status column says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusCell {
    Empty,
    State(State),
    Archived,
    /// A word the mapping does not know; reads as to do.
    Other,
}

impl StatusCell {
    fn state(self) -> State {
        match self {
            StatusCell::State(s) => s,
            _ => State::Todo,
        }
    }
}

/// The state columns of a row as throughline last wrote them (kept in the workbook), so that
/// when the status and done columns disagree, the one a person changed wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Baseline {
    pub status: StatusCell,
    pub ticked: bool,
    /// The state the row stood for when written: what a row whose status cell holds an
    /// unknown word keeps (`None` in workbooks written before it was kept).
    pub state: Option<State>,
}

/// Reads and writes the words of one mapping.
pub(crate) struct Words<'m> {
    pub mapping: &'m ExcelMapping,
}

impl<'m> Words<'m> {
    pub fn status(&self, cell: &Cell) -> StatusCell {
        if let Cell::Bool(b) = cell.value() {
            return if *b {
                StatusCell::State(State::Done)
            } else {
                StatusCell::Other
            };
        }
        let text = norm(&cell.text());
        if text.is_empty() {
            return StatusCell::Empty;
        }
        let m = self.mapping;
        for lang in Language::ALL {
            let w = m.status_words(lang);
            for (word, status) in [
                (&w.todo, StatusCell::State(State::Todo)),
                (&w.doing, StatusCell::State(State::Doing)),
                (&w.done, StatusCell::State(State::Done)),
                (&w.archived, StatusCell::Archived),
            ] {
                if norm(word) == text {
                    return status;
                }
            }
        }
        let any = |words: &[String]| words.iter().any(|w| norm(w) == text);
        if any(&m.archived_words) {
            StatusCell::Archived
        } else if any(&m.done_words) || norm(&m.tick) == text {
            StatusCell::State(State::Done)
        } else if any(&m.doing_words) {
            StatusCell::State(State::Doing)
        } else {
            StatusCell::Other
        }
    }

    pub fn ticked(&self, cell: &Cell) -> bool {
        match cell.value() {
            Cell::Bool(b) => *b,
            Cell::Number(n) => *n == 1.0,
            other => {
                let text = norm(&other.text());
                !text.is_empty()
                    && (norm(&self.mapping.tick) == text
                        || self.mapping.done_words.iter().any(|w| norm(w) == text))
            }
        }
    }

    pub fn status_word(&self, lang: Language, state: State) -> Cell {
        let w = self.mapping.status_words(lang);
        Cell::Text(
            match state {
                State::Todo => &w.todo,
                State::Doing => &w.doing,
                State::Done => &w.done,
            }
            .clone(),
        )
    }

    /// The state of a row whose status cell holds a word the mapping does not know: the word
    /// says nothing, so the done column does (the engine keeps the state it last saw unless
    /// that column moved); without one, the state the row stood for when last written.
    fn kept(&self, ticked: Option<bool>, baseline: Option<Baseline>) -> State {
        let ticked = ticked.filter(|_| self.mapping.state_from != StateFrom::Status);
        match ticked {
            Some(true) => State::Done,
            Some(false) => State::Todo,
            None => baseline.and_then(|b| b.state).unwrap_or(State::Todo),
        }
    }

    /// The status and done columns say different things (an unknown word disagrees with
    /// nothing: it is reported, not corrected).
    pub fn disagree(&self, status: StatusCell, ticked: Option<bool>) -> bool {
        let Some(ticked) = ticked else { return false };
        match status {
            StatusCell::Other | StatusCell::Archived => false,
            StatusCell::Empty => ticked,
            StatusCell::State(s) => ticked != (s == State::Done),
        }
    }

    /// The words the status column accepts, in every language of the mapping.
    pub fn accepted(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for lang in Language::ALL {
            let w = self.mapping.status_words(lang);
            for word in [&w.todo, &w.doing, &w.done] {
                if !out.contains(word) {
                    out.push(word.clone());
                }
            }
        }
        out
    }

    pub fn archived_word(&self, lang: Language) -> Cell {
        Cell::Text(self.mapping.status_words(lang).archived.clone())
    }

    pub fn tick(&self, on: bool) -> Cell {
        if on {
            Cell::Text(self.mapping.tick.clone())
        } else {
            Cell::Empty
        }
    }

    /// The state of a row from its status and done columns (see `state_from` in the mapping).
    pub fn resolve(
        &self,
        status: StatusCell,
        ticked: Option<bool>,
        baseline: Option<Baseline>,
    ) -> State {
        if status == StatusCell::Other && self.mapping.state_from != StateFrom::Done {
            return self.kept(ticked, baseline);
        }
        let from_status = status.state();
        let Some(ticked) = ticked else {
            return from_status;
        };
        match self.mapping.state_from {
            StateFrom::Status => from_status,
            StateFrom::Done => {
                if ticked {
                    State::Done
                } else {
                    State::Todo
                }
            }
            StateFrom::DoneWins => {
                let status_done = from_status == State::Done;
                if status == StatusCell::Archived || ticked == status_done {
                    return if ticked { State::Done } else { from_status };
                }
                // The columns disagree: follow whichever one a person changed since throughline
                // last wrote the row; when that cannot be told, any sign of "done" wins.
                if let Some(base) = baseline {
                    let status_moved = base.status != status;
                    let tick_moved = base.ticked != ticked;
                    if status_moved && !tick_moved {
                        return from_status;
                    }
                    if tick_moved && !status_moved {
                        return if ticked { State::Done } else { State::Todo };
                    }
                }
                State::Done
            }
        }
    }
}

/// One row as throughline reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowRead {
    pub title: String,
    pub description: String,
    pub group: String,
    pub owner: Option<String>,
    pub start: Option<Date>,
    pub due: Option<Date>,
    pub status: StatusCell,
    pub ticked: Option<bool>,
}

impl RowRead {
    pub fn read(sheet: &Sheet, row: usize, layout: &Layout, words: &Words<'_>) -> RowRead {
        let text = |f: Field| {
            layout
                .col(f)
                .map(|c| sheet.cell(row, c).text())
                .unwrap_or_default()
        };
        let date = |f: Field| {
            layout
                .col(f)
                .and_then(|c| read_date(sheet.cell(row, c), &words.mapping.date_format))
        };
        let owner = text(Field::Owner).trim().to_string();
        RowRead {
            title: text(Field::Task),
            description: text(Field::Description),
            group: text(Field::Stage),
            owner: (!owner.is_empty()).then_some(owner),
            start: date(Field::Start),
            due: date(Field::Due),
            status: layout
                .col(Field::Status)
                .map_or(StatusCell::Empty, |c| words.status(sheet.cell(row, c))),
            ticked: layout
                .col(Field::Done)
                .map(|c| words.ticked(sheet.cell(row, c))),
        }
    }

    pub fn task_fields(&self) -> TaskFields {
        TaskFields {
            title: self.title.clone(),
            description: self.description.clone(),
            group: self.group.clone(),
            owner: self.owner.clone(),
            start: self.start,
            due: self.due,
        }
    }

    pub fn entry_fields(&self) -> EntryFields {
        EntryFields {
            text: self.title.clone(),
            owner: self.owner.clone(),
            due: self.due,
        }
    }

    pub fn archived(&self) -> bool {
        self.status == StatusCell::Archived
    }

    pub fn baseline(&self) -> Baseline {
        Baseline {
            status: self.status,
            ticked: self.ticked.unwrap_or(false),
            state: None,
        }
    }
}

/// A date cell, or text a person typed that reads as a date (ISO `2026-12-10`, or the
/// mapping's own day/month order such as `10/12/2026`).
pub(crate) fn read_date(cell: &Cell, format: &str) -> Option<Date> {
    match cell.value() {
        Cell::DateTime(dt) => Some(dt.date()),
        // A number in a date column is a date whose format was lost (pasted values).
        Cell::Number(n) if (1.0..2_958_466.0).contains(n) => serial_to_date(*n),
        Cell::Text(s) => parse_date_text(s.trim(), format),
        _ => None,
    }
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

fn parse_date_text(s: &str, format: &str) -> Option<Date> {
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    let parts: Vec<&str> = s.split(['/', '.', '-']).map(str::trim).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let f = format.to_lowercase();
    let day_first = match (f.find('d'), f.find('m')) {
        (Some(d), Some(m)) => d < m,
        _ => return None,
    };
    let (day, month) = if day_first {
        (parts[0], parts[1])
    } else {
        (parts[1], parts[0])
    };
    let mut year: i16 = parts[2].parse().ok()?;
    if parts[2].len() == 2 {
        year += 2000;
    }
    Date::new(year, month.parse().ok()?, day.parse().ok()?).ok()
}

/// Write a task's values into its row. `state: None` leaves the state columns as they are.
pub(crate) struct RowWriter<'a> {
    pub layout: &'a Layout,
    pub words: &'a Words<'a>,
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
    pub fn task_state(&self, sheet: &mut Sheet, row: usize, state: State) {
        let lang = self.layout.language;
        self.put(
            sheet,
            row,
            Field::Status,
            self.words.status_word(lang, state),
        );
        self.put(
            sheet,
            row,
            Field::Done,
            self.words.tick(state == State::Done),
        );
    }

    /// An entry is ticked in the done column; without one, its status says done or to do.
    pub fn entry_checked(&self, sheet: &mut Sheet, row: usize, checked: bool) {
        if self.layout.col(Field::Done).is_some() {
            self.put(sheet, row, Field::Done, self.words.tick(checked));
            let archived = self
                .layout
                .col(Field::Status)
                .map(|c| self.words.status(sheet.cell(row, c)));
            if archived != Some(StatusCell::Archived) {
                self.put(sheet, row, Field::Status, Cell::Empty);
            }
        } else {
            let state = if checked { State::Done } else { State::Todo };
            self.put(
                sheet,
                row,
                Field::Status,
                self.words.status_word(self.layout.language, state),
            );
        }
    }

    pub fn archive(&self, sheet: &mut Sheet, row: usize) {
        self.put(
            sheet,
            row,
            Field::Status,
            self.words.archived_word(self.layout.language),
        );
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `\ / ? * [ ] :`, not starting or
/// ending with an apostrophe, not empty, not Excel's reserved "History".
pub(crate) fn sheet_name(wanted: &str, fallback: &str) -> String {
    let clean = |s: &str| -> String {
        let replaced: String = s
            .chars()
            .map(|c| {
                if matches!(c, '\\' | '/' | '?' | '*' | '[' | ']' | ':') || c.is_control() {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        let trimmed = replaced.trim().trim_matches('\'').trim();
        trimmed
            .chars()
            .take(31)
            .collect::<String>()
            .trim_end()
            .trim_end_matches('\'')
            .to_string()
    };
    let mut name = clean(wanted);
    if name.is_empty() {
        name = clean(fallback);
    }
    if name.is_empty() {
        name = "Tasks".to_string();
    }
    if name.eq_ignore_ascii_case("history") {
        name.push_str(" 1");
    }
    name
}

/// The `n`th alternative of a sheet name, still within 31 characters.
pub(crate) fn numbered(name: &str, n: usize) -> String {
    let suffix = format!(" {n}");
    let keep = 31 - suffix.chars().count();
    format!(
        "{}{suffix}",
        name.chars().take(keep).collect::<String>().trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words<'static> {
        let m: &'static ExcelMapping = Box::leak(Box::new(ExcelMapping::default()));
        Words { mapping: m }
    }

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
    fn words_people_type_are_read_back() {
        let w = words();
        for done in [
            "done",
            "Done",
            " DONE ",
            "x",
            "X",
            "✓",
            "✔",
            "yes",
            "בוצע",
            "הושלם",
            "v",
        ] {
            assert_eq!(
                w.status(&Cell::Text(done.into())),
                StatusCell::State(State::Done),
                "{done:?}"
            );
            assert!(w.ticked(&Cell::Text(done.into())), "{done:?}");
        }
        assert_eq!(
            w.status(&Cell::Text("In  Progress".into())),
            StatusCell::State(State::Doing)
        );
        assert_eq!(
            w.status(&Cell::Text("בתהליך".into())),
            StatusCell::State(State::Doing)
        );
        assert_eq!(
            w.status(&Cell::Text("לביצוע".into())),
            StatusCell::State(State::Todo)
        );
        assert_eq!(
            w.status(&Cell::Text("Archived".into())),
            StatusCell::Archived
        );
        assert_eq!(w.status(&Cell::Text("blocked".into())), StatusCell::Other);
        assert_eq!(w.status(&Cell::Empty), StatusCell::Empty);
        assert!(w.ticked(&Cell::Bool(true)));
        assert!(!w.ticked(&Cell::Bool(false)));
        assert!(!w.ticked(&Cell::Text("no".into())));
        assert!(!w.ticked(&Cell::Empty));
    }

    #[test]
    fn an_unknown_word_says_nothing_and_disagrees_with_nothing() {
        let w = words();
        let doing = Some(Baseline {
            status: StatusCell::State(State::Doing),
            ticked: false,
            state: Some(State::Doing),
        });
        assert_eq!(w.resolve(StatusCell::Other, Some(true), doing), State::Done);
        assert_eq!(
            w.resolve(StatusCell::Other, Some(false), doing),
            State::Todo
        );
        assert_eq!(w.resolve(StatusCell::Other, None, doing), State::Doing);
        assert!(!w.disagree(StatusCell::Other, Some(true)));
        assert!(w.disagree(StatusCell::State(State::Todo), Some(true)));
        assert!(w.disagree(StatusCell::Empty, Some(true)));
        assert!(w.disagree(StatusCell::State(State::Done), Some(false)));
        assert!(!w.disagree(StatusCell::State(State::Doing), Some(false)));
        assert!(!w.disagree(StatusCell::Archived, Some(true)));
    }

    #[test]
    fn the_column_a_person_changed_wins() {
        let w = words();
        let todo = StatusCell::State(State::Todo);
        let done = StatusCell::State(State::Done);
        let doing = StatusCell::State(State::Doing);
        let written_done = Some(Baseline {
            status: done,
            ticked: true,
            state: Some(State::Done),
        });
        let written_todo = Some(Baseline {
            status: todo,
            ticked: false,
            state: Some(State::Todo),
        });
        // Agreeing columns.
        assert_eq!(w.resolve(done, Some(true), None), State::Done);
        assert_eq!(w.resolve(doing, Some(false), None), State::Doing);
        // Ticked a to-do row: done.
        assert_eq!(w.resolve(todo, Some(true), written_todo), State::Done);
        // Picked "done" without ticking: done.
        assert_eq!(w.resolve(done, Some(false), written_todo), State::Done);
        // Unticked a done row (status still says done): not done any more.
        assert_eq!(w.resolve(done, Some(false), written_done), State::Todo);
        // Picked "in progress" on a done row, tick left: in progress.
        assert_eq!(w.resolve(doing, Some(true), written_done), State::Doing);
        // No way to tell: any sign of done wins.
        assert_eq!(w.resolve(doing, Some(true), None), State::Done);
        // Without a done column the status decides.
        assert_eq!(w.resolve(doing, None, written_done), State::Doing);
        // Archived rows keep their tick as their state.
        assert_eq!(
            w.resolve(StatusCell::Archived, Some(true), None),
            State::Done
        );
        assert_eq!(
            w.resolve(StatusCell::Archived, Some(false), None),
            State::Todo
        );
    }

    #[test]
    fn dates_read_from_cells_and_typed_text() {
        let d = Date::constant(2026, 12, 10);
        assert_eq!(read_date(&Cell::date(Some(d)), "yyyy-mm-dd"), Some(d));
        assert_eq!(
            read_date(&Cell::Text("2026-12-10".into()), "yyyy-mm-dd"),
            Some(d)
        );
        assert_eq!(
            read_date(&Cell::Text("10/12/2026".into()), "dd/mm/yyyy"),
            Some(d)
        );
        assert_eq!(
            read_date(&Cell::Text("12/10/2026".into()), "mm/dd/yyyy"),
            Some(d)
        );
        assert_eq!(read_date(&Cell::Number(46366.0), "yyyy-mm-dd"), Some(d));
        assert_eq!(
            read_date(&Cell::Number(61.0), "yyyy-mm-dd"),
            Some(Date::constant(1900, 3, 1))
        );
        assert_eq!(read_date(&Cell::Text("soon".into()), "yyyy-mm-dd"), None);
        assert_eq!(
            read_date(&Cell::Text("31/02/2026".into()), "dd/mm/yyyy"),
            None
        );
    }
}
