//! Creating the Asana webhooks the daemon listens to, so that nobody makes them by hand and
//! nobody else can choose their secret.
//!
//! With `[daemon] public_url` set, each Asana target gets one webhook on its project, posting
//! to `<public_url>/hooks/asana/<target id>`. Asana confirms the URL with a handshake *during*
//! the create request; the daemon answers it only while its own create is in flight
//! ([`Registrations`]), and keeps the secret only when Asana's answer to the create repeats
//! it. A webhook that already exists for that URL is kept when the daemon holds its secret;
//! otherwise it cannot be checked, so it is deleted and made again.
//!
//! Asana delivers each event at most once and drops webhooks whose deliveries keep failing:
//! the check runs at start and every [`CHECK_EVERY`], and the periodic cycle (reading the
//! events feed) still guarantees nothing is missed.

use std::time::Duration;

use throughline_asana::{AsanaAuth, AsanaConnector, AsanaSettings, OAuthSettings};
use throughline_connector::ConnectorError;

use super::hooks::{REGISTRATION_WINDOW, Registrations};
use crate::engine::connectors::{secret, setting, token_file};
use crate::model::Target;

/// How often the daemon looks whether its webhooks still exist.
pub const CHECK_EVERY: Duration = Duration::from_secs(3600);
/// After a failed check, the next one comes sooner.
pub const RETRY_EVERY: Duration = Duration::from_secs(300);

/// Why a target's webhook could not be made sure of.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{origin}: target `{target}`: cannot create its Asana webhook: {message}")]
    Setup {
        target: String,
        origin: String,
        message: String,
    },
    #[error(
        "target `{target}`: the webhook on project {project} for {callback}: {source}; the \
         daemon tries again in a few minutes, and the periodic cycle keeps the project in step \
         meanwhile"
    )]
    Asana {
        target: String,
        project: String,
        callback: String,
        source: ConnectorError,
    },
    #[error(
        "target `{target}`: Asana created the webhook on project {project}, but the daemon got \
         {what} at {callback}; the webhook was deleted and is made again at the next check. If \
         this repeats, something else answers at that address"
    )]
    Handshake {
        target: String,
        project: String,
        callback: String,
        what: &'static str,
    },
}

/// What became of a target's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// It exists and the daemon holds its secret.
    Kept,
    /// Made now; its secret is to be kept from now on.
    Created { gid: String, secret: String },
}

/// The connector for an Asana target, for its webhook calls only (no mapping is needed).
pub fn asana_connector(target: &Target) -> Result<AsanaConnector, WebhookError> {
    let fail = |message: String| WebhookError::Setup {
        target: target.id.clone(),
        origin: target.origin.clone(),
        message,
    };
    let need = |key: &str| {
        setting(target, key).ok_or_else(|| fail(format!("needs `{key} = \"<{key} gid>\"`")))
    };
    let (project, workspace) = (need("project")?, need("workspace")?);
    let auth = if target.credentials.contains_key("oauth") {
        AsanaAuth::OAuth(OAuthSettings {
            client_id: setting(target, "client_id")
                .ok_or_else(|| fail("signs in with `oauth`, so it needs `client_id`".into()))?,
            client_secret: secret(target, "client_secret").map_err(|e| fail(e.to_string()))?,
            token_file: token_file(target).map_err(|e| fail(e.to_string()))?,
            token_url: None,
        })
    } else {
        AsanaAuth::Token(secret(target, "token").map_err(|e| fail(e.to_string()))?)
    };
    let mut settings = AsanaSettings::new(&target.id, project, workspace, auth);
    if let Some(url) = &target.base_url {
        settings.base_url = url.trim_end_matches('/').to_string();
    }
    AsanaConnector::new(settings).map_err(|e| fail(e.to_string()))
}

/// Make sure the project of `asana` has a webhook posting to `callback` whose secret the
/// daemon holds (`have_secret`). The daemon's HTTP endpoint must be serving: Asana calls it
/// back during the create.
pub async fn ensure_asana(
    asana: &AsanaConnector,
    registrations: &Registrations,
    callback: &str,
    have_secret: bool,
) -> Result<Registered, WebhookError> {
    let settings = asana.settings();
    let target = settings.target.clone();
    let failed = |source: ConnectorError| WebhookError::Asana {
        target: target.clone(),
        project: settings.project.clone(),
        callback: callback.to_string(),
        source,
    };
    let ours: Vec<_> = asana
        .webhooks()
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|w| w.target == callback)
        .collect();
    if have_secret && ours.iter().any(|w| w.active) {
        return Ok(Registered::Kept);
    }
    // Made by an earlier state file, by hand, or dropped by Asana: its secret is unknown or
    // useless, so it would only deliver events that cannot be checked.
    for old in &ours {
        tracing::info!(target_id = %target, webhook = %old.gid, "deleting an Asana webhook whose secret the daemon does not hold");
        asana.delete_webhook(&old.gid).await.map_err(failed)?;
    }
    registrations.open(&target, REGISTRATION_WINDOW);
    let created = asana.create_webhook(callback).await;
    let handshake = registrations.close(&target);
    let created = created.map_err(failed)?;
    let confirmed = match (&handshake, &created.secret) {
        (None, _) => Err("no handshake"),
        (Some(ours), Some(theirs)) if ours != theirs => {
            Err("a handshake whose secret differs from the one Asana answered with")
        }
        (Some(secret), _) => Ok(secret.clone()),
    };
    match confirmed {
        Ok(secret) => Ok(Registered::Created {
            gid: created.gid,
            secret,
        }),
        Err(what) => {
            if let Err(e) = asana.delete_webhook(&created.gid).await {
                tracing::warn!(target_id = %target, webhook = %created.gid, error = %e, "cannot delete the unconfirmed webhook");
            }
            Err(WebhookError::Handshake {
                target,
                project: settings.project.clone(),
                callback: callback.to_string(),
                what,
            })
        }
    }
}
