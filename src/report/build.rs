//! The report's input from a deployment, its schedule and the state file: shared by
//! `throughline report` and the daemon's weekly review.

use jiff::Timestamp;
use jiff::civil::Date;

use super::html::Labels;
use crate::insight::{
    Filter, Input, MetricInput, MetricReading, PlannedInput, ProcessInput, TargetInput, TaskInput,
};
use crate::model::Deployment;
use crate::schedule::Schedule;
use crate::state::{MetricValue, PlannedDates, Snooze, StateError, StateStore, StatusRecord};

/// What the state file holds for a report.
#[derive(Debug, Default)]
pub struct Stored {
    pub history: Vec<StatusRecord>,
    pub metric_values: Vec<MetricValue>,
    pub snoozes: Vec<Snooze>,
    pub planned: Vec<PlannedDates>,
}

impl Stored {
    pub fn read(store: &dyn StateStore) -> Result<Stored, StateError> {
        Ok(Stored {
            history: store.all_status_history()?,
            metric_values: store.all_metric_values()?,
            snoozes: store.all_snoozes()?,
            planned: store.all_planned_history()?,
        })
    }
}

/// Which part of the deployment and history a report covers.
#[derive(Debug, Clone)]
pub struct Scope {
    pub since: Date,
    pub until: Date,
    /// Only this playbook's process.
    pub process: Option<String>,
    pub filter: Filter,
}

/// The measurements' input.
pub fn input(
    dep: &Deployment,
    schedule: &Schedule,
    now: Timestamp,
    scope: &Scope,
    stored: Stored,
) -> Input {
    let in_scope = |p: &str| scope.process.as_deref().is_none_or(|id| id == p);
    Input {
        now,
        since: scope.since,
        until: scope.until,
        processes: dep
            .processes
            .iter()
            .filter(|p| in_scope(&p.id))
            .map(ProcessInput::from_process)
            .collect(),
        tasks: schedule
            .tasks
            .iter()
            .filter(|t| in_scope(&t.process))
            .map(TaskInput::from)
            .collect(),
        history: stored.history,
        targets: dep
            .targets
            .iter()
            .map(|t| TargetInput {
                id: t.id.clone(),
                tool: t.kind.as_str().to_string(),
            })
            .collect(),
        metrics: dep
            .metrics
            .iter()
            .filter(|m| m.process.as_deref().is_none_or(in_scope))
            .map(|m| MetricInput {
                id: m.id.clone(),
                name: m.name.clone(),
                unit: m.unit.clone(),
                target: m.target,
                by: m.by,
                higher_is_better: m.higher_is_better,
                process: m.process.clone(),
            })
            .collect(),
        metric_values: stored
            .metric_values
            .into_iter()
            .map(|v| MetricReading {
                metric: v.metric,
                value: v.value,
                at: v.at,
                note: v.note,
            })
            .collect(),
        planned: stored
            .planned
            .into_iter()
            .map(|p| PlannedInput {
                identity: p.identity,
                due: p.due,
                at: p.at,
            })
            .collect(),
        snoozes: stored
            .snoozes
            .into_iter()
            .map(|s| (s.id, s.until))
            .collect(),
        filter: scope.filter.clone(),
    }
}

/// Names and direction for the HTML page and the workbook: right to left when the (first)
/// playbook reported is Hebrew.
pub fn labels(dep: &Deployment, schedule: &Schedule, process: Option<&str>) -> Labels {
    let processes: Vec<&crate::model::Process> = dep
        .processes
        .iter()
        .filter(|p| process.is_none_or(|id| id == p.id))
        .collect();
    Labels {
        rtl: processes.first().is_some_and(|p| p.lang.is_rtl()),
        title: processes
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        stages: processes
            .iter()
            .flat_map(|p| {
                p.stages
                    .iter()
                    .map(|s| ((p.id.clone(), s.id.clone()), s.name.clone()))
            })
            .collect(),
        items: schedule
            .tasks
            .iter()
            .map(|t| (t.item.clone(), t.item_title.clone()))
            .collect(),
    }
}
