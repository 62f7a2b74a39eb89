//! A task's checklist entries: created at their place, updated, pulled (checked or not),
//! archived when they left the stage's checklist, and unknown ones reported.

use std::collections::{HashMap, HashSet};

use throughline_connector::{
    Change, DesiredEntry, DesiredTask, ObservedEntry, ObservedTask, State, StateSupport,
};

use super::finder::Finder;
use super::task::field_details;
use super::{
    ChangeKind, LinkAfter, PlannedChange, Planner, Unknown, checked_state, hub_state, record_of,
};
use crate::reconcile::fields;
use crate::state::Link;

impl Planner<'_> {
    pub(super) fn entries(&mut self, d: &DesiredTask, o: &ObservedTask, elinks: &[&Link]) {
        let links: HashMap<&str, &Link> =
            elinks.iter().map(|l| (l.identity.as_str(), *l)).collect();
        let mut finder = Finder::new(&o.entries);
        let desired_ids: HashSet<&str> = d.entries.iter().map(|e| e.identity.as_str()).collect();
        for (index, e) in d.entries.iter().enumerate() {
            let link = links.get(e.identity.as_str()).copied();
            let remote = link.map(|l| l.remote_id.as_str());
            let rivals = finder.rivals(remote, &e.identity);
            if !rivals.is_empty() {
                self.rivals(&e.identity, rivals.iter().map(|o| &o.remote_id));
                continue;
            }
            match finder.claim(remote, &e.identity) {
                None => self.create_entry(d, o, index, e, link.is_some()),
                Some(oe) => self.existing_entry(d, o, e, link, oe),
            }
        }
        let mut gone: Vec<&Link> = elinks
            .iter()
            .copied()
            .filter(|l| !desired_ids.contains(l.identity.as_str()))
            .collect();
        gone.sort_by(|a, b| a.identity.cmp(&b.identity));
        for l in gone {
            let claimed = finder.claim(Some(&l.remote_id), &l.identity);
            self.gone_entry(o, l, claimed);
        }
        let known: HashSet<&str> = desired_ids
            .iter()
            .copied()
            .chain(links.keys().copied())
            .collect();
        for oe in finder.unclaimed() {
            self.unknown_entry(d, oe, &known);
        }
    }

    /// A desired entry the tool does not have: created at its place (re-created when linked).
    fn create_entry(
        &mut self,
        d: &DesiredTask,
        o: &ObservedTask,
        index: usize,
        e: &DesiredEntry,
        linked: bool,
    ) {
        let entry = self.desired_entry(e);
        let link_after = LinkAfter {
            identity: e.identity.clone(),
            parent: Some(d.identity.clone()),
            remote_id: None,
            pushed: Some(record_of(&entry.fields).to_json()),
            pulled: Some(checked_state(entry.checked)),
            pulled_reason: None,
            archived: false,
            version: None,
        };
        self.plan.changes.push(PlannedChange {
            kind: if linked {
                ChangeKind::Recreate
            } else {
                ChangeKind::Create
            },
            change: Change::CreateEntry {
                parent_remote_id: o.remote_id.clone(),
                parent_identity: d.identity.clone(),
                context: d.context.clone(),
                index,
                entry,
            },
            details: Vec::new(),
            links: vec![link_after],
        });
    }

    /// An entry that is there: its fields as a task's, its tick pulled when the tool moved it
    /// and pushed when the hub's differs.
    fn existing_entry(
        &mut self,
        d: &DesiredTask,
        o: &ObservedTask,
        e: &DesiredEntry,
        link: Option<&Link>,
        oe: &ObservedEntry,
    ) {
        let caps = self.input.capabilities;
        let desired = caps.entry_fields(&e.fields);
        let observed = caps.entry_fields(&oe.fields);
        let fd = self.field_decision(link, &desired, &observed, fields::entry_record_json);
        self.drift(&e.identity, &fd, &oe.modified_by);
        let want = hub_state(self.input.hub, &e.identity) == State::Done;
        let (tool_moved, unlinked) = match link.and_then(|l| l.pulled) {
            Some(last) => (oe.checked != (last == State::Done), false),
            None => match self.input.created.get(&e.identity) {
                Some(created) => (oe.checked != (*created == State::Done), false),
                None => (true, true),
            },
        };
        if tool_moved {
            self.pull(
                &e.identity,
                checked_state(oe.checked),
                (None, false),
                StateSupport::DoneOrNot,
                oe.modified,
                &oe.modified_by,
                unlinked,
            );
        }
        let push_checked = oe.checked != want;
        let record = fd.record_json();
        let after = |pulled: bool| LinkAfter {
            identity: e.identity.clone(),
            parent: Some(d.identity.clone()),
            remote_id: Some(oe.remote_id.clone()),
            pushed: Some(record.clone()),
            pulled: Some(checked_state(pulled)),
            pulled_reason: None,
            archived: false,
            version: None,
        };
        if !fd.push.is_empty() || push_checked || oe.archived {
            let mut details = field_details(&fd, &oe.fields);
            if push_checked {
                let yes = |b: bool| if b { "yes" } else { "no" };
                details.push(format!("checked: {} → {}", yes(oe.checked), yes(want)));
            }
            self.plan.changes.push(PlannedChange {
                kind: if oe.archived {
                    ChangeKind::Revive
                } else {
                    ChangeKind::Update
                },
                change: Change::UpdateEntry {
                    parent_remote_id: o.remote_id.clone(),
                    remote_id: oe.remote_id.clone(),
                    identity: e.identity.clone(),
                    fields: (!fd.push.is_empty()).then(|| fields::from_map(fd.send.clone())),
                    checked: push_checked.then_some(want),
                    unarchive: oe.archived,
                },
                details,
                links: vec![after(want)],
            });
        } else if link.is_none_or(|l| {
            l.pushed.as_deref() != Some(record.as_str())
                || l.pulled != Some(checked_state(oe.checked))
                || l.archived
                || l.remote_id != oe.remote_id
        }) {
            self.plan.bookkeeping.push(after(oe.checked));
        }
    }

    /// A linked entry no longer in the stage's checklist: archived when the tool still shows
    /// it, else its link marked archived.
    fn gone_entry(&mut self, o: &ObservedTask, l: &Link, claimed: Option<&ObservedEntry>) {
        let archived_link = |remote_id: &str| LinkAfter {
            identity: l.identity.clone(),
            parent: l.parent.clone(),
            remote_id: Some(remote_id.to_string()),
            pushed: l.pushed.clone(),
            pulled: l.pulled,
            pulled_reason: l.pulled_reason.clone(),
            archived: true,
            version: None,
        };
        match claimed {
            Some(oe) if !oe.archived && !l.archived => self.plan.changes.push(PlannedChange {
                kind: ChangeKind::Archive,
                change: Change::ArchiveEntry {
                    parent_remote_id: o.remote_id.clone(),
                    remote_id: oe.remote_id.clone(),
                    identity: l.identity.clone(),
                },
                details: vec![
                    "no longer in the stage's checklist: archived, not deleted".to_string(),
                ],
                links: vec![archived_link(&oe.remote_id)],
            }),
            Some(_) | None if !l.archived => {
                self.plan.bookkeeping.push(archived_link(&l.remote_id));
            }
            _ => {}
        }
    }

    /// An entry no one claimed that carries an identity: reported, never touched (an archived
    /// copy of a known entry is not worth a line).
    fn unknown_entry(&mut self, d: &DesiredTask, oe: &ObservedEntry, known: &HashSet<&str>) {
        let Some(identity) = &oe.identity else {
            return;
        };
        if oe.archived && known.contains(identity.as_str()) {
            return;
        }
        self.plan.unknown.push(Unknown {
            remote_id: oe.remote_id.clone(),
            identity: identity.clone(),
            reason: if known.contains(identity.as_str()) {
                "a second copy of a checklist entry; left alone".to_string()
            } else {
                format!(
                    "a checklist entry of {} that this deployment does not have; left alone",
                    d.identity
                )
            },
        });
    }
}
