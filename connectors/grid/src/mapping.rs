//! The part of a grid mapping file both tools read the same way: the columns and their header
//! titles in English and Hebrew, the status words, the words people may type for "done", "in
//! progress" and "archived", the date format and where a row's state is read from.
//!
//! Each connector's mapping holds a [`GridMapping`] and adds its own keys (Excel: `sheet_per`,
//! `entry_indent`, `tick`; Sheets: `tab`, `header_row`, `protect`).

use std::fmt;

use throughline_connector::mapping::{KeyError, Node, pick, required};
pub use toml::Table;
use toml::Value;

pub use throughline_connector::mapping::norm;

/// A mapping value that cannot be used, with the key it was found under.
pub type MappingError = KeyError;

/// A column throughline writes and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The row's identity (`item/stage` for a task, `item/stage/key` for a checklist entry).
    Id,
    /// The work item's title (display only; not read back).
    Item,
    /// The stage the task belongs to (the task's group).
    Stage,
    /// The task's title, or a checklist entry's text.
    Task,
    /// The person responsible.
    Owner,
    /// The start date.
    Start,
    /// The due date.
    Due,
    /// The status word (to do, in progress, done, archived).
    Status,
    /// The done tick or checkbox.
    Done,
    /// The task's description.
    Description,
    /// Why a blocked task is blocked (read and written with the status).
    Reason,
}

impl Field {
    /// Every column, in the order of the arrays indexed by [`Field::index`].
    pub const ALL: [Field; 11] = [
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
        Field::Reason,
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
            Field::Reason => "reason",
        }
    }

    /// The column named `key` in a mapping file.
    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// Its place in arrays of per-column values (header titles, column positions).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Columns people are meant to edit (the tool owns the task state, and a blocked task's
    /// reason goes with it).
    pub fn people_edit(self) -> bool {
        matches!(self, Field::Status | Field::Done | Field::Reason)
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
    /// A thin grey column.
    Narrow,
    /// A hidden column.
    Hidden,
}

/// The language of header titles and status words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// English titles and words.
    English,
    /// Hebrew titles and words.
    Hebrew,
}

impl Language {
    /// Every language a mapping has titles and words in, in the order they are matched.
    pub const ALL: [Language; 2] = [Language::English, Language::Hebrew];

    /// The table name in the mapping file (`[headers.en]`).
    pub fn key(self) -> &'static str {
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
    /// Always this language.
    Fixed(Language),
}

/// Where a task's state is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFrom {
    /// A tick means done; otherwise the status column decides.
    DoneWins,
    /// Only the status column counts.
    Status,
    /// Only the done column counts.
    Done,
}

/// The words written in the status column for one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusWords {
    /// Not started.
    pub todo: String,
    /// In progress.
    pub doing: String,
    /// Blocked: waiting on someone or something; the Reason column says why.
    pub blocked: String,
    /// Done.
    pub done: String,
    /// Archived: the row is kept, greyed.
    pub archived: String,
}

impl StatusWords {
    /// In dropdown order.
    pub fn all(&self) -> [&str; 5] {
        [
            &self.todo,
            &self.doing,
            &self.blocked,
            &self.done,
            &self.archived,
        ]
    }
}

/// The keys of `[layout]` that [`GridMapping::parse`] reads; a connector allows these plus
/// its own.
pub const LAYOUT_KEYS: [&str; 5] = [
    "columns",
    "id_column",
    "header_language",
    "date_format",
    "state_from",
];

/// The top-level tables of a grid mapping file (`[task]` and `[drift]` belong to the engine).
pub const TABLES: [&str; 6] = ["layout", "headers", "status", "read", "task", "drift"];

/// What Excel and Sheets mappings share. See `mappings/excel.toml` for what each key does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridMapping {
    /// The columns of a new sheet, left to right.
    pub columns: Vec<Field>,
    /// How the identity column looks.
    pub id_column: IdColumn,
    /// Which language new sheets get.
    pub header_language: HeaderLanguage,
    /// The number format of the date columns (`yyyy-mm-dd`); also how typed dates are read.
    pub date_format: String,
    /// Where a row's state is read from when status and done disagree.
    pub state_from: StateFrom,
    /// English header titles, indexed by [`Field`].
    pub headers_en: [String; 11],
    /// Hebrew header titles, indexed by [`Field`].
    pub headers_he: [String; 11],
    /// English status words.
    pub status_en: StatusWords,
    /// Hebrew status words.
    pub status_he: StatusWords,
    /// More words read as done ("x", "✓", "בוצע").
    pub done_words: Vec<String>,
    /// More words read as in progress.
    pub doing_words: Vec<String>,
    /// More words read as blocked ("stuck", "on hold", "חסום").
    pub blocked_words: Vec<String>,
    /// More words read as archived.
    pub archived_words: Vec<String>,
}

/// The tables of one mapping file a [`GridMapping`] is read from.
pub struct Tables<'a> {
    /// `[layout]`.
    pub layout: Option<Node<'a>>,
    /// `[headers]`.
    pub headers: Option<Node<'a>>,
    /// `[status]`.
    pub status: Option<Node<'a>>,
    /// `[read]`.
    pub read: Option<Node<'a>>,
}

impl<'a> Tables<'a> {
    /// The tables of `root`, after checking it has no others. With `all_required` (the shipped
    /// default) each must be there. `layout_keys` are the connector's own `[layout]` keys.
    pub fn of(
        root: &Node<'a>,
        all_required: bool,
        layout_keys: &[&str],
    ) -> Result<Tables<'a>, MappingError> {
        root.only_keys(&TABLES)?;
        let tables = Tables {
            layout: root.child("layout", all_required)?,
            headers: root.child("headers", all_required)?,
            status: root.child("status", all_required)?,
            read: root.child("read", all_required)?,
        };
        if let Some(layout) = &tables.layout {
            let allowed: Vec<&str> = LAYOUT_KEYS.iter().chain(layout_keys).copied().collect();
            layout.only_keys(&allowed)?;
        }
        Ok(tables)
    }

    /// A non-empty text key of `[layout]`; `example` goes into the error.
    pub fn layout_text(
        &self,
        key: &str,
        example: &str,
        base: Option<&String>,
    ) -> Result<String, MappingError> {
        match self
            .layout
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
            None => required(base.cloned(), &format!("layout.{key}")),
        }
    }

    /// A whole-number key of `[layout]` within `range`.
    pub fn layout_number<T: TryFrom<i64> + Clone>(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        base: Option<T>,
    ) -> Result<T, MappingError> {
        match self.layout.as_ref().and_then(|l| l.get(key)) {
            Some(Value::Integer(n)) if range.contains(n) => {
                T::try_from(*n).map_err(|_| err(&format!("layout.{key}"), "is out of range"))
            }
            Some(other) => Err(err(
                &format!("layout.{key}"),
                &format!(
                    "must be a whole number from {} to {}, not {other}",
                    range.start(),
                    range.end()
                ),
            )),
            None => required(base, &format!("layout.{key}")),
        }
    }
}

impl GridMapping {
    /// Read the shared keys. With `base = None` every key is required (that is how the shipped
    /// default is checked to be complete); otherwise missing keys keep `base`'s values.
    pub fn parse(t: &Tables<'_>, base: Option<&GridMapping>) -> Result<GridMapping, MappingError> {
        let layout = t.layout.as_ref();
        let id_column = pick(
            "layout",
            layout,
            "id_column",
            base.map(|b| b.id_column),
            &[("narrow", IdColumn::Narrow), ("hidden", IdColumn::Hidden)],
        )?;
        let header_language = pick(
            "layout",
            layout,
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
            layout,
            "state_from",
            base.map(|b| b.state_from),
            &[
                ("done-wins", StateFrom::DoneWins),
                ("status", StateFrom::Status),
                ("done", StateFrom::Done),
            ],
        )?;
        let columns = match layout.map(|l| l.strings("columns")).transpose()?.flatten() {
            Some(names) => parse_columns("layout.columns", &names)?,
            None => required(base.map(|b| b.columns.clone()), "layout.columns")?,
        };
        let date_format =
            t.layout_text("date_format", "yyyy-mm-dd", base.map(|b| &b.date_format))?;
        if let Some(h) = &t.headers {
            h.only_keys(&["en", "he"])?;
        }
        if let Some(s) = &t.status {
            s.only_keys(&["en", "he"])?;
        }
        if let Some(r) = &t.read {
            r.only_keys(&[
                "archived_words",
                "blocked_words",
                "doing_words",
                "done_words",
            ])?;
        }
        let words = |key: &str, base: Option<&Vec<String>>| -> Result<Vec<String>, MappingError> {
            match t
                .read
                .as_ref()
                .map(|r| r.strings(key))
                .transpose()?
                .flatten()
            {
                Some(list) => Ok(list),
                None => required(base.cloned(), &format!("read.{key}")),
            }
        };
        Ok(GridMapping {
            columns,
            id_column,
            header_language,
            date_format,
            state_from,
            headers_en: parse_headers(&t.headers, Language::English, base.map(|b| &b.headers_en))?,
            headers_he: parse_headers(&t.headers, Language::Hebrew, base.map(|b| &b.headers_he))?,
            status_en: parse_status(&t.status, Language::English, base.map(|b| &b.status_en))?,
            status_he: parse_status(&t.status, Language::Hebrew, base.map(|b| &b.status_he))?,
            done_words: words("done_words", base.map(|b| &b.done_words))?,
            doing_words: words("doing_words", base.map(|b| &b.doing_words))?,
            blocked_words: words("blocked_words", base.map(|b| &b.blocked_words))?,
            archived_words: words("archived_words", base.map(|b| &b.archived_words))?,
        })
    }

    /// Header titles of one language, indexed by [`Field`].
    pub fn headers(&self, lang: Language) -> &[String; 11] {
        match lang {
            Language::English => &self.headers_en,
            Language::Hebrew => &self.headers_he,
        }
    }

    /// The status words of one language.
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

    /// The mapping has this column.
    pub fn has(&self, field: Field) -> bool {
        self.columns.contains(&field)
    }

    /// Rules that span keys: headers must tell columns apart, status words must tell states
    /// apart, and the identity, task and status columns must be there, or reading the
    /// `document` ("workbook", "sheet") back would be ambiguous. `word_rule` adds the tool's
    /// own limit on one language's status words.
    pub fn check(
        &self,
        document: &str,
        word_rule: impl Fn(Language, &StatusWords) -> Result<(), MappingError>,
    ) -> Result<(), MappingError> {
        for lang in Language::ALL {
            let headers = self.headers(lang);
            for (i, a) in headers.iter().enumerate() {
                if headers[i + 1..].iter().any(|b| norm(a) == norm(b)) {
                    return Err(err(
                        &format!("headers.{}", lang.key()),
                        &format!("two columns have the same title \"{a}\"; give each its own"),
                    ));
                }
            }
            let status = self.status_words(lang);
            let words = status.all();
            for (i, a) in words.iter().enumerate() {
                let key = format!("status.{}", lang.key());
                if a.trim().is_empty() {
                    return Err(err(&key, "status words must not be empty"));
                }
                if words[i + 1..].iter().any(|b| norm(a) == norm(b)) {
                    return Err(err(
                        &key,
                        &format!("\"{a}\" is used for two different states"),
                    ));
                }
            }
            word_rule(lang, status)?;
        }
        for field in [Field::Id, Field::Task, Field::Status] {
            if !self.has(field) {
                return Err(err(
                    "layout.columns",
                    &format!(
                        "must include \"{}\" (throughline cannot read the {document} back without it)",
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
    base: Option<&[String; 11]>,
) -> Result<[String; 11], MappingError> {
    let node = match headers {
        Some(h) => h.child(lang.key(), base.is_none())?,
        None => None,
    };
    let keys: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
    if let Some(n) = &node {
        n.only_keys(&keys)?;
    }
    let mut out: [String; 11] = Default::default();
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
        n.only_keys(&["archived", "blocked", "doing", "done", "todo"])?;
    }
    let word = |key: &str, base: Option<&String>| -> Result<String, MappingError> {
        match node.as_ref().map(|n| n.string(key)).transpose()?.flatten() {
            Some(w) => Ok(w),
            None => required(base.cloned(), &format!("status.{}.{key}", lang.key())),
        }
    };
    Ok(StatusWords {
        todo: word("todo", base.map(|b| &b.todo))?,
        doing: word("doing", base.map(|b| &b.doing))?,
        blocked: word("blocked", base.map(|b| &b.blocked))?,
        done: word("done", base.map(|b| &b.done))?,
        archived: word("archived", base.map(|b| &b.archived))?,
    })
}

/// The `Deref` to its [`GridMapping`], the `Default` (the shipped mapping file, compiled in)
/// and `from_toml` (a mapping file over the default) of a tool's mapping type, which has a `grid` field and an associated
/// `parse(&Table, Option<&Self>)` reading every key when there is no base.
#[macro_export]
macro_rules! tool_mapping {
    ($ty:ident, $file:literal, $toml:expr) => {
        impl ::std::ops::Deref for $ty {
            type Target = $crate::GridMapping;

            fn deref(&self) -> &$crate::GridMapping {
                &self.grid
            }
        }

        impl $ty {
            /// Read a mapping file's table. Keys left out keep the default's values; unknown
            /// keys are errors (they are usually typos). The `[task]` and `[drift]` tables
            /// belong to the sync engine and are not read here.
            pub fn from_toml(
                table: &$crate::mapping::Table,
            ) -> ::std::result::Result<$ty, $crate::MappingError> {
                $ty::parse(table, Some(&$ty::default()))
            }
        }

        impl ::std::default::Default for $ty {
            fn default() -> Self {
                let table: $crate::mapping::Table =
                    $toml.parse().expect(concat!($file, " is valid TOML"));
                $ty::parse(&table, None).expect(concat!($file, " is a complete, valid mapping"))
            }
        }
    };
}

/// A mapping error under `key`.
pub fn err(key: &str, message: &str) -> MappingError {
    KeyError::new(key, message)
}
