//! The "Metrics" sheet throughline adds to a workbook target when the deployment has
//! `[[metric]]`s: a row per metric (Hebrew titles for the Hebrew example), the values a person
//! types there (with openpyxl) recorded by `sync` once each and shown by `report --json` under
//! `kpis`; a value that is not a number is reported at its cell and skipped.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::cli::{copy_example, run, text};

/// argv[2]: JSON [[id, date or null, value], ...]: each fills the row of that ID (Date, Value)
/// when its Date is empty, else appends a row. Prints the titles of row 1.
const TYPE_VALUES: &str = r#"
import sys, json, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["Metrics"]
head = [c.value for c in ws[1]]
col = {h: head.index(h) + 1 for h in head}
for mid, day, value in json.loads(sys.argv[2]):
    day = datetime.date.fromisoformat(day)
    row = next((r for r in range(2, ws.max_row + 1)
                if ws.cell(r, col["מזהה"]).value == mid and ws.cell(r, col["תאריך"]).value is None),
               ws.max_row + 1)
    ws.cell(row, col["מזהה"]).value = mid
    ws.cell(row, col["תאריך"]).value = day
    ws.cell(row, col["ערך"]).value = value
wb.save(sys.argv[1])
print(json.dumps(head))
"#;

fn python(args: &[&str]) -> Option<String> {
    let ready = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        if std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_some() {
            panic!("python3 with openpyxl is needed");
        }
        eprintln!("SKIPPED: python3 with openpyxl is not installed");
        return None;
    }
    let out = Command::new("python3").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

fn kpi_values(config: &Path, id: &str) -> Vec<(String, f64)> {
    let out = run(config, &["--now", "2027-02-20", "report", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kpi = report["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap_or_else(|| panic!("no kpi {id}: {}", report["kpis"]))
        .clone();
    kpi["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["on"].as_str().unwrap().to_string(),
                v["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn values_typed_on_the_metrics_sheet_are_recorded_once_and_a_bad_one_is_reported_at_its_cell() {
    let (dir, config) = copy_example("internal-launch");
    let out = run(&config, &["--now", "2027-01-05", "sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let book = dir.path().join("launch-plan.xlsx");
    let book = book.to_str().unwrap();
    let typed = r#"[["weekly-active", "2027-02-07", 12],
                    ["weekly-active", "2027-02-14", 23.5],
                    ["posts-per-week", "2027-02-14", "abc"]]"#;
    let Some(head) = python(&["-c", TYPE_VALUES, book, typed]) else {
        return;
    };
    // The Hebrew example's sheet has Hebrew titles, in throughline's order.
    let head: Vec<String> = serde_json::from_str(&head).unwrap();
    assert_eq!(
        head,
        ["מזהה", "שם", "יחידה", "יעד", "עד תאריך", "תאריך", "ערך"]
    );

    let out = run(&config, &["--now", "2027-02-15", "sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("Metric weekly-active = 12 recorded from `workbook` (Metrics!G2)")
            && said.contains("Metric weekly-active = 23.5 recorded from `workbook` (Metrics!G7)"),
        "{said}"
    );
    // Rows 2-6 are the five metrics (posts-per-week is row 3); the person appended row 7.
    assert!(
        said.contains("target `workbook`: Metrics!G3: \"abc\" is not a number"),
        "{said}"
    );
    assert!(!said.contains("posts-per-week = "), "{said}");

    // A second cycle records nothing again, and what the person typed is still there.
    let out = run(&config, &["--now", "2027-02-16", "sync"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("recorded from"), "{}", text(&out));
    let again = python(&["-c", TYPE_VALUES, book, "[]"]).unwrap();
    assert_eq!(serde_json::from_str::<Vec<String>>(&again).unwrap(), head);

    assert_eq!(
        kpi_values(&config, "weekly-active"),
        [
            ("2027-02-07".to_string(), 12.0),
            ("2027-02-14".to_string(), 23.5)
        ]
    );
    assert_eq!(kpi_values(&config, "posts-per-week"), []);
}

/// The daemon, the scheduled service, pulls the Metrics sheet as `sync` does: a value typed
/// between two of its cycles is recorded once.
#[test]
fn the_daemon_records_a_value_typed_on_the_metrics_sheet() {
    use crate::daemon_cli::Daemon;
    use jiff::Timestamp;

    let (dir, config) = copy_example("internal-launch");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replacen("every = \"15m\"", "every = \"1s\"", 1),
    )
    .unwrap();
    let d = Daemon::start(&config).started();
    // The first cycle makes the workbook and its Metrics sheet.
    d.cycle_after(Timestamp::UNIX_EPOCH);
    let book = dir.path().join("launch-plan.xlsx");
    let typed = r#"[["weekly-active", "2027-02-07", 31]]"#;
    if python(&["-c", TYPE_VALUES, book.to_str().unwrap(), typed]).is_none() {
        d.stop();
        return;
    }
    let edited = Timestamp::now();
    d.cycle_after(edited);
    d.cycle_after(Timestamp::now());
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{}", log.join("\n"));
    assert_eq!(
        log.iter()
            .filter(|l| l.contains("metric value recorded"))
            .count(),
        1,
        "{}",
        log.join("\n")
    );
    assert_eq!(
        kpi_values(&config, "weekly-active"),
        [("2027-02-07".to_string(), 31.0)]
    );
}

/// A person's edits on the Metrics tab with gspread: argv[4] is JSON [[row, column, value]].
const SHEETS_TYPE: &str = r#"
import sys, json
sys.path.insert(0, sys.argv[5])
from emulator_client import client_for
base, token, spreadsheet, edits = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
ws = client_for(base, token).open_by_key(spreadsheet).worksheet("Metrics")
for row, col, value in edits:
    ws.update_cell(row, col, value)
print(json.dumps(ws.row_values(1)))
"#;

/// The spreadsheet `id` of the emulator as target `writers`, with no tasks.
fn sheets_run(
    emu: &throughline_sheets::emulator::Emulator,
    id: &str,
) -> Vec<throughline::engine::TargetRun> {
    use throughline::engine::TargetRun;
    use throughline::reconcile::DriftPolicy;
    use throughline_connector::http::Secret;
    use throughline_sheets::{SheetsAuth, SheetsConnector, SheetsSettings};
    let settings = SheetsSettings::new(
        "writers",
        id.to_owned(),
        SheetsAuth::Token(Secret::new(emu.access_token())),
    )
    .with_base_url(&emu.base_url());
    vec![TargetRun {
        id: "writers".into(),
        connector: Box::new(SheetsConnector::new(settings).unwrap()),
        desired: Vec::new(),
        drift: DriftPolicy::default(),
        people: None,
    }]
}

/// Runs [`SHEETS_TYPE`] off the runtime (the emulator answers on it).
async fn gspread(
    emu: &throughline_sheets::emulator::Emulator,
    id: &str,
    edits: &str,
) -> std::process::Output {
    let args: Vec<String> = vec![
        "-c".into(),
        SHEETS_TYPE.into(),
        emu.base_url(),
        emu.access_token(),
        id.to_owned(),
        edits.to_owned(),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/connectors/sheets/tests/sheets_python"
        )
        .into(),
    ];
    let out = tokio::task::spawn_blocking(move || Command::new("python3").args(args).output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_typed_on_the_metrics_tab_of_a_spreadsheet_are_pulled_like_status() {
    use throughline::engine::metrics::pull;
    use throughline::model::{Metric, MetricBy};
    use throughline::state::SqliteStore;
    use throughline_sheets::emulator::Emulator;

    let ready = Command::new("python3")
        .args(["-c", "import gspread"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        if std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_some() {
            panic!("python3 with gspread is needed");
        }
        eprintln!("SKIPPED: python3 with gspread is not installed");
        return;
    }
    let emu = Emulator::start().await.unwrap();
    let id = emu.create_spreadsheet("Launch");
    let mut runs = sheets_run(&emu, &id);
    let metric = |id: &str| Metric {
        id: id.into(),
        name: format!("{id} count"),
        unit: "%".into(),
        target: 40.0,
        by: "2027-06-01".parse().unwrap(),
        by_written: MetricBy::Date,
        higher_is_better: true,
        process: None,
        place: "items/launch.toml:3".into(),
    };
    let metrics = [metric("active"), metric("posts")];
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("state.db")).unwrap();
    let tz = jiff::tz::TimeZone::UTC;
    let now = "2027-02-15T09:00:00Z".parse().unwrap();
    let first = pull(&mut store, &mut runs, &metrics, None, &tz, now)
        .await
        .unwrap();
    assert!(
        first.recorded.is_empty() && first.problems.is_empty(),
        "{first:?}"
    );

    // Row 2 is `active`, row 3 `posts`; F is Date and G is Value.
    let edits = r#"[[2, 6, "2027-02-07"], [2, 7, 12], [3, 6, "2027-02-07"], [3, 7, "abc"]]"#;
    let out = gspread(&emu, &id, edits).await;
    let head: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        head,
        ["ID", "Name", "Unit", "Target", "By", "Date", "Value"]
    );

    let second = pull(&mut store, &mut runs, &metrics, None, &tz, now)
        .await
        .unwrap();
    let got: Vec<(&str, f64, &str)> = second
        .recorded
        .iter()
        .map(|v| (v.metric.as_str(), v.value, v.cell.as_str()))
        .collect();
    assert_eq!(got, [("active", 12.0, "Metrics!G2")]);
    assert_eq!(second.problems.len(), 1, "{:?}", second.problems);
    assert!(
        second.problems[0].starts_with("target `writers`: Metrics!G3: \"abc\" is not a number"),
        "{:?}",
        second.problems
    );
    let third = pull(&mut store, &mut runs, &metrics, None, &tz, now)
        .await
        .unwrap();
    assert!(third.recorded.is_empty(), "recorded twice: {third:?}");
    let kept = store.metric_values().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].at.to_string(), "2027-02-07T12:00:00Z");
    assert_eq!(
        kept[0].note.as_deref(),
        Some("typed in target `writers` at Metrics!G2")
    );
}
