//! `throughline daemon` as an operator runs it: two Excel workbooks kept in step, SIGTERM in
//! the middle of a cycle and a restart, a second daemon on the same state, `/metrics` read by
//! Prometheus's own parser, JSON logs, and no secret in any log line.

use crate::daemon_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use daemon_support::*;
use jiff::Timestamp;
use throughline_connector::{Change, Connector, State, TaskContext};
use throughline_excel::{ExcelConnector, ExcelMapping};

/// A running daemon, its log lines collected as they come.
pub(crate) struct Daemon {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    addr: Option<String>,
}

/// Long enough for a slow machine; only there so that a broken daemon fails the test
/// instead of hanging it.
pub(crate) const PATIENCE: Duration = Duration::from_secs(180);

impl Daemon {
    pub(crate) fn start(config: &Path) -> Daemon {
        Daemon::start_with(config, &[])
    }

    fn start_with(config: &Path, env: &[(&str, &str)]) -> Daemon {
        Daemon::start_listening(config, env, "127.0.0.1:0")
    }

    /// Listening on `listen` (a known port, for a `public_url` that names it).
    fn start_listening(config: &Path, env: &[(&str, &str)], listen: &str) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_throughline"));
        cmd.args([
            "daemon",
            "--listen",
            listen,
            "--log-format",
            "json",
            "--config",
        ])
        .arg(config)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let keep = lines.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                keep.lock().unwrap().push(line);
            }
        });
        Daemon {
            child,
            lines,
            addr: None,
        }
    }

    fn log(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Wait for a log line (as JSON) that `pred` accepts; its index and value.
    fn wait_for(
        &mut self,
        what: &str,
        from: usize,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> (usize, serde_json::Value) {
        let start = Instant::now();
        loop {
            let lines = self.log();
            for (i, line) in lines.iter().enumerate().skip(from) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
                    && pred(&v)
                {
                    return (i, v);
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the daemon exited ({status}) before {what}:\n{}",
                    lines.join("\n")
                );
            }
            assert!(
                start.elapsed() < PATIENCE,
                "no {what} in:\n{}",
                lines.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn message(v: &serde_json::Value) -> &str {
        v["message"].as_str().unwrap_or("")
    }

    /// Wait for the start line; remember the address.
    pub(crate) fn started(mut self) -> Daemon {
        let (_, v) = self.wait_for("start line", 0, |v| {
            Daemon::message(v).starts_with("throughline daemon started")
        });
        self.addr = Some(v["listen"].as_str().unwrap().to_string());
        self
    }

    fn get(&self, path: &str) -> (u16, String) {
        http_get(self.addr.as_deref().unwrap(), path)
    }

    fn readyz(&self) -> serde_json::Value {
        serde_json::from_str(&self.get("/readyz").1).unwrap()
    }

    /// Wait until a cycle that started after `after` has ended, and return `/readyz`.
    pub(crate) fn cycle_after(&self, after: Timestamp) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let r = self.readyz();
            if let Some(c) = r["last_cycle"].as_object() {
                let started: Timestamp = c["started"].as_str().unwrap().parse().unwrap();
                if started > after {
                    return r;
                }
            }
            assert!(start.elapsed() < PATIENCE, "no cycle after {after}: {r:#}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name} failed");
    }

    /// SIGTERM, then the exit code.
    pub(crate) fn stop(mut self) -> (Option<i32>, Vec<String>) {
        self.signal("TERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return (status.code(), self.log());
            }
            assert!(
                start.elapsed() < PATIENCE,
                "the daemon did not stop:\n{}",
                self.log().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    // Small bodies come whole; a chunked one is joined.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (code, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").unwrap();
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// What a workbook holds: (identity, state) of every row, sorted.
fn rows(path: &Path) -> Vec<(String, State)> {
    let obs =
        block_on(ExcelConnector::new("w", path, ExcelMapping::default()).observe(None)).unwrap();
    let mut out: Vec<(String, State)> = Vec::new();
    for t in &obs.tasks {
        out.push((t.identity.clone().unwrap_or_default(), t.state));
        for e in &t.entries {
            out.push((
                e.identity.clone().unwrap_or_default(),
                if e.checked { State::Done } else { State::Todo },
            ));
        }
    }
    out.sort();
    out
}

/// A person marks a task done in a workbook (from another process than the daemon's).
fn tick(path: &Path, identity: &str) {
    for _ in 0..10 {
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
            state: Some(State::Done),
            unarchive: false,
        };
        // The daemon may be writing the same file right now: then try again, like a person
        // whose Excel says the file changed.
        if block_on(c.apply(&[change])).remove(0).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("could not tick {identity} in {}", path.display());
}

fn two_workbooks(dir: &Path, every: &str) -> PathBuf {
    write_deployment(
        dir,
        &Setup {
            targets: "[[target]]\nid = \"writers\"\nkind = \"excel\"\npath = \"writers.xlsx\"\n\n[[target]]\nid = \"managers\"\nkind = \"excel\"\npath = \"managers.xlsx\"\n".into(),
            sync: format!("every = \"{every}\""),
            ..Default::default()
        },
    )
}

#[test]
fn a_tick_in_one_workbook_reaches_the_other_within_one_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let config = two_workbooks(dir.path(), "1s");
    let d = Daemon::start(&config).started();
    assert_eq!(d.get("/healthz"), (200, "ok\n".to_string()));
    let first = d.cycle_after(Timestamp::UNIX_EPOCH);
    assert_eq!(first["last_cycle"]["result"], "ok", "{first:#}");
    let (writers, managers) = (
        dir.path().join("writers.xlsx"),
        dir.path().join("managers.xlsx"),
    );
    assert_eq!(rows(&writers), rows(&managers));

    tick(&writers, "spring-sale/copy");
    let edited = Timestamp::now();
    let after = d.cycle_after(edited);
    assert_eq!(after["ready"], true, "{after:#}");
    let state_of = |path: &Path, id: &str| rows(path).into_iter().find(|(i, _)| i == id).unwrap().1;
    assert_eq!(state_of(&managers, "spring-sale/copy"), State::Done);
    assert_eq!(state_of(&writers, "spring-sale/copy"), State::Done);
    assert_eq!(rows(&writers), rows(&managers));

    // /readyz says what each target did; /metrics has the cycle and the pulled status.
    let targets = after["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    assert!(targets.iter().all(|t| t["condition"] == "ok"), "{after:#}");
    let (code, metrics) = d.get("/metrics");
    assert_eq!(code, 200);
    assert!(
        metrics.contains("throughline_status_pulled_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("throughline_target_up{target=\"writers\",kind=\"excel\"} 1\n"),
        "{metrics}"
    );
    prometheus_parses(&metrics);

    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{}", log.join("\n"));
    // Every line is one JSON object.
    for line in &log {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
    }
}

/// `/metrics` read by the Prometheus project's own Python parser.
fn prometheus_parses(text: &str) {
    if !require(python_module("prometheus_client")) {
        return;
    }
    let script = r#"
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    out[f.name] = {"type": f.type, "samples": [[s.name, s.labels, s.value] for s in f.samples]}
print(json.dumps(out))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused /metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let families: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (name, kind) in [
        ("throughline_cycles", "counter"),
        ("throughline_cycle_duration_seconds", "histogram"),
        ("throughline_target_up", "gauge"),
        ("throughline_target_last_success_time_seconds", "gauge"),
        ("throughline_requests", "counter"),
        ("throughline_rate_limited", "counter"),
        ("throughline_tasks_pending", "gauge"),
        ("throughline_tasks_overdue", "gauge"),
        ("throughline_conflicts", "counter"),
        ("throughline_changes_pending", "gauge"),
    ] {
        assert_eq!(families[name]["type"], kind, "{name} in {families:#}");
    }
    let cycles = families["throughline_cycles"]["samples"]
        .as_array()
        .unwrap();
    assert!(
        cycles
            .iter()
            .any(|s| s[1]["trigger"] == "startup" && s[2].as_f64() == Some(1.0)),
        "{cycles:?}"
    );
    let pending = &families["throughline_tasks_pending"]["samples"][0];
    assert_eq!(pending[1]["process"], "content");
}

/// Items enough that a cycle takes a while (a few hundred rows per workbook).
fn many_items(dir: &Path, n: usize) {
    let mut text = String::new();
    for i in 0..n {
        let day = 1 + (i % 28);
        text.push_str(&format!(
            "[[item]]\nid = \"post-{i}\"\nprocess = \"content\"\ntitle = \"Post number {i}\"\ngolive = 2027-02-{day:02}\n\n"
        ));
    }
    std::fs::write(dir.join("items/many.toml"), text).unwrap();
}

fn duplicates(rows: &[(String, State)]) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for (id, _) in rows {
        *seen.entry(id).or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, _)| id.to_string())
        .collect()
}

/// Where a person may tick between two runs of a SIGTERM test.
#[derive(Clone, Copy, PartialEq)]
enum Ticks {
    /// Only after a run whose cycle went through to its end: every row is linked.
    AfterCompleteCycles,
    /// After any run, also on rows a stopped cycle made but did not get to record.
    Anywhere,
}

/// Start the daemon again and again, SIGTERM a little later into its cycle each time (with
/// [`Ticks::AfterCompleteCycles`], every third run only once a cycle ended), with a person
/// ticking tasks between runs; then let it settle and check that nothing was lost or
/// duplicated.
fn sigterm_rounds(ticks: Ticks) {
    let dir = tempfile::tempdir().unwrap();
    let config = two_workbooks(dir.path(), "1s");
    many_items(dir.path(), 120);
    let (writers, managers) = (
        dir.path().join("writers.xlsx"),
        dir.path().join("managers.xlsx"),
    );
    let mut ticked: Vec<String> = Vec::new();
    // Steps at which the engine was stopped (0 = before its first write).
    let mut stopped_at: Vec<u64> = Vec::new();
    let mut rounds = 0;
    let mut last_complete = false;
    while stopped_at.iter().filter(|s| **s > 0).count() < 3 || ticked.len() < 3 {
        rounds += 1;
        assert!(
            rounds <= 60,
            "SIGTERM never landed inside a cycle after its first step in 60 rounds: {stopped_at:?}"
        );
        let id = format!("post-{rounds}/copy");
        let path = if rounds % 4 == 0 { &writers } else { &managers };
        // A person ticks a task in one workbook or the other, once it is there.
        let may_tick = match ticks {
            Ticks::Anywhere => rounds % 2 == 0,
            Ticks::AfterCompleteCycles => last_complete,
        };
        if may_tick && path.exists() && rows(path).iter().any(|(i, _)| *i == id) {
            tick(path, &id);
            ticked.push(id);
        }
        let mut d = Daemon::start(&config);
        let from = d.log().len();
        let complete = ticks == Ticks::AfterCompleteCycles && rounds % 3 == 0;
        if complete {
            d.wait_for("a cycle that went through", from, |v| {
                Daemon::message(v) == "cycle ended" && v["result"] == "ok"
            });
        } else {
            d.wait_for("a cycle start", from, |v| {
                Daemon::message(v) == "cycle started"
            });
            std::thread::sleep(Duration::from_millis((rounds as u64 * 23) % 400));
        }
        let (code, log) = d.stop();
        assert_eq!(code, Some(0), "SIGTERM must exit 0:\n{}", log.join("\n"));
        for line in &log {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if Daemon::message(&v).contains("the cycle stopped between two steps on request") {
                stopped_at.push(v["steps"].as_u64().unwrap());
            }
            assert_ne!(v["level"], "ERROR", "round {rounds}: {line}");
        }
        // The stopped cycle after the complete one may have made nothing new: rows stay linked.
        last_complete = complete;
    }
    // A full run settles everything.
    let d = Daemon::start(&config).started();
    let settled = d.cycle_after(Timestamp::now());
    assert_eq!(settled["last_cycle"]["result"], "ok", "{settled:#}");
    let again = d.cycle_after(Timestamp::now());
    assert_eq!(again["ready"], true, "{again:#}");
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{}", log.join("\n"));

    let w = rows(&writers);
    let m = rows(&managers);
    assert_eq!(duplicates(&w), Vec::<String>::new());
    assert_eq!(duplicates(&m), Vec::<String>::new());
    assert_eq!(
        w, m,
        "both workbooks hold the same tasks with the same status"
    );
    // 122 items × 3 stages, and two checklist entries per copy stage.
    assert_eq!(w.len(), 122 * 3 + 122 * 2);
    for id in &ticked {
        assert!(
            w.contains(&(id.clone(), State::Done)),
            "{id} was ticked and is not done"
        );
    }
    println!(
        "{rounds} rounds, stopped at steps {stopped_at:?}, {} ticks kept",
        ticked.len()
    );
}

#[test]
fn sigterm_mid_cycle_then_restart_loses_nothing_and_duplicates_nothing() {
    sigterm_rounds(Ticks::AfterCompleteCycles);
}

/// A person ticks a row that a stopped cycle wrote into the workbook but did not get to link.
/// The next cycle adopts the row: an entry's link must follow its task's (the state store's
/// foreign key), and the row is judged against the status it was made with, so neither the
/// person's tick on it nor a tick made in the other workbook is undone.
#[test]
fn sigterm_mid_cycle_then_a_tick_on_a_row_the_stopped_cycle_made() {
    sigterm_rounds(Ticks::Anywhere);
}

#[test]
fn a_second_daemon_on_the_same_state_exits_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = two_workbooks(dir.path(), "1h");
    let first = Daemon::start(&config).started();
    let out = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(["daemon", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("is in use by another throughline process"),
        "{text}"
    );
    assert!(
        text.contains(&format!("(pid {})", first.child.id())),
        "{text}"
    );
    assert!(text.contains("only one may run at a time"), "{text}");
    // The first one is unaffected.
    assert_eq!(first.get("/healthz").0, 200);
    let (code, _) = first.stop();
    assert_eq!(code, Some(0));
}

#[test]
fn an_invalid_config_at_start_is_reported_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["sheet"]),
            service:
                "[daemon]\nlisten = \"9184\"\nmax_backoff = \"soon\"\n\n[reminders]\nat = \"25:00\""
                    .into(),
            ..Default::default()
        },
    );
    let out = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(["daemon", "--config"])
        .arg(&config)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let at = |line: usize, col: usize| format!("throughline.toml:{line}:{col}: ");
    // [daemon] starts on line 8 of the written file.
    assert!(
        text.contains(&(at(9, 10) + "`9184` is not an address and port")),
        "{text}"
    );
    assert!(
        text.contains(&(at(10, 15) + "`soon` is not a duration")),
        "{text}"
    );
    assert!(
        text.contains(&(at(13, 6) + "`at` must be a time of day")),
        "{text}"
    );
    assert!(
        text.contains("[reminders] has no way to send anything"),
        "{text}"
    );
    assert!(
        !dir.path().join("throughline.db").exists(),
        "nothing is written"
    );
}

#[test]
fn no_secret_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let token = "xoxb-SECRET-T0K3N-4242";
    let trello_secret = "trello-app-secret-SHHH-9191";
    let smtp_password = "smtp-password-QWERTY-5150";
    std::fs::write(
        dir.path().join("chat-url"),
        format!("http://127.0.0.1:9/services/{token}"),
    )
    .unwrap();
    std::fs::write(dir.path().join("trello-secret"), trello_secret).unwrap();
    std::fs::write(dir.path().join("smtp-password"), smtp_password).unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["sheet"])
                + "[[target]]\nid = \"board\"\nkind = \"trello\"\nboard = \"5f1a0c\"\nbase_url = \"http://127.0.0.1:9/1\"\ncredentials = { key = \"env:TL_TEST_KEY\", token = \"env:TL_TEST_TOKEN\", secret = \"file:trello-secret\" }\n",
            service: "[daemon]\noperator = \"ops@example.com\"\n\n[reminders]\nat = \"00:00\"\ndays_ahead = 60\nwebhook = \"file:chat-url\"\nemail = { host = \"127.0.0.1\", port = 9, tls = \"none\", from = \"ops@example.com\", username = \"file:smtp-password\", password = \"file:smtp-password\" }".into(),
            ..Default::default()
        },
    );
    // Every day a business day, so that digests are due whenever the test runs.
    let playbook = dir.path().join("playbooks/content.toml");
    let text = std::fs::read_to_string(&playbook).unwrap().replace(
        "workweek = [\"sun\", \"mon\", \"tue\", \"wed\", \"thu\"]",
        "workweek = [\"sun\", \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\"]",
    );
    std::fs::write(&playbook, text).unwrap();
    let mut d = Daemon::start_with(
        &config,
        &[
            ("TL_TEST_KEY", "trello-key-ABCDEF-1234"),
            ("TL_TEST_TOKEN", "trello-token-GHIJKL-5678"),
        ],
    )
    .started();
    // Both channels fail (nothing listens on port 9): their errors are logged.
    d.wait_for("a failed webhook notice", 0, |v| {
        Daemon::message(v).contains("notice not sent") && v["channel"] == "webhook"
    });
    d.wait_for("a failed e-mail notice", 0, |v| {
        Daemon::message(v).contains("notice not sent") && v["channel"] == "email"
    });
    let (code, log) = d.stop();
    assert_eq!(code, Some(0));
    let all = log.join("\n");
    for secret in [
        token,
        trello_secret,
        smtp_password,
        "trello-key-ABCDEF-1234",
        "trello-token-GHIJKL-5678",
    ] {
        assert!(!all.contains(secret), "{secret} leaked:\n{all}");
    }
}

/// The Trello emulator on its own runtime thread, for as long as the test holds it.
struct TrelloEmulator {
    emulator: throughline_trello::emulator::Emulator,
    _rt: tokio::runtime::Runtime,
}

fn trello_emulator() -> TrelloEmulator {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let emulator = rt
        .block_on(throughline_trello::emulator::Emulator::start())
        .unwrap();
    TrelloEmulator { emulator, _rt: rt }
}

#[test]
fn a_trello_board_and_a_workbook_in_step_by_polling_and_by_webhook() {
    let trello = trello_emulator();
    let e = &trello.emulator;
    let board = e.seed_board("Content");
    e.add_member(&board, "dana", "Dana");
    e.add_member(&board, "avi", "Avi");
    let dir = tempfile::tempdir().unwrap();
    let secret = "trello-app-secret-for-webhooks";
    std::fs::write(dir.path().join("trello-secret"), secret).unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: format!(
                "[[target]]\nid = \"studio\"\nkind = \"trello\"\nboard = \"{board}\"\nbase_url = \"{}\"\npeople = {{ \"dana@example.com\" = \"dana\", \"avi@example.com\" = \"avi\" }}\ncredentials = {{ key = \"env:TL_TRELLO_KEY\", token = \"env:TL_TRELLO_TOKEN\", secret = \"file:trello-secret\" }}\n\n{}",
                e.base_url(),
                excel_targets(&["sheet"])
            ),
            sync: "every = \"1h\"".into(),
            service: "[daemon]\npublic_url = \"https://sync.example.com\"\nwebhook_delay = \"1s\""
                .into(),
            ..Default::default()
        },
    );
    let d = Daemon::start_with(
        &config,
        &[("TL_TRELLO_KEY", &e.key()), ("TL_TRELLO_TOKEN", &e.token())],
    )
    .started();
    let first = d.cycle_after(Timestamp::UNIX_EPOCH);
    assert_eq!(first["ready"], true, "{first:#}");
    let sheet = dir.path().join("sheet.xlsx");
    let card = |identity: &str| {
        e.person(|p| {
            let id = p.card_with_marker(identity).unwrap();
            p.card(&id).unwrap()
        })
    };
    assert_eq!(card("spring-sale/copy").name, "Spring sale: Copy");

    // A person ticks a card in Trello; Trello's webhook makes the daemon sync at once (the
    // periodic cycle is an hour away).
    e.person(|p| {
        let id = p.card_with_marker("spring-sale/copy").unwrap();
        p.set_due_complete(&id, true);
    });
    let ticked = Timestamp::now();
    let body = br#"{"action":{"type":"updateCard","data":{"old":{"dueComplete":false}}}}"#;
    let sig = throughline::daemon::hooks::trello_signature(
        secret.as_bytes(),
        body,
        "https://sync.example.com/hooks/trello/studio",
    );
    let addr = d.addr.clone().unwrap();
    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /hooks/trello/studio HTTP/1.1\r\nHost: {addr}\r\nX-Trello-Webhook: {sig}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let after = d.cycle_after(ticked);
    assert_eq!(after["last_cycle"]["trigger"], "webhook", "{after:#}");
    let state_of = |id: &str| rows(&sheet).into_iter().find(|(i, _)| i == id).unwrap().1;
    assert_eq!(state_of("spring-sale/copy"), State::Done);

    // And back: a tick in the workbook reaches the card at the next cycle.
    tick(&sheet, "spring-sale/design");
    let ticked = Timestamp::now();
    let body = br#"{"action":{"type":"updateCard"}}"#;
    let sig = throughline::daemon::hooks::trello_signature(
        secret.as_bytes(),
        body,
        "https://sync.example.com/hooks/trello/studio",
    );
    // Any webhook is a nudge; here it stands in for the next periodic cycle.
    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /hooks/trello/studio HTTP/1.1\r\nHost: {addr}\r\nX-Trello-Webhook: {sig}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    d.cycle_after(ticked);
    assert!(card("spring-sale/design").due_complete);
    assert!(card("spring-sale/copy").due_complete);

    let (_, metrics) = d.get("/metrics");
    assert!(
        metrics.contains("throughline_target_up{target=\"studio\",kind=\"trello\"} 1"),
        "{metrics}"
    );
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{}", log.join("\n"));
}

/// POST to the daemon; the status line and the headers of the answer.
fn http_post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    )
    .unwrap();
    for (k, v) in headers {
        write!(s, "{k}: {v}\r\n").unwrap();
    }
    write!(s, "\r\n").unwrap();
    s.write_all(body).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn the_daemon_creates_its_asana_webhook_and_asana_events_sync_at_once_also_after_a_restart() {
    use throughline::state::StateStore;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let asana = rt
        .block_on(throughline_asana::emulator::Emulator::start())
        .unwrap();
    let seeded = asana.seed();
    for (name, email) in [("Dana", "dana@example.com"), ("Avi", "avi@example.com")] {
        asana.add_user(&seeded.workspace, name, email);
    }
    let ben = asana.personal_token(&asana.user_by_email("ben@example.com").unwrap());
    // The daemon's address is its public_url: the emulator calls it back like Asana would.
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: format!(
                "[[target]]\nid = \"managers\"\nkind = \"asana\"\nproject = \"{}\"\nworkspace = \"{}\"\nbase_url = \"{}\"\ncredentials = {{ token = \"env:TL_ASANA_TOKEN\" }}\n\n{}",
                seeded.project,
                seeded.workspace,
                asana.base_url(),
                excel_targets(&["sheet"])
            ),
            sync: "every = \"1h\"".into(),
            service: format!("[daemon]\npublic_url = \"http://{listen}\"\nwebhook_delay = \"1s\""),
            ..Default::default()
        },
    );
    let env = [("TL_ASANA_TOKEN", seeded.token.as_str())];
    let mut d = Daemon::start_listening(&config, &env, &listen).started();
    // At start it creates the webhook; Asana's handshake comes in during the create.
    d.wait_for("the webhook created", 0, |v| {
        Daemon::message(v).starts_with("Asana webhook created")
    });
    let callback = format!("http://{listen}/hooks/asana/managers");
    assert_eq!(asana.webhooks(), [(seeded.project.clone(), callback)]);
    let first = d.cycle_after(Timestamp::UNIX_EPOCH);
    assert_eq!(first["ready"], true, "{first:#}");
    let addr = d.addr.clone().unwrap();

    // Someone else's handshake is refused; so is an event they sign.
    let forged = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";
    let answer = http_post(
        &addr,
        "/hooks/asana/managers",
        &[("X-Hook-Secret", forged)],
        b"",
    );
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    let events =
        r#"{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"}}]}"#;
    let sig = throughline::daemon::hooks::asana_signature(forged.as_bytes(), events.as_bytes());
    let bad = http_post(
        &addr,
        "/hooks/asana/managers",
        &[("X-Hook-Signature", &sig)],
        events.as_bytes(),
    );
    assert!(bad.starts_with("HTTP/1.1 401"), "{bad}");

    // Ben completes a task in Asana; Asana's signed event makes the daemon sync at once.
    let complete = |identity: &str| {
        let gid = asana.task_with_identity(identity).unwrap();
        let done = rt.block_on(async {
            reqwest::Client::new()
                .put(format!("{}/tasks/{gid}", asana.base_url()))
                .bearer_auth(&ben)
                .json(&serde_json::json!({"data": {"completed": true}}))
                .send()
                .await
                .unwrap()
                .status()
        });
        assert!(done.is_success());
    };
    let ticked = Timestamp::now();
    complete("spring-sale/design");
    let after = d.cycle_after(ticked);
    assert_eq!(after["last_cycle"]["trigger"], "webhook", "{after:#}");
    let sheet = dir.path().join("sheet.xlsx");
    let state_of = |id: &str| rows(&sheet).into_iter().find(|(i, _)| i == id).unwrap().1;
    assert_eq!(state_of("spring-sale/design"), State::Done);
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{}", log.join("\n"));
    let secret =
        throughline::state::SqliteStore::open_read_only(&dir.path().join("throughline.db"))
            .unwrap()
            .hook_secret("managers")
            .unwrap()
            .expect("the webhook's secret is in the state file");
    assert!(
        !log.join("\n").contains(&secret),
        "the webhook secret never reaches a log line"
    );

    // After a restart the webhook and its secret are kept: nothing is created again, and
    // Asana's events still start a cycle at once.
    let d = Daemon::start_listening(&config, &env, &listen).started();
    let restarted = d.cycle_after(Timestamp::UNIX_EPOCH);
    assert_eq!(restarted["ready"], true, "{restarted:#}");
    let ticked = Timestamp::now();
    complete("spring-sale/copy");
    let after = d.cycle_after(ticked);
    assert_eq!(after["last_cycle"]["trigger"], "webhook", "{after:#}");
    assert_eq!(state_of("spring-sale/copy"), State::Done);
    let (code, log) = d.stop();
    assert_eq!(code, Some(0));
    assert!(
        !log.iter().any(|l| l.contains("Asana webhook created")),
        "{}",
        log.join("\n")
    );
    assert_eq!(asana.webhooks().len(), 1);
    drop(rt);
}
