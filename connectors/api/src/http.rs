//! The HTTP client the hosted connectors (Trello, Asana, Sheets) share.
//!
//! What it does for every request, so connectors do not each get it subtly wrong:
//! - **Quotas.** Before each attempt it waits on every [`Limiter`] the connector attached: one
//!   per account and quota (Trello: 100 per 10 s per token *and* 300 per 10 s per key). Limiters
//!   come from a [`LimiterRegistry`] keyed by an account key, so two targets on the same token
//!   share one budget.
//! - **429.** `Retry-After` (seconds or an HTTP date) is waited out, within the time budget.
//! - **Passing failures** (5xx, timeouts, dropped connections) are retried with exponential
//!   backoff and full jitter, up to [`RetryPolicy::max_attempts`] and
//!   [`RetryPolicy::max_elapsed`]. A request that may have reached the tool (a `POST` that timed
//!   out, a 500) is retried only when it is idempotent, because repeating a create is how
//!   duplicates are born. Connectors mark their idempotent `POST`s with [`SendOptions`].
//! - **Classification.** The final failure becomes a [`ConnectorError`] naming the tool, the
//!   request and the tool's own message.
//! - **Secrets.** Tokens, keys, passwords and `Authorization` values never reach an error message
//!   or a log line: see [`Secret`] and [`Redactor`].
//! - **Counting.** Every attempt is counted by method and outcome ([`RequestCounts`]), because
//!   the cost of a sync cycle is measured in requests.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota};
use jiff::Timestamp;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::ConnectorError;

// --- Secrets and redaction ------------------------------------------------------------------

/// What replaces a secret in messages and logs.
pub const REDACTED: &str = "[redacted]";

/// A credential. Its `Debug` and `Display` never show the value; only [`Secret::expose`] does,
/// at the one place a request is built.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, to put into a request.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A short stable name for this secret within one process (for limiter keys and logs);
    /// it does not reveal the value.
    pub fn fingerprint(&self) -> String {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.0.hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// Names whose values are secrets wherever they appear: query parameters (`?key=...`), form
/// fields, JSON members (`"token": "..."`), header lines (`Authorization: ...`).
const SENSITIVE_NAMES: &[&str] = &[
    "key",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "secret",
    "password",
    "passwd",
    "pwd",
    "oauth_token",
    "oauth_consumer_key",
    "oauth_signature",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Removes secrets from text: the values of the [`Secret`]s it knows (as written and as
/// percent-encoded in URLs), and any value that follows a sensitive name or an auth scheme
/// (`Bearer ...`), whoever's it is.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Known secret values and their URL-encoded forms, longest first.
    known: Vec<String>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Also redact this secret's value wherever it appears.
    pub fn add(&mut self, secret: &Secret) {
        if secret.is_empty() {
            return;
        }
        for form in [secret.0.clone(), percent_encode(&secret.0)] {
            if !self.known.contains(&form) {
                self.known.push(form);
            }
        }
        self.known.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    pub fn with(mut self, secret: &Secret) -> Self {
        self.add(secret);
        self
    }

    /// The text with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.known {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
        }
        redact_patterns(&text)
    }

    /// A URL fit for a message or a log line.
    pub fn redact_url(&self, url: &Url) -> String {
        self.redact(url.as_str())
    }
}

/// [`Redactor::redact`] without known secrets: only what sensitive names and auth schemes
/// give away.
pub fn redact(text: &str) -> String {
    redact_patterns(text)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Scans for `name = value`, `name: value`, `"name": "value"` with a sensitive name, and for
/// `Bearer <credential>`, and replaces the values.
fn redact_patterns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let at_word = is_name_char(c) && !prev.is_some_and(is_name_char);
        if at_word {
            let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            let name = &rest[..len];
            let lower = name.to_ascii_lowercase();
            if let Some(value_at) = SENSITIVE_NAMES
                .contains(&lower.as_str())
                .then(|| value_start(&rest[len..]))
                .flatten()
            {
                let after_name = &rest[len..];
                let value = &after_name[value_at..];
                out.push_str(name);
                out.push_str(&after_name[..value_at]);
                let value_len = if value.starts_with(REDACTED) {
                    // A known secret, already replaced.
                    out.push_str(REDACTED);
                    REDACTED.len()
                } else {
                    let len = value_len(value, lower.contains("authorization"));
                    if len > 0 {
                        redact_value(&mut out, &value[..len]);
                    }
                    len
                };
                rest = &value[value_len..];
                prev = out.chars().last();
                continue;
            }
            if lower == "bearer" || lower == "basic" {
                let after = &rest[len..];
                let spaces = after.len() - after.trim_start_matches(' ').len();
                let cred = &after[spaces..];
                let cred_len = cred
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "-._~+/=".contains(c)))
                    .unwrap_or(cred.len());
                // Credentials are long and never plain words ("Basic authentication").
                let looks_like_credential =
                    cred_len >= 8 && cred[..cred_len].contains(|c: char| !c.is_ascii_alphabetic());
                if spaces > 0 && looks_like_credential {
                    out.push_str(name);
                    out.push_str(&after[..spaces]);
                    out.push_str(REDACTED);
                    rest = &cred[cred_len..];
                    prev = Some(']');
                    continue;
                }
            }
            out.push_str(name);
            rest = &rest[len..];
            prev = name.chars().last();
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
        prev = Some(c);
    }
    out
}

/// After a sensitive name: where its value starts, if a separator follows (`=`, `:`, with an
/// optional closing quote before it and spaces around it).
fn value_start(after: &str) -> Option<usize> {
    let mut i = 0;
    let bytes = after.as_bytes();
    if matches!(bytes.first(), Some(b'"' | b'\'')) {
        i += 1;
    }
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    if !matches!(bytes.get(i), Some(b'=' | b':')) {
        return None;
    }
    i += 1;
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    Some(i)
}

/// How long the value at the start of `value` is: a quoted string with its quotes, or up to
/// the next delimiter (a header value runs to the end of the line).
fn value_len(value: &str, whole_line: bool) -> usize {
    let mut chars = value.char_indices();
    match chars.next() {
        Some((_, q @ ('"' | '\''))) => {
            let mut escaped = false;
            for (i, c) in chars {
                match c {
                    '\\' if !escaped => escaped = true,
                    c if c == q && !escaped => return i + 1,
                    _ => escaped = false,
                }
            }
            value.len()
        }
        Some(_) if whole_line => value.find(['\r', '\n']).unwrap_or(value.len()),
        Some(_) => value
            .find(|c: char| c.is_whitespace() || "&\"',;#)]}<>".contains(c))
            .unwrap_or(value.len()),
        None => 0,
    }
}

/// Writes `[redacted]`, keeping the quotes of a quoted value.
fn redact_value(out: &mut String, value: &str) {
    let quoted = value.len() >= 2
        && matches!(value.as_bytes()[0], b'"' | b'\'')
        && value.as_bytes()[0] == value.as_bytes()[value.len() - 1];
    if quoted {
        let q = char::from(value.as_bytes()[0]);
        out.push(q);
        out.push_str(REDACTED);
        out.push(q);
    } else {
        out.push_str(REDACTED);
    }
}

// --- Rate limits ----------------------------------------------------------------------------

/// One of a tool's request quotas: at most `requests` in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    pub requests: NonZeroU32,
    pub per: Duration,
}

impl RateQuota {
    /// `None` when `requests` is 0 or `per` is zero.
    pub fn new(requests: u32, per: Duration) -> Option<Self> {
        let requests = NonZeroU32::new(requests)?;
        (!per.is_zero()).then_some(RateQuota { requests, per })
    }

    /// The limiter's cell rate. A bucket with burst `b` refilled one request per `T` lets
    /// `b + W/T - 1` requests through in a window `W`; `T = W / (n - b)` keeps that under `n`
    /// while allowing a small burst (a tenth of the quota).
    fn governor_quota(&self) -> Quota {
        let n = self.requests.get();
        let burst = (n / 10).max(1);
        let refill = n.saturating_sub(burst).max(1);
        let period = self.per / refill;
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(self.requests))
            .allow_burst(burst)
    }
}

/// A request budget shared by everyone using one account.
pub type Limiter = DefaultDirectRateLimiter;

/// One account's quota and the limiter that enforces it.
type Account = (RateQuota, Arc<Limiter>);

/// Limiters by account key, so every client on one account (two targets on the same Trello
/// token) draws from one budget.
#[derive(Debug, Clone, Default)]
pub struct LimiterRegistry {
    limiters: Arc<Mutex<HashMap<String, Account>>>,
}

impl LimiterRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry of this process.
    pub fn global() -> &'static LimiterRegistry {
        static GLOBAL: OnceLock<LimiterRegistry> = OnceLock::new();
        GLOBAL.get_or_init(LimiterRegistry::new)
    }

    /// The limiter for this account key (see [`account_key`]), made with `quota` the first
    /// time. Later calls with another quota get the existing limiter.
    pub fn limiter(&self, account: &str, quota: RateQuota) -> Arc<Limiter> {
        let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        let (existing, limiter) = limiters
            .entry(account.to_owned())
            .or_insert_with(|| (quota, Arc::new(Limiter::direct(quota.governor_quota()))));
        if *existing != quota {
            tracing::warn!(
                account,
                "one account asked for two different quotas; keeping the first ({} per {:?})",
                existing.requests,
                existing.per
            );
        }
        Arc::clone(limiter)
    }
}

/// The key of one quota of one account, e.g. `account_key("trello", "token", &token)`. It
/// carries a fingerprint of the secret, never the secret.
pub fn account_key(service: &str, quota_name: &str, secret: &Secret) -> String {
    format!("{service}:{quota_name}:{}", secret.fingerprint())
}

// --- Retries --------------------------------------------------------------------------------

/// How hard to try before giving up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The backoff before the second attempt; it doubles each time (before jitter).
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// The longest a request may take, waits included. A `Retry-After` that would go past it
    /// is not waited out: the request fails as rate limited, for the next cycle.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a random wait between zero and the exponential ceiling for this attempt
    /// (1-based), so clients that failed together do not retry together.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::random_range(0..=nanos))
    }
}

// --- The client -----------------------------------------------------------------------------

/// How a client talks to one tool.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The tool's name as people know it ("Trello"), used in every message.
    pub service: String,
    /// What to do when the tool refuses the credentials, e.g. "Check TRELLO_TOKEN: create a
    /// new token at <https://trello.com/app-key>".
    pub auth_hint: String,
    pub connect_timeout: Duration,
    /// The whole request, from connecting to the last byte of the body.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    pub user_agent: String,
    /// How long to wait after a 429 that names no `Retry-After` (Trello's names none: waiting
    /// out its window is the way back). `None`: back off as after a passing failure.
    pub rate_limit_wait: Option<Duration>,
}

impl HttpConfig {
    pub fn new(service: impl Into<String>) -> Self {
        HttpConfig {
            service: service.into(),
            auth_hint: "Check the credentials in the configuration.".to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            user_agent: concat!("throughline/", env!("CARGO_PKG_VERSION")).to_owned(),
            rate_limit_wait: None,
        }
    }
}

/// What happened to one attempt, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The tool answered with this status.
    Status(u16),
    /// No answer in time.
    Timeout,
    /// No connection, or it broke before an answer.
    Failed,
}

/// Requests made, by method and outcome, retries included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCounts {
    counts: BTreeMap<(String, Outcome), u64>,
}

impl RequestCounts {
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Requests with this method (`"GET"`), whatever their outcome.
    pub fn method(&self, method: &str) -> u64 {
        self.counts
            .iter()
            .filter(|((m, _), _)| m == method)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn get(&self, method: &str, outcome: Outcome) -> u64 {
        self.counts
            .get(&(method.to_owned(), outcome))
            .copied()
            .unwrap_or(0)
    }

    /// Every (method, outcome) with its count, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Outcome, u64)> {
        self.counts.iter().map(|((m, o), n)| (m.as_str(), *o, *n))
    }

    fn record(&mut self, method: &Method, outcome: Outcome) {
        *self
            .counts
            .entry((method.as_str().to_owned(), outcome))
            .or_default() += 1;
    }
}

/// A successful answer, read in full.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The request, redacted, for messages.
    pub request: String,
}

impl Reply {
    /// The body as JSON. A body that does not parse is a fatal error naming the request.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| ConnectorError::Fatal {
            message: format!(
                "{} returned an answer throughline cannot read ({e}). Please report this.",
                self.request
            ),
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Per-request options.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    /// Whether sending the request twice has the effect of sending it once. `None`: decided by
    /// the method (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS` are).
    pub idempotent: Option<bool>,
    /// Limiters for this request on top of the client's (a per-board quota).
    pub limiters: Vec<Arc<Limiter>>,
    /// Statuses that are an answer to this request rather than a failure, returned as a
    /// [`Reply`] (Asana's `412` from `/events` carries the fresh sync token in its body).
    pub accept: Vec<u16>,
}

/// The HTTP client of one connector. Cheap to clone; clones share limiters and counts.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    config: Arc<HttpConfig>,
    limiters: Vec<Arc<Limiter>>,
    redactor: Redactor,
    counts: Arc<Mutex<RequestCounts>>,
}

/// One failed attempt: the error it would end in, and whether another attempt may help.
struct Failure {
    error: ConnectorError,
    retry: Retry,
}

enum Retry {
    No,
    /// After a backoff.
    Backoff,
    /// After exactly this long (the tool said so).
    After(Duration),
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self, ConnectorError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| ConnectorError::Fatal {
                message: format!("could not set up HTTPS for {}: {e}", config.service),
            })?;
        Ok(HttpClient {
            client,
            config: Arc::new(config),
            limiters: Vec::new(),
            redactor: Redactor::new(),
            counts: Arc::default(),
        })
    }

    /// Wait on this limiter before every request (add one per quota).
    pub fn with_limiter(mut self, limiter: Arc<Limiter>) -> Self {
        self.limiters.push(limiter);
        self
    }

    /// Keep this secret out of every message and log line.
    pub fn with_secret(mut self, secret: &Secret) -> Self {
        self.redactor.add(secret);
        self
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// The redactor with this client's secrets, for connectors' own messages.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Requests made so far by this client and its clones.
    pub fn counts(&self) -> RequestCounts {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Send a request built by `build` (called again for each attempt). `what` names the
    /// object in messages ("card 5f2b… on board Content").
    pub async fn send<F>(&self, what: &str, build: F) -> Result<Reply, ConnectorError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        self.send_with(&SendOptions::default(), what, build).await
    }

    pub async fn send_with<F>(
        &self,
        options: &SendOptions,
        what: &str,
        build: F,
    ) -> Result<Reply, ConnectorError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        let policy = &self.config.retry;
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            for limiter in self.limiters.iter().chain(&options.limiters) {
                limiter.until_ready().await;
            }
            let request = build(&self.client)
                .build()
                .map_err(|e| ConnectorError::Fatal {
                    message: self.redactor.redact(&format!(
                        "could not build the request to {} for {what}: {}",
                        self.config.service,
                        e.without_url()
                    )),
                })?;
            let method = request.method().clone();
            let shown = format!("{} {}", method, self.redactor.redact_url(request.url()));
            let idempotent = options.idempotent.unwrap_or(method.is_idempotent());
            tracing::debug!(request = %shown, attempt, "sending");

            let failure = match self.client.execute(request).await {
                Ok(response) => {
                    let status = response.status();
                    self.count(&method, Outcome::Status(status.as_u16()));
                    let headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(body)
                            if status.is_success() || options.accept.contains(&status.as_u16()) =>
                        {
                            tracing::debug!(request = %shown, status = status.as_u16(), "answered");
                            return Ok(Reply {
                                status,
                                headers,
                                body: body.to_vec(),
                                request: shown,
                            });
                        }
                        Ok(body) => {
                            self.classify(status, &headers, &body, &shown, what, idempotent)
                        }
                        Err(e) => self.transport(&e, &shown, what, idempotent, true),
                    }
                }
                Err(e) => {
                    let outcome = if e.is_timeout() {
                        Outcome::Timeout
                    } else {
                        Outcome::Failed
                    };
                    self.count(&method, outcome);
                    self.transport(&e, &shown, what, idempotent, false)
                }
            };

            let wait = match failure.retry {
                Retry::No => None,
                Retry::Backoff => Some(policy.backoff(attempt)),
                Retry::After(wait) => Some(wait),
            };
            let Some(wait) = wait.filter(|_| attempt < policy.max_attempts) else {
                tracing::warn!(request = %shown, attempt, error = %failure.error, "giving up");
                return Err(failure.error);
            };
            let elapsed = started.elapsed();
            if elapsed + wait > policy.max_elapsed {
                tracing::warn!(request = %shown, attempt, error = %failure.error, "out of time");
                return Err(match failure.error {
                    ConnectorError::RateLimited { message, .. } => ConnectorError::RateLimited {
                        retry_after: Some(wait),
                        message,
                    },
                    error => error,
                });
            }
            tracing::info!(
                request = %shown,
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %failure.error,
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    fn count(&self, method: &Method, outcome: Outcome) {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(method, outcome);
    }

    /// A failed answer: what it means, and whether to try again.
    fn classify(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        shown: &str,
        what: &str,
        idempotent: bool,
    ) -> Failure {
        let service = &self.config.service;
        let what = &self.redactor.redact(what);
        let said = self.redactor.redact(&tool_message(body));
        let answer = format!(
            "{service} answered {} to {shown}{}",
            status_text(status),
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        );
        let code = status.as_u16();
        let (error, retry) = match code {
            401 | 403 => (
                ConnectorError::Auth {
                    message: format!("{answer}. {}", self.config.auth_hint),
                },
                Retry::No,
            ),
            404 | 410 => (
                ConnectorError::NotFound {
                    what: format!("{what} ({answer})"),
                },
                Retry::No,
            ),
            409 | 412 => (
                ConnectorError::VersionMismatch {
                    message: format!("{what} changed in {service} meanwhile ({answer})"),
                },
                Retry::No,
            ),
            429 => {
                let retry_after = headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, Timestamp::now()))
                    .or(self.config.rate_limit_wait);
                let error = ConnectorError::RateLimited {
                    retry_after,
                    message: format!(
                        "{answer}. throughline waits and tries again; if this keeps happening, \
                         sync less often or with fewer targets on this account"
                    ),
                };
                (error, retry_after.map_or(Retry::Backoff, Retry::After))
            }
            408 | 500..=599 => {
                let error = ConnectorError::Retryable {
                    message: format!("{answer}. This usually passes; the next sync tries again"),
                };
                // A 503 or a 429 means the tool did not act; other failures may hide a success.
                let safe = idempotent || matches!(code, 503);
                (error, if safe { Retry::Backoff } else { Retry::No })
            }
            400..=499 => (
                ConnectorError::Invalid {
                    message: format!("{answer} (for {what})"),
                },
                Retry::No,
            ),
            _ => (
                ConnectorError::Fatal {
                    message: format!("unexpected answer: {answer} (for {what})"),
                },
                Retry::No,
            ),
        };
        Failure { error, retry }
    }

    /// No answer, or a broken one.
    fn transport(
        &self,
        e: &reqwest::Error,
        shown: &str,
        what: &str,
        idempotent: bool,
        answered: bool,
    ) -> Failure {
        let service = &self.config.service;
        let what = &self.redactor.redact(what);
        let cause = self.redactor.redact(&error_chain(e));
        let message = if e.is_timeout() {
            format!(
                "{service} did not answer {shown} in time ({what}): {cause}. This usually passes; \
                 the next sync tries again"
            )
        } else {
            format!(
                "could not reach {service} for {shown} ({what}): {cause}. Check the network \
                 connection; the next sync tries again"
            )
        };
        // Not connected at all: the tool never saw the request, so it is safe to repeat.
        let never_sent = e.is_connect() && !answered;
        Failure {
            error: ConnectorError::Retryable { message },
            retry: if idempotent || never_sent {
                Retry::Backoff
            } else {
                Retry::No
            },
        }
    }
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// An error and its causes, without the URL (shown redacted elsewhere).
fn error_chain(e: &reqwest::Error) -> String {
    let mut message = String::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        let mut text = err.to_string();
        // reqwest's own text ends in "for url (...)".
        if let Some(at) = text.find(" for url (") {
            text.truncate(at);
        }
        if !message.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
        source = err.source();
    }
    message
}

/// What the tool said in an error body: the `message` of the usual JSON shapes (Trello,
/// Asana `errors[]`, Google `error.message`), else the text, shortened.
fn tool_message(body: &[u8]) -> String {
    const MAX: usize = 300;
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let pick = |v: &serde_json::Value| v.as_str().map(str::to_owned);
            pick(&v["error"]["message"])
                .or_else(|| {
                    let messages: Vec<String> = v["errors"]
                        .as_array()?
                        .iter()
                        .filter_map(|e| pick(&e["message"]))
                        .collect();
                    (!messages.is_empty()).then(|| messages.join("; "))
                })
                .or_else(|| pick(&v["message"]))
                .or_else(|| pick(&v["error"]))
        });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `Retry-After` as a wait: delay-seconds, or an HTTP date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = now.duration_until(at);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_or_display() {
        let secret = Secret::new("s3cr3t-value");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert_eq!(secret.to_string(), "[redacted]");
        assert_eq!(secret.expose(), "s3cr3t-value");
        assert_eq!(
            secret.fingerprint(),
            Secret::new("s3cr3t-value").fingerprint()
        );
        assert!(!secret.fingerprint().contains("s3cr3t"));
    }

    #[test]
    fn sensitive_parameters_are_redacted_wherever_they_appear() {
        let cases = [
            (
                "GET https://api.trello.com/1/boards/abc?key=K123&token=T456&fields=name",
                "GET https://api.trello.com/1/boards/abc?key=[redacted]&token=[redacted]&fields=name",
            ),
            ("POST /x?Token=abc#frag", "POST /x?Token=[redacted]#frag"),
            (
                r#"{"access_token": "ya29.abc", "expires_in": 3599}"#,
                r#"{"access_token": "[redacted]", "expires_in": 3599}"#,
            ),
            (r#"{"password":"p\"w"}"#, r#"{"password":"[redacted]"}"#),
            (
                "Authorization: Bearer abc.def\nHost: x",
                "Authorization: [redacted]\nHost: x",
            ),
            (
                r#"authorization: OAuth oauth_consumer_key="k", oauth_token="t""#,
                "authorization: [redacted]",
            ),
            (
                "sent Bearer eyJhbGciOi.x1 to them",
                "sent Bearer [redacted] to them",
            ),
            (
                "client_secret=abc&grant_type=refresh_token",
                "client_secret=[redacted]&grant_type=refresh_token",
            ),
            // Words alone are not secrets.
            ("invalid token provided", "invalid token provided"),
            (
                "Basic authentication required",
                "Basic authentication required",
            ),
            ("monkey=1&keys=2", "monkey=1&keys=2"),
            ("מפתח key=ערך סודי", "מפתח key=[redacted] סודי"),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want, "redacting {text:?}");
        }
    }

    #[test]
    fn known_secrets_are_redacted_in_free_text_and_urls() {
        let token = Secret::new("tok/en+1");
        let redactor = Redactor::new().with(&token);
        assert_eq!(
            redactor.redact("the token tok/en+1 expired"),
            "the token [redacted] expired"
        );
        let url = Url::parse("https://example.com/x?t=tok%2Fen%2B1").unwrap();
        assert_eq!(
            redactor.redact_url(&url),
            "https://example.com/x?t=[redacted]"
        );
        assert_eq!(Redactor::new().with(&Secret::new("")).redact("abc"), "abc");
        let url = Url::parse("https://example.com/x?token=tok%2Fen%2B1&a=1").unwrap();
        assert_eq!(
            redactor.redact_url(&url),
            "https://example.com/x?token=[redacted]&a=1"
        );
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_an_http_date() {
        let now: Timestamp = "2025-03-01T12:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Sat, 01 Mar 2025 12:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn a_quota_never_lets_more_than_its_requests_through_in_a_window() {
        for (n, per) in [
            (1, 1),
            (10, 1),
            (100, 10),
            (300, 10),
            (150, 60),
            (60, 60),
            (1500, 60),
        ] {
            let quota = RateQuota::new(n, Duration::from_secs(per)).unwrap();
            let gq = quota.governor_quota();
            let burst = gq.burst_size().get();
            let period = gq.replenish_interval();
            // The burst at the window's start, then one per period before it ends.
            let window = Duration::from_secs(per) - Duration::from_nanos(1);
            let refills = u32::try_from(window.as_nanos() / period.as_nanos()).unwrap();
            assert!(
                burst + refills <= n,
                "{n} per {per}s: burst {burst}, refills {refills}"
            );
            assert!(
                burst + refills >= n * 8 / 10,
                "{n} per {per}s wastes too much of the quota"
            );
        }
        assert_eq!(RateQuota::new(0, Duration::from_secs(1)), None);
        assert_eq!(RateQuota::new(1, Duration::ZERO), None);
    }

    #[test]
    fn one_account_shares_one_limiter() {
        let registry = LimiterRegistry::new();
        let quota = RateQuota::new(20, Duration::from_secs(3600)).unwrap();
        let token = Secret::new("same-token");
        let a = registry.limiter(&account_key("trello", "token", &token), quota);
        let b = registry.limiter(&account_key("trello", "token", &token), quota);
        let other = registry.limiter(
            &account_key("trello", "token", &Secret::new("another")),
            quota,
        );
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &other));
        // The burst of 2 spent through one handle is gone for the other.
        assert!(a.check().is_ok() && a.check().is_ok());
        assert!(b.check().is_err());
        assert!(other.check().is_ok());
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(250),
            max_elapsed: Duration::from_secs(10),
        };
        for _ in 0..100 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(30) <= Duration::from_millis(250));
        }
    }

    #[test]
    fn tool_messages_are_taken_from_the_usual_error_shapes() {
        let google =
            br#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#;
        assert_eq!(tool_message(google), "Quota exceeded");
        let asana = br#"{"errors":[{"message":"project: Not a recognized ID"},{"message":"x"}]}"#;
        assert_eq!(tool_message(asana), "project: Not a recognized ID; x");
        assert_eq!(
            tool_message(br#"{"message":"invalid id","error":"ERROR"}"#),
            "invalid id"
        );
        assert_eq!(tool_message(b"invalid token\n"), "invalid token");
        let long = "א".repeat(1000);
        assert_eq!(tool_message(long.as_bytes()).chars().count(), 301);
    }
}
