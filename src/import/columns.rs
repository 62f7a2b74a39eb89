//! Finding the header row and deciding what each column holds, from column titles in English
//! or Hebrew (with the usual synonyms) or from the mapping file.

use std::collections::BTreeMap;

use super::error::NoHeader;
use super::grid::{Grid, column_name, is_direction_mark, parse_column_name};
use super::mapfile::{ColumnSpec, Mapping};
use crate::model::Diagnostics;

/// What a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Id,
    Title,
    GoLive,
    Process,
    Channel,
    Notes,
    Owner,
    Role,
    Stage,
    Step,
    Days,
}

impl Field {
    /// The names used in the mapping file's `[columns]`.
    pub const KEYS: [&'static str; 11] = [
        "id", "title", "golive", "process", "channel", "notes", "owner", "role", "stage", "step",
        "days",
    ];
    const ALL: [Field; 11] = [
        Field::Id,
        Field::Title,
        Field::GoLive,
        Field::Process,
        Field::Channel,
        Field::Notes,
        Field::Owner,
        Field::Role,
        Field::Stage,
        Field::Step,
        Field::Days,
    ];

    pub fn key(self) -> &'static str {
        Self::KEYS[Self::ALL.iter().position(|f| *f == self).expect("listed")]
    }

    pub fn from_key(key: &str) -> Option<Field> {
        let k = key.trim().to_ascii_lowercase().replace(['_', '-'], "");
        let k = if k == "key" { "id".to_string() } else { k };
        Self::ALL.iter().copied().find(|f| f.key() == k)
    }

    /// Column titles people use for this field, best first (already normalised).
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Id => &[
                "id",
                "key",
                "item id",
                "post id",
                "ref",
                "reference",
                "code",
                "slug",
                "מזהה",
                "מפתח",
                "קוד",
                "מזהה פריט",
            ],
            Field::Title => &[
                "title",
                "headline",
                "post title",
                "content title",
                "item",
                "post",
                "topic",
                "subject",
                "name",
                "piece",
                "campaign",
                "content",
                "כותרת",
                "כותרת הפוסט",
                "שם הפריט",
                "פריט",
                "פוסט",
                "נושא",
                "שם",
                "קמפיין",
                "תוכן",
            ],
            Field::GoLive => &[
                "go live",
                "golive",
                "go live date",
                "publish date",
                "publishing date",
                "publication date",
                "publish on",
                "post date",
                "posting date",
                "live date",
                "launch date",
                "release date",
                "תאריך פרסום",
                "מועד פרסום",
                "תאריך עלייה",
                "תאריך עלייה לאוויר",
                "עלייה לאוויר",
                "תאריך השקה",
                "תאריך יעד",
                "publish",
                "launch",
                "due date",
                "deadline",
                "due",
                "date",
                "פרסום",
                "השקה",
                "מועד",
                "דדליין",
                "תאריך",
            ],
            Field::Process => &[
                "process",
                "pipeline",
                "workflow",
                "playbook",
                "תהליך",
                "סוג תהליך",
            ],
            Field::Channel => &[
                "channel",
                "platform",
                "network",
                "social network",
                "medium",
                "where",
                "ערוץ",
                "פלטפורמה",
                "רשת",
                "רשת חברתית",
                "מדיה",
            ],
            Field::Notes => &[
                "notes",
                "note",
                "comments",
                "comment",
                "remarks",
                "description",
                "details",
                "brief",
                "הערות",
                "הערה",
                "תיאור",
                "פרטים",
                "בריף",
            ],
            Field::Owner => &[
                "owner",
                "responsible",
                "assignee",
                "assigned to",
                "in charge",
                "person",
                "who",
                "אחראי",
                "אחראית",
                "באחריות",
                "אחריות",
                "מבצע",
                "בעלים",
                "מי",
            ],
            Field::Role => &["role", "owner role", "team", "תפקיד", "צוות"],
            Field::Stage => &[
                "stage",
                "stage name",
                "phase",
                "שלב",
                "שם השלב",
                "שלבים",
                "פאזה",
            ],
            Field::Step => &[
                "step",
                "task",
                "checklist",
                "checklist item",
                "action",
                "to do",
                "todo",
                "activity",
                "משימה",
                "משימות",
                "צעד",
                "פעולה",
                "פעילות",
            ],
            Field::Days => &[
                "days",
                "business days",
                "work days",
                "working days",
                "days of work",
                "duration",
                "effort",
                "effort days",
                "ימים",
                "ימי עבודה",
                "מספר ימים",
                "משך בימים",
                "משך",
            ],
        }
    }
}

/// Titles that show a row is a header although nothing in the column is imported.
const KNOWN: &[&str] = &[
    "status",
    "state",
    "done",
    "progress",
    "link",
    "url",
    "budget",
    "cost",
    "#",
    "no",
    "number",
    "week",
    "month",
    "day",
    "weekday",
    "סטטוס",
    "מצב",
    "בוצע",
    "קישור",
    "תקציב",
    "שבוע",
    "חודש",
    "יום",
    "מס",
    "מספר",
];

/// Lower-case, punctuation to spaces, spaces collapsed: `Go-Live:` → `go live`.
pub fn normalize(text: &str) -> String {
    normalized_chars(text).collect()
}

/// The characters of [`normalize`], without building the string: comparing a cell with a
/// title this way costs no allocation, which matters on sheets of 100,000 rows.
pub fn normalized_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    let mut chars = text.chars().filter(|c| !is_direction_mark(*c));
    let (mut started, mut space) = (false, false);
    let mut lower: Option<std::char::ToLowercase> = None;
    std::iter::from_fn(move || {
        loop {
            if let Some(c) = lower.as_mut().and_then(Iterator::next) {
                return Some(c);
            }
            let c = chars.next()?;
            if c.is_whitespace()
                || matches!(
                    c,
                    '_' | '-' | '/' | '.' | ':' | '*' | '?' | '(' | ')' | '[' | ']' | '\'' | '׳'
                )
            {
                space = started;
                continue;
            }
            started = true;
            lower = Some(c.to_lowercase());
            if space {
                space = false;
                return Some(' ');
            }
        }
    })
}

/// Without any `(…)` part: `Publish date (dd/mm/yyyy)` → `Publish date`.
fn without_parentheses(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// What a column title says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The field and how good a synonym the title is (0 = best).
    Field(Field, usize),
    /// A usual column title that is not imported ("Status").
    Known,
}

pub fn classify(title: &str) -> Option<Match> {
    for candidate in [normalize(title), normalize(&without_parentheses(title))] {
        if candidate.is_empty() {
            continue;
        }
        for field in Field::ALL {
            if let Some(rank) = field.synonyms().iter().position(|s| *s == candidate) {
                return Some(Match::Field(field, rank));
            }
        }
        if KNOWN.contains(&candidate.as_str()) {
            return Some(Match::Known);
        }
    }
    None
}

pub fn has_hebrew(text: &str) -> bool {
    text.chars().any(|c| ('\u{05D0}'..='\u{05EA}').contains(&c))
}

/// The header row: where it is and the titles in it.
#[derive(Debug, Clone)]
pub struct Header {
    /// Absolute, 0-based.
    pub row: u32,
    /// Non-empty titles by column.
    pub titles: Vec<(u32, String)>,
    /// Some title is in Hebrew.
    pub hebrew: bool,
}

/// Rows searched for a header when the mapping file does not name one.
pub const HEADER_SEARCH_ROWS: u32 = 30;

fn map_field_for(title: &str, map: &Mapping) -> Option<Field> {
    let n = normalize(title);
    map.columns
        .iter()
        .find(|(_, spec)| normalize(&spec.text) == n)
        .map(|(f, _)| *f)
}

/// Find the header: the row among the first rows with the most recognised column titles
/// (at least two), or the row the mapping file names.
pub fn find_header(grid: &Grid, map: &Mapping) -> Result<Header, NoHeader> {
    let titles = |row: u32| -> Vec<(u32, String)> {
        grid.col_range()
            .filter_map(|c| grid.get(row, c).text().map(|t| (c, t)))
            .collect()
    };
    let no_header = |explicit: bool| {
        let first_row = grid
            .row_range()
            .map(titles)
            .find(|t| !t.is_empty())
            .map(|t| {
                t.iter()
                    .map(|(_, s)| format!("\"{s}\""))
                    .take(8)
                    .collect::<Vec<_>>()
                    .join(", ")
            });
        NoHeader {
            place: grid.label.clone(),
            searched_rows: HEADER_SEARCH_ROWS.min(grid.row_count() as u32),
            first_row,
            explicit_row: explicit,
        }
    };
    if let Some(n) = map.header_row {
        let row = n - 1;
        let t = titles(row);
        let recognised = t
            .iter()
            .any(|(_, s)| map_field_for(s, map).is_some() || classify(s).is_some())
            || !map.columns.is_empty();
        if t.is_empty() || !recognised {
            let mut err = no_header(true);
            err.place = grid.row_ref(row).to_string();
            return Err(err);
        }
        let hebrew = t.iter().any(|(_, s)| has_hebrew(s));
        return Ok(Header {
            row,
            titles: t,
            hebrew,
        });
    }
    let mut best: Option<(u32, usize, usize)> = None;
    let rows = grid.row_range();
    for row in rows.start..rows.end.min(rows.start + HEADER_SEARCH_ROWS) {
        let mut fields = Vec::new();
        let mut known = 0;
        for (_, t) in titles(row) {
            if let Some(f) = map_field_for(&t, map) {
                fields.push(f);
                continue;
            }
            match classify(&t) {
                Some(Match::Field(f, _)) => fields.push(f),
                Some(Match::Known) => known += 1,
                None => {}
            }
        }
        fields.sort();
        fields.dedup();
        let score = (fields.len(), known);
        if fields.len() >= 2 && best.is_none_or(|(_, f, k)| score > (f, k)) {
            best = Some((row, score.0, score.1));
        }
    }
    let (row, ..) = best.ok_or_else(|| no_header(false))?;
    let t = titles(row);
    let hebrew = t.iter().any(|(_, s)| has_hebrew(s));
    Ok(Header {
        row,
        titles: t,
        hebrew,
    })
}

/// A column chosen for a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub col: u32,
    /// The title in the header row (may be empty for a column named by letter).
    pub title: String,
    pub from_map: bool,
}

impl Column {
    /// `C "Publish date"`.
    pub fn describe(&self) -> String {
        if self.title.is_empty() {
            column_name(self.col)
        } else {
            format!("{} \"{}\"", column_name(self.col), self.title)
        }
    }
}

/// Which column holds what.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    pub fields: BTreeMap<Field, Column>,
    /// Items: role id → the column with that role's person for each item.
    pub people: Vec<(String, Column)>,
    /// Titled columns nothing was taken from.
    pub unused: Vec<Column>,
}

impl Columns {
    pub fn get(&self, field: Field) -> Option<u32> {
        self.fields.get(&field).map(|c| c.col)
    }

    pub fn has(&self, field: Field) -> bool {
        self.fields.contains_key(&field)
    }

    /// Forget a field (its column becomes unused), e.g. a Stage column in a calendar.
    pub fn drop_field(&mut self, field: Field) {
        if let Some(c) = self.fields.remove(&field) {
            self.unused.push(c);
            self.unused.sort_by_key(|c| c.col);
        }
    }

    /// Use `col` for role `role`'s people (taking it out of the unused list).
    pub fn add_people(&mut self, role: String, col: u32, title: String, from_map: bool) {
        self.unused.retain(|c| c.col != col);
        self.people.push((
            role,
            Column {
                col,
                title,
                from_map,
            },
        ));
    }
}

/// Decide the columns: the mapping file first, then the best synonym for each field.
pub fn assign(header: &Header, map: &Mapping, grid: &Grid) -> Result<Columns, Diagnostics> {
    let mut columns = Columns::default();
    let mut taken: BTreeMap<u32, ()> = BTreeMap::new();
    let mut problems = Diagnostics::default();
    let resolve = |spec: &ColumnSpec, what: &str, problems: &mut Diagnostics| -> Option<Column> {
        let n = normalize(&spec.text);
        if let Some((col, title)) = header.titles.iter().find(|(_, t)| normalize(t) == n) {
            return Some(Column {
                col: *col,
                title: title.clone(),
                from_map: true,
            });
        }
        if let Some(col) = parse_column_name(&spec.text) {
            let title = header
                .titles
                .iter()
                .find(|(c, _)| *c == col)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            return Some(Column {
                col,
                title,
                from_map: true,
            });
        }
        let list: Vec<String> = header
            .titles
            .iter()
            .map(|(c, t)| format!("{} \"{t}\"", column_name(*c)))
            .collect();
        problems.0.extend(
            map.problem(
                spec.span.clone(),
                format!(
                    "{what} = \"{}\": the header row ({}) has no column with this title, and it is not \
                     a column letter. Its columns are: {}",
                    spec.text,
                    grid.row_ref(header.row),
                    list.join(", ")
                ),
            )
            .0,
        );
        None
    };
    for (field, spec) in &map.columns {
        if let Some(c) = resolve(spec, &format!("columns.{}", field.key()), &mut problems) {
            taken.insert(c.col, ());
            columns.fields.insert(*field, c);
        }
    }
    for (role, spec) in &map.people {
        if let Some(c) = resolve(spec, &format!("people.{role}"), &mut problems) {
            taken.insert(c.col, ());
            columns.people.push((role.clone(), c));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Best synonym wins a field; the leftmost wins a tie.
    let mut auto: BTreeMap<Field, (usize, u32, String)> = BTreeMap::new();
    for (col, title) in &header.titles {
        if taken.contains_key(col) {
            continue;
        }
        if let Some(Match::Field(field, rank)) = classify(title) {
            if columns.fields.contains_key(&field) {
                continue;
            }
            let better = auto
                .get(&field)
                .is_none_or(|(r, c, _)| (rank, *col) < (*r, *c));
            if better {
                auto.insert(field, (rank, *col, title.clone()));
            }
        }
    }
    for (field, (_, col, title)) in auto {
        taken.insert(col, ());
        columns.fields.insert(
            field,
            Column {
                col,
                title,
                from_map: false,
            },
        );
    }
    columns.unused = header
        .titles
        .iter()
        .filter(|(c, _)| !taken.contains_key(c))
        .map(|(col, title)| Column {
            col: *col,
            title: title.clone(),
            from_map: false,
        })
        .collect();
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::grid::Value;

    #[test]
    fn titles_in_english_and_hebrew() {
        assert_eq!(
            classify("Publish date"),
            Some(Match::Field(Field::GoLive, 3))
        );
        assert!(matches!(
            classify(" Go-Live: "),
            Some(Match::Field(Field::GoLive, _))
        ));
        assert!(matches!(
            classify("Publish date (dd/mm/yyyy)"),
            Some(Match::Field(Field::GoLive, _))
        ));
        assert!(matches!(
            classify("תאריך פרסום"),
            Some(Match::Field(Field::GoLive, _))
        ));
        assert!(matches!(
            classify("\u{200F}אחראי"),
            Some(Match::Field(Field::Owner, _))
        ));
        assert!(matches!(
            classify("שלב"),
            Some(Match::Field(Field::Stage, _))
        ));
        assert!(matches!(
            classify("משימה"),
            Some(Match::Field(Field::Step, _))
        ));
        assert!(matches!(
            classify("ימים"),
            Some(Match::Field(Field::Days, _))
        ));
        assert!(matches!(
            classify("ערוץ"),
            Some(Match::Field(Field::Channel, _))
        ));
        assert!(matches!(
            classify("כותרת"),
            Some(Match::Field(Field::Title, _))
        ));
        assert!(matches!(
            classify("TITLE"),
            Some(Match::Field(Field::Title, _))
        ));
        assert_eq!(classify("Status"), Some(Match::Known));
        assert_eq!(normalize("  Go-Live:  Date (UK) "), "go live date uk");
        assert_eq!(normalize("\u{200F}תאריך_פרסום"), "תאריך פרסום");
        assert_eq!(normalize("İ"), "i\u{307}");
        assert_eq!(classify("Spring sale"), None);
    }

    fn grid(rows: &[&[&str]]) -> Grid {
        Grid::new(
            "Plan",
            (0, 0),
            rows.iter()
                .map(|r| {
                    r.iter()
                        .map(|s| {
                            if s.is_empty() {
                                Value::Empty
                            } else {
                                Value::Text(s.to_string())
                            }
                        })
                        .collect()
                })
                .collect(),
        )
    }

    #[test]
    fn header_below_a_title_block_and_best_synonym_wins() {
        let g = grid(&[
            &["Content calendar 2026"],
            &[""],
            &["Prepared by Dana", "", "Updated weekly"],
            &["Title", "Date", "Publish date", "Owner", "Budget"],
            &["Spring sale", "01/02/2026", "03/04/2026", "dana"],
        ]);
        let map = Mapping::default();
        let h = find_header(&g, &map).unwrap();
        assert_eq!(h.row, 3);
        let cols = assign(&h, &map, &g).unwrap();
        assert_eq!(cols.get(Field::GoLive), Some(2), "Publish date beats Date");
        assert_eq!(cols.get(Field::Title), Some(0));
        assert_eq!(
            cols.unused
                .iter()
                .map(|c| c.title.as_str())
                .collect::<Vec<_>>(),
            vec!["Date", "Budget"]
        );
    }

    #[test]
    fn no_header_says_what_the_first_row_holds() {
        let g = grid(&[&["a", "b"], &["c", "d"]]);
        let err = find_header(&g, &Mapping::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Plan: no header row found in the first 2 rows"),
            "{err}"
        );
        assert!(err.contains("\"a\", \"b\""), "{err}");
    }
}
