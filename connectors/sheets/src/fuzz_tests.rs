//! Fuzz properties of what the connector reads from Google Sheets: the spreadsheet's structure
//! (`spreadsheets.get`: tabs, developer metadata, row metadata) and the tabs' values
//! (`values:batchGet`), put together into the snapshot and observed as tasks and entries
//! (header detection in English and Hebrew, status words, tick boxes, dates, identities from
//! row metadata or the ID column). Inputs are bodies shaped like Google's, damaged (values
//! replaced by generated ones or removed, bytes flipped, cut short, huge numbers, deep nesting,
//! Hebrew and direction marks, NUL, very long text), and JSON generated from the field names
//! the decoder knows.
//!
//! Here, inside `snapshot`, because the structure and the snapshot are private. The number
//! of cases is `THROUGHLINE_FUZZ_CASES` (default 256); `scripts/fuzz` runs 100,000.

#[path = "../../../tests/fuzz_support/mutate.rs"]
mod mutate;

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use proptest::prelude::*;
use serde_json::Value;

use super::{Snapshot, TabsFound};
use crate::client::FileMeta;
use crate::mapping::SheetsMapping;

/// One spreadsheet read: `structure` as `spreadsheets.get` answers and `values` as
/// `values:batchGet` answers (its `valueRanges`), an English tab and a Hebrew one.
const READ: &str = r#"{
  "structure": {"sheets": [
    {"properties": {"sheetId": 0, "title": "Content pipeline", "gridProperties": {"rowCount": 1000, "columnCount": 10}},
     "developerMetadata": [{"metadataId": 11, "metadataKey": "throughline.tab", "metadataValue": "Content pipeline"}],
     "data": [{"startRow": 0, "rowMetadata": [
        {}, {"developerMetadata": [{"metadataId": 21, "metadataKey": "throughline.id", "metadataValue": "spring-sale/idea"}]},
        {"developerMetadata": [{"metadataId": 22, "metadataKey": "throughline.id", "metadataValue": "spring-sale/idea/source"}]},
        {}]}]},
    {"properties": {"sheetId": 7, "title": "שיווק", "gridProperties": {"rowCount": 100, "columnCount": 10}},
     "developerMetadata": [{"metadataId": 12, "metadataKey": "throughline.tab", "metadataValue": "שיווק"}],
     "data": [{"startRow": 1, "rowMetadata": [
        {"developerMetadata": [{"metadataId": 23, "metadataKey": "throughline.id", "metadataValue": "מבצע/כתיבה"}]}]}]},
    {"properties": {"sheetId": 9, "title": "Notes"}}
  ]},
  "values": [
    {"range": "'Content pipeline'!A1:J1000", "majorDimension": "ROWS", "values": [
      ["ID", "Item", "Stage", "Task", "Owner", "Start", "Due", "Status", "Done", "Description"],
      ["spring-sale/idea", "Spring sale", "Idea", "Idea and brief", "dana@example.com", "2026-03-08", "2026-03-10", "In progress", false, "Notes"],
      ["spring-sale/idea/source", "", "", "  Write down the source", "", "", "46090", "", true, ""],
      ["spring-sale/copy", "Spring sale", "Copy", "Copy", "", "", "", "✓", "", ""]
    ]},
    {"range": "'שיווק'!A1:J100", "values": [
      ["מזהה", "פריט", "שלב", "משימה", "אחראי", "התחלה", "תאריך יעד", "סטטוס", "בוצע", "תיאור"],
      ["מבצע/כתיבה", "מבצע אביב", "כתיבה", "‏כתיבה", "נועה", "", "10/03/2026", "בוצע", "TRUE", "‏הערות"]
    ]}
  ]
}"#;

const KEYS: &[&str] = &[
    "structure",
    "sheets",
    "properties",
    "sheetId",
    "title",
    "gridProperties",
    "rowCount",
    "columnCount",
    "developerMetadata",
    "metadataId",
    "metadataKey",
    "metadataValue",
    "data",
    "startRow",
    "rowMetadata",
    "values",
    "range",
    "majorDimension",
    "throughline.tab",
    "throughline.id",
];

/// Put a read together and observe it, as `observe` does.
fn observe_read(body: &[u8], mapping: &SheetsMapping) -> Result<(), TestCaseError> {
    let Ok(read) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let Ok(found) = TabsFound::read(read["structure"].clone()) else {
        return Ok(());
    };
    let _ = found.titles();
    let values = read["values"].as_array().cloned().unwrap_or_default();
    let meta = FileMeta {
        modified: None,
        version: "7".into(),
    };
    let Ok(read) = Snapshot::build(found, &values, &meta, mapping, BTreeMap::new()) else {
        return Ok(());
    };
    let rows: usize = read.snapshot.tabs.iter().map(|t| t.rows.len()).sum();
    let _ = read.snapshot.index();
    let tasks = read.snapshot.observe(mapping, &TimeZone::UTC);
    let observed: usize = tasks.iter().map(|t| 1 + t.entries.len()).sum();
    prop_assert!(
        observed <= rows,
        "{observed} tasks and entries from {rows} rows"
    );
    Ok(())
}

#[test]
fn fuzz_spreadsheet_read() {
    let mapping = SheetsMapping::default();
    mutate::run("sheets read", mutate::json_body(&[READ], KEYS), |body| {
        observe_read(&body, &mapping)
    });
}

#[test]
fn fuzz_spreadsheet_generated() {
    let mapping = SheetsMapping::default();
    mutate::run("sheets read generated", mutate::json(KEYS), |value| {
        observe_read(&serde_json::to_vec(&value).unwrap(), &mapping)
    });
}

/// The Hebrew tab's row metadata, starting at `start_row` with `before` empty entries first.
fn hebrew_rows_at(start_row: u64, before: usize) -> Vec<u8> {
    let mut read: Value = serde_json::from_str(READ).unwrap();
    let data = &mut read["structure"]["sheets"][1]["data"][0];
    data["startRow"] = start_row.into();
    let rows = data["rowMetadata"].as_array_mut().unwrap();
    for _ in 0..before {
        rows.insert(0, Value::Object(Default::default()));
    }
    serde_json::to_vec(&read).unwrap()
}

/// Found by `fuzz_spreadsheet_read`: row metadata past row 4,294,967,295 overflowed the row
/// number (a panic with overflow checks, a wrong row without).
#[test]
fn row_metadata_past_the_last_row_number_is_ignored() {
    let mapping = SheetsMapping::default();
    let body = hebrew_rows_at(u64::from(u32::MAX), 1);
    observe_read(&body, &mapping).unwrap();
    let read: Value = serde_json::from_slice(&body).unwrap();
    let found = TabsFound::read(read["structure"].clone()).unwrap();
    let values = read["values"].as_array().unwrap();
    let meta = FileMeta {
        modified: None,
        version: "7".into(),
    };
    let built = Snapshot::build(found, values, &meta, &mapping, BTreeMap::new()).unwrap();
    // The Hebrew tab keeps its one row from the ID column; the metadata row does not exist.
    let rows: Vec<u32> = built.snapshot.tabs[1].rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [1]);
}

/// Found by `fuzz_spreadsheet_read`: one metadata entry four billion rows down cost a pass
/// over every row above it (minutes of work and a cell vector per row); now only rows with
/// values or metadata are visited.
#[test]
fn row_metadata_far_down_costs_one_row() {
    let mapping = SheetsMapping::default();
    let body = hebrew_rows_at(4_000_000_000, 0);
    let read: Value = serde_json::from_slice(&body).unwrap();
    let found = TabsFound::read(read["structure"].clone()).unwrap();
    let meta = FileMeta {
        modified: None,
        version: "7".into(),
    };
    let values = read["values"].as_array().unwrap();
    let built = Snapshot::build(found, values, &meta, &mapping, BTreeMap::new()).unwrap();
    let rows: Vec<(u32, &str)> = built.snapshot.tabs[1]
        .rows
        .iter()
        .map(|r| (r.row, r.identity.as_str()))
        .collect();
    // Row 2's ID cell names the same task: a person's copy, as before.
    assert_eq!(rows, [(4_000_000_000, "מבצע/כתיבה")]);
}
