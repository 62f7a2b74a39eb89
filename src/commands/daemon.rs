use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use throughline::daemon::logging::{self, LogFormat, Secrets};
use throughline::daemon::{self, Connectors, Service, Shared, SystemClock};
use throughline::model::{DEFAULT_LISTEN, StateLocation, parse_listen};
use throughline::state::{SqliteStore, StateError};

#[derive(clap::Args)]
pub struct Args {
    /// Where /healthz, /readyz, /metrics and the webhooks answer [default: `[daemon] listen`,
    /// else 127.0.0.1:9184].
    #[arg(long, value_name = "ADDR", value_parser = parse_listen)]
    listen: Option<SocketAddr>,
    /// How log lines look.
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// Archive past `max_archive_share`, in the first complete cycle only.
    #[arg(long)]
    allow_mass_archive: bool,
    /// Create past `max_creates` or `max_create_share`, in the first complete cycle only.
    #[arg(long)]
    allow_mass_create: bool,
    /// Re-create tasks gone from a tool past `max_recreate_share`, in the first complete cycle
    /// only.
    #[arg(long)]
    allow_recreate: bool,
    /// Delete the Trello and Asana webhooks and stop the Drive channels the daemon made for
    /// the config's targets, then exit (before retiring the daemon or moving its address).
    #[arg(long)]
    unregister_webhooks: bool,
    /// With `state` in PostgreSQL (several replicas): how long the leader's lease lasts; it is
    /// renewed every third of that, and a standby takes over within two after the leader dies.
    #[arg(long, value_name = "DURATION", value_parser = daemon::leader::parse_lease, default_value = "15s")]
    lease: std::time::Duration,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let secrets = Secrets::default();
    logging::init(args.log_format, secrets.clone());
    if config.is_dir() {
        return several(config, &args, secrets);
    }
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    let state_path = match &dep.state {
        StateLocation::Sqlite(path) => path.clone(),
        StateLocation::Url(url) => return replica(config, dep.clone(), url, &args, secrets),
    };
    let state_path = &state_path;
    let store = match SqliteStore::open(state_path) {
        Ok(store) => store,
        Err(e @ StateError::Locked { .. }) => {
            eprintln!("error: {e}");
            eprintln!(
                "Another throughline daemon (or a sync) is already working on this state; only one may run at a time."
            );
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let listen = args
        .listen
        .or(dep.sync.daemon.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("the default address parses"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {listen}; another program uses it, or the address is not this machine's. Choose another with --listen or `[daemon] listen`"
                )
            })?;
        let listen = listener.local_addr()?;
        let shared = Arc::new(Shared::new(jiff::Timestamp::now(), secrets));
        let mut service = Service::new(
            config,
            dep,
            Box::new(store),
            Box::new(Connectors),
            Arc::new(SystemClock),
            shared,
            listen,
        )?;
        if args.unregister_webhooks {
            return unregister(&mut service).await;
        }
        service.allow_once(daemon::AllowOnce {
            mass_archive: args.allow_mass_archive,
            mass_create: args.allow_mass_create,
            recreate: args.allow_recreate,
        });
        let stop = daemon::shutdown_signal();
        tracing::info!(
            listen = %listen,
            config = %config.display(),
            state = %state_path_display(&service),
            "throughline daemon started; /healthz, /readyz and /metrics are on http://{listen}"
        );
        daemon::run(service, listener, stop).await;
        Ok::<_, anyhow::Error>(ExitCode::SUCCESS)
    })
}

/// `--unregister-webhooks`: remove what the daemon registered, say what happened, exit.
async fn unregister(service: &mut Service) -> anyhow::Result<ExitCode> {
    match service.unregister_webhooks().await {
        Ok(removed) => {
            println!("Removed the webhooks and channels of {removed} target(s).");
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("error: {p}");
            }
            eprintln!(
                "Some webhooks are still registered; run `throughline daemon --unregister-webhooks` again, or delete them in the tool."
            );
            Ok(ExitCode::from(1))
        }
    }
}

fn state_path_display(service: &Service) -> String {
    match &service.deployment().state {
        StateLocation::Sqlite(p) => p.display().to_string(),
        StateLocation::Url(u) => u.clone(),
    }
}

/// A replica of a deployment whose state is in PostgreSQL: leads or stands by
/// (`throughline::daemon::leader`).
fn replica(
    config: &Path,
    dep: throughline::model::Deployment,
    url: &str,
    args: &Args,
    secrets: Secrets,
) -> anyhow::Result<ExitCode> {
    let replica = daemon::leader::Replica {
        config: config.to_path_buf(),
        url: throughline::state::postgres::resolve_url(url)?,
        listen: args
            .listen
            .or(dep.sync.daemon.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("the default address parses")),
        lease: args.lease,
        allow: daemon::AllowOnce {
            mass_archive: args.allow_mass_archive,
            mass_create: args.allow_mass_create,
            recreate: args.allow_recreate,
        },
        secrets,
        role: Default::default(),
    };
    daemon::leader::run_from_command(dep, replica)?;
    Ok(ExitCode::SUCCESS)
}

/// `--config FOLDER`: every deployment in it, each with its own lease
/// (`throughline::daemon::deployments`).
fn several(folder: &Path, args: &Args, secrets: Secrets) -> anyhow::Result<ExitCode> {
    let options = daemon::deployments::Options {
        listen: args
            .listen
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("the default address parses")),
        lease: args.lease,
        allow: daemon::AllowOnce {
            mass_archive: args.allow_mass_archive,
            mass_create: args.allow_mass_create,
            recreate: args.allow_recreate,
        },
        secrets,
    };
    daemon::deployments::run_folder(folder, options, |config| super::load_or_report(config).ok())?;
    Ok(ExitCode::SUCCESS)
}
