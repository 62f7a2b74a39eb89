//! A `[[target]]` table: its kind, the keys and credentials that kind takes (as its connector
//! crate describes them, through the registry of kinds), its mapping, address and filter.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::super::fields::{At, Files, Problems, suggest};
use super::super::raw::{RawTarget, TARGET_KEYS, misspelt_target_key};
use super::super::{SecretRef, Target, TargetKind, TaskFilter};
use super::config::{parse_secret, resolve_path};
use super::{Known, unknown};

pub(super) fn resolve_target(
    files: &Files,
    raw: &RawTarget,
    base: &Path,
    known: &Known,
    problems: &mut Problems,
) -> Option<Target> {
    let kind = resolve_kind(raw, problems);
    check_location(raw, kind, problems);
    check_keys(raw, kind, problems);
    if let Some(kind) = kind {
        check_kind_settings(raw, kind, problems);
    }
    let credentials = resolve_credentials(raw, kind, base, problems);
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
    super::super::people::check(files, raw, problems);
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

/// `kind = "..."`: one of the registry's, or an error that guesses which was meant.
fn resolve_kind(raw: &RawTarget, problems: &mut Problems) -> Option<TargetKind> {
    let kind = raw.kind.as_ref()?;
    let parsed = TargetKind::parse(&kind.value);
    if parsed.is_none() {
        let hint = TargetKind::guess(&kind.value)
            .map(|g| format!("; did you mean `{g}`?"))
            .unwrap_or_else(|| ".".into());
        problems.at(
            kind,
            format!(
                "unknown target kind `{}`{hint} Use {}",
                kind.value,
                TargetKind::names_in_words()
            ),
        );
    }
    parsed
}

/// Each location key of the kind is there, as text.
fn check_location(raw: &RawTarget, kind: Option<TargetKind>, problems: &mut Problems) {
    let Some(kind) = kind else { return };
    for location in kind.spec().location {
        let (key, hint) = (location.key, location.hint);
        match raw.settings.iter().find(|(k, _)| k.value == key) {
            // A misspelt `bord` gets its own "did you mean `board`?" below.
            None if raw
                .settings
                .iter()
                .any(|(k, _)| suggest(&k.value, [key]).is_some()) => {}
            None => problems.at(
                &raw.at,
                format!("this {kind} target has no `{key}`; add {hint}"),
            ),
            Some((_, value)) => match &value.value {
                toml::Value::String(s) if !s.trim().is_empty() => {}
                _ => problems.at(value, format!("`{key}` must be text in quotes: {hint}")),
            },
        }
    }
}

/// Every other key is one the kind reads: a key it does not would be ignored without a word.
fn check_keys(raw: &RawTarget, kind: Option<TargetKind>, problems: &mut Problems) {
    let location: Vec<&str> = kind
        .map(|k| k.spec().location.iter().map(|l| l.key).collect())
        .unwrap_or_default();
    for (key, _) in &raw.settings {
        if location.contains(&key.value.as_str()) {
            continue;
        }
        if let Some(message) = misspelt_target_key(&key.value, &location) {
            problems.at(key, message);
        } else if let Some(kind) = kind
            && !kind.spec().options.contains(&key.value.as_str())
        {
            problems.at(key, unknown_target_key(&key.value, kind, &location));
        }
    }
}

/// "unknown key `board` for an excel target (it is a setting of trello targets); remove it.
/// This target takes: ...".
fn unknown_target_key(key: &str, kind: TargetKind, location: &[&str]) -> String {
    let takes: Vec<&str> = TARGET_KEYS
        .iter()
        .chain(location)
        .chain(kind.spec().options)
        .copied()
        .collect();
    let elsewhere: Vec<&str> = TargetKind::all()
        .filter(|k| k.spec().reads(key))
        .map(TargetKind::as_str)
        .collect();
    let owner = if elsewhere.is_empty() {
        String::new()
    } else {
        format!(" (it is a setting of {} targets)", elsewhere.join(" and "))
    };
    format!(
        "unknown key `{key}` for {} {kind} target{owner}; remove it. This target takes: {}",
        kind.spec().article(),
        takes.join(", ")
    )
}

/// The kind's own checks of its settings (Asana's `plan`), each at the key it names.
fn check_kind_settings(raw: &RawTarget, kind: TargetKind, problems: &mut Problems) {
    let table: toml::Table = raw
        .settings
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect();
    for problem in (kind.spec().check)(&table) {
        let top = problem.key.split('.').next().unwrap_or_default();
        match raw.settings.iter().find(|(k, _)| k.value == top) {
            Some((key, _)) if problem.unknown => problems.at(key, problem.message),
            Some((_, value)) => problems.at(value, problem.message),
            None => problems.at(&raw.at, problem.message),
        }
    }
}

/// `credentials = { name = "env:NAME" }`: names the kind takes, each a reference.
fn resolve_credentials(
    raw: &RawTarget,
    kind: Option<TargetKind>,
    base: &Path,
    problems: &mut Problems,
) -> BTreeMap<String, SecretRef> {
    let mut credentials = BTreeMap::new();
    for (name, reference) in &raw.credentials {
        if let Some(kind) = kind
            && !kind.spec().credentials.contains(&name.value.as_str())
        {
            problems.at(name, unknown_credential(&name.value, kind));
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
    credentials
}

fn unknown_credential(name: &str, kind: TargetKind) -> String {
    let names = kind.spec().credentials;
    if names.is_empty() {
        return format!(
            "{} {kind} target takes no credentials; remove `{name}`",
            kind.spec().article()
        );
    }
    let mut m = format!("unknown credential `{name}` for a {kind} target");
    match suggest(name, names.iter().copied()) {
        Some(near) => m.push_str(&format!("; did you mean `{near}`?")),
        None => m.push('.'),
    }
    m.push_str(&format!(" It takes: {}", names.join(", ")));
    m
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
