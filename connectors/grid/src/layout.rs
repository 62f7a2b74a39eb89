//! Where throughline's columns are in one of its sheets: found by the header titles (in
//! English or Hebrew) among the first rows, never by position, so people may move columns
//! and put a title or a note above the header.

use serde::{Deserialize, Serialize};

use crate::mapping::{Field, GridMapping, Language, norm};

/// How far down a header row is looked for (people put a title or a note above it).
pub const HEADER_SEARCH_ROWS: usize = 10;

/// Where throughline's columns are in one of its sheets (0-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// The header row.
    pub header_row: usize,
    /// The language of the header (and so of the status words written).
    #[serde(rename = "hebrew", with = "hebrew_flag")]
    pub language: Language,
    /// The column of each field, indexed by [`Field`].
    pub cols: [Option<usize>; 11],
}

/// Kept as `"hebrew": true|false` (the shape of Sheets' cursors).
mod hebrew_flag {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::mapping::Language;

    pub fn serialize<S: Serializer>(lang: &Language, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*lang == Language::Hebrew)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Language, D::Error> {
        Ok(if bool::deserialize(d)? {
            Language::Hebrew
        } else {
            Language::English
        })
    }
}

impl Layout {
    /// The header row among the first rows (each given as its cells' text): one with at least
    /// the identity, task and status titles, in either of the mapping's languages. The
    /// language is the identity title's. A sheet without one is people's own.
    pub fn detect<R, C>(rows: R, mapping: &GridMapping) -> Option<Layout>
    where
        R: IntoIterator,
        R::Item: IntoIterator<Item = C>,
        C: AsRef<str>,
    {
        for (r, row) in rows.into_iter().enumerate().take(HEADER_SEARCH_ROWS) {
            let mut cols = [None; 11];
            let mut language = Language::English;
            for (c, cell) in row.into_iter().enumerate() {
                let t = norm(cell.as_ref());
                if t.is_empty() {
                    continue;
                }
                // The first field of either language with this title and no column yet.
                let found = Language::ALL.iter().find_map(|&lang| {
                    Field::ALL
                        .into_iter()
                        .find(|f| {
                            cols[f.index()].is_none()
                                && norm(&mapping.headers(lang)[f.index()]) == t
                        })
                        .map(|f| (lang, f))
                });
                if let Some((lang, field)) = found {
                    cols[field.index()] = Some(c);
                    if field == Field::Id {
                        language = lang;
                    }
                }
            }
            let found = |f: Field| cols[f.index()].is_some();
            if found(Field::Id) && found(Field::Task) && found(Field::Status) {
                return Some(Layout {
                    header_row: r,
                    language,
                    cols,
                });
            }
        }
        None
    }

    /// A new sheet's layout: the mapping's columns in order, the header on `header_row`.
    pub fn new_sheet(mapping: &GridMapping, language: Language, header_row: usize) -> Layout {
        let mut cols = [None; 11];
        for (i, field) in mapping.columns.iter().enumerate() {
            cols[field.index()] = Some(i);
        }
        Layout {
            header_row,
            language,
            cols,
        }
    }

    /// The column of a field, if the sheet has it.
    pub fn col(&self, field: Field) -> Option<usize> {
        self.cols[field.index()]
    }

    /// The columns throughline writes.
    pub fn field_columns(&self) -> Vec<usize> {
        self.cols.iter().flatten().copied().collect()
    }

    /// The field a column holds, if it is one of throughline's.
    pub fn field_at(&self, col: usize) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| self.cols[f.index()] == Some(col))
    }

    /// Columns of the mapping this sheet lacks, placed at its right from column `next` on
    /// (after what people added, so nothing of theirs moves): the fields and where each went.
    pub fn add_missing_columns(
        &mut self,
        mapping: &GridMapping,
        next: usize,
    ) -> Vec<(Field, usize)> {
        let mut next = next.max(self.cols.iter().flatten().map(|c| c + 1).max().unwrap_or(0));
        let mut added = Vec::new();
        for &field in &mapping.columns {
            if self.cols[field.index()].is_none() {
                self.cols[field.index()] = Some(next);
                added.push((field, next));
                next += 1;
            }
        }
        added
    }
}
