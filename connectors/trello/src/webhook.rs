//! The board's webhook: one active webhook per board, calling the daemon at
//! `<public_url>/hooks/trello/<target>`, so that a change in Trello starts a cycle at once.
//!
//! Trello's webhooks belong to the token that made them (`POST /1/webhooks`, listed with
//! `GET /1/tokens/{token}/webhooks`, removed with `DELETE /1/webhooks/{id}`) and watch one
//! model, here the board. Trello checks the callback with a `HEAD` when it creates one and
//! refuses it unless the answer is `200`, so the daemon must be serving before it asks. Trello
//! turns a webhook off (`active: false`) after its deliveries keep failing and never turns it
//! back on, and it refuses a second webhook with the same token, model and callback: so
//! [`TrelloConnector::ensure_webhook`] deletes what is off, duplicated or on another board
//! before it creates one. The deliveries are signed with the application's secret; checking
//! them is the daemon's part. The daemon's generic webhook code reaches the same calls through
//! [`WebhookHost`].

use serde::Deserialize;
use throughline_connector::ConnectorError;
use throughline_connector::settings::{
    CreatedWebhook, RemoteWebhook, SettingsError, TargetSettings, WebhookHost,
};

use crate::TrelloSettings;
use crate::connector::TrelloConnector;

/// The board's webhooks, for the daemon (`Tool::webhooks`): a connector with the default
/// mapping, since webhooks need none.
pub fn host(target: &TargetSettings) -> Result<Box<dyn WebhookHost>, SettingsError> {
    let board = target.require("board", "needs `board = \"<board id>\"`")?;
    let mut settings = TrelloSettings::new(
        &target.id,
        &board,
        target.secret("key")?,
        target.secret("token")?,
    );
    settings.base_url = target.base_url_or(TrelloSettings::DEFAULT_BASE_URL);
    let connector = TrelloConnector::new(settings).map_err(|e| target.error(e.to_string()))?;
    Ok(Box::new(connector))
}

/// A webhook of the token, as Trello lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Trello's id of the webhook.
    pub id: String,
    /// Free text; throughline writes ``throughline: target `<id>` ``.
    #[serde(default)]
    pub description: String,
    /// What it watches (for throughline's, the board's id).
    pub id_model: String,
    /// Where Trello posts the board's actions.
    #[serde(rename = "callbackURL")]
    pub callback_url: String,
    /// `false` once Trello turned it off after failed deliveries.
    #[serde(default = "yes")]
    pub active: bool,
    /// Deliveries that failed in a row since the last success.
    #[serde(default)]
    pub consecutive_failures: u64,
}

fn yes() -> bool {
    true
}

/// What [`TrelloConnector::ensure_webhook`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnsuredWebhook {
    /// The webhook that now calls the callback on the board.
    pub webhook: Webhook,
    /// Made now: there was none, or only ones that were off or elsewhere.
    pub created: bool,
    /// Webhooks with the same callback that were deleted: turned off by Trello, duplicates,
    /// or on another board (the target's board changed).
    pub deleted: Vec<Webhook>,
}

/// A Trello object id: 24 hex digits (a board may also be named by its short link).
fn is_trello_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl TrelloConnector {
    /// Every webhook of the target's token, on any board and with any callback.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, ConnectorError> {
        self.api.list_webhooks().await
    }

    /// Create a webhook on the board that calls `callback_url`. Trello checks the callback
    /// with a `HEAD` first, so whatever serves it must be running. Never repeated on a lost
    /// answer (the next [`TrelloConnector::ensure_webhook`] finds it).
    pub async fn create_webhook(&self, callback_url: &str) -> Result<Webhook, ConnectorError> {
        let board = self.board_id().await?;
        self.create_webhook_on(&board, callback_url).await
    }

    /// Delete a webhook of the token.
    pub async fn delete_webhook(&self, id: &str) -> Result<(), ConnectorError> {
        self.api.delete_webhook(id).await
    }

    /// One active webhook on the board calling `callback_url`: an active one there is kept;
    /// the others with that callback (off, duplicated, or on another board) are deleted; one
    /// is created when none is left. Costs one request when all is well.
    pub async fn ensure_webhook(
        &self,
        callback_url: &str,
    ) -> Result<EnsuredWebhook, ConnectorError> {
        let ours: Vec<Webhook> = self
            .api
            .list_webhooks()
            .await?
            .into_iter()
            .filter(|w| w.callback_url == callback_url)
            .collect();
        let board = self.board_id().await?;
        let keep = ours
            .iter()
            .find(|w| w.active && w.id_model == board)
            .cloned();
        let mut deleted = Vec::new();
        for w in ours {
            if keep.as_ref().is_some_and(|k| k.id == w.id) {
                continue;
            }
            self.api.delete_webhook(&w.id).await?;
            deleted.push(w);
        }
        let (webhook, created) = match keep {
            Some(w) => (w, false),
            None => (self.create_webhook_on(&board, callback_url).await?, true),
        };
        Ok(EnsuredWebhook {
            webhook,
            created,
            deleted,
        })
    }

    /// Delete every webhook of the token that calls `callback_url`, on any board: when the
    /// target goes, or on `throughline daemon --unregister-webhooks`. Answers what was deleted.
    pub async fn remove_webhooks(
        &self,
        callback_url: &str,
    ) -> Result<Vec<Webhook>, ConnectorError> {
        let mut deleted = Vec::new();
        for w in self.api.list_webhooks().await? {
            if w.callback_url == callback_url {
                self.api.delete_webhook(&w.id).await?;
                deleted.push(w);
            }
        }
        Ok(deleted)
    }

    /// The board's id: webhooks watch a model by id, and the target may name the board by its
    /// short link.
    async fn board_id(&self) -> Result<String, ConnectorError> {
        let board = self.api.board();
        if is_trello_id(board) {
            return Ok(board.to_owned());
        }
        self.api.read_board_id().await
    }

    async fn create_webhook_on(
        &self,
        board: &str,
        callback_url: &str,
    ) -> Result<Webhook, ConnectorError> {
        let description = format!("throughline: target `{}`", self.settings.target);
        self.api
            .create_webhook(board, callback_url, &description)
            .await
            .map_err(|e| match e {
                ConnectorError::Invalid { message } => ConnectorError::Invalid {
                    message: format!(
                        "{message}. Trello calls {callback_url} with a HEAD request when it \
                         creates a webhook and needs a 200: the daemon must be running and \
                         reachable there from the internet ([daemon] public_url)"
                    ),
                },
                other => other,
            })
    }
}

/// The board's webhooks as the daemon's generic webhook code sees them. A webhook of ours on
/// another board (the target's board changed) does not serve this target, so it lists as
/// inactive: the daemon then deletes it and creates one on the board. Trello has no
/// handshake; its deliveries are signed with the application's secret.
#[async_trait::async_trait]
impl WebhookHost for TrelloConnector {
    fn watched(&self) -> String {
        self.api.board_label()
    }

    async fn list(&self) -> Result<Vec<RemoteWebhook>, ConnectorError> {
        let board = self.board_id().await?;
        Ok(self
            .webhooks()
            .await?
            .into_iter()
            .map(|w| RemoteWebhook {
                active: w.active && w.id_model == board,
                id: w.id,
                callback: w.callback_url,
            })
            .collect())
    }

    async fn create(&self, callback: &str) -> Result<CreatedWebhook, ConnectorError> {
        let created = self.create_webhook(callback).await?;
        Ok(CreatedWebhook {
            id: created.id,
            secret: None,
        })
    }

    async fn delete(&self, id: &str) -> Result<(), ConnectorError> {
        self.delete_webhook(id).await
    }

    /// `GET /members/me`: the member the token acts as (each action's `idMemberCreator`).
    async fn account(&self) -> Result<String, ConnectorError> {
        let me: serde_json::Value = self
            .api
            .get(
                "/members/me",
                &[("fields", "id".to_owned())],
                "reading the token's member",
            )
            .await?;
        me["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ConnectorError::Fatal {
                message: "Trello answered GET /members/me without an id. Please report this."
                    .into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_webhook_reads_as_the_spec_describes_it() {
        let w: Webhook = serde_json::from_str(
            r#"{"id":"58dd6dcaf8b86744d3cb4cde","description":"Board Webhook",
                "idModel":"59cd149051aa57a706962996",
                "callbackURL":"https://sync.example.com/hooks/trello/studio",
                "active":false,"consecutiveFailures":12,"firstConsecutiveFailDate":null}"#,
        )
        .unwrap();
        assert_eq!(
            w.callback_url,
            "https://sync.example.com/hooks/trello/studio"
        );
        assert_eq!(w.id_model, "59cd149051aa57a706962996");
        assert!(!w.active);
        assert_eq!(w.consecutive_failures, 12);
        // Without `active`, a webhook counts as on: it is not recreated every hour.
        let bare: Webhook =
            serde_json::from_str(r#"{"id":"1","idModel":"2","callbackURL":"https://x.example/h"}"#)
                .unwrap();
        assert!(bare.active);
    }

    #[test]
    fn ids_and_short_links_are_told_apart() {
        assert!(is_trello_id("59cd149051aa57a706962996"));
        assert!(!is_trello_id("nKVIZ3Yq"));
        assert!(!is_trello_id("59cd149051aa57a70696299g"));
    }
}
