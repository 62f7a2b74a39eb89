//! The dashboard's actions against the real router over 127.0.0.1, each recorded in the
//! state store with who and when: snooze a recommendation; settle a real conflict between two
//! workbooks, after which the next `plan` agrees with the side chosen (and a sync makes both
//! workbooks say so); accept a drift into the item file (changed in place, comments kept, a
//! backup next to it), while a value that would not validate leaves the file byte for byte as
//! it was; "sync now" refused by `serve` and run by the daemon.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::Value;
use throughline::state::{Batch, Event, EventKind, SqliteStore, StateStore};
use throughline_connector::{Change, Connector, State, TaskContext};
use throughline_excel::{ExcelConnector, ExcelMapping};

use crate::common::block_on;
use crate::common::cli::{bin, run, text};
use crate::dashboard_security::{Server, TOKEN, actions, deployment};

/// Set a task's status in a workbook, as a person would.
pub(crate) fn set_state(path: &Path, identity: &str, state: State) {
    let mut c = ExcelConnector::new("w", path, ExcelMapping::default());
    let obs = block_on(c.observe(None)).unwrap();
    let task = obs
        .tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some(identity))
        .unwrap_or_else(|| panic!("no row {identity} in {}", path.display()));
    let change = Change::UpdateTask {
        remote_id: task.remote_id.clone(),
        identity: identity.to_string(),
        context: TaskContext::default(),
        fields: None,
        previous: None,
        state: Some(state),
        unarchive: false,
    };
    block_on(c.apply(&[change])).remove(0).unwrap();
}

/// Give a task another owner in a workbook, as a person would (drift of a playbook field).
fn set_owner(path: &Path, identity: &str, owner: &str) {
    let mut c = ExcelConnector::new("w", path, ExcelMapping::default());
    let obs = block_on(c.observe(None)).unwrap();
    let task = obs
        .tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some(identity))
        .unwrap();
    let mut fields = task.fields.clone();
    fields.owner = Some(owner.to_string());
    let change = Change::UpdateTask {
        remote_id: task.remote_id.clone(),
        identity: identity.to_string(),
        context: TaskContext::default(),
        fields: Some(fields),
        previous: Some(task.fields.clone()),
        state: None,
        unarchive: false,
    };
    block_on(c.apply(&[change])).remove(0).unwrap();
}

pub(crate) fn state_in(path: &Path, identity: &str) -> State {
    let mut c = ExcelConnector::new("w", path, ExcelMapping::default());
    let obs = block_on(c.observe(None)).unwrap();
    obs.tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some(identity))
        .map(|t| t.state)
        .unwrap()
}

/// Who and when of the one action recorded, checked against the moments around the request.
fn recorded_once(config: &Path, before: Timestamp, kind: &str) -> throughline::state::Action {
    let after = Timestamp::now();
    let all = actions(config);
    assert_eq!(all.len(), 1, "{all:?}");
    let a = all.into_iter().next().unwrap();
    assert_eq!((a.action.as_str(), a.who.as_str()), (kind, "dana"));
    assert!(
        a.at >= before && a.at <= after,
        "{} not within the request",
        a.at
    );
    a
}

#[test]
fn snoozing_a_recommendation_hides_it_for_a_week() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let s = Server::read_only(&config);
    let (cookie, csrf) = s.signed_in();
    let before = Timestamp::now();
    let r = s.post(
        "/actions/snooze",
        &cookie,
        &[
            ("id", "over-max-parallel:dana@example.com"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.headers["location"], "/review");
    let a = recorded_once(&config, before, "snooze");
    let store = SqliteStore::open_read_only(&dir.path().join("throughline.db")).unwrap();
    let snoozes = store.all_snoozes().unwrap();
    assert_eq!(snoozes.len(), 1);
    assert_eq!(snoozes[0].id, "over-max-parallel:dana@example.com");
    let today = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jerusalem").unwrap())
        .date();
    assert_eq!(
        snoozes[0].until,
        today.checked_add(jiff::Span::new().days(7)).unwrap()
    );
    assert_eq!(a.subject, "over-max-parallel:dana@example.com");
    // `report` reads the same snooze.
    let out = run(&config, &["report", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn settling_a_conflict_is_what_the_next_plan_and_sync_keep() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let (writers, managers) = (
        dir.path().join("writers.xlsx"),
        dir.path().join("managers.xlsx"),
    );
    let task = "spring-sale/copy";
    // Two people move the same task differently: a conflict, which the policy (`newest`)
    // settles for one of them.
    set_state(&writers, task, State::Done);
    set_state(&managers, task, State::Doing);
    let out = run(&config, &["--now", "2026-12-02T09:00:00Z", "sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let db = dir.path().join("throughline.db");
    let conflict = SqliteStore::open_read_only(&db)
        .unwrap()
        .events(None)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EventKind::Conflict)
        .expect("the conflict is recorded");
    assert_eq!(conflict.detail, "writers said done; managers said doing");
    let (winner, loser, kept) = if conflict.resolution == "writers won: done" {
        (State::Done, "managers", State::Doing)
    } else {
        assert_eq!(conflict.resolution, "managers won: doing");
        (State::Doing, "writers", State::Done)
    };
    assert_eq!(
        state_in(&writers, task),
        winner,
        "the policy's side went everywhere"
    );
    assert_eq!(state_in(&managers, task), winner);

    // The side the policy did not choose was right: settle for it.
    let s = Server::read_only(&config);
    let (cookie, csrf) = s.signed_in();
    let sync_page = s.get("/sync", &cookie);
    assert!(
        sync_page.body.contains("action=\"/actions/settle\""),
        "the conflict offers its sides"
    );
    let at = conflict.at.to_string();
    let before = Timestamp::now();
    let form = [
        ("identity", task),
        ("at", at.as_str()),
        ("side", loser),
        ("csrf", csrf.as_str()),
    ];
    let r = s.post("/actions/settle", &cookie, &form);
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let a = recorded_once(&config, before, "settle");
    assert!(
        a.detail.contains(&format!("kept {loser}'s {kept}")),
        "{}",
        a.detail
    );
    let store = SqliteStore::open_read_only(&db).unwrap();
    let last = store.status_history(task).unwrap().pop().unwrap();
    assert_eq!(
        (last.state, last.source_person.as_deref()),
        (kept, Some("dana"))
    );
    drop(store);

    // A side the conflict did not have is refused; so is an unknown conflict.
    let mut bad = form;
    bad[2] = ("side", "nobody");
    assert_eq!(
        s.post("/actions/settle", &cookie, &bad).status,
        StatusCode::BAD_REQUEST
    );
    bad[1] = ("at", "2020-01-01T00:00:00Z");
    assert_eq!(
        s.post("/actions/settle", &cookie, &bad).status,
        StatusCode::CONFLICT
    );
    drop(s);

    // The next plan agrees: no conflict, and both workbooks are to show the state kept.
    let out = run(
        &config,
        &["--now", "2026-12-02T10:00:00Z", "plan", "--json"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plan["conflicts"].as_array().map(Vec::len),
        Some(0),
        "{plan:#}"
    );
    for target in plan["targets"].as_array().unwrap() {
        let changes = target["plan"]["changes"].to_string();
        assert!(
            changes.contains(task) && changes.contains(&format!("\"{kept}\"")),
            "{} is to get {kept}: {changes}",
            target["target"]
        );
    }
    let out = run(&config, &["--now", "2026-12-02T10:00:00Z", "sync"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(state_in(&writers, task), kept);
    assert_eq!(state_in(&managers, task), kept);
}

/// A drift of `field` of `identity` from `from` to `to`, recorded as a cycle records it (for
/// values no tool would hand over, and for checklist text).
fn seeded_drift(db: &Path, identity: &str, field: &str, from: &str, to: &str) -> Timestamp {
    let at: Timestamp = "2026-12-02T09:00:00Z".parse().unwrap();
    let mut store = SqliteStore::open(db).unwrap();
    store
        .commit(Batch {
            events: vec![Event {
                kind: EventKind::Drift,
                target: Some("managers".into()),
                identity: Some(identity.into()),
                detail: format!("{field} changed in the tool from {from:?} to {to:?}"),
                resolution: "reverted".into(),
                person: Some("avi@example.com".into()),
                at,
            }],
            ..Batch::default()
        })
        .unwrap();
    at
}

const ITEMS_WITH_COMMENTS: &str = "# December's items\n\n[[item]]\nid = \"spring-sale\"   # the big one\nprocess = \"content\"\ntitle = \"Spring sale\"\ngolive = 2026-12-10\n\n[[item]]\nid = \"newsletter\"\nprocess = \"content\"\ntitle = \"December newsletter\"\ngolive = 2026-12-17\n";

#[test]
fn accepting_a_drift_changes_the_item_file_in_place_with_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let items = dir.path().join("items/december.toml");
    std::fs::write(&items, ITEMS_WITH_COMMENTS).unwrap();
    // Avi gives the task to Noa in the managers' workbook; the next sync records the drift
    // (and, by the default policy, puts Dana back).
    set_owner(
        &dir.path().join("managers.xlsx"),
        "spring-sale/copy",
        "noa@example.com",
    );
    let out = run(&config, &["--now", "2026-12-02T09:00:00Z", "sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let drift = SqliteStore::open_read_only(&dir.path().join("throughline.db"))
        .unwrap()
        .events(None)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EventKind::Drift)
        .expect("the drift is recorded");
    assert_eq!(
        drift.identity.as_deref(),
        Some("spring-sale/copy"),
        "{drift:?}"
    );
    let at = drift.at;
    let s = Server::read_only(&config);
    let (cookie, csrf) = s.signed_in();
    let before = Timestamp::now();
    let at = at.to_string();
    let form = [
        ("identity", "spring-sale/copy"),
        ("target", "managers"),
        ("at", at.as_str()),
        ("csrf", csrf.as_str()),
    ];
    let r = s.post("/actions/accept-drift", &cookie, &form);
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let a = recorded_once(&config, before, "accept_drift");
    assert!(
        a.detail.contains("people.writer = \"noa@example.com\""),
        "{}",
        a.detail
    );
    let now = std::fs::read_to_string(&items).unwrap();
    // Only the one line is new; comments, order and spacing are as they were.
    let expected = ITEMS_WITH_COMMENTS.replace(
        "golive = 2026-12-10\n",
        "golive = 2026-12-10\npeople = { writer = \"noa@example.com\" }\n",
    );
    assert_eq!(now, expected);
    let backup = dir.path().join("items/december.toml.bak");
    assert_eq!(
        std::fs::read_to_string(backup).unwrap(),
        ITEMS_WITH_COMMENTS
    );
    // The files are valid, and the schedule gives the task to the new owner.
    let out = run(&config, &["schedule", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let schedule: Value = serde_json::from_slice(&out.stdout).unwrap();
    let copy = schedule["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "spring-sale/copy")
        .unwrap();
    assert_eq!(copy["owner"], "noa@example.com", "{copy:#}");
}

#[test]
fn a_drift_that_would_not_validate_leaves_the_file_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let items = dir.path().join("items/december.toml");
    std::fs::write(&items, ITEMS_WITH_COMMENTS).unwrap();
    let before_bytes = std::fs::read(&items).unwrap();
    // One cycle saw two edits of the task: its owner blanked out, its due date moved.
    let db = dir.path().join("throughline.db");
    let task = "spring-sale/copy";
    let at = seeded_drift(&db, task, "owner", "dana@example.com", "   ").to_string();
    seeded_drift(&db, task, "due", "2026-12-08", "2026-12-09");
    let s = Server::read_only(&config);
    let (cookie, csrf) = s.signed_in();
    let post = |field: &str| {
        let form = [
            ("identity", task),
            ("target", "managers"),
            ("at", at.as_str()),
            ("field", field),
            ("csrf", csrf.as_str()),
        ];
        s.post("/actions/accept-drift", &cookie, &form)
    };
    // Which of the two is meant must be said.
    let r = post("");
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("owner, due"), "{}", r.body);
    // A blank owner: the files would not be valid, so they stay as they were.
    let r = post("owner");
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("was not changed"), "{}", r.body);
    assert!(
        r.body.contains("is empty"),
        "the problem is shown: {}",
        r.body
    );
    assert_eq!(
        std::fs::read(&items).unwrap(),
        before_bytes,
        "byte for byte"
    );
    assert!(!dir.path().join("items/december.toml.bak").exists());
    // A date is not one value in the files: refused, with where to change it.
    let r = post("due");
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("golive"), "{}", r.body);
    assert_eq!(std::fs::read(&items).unwrap(), before_bytes);
    assert!(
        actions(&config).is_empty(),
        "nothing done, nothing recorded"
    );
}

#[test]
fn a_checklist_entry_keeps_its_identity_when_its_text_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let playbook = dir.path().join("playbooks/content.toml");
    let before = std::fs::read_to_string(&playbook).unwrap();
    assert!(before.contains("checklist = [\"Draft\", \"Proofread\"]"));
    let db = dir.path().join("throughline.db");
    let at = seeded_drift(
        &db,
        "spring-sale/copy/draft",
        "text",
        "Draft",
        "First draft",
    )
    .to_string();
    let s = Server::read_only(&config);
    let (cookie, csrf) = s.signed_in();
    let form = [
        ("identity", "spring-sale/copy/draft"),
        ("target", "managers"),
        ("at", at.as_str()),
        ("csrf", csrf.as_str()),
    ];
    let r = s.post("/actions/accept-drift", &cookie, &form);
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = std::fs::read_to_string(&playbook).unwrap();
    assert_eq!(
        after,
        before.replace(
            "checklist = [\"Draft\", \"Proofread\"]",
            "checklist = [{ id = \"draft\", text = \"First draft\" }, \"Proofread\"]"
        )
    );
    let dep = throughline::model::load(&config).expect("still valid");
    let copy = dep.processes[0]
        .stages
        .iter()
        .find(|s| s.id == "copy")
        .unwrap();
    assert_eq!(
        (
            copy.checklist[0].key.as_str(),
            copy.checklist[0].text.as_str()
        ),
        ("draft", "First draft"),
        "the entry's identity stays"
    );
    assert_eq!(actions(&config)[0].subject, "spring-sale/copy/draft");
}

#[test]
fn sync_now_is_refused_by_serve_and_starts_a_cycle_in_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    {
        let s = Server::read_only(&config);
        let (cookie, csrf) = s.signed_in();
        assert!(
            !s.get("/sync", &cookie)
                .body
                .contains("action=\"/actions/sync\""),
            "no button"
        );
        let r = s.post("/actions/sync", &cookie, &[("csrf", &csrf)]);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains("runs no cycles"), "{}", r.body);
    }
    let daemon = Daemon::start(&config);
    let first = daemon.cycle_after(Timestamp::UNIX_EPOCH);
    let started: Timestamp = first["last_cycle"]["started"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let before = Timestamp::now();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = block_on(async {
        client
            .post(format!("http://{}/actions/sync", daemon.addr))
            .bearer_auth(TOKEN)
            .form(&[("x", "")])
            .send()
            .await
            .unwrap()
    });
    assert_eq!(r.status(), StatusCode::OK);
    // `every = "1h"`: a cycle this soon is the one asked for.
    let next = daemon.cycle_after(started.max(before));
    assert!(next["last_cycle"]["started"].as_str().is_some());
    let recorded = actions(&config);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(
        (recorded[0].action.as_str(), recorded[0].who.as_str()),
        ("sync_now", "bot")
    );
}

/// A `throughline daemon` on a port of its own, stopped when dropped.
pub(crate) struct Daemon {
    child: Child,
    pub(crate) addr: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    pub(crate) fn start(config: &Path) -> Daemon {
        let mut child = bin()
            .args([
                "daemon",
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
                "--config",
            ])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let mut lines = stderr.lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the daemon says where it listens")
                .unwrap();
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if v["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("throughline daemon started")
            {
                break v["listen"].as_str().unwrap().to_string();
            }
        };
        // Keep reading so the daemon never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Daemon { child, addr }
    }

    /// `/readyz` once a cycle that started after `after` has ended.
    pub(crate) fn cycle_after(&self, after: Timestamp) -> Value {
        let start = Instant::now();
        loop {
            let url = format!("http://{}/readyz", self.addr);
            let body = block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() });
            let r: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            if let Some(started) = r["last_cycle"]["started"].as_str()
                && r["last_cycle"]["finished"].as_str().is_some()
                && started.parse::<Timestamp>().unwrap() > after
            {
                return r;
            }
            assert!(
                start.elapsed() < Duration::from_secs(180),
                "no cycle after {after}: {r:#}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
