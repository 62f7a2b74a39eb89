//! The dashboard's pages as `throughline serve` and the daemon answer them: every page in
//! English and in Hebrew (right to left), nothing loaded from elsewhere, text escaped, static
//! routes closed to path traversal, conflicts and drift with who, where and when, and the
//! browser's view of it all (`tests/browser/dashboard_pages.py`: screenshots, console errors,
//! requests, axe-core).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use throughline::state::{Batch, Event, EventKind, SqliteStore, StateStore, StatusRecord};
use throughline_connector::State;

use crate::common::cli::{bin, copy_example, edit, run, text};
use crate::daemon_support::{python_module, require};

/// The pages every deployment has, by path.
pub const PAGES: [&str; 6] = ["/", "/process", "/people", "/sync", "/review", "/report"];

/// A copy of an example with a first sync on `first` and status history up to `now` (as the
/// report's tests make it: `bench/history.py`), plus a blocked task, a conflict, a drift and
/// an unknown marker in the state store.
pub fn with_history(example: &str, first: &str, now: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, config) = copy_example(example);
    let out = run(&config, &["--now", first, "sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&config, &["--now", first, "schedule", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let schedule = dir.path().join("schedule.json");
    std::fs::write(&schedule, &out.stdout).unwrap();
    let history = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/history.py");
    let out = Command::new("python3")
        .arg(history)
        .arg(&schedule)
        .arg(dir.path().join("throughline.db"))
        .arg(now)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tasks: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&schedule).unwrap()).unwrap();
    let open = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .rev()
        .nth(2)
        .unwrap();
    let at: jiff::Timestamp = format!("{now}T08:00:00Z").parse().unwrap();
    seed(
        &dir.path().join("throughline.db"),
        &open,
        at,
        example == "internal-launch",
    );
    (dir, config)
}

/// A blocked task, a conflict, a drift and an unknown marker, as a few cycles would record them.
fn seed(db: &Path, task: &str, at: jiff::Timestamp, hebrew: bool) {
    let mut store = SqliteStore::open(db).unwrap();
    let (reason, who) = if hebrew {
        ("ממתינים לאישור המשפטי", "shira@example.com")
    } else {
        (
            "Waiting for legal to approve the terms <b>",
            "maya@example.com",
        )
    };
    let event = |kind, detail: &str, resolution: &str| Event {
        kind,
        target: Some("workbook".to_string()),
        identity: Some(task.to_string()),
        detail: detail.to_string(),
        resolution: resolution.to_string(),
        person: Some(who.to_string()),
        at,
    };
    store
        .commit(Batch {
            statuses: vec![StatusRecord {
                identity: task.to_string(),
                state: State::Blocked,
                reason: Some(reason.to_string()),
                source_target: Some("workbook".to_string()),
                source_person: Some(who.to_string()),
                at,
            }],
            events: vec![
                // As the engine words them (src/engine/mod.rs).
                event(
                    EventKind::Conflict,
                    &format!("workbook said done ({who}); the hub had doing, and no link said which tool moved"),
                    "workbook won: done",
                ),
                event(
                    EventKind::Drift,
                    "due changed in the tool from \"2026-12-01\" to \"2026-12-04\"",
                    "reverted",
                ),
                event(
                    EventKind::Unknown,
                    "row 14 carries an unknown marker",
                    "ignored",
                ),
            ],
            ..Batch::default()
        })
        .unwrap();
}

/// A running `throughline serve`, stopped when dropped.
pub struct Served {
    child: Child,
    pub addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `throughline --now NOW serve --listen 127.0.0.1:0` on `config`, once it answers.
pub fn serve(config: &Path, now: &str) -> Served {
    let mut child = bin()
        .args(["--now", now, "serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("serve said {line:?}"))
        .to_string();
    Served { child, addr }
}

/// A response: status, headers (lower-case names), body.
pub struct Got {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

/// `GET path` as written (no normalising), over a fresh connection.
pub fn get(addr: &str, path: &str) -> Got {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Got {
        status,
        headers: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

/// The first item's page address.
fn first_item(body: &str) -> String {
    let at = body
        .find("href=\"/item/")
        .expect("the overview links an item")
        + 6;
    body[at..at + body[at..].find('"').unwrap()].to_string()
}

/// No resource is loaded from elsewhere: no script, and every `src`/`<link href>` is local.
fn fetches_nothing_outside(page: &str, html: &str) {
    assert!(!html.contains("<script"), "{page}: a script");
    assert!(
        !html.contains(" src=\""),
        "{page}: an element that loads something"
    );
    for link in html.split("<link ").skip(1) {
        let href = link
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            href.starts_with('/') || href.starts_with("data:"),
            "{page}: <link href={href}>"
        );
    }
    for outside in ["@import", "url(http", "@font-face"] {
        assert!(!html.contains(outside), "{page}: {outside}");
    }
}

#[test]
fn every_page_in_english_and_in_hebrew() {
    for (lang, example, first, now) in [
        ("en", "content", "2026-11-01", "2026-12-20"),
        ("he", "internal-launch", "2027-01-05", "2027-02-20"),
    ] {
        let (_dir, config) = with_history(example, first, now);
        let served = serve(&config, now);
        let overview = get(&served.addr, "/");
        let item = first_item(&overview.body);
        for path in PAGES.iter().copied().chain([item.as_str()]) {
            let got = get(&served.addr, path);
            assert_eq!(got.status, 200, "{lang} {path}: {}", got.body);
            assert!(
                got.headers
                    .contains("content-type: text/html; charset=utf-8"),
                "{lang} {path}"
            );
            assert!(
                got.headers
                    .contains("content-security-policy: default-src 'none'"),
                "{lang} {path}"
            );
            fetches_nothing_outside(path, &got.body);
            if path == "/report" {
                continue; // the report's own page, tested with the report
            }
            let html = if lang == "he" {
                r#"<html lang="he" dir="rtl">"#
            } else {
                r#"<html lang="en" dir="ltr">"#
            };
            assert!(
                got.body.contains(html),
                "{lang} {path}: the direction follows the playbook"
            );
            for nav in [
                "href=\"/process\"",
                "href=\"/people\"",
                "href=\"/sync\"",
                "href=\"/review\"",
            ] {
                assert!(got.body.contains(nav), "{lang} {path}: {nav}");
            }
        }
        let process = get(&served.addr, "/process").body;
        assert!(
            process.contains("<svg") && process.contains("class=\"flow\""),
            "{lang}: the flowchart is SVG"
        );
        // The stage-time table's headers are words of the page's language, as its others.
        let (planned, counted) = if lang == "he" {
            ("ימים מתוכננים", "נספרו")
        } else {
            ("Planned days", "Counted")
        };
        for header in [planned, counted] {
            let th = format!("<th scope=\"col\">{header}</th>");
            assert!(process.contains(&th), "{lang}: stage time's {header}");
        }
        for english in ["plan", "n"] {
            let th = format!("<th scope=\"col\">{english}</th>");
            assert!(!process.contains(&th), "{lang}: {english} is not a word");
        }
        let words = if lang == "he" {
            ["חסומות", "באיחור לפי אדם"]
        } else {
            ["Blocked", "Overdue by person"]
        };
        for w in words {
            assert!(overview.body.contains(w), "{lang}: {w}");
        }
        let css = get(&served.addr, "/static/dashboard.css");
        assert_eq!(css.status, 200);
        assert!(css.headers.contains("content-type: text/css"));
    }
}

#[test]
fn conflicts_drift_and_unknown_markers_say_who_where_and_when() {
    let (_dir, config) = with_history("content", "2026-11-01", "2026-12-20");
    let served = serve(&config, "2026-12-20");
    let sync = get(&served.addr, "/sync").body;
    for expected in [
        "workbook said done (maya@example.com); the hub had doing",
        "workbook won: done",
        "due changed in the tool from &quot;2026-12-01&quot; to &quot;2026-12-04&quot;",
        "row 14 carries an unknown marker",
        "2026-12-20 10:00", // 08:00 UTC in the playbook's zone (Asia/Jerusalem)
        "<td>workbook</td>",
        // serve runs no cycles and the state file keeps none: it says where they are listed.
        "Cycles are listed only inside the daemon",
    ] {
        assert!(sync.contains(expected), "the Sync page lacks {expected:?}");
    }
    assert!(sync.contains("maya@example.com"), "who");
    // Read only: no action form without a signed-in user.
    assert!(!sync.contains("<form"), "an action offered to nobody");
    let overview = get(&served.addr, "/").body;
    assert!(
        overview.contains("Waiting for legal to approve the terms &lt;b&gt;"),
        "the blocked reason, escaped"
    );
}

#[test]
fn an_item_title_holding_markup_is_shown_as_text() {
    let (dir, config) = copy_example("content");
    edit(
        &dir.path().join("items/december.toml"),
        "title = \"Hanukkah sale: 20% off gift cards\"",
        "title = \"<script>alert('x')</script> & <img src=x onerror=alert(1)>\"",
    );
    let served = serve(&config, "2026-11-20");
    let overview = get(&served.addr, "/").body;
    let item = get(&served.addr, "/item/hanukkah-sale").body;
    for (page, html) in [("overview", &overview), ("item", &item)] {
        assert!(
            !html.contains("<script>"),
            "{page}: the title became markup"
        );
        assert!(!html.contains("<img"), "{page}: the title became markup");
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"),
            "{page}: the title is shown as text"
        );
    }
}

#[test]
fn static_routes_refuse_path_traversal() {
    let (_dir, config) = copy_example("content");
    let served = serve(&config, "2026-11-20");
    for path in [
        "/static/../Cargo.toml",
        "/static/../../Cargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/%2e%2e/%2e%2e/throughline.toml",
        "/static/..%5c..%5cthroughline.toml",
        "/static//etc/passwd",
        "/static/dashboard.css/../../throughline.toml",
        "/static/%2fetc%2fpasswd",
        "/item/..%2f..%2fthroughline.toml",
    ] {
        let got = get(&served.addr, path);
        assert!(
            got.status == 404 || got.status == 400,
            "{path}: {}",
            got.status
        );
        for secret in ["[[target]]", "root:", "[package]"] {
            assert!(!got.body.contains(secret), "{path} served a file");
        }
    }
    assert_eq!(get(&served.addr, "/item/no-such-item").status, 404);
}

#[test]
fn serve_answers_on_loopback_only_without_sign_in() {
    let (_dir, config) = copy_example("content");
    let out = run(&config, &["serve", "--listen", "0.0.0.0:0"]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("without sign-in") && said.contains("127.0.0.1"),
        "{said}"
    );
}

#[test]
fn the_daemon_serves_the_dashboard_with_its_last_cycles() {
    use throughline::daemon::readiness::{CycleInfo, CycleResult, Trigger};
    use throughline::daemon::recent::KEPT_CYCLES;
    let (_dir, config) = with_history("content", "2026-11-01", "2026-12-20");
    let shared = Arc::new(throughline::daemon::Shared::new(
        jiff::Timestamp::now(),
        Default::default(),
    ));
    shared.view.write().unwrap().config.file = config.display().to_string();
    let started: jiff::Timestamp = "2026-12-20T08:00:00Z".parse().unwrap();
    // More cycles than are kept; the last one was rate limited twice by the workbook.
    let cycles = KEPT_CYCLES as u64 + 5;
    for number in 1..=cycles {
        if number == cycles {
            shared.metrics().rate_limited("workbook");
            shared.metrics().rate_limited("workbook");
        }
        let info = CycleInfo {
            number,
            trigger: Trigger::Schedule,
            started: started + jiff::SignedDuration::from_mins(5 * number as i64),
            finished: started + jiff::SignedDuration::from_mins(5 * number as i64),
            seconds: 1.25,
            result: if number == cycles - 1 {
                CycleResult::Failed
            } else {
                CycleResult::Ok
            },
            targets: vec!["workbook".to_string()],
            error: (number == cycles - 1).then(|| "the state file is <locked>".to_string()),
        };
        shared.record_cycle(&info);
        shared.view.write().unwrap().last_cycle = Some(info);
    }
    let app = throughline::daemon::server::router(shared);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    runtime.spawn(async move { axum::serve(listener, app).await });
    let addr2 = addr.clone();
    let (sync, overview, healthz) = std::thread::spawn(move || {
        (
            get(&addr2, "/sync"),
            get(&addr2, "/"),
            get(&addr2, "/healthz"),
        )
    })
    .join()
    .unwrap();
    assert_eq!(healthz.status, 200, "the daemon's own routes still answer");
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert_eq!(sync.status, 200, "{}", sync.body);
    let body = &sync.body;
    assert!(
        body.contains(&format!("#{cycles} · schedule · 1.2s")),
        "the last cycle: {body}"
    );
    assert!(
        !body.contains("throughline serve"),
        "the daemon's page is not the read-only one"
    );
    // The list: the newest first, as many as are kept, each with when, why, how long, how
    // it ended and the 429s of its own.
    let list = &body[body
        .find("id=\"last-cycles\"")
        .expect("a list of the last cycles")..];
    let rows: Vec<&str> = list
        .split("</tbody>")
        .next()
        .unwrap()
        .split("<tr>")
        .skip(2)
        .collect();
    assert_eq!(rows.len(), KEPT_CYCLES, "{list}");
    assert!(
        rows[0].starts_with(&format!("<td class=\"n\">{cycles}</td>")),
        "{}",
        rows[0]
    );
    assert!(
        rows[0].contains("<td>2026-12-20 12:05</td>"),
        "started, in the playbook's zone: {}",
        rows[0]
    );
    assert!(rows[0].contains("<td>schedule</td>") && rows[0].contains("1.2s"));
    assert!(rows[0].contains("workbook 2"), "its 429s: {}", rows[0]);
    assert!(
        rows[1].contains("badge failing\">failed")
            && rows[1].contains("the state file is &lt;locked&gt;"),
        "{}",
        rows[1]
    );
    assert!(
        !rows[1].contains("workbook 2"),
        "the 429s were the last cycle's"
    );
    assert!(rows[KEPT_CYCLES - 1].starts_with("<td class=\"n\">6</td>"));
    let _ = addr;
}

#[test]
fn after_a_change_a_page_shows_the_last_measurement_while_the_next_is_made() {
    let (dir, config) = with_history("content", "2026-11-01", "2026-12-20");
    let served = serve(&config, "2026-12-20");
    // The first view of the period waits for its measurement.
    let first = get(&served.addr, "/process");
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first.body.contains("Measured at 2026-12-20"),
        "{}",
        first.body
    );
    // A cycle records the blocked task done today: the weeks' measurements change.
    let db = dir.path().join("throughline.db");
    let mut store = SqliteStore::open(&db).unwrap();
    let blocked = store
        .statuses()
        .unwrap()
        .into_iter()
        .find(|s| s.state == State::Blocked)
        .expect("with_history blocks a task");
    store
        .commit(Batch {
            statuses: vec![StatusRecord {
                state: State::Done,
                reason: None,
                at: "2026-12-20T09:00:00Z".parse().unwrap(),
                ..blocked
            }],
            ..Batch::default()
        })
        .unwrap();
    drop(store);
    // The next view does not wait: it shows the last measurement, as the first view did.
    let stale = get(&served.addr, "/process");
    assert_eq!(stale.status, 200);
    assert_eq!(
        stale.body, first.body,
        "the last measurement, shown at once"
    );
    // Measured again off the request, a later view shows the task done.
    let mut later = stale;
    for _ in 0..600 {
        if later.body != first.body {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        later = get(&served.addr, "/process");
    }
    assert_ne!(later.body, first.body, "the new measurement never came");
}

#[test]
fn the_pages_in_headless_chromium_with_axe() {
    if !require(python_module("playwright")) || !require(chromium()) {
        return;
    }
    let axe = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/dashboard/node_modules/axe-core/axe.min.js");
    if !require(if axe.exists() {
        Ok(())
    } else {
        Err("axe-core is not installed (npm ci in tests/browser/dashboard)".to_string())
    }) {
        return;
    }
    let shots = tempfile::tempdir().unwrap();
    let mut served = Vec::new();
    let mut args: Vec<String> = vec![
        shots.path().display().to_string(),
        axe.display().to_string(),
    ];
    for (lang, example, first, now) in [
        ("en", "content", "2026-11-01", "2026-12-20"),
        ("he", "internal-launch", "2027-01-05", "2027-02-20"),
    ] {
        let (dir, config) = with_history(example, first, now);
        if lang == "en" {
            // With sign-in configured the pages offer the way in, and `/login` is a page too.
            let table = crate::dashboard_security::signin_table(config.parent().unwrap());
            let text = std::fs::read_to_string(&config).unwrap();
            std::fs::write(&config, format!("{text}\n{table}")).unwrap();
        }
        let s = serve(&config, now);
        let item = first_item(&get(&s.addr, "/").body);
        if lang == "en" {
            args.push(format!("login=http://{}/login", s.addr));
        }
        for (name, path) in [
            ("overview", "/"),
            ("item", item.as_str()),
            ("process", "/process"),
            ("people", "/people"),
            ("sync", "/sync"),
            ("review", "/review"),
        ] {
            args.push(format!("{lang}-{name}=http://{}{path}", s.addr));
        }
        served.push((dir, s));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/dashboard_pages.py");
    let out = Command::new("python3")
        .arg(script)
        .args(&args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut problems = Vec::new();
    for (name, r) in results.as_object().unwrap() {
        for key in ["blocked", "console_errors", "violations"] {
            if !r[key].as_array().unwrap().is_empty() {
                problems.push(format!("{name} {key}: {}", r[key]));
            }
        }
        let rtl = name.starts_with("he-");
        assert_eq!(r["dir"], if rtl { "rtl" } else { "ltr" }, "{name}");
        assert!(
            shots.path().join(format!("{name}.png")).exists(),
            "{name}: no screenshot"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    if let Ok(keep) = std::env::var("THROUGHLINE_KEEP_SCREENSHOTS") {
        for e in std::fs::read_dir(shots.path()).unwrap() {
            let e = e.unwrap();
            let _ = std::fs::copy(e.path(), Path::new(&keep).join(e.file_name()));
        }
    }
}

fn chromium() -> Result<(), String> {
    match Command::new("chromium").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "chromium is not installed (apt-get install chromium): {e}"
        )),
    }
}
