//! `mappings/trello.toml`: how tasks look on a Trello board.

use std::collections::BTreeMap;

use jiff::civil::Time;
use throughline_connector::mapping::{KeyError, suggest};
use toml::{Table, Value};

/// The shipped default, documented line by line.
pub const DEFAULT_TOML: &str = include_str!("../../../mappings/trello.toml");

/// Which label a new card gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelsFrom {
    Channel,
    Item,
    None,
}

/// A mapping, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrelloMapping {
    pub due_time: Time,
    pub start_time: Time,
    /// The card's "Complete" tick holds the task's state.
    pub due_complete: bool,
    /// A card in this list reads as done.
    pub done_list: Option<String>,
    pub move_to_done_list: bool,
    pub checklist_name: String,
    pub archived_checklist_name: String,
    pub entry_owner: bool,
    pub entry_due: bool,
    pub templates: bool,
    pub templates_list: String,
    pub labels: LabelsFrom,
    pub label_color: Option<String>,
    /// The text custom field that also carries the identity.
    pub custom_field: Option<String>,
    /// Hub person → Trello username or member id.
    pub people: BTreeMap<String, String>,
}

/// A mapping value that cannot be used: the dotted key and a sentence that names it.
pub type MappingError = KeyError;

fn err(key: &str, message: impl Into<String>) -> MappingError {
    KeyError::new(key, message)
}

const COLORS: &[&str] = &[
    "yellow", "purple", "blue", "red", "green", "orange", "black", "sky", "pink", "lime",
];

impl Default for TrelloMapping {
    fn default() -> Self {
        let table: Table = DEFAULT_TOML
            .parse()
            .expect("mappings/trello.toml is valid TOML");
        TrelloMapping::parse(&table, None).expect("mappings/trello.toml is a complete mapping")
    }
}

impl TrelloMapping {
    /// Read a mapping table (a copy of `mappings/trello.toml`, with or without its `[task]`
    /// and `[drift]` tables, which belong to the engine). Keys left out keep the default.
    pub fn from_toml(table: &Table) -> Result<TrelloMapping, MappingError> {
        TrelloMapping::parse(table, Some(&TrelloMapping::default()))
    }

    fn parse(table: &Table, base: Option<&TrelloMapping>) -> Result<TrelloMapping, MappingError> {
        only_keys(
            "",
            table,
            &[
                "task",
                "drift",
                "layout",
                "dates",
                "status",
                "checklist",
                "labels",
                "identity",
                "people",
            ],
        )?;
        let section = |name: &str| -> Result<Option<&Table>, MappingError> {
            match table.get(name) {
                None if base.is_none() => {
                    Err(err(name, format!("the mapping needs a `[{name}]` table")))
                }
                None => Ok(None),
                Some(Value::Table(t)) => Ok(Some(t)),
                Some(_) => Err(err(
                    name,
                    format!("`{name}` must be a table, like [{name}]"),
                )),
            }
        };
        let empty = Table::new();

        let layout = section("layout")?.unwrap_or(&empty);
        only_keys("layout", layout, &["cards"])?;
        if let Some(v) = layout.get("cards") {
            match v.as_str() {
                Some("card-per-task") => {}
                Some("card-per-item") => {
                    return Err(err(
                        "layout.cards",
                        "`layout.cards = \"card-per-item\"` is not available yet; use \
                         \"card-per-task\" (one card per task, in the list of its stage)",
                    ));
                }
                _ => {
                    return Err(err(
                        "layout.cards",
                        "`layout.cards` must be \"card-per-task\" (one card per task, in the \
                         list of its stage)",
                    ));
                }
            }
        }

        let get = |t: &Table, sec: &str, key: &str| -> Result<Value, MappingError> {
            match (t.get(key), base) {
                (Some(v), _) => Ok(v.clone()),
                (None, None) => Err(err(
                    &format!("{sec}.{key}"),
                    format!("the mapping needs `{sec}.{key}`"),
                )),
                (None, Some(_)) => Ok(Value::Boolean(false)), // replaced by the base below
            }
        };
        let has = |t: &Table, key: &str| t.contains_key(key);

        let dates = section("dates")?.unwrap_or(&empty);
        only_keys("dates", dates, &["due_time", "start_time"])?;
        let time = |key: &str, fallback: Option<Time>| -> Result<Time, MappingError> {
            if !has(dates, key)
                && let Some(t) = fallback
            {
                return Ok(t);
            }
            let v = get(dates, "dates", key)?;
            let text = v.as_str().ok_or_else(|| {
                err(
                    &format!("dates.{key}"),
                    format!("`dates.{key}` must be a time of day in quotes, like \"17:00\""),
                )
            })?;
            text.parse::<Time>().map_err(|_| {
                err(
                    &format!("dates.{key}"),
                    format!(
                        "`dates.{key}` = \"{text}\" is not a time of day; write it like \"17:00\""
                    ),
                )
            })
        };
        let due_time = time("due_time", base.map(|b| b.due_time))?;
        let start_time = time("start_time", base.map(|b| b.start_time))?;

        let status = section("status")?.unwrap_or(&empty);
        only_keys(
            "status",
            status,
            &["due_complete", "done_list", "move_to_done_list"],
        )?;
        let boolean = |t: &Table, sec: &str, key: &str, fallback: Option<bool>| {
            if !has(t, key)
                && let Some(b) = fallback
            {
                return Ok(b);
            }
            get(t, sec, key)?.as_bool().ok_or_else(|| {
                err(
                    &format!("{sec}.{key}"),
                    format!("`{sec}.{key}` must be true or false"),
                )
            })
        };
        let text = |t: &Table, sec: &str, key: &str, fallback: Option<&String>| {
            if !has(t, key)
                && let Some(s) = fallback
            {
                return Ok(s.clone());
            }
            get(t, sec, key)?
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| {
                    err(
                        &format!("{sec}.{key}"),
                        format!("`{sec}.{key}` must be text in quotes"),
                    )
                })
        };
        let due_complete = boolean(
            status,
            "status",
            "due_complete",
            base.map(|b| b.due_complete),
        )?;
        let done_list = if has(status, "done_list") || base.is_none() {
            Some(text(status, "status", "done_list", None)?).filter(|s| !s.trim().is_empty())
        } else {
            base.and_then(|b| b.done_list.clone())
        };
        let move_to_done_list = boolean(
            status,
            "status",
            "move_to_done_list",
            base.map(|b| b.move_to_done_list),
        )?;
        if !due_complete && !move_to_done_list {
            return Err(err(
                "status.due_complete",
                "with `status.due_complete = false`, throughline can only mark a card done by \
                 moving it: set `status.move_to_done_list = true` (and a `done_list`)",
            ));
        }
        if move_to_done_list && done_list.is_none() {
            return Err(err(
                "status.move_to_done_list",
                "`status.move_to_done_list = true` needs the name of the list in \
                 `status.done_list`, like \"Done\"",
            ));
        }

        let checklist = section("checklist")?.unwrap_or(&empty);
        only_keys(
            "checklist",
            checklist,
            &[
                "name",
                "archived_name",
                "owner",
                "due",
                "templates",
                "templates_list",
            ],
        )?;
        let non_empty = |s: String, key: &str| {
            if s.trim().is_empty() {
                Err(err(key, format!("`{key}` must not be empty")))
            } else {
                Ok(s)
            }
        };
        let checklist_name = non_empty(
            text(
                checklist,
                "checklist",
                "name",
                base.map(|b| &b.checklist_name),
            )?,
            "checklist.name",
        )?;
        let archived_checklist_name = non_empty(
            text(
                checklist,
                "checklist",
                "archived_name",
                base.map(|b| &b.archived_checklist_name),
            )?,
            "checklist.archived_name",
        )?;
        if checklist_name == archived_checklist_name {
            return Err(err(
                "checklist.archived_name",
                "`checklist.name` and `checklist.archived_name` must differ, or archived \
                 entries would look live",
            ));
        }
        let entry_owner = boolean(checklist, "checklist", "owner", base.map(|b| b.entry_owner))?;
        let entry_due = boolean(checklist, "checklist", "due", base.map(|b| b.entry_due))?;
        let templates = boolean(
            checklist,
            "checklist",
            "templates",
            base.map(|b| b.templates),
        )?;
        let templates_list = non_empty(
            text(
                checklist,
                "checklist",
                "templates_list",
                base.map(|b| &b.templates_list),
            )?,
            "checklist.templates_list",
        )?;

        let labels_t = section("labels")?.unwrap_or(&empty);
        only_keys("labels", labels_t, &["from", "color"])?;
        let labels = if has(labels_t, "from") || base.is_none() {
            match text(labels_t, "labels", "from", None)?.as_str() {
                "channel" => LabelsFrom::Channel,
                "item" => LabelsFrom::Item,
                "none" => LabelsFrom::None,
                other => {
                    return Err(err(
                        "labels.from",
                        format!(
                            "`labels.from` = \"{other}\": use \"channel\", \"item\" or \"none\""
                        ),
                    ));
                }
            }
        } else {
            base.map_or(LabelsFrom::Channel, |b| b.labels)
        };
        let label_color = if has(labels_t, "color") || base.is_none() {
            let c = text(labels_t, "labels", "color", None)?;
            if c.is_empty() {
                None
            } else if COLORS.contains(&c.as_str()) {
                Some(c)
            } else {
                return Err(err(
                    "labels.color",
                    format!(
                        "`labels.color` = \"{c}\" is not a Trello label colour; use one of {} or \"\"",
                        COLORS.join(", ")
                    ),
                ));
            }
        } else {
            base.and_then(|b| b.label_color.clone())
        };

        let identity = section("identity")?.unwrap_or(&empty);
        only_keys("identity", identity, &["custom_field"])?;
        let custom_field = if has(identity, "custom_field") || base.is_none() {
            Some(text(identity, "identity", "custom_field", None)?).filter(|s| !s.trim().is_empty())
        } else {
            base.and_then(|b| b.custom_field.clone())
        };

        let mut people = base.map(|b| b.people.clone()).unwrap_or_default();
        if let Some(p) = table.get("people") {
            let p = p
                .as_table()
                .ok_or_else(|| err("people", "`people` must be a table, like [people]"))?;
            for (who, trello) in p {
                let name = trello
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| {
                        err(
                            &format!("people.{who}"),
                            format!(
                            "`people.\"{who}\"` must be a Trello username or member id in quotes"
                        ))
                    })?;
                people.insert(who.clone(), name.trim().trim_start_matches('@').to_owned());
            }
        }

        Ok(TrelloMapping {
            due_time,
            start_time,
            due_complete,
            done_list,
            move_to_done_list,
            checklist_name,
            archived_checklist_name,
            entry_owner,
            entry_due,
            templates,
            templates_list,
            labels,
            label_color,
            custom_field,
            people,
        })
    }
}

fn only_keys(section: &str, table: &Table, allowed: &[&str]) -> Result<(), MappingError> {
    for key in table.keys() {
        if !allowed.contains(&key.as_str()) {
            let (place, dotted) = if section.is_empty() {
                (format!("`[{key}]`"), key.clone())
            } else {
                (format!("`{section}.{key}`"), format!("{section}.{key}"))
            };
            let mut message = format!("unknown key {place} in the Trello mapping");
            match suggest(key, allowed.iter().copied()) {
                Some(near) => message.push_str(&format!("; did you mean `{near}`?")),
                None => message.push_str(&format!(
                    "; use one of {}",
                    allowed
                        .iter()
                        .filter(|k| !["task", "drift"].contains(k))
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
            return Err(MappingError {
                key: dotted,
                message,
                unknown: true,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_default_is_complete() {
        let m = TrelloMapping::default();
        assert_eq!(m.due_time, Time::constant(17, 0, 0, 0));
        assert_eq!(m.start_time, Time::constant(9, 0, 0, 0));
        assert!(m.due_complete && !m.move_to_done_list);
        assert_eq!(m.done_list.as_deref(), Some("Done"));
        assert_eq!(m.labels, LabelsFrom::Channel);
        assert_eq!(m.custom_field.as_deref(), Some("throughline"));
        assert!(m.templates && !m.entry_owner && !m.entry_due);
    }

    #[test]
    fn a_copy_changes_only_what_it_names() {
        let t: Table = "[dates]\ndue_time = \"12:30\"\n[people]\n\"dana@example.com\" = \"@dana\"\n[status]\ndone_list = \"\"\n"
            .parse()
            .unwrap();
        let m = TrelloMapping::from_toml(&t).unwrap();
        assert_eq!(m.due_time, Time::constant(12, 30, 0, 0));
        assert_eq!(m.start_time, Time::constant(9, 0, 0, 0));
        assert_eq!(m.done_list, None);
        assert_eq!(m.people["dana@example.com"], "dana");
    }

    #[test]
    fn mistakes_are_named() {
        for (toml, says) in [
            ("[status]\ndone = true\n", "unknown key `status.done`"),
            ("[colors]\n", "unknown key `[colors]`"),
            ("[dates]\ndue_time = \"5pm\"\n", "is not a time of day"),
            ("[labels]\ncolor = \"teal\"\n", "not a Trello label colour"),
            ("[layout]\ncards = \"card-per-item\"\n", "not available yet"),
            (
                "[status]\ndue_complete = false\n",
                "set `status.move_to_done_list = true`",
            ),
            ("[people]\n\"a@b.c\" = 3\n", "must be a Trello username"),
        ] {
            let t: Table = toml.parse().unwrap();
            let e = TrelloMapping::from_toml(&t).unwrap_err().to_string();
            assert!(e.contains(says), "{toml:?} gave {e:?}");
        }
    }
}
