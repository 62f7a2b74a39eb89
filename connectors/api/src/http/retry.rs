//! What happens on a 429, and on every other failure that may pass: the one retry policy of
//! the workspace.
//!
//! **Within a request** ([`super::HttpClient`], every hosted connector):
//! - A `429 Too Many Requests` was not carried out by the tool, so it is always safe to repeat.
//!   Its `Retry-After` (delay-seconds or an HTTP date, [`parse_retry_after`]) is waited out
//!   exactly; a 429 without one waits the connector's
//!   [`rate_limit_wait`](super::HttpConfig::rate_limit_wait) (Trello names no `Retry-After`:
//!   waiting out its window is the way back), else backs off like any passing failure.
//! - Passing failures (5xx, timeouts, dropped connections) back off exponentially with full
//!   jitter ([`RetryPolicy::base_delay`] doubling up to [`RetryPolicy::max_delay`]). A request
//!   that may have reached the tool (a `POST` that timed out, a 500) is repeated only when it
//!   is idempotent, because repeating a create is how duplicates are born; a 503 (the tool did
//!   not act) and a connection never made are repeated always.
//! - At most [`RetryPolicy::max_attempts`] attempts, and no wait that would take the request
//!   past [`RetryPolicy::max_elapsed`]: then the request fails, a 429 as
//!   [`ConnectorError::RateLimited`] carrying the wait it was told, for the next cycle.
//!
//! **Within a batch** (Asana `/batch`): actions that failed inside an answered batch are read
//! with [`Retry::of`] — the same rules — and go again together after the longest wait any of
//! them was told, counted against the same [`Attempts`]. A batch request that failed as a whole
//! was retried by the client already and is not repeated again.
//!
//! **Across cycles** (the daemon, `src/daemon/health.rs`): a target whose cycle failed backs
//! off for `period × 2^(n−1)` cycles' worth of time, capped, and never less than the longest
//! `Retry-After` the tool gave in that cycle ([`longest_retry_after`]), so the next cycle does
//! not knock on a door the tool said is shut.
//!
//! Every attempt, 429s included, is counted ([`super::RequestCounts`]) and shows in the
//! daemon's `/metrics` as `throughline_requests_total{code="429"}`.

use std::time::Duration;

use jiff::Timestamp;
use tokio::time::Instant;

use crate::ConnectorError;

/// How hard to try before giving up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The backoff before the second attempt; it doubles each time (before jitter).
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// The longest a request may take, waits included. A `Retry-After` that would go past it
    /// is not waited out: the request fails as rate limited, for the next cycle.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a random wait between zero and the exponential ceiling for this attempt
    /// (1-based), so clients that failed together do not retry together.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::random_range(0..=nanos))
    }
}

/// Whether one failed attempt may be tried again, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Trying again cannot help, or could do the work twice.
    No,
    /// After a backoff ([`RetryPolicy`]).
    Backoff,
    /// After exactly this long (the tool said so).
    After(Duration),
}

impl Retry {
    /// How the policy reads an error already classified (one action of a batch):
    /// rate limited → as long as the tool said, else a backoff; a passing failure → a
    /// backoff when `idempotent` (it may have been carried out); anything else → no.
    pub fn of(error: &ConnectorError, idempotent: bool) -> Retry {
        match error {
            ConnectorError::RateLimited {
                retry_after: Some(wait),
                ..
            } => Retry::After(*wait),
            ConnectorError::RateLimited { .. } => Retry::Backoff,
            ConnectorError::Retryable { .. } if idempotent => Retry::Backoff,
            _ => Retry::No,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Wait this long, then try again.
    Wait(Duration),
    /// Give up: the failure is final, or the attempts are spent.
    GiveUp,
    /// Give up: waiting this long would go past [`RetryPolicy::max_elapsed`].
    OutOfTime(Duration),
}

/// The attempts at one request (or one round of batch actions) under a [`RetryPolicy`].
#[derive(Debug)]
pub struct Attempts<'a> {
    policy: &'a RetryPolicy,
    started: Instant,
    attempt: u32,
}

impl<'a> Attempts<'a> {
    /// Before the first attempt.
    pub fn new(policy: &'a RetryPolicy) -> Self {
        Attempts {
            policy,
            started: Instant::now(),
            attempt: 0,
        }
    }

    /// Count one attempt; returns its number (1 for the first).
    pub fn start(&mut self) -> u32 {
        self.attempt += 1;
        self.attempt
    }

    /// The wait `retry` asks for after the current attempt; `None` for [`Retry::No`].
    pub fn wait_for(&self, retry: Retry) -> Option<Duration> {
        match retry {
            Retry::No => None,
            Retry::Backoff => Some(self.policy.backoff(self.attempt)),
            Retry::After(wait) => Some(wait),
        }
    }

    /// After the current attempt failed and asked for `wait` (see [`Attempts::wait_for`]):
    /// try again after it, or give up.
    pub fn next(&self, wait: Option<Duration>) -> Next {
        let Some(wait) = wait.filter(|_| self.attempt < self.policy.max_attempts) else {
            return Next::GiveUp;
        };
        if self.started.elapsed() + wait > self.policy.max_elapsed {
            return Next::OutOfTime(wait);
        }
        Next::Wait(wait)
    }
}

/// `Retry-After` as a wait: delay-seconds, or an HTTP date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = now.duration_until(at);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// The longest `Retry-After` among `errors`: how long the tool asked to be left alone.
pub fn longest_retry_after<'e>(
    errors: impl IntoIterator<Item = &'e ConnectorError>,
) -> Option<Duration> {
    errors
        .into_iter()
        .filter_map(|e| match e {
            ConnectorError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(250),
            max_elapsed: Duration::from_secs(10),
        }
    }

    fn limited(wait: Option<u64>) -> ConnectorError {
        ConnectorError::RateLimited {
            retry_after: wait.map(Duration::from_secs),
            message: "429".into(),
        }
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_an_http_date() {
        let now: Timestamp = "2025-03-01T12:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Sat, 01 Mar 2025 12:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let policy = policy(10);
        for _ in 0..100 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(30) <= Duration::from_millis(250));
        }
    }

    #[test]
    fn errors_are_read_as_the_client_reads_answers() {
        assert_eq!(
            Retry::of(&limited(Some(3)), false),
            Retry::After(Duration::from_secs(3))
        );
        assert_eq!(Retry::of(&limited(None), false), Retry::Backoff);
        let passing = ConnectorError::Retryable {
            message: "502".into(),
        };
        assert_eq!(Retry::of(&passing, true), Retry::Backoff);
        // It may have been carried out: a create is not repeated.
        assert_eq!(Retry::of(&passing, false), Retry::No);
        let invalid = ConnectorError::Invalid {
            message: "bad".into(),
        };
        assert_eq!(Retry::of(&invalid, true), Retry::No);
    }

    #[test]
    fn attempts_stop_at_the_policy_s_limits() {
        let policy = policy(2);
        let mut attempts = Attempts::new(&policy);
        attempts.start();
        let told = attempts.wait_for(Retry::After(Duration::from_secs(1)));
        assert_eq!(attempts.next(told), Next::Wait(Duration::from_secs(1)));
        assert_eq!(attempts.next(None), Next::GiveUp);
        attempts.start();
        assert_eq!(attempts.next(told), Next::GiveUp, "two attempts at most");

        let mut attempts = Attempts::new(&policy);
        attempts.start();
        let long = attempts.wait_for(Retry::After(Duration::from_secs(60)));
        assert_eq!(
            attempts.next(long),
            Next::OutOfTime(Duration::from_secs(60)),
            "a wait past max_elapsed is not waited out"
        );
    }

    #[test]
    fn the_longest_retry_after_wins() {
        let errors = [
            limited(Some(2)),
            limited(None),
            limited(Some(30)),
            ConnectorError::Retryable {
                message: "502".into(),
            },
        ];
        assert_eq!(longest_retry_after(&errors), Some(Duration::from_secs(30)));
        assert_eq!(longest_retry_after(&errors[1..2]), None);
    }
}
