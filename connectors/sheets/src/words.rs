//! Where the grid core's rules (status words, ticks, dates, the Status/Done rule) meet the
//! Sheets API's cells (JSON values), and the state columns as throughline last saw them,
//! which travel in the cursor.

use std::borrow::Cow;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use throughline_connector::State;
use throughline_grid::{Before, Cell, StatusCell};

use crate::a1::serial_to_date;

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

impl Seen {
    /// As the Status/Done rule takes it.
    pub fn before(self) -> Before {
        Before {
            status: self.status,
            ticked: self.ticked,
            state: Some(self.state),
        }
    }
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

/// A cell as the grid rules read it.
pub(crate) fn view(v: &Value) -> Cell<'_> {
    match v {
        Value::String(s) => Cell::Text(Cow::Borrowed(s)),
        Value::Number(n) => n.as_f64().map_or(Cell::Empty, Cell::Number),
        Value::Bool(b) => Cell::Bool(*b),
        _ => Cell::Empty,
    }
}

/// A date cell: a serial number, or text a person typed (see
/// [`throughline_grid::parse_date_text`]; a timestamp is read in the process time zone).
pub(crate) fn read_date(cell: &Cell<'_>, format: &str, tz: &TimeZone) -> Option<Date> {
    throughline_grid::read_date(cell, format, tz, serial_to_date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::mapping::SheetsMapping;

    #[test]
    fn words_people_type_are_read_back() {
        let m = SheetsMapping::default();
        let w = m.words();
        for done in ["done", " DONE ", "x", "✓", "בוצע", "הושלם"] {
            assert_eq!(w.status(&view(&json!(done))), StatusCell::Done, "{done:?}");
        }
        assert_eq!(w.status(&view(&json!("בארכיון"))), StatusCell::Archived);
        assert_eq!(w.status(&view(&json!("blocked"))), StatusCell::Blocked);
        assert_eq!(w.status(&view(&json!("תקוע"))), StatusCell::Blocked);
        assert_eq!(
            w.status(&view(&json!("waiting on legal"))),
            StatusCell::Other
        );
        assert_eq!(w.status(&view(&Value::Null)), StatusCell::Empty);
        assert!(w.ticked(&view(&json!(true))));
        assert!(w.ticked(&view(&json!(1))));
        assert!(w.ticked(&view(&json!("TRUE"))));
        assert!(!w.ticked(&view(&json!(false))));
        assert!(!w.ticked(&view(&Value::Null)));
    }

    #[test]
    fn seen_travels_in_the_cursor_as_before() {
        let seen = Seen {
            status: StatusCell::Other,
            ticked: true,
            state: State::Doing,
            noted: true,
        };
        let json = serde_json::to_value(seen).unwrap();
        assert_eq!(
            json,
            json!({"status": "other", "ticked": true, "state": "doing", "noted": true})
        );
        assert_eq!(serde_json::from_value::<Seen>(json).unwrap(), seen);
        assert_eq!(seen.before().state, Some(State::Doing));
    }

    #[test]
    fn dates_from_serials_and_typed_text() {
        let tz = TimeZone::get("Asia/Jerusalem").unwrap();
        let d = Date::constant(2026, 12, 10);
        assert_eq!(read_date(&view(&json!(46366)), "yyyy-mm-dd", &tz), Some(d));
        assert_eq!(
            read_date(&view(&json!(46366.75)), "yyyy-mm-dd", &tz),
            Some(d)
        );
        assert_eq!(
            read_date(&view(&json!("2026-12-10")), "yyyy-mm-dd", &tz),
            Some(d)
        );
        assert_eq!(
            read_date(&view(&json!("10/12/2026")), "dd/mm/yyyy", &tz),
            Some(d)
        );
        assert_eq!(
            read_date(&view(&json!("12/10/2026")), "mm/dd/yyyy", &tz),
            Some(d)
        );
        // 22:30 UTC on the 9th is already the 10th in Jerusalem.
        assert_eq!(
            read_date(&view(&json!("2026-12-09T22:30:00Z")), "yyyy-mm-dd", &tz),
            Some(d)
        );
        assert_eq!(read_date(&view(&json!("soon")), "yyyy-mm-dd", &tz), None);
        assert_eq!(
            read_date(&view(&json!("31/02/2026")), "dd/mm/yyyy", &tz),
            None
        );
        assert_eq!(read_date(&view(&json!(true)), "yyyy-mm-dd", &tz), None);
    }

    /// Year-first dates are read whatever the mapping's format, as Excel reads them too (one
    /// reader in the grid core); before, a `dd/mm/yyyy` sheet read `2026/12/10` as nothing.
    #[test]
    fn year_first_dates_are_read_whatever_the_format() {
        let tz = TimeZone::UTC;
        let d = Date::constant(2026, 12, 10);
        for format in ["dd/mm/yyyy", "mm/dd/yyyy", "yyyy-mm-dd"] {
            assert_eq!(
                read_date(&view(&json!("2026/12/10")), format, &tz),
                Some(d),
                "{format}"
            );
        }
        assert_eq!(
            read_date(&view(&json!("26.12.10")), "yy.mm.dd", &tz),
            Some(d)
        );
    }
}
