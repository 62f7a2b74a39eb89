//! What the tool emulators (Trello, Asana, Google Sheets) share: fault rules, the request log,
//! rate-limit windows, serving on 127.0.0.1, and calling out to webhook and watch addresses.
//!
//! Each emulator keeps what is its tool's own (routes, error bodies, the shape of a logged
//! request); this module holds the mechanics they would otherwise each write again:
//! - [`Fault`] and [`FaultRule`]: what goes wrong with which requests, switchable per test;
//!   [`FaultRules`] picks the rule a request hits and counts it down.
//! - [`RequestLog`]: every request in order, with the time since the emulator started.
//! - [`SlidingWindows`]: requests per key in a sliding window, for rate limits and quotas.
//! - [`Serving`]: bind on 127.0.0.1 (any free port by default), serve, stop on drop.
//! - [`broken_body`]: an answer whose body breaks off, for lost replies.
//! - [`callback`]: the outgoing side of webhooks and watch channels (a POST with a deadline,
//!   HMAC signatures); [`Receiver`], the receiving end a test listens with.
//!
//! Compiled only with the `emulator-kit` feature, which each connector's `emulator` feature
//! turns on: the release binary carries none of it unless `throughline emulate` is built.

pub mod callback;
mod fault;
mod log;
mod receiver;
mod request;
mod serve;
mod window;

use std::sync::{Mutex, MutexGuard};

pub use fault::{Early, Fault, FaultRule, FaultRules};
pub use log::RequestLog;
pub use receiver::{Received, Receiver};
pub use request::{Incoming, percent_decode};
pub use serve::{Bound, Serving, broken_body, loopback};
pub use window::SlidingWindows;

/// Lock a mutex, going on with the data when a panicking test thread poisoned it: an emulator
/// serves every test that shares it, and one failed assertion must not take the others down.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The bearer token of an `Authorization: Bearer …` header (either case of `bearer`).
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

/// The methods every emulator offers a test for its faults and its request log:
/// `inject`, `clear_faults`, `requests`, `clear_requests`. Use inside `impl Emulator`, whose
/// `self.shared` has `faults: FaultRules` and `log: RequestLog<LoggedRequest>`.
#[macro_export]
macro_rules! emulator_fault_and_log_methods {
    () => {
        /// Add a fault; rules are tried in the order they were added.
        pub fn inject(&self, rule: FaultRule) {
            self.shared.faults.add(rule);
        }

        /// Remove every fault rule: requests are answered normally again.
        pub fn clear_faults(&self) {
            self.shared.faults.clear();
        }

        /// Every request so far, in order.
        pub fn requests(&self) -> Vec<LoggedRequest> {
            self.shared.log.entries()
        }

        /// Forget the requests logged so far (e.g. to count one cycle's requests).
        pub fn clear_requests(&self) {
            self.shared.log.clear();
        }
    };
}
