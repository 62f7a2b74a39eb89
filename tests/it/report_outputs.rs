//! `throughline report --format html|xlsx` on the two examples with a few weeks of history:
//! the page in headless Chromium (Debian's, driven by Playwright for Python), the workbook in
//! openpyxl and LibreOffice.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::cli::{copy_example, run, text};
use crate::daemon_support::{python_module as python_has, require};

/// A copy of an example with status history up to `now`: a first sync on `first` (the hub
/// pushes every task), then `bench/history.py` writes "doing" on each task's start day and
/// "done" on its due day (one in five 1–3 days late) up to `now`.
fn with_history(example: &str, first: &str, now: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, config) = copy_example(example);
    let out = run(&config, &["--now", first, "sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&config, &["--now", first, "schedule", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let schedule = dir.path().join("schedule.json");
    std::fs::write(&schedule, &out.stdout).unwrap();
    let history = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/history.py");
    let out = Command::new("python3")
        .arg(history)
        .arg(&schedule)
        .arg(dir.path().join("throughline.db"))
        .arg(now)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, config)
}

fn report(config: &Path, now: &str, format: &str, file: &Path) {
    let out = run(
        config,
        &[
            "--now",
            now,
            "report",
            "--format",
            format,
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
}

/// The English content pipeline at 2026-12-20 and the Hebrew internal launch at 2027-02-20.
fn pages(format: &str) -> Vec<(&'static str, tempfile::TempDir, PathBuf)> {
    let mut out = Vec::new();
    for (name, example, first, now) in [
        ("en", "content", "2026-11-01", "2026-12-20"),
        ("he", "internal-launch", "2027-01-05", "2027-02-20"),
    ] {
        let (dir, config) = with_history(example, first, now);
        if name == "he" {
            record_metrics(&config, now);
        }
        let file = dir.path().join(format!("report.{format}"));
        report(&config, now, format, &file);
        out.push((name, dir, file));
    }
    out
}

/// Measured values of the Hebrew launch's success metrics, as the team would type them.
fn record_metrics(config: &Path, now: &str) {
    for args in [
        ["weekly-active", "12", "2027-02-07"],
        ["weekly-active", "23.5", "2027-02-14"],
        ["helpdesk-questions", "45", "2027-02-07"],
        ["helpdesk-questions", "18", "2027-02-14"],
    ] {
        let out = run(
            config,
            &[
                "--now", now, "metric", "record", args[0], args[1], "--at", args[2],
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
}

fn program(name: &str, why: &str) -> Result<(), String> {
    match Command::new(name).arg("--version").output() {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("{name} is not installed ({why}): {e}")),
    }
}

#[test]
fn the_html_report_is_one_file_that_fetches_nothing() {
    for (name, _dir, file) in pages("html") {
        let html = std::fs::read_to_string(&file).unwrap();
        // The only URL is the SVG namespace, which names and never loads.
        let urls = html.matches("://").count();
        let namespaces = html.matches("http://www.w3.org/2000/svg").count();
        assert_eq!(urls, namespaces, "{name}: a URL besides the SVG namespace");
        for outside in ["<script", "<link", "<img", "url(", "@import", "@font-face"] {
            assert!(!html.contains(outside), "{name}: {outside}");
        }
        let rtl = html.contains(r#"<html lang="he" dir="rtl">"#);
        assert_eq!(
            rtl,
            name == "he",
            "{name}: the direction follows the playbook"
        );
        // Every chart has a title and a description, and each section a table of its numbers.
        let charts = html.matches("<svg ").count();
        assert!(charts >= 6, "{name}: {charts} charts");
        assert_eq!(
            html.matches("<svg ").count(),
            html.matches("<desc id=").count()
        );
    }
}

#[test]
fn the_html_report_in_headless_chromium() {
    if !require(python_has("playwright"))
        || !require(program("chromium", "apt-get install chromium"))
    {
        return;
    }
    let pages = pages("html");
    let shots = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/report_page.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(shots.path());
    for (name, _, file) in &pages {
        cmd.arg(format!("{name}={}", file.display()));
    }
    let out = cmd.output().expect("python3 runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (name, _, _) in &pages {
        let page = &seen[name];
        assert_eq!(
            page["blocked"],
            Value::Array(vec![]),
            "{name}: requests off the page"
        );
        assert_eq!(page["console_errors"], Value::Array(vec![]), "{name}");
        let (dir, lang) = if *name == "he" {
            ("rtl", "he")
        } else {
            ("ltr", "en")
        };
        assert_eq!(
            (page["dir"].as_str(), page["lang"].as_str()),
            (Some(dir), Some(lang))
        );
        let charts = page["charts"].as_array().unwrap();
        let drawn = |prefix: &str| -> Vec<&Value> {
            charts
                .iter()
                .filter(|c| c["id"].as_str().unwrap().starts_with(prefix))
                .collect()
        };
        for prefix in [
            "chart-on-time",
            "chart-stage-time-",
            "chart-aging",
            "chart-flow-",
            "chart-throughput",
            "chart-timeline-",
            "chart-kpi-",
        ] {
            if prefix == "chart-kpi-" && *name == "en" {
                continue; // the content example has no metrics
            }
            let found = drawn(prefix);
            assert!(!found.is_empty(), "{name}: no {prefix} chart");
            for c in found {
                assert!(
                    c["elements"].as_u64().unwrap() > 3,
                    "{name}: {c} draws nothing"
                );
                assert!(
                    c["width"].as_f64().unwrap() > 300.0,
                    "{name}: {c} is squeezed"
                );
                assert!(!c["title"].as_str().unwrap().is_empty(), "{name}: {c}");
                assert!(
                    c["table_after"].as_bool().unwrap(),
                    "{name}: {c} has no table"
                );
            }
        }
        let shot = shots.path().join(format!("{name}.png"));
        let png = std::fs::read(&shot).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 20_000,
            "{name}: screenshot"
        );
    }
    // For people: the Hebrew page's screenshots beside the build.
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../screenshots");
    std::fs::create_dir_all(&keep).unwrap();
    for entry in std::fs::read_dir(shots.path()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("he")
        {
            std::fs::copy(&path, keep.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// Each sheet: title, rows, charts (with each chart's type and series count), right to left.
const READ_SHEETS: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
print(json.dumps([{
    "title": ws.title,
    "rows": ws.max_row,
    "charts": [[type(c).__name__, len(c.series)] for c in ws._charts],
    "rtl": bool(ws.sheet_view.rightToLeft),
} for ws in wb.worksheets], ensure_ascii=False))
"#;

#[test]
fn the_xlsx_report_has_a_sheet_per_section_with_native_charts() {
    if !require(python_has("openpyxl")) {
        return;
    }
    let soffice = require(program("soffice", "apt-get install libreoffice-calc-nogui"));
    for (name, dir, file) in pages("xlsx") {
        let out = Command::new("python3")
            .args(["-c", READ_SHEETS])
            .arg(&file)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sheets: Value = serde_json::from_slice(&out.stdout).unwrap();
        let sheets = sheets.as_array().unwrap();
        assert_eq!(sheets.len(), 14, "{name}: a sheet per section");
        let he = name == "he";
        for s in sheets {
            assert_eq!(s["rtl"].as_bool(), Some(he), "{name}: {s}");
        }
        let sheet = |i: usize| &sheets[i];
        // On time, stage time, cumulative flow and throughput each carry a native chart with a
        // series per measure: rate; planned, p50, p85, p95; done, doing, to do; done, on time.
        for (i, kind, series) in [
            (0, "BarChart", 1),
            (1, "BarChart", 4),
            (4, "AreaChart", 3),
            (5, "BarChart", 2),
        ] {
            let charts = sheet(i)["charts"].as_array().unwrap();
            assert_eq!(charts.len(), 1, "{name}: {}", sheet(i));
            assert_eq!(charts[0][0], kind, "{name}: {}", sheet(i));
            assert_eq!(charts[0][1], series, "{name}: {}", sheet(i));
            assert!(
                sheet(i)["rows"].as_u64().unwrap() > 1,
                "{name}: {}",
                sheet(i)
            );
        }
        let titles: Vec<&str> = sheets
            .iter()
            .map(|s| s["title"].as_str().unwrap())
            .collect();
        if he {
            assert_eq!(titles[0], "עמידה בזמנים");
        } else {
            assert_eq!(titles[..2], ["On time", "Stage time"]);
        }
        if soffice {
            let pdf_dir = dir.path().join("pdf");
            let out = Command::new("soffice")
                .args(["--headless", "--convert-to", "pdf", "--outdir"])
                .arg(&pdf_dir)
                .arg(&file)
                .env("HOME", dir.path())
                .output()
                .expect("soffice runs");
            let pdf = std::fs::read(pdf_dir.join("report.pdf")).unwrap_or_else(|e| {
                panic!(
                    "{name}: LibreOffice made no PDF ({e}): {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
            assert!(
                pdf.starts_with(b"%PDF") && pdf.len() > 10_000,
                "{name}: PDF"
            );
        }
    }
}

#[test]
fn metric_values_are_kept_and_reported_against_their_targets() {
    let (_dir, config) = with_history("internal-launch", "2027-01-05", "2027-02-20");
    record_metrics(&config, "2027-02-20");
    let out = run(&config, &["metric", "record", "weekly-activ", "3"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("there is no metric `weekly-activ`")
            && text(&out).contains("weekly-active, posts-per-week"),
        "{}",
        text(&out)
    );
    let out = run(&config, &["--now", "2027-02-20", "report", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kpi = |id: &str| {
        report["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .unwrap_or_else(|| panic!("no kpi {id}: {}", report["kpis"]))
            .clone()
    };
    let active = kpi("weekly-active");
    let values: Vec<(String, f64)> = active["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["on"].as_str().unwrap().to_string(),
                v["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        values,
        [
            ("2027-02-07".to_string(), 12.0),
            ("2027-02-14".to_string(), 23.5)
        ]
    );
    assert_eq!(
        (active["target"].as_f64(), active["status"].as_str()),
        (Some(40.0), Some("open"))
    );
    // 64 business days (Sunday to Thursday, without the Passover holidays) after 2027-03-04.
    assert_eq!(active["by"], "2027-06-07");
    // Fewer help-desk questions is better: 18 against at most 20 is met.
    assert_eq!(kpi("helpdesk-questions")["status"], "met");
    assert_eq!(kpi("groups")["status"], "no_data");
}

/// The ids shown and (id, until) snoozed, for the period up to 2026-12-20 measured at `now`.
fn recommendation_ids(config: &Path, now: &str) -> (Vec<String>, Vec<(String, String)>) {
    let out = run(
        config,
        &["--now", now, "report", "--json", "--until", "2026-12-20"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let shown = report["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let snoozed = report["snoozed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["until"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (shown, snoozed)
}

#[test]
fn a_snoozed_recommendation_is_hidden_until_its_day_across_runs() {
    let (_dir, config) = with_history("content", "2026-11-01", "2026-12-20");
    let (shown, snoozed) = recommendation_ids(&config, "2026-12-20");
    assert!(snoozed.is_empty());
    let id = shown
        .first()
        .expect("the example's history makes a recommendation")
        .clone();
    let snooze = |until: &str, id: &str| {
        run(
            &config,
            &[
                "--now",
                "2026-12-20",
                "report",
                "--snooze",
                id,
                "--until",
                until,
            ],
        )
    };
    // A mistyped id and a day that is not ahead are refused, naming what is there.
    let out = snooze("2026-12-31", "stage-p85/nope");
    assert!(!out.status.success());
    assert!(text(&out).contains(&id), "{}", text(&out));
    let out = snooze("2026-12-20", &id);
    assert!(
        !out.status.success() && text(&out).contains("not after today"),
        "{}",
        text(&out)
    );
    let out = snooze("2026-12-31", &id);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("Snoozed {id} until 2026-12-31")));
    let (now_shown, now_snoozed) = recommendation_ids(&config, "2026-12-20");
    assert!(!now_shown.contains(&id), "{now_shown:?}");
    assert_eq!(now_shown.len(), shown.len() - 1);
    assert_eq!(now_snoozed, [(id.clone(), "2026-12-31".to_string())]);
    // On its day it is back (the same period, measured on that day).
    let (back, gone) = recommendation_ids(&config, "2026-12-31");
    assert!(back.contains(&id) && gone.is_empty(), "{back:?} {gone:?}");
}

#[test]
fn a_moved_go_live_is_measured_as_replanned() {
    let (_dir, config) = crate::common::cli::copy_example("content");
    let sync = |now: &str| {
        let out = run(&config, &["--now", now, "sync"]);
        assert!(out.status.success(), "{}", text(&out));
    };
    sync("2026-11-01");
    // The Hanukkah sale moves from 2026-12-03 to 2026-12-08: its tasks are pushed again.
    let items = config.parent().unwrap().join("items/december.toml");
    crate::common::cli::edit(&items, "golive = 2026-12-03", "golive = 2026-12-08");
    sync("2026-11-02");
    sync("2026-11-03");
    let out = run(
        &config,
        &[
            "--now",
            "2026-11-03",
            "report",
            "--json",
            "--since",
            "2026-11-01",
            "--until",
            "2026-12-31",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tasks = report["replans"]["tasks"].as_array().unwrap();
    assert!(!tasks.is_empty(), "{}", report["replans"]);
    for t in tasks {
        assert!(
            t["task"].as_str().unwrap().starts_with("hanukkah-sale/"),
            "{t}"
        );
        // Pushed twice (the third sync changed nothing): one change, 3 business days later
        // (Thu 12-03 → Tue 12-08 over a weekend).
        assert_eq!(
            (t["changes"].as_u64(), t["moved"].as_i64()),
            (Some(1), Some(3)),
            "{t}"
        );
    }
    // The page shows it per stage, beside the bottleneck.
    let page = config.parent().unwrap().join("report.html");
    let out = run(
        &config,
        &[
            "--now",
            "2026-11-03",
            "report",
            "--format",
            "html",
            "--output",
            page.to_str().unwrap(),
            "--since",
            "2026-11-01",
            "--until",
            "2026-12-31",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<caption>Replanned (due date moved)</caption>"));
}
