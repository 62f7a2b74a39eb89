//! Adoption: status updates from tools per person and target, and the unused targets.

use std::collections::{BTreeMap, HashMap};

use throughline_connector::identity::Identity;

use super::{Adoption, Ctx, PersonAdoption, TargetUpdates};

/// The task an identity belongs to: itself, or for a checklist entry `item/stage/key` its task.
fn task_of(index: &HashMap<&str, usize>, identity: &str) -> Option<usize> {
    if let Some(&i) = index.get(identity) {
        return Some(i);
    }
    let task = Identity::parse(identity).ok()?.task_identity().to_string();
    index.get(task.as_str()).copied()
}

pub(super) fn adoption(ctx: &Ctx) -> Adoption {
    let index = &ctx.task_index;
    let mut people: BTreeMap<String, PersonAdoption> = BTreeMap::new();
    let mut per_target: BTreeMap<&str, u32> = BTreeMap::new();
    // task → (updated by anyone, updated by its owner)
    let mut touched: HashMap<usize, bool> = HashMap::new();
    for r in &ctx.input.history {
        let (Some(target), Some(i)) = (r.source_target.as_deref(), task_of(index, &r.identity))
        else {
            continue;
        };
        let (Some(cal), t) = (ctx.calendar(i), ctx.task(i)) else {
            continue;
        };
        let Some(person) = r.source_person.clone().or_else(|| t.owner.clone()) else {
            continue;
        };
        let date = cal.today(r.at);
        if date > ctx.input.until {
            continue;
        }
        let entry = people
            .entry(person.clone())
            .or_insert_with(|| blank_adoption(&person));
        entry.last_update = entry.last_update.max(Some(date));
        if date < ctx.input.since {
            continue;
        }
        *entry.updates.entry(target.to_string()).or_default() += 1;
        *per_target.entry(target).or_default() += 1;
        let by_owner = t.owner.as_deref() == Some(person.as_str());
        let seen = touched.entry(i).or_default();
        *seen |= by_owner;
    }
    for (&i, &by_owner) in &touched {
        let Some(owner) = &ctx.task(i).owner else {
            continue;
        };
        let entry = people
            .entry(owner.clone())
            .or_insert_with(|| blank_adoption(owner));
        entry.tasks_updated += 1;
        entry.self_updated += u32::from(by_owner);
    }
    let targets = target_updates(ctx, &per_target);
    let unused = targets
        .iter()
        .filter(|t| t.updates == 0)
        .map(|t| t.target.clone())
        .collect();
    Adoption {
        people: adoption_people(ctx, people),
        targets,
        unused,
    }
}

/// A person with no update yet.
fn blank_adoption(person: &str) -> PersonAdoption {
    PersonAdoption {
        person: person.to_string(),
        updates: BTreeMap::new(),
        tasks_updated: 0,
        self_updated: 0,
        self_share: None,
        last_update: None,
        days_since_last_update: None,
    }
}

/// The people the filter keeps, with their self-update share and days since the last update,
/// sorted by name.
fn adoption_people(ctx: &Ctx, people: BTreeMap<String, PersonAdoption>) -> Vec<PersonAdoption> {
    let first_process_today = ctx
        .input
        .processes
        .first()
        .map(|p| p.calendar.today(ctx.input.now));
    let mut list: Vec<PersonAdoption> = people
        .into_values()
        .filter(|p| {
            ctx.input
                .filter
                .person
                .as_ref()
                .is_none_or(|x| *x == p.person)
        })
        .map(|mut p| {
            p.self_share = (p.tasks_updated > 0)
                .then(|| f64::from(p.self_updated) / f64::from(p.tasks_updated));
            p.days_since_last_update = match (p.last_update, first_process_today) {
                (Some(last), Some(today)) => Some((today - last).get_days()),
                _ => None,
            };
            p
        })
        .collect();
    list.sort_by(|a, b| a.person.cmp(&b.person));
    list
}

/// Every target with its count of updates in the period (zero when none).
fn target_updates(ctx: &Ctx, per_target: &BTreeMap<&str, u32>) -> Vec<TargetUpdates> {
    ctx.input
        .targets
        .iter()
        .map(|t| TargetUpdates {
            target: t.id.clone(),
            tool: t.tool.clone(),
            updates: per_target.get(t.id.as_str()).copied().unwrap_or(0),
        })
        .collect()
}
