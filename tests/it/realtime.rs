//! Push signals, against the emulators on 127.0.0.1: the daemon registers its Trello webhook,
//! checks it, makes it again when Trello turned it off, and deletes it when the target leaves;
//! it opens a Drive channel on a spreadsheet, renews it before it expires (a fake clock), and
//! stops it; deliveries with a wrong signature or channel token are refused and counted; a
//! thousand signals in a second cost at most two cycles.

use crate::daemon_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use daemon_support::*;
use jiff::Timestamp;
use throughline::daemon::hooks::trello_signature;
use throughline::daemon::logging::Secrets;
use throughline::daemon::{ManualClock, Service, Shared};
use throughline::model;
use throughline::state::MemoryStore;

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

fn service(config: &Path, ids: &[&str], clock: ManualClock) -> Service {
    let dep = model::load(config).unwrap_or_else(|d| panic!("{d}"));
    let shared = Arc::new(Shared::new(Timestamp::now(), Secrets::default()));
    Service::new(
        config,
        dep,
        Box::new(MemoryStore::new()),
        Box::new(Fakes::new(ids)),
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

/// A port for the daemon's routes, and the base address that names it.
fn port() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

fn metrics(shared: &Shared) -> String {
    shared.metrics().render(&[], Timestamp::now())
}

/// Wait until `what` holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < PATIENCE, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn write_config(dir: &Path, targets: &str, public_url: &str) -> PathBuf {
    write_deployment(
        dir,
        &Setup {
            targets: targets.to_string(),
            sync: "every = \"1h\"".into(),
            service: format!("[daemon]\npublic_url = \"{public_url}\"\nwebhook_delay = \"1s\""),
            ..Default::default()
        },
    )
}

mod trello {
    use super::*;
    use throughline_trello::emulator::Emulator;

    fn target(dir: &Path, emu: &Emulator, board: &str) -> String {
        std::fs::write(dir.join("trello-key"), emu.key()).unwrap();
        std::fs::write(dir.join("trello-token"), emu.token()).unwrap();
        std::fs::write(dir.join("trello-secret"), emu.app_secret()).unwrap();
        format!(
            "[[target]]\nid = \"studio\"\nkind = \"trello\"\nboard = \"{board}\"\nbase_url = \"{}\"\ncredentials = {{ key = \"file:trello-key\", token = \"file:trello-token\", secret = \"file:trello-secret\" }}\n",
            emu.base_url()
        )
    }

    /// The emulator's webhooks: (id, callback, active).
    fn hooks(emu: &Emulator) -> Vec<(String, String, bool)> {
        emu.webhooks()
            .iter()
            .map(|w| {
                (
                    w["id"].as_str().unwrap().to_string(),
                    w["callbackURL"].as_str().unwrap().to_string(),
                    w["active"].as_bool().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn the_webhook_is_made_checked_made_again_when_turned_off_and_deleted_with_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime();
        let emu = rt.block_on(Emulator::start()).unwrap();
        let board = emu.seed_board("Studio");
        let (listener, base) = port();
        let config = write_config(dir.path(), &target(dir.path(), &emu, &board), &base);
        let clock = ManualClock::new(Timestamp::now());
        let mut svc = service(&config, &["studio"], clock.clone());
        let shared = svc.shared();
        let _server = serve(&rt, listener, shared.clone());
        let callback = format!("{base}/hooks/trello/studio");

        // The first wake-up makes it; Trello checked the address with a HEAD.
        rt.block_on(svc.wake());
        let made = hooks(&emu);
        assert_eq!(made.len(), 1, "{made:?}");
        assert_eq!((made[0].1.as_str(), made[0].2), (callback.as_str(), true));

        // A person's change arrives signed, and asks for an early cycle.
        shared.hints.take();
        // Inside the runtime: the emulator delivers on a task of its own.
        let _inside = rt.enter();
        emu.person(|p| p.add_card("To do", "Hero image", ""));
        eventually("an accepted delivery", || {
            shared.hints.take().contains("studio")
        });

        // A forged delivery: refused and counted.
        let body = br#"{"action":{"type":"updateCard"}}"#;
        let forged = trello_signature(b"not the app secret", body, &callback);
        let status = rt.block_on(async {
            reqwest::Client::new()
                .post(&callback)
                .header("X-Trello-Webhook", forged)
                .body(body.to_vec())
                .send()
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status, 401);
        let m = metrics(&shared);
        assert!(
            m.contains(
                "throughline_webhooks_total{tool=\"trello\",target=\"studio\",result=\"bad_signature\"} 1"
            ),
            "{m}"
        );

        // Within the hour nothing is asked again; after it, a webhook Trello turned off is
        // replaced.
        assert!(emu.deactivate_webhook(&made[0].0));
        clock.advance(Duration::from_secs(600));
        rt.block_on(svc.wake());
        assert_eq!(
            hooks(&emu)[0].0,
            made[0].0,
            "checked hourly, not every wake-up"
        );
        clock.advance(Duration::from_secs(3600));
        rt.block_on(svc.wake());
        let again = hooks(&emu);
        assert_eq!(again.len(), 1, "the one turned off is deleted: {again:?}");
        assert_ne!(again[0].0, made[0].0);
        assert_eq!((again[0].1.as_str(), again[0].2), (callback.as_str(), true));

        // The target leaves the config: its webhook goes at the next wake-up.
        let without = write_config(dir.path(), &excel_targets(&["studio-sheet"]), &base);
        assert_eq!(without, config);
        rt.block_on(svc.wake());
        assert_eq!(hooks(&emu), [], "deleted with its target");
    }

    #[test]
    fn unregister_deletes_what_the_daemon_made() {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime();
        let emu = rt.block_on(Emulator::start()).unwrap();
        let board = emu.seed_board("Studio");
        let (listener, base) = port();
        let config = write_config(dir.path(), &target(dir.path(), &emu, &board), &base);
        let mut svc = service(&config, &["studio"], ManualClock::new(Timestamp::now()));
        let _server = serve(&rt, listener, svc.shared());
        rt.block_on(svc.wake());
        assert_eq!(hooks(&emu).len(), 1);
        assert_eq!(rt.block_on(svc.unregister_webhooks()), Ok(1));
        assert_eq!(hooks(&emu), []);
    }
}

mod drive {
    use super::*;
    use throughline_sheets::emulator::Emulator;

    fn target(dir: &Path, emu: &Emulator, spreadsheet: &str) -> String {
        std::fs::write(dir.join("google-token"), emu.access_token()).unwrap();
        format!(
            "[[target]]\nid = \"plan\"\nkind = \"google-sheets\"\nspreadsheet = \"{spreadsheet}\"\nbase_url = \"{}\"\ncredentials = {{ token = \"file:google-token\" }}\n",
            emu.base_url()
        )
    }

    /// The emulator's open channels: (id, address).
    fn channels(emu: &Emulator) -> Vec<(String, String)> {
        emu.channels()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_string(),
                    c["address"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    async fn notify(callback: &str, token: &str, state: &str) -> u16 {
        reqwest::Client::new()
            .post(callback)
            .header("X-Goog-Channel-ID", "throughline-x")
            .header("X-Goog-Channel-Token", token)
            .header("X-Goog-Resource-State", state)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    #[test]
    fn a_channel_is_opened_checked_by_its_token_renewed_before_expiry_and_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime();
        let emu = rt.block_on(Emulator::start()).unwrap();
        let sheet = emu.create_spreadsheet("Plan");
        let (listener, base) = port();
        let config = write_config(dir.path(), &target(dir.path(), &emu, &sheet), &base);
        // The daemon's clock starts at the computer's: Drive's expirations are real times.
        let clock = ManualClock::new(Timestamp::now());
        let mut svc = service(&config, &["plan"], clock.clone());
        let shared = svc.shared();
        let _server = serve(&rt, listener, shared.clone());
        let callback = format!("{base}/hooks/drive/plan");

        rt.block_on(svc.wake());
        let first = channels(&emu);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].1, callback);
        let kept = svc.store().hook_secret("plan").unwrap().unwrap();
        assert!(
            kept.contains(&first[0].0),
            "kept for the next start: {kept}"
        );

        // A person's edit: Drive notifies with the channel's token (on a task of the runtime).
        let _inside = rt.enter();
        shared.hints.take();
        emu.person(&sheet, |p| {
            p.type_in("A1", vec![vec![serde_json::json!("edited")]])
                .unwrap()
        });
        eventually("an accepted notification", || {
            shared.hints.take().contains("plan")
        });

        // A made-up token: refused and counted; nothing asked.
        assert_eq!(rt.block_on(notify(&callback, "guessed", "update")), 401);
        assert!(shared.hints.is_empty());
        let m = metrics(&shared);
        assert!(
            m.contains(
                "throughline_webhooks_total{tool=\"drive\",target=\"plan\",result=\"bad_token\"} 1"
            ),
            "{m}"
        );

        // Close to its end (a day, as asked), the channel is replaced by a new one and stopped.
        clock.advance(Duration::from_secs(3600));
        rt.block_on(svc.wake());
        assert_eq!(channels(&emu), first, "not yet");
        clock.advance(Duration::from_secs(22 * 3600 + 45 * 60));
        rt.block_on(svc.wake());
        let renewed = channels(&emu);
        assert_eq!(renewed.len(), 1, "the old one is stopped: {renewed:?}");
        assert_ne!(renewed[0].0, first[0].0);
        assert_eq!(renewed[0].1, callback);
        shared.hints.take();
        emu.person(&sheet, |p| {
            p.type_in("A2", vec![vec![serde_json::json!("again")]])
                .unwrap()
        });
        eventually("a notification on the new channel", || {
            shared.hints.take().contains("plan")
        });

        // The target leaves: its channel is stopped.
        write_config(dir.path(), &excel_targets(&["other"]), &base);
        rt.block_on(svc.wake());
        assert_eq!(channels(&emu), []);
    }
}

mod coalescing {
    use super::*;
    use throughline::daemon::run;

    /// `/metrics`' count of cycles started by a signal.
    fn signalled_cycles(shared: &Shared) -> u64 {
        let m = metrics(shared);
        m.lines()
            .filter(|l| l.starts_with("throughline_cycles_total{trigger=\"webhook\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    #[test]
    fn a_thousand_signals_in_a_second_cost_at_most_two_cycles() {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime();
        let (listener, base) = port();
        std::fs::write(dir.path().join("trello-secret"), "app-secret").unwrap();
        // The Trello target is a fake for the cycles; only its webhooks are real.
        let targets = "[[target]]\nid = \"studio\"\nkind = \"trello\"\nboard = \"b\"\ncredentials = { key = \"file:trello-secret\", token = \"file:trello-secret\", secret = \"file:trello-secret\" }\n";
        let config = write_deployment(
            dir.path(),
            &Setup {
                targets: targets.into(),
                sync: "every = \"1h\"".into(),
                ..Default::default()
            },
        );
        let dep = model::load(&config).unwrap_or_else(|d| panic!("{d}"));
        let shared = Arc::new(Shared::new(Timestamp::now(), Secrets::default()));
        let addr = listener.local_addr().unwrap();
        let svc = Service::new(
            &config,
            dep,
            Box::new(MemoryStore::new()),
            Box::new(Fakes::new(&["studio"])),
            Arc::new(throughline::daemon::SystemClock),
            shared.clone(),
            addr,
        )
        .unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        listener.set_nonblocking(true).unwrap();
        let daemon = rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            run(svc, listener, async move {
                let _ = stop_rx.await;
            })
            .await
        });
        eventually("the first cycle", || shared.view().last_cycle.is_some());

        // Without public_url the callback is the listening address.
        let callback = format!("{base}/hooks/trello/studio");
        let body = br#"{"action":{"type":"updateCard"}}"#;
        let signature = trello_signature(b"app-secret", body, &callback);
        let started = Instant::now();
        rt.block_on(async {
            let http = reqwest::Client::new();
            for burst in 0..20 {
                let mut sends = tokio::task::JoinSet::new();
                for _ in 0..50 {
                    sends.spawn(
                        http.post(&callback)
                            .header("X-Trello-Webhook", &signature)
                            .body(body.to_vec())
                            .send(),
                    );
                }
                while let Some(answer) = sends.join_next().await {
                    assert_eq!(answer.unwrap().unwrap().status(), 200);
                }
                // Spread over about a second.
                let due = Duration::from_millis(50 * (burst + 1));
                tokio::time::sleep(due.saturating_sub(started.elapsed())).await;
            }
        });
        let m = metrics(&shared);
        assert!(
            m.contains(
                "throughline_webhooks_total{tool=\"trello\",target=\"studio\",result=\"accepted\"} 1000"
            ),
            "{m}"
        );
        // Settled: nothing pending, no cycle running, for a while.
        let mut quiet_since = Instant::now();
        eventually("the signals are all taken and the daemon idle", || {
            let busy = !shared.hints.is_empty() || shared.view().running_since.is_some();
            if busy {
                quiet_since = Instant::now();
            }
            quiet_since.elapsed() > Duration::from_secs(2)
        });
        let cycles = signalled_cycles(&shared);
        assert!(
            (1..=2).contains(&cycles),
            "{cycles} cycles for 1,000 signals"
        );
        let _ = stop_tx.send(());
        rt.block_on(daemon).unwrap();
    }
}
