//! The safety stops, in the order of the table in [`crate::reconcile`]'s docs.

use std::collections::HashMap;

use throughline_connector::Change;

use super::{ChangeKind, HeldBack, Planner, SafetyStop, StopKind};
use crate::state::Link;

impl Planner<'_> {
    /// The stops, in the order they are checked; the first that fires stops the target, and
    /// the plan keeps only what it would have done, as counts.
    pub(super) fn safety_stops(&mut self, task_links: &HashMap<&str, &Link>) {
        if let Some((kind, reason)) = self.stop_reason(task_links) {
            let (create, update, archive) = self.plan.counts();
            self.plan.changes.clear();
            self.plan.bookkeeping.clear();
            self.plan.stop = Some(SafetyStop {
                kind,
                reason,
                held_back: HeldBack {
                    create,
                    update,
                    archive,
                },
            });
        }
    }

    fn stop_reason(&self, task_links: &HashMap<&str, &Link>) -> Option<(StopKind, String)> {
        let live = task_links.values().filter(|l| !l.archived).count();
        self.presence_stop(live).or_else(|| self.mass_stop(live))
    }

    /// The first two stops: the target looks empty, or objects fight over an identity.
    fn presence_stop(&self, live: usize) -> Option<(StopKind, String)> {
        let target = self.input.target;
        let observed = self
            .input
            .observation
            .tasks
            .iter()
            .filter(|t| t.identity.is_some())
            .count();
        if live > 0 && observed == 0 {
            return Some((
                StopKind::SuddenlyEmpty,
                format!(
                    "the target suddenly looks empty, but {} linked to it; nothing was changed. \
                     Check that the target's location is right and the tool is reachable. If the target \
                     now points at a new board, spreadsheet or file on purpose, run \
                     `throughline target reset {target}` to forget its old links, then sync again",
                    if live == 1 {
                        "1 task is".to_string()
                    } else {
                        format!("{live} tasks are")
                    }
                ),
            ));
        }
        if !self.adoption.is_empty() {
            let (identity, remotes) = &self.adoption[0];
            let more = match self.adoption.len() {
                1 => String::new(),
                n => format!(" (and {} more identities like it)", n - 1),
            };
            return Some((
                StopKind::AdoptionConflict,
                format!(
                    "{} objects in the tool ({}) all carry the identity of {identity}{more}, and no link says which \
                     one is it; nothing was changed. Remove the throughline line from the ones that are not that \
                     task (or archive them), then sync again",
                    remotes.len(),
                    remotes.join(", ")
                ),
            ));
        }
        None
    }

    /// The mass stops, against the `live` linked tasks: too much archived, re-created or
    /// created at once.
    fn mass_stop(&self, live: usize) -> Option<(StopKind, String)> {
        let input = self.input;
        let target = input.target;
        let tasks = |n: usize| format!("{n} task{}", if n == 1 { "" } else { "s" });
        let percent = |share: f64| format!("{:.0}%", share * 100.0);
        // Counted in tasks, as the links they are measured against: a task's entries come and
        // go with it, and a checklist line dropped from a stage is no mass anything.
        let count = |kind: ChangeKind| {
            self.plan
                .changes
                .iter()
                .filter(|c| {
                    c.kind == kind
                        && matches!(
                            c.change,
                            Change::CreateTask { .. } | Change::ArchiveTask { .. }
                        )
                })
                .count()
        };
        let share = |n: usize| n as f64 / live.max(1) as f64;
        let archives = count(ChangeKind::Archive);
        if !input.allow_mass_archive && archives > 0 && share(archives) > input.max_archive_share {
            return Some((
                StopKind::MassArchive,
                format!(
                    "the plan would archive {archives} of {live} linked tasks ({}, more than the {} allowed by \
                     max_archive_share); nothing was changed. If the items really left the playbook, run sync with \
                     --allow-mass-archive",
                    percent(share(archives)),
                    percent(input.max_archive_share)
                ),
            ));
        }
        let recreates = count(ChangeKind::Recreate);
        // One task is never a mass: a person deleted a card (in a target of two, that is half).
        if !input.allow_recreate && recreates > 1 && share(recreates) > input.max_recreate_share {
            return Some((
                StopKind::MassRecreate,
                format!(
                    "{recreates} of {live} linked tasks are gone from the tool ({}, more than the {} allowed by \
                     max_recreate_share); nothing was re-created. If they were deleted by mistake, run sync once \
                     with --allow-recreate to make them again; if the target now points at a new board, spreadsheet \
                     or file, run `throughline target reset {target}` instead",
                    percent(share(recreates)),
                    percent(input.max_recreate_share)
                ),
            ));
        }
        let creates = count(ChangeKind::Create);
        if input.allow_mass_create {
            return None;
        }
        if creates + recreates > input.max_creates {
            return Some((
                StopKind::MassCreate,
                format!(
                    "the plan would create {} at once, more than the {} allowed by max_creates; nothing was \
                     created. A cadence or a date range that expands too far (a typo in `until`) does this; check \
                     the playbook, or, if it is right, run sync once with --allow-mass-create",
                    tasks(creates + recreates),
                    input.max_creates
                ),
            ));
        }
        if live > 0 && creates > 1 && share(creates) > input.max_create_share {
            return Some((
                StopKind::MassCreate,
                format!(
                    "the plan would create {} in a target that holds {} linked ({}, more than the {} allowed by \
                     max_create_share); nothing was created. A cadence or a date range that expands too far does \
                     this; check the playbook, or, if it is right, run sync once with --allow-mass-create",
                    tasks(creates),
                    live,
                    percent(share(creates)),
                    percent(input.max_create_share)
                ),
            ));
        }
        None
    }
}
