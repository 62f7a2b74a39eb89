//! Who owns a task in each tool. A tool that finds people by e-mail (Asana) or writes the
//! owner as text (Excel, Google Sheets) has an account for everyone; a Trello board knows only
//! the people its target maps (`people = { "dana@example.com" = "danalevi" }`). A task whose
//! owner has no account here follows the target's `unmapped` policy instead of being refused:
//!
//! | `unmapped` | the task |
//! |---|---|
//! | `"unassigned"` (default) | is made without an owner |
//! | `"skip"` | is not sent to this target |
//! | an account | is owned by that account |
//!
//! Owners stay in the hub's terms (the connector reads them back that way), so a task handed
//! to an account is given the person the target maps to it, or the account itself.

use std::collections::{BTreeMap, BTreeSet};

use throughline_connector::DesiredTask;

use crate::model::{Target, TargetKind};

/// What happens to a task whose owner has no account in the tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmapped {
    Unassigned,
    Skip,
    /// The account (as the tool names it) that takes those tasks.
    Account(String),
}

impl Unmapped {
    pub fn of(target: &Target) -> Unmapped {
        match target.settings.get("unmapped").and_then(|v| v.as_str()) {
            None | Some("unassigned") => Unmapped::Unassigned,
            Some("skip") => Unmapped::Skip,
            Some(account) => Unmapped::Account(account.to_string()),
        }
    }
}

/// One person with no account in one target, and how many of its tasks they own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnmappedPerson {
    pub target: String,
    pub person: String,
    /// Tasks of theirs (as owner of the task or of one of its checklist entries) this target
    /// shows.
    pub tasks: usize,
    /// What was done with them: "made without an owner", "not sent here", "given to <account>".
    pub handled: String,
    /// The entry that gives them an account here: `"x@example.com" = "<Trello username>"`.
    pub entry: String,
    /// The target has a `people` table already: the entry goes into it; otherwise the line
    /// to add is `people = { <entries> }`.
    pub in_map: bool,
}

/// How one target names people.
pub(crate) struct TargetPeople {
    /// Everyone the target can name; `None` = everyone (by e-mail, or written as text).
    known: Option<BTreeSet<String>>,
    policy: Unmapped,
    /// What to call an account in the fix line: "Trello username".
    account_word: &'static str,
    /// The target has a `people` table already: the fix is one more entry in it.
    has_map: bool,
}

impl TargetPeople {
    /// `people` = the target's map merged over the mapping's `[people]`, as the connector
    /// will use it.
    pub(crate) fn new(target: &Target, people: &BTreeMap<String, String>) -> TargetPeople {
        let (known, account_word) = match target.kind {
            TargetKind::Trello => (Some(people.keys().cloned().collect()), "Trello username"),
            TargetKind::Asana => (None, "Asana e-mail"),
            TargetKind::GoogleSheets | TargetKind::Excel => (None, "name"),
        };
        TargetPeople {
            known,
            policy: Unmapped::of(target),
            account_word,
            has_map: target.settings.contains_key("people"),
        }
    }

    fn knows(&self, person: &str) -> bool {
        self.known.as_ref().is_none_or(|k| k.contains(person))
    }

    /// The hub name a task handed to `account` gets: the person mapped to that account, or
    /// else the account itself, which `people` then maps to itself (returned as the second
    /// value, for the connector's map).
    pub(crate) fn account_owner(
        &self,
        people: &BTreeMap<String, String>,
    ) -> Option<(String, Option<(String, String)>)> {
        let Unmapped::Account(account) = &self.policy else {
            return None;
        };
        if self.known.is_none() {
            return Some((account.clone(), None));
        }
        match people.iter().find(|(_, a)| a.eq_ignore_ascii_case(account)) {
            Some((person, _)) => Some((person.clone(), None)),
            None => Some((account.clone(), Some((account.clone(), account.clone())))),
        }
    }

    /// An owner with no account here becomes `owner` (noted in `whose`): true if it was one.
    fn take(
        &self,
        who: &mut Option<String>,
        owner: Option<&str>,
        whose: &mut BTreeSet<String>,
    ) -> bool {
        match who.as_deref() {
            Some(p) if !self.knows(p) => {
                whose.insert(p.to_string());
                *who = owner.map(str::to_string);
                true
            }
            _ => false,
        }
    }

    /// Apply the policy to the tasks this target shows; each unmapped person once, with the
    /// number of their tasks. `owner` is [`Self::account_owner`]'s hub name.
    pub(crate) fn resolve(
        &self,
        target: &str,
        desired: &mut Vec<DesiredTask>,
        owner: Option<&str>,
    ) -> Vec<UnmappedPerson> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let skip = self.policy == Unmapped::Skip;
        desired.retain_mut(|task| {
            let mut whose = BTreeSet::new();
            task.entries
                .retain_mut(|e| !(self.take(&mut e.fields.owner, owner, &mut whose) && skip));
            let kept = !(self.take(&mut task.fields.owner, owner, &mut whose) && skip);
            for person in whose {
                *counts.entry(person).or_default() += 1;
            }
            kept
        });
        let handled = match &self.policy {
            Unmapped::Unassigned => "made without an owner".to_string(),
            Unmapped::Skip => "not sent here (unmapped = \"skip\")".to_string(),
            Unmapped::Account(a) => format!("given to {a}"),
        };
        counts
            .into_iter()
            .map(|(person, tasks)| UnmappedPerson {
                target: target.to_string(),
                entry: format!("\"{person}\" = \"<{}>\"", self.account_word),
                in_map: self.has_map,
                person,
                tasks,
                handled: handled.clone(),
            })
            .collect()
    }
}

/// Two people the map sends to one account (compared without case), if any: the tool would
/// read every task of theirs back as one of them, a change to put back on every cycle.
pub(crate) fn shared_account(people: &BTreeMap<String, String>) -> Option<(&str, &str, &str)> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (person, account) in people {
        if let Some(first) = seen.insert(account.to_lowercase(), person) {
            return Some((first, person, account));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use throughline_connector::{DesiredEntry, EntryFields, TaskFields};

    fn task(id: &str, owner: &str, entry_owner: Option<&str>) -> DesiredTask {
        DesiredTask {
            identity: id.into(),
            fields: TaskFields {
                title: id.into(),
                owner: Some(owner.into()),
                ..Default::default()
            },
            entries: vec![DesiredEntry {
                identity: format!("{id}/e"),
                fields: EntryFields {
                    text: "e".into(),
                    owner: entry_owner.map(str::to_string),
                    due: None,
                },
                checked: false,
            }],
            state: throughline_connector::State::Todo,
            context: Default::default(),
        }
    }

    fn trello(unmapped: Option<&str>) -> (Target, BTreeMap<String, String>) {
        let mut settings = toml::Table::new();
        if let Some(u) = unmapped {
            settings.insert("unmapped".into(), u.into());
        }
        let target = Target {
            id: "studio".into(),
            kind: TargetKind::Trello,
            mapping: None,
            only: Default::default(),
            credentials: Default::default(),
            base_url: None,
            settings,
            origin: "throughline.toml:1:1".into(),
        };
        let people = BTreeMap::from([("dana@example.com".into(), "danalevi".into())]);
        (target, people)
    }

    fn tasks() -> Vec<DesiredTask> {
        vec![
            task("a/copy", "dana@example.com", Some("noa@example.com")),
            task("a/design", "noa@example.com", None),
            task("b/design", "noa@example.com", Some("noa@example.com")),
        ]
    }

    #[test]
    fn each_policy() {
        let (target, people) = trello(None);
        let p = TargetPeople::new(&target, &people);
        let mut d = tasks();
        let out = p.resolve("studio", &mut d, None);
        assert_eq!(out.len(), 1, "noa once: {out:?}");
        // Tasks, not owners: a/copy (an entry), a/design, b/design (the task and an entry).
        assert_eq!(
            (out[0].person.as_str(), out[0].tasks),
            ("noa@example.com", 3)
        );
        assert_eq!(out[0].entry, "\"noa@example.com\" = \"<Trello username>\"");
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].fields.owner.as_deref(), Some("dana@example.com"));
        assert_eq!(d[0].entries[0].fields.owner, None);
        assert_eq!(d[1].fields.owner, None);

        let (target, people) = trello(Some("skip"));
        let p = TargetPeople::new(&target, &people);
        let mut d = tasks();
        p.resolve("studio", &mut d, None);
        let ids: Vec<&str> = d.iter().map(|t| t.identity.as_str()).collect();
        assert_eq!(ids, ["a/copy"]);
        assert!(d[0].entries.is_empty(), "noa's entry is not sent either");

        // An account someone is mapped to: their hub name, read back the same way.
        let (target, people) = trello(Some("DanaLevi"));
        let p = TargetPeople::new(&target, &people);
        let (owner, extra) = p.account_owner(&people).unwrap();
        assert_eq!((owner.as_str(), extra), ("dana@example.com", None));
        let mut d = tasks();
        p.resolve("studio", &mut d, Some(&owner));
        assert!(
            d.iter()
                .all(|t| t.fields.owner.as_deref() == Some("dana@example.com"))
        );

        // An account nobody is mapped to: it names itself.
        let (target, people) = trello(Some("intern"));
        let p = TargetPeople::new(&target, &people);
        let (owner, extra) = p.account_owner(&people).unwrap();
        assert_eq!(owner, "intern");
        assert_eq!(extra, Some(("intern".into(), "intern".into())));
    }

    #[test]
    fn two_people_on_one_account_are_found() {
        let mut people = BTreeMap::from([
            ("dana@example.com".to_string(), "danalevi".to_string()),
            ("avi@example.com".to_string(), "avi".to_string()),
        ]);
        assert_eq!(shared_account(&people), None);
        people.insert("noa@example.com".into(), "DanaLevi".into());
        assert_eq!(
            shared_account(&people),
            Some(("dana@example.com", "noa@example.com", "DanaLevi"))
        );
    }

    #[test]
    fn tools_that_match_by_email_have_nobody_unmapped() {
        let (mut target, people) = trello(Some("skip"));
        target.kind = TargetKind::Asana;
        let p = TargetPeople::new(&target, &people);
        let mut d = tasks();
        assert!(p.resolve("team", &mut d, None).is_empty());
        assert_eq!(d, tasks());
    }
}
