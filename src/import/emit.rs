//! Writing the imported model as the TOML files of docs/files.md, laid out the way a
//! person would write them. Text stays as written (Hebrew stays Hebrew); only what TOML
//! requires is escaped.

use std::fmt::Write;

use super::items::ItemOut;
use super::playbook::PlaybookOut;
use crate::model::{Lang, slug};

/// The address written for a role the sheet names no person for.
pub fn placeholder(role: &str) -> String {
    format!("{role}@example.com")
}

/// A TOML basic string.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    quote_into(&mut out, text);
    out
}

/// [`quote`], appended to `out`.
pub fn quote_into(out: &mut String, text: &str) {
    out.push('"');
    if !text
        .bytes()
        .any(|b| b < 0x20 || b == b'"' || b == b'\\' || b == 0x7F)
    {
        out.push_str(text);
    } else {
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || c == '\u{7F}' => {
                    let _ = write!(out, "\\u{:04X}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

/// `name = "value"` and a new line.
fn line(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(" = ");
    quote_into(out, value);
    out.push('\n');
}

/// A key: bare when TOML allows it, quoted otherwise (`"כותב"`).
pub fn key(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        text.to_string()
    } else {
        quote(text)
    }
}

fn comment(out: &mut String, lines: &[String]) {
    for l in lines {
        let _ = writeln!(out, "# {l}");
    }
    if !lines.is_empty() {
        out.push('\n');
    }
}

pub fn items_file(header: &[String], items: &[ItemOut]) -> String {
    // Written with push_str, not format!: 100,000 items are 15 MB of text.
    let mut out = String::with_capacity(items.len() * 160 + 256);
    comment(&mut out, header);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("[[item]]\n");
        line(&mut out, "id", &item.id);
        line(&mut out, "process", &item.process);
        line(&mut out, "title", &item.title);
        let _ = writeln!(out, "golive = {}", item.golive);
        if let Some(c) = &item.channel {
            line(&mut out, "channel", c);
        }
        if !item.people.is_empty() {
            out.push_str("people = { ");
            for (j, (role, person)) in item.people.iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                out.push_str(&key(role));
                out.push_str(" = ");
                quote_into(&mut out, person);
            }
            out.push_str(" }\n");
        }
        if let Some(n) = &item.notes {
            line(&mut out, "notes", n);
        }
    }
    out
}

pub fn playbook_file(pb: &PlaybookOut) -> String {
    let mut out = String::new();
    comment(&mut out, &pb.comment);
    let p = &pb.process;
    out.push_str("[process]\n");
    let _ = writeln!(out, "id = {}", quote(&p.id));
    let _ = writeln!(out, "name = {}", quote(&p.name));
    let _ = writeln!(out, "timezone = {}", quote(&p.timezone));
    let days: Vec<String> = p.workweek.iter().map(|d| quote(d)).collect();
    let _ = writeln!(out, "workweek = [{}]", days.join(", "));
    if p.lang == Lang::He {
        out.push_str("lang = \"he\"\n");
    }
    for role in &pb.roles {
        let _ = writeln!(out, "\n[roles.{}]", key(&role.id));
        let _ = writeln!(out, "name = {}", quote(&role.name));
        if role.people.is_empty() {
            // A role needs a person; a reserved example.com address can never reach anyone.
            let _ = writeln!(
                out,
                "people = [{}]    # a placeholder: put the real people's e-mail addresses here",
                quote(&placeholder(&role.id))
            );
        } else {
            let people: Vec<String> = role.people.iter().map(|x| quote(x)).collect();
            let _ = writeln!(out, "people = [{}]", people.join(", "));
        }
    }
    for stage in &pb.stages {
        out.push_str("\n[[stage]]\n");
        let _ = writeln!(out, "id = {}", quote(&stage.id));
        let _ = writeln!(out, "name = {}", quote(&stage.name));
        let _ = writeln!(out, "owner = {}", quote(&stage.owner));
        let _ = writeln!(out, "days = {}", stage.days);
        if let Some(after) = &stage.after {
            let ids: Vec<String> = after.iter().map(|a| quote(a)).collect();
            let _ = writeln!(out, "after = [{}]", ids.join(", "));
        }
        if let Some(n) = stage.after_golive {
            let _ = writeln!(out, "after_golive = {n}");
        }
        if !stage.checklist.is_empty() {
            out.push_str("checklist = [\n");
            for e in &stage.checklist {
                if e.role.is_none() && e.key == slug(&e.text) {
                    let _ = writeln!(out, "  {},", quote(&e.text));
                } else {
                    let mut fields = vec![
                        format!("id = {}", quote(&e.key)),
                        format!("text = {}", quote(&e.text)),
                    ];
                    if let Some(r) = &e.role {
                        fields.push(format!("role = {}", quote(r)));
                    }
                    let _ = writeln!(out, "  {{ {} }},", fields.join(", "));
                }
            }
            out.push_str("]\n");
        }
    }
    out
}

/// `throughline.toml` for a folder that has none. It ends with a target to uncomment, so the
/// file says how to reach a tool without pointing anywhere else.
pub fn config_file(with_items: bool) -> String {
    let mut out = String::from(
        "# Written by `throughline import`.\n\
         state = \"throughline.db\"\n\
         playbooks = [\"playbooks/*.toml\"]\n",
    );
    if with_items {
        out.push_str("items = [\"items/*.toml\"]\n");
    } else {
        out.push_str("# items = [\"items/*.toml\"]    # once there are item files\n");
    }
    out.push_str(
        "\n# To show the tasks in a tool, add a [[target]] table: kind \"excel\", \"google-sheets\",\n\
         # \"trello\" or \"asana\" (each kind's keys are in throughline's docs/files.md). For a\n\
         # workbook, remove the \"# \" before these lines:\n\
         # [[target]]\n\
         # id = \"plan\"\n\
         # kind = \"excel\"\n\
         # path = \"plan.xlsx\"\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::playbook::{EntryOut, ProcessSettings, RoleOut, StageOut};
    use jiff::civil::date;
    use std::collections::BTreeMap;

    #[test]
    fn the_config_points_nowhere_outside_and_its_target_works_uncommented() {
        for with_items in [true, false] {
            let text = config_file(with_items);
            assert!(!text.contains("DESIGN") && !text.contains("../"), "{text}");
            let start = text.find("# [[target]]").expect("an example target");
            let uncommented = format!(
                "{}{}",
                &text[..start],
                text[start..].replace("\n# ", "\n").trim_start_matches("# ")
            );
            let doc: toml::Table = uncommented.parse().expect("valid TOML");
            assert_eq!(doc["state"].as_str(), Some("throughline.db"));
            assert_eq!(doc.contains_key("items"), with_items);
            let target = &doc["target"].as_array().expect("[[target]]")[0];
            assert_eq!(target["kind"].as_str(), Some("excel"));
            assert_eq!(target["path"].as_str(), Some("plan.xlsx"));
        }
    }

    #[test]
    fn strings_round_trip_through_toml() {
        for text in [
            "plain",
            "עם \"מרכאות\" ו\\לוכסן",
            "line\nbreak\ttab",
            "\u{200F}rtl mark",
            "bell\u{7}",
        ] {
            let doc = format!("v = {}", quote(text));
            let parsed: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(parsed["v"].as_str(), Some(text), "{doc}");
        }
        assert_eq!(quote("שלום"), "\"שלום\"", "Hebrew is not escaped");
        assert_eq!(key("writer"), "writer");
        assert_eq!(key("כותב"), "\"כותב\"");
    }

    #[test]
    fn files_parse_back() {
        let items = vec![ItemOut {
            row: 0,
            id: "מבצע-אביב".into(),
            process: "content".into(),
            title: "מבצע אביב".into(),
            golive: date(2026, 4, 3),
            people: BTreeMap::from([("כותב".to_string(), "יוסי".to_string())]),
            channel: Some("Instagram".into()),
            notes: Some("two\nlines".into()),
        }];
        let text = items_file(&["from a test".into()], &items);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let item = &parsed["item"].as_array().unwrap()[0];
        assert_eq!(item["title"].as_str(), Some("מבצע אביב"));
        assert_eq!(item["golive"].to_string(), "2026-04-03");
        assert_eq!(item["people"]["כותב"].as_str(), Some("יוסי"));

        let pb = PlaybookOut {
            process: ProcessSettings {
                id: "launch".into(),
                name: "השקה".into(),
                timezone: "Asia/Jerusalem".into(),
                workweek: vec!["sun", "mon"],
                lang: Lang::He,
            },
            roles: vec![RoleOut {
                id: "כותב".into(),
                name: "כותב".into(),
                people: vec![],
            }],
            stages: vec![StageOut {
                id: "טיוטה".into(),
                name: "טיוטה".into(),
                owner: "כותב".into(),
                days: 2,
                after: None,
                after_golive: None,
                checklist: vec![
                    EntryOut {
                        key: "לכתוב".into(),
                        text: "לכתוב".into(),
                        role: None,
                    },
                    EntryOut {
                        key: "לכתוב-2".into(),
                        text: "לכתוב".into(),
                        role: Some("כותב".into()),
                    },
                ],
            }],
            comment: vec![],
        };
        let text = playbook_file(&pb);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(parsed["roles"]["כותב"]["name"].as_str(), Some("כותב"));
        let checklist = parsed["stage"][0]["checklist"].as_array().unwrap();
        assert_eq!(checklist[0].as_str(), Some("לכתוב"));
        assert_eq!(checklist[1]["id"].as_str(), Some("לכתוב-2"));
    }
}
