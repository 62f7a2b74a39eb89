//! The line at the end of a card's description that says which task the card is:
//!
//! ```text
//! throughline: spring-sale/copy · outline~3f2a sources~91bc
//! ```
//!
//! After the identity come the card's checklist entries: each entry's key (the last part of its
//! identity) and a short hash of the text it was given. Trello check items carry no field of
//! their own for an identity, and a card copied from a template gets new check item ids, so
//! items are recognised by their text's hash; when a person retypes an item, the remaining
//! keys and items are paired in order, and only when they are as many.

use std::collections::BTreeMap;

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use throughline_connector::identity::Identity;

/// The word a marker line starts with, e.g. `throughline: spring-sale/copy · outline~3f2a`.
pub const PREFIX: &str = "throughline:";
const SEPARATOR: &str = " · ";

/// What a card's marker says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Marker {
    /// The task's identity (`item/stage`, e.g. `spring-sale/copy`).
    pub identity: String,
    /// Entry key → hash of its text, in the order the entries were written.
    pub entries: Vec<(String, String)>,
}

impl Marker {
    /// The marker of a task with no entries yet.
    pub fn new(identity: &str) -> Self {
        Marker {
            identity: identity.to_owned(),
            entries: Vec::new(),
        }
    }

    /// The key an entry identity is listed under: its key when it is an entry of this task,
    /// else the whole identity.
    pub fn key_of(&self, entry_identity: &str) -> String {
        Identity::parse(entry_identity)
            .ok()
            .and_then(|e| e.key_under(&self.identity).map(str::to_owned))
            .unwrap_or_else(|| entry_identity.to_owned())
    }

    /// The entry identity a listed key stands for: a whole entry identity as it is (an entry
    /// of another task), else the entry of this task with that key; `None` when the key or the
    /// marker's identity is damaged.
    pub fn identity_of(&self, key: &str) -> Option<String> {
        match Identity::parse(key) {
            Ok(whole) => whole.is_entry().then(|| whole.to_string()),
            Err(_) if key.contains('/') => None,
            Err(_) => {
                let task = Identity::parse(&self.identity).ok()?;
                (!task.is_entry()).then(|| task.with_key(key).to_string())
            }
        }
    }

    /// Add or replace an entry.
    pub fn set(&mut self, entry_identity: &str, text: &str) {
        let key = self.key_of(entry_identity);
        let hash = text_hash(text);
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(e) => e.1 = hash,
            None => self.entries.push((key, hash)),
        }
    }

    /// The marker as the last line of a card's description: the prefix, the identity and,
    /// after `·`, each entry as `key~hash`.
    pub fn line(&self) -> String {
        let mut line = format!("{PREFIX} {}", self.identity);
        if !self.entries.is_empty() {
            line.push_str(SEPARATOR);
            let parts: Vec<String> = self
                .entries
                .iter()
                .map(|(k, h)| format!("{}~{h}", escape(k)))
                .collect();
            line.push_str(&parts.join(" "));
        }
        line
    }

    /// Pair check items (text, in checklist order) with the listed entries: by text hash
    /// first, then, if exactly as many keys as items are left, in order. Returns the entry
    /// identity for each item.
    pub fn match_items(&self, texts: &[&str]) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = vec![None; texts.len()];
        let hashes: Vec<String> = texts.iter().map(|t| text_hash(t)).collect();
        let mut unmatched_keys = Vec::new();
        for (key, hash) in &self.entries {
            match (0..texts.len()).find(|&i| out[i].is_none() && hashes[i] == *hash) {
                Some(i) => out[i] = self.identity_of(key),
                None => unmatched_keys.push(key),
            }
        }
        let free: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
        if !unmatched_keys.is_empty() && free.len() == unmatched_keys.len() {
            for (i, key) in free.into_iter().zip(unmatched_keys) {
                out[i] = self.identity_of(key);
            }
        }
        out
    }
}

/// Four hex digits of FNV-1a over the text.
pub fn text_hash(text: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.as_bytes() {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{:04x}", (h ^ (h >> 16)) & 0xffff)
}

/// A description split into what people read and the marker at its end.
///
/// The marker is trusted only where throughline writes it: the last line, alone or after a
/// blank line, in exactly the form [`Marker::line`] writes. A marker line a person copied into
/// another card's text, indented, or glued to the line above is text, so that card is not
/// adopted as another task when the state is lost. Whitespace after the marker is forgiven (an
/// editor's trailing newline).
pub fn split(desc: &str) -> (String, Option<Marker>) {
    let trimmed = desc.trim_end();
    let (before, last) = match trimmed.rfind('\n') {
        Some(at) => (Some(&trimmed[..at]), &trimmed[at + 1..]),
        None => (None, trimmed),
    };
    let Some(marker) = parse_line(last).filter(|m| m.line() == last) else {
        return (desc.to_owned(), None);
    };
    let body = match before {
        None => "",
        // The blank line throughline puts before the marker is not part of the text.
        Some(before) => {
            let before = before.strip_suffix('\r').unwrap_or(before);
            let Some(body) = before
                .strip_suffix('\n')
                .or((before.is_empty()).then_some(""))
            else {
                return (desc.to_owned(), None);
            };
            body.strip_suffix('\r').unwrap_or(body)
        }
    };
    (body.to_owned(), Some(marker))
}

fn parse_line(line: &str) -> Option<Marker> {
    let rest = line.trim().strip_prefix(PREFIX)?.trim();
    let (identity, entries) = match rest.split_once(SEPARATOR.trim()) {
        Some((id, entries)) => (id.trim(), entries.trim()),
        None => (rest, ""),
    };
    if identity.is_empty() || identity.contains(char::is_whitespace) {
        return None;
    }
    let mut marker = Marker::new(identity);
    let mut seen = BTreeMap::new();
    for token in entries.split_whitespace() {
        if let Some((key, hash)) = token.rsplit_once('~')
            && !key.is_empty()
            && seen.insert(key.to_owned(), ()).is_none()
        {
            marker.entries.push((unescape(key), hash.to_owned()));
        }
    }
    Some(marker)
}

/// Keys are single words in the line: spaces, `~`, `%` and `·` are written as `%XX`.
fn escape(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        if c.is_whitespace() || matches!(c, '~' | '%' | '·') {
            let mut buf = [0u8; 4];
            out.extend(percent_encode(
                c.encode_utf8(&mut buf).as_bytes(),
                NON_ALPHANUMERIC,
            ));
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape(key: &str) -> String {
    percent_decode_str(key).decode_utf8_lossy().into_owned()
}

/// The description to write: the text, a blank line, the marker.
pub fn join(body: &str, marker: &Marker) -> String {
    if body.is_empty() {
        marker.line()
    } else {
        format!("{body}\n\n{}", marker.line())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker() -> Marker {
        let mut m = Marker::new("spring-sale/copy");
        m.set("spring-sale/copy/outline", "Outline the piece");
        m.set("spring-sale/copy/אישור", "אישור הבריף");
        m
    }

    #[test]
    fn keys_with_spaces_and_tildes_stay_one_word() {
        let mut m = Marker::new("a/copy");
        m.set("a/copy/two words~100%", "x");
        let (_, back) = split(&join("", &m));
        assert_eq!(back.unwrap().entries[0].0, "two words~100%");
        assert_eq!(m.line().split_whitespace().count(), 4);
    }

    #[test]
    fn descriptions_round_trip_with_their_marker() {
        for body in [
            "",
            "one line",
            "two\nlines",
            "ends with newline\n",
            "שורה\n\nעם רווח",
            "  ",
        ] {
            let desc = join(body, &marker());
            let (back, m) = split(&desc);
            assert_eq!(back, body, "{desc:?}");
            assert_eq!(m, Some(marker()));
        }
        assert!(join("x", &marker()).ends_with(&format!(
            "throughline: spring-sale/copy · outline~{} אישור~{}",
            text_hash("Outline the piece"),
            text_hash("אישור הבריף")
        )));
    }

    #[test]
    fn a_description_without_marker_is_all_text() {
        for desc in [
            "",
            "hello",
            "throughline is great\nreally",
            "throughline:",
            "a\nthroughline: two words",
        ] {
            assert_eq!(split(desc), (desc.to_owned(), None), "{desc:?}");
        }
        let (_, m) = split("x\n\nthroughline: weekly-tip@2026-12-01/copy  \n");
        assert_eq!(m.unwrap().identity, "weekly-tip@2026-12-01/copy");
        let (_, m) = split("x\r\n\r\nthroughline: a/copy");
        assert_eq!(m.unwrap().identity, "a/copy");
    }

    #[test]
    fn a_marker_is_trusted_only_where_and_as_throughline_writes_it() {
        let real = join("Brief", &marker());
        for desc in [
            // Copied into the middle of another card's text.
            format!("{real}\nMy own notes below."),
            // Glued to the line above.
            format!("Brief\n{}", marker().line()),
            // Indented, or with a doubled space.
            format!("Brief\n\n  {}", marker().line()),
            "Brief\n\nthroughline:  spring-sale/copy".to_string(),
            // Entries not as throughline writes them.
            "Brief\n\nthroughline: spring-sale/copy · ".to_string(),
            "Brief\n\nthroughline: spring-sale/copy ·  outline~3f2a".to_string(),
        ] {
            assert_eq!(split(&desc), (desc.clone(), None), "{desc:?}");
        }
        assert_eq!(split(&real).1, Some(marker()));
    }

    #[test]
    fn keys_are_listed_under_the_task_and_read_back_as_entries() {
        let m = marker();
        assert_eq!(m.key_of("spring-sale/copy/outline"), "outline");
        // An entry of another task is listed whole, and read back whole.
        assert_eq!(
            m.key_of("spring-sale/design/outline"),
            "spring-sale/design/outline"
        );
        assert_eq!(
            m.identity_of("spring-sale/design/outline").as_deref(),
            Some("spring-sale/design/outline")
        );
        assert_eq!(
            m.identity_of("two words").as_deref(),
            Some("spring-sale/copy/two words")
        );
        // Damaged: a key that is neither a key nor an entry, or a marker that names no task.
        assert_eq!(m.identity_of("a/b"), None);
        assert_eq!(m.identity_of("a/b/c/d"), None);
        assert_eq!(Marker::new("spring-sale").identity_of("outline"), None);
    }

    #[test]
    fn items_are_matched_by_text_then_in_order() {
        let m = marker();
        let id = |k: &str| Some(format!("spring-sale/copy/{k}"));
        // Reordered by a person: still right.
        assert_eq!(
            m.match_items(&["אישור הבריף", "Outline the piece"]),
            vec![id("אישור"), id("outline")]
        );
        // One retyped by a person: paired in order.
        assert_eq!(
            m.match_items(&["Outline the piece!", "אישור הבריף"]),
            vec![id("outline"), id("אישור")]
        );
        // A person's own item and a retyped one: the own item is nobody's, the retyped one
        // cannot be told apart from it, so neither is claimed.
        assert_eq!(
            m.match_items(&["Call Bob", "Outline it", "אישור הבריף"]),
            vec![None, None, id("אישור")]
        );
    }
}
