//! The daemon's HTTP endpoint: `/healthz`, `/readyz`, `/metrics`, the webhook intake, and
//! each person's calendar (`/calendar/<token>/<person>.ics`).
//!
//! Bound to 127.0.0.1 by default: the health and metrics pages say which tools the team uses
//! and how they fare. To take webhooks from Trello and Asana, put it behind a reverse proxy
//! that terminates TLS and forwards `/hooks/` only (and `/calendar/` for subscriptions), and
//! set `[daemon] public_url`.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;

use super::hints::Signal;
use super::shared::Shared;
use crate::engine::registry::webhooks::{Protocol, Webhook};
use crate::model::TargetKind;

/// The routes, around the state the loop shares.
pub fn router(shared: Arc<Shared>) -> Router {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/calendar/{token}/{file}", get(calendar));
    // `/hooks/<tool>/<target>` for each kind the registry gives a webhook.
    let router = TargetKind::all().fold(router, |router, kind| {
        let Some(hook) = kind.webhook() else {
            return router;
        };
        let path = format!("/hooks/{}/{{target}}", hook.path);
        let route = match hook.protocol {
            Protocol::AppSecret { .. } => post(
                move |State(s): State<Arc<Shared>>,
                      Path(t): Path<String>,
                      h: HeaderMap,
                      b: Bytes| { app_secret(s, t, h, b, kind, hook) },
            )
            .head(move |State(s): State<Arc<Shared>>, Path(t): Path<String>| {
                app_secret_head(s, t, kind)
            }),
            Protocol::Handshake { .. } => post(
                move |State(s): State<Arc<Shared>>,
                      Path(t): Path<String>,
                      h: HeaderMap,
                      b: Bytes| { handshake(s, t, h, b, kind, hook) },
            ),
            Protocol::Channel { .. } => post(
                move |State(s): State<Arc<Shared>>, Path(t): Path<String>, h: HeaderMap| {
                    super::hooks::channel_notice(s, t, h, kind, hook)
                },
            ),
        };
        router.route(&path, route)
    });
    // The dashboard at `/`: its own routes around its own state.
    let dashboard = crate::dashboard::Dashboard::daemon(shared.clone());
    router
        .with_state(shared)
        .merge(crate::dashboard::router(Arc::new(dashboard)))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    let view = shared.view();
    let ready = view.ready();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let why = if view.last_cycle.is_none() {
        Some("no cycle has finished yet".to_string())
    } else if let Some(c) = view
        .last_cycle
        .as_ref()
        .filter(|c| c.result == super::readiness::CycleResult::Failed)
    {
        Some(format!(
            "the last cycle failed: {}",
            c.error.as_deref().unwrap_or("")
        ))
    } else {
        let failing: Vec<&str> = view
            .targets
            .iter()
            .filter(|t| t.is_failing())
            .map(|t| t.target.as_str())
            .collect();
        (!failing.is_empty()).then(|| format!("failing: {}", failing.join(", ")))
    };
    let body = serde_json::json!({
        "ready": ready,
        "reason": why,
        "started": shared.started,
        "now": Timestamp::now(),
        "config": view.config,
        "running_since": view.running_since,
        "last_cycle": view.last_cycle,
        "next_cycle": view.next_cycle,
        "targets": view.targets,
    });
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let health = shared.view().targets;
    let text = shared.metrics().render(&health, shared.started);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// A person's calendar for their calendar app to subscribe to. A wrong token, or a name that
/// is not a person of the deployment, is 404 (the same answer, so nothing is learned).
async fn calendar(
    State(shared): State<Arc<Shared>>,
    Path((token, file)): Path<(String, String)>,
) -> Response {
    let subscriptions = shared
        .calendars
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let Some(subscriptions) = subscriptions else {
        return refuse(StatusCode::NOT_FOUND, "no such calendar");
    };
    // Building the schedule is CPU work; keep it off the threads that answer other calls.
    let built = tokio::task::spawn_blocking(move || {
        subscriptions.calendar(&token, &file, Timestamp::now())
    })
    .await;
    match built {
        Ok(Some(text)) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/calendar; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            text,
        )
            .into_response(),
        Ok(None) => refuse(StatusCode::NOT_FOUND, "no such calendar"),
        Err(e) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the calendar could not be built: {e}"),
        ),
    }
}

/// A header as the registry writes it (`X-Hook-Secret`), in the form HTTP compares.
fn header_name(name: &str) -> HeaderName {
    HeaderName::from_bytes(name.as_bytes()).expect("the registry's header names are valid")
}

pub(super) fn refuse(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

/// The label a webhook is counted under: the target's id when it is one of ours, so that
/// calls to made-up paths cannot grow the metrics without bound.
pub(super) fn label(shared: &Shared, target: &str) -> String {
    let known = shared
        .hooks
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .targets
        .contains_key(target);
    if known {
        target.to_string()
    } else {
        "(unknown)".to_string()
    }
}

/// The tool checks the callback URL with a HEAD before it creates a webhook (Trello).
async fn app_secret_head(shared: Arc<Shared>, target: String, kind: TargetKind) -> StatusCode {
    let hooks = shared.hooks.read().unwrap_or_else(|e| e.into_inner());
    match hooks.targets.get(&target) {
        Some(t) if t.kind == kind => StatusCode::OK,
        _ => StatusCode::NOT_FOUND,
    }
}

/// A call signed with the app's secret over the body and the callback address (Trello).
async fn app_secret(
    shared: Arc<Shared>,
    target: String,
    headers: HeaderMap,
    body: Bytes,
    kind: TargetKind,
    hook: &'static Webhook,
) -> Response {
    let Protocol::AppSecret {
        header,
        verify,
        events,
    } = hook.protocol
    else {
        return refuse(StatusCode::NOT_FOUND, "no such webhook");
    };
    let tool = kind.spec().tool;
    let count = |result: &str| {
        shared
            .metrics()
            .webhook(hook.path, &label(&shared, &target), result)
    };
    let (secret, callback) = {
        let hooks = shared.hooks.read().unwrap_or_else(|e| e.into_inner());
        match hooks.targets.get(&target) {
            Some(t) if t.kind == kind => (
                t.trello_secret.clone(),
                format!("{}/hooks/{}/{target}", hooks.public_url, hook.path),
            ),
            _ => {
                drop(hooks);
                count("unknown_target");
                return refuse(
                    StatusCode::NOT_FOUND,
                    &format!("no {tool} target by that id"),
                );
            }
        }
    };
    let secret = match secret {
        Ok(s) => s,
        Err(why) => {
            count("no_secret");
            tracing::error!(target_id = %target, "a {tool} webhook arrived but cannot be checked: {why}");
            return refuse(
                StatusCode::UNAUTHORIZED,
                "this target has no webhook secret configured",
            );
        }
    };
    let Some(signature) = headers
        .get(header_name(header))
        .and_then(|v| v.to_str().ok())
    else {
        count("unsigned");
        tracing::warn!(target_id = %target, "a {tool} webhook without a signature was refused");
        return refuse(
            StatusCode::UNAUTHORIZED,
            &format!("missing {header} signature"),
        );
    };
    if !verify(secret.as_bytes(), &body, &callback, signature) {
        count("bad_signature");
        tracing::warn!(target_id = %target, callback = %callback, "a {tool} webhook with a wrong signature was refused (if all of them are, check that [daemon] public_url is the address the webhook was created with, and the app secret)");
        return refuse(StatusCode::UNAUTHORIZED, "the signature does not match");
    }
    let signal = Signal::from_events(events(&body));
    let taken = shared.hints.signal(&target, signal, Instant::now());
    count(taken.label());
    tracing::debug!(target_id = %target, ?taken, "{tool} webhook accepted");
    StatusCode::OK.into_response()
}

/// A call signed with the secret of the handshake the tool made while the daemon created the
/// webhook (Asana).
async fn handshake(
    shared: Arc<Shared>,
    target: String,
    headers: HeaderMap,
    body: Bytes,
    kind: TargetKind,
    hook: &'static Webhook,
) -> Response {
    let Protocol::Handshake {
        secret_header,
        signature_header,
        verify,
        events,
    } = hook.protocol
    else {
        return refuse(StatusCode::NOT_FOUND, "no such webhook");
    };
    let tool = kind.spec().tool;
    let secret_name = header_name(secret_header);
    let count = |result: &str| {
        shared
            .metrics()
            .webhook(hook.path, &label(&shared, &target), result)
    };
    let stored = {
        let hooks = shared.hooks.read().unwrap_or_else(|e| e.into_inner());
        match hooks.targets.get(&target) {
            Some(t) if t.kind == kind => t.asana_secret.clone(),
            _ => {
                drop(hooks);
                count("unknown_target");
                return refuse(
                    StatusCode::NOT_FOUND,
                    &format!("no {tool} target by that id"),
                );
            }
        }
    };
    // The handshake: the tool sends the secret once, while the webhook is being created. Only
    // the daemon's own registration may be answered: whoever completes a handshake chooses
    // the secret that later signatures are checked with.
    if let Some(secret) = headers.get(&secret_name) {
        return answer_handshake(&shared, &target, tool, secret_header, secret, &count);
    }
    let Some(secret) = stored else {
        count("no_secret");
        tracing::warn!(target_id = %target, "a {tool} webhook arrived before any handshake; create the webhook again so that the daemon learns its secret");
        return refuse(StatusCode::UNAUTHORIZED, "no handshake yet for this target");
    };
    let Some(signature) = headers.get(signature_header).and_then(|v| v.to_str().ok()) else {
        count("unsigned");
        tracing::warn!(target_id = %target, "a {tool} webhook without a signature was refused");
        return refuse(
            StatusCode::UNAUTHORIZED,
            &format!("missing {signature_header}"),
        );
    };
    if !verify(secret.as_bytes(), &body, signature) {
        count("bad_signature");
        tracing::warn!(target_id = %target, "a {tool} webhook with a wrong signature was refused");
        return refuse(StatusCode::UNAUTHORIZED, "the signature does not match");
    }
    let signal = Signal::from_events(events(&body));
    count(shared.hints.signal(&target, signal, Instant::now()).label());
    StatusCode::OK.into_response()
}

/// The tool's handshake: its secret echoed back, and kept to redact, only while the daemon
/// itself is creating this target's webhook.
fn answer_handshake(
    shared: &Shared,
    target: &str,
    tool: &str,
    secret_header: &'static str,
    secret: &HeaderValue,
    count: &dyn Fn(&str),
) -> Response {
    let Ok(text) = secret.to_str() else {
        count("bad_signature");
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("{secret_header} is not text"),
        );
    };
    let text = text.trim().to_string();
    if text.is_empty() {
        count("bad_signature");
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("{secret_header} is empty"),
        );
    }
    if !shared.registrations.handshake(target, &text) {
        count("handshake_refused");
        tracing::warn!(target_id = %target, "a {tool} webhook handshake arrived while the daemon was not creating this target's webhook; refused, the stored secret is unchanged");
        return refuse(
            StatusCode::FORBIDDEN,
            &format!(
                "no webhook is being created for this target; throughline creates its {tool} webhooks itself when [daemon] public_url is set"
            ),
        );
    }
    // Redacted from now on; it becomes the target's secret once the tool's answer to the
    // create confirms it.
    shared.secrets.add(&text);
    count("handshake");
    tracing::info!(target_id = %target, "{tool} webhook handshake answered");
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(secret_header, secret.clone());
    response
}
