//! Reminder digests: for each person, the tasks due in the next few business days and the
//! overdue ones, in the playbook's language, once a business day at the configured time.
//!
//! Each playbook sends its own digests: its time zone decides when "08:30" is, its work week
//! and holidays which days are business days, its `lang` the language. A digest has a key
//! (`digest/<process>/<date>/<person>`) that the state store remembers once it is sent, so a
//! restart, a second cycle the same morning or a clock that jumps never sends it twice.
//!
//! While a person is away (a role's `away`), the digest of their tasks goes to the role's
//! backup, marked as covering for them; with no backup available it still goes to the owner.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use throughline_connector::State;

use crate::model::{Deployment, Lang, Process, ReminderSettings};
use crate::schedule::{BusinessCalendar, Schedule};
use crate::state::StatusRecord;

/// One task line of a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub task: String,
    /// `Item title: Stage name`.
    pub title: String,
    pub due: Date,
    pub state: State,
    /// The owner, when the recipient is covering for them.
    pub covering_for: Option<String>,
}

/// What one person is sent on one day for one playbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Never sent twice: the state store remembers it.
    pub key: String,
    pub process: String,
    pub process_name: String,
    pub lang: Lang,
    pub date: Date,
    pub to: String,
    /// Their name, when a role lists them as `"Dana Levi <dana@example.com>"`: the greeting.
    pub name: Option<String>,
    /// Overdue tasks, the longest overdue first.
    pub overdue: Vec<Line>,
    /// Due from today through the horizon, soonest first.
    pub due_soon: Vec<Line>,
    /// Checklist entries for this person's role inside other people's tasks, due through the
    /// horizon (`Item: Stage — entry`), soonest first.
    pub entries: Vec<Line>,
    /// Tasks starting on the next business day and not yet due soon.
    pub starting: Vec<Line>,
}

/// The first instant after `now` when some playbook's reminders fall due (its time of day on
/// its next business day), for the daemon to wake up.
pub fn next_time(
    dep: &Deployment,
    settings: &ReminderSettings,
    now: Timestamp,
) -> Option<Timestamp> {
    dep.processes
        .iter()
        .map(|p| {
            let cal = BusinessCalendar::new(p);
            let mut day = cal.today(now);
            if !cal.is_business_day(day) || cal.at(day, settings.at) <= now {
                day = cal.after(day);
            }
            cal.at(day, settings.at)
        })
        .min()
}

/// The business day `n` business days after `day` (`day` itself for 0).
fn ahead(cal: &BusinessCalendar, day: Date, n: u32) -> Date {
    (0..n).fold(day, |d, _| cal.after(d))
}

fn away_on(dep: &Deployment, who: &str, day: Date) -> bool {
    dep.processes.iter().any(|p| {
        p.roles
            .iter()
            .flat_map(|r| &r.away)
            .any(|a| a.who == who && a.from <= day && day <= a.to)
    })
}

/// The digests due at `now`: for each playbook whose reminder time has passed today (a
/// business day there), one per person with something overdue or due soon.
pub fn due(
    dep: &Deployment,
    schedule: &Schedule,
    statuses: &[StatusRecord],
    settings: &ReminderSettings,
    now: Timestamp,
) -> Vec<Digest> {
    let state: HashMap<&str, State> = statuses
        .iter()
        .map(|s| (s.identity.as_str(), s.state))
        .collect();
    let mut out = Vec::new();
    for process in &dep.processes {
        let cal = BusinessCalendar::new(process);
        let today = cal.today(now);
        if !cal.is_business_day(today) || now < cal.at(today, settings.at) {
            continue;
        }
        let horizon = ahead(&cal, today, settings.days_ahead);
        let tomorrow = cal.after(today);
        let mut by_person: BTreeMap<String, Sections> = BTreeMap::new();
        for t in schedule.tasks.iter().filter(|t| t.process == process.id) {
            let s = state.get(t.id.as_str()).copied().unwrap_or(State::Todo);
            if s == State::Done {
                continue;
            }
            others_entries(dep, process, t, &state, horizon, today, &mut by_person);
            let Some(owner) = &t.owner else { continue };
            if t.due > horizon {
                if t.start == tomorrow {
                    let (to, covering_for) = recipient(dep, process, &t.role, owner, today);
                    by_person.entry(to).or_default().starting.push(Line {
                        task: t.id.clone(),
                        title: format!("{}: {}", t.item_title, t.stage_name),
                        due: t.due,
                        state: s,
                        covering_for,
                    });
                }
                continue;
            }
            let (to, covering_for) = recipient(dep, process, &t.role, owner, today);
            let line = Line {
                task: t.id.clone(),
                title: format!("{}: {}", t.item_title, t.stage_name),
                due: t.due,
                state: s,
                covering_for,
            };
            let entry = by_person.entry(to).or_default();
            if t.due < today {
                entry.overdue.push(line);
            } else {
                entry.due_soon.push(line);
            }
        }
        for (to, mut s) in by_person {
            for lines in [
                &mut s.overdue,
                &mut s.due_soon,
                &mut s.entries,
                &mut s.starting,
            ] {
                lines.sort_by(|a, b| a.due.cmp(&b.due).then(a.task.cmp(&b.task)));
            }
            let Sections {
                overdue,
                due_soon,
                entries,
                starting,
            } = s;
            out.push(Digest {
                key: format!("digest/{}/{today}/{to}", process.id),
                process: process.id.clone(),
                process_name: process.name.clone(),
                lang: process.lang,
                date: today,
                name: dep.name_of(&to).map(String::from),
                to,
                overdue,
                due_soon,
                entries,
                starting,
            });
        }
    }
    out
}

/// One person's lines of one digest, before sorting.
#[derive(Default)]
struct Sections {
    overdue: Vec<Line>,
    due_soon: Vec<Line>,
    entries: Vec<Line>,
    starting: Vec<Line>,
}

/// The open checklist entries of `task` that belong to someone other than its owner (an
/// entry with its own `role`), due through `horizon`, each to that person.
fn others_entries(
    dep: &Deployment,
    process: &Process,
    task: &crate::schedule::Task,
    state: &HashMap<&str, State>,
    horizon: Date,
    today: Date,
    by_person: &mut BTreeMap<String, Sections>,
) {
    for e in &task.checklist {
        let Some(person) = &e.owner else { continue };
        if Some(person) == task.owner.as_ref()
            || e.due > horizon
            || state.get(e.id.as_str()) == Some(&State::Done)
        {
            continue;
        }
        let (to, covering_for) = recipient(dep, process, &e.role, person, today);
        by_person.entry(to).or_default().entries.push(Line {
            task: e.id.clone(),
            title: format!("{}: {} — {}", task.item_title, task.stage_name, e.text),
            due: e.due,
            state: state.get(e.id.as_str()).copied().unwrap_or(State::Todo),
            covering_for,
        });
    }
}

/// Who gets a task's line today: the owner, or the role's backup while the owner is away.
fn recipient(
    dep: &Deployment,
    process: &Process,
    role: &str,
    owner: &str,
    today: Date,
) -> (String, Option<String>) {
    if !away_on(dep, owner, today) {
        return (owner.to_string(), None);
    }
    match process.role(role).and_then(|r| r.backup.as_deref()) {
        Some(backup) if backup != owner && !away_on(dep, backup, today) => {
            (backup.to_string(), Some(owner.to_string()))
        }
        _ => (owner.to_string(), None),
    }
}

/// A digest as words: the subject, a plain-text body, and the same as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn weekday_en(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

fn weekday_he(w: Weekday) -> &'static str {
    match w {
        Weekday::Sunday => "יום א׳",
        Weekday::Monday => "יום ב׳",
        Weekday::Tuesday => "יום ג׳",
        Weekday::Wednesday => "יום ד׳",
        Weekday::Thursday => "יום ה׳",
        Weekday::Friday => "יום ו׳",
        Weekday::Saturday => "שבת",
    }
}

/// `Thu 10 Dec` / `יום ה׳ 10.12`.
pub fn day_label(lang: Lang, d: Date) -> String {
    match lang {
        Lang::En => format!("{} {}", weekday_en(d.weekday()), d.strftime("%-d %b")),
        Lang::He => format!("{} {}.{}", weekday_he(d.weekday()), d.day(), d.month()),
    }
}

struct Words {
    hello: &'static str,
    overdue: &'static str,
    due_soon: &'static str,
    entries: &'static str,
    starting: &'static str,
    starts: &'static str,
    was_due: &'static str,
    due: &'static str,
    doing: &'static str,
    covering: &'static str,
    footer: &'static str,
}

const EN: Words = Words {
    hello: "Hello",
    overdue: "Overdue",
    due_soon: "Due soon",
    entries: "Checklist entries for you in other people's tasks",
    starting: "Starting tomorrow",
    starts: "due",
    was_due: "was due",
    due: "due",
    doing: "in progress",
    covering: "covering for",
    footer: "Mark a task done in the tool you work in; throughline takes care of the rest.",
};

const HE: Words = Words {
    hello: "שלום",
    overdue: "באיחור",
    due_soon: "לסיום בקרוב",
    entries: "פריטים ברשימות הבדיקה של משימות אחרות",
    starting: "משימות שמתחילות מחר",
    starts: "לסיום עד",
    was_due: "מועד הסיום היה",
    due: "עד",
    doing: "בעבודה",
    covering: "במקום",
    footer: "אפשר לסמן משימה כבוצעה בכלי העבודה, ו-throughline ידאג לכל השאר.",
};

/// What the digest holds, counted: every part names what it counts (a noun in every subject).
fn count_phrase(lang: Lang, d: &Digest) -> String {
    let (due, overdue, entries, starting) = (
        d.due_soon.len(),
        d.overdue.len(),
        d.entries.len(),
        d.starting.len(),
    );
    let mut parts = Vec::new();
    let mut say = |n: usize, one: &str, many: String| match n {
        0 => {}
        1 => parts.push(one.to_string()),
        _ => parts.push(many),
    };
    match lang {
        Lang::En => {
            say(due, "1 task due soon", format!("{due} tasks due soon"));
            say(overdue, "1 overdue", format!("{overdue} overdue"));
            say(
                entries,
                "1 checklist entry",
                format!("{entries} checklist entries"),
            );
            say(
                starting,
                "1 task starting tomorrow",
                format!("{starting} tasks starting tomorrow"),
            );
        }
        Lang::He => {
            say(
                due,
                "משימה אחת לסיום בקרוב",
                format!("{due} משימות לסיום בקרוב"),
            );
            say(
                overdue,
                "משימה אחת באיחור",
                format!("{overdue} משימות באיחור"),
            );
            say(
                entries,
                "פריט אחד ברשימת בדיקה",
                format!("{entries} פריטים ברשימות בדיקה"),
            );
            say(
                starting,
                "משימה אחת שמתחילה מחר",
                format!("{starting} משימות שמתחילות מחר"),
            );
        }
    }
    parts.join(", ")
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The digest in its playbook's language.
pub fn render(d: &Digest) -> Rendered {
    let w = match d.lang {
        Lang::En => &EN,
        Lang::He => &HE,
    };
    let subject = format!(
        "{} — {} ({})",
        d.process_name,
        count_phrase(d.lang, d),
        day_label(d.lang, d.date)
    );
    let line_text = |l: &Line, verb: &str| {
        let mut s = format!("{} — {verb} {}", l.title, day_label(d.lang, l.due));
        if l.state == State::Doing {
            let _ = write!(s, " ({})", w.doing);
        }
        if let Some(owner) = &l.covering_for {
            let _ = write!(s, " [{} {owner}]", w.covering);
        }
        s
    };
    let greet = d.name.as_deref().unwrap_or(&d.to);
    let mut text = format!("{} {greet},\n", w.hello);
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\"></head><body dir=\"{}\">\n<p>{} {},</p>\n",
        if d.lang == Lang::He { "he" } else { "en" },
        if d.lang.is_rtl() { "rtl" } else { "ltr" },
        if d.lang.is_rtl() { "rtl" } else { "ltr" },
        w.hello,
        escape_html(greet)
    );
    for (heading, lines, verb) in [
        (w.overdue, &d.overdue, w.was_due),
        (w.due_soon, &d.due_soon, w.due),
        (w.entries, &d.entries, w.due),
        (w.starting, &d.starting, w.starts),
    ] {
        if lines.is_empty() {
            continue;
        }
        let _ = write!(text, "\n{heading}:\n");
        let _ = writeln!(html, "<h3>{heading}</h3>\n<ul>");
        for l in lines {
            let t = line_text(l, verb);
            let _ = writeln!(text, "  • {t}");
            let _ = writeln!(html, "<li>{}</li>", escape_html(&t));
        }
        html.push_str("</ul>\n");
    }
    let _ = write!(text, "\n{}\n— throughline · {}\n", w.footer, d.process_name);
    let _ = write!(
        html,
        "<p>{}</p>\n<p>— throughline · {}</p>\n</body></html>\n",
        escape_html(w.footer),
        escape_html(&d.process_name)
    );
    Rendered {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Away, Role, Stage, StateLocation, SyncSettings};
    use crate::schedule::{Task, schedule_at};
    use jiff::civil::{Time, date};
    use jiff::tz::TimeZone;
    use std::path::PathBuf;

    fn process(lang: Lang) -> Process {
        Process {
            id: "content".into(),
            name: if lang == Lang::He {
                "תהליך התוכן".into()
            } else {
                "Content pipeline".into()
            },
            timezone_name: "Asia/Jerusalem".into(),
            timezone: TimeZone::get("Asia/Jerusalem").unwrap(),
            workweek: vec![
                Weekday::Sunday,
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
            ],
            holidays: [date(2026, 12, 15)].into(),
            lang,
            roles: vec![Role {
                id: "writer".into(),
                name: "Writer".into(),
                people: vec!["dana@example.com".into()],
                backup: Some("noa@example.com".into()),
                away: vec![Away {
                    who: "dana@example.com".into(),
                    from: date(2026, 12, 20),
                    to: date(2026, 12, 27),
                }],
                max_parallel: None,
                names: Default::default(),
            }],
            stages: vec![Stage {
                id: "copy".into(),
                name: "Copy".into(),
                owner: "writer".into(),
                days: 1,
                after: vec![],
                after_golive: None,
                checklist: vec![],
            }],
            file: PathBuf::from("playbooks/content.toml"),
        }
    }

    fn deployment(lang: Lang) -> Deployment {
        Deployment {
            config_path: PathBuf::from("throughline.toml"),
            root: PathBuf::from("."),
            state: StateLocation::Sqlite(PathBuf::from("throughline.db")),
            sync: SyncSettings::default(),
            targets: Vec::new(),
            processes: vec![process(lang)],
            items: Vec::new(),
            cadences: Vec::new(),
            metrics: Vec::new(),
        }
    }

    fn task(id: &str, title: &str, due: Date, owner: &str) -> Task {
        Task {
            id: format!("{id}/copy"),
            item: id.into(),
            item_title: title.into(),
            process: "content".into(),
            stage: "copy".into(),
            stage_name: "Copy".into(),
            role: "writer".into(),
            owner: Some(owner.into()),
            backup_for: None,
            start: due,
            due,
            days: 1,
            golive: due,
            channel: None,
            notes: None,
            checklist: vec![],
        }
    }

    fn settings() -> ReminderSettings {
        ReminderSettings {
            at: Time::constant(8, 30, 0, 0),
            days_ahead: 2,
            email: None,
            webhook: None,
        }
    }

    fn at(d: Date, h: i8, m: i8) -> Timestamp {
        TimeZone::get("Asia/Jerusalem")
            .unwrap()
            .to_timestamp(d.at(h, m, 0, 0))
            .unwrap()
    }

    fn schedule(tasks: Vec<Task>) -> Schedule {
        Schedule {
            tasks,
            warnings: vec![],
        }
    }

    fn done(id: &str) -> StatusRecord {
        StatusRecord {
            identity: id.into(),
            state: State::Done,
            source_target: Some("board".into()),
            source_person: None,
            at: Timestamp::UNIX_EPOCH,
            reason: None,
        }
    }

    #[test]
    fn due_soon_and_overdue_on_business_days_after_the_hour() {
        let dep = deployment(Lang::En);
        // Thu 2026-12-10. Business days Sun–Thu; Tue 12-15 is a holiday.
        let s = schedule(vec![
            task("late", "Late post", date(2026, 12, 8), "dana@example.com"),
            task(
                "today",
                "Today post",
                date(2026, 12, 10),
                "dana@example.com",
            ),
            // Two business days ahead of Thu: Sun 13, Mon 14.
            task(
                "sunday",
                "Sunday post",
                date(2026, 12, 13),
                "dana@example.com",
            ),
            task(
                "monday",
                "Monday post",
                date(2026, 12, 14),
                "dana@example.com",
            ),
            task(
                "wednesday",
                "Wed post",
                date(2026, 12, 16),
                "dana@example.com",
            ),
            task(
                "finished",
                "Done post",
                date(2026, 12, 9),
                "dana@example.com",
            ),
        ]);
        let statuses = [done("finished/copy")];
        let thursday = date(2026, 12, 10);
        assert!(due(&dep, &s, &statuses, &settings(), at(thursday, 8, 29)).is_empty());
        let got = due(&dep, &s, &statuses, &settings(), at(thursday, 8, 30));
        assert_eq!(got.len(), 1);
        let d = &got[0];
        assert_eq!(d.key, "digest/content/2026-12-10/dana@example.com");
        assert_eq!(d.to, "dana@example.com");
        let ids = |l: &[Line]| l.iter().map(|l| l.task.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.overdue), ["late/copy"]);
        assert_eq!(
            ids(&d.due_soon),
            ["today/copy", "sunday/copy", "monday/copy"]
        );
        // Friday and Saturday are not business days here; the holiday neither.
        for day in [date(2026, 12, 11), date(2026, 12, 12), date(2026, 12, 15)] {
            assert!(
                due(&dep, &s, &statuses, &settings(), at(day, 12, 0)).is_empty(),
                "{day}"
            );
        }
    }

    #[test]
    fn next_time_skips_to_the_next_business_morning() {
        let dep = deployment(Lang::En);
        let thursday = date(2026, 12, 10);
        assert_eq!(
            next_time(&dep, &settings(), at(thursday, 7, 0)),
            Some(at(thursday, 8, 30))
        );
        assert_eq!(
            next_time(&dep, &settings(), at(thursday, 9, 0)),
            Some(at(date(2026, 12, 13), 8, 30))
        );
    }

    #[test]
    fn the_backup_gets_the_digest_while_the_owner_is_away() {
        let dep = deployment(Lang::En);
        let monday = date(2026, 12, 21);
        let s = schedule(vec![
            task("a", "Post A", date(2026, 12, 17), "dana@example.com"),
            task("b", "Post B", date(2026, 12, 22), "noa@example.com"),
        ]);
        let got = due(&dep, &s, &[], &settings(), at(monday, 9, 0));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].to, "noa@example.com");
        assert_eq!(
            got[0].overdue[0].covering_for.as_deref(),
            Some("dana@example.com")
        );
        assert_eq!(got[0].due_soon[0].covering_for, None);
        let text = render(&got[0]).text;
        assert!(text.contains("[covering for dana@example.com]"), "{text}");
        // A person a role lists by name is greeted by it.
        let mut named = deployment(Lang::En);
        named.processes[0].roles[0]
            .names
            .insert("noa@example.com".into(), "Noa Cohen".into());
        let got = due(&named, &s, &[], &settings(), at(monday, 9, 0));
        assert!(render(&got[0]).text.starts_with("Hello Noa Cohen,\n"));
    }

    #[test]
    fn hebrew_digest() {
        let dep = deployment(Lang::He);
        let s = schedule(vec![
            task("a", "הכרזת מבצע", date(2026, 12, 8), "dana@example.com"),
            task("b", "טיפ שבועי", date(2026, 12, 10), "dana@example.com"),
            task("c", "ניוזלטר", date(2026, 12, 13), "dana@example.com"),
        ]);
        let d = &due(&dep, &s, &[], &settings(), at(date(2026, 12, 10), 9, 0))[0];
        let r = render(d);
        assert_eq!(
            r.subject,
            "תהליך התוכן — 2 משימות לסיום בקרוב, משימה אחת באיחור (יום ה׳ 10.12)"
        );
        assert!(r.text.starts_with("שלום dana@example.com,\n"), "{}", r.text);
        assert!(
            r.text
                .contains("באיחור:\n  • הכרזת מבצע: Copy — מועד הסיום היה יום ג׳ 8.12"),
            "{}",
            r.text
        );
        assert!(
            r.text.contains("  • ניוזלטר: Copy — עד יום א׳ 13.12"),
            "{}",
            r.text
        );
        assert!(r.html.contains("dir=\"rtl\""));
        assert!(r.html.contains("lang=\"he\""));
    }

    #[test]
    fn entries_for_my_role_in_others_tasks_and_tasks_starting_tomorrow() {
        let dep = deployment(Lang::En);
        // Thu 10 Dec: the next business day is Sun 13; the horizon (2 days) is Mon 14.
        let mut noas = task("a", "Post A", date(2026, 12, 13), "noa@example.com");
        noas.checklist = vec![
            crate::schedule::EntryTask {
                id: "a/copy/facts".into(),
                key: "facts".into(),
                text: "Facts checked".into(),
                role: "writer".into(),
                owner: Some("dana@example.com".into()),
                due: date(2026, 12, 13),
            },
            // Noa's own entry stays in her task.
            crate::schedule::EntryTask {
                id: "a/copy/own".into(),
                key: "own".into(),
                text: "Own".into(),
                role: "writer".into(),
                owner: Some("noa@example.com".into()),
                due: date(2026, 12, 13),
            },
            // Ticked already.
            crate::schedule::EntryTask {
                id: "a/copy/done".into(),
                key: "done".into(),
                text: "Done".into(),
                role: "writer".into(),
                owner: Some("dana@example.com".into()),
                due: date(2026, 12, 13),
            },
        ];
        let mut long = task("b", "Post B", date(2026, 12, 17), "dana@example.com");
        long.start = date(2026, 12, 13);
        let mut later = task("c", "Post C", date(2026, 12, 17), "dana@example.com");
        later.start = date(2026, 12, 14);
        let s = schedule(vec![noas, long, later]);
        let got = due(
            &dep,
            &s,
            &[done("a/copy/done")],
            &settings(),
            at(date(2026, 12, 10), 9, 0),
        );
        let dana = got.iter().find(|d| d.to == "dana@example.com").unwrap();
        assert!(dana.due_soon.is_empty() && dana.overdue.is_empty());
        let ids = |l: &[Line]| l.iter().map(|l| l.task.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&dana.entries), ["a/copy/facts"]);
        assert_eq!(ids(&dana.starting), ["b/copy"]);
        let r = render(dana);
        assert_eq!(
            r.subject,
            "Content pipeline — 1 checklist entry, 1 task starting tomorrow (Thu 10 Dec)"
        );
        assert!(
            r.text.contains(
                "Checklist entries for you in other people's tasks:\n  • Post A: Copy — Facts checked — due Sun 13 Dec\n\nStarting tomorrow:\n  • Post B: Copy — due Thu 17 Dec\n"
            ),
            "{}",
            r.text
        );
    }

    #[test]
    fn english_digest_and_html_escaping() {
        let dep = deployment(Lang::En);
        let s = schedule(vec![task(
            "a",
            "Q&A <live>",
            date(2026, 12, 10),
            "dana@example.com",
        )]);
        let d = &due(&dep, &s, &[], &settings(), at(date(2026, 12, 10), 9, 0))[0];
        let r = render(d);
        assert_eq!(r.subject, "Content pipeline — 1 task due soon (Thu 10 Dec)");
        assert!(r.text.contains("  • Q&A <live>: Copy — due Thu 10 Dec"));
        assert!(r.html.contains("Q&amp;A &lt;live&gt;: Copy"));
        assert!(!r.html.contains("<live>"));
    }

    #[test]
    fn works_on_a_real_schedule() {
        // The scheduler's own output, not hand-made tasks: the digest finds the same tasks.
        let mut dep = deployment(Lang::En);
        dep.items.push(crate::model::Item {
            id: "spring".into(),
            process: "content".into(),
            title: "Spring sale".into(),
            golive: date(2026, 12, 14),
            people: Default::default(),
            skip: vec![],
            channel: None,
            notes: None,
            cadence: None,
        });
        let now = at(date(2026, 12, 10), 9, 0);
        let s = schedule_at(&dep, now);
        let got = due(&dep, &s, &[], &settings(), now);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].due_soon[0].task, "spring/copy");
        assert_eq!(got[0].due_soon[0].due, date(2026, 12, 14));
    }
}
