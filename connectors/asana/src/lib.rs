//! throughline's connector for Asana projects.
//!
//! A target is one project in a workspace: an Asana task per playbook task (`item/stage`), a
//! subtask per checklist entry, a section per stage. The connector is built around these
//! constraints of Asana's API (checked against Asana's own OpenAPI description):
//!
//! - **Requests are rationed per token**: 150 per minute on a free workspace, 1,500 on a paid
//!   one ([`AsanaLimits`]), and at most 15 writes (`POST`, `PUT`, `DELETE`; `/batch` is a `POST`)
//!   and 50 reads in flight at once. A limiter shared by every target on the same token keeps
//!   under the minute quota, semaphores under the concurrency limits. A `429` (a whole request
//!   or one action of a `/batch`), a `5xx` and a dropped connection are handled by the shared
//!   retry policy ([`throughline_connector::http::retry`]), which never repeats a create the
//!   tool may have carried out.
//! - **Observing costs one request when nothing changed.** `GET /events?resource=<project>`
//!   with the sync token of the last observation lists what changed in the project, including
//!   its tasks' subtasks (events bubble up). Only the tasks named there are read again, batched
//!   ten to a request (or listed, 100 a page, when many changed), and subtasks only for tasks
//!   whose subtasks changed. Events of throughline's own writes are recognised (the task's
//!   `modified_at` from the write's answer is not older than the event): after a push the feed
//!   is paged through once, 100 events a request, and nothing is read again. The snapshot that
//!   makes this possible travels in the cursor ([`Connector::cursor_after_apply`] after a
//!   write), which the engine stores.
//! - **Sync tokens expire** (after a day, sooner under load): the feed then answers `412` with a
//!   fresh token, and the connector reads the whole project — 100 tasks per page, following
//!   `next_page.offset` — plus the subtasks of every task that has some, because a subtask's
//!   change does not touch its parent's `modified_at`. Page offsets expire too: a refused
//!   offset starts the listing over.
//! - **Writes go through `POST /batch`**, at most ten actions per request. Asana runs the
//!   actions of a batch in parallel, in no set order, and one cannot use another's result, so
//!   writes go in rounds: sections and tags first, then tasks, then the subtasks of new tasks —
//!   the k-th subtask of every new task in round k, which keeps checklist order. New sections
//!   are made one at a time so they appear in stage order.
//! - **One assignee per task.** The playbook picks one owner per task; that person (by e-mail
//!   address, or as mapped in [`AsanaSettings::people`]) is the assignee. Who can be one
//!   ([`Connector::people_with_accounts`]) costs no request when the observation already saw
//!   them all as assignees, else one listing of the workspace's users (100 a page), at most
//!   once per connector.
//! - **Dates**: `due_on` (a date) or, when the mapping sets a time, `due_at` (that time in the
//!   process time zone) — never both; `start_on` only with a due date on or after it.
//! - **Identity travels with the task**: `external.gid` (`<project gid>:<identity>`) when
//!   signed in with OAuth; with a personal access token, which cannot use `external`, a project
//!   text custom field named in the mapping when there is one, otherwise a last line
//!   `throughline: <identity>` in the notes.
//! - **Never destroy**: Asana has no archive for tasks, so archiving adds a tag (the mapping's
//!   `archive.tag`); nothing is ever deleted.
//!
//! The crate also holds the OAuth sign-in ([`oauth`]) and, with the `emulator` feature, an
//! in-memory Asana ([`emulator`]) for tests and `throughline emulate asana`.

mod apply;
mod blocked;
mod client;
mod codec;
pub mod mapping;
pub mod oauth;
mod observe;
mod settings;
pub mod target;
mod users;
mod webhook;

#[cfg(feature = "emulator")]
pub mod emulator;

use async_trait::async_trait;
use throughline_connector::http::RequestCounts;
use throughline_connector::{
    Applied, Capabilities, Change, Connector, ConnectorError, Observation, ObservedTask,
    StateSupport,
};

pub use mapping::{AsanaMapping, BlockedAs, ChannelAs, MappingError};
pub use oauth::{AuthorizeSettings, OAuthApp, OAuthError, StoredToken};
pub use settings::{
    AsanaAuth, AsanaLimits, AsanaPlan, AsanaSettings, DEFAULT_BASE_URL, OAuthSettings,
};

pub use webhook::{CreatedWebhook, Webhook};

use client::Asana;
use observe::Snapshot;

/// One Asana project as a throughline target.
pub struct AsanaConnector {
    settings: AsanaSettings,
    api: Asana,
    /// What the last observation or write left: the base of the next observation.
    snapshot: Option<Snapshot>,
    /// The workspace's users (gids and lower-case e-mail addresses), once listed.
    users: Option<std::collections::BTreeSet<String>>,
}

impl AsanaConnector {
    /// A connector for one project; refuses a project or workspace that is not a gid (all
    /// digits). Makes no request yet.
    pub fn new(settings: AsanaSettings) -> Result<AsanaConnector, ConnectorError> {
        let bad = |what: &str, value: &str| ConnectorError::Invalid {
            message: format!(
                "target `{}`: `{what} = \"{value}\"` is not an Asana gid; copy the number from the \
                 {what}'s Asana link",
                settings.target
            ),
        };
        if settings.project.is_empty() || !settings.project.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad("project", &settings.project));
        }
        if settings.workspace.is_empty() || !settings.workspace.chars().all(|c| c.is_ascii_digit())
        {
            return Err(bad("workspace", &settings.workspace));
        }
        let api = Asana::new(&settings)?;
        Ok(AsanaConnector {
            settings,
            api,
            snapshot: None,
            users: None,
        })
    }

    /// The settings the connector was made with.
    pub fn settings(&self) -> &AsanaSettings {
        &self.settings
    }

    /// Requests sent so far (retries included), by method and outcome.
    pub fn request_counts(&self) -> RequestCounts {
        self.api.counts()
    }

    /// The cursor as of now, after the last `apply` too. Storing it instead of the
    /// observation's cursor spares the next observation re-reading what this process wrote.
    pub fn cursor(&self) -> Option<serde_json::Value> {
        self.snapshot.as_ref().map(Snapshot::to_cursor)
    }
}

#[async_trait]
impl Connector for AsanaConnector {
    fn target(&self) -> &str {
        &self.settings.target
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            states: match self.settings.mapping.blocked {
                mapping::BlockedAs::None => StateSupport::DoneOrNot,
                _ => StateSupport::DoneBlockedOrNot,
            },
            description: true,
            owner: true,
            start: self.settings.mapping.start,
            due: true,
            entry_owner: true,
            entry_due: true,
            batch_size: client::BATCH,
        }
    }

    async fn observe(
        &mut self,
        cursor: Option<serde_json::Value>,
    ) -> Result<Observation, ConnectorError> {
        self.observe_from(cursor).await
    }

    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        if changes.is_empty() {
            return Vec::new();
        }
        self.apply_changes(changes).await
    }

    fn cursor_after_apply(&self) -> Option<serde_json::Value> {
        self.cursor()
    }

    async fn people_with_accounts(
        &mut self,
        people: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeSet<String>, ConnectorError> {
        self.with_accounts(people).await
    }

    async fn find(&mut self, identity: &str) -> Result<Option<ObservedTask>, ConnectorError> {
        let cursor = self.cursor();
        let obs = self.observe_from(cursor).await?;
        Ok(obs
            .tasks
            .into_iter()
            .find(|t| t.identity.as_deref() == Some(identity)))
    }
}
