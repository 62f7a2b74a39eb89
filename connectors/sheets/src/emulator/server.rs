//! The HTTP side: routing, sign-in and scopes, quotas, faults, the request log, and the
//! endpoints of Sheets v4, Drive v3 `files.get` and Google's OAuth token endpoint.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::fields::Mask;
use super::model::{ApiError, DateRender, Input, Rect, Render, Spreadsheet};
use super::requests::{self, metadata_matching};
use super::{CodeGrant, Fault, LoggedRequest, RefreshGrant, Shared, Token, World, watch};
use crate::auth::JWT_BEARER_GRANT;
use throughline_connector::emulator_kit::{
    Early, Incoming, broken_body, lock, percent_decode as decode,
};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// An answer: status, JSON body, extra headers.
struct Answer {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn ok(body: Value) -> Answer {
        Answer {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    fn with_status(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body,
            headers: Vec::new(),
        }
    }

    fn error(e: &ApiError) -> Answer {
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

struct Req<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a [(String, String)],
    body: &'a Bytes,
    json: Option<Value>,
}

impl Req<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn json(&self) -> Result<&Value, ApiError> {
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
        method,
        uri,
        headers,
        body,
    } = incoming;
    let raw_path = uri.path().to_owned();
    let path = decode(&raw_path, false);
    let query = parse_query(uri.query());
    let json_body: Option<Value> = if body.is_empty() {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };
    let req = Req {
        method: &method,
        path: &path,
        query: &query,
        body: &body,
        json: json_body.clone(),
    };
    let fault = shared.faults.pick(method.as_str(), &path);
    let early = Fault::before(fault.as_ref()).await;
    let mut principal = None;
    let mut lost = false;
    let answer = if path == "/token" {
        let form = token_form(&headers, json_body.as_ref(), &body);
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
                let (a, who) = api(&shared, &req, &headers);
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

fn route(world: &mut World, req: &Req<'_>, caller: &Token) -> Result<Answer, ApiError> {
    let path = req.path;
    if path == "/drive/v3/files" {
        return match *req.method {
            Method::GET => drive_list(world, req, caller),
            Method::POST => drive_create(world, req, caller),
            _ => Err(method_not_allowed()),
        };
    }
    if path == "/drive/v3/channels/stop" && *req.method == Method::POST {
        let (status, body) = watch::stop(world, req.json.as_ref());
        return Ok(Answer::with_status(status, body));
    }
    if let Some(file) = path
        .strip_prefix("/drive/v3/files/")
        .and_then(|rest| rest.strip_suffix("/watch"))
    {
        return drive_watch(world, req, file, caller);
    }
    if let Some(rest) = path.strip_prefix("/drive/v3/files/") {
        return drive_get(world, req, rest, caller);
    }
    let Some(rest) = path.strip_prefix("/v4/spreadsheets") else {
        return Err(ApiError {
            code: 404,
            status: "NOT_FOUND",
            message: format!("The requested URL {path} was not found on this server."),
            details: None,
        });
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() && *req.method == Method::POST {
        return create(world, req, caller);
    }
    // `ID`, `ID:batchUpdate`, `ID/values/...`, `ID/developerMetadata...`.
    let (id, tail) = match rest.find(['/', ':']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let s = world
        .spreadsheets
        .get_mut(id)
        .ok_or_else(ApiError::not_found)?;
    if let Some(people) = &s.shared_with
        && !people.contains(&caller.principal)
    {
        return Err(ApiError {
            code: 403,
            status: "PERMISSION_DENIED",
            message: "The caller does not have permission".to_owned(),
            details: None,
        });
    }
    let m = req.method.clone();
    let now = Timestamp::now();
    let answer = match (m, tail) {
        (Method::GET, "") => get(s, req),
        (Method::POST, ":batchUpdate") => {
            let body = req.json()?;
            let list = body["requests"].as_array().cloned().unwrap_or_default();
            check_keys(
                body,
                &[
                    "requests",
                    "includeSpreadsheetInResponse",
                    "responseRanges",
                    "responseIncludeGridData",
                ],
                "",
            )?;
            let mut copy = s.clone();
            let replies = requests::batch_update(&mut copy, &list)?;
            if !list.is_empty() {
                copy.touch(now);
            }
            *s = copy;
            let mut out = json!({"spreadsheetId": s.id, "replies": replies});
            if body["includeSpreadsheetInResponse"].as_bool() == Some(true) {
                out["updatedSpreadsheet"] = spreadsheet_json(s, None, false, &Mask::default());
            }
            Ok(out)
        }
        (Method::GET, "/values:batchGet") => batch_get(s, req),
        (Method::POST, "/values:batchUpdate") => values_batch_update(s, req, now),
        (Method::POST, "/values:batchUpdateByDataFilter") => values_by_filter(s, req, now),
        (Method::POST, "/values:batchGetByDataFilter") => get_by_filter(s, req),
        (Method::POST, "/values:batchClear") => {
            let body = req.json()?;
            let mut cleared = Vec::new();
            let mut copy = s.clone();
            for r in body["ranges"].as_array().cloned().unwrap_or_default() {
                let rect = copy.resolve(r.as_str().unwrap_or(""))?;
                copy.clear(&rect);
                cleared.push(copy.range_name(&rect));
            }
            copy.touch(now);
            *s = copy;
            Ok(json!({"spreadsheetId": s.id, "clearedRanges": cleared}))
        }
        (Method::POST, "/developerMetadata:search") => {
            let body = req.json()?;
            let mut out = Vec::new();
            for f in body["dataFilters"].as_array().cloned().unwrap_or_default() {
                for id in metadata_matching(s, &f["developerMetadataLookup"]) {
                    out.push(
                        json!({"developerMetadata": s.meta_json(&s.meta[&id]), "dataFilters": [f]}),
                    );
                }
            }
            Ok(if out.is_empty() {
                json!({})
            } else {
                json!({"matchedDeveloperMetadata": out})
            })
        }
        (Method::GET, t) if t.starts_with("/developerMetadata/") => {
            let mid: i32 = t["/developerMetadata/".len()..]
                .parse()
                .map_err(|_| ApiError::not_found())?;
            let m = s.meta.get(&mid).ok_or_else(ApiError::not_found)?;
            Ok(s.meta_json(m))
        }
        (m, t) if t.starts_with("/values/") => {
            let range = &t["/values/".len()..];
            if let Some(r) = range.strip_suffix(":append") {
                if m != Method::POST {
                    return Err(method_not_allowed());
                }
                append(s, req, r, now)
            } else if let Some(r) = range.strip_suffix(":clear") {
                if m != Method::POST {
                    return Err(method_not_allowed());
                }
                let mut copy = s.clone();
                let rect = copy.resolve(r)?;
                copy.clear(&rect);
                copy.touch(now);
                *s = copy;
                Ok(json!({"spreadsheetId": s.id, "clearedRange": s.range_name(&rect)}))
            } else if m == Method::GET {
                let rect = s.resolve(range)?;
                let (render, dates, cols) = render_options(req)?;
                Ok(value_range(s, &rect, render, dates, cols))
            } else if m == Method::PUT {
                values_update(s, req, range, now)
            } else {
                Err(method_not_allowed())
            }
        }
        _ => Err(ApiError {
            code: 404,
            status: "NOT_FOUND",
            message: format!("The requested URL {path} was not found on this server."),
            details: None,
        }),
    }?;
    Ok(Answer::ok(answer))
}

fn method_not_allowed() -> ApiError {
    ApiError {
        code: 405,
        status: "UNKNOWN",
        message: "Method not allowed.".to_owned(),
        details: None,
    }
}

/// Unknown members of a request body are refused as Google's JSON parser does.
fn check_keys(body: &Value, known: &[&str], at: &str) -> Result<(), ApiError> {
    if let Some(o) = body.as_object() {
        for k in o.keys() {
            if !known.contains(&k.as_str()) {
                let place = if at.is_empty() {
                    String::new()
                } else {
                    format!(" at '{at}'")
                };
                return Err(ApiError::bad_field(
                    at,
                    format!(
                        "Invalid JSON payload received. Unknown name \"{k}\"{place}: Cannot find field."
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn render_options(req: &Req<'_>) -> Result<(Render, DateRender, bool), ApiError> {
    let render = match req.param("valueRenderOption") {
        None | Some("FORMATTED_VALUE") => Render::Formatted,
        Some("UNFORMATTED_VALUE") => Render::Unformatted,
        Some("FORMULA") => Render::Formula,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid value at 'value_render_option', \"{o}\""
            )));
        }
    };
    let dates = match req.param("dateTimeRenderOption") {
        None | Some("SERIAL_NUMBER") => DateRender::Serial,
        Some("FORMATTED_STRING") => DateRender::FormattedString,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid value at 'date_time_render_option', \"{o}\""
            )));
        }
    };
    let cols = match req.param("majorDimension") {
        None | Some("ROWS") | Some("DIMENSION_UNSPECIFIED") => false,
        Some("COLUMNS") => true,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid value at 'major_dimension', \"{o}\""
            )));
        }
    };
    Ok((render, dates, cols))
}

fn value_range(
    s: &Spreadsheet,
    rect: &Rect,
    render: Render,
    dates: DateRender,
    cols: bool,
) -> Value {
    let values = s.read(rect, render, dates, cols);
    let mut out = json!({"range": s.range_name(rect), "majorDimension": if cols { "COLUMNS" } else { "ROWS" }});
    if !values.is_empty() {
        out["values"] = json!(values);
    }
    out
}

fn get(s: &Spreadsheet, req: &Req<'_>) -> Result<Value, ApiError> {
    let mask = match req.param("fields") {
        Some(f) => Mask::parse(f).map_err(|e| ApiError::bad_field("fields", e))?,
        None => Mask::default(),
    };
    let ranges = req.params("ranges");
    let grid = req.param("fields").is_some() && mask.wants(&["sheets", "data"])
        || req.param("includeGridData") == Some("true");
    let limit: Option<Vec<Rect>> = if ranges.is_empty() {
        None
    } else {
        Some(
            ranges
                .iter()
                .map(|r| s.resolve(r))
                .collect::<Result<_, _>>()?,
        )
    };
    let full = spreadsheet_json(s, limit.as_deref(), grid, &mask);
    Ok(mask.apply(&full))
}

/// The spreadsheet as `spreadsheets.get` answers, with grid data when asked (only for
/// `ranges` when given). The mask says which parts of the grid data are worth building.
pub fn spreadsheet_json(
    s: &Spreadsheet,
    ranges: Option<&[Rect]>,
    grid: bool,
    mask: &Mask,
) -> Value {
    let want_cells = mask.wants(&["sheets", "data", "rowData"]);
    let sheets: Vec<Value> = s
        .sheets
        .iter()
        .enumerate()
        .filter(|(i, _)| ranges.is_none_or(|r| r.iter().any(|r| r.sheet == *i)))
        .map(|(i, sh)| {
            let mut out = json!({"properties": sh.properties(i)});
            let meta: Vec<Value> = s
                .meta
                .values()
                .filter(|m| m.loc == super::model::MetaLoc::Sheet(sh.id))
                .map(|m| s.meta_json(m))
                .collect();
            if !meta.is_empty() {
                out["developerMetadata"] = json!(meta);
            }
            if !sh.protected.is_empty() {
                let mut p: Vec<Value> = sh.protected.clone();
                for pr in &mut p {
                    if let Some(r) = pr.get_mut("range") {
                        r["sheetId"] = json!(sh.id);
                    }
                }
                out["protectedRanges"] = json!(p);
            }
            if !sh.conditional.is_empty() {
                out["conditionalFormats"] = json!(sh.conditional);
            }
            if !sh.merges.is_empty() {
                out["merges"] = json!(sh.merges);
            }
            if grid {
                let rects: Vec<Rect> = match ranges {
                    Some(r) => r.iter().filter(|r| r.sheet == i).copied().collect(),
                    None => vec![Rect {
                        sheet: i,
                        r0: 0,
                        r1: sh.rows.len(),
                        c0: 0,
                        c1: sh.col_count as usize,
                    }],
                };
                let data: Vec<Value> = rects.iter().map(|r| grid_data(s, r, want_cells)).collect();
                out["data"] = json!(data);
            }
            out
        })
        .collect();
    let mut out = json!({
        "spreadsheetId": s.id,
        "properties": {
            "title": s.title,
            "locale": s.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": s.time_zone,
            "defaultFormat": {
                "backgroundColor": {"red": 1, "green": 1, "blue": 1},
                "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
                "verticalAlignment": "BOTTOM",
                "wrapStrategy": "OVERFLOW_CELL",
                "textFormat": {"foregroundColor": {}, "fontFamily": "arial,sans,sans-serif", "fontSize": 10,
                               "bold": false, "italic": false, "strikethrough": false, "underline": false,
                               "foregroundColorStyle": {"rgbColor": {}}},
                "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}}
            }
        },
        "sheets": sheets,
        "spreadsheetUrl": format!("https://docs.google.com/spreadsheets/d/{}/edit", s.id),
    });
    let meta: Vec<Value> = s
        .meta
        .values()
        .filter(|m| m.loc == super::model::MetaLoc::Spreadsheet)
        .map(|m| s.meta_json(m))
        .collect();
    if !meta.is_empty() {
        out["developerMetadata"] = json!(meta);
    }
    out
}

fn grid_data(s: &Spreadsheet, r: &Rect, cells: bool) -> Value {
    let sh = &s.sheets[r.sheet];
    let mut out = Map::new();
    if r.r0 > 0 {
        out.insert("startRow".into(), json!(r.r0));
    }
    if r.c0 > 0 {
        out.insert("startColumn".into(), json!(r.c0));
    }
    if cells {
        let mut rows = Vec::new();
        for row in r.r0..r.r1 {
            let mut values = Vec::new();
            for c in r.c0..r.c1 {
                let mut cell: Map<String, Value> = sh.cell(row, c).cloned().unwrap_or_default();
                if cell.contains_key("userEnteredValue") {
                    let eff = s.render(r.sheet, row, c, Render::Unformatted, DateRender::Serial);
                    let ev = match eff {
                        Value::Bool(b) => json!({"boolValue": b}),
                        Value::Number(n) => json!({"numberValue": n}),
                        Value::String(t) => json!({"stringValue": t}),
                        _ => json!({}),
                    };
                    cell.insert("effectiveValue".into(), ev);
                    cell.insert(
                        "formattedValue".into(),
                        s.render(
                            r.sheet,
                            row,
                            c,
                            Render::Formatted,
                            DateRender::FormattedString,
                        ),
                    );
                }
                values.push(Value::Object(cell));
            }
            while values
                .last()
                .is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
            {
                values.pop();
            }
            rows.push(if values.is_empty() {
                json!({})
            } else {
                json!({"values": values})
            });
        }
        while rows
            .last()
            .is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
        {
            rows.pop();
        }
        if !rows.is_empty() {
            out.insert("rowData".into(), json!(rows));
        }
    }
    let row_meta: Vec<Value> = (r.r0..r.r1)
        .map(|row| {
            let rr = &sh.rows[row];
            let mut m =
                json!({"pixelSize": rr.props.get("pixelSize").cloned().unwrap_or(json!(21))});
            if rr.props.get("hiddenByUser") == Some(&json!(true)) {
                m["hiddenByUser"] = json!(true);
            }
            let dm: Vec<Value> = rr
                .meta
                .iter()
                .filter_map(|id| s.meta.get(id))
                .map(|x| s.meta_json(x))
                .collect();
            if !dm.is_empty() {
                m["developerMetadata"] = json!(dm);
            }
            m
        })
        .collect();
    out.insert("rowMetadata".into(), json!(row_meta));
    let col_meta: Vec<Value> = (r.c0..r.c1)
        .map(|c| {
            let p = sh.columns.get(c).cloned().unwrap_or_default();
            let mut m = json!({"pixelSize": p.get("pixelSize").cloned().unwrap_or(json!(100))});
            if p.get("hiddenByUser") == Some(&json!(true)) {
                m["hiddenByUser"] = json!(true);
            }
            m
        })
        .collect();
    out.insert("columnMetadata".into(), json!(col_meta));
    Value::Object(out)
}

fn create(world: &mut World, req: &Req<'_>, caller: &Token) -> Result<Answer, ApiError> {
    let body = req.json.clone().unwrap_or(json!({}));
    let id = super::new_spreadsheet_id();
    let title = body["properties"]["title"]
        .as_str()
        .unwrap_or("Untitled spreadsheet");
    let mut s = Spreadsheet::new(&id, title, Timestamp::now());
    s.shared_with = None;
    let _ = caller;
    let out = spreadsheet_json(&s, None, false, &Mask::default());
    world.spreadsheets.insert(id, s);
    Ok(Answer::ok(out))
}

fn batch_get(s: &Spreadsheet, req: &Req<'_>) -> Result<Value, ApiError> {
    let (render, dates, cols) = render_options(req)?;
    let mut out = Vec::new();
    for r in req.params("ranges") {
        let rect = s.resolve(r)?;
        out.push(value_range(s, &rect, render, dates, cols));
    }
    let mut answer = json!({"spreadsheetId": s.id});
    if !out.is_empty() {
        answer["valueRanges"] = json!(out);
    }
    Ok(answer)
}

fn input_of(v: Option<&str>) -> Result<Input, ApiError> {
    Input::parse(v)
}

fn values_of(v: &Value, field: &str) -> Result<Vec<Vec<Value>>, ApiError> {
    let bad = || {
        ApiError::bad_field(
            field,
            format!(
                "Invalid value at '{field}' (type.googleapis.com/google.protobuf.ListValue), {}",
                v
            ),
        )
    };
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(rows) => rows
            .iter()
            .map(|r| match r {
                Value::Array(cells) => Ok(cells.clone()),
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
    }
}

fn columns_of(v: &Value) -> Result<bool, ApiError> {
    match v.as_str() {
        None | Some("ROWS") | Some("DIMENSION_UNSPECIFIED") => Ok(false),
        Some("COLUMNS") => Ok(true),
        Some(o) => Err(ApiError::invalid(format!(
            "Invalid value at 'data.major_dimension', \"{o}\""
        ))),
    }
}

fn update_response(s: &Spreadsheet, rect: &Rect, cells: usize) -> Value {
    json!({
        "spreadsheetId": s.id,
        "updatedRange": s.range_name(rect),
        "updatedRows": rect.r1 - rect.r0,
        "updatedColumns": rect.c1 - rect.c0,
        "updatedCells": cells,
    })
}

fn values_update(
    s: &mut Spreadsheet,
    req: &Req<'_>,
    range: &str,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let input = input_of(req.param("valueInputOption"))?;
    let body = req.json()?;
    check_keys(body, &["range", "majorDimension", "values"], "")?;
    let values = values_of(&body["values"], "data.values")?;
    let cols = columns_of(&body["majorDimension"])?;
    let mut copy = s.clone();
    let (rect, bounded) = copy.resolve_for_write(range)?;
    let (written, cells) = copy.write(&rect, bounded, &values, cols, input, range)?;
    copy.touch(now);
    *s = copy;
    Ok(update_response(s, &written, cells))
}

fn values_batch_update(
    s: &mut Spreadsheet,
    req: &Req<'_>,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let body = req.json()?;
    check_keys(
        body,
        &[
            "valueInputOption",
            "data",
            "includeValuesInResponse",
            "responseValueRenderOption",
            "responseDateTimeRenderOption",
        ],
        "",
    )?;
    let input = input_of(body["valueInputOption"].as_str())?;
    let mut copy = s.clone();
    let mut responses = Vec::new();
    let (mut rows, mut cols_n, mut cells_n, mut sheets) =
        (0, 0, 0, std::collections::BTreeSet::new());
    for (i, d) in body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        check_keys(
            d,
            &["range", "majorDimension", "values"],
            &format!("data[{i}]"),
        )?;
        let range = d["range"].as_str().unwrap_or("");
        let values = values_of(&d["values"], &format!("data[{i}].values"))?;
        let cols = columns_of(&d["majorDimension"])?;
        let (rect, bounded) = copy.resolve_for_write(range)?;
        let (written, cells) = copy.write(&rect, bounded, &values, cols, input, range)?;
        rows += written.r1 - written.r0;
        cols_n = usize::max(cols_n, written.c1 - written.c0);
        cells_n += cells;
        sheets.insert(written.sheet);
        responses.push(update_response(&copy, &written, cells));
    }
    copy.touch(now);
    *s = copy;
    let mut out = json!({"spreadsheetId": s.id, "totalUpdatedRows": rows, "totalUpdatedColumns": cols_n,
                         "totalUpdatedCells": cells_n, "totalUpdatedSheets": sheets.len()});
    if !responses.is_empty() {
        out["responses"] = json!(responses);
    }
    Ok(out)
}

/// The ranges a data filter names.
fn filter_ranges(s: &Spreadsheet, f: &Value) -> Result<Vec<Rect>, ApiError> {
    if let Some(r) = f.get("a1Range").and_then(Value::as_str) {
        return Ok(vec![s.resolve(r)?]);
    }
    if let Some(g) = f.get("gridRange") {
        let (sheet, r0, r1, c0, c1) = requests::grid_range(s, g)?;
        return Ok(vec![Rect {
            sheet,
            r0,
            r1,
            c0,
            c1,
        }]);
    }
    if let Some(lookup) = f.get("developerMetadataLookup") {
        let mut out = Vec::new();
        for id in metadata_matching(s, lookup) {
            let m = &s.meta[&id];
            match m.loc {
                super::model::MetaLoc::Row(_) => {
                    if let Some((sheet, row)) = s.meta_row(id) {
                        let sh = &s.sheets[sheet];
                        out.push(Rect {
                            sheet,
                            r0: row,
                            r1: row + 1,
                            c0: 0,
                            c1: sh.col_count as usize,
                        });
                    }
                }
                super::model::MetaLoc::Sheet(sid) => {
                    let sheet = s.sheet_index(sid)?;
                    let sh = &s.sheets[sheet];
                    out.push(Rect {
                        sheet,
                        r0: 0,
                        r1: sh.rows.len(),
                        c0: 0,
                        c1: sh.col_count as usize,
                    });
                }
                super::model::MetaLoc::Spreadsheet => {}
            }
        }
        return Ok(out);
    }
    Err(ApiError::invalid(
        "A data filter needs developerMetadataLookup, a1Range or gridRange",
    ))
}

fn values_by_filter(s: &mut Spreadsheet, req: &Req<'_>, now: Timestamp) -> Result<Value, ApiError> {
    let body = req.json()?;
    check_keys(
        body,
        &[
            "valueInputOption",
            "data",
            "includeValuesInResponse",
            "responseValueRenderOption",
            "responseDateTimeRenderOption",
        ],
        "",
    )?;
    let input = input_of(body["valueInputOption"].as_str())?;
    let mut copy = s.clone();
    let mut responses = Vec::new();
    let (mut rows, mut cols_n, mut cells_n, mut sheets) =
        (0, 0, 0, std::collections::BTreeSet::new());
    for (i, d) in body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        check_keys(
            d,
            &["dataFilter", "majorDimension", "values"],
            &format!("data[{i}]"),
        )?;
        let values = values_of(&d["values"], &format!("data[{i}].values"))?;
        let cols = columns_of(&d["majorDimension"])?;
        for rect in filter_ranges(&copy, &d["dataFilter"])? {
            let name = copy.range_name(&rect);
            let (written, cells) = copy.write(&rect, true, &values, cols, input, &name)?;
            rows += written.r1 - written.r0;
            cols_n = usize::max(cols_n, written.c1 - written.c0);
            cells_n += cells;
            sheets.insert(written.sheet);
            let mut r = update_response(&copy, &written, cells);
            r.as_object_mut().map(|o| o.remove("spreadsheetId"));
            r["dataFilter"] = d["dataFilter"].clone();
            responses.push(r);
        }
    }
    if cells_n > 0 {
        copy.touch(now);
    }
    *s = copy;
    let mut out = json!({"spreadsheetId": s.id, "totalUpdatedRows": rows, "totalUpdatedColumns": cols_n,
                         "totalUpdatedCells": cells_n, "totalUpdatedSheets": sheets.len()});
    if !responses.is_empty() {
        out["responses"] = json!(responses);
    }
    Ok(out)
}

fn get_by_filter(s: &Spreadsheet, req: &Req<'_>) -> Result<Value, ApiError> {
    let body = req.json()?;
    let render = match body["valueRenderOption"].as_str() {
        Some("UNFORMATTED_VALUE") => Render::Unformatted,
        Some("FORMULA") => Render::Formula,
        _ => Render::Formatted,
    };
    let dates = match body["dateTimeRenderOption"].as_str() {
        Some("FORMATTED_STRING") => DateRender::FormattedString,
        _ => DateRender::Serial,
    };
    let cols = columns_of(&body["majorDimension"])?;
    let mut out = Vec::new();
    for f in body["dataFilters"].as_array().cloned().unwrap_or_default() {
        for rect in filter_ranges(s, &f)? {
            out.push(json!({"valueRange": value_range(s, &rect, render, dates, cols), "dataFilters": [f]}));
        }
    }
    let mut answer = json!({"spreadsheetId": s.id});
    if !out.is_empty() {
        answer["valueRanges"] = json!(out);
    }
    Ok(answer)
}

fn append(
    s: &mut Spreadsheet,
    req: &Req<'_>,
    range: &str,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let input = input_of(req.param("valueInputOption"))?;
    let body = req.json()?;
    check_keys(body, &["range", "majorDimension", "values"], "")?;
    let values = values_of(&body["values"], "data.values")?;
    let cols = columns_of(&body["majorDimension"])?;
    let mut copy = s.clone();
    let rect = copy.resolve(range)?;
    // The table, as Google finds it: from the range's top-left cell, the filled cells to its
    // right, and the rows below while they have anything in those columns. No table when that
    // cell is empty: the values go there.
    let sheet = &copy.sheets[rect.sheet];
    let filled = |r: usize, c: usize| sheet.cell(r, c).is_some_and(super::model::has_value);
    let table = filled(rect.r0, rect.c0).then(|| {
        let mut c1 = rect.c0 + 1;
        while c1 < sheet.col_count as usize && filled(rect.r0, c1) {
            c1 += 1;
        }
        let mut r1 = rect.r0 + 1;
        while r1 < sheet.rows.len() && (rect.c0..c1).any(|c| filled(r1, c)) {
            r1 += 1;
        }
        Rect {
            sheet: rect.sheet,
            r0: rect.r0,
            r1,
            c0: rect.c0,
            c1,
        }
    });
    let at = table.map_or(rect.r0, |t| t.r1);
    let height = if cols {
        values.iter().map(Vec::len).max().unwrap_or(0)
    } else {
        values.len()
    };
    let needed = at + height;
    let sheet = &mut copy.sheets[rect.sheet];
    if req.param("insertDataOption") == Some("INSERT_ROWS") {
        for _ in 0..height {
            sheet
                .rows
                .insert(at.min(sheet.rows.len()), Default::default());
        }
    } else if needed > sheet.rows.len() {
        sheet.rows.resize(needed, Default::default());
    }
    let start = Rect {
        sheet: rect.sheet,
        r0: at,
        r1: needed,
        c0: rect.c0,
        c1: copy.sheets[rect.sheet].col_count as usize,
    };
    let (written, cells) = copy.write(&start, false, &values, cols, input, range)?;
    copy.touch(now);
    *s = copy;
    let mut out = json!({"spreadsheetId": s.id, "updates": update_response(s, &written, cells)});
    if let Some(t) = table {
        out["tableRange"] = json!(s.range_name(&t));
    }
    Ok(out)
}

// --- Drive ------------------------------------------------------------------------------------

fn drive_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn drive_get(
    world: &mut World,
    req: &Req<'_>,
    id: &str,
    caller: &Token,
) -> Result<Answer, ApiError> {
    let not_found = || drive_not_found(id);
    let Some(s) = world.spreadsheets.get(id) else {
        return Ok(not_found());
    };
    if !visible_to(s, caller) {
        return Ok(not_found());
    }
    match *req.method {
        Method::GET => {}
        // gspread's `del_spreadsheet`: gone, with an empty 204.
        Method::DELETE => {
            world.spreadsheets.remove(id);
            return Ok(Answer {
                status: 204,
                body: Value::Null,
                headers: Vec::new(),
            });
        }
        _ => return Err(method_not_allowed()),
    }
    let full = drive_file(s);
    let Some(fields) = req.param("fields") else {
        return Ok(Answer::ok(drive_file_short(&full)));
    };
    let mask = Mask::parse(fields).map_err(ApiError::invalid)?;
    if let Some(bad) = unknown_field(&mask, &full) {
        return Ok(bad);
    }
    Ok(Answer::ok(mask.apply(&full)))
}

const SPREADSHEET_MIME: &str = "application/vnd.google-apps.spreadsheet";

/// Whether the caller may see the spreadsheet at all.
/// `files.watch`: a channel on a spreadsheet the caller can see.
fn drive_watch(
    world: &mut World,
    req: &Req<'_>,
    file: &str,
    caller: &Token,
) -> Result<Answer, ApiError> {
    if *req.method != Method::POST {
        return Err(method_not_allowed());
    }
    if !world
        .spreadsheets
        .get(file)
        .is_some_and(|s| visible_to(s, caller))
    {
        return Ok(drive_not_found(file));
    }
    let (status, body) = watch::watch(world, file, req.json.as_ref());
    Ok(Answer::with_status(status, body))
}

fn visible_to(s: &Spreadsheet, caller: &Token) -> bool {
    s.shared_with
        .as_ref()
        .is_none_or(|p| p.contains(&caller.principal))
}

/// A spreadsheet as a Drive `File`, with every field the emulator knows.
fn drive_file(s: &Spreadsheet) -> Value {
    json!({
        "kind": "drive#file",
        "id": s.id,
        "name": s.title,
        "mimeType": SPREADSHEET_MIME,
        "createdTime": drive_time(s.created),
        "modifiedTime": drive_time(s.modified),
        "version": s.version.to_string(),
        "trashed": false,
    })
}

/// The fields Drive answers with when no `fields` are asked for.
fn drive_file_short(full: &Value) -> Value {
    json!({"kind": full["kind"], "id": full["id"], "name": full["name"], "mimeType": full["mimeType"]})
}

/// Drive's 404 for a file the caller cannot see.
fn drive_not_found(id: &str) -> Answer {
    let message = format!("File not found: {id}.");
    Answer {
        status: 404,
        body: json!({"error": {"code": 404, "message": message, "errors": [{
            "message": message, "domain": "global", "reason": "notFound",
            "location": "fileId", "locationType": "parameter"}]}}),
        headers: Vec::new(),
    }
}

/// Drive's error body for a 400 on one parameter.
fn drive_bad_parameter(message: &str, reason: &str, location: &str) -> Answer {
    Answer {
        status: 400,
        body: json!({"error": {"code": 400, "message": message, "errors": [{
            "message": message, "domain": "global", "reason": reason,
            "location": location, "locationType": "parameter"}]}}),
        headers: Vec::new(),
    }
}

/// A 400 for the first name in the mask that the answer does not have.
fn unknown_field(mask: &Mask, full: &Value) -> Option<Answer> {
    let name = mask
        .children
        .keys()
        .find(|name| *name != "*" && full.get(name.as_str()).is_none())?;
    Some(drive_bad_parameter(
        &format!("Invalid field selection {name}"),
        "invalidParameter",
        "fields",
    ))
}

/// One term of a Drive search query, as gspread and people write them.
#[derive(Debug, PartialEq)]
enum Term {
    /// `mimeType = '…'` (or `!=`).
    Mime(String, bool),
    /// `name = '…'` (or `!=`).
    Name(String, bool),
    /// `name contains '…'`.
    NameContains(String),
    /// `trashed = true|false`.
    Trashed(bool),
    /// `'…' in parents` / `parents in '…'`: folders are not modelled, so only `root` matches.
    Parent(String),
}

/// Parse `q`: terms joined by `and`. `None` for anything else (Drive answers "Invalid Value").
fn parse_query_terms(q: &str) -> Option<Vec<Term>> {
    let mut terms = Vec::new();
    let mut rest = q.trim();
    loop {
        let (term, after) = parse_term(rest)?;
        terms.push(term);
        rest = after.trim_start();
        if rest.is_empty() {
            return Some(terms);
        }
        rest = rest.strip_prefix("and")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        rest = rest.trim_start();
    }
}

fn parse_term(text: &str) -> Option<(Term, &str)> {
    let text = text.trim_start();
    if text.starts_with(['\'', '"']) {
        let (value, rest) = quoted(text)?;
        let rest = rest.trim_start().strip_prefix("in")?.trim_start();
        let rest = rest.strip_prefix("parents")?;
        return Some((Term::Parent(value), rest));
    }
    let word_end = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    let (field, rest) = text.split_at(word_end);
    let rest = rest.trim_start();
    let (op, rest) = ["!=", "=", "contains", "in"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|r| (*op, r.trim_start())))?;
    match (field, op) {
        ("trashed", "=") => {
            let end = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let flag = match &rest[..end] {
                "true" => true,
                "false" => false,
                _ => return None,
            };
            Some((Term::Trashed(flag), &rest[end..]))
        }
        ("mimeType", "=" | "!=") => {
            let (v, rest) = quoted(rest)?;
            Some((Term::Mime(v, op == "="), rest))
        }
        ("name", "=" | "!=") => {
            let (v, rest) = quoted(rest)?;
            Some((Term::Name(v, op == "="), rest))
        }
        ("name", "contains") => {
            let (v, rest) = quoted(rest)?;
            Some((Term::NameContains(v), rest))
        }
        ("parents", "in") => {
            let (v, rest) = quoted(rest)?;
            Some((Term::Parent(v), rest))
        }
        _ => None,
    }
}

/// A string in single or double quotes, with `\'` and `\\` escapes.
fn quoted(text: &str) -> Option<(String, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut out = String::new();
    let mut chars = text[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            c if c == quote => return Some((out, &text[1 + i + 1..])),
            c => out.push(c),
        }
    }
    None
}

fn term_matches(t: &Term, s: &Spreadsheet) -> bool {
    match t {
        Term::Mime(m, eq) => (m == SPREADSHEET_MIME) == *eq,
        Term::Name(n, eq) => (s.title == *n) == *eq,
        Term::NameContains(n) => s.title.to_lowercase().contains(&n.to_lowercase()),
        Term::Trashed(t) => !*t,
        Term::Parent(p) => p == "root",
    }
}

/// `files.list`: the caller's spreadsheets matching `q`, newest change first, a page at a time.
fn drive_list(world: &mut World, req: &Req<'_>, caller: &Token) -> Result<Answer, ApiError> {
    let terms = match req.param("q") {
        None => Vec::new(),
        Some(q) => match parse_query_terms(q) {
            Some(t) => t,
            None => return Ok(drive_bad_parameter("Invalid Value", "invalid", "q")),
        },
    };
    let page_size = match req.param("pageSize").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return Ok(drive_bad_parameter(
                "Invalid value for pageSize",
                "invalid",
                "pageSize",
            ));
        }
    };
    let offset = match req.param("pageToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => {
                return Ok(drive_bad_parameter("Invalid Value", "invalid", "pageToken"));
            }
        },
    };
    let mut found: Vec<&Spreadsheet> = world
        .spreadsheets
        .values()
        .filter(|s| visible_to(s, caller) && terms.iter().all(|t| term_matches(t, s)))
        .collect();
    found.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.id.cmp(&b.id)));
    let full: Vec<Value> = found.iter().map(|s| drive_file(s)).collect();
    let page: Vec<Value> = full.iter().skip(offset).take(page_size).cloned().collect();
    let mut out = json!({"kind": "drive#fileList", "incompleteSearch": false});
    if offset + page_size < full.len() {
        out["nextPageToken"] = json!(format!("page-{}", offset + page_size));
    }
    let Some(fields) = req.param("fields") else {
        out["files"] = Value::Array(page.iter().map(drive_file_short).collect());
        return Ok(Answer::ok(out));
    };
    out["files"] = Value::Array(page);
    let mask = Mask::parse(fields).map_err(ApiError::invalid)?;
    let list_fields = json!({"kind": "", "nextPageToken": "", "incompleteSearch": "", "files": ""});
    if let Some(bad) = unknown_field(&mask, &list_fields) {
        return Ok(bad);
    }
    if let Some(files) = mask.children.get("files")
        && let Some(bad) = unknown_field(
            files,
            &drive_file(&Spreadsheet::new("", "", Timestamp::now())),
        )
    {
        return Ok(bad);
    }
    Ok(Answer::ok(mask.apply(&out)))
}

/// `files.create` of a Google Sheets file (gspread's `create`): a new spreadsheet with one
/// `Sheet1`. Other kinds of file are not modelled.
fn drive_create(world: &mut World, req: &Req<'_>, caller: &Token) -> Result<Answer, ApiError> {
    let body = req.json.clone().unwrap_or(json!({}));
    let mime = body["mimeType"].as_str().unwrap_or("");
    if mime != SPREADSHEET_MIME {
        return Ok(drive_bad_parameter(
            &format!(
                "the emulator only creates Google Sheets files (mimeType {SPREADSHEET_MIME}), \
                 not {mime:?}"
            ),
            "invalid",
            "mimeType",
        ));
    }
    // Folders are not modelled: a parent other than `root` is not found, as an unknown folder
    // is in Drive.
    if let Some(parent) = body["parents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find(|p| *p != "root")
    {
        return Ok(drive_not_found(parent));
    }
    let id = super::new_spreadsheet_id();
    let title = body["name"].as_str().unwrap_or("Untitled spreadsheet");
    let mut s = Spreadsheet::new(&id, title, Timestamp::now());
    s.shared_with = None;
    let _ = caller;
    let full = drive_file(&s);
    world.spreadsheets.insert(id, s);
    let Some(fields) = req.param("fields") else {
        return Ok(Answer::ok(drive_file_short(&full)));
    };
    let mask = Mask::parse(fields).map_err(ApiError::invalid)?;
    if let Some(bad) = unknown_field(&mask, &full) {
        return Ok(bad);
    }
    Ok(Answer::ok(mask.apply(&full)))
}

// --- OAuth ------------------------------------------------------------------------------------

fn oauth_error(status: u16, error: &str, description: &str) -> Answer {
    Answer {
        status,
        body: json!({"error": error, "error_description": description}),
        headers: Vec::new(),
    }
}

fn issue(world: &mut World, principal: &str, scopes: Vec<String>) -> (String, u64) {
    let token = format!(
        "ya29.a0{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    );
    let lifetime = world.token_lifetime;
    world.tokens.insert(
        token.clone(),
        Token {
            principal: principal.to_owned(),
            scopes,
            expires: Some(Instant::now() + lifetime),
            revoked: false,
        },
    );
    (token, lifetime.as_secs())
}

fn token_endpoint(shared: &Shared, form: &[(String, String)]) -> Answer {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let base = shared
        .base_url
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut world = shared.world();
    match get("grant_type") {
        Some(g) if g == JWT_BEARER_GRANT => {
            let Some(assertion) = get("assertion") else {
                return oauth_error(
                    400,
                    "invalid_request",
                    "Missing required parameter: assertion",
                );
            };
            match verify_jwt(&world, assertion, &format!("{base}/token")) {
                Ok((email, scopes)) => {
                    let (token, secs) = issue(&mut world, &email, scopes);
                    Answer::ok(
                        json!({"access_token": token, "expires_in": secs, "token_type": "Bearer"}),
                    )
                }
                Err(description) => oauth_error(400, "invalid_grant", &description),
            }
        }
        Some("refresh_token") => {
            let (Some(id), Some(secret)) = (get("client_id"), get("client_secret")) else {
                return oauth_error(401, "invalid_client", "The OAuth client was not found.");
            };
            if world.clients.get(id).map(String::as_str) != Some(secret) {
                return oauth_error(401, "invalid_client", "Unauthorized");
            }
            let Some(grant) = get("refresh_token")
                .and_then(|r| world.refresh_tokens.get(r))
                .cloned()
            else {
                return oauth_error(400, "invalid_grant", "Token has been expired or revoked.");
            };
            if grant.client_id != id {
                return oauth_error(400, "unauthorized_client", "Unauthorized");
            }
            let scopes = grant.scopes.clone();
            let (token, secs) = issue(&mut world, &grant.principal, scopes.clone());
            Answer::ok(
                json!({"access_token": token, "expires_in": secs, "scope": scopes.join(" "), "token_type": "Bearer"}),
            )
        }
        Some("authorization_code") => {
            let (Some(id), Some(secret)) = (get("client_id"), get("client_secret")) else {
                return oauth_error(401, "invalid_client", "The OAuth client was not found.");
            };
            if world.clients.get(id).map(String::as_str) != Some(secret) {
                return oauth_error(401, "invalid_client", "Unauthorized");
            }
            let Some(grant) = get("code").and_then(|c| world.codes.remove(c)) else {
                return oauth_error(400, "invalid_grant", "Malformed auth code.");
            };
            if grant.client_id != id || Some(grant.redirect_uri.as_str()) != get("redirect_uri") {
                return oauth_error(400, "redirect_uri_mismatch", "Bad Request");
            }
            if let Some(challenge) = &grant.challenge {
                let verifier = get("code_verifier").unwrap_or("");
                let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
                if URL_SAFE_NO_PAD.encode(digest.as_ref()) != *challenge {
                    return oauth_error(400, "invalid_grant", "Invalid code verifier.");
                }
            }
            let user = world.user.clone();
            let (token, secs) = issue(&mut world, &user, grant.scopes.clone());
            let refresh = format!("1//0{:032x}", rand::random::<u128>());
            world.refresh_tokens.insert(
                refresh.clone(),
                RefreshGrant {
                    client_id: id.to_owned(),
                    principal: user,
                    scopes: grant.scopes.clone(),
                },
            );
            Answer::ok(
                json!({"access_token": token, "expires_in": secs, "refresh_token": refresh,
                              "scope": grant.scopes.join(" "), "token_type": "Bearer"}),
            )
        }
        Some(other) => oauth_error(
            400,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {other}"),
        ),
        None => oauth_error(400, "unsupported_grant_type", "Invalid grant_type: "),
    }
}

/// Check a service account's signed assertion; returns its e-mail and scopes.
fn verify_jwt(world: &World, jwt: &str, audience: &str) -> Result<(String, Vec<String>), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [h, c, sig] = parts.as_slice() else {
        return Err("Invalid JWT: not three parts".to_owned());
    };
    let decode = |p: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|_| "Invalid JWT: not base64url".to_owned())?;
        serde_json::from_slice(&bytes).map_err(|_| "Invalid JWT: not JSON".to_owned())
    };
    let header = decode(h)?;
    let claims = decode(c)?;
    if header["alg"] != "RS256" {
        return Err("Invalid JWT: unsupported signing algorithm".to_owned());
    }
    let iss = claims["iss"].as_str().unwrap_or("");
    let Some(public) = world.service_accounts.get(iss) else {
        return Err("Invalid grant: account not found".to_owned());
    };
    let signature = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| "Invalid JWT Signature.".to_owned())?;
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        public,
    );
    key.verify(format!("{h}.{c}").as_bytes(), &signature)
        .map_err(|_| "Invalid JWT Signature.".to_owned())?;
    let aud = claims["aud"].as_str().unwrap_or("");
    if aud != audience && aud != crate::auth::GOOGLE_TOKEN_URL {
        return Err(format!("Invalid JWT: Invalid audience: {aud}"));
    }
    let now = Timestamp::now().as_second();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    if exp <= now || iat > now + 300 || exp - iat > 3600 {
        return Err(
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable \
                    timeframe. Check your iat and exp values in the JWT claim."
                .to_owned(),
        );
    }
    let scopes: Vec<String> = claims["scope"]
        .as_str()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err("Invalid OAuth scope or ID token audience provided.".to_owned());
    }
    Ok((iss.to_owned(), scopes))
}

/// The desktop flow's consent page: it agrees at once and sends the browser back with a code.
fn authorize_endpoint(shared: &Shared, query: &[(String, String)]) -> Answer {
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut world = shared.world();
    let (Some(client_id), Some(redirect)) = (get("client_id"), get("redirect_uri")) else {
        return oauth_error(
            400,
            "invalid_request",
            "Missing required parameter: client_id or redirect_uri",
        );
    };
    if !world.clients.contains_key(&client_id) {
        return oauth_error(401, "invalid_client", "The OAuth client was not found.");
    }
    if get("response_type").as_deref() != Some("code") {
        return oauth_error(
            400,
            "unsupported_response_type",
            "response_type must be code",
        );
    }
    let challenge = get("code_challenge");
    if challenge.is_some() && get("code_challenge_method").as_deref() != Some("S256") {
        return oauth_error(400, "invalid_request", "code_challenge_method must be S256");
    }
    let scopes: Vec<String> = get("scope")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let code = format!("4/0A{:032x}", rand::random::<u128>());
    world.codes.insert(
        code.clone(),
        CodeGrant {
            client_id,
            redirect_uri: redirect.clone(),
            challenge,
            scopes,
        },
    );
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let state = get("state")
        .map(|s| format!("&state={}", crate::client::encode_path(&s)))
        .unwrap_or_default();
    Answer {
        status: 302,
        body: Value::Null,
        headers: vec![(
            "location",
            format!(
                "{redirect}{sep}code={}{state}",
                crate::client::encode_path(&code)
            ),
        )],
    }
}
