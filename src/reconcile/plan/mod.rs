//! The per-target plan: the table in the module docs, row by row.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use throughline_connector::{
    Capabilities, Change, DesiredEntry, DesiredTask, Identity, Observation, ObservedTask, RemoteId,
    State, StateSupport, TaskContext, UnknownStatusWord,
};

mod entries;
mod finder;
mod stops;
mod task;

use finder::Finder;

use super::fields::{DriftAction, DriftPolicy, FieldDecision, PushedRecord, to_map};
use super::status::{HubStatus, Pull};
use crate::state::Link;

/// Everything [`plan_target`] looks at for one target.
#[derive(Debug, Clone, Copy)]
pub struct TargetInput<'a> {
    pub target: &'a str,
    pub capabilities: &'a Capabilities,
    /// The tasks this target should hold, in order, with the hub's fields (overrides applied).
    pub desired: &'a [DesiredTask],
    /// Every link row of this target, tasks and entries.
    pub links: &'a [Link],
    pub observation: &'a Observation,
    /// The hub's status (after merging this cycle's pulls, on the final pass).
    pub hub: &'a HubStatus,
    /// Objects this engine created in this target but never linked (a cycle stopped in
    /// between), with the status they were created with. An adopted object that still shows
    /// that status holds nothing a person did; one that differs does.
    pub created: &'a HashMap<String, State>,
    pub drift: &'a DriftPolicy,
    pub max_archive_share: f64,
    /// Archive even past `max_archive_share` (the operator said so explicitly).
    pub allow_mass_archive: bool,
    /// A plan that would create more new tasks than this share of the target's linked tasks
    /// stops (not checked while nothing is linked: a first push).
    pub max_create_share: f64,
    /// A plan that would create or re-create more tasks than this at once stops.
    pub max_creates: usize,
    /// A plan that would re-create more than this share of the linked tasks stops.
    pub max_recreate_share: f64,
    /// Create past `max_create_share` and `max_creates` (`--allow-mass-create`).
    pub allow_mass_create: bool,
    /// Re-create past `max_recreate_share` (`--allow-recreate`).
    pub allow_recreate: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A new object.
    Create,
    /// The link says it existed, but the tool no longer has it: made again.
    Recreate,
    Update,
    /// An archived object the hub wants again.
    Revive,
    Archive,
}

impl ChangeKind {
    pub fn sign(self) -> char {
        match self {
            ChangeKind::Create | ChangeKind::Recreate => '+',
            ChangeKind::Update | ChangeKind::Revive => '~',
            ChangeKind::Archive => '-',
        }
    }
}

/// The link row to write once a change succeeded (or right away, for bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkAfter {
    pub identity: Identity,
    pub parent: Option<Identity>,
    /// `None` for creates: the id comes back from the tool.
    pub remote_id: Option<RemoteId>,
    pub pushed: Option<String>,
    pub pulled: Option<State>,
    /// With `pulled` blocked: the reason the tool holds (`None` where it holds none).
    pub pulled_reason: Option<String>,
    pub archived: bool,
    pub version: Option<String>,
}

/// A created task's entries, linked from the ids the tool returns.
pub type EntryLinkAfter = LinkAfter;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    pub kind: ChangeKind,
    pub change: Change,
    /// What changes, for people: `due: 2026-12-08 → 2026-12-09`.
    pub details: Vec<String>,
    /// The task's link, then (for creates) its entries'.
    pub links: Vec<LinkAfter>,
}

/// A field a person edited in the tool although the hub owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub identity: Identity,
    pub field: String,
    pub tool: String,
    pub hub: String,
    /// The raw tool value, for `accept`.
    #[serde(skip)]
    pub tool_value: Value,
    pub action: DriftAction,
    pub person: Option<String>,
    /// Reported for the first time (ignored drift is reported once).
    pub first_seen: bool,
}

/// An object throughline will not touch: an unknown marker or a second copy of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unknown {
    pub remote_id: RemoteId,
    pub identity: Identity,
    pub reason: String,
}

/// Which safety stop fired; each names its way past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    /// Links exist, the tool shows none of them.
    SuddenlyEmpty,
    /// Two or more objects claim one task or entry, and no link says which is it.
    AdoptionConflict,
    MassArchive,
    MassRecreate,
    MassCreate,
}

/// Changes a stopped plan held back, so a summary can say what was stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HeldBack {
    pub create: usize,
    pub update: usize,
    pub archive: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SafetyStop {
    pub kind: StopKind,
    pub reason: String,
    /// What the plan would have done; none of it is in [`TargetPlan::changes`].
    pub held_back: HeldBack,
}

/// A status word a person typed that the mapping does not know, in one task's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownWord {
    pub identity: Identity,
    #[serde(flatten)]
    pub word: UnknownStatusWord,
    /// The state the task keeps meanwhile.
    pub state: State,
}

/// The state of an observed task, where a status word the tool's mapping does not know is no
/// status change: such a row is read from its done column alone (done when ticked), so
/// unticked it keeps the state last pulled (to do if that was done: the tick was taken away).
fn kept_state(o: &ObservedTask, last_pulled: Option<State>) -> State {
    match (&o.status_cells.unknown, o.state, last_pulled) {
        (None, s, _) | (Some(_), s @ State::Done, _) | (Some(_), s, None) => s,
        (Some(_), _, Some(State::Done)) => State::Todo,
        (Some(_), _, Some(last)) => last,
    }
}

/// What one target needs, and what it told.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TargetPlan {
    pub target: String,
    pub changes: Vec<PlannedChange>,
    /// Link rows to write without calling the tool (adoptions, archived marks, pulled status).
    pub bookkeeping: Vec<LinkAfter>,
    /// Status moves made in the tool since the hub last looked.
    #[serde(skip)]
    pub pulls: Vec<Pull>,
    pub drift: Vec<Drift>,
    pub unknown: Vec<Unknown>,
    /// Status words people typed that the mapping does not know (grid tools): reported until
    /// fixed, never taken as a status change.
    pub unknown_words: Vec<UnknownWord>,
    /// Set when the target must not be touched this cycle; then `changes` and `bookkeeping`
    /// are empty and the stop says what they held.
    pub stop: Option<SafetyStop>,
}

impl TargetPlan {
    /// (to create, to update, to archive)
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for ch in &self.changes {
            match ch.kind {
                ChangeKind::Create | ChangeKind::Recreate => c.0 += 1,
                ChangeKind::Update | ChangeKind::Revive => c.1 += 1,
                ChangeKind::Archive => c.2 += 1,
            }
        }
        c
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(empty)".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn hub_state(hub: &HubStatus, identity: &str) -> State {
    hub.get(identity).map(|h| h.state).unwrap_or(State::Todo)
}

/// The hub's reason for a blocked task.
fn hub_reason(hub: &HubStatus, identity: &str) -> Option<String> {
    hub.get(identity)
        .filter(|h| h.state == State::Blocked)
        .and_then(|h| h.reason.clone())
}

/// The reason a tool shows with `state`: only a blocked state has one, and only a tool with a
/// place for it shows one.
fn shown_reason(state: State, holds: bool, reason: Option<&str>) -> Option<String> {
    reason
        .filter(|_| holds && state == State::Blocked)
        .map(str::to_string)
}

/// The task's context as sent to the tool, with the hub's reason when it is blocked.
fn context_with_reason(d: &DesiredTask, hub: &HubStatus) -> TaskContext {
    TaskContext {
        blocked_reason: hub_reason(hub, &d.identity),
        ..d.context.clone()
    }
}

fn checked_state(checked: bool) -> State {
    if checked { State::Done } else { State::Todo }
}

struct Planner<'a> {
    input: TargetInput<'a>,
    plan: TargetPlan,
    /// Identities claimed by more than one unlinked object: (identity, their remote ids).
    adoption: Vec<(Identity, Vec<RemoteId>)>,
}

/// Decide everything one target needs this cycle.
pub fn plan_target(input: TargetInput<'_>) -> TargetPlan {
    let mut p = Planner {
        input,
        plan: TargetPlan {
            target: input.target.to_string(),
            ..Default::default()
        },
        adoption: Vec::new(),
    };
    p.run();
    p.plan.unknown_words = p
        .input
        .observation
        .tasks
        .iter()
        .filter(|t| !t.archived)
        .filter_map(|t| {
            let identity = t.identity.clone()?;
            let last = p
                .input
                .links
                .iter()
                .find(|l| l.parent.is_none() && l.identity == identity)
                .and_then(|l| l.pulled);
            Some(UnknownWord {
                word: t.status_cells.unknown.clone()?,
                state: kept_state(t, last),
                identity,
            })
        })
        .collect();
    p.plan
}

impl<'a> Planner<'a> {
    fn run(&mut self) {
        let input = self.input;
        let mut task_links: HashMap<&str, &Link> = HashMap::new();
        let mut entry_links: HashMap<&str, Vec<&Link>> = HashMap::new();
        for l in input.links {
            match &l.parent {
                None => {
                    task_links.insert(&l.identity, l);
                }
                Some(parent) => entry_links.entry(parent.as_str()).or_default().push(l),
            }
        }
        let mut finder = Finder::new(&input.observation.tasks);
        let desired_ids: HashSet<&str> =
            input.desired.iter().map(|d| d.identity.as_str()).collect();

        for d in input.desired {
            let link = task_links.get(d.identity.as_str()).copied();
            let elinks = entry_links
                .get(d.identity.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let remote = link.map(|l| l.remote_id.as_str());
            let rivals = finder.rivals(remote, &d.identity);
            if !rivals.is_empty() {
                self.rivals(&d.identity, rivals.iter().map(|o| &o.remote_id));
                continue;
            }
            match finder.claim(remote, &d.identity) {
                None => self.create(d, link.is_some()),
                Some(o) => self.existing(d, link, o, elinks),
            }
        }

        let mut gone: Vec<&Link> = task_links
            .values()
            .copied()
            .filter(|l| !desired_ids.contains(l.identity.as_str()))
            .collect();
        gone.sort_by(|a, b| a.identity.cmp(&b.identity));
        for l in gone {
            match finder.claim(Some(&l.remote_id), &l.identity) {
                Some(o) if !o.archived && !l.archived => self.archive(l, o),
                Some(_) | None if !l.archived => self.plan.bookkeeping.push(LinkAfter {
                    identity: l.identity.clone(),
                    parent: None,
                    remote_id: Some(l.remote_id.clone()),
                    pushed: l.pushed.clone(),
                    pulled: l.pulled,
                    pulled_reason: l.pulled_reason.clone(),
                    archived: true,
                    version: l.remote_version.clone(),
                }),
                _ => {}
            }
        }

        let known: HashSet<&str> = desired_ids
            .iter()
            .copied()
            .chain(task_links.keys().copied())
            .collect();
        for o in finder.unclaimed() {
            let Some(identity) = &o.identity else {
                continue;
            };
            let reason = if known.contains(identity.as_str()) {
                "a second copy of a task that is already linked; left alone (archive the copy in the tool)"
            } else {
                "carries a throughline marker for a task this deployment does not have; left alone"
            };
            self.plan.unknown.push(Unknown {
                remote_id: o.remote_id.clone(),
                identity: identity.clone(),
                reason: reason.to_string(),
            });
        }
        self.safety_stops(&task_links);
    }

    /// Two or more unlinked objects claim one identity (a marker copied into another card, a
    /// duplicated row): none is adopted, each is reported, and the target stops.
    fn rivals<'r>(&mut self, identity: &str, remotes: impl Iterator<Item = &'r RemoteId>) {
        let remotes: Vec<RemoteId> = remotes.cloned().collect();
        for r in &remotes {
            self.plan.unknown.push(Unknown {
                remote_id: r.clone(),
                identity: identity.to_string(),
                reason: format!(
                    "one of {} objects that claim this identity, and no link says which one is it; none is touched",
                    remotes.len()
                ),
            });
        }
        self.adoption.push((identity.to_string(), remotes));
    }

    fn desired_entry(&self, e: &DesiredEntry) -> DesiredEntry {
        DesiredEntry {
            identity: e.identity.clone(),
            fields: self.input.capabilities.entry_fields(&e.fields),
            checked: hub_state(self.input.hub, &e.identity) == State::Done,
        }
    }

    fn create(&mut self, d: &DesiredTask, recreate: bool) {
        let caps = self.input.capabilities;
        let fields = caps.task_fields(&d.fields);
        let state = caps.state(hub_state(self.input.hub, &d.identity));
        let context = context_with_reason(d, self.input.hub);
        let entries: Vec<DesiredEntry> = d.entries.iter().map(|e| self.desired_entry(e)).collect();
        let mut links = vec![LinkAfter {
            identity: d.identity.clone(),
            parent: None,
            remote_id: None,
            pushed: Some(record_of(&fields).to_json()),
            pulled: Some(state),
            // Where the tool has no place for it, the next observation shows none either.
            pulled_reason: context
                .blocked_reason
                .clone()
                .filter(|_| state == State::Blocked),
            archived: false,
            version: None,
        }];
        links.extend(entries.iter().map(|e| LinkAfter {
            identity: e.identity.clone(),
            parent: Some(d.identity.clone()),
            remote_id: None,
            pushed: Some(record_of(&e.fields).to_json()),
            pulled: Some(checked_state(e.checked)),
            pulled_reason: None,
            archived: false,
            version: None,
        }));
        let mut details = Vec::new();
        if recreate {
            details.push("missing from the tool although it was linked: made again".to_string());
        }
        self.plan.changes.push(PlannedChange {
            kind: if recreate {
                ChangeKind::Recreate
            } else {
                ChangeKind::Create
            },
            change: Change::CreateTask {
                task: DesiredTask {
                    identity: d.identity.clone(),
                    fields,
                    state,
                    context,
                    entries,
                },
            },
            details,
            links,
        });
    }

    fn archive(&mut self, l: &Link, o: &ObservedTask) {
        self.plan.changes.push(PlannedChange {
            kind: ChangeKind::Archive,
            change: Change::ArchiveTask {
                remote_id: o.remote_id.clone(),
                identity: l.identity.clone(),
                context: TaskContext::default(),
            },
            details: vec!["no longer in the playbook's items: archived, not deleted".to_string()],
            links: vec![LinkAfter {
                identity: l.identity.clone(),
                parent: None,
                remote_id: Some(o.remote_id.clone()),
                pushed: l.pushed.clone(),
                pulled: l.pulled,
                pulled_reason: l.pulled_reason.clone(),
                archived: true,
                version: o.version.clone(),
            }],
        });
    }

    fn drift(&mut self, identity: &str, fd: &FieldDecision, person: &Option<String>) {
        for d in &fd.drift {
            self.plan.drift.push(Drift {
                identity: identity.to_string(),
                field: d.field.clone(),
                tool: show(&d.tool),
                hub: show(&d.hub),
                tool_value: d.tool.clone(),
                action: d.action,
                person: person.clone(),
                first_seen: d.first_seen,
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pull(
        &mut self,
        identity: &str,
        state: State,
        reason: (Option<String>, bool),
        support: StateSupport,
        o_modified: Option<jiff::Timestamp>,
        person: &Option<String>,
        unlinked: bool,
    ) {
        self.plan.pulls.push(Pull {
            identity: identity.to_string(),
            target: self.input.target.to_string(),
            state,
            reason: reason.0,
            holds_reason: reason.1,
            support,
            modified: o_modified,
            person: person.clone(),
            unlinked,
        });
    }
}

/// A reason as a plan line shows it.
fn quoted(reason: Option<&str>) -> String {
    reason.map_or_else(|| "(none)".to_string(), |r| format!("\"{r}\""))
}

fn record_of<T: Serialize>(fields: &T) -> PushedRecord {
    PushedRecord {
        fields: to_map(fields),
        drift_seen: Default::default(),
    }
}
