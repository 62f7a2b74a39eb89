//! Which tasks a task waits for: the tasks of the stages its stage comes `after`. A stage an
//! item skips has no task, so a task after it waits for the tasks that stage waited for.

use std::collections::{HashMap, HashSet};

use crate::model::Deployment;

use super::Schedule;

/// For every task of `schedule`, the ids of the tasks it waits for, in stage order; a task
/// that waits for nothing is left out.
pub fn waits_for(dep: &Deployment, schedule: &Schedule) -> HashMap<String, Vec<String>> {
    let ids: HashSet<&str> = schedule.tasks.iter().map(|t| t.id.as_str()).collect();
    let mut out = HashMap::new();
    for t in &schedule.tasks {
        let Some(process) = dep.process(&t.process) else {
            continue;
        };
        let Some(stage) = process.stage(&t.stage) else {
            continue;
        };
        let mut found: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut todo: Vec<&str> = stage.after.iter().rev().map(String::as_str).collect();
        while let Some(before) = todo.pop() {
            if !seen.insert(before) {
                continue;
            }
            let id = crate::model::task_id(&t.item, before);
            if ids.contains(id.as_str()) {
                found.push(id);
            } else if let Some(skipped) = process.stage(before) {
                todo.extend(skipped.after.iter().rev().map(String::as_str));
            }
        }
        if !found.is_empty() {
            out.insert(t.id.clone(), found);
        }
    }
    out
}
