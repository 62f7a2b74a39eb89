//! The identity of a task (`item/stage`, like `spring-sale/copy`) or of a checklist entry
//! (`item/stage/key`, like `spring-sale/copy/outline`), read and written in one place.
//!
//! Identities travel as text (the crate's [`crate::Identity`] alias: in the state store, in
//! changes, in the marker a tool keeps), and the model's ids hold no `/` (letters, digits,
//! `-`, `_`, `.`; a cadence item adds `@date`; an entry's key is its id or a slug of its
//! text). So the parts are what lies between the slashes, and a text with other than two or
//! three non-empty parts is not an identity. Code that needs a part parses the text with
//! [`Identity::parse`] instead of splitting it by hand, and code that makes one writes
//! [`Identity::task`] or [`Identity::with_key`] and displays it.

use std::fmt;
use std::str::FromStr;

/// A parsed task or checklist entry identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    item: String,
    stage: String,
    /// The entry's key; `None` for a task.
    key: Option<String>,
}

/// Why a text is not an identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "`{identity}` is not a task or checklist entry identity: it has {parts} part(s) between slashes; a task is `item/stage` (like `spring-sale/copy`) and an entry `item/stage/key` (like `spring-sale/copy/outline`)"
    )]
    /// Not two or three parts between slashes.
    Parts {
        /// The text as given.
        identity: String,
        /// How many parts it has.
        parts: usize,
    },
    #[error(
        "`{identity}` is not a task or checklist entry identity: its {part} is empty; a task is `item/stage` (like `spring-sale/copy`) and an entry `item/stage/key`"
    )]
    /// One of its parts is empty (`spring-sale//copy`).
    EmptyPart {
        /// The text as given.
        identity: String,
        /// Which part: `item`, `stage` or `key`.
        part: &'static str,
    },
}

impl Identity {
    /// The identity of the task of `stage` for `item`. The parts are the model's ids, which
    /// hold no `/` (see the module doc); one that did would not parse back.
    pub fn task(item: &str, stage: &str) -> Identity {
        Identity {
            item: item.to_owned(),
            stage: stage.to_owned(),
            key: None,
        }
    }

    /// The identity of the checklist entry `key` of this task (of the same task, for an
    /// entry).
    pub fn with_key(&self, key: &str) -> Identity {
        Identity {
            key: Some(key.to_owned()),
            ..self.task_identity()
        }
    }

    /// Read `item/stage` or `item/stage/key`.
    pub fn parse(text: &str) -> Result<Identity, IdentityError> {
        let parts: Vec<&str> = text.split('/').collect();
        let (item, stage, key) = match parts[..] {
            [item, stage] => (item, stage, None),
            [item, stage, key] => (item, stage, Some(key)),
            _ => {
                return Err(IdentityError::Parts {
                    identity: text.to_owned(),
                    parts: parts.len(),
                });
            }
        };
        let empty = [
            ("item", item),
            ("stage", stage),
            ("key", key.unwrap_or("-")),
        ]
        .into_iter()
        .find(|(_, part)| part.is_empty());
        if let Some((part, _)) = empty {
            return Err(IdentityError::EmptyPart {
                identity: text.to_owned(),
                part,
            });
        }
        Ok(Identity {
            item: item.to_owned(),
            stage: stage.to_owned(),
            key: key.map(str::to_owned),
        })
    }

    /// The item's id (`spring-sale`).
    pub fn item(&self) -> &str {
        &self.item
    }

    /// The stage's id (`copy`).
    pub fn stage(&self) -> &str {
        &self.stage
    }

    /// The entry's key; `None` for a task.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Whether this is a checklist entry's identity (rather than a task's).
    pub fn is_entry(&self) -> bool {
        self.key.is_some()
    }

    /// The identity of the task: itself for a task, the entry's task for an entry.
    pub fn task_identity(&self) -> Identity {
        Identity::task(&self.item, &self.stage)
    }

    /// The entry's key when this is an entry of `task` (a task identity as text).
    pub fn key_under(&self, task: &str) -> Option<&str> {
        let key = self.key.as_deref()?;
        let task = Identity::parse(task).ok()?;
        (!task.is_entry() && task.item == self.item && task.stage == self.stage).then_some(key)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.item, self.stage)?;
        if let Some(key) = &self.key {
            write!(f, "/{key}")?;
        }
        Ok(())
    }
}

impl FromStr for Identity {
    type Err = IdentityError;

    fn from_str(s: &str) -> Result<Identity, IdentityError> {
        Identity::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_and_an_entry_read_back_as_written() {
        let task = Identity::parse("spring-sale/copy").unwrap();
        assert_eq!(
            (task.item(), task.stage(), task.key()),
            ("spring-sale", "copy", None)
        );
        assert!(!task.is_entry());
        assert_eq!(task.to_string(), "spring-sale/copy");

        let entry: Identity = "spring-sale/copy/outline".parse().unwrap();
        assert_eq!(entry.key(), Some("outline"));
        assert!(entry.is_entry());
        assert_eq!(entry.task_identity(), task);
        assert_eq!(entry.to_string(), "spring-sale/copy/outline");
    }

    #[test]
    fn made_from_parts_it_displays_and_parses_back() {
        let task = Identity::task("weekly-tip@2026-12-01", "אישור");
        assert_eq!(task.to_string(), "weekly-tip@2026-12-01/אישור");
        let entry = task.with_key("two words~100%");
        assert_eq!(
            entry.to_string(),
            "weekly-tip@2026-12-01/אישור/two words~100%"
        );
        assert_eq!(Identity::parse(&entry.to_string()), Ok(entry.clone()));
        // An entry's key replaces the key, it does not nest.
        assert_eq!(
            entry.with_key("other").to_string(),
            "weekly-tip@2026-12-01/אישור/other"
        );
    }

    #[test]
    fn the_key_under_a_task_is_only_for_its_own_entries() {
        let entry = Identity::parse("a/copy/outline").unwrap();
        assert_eq!(entry.key_under("a/copy"), Some("outline"));
        assert_eq!(entry.key_under("a/design"), None);
        assert_eq!(entry.key_under("a"), None);
        assert_eq!(entry.key_under("a/copy/outline"), None);
        assert_eq!(Identity::parse("a/copy").unwrap().key_under("a/copy"), None);
    }

    #[test]
    fn what_is_not_an_identity_is_named() {
        for (text, says) in [
            ("", "1 part(s)"),
            ("spring-sale", "1 part(s)"),
            ("a/b/c/d", "4 part(s)"),
            ("/copy", "its item is empty"),
            ("a/", "its stage is empty"),
            ("a//c", "its stage is empty"),
            ("a/b/", "its key is empty"),
        ] {
            let e = Identity::parse(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text:?} gave {e:?}");
            assert!(e.contains(&format!("`{text}`")), "{e:?} names the text");
        }
    }
}
