//! The Asana mapping: sections per stage, how dates are written, where identity and channel go.
//! The default is `mappings/asana.toml` itself, compiled in, so the documented file and the
//! built-in default cannot drift apart.

use jiff::civil::Time;
use throughline_connector::mapping::{KeyError, suggest};
use toml::{Table, Value};

/// The documented default mapping, as shipped in `mappings/asana.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../../mappings/asana.toml");

/// Where a work item's channel goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelAs {
    /// A tag named after the channel.
    Tag,
    /// The project's custom field with this name (drop-down or text).
    CustomField(String),
    /// The channel is not written.
    None,
}

/// How a blocked task shows in Asana.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockedAs {
    /// A tag with this name (created when missing).
    Tag(String),
    /// This option of the project's drop-down custom field of this name.
    Field {
        /// The drop-down custom field's name.
        field: String,
        /// The option's name that means blocked.
        option: String,
    },
    /// Asana does not show blocked: a blocked task reads as not done.
    None,
}

/// How tasks look in an Asana project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsanaMapping {
    /// Create the section of a stage when the project lacks it (else refuse the task).
    pub create_sections: bool,
    /// `Some(time)`: write `due_at` at that time of day in the process time zone.
    pub due_time: Option<Time>,
    /// Write `start_on`.
    pub start: bool,
    /// Name of the project text custom field that carries identity under a personal token.
    pub identity_field: String,
    /// The notes marker (`throughline:`) that carries identity when nothing else can.
    pub marker: String,
    /// Where a work item's channel goes.
    pub channel: ChannelAs,
    /// The tag that marks archived tasks and subtasks.
    pub archive_tag: String,
    /// Where blocked shows.
    pub blocked: BlockedAs,
    /// The project's text custom field that holds a blocked task's reason, when it has one.
    pub blocked_reason_field: Option<String>,
}

/// A mapping value that cannot be used: the dotted key and a sentence that names it.
pub type MappingError = KeyError;

fn err(key: &str, message: impl Into<String>) -> MappingError {
    KeyError::new(key, message)
}

impl Default for AsanaMapping {
    fn default() -> Self {
        let table: Table = DEFAULT_TOML
            .parse()
            .expect("mappings/asana.toml is valid TOML");
        Self::read(&table, &Self::builtin()).expect("mappings/asana.toml is a valid mapping")
    }
}

impl AsanaMapping {
    /// What a key takes when neither the user's file nor the shipped file sets it.
    fn builtin() -> AsanaMapping {
        AsanaMapping {
            create_sections: true,
            due_time: None,
            start: true,
            identity_field: "throughline id".to_owned(),
            marker: "throughline:".to_owned(),
            channel: ChannelAs::Tag,
            archive_tag: "archived by throughline".to_owned(),
            blocked: BlockedAs::Tag("Blocked".to_owned()),
            blocked_reason_field: Some("Blocked reason".to_owned()),
        }
    }

    /// Read a mapping file's table (without `[task]` and `[drift]`, which the engine keeps;
    /// they are ignored if present). Keys left out keep the shipped default.
    pub fn from_toml(table: &Table) -> Result<AsanaMapping, MappingError> {
        Self::read(table, &AsanaMapping::default())
    }

    fn read(table: &Table, base: &AsanaMapping) -> Result<AsanaMapping, MappingError> {
        let mut m = base.clone();
        for (key, value) in table {
            match key.as_str() {
                "granularity" => match str_of(value, "granularity")? {
                    "stage" => {}
                    "item" => {
                        return Err(err(
                            "granularity",
                            "`granularity = \"item\"` (a task per item with a subtask per stage) \
                             is not available yet; use \"stage\""
                                .to_owned(),
                        ));
                    }
                    other => {
                        return Err(err(
                            "granularity",
                            format!("`granularity = \"{other}\"` is not known; use \"stage\""),
                        ));
                    }
                },
                "sections" => {
                    for (k, v) in table_of(value, "sections")? {
                        match k.as_str() {
                            "create_missing" => {
                                m.create_sections = bool_of(v, "sections.create_missing")?
                            }
                            other => return Err(unknown("sections", other, &["create_missing"])),
                        }
                    }
                }
                "dates" => read_dates(&mut m, table_of(value, "dates")?)?,
                "identity" => read_identity(&mut m, table_of(value, "identity")?)?,
                "channel" => read_channel(&mut m, base, table_of(value, "channel")?)?,
                "archive" => {
                    for (k, v) in table_of(value, "archive")? {
                        match k.as_str() {
                            "tag" => {
                                let tag = str_of(v, "archive.tag")?.trim();
                                if tag.is_empty() {
                                    return Err(err(
                                        "archive.tag",
                                        "`archive.tag` needs a tag name",
                                    ));
                                }
                                m.archive_tag = tag.to_owned();
                            }
                            other => return Err(unknown("archive", other, &["tag"])),
                        }
                    }
                }
                "blocked" => read_blocked(&mut m, table_of(value, "blocked")?)?,
                // The engine's own tables.
                "task" | "drift" => {}
                other => return Err(unknown_top(other)),
            }
        }
        Ok(m)
    }
}

/// A key an Asana mapping does not have, with the nearest one it has.
fn unknown_top(other: &str) -> MappingError {
    const TOP: [&str; 9] = [
        "granularity",
        "sections",
        "dates",
        "identity",
        "channel",
        "archive",
        "blocked",
        "task",
        "drift",
    ];
    let message = match suggest(other, TOP) {
        Some(near) => format!("unknown key `{other}`; did you mean `{near}`?"),
        None => format!(
            "unknown key `{other}`; an Asana mapping has granularity, [sections], \
             [dates], [identity], [channel], [archive], [blocked] (and [task], \
             [drift])"
        ),
    };
    MappingError {
        key: other.to_owned(),
        message,
        unknown: true,
    }
}

/// `[dates]`: `due_time` (a time of day, or empty for none) and `start`.
fn read_dates(m: &mut AsanaMapping, t: &Table) -> Result<(), MappingError> {
    for (k, v) in t {
        match k.as_str() {
            "due_time" => {
                let text = str_of(v, "dates.due_time")?.trim();
                m.due_time = if text.is_empty() {
                    None
                } else {
                    Some(parse_time(text)?)
                };
            }
            "start" => m.start = bool_of(v, "dates.start")?,
            other => return Err(unknown("dates", other, &["due_time", "start"])),
        }
    }
    Ok(())
}

/// `[identity]`: the custom field and the marker word that carry a task's identity.
fn read_identity(m: &mut AsanaMapping, t: &Table) -> Result<(), MappingError> {
    for (k, v) in t {
        match k.as_str() {
            "custom_field" => m.identity_field = str_of(v, "identity.custom_field")?.to_owned(),
            "marker" => {
                let marker = str_of(v, "identity.marker")?.trim();
                if marker.is_empty() || marker.contains('\n') {
                    return Err(err(
                        "identity.marker",
                        "`identity.marker` must be a short word on one line, \
                         like \"throughline:\""
                            .to_owned(),
                    ));
                }
                m.marker = marker.to_owned();
            }
            other => {
                return Err(unknown("identity", other, &["custom_field", "marker"]));
            }
        }
    }
    Ok(())
}

/// `[channel]`: a tag, a custom field (named by `custom_field`, else as before, else
/// "Channel") or none.
fn read_channel(m: &mut AsanaMapping, base: &AsanaMapping, t: &Table) -> Result<(), MappingError> {
    let field = match t.get("custom_field") {
        Some(v) => str_of(v, "channel.custom_field")?.to_owned(),
        None => match &base.channel {
            ChannelAs::CustomField(name) => name.clone(),
            _ => "Channel".to_owned(),
        },
    };
    for k in t.keys() {
        if !["as", "custom_field"].contains(&k.as_str()) {
            return Err(unknown("channel", k, &["as", "custom_field"]));
        }
    }
    if let Some(v) = t.get("as") {
        m.channel = match str_of(v, "channel.as")? {
            "tag" => ChannelAs::Tag,
            "custom-field" => ChannelAs::CustomField(field),
            "none" => ChannelAs::None,
            other => {
                return Err(err(
                    "channel.as",
                    format!(
                        "`channel.as = \"{other}\"` is not known; use \"tag\", \
                     \"custom-field\" or \"none\""
                    ),
                ));
            }
        };
    } else if let ChannelAs::CustomField(_) = m.channel {
        m.channel = ChannelAs::CustomField(field);
    }
    Ok(())
}

/// `[blocked]`: `as` = "tag" (`tag`), "custom-field" (`custom_field`'s option `option`) or
/// "none"; `reason_field`, a text custom field ("" = none).
fn read_blocked(m: &mut AsanaMapping, t: &Table) -> Result<(), MappingError> {
    const KEYS: [&str; 5] = ["as", "tag", "custom_field", "option", "reason_field"];
    for k in t.keys() {
        if !KEYS.contains(&k.as_str()) {
            return Err(unknown("blocked", k, &KEYS));
        }
    }
    let name = |key: &str, current: Option<&str>, default: &str| -> Result<String, MappingError> {
        let text = match t.get(key) {
            Some(v) => str_of(v, &format!("blocked.{key}"))?.trim().to_owned(),
            None => current.unwrap_or(default).to_owned(),
        };
        if text.is_empty() {
            return Err(err(
                &format!("blocked.{key}"),
                format!("`blocked.{key}` needs a name, like \"{default}\""),
            ));
        }
        Ok(text)
    };
    let (tag, field, option) = match &m.blocked {
        BlockedAs::Tag(tag) => (Some(tag.as_str()), None, None),
        BlockedAs::Field { field, option } => (None, Some(field.as_str()), Some(option.as_str())),
        BlockedAs::None => (None, None, None),
    };
    let kind = match t.get("as") {
        Some(v) => str_of(v, "blocked.as")?,
        None => match m.blocked {
            BlockedAs::Tag(_) => "tag",
            BlockedAs::Field { .. } => "custom-field",
            BlockedAs::None => "none",
        },
    };
    let blocked = match kind {
        "tag" => BlockedAs::Tag(name("tag", tag, "Blocked")?),
        "custom-field" => BlockedAs::Field {
            field: name("custom_field", field, "Status")?,
            option: name("option", option, "Blocked")?,
        },
        "none" => BlockedAs::None,
        other => {
            return Err(err(
                "blocked.as",
                format!(
                    "`blocked.as = \"{other}\"` is not known; use \"tag\", \"custom-field\" or \"none\""
                ),
            ));
        }
    };
    if let Some(v) = t.get("reason_field") {
        let text = str_of(v, "blocked.reason_field")?.trim();
        m.blocked_reason_field = (!text.is_empty()).then(|| text.to_owned());
    }
    m.blocked = blocked;
    Ok(())
}

fn unknown(table: &str, key: &str, known: &[&str]) -> MappingError {
    let message = match suggest(key, known.iter().copied()) {
        Some(near) => format!("unknown key `{table}.{key}`; did you mean `{near}`?"),
        None => format!(
            "unknown key `{table}.{key}`; use {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    MappingError {
        key: format!("{table}.{key}"),
        message,
        unknown: true,
    }
}

fn table_of<'v>(value: &'v Value, key: &str) -> Result<&'v Table, MappingError> {
    value
        .as_table()
        .ok_or_else(|| err(key, format!("`{key}` must be a table, like [{key}]")))
}

fn str_of<'v>(value: &'v Value, key: &str) -> Result<&'v str, MappingError> {
    value
        .as_str()
        .ok_or_else(|| err(key, format!("`{key}` must be text in quotes")))
}

fn bool_of(value: &Value, key: &str) -> Result<bool, MappingError> {
    value
        .as_bool()
        .ok_or_else(|| err(key, format!("`{key}` must be true or false")))
}

fn parse_time(text: &str) -> Result<Time, MappingError> {
    let bad = || {
        err(
            "dates.due_time",
            format!(
                "`dates.due_time = \"{text}\"` is not a time of day; write it as \"HH:MM\", e.g. \
             \"17:00\", or \"\" for a plain due date"
            ),
        )
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AsanaMapping, MappingError> {
        AsanaMapping::from_toml(&text.parse::<Table>().unwrap())
    }

    #[test]
    fn the_shipped_file_is_the_default() {
        let m = AsanaMapping::default();
        assert!(m.create_sections && m.start);
        assert_eq!(m.due_time, None);
        assert_eq!(m.identity_field, "throughline id");
        assert_eq!(m.marker, "throughline:");
        assert_eq!(m.channel, ChannelAs::Tag);
        assert_eq!(m.archive_tag, "archived by throughline");
        assert_eq!(m.blocked, BlockedAs::Tag("Blocked".into()));
        assert_eq!(m.blocked_reason_field.as_deref(), Some("Blocked reason"));
        assert_eq!(parse("").unwrap(), m);
    }

    #[test]
    fn keys_override_the_default() {
        let m = parse(
            r#"
            [dates]
            due_time = "17:30"
            start = false
            [channel]
            as = "custom-field"
            custom_field = "ערוץ"
            [archive]
            tag = "בארכיון"
            "#,
        )
        .unwrap();
        assert_eq!(m.due_time, Some(Time::constant(17, 30, 0, 0)));
        assert!(!m.start);
        assert_eq!(m.channel, ChannelAs::CustomField("ערוץ".into()));
        assert_eq!(m.archive_tag, "בארכיון");
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            ("granularity = \"item\"", "not available yet"),
            ("granularity = \"card\"", "`granularity = \"card\"`"),
            ("[dates]\ndue_time = \"5pm\"", "HH:MM"),
            ("[dates]\ndue_time = \"25:00\"", "HH:MM"),
            (
                "[dates]\nstart = \"yes\"",
                "`dates.start` must be true or false",
            ),
            ("[sections]\nper_list = true", "`sections.per_list`"),
            (
                "[channel]\nas = \"label\"",
                "\"tag\", \"custom-field\" or \"none\"",
            ),
            ("boards = 1", "unknown key `boards`"),
            ("[identity]\nmarker = \"\"", "`identity.marker`"),
            ("[blocked]\nas = \"label\"", "`blocked.as = \"label\"`"),
            ("[blocked]\ntag = \"\"", "`blocked.tag` needs a name"),
            ("[blocked]\nreason = \"x\"", "unknown key `blocked.reason`"),
        ];
        for (text, want) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn blocked_is_a_tag_a_field_option_or_nothing() {
        let m = parse("[blocked]\nas = \"custom-field\"\ncustom_field = \"Stage state\"\noption = \"תקוע\"\nreason_field = \"\"").unwrap();
        assert_eq!(
            m.blocked,
            BlockedAs::Field {
                field: "Stage state".into(),
                option: "תקוע".into()
            }
        );
        assert_eq!(m.blocked_reason_field, None);
        assert_eq!(
            parse("[blocked]\nas = \"none\"").unwrap().blocked,
            BlockedAs::None
        );
        assert_eq!(
            parse("[blocked]\ntag = \"On hold\"").unwrap().blocked,
            BlockedAs::Tag("On hold".into())
        );
    }

    #[test]
    fn engine_tables_are_ignored() {
        let m = parse("[task]\ntitle = \"{item}\"\n[drift]\ndefault = \"accept\"").unwrap();
        assert_eq!(m, AsanaMapping::default());
    }
}
