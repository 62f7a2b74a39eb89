//! The weekly review (`[review]`): at its weekday and time (daemon time zone), the report of
//! the seven days up to that day with the open recommendations, as one HTML page, mailed to
//! each address in `to` and written to `folder`. Each mail and file is remembered in the state
//! file under `review/<date>/…`, so it is sent once, also across restarts. A review whose time
//! passed more than a day ago (the daemon was down) is skipped: next week's comes as usual.

use std::path::Path;
use std::time::Duration;

use jiff::civil::{Date, DateTime};
use jiff::{Timestamp, ToSpan};

use super::{NOTICE_RETRY, Service};
use crate::daemon::cadence::daemon_timezone;
use crate::daemon::clock::add;
use crate::daemon::notify::{Channel, Notice};
use crate::insight::{self, Filter};
use crate::model::ReviewSettings;
use crate::report::build::{self, Scope, Stored};
use crate::schedule::schedule_at;

/// A review later than this after its time is not sent.
const LATE_BY_AT_MOST: Duration = Duration::from_secs(24 * 3600);

/// The review's day and time at or before `local` (this week's, or last week's when this
/// week's is still ahead).
fn last_slot(settings: &ReviewSettings, local: DateTime) -> DateTime {
    let today = local.date();
    let back = (today.weekday().to_monday_zero_offset() - settings.weekday.to_monday_zero_offset())
        .rem_euclid(7);
    let day = today.checked_sub(i64::from(back).days()).unwrap_or(today);
    let slot = day.to_datetime(settings.at);
    if slot > local {
        let earlier = day.checked_sub(7.days()).unwrap_or(day);
        earlier.to_datetime(settings.at)
    } else {
        slot
    }
}

/// Write through a temporary file in the folder, then rename: a reader sees the whole page.
fn write_page(folder: &Path, name: &str, html: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".throughline-review-")
        .tempfile_in(folder)?;
    std::io::Write::write_all(&mut tmp, html.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(folder.join(name)).map_err(|e| e.error)?;
    Ok(())
}

impl Service {
    /// Send this week's review when it is due; returns when to look again.
    pub(super) async fn weekly_review(&mut self, now: Timestamp) -> Timestamp {
        let Some(settings) = self.dep.sync.review.clone() else {
            return Timestamp::MAX;
        };
        let tz = daemon_timezone(&self.dep);
        let slot = last_slot(&settings, tz.to_datetime(now));
        let at = |dt: DateTime| {
            tz.to_ambiguous_timestamp(dt)
                .compatible()
                .unwrap_or(Timestamp::MAX)
        };
        let next = slot.checked_add(7.days()).map(at).unwrap_or(Timestamp::MAX);
        let due = at(slot);
        if now < due || now.duration_since(due) > LATE_BY_AT_MOST.try_into().unwrap_or_default() {
            return next;
        }
        let day = slot.date();
        let keys: Vec<String> = settings
            .to
            .iter()
            .map(|to| format!("review/{day}/{to}/email"))
            .chain(
                settings
                    .folder
                    .iter()
                    .map(|_| format!("review/{day}/folder")),
            )
            .collect();
        match keys
            .iter()
            .map(|k| self.store.notice_sent(k))
            .collect::<Result<Vec<bool>, _>>()
        {
            Ok(sent) if sent.iter().all(|s| *s) => return next,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "cannot read which reviews were sent; trying again later");
                return add(now, NOTICE_RETRY);
            }
        }
        let Some((subject, text, html)) = self.review_page(day, now) else {
            return add(now, NOTICE_RETRY);
        };
        let mut ok = true;
        if let Some(folder) = &settings.folder {
            ok &= self.review_to_folder(folder, day, &html, now);
        }
        for to in &settings.to {
            let notice = Notice {
                to: to.clone(),
                subject: subject.clone(),
                text: text.clone(),
                html: Some(html.clone()),
            };
            ok &= self
                .review_by_mail(&format!("review/{day}/{to}/email"), &notice, now)
                .await;
        }
        if ok { next } else { add(now, NOTICE_RETRY) }
    }

    /// (subject, plain text, HTML page) of the review of the seven days up to `day`.
    fn review_page(&mut self, day: Date, now: Timestamp) -> Option<(String, String, String)> {
        let stored = match Stored::read(&*self.store) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the history for the weekly review; trying again later");
                return None;
            }
        };
        let schedule = schedule_at(&self.dep, now);
        let scope = Scope {
            since: day.checked_sub(6.days()).unwrap_or(day),
            until: day,
            process: None,
            filter: Filter::default(),
        };
        let report = insight::measure(&build::input(&self.dep, &schedule, now, &scope, stored));
        let labels = build::labels(&self.dep, &schedule, None);
        let html = crate::report::html::render(&report, &labels);
        let text = crate::report::insight::render(&report);
        let open = report.recommendations.len();
        let subject = if labels.rtl {
            format!(
                "סקירה שבועית: {} — השבוע עד {}.{} ({open} המלצות)",
                labels.title,
                day.day(),
                day.month()
            )
        } else {
            format!(
                "Weekly review: {} — week to {day} ({open} recommendation{})",
                labels.title,
                if open == 1 { "" } else { "s" }
            )
        };
        Some((subject, text, html))
    }

    fn review_to_folder(&mut self, folder: &Path, day: Date, html: &str, now: Timestamp) -> bool {
        let key = format!("review/{day}/folder");
        if self.store.notice_sent(&key).unwrap_or(false) {
            return true;
        }
        let name = format!("review-{day}.html");
        match write_page(folder, &name, html) {
            Ok(()) => {
                if let Err(e) = self.store.record_notice(&key, now) {
                    tracing::error!(error = %e, "the review was written, but cannot record it; it may be written again");
                }
                tracing::info!(file = %folder.join(&name).display(), "weekly review written");
                true
            }
            Err(e) => {
                tracing::warn!(folder = %folder.display(), error = %e, "cannot write the weekly review; trying again later");
                self.note(
                    now,
                    format!(
                        "weekly review into {}: {e} (is the folder there and writable?)",
                        folder.display()
                    ),
                );
                false
            }
        }
    }

    /// By e-mail only: the review is a page, not a chat message.
    async fn review_by_mail(&mut self, key: &str, notice: &Notice, now: Timestamp) -> bool {
        if self.store.notice_sent(key).unwrap_or(false) {
            return true;
        }
        if !self.notifier.channels().contains(&Channel::Email) {
            // Validation asks for [reminders] email whenever `to` is set.
            return true;
        }
        match self.notifier.send(Channel::Email, notice).await {
            Ok(()) => {
                if let Err(e) = self.store.record_notice(key, now) {
                    tracing::error!(error = %e, key, "sent, but cannot record it; it may be sent again");
                }
                tracing::info!(to = %notice.to, "weekly review sent");
                self.shared.metrics().notice("review", "email", "sent");
                true
            }
            Err(e) => {
                tracing::warn!(to = %notice.to, error = %e, "weekly review not sent; trying again later");
                self.shared.metrics().notice("review", "email", "failed");
                self.note(now, format!("weekly review to {} by email: {e}", notice.to));
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::{Time, Weekday, date};

    use super::*;

    #[test]
    fn the_last_review_time_is_this_weeks_or_last_weeks() {
        let s = ReviewSettings {
            weekday: Weekday::Thursday,
            at: Time::constant(16, 0, 0, 0),
            to: vec![],
            folder: None,
        };
        let at = |d: Date, h: i8| d.to_datetime(Time::constant(h, 0, 0, 0));
        // Thursday 2026-12-10 at 17:00: that day's; at 15:00: the Thursday before.
        assert_eq!(
            last_slot(&s, at(date(2026, 12, 10), 17)),
            at(date(2026, 12, 10), 16)
        );
        assert_eq!(
            last_slot(&s, at(date(2026, 12, 10), 15)),
            at(date(2026, 12, 3), 16)
        );
        // Monday 12-14: the Thursday before; Sunday 12-13 too.
        assert_eq!(
            last_slot(&s, at(date(2026, 12, 14), 9)),
            at(date(2026, 12, 10), 16)
        );
        assert_eq!(
            last_slot(&s, at(date(2026, 12, 13), 9)),
            at(date(2026, 12, 10), 16)
        );
    }
}
