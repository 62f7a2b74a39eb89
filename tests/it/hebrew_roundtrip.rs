//! Hebrew text comes out exactly as written: parse → `schedule --json` → `graph` (Mermaid and
//! dot). Niqqud, maqaf, geresh and gershayim, a right-to-left mark, and characters that mean
//! something to the output formats are all in the fixture; nothing may be normalised, dropped,
//! re-encoded or reordered.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use throughline::model::slug;

const BIN: &str = env!("CARGO_BIN_EXE_throughline");

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
id = "hebrew"
name = "תַּהֲלִיךְ הַשָּׁקָה ״פנימי״"
lang = "he"
timezone = "Asia/Jerusalem"
workweek = ["sun", "mon", "tue", "wed", "thu"]

[roles.lead]
name = "מנהלת \"השיווק\" #1"
people = ["lead@example.com"]

[roles.it]
name = "מנהל המערכת (IT) [צוות]"
people = ["it@example.com"]

[[stage]]
id = "goals"
name = "הגדרת־יעדים: 70% מהעובדים"
owner = "lead"
days = 2
checklist = [
  "נקודת מוצא נמדדה — מיילים, כניסות לפורטל",
  { id = "sponsor", text = "אישור ההנהלה ״בכתב״ ו-\"חתימה\"", role = "it" },
]

[[stage]]
id = "design"
name = "עיצוב <כרזות> & שילוט #2"
owner = "it"
days = 1
checklist = ["וּוֶתק, גְּרָפִיקָה ו־RTL\u200F: סימן כיוון"]

[[stage]]
id = "launch"
name = "יום ההשקה `חי` \\ סוף"
owner = "lead"
days = 0
after = ["goals", "design"]
checklist = ["המנכ״ל מפרסם פוסט ראשון"]
"#;

const ITEMS: &str = r#"
[[item]]
id = "launch"
process = "hebrew"
title = "השקה: \"קהילה\" #1 — בְּרוּכִים הַבָּאִים"
golive = 2027-03-04
channel = "אירוע בקפיטריה"
notes = "הערה עם ׳גרש׳"

[[cadence]]
id = "tip"
process = "hebrew"
title = "טיפ שבועי {date} ״קצר״"
on = ["tue"]
from = 2027-01-05
until = 2027-01-12
"#;

fn write_fixture(dir: &Path) {
    fs::create_dir_all(dir.join("playbooks")).unwrap();
    fs::create_dir_all(dir.join("items")).unwrap();
    fs::write(dir.join("throughline.toml"), CONFIG).unwrap();
    fs::write(dir.join("playbooks/hebrew.toml"), PLAYBOOK).unwrap();
    fs::write(dir.join("items/items.toml"), ITEMS).unwrap();
}

fn run(config: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("the throughline binary runs");
    assert!(
        out.status.success(),
        "{args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A stage as the playbook file says it, read with the `toml` crate on its own.
struct Expected {
    id: String,
    name: String,
    role_name: String,
    days: i64,
    entries: Vec<String>,
}

fn expected_stages(playbook: &str) -> Vec<Expected> {
    let doc: toml::Table = playbook.parse().unwrap();
    let roles = doc["roles"].as_table().unwrap();
    doc["stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| {
            let owner = stage["owner"].as_str().unwrap();
            let entries = stage
                .get("checklist")
                .and_then(|c| c.as_array())
                .map(|list| {
                    list.iter()
                        .map(|e| {
                            e.as_str()
                                .or_else(|| e["text"].as_str())
                                .unwrap()
                                .to_string()
                        })
                        .collect()
                })
                .unwrap_or_default();
            Expected {
                id: stage["id"].as_str().unwrap().to_string(),
                name: stage["name"].as_str().unwrap().to_string(),
                role_name: roles[owner]["name"].as_str().unwrap().to_string(),
                days: stage["days"].as_integer().unwrap(),
                entries,
            }
        })
        .collect()
}

fn hebrew_duration(days: i64) -> String {
    match days {
        0 => "אבן דרך".to_string(),
        1 => "יום אחד".to_string(),
        n => format!("{n} ימים"),
    }
}

/// Label lines of every node of a Mermaid flowchart, entities decoded, in order.
fn mermaid_labels(out: &str) -> Vec<Vec<String>> {
    out.lines()
        // Stage nodes only: not links (plain or labelled), not the go-live node.
        .filter(|l| {
            l.starts_with("    ")
                && !l.contains(" --> ")
                && !l.contains(" -->|")
                && !l.contains("_golive([")
        })
        .map(|l| {
            let label = &l[l.find('"').unwrap() + 1..l.rfind('"').unwrap()];
            label
                .split("<br>")
                .map(|line| {
                    line.replace("#quot;", "\"")
                        .replace("#35;", "#")
                        .replace("#lt;", "<")
                        .replace("#gt;", ">")
                        .replace("#96;", "`")
                        .replace("#amp;", "&")
                })
                .collect()
        })
        .collect()
}

/// Label lines of every node of a dot graph, escapes undone, in order.
fn dot_labels(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter_map(|l| l.split_once(" [label=\""))
        // Stage nodes only: not labelled links, not the go-live node.
        .filter(|(node, _)| !node.contains(" -> ") && !node.ends_with("_golive"))
        .map(|(_, rest)| rest)
        .map(|rest| {
            let mut lines = vec![String::new()];
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next().unwrap() {
                        'n' => lines.push(String::new()),
                        other => lines.last_mut().unwrap().push(other),
                    },
                    _ => lines.last_mut().unwrap().push(c),
                }
            }
            // Graphviz decodes HTML entities in labels, so `&` is written as `&amp;`.
            lines.into_iter().map(|l| l.replace("&amp;", "&")).collect()
        })
        .collect()
}

/// Checks the schedule and both graphs of a deployment against its playbook's own text.
fn round_trip(config: &Path, playbook: &str) {
    let stages = expected_stages(playbook);

    let out = run(config, &["schedule", "--json", "--today", "2026-11-22"]);
    let raw = String::from_utf8(out.stdout).expect("schedule --json is UTF-8");
    let schedule: Value = serde_json::from_str(&raw).unwrap();
    let tasks = schedule["tasks"].as_array().unwrap();
    assert!(!tasks.is_empty());
    for task in tasks {
        let stage = stages
            .iter()
            .find(|s| task["stage"] == s.id.as_str())
            .unwrap();
        assert_eq!(
            task["stage_name"].as_str().unwrap().as_bytes(),
            stage.name.as_bytes()
        );
        let texts: Vec<&str> = task["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["text"].as_str().unwrap())
            .collect();
        assert_eq!(texts, stage.entries, "{}", task["id"]);
        for entry in task["checklist"].as_array().unwrap() {
            let key = entry["key"].as_str().unwrap();
            let id = entry["id"].as_str().unwrap();
            assert_eq!(id, format!("{}/{key}", task["id"].as_str().unwrap()));
        }
    }
    // Written as UTF-8 text, not as \u escapes that a reader of the JSON would have to decode.
    for stage in &stages {
        if !stage.name.contains(['"', '\\']) {
            assert!(
                raw.contains(&stage.name),
                "schedule --json spells {:?} as written",
                stage.name
            );
        }
    }

    let out = run(config, &["graph"]);
    let mermaid = String::from_utf8(out.stdout).unwrap();
    let out = run(config, &["graph", "--format", "dot"]);
    let dot = String::from_utf8(out.stdout).unwrap();
    let want: Vec<Vec<String>> = stages
        .iter()
        .map(|s| vec![s.name.clone(), s.role_name.clone(), hebrew_duration(s.days)])
        .collect();
    assert_eq!(mermaid_labels(&mermaid), want, "mermaid:\n{mermaid}");
    assert_eq!(dot_labels(&dot), want, "dot:\n{dot}");
    // A stage after go-live hangs off a go-live node named in the process's language.
    if playbook.contains("after_golive") {
        assert!(mermaid.contains("_golive([\"עלייה לאוויר\"])"), "{mermaid}");
        assert!(
            dot.contains("[label=\"עלייה לאוויר\", shape=ellipse"),
            "{dot}"
        );
    }
}

#[test]
fn hebrew_fixture_round_trips_through_schedule_and_graph() {
    let tmp = tempfile::tempdir().unwrap();
    write_fixture(tmp.path());
    let config = tmp.path().join("throughline.toml");
    round_trip(&config, PLAYBOOK);

    // The same text again, written out here rather than read back through `toml`.
    let out = run(&config, &["schedule", "--json", "--today", "2026-11-22"]);
    let schedule: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tasks = schedule["tasks"].as_array().unwrap();
    let task = |id: &str| {
        tasks
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("task {id}"))
    };
    assert_eq!(
        task("launch/goals")["stage_name"],
        "הגדרת־יעדים: 70% מהעובדים"
    );
    assert_eq!(
        task("launch/goals")["item_title"],
        "השקה: \"קהילה\" #1 — בְּרוּכִים הַבָּאִים"
    );
    assert_eq!(task("launch/goals")["notes"], "הערה עם ׳גרש׳");
    assert_eq!(task("launch/goals")["channel"], "אירוע בקפיטריה");
    let design = &task("launch/design")["checklist"][0];
    assert_eq!(design["text"], "וּוֶתק, גְּרָפִיקָה ו־RTL\u{200F}: סימן כיוון");
    // A key made from Hebrew text stays Hebrew.
    let text = design["text"].as_str().unwrap();
    assert_eq!(design["key"].as_str().unwrap(), slug(text));
    assert!(
        design["key"].as_str().unwrap().starts_with('ו'),
        "{}",
        design["key"]
    );
    assert_eq!(
        task("launch/goals")["checklist"][1]["text"],
        "אישור ההנהלה ״בכתב״ ו-\"חתימה\""
    );
    assert_eq!(
        task("tip@2027-01-05/launch")["item_title"],
        "טיפ שבועי 2027-01-05 ״קצר״"
    );

    let out = run(&config, &["graph"]);
    let mermaid = String::from_utf8(out.stdout).unwrap();
    assert!(
        mermaid.contains("subgraph p0[\"תַּהֲלִיךְ הַשָּׁקָה ״פנימי״\"]"),
        "{mermaid}"
    );
}

#[test]
fn hebrew_example_round_trips_through_schedule_and_graph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/internal-launch");
    let playbook = fs::read_to_string(root.join("playbooks/launch.toml")).unwrap();
    round_trip(&root.join("throughline.toml"), &playbook);
}
