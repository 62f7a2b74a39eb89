//! `throughline schedule` end to end: files on disk in, table or JSON out.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const CONFIG: &str = r#"
state = "throughline.db"
playbooks = ["playbooks/*.toml"]
items = ["items/*.toml"]
"#;

/// The worked example of docs/dates.md, with Hebrew names.
const PLAYBOOK: &str = r#"
[process]
id = "content"
name = "צינור התוכן"
timezone = "Asia/Jerusalem"
workweek = ["sun", "mon", "tue", "wed", "thu"]

[roles.campaign]
name = "מנהלת קמפיין"
people = ["dana@example.com"]
backup = "noa@example.com"
away = [{ who = "dana@example.com", from = 2026-12-09, to = 2026-12-09 }]

[roles.writer]
name = "כותב"
people = ["yossi@example.com"]

[roles.designer]
name = "מעצב"
people = ["avi@example.com"]

[[stage]]
id = "idea"
name = "רעיון ובריף"
owner = "campaign"
days = 2
checklist = ["מאיפה הגיע הרעיון", { id = "brief-ok", text = "הבריף אושר", role = "campaign" }]

[[stage]]
id = "copy"
name = "טקסט"
owner = "writer"
days = 3
after = ["idea"]

[[stage]]
id = "design"
name = "עיצוב"
owner = "designer"
days = 3
after = ["idea"]

[[stage]]
id = "approval"
name = "אישור"
owner = "campaign"
days = 1
after = ["copy", "design"]

[[stage]]
id = "publish"
name = "פרסום"
owner = "writer"
days = 0
after = ["approval"]
"#;

const ITEMS: &str = r#"
[[item]]
id = "spring-sale"
process = "content"
title = "מבצע אביב"
golive = 2026-12-10

[[item]]
id = "friday"
process = "content"
title = "Goes live on a Friday"
golive = 2026-12-11
skip = ["design"]
"#;

fn deployment() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("throughline.toml", CONFIG);
    write("playbooks/content.toml", PLAYBOOK);
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
fn json_has_the_worked_example_and_hebrew_as_written() {
    let dir = deployment();
    let out = schedule(dir.path(), &["--json", "--today", "2026-12-03"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // Unescaped, byte for byte as in the files.
    assert!(stdout.contains(r#""item_title":"מבצע אביב""#), "{stdout}");
    assert!(stdout.contains(r#""stage_name":"רעיון ובריף""#));
    assert!(stdout.contains(r#""text":"מאיפה הגיע הרעיון""#));
    assert!(stdout.contains(r#""id":"spring-sale/idea/מאיפה-הגיע-הרעיון""#));

    let json: Value = serde_json::from_str(&stdout).unwrap();
    let rows: Vec<(String, String, String, String)> = json["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["item"] == "spring-sale")
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap_or("-").to_string();
            (s("id"), s("start"), s("due"), s("owner"))
        })
        .collect();
    let expected = [
        (
            "spring-sale/idea",
            "2026-12-02",
            "2026-12-03",
            "dana@example.com",
        ),
        (
            "spring-sale/copy",
            "2026-12-06",
            "2026-12-08",
            "yossi@example.com",
        ),
        (
            "spring-sale/design",
            "2026-12-06",
            "2026-12-08",
            "avi@example.com",
        ),
        (
            "spring-sale/approval",
            "2026-12-09",
            "2026-12-09",
            "noa@example.com",
        ),
        (
            "spring-sale/publish",
            "2026-12-10",
            "2026-12-10",
            "yossi@example.com",
        ),
    ]
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()));
    assert_eq!(rows, expected);
    let approval = &json["tasks"][3];
    assert_eq!(approval["backup_for"], "dana@example.com");

    // The Friday item: no design, and a warning that go-live is not a business day.
    let friday: Vec<&str> = json["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["item"] == "friday")
        .map(|t| t["stage"].as_str().unwrap())
        .collect();
    assert_eq!(friday, ["idea", "copy", "approval", "publish"]);
    let kinds: Vec<&str> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "starts_in_past",
            "starts_in_past",
            "golive_not_business_day"
        ]
    );
    assert_eq!(json["warnings"][1]["task"], "friday/idea");
    assert_eq!(json["warnings"][2]["task"], "friday/publish");
}

#[test]
fn the_table_shows_backups_and_warnings() {
    let dir = deployment();
    let out = schedule(dir.path(), &["--today", "2026-11-01"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let header = stdout.lines().next().unwrap();
    assert!(header.starts_with("ITEM"), "{stdout}");
    assert!(header.ends_with("DUE"));
    let approval = stdout
        .lines()
        .find(|l| l.contains("spring-sale/approval"))
        .unwrap();
    assert!(approval.contains("noa@example.com (backup for dana@example.com)"));
    assert!(approval.trim_end().ends_with("2026-12-09  2026-12-09"));
    // Every row's dates start in the same column.
    let columns: Vec<usize> = stdout
        .lines()
        .filter(|l| l.contains("  2026-12-"))
        .map(|l| l.chars().count())
        .collect();
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{stdout}");
    assert!(stdout.contains("warning: friday goes live on Friday 2026-12-11"));
    assert!(
        stdout.ends_with("9 tasks in 2 items; 1 warning.\n"),
        "{stdout}"
    );
}

#[test]
fn one_item_only() {
    let dir = deployment();
    let out = schedule(
        dir.path(),
        &["--json", "--item", "friday", "--today", "2026-11-01"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["tasks"].as_array().unwrap().len(), 4);
    assert_eq!(json["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn an_unknown_item_names_the_known_ones() {
    let dir = deployment();
    let out = schedule(dir.path(), &["--item", "sprnig-sale"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(r#"there is no item "sprnig-sale""#),
        "{stderr}"
    );
    assert!(stderr.contains("spring-sale, friday"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_invalid_model_prints_its_problems_and_schedules_nothing() {
    let dir = deployment();
    std::fs::write(
        dir.path().join("items/items.toml"),
        ITEMS.replace(r#"process = "content""#, r#"process = "contnet""#),
    )
    .unwrap();
    let out = schedule(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("items.toml:"), "{stderr}");
    assert!(stderr.contains("contnet"), "{stderr}");
}

#[test]
fn today_defaults_to_the_clock() {
    let dir = deployment();
    let out = schedule(dir.path(), &["--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["tasks"].as_array().unwrap().len(), 9);
}
