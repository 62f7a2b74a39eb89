//! The Google Sheets mapping: which tab, which columns, which header row, in which language,
//! and which words people may type for "done". The default is `mappings/sheets.toml` itself,
//! compiled in, so the documented file and the built-in default cannot drift apart.

use std::fmt;

use throughline_connector::mapping::{KeyError, Node, pick, required};
use toml::{Table, Value};

/// The documented default mapping, as shipped in `mappings/sheets.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../../mappings/sheets.toml");

/// Google's limit on a tab name.
pub(crate) const MAX_TAB_CHARS: usize = 100;

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

    /// Columns people are meant to edit (the tool owns the task state).
    pub fn people_edit(self) -> bool {
        matches!(self, Field::Status | Field::Done)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
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

impl StatusWords {
    /// In dropdown order.
    pub fn all(&self) -> [&str; 4] {
        [&self.todo, &self.doing, &self.done, &self.archived]
    }
}

/// How tasks look in a Google Sheet. See `mappings/sheets.toml` for what each setting does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetsMapping {
    /// Tab name template (`{process}`, `{process_name}`).
    pub tab: String,
    /// 1-based row of a new tab's header.
    pub header_row: u32,
    pub columns: Vec<Field>,
    pub id_column: IdColumn,
    pub header_language: HeaderLanguage,
    pub date_format: String,
    pub state_from: StateFrom,
    pub protect: bool,
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

impl Default for SheetsMapping {
    fn default() -> Self {
        let table: Table = DEFAULT_TOML
            .parse()
            .expect("mappings/sheets.toml is valid TOML");
        SheetsMapping::parse(&table, None)
            .expect("mappings/sheets.toml is a complete, valid mapping")
    }
}

impl SheetsMapping {
    /// Read a mapping file's table. Keys left out keep the default's values; unknown keys are
    /// errors (they are usually typos). `[task]` and `[drift]` belong to the sync engine and
    /// are skipped here.
    pub fn from_toml(table: &Table) -> Result<SheetsMapping, MappingError> {
        SheetsMapping::parse(table, Some(&SheetsMapping::default()))
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

    /// The language of a new tab for a process.
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

    /// The tab name for a process, from the `tab` template.
    pub fn tab_for(&self, process: &str, process_name: &str) -> String {
        let name = self
            .tab
            .replace("{process_name}", process_name)
            .replace("{process}", process);
        tab_name(&name, process)
    }

    /// With `base = None` every key is required (that is how the shipped default is checked to
    /// be complete); otherwise missing keys keep `base`'s values.
    fn parse(table: &Table, base: Option<&SheetsMapping>) -> Result<SheetsMapping, MappingError> {
        let root = Node::root(table);
        root.only_keys(&["layout", "headers", "status", "read", "task", "drift"])?;
        let layout = root.child("layout", base.is_none())?;
        let headers = root.child("headers", base.is_none())?;
        let status = root.child("status", base.is_none())?;
        let read = root.child("read", base.is_none())?;

        if let Some(layout) = &layout {
            layout.only_keys(&[
                "tab",
                "header_row",
                "columns",
                "id_column",
                "header_language",
                "date_format",
                "state_from",
                "protect",
            ])?;
        }
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
        let columns = match layout.as_ref().map(|l| l.strings("columns")).transpose()? {
            Some(Some(names)) => parse_columns("layout.columns", &names)?,
            _ => required(base.map(|b| b.columns.clone()), "layout.columns")?,
        };
        let text = |key: &str, example: &str, base: Option<&String>| match layout
            .as_ref()
            .map(|l| l.string(key))
            .transpose()?
            .flatten()
        {
            Some(t) if t.trim().is_empty() => Err(err(
                &format!("layout.{key}"),
                &format!("must not be empty; for example \"{example}\""),
            )),
            Some(t) => Ok(t),
            None => Ok(required(base.cloned(), &format!("layout.{key}"))?),
        };
        let tab = text("tab", "{process_name}", base.map(|b| &b.tab))?;
        let date_format = text("date_format", "yyyy-mm-dd", base.map(|b| &b.date_format))?;
        let header_row = match layout.as_ref().and_then(|l| l.get("header_row")) {
            Some(Value::Integer(n)) if (1..=10).contains(n) => *n as u32,
            Some(other) => {
                return Err(err(
                    "layout.header_row",
                    &format!("must be a whole number from 1 to 10, not {other}"),
                ));
            }
            None => required(base.map(|b| b.header_row), "layout.header_row")?,
        };
        let protect = match layout.as_ref().and_then(|l| l.get("protect")) {
            Some(Value::Boolean(b)) => *b,
            Some(other) => {
                return Err(err(
                    "layout.protect",
                    &format!("must be true or false, not {other}"),
                ));
            }
            None => required(base.map(|b| b.protect), "layout.protect")?,
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
        let mapping = SheetsMapping {
            tab,
            header_row,
            columns,
            id_column,
            header_language,
            date_format,
            state_from,
            protect,
            headers_en,
            headers_he,
            status_en,
            status_he,
            done_words: words("done_words", base.map(|b| &b.done_words))?,
            doing_words: words("doing_words", base.map(|b| &b.doing_words))?,
            archived_words: words("archived_words", base.map(|b| &b.archived_words))?,
        };
        mapping.check()?;
        Ok(mapping)
    }

    /// Rules that span keys: headers must tell columns apart and status words must tell states
    /// apart, or reading the sheet back would be ambiguous.
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
            let words = self.status_words(lang).all();
            for (i, a) in words.iter().enumerate() {
                if a.trim().is_empty() {
                    return Err(err(
                        &format!("status.{}", lang.key()),
                        "status words must not be empty",
                    ));
                }
                if a.contains(',') {
                    return Err(err(
                        &format!("status.{}", lang.key()),
                        &format!("\"{a}\" has a comma; a dropdown choice cannot hold one"),
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
        }
        for field in [Field::Id, Field::Task, Field::Status] {
            if !self.has(field) {
                return Err(err(
                    "layout.columns",
                    &format!(
                        "must include \"{}\" (throughline cannot read the sheet back without it)",
                        field.key()
                    ),
                ));
            }
        }
        for placeholder in self.tab.match_indices('{').map(|(i, _)| &self.tab[i..]) {
            if !placeholder.starts_with("{process}") && !placeholder.starts_with("{process_name}") {
                return Err(err(
                    "layout.tab",
                    "only {process} and {process_name} can be used in a tab name",
                ));
            }
        }
        Ok(())
    }
}

/// A tab name Google Sheets accepts: not empty, at most 100 characters, no control characters.
pub(crate) fn tab_name(wanted: &str, fallback: &str) -> String {
    let clean = |s: &str| -> String {
        let s: String = s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        s.trim()
            .chars()
            .take(MAX_TAB_CHARS)
            .collect::<String>()
            .trim_end()
            .to_owned()
    };
    let mut name = clean(wanted);
    if name.is_empty() {
        name = clean(fallback);
    }
    if name.is_empty() {
        name = "Tasks".to_owned();
    }
    name
}

/// The `n`th alternative of a tab name, still within the limit.
pub(crate) fn numbered(name: &str, n: usize) -> String {
    let suffix = format!(" {n}");
    let keep = MAX_TAB_CHARS - suffix.chars().count();
    format!(
        "{}{suffix}",
        name.chars().take(keep).collect::<String>().trim_end()
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SheetsMapping, MappingError> {
        SheetsMapping::from_toml(&text.parse::<Table>().unwrap())
    }

    #[test]
    fn default_is_the_shipped_file() {
        let m = SheetsMapping::default();
        assert_eq!(m.tab, "{process_name}");
        assert_eq!(m.header_row, 1);
        assert_eq!(m.columns.first(), Some(&Field::Id));
        assert_eq!(m.headers_he[Field::Done.index()], "בוצע");
        assert!(m.protect);
        assert!(m.done_words.iter().any(|w| w == "בוצע"));
        assert_eq!(parse("").unwrap(), m);
        assert_eq!(parse(DEFAULT_TOML).unwrap(), m);
    }

    #[test]
    fn keys_override_the_default() {
        let m = parse(
            "[layout]\ntab = \"Tasks of {process}\"\nheader_row = 3\nprotect = false\n\
             columns = [\"id\", \"task\", \"status\"]\n[status.he]\ndone = \"גמור\"\n\
             [drift]\nowner = \"accept\"\n[task]\ntitle = \"{stage_name}\"\n",
        )
        .unwrap();
        assert_eq!(m.tab_for("content", "Content"), "Tasks of content");
        assert_eq!(m.header_row, 3);
        assert!(!m.protect);
        assert_eq!(m.columns, vec![Field::Id, Field::Task, Field::Status]);
        assert_eq!(m.status_he.done, "גמור");
        assert_eq!(m.status_he.todo, "לביצוע");
    }

    #[test]
    fn mistakes_name_the_key_and_the_choices() {
        let e = parse("[layout]\nstate_from = \"tick\"\n").unwrap_err();
        assert_eq!(e.key, "layout.state_from");
        assert!(e.message.contains("\"done-wins\""), "{e}");
        let e = parse("[layout]\ncolumns = [\"task\", \"status\"]\n").unwrap_err();
        assert!(e.message.contains("\"id\""), "{e}");
        let e = parse("[layout]\ntabb = \"x\"\n").unwrap_err();
        assert_eq!(e.key, "layout.tabb");
        let e = parse("[layout]\nheader_row = 0\n").unwrap_err();
        assert_eq!(e.key, "layout.header_row");
        let e = parse("[layout]\ntab = \"{item}\"\n").unwrap_err();
        assert_eq!(e.key, "layout.tab");
        let e = parse("[status.en]\ndoing = \"Done\"\n").unwrap_err();
        assert!(e.to_string().contains("status.en"), "{e}");
        let e = parse("[status.en]\ndone = \"Done, really\"\n").unwrap_err();
        assert!(e.message.contains("comma"), "{e}");
    }

    #[test]
    fn tab_names_fit_google_sheets() {
        let m = SheetsMapping::default();
        assert_eq!(m.tab_for("content", "Content pipeline"), "Content pipeline");
        assert_eq!(m.tab_for("content", "  "), "content");
        assert_eq!(m.tab_for("", ""), "Tasks");
        let long = "תהליך ".repeat(40);
        let name = m.tab_for("x", &long);
        assert!(name.chars().count() <= MAX_TAB_CHARS);
        assert_eq!(numbered(&name, 2).chars().count(), MAX_TAB_CHARS);
    }
}
