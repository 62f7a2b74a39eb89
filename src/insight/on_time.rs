//! On time (overall, by stage, person, item and week) and throughput.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;

use super::ctx::{median, monday, weeks};
use super::{Ctx, KeyRate, LateTask, OnTime, Rate, StageRate, WeekCount, stage_keys};

/// On time and late counts, read out as a [`Rate`].
#[derive(Default)]
struct Tally {
    on_time: u32,
    late: Vec<u32>,
}

impl Tally {
    fn add(&mut self, on_time: bool, lateness: u32) {
        if on_time {
            self.on_time += 1;
        } else {
            self.late.push(lateness);
        }
    }

    fn rate(mut self) -> Rate {
        let late = self.late.len() as u32;
        let counted = self.on_time + late;
        Rate {
            counted,
            on_time: self.on_time,
            late,
            rate: (counted > 0).then(|| f64::from(self.on_time) / f64::from(counted)),
            median_lateness: median(&mut self.late),
        }
    }
}

pub(super) fn on_time(ctx: &Ctx) -> OnTime {
    let mut overall = Tally::default();
    let mut by_stage: HashMap<(String, String), Tally> = HashMap::new();
    let mut by_person: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_item: Vec<(String, Tally)> = Vec::new();
    let mut item_pos: HashMap<&str, usize> = HashMap::new();
    let mut by_week: BTreeMap<Date, Tally> = BTreeMap::new();
    let mut late = Vec::new();
    for i in 0..ctx.input.tasks.len() {
        if !ctx.shown(i) {
            continue;
        }
        let Some((ok, lateness, done)) = ctx.timeliness(i) else {
            continue;
        };
        let t = ctx.task(i);
        overall.add(ok, lateness);
        by_stage
            .entry((t.process.clone(), t.stage.clone()))
            .or_default()
            .add(ok, lateness);
        if let Some(owner) = &t.owner {
            by_person
                .entry(owner.clone())
                .or_default()
                .add(ok, lateness);
        }
        let n = by_item.len();
        let k = *item_pos.entry(t.item.as_str()).or_insert(n);
        if k == n {
            by_item.push((t.item.clone(), Tally::default()));
        }
        by_item[k].1.add(ok, lateness);
        by_week.entry(monday(t.due)).or_default().add(ok, lateness);
        if !ok {
            late.push(LateTask {
                task: t.id.clone(),
                owner: t.owner.clone(),
                due: t.due,
                done,
                lateness,
            });
        }
    }
    let by_stage = stage_keys(ctx)
        .into_iter()
        .filter_map(|key| {
            let tally = by_stage.remove(&key)?;
            Some(StageRate {
                process: key.0,
                stage: key.1,
                rate: tally.rate(),
            })
        })
        .collect();
    let keyed = |(key, tally): (String, Tally)| KeyRate {
        key,
        rate: tally.rate(),
    };
    OnTime {
        overall: overall.rate(),
        by_stage,
        by_person: by_person.into_iter().map(keyed).collect(),
        by_item: by_item.into_iter().map(keyed).collect(),
        by_week: by_week
            .into_iter()
            .map(|(w, t)| keyed((w.to_string(), t)))
            .collect(),
        late,
    }
}

pub(super) fn throughput(ctx: &Ctx) -> Vec<WeekCount> {
    let mut counts: BTreeMap<Date, WeekCount> = weeks(ctx.input.since, ctx.input.until)
        .into_iter()
        .map(|w| {
            (
                w,
                WeekCount {
                    week: w,
                    done: 0,
                    on_time: 0,
                },
            )
        })
        .collect();
    for i in 0..ctx.input.tasks.len() {
        let Some(done) = ctx.facts[i].done else {
            continue;
        };
        if !ctx.in_period(done) || !ctx.shown(i) {
            continue;
        }
        if let Some(c) = counts.get_mut(&monday(done)) {
            c.done += 1;
            if done <= ctx.task(i).due {
                c.on_time += 1;
            }
        }
    }
    counts.into_values().collect()
}
