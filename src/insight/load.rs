//! Load: per person and week, the most tasks open on one day against `max_parallel`.

use std::collections::BTreeMap;

use jiff::ToSpan;
use jiff::civil::Date;

use super::ctx::weeks;
use super::{Ctx, PersonLoad, WeekLoad};

pub(super) fn load(ctx: &Ctx) -> Vec<PersonLoad> {
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
