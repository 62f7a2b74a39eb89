//! The Asana webhook secret cannot be chosen by whoever reaches `/hooks/asana/<target>`: a
//! handshake is answered only while the daemon itself is creating that target's webhook.
//! Against the Asana emulator, which performs the handshake during the create and signs its
//! deliveries as Asana does.

use crate::daemon_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use daemon_support::*;
use jiff::Timestamp;
use throughline::daemon::hooks::asana_signature;
use throughline::daemon::logging::Secrets;
use throughline::daemon::{ManualClock, Service, Shared};
use throughline::model;
use throughline::state::{MemoryStore, SqliteStore, StateStore};
use throughline_asana::emulator::{Emulator, Seeded};

/// Long enough for a slow machine; only there so that a broken delivery fails the test
/// instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(60);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn service(config: &std::path::Path, store: Box<dyn StateStore>) -> Service {
    let dep = model::load(config).unwrap_or_else(|d| panic!("{d}"));
    let shared = Arc::new(Shared::new(Timestamp::now(), Secrets::default()));
    let clock = ManualClock::new(jerusalem("2026-12-06T09:00"));
    Service::new(
        config,
        dep,
        store,
        Box::new(Fakes::new(&["tasks"])),
        Arc::new(clock),
        shared,
        "127.0.0.1:9184".parse().unwrap(),
    )
    .unwrap()
}

/// Serve the daemon's routes for `shared` on `listener`, until the task is aborted.
fn serve(
    rt: &tokio::runtime::Runtime,
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
) -> tokio::task::JoinHandle<()> {
    listener.set_nonblocking(true).unwrap();
    rt.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(listener, throughline::daemon::server::router(shared))
            .await
            .unwrap()
    })
}

/// An Asana target on the emulator's project, with the daemon reachable at `public_url`.
fn deployment(
    dir: &std::path::Path,
    asana: &Emulator,
    seeded: &Seeded,
    public_url: &str,
) -> std::path::PathBuf {
    std::fs::write(dir.join("asana-token"), &seeded.token).unwrap();
    write_deployment(
        dir,
        &Setup {
            targets: format!(
                "[[target]]\nid = \"tasks\"\nkind = \"asana\"\nproject = \"{}\"\nworkspace = \"{}\"\nbase_url = \"{}\"\ncredentials = {{ token = \"file:asana-token\" }}\n",
                seeded.project,
                seeded.workspace,
                asana.base_url()
            ),
            sync: "every = \"1h\"".into(),
            service: format!("[daemon]\npublic_url = \"{public_url}\"\nwebhook_delay = \"1s\""),
            ..Default::default()
        },
    )
}

/// Ana changes something in the project through the API, as a person would.
async fn change_in_asana(asana: &Emulator, seeded: &Seeded, name: &str) {
    let status = reqwest::Client::new()
        .post(format!("{}/tasks", asana.base_url()))
        .bearer_auth(&seeded.token)
        .json(&serde_json::json!({"data": {"name": name, "projects": [seeded.project]}}))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
}

/// Wait until a webhook asked for an early cycle of `target`.
async fn hinted(shared: &Shared, target: &str) {
    let start = Instant::now();
    loop {
        if shared.hints.take().contains(target) {
            return;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "no accepted webhook for {target}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn handshake(url: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("X-Hook-Secret", secret)
        .send()
        .await
        .unwrap()
}

/// What each test starts from: a runtime, a seeded emulator, a port for the daemon's routes
/// (not served yet) and a deployment whose `public_url` names it.
struct World {
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    asana: Emulator,
    seeded: Seeded,
    listener: std::net::TcpListener,
    base: String,
    config: std::path::PathBuf,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let rt = runtime();
    let asana = rt.block_on(Emulator::start()).unwrap();
    let seeded = asana.seed();
    let config = deployment(dir.path(), &asana, &seeded, &base);
    World {
        dir,
        rt,
        asana,
        seeded,
        listener,
        base,
        config,
    }
}

#[test]
fn a_handshake_without_a_registration_is_refused_and_the_stored_secret_stays() {
    // The folder and the emulator must live to the end, though only the deployment names them.
    let World {
        dir: _dir,
        rt,
        asana: _asana,
        seeded: _,
        listener,
        base,
        config,
    } = world();
    let stored = "1111111111111111111111111111111111111111111111111111111111111111";
    let mut store = MemoryStore::new();
    store
        .set_hook_secret("tasks", stored, Timestamp::UNIX_EPOCH)
        .unwrap();
    let mut svc = service(&config, Box::new(store));
    let shared = svc.shared();
    serve(&rt, listener, shared.clone());
    let url = format!("{base}/hooks/asana/tasks");
    let events =
        br#"{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"}}]}"#;
    let attacker = "2222222222222222222222222222222222222222222222222222222222222222";
    rt.block_on(async {
        let answer = handshake(&url, attacker).await;
        assert_eq!(answer.status(), 403);
        assert!(answer.headers().get("x-hook-secret").is_none());
        let http = reqwest::Client::new();
        let post = |secret: &str| {
            http.post(&url)
                .header(
                    "X-Hook-Signature",
                    asana_signature(secret.as_bytes(), events),
                )
                .body(events.to_vec())
                .send()
        };
        assert_eq!(
            post(attacker).await.unwrap().status(),
            401,
            "the attacker signs nothing"
        );
        assert_eq!(
            post(stored).await.unwrap().status(),
            200,
            "Asana still does"
        );
    });
    svc.persist_learned();
    assert_eq!(
        svc.store().hook_secret("tasks").unwrap().as_deref(),
        Some(stored)
    );
    let metrics = shared.metrics().render(&[], Timestamp::now());
    assert!(
        metrics.contains(
            "throughline_webhooks_total{tool=\"asana\",target=\"tasks\",result=\"handshake_refused\"} 1"
        ),
        "{metrics}"
    );
}

#[test]
fn the_daemon_creates_its_asana_webhook_and_only_asana_signs_events() {
    let World {
        dir,
        rt,
        asana,
        seeded,
        listener,
        base,
        config,
    } = world();
    let state = dir.path().join("throughline.db");
    let addr = listener.local_addr().unwrap();
    let mut svc = service(&config, Box::new(SqliteStore::open(&state).unwrap()));
    let shared = svc.shared();
    let server = serve(&rt, listener, shared.clone());
    let callback = format!("{base}/hooks/asana/tasks");

    // The first wake-up creates the webhook; Asana's handshake comes in during the create.
    rt.block_on(svc.wake());
    assert_eq!(
        asana.webhooks(),
        [(seeded.project.clone(), callback.clone())]
    );
    let secret = svc
        .store()
        .hook_secret("tasks")
        .unwrap()
        .expect("the handshake's secret is kept in the state file");
    assert_eq!(secret.len(), 64);

    // A change in Asana arrives signed with it, and asks for an early cycle.
    rt.block_on(async {
        shared.hints.take();
        change_in_asana(&asana, &seeded, "Hero image").await;
        hinted(&shared, "tasks").await;

        // Someone else's handshake while the daemon runs normally: refused, nothing changes,
        // and Asana's next delivery still passes.
        let answer = handshake(&callback, &"3".repeat(64)).await;
        assert_eq!(answer.status(), 403);
        change_in_asana(&asana, &seeded, "Banner copy").await;
        hinted(&shared, "tasks").await;
    });
    svc.persist_learned();
    assert_eq!(
        svc.store().hook_secret("tasks").unwrap(),
        Some(secret.clone())
    );
    let metrics = shared.metrics().render(&[], Timestamp::now());
    for line in [
        "throughline_webhooks_total{tool=\"asana\",target=\"tasks\",result=\"handshake\"} 1",
        "throughline_webhooks_total{tool=\"asana\",target=\"tasks\",result=\"handshake_refused\"} 1",
        "throughline_webhooks_total{tool=\"asana\",target=\"tasks\",result=\"accepted\"} 2",
    ] {
        assert!(metrics.contains(line), "{line} not in:\n{metrics}");
    }
    assert!(
        !metrics.contains("result=\"bad_signature\""),
        "Asana's deliveries all passed:\n{metrics}"
    );

    // After a restart with the same state file the webhook is kept: nothing is created.
    drop(svc);
    asana.clear_requests();
    let mut svc = service(&config, Box::new(SqliteStore::open(&state).unwrap()));
    rt.block_on(svc.check_webhooks());
    assert_eq!(
        asana.webhooks(),
        [(seeded.project.clone(), callback.clone())]
    );
    let calls: Vec<String> = asana
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        ["GET /users/me", "GET /webhooks"],
        "learned the account it acts as (its own events' user), and only looked"
    );
    drop(svc);

    // With the state file lost the secret is unknown: the old webhook is deleted and a new
    // one made, its handshake answered by the new daemon at the same address.
    server.abort();
    let _ = rt.block_on(server);
    let listener = std::net::TcpListener::bind(addr).unwrap();
    let mut svc = service(&config, Box::new(MemoryStore::new()));
    serve(&rt, listener, svc.shared());
    asana.clear_requests();
    rt.block_on(svc.check_webhooks());
    let calls: Vec<String> = asana
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_eq!(calls[0], "GET /users/me");
    assert_eq!(calls[1], "GET /webhooks");
    assert!(calls[2].starts_with("DELETE /webhooks/"), "{calls:?}");
    assert_eq!(calls[3], "POST /webhooks");
    assert_eq!(
        asana.webhooks(),
        [(seeded.project.clone(), callback.clone())]
    );
    let fresh = svc.store().hook_secret("tasks").unwrap().unwrap();
    assert_ne!(fresh, secret);

    // Asana drops a webhook whose deliveries keep failing: the next check makes it again.
    rt.block_on(async {
        let http = reqwest::Client::new();
        let listed: serde_json::Value = http
            .get(format!("{}/webhooks", asana.base_url()))
            .query(&[("workspace", seeded.workspace.as_str())])
            .bearer_auth(&seeded.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let gid = listed["data"][0]["gid"].as_str().unwrap().to_owned();
        let gone = http
            .delete(format!("{}/webhooks/{gid}", asana.base_url()))
            .bearer_auth(&seeded.token)
            .send()
            .await
            .unwrap();
        assert!(gone.status().is_success());
    });
    assert!(asana.webhooks().is_empty());
    rt.block_on(svc.check_webhooks());
    assert_eq!(asana.webhooks(), [(seeded.project.clone(), callback)]);
    let again = svc.store().hook_secret("tasks").unwrap().unwrap();
    assert_ne!(
        again, fresh,
        "the new webhook's secret replaces the dropped one's"
    );
}
