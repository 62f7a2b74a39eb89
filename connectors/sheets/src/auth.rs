//! Signing in to Google: a service account's key (an RS256-signed JWT exchanged for an access
//! token, RFC 7523), the desktop flow (`throughline auth google`: loopback redirect + PKCE,
//! with the `oauth2` crate) and its stored refresh token, or a bearer access token given as is.
//!
//! Google's access tokens live an hour. [`TokenSource`] keeps the current one and gets a new
//! one [`REFRESH_MARGIN`] before it expires, or at once when Google says it no longer works.
//! A refresh that fails is an error that says so and what to do, logged at error level: a
//! daemon must not go quiet because its sign-in ran out.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use throughline_connector::ConnectorError;
use throughline_connector::http::{Redactor, Secret};
use throughline_connector::oauth::{self, App, DesktopFlow, Tokens};
use throughline_connector::oauth_loopback;

/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Google's sign-in page for the desktop flow.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Read and write spreadsheets.
pub const SCOPE_SPREADSHEETS: &str = "https://www.googleapis.com/auth/spreadsheets";
/// Read a file's modification time and version (the cheap "did anything change?" call).
pub const SCOPE_DRIVE_METADATA: &str = "https://www.googleapis.com/auth/drive.metadata.readonly";
/// The scopes the connector asks for.
pub const DEFAULT_SCOPES: [&str; 2] = [SCOPE_SPREADSHEETS, SCOPE_DRIVE_METADATA];
/// A token is replaced this long before Google says it expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// How long a signed assertion is valid (Google's maximum).
const ASSERTION_LIFETIME_SECS: i64 = 3600;
/// The grant type of a signed JWT (RFC 7523).
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Why signing in failed. Every message says what to do.
pub use throughline_connector::oauth::OAuthError as AuthError;

/// How the browser comes back from signing in to Google: to the loopback root, with a query.
const SIGN_IN: oauth_loopback::Redirect<'static> = oauth_loopback::Redirect {
    path: "/?",
    tool: "Google",
    command: "throughline auth google",
    signed_in: "throughline is signed in to Google. You can close this tab.",
};

/// How a target signs in to Google, with every value already resolved.
#[derive(Debug, Clone)]
pub enum SheetsAuth {
    /// The contents of a service account's JSON key file. Share the spreadsheet with the
    /// account's e-mail address.
    ServiceAccount {
        /// The key file's contents.
        key_json: Secret,
    },
    /// The file `throughline auth google` wrote, and the OAuth client it was made with
    /// (empty `client_id`: the one stored in the file).
    OAuth {
        /// The token file.
        token_file: PathBuf,
        /// The OAuth client's id.
        client_id: String,
        /// The OAuth client's secret.
        client_secret: Secret,
    },
    /// A bearer access token, used as is (it is never refreshed).
    Token(Secret),
}

impl SheetsAuth {
    /// A stable secret naming the account, for rate limiter keys (never shown).
    pub(crate) fn account(&self) -> Secret {
        match self {
            SheetsAuth::ServiceAccount { key_json } => ServiceAccountKey::from_json(key_json)
                .map(|k| Secret::new(k.client_email))
                .unwrap_or_else(|_| key_json.clone()),
            SheetsAuth::OAuth {
                token_file,
                client_id,
                ..
            } => Secret::new(format!("{client_id}:{}", token_file.display())),
            SheetsAuth::Token(token) => token.clone(),
        }
    }
}

/// The parts of a service account key file throughline uses.
#[derive(Clone, Deserialize)]
pub struct ServiceAccountKey {
    /// The account's e-mail address (share the spreadsheet with it).
    pub client_email: String,
    private_key: String,
    /// The key's id, sent in the token request's header.
    #[serde(default)]
    pub private_key_id: Option<String>,
    /// Where the key's tokens come from (Google's token endpoint when absent).
    #[serde(default)]
    pub token_uri: Option<String>,
}

impl std::fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

impl ServiceAccountKey {
    /// Read a key file's contents; a file that is no service account key is named as such.
    pub fn from_json(json: &Secret) -> Result<ServiceAccountKey, AuthError> {
        #[derive(Deserialize)]
        struct Kind {
            #[serde(rename = "type")]
            kind: Option<String>,
        }
        let bad = |why: String| {
            AuthError::Credentials(format!(
                "the service account key is not usable ({why}); download a new JSON key for the \
                 service account in the Google Cloud console (IAM → Service accounts → Keys)"
            ))
        };
        let kind: Kind =
            serde_json::from_str(json.expose()).map_err(|e| bad(format!("not JSON: {e}")))?;
        if let Some(kind) = kind.kind.filter(|k| k != "service_account") {
            return Err(bad(format!(
                "it is a \"{kind}\" file, not a service account key"
            )));
        }
        let key: ServiceAccountKey = serde_json::from_str(json.expose())
            .map_err(|e| bad(format!("a field is missing: {e}")))?;
        key.key_pair()?;
        Ok(key)
    }

    /// The private key in the form ring signs with.
    fn key_pair(&self) -> Result<ring::rsa::KeyPair, AuthError> {
        let der = pem_der(&self.private_key, "PRIVATE KEY").ok_or_else(|| {
            AuthError::Credentials(format!(
                "the private key of {} is not a PEM \"PRIVATE KEY\" block; download a new JSON \
                 key for the service account",
                self.client_email
            ))
        })?;
        ring::rsa::KeyPair::from_pkcs8(&der).map_err(|e| {
            AuthError::Credentials(format!(
                "the private key of {} cannot sign ({e}); download a new JSON key for the \
                 service account",
                self.client_email
            ))
        })
    }

    /// The public half of the key (DER `RSAPublicKey`), to check signatures with.
    pub fn public_key_der(&self) -> Result<Vec<u8>, AuthError> {
        use ring::signature::KeyPair;
        Ok(self.key_pair()?.public_key().as_ref().to_vec())
    }

    /// A signed assertion asking `audience` (the token endpoint) for these scopes.
    pub fn assertion(
        &self,
        scopes: &[String],
        audience: &str,
        now: Timestamp,
    ) -> Result<String, AuthError> {
        let iat = now.as_second();
        let header = serde_json::json!({
            "alg": "RS256",
            "typ": "JWT",
            "kid": self.private_key_id,
        });
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": scopes.join(" "),
            "aud": audience,
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let pair = self.key_pair()?;
        let mut signature = vec![0u8; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| {
            AuthError::Credentials(format!(
                "the private key of {} could not sign the sign-in request",
                self.client_email
            ))
        })?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// The bytes of the first PEM block with this label.
pub(crate) fn pem_der(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).ok()
}

/// What `throughline auth google` stores and the connector keeps current (JSON, mode 0600).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The refresh token, the access token last fetched and when it expires.
    #[serde(flatten)]
    pub token: oauth::StoredToken,
    /// The scopes Google granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The OAuth client the sign-in was made with (renewals must use the same one). A desktop
    /// client's secret is not confidential (Google says so), so it is kept with the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The OAuth client's secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("token", &self.token)
            .field("scopes", &self.scopes)
            .field("client_id", &self.client_id)
            .finish()
    }
}

/// Read the token file `throughline auth google` wrote.
pub fn read_token_file(path: &Path) -> Result<StoredToken, AuthError> {
    oauth::read_token_file(path, &SIGN_IN)
}

/// Write the token file readable by its owner only (0600): to a temporary file in the same
/// folder, then renamed over the old one, so a crash never leaves half a file.
pub fn write_token_file(path: &Path, token: &StoredToken) -> Result<(), AuthError> {
    oauth::write_token_file(path, token, &SIGN_IN)
}

/// Google's answer from the token endpoint.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
}

/// Google's OAuth error body (`{"error": "invalid_grant", "error_description": "..."}`).
#[derive(Deserialize)]
struct TokenRefusal {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

fn token_http() -> Result<reqwest::Client, AuthError> {
    reqwest::Client::builder()
        // Token endpoints must not redirect (a redirect could carry a secret elsewhere).
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| AuthError::Unreachable(format!("cannot set up HTTPS: {e}")))
}

/// A current access token for one target, renewed before it expires.
pub struct TokenSource {
    auth: SheetsAuth,
    token_url: String,
    scopes: Vec<String>,
    target: String,
    http: reqwest::Client,
    current: Mutex<Option<(Secret, Option<Timestamp>)>>,
    refreshes: std::sync::atomic::AtomicU64,
}

impl TokenSource {
    /// Access tokens for `auth` from `token_url`, for `scopes`; `target` names the target in
    /// errors. Credentials that cannot be read are refused here.
    pub fn new(
        auth: SheetsAuth,
        token_url: impl Into<String>,
        scopes: Vec<String>,
        target: impl Into<String>,
    ) -> Result<TokenSource, AuthError> {
        if let SheetsAuth::ServiceAccount { key_json } = &auth {
            ServiceAccountKey::from_json(key_json)?;
        }
        Ok(TokenSource {
            auth,
            token_url: token_url.into(),
            scopes,
            target: target.into(),
            http: token_http()?,
            current: Mutex::new(None),
            refreshes: Default::default(),
        })
    }

    /// How many new access tokens this source fetched.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Secrets to keep out of messages.
    pub fn secrets(&self) -> Vec<Secret> {
        match &self.auth {
            SheetsAuth::ServiceAccount { key_json } => vec![key_json.clone()],
            SheetsAuth::OAuth { client_secret, .. } => vec![client_secret.clone()],
            SheetsAuth::Token(t) => vec![t.clone()],
        }
    }

    /// The token to send now. `stale` is a token Google just refused: get another one.
    pub async fn token(&self, stale: Option<&Secret>) -> Result<Secret, ConnectorError> {
        if let SheetsAuth::Token(token) = &self.auth {
            if stale.is_some() {
                return Err(ConnectorError::Auth {
                    message: format!(
                        "target `{}`: Google no longer accepts the access token in the \
                         configuration (they expire after an hour); use a service account key \
                         or `throughline auth google` so throughline can renew it",
                        self.target
                    ),
                });
            }
            return Ok(token.clone());
        }
        let now = Timestamp::now();
        {
            let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((token, expires)) = current.as_ref() {
                let refused = stale.is_some_and(|s| s == token);
                if !refused && fresh(*expires, now) {
                    return Ok(token.clone());
                }
            }
        }
        let (token, expires) = match self.fetch(now, stale).await {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(target_id = %self.target, error = %e, "Google sign-in failed");
                return Err(e.into());
            }
        };
        self.refreshes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some((token.clone(), expires));
        Ok(token)
    }

    async fn fetch(
        &self,
        now: Timestamp,
        stale: Option<&Secret>,
    ) -> Result<(Secret, Option<Timestamp>), AuthError> {
        match &self.auth {
            SheetsAuth::Token(t) => Ok((t.clone(), None)),
            SheetsAuth::ServiceAccount { key_json } => {
                let key = ServiceAccountKey::from_json(key_json)?;
                let assertion = key.assertion(&self.scopes, &self.token_url, now)?;
                let form = [("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)];
                let what = format!("the service account {}", key.client_email);
                let answer = self.post(&form, &what, &Redactor::new()).await?;
                Ok((
                    Secret::new(answer.access_token),
                    expiry(now, answer.expires_in),
                ))
            }
            SheetsAuth::OAuth {
                token_file,
                client_id,
                client_secret,
            } => {
                let mut stored = read_token_file(token_file)?;
                // A token another process already renewed is as good as a new one.
                if let (Some(access), None) = (&stored.token.access_token, stale)
                    && fresh(stored.token.expires_at, now)
                {
                    return Ok((Secret::new(access.clone()), stored.token.expires_at));
                }
                let (client_id, client_secret) = if client_id.is_empty() {
                    let missing = || {
                        AuthError::Credentials(format!(
                            "{} names no OAuth client; run `throughline auth google` again",
                            token_file.display()
                        ))
                    };
                    (
                        stored.client_id.clone().ok_or_else(missing)?,
                        Secret::new(stored.client_secret.clone().ok_or_else(missing)?),
                    )
                } else {
                    (client_id.clone(), client_secret.clone())
                };
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", stored.token.refresh_token.as_str()),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.expose()),
                ];
                let redactor = Redactor::new()
                    .with(&client_secret)
                    .with(&Secret::new(stored.token.refresh_token.clone()));
                let what = format!("the stored sign-in {}", token_file.display());
                let answer = self.post(&form, &what, &redactor).await?;
                let expires = expiry(now, answer.expires_in);
                stored.token.access_token = Some(answer.access_token.clone());
                stored.token.expires_at = expires;
                if let Some(scope) = answer.scope {
                    stored.scopes = scope.split_whitespace().map(str::to_owned).collect();
                }
                write_token_file(token_file, &stored)?;
                Ok((Secret::new(answer.access_token), expires))
            }
        }
    }

    async fn post(
        &self,
        form: &[(&str, &str)],
        what: &str,
        redactor: &Redactor,
    ) -> Result<TokenAnswer, AuthError> {
        let response = self
            .http
            .post(&self.token_url)
            .form(form)
            .send()
            .await
            .map_err(|e| {
                AuthError::Unreachable(redactor.redact(&format!(
                    "target `{}`: could not reach Google's sign-in service at {} to renew the \
                     access token for {what} ({}); check the network connection, the next sync \
                     tries again",
                    self.target,
                    self.token_url,
                    e.without_url()
                )))
            })?;
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                AuthError::Unreachable(format!(
                    "target `{}`: Google's sign-in service answered something throughline \
                     cannot read ({e})",
                    self.target
                ))
            });
        }
        if status.is_server_error() {
            return Err(AuthError::Unreachable(format!(
                "target `{}`: Google's sign-in service answered {status} while renewing the \
                 access token for {what}; the next sync tries again",
                self.target
            )));
        }
        let said = serde_json::from_slice::<TokenRefusal>(&body)
            .map(|r| match r.error_description {
                Some(d) => format!("{} ({d})", r.error),
                None => r.error,
            })
            .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
        let todo = match &self.auth {
            SheetsAuth::ServiceAccount { .. } => {
                "check that the service account and its key still exist (Google Cloud console → \
                 IAM → Service accounts), or download a new key"
            }
            _ => "run `throughline auth google` to sign in again",
        };
        Err(AuthError::Refused(redactor.redact(&format!(
            "target `{}`: Google refused to renew the access token for {what}: {said}. Sync \
             with this spreadsheet has stopped until this is fixed: {todo}",
            self.target
        ))))
    }
}

fn fresh(expires: Option<Timestamp>, now: Timestamp) -> bool {
    let Ok(margin) = jiff::SignedDuration::try_from(REFRESH_MARGIN) else {
        return false;
    };
    match expires {
        None => true,
        Some(at) => now.checked_add(margin).is_ok_and(|soon| soon < at),
    }
}

fn expiry(now: Timestamp, expires_in: Option<i64>) -> Option<Timestamp> {
    // Google always says; an hour is its lifetime when a proxy drops the field.
    let secs = expires_in.unwrap_or(3600);
    now.checked_add(jiff::SignedDuration::from_secs(secs)).ok()
}

/// How `throughline auth google` signs in.
#[derive(Debug, Clone)]
pub struct DesktopSignIn {
    /// An OAuth client of type "Desktop app" from the Google Cloud console.
    pub client_id: String,
    /// The OAuth client's secret.
    pub client_secret: Secret,
    /// [`GOOGLE_AUTH_URL`] (tests point it at the emulator).
    pub auth_url: String,
    /// [`GOOGLE_TOKEN_URL`].
    pub token_url: String,
    /// The scopes to ask for ([`DEFAULT_SCOPES`]).
    pub scopes: Vec<String>,
    /// Where the loopback listener waits for the browser (`127.0.0.1:0`: any free port).
    pub listen: SocketAddr,
    /// Where to store the tokens (mode 0600).
    pub token_file: PathBuf,
    /// How long to wait for the person to finish signing in.
    pub timeout: Duration,
}

impl DesktopSignIn {
    /// Google's endpoints and the connector's scopes; listens on any free loopback port and
    /// waits five minutes.
    pub fn new(client_id: impl Into<String>, client_secret: Secret, token_file: PathBuf) -> Self {
        DesktopSignIn {
            client_id: client_id.into(),
            client_secret,
            auth_url: GOOGLE_AUTH_URL.to_owned(),
            token_url: GOOGLE_TOKEN_URL.to_owned(),
            scopes: DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token_file,
            timeout: Duration::from_secs(300),
        }
    }
}

/// Sign in with the desktop flow: hand the sign-in address to `open` (print it, open a
/// browser), wait for Google to send the browser back to the loopback address, exchange the
/// code (with the PKCE verifier) for tokens, and store them with mode 0600.
pub async fn sign_in_desktop<F>(flow: &DesktopSignIn, open: F) -> Result<StoredToken, AuthError>
where
    F: FnOnce(&str),
{
    let desktop = DesktopFlow {
        app: App {
            client_id: &flow.client_id,
            client_secret: &flow.client_secret,
            authorize_url: &flow.auth_url,
            token_url: &flow.token_url,
            names: SIGN_IN,
        },
        scopes: &flow.scopes,
        // A refresh token, every time (Google gives one only on consent).
        extra_params: &[("access_type", "offline"), ("prompt", "consent")],
        listen: flow.listen,
        timeout: flow.timeout,
    };
    let tokens = oauth::sign_in(&desktop, open).await?;
    let token = stored_token(flow, tokens)?;
    write_token_file(&flow.token_file, &token)?;
    Ok(token)
}

/// What the desktop flow keeps of Google's answer (the scopes asked for when it names none);
/// an answer without a refresh token is refused.
fn stored_token(flow: &DesktopSignIn, tokens: Tokens) -> Result<StoredToken, AuthError> {
    let refresh_token = tokens.refresh_token.ok_or_else(|| {
        AuthError::Refused(
            "Google signed in but gave no refresh token; remove throughline's access at \
             https://myaccount.google.com/permissions and run `throughline auth google` again"
                .into(),
        )
    })?;
    Ok(StoredToken {
        token: oauth::StoredToken {
            refresh_token,
            access_token: Some(tokens.access_token),
            expires_at: expiry(
                Timestamp::now(),
                tokens.expires_in.map(|d| d.as_secs() as i64),
            ),
        },
        scopes: tokens.scopes.unwrap_or_else(|| flow.scopes.clone()),
        client_id: Some(flow.client_id.clone()),
        client_secret: Some(flow.client_secret.expose().to_owned()),
    })
}
