//! The text of `status --owner` and `status --item`: aligned columns, coloured only when
//! asked (a terminal without `NO_COLOR`).

use std::fmt::Write;

use throughline::report::mine::{ItemTasks, MyTasks, TaskLine, WaitingOn};
use throughline_connector::State;

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

/// One row: its cells, and the colour of the whole row (if any).
struct Row {
    cells: Vec<String>,
    colour: Option<&'static str>,
}

/// Rows padded to the widest cell of each column; the last cell is not padded.
fn table(out: &mut String, rows: &[Row], color: bool) {
    let columns = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.cells.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::from("  ");
        for (c, cell) in r.cells.iter().enumerate() {
            if c + 1 == r.cells.len() {
                line.push_str(cell);
            } else {
                let pad = widths[c] - cell.chars().count();
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            }
        }
        let line = line.trim_end();
        match (color, r.colour) {
            (true, Some(c)) => {
                let _ = writeln!(out, "{c}{line}{RESET}");
            }
            _ => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
}

fn word(state: State) -> &'static str {
    match state {
        State::Todo => "to do",
        State::Doing => "doing",
        State::Blocked => "blocked",
        State::Done => "done",
    }
}

fn state_word(l: &TaskLine) -> String {
    let word = word(l.state);
    match l.days_late {
        0 => word.to_string(),
        1 => format!("{word}, 1 day late"),
        n => format!("{word}, {n} days late"),
    }
}

fn waiting_on(w: &WaitingOn) -> String {
    format!(
        "{} ({}, {}, due {})",
        w.stage_name,
        w.owner.as_deref().unwrap_or("nobody assigned"),
        word(w.state),
        w.due
    )
}

/// What else there is to say of a task: its item at risk, why it is blocked, whom it waits for.
fn notes(l: &TaskLine) -> String {
    let mut notes = Vec::new();
    if l.at_risk {
        notes.push("item at risk".to_string());
    }
    if l.state == State::Blocked {
        notes.push(format!(
            "reason: {}",
            l.reason.as_deref().unwrap_or("(none given)")
        ));
    }
    if !l.waits_for.is_empty() {
        let whom: Vec<String> = l.waits_for.iter().map(waiting_on).collect();
        notes.push(format!("waits for {}", whom.join(", ")));
    }
    notes.join("; ")
}

fn colour(l: &TaskLine) -> Option<&'static str> {
    match l.state {
        _ if l.at_risk && l.state != State::Done => Some(BOLD_RED),
        State::Done => Some(GREEN),
        State::Blocked => Some(YELLOW),
        _ if l.days_late > 0 => Some(RED),
        _ if !l.waits_for.is_empty() => Some(YELLOW),
        _ => None,
    }
}

pub fn render_mine(m: &MyTasks, color: bool) -> String {
    let mut out = format!("Tasks of {} (today {})\n", m.owner, m.today);
    let sections: [(&str, &Vec<TaskLine>); 5] = [
        ("Overdue", &m.overdue),
        ("Today", &m.due_today),
        ("This week", &m.this_week),
        ("Blocked", &m.blocked),
        ("Waiting", &m.waiting),
    ];
    // One table for every section, so the columns line up down the whole page.
    let rows: Vec<Row> = sections
        .iter()
        .flat_map(|(_, lines)| lines.iter())
        .map(|l| Row {
            cells: vec![
                l.task.clone(),
                l.title.clone(),
                format!("due {}", l.due),
                state_word(l),
                notes(l),
            ],
            colour: colour(l),
        })
        .collect();
    let mut whole = String::new();
    table(&mut whole, &rows, color);
    let mut lines = whole.lines();
    for (heading, section) in sections {
        if section.is_empty() {
            let _ = writeln!(out, "{heading}: none");
            continue;
        }
        let _ = writeln!(out, "{heading}");
        for line in lines.by_ref().take(section.len()) {
            let _ = writeln!(out, "{line}");
        }
    }
    match m.later {
        0 => {}
        1 => out.push_str("Later: 1 more task\n"),
        n => {
            let _ = writeln!(out, "Later: {n} more tasks");
        }
    }
    out
}

pub fn render_item(i: &ItemTasks, color: bool) -> String {
    let mut out = format!(
        "{} ({})  go-live {}{}  (today {})\n",
        i.item,
        i.title,
        i.golive,
        if i.at_risk { "  AT RISK" } else { "" },
        i.today
    );
    let rows: Vec<Row> = i
        .tasks
        .iter()
        .map(|l| Row {
            cells: vec![
                l.stage_name.clone(),
                l.owner
                    .clone()
                    .unwrap_or_else(|| "(nobody assigned)".into()),
                format!("{} → {}", l.start, l.due),
                state_word(l),
                notes(&TaskLine {
                    // The heading says it once already.
                    at_risk: false,
                    ..l.clone()
                }),
            ],
            colour: colour(l),
        })
        .collect();
    table(&mut out, &rows, color);
    out
}
