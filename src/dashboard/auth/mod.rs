//! Signing in to the dashboard: a password whose hash is in `throughline.toml` or an API token
//! (`env:`/`file:`), sessions in secure HttpOnly SameSite cookies, a CSRF token on every POST,
//! and rate-limited login attempts. With no sign-in configured the dashboard is read-only and
//! binds to loopback only.
//!
//! | route | what |
//! |---|---|
//! | `GET /login` | the sign-in form (name, password), with a CSRF token in a short-lived cookie and the form |
//! | `POST /login` | checks the CSRF token, the rate limits (429), then the password; a new session cookie and back to `next` |
//! | `POST /logout` | with the session's CSRF token: the session ends, the cookie is cleared |
//!
//! The session cookie is `throughline_session`, `Secure; HttpOnly; SameSite=Strict; Path=/`,
//! with `Max-Age` the `[dashboard] session` length. `Secure` means a browser sends it over
//! HTTPS only (and to `http://127.0.0.1` or `localhost`, which browsers treat as secure): a
//! dashboard reached over the network belongs behind an HTTPS proxy.
//!
//! An API client sends `Authorization: Bearer <token>` with each request instead; it needs no
//! CSRF token (browsers never add that header by themselves). A wrong token counts as a failed
//! sign-in attempt.
//!
//! Without `[dashboard]` nobody can sign in: every action is refused, and a request from
//! another machine is refused whole (see [`guard`]), so the plan is never readable from the
//! network without sign-in; `throughline serve` also refuses to listen on such an address.

mod page;
pub mod password;
pub mod sessions;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

pub use page::sign_out_form;
pub use sessions::Sessions;
use sessions::{Limited, same};

use super::{Dashboard, SignedIn};
use crate::model::DashboardSettings;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "throughline_session";
/// The sign-in form's CSRF cookie (only for `/login`, ten minutes).
pub const LOGIN_COOKIE: &str = "throughline_login";
const LOGIN_COOKIE_SECONDS: u64 = 600;

/// The sign-in routes around `dash`.
pub fn routes(dash: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/login", get(page::login_form).post(page::login))
        .route("/logout", axum::routing::post(page::logout))
        .with_state(dash)
}

/// The `[dashboard]` settings now in force (the files are read again when they change).
fn settings(dash: &Dashboard) -> Option<DashboardSettings> {
    dash.model().ok().map(|m| m.dep.sync.dashboard.clone())
}

/// The client's address, when the server was started with connection info.
pub fn client(parts_ext: &axum::http::Extensions) -> Option<IpAddr> {
    parts_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// `Authorization: Bearer <token>`, when the request carries one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The name of the configured API token equal to `token`, compared in constant time against
/// every one (a token that cannot be read now is skipped and logged).
fn token_user(settings: &DashboardSettings, token: &str) -> Option<String> {
    let mut found = None;
    for (name, secret) in &settings.tokens {
        match secret.resolve() {
            Ok(value) if value.len() >= 16 => {
                if same(value.trim(), token) && found.is_none() {
                    found = Some(name.clone());
                }
            }
            Ok(_) => tracing::warn!(
                token = %name,
                "the dashboard's API token `{name}` is shorter than 16 characters and is not accepted; make a longer one"
            ),
            Err(e) => {
                tracing::warn!(token = %name, error = %e, "the dashboard's API token cannot be read")
            }
        }
    }
    found
}

/// How a request is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser's session cookie; its POSTs carry this CSRF token.
    Session { id: String, csrf: String },
    /// `Authorization: Bearer`.
    Token,
}

/// Who a request is from, and how it signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub user: String,
    pub via: Via,
}

/// Why a request is not let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No sign-in is configured: the dashboard is read only.
    ReadOnly,
    /// Not signed in (no session, an expired one, or a wrong API token).
    NotSignedIn,
    /// Signed in, but the POST lacks the session's CSRF token, or it came from another site.
    Csrf,
    /// Too many sign-in attempts.
    Limited(Limited),
}

impl Refused {
    /// The answer: 403 read only and CSRF, 401 not signed in (with where to sign in), 429 for
    /// the limit.
    pub fn response(&self) -> Response {
        match self {
            Refused::ReadOnly => page::message(
                StatusCode::FORBIDDEN,
                "Read only",
                "This dashboard is read only: no sign-in is configured. Add [dashboard.users] or [dashboard.tokens] to throughline.toml (see docs/dashboard.md) to act from it.",
            ),
            Refused::NotSignedIn => page::message(
                StatusCode::UNAUTHORIZED,
                "Sign in first",
                "This needs a signed-in user: sign in at /login (or send Authorization: Bearer with an API token), then try again.",
            ),
            Refused::Csrf => page::message(
                StatusCode::FORBIDDEN,
                "Refused",
                "This form was not sent from the dashboard's own page (its CSRF token is missing or out of date). Reload the page and press the button again.",
            ),
            Refused::Limited(which) => page::limited(*which),
        }
    }
}

/// Who signed in to this request, if anyone: an API token, or a live session cookie of a
/// name `[dashboard]` still lists.
pub fn who(dash: &Dashboard, headers: &HeaderMap, client: Option<IpAddr>) -> Result<Who, Refused> {
    let Some(settings) = settings(dash).filter(DashboardSettings::sign_in_configured) else {
        return Err(Refused::ReadOnly);
    };
    if let Some(token) = bearer(headers) {
        // A wrong token is a failed sign-in, limited like a wrong password.
        return match token_user(&settings, token) {
            Some(user) => Ok(Who {
                user,
                via: Via::Token,
            }),
            None => Err(dash
                .sessions
                .attempt(client)
                .err()
                .map_or(Refused::NotSignedIn, Refused::Limited)),
        };
    }
    let id = cookie(headers, SESSION_COOKIE).ok_or(Refused::NotSignedIn)?;
    let session = dash.sessions.get(id).ok_or(Refused::NotSignedIn)?;
    if !settings.users.iter().any(|(name, _)| *name == session.user) {
        dash.sessions.end(id);
        return Err(Refused::NotSignedIn);
    }
    Ok(Who {
        user: session.user,
        via: Via::Session {
            id: id.to_string(),
            csrf: session.csrf,
        },
    })
}

/// The signed-in user allowed to POST: signed in (401 else) and, for a browser's session,
/// with the session's CSRF token in the form's `csrf` field and not sent from another site
/// (403 else). No sign-in configured: 403.
pub fn authorize(dash: &Dashboard, parts: &Parts, csrf: Option<&str>) -> Result<Who, Refused> {
    let who = who(dash, &parts.headers, client(&parts.extensions))?;
    if let Via::Session { csrf: expected, .. } = &who.via {
        let given = csrf.unwrap_or("");
        if !same(given, expected) || !same_origin(&parts.headers) {
            return Err(Refused::Csrf);
        }
    }
    Ok(who)
}

/// Not sent from another site's page, as far as the browser says: `Sec-Fetch-Site` is not
/// `cross-site` or `same-site`, and an `Origin` names this host. Pages here send no referrer,
/// so browsers write their `Origin` as `null`: that, like no header at all (older browsers,
/// other clients), leaves the decision to the CSRF token alone.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some("cross-site" | "same-site") = text("sec-fetch-site") {
        return false;
    }
    let Some(origin) = text(header::ORIGIN.as_str()).filter(|o| *o != "null") else {
        return true;
    };
    let Some(host) = text(header::HOST.as_str()) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    origin_host.eq_ignore_ascii_case(host)
}

/// For the pages: who is signed in to a request, with the CSRF token its forms carry.
pub fn signed_in(dash: &Dashboard, parts: &Parts) -> Option<SignedIn> {
    let who = who(dash, &parts.headers, client(&parts.extensions)).ok()?;
    Some(SignedIn {
        user: who.user,
        csrf: match who.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token => String::new(),
        },
    })
}

/// Around every dashboard route: with no sign-in configured, a request from another machine is
/// refused (403) — the dashboard is for loopback only then, whatever address the daemon listens
/// on for its webhooks. (Without connection info the server cannot tell, and lets it pass:
/// both servers are started with it.)
pub async fn guard(State(dash): State<Arc<Dashboard>>, request: Request, next: Next) -> Response {
    let remote = client(request.extensions()).is_some_and(|ip| !ip.is_loopback());
    if remote {
        let d = dash.clone();
        let configured = tokio::task::spawn_blocking(move || {
            settings(&d).is_some_and(|s| s.sign_in_configured())
        })
        .await
        .unwrap_or(false);
        if !configured {
            return page::message(
                StatusCode::FORBIDDEN,
                "This machine only",
                "No sign-in is configured, so the dashboard answers only on this machine (127.0.0.1). Configure [dashboard] in throughline.toml (see docs/dashboard.md) to open it to the network.",
            );
        }
    }
    next.run(request).await
}

/// The `Set-Cookie` of a new session.
fn session_cookie(id: &str, seconds: u64) -> HeaderValue {
    let text = format!(
        "{SESSION_COOKIE}={id}; Path=/; Max-Age={seconds}; Secure; HttpOnly; SameSite=Strict"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("x=; Max-Age=0"))
}

/// The `Set-Cookie` that clears a cookie.
fn clear_cookie(name: &str, path: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}=; Path={path}; Max-Age=0; Secure; HttpOnly; SameSite=Strict"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("x=; Max-Age=0"))
}

/// Only a path on this site: `/sync`, not `//evil.example` or `https://…`.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.contains(['\r', '\n']) =>
        {
            p
        }
        _ => "/",
    }
}

/// After a POST: back to the page it came from (303, so the browser GETs it).
pub fn see_other(to: &str) -> Response {
    Redirect::to(local_path(Some(to))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/sync")), "/sync");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn cookies_and_bearer_are_read_from_headers() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; throughline_session=abc"),
        );
        h.append(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  tok "),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "b"), None);
        assert_eq!(bearer(&h), Some("tok"));
    }

    #[test]
    fn another_sites_origin_is_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9185"));
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:9185"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(same_origin(&h), "no referrer: the token decides");
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h));
    }
}
