//! One module per command. Each `run` returns the exit code; errors become `error: ...` lines.

pub mod auth;
pub mod calendar;
pub mod daemon;
pub mod dashboard;
pub mod demo;
pub mod emulate;
pub mod graph;
pub mod import;
pub mod init;
pub mod metric;
pub mod plan;
mod progress;
pub mod report;
pub mod schedule;
pub mod serve;
pub mod state;
pub mod status;
pub mod sync;
pub mod target;
pub mod validate;

use std::path::Path;
use std::process::ExitCode;

use throughline::model::{self, Deployment};

/// `--now`: an instant, or a date (that day 12:00 in the process time zone).
#[derive(Debug, Clone, Copy)]
pub enum NowArg {
    At(jiff::Timestamp),
    Day(jiff::civil::Date),
}

pub fn parse_now(s: &str) -> Result<NowArg, String> {
    if let Ok(at) = s.parse::<jiff::Timestamp>() {
        return Ok(NowArg::At(at));
    }
    s.parse::<jiff::civil::Date>().map(NowArg::Day).map_err(|_| {
        format!(
            "\"{s}\" is neither an RFC 3339 time nor a date; write e.g. 2026-12-10T09:30:00+02:00 \
             or 2026-12-10"
        )
    })
}

static NOW: std::sync::OnceLock<NowArg> = std::sync::OnceLock::new();

/// Set once by `main` from the global `--now`.
pub fn set_now(now: Option<NowArg>) {
    if let Some(now) = now {
        let _ = NOW.set(now);
    }
}

/// The clock of this run: `--now` when given (a date is 12:00 of that day in the first
/// process's time zone), else the system clock. Commands read it once and pass it on.
pub fn now(dep: &Deployment) -> anyhow::Result<jiff::Timestamp> {
    match NOW.get() {
        None => Ok(jiff::Timestamp::now()),
        Some(arg) => instant(dep, *arg),
    }
}

/// `--now` when given, for a long-running command that draws every page at that one time.
pub fn fixed_now(dep: &Deployment) -> anyhow::Result<Option<jiff::Timestamp>> {
    NOW.get().map(|arg| instant(dep, *arg)).transpose()
}

/// An instant as `--now` takes it (also `metric record --at`): a date is 12:00 of that day in
/// the first process's time zone.
pub fn instant(dep: &Deployment, arg: NowArg) -> anyhow::Result<jiff::Timestamp> {
    match arg {
        NowArg::At(at) => Ok(at),
        NowArg::Day(day) => {
            let tz = dep
                .processes
                .first()
                .map(|p| p.timezone.clone())
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let noon = day.at(12, 0, 0, 0).to_zoned(tz).map_err(|e| {
                anyhow::anyhow!("{day}: 12:00 that day is out of range ({e}); use a nearer date")
            })?;
            Ok(noon.timestamp())
        }
    }
}

/// Load and validate the deployment, or print every problem and return exit code 1.
pub fn load_or_report(config: &Path) -> Result<Deployment, ExitCode> {
    match model::load(config) {
        Ok(dep) => Ok(dep),
        Err(diags) => {
            for d in diags.iter() {
                eprintln!("{d}");
            }
            let n = diags.len();
            eprintln!(
                "{n} problem{} found; nothing was changed. Fix {} and run the command again.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            );
            Err(ExitCode::from(1))
        }
    }
}

/// `--target ID` must name a target of the deployment.
pub fn check_target_exists(dep: &Deployment, target: Option<&str>) -> anyhow::Result<()> {
    if let Some(id) = target
        && dep.target(id).is_none()
    {
        let known: Vec<&str> = dep.targets.iter().map(|t| t.id.as_str()).collect();
        anyhow::bail!(
            "{}: there is no target `{id}`; the targets are: {}",
            dep.config_path.display(),
            if known.is_empty() {
                "(none)".to_string()
            } else {
                known.join(", ")
            }
        );
    }
    Ok(())
}

/// The async runtime the connectors run on; one thread is plenty for one cycle.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Colour only on a terminal, and never when `NO_COLOR` is set.
pub fn color() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Write through a temporary file in the same folder, then rename: a reader (a calendar app
/// polling the file, a browser reloading a report) sees the old file or the new one, never a
/// part. `what` names the file in errors ("calendar", "report").
pub fn write_whole(path: &Path, bytes: &[u8], what: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let failed = || format!("could not write the {what} to {}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".throughline-{what}-"))
        .tempfile_in(&dir)
        .with_context(|| format!("{}: is the folder there and writable?", failed()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(failed)?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(failed)?;
    Ok(())
}
