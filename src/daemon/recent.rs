//! The last cycles, newest first, for the dashboard's Sync page: when each started, what
//! started it, how long it took, how it ended, and per target the requests it made and how
//! many of them were answered 429. Kept in memory only, as the metrics are: a restart starts
//! the list again.

use std::collections::{BTreeMap, VecDeque};

use super::readiness::CycleInfo;

/// How many cycles are kept.
pub const KEPT_CYCLES: usize = 20;

/// One finished cycle.
#[derive(Debug, Clone)]
pub struct CycleRecord {
    pub info: CycleInfo,
    /// The targets that made requests or were rate limited in this cycle, by id.
    pub targets: Vec<TargetRequests>,
}

/// One target's requests in one cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRequests {
    pub target: String,
    /// Requests made, retries included.
    pub requests: u64,
    /// Of them (or reported by the tool without counts) answered 429.
    pub rate_limited: u64,
}

/// The last [`KEPT_CYCLES`] cycles.
#[derive(Debug, Default)]
pub struct RecentCycles {
    cycles: VecDeque<CycleRecord>,
    /// Per target (requests, 429s) since the daemon started, as of the last cycle recorded:
    /// a cycle's own counts are the growth since then.
    totals: BTreeMap<String, (u64, u64)>,
}

impl RecentCycles {
    /// Keep `info`, with each target's counts since the daemon started (`totals`, from the
    /// metrics) turned into this cycle's own.
    pub fn record(&mut self, info: CycleInfo, totals: BTreeMap<String, (u64, u64)>) {
        let targets = totals
            .iter()
            .filter_map(|(target, &(requests, limited))| {
                let (before, limited_before) = self.totals.get(target).copied().unwrap_or((0, 0));
                let own = TargetRequests {
                    target: target.clone(),
                    requests: requests.saturating_sub(before),
                    rate_limited: limited.saturating_sub(limited_before),
                };
                (own.requests > 0 || own.rate_limited > 0).then_some(own)
            })
            .collect();
        self.totals = totals;
        self.cycles.push_front(CycleRecord { info, targets });
        self.cycles.truncate(KEPT_CYCLES);
    }

    /// The cycles kept, newest first.
    pub fn newest_first(&self) -> Vec<CycleRecord> {
        self.cycles.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::readiness::{CycleResult, Trigger};

    fn info(number: u64) -> CycleInfo {
        CycleInfo {
            number,
            trigger: Trigger::Schedule,
            started: jiff::Timestamp::UNIX_EPOCH,
            finished: jiff::Timestamp::UNIX_EPOCH,
            seconds: 0.5,
            result: CycleResult::Ok,
            targets: vec!["board".to_string()],
            error: None,
        }
    }

    fn totals(of: &[(&str, u64, u64)]) -> BTreeMap<String, (u64, u64)> {
        of.iter()
            .map(|(t, r, l)| (t.to_string(), (*r, *l)))
            .collect()
    }

    #[test]
    fn each_cycle_keeps_its_own_requests_and_the_newest_come_first() {
        let mut recent = RecentCycles::default();
        recent.record(info(1), totals(&[("board", 10, 0), ("studio", 4, 1)]));
        recent.record(info(2), totals(&[("board", 13, 2), ("studio", 4, 1)]));
        let kept = recent.newest_first();
        assert_eq!(kept[0].info.number, 2);
        assert_eq!(
            kept[0].targets,
            vec![TargetRequests {
                target: "board".to_string(),
                requests: 3,
                rate_limited: 2
            }],
            "studio made no request in cycle 2"
        );
        assert_eq!(kept[1].targets.len(), 2);
        assert_eq!(kept[1].targets[1].rate_limited, 1);
    }

    #[test]
    fn only_the_last_cycles_are_kept() {
        let mut recent = RecentCycles::default();
        for n in 1..=KEPT_CYCLES as u64 + 5 {
            recent.record(info(n), BTreeMap::new());
        }
        let kept = recent.newest_first();
        assert_eq!(kept.len(), KEPT_CYCLES);
        assert_eq!(kept[0].info.number, KEPT_CYCLES as u64 + 5);
        assert_eq!(kept[KEPT_CYCLES - 1].info.number, 6);
    }
}
