//! `throughline import` on files that cannot be imported: each gives one clear error that
//! names the file (and the place, where there is one), exits 1, does not panic, and writes
//! nothing into the output folder.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn import(file: &str, extra: &[&str]) -> (Output, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["import", file, "--out", out.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(&args)
        // A sheets:<id> source reads its credentials from these; none here.
        .env_remove("THROUGHLINE_SHEETS_TOKEN")
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env_remove("THROUGHLINE_SHEETS_URL")
        .output()
        .expect("run throughline");
    (o, out)
}

/// Exit 1, a single `error:` message containing every fragment, no panic, nothing written.
fn refused(file: &str, extra: &[&str], fragments: &[&str]) {
    let (o, out) = import(file, extra);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{file}: {stderr}");
    assert!(stderr.starts_with("error: "), "{file}: {stderr}");
    assert!(!stderr.contains("panicked"), "{file}: {stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "{file}: expected {f:?} in: {stderr}");
    }
    assert_eq!(
        fs::read_dir(out.path()).unwrap().count(),
        0,
        "{file}: files were written"
    );
}

fn temp_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

/// Deterministic noise (xorshift), so the test never depends on a random seed.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

#[test]
fn empty_files() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["empty.xlsx", "empty.csv"] {
        let f = temp_file(dir.path(), name, b"");
        refused(&f, &[], &[name, "the file is empty"]);
    }
    // Only blank lines: a CSV with nothing in it.
    let f = temp_file(dir.path(), "blank.csv", b"\n\n , ,\n");
    refused(&f, &[], &["blank.csv", "every sheet is empty"]);
}

#[test]
fn password_protected_workbook() {
    refused(
        &fixture("protected.xlsx"),
        &[],
        &[
            "protected.xlsx",
            "protected with a password",
            "remove the password",
        ],
    );
}

#[test]
fn corrupt_workbooks() {
    let dir = tempfile::tempdir().unwrap();
    let good = fs::read(fixture("calendar_en.xlsx")).unwrap();
    let f = temp_file(dir.path(), "cut.xlsx", &good[..good.len() / 2]);
    refused(&f, &[], &["cut.xlsx", "damaged"]);
    // A ZIP signature followed by nothing sensible.
    let mut zipish = b"PK\x03\x04".to_vec();
    zipish.extend(noise(4096));
    let f = temp_file(dir.path(), "garbage.xlsx", &zipish);
    refused(&f, &[], &["garbage.xlsx", "damaged"]);
    // An OLE container that is not a workbook.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(noise(4096));
    let f = temp_file(dir.path(), "old.xls", &ole);
    refused(&f, &[], &["old.xls", "damaged"]);
}

#[test]
fn files_that_are_not_spreadsheets() {
    let dir = tempfile::tempdir().unwrap();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let f = temp_file(dir.path(), "logo.xlsx", png);
    refused(
        &f,
        &[],
        &["logo.xlsx", "this is a PNG picture, not a spreadsheet"],
    );
    let f = temp_file(
        dir.path(),
        "notes.xlsx",
        b"Title,Date\nSpring sale,2026-03-10\n",
    );
    refused(&f, &[], &["notes.xlsx", "plain text", "rename it to .csv"]);
    let f = temp_file(dir.path(), "logo.csv", png);
    refused(
        &f,
        &[],
        &["logo.csv", "this is a PNG picture, not a spreadsheet"],
    );

    // A Word document is a ZIP too.
    let path = dir.path().join("letter.docx");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    zip.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(b"<w:document/>").unwrap();
    zip.finish().unwrap();
    refused(
        path.to_str().unwrap(),
        &[],
        &["letter.docx", "a Word document, not a spreadsheet"],
    );

    refused(
        "/nonexistent/plan.xlsx",
        &[],
        &["/nonexistent/plan.xlsx", "no such file"],
    );
    refused(dir.path().to_str().unwrap(), &[], &["this is a folder"]);
}

#[test]
fn a_sheet_without_a_recognisable_header() {
    refused(
        &fixture("no_header.xlsx"),
        &[],
        &[
            "Numbers: no header row found in the first 7 rows",
            "the first row with text holds: \"1\", \"2\", \"3\", \"x\"",
            "--map",
        ],
    );
    // A header is found, but not the columns a calendar needs.
    let dir = tempfile::tempdir().unwrap();
    let f = temp_file(
        dir.path(),
        "people.csv",
        b"Owner,Channel,Notes\ndana,Blog,x\n",
    );
    refused(
        &f,
        &["--as", "items"],
        &[
            "people.csv!1:1",
            "needs a title column",
            "and a go-live date column",
            "title = \"...\", golive = \"...\"",
        ],
    );
}

#[test]
fn nothing_usable_in_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let f = temp_file(
        dir.path(),
        "bad.csv",
        b"Title,Publish date\nSpring sale,soon\nWeekly tip,31/02/2026\n",
    );
    let (o, out) = import(&f, &[]);
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("bad.csv!B2: \"soon\" is not a date"),
        "{stdout}"
    );
    assert!(
        stdout.contains("bad.csv!B3: \"31/02/2026\" is not a real date: February 2026 has 28 days"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing usable was found"));
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn sources_options_and_mapping_files_that_do_not_work() {
    refused(
        "sheets:1AbCdEf",
        &[],
        &[
            "sheets:1AbCdEf",
            "no Google credentials",
            "THROUGHLINE_SHEETS_TOKEN",
            "Download",
        ],
    );
    refused(
        &fixture("calendar_en.xlsx"),
        &["--sheet", "Plan"],
        &["no sheet named \"Plan\"", "\"Read me\", \"Calendar\""],
    );
    refused(
        &fixture("calendar_he_1255.csv"),
        &["--encoding", "klingon"],
        &["\"klingon\" is not an encoding"],
    );

    let dir = tempfile::tempdir().unwrap();
    let map = temp_file(
        dir.path(),
        "map.toml",
        b"date_order = \"dm\"\n[columns]\ntitle = \"Headline\"\n",
    );
    refused(
        &fixture("calendar_en.xlsx"),
        &["--map", &map],
        &["map.toml:1:14: date_order = \"dm\" is not known"],
    );
    let map = temp_file(dir.path(), "map2.toml", b"[columns]\ngolive = \"Datum\"\n");
    refused(
        &fixture("calendar_en.xlsx"),
        &["--map", &map],
        &[
            "map2.toml:2:10: columns.golive = \"Datum\": the header row (Calendar!4:4) has no column with this title",
        ],
    );
}

#[test]
fn fifty_megabyte_files() {
    let dir = tempfile::tempdir().unwrap();
    const SIZE: usize = 50 * 1024 * 1024;
    // Noise named like a workbook.
    let f = temp_file(dir.path(), "big.xlsx", &noise(SIZE));
    refused(&f, &[], &["big.xlsx", "not a workbook"]);
    // 50 MB of text rows without any header.
    let mut text = Vec::with_capacity(SIZE + 100);
    let mut i = 0u64;
    while text.len() < SIZE {
        text.extend_from_slice(
            format!(
                "{i},{},row {i} of nothing in particular,{}\n",
                i * 7,
                i % 13
            )
            .as_bytes(),
        );
        i += 1;
    }
    let f = temp_file(dir.path(), "big.csv", &text);
    refused(
        &f,
        &[],
        &["big.csv: no header row found in the first 30 rows"],
    );
    // A ZIP signature in front of 50 MB of noise.
    let mut zipish = b"PK\x03\x04".to_vec();
    zipish.extend(noise(SIZE));
    let f = temp_file(dir.path(), "big_zip.xlsx", &zipish);
    refused(&f, &[], &["big_zip.xlsx", "damaged"]);
}
