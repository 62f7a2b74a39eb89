//! A cell as the grid rules read it, whatever the tool keeps it as (a calamine value, a JSON
//! value from the Sheets API), and the one reader of dates people type.

use std::borrow::Cow;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// What a cell holds, as far as reading status words, ticks and dates goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// Nothing (or something with no value to read, such as an error).
    Empty,
    /// Text.
    Text(Cow<'a, str>),
    /// A number (a date whose format was lost is one).
    Number(f64),
    /// TRUE or FALSE (a checkbox).
    Bool(bool),
    /// A date cell.
    Date(Date),
}

impl Cell<'_> {
    /// The cell as text, the way it reads: numbers without a needless `.0`, TRUE/FALSE.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Number(n) => Cow::Owned(number_text(*n)),
            Cell::Bool(true) => Cow::Borrowed("TRUE"),
            Cell::Bool(false) => Cow::Borrowed("FALSE"),
            Cell::Date(d) => Cow::Owned(d.to_string()),
        }
    }
}

/// A number as a spreadsheet shows it: whole numbers without `.0`.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A date cell, a serial number (`serial` converts it: Excel and Sheets count from different
/// days), or text a person typed (see [`parse_date_text`]).
pub fn read_date(
    cell: &Cell<'_>,
    format: &str,
    tz: &TimeZone,
    serial: impl Fn(f64) -> Option<Date>,
) -> Option<Date> {
    match cell {
        Cell::Date(d) => Some(*d),
        Cell::Number(n) => serial(*n),
        Cell::Text(s) => parse_date_text(s.trim(), format, tz),
        Cell::Empty | Cell::Bool(_) => None,
    }
}

/// A date people typed: ISO `2026-12-10`, a timestamp (the date it is in `tz`), or three
/// numbers separated by `/`, `.` or `-`. A part of three or more digits is the year, and
/// where it stands says the order: first means year/month/day (`2026/12/10`), last means day
/// and month in the order of `format` (`10/12/2026` for `dd/mm/yyyy`, `12/10/2026` for
/// `mm/dd/yyyy`). When all three parts are short (`10/12/26`), `format` gives the order of
/// all three. A two-digit year is in this century.
pub fn parse_date_text(s: &str, format: &str, tz: &TimeZone) -> Option<Date> {
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
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
    let at = |c: char| f.find(c);
    let (year, month, day) = if parts[0].len() > 2 {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() > 2 {
        match (at('d')?, at('m')?) {
            (d, m) if d < m => (parts[2], parts[1], parts[0]),
            _ => (parts[2], parts[0], parts[1]),
        }
    } else {
        // Short parts: the format orders all three.
        let mut order = [('y', at('y')?), ('m', at('m')?), ('d', at('d')?)];
        order.sort_by_key(|(_, i)| *i);
        let part = |c: char| parts[order.iter().position(|(k, _)| *k == c).unwrap_or(0)];
        (part('y'), part('m'), part('d'))
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

    fn read(s: &str, format: &str) -> Option<Date> {
        parse_date_text(s, format, &TimeZone::UTC)
    }

    #[test]
    fn typed_dates_in_every_order() {
        let d = Date::constant(2026, 12, 10);
        for format in ["yyyy-mm-dd", "dd/mm/yyyy", "mm/dd/yyyy", "d mmm yyyy"] {
            assert_eq!(read("2026-12-10", format), Some(d), "{format}");
            // Year first is read whatever the format.
            assert_eq!(read("2026/12/10", format), Some(d), "{format}");
            assert_eq!(read("2026.12.10", format), Some(d), "{format}");
        }
        assert_eq!(read("10/12/2026", "dd/mm/yyyy"), Some(d));
        assert_eq!(read("10.12.2026", "dd.mm.yyyy"), Some(d));
        assert_eq!(read("12/10/2026", "mm/dd/yyyy"), Some(d));
        assert_eq!(read("10/12/26", "dd/mm/yy"), Some(d));
        assert_eq!(read("26/12/10", "yy/mm/dd"), Some(d));
        assert_eq!(read("31/02/2026", "dd/mm/yyyy"), None);
        assert_eq!(read("soon", "yyyy-mm-dd"), None);
        assert_eq!(read("1/2", "dd/mm/yyyy"), None);
        assert_eq!(read("", "dd/mm/yyyy"), None);
        // No day or month in the format: only unambiguous text is read.
        assert_eq!(read("10/12/2026", "yyyy"), None);
        assert_eq!(read("2026/12/10", "yyyy"), Some(d));
    }

    #[test]
    fn a_timestamp_is_the_date_it_is_in_the_time_zone() {
        let tz = TimeZone::get("Asia/Jerusalem").unwrap();
        assert_eq!(
            parse_date_text("2026-12-09T22:30:00Z", "yyyy-mm-dd", &tz),
            Some(Date::constant(2026, 12, 10))
        );
        assert_eq!(
            parse_date_text("2026-12-09T22:30:00Z", "yyyy-mm-dd", &TimeZone::UTC),
            Some(Date::constant(2026, 12, 9))
        );
    }

    #[test]
    fn cells_read_as_dates() {
        let d = Date::constant(2026, 12, 10);
        let none = |_: f64| None;
        let tz = TimeZone::UTC;
        assert_eq!(read_date(&Cell::Date(d), "x", &tz, none), Some(d));
        assert_eq!(
            read_date(&Cell::Number(1.0), "x", &tz, |_| Some(d)),
            Some(d)
        );
        assert_eq!(read_date(&Cell::Number(1.0), "x", &tz, none), None);
        assert_eq!(read_date(&Cell::Bool(true), "yyyy-mm-dd", &tz, none), None);
        assert_eq!(
            read_date(&Cell::Text(" 2026-12-10 ".into()), "x", &tz, none),
            Some(d)
        );
    }

    #[test]
    fn cells_read_as_text() {
        assert_eq!(Cell::Number(3.0).text(), "3");
        assert_eq!(Cell::Number(3.5).text(), "3.5");
        assert_eq!(Cell::Bool(true).text(), "TRUE");
        assert_eq!(Cell::Empty.text(), "");
    }
}
