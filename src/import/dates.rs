//! Dates as people put them in spreadsheets: real date cells (1900 and 1904 systems), bare
//! serial numbers, and text in many shapes. A day/month order is never guessed cell by cell:
//! the column's order is decided once (mapping file, unambiguous dates in the column, or the
//! sheet's language) and every cell that could be read both ways is listed.

use std::fmt;

use jiff::civil::Date;

use super::grid::{DateSystem, Value, clean};

/// The order of day, month and year in numeric text dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    Dmy,
    Mdy,
    Ymd,
}

impl DateOrder {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "dmy" => Some(DateOrder::Dmy),
            "mdy" => Some(DateOrder::Mdy),
            "ymd" => Some(DateOrder::Ymd),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::Dmy => "dmy",
            DateOrder::Mdy => "mdy",
            DateOrder::Ymd => "ymd",
        }
    }

    /// "day/month/year", for sentences.
    pub fn words(self) -> &'static str {
        match self {
            DateOrder::Dmy => "day/month/year",
            DateOrder::Mdy => "month/day/year",
            DateOrder::Ymd => "year/month/day",
        }
    }
}

impl fmt::Display for DateOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one cell says, before the column's order is known.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Nothing in the cell.
    Blank,
    /// A date with only one possible reading.
    Date(Date),
    /// A plain number read as a spreadsheet serial date.
    Serial { serial: f64, date: Date },
    /// Three numbers, the year last (or all short): `03/04/2026`. The column's order decides.
    Numeric { a: u32, b: u32, c: u32 },
    /// Looks like a date but cannot be one; the reason is a sentence fragment.
    Impossible(String),
    /// Not a date at all.
    NotADate,
}

/// What a [`Reading::Numeric`] says about the column's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// First number above 12: only day/month fits.
    Dmy,
    /// Second number above 12: only month/day fits.
    Mdy,
    /// Both numbers 12 or below and different.
    Ambiguous,
    /// Both the same: every order gives one date.
    Either,
}

impl Reading {
    pub fn evidence(&self) -> Option<Evidence> {
        match *self {
            Reading::Numeric { a, b, .. } => Some(if a == b {
                Evidence::Either
            } else if a > 12 && b <= 12 {
                Evidence::Dmy
            } else if b > 12 && a <= 12 {
                Evidence::Mdy
            } else if a <= 12 && b <= 12 {
                Evidence::Ambiguous
            } else {
                return None;
            }),
            _ => None,
        }
    }
}

/// The result of reading a [`Reading::Numeric`] in a given order.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Date {
        date: Date,
        ambiguous: bool,
    },
    /// The numbers do not fit the order (the sentence says why).
    Mismatch(String),
    Impossible(String),
}

/// Read `a/b/c` in `order`. The numbers are never swapped to make a date fit.
pub fn resolve(a: u32, b: u32, c: u32, order: DateOrder) -> Resolved {
    let (y, m, d) = match order {
        DateOrder::Dmy => (c, b, a),
        DateOrder::Mdy => (c, a, b),
        // 26/04/03; a four-digit last number is a year in the wrong place.
        DateOrder::Ymd if c <= 31 => (a, b, c),
        DateOrder::Ymd => {
            return Resolved::Mismatch(format!(
                "has the year last, but the dates are read as {}",
                order.words()
            ));
        }
    };
    if m > 12 {
        let other = if order == DateOrder::Mdy {
            DateOrder::Dmy
        } else {
            DateOrder::Mdy
        };
        return Resolved::Mismatch(format!(
            "cannot be {} (there is no month {m}); it would only fit {}",
            order.words(),
            other.words()
        ));
    }
    match make_date(full_year(y), m, d) {
        Ok(date) => {
            let ambiguous = order != DateOrder::Ymd && a != b && a <= 12 && b <= 12;
            Resolved::Date { date, ambiguous }
        }
        Err(why) => Resolved::Impossible(why),
    }
}

/// Two-digit years the way Excel reads them: 00–29 → 2000s, 30–99 → 1900s.
fn full_year(y: u32) -> i32 {
    match y {
        0..=29 => 2000 + y as i32,
        30..=99 => 1900 + y as i32,
        _ => y as i32,
    }
}

/// A date, or why there is none ("April has 30 days").
pub fn make_date(year: i32, month: u32, day: u32) -> Result<Date, String> {
    if !(1900..=2199).contains(&year) {
        return Err(format!("the year {year} is outside 1900–2199"));
    }
    if !(1..=12).contains(&month) {
        return Err(format!("there is no month {month}"));
    }
    let first = Date::new(year as i16, month as i8, 1).map_err(|e| e.to_string())?;
    let days = first.days_in_month() as u32;
    if day == 0 || day > days {
        return Err(format!(
            "{} {year} has {days} days",
            MONTHS_EN[month as usize - 1]
        ));
    }
    Date::new(year as i16, month as i8, day as i8).map_err(|e| e.to_string())
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const MONTHS_HE: [&[&str]; 12] = [
    &["ינואר"],
    &["פברואר"],
    &["מרץ", "מרס"],
    &["אפריל"],
    &["מאי"],
    &["יוני"],
    &["יולי"],
    &["אוגוסט"],
    &["ספטמבר"],
    &["אוקטובר"],
    &["נובמבר"],
    &["דצמבר"],
];

/// Month number of an English or Hebrew month name (`Mar`, `march`, `במרץ`).
fn month_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    for (i, name) in MONTHS_EN.iter().enumerate() {
        let name = name.to_lowercase();
        if w == name || (w.len() >= 3 && name.starts_with(&w) && (w.len() == 3 || w == "sept")) {
            return Some(i as u32 + 1);
        }
    }
    let he = w.strip_prefix('ב').filter(|rest| !rest.is_empty());
    for (i, names) in MONTHS_HE.iter().enumerate() {
        if names.iter().any(|n| *n == w || Some(*n) == he) {
            return Some(i as u32 + 1);
        }
    }
    None
}

/// Read one cell. `system` is the workbook's serial date system (text files: none, and plain
/// numbers are then read in the common 1900 system).
pub fn read(value: &Value, system: Option<DateSystem>) -> Reading {
    match value {
        Value::Empty => Reading::Blank,
        Value::Date(d) => Reading::Date(*d),
        Value::Number(n) => serial(*n, system.unwrap_or(DateSystem::Excel1900)),
        Value::Text(t) => read_text(clean(t), system),
        Value::Bool(_) | Value::Error(_) => Reading::NotADate,
    }
}

/// A serial day number; only years 1901–2199 are believed, so that a stray small number
/// (a count, a week number) is not taken for a date in 1900.
pub fn serial(n: f64, system: DateSystem) -> Reading {
    if !(367.0..=109_574.0).contains(&n) {
        return Reading::NotADate;
    }
    let days = n.floor() as i64;
    let date = match system {
        DateSystem::Excel1900 => {
            Date::constant(1899, 12, 30).checked_add(jiff::Span::new().days(days))
        }
        DateSystem::Excel1904 => {
            Date::constant(1904, 1, 1).checked_add(jiff::Span::new().days(days))
        }
    };
    match date {
        Ok(date) => Reading::Serial { serial: n, date },
        Err(_) => Reading::NotADate,
    }
}

const WEEKDAYS: [&str; 14] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sun",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
];

fn read_text(text: &str, system: Option<DateSystem>) -> Reading {
    if text.is_empty() {
        return Reading::Blank;
    }
    let s = date_part(text);
    let s = s.trim();
    if s.is_empty() {
        return Reading::NotADate;
    }

    // A bare whole number: a serial date that lost its format (common in CSV exports).
    if s.chars().all(|c| c.is_ascii_digit()) {
        return match s.parse::<f64>() {
            Ok(n) if s.len() == 5 => serial(n, system.unwrap_or(DateSystem::Excel1900)),
            _ => Reading::NotADate,
        };
    }

    let parts: Vec<&str> = s
        .split(['/', '.', '-', ' ', ','])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return Reading::NotADate;
    }
    if parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        return read_numeric(&parts);
    }
    read_with_month_name(&parts)
}

/// The text without what does not matter for the date: a time after it ("2026-03-04T10:00",
/// "03/04/2026 10:00 AM") and a weekday in front ("Tue, 03/04/2026", "יום ג׳ 03/04/2026").
fn date_part(text: &str) -> String {
    let mut s = text.to_string();
    if let Some(t) = s.find('T').filter(|&i| i >= 8 && s[i + 1..].contains(':')) {
        s.truncate(t);
    }
    if let Some(colon) = s.find(':') {
        let cut = s[..colon].rfind(char::is_whitespace).unwrap_or(0);
        s.truncate(cut);
    }
    let lower = s.to_lowercase();
    for w in WEEKDAYS {
        if let Some(rest) = lower.strip_prefix(w)
            && rest.starts_with([',', ' ', '.'])
        {
            s = s[w.len()..].trim_start_matches([',', ' ', '.']).to_string();
            break;
        }
    }
    if let Some(rest) = s.strip_prefix("יום ") {
        s = rest
            .split_once([' ', ','])
            .map(|(_, r)| r.trim_start_matches([',', ' ']).to_string())
            .unwrap_or_default();
    }
    s
}

/// Three parts of digits: year first is a date; otherwise the column's order decides later.
fn read_numeric(parts: &[&str]) -> Reading {
    let Some(n) = parts
        .iter()
        .map(|p| day_number(p))
        .collect::<Option<Vec<u32>>>()
    else {
        return Reading::NotADate;
    };
    if parts[0].len() == 4 {
        return match make_date(n[0] as i32, n[1], n[2]) {
            Ok(d) => Reading::Date(d),
            Err(why) => Reading::Impossible(why),
        };
    }
    if parts[0].len() > 2 || parts[1].len() > 2 || !(parts[2].len() == 2 || parts[2].len() == 4) {
        return Reading::NotADate;
    }
    Reading::Numeric {
        a: n[0],
        b: n[1],
        c: n[2],
    }
}

/// One part a month name, the others a day and a year, in any order.
fn read_with_month_name(parts: &[&str]) -> Reading {
    let Some((mi, month)) = parts
        .iter()
        .enumerate()
        .find_map(|(i, p)| month_number(p).map(|m| (i, m)))
    else {
        return Reading::NotADate;
    };
    let rest: Vec<&str> = parts
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != mi)
        .map(|(_, p)| *p)
        .collect();
    let (day, year) = match (day_number(rest[0]), day_number(rest[1])) {
        (Some(a), Some(b))
            if rest[1].len() == 4 || (rest[0].len() <= 2 && rest[1].len() == 2 && mi == 1) =>
        {
            (a, b)
        }
        (Some(a), Some(b)) if rest[0].len() == 4 => (b, a),
        _ => return Reading::NotADate,
    };
    match make_date(full_year(year), month, day) {
        Ok(d) => Reading::Date(d),
        Err(why) => Reading::Impossible(why),
    }
}

/// `4`, `04`, `4th`, `2026` → the number.
fn day_number(part: &str) -> Option<u32> {
    let p = part.trim();
    let p = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| p.strip_suffix(s))
        .unwrap_or(p);
    if p.is_empty() || p.len() > 4 || !p.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn text(s: &str) -> Reading {
        read(&Value::Text(s.into()), None)
    }

    #[test]
    fn unambiguous_text_dates() {
        assert_eq!(text("2026-03-04"), Reading::Date(date(2026, 3, 4)));
        assert_eq!(text("2026/3/4 10:30"), Reading::Date(date(2026, 3, 4)));
        assert_eq!(text("2026-03-04T09:00:00"), Reading::Date(date(2026, 3, 4)));
        assert_eq!(text("4 March 2026"), Reading::Date(date(2026, 3, 4)));
        assert_eq!(text("March 4, 2026"), Reading::Date(date(2026, 3, 4)));
        assert_eq!(text("04-Mar-2026"), Reading::Date(date(2026, 3, 4)));
        assert_eq!(text("Tue, 4 Sept 2026"), Reading::Date(date(2026, 9, 4)));
        assert_eq!(text("4 במרץ 2026"), Reading::Date(date(2026, 3, 4)));
        assert_eq!(
            text("יום ג׳ 10 בדצמבר 2026"),
            Reading::Date(date(2026, 12, 10))
        );
        assert_eq!(text("  15 אוגוסט 2026 "), Reading::Date(date(2026, 8, 15)));
    }

    #[test]
    fn numeric_dates_wait_for_the_column_order() {
        let r = text("03/04/2026");
        assert_eq!(
            r,
            Reading::Numeric {
                a: 3,
                b: 4,
                c: 2026
            }
        );
        assert_eq!(r.evidence(), Some(Evidence::Ambiguous));
        assert_eq!(text("25.03.2026").evidence(), Some(Evidence::Dmy));
        assert_eq!(text("3/25/26").evidence(), Some(Evidence::Mdy));
        assert_eq!(text("05/05/2026").evidence(), Some(Evidence::Either));
        assert_eq!(
            resolve(3, 4, 2026, DateOrder::Dmy),
            Resolved::Date {
                date: date(2026, 4, 3),
                ambiguous: true
            }
        );
        assert_eq!(
            resolve(3, 4, 2026, DateOrder::Mdy),
            Resolved::Date {
                date: date(2026, 3, 4),
                ambiguous: true
            }
        );
        assert_eq!(
            resolve(3, 25, 26, DateOrder::Mdy),
            Resolved::Date {
                date: date(2026, 3, 25),
                ambiguous: false
            }
        );
        // Never swapped to make it fit.
        assert!(matches!(
            resolve(25, 3, 2026, DateOrder::Mdy),
            Resolved::Mismatch(_)
        ));
    }

    #[test]
    fn impossible_dates_say_why() {
        assert_eq!(
            text("2026-02-30"),
            Reading::Impossible("February 2026 has 28 days".into())
        );
        assert_eq!(
            resolve(31, 4, 2026, DateOrder::Dmy),
            Resolved::Impossible("April 2026 has 30 days".into())
        );
        assert_eq!(text("2028-02-29"), Reading::Date(date(2028, 2, 29)));
        assert_eq!(
            text("31 June 2026"),
            Reading::Impossible("June 2026 has 30 days".into())
        );
    }

    #[test]
    fn serial_numbers_in_both_systems() {
        // 46000 in the 1900 system is 2025-12-09; the 1904 system starts 1,462 days later.
        assert_eq!(
            read(&Value::Number(46000.0), Some(DateSystem::Excel1900)),
            Reading::Serial {
                serial: 46000.0,
                date: date(2025, 12, 9)
            }
        );
        assert_eq!(
            read(&Value::Number(44538.0), Some(DateSystem::Excel1904)),
            Reading::Serial {
                serial: 44538.0,
                date: date(2025, 12, 9)
            }
        );
        assert_eq!(
            read(&Value::Number(45000.75), None),
            Reading::Serial {
                serial: 45000.75,
                date: date(2023, 3, 15)
            }
        );
        assert_eq!(read(&Value::Number(3.0), None), Reading::NotADate);
        assert_eq!(
            text("46000"),
            Reading::Serial {
                serial: 46000.0,
                date: date(2025, 12, 9)
            }
        );
        assert_eq!(text("2026"), Reading::NotADate);
    }

    #[test]
    fn not_dates() {
        assert_eq!(text("soon"), Reading::NotADate);
        assert_eq!(text("TBD"), Reading::NotADate);
        assert_eq!(text("1/2"), Reading::NotADate);
        assert_eq!(read(&Value::Bool(true), None), Reading::NotADate);
        assert_eq!(text(""), Reading::Blank);
    }
}
