//! The daemon's state between wake-ups and what it does at each: reload changed files, run a
//! cycle when one is due (or a webhook asked), send the reminders that fell due.
//!
//! [`Service::wake`] is one step; the loop in `run.rs` calls it when the next thing is due.
//! Tests call it directly with a [`ManualClock`](crate::daemon::ManualClock) to live through
//! days in milliseconds.

mod cycle;
mod handoffs;
mod notices;
mod review;
mod webhooks;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use jiff::Timestamp;

use crate::daemon::cadence::Cadence;
use crate::daemon::clock::{Clock, add};
use crate::daemon::health::Health;
use crate::daemon::notify::Notifier;
use crate::daemon::readiness::Trigger;
use crate::daemon::secrets::HookTable;
use crate::daemon::shared::Shared;
use crate::daemon::source::TargetSource;
use crate::daemon::watch::Fingerprint;
use crate::daemon::workbooks::Workbooks;
use crate::model::{self, Deployment};
use crate::state::{StateError, StateStore};

/// How often the files are checked for changes.
pub const WATCH_EVERY: Duration = Duration::from_secs(2);
/// After a notice could not be sent, try again this much later.
const NOTICE_RETRY: Duration = Duration::from_secs(300);
/// Failures kept for the operator's daily summary (the oldest are dropped past this).
const MAX_FAILURE_NOTES: usize = 200;

/// Why the daemon cannot start (or must stop).
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{0}")]
    Setup(String),
}

/// A failure kept for the operator's daily summary.
#[derive(Debug, Clone)]
struct FailureNote {
    at: Timestamp,
    text: String,
}

/// Everything the daemon holds between wake-ups.
pub struct Service {
    config: PathBuf,
    dep: Deployment,
    fingerprint: Fingerprint,
    cadence: Cadence,
    store: Box<dyn StateStore>,
    source: Box<dyn TargetSource>,
    clock: Arc<dyn Clock>,
    health: Health,
    shared: Arc<Shared>,
    notifier: Notifier,
    listen: SocketAddr,
    /// The scheduled time of the next periodic cycle.
    next_cycle: Timestamp,
    first_cycle_done: bool,
    cycles: u64,
    /// When reminders and the operator's summary are next looked at.
    next_notices: Timestamp,
    failures: Vec<FailureNote>,
    cancel: Arc<AtomicBool>,
    /// When the webhooks are next checked (made where missing, channels renewed).
    webhooks_due: Timestamp,
    /// Whether "no public_url, no webhooks" was said already.
    webhooks_said: bool,
    /// Webhooks of targets that left the config, deleted at the next check.
    retired: Vec<webhooks::Retired>,
    /// The workbook files watched for saves.
    workbooks: Workbooks,
    /// `daemon --allow-…`: safety-stop overrides for the first cycle that runs to its end.
    allow_once: AllowOnce,
    /// Per target, the people without an account there as last logged: logged again only
    /// when that set changes, not every cycle.
    unmapped_said: BTreeMap<String, BTreeSet<String>>,
}

/// The one-run overrides of the safety stops (`--allow-mass-archive`, `--allow-mass-create`,
/// `--allow-recreate`), for a daemon's first complete cycle only: a standing override would
/// defeat the stops for good.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllowOnce {
    pub mass_archive: bool,
    pub mass_create: bool,
    pub recreate: bool,
}

impl Service {
    /// Let the first cycle that runs to its end pass these safety stops (`daemon --allow-…`).
    pub fn allow_once(&mut self, allow: AllowOnce) {
        self.allow_once = allow;
    }

    /// Set up around a loaded deployment and an open store. The first cycle runs at the first
    /// wake-up.
    pub fn new(
        config: &Path,
        dep: Deployment,
        store: Box<dyn StateStore>,
        source: Box<dyn TargetSource>,
        clock: Arc<dyn Clock>,
        shared: Arc<Shared>,
        listen: SocketAddr,
    ) -> Result<Service, DaemonError> {
        let now = clock.now();
        let cadence = Cadence::of(&dep).map_err(DaemonError::Setup)?;
        let workbooks = Workbooks::start(Arc::clone(&shared));
        let mut service = Service {
            config: config.to_path_buf(),
            fingerprint: Fingerprint::of(config),
            cadence,
            store,
            source,
            clock,
            health: Health::default(),
            shared,
            notifier: Notifier::default(),
            listen,
            next_cycle: now,
            first_cycle_done: false,
            cycles: 0,
            next_notices: now,
            failures: Vec::new(),
            cancel: Arc::new(AtomicBool::new(false)),
            webhooks_due: now,
            webhooks_said: false,
            retired: Vec::new(),
            workbooks,
            unmapped_said: BTreeMap::new(),
            allow_once: AllowOnce::default(),
            dep,
        };
        service.apply_deployment(now)?;
        Ok(service)
    }

    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    pub fn deployment(&self) -> &Deployment {
        &self.dep
    }

    /// Set to stop the cycle in flight before its next step.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    pub fn store(&self) -> &dyn StateStore {
        &*self.store
    }

    /// The scheduled time of the next periodic cycle.
    pub fn next_cycle(&self) -> Timestamp {
        self.next_cycle
    }

    /// When [`Service::wake`] has something to do next, whatever happens meanwhile: the next
    /// periodic cycle, the next reminder time, or the next look at the files.
    pub fn next_wake(&self) -> Timestamp {
        let now = self.clock.now();
        self.next_cycle
            .min(self.next_notices)
            .min(add(now, WATCH_EVERY))
    }

    /// Everything that follows from the deployment: health rows, webhook table, notifier,
    /// secrets to redact, cadence.
    fn apply_deployment(&mut self, now: Timestamp) -> Result<(), DaemonError> {
        let dep = &self.dep;
        self.health
            .set_targets(dep.targets.iter().map(|t| (t.id.as_str(), t.kind.as_str())));
        let ids: Vec<&str> = dep.targets.iter().map(|t| t.id.as_str()).collect();
        self.shared.metrics().retain_targets(&ids);
        self.notifier = Notifier::new(dep.sync.reminders.as_ref());

        let files = dep
            .targets
            .iter()
            .filter_map(|t| {
                let (key, _) = t.kind.tool().local_file?;
                let path = crate::engine::connectors::target_path(dep, t, key)?;
                Some((t.id.clone(), path))
            })
            .collect();
        self.workbooks.set(files);
        let table = HookTable::of(dep, self.listen, &*self.store)?;
        *self.shared.hooks.write().unwrap_or_else(|e| e.into_inner()) = table;
        // A calendar token for each person, made now for whoever has none.
        let calendars =
            crate::report::calendar::Subscriptions::load(&self.dep, &mut *self.store, now)?;
        *self
            .shared
            .calendars
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(calendars));
        self.refresh_secrets();
        let cadence = Cadence::of(&self.dep).map_err(DaemonError::Setup)?;
        self.next_cycle = self.next_cycle.min(cadence.next_after(now));
        if !self.first_cycle_done {
            self.next_cycle = now;
        }
        self.cadence = cadence;
        self.next_notices = now;
        // A new target, or a new public_url, wants its webhook now.
        self.webhooks_due = now;
        let health = self.health.all();
        let config = self.config.display().to_string();
        let next = self.next_cycle;
        self.shared.set_view(|v| {
            v.targets = health;
            v.config.file = config;
            v.config.problems.clear();
            v.config.loaded = Some(now);
            v.next_cycle = Some(next);
        });
        Ok(())
    }

    /// One step: reload if the files changed, persist learned webhook secrets, run a cycle if
    /// one is due or a webhook asked, send the notices that fell due.
    pub async fn wake(&mut self) {
        self.reload_if_changed();
        self.persist_learned();
        if self.clock.now() >= self.webhooks_due {
            self.check_webhooks().await;
        }
        let now = self.clock.now();
        if now >= self.next_cycle {
            let trigger = if self.first_cycle_done {
                Trigger::Schedule
            } else {
                Trigger::Startup
            };
            self.shared.hints.take();
            let scheduled = self.next_cycle;
            self.cycle(trigger, scheduled).await;
            let end = self.clock.now();
            // An overrun delays the next cycle; it never stacks them.
            self.next_cycle = self.cadence.next_after(scheduled).max(end);
        } else if !self.shared.hints.is_empty() {
            let hinted = self.shared.hints.take();
            tracing::info!(
                targets = %hinted.into_iter().collect::<Vec<_>>().join(","),
                "a webhook asked for an early cycle"
            );
            self.cycle(Trigger::Webhook, now).await;
        }
        let next = self.next_cycle;
        self.shared.set_view(|v| v.next_cycle = Some(next));
        if self.clock.now() >= self.next_notices {
            self.notices().await;
        }
    }

    /// Reload the model when a file changed; keep the last good one when the change is invalid.
    pub fn reload_if_changed(&mut self) {
        let fingerprint = Fingerprint::of(&self.config);
        if fingerprint == self.fingerprint {
            return;
        }
        self.fingerprint = fingerprint;
        let now = self.clock.now();
        match model::load(&self.config) {
            Ok(dep) => {
                if dep.state != self.dep.state {
                    tracing::error!(
                        "the state file changed in {}; the daemon keeps using the one it opened. Restart it to use the new one",
                        self.config.display()
                    );
                }
                if dep.sync.daemon.listen != self.dep.sync.daemon.listen {
                    tracing::warn!(
                        "[daemon] listen changed; it takes effect when the daemon restarts"
                    );
                }
                let retiring = self.retired.len();
                self.retire_changed(&dep);
                let previous = std::mem::replace(&mut self.dep, dep);
                match self.apply_deployment(now) {
                    Ok(()) => {
                        tracing::info!(
                            targets = self.dep.targets.len(),
                            processes = self.dep.processes.len(),
                            items = self.dep.items.len(),
                            "the files changed; reloaded"
                        );
                        self.shared.metrics().reload("ok");
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the files changed but cannot be used; the last good model keeps running");
                        self.dep = previous;
                        self.retired.truncate(retiring);
                        let _ = self.apply_deployment(now);
                        self.shared.metrics().reload("invalid");
                        self.note(now, format!("reload: {e}"));
                        self.shared
                            .set_view(|v| v.config.problems = vec![e.to_string()]);
                    }
                }
            }
            Err(diags) => {
                let problems: Vec<String> = diags.iter().map(ToString::to_string).collect();
                for p in &problems {
                    tracing::error!("{p}");
                }
                tracing::error!(
                    problems = problems.len(),
                    "the files changed but have problems; nothing of the change was applied and the last good model keeps running. Fix them and save again"
                );
                self.shared.metrics().reload("invalid");
                self.note(
                    now,
                    format!(
                        "the files have {} problem(s): {}",
                        problems.len(),
                        problems.join("; ")
                    ),
                );
                self.shared.set_view(|v| v.config.problems = problems);
            }
        }
    }

    /// Keep a failure for the operator's daily summary.
    pub(super) fn note(&mut self, at: Timestamp, text: String) {
        if self.failures.len() >= MAX_FAILURE_NOTES {
            self.failures.remove(0);
        }
        self.failures.push(FailureNote { at, text });
    }
}
