//! The lookups every measure shares: each task's [`Facts`] (done, ready, blocked) read once
//! from the history, and the calendar arithmetic of the definitions.

use std::collections::HashMap;

use jiff::civil::{Date, Time};
use jiff::{Timestamp, ToSpan};
use throughline_connector::State;

use super::{Input, ProcessInput, StageInput, TaskInput};
use crate::schedule::BusinessCalendar;
use crate::state::{BlockedSpan, StatusRecord, blocked_spans};

/// What the history says about one task.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub done_at: Option<Timestamp>,
    pub done: Option<Date>,
    pub first_doing: Option<Timestamp>,
    /// Ready day and instant (see the definitions); `None` while something it waits for is open.
    pub ready: Option<(Date, Timestamp)>,
    /// Its blocked stretches, oldest first.
    pub blocked: Vec<BlockedSpan>,
}

/// Shared lookups for the measures.
pub(crate) struct Ctx<'a> {
    pub input: &'a Input,
    pub processes: HashMap<&'a str, &'a ProcessInput>,
    pub facts: Vec<Facts>,
    /// (item, stage) → task index.
    pub by_item_stage: HashMap<(&'a str, &'a str), usize>,
    /// Task id → task index.
    pub task_index: HashMap<&'a str, usize>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(input: &'a Input) -> Self {
        let processes: HashMap<&str, &ProcessInput> =
            input.processes.iter().map(|p| (p.id.as_str(), p)).collect();
        let index: HashMap<&str, usize> = input
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let by_item_stage = input
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| ((t.item.as_str(), t.stage.as_str()), i))
            .collect();
        let mut records: Vec<&StatusRecord> = input
            .history
            .iter()
            .filter(|r| index.contains_key(r.identity.as_str()))
            .collect();
        // Stable: records of one instant keep their stored order.
        records.sort_by_key(|r| r.at);
        let mut facts = vec![Facts::default(); input.tasks.len()];
        let sorted: Vec<StatusRecord> = records.iter().map(|r| (*r).clone()).collect();
        for span in blocked_spans(&sorted) {
            facts[index[span.identity.as_str()]].blocked.push(span);
        }
        for r in records {
            let f = &mut facts[index[r.identity.as_str()]];
            match r.state {
                State::Done => {
                    if f.done_at.is_none() {
                        f.done_at = Some(r.at);
                    }
                }
                State::Doing => {
                    f.done_at = None;
                    f.first_doing.get_or_insert(r.at);
                }
                // Reopened, or waiting on someone: not done (yet).
                State::Todo | State::Blocked => f.done_at = None,
            }
        }
        let mut ctx = Ctx {
            input,
            processes,
            facts,
            by_item_stage,
            task_index: index,
        };
        for i in 0..input.tasks.len() {
            let Some(cal) = ctx.calendar(i) else { continue };
            let done = ctx.facts[i].done_at.map(|at| cal.today(at));
            ctx.facts[i].done = done;
        }
        for i in 0..input.tasks.len() {
            ctx.facts[i].ready = ctx.compute_ready(i);
        }
        ctx
    }

    pub fn task(&self, i: usize) -> &'a TaskInput {
        &self.input.tasks[i]
    }

    pub fn process(&self, i: usize) -> Option<&'a ProcessInput> {
        self.processes.get(self.task(i).process.as_str()).copied()
    }

    pub fn calendar(&self, i: usize) -> Option<&'a BusinessCalendar> {
        self.process(i).map(|p| &p.calendar)
    }

    pub fn stage(&self, i: usize) -> Option<&'a StageInput> {
        let t = self.task(i);
        self.process(i)?.stages.iter().find(|s| s.id == t.stage)
    }

    /// The item's tasks this task waits for.
    pub fn predecessors(&self, i: usize) -> Vec<usize> {
        let t = self.task(i);
        self.stage(i)
            .map(|s| {
                s.after
                    .iter()
                    .filter_map(|a| {
                        self.by_item_stage
                            .get(&(t.item.as_str(), a.as_str()))
                            .copied()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn compute_ready(&self, i: usize) -> Option<(Date, Timestamp)> {
        let cal = self.calendar(i)?;
        let preds = self.predecessors(i);
        if preds.is_empty() {
            let start = self.task(i).start;
            return Some((start, cal.at(start, Time::midnight())));
        }
        let last = preds
            .iter()
            .map(|&p| self.facts[p].done_at)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()?;
        Some((cal.after(cal.today(last)), last))
    }

    /// Items in task order, each with its tasks that pass `keep`.
    pub fn items(&self, keep: impl Fn(usize) -> bool) -> Vec<(&'a str, Vec<usize>)> {
        let mut out: Vec<(&'a str, Vec<usize>)> = Vec::new();
        let mut pos: HashMap<&str, usize> = HashMap::new();
        for i in (0..self.input.tasks.len()).filter(|&i| keep(i)) {
            let item = self.input.tasks[i].item.as_str();
            let n = out.len();
            let k = *pos.entry(item).or_insert(n);
            if k == n {
                out.push((item, Vec::new()));
            }
            out[k].1.push(i);
        }
        out
    }

    pub fn today(&self, i: usize) -> Option<Date> {
        Some(self.calendar(i)?.today(self.input.now))
    }

    pub fn in_period(&self, d: Date) -> bool {
        self.input.since <= d && d <= self.input.until
    }

    /// The task passes `--item` / `--person`.
    pub fn shown(&self, i: usize) -> bool {
        let t = self.task(i);
        let f = &self.input.filter;
        f.item.as_ref().is_none_or(|x| *x == t.item)
            && f.person
                .as_ref()
                .is_none_or(|p| t.owner.as_ref() == Some(p))
    }

    /// (on time, lateness) of a task due in the period that is done or past due; else `None`.
    pub fn timeliness(&self, i: usize) -> Option<(bool, u32, Option<Date>)> {
        let t = self.task(i);
        let cal = self.calendar(i)?;
        if !self.in_period(t.due) {
            return None;
        }
        let end = match self.facts[i].done {
            Some(done) => done,
            None => {
                let today = self.today(i)?;
                if today <= t.due {
                    return None;
                }
                today
            }
        };
        if end <= t.due {
            return Some((true, 0, self.facts[i].done));
        }
        let late = lateness(cal, t.due, end);
        Some((false, late, self.facts[i].done))
    }

    /// Business days in `from..=to` on which task `i` was blocked (see the definitions).
    pub fn blocked_days(&self, i: usize, from: Date, to: Date) -> u32 {
        let (Some(cal), Some(today)) = (self.calendar(i), self.today(i)) else {
            return 0;
        };
        // A set: two stretches of one day (blocked, freed, blocked again) count it once.
        let mut days = std::collections::BTreeSet::new();
        for span in &self.facts[i].blocked {
            let last = match span.until {
                Some(until) => cal.today(until).yesterday().ok(),
                None => Some(today),
            };
            let Some(last) = last.map(|l| l.min(to)) else {
                continue;
            };
            let mut d = cal.today(span.from).max(from);
            while d <= last {
                if cal.is_business_day(d) {
                    days.insert(d);
                }
                match d.tomorrow() {
                    Ok(next) => d = next,
                    Err(_) => break,
                }
            }
        }
        days.len() as u32
    }

    /// Seconds between two instants that task `i` was blocked.
    pub fn blocked_secs(&self, i: usize, from: Timestamp, to: Timestamp) -> i64 {
        self.facts[i]
            .blocked
            .iter()
            .map(|s| {
                let lo = s.from.max(from);
                let hi = s.until.unwrap_or(self.input.now).min(to);
                (hi.as_second() - lo.as_second()).max(0)
            })
            .sum()
    }

    /// Business days of stage time of a done task with a known ready day.
    pub fn stage_days(&self, i: usize) -> Option<u32> {
        let (ready, _) = self.facts[i].ready?;
        let done = self.facts[i].done?;
        Some(self.calendar(i)?.count(ready, done))
    }
}

/// Business days from the day after `due` to `end` (moved to the next business day).
pub(super) fn lateness(cal: &BusinessCalendar, due: Date, end: Date) -> u32 {
    let end = if cal.is_business_day(end) {
        end
    } else {
        cal.after(end)
    };
    cal.count(due.tomorrow().unwrap_or(due), end)
}

/// The Monday of a date's ISO week.
pub(crate) fn monday(d: Date) -> Date {
    let back = i64::from(d.weekday().to_monday_zero_offset());
    d.checked_sub(back.days()).unwrap_or(d)
}

/// Nearest-rank percentile of sorted values: the value at position ⌈p·n/100⌉.
pub fn percentile(sorted: &[u32], p: u32) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p as usize * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// The lower middle value.
pub(super) fn median(values: &mut [u32]) -> Option<u32> {
    values.sort_unstable();
    if values.is_empty() {
        None
    } else {
        Some(values[(values.len() - 1) / 2])
    }
}

/// Seconds as days, to one decimal (negative: 0).
pub(super) fn days_of(secs: i64) -> f64 {
    (secs.max(0) as f64 / 86_400.0 * 10.0).round() / 10.0
}

/// The Mondays of the period's weeks.
pub(super) fn weeks(since: Date, until: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut w = monday(since);
    while w <= until {
        out.push(w);
        match w.checked_add(7.days()) {
            Ok(next) => w = next,
            Err(_) => break,
        }
    }
    out
}
