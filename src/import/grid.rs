//! One sheet as the importer sees it, whatever file it came from: cell values at their real
//! positions, plus the layout facts that change how rows are read (merged cells, hidden rows
//! and columns, right-to-left).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use jiff::civil::Date;

/// What an uncalculated formula shows in place of its value.
pub const UNCALCULATED: &str = "a formula whose result was never saved (the program that wrote the \
     file does not calculate); open the file in Excel or LibreOffice, save it, and import it again";

/// A cell's value. Text is kept as written; trimming happens where it is read.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    /// A cell the workbook itself marks as a date (the 1900/1904 system already applied).
    Date(Date),
    Bool(bool),
    /// An error value such as `#REF!` (a formula's cached result).
    Error(String),
}

impl Value {
    /// Empty, or text that is only white space (including no-break spaces and direction marks).
    pub fn is_blank(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(t) => clean(t).is_empty(),
            _ => false,
        }
    }

    /// The value as a person reads it in the cell, trimmed. `None` when blank.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Empty => None,
            Value::Text(t) => {
                let t = clean(t);
                (!t.is_empty()).then(|| t.to_string())
            }
            Value::Number(n) => Some(format_number(*n)),
            Value::Date(d) => Some(d.to_string()),
            Value::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
            Value::Error(e) => Some(e.clone()),
        }
    }
}

/// Trims white space and the invisible direction marks right-to-left sheets often carry.
pub fn clean(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || is_direction_mark(c))
}

pub fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `3.0` → `3`, `2.5` → `2.5`: what a spreadsheet shows for a general-format number.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A rectangle of merged cells, absolute 0-based positions, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    pub first_row: u32,
    pub first_col: u32,
    pub last_row: u32,
    pub last_col: u32,
}

/// How a workbook counts serial dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSystem {
    /// Day 1 = 1900-01-01, with Excel's fictitious 1900-02-29 as day 60.
    Excel1900,
    /// Day 0 = 1904-01-01 (old Mac workbooks).
    Excel1904,
}

/// One sheet, read.
#[derive(Debug, Clone)]
pub struct Grid {
    /// The sheet name, or the file name for a CSV file: the part before `!` in cell references.
    pub label: String,
    /// Absolute position of `rows[0][0]`.
    origin: (u32, u32),
    width: usize,
    rows: Vec<Vec<Value>>,
    pub merges: Vec<Merge>,
    pub hidden_rows: BTreeSet<u32>,
    pub hidden_cols: BTreeSet<u32>,
    pub right_to_left: bool,
    /// Rows the sheet groups under others (Excel's outline level, 1 = one level in).
    pub outline_levels: BTreeMap<u32, u8>,
    /// Cells formatted with an indent (Excel's alignment indent), by (row, col).
    pub indents: HashMap<(u32, u32), u8>,
    /// `None` for text files, which have no serial dates of their own.
    pub date_system: Option<DateSystem>,
    /// What this reader cannot see in this format, said once in the report.
    pub limits: Vec<String>,
    /// Work nested under a row in a tool's export (a Trello card's checklist items, an Asana
    /// task's subtasks), by the row's absolute number: a tracker makes them its checklist.
    pub steps: HashMap<u32, Vec<Step>>,
    /// Rows that are themselves such work (an Asana subtask's row): not rows of their own.
    pub step_rows: HashSet<u32>,
}

/// One piece of nested work: its text, and whether the export marks it done.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub text: String,
    pub done: bool,
}

static EMPTY: Value = Value::Empty;

impl Grid {
    pub fn new(label: impl Into<String>, origin: (u32, u32), rows: Vec<Vec<Value>>) -> Self {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        Grid {
            label: label.into(),
            origin,
            width,
            rows,
            merges: Vec::new(),
            hidden_rows: BTreeSet::new(),
            hidden_cols: BTreeSet::new(),
            right_to_left: false,
            outline_levels: BTreeMap::new(),
            indents: HashMap::new(),
            date_system: None,
            limits: Vec::new(),
            steps: HashMap::new(),
            step_rows: HashSet::new(),
        }
    }

    /// The absolute row numbers (0-based) that hold data, top to bottom.
    pub fn row_range(&self) -> std::ops::Range<u32> {
        self.origin.0..self.origin.0 + self.rows.len() as u32
    }

    /// The absolute column numbers (0-based) that hold data, left to right.
    pub fn col_range(&self) -> std::ops::Range<u32> {
        self.origin.1..self.origin.1 + self.width as u32
    }

    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|r| r.iter().all(Value::is_blank))
    }

    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// The value at an absolute position; `Empty` outside the data.
    pub fn get(&self, row: u32, col: u32) -> &Value {
        let (Some(r), Some(c)) = (
            row.checked_sub(self.origin.0),
            col.checked_sub(self.origin.1),
        ) else {
            return &EMPTY;
        };
        self.rows
            .get(r as usize)
            .and_then(|cells| cells.get(c as usize))
            .unwrap_or(&EMPTY)
    }

    /// Replace a cell's value; positions above or left of the data are ignored.
    pub fn set(&mut self, row: u32, col: u32, value: Value) {
        let (Some(r), Some(c)) = (
            row.checked_sub(self.origin.0),
            col.checked_sub(self.origin.1),
        ) else {
            return;
        };
        let (r, c) = (r as usize, c as usize);
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        let cells = &mut self.rows[r];
        if cells.len() <= c {
            cells.resize(c + 1, Value::Empty);
        }
        cells[c] = value;
        self.width = self.width.max(c + 1);
    }

    /// `Sheet!B12` for an absolute 0-based position.
    pub fn cell_ref(&self, row: u32, col: u32) -> CellRef {
        CellRef {
            sheet: self.label.clone(),
            row,
            col: Some(col),
        }
    }

    /// `Sheet!12` style reference to a whole row, for rows that are skipped as a whole.
    pub fn row_ref(&self, row: u32) -> CellRef {
        CellRef {
            sheet: self.label.clone(),
            row,
            col: None,
        }
    }

    /// The merged area this cell belongs to, if any.
    pub fn merge_at(&self, row: u32, col: u32) -> Option<&Merge> {
        self.merges.iter().find(|m| {
            (m.first_row..=m.last_row).contains(&row) && (m.first_col..=m.last_col).contains(&col)
        })
    }
}

/// A grid of text cells ("" is an empty cell), for tests.
#[cfg(test)]
pub fn text_grid(label: &str, rows: &[&[&str]]) -> Grid {
    let cell = |s: &&str| {
        if s.is_empty() {
            Value::Empty
        } else {
            Value::Text(s.to_string())
        }
    };
    Grid::new(
        label,
        (0, 0),
        rows.iter().map(|r| r.iter().map(cell).collect()).collect(),
    )
}

/// A place in the sheet, shown the way Excel writes references: `Calendar!C7`,
/// `'Content plan'!C7`, or for a whole row `Calendar!7:7`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellRef {
    pub sheet: String,
    /// 0-based.
    pub row: u32,
    /// 0-based; `None` = the whole row.
    pub col: Option<u32>,
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = !self.sheet.is_empty()
            && self
                .sheet
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
            && !self.sheet.starts_with(|c: char| c.is_ascii_digit());
        if plain {
            write!(f, "{}!", self.sheet)?;
        } else {
            write!(f, "'{}'!", self.sheet.replace('\'', "''"))?;
        }
        match self.col {
            Some(c) => write!(f, "{}{}", column_name(c), self.row + 1),
            None => write!(f, "{}:{}", self.row + 1, self.row + 1),
        }
    }
}

/// 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_name(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// `C` → 2, `aa` → 26. `None` unless the text is 1–3 Latin letters.
pub fn parse_column_name(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() || t.len() > 3 || !t.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut n: u32 = 0;
    for c in t.chars() {
        n = n * 26 + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1);
    }
    Some(n - 1)
}

/// `A1:C3` → a merge; `None` if malformed.
pub fn parse_area(text: &str) -> Option<Merge> {
    let (a, b) = text.split_once(':').unwrap_or((text, text));
    let (r1, c1) = parse_cell(a)?;
    let (r2, c2) = parse_cell(b)?;
    Some(Merge {
        first_row: r1.min(r2),
        first_col: c1.min(c2),
        last_row: r1.max(r2),
        last_col: c1.max(c2),
    })
}

/// `B12` → (11, 1).
pub fn parse_cell(text: &str) -> Option<(u32, u32)> {
    let t = text.trim().trim_start_matches('$');
    let split = t.find(|c: char| c.is_ascii_digit())?;
    let col = parse_column_name(t[..split].trim_end_matches('$'))?;
    let row: u32 = t[split..].parse().ok()?;
    Some((row.checked_sub(1)?, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_round_trip() {
        for (n, name) in [
            (0, "A"),
            (1, "B"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (701, "ZZ"),
            (702, "AAA"),
        ] {
            assert_eq!(column_name(n), name);
            assert_eq!(parse_column_name(name), Some(n));
        }
        assert_eq!(parse_column_name("Title"), None);
        assert_eq!(parse_column_name("c"), Some(2));
    }

    #[test]
    fn references_quote_sheet_names_like_excel() {
        let r = CellRef {
            sheet: "Calendar".into(),
            row: 11,
            col: Some(1),
        };
        assert_eq!(r.to_string(), "Calendar!B12");
        let r = CellRef {
            sheet: "Content plan".into(),
            row: 0,
            col: Some(2),
        };
        assert_eq!(r.to_string(), "'Content plan'!C1");
        let r = CellRef {
            sheet: "לוח".into(),
            row: 6,
            col: None,
        };
        assert_eq!(r.to_string(), "לוח!7:7");
        let r = CellRef {
            sheet: "plan.csv".into(),
            row: 3,
            col: Some(0),
        };
        assert_eq!(r.to_string(), "plan.csv!A4");
    }

    #[test]
    fn areas_parse() {
        assert_eq!(
            parse_area("A2:A5"),
            Some(Merge {
                first_row: 1,
                first_col: 0,
                last_row: 4,
                last_col: 0
            })
        );
        assert_eq!(
            parse_area("$B$3"),
            Some(Merge {
                first_row: 2,
                first_col: 1,
                last_row: 2,
                last_col: 1
            })
        );
        assert_eq!(parse_area("nonsense"), None);
    }

    #[test]
    fn blank_text_includes_direction_marks() {
        assert!(Value::Text(" \u{200F}\u{00A0} ".into()).is_blank());
        assert_eq!(
            Value::Text("  שלום\u{200F} ".into()).text().as_deref(),
            Some("שלום")
        );
        assert_eq!(Value::Number(3.0).text().as_deref(), Some("3"));
    }
}
