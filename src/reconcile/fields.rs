//! Hub-owned fields: when to push, and what to do when a person edited one in a tool (drift).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What to do with an edit made in a tool to a field the hub owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftAction {
    /// Put the hub's value back (default).
    #[default]
    Revert,
    /// Take the tool's value into the hub, then propagate it to every other tool.
    Accept,
    /// Leave the tool's value alone until the playbook itself changes the field.
    Ignore,
}

impl DriftAction {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftAction::Revert => "revert",
            DriftAction::Accept => "accept",
            DriftAction::Ignore => "ignore",
        }
    }
}

/// A mapping's `[drift]` table: one action per field name, and a default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftPolicy {
    pub default: DriftAction,
    /// Field names: `title`, `description`, `group`, `owner`, `start`, `due` for tasks;
    /// `text`, `owner`, `due` for checklist entries.
    pub fields: BTreeMap<String, DriftAction>,
}

impl DriftPolicy {
    pub fn action(&self, field: &str) -> DriftAction {
        self.fields.get(field).copied().unwrap_or(self.default)
    }
}

/// What a link row remembers of the hub-owned fields (stored as JSON in `Link::pushed`): the
/// values last pushed, and tool values already reported as ignored drift, so that one edit is
/// recorded once and not every cycle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PushedRecord {
    pub fields: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub drift_seen: Map<String, Value>,
}

impl PushedRecord {
    pub fn parse(json: Option<&str>) -> Option<PushedRecord> {
        json.and_then(|s| serde_json::from_str(s).ok())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a map of JSON values always serializes")
    }
}

/// A tool's value accepted into the hub. It stands while the playbook's own value is still
/// `base` (the value when it was accepted); once the playbook changes the field, the playbook
/// wins again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldOverride {
    pub value: Value,
    pub base: Value,
}

/// The JSON a link keeps for fields pushed with no drift pending: byte-for-byte what
/// [`PushedRecord::to_json`] gives for `to_map(fields)` (keys sorted), without building maps.
/// The planner compares it with the link's to skip unchanged objects cheaply.
pub(crate) fn task_record_json(f: &throughline_connector::TaskFields) -> String {
    // Exhaustive on purpose: a new field must be added here, in key order.
    let throughline_connector::TaskFields {
        title,
        description,
        group,
        owner,
        start,
        due,
    } = f;
    #[derive(Serialize)]
    struct Sorted<'a> {
        description: &'a str,
        due: &'a Option<jiff::civil::Date>,
        group: &'a str,
        owner: &'a Option<String>,
        start: &'a Option<jiff::civil::Date>,
        title: &'a str,
    }
    #[derive(Serialize)]
    struct Record<'a> {
        fields: Sorted<'a>,
    }
    let fields = Sorted {
        description,
        due,
        group,
        owner,
        start,
        title,
    };
    serde_json::to_string(&Record { fields }).expect("plain fields always serialize")
}

/// Like [`task_record_json`], for a checklist entry.
pub(crate) fn entry_record_json(f: &throughline_connector::EntryFields) -> String {
    let throughline_connector::EntryFields { text, owner, due } = f;
    #[derive(Serialize)]
    struct Sorted<'a> {
        due: &'a Option<jiff::civil::Date>,
        owner: &'a Option<String>,
        text: &'a str,
    }
    #[derive(Serialize)]
    struct Record<'a> {
        fields: Sorted<'a>,
    }
    serde_json::to_string(&Record {
        fields: Sorted { due, owner, text },
    })
    .expect("plain fields always serialize")
}

pub fn to_map<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

pub fn from_map<T: serde::de::DeserializeOwned + Default>(map: Map<String, Value>) -> T {
    serde_json::from_value(Value::Object(map)).unwrap_or_default()
}

/// One field edited in a tool.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldDrift {
    pub field: String,
    pub tool: Value,
    pub hub: Value,
    pub action: DriftAction,
    /// Not reported before (ignored drift is reported once).
    pub first_seen: bool,
}

/// The decision for one object's hub-owned fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldDecision {
    /// The link's record JSON as it stands, when nothing changed (the fast path): `record`,
    /// `send` and `push` are then empty and unused.
    pub unchanged: Option<String>,
    /// The full set of values the tool should hold after a push.
    pub send: Map<String, Value>,
    /// Names of the fields that must be pushed.
    pub push: Vec<String>,
    /// What the link remembers once this decision is carried out.
    pub record: PushedRecord,
    pub drift: Vec<FieldDrift>,
}

/// Compare desired, last pushed and observed values field by field.
///
/// `pushed = None` means nothing was ever pushed through this link (a new link or an adopted
/// object): whatever differs is pushed, and nothing counts as drift.
pub(crate) fn decide(
    desired: &Map<String, Value>,
    pushed: Option<&PushedRecord>,
    observed: &Map<String, Value>,
    policy: &DriftPolicy,
) -> FieldDecision {
    let mut send = Map::new();
    let mut push = Vec::new();
    let mut record = PushedRecord::default();
    let mut drift = Vec::new();
    for (field, d) in desired {
        let o = observed.get(field).unwrap_or(&Value::Null);
        let Some(pushed) = pushed else {
            send.insert(field.clone(), d.clone());
            record.fields.insert(field.clone(), d.clone());
            if o != d {
                push.push(field.clone());
            }
            continue;
        };
        let p = pushed.fields.get(field).unwrap_or(&Value::Null);
        let hub_moved = p != d;
        let tool_moved = o != p;
        if !tool_moved || o == d {
            send.insert(field.clone(), d.clone());
            record.fields.insert(field.clone(), d.clone());
            if o != d {
                push.push(field.clone());
            }
            continue;
        }
        let action = policy.action(field);
        match action {
            DriftAction::Revert => {
                send.insert(field.clone(), d.clone());
                record.fields.insert(field.clone(), d.clone());
                push.push(field.clone());
                drift.push(FieldDrift {
                    field: field.clone(),
                    tool: o.clone(),
                    hub: d.clone(),
                    action,
                    first_seen: true,
                });
            }
            DriftAction::Ignore if hub_moved => {
                // The playbook changed the field since: that is a new instruction, and it wins.
                send.insert(field.clone(), d.clone());
                record.fields.insert(field.clone(), d.clone());
                push.push(field.clone());
            }
            DriftAction::Accept | DriftAction::Ignore => {
                // Leave the tool's value; remember what was pushed so the edit stays visible.
                send.insert(field.clone(), o.clone());
                record.fields.insert(field.clone(), p.clone());
                let first_seen = pushed.drift_seen.get(field) != Some(o);
                if action == DriftAction::Ignore {
                    record.drift_seen.insert(field.clone(), o.clone());
                }
                drift.push(FieldDrift {
                    field: field.clone(),
                    tool: o.clone(),
                    hub: d.clone(),
                    action,
                    first_seen,
                });
            }
        }
    }
    FieldDecision {
        unchanged: None,
        send,
        push,
        record,
        drift,
    }
}

impl FieldDecision {
    pub(crate) fn unchanged(record_json: &str) -> FieldDecision {
        FieldDecision {
            unchanged: Some(record_json.to_string()),
            send: Map::new(),
            push: Vec::new(),
            record: PushedRecord::default(),
            drift: Vec::new(),
        }
    }

    /// What the link keeps once this decision is carried out.
    pub(crate) fn record_json(&self) -> String {
        self.unchanged
            .clone()
            .unwrap_or_else(|| self.record.to_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn rec(v: Value) -> PushedRecord {
        PushedRecord {
            fields: map(v),
            drift_seen: Map::new(),
        }
    }

    #[test]
    fn fast_record_json_matches_the_map_form() {
        use throughline_connector::{EntryFields, TaskFields};
        let tasks = [
            TaskFields::default(),
            TaskFields {
                title: "כותרת \"quoted\"".into(),
                description: "line\nbreak".into(),
                group: "Copy".into(),
                owner: Some("a@example.com".into()),
                start: Some(jiff::civil::date(2026, 12, 6)),
                due: Some(jiff::civil::date(2026, 12, 31)),
            },
        ];
        for t in &tasks {
            let slow = PushedRecord {
                fields: to_map(t),
                drift_seen: Map::new(),
            }
            .to_json();
            assert_eq!(task_record_json(t), slow);
        }
        let e = EntryFields {
            text: "=SUM(A1)".into(),
            owner: None,
            due: Some(jiff::civil::date(2027, 1, 1)),
        };
        assert_eq!(
            entry_record_json(&e),
            PushedRecord {
                fields: to_map(&e),
                drift_seen: Map::new()
            }
            .to_json()
        );
    }

    #[test]
    fn nothing_moved_nothing_pushed() {
        let d = map(json!({"title": "a", "due": "2026-12-10"}));
        let out = decide(
            &d,
            Some(&rec(json!({"title": "a", "due": "2026-12-10"}))),
            &d,
            &DriftPolicy::default(),
        );
        assert!(out.push.is_empty());
        assert!(out.drift.is_empty());
        assert_eq!(out.record.fields, d);
    }

    #[test]
    fn hub_moved_is_pushed() {
        let d = map(json!({"title": "b"}));
        let p = rec(json!({"title": "a"}));
        let o = map(json!({"title": "a"}));
        let out = decide(&d, Some(&p), &o, &DriftPolicy::default());
        assert_eq!(out.push, vec!["title"]);
        assert!(out.drift.is_empty());
        assert_eq!(out.send, d);
    }

    #[test]
    fn tool_edit_is_reverted_by_default() {
        let d = map(json!({"title": "a"}));
        let p = rec(json!({"title": "a"}));
        let o = map(json!({"title": "edited"}));
        let out = decide(&d, Some(&p), &o, &DriftPolicy::default());
        assert_eq!(out.push, vec!["title"]);
        assert_eq!(out.drift.len(), 1);
        assert_eq!(out.drift[0].action, DriftAction::Revert);
        assert_eq!(out.send["title"], "a");
    }

    #[test]
    fn ignored_drift_is_left_and_reported_once() {
        let policy = DriftPolicy {
            default: DriftAction::Ignore,
            fields: BTreeMap::new(),
        };
        let d = map(json!({"title": "a"}));
        let p = rec(json!({"title": "a"}));
        let o = map(json!({"title": "edited"}));
        let first = decide(&d, Some(&p), &o, &policy);
        assert!(first.push.is_empty());
        assert_eq!(first.send["title"], "edited");
        assert!(first.drift[0].first_seen);
        let second = decide(&d, Some(&first.record), &o, &policy);
        assert!(second.push.is_empty());
        assert!(!second.drift[0].first_seen);
        // The playbook changes the field: that wins over the ignored edit.
        let d2 = map(json!({"title": "new"}));
        let third = decide(&d2, Some(&second.record), &o, &policy);
        assert_eq!(third.push, vec!["title"]);
        assert_eq!(third.send["title"], "new");
    }

    #[test]
    fn accepted_drift_is_not_pushed_back() {
        let mut policy = DriftPolicy::default();
        policy.fields.insert("due".into(), DriftAction::Accept);
        let d = map(json!({"due": "2026-12-10"}));
        let p = rec(json!({"due": "2026-12-10"}));
        let o = map(json!({"due": "2026-12-11"}));
        let out = decide(&d, Some(&p), &o, &policy);
        assert!(out.push.is_empty());
        assert_eq!(out.drift[0].action, DriftAction::Accept);
        // Once the hub took the value over, desired equals the tool: no drift, no push.
        let d2 = map(json!({"due": "2026-12-11"}));
        let out2 = decide(&d2, Some(&out.record), &o, &policy);
        assert!(out2.push.is_empty() && out2.drift.is_empty());
        assert_eq!(out2.record.fields["due"], "2026-12-11");
    }

    #[test]
    fn tool_and_hub_agreeing_is_not_drift() {
        let d = map(json!({"title": "b"}));
        let out = decide(
            &d,
            Some(&rec(json!({"title": "a"}))),
            &d,
            &DriftPolicy::default(),
        );
        assert!(out.push.is_empty() && out.drift.is_empty());
    }

    #[test]
    fn first_link_pushes_differences_without_drift() {
        let d = map(json!({"title": "a", "owner": "x@example.com"}));
        let o = map(json!({"title": "a", "owner": null}));
        let out = decide(&d, None, &o, &DriftPolicy::default());
        assert_eq!(out.push, vec!["owner"]);
        assert!(out.drift.is_empty());
    }
}
