//! `throughline status`: where every item stands, who is late, and where changes came from.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use throughline_connector::State;

use crate::schedule::{Schedule, Task};
use crate::state::{BlockedSpan, StatusRecord};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport {
    pub today: Date,
    pub items: Vec<ItemProgress>,
    /// Late tasks by owner, the most late first.
    pub overdue: Vec<OwnerOverdue>,
    /// Tasks waiting on something, the longest blocked first.
    pub blocked: Vec<BlockedTask>,
    pub stages: Vec<StageCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockedTask {
    pub task: String,
    pub title: String,
    pub owner: Option<String>,
    pub due: Date,
    /// Why, as a person gave it in a tool.
    pub reason: Option<String>,
    /// Since when it is blocked, and in which tool it was marked (`None` = unknown or the hub).
    pub since: Option<Timestamp>,
    pub target: Option<String>,
    pub person: Option<String>,
    /// Calendar days blocked until today (0 = since today).
    pub days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastChange {
    pub identity: String,
    pub state: State,
    /// The tool it came from; `None` = the hub.
    pub target: Option<String>,
    pub person: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemProgress {
    pub item: String,
    pub title: String,
    pub golive: Date,
    pub tasks_done: usize,
    pub tasks_blocked: usize,
    pub tasks: usize,
    pub entries_done: usize,
    pub entries: usize,
    /// The first task not done yet, by due date.
    pub next: Option<NextTask>,
    pub last_change: Option<LastChange>,
    /// Go-live within 5 business days with a late or blocked task ([`crate::report::mine`]).
    pub at_risk: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextTask {
    pub task: String,
    pub stage_name: String,
    pub owner: Option<String>,
    pub due: Date,
    pub state: State,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverdueTask {
    pub task: String,
    pub title: String,
    pub due: Date,
    pub days_late: i64,
    pub state: State,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerOverdue {
    /// `None` = the role names nobody.
    pub owner: Option<String>,
    pub tasks: Vec<OverdueTask>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageCount {
    pub process: String,
    pub stage: String,
    pub stage_name: String,
    pub todo: usize,
    pub doing: usize,
    pub blocked: usize,
    pub done: usize,
}

/// Where everything stands on `today`. `spans` are the blocked stretches of the blocked tasks'
/// histories ([`crate::state::blocked_spans`]), for since when each is blocked; `tz` reads
/// their times as days.
pub fn status_report(
    schedule: &Schedule,
    statuses: &[StatusRecord],
    spans: &[BlockedSpan],
    today: Date,
    tz: &jiff::tz::TimeZone,
) -> StatusReport {
    let open_span = |id: &str| {
        spans
            .iter()
            .rev()
            .find(|s| s.identity == id && s.until.is_none())
    };
    let mut blocked: Vec<BlockedTask> = Vec::new();
    let by_id: HashMap<&str, &StatusRecord> =
        statuses.iter().map(|s| (s.identity.as_str(), s)).collect();
    let state_of = |id: &str| by_id.get(id).map(|s| s.state).unwrap_or(State::Todo);

    let mut items: Vec<ItemProgress> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut overdue: BTreeMap<Option<String>, Vec<OverdueTask>> = BTreeMap::new();
    let mut stages: Vec<StageCount> = Vec::new();
    let mut stage_index: HashMap<(&str, &str), usize> = HashMap::new();

    for t in &schedule.tasks {
        let state = state_of(&t.id);
        let i = *index.entry(t.item.as_str()).or_insert_with(|| {
            items.push(new_item(t));
            items.len() - 1
        });
        let item = &mut items[i];
        item.tasks += 1;
        if state == State::Blocked {
            item.tasks_blocked += 1;
            blocked.push(blocked_task(
                t,
                by_id.get(t.id.as_str()).copied(),
                open_span(&t.id),
                today,
                tz,
            ));
        }
        if state == State::Done {
            item.tasks_done += 1;
        } else if item.next.as_ref().is_none_or(|n| t.due < n.due) {
            item.next = Some(NextTask {
                task: t.id.clone(),
                stage_name: t.stage_name.clone(),
                owner: t.owner.clone(),
                due: t.due,
                state,
            });
        }
        for e in &t.checklist {
            item.entries += 1;
            if state_of(&e.id) == State::Done {
                item.entries_done += 1;
            }
        }
        note_last_change(item, t, &by_id);
        if state != State::Done && t.due < today {
            overdue
                .entry(t.owner.clone())
                .or_default()
                .push(OverdueTask {
                    task: t.id.clone(),
                    title: format!("{}: {}", t.item_title, t.stage_name),
                    due: t.due,
                    days_late: (today - t.due).get_days() as i64,
                    state,
                });
        }
        let s = *stage_index
            .entry((t.process.as_str(), t.stage.as_str()))
            .or_insert_with(|| {
                stages.push(new_stage_count(t));
                stages.len() - 1
            });
        count_in_stage(&mut stages[s], state);
    }
    let overdue = overdue_by_owner(overdue);
    blocked.sort_by(|a, b| a.since.cmp(&b.since).then(a.task.cmp(&b.task)));
    StatusReport {
        today,
        items,
        overdue,
        blocked,
        stages,
    }
}

/// An item's progress before any of its tasks is counted.
fn new_item(t: &Task) -> ItemProgress {
    ItemProgress {
        item: t.item.clone(),
        title: t.item_title.clone(),
        golive: t.golive,
        tasks_done: 0,
        tasks_blocked: 0,
        tasks: 0,
        entries_done: 0,
        entries: 0,
        next: None,
        last_change: None,
        at_risk: false,
    }
}

/// A blocked task: since when (its open blocked span, else its last record), why, and from
/// where.
fn blocked_task(
    t: &Task,
    record: Option<&StatusRecord>,
    span: Option<&BlockedSpan>,
    today: Date,
    tz: &jiff::tz::TimeZone,
) -> BlockedTask {
    let since = span.map(|s| s.from).or(record.map(|r| r.at));
    BlockedTask {
        task: t.id.clone(),
        title: format!("{}: {}", t.item_title, t.stage_name),
        owner: t.owner.clone(),
        due: t.due,
        reason: record.and_then(|r| r.reason.clone()),
        since,
        target: span
            .and_then(|s| s.source_target.clone())
            .or_else(|| record.and_then(|r| r.source_target.clone())),
        person: record.and_then(|r| r.source_person.clone()),
        days: since.map(|at| (today - at.to_zoned(tz.clone()).date()).get_days() as i64),
    }
}

/// Keeps the newest status record of the task or its checklist entries as the item's last
/// change.
fn note_last_change(item: &mut ItemProgress, t: &Task, by_id: &HashMap<&str, &StatusRecord>) {
    for s in std::iter::once(&t.id).chain(t.checklist.iter().map(|e| &e.id)) {
        if let Some(rec) = by_id.get(s.as_str())
            && item.last_change.as_ref().is_none_or(|l| rec.at > l.at)
        {
            item.last_change = Some(LastChange {
                identity: rec.identity.clone(),
                state: rec.state,
                target: rec.source_target.clone(),
                person: rec.source_person.clone(),
                at: rec.at,
            });
        }
    }
}

/// A stage's counts before any of its tasks is counted.
fn new_stage_count(t: &Task) -> StageCount {
    StageCount {
        process: t.process.clone(),
        stage: t.stage.clone(),
        stage_name: t.stage_name.clone(),
        todo: 0,
        doing: 0,
        blocked: 0,
        done: 0,
    }
}

/// Counts one task of the stage in its state's column.
fn count_in_stage(stage: &mut StageCount, state: State) {
    match state {
        State::Todo => stage.todo += 1,
        State::Doing => stage.doing += 1,
        State::Blocked => stage.blocked += 1,
        State::Done => stage.done += 1,
    }
}

/// The overdue tasks per owner, latest first; the owners with the most first.
fn overdue_by_owner(by_owner: BTreeMap<Option<String>, Vec<OverdueTask>>) -> Vec<OwnerOverdue> {
    let mut overdue: Vec<OwnerOverdue> = by_owner
        .into_iter()
        .map(|(owner, mut tasks)| {
            tasks.sort_by(|a, b| b.days_late.cmp(&a.days_late).then(a.task.cmp(&b.task)));
            OwnerOverdue { owner, tasks }
        })
        .collect();
    overdue.sort_by(|a, b| {
        b.tasks
            .len()
            .cmp(&a.tasks.len())
            .then(a.owner.cmp(&b.owner))
    });
    overdue
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{EntryTask, Task};
    use jiff::civil::date;

    fn task(item: &str, stage: &str, due: Date, owner: &str) -> Task {
        Task {
            id: crate::model::task_id(item, stage),
            item: item.into(),
            item_title: format!("Title {item}"),
            process: "content".into(),
            stage: stage.into(),
            stage_name: stage.to_uppercase(),
            role: "writer".into(),
            owner: Some(owner.into()),
            backup_for: None,
            start: due,
            due,
            days: 1,
            golive: date(2026, 12, 10),
            channel: None,
            notes: None,
            checklist: vec![EntryTask {
                id: crate::model::entry_id(item, stage, "x"),
                key: "x".into(),
                text: "x".into(),
                role: "writer".into(),
                owner: Some(owner.into()),
                due,
            }],
        }
    }

    fn rec(id: &str, state: State, target: &str, at: i64) -> StatusRecord {
        StatusRecord {
            identity: id.into(),
            state,
            source_target: Some(target.into()),
            source_person: Some("dana@example.com".into()),
            at: Timestamp::from_second(at).unwrap(),
            reason: None,
        }
    }

    #[test]
    fn progress_overdue_and_stages() {
        let schedule = Schedule {
            tasks: vec![
                task("a", "copy", date(2026, 12, 1), "yossi@example.com"),
                task("a", "design", date(2026, 12, 3), "noa@example.com"),
                task("b", "copy", date(2026, 12, 8), "yossi@example.com"),
            ],
            warnings: vec![],
        };
        let statuses = vec![
            rec("a/copy", State::Done, "studio", 10),
            rec("a/design/x", State::Done, "workbook", 20),
        ];
        let r = status_report(
            &schedule,
            &statuses,
            &[],
            date(2026, 12, 5),
            &jiff::tz::TimeZone::UTC,
        );
        assert_eq!(
            (
                r.items[0].tasks_done,
                r.items[0].tasks,
                r.items[0].entries_done,
                r.items[0].entries
            ),
            (1, 2, 1, 2)
        );
        assert_eq!(r.items[0].next.as_ref().unwrap().task, "a/design");
        let last = r.items[0].last_change.as_ref().unwrap();
        assert_eq!(
            (last.identity.as_str(), last.target.as_deref()),
            ("a/design/x", Some("workbook"))
        );
        assert_eq!(r.overdue.len(), 1);
        assert_eq!(r.overdue[0].owner.as_deref(), Some("noa@example.com"));
        assert_eq!(r.overdue[0].tasks[0].days_late, 2);
        assert_eq!(
            r.stages[0],
            StageCount {
                process: "content".into(),
                stage: "copy".into(),
                stage_name: "COPY".into(),
                todo: 1,
                doing: 0,
                blocked: 0,
                done: 1
            }
        );
    }

    #[test]
    fn blocked_tasks_with_their_reason_since_when_and_per_stage() {
        let schedule = Schedule {
            tasks: vec![
                task("a", "copy", date(2026, 12, 8), "yossi@example.com"),
                task("b", "copy", date(2026, 12, 9), "noa@example.com"),
            ],
            warnings: vec![],
        };
        let day = 86_400;
        let blocked_at = |id: &str, at: i64, reason: &str| StatusRecord {
            reason: Some(reason.into()),
            ..rec(id, State::Blocked, "studio", at)
        };
        // a/copy: in progress, blocked on day 1, a new reason on day 3; b/copy: blocked on day 2.
        let history = vec![
            rec("a/copy", State::Doing, "sheet", 0),
            blocked_at("a/copy", day, "legal"),
            blocked_at("a/copy", 3 * day, "the printer"),
            blocked_at("b/copy", 2 * day, "Dana is away"),
        ];
        let current = vec![history[2].clone(), history[3].clone()];
        let spans = crate::state::blocked_spans(&history);
        let today = date(1970, 1, 6);
        let r = status_report(&schedule, &current, &spans, today, &jiff::tz::TimeZone::UTC);
        let got: Vec<_> = r
            .blocked
            .iter()
            .map(|b| (b.task.as_str(), b.reason.as_deref(), b.days))
            .collect();
        assert_eq!(
            got,
            [
                ("a/copy", Some("the printer"), Some(4)),
                ("b/copy", Some("Dana is away"), Some(3)),
            ]
        );
        assert_eq!(r.blocked[0].target.as_deref(), Some("studio"));
        assert_eq!((r.items[0].tasks_blocked, r.stages[0].blocked), (1, 2));
        assert_eq!(r.items[0].next.as_ref().unwrap().state, State::Blocked);
    }
}
