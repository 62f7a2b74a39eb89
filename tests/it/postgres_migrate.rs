//! `throughline state migrate`: a SQLite state with history copied into PostgreSQL reads back
//! the same through every read of the store; a database that holds a state is refused unless
//! told; the address may come from the environment.

use throughline::state::{
    Batch, Handoff, MetricValue, PostgresStore, Snooze, SqliteStore, StateStore, StatusRecord,
};
use throughline_connector::State;

use crate::common::cli::{bin, text};
use crate::postgres_server::database;
use crate::store_conformance::{event, full_batch, status, t, task_link};

/// A state file after some weeks: links, intents, a status history with several moves,
/// events, cursors, overrides, metrics, a snooze, handoffs, notices, secrets and tokens.
fn state_with_history(path: &std::path::Path) {
    let mut store = SqliteStore::open(path).unwrap();
    store.commit(full_batch()).unwrap();
    for (minutes, state) in [
        (10, State::Doing),
        (20, State::Blocked),
        (30, State::Doing),
        (40, State::Done),
    ] {
        let mut record = status("spring-launch/review", state, Some("writers"), minutes);
        record.reason = (state == State::Blocked).then(|| "waiting for legal".into());
        let mut link = task_link("studio", "spring-launch/review", "card-2");
        link.pushed = Some(format!(
            r#"{{"fields":{{"start":"2026-06-0{}","due":"2026-06-12"}}}}"#,
            minutes / 10
        ));
        store
            .commit(Batch {
                statuses: vec![record],
                put_links: vec![link],
                events: vec![event(
                    throughline::state::EventKind::Drift,
                    minutes,
                    "moved in Trello",
                )],
                ..Batch::default()
            })
            .unwrap();
    }
    let value = MetricValue {
        metric: "signups".into(),
        value: 41.5,
        at: t(5),
        note: Some("first week".into()),
    };
    store.record_metric(&value, t(6)).unwrap();
    store
        .snooze(&Snooze {
            id: "late-stage/launch/review".into(),
            until: "2026-07-01".parse().unwrap(),
            at: t(7),
        })
        .unwrap();
    let handoff = Handoff {
        identity: "spring-launch/review".into(),
        owner: "noa@example.com".into(),
        ready_at: t(8),
        sent_at: None,
    };
    store.add_handoff(&handoff).unwrap();
    store.handoff_sent("spring-launch/review", t(9)).unwrap();
    store
        .record_notice("digest/launch/2026-06-01/noa/email", t(9))
        .unwrap();
    store.set_hook_secret("asana", "s3cret", t(9)).unwrap();
    store
        .set_calendar_token("noa@example.com", &"k".repeat(40), t(9))
        .unwrap();
}

/// Everything a store answers, as text, to compare two stores.
fn everything(store: &dyn StateStore) -> String {
    let mut out = String::new();
    for target in ["studio", "writers"] {
        out += &format!("{:?}\n", store.links(target).unwrap());
        out += &format!("{:?}\n", store.intents(target).unwrap());
        out += &format!("{:?}\n", store.cursor(target).unwrap());
    }
    out += &format!("{:?}\n", store.statuses().unwrap());
    out += &format!("{:?}\n", store.all_status_history().unwrap());
    out += &format!("{:?}\n", store.events(None).unwrap());
    out += &format!("{:?}\n", store.overrides().unwrap());
    out += &format!("{:?}\n", store.all_metric_values().unwrap());
    out += &format!("{:?}\n", store.all_snoozes().unwrap());
    out += &format!("{:?}\n", store.all_planned_history().unwrap());
    out += &format!("{:?}\n", store.handoffs().unwrap());
    out += &format!("{:?}\n", store.calendar_tokens().unwrap());
    out += &format!("{:?}\n", store.hook_secret("asana").unwrap());
    out += &format!(
        "{:?}\n",
        store
            .notice_sent("digest/launch/2026-06-01/noa/email")
            .unwrap()
    );
    out
}

/// `state migrate --from FROM --to TO`, with the database's address also in the environment
/// (for `--to env:THROUGHLINE_TEST_STATE_URL`).
fn migrate(from: &std::path::Path, to: &str, url: &str, extra: &[&str]) -> std::process::Output {
    bin()
        .args(["state", "migrate", "--from"])
        .arg(from)
        .args(["--to", to])
        .args(extra)
        .env("THROUGHLINE_TEST_STATE_URL", url)
        .output()
        .unwrap()
}

#[test]
fn a_state_with_history_round_trips_and_goes_on() {
    let Some(url) = database() else {
        return;
    };
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("throughline.db");
    state_with_history(&path);

    let out = migrate(&path, &url, &url, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("read every one back"), "{}", text(&out));
    assert!(text(&out).contains("status_history 7"), "{}", text(&out));

    let file = SqliteStore::open_read_only(&path).unwrap();
    let mut copy = PostgresStore::open(&url).unwrap();
    let want = everything(&file);
    assert!(want.contains("waiting for legal") && want.contains("signups"));
    assert_eq!(everything(&copy), want);

    // The copy goes on where the file stopped: a new status follows the copied history.
    let next = StatusRecord {
        at: t(50),
        ..status("spring-launch/review", State::Todo, Some("studio"), 50)
    };
    copy.commit(Batch {
        statuses: vec![next.clone()],
        ..Batch::default()
    })
    .unwrap();
    let history = copy.status_history("spring-launch/review").unwrap();
    assert_eq!(history.len(), 6);
    assert_eq!(history.last(), Some(&next));
}

#[test]
fn a_database_that_holds_a_state_is_refused_unless_replaced() {
    let Some(url) = database() else {
        return;
    };
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("throughline.db");
    state_with_history(&path);
    assert!(migrate(&path, &url, &url, &[]).status.success());

    // The address from the environment, as `state = "env:NAME"` reads it.
    let again = migrate(&path, "env:THROUGHLINE_TEST_STATE_URL", &url, &[]);
    assert!(!again.status.success());
    let message = text(&again);
    assert!(message.contains("already holds a state"), "{message}");
    assert!(message.contains("--replace"), "{message}");

    // Meanwhile the file moved on; --replace copies it as it is now.
    SqliteStore::open(&path)
        .unwrap()
        .record_notice("later", t(60))
        .unwrap();
    let replaced = migrate(
        &path,
        "env:THROUGHLINE_TEST_STATE_URL",
        &url,
        &["--replace"],
    );
    assert!(replaced.status.success(), "{}", text(&replaced));
    let copy = PostgresStore::open_read_only(&url).unwrap();
    assert!(copy.notice_sent("later").unwrap());
    assert_eq!(
        everything(&copy),
        everything(&SqliteStore::open_read_only(&path).unwrap())
    );
}

#[test]
fn a_running_daemon_or_sync_blocks_the_copy() {
    let Some(url) = database() else {
        return;
    };
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("throughline.db");
    state_with_history(&path);
    let holder = PostgresStore::open(&url).unwrap();
    let out = migrate(&path, &url, &url, &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("in use by another throughline process"),
        "{}",
        text(&out)
    );
    drop(holder);
    // And the file's own lock.
    let file = SqliteStore::open(&path).unwrap();
    let out = migrate(&path, &url, &url, &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("in use by another throughline process"),
        "{}",
        text(&out)
    );
    drop(file);
    assert!(migrate(&path, &url, &url, &[]).status.success());
}

#[test]
fn sync_status_plan_report_and_target_reset_work_on_a_postgres_state() {
    use crate::common::cli::copy_example;
    let Some(url) = database() else {
        return;
    };
    let (_dir, config) = copy_example("content");
    let text_of = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text_of.replace(
            "state = \"throughline.db\"",
            "state = \"env:THROUGHLINE_TEST_STATE_URL\"",
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        bin()
            .args(args)
            .arg("--config")
            .arg(&config)
            .args(["--now", "2026-11-02"])
            .env("THROUGHLINE_TEST_STATE_URL", &url)
            .output()
            .unwrap()
    };
    let synced = run(&["sync"]);
    assert!(synced.status.success(), "{}", text(&synced));
    assert!(
        text(&synced).contains("postgres://postgres@127.0.0.1"),
        "{}",
        text(&synced)
    );
    let store = PostgresStore::open_read_only(&url).unwrap();
    assert!(!store.links("workbook").unwrap().is_empty());
    let status = run(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    // Nothing changed since: the plan is empty.
    let plan = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    // `report` reads the history from the database, as from a file.
    let report = run(&["report"]);
    assert!(report.status.success(), "{}", text(&report));
    // `target reset` forgets the links there and keeps the statuses.
    let statuses = store.statuses().unwrap().len();
    let reset = run(&["target", "reset", "workbook"]);
    assert!(reset.status.success(), "{}", text(&reset));
    assert!(store.links("workbook").unwrap().is_empty());
    assert_eq!(store.statuses().unwrap().len(), statuses);
    // A sync beside a daemon (the lease held) is refused.
    let holder = PostgresStore::open(&url).unwrap();
    let refused = run(&["sync"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("in use by another throughline process"),
        "{}",
        text(&refused)
    );
    drop(holder);
}
