//! The dashboard's sign-in against the real router over 127.0.0.1: a POST without a CSRF
//! token is 403, without a session 401, a wrong password refused, the login rate limit holds
//! (429), the session cookie is `Secure; HttpOnly; SameSite=Strict; Path=/`, an API token
//! works without a CSRF token and a wrong one does not, and with no sign-in configured
//! nothing can be done.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, SET_COOKIE};
use throughline::dashboard::auth::password;
use throughline::dashboard::{Dashboard, router};
use throughline::state::{SqliteStore, StateStore};

use crate::common::cli::run;
use crate::daemon_support::{Setup, excel_targets, write_deployment};

pub(crate) const PASSWORD: &str = "correct horse battery";
pub(crate) const TOKEN: &str = "a-long-api-token-for-the-bot-0123456789";

/// `[dashboard]` with `dana` (password [`PASSWORD`]) and the API token `bot` ([`TOKEN`], in a
/// file next to the config).
pub(crate) fn signin_table(dir: &Path) -> String {
    std::fs::write(dir.join("dashboard-token"), TOKEN).unwrap();
    format!(
        "[dashboard]\nsession = \"2h\"\n\n[dashboard.users]\n# the ops lead\ndana = \"{}\"\n\n[dashboard.tokens]\nbot = \"file:dashboard-token\"\n",
        password::hash(PASSWORD).unwrap()
    )
}

/// Two workbooks, synced once, with sign-in when `signin`.
pub(crate) fn deployment(dir: &Path, signin: bool) -> PathBuf {
    let service = if signin {
        signin_table(dir)
    } else {
        String::new()
    };
    let config = write_deployment(
        dir,
        &Setup {
            targets: excel_targets(&["writers", "managers"]),
            service,
            ..Default::default()
        },
    );
    let out = run(&config, &["--now", "2026-12-01T09:00:00Z", "sync"]);
    assert!(out.status.success(), "{}", crate::common::cli::text(&out));
    config
}

/// The dashboard's router served in this process on 127.0.0.1 (with each connection's
/// address, as `serve` and the daemon do), stopped when dropped.
pub(crate) struct Server {
    pub base: String,
    pub client: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Server {
    pub(crate) fn read_only(config: &Path) -> Server {
        Server::around(Arc::new(Dashboard::read_only(config, None)))
    }

    pub(crate) fn around(dash: Arc<Dashboard>) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(dash);
        rt.spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        Server {
            base: format!("http://{addr}"),
            client,
            rt,
        }
    }

    /// GET with these cookies.
    pub(crate) fn get(&self, path: &str, cookies: &str) -> Answer {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req.header("cookie", cookies))
    }

    /// POST a form with these cookies.
    pub(crate) fn post(&self, path: &str, cookies: &str, form: &[(&str, &str)]) -> Answer {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", cookies)
            .form(form);
        self.send(req)
    }

    pub(crate) fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        self.rt.block_on(async {
            let r = req.send().await.unwrap();
            Answer {
                status: r.status(),
                headers: r.headers().clone(),
                body: r.text().await.unwrap(),
            }
        })
    }

    /// Sign in as `user` with `password`: the answer to the POST.
    pub(crate) fn login(&self, user: &str, password: &str) -> Answer {
        let form = self.get("/login", "");
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let token = form.cookie("throughline_login").expect("a login cookie");
        let csrf = hidden(&form.body, "csrf");
        assert_eq!(token, csrf, "the form and its cookie carry one token");
        self.post(
            "/login",
            &format!("throughline_login={token}"),
            &[
                ("csrf", &csrf),
                ("user", user),
                ("password", password),
                ("next", "/sync"),
            ],
        )
    }

    /// A signed-in session: (the cookie header to send, the session's CSRF token).
    pub(crate) fn signed_in(&self) -> (String, String) {
        let r = self.login("dana", PASSWORD);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let cookie = format!(
            "throughline_session={}",
            r.cookie("throughline_session").unwrap()
        );
        // Signed in, `/login` says who and offers to sign out, with the session's token.
        let page = self.get("/login", &cookie);
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("action=\"/logout\""), "{}", page.body);
        (cookie, hidden(&page.body, "csrf"))
    }
}

pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The whole `Set-Cookie` line for `name`.
    pub(crate) fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    /// A cookie's value as set.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        let line = self.set_cookie(name)?;
        let value = line.split(';').next()?.split_once('=')?.1.to_string();
        (!value.is_empty()).then_some(value)
    }
}

/// The value of the first hidden input named `name`.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// What the state store recorded of the dashboard's actions.
pub(crate) fn actions(config: &Path) -> Vec<throughline::state::Action> {
    let db = config.parent().unwrap().join("throughline.db");
    SqliteStore::open_read_only(&db)
        .unwrap()
        .actions(None)
        .unwrap()
}

#[test]
fn the_session_cookie_is_secure_http_only_same_site_strict() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let s = Server::read_only(&config);
    let r = s.login("dana", PASSWORD);
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.headers["location"], "/sync");
    let line = r.set_cookie("throughline_session").unwrap();
    let attrs: Vec<&str> = line.split("; ").skip(1).collect();
    for want in [
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Max-Age=7200",
    ] {
        assert!(attrs.contains(&want), "{want} missing from {line}");
    }
    let id = r.cookie("throughline_session").unwrap();
    assert!(id.len() >= 43, "a session id of 32 random bytes: {id}");
    // The login form's token is spent.
    assert!(
        r.set_cookie("throughline_login")
            .unwrap()
            .contains("Max-Age=0")
    );
    // Signed out, every page shows the way in.
    let page = s.get("/", "");
    assert!(
        page.body.contains("<a href=\"/login\">Sign in</a>"),
        "{}",
        page.body
    );
    // Signed in, the pages show who and the way out, and the Sync page the action forms.
    let page = s.get("/sync", &format!("throughline_session={id}"));
    assert!(page.body.contains("dana"), "{}", page.body);
    assert!(page.body.contains("action=\"/logout\""), "{}", page.body);
    assert!(!page.body.contains("href=\"/login\""), "{}", page.body);
    // A second sign-in is a new session: an id is never reused.
    let again = s.login("dana", PASSWORD);
    assert_ne!(again.cookie("throughline_session").unwrap(), id);
}

#[test]
fn a_wrong_password_or_name_is_refused_without_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let s = Server::read_only(&config);
    for (user, pw) in [
        ("dana", "correct horse batterY"),
        ("noa", PASSWORD),
        ("dana", ""),
    ] {
        let r = s.login(user, pw);
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{user}");
        assert!(r.set_cookie("throughline_session").is_none());
        assert!(r.body.contains("do not match"), "{}", r.body);
    }
}

#[test]
fn a_post_without_its_csrf_token_is_403_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let s = Server::read_only(&config);
    let (cookie, csrf) = s.signed_in();
    for form in [
        vec![("id", "late-stage:copy")],
        vec![("id", "late-stage:copy"), ("csrf", "")],
        vec![
            ("id", "late-stage:copy"),
            ("csrf", "0123456789012345678901234567890123456789012"),
        ],
    ] {
        let r = s.post("/actions/snooze", &cookie, &form);
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{form:?}: {}", r.body);
    }
    // Not a form at all: the same.
    let r = s.send(
        s.client
            .post(format!("{}/actions/snooze", s.base))
            .header("cookie", &cookie)
            .body("{}"),
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The right token from another site's page: refused too.
    let r = s.send(
        s.client
            .post(format!("{}/actions/snooze", s.base))
            .header("cookie", &cookie)
            .header("origin", "https://evil.example")
            .form(&[("id", "late-stage:copy"), ("csrf", &csrf)]),
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Logging in needs the form's token as well.
    let r = s.post("/login", "", &[("user", "dana"), ("password", PASSWORD)]);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(actions(&config).is_empty(), "nothing was recorded");
    // With its token the same POST goes through.
    let r = s.post(
        "/actions/snooze",
        &cookie,
        &[("id", "late-stage:copy"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(actions(&config).len(), 1);
}

#[test]
fn without_a_session_an_action_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let s = Server::read_only(&config);
    let (_, csrf) = s.signed_in();
    for cookie in ["", "throughline_session=made-up", "throughline_session="] {
        let r = s.post(
            "/actions/snooze",
            cookie,
            &[("id", "late-stage:copy"), ("csrf", &csrf)],
        );
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{cookie:?}");
        assert!(r.body.contains("/login"), "{}", r.body);
    }
    // Signed out, the old cookie is worth nothing.
    let (cookie, csrf) = s.signed_in();
    let r = s.post("/logout", &cookie, &[("csrf", &csrf)]);
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.set_cookie("throughline_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    let r = s.post(
        "/actions/snooze",
        &cookie,
        &[("id", "late-stage:copy"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(actions(&config).is_empty());
}

#[test]
fn an_api_token_needs_no_csrf_token_and_a_wrong_one_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let s = Server::read_only(&config);
    let post = |token: &str| {
        s.send(
            s.client
                .post(format!("{}/actions/snooze", s.base))
                .bearer_auth(token)
                .form(&[("id", "late-stage:copy")]),
        )
    };
    let r = post("not-the-token-at-all-0123456789");
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = post(TOKEN);
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("snoozed until"), "{}", r.body);
    let recorded = actions(&config);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].who, "bot");
}

#[test]
fn login_attempts_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), true);
    let s = Server::read_only(&config);
    let burst = throughline::dashboard::auth::sessions::PER_CLIENT_BURST;
    for _ in 0..burst {
        assert_eq!(
            s.login("dana", "guess guess guess").status,
            StatusCode::UNAUTHORIZED
        );
    }
    // The next attempt is not even checked, the right password included.
    let r = s.login("dana", PASSWORD);
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.headers["retry-after"], "60");
    assert!(r.body.contains("Too many sign-in attempts"), "{}", r.body);
    assert!(r.set_cookie("throughline_session").is_none());
    // Wrong API tokens count as attempts too.
    let r = s.send(
        s.client
            .post(format!("{}/actions/snooze", s.base))
            .bearer_auth("guess-guess-guess-guess")
            .form(&[("id", "x")]),
    );
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[test]
fn without_sign_in_the_dashboard_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), false);
    let s = Server::read_only(&config);
    let page = s.get("/sync", "");
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("name=\"csrf\""), "no action form");
    assert!(!page.body.contains("href=\"/login\""), "no way in to offer");
    assert_eq!(s.get("/login", "").status, StatusCode::FORBIDDEN);
    let r = s.post("/actions/snooze", "", &[("id", "x"), ("csrf", "x")]);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("read only"), "{}", r.body);
    let r = s.send(
        s.client
            .post(format!("{}/actions/sync", s.base))
            .bearer_auth(TOKEN)
            .form(&[("x", "y")]),
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // And `serve` will not listen beyond this machine.
    let out = run(&config, &["serve", "--listen", "0.0.0.0:0"]);
    assert!(!out.status.success());
    assert!(
        crate::common::cli::text(&out).contains("without sign-in"),
        "{}",
        crate::common::cli::text(&out)
    );
}

#[test]
fn a_bad_dashboard_table_is_an_error_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            service: "[dashboard]\nsesion = \"1h\"\n\n[dashboard.users]\ndana = \"hunter2\"\n\n[dashboard.tokens]\nbot = \"a-token-written-here\"\n".into(),
            ..Default::default()
        },
    );
    let out = run(&config, &["validate"]);
    assert!(!out.status.success());
    let text = crate::common::cli::text(&out);
    for want in [
        "unknown key `sesion`; did you mean `session`?",
        "`dana`: this is not a password hash, and a password must never be written here",
        "`bot` is an API token, so a secret",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    assert!(
        text.contains("throughline.toml:"),
        "file:line:col places: {text}"
    );
}

#[test]
fn hash_password_reads_standard_input() {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = crate::common::cli::bin()
        .args(["dashboard", "hash-password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", crate::common::cli::text(&out));
    let hash = String::from_utf8(out.stdout).unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(password::verify(Some(hash.trim()), PASSWORD));
    assert!(!hash.contains(PASSWORD));
}
