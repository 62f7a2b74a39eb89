//! What calamine does not expose about a sheet, read from the file's XML in one pass: hidden
//! rows and columns, right-to-left display, merged areas, outline levels, indents and (.xlsx)
//! formulas whose result was never saved. For .xlsx and .ods files. calamine's cell reader
//! offers none of these, so an .xlsx sheet's XML is unpacked twice; this second look reads
//! only its tags (`scan_sheet`), about a quarter of the cost of parsing it again (most of what
//! is left is the unpacking).

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
    scan_sheet(entry, &styles)
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

/// An attribute's value in a tag's raw attribute text (no copy: this runs for every cell).
fn raw_attr<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = raw[from..].find(name) {
        let at = from + i;
        let before = raw[..at].chars().next_back();
        let after = &raw[at + name.len()..];
        if before.is_none_or(char::is_whitespace)
            && let Some(rest) = after.strip_prefix('=')
        {
            let quote = rest.chars().next()?;
            let value = rest.strip_prefix(['"', '\''])?;
            return value.find(quote).map(|end| &value[..end]);
        }
        from = at + name.len();
    }
    None
}

fn raw_u32(raw: &str, name: &str) -> Option<u32> {
    raw_attr(raw, name).and_then(|v| v.parse().ok())
}

fn raw_true(raw: &str, name: &str) -> bool {
    matches!(raw_attr(raw, name), Some("1" | "true"))
}

/// The `r="B12"` attribute in a tag's raw attribute text.
fn cell_attr(raw: &str) -> Option<(u32, u32)> {
    raw_attr(raw, "r").and_then(parse_cell)
}

/// The layout of an .xlsx sheet, from its XML. calamine reads the cells; this scan looks only
/// at tags (from each `<` to its `>`, quotes and comments respected) and skips the text between
/// them unread, which makes it several times cheaper than a second XML parse of the sheet.
fn scan_sheet<R: Read>(mut input: R, indent_styles: &HashMap<u32, u8>) -> Result<Layout, String> {
    let mut scan = SheetScan {
        styles: indent_styles,
        layout: Layout::default(),
        next_row: 0,
        cell: String::new(),
        formula: false,
        value: false,
        in_value: false,
    };
    let mut buf = vec![0u8; 1 << 18];
    let mut filled = 0;
    loop {
        // A tag longer than the buffer (a huge attribute) grows it; the part's size is bounded.
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = input.read(&mut buf[filled..]).map_err(|e| e.to_string())?;
        filled += n;
        let used = scan.feed(&buf[..filled], n == 0);
        buf.copy_within(used..filled, 0);
        filled -= used;
        if n == 0 {
            return Ok(scan.layout);
        }
    }
}

/// Where the scan of a sheet's XML is.
struct SheetScan<'a> {
    styles: &'a HashMap<u32, u8>,
    layout: Layout,
    /// Rows without `r` follow the previous row.
    next_row: u32,
    /// The cell being read: its attributes, whether it has a formula and a value.
    cell: String,
    formula: bool,
    value: bool,
    /// Inside a `<v>`: text there is a value (an empty `<v/>` or `<v></v>` is none).
    in_value: bool,
}

impl SheetScan<'_> {
    /// Scan the tags of `data` that are complete; how many bytes were used (the rest waits for
    /// more input, unless `last`).
    fn feed(&mut self, data: &[u8], last: bool) -> usize {
        let mut at = 0;
        loop {
            let Some(lt) = data[at..].iter().position(|b| *b == b'<') else {
                self.value |= self.in_value && at < data.len();
                return data.len();
            };
            self.value |= self.in_value && lt > 0;
            let start = at + lt;
            let Some((end, body)) = tag_end(&data[start..]) else {
                return if last { data.len() } else { start };
            };
            match body {
                Tag::Element(inner) => self.tag(&String::from_utf8_lossy(inner)),
                Tag::Data(empty) => self.value |= self.in_value && !empty,
                Tag::Other => {}
            }
            at = start + end;
        }
    }

    /// One tag, without its `<` and `>`.
    fn tag(&mut self, tag: &str) {
        if let Some(closing) = tag.strip_prefix('/') {
            match local(closing.trim_end()) {
                "v" => self.in_value = false,
                "c" => self.end_cell(),
                _ => {}
            }
            return;
        }
        let empty = tag.ends_with('/');
        let tag = tag.strip_suffix('/').unwrap_or(tag);
        let (name, attrs) = tag
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((tag, ""));
        match local(name) {
            "c" if !empty => {
                self.cell.clear();
                self.cell.push_str(attrs);
                (self.formula, self.value) = (false, false);
            }
            "v" if !empty => self.in_value = true,
            "f" => self.formula = true,
            "is" => self.value = true,
            "row" => self.row(attrs),
            "col" => self.col(attrs),
            "sheetView" => self.layout.right_to_left |= raw_true(attrs, "rightToLeft"),
            "mergeCell" => {
                if let Some(area) = raw_attr(attrs, "ref").and_then(parse_area) {
                    self.layout.merges.push(area);
                }
            }
            _ => {}
        }
    }

    fn end_cell(&mut self) {
        let layout = &mut self.layout;
        if !self.styles.is_empty()
            && let Some(level) = raw_u32(&self.cell, "s").and_then(|n| self.styles.get(&n))
            && let Some(at) = cell_attr(&self.cell)
        {
            layout.indents.insert(at, *level);
        }
        if self.formula
            && !self.value
            && let Some(at) = cell_attr(&self.cell)
        {
            layout.uncalculated.push(at);
        }
    }

    fn row(&mut self, attrs: &str) {
        let row = raw_u32(attrs, "r")
            .and_then(|r| r.checked_sub(1))
            .unwrap_or(self.next_row);
        self.next_row = row + 1;
        if raw_true(attrs, "hidden") {
            self.layout.hidden_rows.insert(row);
        }
        if let Some(level) = raw_u32(attrs, "outlineLevel").filter(|l| *l > 0) {
            self.layout.outline_levels.insert(row, level.min(7) as u8);
        }
    }

    fn col(&mut self, attrs: &str) {
        if raw_true(attrs, "hidden")
            && let (Some(min), Some(max)) = (raw_u32(attrs, "min"), raw_u32(attrs, "max"))
        {
            // Styles often span to column XFD; only the first columns can hold data worth
            // reporting.
            for c in min.max(1)..=max.min(min.max(1) + 1024) {
                self.layout.hidden_cols.insert(c - 1);
            }
        }
    }
}

/// A name without its namespace prefix (`x:row` is `row`).
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// What a markup item starting at `<` is.
enum Tag<'a> {
    /// An element's start or end tag: the text between `<` and `>`.
    Element(&'a [u8]),
    /// A CDATA section: whether it is empty.
    Data(bool),
    /// A comment, a processing instruction or a declaration.
    Other,
}

/// The end (one past its `>`) of the markup starting at `data[0] == b'<'`, and what it is;
/// `None` when it does not end within `data`.
fn tag_end(data: &[u8]) -> Option<(usize, Tag<'_>)> {
    let find = |from: usize, pat: &[u8]| {
        data.get(from..)?
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|i| from + i + pat.len())
    };
    if data.starts_with(b"<!--") {
        return Some((find(4, b"-->")?, Tag::Other));
    }
    if data.starts_with(b"<![CDATA[") {
        let end = find(9, b"]]>")?;
        return Some((end, Tag::Data(end == 12)));
    }
    if data.len() < 9 && (b"<![CDATA[".starts_with(data) || b"<!--".starts_with(data)) {
        return None;
    }
    let mut quote = None;
    for (i, b) in data.iter().enumerate().skip(1) {
        match (quote, *b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(*b),
            (None, b'>') => {
                let inner = &data[1..i];
                let tag = if matches!(inner.first(), Some(b'?' | b'!')) {
                    Tag::Other
                } else {
                    Tag::Element(inner)
                };
                return Some((i + 1, tag));
            }
            _ => {}
        }
    }
    None
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

    /// Hands out its bytes one at a time, so every tag crosses a read's edge.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn the_tag_scan_keeps_to_the_markup_across_reads() {
        let xml = r#"<?xml version="1.0"?><x:worksheet xmlns:x="m"><!-- <row r="9" hidden="1"> -->
<x:sheetData>
  <x:row r="2" hidden="true" note='a > b'><x:c r="A2"><x:f>B2&gt;1</x:f><x:v><![CDATA[]]></x:v></x:c></x:row>
  <x:row outlineLevel="2"><x:c r="A3"><x:f>1</x:f><x:v><![CDATA[2]]></x:v></x:c><x:c r="B3"><x:f/><x:v></x:v></x:c></x:row>
  <x:row r="5"><x:c r="C5" s="1"><x:is><x:t>a &lt; b</x:t></x:is></x:c><x:c r="D5" s="1"/></x:row>
</x:sheetData><x:mergeCells><x:mergeCell ref="A2:B2"/></x:mergeCells></x:worksheet>"#;
        let styles = HashMap::from([(1, 3)]);
        for layout in [
            scan_sheet(xml.as_bytes(), &styles).unwrap(),
            scan_sheet(Trickle(xml.as_bytes()), &styles).unwrap(),
        ] {
            assert_eq!(
                layout.hidden_rows.iter().copied().collect::<Vec<_>>(),
                vec![1]
            );
            assert_eq!(
                layout
                    .outline_levels
                    .iter()
                    .map(|(r, l)| (*r, *l))
                    .collect::<Vec<_>>(),
                vec![(2, 2)]
            );
            assert_eq!(layout.uncalculated, vec![(1, 0), (2, 1)]);
            assert_eq!(layout.indents, HashMap::from([((4, 2), 3)]));
            assert_eq!(layout.merges.len(), 1);
        }
    }
}
