//! How long a piece of work takes, as sheets write it: `3`, `3 days`, `2w`, `1.5 weeks`,
//! `2-3 days`, `יומיים`, `3 שבועות`, a number under a "Duration (weeks)" title. Everything
//! becomes whole business days (a week is 5, a month 20, a working day 8 hours); 0 is a
//! milestone.

use super::columns::{normalize, parenthesised};
use super::grid::Value;

/// A unit of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Hours,
    Days,
    Weeks,
    Months,
}

impl Unit {
    fn business_days(self) -> f64 {
        match self {
            Unit::Hours => 1.0 / 8.0,
            Unit::Days => 1.0,
            Unit::Weeks => 5.0,
            Unit::Months => 20.0,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Unit::Hours => "hours",
            Unit::Days => "days",
            Unit::Weeks => "weeks",
            Unit::Months => "months",
        }
    }
}

/// Unit words, normalised.
const UNITS: &[(&str, Unit)] = &[
    ("h", Unit::Hours),
    ("hr", Unit::Hours),
    ("hrs", Unit::Hours),
    ("hour", Unit::Hours),
    ("hours", Unit::Hours),
    ("שעה", Unit::Hours),
    ("שעות", Unit::Hours),
    ("d", Unit::Days),
    ("day", Unit::Days),
    ("days", Unit::Days),
    ("bd", Unit::Days),
    ("business day", Unit::Days),
    ("business days", Unit::Days),
    ("work days", Unit::Days),
    ("working days", Unit::Days),
    ("יום", Unit::Days),
    ("ימים", Unit::Days),
    ("ימי עבודה", Unit::Days),
    ("w", Unit::Weeks),
    ("wk", Unit::Weeks),
    ("wks", Unit::Weeks),
    ("week", Unit::Weeks),
    ("weeks", Unit::Weeks),
    ("שבוע", Unit::Weeks),
    ("שבועות", Unit::Weeks),
    ("m", Unit::Months),
    ("mo", Unit::Months),
    ("month", Unit::Months),
    ("months", Unit::Months),
    ("חודש", Unit::Months),
    ("חודשים", Unit::Months),
];

/// Whole words that are a duration by themselves.
const WORDS: &[(&str, f64, Unit)] = &[
    ("milestone", 0.0, Unit::Days),
    ("אבן דרך", 0.0, Unit::Days),
    ("a day", 1.0, Unit::Days),
    ("one day", 1.0, Unit::Days),
    ("two days", 2.0, Unit::Days),
    ("a week", 1.0, Unit::Weeks),
    ("one week", 1.0, Unit::Weeks),
    ("two weeks", 2.0, Unit::Weeks),
    ("a month", 1.0, Unit::Months),
    ("יום", 1.0, Unit::Days),
    ("יום אחד", 1.0, Unit::Days),
    ("יומיים", 2.0, Unit::Days),
    ("שבוע", 1.0, Unit::Weeks),
    ("שבועיים", 2.0, Unit::Weeks),
    ("חודש", 1.0, Unit::Months),
    ("חודשיים", 2.0, Unit::Months),
];

fn unit_word(text: &str) -> Option<Unit> {
    let n = normalize(text);
    UNITS.iter().find(|(w, _)| *w == n).map(|(_, u)| *u)
}

/// The unit a column title names: `Duration (weeks)`, `Weeks`, `שבועות`, `Effort (hrs)`.
pub fn header_unit(title: &str) -> Option<Unit> {
    if let Some(inner) = parenthesised(title)
        && let Some(u) = unit_word(&inner)
    {
        return Some(u);
    }
    let n = normalize(title);
    n.split(' ').rev().find_map(unit_word)
}

/// A duration in business days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration {
    pub days: u32,
    /// The cell itself named a unit ("3 days", "2w"): a sign the column holds durations.
    pub unit_given: bool,
    /// What was assumed (a range's upper bound, a fraction rounded up), for the report.
    pub note: Option<String>,
}

/// The most business days one piece of work may take: two years.
const MAX_DAYS: f64 = 520.0;

/// A text duration; `default` is the unit for a bare number (the column's, else days).
pub fn read_text(text: &str, default: Option<Unit>) -> Result<Duration, String> {
    let shown = text.trim();
    let bad = |why: &str| {
        Err(format!(
            "\"{shown}\" {why}; write a duration such as 3, 3 days, 2w or 2 weeks (0 for a \
             milestone)"
        ))
    };
    // Normalising turns "-" into a space: ranges are found first.
    let lower = shown.to_lowercase();
    let n = normalize(shown);
    if let Some((_, amount, unit)) = WORDS.iter().find(|(w, ..)| *w == n) {
        return finish(*amount, *unit, true, None, shown);
    }
    // The number (or range) at the front, the unit after it.
    let number_end = lower
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '–' | ' ')))
        .map(|(i, _)| i)
        .unwrap_or(lower.len());
    let (number, rest) = lower.split_at(number_end);
    let (number, rest) = (number.trim(), rest.trim());
    let (number, rest) = match rest
        .strip_prefix("to ")
        .or_else(|| rest.strip_prefix("עד "))
    {
        // "2 to 3 days".
        Some(after) => {
            let end = after
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(after.len());
            (
                format!("{number}-{}", &after[..end]),
                after[end..].trim().to_string(),
            )
        }
        None => (number.to_string(), rest.to_string()),
    };
    if number.is_empty() {
        return bad("is not a duration");
    }
    let unit = if rest.is_empty() {
        None
    } else {
        match unit_word(&rest) {
            Some(u) => Some(u),
            None => return bad("is not a duration"),
        }
    };
    let parse = |s: &str| s.trim().replace(',', ".").parse::<f64>().ok();
    let parts: Vec<&str> = number
        .split(['-', '–'])
        .filter(|p| !p.trim().is_empty())
        .collect();
    let (amount, note) = match parts.as_slice() {
        [one] => match parse(one) {
            Some(a) => (a, None),
            None => return bad("is not a duration"),
        },
        [lo, hi] => match (parse(lo), parse(hi)) {
            (Some(lo), Some(hi)) if lo <= hi => (
                hi,
                Some(format!("\"{shown}\" is a range; the longer end was taken")),
            ),
            _ => return bad("is not a range from the shorter to the longer duration"),
        },
        _ => return bad("is not a duration"),
    };
    if number.starts_with('-') {
        return bad("is negative");
    }
    finish(
        amount,
        unit.or(default).unwrap_or(Unit::Days),
        unit.is_some(),
        note,
        shown,
    )
}

fn finish(
    amount: f64,
    unit: Unit,
    unit_given: bool,
    note: Option<String>,
    shown: &str,
) -> Result<Duration, String> {
    let exact = amount * unit.business_days();
    if !exact.is_finite() || exact > MAX_DAYS {
        return Err(format!(
            "\"{shown}\" is more than two years of business days; write a duration such as 3 days \
             or 2 weeks"
        ));
    }
    let days = exact.ceil();
    let note = if days != exact && note.is_none() {
        Some(format!(
            "\"{shown}\" is {exact} business days; rounded up to {days}"
        ))
    } else {
        note
    };
    Ok(Duration {
        days: days as u32,
        unit_given,
        note,
    })
}

/// A duration cell; `None` when blank.
pub fn read(value: &Value, default: Option<Unit>) -> Result<Option<Duration>, String> {
    match value {
        Value::Empty => Ok(None),
        Value::Number(n) if *n < 0.0 => Err(format!(
            "\"{}\" is negative; write a duration such as 3 (0 for a milestone)",
            super::grid::format_number(*n)
        )),
        Value::Number(n) => finish(
            *n,
            default.unwrap_or(Unit::Days),
            false,
            None,
            &super::grid::format_number(*n),
        )
        .map(Some),
        Value::Text(t) if t.trim().is_empty() => Ok(None),
        Value::Text(t) => read_text(t, default).map(Some),
        other => Err(format!(
            "\"{}\" is not a duration; write one such as 3, 3 days or 2 weeks",
            other.text().unwrap_or_default()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(text: &str, default: Option<Unit>) -> u32 {
        read_text(text, default)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .days
    }

    #[test]
    fn units_from_the_cell_or_the_title() {
        assert_eq!(days("3", None), 3);
        assert_eq!(days("3 days", None), 3);
        assert_eq!(days("3d", None), 3);
        assert_eq!(days("2w", None), 10);
        assert_eq!(days("2 weeks", None), 10);
        assert_eq!(days("1.5 weeks", None), 8, "7.5 rounded up");
        assert_eq!(days("2", Some(Unit::Weeks)), 10);
        assert_eq!(days("3 days", Some(Unit::Weeks)), 3, "the cell's unit wins");
        assert_eq!(days("16h", None), 2);
        assert_eq!(days("1 month", None), 20);
        assert_eq!(days("3 ימים", None), 3);
        assert_eq!(days("יומיים", None), 2);
        assert_eq!(days("שבועיים", None), 10);
        assert_eq!(days("2 שבועות", None), 10);
        assert_eq!(days("0", None), 0);
        assert_eq!(days("Milestone", None), 0);
        let r = read_text("2-3 days", None).unwrap();
        assert_eq!(r.days, 3);
        assert!(r.note.unwrap().contains("range"));
        assert_eq!(days("2–3 weeks", None), 15);
        assert_eq!(days("2 to 4 days", None), 4);
        assert!(read_text("3-2 days", None).is_err());
        assert!(read_text("soon", None).is_err());
        assert!(read_text("3 parsecs", None).is_err());
        assert!(read_text("-3", None).is_err());
        assert!(read_text("9999 weeks", None).is_err());
        assert_eq!(
            read(&Value::Number(2.0), Some(Unit::Weeks))
                .unwrap()
                .unwrap()
                .days,
            10
        );
        assert!(read(&Value::Number(-1.0), None).is_err());
    }

    #[test]
    fn units_named_by_titles() {
        assert_eq!(header_unit("Duration (weeks)"), Some(Unit::Weeks));
        assert_eq!(header_unit("Weeks"), Some(Unit::Weeks));
        assert_eq!(header_unit("משך (שבועות)"), Some(Unit::Weeks));
        assert_eq!(header_unit("ימים"), Some(Unit::Days));
        assert_eq!(header_unit("Effort (hrs)"), Some(Unit::Hours));
        assert_eq!(header_unit("Duration"), None);
        assert_eq!(header_unit("Business days"), Some(Unit::Days));
    }
}
