//! The deployment's own settings: the state store, `[sync]` (its cycle, conflict policy and
//! safety shares), the targets, and the forms values take (durations, cron lines, secrets).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::super::fields::{At, Files, Problems, suggest};
use super::super::raw::RawConfig;
use super::super::{ConflictPolicy, SecretRef, StateLocation, SyncSettings, Target};
use super::Known;
use super::target::resolve_target;

pub(super) fn resolve_config(
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
        // A PostgreSQL address kept like a secret (it may hold a password): read when opened.
        Some(s) if s.value.starts_with("env:") => StateLocation::Url(s.value.clone()),
        Some(s) if s.value.starts_with("file:") => StateLocation::Url(format!(
            "file:{}",
            resolve_path(base, &s.value["file:".len()..]).display()
        )),
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
    (sync.daemon, sync.reminders) = super::super::service::resolve(&config.service, base, problems);
    let can_mail = sync.reminders.as_ref().is_some_and(|r| r.email.is_some());
    sync.review =
        super::super::review::resolve(config.service.review.as_ref(), base, can_mail, problems);
    sync.dashboard =
        super::super::dashboard::resolve(config.service.dashboard.as_ref(), base, problems);
    (state, sync, targets)
}

pub(super) fn resolve_path(base: &Path, path: &str) -> PathBuf {
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
        sync.conflict = resolve_conflict(conflict, target_ids, problems);
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

/// `conflict = "newest"`, `"hub"` or a target id.
fn resolve_conflict(
    conflict: &At<String>,
    target_ids: &HashMap<&str, &At<String>>,
    problems: &mut Problems,
) -> ConflictPolicy {
    match conflict.value.as_str() {
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
    }
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

/// A `[sync] cron` line, read by the daemon's parser ([`crate::daemon::cron`]): one grammar for
/// validation and for running.
pub(crate) fn check_cron(text: &str) -> Result<(), String> {
    text.parse::<crate::daemon::cron::Cron>()
        .map(|_| ())
        .map_err(|e| e.to_string())
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
