//! The daemon's state between wake-ups and what it does at each: reload changed files, run a
//! cycle when one is due (or a webhook asked), send the reminders that fell due.
//!
//! [`Service::wake`] is one step; the loop in `run.rs` calls it when the next thing is due.
//! Tests call it directly with a [`ManualClock`] to live through days in milliseconds.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use throughline_connector::{ConnectorError, State};

use super::cron::Cron;
use super::health::{Health, TargetHealth, Verdict};
use super::hooks::{Hints, Registrations};
use super::logging::Secrets;
use super::metrics::Metrics;
use super::notify::{Channel, Notice, Notifier};
use super::reminders;
use super::watch::Fingerprint;
use crate::engine::{self, CycleOptions, EngineError, TargetRun};
use crate::model::{self, Deployment, Target, TargetKind};
use crate::schedule::{BusinessCalendar, Schedule, schedule_at};
use crate::state::{StateError, StateStore};

/// How often the files are checked for changes.
pub const WATCH_EVERY: Duration = Duration::from_secs(2);
/// After a notice could not be sent, try again this much later.
const NOTICE_RETRY: Duration = Duration::from_secs(300);
/// Failures kept for the operator's daily summary (the oldest are dropped past this).
const MAX_FAILURE_NOTES: usize = 200;

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The computer's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock tests move by hand.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    pub fn new(at: Timestamp) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(at)))
    }

    pub fn set(&self, at: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t = add(*t, by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn add(t: Timestamp, d: Duration) -> Timestamp {
    SignedDuration::try_from(d)
        .ok()
        .and_then(|d| t.checked_add(d).ok())
        .unwrap_or(Timestamp::MAX)
}

/// Why the daemon cannot start (or must stop).
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{0}")]
    Setup(String),
}

/// Opens the targets of a deployment for one cycle. The daemon uses [`Connectors`]; tests
/// hand in fakes.
pub trait TargetSource: Send {
    /// One result per target of `targets`, in order: the run, or why it cannot be set up.
    fn open(
        &mut self,
        dep: &Deployment,
        schedule: &Schedule,
        targets: &[&Target],
    ) -> Vec<Result<TargetRun, String>>;
}

/// The connectors the deployment configures (`engine::connectors::open_targets`).
#[derive(Debug, Default)]
pub struct Connectors;

impl TargetSource for Connectors {
    fn open(
        &mut self,
        dep: &Deployment,
        schedule: &Schedule,
        targets: &[&Target],
    ) -> Vec<Result<TargetRun, String>> {
        // The usual case: every target opens; one pass over the schedule.
        if let Ok(runs) = engine::connectors::open_targets(dep, schedule) {
            let mut runs: BTreeMap<String, TargetRun> =
                runs.into_iter().map(|r| (r.id.clone(), r)).collect();
            return targets
                .iter()
                .map(|t| {
                    runs.remove(&t.id)
                        .ok_or_else(|| format!("target `{}` was not opened", t.id))
                })
                .collect();
        }
        // Some target cannot be set up: open them one by one to tell which.
        let mut one = dep.clone();
        targets
            .iter()
            .map(|t| {
                one.targets = vec![(*t).clone()];
                engine::connectors::open_targets(&one, schedule)
                    .map_err(|e| e.to_string())
                    .and_then(|mut runs| runs.pop().ok_or_else(|| "no connector".to_string()))
            })
            .collect()
    }
}

/// When periodic cycles run.
#[derive(Debug, Clone)]
enum Cadence {
    Every(Duration),
    Cron(Cron, TimeZone),
}

impl Cadence {
    fn of(dep: &Deployment) -> Result<Cadence, String> {
        match (&dep.sync.cron, dep.sync.every) {
            (Some(text), _) => {
                let cron: Cron = text
                    .parse()
                    .map_err(|e| format!("{}: [sync] cron: {e}", dep.config_path.display()))?;
                let tz = daemon_timezone(dep);
                if cron.next_after(Timestamp::now(), &tz).is_none() {
                    return Err(format!(
                        "{}: [sync] cron = \"{text}\" never fires (no such date); fix the day and month fields",
                        dep.config_path.display()
                    ));
                }
                Ok(Cadence::Cron(cron, tz))
            }
            (None, Some(every)) => Ok(Cadence::Every(every)),
            (None, None) => Ok(Cadence::Every(Duration::from_secs(300))),
        }
    }

    /// The periodic cycle after one scheduled at `at`.
    fn next_after(&self, at: Timestamp) -> Timestamp {
        match self {
            Cadence::Every(d) => add(at, *d),
            Cadence::Cron(c, tz) => c.next_after(at, tz).unwrap_or(Timestamp::MAX),
        }
    }
}

/// `[daemon] timezone`, else the first playbook's, else UTC.
pub fn daemon_timezone(dep: &Deployment) -> TimeZone {
    dep.sync
        .daemon
        .timezone
        .as_ref()
        .map(|(_, tz)| tz.clone())
        .or_else(|| dep.processes.first().map(|p| p.timezone.clone()))
        .unwrap_or(TimeZone::UTC)
}

/// What started a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Startup,
    Schedule,
    Webhook,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::Schedule => "schedule",
            Trigger::Webhook => "webhook",
        }
    }
}

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleResult {
    /// Every target that took part is ok or degraded.
    Ok,
    /// Some target failed or was stopped; the others went through.
    Partial,
    /// The hub itself failed (the state store); nothing after that point happened.
    Failed,
    /// Stopped between two steps on request (shutdown).
    Stopped,
}

impl CycleResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CycleResult::Ok => "ok",
            CycleResult::Partial => "partial",
            CycleResult::Failed => "failed",
            CycleResult::Stopped => "stopped",
        }
    }
}

/// The last cycle, for `/readyz`.
#[derive(Debug, Clone, Serialize)]
pub struct CycleInfo {
    /// 1 for the first cycle since the daemon started.
    pub number: u64,
    pub trigger: Trigger,
    pub started: Timestamp,
    pub finished: Timestamp,
    pub seconds: f64,
    pub result: CycleResult,
    /// The targets that took part.
    pub targets: Vec<String>,
    pub error: Option<String>,
}

/// The files, as `/readyz` shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConfigView {
    pub file: String,
    /// Problems of the last change; empty when it loaded (the model in use is the last good one).
    pub problems: Vec<String>,
    pub loaded: Option<Timestamp>,
}

/// What `/readyz` shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct View {
    pub targets: Vec<TargetHealth>,
    pub last_cycle: Option<CycleInfo>,
    pub running_since: Option<Timestamp>,
    pub next_cycle: Option<Timestamp>,
    pub config: ConfigView,
}

impl View {
    /// Ready: a cycle finished, the hub is fine, and no target is failing or stopped.
    pub fn ready(&self) -> bool {
        self.last_cycle
            .as_ref()
            .is_some_and(|c| c.result != CycleResult::Failed)
            && !self.targets.iter().any(TargetHealth::is_failing)
    }
}

/// What a webhook handler needs to know about one target.
#[derive(Debug, Clone)]
pub struct HookTarget {
    pub kind: TargetKind,
    /// Trello: the app secret from `credentials.secret`, or why it is not there.
    pub trello_secret: Result<String, String>,
    /// Asana: the secret of the handshake, once there was one.
    pub asana_secret: Option<String>,
}

/// Webhook settings, refreshed on reload.
#[derive(Debug, Clone, Default)]
pub struct HookTable {
    /// `https://sync.example.com`: the callback URLs are this plus `/hooks/<tool>/<target>`.
    pub public_url: String,
    pub targets: BTreeMap<String, HookTarget>,
}

/// What the HTTP server and the loop share.
pub struct Shared {
    pub started: Timestamp,
    pub metrics: Mutex<Metrics>,
    pub view: RwLock<View>,
    pub hooks: RwLock<HookTable>,
    pub hints: Hints,
    pub secrets: Secrets,
    /// Asana handshake secrets learned and not yet in the state store: (target, secret).
    pub learned: Mutex<Vec<(String, String)>>,
    /// The Asana webhooks being created now: the only handshakes answered.
    pub registrations: Registrations,
    /// Each person's calendar at `/calendar/<token>/<person>.ics`; set with the deployment.
    pub calendars: RwLock<Option<Arc<crate::report::calendar::Subscriptions>>>,
}

impl Shared {
    pub fn new(started: Timestamp, secrets: Secrets) -> Shared {
        Shared {
            started,
            metrics: Mutex::default(),
            view: RwLock::default(),
            hooks: RwLock::default(),
            hints: Hints::default(),
            secrets,
            learned: Mutex::default(),
            registrations: Registrations::default(),
            calendars: RwLock::default(),
        }
    }

    pub fn metrics(&self) -> std::sync::MutexGuard<'_, Metrics> {
        self.metrics.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn view(&self) -> View {
        self.view.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_view(&self, f: impl FnOnce(&mut View)) {
        f(&mut self.view.write().unwrap_or_else(|e| e.into_inner()));
    }
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
    /// When the Asana webhooks are next checked (and made where missing).
    webhooks_due: Timestamp,
    /// Whether "no public_url, no webhooks" was said already.
    webhooks_said: bool,
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
    /// Log the people without an account in each target read this cycle, once: at the first
    /// cycle that reads the target, and again only when who they are changes.
    fn say_unmapped(&mut self, report: &engine::CycleReport) {
        for o in report.targets.iter().filter(|o| o.observe_error.is_none()) {
            let now: Vec<&engine::UnmappedPerson> = report
                .unmapped
                .iter()
                .filter(|u| u.target == o.target)
                .collect();
            let people: BTreeSet<String> = now.iter().map(|u| u.person.clone()).collect();
            let before = self.unmapped_said.get(&o.target);
            if before == Some(&people) || (before.is_none() && people.is_empty()) {
                continue;
            }
            if people.is_empty() {
                tracing::info!(target_id = %o.target, "everyone's tasks have an owner with an account here now");
            }
            for u in &now {
                tracing::warn!(
                    target_id = %u.target,
                    person = %u.person,
                    tasks = u.tasks,
                    fix = %u.fix(),
                    "this person has no account in the target; their tasks are {}",
                    u.handled
                );
            }
            self.unmapped_said.insert(o.target.clone(), people);
        }
    }

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

        let public_url = dep
            .sync
            .daemon
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen));
        let mut table = HookTable {
            public_url,
            targets: BTreeMap::new(),
        };
        for t in &dep.targets {
            let trello_secret = match t.credentials.get("secret") {
                Some(r) => r.resolve().map_err(|e| e.to_string()),
                None => Err(format!(
                    "target `{}` has no `secret` in its credentials ({}); add secret = \"env:TRELLO_SECRET\" with the Trello app's secret to accept its webhooks",
                    t.id, t.origin
                )),
            };
            let asana_secret = if t.kind == TargetKind::Asana {
                self.store.hook_secret(&t.id)?
            } else {
                None
            };
            table.targets.insert(
                t.id.clone(),
                HookTarget {
                    kind: t.kind,
                    trello_secret,
                    asana_secret,
                },
            );
        }
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

    /// Read every secret the deployment names again, so that a rotated file or variable is
    /// used without a restart: the Trello webhook secrets, and the log redactor's list.
    fn refresh_secrets(&self) {
        let mut values = self.notifier.secrets();
        let mut hooks = self.shared.hooks.write().unwrap_or_else(|e| e.into_inner());
        for t in &self.dep.targets {
            values.extend(t.credentials.values().filter_map(|r| r.resolve().ok()));
            if let Some(h) = hooks.targets.get_mut(&t.id) {
                if let Some(r) = t.credentials.get("secret") {
                    h.trello_secret = r.resolve().map_err(|e| e.to_string());
                }
                values.extend(h.trello_secret.iter().cloned());
                values.extend(h.asana_secret.iter().cloned());
            }
        }
        drop(hooks);
        self.shared.secrets.set(values);
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

    /// Make sure every Asana target has its webhook (see [`super::webhooks`]); learn the secret
    /// of each one made. A failure is logged and tried again sooner; the periodic cycle keeps
    /// the target in step meanwhile.
    pub async fn check_webhooks(&mut self) {
        let now = self.clock.now();
        self.webhooks_due = Timestamp::MAX;
        let asana: Vec<Target> = self
            .dep
            .targets
            .iter()
            .filter(|t| t.kind == TargetKind::Asana)
            .cloned()
            .collect();
        if asana.is_empty() {
            return;
        }
        let Some(public_url) = self.dep.sync.daemon.public_url.clone() else {
            if !self.webhooks_said {
                tracing::info!(
                    "no [daemon] public_url: no Asana webhook is created, so changes made in Asana are seen at the periodic cycle"
                );
                self.webhooks_said = true;
            }
            return;
        };
        let mut again = super::webhooks::CHECK_EVERY;
        for target in asana {
            let callback = format!(
                "{}/hooks/asana/{}",
                public_url.trim_end_matches('/'),
                target.id
            );
            let have_secret = self
                .shared
                .hooks
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .targets
                .get(&target.id)
                .is_some_and(|h| h.asana_secret.is_some());
            let registered = match super::webhooks::asana_connector(&target) {
                Ok(asana) => {
                    super::webhooks::ensure_asana(
                        &asana,
                        &self.shared.registrations,
                        &callback,
                        have_secret,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match registered {
                Ok(super::webhooks::Registered::Kept) => {
                    tracing::debug!(target_id = %target.id, "the Asana webhook is in place")
                }
                Ok(super::webhooks::Registered::Created { gid, secret }) => {
                    tracing::info!(target_id = %target.id, webhook = %gid, callback = %callback, "Asana webhook created; its secret is kept in the state store");
                    self.shared.secrets.add(&secret);
                    if let Some(h) = self
                        .shared
                        .hooks
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .targets
                        .get_mut(&target.id)
                    {
                        h.asana_secret = Some(secret.clone());
                    }
                    self.shared
                        .learned
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((target.id.clone(), secret));
                    self.persist_learned();
                }
                Err(e) => {
                    tracing::warn!(target_id = %target.id, error = %e, "the Asana webhook could not be made sure of");
                    self.note(now, e.to_string());
                    again = super::webhooks::RETRY_EVERY;
                }
            }
        }
        self.webhooks_due = add(self.clock.now(), again);
    }

    /// Write the Asana secrets learned at handshakes to the state store.
    pub fn persist_learned(&mut self) {
        let learned = std::mem::take(
            &mut *self
                .shared
                .learned
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for (target, secret) in learned {
            let now = self.clock.now();
            if let Err(e) = self.store.set_hook_secret(&target, &secret, now) {
                tracing::error!(target_id = %target, error = %e, "cannot keep the Asana webhook secret; its webhooks are checked against it until the daemon restarts");
            }
        }
    }

    fn note(&mut self, at: Timestamp, text: String) {
        if self.failures.len() >= MAX_FAILURE_NOTES {
            self.failures.remove(0);
        }
        self.failures.push(FailureNote { at, text });
    }

    /// Run one cycle over the targets that are not backing off.
    pub async fn cycle(&mut self, trigger: Trigger, at: Timestamp) {
        let started = std::time::Instant::now();
        let now = self.clock.now();
        self.refresh_secrets();
        self.cycles += 1;
        let number = self.cycles;
        self.shared.set_view(|v| v.running_since = Some(now));
        let period = match &self.cadence {
            Cadence::Every(d) => *d,
            c => {
                let next = c.next_after(at);
                next.duration_since(at).unsigned_abs()
            }
        };
        let max_backoff = self.dep.sync.daemon.max_backoff;
        let schedule = schedule_at(&self.dep, now);
        let eligible: Vec<&Target> = self
            .dep
            .targets
            .iter()
            .filter(|t| self.health.eligible(&t.id, at))
            .collect();
        let opened = self.source.open(&self.dep, &schedule, &eligible);
        let mut runs: Vec<TargetRun> = Vec::new();
        let mut setup_failures: Vec<(String, String)> = Vec::new();
        for (t, r) in eligible.iter().zip(opened) {
            match r {
                Ok(run) => runs.push(run),
                Err(e) => setup_failures.push((t.id.clone(), e)),
            }
        }
        let taking_part: Vec<String> = eligible.iter().map(|t| t.id.clone()).collect();
        for t in &self.dep.targets {
            if !taking_part.contains(&t.id)
                && let Some(h) = self.health.get(&t.id)
            {
                tracing::debug!(target_id = %t.id, retry_at = ?h.retry_at, "backing off; left out of this cycle");
            }
        }
        let options = CycleOptions {
            cancel: Some(self.cancel.clone()),
            allow_mass_archive: self.allow_once.mass_archive,
            allow_mass_create: self.allow_once.mass_create,
            allow_recreate: self.allow_once.recreate,
            ..Default::default()
        };
        tracing::info!(
            cycle = number,
            trigger = trigger.as_str(),
            targets = %taking_part.join(","),
            "cycle started"
        );
        let result =
            engine::run_cycle(&mut *self.store, &mut runs, &self.dep.sync, &options, now).await;
        if result.is_ok() {
            self.allow_once = AllowOnce::default();
        }
        let mut verdicts: Vec<(String, Verdict)> = setup_failures
            .into_iter()
            .map(|(id, e)| {
                (
                    id,
                    Verdict::Failing {
                        error: format!("cannot set it up: {e}"),
                        auth: false,
                    },
                )
            })
            .collect();
        let (outcome, error) = match &result {
            Ok(report) => {
                let mut m = self.shared.metrics();
                for o in &report.targets {
                    let planned = o.plan.as_ref().map(|p| p.changes.len()).unwrap_or(0);
                    m.changes(&o.target, o.applied, o.failed.len(), planned);
                    let limited = o
                        .observe_error
                        .iter()
                        .chain(o.failed.iter().map(|(_, e)| e))
                        .filter(|e| matches!(e, ConnectorError::RateLimited { .. }))
                        .count();
                    let counted = runs
                        .iter()
                        .find(|r| r.id == o.target)
                        .and_then(|r| r.connector.requests());
                    match counted {
                        Some(c) => m.requests(&o.target, &c),
                        None => (0..limited).for_each(|_| m.rate_limited(&o.target)),
                    }
                    verdicts.push((o.target.clone(), Verdict::of(o)));
                }
                m.merged(report.status_updates.len(), report.conflicts.len());
                drop(m);
                for c in &report.conflicts {
                    tracing::warn!(
                        identity = %c.identity,
                        winner = c.winner.as_deref().unwrap_or("hub"),
                        state = %c.state,
                        "conflict: tools changed this task differently; settled by the conflict policy"
                    );
                }
                for u in &report.status_updates {
                    tracing::info!(identity = %u.identity, state = %u.state, from = %u.target, person = u.person.as_deref().unwrap_or(""), "status pulled");
                }
                self.say_unmapped(report);
                let outcome = if verdicts
                    .iter()
                    .all(|(_, v)| matches!(v, Verdict::Ok { .. } | Verdict::Degraded { .. }))
                {
                    CycleResult::Ok
                } else {
                    CycleResult::Partial
                };
                (outcome, None)
            }
            Err(EngineError::Cancelled(steps)) => {
                tracing::info!(
                    steps,
                    "the cycle stopped between two steps on request; the next one carries on"
                );
                (CycleResult::Stopped, None)
            }
            Err(e) => {
                tracing::error!(error = %e, "the cycle failed; it is tried again at the next one");
                (CycleResult::Failed, Some(e.to_string()))
            }
        };
        drop(runs);
        if let Some(e) = &error {
            self.note(now, format!("cycle {number} failed: {e}"));
        }
        for (target, verdict) in &verdicts {
            self.record(target, verdict, at, period, max_backoff).await;
        }
        self.task_gauges(&schedule, now);
        let took = started.elapsed();
        let finished = self.clock.now();
        self.shared
            .metrics()
            .cycle(trigger.as_str(), outcome.as_str(), took, finished);
        self.first_cycle_done = true;
        let info = CycleInfo {
            number,
            trigger,
            started: now,
            finished,
            seconds: took.as_secs_f64(),
            result: outcome,
            targets: taking_part,
            error,
        };
        tracing::info!(
            cycle = number,
            result = outcome.as_str(),
            seconds = format!("{:.3}", took.as_secs_f64()),
            "cycle ended"
        );
        let health = self.health.all();
        self.shared.set_view(|v| {
            v.targets = health;
            v.last_cycle = Some(info);
            v.running_since = None;
        });
    }

    /// Record one target's verdict: health, logs, metrics, and the operator's alert.
    async fn record(
        &mut self,
        target: &str,
        verdict: &Verdict,
        at: Timestamp,
        period: Duration,
        max_backoff: Duration,
    ) {
        let now = self.clock.now();
        let h = self
            .health
            .record(target, verdict, at, period, max_backoff)
            .clone();
        match verdict {
            Verdict::Ok { applied } => {
                tracing::info!(target_id = %target, applied, "target synced")
            }
            Verdict::Degraded {
                applied,
                failed,
                error,
            } => {
                tracing::warn!(target_id = %target, applied, failed, first = %error, "some changes failed; they are tried again next cycle");
                self.note(now, format!("{target}: {failed} change(s) failed; {error}"));
            }
            Verdict::Failing { error, auth } => {
                if *auth {
                    tracing::error!(target_id = %target, error = %error, failures = h.failures, retry_at = ?h.retry_at, "the tool refused the credentials; renew them in the service's environment (or secret file)");
                    self.shared.metrics().auth_failure(target);
                    self.auth_alert(target, error, now).await;
                } else {
                    tracing::error!(target_id = %target, error = %error, failures = h.failures, retry_at = ?h.retry_at, "target failing; backing off");
                }
                self.note(now, format!("{target}: {error}"));
            }
            Verdict::Stopped { reason } => {
                tracing::error!(target_id = %target, reason = %reason, "safety stop: nothing was changed in this target; look at it, then run `throughline plan --target {target}`");
                self.note(now, format!("{target}: safety stop: {reason}"));
            }
        }
    }

    /// Tasks not done yet, and overdue, per process.
    fn task_gauges(&mut self, schedule: &Schedule, now: Timestamp) {
        let statuses = match self.store.statuses() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read statuses for the task gauges");
                return;
            }
        };
        let done: BTreeSet<&str> = statuses
            .iter()
            .filter(|s| s.state == State::Done)
            .map(|s| s.identity.as_str())
            .collect();
        let mut pending: BTreeMap<String, u64> = BTreeMap::new();
        let mut overdue: BTreeMap<String, u64> = BTreeMap::new();
        for p in &self.dep.processes {
            let today = BusinessCalendar::new(p).today(now);
            let (mut n, mut late) = (0, 0);
            for t in schedule.tasks.iter().filter(|t| t.process == p.id) {
                if done.contains(t.id.as_str()) {
                    continue;
                }
                n += 1;
                if t.due < today {
                    late += 1;
                }
            }
            pending.insert(p.id.clone(), n);
            overdue.insert(p.id.clone(), late);
        }
        self.shared.metrics().tasks(pending, overdue);
    }

    /// Send `notice` by every channel once: `key` (per channel) is remembered in the store.
    /// Returns whether every channel went through (or had gone through before).
    async fn send_once(&mut self, kind: &str, key: &str, notice: &Notice) -> bool {
        let mut all = true;
        let now = self.clock.now();
        for channel in self.notifier.channels() {
            let key = format!("{key}/{}", channel.as_str());
            match self.store.notice_sent(&key) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, "cannot read which notices were sent; sending none until it can");
                    return false;
                }
            }
            if channel == Channel::Email && !notice.to.contains('@') {
                continue;
            }
            match self.notifier.send(channel, notice).await {
                Ok(()) => {
                    if let Err(e) = self.store.record_notice(&key, now) {
                        tracing::error!(error = %e, key = %key, "sent, but cannot record it; it may be sent again");
                    }
                    tracing::info!(kind, channel = channel.as_str(), to = %notice.to, "notice sent");
                    self.shared.metrics().notice(kind, channel.as_str(), "sent");
                }
                Err(e) => {
                    tracing::warn!(kind, channel = channel.as_str(), to = %notice.to, error = %e, "notice not sent; trying again later");
                    self.shared
                        .metrics()
                        .notice(kind, channel.as_str(), "failed");
                    self.note(
                        now,
                        format!("{kind} to {} by {}: {e}", notice.to, channel.as_str()),
                    );
                    all = false;
                }
            }
        }
        all
    }

    async fn auth_alert(&mut self, target: &str, error: &str, now: Timestamp) {
        let Some(operator) = self.dep.sync.daemon.operator.clone() else {
            return;
        };
        let today = daemon_timezone(&self.dep).to_datetime(now).date();
        let origin = self
            .dep
            .target(target)
            .map(|t| t.origin.clone())
            .unwrap_or_default();
        let notice = Notice {
            to: operator,
            subject: format!("throughline: `{target}` refused the credentials"),
            text: format!(
                "The target `{target}` ({origin}) refused throughline's credentials:\n\n  {error}\n\nNothing is synced to or from it until this is fixed. Renew the token or key in the service's environment file (or the secret file its `credentials` name); the daemon reads secrets at every cycle, so no restart is needed.\n\n— throughline daemon\n"
            ),
            html: None,
        };
        self.send_once(
            "auth_alert",
            &format!("alert/auth/{target}/{today}"),
            &notice,
        )
        .await;
    }

    /// Reminder digests and the operator's summary, when due.
    pub async fn notices(&mut self) {
        let now = self.clock.now();
        let mut retry = false;
        if let Some(settings) = self.dep.sync.reminders.clone() {
            let statuses = match self.store.statuses() {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read statuses; reminders wait");
                    self.next_notices = add(now, NOTICE_RETRY);
                    return;
                }
            };
            let schedule = schedule_at(&self.dep, now);
            for digest in reminders::due(&self.dep, &schedule, &statuses, &settings, now) {
                let r = reminders::render(&digest);
                let notice = Notice {
                    to: digest.to.clone(),
                    subject: r.subject,
                    text: r.text,
                    html: Some(r.html),
                };
                retry |= !self.send_once("digest", &digest.key, &notice).await;
            }
            retry |= !self.operator_summary(&settings, now).await;
            let mut next =
                reminders::next_time(&self.dep, &settings, now).unwrap_or(Timestamp::MAX);
            next = next.min(self.next_summary(&settings, now));
            if retry {
                next = next.min(add(now, NOTICE_RETRY));
            }
            self.next_notices = next;
        } else {
            self.next_notices = Timestamp::MAX;
        }
    }

    /// The daily summary's next time: `[reminders] at` in the daemon's time zone, every day.
    fn next_summary(&self, settings: &model::ReminderSettings, now: Timestamp) -> Timestamp {
        if self.dep.sync.daemon.operator.is_none() {
            return Timestamp::MAX;
        }
        let tz = daemon_timezone(&self.dep);
        let today = tz.to_datetime(now).date();
        let at = |d: jiff::civil::Date| {
            tz.to_ambiguous_timestamp(d.to_datetime(settings.at))
                .compatible()
                .unwrap_or(Timestamp::MAX)
        };
        let t = at(today);
        if t > now {
            t
        } else {
            today.tomorrow().map(at).unwrap_or(Timestamp::MAX)
        }
    }

    /// Once a day after `[reminders] at` (daemon time zone): what failed since the last one.
    /// Nothing is sent on a day without failures. Returns false when sending failed.
    async fn operator_summary(
        &mut self,
        settings: &model::ReminderSettings,
        now: Timestamp,
    ) -> bool {
        let Some(operator) = self.dep.sync.daemon.operator.clone() else {
            return true;
        };
        let tz = daemon_timezone(&self.dep);
        let local = tz.to_datetime(now);
        if local.time() < settings.at {
            return true;
        }
        let failing: Vec<TargetHealth> = self
            .health
            .all()
            .into_iter()
            .filter(|h| h.is_failing())
            .collect();
        if self.failures.is_empty() && failing.is_empty() {
            return true;
        }
        let day = local.date();
        let key = format!("summary/{day}");
        // Today's went out already: what failed since waits for tomorrow's.
        if self.notifier.channels().iter().all(|c| {
            self.store
                .notice_sent(&format!("{key}/{}", c.as_str()))
                .unwrap_or(false)
        }) {
            return true;
        }
        let mut text = format!(
            "Failures of the throughline daemon ({}) up to {}:\n",
            self.config.display(),
            local.strftime("%Y-%m-%d %H:%M")
        );
        if !failing.is_empty() {
            text.push_str("\nTargets failing now:\n");
            for h in &failing {
                text.push_str(&format!(
                    "  • {} ({}): {} — {} failure(s) in a row; last success: {}\n",
                    h.target,
                    h.kind,
                    h.error.as_deref().unwrap_or("failing"),
                    h.failures,
                    h.last_success
                        .map(|t| tz.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "never".into())
                ));
            }
        }
        if !self.failures.is_empty() {
            text.push_str(&format!("\nWhat failed ({}):\n", self.failures.len()));
            // The same failure again and again is one line, with how often and when.
            let mut grouped: Vec<(&str, usize, Timestamp, Timestamp)> = Vec::new();
            for f in &self.failures {
                match grouped.iter_mut().find(|g| g.0 == f.text) {
                    Some(g) => {
                        g.1 += 1;
                        g.3 = f.at;
                    }
                    None => grouped.push((&f.text, 1, f.at, f.at)),
                }
            }
            let when = |t: Timestamp| tz.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string();
            for (what, n, first, last) in grouped {
                if n == 1 {
                    text.push_str(&format!("  • {}  {what}\n", when(first)));
                } else {
                    text.push_str(&format!(
                        "  • {what} ({n} times, {} to {})\n",
                        when(first),
                        when(last)
                    ));
                }
            }
        }
        text.push_str("\nThe daemon keeps running and retries on its own; /readyz shows the current state.\n\n— throughline daemon\n");
        let notice = Notice {
            to: operator,
            subject: format!(
                "throughline: daily summary of failures ({} target(s) failing, {} failure(s))",
                failing.len(),
                self.failures.len()
            ),
            text,
            html: None,
        };
        let ok = self.send_once("summary", &key, &notice).await;
        if ok {
            self.failures.clear();
        }
        ok
    }
}
