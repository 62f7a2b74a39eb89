//! The emulator's data: workspaces, users, projects, sections, tasks, tags, custom fields, the
//! event log, sync tokens and page offsets, and the operations Asana's endpoints perform on
//! them. No HTTP here (see `routes`).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Map, Value, json};

pub type Gid = String;

/// An error as Asana reports it: a status and `{"errors": [{"message", "help"}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The `message` of the one error in the body.
    pub message: String,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// A 400 Bad Request.
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    /// What Asana answers for a gid it does not know: 404 `Unknown object` for a number,
    /// 400 `Not a recognized ID` for anything else.
    pub fn unknown(gid: &str) -> ApiError {
        if gid.chars().all(|c| c.is_ascii_digit()) && !gid.is_empty() {
            ApiError::new(404, format!("Unknown object: {gid}"))
        } else {
            ApiError::bad(format!("Not a recognized ID: {gid}"))
        }
    }

    /// The JSON body: `{"errors": [{"message", "help"}]}`, plus a `phrase` on a 5xx.
    pub fn body(&self) -> Value {
        let help = match self.status {
            400 => {
                "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"
            }
            401 => {
                "Read the docs on authentication: https://developers.asana.com/docs/authentication"
            }
            429 => "Read the docs on rate limits: https://developers.asana.com/docs/rate-limits",
            _ => {
                "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"
            }
        };
        let mut error = json!({"message": self.message, "help": help});
        if self.status >= 500 {
            error["phrase"] = json!("6 sad squid snuggle softly");
        }
        json!({"errors": [error]})
    }
}

pub type Result<T> = std::result::Result<T, ApiError>;

/// The kind of bearer token a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A personal access token: no `external`.
    Personal,
    /// An OAuth access token: it may read and write `external`, and it expires.
    OAuth,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub user: Gid,
    pub kind: TokenKind,
    pub expires: Option<Instant>,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Gid,
    pub kind: TokenKind,
}

#[derive(Debug, Clone)]
pub struct User {
    pub gid: Gid,
    pub name: String,
    pub email: String,
    pub workspaces: Vec<Gid>,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub workspace: Gid,
    pub sections: Vec<Gid>,
    /// Top-level tasks in project order.
    pub tasks: Vec<Gid>,
    pub fields: Vec<Gid>,
    pub notes: String,
    pub archived: bool,
    pub color: Option<String>,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
}

/// A comment on a task (`POST /tasks/{gid}/stories`). Asana's system stories ("added to
/// project", "completed this task") are not kept.
#[derive(Debug, Clone)]
pub struct Story {
    pub gid: Gid,
    pub task: Gid,
    pub text: String,
    /// The comment as HTML (`<body>…</body>`), as written when given as `html_text`.
    pub html: Option<String>,
    pub created_by: Gid,
    pub created_at: Timestamp,
    pub is_pinned: bool,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    pub project: Gid,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub gid: Gid,
    pub name: String,
    pub workspace: Gid,
}

/// The type of a project's custom field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text.
    Text,
    /// A drop-down: each option's gid and name, in order.
    Enum(Vec<(Gid, String)>),
}

#[derive(Debug, Clone)]
pub struct CustomField {
    pub name: String,
    pub kind: FieldKind,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub gid: Gid,
    pub workspace: Gid,
    pub name: String,
    pub notes: String,
    pub completed: bool,
    pub completed_at: Option<Timestamp>,
    pub completed_by: Option<Gid>,
    pub assignee: Option<Gid>,
    pub due_on: Option<Date>,
    pub due_at: Option<Timestamp>,
    pub start_on: Option<Date>,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    pub parent: Option<Gid>,
    pub subtasks: Vec<Gid>,
    /// (project, section)
    pub memberships: Vec<(Gid, Gid)>,
    pub tags: Vec<Gid>,
    pub external: Option<(Option<String>, Option<String>)>,
    /// Field gid → text, or the enum option's gid.
    pub values: BTreeMap<Gid, String>,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct EventRecord {
    pub seq: u64,
    pub at: Timestamp,
    pub user: Option<Gid>,
    pub action: &'static str,
    pub resource: (Gid, &'static str),
    pub parent: Option<(Gid, &'static str)>,
    pub field: Option<&'static str>,
    /// Resources whose feed shows the event (it bubbles up to parents and projects).
    pub scope: Vec<Gid>,
}

#[derive(Debug, Clone)]
pub struct SyncToken {
    pub resource: Gid,
    /// Events after this sequence number are new to the holder.
    pub after: u64,
    pub issued: Instant,
}

#[derive(Debug, Clone)]
pub struct Offset {
    /// What was listed (path and query without offset/limit).
    pub listing: String,
    /// The gid of the last item handed out.
    pub after: Gid,
    pub issued: Instant,
}

#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client: String,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub user: Gid,
    pub issued: Instant,
}

/// Everything the emulated Asana holds.
pub struct World {
    next_gid: u64,
    last_time: Timestamp,
    pub workspaces: BTreeMap<Gid, String>,
    pub users: BTreeMap<Gid, User>,
    pub projects: BTreeMap<Gid, Project>,
    pub sections: BTreeMap<Gid, Section>,
    pub tasks: BTreeMap<Gid, Task>,
    pub tags: BTreeMap<Gid, Tag>,
    pub fields: BTreeMap<Gid, CustomField>,
    pub stories: BTreeMap<Gid, Story>,
    pub events: Vec<EventRecord>,
    pub sync_tokens: HashMap<String, SyncToken>,
    pub offsets: HashMap<String, Offset>,
    pub tokens: HashMap<String, Token>,
    pub refresh_tokens: HashMap<String, (String, Gid)>,
    pub clients: HashMap<String, OAuthClient>,
    pub codes: HashMap<String, AuthCode>,
    pub sync_ttl: Duration,
    pub offset_ttl: Duration,
    pub access_ttl: Duration,
    /// The user who approves OAuth sign-ins in the emulated browser.
    pub approver: Option<Gid>,
    /// Whether a batch runs its actions in a shuffled order (as Asana gives no order).
    pub shuffle_batches: bool,
}

impl Default for World {
    fn default() -> Self {
        World {
            next_gid: 1_209_000_000_000_000,
            last_time: Timestamp::UNIX_EPOCH,
            workspaces: BTreeMap::new(),
            users: BTreeMap::new(),
            projects: BTreeMap::new(),
            sections: BTreeMap::new(),
            tasks: BTreeMap::new(),
            tags: BTreeMap::new(),
            fields: BTreeMap::new(),
            stories: BTreeMap::new(),
            events: Vec::new(),
            sync_tokens: HashMap::new(),
            offsets: HashMap::new(),
            tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            clients: HashMap::new(),
            codes: HashMap::new(),
            sync_ttl: Duration::from_secs(24 * 3600),
            offset_ttl: Duration::from_secs(3600),
            access_ttl: Duration::from_secs(3600),
            approver: None,
            shuffle_batches: true,
        }
    }
}

/// A random token of `len` hex digits.
pub fn random_hex(len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rand::random_range(0..16u32), 16).unwrap_or('0'))
        .collect()
}

pub(super) fn date_of(value: &Value, field: &str) -> Result<Option<Date>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => s.parse::<Date>().map(Some).map_err(|_| {
            ApiError::bad(format!(
                "{field}: Invalid date: {s}. Use the format YYYY-MM-DD"
            ))
        }),
        _ => Err(ApiError::bad(format!("{field}: Not a date"))),
    }
}

pub(super) fn time_of(value: &Value, field: &str) -> Result<Option<Timestamp>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => s.parse::<Timestamp>().map(Some).map_err(|_| {
            ApiError::bad(format!(
                "{field}: Invalid date-time: {s}. Use ISO 8601 in UTC"
            ))
        }),
        _ => Err(ApiError::bad(format!("{field}: Not a date-time"))),
    }
}

pub(super) fn text_of(value: &Value, field: &str) -> Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad(format!("{field}: Not a string")))
}

/// The text of an HTML fragment: tags dropped, Asana's entities decoded.
pub(super) fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

pub fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

impl World {
    pub fn gid(&mut self) -> Gid {
        self.next_gid += 1 + rand::random_range(0..7u64);
        self.next_gid.to_string()
    }

    /// Now, strictly after every earlier write (millisecond resolution, like Asana's).
    pub fn now(&mut self) -> Timestamp {
        let now = Timestamp::now()
            .round(jiff::Unit::Millisecond)
            .unwrap_or_else(|_| Timestamp::now());
        let next = if now > self.last_time {
            now
        } else {
            self.last_time + jiff::SignedDuration::from_millis(1)
        };
        self.last_time = next;
        next
    }

    // --- Seeding ---------------------------------------------------------------------------

    pub fn add_workspace(&mut self, name: &str) -> Gid {
        let gid = self.gid();
        self.workspaces.insert(gid.clone(), name.to_owned());
        gid
    }

    pub fn add_user(&mut self, workspace: &str, name: &str, email: &str) -> Gid {
        let gid = self.gid();
        self.users.insert(
            gid.clone(),
            User {
                gid: gid.clone(),
                name: name.to_owned(),
                email: email.to_owned(),
                workspaces: vec![workspace.to_owned()],
            },
        );
        gid
    }

    pub fn add_project(&mut self, workspace: &str, name: &str) -> Gid {
        let gid = self.gid();
        let at = self.now();
        self.projects.insert(
            gid.clone(),
            Project {
                name: name.to_owned(),
                workspace: workspace.to_owned(),
                sections: Vec::new(),
                tasks: Vec::new(),
                fields: Vec::new(),
                notes: String::new(),
                archived: false,
                color: None,
                created_at: at,
                modified_at: at,
            },
        );
        // Every Asana project starts with one section.
        let _ = self.create_section(None, &gid, "Untitled section");
        gid
    }

    pub fn add_field(&mut self, project: &str, name: &str, options: &[&str]) -> Gid {
        let gid = self.gid();
        let kind = if options.is_empty() {
            FieldKind::Text
        } else {
            FieldKind::Enum(
                options
                    .iter()
                    .map(|o| (self.gid(), (*o).to_owned()))
                    .collect(),
            )
        };
        self.fields.insert(
            gid.clone(),
            CustomField {
                name: name.to_owned(),
                kind,
            },
        );
        if let Some(p) = self.projects.get_mut(project) {
            p.fields.push(gid.clone());
        }
        gid
    }

    pub fn issue_token(&mut self, user: &str, kind: TokenKind) -> String {
        let token = match kind {
            TokenKind::Personal => format!("2/{}/{}", user, random_hex(32)),
            TokenKind::OAuth => format!("1/{}:{}", user, random_hex(32)),
        };
        let expires = (kind == TokenKind::OAuth).then(|| Instant::now() + self.access_ttl);
        self.tokens.insert(
            token.clone(),
            Token {
                user: user.to_owned(),
                kind,
                expires,
            },
        );
        token
    }

    // --- Lookups -----------------------------------------------------------------------------

    /// A task by gid, or by `external:<gid>` (OAuth only, as in Asana).
    pub fn task_gid(&self, caller: &Caller, reference: &str) -> Result<Gid> {
        if let Some(ext) = reference.strip_prefix("external:") {
            if caller.kind != TokenKind::OAuth {
                return Err(ApiError::bad(
                    "external: Referencing objects by external ID requires OAuth",
                ));
            }
            return self
                .tasks
                .values()
                .find(|t| {
                    !t.deleted && t.external.as_ref().and_then(|e| e.0.as_deref()) == Some(ext)
                })
                .map(|t| t.gid.clone())
                .ok_or_else(|| ApiError::new(404, format!("Unknown object: {reference}")));
        }
        match self.tasks.get(reference) {
            Some(t) if !t.deleted => Ok(t.gid.clone()),
            _ => Err(ApiError::unknown(reference)),
        }
    }

    pub fn project(&self, gid: &str) -> Result<&Project> {
        self.projects.get(gid).ok_or_else(|| ApiError::unknown(gid))
    }

    pub fn user_ref(&self, caller: &Caller, reference: &str, workspace: &str) -> Result<Gid> {
        let found = if reference == "me" {
            self.users.get(&caller.user)
        } else if reference.contains('@') {
            self.users
                .values()
                .find(|u| u.email.eq_ignore_ascii_case(reference))
        } else {
            self.users.get(reference)
        };
        match found {
            Some(u) if u.workspaces.iter().any(|w| w == workspace) => Ok(u.gid.clone()),
            _ => Err(ApiError::bad(format!(
                "assignee: Not a recognized ID or e-mail address of a user in this workspace: {reference}"
            ))),
        }
    }

    /// The projects a task shows in, its own or its ancestors' (for event scope).
    fn scope_of(&self, task: &str) -> Vec<Gid> {
        let mut scope = Vec::new();
        let mut current = Some(task.to_owned());
        let mut guard = 0;
        while let Some(gid) = current {
            guard += 1;
            if guard > 64 {
                break;
            }
            scope.push(gid.clone());
            let Some(t) = self.tasks.get(&gid) else { break };
            for (p, _) in &t.memberships {
                if !scope.contains(p) {
                    scope.push(p.clone());
                }
            }
            current = t.parent.clone();
        }
        scope
    }

    pub fn record(
        &mut self,
        at: Timestamp,
        user: Option<&str>,
        action: &'static str,
        resource: (&str, &'static str),
        parent: Option<(&str, &'static str)>,
        field: Option<&'static str>,
    ) {
        let mut scope = match resource.1 {
            "task" => self.scope_of(resource.0),
            // A section's events show in its project's feed.
            "section" => {
                let mut scope = vec![resource.0.to_owned()];
                scope.extend(self.sections.get(resource.0).map(|s| s.project.clone()));
                scope
            }
            _ => vec![resource.0.to_owned()],
        };
        if let Some((p, kind)) = parent {
            match kind {
                "task" => {
                    for g in self.scope_of(p) {
                        if !scope.contains(&g) {
                            scope.push(g);
                        }
                    }
                }
                "section" => {
                    if let Some(s) = self.sections.get(p) {
                        scope.push(s.project.clone());
                    }
                }
                _ => scope.push(p.to_owned()),
            }
        }
        let seq = self.events.len() as u64 + 1;
        self.events.push(EventRecord {
            seq,
            at,
            user: user.map(str::to_owned),
            action,
            resource: (resource.0.to_owned(), resource.1),
            parent: parent.map(|(g, k)| (g.to_owned(), k)),
            field,
            scope,
        });
    }

    /// A user by gid, e-mail address (any case) or `me`, as `/users/{user_gid}` takes them.
    pub fn user_by_reference(&self, caller: &Caller, reference: &str) -> Result<Gid> {
        let found = if reference == "me" {
            self.users.get(&caller.user)
        } else if reference.contains('@') {
            self.users
                .values()
                .find(|u| u.email.eq_ignore_ascii_case(reference))
        } else {
            self.users.get(reference)
        };
        found
            .map(|u| u.gid.clone())
            .ok_or_else(|| ApiError::unknown(reference))
    }

    // --- Projects, stories -------------------------------------------------------------------

    /// `POST /projects` (or `/workspaces/{gid}/projects`): `data` has the name and the rest;
    /// the workspace comes from the path or from `data.workspace`.
    pub fn create_project(
        &mut self,
        caller: &Caller,
        workspace: Option<&str>,
        data: &Map<String, Value>,
    ) -> Result<Gid> {
        let workspace = match (workspace, data.get("workspace")) {
            (Some(w), _) => w.to_owned(),
            (None, Some(Value::String(w))) => w.clone(),
            (None, Some(_)) => return Err(ApiError::bad("workspace: Not a gid")),
            (None, None) if data.contains_key("team") => {
                return Err(ApiError::bad(
                    "team: The emulator does not model teams; give data.workspace instead",
                ));
            }
            (None, None) => return Err(ApiError::bad("workspace: Missing input")),
        };
        if !self.workspaces.contains_key(&workspace) {
            return Err(ApiError::unknown(&workspace));
        }
        let name = match data.get("name") {
            None | Some(Value::Null) => "",
            Some(Value::String(n)) => n.as_str(),
            Some(_) => return Err(ApiError::bad("name: Not a string")),
        }
        .to_owned();
        let notes = match data.get("notes") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(n)) => n.clone(),
            Some(_) => return Err(ApiError::bad("notes: Not a string")),
        };
        let archived = match data.get("archived") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(ApiError::bad("archived: Not a boolean")),
        };
        let color = match data.get("color") {
            None | Some(Value::Null) => None,
            Some(Value::String(c)) => Some(c.clone()),
            Some(_) => return Err(ApiError::bad("color: Not a string")),
        };
        let gid = self.add_project(&workspace, &name);
        let p = self.projects.get_mut(&gid).expect("just added");
        p.notes = notes;
        p.archived = archived;
        p.color = color;
        let at = p.created_at;
        self.record(
            at,
            Some(&caller.user),
            "added",
            (&gid, "project"),
            Some((&workspace, "workspace")),
            None,
        );
        Ok(gid)
    }

    /// `POST /tasks/{gid}/stories`: a comment, from `text` or `html_text` (not both).
    pub fn add_comment(
        &mut self,
        caller: &Caller,
        task: &str,
        data: &Map<String, Value>,
    ) -> Result<Gid> {
        let html = match data.get("html_text") {
            Some(Value::String(h)) => Some(h.trim().to_owned()),
            _ => None,
        };
        let text = match (data.get("text"), data.get("html_text")) {
            (Some(Value::String(_)), Some(Value::String(_))) => {
                return Err(ApiError::bad(
                    "text: You may only specify one of text and html_text",
                ));
            }
            (Some(Value::String(t)), _) => t.clone(),
            (_, Some(Value::String(h))) => {
                let inner = h
                    .trim()
                    .strip_prefix("<body>")
                    .and_then(|b| b.strip_suffix("</body>"))
                    .ok_or_else(|| {
                        ApiError::bad("html_text: Must be wrapped in a <body> element")
                    })?;
                strip_tags(inner)
            }
            _ => return Err(ApiError::bad("text: Missing input")),
        };
        if text.trim().is_empty() {
            return Err(ApiError::bad("text: Cannot be empty"));
        }
        let is_pinned = match data.get("is_pinned") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(ApiError::bad("is_pinned: Not a boolean")),
        };
        let gid = self.gid();
        let at = self.now();
        self.stories.insert(
            gid.clone(),
            Story {
                gid: gid.clone(),
                task: task.to_owned(),
                text,
                html,
                created_by: caller.user.clone(),
                created_at: at,
                is_pinned,
            },
        );
        self.record(
            at,
            Some(&caller.user),
            "added",
            (&gid, "story"),
            Some((task, "task")),
            None,
        );
        Ok(gid)
    }

    // --- Sections, tags ----------------------------------------------------------------------

    pub fn create_section(
        &mut self,
        caller: Option<&Caller>,
        project: &str,
        name: &str,
    ) -> Result<Gid> {
        if name.trim().is_empty() {
            return Err(ApiError::bad("name: Cannot be empty"));
        }
        self.project(project)?;
        let gid = self.gid();
        let at = self.now();
        self.sections.insert(
            gid.clone(),
            Section {
                name: name.to_owned(),
                project: project.to_owned(),
                created_at: at,
            },
        );
        self.projects
            .get_mut(project)
            .expect("checked above")
            .sections
            .push(gid.clone());
        self.record(
            at,
            caller.map(|c| c.user.as_str()),
            "added",
            (&gid, "section"),
            Some((project, "project")),
            None,
        );
        Ok(gid)
    }

    /// `PUT /sections/{gid}`.
    pub fn rename_section(&mut self, caller: &Caller, gid: &str, name: &str) -> Result<()> {
        if name.trim().is_empty() {
            return Err(ApiError::bad("name: Cannot be empty"));
        }
        let at = self.now();
        let section = self
            .sections
            .get_mut(gid)
            .ok_or_else(|| ApiError::unknown(gid))?;
        section.name = name.to_owned();
        self.record(
            at,
            Some(&caller.user),
            "changed",
            (gid, "section"),
            None,
            Some("name"),
        );
        Ok(())
    }

    pub fn create_tag(&mut self, workspace: &str, name: &str) -> Result<Gid> {
        if !self.workspaces.contains_key(workspace) {
            return Err(ApiError::bad(format!(
                "workspace: Not a recognized ID: {workspace}"
            )));
        }
        let gid = self.gid();
        self.tags.insert(
            gid.clone(),
            Tag {
                gid: gid.clone(),
                name: name.to_owned(),
                workspace: workspace.to_owned(),
            },
        );
        Ok(gid)
    }

    // --- Events ------------------------------------------------------------------------------

    pub fn issue_sync(&mut self, resource: &str) -> String {
        let token = random_hex(32);
        self.sync_tokens.insert(
            token.clone(),
            SyncToken {
                resource: resource.to_owned(),
                after: self.events.len() as u64,
                issued: Instant::now(),
            },
        );
        token
    }

    /// Every task (top level and subtasks) in the caller's view, for the events' `name`.
    pub fn name_of(&self, gid: &str, kind: &str) -> String {
        match kind {
            "task" => self.tasks.get(gid).map(|t| t.name.clone()),
            "section" => self.sections.get(gid).map(|s| s.name.clone()),
            "project" => self.projects.get(gid).map(|p| p.name.clone()),
            "tag" => self.tags.get(gid).map(|t| t.name.clone()),
            "user" => self.users.get(gid).map(|u| u.name.clone()),
            "workspace" => self.workspaces.get(gid).cloned(),
            _ => None,
        }
        .unwrap_or_default()
    }
}
