//! `daemon --allow-…`: the one-run overrides of the safety stops hold for one complete cycle
//! of the daemon, not for good.

use crate::daemon_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use daemon_support::*;
use jiff::Timestamp;
use throughline::daemon::logging::Secrets;
use throughline::daemon::{AllowOnce, ManualClock, Service, Shared};
use throughline::model;
use throughline::state::MemoryStore;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn an_override_given_to_the_daemon_passes_one_cycle_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["board"]),
            sync: "every = \"5m\"".into(),
            ..Default::default()
        },
    );
    let fakes = Fakes::new(&["board"]);
    let clock = ManualClock::new(jerusalem("2026-12-06T09:00"));
    let dep = model::load(&config).unwrap_or_else(|d| panic!("{d}"));
    let listen: SocketAddr = "127.0.0.1:9184".parse().unwrap();
    let mut svc = Service::new(
        &config,
        dep,
        Box::new(MemoryStore::new()),
        Box::new(fakes.clone()),
        Arc::new(clock.clone()),
        Arc::new(Shared::new(Timestamp::now(), Secrets::default())),
        listen,
    )
    .unwrap();
    let board = fakes.get("board");
    let delete_half = || {
        let ids: Vec<String> = board
            .snapshot()
            .tasks
            .iter()
            .filter_map(|t| t.identity.clone())
            .collect();
        assert_eq!(ids.len(), 6);
        for id in &ids[..3] {
            board.delete(id);
        }
    };
    let stopped = |svc: &Service| {
        svc.shared()
            .view()
            .targets
            .iter()
            .find(|t| t.target == "board")
            .and_then(|t| t.error.clone())
            .filter(|e| e.contains("--allow-recreate"))
    };

    block_on(svc.wake());
    delete_half();
    clock.advance(Duration::from_secs(300));
    block_on(svc.wake());
    assert!(stopped(&svc).is_some(), "3 of 6 gone: stopped");
    assert_eq!(board.snapshot().tasks.len(), 3);

    svc.allow_once(AllowOnce {
        recreate: true,
        ..Default::default()
    });
    clock.advance(Duration::from_secs(300));
    block_on(svc.wake());
    assert_eq!(
        board.snapshot().tasks.len(),
        6,
        "re-created under the override"
    );
    assert!(stopped(&svc).is_none());

    // The override is spent: the same loss stops the next cycle again.
    delete_half();
    clock.advance(Duration::from_secs(300));
    block_on(svc.wake());
    assert!(stopped(&svc).is_some());
    assert_eq!(board.snapshot().tasks.len(), 3);
}
