//! Stages after go-live (`after_golive`) through the files and `throughline schedule`: dates
//! checked by hand, and the located errors for values that make no sense.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const CONFIG: &str = r#"
state = "throughline.db"
playbooks = ["playbooks/*.toml"]
items = ["items/*.toml"]
"#;

/// Sun–Thu week with a holiday on Mon 2026-12-14: publish on the go-live date, a results
/// check 2 business days later, a report after it, and a review 8 business days after go-live.
const PLAYBOOK: &str = r#"
[process]
id = "content"
timezone = "Asia/Jerusalem"
workweek = ["sun", "mon", "tue", "wed", "thu"]
holidays = [2026-12-14]

[roles.social]
people = ["michal@example.com"]
backup = "noa@example.com"
away = [{ who = "michal@example.com", from = 2026-12-17, to = 2026-12-17 }]

[[stage]]
id = "approval"
owner = "social"
days = 1

[[stage]]
id = "publish"
owner = "social"
days = 0

[[stage]]
id = "results"
owner = "social"
days = 1
after_golive = 2

[[stage]]
id = "report"
owner = "social"
days = 2

[[stage]]
id = "review"
owner = "social"
days = 1
after = ["report"]
after_golive = 8
"#;

const ITEMS: &str = r#"
[[item]]
id = "launch"
process = "content"
title = "Launch"
golive = 2026-12-10
"#;

fn deployment(playbook: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("throughline.toml", CONFIG);
    write("playbooks/content.toml", playbook);
    write("items/items.toml", ITEMS);
    dir
}

fn schedule(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_throughline"))
        .arg("schedule")
        .arg("--config")
        .arg(dir.join("throughline.toml"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn forward_stages_are_dated_from_the_go_live_date() {
    let dir = deployment(PLAYBOOK);
    let out = schedule(dir.path(), &["--json", "--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<[String; 4]> = json["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| ["id", "start", "due", "owner"].map(|k| t[k].as_str().unwrap().to_string()))
        .collect();
    // Go-live Thu 12-10. publish 12-10, approval Wed 12-09. After go-live: Sun 13 is +1,
    // Mon 14 a holiday, Tue 15 is +2 → results 12-15. report (after results, by file order)
    // starts Wed 16 and, 2 days, ends Thu 17, when michal is away → noa. review: +8 is
    // 13, 15, 16, 17, 20, 21, 22, 23 → Wed 23, later than the day after report (Sun 20).
    let expected = [
        [
            "launch/approval",
            "2026-12-09",
            "2026-12-09",
            "michal@example.com",
        ],
        [
            "launch/publish",
            "2026-12-10",
            "2026-12-10",
            "michal@example.com",
        ],
        [
            "launch/results",
            "2026-12-15",
            "2026-12-15",
            "michal@example.com",
        ],
        [
            "launch/report",
            "2026-12-16",
            "2026-12-17",
            "noa@example.com",
        ],
        [
            "launch/review",
            "2026-12-23",
            "2026-12-23",
            "michal@example.com",
        ],
    ]
    .map(|row| row.map(str::to_string));
    assert_eq!(rows, expected);
    assert_eq!(json["warnings"], Value::Array(Vec::new()));
}

#[test]
fn after_golive_values_that_make_no_sense_are_located_errors() {
    let negative = PLAYBOOK.replace("after_golive = 2", "after_golive = -2");
    let dir = deployment(&negative);
    let out = schedule(dir.path(), &[]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("playbooks/content.toml:27:16: `after_golive` must be")
            && stderr.contains("-2 is negative"),
        "{stderr}"
    );

    // A Sun–Thu year is 261 business days.
    let far = PLAYBOOK.replace("after_golive = 8", "after_golive = 300");
    let dir = deployment(&far);
    let out = schedule(dir.path(), &[]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "playbooks/content.toml:39:16: `after_golive = 300` is more than a year of business days (261 in this work week)"
        ),
        "{stderr}"
    );

    let word = PLAYBOOK.replace("after_golive = 8", "after_golive = \"8\"");
    let dir = deployment(&word);
    let out = schedule(dir.path(), &[]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("playbooks/content.toml:39:16: `after_golive` must be"),
        "{stderr}"
    );
}
