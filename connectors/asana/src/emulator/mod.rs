//! An in-memory Asana for tests and `throughline emulate asana`.
//!
//! It answers under `/api/1.0` the way Asana does, as far as throughline and Asana's official
//! clients use it: workspaces, users, projects, sections, tasks and subtasks, memberships,
//! tags, custom fields, `external` (OAuth callers only), the `{"data": ...}` envelope,
//! `opt_fields`, pages whose offsets expire, the events feed with sync tokens (`412` with a
//! fresh token; tokens expire), `/batch` (actions run in a shuffled order, as Asana gives no
//! order), Asana's error shape, the per-minute quota and the concurrent-request limits with
//! `Retry-After`, and the OAuth endpoints (`/-/oauth_authorize`, `/-/oauth_token`, PKCE).
//!
//! A test drives it through [`Emulator`]: seed a workspace, people and a project, act as a
//! person through the API with a person's token, switch faults on (429 bursts, 500s, slow
//! answers, dropped connections), expire tokens and offsets, and read the request log.

mod routes;
mod shapes;
mod tasks;
mod webhooks;
mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

use throughline_connector::emulator_kit::{
    Bound, Early, FaultRules, RequestLog, Serving, SlidingWindows, bearer, broken_body, lock,
    loopback,
};

pub use throughline_connector::emulator_kit::{Fault, FaultRule};
pub use world::{ApiError, FieldKind, TokenKind};

use routes::{Req, Resp, dispatch};
use world::{AuthCode, Caller, OAuthClient, World, random_hex};

/// One request the emulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The HTTP method (`GET`, `POST`, ...).
    pub method: String,
    /// After `/api/1.0`, without the query.
    pub path: String,
    /// The query string, without the `?` (empty when there was none).
    pub query: String,
    /// The status the emulator answered with.
    pub status: u16,
    /// For `/batch`: `"<method> <relative_path>"` of each action.
    pub actions: Vec<String>,
    /// The user whose token was used (empty when unauthenticated).
    pub user: String,
    /// The JSON body, when there was one.
    pub body: Option<Value>,
}

/// What a seeded emulator holds.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The workspace's gid.
    pub workspace: String,
    /// The gid of the project "Content".
    pub project: String,
    /// The user whose personal access token is `token`.
    pub user: String,
    /// A personal access token (no `external` field), sent as `Authorization: Bearer`.
    pub token: String,
}

struct Limits {
    per_minute: Option<u32>,
    /// The quota's window: a minute in Asana; shorter in tests.
    window: Duration,
    concurrent_writes: usize,
    concurrent_reads: usize,
}

struct Shared {
    world: Mutex<World>,
    faults: FaultRules,
    log: RequestLog<LoggedRequest>,
    limits: Mutex<Limits>,
    /// Request times per token, for the per-minute quota.
    windows: Mutex<SlidingWindows<String>>,
    /// Requests in flight per token: (reads, writes).
    in_flight: Mutex<std::collections::HashMap<String, (usize, usize)>>,
    base: Mutex<String>,
    /// Webhooks made with `POST /webhooks` (kept outside the world: their handshake and
    /// deliveries call out while the world stays unlocked).
    hooks: Mutex<Vec<webhooks::Hook>>,
    /// How long deliveries may fail before a webhook is deleted (Asana: 24 hours).
    webhook_drop_after: Mutex<Duration>,
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    server: Serving,
}

impl Emulator {
    /// Start on 127.0.0.1 at a free port.
    pub async fn start() -> std::io::Result<Emulator> {
        Emulator::start_on(loopback()).await
    }

    /// [`Emulator::start`] on a given address (`throughline emulate asana` picks the port).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Emulator> {
        let bound = Bound::bind(addr).await?;
        let addr = bound.addr();
        let shared = Arc::new(Shared {
            world: Mutex::new(World::default()),
            faults: FaultRules::default(),
            log: RequestLog::default(),
            limits: Mutex::new(Limits {
                per_minute: None,
                window: Duration::from_secs(60),
                concurrent_writes: 15,
                concurrent_reads: 50,
            }),
            windows: Mutex::default(),
            in_flight: Mutex::new(Default::default()),
            base: Mutex::new(format!("http://{addr}/api/1.0")),
            hooks: Mutex::new(Vec::new()),
            webhook_drop_after: Mutex::new(webhooks::DROP_AFTER),
        });
        let app = Router::new()
            .route("/-/oauth_authorize", get(authorize))
            .route("/-/oauth_token", post(token))
            .route("/api/1.0/{*path}", any(api))
            .with_state(Arc::clone(&shared));
        let server = bound.serve(app);
        Ok(Emulator { shared, server })
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The API root to give a connector or a client: `http://127.0.0.1:<port>/api/1.0`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/1.0", self.addr())
    }

    /// Where the OAuth endpoints are: `http://127.0.0.1:<port>`.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Answer with this API root in `next_page.uri` (when a proxy stands in front).
    pub fn set_public_base_url(&self, base: &str) {
        *lock(&self.shared.base) = base.trim_end_matches('/').to_owned();
    }

    fn world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut lock(&self.shared.world))
    }

    // --- Seeding -----------------------------------------------------------------------------

    /// A new, empty workspace; returns its gid.
    pub fn add_workspace(&self, name: &str) -> String {
        self.world(|w| w.add_workspace(name))
    }

    /// A user, member of this workspace; returns the user's gid.
    pub fn add_user(&self, workspace: &str, name: &str, email: &str) -> String {
        self.world(|w| w.add_user(workspace, name, email))
    }

    /// A project with one section, "Untitled section", as Asana makes them.
    pub fn add_project(&self, workspace: &str, name: &str) -> String {
        self.world(|w| w.add_project(workspace, name))
    }

    /// A section at the end of the project; returns its gid. Panics on an unknown project.
    pub fn add_section(&self, project: &str, name: &str) -> String {
        self.world(|w| {
            w.create_section(None, project, name)
                .expect("a valid project")
        })
    }

    /// A custom field on the project: text when `options` is empty, else a drop-down.
    pub fn add_custom_field(&self, project: &str, name: &str, options: &[&str]) -> String {
        self.world(|w| w.add_field(project, name, options))
    }

    /// A personal access token for this user.
    pub fn personal_token(&self, user: &str) -> String {
        self.world(|w| w.issue_token(user, TokenKind::Personal))
    }

    /// An OAuth app (client id, client secret); sign-ins are approved as `approver`.
    pub fn add_oauth_client(&self, approver: &str) -> (String, String) {
        self.world(|w| {
            let id = w.gid();
            let secret = random_hex(32);
            w.clients.insert(
                id.clone(),
                OAuthClient {
                    secret: secret.clone(),
                },
            );
            w.approver = Some(approver.to_owned());
            (id, secret)
        })
    }

    /// A workspace with Ana and Ben (`ana@example.com`, `ben@example.com`), a project
    /// "Content", and Ana's personal access token.
    pub fn seed(&self) -> Seeded {
        self.seed_with(&[("Ana", "ana@example.com"), ("Ben", "ben@example.com")])
    }

    /// A workspace whose users are these people (name, e-mail address), a project "Content",
    /// and the first person's personal access token. No people: Ana and Ben, as [`Self::seed`].
    pub fn seed_with(&self, people: &[(&str, &str)]) -> Seeded {
        if people.is_empty() {
            return self.seed();
        }
        let workspace = self.add_workspace("Example workspace");
        let users = self.add_people(&workspace, people.iter().copied());
        let project = self.add_project(&workspace, "Content");
        let token = self.personal_token(&users[0]);
        Seeded {
            workspace,
            project,
            user: users[0].clone(),
            token,
        }
    }

    /// People (name, e-mail address) as users of the workspace, as after inviting them by
    /// e-mail: someone the emulator knows by that address (in any case) joins with their
    /// account. Returns their gids, in order.
    pub fn add_people<'a>(
        &self,
        workspace: &str,
        people: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<String> {
        self.world(|w| {
            people
                .into_iter()
                .map(|(name, email)| {
                    let known = w
                        .users
                        .values_mut()
                        .find(|u| u.email.eq_ignore_ascii_case(email));
                    match known {
                        Some(u) => {
                            if !u.workspaces.iter().any(|g| g == workspace) {
                                u.workspaces.push(workspace.to_owned());
                            }
                            u.gid.clone()
                        }
                        None => w.add_user(workspace, name, email),
                    }
                })
                .collect()
        })
    }

    // --- Looking inside ----------------------------------------------------------------------

    /// A task as the API shows it to an OAuth caller (everything), or `None`.
    pub fn task(&self, gid: &str) -> Option<Value> {
        self.world(|w| {
            let user = w.users.keys().next().cloned().unwrap_or_default();
            let caller = Caller {
                user,
                kind: TokenKind::OAuth,
            };
            let req = Req {
                method: reqwest::Method::GET,
                path: format!("/tasks/{gid}"),
                query: Vec::new(),
                body: None,
            };
            let resp = dispatch(w, &caller, &req, "");
            (resp.status == 200).then(|| resp.body["data"].clone())
        })
    }

    /// The gid of the user with this e-mail address.
    pub fn user_by_email(&self, email: &str) -> Option<String> {
        self.world(|w| {
            w.users
                .values()
                .find(|u| u.email.eq_ignore_ascii_case(email))
                .map(|u| u.gid.clone())
        })
    }

    /// The gid of the task or subtask that carries this throughline identity (in `external`, a
    /// custom field, or the notes' last line), as a person would recognise it.
    pub fn task_with_identity(&self, identity: &str) -> Option<String> {
        let gids: Vec<String> = self.world(|w| {
            w.tasks
                .values()
                .filter(|t| !t.deleted)
                .map(|t| t.gid.clone())
                .collect()
        });
        gids.into_iter().find(|gid| {
            let Some(t) = self.task(gid) else {
                return false;
            };
            let external = t["external"]["gid"].as_str().unwrap_or("");
            let notes = t["notes"].as_str().unwrap_or("").trim_end();
            let field = t["custom_fields"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["text_value"] == identity);
            external.ends_with(&format!(":{identity}"))
                || notes
                    .rsplit('\n')
                    .next()
                    .is_some_and(|last| last.trim().ends_with(&format!(": {identity}")))
                || field
        })
    }

    /// The gids of the project's tasks (not deleted), in order.
    pub fn project_tasks(&self, project: &str) -> Vec<String> {
        self.world(|w| {
            w.projects
                .get(project)
                .map(|p| {
                    p.tasks
                        .iter()
                        .filter(|t| {
                            !w.tasks[*t].deleted
                                && w.tasks[*t].memberships.iter().any(|(x, _)| x == project)
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// The gids of a task's subtasks, in order.
    pub fn subtasks(&self, task: &str) -> Vec<String> {
        self.world(|w| {
            w.tasks
                .get(task)
                .map(|t| t.subtasks.clone())
                .unwrap_or_default()
        })
    }

    /// How many tasks and subtasks exist (not deleted).
    pub fn task_count(&self) -> usize {
        self.world(|w| w.tasks.values().filter(|t| !t.deleted).count())
    }

    // --- Faults and limits -------------------------------------------------------------------

    // Faults ([`Fault::ExpireCursors`] expires the page offsets handed out so far) and the
    // request log.
    throughline_connector::emulator_fault_and_log_methods!();

    /// Requests per minute per token (`None`: no quota).
    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        self.set_rate_limit_window(per_minute, Duration::from_secs(60));
    }

    /// At most `requests` per token in any `window` (Asana's window is a minute).
    pub fn set_rate_limit_window(&self, requests: Option<u32>, window: Duration) {
        let mut limits = lock(&self.shared.limits);
        limits.per_minute = requests;
        limits.window = window;
        lock(&self.shared.windows).clear();
    }

    /// At most `reads` GETs and `writes` writes per token in flight at once (Asana: 50 and
    /// 15); one more is answered 429.
    pub fn set_concurrency_limits(&self, reads: usize, writes: usize) {
        let mut limits = lock(&self.shared.limits);
        limits.concurrent_reads = reads;
        limits.concurrent_writes = writes;
    }

    /// Every sync token handed out so far stops working (as after a day, or under load).
    pub fn expire_sync_tokens(&self) {
        self.world(|w| w.sync_tokens.clear());
    }

    /// Every page offset handed out so far stops working.
    pub fn expire_offsets(&self) {
        self.world(|w| w.offsets.clear());
    }

    /// Every OAuth access token handed out so far stops working (refresh tokens still do).
    pub fn expire_access_tokens(&self) {
        self.world(|w| w.tokens.retain(|_, t| t.kind != TokenKind::OAuth));
    }

    /// How long OAuth access tokens live (Asana: an hour).
    pub fn set_access_token_lifetime(&self, ttl: Duration) {
        self.world(|w| w.access_ttl = ttl);
    }

    /// The webhooks made so far: (resource gid, target URL), in order of creation.
    pub fn webhooks(&self) -> Vec<(String, String)> {
        lock(&self.shared.hooks)
            .iter()
            .map(|h| (h.resource.clone(), h.target.clone()))
            .collect()
    }

    /// Deliver to the webhooks what changed since their last delivery (after changes made
    /// through [`Emulator`] rather than the API, which does this itself). Call it inside the
    /// Tokio runtime: the deliveries run as tasks of their own.
    pub fn deliver_webhooks(&self) {
        webhooks::deliver(&self.shared);
    }

    /// Delete a webhook as Asana does after its deliveries have failed for a day: it is gone
    /// from `GET /webhooks` and gets nothing more. Returns whether it existed.
    pub fn drop_webhook(&self, gid: &str) -> bool {
        let mut hooks = lock(&self.shared.hooks);
        let before = hooks.len();
        hooks.retain(|h| h.gid != gid);
        hooks.len() != before
    }

    /// How long a webhook's deliveries may keep failing before it is deleted (Asana: 24 hours;
    /// zero: at the first failure).
    pub fn set_webhook_drop_after(&self, span: Duration) {
        *lock(&self.shared.webhook_drop_after) = span;
    }

    /// The gids of the webhooks, in order of creation.
    pub fn webhook_gids(&self) -> Vec<String> {
        lock(&self.shared.hooks)
            .iter()
            .map(|h| h.gid.clone())
            .collect()
    }

    /// Run batch actions in the order given instead of a shuffled one.
    pub fn set_batch_shuffle(&self, shuffle: bool) {
        self.world(|w| w.shuffle_batches = shuffle);
    }
}

/// Run an emulator on `addr` until interrupted (`throughline emulate asana`): print the API
/// root, a seeded workspace and project, and a personal access token.
pub async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let emulator = Emulator::start_on(addr).await?;
    emulator.set_rate_limit(Some(1500));
    let seeded = emulator.seed();
    let (client_id, client_secret) = emulator.add_oauth_client(&seeded.user);
    println!("Asana emulator listening on {}", emulator.root_url());
    println!("  base_url   = \"{}\"", emulator.base_url());
    println!("  workspace  = \"{}\"", seeded.workspace);
    println!("  project    = \"{}\"", seeded.project);
    println!(
        "  token      = \"{}\"   (personal access token of ana@example.com)",
        seeded.token
    );
    println!("  people     = ana@example.com, ben@example.com");
    println!("  OAuth app  = client id \"{client_id}\", client secret \"{client_secret}\"");
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    drop(emulator);
    Ok(())
}

// --- HTTP -------------------------------------------------------------------------------------

fn json_response(status: u16, body: &Value, extra: &[(&str, String)]) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response();
    for (name, value) in extra {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// A response whose body breaks off: the client sees the connection drop.
fn dropped() -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(broken_body(b"{\"data\":"))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A request refused before it is carried out: the status, Asana's error body, and how many
/// seconds to wait when it says.
struct Refused {
    error: ApiError,
    retry_after: Option<u64>,
}

impl Refused {
    fn answer(self) -> (Response, u16) {
        let status = self.error.status;
        let wait = self.retry_after.map(|s| ("retry-after", s.to_string()));
        let headers: Vec<_> = wait.into_iter().collect();
        (json_response(status, &self.error.body(), &headers), status)
    }
}

/// The caller a bearer token stands for, or the 401 Asana answers.
fn caller_of(shared: &Shared, bearer: &str) -> Result<Caller, Refused> {
    let world = lock(&shared.world);
    let alive = world
        .tokens
        .get(bearer)
        .filter(|t| t.expires.is_none_or(|e| Instant::now() < e));
    if let Some(t) = alive {
        return Ok(Caller {
            user: t.user.clone(),
            kind: t.kind,
        });
    }
    let message = if bearer.is_empty() {
        "Not Authorized"
    } else {
        "The bearer token is invalid or has expired. Refresh it or sign in again."
    };
    Err(Refused {
        error: ApiError::new(401, message),
        retry_after: None,
    })
}

/// Count the request against the token's per-minute quota (refused requests count too, as in
/// Asana) and its requests in flight; the 429 when over either.
fn admit(shared: &Arc<Shared>, bearer: &str, write: bool) -> Result<InFlight, Refused> {
    let limits = lock(&shared.limits);
    if let Some(per_minute) = limits.per_minute {
        let mut windows = lock(&shared.windows);
        let now = tokio::time::Instant::now();
        let over = windows.used(&bearer.to_owned(), limits.window, now) >= per_minute as usize;
        windows.record(bearer.to_owned(), now);
        if over {
            let secs = windows.retry_after_secs(&bearer.to_owned(), limits.window, now);
            return Err(Refused {
                error: ApiError::new(429, RATE_LIMITED),
                retry_after: Some(secs),
            });
        }
    }
    let mut in_flight = lock(&shared.in_flight);
    let counts = in_flight.entry(bearer.to_owned()).or_default();
    let (current, max) = if write {
        (&mut counts.1, limits.concurrent_writes)
    } else {
        (&mut counts.0, limits.concurrent_reads)
    };
    if *current >= max {
        return Err(Refused {
            error: ApiError::new(
                429,
                "You have too many requests in flight at once. Please retry after the given amount of time.",
            ),
            retry_after: Some(1),
        });
    }
    *current += 1;
    Ok(InFlight {
        shared: Arc::clone(shared),
        token: bearer.to_owned(),
        write,
    })
}

/// `"<METHOD> <relative_path>"` of each action of a `/batch` body, for the log.
fn batch_actions(body: Option<&Value>) -> Vec<String> {
    let actions = body.and_then(|b| b["data"]["actions"].as_array());
    actions
        .into_iter()
        .flatten()
        .map(|a| {
            format!(
                "{} {}",
                a["method"].as_str().unwrap_or("").to_ascii_uppercase(),
                a["relative_path"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Decrements the in-flight count when the request is done.
struct InFlight {
    shared: Arc<Shared>,
    token: String,
    write: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut map = lock(&self.shared.in_flight);
        if let Some(entry) = map.get_mut(&self.token) {
            if self.write {
                entry.1 = entry.1.saturating_sub(1);
            } else {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }
}

/// What Asana answers for a status a fault rule asked for (429: its rate-limit body and
/// `Retry-After`).
fn fault_answer(code: u16, retry_after: Option<u64>) -> Response {
    if code == 429 {
        let body = ApiError::new(429, RATE_LIMITED).body();
        let secs = retry_after.unwrap_or(1).to_string();
        return json_response(429, &body, &[("retry-after", secs)]);
    }
    let message = match code {
        500 => "Server Error",
        502 => "Bad Gateway",
        503 => "The service is temporarily unavailable",
        504 => "Gateway Timeout",
        _ => "Injected failure",
    };
    json_response(code, &ApiError::new(code, message).body(), &[])
}

const RATE_LIMITED: &str = "You've made too many requests and hit a rate limit. Please retry after the given amount of time.";

async fn api(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request
        .uri()
        .path()
        .trim_start_matches("/api/1.0")
        .to_owned();
    let raw_query = request.uri().query().unwrap_or("").to_owned();
    let headers = request.headers().clone();
    let bytes = axum::body::to_bytes(request.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    let mut entry = LoggedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: raw_query.clone(),
        status: 0,
        actions: Vec::new(),
        user: String::new(),
        body: serde_json::from_slice(&bytes).ok(),
    };
    let (response, status) = answer(
        &shared, &method, &path, &raw_query, &headers, &bytes, &mut entry,
    )
    .await;
    entry.status = status;
    shared.log.push(entry);
    response
}

async fn answer(
    shared: &Arc<Shared>,
    method: &reqwest::Method,
    path: &str,
    raw_query: &str,
    headers: &HeaderMap,
    bytes: &[u8],
    entry: &mut LoggedRequest,
) -> (Response, u16) {
    // Faults first, as a broken network or an overloaded Asana would.
    let fault = shared.faults.pick(method.as_str(), path);
    if fault == Some(Fault::ExpireCursors) {
        lock(&shared.world).offsets.clear();
    }
    match Fault::before(fault.as_ref()).await {
        Some(Early::Status { code, retry_after }) => {
            return (fault_answer(code, retry_after), code);
        }
        Some(Early::Drop) => return (dropped(), 0),
        None => {}
    }
    let after = Fault::after(fault.as_ref());

    // Who is calling, then the per-minute quota and the concurrent-request limits.
    let bearer = bearer(headers).unwrap_or("").to_owned();
    let caller = match caller_of(shared, &bearer) {
        Ok(caller) => caller,
        Err(refused) => return refused.answer(),
    };
    entry.user = caller.user.clone();
    let write = *method != reqwest::Method::GET;
    let _in_flight = match admit(shared, &bearer, write) {
        Ok(in_flight) => in_flight,
        Err(refused) => return refused.answer(),
    };

    let query: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{raw_query}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let body: Option<Value> = match bytes {
        [] => None,
        _ => match serde_json::from_slice(bytes) {
            Ok(v) => Some(v),
            Err(_) => {
                let body = ApiError::bad("Could not parse request data, invalid JSON").body();
                return (json_response(400, &body, &[]), 400);
            }
        },
    };
    if path.trim_matches('/') == "batch" {
        entry.actions = batch_actions(body.as_ref());
    }
    if path.trim_matches('/').split('/').next() == Some("webhooks") {
        let (status, body) =
            webhooks::answer(shared, &caller, method, path, &query, body.as_ref()).await;
        return (json_response(status, &body, &[]), status);
    }
    let req = Req {
        method: method.clone(),
        path: path.to_owned(),
        query,
        body,
    };
    let base = lock(&shared.base).clone();
    let Resp { status, body } = {
        let mut world = lock(&shared.world);
        dispatch(&mut world, &caller, &req, &base)
    };
    if write {
        // What changed goes out to the webhooks now, as Asana does within a minute.
        webhooks::deliver(shared);
    }
    match after {
        Some(Early::Status { code, retry_after }) => (fault_answer(code, retry_after), code),
        Some(Early::Drop) => (dropped(), 0),
        None => (json_response(status, &body, &[]), status),
    }
}

// --- OAuth ------------------------------------------------------------------------------------

async fn authorize(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    let client = get("client_id");
    let redirect = get("redirect_uri");
    let mut world = lock(&shared.world);
    if !world.clients.contains_key(&client) {
        return (StatusCode::BAD_REQUEST, "Unknown client_id").into_response();
    }
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
        .iter()
        .any(|p| redirect.starts_with(p));
    if !loopback {
        return (
            StatusCode::BAD_REQUEST,
            "redirect_uri must be a loopback address",
        )
            .into_response();
    }
    if get("response_type") != "code" {
        return (StatusCode::BAD_REQUEST, "response_type must be code").into_response();
    }
    let challenge = params.get("code_challenge").cloned();
    if challenge.is_some() && get("code_challenge_method") != "S256" {
        return (
            StatusCode::BAD_REQUEST,
            "code_challenge_method must be S256",
        )
            .into_response();
    }
    let Some(user) = world.approver.clone() else {
        return (StatusCode::BAD_REQUEST, "nobody is signed in to approve").into_response();
    };
    let code = random_hex(40);
    world.codes.insert(
        code.clone(),
        AuthCode {
            client,
            redirect_uri: redirect.clone(),
            challenge,
            user,
            issued: Instant::now(),
        },
    );
    let mut url = match reqwest::Url::parse(&redirect) {
        Ok(u) => u,
        Err(_) => return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response(),
    };
    url.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &get("state"));
    Redirect::to(url.as_str()).into_response()
}

fn oauth_error(error: &str, description: &str) -> Response {
    json_response(
        400,
        &json!({"error": error, "error_description": description}),
        &[],
    )
}

async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let form: std::collections::HashMap<String, String> =
        reqwest::Url::parse(&format!("http://x/?{}", String::from_utf8_lossy(&body)))
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    // Client credentials in the body, or as HTTP Basic.
    let (mut id, mut secret) = (get("client_id"), get("client_secret"));
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        && let Some((i, s)) = decode_basic(basic)
    {
        id = i;
        secret = s;
    }
    let mut world = lock(&shared.world);
    if world.clients.get(&id).is_none_or(|c| c.secret != secret) {
        return json_response(
            401,
            &json!({"error": "invalid_client", "error_description": "The client credentials are wrong."}),
            &[],
        );
    }
    let (user, refresh) = match get("grant_type").as_str() {
        "authorization_code" => match code_grant(&mut world, &form, &id) {
            Ok(granted) => granted,
            Err(why) => return oauth_error("invalid_grant", why),
        },
        "refresh_token" => match world.refresh_tokens.get(&get("refresh_token")) {
            Some((client, user)) if *client == id => (user.clone(), None),
            _ => {
                return oauth_error(
                    "invalid_grant",
                    "The refresh token is unknown or was revoked.",
                );
            }
        },
        other => {
            return oauth_error(
                "unsupported_grant_type",
                &format!("grant_type {other} is not supported"),
            );
        }
    };
    let access = world.issue_token(&user, TokenKind::OAuth);
    let expires_in = world.access_ttl.as_secs();
    let u = world.users.get(&user).cloned();
    let mut body = json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": expires_in,
        "data": {"id": user, "gid": user, "name": u.as_ref().map(|u| u.name.clone()), "email": u.map(|u| u.email)},
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    json_response(200, &body, &[("cache-control", "no-store".to_owned())])
}

/// The authorization code (with its PKCE verifier) for the user who approved it and a new
/// refresh token.
fn code_grant(
    world: &mut World,
    form: &std::collections::HashMap<String, String>,
    client: &str,
) -> Result<(String, Option<String>), &'static str> {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let Some(code) = world.codes.remove(&get("code")) else {
        return Err("The code is unknown or was used already.");
    };
    if code.client != client
        || code.redirect_uri != get("redirect_uri")
        || code.issued.elapsed() > Duration::from_secs(600)
    {
        return Err("The code does not belong to this client or redirect.");
    }
    if let Some(challenge) = &code.challenge {
        let verifier = oauth2::PkceCodeVerifier::new(get("code_verifier"));
        let computed = oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        if computed.as_str() != challenge {
            return Err("The PKCE code verifier does not match.");
        }
    }
    let refresh = format!("1/{}:{}", code.user, random_hex(32));
    world
        .refresh_tokens
        .insert(refresh.clone(), (client.to_owned(), code.user.clone()));
    Ok((code.user, Some(refresh)))
}

fn decode_basic(encoded: &str) -> Option<(String, String)> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in encoded.trim().bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |s: &str| {
        reqwest::Url::parse(&format!("http://x/?v={s}"))
            .ok()
            .and_then(|u| u.query_pairs().next().map(|(_, v)| v.into_owned()))
            .unwrap_or_default()
    };
    Some((decode(id), decode(secret)))
}
