//! Applying a cycle's changes in rounds of `/batch` requests: sections and tags first, then
//! tasks, then subtasks (the k-th subtask of every new task in round k, so checklists keep
//! their order though Asana runs a batch's actions in no set order).

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Map, Value, json};
use throughline_connector::change_view::{ChangeView, EntryArchive, TaskArchive};
use throughline_connector::{
    Applied, Change, ConnectorError, DesiredEntry, DesiredTask, Identity, State, TaskContext,
    TaskFields,
};

use crate::AsanaConnector;
use crate::client::Action;
use crate::codec::{Carrier, Codec, Named, RemoteTask, TASK_FIELDS};
use crate::mapping::ChannelAs;
use crate::observe::Snapshot;

mod prepare;
mod subtasks;

use prepare::Prepared;

type Outcome = Result<Applied, ConnectorError>;

/// The answers of one change's actions, merged into its result.
#[derive(Default)]
struct Tally {
    error: Option<ConnectorError>,
    version: Option<String>,
    /// The gid of a subtask this change created.
    created: Option<String>,
}

impl Tally {
    fn fail(&mut self, e: ConnectorError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }
}

/// What an action of the task round does for its change.
enum Role {
    Create,
    Put,
    /// Asana answers tag and section changes with an empty object: the snapshot is updated
    /// as they said, so this process sees its own write.
    Other(Effect),
}

enum Effect {
    AddTag { task: String, tag: Named },
    RemoveTag { task: String, tag: String },
    Move { task: String, section: Named },
}

impl AsanaConnector {
    pub(crate) async fn apply_changes(&mut self, changes: &[Change]) -> Vec<Outcome> {
        let mut snap = match self.snapshot.clone() {
            Some(s) => s,
            None => match self.observe_from(None).await {
                Ok(_) => self.snapshot.clone().expect("observe keeps a snapshot"),
                Err(e) => return vec![Err(e); changes.len()],
            },
        };
        let results = self.apply_rounds(&mut snap, changes).await;
        snap.generation += 1;
        self.snapshot = Some(snap);
        results
    }

    async fn apply_rounds(&self, snap: &mut Snapshot, changes: &[Change]) -> Vec<Outcome> {
        let oauth = self.settings.auth.is_oauth();
        let carrier = snap.carrier(oauth);
        let mut tallies: Vec<Tally> = changes.iter().map(|_| Tally::default()).collect();

        // Sections and tags the changes need.
        let sections = self.ensure_sections(snap, changes).await;
        let tags = self.ensure_tags(snap, changes).await;

        let rounds = Rounds {
            carrier: &carrier,
            sections: &sections,
            tags: &tags,
        };
        let created = self.task_writes(snap, &rounds, changes, &mut tallies).await;
        let mut entries = self
            .new_tasks_subtasks(snap, &carrier, changes, &created)
            .await;

        // New checklist entries of existing tasks.
        self.create_entries(snap, &carrier, changes, &mut tallies)
            .await;

        outcomes(snap, changes, tallies, &created, &mut entries)
    }

    /// The task round: every change's task write in one batch. The gids of the tasks made, by
    /// change.
    async fn task_writes(
        &self,
        snap: &mut Snapshot,
        rounds: &Rounds<'_>,
        changes: &[Change],
        tallies: &mut [Tally],
    ) -> BTreeMap<usize, String> {
        // The task round.
        let mut actions = Vec::new();
        let mut owners: Vec<(usize, Role)> = Vec::new();
        for (i, change) in changes.iter().enumerate() {
            let codec = self.codec(snap, rounds.carrier);
            match self.task_round(snap, &codec, change, rounds.sections, rounds.tags) {
                Ok(list) => {
                    for (role, action) in list {
                        owners.push((i, role));
                        actions.push(action);
                    }
                }
                Err(e) => tallies[i].fail(e),
            }
        }
        let sent: Vec<Option<Value>> = actions.iter().map(|a| a.data.clone()).collect();
        let answers = self.api.batch(actions).await;
        let mut created: BTreeMap<usize, String> = BTreeMap::new();
        for (((i, role), answer), sent) in owners.into_iter().zip(answers).zip(sent) {
            match answer {
                Ok(body) => {
                    let task = RemoteTask::from_json(&body["data"]).ok();
                    if let Some(t) = &task {
                        learn_assignee(snap, sent.as_ref(), t);
                    }
                    match (role, task) {
                        (Role::Create, Some(t)) => {
                            tallies[i].version = t.modified_at.map(crate::codec::format_timestamp);
                            created.insert(i, t.gid.clone());
                            snap.learn_tags(&t);
                            snap.tasks.push(t);
                        }
                        (Role::Put, Some(t)) => {
                            tallies[i].version = t.modified_at.map(crate::codec::format_timestamp);
                            store(snap, t);
                        }
                        (Role::Other(effect), _) => after(snap, effect, &self.settings.project),
                        (_, None) => tallies[i].fail(ConnectorError::Fatal {
                            message: "Asana answered a write without the task. Please report this."
                                .into(),
                        }),
                    }
                }
                Err(e) => tallies[i].fail(e),
            }
        }
        created
    }

    /// The actions of one change in the task round.
    fn task_round(
        &self,
        snap: &Snapshot,
        codec: &Codec<'_>,
        change: &Change,
        sections: &BTreeMap<String, Result<String, ConnectorError>>,
        tags: &BTreeMap<String, Result<String, ConnectorError>>,
    ) -> Result<Vec<(Role, Action)>, ConnectorError> {
        let prepared = Prepared { sections, tags };
        let archive = &self.settings.mapping.archive_tag;
        let mut out = Vec::new();
        match change.view() {
            ChangeView::CreateTask(task) => {
                out.push(self.create_task(snap, codec, task, &prepared)?);
            }
            ChangeView::UpdateTask(u) => {
                let current = snap.task_index(u.remote_id).map(|i| &snap.tasks[i]);
                let mut data = Map::new();
                if let Some(f) = u.fields {
                    data = self.task_data(codec, snap, u.identity, f, u.context);
                    out.extend(self.move_to_section(snap, current, u.remote_id, f, &prepared)?);
                }
                if let Some(s) = u.state {
                    data.insert("completed".into(), json!(s == State::Done));
                    let reason = u.context.blocked_reason.as_deref();
                    self.blocked_fields(snap, s == State::Blocked, reason, &mut data);
                }
                if !data.is_empty() {
                    out.push(put_task(u.remote_id, data));
                }
                if u.unarchive {
                    out.push(remove_tag(current, u.remote_id, archive, tags)?);
                }
                // The channel's tag goes with the fields: only a field update places it.
                let channel = u.context.channel.as_deref().filter(|_| u.fields.is_some());
                self.update_task_tags(current, u.remote_id, u.state, channel, &prepared, &mut out)?;
            }
            ChangeView::ArchiveTask(TaskArchive { remote_id, .. })
            | ChangeView::ArchiveEntry(EntryArchive { remote_id, .. }) => {
                out.push(add_tag(remote_id, archive, prepared.tag(archive)?));
            }
            ChangeView::UpdateEntry(u) => {
                let mut data = Map::new();
                if let Some(f) = u.fields {
                    data.insert("name".into(), json!(f.text));
                    data.insert("assignee".into(), codec.assignee(f.owner.as_deref()));
                    codec.dates(None, f.due, &mut data);
                }
                if let Some(c) = u.checked {
                    data.insert("completed".into(), json!(c));
                }
                if !data.is_empty() {
                    out.push(put_task(u.remote_id, data));
                }
                if u.unarchive {
                    let current = snap
                        .subtasks
                        .values()
                        .flatten()
                        .find(|s| s.gid == u.remote_id);
                    out.push(remove_tag(current, u.remote_id, archive, tags)?);
                }
            }
            ChangeView::CreateEntry(_) => {}
        }
        Ok(out)
    }

    /// The create of a new task: its fields, its section (or the project), its tags.
    fn create_task(
        &self,
        snap: &Snapshot,
        codec: &Codec<'_>,
        task: &DesiredTask,
        prepared: &Prepared<'_>,
    ) -> Result<(Role, Action), ConnectorError> {
        let mapping = &self.settings.mapping;
        let project = &self.settings.project;
        let mut data = self.task_data(codec, snap, &task.identity, &task.fields, &task.context);
        data.retain(|_, v| !v.is_null());
        data.insert("completed".into(), json!(task.state == State::Done));
        if !task.fields.group.is_empty() {
            let section = prepared.section(&task.fields.group)?;
            data.insert(
                "memberships".into(),
                json!([{"project": project, "section": section}]),
            );
        } else {
            data.insert("projects".into(), json!([project]));
        }
        let mut new_tags = Vec::new();
        if let (ChannelAs::Tag, Some(channel)) = (&mapping.channel, &task.context.channel) {
            new_tags.push(prepared.tag(channel)?);
        }
        let blocked = task.state == State::Blocked;
        if let Some(tag) = self.blocked_tag().filter(|_| blocked) {
            new_tags.push(prepared.tag(tag)?);
        }
        if !new_tags.is_empty() {
            data.insert("tags".into(), json!(new_tags));
        }
        let reason = task.context.blocked_reason.as_deref();
        self.blocked_fields(snap, blocked, reason, &mut data);
        Ok((
            Role::Create,
            Action::new(Method::POST, "/tasks")
                .data(Value::Object(data))
                .fields(TASK_FIELDS),
        ))
    }

    /// The move of an existing task to its group's section, if it is in another one.
    fn move_to_section(
        &self,
        snap: &Snapshot,
        current: Option<&RemoteTask>,
        remote_id: &str,
        f: &TaskFields,
        prepared: &Prepared<'_>,
    ) -> Result<Option<(Role, Action)>, ConnectorError> {
        let current_section = current
            .and_then(|t| t.section_in(&self.settings.project))
            .and_then(|s| snap.section_name(&s.gid).or(Some(s.name.as_str())));
        if f.group.is_empty() || current_section == Some(f.group.as_str()) {
            return Ok(None);
        }
        let section = prepared.section(&f.group)?;
        Ok(Some((
            Role::Other(Effect::Move {
                task: remote_id.to_owned(),
                section: Named {
                    gid: section.clone(),
                    name: f.group.clone(),
                },
            }),
            Action::new(Method::POST, format!("/sections/{section}/addTask"))
                .data(json!({"task": remote_id})),
        )))
    }

    /// The blocked tag shown or taken off with the state, the channel's tag added if missing.
    fn update_task_tags(
        &self,
        current: Option<&RemoteTask>,
        remote_id: &str,
        state: Option<State>,
        channel: Option<&str>,
        prepared: &Prepared<'_>,
        out: &mut Vec<(Role, Action)>,
    ) -> Result<(), ConnectorError> {
        if let (Some(s), Some(tag)) = (state, self.blocked_tag()) {
            let shown = current.is_some_and(|t| t.has_tag(tag));
            if s == State::Blocked && !shown {
                out.push(add_tag(remote_id, tag, prepared.tag(tag)?));
            } else if s != State::Blocked && shown {
                out.push(remove_tag(current, remote_id, tag, prepared.tags)?);
            }
        }
        if let (ChannelAs::Tag, Some(channel)) = (&self.settings.mapping.channel, channel)
            && !current.is_some_and(|t| t.has_tag(channel))
        {
            out.push(add_tag(remote_id, channel, prepared.tag(channel)?));
        }
        Ok(())
    }

    /// Name, notes, assignee, dates and the channel field of a task.
    fn task_data(
        &self,
        codec: &Codec<'_>,
        snap: &Snapshot,
        identity: &str,
        f: &TaskFields,
        context: &TaskContext,
    ) -> Map<String, Value> {
        let mut data = Map::new();
        data.insert("name".into(), json!(f.title));
        data.insert(
            "notes".into(),
            json!(codec.notes(&f.description, identity, false)),
        );
        data.insert("assignee".into(), codec.assignee(f.owner.as_deref()));
        codec.dates(f.start, f.due, &mut data);
        // Sent with every rewrite of the notes: a task that carried its identity in a notes
        // line (made with a personal token before) keeps it, now in `external`.
        if let Carrier::External = codec.carrier {
            data.insert(
                "external".into(),
                json!({"gid": codec.external_gid(identity), "data": identity}),
            );
        }
        let mut custom = Map::new();
        if let Carrier::Field(field) = codec.carrier {
            custom.insert(field.clone(), json!(identity));
        }
        if let (Some(field), Some(channel)) = (&snap.channel_field, &context.channel) {
            if field.options.is_empty() {
                custom.insert(field.gid.clone(), json!(channel));
            } else if let Some(option) = field
                .options
                .iter()
                .find(|(name, _)| name.trim().eq_ignore_ascii_case(channel.trim()))
            {
                custom.insert(field.gid.clone(), json!(option.1));
            }
        }
        if !custom.is_empty() {
            data.insert("custom_fields".into(), Value::Object(custom));
        }
        data
    }

    fn entry_data(
        &self,
        codec: &Codec<'_>,
        entry: &DesiredEntry,
        create: bool,
    ) -> Map<String, Value> {
        let mut data = Map::new();
        data.insert("name".into(), json!(entry.fields.text));
        data.insert(
            "assignee".into(),
            codec.assignee(entry.fields.owner.as_deref()),
        );
        codec.dates(None, entry.fields.due, &mut data);
        data.insert("completed".into(), json!(entry.checked));
        let notes = codec.notes("", &entry.identity, true);
        if !notes.is_empty() {
            data.insert("notes".into(), json!(notes));
        }
        if let Carrier::External = codec.carrier {
            data.insert(
                "external".into(),
                json!({"gid": codec.external_gid(&entry.identity), "data": entry.identity}),
            );
        }
        if create {
            data.retain(|_, v| !v.is_null());
        }
        data
    }
}

/// The update of a task's (or subtask's) own fields.
fn put_task(remote_id: &str, data: Map<String, Value>) -> (Role, Action) {
    (
        Role::Put,
        Action::new(Method::PUT, format!("/tasks/{remote_id}"))
            .data(Value::Object(data))
            .fields(TASK_FIELDS),
    )
}

fn add_tag(remote_id: &str, name: &str, gid: String) -> (Role, Action) {
    let action =
        Action::new(Method::POST, format!("/tasks/{remote_id}/addTag")).data(json!({"tag": gid}));
    let effect = Effect::AddTag {
        task: remote_id.to_owned(),
        tag: Named {
            gid,
            name: name.to_owned(),
        },
    };
    (Role::Other(effect), action)
}

/// The action that takes the archive tag off a task or subtask.
fn remove_tag(
    current: Option<&RemoteTask>,
    remote_id: &str,
    archive: &str,
    tags: &BTreeMap<String, Result<String, ConnectorError>>,
) -> Result<(Role, Action), ConnectorError> {
    let on_task = current.and_then(|t| {
        t.tags
            .iter()
            .find(|tag| tag.name.trim().eq_ignore_ascii_case(archive.trim()))
            .map(|tag| tag.gid.clone())
    });
    let gid = match on_task {
        Some(gid) => gid,
        None => tags.get(archive).cloned().unwrap_or_else(|| {
            Err(ConnectorError::Fatal {
                message: format!("the tag `{archive}` was not prepared"),
            })
        })?,
    };
    let action = Action::new(Method::POST, format!("/tasks/{remote_id}/removeTag"))
        .data(json!({"tag": gid}));
    let effect = Effect::RemoveTag {
        task: remote_id.to_owned(),
        tag: gid,
    };
    Ok((Role::Other(effect), action))
}

/// Keep a task or subtask as Asana answered it.
fn store(snap: &mut Snapshot, t: RemoteTask) {
    snap.learn_tags(&t);
    if let Some(i) = snap.task_index(&t.gid) {
        snap.tasks[i] = t;
    } else if let Some(s) = snap.subtask_mut(&t.gid) {
        *s = t;
    }
}

/// Apply a tag or section change to the snapshot as Asana confirmed it.
fn after(snap: &mut Snapshot, effect: Effect, project: &str) {
    match effect {
        Effect::AddTag { task, tag } => {
            snap.tags.insert(tag.name.clone(), tag.gid.clone());
            if let Some(t) = task_mut(snap, &task)
                && !t.tags.iter().any(|x| x.gid == tag.gid)
            {
                t.tags.push(tag);
            }
        }
        Effect::RemoveTag { task, tag } => {
            if let Some(t) = task_mut(snap, &task) {
                t.tags.retain(|x| x.gid != tag);
            }
        }
        Effect::Move { task, section } => {
            if let Some(t) = task_mut(snap, &task) {
                for m in &mut t.memberships {
                    if m.project.as_ref().is_some_and(|p| p.gid == project) {
                        m.section = Some(section.clone());
                    }
                }
            }
        }
    }
}

fn version_of(snap: &Snapshot, gid: &str) -> Option<String> {
    snap.task_index(gid)
        .map(|i| &snap.tasks[i])
        .or_else(|| snap.subtasks.values().flatten().find(|s| s.gid == gid))
        .and_then(|t| t.modified_at)
        .map(crate::codec::format_timestamp)
}

fn task_mut<'s>(snap: &'s mut Snapshot, gid: &str) -> Option<&'s mut RemoteTask> {
    match snap.task_index(gid) {
        Some(i) => snap.tasks.get_mut(i),
        None => snap.subtask_mut(gid),
    }
}

/// An assignee sent by e-mail address comes back as a user gid: remember who that is, so
/// reading the task back needs no look-up.
fn learn_assignee(snap: &mut Snapshot, sent: Option<&Value>, answer: &RemoteTask) {
    let email = sent
        .and_then(|d| d["assignee"].as_str())
        .filter(|a| a.contains('@'));
    if let (Some(email), Some(user)) = (email, &answer.assignee) {
        snap.users
            .entry(user.gid.clone())
            .or_insert_with(|| email.to_owned());
    }
}

/// One result per change, in order, from what the rounds did.
fn outcomes(
    snap: &Snapshot,
    changes: &[Change],
    mut tallies: Vec<Tally>,
    created: &BTreeMap<usize, String>,
    entries: &mut BTreeMap<usize, Vec<(Identity, String)>>,
) -> Vec<Outcome> {
    changes
        .iter()
        .enumerate()
        .map(|(i, change)| {
            let tally = std::mem::take(&mut tallies[i]);
            if let Some(e) = tally.error {
                return Err(e);
            }
            Ok(match change {
                Change::CreateTask { .. } => match created.get(&i) {
                    Some(gid) => Applied::Created {
                        remote_id: gid.clone(),
                        entries: entries.remove(&i).unwrap_or_default(),
                        version: tally.version,
                    },
                    None => {
                        return Err(ConnectorError::Fatal {
                            message: "the task was not created and Asana said nothing".into(),
                        });
                    }
                },
                Change::CreateEntry { .. } => match tally.created {
                    Some(gid) => Applied::Created {
                        remote_id: gid,
                        entries: Vec::new(),
                        version: tally.version,
                    },
                    None => {
                        return Err(ConnectorError::Fatal {
                            message: "the subtask was not created and Asana said nothing".into(),
                        });
                    }
                },
                Change::UpdateTask { remote_id, .. } | Change::UpdateEntry { remote_id, .. } => {
                    Applied::Updated {
                        version: tally.version.or_else(|| version_of(snap, remote_id)),
                    }
                }
                Change::ArchiveTask { .. } | Change::ArchiveEntry { .. } => Applied::Archived,
            })
        })
        .collect()
}

/// What the task round needs besides the changes: how identity is carried, and the sections
/// and tags made or found.
struct Rounds<'a> {
    carrier: &'a Carrier,
    sections: &'a BTreeMap<String, Result<String, ConnectorError>>,
    tags: &'a BTreeMap<String, Result<String, ConnectorError>>,
}
