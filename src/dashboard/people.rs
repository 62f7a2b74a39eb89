//! People: each person's "my tasks" (overdue, today, this week, blocked, waiting, as
//! `throughline status --owner` shows them), and how much they carry now against their role's
//! `max_parallel`.

use std::collections::BTreeSet;
use std::fmt::Write;

use throughline_connector::State;

use super::PageError;
use super::page::{self, Ctx, Nav, badge, item_link, section};
use crate::report::charts::escape;
use crate::report::mine::{Facts, MyTasks, TaskLine};

/// One person's load now.
struct Load {
    person: String,
    /// Open tasks being worked on, or whose planned days include today.
    now: usize,
    max_parallel: Option<u32>,
}

/// Everyone with a role or a task, by address.
fn people(ctx: &Ctx) -> Vec<String> {
    let dep = &ctx.model.dep;
    let mut out: BTreeSet<String> = dep
        .processes
        .iter()
        .flat_map(|p| &p.roles)
        .flat_map(|r| r.people.iter().chain(&r.backup))
        .cloned()
        .collect();
    out.extend(
        ctx.model
            .schedule
            .tasks
            .iter()
            .filter_map(|t| t.owner.clone()),
    );
    out.into_iter().collect()
}

fn loads(ctx: &Ctx, people: &[String]) -> Vec<Load> {
    let index = ctx.status_index();
    people
        .iter()
        .map(|person| {
            let now = ctx
                .model
                .schedule
                .tasks
                .iter()
                .filter(|t| t.owner.as_deref() == Some(person.as_str()))
                .filter(|t| {
                    let s = ctx.state_of(&index, &t.id);
                    s == State::Doing
                        || (s != State::Done && t.start <= ctx.today && ctx.today <= t.due)
                })
                .count();
            let max_parallel = ctx
                .model
                .dep
                .processes
                .iter()
                .flat_map(|p| &p.roles)
                .filter(|r| r.people.contains(person))
                .filter_map(|r| r.max_parallel)
                .min();
            Load {
                person: person.clone(),
                now,
                max_parallel,
            }
        })
        .collect()
}

/// The people page.
pub fn render(ctx: &Ctx) -> Result<String, PageError> {
    let w = ctx.w;
    let facts = Facts::new(
        &ctx.model.dep,
        &ctx.model.schedule,
        &ctx.statuses,
        ctx.today,
    );
    let people = people(ctx);
    let loads = loads(ctx, &people);
    let mut body = String::new();
    section(&mut body, "load", w.load, w.load_desc);
    load_table(&mut body, ctx, &loads);
    body.push_str("</section><div class=\"people\">");
    for (i, load) in loads.iter().enumerate() {
        person(&mut body, ctx, i, &facts.my_tasks(&load.person), load);
    }
    body.push_str("</div>");
    Ok(page::frame(ctx, Nav::People, w.people, &body))
}

fn meter(now: usize, max: Option<u32>) -> String {
    let cap = max.map_or(now.max(1), |m| (m as usize).max(1));
    let pct = (now as f64 * 100.0 / cap as f64).min(100.0);
    let over = max.is_some_and(|m| now > m as usize);
    format!(
        "<span class=\"meter{}\" aria-hidden=\"true\"><span class=\"{}\"></span></span>",
        if over { " over" } else { "" },
        page::width_class(pct)
    )
}

fn load_table(out: &mut String, ctx: &Ctx, loads: &[Load]) {
    let w = ctx.w;
    let rows: Vec<Vec<String>> = loads
        .iter()
        .map(|l| {
            let max = l.max_parallel.map_or("–".to_string(), |m| m.to_string());
            let over = l.max_parallel.is_some_and(|m| l.now > m as usize);
            let mut cell = meter(l.now, l.max_parallel);
            if over {
                let _ = write!(
                    cell,
                    " <span class=\"badge risk\">{}</span>",
                    escape(w.over)
                );
            }
            vec![
                format!(
                    "<a href=\"#person-{}\">{}</a>",
                    slug(&l.person),
                    escape(&ctx.person(&l.person))
                ),
                cell,
                l.now.to_string(),
                max,
            ]
        })
        .collect();
    page::table(
        out,
        "",
        &[w.owner, w.load, w.open_now, w.max_parallel],
        &[2, 3],
        &rows,
    );
}

/// An anchor id from an address: letters and digits kept, the rest `-`.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn person(out: &mut String, ctx: &Ctx, i: usize, mine: &MyTasks, load: &Load) {
    let w = ctx.w;
    let name = ctx.person(&load.person);
    let _ = write!(
        out,
        "<section id=\"person-{}\" aria-labelledby=\"p{i}-h\"><h2 id=\"p{i}-h\">{}</h2><p class=\"desc\">{}</p><div class=\"counts\">",
        slug(&load.person),
        escape(&name),
        escape(&load.person)
    );
    for (n, label, class) in [
        (mine.overdue.len(), w.overdue, "risk"),
        (mine.due_today.len(), w.due_today, "doing"),
        (mine.this_week.len(), w.this_week, "todo"),
        (mine.blocked.len(), w.blocked, "blocked"),
        (mine.waiting.len(), w.waiting, "todo"),
        (mine.later, w.later, "todo"),
    ] {
        let _ = write!(
            out,
            "<span class=\"badge {class}\">{} {n}</span>",
            escape(label)
        );
    }
    out.push_str("</div>");
    for (label, lines) in [
        (w.overdue, &mine.overdue),
        (w.due_today, &mine.due_today),
        (w.this_week, &mine.this_week),
        (w.blocked, &mine.blocked),
        (w.waiting, &mine.waiting),
    ] {
        task_list(out, ctx, label, lines);
    }
    out.push_str("</section>");
}

fn task_list(out: &mut String, ctx: &Ctx, label: &str, lines: &[TaskLine]) {
    if lines.is_empty() {
        return;
    }
    let w = ctx.w;
    let _ = write!(
        out,
        "<h3>{} ({})</h3><ul class=\"links\">",
        escape(label),
        lines.len()
    );
    for l in lines.iter().take(12) {
        let mut extra = String::new();
        if l.days_late > 0 {
            let _ = write!(extra, " <span class=\"late\">+{}</span>", l.days_late);
        }
        if let Some(r) = &l.reason {
            let _ = write!(extra, " · {}", escape(r));
        }
        if l.at_risk {
            let _ = write!(
                extra,
                " <span class=\"badge risk\">{}</span>",
                escape(w.at_risk)
            );
        }
        let _ = write!(
            out,
            "<li>{} {} · {}{extra}</li>",
            item_link(&l.item, &l.title),
            badge(w, l.state),
            l.due
        );
    }
    if lines.len() > 12 {
        let _ = write!(out, "<li>… {}</li>", lines.len() - 12);
    }
    out.push_str("</ul>");
}
