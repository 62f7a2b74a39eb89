//! The HTTP side: reading a request, sign-in and scopes, quotas, faults, the request log and
//! the answer's headers; the endpoints are in `routes` and the modules it calls.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::model::ApiError;
use super::oauth::{authorize_endpoint, token_endpoint};
use super::routes::route;
use super::{Fault, LoggedRequest, Shared, Token, World, watch};
use throughline_connector::emulator_kit::{
    Early, Incoming, broken_body, lock, percent_decode as decode,
};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// An answer: status, JSON body, extra headers.
pub(super) struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    pub fn ok(body: Value) -> Answer {
        Answer {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    pub fn with_status(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body,
            headers: Vec::new(),
        }
    }

    pub fn error(e: &ApiError) -> Answer {
        Answer {
            status: e.code,
            body: e.body(),
            headers: Vec::new(),
        }
    }
}

impl From<ApiError> for Answer {
    fn from(e: ApiError) -> Self {
        Answer::error(&e)
    }
}

fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

pub(super) struct Req<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub body: &'a Bytes,
    pub json: Option<Value>,
}

impl Req<'_> {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn json(&self) -> Result<&Value, ApiError> {
        self.json.as_ref().ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid JSON payload received. {}",
                if self.body.is_empty() {
                    "Empty body."
                } else {
                    "Unexpected token."
                }
            ))
        })
    }
}

async fn handle(State(shared): State<Arc<Shared>>, incoming: Incoming) -> Response {
    let Incoming {
        method, uri, body, ..
    } = &incoming;
    let headers = &incoming.headers;
    let raw_path = uri.path().to_owned();
    let path = decode(&raw_path, false);
    let query = parse_query(uri.query());
    let json_body: Option<Value> = if body.is_empty() {
        None
    } else {
        serde_json::from_slice(body).ok()
    };
    let req = Req {
        method,
        path: &path,
        query: &query,
        body,
        json: json_body.clone(),
    };
    let fault = shared.faults.pick(method.as_str(), &path);
    let early = Fault::before(fault.as_ref()).await;
    let mut principal = None;
    let mut lost = false;
    let answer = if path == "/token" {
        let form = token_form(headers, json_body.as_ref(), body);
        token_endpoint(&shared, &form)
    } else if path == "/o/oauth2/auth" {
        authorize_endpoint(&shared, &query)
    } else {
        match early {
            Some(Early::Status { code, retry_after }) => fault_answer(code, retry_after),
            Some(Early::Drop) => {
                lost = true;
                Answer::ok(Value::Null)
            }
            None => {
                let (a, who) = api(&shared, &req, headers);
                principal = who;
                match Fault::after(fault.as_ref()) {
                    Some(Early::Status { code, retry_after }) => fault_answer(code, retry_after),
                    Some(Early::Drop) => {
                        lost = true;
                        a
                    }
                    None => a,
                }
            }
        }
    };
    shared.log.push(LoggedRequest {
        method: method.to_string(),
        path: path.clone(),
        raw_path,
        query: query.clone(),
        body: json_body,
        status: if lost { 0 } else { answer.status },
        response: (!lost && answer.status != 302 && answer.status != 204)
            .then(|| answer.body.clone()),
        principal,
        fault: fault.clone(),
        at: shared.log.elapsed(),
    });
    if lost {
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
            .body(broken_body(b"{\n  \""))
            .unwrap_or_default();
    }
    respond(answer)
}

/// The token endpoint's form: URL-encoded, or a JSON object of strings.
fn token_form(headers: &HeaderMap, json: Option<&Value>, body: &Bytes) -> Vec<(String, String)> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return parse_query(std::str::from_utf8(body).ok());
    }
    json.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The answer for a status a fault rule asked for, in Google's error shape.
fn fault_answer(code: u16, retry_after: Option<u64>) -> Answer {
    let mut answer = Answer::error(&status_error(code));
    if let Some(secs) = retry_after {
        answer.headers.push(("retry-after", secs.to_string()));
    }
    answer
}

/// The HTTP answer, with the headers Google's front ends send.
fn respond(answer: Answer) -> Response {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
        .header("server", "ESF")
        .header(header::CACHE_CONTROL, "private")
        .header("x-content-type-options", "nosniff")
        .header("vary", "Origin, X-Origin, Referer");
    for (name, value) in &answer.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            builder = builder.header(*name, v);
        }
    }
    let body = if answer.status == 302 || answer.status == 204 {
        Body::empty()
    } else {
        Body::from(serde_json::to_vec_pretty(&answer.body).unwrap_or_default())
    };
    builder.body(body).unwrap_or_default()
}

fn status_error(code: u16) -> ApiError {
    let (status, message) = match code {
        429 => ("RESOURCE_EXHAUSTED", "Quota exceeded."),
        500 => ("INTERNAL", "Internal error encountered."),
        502 => ("UNAVAILABLE", "Bad gateway."),
        503 => ("UNAVAILABLE", "The service is currently unavailable."),
        504 => ("DEADLINE_EXCEEDED", "The request timed out."),
        401 => (
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        ),
        403 => ("PERMISSION_DENIED", "The caller does not have permission"),
        404 => ("NOT_FOUND", "Requested entity was not found."),
        _ => ("UNKNOWN", "Error."),
    };
    ApiError {
        code,
        status,
        message: message.to_owned(),
        details: None,
    }
}

// --- Sign-in, scopes, quotas ------------------------------------------------------------------

const EXPECTED: &str = "Expected OAuth 2 access token, login cookie or other valid authentication \
credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

fn unauthenticated(reason: &str, missing: bool, service: &str) -> Answer {
    let message = if missing {
        format!("Request is missing required authentication credential. {EXPECTED}")
    } else {
        format!("Request had invalid authentication credentials. {EXPECTED}")
    };
    let e = ApiError {
        code: 401,
        status: "UNAUTHENTICATED",
        message,
        details: Some(json!([{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {"service": service}
        }])),
    };
    let mut a = Answer::error(&e);
    a.headers.push((
        "www-authenticate",
        "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"".to_owned(),
    ));
    a
}

/// The caller, if its token works for this service.
fn authenticate(world: &World, headers: &HeaderMap, drive: bool) -> Result<Token, Answer> {
    let service = if drive {
        "drive.googleapis.com"
    } else {
        "sheets.googleapis.com"
    };
    let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(unauthenticated("CREDENTIALS_MISSING", true, service));
    };
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))
        .unwrap_or("");
    let Some(t) = world.tokens.get(token) else {
        return Err(unauthenticated(
            "ACCESS_TOKEN_TYPE_UNSUPPORTED",
            false,
            service,
        ));
    };
    if t.revoked || t.expires.is_some_and(|e| e <= Instant::now()) {
        return Err(unauthenticated("ACCESS_TOKEN_EXPIRED", false, service));
    }
    let ok = t.scopes.iter().any(|s| {
        let s = s.trim_start_matches("https://www.googleapis.com/auth/");
        if drive {
            s.starts_with("drive")
        } else {
            matches!(
                s,
                "spreadsheets"
                    | "spreadsheets.readonly"
                    | "drive"
                    | "drive.file"
                    | "drive.readonly"
            )
        }
    });
    if !ok {
        return Err(Answer::error(&ApiError {
            code: 403,
            status: "PERMISSION_DENIED",
            message: "Request had insufficient authentication scopes.".to_owned(),
            details: Some(json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": {"service": service}
            }])),
        }));
    }
    Ok(t.clone())
}

/// Count a request against the caller's per-minute quota; `Err` when over it.
fn over_quota(shared: &Shared, principal: &str, write: bool) -> Option<Answer> {
    let quotas = *lock(&shared.quotas);
    if !quotas.enabled {
        return None;
    }
    let limit = if write { quotas.writes } else { quotas.reads };
    let now = Instant::now();
    let mut windows = lock(&shared.windows);
    let key = (principal.to_owned(), write);
    if windows.used(&key, quotas.window, now) as u32 >= limit {
        let (metric, name) = if write {
            ("write_requests", "Write requests")
        } else {
            ("read_requests", "Read requests")
        };
        let limit_name = if write {
            "WriteRequestsPerMinutePerUser"
        } else {
            "ReadRequestsPerMinutePerUser"
        };
        return Some(Answer::error(&ApiError {
            code: 429,
            status: "RESOURCE_EXHAUSTED",
            message: format!(
                "Quota exceeded for quota metric '{name}' and limit '{name} per minute per user' \
                 of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'."
            ),
            details: Some(json!([
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                 "reason": "RATE_LIMIT_EXCEEDED",
                 "domain": "googleapis.com",
                 "metadata": {"quota_metric": format!("sheets.googleapis.com/{metric}"),
                              "quota_limit": limit_name,
                              "service": "sheets.googleapis.com",
                              "consumer": "projects/000000000000",
                              "quota_limit_value": limit.to_string()}},
                {"@type": "type.googleapis.com/google.rpc.Help",
                 "links": [{"description": "Request a higher quota limit.",
                            "url": "https://cloud.google.com/docs/quotas/help/request_increase"}]}
            ])),
        }));
    }
    windows.record(key, now);
    None
}

fn api(shared: &Shared, req: &Req<'_>, headers: &HeaderMap) -> (Answer, Option<String>) {
    let drive = req.path.starts_with("/drive/");
    let mut world = shared.world();
    if (req.path.starts_with("/v4/") || drive)
        && let Some(n) = world.expire_after.as_mut()
    {
        if *n == 0 {
            world.expire_after = None;
            for t in world.tokens.values_mut() {
                if t.expires.is_some() {
                    t.revoked = true;
                }
            }
        } else {
            *n -= 1;
        }
    }
    let caller = match authenticate(&world, headers, drive) {
        Ok(t) => t,
        Err(a) => return (a, None),
    };
    let who = Some(caller.principal.clone());
    if !drive {
        let write = is_write(req);
        if let Some(a) = over_quota(shared, &caller.principal, write) {
            return (a, who);
        }
    }
    let before = world.watches.versions(&world.spreadsheets);
    let answer = route(&mut world, req, &caller).unwrap_or_else(Answer::from);
    let World {
        watches,
        spreadsheets,
        ..
    } = &mut *world;
    watches.queue_changes(before, spreadsheets);
    let notices = watches.take_outbox();
    drop(world);
    watch::send(notices);
    (answer, who)
}

fn is_write(req: &Req<'_>) -> bool {
    if *req.method == Method::GET {
        return false;
    }
    !(req.path.ends_with(":batchGet")
        || req.path.ends_with(":batchGetByDataFilter")
        || req.path.ends_with(":getByDataFilter")
        || req.path.ends_with("developerMetadata:search"))
}

// --- Routing ----------------------------------------------------------------------------------
