//! A target's `people` map and `unmapped` policy: every value is an account in quotes, and no
//! two people go to one account. Two people on one account would read back as one of them, so
//! the other's tasks would look reassigned in the tool on every cycle and be put back forever.

use std::collections::HashMap;

use super::fields::{At, Files, Problems};
use super::raw::RawTarget;

pub(crate) fn check(files: &Files, raw: &RawTarget, problems: &mut Problems) {
    for (key, value) in &raw.settings {
        match key.value.as_str() {
            "people" => check_people(files, value, problems),
            "unmapped" => match &value.value {
                toml::Value::String(s) if !s.trim().is_empty() => {}
                _ => problems.at(
                    value,
                    "`unmapped` says what happens to a task whose owner has no account in this tool: \
                     \"unassigned\" (made without an owner), \"skip\" (not sent here) or an account in quotes that takes such tasks",
                ),
            },
            _ => {}
        }
    }
}

fn check_people(files: &Files, value: &At<toml::Value>, problems: &mut Problems) {
    let toml::Value::Table(table) = &value.value else {
        problems.at(
            value,
            "`people` must be a table from a person's e-mail address to their account in this tool, like people = { \"dana@example.com\" = \"danalevi\" }",
        );
        return;
    };
    // Account (compared without case) → the first person sent to it.
    let mut taken: HashMap<String, (&str, At<()>)> = HashMap::new();
    // In file order, so the second of two is the one reported.
    let mut entries: Vec<(&String, &toml::Value, At<()>)> = table
        .iter()
        .map(|(person, account)| (person, account, place_of(files, value, person)))
        .collect();
    entries.sort_by_key(|(_, _, at)| at.span.start);
    for (person, account, at) in entries {
        let Some(account) = account.as_str().filter(|a| !a.trim().is_empty()) else {
            problems.at(
                &at,
                format!(
                    "`{person}` must map to an account in quotes, like \"{person}\" = \"danalevi\""
                ),
            );
            continue;
        };
        match taken.get(&account.to_lowercase()) {
            Some((first, first_at)) => problems.at(
                &at,
                format!(
                    "`{person}` and `{first}` ({}) both go to the account `{account}`; the tool would \
                     show every task of theirs as `{first}`'s. Give each person their own account, or \
                     remove `{person}` here and write unmapped = \"{account}\" to hand the tasks of \
                     everyone without an account to `{account}`",
                    files.place_from(first_at, value.file)
                ),
            ),
            None => {
                taken.insert(account.to_lowercase(), (person.as_str(), at));
            }
        }
    }
}

/// Where `person` is written inside the `people` value (the value's start when not found).
fn place_of(files: &Files, value: &At<toml::Value>, person: &str) -> At<()> {
    let text = &files.get(value.file).text;
    let written = text.get(value.span.clone()).unwrap_or_default();
    let found = [
        format!("\"{person}\""),
        format!("'{person}'"),
        person.to_string(),
    ]
    .iter()
    .find_map(|needle| written.find(needle.as_str()));
    let start = value.span.start + found.unwrap_or(0);
    At::new((), value.file, start..start + 1)
}
