//! The HTTP side: routing, authentication, rate limits, faults, and the endpoints.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::params::Params;
use super::routes::route;
use super::world::{Id, World};
use super::{Fault, LoggedRequest, Shared, webhooks};
use throughline_connector::emulator_kit::{Early, Incoming, broken_body, lock};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// An error as Trello answers it: mostly a short text body.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: u16,
    body: String,
    json: bool,
}

impl ApiError {
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        ApiError {
            status,
            body: body.into(),
            json: false,
        }
    }

    pub fn invalid_id() -> Self {
        ApiError::text(400, "invalid id")
    }

    pub fn invalid_value(name: &str) -> Self {
        ApiError::text(400, format!("invalid value for {name}"))
    }

    pub fn not_found() -> Self {
        ApiError::text(404, "The requested resource was not found.")
    }

    fn rate_limited(token: bool) -> Self {
        let code = if token {
            "API_TOKEN_LIMIT_EXCEEDED"
        } else {
            "API_KEY_LIMIT_EXCEEDED"
        };
        ApiError {
            status: 429,
            body: json!({"error": code, "message": "Rate limit exceeded"}).to_string(),
            json: true,
        }
    }
}

pub type Answer = Result<Value, ApiError>;

/// Who is asking.
pub struct Caller {
    pub member: Id,
    /// The token it asked with (webhooks belong to tokens).
    pub token: String,
}

async fn handle(State(shared): State<Arc<Shared>>, incoming: Incoming) -> Response {
    let (method, uri) = (&incoming.method, &incoming.uri);
    let params = read_params(uri, &incoming.headers, &incoming.body);
    let path = uri.path().to_owned();
    let short_path = path.strip_prefix("/1").unwrap_or(&path).to_owned();
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.starts_with("key=") && !p.starts_with("token="))
        .collect::<Vec<_>>()
        .join("&");

    let fault = shared.faults.pick(method.as_str(), &short_path);
    let early = Fault::before(fault.as_ref()).await;
    let (limit_headers, limited) = rate_limit(&shared, &params);

    let outcome: Outcome = match (early, limited) {
        (Some(Early::Status { code, .. }), _) => Outcome::Error(fault_error(code)),
        (Some(Early::Drop), _) => Outcome::Drop,
        (_, Some(error)) => Outcome::Error(error),
        (None, None) => {
            let answer = answer(&shared, method, &path, &params).await;
            match (Fault::after(fault.as_ref()), answer) {
                (Some(Early::Status { code, .. }), _) => Outcome::Error(fault_error(code)),
                (Some(Early::Drop), _) => Outcome::Drop,
                (None, Ok(v)) => Outcome::Ok(v),
                (None, Err(e)) => Outcome::Error(e),
            }
        }
    };

    let status = match &outcome {
        Outcome::Ok(_) => 200,
        Outcome::Error(e) => e.status,
        Outcome::Drop => 0,
    };
    shared.log.push(LoggedRequest {
        method: method.to_string(),
        path: short_path,
        query,
        status,
        at: shared.log.elapsed(),
        fault: fault.clone(),
    });
    respond(outcome, limit_headers)
}

/// The parameters of a request: query, body, and the key and token of an
/// `Authorization: OAuth oauth_consumer_key="…", oauth_token="…"` header (what OAuth 1 clients
/// such as py-trello send; signatures are not checked).
fn read_params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Params {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let mut params = Params::from_parts(uri.query(), content_type, body);
    let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("OAuth "))
    else {
        return params;
    };
    for part in auth.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        let v = super::params::decode(v.trim().trim_matches('"'));
        let name = match k.trim() {
            "oauth_consumer_key" => "key",
            "oauth_token" => "token",
            _ => continue,
        };
        if !params.has(name) {
            params.0.insert(name.to_owned(), Value::String(v));
        }
    }
    params
}

/// The HTTP answer, with the headers Trello sends on every answer.
fn respond(outcome: Outcome, limit_headers: Vec<(&'static str, String)>) -> Response {
    let mut response = match outcome {
        Outcome::Ok(v) => json_response(200, v.to_string()),
        Outcome::Error(e) if e.json => json_response(e.status, e.body),
        Outcome::Error(e) => Response::builder()
            .status(e.status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Body::from(e.body))
            .unwrap_or_default(),
        // The headers and a first piece of the body, then the connection breaks.
        Outcome::Drop => Response::builder()
            .status(200)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(broken_body(b"{\"id\":"))
            .unwrap_or_default(),
    };
    let h = response.headers_mut();
    for (name, value) in limit_headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    h.insert("x-trello-version", HeaderValue::from_static("1.2092.0"));
    h.insert("x-trello-environment", HeaderValue::from_static("Emulator"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=0, no-cache, no-store"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// Authenticate, then answer: webhook endpoints on their own (they call out), everything else
/// on the world; a write that changed something goes out to the webhooks watching it.
async fn answer(shared: &Arc<Shared>, method: &Method, path: &str, params: &Params) -> Answer {
    let caller = authenticate(&shared.world(), params)?;
    let Some(short_path) = path
        .strip_prefix("/1")
        .filter(|p| p.is_empty() || p.starts_with('/'))
    else {
        return Err(ApiError::text(404, format!("Cannot {method} {path}")));
    };
    let segs: Vec<&str> = short_path.trim_matches('/').split('/').collect();
    if webhooks::is_webhook_path(&segs) {
        return webhooks::answer(shared, &caller, method, &segs, params).await;
    }
    let (answer, change) = {
        let mut world = shared.world();
        let target = webhooks::target_of(&world, &segs);
        let actions_before = world.actions.len();
        let answer = route(&mut world, &caller, method, short_path, params);
        let change = match &answer {
            Ok(v) if *method != Method::GET => webhooks::change_of(
                &mut world,
                actions_before,
                target,
                method.as_str(),
                &segs,
                v,
                &caller.member,
            ),
            _ => None,
        };
        (answer, change)
    };
    if let Some(change) = change {
        webhooks::deliver(shared, vec![change]);
    }
    answer
}

enum Outcome {
    Ok(Value),
    Error(ApiError),
    Drop,
}

fn json_response(status: u16, body: String) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body))
        .unwrap_or_default()
}

/// What Trello answers for a status a fault rule asked for (429: its rate-limit body).
fn fault_error(code: u16) -> ApiError {
    let text = match code {
        429 => return ApiError::rate_limited(true),
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
    ApiError::text(code, text)
}

/// Count the request against its token's and its key's windows. Returns the rate-limit headers
/// Trello sends and, when over a limit, the 429 to answer.
fn rate_limit(shared: &Shared, params: &Params) -> (Vec<(&'static str, String)>, Option<ApiError>) {
    let limits = *lock(&shared.limits);
    let (Some(key), Some(token)) = (params.str("key"), params.str("token")) else {
        return (Vec::new(), None);
    };
    let window = limits.window;
    let now = Instant::now();
    let mut windows = lock(&shared.windows);
    let used_token = windows.used(&format!("token:{token}"), window, now);
    let used_key = windows.used(&format!("key:{key}"), window, now);
    let ms = window.as_millis().to_string();
    let over = if !limits.enabled {
        None
    } else if used_token >= limits.token_max as usize {
        Some(ApiError::rate_limited(true))
    } else if used_key >= limits.key_max as usize {
        Some(ApiError::rate_limited(false))
    } else {
        None
    };
    if over.is_none() {
        for name in [format!("token:{token}"), format!("key:{key}")] {
            windows.record(name, now);
        }
    }
    let (t, k) = if over.is_none() {
        (used_token + 1, used_key + 1)
    } else {
        (used_token, used_key)
    };
    let headers = vec![
        ("x-rate-limit-api-key-interval-ms", ms.clone()),
        ("x-rate-limit-api-key-max", limits.key_max.to_string()),
        (
            "x-rate-limit-api-key-remaining",
            (limits.key_max as usize).saturating_sub(k).to_string(),
        ),
        ("x-rate-limit-api-token-interval-ms", ms),
        ("x-rate-limit-api-token-max", limits.token_max.to_string()),
        (
            "x-rate-limit-api-token-remaining",
            (limits.token_max as usize).saturating_sub(t).to_string(),
        ),
    ];
    (headers, over)
}

fn authenticate(world: &World, params: &Params) -> Result<Caller, ApiError> {
    let key = params.str("key").unwrap_or_default();
    if !world.keys.contains(&key) {
        return Err(ApiError::text(401, "invalid key"));
    }
    let token = params.str("token").unwrap_or_default();
    match world.tokens.get(&token) {
        Some(t) if t.key == key => Ok(Caller {
            member: t.member.clone(),
            token,
        }),
        _ => Err(ApiError::text(401, "invalid token")),
    }
}
