//! Asana tasks ⟷ throughline's tasks and checklist entries: fields, state, identity, dates.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use throughline_connector::{EntryFields, ObservedEntry, ObservedTask, State, TaskFields};

use crate::mapping::AsanaMapping;

/// What throughline reads of a task (the `opt_fields` of every task request). Only names the
/// API description lists for these endpoints.
pub const TASK_FIELDS: &str = "name,notes,completed,modified_at,due_on,due_at,start_on,assignee,\
memberships.project,memberships.section,memberships.section.name,tags,tags.name,external,\
custom_fields,custom_fields.name,custom_fields.text_value,custom_fields.enum_value,\
custom_fields.enum_value.name,custom_fields.resource_subtype,num_subtasks,parent";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GidRef {
    pub gid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub gid: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<GidRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<Named>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct External {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomValue {
    pub gid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_value: Option<String>,
    /// The chosen option of a drop-down field (blocked as a field option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_value: Option<Named>,
}

/// An Asana task as read with [`TASK_FIELDS`]; also what the observation cursor keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteTask {
    pub gid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub completed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<GidRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memberships: Vec<Membership>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Named>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<External>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "custom_values"
    )]
    pub custom_fields: Vec<CustomValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_subtasks: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<GidRef>,
}

/// Custom field values, keeping the text of text fields and the option name of drop-downs.
fn custom_values<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<CustomValue>, D::Error> {
    let raw: Option<Vec<Value>> = Option::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| {
            let gid = v["gid"].as_str()?.to_owned();
            let text_value = v["text_value"]
                .as_str()
                .or_else(|| v["enum_value"]["name"].as_str())
                .map(str::to_owned);
            let enum_value = v["enum_value"]["gid"].as_str().map(|g| Named {
                gid: g.to_owned(),
                name: v["enum_value"]["name"].as_str().unwrap_or("").to_owned(),
            });
            Some(CustomValue {
                gid,
                text_value,
                enum_value,
            })
        })
        .collect())
}

impl RemoteTask {
    pub fn from_json(value: &Value) -> Result<RemoteTask, serde_json::Error> {
        RemoteTask::deserialize(value)
    }

    /// The section this task has in `project`.
    pub fn section_in(&self, project: &str) -> Option<&Named> {
        self.memberships
            .iter()
            .find(|m| m.project.as_ref().is_some_and(|p| p.gid == project))
            .and_then(|m| m.section.as_ref())
    }

    pub fn in_project(&self, project: &str) -> bool {
        self.memberships
            .iter()
            .any(|m| m.project.as_ref().is_some_and(|p| p.gid == project))
    }

    pub fn has_tag(&self, name: &str) -> bool {
        self.tags
            .iter()
            .any(|t| t.name.trim().eq_ignore_ascii_case(name.trim()))
    }

    pub fn custom_text(&self, field: &str) -> Option<&str> {
        self.custom_fields
            .iter()
            .find(|c| c.gid == field)
            .and_then(|c| c.text_value.as_deref())
    }
}

/// How identities are carried in this target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carrier {
    /// `external.gid = "<project>:<identity>"` (OAuth only).
    External,
    /// A project text custom field (this gid) on tasks; the notes marker on subtasks.
    Field(String),
    /// A last line `throughline: <identity>` in the notes.
    Marker,
}

/// Everything needed to read and write tasks of one target.
pub struct Codec<'a> {
    pub project: &'a str,
    pub mapping: &'a AsanaMapping,
    pub timezone: &'a TimeZone,
    pub carrier: &'a Carrier,
    /// Asana user gid → e-mail address.
    pub users: &'a BTreeMap<String, String>,
    /// Hub person → Asana user (e-mail address or gid).
    pub people: &'a BTreeMap<String, String>,
}

impl Codec<'_> {
    pub fn external_gid(&self, identity: &str) -> String {
        format!("{}:{identity}", self.project)
    }

    /// The identity a task or subtask carries, wherever it is.
    pub fn identity(&self, t: &RemoteTask) -> Option<String> {
        if let Some(gid) = t.external.as_ref().and_then(|e| e.gid.as_deref())
            && let Some(id) = gid.strip_prefix(&format!("{}:", self.project))
        {
            return Some(id.to_owned());
        }
        if let Carrier::Field(field) = self.carrier
            && let Some(id) = t
                .custom_text(field)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        {
            return Some(id.to_owned());
        }
        split_marker(&t.notes, &self.mapping.marker).1
    }

    /// The notes without the identity marker.
    pub fn description(&self, t: &RemoteTask) -> String {
        split_marker(&t.notes, &self.mapping.marker).0
    }

    /// Whether this object's identity must go into its notes.
    fn marks_notes(&self, subtask: bool) -> bool {
        match self.carrier {
            Carrier::External => false,
            Carrier::Field(_) => subtask,
            Carrier::Marker => true,
        }
    }

    pub fn notes(&self, description: &str, identity: &str, subtask: bool) -> String {
        if !self.marks_notes(subtask) {
            return description.to_owned();
        }
        let marker = format!("{} {identity}", self.mapping.marker);
        if description.is_empty() {
            marker
        } else {
            format!("{description}\n\n{marker}")
        }
    }

    /// The hub's name for the assignee.
    pub fn owner(&self, t: &RemoteTask) -> Option<String> {
        let gid = &t.assignee.as_ref()?.gid;
        let email = self.users.get(gid);
        let found = self
            .people
            .iter()
            .find(|(_, asana)| *asana == gid || Some(*asana) == email)
            .map(|(hub, _)| hub.clone());
        Some(
            found
                .or_else(|| email.cloned())
                .unwrap_or_else(|| gid.clone()),
        )
    }

    /// How Asana is told who the assignee is: a gid or an e-mail address.
    pub fn assignee(&self, owner: Option<&str>) -> Value {
        match owner {
            None => Value::Null,
            Some(person) => {
                let asana = self
                    .people
                    .get(person)
                    .map(String::as_str)
                    .unwrap_or(person);
                // A known e-mail address is sent as the user's gid, which never fails to match.
                let gid = self
                    .users
                    .iter()
                    .find(|(_, email)| email.eq_ignore_ascii_case(asana))
                    .map(|(gid, _)| gid.as_str());
                json!(gid.unwrap_or(asana))
            }
        }
    }

    pub fn due(&self, t: &RemoteTask) -> Option<Date> {
        t.due_on
            .or_else(|| t.due_at.map(|at| at.to_zoned(self.timezone.clone()).date()))
    }

    /// `due_on`/`due_at` and `start_on`, as Asana wants them together: never both due fields,
    /// and a start only with a due date on or after it.
    pub fn dates(&self, start: Option<Date>, due: Option<Date>, data: &mut Map<String, Value>) {
        match (due, self.mapping.due_time) {
            (Some(due), Some(time)) => {
                let at = due
                    .to_datetime(time)
                    .to_zoned(self.timezone.clone())
                    .map(|z| z.timestamp())
                    .unwrap_or_else(|_| {
                        due.to_zoned(self.timezone.clone())
                            .map(|z| z.timestamp())
                            .unwrap_or(Timestamp::UNIX_EPOCH)
                    });
                data.insert("due_at".into(), json!(format_timestamp(at)));
            }
            (Some(due), None) => {
                data.insert("due_on".into(), json!(due.to_string()));
            }
            (None, _) => {
                data.insert("due_on".into(), Value::Null);
            }
        }
        let start = start.filter(|s| self.mapping.start && due.is_some_and(|d| *s <= d));
        data.insert(
            "start_on".into(),
            start.map_or(Value::Null, |s| json!(s.to_string())),
        );
    }

    pub fn task(
        &self,
        t: &RemoteTask,
        archive_tag: &str,
        entries: Vec<ObservedEntry>,
    ) -> ObservedTask {
        ObservedTask {
            remote_id: t.gid.clone(),
            identity: self.identity(t),
            fields: TaskFields {
                title: t.name.clone(),
                description: self.description(t),
                group: t
                    .section_in(self.project)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                owner: self.owner(t),
                start: t.start_on,
                due: self.due(t),
            },
            state: if t.completed {
                State::Done
            } else {
                State::Todo
            },
            archived: t.has_tag(archive_tag),
            version: t.modified_at.map(format_timestamp),
            modified: t.modified_at,
            modified_by: None,
            entries,
            status_cells: Default::default(),
        }
    }

    pub fn entry(&self, t: &RemoteTask, archive_tag: &str) -> ObservedEntry {
        ObservedEntry {
            remote_id: t.gid.clone(),
            identity: self.identity(t),
            fields: EntryFields {
                text: t.name.clone(),
                owner: self.owner(t),
                due: self.due(t),
            },
            checked: t.completed,
            archived: t.has_tag(archive_tag),
            modified: t.modified_at,
            modified_by: None,
        }
    }
}

/// Asana's timestamp form: UTC with milliseconds.
pub fn format_timestamp(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Notes → (description, identity) when the last line is `<marker> <identity>`.
///
/// Trusted only where throughline writes it: the last line, alone or after a blank line, in
/// exactly that form (one space, no indent). A marker line a person copied into another task's
/// notes is text, so that task is not adopted as another when the state is lost. Whitespace
/// after it is forgiven (an editor's trailing newline).
pub fn split_marker(notes: &str, marker: &str) -> (String, Option<String>) {
    let untouched = || (notes.to_owned(), None);
    let trimmed = notes.trim_end();
    let (before, last) = match trimmed.rfind('\n') {
        Some(at) => (Some(&trimmed[..at]), &trimmed[at + 1..]),
        None => (None, trimmed),
    };
    let Some(id) = last
        .strip_prefix(marker)
        .and_then(|rest| rest.strip_prefix(' '))
        .filter(|id| !id.is_empty() && !id.contains(char::is_whitespace))
    else {
        return untouched();
    };
    let description = match before {
        None => "",
        Some(before) => {
            let before = before.strip_suffix('\r').unwrap_or(before);
            match before.strip_suffix('\n') {
                Some(body) => body.strip_suffix('\r').unwrap_or(body),
                None if before.is_empty() => "",
                None => return untouched(),
            }
        }
    };
    (description.to_owned(), Some(id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_line_is_split_from_the_description() {
        let m = "throughline:";
        assert_eq!(
            split_marker("Write it.\n\nthroughline: a/b", m),
            ("Write it.".into(), Some("a/b".into()))
        );
        assert_eq!(
            split_marker("throughline: a/b", m),
            ("".into(), Some("a/b".into()))
        );
        assert_eq!(
            split_marker("שורה\nשנייה\n\nthroughline: x/y/z\n", m),
            ("שורה\nשנייה".into(), Some("x/y/z".into()))
        );
        assert_eq!(split_marker("no marker", m), ("no marker".into(), None));
        assert_eq!(
            split_marker("throughline: is great, we said", m),
            ("throughline: is great, we said".into(), None)
        );
    }

    #[test]
    fn a_marker_is_trusted_only_where_and_as_throughline_writes_it() {
        let m = "throughline:";
        for notes in [
            // Copied into the middle of another task's notes.
            "Write it.\n\nthroughline: a/b\nMy own notes.",
            // Glued to the line above.
            "Write it.\nthroughline: a/b",
            // Indented, or with a doubled space.
            "Write it.\n\n  throughline: a/b",
            "Write it.\n\nthroughline:  a/b",
            "throughline:a/b",
        ] {
            assert_eq!(split_marker(notes, m), (notes.into(), None), "{notes:?}");
        }
        assert_eq!(
            split_marker("Write it.\r\n\r\nthroughline: a/b\n", m),
            ("Write it.".into(), Some("a/b".into()))
        );
    }

    #[test]
    fn notes_carry_the_marker_only_when_nothing_else_can() {
        let mapping = AsanaMapping::default();
        let users = BTreeMap::new();
        let people = BTreeMap::new();
        let tz = TimeZone::UTC;
        let field = Carrier::Field("77".into());
        for (carrier, task, subtask) in [
            (Carrier::External, "Draft", "Draft"),
            (field, "Draft", "Draft\n\nthroughline: i/s/k"),
            (
                Carrier::Marker,
                "Draft\n\nthroughline: i/s",
                "Draft\n\nthroughline: i/s/k",
            ),
        ] {
            let codec = Codec {
                project: "1",
                mapping: &mapping,
                timezone: &tz,
                carrier: &carrier,
                users: &users,
                people: &people,
            };
            let id = if subtask.contains("/k") {
                "i/s/k"
            } else {
                "i/s"
            };
            assert_eq!(codec.notes("Draft", "i/s", false), task);
            assert_eq!(codec.notes("Draft", id, true), subtask);
        }
    }

    #[test]
    fn due_at_is_written_and_read_in_the_process_time_zone() {
        let mapping = AsanaMapping {
            due_time: Some(jiff::civil::Time::constant(23, 30, 0, 0)),
            ..AsanaMapping::default()
        };
        let tz = TimeZone::get("Asia/Jerusalem").unwrap();
        let users = BTreeMap::new();
        let codec = Codec {
            project: "1",
            mapping: &mapping,
            timezone: &tz,
            carrier: &Carrier::Marker,
            users: &users,
            people: &users,
        };
        let due = Date::constant(2026, 12, 31);
        let mut data = Map::new();
        codec.dates(Some(Date::constant(2026, 12, 30)), Some(due), &mut data);
        // 23:30 in Jerusalem (UTC+2 in winter) is 21:30 UTC the same day.
        assert_eq!(data["due_at"], json!("2026-12-31T21:30:00.000Z"));
        assert!(!data.contains_key("due_on"));
        assert_eq!(data["start_on"], json!("2026-12-30"));
        let task = RemoteTask {
            due_at: Some("2026-12-31T21:30:00Z".parse().unwrap()),
            ..RemoteTask::from_json(&json!({"gid": "1"})).unwrap()
        };
        assert_eq!(codec.due(&task), Some(due));
    }

    #[test]
    fn a_start_without_a_due_date_or_after_it_is_not_sent() {
        let mapping = AsanaMapping::default();
        let tz = TimeZone::UTC;
        let users = BTreeMap::new();
        let codec = Codec {
            project: "1",
            mapping: &mapping,
            timezone: &tz,
            carrier: &Carrier::Marker,
            users: &users,
            people: &users,
        };
        let d = Date::constant;
        let mut data = Map::new();
        codec.dates(Some(d(2025, 1, 2)), None, &mut data);
        assert_eq!(data["due_on"], Value::Null);
        assert_eq!(data["start_on"], Value::Null);
        codec.dates(Some(d(2025, 1, 2)), Some(d(2025, 1, 1)), &mut data);
        assert_eq!(data["start_on"], Value::Null);
        codec.dates(Some(d(2025, 1, 1)), Some(d(2025, 1, 1)), &mut data);
        assert_eq!(data["start_on"], json!("2025-01-01"));
    }
}
