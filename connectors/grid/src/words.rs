//! Reading what people typed in the state columns: status words in two languages, ticks, and
//! which state a row is in when its Status and Done columns disagree.
//!
//! The status words are one table ([`StatusCell::ALL`] with [`StatusWords`] and the `[read]`
//! lists of the mapping): a new state is a variant, a word in [`StatusWords`], a row of
//! [`Words::word_table`] and, if people may type more words for it, one of
//! [`Words::extra_words`].
//!
//! The Status/Done rule (`state_from = "done-wins"`): when the columns agree, that is the
//! state. When they disagree, the column a person changed since throughline last looked wins;
//! when neither changed, the state read then stands; when both did (or there was no earlier
//! look), any sign of "done" wins. A word the mapping does not know says nothing: the done
//! column speaks for the row, or without one the state seen before stands; the word is kept,
//! reported and noted on its cell, never corrected.

use serde::{Deserialize, Serialize};
use throughline_connector::{State, StatusCells, UnknownStatusWord, unknown_word_note};

use crate::cell::Cell;
use crate::mapping::{GridMapping, Language, StateFrom, StatusWords, norm};

/// What the status column says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusCell {
    /// Nothing.
    Empty,
    /// A to-do word.
    Todo,
    /// An in-progress word.
    Doing,
    /// A blocked word.
    Blocked,
    /// A done word (or a tick typed into the status column).
    Done,
    /// An archived word.
    Archived,
    /// A word the mapping does not know; it says nothing about the state.
    Other,
}

impl StatusCell {
    /// Every value with the key it is kept under (Excel's baseline sheet, Sheets' cursor).
    pub const ALL: [(StatusCell, &'static str); 7] = [
        (StatusCell::Empty, ""),
        (StatusCell::Todo, "todo"),
        (StatusCell::Doing, "doing"),
        (StatusCell::Blocked, "blocked"),
        (StatusCell::Done, "done"),
        (StatusCell::Archived, "archived"),
        (StatusCell::Other, "other"),
    ];

    /// The state this word stands for (to do for anything but in progress, blocked and done).
    pub fn state(self) -> State {
        match self {
            StatusCell::Doing => State::Doing,
            StatusCell::Blocked => State::Blocked,
            StatusCell::Done => State::Done,
            _ => State::Todo,
        }
    }

    /// The word for a state.
    pub fn of(state: State) -> StatusCell {
        match state {
            State::Todo => StatusCell::Todo,
            State::Doing => StatusCell::Doing,
            State::Blocked => StatusCell::Blocked,
            State::Done => StatusCell::Done,
        }
    }

    /// The key it is kept under.
    pub fn key(self) -> &'static str {
        StatusCell::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("", |(_, k)| k)
    }

    /// Read back from [`StatusCell::key`]; anything else is empty.
    pub fn from_key(key: &str) -> StatusCell {
        StatusCell::ALL
            .iter()
            .find(|(_, k)| *k == key)
            .map_or(StatusCell::Empty, |(s, _)| *s)
    }
}

/// The state columns of a row as throughline last saw or wrote them, with the state it read
/// from them: what a person changed since is what counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Before {
    /// What the status column said.
    pub status: StatusCell,
    /// Whether the done column was ticked.
    pub ticked: bool,
    /// The state the row stood for (`None` where it was not kept).
    pub state: Option<State>,
}

/// What an update does to a task row's state columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateWrite {
    /// Leave both columns.
    Nothing,
    /// Write both columns for this state, consistently.
    Both(State),
    /// An archived row keeps its marker: only the tick follows the state.
    Tick(State),
    /// The status cell holds a word the mapping does not know: it is the person's to fix, so
    /// it is kept (and noted), only the tick follows the state.
    KeepUnknown(State),
}

/// What an update does to a checklist entry row's state columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryWrite {
    /// Leave them.
    Nothing,
    /// Clear the archived word, then write the entry as checked or not.
    Unarchive(bool),
    /// An archived row keeps its marker: only the tick.
    Tick(bool),
    /// Write the entry as checked or not.
    Checked(bool),
}

/// Reads and writes the words of one mapping.
#[derive(Debug, Clone, Copy)]
pub struct Words<'m> {
    /// The mapping's words.
    pub mapping: &'m GridMapping,
    /// What the tool writes for a ticked row when that is a word (Excel's `tick`), also read
    /// as done.
    pub tick: Option<&'m str>,
}

impl<'m> Words<'m> {
    /// The words of `mapping`, with no tick word.
    pub fn new(mapping: &'m GridMapping) -> Words<'m> {
        Words {
            mapping,
            tick: None,
        }
    }

    /// The status words of one language with what each stands for.
    pub fn word_table(w: &StatusWords) -> [(&str, StatusCell); 5] {
        [
            (&w.todo, StatusCell::Todo),
            (&w.doing, StatusCell::Doing),
            (&w.blocked, StatusCell::Blocked),
            (&w.done, StatusCell::Done),
            (&w.archived, StatusCell::Archived),
        ]
    }

    /// The `[read]` lists with what each stands for, in the order they are tried.
    pub fn extra_words(&self) -> [(&'m [String], StatusCell); 4] {
        let m = self.mapping;
        [
            (&m.archived_words, StatusCell::Archived),
            (&m.done_words, StatusCell::Done),
            (&m.doing_words, StatusCell::Doing),
            (&m.blocked_words, StatusCell::Blocked),
        ]
    }

    /// What a status cell says.
    pub fn status(&self, cell: &Cell<'_>) -> StatusCell {
        if let Cell::Bool(b) = cell {
            return if *b {
                StatusCell::Done
            } else {
                StatusCell::Other
            };
        }
        let t = norm(&cell.text());
        if t.is_empty() {
            return StatusCell::Empty;
        }
        for lang in Language::ALL {
            let table = Words::word_table(self.mapping.status_words(lang));
            if let Some((_, status)) = table.iter().find(|(w, _)| norm(w) == t) {
                return *status;
            }
        }
        let is_tick = self.tick.is_some_and(|tick| norm(tick) == t);
        self.extra_words()
            .into_iter()
            .find(|(words, status)| {
                words.iter().any(|w| norm(w) == t) || (*status == StatusCell::Done && is_tick)
            })
            .map_or(StatusCell::Other, |(_, status)| status)
    }

    /// A done cell: TRUE, 1, the tick, or a done word someone typed.
    pub fn ticked(&self, cell: &Cell<'_>) -> bool {
        match cell {
            Cell::Bool(b) => *b,
            Cell::Number(n) => *n == 1.0,
            other => {
                let t = norm(&other.text());
                !t.is_empty()
                    && (t == "true"
                        || self.tick.is_some_and(|tick| norm(tick) == t)
                        || self.mapping.done_words.iter().any(|w| norm(w) == t))
            }
        }
    }

    /// The status and done columns say different things (an unknown word disagrees with
    /// nothing: it is reported, not corrected).
    pub fn disagree(&self, status: StatusCell, ticked: Option<bool>) -> bool {
        let Some(ticked) = ticked else { return false };
        match status {
            StatusCell::Other | StatusCell::Archived => false,
            StatusCell::Empty | StatusCell::Todo | StatusCell::Doing | StatusCell::Blocked => {
                ticked
            }
            StatusCell::Done => !ticked,
        }
    }

    /// The words the status column accepts, in every language of the mapping.
    pub fn accepted(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for lang in Language::ALL {
            let w = self.mapping.status_words(lang);
            for word in [&w.todo, &w.doing, &w.blocked, &w.done] {
                if !out.contains(word) {
                    out.push(word.clone());
                }
            }
        }
        out
    }

    /// The text of the note put on a status cell holding a word the mapping does not know.
    pub fn note(&self) -> String {
        unknown_word_note(&self.accepted())
    }

    /// The status word for a state.
    pub fn status_word(&self, lang: Language, state: State) -> &'m str {
        let w = self.mapping.status_words(lang);
        match state {
            State::Todo => &w.todo,
            State::Doing => &w.doing,
            State::Blocked => &w.blocked,
            State::Done => &w.done,
        }
    }

    /// The archived word.
    pub fn archived_word(&self, lang: Language) -> &'m str {
        &self.mapping.status_words(lang).archived
    }

    /// The state of a row from its status and done columns (see `state_from` in the mapping,
    /// and the module doc).
    pub fn resolve(
        &self,
        status: StatusCell,
        ticked: Option<bool>,
        before: Option<Before>,
    ) -> State {
        let state_from = self.mapping.state_from;
        if status == StatusCell::Other && state_from != StateFrom::Done {
            let ticked = ticked.filter(|_| state_from != StateFrom::Status);
            return match ticked {
                Some(true) => State::Done,
                Some(false) => State::Todo,
                None => before.and_then(|b| b.state).unwrap_or(State::Todo),
            };
        }
        let from_status = status.state();
        let Some(ticked) = ticked else {
            return from_status;
        };
        let from_tick = if ticked { State::Done } else { State::Todo };
        match state_from {
            StateFrom::Status => from_status,
            StateFrom::Done => from_tick,
            StateFrom::DoneWins => {
                if status == StatusCell::Archived || ticked == (from_status == State::Done) {
                    return if ticked { State::Done } else { from_status };
                }
                let Some(before) = before else {
                    return State::Done;
                };
                match (before.status != status, before.ticked != ticked) {
                    (true, false) => from_status,
                    (false, true) => from_tick,
                    (false, false) => before.state.unwrap_or(State::Done),
                    (true, true) => State::Done,
                }
            }
        }
    }

    /// What a row's status and done cells say beyond its state. `noted`: the cell carries
    /// throughline's note about an unknown word; `locate` gives the word and the cell's name
    /// (`Tasks!E12`), asked only when the word is unknown.
    pub fn status_cells(
        &self,
        status: StatusCell,
        ticked: Option<bool>,
        noted: bool,
        locate: impl FnOnce() -> (String, String),
    ) -> StatusCells {
        let other = status == StatusCell::Other;
        let unknown = other.then(|| {
            let (word, cell) = locate();
            UnknownStatusWord {
                word,
                cell,
                accepted: self.accepted(),
            }
        });
        StatusCells {
            unknown,
            disagree: self.disagree(status, ticked),
            note_outdated: other != noted,
            ..StatusCells::default()
        }
    }
}

/// What an update of a task row does to its state columns: `status_now` is what its status
/// cell says, `ticked_now` its done cell.
pub fn task_state_write(
    status_now: StatusCell,
    state: Option<State>,
    unarchive: bool,
    ticked_now: impl FnOnce() -> bool,
) -> StateWrite {
    let archived = status_now == StatusCell::Archived;
    match (state, archived && !unarchive) {
        (Some(state), false) if status_now == StatusCell::Other => StateWrite::KeepUnknown(state),
        (Some(state), false) => StateWrite::Both(state),
        (Some(state), true) => StateWrite::Tick(state),
        (None, false) if archived => StateWrite::Both(if ticked_now() {
            State::Done
        } else {
            State::Todo
        }),
        (None, _) => StateWrite::Nothing,
    }
}

/// What an update of a checklist entry row does to its state columns.
pub fn entry_state_write(
    archived: bool,
    checked: Option<bool>,
    unarchive: bool,
    ticked_now: impl FnOnce() -> bool,
) -> EntryWrite {
    if unarchive && archived {
        return EntryWrite::Unarchive(checked.unwrap_or_else(ticked_now));
    }
    match checked {
        Some(checked) if archived => EntryWrite::Tick(checked),
        Some(checked) => EntryWrite::Checked(checked),
        None => EntryWrite::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Tables;
    use throughline_connector::mapping::Node;

    /// The shipped Sheets default: the grid keys of both tools' defaults are the same.
    fn mapping() -> &'static GridMapping {
        let table: toml::Table = include_str!("../../../mappings/sheets.toml")
            .parse()
            .unwrap();
        let root = Node::root(&table);
        let tables = Tables::of(&root, true, &["tab", "header_row", "protect"]).unwrap();
        Box::leak(Box::new(GridMapping::parse(&tables, None).unwrap()))
    }

    fn text(s: &str) -> Cell<'_> {
        Cell::Text(s.into())
    }

    #[test]
    fn words_people_type_are_read_back() {
        let w = Words {
            mapping: mapping(),
            tick: Some("✓"),
        };
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
            assert_eq!(w.status(&text(done)), StatusCell::Done, "{done:?}");
            assert!(w.ticked(&text(done)), "{done:?}");
        }
        assert_eq!(w.status(&text("In  Progress")), StatusCell::Doing);
        assert_eq!(w.status(&text("בתהליך")), StatusCell::Doing);
        assert_eq!(w.status(&text("לביצוע")), StatusCell::Todo);
        assert_eq!(w.status(&text("Archived")), StatusCell::Archived);
        assert_eq!(w.status(&text("בארכיון")), StatusCell::Archived);
        for blocked in ["Blocked", "blocked", "On hold", "stuck", "תקוע", "חסום"] {
            assert_eq!(w.status(&text(blocked)), StatusCell::Blocked, "{blocked:?}");
            assert!(!w.ticked(&text(blocked)), "{blocked:?}");
        }
        assert_eq!(StatusCell::Blocked.state(), State::Blocked);
        assert_eq!(StatusCell::of(State::Blocked), StatusCell::Blocked);
        assert_eq!(w.status_word(Language::Hebrew, State::Blocked), "תקוע");
        assert_eq!(w.status(&text("waiting on legal")), StatusCell::Other);
        assert_eq!(w.status(&Cell::Empty), StatusCell::Empty);
        assert_eq!(w.status(&Cell::Bool(true)), StatusCell::Done);
        assert_eq!(w.status(&Cell::Bool(false)), StatusCell::Other);
        assert!(w.ticked(&Cell::Bool(true)));
        assert!(w.ticked(&Cell::Number(1.0)));
        assert!(w.ticked(&text("TRUE")));
        assert!(!w.ticked(&Cell::Bool(false)));
        assert!(!w.ticked(&text("no")));
        assert!(!w.ticked(&Cell::Empty));
        // Without a tick word only the done words read as ticked.
        let plain = Words::new(mapping());
        assert!(plain.ticked(&text("x")));
        assert!(!plain.ticked(&text("✓")) || mapping().done_words.iter().any(|d| d == "✓"));
    }

    #[test]
    fn status_keys_round_trip() {
        for (status, key) in StatusCell::ALL {
            assert_eq!(status.key(), key);
            assert_eq!(StatusCell::from_key(key), status);
        }
        assert_eq!(StatusCell::from_key("nonsense"), StatusCell::Empty);
        for state in [State::Todo, State::Doing, State::Done] {
            assert_eq!(StatusCell::of(state).state(), state);
        }
    }

    fn before(status: StatusCell, ticked: bool, state: State) -> Option<Before> {
        Some(Before {
            status,
            ticked,
            state: Some(state),
        })
    }

    #[test]
    fn the_column_a_person_changed_wins() {
        let w = Words::new(mapping());
        let (todo, doing, done) = (StatusCell::Todo, StatusCell::Doing, StatusCell::Done);
        let done_row = before(done, true, State::Done);
        let todo_row = before(todo, false, State::Todo);
        // Agreeing columns.
        assert_eq!(w.resolve(done, Some(true), None), State::Done);
        assert_eq!(w.resolve(doing, Some(false), None), State::Doing);
        // Ticked a to-do row; picked "done" without ticking.
        assert_eq!(w.resolve(todo, Some(true), todo_row), State::Done);
        assert_eq!(w.resolve(done, Some(false), todo_row), State::Done);
        // Unticked a done row whose status still says done: not done, and it stays so.
        let untick = w.resolve(done, Some(false), done_row);
        assert_eq!(untick, State::Todo);
        assert_eq!(
            w.resolve(done, Some(false), before(done, false, untick)),
            State::Todo
        );
        // Picked "in progress" on a done row, tick left.
        assert_eq!(w.resolve(doing, Some(true), done_row), State::Doing);
        // No earlier look, or both columns moved: any sign of done wins.
        assert_eq!(w.resolve(doing, Some(true), None), State::Done);
        assert_eq!(w.resolve(doing, Some(true), todo_row), State::Done);
        // Neither moved and nothing kept: done.
        let unkept = Some(Before {
            status: doing,
            ticked: true,
            state: None,
        });
        assert_eq!(w.resolve(doing, Some(true), unkept), State::Done);
        // Without a done column the status decides.
        assert_eq!(w.resolve(doing, None, done_row), State::Doing);
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
    fn state_from_picks_one_column() {
        let mut m = mapping().clone();
        m.state_from = StateFrom::Status;
        let w = Words::new(&m);
        assert_eq!(w.resolve(StatusCell::Doing, Some(true), None), State::Doing);
        assert_eq!(w.resolve(StatusCell::Other, Some(true), None), State::Todo);
        m.state_from = StateFrom::Done;
        let w = Words::new(&m);
        assert_eq!(w.resolve(StatusCell::Doing, Some(true), None), State::Done);
        assert_eq!(w.resolve(StatusCell::Done, Some(false), None), State::Todo);
        assert_eq!(w.resolve(StatusCell::Other, Some(false), None), State::Todo);
    }

    #[test]
    fn an_unknown_word_says_nothing_and_disagrees_with_nothing() {
        let w = Words::new(mapping());
        let doing = before(StatusCell::Doing, false, State::Doing);
        // The done column speaks for the row; without one, the state seen before stands.
        assert_eq!(w.resolve(StatusCell::Other, Some(true), doing), State::Done);
        assert_eq!(
            w.resolve(StatusCell::Other, Some(false), doing),
            State::Todo
        );
        assert_eq!(w.resolve(StatusCell::Other, None, doing), State::Doing);
        assert_eq!(w.resolve(StatusCell::Other, None, None), State::Todo);
        assert!(!w.disagree(StatusCell::Other, Some(true)));
        assert!(w.disagree(StatusCell::Todo, Some(true)));
        assert!(w.disagree(StatusCell::Empty, Some(true)));
        assert!(w.disagree(StatusCell::Done, Some(false)));
        assert!(!w.disagree(StatusCell::Done, Some(true)));
        assert!(!w.disagree(StatusCell::Doing, Some(false)));
        assert!(!w.disagree(StatusCell::Archived, Some(true)));
        assert!(!w.disagree(StatusCell::Done, None));
        assert_eq!(
            w.accepted(),
            [
                "To do",
                "In progress",
                "Blocked",
                "Done",
                "לביצוע",
                "בתהליך",
                "תקוע",
                "בוצע"
            ]
        );
        assert!(
            w.note()
                .ends_with("To do, In progress, Blocked, Done, לביצוע, בתהליך, תקוע, בוצע")
        );
        assert!(w.disagree(StatusCell::Blocked, Some(true)));
    }

    #[test]
    fn an_unknown_word_is_reported_once_and_noted() {
        let w = Words::new(mapping());
        let cells = w.status_cells(StatusCell::Other, Some(true), false, || {
            ("blocked".to_owned(), "Tasks!H2".to_owned())
        });
        let unknown = cells.unknown.expect("reported");
        assert_eq!(
            (unknown.word.as_str(), unknown.cell.as_str()),
            ("blocked", "Tasks!H2")
        );
        assert_eq!(unknown.accepted, w.accepted());
        assert!(cells.note_outdated && !cells.disagree);
        // Noted already: nothing to redo. Fixed since: the note goes.
        let noted = w.status_cells(StatusCell::Other, None, true, || {
            ("blocked".to_owned(), "Tasks!H2".to_owned())
        });
        assert!(!noted.note_outdated);
        let fixed = w.status_cells(StatusCell::Done, Some(false), true, || unreachable!());
        assert!(fixed.unknown.is_none() && fixed.note_outdated && fixed.disagree);
    }

    #[test]
    fn updates_keep_archived_markers_and_unknown_words() {
        use StateWrite::*;
        let t = || true;
        assert_eq!(
            task_state_write(StatusCell::Todo, Some(State::Done), false, t),
            Both(State::Done)
        );
        assert_eq!(
            task_state_write(StatusCell::Other, Some(State::Done), false, t),
            KeepUnknown(State::Done)
        );
        assert_eq!(
            task_state_write(StatusCell::Archived, Some(State::Doing), false, t),
            Tick(State::Doing)
        );
        assert_eq!(
            task_state_write(StatusCell::Archived, Some(State::Doing), true, t),
            Both(State::Doing)
        );
        assert_eq!(
            task_state_write(StatusCell::Archived, None, true, t),
            Both(State::Done)
        );
        assert_eq!(
            task_state_write(StatusCell::Archived, None, true, || false),
            Both(State::Todo)
        );
        assert_eq!(
            task_state_write(StatusCell::Archived, None, false, t),
            Nothing
        );
        assert_eq!(task_state_write(StatusCell::Todo, None, true, t), Nothing);

        assert_eq!(
            entry_state_write(true, None, true, t),
            EntryWrite::Unarchive(true)
        );
        assert_eq!(
            entry_state_write(true, Some(false), true, t),
            EntryWrite::Unarchive(false)
        );
        assert_eq!(
            entry_state_write(true, Some(true), false, t),
            EntryWrite::Tick(true)
        );
        assert_eq!(
            entry_state_write(false, Some(true), true, t),
            EntryWrite::Checked(true)
        );
        assert_eq!(
            entry_state_write(false, None, false, t),
            EntryWrite::Nothing
        );
    }
}
