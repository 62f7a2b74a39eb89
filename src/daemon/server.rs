//! The daemon's HTTP endpoint: `/healthz`, `/readyz`, `/metrics`, the webhook intake, and
//! each person's calendar (`/calendar/<token>/<person>.ics`).
//!
//! Bound to 127.0.0.1 by default: the health and metrics pages say which tools the team uses
//! and how they fare. To take webhooks from Trello and Asana, put it behind a reverse proxy
//! that terminates TLS and forwards `/hooks/` only (and `/calendar/` for subscriptions), and
//! set `[daemon] public_url`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;

use super::hooks::{asana_signature_ok, trello_signature_ok};
use super::shared::Shared;

/// The routes, around the state the loop shares.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/hooks/trello/{target}", post(trello).head(trello_head))
        .route("/hooks/asana/{target}", post(asana))
        .route("/calendar/{token}/{file}", get(calendar))
        .with_state(shared)
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

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

/// The label a webhook is counted under: the target's id when it is one of ours, so that
/// calls to made-up paths cannot grow the metrics without bound.
fn label(shared: &Shared, target: &str) -> String {
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

/// Trello checks the callback URL with a HEAD before it creates a webhook.
async fn trello_head(State(shared): State<Arc<Shared>>, Path(target): Path<String>) -> StatusCode {
    let hooks = shared.hooks.read().unwrap_or_else(|e| e.into_inner());
    match hooks.targets.get(&target) {
        Some(t) if t.kind.hooks_signed_with_app_secret() => StatusCode::OK,
        _ => StatusCode::NOT_FOUND,
    }
}

async fn trello(
    State(shared): State<Arc<Shared>>,
    Path(target): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let count = |result: &str| {
        shared
            .metrics()
            .webhook("trello", &label(&shared, &target), result)
    };
    let (secret, callback) = {
        let hooks = shared.hooks.read().unwrap_or_else(|e| e.into_inner());
        match hooks.targets.get(&target) {
            Some(t) if t.kind.hooks_signed_with_app_secret() => (
                t.trello_secret.clone(),
                format!("{}/hooks/trello/{target}", hooks.public_url),
            ),
            _ => {
                drop(hooks);
                count("unknown_target");
                return refuse(StatusCode::NOT_FOUND, "no Trello target by that id");
            }
        }
    };
    let secret = match secret {
        Ok(s) => s,
        Err(why) => {
            count("no_secret");
            tracing::error!(target_id = %target, "a Trello webhook arrived but cannot be checked: {why}");
            return refuse(
                StatusCode::UNAUTHORIZED,
                "this target has no webhook secret configured",
            );
        }
    };
    let Some(signature) = headers
        .get("x-trello-webhook")
        .and_then(|v| v.to_str().ok())
    else {
        count("unsigned");
        tracing::warn!(target_id = %target, "a Trello webhook without a signature was refused");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "missing X-Trello-Webhook signature",
        );
    };
    if !trello_signature_ok(secret.as_bytes(), &body, &callback, signature) {
        count("bad_signature");
        tracing::warn!(target_id = %target, callback = %callback, "a Trello webhook with a wrong signature was refused (if all of them are, check that [daemon] public_url is the address the webhook was created with, and the app secret)");
        return refuse(StatusCode::UNAUTHORIZED, "the signature does not match");
    }
    count("accepted");
    let fresh = shared.hints.hint(&target);
    tracing::debug!(target_id = %target, fresh, "Trello webhook accepted");
    StatusCode::OK.into_response()
}

async fn asana(
    State(shared): State<Arc<Shared>>,
    Path(target): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let count = |result: &str| {
        shared
            .metrics()
            .webhook("asana", &label(&shared, &target), result)
    };
    let stored = {
        let hooks = shared.hooks.read().unwrap_or_else(|e| e.into_inner());
        match hooks.targets.get(&target) {
            Some(t) if t.kind.hooks_by_handshake() => t.asana_secret.clone(),
            _ => {
                drop(hooks);
                count("unknown_target");
                return refuse(StatusCode::NOT_FOUND, "no Asana target by that id");
            }
        }
    };
    // The handshake: Asana sends the secret once, while the webhook is being created. Only
    // the daemon's own registration may be answered: whoever completes a handshake chooses
    // the secret that later signatures are checked with.
    if let Some(secret) = headers.get("x-hook-secret") {
        let Ok(text) = secret.to_str() else {
            count("bad_signature");
            return refuse(StatusCode::BAD_REQUEST, "X-Hook-Secret is not text");
        };
        let text = text.trim().to_string();
        if text.is_empty() {
            count("bad_signature");
            return refuse(StatusCode::BAD_REQUEST, "X-Hook-Secret is empty");
        }
        if !shared.registrations.handshake(&target, &text) {
            count("handshake_refused");
            tracing::warn!(target_id = %target, "an Asana webhook handshake arrived while the daemon was not creating this target's webhook; refused, the stored secret is unchanged");
            return refuse(
                StatusCode::FORBIDDEN,
                "no webhook is being created for this target; throughline creates its Asana webhooks itself when [daemon] public_url is set",
            );
        }
        // Redacted from now on; it becomes the target's secret once Asana's answer to the
        // create confirms it.
        shared.secrets.add(&text);
        count("handshake");
        tracing::info!(target_id = %target, "Asana webhook handshake answered");
        let mut response = StatusCode::OK.into_response();
        response
            .headers_mut()
            .insert("x-hook-secret", secret.clone());
        return response;
    }
    let Some(secret) = stored else {
        count("no_secret");
        tracing::warn!(target_id = %target, "an Asana webhook arrived before any handshake; create the webhook again so that the daemon learns its secret");
        return refuse(StatusCode::UNAUTHORIZED, "no handshake yet for this target");
    };
    let Some(signature) = headers
        .get("x-hook-signature")
        .and_then(|v| v.to_str().ok())
    else {
        count("unsigned");
        tracing::warn!(target_id = %target, "an Asana webhook without a signature was refused");
        return refuse(StatusCode::UNAUTHORIZED, "missing X-Hook-Signature");
    };
    if !asana_signature_ok(secret.as_bytes(), &body, signature) {
        count("bad_signature");
        tracing::warn!(target_id = %target, "an Asana webhook with a wrong signature was refused");
        return refuse(StatusCode::UNAUTHORIZED, "the signature does not match");
    }
    count("accepted");
    shared.hints.hint(&target);
    StatusCode::OK.into_response()
}
