//! Handoffs: after each cycle, a task whose every earlier stage is now done gets its "your
//! turn" notice at once, not at the next digest.
//!
//! The state store keeps each handoff (`handoffs`): a task is added once, when the daemon
//! first sees it ready, and marked sent when its notice went out by every channel, so it is
//! never sent twice (a restart, a stage unticked and ticked again), and a notice that could
//! not go out is tried again after the next cycle. The first time handoffs are looked at with
//! a channel to send by, the tasks ready already are recorded as handed off without a notice:
//! turning notices on does not flood everyone with old news.

use std::collections::HashSet;

use jiff::Timestamp;
use throughline_connector::State;

use super::Service;
use crate::daemon::handoff::{self, Place};
use crate::schedule::{Schedule, Task, waits_for};
use crate::state::Handoff;

/// Recorded in the notices once the tasks ready before handoffs were tracked are recorded.
const BASELINE: &str = "handoff/baseline";

impl Service {
    /// Record the tasks that became ready in this cycle and send every notice still due.
    pub(super) async fn handoffs(&mut self, schedule: &Schedule, now: Timestamp) {
        if self.notifier.channels().is_empty() {
            return;
        }
        if let Err(e) = self.record_ready(schedule, now) {
            tracing::error!(error = %e, "cannot record handoffs; they wait for the next cycle");
            return;
        }
        let pending = match self.store.handoffs() {
            Ok(all) => all.into_iter().filter(|h| h.sent_at.is_none()),
            Err(e) => {
                tracing::error!(error = %e, "cannot read handoffs; they wait for the next cycle");
                return;
            }
        };
        for h in pending.collect::<Vec<_>>() {
            let Some(task) = schedule.tasks.iter().find(|t| t.id == h.identity.as_str()) else {
                // The item left the plan: there is nothing to hand over.
                continue;
            };
            let notice = self.handoff_notice(schedule, task, &h.owner);
            let key = format!("handoff/{}", h.identity);
            if self.send_once("handoff", &key, &notice).await
                && let Err(e) = self.store.handoff_sent(h.identity.as_str(), now)
            {
                tracing::error!(error = %e, task = %h.identity, "handoff sent, but cannot record it");
            }
        }
    }

    /// Add every task that is ready now (each earlier stage done, itself not) and has no
    /// handoff yet.
    fn record_ready(
        &mut self,
        schedule: &Schedule,
        now: Timestamp,
    ) -> Result<(), crate::state::StateError> {
        let done: HashSet<String> = self
            .store
            .statuses()?
            .into_iter()
            .filter(|s| s.state == State::Done)
            .map(|s| s.identity.to_string())
            .collect();
        let known: HashSet<String> = self
            .store
            .handoffs()?
            .into_iter()
            .map(|h| h.identity.to_string())
            .collect();
        let baseline = !self.store.notice_sent(BASELINE)?;
        let waits = waits_for(&self.dep, schedule);
        for t in &schedule.tasks {
            let Some(before) = waits.get(&t.id) else {
                continue;
            };
            let Some(owner) = &t.owner else { continue };
            if done.contains(&t.id)
                || known.contains(&t.id)
                || !before.iter().all(|b| done.contains(b))
            {
                continue;
            }
            self.store.add_handoff(&Handoff {
                identity: t.id.as_str().into(),
                owner: owner.clone(),
                ready_at: now,
                sent_at: baseline.then_some(now),
            })?;
            if !baseline {
                tracing::info!(task = %t.id, owner = %owner, "every stage before it is done: handing it over");
            }
        }
        if baseline {
            self.store.record_notice(BASELINE, now)?;
        }
        Ok(())
    }

    fn handoff_notice(
        &self,
        schedule: &Schedule,
        task: &Task,
        to: &str,
    ) -> crate::daemon::notify::Notice {
        let process = self.dep.process(&task.process);
        let after: Vec<String> = waits_for(&self.dep, schedule)
            .remove(&task.id)
            .unwrap_or_default()
            .iter()
            .filter_map(|id| schedule.tasks.iter().find(|t| &t.id == id))
            .map(|t| t.stage_name.clone())
            .collect();
        let done: HashSet<String> = self
            .store
            .statuses()
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.state == State::Done)
            .map(|s| s.identity.to_string())
            .collect();
        handoff::render(&handoff::Handoff {
            task,
            after,
            lang: process.map(|p| p.lang).unwrap_or_default(),
            process_name: process.map(|p| p.name.as_str()).unwrap_or(&task.process),
            to,
            greet: self.dep.name_of(to).unwrap_or(to),
            checklist: task
                .checklist
                .iter()
                .map(|e| (e.text.clone(), done.contains(&e.id)))
                .collect(),
            places: self.places(task),
        })
    }

    /// Where the task is in each tool that holds it, as the state store's links know it.
    fn places(&self, task: &Task) -> Vec<Place> {
        let mut out = Vec::new();
        for target in &self.dep.targets {
            let Ok(links) = self.store.links(&target.id) else {
                continue;
            };
            let Some(link) = links
                .iter()
                .find(|l| !l.archived && l.identity.as_str() == task.id)
            else {
                continue;
            };
            let tool = target.kind.tool();
            let at = match tool
                .local_file
                .and_then(|(key, _)| crate::engine::connectors::target_path(&self.dep, target, key))
            {
                Some(path) => format!("{}, the row of {}", path.display(), task.id),
                None => tool
                    .task_url
                    .and_then(|url| url(&target.settings, &link.remote_id))
                    .unwrap_or_else(|| format!("{} {}", tool.spec.tool, link.remote_id)),
            };
            out.push(Place {
                tool: tool.spec.tool.to_string(),
                target: target.id.clone(),
                at,
            });
        }
        out
    }
}
