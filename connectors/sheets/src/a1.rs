//! A1 notation and date serial numbers, as Google Sheets spells them. Shared by the connector
//! and the emulator so both read and write ranges the same way.

use jiff::civil::Date;

/// `0 → A`, `25 → Z`, `26 → AA`.
pub fn column_letters(mut index: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// `A → 0`, `AA → 26`; `None` for anything else.
pub fn column_index(letters: &str) -> Option<u32> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut n: u32 = 0;
    for c in letters.chars() {
        let c = c.to_ascii_uppercase();
        if !c.is_ascii_uppercase() {
            return None;
        }
        n = n * 26 + (c as u32 - 'A' as u32 + 1);
    }
    Some(n - 1)
}

/// A tab name as it appears in a range: quoted (`'My tab'!A1`, with `'` doubled) unless it is
/// a plain word, as Google writes it back (`Sheet1!A1:D2`, `'🌵 tab'!A1:A10`).
pub fn quote_title(title: &str) -> String {
    let plain = !title.is_empty()
        && title.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !title.chars().next().is_some_and(|c| c.is_ascii_digit())
        && !looks_like_cell(title);
    if plain {
        title.to_owned()
    } else {
        format!("'{}'", title.replace('\'', "''"))
    }
}

/// A tab name always quoted, as requests spell it so no name is read as a cell (`'Tab'`).
pub fn quoted(title: &str) -> String {
    format!("'{}'", title.replace('\'', "''"))
}

/// `R1C1`, `A1`, `XFD12`: names a spreadsheet would read as a cell.
fn looks_like_cell(s: &str) -> bool {
    let letters = s.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    let rest = &s[letters..];
    (1..=3).contains(&letters) && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
        || (s.starts_with(['R', 'r']) && s.contains(['C', 'c']))
}

/// A rectangle of a tab, 0-based, end exclusive; `None` means open on that side (`A:A` has no
/// row bounds, `2:2` no column bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds {
    /// The first row.
    pub start_row: Option<u32>,
    /// The row after the last.
    pub end_row: Option<u32>,
    /// The first column.
    pub start_col: Option<u32>,
    /// The column after the last.
    pub end_col: Option<u32>,
}

/// A parsed A1 range: the tab (if named) and the cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A1 {
    /// The tab, when the range names one.
    pub sheet: Option<String>,
    /// The cells.
    pub bounds: Bounds,
}

/// Why a range cannot be read, in Google's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A1Error(pub String);

impl A1 {
    /// Parse `'Tab name'!A1:B2`, `Tab!A:A`, `Tab!2:5`, `Tab!A2:Z`, `A1`, or a bare tab name.
    pub fn parse(range: &str) -> Result<A1, A1Error> {
        let bad = || A1Error(format!("Unable to parse range: {range}"));
        let range = range.trim();
        if range.is_empty() {
            return Err(bad());
        }
        let (sheet, cells) = if let Some(rest) = range.strip_prefix('\'') {
            // Quoted name: '' is a quote inside it.
            let mut name = String::new();
            let mut chars = rest.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().map(|(_, c)| *c) == Some('\'') {
                        name.push('\'');
                        chars.next();
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    name.push(c);
                }
            }
            let end = end.ok_or_else(bad)?;
            let after = &rest[end..];
            match after.strip_prefix('!') {
                Some(cells) => (Some(name), Some(cells)),
                None if after.is_empty() => (Some(name), None),
                None => return Err(bad()),
            }
        } else if let Some((name, cells)) = range.rsplit_once('!') {
            (Some(name.to_owned()), Some(cells))
        } else if parse_cells(range).is_some() && !range.chars().all(|c| c.is_ascii_digit()) {
            (None, Some(range))
        } else {
            (Some(range.to_owned()), None)
        };
        let bounds = match cells {
            None => Bounds::default(),
            Some(cells) => parse_cells(cells).ok_or_else(bad)?,
        };
        Ok(A1 { sheet, bounds })
    }

    /// `'Tab'!A1:D2` for a rectangle with every side known.
    pub fn format(
        sheet: &str,
        start_row: u32,
        start_col: u32,
        end_row: u32,
        end_col: u32,
    ) -> String {
        let start = format!("{}{}", column_letters(start_col), start_row + 1);
        let end = format!("{}{}", column_letters(end_col - 1), end_row);
        let title = quote_title(sheet);
        if start_row + 1 == end_row && start_col + 1 == end_col {
            format!("{title}!{start}")
        } else {
            format!("{title}!{start}:{end}")
        }
    }
}

/// `A1`, `A1:B2`, `A:A`, `2:5`, `A2:Z` → bounds.
fn parse_cells(cells: &str) -> Option<Bounds> {
    let (a, b) = match cells.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (cells, None),
    };
    let (ac, ar) = split_ref(a)?;
    if ac.is_none() && ar.is_none() {
        return None;
    }
    let Some(b) = b else {
        // A single reference: one cell (or a whole column / row).
        return Some(Bounds {
            start_row: ar,
            end_row: ar.map(|r| r + 1),
            start_col: ac,
            end_col: ac.map(|c| c + 1),
        });
    };
    let (bc, br) = split_ref(b)?;
    if bc.is_none() && br.is_none() {
        return None;
    }
    let (start_row, end_row) = match (ar, br) {
        (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y) + 1)),
        (Some(x), None) => (Some(x), None),
        (None, Some(y)) if ac.is_some() => (None, Some(y + 1)),
        (None, Some(y)) => (Some(y), Some(y + 1)),
        (None, None) => (None, None),
    };
    let (start_col, end_col) = match (ac, bc) {
        (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y) + 1)),
        (Some(x), None) => (Some(x), None),
        (None, Some(y)) => (None, Some(y + 1)),
        (None, None) => (None, None),
    };
    Some(Bounds {
        start_row,
        end_row,
        start_col,
        end_col,
    })
}

/// `B12` → (1, 11); `B` → (1, none); `12` → (none, 11). `$` anchors are ignored.
fn split_ref(r: &str) -> Option<(Option<u32>, Option<u32>)> {
    let r = r.replace('$', "");
    let letters: String = r.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits = &r[letters.len()..];
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let col = if letters.is_empty() {
        None
    } else {
        Some(column_index(&letters)?)
    };
    let row = if digits.is_empty() {
        None
    } else {
        let n: u32 = digits.parse().ok()?;
        if n == 0 {
            return None;
        }
        Some(n - 1)
    };
    Some((col, row))
}

/// Day 0 of Google Sheets' (and Excel's 1900) date serial numbers.
const EPOCH: Date = Date::constant(1899, 12, 30);

/// A civil date as a serial number (`2020-01-01` → 43831).
pub fn date_to_serial(date: Date) -> i64 {
    EPOCH.until(date).map(|s| s.get_days() as i64).unwrap_or(0)
}

/// A serial number as a civil date; the fraction (time of day) is dropped.
pub fn serial_to_date(serial: f64) -> Option<Date> {
    if !serial.is_finite() || !(-693_593.0..=2_958_466.0).contains(&serial) {
        return None;
    }
    EPOCH
        .checked_add(jiff::Span::new().days(serial.floor() as i64))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip() {
        for (i, s) in [
            (0, "A"),
            (25, "Z"),
            (26, "AA"),
            (51, "AZ"),
            (701, "ZZ"),
            (702, "AAA"),
        ] {
            assert_eq!(column_letters(i), s);
            assert_eq!(column_index(s), Some(i));
        }
        assert_eq!(column_index("a"), Some(0));
        assert_eq!(column_index("A1"), None);
    }

    #[test]
    fn ranges_parse_as_google_writes_them() {
        let a = A1::parse("'Sheet1'!A1:D2").unwrap();
        assert_eq!(a.sheet.as_deref(), Some("Sheet1"));
        assert_eq!(
            a.bounds,
            Bounds {
                start_row: Some(0),
                end_row: Some(2),
                start_col: Some(0),
                end_col: Some(4)
            }
        );
        let a = A1::parse("🌵 test_values_batch_get 1!A:A").unwrap();
        assert_eq!(a.sheet.as_deref(), Some("🌵 test_values_batch_get 1"));
        assert_eq!(a.bounds.start_col, Some(0));
        assert_eq!(a.bounds.start_row, None);
        let a = A1::parse("'It''s mine'").unwrap();
        assert_eq!(a.sheet.as_deref(), Some("It's mine"));
        assert_eq!(a.bounds, Bounds::default());
        let a = A1::parse("Sheet1!A1:1").unwrap();
        assert_eq!(a.bounds.end_row, Some(1));
        assert_eq!(a.bounds.end_col, None);
        let a = A1::parse("B3").unwrap();
        assert_eq!(a.sheet, None);
        assert_eq!(a.bounds.start_row, Some(2));
        let a = A1::parse("משימות!A2:J").unwrap();
        assert_eq!(a.sheet.as_deref(), Some("משימות"));
        assert_eq!(a.bounds.end_row, None);
        assert_eq!(a.bounds.end_col, Some(10));
        assert!(A1::parse("'unterminated!A1").is_err());
        assert!(A1::parse("Sheet1!A0").is_err());
    }

    #[test]
    fn titles_are_quoted_when_google_quotes_them() {
        assert_eq!(quote_title("Sheet1"), "Sheet1");
        assert_eq!(quote_title("My tab"), "'My tab'");
        assert_eq!(quote_title("It's"), "'It''s'");
        assert_eq!(quote_title("משימות"), "'משימות'");
        assert_eq!(quote_title("A1"), "'A1'");
        assert_eq!(A1::format("Sheet1", 0, 0, 2, 4), "Sheet1!A1:D2");
        assert_eq!(A1::format("My tab", 4, 2, 5, 3), "'My tab'!C5");
    }

    #[test]
    fn serial_numbers_match_google() {
        // From the recorded values.get with dateTimeRenderOption=SERIAL_NUMBER.
        assert_eq!(date_to_serial(Date::constant(2020, 1, 1)), 43831);
        assert_eq!(date_to_serial(Date::constant(1999, 1, 2)), 36162);
        assert_eq!(serial_to_date(43831.0), Some(Date::constant(2020, 1, 1)));
        assert_eq!(serial_to_date(46366.75), Some(Date::constant(2026, 12, 10)));
        assert_eq!(serial_to_date(60.0), Some(Date::constant(1900, 2, 28)));
        for d in [
            Date::constant(2024, 2, 29),
            Date::constant(2100, 3, 1),
            Date::constant(1900, 1, 1),
        ] {
            assert_eq!(serial_to_date(date_to_serial(d) as f64), Some(d));
        }
        assert_eq!(serial_to_date(f64::NAN), None);
    }
}
