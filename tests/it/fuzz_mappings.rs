//! Fuzz properties of mapping files (`mappings/*.toml` and users' copies): each shipped
//! mapping damaged (bytes flipped, cut short, keys spliced, huge numbers, deep nesting, Hebrew
//! and direction marks, NUL, very long text), read as TOML and then by its connector's reader
//! and by the engine's `[task]`/`[drift]` reader.
//!
//! What must hold: each reader returns a mapping or a typed error with words in it, never a
//! panic. The number of cases is `THROUGHLINE_FUZZ_CASES` (default 256); `scripts/fuzz` runs
//! 100,000 per mapping kind.

use crate::mutate;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use throughline::engine::mapping::TaskMapping;

/// Read `bytes` as the mapping of `kind` the way a target does.
fn read_mapping(kind: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(());
    };
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Ok(());
    };
    let connector = match kind {
        "trello" => throughline_trello::TrelloMapping::from_toml(&table)
            .map(drop)
            .map_err(|e| e.to_string()),
        "asana" => throughline_asana::AsanaMapping::from_toml(&table)
            .map(drop)
            .map_err(|e| e.to_string()),
        "sheets" => throughline_sheets::SheetsMapping::from_toml(&table)
            .map(drop)
            .map_err(|e| e.to_string()),
        _ => throughline_excel::ExcelMapping::from_toml(&table)
            .map(drop)
            .map_err(|e| e.to_string()),
    };
    if let Err(message) = connector {
        prop_assert!(!message.trim().is_empty(), "an error without words");
    }
    if let Err(e) = TaskMapping::from_table(&table, Path::new("mapping.toml")) {
        prop_assert!(!e.message.trim().is_empty(), "an error without words");
    }
    Ok(())
}

fn property(kind: &'static str, seed: &[u8]) {
    mutate::run(
        &format!("mapping {kind}"),
        mutate::mutated(vec![seed.to_vec()]),
        |bytes| read_mapping(kind, &bytes),
    );
}

#[test]
fn fuzz_mapping_trello() {
    property("trello", include_bytes!("../../mappings/trello.toml"));
}

#[test]
fn fuzz_mapping_asana() {
    property("asana", include_bytes!("../../mappings/asana.toml"));
}

#[test]
fn fuzz_mapping_sheets() {
    property("sheets", include_bytes!("../../mappings/sheets.toml"));
}

#[test]
fn fuzz_mapping_excel() {
    property("excel", include_bytes!("../../mappings/excel.toml"));
}
