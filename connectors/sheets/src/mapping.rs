//! The Google Sheets mapping: which tab, which columns, which header row, in which language,
//! and which words people may type for "done". The default is `mappings/sheets.toml` itself,
//! compiled in, so the documented file and the built-in default cannot drift apart.
//!
//! What Sheets and Excel read alike (columns, headers, status words, `state_from`) is the grid
//! core's [`GridMapping`]; this adds the spreadsheet's own keys.

use throughline_connector::mapping::Node;
use throughline_grid::mapping::{Tables, err};
use throughline_grid::names;
use toml::{Table, Value};

pub use throughline_grid::{
    Field, GridMapping, HeaderLanguage, IdColumn, Language, MappingError, StateFrom, StatusWords,
};

/// The documented default mapping, as shipped in `mappings/sheets.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../../mappings/sheets.toml");

/// Google's limit on a tab name.
pub(crate) const MAX_TAB_CHARS: usize = 100;

/// How tasks look in a Google Sheet. See `mappings/sheets.toml` for what each setting does.
/// The keys Sheets shares with Excel are its [`GridMapping`] (reached through `Deref`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetsMapping {
    /// Columns, headers, status words, date format and `state_from`.
    pub grid: GridMapping,
    /// Tab name template (`{process}`, `{process_name}`).
    pub tab: String,
    /// 1-based row of a new tab's header.
    pub header_row: u32,
    /// A warning-only protected range over throughline's columns.
    pub protect: bool,
}

throughline_grid::tool_mapping!(SheetsMapping, "mappings/sheets.toml", DEFAULT_TOML);

impl SheetsMapping {
    /// The status and done words as the grid rules read them.
    pub(crate) fn words(&self) -> throughline_grid::Words<'_> {
        throughline_grid::Words::new(&self.grid)
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
        let tables = Tables::of(&root, base.is_none(), &["tab", "header_row", "protect"])?;
        let grid = GridMapping::parse(&tables, base.map(|b| &b.grid))?;
        let tab = tables.layout_text("tab", "{process_name}", base.map(|b| &b.tab))?;
        let header_row = tables.layout_number("header_row", 1..=10, base.map(|b| b.header_row))?;
        let protect = match tables.layout.as_ref().and_then(|l| l.get("protect")) {
            Some(Value::Boolean(b)) => *b,
            Some(other) => {
                return Err(err(
                    "layout.protect",
                    &format!("must be true or false, not {other}"),
                ));
            }
            None => {
                throughline_connector::mapping::required(base.map(|b| b.protect), "layout.protect")?
            }
        };
        grid.check("sheet", |lang, words| {
            match words.all().into_iter().find(|w| w.contains(',')) {
                Some(w) => Err(err(
                    &format!("status.{}", lang.key()),
                    &format!("\"{w}\" has a comma; a dropdown choice cannot hold one"),
                )),
                None => Ok(()),
            }
        })?;
        for placeholder in tab.match_indices('{').map(|(i, _)| &tab[i..]) {
            if !placeholder.starts_with("{process}") && !placeholder.starts_with("{process_name}") {
                return Err(err(
                    "layout.tab",
                    "only {process} and {process_name} can be used in a tab name",
                ));
            }
        }
        Ok(SheetsMapping {
            grid,
            tab,
            header_row,
            protect,
        })
    }
}

/// A tab name Google Sheets accepts: not empty, at most 100 characters, no control characters.
pub(crate) fn tab_name(wanted: &str, fallback: &str) -> String {
    let clean = |s: &str| -> String {
        let s: String = s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        names::cut(s.trim(), MAX_TAB_CHARS)
    };
    names::sheet_name(wanted, fallback, clean)
}

/// The `n`th alternative of a tab name, still within the limit.
pub(crate) fn numbered(name: &str, n: usize) -> String {
    names::numbered(name, n, MAX_TAB_CHARS)
}

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
