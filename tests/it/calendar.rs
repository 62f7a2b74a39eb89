//! `throughline calendar`: the `.ics` files parse with Python's `icalendar` package, every
//! event sits on the date `schedule --json` gives, and a second export after a date change
//! keeps every UID and moves only what moved.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::cli::{copy_example, edit, run, text};
use serde_json::Value;

const NOW: &str = "2026-11-20";

/// Parses the file with `icalendar` and returns uid → event (dtstart, dtend, summary,
/// description); the script itself checks the framing a calendar app relies on.
const PARSE: &str = r#"
import json, sys, datetime
import icalendar
raw = open(sys.argv[1], "rb").read()
assert raw.endswith(b"\r\n"), "the file must end with CRLF"
for line in raw.split(b"\r\n")[:-1]:
    assert len(line) <= 75, ("line longer than 75 octets", len(line), line)
    line.decode("utf-8")  # a fold inside a character would fail here
    assert b"\n" not in line and b"\r" not in line, ("bare line break", line)
cal = icalendar.Calendar.from_ical(raw)
assert str(cal["VERSION"]) == "2.0"
out = {}
for ev in cal.walk("VEVENT"):
    start = ev.decoded("DTSTART")
    end = ev.decoded("DTEND")
    assert type(start) is datetime.date, ("not an all-day date", start)
    assert type(end) is datetime.date, ("not an all-day date", end)
    assert end == start + datetime.timedelta(days=1), (start, end)
    assert ev.decoded("DTSTAMP") is not None
    uid = str(ev["UID"])
    assert uid not in out, ("UID twice", uid)
    out[uid] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "summary": str(ev["SUMMARY"]),
        "description": str(ev.get("DESCRIPTION", "")),
        "sequence": int(ev["SEQUENCE"]),
    }
print(json.dumps(out, ensure_ascii=False))
"#;

fn icalendar_available() -> bool {
    let why = match Command::new("python3")
        .args(["-c", "import icalendar"])
        .output()
    {
        Ok(o) if o.status.success() => return true,
        Ok(o) => format!(
            "python3 has no icalendar (pip install -r tests/requirements.txt): {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("python3 is not installed: {e}"),
    };
    if std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_some() {
        panic!("{why} (THROUGHLINE_REQUIRE_EXTERNAL_CHECKS is set: this check must run)");
    }
    eprintln!("SKIPPED: {why}");
    false
}

fn parse(path: &Path) -> BTreeMap<String, Value> {
    let o = Command::new("python3")
        .args(["-c", PARSE])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "icalendar rejected {}: {}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn export(config: &Path, out: &Path, extra: &[&str]) -> BTreeMap<String, Value> {
    let mut args = vec!["--now", NOW, "calendar", "--output", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(config, &args);
    assert!(o.status.success(), "{}", text(&o));
    parse(out)
}

fn schedule_tasks(config: &Path) -> Vec<Value> {
    let o = run(config, &["--now", NOW, "schedule", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    json["tasks"].as_array().unwrap().clone()
}

/// Item id → go-live date, from the tasks (every example item has at least one task).
fn golives(tasks: &[Value]) -> BTreeMap<String, String> {
    tasks
        .iter()
        .map(|t| {
            (
                t["item"].as_str().unwrap().to_string(),
                t["golive"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every task is one event on its due date, every item one go-live event, and nothing else.
fn matches_schedule(events: &BTreeMap<String, Value>, tasks: &[Value]) {
    for t in tasks {
        let uid = format!("{}@throughline", t["id"].as_str().unwrap());
        let event = events.get(&uid).unwrap_or_else(|| panic!("no event {uid}"));
        assert_eq!(event["start"], t["due"], "{uid}");
        let summary = event["summary"].as_str().unwrap();
        assert!(
            summary.contains(t["stage_name"].as_str().unwrap())
                && summary.contains(t["item_title"].as_str().unwrap()),
            "{uid}: {summary}"
        );
        let description = event["description"].as_str().unwrap();
        if let Some(owner) = t["owner"].as_str() {
            assert!(description.contains(owner), "{uid}: {description}");
        }
        for entry in t["checklist"].as_array().unwrap() {
            let entry = entry["text"].as_str().unwrap();
            assert!(
                description.contains(entry),
                "{uid}: {entry} not in {description}"
            );
        }
    }
    let golives = golives(tasks);
    for (item, date) in &golives {
        let uid = format!("{item}@golive.throughline");
        assert_eq!(events[&uid]["start"].as_str(), Some(date.as_str()), "{uid}");
    }
    assert_eq!(events.len(), tasks.len() + golives.len());
}

#[test]
fn english_calendar_parses_and_matches_the_schedule() {
    if !icalendar_available() {
        return;
    }
    let (dir, config) = copy_example("content");
    let events = export(&config, &dir.path().join("all.ics"), &[]);
    let tasks = schedule_tasks(&config);
    assert!(!tasks.is_empty());
    matches_schedule(&events, &tasks);
}

#[test]
fn hebrew_calendar_parses_and_keeps_the_text_whole() {
    if !icalendar_available() {
        return;
    }
    let (dir, config) = copy_example("internal-launch");
    let events = export(&config, &dir.path().join("all.ics"), &[]);
    let tasks = schedule_tasks(&config);
    matches_schedule(&events, &tasks);
    // The Hebrew texts survive escaping and folding letter for letter.
    let hebrew = events
        .values()
        .filter(|e| {
            e["summary"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('\u{5d0}'..='\u{5ea}').contains(&c))
        })
        .count();
    assert_eq!(hebrew, events.len(), "every summary is in Hebrew");
}

#[test]
fn a_second_export_keeps_every_uid_and_moves_the_changed_event() {
    if !icalendar_available() {
        return;
    }
    let (dir, config) = copy_example("content");
    let first = export(&config, &dir.path().join("calendar.ics"), &[]);
    edit(
        &dir.path().join("items/december.toml"),
        "golive = 2026-12-29",
        "golive = 2026-12-30",
    );
    let second = export(&config, &dir.path().join("calendar.ics"), &[]);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>(),
        "the same UIDs"
    );
    let uid = "year-in-review@golive.throughline";
    assert_eq!(first[uid]["start"], "2026-12-29");
    assert_eq!(second[uid]["start"], "2026-12-30");
    // Only that item's events moved.
    for (uid, event) in &first {
        if !uid.starts_with("year-in-review") {
            assert_eq!(event["start"], second[uid]["start"], "{uid}");
        }
    }
    assert!(
        first.iter().any(
            |(uid, e)| uid.starts_with("year-in-review/") && e["start"] != second[uid]["start"]
        ),
        "the item's last task moved with its go-live"
    );
    matches_schedule(&second, &schedule_tasks(&config));
}

#[test]
fn a_longer_stage_in_the_playbook_moves_the_earlier_tasks_and_keeps_every_uid() {
    if !icalendar_available() {
        return;
    }
    let (dir, config) = copy_example("content");
    let first = export(&config, &dir.path().join("calendar.ics"), &[]);
    // Approval takes two days instead of one: everything before it is due a day earlier.
    edit(
        &dir.path().join("playbooks/content.toml"),
        "days = 1\nafter = [\"copy\", \"design\", \"landing\"]",
        "days = 2\nafter = [\"copy\", \"design\", \"landing\"]",
    );
    let second = export(&config, &dir.path().join("calendar.ics"), &[]);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>(),
        "the same UIDs"
    );
    let mut moved = 0;
    for (uid, event) in &first {
        let (before, after) = (
            event["start"].as_str().unwrap(),
            second[uid]["start"].as_str().unwrap(),
        );
        if uid.ends_with("/copy@throughline") || uid.ends_with("/design@throughline") {
            assert!(after < before, "{uid}: {before} -> {after}");
            moved += 1;
        }
        if uid.contains("@golive.") || uid.ends_with("/approval@throughline") {
            assert_eq!(before, after, "{uid}");
        }
    }
    assert!(moved > 0);
    matches_schedule(&second, &schedule_tasks(&config));
}

#[test]
fn a_person_sees_their_tasks_and_their_items_go_lives() {
    if !icalendar_available() {
        return;
    }
    let (dir, config) = copy_example("content");
    let tasks = schedule_tasks(&config);
    let person = "maya@example.com";
    let mine: Vec<&Value> = tasks
        .iter()
        .filter(|t| t["owner"].as_str() == Some(person))
        .collect();
    assert!(!mine.is_empty());
    // Written with a display name and in capitals: the address is what counts.
    let events = export(
        &config,
        &dir.path().join("maya.ics"),
        &["--person", "Maya <MAYA@example.com>"],
    );
    let items: std::collections::BTreeSet<&str> =
        mine.iter().map(|t| t["item"].as_str().unwrap()).collect();
    assert_eq!(events.len(), mine.len() + items.len());
    for t in &mine {
        let uid = format!("{}@throughline", t["id"].as_str().unwrap());
        assert_eq!(events[&uid]["start"], t["due"]);
    }
    for item in &items {
        assert!(events.contains_key(&format!("{item}@golive.throughline")));
    }
}

#[test]
fn an_item_calendar_has_that_item_only() {
    if !icalendar_available() {
        return;
    }
    let (dir, config) = copy_example("content");
    let events = export(
        &config,
        &dir.path().join("item.ics"),
        &["--item", "hanukkah-sale"],
    );
    assert!(events.len() > 1);
    assert!(
        events.keys().all(|uid| uid.starts_with("hanukkah-sale")),
        "{events:?}"
    );
}

#[test]
fn unknown_person_or_item_says_what_exists() {
    let (_dir, config) = copy_example("content");
    let o = run(&config, &["calendar", "--person", "nobody@example.com"]);
    assert!(!o.status.success());
    let out = text(&o);
    assert!(out.contains("no person \"nobody@example.com\""), "{out}");
    assert!(out.contains("maya@example.com"), "{out}");
    let o = run(&config, &["calendar", "--item", "no-such-item"]);
    assert!(!o.status.success());
    let out = text(&o);
    assert!(out.contains("no item \"no-such-item\""), "{out}");
    assert!(out.contains("hanukkah-sale"), "{out}");
}

#[test]
fn standard_output_is_the_calendar_with_crlf_lines() {
    let (_dir, config) = copy_example("content");
    let o = run(
        &config,
        &["--now", NOW, "calendar", "--item", "hanukkah-sale"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{out}"
    );
    assert!(out.ends_with("END:VCALENDAR\r\n"));
    assert!(out.contains("UID:hanukkah-sale@golive.throughline\r\n"));
    assert!(out.contains("DTSTART;VALUE=DATE:20261203\r\n"));
    assert!(out.contains("DTEND;VALUE=DATE:20261204\r\n"));
    assert!(!out.replace("\r\n", "").contains('\n'), "a bare LF");
}
