//! From a deployment's `[[target]]` tables to connectors the engine can drive: read each
//! target's mapping (the engine keeps `[task]` and `[drift]`, the connector gets the rest),
//! build the tasks it should hold, and open the connector its kind calls for.

use std::path::{Path, PathBuf};

use throughline_connector::Connector;
use throughline_connector::mapping::{KeyError, every_problem};

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
    match kind {
        TargetKind::Excel => (
            "mappings/excel.toml",
            include_str!("../../mappings/excel.toml"),
        ),
        TargetKind::Trello | TargetKind::Asana | TargetKind::GoogleSheets => {
            ("(no default mapping)", "")
        }
    }
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
    problems.extend(every_problem(&rest, |t| match kind {
        TargetKind::Excel => throughline_excel::ExcelMapping::from_toml(t).map(|_| ()),
        TargetKind::Trello => throughline_trello::TrelloMapping::from_toml(t).map(|_| ()),
        TargetKind::Asana => throughline_asana::AsanaMapping::from_toml(t).map(|_| ()),
        TargetKind::GoogleSheets => throughline_sheets::SheetsMapping::from_toml(t).map(|_| ()),
    }));
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
    let fail = |message: String| SetupError::Target {
        target: target.id.clone(),
        origin: target.origin.clone(),
        message,
    };
    let reference = target
        .credentials
        .get(key)
        .ok_or_else(|| fail(format!("needs `credentials = {{ {key} = \"env:NAME\" }}`")))?;
    let value = reference
        .resolve()
        .map_err(|e| fail(format!("credential `{key}` ({reference}): {e}")))?;
    Ok(throughline_connector::http::Secret::new(value))
}

/// Where `throughline auth` stored the target's sign-in: `credentials = { oauth = "file:PATH" }`.
pub fn token_file(target: &Target) -> Result<PathBuf, SetupError> {
    match target.credentials.get("oauth") {
        Some(crate::model::SecretRef::File(path)) => Ok(path.clone()),
        _ => Err(SetupError::Target {
            target: target.id.clone(),
            origin: target.origin.clone(),
            message: "`oauth` must name the file `throughline auth` writes, like oauth = \"file:asana-token.json\"".into(),
        }),
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
    let mut known = people(target);
    if target.kind == TargetKind::Trello
        && let Ok(m) = throughline_trello::TrelloMapping::from_toml(&mapping)
    {
        // The board knows whoever the mapping's [people] or the target's `people` names.
        let mut all = m.people;
        all.append(&mut known);
        known = all;
        if let Some((first, second, account)) = super::people::shared_account(&known) {
            return Err(SetupError::Target {
                target: target.id.clone(),
                origin: target.origin.clone(),
                message: format!(
                    "`{first}` and `{second}` both go to the Trello account `{account}` (between \
                     the mapping's [people] and the target's `people`); the board would show \
                     every task of theirs as one person's. Give each their own account, or drop \
                     one and set unmapped = \"{account}\""
                ),
            });
        }
    }
    let (rule, extra) = TargetPeople::new(target, &known);
    Ok(Opened {
        connector: open_kind(dep, target, mapping, extra)?,
        people: rule,
    })
}

/// `extra`: one more entry for the connector's people map (an account that names itself).
fn open_kind(
    dep: &Deployment,
    target: &Target,
    mapping: toml::Table,
    extra: Option<(String, String)>,
) -> Result<Box<dyn Connector>, SetupError> {
    let fail = |message: String| SetupError::Target {
        target: target.id.clone(),
        origin: target.origin.clone(),
        message,
    };
    match target.kind {
        TargetKind::Excel => {
            let path = target_path(dep, target, "path")
                .ok_or_else(|| fail("needs `path = \"plan.xlsx\"`, the workbook to keep".into()))?;
            let mapping = if mapping.is_empty() {
                throughline_excel::ExcelMapping::default()
            } else {
                throughline_excel::ExcelMapping::from_toml(&mapping)
                    .map_err(|e| fail(e.to_string()))?
            };
            Ok(Box::new(throughline_excel::ExcelConnector::new(
                target.id.clone(),
                path,
                mapping,
            )))
        }
        TargetKind::Trello => {
            let board = setting(target, "board")
                .ok_or_else(|| fail("needs `board = \"<board id>\"`".into()))?;
            let mut settings = throughline_trello::TrelloSettings::new(
                &target.id,
                &board,
                secret(target, "key")?,
                secret(target, "token")?,
            );
            if let Some(url) = &target.base_url {
                settings.base_url = url.trim_end_matches('/').to_string();
            }
            settings.mapping = throughline_trello::TrelloMapping::from_toml(&mapping)
                .map_err(|e| fail(e.to_string()))?;
            settings.timezone = timezone_of(dep, target);
            settings.people = people(target);
            settings.people.extend(extra);
            Ok(Box::new(
                throughline_trello::TrelloConnector::new(settings)
                    .map_err(|e| fail(e.to_string()))?,
            ))
        }
        TargetKind::Asana => {
            use throughline_asana::{
                AsanaAuth, AsanaLimits, AsanaPlan, AsanaSettings, OAuthSettings,
            };
            let project = setting(target, "project")
                .ok_or_else(|| fail("needs `project = \"<project gid>\"`".into()))?;
            let workspace = setting(target, "workspace")
                .ok_or_else(|| fail("needs `workspace = \"<workspace gid>\"`".into()))?;
            let auth = if target.credentials.contains_key("oauth") {
                AsanaAuth::OAuth(OAuthSettings {
                    client_id: setting(target, "client_id").ok_or_else(|| {
                        fail(
                            "signs in with `oauth`, so it needs `client_id = \"<the app's id>\"`"
                                .into(),
                        )
                    })?,
                    client_secret: secret(target, "client_secret")?,
                    token_file: token_file(target)?,
                    token_url: None,
                })
            } else {
                AsanaAuth::Token(secret(target, "token")?)
            };
            let mut settings = AsanaSettings::new(&target.id, project, workspace, auth);
            if let Some(url) = &target.base_url {
                settings.base_url = url.trim_end_matches('/').to_string();
            }
            settings.mapping = throughline_asana::AsanaMapping::from_toml(&mapping)
                .map_err(|e| fail(e.to_string()))?;
            settings.timezone = timezone_of(dep, target);
            settings.people = people(target);
            settings.limits = AsanaLimits::for_plan(match setting(target, "plan").as_deref() {
                None | Some("free") => AsanaPlan::Free,
                Some("paid") => AsanaPlan::Paid,
                Some(other) => {
                    return Err(fail(format!(
                        "`plan = \"{other}\"` is not an Asana plan; use \"free\" or \"paid\""
                    )));
                }
            });
            Ok(Box::new(
                throughline_asana::AsanaConnector::new(settings)
                    .map_err(|e| fail(e.to_string()))?,
            ))
        }
        TargetKind::GoogleSheets => {
            use throughline_sheets::{SheetsAuth, SheetsSettings};
            let spreadsheet = setting(target, "spreadsheet").ok_or_else(|| {
                fail("needs `spreadsheet = \"<id from the sheet's address>\"`".into())
            })?;
            let auth = if target.credentials.contains_key("service_account") {
                SheetsAuth::ServiceAccount {
                    key_json: secret(target, "service_account")?,
                }
            } else if target.credentials.contains_key("oauth") {
                SheetsAuth::OAuth {
                    token_file: token_file(target)?,
                    // Empty: the client `throughline auth google` stored in the token file.
                    client_id: setting(target, "client_id").unwrap_or_default(),
                    client_secret: match target.credentials.get("client_secret") {
                        Some(_) => secret(target, "client_secret")?,
                        None => throughline_connector::http::Secret::new(""),
                    },
                }
            } else {
                SheetsAuth::Token(secret(target, "token")?)
            };
            let mut settings = SheetsSettings::new(&target.id, spreadsheet, auth);
            if let Some(url) = &target.base_url {
                settings = settings.with_base_url(url);
            }
            settings.mapping = throughline_sheets::SheetsMapping::from_toml(&mapping)
                .map_err(|e| fail(e.to_string()))?;
            settings.timezone = timezone_of(dep, target);
            Ok(Box::new(
                throughline_sheets::SheetsConnector::new(settings)
                    .map_err(|e| fail(e.to_string()))?,
            ))
        }
    }
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
