//! How far plans moved: each task's due date as first pushed against its latest (see the module
//! doc of [`super`]).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::Ctx;

/// A task's due date as one push carried it.
#[derive(Debug, Clone)]
pub struct PlannedInput {
    pub identity: String,
    pub due: Option<Date>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Replans {
    /// Tasks due in the period whose due date was pushed more than once with a change.
    pub tasks: Vec<Replanned>,
    /// Per stage, in playbook order (stages with a replanned task).
    pub by_stage: Vec<StageReplans>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Replanned {
    pub task: String,
    pub first_due: Date,
    pub due: Date,
    /// Times the due date changed.
    pub changes: u32,
    /// Business days from the first due date to the latest (negative: moved earlier).
    pub moved: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageReplans {
    pub process: String,
    pub stage: String,
    /// Tasks due in the period with a recorded plan.
    pub tasks: u32,
    pub replanned: u32,
    /// Business days the due dates moved later, summed.
    pub days_later: i64,
}

pub(super) fn replans(ctx: &Ctx) -> Replans {
    let mut dues: Vec<Vec<(Timestamp, Date)>> = vec![Vec::new(); ctx.input.tasks.len()];
    for p in &ctx.input.planned {
        if let (Some(&i), Some(due)) = (ctx.task_index.get(p.identity.as_str()), p.due) {
            dues[i].push((p.at, due));
        }
    }
    let mut out = Replans::default();
    let mut per: Vec<StageReplans> = super::stage_keys(ctx)
        .into_iter()
        .map(|(process, stage)| StageReplans {
            process,
            stage,
            tasks: 0,
            replanned: 0,
            days_later: 0,
        })
        .collect();
    for (i, mut list) in dues.into_iter().enumerate() {
        let t = ctx.task(i);
        if !ctx.shown(i) || !ctx.in_period(t.due) {
            continue;
        }
        let Some(cal) = ctx.calendar(i) else { continue };
        let stage = per
            .iter_mut()
            .find(|s| s.process == t.process && s.stage == t.stage);
        list.sort_by_key(|(at, _)| *at);
        list.dedup_by_key(|(_, due)| *due);
        let (Some(&(_, first)), Some(&(_, last))) = (list.first(), list.last()) else {
            continue;
        };
        let moved = if last >= first {
            i64::from(cal.count(first.tomorrow().unwrap_or(first), last))
        } else {
            -i64::from(cal.count(last.tomorrow().unwrap_or(last), first))
        };
        if let Some(s) = stage {
            s.tasks += 1;
            if list.len() > 1 {
                s.replanned += 1;
                s.days_later += moved.max(0);
            }
        }
        if list.len() > 1 {
            out.tasks.push(Replanned {
                task: t.id.clone(),
                first_due: first,
                due: last,
                changes: list.len() as u32 - 1,
                moved,
            });
        }
    }
    out.by_stage = per.into_iter().filter(|s| s.replanned > 0).collect();
    out
}
