//! An Asana target as `throughline.toml` writes it, the connector it opens, and
//! `throughline auth asana`:
//!
//! ```toml
//! [[target]]
//! id = "managers"
//! kind = "asana"
//! workspace = "1200..."
//! project = "1204..."
//! plan = "paid"                 # "free" (default) or "paid": the request budget
//! credentials = { token = "env:ASANA_TOKEN" }   # or oauth = "file:..." with client_id
//! ```

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use throughline_connector::settings::{
    Accounts, CreatedWebhook, KeyError, KindSpec, LocationKey, RemoteWebhook, SettingsError,
    SignIn, SignInFlow, SignInFuture, TargetSettings, Tool, WebhookEvent, WebhookHost, no_people,
};
use throughline_connector::{Connector, ConnectorError};

use crate::{
    AsanaAuth, AsanaConnector, AsanaLimits, AsanaMapping, AsanaPlan, AsanaSettings,
    AuthorizeSettings, DEFAULT_BASE_URL, OAuthApp, OAuthSettings,
};

/// The Asana kind, for the root crate's registry.
pub const TOOL: Tool = Tool {
    spec: KindSpec {
        kind: "asana",
        tool: "Asana",
        location: &[
            LocationKey {
                key: "project",
                hint: "the project's id, like project = \"1204...\"",
            },
            LocationKey {
                key: "workspace",
                hint: "the workspace's id, like workspace = \"1200...\"",
            },
        ],
        // `client_id`: the OAuth app (`throughline auth asana`); `plan`: "free" or "paid".
        options: &["people", "unmapped", "client_id", "plan"],
        credentials: &["token", "oauth", "client_secret"],
        accounts: Accounts {
            by_map_only: false,
            word: "Asana e-mail",
        },
        check,
    },
    connect,
    check_mapping: |t| AsanaMapping::from_toml(t).map(|_| ()),
    mapping_people: no_people,
    sign_in: Some(SignInFlow {
        service: "asana",
        run: sign_in,
    }),
    default_mapping: None,
    local_file: None,
    webhooks: Some(webhooks),
    task_url: Some(|_, task| Some(format!("https://app.asana.com/0/0/{task}/f"))),
};

/// `plan`, when written: "free" or "paid".
fn plan(value: Option<&toml::Value>) -> Result<AsanaPlan, String> {
    match value {
        None => Ok(AsanaPlan::Free),
        Some(toml::Value::String(s)) if s == "free" => Ok(AsanaPlan::Free),
        Some(toml::Value::String(s)) if s == "paid" => Ok(AsanaPlan::Paid),
        Some(toml::Value::String(other)) => Err(format!(
            "`plan = \"{other}\"` is not an Asana plan; use \"free\" or \"paid\""
        )),
        Some(other) => Err(format!(
            "`plan = {other}` is not an Asana plan; use \"free\" or \"paid\""
        )),
    }
}

/// What `validate` cannot judge without knowing Asana: the plan.
fn check(settings: &toml::Table) -> Vec<KeyError> {
    match plan(settings.get("plan")) {
        Ok(_) => Vec::new(),
        Err(message) => vec![KeyError::new("plan", message)],
    }
}

/// The connector for one project: a personal access token, or the sign-in `throughline auth
/// asana` stored.
pub fn connect(
    target: &TargetSettings,
    mapping: &toml::Table,
) -> Result<Box<dyn Connector>, SettingsError> {
    let project = target.require("project", "needs `project = \"<project gid>\"`")?;
    let workspace = target.require("workspace", "needs `workspace = \"<workspace gid>\"`")?;
    let mut settings = AsanaSettings::new(&target.id, project, workspace, auth(target)?);
    settings.base_url = target.base_url_or(DEFAULT_BASE_URL);
    settings.mapping = AsanaMapping::from_toml(mapping).map_err(|e| target.error(e.to_string()))?;
    settings.timezone = target.timezone.clone();
    settings.people = target.people.clone();
    settings.limits =
        AsanaLimits::for_plan(plan(target.settings.get("plan")).map_err(|m| target.error(m))?);
    let connector = AsanaConnector::new(settings).map_err(|e| target.error(e.to_string()))?;
    Ok(Box::new(connector))
}

/// How the target signs in: `oauth` (with its app's `client_id` and `client_secret`) or a
/// personal access `token`.
pub fn auth(target: &TargetSettings) -> Result<AsanaAuth, SettingsError> {
    if !target.has_credential("oauth") {
        return Ok(AsanaAuth::Token(target.secret("token")?));
    }
    Ok(AsanaAuth::OAuth(OAuthSettings {
        client_id: target.require(
            "client_id",
            "signs in with `oauth`, so it needs `client_id = \"<the app's id>\"`",
        )?,
        client_secret: target.secret("client_secret")?,
        token_file: target.token_file()?,
        token_url: None,
    }))
}

/// `throughline auth asana`: OAuth with PKCE through a browser and a loopback listener.
fn sign_in<'a>(s: &'a SignIn, show: &'a dyn Fn(&str)) -> SignInFuture<'a> {
    Box::pin(async move {
        let base = s.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let settings = AuthorizeSettings {
            app: OAuthApp::for_base_url(base, s.client_id.clone(), s.client_secret.clone()),
            listen: s.listen,
            token_file: s.token_file.clone(),
            timeout: Duration::from_secs(300),
        };
        crate::oauth::authorize(&settings, show).await?;
        Ok(())
    })
}

/// The project's webhooks, for the daemon: a connector without a mapping, since webhooks need
/// none.
fn webhooks(target: &TargetSettings) -> Result<Box<dyn WebhookHost>, SettingsError> {
    let project = target.require("project", "needs `project = \"<project gid>\"`")?;
    let workspace = target.require("workspace", "needs `workspace = \"<workspace gid>\"`")?;
    let mut settings = AsanaSettings::new(&target.id, project, workspace, auth(target)?);
    settings.base_url = target.base_url_or(DEFAULT_BASE_URL);
    let connector = AsanaConnector::new(settings).map_err(|e| target.error(e.to_string()))?;
    Ok(Box::new(connector))
}

#[async_trait::async_trait]
impl WebhookHost for AsanaConnector {
    fn watched(&self) -> String {
        format!("project {}", self.settings().project)
    }

    async fn list(&self) -> Result<Vec<RemoteWebhook>, ConnectorError> {
        Ok(self
            .webhooks()
            .await?
            .into_iter()
            .map(|w| RemoteWebhook {
                id: w.gid,
                callback: w.target,
                active: w.active,
            })
            .collect())
    }

    async fn create(&self, callback: &str) -> Result<CreatedWebhook, ConnectorError> {
        let created = self.create_webhook(callback).await?;
        Ok(CreatedWebhook {
            id: created.gid,
            secret: created.secret,
        })
    }

    async fn delete(&self, id: &str) -> Result<(), ConnectorError> {
        self.delete_webhook(id).await
    }

    async fn account(&self) -> Result<String, ConnectorError> {
        self.me().await
    }
}

/// Whether `header` (`X-Hook-Signature`) is Asana's signature of `body`: the hex HMAC-SHA256
/// with the secret of the webhook's handshake.
pub fn webhook_signature_ok(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(expected) = decode_hex(header.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Asana's signature of `body` (what Asana puts in `X-Hook-Signature`).
pub fn webhook_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The events of a webhook delivery: each one's user and the objects it concerns, its
/// resource and, for a subtask or a story, the task it belongs to (`parent`). `Some` of none is
/// a heartbeat: nothing changed. `None` when the body is not a list of events naming objects:
/// anything may have changed.
pub fn webhook_events(body: &[u8]) -> Option<Vec<WebhookEvent>> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let gid =
        |e: &serde_json::Value, key: &str| e.get(key)?.get("gid")?.as_str().map(str::to_string);
    v.get("events")?
        .as_array()?
        .iter()
        .map(|e| {
            let objects: Vec<String> = [gid(e, "resource"), gid(e, "parent")]
                .into_iter()
                .flatten()
                .collect();
            (!objects.is_empty()).then(|| WebhookEvent {
                actor: gid(e, "user"),
                objects,
            })
        })
        .collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let pairs = text.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    // Hex digits only: `from_str_radix` alone also takes a sign, so "+b" would pass for "0b".
    pairs
        .map(|p| {
            let digit = |b: u8| char::from(b).to_digit(16);
            Some((digit(p[0])? * 16 + digit(p[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_objects_of_each_event() {
        // Events in the description's `EventResponse` shape: a task changed, a story added to
        // a task (its parent), a subtask completed under its task.
        let body = br#"{"events":[
            {"user":{"gid":"12","resource_type":"user"},"resource":{"gid":"1201","resource_type":"task"},"type":"task","action":"changed","change":{"field":"completed","action":"changed"},"created_at":"2026-12-02T10:00:00.000Z"},
            {"resource":{"gid":"9001","resource_type":"story"},"parent":{"gid":"1201","resource_type":"task"},"type":"story","action":"added","created_at":"2026-12-02T10:00:00.100Z"},
            {"resource":{"gid":"1305","resource_type":"task"},"parent":{"gid":"1201","resource_type":"task"},"type":"task","action":"changed","created_at":"2026-12-02T10:00:00.200Z"}
        ]}"#;
        let event = |actor: Option<&str>, objects: &[&str]| WebhookEvent {
            actor: actor.map(str::to_string),
            objects: objects.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            webhook_events(body),
            Some(vec![
                event(Some("12"), &["1201"]),
                event(None, &["9001", "1201"]),
                event(None, &["1305", "1201"]),
            ])
        );
        // Asana's heartbeat: no event, nothing changed.
        assert_eq!(webhook_events(br#"{"events":[]}"#), Some(Vec::new()));
        // An event naming nothing, or a body that is not events: anything may have changed.
        assert_eq!(
            webhook_events(br#"{"events":[{"action":"changed"}]}"#),
            None
        );
        assert_eq!(webhook_events(br#"{"data":[]}"#), None);
    }

    #[test]
    fn signatures() {
        // RFC 4231 test case 2 (HMAC-SHA256, key "Jefe").
        let sig = webhook_signature(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let ok = |key: &[u8], body: &[u8], sig: &str| webhook_signature_ok(key, body, sig);
        assert!(ok(b"Jefe", b"what do ya want for nothing?", &sig));
        assert!(ok(
            b"Jefe",
            b"what do ya want for nothing?",
            &sig.to_uppercase()
        ));
        assert!(!ok(b"Jefe", b"what do ya want for nothing!", &sig));
        assert!(!ok(b"jefe", b"what do ya want for nothing?", &sig));
        assert!(!ok(b"Jefe", b"x", "zz"));
        // A sign is not a hex digit (u8::from_str_radix alone takes "+b" as 0x0b).
        assert_eq!(decode_hex("0b"), Some(vec![0x0b]));
        assert_eq!(decode_hex("+b"), None);
        assert!(!ok(b"Jefe", b"x", ""));
    }

    #[test]
    fn a_plan_is_free_or_paid() {
        let table = |text: &str| -> toml::Table { text.parse().unwrap() };
        assert!(check(&table("plan = \"paid\"")).is_empty());
        assert!(check(&table("")).is_empty());
        let wrong = check(&table("plan = \"gold\""));
        assert_eq!(wrong.len(), 1);
        assert_eq!(wrong[0].key, "plan");
        assert!(wrong[0].message.contains("use \"free\" or \"paid\""));
    }
}
