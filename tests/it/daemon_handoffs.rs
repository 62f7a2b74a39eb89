//! Handoffs through the real daemon: a person ticks the last earlier stage in a workbook with
//! openpyxl, and the next stage's owner gets one "your turn" e-mail from a real SMTP server on
//! loopback (aiosmtpd), in the cycle that saw the tick, and never again, also across a restart.
//!
//! The deployment's publish stage comes after copy and design (`daemon_support`).

use crate::daemon_cli::{Daemon, PATIENCE};
use crate::daemon_reminders::{Sink, free_port};
use crate::daemon_support::*;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use jiff::Timestamp;

/// Ticks the Done cell of the row whose ID is argv[2].
const TICK: &str = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
for row in ws.iter_rows(min_row=2):
    if row[head.index("ID")].value == sys.argv[2]:
        row[head.index("Done")].value = "✓"
wb.save(sys.argv[1])
"#;

fn tick(path: &Path, identity: &str) {
    let out = Command::new("python3")
        .args(["-c", TICK])
        .arg(path)
        .arg(identity)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The "your turn" mails in the inbox, each as JSON.
fn handoffs(inbox: &Path) -> Vec<serde_json::Value> {
    let mut paths: Vec<_> = std::fs::read_dir(inbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(p).unwrap()))
        .map(Result::unwrap)
        .filter(|m| m["subject"].as_str().unwrap().starts_with("Your turn"))
        .collect()
}

#[test]
fn the_next_owner_hears_once_when_the_last_earlier_stage_is_ticked() {
    if !require(python_module("aiosmtpd")) || !require(python_module("openpyxl")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let port = free_port();
    let sink = Sink::start(port, &inbox);
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["sheet"]),
            sync: "every = \"1s\"".into(),
            service: format!(
                "[reminders]\nat = \"08:30\"\nemail = {{ host = \"127.0.0.1\", port = {port}, tls = \"none\", from = \"throughline@example.com\" }}"
            ),
            ..Default::default()
        },
    );
    // Dana by name: the notice greets her so, and still goes to her address.
    let playbook = dir.path().join("playbooks/content.toml");
    let text = std::fs::read_to_string(&playbook).unwrap();
    std::fs::write(
        &playbook,
        text.replacen(
            "people = [\"dana@example.com\"]",
            "people = [\"Dana Levi <dana@example.com>\"]",
            1,
        ),
    )
    .unwrap();
    let workbook = dir.path().join("sheet.xlsx");
    let d = Daemon::start(&config).started();
    d.cycle_after(Timestamp::UNIX_EPOCH);

    // Copy done, design not yet: publish still waits, nobody hears.
    tick(&workbook, "spring-sale/copy");
    let edited = Timestamp::now();
    d.cycle_after(edited);
    d.cycle_after(Timestamp::now());
    assert_eq!(handoffs(&inbox), Vec::<serde_json::Value>::new());

    // Design done too: Dana's publish is her turn, in the cycle that saw the tick.
    tick(&workbook, "spring-sale/design");
    let start = Instant::now();
    while handoffs(&inbox).is_empty() {
        assert!(start.elapsed() < PATIENCE, "no handoff arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    // More cycles, then a restart: still the one notice.
    d.cycle_after(Timestamp::now());
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{}", log.join("\n"));
    let d = Daemon::start(&config).started();
    d.cycle_after(Timestamp::now());
    d.cycle_after(Timestamp::now());
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{}", log.join("\n"));
    drop(sink);

    let mails = handoffs(&inbox);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let m = &mails[0];
    assert_eq!(m["rcpt_tos"][0], "dana@example.com");
    assert_eq!(m["subject"], "Your turn: Spring sale: Publish (Thu 10 Dec)");
    let text = m["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.starts_with(
            "Hello Dana Levi,\n\nCopy and Design done: Spring sale: Publish is yours now.\nDue: Thu 10 Dec\n"
        ),
        "{text}"
    );
    let row = format!(
        "  • Excel (sheet): {}, the row of spring-sale/publish\n",
        workbook.display()
    );
    assert!(text.contains(&row), "{text}");
}

/// Where a handoff notice sends a person, per tool: the card, the task, the spreadsheet.
#[test]
fn each_tool_gives_the_address_of_a_task_where_it_has_one() {
    use throughline::model::TargetKind;
    let settings: toml::Table = toml::from_str("spreadsheet = \"1BxiM\"").unwrap();
    let url = |kind: &str| {
        TargetKind::parse(kind)
            .unwrap()
            .tool()
            .task_url
            .and_then(|f| f(&settings, "5f3a"))
    };
    assert_eq!(url("trello").as_deref(), Some("https://trello.com/c/5f3a"));
    assert_eq!(
        url("asana").as_deref(),
        Some("https://app.asana.com/0/0/5f3a/f")
    );
    assert_eq!(
        url("google-sheets").as_deref(),
        Some("https://docs.google.com/spreadsheets/d/1BxiM/edit")
    );
    assert_eq!(url("excel"), None);
}
