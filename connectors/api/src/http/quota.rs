//! Request quotas: one limiter per account and quota, shared by every client on the account.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota};

use super::Secret;

/// One of a tool's request quotas: at most `requests` in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    /// Requests allowed in any window of [`RateQuota::per`].
    pub requests: NonZeroU32,
    /// The window.
    pub per: Duration,
}

impl RateQuota {
    /// `None` when `requests` is 0 or `per` is zero.
    pub fn new(requests: u32, per: Duration) -> Option<Self> {
        let requests = NonZeroU32::new(requests)?;
        (!per.is_zero()).then_some(RateQuota { requests, per })
    }

    /// The limiter's cell rate. A bucket with burst `b` refilled one request per `T` lets
    /// `b + W/T - 1` requests through in a window `W`; `T = W / (n - b)` keeps that under `n`
    /// while allowing a small burst (a tenth of the quota).
    fn governor_quota(&self) -> Quota {
        let n = self.requests.get();
        let burst = (n / 10).max(1);
        let refill = n.saturating_sub(burst).max(1);
        let period = self.per / refill;
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(self.requests))
            .allow_burst(burst)
    }
}

/// A request budget shared by everyone using one account.
pub type Limiter = DefaultDirectRateLimiter;

/// One account's quota and the limiter that enforces it.
type Account = (RateQuota, Arc<Limiter>);

/// Limiters by account key, so every client on one account (two targets on the same Trello
/// token) draws from one budget.
#[derive(Debug, Clone, Default)]
pub struct LimiterRegistry {
    limiters: Arc<Mutex<HashMap<String, Account>>>,
}

impl LimiterRegistry {
    /// An empty registry (tests; the process uses [`LimiterRegistry::global`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry of this process.
    pub fn global() -> &'static LimiterRegistry {
        static GLOBAL: OnceLock<LimiterRegistry> = OnceLock::new();
        GLOBAL.get_or_init(LimiterRegistry::new)
    }

    /// The limiter for this account key (see [`account_key`]), made with `quota` the first
    /// time. Later calls with another quota get the existing limiter.
    pub fn limiter(&self, account: &str, quota: RateQuota) -> Arc<Limiter> {
        let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        let (existing, limiter) = limiters
            .entry(account.to_owned())
            .or_insert_with(|| (quota, Arc::new(Limiter::direct(quota.governor_quota()))));
        if *existing != quota {
            tracing::warn!(
                account,
                "one account asked for two different quotas; keeping the first ({} per {:?})",
                existing.requests,
                existing.per
            );
        }
        Arc::clone(limiter)
    }
}

/// The key of one quota of one account, e.g. `account_key("trello", "token", &token)`. It
/// carries a fingerprint of the secret, never the secret.
pub fn account_key(service: &str, quota_name: &str, secret: &Secret) -> String {
    format!("{service}:{quota_name}:{}", secret.fingerprint())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_never_lets_more_than_its_requests_through_in_a_window() {
        for (n, per) in [
            (1, 1),
            (10, 1),
            (100, 10),
            (300, 10),
            (150, 60),
            (60, 60),
            (1500, 60),
        ] {
            let quota = RateQuota::new(n, Duration::from_secs(per)).unwrap();
            let gq = quota.governor_quota();
            let burst = gq.burst_size().get();
            let period = gq.replenish_interval();
            // The burst at the window's start, then one per period before it ends.
            let window = Duration::from_secs(per) - Duration::from_nanos(1);
            let refills = u32::try_from(window.as_nanos() / period.as_nanos()).unwrap();
            assert!(
                burst + refills <= n,
                "{n} per {per}s: burst {burst}, refills {refills}"
            );
            assert!(
                burst + refills >= n * 8 / 10,
                "{n} per {per}s wastes too much of the quota"
            );
        }
        assert_eq!(RateQuota::new(0, Duration::from_secs(1)), None);
        assert_eq!(RateQuota::new(1, Duration::ZERO), None);
    }

    #[test]
    fn one_account_shares_one_limiter() {
        let registry = LimiterRegistry::new();
        let quota = RateQuota::new(20, Duration::from_secs(3600)).unwrap();
        let token = Secret::new("same-token");
        let a = registry.limiter(&account_key("trello", "token", &token), quota);
        let b = registry.limiter(&account_key("trello", "token", &token), quota);
        let other = registry.limiter(
            &account_key("trello", "token", &Secret::new("another")),
            quota,
        );
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &other));
        // The burst of 2 spent through one handle is gone for the other.
        assert!(a.check().is_ok() && a.check().is_ok());
        assert!(b.check().is_err());
        assert!(other.check().is_ok());
    }
}
