//! The emulator's spreadsheets: tabs of rows of cells (each cell kept in the API's own
//! `CellData` shape), developer metadata attached to rows so it moves with them, and the
//! value reading and writing rules of the Sheets API (input and render options, serial dates).

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Map, Value, json};

use super::formula;
use crate::a1::{self, A1, date_to_serial, serial_to_date};

/// One cell, as `CellData` (`userEnteredValue`, `userEnteredFormat`, `dataValidation`, `note`).
pub type Cell = Map<String, Value>;

/// An error answer in Google's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub status: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError {
            code: 400,
            status: "INVALID_ARGUMENT",
            message: message.into(),
            details: None,
        }
    }

    /// A 400 with `google.rpc.BadRequest` field violations, as for malformed bodies.
    pub fn bad_field(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError {
            code: 400,
            status: "INVALID_ARGUMENT",
            details: Some(json!([{
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}]
            }])),
            message,
        }
    }

    pub fn not_found() -> ApiError {
        ApiError {
            code: 404,
            status: "NOT_FOUND",
            message: "Requested entity was not found.".to_owned(),
            details: None,
        }
    }

    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message, "status": self.status});
        if let Some(d) = &self.details {
            error["details"] = d.clone();
        }
        json!({ "error": error })
    }
}

/// How a written value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Raw,
    UserEntered,
}

impl Input {
    pub fn parse(s: Option<&str>) -> Result<Input, ApiError> {
        match s {
            Some("RAW") => Ok(Input::Raw),
            Some("USER_ENTERED") => Ok(Input::UserEntered),
            Some(other) => Err(ApiError::invalid(format!(
                "Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), \"{other}\""
            ))),
            None => Err(ApiError::invalid(
                "'valueInputOption' is required but not specified",
            )),
        }
    }
}

/// How values are shown in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    /// `FORMATTED_VALUE` (the default): as the cell shows it, always a string (`TRUE`, `FALSE`).
    Formatted,
    /// `UNFORMATTED_VALUE`: numbers and booleans as JSON numbers and booleans.
    Unformatted,
    /// `FORMULA`: a formula's text instead of its result.
    Formula,
}

/// How dates are shown in an unformatted answer (`dateTimeRenderOption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRender {
    /// `SERIAL_NUMBER`: days since 1899-12-30, a number.
    Serial,
    /// `FORMATTED_STRING`: as the date's number format shows it.
    FormattedString,
}

/// What a cell holds once its formula (if any) is worked out.
#[derive(Debug, Clone, PartialEq)]
pub enum Eff {
    Empty,
    Number(f64),
    Text(String),
    Bool(bool),
    Error(String),
}

/// Where a developer metadata entry is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaLoc {
    Spreadsheet,
    Sheet(i32),
    /// A row of this sheet; which row is wherever the row is now.
    Row(i32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub id: i32,
    pub key: String,
    pub value: String,
    pub visibility: String,
    pub loc: MetaLoc,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// Developer metadata attached to this row.
    pub meta: Vec<i32>,
    pub props: Map<String, Value>,
}

impl Row {
    pub fn cell(&self, c: usize) -> Option<&Cell> {
        self.cells.get(c)
    }

    pub fn cell_mut(&mut self, c: usize) -> &mut Cell {
        if self.cells.len() <= c {
            self.cells.resize(c + 1, Map::new());
        }
        &mut self.cells[c]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub id: i32,
    pub title: String,
    pub hidden: bool,
    pub rtl: bool,
    pub col_count: u32,
    pub frozen_rows: u32,
    pub frozen_cols: u32,
    pub rows: Vec<Row>,
    pub columns: Vec<Map<String, Value>>,
    pub protected: Vec<Value>,
    pub conditional: Vec<Value>,
    pub merges: Vec<Value>,
}

impl Sheet {
    pub fn new(id: i32, title: &str, rows: u32, cols: u32) -> Sheet {
        Sheet {
            id,
            title: title.to_owned(),
            hidden: false,
            rtl: false,
            col_count: cols,
            frozen_rows: 0,
            frozen_cols: 0,
            rows: vec![Row::default(); rows as usize],
            columns: vec![Map::new(); cols as usize],
            protected: Vec::new(),
            conditional: Vec::new(),
            merges: Vec::new(),
        }
    }

    pub fn row_count(&self) -> u32 {
        self.rows.len() as u32
    }

    pub fn cell(&self, r: usize, c: usize) -> Option<&Cell> {
        self.rows.get(r).and_then(|row| row.cell(c))
    }

    pub fn properties(&self, index: usize) -> Value {
        let mut grid = json!({"rowCount": self.row_count(), "columnCount": self.col_count});
        if self.frozen_rows > 0 {
            grid["frozenRowCount"] = json!(self.frozen_rows);
        }
        if self.frozen_cols > 0 {
            grid["frozenColumnCount"] = json!(self.frozen_cols);
        }
        let mut p = json!({"sheetId": self.id, "title": self.title, "index": index,
                           "sheetType": "GRID", "gridProperties": grid});
        if self.hidden {
            p["hidden"] = json!(true);
        }
        if self.rtl {
            p["rightToLeft"] = json!(true);
        }
        p
    }
}

pub fn has_value(cell: &Cell) -> bool {
    match cell.get("userEnteredValue") {
        Some(Value::Object(v)) => match v.get("stringValue") {
            Some(Value::String(s)) => !s.is_empty(),
            _ => !v.is_empty(),
        },
        _ => false,
    }
}

/// A rectangle of one sheet, 0-based, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub sheet: usize,
    pub r0: usize,
    pub r1: usize,
    pub c0: usize,
    pub c1: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spreadsheet {
    pub id: String,
    pub title: String,
    pub locale: String,
    pub time_zone: String,
    pub sheets: Vec<Sheet>,
    pub meta: BTreeMap<i32, Meta>,
    pub version: u64,
    pub created: Timestamp,
    pub modified: Timestamp,
    pub next_protected_id: i64,
    /// Who may open it (`None`: anyone signed in).
    pub shared_with: Option<Vec<String>>,
}

impl Spreadsheet {
    pub fn new(id: &str, title: &str, now: Timestamp) -> Spreadsheet {
        Spreadsheet {
            id: id.to_owned(),
            title: title.to_owned(),
            locale: "en_US".to_owned(),
            time_zone: "Etc/GMT".to_owned(),
            sheets: vec![Sheet::new(0, "Sheet1", 1000, 26)],
            meta: BTreeMap::new(),
            version: 1,
            created: now,
            modified: now,
            next_protected_id: 1_000_000,
            shared_with: None,
        }
    }

    /// Something changed: Drive's version and modification time move.
    pub fn touch(&mut self, now: Timestamp) {
        self.version += 1;
        self.modified = now.max(self.modified);
    }

    pub fn sheet_index(&self, id: i32) -> Result<usize, ApiError> {
        self.sheets
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| ApiError::invalid(format!("No grid with id: {id}")))
    }

    pub fn sheet_by_title(&self, title: &str) -> Option<usize> {
        self.sheets.iter().position(|s| s.title == title)
    }

    /// Where a row's metadata is now: (sheet index, row index).
    pub fn meta_row(&self, id: i32) -> Option<(usize, usize)> {
        for (s, sheet) in self.sheets.iter().enumerate() {
            for (r, row) in sheet.rows.iter().enumerate() {
                if row.meta.contains(&id) {
                    return Some((s, r));
                }
            }
        }
        None
    }

    pub fn meta_json(&self, m: &Meta) -> Value {
        let location = match m.loc {
            MetaLoc::Spreadsheet => json!({"locationType": "SPREADSHEET", "spreadsheet": true}),
            MetaLoc::Sheet(id) => json!({"locationType": "SHEET", "sheetId": id}),
            MetaLoc::Row(sheet_id) => {
                let r = self.meta_row(m.id).map_or(0, |(_, r)| r);
                json!({"locationType": "ROW", "dimensionRange": {
                    "sheetId": sheet_id, "dimension": "ROWS", "startIndex": r, "endIndex": r + 1}})
            }
        };
        json!({"metadataId": m.id, "metadataKey": m.key, "metadataValue": m.value,
               "location": location, "visibility": m.visibility})
    }

    /// An A1 range, clipped to the grid.
    pub fn resolve(&self, range: &str) -> Result<Rect, ApiError> {
        let bad = || ApiError::invalid(format!("Unable to parse range: {range}"));
        // A bare name is a tab before it is a cell reference.
        let (sheet, bounds) = match self.sheet_by_title(range.trim()) {
            Some(s) => (s, a1::Bounds::default()),
            None => {
                let parsed = A1::parse(range).map_err(|_| bad())?;
                let s = match &parsed.sheet {
                    Some(t) => self.sheet_by_title(t).ok_or_else(bad)?,
                    None => 0,
                };
                (s, parsed.bounds)
            }
        };
        let sh = &self.sheets[sheet];
        let rows = sh.row_count() as usize;
        let cols = sh.col_count as usize;
        let r0 = bounds.start_row.map_or(0, |r| r as usize);
        let c0 = bounds.start_col.map_or(0, |c| c as usize);
        if r0 >= rows.max(1) && bounds.start_row.is_some()
            || c0 >= cols.max(1) && bounds.start_col.is_some()
        {
            return Err(ApiError::invalid(format!(
                "Range ({range}) exceeds grid limits. Max rows: {rows}, max columns: {cols}"
            )));
        }
        Ok(Rect {
            sheet,
            r0,
            r1: bounds.end_row.map_or(rows, |r| (r as usize).min(rows)),
            c0,
            c1: bounds.end_col.map_or(cols, |c| (c as usize).min(cols)),
        })
    }

    /// Like [`Spreadsheet::resolve`], but without clipping: for writes that may run past the
    /// range's end (a single starting cell, an open range).
    pub fn resolve_for_write(&self, range: &str) -> Result<(Rect, bool), ApiError> {
        let rect = self.resolve(range)?;
        let parsed = match self.sheet_by_title(range.trim()) {
            Some(_) => None,
            None => Some(A1::parse(range).map_err(|e| ApiError::invalid(e.0))?),
        };
        let single = parsed.as_ref().is_some_and(|p| {
            p.bounds
                .end_row
                .zip(p.bounds.start_row)
                .is_some_and(|(e, s)| e == s + 1)
                && p.bounds
                    .end_col
                    .zip(p.bounds.start_col)
                    .is_some_and(|(e, s)| e == s + 1)
        });
        Ok((rect, !single))
    }

    pub fn range_name(&self, rect: &Rect) -> String {
        let sheet = &self.sheets[rect.sheet];
        let r1 = rect.r1.max(rect.r0 + 1);
        let c1 = rect.c1.max(rect.c0 + 1);
        A1::format(
            &sheet.title,
            rect.r0 as u32,
            rect.c0 as u32,
            r1 as u32,
            c1 as u32,
        )
    }

    /// The value a cell shows, formula worked out.
    pub fn effective(&self, sheet: usize, r: usize, c: usize) -> Eff {
        self.effective_depth(sheet, r, c, 0)
    }

    fn effective_depth(&self, sheet: usize, r: usize, c: usize, depth: usize) -> Eff {
        let Some(cell) = self.sheets[sheet].cell(r, c) else {
            return Eff::Empty;
        };
        let Some(Value::Object(v)) = cell.get("userEnteredValue") else {
            return Eff::Empty;
        };
        if let Some(Value::String(f)) = v.get("formulaValue") {
            if depth > 50 {
                return Eff::Error("#REF!".to_owned());
            }
            return formula::evaluate(f, &|rr, cc| self.effective_depth(sheet, rr, cc, depth + 1));
        }
        user_value(v)
    }

    /// One cell as an answer shows it.
    pub fn render(
        &self,
        sheet: usize,
        r: usize,
        c: usize,
        render: Render,
        dates: DateRender,
    ) -> Value {
        let cell = self.sheets[sheet].cell(r, c);
        if render == Render::Formula
            && let Some(Value::String(f)) = cell
                .and_then(|c| c.get("userEnteredValue"))
                .and_then(|v| v.get("formulaValue"))
        {
            return Value::String(f.clone());
        }
        let pattern = cell.and_then(number_format);
        match self.effective(sheet, r, c) {
            Eff::Empty => Value::String(String::new()),
            Eff::Text(s) => Value::String(s),
            Eff::Error(e) => Value::String(e),
            Eff::Bool(b) => match render {
                Render::Formatted => Value::String(if b { "TRUE" } else { "FALSE" }.to_owned()),
                _ => Value::Bool(b),
            },
            Eff::Number(n) => {
                let is_date = pattern
                    .as_ref()
                    .is_some_and(|(t, _)| matches!(t.as_str(), "DATE" | "DATE_TIME" | "TIME"));
                match render {
                    Render::Formatted => Value::String(format_number(n, pattern.as_ref())),
                    _ if is_date && dates == DateRender::FormattedString => {
                        Value::String(format_number(n, pattern.as_ref()))
                    }
                    _ => number(n),
                }
            }
        }
    }

    /// A rectangle's values as `values.get` shows them: trailing empty rows and cells dropped.
    pub fn read(
        &self,
        rect: &Rect,
        render: Render,
        dates: DateRender,
        columns: bool,
    ) -> Vec<Vec<Value>> {
        let mut out: Vec<Vec<Value>> = Vec::new();
        let (outer, inner) = if columns {
            ((rect.c0, rect.c1), (rect.r0, rect.r1))
        } else {
            ((rect.r0, rect.r1), (rect.c0, rect.c1))
        };
        for i in outer.0..outer.1 {
            let mut line = Vec::new();
            let mut last = 0;
            for j in inner.0..inner.1 {
                let (r, c) = if columns { (j, i) } else { (i, j) };
                let v = self.render(rect.sheet, r, c, render, dates);
                if v != Value::String(String::new()) {
                    last = line.len() + 1;
                }
                line.push(v);
            }
            line.truncate(last);
            out.push(line);
        }
        while out.last().is_some_and(|l| l.is_empty()) {
            out.pop();
        }
        out
    }

    /// Write a block of values from the rectangle's top-left corner. `bounded`: the values must
    /// fit the rectangle. Null values leave their cell alone. Returns the written rectangle
    /// and how many cells were written.
    pub fn write(
        &mut self,
        rect: &Rect,
        bounded: bool,
        values: &[Vec<Value>],
        columns: bool,
        input: Input,
        range: &str,
    ) -> Result<(Rect, usize), ApiError> {
        let height = values.len();
        let width = values.iter().map(Vec::len).max().unwrap_or(0);
        let (rows, cols) = if columns {
            (width, height)
        } else {
            (height, width)
        };
        let sheet = &self.sheets[rect.sheet];
        if bounded && (rect.r0 + rows > rect.r1 || rect.c0 + cols > rect.c1) {
            let (r, c) = (rect.r0 + rows, rect.c0 + cols);
            let row_over = r > rect.r1;
            return Err(ApiError::invalid(format!(
                "Requested writing within range [{range}], but tried writing to {} [{}]",
                if row_over { "row" } else { "column" },
                if row_over {
                    r.to_string()
                } else {
                    a1::column_letters(c as u32 - 1)
                }
            )));
        }
        if rect.r0 + rows > sheet.row_count() as usize || rect.c0 + cols > sheet.col_count as usize
        {
            return Err(ApiError::invalid(format!(
                "Range ({range}) exceeds grid limits. Max rows: {}, max columns: {}",
                sheet.row_count(),
                sheet.col_count
            )));
        }
        let mut count = 0;
        for (i, line) in values.iter().enumerate() {
            for (j, v) in line.iter().enumerate() {
                if v.is_null() {
                    continue;
                }
                let (r, c) = if columns {
                    (rect.r0 + j, rect.c0 + i)
                } else {
                    (rect.r0 + i, rect.c0 + j)
                };
                let value = entered(v, input).map_err(|e| {
                    ApiError::bad_field(
                        &format!("data.values[{i}][{j}]"),
                        format!("Invalid values[{i}][{j}]: {e}"),
                    )
                })?;
                let cell = self.sheets[rect.sheet].rows[r].cell_mut(c);
                match value {
                    Entered::Clear => {
                        cell.remove("userEnteredValue");
                    }
                    Entered::Value(uv, format) => {
                        cell.insert("userEnteredValue".to_owned(), uv);
                        if let Some(format) = format {
                            let f = cell
                                .entry("userEnteredFormat")
                                .or_insert_with(|| Value::Object(Map::new()));
                            if f.get("numberFormat").is_none() {
                                f["numberFormat"] = format;
                            }
                        }
                    }
                }
                count += 1;
            }
        }
        Ok((
            Rect {
                sheet: rect.sheet,
                r0: rect.r0,
                r1: rect.r0 + rows,
                c0: rect.c0,
                c1: rect.c0 + cols,
            },
            count,
        ))
    }

    /// Clear the values of a rectangle (formats stay).
    pub fn clear(&mut self, rect: &Rect) {
        for r in rect.r0..rect.r1 {
            for c in rect.c0..rect.c1 {
                if let Some(cell) = self.sheets[rect.sheet].rows[r].cells.get_mut(c) {
                    cell.remove("userEnteredValue");
                }
            }
        }
    }
}

/// A plain `userEnteredValue` as what it shows.
fn user_value(v: &Map<String, Value>) -> Eff {
    if let Some(Value::String(s)) = v.get("stringValue") {
        return if s.is_empty() {
            Eff::Empty
        } else {
            Eff::Text(s.clone())
        };
    }
    if let Some(n) = v.get("numberValue").and_then(Value::as_f64) {
        return Eff::Number(n);
    }
    if let Some(Value::Bool(b)) = v.get("boolValue") {
        return Eff::Bool(*b);
    }
    Eff::Empty
}

/// A JSON number, whole numbers without a fraction (as Google answers `53`, not `53.0`).
pub fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

fn number_format(cell: &Cell) -> Option<(String, String)> {
    let f = cell.get("userEnteredFormat")?.get("numberFormat")?;
    Some((
        f.get("type")?.as_str()?.to_owned(),
        f.get("pattern")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    ))
}

/// A number as the cell's format shows it.
fn format_number(n: f64, format: Option<&(String, String)>) -> String {
    if let Some((kind, pattern)) = format
        && matches!(kind.as_str(), "DATE" | "DATE_TIME")
        && let Some(d) = serial_to_date(n)
    {
        let pattern = if pattern.is_empty() {
            "m/d/yyyy"
        } else {
            pattern
        };
        return format_date(d, pattern);
    }
    match number(n) {
        Value::Number(x) => x.to_string(),
        other => other.to_string(),
    }
}

/// The date parts of a Sheets pattern: `yyyy`, `yy`, `mmmm`, `mmm`, `mm`, `m`, `dd`, `d`.
pub fn format_date(d: Date, pattern: &str) -> String {
    const MONTHS: [&str; 12] = [
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
    let mut out = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].to_ascii_lowercase();
        let run = chars[i..]
            .iter()
            .take_while(|x| x.to_ascii_lowercase() == c)
            .count();
        match c {
            'y' => out.push_str(&if run <= 2 {
                format!("{:02}", d.year() % 100)
            } else {
                format!("{:04}", d.year())
            }),
            'm' => out.push_str(&match run {
                1 => d.month().to_string(),
                2 => format!("{:02}", d.month()),
                3 => MONTHS[d.month() as usize - 1][..3].to_owned(),
                _ => MONTHS[d.month() as usize - 1].to_owned(),
            }),
            'd' => out.push_str(&if run == 1 {
                d.day().to_string()
            } else {
                format!("{:02}", d.day())
            }),
            _ => {
                for _ in 0..run {
                    out.push(chars[i]);
                }
            }
        }
        i += run;
    }
    out
}

enum Entered {
    Clear,
    Value(Value, Option<Value>),
}

/// A written value as a `userEnteredValue` (and a number format when Sheets would pick one).
fn entered(v: &Value, input: Input) -> Result<Entered, String> {
    match v {
        Value::Bool(b) => Ok(Entered::Value(json!({"boolValue": b}), None)),
        Value::Number(n) => Ok(Entered::Value(
            json!({"numberValue": n.as_f64().unwrap_or(0.0)}),
            None,
        )),
        Value::String(s) if s.is_empty() => Ok(Entered::Clear),
        Value::String(s) if input == Input::Raw => {
            Ok(Entered::Value(json!({"stringValue": s}), None))
        }
        Value::String(s) => Ok(user_entered(s)),
        other => Err(format!("{other} is not a cell value")),
    }
}

/// What Sheets makes of text typed into a cell.
fn user_entered(s: &str) -> Entered {
    if let Some(text) = s.strip_prefix('\'') {
        return Entered::Value(json!({"stringValue": text}), None);
    }
    if s.starts_with('=') && s.len() > 1 {
        return Entered::Value(json!({"formulaValue": s}), None);
    }
    match s.trim().to_ascii_uppercase().as_str() {
        "TRUE" => return Entered::Value(json!({"boolValue": true}), None),
        "FALSE" => return Entered::Value(json!({"boolValue": false}), None),
        _ => {}
    }
    let t = s.trim();
    let numeric = !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || ".-+eE".contains(c))
        && t.chars().any(|c| c.is_ascii_digit());
    if numeric && let Ok(n) = t.parse::<f64>() {
        return Entered::Value(json!({"numberValue": n}), None);
    }
    if let Ok(d) = t.parse::<Date>() {
        return Entered::Value(
            json!({"numberValue": date_to_serial(d)}),
            Some(json!({"type": "DATE", "pattern": "yyyy-mm-dd"})),
        );
    }
    let parts: Vec<&str> = t.split('/').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        // en_US: month/day/year.
        let y: i16 = parts[2].parse().unwrap_or(0);
        let y = if y < 100 { y + 2000 } else { y };
        if let (Ok(m), Ok(d)) = (parts[0].parse::<i8>(), parts[1].parse::<i8>())
            && let Ok(date) = Date::new(y, m, d)
        {
            return Entered::Value(
                json!({"numberValue": date_to_serial(date)}),
                Some(json!({"type": "DATE", "pattern": "m/d/yyyy"})),
            );
        }
    }
    Entered::Value(json!({"stringValue": s}), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Spreadsheet {
        Spreadsheet::new("s", "Test", Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn the_recorded_render_options_come_out_the_same() {
        // WorksheetTest.test_get_all_values_date_time_render_options, on a 2x4 grid.
        let mut s = sheet();
        s.sheets[0] = Sheet::new(0, "Sheet1", 2, 4);
        let rect = s.resolve("'Sheet1'!A1:D2").unwrap();
        let values = vec![
            vec![
                json!("=4/2"),
                json!("2020-01-01"),
                json!("string"),
                json!(53),
            ],
            vec![json!("=3/2"), json!(0.12), json!("1999-01-02"), json!("")],
        ];
        s.write(&rect, true, &values, false, Input::UserEntered, "x")
            .unwrap();
        let all = s.resolve("'Sheet1'").unwrap();
        assert_eq!(s.range_name(&all), "Sheet1!A1:D2");
        let get = |r, d| serde_json::to_value(s.read(&all, r, d, false)).unwrap();
        assert_eq!(
            get(Render::Unformatted, DateRender::Serial),
            json!([[2, 43831, "string", 53], [1.5, 0.12, 36162]])
        );
        assert_eq!(
            get(Render::Unformatted, DateRender::FormattedString),
            json!([[2, "2020-01-01", "string", 53], [1.5, 0.12, "1999-01-02"]])
        );
        assert_eq!(
            get(Render::Formatted, DateRender::Serial),
            json!([
                ["2", "2020-01-01", "string", "53"],
                ["1.5", "0.12", "1999-01-02"]
            ])
        );
        assert_eq!(
            get(Render::Formula, DateRender::Serial),
            json!([["=4/2", 43831, "string", 53], ["=3/2", 0.12, 36162]])
        );
    }

    #[test]
    fn raw_text_stays_text_and_null_leaves_a_cell_alone() {
        let mut s = sheet();
        let rect = s.resolve("Sheet1!A1").unwrap();
        s.write(
            &rect,
            false,
            &[vec![json!("=SUM(A1:A3)"), json!("+972"), json!("@x")]],
            false,
            Input::Raw,
            "x",
        )
        .unwrap();
        s.write(
            &rect,
            false,
            &[vec![Value::Null, json!("kept?")]],
            false,
            Input::Raw,
            "x",
        )
        .unwrap();
        let row = s.read(
            &s.resolve("Sheet1!A1:C1").unwrap(),
            Render::Formula,
            DateRender::Serial,
            false,
        );
        assert_eq!(
            row,
            vec![vec![json!("=SUM(A1:A3)"), json!("kept?"), json!("@x")]]
        );
    }

    #[test]
    fn writes_past_a_bounded_range_or_the_grid_are_refused() {
        let mut s = sheet();
        let rect = s.resolve("Sheet1!A1:B1").unwrap();
        let e = s.write(
            &rect,
            true,
            &[vec![json!(1), json!(2), json!(3)]],
            false,
            Input::Raw,
            "Sheet1!A1:B1",
        );
        assert!(
            e.unwrap_err()
                .message
                .contains("tried writing to column [C]")
        );
        let rect = s.resolve("Sheet1!A1000").unwrap();
        let e = s.write(
            &rect,
            false,
            &[vec![json!(1)], vec![json!(2)]],
            false,
            Input::Raw,
            "Sheet1!A1000",
        );
        assert!(e.unwrap_err().message.contains("exceeds grid limits"));
        assert!(s.resolve("Nope!A1").is_err());
    }

    #[test]
    fn dates_format_with_sheets_patterns() {
        let d = Date::constant(2026, 12, 10);
        assert_eq!(format_date(d, "yyyy-mm-dd"), "2026-12-10");
        assert_eq!(format_date(d, "dd/mm/yyyy"), "10/12/2026");
        assert_eq!(format_date(d, "d mmm yyyy"), "10 Dec 2026");
        assert_eq!(format_date(Date::constant(2026, 3, 5), "m/d/yy"), "3/5/26");
    }
}
