//! `throughline daemon`: the sync cycle as a long-running service.
//!
//! A thin orchestration around [`crate::engine::run_cycle`]; every sync decision stays in the
//! engine. What the daemon adds:
//! - **when**: a cycle every `[sync] every`, or on `[sync] cron` in the daemon's time zone, one
//!   at a time (an overrun delays the next), plus an early cycle when a webhook says a tool
//!   changed ([`hooks`]); with `[daemon] public_url` it creates the Asana webhooks itself
//!   ([`webhooks`]), the only time it answers their handshake; with it, it also registers the
//!   Trello webhooks and opens (and renews) the Drive channels of the Google Sheets targets;
//!   the workbook files of the Excel targets are watched ([`workbooks`]), with or without it.
//!   Signals that come during a cycle make at most one more, once they settle (`run.rs`);
//! - **per-target health** ([`health`]): a failing target backs off exponentially while the
//!   others keep their rhythm; refused credentials alert the operator;
//! - **reloads**: the files are watched ([`watch`]); a valid change is taken at the next cycle,
//!   an invalid one is reported with its `file:line:col` problems and the last good model runs on;
//! - **an HTTP endpoint** ([`server`]): `/healthz`, `/readyz`, `/metrics` ([`metrics`]), webhooks;
//! - **reminders** ([`reminders`], [`notify`]): per-person digests by e-mail and/or a chat
//!   webhook, once per business day, never twice, and a daily failure summary for the operator;
//! - **logs** ([`logging`]): human or JSON, with every known secret redacted.
//!
//! The single-writer lock of the state store keeps a second daemon (or a `sync`) off the same
//! state while one runs.

mod cadence;
pub mod clock;
pub mod cron;
pub mod deployments;
pub mod handoff;
pub mod health;
pub mod hints;
pub mod hooks;
pub mod leader;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod readiness;
pub mod recent;
pub mod reminders;
mod run;
pub mod secrets;
pub mod server;
pub mod service;
pub mod shared;
pub mod source;
pub mod watch;
pub mod webhooks;
pub mod workbooks;

pub use cadence::daemon_timezone;
pub use clock::{Clock, ManualClock, SystemClock};
pub use readiness::Trigger;
pub use run::{run, shutdown_signal};
pub use service::{AllowOnce, DaemonError, Service};
pub use shared::Shared;
pub use source::{Connectors, TargetSource};
