//! A task that is there, linked or adopted: its fields pushed or their drift decided, its
//! status pulled or pushed, then its entries.

use serde::Serialize;
use serde_json::Value;
use throughline_connector::{Change, DesiredTask, ObservedTask, State};

use super::{
    ChangeKind, LinkAfter, PlannedChange, Planner, context_with_reason, hub_reason, hub_state,
    kept_state, quoted, show, shown_reason,
};
use crate::reconcile::fields::{self, FieldDecision, PushedRecord, to_map};
use crate::state::Link;

/// A task's state and blocked reason as the hub wants them and as the tool holds them.
struct TaskStatus {
    want: State,
    now: State,
    want_reason: Option<String>,
    now_reason: Option<String>,
}

impl Planner<'_> {
    pub(super) fn existing(
        &mut self,
        d: &DesiredTask,
        link: Option<&Link>,
        o: &ObservedTask,
        elinks: &[&Link],
    ) {
        let caps = self.input.capabilities;
        let desired = caps.task_fields(&d.fields);
        let observed = caps.task_fields(&o.fields);
        let fd = self.field_decision(link, &desired, &observed, fields::task_record_json);
        self.drift(&d.identity, &fd, &o.modified_by);
        let status = self.task_status(d, link, o);
        self.push_task(d, link, o, &fd, status);
        self.entries(d, o, elinks);
    }

    /// What the hub moved (to push) and what the tool moved (drift), field by field, against
    /// the record the link keeps of what was last pushed.
    pub(super) fn field_decision<T: Serialize + PartialEq>(
        &self,
        link: Option<&Link>,
        desired: &T,
        observed: &T,
        record_json: fn(&T) -> String,
    ) -> FieldDecision {
        match link.and_then(|l| l.pushed.as_deref()) {
            // Most objects in most cycles: the tool shows exactly what was last pushed.
            Some(pushed) if desired == observed && pushed == record_json(desired) => {
                FieldDecision::unchanged(pushed)
            }
            _ => {
                let pushed = link.and_then(|l| PushedRecord::parse(l.pushed.as_deref()));
                fields::decide(
                    &to_map(desired),
                    pushed.as_ref(),
                    &to_map(observed),
                    self.input.drift,
                )
            }
        }
    }

    /// The task's status both ways; what the tool moved since last pulled is pulled.
    fn task_status(
        &mut self,
        d: &DesiredTask,
        link: Option<&Link>,
        o: &ObservedTask,
    ) -> TaskStatus {
        let caps = self.input.capabilities;
        let want = caps.state(hub_state(self.input.hub, &d.identity));
        let now = caps.state(kept_state(o, link.and_then(|l| l.pulled)));
        // A blocked task's reason, where the tool has a place for it, moves with its state.
        let holds = o.status_cells.holds_reason;
        let hub_reason = hub_reason(self.input.hub, &d.identity);
        let want_reason = shown_reason(want, holds, hub_reason.as_deref());
        let now_reason = shown_reason(now, holds, o.status_cells.blocked_reason.as_deref());
        // Without history, what the tool holds is told even when it equals the hub's: another
        // tool may disagree, and then nothing says who moved (the conflict policy does).
        let (tool_moved, unlinked) = match link.and_then(|l| l.pulled.map(|s| (s, l))) {
            Some((last, l)) => {
                let last = caps.state(last);
                let last_reason = shown_reason(last, holds, l.pulled_reason.as_deref());
                (now != last || now_reason != last_reason, false)
            }
            None => match self.input.created.get(&d.identity) {
                Some(created) => (now != caps.state(*created), false),
                None => (true, true),
            },
        };
        if tool_moved {
            self.pull(
                &d.identity,
                now,
                (now_reason.clone(), holds),
                caps.states,
                o.modified,
                &o.modified_by,
                unlinked,
            );
        }
        TaskStatus {
            want,
            now,
            want_reason,
            now_reason,
        }
    }

    /// An update when fields or status differ (or the task is to be revived), else the link
    /// brought up to date when it is behind.
    fn push_task(
        &mut self,
        d: &DesiredTask,
        link: Option<&Link>,
        o: &ObservedTask,
        fd: &FieldDecision,
        st: TaskStatus,
    ) {
        // Grid tools: the status and done columns are written again when they disagree, or
        // when an unknown word's note is to be added or cleared, though the state is the same.
        let rewrite = o.status_cells.rewrite() && !o.archived;
        let push_state = st.now != st.want || st.now_reason != st.want_reason || rewrite;
        let record = fd.record_json();
        if !fd.push.is_empty() || push_state || o.archived {
            let details = task_details(o, fd, push_state, &st);
            self.plan.changes.push(PlannedChange {
                kind: if o.archived {
                    ChangeKind::Revive
                } else {
                    ChangeKind::Update
                },
                change: Change::UpdateTask {
                    remote_id: o.remote_id.clone(),
                    identity: d.identity.clone(),
                    context: context_with_reason(d, self.input.hub),
                    fields: (!fd.push.is_empty()).then(|| fields::from_map(fd.send.clone())),
                    previous: Some(o.fields.clone()),
                    state: push_state.then_some(st.want),
                    unarchive: o.archived,
                },
                details,
                links: vec![LinkAfter {
                    identity: d.identity.clone(),
                    parent: None,
                    remote_id: Some(o.remote_id.clone()),
                    pushed: Some(record),
                    pulled: Some(st.want),
                    pulled_reason: st.want_reason,
                    archived: false,
                    version: o.version.clone(),
                }],
            });
        } else if link.is_none_or(|l| {
            l.pushed.as_deref() != Some(record.as_str())
                || l.pulled != Some(st.now)
                || l.pulled_reason != st.now_reason
                || l.archived
                || l.remote_id != o.remote_id
        }) {
            self.plan.bookkeeping.push(LinkAfter {
                identity: d.identity.clone(),
                parent: None,
                remote_id: Some(o.remote_id.clone()),
                pushed: Some(record),
                pulled: Some(st.now),
                pulled_reason: st.now_reason,
                archived: false,
                version: o.version.clone(),
            });
        }
    }
}

/// The plan lines of one field each: `title: "old" → "new"`.
pub(super) fn field_details<T: Serialize>(fd: &FieldDecision, observed: &T) -> Vec<String> {
    let observed = to_map(observed);
    fd.push
        .iter()
        .map(|f| {
            format!(
                "{f}: {} → {}",
                show(observed.get(f).unwrap_or(&Value::Null)),
                show(&fd.send[f])
            )
        })
        .collect()
}

/// What a task update changes, line by line, as the plan shows it.
fn task_details(
    o: &ObservedTask,
    fd: &FieldDecision,
    push_state: bool,
    st: &TaskStatus,
) -> Vec<String> {
    let (now, want) = (st.now, st.want);
    let mut details = field_details(fd, &o.fields);
    if push_state {
        let cells = &o.status_cells;
        details.push(match &cells.unknown {
            Some(u) => format!(
                "status: {}: \"{}\" in {} is left as typed (not a status word); its \
                 note names the accepted words",
                if now == want {
                    format!("stays {want}")
                } else {
                    format!("{now} → {want} (the done column only)")
                },
                u.word,
                u.cell
            ),
            None if now == want && st.now_reason != st.want_reason => format!(
                "status: blocked, reason: {} → {}",
                quoted(st.now_reason.as_deref()),
                quoted(st.want_reason.as_deref())
            ),
            None if now == want && cells.disagree => {
                format!("status: {want}, the status and done columns brought back into agreement")
            }
            None if now == want => format!("status: {want}, the cell's note cleared"),
            None => match &st.want_reason {
                Some(r) => format!("status: {now} → {want} ({r})"),
                None => format!("status: {now} → {want}"),
            },
        });
    }
    if o.archived {
        details.insert(
            0,
            "archived in the tool, but still in the playbook: brought back".to_string(),
        );
    }
    details
}
