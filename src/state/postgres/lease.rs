//! The lease: one row per store (`throughline_lease`: holder, epoch, expiry) saying which
//! process may write. Times are the database server's (`clock_timestamp()`), so the replicas'
//! clocks never have to agree.
//!
//! - Taking it works only once it has run out (or was given back), and adds one to the epoch.
//! - Renewing works only for the holder at its epoch; a holder whose lease ran out but that
//!   nobody took over may renew it (nothing was written meanwhile under another epoch).
//! - Every write transaction of a store starts with `check_fence`, which locks the row, checks
//!   holder and epoch, and extends the expiry: a takeover (an `UPDATE` of the same row) waits for
//!   that transaction to end and then sees the extended expiry, so it never happens under a
//!   write; a write after a takeover sees the new epoch and is refused.

use std::time::Duration;

use postgres::Client;

use super::{Conn, Failure};
use crate::state::StateError;

/// What `try_take` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Taken, under this epoch.
    Epoch(i64),
    /// Another holder's lease is still running.
    HeldBy(String),
}

/// A name for this process among the replicas: the machine, the process and when it started
/// (so a restarted process is a new holder).
pub fn holder_name(role: &str) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    let started = jiff::Timestamp::now().as_nanosecond() % 1_000_000_000;
    format!("{role} {host}:{} {started:09}", std::process::id())
}

fn seconds(period: Duration) -> f64 {
    period.as_secs_f64()
}

/// Takes the lease if it has run out or was given back.
pub(crate) fn try_take(
    client: &mut Client,
    holder: &str,
    period: Duration,
) -> Result<Taken, Failure> {
    let taken = client.query_opt(
        "UPDATE throughline_lease
         SET holder = $1, epoch = epoch + 1,
             expires_at = clock_timestamp() + make_interval(secs => $2)
         WHERE expires_at <= clock_timestamp() OR holder = ''
         RETURNING epoch",
        &[&holder, &seconds(period)],
    )?;
    if let Some(row) = taken {
        return Ok(Taken::Epoch(row.get(0)));
    }
    let row = client.query_one("SELECT holder FROM throughline_lease", &[])?;
    Ok(Taken::HeldBy(row.get(0)))
}

/// Extends the lease by `period` from now; `false` when it is no longer this holder's.
pub(crate) fn renew(
    client: &mut Client,
    holder: &str,
    epoch: i64,
    period: Duration,
) -> Result<bool, Failure> {
    let renewed = client.execute(
        "UPDATE throughline_lease
         SET expires_at = clock_timestamp() + make_interval(secs => $3)
         WHERE holder = $1 AND epoch = $2",
        &[&holder, &epoch, &seconds(period)],
    )?;
    Ok(renewed == 1)
}

/// Lets the lease go at once (a clean stop), so a standby need not wait for it to run out.
pub(crate) fn give_back(client: &mut Client, holder: &str, epoch: i64) -> Result<(), Failure> {
    client.execute(
        "UPDATE throughline_lease SET holder = '', expires_at = '-infinity'
         WHERE holder = $1 AND epoch = $2",
        &[&holder, &epoch],
    )?;
    Ok(())
}

/// The first statement of every write transaction: refuses the write unless `holder` still
/// holds the lease at `epoch`, and extends it by `period` (never shortens it).
pub(crate) fn check_fence(
    tx: &mut postgres::Transaction<'_>,
    name: &str,
    holder: &str,
    epoch: i64,
    period: Duration,
) -> Result<(), Failure> {
    let held = if epoch == 0 {
        0
    } else {
        tx.execute(
            "UPDATE throughline_lease
             SET expires_at = greatest(expires_at, clock_timestamp() + make_interval(secs => $3))
             WHERE holder = $1 AND epoch = $2",
            &[&holder, &epoch, &seconds(period)],
        )?
    };
    if held == 1 {
        Ok(())
    } else {
        Err(Failure::Store(StateError::Stale {
            path: name.to_owned(),
            epoch,
        }))
    }
}

/// Who holds the lease now, as the database sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaseState {
    /// Empty when nobody does.
    pub holder: String,
    pub epoch: i64,
    /// Seconds until it runs out; negative once it has.
    pub expires_in: f64,
}

/// A connection of its own for keeping the lease, apart from the store's (a long write must
/// not delay a renewal).
#[derive(Debug)]
pub struct Lease {
    conn: Conn,
    holder: String,
    period: Duration,
}

impl Lease {
    /// Connects; the store's schema must exist (open the store first).
    pub fn connect(url: &str, holder: &str, period: Duration) -> Result<Lease, StateError> {
        Ok(Lease {
            conn: Conn::new(url)?,
            holder: holder.to_owned(),
            period,
        })
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    /// Takes the lease if it is free or has run out.
    pub fn try_take(&mut self) -> Result<Taken, StateError> {
        let (holder, period) = (self.holder.clone(), self.period);
        let name = self.conn.name.clone();
        self.conn
            .run(move |client| try_take(client, &holder, period))
            .map_err(|e| e.into_state(&name, "taking the lease"))
    }

    /// Renews it; `Ok(false)` when another replica holds it now.
    pub fn renew(&mut self, epoch: i64) -> Result<bool, StateError> {
        let (holder, period) = (self.holder.clone(), self.period);
        let name = self.conn.name.clone();
        self.conn
            .run(move |client| renew(client, &holder, epoch, period))
            .map_err(|e| e.into_state(&name, "renewing the lease"))
    }

    /// Gives it back (a clean stop).
    pub fn give_back(&mut self, epoch: i64) -> Result<(), StateError> {
        let holder = self.holder.clone();
        let name = self.conn.name.clone();
        self.conn
            .run(move |client| give_back(client, &holder, epoch))
            .map_err(|e| e.into_state(&name, "giving the lease back"))
    }

    /// The lease as it stands.
    pub fn state(&mut self) -> Result<LeaseState, StateError> {
        let name = self.conn.name.clone();
        self.conn
            .run(|client| {
                let row = client.query_one(
                    "SELECT holder, epoch,
                            EXTRACT(EPOCH FROM expires_at - clock_timestamp())::float8
                     FROM throughline_lease",
                    &[],
                )?;
                Ok(LeaseState {
                    holder: row.get(0),
                    epoch: row.get(1),
                    expires_in: row.get::<_, Option<f64>>(2).unwrap_or(f64::NEG_INFINITY),
                })
            })
            .map_err(|e| e.into_state(&name, "reading the lease"))
    }
}
