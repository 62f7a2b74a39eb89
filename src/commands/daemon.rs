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
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let secrets = Secrets::default();
    logging::init(args.log_format, secrets.clone());
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    let StateLocation::Sqlite(state_path) = &dep.state else {
        anyhow::bail!(
            "{}: only a SQLite state file is supported in this build; set `state = \"throughline.db\"`",
            dep.config_path.display()
        );
    };
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
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn state_path_display(service: &Service) -> String {
    match &service.deployment().state {
        StateLocation::Sqlite(p) => p.display().to_string(),
        StateLocation::Url(u) => u.clone(),
    }
}
