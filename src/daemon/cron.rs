//! Five-field cron expressions (`minute hour day-of-month month day-of-week`), matched against
//! civil time in a time zone. The one parser of `[sync] cron`: validation reads the line with it
//! too, so a line that loads is a line the daemon runs.
//!
//! The classic (Vixie) rules: `*`, numbers, ranges `1-5`, lists `1,15`, steps `*/5` and `10-50/20`
//! (`5/15` means `5-59/15`), month and day names (`jan`, `mon`), Sunday as 0 or 7. When both
//! day fields are restricted, a day matches if either does (`0 9 1 * mon` is the 1st and every
//! Monday); a field that starts with `*` counts as unrestricted.
//!
//! Daylight saving: a time the clocks skip (02:30 on a spring-forward night) fires once, right
//! after the jump; a time the clocks repeat fires once, the first time round.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    /// Bit n = minute n.
    minutes: u64,
    /// Bit n = hour n.
    hours: u32,
    /// Bit n = day n of the month (1..=31).
    days: u32,
    /// Bit n = month n (1..=12).
    months: u16,
    /// Bit n = weekday n, Sunday = 0.
    weekdays: u8,
    days_star: bool,
    weekdays_star: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CronError(String);

struct Spec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The value of the first name.
    first: u32,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const SPECS: [Spec; 5] = [
    Spec {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        first: 0,
    },
    Spec {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        first: 0,
    },
    Spec {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
        first: 0,
    },
    Spec {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        first: 1,
    },
    Spec {
        name: "day of week",
        min: 0,
        max: 7,
        names: &DAYS,
        first: 0,
    },
];

impl Spec {
    fn value(&self, s: &str) -> Option<u32> {
        if let Ok(n) = s.parse::<u32>() {
            return (self.min..=self.max).contains(&n).then_some(n);
        }
        let lower = s.to_ascii_lowercase();
        self.names
            .iter()
            .position(|n| *n == lower)
            .map(|i| i as u32 + self.first)
    }

    /// The field as a bit set over `min..=max`.
    fn parse(&self, field: &str) -> Result<u64, CronError> {
        let bad = || {
            CronError(format!(
                "the {} field `{field}` of `cron` is not valid; it takes *, numbers from {} to {}, ranges like 1-5, lists like 1,15 and steps like */5",
                self.name, self.min, self.max
            ))
        };
        let mut bits = 0u64;
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (
                    r,
                    Some(s.parse::<u32>().ok().filter(|s| *s >= 1).ok_or_else(bad)?),
                ),
                None => (part, None),
            };
            let (lo, hi) = if range == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (a, b) = (
                    self.value(a).ok_or_else(bad)?,
                    self.value(b).ok_or_else(bad)?,
                );
                if a > b {
                    return Err(bad());
                }
                (a, b)
            } else {
                let a = self.value(range).ok_or_else(bad)?;
                // `5/15` runs from 5 to the end; a bare `5` is just 5.
                (a, if step.is_some() { self.max } else { a })
            };
            let step = step.unwrap_or(1);
            let mut v = lo;
            while v <= hi {
                bits |= 1 << v;
                v += step;
            }
        }
        Ok(bits)
    }
}

impl FromStr for Cron {
    type Err = CronError;

    fn from_str(text: &str) -> Result<Cron, CronError> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError(format!(
                "`cron` must have 5 fields (minute hour day-of-month month day-of-week), like \"*/5 * * * *\"; `{text}` has {}",
                fields.len()
            )));
        }
        let mut sets = [0u64; 5];
        for (i, (field, spec)) in fields.iter().zip(SPECS.iter()).enumerate() {
            sets[i] = spec.parse(field)?;
        }
        // Sunday is both 0 and 7.
        let weekdays = ((sets[4] | (sets[4] >> 7)) & 0x7f) as u8;
        Ok(Cron {
            text: fields.join(" "),
            minutes: sets[0],
            hours: sets[1] as u32,
            days: sets[2] as u32,
            months: sets[3] as u16,
            weekdays,
            days_star: fields[2].starts_with('*'),
            weekdays_star: fields[4].starts_with('*'),
        })
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// How far ahead [`Cron::next_after`] looks before deciding an expression never fires
/// (`0 0 30 2 *`): long enough for any leap-day expression.
const HORIZON_YEARS: i16 = 9;

impl Cron {
    fn day_matches(&self, date: Date) -> bool {
        let dom = self.days & (1 << date.day()) != 0;
        let dow = self.weekdays & (1 << date.weekday().to_sunday_zero_offset()) != 0;
        match (self.days_star, self.weekdays_star) {
            (true, true) => true,
            (true, false) => dow,
            (false, true) => dom,
            (false, false) => dom || dow,
        }
    }

    /// Whether the expression fires at this civil minute (seconds are ignored).
    pub fn matches(&self, dt: DateTime) -> bool {
        self.months & (1 << dt.month()) != 0
            && self.day_matches(dt.date())
            && self.hours & (1 << dt.hour()) != 0
            && self.minutes & (1 << dt.minute()) != 0
    }

    /// The first firing strictly after `after`, in `tz`; `None` if it never fires.
    pub fn next_after(&self, after: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let start = tz.to_datetime(after);
        let limit = start.date().year().saturating_add(HORIZON_YEARS);
        // The next whole minute after `after`, in local time.
        let mut dt = start
            .with()
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .ok()?
            .checked_add(1.minute())
            .ok()?;
        loop {
            if dt.year() > limit {
                return None;
            }
            if self.months & (1 << dt.month()) == 0 {
                dt = dt
                    .first_of_month()
                    .checked_add(1.month())
                    .ok()?
                    .with()
                    .time(Time::midnight())
                    .build()
                    .ok()?;
                continue;
            }
            if !self.day_matches(dt.date()) {
                dt = dt.date().tomorrow().ok()?.to_datetime(Time::midnight());
                continue;
            }
            if self.hours & (1 << dt.hour()) == 0 {
                dt = dt
                    .with()
                    .minute(0)
                    .build()
                    .ok()?
                    .checked_add(1.hour())
                    .ok()?;
                continue;
            }
            if self.minutes & (1 << dt.minute()) == 0 {
                dt = dt.checked_add(1.minute()).ok()?;
                continue;
            }
            // A skipped local time fires right after the jump; a repeated one the first time.
            let at = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
            if at > after {
                return Some(at);
            }
            dt = dt.checked_add(1.minute()).ok()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cron(s: &str) -> Cron {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn ts(tz: &TimeZone, s: &str) -> Timestamp {
        let dt: DateTime = s.parse().unwrap();
        tz.to_ambiguous_timestamp(dt).compatible().unwrap()
    }

    fn local(tz: &TimeZone, t: Timestamp) -> String {
        tz.to_datetime(t).strftime("%Y-%m-%d %H:%M %a").to_string()
    }

    /// The next `n` firings after `from`, as local times.
    fn firings(expr: &str, tz: &str, from: &str, n: usize) -> Vec<String> {
        let tz = TimeZone::get(tz).unwrap();
        let c = cron(expr);
        let mut t = ts(&tz, from);
        (0..n)
            .map(|_| {
                t = c.next_after(t, &tz).expect("fires");
                local(&tz, t)
            })
            .collect()
    }

    #[test]
    fn every_five_minutes() {
        assert_eq!(
            firings("*/5 * * * *", "UTC", "2026-12-10T10:02:59", 3),
            [
                "2026-12-10 10:05 Thu",
                "2026-12-10 10:10 Thu",
                "2026-12-10 10:15 Thu"
            ]
        );
        // Strictly after: exactly on a firing goes to the next one.
        assert_eq!(
            firings("*/5 * * * *", "UTC", "2026-12-10T10:05:00", 1),
            ["2026-12-10 10:10 Thu"]
        );
    }

    #[test]
    fn business_hours_in_jerusalem() {
        // 08:00 Sunday to Thursday, the Israeli work week.
        assert_eq!(
            firings("0 8 * * sun-thu", "Asia/Jerusalem", "2026-12-10T09:00", 3),
            [
                "2026-12-13 08:00 Sun",
                "2026-12-14 08:00 Mon",
                "2026-12-15 08:00 Tue"
            ]
        );
    }

    #[test]
    fn ranges_lists_steps_and_names() {
        let c = cron("10-50/20 9,17 * JAN,jul *");
        let at = |s: &str| c.matches(s.parse().unwrap());
        assert!(at("2027-01-04T09:10"));
        assert!(at("2027-01-04T17:30"));
        assert!(at("2027-07-31T09:50"));
        assert!(!at("2027-01-04T09:20"));
        assert!(!at("2027-02-01T09:10"));
        assert!(!at("2027-01-04T10:10"));
        // `5/15` runs to the end of the field.
        let c = cron("5/15 * * * *");
        let minutes: Vec<i8> = (0..60)
            .filter(|m| c.matches(date(2026, 1, 1).at(0, *m, 0, 0)))
            .collect();
        assert_eq!(minutes, [5, 20, 35, 50]);
    }

    #[test]
    fn sunday_is_zero_and_seven() {
        for expr in ["0 0 * * 0", "0 0 * * 7", "0 0 * * sun"] {
            assert_eq!(
                firings(expr, "UTC", "2026-12-10T00:00", 1),
                ["2026-12-13 00:00 Sun"],
                "{expr}"
            );
        }
        assert_eq!(
            firings("0 0 * * 5-7", "UTC", "2026-12-10T00:00", 3),
            [
                "2026-12-11 00:00 Fri",
                "2026-12-12 00:00 Sat",
                "2026-12-13 00:00 Sun"
            ]
        );
    }

    #[test]
    fn both_day_fields_restricted_means_either() {
        // The 1st of the month, and every Monday.
        assert_eq!(
            firings("0 9 1 * mon", "UTC", "2026-11-28T00:00", 3),
            [
                "2026-11-30 09:00 Mon",
                "2026-12-01 09:00 Tue",
                "2026-12-07 09:00 Mon"
            ]
        );
        // A step starting with `*` counts as unrestricted: only Mondays, every other day.
        assert_eq!(
            firings("0 9 */2 * mon", "UTC", "2026-11-28T00:00", 2),
            ["2026-11-30 09:00 Mon", "2026-12-07 09:00 Mon"]
        );
    }

    #[test]
    fn month_ends_and_leap_days() {
        assert_eq!(
            firings("0 0 31 * *", "UTC", "2026-11-15T00:00", 2),
            ["2026-12-31 00:00 Thu", "2027-01-31 00:00 Sun"]
        );
        assert_eq!(
            firings("0 12 29 feb *", "UTC", "2025-03-01T00:00", 2),
            ["2028-02-29 12:00 Tue", "2032-02-29 12:00 Sun"]
        );
        let tz = TimeZone::UTC;
        assert_eq!(
            cron("0 0 30 feb *").next_after(ts(&tz, "2026-01-01T00:00"), &tz),
            None
        );
    }

    #[test]
    fn clocks_jumping_forward_fire_once_after_the_jump() {
        // Europe/London: 2027-03-28 01:00 GMT becomes 02:00 BST; 01:30 never happens.
        assert_eq!(
            firings("30 1 * * *", "Europe/London", "2027-03-27T12:00", 2),
            ["2027-03-28 02:30 Sun", "2027-03-29 01:30 Mon"]
        );
        // Every 15 minutes across the jump: no firing is lost or doubled.
        assert_eq!(
            firings("*/15 * * * *", "Europe/London", "2027-03-28T00:40", 4),
            [
                "2027-03-28 00:45 Sun",
                "2027-03-28 02:00 Sun",
                "2027-03-28 02:15 Sun",
                "2027-03-28 02:30 Sun"
            ]
        );
    }

    #[test]
    fn clocks_falling_back_fire_once() {
        // Europe/London: 2026-10-25 02:00 BST becomes 01:00 GMT; 01:30 happens twice.
        let tz = TimeZone::get("Europe/London").unwrap();
        let c = cron("30 1 * * *");
        let first = c.next_after(ts(&tz, "2026-10-24T12:00"), &tz).unwrap();
        let second = c.next_after(first, &tz).unwrap();
        assert_eq!(local(&tz, first), "2026-10-25 01:30 Sun");
        assert_eq!(local(&tz, second), "2026-10-26 01:30 Mon");
        // Every 30 minutes through the repeated hour: each instant at most once, in order.
        let c = cron("*/30 * * * *");
        let mut t = ts(&tz, "2026-10-25T00:10");
        let mut seen = Vec::new();
        for _ in 0..5 {
            let next = c.next_after(t, &tz).unwrap();
            assert!(next > t);
            seen.push(next);
            t = next;
        }
        let labels: Vec<String> = seen.iter().map(|t| local(&tz, *t)).collect();
        assert_eq!(labels[0], "2026-10-25 00:30 Sun");
        assert_eq!(labels[1], "2026-10-25 01:00 Sun");
        assert_eq!(labels[2], "2026-10-25 01:30 Sun");
        assert_eq!(labels.last().unwrap(), "2026-10-25 02:30 Sun");
    }

    #[test]
    fn invalid_expressions_say_which_field() {
        for (expr, field) in [
            ("* * * *", "5 fields"),
            ("60 * * * *", "minute"),
            ("* 24 * * *", "hour"),
            ("* * 0 * *", "day of month"),
            ("* * * 13 *", "month"),
            ("* * * * 8", "day of week"),
            ("*/0 * * * *", "minute"),
            ("5-1 * * * *", "minute"),
            ("* * * * funday", "day of week"),
        ] {
            let err = expr.parse::<Cron>().unwrap_err().to_string();
            assert!(err.contains(field), "{expr}: {err}");
        }
    }

    #[test]
    fn matches_agrees_with_next_after() {
        // Walk a week minute by minute: every match is exactly what next_after finds.
        let tz = TimeZone::UTC;
        for expr in ["*/7 9-17 * * mon-fri", "0 */3 1,15 * *", "45 23 * * sat"] {
            let c = cron(expr);
            let start = ts(&tz, "2026-12-01T00:00");
            let mut expected = Vec::new();
            let mut dt = tz.to_datetime(start);
            for _ in 0..(7 * 24 * 60) {
                dt = dt.checked_add(1.minute()).unwrap();
                if c.matches(dt) {
                    expected.push(tz.to_timestamp(dt).unwrap());
                }
            }
            let mut got = Vec::new();
            let mut t = start;
            let end = ts(&tz, "2026-12-08T00:00");
            while let Some(next) = c.next_after(t, &tz) {
                if next > end {
                    break;
                }
                got.push(next);
                t = next;
            }
            assert_eq!(got, expected, "{expr}");
        }
    }
}
