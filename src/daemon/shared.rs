//! The state the HTTP server and the daemon's loop share.

use std::sync::{Arc, Mutex, RwLock};

use jiff::Timestamp;

use super::hints::Hints;
use super::hooks::Registrations;
use super::logging::Secrets;
use super::metrics::Metrics;
use super::readiness::{CycleInfo, View};
use super::recent::{CycleRecord, RecentCycles};
use super::secrets::HookTable;

/// What the HTTP server and the loop share.
pub struct Shared {
    pub started: Timestamp,
    pub metrics: Mutex<Metrics>,
    pub view: RwLock<View>,
    pub hooks: RwLock<HookTable>,
    pub hints: Hints,
    pub secrets: Secrets,
    /// Asana handshake secrets learned and not yet in the state store: (target, secret).
    pub learned: Mutex<Vec<(String, String)>>,
    /// The Asana webhooks being created now: the only handshakes answered.
    pub registrations: Registrations,
    /// Each person's calendar at `/calendar/<token>/<person>.ics`; set with the deployment.
    pub calendars: RwLock<Option<Arc<crate::report::calendar::Subscriptions>>>,
    /// The last cycles with their requests, for the dashboard's Sync page.
    pub recent: Mutex<RecentCycles>,
}

impl Shared {
    pub fn new(started: Timestamp, secrets: Secrets) -> Shared {
        Shared {
            started,
            metrics: Mutex::default(),
            view: RwLock::default(),
            hooks: RwLock::default(),
            hints: Hints::default(),
            secrets,
            learned: Mutex::default(),
            registrations: Registrations::default(),
            calendars: RwLock::default(),
            recent: Mutex::default(),
        }
    }

    pub fn metrics(&self) -> std::sync::MutexGuard<'_, Metrics> {
        self.metrics.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn view(&self) -> View {
        self.view.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(super) fn set_view(&self, f: impl FnOnce(&mut View)) {
        f(&mut self.view.write().unwrap_or_else(|e| e.into_inner()));
    }

    /// Keep a finished cycle among the last ones, with the requests each target made in it
    /// (the metrics' counts since the last cycle kept).
    pub fn record_cycle(&self, info: &CycleInfo) {
        let totals = self.metrics().per_target();
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(info.clone(), totals);
    }

    /// The last cycles, newest first.
    pub fn recent_cycles(&self) -> Vec<CycleRecord> {
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .newest_first()
    }
}
