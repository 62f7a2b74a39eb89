//! A rehearsal through the real binary and an Excel target, nine simulated weeks long with
//! `--now`: a person ticks every task in the workbook (openpyxl) on its due day, except
//! `approval`, which they always tick two business days late. `report --json` must then name
//! `approval` as the bottleneck, show its on-time rate at 0 while the other stages are on time,
//! forecast the item whose approval is pending as at risk, and recommend a longer `approval`
//! with the playbook change.

use std::path::Path;
use std::process::Command;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date};
use serde_json::Value;

const CONFIG: &str = r#"
state = "throughline.db"
playbooks = ["playbooks/*.toml"]
items = ["items/*.toml"]

[[target]]
id = "workbook"
kind = "excel"
path = "plan.xlsx"
"#;

const PLAYBOOK: &str = r#"
[process]
id = "launch"
name = "Launch"
timezone = "UTC"

[roles.writer]
name = "Writer"
people = ["w@example.com"]

[roles.boss]
name = "Approver"
people = ["b@example.com"]

[roles.social]
name = "Social"
people = ["s@example.com"]

[[stage]]
id = "brief"
name = "Brief"
owner = "writer"
days = 1

[[stage]]
id = "copy"
name = "Copy"
owner = "writer"
days = 2
after = ["brief"]

[[stage]]
id = "approval"
name = "Approval"
owner = "boss"
days = 1
after = ["copy"]

[[stage]]
id = "publish"
name = "Publish"
owner = "social"
days = 1
after = ["approval"]
"#;

/// Go-lives: nine Fridays from 2026-09-04.
fn golives() -> Vec<Date> {
    (0..9)
        .map(|w| date(2026, 9, 4).checked_add((7 * w).days()).unwrap())
        .collect()
}

fn is_business(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn add_business(mut d: Date, n: u32) -> Date {
    for _ in 0..n {
        d = d.tomorrow().unwrap();
        while !is_business(d) {
            d = d.tomorrow().unwrap();
        }
    }
    d
}

/// A deployment in a new folder: the config, the playbook and this items file.
fn deployment(items: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("playbooks")).unwrap();
    std::fs::create_dir_all(root.join("items")).unwrap();
    std::fs::write(root.join("throughline.toml"), CONFIG).unwrap();
    std::fs::write(root.join("playbooks/launch.toml"), PLAYBOOK).unwrap();
    std::fs::write(root.join("items/posts.toml"), items).unwrap();
    dir
}

fn throughline(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "`throughline {}` failed ({}):\n{}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// python3 with openpyxl, or why not (a failure when the checks are required).
fn openpyxl() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let msg = "python3 with openpyxl is not installed (pip install -r tests/requirements.txt)";
        if std::env::var("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").as_deref() == Ok("1") {
            panic!("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS=1 but {msg}");
        }
        eprintln!("SKIPPED: {msg}");
    }
    ok
}

/// The person sets Status to "Done" on these rows of the workbook.
fn tick(workbook: &Path, ids: &[String]) {
    let script = r#"
import sys, openpyxl
path, ids = sys.argv[1], set(sys.argv[2:])
wb = openpyxl.load_workbook(path)
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
found = set()
for row in ws.iter_rows(min_row=2):
    rid = row[head.index("ID")].value
    if rid in ids:
        row[head.index("Status")].value = "Done"
        found.add(rid)
assert found == ids, (found, ids)
wb.save(path)
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(workbook)
        .args(ids)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stage_rate(report: &Value, stage: &str) -> f64 {
    report["on_time"]["by_stage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == stage)
        .unwrap_or_else(|| panic!("no on-time rate for {stage}: {report:#}"))["rate"]
        .as_f64()
        .unwrap()
}

#[test]
fn approval_always_two_days_late_is_the_bottleneck_with_a_playbook_change() {
    if !openpyxl() {
        return;
    }
    let items: String = golives()
        .iter()
        .enumerate()
        .map(|(n, g)| {
            format!(
                "[[item]]\nid = \"post-{n}\"\nprocess = \"launch\"\ntitle = \"Post {n}\"\n\
                 golive = {g}\n\n"
            )
        })
        .collect();
    let dir = deployment(&items);
    let root = dir.path();

    // The first sync, the Friday before, with `--now` as a date: the rows appear.
    throughline(root, &["--now", "2026-08-28", "sync"]);
    let schedule: Value = serde_json::from_str(&throughline(
        root,
        &["--now", "2026-08-28", "schedule", "--json"],
    ))
    .unwrap();
    let tasks: Vec<(String, String, Date)> = schedule["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["stage"].as_str().unwrap().to_string(),
                t["due"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(tasks.len(), 36);

    // Every business day to Wednesday 2026-10-28: tick what is done that day, sync at 17:00.
    let last = date(2026, 10, 28);
    let mut day = date(2026, 8, 31);
    let mut synced_days = 0;
    while day <= last {
        let ticked: Vec<String> = tasks
            .iter()
            .filter(|(_, stage, due)| {
                if stage == "approval" {
                    add_business(*due, 2) == day
                } else {
                    *due == day
                }
            })
            .map(|(id, _, _)| id.clone())
            .collect();
        if !ticked.is_empty() {
            tick(&root.join("plan.xlsx"), &ticked);
            let now = format!("{day}T17:00:00Z");
            throughline(root, &["--now", &now, "sync"]);
            synced_days += 1;
        }
        day = add_business(day, 1);
    }
    // Mondays, Wednesdays and Fridays of nine weeks, the last Friday not yet come.
    assert_eq!(synced_days, 26);

    let out = throughline(
        root,
        &[
            "--now",
            "2026-10-28T18:00:00Z",
            "report",
            "--json",
            "--since",
            "2026-08-31",
        ],
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    for key in [
        "period",
        "on_time",
        "stage_time",
        "aging",
        "throughput",
        "bottleneck",
        "load",
        "forecast",
        "adoption",
        "leaderboard",
        "kpis",
        "recommendations",
    ] {
        assert!(report.get(key).is_some(), "no `{key}` in {report:#}");
    }
    assert_eq!(report["kpis"], Value::Array(Vec::new()));

    // Sync recorded each tick at its `--now`: the first approval (due Thu 09-03) on Mon 09-07.
    let approval = report["stage_time"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "approval")
        .unwrap();
    let first = &approval["tasks"][0];
    assert_eq!(first["task"], "post-0/approval");
    assert_eq!(first["done"], "2026-09-07");
    // Ready Thu 09-03 (copy done Wed), done Mon 09-07: Thu, Fri, Mon.
    assert_eq!(first["business_days"], 3);
    assert_eq!(approval["p85"], 3);

    let b = &report["bottleneck"];
    assert_eq!(
        (b["process"].as_str(), b["stage"].as_str()),
        (Some("launch"), Some("approval")),
        "{b:#}"
    );
    assert_eq!(b["basis"], "late_golives");
    // Eight go-lives late (each approval after its Friday), two days of slip each.
    assert_eq!(b["late_items"].as_array().unwrap().len(), 8);
    assert_eq!(b["slip_days"], 16);

    assert!(stage_rate(&report, "approval") <= 0.2);
    for stage in ["brief", "copy", "publish"] {
        assert!(stage_rate(&report, stage) >= 0.8, "{stage}: {report:#}");
    }

    // post-8 goes live Fri 10-30; its copy is done, its approval pending: at risk.
    let forecast = report["forecast"]["items"].as_array().unwrap();
    let pending = forecast.iter().find(|f| f["item"] == "post-8").unwrap();
    assert_eq!(pending["at_risk"], true, "{pending:#}");
    assert_eq!(report["forecast"]["runs"].as_u64(), Some(10_000));

    let rec = report["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "late-stage/launch/approval")
        .unwrap_or_else(|| panic!("no approval recommendation: {report:#}"));
    let change = rec["change"].as_str().unwrap();
    assert!(
        change.contains("id = \"approval\"\n-days = 1\n+days = 3\n"),
        "{change}"
    );
    assert!(rec["text"].as_str().unwrap().contains("8 of 8"), "{rec:#}");
    assert_eq!(rec["evidence"]["tasks"].as_array().unwrap().len(), 8);

    // The workbook names nobody: every update counts for the task's owner, from `workbook`.
    let people = report["adoption"]["people"].as_array().unwrap();
    let boss = people
        .iter()
        .find(|p| p["person"] == "b@example.com")
        .unwrap();
    assert_eq!(boss["updates"]["workbook"], 8);
    assert_eq!(boss["self_share"], 1.0);

    // The text page names it too.
    let text = throughline(
        root,
        &[
            "--now",
            "2026-10-28T18:00:00Z",
            "report",
            "--since",
            "2026-08-31",
        ],
    );
    assert!(
        text.contains("launch/approval: 16 business days of slip"),
        "{text}"
    );
}

#[test]
fn report_without_a_state_file_does_not_create_one() {
    let dir = deployment(
        "[[item]]\nid = \"p\"\nprocess = \"launch\"\ntitle = \"P\"\ngolive = 2026-09-04\n",
    );
    let root = dir.path();
    let out = throughline(root, &["--now", "2026-09-02", "report", "--json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["period"]["until"], "2026-09-02");
    assert_eq!(report["period"]["now"], "2026-09-02T12:00:00Z");
    assert!(!root.join("throughline.db").exists());

    for (args, says) in [
        (
            ["--process", "nope"],
            "there is no process `nope`; the processes are: launch",
        ),
        (["--item", "nope"], "there is no item \"nope\""),
        (["--person", "x@y"], "nobody called \"x@y\" owns a task"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_throughline"))
            .arg("report")
            .args(args)
            .current_dir(root)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn now_is_the_clock_of_status_and_schedule_and_says_what_it_accepts() {
    let dir = deployment(
        "[[item]]\nid = \"p\"\nprocess = \"launch\"\ntitle = \"P\"\ngolive = 2026-09-04\n",
    );
    let root = dir.path();
    let status = throughline(root, &["--now", "2026-09-02", "status"]);
    assert!(status.contains("today 2026-09-02"), "{status}");
    // 23:30 at UTC-5 is 04:30 the next day in the playbook's UTC.
    let status = throughline(root, &["--now", "2026-09-02T23:30:00-05:00", "status"]);
    assert!(status.contains("today 2026-09-03"), "{status}");
    // The brief (due Mon 08-31) starts in the past only when the clock is after it.
    let before = throughline(root, &["--now", "2026-08-28", "schedule", "--json"]);
    assert!(!before.contains("starts_in_past"), "{before}");
    let after = throughline(root, &["--now", "2026-09-02", "schedule", "--json"]);
    assert!(after.contains("starts_in_past"), "{after}");

    let out = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(["--now", "next tuesday", "status"])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"next tuesday\" is neither an RFC 3339 time nor a date"),
        "{err}"
    );
}

#[test]
fn the_whole_history_reads_back_in_one_piece_from_either_store() {
    use throughline::state::{Batch, MemoryStore, SqliteStore, StateStore, StatusRecord};
    use throughline_connector::State;
    let record = |id: &str, state, at: &str, target: Option<&str>| StatusRecord {
        identity: id.into(),
        state,
        source_target: target.map(Into::into),
        source_person: None,
        at: at.parse().unwrap(),
        reason: None,
    };
    let batches = [
        vec![
            record("a/x", State::Todo, "2026-09-01T09:00:00Z", None),
            record("b/x", State::Todo, "2026-09-01T09:00:00Z", None),
        ],
        vec![record(
            "b/x",
            State::Doing,
            "2026-09-02T09:00:00Z",
            Some("xl"),
        )],
        vec![record(
            "a/x",
            State::Done,
            "2026-09-03T09:00:00Z",
            Some("xl"),
        )],
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open(&dir.path().join("state.db")).unwrap();
    let mut memory = MemoryStore::new();
    for statuses in &batches {
        let batch = Batch {
            statuses: statuses.clone(),
            ..Default::default()
        };
        sqlite.commit(batch.clone()).unwrap();
        memory.commit(batch).unwrap();
    }
    let ids = |v: Vec<StatusRecord>| -> Vec<(String, State)> {
        v.into_iter().map(|r| (r.identity, r.state)).collect()
    };
    // SQLite: in the order recorded. The default (memory): per identity, oldest first.
    assert_eq!(
        ids(sqlite.all_status_history().unwrap()),
        [
            ("a/x".into(), State::Todo),
            ("b/x".into(), State::Todo),
            ("b/x".into(), State::Doing),
            ("a/x".into(), State::Done),
        ]
    );
    assert_eq!(
        ids(memory.all_status_history().unwrap()),
        [
            ("a/x".into(), State::Todo),
            ("a/x".into(), State::Done),
            ("b/x".into(), State::Todo),
            ("b/x".into(), State::Doing),
        ]
    );
}
