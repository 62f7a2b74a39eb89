//! The optional mapping file (`--map mapping.toml`): what automatic detection cannot know.
//!
//! ```toml
//! as = "items"                 # or "tasks" or "playbook"
//! sheet = "Calendar"
//! header_row = 4               # the row with the column titles, as numbered in the sheet
//! date_order = "dmy"           # dmy | mdy | ymd, for dates such as 03/04/2026
//! process = "content"          # the playbook's id; for items, their process when no column says
//! process_name = "Content pipeline"
//! timezone = "Asia/Jerusalem"
//! lang = "he"
//! owner_role = "writer"        # items: the role the Owner column names people for
//! encoding = "windows-1255"    # CSV only
//! delimiter = ";"              # CSV only
//! items_file = "calendar"      # items/<name>.toml
//!
//! [columns]                    # field = header text, or a column letter
//! title = "Headline"
//! golive = "C"
//!
//! [people]                     # items: role id = the column with that role's person
//! designer = "Designer"
//! ```

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::Kind;
use super::columns::Field;
use super::dates::DateOrder;
use super::source::TextOptions;
use crate::model::{Diagnostic, Diagnostics, Lang, Source, slug};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMap {
    #[serde(rename = "as")]
    kind: Option<Spanned<String>>,
    sheet: Option<String>,
    header_row: Option<Spanned<i64>>,
    date_order: Option<Spanned<String>>,
    process: Option<Spanned<String>>,
    process_name: Option<String>,
    timezone: Option<Spanned<String>>,
    lang: Option<Spanned<String>>,
    owner_role: Option<Spanned<String>>,
    encoding: Option<String>,
    delimiter: Option<Spanned<String>>,
    items_file: Option<Spanned<String>>,
    #[serde(default)]
    columns: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    people: BTreeMap<String, Spanned<String>>,
}

/// A column named in the mapping file, with where it was written (for errors).
#[derive(Debug, Clone)]
pub struct ColumnSpec {
    pub text: String,
    pub span: Range<usize>,
}

/// The mapping file, checked.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// The file's text, to point at a value when the sheet contradicts it.
    pub source: Option<Source>,
    pub kind: Option<Kind>,
    pub sheet: Option<String>,
    /// 1-based, as the sheet numbers rows.
    pub header_row: Option<u32>,
    pub date_order: Option<DateOrder>,
    pub process: Option<String>,
    pub process_name: Option<String>,
    pub timezone: Option<String>,
    pub lang: Option<Lang>,
    pub owner_role: Option<String>,
    pub text: TextOptions,
    pub items_file: Option<String>,
    pub columns: Vec<(Field, ColumnSpec)>,
    pub people: Vec<(String, ColumnSpec)>,
}

impl Mapping {
    pub fn load(path: &Path) -> Result<Mapping, Diagnostics> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostics(vec![Diagnostic {
                file: path.to_path_buf(),
                line: 1,
                col: 1,
                message: format!("the mapping file could not be read ({e})"),
            }])
        })?;
        Mapping::parse(Source::new(path, text))
    }

    pub fn parse(source: Source) -> Result<Mapping, Diagnostics> {
        let raw: RawMap = toml::from_str(&source.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            Diagnostics(vec![
                source.diagnostic(span, e.message().trim().to_string()),
            ])
        })?;
        let mut diags = Diagnostics::default();
        let mut bad = |span: Range<usize>, msg: String| diags.push(source.diagnostic(span, msg));
        let mut map = Mapping {
            kind: checked(&raw.kind, read_kind, &mut bad),
            sheet: raw.sheet,
            header_row: checked(&raw.header_row, read_header_row, &mut bad),
            date_order: checked(&raw.date_order, read_date_order, &mut bad),
            process: checked(&raw.process, read_process, &mut bad),
            process_name: raw.process_name,
            timezone: checked(&raw.timezone, read_timezone, &mut bad),
            lang: checked(&raw.lang, read_lang, &mut bad),
            owner_role: raw.owner_role.map(Spanned::into_inner),
            items_file: checked(&raw.items_file, read_items_file, &mut bad),
            ..Mapping::default()
        };
        map.text.encoding = raw.encoding;
        map.text.delimiter = checked(&raw.delimiter, read_delimiter, &mut bad);
        for (key, value) in raw.columns {
            match Field::from_key(&key) {
                Some(field) => map.columns.push((field, spec(value))),
                None => bad(
                    value.span(),
                    format!(
                        "[columns] has no field \"{key}\"; the fields are {}",
                        Field::KEYS.join(", ")
                    ),
                ),
            }
        }
        for (role, value) in raw.people {
            map.people.push((role, spec(value)));
        }
        if !diags.is_empty() {
            return Err(diags.sorted());
        }
        map.source = Some(source);
        Ok(map)
    }

    /// A problem at a value of this file (only for a mapping that was loaded from text).
    pub fn problem(&self, span: Range<usize>, message: String) -> Diagnostics {
        match &self.source {
            Some(src) => Diagnostics(vec![src.diagnostic(span, message)]),
            None => Diagnostics(vec![Diagnostic {
                file: "mapping".into(),
                line: 1,
                col: 1,
                message,
            }]),
        }
    }
}

/// A setting read by `read`; what it refuses is reported at the setting's place.
fn checked<T: std::borrow::Borrow<R>, R: ?Sized, U>(
    value: &Option<Spanned<T>>,
    read: impl Fn(&R) -> Result<U, String>,
    bad: &mut impl FnMut(Range<usize>, String),
) -> Option<U> {
    let value = value.as_ref()?;
    read(value.get_ref().borrow())
        .map_err(|message| bad(value.span(), message))
        .ok()
}

fn read_kind(kind: &str) -> Result<Kind, String> {
    match kind {
        "items" => Ok(Kind::Items),
        "tasks" => Ok(Kind::Tasks),
        "playbook" => Ok(Kind::Playbook),
        other => Err(format!(
            "as = \"{other}\" is not known; use \"items\", \"tasks\" or \"playbook\""
        )),
    }
}

fn read_header_row(row: &i64) -> Result<u32, String> {
    match u32::try_from(*row) {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("header_row is the row number as the sheet shows it: 1 or more".into()),
    }
}

fn read_date_order(order: &str) -> Result<DateOrder, String> {
    DateOrder::parse(order).ok_or_else(|| {
        format!("date_order = \"{order}\" is not known; use \"dmy\", \"mdy\" or \"ymd\"")
    })
}

fn read_process(process: &str) -> Result<String, String> {
    if slug(process) == process {
        Ok(process.to_string())
    } else {
        Err(format!(
            "process = \"{process}\" is not an id: use lower-case letters, digits and dashes, such as \"{}\"",
            slug(process)
        ))
    }
}

fn read_timezone(tz: &str) -> Result<String, String> {
    if jiff::tz::db().get(tz).is_ok() {
        Ok(tz.to_string())
    } else {
        Err(format!(
            "\"{tz}\" is not a known time zone; use a name such as \"Asia/Jerusalem\" or \"Europe/London\""
        ))
    }
}

fn read_lang(lang: &str) -> Result<Lang, String> {
    match lang {
        "he" => Ok(Lang::He),
        "en" => Ok(Lang::En),
        other => Err(format!(
            "lang = \"{other}\" is not known; use \"en\" or \"he\""
        )),
    }
}

fn read_delimiter(delimiter: &str) -> Result<u8, String> {
    super::source::parse_delimiter(delimiter)
        .ok_or_else(|| "delimiter is one character such as \",\" or \";\", or \"tab\"".into())
}

fn read_items_file(file: &str) -> Result<String, String> {
    let name = file.trim_end_matches(".toml");
    if !name.is_empty() && !name.contains(['/', '\\']) {
        Ok(name.to_string())
    } else {
        Err("items_file is a file name without a folder, such as \"calendar\"".into())
    }
}

fn spec(value: Spanned<String>) -> ColumnSpec {
    ColumnSpec {
        span: value.span(),
        text: value.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Mapping, Diagnostics> {
        Mapping::parse(Source::new("map.toml", text.to_string()))
    }

    #[test]
    fn reads_every_setting() {
        let m = parse(
            "as = \"items\"\nheader_row = 4\ndate_order = \"dmy\"\nprocess = \"content\"\n\
             timezone = \"Asia/Jerusalem\"\nlang = \"he\"\ndelimiter = \"tab\"\n\
             [columns]\ngolive = \"C\"\ntitle = \"Headline\"\n[people]\ndesigner = \"Designer\"\n",
        )
        .unwrap();
        assert_eq!(m.kind, Some(Kind::Items));
        assert_eq!(m.header_row, Some(4));
        assert_eq!(m.date_order, Some(DateOrder::Dmy));
        assert_eq!(m.text.delimiter, Some(b'\t'));
        assert_eq!(m.columns.len(), 2);
        assert_eq!(m.people[0].0, "designer");
    }

    #[test]
    fn every_bad_value_is_reported_at_its_place() {
        let err =
            parse("date_order = \"dm\"\nheader_row = 0\n[columns]\ntitel = \"A\"\n").unwrap_err();
        let lines: Vec<String> = err.iter().map(|d| d.to_string()).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("map.toml:1:14: date_order"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("map.toml:2:14: header_row"),
            "{lines:?}"
        );
        assert!(
            lines[2].starts_with("map.toml:4:9: [columns] has no field \"titel\""),
            "{lines:?}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_toml_point_at_the_line() {
        let err = parse("sheet = \"A\"\ncolumn = 3\n").unwrap_err();
        assert_eq!(err.0[0].line, 2, "{err}");
        let err = parse("sheet = \n").unwrap_err();
        assert_eq!(err.0[0].line, 1, "{err}");
    }
}
