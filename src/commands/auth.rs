use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use throughline::engine::connectors::{secret, setting, token_file};
use throughline::model::TargetKind;
use throughline_connector::settings::SignIn;

/// The tools that sign in through a browser, as the registry of kinds lists them.
fn services() -> clap::builder::PossibleValuesParser {
    let names: Vec<&'static str> = TargetKind::all()
        .filter_map(|k| k.tool().sign_in.map(|s| s.service))
        .collect();
    clap::builder::PossibleValuesParser::new(names)
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(value_parser = services())]
    service: String,
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
    let kind = TargetKind::all()
        .find(|k| k.tool().sign_in.is_some_and(|s| s.service == args.service))
        .context("no tool signs in that way")?;
    let flow = kind.tool().sign_in.context("no tool signs in that way")?;
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
    let sign_in = SignIn {
        client_id,
        client_secret,
        token_file: file.clone(),
        base_url: target.base_url.clone(),
        listen: args.listen,
    };
    runtime
        .block_on((flow.run)(&sign_in, &show))
        .map_err(anyhow::Error::from_boxed)?;
    println!(
        "Signed in. The refresh token is in {} (readable by you only).",
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}
