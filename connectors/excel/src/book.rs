//! A workbook held in memory as values: what calamine reads, what the writer renders.
//!
//! Sheets throughline does not own, and columns people added to its sheets, travel through this
//! model cell by cell (values, dates, formulas with their last result), so a rewrite keeps them.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, SheetType, SheetVisible, Xlsx};
use jiff::civil::{Date, DateTime};

/// One cell's content.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Cell {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A date (and time) cell, as the workbook's calendar gives it.
    DateTime(DateTime),
    /// An error value such as `#N/A` that is not the result of a formula.
    Error(String),
    /// A formula (without the leading `=`) and the value Excel last computed for it.
    Formula {
        formula: String,
        cached: Box<Cell>,
    },
}

impl Cell {
    /// The value a person sees: a formula's last result.
    pub fn value(&self) -> &Cell {
        match self {
            Cell::Formula { cached, .. } => cached,
            other => other,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self.value() {
            Cell::Empty => true,
            Cell::Text(s) => s.is_empty(),
            _ => false,
        }
    }

    /// The cell as text, the way it reads: numbers without a needless `.0`, TRUE/FALSE.
    pub fn text(&self) -> String {
        match self.value() {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => throughline_grid::cell::number_text(*n),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::DateTime(dt) if dt.time() == jiff::civil::Time::midnight() => {
                dt.date().to_string()
            }
            Cell::DateTime(dt) => dt.to_string(),
            Cell::Error(e) => e.clone(),
            Cell::Formula { .. } => unreachable!("value() never returns a formula"),
        }
    }

    /// The cell as the grid rules read it (a formula's last result).
    pub fn view(&self) -> throughline_grid::Cell<'_> {
        use std::borrow::Cow;
        match self.value() {
            Cell::Empty => throughline_grid::Cell::Empty,
            Cell::Text(s) => throughline_grid::Cell::Text(Cow::Borrowed(s)),
            Cell::Number(n) => throughline_grid::Cell::Number(*n),
            Cell::Bool(b) => throughline_grid::Cell::Bool(*b),
            // The time of day, if any, means nothing to a date column.
            Cell::DateTime(dt) => throughline_grid::Cell::Date(dt.date()),
            Cell::Error(e) => throughline_grid::Cell::Text(Cow::Borrowed(e)),
            Cell::Formula { .. } => unreachable!("value() never returns a formula"),
        }
    }

    pub fn date(date: Option<Date>) -> Cell {
        match date {
            Some(d) => Cell::DateTime(d.to_datetime(jiff::civil::Time::midnight())),
            None => Cell::Empty,
        }
    }

    pub fn text_cell(s: &str) -> Cell {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_string())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Visibility {
    #[default]
    Visible,
    Hidden,
    VeryHidden,
}

/// A column's width as the workbook had it (people widen columns they work in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ColumnView {
    pub width: Option<f64>,
    pub hidden: bool,
}

/// What a rewrite keeps of a sheet besides its cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct SheetView {
    pub right_to_left: bool,
    /// By 0-based column index.
    pub columns: HashMap<u16, ColumnView>,
    /// `RRGGBB`.
    pub tab_color: Option<String>,
}

/// How a cell looks, as far as a rewrite carries it over: fonts, fill, number format,
/// alignment and borders (not conditional formats, comments or pictures).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Look {
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    /// `0xRRGGBB`.
    pub font_color: Option<u32>,
    /// Hundredths of a point.
    pub font_size: Option<u32>,
    pub font_name: Option<String>,
    pub fill: Option<u32>,
    pub num_format: Option<String>,
    pub wrap: bool,
    pub horizontal: Option<Align>,
    pub vertical: Option<Align>,
    pub indent: u8,
    /// Left, right, top, bottom: a line style and its colour.
    pub borders: [Option<(Line, Option<u32>)>; 4],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Align {
    Start,
    Center,
    End,
    Justify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Line {
    Thin,
    Medium,
    Thick,
    Double,
    Dashed,
    Dotted,
    Hair,
}

/// A merged block of cells: first row, first column, last row, last column.
pub(crate) type Merge = (u32, u16, u32, u16);

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Sheet {
    pub name: String,
    pub visibility: Visibility,
    pub view: SheetView,
    /// From A1; rows may be shorter than others (missing cells are empty).
    pub rows: Vec<Vec<Cell>>,
    /// Cells with a look of their own, by (row, column).
    pub looks: HashMap<(usize, usize), Look>,
    pub merges: Vec<Merge>,
}

impl Sheet {
    pub fn new(name: impl Into<String>) -> Sheet {
        Sheet {
            name: name.into(),
            ..Sheet::default()
        }
    }

    pub fn cell(&self, row: usize, col: usize) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&EMPTY)
    }

    pub fn set(&mut self, row: usize, col: usize, cell: Cell) {
        if self.rows.len() <= row {
            self.rows.resize_with(row + 1, Vec::new);
        }
        let r = &mut self.rows[row];
        if r.len() <= col {
            if cell == Cell::Empty {
                return;
            }
            r.resize_with(col + 1, Cell::default);
        }
        r[col] = cell;
    }

    /// Insert rows before `at`; the looks of the rows below move down with them.
    pub fn insert_rows(&mut self, at: usize, rows: Vec<Vec<Cell>>) {
        let n = rows.len();
        if n == 0 {
            return;
        }
        if self.rows.len() < at {
            self.rows.resize_with(at, Vec::new);
        }
        self.rows.splice(at..at, rows);
        if self.looks.keys().any(|&(r, _)| r >= at) {
            self.looks = std::mem::take(&mut self.looks)
                .into_iter()
                .map(|((r, c), look)| (if r >= at { (r + n, c) } else { (r, c) }, look))
                .collect();
        }
    }

    pub fn width(&self) -> usize {
        self.rows.iter().map(|r| r.len()).max().unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Book {
    pub sheets: Vec<Sheet>,
}

impl Book {
    pub fn sheet_index(&self, name: &str) -> Option<usize> {
        let lower = name.to_lowercase();
        self.sheets
            .iter()
            .position(|s| s.name.to_lowercase() == lower)
    }
}

/// Why a file could not be read as a workbook.
#[derive(Debug)]
pub(crate) struct ReadError(pub String);

/// Excel's last column is XFD, the 16,384th.
const MAX_COLUMNS: usize = 16_384;

/// Read every worksheet: values, formulas, dates, visibility, and the view settings a rewrite
/// should keep. Chart sheets and dialog sheets cannot be carried over and are skipped.
///
/// `ours` names the columns throughline writes in a sheet of its own (`None` for people's
/// sheets): there throughline's own formatting is not worth keeping, only a highlight (fill) a
/// person gave a cell.
pub(crate) fn read(
    bytes: &[u8],
    ours: &dyn Fn(&Sheet) -> Option<Vec<usize>>,
) -> Result<Book, ReadError> {
    let mut xlsx: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| ReadError(e.to_string()))?;
    let views = read_views(bytes);
    let metas: Vec<_> = xlsx.sheets_metadata().to_vec();
    let mut sheets = Vec::with_capacity(metas.len());
    for meta in metas {
        if meta.typ != SheetType::WorkSheet {
            tracing::warn!(sheet = %meta.name, "skipping a non-worksheet sheet; it cannot be rewritten");
            continue;
        }
        let mut sheet = Sheet::new(meta.name.clone());
        sheet.visibility = match meta.visible {
            SheetVisible::Visible => Visibility::Visible,
            SheetVisible::Hidden => Visibility::Hidden,
            SheetVisible::VeryHidden => Visibility::VeryHidden,
        };
        sheet.view = views.get(&meta.name).cloned().unwrap_or_default();
        // One pass over the sheet's XML for values and formulas together.
        let failed = |e: calamine::XlsxError| ReadError(format!("sheet \"{}\": {e}", meta.name));
        {
            let mut cells = xlsx.worksheet_cells_reader(&meta.name).map_err(failed)?;
            while let Some(c) = cells.next_cell_with_formula().map_err(failed)? {
                let (row, col) = (c.pos.0 as usize, c.pos.1 as usize);
                // A damaged or hand-made file can place a cell anywhere; rows are kept as a
                // vector, so a cell past Excel's grid would cost memory in proportion to its row.
                if row >= crate::workbook::MAX_ROWS || col >= MAX_COLUMNS {
                    return Err(ReadError(format!(
                        "sheet \"{}\" has a cell at row {}, column {}, outside Excel's {} rows and {MAX_COLUMNS} columns; the file is damaged",
                        meta.name,
                        u64::from(c.pos.0) + 1,
                        u64::from(c.pos.1) + 1,
                        crate::workbook::MAX_ROWS
                    )));
                }
                let value = from_data(&Data::from(c.value));
                match c.formula.filter(|f| !f.is_empty()) {
                    Some(f) => {
                        let formula = f.strip_prefix('=').unwrap_or(&f).to_string();
                        sheet.set(
                            row,
                            col,
                            Cell::Formula {
                                formula,
                                cached: Box::new(value),
                            },
                        );
                    }
                    None if value != Cell::Empty => sheet.set(row, col, value),
                    None => {}
                }
            }
        }
        if sheet.cell(0, 0).text() != crate::workbook::BASELINE_MARK {
            let ours = ours(&sheet);
            read_looks(&mut xlsx, &mut sheet, ours.as_deref());
        }
        sheets.push(sheet);
    }
    Ok(Book { sheets })
}

/// The look of every styled cell, and merged blocks. Best effort: a sheet whose styles cannot
/// be read is written with plain cells rather than not at all.
fn read_looks(xlsx: &mut Xlsx<Cursor<&[u8]>>, sheet: &mut Sheet, ours: Option<&[usize]>) {
    match xlsx.worksheet_style(&sheet.name) {
        Ok(styles) => {
            // Cells share a few styles: convert each once.
            let mut full: HashMap<*const calamine::Style, Option<Look>> = HashMap::new();
            let mut fill: HashMap<*const calamine::Style, Option<Look>> = HashMap::new();
            for (r, c, style) in styles.cells() {
                let key = style as *const calamine::Style;
                let ours = ours.is_some_and(|cols| cols.contains(&(c as usize)));
                let look = if ours {
                    fill.entry(key).or_insert_with(|| {
                        look_of(style).fill.map(|fill| Look {
                            fill: Some(fill),
                            ..Look::default()
                        })
                    })
                } else {
                    full.entry(key)
                        .or_insert_with(|| Some(look_of(style)).filter(|l| *l != Look::default()))
                };
                if let Some(look) = look {
                    sheet.looks.insert((r as usize, c as usize), look.clone());
                }
            }
        }
        Err(e) => tracing::warn!(sheet = %sheet.name, error = %e, "cell formats could not be read"),
    }
    if let Ok(merges) = xlsx.merge_cells_by_sheet_name(&sheet.name) {
        sheet.merges = merges
            .iter()
            .filter(|d| d.start != d.end)
            .map(|d| (d.start.0, d.start.1 as u16, d.end.0, d.end.1 as u16))
            .collect();
    }
}

fn rgb(c: &calamine::Color) -> u32 {
    ((c.red as u32) << 16) | ((c.green as u32) << 8) | c.blue as u32
}

fn look_of(style: &calamine::Style) -> Look {
    use calamine::{
        BorderStyle, FillPattern, HorizontalAlignment as H, UnderlineStyle, VerticalAlignment as V,
    };
    let mut look = Look::default();
    if let Some(font) = &style.font {
        look.bold = font.is_bold();
        look.italic = font.is_italic();
        look.underline = font.underline != UnderlineStyle::None;
        look.strike = font.strikethrough;
        look.font_color = font.color.as_ref().map(rgb).filter(|&c| c != 0);
        // Excel's default font is not worth repeating on every cell.
        look.font_size = font
            .size
            .map(|s| (s * 100.0).round() as u32)
            .filter(|&s| s != 1100);
        look.font_name = font.name.clone().filter(|n| n != "Calibri");
    }
    if let Some(fill) = &style.fill
        && fill.pattern != FillPattern::None
    {
        look.fill = fill.get_color().as_ref().map(rgb);
    }
    if let Some(nf) = &style.number_format
        && nf.format_code != "General"
        && !nf.format_code.is_empty()
    {
        look.num_format = Some(nf.format_code.clone());
    }
    if let Some(a) = &style.alignment {
        look.wrap = a.wrap_text;
        look.indent = a.indent.unwrap_or(0);
        look.horizontal = match a.horizontal {
            H::Left => Some(Align::Start),
            H::Center | H::CenterContinuous => Some(Align::Center),
            H::Right => Some(Align::End),
            H::Justify | H::Distributed => Some(Align::Justify),
            _ => None,
        };
        look.vertical = match a.vertical {
            V::Top => Some(Align::Start),
            V::Center => Some(Align::Center),
            V::Justify | V::Distributed => Some(Align::Justify),
            _ => None,
        };
    }
    if let Some(b) = &style.borders {
        let line = |border: &calamine::Border| {
            let line = match border.style {
                BorderStyle::None => return None,
                BorderStyle::Thin => Line::Thin,
                BorderStyle::Medium
                | BorderStyle::MediumDashDot
                | BorderStyle::MediumDashDotDot => Line::Medium,
                BorderStyle::MediumDashed => Line::Dashed,
                BorderStyle::Thick => Line::Thick,
                BorderStyle::Double => Line::Double,
                BorderStyle::Hair => Line::Hair,
                BorderStyle::Dotted => Line::Dotted,
                _ => Line::Dashed,
            };
            Some((line, border.color.as_ref().map(rgb)))
        };
        look.borders = [line(&b.left), line(&b.right), line(&b.top), line(&b.bottom)];
    }
    look
}

fn from_data(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            DateTime::new(
                y as i16,
                m as i8,
                d as i8,
                h as i8,
                mi as i8,
                s as i8,
                ms as i32 * 1_000_000,
            )
            .map(Cell::DateTime)
            .unwrap_or(Cell::Number(dt.as_f64()))
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) => s
            .parse::<DateTime>()
            .map(Cell::DateTime)
            .unwrap_or_else(|_| Cell::Text(s.clone())),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// Right-to-left, column widths and tab colours, read from the sheets' XML (calamine does not
/// expose them). Best effort: a part that cannot be read just keeps the defaults.
fn read_views(bytes: &[u8]) -> HashMap<String, SheetView> {
    let mut out = HashMap::new();
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return out;
    };
    let Some(workbook) = read_part(&mut zip, "xl/workbook.xml", usize::MAX) else {
        return out;
    };
    let rels = read_part(&mut zip, "xl/_rels/workbook.xml.rels", usize::MAX).unwrap_or_default();
    let targets: HashMap<String, String> = tags(&rels, "Relationship")
        .into_iter()
        .filter_map(|a| Some((attr(&a, "Id")?, attr(&a, "Target")?)))
        .collect();
    for sheet in tags(&workbook, "sheet") {
        let (Some(name), Some(rid)) = (attr(&sheet, "name"), attr(&sheet, "r:id")) else {
            continue;
        };
        let Some(target) = targets.get(&rid) else {
            continue;
        };
        let path = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("xl/{target}"),
        };
        // Everything a view needs comes before the cell data; stop reading there.
        let Some(head) = read_part(&mut zip, &path, 64 * 1024) else {
            continue;
        };
        let head = head.split("<sheetData").next().unwrap_or("");
        let mut view = SheetView {
            right_to_left: tags(head, "sheetView")
                .first()
                .and_then(|a| attr(a, "rightToLeft"))
                .is_some_and(|v| v == "1" || v == "true"),
            ..SheetView::default()
        };
        view.tab_color = tags(head, "tabColor")
            .first()
            .and_then(|a| attr(a, "rgb"))
            .map(|rgb| {
                let rgb = rgb.trim_start_matches('#');
                rgb[rgb.len().saturating_sub(6)..].to_string()
            });
        for col in tags(head, "col") {
            let (Some(min), Some(max)) = (attr(&col, "min"), attr(&col, "max")) else {
                continue;
            };
            let (Ok(min), Ok(max)) = (min.parse::<u16>(), max.parse::<u16>()) else {
                continue;
            };
            let custom = attr(&col, "customWidth").is_some_and(|v| v == "1" || v == "true");
            let width = attr(&col, "width")
                .and_then(|w| w.parse::<f64>().ok())
                .filter(|_| custom);
            let hidden = attr(&col, "hidden").is_some_and(|v| v == "1" || v == "true");
            if width.is_none() && !hidden {
                continue;
            }
            // A `<col>` may span the whole sheet width; only the used part matters.
            for c in min.max(1)..=max.min(min.max(1).saturating_add(256)) {
                view.columns.insert(c - 1, ColumnView { width, hidden });
            }
        }
        out.insert(name, view);
    }
    out
}

fn read_part<R: std::io::Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    limit: usize,
) -> Option<String> {
    let file = zip.by_name(name).ok()?;
    let mut buf = Vec::new();
    file.take(limit as u64).read_to_end(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The attribute lists of every `<name ...>` element in `xml` (a plain scan: these parts are
/// machine-written and the elements wanted carry no nested markup in their start tags).
fn tags(xml: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let open = format!("<{name}");
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(end) = after.find('>') else { break };
        if after.starts_with([' ', '/', '>', '\n', '\r', '\t']) {
            out.push(after[..end].to_string());
        }
        rest = &after[end..];
    }
    out
}

fn attr(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    let pat = format!("{name}=");
    while let Some(i) = rest.find(&pat) {
        let before_ok = i == 0 || rest[..i].ends_with([' ', '\n', '\r', '\t']);
        let after = &rest[i + pat.len()..];
        let quote = after.chars().next()?;
        if before_ok && (quote == '"' || quote == '\'') {
            let value = &after[1..];
            let end = value.find(quote)?;
            return Some(unescape(&value[..end]));
        }
        rest = after;
    }
    None
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_found_and_unescaped() {
        let xml = r#"<sheets><sheet name="Q&amp;A &quot;1&quot;" sheetId="1" r:id="rId3"/><sheetView rightToLeft="1"/></sheets>"#;
        let sheets = tags(xml, "sheet");
        assert_eq!(sheets.len(), 1, "<sheetView> is not a <sheet>");
        assert_eq!(attr(&sheets[0], "name").as_deref(), Some("Q&A \"1\""));
        assert_eq!(attr(&sheets[0], "r:id").as_deref(), Some("rId3"));
        assert_eq!(attr(&sheets[0], "id"), None);
        assert_eq!(unescape("&#x5D0;&#1489;"), "אב");
    }

    #[test]
    fn cells_read_the_way_people_see_them() {
        assert_eq!(Cell::Number(3.0).text(), "3");
        assert_eq!(Cell::Number(2.5).text(), "2.5");
        assert_eq!(Cell::Bool(true).text(), "TRUE");
        let f = Cell::Formula {
            formula: "1+1".into(),
            cached: Box::new(Cell::Number(2.0)),
        };
        assert_eq!(f.text(), "2");
        assert_eq!(
            Cell::date(Some(Date::constant(2026, 12, 10))).text(),
            "2026-12-10"
        );
    }
}
