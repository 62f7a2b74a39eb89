//! The scheduler against hand-built models (no files, no loader).

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use jiff::Timestamp;
use jiff::civil::{Date, Weekday, date};
use jiff::tz::TimeZone;

use super::*;
use crate::model::{
    Away, Cadence, ChecklistEntry, Deployment, Item, Lang, Process, Role, Stage, StateLocation,
    SyncSettings,
};

use Weekday::*;

fn role(id: &str, people: &[&str]) -> Role {
    Role {
        id: id.into(),
        name: id.into(),
        people: people.iter().map(|p| p.to_string()).collect(),
        backup: None,
        away: Vec::new(),
        max_parallel: None,
        names: Default::default(),
    }
}

fn stage(id: &str, owner: &str, days: u32, after: &[&str]) -> Stage {
    Stage {
        id: id.into(),
        name: format!("Stage {id}"),
        owner: owner.into(),
        days,
        after: after.iter().map(|a| a.to_string()).collect(),
        after_golive: None,
        checklist: Vec::new(),
    }
}

fn process(
    id: &str,
    tz: &str,
    workweek: &[Weekday],
    roles: Vec<Role>,
    stages: Vec<Stage>,
) -> Process {
    Process {
        id: id.into(),
        name: id.into(),
        timezone_name: tz.into(),
        timezone: TimeZone::get(tz).unwrap(),
        workweek: workweek.to_vec(),
        holidays: BTreeSet::new(),
        lang: Lang::En,
        roles,
        stages,
        file: PathBuf::from(format!("playbooks/{id}.toml")),
    }
}

/// docs/dates.md's worked example: idea 2d → copy 3d ∥ design 3d → approval 1d → publish 0d, Sun–Thu.
fn content() -> Process {
    process(
        "content",
        "Asia/Jerusalem",
        &[Sunday, Monday, Tuesday, Wednesday, Thursday],
        vec![
            role("campaign", &["dana@example.com"]),
            role("writer", &["yossi@example.com", "rina@example.com"]),
            role("designer", &["avi@example.com"]),
            role("social", &["michal@example.com"]),
        ],
        vec![
            stage("idea", "campaign", 2, &[]),
            stage("copy", "writer", 3, &["idea"]),
            stage("design", "designer", 3, &["idea"]),
            stage("approval", "campaign", 1, &["copy", "design"]),
            stage("publish", "social", 0, &["approval"]),
        ],
    )
}

fn item(id: &str, process: &str, golive: Date) -> Item {
    Item {
        id: id.into(),
        process: process.into(),
        title: format!("Item {id}"),
        golive,
        people: BTreeMap::new(),
        skip: Vec::new(),
        channel: None,
        notes: None,
        cadence: None,
    }
}

fn deployment(processes: Vec<Process>, items: Vec<Item>) -> Deployment {
    Deployment {
        config_path: PathBuf::from("throughline.toml"),
        root: PathBuf::from("."),
        state: StateLocation::Sqlite(PathBuf::from("throughline.db")),
        sync: SyncSettings::default(),
        targets: Vec::new(),
        processes,
        items,
        cadences: Vec::new(),
        metrics: Vec::new(),
    }
}

/// `(task id, start, due)` of every task, in schedule order.
fn dates(s: &Schedule) -> Vec<(String, String, String)> {
    s.tasks
        .iter()
        .map(|t| (t.id.clone(), t.start.to_string(), t.due.to_string()))
        .collect()
}

fn expect(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

fn task<'s>(s: &'s Schedule, id: &str) -> &'s Task {
    s.tasks
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no task {id}"))
}

fn kinds(s: &Schedule) -> Vec<(WarningKind, Option<String>)> {
    s.warnings
        .iter()
        .map(|w| (w.kind, w.task.clone()))
        .collect()
}

const EARLY: Date = date(2026, 1, 1);

#[test]
fn the_worked_example_of_the_design() {
    let dep = deployment(
        vec![content()],
        vec![item("spring-sale", "content", date(2026, 12, 10))],
    );
    let s = schedule(&dep, EARLY);
    assert_eq!(
        dates(&s),
        expect(&[
            ("spring-sale/idea", "2026-12-02", "2026-12-03"),
            ("spring-sale/copy", "2026-12-06", "2026-12-08"),
            ("spring-sale/design", "2026-12-06", "2026-12-08"),
            ("spring-sale/approval", "2026-12-09", "2026-12-09"),
            ("spring-sale/publish", "2026-12-10", "2026-12-10"),
        ])
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let copy = task(&s, "spring-sale/copy");
    assert_eq!(copy.owner.as_deref(), Some("yossi@example.com"));
    assert_eq!(copy.role, "writer");
    assert_eq!(copy.stage_name, "Stage copy");
    assert_eq!(copy.item_title, "Item spring-sale");
    assert_eq!(copy.golive, date(2026, 12, 10));
    assert_eq!(copy.days, 3);
    assert_eq!(copy.backup_for, None);
}

#[test]
fn a_chain_over_a_week_end_and_holidays() {
    let mut p = process(
        "chain",
        "Europe/London",
        &[Monday, Tuesday, Wednesday, Thursday, Friday],
        vec![role("ops", &["sam@example.com"])],
        vec![
            stage("a", "ops", 2, &[]),
            stage("b", "ops", 3, &["a"]),
            stage("c", "ops", 1, &["b"]),
        ],
    );
    p.holidays = [date(2026, 12, 25), date(2026, 12, 28)].into();
    // Go-live Tue 2026-12-29: c on the 29th; b due Thu 24th, starts Tue 22nd; a Fri 18th–21st.
    let dep = deployment(vec![p], vec![item("x", "chain", date(2026, 12, 29))]);
    assert_eq!(
        dates(&schedule(&dep, EARLY)),
        expect(&[
            ("x/a", "2026-12-18", "2026-12-21"),
            ("x/b", "2026-12-22", "2026-12-24"),
            ("x/c", "2026-12-29", "2026-12-29"),
        ])
    );
}

#[test]
fn parallel_branches_of_different_lengths() {
    let mut p = content();
    p.stages[2].days = 1; // design: one day, ends with copy
    // A side branch straight from idea to go-live.
    p.stages.push(stage("teaser", "social", 1, &["idea"]));
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    assert_eq!(
        dates(&schedule(&dep, EARLY)),
        expect(&[
            ("x/idea", "2026-12-02", "2026-12-03"),
            ("x/copy", "2026-12-06", "2026-12-08"),
            ("x/design", "2026-12-08", "2026-12-08"),
            ("x/approval", "2026-12-09", "2026-12-09"),
            ("x/publish", "2026-12-10", "2026-12-10"),
            ("x/teaser", "2026-12-10", "2026-12-10"),
        ])
    );
}

#[test]
fn stages_come_in_topological_order_whatever_the_file_order() {
    let p = process(
        "p",
        "UTC",
        &[Monday, Tuesday, Wednesday, Thursday, Friday],
        vec![role("ops", &["sam@example.com"])],
        vec![
            stage("launch", "ops", 0, &["review"]),
            stage("review", "ops", 1, &["draft"]),
            stage("notes", "ops", 1, &[]),
            stage("draft", "ops", 2, &[]),
        ],
    );
    let dep = deployment(vec![p], vec![item("x", "p", date(2026, 12, 11))]);
    // Ready first: notes (file position 2) and draft (3); file order breaks the tie.
    assert_eq!(
        dates(&schedule(&dep, EARLY)),
        expect(&[
            ("x/notes", "2026-12-11", "2026-12-11"),
            ("x/draft", "2026-12-08", "2026-12-09"),
            ("x/review", "2026-12-10", "2026-12-10"),
            ("x/launch", "2026-12-11", "2026-12-11"),
        ])
    );
}

#[test]
fn a_milestone_starts_on_its_due_date() {
    let mut p = content();
    p.stages[3].days = 0; // approval becomes a milestone
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    let s = schedule(&dep, EARLY);
    let approval = task(&s, "x/approval");
    assert_eq!(
        (approval.start, approval.due),
        (date(2026, 12, 9), date(2026, 12, 9))
    );
    let copy = task(&s, "x/copy");
    assert_eq!(
        (copy.start, copy.due),
        (date(2026, 12, 6), date(2026, 12, 8))
    );
}

#[test]
fn skipping_a_stage_joins_its_neighbours() {
    let mut skip_approval = item("a", "content", date(2026, 12, 10));
    skip_approval.skip = vec!["approval".into()];
    let mut skip_design = item("b", "content", date(2026, 12, 10));
    skip_design.skip = vec!["design".into()];
    let mut skip_last = item("c", "content", date(2026, 12, 10));
    skip_last.skip = vec!["publish".into()];
    let mut skip_both = item("d", "content", date(2026, 12, 10));
    skip_both.skip = vec!["copy".into(), "design".into()];
    let dep = deployment(
        vec![content()],
        vec![skip_approval, skip_design, skip_last, skip_both],
    );
    let s = schedule(&dep, EARLY);
    assert_eq!(
        dates(&s),
        expect(&[
            ("a/idea", "2026-12-03", "2026-12-06"),
            ("a/copy", "2026-12-07", "2026-12-09"),
            ("a/design", "2026-12-07", "2026-12-09"),
            ("a/publish", "2026-12-10", "2026-12-10"),
            ("b/idea", "2026-12-02", "2026-12-03"),
            ("b/copy", "2026-12-06", "2026-12-08"),
            ("b/approval", "2026-12-09", "2026-12-09"),
            ("b/publish", "2026-12-10", "2026-12-10"),
            ("c/idea", "2026-12-03", "2026-12-06"),
            ("c/copy", "2026-12-07", "2026-12-09"),
            ("c/design", "2026-12-07", "2026-12-09"),
            ("c/approval", "2026-12-10", "2026-12-10"),
            ("d/idea", "2026-12-07", "2026-12-08"),
            ("d/approval", "2026-12-09", "2026-12-09"),
            ("d/publish", "2026-12-10", "2026-12-10"),
        ])
    );
}

#[test]
fn an_item_override_replaces_the_roles_first_person() {
    let mut x = item("x", "content", date(2026, 12, 10));
    x.people.insert("writer".into(), "rina@example.com".into());
    let dep = deployment(
        vec![content()],
        vec![x, item("y", "content", date(2026, 12, 10))],
    );
    let s = schedule(&dep, EARLY);
    assert_eq!(
        task(&s, "x/copy").owner.as_deref(),
        Some("rina@example.com")
    );
    assert_eq!(
        task(&s, "y/copy").owner.as_deref(),
        Some("yossi@example.com")
    );
    assert_eq!(
        task(&s, "x/idea").owner.as_deref(),
        Some("dana@example.com")
    );
}

fn with_away(mut p: Process, backup: Option<&str>, away: Vec<Away>) -> Process {
    let campaign = p.roles.iter_mut().find(|r| r.id == "campaign").unwrap();
    campaign.backup = backup.map(str::to_string);
    campaign.away = away;
    p
}

fn away(who: &str, from: Date, to: Date) -> Away {
    Away {
        who: who.into(),
        from,
        to,
    }
}

#[test]
fn the_backup_takes_tasks_while_the_owner_is_away() {
    // dana is away Wed 12-09 only: approval (12-09) goes to noa, idea (12-02..03) stays.
    let p = with_away(
        content(),
        Some("noa@example.com"),
        vec![away(
            "dana@example.com",
            date(2026, 12, 9),
            date(2026, 12, 9),
        )],
    );
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    let s = schedule(&dep, EARLY);
    let approval = task(&s, "x/approval");
    assert_eq!(approval.owner.as_deref(), Some("noa@example.com"));
    assert_eq!(approval.backup_for.as_deref(), Some("dana@example.com"));
    let idea = task(&s, "x/idea");
    assert_eq!(idea.owner.as_deref(), Some("dana@example.com"));
    assert_eq!(idea.backup_for, None);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn away_on_any_day_of_the_task_counts_both_ends_included() {
    // idea runs 12-02..12-03: an absence ending on its first day or starting on its last.
    for (from, to) in [
        (date(2026, 11, 20), date(2026, 12, 2)),
        (date(2026, 12, 3), date(2026, 12, 30)),
    ] {
        let p = with_away(
            content(),
            Some("noa@example.com"),
            vec![away("dana@example.com", from, to)],
        );
        let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
        let s = schedule(&dep, EARLY);
        assert_eq!(
            task(&s, "x/idea").owner.as_deref(),
            Some("noa@example.com"),
            "{from}..{to}"
        );
    }
    // An absence that ends the day before.
    let p = with_away(
        content(),
        Some("noa@example.com"),
        vec![away(
            "dana@example.com",
            date(2026, 11, 20),
            date(2026, 12, 1),
        )],
    );
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    assert_eq!(
        task(&schedule(&dep, EARLY), "x/idea").owner.as_deref(),
        Some("dana@example.com")
    );
}

#[test]
fn nobody_available_keeps_the_owner_and_warns() {
    let both_away = with_away(
        content(),
        Some("noa@example.com"),
        vec![
            away("dana@example.com", date(2026, 12, 1), date(2026, 12, 3)),
            away("noa@example.com", date(2026, 12, 3), date(2026, 12, 3)),
        ],
    );
    let dep = deployment(
        vec![both_away],
        vec![item("x", "content", date(2026, 12, 10))],
    );
    let s = schedule(&dep, EARLY);
    let idea = task(&s, "x/idea");
    assert_eq!(idea.owner.as_deref(), Some("dana@example.com"));
    assert_eq!(idea.backup_for, None);
    assert_eq!(
        kinds(&s),
        [(WarningKind::NobodyAvailable, Some("x/idea".into()))]
    );
    assert_eq!(s.warnings[0].person.as_deref(), Some("dana@example.com"));
    assert!(
        s.warnings[0]
            .message
            .contains("noa@example.com is away too"),
        "{}",
        s.warnings[0].message
    );

    let no_backup = with_away(
        content(),
        None,
        vec![away(
            "dana@example.com",
            date(2026, 12, 1),
            date(2026, 12, 3),
        )],
    );
    let dep = deployment(
        vec![no_backup],
        vec![item("x", "content", date(2026, 12, 10))],
    );
    let s = schedule(&dep, EARLY);
    assert_eq!(
        task(&s, "x/idea").owner.as_deref(),
        Some("dana@example.com")
    );
    assert_eq!(
        kinds(&s),
        [(WarningKind::NobodyAvailable, Some("x/idea".into()))]
    );
    assert!(s.warnings[0].message.contains("no backup"));
}

#[test]
fn an_absence_written_under_another_role_still_counts() {
    let mut p = with_away(content(), Some("noa@example.com"), Vec::new());
    p.roles[1].away = vec![away(
        "dana@example.com",
        date(2026, 12, 2),
        date(2026, 12, 2),
    )];
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    assert_eq!(
        task(&schedule(&dep, EARLY), "x/idea").owner.as_deref(),
        Some("noa@example.com")
    );
}

#[test]
fn checklist_entries_are_due_with_their_stage() {
    let mut p = with_away(
        content(),
        Some("noa@example.com"),
        vec![away(
            "dana@example.com",
            date(2026, 12, 8),
            date(2026, 12, 8),
        )],
    );
    p.stages[1].checklist = vec![
        ChecklistEntry {
            key: "hook".into(),
            text: "כותרת שמושכת לקרוא".into(),
            role: None,
        },
        ChecklistEntry {
            key: "brief-ok".into(),
            text: "Brief approved".into(),
            role: Some("campaign".into()),
        },
        ChecklistEntry {
            key: "own".into(),
            text: "Own role, written out".into(),
            role: Some("writer".into()),
        },
    ];
    let mut x = item("x", "content", date(2026, 12, 10));
    x.people.insert("writer".into(), "rina@example.com".into());
    let dep = deployment(vec![p], vec![x]);
    let s = schedule(&dep, EARLY);
    let copy = task(&s, "x/copy");
    let rows: Vec<_> = copy
        .checklist
        .iter()
        .map(|e| (e.id.as_str(), e.role.as_str(), e.owner.as_deref(), e.due))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "x/copy/hook",
                "writer",
                Some("rina@example.com"),
                date(2026, 12, 8)
            ),
            // dana is away on 12-08, inside copy's 12-06..12-08: her backup has it.
            (
                "x/copy/brief-ok",
                "campaign",
                Some("noa@example.com"),
                date(2026, 12, 8)
            ),
            (
                "x/copy/own",
                "writer",
                Some("rina@example.com"),
                date(2026, 12, 8)
            ),
        ]
    );
    assert_eq!(copy.checklist[0].text, "כותרת שמושכת לקרוא");
    assert_eq!(copy.checklist[0].key, "hook");
}

#[test]
fn a_role_with_nobody_leaves_the_task_unassigned() {
    let mut p = content();
    p.roles[3].people.clear();
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    let s = schedule(&dep, EARLY);
    assert_eq!(task(&s, "x/publish").owner, None);
    assert!(s.warnings.is_empty());
}

#[test]
fn cadences_expand_to_one_item_per_publishing_day() {
    let mut dep = deployment(
        vec![content()],
        vec![item("first", "content", date(2026, 12, 31))],
    );
    dep.cadences = vec![Cadence {
        id: "weekly-tip".into(),
        process: "content".into(),
        title: "טיפ שבועי {date}".into(),
        on: vec![Tuesday, Sunday],
        from: date(2026, 12, 6),
        until: date(2026, 12, 15),
        people: [("writer".to_string(), "rina@example.com".to_string())].into(),
        skip: vec!["design".into()],
        channel: Some("instagram".into()),
        notes: None,
    }];
    let items = expand_items(&dep);
    let rows: Vec<_> = items
        .iter()
        .map(|i| {
            (
                i.id.as_str(),
                i.title.as_str(),
                i.golive,
                i.cadence.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("first", "Item first", date(2026, 12, 31), None),
            (
                "weekly-tip@2026-12-06",
                "טיפ שבועי 2026-12-06",
                date(2026, 12, 6),
                Some("weekly-tip")
            ),
            (
                "weekly-tip@2026-12-08",
                "טיפ שבועי 2026-12-08",
                date(2026, 12, 8),
                Some("weekly-tip")
            ),
            (
                "weekly-tip@2026-12-13",
                "טיפ שבועי 2026-12-13",
                date(2026, 12, 13),
                Some("weekly-tip")
            ),
            (
                "weekly-tip@2026-12-15",
                "טיפ שבועי 2026-12-15",
                date(2026, 12, 15),
                Some("weekly-tip")
            ),
        ]
    );
    assert!(items[1..].iter().all(|i| i.skip == ["design"]
        && i.people["writer"] == "rina@example.com"
        && i.channel.as_deref() == Some("instagram")));

    let s = schedule(&dep, EARLY);
    let tip = task(&s, "weekly-tip@2026-12-08/copy");
    assert_eq!(tip.owner.as_deref(), Some("rina@example.com"));
    assert_eq!(tip.item_title, "טיפ שבועי 2026-12-08");
    assert!(
        s.tasks
            .iter()
            .all(|t| t.stage != "design" || t.item == "first")
    );
    // Items in order: the written one, then the cadence's by date.
    let order: Vec<&str> = s.tasks.iter().map(|t| t.item.as_str()).collect();
    let mut dedup = order.clone();
    dedup.dedup();
    assert_eq!(
        dedup,
        [
            "first",
            "weekly-tip@2026-12-06",
            "weekly-tip@2026-12-08",
            "weekly-tip@2026-12-13",
            "weekly-tip@2026-12-15"
        ]
    );
}

#[test]
fn a_go_live_on_a_week_end_moves_to_the_business_day_before_with_a_warning() {
    // Sat 2026-12-12 in a Sun–Thu week: the last stage is due Thu 12-10.
    let dep = deployment(
        vec![content()],
        vec![item("x", "content", date(2026, 12, 12))],
    );
    let s = schedule(&dep, EARLY);
    assert_eq!(task(&s, "x/publish").due, date(2026, 12, 10));
    assert_eq!(task(&s, "x/idea").start, date(2026, 12, 2));
    assert_eq!(
        kinds(&s),
        [(WarningKind::GoliveNotBusinessDay, Some("x/publish".into()))]
    );
    assert!(
        s.warnings[0].message.contains("Saturday 2026-12-12"),
        "{}",
        s.warnings[0].message
    );
    assert!(s.warnings[0].message.contains("Thursday 2026-12-10"));
}

#[test]
fn a_go_live_on_a_holiday_warns_too() {
    let mut p = content();
    p.holidays.insert(date(2026, 12, 10));
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    let s = schedule(&dep, EARLY);
    assert_eq!(task(&s, "x/publish").due, date(2026, 12, 9));
    assert_eq!(
        kinds(&s),
        [(WarningKind::GoliveNotBusinessDay, Some("x/publish".into()))]
    );
}

#[test]
fn tasks_starting_before_today_are_warnings_not_shifts() {
    let dep = deployment(
        vec![content()],
        vec![item("x", "content", date(2026, 12, 10))],
    );
    let s = schedule(&dep, date(2026, 12, 7));
    assert_eq!(task(&s, "x/idea").start, date(2026, 12, 2));
    assert_eq!(
        kinds(&s),
        [
            (WarningKind::StartsInPast, Some("x/idea".into())),
            (WarningKind::StartsInPast, Some("x/copy".into())),
            (WarningKind::StartsInPast, Some("x/design".into())),
        ]
    );
    assert!(
        s.warnings[0]
            .message
            .contains("both before today (2026-12-07)"),
        "{}",
        s.warnings[0].message
    );
    assert!(
        s.warnings[1].message.contains("it is due on 2026-12-08"),
        "{}",
        s.warnings[1].message
    );
    // Starting today is fine.
    assert!(schedule(&dep, date(2026, 12, 2)).warnings.is_empty());
}

#[test]
fn today_is_taken_in_each_process_time_zone() {
    let mut london = content();
    london.id = "london".into();
    london.timezone = TimeZone::get("Europe/London").unwrap();
    let dep = deployment(
        vec![content(), london],
        vec![
            item("il", "content", date(2026, 12, 10)),
            item("uk", "london", date(2026, 12, 10)),
        ],
    );
    // 23:30 in London on Tue 12-01 is already Wed 12-02 in Jerusalem: idea starts 12-02.
    let now: Timestamp = "2026-12-01T23:30:00Z".parse().unwrap();
    assert!(schedule_at(&dep, now).warnings.is_empty());
    let now: Timestamp = "2026-12-02T22:30:00Z".parse().unwrap();
    assert_eq!(
        kinds(&schedule_at(&dep, now)),
        [(WarningKind::StartsInPast, Some("il/idea".into()))]
    );
}

#[test]
fn overload_is_one_warning_per_person_on_the_first_day() {
    let mut p = content();
    p.roles[1].max_parallel = Some(1);
    let items = vec![
        item("a", "content", date(2026, 12, 10)),
        item("b", "content", date(2026, 12, 14)), // copy 12-08..12-10: overlaps a/copy on 12-08
        item("c", "content", date(2026, 12, 15)), // copy 12-09..12-13
    ];
    let dep = deployment(vec![p.clone()], items.clone());
    let s = schedule(&dep, EARLY);
    assert_eq!(task(&s, "b/copy").start, date(2026, 12, 8));
    assert_eq!(
        kinds(&s),
        [(WarningKind::Overloaded, Some("b/copy".into()))]
    );
    let w = &s.warnings[0];
    assert_eq!(w.person.as_deref(), Some("yossi@example.com"));
    assert!(
        w.message
            .contains("2 tasks at once on 2026-12-08 (a/copy, b/copy)"),
        "{}",
        w.message
    );
    assert!(
        w.message
            .contains("the 1 that max_parallel allows for the writer role"),
        "{}",
        w.message
    );

    // Within the limit: nothing to say.
    p.roles[1].max_parallel = Some(3);
    assert!(
        schedule(&deployment(vec![p.clone()], items.clone()), EARLY)
            .warnings
            .is_empty()
    );
    // No limit at all: nothing to say either.
    p.roles[1].max_parallel = None;
    assert!(
        schedule(&deployment(vec![p], items), EARLY)
            .warnings
            .is_empty()
    );
}

#[test]
fn overlap_counts_only_tasks_sharing_a_day() {
    let mut p = content();
    p.roles[0].max_parallel = Some(1);
    // dana: a/idea 12-02..12-03 and a/approval 12-09; b/idea 12-09..12-10 overlaps a/approval.
    let dep = deployment(
        vec![p],
        vec![
            item("a", "content", date(2026, 12, 10)),
            item("b", "content", date(2026, 12, 17)),
        ],
    );
    let s = schedule(&dep, EARLY);
    assert_eq!(task(&s, "b/idea").start, date(2026, 12, 9));
    assert_eq!(
        kinds(&s),
        [(WarningKind::Overloaded, Some("b/idea".into()))]
    );
    assert!(s.warnings[0].message.contains("on 2026-12-09"));
}

#[test]
fn items_of_an_unknown_process_have_no_tasks() {
    let dep = deployment(vec![content()], vec![item("x", "nope", date(2026, 12, 10))]);
    assert!(schedule(&dep, EARLY).tasks.is_empty());
}

#[test]
fn json_has_tasks_and_warnings_with_plain_dates() {
    let dep = deployment(
        vec![content()],
        vec![item("x", "content", date(2026, 12, 12))],
    );
    let json = serde_json::to_value(schedule(&dep, EARLY)).unwrap();
    assert_eq!(json["tasks"][4]["id"], "x/publish");
    assert_eq!(json["tasks"][4]["due"], "2026-12-10");
    assert_eq!(json["warnings"][0]["kind"], "golive_not_business_day");
}

// Stages after go-live (`after_golive`). Sun–Thu week; December 2026: Thu 10, Fri 11 and Sat 12
// off, Sun 13, Mon 14, Tue 15, Wed 16, Thu 17, Sun 20, Mon 21, Tue 22.

fn after_golive(mut s: Stage, n: u32) -> Stage {
    s.after_golive = Some(n);
    s
}

/// The content process with a results check two business days after publishing.
fn content_with_results() -> Process {
    let mut p = content();
    p.stages
        .push(after_golive(stage("results", "social", 1, &["publish"]), 2));
    p
}

#[test]
fn a_forward_stage_after_a_backward_one_leaves_the_backward_dates_alone() {
    let dep = deployment(
        vec![content_with_results()],
        vec![item("x", "content", date(2026, 12, 10))],
    );
    let s = schedule(&dep, EARLY);
    // The design's worked example, unchanged; results: Thu 10 + 2 business days = Mon 14.
    assert_eq!(
        dates(&s),
        expect(&[
            ("x/idea", "2026-12-02", "2026-12-03"),
            ("x/copy", "2026-12-06", "2026-12-08"),
            ("x/design", "2026-12-06", "2026-12-08"),
            ("x/approval", "2026-12-09", "2026-12-09"),
            ("x/publish", "2026-12-10", "2026-12-10"),
            ("x/results", "2026-12-14", "2026-12-14"),
        ])
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(task(&s, "x/results").golive, date(2026, 12, 10));
}

#[test]
fn after_golive_zero_starts_on_the_go_live_date_and_a_milestone_is_one_day() {
    let mut p = content();
    p.stages.push(after_golive(
        stage("announce", "social", 0, &["publish"]),
        0,
    ));
    p.stages
        .push(after_golive(stage("watch", "social", 3, &["publish"]), 0));
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    let s = schedule(&dep, EARLY);
    let (announce, watch) = (task(&s, "x/announce"), task(&s, "x/watch"));
    assert_eq!(
        (announce.start, announce.due),
        (date(2026, 12, 10), date(2026, 12, 10))
    );
    // Thu 10, Sun 13, Mon 14.
    assert_eq!(
        (watch.start, watch.due),
        (date(2026, 12, 10), date(2026, 12, 14))
    );
}

#[test]
fn forward_stages_skip_holidays_and_week_ends() {
    let mut p = content();
    p.stages
        .push(after_golive(stage("results", "social", 2, &["publish"]), 2));
    p.holidays = [date(2026, 12, 14), date(2026, 12, 15), date(2026, 12, 17)].into();
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    let s = schedule(&dep, EARLY);
    // Business days after Thu 10: Sun 13 (1), Wed 16 (2) → starts Wed 16; the second day is
    // not Thu 17 (a holiday) but Sun 20.
    let results = task(&s, "x/results");
    assert_eq!(
        (results.start, results.due),
        (date(2026, 12, 16), date(2026, 12, 20))
    );
}

#[test]
fn a_forward_chain_starts_each_stage_the_day_after_the_last_it_waits_for() {
    let mut p = content_with_results();
    // `approval` is backward: a forward stage waits for it implicitly, so it changes nothing.
    p.stages
        .push(stage("report", "campaign", 2, &["results", "approval"]));
    // Anchored at go-live + 3 (Tue 15), but report is due Wed 16: the later one wins.
    p.stages
        .push(after_golive(stage("review", "campaign", 1, &["report"]), 3));
    // Anchored at go-live + 8 (Tue 22), later than the day after report.
    p.stages
        .push(after_golive(stage("audit", "campaign", 0, &["report"]), 8));
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    let s = schedule(&dep, EARLY);
    let got: Vec<_> = dates(&s).into_iter().skip(5).collect();
    assert_eq!(
        got,
        expect(&[
            ("x/results", "2026-12-14", "2026-12-14"),
            ("x/report", "2026-12-15", "2026-12-16"),
            ("x/review", "2026-12-17", "2026-12-17"),
            ("x/audit", "2026-12-22", "2026-12-22"),
        ])
    );
    // The backward stages are exactly the worked example still.
    assert_eq!(task(&s, "x/approval").due, date(2026, 12, 9));
    assert_eq!(task(&s, "x/publish").due, date(2026, 12, 10));
}

#[test]
fn skipping_a_forward_stage_starts_the_next_where_it_would_have_started() {
    let mut p = content_with_results();
    p.stages.push(stage("report", "campaign", 2, &["results"]));
    let mut skip_results = item("a", "content", date(2026, 12, 10));
    skip_results.skip = vec!["results".into()];
    let mut skip_publish = item("b", "content", date(2026, 12, 10));
    skip_publish.skip = vec!["publish".into()];
    let dep = deployment(vec![p], vec![skip_results, skip_publish]);
    let s = schedule(&dep, EARLY);
    let report = task(&s, "a/report");
    assert_eq!(
        (report.start, report.due),
        (date(2026, 12, 14), date(2026, 12, 15))
    );
    assert!(s.tasks.iter().all(|t| t.id != "a/results"));
    // Without publish, approval is the last backward stage and goes to the go-live date;
    // the forward stages keep their dates.
    assert_eq!(task(&s, "b/approval").due, date(2026, 12, 10));
    let results = task(&s, "b/results");
    assert_eq!(
        (results.start, results.due),
        (date(2026, 12, 14), date(2026, 12, 14))
    );
    assert_eq!(task(&s, "b/report").start, date(2026, 12, 15));
}

#[test]
fn a_forward_stage_goes_to_the_backup_while_its_owner_is_away() {
    let mut p = content_with_results();
    let social = p.roles.iter_mut().find(|r| r.id == "social").unwrap();
    social.backup = Some("noa@example.com".into());
    social.away = vec![away(
        "michal@example.com",
        date(2026, 12, 14),
        date(2026, 12, 20),
    )];
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 10))]);
    let s = schedule(&dep, EARLY);
    assert_eq!(
        task(&s, "x/publish").owner.as_deref(),
        Some("michal@example.com")
    );
    let results = task(&s, "x/results");
    assert_eq!(results.owner.as_deref(), Some("noa@example.com"));
    assert_eq!(results.backup_for.as_deref(), Some("michal@example.com"));
}

#[test]
fn a_go_live_on_a_week_end_moves_backward_stages_back_and_forward_stages_on() {
    let mut p = content_with_results();
    p.stages.push(after_golive(
        stage("announce", "social", 0, &["publish"]),
        0,
    ));
    // Go-live Fri 11: publish moves back to Thu 10 (warned); the count forward starts at the
    // Friday itself, so +0 and +2 are Sun 13 and Mon 14.
    let dep = deployment(vec![p], vec![item("x", "content", date(2026, 12, 11))]);
    let s = schedule(&dep, EARLY);
    assert_eq!(task(&s, "x/publish").due, date(2026, 12, 10));
    assert_eq!(task(&s, "x/results").start, date(2026, 12, 14));
    assert_eq!(task(&s, "x/announce").start, date(2026, 12, 13));
    assert_eq!(
        kinds(&s),
        vec![(
            WarningKind::GoliveNotBusinessDay,
            Some("x/publish".to_string())
        )]
    );
}

#[test]
fn only_forward_stages_past_today_do_not_warn() {
    let dep = deployment(
        vec![content_with_results()],
        vec![item("x", "content", date(2026, 12, 10))],
    );
    // Today Sun 13: every backward stage started in the past; results (Mon 14) did not.
    let s = schedule(&dep, date(2026, 12, 13));
    let warned: Vec<_> = kinds(&s).into_iter().filter_map(|(_, t)| t).collect();
    assert_eq!(
        warned,
        ["x/idea", "x/copy", "x/design", "x/approval", "x/publish"]
    );
}
