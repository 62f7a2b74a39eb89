//! Tasks and subtasks: create (memberships, projects, tags, `external`), update, custom field
//! values, tags, sections, parents and deletion, each recording the events Asana records.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::world::{
    ApiError, Caller, FieldKind, Gid, Result, Task, TokenKind, World, date_of, text_of, time_of,
};

impl World {
    // --- Tasks -------------------------------------------------------------------------------

    /// `POST /tasks` and `POST /tasks/{parent}/subtasks`, without custom field values.
    fn create_task(
        &mut self,
        caller: &Caller,
        data: &Map<String, Value>,
        parent: Option<&str>,
    ) -> Result<Gid> {
        let memberships = self.memberships_of(data)?;
        let workspace = self.workspace_of(data, parent, &memberships)?;
        let at = self.now();
        let gid = self.gid();
        // Validate and set the writable fields on a copy; nothing is stored on failure.
        let mut task = Task {
            gid: gid.clone(),
            workspace,
            name: String::new(),
            notes: String::new(),
            completed: false,
            completed_at: None,
            completed_by: None,
            assignee: None,
            due_on: None,
            due_at: None,
            start_on: None,
            created_at: at,
            modified_at: at,
            parent: parent.map(str::to_owned),
            subtasks: Vec::new(),
            memberships: memberships.clone(),
            tags: Vec::new(),
            external: None,
            values: BTreeMap::new(),
            deleted: false,
        };
        self.write_fields(caller, &mut task, data, at, true)?;
        task.tags = self.tags_of(data)?;
        self.check_external(caller, &task, &gid)?;
        self.tasks.insert(gid.clone(), task);
        self.record_added(at, caller, &gid, parent, &memberships);
        Ok(gid)
    }

    /// A new task's `memberships` and `projects`: (project, section) pairs, each checked; a
    /// project given without a section puts the task in its first section.
    fn memberships_of(&self, data: &Map<String, Value>) -> Result<Vec<(Gid, Gid)>> {
        let mut memberships: Vec<(Gid, Gid)> = Vec::new();
        let listed = |key: &str| -> Result<Vec<Value>> {
            match data.get(key) {
                None => Ok(Vec::new()),
                Some(v) => v
                    .as_array()
                    .cloned()
                    .ok_or_else(|| ApiError::bad(format!("{key}: Not an array"))),
            }
        };
        for m in listed("memberships")? {
            let project = m["project"]
                .as_str()
                .ok_or_else(|| ApiError::bad("memberships: Each membership needs a project"))?;
            let p = self.project(project).map_err(|_| {
                ApiError::bad(format!(
                    "memberships.project: Not a recognized ID: {project}"
                ))
            })?;
            let section = match m["section"].as_str() {
                Some(s) if !p.sections.iter().any(|x| x == s) => {
                    return Err(ApiError::bad(format!(
                        "memberships.section: Section {s} is not in project {project}"
                    )));
                }
                Some(s) => s.to_owned(),
                None => p.sections.first().cloned().unwrap_or_default(),
            };
            memberships.push((project.to_owned(), section));
        }
        for p in listed("projects")? {
            let project = p
                .as_str()
                .ok_or_else(|| ApiError::bad("projects: Not a gid"))?;
            let first = self
                .project(project)
                .map_err(|_| ApiError::bad(format!("projects: Not a recognized ID: {project}")))?
                .sections
                .first()
                .cloned()
                .unwrap_or_default();
            if !memberships.iter().any(|(x, _)| x == project) {
                memberships.push((project.to_owned(), first));
            }
        }
        Ok(memberships)
    }

    /// A new task's workspace: its parent's, its first project's, or the one named.
    fn workspace_of(
        &self,
        data: &Map<String, Value>,
        parent: Option<&str>,
        memberships: &[(Gid, Gid)],
    ) -> Result<Gid> {
        if let Some(parent) = parent {
            return Ok(self.tasks[parent].workspace.clone());
        }
        if let Some((p, _)) = memberships.first() {
            return Ok(self.projects[p].workspace.clone());
        }
        match data.get("workspace").and_then(Value::as_str) {
            Some(w) if self.workspaces.contains_key(w) => Ok(w.to_owned()),
            Some(w) => Err(ApiError::bad(format!(
                "workspace: Not a recognized ID: {w}"
            ))),
            None => Err(ApiError::bad(
                "You should specify one of workspace, parent, projects",
            )),
        }
    }

    /// A new task's `tags`, each checked.
    fn tags_of(&self, data: &Map<String, Value>) -> Result<Vec<Gid>> {
        let Some(tags) = data.get("tags") else {
            return Ok(Vec::new());
        };
        let tags = tags
            .as_array()
            .ok_or_else(|| ApiError::bad("tags: Not an array"))?;
        tags.iter()
            .map(|t| {
                let t = t.as_str().ok_or_else(|| ApiError::bad("tags: Not a gid"))?;
                if !self.tags.contains_key(t) {
                    return Err(ApiError::bad(format!("tags: Not a recognized ID: {t}")));
                }
                Ok(t.to_owned())
            })
            .collect()
    }

    /// File a new task under its parent and projects, with the `added` events Asana records.
    fn record_added(
        &mut self,
        at: Timestamp,
        caller: &Caller,
        gid: &str,
        parent: Option<&str>,
        memberships: &[(Gid, Gid)],
    ) {
        let who = Some(caller.user.as_str());
        if let Some(parent) = parent {
            let p = self.tasks.get_mut(parent).expect("checked");
            p.subtasks.push(gid.to_owned());
            self.record(
                at,
                who,
                "added",
                (gid, "task"),
                Some((parent, "task")),
                None,
            );
        }
        for (project, section) in memberships {
            let p = self.projects.get_mut(project).expect("checked");
            p.tasks.push(gid.to_owned());
            let into_project = Some((project.as_str(), "project"));
            self.record(at, who, "added", (gid, "task"), into_project, None);
            if !section.is_empty() {
                let into_section = Some((section.as_str(), "section"));
                self.record(at, who, "added", (gid, "task"), into_section, None);
            }
        }
    }

    fn check_external(&self, caller: &Caller, task: &Task, gid: &str) -> Result<()> {
        let Some((Some(ext), _)) = &task.external else {
            return Ok(());
        };
        if caller.kind != TokenKind::OAuth {
            return Err(ApiError::bad(
                "external: Setting external data requires an OAuth access token",
            ));
        }
        let taken = self.tasks.values().any(|t| {
            t.gid != gid
                && !t.deleted
                && t.workspace == task.workspace
                && t.external.as_ref().and_then(|e| e.0.as_ref()) == Some(ext)
        });
        if taken {
            return Err(ApiError::bad(format!(
                "external.gid: The external ID {ext} is already in use"
            )));
        }
        Ok(())
    }

    /// The fields a create or an update may set. Returns which fields changed.
    fn write_fields(
        &self,
        caller: &Caller,
        task: &mut Task,
        data: &Map<String, Value>,
        at: Timestamp,
        creating: bool,
    ) -> Result<Vec<&'static str>> {
        let due_on = data.get("due_on");
        let due_at = data.get("due_at");
        if due_on.is_some_and(|v| !v.is_null()) && due_at.is_some_and(|v| !v.is_null()) {
            return Err(ApiError::bad(
                "You may only provide one of due_on or due_at!",
            ));
        }
        if data.contains_key("start_on") && due_on.is_none() && due_at.is_none() {
            return Err(ApiError::bad(
                "start_on: due_on or due_at must be present in the request when setting or unsetting start_on",
            ));
        }
        let mut changed = Vec::new();
        for (key, value) in data {
            let write = Write {
                caller,
                at,
                creating,
            };
            if let Some(field) = self.write_field(&write, task, key, value)? {
                changed.push(field);
            }
        }
        check_dates(task)?;
        if !changed.is_empty() && !creating {
            task.modified_at = at;
        }
        Ok(changed)
    }

    /// Set one field; returns the field that changed, if one did.
    fn write_field(
        &self,
        w: &Write<'_>,
        task: &mut Task,
        key: &str,
        value: &Value,
    ) -> Result<Option<&'static str>> {
        let changed = |did: bool, name: &'static str| Ok(did.then_some(name));
        match key {
            "name" => {
                let v = text_of(value, "name")?;
                changed(v != std::mem::replace(&mut task.name, v.clone()), "name")
            }
            "notes" => {
                let v = text_of(value, "notes")?;
                changed(v != std::mem::replace(&mut task.notes, v.clone()), "notes")
            }
            "completed" => {
                let v = value
                    .as_bool()
                    .ok_or_else(|| ApiError::bad("completed: Not a boolean"))?;
                if v == task.completed {
                    return Ok(None);
                }
                task.completed = v;
                task.completed_at = v.then_some(w.at);
                task.completed_by = v.then(|| w.caller.user.clone());
                Ok(Some("completed"))
            }
            "assignee" => {
                let v = match value {
                    Value::Null => None,
                    Value::String(s) => Some(self.user_ref(w.caller, s, &task.workspace)?),
                    _ => return Err(ApiError::bad("assignee: Not a user")),
                };
                changed(
                    v != std::mem::replace(&mut task.assignee, v.clone()),
                    "assignee",
                )
            }
            "due_on" => write_due_on(task, value),
            "due_at" => {
                let v = time_of(value, "due_at")?;
                if v == task.due_at {
                    return Ok(None);
                }
                task.due_at = v;
                if v.is_some() {
                    task.due_on = None;
                }
                Ok(Some("due_at"))
            }
            "start_on" => {
                let v = date_of(value, "start_on")?;
                changed(v != std::mem::replace(&mut task.start_on, v), "start_on")
            }
            "external" => {
                let gid = value["gid"].as_str().map(str::to_owned);
                let ext_data = value["data"].as_str().map(str::to_owned);
                task.external = (!value.is_null()).then_some((gid, ext_data));
                Ok(Some("external"))
            }
            // Values are checked and set by `apply_values`, once memberships are known.
            "custom_fields" if !value.is_object() => {
                Err(ApiError::bad("custom_fields: Not an object"))
            }
            "custom_fields" => Ok(Some("custom_fields")),
            "resource_subtype" if value.as_str() != Some("default_task") => Err(ApiError::bad(
                "resource_subtype: Only default_task is emulated",
            )),
            "resource_subtype" => Ok(None),
            // Create-only keys, read by the caller.
            "projects" | "memberships" | "tags" | "workspace" | "followers" | "parent"
                if w.creating =>
            {
                Ok(None)
            }
            "html_notes" | "liked" | "approval_status" | "assignee_status" | "assignee_section" => {
                Ok(None)
            }
            other => Err(ApiError::bad(format!(
                "{other}: Cannot write this property"
            ))),
        }
    }

    /// `PUT /tasks/{gid}`.
    pub fn update_task(
        &mut self,
        caller: &Caller,
        gid: &str,
        data: &Map<String, Value>,
    ) -> Result<()> {
        let at = self.now();
        let mut task = self.tasks[gid].clone();
        let changed = self.write_fields(caller, &mut task, data, at, false)?;
        self.apply_values(&mut task, data)?;
        if data.contains_key("external") {
            self.check_external(caller, &task, gid)?;
        }
        self.tasks.insert(gid.to_owned(), task);
        for field in changed {
            self.record(
                at,
                Some(&caller.user),
                "changed",
                (gid, "task"),
                None,
                Some(field),
            );
        }
        Ok(())
    }

    /// Custom field values: only fields of the task's projects.
    fn apply_values(&self, task: &mut Task, data: &Map<String, Value>) -> Result<()> {
        let Some(map) = data.get("custom_fields").and_then(Value::as_object) else {
            return Ok(());
        };
        for (field, value) in map {
            let on_task = task.memberships.iter().any(|(p, _)| {
                self.projects
                    .get(p)
                    .is_some_and(|p| p.fields.contains(field))
            });
            let Some(f) = self.fields.get(field).filter(|_| on_task) else {
                return Err(ApiError::bad(format!(
                    "custom_fields: Custom field with ID {field} is not on given object"
                )));
            };
            match (&f.kind, value) {
                (_, Value::Null) => {
                    task.values.remove(field);
                }
                (FieldKind::Text, Value::String(s)) => {
                    task.values.insert(field.clone(), s.clone());
                }
                (FieldKind::Enum(options), Value::String(s)) => {
                    if !options.iter().any(|(g, _)| g == s) {
                        return Err(ApiError::bad(format!(
                            "custom_fields: {s} is not an option of {}",
                            f.name
                        )));
                    }
                    task.values.insert(field.clone(), s.clone());
                }
                _ => {
                    return Err(ApiError::bad(format!(
                        "custom_fields: Wrong type of value for {}",
                        f.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// `POST /tasks` and `POST /tasks/{parent}/subtasks`.
    pub fn create_task_full(
        &mut self,
        caller: &Caller,
        data: &Map<String, Value>,
        parent: Option<&str>,
    ) -> Result<Gid> {
        // Check values first on a probe, so a refused value creates nothing.
        if let Some(map) = data.get("custom_fields").and_then(Value::as_object) {
            let mut probe = Task {
                gid: String::new(),
                workspace: String::new(),
                name: String::new(),
                notes: String::new(),
                completed: false,
                completed_at: None,
                completed_by: None,
                assignee: None,
                due_on: None,
                due_at: None,
                start_on: None,
                created_at: Timestamp::UNIX_EPOCH,
                modified_at: Timestamp::UNIX_EPOCH,
                parent: None,
                subtasks: Vec::new(),
                memberships: Vec::new(),
                tags: Vec::new(),
                external: None,
                values: BTreeMap::new(),
                deleted: false,
            };
            for m in data
                .get("memberships")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(p) = m["project"].as_str() {
                    probe.memberships.push((p.to_owned(), String::new()));
                }
            }
            for p in data
                .get("projects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(p) = p.as_str() {
                    probe.memberships.push((p.to_owned(), String::new()));
                }
            }
            let only = Map::from_iter([("custom_fields".to_owned(), Value::Object(map.clone()))]);
            self.apply_values(&mut probe, &only)?;
        }
        let gid = self.create_task(caller, data, parent)?;
        let mut task = self.tasks[&gid].clone();
        self.apply_values(&mut task, data)?;
        self.tasks.insert(gid.clone(), task);
        Ok(gid)
    }

    pub fn delete_task(&mut self, caller: &Caller, gid: &str) {
        let at = self.now();
        if let Some(t) = self.tasks.get_mut(gid) {
            t.deleted = true;
            t.modified_at = at;
        }
        self.record(at, Some(&caller.user), "deleted", (gid, "task"), None, None);
    }

    pub fn add_tag(&mut self, caller: &Caller, gid: &str, tag: &str, add: bool) -> Result<()> {
        if !self.tags.contains_key(tag) {
            return Err(ApiError::bad(format!("tag: Not a recognized ID: {tag}")));
        }
        let at = self.now();
        let task = self.tasks.get_mut(gid).expect("resolved");
        let had = task.tags.iter().any(|t| t == tag);
        if add && !had {
            task.tags.push(tag.to_owned());
        } else if !add && had {
            task.tags.retain(|t| t != tag);
        } else {
            return Ok(());
        }
        self.record(
            at,
            Some(&caller.user),
            if add { "added" } else { "removed" },
            (gid, "task"),
            Some((tag, "tag")),
            None,
        );
        Ok(())
    }

    /// `POST /sections/{section}/addTask`: move a task to the section (and into its project).
    pub fn move_to_section(&mut self, caller: &Caller, section: &str, gid: &str) -> Result<()> {
        let project = self.sections[section].project.clone();
        let at = self.now();
        let task = self.tasks.get_mut(gid).expect("resolved");
        if task.parent.is_some() {
            return Err(ApiError::bad("task: Subtasks cannot be added to a section"));
        }
        let old = task
            .memberships
            .iter()
            .find(|(p, _)| *p == project)
            .map(|(_, s)| s.clone());
        match task.memberships.iter_mut().find(|(p, _)| *p == project) {
            Some(m) => m.1 = section.to_owned(),
            None => task.memberships.push((project.clone(), section.to_owned())),
        }
        let list = &mut self
            .projects
            .get_mut(&project)
            .expect("section's project")
            .tasks;
        if !list.iter().any(|t| t == gid) {
            list.push(gid.to_owned());
        }
        if let Some(old) = old.filter(|o| o != section) {
            self.record(
                at,
                Some(&caller.user),
                "removed",
                (gid, "task"),
                Some((&old, "section")),
                None,
            );
        }
        self.record(
            at,
            Some(&caller.user),
            "added",
            (gid, "task"),
            Some((section, "section")),
            None,
        );
        Ok(())
    }

    /// `POST /tasks/{gid}/setParent`.
    pub fn set_parent(
        &mut self,
        caller: &Caller,
        gid: &str,
        data: &Map<String, Value>,
    ) -> Result<()> {
        let parent = match data.get("parent") {
            Some(Value::String(p)) => Some(self.task_gid(caller, p)?),
            Some(Value::Null) => None,
            _ => return Err(ApiError::bad("parent: Missing input")),
        };
        let before = data.get("insert_before").and_then(Value::as_str);
        let after = data.get("insert_after").and_then(Value::as_str);
        if before.is_some() && after.is_some() {
            return Err(ApiError::bad(
                "You may only provide one of insert_before or insert_after",
            ));
        }
        if let Some(p) = &parent {
            let mut cursor = Some(p.clone());
            while let Some(c) = cursor {
                if c == gid {
                    return Err(ApiError::bad("parent: A task cannot be its own ancestor"));
                }
                cursor = self.tasks.get(&c).and_then(|t| t.parent.clone());
            }
            for sibling in before.iter().chain(after.iter()) {
                if !self.tasks[p].subtasks.iter().any(|s| s == sibling) {
                    return Err(ApiError::bad(format!(
                        "insert_before: {sibling} is not a subtask of {p}"
                    )));
                }
            }
        }
        let at = self.now();
        if let Some(old) = self.tasks[gid].parent.clone() {
            self.tasks
                .get_mut(&old)
                .expect("parent")
                .subtasks
                .retain(|s| s != gid);
        }
        if let Some(p) = &parent {
            let list = &mut self.tasks.get_mut(p).expect("checked").subtasks;
            let at_index = match (before, after) {
                (Some(b), _) => list.iter().position(|s| s == b).unwrap_or(list.len()),
                (_, Some(a)) => list
                    .iter()
                    .position(|s| s == a)
                    .map_or(list.len(), |i| i + 1),
                _ => list.len(),
            };
            list.insert(at_index, gid.to_owned());
        }
        let task = self.tasks.get_mut(gid).expect("resolved");
        task.parent = parent.clone();
        task.modified_at = at;
        self.record(
            at,
            Some(&caller.user),
            "changed",
            (gid, "task"),
            None,
            Some("parent"),
        );
        Ok(())
    }
}

/// Who writes a task's fields, when, and whether the task is being made.
struct Write<'c> {
    caller: &'c Caller,
    at: Timestamp,
    creating: bool,
}

/// `due_on`: a date clears `due_at`; `null` clears whichever due the task has.
fn write_due_on(task: &mut Task, value: &Value) -> Result<Option<&'static str>> {
    let v = date_of(value, "due_on")?;
    if v != task.due_on || task.due_at.is_some() && v.is_some() {
        task.due_on = v;
        task.due_at = None;
        Ok(Some("due_on"))
    } else if v.is_none() && task.due_at.is_some() {
        task.due_at = None;
        Ok(Some("due_at"))
    } else {
        Ok(None)
    }
}

/// A start date needs a due date, on or after it.
fn check_dates(task: &Task) -> Result<()> {
    let due = task.due_on.or_else(|| {
        task.due_at
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
    });
    if let (Some(start), Some(due)) = (task.start_on, due)
        && start > due
    {
        return Err(ApiError::bad(
            "start_on: The start date must be on or before the due date",
        ));
    }
    if task.start_on.is_some() && due.is_none() {
        return Err(ApiError::bad(
            "start_on: A task with a start date needs a due date",
        ));
    }
    Ok(())
}
