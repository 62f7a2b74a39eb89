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
