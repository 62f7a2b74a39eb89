//! Business days of one process: its work week and holidays, in its time zone.
//!
//! Business days are civil dates: a DST change never moves a date, it only matters when a date
//! becomes an instant ([`BusinessCalendar::at`]) or an instant becomes a date
//! ([`BusinessCalendar::today`]).
//!
//! Internally a date is a day number (days since 1970-01-01) so that stepping and comparing is
//! integer arithmetic. [`BusinessCalendar::with_lookup`] adds a precomputed table for a span of
//! days, which turns every query inside it into an array lookup; outside that span the calendar
//! walks day by day, with the same answers.

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

use crate::model::Process;

/// Days since 1970-01-01 in the proleptic Gregorian calendar.
pub(crate) type Day = i32;

/// The day number of a date (H. Hinnant's `days_from_civil`).
pub(crate) fn day_number(date: Date) -> Day {
    let (y, m, d) = (
        i32::from(date.year()),
        i32::from(date.month()),
        i32::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (H. Hinnant's `civil_from_days`), clamped to jiff's date range.
pub(crate) fn date_of(day: Day) -> Date {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i32::from(m <= 2);
    match i16::try_from(y) {
        Ok(y) => {
            Date::new(y, m as i8, d as i8).unwrap_or(if y < 0 { Date::MIN } else { Date::MAX })
        }
        Err(_) if y < 0 => Date::MIN,
        Err(_) => Date::MAX,
    }
}

/// Monday = 0 … Sunday = 6. 1970-01-01 was a Thursday.
pub(crate) fn weekday_index(day: Day) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// The business days of one process.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    tz: TimeZone,
    /// Indexed Monday = 0.
    week: [bool; 7],
    /// Sorted, without duplicates.
    holidays: Vec<Day>,
    lookup: Option<Lookup>,
}

/// A precomputed span `[lo, lo + rank.len() - 1)` of days.
#[derive(Debug, Clone)]
struct Lookup {
    lo: Day,
    /// `rank[i]` = how many business days fall in `[lo, lo + i)`; one longer than the span.
    rank: Vec<u32>,
    /// The business days of the span, ascending.
    days: Vec<Day>,
}

impl Lookup {
    /// Index of `day` in `rank` if the day lies inside the span.
    fn index(&self, day: Day) -> Option<usize> {
        let i = usize::try_from(day.checked_sub(self.lo)?).ok()?;
        (i + 1 < self.rank.len()).then_some(i)
    }
}

/// Spans longer than this (about 270 years) are not precomputed; queries just walk.
const MAX_LOOKUP_DAYS: i64 = 100_000;

impl BusinessCalendar {
    /// The calendar of a process as written in its playbook.
    pub fn new(process: &Process) -> Self {
        Self::from_parts(
            process.timezone.clone(),
            &process.workweek,
            process.holidays.iter().copied(),
        )
    }

    /// A calendar from its parts. An empty work week would leave no business day at all (the
    /// loader rejects `workweek = []`); it is read as the default Monday to Friday so that every
    /// query here has an answer.
    pub fn from_parts(
        tz: TimeZone,
        workweek: &[Weekday],
        holidays: impl IntoIterator<Item = Date>,
    ) -> Self {
        let mut week = [false; 7];
        for day in workweek {
            week[day.to_monday_zero_offset() as usize] = true;
        }
        if !week.contains(&true) {
            week = [true, true, true, true, true, false, false];
        }
        let mut holidays: Vec<Day> = holidays.into_iter().map(day_number).collect();
        holidays.sort_unstable();
        holidays.dedup();
        BusinessCalendar {
            tz,
            week,
            holidays,
            lookup: None,
        }
    }

    /// Precompute the days `from..=to` so that queries about them are table lookups. Answers
    /// do not change, only their cost; a span of more than about 270 years is ignored.
    pub fn with_lookup(mut self, from: Date, to: Date) -> Self {
        let (lo, hi) = (day_number(from), day_number(to));
        if lo > hi || i64::from(hi) - i64::from(lo) >= MAX_LOOKUP_DAYS {
            self.lookup = None;
            return self;
        }
        let len = (hi - lo + 1) as usize;
        let mut rank = Vec::with_capacity(len + 1);
        let mut days = Vec::new();
        rank.push(0);
        for day in lo..=hi {
            if self.walk_is_business(day) {
                days.push(day);
            }
            rank.push(days.len() as u32);
        }
        self.lookup = Some(Lookup { lo, rank, days });
        self
    }

    pub fn timezone(&self) -> &TimeZone {
        &self.tz
    }

    pub fn is_business_day(&self, date: Date) -> bool {
        self.is_business(day_number(date))
    }

    /// `date` itself if it is a business day, else the closest business day before it.
    pub fn on_or_before(&self, date: Date) -> Date {
        date_of(self.on_or_before_day(day_number(date)))
    }

    /// The closest business day strictly before `date`.
    pub fn before(&self, date: Date) -> Date {
        date_of(self.on_or_before_day(day_number(date) - 1))
    }

    /// The closest business day strictly after `date`.
    pub fn after(&self, date: Date) -> Date {
        date_of(self.on_or_after_day(day_number(date) + 1))
    }

    /// Move back `n` business days. For a business day, `back(d, 0) == d` and `back(d, 1)` is
    /// the business day before it. For any other day the count starts at the day itself:
    /// with a Monday–Friday week, `back(saturday, 1)` is the Friday before, and
    /// `back(saturday, 0)` is that Friday too.
    pub fn back(&self, date: Date, n: u32) -> Date {
        date_of(self.back_day(day_number(date), n))
    }

    /// Move forward `n` business days, the mirror of [`back`](Self::back): for a business
    /// day `forward(d, 0) == d` and `forward(d, 1)` is the business day after it; for any other
    /// day the count starts at the day itself, so `forward(saturday, 0)` and
    /// `forward(saturday, 1)` are both the Monday after (Monday–Friday week).
    pub fn forward(&self, date: Date, n: u32) -> Date {
        date_of(self.forward_day(day_number(date), n))
    }

    /// How many business days fall in `from..=to` (0 when `from > to`).
    pub fn count(&self, from: Date, to: Date) -> u32 {
        self.count_days(day_number(from), day_number(to))
    }

    /// The process's date at the instant `now`.
    pub fn today(&self, now: Timestamp) -> Date {
        self.tz.to_datetime(now).date()
    }

    /// The instant of a local date and time of day in the process's time zone.
    ///
    /// Local times that a DST change skips or repeats are resolved like RFC 5545 and
    /// JavaScript's Temporal ("compatible"): a skipped time moves forward by the length of the
    /// gap (02:30 on a day the clocks jump from 02:00 to 03:00 is 03:30), a repeated time is
    /// its first occurrence (the earlier instant). So a due time never silently moves earlier
    /// than the clock time the user wrote, and a repeated hour counts once. Dates at the very
    /// ends of jiff's range clamp to the nearest representable instant.
    pub fn at(&self, date: Date, time: Time) -> Timestamp {
        self.tz
            .to_ambiguous_timestamp(date.to_datetime(time))
            .compatible()
            .unwrap_or(if date.year() < 0 {
                Timestamp::MIN
            } else {
                Timestamp::MAX
            })
    }

    // Day-number forms, for the scheduler's inner loop.

    pub(crate) fn is_business(&self, day: Day) -> bool {
        match self.lookup.as_ref().and_then(|l| Some((l, l.index(day)?))) {
            Some((l, i)) => l.rank[i + 1] != l.rank[i],
            None => self.walk_is_business(day),
        }
    }

    pub(crate) fn on_or_before_day(&self, day: Day) -> Day {
        if let Some(l) = &self.lookup
            && let Some(i) = l.index(day)
        {
            let r = l.rank[i + 1] as usize;
            if r > 0 {
                return l.days[r - 1];
            }
        }
        self.walk_back(day)
    }

    pub(crate) fn on_or_after_day(&self, day: Day) -> Day {
        if let Some(l) = &self.lookup
            && let Some(i) = l.index(day)
        {
            let r = l.rank[i] as usize;
            if r < l.days.len() {
                return l.days[r];
            }
        }
        self.walk_forward(day)
    }

    pub(crate) fn back_day(&self, day: Day, n: u32) -> Day {
        if n == 0 {
            return self.on_or_before_day(day);
        }
        if let Some(l) = &self.lookup
            && let Some(i) = l.index(day)
        {
            // Business days strictly before `day` inside the span.
            let r = l.rank[i] as usize;
            if r >= n as usize {
                return l.days[r - n as usize];
            }
        }
        let mut d = day;
        for _ in 0..n {
            d = self.walk_back(d - 1);
        }
        d
    }

    pub(crate) fn forward_day(&self, day: Day, n: u32) -> Day {
        if n == 0 {
            return self.on_or_after_day(day);
        }
        if let Some(l) = &self.lookup
            && let Some(i) = l.index(day)
        {
            // Business days up to and including `day` inside the span; the next one is at `r`.
            let r = l.rank[i + 1] as usize;
            if let Some(&d) = l.days.get(r + n as usize - 1) {
                return d;
            }
        }
        let mut d = day;
        for _ in 0..n {
            d = self.walk_forward(d + 1);
        }
        d
    }

    pub(crate) fn count_days(&self, from: Day, to: Day) -> u32 {
        if from > to {
            return 0;
        }
        if let Some(l) = &self.lookup
            && let (Some(a), Some(b)) = (l.index(from), l.index(to))
        {
            return l.rank[b + 1] - l.rank[a];
        }
        // Whole weeks at once, then the rest, then the holidays that fell on work days.
        let len = i64::from(to) - i64::from(from) + 1;
        let per_week = self.week.iter().filter(|&&w| w).count() as i64;
        let mut n = len / 7 * per_week;
        let rest_from = to - (len % 7) as Day + 1;
        n += (rest_from..=to)
            .filter(|&d| self.week[weekday_index(d)])
            .count() as i64;
        let lo = self.holidays.partition_point(|&h| h < from);
        let hi = self.holidays.partition_point(|&h| h <= to);
        n -= self.holidays[lo..hi]
            .iter()
            .filter(|&&h| self.week[weekday_index(h)])
            .count() as i64;
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn walk_is_business(&self, day: Day) -> bool {
        self.week[weekday_index(day)] && self.holidays.binary_search(&day).is_err()
    }

    /// Terminates: at least one week day is a work day and holidays are finite.
    fn walk_back(&self, mut day: Day) -> Day {
        while !self.walk_is_business(day) {
            day -= 1;
        }
        day
    }

    fn walk_forward(&self, mut day: Day) -> Day {
        while !self.walk_is_business(day) {
            day += 1;
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;
    use jiff::civil::{date, time};

    use Weekday::*;

    const SUN_THU: [Weekday; 5] = [Sunday, Monday, Tuesday, Wednesday, Thursday];
    const MON_FRI: [Weekday; 5] = [Monday, Tuesday, Wednesday, Thursday, Friday];

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).expect("the system time zone database has this zone")
    }

    fn jerusalem(holidays: &[Date]) -> BusinessCalendar {
        BusinessCalendar::from_parts(tz("Asia/Jerusalem"), &SUN_THU, holidays.iter().copied())
    }

    fn london(holidays: &[Date]) -> BusinessCalendar {
        BusinessCalendar::from_parts(tz("Europe/London"), &MON_FRI, holidays.iter().copied())
    }

    #[test]
    fn day_numbers_agree_with_jiff() {
        let epoch = date(1970, 1, 1);
        assert_eq!(day_number(epoch), 0);
        let mut d = date(1600, 1, 1);
        let mut n = day_number(d);
        while d < date(2500, 1, 1) {
            assert_eq!(day_number(d), n, "{d}");
            assert_eq!(date_of(n), d);
            assert_eq!(
                weekday_index(n),
                d.weekday().to_monday_zero_offset() as usize,
                "{d}"
            );
            d = d.checked_add(1.day()).unwrap();
            n += 1;
        }
        assert_eq!(date_of(day_number(Date::MIN)), Date::MIN);
        assert_eq!(date_of(day_number(Date::MAX)), Date::MAX);
        assert_eq!(date_of(day_number(Date::MAX) + 10), Date::MAX);
    }

    #[test]
    fn sun_thu_week_ends_on_friday_and_saturday() {
        let cal = jerusalem(&[]);
        // 2026-12-06 is a Sunday.
        let week: Vec<bool> = (6..=12)
            .map(|d| cal.is_business_day(date(2026, 12, d)))
            .collect();
        assert_eq!(week, [true, true, true, true, true, false, false]);
        assert_eq!(cal.on_or_before(date(2026, 12, 12)), date(2026, 12, 10));
        assert_eq!(cal.on_or_before(date(2026, 12, 10)), date(2026, 12, 10));
        assert_eq!(cal.before(date(2026, 12, 6)), date(2026, 12, 3));
        assert_eq!(cal.after(date(2026, 12, 10)), date(2026, 12, 13));
        assert_eq!(cal.back(date(2026, 12, 8), 2), date(2026, 12, 6));
        assert_eq!(cal.back(date(2026, 12, 8), 3), date(2026, 12, 3));
        assert_eq!(cal.count(date(2026, 12, 1), date(2026, 12, 31)), 23);
    }

    #[test]
    fn mon_fri_week_ends_on_saturday_and_sunday() {
        let cal = london(&[]);
        // 2026-12-07 is a Monday.
        let week: Vec<bool> = (7..=13)
            .map(|d| cal.is_business_day(date(2026, 12, d)))
            .collect();
        assert_eq!(week, [true, true, true, true, true, false, false]);
        assert_eq!(cal.on_or_before(date(2026, 12, 13)), date(2026, 12, 11));
        assert_eq!(cal.before(date(2026, 12, 7)), date(2026, 12, 4));
        assert_eq!(cal.after(date(2026, 12, 11)), date(2026, 12, 14));
        // Counting from a week-end day starts at the day itself.
        assert_eq!(cal.back(date(2026, 12, 12), 1), date(2026, 12, 11));
        assert_eq!(cal.back(date(2026, 12, 12), 0), date(2026, 12, 11));
        assert_eq!(cal.back(date(2026, 12, 12), 3), date(2026, 12, 9));
        assert_eq!(cal.count(date(2026, 12, 1), date(2026, 12, 31)), 23);
        assert_eq!(cal.count(date(2026, 12, 12), date(2026, 12, 13)), 0);
        assert_eq!(cal.count(date(2026, 12, 13), date(2026, 12, 12)), 0);
    }

    #[test]
    fn holidays_are_not_business_days() {
        let cal = jerusalem(&[date(2026, 12, 15), date(2026, 12, 16)]);
        assert!(!cal.is_business_day(date(2026, 12, 15)));
        assert!(cal.is_business_day(date(2026, 12, 14)));
        assert_eq!(cal.before(date(2026, 12, 17)), date(2026, 12, 14));
        assert_eq!(cal.after(date(2026, 12, 14)), date(2026, 12, 17));
        // Thu 17 → back over Wed/Tue holidays and Sat/Fri week-end.
        assert_eq!(cal.back(date(2026, 12, 17), 2), date(2026, 12, 13));
        assert_eq!(cal.count(date(2026, 12, 13), date(2026, 12, 19)), 3);
        // A holiday on a week-end day changes nothing.
        let with_friday = jerusalem(&[date(2026, 12, 18)]);
        assert_eq!(with_friday.count(date(2026, 12, 1), date(2026, 12, 31)), 23);
    }

    #[test]
    fn year_boundaries() {
        // Mon–Fri: 2027-01-01 is a Friday holiday; 2026-12-31 a Thursday.
        let cal = london(&[date(2026, 12, 25), date(2027, 1, 1)]);
        assert_eq!(cal.after(date(2026, 12, 31)), date(2027, 1, 4));
        assert_eq!(cal.before(date(2027, 1, 4)), date(2026, 12, 31));
        assert_eq!(cal.back(date(2027, 1, 5), 3), date(2026, 12, 30));
        assert_eq!(cal.count(date(2026, 12, 24), date(2027, 1, 5)), 7);
        // Sun–Thu: 2026-01-01 is a Thursday, 2025-12-31 a Wednesday.
        let cal = jerusalem(&[]);
        assert_eq!(cal.before(date(2026, 1, 4)), date(2026, 1, 1));
        assert_eq!(cal.back(date(2026, 1, 4), 4), date(2025, 12, 29));
        // Leap day.
        let cal = london(&[]);
        assert_eq!(cal.after(date(2028, 2, 28)), date(2028, 2, 29));
        assert_eq!(cal.count(date(2028, 1, 1), date(2028, 12, 31)), 260);
    }

    #[test]
    fn dst_change_days_are_ordinary_dates() {
        // Israel: clocks forward Fri 2026-03-27, back Sun 2026-10-25.
        let cal = jerusalem(&[]);
        assert!(!cal.is_business_day(date(2026, 3, 27)));
        assert_eq!(cal.after(date(2026, 3, 26)), date(2026, 3, 29));
        assert!(cal.is_business_day(date(2026, 10, 25)));
        assert_eq!(cal.before(date(2026, 10, 26)), date(2026, 10, 25));
        // UK: clocks forward Sun 2026-03-29, back Sun 2026-10-25.
        let cal = london(&[]);
        assert_eq!(cal.after(date(2026, 3, 27)), date(2026, 3, 30));
        assert_eq!(cal.before(date(2026, 10, 26)), date(2026, 10, 23));
    }

    #[test]
    fn at_on_jerusalem_dst_days() {
        let cal = jerusalem(&[]);
        // Spring forward 02:00 → 03:00 on 2026-03-27: the day has 23 hours.
        let midnight = cal.at(date(2026, 3, 27), Time::midnight());
        let next = cal.at(date(2026, 3, 28), Time::midnight());
        assert_eq!(next.duration_since(midnight).as_hours(), 23);
        assert_eq!(midnight.to_string(), "2026-03-26T22:00:00Z");
        assert_eq!(
            cal.at(date(2026, 3, 27), time(17, 0, 0, 0)).to_string(),
            "2026-03-27T14:00:00Z"
        );
        // 02:30 does not exist that day: it moves forward by the gap, to 03:30 (+03).
        assert_eq!(
            cal.at(date(2026, 3, 27), time(2, 30, 0, 0)).to_string(),
            "2026-03-27T00:30:00Z"
        );
        // Fall back 02:00 → 01:00 on 2026-10-25: the day has 25 hours.
        let midnight = cal.at(date(2026, 10, 25), Time::midnight());
        let next = cal.at(date(2026, 10, 26), Time::midnight());
        assert_eq!(next.duration_since(midnight).as_hours(), 25);
        // 01:30 happens twice: the first one, still at +03.
        assert_eq!(
            cal.at(date(2026, 10, 25), time(1, 30, 0, 0)).to_string(),
            "2026-10-24T22:30:00Z"
        );
        assert_eq!(
            cal.at(date(2026, 10, 25), time(17, 0, 0, 0)).to_string(),
            "2026-10-25T15:00:00Z"
        );
    }

    #[test]
    fn at_on_london_dst_days() {
        let cal = london(&[]);
        // Spring forward 01:00 → 02:00 on 2026-03-29.
        assert_eq!(
            cal.at(date(2026, 3, 29), time(1, 30, 0, 0)).to_string(),
            "2026-03-29T01:30:00Z"
        );
        assert_eq!(
            cal.at(date(2026, 3, 29), time(17, 0, 0, 0)).to_string(),
            "2026-03-29T16:00:00Z"
        );
        // Fall back 02:00 → 01:00 on 2026-10-25: 01:30 BST comes first.
        assert_eq!(
            cal.at(date(2026, 10, 25), time(1, 30, 0, 0)).to_string(),
            "2026-10-25T00:30:00Z"
        );
        assert_eq!(
            cal.at(date(2026, 10, 25), time(17, 0, 0, 0)).to_string(),
            "2026-10-25T17:00:00Z"
        );
    }

    #[test]
    fn today_is_the_date_in_the_process_time_zone() {
        let now: Timestamp = "2026-03-26T22:30:00Z".parse().unwrap();
        assert_eq!(jerusalem(&[]).today(now), date(2026, 3, 27));
        assert_eq!(london(&[]).today(now), date(2026, 3, 26));
        // Just before and after midnight on the night the UK clocks go back.
        let late: Timestamp = "2026-10-24T22:59:59Z".parse().unwrap();
        assert_eq!(london(&[]).today(late), date(2026, 10, 24));
        let early: Timestamp = "2026-10-24T23:00:00Z".parse().unwrap();
        assert_eq!(london(&[]).today(early), date(2026, 10, 25));
        // New Year arrives in Jerusalem two hours before UTC.
        let eve: Timestamp = "2026-12-31T22:00:00Z".parse().unwrap();
        assert_eq!(jerusalem(&[]).today(eve), date(2027, 1, 1));
    }

    #[test]
    fn forward_counts_business_days_after_a_day() {
        // Sun–Thu; Tue 2026-12-15 is a holiday.
        let cal = jerusalem(&[date(2026, 12, 15)]);
        let thu = date(2026, 12, 10);
        assert_eq!(cal.forward(thu, 0), thu);
        assert_eq!(cal.forward(thu, 1), date(2026, 12, 13)); // Sunday, over the weekend
        assert_eq!(cal.forward(thu, 2), date(2026, 12, 14)); // Monday
        assert_eq!(cal.forward(thu, 3), date(2026, 12, 16)); // Wednesday, over the holiday
        // From a Friday the count starts at the Friday itself, like `back`.
        let fri = date(2026, 12, 11);
        assert_eq!(cal.forward(fri, 0), date(2026, 12, 13));
        assert_eq!(cal.forward(fri, 1), date(2026, 12, 13));
        assert_eq!(cal.forward(fri, 2), date(2026, 12, 14));
    }

    #[test]
    fn empty_work_week_reads_as_monday_to_friday() {
        let cal = BusinessCalendar::from_parts(TimeZone::UTC, &[], []);
        assert!(cal.is_business_day(date(2026, 12, 7)));
        assert!(!cal.is_business_day(date(2026, 12, 12)));
    }

    #[test]
    fn lookup_gives_the_same_answers_as_walking() {
        let holidays = [
            date(2026, 12, 15),
            date(2026, 12, 16),
            date(2027, 1, 1),
            date(2027, 2, 2),
        ];
        let walk = jerusalem(&holidays);
        let fast = walk
            .clone()
            .with_lookup(date(2026, 12, 10), date(2027, 1, 20));
        let mut d = date(2026, 11, 20);
        while d < date(2027, 2, 10) {
            assert_eq!(fast.is_business_day(d), walk.is_business_day(d), "{d}");
            assert_eq!(fast.on_or_before(d), walk.on_or_before(d), "{d}");
            assert_eq!(fast.before(d), walk.before(d), "{d}");
            assert_eq!(fast.after(d), walk.after(d), "{d}");
            for n in [0, 1, 2, 5, 30] {
                assert_eq!(fast.back(d, n), walk.back(d, n), "{d} {n}");
                assert_eq!(fast.forward(d, n), walk.forward(d, n), "{d} {n}");
            }
            let later = d.checked_add(17.days()).unwrap();
            let mut brute = 0;
            let mut x = d;
            while x <= later {
                brute += u32::from(walk.is_business_day(x));
                x = x.tomorrow().unwrap();
            }
            assert_eq!(fast.count(d, later), brute, "{d}");
            assert_eq!(walk.count(d, later), brute, "{d}");
            d = d.tomorrow().unwrap();
        }
    }
}
