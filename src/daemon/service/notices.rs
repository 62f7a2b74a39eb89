//! Reminder digests, credential alerts and the operator's daily summary, each sent once.

use std::path::Path;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{FailureNote, NOTICE_RETRY, Service};
use crate::daemon::cadence::daemon_timezone;
use crate::daemon::clock::add;
use crate::daemon::health::TargetHealth;
use crate::daemon::notify::{Channel, Notice};
use crate::daemon::reminders;
use crate::model::{self};
use crate::schedule::schedule_at;

impl Service {
    /// Send `notice` by every channel once: `key` (per channel) is remembered in the store.
    /// Returns whether every channel went through (or had gone through before).
    pub(super) async fn send_once(&mut self, kind: &str, key: &str, notice: &Notice) -> bool {
        let mut all = true;
        let now = self.clock.now();
        for channel in self.notifier.channels() {
            let key = format!("{key}/{}", channel.as_str());
            match self.store.notice_sent(&key) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, "cannot read which notices were sent; sending none until it can");
                    return false;
                }
            }
            if channel == Channel::Email && !notice.to.contains('@') {
                continue;
            }
            match self.notifier.send(channel, notice).await {
                Ok(()) => {
                    if let Err(e) = self.store.record_notice(&key, now) {
                        tracing::error!(error = %e, key = %key, "sent, but cannot record it; it may be sent again");
                    }
                    tracing::info!(kind, channel = channel.as_str(), to = %notice.to, "notice sent");
                    self.shared.metrics().notice(kind, channel.as_str(), "sent");
                }
                Err(e) => {
                    tracing::warn!(kind, channel = channel.as_str(), to = %notice.to, error = %e, "notice not sent; trying again later");
                    self.shared
                        .metrics()
                        .notice(kind, channel.as_str(), "failed");
                    self.note(
                        now,
                        format!("{kind} to {} by {}: {e}", notice.to, channel.as_str()),
                    );
                    all = false;
                }
            }
        }
        all
    }

    pub(super) async fn auth_alert(&mut self, target: &str, error: &str, now: Timestamp) {
        let Some(operator) = self.dep.sync.daemon.operator.clone() else {
            return;
        };
        let today = daemon_timezone(&self.dep).to_datetime(now).date();
        let origin = self
            .dep
            .target(target)
            .map(|t| t.origin.clone())
            .unwrap_or_default();
        let notice = Notice {
            to: operator,
            subject: format!("throughline: `{target}` refused the credentials"),
            text: format!(
                "The target `{target}` ({origin}) refused throughline's credentials:\n\n  {error}\n\nNothing is synced to or from it until this is fixed. Renew the token or key in the service's environment file (or the secret file its `credentials` name); the daemon reads secrets at every cycle, so no restart is needed.\n\n— throughline daemon\n"
            ),
            html: None,
        };
        self.send_once(
            "auth_alert",
            &format!("alert/auth/{target}/{today}"),
            &notice,
        )
        .await;
    }

    /// Reminder digests and the operator's summary, when due.
    pub async fn notices(&mut self) {
        let now = self.clock.now();
        let review_next = self.weekly_review(now).await;
        self.notices_and_digests(now).await;
        self.next_notices = self.next_notices.min(review_next);
    }

    async fn notices_and_digests(&mut self, now: Timestamp) {
        let mut retry = false;
        if let Some(settings) = self.dep.sync.reminders.clone() {
            let statuses = match self.store.statuses() {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read statuses; reminders wait");
                    self.next_notices = add(now, NOTICE_RETRY);
                    return;
                }
            };
            let schedule = schedule_at(&self.dep, now);
            for digest in reminders::due(&self.dep, &schedule, &statuses, &settings, now) {
                let r = reminders::render(&digest);
                let notice = Notice {
                    to: digest.to.clone(),
                    subject: r.subject,
                    text: r.text,
                    html: Some(r.html),
                };
                retry |= !self.send_once("digest", &digest.key, &notice).await;
            }
            retry |= !self.operator_summary(&settings, now).await;
            let mut next =
                reminders::next_time(&self.dep, &settings, now).unwrap_or(Timestamp::MAX);
            next = next.min(self.next_summary(&settings, now));
            if retry {
                next = next.min(add(now, NOTICE_RETRY));
            }
            self.next_notices = next;
        } else {
            self.next_notices = Timestamp::MAX;
        }
    }

    /// The daily summary's next time: `[reminders] at` in the daemon's time zone, every day.
    fn next_summary(&self, settings: &model::ReminderSettings, now: Timestamp) -> Timestamp {
        if self.dep.sync.daemon.operator.is_none() {
            return Timestamp::MAX;
        }
        let tz = daemon_timezone(&self.dep);
        let today = tz.to_datetime(now).date();
        let at = |d: jiff::civil::Date| {
            tz.to_ambiguous_timestamp(d.to_datetime(settings.at))
                .compatible()
                .unwrap_or(Timestamp::MAX)
        };
        let t = at(today);
        if t > now {
            t
        } else {
            today.tomorrow().map(at).unwrap_or(Timestamp::MAX)
        }
    }

    /// Once a day after `[reminders] at` (daemon time zone): what failed since the last one.
    /// Nothing is sent on a day without failures. Returns false when sending failed.
    async fn operator_summary(
        &mut self,
        settings: &model::ReminderSettings,
        now: Timestamp,
    ) -> bool {
        let Some(operator) = self.dep.sync.daemon.operator.clone() else {
            return true;
        };
        let tz = daemon_timezone(&self.dep);
        let local = tz.to_datetime(now);
        if local.time() < settings.at {
            return true;
        }
        let failing: Vec<TargetHealth> = self
            .health
            .all()
            .into_iter()
            .filter(|h| h.is_failing())
            .collect();
        if self.failures.is_empty() && failing.is_empty() {
            return true;
        }
        let day = local.date();
        let key = format!("summary/{day}");
        // Today's went out already: what failed since waits for tomorrow's.
        if self.notifier.channels().iter().all(|c| {
            self.store
                .notice_sent(&format!("{key}/{}", c.as_str()))
                .unwrap_or(false)
        }) {
            return true;
        }
        let text = summary_text(&self.config, &tz, local, &failing, &self.failures);
        let notice = Notice {
            to: operator,
            subject: format!(
                "throughline: daily summary of failures ({} target(s) failing, {} failure(s))",
                failing.len(),
                self.failures.len()
            ),
            text,
            html: None,
        };
        let ok = self.send_once("summary", &key, &notice).await;
        if ok {
            self.failures.clear();
        }
        ok
    }
}

/// The operator's daily summary: the targets failing now, then what failed since the last
/// summary, the same failure again and again as one line with how often and when.
fn summary_text(
    config: &Path,
    tz: &TimeZone,
    local: jiff::civil::DateTime,
    failing: &[TargetHealth],
    failures: &[FailureNote],
) -> String {
    let when = |t: Timestamp| tz.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string();
    let mut text = format!(
        "Failures of the throughline daemon ({}) up to {}:\n",
        config.display(),
        local.strftime("%Y-%m-%d %H:%M")
    );
    if !failing.is_empty() {
        text.push_str("\nTargets failing now:\n");
        for h in failing {
            text.push_str(&format!(
                "  • {} ({}): {} — {} failure(s) in a row; last success: {}\n",
                h.target,
                h.kind,
                h.error.as_deref().unwrap_or("failing"),
                h.failures,
                h.last_success.map(when).unwrap_or_else(|| "never".into())
            ));
        }
    }
    if !failures.is_empty() {
        text.push_str(&format!("\nWhat failed ({}):\n", failures.len()));
        let mut grouped: Vec<(&str, usize, Timestamp, Timestamp)> = Vec::new();
        for f in failures {
            match grouped.iter_mut().find(|g| g.0 == f.text) {
                Some(g) => {
                    g.1 += 1;
                    g.3 = f.at;
                }
                None => grouped.push((&f.text, 1, f.at, f.at)),
            }
        }
        for (what, n, first, last) in grouped {
            if n == 1 {
                text.push_str(&format!("  • {}  {what}\n", when(first)));
            } else {
                text.push_str(&format!(
                    "  • {what} ({n} times, {} to {})\n",
                    when(first),
                    when(last)
                ));
            }
        }
    }
    text.push_str("\nThe daemon keeps running and retries on its own; /readyz shows the current state.\n\n— throughline daemon\n");
    text
}
