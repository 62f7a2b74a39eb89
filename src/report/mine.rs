//! `throughline status --owner EMAIL` ("my tasks") and `status --item ID`: one person's work
//! by when it is due, and one item's tasks, each with whom it waits for.
//!
//! A person's task is in one section: blocked (with its reason), waiting (a stage it comes
//! after is not done yet; with whom it waits for), or else by its due date: overdue, today, or
//! this week. "This week" runs from tomorrow to the end of the playbook's work week (the day
//! before its first business weekday comes round again). Items at risk come first: go-live
//! within 5 business days with a late or blocked task.

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;
use serde::Serialize;
use throughline_connector::State;

use crate::model::Deployment;
use crate::schedule::{BusinessCalendar, Schedule, Task};
use crate::state::StatusRecord;

/// Go-live within this many business days, with a late or blocked task: the item is at risk.
pub const RISK_DAYS: u32 = 5;

/// A task it waits for, and who has it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitingOn {
    pub task: String,
    pub stage_name: String,
    pub owner: Option<String>,
    pub state: State,
    pub due: Date,
}

/// One task as "my tasks" and `--item` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskLine {
    pub task: String,
    pub item: String,
    /// `Item title: Stage name`.
    pub title: String,
    pub stage_name: String,
    pub owner: Option<String>,
    pub start: Date,
    pub due: Date,
    pub state: State,
    /// Business-day-blind days past due (0 when not late or done).
    pub days_late: i64,
    /// Why it is blocked, when it is.
    pub reason: Option<String>,
    /// The tasks before it that are not done yet.
    pub waits_for: Vec<WaitingOn>,
    /// Its item is at risk.
    pub at_risk: bool,
}

/// One person's tasks on `today`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MyTasks {
    pub today: Date,
    pub owner: String,
    pub overdue: Vec<TaskLine>,
    pub due_today: Vec<TaskLine>,
    pub this_week: Vec<TaskLine>,
    pub blocked: Vec<TaskLine>,
    /// Due by the end of this week (or late) but a stage before it is not done.
    pub waiting: Vec<TaskLine>,
    /// Open tasks due after this week, not listed one by one.
    pub later: usize,
}

/// One item's tasks on `today`, in stage order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemTasks {
    pub today: Date,
    pub item: String,
    pub title: String,
    pub golive: Date,
    pub at_risk: bool,
    pub tasks: Vec<TaskLine>,
}

/// What every view here reads: the schedule, the statuses, the waits, and the items at risk.
pub struct Facts<'a> {
    dep: &'a Deployment,
    schedule: &'a Schedule,
    by_id: HashMap<&'a str, &'a StatusRecord>,
    waits: HashMap<String, Vec<String>>,
    tasks: HashMap<&'a str, &'a Task>,
    at_risk: HashSet<String>,
    today: Date,
}

impl<'a> Facts<'a> {
    pub fn new(
        dep: &'a Deployment,
        schedule: &'a Schedule,
        statuses: &'a [StatusRecord],
        today: Date,
    ) -> Facts<'a> {
        let by_id: HashMap<&str, &StatusRecord> =
            statuses.iter().map(|s| (s.identity.as_str(), s)).collect();
        let mut facts = Facts {
            dep,
            schedule,
            by_id,
            waits: crate::schedule::waits_for(dep, schedule),
            tasks: schedule.tasks.iter().map(|t| (t.id.as_str(), t)).collect(),
            at_risk: HashSet::new(),
            today,
        };
        facts.at_risk = facts.items_at_risk();
        facts
    }

    fn state(&self, id: &str) -> State {
        self.by_id.get(id).map(|s| s.state).unwrap_or(State::Todo)
    }

    /// Items whose go-live is within [`RISK_DAYS`] business days of today (today included)
    /// and that have a late or blocked task.
    fn items_at_risk(&self) -> HashSet<String> {
        let mut out = HashSet::new();
        for t in &self.schedule.tasks {
            if out.contains(&t.item) {
                continue;
            }
            let state = self.state(&t.id);
            let troubled = state == State::Blocked || (state != State::Done && t.due < self.today);
            if troubled && self.golive_close(t) {
                out.insert(t.item.clone());
            }
        }
        out
    }

    fn golive_close(&self, t: &Task) -> bool {
        let Some(process) = self.dep.process(&t.process) else {
            return false;
        };
        let cal = BusinessCalendar::new(process);
        t.golive >= self.today && t.golive <= cal.forward(self.today, RISK_DAYS)
    }

    pub fn is_at_risk(&self, item: &str) -> bool {
        self.at_risk.contains(item)
    }

    fn line(&self, t: &Task) -> TaskLine {
        let record = self.by_id.get(t.id.as_str());
        let state = self.state(&t.id);
        let waits_for = self
            .waits
            .get(&t.id)
            .into_iter()
            .flatten()
            .filter(|id| self.state(id) != State::Done)
            .filter_map(|id| self.tasks.get(id.as_str()))
            .map(|b| WaitingOn {
                task: b.id.clone(),
                stage_name: b.stage_name.clone(),
                owner: b.owner.clone(),
                state: self.state(&b.id),
                due: b.due,
            })
            .collect();
        TaskLine {
            task: t.id.clone(),
            item: t.item.clone(),
            title: format!("{}: {}", t.item_title, t.stage_name),
            stage_name: t.stage_name.clone(),
            owner: t.owner.clone(),
            start: t.start,
            due: t.due,
            state,
            days_late: if state != State::Done && t.due < self.today {
                (self.today - t.due).get_days() as i64
            } else {
                0
            },
            reason: record
                .filter(|_| state == State::Blocked)
                .and_then(|r| r.reason.clone()),
            waits_for,
            at_risk: self.is_at_risk(&t.item),
        }
    }

    /// The last day of this week: the day before the playbook's first business weekday
    /// comes round after today.
    fn week_end(&self, t: &Task) -> Date {
        let Some(process) = self.dep.process(&t.process) else {
            return self.today;
        };
        let week = &process.workweek;
        let starts = week
            .iter()
            .find(|d| !week.contains(&d.previous()))
            .copied()
            .unwrap_or(jiff::civil::Weekday::Monday);
        let mut day = self.today;
        for _ in 0..7 {
            match day.tomorrow() {
                Ok(next) if next.weekday() != starts => day = next,
                _ => break,
            }
        }
        day
    }

    /// `owner`'s open tasks (matched without case).
    pub fn my_tasks(&self, owner: &str) -> MyTasks {
        let mut out = MyTasks {
            today: self.today,
            owner: owner.to_string(),
            overdue: Vec::new(),
            due_today: Vec::new(),
            this_week: Vec::new(),
            blocked: Vec::new(),
            waiting: Vec::new(),
            later: 0,
        };
        for t in &self.schedule.tasks {
            if !t
                .owner
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(owner))
            {
                continue;
            }
            let line = self.line(t);
            let soon = t.due <= self.week_end(t);
            match line.state {
                State::Done => {}
                State::Blocked => out.blocked.push(line),
                _ if !soon => out.later += 1,
                _ if !line.waits_for.is_empty() => out.waiting.push(line),
                _ if t.due < self.today => out.overdue.push(line),
                _ if t.due == self.today => out.due_today.push(line),
                _ => out.this_week.push(line),
            }
        }
        for section in [
            &mut out.overdue,
            &mut out.due_today,
            &mut out.this_week,
            &mut out.blocked,
            &mut out.waiting,
        ] {
            risky_first(section);
        }
        out
    }

    /// One item's tasks, `None` when the schedule has no such item.
    pub fn item(&self, item: &str) -> Option<ItemTasks> {
        let first = self.schedule.tasks.iter().find(|t| t.item == item)?;
        Some(ItemTasks {
            today: self.today,
            item: item.to_string(),
            title: first.item_title.clone(),
            golive: first.golive,
            at_risk: self.is_at_risk(item),
            tasks: self
                .schedule
                .tasks
                .iter()
                .filter(|t| t.item == item)
                .map(|t| self.line(t))
                .collect(),
        })
    }
}

/// Tasks of items at risk first, then by due date.
fn risky_first(lines: &mut [TaskLine]) {
    lines.sort_by(|a, b| {
        b.at_risk
            .cmp(&a.at_risk)
            .then(a.due.cmp(&b.due))
            .then(a.task.cmp(&b.task))
    });
}
