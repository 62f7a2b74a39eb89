//! The request log.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::lock;

/// Every request an emulator answered, in order. `T` is the emulator's own entry type (what a
/// test of that tool asserts on).
#[derive(Debug)]
pub struct RequestLog<T> {
    entries: Mutex<Vec<T>>,
    started: Instant,
}

impl<T> Default for RequestLog<T> {
    fn default() -> Self {
        RequestLog {
            entries: Mutex::new(Vec::new()),
            started: Instant::now(),
        }
    }
}

impl<T: Clone> RequestLog<T> {
    /// Record one answered request, after those before it.
    pub fn push(&self, entry: T) {
        lock(&self.entries).push(entry);
    }

    /// The entries so far, in order.
    pub fn entries(&self) -> Vec<T> {
        lock(&self.entries).clone()
    }

    /// Forget every entry so far.
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }

    /// Time since the emulator started (an entry's `at`).
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}
