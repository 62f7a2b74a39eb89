//! The weekly review (`[review]`) mailed by the daemon through a real SMTP server on loopback
//! (aiosmtpd) and written to a folder: once per week and recipient, also across restarts.

use crate::daemon_reminders::{Sink, free_port, live_through};
use crate::daemon_support::*;

use throughline::daemon::ManualClock;

#[test]
fn the_weekly_review_is_mailed_and_written_once_a_week_across_restarts() {
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
                "[daemon]\ntimezone = \"Asia/Jerusalem\"\n\n[reminders]\nat = \"08:30\"\nemail = {{ host = \"127.0.0.1\", port = {port}, tls = \"none\", from = \"ops@example.com\" }}\n\n[review]\nat = \"thu 16:00\"\nto = [\"lead@example.com\", \"boss@example.com\"]\nfolder = \"reviews\""
            ),
        },
    );
    let state = dir.path().join("throughline.db");
    let fakes = Fakes::new(&["sheet"]);
    let clock = ManualClock::new(jerusalem("2026-12-10T15:00"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Thursday 15:00 to Friday noon, restarting every 3 hours: the 16:00 review goes out
        // once, and no restart sends it again.
        live_through(
            &config,
            &state,
            &fakes,
            &clock,
            jerusalem("2026-12-11T12:00"),
            36,
            |_| {},
        )
        .await;
        // The next Thursday, around 16:00.
        clock.set(jerusalem("2026-12-17T15:30"));
        live_through(
            &config,
            &state,
            &fakes,
            &clock,
            jerusalem("2026-12-17T18:00"),
            12,
            |_| {},
        )
        .await;
    });
    drop(sink);

    let reviews: Vec<serde_json::Value> = std::fs::read_dir(&inbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .filter(|m: &serde_json::Value| m["subject"].as_str().unwrap().starts_with("סקירה שבועית"))
        .collect();
    let mut got: Vec<(String, String)> = reviews
        .iter()
        .map(|m| {
            let subject = m["subject"].as_str().unwrap();
            let week = if subject.contains("עד 10.12") {
                "10.12"
            } else if subject.contains("עד 17.12") {
                "17.12"
            } else {
                panic!("{subject}")
            };
            (
                m["rcpt_tos"][0].as_str().unwrap().to_string(),
                week.to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("boss@example.com".to_string(), "10.12".to_string()),
            ("boss@example.com".to_string(), "17.12".to_string()),
            ("lead@example.com".to_string(), "10.12".to_string()),
            ("lead@example.com".to_string(), "17.12".to_string()),
        ],
        "one review per recipient per week"
    );
    for m in &reviews {
        let html = m["html"].as_str().unwrap();
        assert!(html.contains("dir=\"rtl\""), "a Hebrew page");
        assert!(
            html.contains("id=\"recommendations\""),
            "with the recommendations"
        );
        assert!(
            html.contains("<svg") && !html.contains("<script"),
            "charts, no script"
        );
        assert!(m["text"].as_str().unwrap().contains("Recommendations"));
    }
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("reviews"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["review-2026-12-10.html", "review-2026-12-17.html"]);
}
