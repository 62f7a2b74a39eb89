use std::path::Path;
use std::time::Duration;

use jiff::civil::{Date, Weekday};

use super::config::{check_cron, parse_duration, parse_secret};
use super::items::{cadence_dates, thousands};
use super::playbook::{shortest_cycle, strongly_connected};
use crate::model::SecretRef;

#[test]
fn durations() {
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    assert!(parse_duration("5").unwrap_err().contains("like \"5m\""));
    assert!(parse_duration("five minutes").is_err());
    assert!(parse_duration("5 m").is_err());
    assert!(parse_duration("0s").unwrap_err().contains("no time at all"));
}

#[test]
fn cron_expressions() {
    assert_eq!(check_cron("*/5 * * * *"), Ok(()));
    assert_eq!(check_cron("0 9 * * mon-fri"), Ok(()));
    assert_eq!(check_cron("0 9,17 1-15 jan,jul 0"), Ok(()));
    assert!(check_cron("* * * *").unwrap_err().contains("has 4"));
    assert!(
        check_cron("60 * * * *")
            .unwrap_err()
            .contains("minute field `60`")
    );
    assert!(
        check_cron("* * * * 5-1")
            .unwrap_err()
            .contains("day of week")
    );
    assert!(check_cron("*/0 * * * *").is_err());
}

#[test]
fn secrets_are_references() {
    let base = Path::new("deploy");
    assert_eq!(
        parse_secret("env:TRELLO_KEY", base),
        Ok(SecretRef::Env("TRELLO_KEY".into()))
    );
    assert_eq!(
        parse_secret("file:keys/sa.json", base),
        Ok(SecretRef::File("deploy/keys/sa.json".into()))
    );
    assert!(
        parse_secret("0123456789abcdef", base)
            .unwrap_err()
            .contains("env:NAME")
    );
    assert!(parse_secret("env:", base).is_err());
    assert!(parse_secret("env:MY-KEY", base).is_err());
}

#[test]
fn cadence_dates_are_counted_without_listing_them() {
    let d = |y, m, day| Date::new(y, m, day).unwrap();
    // December 2026: Tuesdays 1, 8, 15, 22, 29.
    assert_eq!(
        cadence_dates(d(2026, 12, 1), d(2026, 12, 31), &[Weekday::Tuesday]),
        5
    );
    assert_eq!(
        cadence_dates(d(2026, 12, 2), d(2026, 12, 28), &[Weekday::Tuesday]),
        3
    );
    assert_eq!(
        cadence_dates(d(2026, 12, 1), d(2026, 12, 1), &[Weekday::Tuesday]),
        1
    );
    assert_eq!(
        cadence_dates(d(2026, 12, 2), d(2026, 12, 1), &[Weekday::Tuesday]),
        0
    );
    let all = [
        Weekday::Sunday,
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
    ];
    assert_eq!(cadence_dates(d(1990, 1, 1), d(2200, 12, 31), &all), 77_066);
    assert_eq!(thousands(131_624), "131,624");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_000_000), "1,000,000");
}

#[test]
fn circles_are_found_once_per_group() {
    // 0 → 1 → 2 → 0, 3 alone, 4 → 4.
    let successors = vec![vec![1], vec![2], vec![0, 3], vec![], vec![4]];
    let components = strongly_connected(&successors);
    assert_eq!(components, vec![vec![0, 1, 2], vec![3], vec![4]]);
    let members = [0, 1, 2].into_iter().collect();
    assert_eq!(shortest_cycle(0, &successors, &members), vec![0, 1, 2, 0]);
}
