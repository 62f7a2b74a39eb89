//! Finding the header row and deciding what each column holds, from column titles in English
//! or Hebrew (with the usual synonyms) or from the mapping file.

use std::collections::{BTreeMap, BTreeSet};

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
    /// Tasks: when the work starts (with the due date, how long it takes).
    Start,
    /// Tasks: the project or campaign that groups the rows into items.
    Project,
    /// Done, doing, to do.
    Status,
}

impl Field {
    /// The names used in the mapping file's `[columns]`.
    pub const KEYS: [&'static str; 14] = [
        "id", "title", "golive", "process", "channel", "notes", "owner", "role", "stage", "step",
        "days", "start", "project", "status",
    ];
    pub const ALL: [Field; 14] = [
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
        Field::Start,
        Field::Project,
        Field::Status,
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
    pub fn synonyms(self) -> impl Iterator<Item = &'static str> {
        SYNONYMS
            .iter()
            .filter(move |s| s.field == self)
            .map(|s| s.title)
    }
}

/// What a column title says about the sheet's layout, beyond its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    None,
    /// Words of a content calendar: "Publish date", "Caption", "Channel".
    Calendar,
    /// Words of a task tracker: "Due date", "Task", "Assignee".
    Tracker,
}

/// One recognised column title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synonym {
    /// Normalised ([`normalize`]).
    pub title: &'static str,
    pub field: Field,
    pub hint: Hint,
}

const fn syn(title: &'static str, field: Field, hint: Hint) -> Synonym {
    Synonym { title, field, hint }
}

use Field as F;
use Hint::{Calendar as Cal, None as Any, Tracker as Trk};

/// Every column title throughline recognises, English and Hebrew, in one table. Within a field
/// the earlier title is the better one: when two columns claim a field, the better title wins.
pub const SYNONYMS: &[Synonym] = &[
    syn("id", F::Id, Any),
    syn("key", F::Id, Any),
    syn("item id", F::Id, Any),
    syn("post id", F::Id, Cal),
    syn("task id", F::Id, Trk),
    syn("ref", F::Id, Any),
    syn("reference", F::Id, Any),
    syn("code", F::Id, Any),
    syn("slug", F::Id, Any),
    syn("מזהה", F::Id, Any),
    syn("מפתח", F::Id, Any),
    syn("קוד", F::Id, Any),
    syn("מזהה פריט", F::Id, Any),
    syn("title", F::Title, Cal),
    syn("headline", F::Title, Cal),
    syn("post title", F::Title, Cal),
    syn("content title", F::Title, Cal),
    syn("caption", F::Title, Cal),
    syn("concept", F::Title, Cal),
    syn("item", F::Title, Any),
    syn("post", F::Title, Cal),
    syn("topic", F::Title, Cal),
    syn("subject", F::Title, Cal),
    syn("task", F::Title, Trk),
    syn("task name", F::Title, Trk),
    syn("deliverable", F::Title, Trk),
    syn("action item", F::Title, Trk),
    syn("name", F::Title, Any),
    syn("piece", F::Title, Cal),
    syn("content", F::Title, Cal),
    syn("כותרת", F::Title, Cal),
    syn("כותרת הפוסט", F::Title, Cal),
    syn("שם הפריט", F::Title, Any),
    syn("פריט", F::Title, Any),
    syn("פוסט", F::Title, Cal),
    syn("נושא", F::Title, Cal),
    syn("משימה", F::Title, Trk),
    syn("משימות", F::Title, Trk),
    syn("שם המשימה", F::Title, Trk),
    syn("שם", F::Title, Any),
    syn("תוכן", F::Title, Cal),
    syn("go live", F::GoLive, Cal),
    syn("golive", F::GoLive, Cal),
    syn("go live date", F::GoLive, Cal),
    syn("publish date", F::GoLive, Cal),
    syn("publishing date", F::GoLive, Cal),
    syn("publication date", F::GoLive, Cal),
    syn("publish on", F::GoLive, Cal),
    syn("post date", F::GoLive, Cal),
    syn("posting date", F::GoLive, Cal),
    syn("live date", F::GoLive, Cal),
    syn("launch date", F::GoLive, Cal),
    syn("release date", F::GoLive, Cal),
    syn("due date", F::GoLive, Trk),
    syn("תאריך פרסום", F::GoLive, Cal),
    syn("מועד פרסום", F::GoLive, Cal),
    syn("תאריך עלייה", F::GoLive, Cal),
    syn("תאריך עלייה לאוויר", F::GoLive, Cal),
    syn("עלייה לאוויר", F::GoLive, Cal),
    syn("תאריך השקה", F::GoLive, Cal),
    syn("תאריך יעד", F::GoLive, Trk),
    syn("publish", F::GoLive, Cal),
    syn("launch", F::GoLive, Cal),
    syn("deadline", F::GoLive, Trk),
    syn("due", F::GoLive, Trk),
    syn("due on", F::GoLive, Trk),
    syn("target date", F::GoLive, Trk),
    syn("end date", F::GoLive, Trk),
    syn("finish date", F::GoLive, Trk),
    syn("end", F::GoLive, Trk),
    syn("finish", F::GoLive, Trk),
    syn("date", F::GoLive, Any),
    syn("פרסום", F::GoLive, Cal),
    syn("השקה", F::GoLive, Cal),
    syn("מועד", F::GoLive, Any),
    syn("דדליין", F::GoLive, Trk),
    syn("תאריך סיום", F::GoLive, Trk),
    syn("תאריך", F::GoLive, Any),
    syn("start date", F::Start, Trk),
    syn("start", F::Start, Trk),
    syn("begin", F::Start, Trk),
    syn("תאריך התחלה", F::Start, Trk),
    syn("התחלה", F::Start, Trk),
    syn("process", F::Process, Any),
    syn("pipeline", F::Process, Any),
    syn("workflow", F::Process, Any),
    syn("playbook", F::Process, Any),
    syn("תהליך", F::Process, Any),
    syn("סוג תהליך", F::Process, Any),
    syn("project", F::Project, Trk),
    syn("projects", F::Project, Trk),
    syn("project name", F::Project, Trk),
    syn("campaign", F::Project, Any),
    syn("program", F::Project, Trk),
    syn("epic", F::Project, Trk),
    syn("workstream", F::Project, Trk),
    syn("פרויקט", F::Project, Trk),
    syn("פרוייקט", F::Project, Trk),
    syn("קמפיין", F::Project, Any),
    syn("channel", F::Channel, Cal),
    syn("platform", F::Channel, Cal),
    syn("network", F::Channel, Cal),
    syn("social network", F::Channel, Cal),
    syn("medium", F::Channel, Cal),
    syn("where", F::Channel, Cal),
    syn("ערוץ", F::Channel, Cal),
    syn("פלטפורמה", F::Channel, Cal),
    syn("רשת", F::Channel, Cal),
    syn("רשת חברתית", F::Channel, Cal),
    syn("מדיה", F::Channel, Cal),
    syn("notes", F::Notes, Any),
    syn("note", F::Notes, Any),
    syn("comments", F::Notes, Any),
    syn("comment", F::Notes, Any),
    syn("remarks", F::Notes, Any),
    syn("description", F::Notes, Any),
    syn("details", F::Notes, Any),
    syn("brief", F::Notes, Cal),
    syn("הערות", F::Notes, Any),
    syn("הערה", F::Notes, Any),
    syn("תיאור", F::Notes, Any),
    syn("פרטים", F::Notes, Any),
    syn("בריף", F::Notes, Cal),
    syn("owner", F::Owner, Any),
    syn("task owner", F::Owner, Trk),
    syn("responsible", F::Owner, Any),
    syn("assignee", F::Owner, Trk),
    syn("assigned to", F::Owner, Trk),
    syn("assigned", F::Owner, Trk),
    syn("resourcing", F::Owner, Trk),
    syn("resource", F::Owner, Trk),
    syn("resources", F::Owner, Trk),
    syn("in charge", F::Owner, Any),
    syn("person", F::Owner, Any),
    syn("people", F::Owner, Any),
    syn("who", F::Owner, Any),
    syn("אחראי", F::Owner, Any),
    syn("אחראית", F::Owner, Any),
    syn("באחריות", F::Owner, Any),
    syn("אחריות", F::Owner, Any),
    syn("מבצע", F::Owner, Trk),
    syn("מבצעת", F::Owner, Trk),
    syn("בעלים", F::Owner, Any),
    syn("מי", F::Owner, Any),
    syn("role", F::Role, Any),
    syn("owner role", F::Role, Any),
    syn("team", F::Role, Any),
    syn("תפקיד", F::Role, Any),
    syn("צוות", F::Role, Any),
    syn("stage", F::Stage, Any),
    syn("stage name", F::Stage, Any),
    syn("phase", F::Stage, Any),
    syn("שלב", F::Stage, Any),
    syn("שם השלב", F::Stage, Any),
    syn("שלבים", F::Stage, Any),
    syn("פאזה", F::Stage, Any),
    syn("step", F::Step, Any),
    syn("checklist", F::Step, Any),
    syn("checklist item", F::Step, Any),
    syn("action", F::Step, Any),
    syn("to do", F::Step, Any),
    syn("todo", F::Step, Any),
    syn("activity", F::Step, Any),
    syn("צעד", F::Step, Any),
    syn("פעולה", F::Step, Any),
    syn("פעילות", F::Step, Any),
    syn("days", F::Days, Any),
    syn("business days", F::Days, Any),
    syn("work days", F::Days, Any),
    syn("working days", F::Days, Any),
    syn("days of work", F::Days, Any),
    syn("duration", F::Days, Any),
    syn("effort", F::Days, Any),
    syn("effort days", F::Days, Any),
    syn("weeks", F::Days, Any),
    syn("ימים", F::Days, Any),
    syn("ימי עבודה", F::Days, Any),
    syn("מספר ימים", F::Days, Any),
    syn("משך בימים", F::Days, Any),
    syn("משך", F::Days, Any),
    syn("שבועות", F::Days, Any),
    syn("status", F::Status, Any),
    syn("state", F::Status, Any),
    syn("done", F::Status, Any),
    syn("progress", F::Status, Any),
    syn("complete", F::Status, Any),
    syn("completed", F::Status, Any),
    syn("סטטוס", F::Status, Any),
    syn("מצב", F::Status, Any),
    syn("בוצע", F::Status, Any),
    syn("הושלם", F::Status, Any),
];

/// Titles that show a row is a header although nothing in the column is imported.
const KNOWN: &[&str] = &[
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
    synonym(title)
        .map(|(syn, rank)| Match::Field(syn.field, rank))
        .or_else(|| {
            [normalize(title), normalize(&without_parentheses(title))]
                .iter()
                .any(|c| KNOWN.contains(&c.as_str()))
                .then_some(Match::Known)
        })
}

/// The table entry a column title matches, and its rank within its field (0 = best). The
/// title as written is tried first, then without its `(…)` part.
pub fn synonym(title: &str) -> Option<(&'static Synonym, usize)> {
    for candidate in [normalize(title), normalize(&without_parentheses(title))] {
        if candidate.is_empty() {
            continue;
        }
        if let Some(i) = SYNONYMS.iter().position(|s| s.title == candidate) {
            let field = SYNONYMS[i].field;
            let rank = SYNONYMS[..i].iter().filter(|s| s.field == field).count();
            return Some((&SYNONYMS[i], rank));
        }
    }
    None
}

/// The `(…)` part of a title, normalised: `Duration (weeks)` → `weeks`.
pub fn parenthesised(title: &str) -> Option<String> {
    let open = title.find('(')?;
    let close = title[open..].find(')')? + open;
    let inner = normalize(&title[open + 1..close]);
    (!inner.is_empty()).then_some(inner)
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
    let mut columns = mapped_columns(header, map, grid)?;
    let mut taken: BTreeSet<u32> = columns.fields.values().map(|c| c.col).collect();
    taken.extend(columns.people.iter().map(|(_, c)| c.col));
    for (field, (_, col, title)) in best_synonyms(header, &taken, &columns) {
        taken.insert(col);
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
        .filter(|(c, _)| !taken.contains(c))
        .map(|(col, title)| Column {
            col: *col,
            title: title.clone(),
            from_map: false,
        })
        .collect();
    Ok(columns)
}

/// The columns the mapping file names under `[columns]` and `[people]`; every name that fits
/// no column is a problem at its place in the mapping file.
fn mapped_columns(header: &Header, map: &Mapping, grid: &Grid) -> Result<Columns, Diagnostics> {
    let mut columns = Columns::default();
    let mut problems = Diagnostics::default();
    for (field, spec) in &map.columns {
        let what = format!("columns.{}", field.key());
        match resolve_mapped(header, spec) {
            Some(c) => {
                columns.fields.insert(*field, c);
            }
            None => problems
                .0
                .extend(unknown_mapped(header, map, grid, spec, &what).0),
        }
    }
    for (role, spec) in &map.people {
        match resolve_mapped(header, spec) {
            Some(c) => columns.people.push((role.clone(), c)),
            None => {
                let what = format!("people.{role}");
                problems
                    .0
                    .extend(unknown_mapped(header, map, grid, spec, &what).0);
            }
        }
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(problems)
    }
}

/// The column a mapping file's entry names: by its title, else by its letter.
fn resolve_mapped(header: &Header, spec: &ColumnSpec) -> Option<Column> {
    let n = normalize(&spec.text);
    if let Some((col, title)) = header.titles.iter().find(|(_, t)| normalize(t) == n) {
        return Some(Column {
            col: *col,
            title: title.clone(),
            from_map: true,
        });
    }
    let col = parse_column_name(&spec.text)?;
    let title = header
        .titles
        .iter()
        .find(|(c, _)| *c == col)
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    Some(Column {
        col,
        title,
        from_map: true,
    })
}

/// A mapping file's entry that names no column: the problem, with the columns there are.
fn unknown_mapped(
    header: &Header,
    map: &Mapping,
    grid: &Grid,
    spec: &ColumnSpec,
    what: &str,
) -> Diagnostics {
    let list: Vec<String> = header
        .titles
        .iter()
        .map(|(c, t)| format!("{} \"{t}\"", column_name(*c)))
        .collect();
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
}

/// For each field the mapping file left open, the column whose title is its best synonym;
/// the leftmost wins a tie. Each as (rank, column, title).
fn best_synonyms(
    header: &Header,
    taken: &BTreeSet<u32>,
    columns: &Columns,
) -> BTreeMap<Field, (usize, u32, String)> {
    let mut auto: BTreeMap<Field, (usize, u32, String)> = BTreeMap::new();
    for (col, title) in &header.titles {
        if taken.contains(col) {
            continue;
        }
        let Some(Match::Field(field, rank)) = classify(title) else {
            continue;
        };
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
    auto
}

#[cfg(test)]
mod tests {
    use super::*;

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
            classify("צעד"),
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
        assert!(matches!(
            classify("Status"),
            Some(Match::Field(Field::Status, _))
        ));
        assert_eq!(classify("Link"), Some(Match::Known));
        assert_eq!(normalize("  Go-Live:  Date (UK) "), "go live date uk");
        assert_eq!(normalize("\u{200F}תאריך_פרסום"), "תאריך פרסום");
        assert_eq!(normalize("İ"), "i\u{307}");
        assert_eq!(classify("Spring sale"), None);
    }

    /// Every title the issue lists (and the table holds) reads as its field; each entry of the
    /// table reads as itself, written as people write it.
    #[test]
    fn each_synonym_is_recognised() {
        let listed: &[(&str, Field)] = &[
            ("Caption", Field::Title),
            ("Concept", Field::Title),
            ("Post", Field::Title),
            ("Topic", Field::Title),
            ("Subject", Field::Title),
            ("Headline", Field::Title),
            ("Task", Field::Title),
            ("Deliverable", Field::Title),
            ("נושא", Field::Title),
            ("כותרת", Field::Title),
            ("משימה", Field::Title),
            ("תוכן", Field::Title),
            ("Owner", Field::Owner),
            ("Task Owner", Field::Owner),
            ("Assignee", Field::Owner),
            ("Responsible", Field::Owner),
            ("Resourcing", Field::Owner),
            ("Who", Field::Owner),
            ("אחראי", Field::Owner),
            ("מבצע", Field::Owner),
            ("באחריות", Field::Owner),
            ("Due", Field::GoLive),
            ("Deadline", Field::GoLive),
            ("End", Field::GoLive),
            ("Finish", Field::GoLive),
            ("Publish date", Field::GoLive),
            ("Go-live", Field::GoLive),
            ("Launch", Field::GoLive),
            ("תאריך יעד", Field::GoLive),
            ("דדליין", Field::GoLive),
            ("תאריך פרסום", Field::GoLive),
            ("Status", Field::Status),
            ("State", Field::Status),
            ("Done", Field::Status),
            ("Progress", Field::Status),
            ("סטטוס", Field::Status),
            ("מצב", Field::Status),
            ("בוצע", Field::Status),
        ];
        for (title, field) in listed {
            assert_eq!(
                synonym(title).map(|(s, _)| s.field),
                Some(*field),
                "{title}"
            );
            assert!(
                SYNONYMS.iter().any(|s| s.title == normalize(title)),
                "{title} is in the table"
            );
        }
        for s in SYNONYMS {
            assert_eq!(
                normalize(s.title),
                s.title,
                "{} is written normalised",
                s.title
            );
            let shouted = format!(" {}: ", s.title.to_uppercase());
            assert_eq!(synonym(&shouted).map(|(x, _)| x), Some(s), "{shouted}");
            assert!(
                SYNONYMS.iter().filter(|x| x.title == s.title).count() == 1,
                "{} is in the table once",
                s.title
            );
        }
    }

    fn grid(rows: &[&[&str]]) -> Grid {
        crate::import::grid::text_grid("Plan", rows)
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
