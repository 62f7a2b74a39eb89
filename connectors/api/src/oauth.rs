//! OAuth 2 for the tools people sign in to through a browser (Asana, Google): the desktop flow
//! (an authorization code with PKCE, sent back to a loopback address as RFC 8252 says), the
//! exchange of a refresh token for a new access token, and the token file a sign-in leaves
//! behind. The protocol is the `oauth2` crate's; this module adds the loopback listener, the
//! messages (each naming the tool and the command that signs in again, secrets redacted) and
//! the file handling, so that each connector keeps only what is its tool's own: its endpoints,
//! scopes and what it stores.
//!
//! A token file is JSON readable by its owner only (mode 0600), written to a temporary file in
//! the same folder and renamed over the old one, so a crash never leaves half a file.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::http::{Redactor, Secret};
use crate::oauth_loopback::{self, LoopbackError, Redirect};

/// Why signing in or renewing failed. Every message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// What the sign-in is made with cannot be used: a token or key file that cannot be read
    /// or written, an OAuth address that is not a URL.
    #[error("{0}")]
    Credentials(String),
    /// The tool refused (a revoked app, a wrong client secret, an expired code).
    #[error("{0}")]
    Refused(String),
    /// The tool could not be reached, or answered something unreadable.
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

/// A connector's view: the tool out of reach is worth another try next cycle; anything else
/// needs a person (sign in again, fix the app).
impl From<OAuthError> for crate::ConnectorError {
    fn from(e: OAuthError) -> Self {
        match e {
            OAuthError::Unreachable(message) => crate::ConnectorError::Retryable { message },
            e => crate::ConnectorError::Auth {
                message: e.to_string(),
            },
        }
    }
}

/// An OAuth app of one tool: who it is, where people sign in and where tokens come from.
#[derive(Debug, Clone, Copy)]
pub struct App<'a> {
    /// The app's client id.
    pub client_id: &'a str,
    /// The app's client secret (kept out of every message).
    pub client_secret: &'a Secret,
    /// The sign-in page.
    pub authorize_url: &'a str,
    /// The token endpoint.
    pub token_url: &'a str,
    /// The tool and its sign-in command as messages name them, and the loopback redirect's
    /// path (`/callback`; `/?` for the loopback root).
    pub names: Redirect<'a>,
}

/// What a token endpoint answered (no `Debug`: it holds secrets).
#[derive(Clone)]
pub struct Tokens {
    /// The new access token.
    pub access_token: String,
    /// A refresh token, when the tool gave one.
    pub refresh_token: Option<String>,
    /// How long the access token lives, when the tool said.
    pub expires_in: Option<Duration>,
    /// The scopes granted, when the tool named them.
    pub scopes: Option<Vec<String>>,
}

/// What a sign-in keeps in its token file (a tool may keep more beside it).
#[derive(Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoredToken {
    /// The long-lived token that gets new access tokens.
    pub refresh_token: String,
    /// The current access token, kept so a restart need not renew it.
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

/// How a desktop sign-in runs.
#[derive(Debug, Clone, Copy)]
pub struct DesktopFlow<'a> {
    /// The app to sign in with.
    pub app: App<'a>,
    /// The scopes to ask for.
    pub scopes: &'a [String],
    /// Parameters of the tool's own added to the sign-in address (Google's
    /// `access_type=offline`).
    pub extra_params: &'a [(&'a str, &'a str)],
    /// Where the loopback listener waits for the browser (`127.0.0.1:0`: any free port).
    pub listen: SocketAddr,
    /// How long to wait for the person to finish signing in.
    pub timeout: Duration,
}

/// Sign in: hand the sign-in address to `open` (print it, open a browser), wait for the tool
/// to send the browser back to the loopback address, and exchange the code (with the PKCE
/// verifier) for tokens.
pub async fn sign_in<F>(flow: &DesktopFlow<'_>, open: F) -> Result<Tokens, OAuthError>
where
    F: FnOnce(&str),
{
    let names = flow.app.names;
    let listener = tokio::net::TcpListener::bind(flow.listen)
        .await
        .map_err(|e| {
            OAuthError::Redirect(format!(
                "cannot listen on {} for the sign-in redirect ({e}); choose another port",
                flow.listen
            ))
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| OAuthError::Redirect(format!("cannot read the listening address: {e}")))?;
    let redirect = format!("http://{addr}{}", names.path.trim_end_matches('?'));
    let client = client(&flow.app, Some(&redirect))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(flow.scopes.iter().map(|s| Scope::new(s.clone())))
        .set_pkce_challenge(challenge);
    for (name, value) in flow.extra_params {
        request = request.add_extra_param(*name, *value);
    }
    let (url, csrf) = request.url();
    open(url.as_str());

    let code = tokio::time::timeout(
        flow.timeout,
        oauth_loopback::wait_for_code(&listener, csrf.secret(), &names),
    )
    .await
    .map_err(|_| {
        OAuthError::Redirect(format!(
            "nobody finished signing in within {} s; run `{}` again",
            flow.timeout.as_secs(),
            names.command
        ))
    })??;

    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http_client()?)
        .await
        .map_err(|e| token_error(&flow.app, &[], e, "the sign-in code"))?;
    Ok(tokens(&response))
}

/// Exchange a refresh token for a new access token. Some tools hand out a new refresh token
/// too (`Tokens::refresh_token`); the old one stays good when they do not.
pub async fn refresh(app: &App<'_>, refresh_token: &str) -> Result<Tokens, OAuthError> {
    let response = client(app, None)?
        .exchange_refresh_token(&RefreshToken::new(refresh_token.to_owned()))
        .request_async(&http_client()?)
        .await
        .map_err(|e| {
            let refresh = Secret::new(refresh_token);
            token_error(app, &[refresh], e, "the stored sign-in (refresh token)")
        })?;
    Ok(tokens(&response))
}

/// Read a token file a sign-in wrote.
pub fn read_token_file<T: DeserializeOwned>(
    path: &Path,
    names: &Redirect<'_>,
) -> Result<T, OAuthError> {
    let Redirect { tool, command, .. } = *names;
    let text = std::fs::read_to_string(path).map_err(|e| {
        OAuthError::Credentials(format!(
            "cannot read the {tool} sign-in file {} ({e}); run `{command}` to sign in",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        OAuthError::Credentials(format!(
            "{} is not {} {tool} sign-in file throughline wrote ({e}); run `{command}` again to \
             replace it",
            path.display(),
            article(tool)
        ))
    })
}

/// Write a token file readable by its owner only (0600): to a temporary file in the same
/// folder, then renamed over the old one.
pub fn write_token_file<T: Serialize>(
    path: &Path,
    token: &T,
    names: &Redirect<'_>,
) -> Result<(), OAuthError> {
    let fail = |e: std::io::Error| {
        OAuthError::Credentials(format!(
            "cannot write the {} sign-in file {} ({e}); check that its folder exists and is \
             writable",
            names.tool,
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
        .unwrap_or_else(|| format!("{}-token", names.tool.to_lowercase()));
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let body = serde_json::to_vec_pretty(token).map_err(|e| fail(std::io::Error::other(e)))?;
    write_private(&tmp, &body).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// Write `body` to a file only its owner may read, synced to disk.
fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        // An existing temporary file keeps its old mode; make sure.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(body)?;
    file.sync_all()
}

/// "an Asana", "a Google".
fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

fn http_client() -> Result<reqwest::Client, OAuthError> {
    reqwest::Client::builder()
        // Token endpoints must not redirect (a redirect could carry a code or secret elsewhere).
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| OAuthError::Unreachable(format!("cannot set up HTTPS: {e}")))
}

type Client = oauth2::Client<
    BasicErrorResponse,
    BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn client(app: &App<'_>, redirect: Option<&str>) -> Result<Client, OAuthError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        OAuthError::Credentials(format!(
            "the {} {what} is not a valid URL: {e}",
            app.names.tool
        ))
    };
    let mut client = BasicClient::new(ClientId::new(app.client_id.to_owned()))
        .set_client_secret(ClientSecret::new(app.client_secret.expose().to_owned()))
        .set_auth_uri(
            AuthUrl::new(app.authorize_url.to_owned()).map_err(|e| bad("sign-in address", &e))?,
        )
        .set_token_uri(
            TokenUrl::new(app.token_url.to_owned()).map_err(|e| bad("token address", &e))?,
        )
        // Asana and Google both read the client credentials from the form body.
        .set_auth_type(AuthType::RequestBody);
    if let Some(redirect) = redirect {
        client = client.set_redirect_uri(
            RedirectUrl::new(redirect.to_owned()).map_err(|e| bad("redirect address", &e))?,
        );
    }
    Ok(client)
}

fn tokens(response: &BasicTokenResponse) -> Tokens {
    Tokens {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|r| r.secret().clone()),
        expires_in: response.expires_in(),
        scopes: response
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect()),
    }
}

/// A token request's failure as a message: the tool's refusal with what to do, or why it could
/// not be reached (every cause in the chain), with the app's secrets redacted.
fn token_error<RE: std::error::Error + 'static>(
    app: &App<'_>,
    also_secret: &[Secret],
    e: RequestTokenError<RE, BasicErrorResponse>,
    what: &str,
) -> OAuthError {
    let redactor = also_secret
        .iter()
        .fold(Redactor::new().with(app.client_secret), |r, s| r.with(s));
    let Redirect { tool, command, .. } = app.names;
    match e {
        RequestTokenError::ServerResponse(r) => OAuthError::Refused(redactor.redact(&format!(
            "{tool} refused {what}: {}{}. Run `{command}` to sign in again",
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
                "could not reach {tool}'s token address {} for {what} ({cause}); check the \
                 network connection and try again",
                app.token_url
            )))
        }
        RequestTokenError::Parse(e, body) => OAuthError::Unreachable(redactor.redact(&format!(
            "{tool}'s answer to {what} could not be read ({e}): {}",
            String::from_utf8_lossy(&body).chars().take(200).collect::<String>()
        ))),
        RequestTokenError::Other(e) => {
            OAuthError::Unreachable(redactor.redact(&format!("{what} failed: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: Redirect<'static> = Redirect {
        path: "/callback",
        tool: "Acme",
        command: "throughline auth acme",
        signed_in: "Signed in.",
    };

    #[derive(Debug, PartialEq, serde::Deserialize, Serialize)]
    struct Stored {
        refresh_token: String,
    }

    #[test]
    fn a_token_file_is_private_replaced_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("acme.json");
        let token = Stored {
            refresh_token: "r-1".into(),
        };
        write_token_file(&path, &token, &ACME).unwrap();
        let again = Stored {
            refresh_token: "r-2".into(),
        };
        write_token_file(&path, &again, &ACME).unwrap();
        assert_eq!(read_token_file::<Stored>(&path, &ACME).unwrap(), again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["acme.json"], "no temporary file is left behind");
    }

    #[test]
    fn a_missing_or_foreign_token_file_says_how_to_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let missing = read_token_file::<Stored>(&dir.path().join("none.json"), &ACME);
        let Err(OAuthError::Credentials(message)) = missing else {
            panic!("{missing:?}");
        };
        assert!(
            message.starts_with("cannot read the Acme sign-in file "),
            "{message}"
        );
        assert!(
            message.ends_with("run `throughline auth acme` to sign in"),
            "{message}"
        );
        let other = dir.path().join("other.json");
        std::fs::write(&other, "{}").unwrap();
        let foreign = read_token_file::<Stored>(&other, &ACME)
            .unwrap_err()
            .to_string();
        assert!(
            foreign.contains("is not an Acme sign-in file throughline wrote"),
            "{foreign}"
        );
        assert!(
            foreign.ends_with("run `throughline auth acme` again to replace it"),
            "{foreign}"
        );
    }

    #[test]
    fn a_stored_token_hides_its_secrets_and_is_fresh_until_shortly_before_it_expires() {
        let now: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let token = StoredToken {
            refresh_token: "r-secret".into(),
            access_token: Some("a-secret".into()),
            expires_at: Some("2030-01-01T00:10:00Z".parse().unwrap()),
        };
        let shown = format!("{token:?}");
        assert!(
            !shown.contains("r-secret") && !shown.contains("a-secret"),
            "{shown}"
        );
        assert!(token.fresh_access(now, Duration::from_secs(60)).is_some());
        assert!(token.fresh_access(now, Duration::from_secs(600)).is_none());
        let none = StoredToken {
            access_token: None,
            ..token
        };
        assert!(none.fresh_access(now, Duration::ZERO).is_none());
    }

    #[tokio::test]
    async fn a_refused_refresh_names_the_tool_and_the_command_and_no_secret() {
        // A token endpoint that refuses every request, as a revoked app would.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let _ = stream.read(&mut buf).await;
            let body = r#"{"error":"invalid_grant","error_description":"revoked"}"#;
            let answer = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(answer.as_bytes()).await.unwrap();
        });
        let secret = Secret::new("client-secret-1");
        let token_url = format!("http://{addr}/token");
        let app = App {
            client_id: "id",
            client_secret: &secret,
            authorize_url: "http://127.0.0.1:9/authorize",
            token_url: &token_url,
            names: ACME,
        };
        let Err(err) = refresh(&app, "refresh-secret-1").await else {
            panic!("a refused refresh came back as tokens");
        };
        server.await.unwrap();
        assert_eq!(
            err,
            OAuthError::Refused(
                "Acme refused the stored sign-in (refresh token): invalid_grant (revoked). Run \
                 `throughline auth acme` to sign in again"
                    .into()
            )
        );
    }
}
