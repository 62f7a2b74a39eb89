//! What calamine does not expose about an .xlsx sheet, read from the sheet's XML in one pass:
//! hidden rows and columns, right-to-left display, and merged areas.

use std::collections::BTreeSet;
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
}

/// Read the layout of the sheet called `sheet`. Errors are plain strings: a failure here only
/// means these facts are unknown, never that the import stops.
pub fn xlsx_layout(path: &Path, sheet: &str) -> Result<Layout, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| e.to_string())?;
    let part = sheet_part(&mut zip, sheet)?;
    let entry = zip.by_name(&part).map_err(|e| format!("{part}: {e}"))?;
    scan_sheet(BufReader::with_capacity(1 << 16, entry))
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

/// The `r="B12"` attribute in a tag's raw attribute text.
fn cell_attr(raw: &str) -> Option<(u32, u32)> {
    let mut rest = raw;
    while let Some(i) = rest.find("r=") {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + 2..];
        if before.is_none_or(char::is_whitespace) {
            let quote = after.chars().next()?;
            let value = &after[1..];
            return value.find(quote).and_then(|end| parse_cell(&value[..end]));
        }
        rest = after;
    }
    None
}

fn scan_sheet<R: std::io::BufRead>(input: R) -> Result<Layout, String> {
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
    fn scans_hidden_rows_columns_direction_and_merges() {
        let xml = r#"<?xml version="1.0"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
  <sheetViews><sheetView rightToLeft="1" workbookViewId="0"/></sheetViews>
  <cols><col min="5" max="6" width="0" hidden="1" customWidth="1"/></cols>
  <sheetData>
    <row r="1"><c r="A1" t="s"><v>0</v></c></row>
    <row r="7" hidden="1"><c r="A7"><v>1</v></c><c r="B7"><f>A7+1</f><v /></c><c r="C7"><f>A7</f><v>1</v></c></row>
    <row><c><v>2</v></c></row>
  </sheetData>
  <mergeCells count="1"><mergeCell ref="A2:A5"/></mergeCells>
</worksheet>"#;
        let layout = scan_sheet(xml.as_bytes()).unwrap();
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
        assert_eq!(cell_attr(" r=\"B12\" s=\"1\""), Some((11, 1)));
        assert_eq!(cell_attr("s='1' r='C3'"), Some((2, 2)));
        assert_eq!(cell_attr("t=\"s\""), None);
    }
}
