//! The two example deployments, run through the real binary as a user would: they validate,
//! they schedule into the tasks their files describe, and `init` writes them out unchanged.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_throughline");

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn config(name: &str) -> PathBuf {
    example(name).join("throughline.toml")
}

fn run(args: &[&str], dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.output().expect("the throughline binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// `schedule --json` with a fixed "today", so warnings do not depend on the day the test runs.
fn schedule(config: &Path) -> Value {
    let config = config.to_str().unwrap();
    let out = run(
        &[
            "schedule",
            "--json",
            "--today",
            "2026-11-22",
            "--config",
            config,
        ],
        None,
    );
    assert_ok(&out, "schedule --json");
    serde_json::from_slice(&out.stdout).expect("schedule --json prints JSON")
}

fn tasks(schedule: &Value) -> BTreeMap<String, &Value> {
    schedule["tasks"]
        .as_array()
        .expect("a tasks array")
        .iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t))
        .collect()
}

fn field<'a>(task: &'a Value, key: &str) -> &'a str {
    task[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} of {task}"))
}

/// Every file under `dir`, as paths relative to it, sorted.
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn both_examples_validate() {
    for name in ["content", "internal-launch"] {
        let out = run(
            &["validate", "--config", config(name).to_str().unwrap()],
            None,
        );
        assert_ok(&out, &format!("validate of examples/{name}"));
    }
}

/// The stage links of `examples/content/playbooks/content.toml`, written out again here.
const CONTENT_LINKS: &[(&str, &str)] = &[
    ("idea", "copy"),
    ("idea", "design"),
    ("idea", "landing"),
    ("copy", "approval"),
    ("design", "approval"),
    ("landing", "approval"),
    ("approval", "scheduling"),
    ("scheduling", "publish"),
    ("publish", "follow-up"),
    ("follow-up", "results"),
];
const CONTENT_STAGES: &[&str] = &[
    "idea",
    "copy",
    "design",
    "landing",
    "approval",
    "scheduling",
    "publish",
    "follow-up",
    "results",
];
/// The content stages after go-live (`after_golive`).
const CONTENT_AFTER_GOLIVE: &[&str] = &["follow-up", "results"];

#[test]
fn content_example_schedules_every_item_through_every_stage() {
    let schedule = schedule(&config("content"));
    let tasks = tasks(&schedule);

    // Four items, and a tip on every Tuesday and Thursday from 8 December to 28 January.
    let tips = [
        "2026-12-08",
        "2026-12-10",
        "2026-12-15",
        "2026-12-17",
        "2026-12-22",
        "2026-12-24",
        "2026-12-29",
        "2026-12-31",
        "2027-01-05",
        "2027-01-07",
        "2027-01-12",
        "2027-01-14",
        "2027-01-19",
        "2027-01-21",
        "2027-01-26",
        "2027-01-28",
    ];
    let mut expected = BTreeSet::new();
    for item in ["hanukkah-sale", "newsletter-january", "winter-workshop"] {
        expected.extend(CONTENT_STAGES.iter().map(|s| format!("{item}/{s}")));
    }
    // These skip the landing page.
    let mut skipping: Vec<String> = tips.iter().map(|d| format!("tip@{d}")).collect();
    skipping.push("year-in-review".into());
    for item in &skipping {
        expected.extend(
            CONTENT_STAGES
                .iter()
                .filter(|s| **s != "landing")
                .map(|s| format!("{item}/{s}")),
        );
    }
    let got: BTreeSet<String> = tasks.keys().cloned().collect();
    assert_eq!(got, expected);
    // 3 items × 9 stages + 17 items × 8 (no landing page).
    assert_eq!(tasks.len(), 163);

    for (id, task) in &tasks {
        let (due, start, golive) = (
            field(task, "due"),
            field(task, "start"),
            field(task, "golive"),
        );
        // Stages after go-live start on or after it; every other stage is due by it.
        if CONTENT_AFTER_GOLIVE.contains(&field(task, "stage")) {
            assert!(
                start <= due && golive <= start,
                "{id}: {start}..{due}, go-live {golive}"
            );
        } else {
            assert!(
                start <= due && due <= golive,
                "{id}: {start}..{due}, go-live {golive}"
            );
        }
        // Posting days are Tuesday and Thursday; the milestone is on the go-live day itself.
        if field(task, "stage") == "publish" {
            assert_eq!((start, due), (golive, golive), "{id}");
        }
    }
    // Every stage ends before the next one starts, per item; the follow-up, anchored on the
    // go-live day (`after_golive = 0`), shares that day with the publishing milestone.
    for (id, task) in &tasks {
        let item = field(task, "item");
        for (before, _) in CONTENT_LINKS
            .iter()
            .filter(|(_, a)| *a == field(task, "stage"))
        {
            if let Some(prev) = tasks.get(&format!("{item}/{before}")) {
                let (end, start) = (field(prev, "due"), field(task, "start"));
                if *before == "publish" {
                    assert_eq!(end, start, "{item}/{before} and {id}");
                } else {
                    assert!(end < start, "{item}/{before} ends after {id} starts");
                }
            }
        }
    }

    // The worked dates of one item (Sun-Thu week, go-live Thursday 3 December).
    let dates = |id: &str| {
        (
            field(tasks[id], "start").to_string(),
            field(tasks[id], "due").to_string(),
        )
    };
    assert_eq!(
        dates("hanukkah-sale/idea"),
        ("2026-11-24".into(), "2026-11-25".into())
    );
    assert_eq!(
        dates("hanukkah-sale/copy"),
        ("2026-11-26".into(), "2026-11-30".into())
    );
    assert_eq!(
        dates("hanukkah-sale/landing"),
        ("2026-11-29".into(), "2026-11-30".into())
    );
    assert_eq!(
        dates("hanukkah-sale/approval"),
        ("2026-12-01".into(), "2026-12-01".into())
    );
    assert_eq!(
        dates("hanukkah-sale/scheduling"),
        ("2026-12-02".into(), "2026-12-02".into())
    );
    assert_eq!(
        dates("hanukkah-sale/follow-up"),
        ("2026-12-03".into(), "2026-12-03".into())
    );
    // Two business days after Thursday 3 December: Sunday 6th (1), Monday 7th (2).
    assert_eq!(
        dates("hanukkah-sale/results"),
        ("2026-12-07".into(), "2026-12-07".into())
    );
    // A Thursday 24 December tip: results on Monday 28th, by Dana.
    assert_eq!(
        dates("tip@2026-12-24/results"),
        ("2026-12-28".into(), "2026-12-28".into())
    );
    assert_eq!(
        field(tasks["tip@2026-12-24/results"], "owner"),
        "dana@example.com"
    );

    // Per-item owner override: Maya writes the year in review instead of Yossi.
    assert_eq!(
        field(tasks["year-in-review/copy"], "owner"),
        "maya@example.com"
    );
    assert_eq!(
        field(tasks["hanukkah-sale/copy"], "owner"),
        "yossi@example.com"
    );
    // Dana is away 20-24 December: Noa, the backup, writes the year-in-review brief; Dana is
    // back for its approval on the 27th.
    let idea = tasks["year-in-review/idea"];
    assert_eq!(
        dates("year-in-review/idea"),
        ("2026-12-20".into(), "2026-12-21".into())
    );
    assert_eq!(field(idea, "owner"), "noa@example.com");
    assert_eq!(field(idea, "backup_for"), "dana@example.com");
    assert_eq!(dates("year-in-review/approval").1, "2026-12-27");
    assert_eq!(
        field(tasks["year-in-review/approval"], "owner"),
        "dana@example.com"
    );
    assert!(tasks["year-in-review/approval"]["backup_for"].is_null());
    assert!(tasks["hanukkah-sale/approval"]["backup_for"].is_null());

    // Checklist entries keep their ids and their own roles.
    let idea = &tasks["hanukkah-sale/idea"]["checklist"];
    let entry = |key: &str| {
        idea.as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == key)
            .unwrap_or_else(|| panic!("entry {key}"))
    };
    assert_eq!(
        field(entry("brief-ok"), "id"),
        "hanukkah-sale/idea/brief-ok"
    );
    assert_eq!(field(entry("landing-need"), "role"), "web");
    assert_eq!(field(entry("landing-need"), "owner"), "eli@example.com");
    assert_eq!(
        field(
            entry("audience-and-channels-chosen-instagram-facebook-linkedin-newsletter-blog"),
            "text"
        ),
        "Audience and channels chosen: Instagram, Facebook, LinkedIn, newsletter, blog"
    );

    // The designer's max_parallel = 2 is exceeded once, over Christmas week; nothing else is
    // wrong on 22 November 2026.
    let warnings = schedule["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0]["kind"], "overloaded");
    assert_eq!(warnings[0]["person"], "avi@example.com");
}

#[test]
fn internal_launch_example_schedules_the_launch_and_its_review() {
    let schedule = schedule(&config("internal-launch"));
    let tasks = tasks(&schedule);
    let expected: &[(&str, &str, &str, &str)] = &[
        (
            "launch/people",
            "ronit@example.com",
            "2027-01-28",
            "2027-02-03",
        ),
        ("launch/org", "liat@example.com", "2027-01-31", "2027-02-03"),
        (
            "launch/goals",
            "michal@example.com",
            "2027-02-03",
            "2027-02-07",
        ),
        (
            "launch/swot",
            "michal@example.com",
            "2027-02-04",
            "2027-02-07",
        ),
        (
            "launch/product",
            "omer@example.com",
            "2027-02-08",
            "2027-02-14",
        ),
        (
            "launch/promotion",
            "tal@example.com",
            "2027-02-15",
            "2027-02-21",
        ),
        (
            "launch/price",
            "ronit@example.com",
            "2027-02-17",
            "2027-02-21",
        ),
        (
            "launch/place",
            "michal@example.com",
            "2027-02-17",
            "2027-02-21",
        ),
        (
            "launch/plan",
            "michal@example.com",
            "2027-02-22",
            "2027-02-24",
        ),
        (
            "launch/training",
            "ronit@example.com",
            "2027-02-25",
            "2027-03-03",
        ),
        (
            "launch/gamification",
            "amir@example.com",
            "2027-02-28",
            "2027-03-03",
        ),
        (
            "launch/helpdesk",
            "amir@example.com",
            "2027-03-01",
            "2027-03-03",
        ),
        (
            "launch/metrics",
            "liat@example.com",
            "2027-03-02",
            "2027-03-03",
        ),
        (
            "launch/launch",
            "michal@example.com",
            "2027-03-04",
            "2027-03-04",
        ),
        // After go-live: 20 business days after Thursday 4 March (four Sun-Thu weeks) is
        // Thursday 1 April; two days end on Sunday 4 April.
        (
            "launch/review30",
            "liat@example.com",
            "2027-04-01",
            "2027-04-04",
        ),
    ];
    let got: BTreeSet<&str> = tasks.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = expected.iter().map(|e| e.0).collect();
    assert_eq!(got, want);
    for (id, owner, start, due) in expected {
        let task = tasks[*id];
        assert_eq!(
            (
                field(task, "owner"),
                field(task, "start"),
                field(task, "due")
            ),
            (*owner, *start, *due),
            "{id}"
        );
    }
    // Shira is away 14-18 February; Tal covers the promotion work.
    assert_eq!(
        field(tasks["launch/promotion"], "backup_for"),
        "shira@example.com"
    );
    assert_eq!(field(tasks["launch/launch"], "stage_name"), "יום ההשקה");
    assert_eq!(
        field(tasks["launch/launch"], "item_title"),
        "השקת הרשת החברתית הפנימית"
    );
    assert_eq!(
        schedule["warnings"].as_array().unwrap().len(),
        0,
        "{}",
        schedule["warnings"]
    );
}

#[test]
fn graph_draws_each_example_and_names_the_processes_when_asked_for_an_unknown_one() {
    let content = config("content");
    let content = content.to_str().unwrap();
    let out = run(&["graph", "--config", content], None);
    assert_ok(&out, "graph");
    let mermaid = text(&out.stdout);
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(
        mermaid.contains("{\"Published<br>Social media manager<br>milestone\"}"),
        "{mermaid}"
    );
    // publish → follow-up is drawn through the go-live node (publish → go-live), and the
    // go-live node leads to follow-up and results with labelled edges.
    assert_eq!(mermaid.matches(" --> ").count(), CONTENT_LINKS.len());
    assert!(mermaid.contains("p0_golive([\"Go-live\"])"), "{mermaid}");
    assert!(
        mermaid.contains("p0_6_publish --> p0_golive\n"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("p0_golive -->|\"+2 business days\"| p0_8_results\n"),
        "{mermaid}"
    );

    let out = run(
        &[
            "graph",
            "--format",
            "dot",
            "--process",
            "content",
            "--config",
            content,
        ],
        None,
    );
    assert_ok(&out, "graph --format dot");
    assert!(text(&out.stdout).contains("rankdir=LR;"));

    let out = run(
        &["graph", "--process", "newsletter", "--config", content],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("no process \"newsletter\"") && err.contains("content"),
        "{err}"
    );
}

fn init_into(dir: &Path, lang: &str, example_name: &str) {
    let out = run(&["init", dir.to_str().unwrap(), "--lang", lang], None);
    assert_ok(&out, &format!("init --lang {lang}"));
    let stdout = text(&out.stdout);
    let config = dir.join("throughline.toml").display().to_string();
    let next = if config.contains(' ') {
        format!("throughline schedule --config \"{config}\"")
    } else {
        format!("throughline schedule --config {config}")
    };
    assert!(
        stdout.contains(&next),
        "init names the next command:\n{stdout}"
    );

    // Exactly the files of the example folder, byte for byte.
    let source = example(example_name);
    assert_eq!(
        files_under(dir),
        files_under(&source),
        "init --lang {lang} writes every example file"
    );
    for file in files_under(&source) {
        assert_eq!(
            fs::read(dir.join(&file)).unwrap(),
            fs::read(source.join(&file)).unwrap(),
            "{file:?}"
        );
        assert!(
            stdout.contains(&dir.join(&file).display().to_string()),
            "init lists {file:?}"
        );
    }

    let out = run(
        &[
            "validate",
            "--config",
            dir.join("throughline.toml").to_str().unwrap(),
        ],
        None,
    );
    assert_ok(&out, &format!("validate after init --lang {lang}"));
}

#[test]
fn init_writes_the_english_and_the_hebrew_example_and_they_validate() {
    let tmp = tempfile::tempdir().unwrap();
    init_into(&tmp.path().join("en"), "en", "content");
    init_into(
        &tmp.path().join("new folder").join("he"),
        "he",
        "internal-launch",
    );
}

#[test]
fn init_writes_into_the_current_folder_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&["init"], Some(tmp.path()));
    assert_ok(&out, "init");
    assert_eq!(files_under(tmp.path()), files_under(&example("content")));
    let out = run(&["validate"], Some(tmp.path()));
    assert_ok(&out, "validate with the default --config");
}

#[test]
fn init_refuses_to_overwrite_and_names_the_files_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir_all(dir.join("playbooks")).unwrap();
    fs::write(dir.join("throughline.toml"), "# mine\n").unwrap();
    fs::write(dir.join("playbooks/content.toml"), "# also mine\n").unwrap();

    let out = run(&["init", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&dir.join("throughline.toml").display().to_string()),
        "{err}"
    );
    assert!(
        err.contains(&dir.join("playbooks/content.toml").display().to_string()),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    // Nothing was written: not the clashing files, not the others.
    assert_eq!(
        fs::read_to_string(dir.join("throughline.toml")).unwrap(),
        "# mine\n"
    );
    assert!(!dir.join("items").exists());

    let out = run(&["init", dir.to_str().unwrap(), "--force"], None);
    assert_ok(&out, "init --force");
    assert_eq!(
        fs::read(dir.join("throughline.toml")).unwrap(),
        fs::read(config("content")).unwrap()
    );
    assert_eq!(files_under(dir), files_under(&example("content")));
}
