//! Cumulative flow: how many tasks of each stage stood in each state at the end of every day
//! of the period (see the module doc of [`super`]).

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use throughline_connector::State;

use super::{Ctx, stage_keys};

/// Tasks per stage and state, one count per day of the period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CumulativeFlow {
    /// Every day of the period, in order.
    pub days: Vec<Date>,
    /// In playbook order.
    pub stages: Vec<StageFlow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageFlow {
    pub process: String,
    pub stage: String,
    /// In the order of the states (`todo`, `doing`, …, `done`): the tasks in each at the end
    /// of each day of `days`.
    pub states: Vec<StateCounts>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StateCounts {
    pub state: State,
    pub counts: Vec<u32>,
}

impl StageFlow {
    /// Tasks in `state` at the end of day `index`.
    pub fn count(&self, state: &str, index: usize) -> u32 {
        self.states
            .iter()
            .find(|s| s.state.as_str() == state)
            .and_then(|s| s.counts.get(index))
            .copied()
            .unwrap_or(0)
    }
}

/// The period's days; a period is at most a few years, so one entry per day is small.
fn period_days(since: Date, until: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = since;
    while d <= until {
        out.push(d);
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    out
}

pub(super) fn cumulative_flow(ctx: &Ctx) -> CumulativeFlow {
    let days = period_days(ctx.input.since, ctx.input.until);
    let n = days.len();
    // Each task's own records (not its checklist entries'), in time order.
    let mut changes: HashMap<usize, Vec<(Timestamp, State)>> = HashMap::new();
    for r in &ctx.input.history {
        if let Some(&i) = ctx.task_index.get(r.identity.as_str())
            && ctx.shown(i)
        {
            changes.entry(i).or_default().push((r.at, r.state));
        }
    }
    let keys = stage_keys(ctx);
    let key_pos: HashMap<(&str, &str), usize> = keys
        .iter()
        .enumerate()
        .map(|(k, (p, s))| ((p.as_str(), s.as_str()), k))
        .collect();
    // Per stage and state: +1 on the first day a task stands in it, −1 on the day it leaves.
    let mut diffs: Vec<BTreeMap<State, Vec<i64>>> = vec![BTreeMap::new(); keys.len()];
    for (i, mut list) in changes {
        let t = ctx.task(i);
        let (Some(&k), Some(cal)) = (
            key_pos.get(&(t.process.as_str(), t.stage.as_str())),
            ctx.calendar(i),
        ) else {
            continue;
        };
        // Stable: records of one instant keep their stored order, the last one wins.
        list.sort_by_key(|(at, _)| *at);
        // (first day index, state): the state at the end of each day from that index on.
        let mut spans: Vec<(usize, State)> = Vec::new();
        for (at, state) in list {
            let date = cal.today(at);
            if date > ctx.input.until {
                break;
            }
            let from = if date < ctx.input.since {
                0
            } else {
                (date - ctx.input.since).get_days() as usize
            };
            match spans.last_mut() {
                Some(last) if last.0 == from => last.1 = state,
                _ => spans.push((from, state)),
            }
        }
        for (j, &(from, state)) in spans.iter().enumerate() {
            let to = spans.get(j + 1).map_or(n, |s| s.0);
            let diff = diffs[k].entry(state).or_insert_with(|| vec![0; n + 1]);
            diff[from] += 1;
            diff[to] -= 1;
        }
    }
    let stages = keys
        .into_iter()
        .zip(diffs)
        .map(|((process, stage), diff)| {
            let mut states: BTreeMap<State, Vec<u32>> = [State::Todo, State::Doing, State::Done]
                .into_iter()
                .map(|s| (s, vec![0; n]))
                .collect();
            for (state, d) in diff {
                let mut running = 0i64;
                let counts = d[..n]
                    .iter()
                    .map(|x| {
                        running += x;
                        running.max(0) as u32
                    })
                    .collect();
                states.insert(state, counts);
            }
            StageFlow {
                process,
                stage,
                states: states
                    .into_iter()
                    .map(|(state, counts)| StateCounts { state, counts })
                    .collect(),
            }
        })
        .collect();
    CumulativeFlow { days, stages }
}
