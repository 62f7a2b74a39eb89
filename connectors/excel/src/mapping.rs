//! The Excel mapping: which sheets and columns a workbook gets, in which language, and which
//! words people may type for "done". The default is `mappings/excel.toml` itself, compiled in,
//! so the documented file and the built-in default cannot drift apart.
//!
//! What Excel and Sheets read alike (columns, headers, status words, `state_from`) is the
//! grid core's [`GridMapping`]; this adds the workbook's own keys.

use throughline_connector::mapping::{Node, pick};
use throughline_grid::mapping::{Tables, err};
use toml::Table;

pub use throughline_grid::{
    Field, GridMapping, HeaderLanguage, IdColumn, Language, MappingError, StateFrom, StatusWords,
};

/// The documented default mapping, as shipped in `mappings/excel.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../../mappings/excel.toml");

/// Which sheet a task goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetPer {
    /// One sheet per process.
    Process,
    /// One sheet per stage.
    Stage,
}

/// How tasks look in an Excel workbook. See `mappings/excel.toml` for what each setting does.
/// The keys Excel shares with Sheets are its [`GridMapping`] (reached through `Deref`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcelMapping {
    /// Columns, headers, status words, date format and `state_from`.
    pub grid: GridMapping,
    /// Which sheet a task goes to.
    pub sheet_per: SheetPer,
    /// How many indent steps a checklist row gets in the task column (0–15).
    pub entry_indent: u8,
    /// What the done column shows for a ticked row.
    pub tick: String,
}

throughline_grid::tool_mapping!(ExcelMapping, "mappings/excel.toml", DEFAULT_TOML);

impl ExcelMapping {
    /// The status and done words as the grid rules read them (the tick reads as done).
    pub(crate) fn words(&self) -> throughline_grid::Words<'_> {
        throughline_grid::Words {
            mapping: &self.grid,
            tick: Some(&self.tick),
        }
    }

    /// With `base = None` every key is required (that is how the shipped default is checked to
    /// be complete); otherwise missing keys keep `base`'s values.
    fn parse(table: &Table, base: Option<&ExcelMapping>) -> Result<ExcelMapping, MappingError> {
        let root = Node::root(table);
        let tables = Tables::of(
            &root,
            base.is_none(),
            &["sheet_per", "entry_indent", "tick"],
        )?;
        let sheet_per = pick(
            "layout",
            tables.layout.as_ref(),
            "sheet_per",
            base.map(|b| b.sheet_per),
            &[("process", SheetPer::Process), ("stage", SheetPer::Stage)],
        )?;
        let grid = GridMapping::parse(&tables, base.map(|b| &b.grid))?;
        let entry_indent =
            tables.layout_number("entry_indent", 0..=15, base.map(|b| b.entry_indent))?;
        let tick = tables.layout_text("tick", "✓\" or \"x", base.map(|b| &b.tick))?;
        grid.check("workbook", |lang, words| {
            // The dropdown offers the status words; Excel caps a list at 255 characters.
            let list_len: usize = words.all().iter().map(|w| w.chars().count() + 1).sum();
            if list_len > 255 {
                return Err(err(
                    &format!("status.{}", lang.key()),
                    "the four status words together must stay under 255 characters (an Excel dropdown limit)",
                ));
            }
            Ok(())
        })?;
        Ok(ExcelMapping {
            grid,
            sheet_per,
            entry_indent,
            tick,
        })
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
