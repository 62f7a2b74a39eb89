//! Properties of the backward scheduler over random stage graphs, work weeks, holidays and
//! go-live dates, checked against a calendar written out naively here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date};
use jiff::tz::TimeZone;
use proptest::prelude::*;

use throughline::model::{
    Deployment, Item, Lang, Process, Role, Stage, StateLocation, SyncSettings,
};
use throughline::schedule::{BusinessCalendar, schedule};

const ZONES: [&str; 4] = ["Asia/Jerusalem", "Europe/London", "America/New_York", "UTC"];

#[derive(Debug, Clone)]
struct Case {
    /// `(days, after)` per stage; `after` only names earlier stages, so the graph is a DAG.
    stages: Vec<(u32, Vec<usize>)>,
    workweek: Vec<Weekday>,
    holidays: BTreeSet<Date>,
    golives: Vec<Date>,
    zone: &'static str,
}

fn day(offset: i32) -> Date {
    date(2025, 1, 1).checked_add(offset.days()).unwrap()
}

fn case() -> impl Strategy<Value = Case> {
    let stages = (1usize..=8).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                (
                    0u32..=5,
                    proptest::collection::vec(0..i.max(1), 0..=i.min(3)),
                )
            })
            .collect::<Vec<_>>()
    });
    let workweek = proptest::collection::btree_set(0i8..7, 1..=7);
    // Holidays and go-lives within four years; holidays dense enough to hit often.
    let holidays = proptest::collection::btree_set(0i32..1460, 0..120);
    let golives = proptest::collection::vec(60i32..1460, 1..=4);
    (stages, workweek, holidays, golives, 0..ZONES.len()).prop_map(
        |(stages, workweek, holidays, golives, zone)| Case {
            stages: stages
                .into_iter()
                .enumerate()
                .map(|(i, (days, mut after))| {
                    after.retain(|&a| a < i);
                    after.sort_unstable();
                    after.dedup();
                    (days, after)
                })
                .collect(),
            workweek: workweek
                .into_iter()
                .map(|d| Weekday::from_monday_zero_offset(d).unwrap())
                .collect(),
            holidays: holidays.into_iter().map(day).collect(),
            golives: golives.into_iter().map(day).collect(),
            zone: ZONES[zone],
        },
    )
}

fn deployment(case: &Case) -> Deployment {
    let stages = case
        .stages
        .iter()
        .enumerate()
        .map(|(i, (days, after))| Stage {
            id: format!("s{i}"),
            name: format!("Stage {i}"),
            owner: "ops".into(),
            days: *days,
            after: after.iter().map(|a| format!("s{a}")).collect(),
            after_golive: None,
            checklist: Vec::new(),
        })
        .collect();
    let process = Process {
        id: "p".into(),
        name: "p".into(),
        timezone_name: case.zone.into(),
        timezone: TimeZone::get(case.zone).unwrap(),
        workweek: case.workweek.clone(),
        holidays: case.holidays.clone(),
        lang: Lang::En,
        roles: vec![Role {
            id: "ops".into(),
            name: "Ops".into(),
            people: vec!["sam@example.com".into()],
            backup: None,
            away: Vec::new(),
            max_parallel: None,
            names: Default::default(),
        }],
        stages,
        file: PathBuf::from("playbooks/p.toml"),
    };
    let items = case
        .golives
        .iter()
        .enumerate()
        .map(|(i, &golive)| Item {
            id: format!("item{i}"),
            process: "p".into(),
            title: format!("Item {i}"),
            golive,
            people: BTreeMap::new(),
            skip: Vec::new(),
            channel: None,
            notes: None,
            cadence: None,
        })
        .collect();
    Deployment {
        config_path: PathBuf::from("throughline.toml"),
        root: PathBuf::from("."),
        state: StateLocation::Sqlite(PathBuf::from("throughline.db")),
        sync: SyncSettings::default(),
        targets: Vec::new(),
        processes: vec![process],
        items,
        cadences: Vec::new(),
        metrics: Vec::new(),
    }
}

/// Stages after go-live appended to a case: `(days, after_golive, after)`, where `after`
/// names backward stages as `b<i>` and earlier forward ones as `f<k>`.
type Tail = Vec<(u32, Option<u32>, Vec<String>)>;

fn tail(backward: usize) -> impl Strategy<Value = Tail> {
    proptest::collection::vec(
        (
            0u32..=4,
            proptest::option::of(0u32..=15),
            proptest::collection::vec((any::<bool>(), 0usize..8), 0..=3),
        ),
        1..=4,
    )
    .prop_map(move |stages| {
        stages
            .into_iter()
            .enumerate()
            .map(|(k, (days, anchor, after))| {
                let mut after: Vec<String> = after
                    .into_iter()
                    .filter_map(|(fwd, i)| match fwd {
                        true if k > 0 => Some(format!("s{}", backward + i % k)),
                        false => Some(format!("s{}", i % backward)),
                        true => None,
                    })
                    .collect();
                after.sort();
                after.dedup();
                // Without a forward stage to wait for, it must be anchored on go-live.
                let waits_forward = after
                    .iter()
                    .any(|a| a[1..].parse::<usize>().unwrap() >= backward);
                let anchor = if waits_forward {
                    anchor
                } else {
                    Some(anchor.unwrap_or(0))
                };
                (days, anchor, after)
            })
            .collect()
    })
}

/// The naive `after_golive = n` start: the n-th business day after go-live, 0 = go-live or the
/// first business day after it.
fn nth_after(case: &Case, golive: Date, n: u32) -> Date {
    let mut d = golive;
    if n == 0 {
        while !is_business(case, d) {
            d = d.tomorrow().unwrap();
        }
        return d;
    }
    let mut left = n;
    loop {
        d = d.tomorrow().unwrap();
        if is_business(case, d) {
            left -= 1;
            if left == 0 {
                return d;
            }
        }
    }
}

fn next_business(case: &Case, mut d: Date) -> Date {
    loop {
        d = d.tomorrow().unwrap();
        if is_business(case, d) {
            return d;
        }
    }
}

/// The naive calendar: a business day is a work-week day that is not a holiday.
fn is_business(case: &Case, d: Date) -> bool {
    case.workweek.contains(&d.weekday()) && !case.holidays.contains(&d)
}

fn business_days_between(case: &Case, from: Date, to: Date) -> usize {
    let mut n = 0;
    let mut d = from;
    while d <= to {
        n += usize::from(is_business(case, d));
        d = d.tomorrow().unwrap();
    }
    n
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn backward_schedule_keeps_every_rule(case in case()) {
        let dep = deployment(&case);
        let s = schedule(&dep, date(2020, 1, 1));
        prop_assert_eq!(s.tasks.len(), case.stages.len() * case.golives.len());

        for (i, &golive) in case.golives.iter().enumerate() {
            let item = format!("item{i}");
            let tasks: BTreeMap<&str, _> = s
                .tasks
                .iter()
                .filter(|t| t.item == item)
                .map(|t| (t.stage.as_str(), t))
                .collect();
            for (si, (days, _)) in case.stages.iter().enumerate() {
                let t = tasks[format!("s{si}").as_str()];
                prop_assert!(is_business(&case, t.start), "{} starts on {}", t.id, t.start);
                prop_assert!(is_business(&case, t.due), "{} is due on {}", t.id, t.due);
                prop_assert!(t.start <= t.due, "{} starts after its due date", t.id);
                // d ≥ 1 days of work span exactly d business days; a milestone one.
                prop_assert_eq!(
                    business_days_between(&case, t.start, t.due),
                    (*days).max(1) as usize,
                    "{} spans the wrong number of business days", &t.id
                );

                let successors: Vec<_> = case
                    .stages
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, after))| after.contains(&si))
                    .map(|(j, _)| tasks[format!("s{j}").as_str()])
                    .collect();
                for next in &successors {
                    prop_assert!(t.due < next.start, "{} is due on {}, not before {} starts on {}",
                        t.id, t.due, next.id, next.start);
                }
                match successors.iter().map(|n| n.start).min() {
                    // As late as it can be: no business day between due and the next start.
                    Some(first) => prop_assert_eq!(
                        business_days_between(&case, t.due, first), 2,
                        "{} is due earlier than it must be", &t.id
                    ),
                    None => {
                        prop_assert!(t.due <= golive, "{} is due after go-live", t.id);
                        prop_assert_eq!(
                            business_days_between(&case, t.due, golive),
                            1,
                            "{} is not due on the last business day by go-live", &t.id
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn forward_stages_keep_every_rule(
        (case, tail) in case().prop_flat_map(|c| {
            let n = c.stages.len();
            (Just(c), tail(n))
        })
    ) {
        let backward_only = schedule(&deployment(&case), date(2020, 1, 1));
        let mut dep = deployment(&case);
        let b = case.stages.len();
        for (k, (days, anchor, after)) in tail.iter().enumerate() {
            dep.processes[0].stages.push(Stage {
                id: format!("s{}", b + k),
                name: format!("Forward {k}"),
                owner: "ops".into(),
                days: *days,
                after: after.clone(),
                after_golive: *anchor,
                checklist: Vec::new(),
            });
        }
        let s = schedule(&dep, date(2020, 1, 1));
        prop_assert_eq!(s.tasks.len(), (b + tail.len()) * case.golives.len());
        // The stages before go-live do not move.
        let before: Vec<_> = s.tasks.iter().filter(|t| t.stage[1..].parse::<usize>().unwrap() < b).collect();
        let alone: Vec<_> = backward_only.tasks.iter().collect();
        prop_assert_eq!(before, alone);

        for (i, &golive) in case.golives.iter().enumerate() {
            let task = |stage: &str| {
                s.tasks.iter().find(|t| t.item == format!("item{i}") && t.stage == stage).unwrap()
            };
            for (k, (days, anchor, after)) in tail.iter().enumerate() {
                let t = task(&format!("s{}", b + k));
                prop_assert!(is_business(&case, t.start), "{} starts on {}", t.id, t.start);
                prop_assert!(is_business(&case, t.due), "{} is due on {}", t.id, t.due);
                prop_assert!(golive <= t.start, "{} starts before go-live", t.id);
                prop_assert_eq!(
                    business_days_between(&case, t.start, t.due),
                    (*days).max(1) as usize,
                    "{} spans the wrong number of business days", &t.id
                );
                // The later of its anchor and the day after each forward stage it waits for.
                let earliest = anchor
                    .map(|n| nth_after(&case, golive, n))
                    .into_iter()
                    .chain(
                        after
                            .iter()
                            .filter(|a| a[1..].parse::<usize>().unwrap() >= b)
                            .map(|a| next_business(&case, task(a).due)),
                    )
                    .max()
                    .unwrap();
                prop_assert_eq!(t.start, earliest, "{} starts on the wrong day", &t.id);
            }
        }
    }

    #[test]
    fn a_lookup_table_never_changes_an_answer(
        case in case(),
        window in (0i32..1400, 0i32..400),
        queries in proptest::collection::vec((0i32..1500, 0u32..40, 0i32..60), 1..40),
    ) {
        let walk = BusinessCalendar::from_parts(
            TimeZone::get(case.zone).unwrap(),
            &case.workweek,
            case.holidays.iter().copied(),
        );
        let fast = walk.clone().with_lookup(day(window.0), day(window.0 + window.1));
        for (q, n, len) in queries {
            let d = day(q);
            prop_assert_eq!(fast.is_business_day(d), is_business(&case, d));
            prop_assert_eq!(walk.is_business_day(d), is_business(&case, d));
            prop_assert_eq!(fast.on_or_before(d), walk.on_or_before(d));
            prop_assert_eq!(fast.before(d), walk.before(d));
            prop_assert_eq!(fast.after(d), walk.after(d));
            prop_assert_eq!(fast.back(d, n), walk.back(d, n));
            prop_assert_eq!(fast.forward(d, n), walk.forward(d, n));
            let to = day(q + len);
            let naive = business_days_between(&case, d, to) as u32;
            prop_assert_eq!(fast.count(d, to), naive);
            prop_assert_eq!(walk.count(d, to), naive);
            // back(d, n) for n ≥ 1: n business days strictly before d, counted naively.
            if n > 0 {
                let b = walk.back(d, n);
                prop_assert!(is_business(&case, b));
                prop_assert_eq!(
                    business_days_between(&case, b, d.yesterday().unwrap()),
                    n as usize
                );
            }
        }
    }
}
