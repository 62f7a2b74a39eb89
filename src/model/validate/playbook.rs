//! A playbook: its time zone, work week, roles, stages and checklists, and the stages that
//! wait for each other in a circle.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Weekday;
use jiff::tz::TimeZone;

use super::super::fields::{At, Files, Problems, suggest};
use super::super::raw::{RawPlaybook, RawProcess, RawRole, RawStage};
use super::super::{Away, ChecklistEntry, Process, Role, Stage, slug};
use super::unknown;

pub(super) fn resolve_playbook(
    files: &Files,
    playbook: &RawPlaybook,
    problems: &mut Problems,
) -> Process {
    let file = playbook.file;
    let source = files.get(file);
    let header = playbook.process.as_ref();
    let id = header
        .and_then(|p| p.id.as_ref())
        .map(|i| i.value.clone())
        .unwrap_or_default();

    let (timezone_name, timezone) = resolve_timezone(header, problems);

    let workweek = resolve_workweek(header, problems);
    let roles = resolve_roles(playbook, problems);
    let stages = resolve_stages(files, playbook, &roles, problems);
    check_day_counts(playbook, workweek.len(), problems);
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

/// The playbook's `timezone`: its IANA name and the zone (UTC when not written).
fn resolve_timezone(header: Option<&RawProcess>, problems: &mut Problems) -> (String, TimeZone) {
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
    (timezone_name, timezone)
}

/// `workweek`, each day once; Monday to Friday when not written.
fn resolve_workweek(header: Option<&RawProcess>, problems: &mut Problems) -> Vec<Weekday> {
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
    workweek
}

/// `days` and `after_golive` of at most a year of business days (`workdays` a week).
fn check_day_counts(playbook: &RawPlaybook, workdays: usize, problems: &mut Problems) {
    // More than a year of business days is a typo (`days = 1000000`), and would push dates
    // past what any tool holds.
    let year_of_days = (workdays as u32 * 365).div_ceil(7);
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
}

fn resolve_roles(playbook: &RawPlaybook, problems: &mut Problems) -> Vec<Role> {
    let mut roles = Vec::new();
    for raw in &playbook.roles {
        let (people, names) = role_people(raw, problems);
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
        let away = role_away(raw, &people, problems);
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
            names,
        });
    }
    roles
}

/// A role's `people`, each once and none empty; a person written `"Name <address>"` is the
/// address, the name kept apart (address → name).
fn role_people(raw: &RawRole, problems: &mut Problems) -> (Vec<String>, BTreeMap<String, String>) {
    let mut people: Vec<String> = Vec::new();
    // A role may list thousands (an imported tracker's owners): no search of the list per person.
    let mut seen: HashSet<String> = HashSet::new();
    let mut names = BTreeMap::new();
    if let Some(list) = &raw.people {
        for written in &list.value {
            let (name, address) = match crate::model::people::name_addr(&written.value) {
                Ok(parts) => parts,
                Err(problem) => {
                    problems.at(written, problem);
                    continue;
                }
            };
            let person = &written.with(address);
            if let Some(name) = name {
                names.insert(person.value.clone(), name);
            }
            if person.value.trim().is_empty() {
                problems.at(
                    person,
                    "this person is empty; write their e-mail address, or remove the entry",
                );
            } else if !seen.insert(person.value.clone()) {
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
    (people, names)
}

/// A role's `away` periods: each for one of its people, ending after it starts.
fn role_away(raw: &RawRole, people: &[String], problems: &mut Problems) -> Vec<Away> {
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
    away
}

fn resolve_stages(
    files: &Files,
    playbook: &RawPlaybook,
    roles: &[Role],
    problems: &mut Problems,
) -> Vec<Stage> {
    let role_ids: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();

    check_stage_ids(files, playbook, problems);
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
            check_role(owner, &role_ids, problems);
        }
        let after = stage_after(playbook, index, &stage_ids, all_ids_known, problems);
        let id = raw.id.as_ref().map(|i| i.value.clone()).unwrap_or_default();
        let checklist = stage_checklist(files, playbook, raw, &role_ids, problems);

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

fn check_role(role: &At<String>, role_ids: &[&str], problems: &mut Problems) {
    if !role_ids.contains(&role.value.as_str()) {
        problems.at(
            role,
            unknown("role", &role.value, role_ids, "this playbook"),
        );
    }
}

/// Each stage id once in the playbook.
fn check_stage_ids(files: &Files, playbook: &RawPlaybook, problems: &mut Problems) {
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
}

/// The stages the stage at `index` waits for: its `after`, or the stage before it.
fn stage_after(
    playbook: &RawPlaybook,
    index: usize,
    stage_ids: &[&str],
    all_ids_known: bool,
    problems: &mut Problems,
) -> Vec<String> {
    let raw = &playbook.stages[index];
    match &raw.after {
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
                            unknown("stage", &name.value, stage_ids, "this playbook"),
                        );
                    }
                } else if !after.contains(&name.value) {
                    after.push(name.value.clone());
                }
            }
            after
        }
    }
}

/// A stage's checklist: each entry with its key (its `id`, or its text made a slug), once.
fn stage_checklist(
    files: &Files,
    playbook: &RawPlaybook,
    raw: &RawStage,
    role_ids: &[&str],
    problems: &mut Problems,
) -> Vec<ChecklistEntry> {
    let id = raw.id.as_ref().map_or("", |i| i.value.as_str());
    let mut checklist: Vec<ChecklistEntry> = Vec::new();
    let mut keys: HashMap<String, (At<()>, bool)> = HashMap::new();
    for entry in &raw.checklist {
        let Some(text) = &entry.text else { continue };
        let (key, explicit) = match &entry.id {
            Some(id) => (id.value.clone(), true),
            None => (slug(&text.value), false),
        };
        if let Some(role) = &entry.role {
            check_role(role, role_ids, problems);
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
    checklist
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
pub(super) fn strongly_connected(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
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
pub(super) fn shortest_cycle(
    start: usize,
    successors: &[Vec<usize>],
    members: &HashSet<usize>,
) -> Vec<usize> {
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
