//! From a deployment's `[[target]]` tables to connectors the engine can drive: read each
//! target's mapping (the engine keeps `[task]` and `[drift]`, the connector gets the rest),
//! build the tasks it should hold, and open the connector its kind calls for. Nothing here
//! knows a kind: each is asked through its [`TargetKind`] (see [`super::registry`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use throughline_connector::Connector;
use throughline_connector::mapping::{KeyError, every_problem};
use throughline_connector::settings::{SettingsError, Span, TargetSettings};

use super::TargetRun;
use super::desired::desired_tasks;
use super::mapping::TaskMapping;
use super::people::TargetPeople;
use crate::model::{Deployment, Target, TargetKind};
use crate::schedule::Schedule;

/// Why a target could not be set up; names the target and the file.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{origin}: target `{target}`: {message}")]
    Target {
        target: String,
        origin: String,
        message: String,
    },
    /// What the kind's connector found wrong with the target's settings.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("{file}:{line}:{col}: {message}")]
    MappingSyntax {
        file: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error(transparent)]
    Mapping(#[from] super::mapping::MappingError),
}

/// The mapping each kind uses when a target names none: the documented file in `mappings/`.
fn default_mapping(kind: TargetKind) -> (&'static str, &'static str) {
    kind.tool()
        .default_mapping
        .unwrap_or(("(no default mapping)", ""))
}

/// A target's mapping table: its own file, or the kind's default.
fn read_mapping(
    kind: TargetKind,
    path: Option<&Path>,
) -> Result<(toml::Table, PathBuf), SetupError> {
    let Some(path) = path else {
        let (name, text) = default_mapping(kind);
        let table = text
            .parse()
            .expect("the shipped default mappings are valid TOML");
        return Ok((table, PathBuf::from(name)));
    };
    let text = std::fs::read_to_string(path).map_err(|e| SetupError::MappingSyntax {
        file: path.display().to_string(),
        line: 1,
        col: 1,
        message: format!("cannot read the mapping file: {e}"),
    })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let src = crate::model::Source::new(path, text.clone());
        let (line, col) = e.span().map(|s| src.line_col(s.start)).unwrap_or((1, 1));
        SetupError::MappingSyntax {
            file: path.display().to_string(),
            line,
            col,
            message: e.message().to_string(),
        }
    })?;
    Ok((table, path.to_path_buf()))
}

/// Every problem in a target's mapping table, each with the dotted key it is about: the
/// engine's `[task]` and `[drift]`, then the connector's part. `validate` puts each at its
/// place in the file, so that nothing is opened or written while a mapping is wrong.
pub fn mapping_problems(kind: TargetKind, table: &toml::Table) -> Vec<KeyError> {
    let mut problems = TaskMapping::problems(table);
    let mut rest = table.clone();
    for key in ["task", "drift"] {
        rest.remove(key);
    }
    problems.extend(every_problem(&rest, kind.tool().check_mapping));
    problems
}

/// The folder-relative path of a target's file setting (`path = "plan.xlsx"`).
pub fn target_path(dep: &Deployment, target: &Target, key: &str) -> Option<PathBuf> {
    let value = target.settings.get(key)?.as_str()?;
    Some(dep.root.join(value))
}

pub fn setting(target: &Target, key: &str) -> Option<String> {
    target.settings.get(key)?.as_str().map(str::to_string)
}

/// A credential named in the target's `credentials`, read now from the environment or a file.
pub fn secret(
    target: &Target,
    key: &str,
) -> Result<throughline_connector::http::Secret, SetupError> {
    throughline_connector::settings::secret(&target.credentials, key).map_err(|m| fail(target, m))
}

/// Where `throughline auth` stored the target's sign-in: `credentials = { oauth = "file:PATH" }`.
pub fn token_file(target: &Target) -> Result<PathBuf, SetupError> {
    throughline_connector::settings::token_file(&target.credentials).map_err(|m| fail(target, m))
}

fn fail(target: &Target, message: String) -> SetupError {
    SetupError::Target {
        target: target.id.clone(),
        origin: target.origin.clone(),
        message,
    }
}

/// What the target's connector is opened with: its settings, credentials and folder, the
/// process time zone, and `people` (hub person → account).
pub fn target_settings(
    dep: &Deployment,
    target: &Target,
    people: BTreeMap<String, String>,
) -> TargetSettings {
    TargetSettings {
        id: target.id.clone(),
        at: Span::parse(&target.origin),
        settings: target.settings.clone(),
        credentials: target.credentials.clone(),
        base_url: target.base_url.clone(),
        root: dep.root.clone(),
        timezone: timezone_of(dep, target),
        people,
    }
}

/// The time zone a target's dates are written in: that of the first process it shows.
fn timezone_of(dep: &Deployment, target: &Target) -> jiff::tz::TimeZone {
    dep.processes
        .iter()
        .find(|p| target.only.processes.is_empty() || target.only.processes.contains(&p.id))
        .map(|p| p.timezone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

/// `people = { "dana@example.com" = "dana_levi" }` in the target: hub person → account in the tool.
fn people(target: &Target) -> std::collections::BTreeMap<String, String> {
    target
        .settings
        .get("people")
        .and_then(|v| v.as_table())
        .map(|t| {
            t.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A connector, and how its target names people.
struct Opened {
    connector: Box<dyn Connector>,
    people: TargetPeople,
}

fn open_connector(
    dep: &Deployment,
    target: &Target,
    mapping: toml::Table,
) -> Result<Opened, SetupError> {
    let tool = target.kind.tool();
    let mut known = people(target);
    if tool.spec.accounts.by_map_only {
        let mut from_mapping = (tool.mapping_people)(&mapping);
        // The tool knows whoever the mapping's [people] or the target's `people` names.
        from_mapping.append(&mut known);
        known = from_mapping;
        if let Some((first, second, account)) = super::people::shared_account(&known) {
            return Err(fail(
                target,
                format!(
                    "`{first}` and `{second}` both go to the {} account `{account}` (between \
                     the mapping's [people] and the target's `people`); the board would show \
                     every task of theirs as one person's. Give each their own account, or drop \
                     one and set unmapped = \"{account}\"",
                    tool.spec.tool
                ),
            ));
        }
    }
    let (rule, extra) = TargetPeople::new(target, &known);
    // The connector gets the target's own map (it reads its mapping's itself), and the
    // account `unmapped` names when that account names itself.
    let mut people = people(target);
    people.extend(extra);
    let settings = target_settings(dep, target, people);
    Ok(Opened {
        connector: (tool.connect)(&settings, &mapping)?,
        people: rule,
    })
}

/// Everything the engine needs for every target of the deployment. Who has no account in a
/// target is known once that target is read: [`super::run_cycle`] applies each target's
/// `unmapped` then and lists those people in [`super::CycleReport::unmapped`].
pub fn open_targets(dep: &Deployment, schedule: &Schedule) -> Result<Vec<TargetRun>, SetupError> {
    dep.targets
        .iter()
        .map(|target| {
            let (mut table, file) = read_mapping(target.kind, target.mapping.as_deref())?;
            let mut own = toml::Table::new();
            for key in ["task", "drift"] {
                if let Some(v) = table.remove(key) {
                    own.insert(key.to_string(), v);
                }
            }
            let mapping = TaskMapping::from_table(&own, &file)?;
            let opened = open_connector(dep, target, table)?;
            Ok(TargetRun {
                id: target.id.clone(),
                connector: opened.connector,
                desired: desired_tasks(dep, schedule, &target.only, &mapping),
                drift: mapping.drift,
                people: Some(opened.people),
            })
        })
        .collect()
}
