//! Reading a connector's mapping file (`mappings/<tool>.toml`): walk its tables by dotted path so
//! every error names the key it is about, reject unknown keys (they are usually typos), and fall
//! back to the default mapping's value when a key is left out.
//!
//! Errors come back as [`KeyError`], the key and a plain sentence; each connector turns it into
//! its own error type, which says which mapping file it was.

use toml::{Table, Value};

/// A mapping value that cannot be used: the dotted key it was found under and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub key: String,
    pub message: String,
}

impl KeyError {
    pub fn new(key: &str, message: &str) -> KeyError {
        KeyError {
            key: key.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// A table of the mapping file with its dotted path, for error messages.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    table: &'a Table,
    path: String,
}

impl<'a> Node<'a> {
    /// The whole file.
    pub fn root(table: &'a Table) -> Node<'a> {
        Node {
            table,
            path: String::new(),
        }
    }

    /// The dotted path of `key` in this table, as error messages show it.
    pub fn key(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.table.get(key)
    }

    /// Fails on the first key not in `allowed`, listing the keys that are.
    pub fn only_keys(&self, allowed: &[&str]) -> Result<(), KeyError> {
        for key in self.table.keys() {
            if !allowed.contains(&key.as_str()) {
                let list: Vec<_> = allowed.iter().map(|k| format!("`{k}`")).collect();
                return Err(KeyError::new(
                    &self.key(key),
                    &format!("unknown key; known keys here: {}", list.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// The sub-table `[key]`; a missing one is an error only when `required`.
    pub fn child(&self, key: &str, required: bool) -> Result<Option<Node<'a>>, KeyError> {
        match self.table.get(key) {
            Some(Value::Table(t)) => Ok(Some(Node {
                table: t,
                path: self.key(key),
            })),
            Some(_) => Err(KeyError::new(&self.key(key), "must be a table ([section])")),
            None if required => Err(KeyError::new(&self.key(key), "is missing")),
            None => Ok(None),
        }
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, KeyError> {
        match self.table.get(key) {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(KeyError::new(
                &self.key(key),
                &format!("must be text in quotes, not {other}"),
            )),
            None => Ok(None),
        }
    }

    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, KeyError> {
        match self.table.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(KeyError::new(
                        &self.key(key),
                        &format!("must be a list of texts; {other} is not text"),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(KeyError::new(
                &self.key(key),
                &format!("must be a list like [\"a\", \"b\"], not {other}"),
            )),
            None => Ok(None),
        }
    }
}

/// One of a fixed set of words, e.g. `sheet_per = "process"`, from table `section` (which may
/// be absent); `base` is the default mapping's choice, `None` when every key is required.
pub fn pick<T: Copy>(
    section: &str,
    node: Option<&Node<'_>>,
    key: &str,
    base: Option<T>,
    choices: &[(&str, T)],
) -> Result<T, KeyError> {
    let Some(node) = node else {
        return required(base, &format!("{section}.{key}"));
    };
    match node.string(key)? {
        Some(s) => choices
            .iter()
            .find(|(name, _)| *name == s.trim())
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let allowed: Vec<_> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                KeyError::new(
                    &node.key(key),
                    &format!("\"{s}\" is not one of {}", allowed.join(", ")),
                )
            }),
        None => required(base, &node.key(key)),
    }
}

/// The default mapping's value for a key left out; with no default the key is missing.
pub fn required<T>(value: Option<T>, key: &str) -> Result<T, KeyError> {
    value.ok_or_else(|| KeyError::new(key, "is missing"))
}

/// Text compared the way people expect: case and surrounding/inner extra spaces ignored.
pub fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn errors_name_the_dotted_key() {
        let t = table("[layout]\nsheet_per = 3\ncolumns = [\"id\", 1]\nextra = 1\n");
        let root = Node::root(&t);
        let layout = root.child("layout", true).unwrap().unwrap();
        assert_eq!(
            layout.string("sheet_per").unwrap_err(),
            KeyError::new("layout.sheet_per", "must be text in quotes, not 3")
        );
        assert_eq!(
            layout.strings("columns").unwrap_err(),
            KeyError::new("layout.columns", "must be a list of texts; 1 is not text")
        );
        assert_eq!(
            layout.only_keys(&["sheet_per", "columns"]).unwrap_err(),
            KeyError::new(
                "layout.extra",
                "unknown key; known keys here: `sheet_per`, `columns`"
            )
        );
        assert_eq!(
            root.child("status", true).unwrap_err(),
            KeyError::new("status", "is missing")
        );
        assert!(root.child("status", false).unwrap().is_none());
    }

    #[test]
    fn pick_falls_back_to_the_default_and_lists_the_choices() {
        let t = table("[layout]\nid_column = \"wide\"\n");
        let root = Node::root(&t);
        let layout = root.child("layout", true).unwrap();
        let choices = [("narrow", 1), ("hidden", 2)];
        assert_eq!(
            pick("layout", layout.as_ref(), "id_column", Some(1), &choices).unwrap_err(),
            KeyError::new(
                "layout.id_column",
                "\"wide\" is not one of \"narrow\", \"hidden\""
            )
        );
        assert_eq!(
            pick("layout", layout.as_ref(), "sheet_per", Some(2), &choices),
            Ok(2)
        );
        assert_eq!(
            pick("layout", None, "sheet_per", None, &choices).unwrap_err(),
            KeyError::new("layout.sheet_per", "is missing")
        );
    }

    #[test]
    fn norm_ignores_case_and_extra_spaces() {
        assert_eq!(norm("  In   Progress "), "in progress");
        assert_eq!(norm("בוצע  "), "בוצע");
    }
}
