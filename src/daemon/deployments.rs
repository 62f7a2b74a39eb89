//! Many deployments in one daemon: `throughline daemon --config FOLDER`, where the folder holds
//! one deployment per subfolder (`FOLDER/<name>/throughline.toml`) or per file
//! (`FOLDER/<name>.toml`). Each deployment's state must be in PostgreSQL; each has its own lease
//! ([`super::leader`]), so replicas started on the same folder share the deployments out, one
//! leader each.
//!
//! - A deployment this replica leads runs its ordinary service, answering on its own
//!   `[daemon] listen` (else a free port beside `--listen`): its webhooks, `/readyz`,
//!   `/metrics` and dashboard are its own, as for a daemon of one deployment.
//! - `--listen` answers for the daemon as a whole: `/healthz`; `/readyz` with every deployment
//!   (whether this replica leads it, its epoch, where its service answers); `/readyz/<name>`,
//!   200 when this replica leads that deployment, else 503, for a load balancer's check per
//!   deployment; and `/metrics` with `throughline_leader{deployment="<name>"}` (1 or 0).
//! - A deployment whose files do not load is reported and left out; the others run.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

use super::AllowOnce;
use super::leader::{Replica, Role, run_replica};
use super::logging::Secrets;
use crate::model::{Deployment, StateLocation};

/// Each deployment's role, by name.
type Roles = Arc<BTreeMap<String, Arc<Mutex<Role>>>>;

/// The deployments of a folder: (name, its `throughline.toml`), by name.
pub fn find(folder: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(folder)
        .with_context(|| format!("cannot read the folder of deployments {}", folder.display()))?;
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.is_dir() && path.join("throughline.toml").is_file() {
            found.push((name, path.join("throughline.toml")));
        } else if path.extension().is_some_and(|e| e == "toml") {
            found.push((name, path));
        }
    }
    found.sort();
    if found.is_empty() {
        anyhow::bail!(
            "{} holds no deployment: put each in a subfolder with its throughline.toml, or as \
             <name>.toml",
            folder.display()
        );
    }
    Ok(found)
}

/// What every deployment's replica shares.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub lease: Duration,
    pub allow: AllowOnce,
    pub secrets: Secrets,
}

/// Run every deployment that loads (`load` reports the others and returns `None`) until
/// SIGTERM.
pub fn run_folder(
    folder: &Path,
    options: Options,
    load: impl Fn(&Path) -> Option<Deployment>,
) -> anyhow::Result<()> {
    let mut replicas = Vec::new();
    for (name, config) in find(folder)? {
        let Some(dep) = load(&config) else {
            tracing::error!(deployment = %name, config = %config.display(), "this deployment does not load; the others run without it");
            continue;
        };
        let StateLocation::Url(url) = &dep.state else {
            anyhow::bail!(
                "{}: a daemon of several deployments keeps each state in PostgreSQL; set `state = \"postgres://…\"` (see docs/scale-out.md)",
                config.display()
            );
        };
        let listen = dep
            .sync
            .daemon
            .listen
            .unwrap_or(SocketAddr::new(options.listen.ip(), 0));
        let replica = Replica {
            config,
            url: crate::state::postgres::resolve_url(url)?,
            listen,
            lease: options.lease,
            allow: options.allow,
            secrets: options.secrets.clone(),
            role: Arc::default(),
        };
        replicas.push((name, dep, replica));
    }
    let roles: Roles = Arc::new(
        replicas
            .iter()
            .map(|(name, _, r)| (name.clone(), r.role.clone()))
            .collect(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("cannot listen on {}; choose another with --listen", options.listen))?;
        let listen = listener.local_addr()?;
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let app = router(roles.clone());
        let mut front_stop = stop.clone();
        let front = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = front_stop.wait_for(|s| *s).await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the daemon's endpoint stopped");
            }
        });
        tracing::info!(listen = %listen, deployments = roles.len(), "throughline daemon of several deployments started; /healthz, /readyz and /metrics are on http://{listen}");
        let mut tasks = Vec::new();
        for (name, dep, replica) in replicas {
            let mut stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                let until = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                if let Err(e) = run_replica(dep, replica, until).await {
                    tracing::error!(deployment = %name, error = %format!("{e:#}"), "this deployment stopped");
                }
            }));
        }
        super::shutdown_signal().await;
        let _ = stop_tx.send(true);
        for task in tasks {
            let _ = task.await;
        }
        let _ = front.await;
        Ok(())
    })
}

fn router(roles: Roles) -> axum::Router {
    axum::Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/readyz/{deployment}", get(readyz_of))
        .route("/metrics", get(metrics))
        .with_state(roles)
}

fn role(roles: &Roles, name: &str) -> Option<Role> {
    roles.get(name).map(|r| *r.lock().expect("not poisoned"))
}

async fn readyz(State(roles): State<Roles>) -> impl IntoResponse {
    let all: serde_json::Map<String, serde_json::Value> = roles
        .keys()
        .map(|name| {
            let value = match role(&roles, name) {
                Some(Role::Leader { epoch, listen }) => serde_json::json!({
                    "leader": true, "epoch": epoch, "listen": listen.to_string()
                }),
                _ => serde_json::json!({ "leader": false }),
            };
            (name.clone(), value)
        })
        .collect();
    axum::Json(serde_json::json!({ "deployments": all }))
}

async fn readyz_of(
    State(roles): State<Roles>,
    UrlPath(name): UrlPath<String>,
) -> impl IntoResponse {
    match role(&roles, &name) {
        Some(Role::Leader { epoch, listen }) => (
            StatusCode::OK,
            axum::Json(
                serde_json::json!({ "leader": true, "epoch": epoch, "listen": listen.to_string() }),
            ),
        ),
        Some(Role::Standby) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "leader": false })),
        ),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({ "error": format!("no deployment {name:?} here") })),
        ),
    }
}

async fn metrics(State(roles): State<Roles>) -> impl IntoResponse {
    let mut out = String::from(
        "# HELP throughline_leader Whether this replica leads the deployment (holds its lease).\n\
         # TYPE throughline_leader gauge\n",
    );
    for name in roles.keys() {
        let leads = matches!(role(&roles, name), Some(Role::Leader { .. }));
        out += &format!(
            "throughline_leader{{deployment=\"{}\"}} {}\n",
            name.replace('\\', "\\\\").replace('"', "\\\""),
            u8::from(leads)
        );
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
}
