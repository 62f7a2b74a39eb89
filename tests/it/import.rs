//! `throughline import` on spreadsheets made by other programs (openpyxl, LibreOffice, Python's
//! csv module; see `tests/fixtures/import/make_fixtures.py`). Each fixture's ids, dates, stages
//! and reported problems (with their cell references) are checked, the written files must pass
//! `throughline validate`, and importing the same file again must give the same files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use throughline::import::grid::DateSystem;
use throughline::import::progress::Progress;
use throughline::import::report::SkipReason;
use throughline::import::source::{self, TextOptions};
use throughline::import::{Kind, Options, Plan, prepare};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn options(name: &str, out: &Path) -> Options {
    Options {
        file: fixture(name),
        kind: None,
        sheet: None,
        map: None,
        encoding: None,
        out: out.to_path_buf(),
        progress: Progress::hidden(),
    }
}

fn plan(name: &str) -> Plan {
    let out = tempfile::tempdir().unwrap();
    prepare(&options(name, out.path())).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The contents of the file the plan writes at `path`, parsed.
fn file(plan: &Plan, path: &str) -> toml::Table {
    let f = plan
        .files
        .iter()
        .find(|f| f.path == Path::new(path))
        .unwrap_or_else(|| {
            panic!(
                "no {path} among {:?}",
                plan.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        });
    toml::from_str(&f.contents)
        .unwrap_or_else(|e| panic!("{path} is not valid TOML: {e}\n{}", f.contents))
}

/// `(id, golive, title)` of every item.
fn items(plan: &Plan, path: &str) -> Vec<(String, String, String)> {
    file(plan, path)["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["golive"].to_string(),
                i["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn item<'a>(table: &'a toml::Table, id: &str) -> &'a toml::Value {
    table["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no item {id}"))
}

fn problems(plan: &Plan) -> Vec<String> {
    let mut p: Vec<_> = plan.report.problems.iter().collect();
    p.sort_by_key(|p| (p.at.row, p.at.col));
    p.iter().map(|p| p.to_string()).collect()
}

fn skipped(plan: &Plan, reason: SkipReason) -> Vec<u32> {
    let mut rows: Vec<u32> = plan
        .report
        .skipped
        .iter()
        .filter(|s| s.reason == reason)
        .map(|s| s.row + 1)
        .collect();
    rows.sort();
    rows
}

fn ambiguous(plan: &Plan) -> Vec<String> {
    plan.report
        .ambiguous
        .iter()
        .map(|a| format!("{} {} {}", a.at, a.text, a.date))
        .collect()
}

fn s(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn english_calendar_header_on_row_4_with_hidden_rows_duplicates_and_bad_dates() {
    let p = plan("calendar_en.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Items));
    assert!(
        p.report
            .kind_guess
            .as_deref()
            .unwrap()
            .contains("\"Publish date\"")
    );
    assert_eq!(
        p.report.sheet, "Calendar",
        "the first sheet has no header, the second has"
    );
    assert_eq!(p.report.header.as_ref().unwrap().row, 3, "header on row 4");
    assert_eq!(
        items(&p, "items/calendar-en.toml"),
        s(&[
            (
                "spring-sale-announcement",
                "2026-03-10",
                "Spring sale announcement"
            ),
            ("weekly-tip-2026-03-03", "2026-03-03", "Weekly tip"),
            ("weekly-tip-2026-04-07", "2026-04-07", "Weekly tip"),
            ("customer-story-lior", "2026-04-14", "Customer story: Lior"),
            ("weekly-tip-2026-04-21", "2026-04-21", "Weekly tip"),
        ])
    );
    let table = file(&p, "items/calendar-en.toml");
    let spring = item(&table, "spring-sale-announcement");
    assert_eq!(spring["channel"].as_str(), Some("Instagram"));
    assert_eq!(spring["people"]["owner"].as_str(), Some("dana@example.com"));
    assert_eq!(
        spring["notes"].as_str(),
        Some("Hero image from the shoot"),
        "read from the hidden column E"
    );
    assert_eq!(spring["process"].as_str(), Some("content"));
    assert_eq!(
        problems(&p),
        vec![
            "Calendar!B12: \"2026-02-30\" is not a real date: February 2026 has 28 days; row skipped",
            "Calendar!B13: \"Product video\" has no go-live date; row skipped",
            "Calendar!B14: \"TBD\" is not a date; write the go-live date like 2026-03-04; row skipped",
            "Calendar!B15: holds a formula whose result was never saved (the program that wrote the file does not \
             calculate); open the file in Excel or LibreOffice, save it, and import it again; row skipped",
        ]
    );
    assert_eq!(
        skipped(&p, SkipReason::Heading),
        vec![7],
        "the merged \"April\" row"
    );
    assert_eq!(skipped(&p, SkipReason::Blank), vec![10]);
    assert_eq!(skipped(&p, SkipReason::Totals), vec![16]);
    assert_eq!(skipped(&p, SkipReason::Problem), vec![12, 13, 14, 15]);
    assert_eq!(p.report.rows_read, 12);
    assert_eq!(p.report.renamed.len(), 1);
    assert!(
        p.report.renamed[0]
            .contains("\"Weekly tip\" appears 3 times (Calendar!A6, Calendar!A8, Calendar!A11)")
    );
    let layout = p.report.layout.join("\n");
    assert!(layout.contains("hidden row 9 was imported"), "{layout}");
    assert!(
        layout.contains("hidden columns were read like the others: E \"Notes\""),
        "{layout}"
    );
    // The Status column is read: "Planned" is to do, and the row marked "Done" is done at every
    // stage of its process (the starter's one stage).
    assert!(
        p.report
            .columns
            .iter()
            .any(|(what, col, _)| what == "status" && col == "F \"Status\""),
        "{:?}",
        p.report.columns
    );
    let done: Vec<(String, String)> = p
        .statuses
        .iter()
        .map(|s| (s.identity.clone(), s.at.to_string()))
        .collect();
    assert_eq!(
        done,
        [(
            "weekly-tip-2026-03-03/publish".to_string(),
            "Calendar!F6".to_string()
        )]
    );
    // The starter playbook makes the items loadable on their own.
    let starter = file(&p, "playbooks/content.toml");
    assert_eq!(starter["stage"][0]["id"].as_str(), Some("publish"));
    assert_eq!(
        starter["roles"]["owner"]["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["dana@example.com", "noa@example.com"]
    );
    let report = p.report.to_string();
    assert!(
        report.contains("Rows: 12 read, 5 items, 7 skipped."),
        "{report}"
    );
}

#[test]
fn libreoffice_saves_formula_results_and_xls_and_ods_read_the_same() {
    // LibreOffice recalculated the workbook: the formula's cached value is used.
    for (name, stem) in [
        ("calendar_en_lo.xlsx", "calendar-en-lo"),
        ("calendar_en.xls", "calendar-en"),
        ("calendar_en.ods", "calendar-en"),
    ] {
        let p = plan(name);
        let got = items(&p, &format!("items/{stem}.toml"));
        assert_eq!(got.len(), 6, "{name}: {got:?}");
        assert!(
            got.contains(&(
                "summer-teaser".into(),
                "2026-06-18".into(),
                "Summer teaser".into()
            )),
            "{name}: {got:?}"
        );
        assert!(
            got.contains(&(
                "weekly-tip-2026-04-07".into(),
                "2026-04-07".into(),
                "Weekly tip".into()
            )),
            "{name}"
        );
        assert_eq!(problems(&p).len(), 3, "{name}: {:?}", problems(&p));
        assert_eq!(
            skipped(&p, SkipReason::Heading),
            vec![7],
            "{name}: merged heading"
        );
        assert_eq!(skipped(&p, SkipReason::Totals), vec![16], "{name}");
        assert_eq!(skipped(&p, SkipReason::Blank), vec![10], "{name}");
    }
    let xls = plan("calendar_en.xls");
    assert!(
        xls.report
            .layout
            .iter()
            .any(|l| l.contains("not visible in .xls files")),
        "the report says what .xls cannot show: {:?}",
        xls.report.layout
    );
    let ods = plan("calendar_en.ods").report.layout.join("\n");
    assert!(ods.contains("hidden row 9 was imported"), "{ods}");
    assert!(
        ods.contains("hidden columns were read like the others: E \"Notes\""),
        "{ods}"
    );
}

#[test]
fn unicode_text_export_in_utf16_with_tabs() {
    let p = plan("calendar_utf16.txt");
    assert!(
        p.report.read_notes[0]
            .starts_with("read as UTF-16LE (byte order mark); columns separated by tabs")
    );
    assert_eq!(
        items(&p, "items/calendar-utf16.toml"),
        s(&[
            ("launch-post", "2026-09-01", "Launch post"),
            ("חג-שמח", "2026-09-14", "חג שמח")
        ])
    );
}

#[test]
fn hebrew_right_to_left_calendar_reads_dates_day_first_and_lists_the_ambiguous_ones() {
    let p = plan("calendar_he.xlsx");
    assert_eq!(p.report.sheet, "לוח תוכן");
    assert_eq!(
        items(&p, "items/calendar-he.toml"),
        s(&[
            ("מבצע-אביב", "2026-04-03", "מבצע אביב"),
            ("טיפ-שבועי", "2026-03-25", "טיפ שבועי"),
            ("סיפור-לקוח", "2026-05-10", "סיפור לקוח"),
            ("השקת-מוצר", "2026-06-05", "השקת מוצר"),
        ])
    );
    let table = file(&p, "items/calendar-he.toml");
    assert_eq!(
        item(&table, "טיפ-שבועי")["channel"].as_str(),
        Some("אינסטגרם"),
        "merged C3:C4 applies to row 4"
    );
    assert_eq!(
        item(&table, "סיפור-לקוח")["notes"].as_str(),
        Some("לבדוק עם הלקוח")
    );
    assert_eq!(
        item(&table, "השקת-מוצר")["people"]["owner"].as_str(),
        Some("יוסי")
    );
    assert_eq!(
        ambiguous(&p),
        vec![
            "'לוח תוכן'!B3 03/04/2026 2026-04-03",
            "'לוח תוכן'!B6 05/06/2026 2026-06-05"
        ]
    );
    let order = p.report.date_order.as_deref().unwrap();
    assert!(
        order.starts_with("day/month/year (as 'לוח תוכן'!B4 \"25/03/2026\" shows"),
        "{order}"
    );
    assert_eq!(
        problems(&p),
        vec![
            "'לוח תוכן'!B7: \"31/04/2026\" is not a real date: April 2026 has 30 days; row skipped"
        ]
    );
    assert_eq!(skipped(&p, SkipReason::Totals), vec![8]);
    assert!(p.report.layout.iter().any(|l| l.contains("right-to-left")));
    let starter = file(&p, "playbooks/content.toml");
    assert_eq!(
        starter["process"]["timezone"].as_str(),
        Some("Asia/Jerusalem")
    );
    assert_eq!(starter["process"]["lang"].as_str(), Some("he"));
    assert_eq!(starter["process"]["workweek"][0].as_str(), Some("sun"));
    assert_eq!(starter["roles"]["owner"]["name"].as_str(), Some("אחראי"));
}

#[test]
fn a_1904_workbook_gives_the_same_calendar_dates() {
    // The fixture really is in the 1904 system: checked through the source, not the importer.
    let mut src = source::open(&fixture("calendar_1904.xlsx"), &TextOptions::default()).unwrap();
    let grid = src.read("Plan", &Progress::hidden()).unwrap();
    assert_eq!(grid.date_system, Some(DateSystem::Excel1904));

    let p = plan("calendar_1904.xlsx");
    assert_eq!(
        items(&p, "items/calendar-1904.toml"),
        s(&[
            ("launch-webinar", "2026-05-12", "Launch webinar"),
            ("case-study", "2026-06-02", "Case study"),
            // 44538 days after 1904-01-01; in the 1900 system it would be 2021-12-08.
            ("plain-serial", "2025-12-09", "Plain serial"),
        ])
    );
    assert_eq!(p.report.serials.len(), 1);
    assert_eq!(p.report.serials[0].0.to_string(), "Plan!B4");
    assert!(problems(&p).is_empty());
}

#[test]
fn us_csv_with_semicolons_bom_and_keys() {
    let p = plan("calendar_mdy.csv");
    assert!(
        p.report.read_notes[0].contains("UTF-8 (byte order mark)"),
        "{:?}",
        p.report.read_notes
    );
    assert!(
        p.report.read_notes[0].contains("semicolons"),
        "{:?}",
        p.report.read_notes
    );
    assert_eq!(
        items(&p, "items/calendar-mdy.toml"),
        s(&[
            ("spring-sale", "2026-03-25", "Spring sale"),
            ("weekly-tip", "2026-04-05", "Weekly tip"),
            (
                "tips-tricks-and-quotes",
                "2026-04-07",
                "Tips; tricks and \"quotes\""
            ),
            ("duplicate-key", "2026-04-09", "Duplicate key"),
            ("no-key-here", "2026-04-10", "No key here"),
        ])
    );
    // A key column that repeats a key is no id column: every row is kept, ids from titles.
    assert!(
        p.report.layout.iter().any(|l| l
            == "column A \"Key\" repeats \"P-2\" (calendar_mdy.csv!A5), so it is not used as \
                the id; ids come from the titles"),
        "{:?}",
        p.report.layout
    );
    assert!(
        p.report
            .date_order
            .as_deref()
            .unwrap()
            .starts_with("month/day/year (as calendar_mdy.csv!C2 \"03/25/2026\"")
    );
    assert_eq!(
        ambiguous(&p),
        vec![
            "calendar_mdy.csv!C3 04/05/2026 2026-04-05",
            "calendar_mdy.csv!C4 4/7/26 2026-04-07",
            "calendar_mdy.csv!C5 04/09/2026 2026-04-09",
            "calendar_mdy.csv!C6 04/10/2026 2026-04-10",
        ]
    );
    assert!(problems(&p).is_empty(), "{:?}", problems(&p));
}

#[test]
fn windows_1255_csv_detected_or_named() {
    let expected = s(&[
        ("מבצע-חנוכה", "2026-12-14", "מבצע חנוכה"),
        ("טיפ-שבועי", "2026-12-08", "טיפ שבועי"),
    ]);
    let p = plan("calendar_he_1255.csv");
    assert!(
        p.report.read_notes[0].starts_with("read as windows-1255 (detected"),
        "{:?}",
        p.report.read_notes
    );
    assert_eq!(items(&p, "items/calendar-he-1255.toml"), expected);
    assert_eq!(
        ambiguous(&p),
        vec!["calendar_he_1255.csv!B3 08.12.2026 2026-12-08"]
    );

    let out = tempfile::tempdir().unwrap();
    let named = prepare(&Options {
        encoding: Some("cp1255".into()),
        ..options("calendar_he_1255.csv", out.path())
    })
    .unwrap();
    assert!(
        named.report.read_notes[0].starts_with("read as windows-1255 (as named)"),
        "{:?}",
        named.report.read_notes
    );
    assert_eq!(items(&named, "items/calendar-he-1255.toml"), expected);
}

#[test]
fn a_mapping_file_names_the_header_row_columns_date_order_and_process() {
    let out = tempfile::tempdir().unwrap();
    let p = prepare(&Options {
        map: Some(fixture("headline_map.toml").into()),
        ..options("headline_map.csv", out.path())
    })
    .unwrap();
    assert!(p.report.header_from_map);
    assert_eq!(p.report.header.as_ref().unwrap().row, 1);
    assert_eq!(
        items(&p, "items/headline-map.toml"),
        s(&[
            ("march-issue", "2026-03-02", "March issue"),
            ("april-issue", "2026-04-06", "April issue")
        ])
    );
    assert_eq!(
        p.report.date_order.as_deref(),
        Some("day/month/year (set in the mapping file)")
    );
    assert_eq!(
        ambiguous(&p).len(),
        2,
        "both dates could be read either way, and are listed"
    );
    let table = file(&p, "items/headline-map.toml");
    let march = item(&table, "march-issue");
    assert_eq!(march["process"].as_str(), Some("newsletter"));
    assert_eq!(march["channel"].as_str(), Some("Email"));
    assert_eq!(
        march["people"]["writer"].as_str(),
        Some("yossi@example.com")
    );
    let starter = file(&p, "playbooks/newsletter.toml");
    assert_eq!(starter["process"]["name"].as_str(), Some("Newsletter"));
    assert_eq!(
        starter["roles"]["writer"]["people"][0].as_str(),
        Some("yossi@example.com")
    );
    assert_eq!(starter["stage"][0]["owner"].as_str(), Some("writer"));

    // Without the mapping file nothing recognises these titles.
    let err = prepare(&options("headline_map.csv", out.path()))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("headline_map.csv: no header row found in the first 4 rows"),
        "{err}"
    );
    assert!(err.contains("--map"), "{err}");
}

#[test]
fn checklist_with_merged_stage_owner_and_days_cells() {
    // The same checklist saved by LibreOffice as a macro-enabled workbook reads the same.
    let xlsm = plan("checklist.xlsm");
    assert_eq!(
        file(&xlsm, "playbooks/checklist.toml"),
        file(&plan("checklist.xlsx"), "playbooks/checklist.toml")
    );

    let p = plan("checklist.xlsx");
    assert_eq!(
        p.report.kind,
        Some(Kind::Playbook),
        "guessed: stages and no dates"
    );
    let pb = file(&p, "playbooks/checklist.toml");
    assert_eq!(pb["process"]["id"].as_str(), Some("checklist"));
    let stages: Vec<(String, String, i64, usize)> = pb["stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| {
            (
                st["id"].as_str().unwrap().into(),
                st["owner"].as_str().unwrap().into(),
                st["days"].as_integer().unwrap(),
                st.get("checklist")
                    .and_then(|c| c.as_array())
                    .map_or(0, Vec::len),
            )
        })
        .collect();
    let want: Vec<(String, String, i64, usize)> = [
        ("idea-and-brief", "campaign-manager", 2, 3),
        ("copy", "writer", 3, 2),
        ("design", "designer", 3, 1),
        ("approval", "campaign-manager", 1, 1),
        ("publish", "social-media-manager", 0, 1),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), *c, *d))
    .collect();
    assert_eq!(stages, want);
    let copy = &pb["stage"][1]["checklist"];
    assert_eq!(copy[0].as_str(), Some("Write the draft"));
    assert_eq!(copy[1]["text"].as_str(), Some("Proofread the draft"));
    assert_eq!(
        copy[1]["role"].as_str(),
        Some("editor"),
        "a step owned by someone other than its stage"
    );
    assert_eq!(
        pb["stage"][0]["checklist"][2].as_str(),
        Some("Brief approved"),
        "merged A4:A6 covers row 6"
    );
    let roles: Vec<&str> = pb["roles"]
        .as_table()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(roles.len(), 5);
    assert_eq!(
        pb["roles"]["campaign-manager"]["name"].as_str(),
        Some("Campaign manager")
    );
    assert_eq!(
        pb["roles"]["writer"]["people"][0].as_str(),
        Some("writer@example.com"),
        "a placeholder person"
    );
    assert!(p.report.notes.iter().any(|n| n.contains("placeholder")));
    assert_eq!(skipped(&p, SkipReason::Blank), vec![9]);
    assert_eq!(skipped(&p, SkipReason::Totals), vec![13]);
    assert!(problems(&p).is_empty(), "{:?}", problems(&p));
}

#[test]
fn checklist_with_stage_headings_instead_of_a_stage_column() {
    let p = plan("checklist_headings.xlsx");
    let pb = file(&p, "playbooks/checklist-headings.toml");
    let st = pb["stage"].as_array().unwrap();
    assert_eq!(st.len(), 2);
    assert_eq!(st[0]["name"].as_str(), Some("Preparation"));
    assert_eq!(st[0]["days"].as_integer(), Some(5));
    assert_eq!(st[0]["owner"].as_str(), Some("office-manager"));
    assert_eq!(st[0]["checklist"].as_array().unwrap().len(), 2);
    assert_eq!(st[1]["name"].as_str(), Some("Launch day"));
    assert_eq!(st[1]["days"].as_integer(), Some(0));
    assert_eq!(
        st[1]["checklist"][0].as_str(),
        Some("Open the network to everyone")
    );
}

#[test]
fn hebrew_checklist_from_libreoffice_ods() {
    let p = plan("checklist_he.ods");
    let pb = file(&p, "playbooks/checklist-he.toml");
    assert_eq!(pb["process"]["lang"].as_str(), Some("he"));
    let st = pb["stage"].as_array().unwrap();
    let names: Vec<&str> = st.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["רעיון-ובריף", "כתיבה", "פרסום"]);
    assert_eq!(st[0]["days"].as_integer(), Some(2), "\"2 ימים\"");
    assert_eq!(st[1]["days"].as_integer(), Some(2), "\"יומיים\"");
    assert_eq!(
        st[0]["checklist"][1].as_str(),
        Some("אישור הבריף"),
        "the merged stage's second row"
    );
    assert_eq!(
        st[1]["checklist"].as_array().unwrap().len(),
        2,
        "\"כתיבה\" written twice is one stage"
    );
    assert_eq!(st[0]["owner"].as_str(), Some("מנהלת-קמפיין"));
    assert_eq!(
        pb["roles"]["מנהלת-קמפיין"]["name"].as_str(),
        Some("מנהלת קמפיין")
    );
}

// ---- through the command line: writing, validating, importing again -------------------------

fn throughline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(args)
        .env("TZ", "Europe/London")
        .output()
        .expect("run throughline")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    files
}

fn import_args<'a>(name: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["import", name, "--out", out];
    args.extend_from_slice(extra);
    args
}

#[test]
fn every_fixture_imports_validates_and_imports_again_to_the_same_files() {
    let map = fixture("headline_map.toml");
    let cases: &[(&str, &[&str])] = &[
        ("headline_map.csv", &["--map", &map]),
        ("calendar_en.xlsx", &[]),
        ("calendar_en_lo.xlsx", &[]),
        ("calendar_en.xls", &[]),
        ("calendar_en.ods", &[]),
        ("calendar_utf16.txt", &[]),
        ("checklist.xlsm", &[]),
        ("calendar_he.xlsx", &[]),
        ("calendar_1904.xlsx", &[]),
        ("calendar_mdy.csv", &[]),
        ("calendar_he_1255.csv", &[]),
        ("checklist.xlsx", &["--as", "playbook"]),
        ("checklist_headings.xlsx", &[]),
        ("checklist_he.ods", &[]),
    ];
    for (name, extra) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let path = fixture(name);
        let first = throughline(&import_args(&path, out, extra));
        assert!(first.status.success(), "{name}: {}", text(&first));
        assert!(text(&first).contains("Wrote:"), "{name}: {}", text(&first));
        let config = dir.path().join("throughline.toml");
        let check = throughline(&["validate", "--config", config.to_str().unwrap()]);
        assert!(
            check.status.success(),
            "{name}: throughline validate failed: {}",
            text(&check)
        );
        let written = snapshot(dir.path());

        // Again without --force: refused, nothing changes.
        let again = throughline(&import_args(&path, out, extra));
        assert_eq!(again.status.code(), Some(1), "{name}: {}", text(&again));
        assert!(
            text(&again).contains("already exist"),
            "{name}: {}",
            text(&again)
        );
        assert!(text(&again).contains("--force"), "{name}: {}", text(&again));
        assert_eq!(
            snapshot(dir.path()),
            written,
            "{name}: a refused import changed files"
        );

        // Again with --force: the very same files, so the same ids.
        let forced = throughline(&import_args(
            &path,
            out,
            &[extra, &["--force"][..]].concat(),
        ));
        assert!(forced.status.success(), "{name}: {}", text(&forced));
        assert_eq!(
            snapshot(dir.path()),
            written,
            "{name}: re-import gave different files"
        );
    }
}

#[test]
fn a_corrected_sheet_keeps_its_ids() {
    // Same titles, one date moved, rows reordered: the ids follow the titles, not the rows.
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("plan.csv");
    fs::write(
        &first,
        "Title,Date\nSpring sale,2026-03-10\nWeekly tip,2026-03-03\nWeekly tip,2026-03-10\n",
    )
    .unwrap();
    let second = dir.path().join("plan2.csv");
    fs::write(
        &second,
        "Title,Date\nWeekly tip,2026-03-10\nWeekly tip,2026-03-03\nSpring sale,2026-03-12\n",
    )
    .unwrap();
    let ids = |path: &Path| {
        let out = tempfile::tempdir().unwrap();
        let mut o = options("x", out.path());
        o.file = path.to_string_lossy().into_owned();
        let p = prepare(&o).unwrap();
        let name = format!("items/{}.toml", path.file_stem().unwrap().to_string_lossy());
        let mut ids: Vec<String> = items(&p, &name).into_iter().map(|(id, ..)| id).collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(&first),
        vec![
            "spring-sale",
            "weekly-tip-2026-03-03",
            "weekly-tip-2026-03-10"
        ]
    );
    assert_eq!(ids(&first), ids(&second));
}

#[test]
fn a_process_column_sends_items_to_their_processes() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("mixed.csv");
    fs::write(
        &sheet,
        "Title,Date,Process,Owner\nSpring sale,2026-03-10,Content,dana@example.com\n\
         March issue,2026-03-02,Newsletter,yossi@example.com\nWeekly tip,2026-03-03,,noa@example.com\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut o = options("x", &out);
    o.file = sheet.to_string_lossy().into_owned();
    let p = prepare(&o).unwrap();
    let table = file(&p, "items/mixed.toml");
    assert_eq!(
        item(&table, "spring-sale")["process"].as_str(),
        Some("content")
    );
    assert_eq!(
        item(&table, "march-issue")["process"].as_str(),
        Some("newsletter")
    );
    assert_eq!(
        item(&table, "weekly-tip")["process"].as_str(),
        Some("content"),
        "the default process"
    );
    // One starter per new process, each with the people its items name.
    let content = file(&p, "playbooks/content.toml");
    assert_eq!(
        content["roles"]["owner"]["people"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let newsletter = file(&p, "playbooks/newsletter.toml");
    assert_eq!(
        newsletter["roles"]["owner"]["people"][0].as_str(),
        Some("yossi@example.com")
    );
    p.write(false).unwrap();
    let check = throughline(&[
        "validate",
        "--config",
        out.join("throughline.toml").to_str().unwrap(),
    ]);
    assert!(check.status.success(), "{}", text(&check));
}

#[test]
fn a_named_sheet_and_a_forced_kind() {
    let out = tempfile::tempdir().unwrap();
    let p = prepare(&Options {
        sheet: Some("Read me".into()),
        ..options("calendar_en.xlsx", out.path())
    });
    let err = p.unwrap_err().to_string();
    assert!(err.starts_with("Read me: no header row found"), "{err}");
    // A calendar read as a checklist: each titled row becomes a stage.
    let p = prepare(&Options {
        kind: Some(Kind::Playbook),
        ..options("calendar_1904.xlsx", out.path())
    })
    .unwrap();
    assert!(p.report.kind_guess.is_none(), "not guessed");
    let pb = file(&p, "playbooks/calendar-1904.toml");
    let names: Vec<&str> = pb["stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Launch webinar", "Case study", "Plain serial"]);
}

#[test]
fn dry_run_prints_the_mapping_and_a_preview_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = throughline(&import_args(
        &fixture("calendar_he.xlsx"),
        out,
        &["--dry-run"],
    ));
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("go-live date ← B \"תאריך פרסום\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- items/calendar-he.toml ---"),
        "{stdout}"
    );
    assert!(
        stdout.contains("title = \"מבצע אביב\""),
        "Hebrew stays Hebrew: {stdout}"
    );
    assert!(
        stdout.contains("'לוח תוכן'!B3  03/04/2026 → 2026-04-03"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Checked: these files load as a valid deployment."),
        "{stdout}"
    );
    assert!(snapshot(dir.path()).is_empty(), "a dry run wrote files");
}

#[test]
fn items_go_into_an_existing_deployment_and_use_its_process() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = throughline(&import_args(&fixture("checklist.xlsx"), out, &[]));
    assert!(o.status.success(), "{}", text(&o));
    // The checklist's throughline.toml loads no items yet: the calendar is refused until it does.
    let o = throughline(&import_args(&fixture("calendar_mdy.csv"), out, &[]));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("does not load items/calendar-mdy.toml"),
        "{}",
        text(&o)
    );
    assert!(!dir.path().join("items").exists(), "nothing written");

    let config = dir.path().join("throughline.toml");
    let mut text_config = fs::read_to_string(&config).unwrap();
    text_config.push_str("items = [\"items/*.toml\"]\n");
    fs::write(&config, text_config).unwrap();
    let o = throughline(&import_args(&fixture("calendar_mdy.csv"), out, &[]));
    assert!(o.status.success(), "{}", text(&o));
    let items: toml::Table =
        toml::from_str(&fs::read_to_string(dir.path().join("items/calendar-mdy.toml")).unwrap())
            .unwrap();
    let first = &items["item"][0];
    assert_eq!(
        first["process"].as_str(),
        Some("checklist"),
        "the deployment's only process"
    );
    // The Owner column names the person for the first stage's owner role.
    assert_eq!(
        first["people"]["campaign-manager"].as_str(),
        Some("dana@example.com")
    );
    assert!(
        !dir.path().join("playbooks/content.toml").exists(),
        "no starter playbook needed"
    );
    let check = throughline(&["validate", "--config", config.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check));
}

/// A title whose id is taken (by a key, or by another title's dated id) gets the next number,
/// and the report says so; every other id stays as it is.
#[test]
fn a_title_id_that_is_taken_gets_the_next_number() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("calendar.csv");
    fs::write(
        &csv,
        "Key,Title,Publish date\n\
         launch,Spring sale,2026-03-02\n\
         ,Launch,2026-03-03\n\
         ,Tip,2026-03-04\n\
         ,Tip,2026-03-05\n\
         ,Tip 2026-03-04,2026-03-06\n",
    )
    .unwrap();
    // One key alone does not make the column look like ids: the mapping file names it.
    let map = dir.path().join("map.toml");
    fs::write(&map, "[columns]\nid = \"Key\"\n").unwrap();
    let mut opts = options("unused", &dir.path().join("out"));
    opts.file = csv.to_string_lossy().into_owned();
    opts.map = Some(map);
    let p = prepare(&opts).unwrap();
    let ids: Vec<String> = items(&p, "items/calendar.toml")
        .into_iter()
        .map(|(id, ..)| id)
        .collect();
    assert_eq!(
        ids,
        [
            "launch",
            "launch-2",
            "tip-2026-03-04",
            "tip-2026-03-05",
            "tip-2026-03-04-2"
        ]
    );
    assert_eq!(
        p.report.renamed,
        [
            "the title \"Tip\" appears 2 times (calendar.csv!B4, calendar.csv!B5); ids \
             tip-2026-03-04, tip-2026-03-05",
            "calendar.csv!B3: the id \"launch\" is already taken; this item's id is \"launch-2\"",
            "calendar.csv!B6: the id \"tip-2026-03-04\" is already taken; this item's id is \
             \"tip-2026-03-04-2\"",
        ]
    );
}
