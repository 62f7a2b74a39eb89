use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use jiff::civil::Date;
use throughline::insight::{self, Filter};
use throughline::model::{Deployment, StateLocation};
use throughline::report::build::{self, Scope, Stored};
use throughline::report::insight as render;

#[derive(clap::Args)]
pub struct Args {
    /// First day of the period (default: the first day in the history).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    since: Option<Date>,
    /// Last day of the period (default: today). With --snooze: the day the recommendation
    /// shows again.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    until: Option<Date>,
    /// Hide this recommendation (its id, e.g. late-stage/launch/approval) until --until; kept
    /// in the state file. Prints what it did instead of the report.
    #[arg(long, value_name = "ID", requires = "until")]
    snooze: Option<String>,
    /// Only the tasks of this process (playbook id).
    #[arg(long, value_name = "ID")]
    process: Option<String>,
    /// Only this item's tasks (stage-time percentiles are still measured over every item).
    #[arg(long, value_name = "ID")]
    item: Option<String>,
    /// Only this person's tasks.
    #[arg(long, value_name = "EMAIL")]
    person: Option<String>,
    /// The output: aligned tables (text), JSON, one self-contained HTML page with charts, or an
    /// Excel workbook with a sheet per section and native charts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print the report as JSON (the same as `--format json`).
    #[arg(long)]
    json: bool,
    /// Write the report to this file instead of the terminal.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Html,
    Xlsx,
}

fn parse_date(s: &str) -> Result<Date, String> {
    s.parse()
        .map_err(|_| format!("\"{s}\" is not a date; write it as YYYY-MM-DD, e.g. 2026-12-10"))
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    let now = super::now(&dep)?;
    check_process(&dep, &args)?;
    let schedule = throughline::schedule::schedule_at(&dep, now);
    let tasks: Vec<&throughline::schedule::Task> = schedule
        .tasks
        .iter()
        .filter(|t| args.process.as_ref().is_none_or(|p| *p == t.process))
        .collect();
    check_filters(config, &args, &tasks)?;
    let stored = read_store(&dep.state)?;
    let first_tz = dep
        .processes
        .first()
        .map(|p| p.timezone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let today = now.to_zoned(first_tz.clone()).date();
    let until = match &args.snooze {
        Some(_) => today,
        None => args.until.unwrap_or(today),
    };
    let since = args.since.unwrap_or_else(|| {
        stored
            .history
            .iter()
            .map(|r| r.at.to_zoned(first_tz.clone()).date())
            .min()
            .unwrap_or(until)
            .min(until)
    });
    if since > until {
        anyhow::bail!("--since {since} is after --until {until}; swap them");
    }
    let scope = Scope {
        since,
        until,
        process: args.process.clone(),
        filter: Filter {
            item: args.item.clone(),
            person: args.person.clone(),
        },
    };
    let input = build::input(&dep, &schedule, now, &scope, stored);
    let report = insight::measure(&input);
    if let (Some(id), Some(back)) = (&args.snooze, args.until) {
        return snooze(&dep.state, &report, id, back, today, now);
    }
    let Some(text) = render_format(&dep, &schedule, &report, &args)? else {
        return Ok(ExitCode::SUCCESS);
    };
    match &args.output {
        Some(path) => super::write_whole(path, text.as_bytes(), "report")?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `--process` must name a process of the deployment.
fn check_process(dep: &Deployment, args: &Args) -> anyhow::Result<()> {
    if let Some(p) = &args.process
        && dep.process(p).is_none()
    {
        let known: Vec<&str> = dep.processes.iter().map(|p| p.id.as_str()).collect();
        anyhow::bail!(
            "{}: there is no process `{p}`; the processes are: {}",
            dep.config_path.display(),
            known.join(", ")
        );
    }
    Ok(())
}

/// `--item` and `--person` must name an item and an owner among the tasks in scope.
fn check_filters(
    config: &Path,
    args: &Args,
    tasks: &[&throughline::schedule::Task],
) -> anyhow::Result<()> {
    if let Some(item) = &args.item
        && !tasks.iter().any(|t| t.item == *item)
    {
        anyhow::bail!(
            "there is no item \"{item}\" in {}; check the spelling (`throughline schedule` \
             lists the items)",
            config.display()
        );
    }
    if let Some(person) = &args.person
        && !tasks.iter().any(|t| t.owner.as_ref() == Some(person))
    {
        anyhow::bail!(
            "nobody called \"{person}\" owns a task in {}; use the e-mail address written in \
             the playbook's roles",
            config.display()
        );
    }
    Ok(())
}

/// The report in the asked format; `None` when it was written already (a workbook goes
/// straight to its `--output` file).
fn render_format(
    dep: &Deployment,
    schedule: &throughline::schedule::Schedule,
    report: &insight::Report,
    args: &Args,
) -> anyhow::Result<Option<String>> {
    let format = if args.json { Format::Json } else { args.format };
    let text = match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&render::json(report))?),
        Format::Text => render::render(report),
        Format::Html => throughline::report::html::render(
            report,
            &build::labels(dep, schedule, args.process.as_deref()),
        ),
        Format::Xlsx => {
            let Some(path) = &args.output else {
                anyhow::bail!(
                    "--format xlsx writes a workbook: name the file with --output, e.g. \
                     --output report.xlsx"
                );
            };
            let bytes = throughline::report::xlsx::render(
                report,
                &build::labels(dep, schedule, args.process.as_deref()),
            )
            .context("could not build the report workbook")?;
            super::write_whole(path, &bytes, "report")?;
            return Ok(None);
        }
    };
    Ok(Some(text))
}

/// `report --snooze ID --until DATE`: recorded in the state file (the only write `report`
/// makes). Only a recommendation that fires now (or is snoozed already) can be snoozed, so a
/// mistyped id is reported instead of hiding nothing.
fn snooze(
    state: &StateLocation,
    report: &insight::Report,
    id: &str,
    back: Date,
    today: Date,
    now: jiff::Timestamp,
) -> anyhow::Result<ExitCode> {
    let known: Vec<&str> = report
        .recommendations
        .iter()
        .map(|r| r.id.as_str())
        .chain(report.snoozed.iter().map(|s| s.id.as_str()))
        .collect();
    if !known.contains(&id) {
        if known.is_empty() {
            anyhow::bail!(
                "there is no recommendation `{id}` to snooze: the report recommends nothing now"
            );
        }
        anyhow::bail!(
            "there is no recommendation `{id}` now; the report's recommendations are: {}",
            known.join(", ")
        );
    }
    if back <= today {
        anyhow::bail!(
            "--until {back} is not after today ({today}); name the day the recommendation should \
             show again"
        );
    }
    let (mut store, _) = throughline::state::open(state)?;
    store.snooze(&throughline::state::Snooze {
        id: id.to_string(),
        until: back,
        at: now,
    })?;
    println!("Snoozed {id} until {back}: `report` leaves it out until then.");
    Ok(ExitCode::SUCCESS)
}

/// Every status record, metric value and snooze. Read-only: no lock is taken and a missing
/// state file is an empty history (it is not created).
fn read_store(state: &StateLocation) -> anyhow::Result<Stored> {
    Ok(Stored::read(&*throughline::state::open_read_only(state)?)?)
}
