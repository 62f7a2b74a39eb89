//! Fuzz property of the Excel workbook reader: a workbook throughline wrote (English and
//! Hebrew sheets, checklists) and a person's workbook, damaged inside the archive (sheet,
//! shared strings, styles and workbook XML mutated; parts left out; huge declared sizes) or as
//! raw bytes, then observed by the connector as a sync would.
//!
//! What must hold: `observe` returns tasks or a typed error that names the file, never a panic,
//! and no declared size is allocated (`scripts/fuzz` runs this under a memory limit). The
//! number of cases is `THROUGHLINE_FUZZ_CASES` (default 256); `scripts/fuzz` runs 100,000.

#[path = "../../../tests/fuzz_support/mutate.rs"]
mod mutate;
#[path = "../../../tests/fuzz_support/zipped.rs"]
mod zipped;

use std::path::Path;

use jiff::civil::date;
use proptest::prelude::*;
use throughline_connector::{
    Change, Connector, DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields,
};
use throughline_excel::{ExcelConnector, ExcelMapping};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn task(process: &str, item: &str, stage: &str, title: &str, rtl: bool) -> DesiredTask {
    let identity = format!("{item}/{stage}");
    DesiredTask {
        identity: identity.clone(),
        fields: TaskFields {
            title: title.into(),
            description: "‏הערות\nNotes".into(),
            group: stage.into(),
            owner: Some("dana@example.com".into()),
            start: Some(date(2026, 3, 8)),
            due: Some(date(2026, 3, 10)),
        },
        state: State::Todo,
        context: TaskContext {
            process: process.into(),
            process_name: process.into(),
            item: item.into(),
            item_title: item.into(),
            stage: stage.into(),
            stage_name: stage.into(),
            rtl,
            ..TaskContext::default()
        },
        entries: vec![DesiredEntry {
            identity: format!("{identity}/source"),
            fields: EntryFields {
                text: "Write down the source".into(),
                owner: None,
                due: Some(date(2026, 3, 9)),
            },
            checked: true,
        }],
    }
}

/// A workbook the connector wrote itself: an English process and a Hebrew one.
fn written_workbook(dir: &Path) -> Vec<u8> {
    let path = dir.join("seed.xlsx");
    let mut conn = ExcelConnector::new("fuzz", &path, ExcelMapping::default());
    runtime().block_on(async {
        conn.observe(None).await.unwrap();
        let changes = [
            Change::CreateTask {
                task: task("content", "spring-sale", "copy", "Spring sale: Copy", false),
            },
            Change::CreateTask {
                task: task("שיווק", "מבצע", "כתיבה", "מבצע אביב: כתיבה", true),
            },
        ];
        for result in conn.apply(&changes).await {
            result.unwrap();
        }
    });
    std::fs::read(&path).unwrap()
}

#[test]
fn fuzz_workbook_read() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        written_workbook(dir.path()),
        include_bytes!("../../../tests/fixtures/import/calendar_he.xlsx").to_vec(),
        include_bytes!("../../../tests/fixtures/import/checklist.xlsx").to_vec(),
    ]
    .map(|bytes| zipped::unzip(&bytes));
    let path = dir.path().join("plan.xlsx");
    let rt = runtime();
    let strategy = (0..seeds.len(), zipped::damage());
    mutate::run("excel workbook", strategy, |(s, damage)| {
        std::fs::write(&path, zipped::damaged(&seeds[s], &damage)).unwrap();
        let mut conn = ExcelConnector::new("fuzz", &path, ExcelMapping::default());
        match mutate::tolerating_upstream(|| rt.block_on(conn.observe(None))) {
            None | Some(Ok(_)) => {}
            Some(Err(e)) => {
                let message = e.to_string();
                prop_assert!(
                    message.contains("plan.xlsx"),
                    "the error names no file: {message}"
                );
            }
        }
        Ok(())
    });
}

/// Found by `fuzz_workbook_read`: a cell at row 4,000,000,000 made the reader allocate a row
/// vector of 96 GB (the process aborted). Now the file is refused as damaged, by name.
#[test]
fn a_cell_past_excels_grid_is_refused_without_allocating_it() {
    let dir = tempfile::tempdir().unwrap();
    let parts = zipped::unzip(&written_workbook(dir.path()));
    let path = dir.path().join("plan.xlsx");
    std::fs::write(
        &path,
        zipped::damaged(&parts, &zipped::Damage::FarCell(4_000_000_000, 1)),
    )
    .unwrap();
    let mut conn = ExcelConnector::new("fuzz", &path, ExcelMapping::default());
    let err = runtime()
        .block_on(conn.observe(None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("plan.xlsx"), "{err}");
    assert!(err.contains("row 4000000000"), "{err}");
}
