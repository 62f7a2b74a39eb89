//! Who owns a task in each tool. The target's connector says which people have an account
//! there ([`Connector::people_with_accounts`]): on a Trello board, those its people tables map
//! to a member (`people = { "dana@example.com" = "danalevi" }`); in Asana, those whose e-mail
//! address (or `people` entry) is a user of the workspace; in a workbook or a spreadsheet, where
//! the owner is text, everyone. The engine asks once a target has been read, and a task whose
//! owner has no account there follows the target's `unmapped` policy instead of being refused:
//!
//! | `unmapped` | the task |
//! |---|---|
//! | `"unassigned"` (default) | is made without an owner |
//! | `"skip"` | is not sent to this target |
//! | an account | is owned by that account |
//!
//! Owners stay in the hub's terms (the connector reads them back that way), so a task handed
//! to an account is given the person the target maps to it, or the account itself. An account
//! the tool does not have either takes nobody's tasks: they are made without an owner.

use std::collections::{BTreeMap, BTreeSet};

use throughline_connector::{Connector, ConnectorError, DesiredTask};

use crate::model::Target;

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
    /// What was done with them: "made without an owner", "not sent here", "given to `<account>`".
    pub handled: String,
    /// The entry that gives them an account here: `"x@example.com" = "<Trello username>"`.
    pub entry: String,
    /// The target has a `people` table already: the entry goes into it; otherwise the line
    /// to add is `people = { <entries> }`.
    pub in_map: bool,
    /// The account the people tables give them, which the tool does not have (not on the
    /// board, not a user of the workspace): the fix is to invite them or correct that entry,
    /// not to add one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapped_to: Option<String>,
}

impl UnmappedPerson {
    /// What to do about them, in one sentence.
    pub fn fix(&self) -> String {
        match &self.mapped_to {
            Some(account) => format!(
                "they are mapped to `{account}`, which has no account here: invite them, or \
                 correct that entry"
            ),
            None if self.in_map => format!("add {} to the target's people table", self.entry),
            None => format!("add to the target: people = {{ {} }}", self.entry),
        }
    }
}

/// How one target names people: the policy for those without an account, and what the fix
/// line calls an account. Which people have one, the target's connector says once it is read
/// (`settle`).
#[derive(Debug, Clone)]
pub struct TargetPeople {
    policy: Unmapped,
    /// The hub name the tasks of people without an account get (`unmapped = "<account>"`).
    owner: Option<String>,
    /// What to call an account in the fix line: "Trello username".
    account_word: &'static str,
    /// The target has a `people` table already: the fix is one more entry in it.
    has_map: bool,
    /// Hub person → account, as the connector maps them.
    map: BTreeMap<String, String>,
}

impl TargetPeople {
    /// `people` = the target's map merged over the mapping's `[people]`, as the connector
    /// will use it. The second value is one more entry for that map, when the account of
    /// `unmapped = "<account>"` is nobody's and the tool knows people only through the map
    /// (Trello): the account then names itself.
    pub(crate) fn new(
        target: &Target,
        people: &BTreeMap<String, String>,
    ) -> (TargetPeople, Option<(String, String)>) {
        let accounts = target.kind.spec().accounts;
        let (by_map_only, account_word) = (accounts.by_map_only, accounts.word);
        let policy = Unmapped::of(target);
        let (owner, extra) = match &policy {
            Unmapped::Account(account) => {
                // The person mapped to the account: the tool reads the task back as theirs.
                match people.iter().find(|(_, a)| a.eq_ignore_ascii_case(account)) {
                    Some((person, _)) => (Some(person.clone()), None),
                    None if by_map_only => (
                        Some(account.clone()),
                        Some((account.clone(), account.clone())),
                    ),
                    None => (Some(account.clone()), None),
                }
            }
            _ => (None, None),
        };
        let rule = TargetPeople {
            policy,
            owner,
            account_word,
            has_map: target.settings.contains_key("people"),
            map: people.clone(),
        };
        (rule, extra)
    }

    /// Everyone the tasks name as owner, and the account owner: what to ask the tool about.
    fn asked(&self, desired: &[DesiredTask]) -> BTreeSet<String> {
        desired
            .iter()
            .flat_map(|t| {
                std::iter::once(&t.fields.owner).chain(t.entries.iter().map(|e| &e.fields.owner))
            })
            .flatten()
            .chain(&self.owner)
            .cloned()
            .collect()
    }

    /// Apply the policy to the tasks this target shows, `known` being the people with an
    /// account here; each unmapped person once, with the number of their tasks.
    pub(crate) fn resolve(
        &self,
        target: &str,
        desired: &mut Vec<DesiredTask>,
        known: &BTreeSet<String>,
    ) -> Vec<UnmappedPerson> {
        // An account the tool does not have either takes nobody's tasks: unassigned instead.
        let (policy, handled) = match (&self.policy, &self.owner) {
            (Unmapped::Account(a), Some(owner)) if !known.contains(owner) => (
                Unmapped::Unassigned,
                format!("made without an owner (unmapped = \"{a}\" is not an account here either)"),
            ),
            (Unmapped::Unassigned, _) => (Unmapped::Unassigned, "made without an owner".into()),
            (Unmapped::Skip, _) => (
                Unmapped::Skip,
                "not sent here (unmapped = \"skip\")".to_string(),
            ),
            (Unmapped::Account(a), _) => (self.policy.clone(), format!("given to {a}")),
        };
        let owner = match policy {
            Unmapped::Account(_) => self.owner.as_deref(),
            _ => None,
        };
        let skip = policy == Unmapped::Skip;
        // An owner with no account here becomes `owner` (noted in `whose`): true if it was one.
        let take = |who: &mut Option<String>, whose: &mut BTreeSet<String>| match who.as_deref() {
            Some(p) if !known.contains(p) => {
                whose.insert(p.to_string());
                *who = owner.map(str::to_string);
                true
            }
            _ => false,
        };
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        desired.retain_mut(|task| {
            let mut whose = BTreeSet::new();
            task.entries
                .retain_mut(|e| !(take(&mut e.fields.owner, &mut whose) && skip));
            let kept = !(take(&mut task.fields.owner, &mut whose) && skip);
            for person in whose {
                *counts.entry(person).or_default() += 1;
            }
            kept
        });
        counts
            .into_iter()
            .map(|(person, tasks)| UnmappedPerson {
                target: target.to_string(),
                entry: format!("\"{person}\" = \"<{}>\"", self.account_word),
                in_map: self.has_map,
                mapped_to: self.map.get(&person).cloned(),
                person,
                tasks,
                handled: handled.clone(),
            })
            .collect()
    }
}

/// Ask the target's connector, once it has been read, which of the people its tasks name have
/// an account there, and apply the target's `unmapped` policy to the others.
pub(crate) async fn settle(
    rule: &TargetPeople,
    target: &str,
    connector: &mut dyn Connector,
    desired: &mut Vec<DesiredTask>,
) -> Result<Vec<UnmappedPerson>, ConnectorError> {
    let asked = rule.asked(desired);
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let known = connector.people_with_accounts(&asked).await?;
    Ok(rule.resolve(target, desired, &known))
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
    use crate::model::TargetKind;
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
            kind: TargetKind::parse("trello").unwrap(),
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

    /// Dana has an account, Noa has none.
    fn dana() -> BTreeSet<String> {
        BTreeSet::from(["dana@example.com".to_string()])
    }

    #[test]
    fn each_policy() {
        let (target, people) = trello(None);
        let (p, _) = TargetPeople::new(&target, &people);
        let mut d = tasks();
        assert_eq!(
            p.asked(&d),
            BTreeSet::from(["dana@example.com".into(), "noa@example.com".into()])
        );
        let out = p.resolve("studio", &mut d, &dana());
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
        let (p, _) = TargetPeople::new(&target, &people);
        let mut d = tasks();
        p.resolve("studio", &mut d, &dana());
        let ids: Vec<&str> = d.iter().map(|t| t.identity.as_str()).collect();
        assert_eq!(ids, ["a/copy"]);
        assert!(d[0].entries.is_empty(), "noa's entry is not sent either");

        // An account someone is mapped to: their hub name, read back the same way.
        let (target, people) = trello(Some("DanaLevi"));
        let (p, extra) = TargetPeople::new(&target, &people);
        assert_eq!(
            (p.owner.as_deref(), extra),
            (Some("dana@example.com"), None)
        );
        let mut d = tasks();
        let out = p.resolve("studio", &mut d, &dana());
        assert_eq!(out[0].handled, "given to DanaLevi");
        assert!(
            d.iter()
                .all(|t| t.fields.owner.as_deref() == Some("dana@example.com"))
        );

        // An account nobody is mapped to: it names itself.
        let (target, people) = trello(Some("intern"));
        let (p, extra) = TargetPeople::new(&target, &people);
        assert_eq!(p.owner.as_deref(), Some("intern"));
        assert_eq!(extra, Some(("intern".into(), "intern".into())));
        assert!(
            p.asked(&tasks()).contains("intern"),
            "the tool is asked about it"
        );
    }

    #[test]
    fn an_account_the_tool_lacks_leaves_tasks_unassigned() {
        let (target, people) = trello(Some("intern"));
        let (p, _) = TargetPeople::new(&target, &people);
        let mut d = tasks();
        let out = p.resolve("studio", &mut d, &dana());
        assert!(
            out[0].handled.starts_with("made without an owner"),
            "{out:?}"
        );
        assert_eq!(d.len(), 3);
        assert_eq!(d[1].fields.owner, None);
    }

    #[test]
    fn someone_mapped_to_an_account_the_tool_lacks_has_an_entry_to_fix() {
        let (target, mut people) = trello(None);
        people.insert("noa@example.com".into(), "noa".into());
        let (p, _) = TargetPeople::new(&target, &people);
        let out = p.resolve("studio", &mut tasks(), &dana());
        assert_eq!(out[0].mapped_to.as_deref(), Some("noa"));
        assert!(out[0].fix().contains("mapped to `noa`"), "{}", out[0].fix());
        let (p, _) = TargetPeople::new(&target, &trello(None).1);
        let out = p.resolve("studio", &mut tasks(), &dana());
        assert_eq!(out[0].mapped_to, None);
        assert_eq!(
            out[0].fix(),
            "add to the target: people = { \"noa@example.com\" = \"<Trello username>\" }"
        );
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
    fn everyone_with_an_account_changes_nothing() {
        let (mut target, people) = trello(Some("skip"));
        target.kind = TargetKind::parse("asana").unwrap();
        let (p, _) = TargetPeople::new(&target, &people);
        let mut d = tasks();
        let everyone = p.asked(&d);
        assert!(p.resolve("team", &mut d, &everyone).is_empty());
        assert_eq!(d, tasks());
    }
}
