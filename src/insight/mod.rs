//! The measuring half: scheduled tasks × status history × a period → measurements.
//!
//! Pure code, like `reconcile`: no I/O, no clock. The tasks (from `schedule`), the history
//! (the state store's [`StatusRecord`](crate::state::StatusRecord)s), the processes' calendars and the instant called "now"
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
//! | blocked | a stretch from a move into `blocked` to the next move out of it ([`blocked_spans`](crate::state::blocked_spans); still blocked: up to now). Its blocked days are the dates from the day it was blocked up to the day before it left `blocked` (still blocked: up to today), both counted; its blocked time is the stretch itself. Blocked before the task was ready does not count |
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

mod adoption;
mod bottleneck;
mod ctx;
mod flow;
mod forecast;
mod input;
mod kpi;
mod leaderboard;
mod load;
mod on_time;
mod output;
mod recommend;
mod replan;
mod stage_time;
#[cfg(test)]
mod tests;
mod timeline;

use ctx::Ctx;
use stage_time::stage_of;

pub(crate) use ctx::monday;
pub use ctx::percentile;
pub use flow::{CumulativeFlow, StageFlow, StateCounts};
pub use forecast::{AT_RISK_BELOW, FORECAST_RUNS, FORECAST_SEED, Forecast, ItemForecast};
pub use input::{Filter, Input, ProcessInput, RoleInput, StageInput, TargetInput, TaskInput};
pub use kpi::{Kpi, KpiStatus, KpiValue, MetricInput, MetricReading};
pub use output::{
    Adoption, Aging, Bottleneck, Evidence, KeyRate, LateTask, Leaderboard, OnTime, Period,
    PersonAdoption, PersonLoad, Rate, Recommendation, Report, SnoozedRecommendation, StageRate,
    StageSlip, StageTime, Standing, TargetUpdates, TaskTime, WeekCount, WeekLoad, Zone,
};
pub use replan::{PlannedInput, Replanned, Replans, StageReplans};
pub use timeline::{ItemTimeline, TaskTimeline};

/// Measure everything.
pub fn measure(input: &Input) -> Report {
    let ctx = Ctx::new(input);
    let on_time = on_time::on_time(&ctx);
    let stage_time = stage_time::stage_time(&ctx);
    let aging = stage_time::aging(&ctx, &stage_time);
    let throughput = on_time::throughput(&ctx);
    let cumulative_flow = flow::cumulative_flow(&ctx);
    let timeline = timeline::timeline(&ctx);
    let bottleneck = bottleneck::bottleneck(&ctx);
    let load = load::load(&ctx);
    let forecast = forecast::forecast(&ctx, &stage_time);
    let adoption = adoption::adoption(&ctx);
    let leaderboard = leaderboard::leaderboard(&ctx);
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
