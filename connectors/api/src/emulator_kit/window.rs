//! Sliding windows: how many requests a key made in the last `window`.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::Duration;

use tokio::time::Instant;

/// Request times per key (a token, an API key, a user and a kind of request).
#[derive(Debug)]
pub struct SlidingWindows<K>(HashMap<K, VecDeque<Instant>>);

impl<K> Default for SlidingWindows<K> {
    fn default() -> Self {
        SlidingWindows(HashMap::new())
    }
}

impl<K: Eq + Hash + Clone> SlidingWindows<K> {
    /// How many requests `key` made in the `window` before `now` (older ones are forgotten).
    pub fn used(&mut self, key: &K, window: Duration, now: Instant) -> usize {
        let Some(times) = self.0.get_mut(key) else {
            return 0;
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        times.len()
    }

    /// Count a request of `key` at `now`.
    pub fn record(&mut self, key: K, now: Instant) {
        self.0.entry(key).or_default().push_back(now);
    }

    /// How long until the oldest request of `key` leaves the window, in whole seconds and at
    /// least one (what a `Retry-After` says).
    pub fn retry_after_secs(&self, key: &K, window: Duration, now: Instant) -> u64 {
        let wait = self
            .0
            .get(key)
            .and_then(|times| times.front())
            .map_or(Duration::ZERO, |oldest| {
                window.saturating_sub(now.duration_since(*oldest))
            });
        (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
    }

    /// Forget every request of every key.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_leave_the_window_once_it_has_passed() {
        let mut w = SlidingWindows::default();
        let start = Instant::now();
        let window = Duration::from_secs(10);
        w.record("t", start);
        w.record("t", start + Duration::from_secs(4));
        assert_eq!(w.used(&"t", window, start + Duration::from_secs(5)), 2);
        assert_eq!(
            w.retry_after_secs(&"t", window, start + Duration::from_millis(5500)),
            5
        );
        assert_eq!(w.used(&"t", window, start + Duration::from_secs(10)), 1);
        assert_eq!(w.used(&"other", window, start), 0);
    }
}
