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
    /// The item's channel, e.g. "Instagram" (`from = "channel"`).
    Channel,
    /// The work item's title (`from = "item"`).
    Item,
    /// No label (`from = "none"`).
    None,
}

/// A mapping, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrelloMapping {
    /// The hour a due date is written at on its day, in the process's time zone (`17:00`).
    pub due_time: Time,
    /// The hour a start date is written at on its day, in the process's time zone (`09:00`).
    pub start_time: Time,
    /// The card's "Complete" tick holds the task's state.
    pub due_complete: bool,
    /// A card in this list reads as done.
    pub done_list: Option<String>,
    /// Also move a card into the done list when its task is marked done (and back to its
    /// stage list when reopened).
    pub move_to_done_list: bool,
    /// The checklist on each card that holds the stage's checklist entries.
    pub checklist_name: String,
    /// The checklist that entries removed from the playbook move to (they are never deleted).
    pub archived_checklist_name: String,
    /// Set each check item's member from the entry's owner (needs Trello Standard or above).
    pub entry_owner: bool,
    /// Set each check item's due date from the entry's (needs Trello Standard or above).
    pub entry_due: bool,
    /// New cards copy their checklist from a template card: one request instead of one per item.
    pub templates: bool,
    /// The archived list that holds the template cards; throughline keeps it for itself.
    pub templates_list: String,
    /// Which label a new card gets.
    pub labels: LabelsFrom,
    /// The colour missing labels are created with (`None`: no colour).
    pub label_color: Option<String>,
    /// The text custom field that also carries the identity.
    pub custom_field: Option<String>,
    /// `[blocked]`: the label that marks a blocked card (`None`: Trello shows no blocked).
    pub blocked_label: Option<String>,
    /// The colour the blocked label is created with.
    pub blocked_color: Option<String>,
    /// The text custom field that holds a blocked card's reason, when the board has it; else
    /// a comment `<label>: <reason>` on the card.
    pub blocked_reason_field: Option<String>,
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
                "blocked",
                "people",
            ],
        )?;
        let r = Reader {
            table,
            base,
            empty: Table::new(),
        };
        r.layout()?;
        let (due_time, start_time) = r.dates()?;
        let (due_complete, done_list, move_to_done_list) = r.status()?;
        let checklist = r.checklist()?;
        let (labels, label_color) = r.labels()?;
        let (blocked_label, blocked_color, blocked_reason_field) = r.blocked()?;
        Ok(TrelloMapping {
            due_time,
            start_time,
            due_complete,
            done_list,
            move_to_done_list,
            checklist_name: checklist.name,
            archived_checklist_name: checklist.archived_name,
            entry_owner: checklist.owner,
            entry_due: checklist.due,
            templates: checklist.templates,
            templates_list: checklist.templates_list,
            labels,
            label_color,
            custom_field: r.custom_field()?,
            blocked_label,
            blocked_color,
            blocked_reason_field,
            people: r.people()?,
        })
    }
}

/// The `[checklist]` table, read.
struct Checklist {
    name: String,
    archived_name: String,
    owner: bool,
    due: bool,
    templates: bool,
    templates_list: String,
}

/// Reads a mapping table section by section. With a `base` (a copy of the shipped default),
/// a key left out keeps the base's value; without one (the shipped default itself), every
/// key is required.
struct Reader<'a> {
    table: &'a Table,
    base: Option<&'a TrelloMapping>,
    empty: Table,
}

impl Reader<'_> {
    /// A section's table: empty when left out of a copy.
    fn section(&self, name: &str) -> Result<&Table, MappingError> {
        match self.table.get(name) {
            None if self.base.is_none() => {
                Err(err(name, format!("the mapping needs a `[{name}]` table")))
            }
            None => Ok(&self.empty),
            Some(Value::Table(t)) => Ok(t),
            Some(_) => Err(err(
                name,
                format!("`{name}` must be a table, like [{name}]"),
            )),
        }
    }

    /// A key's value; a missing key is an error only without a base (the callers fall back to
    /// the base's value before they get here).
    fn get(&self, t: &Table, sec: &str, key: &str) -> Result<Value, MappingError> {
        match (t.get(key), self.base) {
            (Some(v), _) => Ok(v.clone()),
            (None, None) => Err(err(
                &format!("{sec}.{key}"),
                format!("the mapping needs `{sec}.{key}`"),
            )),
            (None, Some(_)) => Ok(Value::Boolean(false)), // replaced by the base's value
        }
    }

    fn boolean(
        &self,
        t: &Table,
        sec: &str,
        key: &str,
        fallback: Option<bool>,
    ) -> Result<bool, MappingError> {
        if !t.contains_key(key)
            && let Some(b) = fallback
        {
            return Ok(b);
        }
        self.get(t, sec, key)?.as_bool().ok_or_else(|| {
            err(
                &format!("{sec}.{key}"),
                format!("`{sec}.{key}` must be true or false"),
            )
        })
    }

    fn text(
        &self,
        t: &Table,
        sec: &str,
        key: &str,
        fallback: Option<&String>,
    ) -> Result<String, MappingError> {
        if !t.contains_key(key)
            && let Some(s) = fallback
        {
            return Ok(s.clone());
        }
        self.get(t, sec, key)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                err(
                    &format!("{sec}.{key}"),
                    format!("`{sec}.{key}` must be text in quotes"),
                )
            })
    }

    /// Text that must not be blank.
    fn name(
        &self,
        t: &Table,
        sec: &str,
        key: &str,
        fallback: Option<&String>,
    ) -> Result<String, MappingError> {
        let s = self.text(t, sec, key, fallback)?;
        if s.trim().is_empty() {
            let key = format!("{sec}.{key}");
            return Err(err(&key, format!("`{key}` must not be empty")));
        }
        Ok(s)
    }

    /// Text where empty means "none", read only when the table names it or there is no base.
    fn optional_text(
        &self,
        t: &Table,
        sec: &str,
        key: &str,
        base: impl FnOnce(&TrelloMapping) -> Option<String>,
    ) -> Result<Option<String>, MappingError> {
        if t.contains_key(key) || self.base.is_none() {
            Ok(Some(self.text(t, sec, key, None)?).filter(|s| !s.trim().is_empty()))
        } else {
            Ok(self.base.and_then(base))
        }
    }

    fn layout(&self) -> Result<(), MappingError> {
        let layout = self.section("layout")?;
        only_keys("layout", layout, &["cards"])?;
        match layout.get("cards").map(Value::as_str) {
            None | Some(Some("card-per-task")) => Ok(()),
            Some(Some("card-per-item")) => Err(err(
                "layout.cards",
                "`layout.cards = \"card-per-item\"` is not available yet; use \
                 \"card-per-task\" (one card per task, in the list of its stage)",
            )),
            Some(_) => Err(err(
                "layout.cards",
                "`layout.cards` must be \"card-per-task\" (one card per task, in the \
                 list of its stage)",
            )),
        }
    }

    fn time(&self, dates: &Table, key: &str, fallback: Option<Time>) -> Result<Time, MappingError> {
        if !dates.contains_key(key)
            && let Some(t) = fallback
        {
            return Ok(t);
        }
        let v = self.get(dates, "dates", key)?;
        let text = v.as_str().ok_or_else(|| {
            err(
                &format!("dates.{key}"),
                format!("`dates.{key}` must be a time of day in quotes, like \"17:00\""),
            )
        })?;
        text.parse::<Time>().map_err(|_| {
            err(
                &format!("dates.{key}"),
                format!("`dates.{key}` = \"{text}\" is not a time of day; write it like \"17:00\""),
            )
        })
    }

    /// `[dates]`: the due and start times of day.
    fn dates(&self) -> Result<(Time, Time), MappingError> {
        let dates = self.section("dates")?;
        only_keys("dates", dates, &["due_time", "start_time"])?;
        let due = self.time(dates, "due_time", self.base.map(|b| b.due_time))?;
        let start = self.time(dates, "start_time", self.base.map(|b| b.start_time))?;
        Ok((due, start))
    }

    /// `[status]`: the done tick, the done list, and whether done cards move there.
    fn status(&self) -> Result<(bool, Option<String>, bool), MappingError> {
        let status = self.section("status")?;
        only_keys(
            "status",
            status,
            &["due_complete", "done_list", "move_to_done_list"],
        )?;
        let base = self.base;
        let due_complete = self.boolean(
            status,
            "status",
            "due_complete",
            base.map(|b| b.due_complete),
        )?;
        let done_list =
            self.optional_text(status, "status", "done_list", |b| b.done_list.clone())?;
        let move_to_done_list = self.boolean(
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
        Ok((due_complete, done_list, move_to_done_list))
    }

    /// `[checklist]`: the checklists' names, entry owners and dates, the template cards.
    fn checklist(&self) -> Result<Checklist, MappingError> {
        let t = self.section("checklist")?;
        only_keys(
            "checklist",
            t,
            &[
                "name",
                "archived_name",
                "owner",
                "due",
                "templates",
                "templates_list",
            ],
        )?;
        let base = self.base;
        let sec = "checklist";
        let name = self.name(t, sec, "name", base.map(|b| &b.checklist_name))?;
        let archived_name = self.name(
            t,
            sec,
            "archived_name",
            base.map(|b| &b.archived_checklist_name),
        )?;
        if name == archived_name {
            return Err(err(
                "checklist.archived_name",
                "`checklist.name` and `checklist.archived_name` must differ, or archived \
                 entries would look live",
            ));
        }
        Ok(Checklist {
            name,
            archived_name,
            owner: self.boolean(t, sec, "owner", base.map(|b| b.entry_owner))?,
            due: self.boolean(t, sec, "due", base.map(|b| b.entry_due))?,
            templates: self.boolean(t, sec, "templates", base.map(|b| b.templates))?,
            templates_list: self.name(t, sec, "templates_list", base.map(|b| &b.templates_list))?,
        })
    }

    /// `[labels]`: which label a new card gets, and its colour.
    fn labels(&self) -> Result<(LabelsFrom, Option<String>), MappingError> {
        let t = self.section("labels")?;
        only_keys("labels", t, &["from", "color"])?;
        let labels = if t.contains_key("from") || self.base.is_none() {
            match self.text(t, "labels", "from", None)?.as_str() {
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
            self.base.map_or(LabelsFrom::Channel, |b| b.labels)
        };
        let color = if t.contains_key("color") || self.base.is_none() {
            Some(self.text(t, "labels", "color", None)?).filter(|c| !c.is_empty())
        } else {
            self.base.and_then(|b| b.label_color.clone())
        };
        if let Some(c) = &color
            && !COLORS.contains(&c.as_str())
        {
            return Err(err(
                "labels.color",
                format!(
                    "`labels.color` = \"{c}\" is not a Trello label colour; use one of {} or \"\"",
                    COLORS.join(", ")
                ),
            ));
        }
        Ok((labels, color))
    }

    /// `[blocked]`: the label of a blocked card, its colour, and the reason's custom field.
    #[allow(clippy::type_complexity)]
    fn blocked(&self) -> Result<(Option<String>, Option<String>, Option<String>), MappingError> {
        let t = self.section("blocked")?;
        only_keys("blocked", t, &["label", "color", "reason_field"])?;
        let label = self.optional_text(t, "blocked", "label", |b| b.blocked_label.clone())?;
        let color = self.optional_text(t, "blocked", "color", |b| b.blocked_color.clone())?;
        if let Some(c) = &color
            && !COLORS.contains(&c.as_str())
        {
            return Err(err(
                "blocked.color",
                format!(
                    "`blocked.color` = \"{c}\" is not a Trello label colour; use one of {} or \"\"",
                    COLORS.join(", ")
                ),
            ));
        }
        let field = self.optional_text(t, "blocked", "reason_field", |b| {
            b.blocked_reason_field.clone()
        })?;
        if label.is_none() && t.contains_key("reason_field") && field.is_some() {
            return Err(err(
                "blocked.reason_field",
                "`blocked.reason_field` needs `blocked.label`: without the label Trello shows no \
                 blocked card, so there is no reason to keep; set a label like \"Blocked\"",
            ));
        }
        Ok((label, color, field))
    }

    /// `[identity]`: the text custom field that also carries the identity.
    fn custom_field(&self) -> Result<Option<String>, MappingError> {
        let t = self.section("identity")?;
        only_keys("identity", t, &["custom_field"])?;
        self.optional_text(t, "identity", "custom_field", |b| b.custom_field.clone())
    }

    /// `[people]`: hub person → Trello username (a leading `@` dropped) or member id, over
    /// the base's.
    fn people(&self) -> Result<BTreeMap<String, String>, MappingError> {
        let mut people = self.base.map(|b| b.people.clone()).unwrap_or_default();
        let Some(p) = self.table.get("people") else {
            return Ok(people);
        };
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
                        ),
                    )
                })?;
            people.insert(who.clone(), name.trim().trim_start_matches('@').to_owned());
        }
        Ok(people)
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
        assert_eq!(m.blocked_label.as_deref(), Some("Blocked"));
        assert_eq!(m.blocked_color.as_deref(), Some("red"));
        assert_eq!(m.blocked_reason_field.as_deref(), Some("Blocked reason"));
    }

    #[test]
    fn blocked_can_be_turned_off_or_moved() {
        let t: Table = "[blocked]\nlabel = \"\"\n".parse().unwrap();
        let m = TrelloMapping::from_toml(&t).unwrap();
        assert_eq!(m.blocked_label, None);
        let t: Table = "[blocked]\nlabel = \"On hold\"\nreason_field = \"\"\n"
            .parse()
            .unwrap();
        let m = TrelloMapping::from_toml(&t).unwrap();
        assert_eq!(
            (m.blocked_label.as_deref(), m.blocked_reason_field),
            (Some("On hold"), None)
        );
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
            (
                "[blocked]\ncolor = \"teal\"\n",
                "`blocked.color` = \"teal\"",
            ),
            (
                "[blocked]\nreason = \"x\"\n",
                "unknown key `blocked.reason`",
            ),
            (
                "[blocked]\nlabel = \"\"\nreason_field = \"Why\"\n",
                "needs `blocked.label`",
            ),
        ] {
            let t: Table = toml.parse().unwrap();
            let e = TrelloMapping::from_toml(&t).unwrap_err().to_string();
            assert!(e.contains(says), "{toml:?} gave {e:?}");
        }
    }
}
