use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use throughline::engine::{self, CycleOptions};
use throughline::report::plan;

#[derive(clap::Args)]
pub struct Args {
    /// Plan only this target.
    #[arg(long, value_name = "ID")]
    target: Option<String>,
    /// Show the plan as `sync --allow-mass-archive` would make it.
    #[arg(long)]
    allow_mass_archive: bool,
    /// Create even past `max_creates` or `max_create_share` (as `sync` with this flag would).
    #[arg(long)]
    allow_mass_create: bool,
    /// Re-create tasks gone from a tool even past `max_recreate_share` (as `sync` with this flag would).
    #[arg(long)]
    allow_recreate: bool,
    /// List the tasks behind each failure (one line per cause otherwise).
    #[arg(long, short)]
    verbose: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    json: bool,
    /// Exit 0 when nothing would change, 2 when something would, 1 on errors.
    #[arg(long)]
    detailed_exitcode: bool,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    super::check_target_exists(&dep, args.target.as_deref())?;
    let now = super::now(&dep)?;
    let schedule = throughline::schedule::schedule_at(&dep, now);
    // A plan never writes: read the state without taking the sync lock, or start from nothing.
    let mut store = throughline::state::open_read_only(&dep.state)?;
    let runs = engine::connectors::open_targets(&dep, &schedule)?;
    let (mut runs, bar) = super::progress::watch(runs, args.json);
    let options = CycleOptions {
        only_target: args.target.clone(),
        dry_run: true,
        allow_mass_archive: args.allow_mass_archive,
        allow_mass_create: args.allow_mass_create,
        allow_recreate: args.allow_recreate,
        ..Default::default()
    };
    let report = super::runtime()?
        .block_on(engine::run_cycle(
            store.as_mut(),
            &mut runs,
            &dep.sync,
            &options,
            now,
        ))
        .context("planning stopped")?;
    bar.finish();
    if args.json {
        let mut json = serde_json::to_value(plan::json(&report, false))?;
        // The schedule's warnings, once per cycle, as `schedule --json` gives them.
        if let Some(fields) = json.as_object_mut() {
            fields.insert(
                "schedule_warnings".into(),
                serde_json::to_value(&schedule.warnings)?,
            );
        }
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print!(
            "{}",
            plan::render_verbose(&report, super::color(), false, args.verbose)
        );
        // The schedule's warnings, once per cycle, as `schedule` prints them.
        print!(
            "{}",
            super::schedule::warning_lines(&schedule.warnings, super::color())
        );
    }
    let totals = plan::totals(&report, false);
    Ok(if !report.ok() {
        ExitCode::from(1)
    } else if args.detailed_exitcode && (totals.changes() > 0 || totals.pulled > 0) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
