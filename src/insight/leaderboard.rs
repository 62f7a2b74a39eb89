//! The leaderboard: tasks done on time in the last week and month, per person and role.

use std::collections::BTreeMap;

use super::ctx::monday;
use super::{Ctx, Leaderboard, Standing};

pub(super) fn leaderboard(ctx: &Ctx) -> Leaderboard {
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
