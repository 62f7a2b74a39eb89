//! Hand-computed histories. Calendar: Monday to Friday, UTC, no holidays. 2026-11-02 is a
//! Monday. Process `p`: stage `a` (writer, 2 days) → `b` (boss, 1 day) → `c` (writer, 2 days).

use jiff::Timestamp;
use jiff::civil::{Date, Weekday, date};
use jiff::tz::TimeZone;
use throughline_connector::State;

use super::*;
use crate::schedule::BusinessCalendar;
use crate::state::StatusRecord;

const W: &str = "w@x";
const B: &str = "b@x";

fn process(writer_max: Option<u32>) -> ProcessInput {
    use Weekday::*;
    ProcessInput {
        id: "p".into(),
        file: "playbooks/p.toml".into(),
        calendar: BusinessCalendar::from_parts(
            TimeZone::UTC,
            &[Monday, Tuesday, Wednesday, Thursday, Friday],
            [],
        ),
        stages: vec![
            stage("a", "writer", 2, &[]),
            stage("b", "boss", 1, &["a"]),
            stage("c", "writer", 2, &["b"]),
        ],
        roles: vec![
            RoleInput {
                id: "writer".into(),
                people: vec![W.into()],
                max_parallel: writer_max,
            },
            RoleInput {
                id: "boss".into(),
                people: vec![B.into()],
                max_parallel: None,
            },
        ],
    }
}

fn stage(id: &str, role: &str, days: u32, after: &[&str]) -> StageInput {
    StageInput {
        id: id.into(),
        role: role.into(),
        days,
        after: after.iter().map(|s| s.to_string()).collect(),
    }
}

fn task(item: &str, stage: &str, start: Date, due: Date, golive: Date) -> TaskInput {
    let (role, owner) = if stage == "b" {
        ("boss", B)
    } else {
        ("writer", W)
    };
    TaskInput {
        id: crate::model::task_id(item, stage),
        item: item.into(),
        process: "p".into(),
        stage: stage.into(),
        role: role.into(),
        owner: Some(owner.into()),
        start,
        due,
        golive,
    }
}

/// Item `x1` goes live Fri 11-06, `x2` Fri 11-13 (backward schedule by hand).
fn tasks() -> Vec<TaskInput> {
    let (g1, g2) = (date(2026, 11, 6), date(2026, 11, 13));
    vec![
        task("x1", "a", date(2026, 11, 2), date(2026, 11, 3), g1),
        task("x1", "b", date(2026, 11, 4), date(2026, 11, 4), g1),
        task("x1", "c", date(2026, 11, 5), date(2026, 11, 6), g1),
        task("x2", "a", date(2026, 11, 9), date(2026, 11, 10), g2),
        task("x2", "b", date(2026, 11, 11), date(2026, 11, 11), g2),
        task("x2", "c", date(2026, 11, 12), date(2026, 11, 13), g2),
    ]
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn rec(
    id: &str,
    state: State,
    when: &str,
    target: Option<&str>,
    person: Option<&str>,
) -> StatusRecord {
    StatusRecord {
        identity: id.into(),
        state,
        source_target: target.map(Into::into),
        source_person: person.map(Into::into),
        at: at(when),
        reason: None,
    }
}

fn history() -> Vec<StatusRecord> {
    use State::*;
    let mut h: Vec<StatusRecord> = tasks()
        .iter()
        .map(|t| rec(&t.id, Todo, "2026-10-30T09:00:00Z", None, None))
        .collect();
    h.extend([
        rec("x1/a", Doing, "2026-11-02T10:00:00Z", Some("xl"), None),
        rec("x1/a", Done, "2026-11-03T15:00:00Z", Some("xl"), None),
        rec(
            "x1/b",
            Done,
            "2026-11-06T10:00:00Z",
            Some("trello"),
            Some(B),
        ),
        rec("x1/c", Done, "2026-11-06T16:00:00Z", Some("xl"), Some(B)),
        rec("x2/a", Done, "2026-11-11T15:00:00Z", Some("xl"), None),
        rec(
            "x2/b",
            Done,
            "2026-11-16T09:00:00Z",
            Some("trello"),
            Some(B),
        ),
    ]);
    h
}

fn input(now: &str) -> Input {
    Input {
        now: at(now),
        since: date(2026, 11, 1),
        until: date(2026, 11, 17),
        processes: vec![process(Some(1))],
        tasks: tasks(),
        history: history(),
        targets: vec![
            TargetInput {
                id: "xl".into(),
                tool: "excel".into(),
            },
            TargetInput {
                id: "trello".into(),
                tool: "trello".into(),
            },
            TargetInput {
                id: "asana".into(),
                tool: "asana".into(),
            },
        ],
        metrics: Vec::new(),
        metric_values: Vec::new(),
        snoozes: Vec::new(),
        planned: Vec::new(),
        filter: Filter::default(),
    }
}

fn rate(counted: u32, on_time: u32, median: Option<u32>) -> Rate {
    Rate {
        counted,
        on_time,
        late: counted - on_time,
        rate: Some(f64::from(on_time) / f64::from(counted)),
        median_lateness: median,
    }
}

#[test]
fn percentiles_are_nearest_rank() {
    let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    // ⌈0.5·10⌉ = 5, ⌈0.85·10⌉ = 9, ⌈0.95·10⌉ = 10.
    assert_eq!(percentile(&v, 50), Some(5));
    assert_eq!(percentile(&v, 85), Some(9));
    assert_eq!(percentile(&v, 95), Some(10));
    assert_eq!(percentile(&[4], 95), Some(4));
    assert_eq!(percentile(&[], 50), None);
}

#[test]
fn on_time_and_lateness_per_stage_person_item_and_week() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    // x1: a on time; b due Wed 11-04 done Fri 11-06: Thu, Fri = 2 late; c on time.
    // x2: a due Tue 11-10 done Wed 11-11: 1 late; b due Wed 11-11 done Mon 11-16: Thu, Fri,
    // Mon = 3 late; c due Fri 11-13 still open on Tue 11-17: Mon, Tue = 2 late.
    let o = &r.on_time;
    assert_eq!(o.overall, rate(6, 2, Some(2)));
    let stage = |s: &str| &o.by_stage.iter().find(|x| x.stage == s).unwrap().rate;
    assert_eq!(stage("a"), &rate(2, 1, Some(1)));
    assert_eq!(stage("b"), &rate(2, 0, Some(2))); // [2, 3]: the lower middle
    assert_eq!(stage("c"), &rate(2, 1, Some(2)));
    let key = |v: &Vec<KeyRate>, k: &str| v.iter().find(|x| x.key == k).unwrap().rate.clone();
    assert_eq!(key(&o.by_person, W), rate(4, 2, Some(1)));
    assert_eq!(key(&o.by_person, B), rate(2, 0, Some(2)));
    assert_eq!(key(&o.by_item, "x1"), rate(3, 2, Some(2)));
    assert_eq!(key(&o.by_item, "x2"), rate(3, 0, Some(2)));
    assert_eq!(key(&o.by_week, "2026-11-02"), rate(3, 2, Some(2)));
    assert_eq!(key(&o.by_week, "2026-11-09"), rate(3, 0, Some(2)));
    let late: Vec<(&str, Option<Date>, u32)> = o
        .late
        .iter()
        .map(|l| (l.task.as_str(), l.done, l.lateness))
        .collect();
    assert_eq!(
        late,
        [
            ("x1/b", Some(date(2026, 11, 6)), 2),
            ("x2/a", Some(date(2026, 11, 11)), 1),
            ("x2/b", Some(date(2026, 11, 16)), 3),
            ("x2/c", None, 2),
        ]
    );
}

#[test]
fn done_on_a_day_off_is_late_by_the_next_business_day() {
    let mut i = input("2026-11-17T12:00:00Z");
    i.history.retain(|r| r.identity != "x2/b");
    i.history.push(rec(
        "x2/b",
        State::Done,
        "2026-11-14T09:00:00Z",
        Some("trello"),
        Some(B),
    ));
    let r = measure(&i);
    let l = r.on_time.late.iter().find(|l| l.task == "x2/b").unwrap();
    // Due Wed 11-11, done Sat 11-14 → counted to Mon 11-16: Thu, Fri, Mon.
    assert_eq!(l.lateness, 3);
}

#[test]
fn a_reopened_task_is_open_again() {
    let mut i = input("2026-11-17T12:00:00Z");
    i.history.push(rec(
        "x1/c",
        State::Doing,
        "2026-11-09T09:00:00Z",
        Some("xl"),
        None,
    ));
    let r = measure(&i);
    let l = r.on_time.late.iter().find(|l| l.task == "x1/c").unwrap();
    // Due Fri 11-06, open on Tue 11-17: 7 business days (11-09..11-13, 11-16, 11-17).
    assert_eq!((l.done, l.lateness), (None, 7));
}

#[test]
fn stage_time_from_ready_to_done_and_work_time() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    let st = |s: &str| r.stage_time.iter().find(|x| x.stage == s).unwrap();
    let times = |s: &str| -> Vec<(String, Date, u32, f64)> {
        st(s)
            .tasks
            .iter()
            .map(|t| (t.task.clone(), t.ready, t.business_days, t.calendar_days))
            .collect()
    };
    // x1/a: ready its start Mon 11-02 (00:00), done Tue 11-03 15:00: 2 business days, 39 h.
    // x2/a: Mon 11-09 → Wed 11-11 15:00: 3 business days, 2 d 15 h = 2.6 d.
    assert_eq!(
        times("a"),
        [
            ("x1/a".into(), date(2026, 11, 2), 2, 1.6),
            ("x2/a".into(), date(2026, 11, 9), 3, 2.6)
        ]
    );
    // x1/b: a done Tue 11-03 15:00, ready Wed 11-04, done Fri 11-06 10:00: 3 days, 67 h.
    // x2/b: a done Wed 11-11 15:00, ready Thu 11-12, done Mon 11-16 09:00: 3 days, 4 d 18 h.
    assert_eq!(
        times("b"),
        [
            ("x1/b".into(), date(2026, 11, 4), 3, 2.8),
            ("x2/b".into(), date(2026, 11, 12), 3, 4.8)
        ]
    );
    // x1/c done Fri 11-06 16:00, 6 h after b; ready Mon 11-09: done before ready = 0 days.
    assert_eq!(times("c"), [("x1/c".into(), date(2026, 11, 9), 0, 0.3)]);
    let a = st("a");
    assert_eq!(
        (a.p50, a.p85, a.p95, a.planned_days),
        (Some(2), Some(3), Some(3), 2)
    );
    // Work time: x1/a doing Mon 11-02 10:00 → done Tue 15:00: 2 business days, 29 h.
    assert_eq!(a.tasks[0].work_business_days, Some(2));
    assert_eq!(a.tasks[0].work_calendar_days, Some(1.2));
    assert_eq!((a.work_count, a.work_p50), (1, Some(2)));
    assert_eq!(a.tasks[1].work_business_days, None);
}

#[test]
fn aging_against_the_stage_percentiles() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    // Only x2/c is open and ready: b done Mon 11-16, ready Tue 11-17, age 1; c's one stage
    // time is 0, so p95 = 0 and it is over.
    assert_eq!(r.aging.len(), 1);
    let a = &r.aging[0];
    assert_eq!(
        (a.task.as_str(), a.ready, a.age, a.zone),
        ("x2/c", date(2026, 11, 17), 1, Zone::OverP95)
    );
    // A day earlier b is still open: nothing of x2 is ready but b (ready Thu 11-12, age 3 on
    // Mon 11-16), against b's p50 = p85 = p95 = 3 of the week before → to_p50.
    let mut i = input("2026-11-16T08:00:00Z");
    i.history.retain(|r| r.identity != "x2/b");
    let r = measure(&i);
    let a: Vec<(&str, u32, Zone)> = r
        .aging
        .iter()
        .map(|a| (a.task.as_str(), a.age, a.zone))
        .collect();
    assert_eq!(a, [("x2/b", 3, Zone::ToP50)]);
}

#[test]
fn throughput_per_week() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    let t: Vec<(Date, u32, u32)> = r
        .throughput
        .iter()
        .map(|w| (w.week, w.done, w.on_time))
        .collect();
    assert_eq!(
        t,
        [
            (date(2026, 10, 26), 0, 0),
            (date(2026, 11, 2), 3, 2),
            (date(2026, 11, 9), 1, 0),
            (date(2026, 11, 16), 1, 0),
        ]
    );
}

#[test]
fn bottleneck_is_the_stage_with_most_slip_in_late_golives() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    let b = r.bottleneck.unwrap();
    // x1 went live on time; x2 did not (c open past Fri 11-13). In x2: a took 3 of 2 days
    // (slip 1), b 3 of 1 (slip 2), c is 1 day old of 2 (slip 0).
    assert_eq!((b.process.as_str(), b.stage.as_str()), ("p", "b"));
    assert_eq!(b.basis, "late_golives");
    assert_eq!(b.late_items, ["x2"]);
    assert_eq!(
        (b.slip_days, b.slipped_tasks.clone()),
        (2, vec!["x2/b".to_string()])
    );
    let s: Vec<(&str, u32, u32, u32)> = b
        .stages
        .iter()
        .map(|s| (s.stage.as_str(), s.slip_days, s.slipped_tasks, s.tasks))
        .collect();
    assert_eq!(s, [("b", 2, 1, 1), ("a", 1, 1, 1)]);
}

#[test]
fn a_stage_after_go_live_does_not_hide_a_late_go_live() {
    // As above, plus a results check `d` 2 business days after x2's go-live (Tue 11-17, still
    // open on that day): x2 is still late for its go-live of Fri 11-13, not measured at 11-17.
    let mut i = input("2026-11-17T12:00:00Z");
    i.processes[0].stages.push(stage("d", "writer", 1, &["c"]));
    i.tasks.push(task(
        "x2",
        "d",
        date(2026, 11, 17),
        date(2026, 11, 17),
        date(2026, 11, 13),
    ));
    let b = measure(&i).bottleneck.unwrap();
    assert_eq!(b.basis, "late_golives");
    assert_eq!(b.late_items, ["x2"]);
}

#[test]
fn bottleneck_without_late_golives_counts_every_task() {
    let mut i = input("2026-11-17T12:00:00Z");
    i.history.push(rec(
        "x2/c",
        State::Done,
        "2026-11-13T12:00:00Z",
        Some("xl"),
        None,
    ));
    i.history
        .retain(|r| r.identity != "x2/b" || r.state != State::Done);
    i.history.push(rec(
        "x2/b",
        State::Done,
        "2026-11-12T12:00:00Z",
        Some("trello"),
        Some(B),
    ));
    let r = measure(&i);
    let b = r.bottleneck.unwrap();
    // No go-live late. Slip: x1/b 3 of 1 = 2; x2/a 3 of 2 = 1; x2/b Thu → Thu 1 of 1 = 0.
    assert_eq!(
        (b.basis.as_str(), b.stage.as_str(), b.slip_days),
        ("late_tasks", "b", 2)
    );
    assert!(b.late_items.is_empty());
}

#[test]
fn load_peaks_per_week_against_max_parallel() {
    let mut i = input("2026-11-17T12:00:00Z");
    // A third item whose writer tasks overlap x1's and x2's.
    let g = date(2026, 11, 13);
    i.tasks
        .push(task("x3", "a", date(2026, 11, 2), date(2026, 11, 10), g));
    i.history.push(rec(
        "x3/a",
        State::Done,
        "2026-11-10T12:00:00Z",
        Some("xl"),
        None,
    ));
    let r = measure(&i);
    let w = r.load.iter().find(|l| l.person == W).unwrap();
    let peaks: Vec<u32> = w.weeks.iter().map(|w| w.peak).collect();
    // Writer spans: x1/a 11-02..03, x1/c 11-05..06, x2/a 11-09..11, x2/c 11-12..17 (open,
    // today is past due), x3/a 11-02..10. Week 11-02: 2 every day; week 11-09: Mon–Tue
    // x2/a + x3/a = 2; week 11-16: x2/c = 1.
    assert_eq!(peaks, [0, 2, 2, 1]);
    assert_eq!(
        (w.max_parallel, w.weeks_with_work, w.weeks_over),
        (Some(1), 3, 2)
    );
    let rec = r
        .recommendations
        .iter()
        .find(|r| r.id == "over-parallel/w@x")
        .unwrap();
    assert_eq!(
        rec.change.as_deref(),
        Some(
            "--- playbooks/p.toml\n+++ playbooks/p.toml\n [roles.writer]\n-people = [\"w@x\"]\n\
             +people = [\"w@x\", \"SECOND PERSON\"]\n"
        )
    );
    let b = r.load.iter().find(|l| l.person == B).unwrap();
    assert_eq!((b.max_parallel, b.weeks_over), (None, 0));
}

#[test]
fn adoption_per_person_and_tool() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    let a = &r.adoption;
    let w = a.people.iter().find(|p| p.person == W).unwrap();
    // The workbook names nobody: its three updates count for the owner (w). x1/c was ticked
    // by b@x in the workbook, so of w's three updated tasks w updated two.
    assert_eq!(w.updates, [("xl".to_string(), 3)].into());
    assert_eq!((w.tasks_updated, w.self_updated), (3, 2));
    assert_eq!(w.self_share, Some(2.0 / 3.0));
    assert_eq!(
        (w.last_update, w.days_since_last_update),
        (Some(date(2026, 11, 11)), Some(6))
    );
    let b = a.people.iter().find(|p| p.person == B).unwrap();
    assert_eq!(
        b.updates,
        [("trello".to_string(), 2), ("xl".to_string(), 1)].into()
    );
    assert_eq!(
        (b.tasks_updated, b.self_updated, b.days_since_last_update),
        (2, 2, Some(1))
    );
    assert_eq!(a.unused, ["asana"]);
    assert_eq!(a.targets[0].updates, 4);
}

#[test]
fn leaderboard_this_week_and_month() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    let l = &r.leaderboard;
    assert_eq!((l.week, l.month.as_str()), (date(2026, 11, 16), "2026-11"));
    // On time: x1/a and x1/c (w, writer), both in November, neither this week.
    let people: Vec<(&str, u32, u32)> = l
        .people
        .iter()
        .map(|s| (s.name.as_str(), s.week, s.month))
        .collect();
    assert_eq!(people, [(W, 0, 2)]);
    let roles: Vec<(&str, u32, u32)> = l
        .roles
        .iter()
        .map(|s| (s.name.as_str(), s.week, s.month))
        .collect();
    assert_eq!(roles, [("writer", 0, 2)]);
    let mut i = input("2026-11-17T12:00:00Z");
    i.until = date(2026, 11, 6);
    let l = measure(&i).leaderboard;
    assert_eq!(
        l.people[0],
        Standing {
            name: W.into(),
            week: 2,
            month: 2
        }
    );
}

#[test]
fn forecast_of_ready_by_go_live_leaves_out_stages_after_it() {
    // As in the first case below (chance 1, ready Fri 11-13), plus a results check `d`
    // 2 business days after x2's go-live (Tue 11-17): it is open and after go-live, and
    // must neither make x2 late nor move the date it is ready for go-live.
    let mut i = input("2026-11-09T08:00:00Z");
    i.processes[0].stages.push(stage("d", "writer", 1, &["c"]));
    i.tasks.push(task(
        "x2",
        "d",
        date(2026, 11, 17),
        date(2026, 11, 17),
        date(2026, 11, 13),
    ));
    i.history
        .retain(|r| !r.identity.starts_with("x2") || r.source_target.is_none());
    i.until = date(2026, 11, 9);
    let r = measure(&i);
    let f = &r.forecast.items[0];
    assert_eq!(
        (f.item.as_str(), f.chance_by_golive, f.date_p85, f.at_risk),
        ("x2", 1.0, date(2026, 11, 13), false)
    );
    assert!(
        f.open_tasks.contains(&"x2/d".to_string()),
        "{:?}",
        f.open_tasks
    );
}

#[test]
fn forecast_over_measured_stage_times() {
    // x2 on Mon 11-09 08:00 with nothing done: stage times measured from x1 only
    // (a: 2, b: 3, c: 0). a ready Mon 11-09 + 2 → Tue 11-10; b Wed + 3 → Fri 11-13;
    // c 0 days → Fri 11-13 = go-live. Every run is the same: chance 1.
    let mut i = input("2026-11-09T08:00:00Z");
    i.history
        .retain(|r| !r.identity.starts_with("x2") || r.source_target.is_none());
    i.until = date(2026, 11, 9);
    let r = measure(&i);
    assert_eq!(
        (r.forecast.runs, r.forecast.items.len()),
        (FORECAST_RUNS, 1)
    );
    let f = &r.forecast.items[0];
    assert_eq!(
        (f.item.as_str(), f.chance_by_golive, f.date_p85, f.at_risk),
        ("x2", 1.0, date(2026, 11, 13), false)
    );
    // With b's history 3 and 5 days (a second x1-like item), half the runs need two more
    // days: about 50 %, at risk, and the 85 % date is Tue 11-17.
    let mut i = input("2026-11-09T08:00:00Z");
    let g = date(2026, 11, 6);
    i.tasks
        .push(task("x0", "b", date(2026, 11, 2), date(2026, 11, 2), g));
    i.history
        .retain(|r| !r.identity.starts_with("x2") || r.source_target.is_none());
    // x0/b waits for nothing in x0 (no x0/a): ready Mon 11-02, done Fri 11-06 = 5 days.
    i.history.push(rec(
        "x0/b",
        State::Done,
        "2026-11-06T12:00:00Z",
        Some("trello"),
        Some(B),
    ));
    i.until = date(2026, 11, 9);
    let r = measure(&i);
    let f = r.forecast.items.iter().find(|f| f.item == "x2").unwrap();
    assert!(
        (0.47..0.53).contains(&f.chance_by_golive),
        "{}",
        f.chance_by_golive
    );
    assert!(f.at_risk);
    assert_eq!(f.date_p85, date(2026, 11, 17));
    // Fixed seed: the same answer every time.
    let again = measure(&i);
    let g = again
        .forecast
        .items
        .iter()
        .find(|f| f.item == "x2")
        .unwrap();
    assert_eq!(g.chance_by_golive, f.chance_by_golive);
}

#[test]
fn recommendations_carry_evidence_and_a_playbook_diff() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    let ids: Vec<&str> = r.recommendations.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["late-stage/p/b", "tool-unused/asana"]);
    let late = &r.recommendations[0];
    assert_eq!(
        late.text,
        "`b` finished late in 2 of 2 items, median 2 business days late: give it `days = 3` \
         (planned 1), or add a backup to the `boss` role"
    );
    assert_eq!(late.evidence.tasks, ["x1/b", "x2/b"]);
    assert_eq!(late.evidence.numbers["median_lateness"], 2.0);
    assert_eq!(
        late.change.as_deref(),
        Some(
            "--- playbooks/p.toml\n+++ playbooks/p.toml\n [[stage]]\n id = \"b\"\n-days = 1\n+days = 3\n"
        )
    );
    assert!(r.recommendations[1].change.is_none());
}

#[test]
fn stage_p85_over_plan() {
    // Three more items in which `a` took 5 days and was not late (due dates set late).
    let mut i = input("2026-11-17T12:00:00Z");
    for (n, done) in [(4, "06"), (5, "09"), (6, "10")] {
        let item = format!("x{n}");
        let start = date(2026, 11, 2);
        i.tasks.push(task(
            &item,
            "a",
            start,
            date(2026, 11, 30),
            date(2026, 11, 30),
        ));
        i.history.push(rec(
            &format!("{item}/a"),
            State::Done,
            &format!("2026-11-{done}T12:00:00Z"),
            Some("xl"),
            None,
        ));
    }
    // a: x1 2, x2 3, x4 Mon–Fri 11-06 5, x5 Mon 11-09 → 6, x6 Tue 11-10 → 7: p85 = ⌈4.25⌉ = 5th = 7.
    let r = measure(&i);
    let rec = r
        .recommendations
        .iter()
        .find(|r| r.id == "stage-p85/p/a")
        .unwrap();
    assert_eq!(
        rec.text,
        "`a` p85 is 7 business days, planned 2: give it `days = 7`"
    );
    assert_eq!(rec.evidence.tasks, ["x2/a", "x4/a", "x5/a", "x6/a"]);
}

#[test]
fn filters_narrow_what_is_shown_not_the_percentiles() {
    let mut i = input("2026-11-17T12:00:00Z");
    i.filter.item = Some("x1".into());
    let r = measure(&i);
    assert_eq!(r.on_time.overall.counted, 3);
    assert_eq!(r.stage_time[0].count, 2);
    assert!(r.aging.is_empty());
    let mut i = input("2026-11-17T12:00:00Z");
    i.filter.person = Some(B.into());
    let r = measure(&i);
    assert_eq!(r.on_time.overall, rate(2, 0, Some(2)));
    assert_eq!(r.adoption.people.len(), 1);
}

#[test]
fn forecast_of_a_waiting_task_draws_only_times_as_long_as_its_age() {
    // Thu 11-12 08:00: x2/a done Tue 11-10, so x2/b has waited since Wed 11-11: age 2.
    // b's stage times: x1/b 3, x0/b 5 (Mon 11-02 to Fri 11-06), x9/b 1 (Mon 11-02 only).
    // Only 3 and 5 are still possible: 3 → done Fri 11-13 = go-live; 5 → Tue 11-17. About
    // half the runs are ready by go-live (drawing 1 as well would make it two thirds).
    let mut i = input("2026-11-12T08:00:00Z");
    let g = date(2026, 11, 6);
    for item in ["x0", "x9"] {
        i.tasks
            .push(task(item, "b", date(2026, 11, 2), date(2026, 11, 2), g));
    }
    i.history
        .retain(|r| !r.identity.starts_with("x2") || r.source_target.is_none());
    i.history.extend([
        rec(
            "x2/a",
            State::Done,
            "2026-11-10T12:00:00Z",
            Some("xl"),
            None,
        ),
        rec(
            "x0/b",
            State::Done,
            "2026-11-06T12:00:00Z",
            Some("trello"),
            Some(B),
        ),
        rec(
            "x9/b",
            State::Done,
            "2026-11-02T12:00:00Z",
            Some("trello"),
            Some(B),
        ),
    ]);
    i.until = date(2026, 11, 12);
    let r = measure(&i);
    let b = r.stage_time.iter().find(|s| s.stage == "b").unwrap();
    let mut days: Vec<u32> = b.tasks.iter().map(|t| t.business_days).collect();
    days.sort_unstable();
    assert_eq!(days, [1, 3, 5]);
    let f = r.forecast.items.iter().find(|f| f.item == "x2").unwrap();
    assert!(
        (0.47..0.53).contains(&f.chance_by_golive),
        "{}",
        f.chance_by_golive
    );
    assert_eq!(f.date_p85, date(2026, 11, 17));
}

#[test]
fn cumulative_flow_per_stage_and_state_at_the_end_of_each_day() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    let f = &r.cumulative_flow;
    // 11-01 … 11-17: 17 days.
    assert_eq!(f.days.len(), 17);
    assert_eq!(f.days[0], date(2026, 11, 1));
    let series = |stage: &str, state: &str| -> Vec<u32> {
        let s = f.stages.iter().find(|s| s.stage == stage).unwrap();
        (0..17).map(|d| s.count(state, d)).collect()
    };
    // Stage a: both pushed (todo) on 10-30, before the period. x1/a doing Mon 11-02, done
    // Tue 11-03; x2/a done Wed 11-11.
    let mut todo = vec![2, 1];
    todo.extend([1; 8]); // 11-03 … 11-10
    todo.extend([0; 7]); // 11-11 … 11-17
    assert_eq!(series("a", "todo"), todo);
    let mut doing = vec![0, 1];
    doing.extend([0; 15]);
    assert_eq!(series("a", "doing"), doing);
    let mut done = vec![0, 0];
    done.extend([1; 8]);
    done.extend([2; 7]);
    assert_eq!(series("a", "done"), done);
    // Stage b: x1/b done Fri 11-06 (index 5), x2/b done Mon 11-16 (index 15).
    let mut done = vec![0; 5];
    done.extend([1; 10]);
    done.extend([2; 2]);
    assert_eq!(series("b", "done"), done);
    // Every day, each stage's states add up to its two tasks.
    for s in &f.stages {
        for d in 0..17 {
            let total: u32 = s.states.iter().map(|c| c.counts[d]).sum();
            assert_eq!(total, 2, "{} on {}", s.stage, f.days[d]);
        }
    }
}

#[test]
fn cumulative_flow_counts_a_task_from_its_first_record_and_the_days_last_state() {
    let mut i = input("2026-11-17T12:00:00Z");
    i.since = date(2026, 11, 2);
    i.until = date(2026, 11, 6);
    i.filter.item = Some("x2".into());
    // x2/a first pushed on Wed 11-04; on Thu it went doing and back to todo the same day;
    // a record after the period does not count.
    i.history.retain(|r| r.identity != "x2/a");
    i.history.extend([
        rec("x2/a", State::Todo, "2026-11-04T09:00:00Z", None, None),
        rec(
            "x2/a",
            State::Doing,
            "2026-11-05T09:00:00Z",
            Some("xl"),
            None,
        ),
        rec(
            "x2/a",
            State::Todo,
            "2026-11-05T17:00:00Z",
            Some("xl"),
            None,
        ),
        rec(
            "x2/a",
            State::Done,
            "2026-11-09T09:00:00Z",
            Some("xl"),
            None,
        ),
    ]);
    let r = measure(&i);
    let a = r
        .cumulative_flow
        .stages
        .iter()
        .find(|s| s.stage == "a")
        .unwrap();
    // Only x2 is shown: x1/a's records do not count.
    let series: Vec<(&str, &[u32])> = a
        .states
        .iter()
        .map(|s| (s.state.as_str(), s.counts.as_slice()))
        .collect();
    assert_eq!(
        series,
        [
            ("todo", &[0, 0, 1, 1, 1][..]),
            ("doing", &[0, 0, 0, 0, 0][..]),
            ("done", &[0, 0, 0, 0, 0][..]),
        ]
    );
}

#[test]
fn timeline_puts_each_tasks_plan_next_to_what_happened() {
    let r = measure(&input("2026-11-17T12:00:00Z"));
    let items: Vec<&str> = r.timeline.iter().map(|t| t.item.as_str()).collect();
    assert_eq!(items, ["x1", "x2"]);
    type Row<'a> = (&'a str, Date, Date, Option<Date>, Option<Date>, bool);
    let x2: Vec<Row> = r.timeline[1]
        .tasks
        .iter()
        .map(|t| {
            (
                t.stage.as_str(),
                t.planned_start,
                t.planned_due,
                t.ready,
                t.done,
                t.late,
            )
        })
        .collect();
    assert_eq!(
        x2,
        [
            // a: planned Mon 11-09 – Tue 11-10, done Wed 11-11: late.
            (
                "a",
                date(2026, 11, 9),
                date(2026, 11, 10),
                Some(date(2026, 11, 9)),
                Some(date(2026, 11, 11)),
                true
            ),
            // b: ready the day after a, done Mon 11-16: late.
            (
                "b",
                date(2026, 11, 11),
                date(2026, 11, 11),
                Some(date(2026, 11, 12)),
                Some(date(2026, 11, 16)),
                true
            ),
            // c: ready Tue 11-17, open past its due Fri 11-13: late.
            (
                "c",
                date(2026, 11, 12),
                date(2026, 11, 13),
                Some(date(2026, 11, 17)),
                None,
                true
            ),
        ]
    );
    // x1/a was done on its due day: not late.
    assert!(!r.timeline[0].tasks[0].late);
    // A period after both go-lives shows neither.
    let mut i = input("2026-11-30T12:00:00Z");
    i.since = date(2026, 11, 23);
    i.until = date(2026, 11, 30);
    assert!(measure(&i).timeline.is_empty());
}

#[test]
fn kpis_against_their_targets_over_time() {
    let mut i = input("2026-11-17T12:00:00Z");
    let metric = |id: &str, target: f64, by: Date, higher_is_better: bool| MetricInput {
        id: id.into(),
        name: id.into(),
        unit: "%".into(),
        target,
        by,
        higher_is_better,
        process: Some("p".into()),
    };
    i.metrics = vec![
        metric("active", 40.0, date(2026, 11, 30), true),
        metric("questions", 10.0, date(2026, 11, 13), false),
        metric("posts", 5.0, date(2026, 12, 1), true),
        metric("groups", 3.0, date(2026, 11, 30), true),
    ];
    let reading = |m: &str, value: f64, when: &str| MetricReading {
        metric: m.into(),
        value,
        at: at(when),
        note: None,
    };
    i.metric_values = vec![
        // Recorded out of order; the one after the period's last day (11-17) is left out.
        reading("active", 31.0, "2026-11-10T09:00:00Z"),
        reading("active", 12.0, "2026-11-03T09:00:00Z"),
        reading("active", 55.0, "2026-11-20T09:00:00Z"),
        reading("questions", 14.0, "2026-11-12T09:00:00Z"),
        reading("groups", 3.0, "2026-11-16T23:30:00Z"),
    ];
    let r = measure(&i);
    let k = |id: &str| r.kpis.iter().find(|k| k.id == id).unwrap();
    let active = k("active");
    let series: Vec<(Date, f64, bool)> = active
        .values
        .iter()
        .map(|v| (v.on, v.value, v.met))
        .collect();
    assert_eq!(
        series,
        [
            (date(2026, 11, 3), 12.0, false),
            (date(2026, 11, 10), 31.0, false)
        ]
    );
    // 31 of 40 with its day (11-30) still ahead: open.
    assert_eq!(
        (active.latest, active.status),
        (Some(31.0), KpiStatus::Open)
    );
    // Lower is better: 14 questions against at most 10, and its day (11-13) has passed.
    assert_eq!(k("questions").status, KpiStatus::Missed);
    assert_eq!(k("posts").status, KpiStatus::NoData);
    // Exactly the target is met.
    assert_eq!(k("groups").status, KpiStatus::Met);
    assert_eq!(k("groups").latest_on, Some(date(2026, 11, 16)));
}

#[test]
fn a_snoozed_recommendation_is_hidden_until_its_day() {
    let fired: Vec<String> = measure(&input("2026-11-17T12:00:00Z"))
        .recommendations
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert!(!fired.is_empty());
    let id = fired[0].clone();
    let mut i = input("2026-11-17T12:00:00Z");
    // Two snoozes of the same id: the later day counts. Another id is not touched.
    i.snoozes = vec![
        (id.clone(), date(2026, 11, 18)),
        (id.clone(), date(2026, 11, 20)),
        ("late-stage/p/none".into(), date(2026, 12, 1)),
    ];
    let r = measure(&i);
    assert!(r.recommendations.iter().all(|r| r.id != id));
    assert_eq!(r.recommendations.len(), fired.len() - 1);
    assert_eq!(
        r.snoozed
            .iter()
            .map(|s| (s.id.as_str(), s.until))
            .collect::<Vec<_>>(),
        [(id.as_str(), date(2026, 11, 20))]
    );
    // On its day it is back.
    i.now = at("2026-11-20T08:00:00Z");
    let r = measure(&i);
    assert!(r.recommendations.iter().any(|r| r.id == id));
    assert!(r.snoozed.is_empty());
}

#[test]
fn replans_measure_how_far_due_dates_moved() {
    let mut i = input("2026-11-17T12:00:00Z");
    let pushed = |id: &str, due: Date, when: &str| PlannedInput {
        identity: id.into(),
        due: Some(due),
        at: at(when),
    };
    i.planned = vec![
        // x2/b: planned Mon 11-09, pushed again unchanged, then Wed 11-11 (2 business days
        // later), recorded out of order.
        pushed("x2/b", date(2026, 11, 11), "2026-11-03T09:00:00Z"),
        pushed("x2/b", date(2026, 11, 9), "2026-11-01T09:00:00Z"),
        pushed("x2/b", date(2026, 11, 9), "2026-11-02T09:00:00Z"),
        // x1/a: moved earlier by a business day over a weekend (Mon 11-09 → Fri 11-06)…
        pushed("x1/a", date(2026, 11, 9), "2026-10-30T09:00:00Z"),
        pushed("x1/a", date(2026, 11, 3), "2026-10-31T09:00:00Z"),
        // …x1/c pushed once: not replanned.
        pushed("x1/c", date(2026, 11, 6), "2026-10-30T09:00:00Z"),
    ];
    let r = measure(&i);
    let tasks: Vec<(&str, Date, Date, u32, i64)> = r
        .replans
        .tasks
        .iter()
        .map(|t| (t.task.as_str(), t.first_due, t.due, t.changes, t.moved))
        .collect();
    assert_eq!(
        tasks,
        [
            // Mon 11-09 → Tue 11-03: four business days earlier (11-04 … 11-09 minus the weekend).
            ("x1/a", date(2026, 11, 9), date(2026, 11, 3), 1, -4),
            ("x2/b", date(2026, 11, 9), date(2026, 11, 11), 1, 2),
        ]
    );
    let stages: Vec<(&str, u32, u32, i64)> = r
        .replans
        .by_stage
        .iter()
        .map(|s| (s.stage.as_str(), s.tasks, s.replanned, s.days_later))
        .collect();
    assert_eq!(stages, [("a", 1, 1, 0), ("b", 1, 1, 2)]);
}

/// A move into `blocked`, with why.
fn blocked(id: &str, when: &str, reason: &str) -> StatusRecord {
    StatusRecord {
        reason: Some(reason.into()),
        ..rec(id, State::Blocked, when, Some("xl"), Some(W))
    }
}

/// `x2/a` (ready Mon 11-09) as the history says it went, instead of the shared history's.
fn with_x2a(now: &str, until: Date, x2a: Vec<StatusRecord>) -> Input {
    let mut i = input(now);
    i.until = until;
    i.history
        .retain(|r| r.identity != "x2/a" || r.state == State::Todo);
    i.history.extend(x2a);
    i
}

#[test]
fn blocked_days_are_kept_out_of_stage_and_work_time() {
    use State::*;
    // x2/a: doing Mon 11-09 10:00, blocked Tue 11-10 09:00, doing again Thu 11-12 09:00, done
    // Fri 11-13 15:00. Ready Mon 11-09: 5 business days, blocked Tue and Wed = 2 → 3.
    // Calendar: Mon 00:00 → Fri 15:00 = 111 h, blocked 48 h → 63 h = 2.6 d.
    // Work: Mon 10:00 → Fri 15:00 = 101 h − 48 h = 53 h = 2.2 d; 5 business days − 2 = 3.
    let i = with_x2a(
        "2026-11-17T12:00:00Z",
        date(2026, 11, 17),
        vec![
            rec("x2/a", Doing, "2026-11-09T10:00:00Z", Some("xl"), None),
            blocked("x2/a", "2026-11-10T09:00:00Z", "legal"),
            rec("x2/a", Doing, "2026-11-12T09:00:00Z", Some("xl"), None),
            rec("x2/a", Done, "2026-11-13T15:00:00Z", Some("xl"), None),
        ],
    );
    let r = measure(&i);
    let a = r.stage_time.iter().find(|s| s.stage == "a").unwrap();
    let t = a.tasks.iter().find(|t| t.task == "x2/a").unwrap();
    assert_eq!(
        (t.business_days, t.calendar_days),
        (3, 2.6),
        "stage time without the blocked days"
    );
    assert_eq!((t.blocked_business_days, t.blocked_calendar_days), (2, 2.0));
    assert_eq!(
        (t.work_business_days, t.work_calendar_days),
        (Some(3), Some(2.2))
    );
    // x1/a (2 days, never blocked) and x2/a (3): one blocked task, 2 blocked days.
    assert_eq!(
        (a.p50, a.p85, a.blocked_days, a.blocked_tasks),
        (Some(2), Some(3), 2, 1)
    );
    let b = r.stage_time.iter().find(|s| s.stage == "b").unwrap();
    assert_eq!((b.blocked_days, b.blocked_tasks), (0, 0));
}

#[test]
fn blocked_over_a_weekend_counts_only_its_business_days() {
    use State::*;
    // Blocked Thu 11-12 10:00 → Tue 11-17 10:00: Thu, Fri, (Sat, Sun,) Mon = 3 business days,
    // 5 calendar days. Ready Mon 11-09, done Wed 11-18 12:00: 8 business days − 3 = 5;
    // 9.5 calendar days − 5 = 4.5. Work from Mon 10:00: 9 d 2 h − 5 d = 4.1 d; 8 − 3 = 5.
    let i = with_x2a(
        "2026-11-20T12:00:00Z",
        date(2026, 11, 20),
        vec![
            rec("x2/a", Doing, "2026-11-09T10:00:00Z", Some("xl"), None),
            blocked("x2/a", "2026-11-12T10:00:00Z", "supplier"),
            rec("x2/a", Doing, "2026-11-17T10:00:00Z", Some("xl"), None),
            rec("x2/a", Done, "2026-11-18T12:00:00Z", Some("xl"), None),
        ],
    );
    let r = measure(&i);
    let a = r.stage_time.iter().find(|s| s.stage == "a").unwrap();
    let t = a.tasks.iter().find(|t| t.task == "x2/a").unwrap();
    assert_eq!(
        (
            t.business_days,
            t.calendar_days,
            t.blocked_business_days,
            t.blocked_calendar_days
        ),
        (5, 4.5, 3, 5.0)
    );
    assert_eq!(
        (t.work_business_days, t.work_calendar_days),
        (Some(5), Some(4.1))
    );
}

#[test]
fn a_task_blocked_now_does_not_age_and_says_since_when() {
    // x2/c is ready Tue 11-17 (b done Mon 11-16); blocked Wed 11-18 09:00 and still blocked on
    // Thu 11-19: 3 business days since ready, Wed and Thu blocked (today counts) → age 1.
    let mut i = input("2026-11-19T12:00:00Z");
    i.until = date(2026, 11, 19);
    i.history
        .push(blocked("x2/c", "2026-11-18T09:00:00Z", "waiting for legal"));
    let r = measure(&i);
    let a = r.aging.iter().find(|a| a.task == "x2/c").unwrap();
    assert_eq!(
        (a.ready, a.age, a.blocked_days, a.blocked_since),
        (date(2026, 11, 17), 1, 2, Some(date(2026, 11, 18)))
    );
    assert_eq!(a.blocked_reason.as_deref(), Some("waiting for legal"));
    // Not blocked: the same day it is 3 business days old.
    let mut i = input("2026-11-19T12:00:00Z");
    i.until = date(2026, 11, 19);
    let r = measure(&i);
    let a = r.aging.iter().find(|a| a.task == "x2/c").unwrap();
    assert_eq!((a.age, a.blocked_days, a.blocked_since), (3, 0, None));
}
