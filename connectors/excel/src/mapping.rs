//! The Excel mapping: which sheets and columns a workbook gets, in which language, and which
//! words people may type for "done". The default is `mappings/excel.toml` itself, compiled in,
//! so the documented file and the built-in default cannot drift apart.

use std::fmt;

use throughline_connector::mapping::{KeyError, Node, pick, required};
use toml::{Table, Value};

/// The documented default mapping, as shipped in `mappings/excel.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../../mappings/excel.toml");

/// A column throughline writes and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Id,
    Item,
    Stage,
    Task,
    Owner,
    Start,
    Due,
    Status,
    Done,
    Description,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Id,
        Field::Item,
        Field::Stage,
        Field::Task,
        Field::Owner,
        Field::Start,
        Field::Due,
        Field::Status,
        Field::Done,
        Field::Description,
    ];

    /// The name used in the mapping file.
    pub fn key(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Item => "item",
            Field::Stage => "stage",
            Field::Task => "task",
            Field::Owner => "owner",
            Field::Start => "start",
            Field::Due => "due",
            Field::Status => "status",
            Field::Done => "done",
            Field::Description => "description",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Which sheet a task goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetPer {
    Process,
    Stage,
}

/// How the identity column looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdColumn {
    Narrow,
    Hidden,
}

/// The language of header titles and status words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    English,
    Hebrew,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Hebrew];

    fn key(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Hebrew => "he",
        }
    }
}

/// Header language choice in the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLanguage {
    /// Hebrew when the process is right-to-left, English otherwise.
    Auto,
    Fixed(Language),
}

/// Where a task's state is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFrom {
    /// A tick means done; otherwise the status column decides.
    DoneWins,
    Status,
    Done,
}

/// The words written in the status column for one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusWords {
    pub todo: String,
    pub doing: String,
    pub done: String,
    pub archived: String,
}

/// How tasks look in an Excel workbook. See `mappings/excel.toml` for what each setting does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcelMapping {
    pub sheet_per: SheetPer,
    pub columns: Vec<Field>,
    pub id_column: IdColumn,
    pub header_language: HeaderLanguage,
    pub date_format: String,
    pub entry_indent: u8,
    pub state_from: StateFrom,
    pub tick: String,
    /// Header titles per language, indexed by [`Field`].
    pub headers_en: [String; 10],
    pub headers_he: [String; 10],
    pub status_en: StatusWords,
    pub status_he: StatusWords,
    pub done_words: Vec<String>,
    pub doing_words: Vec<String>,
    pub archived_words: Vec<String>,
}

/// A mapping value that cannot be used, with the key it was found under.
pub type MappingError = KeyError;

impl Default for ExcelMapping {
    fn default() -> Self {
        let table: Table = DEFAULT_TOML
            .parse()
            .expect("mappings/excel.toml is valid TOML");
        ExcelMapping::parse(&table, None).expect("mappings/excel.toml is a complete, valid mapping")
    }
}

impl ExcelMapping {
    /// Read a mapping file's table. Keys left out keep the default's values; unknown keys are
    /// errors (they are usually typos). The `[task]` and `[drift]` tables belong to the sync
    /// engine and are not read here.
    pub fn from_toml(table: &Table) -> Result<ExcelMapping, MappingError> {
        ExcelMapping::parse(table, Some(&ExcelMapping::default()))
    }

    pub fn headers(&self, lang: Language) -> &[String; 10] {
        match lang {
            Language::English => &self.headers_en,
            Language::Hebrew => &self.headers_he,
        }
    }

    pub fn status_words(&self, lang: Language) -> &StatusWords {
        match lang {
            Language::English => &self.status_en,
            Language::Hebrew => &self.status_he,
        }
    }

    /// The language of a new sheet for a process.
    pub fn language_for(&self, rtl: bool) -> Language {
        match self.header_language {
            HeaderLanguage::Fixed(lang) => lang,
            HeaderLanguage::Auto if rtl => Language::Hebrew,
            HeaderLanguage::Auto => Language::English,
        }
    }

    pub fn has(&self, field: Field) -> bool {
        self.columns.contains(&field)
    }

    /// With `base = None` every key is required (that is how the shipped default is checked to
    /// be complete); otherwise missing keys keep `base`'s values.
    fn parse(table: &Table, base: Option<&ExcelMapping>) -> Result<ExcelMapping, MappingError> {
        let root = Node::root(table);
        root.only_keys(&["layout", "headers", "status", "read", "task", "drift"])?;

        let layout = root.child("layout", base.is_none())?;
        let headers = root.child("headers", base.is_none())?;
        let status = root.child("status", base.is_none())?;
        let read = root.child("read", base.is_none())?;

        let layout_keys = [
            "sheet_per",
            "columns",
            "id_column",
            "header_language",
            "date_format",
            "entry_indent",
            "state_from",
            "tick",
        ];
        if let Some(layout) = &layout {
            layout.only_keys(&layout_keys)?;
        }

        let sheet_per = pick(
            "layout",
            layout.as_ref(),
            "sheet_per",
            base.map(|b| b.sheet_per),
            &[("process", SheetPer::Process), ("stage", SheetPer::Stage)],
        )?;
        let id_column = pick(
            "layout",
            layout.as_ref(),
            "id_column",
            base.map(|b| b.id_column),
            &[("narrow", IdColumn::Narrow), ("hidden", IdColumn::Hidden)],
        )?;
        let header_language = pick(
            "layout",
            layout.as_ref(),
            "header_language",
            base.map(|b| b.header_language),
            &[
                ("auto", HeaderLanguage::Auto),
                ("en", HeaderLanguage::Fixed(Language::English)),
                ("he", HeaderLanguage::Fixed(Language::Hebrew)),
            ],
        )?;
        let state_from = pick(
            "layout",
            layout.as_ref(),
            "state_from",
            base.map(|b| b.state_from),
            &[
                ("done-wins", StateFrom::DoneWins),
                ("status", StateFrom::Status),
                ("done", StateFrom::Done),
            ],
        )?;

        let columns = match layout
            .as_ref()
            .map(|l| l.strings("columns"))
            .transpose()?
            .flatten()
        {
            Some(names) => parse_columns("layout.columns", &names)?,
            None => required(base.map(|b| b.columns.clone()), "layout.columns")?,
        };

        let date_format = match layout
            .as_ref()
            .map(|l| l.string("date_format"))
            .transpose()?
            .flatten()
        {
            Some(f) if f.trim().is_empty() => {
                return Err(err(
                    "layout.date_format",
                    "must not be empty; for example \"yyyy-mm-dd\"",
                ));
            }
            Some(f) => f,
            None => required(base.map(|b| b.date_format.clone()), "layout.date_format")?,
        };

        let entry_indent = match layout.as_ref().and_then(|l| l.get("entry_indent")) {
            Some(Value::Integer(n)) if (0..=15).contains(n) => *n as u8,
            Some(other) => {
                return Err(err(
                    "layout.entry_indent",
                    &format!("must be a whole number from 0 to 15, not {other}"),
                ));
            }
            None => required(base.map(|b| b.entry_indent), "layout.entry_indent")?,
        };

        let tick = match layout
            .as_ref()
            .map(|l| l.string("tick"))
            .transpose()?
            .flatten()
        {
            Some(t) if t.trim().is_empty() => {
                return Err(err(
                    "layout.tick",
                    "must not be empty; for example \"✓\" or \"x\"",
                ));
            }
            Some(t) => t,
            None => required(base.map(|b| b.tick.clone()), "layout.tick")?,
        };

        if let Some(h) = &headers {
            h.only_keys(&["en", "he"])?;
        }
        let headers_en = parse_headers(&headers, Language::English, base.map(|b| &b.headers_en))?;
        let headers_he = parse_headers(&headers, Language::Hebrew, base.map(|b| &b.headers_he))?;

        if let Some(s) = &status {
            s.only_keys(&["en", "he"])?;
        }
        let status_en = parse_status(&status, Language::English, base.map(|b| &b.status_en))?;
        let status_he = parse_status(&status, Language::Hebrew, base.map(|b| &b.status_he))?;

        if let Some(r) = &read {
            r.only_keys(&["archived_words", "doing_words", "done_words"])?;
        }
        let words = |key: &str, base: Option<&Vec<String>>| -> Result<Vec<String>, MappingError> {
            match read.as_ref().map(|r| r.strings(key)).transpose()?.flatten() {
                Some(list) => Ok(list),
                None => Ok(required(base.cloned(), &format!("read.{key}"))?),
            }
        };
        let done_words = words("done_words", base.map(|b| &b.done_words))?;
        let doing_words = words("doing_words", base.map(|b| &b.doing_words))?;
        let archived_words = words("archived_words", base.map(|b| &b.archived_words))?;

        let mapping = ExcelMapping {
            sheet_per,
            columns,
            id_column,
            header_language,
            date_format,
            entry_indent,
            state_from,
            tick,
            headers_en,
            headers_he,
            status_en,
            status_he,
            done_words,
            doing_words,
            archived_words,
        };
        mapping.check()?;
        Ok(mapping)
    }

    /// Rules that span keys: headers must tell columns apart, and status words must tell
    /// states apart, or reading the workbook back would be ambiguous.
    fn check(&self) -> Result<(), MappingError> {
        for lang in Language::ALL {
            let headers = self.headers(lang);
            for (i, a) in headers.iter().enumerate() {
                for b in &headers[i + 1..] {
                    if norm(a) == norm(b) {
                        return Err(err(
                            &format!("headers.{}", lang.key()),
                            &format!("two columns have the same title \"{a}\"; give each its own"),
                        ));
                    }
                }
            }
            let s = self.status_words(lang);
            let words = [&s.todo, &s.doing, &s.done, &s.archived];
            for (i, a) in words.iter().enumerate() {
                if a.trim().is_empty() {
                    return Err(err(
                        &format!("status.{}", lang.key()),
                        "status words must not be empty",
                    ));
                }
                for b in &words[i + 1..] {
                    if norm(a) == norm(b) {
                        return Err(err(
                            &format!("status.{}", lang.key()),
                            &format!("\"{a}\" is used for two different states"),
                        ));
                    }
                }
            }
            // The dropdown offers the status words; Excel caps a list at 255 characters.
            let list_len: usize = words.iter().map(|w| w.chars().count() + 1).sum();
            if list_len > 255 {
                return Err(err(
                    &format!("status.{}", lang.key()),
                    "the four status words together must stay under 255 characters (an Excel dropdown limit)",
                ));
            }
        }
        for field in [Field::Id, Field::Task, Field::Status] {
            if !self.has(field) {
                return Err(err(
                    "layout.columns",
                    &format!(
                        "must include \"{}\" (throughline cannot read the workbook back without it)",
                        field.key()
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn parse_columns(key: &str, names: &[String]) -> Result<Vec<Field>, MappingError> {
    let mut columns = Vec::new();
    for name in names {
        let Some(field) = Field::from_key(name.trim()) else {
            let allowed: Vec<_> = Field::ALL
                .iter()
                .map(|f| format!("\"{}\"", f.key()))
                .collect();
            return Err(err(
                key,
                &format!("unknown column \"{name}\"; allowed: {}", allowed.join(", ")),
            ));
        };
        if columns.contains(&field) {
            return Err(err(key, &format!("\"{name}\" is listed twice")));
        }
        columns.push(field);
    }
    Ok(columns)
}

fn parse_headers(
    headers: &Option<Node<'_>>,
    lang: Language,
    base: Option<&[String; 10]>,
) -> Result<[String; 10], MappingError> {
    let node = match headers {
        Some(h) => h.child(lang.key(), base.is_none())?,
        None => None,
    };
    let keys: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
    if let Some(n) = &node {
        n.only_keys(&keys)?;
    }
    let mut out: [String; 10] = Default::default();
    for field in Field::ALL {
        let path = format!("headers.{}.{}", lang.key(), field.key());
        out[field.index()] = match node
            .as_ref()
            .map(|n| n.string(field.key()))
            .transpose()?
            .flatten()
        {
            Some(t) if t.trim().is_empty() => {
                return Err(err(&path, "a header title must not be empty"));
            }
            Some(t) => t,
            None => required(base.map(|b| b[field.index()].clone()), &path)?,
        };
    }
    Ok(out)
}

fn parse_status(
    status: &Option<Node<'_>>,
    lang: Language,
    base: Option<&StatusWords>,
) -> Result<StatusWords, MappingError> {
    let node = match status {
        Some(s) => s.child(lang.key(), base.is_none())?,
        None => None,
    };
    if let Some(n) = &node {
        n.only_keys(&["archived", "doing", "done", "todo"])?;
    }
    let word = |key: &str, base: Option<&String>| -> Result<String, MappingError> {
        match node.as_ref().map(|n| n.string(key)).transpose()?.flatten() {
            Some(w) => Ok(w),
            None => Ok(required(
                base.cloned(),
                &format!("status.{}.{key}", lang.key()),
            )?),
        }
    };
    Ok(StatusWords {
        todo: word("todo", base.map(|b| &b.todo))?,
        doing: word("doing", base.map(|b| &b.doing))?,
        done: word("done", base.map(|b| &b.done))?,
        archived: word("archived", base.map(|b| &b.archived))?,
    })
}

fn err(key: &str, message: &str) -> MappingError {
    KeyError::new(key, message)
}

/// Other modules compare status and "done" words with this.
pub(crate) use throughline_connector::mapping::norm;

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ExcelMapping, MappingError> {
        ExcelMapping::from_toml(&text.parse::<Table>().unwrap())
    }

    #[test]
    fn default_is_the_shipped_file() {
        let m = ExcelMapping::default();
        assert_eq!(m.sheet_per, SheetPer::Process);
        assert_eq!(m.columns.first(), Some(&Field::Id));
        assert_eq!(m.headers_he[Field::Done.index()], "בוצע");
        assert_eq!(m.status_en.doing, "In progress");
        assert!(m.done_words.iter().any(|w| w == "הושלם"));
        // An empty file means "all defaults".
        assert_eq!(parse("").unwrap(), m);
        assert_eq!(parse(DEFAULT_TOML).unwrap(), m);
    }

    #[test]
    fn keys_override_the_default() {
        let m = parse(
            "[layout]\nsheet_per = \"stage\"\nid_column = \"hidden\"\ncolumns = [\"id\", \"task\", \"status\"]\n\
             [status.en]\ndone = \"Finished\"\n[read]\ndone_words = [\"ok\"]\n[drift]\nowner = \"accept\"\n",
        )
        .unwrap();
        assert_eq!(m.sheet_per, SheetPer::Stage);
        assert_eq!(m.id_column, IdColumn::Hidden);
        assert_eq!(m.columns, vec![Field::Id, Field::Task, Field::Status]);
        assert_eq!(m.status_en.done, "Finished");
        assert_eq!(m.status_en.todo, "To do");
        assert_eq!(m.done_words, vec!["ok".to_string()]);
    }

    #[test]
    fn mistakes_name_the_key_and_the_choices() {
        let e = parse("[layout]\nsheet_per = \"item\"\n").unwrap_err();
        assert_eq!(e.key, "layout.sheet_per");
        assert!(e.message.contains("\"process\", \"stage\""), "{e}");

        let e =
            parse("[layout]\ncolumns = [\"id\", \"task\", \"status\", \"colour\"]\n").unwrap_err();
        assert!(e.message.contains("unknown column \"colour\""), "{e}");

        let e = parse("[layout]\ncolumns = [\"task\", \"status\"]\n").unwrap_err();
        assert!(e.message.contains("\"id\""), "{e}");

        let e = parse("[layout]\nsheet_pre = \"stage\"\n").unwrap_err();
        assert_eq!(e.key, "layout.sheet_pre");

        let e = parse("[status.he]\ndone = \"לביצוע\"\n").unwrap_err();
        assert!(e.to_string().contains("status.he"), "{e}");

        let e = parse("[layout]\nentry_indent = 40\n").unwrap_err();
        assert_eq!(e.key, "layout.entry_indent");

        let e = parse("[headers.en]\nowner = \"task\"\n").unwrap_err();
        assert!(e.message.contains("same title"), "{e}");
    }

    #[test]
    fn language_follows_right_to_left_when_auto() {
        let m = ExcelMapping::default();
        assert_eq!(m.language_for(true), Language::Hebrew);
        assert_eq!(m.language_for(false), Language::English);
        let m = parse("[layout]\nheader_language = \"en\"\n").unwrap();
        assert_eq!(m.language_for(true), Language::English);
    }
}
