use std::path::Path;
use std::process::ExitCode;

use throughline::model::StateLocation;
use throughline::report::status::{StatusReport, status_report};
use throughline::state::{SqliteStore, StateStore};

#[derive(clap::Args)]
pub struct Args {
    /// Print the status as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    let now = super::now(&dep)?;
    let schedule = throughline::schedule::schedule_at(&dep, now);
    let statuses = match &dep.state {
        StateLocation::Sqlite(path) if path.exists() => {
            SqliteStore::open_read_only(path)?.statuses()?
        }
        _ => Vec::new(),
    };
    let tz = dep
        .processes
        .first()
        .map(|p| p.timezone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let today = now.to_zoned(tz).date();
    let report = status_report(&schedule, &statuses, today);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(r: &StatusReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "Items (today {})", r.today);
    let width = r
        .items
        .iter()
        .map(|i| i.item.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    for i in &r.items {
        let next = i
            .next
            .as_ref()
            .map(|n| {
                format!(
                    "next: {} ({}) due {}{}",
                    n.stage_name,
                    n.state,
                    n.due,
                    n.owner
                        .as_ref()
                        .map(|o| format!(", {o}"))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_else(|| "all done".into());
        let last = i
            .last_change
            .as_ref()
            .map(|l| {
                format!(
                    "  last: {} {} in {}{}",
                    l.identity,
                    l.state,
                    l.target.as_deref().unwrap_or("the hub"),
                    l.person
                        .as_ref()
                        .map(|p| format!(" by {p}"))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<width$}  {}/{} tasks, {}/{} checklist  go-live {}  {next}{last}",
            i.item, i.tasks_done, i.tasks, i.entries_done, i.entries, i.golive
        );
    }
    if r.overdue.is_empty() {
        let _ = writeln!(out, "Overdue: none");
    } else {
        let _ = writeln!(out, "Overdue by owner");
        for o in &r.overdue {
            let _ = writeln!(
                out,
                "  {} ({})",
                o.owner.as_deref().unwrap_or("(nobody assigned)"),
                o.tasks.len()
            );
            for t in &o.tasks {
                let _ = writeln!(
                    out,
                    "    {}  due {} ({} day{} late)  {}",
                    t.task,
                    t.due,
                    t.days_late,
                    if t.days_late == 1 { "" } else { "s" },
                    t.state
                );
            }
        }
    }
    let _ = writeln!(out, "Tasks per stage");
    for s in &r.stages {
        let _ = writeln!(
            out,
            "  {}/{}  {} to do, {} doing, {} done",
            s.process, s.stage_name, s.todo, s.doing, s.done
        );
    }
    out
}
