use std::path::Path;
use std::process::ExitCode;

use throughline::report::mine::Facts;
use throughline::report::status::{StatusReport, status_report};
use throughline::state::blocked_spans;
use throughline_connector::State;

mod mine;

#[derive(clap::Args)]
pub struct Args {
    /// Print the status as JSON.
    #[arg(long)]
    json: bool,
    /// One person's tasks: overdue, today, this week, blocked and waiting (for whom).
    #[arg(long, value_name = "EMAIL", conflicts_with = "item")]
    owner: Option<String>,
    /// One item's tasks, each with its state and whom it waits for.
    #[arg(long, value_name = "ID")]
    item: Option<String>,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    let now = super::now(&dep)?;
    let schedule = throughline::schedule::schedule_at(&dep, now);
    let store = throughline::state::open_read_only(&dep.state)?;
    let statuses = store.statuses()?;
    // Since when each blocked task is blocked: its own history only.
    let mut spans = Vec::new();
    for s in statuses.iter().filter(|s| s.state == State::Blocked) {
        spans.extend(blocked_spans(&store.status_history(&s.identity)?));
    }
    let tz = dep
        .processes
        .first()
        .map(|p| p.timezone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let today = now.to_zoned(tz.clone()).date();
    let facts = Facts::new(&dep, &schedule, &statuses, today);
    if let Some(owner) = &args.owner {
        known_person(&dep, &schedule, owner)?;
        let mine = facts.my_tasks(owner);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&mine)?);
        } else {
            print!("{}", mine::render_mine(&mine, super::color()));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(item) = &args.item {
        let Some(tasks) = facts.item(item) else {
            let mut items: Vec<&str> = schedule.tasks.iter().map(|t| t.item.as_str()).collect();
            items.dedup();
            anyhow::bail!(
                "{}: there is no item `{item}` in the schedule; the items are: {}",
                dep.config_path.display(),
                items.join(", ")
            );
        };
        if args.json {
            println!("{}", serde_json::to_string_pretty(&tasks)?);
        } else {
            print!("{}", mine::render_item(&tasks, super::color()));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut report = status_report(&schedule, &statuses, &spans, today, &tz);
    for i in &mut report.items {
        i.at_risk = facts.is_at_risk(&i.item);
    }
    // Items at risk first; otherwise as the schedule lists them.
    report.items.sort_by_key(|i| !i.at_risk);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--owner` must be someone in a role or owning a task; a typo would show an empty list.
fn known_person(
    dep: &throughline::model::Deployment,
    schedule: &throughline::schedule::Schedule,
    who: &str,
) -> anyhow::Result<()> {
    let mut people: Vec<&str> = dep
        .processes
        .iter()
        .flat_map(|p| &p.roles)
        .flat_map(|r| r.people.iter().chain(&r.backup))
        .map(String::as_str)
        .chain(schedule.tasks.iter().filter_map(|t| t.owner.as_deref()))
        .collect();
    if people.iter().any(|p| p.eq_ignore_ascii_case(who)) {
        return Ok(());
    }
    people.sort_unstable();
    people.dedup();
    anyhow::bail!(
        "{}: nobody called `{who}` has a role or a task; the people are: {}",
        dep.config_path.display(),
        people.join(", ")
    )
}

fn render(r: &StatusReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "Items (today {})", r.today);
    render_items(&mut out, r);
    render_overdue(&mut out, r);
    render_blocked(&mut out, r);
    render_stages(&mut out, r);
    out
}

/// One line per item: its tasks and checklist, go-live, risk, next task, last change.
fn render_items(out: &mut String, r: &StatusReport) {
    use std::fmt::Write;
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
        let blocked = if i.tasks_blocked > 0 {
            format!(", {} blocked", i.tasks_blocked)
        } else {
            String::new()
        };
        let risk = if i.at_risk { "  AT RISK" } else { "" };
        let _ = writeln!(
            out,
            "  {:<width$}  {}/{} tasks{blocked}, {}/{} checklist  go-live {}{risk}  {next}{last}",
            i.item, i.tasks_done, i.tasks, i.entries_done, i.entries, i.golive
        );
    }
}

/// The overdue tasks, by owner.
fn render_overdue(out: &mut String, r: &StatusReport) {
    use std::fmt::Write;
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
}

/// The blocked tasks: since when, where, by whom, and why.
fn render_blocked(out: &mut String, r: &StatusReport) {
    use std::fmt::Write;
    if r.blocked.is_empty() {
        let _ = writeln!(out, "Blocked: none");
    } else {
        let _ = writeln!(out, "Blocked");
        for b in &r.blocked {
            let since = match b.days {
                Some(days) => format!(
                    "  since {} ({days} day{})",
                    r.today
                        .checked_sub(jiff::Span::new().days(days))
                        .unwrap_or(r.today),
                    if days == 1 { "" } else { "s" }
                ),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "  {}  {}{since}{}{}  due {}",
                b.task,
                b.owner.as_deref().unwrap_or("(nobody assigned)"),
                b.target
                    .as_deref()
                    .map(|t| format!(", in {t}"))
                    .unwrap_or_default(),
                b.person
                    .as_deref()
                    .map(|p| format!(" by {p}"))
                    .unwrap_or_default(),
                b.due
            );
            let _ = writeln!(
                out,
                "    reason: {}",
                b.reason.as_deref().unwrap_or("(none given)")
            );
        }
    }
}

/// How many tasks of each stage are in each state.
fn render_stages(out: &mut String, r: &StatusReport) {
    use std::fmt::Write;
    let _ = writeln!(out, "Tasks per stage");
    for s in &r.stages {
        let _ = writeln!(
            out,
            "  {}/{}  {} to do, {} doing, {} blocked, {} done",
            s.process, s.stage_name, s.todo, s.doing, s.blocked, s.done
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use throughline::report::status::BlockedTask;

    #[test]
    fn blocked_tasks_are_listed_with_their_reason_and_since_when() {
        let report = StatusReport {
            today: date(2026, 12, 9),
            items: Vec::new(),
            overdue: Vec::new(),
            blocked: vec![
                BlockedTask {
                    task: "spring-sale/copy".into(),
                    title: "Spring sale: Copy".into(),
                    owner: Some("yossi@example.com".into()),
                    due: date(2026, 12, 10),
                    reason: Some("waiting on legal".into()),
                    since: Some("2026-12-06T09:00:00Z".parse().unwrap()),
                    target: Some("studio".into()),
                    person: Some("dana@example.com".into()),
                    days: Some(3),
                },
                BlockedTask {
                    task: "spring-sale/design".into(),
                    title: "Spring sale: Design".into(),
                    owner: None,
                    due: date(2026, 12, 10),
                    reason: None,
                    since: Some("2026-12-08T09:00:00Z".parse().unwrap()),
                    target: None,
                    person: None,
                    days: Some(1),
                },
            ],
            stages: Vec::new(),
        };
        let text = render(&report);
        assert!(
            text.contains(
                "Blocked\n  spring-sale/copy  yossi@example.com  since 2026-12-06 (3 days), in \
                 studio by dana@example.com  due 2026-12-10\n    reason: waiting on legal\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("  spring-sale/design  (nobody assigned)  since 2026-12-08 (1 day)  due 2026-12-10\n    reason: (none given)\n"),
            "{text}"
        );
    }
}
