//! Creating the webhooks the daemon listens to (Trello, Asana), so that nobody makes them by
//! hand and nobody else can choose their secret.
//!
//! With `[daemon] public_url` set, each target whose tool calls back gets one webhook on what
//! it watches (a Trello board, an Asana project), posting to
//! `<public_url>/hooks/<tool>/<target id>`. The check runs at start and every [`CHECK_EVERY`]:
//! a webhook that is gone or that the tool turned off after failed deliveries is made again.
//!
//! - Trello signs every call with the app's secret, so any active webhook of ours serves; it
//!   checks the callback with a `HEAD` during the create, so the daemon must be serving.
//! - Asana confirms the URL with a handshake *during* the create request; the daemon answers
//!   it only while its own create is in flight ([`Registrations`]), and keeps the secret only
//!   when Asana's answer to the create repeats it. A webhook that already exists for that URL
//!   is kept when the daemon holds its secret; otherwise it cannot be checked, so it is
//!   deleted and made again.
//!
//! Both tools may drop or miss deliveries (Asana delivers each event at most once): the
//! periodic cycle still guarantees nothing is missed. The webhooks the daemon made are
//! deleted when their target leaves the config, and on `daemon --unregister-webhooks`
//! ([`remove`]).

use std::time::Duration;

use throughline_connector::ConnectorError;
use throughline_connector::settings::WebhookHost;

use super::hooks::{REGISTRATION_WINDOW, Registrations};
use crate::engine::connectors::target_settings;
use crate::engine::registry::webhooks::{Channels, Protocol};
use crate::model::{Deployment, Target};

/// How often the daemon looks whether its webhooks still exist.
pub const CHECK_EVERY: Duration = Duration::from_secs(3600);
/// After a failed check, the next one comes sooner.
pub const RETRY_EVERY: Duration = Duration::from_secs(300);

/// Why a target's webhook could not be made sure of.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{origin}: target `{target}`: cannot create its {tool} webhook: {message}")]
    Setup {
        target: String,
        origin: String,
        tool: &'static str,
        message: String,
    },
    #[error(
        "target `{target}`: the webhook on {watched} for {callback}: {source}; the daemon \
         tries again in a few minutes, and the periodic cycle keeps the {} in step meanwhile",
        .watched.split(' ').next().unwrap_or_default()
    )]
    Remote {
        target: String,
        /// "project 1204...": the first word names what the periodic cycle keeps in step.
        watched: String,
        callback: String,
        source: ConnectorError,
    },
    #[error(
        "target `{target}`: {tool} created the webhook on {watched}, but the daemon got \
         {what} at {callback}; the webhook was deleted and is made again at the next check. If \
         this repeats, something else answers at that address"
    )]
    Handshake {
        target: String,
        tool: &'static str,
        watched: String,
        callback: String,
        what: &'static str,
    },
}

/// What became of a target's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// It exists and the daemon holds its secret.
    Kept,
    /// Made now; a handshake's secret is to be kept from now on (none for tools that sign
    /// with the app's secret).
    Created { gid: String, secret: Option<String> },
}

/// How long the daemon asks a notification channel to live (Drive allows a day for a file).
pub const CHANNEL_LIFETIME: Duration = Duration::from_secs(86_400);
/// A channel is renewed this long before it expires, so that a slow or failed renewal still
/// has time to be tried again before notifications stop.
pub const RENEW_BEFORE: Duration = Duration::from_secs(1800);

/// A target's notification channels, for a kind whose channels the daemon opens (Drive).
pub fn channels(dep: &Deployment, target: &Target) -> Result<Channels, WebhookError> {
    let tool = target.kind.spec().tool;
    let setup = |message: String| WebhookError::Setup {
        target: target.id.clone(),
        origin: target.origin.clone(),
        tool,
        message,
    };
    let Some(Protocol::Channel { open, .. }) = target.kind.webhook().map(|h| h.protocol) else {
        return Err(setup(
            "the daemon opens no notification channel for this tool".into(),
        ));
    };
    open(&target_settings(dep, target, Default::default())).map_err(|e| setup(e.message))
}

/// A target's webhooks in its tool, for a kind whose webhooks the daemon creates.
pub fn host(dep: &Deployment, target: &Target) -> Result<Box<dyn WebhookHost>, WebhookError> {
    let tool = target.kind.tool();
    let open = tool.webhooks.ok_or_else(|| WebhookError::Setup {
        target: target.id.clone(),
        origin: target.origin.clone(),
        tool: tool.spec.tool,
        message: "the daemon does not create this tool's webhooks".into(),
    })?;
    open(&target_settings(dep, target, Default::default())).map_err(|e| WebhookError::Setup {
        target: target.id.clone(),
        origin: target.origin.clone(),
        tool: tool.spec.tool,
        message: e.message,
    })
}

/// Make sure `host` has an active webhook posting to `callback` whose secret the daemon holds
/// (`have_secret`; for a tool that signs with the app's secret, whether that secret is
/// configured). The daemon's HTTP endpoint must be serving: the tool calls it back during the
/// create.
pub async fn ensure(
    host: &dyn WebhookHost,
    target: &Target,
    registrations: &Registrations,
    callback: &str,
    have_secret: bool,
) -> Result<Registered, WebhookError> {
    let tool = target.kind.spec().tool;
    let failed = |source: ConnectorError| WebhookError::Remote {
        target: target.id.clone(),
        watched: host.watched(),
        callback: callback.to_string(),
        source,
    };
    let ours: Vec<_> = host
        .list()
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|w| w.callback == callback)
        .collect();
    if have_secret && ours.iter().any(|w| w.active) {
        return Ok(Registered::Kept);
    }
    // Made by an earlier state file, by hand, or dropped by the tool: its secret is unknown or
    // useless, so it would only deliver events that cannot be checked.
    for old in &ours {
        tracing::info!(target_id = %target.id, webhook = %old.id, "deleting a {tool} webhook whose secret the daemon does not hold");
        host.delete(&old.id).await.map_err(failed)?;
    }
    if !target.kind.hooks_by_handshake() {
        let created = host.create(callback).await.map_err(failed)?;
        return Ok(Registered::Created {
            gid: created.id,
            secret: None,
        });
    }
    registrations.open(&target.id, REGISTRATION_WINDOW);
    let created = host.create(callback).await;
    let handshake = registrations.close(&target.id);
    let created = created.map_err(failed)?;
    let confirmed = match (&handshake, &created.secret) {
        (None, _) => Err("no handshake"),
        (Some(ours), Some(theirs)) if ours != theirs => {
            Err("a handshake whose secret differs from the one the create answered with")
        }
        (Some(secret), _) => Ok(secret.clone()),
    };
    match confirmed {
        Ok(secret) => Ok(Registered::Created {
            gid: created.id,
            secret: Some(secret),
        }),
        Err(what) => {
            if let Err(e) = host.delete(&created.id).await {
                tracing::warn!(target_id = %target.id, webhook = %created.id, error = %e, "cannot delete the unconfirmed webhook");
            }
            Err(WebhookError::Handshake {
                target: target.id.clone(),
                tool,
                watched: host.watched(),
                callback: callback.to_string(),
                what,
            })
        }
    }
}

/// Delete every webhook of `host` posting to `callback`: the target left the config, the
/// public address changed, or `daemon --unregister-webhooks`. Answers how many were deleted.
pub async fn remove(
    host: &dyn WebhookHost,
    target: &str,
    callback: &str,
) -> Result<usize, WebhookError> {
    let failed = |source: ConnectorError| WebhookError::Remote {
        target: target.to_string(),
        watched: host.watched(),
        callback: callback.to_string(),
        source,
    };
    let mut deleted = 0;
    for w in host.list().await.map_err(failed)? {
        if w.callback == callback {
            host.delete(&w.id).await.map_err(failed)?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// `<public_url>/hooks/<path>/<target>`: where the tool calls back for a target.
pub fn callback(public_url: &str, path: &str, target: &str) -> String {
    format!("{}/hooks/{path}/{target}", public_url.trim_end_matches('/'))
}
