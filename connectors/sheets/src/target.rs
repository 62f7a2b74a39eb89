//! A Google Sheets target as `throughline.toml` writes it, the connector it opens, and
//! `throughline auth google`:
//!
//! ```toml
//! [[target]]
//! id = "writers"
//! kind = "google-sheets"
//! spreadsheet = "1BxiM..."     # the id in the sheet's address
//! credentials = { service_account = "file:keys/sa.json" }   # or oauth = "file:...", or token
//! ```

use throughline_connector::Connector;
use throughline_connector::http::Secret;
use throughline_connector::settings::{
    Accounts, KindSpec, LocationKey, SettingsError, SignIn, SignInFlow, SignInFuture,
    TargetSettings, Tool, no_checks, no_people,
};

use crate::{DesktopSignIn, SheetsAuth, SheetsConnector, SheetsMapping, SheetsSettings};

/// The Google Sheets kind, for the root crate's registry.
pub const TOOL: Tool = Tool {
    spec: KindSpec {
        kind: "google-sheets",
        tool: "Google Sheets",
        location: &[LocationKey {
            key: "spreadsheet",
            hint: "the spreadsheet's id from its address, like spreadsheet = \"1BxiM...\"",
        }],
        // `client_id`: the OAuth client `throughline auth google` signs in with.
        options: &["client_id"],
        credentials: &["service_account", "oauth", "token", "client_secret"],
        accounts: Accounts {
            by_map_only: false,
            word: "name",
        },
        check: no_checks,
    },
    connect,
    check_mapping: |t| SheetsMapping::from_toml(t).map(|_| ()),
    mapping_people: no_people,
    sign_in: Some(SignInFlow {
        service: "google",
        run: sign_in,
    }),
    default_mapping: None,
    local_file: None,
    webhooks: None,
    // The spreadsheet, not the row: a task's remote id does not say which row it is on.
    task_url: Some(|settings, _| {
        let id = settings.get("spreadsheet")?.as_str()?;
        Some(format!("https://docs.google.com/spreadsheets/d/{id}/edit"))
    }),
};

/// The connector for one spreadsheet: a service account, a stored sign-in, or a bearer token.
pub fn connect(
    target: &TargetSettings,
    mapping: &toml::Table,
) -> Result<Box<dyn Connector>, SettingsError> {
    let mut settings = settings(target)?;
    settings.mapping =
        SheetsMapping::from_toml(mapping).map_err(|e| target.error(e.to_string()))?;
    let connector = SheetsConnector::new(settings).map_err(|e| target.error(e.to_string()))?;
    Ok(Box::new(connector))
}

/// The spreadsheet, the sign-in, the API root and the time zone the target names; the default
/// mapping.
pub(crate) fn settings(target: &TargetSettings) -> Result<SheetsSettings, SettingsError> {
    let spreadsheet = target.require(
        "spreadsheet",
        "needs `spreadsheet = \"<id from the sheet's address>\"`",
    )?;
    let auth = if target.has_credential("service_account") {
        SheetsAuth::ServiceAccount {
            key_json: target.secret("service_account")?,
        }
    } else if target.has_credential("oauth") {
        SheetsAuth::OAuth {
            token_file: target.token_file()?,
            // Empty: the client `throughline auth google` stored in the token file.
            client_id: target.text("client_id").unwrap_or_default(),
            client_secret: match target.has_credential("client_secret") {
                true => target.secret("client_secret")?,
                false => Secret::new(""),
            },
        }
    } else {
        SheetsAuth::Token(target.secret("token")?)
    };
    let mut settings = SheetsSettings::new(&target.id, spreadsheet, auth);
    if let Some(url) = &target.base_url {
        settings = settings.with_base_url(url);
    }
    settings.timezone = target.timezone.clone();
    Ok(settings)
}

/// `throughline auth google`: the desktop sign-in through a browser and a loopback listener.
fn sign_in<'a>(s: &'a SignIn, show: &'a dyn Fn(&str)) -> SignInFuture<'a> {
    Box::pin(async move {
        let mut flow = DesktopSignIn::new(
            s.client_id.clone(),
            s.client_secret.clone(),
            s.token_file.clone(),
        );
        flow.listen = s.listen;
        crate::sign_in_desktop(&flow, show).await?;
        Ok(())
    })
}
