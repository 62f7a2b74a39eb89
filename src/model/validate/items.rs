//! Items and cadences: the process each runs through, the roles and stages they name, and
//! how many tasks a playbook's items and cadences expand to.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::{Date, Weekday};

use super::super::fields::{At, Problems};
use super::super::raw::{RawCadence, RawItem, RawItemCommon};
use super::super::{Cadence, Item, Process};
use super::{Input, unknown};

pub(super) fn resolve_items(
    input: &Input<'_>,
    processes: &[Process],
    problems: &mut Problems,
) -> (Vec<Item>, Vec<Cadence>) {
    let mut seen: HashMap<&str, &At<String>> = HashMap::new();
    let ids = input
        .item_files
        .iter()
        .flat_map(|f| {
            f.items
                .iter()
                .map(|i| &i.common)
                .chain(f.cadences.iter().map(|c| &c.common))
        })
        .filter_map(|c| c.id.as_ref());
    for id in ids {
        match seen.get(id.value.as_str()) {
            Some(first) => problems.at(
                id,
                format!(
                    "item id `{}` is already used at {}; give each item and cadence its own id",
                    id.value,
                    input.files.place(first)
                ),
            ),
            None => {
                seen.insert(&id.value, id);
            }
        }
    }
    let mut items = Vec::new();
    let mut cadences = Vec::new();
    for file in &input.item_files {
        items.extend(
            file.items
                .iter()
                .map(|raw| resolve_item(input, raw, processes, problems)),
        );
        cadences.extend(
            file.cadences
                .iter()
                .map(|raw| resolve_cadence(input, raw, processes, problems)),
        );
    }
    (items, cadences)
}

/// The process an item runs through, and the checks of what it names in that process.
fn check_common<'p>(
    input: &Input<'_>,
    raw: &RawItemCommon,
    kind: &str,
    processes: &'p [Process],
    problems: &mut Problems,
) -> Option<&'p Process> {
    let ids: Vec<&str> = processes.iter().map(|p| p.id.as_str()).collect();
    let process = match &raw.process {
        Some(name) => match processes.iter().find(|p| p.id == name.value) {
            Some(p) => Some(p),
            None => {
                if !input.playbooks_broken {
                    problems.at(
                        name,
                        unknown("process", &name.value, &ids, "this deployment"),
                    );
                }
                None
            }
        },
        None if processes.len() == 1 => Some(&processes[0]),
        None => {
            if processes.len() > 1 {
                problems.at(
                    &raw.at,
                    format!(
                        "this {kind} has no `process`, and this deployment has several ({}); add one, like process = \"{}\"",
                        ids.join(", "),
                        ids[0]
                    ),
                );
            }
            None
        }
    };
    let process = process?;
    let scope = format!("process `{}`", process.id);
    let role_ids: Vec<&str> = process.roles.iter().map(|r| r.id.as_str()).collect();
    for (role, person) in &raw.people {
        if !role_ids.contains(&role.value.as_str()) {
            problems.at(role, unknown("role", &role.value, &role_ids, &scope));
        }
        if person.value.trim().is_empty() {
            problems.at(
                person,
                format!(
                    "the person for role `{}` is empty; write their e-mail address",
                    role.value
                ),
            );
        }
    }
    let stage_ids: Vec<&str> = process.stages.iter().map(|s| s.id.as_str()).collect();
    for stage in &raw.skip {
        if !stage_ids.contains(&stage.value.as_str()) {
            problems.at(stage, unknown("stage", &stage.value, &stage_ids, &scope));
        }
    }
    Some(process)
}

fn common_fields(
    raw: &RawItemCommon,
) -> (
    BTreeMap<String, String>,
    Vec<String>,
    Option<String>,
    Option<String>,
) {
    let people = raw
        .people
        .iter()
        .map(|(r, p)| (r.value.clone(), p.value.clone()))
        .collect();
    let mut skip: Vec<String> = Vec::new();
    for s in &raw.skip {
        if !skip.contains(&s.value) {
            skip.push(s.value.clone());
        }
    }
    (
        people,
        skip,
        raw.channel.as_ref().map(|c| c.value.clone()),
        raw.notes.as_ref().map(|n| n.value.clone()),
    )
}

fn resolve_item(
    input: &Input<'_>,
    raw: &RawItem,
    processes: &[Process],
    problems: &mut Problems,
) -> Item {
    let process = check_common(input, &raw.common, "item", processes, problems);
    let id = raw
        .common
        .id
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_default();
    let (people, skip, channel, notes) = common_fields(&raw.common);
    Item {
        title: raw
            .common
            .title
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_else(|| id.clone()),
        id,
        process: process.map(|p| p.id.clone()).unwrap_or_default(),
        golive: raw.golive.as_ref().map(|d| d.value).unwrap_or_default(),
        people,
        skip,
        channel,
        notes,
        cadence: None,
    }
}

fn resolve_cadence(
    input: &Input<'_>,
    raw: &RawCadence,
    processes: &[Process],
    problems: &mut Problems,
) -> Cadence {
    let process = check_common(input, &raw.common, "cadence", processes, problems);
    let id = raw
        .common
        .id
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_default();
    let mut on = Vec::new();
    if let Some(days) = &raw.on {
        for day in &days.value {
            if !on.contains(&day.value) {
                on.push(day.value);
            }
        }
    }
    if let (Some(from), Some(until)) = (&raw.from, &raw.until)
        && until.value < from.value
    {
        problems.at(
            until,
            format!(
                "`until` ({}) is before `from` ({}), so this cadence makes no items; check both dates",
                until.value, from.value
            ),
        );
    }
    let (people, skip, channel, notes) = common_fields(&raw.common);
    Cadence {
        title: raw
            .common
            .title
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_else(|| format!("{id} {{date}}")),
        id,
        process: process.map(|p| p.id.clone()).unwrap_or_default(),
        on,
        from: raw.from.as_ref().map(|d| d.value).unwrap_or_default(),
        until: raw.until.as_ref().map(|d| d.value).unwrap_or_default(),
        people,
        skip,
        channel,
        notes,
    }
}

/// The most tasks one playbook may expand to, unless `[limits] tasks_per_playbook` says
/// otherwise: 30 times the larger example (163 tasks), a year of a daily cadence through a
/// ten-stage process (3,650), and far below what a typo in a year makes (131,624).
pub(crate) const DEFAULT_TASKS_PER_PLAYBOOK: u32 = 5_000;

/// How many of `on`'s weekdays fall between `from` and `until`, both included; counted, not
/// listed, so a cadence over two centuries costs nothing to check.
pub(super) fn cadence_dates(from: Date, until: Date, on: &[Weekday]) -> u64 {
    let Ok(span) = from.until((jiff::Unit::Day, until)) else {
        return 0;
    };
    let days = span.get_days();
    if days < 0 || on.is_empty() {
        return 0;
    }
    let days = days as u64 + 1;
    let whole_weeks = days / 7;
    let mut count = whole_weeks * on.len() as u64;
    let mut day = from.weekday();
    for _ in 0..days % 7 {
        if on.contains(&day) {
            count += 1;
        }
        day = day.next();
    }
    count
}

/// Tasks per process: items and cadences counted, not expanded.
struct Tally<'r> {
    total: u64,
    items: u64,
    /// The cadence that makes the most tasks: its place, id, dates and tasks.
    largest: Option<(&'r RawCadence, u64, u64)>,
}

/// How many tasks each process's items and cadences make, and its largest cadence.
fn tally<'r>(input: &'r Input<'_>, processes: &[Process]) -> Vec<Tally<'r>> {
    let process_of = |common: &RawItemCommon| -> Option<usize> {
        match &common.process {
            Some(name) => processes.iter().position(|p| p.id == name.value),
            None if processes.len() == 1 => Some(0),
            None => None,
        }
    };
    let stages_of = |p: &Process, common: &RawItemCommon| -> u64 {
        p.stages
            .iter()
            .filter(|s| !common.skip.iter().any(|k| k.value == s.id))
            .count() as u64
    };
    let mut tallies: Vec<Tally<'_>> = processes
        .iter()
        .map(|_| Tally {
            total: 0,
            items: 0,
            largest: None,
        })
        .collect();
    for file in &input.item_files {
        for item in &file.items {
            if let Some(p) = process_of(&item.common) {
                let tasks = stages_of(&processes[p], &item.common);
                tallies[p].total = tallies[p].total.saturating_add(tasks);
                tallies[p].items += 1;
            }
        }
        for cadence in &file.cadences {
            let (Some(p), Some(from), Some(until), Some(on)) = (
                process_of(&cadence.common),
                &cadence.from,
                &cadence.until,
                &cadence.on,
            ) else {
                continue;
            };
            let on: Vec<Weekday> = on.value.iter().map(|d| d.value).collect();
            let dates = cadence_dates(from.value, until.value, &on);
            let tasks = dates.saturating_mul(stages_of(&processes[p], &cadence.common));
            let tally = &mut tallies[p];
            tally.total = tally.total.saturating_add(tasks);
            if tally.largest.is_none_or(|(_, _, most)| tasks > most) {
                tally.largest = Some((cadence, dates, tasks));
            }
        }
    }
    tallies
}

/// A playbook whose items and cadences expand past the limit is a typo far more often than a
/// plan (`until = 2207-01-28`); checked here, before anything is expanded or sent anywhere.
pub(super) fn check_expansion(input: &Input<'_>, processes: &[Process], problems: &mut Problems) {
    let limit = input
        .config
        .tasks_per_playbook
        .as_ref()
        .map_or(DEFAULT_TASKS_PER_PLAYBOOK, |l| l.value);
    if let Some(l) = &input.config.tasks_per_playbook
        && l.value == 0
    {
        problems.at(l, "`tasks_per_playbook` must be at least 1");
        return;
    }
    let tallies = tally(input, processes);
    for (process, tally) in processes.iter().zip(&tallies) {
        if tally.total <= u64::from(limit) {
            continue;
        }
        let over = format!(
            "process `{}` would have {} tasks, more than the limit of {} per playbook",
            process.id,
            thousands(tally.total),
            thousands(u64::from(limit))
        );
        let raise = "or raise `[limits] tasks_per_playbook` in throughline.toml";
        match tally.largest {
            Some((cadence, dates, tasks)) if tasks > 0 => {
                let id = cadence.common.id.as_ref().map_or("", |i| i.value.as_str());
                let at = cadence
                    .until
                    .as_ref()
                    .expect("counted cadences have `until`");
                problems.at(
                    at,
                    format!(
                        "cadence `{id}` makes {} tasks ({} dates × {} stages), so {over}; check its `from`, `until` and `on`, {raise}",
                        thousands(tasks),
                        thousands(dates),
                        tasks / dates.max(1)
                    ),
                );
            }
            _ => {
                let header = input
                    .playbooks
                    .iter()
                    .filter_map(|p| p.process.as_ref())
                    .find(|h| h.id.as_ref().is_some_and(|i| i.value == process.id));
                if let Some(header) = header {
                    problems.at(
                        &header.at,
                        format!(
                            "the {} items of process `{}` make {} tasks, more than the limit of {} per playbook; split them across playbooks, {raise}",
                            thousands(tally.items),
                            process.id,
                            thousands(tally.total),
                            thousands(u64::from(limit))
                        ),
                    );
                }
            }
        }
    }
}

/// 131624 → "131,624".
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
