use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use throughline::engine::connectors::{secret, setting, token_file};
use throughline::model::TargetKind;

/// The tools that sign in through a browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Service {
    Google,
    Asana,
}

#[derive(clap::Args)]
pub struct Args {
    service: Service,
    /// The target to sign in for (default: the only target of that kind).
    #[arg(long, value_name = "ID")]
    target: Option<String>,
    /// Where the browser is sent back to; register `http://ADDR/callback` with the app.
    #[arg(long, default_value = "127.0.0.1:8765", value_name = "ADDR")]
    listen: SocketAddr,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    let kind = match args.service {
        Service::Google => TargetKind::GoogleSheets,
        Service::Asana => TargetKind::Asana,
    };
    let candidates: Vec<_> = dep
        .targets
        .iter()
        .filter(|t| t.kind == kind && args.target.as_ref().is_none_or(|id| *id == t.id))
        .collect();
    let target = match candidates.as_slice() {
        [one] => *one,
        [] => anyhow::bail!(
            "{}: no {} target{}; add one with `credentials = {{ oauth = \"file:...\" }}`",
            dep.config_path.display(),
            kind.as_str(),
            args.target
                .as_ref()
                .map(|t| format!(" named `{t}`"))
                .unwrap_or_default()
        ),
        _ => anyhow::bail!(
            "{}: several {} targets; say which with --target ID",
            dep.config_path.display(),
            kind.as_str()
        ),
    };
    let file = token_file(target)?;
    let client_id = setting(target, "client_id").with_context(|| {
        format!(
            "{}: target `{}` needs `client_id = \"...\"` (the OAuth app's id)",
            target.origin, target.id
        )
    })?;
    let client_secret = secret(target, "client_secret")?;
    let show = |url: &str| {
        println!(
            "Open this address in a browser and sign in:\n\n  {url}\n\nWaiting for the browser to come back to http://{}/callback ...",
            args.listen
        );
    };
    let runtime = super::runtime()?;
    match args.service {
        Service::Asana => {
            let base = target
                .base_url
                .clone()
                .unwrap_or_else(|| throughline_asana::DEFAULT_BASE_URL.to_string());
            let settings = throughline_asana::AuthorizeSettings {
                app: throughline_asana::OAuthApp::for_base_url(&base, client_id, client_secret),
                listen: args.listen,
                token_file: file.clone(),
                timeout: Duration::from_secs(300),
            };
            runtime.block_on(throughline_asana::oauth::authorize(&settings, show))?;
        }
        Service::Google => {
            let mut flow =
                throughline_sheets::DesktopSignIn::new(client_id, client_secret, file.clone());
            flow.listen = args.listen;
            runtime.block_on(throughline_sheets::sign_in_desktop(&flow, show))?;
        }
    }
    println!(
        "Signed in. The refresh token is in {} (readable by you only).",
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}
