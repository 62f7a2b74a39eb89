//! iCalendar (RFC 5545) files of a schedule: one all-day event per task due date and per item
//! go-live, for `throughline calendar` and the daemon's `/calendar/<token>/<person>.ics`.
//!
//! Written by hand rather than with the `icalendar` crate: that crate is built on `chrono`
//! (this code base uses `jiff`) and brings a parser we do not need; what we write is a handful
//! of properties, and the parts that are easy to get wrong (escaping, folding at 75 octets
//! without splitting a UTF-8 character, CRLF) are tested here.
//!
//! UIDs come from the identity (`item/stage@throughline`, `item@golive.throughline`), so a
//! re-import or a subscription refresh updates the event instead of adding a second one.
//! `DTSTAMP` and `LAST-MODIFIED` are the export time and `SEQUENCE` grows with it (minutes
//! since 2020), so an app that compares sequences takes a newer export as an update.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::model::{Deployment, Lang};
use crate::schedule::{Schedule, Task, expand_items};
use crate::state::{StateError, StateStore};

/// One all-day event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    pub uid: String,
    pub date: Date,
    pub summary: String,
    pub description: String,
}

/// Which events a calendar holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// Only the tasks this person owns (an address, compared without case and without a
    /// display name), and the go-lives of the items those tasks belong to.
    pub person: Option<&'a str>,
    /// Only this item's tasks and go-live.
    pub item: Option<&'a str>,
}

/// The address part of `Dana Levi <dana@example.com>` or `dana@example.com`, lower-cased.
pub fn address(person: &str) -> String {
    let inner = match (person.rfind('<'), person.rfind('>')) {
        (Some(open), Some(close)) if open < close => &person[open + 1..close],
        _ => person,
    };
    inner.trim().to_lowercase()
}

/// Every person who owns a task in the schedule (or is named in a role), by address, sorted.
pub fn people(dep: &Deployment, schedule: &Schedule) -> Vec<String> {
    let mut all = BTreeSet::new();
    for task in &schedule.tasks {
        if let Some(owner) = &task.owner {
            all.insert(address(owner));
        }
    }
    for process in &dep.processes {
        for role in &process.roles {
            for person in &role.people {
                all.insert(address(person));
            }
        }
    }
    all.into_iter().collect()
}

/// The events of `schedule` that `filter` keeps: each task on its due date, then each item's
/// go-live, in schedule order.
pub fn events(dep: &Deployment, schedule: &Schedule, filter: Filter) -> Vec<CalendarEvent> {
    let lang_of = |process: &str| dep.process(process).map(|p| p.lang).unwrap_or_default();
    let person = filter.person.map(address);
    let mut out = Vec::new();
    // Items with a kept task, for the go-lives a person's calendar shows.
    let mut items_of_person = BTreeSet::new();
    for task in &schedule.tasks {
        if filter.item.is_some_and(|id| task.item != id) {
            continue;
        }
        if let Some(person) = &person
            && task.owner.as_deref().map(address).as_ref() != Some(person)
        {
            continue;
        }
        items_of_person.insert(task.item.as_str());
        out.push(task_event(task, lang_of(&task.process)));
    }
    for item in expand_items(dep) {
        if filter.item.is_some_and(|id| item.id != id)
            || (person.is_some() && !items_of_person.contains(item.id.as_str()))
        {
            continue;
        }
        let lang = lang_of(&item.process);
        let (label, what) = match lang {
            Lang::He => ("עלייה לאוויר", "פריט"),
            Lang::En => ("Go-live", "Item"),
        };
        out.push(CalendarEvent {
            uid: format!("{}@golive.throughline", item.id),
            date: item.golive,
            summary: format!("{label}: {}", item.title),
            description: format!("{what}: {}", item.id),
        });
    }
    out
}

fn task_event(task: &Task, lang: Lang) -> CalendarEvent {
    let (task_label, owner_label, backup_label, checklist_label, nobody) = match lang {
        Lang::He => (
            "משימה",
            "באחריות",
            "גיבוי עבור",
            "רשימת בדיקה",
            "(ללא בעלים)",
        ),
        Lang::En => ("Task", "Owner", "backup for", "Checklist", "(no one)"),
    };
    let mut description = format!("{task_label}: {}\n{owner_label}: ", task.id);
    match (&task.owner, &task.backup_for) {
        (Some(o), Some(away)) => {
            let _ = write!(description, "{o} ({backup_label} {away})");
        }
        (Some(o), None) => description.push_str(o),
        (None, _) => description.push_str(nobody),
    }
    if !task.checklist.is_empty() {
        let _ = write!(description, "\n{checklist_label}:");
        for entry in &task.checklist {
            let _ = write!(description, "\n- {}", entry.text);
            if entry.owner.is_some() && entry.owner != task.owner {
                let _ = write!(description, " ({})", entry.owner.as_deref().unwrap_or(""));
            }
        }
    }
    if let Some(notes) = &task.notes {
        let _ = write!(description, "\n\n{notes}");
    }
    CalendarEvent {
        uid: format!("{}@throughline", task.id),
        date: task.due,
        summary: format!("{} — {} ({})", task.stage_name, task.item_title, task.item),
        description,
    }
}

/// A new calendar subscription token: 256 random bits from the operating system's seeded
/// generator, as 64 hex digits (safe in a URL path as is).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two tokens are equal, in a time that does not depend on where they differ (so
/// that a wrong guess says nothing about the right one). Only the length may show.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| std::hint::black_box(acc | (x ^ y)));
    diff == 0
}

/// Each person's token, making one for everyone in `people` who has none yet.
pub fn ensure_tokens(
    store: &mut dyn StateStore,
    people: &[String],
    at: Timestamp,
) -> Result<BTreeMap<String, String>, StateError> {
    let mut tokens: BTreeMap<String, String> = store.calendar_tokens()?.into_iter().collect();
    for person in people {
        if !tokens.contains_key(person) {
            let token = new_token();
            store.set_calendar_token(person, &token, at)?;
            tokens.insert(person.clone(), token);
        }
    }
    Ok(tokens)
}

/// `<public_url>/calendar/<token>/<person>.ics`.
pub fn link(public_url: &str, person: &str, token: &str) -> String {
    format!(
        "{}/calendar/{token}/{person}.ics",
        public_url.trim_end_matches('/')
    )
}

/// What the daemon serves at `/calendar/<token>/<person>.ics`: the deployment it runs and
/// the token of each person in it.
#[derive(Debug, Clone)]
pub struct Subscriptions {
    dep: Deployment,
    /// Address → token, for the people of the deployment only.
    tokens: BTreeMap<String, String>,
}

impl Subscriptions {
    /// Makes a token for each person of `dep` who has none (the daemon holds the store).
    pub fn load(
        dep: &Deployment,
        store: &mut dyn StateStore,
        now: Timestamp,
    ) -> Result<Subscriptions, StateError> {
        let people = people(dep, &crate::schedule::schedule_at(dep, now));
        let mut tokens = ensure_tokens(store, &people, now)?;
        tokens.retain(|person, _| people.contains(person));
        Ok(Subscriptions {
            dep: dep.clone(),
            tokens,
        })
    }

    /// The person's calendar as of `now`, or `None` when the token is not theirs (or the
    /// file name is not a person of the deployment): the caller answers 404 either way.
    pub fn calendar(&self, token: &str, file: &str, now: Timestamp) -> Option<String> {
        let person = address(file.strip_suffix(".ics").unwrap_or(""));
        let expected = self.tokens.get(&person);
        // Compared even for an unknown person, so that the answer takes as long.
        let placeholder = "0".repeat(64);
        let matches = same_token(expected.unwrap_or(&placeholder), token);
        if !(matches && expected.is_some()) {
            return None;
        }
        let schedule = crate::schedule::schedule_at(&self.dep, now);
        let filter = Filter {
            person: Some(&person),
            item: None,
        };
        let events = events(&self.dep, &schedule, filter);
        Some(render(&format!("throughline: {person}"), &events, now))
    }
}

/// The whole `.ics` text: CRLF line ends, folded at 75 octets.
pub fn render(name: &str, events: &[CalendarEvent], exported: Timestamp) -> String {
    let stamp = exported.strftime("%Y%m%dT%H%M%SZ").to_string();
    // Minutes since 2020-01-01T00:00Z: grows with every later export and fits in an i32 for
    // four thousand years.
    let sequence = (exported.as_second() - 1_577_836_800).max(0) / 60;
    let mut out = String::new();
    let mut line = |text: String| fold_into(&mut out, &text);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//throughline//throughline calendar//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    // Events with the same UID would be one event to an app; keep the first.
    let mut seen = BTreeMap::new();
    for event in events {
        if seen.insert(event.uid.as_str(), ()).is_some() {
            continue;
        }
        let end = event.date.tomorrow().unwrap_or(event.date);
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&event.uid)));
        line(format!("DTSTAMP:{stamp}"));
        line(format!("LAST-MODIFIED:{stamp}"));
        line(format!("SEQUENCE:{sequence}"));
        line(format!(
            "DTSTART;VALUE=DATE:{}",
            event.date.strftime("%Y%m%d")
        ));
        line(format!("DTEND;VALUE=DATE:{}", end.strftime("%Y%m%d")));
        line(format!("SUMMARY:{}", escape(&event.summary)));
        if !event.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape(&event.description)));
        }
        // An all-day deadline does not make the person busy.
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// A TEXT value (RFC 5545 §3.3.11): `\`, `;` and `,` escaped, line breaks as `\n`, other
/// control characters (not allowed in TEXT) dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line folded at 75 octets (RFC 5545 §3.1): each continuation starts
/// with a space, which counts towards its 75; a UTF-8 character is never split.
fn fold_into(out: &mut String, line: &str) {
    const LIMIT: usize = 75;
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > LIMIT {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn lines(text: &str) -> Vec<&str> {
        assert!(text.ends_with("\r\n"), "{text:?}");
        text[..text.len() - 2].split("\r\n").collect()
    }

    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn escaping_covers_the_special_characters_and_line_breaks() {
        assert_eq!(escape(r"a,b;c\d"), r"a\,b\;c\\d");
        assert_eq!(escape("one\ntwo\r\nthree\rfour"), r"one\ntwo\nthree\nfour");
        assert_eq!(escape("bell\u{7}gone\ttab"), "bellgone\ttab");
        assert_eq!(escape("שלום, עולם"), r"שלום\, עולם");
    }

    #[test]
    fn long_ascii_lines_fold_at_75_octets() {
        let mut out = String::new();
        let text = format!("SUMMARY:{}", "x".repeat(200));
        fold_into(&mut out, &text);
        let ls = lines(&out);
        assert_eq!(ls.len(), 3);
        assert_eq!(ls[0].len(), 75);
        assert_eq!(ls[1].len(), 75);
        assert!(ls[1].starts_with(' ') && ls[2].starts_with(' '));
        assert_eq!(unfold(&out), format!("{text}\r\n"));
    }

    #[test]
    fn hebrew_is_never_split_inside_a_character() {
        // "SUMMARY:" is 8 octets, each Hebrew letter 2: an odd split point would cut one.
        let text = format!("SUMMARY:{}", "שלום ".repeat(40));
        let mut out = String::new();
        fold_into(&mut out, &text);
        for l in lines(&out) {
            assert!(l.len() <= 75, "{} octets: {l:?}", l.len());
            // Every piece is valid UTF-8 on its own: `lines` split a `&str`, so a cut
            // character would already have panicked; check the widths are as tight as
            // possible instead (74 or 75 octets, except the last piece).
        }
        let ls = lines(&out);
        for l in &ls[..ls.len() - 1] {
            assert!(l.len() >= 74, "{} octets: {l:?}", l.len());
        }
        assert_eq!(unfold(&out), format!("{text}\r\n"));
    }

    #[test]
    fn a_line_of_exactly_75_octets_is_not_folded() {
        let mut out = String::new();
        fold_into(&mut out, &"y".repeat(75));
        assert_eq!(out, format!("{}\r\n", "y".repeat(75)));
        let mut out = String::new();
        fold_into(&mut out, &"y".repeat(76));
        assert_eq!(out, format!("{}\r\n y\r\n", "y".repeat(75)));
    }

    #[test]
    fn events_are_all_day_with_the_next_day_as_end() {
        let events = [CalendarEvent {
            uid: "launch/copy@throughline".into(),
            date: date(2026, 12, 31),
            summary: "Copy — Launch, part 1 (launch)".into(),
            description: "Task: launch/copy\nOwner: dana@example.com".into(),
        }];
        let at: Timestamp = "2026-12-02T06:00:00Z".parse().unwrap();
        let text = render("Launch", &events, at);
        let ls = lines(&text);
        assert_eq!(ls.first(), Some(&"BEGIN:VCALENDAR"));
        assert_eq!(ls.last(), Some(&"END:VCALENDAR"));
        for want in [
            "UID:launch/copy@throughline",
            "DTSTART;VALUE=DATE:20261231",
            "DTEND;VALUE=DATE:20270101",
            "DTSTAMP:20261202T060000Z",
            r"SUMMARY:Copy — Launch\, part 1 (launch)",
            r"DESCRIPTION:Task: launch/copy\nOwner: dana@example.com",
        ] {
            assert!(ls.contains(&want), "{want} missing in {text}");
        }
        // A later export has a higher sequence.
        let seq = |t: &str| {
            lines(t)
                .iter()
                .find_map(|l| l.strip_prefix("SEQUENCE:"))
                .unwrap()
                .parse::<i64>()
                .unwrap()
        };
        let later = render("Launch", &events, at + jiff::SignedDuration::from_mins(5));
        assert_eq!(seq(&later), seq(&text) + 5);
    }

    #[test]
    fn tokens_are_long_random_and_compared_whole() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        let mut last = a.clone().into_bytes();
        last[63] = if last[63] == b'0' { b'1' } else { b'0' };
        assert!(!same_token(&a, std::str::from_utf8(&last).unwrap()));
        assert!(!same_token(&a, &a[..63]));
        assert!(!same_token(&a, ""));
    }

    #[test]
    fn tokens_are_made_once_and_kept_until_replaced() {
        let mut store = crate::state::MemoryStore::new();
        let at: Timestamp = "2026-12-02T06:00:00Z".parse().unwrap();
        let people = vec![
            "dana@example.com".to_string(),
            "noa@example.com".to_string(),
        ];
        let first = ensure_tokens(&mut store, &people, at).unwrap();
        assert_eq!(first.len(), 2);
        let again = ensure_tokens(&mut store, &people, at).unwrap();
        assert_eq!(first, again);
        store
            .set_calendar_token("dana@example.com", &new_token(), at)
            .unwrap();
        let after = ensure_tokens(&mut store, &people, at).unwrap();
        assert_ne!(after["dana@example.com"], first["dana@example.com"]);
        assert_eq!(after["noa@example.com"], first["noa@example.com"]);
    }

    #[test]
    fn addresses_are_compared_without_names_or_case() {
        assert_eq!(address("Dana Levi <Dana@Example.com>"), "dana@example.com");
        assert_eq!(address(" noa@example.com "), "noa@example.com");
    }
}
