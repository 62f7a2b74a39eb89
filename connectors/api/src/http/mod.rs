//! The HTTP client the hosted connectors (Trello, Asana, Sheets) share.
//!
//! What it does for every request, so connectors do not each get it subtly wrong:
//! - **Quotas** ([`quota`]). Before each attempt it waits on every [`Limiter`] the connector
//!   attached: one per account and quota (Trello: 100 per 10 s per token *and* 300 per 10 s per
//!   key). Limiters come from a [`LimiterRegistry`] keyed by an account key, so two targets on
//!   the same token share one budget.
//! - **429 and passing failures** ([`retry`]): what happens on a 429, a 5xx, a timeout or a
//!   dropped connection is answered there, once, for the whole workspace.
//! - **Classification.** The final failure becomes a [`ConnectorError`] naming the tool, the
//!   request and the tool's own message.
//! - **Secrets** ([`redact`](mod@redact)). Tokens, keys, passwords and `Authorization` values never reach an
//!   error message or a log line: see [`Secret`] and [`Redactor`].
//! - **Counting.** Every attempt is counted by method and outcome ([`RequestCounts`]), because
//!   the cost of a sync cycle is measured in requests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::ConnectorError;

pub mod quota;
pub mod redact;
pub mod retry;

pub use quota::{Limiter, LimiterRegistry, RateQuota, account_key};
pub use redact::{REDACTED, Redactor, Secret, redact};
pub use retry::{Attempts, Next, Retry, RetryPolicy, parse_retry_after};

// --- The client -----------------------------------------------------------------------------

/// How a client talks to one tool.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The tool's name as people know it ("Trello"), used in every message.
    pub service: String,
    /// What to do when the tool refuses the credentials, e.g. "Check TRELLO_TOKEN: create a
    /// new token at <https://trello.com/app-key>".
    pub auth_hint: String,
    /// Time to connect to the tool.
    pub connect_timeout: Duration,
    /// The whole request, from connecting to the last byte of the body.
    pub request_timeout: Duration,
    /// How hard to try before giving up (see [`retry`]).
    pub retry: RetryPolicy,
    /// The `User-Agent` header of every request.
    pub user_agent: String,
    /// How long to wait after a 429 that names no `Retry-After` (Trello's names none: waiting
    /// out its window is the way back). `None`: back off as after a passing failure.
    pub rate_limit_wait: Option<Duration>,
}

impl HttpConfig {
    /// Settings for the tool named `service`, with the usual timeouts and retry policy.
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
    /// Attempts made, by every method and outcome.
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

    /// Attempts made with `method` that ended in `outcome`.
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
    /// The tool's status code.
    pub status: StatusCode,
    /// The answer's headers.
    pub headers: HeaderMap,
    /// The answer's body, as read.
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

    /// The body as text (invalid UTF-8 replaced).
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

impl HttpClient {
    /// A client for the tool `config` names, with no limiter and no secret yet.
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

    /// How this client talks to its tool.
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

    /// [`HttpClient::send`] with per-request options. Failures are retried as [`retry`] says.
    pub async fn send_with<F>(
        &self,
        options: &SendOptions,
        what: &str,
        build: F,
    ) -> Result<Reply, ConnectorError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        let mut attempts = Attempts::new(&self.config.retry);
        loop {
            let attempt = attempts.start();
            let (shown, failure) = match self.attempt(options, what, &build, attempt).await? {
                Ok(reply) => return Ok(reply),
                Err(failed) => failed,
            };
            let wait = match attempts.next(attempts.wait_for(failure.retry)) {
                Next::Wait(wait) => wait,
                Next::GiveUp => {
                    tracing::warn!(request = %shown, attempt, error = %failure.error, "giving up");
                    return Err(failure.error);
                }
                Next::OutOfTime(wait) => {
                    tracing::warn!(request = %shown, attempt, error = %failure.error, "out of time");
                    return Err(match failure.error {
                        ConnectorError::RateLimited { message, .. } => {
                            ConnectorError::RateLimited {
                                retry_after: Some(wait),
                                message,
                            }
                        }
                        error => error,
                    });
                }
            };
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

    /// One attempt: the reply, or the request as shown in messages and how it failed. The
    /// outer error is a request that cannot even be built.
    async fn attempt<F>(
        &self,
        options: &SendOptions,
        what: &str,
        build: &F,
        attempt: u32,
    ) -> Result<Result<Reply, (String, Failure)>, ConnectorError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
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
                        return Ok(Ok(Reply {
                            status,
                            headers,
                            body: body.to_vec(),
                            request: shown,
                        }));
                    }
                    Ok(body) => self.classify(status, &headers, &body, &shown, what, idempotent),
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
        Ok(Err((shown, failure)))
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

#[cfg(test)]
mod tests {
    use super::*;

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
