use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use throughline::engine::{self, CycleOptions};
use throughline::report::plan;
use throughline::state::StateStore;

#[derive(clap::Args)]
pub struct Args {
    /// Sync only this target.
    #[arg(long, value_name = "ID")]
    target: Option<String>,
    /// Archive even when more than `max_archive_share` of a target's tasks would go.
    #[arg(long)]
    allow_mass_archive: bool,
    /// Create even past `max_creates` or `max_create_share` (this run only).
    #[arg(long)]
    allow_mass_create: bool,
    /// Re-create tasks gone from a tool even past `max_recreate_share` (this run only).
    #[arg(long)]
    allow_recreate: bool,
    /// List the tasks behind each failure (one line per cause otherwise).
    #[arg(long, short)]
    verbose: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    super::check_target_exists(&dep, args.target.as_deref())?;
    let now = super::now(&dep)?;
    let schedule = throughline::schedule::schedule_at(&dep, now);
    // Targets first: one that cannot be set up (a missing credential) leaves no state file.
    let runs = engine::connectors::open_targets(&dep, &schedule)?;
    // PostgreSQL: the lease, so that a sync never runs beside the daemon (as the file's lock).
    let (mut store, state_name) = throughline::state::open(&dep.state)?;
    let (mut runs, bar) = super::progress::watch(runs, args.json);
    let options = CycleOptions {
        only_target: args.target.clone(),
        allow_mass_archive: args.allow_mass_archive,
        allow_mass_create: args.allow_mass_create,
        allow_recreate: args.allow_recreate,
        ..Default::default()
    };
    let report = super::runtime()?
        .block_on(engine::run_cycle(
            &mut *store,
            &mut runs,
            &dep.sync,
            &options,
            now,
        ))
        .context("sync stopped")?;
    // Values people typed on the targets' Metrics tabs, pulled like status.
    let metrics = pull_metrics(&dep, &mut *store, &mut runs, args.target.as_deref(), now)?;
    bar.finish();
    if args.json {
        let mut json = serde_json::to_value(plan::json(&report, true))?;
        // The schedule's warnings, once per cycle, as `schedule --json` gives them.
        if let Some(fields) = json.as_object_mut() {
            fields.insert(
                "schedule_warnings".into(),
                serde_json::to_value(&schedule.warnings)?,
            );
            if !dep.metrics.is_empty() {
                fields.insert("metrics".into(), serde_json::to_value(&metrics)?);
            }
        }
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print!(
            "{}",
            plan::render_verbose(&report, super::color(), true, args.verbose)
        );
        // The schedule's warnings, once per cycle, as `schedule` prints them.
        print!(
            "{}",
            super::schedule::warning_lines(&schedule.warnings, super::color())
        );
        for t in &dep.targets {
            if let Some((key, word)) = t.kind.tool().local_file
                && args.target.as_ref().is_none_or(|only| *only == t.id)
                && let Some(path) = engine::connectors::target_path(&dep, t, key)
            {
                println!("{word} for `{}`: {}", t.id, path.display());
            }
        }
        print_metrics(&metrics);
        println!("State: {state_name}");
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Keep the targets' Metrics tabs and record the values typed there (a deployment without
/// `[[metric]]` has none).
fn pull_metrics(
    dep: &throughline::model::Deployment,
    store: &mut dyn StateStore,
    runs: &mut [engine::TargetRun],
    only: Option<&str>,
    now: jiff::Timestamp,
) -> anyhow::Result<engine::metrics::MetricsPulled> {
    Ok(super::runtime()?.block_on(engine::metrics::pull(
        store,
        runs,
        &dep.metrics,
        only,
        &engine::metrics::typed_day_zone(dep),
        now,
    ))?)
}

fn print_metrics(metrics: &engine::metrics::MetricsPulled) {
    for v in &metrics.recorded {
        println!(
            "Metric {} = {} recorded from `{}` ({}).",
            v.metric, v.value, v.target, v.cell
        );
    }
    for p in &metrics.problems {
        eprintln!("warning: {p}");
    }
}
