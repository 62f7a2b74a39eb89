//! Reading span-carrying TOML values into typed fields.
//!
//! Every value of the wrong shape becomes a plain-language problem at the value itself, and
//! reading goes on, so that one run reports everything. The three file formats in `raw.rs` are
//! written on top of this.

use std::ops::Range;

use jiff::civil::{Date, Weekday};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, Diagnostics, Source};

/// Which loaded file a span belongs to: an index into [`Files`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FileId(pub usize);

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct At<T> {
    pub value: T,
    pub file: FileId,
    pub span: Range<usize>,
}

impl<T> At<T> {
    pub fn new(value: T, file: FileId, span: Range<usize>) -> Self {
        At { value, file, span }
    }

    /// The same place, another value.
    pub fn with<U>(&self, value: U) -> At<U> {
        At {
            value,
            file: self.file,
            span: self.span.clone(),
        }
    }
}

/// Every file read so far, to turn spans into `file:line:col`.
#[derive(Debug, Default)]
pub(crate) struct Files(Vec<Source>);

impl Files {
    pub fn add(&mut self, source: Source) -> FileId {
        self.0.push(source);
        FileId(self.0.len() - 1)
    }

    pub fn get(&self, id: FileId) -> &Source {
        &self.0[id.0]
    }

    /// `file:line:col` of a place, for messages that point back at an earlier definition.
    pub fn place<T>(&self, at: &At<T>) -> String {
        let source = self.get(at.file);
        let (line, col) = source.line_col(at.span.start);
        format!("{}:{line}:{col}", source.path.display())
    }

    /// `line N` if the place is in `file`, else `file:line:col`: short where short is clear.
    pub fn place_from<T>(&self, at: &At<T>, file: FileId) -> String {
        if at.file == file {
            format!("line {}", self.get(at.file).line_col(at.span.start).0)
        } else {
            self.place(at)
        }
    }
}

/// Problems found so far, as spans; turned into [`Diagnostics`] once every file is read.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<(FileId, Range<usize>, String)>);

impl Problems {
    pub fn add(&mut self, file: FileId, span: Range<usize>, message: impl Into<String>) {
        self.0.push((file, span, message.into()));
    }

    pub fn at<T>(&mut self, at: &At<T>, message: impl Into<String>) {
        self.add(at.file, at.span.clone(), message);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn into_diagnostics(self, files: &Files) -> Diagnostics {
        let list = self
            .0
            .into_iter()
            .map(|(file, span, message)| files.get(file).diagnostic(span, message))
            .collect::<Vec<Diagnostic>>();
        Diagnostics(list).sorted()
    }
}

/// What a key's value should look like, for messages: "`days` must be {what}, like {example}".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expect {
    pub what: &'static str,
    pub example: &'static str,
}

/// One TOML table being read: its keys, where it was written, and how to name it in a message.
#[derive(Clone)]
pub(crate) struct Fields<'a, 'i> {
    pub file: FileId,
    pub table: &'a DeTable<'i>,
    /// The table's header or braces; "missing key" problems point here.
    pub span: Range<usize>,
    /// How a message names this table: "this stage", "[sync]".
    pub place: &'static str,
}

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

impl<'a, 'i> Fields<'a, 'i> {
    pub fn new(file: FileId, table: &'a Spanned<DeTable<'i>>, place: &'static str) -> Self {
        Fields {
            file,
            table: table.get_ref(),
            span: table.span(),
            place,
        }
    }

    /// A table that is itself a value (`[process]`, an inline table, an element of `[[stage]]`).
    pub fn from_value(file: FileId, value: &'a Value<'i>, place: &'static str) -> Option<Self> {
        match value.get_ref() {
            DeValue::Table(table) => Some(Fields {
                file,
                table,
                span: value.span(),
                place,
            }),
            _ => None,
        }
    }

    pub fn at<T>(&self, value: T) -> At<T> {
        At::new(value, self.file, self.span.clone())
    }

    pub fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.table.get(key)
    }

    /// Keys with their places, in the order they were written.
    pub fn entries(&self) -> Vec<(At<&'a str>, &'a Value<'i>)> {
        let mut list: Vec<_> = self
            .table
            .iter()
            .map(|(k, v)| (At::new(k.get_ref().as_ref(), self.file, k.span()), v))
            .collect();
        list.sort_by_key(|(k, _)| k.span.start);
        list
    }

    /// Whether some other key of this table looks like a typo of `key`.
    pub fn has_misspelling_of(&self, key: &str) -> bool {
        self.table
            .iter()
            .any(|(k, _)| k.get_ref() != key && suggest(k.get_ref(), [key]).is_some())
    }

    /// A problem for every key not in `allowed`, with the closest allowed key as a suggestion.
    pub fn check_keys(&self, allowed: &[&str], problems: &mut Problems) {
        for (key, _) in self.entries() {
            if !allowed.contains(&key.value) {
                problems.at(&key, unknown_key(key.value, self.place, allowed));
            }
        }
    }

    /// "this stage has no `owner`; add one, like owner = "writer"". Not said when a misspelt
    /// key (`ower`) is there: its "did you mean `owner`?" already tells the whole story.
    pub fn missing(&self, key: &str, expect: Expect, problems: &mut Problems) {
        if self.has_misspelling_of(key) {
            return;
        }
        problems.add(
            self.file,
            self.span.clone(),
            format!(
                "{} has no `{key}`; add one, like {key} = {}",
                self.place, expect.example
            ),
        );
    }

    fn wrong(&self, key: &str, value: &Value<'i>, expect: Expect, problems: &mut Problems) {
        problems.add(self.file, value.span(), wrong_type(key, expect));
    }

    pub fn str(&self, key: &str, expect: Expect, problems: &mut Problems) -> Option<At<String>> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(At::new(s.to_string(), self.file, value.span())),
            _ => {
                self.wrong(key, value, expect, problems);
                None
            }
        }
    }

    pub fn req_str(
        &self,
        key: &str,
        expect: Expect,
        problems: &mut Problems,
    ) -> Option<At<String>> {
        if self.get(key).is_none() {
            self.missing(key, expect, problems);
        }
        self.str(key, expect, problems)
    }

    /// Text that must not be empty or only spaces.
    pub fn text(&self, key: &str, expect: Expect, problems: &mut Problems) -> Option<At<String>> {
        let value = self.str(key, expect, problems)?;
        if value.value.trim().is_empty() {
            problems.at(
                &value,
                format!(
                    "`{key}` is empty; write {}, like {key} = {}",
                    expect.what, expect.example
                ),
            );
            return None;
        }
        Some(value)
    }

    pub fn req_text(
        &self,
        key: &str,
        expect: Expect,
        problems: &mut Problems,
    ) -> Option<At<String>> {
        if self.get(key).is_none() {
            self.missing(key, expect, problems);
        }
        self.text(key, expect, problems)
    }

    /// An id: see [`check_id`].
    pub fn id(&self, key: &str, expect: Expect, problems: &mut Problems) -> Option<At<String>> {
        let value = self.req_str(key, expect, problems)?;
        check_id(&value, key, problems).then_some(value)
    }

    /// A whole number ≥ 0.
    pub fn count(&self, key: &str, expect: Expect, problems: &mut Problems) -> Option<At<u32>> {
        let value = self.get(key)?;
        let number = match value.get_ref() {
            DeValue::Integer(n) => i64::from_str_radix(n.as_str(), n.radix()).ok(),
            _ => {
                self.wrong(key, value, expect, problems);
                return None;
            }
        };
        match number {
            Some(n) if n < 0 => {
                problems.add(
                    self.file,
                    value.span(),
                    format!("{}; {n} is negative", wrong_type(key, expect)),
                );
                None
            }
            Some(n) => match u32::try_from(n) {
                Ok(n) => Some(At::new(n, self.file, value.span())),
                Err(_) => {
                    problems.add(
                        self.file,
                        value.span(),
                        format!("{}; {n} is far too large", wrong_type(key, expect)),
                    );
                    None
                }
            },
            None => {
                problems.add(
                    self.file,
                    value.span(),
                    format!("{}; this number is far too large", wrong_type(key, expect)),
                );
                None
            }
        }
    }

    /// A number, whole or with a fraction.
    pub fn number(&self, key: &str, expect: Expect, problems: &mut Problems) -> Option<At<f64>> {
        let value = self.get(key)?;
        let number = match value.get_ref() {
            DeValue::Integer(n) => i64::from_str_radix(n.as_str(), n.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            _ => None,
        };
        match number {
            Some(n) if n.is_finite() => Some(At::new(n, self.file, value.span())),
            _ => {
                self.wrong(key, value, expect, problems);
                None
            }
        }
    }

    pub fn date(&self, key: &str, problems: &mut Problems) -> Option<At<Date>> {
        let value = self.get(key)?;
        read_date(self.file, key, value, problems)
    }

    pub fn req_date(
        &self,
        key: &str,
        example: &'static str,
        problems: &mut Problems,
    ) -> Option<At<Date>> {
        if self.get(key).is_none() {
            self.missing(
                key,
                Expect {
                    what: "a date",
                    example,
                },
                problems,
            );
        }
        self.date(key, problems)
    }

    /// A list of values; a single value is taken as a list of one.
    pub fn list(&self, key: &str) -> Option<(Range<usize>, Vec<&'a Value<'i>>)> {
        let value = self.get(key)?;
        Some(match value.get_ref() {
            DeValue::Array(items) => (value.span(), items.iter().collect()),
            _ => (value.span(), vec![value]),
        })
    }

    /// A list of text values (a single text is a list of one).
    pub fn str_list(
        &self,
        key: &str,
        expect: Expect,
        problems: &mut Problems,
    ) -> Option<At<Vec<At<String>>>> {
        let (span, values) = self.list(key)?;
        let mut out = Vec::new();
        for value in values {
            match value.get_ref() {
                DeValue::String(s) => out.push(At::new(s.to_string(), self.file, value.span())),
                _ => self.wrong(key, value, expect, problems),
            }
        }
        Some(At::new(out, self.file, span))
    }

    pub fn dates(&self, key: &str, problems: &mut Problems) -> Option<At<Vec<At<Date>>>> {
        let (span, values) = self.list(key)?;
        let out = values
            .into_iter()
            .filter_map(|v| read_date(self.file, key, v, problems))
            .collect();
        Some(At::new(out, self.file, span))
    }

    pub fn weekdays(&self, key: &str, problems: &mut Problems) -> Option<At<Vec<At<Weekday>>>> {
        let expect = Expect {
            what: "a list of weekday names",
            example: "[\"mon\", \"thu\"]",
        };
        let (span, values) = self.list(key)?;
        let mut out = Vec::new();
        for value in values {
            let DeValue::String(name) = value.get_ref() else {
                self.wrong(key, value, expect, problems);
                continue;
            };
            match parse_weekday(name) {
                Some(day) => out.push(At::new(day, self.file, value.span())),
                None => {
                    let mut message = format!("unknown weekday `{name}`");
                    match suggest(name, WEEKDAY_NAMES.iter().map(|(n, _)| *n)) {
                        Some(near) => message.push_str(&format!("; did you mean `{near}`?")),
                        None => message.push('.'),
                    }
                    message.push_str(
                        " Use sun, mon, tue, wed, thu, fri, sat (or the full English names)",
                    );
                    problems.add(self.file, value.span(), message);
                }
            }
        }
        Some(At::new(out, self.file, span))
    }

    /// A table (`[sync]`, `only = { ... }`).
    pub fn table(
        &self,
        key: &str,
        place: &'static str,
        expect: Expect,
        problems: &mut Problems,
    ) -> Option<Fields<'a, 'i>> {
        let value = self.get(key)?;
        let fields = Fields::from_value(self.file, value, place);
        if fields.is_none() {
            self.wrong(key, value, expect, problems);
        }
        fields
    }

    /// `[[key]]` tables, in file order.
    pub fn tables(
        &self,
        key: &str,
        place: &'static str,
        expect: Expect,
        problems: &mut Problems,
    ) -> Vec<Fields<'a, 'i>> {
        let Some((_, values)) = self.list(key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for value in values {
            match Fields::from_value(self.file, value, place) {
                Some(fields) => out.push(fields),
                None => self.wrong(key, value, expect, problems),
            }
        }
        out
    }
}

pub(crate) fn wrong_type(key: &str, expect: Expect) -> String {
    format!("`{key}` must be {}, like {}", expect.what, expect.example)
}

pub(crate) fn unknown_key(key: &str, place: &str, allowed: &[&str]) -> String {
    match suggest(key, allowed.iter().copied()) {
        Some(near) => format!("unknown key `{key}`; did you mean `{near}`?"),
        None => format!(
            "unknown key `{key}` in {place}; the keys it takes are: {}",
            allowed.join(", ")
        ),
    }
}

/// Ids become part of task identities (`item/stage/key`, `cadence@date`) and of links in every
/// tool, so they must be short words: letters of any script, digits, `-`, `_` and `.`.
pub(crate) fn check_id(id: &At<String>, key: &str, problems: &mut Problems) -> bool {
    let text = &id.value;
    if text.is_empty() {
        problems.at(
            id,
            format!("`{key}` is empty; write a short name, like {key} = \"spring-sale\""),
        );
        return false;
    }
    if text
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return true;
    }
    problems.at(
        id,
        format!(
            "`{text}` cannot be used as an id: use letters, digits, `-`, `_` and `.` only (no spaces, `/` or `@`), like `{}`",
            super::slug(text)
        ),
    );
    false
}

const WEEKDAY_NAMES: [(&str, Weekday); 14] = [
    ("sun", Weekday::Sunday),
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
];

/// `sun`..`sat` or a full English name, any case.
pub(crate) fn parse_weekday(name: &str) -> Option<Weekday> {
    let lower = name.trim().to_lowercase();
    WEEKDAY_NAMES
        .iter()
        .find(|(n, _)| *n == lower)
        .map(|(_, d)| *d)
}

fn read_date(
    file: FileId,
    key: &str,
    value: &Value<'_>,
    problems: &mut Problems,
) -> Option<At<Date>> {
    let span = value.span();
    let result = match value.get_ref() {
        DeValue::String(text) => parse_date_text(text),
        DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => Date::new(d.year as i16, d.month as i8, d.day as i8)
                .map_err(|_| format!("`{dt}` is not a real date")),
            // The TOML reader already reported a malformed date literal.
            (None, None, None) => return None,
            _ => Err(format!(
                "`{key}` must be a date without a time, like 2026-12-10"
            )),
        },
        _ => Err(format!("`{key}` must be a date, like 2026-12-10")),
    };
    match result.and_then(|date| in_years(date).map(|()| date)) {
        Ok(date) => Some(At::new(date, file, span)),
        Err(message) => {
            problems.add(file, span, message);
            None
        }
    }
}

/// The years a date may fall in. Every tool holds these, and a typo in the year (`0001`,
/// `2207`) is caught here instead of becoming thousands of tasks or a workbook no tool opens.
pub(crate) const YEARS: std::ops::RangeInclusive<i16> = 1990..=2200;

fn in_years(date: Date) -> Result<(), String> {
    if YEARS.contains(&date.year()) {
        Ok(())
    } else {
        Err(format!(
            "`{date}` is outside the years {}–{} that throughline works with; check the year",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// `YYYY-MM-DD`, checked against the calendar: `2026-02-30` is not a date.
pub(crate) fn parse_date_text(text: &str) -> Result<Date, String> {
    let shape_ok = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shape_ok {
        return Err(format!(
            "`{text}` is not a date; write dates as year-month-day, like 2026-12-10"
        ));
    }
    let year: i16 = text[0..4]
        .parse()
        .map_err(|_| format!("`{text}` is not a date"))?;
    let month: i8 = text[5..7]
        .parse()
        .map_err(|_| format!("`{text}` is not a date"))?;
    let day: i8 = text[8..10]
        .parse()
        .map_err(|_| format!("`{text}` is not a date"))?;
    if !(1..=12).contains(&month) {
        return Err(format!(
            "`{text}` is not a real date: there is no month {month}"
        ));
    }
    let first = Date::new(year, month, 1).map_err(|_| format!("`{text}` is not a real date"))?;
    if day < 1 || day > first.days_in_month() {
        return Err(format!(
            "`{text}` is not a real date: {} {year} has {} days",
            first.strftime("%B"),
            first.days_in_month()
        ));
    }
    Date::new(year, month, day).map_err(|_| format!("`{text}` is not a real date"))
}

/// The same judgement of "a likely typo" for mapping files and for the model's own files.
pub(crate) use throughline_connector::mapping::suggest;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_against_the_calendar() {
        assert_eq!(
            parse_date_text("2026-12-10"),
            Ok(Date::new(2026, 12, 10).unwrap())
        );
        assert_eq!(
            parse_date_text("2028-02-29"),
            Ok(Date::new(2028, 2, 29).unwrap())
        );
        assert_eq!(
            parse_date_text("2026-02-30").unwrap_err(),
            "`2026-02-30` is not a real date: February 2026 has 28 days"
        );
        assert!(
            parse_date_text("2026-13-01")
                .unwrap_err()
                .contains("no month 13")
        );
        assert!(
            parse_date_text("10/12/2026")
                .unwrap_err()
                .contains("year-month-day")
        );
        assert!(parse_date_text("2026-1-5").is_err());
    }

    #[test]
    fn weekdays_take_short_and_full_names_in_any_case() {
        assert_eq!(parse_weekday("sun"), Some(Weekday::Sunday));
        assert_eq!(parse_weekday("Thursday"), Some(Weekday::Thursday));
        assert_eq!(parse_weekday("TUE"), Some(Weekday::Tuesday));
        assert_eq!(parse_weekday("tues"), None);
        assert_eq!(parse_weekday("יום א"), None);
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let keys = ["id", "name", "owner", "days", "after", "checklist"];
        assert_eq!(suggest("ower", keys), Some("owner"));
        assert_eq!(suggest("Owner", keys), Some("owner"));
        assert_eq!(suggest("checklists", keys), Some("checklist"));
        assert_eq!(suggest("colour", keys), None);
        assert_eq!(suggest("idae", ["idea", "copy"]), Some("idea"));
        assert_eq!(suggest("contnet", ["content"]), Some("content"));
        // Two different Hebrew words ("preparation", "launch") are not typos of each other.
        assert_eq!(suggest("הכנה", ["השקה"]), None);
        assert_eq!(suggest("תקשרת", ["תקשורת"]), Some("תקשורת"));
        assert_eq!(suggest("tuseday", ["tuesday"]), Some("tuesday"));
    }
}
