//! One sync cycle (docs/sync.md): observe every target, merge the status people changed
//! into the hub, plan, and apply under the intent journal.
//!
//! ```text
//! observe all ─► plan pass 1 (pulls, accepted drift) ─► merge into hub ─► commit hub
//!            ─► plan pass 2 per target ─► commit links + intents ─► apply ─► commit results
//! ```
//! Pulling from every target before pushing to any is what lets a tick made in one tool reach
//! every other tool in the same cycle. Each commit is one transaction, so a crash between two
//! steps leaves the store at one of them; the intents and the identities carried by remote
//! objects let the next cycle adopt whatever a crashed cycle created, instead of duplicating it.

pub mod causes;
pub mod connectors;
mod desired;
pub mod mapping;
pub mod metrics;
mod people;
pub mod registry;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use jiff::Timestamp;
use throughline_connector::{
    Applied, Capabilities, Change, Connector, ConnectorError, DesiredTask, Observation, State,
};

pub use causes::FailureCause;
pub use desired::{Overrides, apply_overrides, desired_tasks};
pub use mapping::TaskMapping;
pub use people::{TargetPeople, Unmapped, UnmappedPerson};

use crate::model::SyncSettings;
use crate::reconcile::{
    Conflict, Drift, DriftAction, DriftPolicy, FieldOverride, HubState, HubStatus, HubTimes,
    LinkAfter, Pull, StatusUpdate, TargetInput, TargetPlan, merge_status, plan_target,
};
use crate::state::{Batch, Event, EventKind, Intent, Link, StateError, StateStore, StatusRecord};

/// One target as the engine drives it this cycle.
pub struct TargetRun {
    pub id: String,
    pub connector: Box<dyn Connector>,
    /// What the target should hold, before accepted drift is applied.
    pub desired: Vec<DesiredTask>,
    pub drift: DriftPolicy,
    /// The target's `unmapped` policy, applied to `desired` once the target is first read
    /// (the connector then says who has an account there). `None`: owners go as they are.
    pub people: Option<TargetPeople>,
}

#[derive(Debug, Clone, Default)]
pub struct CycleOptions {
    /// Work on this target only (`--target`).
    pub only_target: Option<String>,
    /// Observe and plan, but write nothing anywhere (`plan`).
    pub dry_run: bool,
    /// Archive past `max_archive_share` (the operator said so).
    pub allow_mass_archive: bool,
    /// Create past `max_creates` and `max_create_share` (`--allow-mass-create`).
    pub allow_mass_create: bool,
    /// Re-create past `max_recreate_share` (`--allow-recreate`).
    pub allow_recreate: bool,
    /// Crash simulation for tests: stop right before side effect number `n + 1`
    /// (a state commit or a call that writes to a tool).
    pub stop_after: Option<usize>,
    /// Set from outside (the daemon on SIGTERM) to stop before the next side effect: the call
    /// in flight finishes, nothing new starts, and the next cycle picks up where this one
    /// stopped, as after a crash at that step.
    pub cancel: Option<Arc<AtomicBool>>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    State(#[from] StateError),
    /// The crash-simulation hook fired.
    #[error("stopped after {0} steps (crash simulation)")]
    Stopped(usize),
    /// [`CycleOptions::cancel`] was set; the cycle stopped between two steps.
    #[error("stopped on request after {0} steps; the next cycle carries on from there")]
    Cancelled(usize),
}

/// What happened to one target.
#[derive(Debug, Clone, Default)]
pub struct TargetOutcome {
    pub target: String,
    /// The target could not be read; nothing was done to it.
    pub observe_error: Option<ConnectorError>,
    /// A safety stop; nothing was done to it.
    pub stopped: Option<String>,
    /// The final plan (also when stopped or dry run).
    pub plan: Option<TargetPlan>,
    /// Changes that went through.
    pub applied: usize,
    /// Changes that failed: (identity, why). Their links are as they were.
    pub failed: Vec<(String, ConnectorError)>,
    /// What the cycle sent the tool, when it sent anything.
    pub writes: Option<Writes>,
}

/// The tool's objects a cycle wrote to, and when. The daemon tells the echo of its own writes
/// (a webhook about them) from a person's change by these.
#[derive(Debug, Clone)]
pub struct Writes {
    /// Remote ids: each changed task and entry, the task of each entry, each created object.
    pub objects: BTreeSet<String>,
    /// When the first request left.
    pub started: Instant,
    /// When the last answer came.
    pub ended: Instant,
}

impl Writes {
    fn of(
        changes: &[Change],
        results: &[Result<Applied, ConnectorError>],
        started: Instant,
    ) -> Writes {
        // A failed change may still have written part of itself: its objects count too.
        let mut objects: BTreeSet<String> = changes
            .iter()
            .flat_map(|c| c.objects())
            .map(str::to_string)
            .collect();
        for r in results {
            if let Ok(Applied::Created {
                remote_id, entries, ..
            }) = r
            {
                objects.insert(remote_id.clone());
                objects.extend(entries.iter().map(|(_, id)| id.clone()));
            }
        }
        Writes {
            objects,
            started,
            ended: Instant::now(),
        }
    }
}

impl TargetOutcome {
    pub fn ok(&self) -> bool {
        self.observe_error.is_none() && self.stopped.is_none() && self.failed.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct CycleReport {
    pub targets: Vec<TargetOutcome>,
    pub status_updates: Vec<StatusUpdate>,
    pub conflicts: Vec<Conflict>,
    /// People with no account in a target, once per target read this cycle.
    pub unmapped: Vec<UnmappedPerson>,
}

impl CycleReport {
    pub fn ok(&self) -> bool {
        self.targets.iter().all(TargetOutcome::ok)
    }
}

struct Steps {
    taken: usize,
    limit: Option<usize>,
    cancel: Option<Arc<AtomicBool>>,
}

impl Steps {
    fn take(&mut self) -> Result<(), EngineError> {
        if self.limit.is_some_and(|l| self.taken >= l) {
            return Err(EngineError::Stopped(self.taken));
        }
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
        {
            return Err(EngineError::Cancelled(self.taken));
        }
        self.taken += 1;
        Ok(())
    }
}

fn commit(store: &mut dyn StateStore, steps: &mut Steps, batch: Batch) -> Result<(), EngineError> {
    if batch.is_empty() {
        return Ok(());
    }
    steps.take()?;
    store.commit(batch)?;
    Ok(())
}

fn link_row(target: &str, l: &LinkAfter, remote_id: String, now: Timestamp) -> Link {
    Link {
        target: target.to_string(),
        identity: l.identity.clone(),
        parent: l.parent.clone(),
        remote_id,
        pushed: l.pushed.clone(),
        pulled: l.pulled,
        remote_version: l.version.clone(),
        archived: l.archived,
        updated_at: now,
        pulled_reason: l.pulled_reason.clone(),
    }
}

fn load_overrides(store: &dyn StateStore) -> Result<Overrides, StateError> {
    Ok(store
        .overrides()?
        .into_iter()
        .filter_map(|(identity, field, json)| {
            serde_json::from_str::<FieldOverride>(&json)
                .ok()
                .map(|o| ((identity, field), o))
        })
        .collect())
}

struct Observed {
    index: usize,
    observation: Observation,
    capabilities: Capabilities,
    links: Vec<Link>,
    /// Unlinked objects this engine created, with the status they were created with.
    created: HashMap<String, throughline_connector::State>,
}

/// Run one cycle. `now` stamps status history and events; nothing here reads the clock.
pub async fn run_cycle(
    store: &mut dyn StateStore,
    targets: &mut [TargetRun],
    settings: &SyncSettings,
    options: &CycleOptions,
    now: Timestamp,
) -> Result<CycleReport, EngineError> {
    let mut steps = Steps {
        taken: 0,
        limit: options.stop_after,
        cancel: options.cancel.clone(),
    };
    let mut report = CycleReport::default();
    let order: Vec<String> = targets.iter().map(|t| t.id.clone()).collect();
    let observed = observe_all(store, targets, options, &mut report).await?;

    let recorded = store.statuses()?;
    let hub_times: HubTimes = recorded
        .iter()
        .map(|s| (s.identity.clone(), s.at))
        .collect();
    let mut hub = hub_status(&*store, recorded)?;
    let mut overrides = load_overrides(store)?;
    let mut stale_overrides = HashSet::new();
    for t in targets.iter_mut() {
        stale_overrides.extend(apply_overrides(&mut t.desired, &overrides));
    }

    // Pass 1: what did people change in the tools?
    let (pulls, accepted, drift_events) =
        first_pass(targets, &observed, &hub, settings, options, now);

    // Merge into the hub: statuses, conflicts, accepted values.
    let (updates, conflicts) = merge_status(&hub, &hub_times, &pulls, &settings.conflict, &order);
    let mut batch = Batch::default();
    merge_updates(&mut hub, &updates, now, &mut batch);
    batch
        .events
        .extend(conflicts.iter().map(|c| conflict_event(c, now)));
    batch.events.extend(drift_events);
    for d in accepted {
        let base = desired_value(targets, &d.identity, &d.field);
        let o = FieldOverride {
            value: d.tool_value.clone(),
            base,
        };
        batch.overrides.push((
            d.identity.clone(),
            d.field.clone(),
            Some(serde_json::to_string(&o).unwrap_or_default()),
        ));
        overrides.insert((d.identity, d.field), o);
    }
    for (identity, field) in stale_overrides {
        batch.overrides.push((identity, field, None));
    }
    if !batch.overrides.is_empty() {
        for t in targets.iter_mut() {
            apply_overrides(&mut t.desired, &overrides);
        }
    }
    report.status_updates = updates;
    report.conflicts = conflicts;
    if !options.dry_run {
        commit(store, &mut steps, batch)?;
    }

    // Pass 2: plan and apply, target by target.
    for o in &observed {
        let plan = plan_target(input(&targets[o.index], o, &hub, settings, options));
        let outcome = plan_and_apply(
            store,
            &mut steps,
            &mut targets[o.index],
            o,
            plan,
            options,
            now,
        )
        .await?;
        report.targets.push(outcome);
    }
    report
        .targets
        .sort_by_key(|o| order.iter().position(|t| *t == o.target));
    Ok(report)
}

/// Observe every target (the one `--target` names, if any); one that cannot be read is
/// reported and left out of this cycle.
async fn observe_all(
    store: &mut dyn StateStore,
    targets: &mut [TargetRun],
    options: &CycleOptions,
    report: &mut CycleReport,
) -> Result<Vec<Observed>, EngineError> {
    let mut observed: Vec<Observed> = Vec::new();
    for (index, t) in targets.iter_mut().enumerate() {
        if options
            .only_target
            .as_ref()
            .is_some_and(|only| only != &t.id)
        {
            continue;
        }
        let cursor = store.cursor(&t.id)?;
        let mut read = t.connector.observe(cursor).await;
        if read.is_ok()
            && let Some(rule) = t.people.take()
        {
            match people::settle(&rule, &t.id, t.connector.as_mut(), &mut t.desired).await {
                Ok(unmapped) => report.unmapped.extend(unmapped),
                Err(e) => {
                    t.people = Some(rule);
                    read = Err(e);
                }
            }
        }
        match read {
            Ok(observation) => {
                let links = store.links(&t.id)?;
                let created = created_states(&*store, &store.intents(&t.id)?, &t.desired)?;
                let capabilities = t.connector.capabilities();
                observed.push(Observed {
                    index,
                    observation,
                    capabilities,
                    links,
                    created,
                });
            }
            Err(e) => {
                tracing::warn!(target_id = %t.id, error = %e, "cannot read target; skipped this cycle");
                report.targets.push(TargetOutcome {
                    target: t.id.clone(),
                    observe_error: Some(e),
                    ..Default::default()
                });
            }
        }
    }
    Ok(observed)
}

/// Plan pass 1 over every observed target: the status people changed (pulls), the drift to
/// accept into the hub, and an event for drift seen the first time.
fn first_pass(
    targets: &[TargetRun],
    observed: &[Observed],
    hub: &HubStatus,
    settings: &SyncSettings,
    options: &CycleOptions,
    now: Timestamp,
) -> (Vec<Pull>, Vec<Drift>, Vec<Event>) {
    let mut pulls = Vec::new();
    let mut accepted = Vec::new();
    let mut drift_events = Vec::new();
    for o in observed {
        let t = &targets[o.index];
        let first = plan_target(input(t, o, hub, settings, options));
        pulls.extend(first.pulls);
        for d in first.drift {
            if d.first_seen {
                drift_events.push(Event {
                    kind: EventKind::Drift,
                    target: Some(t.id.clone()),
                    identity: Some(d.identity.clone()),
                    detail: format!(
                        "{} changed in the tool from {:?} to {:?}",
                        d.field, d.hub, d.tool
                    ),
                    resolution: match d.action {
                        DriftAction::Revert => "reverted".into(),
                        DriftAction::Accept => "accepted".into(),
                        DriftAction::Ignore => "ignored".into(),
                    },
                    person: d.person.clone(),
                    at: now,
                });
            }
            if d.action == DriftAction::Accept {
                accepted.push(d);
            }
        }
    }
    (pulls, accepted, drift_events)
}

/// The merged status updates into the hub and its history (a blocked task keeps the state it
/// had before).
fn merge_updates(hub: &mut HubStatus, updates: &[StatusUpdate], now: Timestamp, batch: &mut Batch) {
    for u in updates {
        let before = hub.get(&u.identity).map_or(State::Todo, |h| h.state);
        let before_blocked = match (before, hub.get(&u.identity)) {
            (State::Blocked, Some(h)) => h.before_blocked,
            _ => before,
        };
        hub.insert(
            u.identity.clone(),
            HubState {
                state: u.state,
                reason: u.reason.clone(),
                before_blocked,
            },
        );
        batch.statuses.push(StatusRecord {
            identity: u.identity.clone(),
            state: u.state,
            reason: u.reason.clone(),
            source_target: Some(u.target.clone()),
            source_person: u.person.clone(),
            at: now,
        });
    }
}

/// The event a settled conflict leaves: who said what, and who won.
fn conflict_event(c: &Conflict, now: Timestamp) -> Event {
    let detail = c
        .pulls
        .iter()
        .map(|p| {
            format!(
                "{} said {}{}",
                p.target,
                p.state,
                p.person
                    .as_ref()
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default()
            )
        })
        .chain(
            c.hub
                .map(|h| format!("the hub had {h}, and no link said which tool moved")),
        )
        .collect::<Vec<_>>()
        .join("; ");
    Event {
        kind: EventKind::Conflict,
        target: c.winner.clone(),
        identity: Some(c.identity.clone()),
        detail,
        resolution: match &c.winner {
            Some(w) => format!("{w} won: {}", c.state),
            None => format!("hub kept {}", c.state),
        },
        person: c
            .pulls
            .iter()
            .find(|p| Some(&p.target) == c.winner.as_ref())
            .and_then(|p| p.person.clone()),
        at: now,
    }
}

/// Plan pass 2 for one target: shown only (dry run), stopped (a safety stop, recorded), or
/// applied.
async fn plan_and_apply(
    store: &mut dyn StateStore,
    steps: &mut Steps,
    t: &mut TargetRun,
    o: &Observed,
    plan: TargetPlan,
    options: &CycleOptions,
    now: Timestamp,
) -> Result<TargetOutcome, EngineError> {
    let mut outcome = TargetOutcome {
        target: t.id.clone(),
        ..Default::default()
    };
    if options.dry_run {
        outcome.stopped = plan.stop.as_ref().map(|s| s.reason.clone());
        outcome.plan = Some(plan);
        return Ok(outcome);
    }
    if let Some(stop) = &plan.stop {
        tracing::error!(target_id = %t.id, reason = %stop.reason, "safety stop");
        let mut batch = Batch::default();
        batch.events.push(Event {
            kind: EventKind::SafetyStop,
            target: Some(t.id.clone()),
            identity: None,
            detail: stop.reason.clone(),
            resolution: "stopped".into(),
            person: None,
            at: now,
        });
        commit(store, steps, batch)?;
        outcome.stopped = Some(stop.reason.clone());
        outcome.plan = Some(plan);
        return Ok(outcome);
    }
    apply_plan(
        store,
        steps,
        t.connector.as_mut(),
        &t.id,
        &plan,
        o,
        &mut outcome,
        now,
    )
    .await?;
    outcome.plan = Some(plan);
    Ok(outcome)
}

/// The hub's status from the store's current records; for a blocked task also the state it
/// had before it was blocked (from its history), where clearing it in a tool returns it.
fn hub_status(
    store: &dyn StateStore,
    recorded: Vec<StatusRecord>,
) -> Result<HubStatus, StateError> {
    let mut hub = HubStatus::new();
    for s in recorded {
        let before_blocked = if s.state == State::Blocked {
            store
                .status_history(&s.identity)?
                .iter()
                .rev()
                .find(|r| r.state != State::Blocked)
                .map_or(State::Todo, |r| r.state)
        } else {
            State::Todo
        };
        hub.insert(
            s.identity,
            HubState {
                state: s.state,
                reason: s.reason,
                before_blocked,
            },
        );
    }
    Ok(hub)
}

/// The status each journaled create was made with: the hub's status as of the intent's time
/// (statuses of a cycle are merged before its creates). A create's intent stands for the task
/// and the checklist entries made with it.
fn created_states(
    store: &dyn StateStore,
    intents: &[Intent],
    desired: &[DesiredTask],
) -> Result<HashMap<String, throughline_connector::State>, StateError> {
    let as_of =
        |identity: &str, at: Timestamp| -> Result<throughline_connector::State, StateError> {
            Ok(store
                .status_history(identity)?
                .into_iter()
                .rfind(|s| s.at <= at)
                .map(|s| s.state)
                .unwrap_or(throughline_connector::State::Todo))
        };
    let mut out = HashMap::new();
    for intent in intents {
        out.insert(
            intent.identity.clone(),
            as_of(&intent.identity, intent.created_at)?,
        );
        if let Some(task) = desired.iter().find(|d| d.identity == intent.identity) {
            for e in &task.entries {
                out.insert(e.identity.clone(), as_of(&e.identity, intent.created_at)?);
            }
        }
    }
    Ok(out)
}

fn input<'a>(
    t: &'a TargetRun,
    o: &'a Observed,
    hub: &'a HubStatus,
    settings: &SyncSettings,
    options: &CycleOptions,
) -> TargetInput<'a> {
    TargetInput {
        target: &t.id,
        capabilities: &o.capabilities,
        desired: &t.desired,
        links: &o.links,
        observation: &o.observation,
        hub,
        created: &o.created,
        drift: &t.drift,
        max_archive_share: settings.max_archive_share,
        allow_mass_archive: options.allow_mass_archive,
        max_create_share: settings.max_create_share,
        max_creates: settings.max_creates,
        max_recreate_share: settings.max_recreate_share,
        allow_mass_create: options.allow_mass_create,
        allow_recreate: options.allow_recreate,
    }
}

/// The playbook's value of a field (before any override), for an accepted override's base.
fn desired_value(targets: &[TargetRun], identity: &str, field: &str) -> serde_json::Value {
    for t in targets {
        for d in &t.desired {
            if d.identity == identity {
                return crate::reconcile::to_map(&d.fields)
                    .get(field)
                    .cloned()
                    .unwrap_or_default();
            }
            if let Some(e) = d.entries.iter().find(|e| e.identity == identity) {
                return crate::reconcile::to_map(&e.fields)
                    .get(field)
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }
    serde_json::Value::Null
}

#[allow(clippy::too_many_arguments)]
async fn apply_plan(
    store: &mut dyn StateStore,
    steps: &mut Steps,
    connector: &mut dyn Connector,
    target: &str,
    plan: &TargetPlan,
    observed: &Observed,
    outcome: &mut TargetOutcome,
    now: Timestamp,
) -> Result<(), EngineError> {
    let (before, waiting) = journal_before(target, plan, observed, now);
    commit(store, steps, before)?;

    if plan.changes.is_empty() {
        // Nothing can link the waiting entries' tasks this cycle; the next one adopts them.
        return Ok(());
    }
    let changes: Vec<Change> = plan.changes.iter().map(|c| c.change.clone()).collect();
    steps.take()?;
    let started = Instant::now();
    let results = connector.apply(&changes).await;
    outcome.writes = Some(Writes::of(&changes, &results, started));

    let mut after = Batch::default();
    record_results(target, plan, results, outcome, now, &mut after);
    // One line per cause, not per change: a missing folder fails every change the same way.
    for cause in outcome.failures_by_cause() {
        tracing::warn!(
            target_id = %target,
            failed = cause.identities.len(),
            error = %cause.message,
            "{} not made; left for the next cycle",
            causes::changes(cause.identities.len())
        );
    }
    let now_linked: HashSet<String> = after
        .put_links
        .iter()
        .filter(|l| l.parent.is_none())
        .map(|l| l.identity.clone())
        .collect();
    for l in waiting {
        if l.parent.as_ref().is_some_and(|p| now_linked.contains(p)) {
            let remote = l.remote_id.clone().unwrap_or_default();
            after.put_links.push(link_row(target, l, remote, now));
            after
                .clear_intents
                .push((target.to_string(), l.identity.clone()));
        }
    }
    // A connector that learned its own writes (an events feed) need not read them back.
    if let Some(cursor) = connector.cursor_after_apply() {
        after.cursors.push((target.to_string(), Some(cursor)));
    }
    commit(store, steps, after)?;
    Ok(())
}

/// The journal before applying: bookkeeping links, and an intent for every object about to
/// be created. An entry's link needs its task's link first; an adopted task that is also being
/// updated is linked only once its update went through, so its entries' links wait for that
/// (returned as waiting).
fn journal_before<'p>(
    target: &str,
    plan: &'p TargetPlan,
    observed: &Observed,
    now: Timestamp,
) -> (Batch, Vec<&'p LinkAfter>) {
    let linked: HashSet<&str> = observed
        .links
        .iter()
        .filter(|l| l.parent.is_none())
        .map(|l| l.identity.as_str())
        .chain(
            plan.bookkeeping
                .iter()
                .filter(|l| l.parent.is_none())
                .map(|l| l.identity.as_str()),
        )
        .collect();
    let mut waiting: Vec<&LinkAfter> = Vec::new();
    let mut before = Batch::default();
    for l in &plan.bookkeeping {
        if l.parent.as_deref().is_some_and(|p| !linked.contains(p)) {
            waiting.push(l);
            continue;
        }
        let remote = l.remote_id.clone().unwrap_or_default();
        before.put_links.push(link_row(target, l, remote, now));
        before
            .clear_intents
            .push((target.to_string(), l.identity.clone()));
    }
    for c in &plan.changes {
        if matches!(
            c.change,
            Change::CreateTask { .. } | Change::CreateEntry { .. }
        ) {
            before.add_intents.push(Intent {
                target: target.to_string(),
                identity: c.change.identity().to_string(),
                created_at: now,
            });
        }
    }
    before
        .cursors
        .push((target.to_string(), observed.observation.cursor.clone()));
    (before, waiting)
}

/// What the connector answered, change by change: the links of what was made or updated
/// (with the remote ids and versions the tool gave), and what failed, in `outcome`.
fn record_results(
    target: &str,
    plan: &TargetPlan,
    results: Vec<Result<Applied, ConnectorError>>,
    outcome: &mut TargetOutcome,
    now: Timestamp,
    after: &mut Batch,
) {
    for (i, planned) in plan.changes.iter().enumerate() {
        let result = results.get(i).cloned().unwrap_or_else(|| {
            Err(ConnectorError::Fatal {
                message: "the connector returned no result for this change".into(),
            })
        });
        let applied = match result {
            Ok(applied) => applied,
            Err(e) => {
                tracing::debug!(target_id = %target, identity = %planned.change.identity(), error = %e, "change failed; left for the next cycle");
                outcome
                    .failed
                    .push((planned.change.identity().to_string(), e));
                continue;
            }
        };
        outcome.applied += 1;
        let (task_remote, entry_remotes) = match &applied {
            Applied::Created {
                remote_id, entries, ..
            } => (Some(remote_id.clone()), entries.clone()),
            _ => (None, Vec::new()),
        };
        let version = match &applied {
            Applied::Created { version, .. } | Applied::Updated { version } => version.clone(),
            Applied::Archived => None,
        };
        for (k, l) in planned.links.iter().enumerate() {
            let remote = match (&l.remote_id, k) {
                (Some(r), _) => Some(r.clone()),
                (None, 0) => task_remote.clone(),
                (None, _) => entry_remotes
                    .iter()
                    .find(|(id, _)| *id == l.identity)
                    .map(|(_, r)| r.clone()),
            };
            let Some(remote) = remote else {
                // The tool did not say where the entry went; the next cycle adopts it.
                continue;
            };
            let mut row = link_row(target, l, remote, now);
            if k == 0 && version.is_some() {
                row.remote_version = version.clone();
            }
            after.put_links.push(row);
            after
                .clear_intents
                .push((target.to_string(), l.identity.clone()));
        }
    }
}
