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

use throughline_connector::settings::{
    Accounts, CreatedWebhook, KeyError, KindSpec, LocationKey, RemoteWebhook, SettingsError,
    SignIn, SignInFlow, SignInFuture, TargetSettings, Tool, WebhookHost, no_people,
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
}
