//! Blocked tasks: the mapping's tag ("Blocked") or option of a drop-down custom field marks a
//! blocked task, and the project's text custom field `[blocked] reason_field` (when it has
//! one) holds why. All of it comes with the task read (`tags`, `custom_fields`), so blocked
//! costs no request of its own to observe; it is written with the task's other changes.

use serde_json::{Map, Value, json};
use throughline_connector::StatusCells;

use crate::AsanaConnector;
use crate::codec::RemoteTask;
use crate::mapping::BlockedAs;
use crate::observe::Snapshot;

impl AsanaConnector {
    /// Whether a task shows blocked, and the reason it shows.
    pub(crate) fn blocked_of(&self, snap: &Snapshot, t: &RemoteTask) -> (bool, StatusCells) {
        let blocked = match &self.settings.mapping.blocked {
            BlockedAs::Tag(tag) => t.has_tag(tag),
            BlockedAs::Field { option, .. } => snap.blocked_field.as_ref().is_some_and(|f| {
                let option = f.options.get(option);
                t.custom_fields
                    .iter()
                    .find(|c| c.gid == f.gid)
                    .and_then(|c| c.enum_value.as_ref())
                    .is_some_and(|v| Some(&v.gid) == option)
            }),
            BlockedAs::None => false,
        };
        let reason = snap
            .reason_field
            .as_deref()
            .and_then(|f| t.custom_text(f))
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        let cells = StatusCells {
            holds_reason: snap.reason_field.is_some(),
            blocked_reason: reason.filter(|_| blocked),
            ..Default::default()
        };
        (blocked, cells)
    }

    /// The custom fields of a task's write that say blocked (the drop-down option, or none)
    /// and its reason (emptied when not blocked), where the project has those fields; merged
    /// into `data["custom_fields"]`.
    pub(crate) fn blocked_fields(
        &self,
        snap: &Snapshot,
        blocked: bool,
        reason: Option<&str>,
        data: &mut Map<String, Value>,
    ) {
        let mut custom = Map::new();
        if let (BlockedAs::Field { option, .. }, Some(f)) =
            (&self.settings.mapping.blocked, &snap.blocked_field)
            && let Some(option) = f.options.get(option)
        {
            custom.insert(
                f.gid.clone(),
                if blocked { json!(option) } else { Value::Null },
            );
        }
        if let Some(f) = &snap.reason_field {
            let reason = reason.filter(|_| blocked).map(str::trim).unwrap_or("");
            custom.insert(f.clone(), json!(reason));
        }
        if custom.is_empty() {
            return;
        }
        match data.get_mut("custom_fields") {
            Some(Value::Object(existing)) => existing.extend(custom),
            _ => {
                data.insert("custom_fields".into(), Value::Object(custom));
            }
        }
    }

    /// The blocked tag, when blocked shows as a tag.
    pub(crate) fn blocked_tag(&self) -> Option<&str> {
        match &self.settings.mapping.blocked {
            BlockedAs::Tag(tag) => Some(tag),
            _ => None,
        }
    }
}
