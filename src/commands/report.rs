use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use jiff::civil::Date;
use throughline::insight::{self, Filter, Input, ProcessInput, TargetInput, TaskInput};
use throughline::model::StateLocation;
use throughline::report::insight as render;
use throughline::state::{SqliteStore, StateStore, StatusRecord};

#[derive(clap::Args)]
pub struct Args {
    /// First day of the period (default: the first day in the history).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    since: Option<Date>,
    /// Last day of the period (default: today).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    until: Option<Date>,
    /// Only the tasks of this process (playbook id).
    #[arg(long, value_name = "ID")]
    process: Option<String>,
    /// Only this item's tasks (stage-time percentiles are still measured over every item).
    #[arg(long, value_name = "ID")]
    item: Option<String>,
    /// Only this person's tasks.
    #[arg(long, value_name = "EMAIL")]
    person: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Write the report to this file instead of the terminal.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
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
    let schedule = throughline::schedule::schedule_at(&dep, now);
    let tasks: Vec<&throughline::schedule::Task> = schedule
        .tasks
        .iter()
        .filter(|t| args.process.as_ref().is_none_or(|p| *p == t.process))
        .collect();
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
    let history = read_history(&dep.state)?;
    let first_tz = dep
        .processes
        .first()
        .map(|p| p.timezone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let today = now.to_zoned(first_tz.clone()).date();
    let until = args.until.unwrap_or(today);
    let since = args.since.unwrap_or_else(|| {
        history
            .iter()
            .map(|r| r.at.to_zoned(first_tz.clone()).date())
            .min()
            .unwrap_or(until)
            .min(until)
    });
    if since > until {
        anyhow::bail!("--since {since} is after --until {until}; swap them");
    }
    let input = Input {
        now,
        since,
        until,
        processes: dep
            .processes
            .iter()
            .filter(|p| args.process.as_ref().is_none_or(|id| *id == p.id))
            .map(ProcessInput::from_process)
            .collect(),
        tasks: tasks.iter().map(|t| TaskInput::from(*t)).collect(),
        history,
        targets: dep
            .targets
            .iter()
            .map(|t| TargetInput {
                id: t.id.clone(),
                tool: t.kind.as_str().to_string(),
            })
            .collect(),
        filter: Filter {
            item: args.item.clone(),
            person: args.person.clone(),
        },
    };
    let report = insight::measure(&input);
    let text = if args.json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&render::json(&report))?
        )
    } else {
        render::render(&report)
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("could not write the report to {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Every status record. Read-only: no lock is taken and a missing state file is an empty
/// history (it is not created).
fn read_history(state: &StateLocation) -> anyhow::Result<Vec<StatusRecord>> {
    let path = match state {
        StateLocation::Sqlite(path) => path,
        StateLocation::Url(url) => anyhow::bail!(
            "state = \"{url}\": only a SQLite state file is supported in this build; set \
             `state = \"throughline.db\"`"
        ),
    };
    if !path.exists() {
        return Ok(Vec::new());
    }
    Ok(SqliteStore::open_read_only(path)?.all_status_history()?)
}
