//! The measuring half: scheduled tasks × status history × a period → measurements.
//!
//! Pure code, like `reconcile`: no I/O, no clock. The tasks (from `schedule`), the history
//! (the state store's [`StatusRecord`]s), the processes' calendars and the instant called "now"
//! all come in as an [`Input`]; a [`Report`] of plain, serialisable measurements goes out.
//! `throughline report` reads the files and renders it.
//!
//! Dates are the process's own: an instant becomes a date in the process's time zone, and
//! "business days" are that process's work week without its holidays. A week is an ISO week
//! (Monday to Sunday), named by its Monday. "Today" is the date of `now` in each process.
//!
//! Definitions, each computed from the history alone:
//!
//! | measure | definition |
//! |---------|------------|
//! | done | a task's last move into `done` (a later move out of `done` reopens it); its date is the done date |
//! | on time | done on or before its due date (by the end of that business day, process time zone). Counted for tasks due in the period that are done, or open past their due date (those are late) |
//! | lateness | business days from the day after the due date to the done date (open: to today), counted to the next business day when it falls on a day off; so a late task is at least 1 day late |
//! | ready | every stage the task waits for (its `after`, among the item's tasks) is done: the business day after the last of them was done; a task that waits for nothing: its planned start |
//! | blocked | a stretch from a move into `blocked` to the next move out of it ([`blocked_spans`]; still blocked: up to now). Its blocked days are the dates from the day it was blocked up to the day before it left `blocked` (still blocked: up to today), both counted; its blocked time is the stretch itself. Blocked before the task was ready does not count |
//! | stage time | business days from the ready day to the done date, both counted (0 when done before it was ready), less the business days the task was blocked in between; calendar days from the ready instant (the last predecessor's done instant, or 00:00 of the planned start) to the done instant, less the time it was blocked in between. Measured for tasks done in the period. Each task also gives its blocked business and calendar days; each stage the sum of its tasks' blocked business days (`blocked_days`) and how many of them were blocked at all (`blocked_tasks`) |
//! | work time | where a tool reported `doing`: from the first `doing` to done, business days (both counted) and calendar days, each less the time blocked in between |
//! | p50/p85/p95 | of a stage's stage times in business days, by nearest rank: the value at position ⌈p·n/100⌉ of the n sorted values |
//! | aging | every open task that is ready: business days from its ready day to today, both counted, less its blocked days (a task blocked now: its stretch up to today does not age it; `blocked_since` and `blocked_reason` say so), against its stage's percentiles: zone `to_p50` (age ≤ p50), `p50_p85`, `p85_p95`, `over_p95`, or `no_history` |
//! | throughput | tasks done per week of the period, and how many of them on time |
//! | cumulative flow | per stage and state, the tasks in that state at the end of each day of the period: a task counts from its first status record (when throughline first pushed it) and stands in the state of its last record on or before that day (records of checklist entries do not count) |
//! | timeline | per item with a task due, done or going live in the period, oldest go-live first: each task's planned start and due date next to its ready day and done day, and whether it is late (done after its due date, or open past it) |
//! | late go-live | an item whose last task due by go-live is due in the period and whose tasks due by go-live were not all done by that due date (open ones: today is past it); stages after go-live do not count |
//! | slip | a task's stage time beyond its planned `days` (business days, ≥ 0); an open ready task: its age beyond `days`. Here blocked days count: a go-live waits for them too |
//! | bottleneck | the stage with the most slip over the tasks of late go-lives; when no go-live was late, over every task due in the period. None when nothing slipped |
//! | load | per person and week: the most tasks open on one day of that week (a task is open from its planned start to its done date; not done: to its due date or today, whichever is later), against the smallest `max_parallel` of the roles the person's tasks belong to |
//! | forecast | per open item: [`FORECAST_RUNS`] Monte Carlo runs with a fixed seed per item; each open task takes a stage time drawn from its stage's measured stage times with their blocked days added back (elapsed time: a go-live waits for blocked time too; the planned `days` when none were measured), starts on its ready day, and cannot finish before today; a task already ready draws only from the times at least as long as its age (none: it finishes today). The item is ready when its last task due by go-live is (stages after go-live are left out); chance = share of runs ready on or before go-live; the 85 % date is the nearest-rank 85th percentile; `at_risk` when the chance is under 70 % |
//! | adoption | status updates from tools (the hub's own first record is not one) in the period, per person and target. An update counts for the person the tool names; a tool that names nobody (a workbook) counts it for the task's owner. A person's own share: of their tasks that got an update, those they updated themselves; days since last update: from the date of their last update ever to today. Targets without any update in the period are listed as unused |
//! | kpis | per success metric (`[[metric]]`): every value measured up to the period's last day (its date in the metric's process time zone), each against the target (`higher_is_better`: at least the target, else at most); status `met` (the latest value reaches it), `missed` (not reached and its `by` day has passed), `open`, or `no_data` |
//! | replans | for tasks due in the period: the due date as first pushed against the latest pushed (the state file keeps each change), how often it changed and how many business days it moved (negative: earlier); per stage the replanned tasks and the business days moved later |
//! | leaderboard | per person (the task's owner) and per role: tasks done on time in the week of the period's last day, and in its calendar month |
//!
//! Recommendations are rules over these measurements. One a person snoozed (`report --snooze ID
//! --until DATE`) is left out until that day (today, in the first process's time zone, is before
//! it) and listed under `snoozed` instead. Each has a stable id (the rule and what
//! it is about), a text, the evidence (numbers and task ids) and, where the playbook can say
//! it, the change as a TOML diff of the playbook file. Nothing is ever applied.
//!
//! | id | fires when | change |
//! |----|------------|--------|
//! | `late-stage/PROCESS/STAGE` | ≥ 2 of the stage's tasks were late and at least half of them | `days` + the median lateness |
//! | `stage-p85/PROCESS/STAGE` | ≥ 3 stage times measured, p85 > planned `days` (and `late-stage` did not fire) | `days` = p85 |
//! | `over-parallel/PERSON` | over `max_parallel` in ≥ 2 weeks and in more than half of the weeks they had work | a second person in the role |
//! | `tool-unused/TARGET` | nobody updated a status in that target during the period, while another target was updated | none: ask the team |

mod flow;
mod forecast;
mod kpi;
mod recommend;
mod replan;
#[cfg(test)]
mod tests;
mod timeline;

use std::collections::{BTreeMap, HashMap};

use jiff::civil::{Date, Time};
use jiff::{Timestamp, ToSpan};
use serde::Serialize;
use throughline_connector::State;
use throughline_connector::identity::Identity;

use crate::schedule::BusinessCalendar;
use crate::state::{BlockedSpan, StatusRecord, blocked_spans};

pub use flow::{CumulativeFlow, StageFlow, StateCounts};
pub use forecast::{FORECAST_RUNS, FORECAST_SEED};
pub use kpi::{Kpi, KpiStatus, KpiValue, MetricInput, MetricReading};
pub use replan::{PlannedInput, Replanned, Replans, StageReplans};
pub use timeline::{ItemTimeline, TaskTimeline};

/// Everything the measurements are made from.
#[derive(Debug, Clone)]
pub struct Input {
    /// The instant measured at (the run's clock).
    pub now: Timestamp,
    /// First and last day of the period, both included.
    pub since: Date,
    pub until: Date,
    pub processes: Vec<ProcessInput>,
    pub tasks: Vec<TaskInput>,
    /// Every status record, of tasks and checklist entries, in any order.
    pub history: Vec<StatusRecord>,
    pub targets: Vec<TargetInput>,
    /// Success metrics (`[[metric]]`) and their measured values.
    pub metrics: Vec<MetricInput>,
    pub metric_values: Vec<MetricReading>,
    /// Recommendations a person snoozed: (id, the day it shows again).
    pub snoozes: Vec<(String, Date)>,
    /// Each task's due date as pushed (the state file's planned-dates history).
    pub planned: Vec<PlannedInput>,
    /// Narrow what is reported (never what percentiles are measured from).
    pub filter: Filter,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub item: Option<String>,
    pub person: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ProcessInput {
    pub id: String,
    /// The playbook file, as the recommendations' diffs name it.
    pub file: String,
    pub calendar: BusinessCalendar,
    /// In playbook order.
    pub stages: Vec<StageInput>,
    pub roles: Vec<RoleInput>,
}

#[derive(Debug, Clone)]
pub struct StageInput {
    pub id: String,
    pub role: String,
    pub days: u32,
    pub after: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RoleInput {
    pub id: String,
    pub people: Vec<String>,
    pub max_parallel: Option<u32>,
}

/// One scheduled task.
#[derive(Debug, Clone)]
pub struct TaskInput {
    /// `item/stage`
    pub id: String,
    pub item: String,
    pub process: String,
    pub stage: String,
    pub role: String,
    pub owner: Option<String>,
    pub start: Date,
    pub due: Date,
    pub golive: Date,
}

#[derive(Debug, Clone)]
pub struct TargetInput {
    pub id: String,
    /// `excel`, `trello`, …
    pub tool: String,
}

impl ProcessInput {
    pub fn from_process(p: &crate::model::Process) -> Self {
        ProcessInput {
            id: p.id.clone(),
            file: p.file.display().to_string(),
            calendar: BusinessCalendar::new(p),
            stages: p
                .stages
                .iter()
                .map(|s| StageInput {
                    id: s.id.clone(),
                    role: s.owner.clone(),
                    days: s.days,
                    after: s.after.clone(),
                })
                .collect(),
            roles: p
                .roles
                .iter()
                .map(|r| RoleInput {
                    id: r.id.clone(),
                    people: r.people.clone(),
                    max_parallel: r.max_parallel,
                })
                .collect(),
        }
    }
}

impl From<&crate::schedule::Task> for TaskInput {
    fn from(t: &crate::schedule::Task) -> Self {
        TaskInput {
            id: t.id.clone(),
            item: t.item.clone(),
            process: t.process.clone(),
            stage: t.stage.clone(),
            role: t.role.clone(),
            owner: t.owner.clone(),
            start: t.start,
            due: t.due,
            golive: t.golive,
        }
    }
}

/// All measurements of one period.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub period: Period,
    pub on_time: OnTime,
    pub stage_time: Vec<StageTime>,
    pub aging: Vec<Aging>,
    pub throughput: Vec<WeekCount>,
    pub cumulative_flow: CumulativeFlow,
    pub timeline: Vec<ItemTimeline>,
    pub bottleneck: Option<Bottleneck>,
    pub load: Vec<PersonLoad>,
    pub forecast: forecast::Forecast,
    pub adoption: Adoption,
    pub leaderboard: Leaderboard,
    pub kpis: Vec<Kpi>,
    pub replans: Replans,
    pub recommendations: Vec<Recommendation>,
    /// Recommendations that fire but are snoozed until a later day (hidden above).
    pub snoozed: Vec<SnoozedRecommendation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub since: Date,
    pub until: Date,
    pub now: Timestamp,
}

/// On time out of counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rate {
    pub counted: u32,
    pub on_time: u32,
    pub late: u32,
    /// on_time / counted; `None` when nothing was counted.
    pub rate: Option<f64>,
    /// Median lateness of the late ones (business days; the lower middle of an even count).
    pub median_lateness: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OnTime {
    pub overall: Rate,
    pub by_stage: Vec<StageRate>,
    pub by_person: Vec<KeyRate>,
    pub by_item: Vec<KeyRate>,
    /// By the week of the due date.
    pub by_week: Vec<KeyRate>,
    pub late: Vec<LateTask>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageRate {
    pub process: String,
    pub stage: String,
    #[serde(flatten)]
    pub rate: Rate,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyRate {
    pub key: String,
    #[serde(flatten)]
    pub rate: Rate,
}

#[derive(Debug, Clone, Serialize)]
pub struct LateTask {
    pub task: String,
    pub owner: Option<String>,
    pub due: Date,
    /// `None`: still open.
    pub done: Option<Date>,
    pub lateness: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageTime {
    pub process: String,
    pub stage: String,
    pub planned_days: u32,
    pub count: u32,
    pub p50: Option<u32>,
    pub p85: Option<u32>,
    pub p95: Option<u32>,
    /// Work time (first `doing` to done) percentiles, where tools reported `doing`.
    pub work_count: u32,
    pub work_p50: Option<u32>,
    pub work_p85: Option<u32>,
    pub work_p95: Option<u32>,
    /// Business days its measured tasks were blocked (kept out of the times above), summed.
    pub blocked_days: u32,
    /// Its measured tasks that were blocked at least once while measured.
    pub blocked_tasks: u32,
    pub tasks: Vec<TaskTime>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskTime {
    pub task: String,
    pub ready: Date,
    pub done: Date,
    pub business_days: u32,
    pub calendar_days: f64,
    pub work_business_days: Option<u32>,
    pub work_calendar_days: Option<f64>,
    /// Blocked between ready and done (left out of the stage and work times).
    pub blocked_business_days: u32,
    pub blocked_calendar_days: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    ToP50,
    P50P85,
    P85P95,
    OverP95,
    NoHistory,
}

#[derive(Debug, Clone, Serialize)]
pub struct Aging {
    pub task: String,
    pub process: String,
    pub stage: String,
    pub owner: Option<String>,
    pub ready: Date,
    pub due: Date,
    /// Business days since ready, blocked days left out.
    pub age: u32,
    /// Business days since ready it was blocked (left out of `age`).
    pub blocked_days: u32,
    /// Blocked now: since that day, and why.
    pub blocked_since: Option<Date>,
    pub blocked_reason: Option<String>,
    pub planned_days: u32,
    pub zone: Zone,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekCount {
    /// The Monday of the week.
    pub week: Date,
    pub done: u32,
    pub on_time: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bottleneck {
    pub process: String,
    pub stage: String,
    /// `late_golives` or `late_tasks`: what the slip was summed over.
    pub basis: String,
    pub late_items: Vec<String>,
    pub slip_days: u32,
    pub slipped_tasks: Vec<String>,
    /// Every stage with slip, most first (the bottleneck first).
    pub stages: Vec<StageSlip>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageSlip {
    pub process: String,
    pub stage: String,
    pub slip_days: u32,
    pub slipped_tasks: u32,
    pub tasks: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonLoad {
    pub person: String,
    pub roles: Vec<String>,
    pub max_parallel: Option<u32>,
    pub weeks: Vec<WeekLoad>,
    /// Weeks with work (peak > 0) and weeks over `max_parallel`.
    pub weeks_with_work: u32,
    pub weeks_over: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekLoad {
    pub week: Date,
    pub peak: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Adoption {
    pub people: Vec<PersonAdoption>,
    pub targets: Vec<TargetUpdates>,
    /// Targets nobody updated in the period.
    pub unused: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonAdoption {
    pub person: String,
    /// Target id → updates in the period.
    pub updates: BTreeMap<String, u32>,
    /// Their tasks that got an update in the period, and those they updated themselves.
    pub tasks_updated: u32,
    pub self_updated: u32,
    pub self_share: Option<f64>,
    pub last_update: Option<Date>,
    pub days_since_last_update: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetUpdates {
    pub target: String,
    pub tool: String,
    pub updates: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Leaderboard {
    /// The Monday of the week counted and the month (`YYYY-MM`).
    pub week: Date,
    pub month: String,
    pub people: Vec<Standing>,
    pub roles: Vec<Standing>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    pub name: String,
    pub week: u32,
    pub month: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub id: String,
    pub text: String,
    pub evidence: Evidence,
    /// A unified diff of the playbook; `None` when no playbook line says it.
    pub change: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    pub numbers: BTreeMap<String, f64>,
    pub tasks: Vec<String>,
}

/// A recommendation hidden until a day (`report --snooze ID --until DATE`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SnoozedRecommendation {
    pub id: String,
    /// The first day it shows again.
    pub until: Date,
    pub text: String,
}

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
    fn new(input: &'a Input) -> Self {
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
pub(crate) fn lateness(cal: &BusinessCalendar, due: Date, end: Date) -> u32 {
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
fn median(values: &mut [u32]) -> Option<u32> {
    values.sort_unstable();
    if values.is_empty() {
        None
    } else {
        Some(values[(values.len() - 1) / 2])
    }
}

/// Seconds as days, to one decimal (negative: 0).
fn days_of(secs: i64) -> f64 {
    (secs.max(0) as f64 / 86_400.0 * 10.0).round() / 10.0
}

#[derive(Default)]
struct Tally {
    on_time: u32,
    late: Vec<u32>,
}

impl Tally {
    fn add(&mut self, on_time: bool, lateness: u32) {
        if on_time {
            self.on_time += 1;
        } else {
            self.late.push(lateness);
        }
    }

    fn rate(mut self) -> Rate {
        let late = self.late.len() as u32;
        let counted = self.on_time + late;
        Rate {
            counted,
            on_time: self.on_time,
            late,
            rate: (counted > 0).then(|| f64::from(self.on_time) / f64::from(counted)),
            median_lateness: median(&mut self.late),
        }
    }
}

/// Measure everything.
pub fn measure(input: &Input) -> Report {
    let ctx = Ctx::new(input);
    let on_time = on_time(&ctx);
    let stage_time = stage_time(&ctx);
    let aging = aging(&ctx, &stage_time);
    let throughput = throughput(&ctx);
    let cumulative_flow = flow::cumulative_flow(&ctx);
    let timeline = timeline::timeline(&ctx);
    let bottleneck = bottleneck(&ctx);
    let load = load(&ctx);
    let forecast = forecast::forecast(&ctx, &stage_time);
    let adoption = adoption(&ctx);
    let leaderboard = leaderboard(&ctx);
    let kpis = kpi::kpis(&ctx);
    let replans = replan::replans(&ctx);
    let mut report = Report {
        period: Period {
            since: input.since,
            until: input.until,
            now: input.now,
        },
        on_time,
        stage_time,
        aging,
        throughput,
        cumulative_flow,
        timeline,
        bottleneck,
        load,
        forecast,
        adoption,
        leaderboard,
        kpis,
        replans,
        recommendations: Vec::new(),
        snoozed: Vec::new(),
    };
    let today = input
        .processes
        .first()
        .map_or(input.until, |p| p.calendar.today(input.now));
    for rec in recommend::recommend(&ctx, &report) {
        match input
            .snoozes
            .iter()
            .filter(|(id, until)| *id == rec.id && today < *until)
            .map(|(_, until)| *until)
            .max()
        {
            Some(until) => report.snoozed.push(SnoozedRecommendation {
                id: rec.id,
                until,
                text: rec.text,
            }),
            None => report.recommendations.push(rec),
        }
    }
    report
}

/// Stage keys in playbook order: (process, stage).
fn stage_keys(ctx: &Ctx) -> Vec<(String, String)> {
    ctx.input
        .processes
        .iter()
        .flat_map(|p| p.stages.iter().map(|s| (p.id.clone(), s.id.clone())))
        .collect()
}

fn on_time(ctx: &Ctx) -> OnTime {
    let mut overall = Tally::default();
    let mut by_stage: HashMap<(String, String), Tally> = HashMap::new();
    let mut by_person: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_item: Vec<(String, Tally)> = Vec::new();
    let mut item_pos: HashMap<&str, usize> = HashMap::new();
    let mut by_week: BTreeMap<Date, Tally> = BTreeMap::new();
    let mut late = Vec::new();
    for i in 0..ctx.input.tasks.len() {
        if !ctx.shown(i) {
            continue;
        }
        let Some((ok, lateness, done)) = ctx.timeliness(i) else {
            continue;
        };
        let t = ctx.task(i);
        overall.add(ok, lateness);
        by_stage
            .entry((t.process.clone(), t.stage.clone()))
            .or_default()
            .add(ok, lateness);
        if let Some(owner) = &t.owner {
            by_person
                .entry(owner.clone())
                .or_default()
                .add(ok, lateness);
        }
        let n = by_item.len();
        let k = *item_pos.entry(t.item.as_str()).or_insert(n);
        if k == n {
            by_item.push((t.item.clone(), Tally::default()));
        }
        by_item[k].1.add(ok, lateness);
        by_week.entry(monday(t.due)).or_default().add(ok, lateness);
        if !ok {
            late.push(LateTask {
                task: t.id.clone(),
                owner: t.owner.clone(),
                due: t.due,
                done,
                lateness,
            });
        }
    }
    let by_stage = stage_keys(ctx)
        .into_iter()
        .filter_map(|key| {
            let tally = by_stage.remove(&key)?;
            Some(StageRate {
                process: key.0,
                stage: key.1,
                rate: tally.rate(),
            })
        })
        .collect();
    let keyed = |(key, tally): (String, Tally)| KeyRate {
        key,
        rate: tally.rate(),
    };
    OnTime {
        overall: overall.rate(),
        by_stage,
        by_person: by_person.into_iter().map(keyed).collect(),
        by_item: by_item.into_iter().map(keyed).collect(),
        by_week: by_week
            .into_iter()
            .map(|(w, t)| keyed((w.to_string(), t)))
            .collect(),
        late,
    }
}

fn stage_time(ctx: &Ctx) -> Vec<StageTime> {
    let mut per: HashMap<(&str, &str), Vec<TaskTime>> = HashMap::new();
    for i in 0..ctx.input.tasks.len() {
        let f = &ctx.facts[i];
        let (Some(done), Some(done_at), Some((ready, ready_at)), Some(cal)) =
            (f.done, f.done_at, f.ready, ctx.calendar(i))
        else {
            continue;
        };
        if !ctx.in_period(done) {
            continue;
        }
        let t = ctx.task(i);
        let work = f.first_doing.filter(|d| *d <= done_at);
        // Blocked time is kept apart: out of the stage and work times, reported beside them.
        let blocked = ctx.blocked_days(i, ready, done);
        let blocked_secs = ctx.blocked_secs(i, ready_at, done_at);
        let span = |from: Timestamp| done_at.as_second() - from.as_second();
        per.entry((t.process.as_str(), t.stage.as_str()))
            .or_default()
            .push(TaskTime {
                task: t.id.clone(),
                ready,
                done,
                business_days: cal.count(ready, done).saturating_sub(blocked),
                calendar_days: days_of(span(ready_at) - blocked_secs),
                work_business_days: work.map(|w| {
                    let day = cal.today(w);
                    cal.count(day, done)
                        .saturating_sub(ctx.blocked_days(i, day, done))
                }),
                work_calendar_days: work
                    .map(|w| days_of(span(w) - ctx.blocked_secs(i, w, done_at))),
                blocked_business_days: blocked,
                blocked_calendar_days: days_of(blocked_secs),
            });
    }
    let mut out = Vec::new();
    for p in &ctx.input.processes {
        for s in &p.stages {
            let tasks = per
                .remove(&(p.id.as_str(), s.id.as_str()))
                .unwrap_or_default();
            let mut days: Vec<u32> = tasks.iter().map(|t| t.business_days).collect();
            days.sort_unstable();
            let mut work: Vec<u32> = tasks.iter().filter_map(|t| t.work_business_days).collect();
            work.sort_unstable();
            out.push(StageTime {
                process: p.id.clone(),
                stage: s.id.clone(),
                planned_days: s.days,
                count: days.len() as u32,
                p50: percentile(&days, 50),
                p85: percentile(&days, 85),
                p95: percentile(&days, 95),
                work_count: work.len() as u32,
                work_p50: percentile(&work, 50),
                work_p85: percentile(&work, 85),
                work_p95: percentile(&work, 95),
                blocked_days: tasks.iter().map(|t| t.blocked_business_days).sum(),
                blocked_tasks: tasks
                    .iter()
                    .filter(|t| t.blocked_business_days > 0 || t.blocked_calendar_days > 0.0)
                    .count() as u32,
                tasks,
            });
        }
    }
    out
}

fn stage_of<'s>(times: &'s [StageTime], process: &str, stage: &str) -> Option<&'s StageTime> {
    times
        .iter()
        .find(|s| s.process == process && s.stage == stage)
}

fn aging(ctx: &Ctx, times: &[StageTime]) -> Vec<Aging> {
    let mut out = Vec::new();
    for i in 0..ctx.input.tasks.len() {
        let f = &ctx.facts[i];
        let (None, Some((ready, _)), Some(today), Some(cal)) =
            (f.done, f.ready, ctx.today(i), ctx.calendar(i))
        else {
            continue;
        };
        if ready > today || !ctx.shown(i) {
            continue;
        }
        let t = ctx.task(i);
        let blocked_days = ctx.blocked_days(i, ready, today);
        let age = cal.count(ready, today).saturating_sub(blocked_days);
        let now_blocked = f.blocked.last().filter(|s| s.until.is_none());
        let st = stage_of(times, &t.process, &t.stage);
        let zone = match st.and_then(|s| Some((s.p50?, s.p85?, s.p95?))) {
            None => Zone::NoHistory,
            Some((p50, _, _)) if age <= p50 => Zone::ToP50,
            Some((_, p85, _)) if age <= p85 => Zone::P50P85,
            Some((_, _, p95)) if age <= p95 => Zone::P85P95,
            Some(_) => Zone::OverP95,
        };
        out.push(Aging {
            task: t.id.clone(),
            process: t.process.clone(),
            stage: t.stage.clone(),
            owner: t.owner.clone(),
            ready,
            due: t.due,
            age,
            blocked_days,
            blocked_since: now_blocked.map(|s| cal.today(s.from)),
            blocked_reason: now_blocked.and_then(|s| s.reason.clone()),
            planned_days: ctx.stage(i).map_or(0, |s| s.days),
            zone,
        });
    }
    out.sort_by(|a, b| b.age.cmp(&a.age).then_with(|| a.task.cmp(&b.task)));
    out
}

/// The Mondays of the period's weeks.
fn weeks(since: Date, until: Date) -> Vec<Date> {
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

fn throughput(ctx: &Ctx) -> Vec<WeekCount> {
    let mut counts: BTreeMap<Date, WeekCount> = weeks(ctx.input.since, ctx.input.until)
        .into_iter()
        .map(|w| {
            (
                w,
                WeekCount {
                    week: w,
                    done: 0,
                    on_time: 0,
                },
            )
        })
        .collect();
    for i in 0..ctx.input.tasks.len() {
        let Some(done) = ctx.facts[i].done else {
            continue;
        };
        if !ctx.in_period(done) || !ctx.shown(i) {
            continue;
        }
        if let Some(c) = counts.get_mut(&monday(done)) {
            c.done += 1;
            if done <= ctx.task(i).due {
                c.on_time += 1;
            }
        }
    }
    counts.into_values().collect()
}

/// Slip of a task (see the definitions), when it is measurable.
fn slip(ctx: &Ctx, i: usize) -> Option<u32> {
    let days = ctx.stage(i)?.days;
    let taken = match ctx.facts[i].done {
        Some(_) => ctx.stage_days(i)?,
        None => {
            let (ready, _) = ctx.facts[i].ready?;
            ctx.calendar(i)?.count(ready, ctx.today(i)?)
        }
    };
    Some(taken.saturating_sub(days))
}

fn bottleneck(ctx: &Ctx) -> Option<Bottleneck> {
    let items = ctx.items(|i| ctx.shown(i));
    let mut late_items = Vec::new();
    let mut due_tasks = Vec::new();
    for (item, tasks) in &items {
        due_tasks.extend(tasks.iter().filter(|&&i| ctx.in_period(ctx.task(i).due)));
        // The go-live's own tasks: stages after go-live (`after_golive`) do not make it late.
        let before: Vec<usize> = tasks
            .iter()
            .copied()
            .filter(|&i| ctx.task(i).due <= ctx.task(i).golive)
            .collect();
        let Some(last_due) = before.iter().map(|&i| ctx.task(i).due).max() else {
            continue;
        };
        if !ctx.in_period(last_due) {
            continue;
        }
        let today = ctx.today(tasks[0])?;
        let late = before.iter().any(|&i| match ctx.facts[i].done {
            Some(d) => d > last_due,
            None => today > last_due,
        });
        if late {
            late_items.push((item.to_string(), tasks.clone()));
        }
    }
    let (basis, counted): (&str, Vec<usize>) = if late_items.is_empty() {
        ("late_tasks", due_tasks)
    } else {
        (
            "late_golives",
            late_items.iter().flat_map(|(_, t)| t.clone()).collect(),
        )
    };
    let mut per: HashMap<(&str, &str), (StageSlip, Vec<String>)> = HashMap::new();
    for &i in &counted {
        let t = ctx.task(i);
        let e = per
            .entry((t.process.as_str(), t.stage.as_str()))
            .or_insert_with(|| {
                (
                    StageSlip {
                        process: t.process.clone(),
                        stage: t.stage.clone(),
                        slip_days: 0,
                        slipped_tasks: 0,
                        tasks: 0,
                    },
                    Vec::new(),
                )
            });
        e.0.tasks += 1;
        if let Some(s) = slip(ctx, i).filter(|s| *s > 0) {
            e.0.slip_days += s;
            e.0.slipped_tasks += 1;
            e.1.push(t.id.clone());
        }
    }
    let order = stage_keys(ctx);
    let pos = |p: &str, s: &str| order.iter().position(|(a, b)| a == p && b == s);
    let mut stages: Vec<(StageSlip, Vec<String>)> =
        per.into_values().filter(|(s, _)| s.slip_days > 0).collect();
    stages.sort_by(|a, b| {
        b.0.slip_days
            .cmp(&a.0.slip_days)
            .then_with(|| pos(&a.0.process, &a.0.stage).cmp(&pos(&b.0.process, &b.0.stage)))
    });
    let (top, tasks) = stages.first()?.clone();
    Some(Bottleneck {
        process: top.process.clone(),
        stage: top.stage.clone(),
        basis: basis.to_string(),
        late_items: late_items.into_iter().map(|(i, _)| i).collect(),
        slip_days: top.slip_days,
        slipped_tasks: tasks,
        stages: stages.into_iter().map(|(s, _)| s).collect(),
    })
}

fn load(ctx: &Ctx) -> Vec<PersonLoad> {
    let mut per: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in 0..ctx.input.tasks.len() {
        if let Some(owner) = &ctx.task(i).owner
            && ctx.shown(i)
        {
            per.entry(owner.as_str()).or_default().push(i);
        }
    }
    let weeks = weeks(ctx.input.since, ctx.input.until);
    let mut out = Vec::new();
    for (person, tasks) in per {
        let spans: Vec<(Date, Date)> = tasks
            .iter()
            .filter_map(|&i| {
                let t = ctx.task(i);
                let end = match ctx.facts[i].done {
                    Some(d) => d,
                    None => t.due.max(ctx.today(i)?),
                };
                Some((t.start, end))
            })
            .collect();
        let mut roles: Vec<String> = tasks.iter().map(|&i| ctx.task(i).role.clone()).collect();
        roles.sort();
        roles.dedup();
        let max_parallel = tasks
            .iter()
            .filter_map(|&i| {
                let role = &ctx.task(i).role;
                ctx.process(i)?
                    .roles
                    .iter()
                    .find(|r| r.id == *role)?
                    .max_parallel
            })
            .min();
        let mut week_loads = Vec::new();
        for &w in &weeks {
            let peak = (0..7)
                .filter_map(|d| w.checked_add(d.days()).ok())
                .map(|day| spans.iter().filter(|(s, e)| *s <= day && day <= *e).count() as u32)
                .max()
                .unwrap_or(0);
            week_loads.push(WeekLoad { week: w, peak });
        }
        let weeks_with_work = week_loads.iter().filter(|w| w.peak > 0).count() as u32;
        let weeks_over = max_parallel.map_or(0, |m| {
            week_loads.iter().filter(|w| w.peak > m).count() as u32
        });
        out.push(PersonLoad {
            person: person.to_string(),
            roles,
            max_parallel,
            weeks: week_loads,
            weeks_with_work,
            weeks_over,
        });
    }
    out
}

/// The task an identity belongs to: itself, or for a checklist entry `item/stage/key` its task.
fn task_of(index: &HashMap<&str, usize>, identity: &str) -> Option<usize> {
    if let Some(&i) = index.get(identity) {
        return Some(i);
    }
    let task = Identity::parse(identity).ok()?.task_identity().to_string();
    index.get(task.as_str()).copied()
}

fn adoption(ctx: &Ctx) -> Adoption {
    let index = &ctx.task_index;
    let mut people: BTreeMap<String, PersonAdoption> = BTreeMap::new();
    let mut per_target: BTreeMap<&str, u32> = BTreeMap::new();
    // task → (updated by anyone, updated by its owner)
    let mut touched: HashMap<usize, bool> = HashMap::new();
    for r in &ctx.input.history {
        let (Some(target), Some(i)) = (r.source_target.as_deref(), task_of(index, &r.identity))
        else {
            continue;
        };
        let (Some(cal), t) = (ctx.calendar(i), ctx.task(i)) else {
            continue;
        };
        let Some(person) = r.source_person.clone().or_else(|| t.owner.clone()) else {
            continue;
        };
        let date = cal.today(r.at);
        if date > ctx.input.until {
            continue;
        }
        let entry = people
            .entry(person.clone())
            .or_insert_with(|| blank_adoption(&person));
        entry.last_update = entry.last_update.max(Some(date));
        if date < ctx.input.since {
            continue;
        }
        *entry.updates.entry(target.to_string()).or_default() += 1;
        *per_target.entry(target).or_default() += 1;
        let by_owner = t.owner.as_deref() == Some(person.as_str());
        let seen = touched.entry(i).or_default();
        *seen |= by_owner;
    }
    for (&i, &by_owner) in &touched {
        let Some(owner) = &ctx.task(i).owner else {
            continue;
        };
        let entry = people
            .entry(owner.clone())
            .or_insert_with(|| blank_adoption(owner));
        entry.tasks_updated += 1;
        entry.self_updated += u32::from(by_owner);
    }
    let targets = target_updates(ctx, &per_target);
    let unused = targets
        .iter()
        .filter(|t| t.updates == 0)
        .map(|t| t.target.clone())
        .collect();
    Adoption {
        people: adoption_people(ctx, people),
        targets,
        unused,
    }
}

/// A person with no update yet.
fn blank_adoption(person: &str) -> PersonAdoption {
    PersonAdoption {
        person: person.to_string(),
        updates: BTreeMap::new(),
        tasks_updated: 0,
        self_updated: 0,
        self_share: None,
        last_update: None,
        days_since_last_update: None,
    }
}

/// The people the filter keeps, with their self-update share and days since the last update,
/// sorted by name.
fn adoption_people(ctx: &Ctx, people: BTreeMap<String, PersonAdoption>) -> Vec<PersonAdoption> {
    let first_process_today = ctx
        .input
        .processes
        .first()
        .map(|p| p.calendar.today(ctx.input.now));
    let mut list: Vec<PersonAdoption> = people
        .into_values()
        .filter(|p| {
            ctx.input
                .filter
                .person
                .as_ref()
                .is_none_or(|x| *x == p.person)
        })
        .map(|mut p| {
            p.self_share = (p.tasks_updated > 0)
                .then(|| f64::from(p.self_updated) / f64::from(p.tasks_updated));
            p.days_since_last_update = match (p.last_update, first_process_today) {
                (Some(last), Some(today)) => Some((today - last).get_days()),
                _ => None,
            };
            p
        })
        .collect();
    list.sort_by(|a, b| a.person.cmp(&b.person));
    list
}

/// Every target with its count of updates in the period (zero when none).
fn target_updates(ctx: &Ctx, per_target: &BTreeMap<&str, u32>) -> Vec<TargetUpdates> {
    ctx.input
        .targets
        .iter()
        .map(|t| TargetUpdates {
            target: t.id.clone(),
            tool: t.tool.clone(),
            updates: per_target.get(t.id.as_str()).copied().unwrap_or(0),
        })
        .collect()
}

fn leaderboard(ctx: &Ctx) -> Leaderboard {
    let until = ctx.input.until;
    let week = monday(until);
    let month = format!("{:04}-{:02}", until.year(), until.month());
    let mut people: BTreeMap<String, Standing> = BTreeMap::new();
    let mut roles: BTreeMap<String, Standing> = BTreeMap::new();
    for i in 0..ctx.input.tasks.len() {
        let t = ctx.task(i);
        let Some(done) = ctx.facts[i].done else {
            continue;
        };
        if done > t.due || done > until || !ctx.shown(i) {
            continue;
        }
        let in_week = done >= week;
        let in_month = done.year() == until.year() && done.month() == until.month();
        if !in_month && !in_week {
            continue;
        }
        let bump = |map: &mut BTreeMap<String, Standing>, name: &str| {
            let s = map.entry(name.to_string()).or_insert_with(|| Standing {
                name: name.to_string(),
                week: 0,
                month: 0,
            });
            s.week += u32::from(in_week);
            s.month += u32::from(in_month);
        };
        if let Some(owner) = &t.owner {
            bump(&mut people, owner);
        }
        bump(&mut roles, &t.role);
    }
    let rank = |map: BTreeMap<String, Standing>| {
        let mut v: Vec<Standing> = map.into_values().collect();
        v.sort_by(|a, b| {
            b.week
                .cmp(&a.week)
                .then(b.month.cmp(&a.month))
                .then_with(|| a.name.cmp(&b.name))
        });
        v
    };
    Leaderboard {
        week,
        month,
        people: rank(people),
        roles: rank(roles),
    }
}
