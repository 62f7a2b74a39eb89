//! The pages' routes: each page is built off the async threads (it reads files and the state
//! store), answered as HTML with headers that keep the browser from loading anything from
//! elsewhere, and a failure is a page that says what is wrong and what to do.
//!
//! `/static/<name>` serves only the files compiled into the binary, by exact name: a path
//! with `..`, a slash or anything else unknown is 404, so nothing on disk is reachable.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::page::{Ctx, STYLE};
use super::{Dashboard, PageError, item, overview, people, process, review, signed_in, sync};
use crate::report::charts::escape;

/// What the browser may load on a page: its own style sheet, `data:` images (none are used but
/// the empty icon), and forms posting back here. No script, no frame, no other origin.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The files under `/static/`: (name, content type, body).
const STATIC: &[(&str, &str, &str)] = &[("dashboard.css", "text/css; charset=utf-8", STYLE)];

/// The page routes around `dash`.
pub fn pages(dash: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/", get(|s, p| page(s, p, Which::Overview)))
        .route("/process", get(|s, p| page(s, p, Which::Process)))
        .route("/people", get(|s, p| page(s, p, Which::People)))
        .route("/sync", get(|s, p| page(s, p, Which::Sync)))
        .route("/review", get(|s, p| page(s, p, Which::Review)))
        .route("/report", get(|s, p| page(s, p, Which::Report)))
        .route("/item/{id}", get(item_page))
        .route("/static/{*name}", get(static_file))
        .with_state(dash)
}

#[derive(Debug, Clone)]
enum Which {
    Overview,
    Process,
    People,
    Sync,
    Review,
    Report,
    Item(String),
}

async fn item_page(
    State(dash): State<Arc<Dashboard>>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    page(State(dash), parts, Which::Item(id)).await
}

async fn page(State(dash): State<Arc<Dashboard>>, parts: Parts, which: Which) -> Response {
    let user = signed_in(&dash, &parts);
    let started = std::time::Instant::now();
    let built = tokio::task::spawn_blocking(move || build(&dash, user, which)).await;
    match built {
        Ok(Ok(Some(html))) => {
            let mut r = html_response(StatusCode::OK, html);
            // The time spent building the page, for the browser's tools and bench/dashboard.sh.
            let took = started.elapsed().as_secs_f64() * 1000.0;
            if let Ok(v) = HeaderValue::from_str(&format!("page;dur={took:.1}")) {
                r.headers_mut().insert("server-timing", v);
            }
            r
        }
        Ok(Ok(None)) => error_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no item by that id; the overview lists them all.",
        ),
        Ok(Err(PageError::NotLoaded)) => error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not ready",
            &PageError::NotLoaded.to_string(),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "a dashboard page could not be built");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "This page cannot be shown",
                &e.to_string(),
            )
        }
        Err(e) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "This page cannot be shown",
            &format!("building it failed: {e}"),
        ),
    }
}

/// The page's HTML; `None` when what it names does not exist.
fn build(
    dash: &Dashboard,
    user: Option<super::SignedIn>,
    which: Which,
) -> Result<Option<String>, PageError> {
    let ctx = Ctx::load(dash, user)?;
    Ok(Some(match which {
        Which::Overview => overview::render(&ctx)?,
        Which::Process => process::render(&ctx)?,
        Which::People => people::render(&ctx)?,
        Which::Sync => sync::render(&ctx, dash)?,
        Which::Review => review::render(&ctx)?,
        Which::Report => {
            let (_, _, report) = review::latest(&ctx)?;
            let labels = crate::report::build::labels(&ctx.model.dep, &ctx.model.schedule, None);
            crate::report::html::render(&report, &labels)
        }
        Which::Item(id) => return item::render(&ctx, &id),
    }))
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// A small page of its own for a failure: it needs no model, which may be what failed.
fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/static/dashboard.css\"></head><body><main id=\"main\"><h1>{t}</h1><section><pre>{m}</pre><p><a href=\"/\">Overview</a></p></section></main></body></html>\n",
        t = escape(title),
        m = escape(message)
    );
    html_response(status, html)
}

async fn static_file(Path(name): Path<String>) -> Response {
    match STATIC.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => {
            let mut r = (*body).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            r
        }
        None => (StatusCode::NOT_FOUND, "no such file\n").into_response(),
    }
}
