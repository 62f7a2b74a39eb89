//! The sign-in form and the answers of sign-in: plain HTML (no script), the dashboard's style
//! sheet, and the headers every dashboard page carries.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::sessions::{Limited, random_token, same};
use super::{
    LOGIN_COOKIE, LOGIN_COOKIE_SECONDS, Refused, SESSION_COOKIE, Via, clear_cookie, client, cookie,
    local_path, see_other, session_cookie, settings,
};
use crate::dashboard::Dashboard;
use crate::report::charts::escape;

/// What the browser may load: the style sheet, forms posting back here; nothing else.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A small page of its own: sign-in works while the model cannot be loaded.
fn frame(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t} · Throughline</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/static/dashboard.css\"></head><body><main id=\"main\"><h1>{t}</h1>{body}<p><a href=\"/\">Overview</a></p></main></body></html>\n",
        t = escape(title)
    )
}

fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
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

/// A page with one message.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    html(
        status,
        frame(
            title,
            &format!("<section><p>{}</p></section>", escape(text)),
        ),
    )
}

/// 429, with when to try again.
pub fn limited(which: Limited) -> Response {
    let text = match which {
        Limited::Client => {
            "Too many sign-in attempts from this address. Wait a minute, then try again."
        }
        Limited::Everyone => {
            "Too many sign-in attempts to this dashboard just now, from everywhere together. Wait a minute, then try again."
        }
    };
    let mut r = message(StatusCode::TOO_MANY_REQUESTS, "Too many attempts", text);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    r
}

#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// The form; `failed` says the last try did not match.
fn form(token: &str, next: &str, failed: bool) -> String {
    let mut body = String::from("<section>");
    if failed {
        body.push_str(
            "<p class=\"bad\" role=\"alert\">That name and password do not match. Try again.</p>",
        );
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
         <p><label for=\"user\">Name</label><br><input id=\"user\" name=\"user\" autocomplete=\"username\" required></p>\
         <p><label for=\"password\">Password</label><br><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\
         <p><button type=\"submit\">Sign in</button></p></form></section>",
        escape(token),
        escape(next)
    ));
    body
}

/// The page of a signed-in browser at `/login`: who it is, and the form that signs out.
fn signed_in_page(user: &str, csrf: &str) -> Response {
    let body = format!(
        "<section><p>Signed in as <b>{}</b>.</p>{}</section>",
        escape(user),
        sign_out_form(csrf, "Sign out")
    );
    html(StatusCode::OK, frame("Signed in", &body))
}

/// The form that signs a browser out (`POST /logout` with the session's CSRF token), for any
/// page that shows who is signed in.
pub fn sign_out_form(csrf: &str, label: &str) -> String {
    format!(
        "<form class=\"inline\" method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" class=\"quiet\">{}</button></form>",
        escape(csrf),
        escape(label)
    )
}

/// `GET /login`: the form, with a new CSRF token in a cookie and the form (double submit); a
/// browser already signed in sees who it is and can sign out.
pub async fn login_form(
    State(dash): State<Arc<Dashboard>>,
    parts: Parts,
    Query(q): Query<Next>,
) -> Response {
    let d = dash.clone();
    let (configured, who) = tokio::task::spawn_blocking(move || {
        let configured = settings(&d).is_some_and(|s| s.sign_in_configured());
        let who = super::who(&d, &parts.headers, client(&parts.extensions)).ok();
        (configured, who)
    })
    .await
    .unwrap_or((false, None));
    if !configured {
        return Refused::ReadOnly.response();
    }
    if let Some(super::Who {
        user,
        via: Via::Session { csrf, .. },
    }) = who
    {
        return signed_in_page(&user, &csrf);
    }
    let token = random_token();
    let next = local_path(q.next.as_deref()).to_string();
    let mut r = html(
        StatusCode::OK,
        frame("Sign in", &form(&token, &next, false)),
    );
    let cookie = format!(
        "{LOGIN_COOKIE}={token}; Path=/login; Max-Age={LOGIN_COOKIE_SECONDS}; Secure; HttpOnly; SameSite=Strict"
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: Option<String>,
    user: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

/// `POST /login`: CSRF (403), the limits (429), then the password (argon2, off the async
/// threads). A match starts a new session (never one the browser brought: no fixation).
pub async fn login(
    State(dash): State<Arc<Dashboard>>,
    parts: Parts,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie(&parts.headers, LOGIN_COOKIE).unwrap_or("");
    let given = f.csrf.as_deref().unwrap_or("");
    if expected.is_empty() || !same(given, expected) || !super::same_origin(&parts.headers) {
        return Refused::Csrf.response();
    }
    let d = dash.clone();
    let Some(settings) = tokio::task::spawn_blocking(move || settings(&d))
        .await
        .ok()
        .flatten()
        .filter(|s| s.sign_in_configured())
    else {
        return Refused::ReadOnly.response();
    };
    if let Err(which) = dash.sessions.attempt(client(&parts.extensions)) {
        tracing::warn!(client = ?client(&parts.extensions), "dashboard sign-in refused: too many attempts");
        return limited(which);
    }
    let user = f.user.unwrap_or_default().trim().to_string();
    let password = f.password.unwrap_or_default();
    let hash = settings
        .users
        .iter()
        .find(|(n, _)| *n == user)
        .map(|(_, h)| h.clone());
    let ok =
        tokio::task::spawn_blocking(move || super::password::verify(hash.as_deref(), &password))
            .await
            .unwrap_or(false);
    let next = local_path(f.next.as_deref()).to_string();
    if !ok {
        tracing::warn!(user = %user, client = ?client(&parts.extensions), "dashboard sign-in failed");
        let token = random_token();
        let mut r = html(
            StatusCode::UNAUTHORIZED,
            frame("Sign in", &form(&token, &next, true)),
        );
        let cookie = format!(
            "{LOGIN_COOKIE}={token}; Path=/login; Max-Age={LOGIN_COOKIE_SECONDS}; Secure; HttpOnly; SameSite=Strict"
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        return r;
    }
    if let Some(old) = cookie(&parts.headers, SESSION_COOKIE) {
        dash.sessions.end(old);
    }
    let (id, _) = dash.sessions.start(&user, settings.session);
    tracing::info!(user = %user, "signed in to the dashboard");
    let mut r = see_other(&next);
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        session_cookie(&id, settings.session.as_secs()),
    );
    h.append(header::SET_COOKIE, clear_cookie(LOGIN_COOKIE, "/login"));
    r
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
}

/// `POST /logout`: with the session's CSRF token; the session ends and its cookie is cleared.
pub async fn logout(
    State(dash): State<Arc<Dashboard>>,
    parts: Parts,
    Form(f): Form<LogoutForm>,
) -> Response {
    let d = dash.clone();
    let p = parts.clone();
    let who =
        tokio::task::spawn_blocking(move || super::authorize(&d, &p, f.csrf.as_deref())).await;
    match who {
        Ok(Ok(who)) => {
            if let Via::Session { id, .. } = &who.via {
                dash.sessions.end(id);
            }
            let mut r = see_other("/");
            r.headers_mut()
                .append(header::SET_COOKIE, clear_cookie(SESSION_COOKIE, "/"));
            r
        }
        Ok(Err(refused)) => refused.response(),
        Err(_) => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sign out failed",
            "Try again.",
        ),
    }
}
