//! Signing in to Asana with OAuth2: the authorization-code flow with PKCE and a loopback
//! redirect (`throughline auth asana`), the token file it leaves behind, and refreshing the
//! access token from it.
//!
//! Asana's access tokens live an hour; the refresh token lives until the person revokes the
//! app. The token file holds both (JSON, readable by its owner only, mode 0600), so a restarted
//! process reuses a still-valid access token instead of refreshing.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    RedirectUrl, RefreshToken, RequestTokenError, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use throughline_connector::http::{Redactor, Secret};
use throughline_connector::oauth_loopback::{self, LoopbackError};

/// Why signing in or refreshing failed. Every message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The sign-in file cannot be read or written, or an OAuth address is not a URL.
    #[error("{0}")]
    TokenFile(String),
    /// Asana refused (a revoked app, a wrong client secret, an expired code).
    #[error("{0}")]
    Refused(String),
    /// Asana could not be reached, or answered something unreadable.
    #[error("{0}")]
    Unreachable(String),
    /// The sign-in in the browser did not come back as expected.
    #[error("{0}")]
    Redirect(String),
}

impl From<LoopbackError> for OAuthError {
    fn from(e: LoopbackError) -> Self {
        match e {
            LoopbackError::Redirect(message) => OAuthError::Redirect(message),
            LoopbackError::Refused(message) => OAuthError::Refused(message),
        }
    }
}

/// How the browser comes back from signing in to Asana.
const SIGN_IN: oauth_loopback::Redirect<'static> = oauth_loopback::Redirect {
    path: "/callback",
    tool: "Asana",
    command: "throughline auth asana",
    signed_in: "Signed in to Asana. You can close this tab and go back to throughline.",
};

/// What `throughline auth asana` stores, and the connector keeps current.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The long-lived token that gets new access tokens.
    pub refresh_token: String,
    /// The current access token, kept so a restart need not refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// When `access_token` stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("refresh_token", &"[redacted]")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl StoredToken {
    /// The access token, if it still works for `margin` from `now`.
    pub fn fresh_access(&self, now: Timestamp, margin: Duration) -> Option<Secret> {
        let token = self.access_token.as_ref()?;
        let expires = self.expires_at?;
        let margin = jiff::SignedDuration::try_from(margin).ok()?;
        (now.checked_add(margin).ok()? < expires).then(|| Secret::new(token.clone()))
    }
}

/// Read the token file `throughline auth asana` wrote.
pub fn read_token_file(path: &Path) -> Result<StoredToken, OAuthError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        OAuthError::TokenFile(format!(
            "cannot read the Asana sign-in file {} ({e}); run `throughline auth asana` to sign in",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        OAuthError::TokenFile(format!(
            "{} is not an Asana sign-in file throughline wrote ({e}); run `throughline auth asana` \
             again to replace it",
            path.display()
        ))
    })
}

/// Write the token file readable by its owner only (0600): to a temporary file in the same
/// folder, then renamed over the old one, so a crash never leaves half a file.
pub fn write_token_file(path: &Path, token: &StoredToken) -> Result<(), OAuthError> {
    let fail = |e: std::io::Error| {
        OAuthError::TokenFile(format!(
            "cannot write the Asana sign-in file {} ({e}); check that its folder exists and is \
             writable",
            path.display()
        ))
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "asana-token".to_owned());
    let tmp: PathBuf = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let body = serde_json::to_vec_pretty(token).map_err(|e| fail(std::io::Error::other(e)))?;
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(fail)?;
        #[cfg(unix)]
        {
            // An existing temporary file keeps its old mode; make sure.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(fail)?;
        }
        file.write_all(&body).map_err(fail)?;
        file.sync_all().map_err(fail)?;
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
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

    fn redactor(&self) -> Redactor {
        Redactor::new().with(&self.client_secret)
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

fn http_client() -> Result<reqwest::Client, OAuthError> {
    reqwest::Client::builder()
        // Token endpoints must not redirect (a redirect could leak the code elsewhere).
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| OAuthError::Unreachable(format!("cannot set up HTTPS: {e}")))
}

type Client = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn client(app: &OAuthApp, redirect: Option<&str>) -> Result<Client, OAuthError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        OAuthError::TokenFile(format!("the Asana {what} is not a valid URL: {e}"))
    };
    let mut client = BasicClient::new(ClientId::new(app.client_id.clone()))
        .set_client_secret(ClientSecret::new(app.client_secret.expose().to_owned()))
        .set_auth_uri(
            AuthUrl::new(app.authorize_url.clone()).map_err(|e| bad("sign-in address", &e))?,
        )
        .set_token_uri(TokenUrl::new(app.token_url.clone()).map_err(|e| bad("token address", &e))?)
        // Asana reads the client credentials from the form body.
        .set_auth_type(AuthType::RequestBody);
    if let Some(redirect) = redirect {
        client = client.set_redirect_uri(
            RedirectUrl::new(redirect.to_owned()).map_err(|e| bad("redirect address", &e))?,
        );
    }
    Ok(client)
}

fn stored(
    response: &oauth2::basic::BasicTokenResponse,
    previous_refresh: Option<&str>,
) -> Result<StoredToken, OAuthError> {
    let refresh_token = response
        .refresh_token()
        .map(|r| r.secret().clone())
        .or_else(|| previous_refresh.map(str::to_owned))
        .ok_or_else(|| {
            OAuthError::Refused(
                "Asana signed in but gave no refresh token; check that the app is allowed to \
                 work offline, then run `throughline auth asana` again"
                    .into(),
            )
        })?;
    let expires_at = response.expires_in().and_then(|d| {
        let d = jiff::SignedDuration::try_from(d).ok()?;
        Timestamp::now().checked_add(d).ok()
    });
    Ok(StoredToken {
        refresh_token,
        access_token: Some(response.access_token().secret().clone()),
        expires_at,
    })
}

fn token_error<RE: std::error::Error + 'static>(
    app: &OAuthApp,
    e: RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
    what: &str,
) -> OAuthError {
    let redactor = app.redactor();
    match e {
        RequestTokenError::ServerResponse(r) => OAuthError::Refused(redactor.redact(&format!(
            "Asana refused {what}: {}{}. Run `throughline auth asana` to sign in again",
            r.error(),
            r.error_description()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ))),
        RequestTokenError::Request(e) => {
            let mut cause = e.to_string();
            let mut source = e.source();
            while let Some(s) = source {
                cause.push_str(&format!(": {s}"));
                source = s.source();
            }
            OAuthError::Unreachable(redactor.redact(&format!(
                "could not reach Asana's token address {} for {what} ({cause}); check the \
                 network connection and try again",
                app.token_url
            )))
        }
        RequestTokenError::Parse(e, body) => OAuthError::Unreachable(redactor.redact(&format!(
            "Asana's answer to {what} could not be read ({e}): {}",
            String::from_utf8_lossy(&body).chars().take(200).collect::<String>()
        ))),
        RequestTokenError::Other(e) => {
            OAuthError::Unreachable(redactor.redact(&format!("{what} failed: {e}")))
        }
    }
}

/// Exchange the refresh token for a new access token. Asana may hand out a new refresh token;
/// the result keeps the old one when it does not.
pub async fn refresh(app: &OAuthApp, refresh_token: &str) -> Result<StoredToken, OAuthError> {
    let http = http_client()?;
    let response = client(app, None)?
        .exchange_refresh_token(&RefreshToken::new(refresh_token.to_owned()))
        .request_async(&http)
        .await
        .map_err(|e| token_error(app, e, "the stored sign-in (refresh token)"))?;
    stored(&response, Some(refresh_token))
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
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| {
            OAuthError::Redirect(format!(
                "cannot listen on {} for the sign-in redirect ({e}); choose another port",
                settings.listen
            ))
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| OAuthError::Redirect(format!("cannot read the listening address: {e}")))?;
    let redirect = format!("http://{addr}/callback");
    let client = client(&settings.app, Some(&redirect))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(oauth2::Scope::new("default".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    open(url.as_str());

    let code = tokio::time::timeout(
        settings.timeout,
        oauth_loopback::wait_for_code(&listener, csrf.secret(), &SIGN_IN),
    )
    .await
    .map_err(|_| {
        OAuthError::Redirect(format!(
            "nobody finished signing in within {} s; run `throughline auth asana` again",
            settings.timeout.as_secs()
        ))
    })??;

    let http = http_client()?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .map_err(|e| token_error(&settings.app, e, "the sign-in code"))?;
    let token = stored(&response, None)?;
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

    #[test]
    fn an_access_token_is_fresh_until_shortly_before_it_expires() {
        let now: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let token = StoredToken {
            refresh_token: "r".into(),
            access_token: Some("a".into()),
            expires_at: Some("2030-01-01T00:10:00Z".parse().unwrap()),
        };
        assert!(token.fresh_access(now, Duration::from_secs(60)).is_some());
        assert!(token.fresh_access(now, Duration::from_secs(600)).is_none());
        let none = StoredToken {
            access_token: None,
            ..token
        };
        assert!(none.fresh_access(now, Duration::ZERO).is_none());
    }
}
