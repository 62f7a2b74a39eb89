//! Slip and the bottleneck: the stage with the most slip over late go-lives.

use std::collections::HashMap;

use super::{Bottleneck, Ctx, StageSlip, stage_keys};

/// Slip of a task (see the definitions), when it is measurable.
pub(super) fn slip(ctx: &Ctx, i: usize) -> Option<u32> {
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

pub(super) fn bottleneck(ctx: &Ctx) -> Option<Bottleneck> {
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
