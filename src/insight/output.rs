//! What comes out: a [`Report`] of plain, serialisable measurements (definitions in the
//! module doc of `insight`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::{CumulativeFlow, Forecast, ItemTimeline, Kpi, Replans};

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
    pub forecast: Forecast,
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
