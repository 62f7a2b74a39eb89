//! Reminder e-mails received by a real SMTP server on loopback (Python's aiosmtpd), read back
//! by Python's own e-mail parser: Hebrew subject and body intact, one digest per person per
//! business day across days of simulated cycles and restarts, the backup while the owner is
//! away.

use crate::daemon_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use daemon_support::*;
use jiff::Timestamp;
use throughline::daemon::logging::Secrets;
use throughline::daemon::{Clock, ManualClock, Service, Shared};
use throughline::model;
use throughline::state::SqliteStore;
use throughline_connector::State;

pub(crate) struct Sink {
    child: Child,
}

impl Sink {
    pub(crate) fn start(port: u16, out: &Path) -> Sink {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/daemon_support/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        Sink { child }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Cycles every 5 minutes from `from` to `to`, restarting the daemon every `restart` wakes.
pub(crate) async fn live_through(
    config: &Path,
    state: &Path,
    fakes: &Fakes,
    clock: &ManualClock,
    to: Timestamp,
    restart: usize,
    mut between: impl FnMut(Timestamp),
) {
    while clock.now() < to {
        let dep = model::load(config).unwrap_or_else(|d| panic!("{d}"));
        let shared = Arc::new(Shared::new(Timestamp::now(), Secrets::default()));
        let mut svc = Service::new(
            config,
            dep,
            Box::new(SqliteStore::open(state).unwrap()),
            Box::new(fakes.clone()),
            Arc::new(clock.clone()),
            shared,
            "127.0.0.1:9184".parse().unwrap(),
        )
        .unwrap();
        for _ in 0..restart {
            if clock.now() >= to {
                break;
            }
            svc.wake().await;
            clock.advance(Duration::from_secs(300));
        }
        between(clock.now());
    }
}

#[test]
fn hebrew_digests_by_smtp_once_a_business_day_and_to_the_backup() {
    if !require(python_module("aiosmtpd")) {
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
            lang: Lang::He,
            targets: excel_targets(&["sheet"]),
            sync: "every = \"5m\"".into(),
            service: format!(
                "[reminders]\nat = \"08:30\"\ndays_ahead = 1\nemail = {{ host = \"127.0.0.1\", port = {port}, tls = \"none\", from = \"צוות התוכן <content@example.com>\" }}"
            ),
        },
    );
    let state = dir.path().join("throughline.db");
    let fakes = Fakes::new(&["sheet"]);
    let clock = ManualClock::new(jerusalem("2026-12-09T07:00"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Wednesday 07:00 to Friday noon, restarting every 7 hours. Thursday night Dana ticks
        // her copy of the spring sale in the sheet.
        live_through(
            &config,
            &state,
            &fakes,
            &clock,
            jerusalem("2026-12-11T12:00"),
            84,
            |now| {
                if now > jerusalem("2026-12-10T00:00") {
                    fakes
                        .get("sheet")
                        .set_state("spring-sale/copy", State::Done);
                }
            },
        )
        .await;
        // The clock jumps to Monday 21 December, when Dana is away (20–24 December).
        clock.set(jerusalem("2026-12-21T07:00"));
        live_through(
            &config,
            &state,
            &fakes,
            &clock,
            jerusalem("2026-12-21T12:00"),
            30,
            |_| {},
        )
        .await;
    });
    drop(sink);

    let mut mails: Vec<serde_json::Value> = std::fs::read_dir(&inbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    mails.sort_by_key(|m| m["subject"].as_str().unwrap().to_string() + m["to"].as_str().unwrap());
    let summary: Vec<(String, String)> = mails
        .iter()
        .map(|m| {
            (
                m["rcpt_tos"][0].as_str().unwrap().to_string(),
                m["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        (
            "avi@example.com",
            "תהליך התוכן — משימה אחת באיחור (יום ה׳ 10.12)",
        ),
        (
            "avi@example.com",
            "תהליך התוכן — 2 משימות באיחור (יום ב׳ 21.12)",
        ),
        (
            "avi@example.com",
            "תהליך התוכן — משימה אחת לסיום בקרוב (יום ד׳ 9.12)",
        ),
        (
            "dana@example.com",
            "תהליך התוכן — משימה אחת לסיום בקרוב (יום ה׳ 10.12)",
        ),
        (
            "dana@example.com",
            "תהליך התוכן — 2 משימות לסיום בקרוב (יום ד׳ 9.12)",
        ),
        (
            "noa@example.com",
            "תהליך התוכן — 3 משימות באיחור (יום ב׳ 21.12)",
        ),
    ];
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let mut have = summary.clone();
    want.sort();
    have.sort();
    assert_eq!(have, want, "exactly one digest per person per business day");

    // The subject travelled encoded (RFC 2047) and decodes to the same Hebrew.
    for m in &mails {
        assert!(
            m["raw_subject"].as_str().unwrap().starts_with("=?utf-8?"),
            "{m:#}"
        );
        assert_eq!(m["from"], "צוות התוכן <content@example.com>");
        assert_eq!(m["content_type"], "multipart/alternative");
        assert!(m["html"].as_str().unwrap().contains("dir=\"rtl\""));
    }
    let dana_wed = mails
        .iter()
        .find(|m| m["to"] == "dana@example.com" && m["subject"].as_str().unwrap().contains("9.12"))
        .unwrap();
    // Mail travels with CRLF line ends.
    let text = dana_wed["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(text.starts_with("שלום dana@example.com,\n"), "{text:?}");
    assert!(text.contains("לסיום בקרוב:\n  • מבצע האביב: כתיבה — עד יום ד׳ 9.12\n  • מבצע האביב: פרסום — עד יום ה׳ 10.12\n"), "{text}");
    assert!(
        text.contains("אפשר לסמן משימה כבוצעה בכלי העבודה"),
        "{text}"
    );
    // While Dana is away, Noa gets Dana's overdue tasks, marked as covering for her.
    let noa = mails.iter().find(|m| m["to"] == "noa@example.com").unwrap();
    let text = noa["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(text.contains("באיחור:\n"), "{text}");
    assert!(
        text.contains(
            "ניוזלטר דצמבר: כתיבה — מועד הסיום היה יום ד׳ 16.12 [במקום dana@example.com]"
        ),
        "{text}"
    );
    assert!(
        !text.contains("מבצע האביב: כתיבה"),
        "done on Thursday: {text}"
    );
}
