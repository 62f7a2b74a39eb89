//! The project's webhook: listing, creating and deleting it (`/webhooks`). The daemon creates
//! one per Asana target so that a change in Asana starts a cycle at once; the handshake that
//! Asana sends to the target URL while [`AsanaConnector::create_webhook`] is in flight is
//! answered by the daemon, not here.

use reqwest::Method;
use serde_json::{Value, json};
use throughline_connector::ConnectorError;
use throughline_connector::http::SendOptions;

use crate::AsanaConnector;
use crate::client::with_query;

/// A webhook on the project, as Asana lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Asana's gid of the webhook.
    pub gid: String,
    /// Where Asana posts the events.
    pub target: String,
    /// `false` once Asana stopped delivering to it (read as `false` when absent).
    pub active: bool,
}

/// What creating a webhook answered.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    /// Asana's gid of the new webhook.
    pub gid: String,
    /// The secret of the handshake, as the create's answer repeats it (`X-Hook-Secret`).
    pub secret: Option<String>,
}

/// The events throughline reads: tasks (and subtasks) and sections. Stories, attachments and
/// the rest would only wake the daemon for nothing.
fn filters() -> Value {
    json!([
        {"resource_type": "task"},
        {"resource_type": "section"},
    ])
}

impl AsanaConnector {
    /// The webhooks this token's user has on the project.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, ConnectorError> {
        let items = self
            .api
            .list(
                "/webhooks",
                &[
                    ("workspace", self.settings.workspace.as_str()),
                    ("resource", self.settings.project.as_str()),
                    ("opt_fields", "active,target"),
                ],
                &format!("the webhooks of project {}", self.settings.project),
            )
            .await?;
        Ok(items
            .iter()
            .filter_map(|w| {
                Some(Webhook {
                    gid: w["gid"].as_str()?.to_owned(),
                    target: w["target"].as_str()?.to_owned(),
                    active: w["active"].as_bool().unwrap_or(false),
                })
            })
            .collect())
    }

    /// Create a webhook on the project that posts to `target`. Asana confirms `target` with
    /// the handshake before it answers, so whatever serves `target` must be running. Never
    /// repeated on a lost answer (a second webhook would double every event).
    pub async fn create_webhook(&self, target: &str) -> Result<CreatedWebhook, ConnectorError> {
        let body = json!({"data": {
            "resource": self.settings.project,
            "target": target,
            "filters": filters(),
        }});
        let reply = self
            .api
            .send(
                Method::POST,
                &with_query("/webhooks", &[("opt_fields", "active,target")]),
                Some(&body),
                SendOptions::default(),
                &format!(
                    "creating a webhook on project {} for {target}",
                    self.settings.project
                ),
            )
            .await?;
        let answer: Value = reply.json()?;
        let gid = answer["data"]["gid"]
            .as_str()
            .ok_or_else(|| ConnectorError::Fatal {
                message: format!(
                    "{} answered without the webhook's gid. Please report this.",
                    reply.request
                ),
            })?;
        Ok(CreatedWebhook {
            gid: gid.to_owned(),
            secret: answer["X-Hook-Secret"].as_str().map(str::to_owned),
        })
    }

    /// `GET /users/me`: the user the token acts as (each event's `user`).
    pub async fn me(&self) -> Result<String, ConnectorError> {
        let me = self
            .api
            .get(
                "/users/me",
                &[("opt_fields", "gid")],
                "reading the token's user",
            )
            .await?;
        me["data"]["gid"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ConnectorError::Fatal {
                message: "Asana answered GET /users/me without a gid. Please report this.".into(),
            })
    }

    /// Delete a webhook (one throughline made that no longer serves).
    pub async fn delete_webhook(&self, gid: &str) -> Result<(), ConnectorError> {
        self.api
            .send(
                Method::DELETE,
                &format!("/webhooks/{gid}"),
                None,
                SendOptions::default(),
                &format!("deleting webhook {gid}"),
            )
            .await
            .map(|_| ())
    }
}
