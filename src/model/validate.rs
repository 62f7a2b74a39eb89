//! How the values in the files relate to each other: references, duplicates, cycles, time
//! zones, date ranges, targets. Turns the raw files into the resolved [`Deployment`].
//!
//! Every check runs even after others failed, so one run reports everything; the
//! `Deployment` built alongside is only handed out when no problem was found.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use super::fields::{At, Files, Problems, suggest};
use super::raw::{
    RawCadence, RawConfig, RawItem, RawItemCommon, RawItemFile, RawPlaybook, RawTarget,
    misspelt_target_key,
};
use super::{
    Away, Cadence, ChecklistEntry, ConflictPolicy, Deployment, Item, Process, Role, SecretRef,
    Stage, StateLocation, SyncSettings, Target, TargetKind, TaskFilter, slug,
};

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
        let process = resolve_playbook(files, playbook, problems);
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

    let (items, cadences) = resolve_items(&input, &processes, problems);
    check_expansion(&input, &processes, problems);

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
    let (state, sync, targets) = resolve_config(files, &input.config, &input.base, &known, sink);

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
    }
}

/// "unknown role `writter`; did you mean `writer`?" or the list of what exists.
fn unknown(what: &str, name: &str, known: &[&str], scope: &str) -> String {
    if let Some(near) = suggest(name, known.iter().copied()) {
        return format!("unknown {what} `{name}`; did you mean `{near}`?");
    }
    if known.is_empty() {
        return format!("unknown {what} `{name}`: {scope} has none");
    }
    format!("unknown {what} `{name}`; {scope} has: {}", known.join(", "))
}

fn resolve_playbook(files: &Files, playbook: &RawPlaybook, problems: &mut Problems) -> Process {
    let file = playbook.file;
    let source = files.get(file);
    let header = playbook.process.as_ref();
    let id = header
        .and_then(|p| p.id.as_ref())
        .map(|i| i.value.clone())
        .unwrap_or_default();

    let mut timezone_name = String::new();
    let mut timezone = TimeZone::UTC;
    if let Some(name) = header.and_then(|p| p.timezone.as_ref()) {
        match TimeZone::get(&name.value) {
            Ok(tz) => {
                timezone_name = tz.iana_name().unwrap_or(&name.value).to_string();
                timezone = tz;
            }
            Err(_) if jiff::tz::db().is_definitively_empty() => problems.at(
                name,
                "cannot check the time zone: this computer has no time zone database; install the `tzdata` package",
            ),
            Err(_) => {
                let names: Vec<String> = jiff::tz::db().available().map(|n| n.as_str().to_string()).collect();
                let near = suggest(&name.value, names.iter().map(String::as_str));
                let hint = match near {
                    Some(near) => format!("; did you mean `{near}`?"),
                    None => ".".to_string(),
                };
                problems.at(
                    name,
                    format!(
                        "unknown time zone `{}`{hint} Use an IANA time zone name, like \"Asia/Jerusalem\" or \"Europe/London\"",
                        name.value
                    ),
                );
            }
        }
    }

    let mut workweek = Vec::new();
    match header.and_then(|p| p.workweek.as_ref()) {
        None => workweek.extend([
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ]),
        Some(days) => {
            for day in &days.value {
                if workweek.contains(&day.value) {
                    problems.at(
                        day,
                        "this day is already in `workweek`; list each working day once",
                    );
                } else {
                    workweek.push(day.value);
                }
            }
        }
    }

    let roles = resolve_roles(playbook, problems);
    let stages = resolve_stages(files, playbook, &roles, problems);
    // More than a year of business days is a typo (`days = 1000000`), and would push dates
    // past what any tool holds.
    let year_of_days = (workweek.len() as u32 * 365).div_ceil(7);
    for days in playbook.stages.iter().filter_map(|s| s.days.as_ref()) {
        if year_of_days > 0 && days.value > year_of_days {
            problems.at(
                days,
                format!(
                    "`days = {}` is more than a year of business days ({year_of_days} in this work week); a stage takes at most that, so check the number",
                    days.value
                ),
            );
        }
    }
    for n in playbook
        .stages
        .iter()
        .filter_map(|s| s.after_golive.as_ref())
    {
        if year_of_days > 0 && n.value > year_of_days {
            problems.at(
                n,
                format!(
                    "`after_golive = {}` is more than a year of business days ({year_of_days} in this work week) after the go-live date; check the number, or give the work its own item with a later go-live",
                    n.value
                ),
            );
        }
    }
    if playbook.stages.is_empty() {
        let at = header.map(|p| p.at.span.clone()).unwrap_or(0..0);
        problems.add(
            file,
            at,
            "this playbook has no stages; add at least one [[stage]] with an id, an owner and days",
        );
    }

    Process {
        name: header
            .and_then(|p| p.name.as_ref())
            .map(|n| n.value.clone())
            .unwrap_or_else(|| id.clone()),
        id,
        timezone_name,
        timezone,
        workweek,
        holidays: header
            .map(|p| p.holidays.iter().map(|d| d.value).collect())
            .unwrap_or_default(),
        lang: header
            .and_then(|p| p.lang.as_ref())
            .map(|l| l.value)
            .unwrap_or_default(),
        roles,
        stages,
        file: source.path.clone(),
    }
}

fn resolve_roles(playbook: &RawPlaybook, problems: &mut Problems) -> Vec<Role> {
    let mut roles = Vec::new();
    for raw in &playbook.roles {
        let mut people: Vec<String> = Vec::new();
        if let Some(list) = &raw.people {
            for person in &list.value {
                if person.value.trim().is_empty() {
                    problems.at(
                        person,
                        "this person is empty; write their e-mail address, or remove the entry",
                    );
                } else if people.contains(&person.value) {
                    problems.at(
                        person,
                        format!(
                            "`{}` is already listed in this role; list each person once",
                            person.value
                        ),
                    );
                } else {
                    people.push(person.value.clone());
                }
            }
        }
        if let Some(backup) = &raw.backup
            && people.len() == 1
            && people[0] == backup.value
        {
            problems.at(
                backup,
                format!(
                    "`{}` is both the backup and the only person in role `{}`, so nobody would take over while they are away; name someone else as backup, or remove `backup`",
                    backup.value, raw.id.value
                ),
            );
        }
        let mut away = Vec::new();
        for period in &raw.away {
            if let Some(who) = &period.who
                && !people.is_empty()
                && !people.contains(&who.value)
            {
                problems.at(
                    who,
                    format!(
                        "`{}` is not one of the people of role `{}` ({}); an away period is for one of the role's own people",
                        who.value,
                        raw.id.value,
                        people.join(", ")
                    ),
                );
            }
            if let (Some(from), Some(to)) = (&period.from, &period.to)
                && to.value < from.value
            {
                problems.at(
                    to,
                    format!(
                        "this away period ends ({}) before it starts ({}); check `from` and `to`",
                        to.value, from.value
                    ),
                );
            }
            if let (Some(who), Some(from), Some(to)) = (&period.who, &period.from, &period.to) {
                away.push(Away {
                    who: who.value.clone(),
                    from: from.value,
                    to: to.value,
                });
            }
        }
        if let Some(limit) = &raw.max_parallel
            && limit.value == 0
        {
            problems.at(limit, "`max_parallel` must be at least 1 (the number of tasks one person may have at once)");
        }
        roles.push(Role {
            id: raw.id.value.clone(),
            name: raw
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_else(|| raw.id.value.clone()),
            people,
            backup: raw.backup.as_ref().map(|b| b.value.clone()),
            away,
            max_parallel: raw.max_parallel.as_ref().map(|m| m.value),
        });
    }
    roles
}

fn resolve_stages(
    files: &Files,
    playbook: &RawPlaybook,
    roles: &[Role],
    problems: &mut Problems,
) -> Vec<Stage> {
    let role_ids: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
    let check_role = |role: &At<String>, problems: &mut Problems| {
        if !role_ids.contains(&role.value.as_str()) {
            problems.at(
                role,
                unknown("role", &role.value, &role_ids, "this playbook"),
            );
        }
    };

    let mut first_seen: HashMap<&str, &At<String>> = HashMap::new();
    for stage in &playbook.stages {
        if let Some(id) = &stage.id {
            match first_seen.get(id.value.as_str()) {
                Some(first) => problems.at(
                    id,
                    format!(
                        "stage `{}` is already defined at {}; give each stage its own id",
                        id.value,
                        files.place_from(first, playbook.file)
                    ),
                ),
                None => {
                    first_seen.insert(&id.value, id);
                }
            }
        }
    }
    // A stage without a usable id was already reported; naming it "unknown" again would mislead.
    let all_ids_known = playbook.stages.iter().all(|s| s.id.is_some());
    let stage_ids: Vec<&str> = playbook
        .stages
        .iter()
        .filter_map(|s| s.id.as_ref())
        .map(|i| i.value.as_str())
        .collect();

    let mut stages = Vec::new();
    for (index, raw) in playbook.stages.iter().enumerate() {
        if let Some(owner) = &raw.owner {
            check_role(owner, problems);
        }
        let after: Vec<String> = match &raw.after {
            None => match index
                .checked_sub(1)
                .and_then(|i| playbook.stages[i].id.as_ref())
            {
                Some(previous) => vec![previous.value.clone()],
                None => Vec::new(),
            },
            Some(list) => {
                let mut after = Vec::new();
                for name in &list.value {
                    if !stage_ids.contains(&name.value.as_str()) {
                        if all_ids_known {
                            problems.at(
                                name,
                                unknown("stage", &name.value, &stage_ids, "this playbook"),
                            );
                        }
                    } else if !after.contains(&name.value) {
                        after.push(name.value.clone());
                    }
                }
                after
            }
        };

        let id = raw.id.as_ref().map(|i| i.value.clone()).unwrap_or_default();
        let mut checklist: Vec<ChecklistEntry> = Vec::new();
        let mut keys: HashMap<String, (At<()>, bool)> = HashMap::new();
        for entry in &raw.checklist {
            let Some(text) = &entry.text else { continue };
            let (key, explicit) = match &entry.id {
                Some(id) => (id.value.clone(), true),
                None => (slug(&text.value), false),
            };
            if let Some(role) = &entry.role {
                check_role(role, problems);
            }
            if let Some((first, first_explicit)) = keys.get(&key) {
                let place = files.place_from(first, playbook.file);
                let message = if explicit || *first_explicit {
                    format!(
                        "the checklist of stage `{id}` already has an entry with the key `{key}` (at {place}); give each entry its own id"
                    )
                } else {
                    format!(
                        "this checklist entry has the same key `{key}` as the entry at {place} (their texts differ only in spaces, case or punctuation); give one of them its own id, like {{ id = \"{key}-2\", text = \"...\" }}"
                    )
                };
                problems.at(&entry.at, message);
                continue;
            }
            keys.insert(key.clone(), (entry.at.clone(), explicit));
            checklist.push(ChecklistEntry {
                key,
                text: text.value.clone(),
                role: entry.role.as_ref().map(|r| r.value.clone()),
            });
        }

        stages.push(Stage {
            name: raw
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_else(|| id.clone()),
            id,
            owner: raw
                .owner
                .as_ref()
                .map(|o| o.value.clone())
                .unwrap_or_default(),
            days: raw.days.as_ref().map(|d| d.value).unwrap_or(0),
            after,
            after_golive: raw.after_golive.as_ref().map(|n| n.value),
            checklist,
        });
    }
    report_cycles(playbook, &stages, problems);
    stages
}

/// Each group of stages that wait for each other in a circle, named once, at an `after` entry
/// that closes the circle (an omitted `after` only ever points back up the file, so every
/// circle has at least one written entry).
fn report_cycles(playbook: &RawPlaybook, stages: &[Stage], problems: &mut Problems) {
    let index: HashMap<&str, usize> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    // successors[p] = stages that wait for p.
    let mut successors = vec![Vec::new(); stages.len()];
    for (s, stage) in stages.iter().enumerate() {
        for p in &stage.after {
            if let Some(&p) = index.get(p.as_str()) {
                successors[p].push(s);
            }
        }
    }
    for component in strongly_connected(&successors) {
        let start = component[0];
        let cycle = if component.len() == 1 {
            if !successors[start].contains(&start) {
                continue;
            }
            vec![start, start]
        } else {
            let members: HashSet<usize> = component.iter().copied().collect();
            shortest_cycle(start, &successors, &members)
        };
        let names: Vec<&str> = cycle.iter().map(|&i| stages[i].id.as_str()).collect();
        // The written `after` entry of an edge p → s of the circle.
        let entry = cycle.windows(2).find_map(|edge| {
            let (p, s) = (edge[0], edge[1]);
            playbook.stages[s]
                .after
                .as_ref()?
                .value
                .iter()
                .find(|n| n.value == stages[p].id)
        });
        let Some(entry) = entry else { continue };
        let message = if cycle.len() == 2 {
            format!(
                "stage `{}` waits for itself; remove `{}` from its `after`",
                names[0], names[0]
            )
        } else {
            format!(
                "these stages wait for each other in a circle: {}, so none of them can be scheduled; remove one of these `after` entries",
                names.join(" → ")
            )
        };
        problems.at(entry, message);
    }
}

/// Strongly connected components (iterative Kosaraju), each sorted, in order of their
/// smallest member: deterministic, and safe from deep recursion.
fn strongly_connected(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = successors.len();
    let mut predecessors = vec![Vec::new(); n];
    for (p, list) in successors.iter().enumerate() {
        for &s in list {
            predecessors[s].push(p);
        }
    }
    let mut visited = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for root in 0..n {
        if visited[root] {
            continue;
        }
        visited[root] = true;
        let mut stack = vec![(root, 0usize)];
        while let Some((node, next)) = stack.pop() {
            if let Some(&s) = successors[node].get(next) {
                stack.push((node, next + 1));
                if !visited[s] {
                    visited[s] = true;
                    stack.push((s, 0));
                }
            } else {
                order.push(node);
            }
        }
    }
    let mut component_of = vec![usize::MAX; n];
    let mut components: Vec<Vec<usize>> = Vec::new();
    for &root in order.iter().rev() {
        if component_of[root] != usize::MAX {
            continue;
        }
        let c = components.len();
        component_of[root] = c;
        let mut members = vec![root];
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            for &p in &predecessors[node] {
                if component_of[p] == usize::MAX {
                    component_of[p] = c;
                    members.push(p);
                    stack.push(p);
                }
            }
        }
        members.sort_unstable();
        components.push(members);
    }
    components.sort_by_key(|c| c[0]);
    components
}

/// The shortest way from `start` back to itself inside one component, as a closed path.
fn shortest_cycle(start: usize, successors: &[Vec<usize>], members: &HashSet<usize>) -> Vec<usize> {
    let mut came_from: HashMap<usize, usize> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &s in &successors[node] {
            if !members.contains(&s) {
                continue;
            }
            if s == start {
                let mut path = vec![node];
                let mut at = node;
                while at != start {
                    at = came_from[&at];
                    path.push(at);
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = came_from.entry(s) {
                e.insert(node);
                queue.push_back(s);
            }
        }
    }
    vec![start, start]
}

/// What targets may refer to, and whether a missing name could be a false alarm.
struct Known {
    processes: BTreeSet<String>,
    roles: BTreeSet<String>,
    stages: BTreeSet<String>,
    items: BTreeSet<String>,
    playbooks_broken: bool,
    items_broken: bool,
}

impl Known {
    fn new(
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

fn resolve_items(
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
pub const DEFAULT_TASKS_PER_PLAYBOOK: u32 = 5_000;

/// How many of `on`'s weekdays fall between `from` and `until`, both included; counted, not
/// listed, so a cadence over two centuries costs nothing to check.
fn cadence_dates(from: Date, until: Date, on: &[Weekday]) -> u64 {
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

/// A playbook whose items and cadences expand past the limit is a typo far more often than a
/// plan (`until = 2207-01-28`); checked here, before anything is expanded or sent anywhere.
fn check_expansion(input: &Input<'_>, processes: &[Process], problems: &mut Problems) {
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
    struct Tally<'r> {
        total: u64,
        items: u64,
        /// The cadence that makes the most tasks: its place, id, dates and tasks.
        largest: Option<(&'r RawCadence, u64, u64)>,
    }
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
fn thousands(n: u64) -> String {
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

fn resolve_config(
    files: &Files,
    config: &RawConfig,
    base: &Path,
    known: &Known,
    problems: &mut Problems,
) -> (StateLocation, SyncSettings, Vec<Target>) {
    let state = match &config.state {
        None => StateLocation::Sqlite(base.join("throughline.db")),
        Some(s) if s.value.starts_with("postgres://") || s.value.starts_with("postgresql://") => {
            StateLocation::Url(s.value.clone())
        }
        Some(s) => {
            if let Some((scheme, _)) = s.value.split_once("://") {
                problems.at(
                    s,
                    format!(
                        "`{scheme}://` is not a supported state store; use a SQLite file name, like \"throughline.db\", or a postgres:// address"
                    ),
                );
            }
            StateLocation::Sqlite(resolve_path(base, &s.value))
        }
    };

    let mut targets = Vec::new();
    let mut target_ids: HashMap<&str, &At<String>> = HashMap::new();
    for raw in &config.targets {
        if let Some(id) = &raw.id {
            match target_ids.get(id.value.as_str()) {
                Some(first) => problems.at(
                    id,
                    format!(
                        "target id `{}` is already used at {}; give each target its own id",
                        id.value,
                        files.place_from(first, config.file)
                    ),
                ),
                None => {
                    target_ids.insert(&id.value, id);
                }
            }
        }
        if let Some(target) = resolve_target(files, raw, base, known, problems) {
            targets.push(target);
        }
    }

    let mut sync = resolve_sync(config, &target_ids, problems);
    (sync.daemon, sync.reminders) = super::service::resolve(&config.service, base, problems);
    (state, sync, targets)
}

fn resolve_path(base: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

fn resolve_sync(
    config: &RawConfig,
    target_ids: &HashMap<&str, &At<String>>,
    problems: &mut Problems,
) -> SyncSettings {
    let raw = &config.sync;
    let mut sync = SyncSettings::default();
    if let Some(every) = &raw.every {
        match parse_duration(&every.value) {
            Ok(d) => sync.every = Some(d),
            Err(message) => problems.at(every, message),
        }
    }
    if let Some(cron) = &raw.cron {
        if raw.every.is_some() {
            problems.at(cron, "use either `every` or `cron` in [sync], not both");
        }
        if let Err(message) = check_cron(&cron.value) {
            problems.at(cron, message);
        }
        sync.every = None;
        sync.cron = Some(cron.value.clone());
    }
    if let Some(conflict) = &raw.conflict {
        sync.conflict = match conflict.value.as_str() {
            "newest" => ConflictPolicy::Newest,
            "hub" => ConflictPolicy::Hub,
            other if target_ids.contains_key(other) => ConflictPolicy::Target(other.to_string()),
            other => {
                let mut choices = vec!["newest", "hub"];
                let mut ids: Vec<&str> = target_ids.keys().copied().collect();
                ids.sort_unstable();
                choices.extend(ids);
                let hint = match suggest(other, choices.iter().copied()) {
                    Some(near) => format!(" Did you mean `{near}`?"),
                    None => String::new(),
                };
                problems.at(
                    conflict,
                    format!(
                        "`conflict` must be \"newest\", \"hub\" or the id of a target ({}); `{other}` is none of these.{hint}",
                        choices[2..].join(", ")
                    ),
                );
                ConflictPolicy::Newest
            }
        };
    }
    if let Some(share) = &raw.max_archive_share {
        if (0.0..=1.0).contains(&share.value) {
            sync.max_archive_share = share.value;
        } else {
            problems.at(
                share,
                format!(
                    "`max_archive_share` must be between 0 and 1 (a share of a target's tasks, like 0.25 for a quarter); {} is outside",
                    share.value
                ),
            );
        }
    }
    if let Some(share) = &raw.max_recreate_share {
        if (0.0..=1.0).contains(&share.value) {
            sync.max_recreate_share = share.value;
        } else {
            problems.at(
                share,
                format!(
                    "`max_recreate_share` must be between 0 and 1 (a share of a target's tasks, like 0.25 for a quarter); {} is outside",
                    share.value
                ),
            );
        }
    }
    if let Some(share) = &raw.max_create_share {
        if share.value >= 0.0 {
            sync.max_create_share = share.value;
        } else {
            problems.at(
                share,
                format!(
                    "`max_create_share` must be 0 or more (new tasks as a share of a target's tasks, like 1.0 for as many again); {} is negative",
                    share.value
                ),
            );
        }
    }
    if let Some(n) = &raw.max_creates {
        sync.max_creates = n.value as usize;
    }
    sync
}

/// `90s`, `5m`, `1h`, `1h30m`, `2d`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "`{text}` is not a duration; write a number and a unit, like \"5m\", \"1h\" or \"90s\""
        )
    };
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut any = false;
    for ch in text.trim().chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
        any = true;
    }
    if !any || !digits.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err(format!(
            "`{text}` is no time at all; the cycle needs a length, like \"5m\""
        ));
    }
    Ok(Duration::from_secs(total))
}

/// Five fields: minute, hour, day of month, month, day of week; `*`, lists, ranges, steps, and
/// month and day names.
pub(crate) fn check_cron(text: &str) -> Result<(), String> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "`cron` must have 5 fields (minute hour day-of-month month day-of-week), like \"*/5 * * * *\"; `{text}` has {}",
            fields.len()
        ));
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let specs: [(&str, u32, u32, &[&str], u32); 5] = [
        ("minute", 0, 59, &[], 0),
        ("hour", 0, 23, &[], 0),
        ("day of month", 1, 31, &[], 0),
        ("month", 1, 12, &MONTHS, 1),
        ("day of week", 0, 7, &DAYS, 0),
    ];
    for (field, (name, min, max, names, first)) in fields.iter().zip(specs) {
        let value = |s: &str| -> Option<u32> {
            if let Ok(n) = s.parse::<u32>() {
                return (min..=max).contains(&n).then_some(n);
            }
            let lower = s.to_lowercase();
            names
                .iter()
                .position(|n| *n == lower)
                .map(|i| i as u32 + first)
        };
        let ok = field.split(',').all(|part| {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (part, None),
            };
            let step_ok = step.is_none_or(|s| s.parse::<u32>().is_ok_and(|s| s >= 1));
            let range_ok = range == "*"
                || match range.split_once('-') {
                    Some((a, b)) => matches!((value(a), value(b)), (Some(a), Some(b)) if a <= b),
                    None => value(range).is_some(),
                };
            step_ok && range_ok
        });
        if !ok {
            return Err(format!(
                "the {name} field `{field}` of `cron` is not valid; it takes *, numbers from {min} to {max}, ranges like 1-5, lists like 1,15 and steps like */5"
            ));
        }
    }
    Ok(())
}

/// Location keys per kind, with an example value, and the credential names each kind takes.
fn kind_keys(
    kind: TargetKind,
) -> (
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
) {
    match kind {
        TargetKind::Trello => (
            &[("board", "the board's id, like board = \"5f1a0c...\"")],
            // `secret`: the app's secret, which signs the webhooks Trello sends the daemon.
            &["key", "token", "secret"],
        ),
        TargetKind::Asana => (
            &[
                ("project", "the project's id, like project = \"1204...\""),
                (
                    "workspace",
                    "the workspace's id, like workspace = \"1200...\"",
                ),
            ],
            &["token", "oauth", "client_secret"],
        ),
        TargetKind::GoogleSheets => (
            &[(
                "spreadsheet",
                "the spreadsheet's id from its address, like spreadsheet = \"1BxiM...\"",
            )],
            &["service_account", "oauth", "token", "client_secret"],
        ),
        TargetKind::Excel => (
            &[("path", "the workbook file, like path = \"plan.xlsx\"")],
            &[],
        ),
    }
}

/// The settings a kind reads besides its location keys.
fn kind_options(kind: TargetKind) -> &'static [&'static str] {
    match kind {
        // `people`: hub person → the tool's account, where it cannot match by e-mail;
        // `unmapped`: what happens to the tasks of a person with no account there.
        TargetKind::Trello => &["people", "unmapped"],
        // `client_id`: the OAuth app (`throughline auth asana`); `plan`: "free" or "paid".
        TargetKind::Asana => &["people", "unmapped", "client_id", "plan"],
        TargetKind::GoogleSheets => &["client_id"],
        TargetKind::Excel => &[],
    }
}

const KINDS: [TargetKind; 4] = [
    TargetKind::Trello,
    TargetKind::Asana,
    TargetKind::GoogleSheets,
    TargetKind::Excel,
];

/// "unknown key `board`: it is a setting of a trello target; an excel target takes ...".
fn unknown_target_key(key: &str, kind: TargetKind, location: &[&str]) -> String {
    let takes: Vec<&str> = super::raw::TARGET_KEYS
        .iter()
        .chain(location)
        .chain(kind_options(kind))
        .copied()
        .collect();
    let kind_name = kind.as_str();
    let article = if kind == TargetKind::Excel || kind == TargetKind::Asana {
        "an"
    } else {
        "a"
    };
    let elsewhere: Vec<&str> = KINDS
        .iter()
        .filter(|k| {
            kind_keys(**k).0.iter().any(|(name, _)| *name == key)
                || kind_options(**k).contains(&key)
        })
        .map(|k| k.as_str())
        .collect();
    let owner = if elsewhere.is_empty() {
        String::new()
    } else {
        format!(" (it is a setting of {} targets)", elsewhere.join(" and "))
    };
    format!(
        "unknown key `{key}` for {article} {kind_name} target{owner}; remove it. This target takes: {}",
        takes.join(", ")
    )
}

fn parse_kind(text: &str) -> Option<TargetKind> {
    KINDS.into_iter().find(|k| k.as_str() == text)
}

fn resolve_target(
    files: &Files,
    raw: &RawTarget,
    base: &Path,
    known: &Known,
    problems: &mut Problems,
) -> Option<Target> {
    let kind = raw.kind.as_ref().and_then(|kind| {
        let parsed = parse_kind(&kind.value);
        if parsed.is_none() {
            let guess = match kind.value.to_lowercase().as_str() {
                k if k.contains("sheet") => Some("google-sheets"),
                "xlsx" | "xls" | "spreadsheet" => Some("excel"),
                k => suggest(k, ["trello", "asana", "google-sheets", "excel"]),
            };
            let hint = guess.map(|g| format!("; did you mean `{g}`?")).unwrap_or_else(|| ".".into());
            problems.at(
                kind,
                format!("unknown target kind `{}`{hint} Use \"trello\", \"asana\", \"google-sheets\" or \"excel\"", kind.value),
            );
        }
        parsed
    });

    let (location, credential_names) = kind.map(kind_keys).unwrap_or((&[], &[]));
    let kind_name = kind.map(TargetKind::as_str).unwrap_or("");
    for (key, hint) in location {
        match raw.settings.iter().find(|(k, _)| k.value == *key) {
            // A misspelt `bord` gets its own "did you mean `board`?" below.
            None if raw
                .settings
                .iter()
                .any(|(k, _)| suggest(&k.value, [*key]).is_some()) => {}
            None => problems.at(
                &raw.at,
                format!("this {kind_name} target has no `{key}`; add {hint}"),
            ),
            Some((_, value)) => match &value.value {
                toml::Value::String(s) if !s.trim().is_empty() => {}
                _ => problems.at(value, format!("`{key}` must be text in quotes: {hint}")),
            },
        }
    }
    let location_names: Vec<&str> = location.iter().map(|(k, _)| *k).collect();
    for (key, _) in &raw.settings {
        if location_names.contains(&key.value.as_str()) {
            continue;
        }
        if let Some(message) = misspelt_target_key(&key.value, &location_names) {
            problems.at(key, message);
        } else if let Some(kind) = kind {
            // A key the kind does not read would be ignored without a word.
            let options = kind_options(kind);
            if !options.contains(&key.value.as_str()) {
                problems.at(key, unknown_target_key(&key.value, kind, &location_names));
            }
        }
    }

    let mut credentials = BTreeMap::new();
    for (name, reference) in &raw.credentials {
        if kind.is_some() && !credential_names.contains(&name.value.as_str()) {
            let message = if credential_names.is_empty() {
                format!(
                    "an {kind_name} target takes no credentials; remove `{}`",
                    name.value
                )
            } else {
                let mut m = format!(
                    "unknown credential `{}` for a {kind_name} target",
                    name.value
                );
                match suggest(&name.value, credential_names.iter().copied()) {
                    Some(near) => m.push_str(&format!("; did you mean `{near}`?")),
                    None => m.push('.'),
                }
                m.push_str(&format!(" It takes: {}", credential_names.join(", ")));
                m
            };
            problems.at(name, message);
        }
        match parse_secret(&reference.value, base) {
            Ok(secret) => {
                credentials.insert(name.value.clone(), secret);
            }
            Err(message) => {
                problems.at(reference, format!("credential `{}`: {message}", name.value))
            }
        }
    }

    let mapping = raw.mapping.as_ref().map(|m| {
        let path = resolve_path(base, &m.value);
        if !path.is_file() {
            problems.at(
                m,
                format!(
                    "the mapping file `{}` does not exist (looked for {}); check the path, or remove `mapping` to use the default for this kind",
                    m.value,
                    path.display()
                ),
            );
        }
        path
    });

    if let Some(url) = &raw.base_url
        && !(url.value.starts_with("https://") || url.value.starts_with("http://"))
    {
        problems.at(
            url,
            format!(
                "`{}` is not a web address; `base_url` must start with https:// or http://",
                url.value
            ),
        );
    }

    let only = resolve_only(raw, known, problems);
    super::people::check(files, raw, problems);
    let settings: toml::Table = raw
        .settings
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect();
    Some(Target {
        id: raw.id.as_ref()?.value.clone(),
        kind: kind?,
        mapping,
        only,
        credentials,
        base_url: raw.base_url.as_ref().map(|u| u.value.clone()),
        settings,
        origin: files.place(&raw.at),
    })
}

/// `env:NAME` or `file:PATH`; anything else is a secret written into the file.
pub(crate) fn parse_secret(text: &str, base: &Path) -> Result<SecretRef, String> {
    if let Some(name) = text.strip_prefix("env:") {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return if valid {
            Ok(SecretRef::Env(name.to_string()))
        } else {
            Err(format!(
                "`env:` must be followed by an environment variable name (letters, digits and _), like \"env:TRELLO_TOKEN\"; `{name}` is not one"
            ))
        };
    }
    if let Some(path) = text.strip_prefix("file:") {
        return if path.trim().is_empty() {
            Err("`file:` must be followed by the path of the file that holds the secret, like \"file:secrets/trello-token\"".into())
        } else {
            Ok(SecretRef::File(resolve_path(base, path)))
        };
    }
    Err("this looks like a secret written into the file. Never write secrets here: put it in an environment variable and write \"env:NAME\", or in a file and write \"file:PATH\"".into())
}

fn resolve_only(raw: &RawTarget, known: &Known, problems: &mut Problems) -> TaskFilter {
    let mut check = |list: &[At<String>],
                     set: &BTreeSet<String>,
                     what: &str,
                     silent: bool|
     -> BTreeSet<String> {
        let names: Vec<&str> = set.iter().map(String::as_str).collect();
        for name in list {
            if !set.contains(&name.value) && !silent {
                problems.at(name, unknown(what, &name.value, &names, "this deployment"));
            }
        }
        list.iter().map(|n| n.value.clone()).collect()
    };
    TaskFilter {
        roles: check(
            &raw.only.roles,
            &known.roles,
            "role",
            known.playbooks_broken,
        ),
        stages: check(
            &raw.only.stages,
            &known.stages,
            "stage",
            known.playbooks_broken,
        ),
        processes: check(
            &raw.only.processes,
            &known.processes,
            "process",
            known.playbooks_broken,
        ),
        items: check(&raw.only.items, &known.items, "item", known.items_broken),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("5").unwrap_err().contains("like \"5m\""));
        assert!(parse_duration("five minutes").is_err());
        assert!(parse_duration("5 m").is_err());
        assert!(parse_duration("0s").unwrap_err().contains("no time at all"));
    }

    #[test]
    fn cron_expressions() {
        assert_eq!(check_cron("*/5 * * * *"), Ok(()));
        assert_eq!(check_cron("0 9 * * mon-fri"), Ok(()));
        assert_eq!(check_cron("0 9,17 1-15 jan,jul 0"), Ok(()));
        assert!(check_cron("* * * *").unwrap_err().contains("has 4"));
        assert!(
            check_cron("60 * * * *")
                .unwrap_err()
                .contains("minute field `60`")
        );
        assert!(
            check_cron("* * * * 5-1")
                .unwrap_err()
                .contains("day of week")
        );
        assert!(check_cron("*/0 * * * *").is_err());
    }

    #[test]
    fn secrets_are_references() {
        let base = Path::new("deploy");
        assert_eq!(
            parse_secret("env:TRELLO_KEY", base),
            Ok(SecretRef::Env("TRELLO_KEY".into()))
        );
        assert_eq!(
            parse_secret("file:keys/sa.json", base),
            Ok(SecretRef::File("deploy/keys/sa.json".into()))
        );
        assert!(
            parse_secret("0123456789abcdef", base)
                .unwrap_err()
                .contains("env:NAME")
        );
        assert!(parse_secret("env:", base).is_err());
        assert!(parse_secret("env:MY-KEY", base).is_err());
    }

    #[test]
    fn cadence_dates_are_counted_without_listing_them() {
        let d = |y, m, day| Date::new(y, m, day).unwrap();
        // December 2026: Tuesdays 1, 8, 15, 22, 29.
        assert_eq!(
            cadence_dates(d(2026, 12, 1), d(2026, 12, 31), &[Weekday::Tuesday]),
            5
        );
        assert_eq!(
            cadence_dates(d(2026, 12, 2), d(2026, 12, 28), &[Weekday::Tuesday]),
            3
        );
        assert_eq!(
            cadence_dates(d(2026, 12, 1), d(2026, 12, 1), &[Weekday::Tuesday]),
            1
        );
        assert_eq!(
            cadence_dates(d(2026, 12, 2), d(2026, 12, 1), &[Weekday::Tuesday]),
            0
        );
        let all = [
            Weekday::Sunday,
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
        ];
        assert_eq!(cadence_dates(d(1990, 1, 1), d(2200, 12, 31), &all), 77_066);
        assert_eq!(thousands(131_624), "131,624");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn circles_are_found_once_per_group() {
        // 0 → 1 → 2 → 0, 3 alone, 4 → 4.
        let successors = vec![vec![1], vec![2], vec![0, 3], vec![], vec![4]];
        let components = strongly_connected(&successors);
        assert_eq!(components, vec![vec![0, 1, 2], vec![3], vec![4]]);
        let members = [0, 1, 2].into_iter().collect();
        assert_eq!(shortest_cycle(0, &successors, &members), vec![0, 1, 2, 0]);
    }
}
