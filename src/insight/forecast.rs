//! Monte Carlo forecast of open items over the measured stage times (see the module doc).

use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use super::{Ctx, StageTime, stage_of};
use crate::schedule::BusinessCalendar;

/// Runs per item.
pub const FORECAST_RUNS: usize = 10_000;
/// The seed, mixed with each item's id so that one item's forecast does not depend on others.
pub const FORECAST_SEED: u64 = 0x7468_726f_7567_686c;
/// Items whose chance of being ready by go-live is under this are at risk.
pub const AT_RISK_BELOW: f64 = 0.70;

#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    pub runs: usize,
    pub seed: u64,
    pub items: Vec<ItemForecast>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemForecast {
    pub item: String,
    pub process: String,
    pub golive: Date,
    pub open_tasks: Vec<String>,
    /// Share of runs in which every task due by go-live is done on or before it (stages after
    /// go-live are left out).
    pub chance_by_golive: f64,
    /// Ready on or before this date in 85 % of the runs.
    pub date_p85: Date,
    pub at_risk: bool,
}

/// Business days from `lo` on, by position.
struct Days(Vec<Date>);

impl Days {
    fn new(cal: &BusinessCalendar, lo: Date, past: Date, extra: usize) -> Days {
        let mut days = Vec::new();
        let mut d = if cal.is_business_day(lo) {
            lo
        } else {
            cal.after(lo)
        };
        let mut beyond = 0;
        while beyond <= extra {
            days.push(d);
            if d > past {
                beyond += 1;
            }
            let next = cal.after(d);
            if next <= d {
                break;
            }
            d = next;
        }
        Days(days)
    }

    /// Position of the first business day on or after `d`.
    fn on_or_after(&self, d: Date) -> usize {
        self.0.partition_point(|x| *x < d).min(self.0.len() - 1)
    }

    /// Position of the last business day on or before `d` (0 before the first).
    fn on_or_before(&self, d: Date) -> usize {
        self.0.partition_point(|x| *x <= d).saturating_sub(1)
    }

    fn date(&self, i: usize) -> Date {
        self.0[i.min(self.0.len() - 1)]
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(crate) fn forecast(ctx: &Ctx, times: &[StageTime]) -> Forecast {
    let items = ctx.items(|_| true);
    let mut out = Vec::new();
    for (item, tasks) in items {
        if !tasks.iter().any(|&i| ctx.shown(i))
            || tasks.iter().all(|&i| ctx.facts[i].done.is_some())
        {
            continue;
        }
        if let Some(f) = forecast_item(ctx, times, item, &tasks) {
            out.push(f);
        }
    }
    Forecast {
        runs: FORECAST_RUNS,
        seed: FORECAST_SEED,
        items: out,
    }
}

fn forecast_item(
    ctx: &Ctx,
    times: &[StageTime],
    item: &str,
    tasks: &[usize],
) -> Option<ItemForecast> {
    let first = ctx.task(tasks[0]);
    let cal = ctx.calendar(tasks[0])?;
    let today = ctx.today(tasks[0])?;
    let preds = item_predecessors(ctx, tasks);
    let order = topological_order(&preds);
    let samples = stage_samples(ctx, times, tasks, cal, today);
    let lo = tasks
        .iter()
        .flat_map(|&i| [Some(ctx.task(i).start), ctx.facts[i].done])
        .flatten()
        .chain([today])
        .min()?;
    let extra: usize = samples
        .iter()
        .map(|s| s.iter().copied().max().unwrap_or(0) as usize + 1)
        .sum::<usize>()
        + 2;
    let days = Days::new(cal, lo, today.max(first.golive), extra);
    let today_idx = days.on_or_after(today);
    let mut rng = StdRng::seed_from_u64(FORECAST_SEED ^ fnv1a(item));
    // Ready for go-live means the tasks due by it; stages after go-live (`after_golive`)
    // run on afterwards and never make an item late for its go-live.
    let for_golive: Vec<bool> = tasks
        .iter()
        .map(|&i| ctx.task(i).due <= first.golive)
        .collect();
    // A done task ends at the same place in every run: placed once, so that a run only
    // draws for the open tasks (in the same order, so the same draws as one by one).
    let (mut finish, done_last) = done_ends(ctx, tasks, &days, &for_golive);
    // (position in `tasks`, the position of its planned start), in topological order.
    let open: Vec<(usize, usize)> = order
        .iter()
        .filter(|&&k| ctx.facts[tasks[k]].done.is_none())
        .map(|&k| (k, days.on_or_after(ctx.task(tasks[k]).start)))
        .collect();
    let mut results = Vec::with_capacity(FORECAST_RUNS);
    let mut by_golive = 0usize;
    for _ in 0..FORECAST_RUNS {
        let mut last = done_last;
        for &(k, start) in &open {
            let ready = match preds[k].iter().map(|&p| finish[p]).max() {
                Some(p) => p + 1,
                None => start,
            };
            let s = &samples[k];
            let d = s[rng.random_range(0..s.len())] as usize;
            finish[k] = (ready + d).saturating_sub(1).max(today_idx);
            if for_golive[k] {
                last = last.max(finish[k]);
            }
        }
        if days.date(last) <= first.golive {
            by_golive += 1;
        }
        results.push(last);
    }
    let rank = (85 * results.len()).div_ceil(100).max(1);
    // The value a full sort would put at `rank`, without sorting the rest.
    let (_, p85, _) = results.select_nth_unstable(rank - 1);
    let p85 = *p85;
    let chance = by_golive as f64 / FORECAST_RUNS as f64;
    Some(ItemForecast {
        item: item.to_string(),
        process: first.process.clone(),
        golive: first.golive,
        open_tasks: tasks
            .iter()
            .filter(|&&i| ctx.facts[i].done.is_none())
            .map(|&i| ctx.task(i).id.clone())
            .collect(),
        chance_by_golive: chance,
        date_p85: days.date(p85),
        at_risk: chance < AT_RISK_BELOW,
    })
}

/// Where each done task ends (its position in `days`; 0 for an open one), and the last of
/// those due by go-live (0 when none is done).
fn done_ends(ctx: &Ctx, tasks: &[usize], days: &Days, for_golive: &[bool]) -> (Vec<usize>, usize) {
    let ends: Vec<usize> = tasks
        .iter()
        .map(|&i| ctx.facts[i].done.map_or(0, |d| days.on_or_before(d)))
        .collect();
    let last = (0..tasks.len())
        .filter(|&k| for_golive[k] && ctx.facts[tasks[k]].done.is_some())
        .map(|k| ends[k])
        .max()
        .unwrap_or(0);
    (ends, last)
}

/// For each of the item's tasks, the positions (in `tasks`) of its predecessors.
fn item_predecessors(ctx: &Ctx, tasks: &[usize]) -> Vec<Vec<usize>> {
    tasks
        .iter()
        .map(|&i| {
            ctx.predecessors(i)
                .into_iter()
                .filter_map(|p| tasks.iter().position(|&t| t == p))
                .collect()
        })
        .collect()
}

/// Topological order over the item's own tasks; a cycle (never valid) keeps file order.
fn topological_order(preds: &[Vec<usize>]) -> Vec<usize> {
    let mut order = Vec::with_capacity(preds.len());
    let mut placed = vec![false; preds.len()];
    while order.len() < preds.len() {
        let before = order.len();
        for k in 0..preds.len() {
            if !placed[k] && preds[k].iter().all(|&p| placed[p]) {
                placed[k] = true;
                order.push(k);
            }
        }
        if order.len() == before {
            order.extend((0..preds.len()).filter(|&k| !placed[k]));
            break;
        }
    }
    order
}

/// Stage-time samples of each open task (none for a done one).
fn stage_samples(
    ctx: &Ctx,
    times: &[StageTime],
    tasks: &[usize],
    cal: &BusinessCalendar,
    today: Date,
) -> Vec<Vec<u32>> {
    tasks
        .iter()
        .map(|&i| {
            if ctx.facts[i].done.is_some() {
                return Vec::new();
            }
            let t = ctx.task(i);
            let mut measured: Vec<u32> = stage_of(times, &t.process, &t.stage)
                .map(|s| {
                    // Elapsed time: the go-live waits for blocked days too.
                    s.tasks
                        .iter()
                        .map(|x| x.business_days + x.blocked_business_days)
                        .collect()
                })
                .unwrap_or_default();
            if measured.is_empty() {
                measured.push(ctx.stage(i).map_or(0, |s| s.days));
            }
            // Already waiting `age` days: only as long or longer is still possible.
            match ctx.facts[i].ready {
                Some((ready, _)) if ready <= today => {
                    let age = cal.count(ready, today);
                    measured.retain(|&d| d >= age);
                    if measured.is_empty() {
                        measured.push(age);
                    }
                    measured
                }
                _ => measured,
            }
        })
        .collect()
}
