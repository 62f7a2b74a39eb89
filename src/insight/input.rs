//! What the measurements are made from: the tasks, processes, history and period of an [`Input`].

use jiff::Timestamp;
use jiff::civil::Date;

use super::{MetricInput, MetricReading, PlannedInput};
use crate::schedule::BusinessCalendar;
use crate::state::StatusRecord;

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
