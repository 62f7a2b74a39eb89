//! Fuzz properties of `throughline import`'s readers (`import::prepare`): CSV and UTF-16 text,
//! .xlsx/.xlsm and .ods (damaged inside the archive, so the damage reaches the XML), legacy
//! .xls, and the import mapping file. Seeds are the import fixtures.
//!
//! What must hold: `prepare` returns a plan or a typed error, never a panic; every problem it
//! reports names its cell; the report and the error can be printed.

use crate::mutate;
use crate::zipped;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use throughline::import::{self, Kind, Options, Progress};

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../fixtures/import/", $name)).as_slice(),
        )
    };
}

const TEXT: &[(&str, &[u8])] = &[
    fixture!("calendar_mdy.csv"),
    fixture!("calendar_he_1255.csv"),
    fixture!("headline_map.csv"),
    fixture!("calendar_utf16.txt"),
];

const ZIPPED: &[(&str, &[u8])] = &[
    fixture!("calendar_en.xlsx"),
    fixture!("calendar_he.xlsx"),
    fixture!("calendar_1904.xlsx"),
    fixture!("checklist.xlsx"),
    fixture!("checklist.xlsm"),
    fixture!("checklist_headings.xlsx"),
    fixture!("no_header.xlsx"),
    fixture!("calendar_en.ods"),
    fixture!("checklist_he.ods"),
];

const OLE: &[(&str, &[u8])] = &[fixture!("calendar_en.xls")];

fn kind() -> impl Strategy<Value = Option<Kind>> {
    prop_oneof![
        Just(None),
        Just(Some(Kind::Items)),
        Just(Some(Kind::Playbook))
    ]
}

/// Import `bytes` as a file named `name` (its extension picks the reader when the content
/// does not), optionally with a mapping file, into an empty deployment folder.
fn import_checked(
    name: &str,
    bytes: &[u8],
    map: Option<&[u8]>,
    kind: Option<Kind>,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    let map = map.map(|text| {
        let path = dir.path().join("map.toml");
        std::fs::write(&path, text).unwrap();
        path
    });
    let out = dir.path().join("deployment");
    std::fs::create_dir(&out).unwrap();
    let opts = Options {
        file: file.to_string_lossy().into_owned(),
        kind,
        sheet: None,
        map,
        encoding: None,
        out,
        progress: Progress::hidden(),
    };
    let Some(prepared) = mutate::tolerating_upstream(|| import::prepare(&opts)) else {
        return Ok(());
    };
    match prepared {
        Ok(plan) => {
            for p in &plan.report.problems {
                prop_assert!(!p.at.to_string().is_empty(), "a problem without a cell");
                prop_assert!(!p.message.trim().is_empty(), "an empty problem at {}", p.at);
            }
            let _ = plan.report.to_string();
        }
        Err(e) => {
            prop_assert!(!e.to_string().trim().is_empty(), "an error without words");
            if let import::ImportError::Map(diags) = &e {
                for d in diags.iter() {
                    prop_assert!(d.line >= 1 && d.col >= 1, "no place in {d}");
                    prop_assert!(Path::new(&d.file).ends_with("map.toml"), "{d}");
                }
            }
        }
    }
    Ok(())
}

#[test]
fn fuzz_import_text() {
    let seeds = TEXT.iter().map(|(_, b)| b.to_vec()).collect();
    let strategy = (
        proptest::sample::select(vec!["plan.csv", "plan.txt", "plan.tsv"]),
        mutate::mutated(seeds),
        kind(),
    );
    mutate::run("import csv/text", strategy, |(name, bytes, kind)| {
        import_checked(name, &bytes, None, kind)
    });
}

#[test]
fn fuzz_import_workbooks() {
    let seeds: Vec<(&str, zipped::Parts)> = ZIPPED
        .iter()
        .map(|(name, bytes)| (*name, zipped::unzip(bytes)))
        .collect();
    let strategy = (0..seeds.len(), zipped::damage(), kind());
    mutate::run("import xlsx/ods", strategy, |(s, damage, kind)| {
        let (name, parts) = &seeds[s];
        import_checked(name, &zipped::damaged(parts, &damage), None, kind)
    });
}

#[test]
fn fuzz_import_xls() {
    let seeds = OLE.iter().map(|(_, b)| b.to_vec()).collect();
    mutate::run(
        "import xls",
        (mutate::mutated(seeds), kind()),
        |(bytes, kind)| import_checked("plan.xls", &bytes, None, kind),
    );
}

#[test]
fn fuzz_import_mapping_file() {
    let map = include_bytes!("../fixtures/import/headline_map.toml").to_vec();
    let csv = include_bytes!("../fixtures/import/headline_map.csv");
    mutate::run("import mapping file", mutate::mutated(vec![map]), |map| {
        import_checked("headline_map.csv", csv, Some(&map), None)
    });
}

/// Import `bytes` as `name` and return the error it must end in.
fn import_error(name: &str, bytes: &[u8]) -> import::ImportError {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    let out = dir.path().join("deployment");
    std::fs::create_dir(&out).unwrap();
    let opts = Options {
        file: file.to_string_lossy().into_owned(),
        kind: None,
        sheet: None,
        map: None,
        encoding: None,
        out,
        progress: Progress::hidden(),
    };
    import::prepare(&opts).expect_err("a damaged workbook")
}

/// Found by `fuzz_import_xls`: one flipped bit in the OLE header made calamine's sector reader
/// panic, ending the import; now it is reported as a damaged file.
#[test]
fn a_damaged_xls_is_reported_not_a_crash() {
    let mut bytes = OLE[0].1.to_vec();
    bytes[64] ^= 1;
    let err = import_error("plan.xls", &bytes);
    assert!(matches!(err, import::ImportError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("plan.xls"), "{err}");
}

/// Found by `fuzz_import_workbooks`: one cell at row 4,000,000,000 made the reader allocate the
/// whole rectangle up to it (petabytes: the process aborted); now the sheet is refused, naming
/// the cell.
#[test]
fn a_cell_far_from_the_rest_is_refused_before_it_is_allocated() {
    let parts = zipped::unzip(ZIPPED[0].1);
    let bytes = zipped::damaged(&parts, &zipped::Damage::FarCell(4_000_000_000, 3));
    let err = import_error("plan.xlsx", &bytes).to_string();
    assert!(err.contains("row 4000000000, column 3"), "{err}");
    assert!(err.contains("plan.xlsx"), "{err}");
}

/// Found by `fuzz_import_workbooks`: an .ods row repeated 1,048,576 times made calamine return
/// a rectangle its cells do not fill, and reading it panicked; now it is refused, either as a
/// damaged file or as a sheet past Excel's 1,048,576 rows.
#[test]
fn an_ods_with_rows_repeated_past_the_limit_is_not_a_crash() {
    let parts = zipped::unzip(ZIPPED[7].1);
    let bytes = zipped::damaged(&parts, &zipped::Damage::FarCell(1_048_576, 1));
    let err = import_error("plan.ods", &bytes);
    assert!(
        matches!(
            err,
            import::ImportError::Corrupt { .. } | import::ImportError::TooManyRows { .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("plan.ods"), "{err}");
}
