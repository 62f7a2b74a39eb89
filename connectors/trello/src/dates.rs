//! Trello's due and start dates are moments (UTC instants); throughline's are days. A day is
//! written as a time of day on that day in the process's time zone (the mapping's `[dates]`:
//! 17:00 for a due date, 09:00 for a start), and any moment is read back as its day in that
//! zone, so a round trip keeps the civil date whatever the zone's offset.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use throughline_connector::ConnectorError;

/// The day a Trello moment falls on in `tz`; `None` when there is no moment or it is not one.
pub(crate) fn day_of(when: Option<&str>, tz: &TimeZone) -> Option<Date> {
    let t: Timestamp = when?.parse().ok()?;
    Some(t.to_zoned(tz.clone()).date())
}

/// The moment Trello stores for `date` at `time` in `tz`, as Trello writes moments
/// (`2026-03-10T15:00:00.000Z`).
pub(crate) fn moment(date: Date, time: Time, tz: &TimeZone) -> Result<String, ConnectorError> {
    let zoned =
        date.to_datetime(time)
            .to_zoned(tz.clone())
            .map_err(|e| ConnectorError::Invalid {
                message: format!("the date {date} cannot be placed in the time zone: {e}"),
            })?;
    Ok(zoned
        .timestamp()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string())
}

/// The value of a date parameter: the moment of `date`, or empty, which clears the date.
pub(crate) fn param(
    date: Option<Date>,
    time: Time,
    tz: &TimeZone,
) -> Result<String, ConnectorError> {
    match date {
        Some(d) => moment(d, time, tz),
        None => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use jiff::tz::{Offset, TimeZone};

    use super::*;

    fn zone(hours: i8) -> TimeZone {
        TimeZone::fixed(Offset::constant(hours))
    }

    #[test]
    fn a_day_is_written_at_its_time_in_the_zone() {
        let day = Date::constant(2026, 3, 10);
        let five = Time::constant(17, 0, 0, 0);
        assert_eq!(
            moment(day, five, &zone(2)).unwrap(),
            "2026-03-10T15:00:00.000Z"
        );
        assert_eq!(
            moment(day, five, &zone(-10)).unwrap(),
            "2026-03-11T03:00:00.000Z"
        );
    }

    #[test]
    fn a_round_trip_keeps_the_civil_day_in_far_zones() {
        let day = Date::constant(2026, 12, 31);
        for hours in [-12, -10, -1, 0, 1, 9, 13, 14] {
            for time in [
                Time::constant(0, 0, 0, 0),
                Time::constant(9, 0, 0, 0),
                Time::constant(23, 59, 0, 0),
            ] {
                let tz = zone(hours);
                let written = moment(day, time, &tz).unwrap();
                assert_eq!(day_of(Some(&written), &tz), Some(day), "{hours}h {time}");
            }
        }
    }

    #[test]
    fn a_moment_reads_as_its_day_in_the_zone_not_in_utc() {
        let late = Some("2026-03-10T23:30:00.000Z");
        assert_eq!(
            day_of(late, &TimeZone::UTC),
            Some(Date::constant(2026, 3, 10))
        );
        assert_eq!(day_of(late, &zone(2)), Some(Date::constant(2026, 3, 11)));
        assert_eq!(day_of(late, &zone(-2)), Some(Date::constant(2026, 3, 10)));
    }

    #[test]
    fn no_moment_or_a_damaged_one_is_no_day() {
        assert_eq!(day_of(None, &TimeZone::UTC), None);
        assert_eq!(day_of(Some(""), &TimeZone::UTC), None);
        assert_eq!(day_of(Some("2026-03-10"), &TimeZone::UTC), None);
        assert_eq!(day_of(Some("tomorrow"), &TimeZone::UTC), None);
    }

    #[test]
    fn no_date_clears_the_parameter() {
        let five = Time::constant(17, 0, 0, 0);
        assert_eq!(param(None, five, &TimeZone::UTC).unwrap(), "");
        assert_eq!(
            param(Some(Date::constant(2026, 1, 2)), five, &TimeZone::UTC).unwrap(),
            "2026-01-02T17:00:00.000Z"
        );
    }
}
