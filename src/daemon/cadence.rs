//! When periodic cycles run: every `[sync] every`, or on `[sync] cron` in the daemon's time zone.

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::clock::add;
use super::cron::Cron;
use crate::model::Deployment;

/// When periodic cycles run.
#[derive(Debug, Clone)]
pub(super) enum Cadence {
    Every(Duration),
    Cron(Cron, TimeZone),
}

impl Cadence {
    pub(super) fn of(dep: &Deployment) -> Result<Cadence, String> {
        match (&dep.sync.cron, dep.sync.every) {
            (Some(text), _) => {
                let cron: Cron = text
                    .parse()
                    .map_err(|e| format!("{}: [sync] cron: {e}", dep.config_path.display()))?;
                let tz = daemon_timezone(dep);
                if cron.next_after(Timestamp::now(), &tz).is_none() {
                    return Err(format!(
                        "{}: [sync] cron = \"{text}\" never fires (no such date); fix the day and month fields",
                        dep.config_path.display()
                    ));
                }
                Ok(Cadence::Cron(cron, tz))
            }
            (None, Some(every)) => Ok(Cadence::Every(every)),
            (None, None) => Ok(Cadence::Every(Duration::from_secs(300))),
        }
    }

    /// The periodic cycle after one scheduled at `at`.
    pub(super) fn next_after(&self, at: Timestamp) -> Timestamp {
        match self {
            Cadence::Every(d) => add(at, *d),
            Cadence::Cron(c, tz) => c.next_after(at, tz).unwrap_or(Timestamp::MAX),
        }
    }
}

/// `[daemon] timezone`, else the first playbook's, else UTC.
pub fn daemon_timezone(dep: &Deployment) -> TimeZone {
    dep.sync
        .daemon
        .timezone
        .as_ref()
        .map(|(_, tz)| tz.clone())
        .or_else(|| dep.processes.first().map(|p| p.timezone.clone()))
        .unwrap_or(TimeZone::UTC)
}
