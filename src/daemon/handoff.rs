//! "Your turn": the notice a task's owner gets when every stage the task waits for is done, in
//! the playbook's language, with the task's checklist, its due date and where the task is in
//! each tool that holds it.

use std::fmt::Write;

use crate::daemon::notify::Notice;
use crate::daemon::reminders::day_label;
use crate::model::Lang;
use crate::schedule::Task;

/// Where a task is in one tool: the tool's name, the target, and how to find it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// "Trello", "Excel": the tool as people call it.
    pub tool: String,
    pub target: String,
    /// A URL, or the file and row, or the tool's id of the object.
    pub at: String,
}

/// One handoff as words.
pub struct Handoff<'a> {
    pub task: &'a Task,
    /// The stages it waited for (their names), all done now.
    pub after: Vec<String>,
    pub lang: Lang,
    pub process_name: &'a str,
    /// The recipient's address.
    pub to: &'a str,
    /// How to greet them: their name, or else their address.
    pub greet: &'a str,
    /// Checklist entries (text, done already).
    pub checklist: Vec<(String, bool)>,
    pub places: Vec<Place>,
}

struct Words {
    subject: &'static str,
    hello: &'static str,
    /// "{after} done: {title} is yours now."
    ready: fn(&str, &str) -> String,
    due: &'static str,
    checklist: &'static str,
    places: &'static str,
    nowhere: &'static str,
    footer: &'static str,
}

const EN: Words = Words {
    subject: "Your turn",
    hello: "Hello",
    ready: |after, title| format!("{after} done: {title} is yours now."),
    due: "Due",
    checklist: "Checklist",
    places: "Where it is",
    nowhere: "not in any tool yet",
    footer: "Mark it done in the tool you work in; throughline takes care of the rest.",
};

// Gender-neutral: no second-person verbs, a noun in the subject.
const HE: Words = Words {
    subject: "העברת משימה",
    hello: "שלום",
    ready: |after, title| {
        format!("השלבים הקודמים הושלמו ({after}), והמשימה „{title}” מוכנה לטיפול.")
    },
    due: "מועד סיום",
    checklist: "רשימת בדיקה",
    places: "היכן המשימה",
    nowhere: "עדיין לא באף כלי",
    footer: "אפשר לסמן את המשימה כבוצעה בכלי העבודה, ו-throughline ידאג לכל השאר.",
};

/// The notice for one handoff (plain text).
pub fn render(h: &Handoff<'_>) -> Notice {
    let w = match h.lang {
        Lang::En => &EN,
        Lang::He => &HE,
    };
    let title = format!("{}: {}", h.task.item_title, h.task.stage_name);
    let due = day_label(h.lang, h.task.due);
    let after = h
        .after
        .join(if h.lang == Lang::He { ", " } else { " and " });
    let mut text = format!(
        "{} {},\n\n{}\n{}: {due}\n",
        w.hello,
        h.greet,
        (w.ready)(&after, &title),
        w.due
    );
    if !h.checklist.is_empty() {
        let _ = write!(text, "\n{}:\n", w.checklist);
        for (entry, done) in &h.checklist {
            let _ = writeln!(text, "  [{}] {entry}", if *done { "x" } else { " " });
        }
    }
    let _ = write!(text, "\n{}:\n", w.places);
    if h.places.is_empty() {
        let _ = writeln!(text, "  {}", w.nowhere);
    }
    for p in &h.places {
        let _ = writeln!(text, "  • {} ({}): {}", p.tool, p.target, p.at);
    }
    let _ = write!(text, "\n{}\n— throughline · {}\n", w.footer, h.process_name);
    Notice {
        to: h.to.to_string(),
        subject: format!("{}: {title} ({due})", w.subject),
        text,
        html: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn task() -> Task {
        Task {
            id: "spring-sale/publish".into(),
            item: "spring-sale".into(),
            item_title: "Spring sale".into(),
            process: "content".into(),
            stage: "publish".into(),
            stage_name: "Publish".into(),
            role: "writer".into(),
            owner: Some("dana@example.com".into()),
            backup_for: None,
            start: date(2026, 12, 10),
            due: date(2026, 12, 10),
            days: 0,
            golive: date(2026, 12, 10),
            channel: None,
            notes: None,
            checklist: vec![],
        }
    }

    #[test]
    fn english_and_hebrew() {
        let t = task();
        let h = Handoff {
            task: &t,
            after: vec!["Copy".into(), "Design".into()],
            lang: Lang::En,
            process_name: "Content pipeline",
            to: "dana@example.com",
            greet: "Dana Levi",
            checklist: vec![("Post it".into(), false), ("Pin it".into(), true)],
            places: vec![Place {
                tool: "Excel".into(),
                target: "sheet".into(),
                at: "/srv/plan.xlsx, row spring-sale/publish".into(),
            }],
        };
        let n = render(&h);
        assert_eq!(n.subject, "Your turn: Spring sale: Publish (Thu 10 Dec)");
        assert_eq!(
            n.text,
            "Hello Dana Levi,\n\nCopy and Design done: Spring sale: Publish is yours now.\nDue: Thu 10 Dec\n\nChecklist:\n  [ ] Post it\n  [x] Pin it\n\nWhere it is:\n  • Excel (sheet): /srv/plan.xlsx, row spring-sale/publish\n\nMark it done in the tool you work in; throughline takes care of the rest.\n— throughline · Content pipeline\n"
        );
        let n = render(&Handoff {
            lang: Lang::He,
            places: vec![],
            checklist: vec![],
            ..h
        });
        assert_eq!(
            n.subject,
            "העברת משימה: Spring sale: Publish (יום ה׳ 10.12)"
        );
        assert!(
            n.text
                .contains("השלבים הקודמים הושלמו (Copy, Design), והמשימה „Spring sale: Publish” מוכנה לטיפול.\nמועד סיום: יום ה׳ 10.12\n"),
            "{}",
            n.text
        );
        assert!(n.text.contains("היכן המשימה:\n  עדיין לא באף כלי\n"));
    }
}
