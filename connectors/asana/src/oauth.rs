//! Signing in to Asana with OAuth2: the authorization-code flow with PKCE and a loopback
//! redirect (`throughline auth asana`), the token file it leaves behind, and refreshing the
//! access token from it.
//!
//! Asana's access tokens live an hour; the refresh token lives until the person revokes the
//! app. The token file holds both (JSON, readable by its owner only, mode 0600), so a restarted
//! process reuses a still-valid access token instead of refreshing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use throughline_connector::http::Secret;
use throughline_connector::oauth::{self, App, DesktopFlow, Tokens};
use throughline_connector::oauth_loopback;

pub use throughline_connector::oauth::OAuthError;

/// How the browser comes back from signing in to Asana.
const SIGN_IN: oauth_loopback::Redirect<'static> = oauth_loopback::Redirect {
    path: "/callback",
    tool: "Asana",
    command: "throughline auth asana",
    signed_in: "Signed in to Asana. You can close this tab and go back to throughline.",
};

/// What `throughline auth asana` stores, and the connector keeps current.
pub use throughline_connector::oauth::StoredToken;

/// Read the token file `throughline auth asana` wrote.
pub fn read_token_file(path: &Path) -> Result<StoredToken, OAuthError> {
    oauth::read_token_file(path, &SIGN_IN)
}

/// Write the token file readable by its owner only (0600): to a temporary file in the same
/// folder, then renamed over the old one, so a crash never leaves half a file.
pub fn write_token_file(path: &Path, token: &StoredToken) -> Result<(), OAuthError> {
    oauth::write_token_file(path, token, &SIGN_IN)
}

/// An Asana OAuth app: where to sign in and where to get tokens.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    /// The app's client id (from the Asana developer console).
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: Secret,
    /// `https://app.asana.com/-/oauth_authorize`.
    pub authorize_url: String,
    /// `https://app.asana.com/-/oauth_token`.
    pub token_url: String,
}

impl OAuthApp {
    /// The app with Asana's sign-in endpoints next to this API root
    /// (`https://app.asana.com/api/1.0` → `https://app.asana.com/-/oauth_token`).
    pub fn for_base_url(
        base_url: &str,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> OAuthApp {
        let root = oauth_root(base_url);
        OAuthApp {
            client_id: client_id.into(),
            client_secret,
            authorize_url: format!("{root}/-/oauth_authorize"),
            token_url: format!("{root}/-/oauth_token"),
        }
    }

    /// The app as the shared OAuth client takes it.
    fn app(&self) -> App<'_> {
        App {
            client_id: &self.client_id,
            client_secret: &self.client_secret,
            authorize_url: &self.authorize_url,
            token_url: &self.token_url,
            names: SIGN_IN,
        }
    }
}

/// The host part of an API root: `https://app.asana.com/api/1.0` → `https://app.asana.com`.
pub fn oauth_root(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    match base.strip_suffix("/api/1.0") {
        Some(root) => root.to_owned(),
        None => match reqwest::Url::parse(base) {
            Ok(url) => url.origin().ascii_serialization(),
            Err(_) => base.to_owned(),
        },
    }
}

/// What is kept of a token answer: a refresh token is required (`previous_refresh` when the
/// answer has none), the access token and when it expires.
fn stored(tokens: Tokens, previous_refresh: Option<&str>) -> Result<StoredToken, OAuthError> {
    let refresh_token = tokens
        .refresh_token
        .or_else(|| previous_refresh.map(str::to_owned))
        .ok_or_else(|| {
            OAuthError::Refused(
                "Asana signed in but gave no refresh token; check that the app is allowed to \
                 work offline, then run `throughline auth asana` again"
                    .into(),
            )
        })?;
    let expires_at = tokens.expires_in.and_then(|d| {
        let d = jiff::SignedDuration::try_from(d).ok()?;
        Timestamp::now().checked_add(d).ok()
    });
    Ok(StoredToken {
        refresh_token,
        access_token: Some(tokens.access_token),
        expires_at,
    })
}

/// Exchange the refresh token for a new access token. Asana may hand out a new refresh token;
/// the result keeps the old one when it does not.
pub async fn refresh(app: &OAuthApp, refresh_token: &str) -> Result<StoredToken, OAuthError> {
    let tokens = oauth::refresh(&app.app(), refresh_token).await?;
    stored(tokens, Some(refresh_token))
}

/// How `throughline auth asana` signs in.
#[derive(Debug, Clone)]
pub struct AuthorizeSettings {
    /// The app to sign in with.
    pub app: OAuthApp,
    /// Where the loopback listener waits for the browser (`127.0.0.1:0`: any free port). The
    /// redirect URL registered with the Asana app must match `http://<addr>/callback`.
    pub listen: SocketAddr,
    /// Where to store the tokens (mode 0600).
    pub token_file: PathBuf,
    /// How long to wait for the person to finish signing in.
    pub timeout: Duration,
}

/// Sign in: print or open the sign-in address (`open` gets it), wait for Asana to send the
/// browser back to the loopback address, exchange the code (with the PKCE verifier) for
/// tokens, and store them. Returns what was stored.
pub async fn authorize<F>(settings: &AuthorizeSettings, open: F) -> Result<StoredToken, OAuthError>
where
    F: FnOnce(&str),
{
    let scopes = ["default".to_owned()];
    let flow = DesktopFlow {
        app: settings.app.app(),
        scopes: &scopes,
        extra_params: &[],
        listen: settings.listen,
        timeout: settings.timeout,
    };
    let token = stored(oauth::sign_in(&flow, open).await?, None)?;
    write_token_file(&settings.token_file, &token)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_endpoints_sit_next_to_the_api_root() {
        assert_eq!(
            oauth_root("https://app.asana.com/api/1.0"),
            "https://app.asana.com"
        );
        assert_eq!(
            oauth_root("http://127.0.0.1:9/api/1.0/"),
            "http://127.0.0.1:9"
        );
        assert_eq!(oauth_root("http://127.0.0.1:4010"), "http://127.0.0.1:4010");
        let app = OAuthApp::for_base_url("https://app.asana.com/api/1.0", "id", Secret::new("s"));
        assert_eq!(app.token_url, "https://app.asana.com/-/oauth_token");
        assert_eq!(app.authorize_url, "https://app.asana.com/-/oauth_authorize");
    }

    #[test]
    fn the_token_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("asana.json");
        let token = StoredToken {
            refresh_token: "r-1".into(),
            access_token: Some("a-1".into()),
            expires_at: Some("2030-01-01T00:00:00Z".parse().unwrap()),
        };
        write_token_file(&path, &token).unwrap();
        assert_eq!(read_token_file(&path).unwrap(), token);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{token:?}").contains("r-1"));
        let err = read_token_file(&dir.path().join("missing.json")).unwrap_err();
        assert!(err.to_string().contains("throughline auth asana"), "{err}");
    }
}
