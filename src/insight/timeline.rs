//! Per item, each task's plan next to what happened (see the module doc of [`super`]).

use jiff::civil::Date;
use serde::Serialize;

use super::Ctx;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemTimeline {
    pub item: String,
    pub process: String,
    pub golive: Date,
    pub tasks: Vec<TaskTimeline>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TaskTimeline {
    pub task: String,
    pub stage: String,
    pub owner: Option<String>,
    pub planned_start: Date,
    pub planned_due: Date,
    /// The day it could start; `None` while a stage it waits for is open.
    pub ready: Option<Date>,
    pub done: Option<Date>,
    /// Done after its due date, or open past it.
    pub late: bool,
}

pub(super) fn timeline(ctx: &Ctx) -> Vec<ItemTimeline> {
    let mut out: Vec<ItemTimeline> = ctx
        .items(|i| ctx.shown(i))
        .into_iter()
        .filter(|(_, tasks)| {
            tasks.iter().any(|&i| {
                let t = ctx.task(i);
                ctx.in_period(t.due)
                    || ctx.in_period(t.golive)
                    || ctx.facts[i].done.is_some_and(|d| ctx.in_period(d))
            })
        })
        .map(|(item, tasks)| {
            let first = ctx.task(tasks[0]);
            ItemTimeline {
                item: item.to_string(),
                process: first.process.clone(),
                golive: first.golive,
                tasks: tasks
                    .iter()
                    .map(|&i| {
                        let t = ctx.task(i);
                        let f = &ctx.facts[i];
                        let late = match f.done {
                            Some(d) => d > t.due,
                            None => ctx.today(i).is_some_and(|today| today > t.due),
                        };
                        TaskTimeline {
                            task: t.id.clone(),
                            stage: t.stage.clone(),
                            owner: t.owner.clone(),
                            planned_start: t.start,
                            planned_due: t.due,
                            ready: f.ready.map(|r| r.0),
                            done: f.done,
                            late,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.golive.cmp(&b.golive).then_with(|| a.item.cmp(&b.item)));
    out
}
