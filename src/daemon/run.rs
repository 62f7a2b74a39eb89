//! The loop: sleep until the next thing is due (or a webhook, channel or file signal has
//! settled, or a stop is asked), do it, repeat.
//!
//! One cycle at a time: [`Service::wake`] runs on this task only, so a cycle that overruns
//! delays the next one. SIGTERM or SIGINT while idle stops at once; during a cycle it lets the
//! call in flight finish, stops the engine before its next step (everything before is
//! committed; what follows is picked up by the next start, as after a crash at that step),
//! and gives up waiting after `[daemon] stop_timeout`.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use jiff::Timestamp;
use tokio::net::TcpListener;

use super::server;
use super::service::Service;

/// Resolves when the process is asked to stop (SIGTERM, SIGINT). The handlers are installed
/// when this is called, not when it is first polled, so a signal that comes right after is
/// not lost. Call it inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                        _ = int.recv() => tracing::info!("SIGINT: stopping"),
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C: stopping");
        }
    }
}

/// How long the signals must pause before the cycle they asked for starts.
pub const SETTLE: Duration = Duration::from_millis(150);

/// Wait until the signals pause for [`SETTLE`], or `longest` (`[daemon] webhook_delay`) has
/// passed since the first: a burst (a person moving ten cards, a save in many steps, a
/// thousand deliveries) becomes one cycle, and a steady stream still gets one at least every
/// `longest`. Signals that arrive while that cycle runs are pending when it ends and make at
/// most one more: the pending set holds each target once ([`super::hints::Hints`]).
///
/// The cycle observes every target before it writes to any (`engine::run_cycle`:
/// `observe_all`, then the merge, then `plan_and_apply` per target), so the tool that signalled
/// is read before anything is pushed to the others: the hub rule, pull before push.
async fn settle(hints: &super::hints::Hints, longest: Duration) {
    let start = std::time::Instant::now();
    let mut seen = hints.count();
    loop {
        let left = longest.saturating_sub(start.elapsed());
        if left.is_zero() {
            return;
        }
        tokio::time::sleep(SETTLE.min(left)).await;
        let now = hints.count();
        if now == seen {
            return;
        }
        seen = now;
    }
}

fn until(t: Timestamp) -> Duration {
    let now = Timestamp::now();
    if t <= now {
        Duration::ZERO
    } else {
        t.duration_since(now).unsigned_abs()
    }
}

/// Serve HTTP on `listener` and run cycles until `stop` resolves. Returns once the cycle in
/// flight (if any) stopped and the server closed.
pub async fn run(
    mut service: Service,
    listener: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let shared = service.shared();
    // The cancel flag is set by a task of its own: a cycle whose connectors never yield (local
    // files) still sees it at its next step.
    let cancel = service.cancel_flag();
    let (stopped_tx, mut stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        cancel.store(true, Ordering::SeqCst);
        let _ = stopped_tx.send(true);
    });
    let stop = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    let (server_stop, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let app = server::router(shared.clone());
    let server = tokio::spawn(async move {
        // Each request knows its client's address: the dashboard's sign-in limits are per
        // address, and without sign-in it answers this machine only.
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = server_stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "the HTTP endpoint stopped");
        }
    });
    tokio::pin!(stop);
    'run: loop {
        let wake_at = service.next_wake();
        tokio::select! {
            biased;
            _ = &mut stop => break 'run,
            _ = tokio::time::sleep(until(wake_at)) => {}
            _ = shared.hints.wait() => {
                // Let a burst of signals settle into one cycle.
                let longest = service.deployment().sync.daemon.webhook_delay;
                tokio::select! {
                    biased;
                    _ = &mut stop => break 'run,
                    _ = settle(&shared.hints, longest) => {}
                }
            }
        }
        let grace = service.deployment().sync.daemon.stop_timeout;
        let work = service.wake();
        tokio::pin!(work);
        tokio::select! {
            biased;
            _ = &mut work => {}
            _ = &mut stop => {
                tracing::info!("waiting for the call in flight to finish (at most {}s)", grace.as_secs());
                if tokio::time::timeout(grace, &mut work).await.is_err() {
                    tracing::warn!(
                        "the cycle did not stop within {}s; leaving it where it is. The next start carries on from the state file",
                        grace.as_secs()
                    );
                }
                break 'run;
            }
        }
    }
    service.persist_learned();
    drop(service);
    let _ = server_stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    tracing::info!("stopped");
}
