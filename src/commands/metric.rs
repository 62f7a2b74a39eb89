//! `throughline metric record ID VALUE [--at DATE] [--note TEXT]`: keep a measured value of a
//! success metric (`[[metric]]`) in the state file, for `report`.

use std::path::Path;
use std::process::ExitCode;

use throughline::state::MetricValue;

use super::NowArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Keep a measured value of a metric; every value stays, and `report` draws them over time.
    Record(Record),
}

#[derive(clap::Args)]
struct Record {
    /// The metric's id, as written in `[[metric]]`.
    id: String,
    /// The measured value, in the metric's unit (e.g. 37.5 for 37.5 %).
    #[arg(allow_negative_numbers = true)]
    value: f64,
    /// When it was measured: an RFC 3339 time or a date (12:00 that day); default now.
    #[arg(long, value_name = "WHEN", value_parser = super::parse_now)]
    at: Option<NowArg>,
    /// Where the number came from, e.g. "from the intranet's analytics".
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let Command::Record(args) = args.command;
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    let Some(metric) = dep.metrics.iter().find(|m| m.id == args.id) else {
        let known: Vec<&str> = dep.metrics.iter().map(|m| m.id.as_str()).collect();
        if known.is_empty() {
            anyhow::bail!(
                "there is no metric `{}`: no playbook or items file of {} has a [[metric]]; add \
                 one (id, name, unit, target, by)",
                args.id,
                config.display()
            );
        }
        anyhow::bail!(
            "there is no metric `{}` in {}; the metrics are: {}",
            args.id,
            config.display(),
            known.join(", ")
        );
    };
    if !args.value.is_finite() {
        anyhow::bail!(
            "{} is not a number; write the measured value, like 37.5",
            args.value
        );
    }
    let now = super::now(&dep)?;
    let at = match args.at {
        Some(at) => super::instant(&dep, at)?,
        None => now,
    };
    let (mut store, _) = throughline::state::open(&dep.state)?;
    store.record_metric(
        &MetricValue {
            metric: metric.id.clone(),
            value: args.value,
            at,
            note: args.note.clone(),
        },
        now,
    )?;
    let unit = if metric.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", metric.unit)
    };
    let verdict = if metric.met(args.value) {
        "target met"
    } else {
        "target not met yet"
    };
    println!(
        "Recorded {} = {}{unit} at {at} ({verdict}: {}{unit} by {}).",
        metric.id, args.value, metric.target, metric.by
    );
    Ok(ExitCode::SUCCESS)
}
