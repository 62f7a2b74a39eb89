//! The part of a mapping file the engine reads: how task titles and descriptions are written
//! (`[task]`) and what to do with edits people make to hub-owned fields (`[drift]`). Everything
//! else in a mapping belongs to the connector of that kind.

use std::collections::BTreeMap;
use std::path::Path;

use throughline_connector::mapping::{KeyError, suggest};

use crate::reconcile::{DriftAction, DriftPolicy};

/// Placeholders a title or description template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "item",
    "item_title",
    "stage",
    "stage_name",
    "process",
    "process_name",
    "golive",
    "start",
    "due",
    "owner",
    "role",
    "channel",
    "notes",
    "task_id",
];

const TASK_FIELDS: &[&str] = &[
    "title",
    "description",
    "group",
    "owner",
    "start",
    "due",
    "text",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskMapping {
    pub title: String,
    pub description: String,
    pub drift: DriftPolicy,
}

impl Default for TaskMapping {
    fn default() -> Self {
        TaskMapping {
            title: "{item_title}: {stage_name}".to_string(),
            description: "{notes}".to_string(),
            drift: DriftPolicy::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct MappingError {
    pub file: String,
    pub message: String,
}

impl TaskMapping {
    /// Read `[task]` and `[drift]` from a mapping file's table; the first problem, if any.
    pub fn from_table(table: &toml::Table, file: &Path) -> Result<TaskMapping, MappingError> {
        let (mapping, problems) = TaskMapping::read(table);
        match problems.into_iter().next() {
            Some(problem) => Err(MappingError {
                file: file.display().to_string(),
                message: format!("`{}`: {}", problem.key, problem.message),
            }),
            None => Ok(mapping),
        }
    }

    /// Every problem of `[task]` and `[drift]`, each with the key it is about.
    pub fn problems(table: &toml::Table) -> Vec<KeyError> {
        TaskMapping::read(table).1
    }

    fn read(table: &toml::Table) -> (TaskMapping, Vec<KeyError>) {
        let mut m = TaskMapping::default();
        let mut problems = Vec::new();
        if let Some(task) = table.get("task") {
            match task.as_table() {
                None => problems.push(KeyError::new("task", "must be a table, like [task]")),
                Some(task) => {
                    for (key, value) in task {
                        let dotted = format!("task.{key}");
                        if !["title", "description"].contains(&key.as_str()) {
                            problems.push(KeyError::unknown_key(
                                &dotted,
                                key,
                                &["title", "description"],
                            ));
                            continue;
                        }
                        let Some(text) = value.as_str() else {
                            problems.push(KeyError::new(
                                &dotted,
                                "must be text, like \"{item_title}: {stage_name}\"",
                            ));
                            continue;
                        };
                        if let Err(e) = check_template(text) {
                            problems.push(KeyError::new(&dotted, &e));
                        } else if key == "title" {
                            m.title = text.to_string();
                        } else {
                            m.description = text.to_string();
                        }
                    }
                }
            }
        }
        if let Some(drift) = table.get("drift") {
            match drift.as_table() {
                None => problems.push(KeyError::new("drift", "must be a table, like [drift]")),
                Some(drift) => {
                    let mut fields = BTreeMap::new();
                    let known: Vec<&str> = std::iter::once("default")
                        .chain(TASK_FIELDS.iter().copied())
                        .collect();
                    for (key, value) in drift {
                        let dotted = format!("drift.{key}");
                        if !known.contains(&key.as_str()) {
                            problems.push(KeyError::unknown_key(&dotted, key, &known));
                            continue;
                        }
                        let action = match value.as_str() {
                            Some("revert") => DriftAction::Revert,
                            Some("accept") => DriftAction::Accept,
                            Some("ignore") => DriftAction::Ignore,
                            _ => {
                                problems.push(KeyError::new(
                                    &dotted,
                                    "must be \"revert\", \"accept\" or \"ignore\"",
                                ));
                                continue;
                            }
                        };
                        if key == "default" {
                            m.drift.default = action;
                        } else {
                            fields.insert(key.clone(), action);
                        }
                    }
                    m.drift.fields = fields;
                }
            }
        }
        (m, problems)
    }
}

fn check_template(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("a `{` is never closed")?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(match suggest(name, PLACEHOLDERS.iter().copied()) {
                Some(near) => {
                    format!("unknown placeholder `{{{name}}}`; did you mean `{{{near}}}`?")
                }
                None => format!(
                    "unknown placeholder `{{{name}}}`; use one of {}",
                    PLACEHOLDERS.join(", ")
                ),
            });
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Replace `{name}` placeholders; `value` answers for each known name.
pub fn render(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push_str(&value(&after[..close]));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_templates_and_drift() {
        let table: toml::Table = toml::from_str(
            "[task]\ntitle = \"{item_title} / {stage_name}\"\n[drift]\ndefault = \"ignore\"\ndue = \"accept\"\n",
        )
        .unwrap();
        let m = TaskMapping::from_table(&table, Path::new("m.toml")).unwrap();
        assert_eq!(m.title, "{item_title} / {stage_name}");
        assert_eq!(m.drift.action("due"), DriftAction::Accept);
        assert_eq!(m.drift.action("title"), DriftAction::Ignore);
    }

    #[test]
    fn rejects_unknown_placeholders_and_actions() {
        let t: toml::Table = toml::from_str("[task]\ntitle = \"{itemtitle}\"\n").unwrap();
        let e = TaskMapping::from_table(&t, Path::new("m.toml")).unwrap_err();
        assert!(
            e.to_string().contains("unknown placeholder `{itemtitle}`"),
            "{e}"
        );
        let t: toml::Table = toml::from_str("[drift]\ntitle = \"keep\"\n").unwrap();
        assert!(TaskMapping::from_table(&t, Path::new("m.toml")).is_err());
    }

    #[test]
    fn renders_hebrew() {
        let s = render("{item_title} — {stage_name}", |k| match k {
            "item_title" => "השקה".into(),
            "stage_name" => "כתיבה".into(),
            _ => String::new(),
        });
        assert_eq!(s, "השקה — כתיבה");
    }
}
