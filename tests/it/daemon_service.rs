//! The daemon in-process, with fake targets and (where time matters) a hand-moved clock:
//! per-target backoff, webhook signatures and coalescing, reminders that are never sent twice,
//! the operator's alerts, and reloads of a changed deployment.

use crate::daemon_support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use daemon_support::*;
use jiff::Timestamp;
use throughline::daemon::hooks::{asana_signature, trello_signature};
use throughline::daemon::logging::Secrets;
use throughline::daemon::{Clock, ManualClock, Service, Shared, SystemClock, TargetSource};
use throughline::model;
use throughline::state::{MemoryStore, SqliteStore, StateStore};
use throughline_connector::{ConnectorError, State};

fn listen() -> SocketAddr {
    "127.0.0.1:9184".parse().unwrap()
}

fn service(
    config: &std::path::Path,
    store: Box<dyn StateStore>,
    source: impl TargetSource + 'static,
    clock: Arc<dyn throughline::daemon::Clock>,
) -> Service {
    let dep = model::load(config).unwrap_or_else(|d| panic!("{d}"));
    let shared = Arc::new(Shared::new(Timestamp::now(), Secrets::default()));
    Service::new(
        config,
        dep,
        store,
        Box::new(source),
        clock,
        shared,
        listen(),
    )
    .unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_failing_target_backs_off_while_the_other_keeps_its_rhythm() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["board", "sheet"]),
            sync: "every = \"1m\"".into(),
            service: "[daemon]\nmax_backoff = \"8m\"".into(),
            ..Default::default()
        },
    );
    let fakes = Fakes::new(&["board", "sheet"]);
    fakes.get("board").fail_next_calls(
        1000,
        ConnectorError::Retryable {
            message: "502 Bad Gateway".into(),
        },
    );
    let clock = ManualClock::new(jerusalem("2026-12-06T09:00"));
    let mut svc = service(
        &config,
        Box::new(MemoryStore::new()),
        fakes.clone(),
        Arc::new(clock.clone()),
    );
    block_on(async {
        for _ in 0..40 {
            svc.wake().await;
            clock.advance(Duration::from_secs(60));
        }
    });
    // Tried at minutes 0, 1, 3, 7, 15, 23, 31, 39: waits of 1, 2, 4, 8, then capped at 8.
    assert_eq!(fakes.get("board").calls().observe, 8);
    assert_eq!(fakes.get("sheet").calls().observe, 40);
    let view = svc.shared().view();
    let board = view.targets.iter().find(|t| t.target == "board").unwrap();
    assert_eq!(board.failures, 8);
    assert!(board.is_failing());
    assert!(board.error.as_deref().unwrap().contains("502 Bad Gateway"));
    let sheet = view.targets.iter().find(|t| t.target == "sheet").unwrap();
    assert_eq!(sheet.failures, 0);
    assert!(!sheet.is_failing());
    assert!(!view.ready(), "a failing target makes the daemon not ready");
    // The healthy target holds every task of the two items (3 stages each).
    let content = fakes.get("sheet").snapshot().content();
    assert_eq!(content.len(), 6);

    // The failing target recovers: it is tried when its backoff ends and catches up.
    fakes.get("board").clear_faults();
    block_on(async {
        for _ in 0..9 {
            svc.wake().await;
            clock.advance(Duration::from_secs(60));
        }
    });
    assert_eq!(fakes.get("board").snapshot().content().len(), 6);
    assert!(svc.shared().view().ready());
}

#[test]
fn a_status_ticked_in_one_tool_reaches_the_other_in_one_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["board", "sheet"]),
            sync: "every = \"5m\"".into(),
            ..Default::default()
        },
    );
    let fakes = Fakes::new(&["board", "sheet"]);
    let clock = ManualClock::new(jerusalem("2026-12-06T09:00"));
    let mut svc = service(
        &config,
        Box::new(MemoryStore::new()),
        fakes.clone(),
        Arc::new(clock.clone()),
    );
    block_on(async {
        svc.wake().await;
        fakes
            .get("board")
            .set_state("spring-sale/copy", State::Done);
        clock.advance(Duration::from_secs(300));
        svc.wake().await;
    });
    let sheet = fakes.get("sheet").snapshot();
    assert_eq!(sheet.task("spring-sale/copy").unwrap().state, State::Done);
    assert_eq!(
        fakes.get("board").snapshot().duplicates(),
        Vec::<String>::new()
    );
    assert_eq!(sheet.duplicates(), Vec::<String>::new());
}

// --- Webhooks ------------------------------------------------------------------------------

const TRELLO_SECRET: &str = "trello-app-secret-0123456789";

fn hook_setup(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::write(dir.join("trello-secret"), format!("{TRELLO_SECRET}\n")).unwrap();
    write_deployment(
        dir,
        &Setup {
            targets: "[[target]]\nid = \"board\"\nkind = \"trello\"\nboard = \"5f1a0c\"\ncredentials = { secret = \"file:trello-secret\" }\n\n[[target]]\nid = \"tasks\"\nkind = \"asana\"\nproject = \"1204\"\nworkspace = \"1200\"\n\n".to_string()
                + &excel_targets(&["sheet"]),
            service: "[daemon]\npublic_url = \"https://sync.example.com/\"\nwebhook_delay = \"1s\"".into(),
            ..Default::default()
        },
    )
}

/// Serve the daemon's routes on a loopback port.
async fn serve_routes(shared: Arc<Shared>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = throughline::daemon::server::router(shared);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[test]
fn webhook_signatures_good_bad_and_missing() {
    let dir = tempfile::tempdir().unwrap();
    let config = hook_setup(dir.path());
    let fakes = Fakes::new(&["board", "tasks", "sheet"]);
    let clock = ManualClock::new(jerusalem("2026-12-06T09:00"));
    let mut svc = service(
        &config,
        Box::new(MemoryStore::new()),
        fakes,
        Arc::new(clock),
    );
    let shared = svc.shared();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let base = serve_routes(shared.clone()).await;
        let http = reqwest::Client::new();
        let body = br#"{"action":{"type":"updateCard","data":{"card":{"name":"\u05de\u05d1\u05e6\u05e2"}}}}"#.to_vec();
        let callback = "https://sync.example.com/hooks/trello/board";
        let url = format!("{base}/hooks/trello/board");
        let post = |sig: Option<String>, body: Vec<u8>, url: String| {
            let mut r = http.post(url).body(body);
            if let Some(s) = sig {
                r = r.header("X-Trello-Webhook", s);
            }
            r.send()
        };

        // Trello's check of the callback URL.
        let head = http.head(&url).send().await.unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(
            http.head(format!("{base}/hooks/trello/nope")).send().await.unwrap().status(),
            404
        );

        // Missing, bad, signed over another URL, signed with another secret: refused, no hint.
        let missing = post(None, body.clone(), url.clone()).await.unwrap();
        assert_eq!(missing.status(), 401);
        let bad = post(Some("bm90IGEgc2lnbmF0dXJl".into()), body.clone(), url.clone())
            .await
            .unwrap();
        assert_eq!(bad.status(), 401);
        let other_url = trello_signature(
            TRELLO_SECRET.as_bytes(),
            &body,
            "http://127.0.0.1:9184/hooks/trello/board",
        );
        assert_eq!(post(Some(other_url), body.clone(), url.clone()).await.unwrap().status(), 401);
        let other_secret = trello_signature(b"someone else", &body, callback);
        assert_eq!(post(Some(other_secret), body.clone(), url.clone()).await.unwrap().status(), 401);
        assert!(shared.hints.is_empty(), "refused calls ask for nothing");

        // A good one: accepted, and the target is hinted.
        let good = trello_signature(TRELLO_SECRET.as_bytes(), &body, callback);
        assert_eq!(post(Some(good.clone()), body.clone(), url.clone()).await.unwrap().status(), 200);
        // The same signature on a changed body is refused.
        let mut tampered = body.clone();
        tampered[3] = b'X';
        assert_eq!(post(Some(good), tampered, url.clone()).await.unwrap().status(), 401);
        assert_eq!(
            shared.hints.take().into_iter().collect::<Vec<_>>(),
            ["board"]
        );
        // Not a Trello target, or no target at all.
        let sig = trello_signature(TRELLO_SECRET.as_bytes(), &body, callback);
        assert_eq!(
            post(Some(sig.clone()), body.clone(), format!("{base}/hooks/trello/sheet")).await.unwrap().status(),
            404
        );
        assert_eq!(
            post(Some(sig), body.clone(), format!("{base}/hooks/trello/made-up")).await.unwrap().status(),
            404
        );

        // Asana: nothing is accepted before the handshake.
        let asana = format!("{base}/hooks/asana/tasks");
        let events = br#"{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"}}]}"#.to_vec();
        let early = http
            .post(&asana)
            .header("X-Hook-Signature", asana_signature(b"x", &events))
            .body(events.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(early.status(), 401);
        // A handshake sent while the daemon is not creating this target's webhook (here: by
        // anyone who can reach the endpoint) is refused, and teaches the daemon nothing.
        let secret = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81";
        let hs = http
            .post(&asana)
            .header("X-Hook-Secret", secret)
            .send()
            .await
            .unwrap();
        assert_eq!(hs.status(), 403);
        assert!(hs.headers().get("x-hook-secret").is_none());
        assert!(shared.hints.is_empty(), "a handshake is not a change");
        let signed = |sig: Option<String>, body: Vec<u8>| {
            let mut r = http.post(&asana).body(body);
            if let Some(s) = sig {
                r = r.header("X-Hook-Signature", s);
            }
            r.send()
        };
        assert_eq!(signed(None, events.clone()).await.unwrap().status(), 401);
        assert_eq!(
            signed(Some(asana_signature(secret.as_bytes(), &events)), events.clone())
                .await
                .unwrap()
                .status(),
            401,
            "the refused handshake's secret signs nothing"
        );
        assert!(shared.hints.is_empty());
    });
    svc.persist_learned();
    assert_eq!(svc.store().hook_secret("tasks").unwrap(), None);
    let metrics = shared.metrics().render(&[], Timestamp::now());
    for line in [
        "throughline_webhooks_total{tool=\"trello\",target=\"board\",result=\"accepted\"} 1",
        "throughline_webhooks_total{tool=\"trello\",target=\"board\",result=\"unsigned\"} 1",
        "throughline_webhooks_total{tool=\"trello\",target=\"board\",result=\"bad_signature\"} 4",
        "throughline_webhooks_total{tool=\"trello\",target=\"(unknown)\",result=\"unknown_target\"} 1",
        "throughline_webhooks_total{tool=\"asana\",target=\"tasks\",result=\"handshake_refused\"} 1",
        "throughline_webhooks_total{tool=\"asana\",target=\"tasks\",result=\"no_secret\"} 3",
    ] {
        assert!(metrics.contains(line), "{line} not in:\n{metrics}");
    }
}

#[test]
fn a_flood_of_webhooks_costs_at_most_one_extra_cycle_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let config = hook_setup(dir.path());
    let gate = Gate::closed();
    let fakes = Fakes::new(&["board", "tasks", "sheet"]).gate("board", gate.clone());
    let svc = service(
        &config,
        Box::new(MemoryStore::new()),
        fakes.clone(),
        Arc::new(SystemClock),
    );
    let shared = svc.shared();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let daemon = tokio::spawn(throughline::daemon::run(svc, listener, async move {
            let _ = stop_rx.await;
        }));
        let cycles = || shared.view().last_cycle.map(|c| c.number).unwrap_or(0);
        let wait = |what: &'static str, done: &dyn Fn() -> bool| {
            let start = std::time::Instant::now();
            while !done() {
                assert!(
                    start.elapsed() < Duration::from_secs(120),
                    "timed out waiting for {what}"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        // The startup cycle.
        gate.open(1);
        wait("the startup cycle", &|| cycles() == 1);

        let http = reqwest::Client::new();
        let body = br#"{"action":{"type":"updateCard"}}"#.to_vec();
        let sig = trello_signature(
            TRELLO_SECRET.as_bytes(),
            &body,
            "https://sync.example.com/hooks/trello/board",
        );
        let send = || {
            http.post(format!("{base}/hooks/trello/board"))
                .header("X-Trello-Webhook", sig.clone())
                .body(body.clone())
                .send()
        };
        // One webhook starts an early cycle, which blocks reading the board.
        assert_eq!(send().await.unwrap().status(), 200);
        wait("the early cycle to start", &|| gate.started() == 2);
        // A flood while it runs.
        let flood: Vec<_> = (0..50).map(|_| send()).collect();
        for r in futures_join(flood).await {
            assert_eq!(r.unwrap().status(), 200);
        }
        gate.open(1000);
        wait("the cycles to finish", &|| {
            cycles() == 3 && shared.view().running_since.is_none() && shared.hints.is_empty()
        });
        stop_tx.send(()).unwrap();
        daemon.await.unwrap();
    });
    // The startup cycle, the early one, and exactly one more for the whole flood.
    assert_eq!(gate.started(), 3);
    let m = shared.metrics();
    let by = |trigger: &str| -> u64 {
        m.cycles()
            .iter()
            .filter(|((t, _), _)| t == trigger)
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!((by("startup"), by("webhook"), by("schedule")), (1, 2, 0));
    let text = m.render(&[], Timestamp::now());
    assert!(text.contains(
        "throughline_webhooks_total{tool=\"trello\",target=\"board\",result=\"accepted\"} 51"
    ));
}

async fn futures_join<F>(fs: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

// --- Reminders and alerts through a chat webhook -------------------------------------------

/// A Slack-compatible webhook on loopback that keeps every message it receives.
async fn chat_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::routing::post;
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/services/T0K3N/B4D",
        post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let keep = keep.clone();
            async move {
                keep.lock()
                    .unwrap()
                    .push(v["text"].as_str().unwrap().to_string());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/services/T0K3N/B4D",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

#[test]
fn hebrew_reminders_once_a_business_day_never_twice_even_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (url, got) = rt.block_on(chat_sink());
    std::fs::write(dir.path().join("chat-url"), &url).unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            lang: Lang::He,
            targets: excel_targets(&["sheet"]),
            sync: "every = \"5m\"".into(),
            service: "[reminders]\nat = \"08:30\"\ndays_ahead = 1\nwebhook = \"file:chat-url\""
                .into(),
        },
    );
    let fakes = Fakes::new(&["sheet"]);
    let state = dir.path().join("throughline.db");
    // Wednesday 9 December 07:00 to Saturday 12 December 07:00, every 5 minutes, with a
    // restart every 7 hours (a new process on the same state file).
    let clock = ManualClock::new(jerusalem("2026-12-09T07:00"));
    let end = jerusalem("2026-12-12T07:00");
    rt.block_on(async {
        while clock.now() < end {
            let store = SqliteStore::open(&state).unwrap();
            let mut svc = service(
                &config,
                Box::new(store),
                fakes.clone(),
                Arc::new(clock.clone()),
            );
            for _ in 0..(7 * 12) {
                svc.wake().await;
                clock.advance(Duration::from_secs(300));
            }
            // Thursday: Dana finishes her copy of the spring sale; it leaves her digests.
            if clock.now() > jerusalem("2026-12-10T00:00") {
                fakes
                    .get("sheet")
                    .set_state("spring-sale/copy", State::Done);
            }
        }
    });
    let got = got.lock().unwrap().clone();
    // One digest per person per business day: Wednesday and Thursday (Friday and Saturday
    // are not business days in this playbook).
    let heads: Vec<String> = got
        .iter()
        .map(|m| m.lines().next().unwrap().to_string())
        .collect();
    let count = |who: &str, day: &str| {
        heads
            .iter()
            .filter(|h| h.contains(who) && h.contains(day))
            .count()
    };
    assert_eq!(count("dana@example.com", "(יום ד׳ 9.12)"), 1, "{heads:#?}");
    assert_eq!(count("dana@example.com", "(יום ה׳ 10.12)"), 1, "{heads:#?}");
    assert_eq!(count("avi@example.com", "(יום ד׳ 9.12)"), 1, "{heads:#?}");
    // Avi's design was due Wednesday and is not done: overdue on Thursday.
    assert_eq!(count("avi@example.com", "(יום ה׳ 10.12)"), 1, "{heads:#?}");
    assert_eq!(got.len(), 4, "{heads:#?}");
    // Hebrew intact, the playbook's words and the people's tasks.
    let digest = |who: &str, day: &str| {
        got.iter()
            .find(|m| {
                m.lines().next().unwrap().contains(who) && m.lines().next().unwrap().contains(day)
            })
            .unwrap()
    };
    let wednesday = digest("dana@example.com", "(יום ד׳ 9.12)");
    assert!(wednesday.contains("*תהליך התוכן — "), "{wednesday}");
    assert!(wednesday.contains("שלום dana@example.com,"), "{wednesday}");
    assert!(
        wednesday.contains("מבצע האביב: כתיבה — עד יום ד׳ 9.12"),
        "{wednesday}"
    );
    let thursday = digest("dana@example.com", "(יום ה׳ 10.12)");
    assert!(
        !thursday.contains("מבצע האביב: כתיבה"),
        "done tasks leave the digest: {thursday}"
    );
    assert!(thursday.contains("מבצע האביב: פרסום"), "{thursday}");
}

#[test]
fn refused_credentials_alert_the_operator_once_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (url, got) = rt.block_on(chat_sink());
    std::fs::write(dir.path().join("chat-url"), &url).unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["board", "sheet"]),
            sync: "every = \"10m\"".into(),
            service: "[daemon]\noperator = \"ops@example.com\"\nmax_backoff = \"30m\"\n\n[reminders]\nat = \"23:00\"\nwebhook = \"file:chat-url\"".into(),
            ..Default::default()
        },
    );
    let fakes = Fakes::new(&["board", "sheet"]);
    fakes.get("board").fail_next_calls(
        10_000,
        ConnectorError::Auth {
            message: "invalid token".into(),
        },
    );
    let clock = ManualClock::new(jerusalem("2026-12-06T09:00"));
    let mut svc = service(
        &config,
        Box::new(MemoryStore::new()),
        fakes.clone(),
        Arc::new(clock.clone()),
    );
    // Two days of cycles every 10 minutes.
    rt.block_on(async {
        for _ in 0..(2 * 24 * 6) {
            svc.wake().await;
            clock.advance(Duration::from_secs(600));
        }
    });
    let got = got.lock().unwrap().clone();
    let alerts: Vec<&String> = got
        .iter()
        .filter(|m| m.contains("refused the credentials"))
        .collect();
    // Sunday 09:00 to Tuesday 09:00: one alert on each of the three days.
    assert_eq!(alerts.len(), 3, "one alert a day: {got:#?}");
    assert!(alerts.iter().all(|m| m.contains("→ ops@example.com")));
    assert!(alerts[0].contains("invalid token"));
    // The daily summary of failures, at 23:00 each day.
    let summaries: Vec<&String> = got
        .iter()
        .filter(|m| m.contains("daily summary of failures"))
        .collect();
    assert_eq!(summaries.len(), 2, "{got:#?}");
    assert!(
        summaries[0]
            .contains("board (excel): cannot read it: not signed in or not allowed: invalid token")
    );
    let metrics = svc
        .shared()
        .metrics()
        .render(&svc.shared().view().targets, Timestamp::now());
    assert!(
        metrics.contains("throughline_target_auth_failing{target=\"board\"} 1"),
        "{metrics}"
    );
    let failures: u64 = metrics
        .lines()
        .find(|l| l.starts_with("throughline_auth_failures_total{target=\"board\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    // Backing off: tried after 10, 20, then every 30 minutes, not at each of the 288 cycles.
    assert_eq!(failures, fakes.get("board").calls().observe as u64);
    assert_eq!(failures, 97);
}

#[test]
fn an_invalid_change_is_reported_and_the_last_good_model_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["sheet"]),
            sync: "every = \"5m\"".into(),
            ..Default::default()
        },
    );
    let fakes = Fakes::new(&["sheet", "board"]);
    let clock = ManualClock::new(jerusalem("2026-12-06T09:00"));
    let mut svc = service(
        &config,
        Box::new(MemoryStore::new()),
        fakes.clone(),
        Arc::new(clock.clone()),
    );
    block_on(svc.wake());
    assert_eq!(fakes.get("sheet").snapshot().content().len(), 6);

    // A new item with a mistake: nothing of the change is taken.
    let items = dir.path().join("items/january.toml");
    std::fs::write(
        &items,
        "[[item]]\nid = \"winter\"\nprocess = \"content\"\ntitle = \"Winter\"\ngolive = 2026-13-01\n",
    )
    .unwrap();
    clock.advance(Duration::from_secs(300));
    block_on(svc.wake());
    let view = svc.shared().view();
    let problems = &view.config.problems;
    assert!(
        problems.iter().any(|p| p.contains("january.toml:5:10")),
        "{problems:?}"
    );
    assert_eq!(fakes.get("sheet").snapshot().content().len(), 6);
    assert_eq!(
        view.last_cycle.as_ref().unwrap().number,
        2,
        "the cycle still ran"
    );

    // Fixed, and a target added: both taken.
    std::fs::write(
        &items,
        "[[item]]\nid = \"winter\"\nprocess = \"content\"\ntitle = \"Winter\"\ngolive = 2027-01-07\n",
    )
    .unwrap();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&excel_targets(&["board"]));
    std::fs::write(&config, text).unwrap();
    clock.advance(Duration::from_secs(300));
    block_on(svc.wake());
    let view = svc.shared().view();
    assert!(
        view.config.problems.is_empty(),
        "{:?}",
        view.config.problems
    );
    assert_eq!(fakes.get("sheet").snapshot().content().len(), 9);
    assert_eq!(fakes.get("board").snapshot().content().len(), 9);
    assert_eq!(view.targets.len(), 2);
}

#[test]
fn a_cancelled_cycle_stops_between_steps_and_the_next_one_carries_on() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use throughline::engine::{CycleOptions, EngineError, run_cycle};
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["board", "sheet"]),
            ..Default::default()
        },
    );
    let dep = model::load(&config).unwrap();
    let now = jerusalem("2026-12-06T09:00");
    let schedule = throughline::schedule::schedule_at(&dep, now);
    let gate = Gate::closed();
    let mut fakes = Fakes::new(&["board", "sheet"]).gate("sheet", gate.clone());
    let mut store = MemoryStore::new();
    let cancel = Arc::new(AtomicBool::new(false));
    let options = CycleOptions {
        cancel: Some(cancel.clone()),
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // SIGTERM while the cycle reads the sheet: the read finishes, nothing is written.
    let targets: Vec<&model::Target> = dep.targets.iter().collect();
    let mut runs: Vec<_> = fakes
        .open(&dep, &schedule, &targets)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let result = rt.block_on(async {
        let cycle = run_cycle(&mut store, &mut runs, &dep.sync, &options, now);
        tokio::pin!(cycle);
        tokio::select! {
            _ = &mut cycle => panic!("the cycle cannot end while the sheet's read waits"),
            _ = async {
                while gate.started() == 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            } => {}
        }
        cancel.store(true, Ordering::SeqCst);
        gate.open(1);
        cycle.await
    });
    assert!(
        matches!(result, Err(EngineError::Cancelled(0))),
        "{result:?}"
    );
    assert!(fakes.get("board").snapshot().content().is_empty());
    assert_eq!(store, MemoryStore::new(), "nothing was committed");
    // The next cycle does everything, once.
    cancel.store(false, Ordering::SeqCst);
    gate.open(100);
    let mut runs: Vec<_> = fakes
        .open(&dep, &schedule, &targets)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let report = rt
        .block_on(run_cycle(&mut store, &mut runs, &dep.sync, &options, now))
        .unwrap();
    assert!(report.ok());
    assert_eq!(fakes.get("board").snapshot().content().len(), 6);
    assert_eq!(
        fakes.get("sheet").snapshot().duplicates(),
        Vec::<String>::new()
    );
}

/// A connector whose reads take `took` of the (hand-moved) clock.
struct Slow {
    inner: throughline_connector::fake::FakeConnector,
    clock: ManualClock,
    took: Duration,
}

#[async_trait::async_trait]
impl throughline_connector::Connector for Slow {
    fn target(&self) -> &str {
        self.inner.target()
    }

    fn capabilities(&self) -> throughline_connector::Capabilities {
        self.inner.capabilities()
    }

    async fn observe(
        &mut self,
        cursor: Option<serde_json::Value>,
    ) -> Result<throughline_connector::Observation, ConnectorError> {
        self.clock.advance(self.took);
        self.inner.observe(cursor).await
    }

    async fn apply(
        &mut self,
        changes: &[throughline_connector::Change],
    ) -> Vec<Result<throughline_connector::Applied, ConnectorError>> {
        self.inner.apply(changes).await
    }

    async fn people_with_accounts(
        &mut self,
        people: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeSet<String>, ConnectorError> {
        self.inner.people_with_accounts(people).await
    }
}

struct SlowSource(Fakes, ManualClock, Duration);

impl TargetSource for SlowSource {
    fn open(
        &mut self,
        dep: &model::Deployment,
        schedule: &throughline::schedule::Schedule,
        targets: &[&model::Target],
    ) -> Vec<Result<throughline::engine::TargetRun, String>> {
        let mut runs = self.0.open(dep, schedule, targets);
        for run in runs.iter_mut().flatten() {
            run.connector = Box::new(Slow {
                inner: self.0.get(&run.id).connector(),
                clock: self.1.clone(),
                took: self.2,
            });
        }
        runs
    }
}

#[test]
fn a_cycle_that_overruns_delays_the_next_instead_of_stacking() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["sheet"]),
            sync: "every = \"1m\"".into(),
            ..Default::default()
        },
    );
    let fakes = Fakes::new(&["sheet"]);
    let start = jerusalem("2026-12-06T09:00");
    let clock = ManualClock::new(start);
    // Each cycle takes two and a half minutes: longer than the period.
    let mut svc = service(
        &config,
        Box::new(MemoryStore::new()),
        SlowSource(fakes.clone(), clock.clone(), Duration::from_secs(150)),
        Arc::new(clock.clone()),
    );
    block_on(async {
        for _ in 0..4 {
            // Wake exactly when the daemon asks to.
            clock.set(svc.next_wake().max(clock.now()));
            svc.wake().await;
        }
    });
    // One cycle at a time, each right after the one before: 09:00, 09:02:30, 09:05, 09:07:30.
    assert_eq!(fakes.get("sheet").calls().observe, 4);
    assert_eq!(svc.next_cycle(), jerusalem("2026-12-06T09:10"));
    let last = svc.shared().view().last_cycle.unwrap();
    assert_eq!(
        (last.number, last.started),
        (4, jerusalem("2026-12-06T09:07:30"))
    );
}

#[test]
fn cron_cycles_run_on_the_minute_in_the_daemon_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["sheet"]),
            sync: "cron = \"*/15 8-17 * * sun-thu\"".into(),
            ..Default::default()
        },
    );
    let fakes = Fakes::new(&["sheet"]);
    // Thursday 17:50 in Jerusalem: the startup cycle, then Sunday 08:00 (Friday and Saturday
    // are not in the expression).
    let clock = ManualClock::new(jerusalem("2026-12-10T17:50"));
    let mut svc = service(
        &config,
        Box::new(MemoryStore::new()),
        fakes.clone(),
        Arc::new(clock.clone()),
    );
    block_on(svc.wake());
    assert_eq!(svc.next_cycle(), jerusalem("2026-12-13T08:00"));
    clock.set(jerusalem("2026-12-13T08:00"));
    block_on(svc.wake());
    assert_eq!(svc.next_cycle(), jerusalem("2026-12-13T08:15"));
    assert_eq!(fakes.get("sheet").calls().observe, 2);
}
