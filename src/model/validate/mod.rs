//! How the values in the files relate to each other: references, duplicates, cycles, time
//! zones, date ranges, targets. Turns the raw files into the resolved [`Deployment`].
//!
//! Every check runs even after others failed, so one run reports everything; the
//! `Deployment` built alongside is only handed out when no problem was found.

mod config;
mod items;
mod playbook;
mod target;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use super::fields::{At, Files, Problems, suggest};
use super::raw::{RawConfig, RawItemFile, RawPlaybook};
use super::{Cadence, Deployment, Item, Process};

pub(crate) use config::{parse_duration, parse_secret};

/// Everything read from disk, ready to be checked as a whole.
pub(crate) struct Input<'f> {
    pub files: &'f Files,
    pub config_path: PathBuf,
    /// The config's folder as written (may be empty for `throughline.toml`).
    pub base: PathBuf,
    pub config: RawConfig,
    /// The config had TOML syntax errors: its own checks are skipped (they would only echo them).
    pub config_broken: bool,
    pub playbooks: Vec<RawPlaybook>,
    /// Some playbook could not be read (syntax errors, a pattern that matched nothing): an
    /// "unknown process/role/stage" could then be a false alarm, so none is reported.
    pub playbooks_broken: bool,
    pub item_files: Vec<RawItemFile>,
    /// The same for item files, for the item ids a target's `only` names.
    pub items_broken: bool,
}

pub(crate) fn validate(input: Input<'_>, problems: &mut Problems) -> Deployment {
    let files = input.files;
    let mut processes = Vec::new();
    let mut process_ids: HashMap<String, At<String>> = HashMap::new();
    for playbook in &input.playbooks {
        let process = playbook::resolve_playbook(files, playbook, problems);
        if let Some(id) = playbook.process.as_ref().and_then(|p| p.id.as_ref()) {
            if let Some(first) = process_ids.get(&id.value) {
                problems.at(
                    id,
                    format!(
                        "process id `{}` is already used by the playbook at {}; give each playbook its own id",
                        id.value,
                        files.place(first)
                    ),
                );
            } else {
                process_ids.insert(id.value.clone(), id.clone());
            }
        }
        processes.push(process);
    }

    let (items, cadences) = items::resolve_items(&input, &processes, problems);
    let metrics = super::metric::resolve(files, metric_homes(&input), &processes, &items, problems);
    items::check_expansion(&input, &processes, problems);

    let mut scratch = Problems::default();
    let sink = if input.config_broken {
        &mut scratch
    } else {
        &mut *problems
    };
    let known = Known::new(
        &processes,
        &items,
        &cadences,
        input.playbooks_broken,
        input.items_broken,
    );
    let (state, sync, targets) =
        config::resolve_config(files, &input.config, &input.base, &known, sink);

    let root = if input.base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        input.base.clone()
    };
    Deployment {
        config_path: input.config_path,
        root,
        state,
        sync,
        targets,
        processes,
        items,
        cadences,
        metrics,
    }
}

/// Each `[[metric]]` with where it was written (see `model::metric`).
fn metric_homes<'a>(
    input: &'a Input<'_>,
) -> Vec<(super::metric::Home<'a>, &'a super::metric::RawMetric)> {
    let mut out = Vec::new();
    for p in &input.playbooks {
        let process = p
            .process
            .as_ref()
            .and_then(|p| p.id.as_ref())
            .map(|id| id.value.as_str());
        out.extend(
            p.metrics
                .iter()
                .map(|m| (super::metric::Home::Playbook(process), m)),
        );
    }
    for f in &input.item_files {
        let ids: Vec<&str> = f
            .items
            .iter()
            .filter_map(|i| i.common.id.as_ref().map(|id| id.value.as_str()))
            .collect();
        out.extend(
            f.metrics
                .iter()
                .map(|m| (super::metric::Home::Items(ids.clone()), m)),
        );
    }
    out
}

/// "unknown role `writter`; did you mean `writer`?" or the list of what exists.
pub(super) fn unknown(what: &str, name: &str, known: &[&str], scope: &str) -> String {
    if let Some(near) = suggest(name, known.iter().copied()) {
        return format!("unknown {what} `{name}`; did you mean `{near}`?");
    }
    if known.is_empty() {
        return format!("unknown {what} `{name}`: {scope} has none");
    }
    format!("unknown {what} `{name}`; {scope} has: {}", known.join(", "))
}

/// What targets may refer to, and whether a missing name could be a false alarm.
pub(super) struct Known {
    pub(super) processes: BTreeSet<String>,
    pub(super) roles: BTreeSet<String>,
    pub(super) stages: BTreeSet<String>,
    pub(super) items: BTreeSet<String>,
    pub(super) playbooks_broken: bool,
    pub(super) items_broken: bool,
}

impl Known {
    pub(super) fn new(
        processes: &[Process],
        items: &[Item],
        cadences: &[Cadence],
        playbooks_broken: bool,
        items_broken: bool,
    ) -> Self {
        Known {
            processes: processes.iter().map(|p| p.id.clone()).collect(),
            roles: processes
                .iter()
                .flat_map(|p| p.roles.iter().map(|r| r.id.clone()))
                .collect(),
            stages: processes
                .iter()
                .flat_map(|p| p.stages.iter().map(|s| s.id.clone()))
                .collect(),
            items: items
                .iter()
                .map(|i| i.id.clone())
                .chain(cadences.iter().map(|c| c.id.clone()))
                .collect(),
            playbooks_broken,
            items_broken,
        }
    }
}
