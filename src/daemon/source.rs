//! Which connectors a cycle talks to: the deployment's own, or the fakes a test hands in.

use std::collections::BTreeMap;

use crate::engine::{self, TargetRun};
use crate::model::{Deployment, Target};
use crate::schedule::Schedule;

/// Opens the targets of a deployment for one cycle. The daemon uses [`Connectors`]; tests
/// hand in fakes.
pub trait TargetSource: Send {
    /// One result per target of `targets`, in order: the run, or why it cannot be set up.
    fn open(
        &mut self,
        dep: &Deployment,
        schedule: &Schedule,
        targets: &[&Target],
    ) -> Vec<Result<TargetRun, String>>;
}

/// The connectors the deployment configures (`engine::connectors::open_targets`).
#[derive(Debug, Default)]
pub struct Connectors;

impl TargetSource for Connectors {
    fn open(
        &mut self,
        dep: &Deployment,
        schedule: &Schedule,
        targets: &[&Target],
    ) -> Vec<Result<TargetRun, String>> {
        // The usual case: every target opens; one pass over the schedule.
        if let Ok(runs) = engine::connectors::open_targets(dep, schedule) {
            let mut runs: BTreeMap<String, TargetRun> =
                runs.into_iter().map(|r| (r.id.clone(), r)).collect();
            return targets
                .iter()
                .map(|t| {
                    runs.remove(&t.id)
                        .ok_or_else(|| format!("target `{}` was not opened", t.id))
                })
                .collect();
        }
        // Some target cannot be set up: open them one by one to tell which.
        let mut one = dep.clone();
        targets
            .iter()
            .map(|t| {
                one.targets = vec![(*t).clone()];
                engine::connectors::open_targets(&one, schedule)
                    .map_err(|e| e.to_string())
                    .and_then(|mut runs| runs.pop().ok_or_else(|| "no connector".to_string()))
            })
            .collect()
    }
}
