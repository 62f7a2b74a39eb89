//! Leader and standby: any number of daemons on one deployment whose state is in PostgreSQL;
//! the one that holds the store's lease runs cycles, the others wait to take over.
//!
//! - **Standing by**: a replica tries to take the lease every quarter of its period, so after
//!   the leader dies (`kill -9`) or loses the database, one takes over at most a period and a
//!   quarter after the leader's last renewal — within two periods.
//! - **Leading**: the replica renews every third of the period on a connection of its own and
//!   runs the ordinary service ([`super::run`]) with a store fenced by its epoch. When a renewal
//!   says another replica holds the lease, or no renewal succeeded for a whole period (the
//!   database is out of reach), the fence drops to 0 at once (every later write is refused in
//!   its own transaction), the service is stopped as on SIGTERM, and the replica stands by
//!   again. A replica that was paused and wakes after a takeover has its writes refused by
//!   the database itself: its epoch is no longer the lease's.
//! - **Stopping** (SIGTERM): the leader finishes as the service always does and gives the lease
//!   back, so a standby takes over at once instead of waiting for it to run out.
//! - A standby answers no HTTP: a load balancer's health check (`/readyz`) then sends webhooks
//!   and people to the leader only. The leader listens on `--listen` as a single daemon does.
//! - Creates in the tools stay protected across a takeover by the intent journal and the
//!   identity markers: a create in flight when the leader died is adopted by the next cycle.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::watch;

use super::logging::Secrets;
use super::{AllowOnce, Connectors, Service, Shared, SystemClock};
use crate::model::Deployment;
use crate::state::postgres::lease::{self, Lease, Taken};
use crate::state::{Fence, PostgresStore, StateError};

/// The lease's length when `--lease` is not given: renewed every 5 seconds, taken over
/// within 30 seconds of a leader's death.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15);

/// What one replica needs besides its deployment.
#[derive(Debug, Clone)]
pub struct Replica {
    pub config: PathBuf,
    /// The store's address, resolved (no `env:`/`file:`).
    pub url: String,
    pub listen: SocketAddr,
    pub lease: Duration,
    pub allow: AllowOnce,
    pub secrets: Secrets,
    /// What this replica does for the deployment now, for `/readyz` and `/metrics` of a daemon
    /// that runs several (`deployments.rs`).
    pub role: Arc<Mutex<Role>>,
}

/// Whether this replica leads a deployment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Role {
    /// Waiting for the lease (or for the database).
    #[default]
    Standby,
    /// Holding the lease under this epoch; the service answers on this address.
    Leader { epoch: i64, listen: SocketAddr },
}

/// Why a term of leadership ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// SIGTERM or SIGINT: the process stops.
    Stop,
    /// The lease went to another replica, or could not be renewed for a whole period.
    Lost,
}

/// Stand by and lead, in turn, until `stop` resolves.
pub async fn run_replica(
    dep: Deployment,
    replica: Replica,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stopping) = watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = stop_tx.send(true);
    });
    let holder = lease::holder_name("daemon");
    tracing::info!(holder, state = %crate::state::postgres::redact(&replica.url), lease_seconds = replica.lease.as_secs_f64(), "throughline replica started; standing by until it holds the lease");
    loop {
        let Some((store, lease, epoch)) = stand_by(&replica, &holder, stopping.clone()).await
        else {
            return Ok(());
        };
        let end = lead(&dep, &replica, store, lease, epoch, stopping.clone()).await;
        set_role(&replica, Role::Standby);
        if end? == End::Stop {
            return Ok(());
        }
        tracing::warn!(
            epoch,
            "this replica no longer holds the lease; it stopped writing and stands by"
        );
    }
}

/// Until the lease is this replica's: the store (fenced by the epoch), the lease and the epoch.
/// `None` when asked to stop first.
async fn stand_by(
    replica: &Replica,
    holder: &str,
    mut stopping: watch::Receiver<bool>,
) -> Option<(PostgresStore, Arc<Mutex<Lease>>, i64)> {
    let poll = replica.lease / 4;
    let fence = Fence::new(holder, replica.lease);
    let mut said = String::new();
    // Kept between attempts (a standby of fifty deployments must not reconnect each time).
    let mut kept: Option<(PostgresStore, Lease)> = None;
    // A first attempt somewhere in the first poll: replicas of many deployments started
    // together then share the leases out instead of the first one taking them all.
    let jitter =
        poll.mul_f64(f64::from(jiff::Timestamp::now().subsec_nanosecond() % 1000) / 1000.0);
    tokio::select! {
        _ = stopping.wait_for(|s| *s) => return None,
        _ = tokio::time::sleep(jitter) => {}
    }
    loop {
        let tried = blocking({
            let (url, holder, period, fence) = (
                replica.url.clone(),
                holder.to_owned(),
                replica.lease,
                fence.clone(),
            );
            let kept = kept.take();
            move || try_lead(&url, &holder, period, fence, kept)
        })
        .await;
        let tried = match tried {
            Ok((result, back)) => {
                kept = back;
                result.map_err(anyhow::Error::from)
            }
            Err(e) => Err(e),
        };
        match tried {
            Ok(Ok(epoch)) => {
                let (store, lease) = kept.take().expect("kept after a successful attempt");
                fence.set(epoch);
                return Some((store, Arc::new(Mutex::new(lease)), epoch));
            }
            Ok(Err(holder)) => {
                if said != holder {
                    tracing::info!(leader = %holder, "standing by: another replica leads");
                    said = holder;
                }
            }
            Err(e) => {
                let text = e.to_string();
                if said != text {
                    tracing::warn!(error = %text, "standing by: cannot reach the state store");
                    said = text;
                }
            }
        }
        tokio::select! {
            _ = stopping.wait_for(|s| *s) => return None,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// What one attempt found (the epoch taken, or who holds the lease), and the connections.
type Attempt = (
    Result<Result<i64, String>, StateError>,
    Option<(PostgresStore, Lease)>,
);

/// One attempt: connect (and migrate) unless connected already, then take the lease if it is
/// free: its epoch, or who holds it. The connections come back for
/// the next attempt (none after an error: they are made again).
fn try_lead(
    url: &str,
    holder: &str,
    period: Duration,
    fence: Fence,
    kept: Option<(PostgresStore, Lease)>,
) -> Attempt {
    let connected = match kept {
        Some(kept) => Ok(kept),
        // The store first: it makes the schema (and the lease row) on a new database.
        None => PostgresStore::connect(url, fence)
            .and_then(|store| Ok((store, Lease::connect(url, holder, period)?))),
    };
    let (store, mut lease) = match connected {
        Ok(both) => both,
        Err(e) => return (Err(e), None),
    };
    match lease.try_take() {
        Ok(Taken::Epoch(epoch)) => (Ok(Ok(epoch)), Some((store, lease))),
        Ok(Taken::HeldBy(other)) => (Ok(Err(other)), Some((store, lease))),
        Err(e) => (Err(e), None),
    }
}

fn set_role(replica: &Replica, role: Role) {
    if let Ok(mut now) = replica.role.lock() {
        *now = role;
    }
}

/// A blocking call off the async workers (the store's client blocks).
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> anyhow::Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a state store call panicked")
}

/// One term: run the service while renewing; stop it when the lease is lost or on SIGTERM.
async fn lead(
    dep: &Deployment,
    replica: &Replica,
    store: PostgresStore,
    lease: Arc<Mutex<Lease>>,
    epoch: i64,
    mut stopping: watch::Receiver<bool>,
) -> anyhow::Result<End> {
    let fence = store
        .fence()
        .cloned()
        .expect("a writable store has a fence");
    let listener = tokio::net::TcpListener::bind(replica.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; another program uses it, or the address is not this machine's. Choose another with --listen or `[daemon] listen`",
                replica.listen
            )
        })?;
    let listen = listener.local_addr()?;
    let shared = Arc::new(Shared::new(jiff::Timestamp::now(), replica.secrets.clone()));
    let mut service = Service::new(
        &replica.config,
        dep.clone(),
        Box::new(store),
        Box::new(Connectors),
        Arc::new(SystemClock),
        shared,
        listen,
    )?;
    service.allow_once(replica.allow);
    set_role(replica, Role::Leader { epoch, listen });
    let (lost_tx, mut lost) = watch::channel(false);
    let renewing = tokio::spawn(keep(lease.clone(), epoch, replica.lease, fence, lost_tx));
    tracing::info!(
        listen = %listen,
        config = %replica.config.display(),
        epoch,
        state = %crate::state::postgres::redact(&replica.url),
        "throughline daemon started; this replica leads (epoch {epoch}); /healthz, /readyz and /metrics are on http://{listen}"
    );
    let ended = Arc::new(Mutex::new(End::Stop));
    let why = ended.clone();
    let stop = async move {
        tokio::select! {
            _ = stopping.wait_for(|s| *s) => {}
            _ = lost.wait_for(|l| *l) => *why.lock().expect("not poisoned") = End::Lost,
        }
    };
    super::run(service, listener, stop).await;
    renewing.abort();
    let end = *ended.lock().expect("not poisoned");
    if end == End::Stop {
        // A clean stop: the next replica need not wait for the lease to run out.
        let _ = blocking(move || {
            if let Ok(mut lease) = lease.lock() {
                let _ = lease.give_back(epoch);
            }
        })
        .await;
    }
    Ok(end)
}

/// Renews every third of the period; on a refusal, or no success for a whole period, drops
/// the fence and says so on `lost`.
async fn keep(
    lease: Arc<Mutex<Lease>>,
    epoch: i64,
    period: Duration,
    fence: Fence,
    lost: watch::Sender<bool>,
) {
    let mut last = Instant::now();
    loop {
        tokio::time::sleep(period / 3).await;
        let attempt = {
            let lease = lease.clone();
            blocking(move || match lease.try_lock() {
                // A renewal still stuck on a dead connection counts as a failure.
                Ok(mut lease) => Some(lease.renew(epoch)),
                Err(_) => None,
            })
        };
        let result = tokio::time::timeout(period / 3, attempt).await;
        match result {
            Ok(Ok(Some(Ok(true)))) => last = Instant::now(),
            Ok(Ok(Some(Ok(false)))) => {
                tracing::warn!(epoch, "another replica took the lease over");
                break;
            }
            other => {
                let why = match other {
                    Ok(Ok(Some(Err(e)))) => e.to_string(),
                    _ => "the database did not answer in time".to_owned(),
                };
                if last.elapsed() >= period {
                    tracing::warn!(epoch, error = %why, "the lease could not be renewed for a whole period; stepping down");
                    break;
                }
                tracing::warn!(epoch, error = %why, "renewing the lease failed; trying again");
            }
        }
    }
    fence.set(0);
    let _ = lost.send(true);
}

/// `throughline daemon` for a deployment whose `state` is a PostgreSQL address.
pub fn run_from_command(dep: Deployment, replica: Replica) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let stop = super::shutdown_signal();
        run_replica(dep, replica, stop).await
    })
}

/// `--lease`: `15s`, `500ms`, `1m`; at least 300 ms (renewals go every third of it).
pub fn parse_lease(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a length of time; write e.g. 15s, 500ms or 1m"))?;
    let lease = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => {
            return Err(format!(
                "\"{text}\": the unit must be ms, s or m (e.g. 15s)"
            ));
        }
    };
    if lease < Duration::from_millis(300) {
        return Err(format!(
            "\"{text}\" is too short for a lease; give it at least 300ms"
        ));
    }
    Ok(lease)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_lengths_read_as_people_write_them() {
        assert_eq!(parse_lease("15s"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_lease("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_lease("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_lease("20"), Ok(Duration::from_secs(20)));
        assert!(parse_lease("100ms").unwrap_err().contains("too short"));
        assert!(parse_lease("5h").unwrap_err().contains("unit"));
        assert!(parse_lease("soon").unwrap_err().contains("length of time"));
    }
}
