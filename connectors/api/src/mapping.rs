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
    /// The dotted key, as the mapping file writes it (`status.words.done`).
    pub key: String,
    /// What is wrong, as a plain sentence.
    pub message: String,
    /// The key itself is the mistake (a typo, a section the mapping has no use for), so a
    /// location points at the key rather than at its value.
    pub unknown: bool,
}

impl KeyError {
    /// An error about the value under `key` (not the key itself).
    pub fn new(key: &str, message: impl Into<String>) -> KeyError {
        KeyError {
            key: key.to_owned(),
            message: message.into(),
            unknown: false,
        }
    }

    /// `name` (at the dotted `key`) is not one of `allowed`: "unknown key; did you mean
    /// `tab`?", or the list of the keys there are.
    pub fn unknown_key(key: &str, name: &str, allowed: &[&str]) -> KeyError {
        let message = match suggest(name, allowed.iter().copied()) {
            Some(near) => format!("unknown key; did you mean `{near}`?"),
            None => {
                let list: Vec<_> = allowed.iter().map(|k| format!("`{k}`")).collect();
                format!("unknown key; known keys here: {}", list.join(", "))
            }
        };
        KeyError {
            key: key.to_owned(),
            message,
            unknown: true,
        }
    }
}

/// The sentence with the key in it, once: "unknown key `layout.tabb`; did you mean `tab`?",
/// "`layout.columns`: unknown column \"tsk\"; ...", or the message itself when it already
/// names the key its own way (`people."dana@example.com"`, `[colors]`).
impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = &self.key;
        if let Some(rest) = self.message.strip_prefix("unknown key;") {
            return write!(f, "unknown key `{key}`;{rest}");
        }
        let section = key.split('.').next().unwrap_or(key);
        if self.message.contains(&format!("`{section}"))
            || self.message.contains(&format!("`[{section}"))
        {
            return f.write_str(&self.message);
        }
        write!(f, "`{key}`: {}", self.message)
    }
}

impl std::error::Error for KeyError {}

/// The candidate closest to `word` when it is close enough to be a likely typo.
pub fn suggest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let word_lower = word.to_lowercase();
    // Short words are only "close" by one edit: two edits turn most 4-letter words into others.
    let limit = match word.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word_lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edits between two words, over characters, where swapping two neighbours counts as one
/// (optimal string alignment): `idae` is one edit from `idea`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// The keys a dotted path names in `table`: `people.dana@example.com` is `["people",
/// "dana@example.com"]` when `people` holds that key, dots and all. `None` when some part of
/// the path is not there.
pub fn key_path(table: &Table, dotted: &str) -> Option<Vec<String>> {
    let mut path = Vec::new();
    let mut table = table;
    let mut rest = dotted;
    loop {
        // The longest key of this table that the rest starts with, as a whole part.
        let key = table
            .keys()
            .filter(|k| {
                rest == k.as_str()
                    || (rest.starts_with(k.as_str()) && rest[k.len()..].starts_with('.'))
            })
            .max_by_key(|k| k.len())?;
        path.push(key.clone());
        if rest.len() == key.len() {
            return Some(path);
        }
        rest = &rest[key.len() + 1..];
        table = table.get(key)?.as_table()?;
    }
}

/// Every problem `read` finds in a mapping, not just the first: each key found wrong is left
/// out (so the default stands in for it) and the mapping read again, until it reads or a
/// problem names no key that is there.
pub fn every_problem(
    table: &Table,
    read: impl Fn(&Table) -> Result<(), KeyError>,
) -> Vec<KeyError> {
    let mut table = table.clone();
    let mut problems = Vec::new();
    while let Err(problem) = read(&table) {
        let path = key_path(&table, &problem.key);
        problems.push(problem);
        let Some(path) = path else { break };
        let (last, parents) = path.split_last().expect("a path has a key");
        let mut at = &mut table;
        for key in parents {
            match at.get_mut(key).and_then(Value::as_table_mut) {
                Some(t) => at = t,
                None => return problems,
            }
        }
        at.remove(last);
    }
    problems
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

    /// The raw value under `key` in this table, if any.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.table.get(key)
    }

    /// Fails on the first key not in `allowed`, with the likely one or the list of them.
    pub fn only_keys(&self, allowed: &[&str]) -> Result<(), KeyError> {
        for key in self.table.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(KeyError::unknown_key(&self.key(key), key, allowed));
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

    /// The text under `key`; `None` when missing, an error when it is not text.
    pub fn string(&self, key: &str) -> Result<Option<String>, KeyError> {
        match self.table.get(key) {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(KeyError::new(
                &self.key(key),
                format!("must be text in quotes, not {other}"),
            )),
            None => Ok(None),
        }
    }

    /// The list of texts under `key`; `None` when missing, an error when it is not a list of texts.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, KeyError> {
        match self.table.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(KeyError::new(
                        &self.key(key),
                        format!("must be a list of texts; {other} is not text"),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(KeyError::new(
                &self.key(key),
                format!("must be a list like [\"a\", \"b\"], not {other}"),
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
                    format!("\"{s}\" is not one of {}", allowed.join(", ")),
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
        let extra = layout.only_keys(&["sheet_per", "columns"]).unwrap_err();
        assert_eq!(extra.key, "layout.extra");
        assert_eq!(
            extra.message,
            "unknown key; known keys here: `sheet_per`, `columns`"
        );
        assert!(extra.unknown);
        let typo = layout.only_keys(&["sheet_per", "column"]).unwrap_err();
        assert_eq!(typo.message, "unknown key; did you mean `column`?");
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
    fn dotted_keys_find_keys_with_dots_in_them() {
        let t =
            table("[people]\n\"dana@example.co.il\" = \"dana\"\n[status.en]\ndone = \"Done\"\n");
        assert_eq!(
            key_path(&t, "people.dana@example.co.il"),
            Some(vec!["people".into(), "dana@example.co.il".into()])
        );
        assert_eq!(
            key_path(&t, "status.en.done"),
            Some(vec!["status".into(), "en".into(), "done".into()])
        );
        assert_eq!(key_path(&t, "status.he"), None);
        assert_eq!(key_path(&t, "layout"), None);
    }

    #[test]
    fn every_problem_is_found_one_key_at_a_time() {
        let t = table("[layout]\ntabb = 1\ncolumns = 3\n[extra]\n");
        let read = |t: &Table| {
            let root = Node::root(t);
            root.only_keys(&["layout"])?;
            let layout = root.child("layout", true)?.expect("required");
            layout.only_keys(&["tab", "columns"])?;
            layout.strings("columns")?;
            Ok(())
        };
        let keys: Vec<String> = every_problem(&t, read).into_iter().map(|e| e.key).collect();
        assert_eq!(keys, ["extra", "layout.tabb", "layout.columns"]);
        // A problem about a key that is not there ends the search instead of looping.
        let missing = every_problem(&table(""), read);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].message, "is missing");
    }

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(suggest("ower", ["owner", "days"]), Some("owner"));
        assert_eq!(suggest("colour", ["owner", "days"]), None);
        assert_eq!(edit_distance("idae", "idea"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn norm_ignores_case_and_extra_spaces() {
        assert_eq!(norm("  In   Progress "), "in progress");
        assert_eq!(norm("בוצע  "), "בוצע");
    }
}
