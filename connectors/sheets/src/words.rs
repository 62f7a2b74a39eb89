//! Reading what people typed: status words in two languages, ticks, dates, and which state a
//! row is in when its status and done columns disagree.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use throughline_connector::State;

use crate::a1::serial_to_date;
use crate::mapping::{Language, SheetsMapping, StateFrom, norm};

/// What the status column says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StatusCell {
    Empty,
    Todo,
    Doing,
    Done,
    Archived,
    /// A word the mapping does not know; reads as to do.
    Other,
}

impl StatusCell {
    fn state(self) -> State {
        match self {
            StatusCell::Doing => State::Doing,
            StatusCell::Done => State::Done,
            _ => State::Todo,
        }
    }
}

/// The state columns of a row as throughline last saw or wrote them, with the state it read
/// from them: what a person changed since is what counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Seen {
    pub status: StatusCell,
    pub ticked: bool,
    pub state: State,
    /// Throughline put a note on the status cell about a word it does not know.
    #[serde(default)]
    pub noted: bool,
}

/// A cell as text (numbers without a trailing `.0`, booleans as Sheets shows them).
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Bool(true) => "TRUE".to_owned(),
        Value::Bool(false) => "FALSE".to_owned(),
        _ => String::new(),
    }
}

pub(crate) struct Words<'m> {
    pub mapping: &'m SheetsMapping,
}

impl Words<'_> {
    pub fn status(&self, cell: &Value) -> StatusCell {
        if let Value::Bool(b) = cell {
            return if *b {
                StatusCell::Done
            } else {
                StatusCell::Other
            };
        }
        let t = norm(&text(cell));
        if t.is_empty() {
            return StatusCell::Empty;
        }
        let m = self.mapping;
        for lang in Language::ALL {
            let w = m.status_words(lang);
            for (word, status) in [
                (&w.todo, StatusCell::Todo),
                (&w.doing, StatusCell::Doing),
                (&w.done, StatusCell::Done),
                (&w.archived, StatusCell::Archived),
            ] {
                if norm(word) == t {
                    return status;
                }
            }
        }
        let any = |words: &[String]| words.iter().any(|w| norm(w) == t);
        if any(&m.archived_words) {
            StatusCell::Archived
        } else if any(&m.done_words) {
            StatusCell::Done
        } else if any(&m.doing_words) {
            StatusCell::Doing
        } else {
            StatusCell::Other
        }
    }

    /// A checkbox cell: TRUE, or a done word someone typed over the checkbox.
    pub fn ticked(&self, cell: &Value) -> bool {
        match cell {
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64() == Some(1.0),
            other => {
                let t = norm(&text(other));
                !t.is_empty()
                    && (t == "true" || self.mapping.done_words.iter().any(|w| norm(w) == t))
            }
        }
    }

    /// The status and done columns say different things (an unknown word disagrees with
    /// nothing: it is reported, not corrected).
    pub fn disagree(&self, status: StatusCell, ticked: Option<bool>) -> bool {
        let Some(ticked) = ticked else { return false };
        match status {
            StatusCell::Other | StatusCell::Archived => false,
            StatusCell::Empty | StatusCell::Todo | StatusCell::Doing => ticked,
            StatusCell::Done => !ticked,
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

    pub fn status_word(&self, lang: Language, state: State) -> String {
        let w = self.mapping.status_words(lang);
        match state {
            State::Todo => &w.todo,
            State::Doing => &w.doing,
            State::Done => &w.done,
        }
        .clone()
    }

    /// The state of a row from its status and done columns (see `state_from` in the mapping).
    pub fn resolve(&self, status: StatusCell, ticked: Option<bool>, before: Option<Seen>) -> State {
        // A word the mapping does not know says nothing: the done column does (the engine
        // keeps the state it last saw unless that column moved); without one, the state seen.
        if status == StatusCell::Other && self.mapping.state_from != StateFrom::Done {
            let ticked = ticked.filter(|_| self.mapping.state_from != StateFrom::Status);
            return match ticked {
                Some(true) => State::Done,
                Some(false) => State::Todo,
                None => before.map_or(State::Todo, |b| b.state),
            };
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
                // The columns disagree: follow the one a person changed since throughline last
                // looked; when neither changed, keep what was read then; when both did (or
                // there is no earlier look), any sign of "done" wins.
                if let Some(before) = before {
                    let status_moved = before.status != status;
                    let tick_moved = before.ticked != ticked;
                    match (status_moved, tick_moved) {
                        (true, false) => return from_status,
                        (false, true) => {
                            return if ticked { State::Done } else { State::Todo };
                        }
                        (false, false) => return before.state,
                        (true, true) => {}
                    }
                }
                State::Done
            }
        }
    }
}

/// A date cell: a serial number, or text a person typed (ISO `2026-12-10`, the mapping's own
/// day/month order such as `10/12/2026`, or a timestamp, read in the process time zone).
pub(crate) fn read_date(cell: &Value, format: &str, tz: &TimeZone) -> Option<Date> {
    match cell {
        Value::Number(n) => n.as_f64().and_then(serial_to_date),
        Value::String(s) => parse_date_text(s.trim(), format, tz),
        _ => None,
    }
}

fn parse_date_text(s: &str, format: &str, tz: &TimeZone) -> Option<Date> {
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.to_zoned(tz.clone()).date());
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
    let (day, month, year) = if f.starts_with('y') {
        (parts[2], parts[1], parts[0])
    } else {
        let day_first = match (f.find('d'), f.find('m')) {
            (Some(d), Some(m)) => d < m,
            _ => return None,
        };
        if day_first {
            (parts[0], parts[1], parts[2])
        } else {
            (parts[1], parts[0], parts[2])
        }
    };
    let mut year: i16 = year.parse().ok()?;
    if year < 100 {
        year += 2000;
    }
    Date::new(year, month.parse().ok()?, day.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn words() -> Words<'static> {
        let m: &'static SheetsMapping = Box::leak(Box::new(SheetsMapping::default()));
        Words { mapping: m }
    }

    #[test]
    fn words_people_type_are_read_back() {
        let w = words();
        for done in ["done", " DONE ", "x", "✓", "בוצע", "הושלם"] {
            assert_eq!(w.status(&json!(done)), StatusCell::Done, "{done:?}");
        }
        assert_eq!(w.status(&json!("In  Progress")), StatusCell::Doing);
        assert_eq!(w.status(&json!("בתהליך")), StatusCell::Doing);
        assert_eq!(w.status(&json!("לביצוע")), StatusCell::Todo);
        assert_eq!(w.status(&json!("בארכיון")), StatusCell::Archived);
        assert_eq!(w.status(&json!("blocked")), StatusCell::Other);
        assert_eq!(w.status(&json!("")), StatusCell::Empty);
        assert_eq!(w.status(&Value::Null), StatusCell::Empty);
        assert!(w.ticked(&json!(true)));
        assert!(!w.ticked(&json!(false)));
        assert!(w.ticked(&json!("TRUE")));
        assert!(!w.ticked(&Value::Null));
    }

    #[test]
    fn the_column_a_person_changed_wins() {
        let w = words();
        let seen = |status, ticked, state| {
            Some(Seen {
                status,
                ticked,
                state,
                noted: false,
            })
        };
        let done_row = seen(StatusCell::Done, true, State::Done);
        let todo_row = seen(StatusCell::Todo, false, State::Todo);
        // Ticked a to-do row; typed "done" without ticking.
        assert_eq!(
            w.resolve(StatusCell::Todo, Some(true), todo_row),
            State::Done
        );
        assert_eq!(
            w.resolve(StatusCell::Done, Some(false), todo_row),
            State::Done
        );
        // Unticked a done row whose status still says done: not done, and it stays so.
        let untick = w.resolve(StatusCell::Done, Some(false), done_row);
        assert_eq!(untick, State::Todo);
        let later = seen(StatusCell::Done, false, untick);
        assert_eq!(w.resolve(StatusCell::Done, Some(false), later), State::Todo);
        // Picked "in progress" on a done row, tick left.
        assert_eq!(
            w.resolve(StatusCell::Doing, Some(true), done_row),
            State::Doing
        );
        // No earlier look: any sign of done wins.
        assert_eq!(w.resolve(StatusCell::Doing, Some(true), None), State::Done);
        assert_eq!(w.resolve(StatusCell::Doing, None, done_row), State::Doing);
    }

    #[test]
    fn an_unknown_word_says_nothing_and_disagrees_with_nothing() {
        let w = words();
        let doing = Some(Seen {
            status: StatusCell::Doing,
            ticked: false,
            state: State::Doing,
            noted: false,
        });
        // The done column speaks for the row; without one, the state seen before stands.
        assert_eq!(w.resolve(StatusCell::Other, Some(true), doing), State::Done);
        assert_eq!(
            w.resolve(StatusCell::Other, Some(false), doing),
            State::Todo
        );
        assert_eq!(w.resolve(StatusCell::Other, None, doing), State::Doing);
        assert!(!w.disagree(StatusCell::Other, Some(true)));
        assert!(w.disagree(StatusCell::Todo, Some(true)));
        assert!(w.disagree(StatusCell::Empty, Some(true)));
        assert!(w.disagree(StatusCell::Done, Some(false)));
        assert!(!w.disagree(StatusCell::Done, Some(true)));
        assert!(!w.disagree(StatusCell::Doing, Some(false)));
        assert!(!w.disagree(StatusCell::Done, None));
        assert_eq!(
            w.accepted(),
            ["To do", "In progress", "Done", "לביצוע", "בתהליך", "בוצע"]
        );
    }

    #[test]
    fn dates_from_serials_and_typed_text() {
        let tz = TimeZone::get("Asia/Jerusalem").unwrap();
        let d = Date::constant(2026, 12, 10);
        assert_eq!(read_date(&json!(46366), "yyyy-mm-dd", &tz), Some(d));
        assert_eq!(read_date(&json!("2026-12-10"), "yyyy-mm-dd", &tz), Some(d));
        assert_eq!(read_date(&json!("10/12/2026"), "dd/mm/yyyy", &tz), Some(d));
        assert_eq!(read_date(&json!("12/10/2026"), "mm/dd/yyyy", &tz), Some(d));
        // 22:30 UTC on the 9th is already the 10th in Jerusalem.
        assert_eq!(
            read_date(&json!("2026-12-09T22:30:00Z"), "yyyy-mm-dd", &tz),
            Some(d)
        );
        assert_eq!(read_date(&json!("soon"), "yyyy-mm-dd", &tz), None);
        assert_eq!(read_date(&json!("31/02/2026"), "dd/mm/yyyy", &tz), None);
    }
}
