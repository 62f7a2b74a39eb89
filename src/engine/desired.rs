//! From the schedule to what each target should hold.

use std::collections::HashMap;

use throughline_connector::{
    DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields,
};

use super::mapping::{TaskMapping, render};
use crate::model::{Deployment, TaskFilter};
use crate::reconcile::FieldOverride;
use crate::schedule::{Schedule, Task};

fn wanted(filter: &TaskFilter, task: &Task) -> bool {
    let item_matches = |f: &String| {
        task.item == *f
            || task
                .item
                .strip_prefix(f.as_str())
                .is_some_and(|rest| rest.starts_with('@'))
    };
    (filter.roles.is_empty() || filter.roles.contains(&task.role))
        && (filter.stages.is_empty() || filter.stages.contains(&task.stage))
        && (filter.processes.is_empty() || filter.processes.contains(&task.process))
        && (filter.items.is_empty() || filter.items.iter().any(item_matches))
}

/// The tasks a target with this filter and mapping should hold, in schedule order.
pub fn desired_tasks(
    dep: &Deployment,
    schedule: &Schedule,
    filter: &TaskFilter,
    mapping: &TaskMapping,
) -> Vec<DesiredTask> {
    let processes: HashMap<&str, _> = dep.processes.iter().map(|p| (p.id.as_str(), p)).collect();
    schedule
        .tasks
        .iter()
        .filter(|t| wanted(filter, t))
        .enumerate()
        .map(|(position, t)| {
            let process = processes.get(t.process.as_str());
            let value = |key: &str| -> String {
                match key {
                    "item" => t.item.clone(),
                    "item_title" => t.item_title.clone(),
                    "stage" => t.stage.clone(),
                    "stage_name" => t.stage_name.clone(),
                    "process" => t.process.clone(),
                    "process_name" => process.map(|p| p.name.clone()).unwrap_or_default(),
                    "golive" => t.golive.to_string(),
                    "start" => t.start.to_string(),
                    "due" => t.due.to_string(),
                    "owner" => t.owner.clone().unwrap_or_default(),
                    "role" => process
                        .and_then(|p| p.role(&t.role))
                        .map(|r| r.name.clone())
                        .unwrap_or_else(|| t.role.clone()),
                    "channel" => t.channel.clone().unwrap_or_default(),
                    "notes" => t.notes.clone().unwrap_or_default(),
                    "task_id" => t.id.clone(),
                    _ => String::new(),
                }
            };
            DesiredTask {
                identity: t.id.clone(),
                fields: TaskFields {
                    title: render(&mapping.title, value).trim().to_string(),
                    description: render(&mapping.description, value).trim().to_string(),
                    group: t.stage_name.clone(),
                    owner: t.owner.clone(),
                    start: Some(t.start),
                    due: Some(t.due),
                },
                state: State::Todo,
                context: TaskContext {
                    process: t.process.clone(),
                    process_name: process.map(|p| p.name.clone()).unwrap_or_default(),
                    item: t.item.clone(),
                    item_title: t.item_title.clone(),
                    stage: t.stage.clone(),
                    stage_name: t.stage_name.clone(),
                    role: t.role.clone(),
                    golive: Some(t.golive),
                    channel: t.channel.clone(),
                    timezone: process.map(|p| p.timezone_name.clone()).unwrap_or_default(),
                    rtl: process.is_some_and(|p| p.lang.is_rtl()),
                    position: position as u64,
                    blocked_reason: None,
                },
                entries: t
                    .checklist
                    .iter()
                    .map(|e| DesiredEntry {
                        identity: e.id.clone(),
                        fields: EntryFields {
                            text: e.text.clone(),
                            owner: e.owner.clone(),
                            due: Some(e.due),
                        },
                        checked: false,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Field values people changed in a tool and the hub accepted (`drift = "accept"`), keyed by
/// (identity, field). Each stands while the playbook's own value is still its `base`.
pub type Overrides = HashMap<(String, String), FieldOverride>;

/// Apply accepted values to the desired tasks and their entries. Returns the overrides that no
/// longer apply because the playbook changed the field since (to be forgotten).
pub fn apply_overrides(tasks: &mut [DesiredTask], overrides: &Overrides) -> Vec<(String, String)> {
    let mut stale = Vec::new();
    if overrides.is_empty() {
        return stale;
    }
    for t in tasks.iter_mut() {
        apply_to(&t.identity, &mut t.fields, overrides, &mut stale);
        for e in &mut t.entries {
            apply_to(&e.identity, &mut e.fields, overrides, &mut stale);
        }
    }
    stale
}

fn apply_to<T>(
    identity: &str,
    fields: &mut T,
    overrides: &Overrides,
    stale: &mut Vec<(String, String)>,
) where
    T: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    let mut map = crate::reconcile::to_map(fields);
    let mut changed = false;
    for (field, value) in map.iter_mut() {
        let Some(o) = overrides.get(&(identity.to_string(), field.clone())) else {
            continue;
        };
        if *value == o.base {
            *value = o.value.clone();
            changed = true;
        } else if *value != o.value {
            stale.push((identity.to_string(), field.clone()));
        }
    }
    if changed {
        *fields = crate::reconcile::from_map(map);
    }
}
