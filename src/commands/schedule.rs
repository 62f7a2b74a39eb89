//! `throughline schedule`: every task with its owner, start and due date, then the warnings.

use std::borrow::Cow;
use std::io::{self, IsTerminal as _, Write};
use std::path::Path;
use std::process::ExitCode;

use jiff::civil::Date;
use serde::Serialize;
use throughline::schedule::{self, Schedule, Task, Warning};

#[derive(clap::Args)]
pub struct Args {
    /// Print `{"tasks": [...], "warnings": [...]}` for programs instead of a table.
    #[arg(long)]
    json: bool,
    /// Schedule as if today were this date (YYYY-MM-DD); default: today in each process's
    /// time zone. Only warnings depend on it.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<Date>,
    /// Only the tasks and warnings of this item (its id, or `cadence@YYYY-MM-DD`).
    #[arg(long, value_name = "ID")]
    item: Option<String>,
}

fn parse_date(s: &str) -> Result<Date, String> {
    s.parse()
        .map_err(|_| format!("\"{s}\" is not a date; write it as YYYY-MM-DD, e.g. 2026-12-10"))
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let deployment = match super::load_or_report(config) {
        Ok(deployment) => deployment,
        Err(code) => return Ok(code),
    };
    let schedule = match args.today {
        Some(today) => schedule::schedule(&deployment, today),
        None => schedule::schedule_at(&deployment, super::now(&deployment)?),
    };
    let view = match &args.item {
        None => View::all(&schedule),
        Some(id) => match View::item(&schedule, id) {
            Some(view) => view,
            None => {
                let items = schedule::expand_items(&deployment);
                let mut known: Vec<&str> = items.iter().take(8).map(|i| i.id.as_str()).collect();
                if items.len() > known.len() {
                    known.push("…");
                }
                anyhow::bail!(
                    "there is no item \"{id}\" in {} (items: {}). Check the spelling, or leave \
                     out --item to see every item.",
                    config.display(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                );
            }
        },
    };

    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = if args.json {
        serde_json::to_writer(&mut out, &view)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        out.write_all(render(&view, colour()).as_bytes())
    };
    let written = written.and_then(|()| out.flush());
    drop(out);
    // The process ends right after this; handing a few hundred thousand small allocations back
    // to the allocator one by one would take a third of the command's time on a big plan.
    std::mem::forget(view);
    std::mem::forget(schedule);
    std::mem::forget(deployment);
    match written {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // `throughline schedule | head` is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(anyhow::Error::new(e).context("could not write the schedule")),
    }
}

/// What is shown: all of a schedule or one item's part of it.
#[derive(Serialize)]
struct View<'a> {
    tasks: Vec<&'a Task>,
    warnings: Vec<&'a Warning>,
}

impl<'a> View<'a> {
    fn all(s: &'a Schedule) -> Self {
        View {
            tasks: s.tasks.iter().collect(),
            warnings: s.warnings.iter().collect(),
        }
    }

    /// `None` when the item has no tasks (it does not exist, or skips every stage).
    fn item(s: &'a Schedule, id: &str) -> Option<Self> {
        let tasks: Vec<&Task> = s.tasks.iter().filter(|t| t.item == id).collect();
        if tasks.is_empty() {
            return None;
        }
        let prefix = format!("{id}/");
        let warnings = s
            .warnings
            .iter()
            .filter(|w| w.task.as_deref().is_some_and(|t| t.starts_with(&prefix)))
            .collect();
        Some(View { tasks, warnings })
    }
}

fn colour() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

const HEADER: [&str; 6] = ["ITEM", "STAGE", "TASK", "OWNER", "START", "DUE"];

/// An aligned table grouped by item (the item's title on its first row), then the warnings.
fn render(view: &View, colour: bool) -> String {
    let mut rows: Vec<[Cow<str>; 6]> = Vec::with_capacity(view.tasks.len());
    let mut group_starts = Vec::new();
    for (i, task) in view.tasks.iter().enumerate() {
        let first = i == 0 || view.tasks[i - 1].item != task.item;
        if first {
            group_starts.push(rows.len());
        }
        let owner = match (&task.owner, &task.backup_for) {
            (Some(o), Some(away)) => Cow::Owned(format!("{o} (backup for {away})")),
            (Some(o), None) => Cow::Borrowed(o.as_str()),
            (None, _) => Cow::Borrowed("(no one)"),
        };
        rows.push([
            Cow::Borrowed(if first { task.item_title.as_str() } else { "" }),
            Cow::Borrowed(&task.stage_name),
            Cow::Borrowed(&task.id),
            owner,
            Cow::Owned(task.start.to_string()),
            Cow::Owned(task.due.to_string()),
        ]);
    }

    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut s = String::new();
    let line = |s: &mut String, cells: &[&str]| {
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            s.push_str(cell);
            if i + 1 < cells.len() {
                let pad = w - cell.chars().count() + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s.push('\n');
    };
    if rows.is_empty() {
        s.push_str("No tasks: the deployment has no items.\n");
    } else {
        line(&mut s, &HEADER);
        for (i, row) in rows.iter().enumerate() {
            if i > 0 && group_starts.binary_search(&i).is_ok() {
                s.push('\n');
            }
            line(&mut s, &row.each_ref().map(|c| c.as_ref()));
        }
    }

    if !view.warnings.is_empty() {
        s.push('\n');
        s.push_str(&warning_lines(view.warnings.iter().copied(), colour));
    }
    let items = group_starts.len();
    let n = view.warnings.len();
    s.push_str(&format!(
        "\n{} task{} in {items} item{}; {n} warning{}.\n",
        rows.len(),
        plural(rows.len()),
        plural(items),
        plural(n),
    ));
    s
}

/// One `warning: …` line per schedule warning (a start in the past, an overloaded person, …),
/// as `schedule` prints them; `plan` and `sync` print the same lines once per cycle.
pub(super) fn warning_lines<'w>(
    warnings: impl IntoIterator<Item = &'w Warning>,
    colour: bool,
) -> String {
    let label = if colour {
        "\x1b[33mwarning\x1b[0m"
    } else {
        "warning"
    };
    warnings
        .into_iter()
        .map(|w| format!("{label}: {}\n", w.message))
        .collect()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use throughline::schedule::WarningKind;

    fn task(
        item: &str,
        title: &str,
        stage: &str,
        owner: Option<&str>,
        backup_for: Option<&str>,
    ) -> Task {
        Task {
            id: throughline::model::task_id(item, stage),
            item: item.into(),
            item_title: title.into(),
            process: "content".into(),
            stage: stage.into(),
            stage_name: stage.to_uppercase(),
            role: "writer".into(),
            owner: owner.map(Into::into),
            backup_for: backup_for.map(Into::into),
            start: date(2026, 12, 6),
            due: date(2026, 12, 8),
            days: 3,
            golive: date(2026, 12, 10),
            channel: None,
            notes: None,
            checklist: Vec::new(),
        }
    }

    fn sample() -> Schedule {
        Schedule {
            tasks: vec![
                task(
                    "spring-sale",
                    "Spring sale",
                    "idea",
                    Some("dana@example.com"),
                    None,
                ),
                task(
                    "spring-sale",
                    "Spring sale",
                    "copy",
                    Some("noa@example.com"),
                    Some("yossi@example.com"),
                ),
                task("tip", "טיפ שבועי", "copy", None, None),
            ],
            warnings: vec![Warning {
                kind: WarningKind::StartsInPast,
                task: Some("tip/copy".into()),
                person: None,
                message: "tip/copy should have started on 2026-12-06.".into(),
            }],
        }
    }

    #[test]
    fn the_table_is_aligned_and_grouped_by_item() {
        let s = sample();
        let text = render(&View::all(&s), false);
        let expected = "\
ITEM         STAGE  TASK              OWNER                                           START       DUE
Spring sale  IDEA   spring-sale/idea  dana@example.com                                2026-12-06  2026-12-08
             COPY   spring-sale/copy  noa@example.com (backup for yossi@example.com)  2026-12-06  2026-12-08

טיפ שבועי    COPY   tip/copy          (no one)                                        2026-12-06  2026-12-08

warning: tip/copy should have started on 2026-12-06.

3 tasks in 2 items; 1 warning.
";
        assert_eq!(text, expected);
    }

    #[test]
    fn one_item_keeps_its_own_tasks_and_warnings() {
        let s = sample();
        let view = View::item(&s, "tip").unwrap();
        assert_eq!(view.tasks.len(), 1);
        assert_eq!(view.warnings.len(), 1);
        let view = View::item(&s, "spring-sale").unwrap();
        assert_eq!(view.tasks.len(), 2);
        assert!(view.warnings.is_empty());
        assert!(View::item(&s, "spring").is_none());
    }

    #[test]
    fn json_keeps_hebrew_as_written() {
        let s = sample();
        let json = serde_json::to_string(&View::all(&s)).unwrap();
        assert!(json.contains("\"item_title\":\"טיפ שבועי\""), "{json}");
        assert!(json.starts_with("{\"tasks\":["));
        assert!(json.contains("\"warnings\":[{\"kind\":\"starts_in_past\""));
    }

    #[test]
    fn bad_today_says_how_to_write_a_date() {
        assert_eq!(parse_date("2026-12-10"), Ok(date(2026, 12, 10)));
        let err = parse_date("2026-13-01").unwrap_err();
        assert!(err.contains("YYYY-MM-DD"), "{err}");
    }
}
