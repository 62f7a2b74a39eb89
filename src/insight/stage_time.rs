//! Stage time and work time per stage with their percentiles, and the aging of open tasks
//! against them.

use std::collections::HashMap;

use jiff::Timestamp;

use super::ctx::{days_of, percentile};
use super::{Aging, Ctx, StageTime, TaskTime, Zone};

pub(super) fn stage_time(ctx: &Ctx) -> Vec<StageTime> {
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

pub(super) fn stage_of<'s>(
    times: &'s [StageTime],
    process: &str,
    stage: &str,
) -> Option<&'s StageTime> {
    times
        .iter()
        .find(|s| s.process == process && s.stage == stage)
}

pub(super) fn aging(ctx: &Ctx, times: &[StageTime]) -> Vec<Aging> {
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
