//! Per-target health: what the last cycle did to each target, and when a failing target may
//! be tried again.
//!
//! A target that cannot be read, or whose every change failed, backs off: after `n` failures in
//! a row it sits out for `period × 2^(n−1)` (capped at `[daemon] max_backoff`), so one broken
//! board costs a request now and then instead of one per cycle, while the other targets keep
//! their rhythm. A safety stop is not backed off: it needs a person, and checking costs one read.
//! A target the tool told to wait (a 429's `Retry-After`) sits out at least that long, failing
//! or degraded: what happens on a 429 is answered in [`throughline_connector::http::retry`].

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use throughline_connector::ConnectorError;
use throughline_connector::http::retry::longest_retry_after;

use super::clock::add;
use crate::engine::TargetOutcome;

/// How a target stands after its last cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// No cycle has reached it yet.
    Pending,
    Ok,
    /// Read and written, but some changes failed; they are tried again next cycle.
    Degraded,
    /// Could not be read or set up, or every change failed.
    Failing,
    /// A safety stop: it looked empty, or too much would be archived. A person must look.
    Stopped,
}

/// What one cycle did to one target, as health sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Ok {
        applied: usize,
    },
    Degraded {
        applied: usize,
        failed: usize,
        error: String,
        /// The longest `Retry-After` of the changes that failed.
        retry_after: Option<Duration>,
    },
    Failing {
        error: String,
        /// The tool said the credentials are wrong, expired or lack a permission.
        auth: bool,
        /// The longest `Retry-After` the tool answered: the target is not tried before.
        retry_after: Option<Duration>,
    },
    Stopped {
        reason: String,
    },
}

impl Verdict {
    /// From the engine's outcome for the target.
    pub fn of(outcome: &TargetOutcome) -> Verdict {
        if let Some(e) = &outcome.observe_error {
            return Verdict::Failing {
                error: format!("cannot read it: {e}"),
                auth: matches!(e, ConnectorError::Auth { .. }),
                retry_after: longest_retry_after([e]),
            };
        }
        if let Some(reason) = &outcome.stopped {
            return Verdict::Stopped {
                reason: reason.clone(),
            };
        }
        match outcome.failed.first() {
            None => Verdict::Ok {
                applied: outcome.applied,
            },
            Some((identity, e)) => {
                let error = format!("{identity}: {e}");
                let retry_after = longest_retry_after(outcome.failed.iter().map(|(_, e)| e));
                if outcome.applied == 0 {
                    Verdict::Failing {
                        error: format!(
                            "every change failed ({} of them); the first: {error}",
                            outcome.failed.len()
                        ),
                        auth: outcome
                            .failed
                            .iter()
                            .all(|(_, e)| matches!(e, ConnectorError::Auth { .. })),
                        retry_after,
                    }
                } else {
                    Verdict::Degraded {
                        applied: outcome.applied,
                        failed: outcome.failed.len(),
                        error,
                        retry_after,
                    }
                }
            }
        }
    }
}

/// One target's health, as `/readyz` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetHealth {
    pub target: String,
    pub kind: String,
    pub condition: Condition,
    /// Failed cycles in a row (failing, not degraded or stopped).
    pub failures: u32,
    pub last_attempt: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    /// While backing off: the earliest time it is tried again.
    pub retry_at: Option<Timestamp>,
    /// Why it is not ok, in a sentence.
    pub error: Option<String>,
    pub auth_failed: bool,
    /// Changes made and failed in its last cycle.
    pub applied: usize,
    pub failed: usize,
}

impl TargetHealth {
    fn new(target: &str, kind: &str) -> TargetHealth {
        TargetHealth {
            target: target.to_string(),
            kind: kind.to_string(),
            condition: Condition::Pending,
            failures: 0,
            last_attempt: None,
            last_success: None,
            retry_at: None,
            error: None,
            auth_failed: false,
            applied: 0,
            failed: 0,
        }
    }

    /// Not ready: `/readyz` answers 503 while any target is like this.
    pub fn is_failing(&self) -> bool {
        matches!(self.condition, Condition::Failing | Condition::Stopped)
    }
}

/// Every target's health, in deployment order.
#[derive(Debug, Clone, Default)]
pub struct Health {
    targets: BTreeMap<String, TargetHealth>,
    order: Vec<String>,
}

/// `period × 2^(failures−1)`, capped.
pub fn backoff(failures: u32, period: Duration, max: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    period
        .saturating_mul(1u32 << doublings)
        .min(max.max(period))
}

impl Health {
    /// Follow the deployment's targets: new ones start pending, removed ones are forgotten,
    /// the others keep their history.
    pub fn set_targets<'a>(&mut self, targets: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let mut next = BTreeMap::new();
        let mut order = Vec::new();
        for (id, kind) in targets {
            let mut h = self
                .targets
                .remove(id)
                .unwrap_or_else(|| TargetHealth::new(id, kind));
            h.kind = kind.to_string();
            next.insert(id.to_string(), h);
            order.push(id.to_string());
        }
        self.targets = next;
        self.order = order;
    }

    /// Whether the target takes part in a cycle at `at`.
    pub fn eligible(&self, target: &str, at: Timestamp) -> bool {
        self.targets
            .get(target)
            .and_then(|h| h.retry_at)
            .is_none_or(|r| at >= r)
    }

    /// Record a cycle's verdict. `at` is the cycle's time (scheduled, for a periodic cycle);
    /// `period` the time to the next periodic cycle. Returns the target's health after it.
    pub fn record(
        &mut self,
        target: &str,
        verdict: &Verdict,
        at: Timestamp,
        period: Duration,
        max_backoff: Duration,
    ) -> &TargetHealth {
        let h = self
            .targets
            .entry(target.to_string())
            .or_insert_with(|| TargetHealth::new(target, ""));
        h.last_attempt = Some(at);
        h.retry_at = None;
        h.auth_failed = false;
        h.error = None;
        h.failed = 0;
        h.applied = 0;
        match verdict {
            Verdict::Ok { applied } => {
                h.condition = Condition::Ok;
                h.failures = 0;
                h.applied = *applied;
                h.last_success = Some(at);
            }
            Verdict::Degraded {
                applied,
                failed,
                error,
                retry_after,
            } => {
                h.condition = Condition::Degraded;
                h.failures = 0;
                h.applied = *applied;
                h.failed = *failed;
                h.error = Some(error.clone());
                h.last_success = Some(at);
                h.retry_at = retry_after.map(|wait| add(at, wait));
            }
            Verdict::Failing {
                error,
                auth,
                retry_after,
            } => {
                h.condition = Condition::Failing;
                h.failures += 1;
                h.error = Some(error.clone());
                h.auth_failed = *auth;
                // Never sooner than the tool said it would answer again.
                let wait =
                    backoff(h.failures, period, max_backoff).max(retry_after.unwrap_or_default());
                h.retry_at = Some(add(at, wait));
            }
            Verdict::Stopped { reason } => {
                h.condition = Condition::Stopped;
                h.error = Some(reason.clone());
            }
        }
        h
    }

    pub fn get(&self, target: &str) -> Option<&TargetHealth> {
        self.targets.get(target)
    }

    /// In deployment order.
    pub fn all(&self) -> Vec<TargetHealth> {
        self.order
            .iter()
            .filter_map(|id| self.targets.get(id).cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn t(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + minutes * 60).unwrap()
    }

    fn failing() -> Verdict {
        Verdict::Failing {
            error: "cannot read it: temporary failure: 502".into(),
            auth: false,
            retry_after: None,
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let got: Vec<u64> = (1..=8)
            .map(|n| backoff(n, 5 * MIN, 60 * MIN).as_secs() / 60)
            .collect();
        assert_eq!(got, [5, 10, 20, 40, 60, 60, 60, 60]);
        // A cap below the period never makes retries more frequent than the cycle.
        assert_eq!(backoff(3, 5 * MIN, MIN), 5 * MIN);
        assert_eq!(backoff(u32::MAX, 5 * MIN, 60 * MIN), 60 * MIN);
    }

    #[test]
    fn a_failing_target_sits_out_while_others_keep_their_rhythm() {
        let mut h = Health::default();
        h.set_targets([("board", "trello"), ("sheet", "excel")]);
        let (period, cap) = (5 * MIN, 60 * MIN);
        // Cycles every 5 minutes; "board" fails every time it is tried.
        let mut tried = Vec::new();
        for cycle in 0..30 {
            let at = t(cycle * 5);
            assert!(h.eligible("sheet", at));
            h.record("sheet", &Verdict::Ok { applied: 0 }, at, period, cap);
            if h.eligible("board", at) {
                tried.push(cycle);
                h.record("board", &failing(), at, period, cap);
            }
        }
        // Tried at 0, then after 5, 10, 20, 40, 60, 60 minutes: cycles 0 1 3 7 15 27.
        assert_eq!(tried, [0, 1, 3, 7, 15, 27]);
        let board = h.get("board").unwrap();
        assert_eq!(board.condition, Condition::Failing);
        assert_eq!(board.failures, 6);
        assert!(board.is_failing());
        assert_eq!(h.get("sheet").unwrap().condition, Condition::Ok);
    }

    #[test]
    fn success_resets_the_backoff() {
        let mut h = Health::default();
        h.set_targets([("board", "trello")]);
        for i in 0..4 {
            h.record("board", &failing(), t(i * 100), MIN, 60 * MIN);
        }
        assert!(!h.eligible("board", t(301)));
        h.record("board", &Verdict::Ok { applied: 3 }, t(400), MIN, 60 * MIN);
        let b = h.get("board").unwrap();
        assert_eq!((b.failures, b.retry_at, b.applied), (0, None, 3));
        assert_eq!(b.last_success, Some(t(400)));
        assert!(h.eligible("board", t(400)));
    }

    #[test]
    fn degraded_and_stopped_do_not_back_off() {
        let mut h = Health::default();
        h.set_targets([("board", "trello")]);
        let degraded = Verdict::Degraded {
            applied: 4,
            failed: 1,
            error: "post/copy: rejected by the tool: title too long".into(),
            retry_after: None,
        };
        h.record("board", &degraded, t(0), MIN, MIN);
        assert!(h.eligible("board", t(1)));
        assert!(!h.get("board").unwrap().is_failing());
        let stop = Verdict::Stopped {
            reason: "the board looks empty".into(),
        };
        h.record("board", &stop, t(1), MIN, MIN);
        assert!(h.eligible("board", t(2)));
        assert!(h.get("board").unwrap().is_failing());
    }

    fn rate_limited(wait: Duration) -> ConnectorError {
        ConnectorError::RateLimited {
            retry_after: Some(wait),
            message: "Asana answered 429 Too Many Requests".into(),
        }
    }

    #[test]
    fn a_target_told_to_wait_sits_out_at_least_that_long() {
        let mut h = Health::default();
        h.set_targets([("project", "asana")]);
        // Cycles every 5 minutes; the backoff alone would try again at minute 5.
        let outcome = TargetOutcome {
            target: "project".into(),
            observe_error: Some(rate_limited(120 * MIN)),
            ..Default::default()
        };
        let verdict = Verdict::of(&outcome);
        h.record("project", &verdict, t(0), 5 * MIN, 60 * MIN);
        assert!(!h.eligible("project", t(5)));
        assert!(!h.eligible("project", t(119)), "above max_backoff too");
        assert!(h.eligible("project", t(120)));
        assert_eq!(h.get("project").unwrap().retry_at, Some(t(120)));
        // A short Retry-After does not shorten the backoff.
        let outcome = TargetOutcome {
            target: "project".into(),
            observe_error: Some(rate_limited(Duration::from_secs(1))),
            ..Default::default()
        };
        h.record("project", &Verdict::of(&outcome), t(120), 5 * MIN, 60 * MIN);
        assert_eq!(h.get("project").unwrap().retry_at, Some(t(130)));
    }

    #[test]
    fn a_degraded_target_told_to_wait_sits_out_only_that_long() {
        let mut h = Health::default();
        h.set_targets([("project", "asana")]);
        let outcome = TargetOutcome {
            target: "project".into(),
            applied: 3,
            failed: vec![
                ("a/b".into(), rate_limited(12 * MIN)),
                ("a/c".into(), rate_limited(20 * MIN)),
            ],
            ..Default::default()
        };
        let verdict = Verdict::of(&outcome);
        assert!(matches!(
            verdict,
            Verdict::Degraded { retry_after: Some(w), .. } if w == 20 * MIN
        ));
        h.record("project", &verdict, t(0), 5 * MIN, 60 * MIN);
        let p = h.get("project").unwrap();
        assert_eq!((p.condition, p.failures), (Condition::Degraded, 0));
        assert!(!h.eligible("project", t(19)));
        assert!(h.eligible("project", t(20)));
    }

    #[test]
    fn verdicts_from_outcomes() {
        let auth = ConnectorError::Auth {
            message: "invalid token".into(),
        };
        let outcome = TargetOutcome {
            target: "board".into(),
            observe_error: Some(auth.clone()),
            ..Default::default()
        };
        assert!(matches!(
            Verdict::of(&outcome),
            Verdict::Failing { auth: true, .. }
        ));
        let outcome = TargetOutcome {
            target: "board".into(),
            failed: vec![("a/b".into(), auth.clone()), ("a/c".into(), auth)],
            ..Default::default()
        };
        assert!(matches!(
            Verdict::of(&outcome),
            Verdict::Failing { auth: true, .. }
        ));
        let outcome = TargetOutcome {
            target: "board".into(),
            applied: 2,
            failed: vec![(
                "a/b".into(),
                ConnectorError::Invalid {
                    message: "bad".into(),
                },
            )],
            ..Default::default()
        };
        assert!(matches!(
            Verdict::of(&outcome),
            Verdict::Degraded {
                applied: 2,
                failed: 1,
                ..
            }
        ));
    }

    #[test]
    fn targets_follow_the_deployment() {
        let mut h = Health::default();
        h.set_targets([("a", "excel"), ("b", "trello")]);
        h.record("b", &failing(), t(0), MIN, MIN);
        h.set_targets([("b", "trello"), ("c", "asana")]);
        let all = h.all();
        assert_eq!(
            all.iter().map(|x| x.target.as_str()).collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert_eq!(all[0].failures, 1);
        assert_eq!(all[1].condition, Condition::Pending);
    }
}
