//! What a signed-in user can do from the dashboard: sync now, settle a conflict by choosing a
//! side, accept a drift into the playbook (the TOML file changed with a backup and validated
//! again before it is kept), snooze a recommendation. Every action is recorded in the state
//! store with who and when.
//!
//! Each is a `POST` of a plain form ([`super::actions_forms`] draws them): signed in, with the
//! session's CSRF token (see [`super::auth::authorize`]); a browser is sent back to the page
//! (303), an API client (`Authorization: Bearer`) gets `200` and one line of text. A refusal
//! is a page saying why: 401 not signed in, 403 read only or no CSRF token, 400 a form that
//! does not fit, 409 something changed meanwhile (reload), 422 a drift that would make the
//! files invalid (they are left as they were).
//!
//! Writes: `throughline serve` opens the state file for writing for each action (it holds the
//! single-writer lock only that long; while a sync or a daemon holds it the action is refused
//! with who holds it). Inside the daemon, which holds the lock for its whole life, the action
//! writes through a second connection of the same process
//! ([`SqliteStore::open_beside_lock_holder`]).

mod drift;
mod settle;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jiff::{Timestamp, ToSpan};

pub use drift::{Drifted, parse_detail};
pub use settle::{HUB, sides};

use super::Dashboard;
use super::actions_forms::{ACCEPT_DRIFT, SETTLE, SNOOZE, SYNC};
use super::auth::{self, Refused, Via, Who};
use crate::model::{Deployment, StateLocation};
use crate::state::{Action, EventKind, Snooze, SqliteStore, StateError, StateStore};

/// A recommendation is snoozed this long unless the form says `days`.
const SNOOZE_DAYS: i64 = 7;

/// Why an action was not done; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("{0:?}")]
    Refused(Refused),
    /// The form does not fit (400).
    #[error("{0}")]
    Bad(String),
    /// What it names changed meanwhile (409).
    #[error("{0}")]
    Stale(String),
    /// The files would not be valid with the change (422); they are as they were.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing failed (500 or 503).
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    State(#[from] StateError),
}

/// The action routes around `dash`.
pub fn routes(dash: Arc<Dashboard>) -> Router {
    Router::new()
        .route(SYNC, post(|s, p, f| act(s, p, f, Kind::Sync)))
        .route(SETTLE, post(|s, p, f| act(s, p, f, Kind::Settle)))
        .route(
            ACCEPT_DRIFT,
            post(|s, p, f| act(s, p, f, Kind::AcceptDrift)),
        )
        .route(SNOOZE, post(|s, p, f| act(s, p, f, Kind::Snooze)))
        .with_state(dash)
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Sync,
    Settle,
    AcceptDrift,
    Snooze,
}

/// What an action did: in words, and the page to go back to.
struct Done {
    said: String,
    back: &'static str,
}

type Fields = HashMap<String, String>;

async fn act(
    State(dash): State<Arc<Dashboard>>,
    parts: Parts,
    form: Result<Form<Fields>, FormRejection>,
    kind: Kind,
) -> Response {
    // A body that is not a form is an empty one: refused for its missing CSRF token first.
    let fields = form.map(|f| f.0).unwrap_or_default();
    let d = dash.clone();
    let result = tokio::task::spawn_blocking(move || {
        let who = auth::authorize(&d, &parts, fields.get("csrf").map(String::as_str))
            .map_err(ActionError::Refused)?;
        let done = run(&d, &who, kind, &fields)?;
        Ok::<_, ActionError>((who, done))
    })
    .await
    .unwrap_or_else(|e| Err(ActionError::Failed(format!("the action stopped: {e}"))));
    match result {
        Ok((who, done)) => {
            tracing::info!(user = %who.user, action = ?kind, "{}", done.said);
            match who.via {
                Via::Session { .. } => auth::see_other(done.back),
                Via::Token => (StatusCode::OK, format!("{}\n", done.said)).into_response(),
            }
        }
        Err(ActionError::Refused(r)) => r.response(),
        Err(e) => refusal(&e),
    }
}

fn refusal(e: &ActionError) -> Response {
    let (status, title) = match e {
        ActionError::Bad(_) => (StatusCode::BAD_REQUEST, "This cannot be done"),
        ActionError::Stale(_) => (StatusCode::CONFLICT, "This changed meanwhile"),
        ActionError::Invalid(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not taken in: the files would not be valid",
        ),
        ActionError::State(StateError::Locked { .. }) => {
            (StatusCode::SERVICE_UNAVAILABLE, "The state file is busy")
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "This could not be done"),
    };
    if status.is_server_error() {
        tracing::warn!(error = %e, "a dashboard action failed");
    }
    let mut r = (
        status,
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/static/dashboard.css\"></head><body><main id=\"main\"><h1>{t}</h1><section><pre>{m}</pre><p><a href=\"/sync\">Back</a></p></section></main></body></html>\n",
            t = crate::report::charts::escape(title),
            m = crate::report::charts::escape(&e.to_string())
        ),
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    );
    r
}

fn field<'a>(fields: &'a Fields, name: &str) -> Result<&'a str, ActionError> {
    fields
        .get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ActionError::Bad(format!(
                "the form has no `{name}`; reload the page and use its button"
            ))
        })
}

fn moment(fields: &Fields) -> Result<Timestamp, ActionError> {
    let at = field(fields, "at")?;
    at.parse().map_err(|_| {
        ActionError::Bad(format!(
            "`{at}` is not a moment (RFC 3339); reload the page and use its button"
        ))
    })
}

/// What every action reads: the dashboard, the model now, who acts and when.
struct Act<'a> {
    dash: &'a Dashboard,
    dep: &'a Deployment,
    who: &'a Who,
    now: Timestamp,
}

impl Act<'_> {
    /// The record of this action.
    fn record(&self, action: &str, subject: String, detail: String) -> Action {
        Action {
            action: action.to_string(),
            who: self.who.user.clone(),
            subject,
            detail,
            at: self.now,
        }
    }

    /// The store the record goes to.
    fn writer(&self) -> Result<Box<dyn StateStore>, ActionError> {
        writer(self.dash, self.dep)
    }

    /// The state store as the pages read it.
    fn reader(&self) -> Result<Box<dyn StateStore>, ActionError> {
        self.dash
            .store(self.dep)
            .map_err(|e| ActionError::Failed(e.to_string()))
    }
}

fn run(dash: &Dashboard, who: &Who, kind: Kind, fields: &Fields) -> Result<Done, ActionError> {
    let model = dash
        .model()
        .map_err(|e| ActionError::Failed(e.to_string()))?;
    let act = Act {
        dash,
        dep: &model.dep,
        who,
        now: Timestamp::now(),
    };
    match kind {
        Kind::Sync => sync_now(&act),
        Kind::Settle => settle_conflict(&act, fields),
        Kind::AcceptDrift => accept_drift(&act, fields),
        Kind::Snooze => snooze(&act, fields),
    }
}

/// The daemon runs a cycle of every target soon; recorded first, so a cycle never starts
/// from the dashboard without the record of who asked.
fn sync_now(act: &Act) -> Result<Done, ActionError> {
    if act.dash.daemon_shared().is_none() {
        return Err(ActionError::Bad(
            "`throughline serve` runs no cycles; press \"sync now\" on the daemon's dashboard, or run `throughline sync`".into(),
        ));
    }
    let targets: Vec<&str> = act.dep.targets.iter().map(|t| t.id.as_str()).collect();
    let action = act.record(
        "sync_now",
        "every target".into(),
        format!("asked for a cycle of {}", targets.join(", ")),
    );
    act.writer()?.record_action(&action, &[], None)?;
    if !act.dash.sync_now() {
        return Err(ActionError::Failed(
            "the daemon has not loaded its files yet; try again in a moment".into(),
        ));
    }
    Ok(Done {
        said: format!("a cycle of {} starts in a moment", targets.join(", ")),
        back: "/sync",
    })
}

fn settle_conflict(act: &Act, fields: &Fields) -> Result<Done, ActionError> {
    let identity = field(fields, "identity")?;
    let at = moment(fields)?;
    let side = field(fields, "side")?;
    let settled = settle::settle(&*act.reader()?, &act.who.user, identity, at, side, act.now)?;
    act.writer()?
        .record_action(&settled.action, &[settled.status], None)?;
    Ok(Done {
        said: format!("{identity}: {}", settled.action.detail),
        back: "/sync",
    })
}

fn snooze(act: &Act, fields: &Fields) -> Result<Done, ActionError> {
    let id = field(fields, "id")?;
    if id.chars().count() > 200 || id.chars().any(char::is_control) {
        return Err(ActionError::Bad(
            "that is not a recommendation's id; reload the page and use its button".into(),
        ));
    }
    let days = match fields.get("days").map(|d| d.trim()) {
        None | Some("") => SNOOZE_DAYS,
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or_else(|| {
                ActionError::Bad(format!(
                    "`days = {d}` is not a number of days from 1 to 365"
                ))
            })?,
    };
    // "Today" where the playbook is, at the dashboard's clock (`serve --now` in rehearsals).
    let tz = act
        .dep
        .processes
        .first()
        .map(|p| p.timezone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let today = act.dash.now().to_zoned(tz).date();
    let until = today
        .checked_add(days.days())
        .map_err(|e| ActionError::Bad(format!("cannot snooze that long: {e}")))?;
    let snooze = Snooze {
        id: id.to_string(),
        until,
        at: act.now,
    };
    let action = act.record("snooze", id.to_string(), format!("snoozed until {until}"));
    act.writer()?.record_action(&action, &[], Some(&snooze))?;
    Ok(Done {
        said: format!("{id} is snoozed until {until}"),
        back: "/review",
    })
}

fn accept_drift(act: &Act, fields: &Fields) -> Result<Done, ActionError> {
    let identity = field(fields, "identity")?;
    let target = field(fields, "target")?;
    let at = moment(fields)?;
    // One cycle may record several drifts of a task in a tool (its owner and its due date):
    // the form's `field` says which; without it there must be only one.
    let wanted = fields
        .get("field")
        .map(|f| f.trim())
        .filter(|f| !f.is_empty());
    let found: Vec<Drifted> = act
        .reader()?
        .events(Some(at))?
        .into_iter()
        .filter(|e| {
            e.kind == EventKind::Drift
                && e.at == at
                && e.identity.as_deref() == Some(identity)
                && e.target.as_deref() == Some(target)
        })
        .filter_map(|e| parse_detail(&e.detail))
        .filter(|d| wanted.is_none_or(|f| d.field == f))
        .collect();
    let drifted = match found.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(ActionError::Stale(format!(
                "there is no drift{} of {identity} in {target} at {at} that can be read; reload the Sync page",
                wanted.map(|f| format!(" of `{f}`")).unwrap_or_default()
            )));
        }
        several => {
            let names: Vec<&str> = several.iter().map(|d| d.field.as_str()).collect();
            return Err(ActionError::Bad(format!(
                "{identity} drifted in {} fields at once ({}); send `field` with the one to accept",
                names.len(),
                names.join(", ")
            )));
        }
    };
    // The store is opened before the files change: a state file another process holds
    // refuses the action before anything is touched.
    let mut store = act.writer()?;
    let accepted = drift::accept(act.dep, identity, &drifted)?;
    let detail = format!(
        "took {} = {:?} from {target} into the files: {} (backup {})",
        drifted.field,
        drifted.tool,
        accepted.what,
        accepted.backup.display()
    );
    let action = act.record("accept_drift", identity.to_string(), detail.clone());
    store.record_action(&action, &[], None)?;
    act.dash.reload();
    Ok(Done {
        said: format!("{identity}: {detail}"),
        back: "/sync",
    })
}

/// The state store to record an action in: in `serve`, the store opened for writing for this
/// action (the file's lock or the database's lease); in the daemon, which holds the lock, its
/// file through a second connection of the daemon's own process.
fn writer(dash: &Dashboard, dep: &Deployment) -> Result<Box<dyn StateStore>, ActionError> {
    if dash.daemon_shared().is_none() {
        return Ok(crate::state::open(&dep.state)?.0);
    }
    let StateLocation::Sqlite(path) = &dep.state else {
        return Err(ActionError::Failed(format!(
            "{}: inside the daemon the dashboard records actions only in a SQLite state file in this build; use `throughline serve` beside it, or set `state = \"throughline.db\"`",
            dep.config_path.display()
        )));
    };
    Ok(Box::new(SqliteStore::open_beside_lock_holder(path)?))
}
