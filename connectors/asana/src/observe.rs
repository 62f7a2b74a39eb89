//! Observing a project: the events feed when the sync token still works, the whole project
//! when it does not, and the snapshot kept in the cursor in between.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use throughline_connector::{ConnectorError, Observation, ObservedTask, State};

use crate::AsanaConnector;
use crate::client::{Action, Events, PAGE};
use crate::codec::{Carrier, Codec, Named, RemoteTask, TASK_FIELDS};
use crate::mapping::{BlockedAs, ChannelAs};

/// Bumped when the snapshot's shape changes: an older cursor is then read as none.
const SNAPSHOT_VERSION: u32 = 1;

const FIELD_SETTING_FIELDS: &str = "custom_field.name,custom_field.resource_subtype,\
custom_field.enum_options,custom_field.enum_options.name";

/// A project custom field throughline writes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub gid: String,
    /// Drop-down options by name (empty for a text field).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// What the connector knows of the project, kept in the observation cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub v: u32,
    pub project: String,
    /// Tells snapshots of one connector instance apart from others (see `generation`).
    pub lineage: u64,
    /// Grows with every observation and write of that instance.
    pub generation: u64,
    pub sync: Option<String>,
    /// The text field that carries identity (personal access token only).
    #[serde(default)]
    pub identity_field: Option<String>,
    #[serde(default)]
    pub channel_field: Option<Field>,
    /// The drop-down field whose option marks blocked (`[blocked] as = "custom-field"`).
    #[serde(default)]
    pub blocked_field: Option<Field>,
    /// The text field that holds a blocked task's reason.
    #[serde(default)]
    pub reason_field: Option<String>,
    /// The project's sections, in order.
    #[serde(default)]
    pub sections: Vec<Named>,
    /// User gid → e-mail address.
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    /// Tag name → gid, as far as known.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The project's tasks, in project order.
    #[serde(default)]
    pub tasks: Vec<RemoteTask>,
    /// Subtasks by parent gid, in their order.
    #[serde(default)]
    pub subtasks: BTreeMap<String, Vec<RemoteTask>>,
}

impl Snapshot {
    fn new(project: &str) -> Snapshot {
        Snapshot {
            v: SNAPSHOT_VERSION,
            project: project.to_owned(),
            lineage: rand::random(),
            generation: 0,
            sync: None,
            identity_field: None,
            channel_field: None,
            blocked_field: None,
            reason_field: None,
            sections: Vec::new(),
            users: BTreeMap::new(),
            tags: BTreeMap::new(),
            tasks: Vec::new(),
            subtasks: BTreeMap::new(),
        }
    }

    pub fn to_cursor(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn from_cursor(cursor: Value, project: &str) -> Option<Snapshot> {
        let snap: Snapshot = serde_json::from_value(cursor).ok()?;
        (snap.v == SNAPSHOT_VERSION && snap.project == project).then_some(snap)
    }

    pub fn section_name(&self, gid: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|s| s.gid == gid)
            .map(|s| s.name.as_str())
    }

    pub fn task_index(&self, gid: &str) -> Option<usize> {
        self.tasks.iter().position(|t| t.gid == gid)
    }

    /// The parent of a known subtask.
    pub fn parent_of(&self, gid: &str) -> Option<&str> {
        self.subtasks
            .iter()
            .find(|(_, subs)| subs.iter().any(|s| s.gid == gid))
            .map(|(p, _)| p.as_str())
    }

    pub fn subtask_mut(&mut self, gid: &str) -> Option<&mut RemoteTask> {
        self.subtasks
            .values_mut()
            .flat_map(|subs| subs.iter_mut())
            .find(|s| s.gid == gid)
    }

    /// Keep a new subtask (at the end of its parent's list unless `at` says where).
    pub fn add_subtask(&mut self, parent: &str, sub: RemoteTask, at: Option<usize>) {
        let list = self.subtasks.entry(parent.to_owned()).or_default();
        match at {
            Some(i) if i <= list.len() => list.insert(i, sub),
            _ => list.push(sub),
        }
        let count = list.len() as u32;
        if let Some(i) = self.task_index(parent) {
            self.tasks[i].num_subtasks = Some(count);
        }
    }

    /// Moves a subtask to the end of its parent's list (where Asana put it when it could not
    /// be moved to its place).
    pub fn subtask_to_end(&mut self, parent: &str, gid: &str) {
        if let Some(list) = self.subtasks.get_mut(parent)
            && let Some(at) = list.iter().position(|s| s.gid == gid)
        {
            let s = list.remove(at);
            list.push(s);
        }
    }

    /// Learn tag gids from tasks' tags.
    pub fn learn_tags(&mut self, task: &RemoteTask) {
        for tag in &task.tags {
            if !tag.name.is_empty() {
                self.tags.insert(tag.name.clone(), tag.gid.clone());
            }
        }
    }

    pub fn carrier(&self, oauth: bool) -> Carrier {
        if oauth {
            Carrier::External
        } else if let Some(field) = &self.identity_field {
            Carrier::Field(field.clone())
        } else {
            Carrier::Marker
        }
    }
}

/// What changed since the last observation, by what must be read again.
#[derive(Default)]
struct Dirty {
    tasks: BTreeSet<String>,
    subtasks_of: BTreeSet<String>,
    sections: bool,
}

impl AsanaConnector {
    pub(crate) fn codec<'a>(&'a self, snap: &'a Snapshot, carrier: &'a Carrier) -> Codec<'a> {
        Codec {
            project: &self.settings.project,
            mapping: &self.settings.mapping,
            timezone: &self.settings.timezone,
            carrier,
            users: &snap.users,
            people: &self.settings.people,
        }
    }

    fn project_label(&self) -> String {
        format!(
            "project {} of target `{}`",
            self.settings.project, self.settings.target
        )
    }

    /// The snapshot to start from: the cursor's, or this instance's own when it is newer.
    fn base_snapshot(&self, cursor: Option<Value>) -> Option<Snapshot> {
        let given = cursor.and_then(|c| Snapshot::from_cursor(c, &self.settings.project))?;
        match &self.snapshot {
            Some(own) if own.lineage == given.lineage && own.generation > given.generation => {
                Some(own.clone())
            }
            _ => Some(given),
        }
    }

    pub(crate) async fn observe_from(
        &mut self,
        cursor: Option<Value>,
    ) -> Result<Observation, ConnectorError> {
        let base = self.base_snapshot(cursor);
        let snap = match base {
            Some(snap) if snap.sync.is_some() => self.catch_up(snap).await?,
            _ => {
                let events = self.api.events(&self.settings.project, None).await;
                let sync = match events.map_err(|e| self.about_project(e))? {
                    Events::Expired { sync } | Events::Since { sync, .. } => sync,
                };
                self.read_all(sync).await?
            }
        };
        let observation = self.observation(&snap);
        self.snapshot = Some(snap);
        Ok(observation)
    }

    /// Follow the events feed from the snapshot's token; read everything when it expired.
    async fn catch_up(&mut self, mut snap: Snapshot) -> Result<Snapshot, ConnectorError> {
        let mut token = snap.sync.clone().unwrap_or_default();
        let mut events = Vec::new();
        loop {
            match self
                .api
                .events(&self.settings.project, Some(&token))
                .await
                .map_err(|e| self.about_project(e))?
            {
                Events::Since {
                    events: more,
                    sync,
                    has_more,
                } => {
                    events.extend(more);
                    token = sync;
                    if !has_more {
                        break;
                    }
                }
                Events::Expired { sync } => {
                    tracing::info!(
                        target_id = %self.settings.target,
                        "the Asana sync token expired; reading the whole project"
                    );
                    let mut fresh = self.read_all(sync).await?;
                    fresh.lineage = snap.lineage;
                    fresh.generation = snap.generation + 1;
                    return Ok(fresh);
                }
            }
        }
        let dirty = dirty(&snap, &events);
        self.reread(&mut snap, dirty).await?;
        snap.sync = Some(token);
        snap.generation += 1;
        Ok(snap)
    }

    /// Read the whole project: its fields, sections and tasks, and every task's subtasks.
    async fn read_all(&mut self, sync: String) -> Result<Snapshot, ConnectorError> {
        let project = self.settings.project.clone();
        let mut snap = Snapshot::new(&project);
        snap.sync = Some(sync);
        if let Some(own) = &self.snapshot {
            // People and tags do not change with the token; keep what is known.
            snap.users = own.users.clone();
            snap.tags = own.tags.clone();
        }
        let first = self
            .api
            .batch(vec![
                Action::new(
                    Method::GET,
                    format!("/projects/{project}/custom_field_settings"),
                )
                .fields(FIELD_SETTING_FIELDS)
                .limit(PAGE),
                Action::new(Method::GET, format!("/projects/{project}/sections"))
                    .fields("name")
                    .limit(PAGE),
                Action::new(Method::GET, format!("/projects/{project}/tasks"))
                    .fields(TASK_FIELDS)
                    .limit(PAGE),
            ])
            .await;
        let mut pages = Vec::new();
        for result in first {
            pages.push(result.map_err(|e| self.about_project(e))?);
        }
        let label = self.project_label();
        let settings = self
            .api
            .list_from(
                &format!("/projects/{project}/custom_field_settings"),
                &[("opt_fields", FIELD_SETTING_FIELDS)],
                Some(&pages[0]),
                &format!("the custom fields of {label}"),
            )
            .await?;
        let sections = self
            .api
            .list_from(
                &format!("/projects/{project}/sections"),
                &[("opt_fields", "name")],
                Some(&pages[1]),
                &format!("the sections of {label}"),
            )
            .await?;
        let tasks = self
            .api
            .list_from(
                &format!("/projects/{project}/tasks"),
                &[("opt_fields", TASK_FIELDS)],
                Some(&pages[2]),
                &format!("the tasks of {label}"),
            )
            .await?;
        self.read_fields(&mut snap, &settings);
        snap.sections = parse_all(&sections, &label)?;
        snap.tasks = parse_all(&tasks, &label)?;
        let tasks = snap.tasks.clone();
        for t in &tasks {
            snap.learn_tags(t);
        }
        let parents: Vec<String> = snap
            .tasks
            .iter()
            .filter(|t| t.num_subtasks.unwrap_or(0) > 0)
            .map(|t| t.gid.clone())
            .collect();
        self.read_subtasks(&mut snap, &parents).await?;
        self.learn_users(&mut snap).await?;
        Ok(snap)
    }

    fn read_fields(&self, snap: &mut Snapshot, settings: &[Value]) {
        let mapping = &self.settings.mapping;
        let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        for s in settings {
            let field = &s["custom_field"];
            let (Some(gid), Some(name)) = (field["gid"].as_str(), field["name"].as_str()) else {
                continue;
            };
            let subtype = field["resource_subtype"].as_str().unwrap_or("");
            if subtype == "text"
                && same(name, &mapping.identity_field)
                && !self.settings.auth.is_oauth()
            {
                snap.identity_field = Some(gid.to_owned());
            }
            if subtype == "text"
                && mapping
                    .blocked_reason_field
                    .as_deref()
                    .is_some_and(|f| same(name, f))
            {
                snap.reason_field = Some(gid.to_owned());
            }
            if let BlockedAs::Field { field: blocked, .. } = &mapping.blocked
                && same(name, blocked)
                && subtype == "enum"
            {
                snap.blocked_field = Some(Field {
                    gid: gid.to_owned(),
                    options: options_of(field),
                });
            }
            if let ChannelAs::CustomField(channel) = &mapping.channel
                && same(name, channel)
                && matches!(subtype, "text" | "enum")
            {
                snap.channel_field = Some(Field {
                    gid: gid.to_owned(),
                    options: options_of(field),
                });
            }
        }
    }

    /// Read the subtasks of these tasks, batched.
    async fn read_subtasks(
        &self,
        snap: &mut Snapshot,
        parents: &[String],
    ) -> Result<(), ConnectorError> {
        if parents.is_empty() {
            return Ok(());
        }
        let actions = parents
            .iter()
            .map(|p| {
                Action::new(Method::GET, format!("/tasks/{p}/subtasks"))
                    .fields(TASK_FIELDS)
                    .limit(PAGE)
            })
            .collect();
        let results = self.api.batch(actions).await;
        for (parent, result) in parents.iter().zip(results) {
            let page = match result {
                Ok(page) => page,
                // Gone since it was listed: its own events will say so.
                Err(ConnectorError::NotFound { .. }) => {
                    snap.subtasks.remove(parent);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let what = format!("the subtasks of task {parent}");
            let items = self
                .api
                .list_from(
                    &format!("/tasks/{parent}/subtasks"),
                    &[("opt_fields", TASK_FIELDS)],
                    Some(&page),
                    &what,
                )
                .await?;
            let subs: Vec<RemoteTask> = parse_all(&items, &what)?;
            for s in &subs {
                snap.learn_tags(s);
            }
            if let Some(i) = snap.task_index(parent) {
                snap.tasks[i].num_subtasks = Some(subs.len() as u32);
            }
            snap.subtasks.insert(parent.clone(), subs);
        }
        Ok(())
    }

    /// Read again what the events named.
    async fn reread(&self, snap: &mut Snapshot, dirty: Dirty) -> Result<(), ConnectorError> {
        let project = &self.settings.project;
        let mut tasks: Vec<String> = dirty.tasks.iter().cloned().collect();
        // Many tasks changed: a listing (100 a page) is cheaper than reading them one by one
        // (10 a batch).
        let listing = tasks.len() > 10 && tasks.len() * 10 > snap.tasks.len() + tasks.len();
        if listing {
            tasks.clear();
        }
        let mut actions: Vec<Action> = tasks
            .iter()
            .map(|gid| Action::new(Method::GET, format!("/tasks/{gid}")).fields(TASK_FIELDS))
            .collect();
        if listing {
            actions.push(
                Action::new(Method::GET, format!("/projects/{project}/tasks"))
                    .fields(TASK_FIELDS)
                    .limit(PAGE),
            );
        }
        if dirty.sections {
            actions.push(
                Action::new(Method::GET, format!("/projects/{project}/sections"))
                    .fields("name")
                    .limit(PAGE),
            );
        }
        let mut results = self.api.batch(actions).await;
        let label = self.project_label();
        if dirty.sections {
            let page = results.pop().expect("one result per action");
            self.reread_sections(snap, page).await?;
        }
        let mut subtasks_of: BTreeSet<String> = dirty.subtasks_of;
        if listing {
            let page = results.pop().expect("one result per action");
            self.reread_listing(snap, page, &dirty.tasks, &mut subtasks_of)
                .await?;
        }
        for (gid, result) in tasks.iter().zip(results) {
            let fetched = match result {
                Ok(body) => {
                    Some(RemoteTask::from_json(&body["data"]).map_err(|e| unreadable(&label, e))?)
                }
                Err(ConnectorError::NotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            self.keep_reread_task(snap, gid, fetched, &mut subtasks_of);
        }
        let parents: Vec<String> = subtasks_of
            .into_iter()
            .filter(|p| snap.task_index(p).is_some())
            .collect();
        self.read_subtasks(snap, &parents).await?;
        self.learn_users(snap).await
    }

    /// The project's sections again, from the first page the batch brought.
    async fn reread_sections(
        &self,
        snap: &mut Snapshot,
        page: Result<Value, ConnectorError>,
    ) -> Result<(), ConnectorError> {
        let project = &self.settings.project;
        let label = self.project_label();
        let page = page.map_err(|e| self.about_project(e))?;
        let all = self
            .api
            .list_from(
                &format!("/projects/{project}/sections"),
                &[("opt_fields", "name")],
                Some(&page),
                &format!("the sections of {label}"),
            )
            .await?;
        snap.sections = parse_all(&all, &label)?;
        Ok(())
    }

    /// The project's tasks again, from the first page the batch brought; a task new, or
    /// changed with another number of subtasks, has its subtasks read again.
    async fn reread_listing(
        &self,
        snap: &mut Snapshot,
        page: Result<Value, ConnectorError>,
        dirty_tasks: &BTreeSet<String>,
        subtasks_of: &mut BTreeSet<String>,
    ) -> Result<(), ConnectorError> {
        let project = &self.settings.project;
        let label = self.project_label();
        let page = page.map_err(|e| self.about_project(e))?;
        let all = self
            .api
            .list_from(
                &format!("/projects/{project}/tasks"),
                &[("opt_fields", TASK_FIELDS)],
                Some(&page),
                &format!("the tasks of {label}"),
            )
            .await?;
        let fresh: Vec<RemoteTask> = parse_all(&all, &label)?;
        for t in &fresh {
            snap.learn_tags(t);
            let had = snap.task_index(&t.gid).map(|i| snap.tasks[i].num_subtasks);
            let changed = had.is_none() || dirty_tasks.contains(&t.gid);
            if t.num_subtasks.unwrap_or(0) > 0
                && (changed && had != Some(t.num_subtasks) || had.is_none())
            {
                subtasks_of.insert(t.gid.clone());
            }
        }
        snap.subtasks
            .retain(|p, _| fresh.iter().any(|t| &t.gid == p));
        snap.tasks = fresh;
        Ok(())
    }

    /// One task read again: kept (its subtasks read again if their number changed), or
    /// dropped when it is no task of the project any more.
    fn keep_reread_task(
        &self,
        snap: &mut Snapshot,
        gid: &str,
        fetched: Option<RemoteTask>,
        subtasks_of: &mut BTreeSet<String>,
    ) {
        let known = snap.task_index(gid);
        match fetched {
            Some(t) if t.parent.is_none() && t.in_project(&self.settings.project) => {
                snap.learn_tags(&t);
                let had = known.map(|i| snap.tasks[i].num_subtasks);
                if t.num_subtasks.unwrap_or(0) > 0 && had != Some(t.num_subtasks) {
                    subtasks_of.insert(t.gid.clone());
                }
                match known {
                    Some(i) => snap.tasks[i] = t,
                    None => snap.tasks.push(t),
                }
            }
            // Deleted, moved out of the project, or someone's subtask: not a task here.
            _ => {
                if let Some(i) = known {
                    snap.tasks.remove(i);
                    snap.subtasks.remove(gid);
                    subtasks_of.remove(gid);
                }
            }
        }
    }

    /// Find the e-mail addresses of assignees not seen before.
    pub(crate) async fn learn_users(&self, snap: &mut Snapshot) -> Result<(), ConnectorError> {
        let unknown: BTreeSet<String> = snap
            .tasks
            .iter()
            .chain(snap.subtasks.values().flatten())
            .filter_map(|t| t.assignee.as_ref().map(|a| a.gid.clone()))
            .filter(|gid| !snap.users.contains_key(gid))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let unknown: Vec<String> = unknown.into_iter().collect();
        let actions = unknown
            .iter()
            .map(|gid| Action::new(Method::GET, format!("/users/{gid}")).fields("email,name"))
            .collect();
        for (gid, result) in unknown.iter().zip(self.api.batch(actions).await) {
            match result {
                Ok(body) => {
                    let email = body["data"]["email"].as_str().unwrap_or(gid).to_owned();
                    snap.users.insert(gid.clone(), email);
                }
                // A deactivated user: shown by gid.
                Err(ConnectorError::NotFound { .. }) => {
                    snap.users.insert(gid.clone(), gid.clone());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn observation(&self, snap: &Snapshot) -> Observation {
        let carrier = snap.carrier(self.settings.auth.is_oauth());
        let codec = self.codec(snap, &carrier);
        let tag = &self.settings.mapping.archive_tag;
        let tasks: Vec<ObservedTask> = snap
            .tasks
            .iter()
            .map(|t| {
                let entries = snap
                    .subtasks
                    .get(&t.gid)
                    .map(|subs| subs.iter().map(|s| codec.entry(s, tag)).collect())
                    .unwrap_or_default();
                let mut task = codec.task(t, tag, entries);
                let (blocked, cells) = self.blocked_of(snap, t);
                // Done wins over the tag: completing a task is the last word on it.
                if blocked && task.state != State::Done {
                    task.state = State::Blocked;
                }
                task.status_cells = cells;
                // Section names may have changed since the task was read.
                if let Some(section) = t.section_in(&self.settings.project)
                    && let Some(name) = snap.section_name(&section.gid)
                {
                    task.fields.group = name.to_owned();
                }
                task
            })
            .collect();
        Observation {
            tasks,
            cursor: Some(snap.to_cursor()),
        }
    }

    /// An error reading the project itself, said in terms of the target.
    pub(crate) fn about_project(&self, e: ConnectorError) -> ConnectorError {
        match e {
            ConnectorError::NotFound { what } => ConnectorError::NotFound {
                what: format!(
                    "{} ({what}); check `project` and `workspace` of the target, and that the \
                     signed-in Asana user is a member of the project",
                    self.project_label()
                ),
            },
            other => other,
        }
    }
}

/// Which tasks the events name, leaving out what the snapshot already holds (throughline's own
/// writes: the task as written is not older than the event).
fn dirty(snap: &Snapshot, events: &[crate::client::Event]) -> Dirty {
    let mut d = Dirty::default();
    let newer = |t: &RemoteTask, e: &crate::client::Event| match (e.created_at, t.modified_at) {
        (Some(at), Some(modified)) => at > modified,
        _ => true,
    };
    for e in events {
        let Some(resource) = &e.resource else {
            continue;
        };
        let parent = e.parent.as_ref();
        match resource.resource_type.as_str() {
            // A section throughline made itself is known already.
            "section" => {
                let known = snap.sections.iter().any(|s| s.gid == resource.gid);
                if !(known && e.action == "added") {
                    d.sections = true;
                }
            }
            "task" => {
                let gid = &resource.gid;
                if let Some(i) = snap.task_index(gid) {
                    // Moves between sections and tag changes do not touch `modified_at`, but
                    // their events are still later than it.
                    if newer(&snap.tasks[i], e) {
                        d.tasks.insert(gid.clone());
                    }
                } else if let Some(p) = snap.parent_of(gid) {
                    let sub = snap.subtasks[p].iter().find(|s| &s.gid == gid);
                    if sub.is_none_or(|s| newer(s, e)) {
                        d.subtasks_of.insert(p.to_owned());
                    }
                } else if let Some(p) = parent.filter(|p| p.resource_type == "task") {
                    if snap.task_index(&p.gid).is_some() {
                        d.subtasks_of.insert(p.gid.clone());
                    }
                } else if e.action != "deleted" && e.action != "removed" {
                    d.tasks.insert(gid.clone());
                }
            }
            // A story, an attachment...: about the task it sits on.
            _ => {
                if let Some(p) = parent.filter(|p| p.resource_type == "task") {
                    if let Some(i) = snap.task_index(&p.gid) {
                        if newer(&snap.tasks[i], e) {
                            d.tasks.insert(p.gid.clone());
                        }
                    } else if let Some(pp) = snap.parent_of(&p.gid) {
                        d.subtasks_of.insert(pp.to_owned());
                    }
                }
            }
        }
    }
    d
}

fn unreadable(label: &str, e: serde_json::Error) -> ConnectorError {
    ConnectorError::Fatal {
        message: format!(
            "Asana answered with data throughline cannot read for {label} ({e}). Please report this."
        ),
    }
}

fn parse_all<T: serde::de::DeserializeOwned>(
    items: &[Value],
    label: &str,
) -> Result<Vec<T>, ConnectorError> {
    items
        .iter()
        .map(|v| T::deserialize(v).map_err(|e| unreadable(label, e)))
        .collect()
}

// Fuzz properties of the cursor, task pages and events (private, hence here).
#[cfg(test)]
#[path = "fuzz_tests.rs"]
mod fuzz_tests;

/// A drop-down custom field's options, name → gid (none for a text field).
fn options_of(field: &Value) -> BTreeMap<String, String> {
    field["enum_options"]
        .as_array()
        .map(|o| {
            o.iter()
                .filter_map(|o| {
                    Some((
                        o["name"].as_str()?.to_owned(),
                        o["gid"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}
