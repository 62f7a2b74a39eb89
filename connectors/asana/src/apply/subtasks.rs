//! Subtasks (checklist entries): of new tasks one round per checklist position, of existing
//! tasks one at a time per task, each moved to its place.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{Value, json};
use throughline_connector::{Change, ConnectorError, Identity};

use super::{Tally, learn_assignee};
use crate::AsanaConnector;
use crate::client::Action;
use crate::codec::{Carrier, RemoteTask, TASK_FIELDS};
use crate::observe::Snapshot;

impl AsanaConnector {
    /// The subtasks of new tasks, one round per checklist position, so they keep their order.
    /// The entries made, by change; a task whose subtask failed gets no later ones (the next
    /// cycle makes them at their place).
    pub(super) async fn new_tasks_subtasks(
        &self,
        snap: &mut Snapshot,
        carrier: &Carrier,
        changes: &[Change],
        created: &BTreeMap<usize, String>,
    ) -> BTreeMap<usize, Vec<(Identity, String)>> {
        let mut entries: BTreeMap<usize, Vec<(Identity, String)>> = BTreeMap::new();
        let mut open: BTreeSet<usize> = created.keys().copied().collect();
        let longest = changes
            .iter()
            .map(|c| match c {
                Change::CreateTask { task } => task.entries.len(),
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        for k in 0..longest {
            let mut actions = Vec::new();
            let mut owners = Vec::new();
            for &i in &open {
                let Change::CreateTask { task } = &changes[i] else {
                    continue;
                };
                let Some(entry) = task.entries.get(k) else {
                    continue;
                };
                let parent = &created[&i];
                let codec = self.codec(snap, carrier);
                actions.push(
                    Action::new(Method::POST, format!("/tasks/{parent}/subtasks"))
                        .data(json!(self.entry_data(&codec, entry, true)))
                        .fields(TASK_FIELDS),
                );
                owners.push(i);
            }
            if actions.is_empty() {
                break;
            }
            let sent: Vec<Option<Value>> = actions.iter().map(|a| a.data.clone()).collect();
            let answers = self.api.batch(actions).await;
            for ((i, answer), sent) in owners.into_iter().zip(answers).zip(sent) {
                let parsed = answer.and_then(|body| {
                    RemoteTask::from_json(&body["data"]).map_err(|e| ConnectorError::Fatal {
                        message: format!("Asana answered a new subtask throughline cannot read ({e}). Please report this."),
                    })
                });
                match parsed {
                    Ok(sub) => {
                        learn_assignee(snap, sent.as_ref(), &sub);
                        let Change::CreateTask { task } = &changes[i] else {
                            continue;
                        };
                        entries
                            .entry(i)
                            .or_default()
                            .push((task.entries[k].identity.clone(), sub.gid.clone()));
                        snap.add_subtask(&created[&i], sub, None);
                    }
                    Err(e) => {
                        // The task stands; the missing entries are created at their place
                        // next cycle.
                        tracing::warn!(error = %e, "a checklist subtask was not created");
                        open.remove(&i);
                    }
                }
            }
        }
        entries
    }

    /// New subtasks of existing tasks: per task, one at a time in the order the engine gave,
    /// each created then moved to its place, all tasks together in each round.
    pub(super) async fn create_entries(
        &self,
        snap: &mut Snapshot,
        carrier: &Carrier,
        changes: &[Change],
        tallies: &mut [Tally],
    ) {
        let mut queues: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, change) in changes.iter().enumerate() {
            if let Change::CreateEntry {
                parent_remote_id, ..
            } = change
            {
                queues.entry(parent_remote_id.as_str()).or_default().push(i);
            }
        }
        let rounds = queues.values().map(Vec::len).max().unwrap_or(0);
        for round in 0..rounds {
            let batch: Vec<usize> = queues
                .values()
                .filter_map(|q| q.get(round).copied())
                .collect();
            let mut actions = Vec::new();
            for &i in &batch {
                let Change::CreateEntry {
                    parent_remote_id,
                    entry,
                    ..
                } = &changes[i]
                else {
                    continue;
                };
                let codec = self.codec(snap, carrier);
                actions.push(
                    Action::new(Method::POST, format!("/tasks/{parent_remote_id}/subtasks"))
                        .data(Value::Object(self.entry_data(&codec, entry, true)))
                        .fields(TASK_FIELDS),
                );
            }
            let sent: Vec<Option<Value>> = actions.iter().map(|a| a.data.clone()).collect();
            let answers = self.api.batch(actions).await;
            let mut moves = Vec::new();
            let mut moved = Vec::new();
            for ((&i, answer), sent) in batch.iter().zip(answers).zip(sent) {
                let Change::CreateEntry {
                    parent_remote_id,
                    index,
                    ..
                } = &changes[i]
                else {
                    continue;
                };
                let sub = answer.and_then(|body| {
                    RemoteTask::from_json(&body["data"]).map_err(|e| ConnectorError::Fatal {
                        message: format!("Asana answered a new subtask throughline cannot read ({e}). Please report this."),
                    })
                });
                match sub {
                    Ok(sub) => {
                        learn_assignee(snap, sent.as_ref(), &sub);
                        tallies[i].created = Some(sub.gid.clone());
                        tallies[i].version = sub.modified_at.map(crate::codec::format_timestamp);
                        if let Some(action) =
                            self.place_subtask(snap, parent_remote_id, *index, sub)
                        {
                            moves.push(action);
                            moved.push(i);
                        }
                    }
                    Err(e) => tallies[i].fail(e),
                }
            }
            for (i, answer) in moved.into_iter().zip(self.api.batch(moves).await) {
                if let Err(e) = answer {
                    // The subtask exists; it is at the end instead of its place.
                    tracing::warn!(error = %e, "a new subtask could not be moved to its place");
                    let gid = tallies[i].created.clone().unwrap_or_default();
                    if let Change::CreateEntry {
                        parent_remote_id, ..
                    } = &changes[i]
                    {
                        snap.subtask_to_end(parent_remote_id, &gid);
                    }
                }
            }
        }
    }

    /// Records a new subtask in the snapshot at its place among the live subtasks; the move
    /// that puts it there in Asana, unless it belongs at the end (where Asana created it).
    fn place_subtask(
        &self,
        snap: &mut Snapshot,
        parent_remote_id: &str,
        index: usize,
        sub: RemoteTask,
    ) -> Option<Action> {
        let archive = &self.settings.mapping.archive_tag;
        let list: &[RemoteTask] = snap
            .subtasks
            .get(parent_remote_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let live: Vec<&RemoteTask> = list.iter().filter(|s| !s.has_tag(archive)).collect();
        let (action, at) = match live.get(index) {
            Some(before) => (
                Some(
                    Action::new(Method::POST, format!("/tasks/{}/setParent", sub.gid))
                        .data(json!({"parent": parent_remote_id, "insert_before": before.gid}))
                        .fields(TASK_FIELDS),
                ),
                list.iter().position(|s| s.gid == before.gid),
            ),
            None => (None, None),
        };
        snap.add_subtask(parent_remote_id, sub, at);
        action
    }
}
