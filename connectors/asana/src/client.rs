//! Talking to Asana: the `{"data": ...}` envelope, pages, the events feed, `/batch`, the
//! concurrency limits, and signing in (a personal access token, or OAuth with refresh).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use throughline_connector::ConnectorError;
use throughline_connector::http::{
    Attempts, HttpClient, HttpConfig, LimiterRegistry, Next, RateQuota, Reply, RequestCounts,
    Retry, Secret, SendOptions, account_key, parse_retry_after,
};
use tokio::sync::{Mutex, Semaphore};

use crate::oauth::{self, OAuthApp, StoredToken};
use crate::settings::{AsanaAuth, AsanaSettings};

/// Asana's largest page.
pub const PAGE: u32 = 100;
/// Asana's largest batch.
pub const BATCH: usize = 10;

/// One action of a `/batch` request.
#[derive(Debug, Clone)]
pub struct Action {
    pub method: Method,
    /// Relative to the API root, without a query (`/tasks/123`).
    pub path: String,
    /// The body's `data` (writes) or the query parameters (reads).
    pub data: Option<Value>,
    /// `options.fields`: what the answer should hold.
    pub fields: Option<&'static str>,
    /// `options.limit`, for lists.
    pub limit: Option<u32>,
}

impl Action {
    pub fn new(method: Method, path: impl Into<String>) -> Action {
        Action {
            method,
            path: path.into(),
            data: None,
            fields: None,
            limit: None,
        }
    }

    pub fn data(mut self, data: Value) -> Action {
        self.data = Some(data);
        self
    }

    pub fn fields(mut self, fields: &'static str) -> Action {
        self.fields = Some(fields);
        self
    }

    pub fn limit(mut self, limit: u32) -> Action {
        self.limit = Some(limit);
        self
    }

    /// Repeating it has the effect of doing it once (everything but creating).
    fn idempotent(&self) -> bool {
        self.method != Method::POST
            || self.path.ends_with("/addTag")
            || self.path.ends_with("/removeTag")
            || self.path.ends_with("/addTask")
            || self.path.ends_with("/setParent")
    }

    fn to_json(&self) -> Value {
        let mut action = json!({
            "relative_path": self.path,
            "method": self.method.as_str().to_ascii_lowercase(),
        });
        if let Some(data) = &self.data {
            action["data"] = data.clone();
        }
        let mut options = serde_json::Map::new();
        if let Some(fields) = self.fields {
            options.insert(
                "fields".into(),
                json!(fields.split(',').collect::<Vec<_>>()),
            );
        }
        if let Some(limit) = self.limit {
            options.insert("limit".into(), json!(limit));
        }
        if !options.is_empty() {
            action["options"] = Value::Object(options);
        }
        action
    }
}

/// One event of the feed (the fields throughline reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    #[serde(default)]
    pub action: String,
    pub resource: Option<Resource>,
    pub parent: Option<Resource>,
    pub created_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    pub gid: String,
    #[serde(default)]
    pub resource_type: String,
}

/// What the events feed answered.
#[derive(Debug, Clone)]
pub enum Events {
    /// What happened since the token, and the token to use next.
    Since {
        events: Vec<Event>,
        sync: String,
        has_more: bool,
    },
    /// The token was missing, expired or unknown (412): read everything again and use this
    /// fresh token from now on.
    Expired { sync: String },
}

/// How requests are signed.
enum Signer {
    Token(Secret),
    OAuth(Box<OAuthState>),
}

struct OAuthState {
    app: OAuthApp,
    file: PathBuf,
    current: Mutex<Option<StoredToken>>,
}

struct Inner {
    http: HttpClient,
    base: String,
    signer: Signer,
    writes: Semaphore,
    reads: Semaphore,
}

/// The Asana API for one target. Cheap to clone.
#[derive(Clone)]
pub struct Asana {
    inner: Arc<Inner>,
}

impl Asana {
    pub fn new(settings: &AsanaSettings) -> Result<Asana, ConnectorError> {
        let mut config = HttpConfig::new("Asana");
        config.retry = settings.limits.retry.clone();
        config.request_timeout = settings.limits.request_timeout;
        let (signer, account) = match &settings.auth {
            AsanaAuth::Token(token) => {
                config.auth_hint = format!(
                    "Check the personal access token of target `{}` (create one in Asana under \
                     My settings → Apps → Developer apps), and that its owner can open project \
                     {}",
                    settings.target, settings.project
                );
                (Signer::Token(token.clone()), token.clone())
            }
            AsanaAuth::OAuth(o) => {
                config.auth_hint = format!(
                    "The Asana sign-in of target `{}` no longer works; run `throughline auth \
                     asana` to sign in again",
                    settings.target
                );
                let mut app = OAuthApp::for_base_url(
                    &settings.base_url,
                    o.client_id.clone(),
                    o.client_secret.clone(),
                );
                if let Some(url) = &o.token_url {
                    app.token_url = url.clone();
                }
                let state = OAuthState {
                    app,
                    file: o.token_file.clone(),
                    current: Mutex::new(None),
                };
                // Asana rations per token; a refreshed token is the same sign-in.
                (
                    Signer::OAuth(Box::new(state)),
                    Secret::new(format!("{}:{}", o.client_id, o.token_file.display())),
                )
            }
        };
        let quota = RateQuota::new(settings.limits.requests_per_minute, Duration::from_secs(60))
            .ok_or_else(|| ConnectorError::Invalid {
                message: format!(
                    "target `{}`: the request budget per minute must be at least 1",
                    settings.target
                ),
            })?;
        let limiter =
            LimiterRegistry::global().limiter(&account_key("asana", "minute", &account), quota);
        let mut http = HttpClient::new(config)?.with_limiter(limiter);
        if let Signer::Token(token) = &signer {
            http = http.with_secret(token);
        }
        if let AsanaAuth::OAuth(o) = &settings.auth {
            http = http.with_secret(&o.client_secret);
        }
        Ok(Asana {
            inner: Arc::new(Inner {
                http,
                base: settings.base_url.trim_end_matches('/').to_owned(),
                signer,
                writes: Semaphore::new(settings.limits.concurrent_writes.max(1)),
                reads: Semaphore::new(settings.limits.concurrent_reads.max(1)),
            }),
        })
    }

    /// Requests sent so far, retries included.
    pub fn counts(&self) -> RequestCounts {
        self.inner.http.counts()
    }

    /// The bearer token to send now (refreshed first when it is about to expire).
    async fn bearer(&self) -> Result<Secret, ConnectorError> {
        match &self.inner.signer {
            Signer::Token(token) => Ok(token.clone()),
            Signer::OAuth(state) => {
                let mut current = state.current.lock().await;
                if current.is_none() {
                    *current =
                        Some(oauth::read_token_file(&state.file).map_err(ConnectorError::from)?);
                }
                let stored = current.as_ref().expect("just loaded");
                if let Some(token) = stored.fresh_access(Timestamp::now(), Duration::from_secs(60))
                {
                    return Ok(token);
                }
                let fresh = self.refresh_locked(state, stored.clone()).await?;
                let token = Secret::new(fresh.access_token.clone().unwrap_or_default());
                *current = Some(fresh);
                Ok(token)
            }
        }
    }

    /// After a 401 with `used`: refresh, unless another request already did.
    async fn reauthorize(&self, used: &Secret) -> Result<bool, ConnectorError> {
        let Signer::OAuth(state) = &self.inner.signer else {
            return Ok(false);
        };
        let mut current = state.current.lock().await;
        let stored = match current.as_ref() {
            Some(s) => s.clone(),
            None => oauth::read_token_file(&state.file).map_err(ConnectorError::from)?,
        };
        if stored.access_token.as_deref() != Some(used.expose()) && stored.access_token.is_some() {
            return Ok(true);
        }
        *current = Some(self.refresh_locked(state, stored).await?);
        Ok(true)
    }

    async fn refresh_locked(
        &self,
        state: &OAuthState,
        stored: StoredToken,
    ) -> Result<StoredToken, ConnectorError> {
        tracing::info!("refreshing the Asana access token");
        let fresh = oauth::refresh(&state.app, &stored.refresh_token)
            .await
            .map_err(ConnectorError::from)?;
        // Keep the new access token for the next process; a failure to write only costs a
        // refresh later.
        if let Err(e) = oauth::write_token_file(&state.file, &fresh) {
            tracing::warn!(error = %e, "could not keep the refreshed Asana token");
        }
        Ok(fresh)
    }

    /// Send one request; `path_query` is relative to the API root, with its query.
    pub(crate) async fn send(
        &self,
        method: Method,
        path_query: &str,
        body: Option<&Value>,
        mut options: SendOptions,
        what: &str,
    ) -> Result<Reply, ConnectorError> {
        let _permit = if method == Method::GET {
            self.inner.reads.acquire().await
        } else {
            self.inner.writes.acquire().await
        }
        .map_err(|_| ConnectorError::Fatal {
            message: "the Asana client was shut down".into(),
        })?;
        let url = format!("{}{path_query}", self.inner.base);
        if options.idempotent.is_none() && method == Method::GET {
            options.idempotent = Some(true);
        }
        for attempt in 0..2 {
            let token = self.bearer().await?;
            let result = self
                .inner
                .http
                .send_with(&options, what, |c| {
                    let mut r = c
                        .request(method.clone(), &url)
                        .bearer_auth(token.expose())
                        .header("Accept", "application/json");
                    if let Some(body) = body {
                        r = r.json(body);
                    }
                    r
                })
                .await;
            match result {
                // Signed-in requests are refused before they are carried out: safe to repeat.
                Err(ConnectorError::Auth { .. })
                    if attempt == 0 && self.reauthorize(&token).await? =>
                {
                    continue;
                }
                other => return other.map_err(|e| self.scrub(e, &token)),
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// Refreshed access tokens are not known to the client's redactor: remove them here.
    fn scrub(&self, e: ConnectorError, token: &Secret) -> ConnectorError {
        let r = throughline_connector::http::Redactor::new().with(token);
        match e {
            ConnectorError::Retryable { message } => ConnectorError::Retryable {
                message: r.redact(&message),
            },
            ConnectorError::RateLimited {
                retry_after,
                message,
            } => ConnectorError::RateLimited {
                retry_after,
                message: r.redact(&message),
            },
            ConnectorError::Auth { message } => ConnectorError::Auth {
                message: r.redact(&message),
            },
            ConnectorError::NotFound { what } => ConnectorError::NotFound {
                what: r.redact(&what),
            },
            ConnectorError::VersionMismatch { message } => ConnectorError::VersionMismatch {
                message: r.redact(&message),
            },
            ConnectorError::Invalid { message } => ConnectorError::Invalid {
                message: r.redact(&message),
            },
            ConnectorError::Fatal { message } => ConnectorError::Fatal {
                message: r.redact(&message),
            },
        }
    }

    /// `GET` one object or list page; the whole answer (envelope included).
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<Value, ConnectorError> {
        let path_query = with_query(path, query);
        self.send(Method::GET, &path_query, None, SendOptions::default(), what)
            .await?
            .json()
    }

    /// Every item of a list, 100 per page, following `next_page.offset`. Offsets expire: a
    /// page refused for its offset starts the listing over (a listing only reads).
    pub async fn list(
        &self,
        path: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        self.list_from(path, query, None, what).await
    }

    /// The same, when the first page was already read (in a batch).
    pub async fn list_from(
        &self,
        path: &str,
        query: &[(&str, &str)],
        first: Option<&Value>,
        what: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut items = Vec::new();
        let mut offset = None;
        if let Some(page) = first {
            items.extend(page["data"].as_array().cloned().unwrap_or_default());
            offset = next_offset(page);
            if offset.is_none() {
                return Ok(items);
            }
        }
        let limit = PAGE.to_string();
        let mut restarts = 0;
        loop {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("limit", &limit));
            if let Some(o) = &offset {
                q.push(("offset", o));
            }
            match self.get(path, &q, what).await {
                Ok(page) => {
                    items.extend(page["data"].as_array().cloned().unwrap_or_default());
                    offset = next_offset(&page);
                    if offset.is_none() {
                        return Ok(items);
                    }
                }
                Err(ConnectorError::Invalid { message }) if offset.is_some() && restarts < 2 => {
                    tracing::info!(%message, "a page offset expired; reading {what} from the start");
                    restarts += 1;
                    offset = None;
                    items.clear();
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The events of `resource` since `sync` (none: ask for a first token).
    pub async fn events(
        &self,
        resource: &str,
        sync: Option<&str>,
    ) -> Result<Events, ConnectorError> {
        let mut query = vec![("resource", resource)];
        if let Some(sync) = sync {
            query.push(("sync", sync));
        }
        let options = SendOptions {
            accept: vec![412],
            ..SendOptions::default()
        };
        let reply = self
            .send(
                Method::GET,
                &with_query("/events", &query),
                None,
                options,
                &format!("the events of project {resource}"),
            )
            .await?;
        let body: Value = reply.json()?;
        let sync =
            body["sync"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| ConnectorError::Fatal {
                    message: format!(
                        "{} answered without a sync token. Please report this.",
                        reply.request
                    ),
                })?;
        if reply.status.as_u16() == 412 {
            return Ok(Events::Expired { sync });
        }
        let events =
            serde_json::from_value(body["data"].clone()).map_err(|e| ConnectorError::Fatal {
                message: format!(
                    "{} returned events throughline cannot read ({e}). Please report this.",
                    reply.request
                ),
            })?;
        Ok(Events::Since {
            events,
            sync,
            has_more: body["has_more"].as_bool().unwrap_or(false),
        })
    }

    /// Run actions through `/batch`, 10 per request, several requests at once (within the
    /// concurrency limits). One result per action, in order: the action's answer (its `{"data": ...}`
    /// envelope), or why it failed. Actions that failed inside an answered batch go again as the
    /// shared retry policy says ([`throughline_connector::http::retry`]); a batch request that
    /// failed as a whole was retried by the client already.
    pub async fn batch(&self, actions: Vec<Action>) -> Vec<Result<Value, ConnectorError>> {
        let mut results: Vec<Option<Result<Value, ConnectorError>>> = vec![None; actions.len()];
        let mut pending: Vec<usize> = (0..actions.len()).collect();
        let mut attempts = Attempts::new(&self.inner.http.config().retry);
        while !pending.is_empty() {
            attempts.start();
            let mut again = Vec::new();
            // The longest wait any action that may go again was told (or its backoff).
            let mut wait: Option<Duration> = None;
            for (i, result, as_a_whole) in self.batch_round(&actions, &pending).await {
                if !as_a_whole && let Err(e) = &result {
                    let asked = attempts.wait_for(Retry::of(e, actions[i].idempotent()));
                    if asked.is_some() {
                        again.push(i);
                        wait = wait.max(asked);
                    }
                }
                results[i] = Some(result);
            }
            match attempts.next(wait) {
                Next::Wait(wait) => {
                    tracing::info!(
                        actions = again.len(),
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "batch actions failed in passing; trying them again"
                    );
                    tokio::time::sleep(wait).await;
                    again.sort_unstable();
                    pending = again;
                }
                Next::GiveUp | Next::OutOfTime(_) => break,
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(ConnectorError::Fatal {
                        message: "a batch action got no answer".into(),
                    })
                })
            })
            .collect()
    }

    /// One round: the `pending` actions in requests of 10, sent at once. Per action: its index,
    /// its result, and whether the whole request failed (already retried by the client).
    async fn batch_round(
        &self,
        actions: &[Action],
        pending: &[usize],
    ) -> Vec<(usize, Result<Value, ConnectorError>, bool)> {
        let mut set = tokio::task::JoinSet::new();
        for chunk in pending.chunks(BATCH) {
            let this = self.clone();
            let chunk: Vec<usize> = chunk.to_vec();
            let sent: Vec<Action> = chunk.iter().map(|&i| actions[i].clone()).collect();
            set.spawn(async move {
                let out = this.batch_request(&sent).await;
                (chunk, out)
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (chunk, answered) = joined.unwrap_or_else(|e| {
                let message = format!("a batch request stopped: {e}");
                (Vec::new(), Err(ConnectorError::Fatal { message }))
            });
            match answered {
                Ok(results) => {
                    out.extend(chunk.into_iter().zip(results).map(|(i, r)| (i, r, false)))
                }
                Err(e) => out.extend(chunk.into_iter().map(|i| (i, Err(e.clone()), true))),
            }
        }
        out
    }

    /// One `/batch` request of at most 10 actions.
    /// One `/batch` request of at most 10 actions: a result per action, or why the request
    /// failed as a whole.
    async fn batch_request(
        &self,
        actions: &[Action],
    ) -> Result<Vec<Result<Value, ConnectorError>>, ConnectorError> {
        let body =
            json!({"data": {"actions": actions.iter().map(Action::to_json).collect::<Vec<_>>()}});
        let idempotent = actions.iter().all(Action::idempotent);
        let options = SendOptions {
            idempotent: Some(idempotent),
            ..SendOptions::default()
        };
        let what = describe(actions);
        let reply = self
            .send(Method::POST, "/batch", Some(&body), options, &what)
            .await?;
        let answer: Value = reply.json()?;
        let items = answer["data"].as_array().cloned().unwrap_or_default();
        Ok(actions
            .iter()
            .enumerate()
            .map(|(i, action)| match items.get(i) {
                Some(item) => action_result(action, item),
                None => Err(ConnectorError::Fatal {
                    message: format!(
                        "Asana answered a batch of {} actions with {} results. Please report this.",
                        actions.len(),
                        items.len()
                    ),
                }),
            })
            .collect())
    }
}

/// `path?k=v&...`, percent-encoded.
pub fn with_query(path: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let mut url = reqwest::Url::parse("http://x").expect("a valid URL");
    url.query_pairs_mut().extend_pairs(query.iter());
    format!("{path}?{}", url.query().unwrap_or(""))
}

pub fn next_offset(page: &Value) -> Option<String> {
    page["next_page"]["offset"].as_str().map(str::to_owned)
}

fn describe(actions: &[Action]) -> String {
    let mut parts: Vec<String> = actions
        .iter()
        .take(3)
        .map(|a| format!("{} {}", a.method, a.path))
        .collect();
    if actions.len() > 3 {
        parts.push(format!("and {} more", actions.len() - 3));
    }
    format!("a batch of {} ({})", actions.len(), parts.join(", "))
}

/// One batch result as the action's answer or its error, classified as a direct request
/// would be.
fn action_result(action: &Action, item: &Value) -> Result<Value, ConnectorError> {
    let status = item["status_code"].as_u64().unwrap_or(0) as u16;
    let body = &item["body"];
    if (200..300).contains(&status) {
        return Ok(body.clone());
    }
    let said: Vec<&str> = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let answer = format!(
        "Asana answered {status} {reason} to {} {}{}",
        action.method,
        action.path,
        if said.is_empty() {
            String::new()
        } else {
            format!(": {}", said.join("; "))
        }
    );
    Err(match status {
        401 | 403 => ConnectorError::Auth { message: answer },
        404 | 410 => ConnectorError::NotFound { what: answer },
        409 | 412 => ConnectorError::VersionMismatch { message: answer },
        429 => ConnectorError::RateLimited {
            retry_after: item["headers"]["retry-after"]
                .as_str()
                .and_then(|v| parse_retry_after(v, Timestamp::now())),
            message: answer,
        },
        500..=599 | 0 => ConnectorError::Retryable {
            message: format!("{answer}. This usually passes; the next sync tries again"),
        },
        _ => ConnectorError::Invalid { message: answer },
    })
}
