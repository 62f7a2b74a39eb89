//! What calamine does not expose about a sheet, read from the file's XML in one pass: hidden
//! rows and columns, right-to-left display, merged areas and (.xlsx) formulas whose result was
//! never saved. For .xlsx and .ods files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::import::grid::{Merge, parse_area, parse_cell};

#[derive(Debug, Default)]
pub struct Layout {
    pub hidden_rows: BTreeSet<u32>,
    pub hidden_cols: BTreeSet<u32>,
    pub right_to_left: bool,
    pub merges: Vec<Merge>,
    /// Cells with a formula but no saved result (written by a program that does not calculate).
    pub uncalculated: Vec<(u32, u32)>,
    /// Rows grouped under others: their outline level.
    pub outline_levels: BTreeMap<u32, u8>,
    /// Cells whose style indents them: their indent.
    pub indents: HashMap<(u32, u32), u8>,
}

/// Read the layout of the sheet called `sheet`. Errors are plain strings: a failure here only
/// means these facts are unknown, never that the import stops.
pub fn xlsx_layout(path: &Path, sheet: &str) -> Result<Layout, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| e.to_string())?;
    let part = sheet_part(&mut zip, sheet)?;
    // Styles are optional; a workbook without them indents nothing.
    let styles = read_entry(&mut zip, "xl/styles.xml")
        .map(|xml| indent_styles(&xml))
        .unwrap_or_default();
    let entry = zip.by_name(&part).map_err(|e| format!("{part}: {e}"))?;
    scan_sheet(BufReader::with_capacity(1 << 16, entry), &styles)
}

/// The cell formats (`cellXfs`, by index) that indent their text, with their indent.
fn indent_styles(xml: &str) -> HashMap<u32, u8> {
    let mut out = HashMap::new();
    let mut reader = Reader::from_str(xml);
    let (mut inside, mut index) = (false, 0u32);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "cellXfs" => inside = true,
            Ok(Event::End(e)) if e.local_name().as_ref() == "cellXfs" => break,
            Ok(Event::End(e)) if inside && e.local_name().as_ref() == "xf" => index += 1,
            Ok(Event::Empty(e)) if inside && e.local_name().as_ref() == "xf" => index += 1,
            Ok(Event::Start(e) | Event::Empty(e))
                if inside && e.local_name().as_ref() == "alignment" =>
            {
                if let Some(n) = attr_u32(&e, "indent").filter(|n| *n > 0) {
                    out.insert(index, n.min(u32::from(u8::MAX)) as u8);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// The zip path of a sheet's XML: workbook.xml names the sheet's relationship id, and the
/// workbook's relationships file says which part that id is.
fn sheet_part<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, sheet: &str) -> Result<String, String> {
    let workbook = read_entry(zip, "xl/workbook.xml")?;
    let mut rid = None;
    let mut reader = Reader::from_str(&workbook);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e))
                if e.local_name().as_ref() == "sheet"
                    && attr(&e, "name").as_deref() == Some(sheet) =>
            {
                // The id attribute is namespaced (r:id); match on its local name.
                rid = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "id")
                    .and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| v.into_owned())
                    });
                break;
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(e.to_string()),
            _ => {}
        }
    }
    let rid = rid.ok_or_else(|| format!("sheet {sheet} not in workbook.xml"))?;
    let rels = read_entry(zip, "xl/_rels/workbook.xml.rels")?;
    let mut reader = Reader::from_str(&rels);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e))
                if e.local_name().as_ref() == "Relationship"
                    && attr(&e, "Id").as_deref() == Some(rid.as_str()) =>
            {
                let target = attr(&e, "Target").ok_or("relationship without target")?;
                return Ok(match target.strip_prefix('/') {
                    Some(abs) => abs.to_string(),
                    None => format!("xl/{target}"),
                });
            }
            Ok(Event::Eof) => return Err(format!("relationship {rid} not found")),
            Err(e) => return Err(e.to_string()),
            _ => {}
        }
    }
}

/// Read the layout of the sheet called `sheet` in an OpenDocument spreadsheet.
pub fn ods_layout(path: &Path, sheet: &str) -> Result<Layout, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| e.to_string())?;
    let entry = zip
        .by_name("content.xml")
        .map_err(|e| format!("content.xml: {e}"))?;
    scan_ods(BufReader::with_capacity(1 << 16, entry), sheet)
}

/// Counts in OpenDocument repeat attributes can reach a million (the empty rest of a sheet);
/// only this many hidden rows or columns from one repeat are recorded.
const REPEAT_CAP: u32 = 100_000;

fn scan_ods<R: std::io::BufRead>(input: R, sheet: &str) -> Result<Layout, String> {
    let mut scan = OdsScan {
        sheet,
        layout: Layout::default(),
        rtl_styles: Vec::new(),
        style: None,
        inside: false,
        row: 0,
        col: 0,
        col_def: 0,
        row_repeat: 1,
    };
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::with_capacity(1024);
    loop {
        buf.clear();
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?
        {
            Event::Start(e) => scan.open(&e, false),
            Event::Empty(e) => scan.open(&e, true),
            Event::End(e) if scan.close(e.local_name().as_ref()) => break,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(scan.layout)
}

/// Where the scan of an OpenDocument `content.xml` is.
struct OdsScan<'a> {
    sheet: &'a str,
    layout: Layout,
    /// Table styles that display right to left, and the style being read.
    rtl_styles: Vec<String>,
    style: Option<String>,
    /// Inside the wanted sheet's table.
    inside: bool,
    row: u32,
    col: u32,
    /// The next column a `table-column` definition describes.
    col_def: u32,
    /// How many times the current row repeats.
    row_repeat: u32,
}

fn repeat(e: &BytesStart<'_>, name: &str) -> u32 {
    attr_u32(e, name).unwrap_or(1).max(1)
}

impl OdsScan<'_> {
    /// An element opens (`empty`: and closes at once).
    fn open(&mut self, e: &BytesStart<'_>, empty: bool) {
        match e.local_name().as_ref() {
            "style" if !self.inside => self.style = attr(e, "style:name"),
            "table-properties" if !self.inside => {
                if let Some(name) = &self.style
                    && attr(e, "style:writing-mode").is_some_and(|m| m.starts_with("rl"))
                {
                    self.rtl_styles.push(name.clone());
                }
            }
            "table" => {
                self.inside = attr(e, "table:name").as_deref() == Some(self.sheet);
                if self.inside {
                    self.layout.right_to_left =
                        attr(e, "table:style-name").is_some_and(|s| self.rtl_styles.contains(&s));
                }
            }
            "table-column" if self.inside => self.column(e),
            "table-row" if self.inside => self.row(e, empty),
            name @ ("table-cell" | "covered-table-cell") if self.inside => {
                self.cell(e, name == "table-cell")
            }
            _ => {}
        }
    }

    /// An element closes; true at the end of the wanted sheet.
    fn close(&mut self, name: &str) -> bool {
        match name {
            "table-row" if self.inside => self.row = self.row.saturating_add(self.row_repeat),
            "table" if self.inside => return true,
            "style" => self.style = None,
            _ => {}
        }
        false
    }

    fn column(&mut self, e: &BytesStart<'_>) {
        let n = repeat(e, "table:number-columns-repeated");
        if attr_is(e, "table:visibility", &["collapse", "filter"]) {
            self.layout
                .hidden_cols
                .extend(self.col_def..self.col_def.saturating_add(n.min(REPEAT_CAP)));
        }
        self.col_def = self.col_def.saturating_add(n);
    }

    fn row(&mut self, e: &BytesStart<'_>, empty: bool) {
        self.col = 0;
        self.row_repeat = repeat(e, "table:number-rows-repeated");
        if attr_is(e, "table:visibility", &["collapse", "filter"]) {
            self.layout
                .hidden_rows
                .extend(self.row..self.row.saturating_add(self.row_repeat.min(REPEAT_CAP)));
        }
        if empty {
            self.row = self.row.saturating_add(self.row_repeat);
        }
    }

    /// A cell (`shown`: not one covered by a merge): a merge when it spans.
    fn cell(&mut self, e: &BytesStart<'_>, shown: bool) {
        let rows = repeat(e, "table:number-rows-spanned");
        let cols = repeat(e, "table:number-columns-spanned");
        if shown && (rows > 1 || cols > 1) {
            self.layout.merges.push(Merge {
                first_row: self.row,
                first_col: self.col,
                last_row: self.row.saturating_add(rows - 1),
                last_col: self.col.saturating_add(cols - 1),
            });
        }
        self.col = self
            .col
            .saturating_add(repeat(e, "table:number-columns-repeated"));
    }
}

fn read_entry<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Result<String, String> {
    let mut text = String::new();
    zip.by_name(name)
        .map_err(|e| format!("{name}: {e}"))?
        .read_to_string(&mut text)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(text)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(|v| v.into_owned())
    })
}

/// An attribute's raw value, compared without copying it (this runs for every row).
fn attr_is(e: &BytesStart<'_>, name: &str, values: &[&str]) -> bool {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .is_some_and(|a| values.contains(&a.value.as_ref()))
}

fn attr_u32(e: &BytesStart<'_>, name: &str) -> Option<u32> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.value.parse().ok())
}

fn is_true(e: &BytesStart<'_>, name: &str) -> bool {
    attr_is(e, name, &["1", "true"])
}

/// Record a cell's indent, from its `s="N"` style, when that style indents.
fn indent(raw: &str, styles: &HashMap<u32, u8>, layout: &mut Layout) {
    if styles.is_empty() {
        return;
    }
    if let Some(n) = raw_attr(raw, "s").and_then(|s| s.parse::<u32>().ok())
        && let Some(level) = styles.get(&n)
        && let Some(at) = cell_attr(raw)
    {
        layout.indents.insert(at, *level);
    }
}

/// The `r="B12"` attribute in a tag's raw attribute text.
fn cell_attr(raw: &str) -> Option<(u32, u32)> {
    raw_attr(raw, "r").and_then(parse_cell)
}

/// An attribute's value in a tag's raw attribute text.
fn raw_attr<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=");
    let mut rest = raw;
    while let Some(i) = rest.find(&key) {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + key.len()..];
        if before.is_none_or(char::is_whitespace) {
            let quote = after.chars().next()?;
            let value = &after[1..];
            return value.find(quote).map(|end| &value[..end]);
        }
        rest = after;
    }
    None
}

fn scan_sheet<R: std::io::BufRead>(
    input: R,
    indent_styles: &HashMap<u32, u8>,
) -> Result<Layout, String> {
    let mut layout = Layout::default();
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::with_capacity(1024);
    // Rows without `r` follow the previous row.
    let mut next_row: u32 = 0;
    // The cell being read: its attributes (parsed only if needed), whether it has a formula and
    // a value.
    let mut cell = String::new();
    let (mut formula, mut value, mut in_value) = (false, false, false);
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "c" => {
                cell.clear();
                cell.push_str(e.attributes_raw());
                formula = false;
                value = false;
            }
            // An empty `<v/>` is no value at all.
            Ok(Event::Start(e)) if e.local_name().as_ref() == "v" => in_value = true,
            Ok(Event::Text(t)) if in_value => value |= !t.is_empty(),
            Ok(Event::End(e)) if e.local_name().as_ref() == "v" => in_value = false,
            Ok(Event::End(e)) if e.local_name().as_ref() == "c" => {
                indent(&cell, indent_styles, &mut layout);
                if formula
                    && !value
                    && let Some(at) = cell_attr(&cell)
                {
                    layout.uncalculated.push(at);
                }
            }
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                "row" => {
                    let row = attr_u32(&e, "r")
                        .and_then(|r| r.checked_sub(1))
                        .unwrap_or(next_row);
                    next_row = row + 1;
                    if is_true(&e, "hidden") {
                        layout.hidden_rows.insert(row);
                    }
                    if let Some(level) = attr_u32(&e, "outlineLevel").filter(|l| *l > 0) {
                        layout.outline_levels.insert(row, level.min(7) as u8);
                    }
                }
                "f" => formula = true,
                "is" => value = true,
                "col" => {
                    if is_true(&e, "hidden")
                        && let (Some(min), Some(max)) = (attr_u32(&e, "min"), attr_u32(&e, "max"))
                    {
                        // Styles often span to column XFD; only the first columns can hold
                        // data worth reporting.
                        for c in min.max(1)..=max.min(min.max(1) + 1024) {
                            layout.hidden_cols.insert(c - 1);
                        }
                    }
                }
                "sheetView" => layout.right_to_left |= is_true(&e, "rightToLeft"),
                "mergeCell" => {
                    if let Some(area) = attr(&e, "ref").as_deref().and_then(parse_area) {
                        layout.merges.push(area);
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => return Err(e.to_string()),
            _ => {}
        }
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_an_opendocument_table() {
        let xml = r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:style="s" xmlns:text="x">
<office:automatic-styles>
  <style:style style:name="ta1" style:family="table"><style:table-properties style:writing-mode="lr-tb"/></style:style>
  <style:style style:name="ta2" style:family="table"><style:table-properties style:writing-mode="rl-tb"/></style:style>
</office:automatic-styles>
<office:body><office:spreadsheet>
 <table:table table:name="Other" table:style-name="ta1">
  <table:table-row table:visibility="collapse"><table:table-cell table:number-columns-spanned="3"/></table:table-row>
 </table:table>
 <table:table table:name="Plan" table:style-name="ta2">
  <table:table-column table:number-columns-repeated="2"/>
  <table:table-column table:visibility="collapse"/>
  <table:table-row><table:table-cell table:number-columns-spanned="2"><text:p>Title</text:p></table:table-cell><table:covered-table-cell/></table:table-row>
  <table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>
  <table:table-row table:visibility="collapse"><table:table-cell table:number-columns-repeated="2"/><table:table-cell table:number-rows-spanned="2"/></table:table-row>
 </table:table>
</office:spreadsheet></office:body></office:document-content>"#;
        let layout = scan_ods(xml.as_bytes(), "Plan").unwrap();
        assert!(layout.right_to_left);
        assert_eq!(
            layout.hidden_cols.iter().copied().collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(
            layout.hidden_rows.iter().copied().collect::<Vec<_>>(),
            vec![3]
        );
        assert_eq!(
            layout.merges,
            vec![
                Merge {
                    first_row: 0,
                    first_col: 0,
                    last_row: 0,
                    last_col: 1
                },
                Merge {
                    first_row: 3,
                    first_col: 2,
                    last_row: 4,
                    last_col: 2
                },
            ]
        );
    }

    #[test]
    fn scans_hidden_rows_columns_direction_and_merges() {
        let xml = r#"<?xml version="1.0"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
  <sheetViews><sheetView rightToLeft="1" workbookViewId="0"/></sheetViews>
  <cols><col min="5" max="6" width="0" hidden="1" customWidth="1"/></cols>
  <sheetData>
    <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1" t="s"><v>0</v></c></row>
    <row r="2" outlineLevel="1"><c r="A2"><v>0</v></c></row>
    <row r="7" hidden="1"><c r="A7"><v>1</v></c><c r="B7"><f>A7+1</f><v /></c><c r="C7"><f>A7</f><v>1</v></c></row>
    <row><c><v>2</v></c></row>
  </sheetData>
  <mergeCells count="1"><mergeCell ref="A2:A5"/></mergeCells>
</worksheet>"#;
        let layout = scan_sheet(xml.as_bytes(), &HashMap::from([(1, 2)])).unwrap();
        assert!(layout.right_to_left);
        assert_eq!(
            layout.hidden_cols.iter().copied().collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert_eq!(
            layout.hidden_rows.iter().copied().collect::<Vec<_>>(),
            vec![6]
        );
        assert_eq!(
            layout.merges,
            vec![Merge {
                first_row: 1,
                first_col: 0,
                last_row: 4,
                last_col: 0
            }]
        );
        assert_eq!(layout.uncalculated, vec![(6, 1)]);
        assert_eq!(layout.indents, HashMap::from([((0, 1), 2)]));
        assert_eq!(
            layout.outline_levels.into_iter().collect::<Vec<_>>(),
            vec![(1, 1)]
        );
        let styles = r#"<styleSheet><cellStyleXfs count="1"><xf><alignment indent="5"/></xf></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0"/><xf applyAlignment="1"><alignment indent="1"/></xf><xf><alignment horizontal="left"/></xf></cellXfs></styleSheet>"#;
        assert_eq!(indent_styles(styles), HashMap::from([(1, 1)]));
        assert_eq!(cell_attr(" r=\"B12\" s=\"1\""), Some((11, 1)));
        assert_eq!(cell_attr("s='1' r='C3'"), Some((2, 2)));
        assert_eq!(cell_attr("t=\"s\""), None);
    }
}
