//! What a column holds, judged from its cells rather than its title: dates, people, short
//! labels, long text, numbers, links, status words, durations. The layout of the sheet (a
//! content calendar, a checklist, a task tracker) is decided from these profiles together with
//! the titles ([`super::detect`]).

use std::collections::HashSet;

use super::dates::{self, Reading};
use super::duration;
use super::grid::{Grid, Value, clean};
use super::status;

/// Data rows looked at per column: enough to see what a column holds, cheap on 100,000 rows.
pub const SAMPLE_ROWS: u32 = 400;

/// Counts over the sampled, non-blank cells of one column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Profile {
    pub filled: u32,
    pub dates: u32,
    pub emails: u32,
    /// One to three words, each capitalised (or Hebrew), no digits: "Dana Levi".
    pub names: u32,
    /// Short text (up to three words).
    pub short: u32,
    /// Text of more than 40 characters or six words.
    pub long: u32,
    pub numbers: u32,
    pub links: u32,
    pub statuses: u32,
    /// "3 days", "2w", "1-2 weeks".
    pub durations: u32,
    /// Short tokens without spaces that hold a digit or are upper case: "T-12", "POST-001".
    pub id_like: u32,
    pub distinct: u32,
    /// Cells whose text starts with spaces (an indented sub-task).
    pub indented: u32,
}

impl Profile {
    /// Share of the filled cells with `n` of something, in percent.
    pub fn pct(&self, n: u32) -> u32 {
        (n * 100).checked_div(self.filled).unwrap_or(0)
    }

    /// Every filled cell differs from the others.
    pub fn unique(&self) -> bool {
        self.filled > 0 && self.distinct == self.filled
    }

    /// A word for what most cells hold, for the report.
    pub fn describe(&self) -> &'static str {
        let kinds = [
            (self.dates, "dates"),
            (self.emails, "e-mail addresses"),
            (self.links, "links"),
            (self.statuses, "status words"),
            (self.durations, "durations"),
            (self.numbers, "numbers"),
            (self.long, "long text"),
            (self.names, "names"),
            (self.short, "short labels"),
        ];
        kinds
            .iter()
            .find(|(n, _)| self.pct(*n) >= 60)
            .map(|(_, w)| *w)
            .unwrap_or(if self.filled == 0 { "nothing" } else { "text" })
    }
}

pub fn is_email(t: &str) -> bool {
    let t = t.trim();
    // "Dana Levi <dana@example.com>" too.
    let addr = match (t.find('<'), t.rfind('>')) {
        (Some(a), Some(b)) if a < b => &t[a + 1..b],
        _ => t,
    };
    match addr.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !addr.contains(char::is_whitespace)
                && !domain.starts_with('.')
        }
        None => false,
    }
}

pub fn is_link(t: &str) -> bool {
    let l = t.trim().to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("www.")
}

fn is_name(t: &str) -> bool {
    let words: Vec<&str> = t.split_whitespace().collect();
    (1..=3).contains(&words.len())
        && t.chars().count() <= 30
        && !t.chars().any(|c| c.is_ascii_digit())
        && words.iter().all(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || ('\u{05D0}'..='\u{05EA}').contains(&c))
        })
}

fn is_id_like(t: &str) -> bool {
    let n = t.chars().count();
    (1..=24).contains(&n)
        && !t.contains(char::is_whitespace)
        && !is_link(t)
        && (t.chars().any(|c| c.is_ascii_digit())
            || t.chars()
                .all(|c| c.is_ascii_uppercase() || c == '-' || c == '_'))
}

/// The profile of column `col` over the first [`SAMPLE_ROWS`] rows below `header_row`.
pub fn profile(grid: &Grid, header_row: u32, col: u32) -> Profile {
    profile_rows(grid, header_row, col, SAMPLE_ROWS)
}

pub fn profile_rows(grid: &Grid, header_row: u32, col: u32, limit: u32) -> Profile {
    let mut p = Profile::default();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut numbers_seen: HashSet<u64> = HashSet::new();
    let rows = grid.row_range();
    let end = rows
        .end
        .min(header_row.saturating_add(1).saturating_add(limit));
    for row in header_row + 1..end {
        let v = grid.get(row, col);
        if v.is_blank() {
            continue;
        }
        p.filled += 1;
        match v {
            Value::Date(_) => {
                p.dates += 1;
                p.distinct += 1;
            }
            Value::Number(n) => {
                p.numbers += 1;
                if numbers_seen.insert(n.to_bits()) {
                    p.distinct += 1;
                }
                if n.fract() == 0.0 && *n >= 0.0 {
                    p.id_like += 1;
                }
            }
            Value::Bool(_) => p.statuses += 1,
            Value::Text(raw) => {
                let t = clean(raw);
                if seen.insert(t) {
                    p.distinct += 1;
                }
                if raw.starts_with("  ") || raw.starts_with('\t') {
                    p.indented += 1;
                }
                let words = t.split_whitespace().count();
                if is_link(t) {
                    p.links += 1;
                } else if is_email(t) {
                    p.emails += 1;
                } else if matches!(
                    dates::read(v, None),
                    Reading::Date(_) | Reading::Numeric { .. }
                ) {
                    p.dates += 1;
                } else if status::read(t).is_some() {
                    p.statuses += 1;
                } else if duration::read_text(t, None).is_ok_and(|d| d.unit_given) {
                    p.durations += 1;
                } else if t.parse::<f64>().is_ok() {
                    p.numbers += 1;
                }
                if is_name(t) {
                    p.names += 1;
                }
                if words <= 3 && t.chars().count() <= 30 {
                    p.short += 1;
                }
                if t.chars().count() > 40 || words > 6 {
                    p.long += 1;
                }
                if is_id_like(t) {
                    p.id_like += 1;
                }
            }
            Value::Error(_) | Value::Empty => {}
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(cells: &[&str]) -> Profile {
        let mut rows = vec![vec![Value::Text("Header".into())]];
        rows.extend(cells.iter().map(|c| vec![Value::Text(c.to_string())]));
        profile(&Grid::new("S", (0, 0), rows), 0, 0)
    }

    #[test]
    fn what_cells_hold() {
        let p = column(&[
            "dana@example.com",
            "Noa <noa@example.com>",
            "yossi@example.co.il",
        ]);
        assert_eq!((p.filled, p.emails), (3, 3));
        assert_eq!(p.describe(), "e-mail addresses");
        let p = column(&["https://example.com/a", "www.example.com/b"]);
        assert_eq!(p.links, 2);
        assert_eq!(p.id_like, 0, "a link is not an id");
        let p = column(&["Dana Levi", "Noa", "יוסי כהן", "Dana Levi"]);
        assert_eq!((p.names, p.distinct), (4, 3));
        assert!(!p.unique());
        let p = column(&["T-1", "T-2", "POST-3"]);
        assert!(p.unique() && p.id_like == 3);
        let p = column(&["Done", "in progress", "בוצע", "לא התחיל"]);
        assert_eq!(p.statuses, 4);
        let p = column(&["2026-03-04", "04/05/2026"]);
        assert_eq!(p.dates, 2);
        let p = column(&["3 days", "2w", "1-2 weeks", "3"]);
        assert_eq!((p.durations, p.numbers), (3, 1));
        let p = column(&[
            "A long caption that tells the whole story of the post in many words",
            "  an indented sub-task",
        ]);
        assert_eq!((p.long, p.indented), (1, 1));
    }
}
