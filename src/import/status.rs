//! A row's status as teams write it: a Status column ("Done", "In progress", "בוצע"), a Done
//! column (a tick, TRUE, "x", "yes"), or a progress percentage. What an import records of it:
//! see [`super::Plan::write`].

use super::columns::normalize;
use super::grid::Value;

/// Where a row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowStatus {
    Todo,
    Doing,
    Blocked,
    Done,
}

impl RowStatus {
    pub fn word(self) -> &'static str {
        match self {
            RowStatus::Todo => "to do",
            RowStatus::Doing => "doing",
            RowStatus::Blocked => "blocked",
            RowStatus::Done => "done",
        }
    }
}

/// Status words, English and Hebrew, normalised ([`normalize`]).
pub const WORDS: &[(&str, RowStatus)] = &[
    ("done", RowStatus::Done),
    ("complete", RowStatus::Done),
    ("completed", RowStatus::Done),
    ("finished", RowStatus::Done),
    ("closed", RowStatus::Done),
    ("published", RowStatus::Done),
    ("posted", RowStatus::Done),
    ("live", RowStatus::Done),
    ("shipped", RowStatus::Done),
    ("delivered", RowStatus::Done),
    ("approved", RowStatus::Done),
    ("yes", RowStatus::Done),
    ("y", RowStatus::Done),
    ("x", RowStatus::Done),
    ("v", RowStatus::Done),
    ("✓", RowStatus::Done),
    ("✔", RowStatus::Done),
    ("✅", RowStatus::Done),
    ("true", RowStatus::Done),
    ("100%", RowStatus::Done),
    ("בוצע", RowStatus::Done),
    ("בוצעה", RowStatus::Done),
    ("הושלם", RowStatus::Done),
    ("הושלמה", RowStatus::Done),
    ("גמור", RowStatus::Done),
    ("סגור", RowStatus::Done),
    ("פורסם", RowStatus::Done),
    ("כן", RowStatus::Done),
    ("in progress", RowStatus::Doing),
    ("doing", RowStatus::Doing),
    ("working on it", RowStatus::Doing),
    ("started", RowStatus::Doing),
    ("ongoing", RowStatus::Doing),
    ("in review", RowStatus::Doing),
    ("scheduled", RowStatus::Doing),
    ("ready", RowStatus::Doing),
    ("in design", RowStatus::Doing),
    ("בהכנה", RowStatus::Doing),
    ("review", RowStatus::Doing),
    ("wip", RowStatus::Doing),
    ("בתהליך", RowStatus::Doing),
    ("בעבודה", RowStatus::Doing),
    ("בביצוע", RowStatus::Doing),
    ("בטיפול", RowStatus::Doing),
    ("stuck", RowStatus::Blocked),
    ("blocked", RowStatus::Blocked),
    ("on hold", RowStatus::Blocked),
    ("waiting", RowStatus::Blocked),
    ("תקוע", RowStatus::Blocked),
    ("חסום", RowStatus::Blocked),
    ("ממתין", RowStatus::Blocked),
    ("to do", RowStatus::Todo),
    ("todo", RowStatus::Todo),
    ("not started", RowStatus::Todo),
    ("open", RowStatus::Todo),
    ("planned", RowStatus::Todo),
    ("new", RowStatus::Todo),
    ("backlog", RowStatus::Todo),
    ("draft", RowStatus::Todo),
    ("idea", RowStatus::Todo),
    ("pending", RowStatus::Todo),
    ("טיוטה", RowStatus::Todo),
    ("רעיון", RowStatus::Todo),
    ("no", RowStatus::Todo),
    ("n", RowStatus::Todo),
    ("false", RowStatus::Todo),
    ("0%", RowStatus::Todo),
    ("לא התחיל", RowStatus::Todo),
    ("לא התחילה", RowStatus::Todo),
    ("טרם התחיל", RowStatus::Todo),
    ("פתוח", RowStatus::Todo),
    ("מתוכנן", RowStatus::Todo),
    ("לא", RowStatus::Todo),
];

/// A status word; `None` if the text is not one.
pub fn read(text: &str) -> Option<RowStatus> {
    let t = text.trim();
    // Kept before normalising: the normaliser drops "%".
    if let Some(p) = t
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
    {
        return Some(percent(p / 100.0));
    }
    let n = normalize(t);
    WORDS.iter().find(|(w, _)| *w == n).map(|(_, s)| *s)
}

fn percent(share: f64) -> RowStatus {
    if share >= 1.0 {
        RowStatus::Done
    } else if share > 0.0 {
        RowStatus::Doing
    } else {
        RowStatus::Todo
    }
}

/// A status cell: a word, a tick box (TRUE/FALSE), or a share done (0.5 formatted as 50%).
pub fn read_value(value: &Value) -> Result<Option<RowStatus>, String> {
    match value {
        Value::Empty => Ok(None),
        Value::Bool(true) => Ok(Some(RowStatus::Done)),
        Value::Bool(false) => Ok(Some(RowStatus::Todo)),
        Value::Number(n) if (0.0..=1.0).contains(n) => Ok(Some(percent(*n))),
        Value::Number(n) if (0.0..=100.0).contains(n) => Ok(Some(percent(*n / 100.0))),
        Value::Text(t) if t.trim().is_empty() => Ok(None),
        Value::Text(t) => read(t).map(Some).ok_or_else(|| {
            format!(
                "\"{}\" is not a status word throughline knows (such as Done, In progress, Stuck, \
                 Not started, בוצע, בתהליך); the row was imported as to do",
                t.trim()
            )
        }),
        other => Err(format!(
            "\"{}\" is not a status; the row was imported as to do",
            other.text().unwrap_or_default()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_as_its_status() {
        for (word, status) in WORDS {
            assert_eq!(read(word), Some(*status), "{word}");
            assert_eq!(
                read(&word.to_uppercase()),
                Some(*status),
                "{word} in capitals"
            );
        }
        assert_eq!(read("Working on it"), Some(RowStatus::Doing));
        assert_eq!(read("\u{200F}בוצע "), Some(RowStatus::Done));
        assert_eq!(read("50%"), Some(RowStatus::Doing));
        assert_eq!(read("100 %"), Some(RowStatus::Done));
        assert_eq!(read("Spring sale"), None);
        assert_eq!(read_value(&Value::Bool(true)), Ok(Some(RowStatus::Done)));
        assert_eq!(read_value(&Value::Number(1.0)), Ok(Some(RowStatus::Done)));
        assert_eq!(read_value(&Value::Number(0.25)), Ok(Some(RowStatus::Doing)));
        assert_eq!(read_value(&Value::Number(0.0)), Ok(Some(RowStatus::Todo)));
        assert!(read_value(&Value::Text("maybe".into())).is_err());
    }
}
