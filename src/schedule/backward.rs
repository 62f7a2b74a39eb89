//! Backward scheduling: from each item's go-live date back over its process's stage graph;
//! then the stages after go-live (`after_golive`, and the stages waiting for them) forward
//! from it.
//!
//! A forward stage waits implicitly for every backward stage (they are all due by the go-live
//! date), so an `after` entry from a forward stage to a backward one orders nothing in time,
//! and a backward stage never looks at a forward successor. A stage with both `after_golive`
//! and forward stages in its `after` starts at the later of the two.
//!
//! Everything that depends only on the process (stage order, successors, roles, the calendar
//! as a lookup table over the items' dates) is computed once per process; each item then costs
//! one pass over its stages.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;

use super::calendar::{BusinessCalendar, Day, date_of, day_number, weekday_index};
use super::{EntryTask, Schedule, Task, Warning, WarningKind};
use crate::model::{Deployment, Item, Process, Role, cadence_item_id, entry_id, task_id};

/// The items as written, then each cadence's items: one per publishing weekday in
/// `[from, until]`, with the id `cadence@YYYY-MM-DD` and `{date}` in the title replaced.
pub fn expand_items(dep: &Deployment) -> Vec<Item> {
    let mut items = dep.items.clone();
    for cadence in &dep.cadences {
        let mut on = [false; 7];
        for day in &cadence.on {
            on[day.to_monday_zero_offset() as usize] = true;
        }
        for day in day_number(cadence.from)..=day_number(cadence.until) {
            if !on[weekday_index(day)] {
                continue;
            }
            let date = date_of(day);
            items.push(Item {
                id: cadence_item_id(&cadence.id, date),
                process: cadence.process.clone(),
                title: cadence.title.replace("{date}", &date.to_string()),
                golive: date,
                people: cadence.people.clone(),
                skip: cadence.skip.clone(),
                channel: cadence.channel.clone(),
                notes: cadence.notes.clone(),
                cadence: Some(cadence.id.clone()),
            });
        }
    }
    items
}

/// Every task of every item, with `today` as the day tasks must not start before.
pub fn schedule(dep: &Deployment, today: Date) -> Schedule {
    schedule_with(dep, |_| today)
}

/// Like [`schedule`], with "today" taken in each process's own time zone at the instant `now`.
pub fn schedule_at(dep: &Deployment, now: Timestamp) -> Schedule {
    schedule_with(dep, |cal| cal.today(now))
}

fn schedule_with(dep: &Deployment, today: impl Fn(&BusinessCalendar) -> Date) -> Schedule {
    let items = expand_items(dep);

    let mut golive_range: HashMap<&str, (Date, Date)> = HashMap::new();
    for item in &items {
        golive_range
            .entry(item.process.as_str())
            .and_modify(|(lo, hi)| {
                *lo = (*lo).min(item.golive);
                *hi = (*hi).max(item.golive);
            })
            .or_insert((item.golive, item.golive));
    }
    let away = away_by_person(dep);
    let plans: HashMap<&str, ProcessPlan> = dep
        .processes
        .iter()
        .map(|p| {
            let plan = ProcessPlan::new(p, golive_range.get(p.id.as_str()).copied(), &today);
            (p.id.as_str(), plan)
        })
        .collect();

    // Tens of thousands of tasks: one allocation rather than a series of growing copies.
    let capacity = items
        .iter()
        .filter_map(|i| plans.get(i.process.as_str()))
        .map(|p| p.process.stages.len())
        .sum();
    let mut out = Schedule {
        tasks: Vec::with_capacity(capacity),
        warnings: Vec::new(),
    };
    let mut limits = Vec::with_capacity(capacity);
    for item in &items {
        if let Some(plan) = plans.get(item.process.as_str()) {
            plan.schedule_item(item, &away, &mut out, &mut limits);
        }
    }
    let overloads = overloads(&out.tasks, &limits);
    out.warnings.extend(overloads);
    out
}

/// Away periods per person, from every role of every process: a person away is away.
fn away_by_person(dep: &Deployment) -> HashMap<&str, Vec<(Day, Day)>> {
    let mut away: HashMap<&str, Vec<(Day, Day)>> = HashMap::new();
    for role in dep.processes.iter().flat_map(|p| &p.roles) {
        for a in &role.away {
            away.entry(a.who.as_str())
                .or_default()
                .push((day_number(a.from), day_number(a.to)));
        }
    }
    away
}

fn is_away(away: &HashMap<&str, Vec<(Day, Day)>>, who: &str, start: Day, due: Day) -> bool {
    away.get(who)
        .is_some_and(|spans| spans.iter().any(|&(from, to)| from <= due && to >= start))
}

/// A stage's owner limit, kept beside each task for the overload check.
#[derive(Clone, Copy)]
struct Limit<'a> {
    max_parallel: Option<u32>,
    role: &'a str,
}

struct ProcessPlan<'a> {
    process: &'a Process,
    calendar: BusinessCalendar,
    today: Day,
    /// Stage indices in topological order, file order among equals.
    order: Vec<usize>,
    /// Direct successors of each stage.
    successors: Vec<Vec<usize>>,
    /// Direct predecessors of each stage (its `after`, as indices).
    predecessors: Vec<Vec<usize>>,
    /// Scheduled forward from the go-live date: `after_golive`, or waits for such a stage.
    forward: Vec<bool>,
    stage_index: HashMap<&'a str, usize>,
    stage_role: Vec<Option<&'a Role>>,
}

impl<'a> ProcessPlan<'a> {
    fn new(
        process: &'a Process,
        golive_range: Option<(Date, Date)>,
        today: impl Fn(&BusinessCalendar) -> Date,
    ) -> Self {
        let stages = &process.stages;
        let stage_index: HashMap<&str, usize> = stages
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut successors = vec![Vec::new(); stages.len()];
        let mut predecessors = vec![Vec::new(); stages.len()];
        let mut waiting = vec![0usize; stages.len()];
        for (i, stage) in stages.iter().enumerate() {
            for before in &stage.after {
                if let Some(&b) = stage_index.get(before.as_str())
                    && !successors[b].contains(&i)
                {
                    successors[b].push(i);
                    predecessors[i].push(b);
                    waiting[i] += 1;
                }
            }
        }
        // Kahn's algorithm, always taking the earliest stage in the file that is ready.
        let mut ready: BinaryHeap<Reverse<usize>> = (0..stages.len())
            .filter(|&i| waiting[i] == 0)
            .map(Reverse)
            .collect();
        let mut order = Vec::with_capacity(stages.len());
        while let Some(Reverse(s)) = ready.pop() {
            order.push(s);
            for &t in &successors[s] {
                waiting[t] -= 1;
                if waiting[t] == 0 {
                    ready.push(Reverse(t));
                }
            }
        }
        // A cycle cannot pass validation; keep its stages (in file order) rather than lose them.
        if order.len() < stages.len() {
            let placed: Vec<bool> = (0..stages.len()).map(|i| order.contains(&i)).collect();
            order.extend((0..stages.len()).filter(|&i| !placed[i]));
        }
        let mut forward = vec![false; stages.len()];
        for &s in &order {
            forward[s] =
                stages[s].after_golive.is_some() || predecessors[s].iter().any(|&p| forward[p]);
        }

        let mut calendar = BusinessCalendar::new(process);
        if let Some((first, last)) = golive_range {
            // Enough room for the longest possible chain of stages, whole weeks, and holidays.
            let chain: i64 = stages.iter().map(|s| i64::from(s.days.max(1))).sum::<i64>() + 1;
            let per_week = process.workweek.len().clamp(1, 7) as i64;
            let margin = (chain / per_week + 2) * 7 + process.holidays.len() as i64;
            let lo = i64::from(day_number(first)) - margin;
            // And past the last go-live for the stages after it.
            let after: i64 = stages
                .iter()
                .zip(&forward)
                .filter(|(_, f)| **f)
                .map(|(s, _)| i64::from(s.days.max(1)) + i64::from(s.after_golive.unwrap_or(0)))
                .sum();
            let ahead = if after == 0 {
                0
            } else {
                (after / per_week + 2) * 7 + process.holidays.len() as i64
            };
            let hi = i64::from(day_number(last)) + ahead;
            if let (Ok(lo), Ok(hi)) = (Day::try_from(lo), Day::try_from(hi)) {
                calendar = calendar.with_lookup(date_of(lo), date_of(hi));
            }
        }
        let today = day_number(today(&calendar));
        let stage_role = stages.iter().map(|s| process.role(&s.owner)).collect();
        ProcessPlan {
            process,
            calendar,
            today,
            order,
            successors,
            predecessors,
            forward,
            stage_index,
            stage_role,
        }
    }

    /// Successors once the item's skipped stages are taken out: a skipped stage's
    /// predecessors connect to its successors.
    fn successors_without(&self, skipped: &[bool]) -> Vec<Vec<usize>> {
        (0..self.successors.len())
            .map(|s| {
                let mut out = Vec::new();
                let mut seen = vec![false; skipped.len()];
                let mut stack: Vec<usize> = self.successors[s].iter().rev().copied().collect();
                while let Some(t) = stack.pop() {
                    if std::mem::replace(&mut seen[t], true) {
                        continue;
                    }
                    if skipped[t] {
                        stack.extend(self.successors[t].iter().rev());
                    } else {
                        out.push(t);
                    }
                }
                out
            })
            .collect()
    }

    /// Each stage's start (`None` when skipped) and due day: backward stages from go-live,
    /// then forward ones after it, in order.
    fn stage_dates(
        &self,
        item: &Item,
        skipped: &[bool],
        successors: &[Vec<usize>],
    ) -> (Vec<Option<Day>>, Vec<Day>) {
        let stages: &[crate::model::Stage] = &self.process.stages;
        let n = stages.len();
        let cal = &self.calendar;
        let golive = day_number(item.golive);
        let last_due = cal.on_or_before_day(golive);
        let mut start = vec![None::<Day>; n];
        let mut due = vec![0 as Day; n];
        // Backward stages; forward ones have no start yet, so they never count as successors.
        for &s in self.order.iter().rev() {
            if skipped[s] || self.forward[s] {
                continue;
            }
            let next_start = successors[s].iter().filter_map(|&t| start[t]).min();
            let d = match next_start {
                Some(t) => cal.on_or_before_day(t - 1),
                None => last_due,
            };
            due[s] = d;
            start[s] = Some(match stages[s].days {
                0 => d,
                days => cal.back_day(d, days - 1),
            });
        }
        // Forward stages, in order. A skipped one takes no time: the stages after it start
        // where it would have started.
        let mut forward_start = vec![0 as Day; n];
        for &s in &self.order {
            if !self.forward[s] {
                continue;
            }
            let anchor = stages[s].after_golive.map(|k| cal.forward_day(golive, k));
            let chained = self.predecessors[s]
                .iter()
                .filter(|&&p| self.forward[p])
                .map(|&p| match skipped[p] {
                    true => forward_start[p],
                    false => cal.forward_day(due[p], 1),
                });
            // Never empty: a forward stage has `after_golive` or a forward predecessor.
            let first = anchor.into_iter().chain(chained).max().unwrap_or(golive);
            forward_start[s] = first;
            due[s] = match stages[s].days {
                0 => first,
                days => cal.forward_day(first, days - 1),
            };
            if !skipped[s] {
                start[s] = Some(first);
            }
        }
        (start, due)
    }

    /// A stage's checklist entries for one item: each owned by the stage's owner, or by the
    /// entry's own role (with that role's warnings).
    fn checklist(
        &self,
        item: &Item,
        stage: &crate::model::Stage,
        stage_owner: Option<&String>,
        (start, due): (Day, Day),
        away: &HashMap<&str, Vec<(Day, Day)>>,
        warnings: &mut Vec<Warning>,
    ) -> Vec<EntryTask> {
        stage
            .checklist
            .iter()
            .map(|entry| {
                let eid = entry_id(&item.id, &stage.id, &entry.key);
                let (role_id, owner) = match &entry.role {
                    Some(r) if *r != stage.owner => {
                        let a = assign(self.process.role(r), r, item, start, due, away);
                        if let Some(w) = a.warning(&eid) {
                            warnings.push(w);
                        }
                        (r.clone(), a.owner)
                    }
                    _ => (stage.owner.clone(), stage_owner.cloned()),
                };
                EntryTask {
                    key: entry.key.clone(),
                    text: entry.text.clone(),
                    role: role_id,
                    owner,
                    due: date_of(due),
                    id: eid,
                }
            })
            .collect()
    }

    /// The item goes live on a day off: its last stages are due the business day before.
    fn golive_warning(&self, item: &Item, id: &str, due: Day) -> Warning {
        Warning {
            kind: WarningKind::GoliveNotBusinessDay,
            task: Some(id.to_string()),
            person: None,
            message: format!(
                "{} goes live on {} {}, which is not a business day in the {} process; \
                 its last stages are due on {} {} instead.",
                item.id,
                weekday_name(item.golive),
                item.golive,
                self.process.id,
                weekday_name(date_of(due)),
                date_of(due),
            ),
        }
    }

    fn schedule_item(
        &self,
        item: &Item,
        away: &HashMap<&str, Vec<(Day, Day)>>,
        out: &mut Schedule,
        limits: &mut Vec<Limit<'a>>,
    ) {
        let stages: &'a [crate::model::Stage] = &self.process.stages;
        let mut skipped = vec![false; stages.len()];
        for id in &item.skip {
            if let Some(&s) = self.stage_index.get(id.as_str()) {
                skipped[s] = true;
            }
        }
        let successors: Cow<[Vec<usize>]> = if skipped.contains(&true) {
            Cow::Owned(self.successors_without(&skipped))
        } else {
            Cow::Borrowed(&self.successors)
        };

        let golive = day_number(item.golive);
        let last_due = self.calendar.on_or_before_day(golive);
        let (start, due) = self.stage_dates(item, &skipped, &successors);

        let mut golive_warned = last_due == golive;
        for &s in &self.order {
            let Some(start) = start[s] else { continue };
            let (stage, due) = (&stages[s], due[s]);
            let id = task_id(&item.id, &stage.id);
            let last_before_golive =
                !self.forward[s] && successors[s].iter().all(|&t| self.forward[t]);
            if !golive_warned && last_before_golive {
                golive_warned = true;
                out.warnings.push(self.golive_warning(item, &id, due));
            }
            if start < self.today {
                out.warnings
                    .push(starts_in_past(&id, start, due, self.today));
            }

            let role = self.stage_role[s];
            let who = assign(role, &stage.owner, item, start, due, away);
            if let Some(w) = who.warning(&id) {
                out.warnings.push(w);
            }
            let checklist = self.checklist(
                item,
                stage,
                who.owner.as_ref(),
                (start, due),
                away,
                &mut out.warnings,
            );

            limits.push(Limit {
                max_parallel: role.and_then(|r| r.max_parallel),
                role: &stage.owner,
            });
            out.tasks.push(Task {
                id,
                item: item.id.clone(),
                item_title: item.title.clone(),
                process: self.process.id.clone(),
                stage: stage.id.clone(),
                stage_name: stage.name.clone(),
                role: stage.owner.clone(),
                owner: who.owner,
                backup_for: who.backup_for,
                start: date_of(start),
                due: date_of(due),
                days: stage.days,
                golive: item.golive,
                channel: item.channel.clone(),
                notes: item.notes.clone(),
                checklist,
            });
        }
    }
}

fn starts_in_past(task: &str, start: Day, due: Day, today: Day) -> Warning {
    let (start, due, today) = (date_of(start), date_of(due), date_of(today));
    let message = if due < today {
        format!(
            "{task} should have started on {start} and been done by {due}, both before today \
             ({today}). Move the item's go-live date, or mark the task done."
        )
    } else {
        format!(
            "{task} should have started on {start}, before today ({today}); it is due on {due}. \
             Move the item's go-live date or shorten the stage if that cannot be met."
        )
    };
    Warning {
        kind: WarningKind::StartsInPast,
        task: Some(task.to_string()),
        person: None,
        message,
    }
}

/// Who does a task, and why.
struct Assignment<'r> {
    owner: Option<String>,
    backup_for: Option<String>,
    /// The owner is away and nobody can take over: (owner, away span, the backup if any).
    unavailable: Option<(Day, Day, Option<&'r str>)>,
}

impl Assignment<'_> {
    fn warning(&self, task: &str) -> Option<Warning> {
        let (start, due, backup) = self.unavailable?;
        let owner = self.owner.as_deref().unwrap_or_default();
        let (start, due) = (date_of(start), date_of(due));
        let why = match backup {
            Some(b) => format!("the backup {b} is away too"),
            None => "the role has no backup".to_string(),
        };
        Some(Warning {
            kind: WarningKind::NobodyAvailable,
            task: Some(task.to_string()),
            person: self.owner.clone(),
            message: format!(
                "{owner} is away during {task} ({start} to {due}) and {why}; the task stays \
                 with {owner}. Name someone else for it in the item's `people`, or add a backup."
            ),
        })
    }
}

/// The item's override for the role, else the role's first person; the role's backup while
/// that person is away on any day of `[start, due]`.
fn assign<'r>(
    role: Option<&'r Role>,
    role_id: &str,
    item: &Item,
    start: Day,
    due: Day,
    away: &HashMap<&str, Vec<(Day, Day)>>,
) -> Assignment<'r> {
    let person = item
        .people
        .get(role_id)
        .or_else(|| role.and_then(|r| r.people.first()));
    let mut a = Assignment {
        owner: person.cloned(),
        backup_for: None,
        unavailable: None,
    };
    let Some(person) = person else { return a };
    if !is_away(away, person, start, due) {
        return a;
    }
    let backup = role.and_then(|r| r.backup.as_deref());
    match backup {
        Some(b) if b != person && !is_away(away, b, start, due) => {
            a.owner = Some(b.to_string());
            a.backup_for = Some(person.clone());
        }
        _ => a.unavailable = Some((start, due, backup)),
    }
    a
}

/// One warning per person, on the first day they hold more overlapping tasks than allowed.
/// A day's limit is the smallest `max_parallel` among the roles of the tasks held that day;
/// every task the person holds counts towards it.
fn overloads(tasks: &[Task], limits: &[Limit]) -> Vec<Warning> {
    let mut by_person: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, task) in tasks.iter().enumerate() {
        if let Some(owner) = &task.owner {
            by_person.entry(owner.as_str()).or_default().push(i);
        }
    }
    let mut found: Vec<(Date, &str, Warning)> = Vec::new();
    for (person, mut held) in by_person {
        if held.iter().all(|&i| limits[i].max_parallel.is_none()) {
            continue;
        }
        held.sort_by_key(|&i| (tasks[i].start, tasks[i].due, i));
        let mut active: BinaryHeap<Reverse<(Date, usize)>> = BinaryHeap::new();
        let mut caps: BTreeMap<u32, usize> = BTreeMap::new();
        let mut next = 0;
        while next < held.len() {
            let day = tasks[held[next]].start;
            while let Some(&Reverse((due, i))) = active.peek()
                && due < day
            {
                active.pop();
                if let Some(cap) = limits[i].max_parallel {
                    release(&mut caps, cap);
                }
            }
            while next < held.len() && tasks[held[next]].start == day {
                let i = held[next];
                active.push(Reverse((tasks[i].due, i)));
                if let Some(cap) = limits[i].max_parallel {
                    *caps.entry(cap).or_default() += 1;
                }
                next += 1;
            }
            let Some((&cap, _)) = caps.first_key_value() else {
                continue;
            };
            if active.len() > cap as usize {
                let mut ids: Vec<usize> = active.iter().map(|Reverse((_, i))| *i).collect();
                ids.sort_unstable();
                let role = ids
                    .iter()
                    .filter(|&&i| limits[i].max_parallel == Some(cap))
                    .map(|&i| limits[i].role)
                    .next()
                    .unwrap_or_default();
                let last = ids[ids.len() - 1];
                found.push((
                    day,
                    person,
                    Warning {
                        kind: WarningKind::Overloaded,
                        task: Some(tasks[last].id.clone()),
                        person: Some(person.to_string()),
                        message: format!(
                            "{person} has {} tasks at once on {day} ({}), more than the {cap} \
                             that max_parallel allows for the {role} role.",
                            ids.len(),
                            list_ids(tasks, &ids),
                        ),
                    },
                ));
                break;
            }
        }
    }
    found.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    found.into_iter().map(|(_, _, w)| w).collect()
}

fn release(caps: &mut BTreeMap<u32, usize>, cap: u32) {
    if let Some(n) = caps.get_mut(&cap) {
        *n -= 1;
        if *n == 0 {
            caps.remove(&cap);
        }
    }
}

fn list_ids(tasks: &[Task], ids: &[usize]) -> String {
    const SHOWN: usize = 5;
    let mut s = ids
        .iter()
        .take(SHOWN)
        .map(|&i| tasks[i].id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        s.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    s
}

fn weekday_name(date: Date) -> &'static str {
    use jiff::civil::Weekday::*;
    match date.weekday() {
        Monday => "Monday",
        Tuesday => "Tuesday",
        Wednesday => "Wednesday",
        Thursday => "Thursday",
        Friday => "Friday",
        Saturday => "Saturday",
        Sunday => "Sunday",
    }
}
