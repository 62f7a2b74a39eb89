//! `throughline serve`: the dashboard alone, read only, without running cycles: for looking at
//! a deployment whose daemon runs elsewhere, or at a state file copied from it.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use throughline::dashboard::{self, Dashboard};
use throughline::model::parse_listen;

/// Where `serve` answers unless told otherwise: the daemon's port plus one, so both can run on
/// one machine.
const DEFAULT_SERVE: &str = "127.0.0.1:9185";

#[derive(clap::Args)]
pub struct Args {
    /// Where the dashboard answers. Only a loopback address (127.0.0.1, ::1) unless sign-in is
    /// configured: without it anyone who reaches the port reads the whole plan.
    #[arg(long, value_name = "ADDR", value_parser = parse_listen, default_value = DEFAULT_SERVE)]
    listen: SocketAddr,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    if !args.listen.ip().is_loopback() && !dashboard::sign_in_configured(&dep) {
        anyhow::bail!(
            "{}: the dashboard would answer on {} without sign-in, so anyone who reaches it reads the plan; listen on 127.0.0.1 (the default), or configure sign-in for the dashboard",
            dep.config_path.display(),
            args.listen
        );
    }
    // `--now` fixes the clock the pages are drawn at (rehearsals, screenshots).
    let fixed = super::fixed_now(&dep)?;
    let dash = Arc::new(Dashboard::read_only(config, fixed));
    // Load once now so a broken state file is said at start, not on the first page.
    let model = dash.model().map_err(|e| anyhow::anyhow!("{e}"))?;
    dash.store(&model.dep).map_err(|e| anyhow::anyhow!("{e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}; another program uses it, or the address is not this machine's. Choose another with --listen",
                    args.listen
                )
            })?;
        let addr = listener.local_addr()?;
        // Tests and scripts read this line to find the port when `--listen` asked for port 0.
        println!("throughline dashboard on http://{addr}/ (read only; Ctrl-C stops it)");
        // Each request knows its client's address (sign-in attempts are limited per address).
        let app = dashboard::router(dash).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(throughline::daemon::shutdown_signal())
            .await
            .context("the dashboard's HTTP server stopped")?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
