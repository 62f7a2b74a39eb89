//! The web dashboard: what the daemon serves at `/` on its listen address, and what
//! `throughline serve` serves read-only without running cycles.
//!
//! Everything is served by the binary itself (no CDN, no outside request), pages are readable
//! without JavaScript, and Hebrew playbooks render right to left. Pages read the model and the
//! state store; the only writes are the signed-in actions in [`actions`], each recorded with
//! who and when.
//!
//! [`Dashboard`] is the state every handler shares: where the files are (the model is loaded
//! again only when they changed, see [`Dashboard::model`]), how to open the state store read
//! only, and in the daemon the [`Shared`] state of its loop (health, the last cycle, metrics,
//! and the hints that start an early cycle).

pub mod actions;
pub mod actions_forms;
pub mod auth;
mod flowchart;
mod item;
mod overview;
pub mod page;
mod people;
mod process;
mod review;
mod routes;
mod sync;
pub mod words;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::request::Parts;
use jiff::Timestamp;

use crate::daemon::Shared;
use crate::daemon::watch::Fingerprint;
use crate::model::{Deployment, Diagnostics};
use crate::schedule::Schedule;
use crate::state::{StateError, StateStore};

/// The files are checked for changes at most this often: a page view costs a few `stat`s at
/// most once a second, however many requests come.
const RECHECK_EVERY: Duration = Duration::from_secs(1);

/// How the dashboard runs.
#[derive(Clone)]
pub enum Mode {
    /// `throughline serve`: pages only, no cycles; "sync now" is not offered.
    ReadOnly,
    /// Inside `throughline daemon`: the loop's health, cycles and metrics, and its hints.
    Daemon(Arc<Shared>),
}

/// Where the deployment file is.
enum ConfigPlace {
    /// Given at start (`throughline serve --config`).
    Path(PathBuf),
    /// The file the daemon loaded, as its `/readyz` view names it (set once it started).
    Daemon,
}

/// A loaded model and its schedule, shared by the requests until the files change.
pub struct Model {
    pub dep: Deployment,
    pub schedule: Schedule,
    /// When it was loaded.
    pub loaded: Timestamp,
}

/// Why a page cannot be shown; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("the daemon has not loaded its files yet; reload this page in a moment")]
    NotLoaded,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    State(#[from] StateError),
}

struct Cached {
    fingerprint: Fingerprint,
    /// The day (UTC) the schedule was made on.
    day: jiff::civil::Date,
    checked: Instant,
    model: Arc<Model>,
}

/// The state every dashboard handler shares.
pub struct Dashboard {
    config: ConfigPlace,
    pub mode: Mode,
    /// A fixed clock (`serve --now`) for rehearsals, tests and screenshots; else the system's.
    now: Option<Timestamp>,
    cache: Mutex<Option<Cached>>,
    /// Who is signed in, and the limits on sign-in attempts ([`auth`]).
    pub sessions: auth::Sessions,
}

impl Dashboard {
    /// `throughline serve`: the files at `config`, read only.
    pub fn read_only(config: &Path, now: Option<Timestamp>) -> Dashboard {
        Dashboard {
            config: ConfigPlace::Path(config.to_path_buf()),
            mode: Mode::ReadOnly,
            now,
            cache: Mutex::new(None),
            sessions: auth::Sessions::default(),
        }
    }

    /// Inside the daemon: the files it loaded, its health, cycles and metrics.
    pub fn daemon(shared: Arc<Shared>) -> Dashboard {
        Dashboard {
            config: ConfigPlace::Daemon,
            mode: Mode::Daemon(shared),
            now: None,
            cache: Mutex::new(None),
            sessions: auth::Sessions::default(),
        }
    }

    /// The clock pages are drawn at.
    pub fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(Timestamp::now)
    }

    /// Today in UTC, for knowing when to schedule again.
    fn day(&self) -> jiff::civil::Date {
        self.now().to_zoned(jiff::tz::TimeZone::UTC).date()
    }

    /// The deployment file, once known.
    pub fn config_path(&self) -> Option<PathBuf> {
        match (&self.config, &self.mode) {
            (ConfigPlace::Path(p), _) => Some(p.clone()),
            (ConfigPlace::Daemon, Mode::Daemon(shared)) => {
                let file = shared.view().config.file;
                (!file.is_empty()).then(|| PathBuf::from(file))
            }
            (ConfigPlace::Daemon, Mode::ReadOnly) => None,
        }
    }

    /// The model, loaded again only when the files changed (checked at most once a second).
    /// While an edit leaves the files invalid, the last good model is shown, as the daemon
    /// keeps running on it.
    pub fn model(&self) -> Result<Arc<Model>, PageError> {
        let config = self.config_path().ok_or(PageError::NotLoaded)?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.as_mut() {
            if c.checked.elapsed() < RECHECK_EVERY {
                return Ok(c.model.clone());
            }
            let now = Fingerprint::of(&config);
            c.checked = Instant::now();
            // A new day schedules again too: what is past and what comes next moved.
            if now == c.fingerprint && c.day == self.day() {
                return Ok(c.model.clone());
            }
        }
        let fingerprint = Fingerprint::of(&config);
        match crate::model::load(&config) {
            Ok(dep) => {
                let schedule = crate::schedule::schedule_at(&dep, self.now());
                let model = Arc::new(Model {
                    dep,
                    schedule,
                    loaded: Timestamp::now(),
                });
                *cache = Some(Cached {
                    fingerprint,
                    day: self.day(),
                    checked: Instant::now(),
                    model: model.clone(),
                });
                Ok(model)
            }
            Err(diags) => match cache.as_mut() {
                Some(c) => {
                    tracing::warn!(
                        problems = diags.len(),
                        "the dashboard keeps the last good model: the files have problems"
                    );
                    c.fingerprint = fingerprint;
                    Ok(c.model.clone())
                }
                None => Err(PageError::Invalid(problems(&diags))),
            },
        }
    }

    /// Forget the loaded model: the next page loads the files again (after an action changed
    /// them).
    pub fn reload(&self) {
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The state store, read only: it works while a daemon or a sync holds the write lock.
    pub fn store(&self, dep: &Deployment) -> Result<Box<dyn StateStore>, PageError> {
        Ok(crate::state::open_read_only(&dep.state)?)
    }

    /// The daemon's shared state, when running inside it.
    pub fn daemon_shared(&self) -> Option<&Arc<Shared>> {
        match &self.mode {
            Mode::Daemon(shared) => Some(shared),
            Mode::ReadOnly => None,
        }
    }

    /// Ask the daemon for a cycle now (every target): it starts after the usual short delay
    /// that lets a burst of requests settle into one cycle. False in `serve`, which runs none.
    pub fn sync_now(&self) -> bool {
        let Some(shared) = self.daemon_shared() else {
            return false;
        };
        let Ok(model) = self.model() else {
            return false;
        };
        for t in &model.dep.targets {
            shared.hints.hint(&t.id);
        }
        true
    }
}

fn problems(diags: &Diagnostics) -> String {
    let lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    format!(
        "the files have {} problem(s); fix them and reload:\n{}",
        lines.len(),
        lines.join("\n")
    )
}

/// Who is signed in, for a page to show the action forms: the user and the token each form
/// carries against cross-site requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user: String,
    pub csrf: String,
}

/// The signed-in user of a request, or `None` (then the pages show no action). Sign-in
/// ([`auth`]) decides; the pages only ask.
pub fn signed_in(dash: &Dashboard, parts: &Parts) -> Option<SignedIn> {
    auth::signed_in(dash, parts)
}

/// Whether the deployment configures sign-in to the dashboard. Without it the dashboard is
/// read only and answers on loopback only. Sign-in ([`auth`]) decides.
pub fn sign_in_configured(dep: &Deployment) -> bool {
    dep.sync.dashboard.sign_in_configured()
}

/// Every dashboard route, around `dash`.
pub fn router(dash: Arc<Dashboard>) -> Router {
    routes::pages(dash.clone())
        .merge(auth::routes(dash.clone()))
        .merge(actions::routes(dash.clone()).layer(axum::middleware::from_fn(measure_afresh)))
        .layer(axum::middleware::from_fn_with_state(dash, auth::guard))
}

/// After an action that went through, the pages measure afresh instead of showing the last
/// measurement: the person sees what they did (a snoozed recommendation gone) at once.
async fn measure_afresh(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    if response.status().is_success() || response.status().is_redirection() {
        process::forget_measurements();
    }
    response
}
