//! `status --owner` ("my tasks") and `status --item` on a small deployment with statuses in its
//! state file, at a fixed clock: the exact text, JSON, items at risk first, and typos refused.
//!
//! Wed 2026-12-09, a Monday–Friday week (this week ends Sun 12-13). Each item runs
//! copy (Dana) → design (Avi) → review (Noa) → publish (Dana).
//! - spring (go-live Mon 12-14, 3 business days away): copy 1 day late, design blocked → at risk.
//! - winter: copy done, design in progress, so Dana's publish (Fri 12-11) waits for Noa's review.
//! - flash: Dana's copy is due today, in progress. summer: Dana's copy is due Fri 12-11.

use crate::common;

use std::path::{Path, PathBuf};

use common::cli::{run, text};
use throughline::state::{Batch, SqliteStore, StateStore, StatusRecord};
use throughline_connector::State;

const PLAYBOOK: &str = r#"
[process]
id = "launch"
name = "Launch"
timezone = "UTC"

[roles.writer]
name = "Writer"
people = ["dana@example.com"]

[roles.designer]
name = "Designer"
people = ["avi@example.com"]

[roles.editor]
name = "Editor"
people = ["noa@example.com"]

[[stage]]
id = "copy"
name = "Copy"
owner = "writer"
days = 2

[[stage]]
id = "design"
name = "Design"
owner = "designer"
days = 2

[[stage]]
id = "review"
name = "Review"
owner = "editor"
days = 1

[[stage]]
id = "publish"
name = "Publish"
owner = "writer"
days = 1
"#;

/// Spring last in the file, so "at risk first" has something to move.
const ITEMS: &str = r#"
[[item]]
id = "summer"
process = "launch"
title = "Summer camp"
golive = 2026-12-17

[[item]]
id = "winter"
process = "launch"
title = "Winter hours"
golive = 2026-12-11

[[item]]
id = "flash"
process = "launch"
title = "Flash sale"
golive = 2026-12-15

[[item]]
id = "autumn"
process = "launch"
title = "Autumn news"
golive = 2027-01-15

[[item]]
id = "spring"
process = "launch"
title = "Spring sale"
golive = 2026-12-14
"#;

fn deployment() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("playbooks")).unwrap();
    std::fs::create_dir_all(root.join("items")).unwrap();
    std::fs::write(
        root.join("throughline.toml"),
        "state = \"throughline.db\"\nplaybooks = [\"playbooks/*.toml\"]\nitems = [\"items/*.toml\"]\n",
    )
    .unwrap();
    std::fs::write(root.join("playbooks/launch.toml"), PLAYBOOK).unwrap();
    std::fs::write(root.join("items/items.toml"), ITEMS).unwrap();
    let at = |day: i8| {
        jiff::civil::date(2026, 12, day)
            .at(9, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
    };
    let status = |id: &str, state: State, reason: Option<&str>, day: i8| StatusRecord {
        identity: id.into(),
        state,
        reason: reason.map(String::from),
        source_target: Some("workbook".into()),
        source_person: None,
        at: at(day),
    };
    let mut store = SqliteStore::open(&root.join("throughline.db")).unwrap();
    store
        .commit(Batch {
            statuses: vec![
                status(
                    "spring/design",
                    State::Blocked,
                    Some("waiting for photos"),
                    8,
                ),
                status("winter/copy", State::Done, None, 7),
                status("winter/design", State::Doing, None, 8),
                status("flash/copy", State::Doing, None, 8),
            ],
            ..Default::default()
        })
        .unwrap();
    let config = root.join("throughline.toml");
    (dir, config)
}

fn status(config: &Path, args: &[&str]) -> String {
    let mut all = vec!["--now", "2026-12-09", "status"];
    all.extend_from_slice(args);
    let out = run(config, &all);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn my_tasks_by_when_with_whom_each_waits_for() {
    let (_dir, config) = deployment();
    assert_eq!(
        status(&config, &["--owner", "dana@example.com"]),
        "\
Tasks of dana@example.com (today 2026-12-09)
Overdue
  spring/copy     Spring sale: Copy      due 2026-12-08  to do, 1 day late  item at risk
Today
  flash/copy      Flash sale: Copy       due 2026-12-09  doing
This week
  summer/copy     Summer camp: Copy      due 2026-12-11  to do
Blocked: none
Waiting
  winter/publish  Winter hours: Publish  due 2026-12-11  to do              waits for Review (noa@example.com, to do, due 2026-12-10)
Later: 5 more tasks
"
    );
    // Avi's blocked design, with its reason; the person is matched without case.
    assert_eq!(
        status(&config, &["--owner", "AVI@example.com"]),
        "\
Tasks of AVI@example.com (today 2026-12-09)
Overdue: none
Today
  winter/design  Winter hours: Design  due 2026-12-09  doing
This week: none
Blocked
  spring/design  Spring sale: Design   due 2026-12-10  blocked  item at risk; reason: waiting for photos; waits for Copy (dana@example.com, to do, due 2026-12-08)
Waiting
  flash/design   Flash sale: Design    due 2026-12-11  to do    waits for Copy (dana@example.com, doing, due 2026-12-09)
Later: 2 more tasks
"
    );
}

#[test]
fn one_item_stage_by_stage_and_items_at_risk_first() {
    let (_dir, config) = deployment();
    assert_eq!(
        status(&config, &["--item", "spring"]),
        "\
spring (Spring sale)  go-live 2026-12-14  AT RISK  (today 2026-12-09)
  Copy     dana@example.com  2026-12-07 → 2026-12-08  to do, 1 day late
  Design   avi@example.com   2026-12-09 → 2026-12-10  blocked            reason: waiting for photos; waits for Copy (dana@example.com, to do, due 2026-12-08)
  Review   noa@example.com   2026-12-11 → 2026-12-11  to do              waits for Design (avi@example.com, blocked, due 2026-12-10)
  Publish  dana@example.com  2026-12-14 → 2026-12-14  to do              waits for Review (noa@example.com, to do, due 2026-12-11)
"
    );
    // The item at risk leads the overview, though it is last in the file.
    let overview = status(&config, &[]);
    let items: Vec<&str> = overview
        .lines()
        .skip(1)
        .take(5)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(items, ["spring", "summer", "winter", "flash", "autumn"]);
    assert!(
        overview
            .lines()
            .nth(1)
            .unwrap()
            .contains("go-live 2026-12-14  AT RISK"),
        "{overview}"
    );
    assert_eq!(overview.matches("AT RISK").count(), 1, "{overview}");
}

#[test]
fn json_for_a_person_and_an_item() {
    let (_dir, config) = deployment();
    let mine: serde_json::Value =
        serde_json::from_str(&status(&config, &["--owner", "dana@example.com", "--json"])).unwrap();
    assert_eq!(mine["owner"], "dana@example.com");
    assert_eq!(mine["overdue"][0]["task"], "spring/copy");
    assert_eq!(mine["overdue"][0]["days_late"], 1);
    assert_eq!(mine["overdue"][0]["at_risk"], true);
    assert_eq!(
        mine["waiting"][0]["waits_for"][0]["owner"],
        "noa@example.com"
    );
    assert_eq!(mine["later"], 5);
    let item: serde_json::Value =
        serde_json::from_str(&status(&config, &["--item", "spring", "--json"])).unwrap();
    assert_eq!(item["at_risk"], true);
    assert_eq!(item["tasks"][1]["reason"], "waiting for photos");
    let all: serde_json::Value = serde_json::from_str(&status(&config, &["--json"])).unwrap();
    assert_eq!(all["items"][0]["item"], "spring");
    assert_eq!(all["items"][0]["at_risk"], true);
}

#[test]
fn people_by_name_and_address() {
    let (dir, config) = deployment();
    let playbook = dir.path().join("playbooks/launch.toml");
    let named = PLAYBOOK.replace(
        "people = [\"dana@example.com\"]",
        "people = [\"Dana Levi <dana@example.com>\"]",
    );
    std::fs::write(&playbook, &named).unwrap();
    // The address is the person: her tasks are the same as before.
    assert!(
        status(&config, &["--owner", "dana@example.com"])
            .contains("  spring/copy     Spring sale: Copy      due 2026-12-08")
    );
    // A name without its closing `>` is refused at its place.
    std::fs::write(
        &playbook,
        named.replace("<dana@example.com>", "<dana@example.com"),
    )
    .unwrap();
    let out = run(&config, &["--now", "2026-12-09", "status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let line = named.lines().position(|l| l.contains("Dana Levi")).unwrap() + 1;
    assert!(
        text(&out).contains(&format!(
            "launch.toml:{line}:11: `Dana Levi <dana@example.com` must end with the address's closing `>`"
        )),
        "{}",
        text(&out)
    );
}

#[test]
fn a_person_or_item_that_is_not_there_is_refused_naming_what_there_is() {
    let (_dir, config) = deployment();
    let out = run(
        &config,
        &[
            "--now",
            "2026-12-09",
            "status",
            "--owner",
            "dan@example.com",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(
            "nobody called `dan@example.com` has a role or a task; the people are: \
             avi@example.com, dana@example.com, noa@example.com"
        ),
        "{}",
        text(&out)
    );
    let out = run(
        &config,
        &["--now", "2026-12-09", "status", "--item", "sprnig"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(
            "there is no item `sprnig` in the schedule; the items are: summer, winter, flash, autumn, spring"
        ),
        "{}",
        text(&out)
    );
}
