//! How `plan` and `sync` show a cycle to people: Terraform-like `+ ~ -` lines per target, drift
//! and conflicts listed apart, and one summary line.

use std::fmt::Write;

use serde::Serialize;
use throughline_connector::Change;

use crate::engine::{CycleReport, TargetOutcome};
use crate::reconcile::{ChangeKind, DriftAction, PlannedChange, TargetPlan};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub create: usize,
    pub update: usize,
    pub archive: usize,
    pub drift: usize,
    pub conflicts: usize,
    pub pulled: usize,
    /// Changes a tool refused or that could not be sent (sync only).
    pub failed: usize,
    /// Targets a safety stop held back; their changes are not in the counts above.
    pub stopped: usize,
}

impl Totals {
    pub fn changes(&self) -> usize {
        self.create + self.update + self.archive
    }
}

/// What a plan would do, or (`applied`) what a sync did: then only changes that went through
/// count, and stopped targets count nothing.
pub fn totals(report: &CycleReport, applied: bool) -> Totals {
    let mut t = Totals {
        conflicts: report.conflicts.len(),
        pulled: report.status_updates.len(),
        ..Default::default()
    };
    for o in &report.targets {
        let Some(p) = &o.plan else { continue };
        t.drift += p.drift.len();
        if o.stopped.is_some() {
            t.stopped += 1;
            continue;
        }
        let failed: std::collections::HashSet<&str> =
            o.failed.iter().map(|(id, _)| id.as_str()).collect();
        t.failed += if applied { o.failed.len() } else { 0 };
        for c in &p.changes {
            if applied && failed.contains(c.change.identity()) {
                continue;
            }
            match c.kind {
                ChangeKind::Create | ChangeKind::Recreate => t.create += 1,
                ChangeKind::Update | ChangeKind::Revive => t.update += 1,
                ChangeKind::Archive => t.archive += 1,
            }
        }
    }
    t
}

/// How many changes per target `sync` lists before summing up the rest.
const SYNC_LISTED: usize = 12;

struct Paint {
    on: bool,
}

impl Paint {
    fn code(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn sign(&self, kind: ChangeKind) -> String {
        let s = kind.sign().to_string();
        match kind {
            ChangeKind::Create | ChangeKind::Recreate => self.code("32", &s),
            ChangeKind::Update | ChangeKind::Revive => self.code("33", &s),
            ChangeKind::Archive => self.code("31", &s),
        }
    }
    fn bold(&self, text: &str) -> String {
        self.code("1", text)
    }
}

fn describe(c: &PlannedChange) -> String {
    match &c.change {
        Change::CreateTask { task } => {
            let mut s = format!("\"{}\"", task.fields.title);
            if let Some(due) = task.fields.due {
                let _ = write!(s, "  due {due}");
            }
            if let Some(owner) = &task.fields.owner {
                let _ = write!(s, "  {owner}");
            }
            if !task.entries.is_empty() {
                let _ = write!(
                    s,
                    "  ({} checklist entr{})",
                    task.entries.len(),
                    if task.entries.len() == 1 { "y" } else { "ies" }
                );
            }
            s
        }
        Change::CreateEntry { entry, .. } => format!("checklist entry \"{}\"", entry.fields.text),
        _ => String::new(),
    }
}

/// The plan (or what a sync did) for people. `applied` = this was a sync, not a plan.
pub fn render(report: &CycleReport, color: bool, applied: bool) -> String {
    render_verbose(report, color, applied, false)
}

/// [`render`]; `verbose` lists the tasks behind each failure cause.
pub fn render_verbose(report: &CycleReport, color: bool, applied: bool, verbose: bool) -> String {
    let paint = Paint { on: color };
    let mut out = String::new();
    for o in &report.targets {
        target_section(&mut out, report, o, &paint, applied, verbose);
    }
    status_updates(&mut out, report, &paint);
    conflicts(&mut out, report, &paint);
    summary(&mut out, report, applied);
    out
}

/// One target's part: whether it could be read or was stopped, its changes, drift, unknown
/// objects and words, its failures by cause, and its people with no account.
fn target_section(
    out: &mut String,
    report: &CycleReport,
    o: &TargetOutcome,
    paint: &Paint,
    applied: bool,
    verbose: bool,
) {
    let _ = writeln!(out, "{}", paint.bold(&format!("Target {}", o.target)));
    if let Some(e) = &o.observe_error {
        let _ = writeln!(
            out,
            "  ! could not read it: {e}. Nothing was changed there; it is tried again next cycle."
        );
        return;
    }
    let Some(plan) = &o.plan else { return };
    if let Some(stop) = &o.stopped {
        let _ = writeln!(out, "  ! stopped: {stop}");
        if let Some(h) = plan.stop.as_ref().map(|s| s.held_back) {
            let _ = writeln!(
                out,
                "    held back, not done: {} to create, {} to update, {} to archive",
                h.create, h.update, h.archive
            );
        }
    }
    if o.stopped.is_none()
        && plan.changes.is_empty()
        && plan.drift.is_empty()
        && plan.unknown.is_empty()
        && plan.unknown_words.is_empty()
    {
        let _ = writeln!(out, "  in step: nothing to change");
    }
    changes(out, o, plan, paint, applied);
    drift(out, plan);
    unknown(out, plan);
    failures(out, o, verbose);
    unmapped(out, report, o);
}

/// The changes of a target. A sync lists what went through (its failures come below, by
/// cause), capped: the first sync creates everything. `plan` lists all.
fn changes(out: &mut String, o: &TargetOutcome, plan: &TargetPlan, paint: &Paint, applied: bool) {
    let failed: std::collections::HashSet<&str> =
        o.failed.iter().map(|(id, _)| id.as_str()).collect();
    let changes: Vec<&PlannedChange> = plan
        .changes
        .iter()
        .filter(|c| !applied || !failed.contains(c.change.identity()))
        .collect();
    let shown = if applied {
        changes.len().min(SYNC_LISTED)
    } else {
        changes.len()
    };
    for c in &changes[..shown] {
        let what = describe(c);
        let kind = match c.kind {
            ChangeKind::Recreate => " (re-create)",
            ChangeKind::Revive => " (revive)",
            _ => "",
        };
        let _ = writeln!(
            out,
            "  {} {}{kind}  {what}",
            paint.sign(c.kind),
            c.change.identity()
        );
        for d in &c.details {
            let _ = writeln!(out, "      {d}");
        }
    }
    if shown < changes.len() {
        let _ = writeln!(out, "  … and {} more", changes.len() - shown);
    }
}

/// Edits made in the tool to fields the playbook owns, and what was done about each.
fn drift(out: &mut String, plan: &TargetPlan) {
    if !plan.drift.is_empty() {
        let _ = writeln!(
            out,
            "  Drift (edits made in the tool to fields the playbook owns):"
        );
        for d in &plan.drift {
            let what = match d.action {
                DriftAction::Revert => "put back",
                DriftAction::Accept => "taken into the hub",
                DriftAction::Ignore => "left as the person set it",
            };
            let who = d
                .person
                .as_ref()
                .map(|p| format!(" by {p}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    {} {}: \"{}\" in the tool{who}, \"{}\" in the playbook: {what}",
                d.identity, d.field, d.tool, d.hub
            );
        }
    }
}

/// Objects the target has that the plan cannot place, and status words it does not know.
fn unknown(out: &mut String, plan: &TargetPlan) {
    for u in &plan.unknown {
        let _ = writeln!(
            out,
            "  ? {} (remote {}): {}",
            u.identity, u.remote_id, u.reason
        );
    }
    for u in &plan.unknown_words {
        let _ = writeln!(
            out,
            "  ? {}: \"{}\" in {} is not a status word; the task stays {} until it is. \
             Use one of: {} (the cell's note says so too)",
            u.identity,
            u.word.word,
            u.word.cell,
            u.state,
            u.word.accepted.join(", ")
        );
    }
}

/// One line per cause: a missing folder fails every change the same way.
fn failures(out: &mut String, o: &TargetOutcome, verbose: bool) {
    for cause in o.failures_by_cause() {
        let n = cause.identities.len();
        let _ = writeln!(
            out,
            "  ! {}: {} not made: {}. {} as {}, tried again next cycle{}",
            o.target,
            crate::engine::causes::changes(n),
            cause.message.trim_end_matches('.'),
            if n == 1 { "Left" } else { "All left" },
            if n == 1 { "it was" } else { "they were" },
            if verbose || n == 1 {
                ":"
            } else {
                " (--verbose lists them)"
            }
        );
        if verbose || n == 1 {
            for identity in &cause.identities {
                let _ = writeln!(out, "      {identity}");
            }
        }
    }
}

/// The people with no account in the target, and the line that would give them one.
fn unmapped(out: &mut String, report: &CycleReport, o: &TargetOutcome) {
    let unmapped: Vec<_> = report
        .unmapped
        .iter()
        .filter(|u| u.target == o.target)
        .collect();
    if let Some(first) = unmapped.first() {
        let _ = writeln!(
            out,
            "  People with no account here; their tasks are {}:",
            first.handled
        );
        for u in &unmapped {
            // Someone mapped to an account the tool lacks: no entry to add, one to fix.
            let fix = match u.mapped_to {
                Some(_) => format!("; {}", u.fix()),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "    {}: {} task{}{fix}",
                u.person,
                u.tasks,
                if u.tasks == 1 { "" } else { "s" }
            );
        }
        // One line that maps them all: two `people =` lines would be a TOML error.
        let entries: Vec<&str> = unmapped
            .iter()
            .filter(|u| u.mapped_to.is_none())
            .map(|u| u.entry.as_str())
            .collect();
        let _ = if entries.is_empty() {
            Ok(())
        } else if first.in_map {
            writeln!(
                out,
                "  To give them one, add to the target's people = {{ … }}: {}",
                entries.join(", ")
            )
        } else {
            writeln!(
                out,
                "  To give them one, add to the target: people = {{ {} }}",
                entries.join(", ")
            )
        };
    }
}

/// Statuses pulled from the tools this cycle.
fn status_updates(out: &mut String, report: &CycleReport, paint: &Paint) {
    if !report.status_updates.is_empty() {
        let _ = writeln!(out, "{}", paint.bold("Status pulled from the tools"));
        for u in &report.status_updates {
            let who = u
                .person
                .as_ref()
                .map(|p| format!(" by {p}"))
                .unwrap_or_default();
            let reason = u
                .reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}: {}{reason} (in {}{who})",
                u.identity, u.state, u.target
            );
        }
    }
}

/// Tools that disagreed, and how `[sync] conflict` settled it.
fn conflicts(out: &mut String, report: &CycleReport, paint: &Paint) {
    if !report.conflicts.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint.bold("Conflicts (tools disagreed; settled by [sync] conflict)")
        );
        for c in &report.conflicts {
            let said: Vec<String> = c
                .pulls
                .iter()
                .map(|p| format!("{} said {}", p.target, p.state))
                .collect();
            let won = c
                .winner
                .as_ref()
                .map(|w| format!("{w} wins"))
                .unwrap_or_else(|| "the hub keeps its status".into());
            let _ = writeln!(
                out,
                "  {}: {}; {won}: {}",
                c.identity,
                said.join(", "),
                c.state
            );
        }
    }
}

/// The closing line: what was (or would be) created, updated, archived, failed.
fn summary(out: &mut String, report: &CycleReport, applied: bool) {
    let t = totals(report, applied);
    let verb = if applied {
        ("created", "updated", "archived")
    } else {
        ("to create", "to update", "to archive")
    };
    let _ = writeln!(
        out,
        "{}: {} {}, {} {}, {} {}{}{}{}{}.",
        if applied { "Sync" } else { "Plan" },
        t.create,
        verb.0,
        t.update,
        verb.1,
        t.archive,
        verb.2,
        if t.failed > 0 {
            format!(", {} failed (tried again next cycle)", t.failed)
        } else {
            String::new()
        },
        if t.drift > 0 {
            format!(", {} drift", t.drift)
        } else {
            String::new()
        },
        if t.conflicts > 0 {
            format!(
                ", {} conflict{}",
                t.conflicts,
                if t.conflicts == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        },
        if t.stopped > 0 {
            format!(
                "; {} target{} stopped, nothing done there",
                t.stopped,
                if t.stopped == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        },
    );
}

/// The machine-readable form of a cycle.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub totals: Totals,
    pub targets: Vec<JsonTarget<'a>>,
    pub status_updates: Vec<JsonStatus<'a>>,
    pub conflicts: Vec<JsonConflict<'a>>,
    /// People with no account in a target, once per target, with the line that maps them.
    pub unmapped: &'a [crate::engine::UnmappedPerson],
}

#[derive(Debug, Serialize)]
pub struct JsonTarget<'a> {
    pub target: &'a str,
    pub error: Option<String>,
    pub stopped: Option<&'a str>,
    pub plan: Option<&'a crate::reconcile::TargetPlan>,
    pub failed: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
pub struct JsonStatus<'a> {
    pub identity: &'a str,
    pub state: throughline_connector::State,
    /// Why, when the state is blocked and someone said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    pub target: &'a str,
    pub person: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct JsonConflict<'a> {
    pub identity: &'a str,
    pub winner: Option<&'a str>,
    pub state: throughline_connector::State,
    pub said: Vec<(String, throughline_connector::State)>,
}

pub fn json(report: &CycleReport, applied: bool) -> JsonReport<'_> {
    JsonReport {
        totals: totals(report, applied),
        targets: report
            .targets
            .iter()
            .map(|o| JsonTarget {
                target: &o.target,
                error: o.observe_error.as_ref().map(|e| e.to_string()),
                stopped: o.stopped.as_deref(),
                plan: o.plan.as_ref(),
                failed: o
                    .failed
                    .iter()
                    .map(|(i, e)| (i.clone(), e.to_string()))
                    .collect(),
            })
            .collect(),
        status_updates: report
            .status_updates
            .iter()
            .map(|u| JsonStatus {
                identity: &u.identity,
                state: u.state,
                reason: u.reason.as_deref(),
                target: &u.target,
                person: u.person.as_deref(),
            })
            .collect(),
        conflicts: report
            .conflicts
            .iter()
            .map(|c| JsonConflict {
                identity: &c.identity,
                winner: c.winner.as_deref(),
                state: c.state,
                said: c
                    .pulls
                    .iter()
                    .map(|p| (p.target.clone(), p.state))
                    .collect(),
            })
            .collect(),
        unmapped: &report.unmapped,
    }
}
