//! The processes an import writes: their settings (time zone and work week from the sheet's
//! language or the mapping file) and, for items whose process no playbook defines yet, a
//! starter playbook with one stage, so that the result is a deployment that loads.

use std::collections::BTreeMap;

use super::items::{self, KnownProcess};
use super::mapfile::Mapping;
use super::playbook::{self, PlaybookOut, ProcessSettings, RoleOut, StageOut};
use super::report::Report;
use crate::model::Lang;

/// One note for the time zone and week of every process a tracker import writes.
pub fn timezone_note(map: &Mapping, lang: Lang, processes: usize) -> String {
    let tz = map
        .timezone
        .clone()
        .unwrap_or_else(|| default_timezone(lang));
    format!(
        "{} use{} the time zone {tz} and a {} week{}",
        if processes == 1 {
            "the process".to_string()
        } else {
            format!("the {processes} processes")
        },
        if processes == 1 { "s" } else { "" },
        if lang == Lang::He {
            "Sunday–Thursday"
        } else {
            "Monday–Friday"
        },
        if map.timezone.is_none() {
            "; set timezone in a mapping file to change it"
        } else {
            ""
        }
    )
}

fn default_timezone(lang: Lang) -> String {
    if lang == Lang::He {
        return "Asia/Jerusalem".into();
    }
    jiff::tz::TimeZone::system()
        .iana_name()
        .map(str::to_string)
        .unwrap_or_else(|| "UTC".into())
}

/// `[process]` of a playbook the import writes; a time zone the import chose is said in `notes`.
pub fn process_settings(
    id: String,
    name: String,
    map: &Mapping,
    lang: Lang,
    notes: &mut Vec<String>,
) -> ProcessSettings {
    let timezone = map.timezone.clone().unwrap_or_else(|| {
        let tz = default_timezone(lang);
        notes.push(format!(
            "the process \"{id}\" uses the time zone {tz}{}; set timezone in a mapping file to change it",
            if lang == Lang::He { " and a Sunday–Thursday week" } else { " and a Monday–Friday week" }
        ));
        tz
    });
    let workweek = match lang {
        Lang::He => vec!["sun", "mon", "tue", "wed", "thu"],
        Lang::En => vec!["mon", "tue", "wed", "thu", "fri"],
    };
    ProcessSettings {
        id,
        name,
        timezone,
        workweek,
        lang,
    }
}

/// A one-stage playbook for each process the items name that no playbook defines yet, with
/// the roles and people the items use, so the result is a deployment that loads.
pub fn starters(
    built: &items::Items,
    known: &[KnownProcess],
    map: &Mapping,
    lang: Lang,
    report: &mut Report,
) -> Vec<PlaybookOut> {
    let mut people: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    // Seen (process, role, person): a sheet may name a different person on every row.
    let mut seen: std::collections::HashSet<(&str, &str, &str)> = Default::default();
    for item in &built.items {
        if known.iter().any(|k| k.id == item.process) {
            continue;
        }
        if !people.contains_key(item.process.as_str()) {
            order.push(&item.process);
        }
        let roles = people.entry(&item.process).or_default();
        for (role, person) in &item.people {
            let list = roles.entry(role).or_default();
            if seen.insert((&item.process, role, person)) {
                list.push(person);
            }
        }
    }
    let mut out = Vec::new();
    for process in order {
        let mut roles: Vec<RoleOut> = people[process]
            .iter()
            .map(|(role, list)| RoleOut {
                id: role.to_string(),
                name: role_name(role, lang),
                people: list.iter().map(|p| p.to_string()).collect(),
            })
            .collect();
        let owner = built
            .owner_role
            .clone()
            .filter(|r| roles.iter().any(|x| x.id == *r))
            .unwrap_or_else(|| {
                roles
                    .first()
                    .map(|r| r.id.clone())
                    .unwrap_or_else(|| "owner".into())
            });
        if roles.is_empty() {
            roles.push(RoleOut {
                id: owner.clone(),
                name: role_name(&owner, lang),
                people: Vec::new(),
            });
            report
                .notes
                .push(playbook::placeholder_note(&[owner.as_str()]));
        }
        let name = if map.process.as_deref() == Some(process) {
            map.process_name.clone()
        } else {
            None
        }
        .unwrap_or_else(|| capitalise(process));
        let settings = process_settings(process.to_string(), name, map, lang, &mut report.notes);
        report.notes.push(format!(
            "no playbook defines the process \"{process}\" yet, so playbooks/{process}.toml is a starter with one \
             stage, \"publish\", on the go-live date. Replace it with your real process, or import your checklist \
             with --as playbook --force"
        ));
        out.push(PlaybookOut {
            process: settings,
            roles,
            stages: vec![StageOut {
                id: "publish".into(),
                name: if lang == Lang::He { "פרסום".into() } else { "Publish".into() },
                owner,
                days: 0,
                checklist: Vec::new(),
                after: None,
                after_golive: None,
            }],
            comment: vec![
                "A starter playbook written by `throughline import` because the imported items use this".into(),
                "process and no playbook defined it. Replace the stage with your real process.".into(),
            ],
        });
    }
    out
}

fn role_name(id: &str, lang: Lang) -> String {
    match (id, lang) {
        ("owner", Lang::He) => "אחראי".into(),
        _ => capitalise(id),
    }
}

fn capitalise(id: &str) -> String {
    let words = id.replace(['-', '_'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
