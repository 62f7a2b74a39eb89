//! One cycle and what follows from it: health, metrics, logs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;
use throughline_connector::{ConnectorError, State};

use super::{AllowOnce, Service};
use crate::daemon::cadence::Cadence;
use crate::daemon::health::Verdict;
use crate::daemon::readiness::{CycleInfo, CycleResult, Trigger};
use crate::engine::{self, CycleOptions, EngineError, TargetRun};
use crate::model::Target;
use crate::schedule::{BusinessCalendar, Schedule, schedule_at};

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

    /// Run one cycle over the targets that are not backing off.
    pub async fn cycle(&mut self, trigger: Trigger, at: Timestamp) {
        let started = std::time::Instant::now();
        let now = self.clock.now();
        self.refresh_secrets();
        self.cycles += 1;
        let number = self.cycles;
        self.shared.set_view(|v| v.running_since = Some(now));
        let schedule = schedule_at(&self.dep, now);
        let Opened {
            taking_part,
            mut runs,
            setup_failures,
        } = self.open_eligible(&schedule, at);
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
        self.workbooks.cycle_started();
        let result =
            engine::run_cycle(&mut *self.store, &mut runs, &self.dep.sync, &options, now).await;
        self.own_writes(&result);
        if result.is_ok() {
            self.allow_once = AllowOnce::default();
            self.pull_metrics(&mut runs, now).await;
        }
        let mut verdicts: Vec<(String, Verdict)> = setup_failures
            .into_iter()
            .map(|(id, e)| {
                let error = format!("cannot set it up: {e}");
                (
                    id,
                    Verdict::Failing {
                        error,
                        auth: false,
                        retry_after: None,
                    },
                )
            })
            .collect();
        let (outcome, error) = self.read_result(&result, &runs, &mut verdicts);
        drop(runs);
        if let Some(e) = &error {
            self.note(now, format!("cycle {number} failed: {e}"));
        }
        let period = self.period(at);
        let max_backoff = self.dep.sync.daemon.max_backoff;
        for (target, verdict) in &verdicts {
            self.record(target, verdict, at, period, max_backoff).await;
        }
        self.task_gauges(&schedule, now);
        // In the cycle that saw the last earlier stage done, not at the next digest.
        self.handoffs(&schedule, now).await;
        let took = started.elapsed();
        let finished = self.clock.now();
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
        self.cycle_ended(info, took);
    }

    /// What the cycle wrote to each tool: the signals that are only its echo (pending now or
    /// still to come) start no cycle.
    fn own_writes(&mut self, result: &Result<engine::CycleReport, EngineError>) {
        // The workbooks this cycle wrote are the daemon's own versions: no cycle for them.
        self.workbooks.cycle_ended(&|target| match result {
            Ok(report) => report
                .targets
                .iter()
                .any(|o| o.target == target && o.applied > 0),
            Err(_) => true,
        });
        let Ok(report) = result else { return };
        for o in &report.targets {
            if let Some(w) = &o.writes {
                let echoes = self.shared.hints.wrote(&o.target, w.clone());
                if echoes > 0 {
                    tracing::debug!(target_id = %o.target, echoes, "signals that came back from this cycle's own writes start no cycle");
                }
            }
        }
    }

    /// Record the values people typed on the grid targets' Metrics tabs, as `sync` does.
    async fn pull_metrics(&mut self, runs: &mut [TargetRun], now: Timestamp) {
        let tz = engine::metrics::typed_day_zone(&self.dep);
        let pulled =
            engine::metrics::pull(&mut *self.store, runs, &self.dep.metrics, None, &tz, now).await;
        match pulled {
            Ok(pulled) => {
                for v in &pulled.recorded {
                    tracing::info!(
                        target_id = %v.target,
                        metric = %v.metric,
                        value = v.value,
                        cell = %v.cell,
                        "metric value recorded"
                    );
                }
                for problem in &pulled.problems {
                    tracing::warn!("{problem}");
                }
            }
            Err(e) => self.note(now, format!("metric values were not recorded: {e}")),
        }
    }

    /// The time between two periodic cycles around `at`: the base of a failing target's
    /// back-off.
    fn period(&self, at: Timestamp) -> Duration {
        match &self.cadence {
            Cadence::Every(d) => *d,
            c => c.next_after(at).duration_since(at).unsigned_abs(),
        }
    }

    /// Open the targets not backing off at `at`.
    fn open_eligible(&mut self, schedule: &Schedule, at: Timestamp) -> Opened {
        let eligible: Vec<&Target> = self
            .dep
            .targets
            .iter()
            .filter(|t| self.health.eligible(&t.id, at))
            .collect();
        let opened = self.source.open(&self.dep, schedule, &eligible);
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
        Opened {
            taking_part,
            runs,
            setup_failures,
        }
    }

    /// What the engine's result says: each target's verdict (added to `verdicts`), metrics and
    /// logs, and how the cycle ended with the hub's error if it failed.
    fn read_result(
        &mut self,
        result: &Result<engine::CycleReport, EngineError>,
        runs: &[TargetRun],
        verdicts: &mut Vec<(String, Verdict)>,
    ) -> (CycleResult, Option<String>) {
        match result {
            Ok(report) => {
                self.count(report, runs, verdicts);
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
        }
    }

    /// Per target: the metrics of its changes and requests, and its verdict.
    fn count(
        &self,
        report: &engine::CycleReport,
        runs: &[TargetRun],
        verdicts: &mut Vec<(String, Verdict)>,
    ) {
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
    }

    /// Log, count and show a finished cycle.
    fn cycle_ended(&mut self, info: CycleInfo, took: Duration) {
        self.shared.metrics().cycle(
            info.trigger.as_str(),
            info.result.as_str(),
            took,
            info.finished,
        );
        self.first_cycle_done = true;
        tracing::info!(
            cycle = info.number,
            result = info.result.as_str(),
            seconds = format!("{:.3}", info.seconds),
            "cycle ended"
        );
        self.shared.record_cycle(&info);
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
                ..
            } => {
                tracing::warn!(target_id = %target, applied, failed, first = %error, retry_at = ?h.retry_at, "some changes failed; they are tried again next cycle (not before retry_at when the tool asked to wait)");
                self.note(now, format!("{target}: {failed} change(s) failed; {error}"));
            }
            Verdict::Failing { error, auth, .. } => {
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
}

/// The targets a cycle takes part with.
struct Opened {
    /// Every target not backing off, opened or not.
    taking_part: Vec<String>,
    runs: Vec<TargetRun>,
    /// The targets that could not be opened, and why.
    setup_failures: Vec<(String, String)>,
}
