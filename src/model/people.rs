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

/// A role's person as written: a plain address, or a name and an address in RFC 5322's
/// name-addr form (`Dana Levi <dana@example.com>`, the name in quotes when it holds a comma).
/// Returns the name (if any) and the address, or what is wrong.
pub(crate) fn name_addr(written: &str) -> Result<(Option<String>, String), String> {
    let text = written.trim();
    let Some(open) = text.find('<') else {
        if text.contains('>') {
            return Err(format!(
                "`{text}` has a `>` without its `<`; write a person as \"dana@example.com\" or \"Dana Levi <dana@example.com>\""
            ));
        }
        return Ok((None, text.to_string()));
    };
    let Some(inner) = text[open + 1..].strip_suffix('>') else {
        return Err(format!(
            "`{text}` must end with the address's closing `>`, like \"Dana Levi <dana@example.com>\""
        ));
    };
    let address = inner.trim();
    let plausible = address.split('@').count() == 2
        && address.split('@').all(|part| !part.is_empty())
        && !address.contains(|c: char| c.is_whitespace() || "<>\",".contains(c));
    if !plausible {
        return Err(format!(
            "`{address}` between `<` and `>` is not an e-mail address; write it like \"Dana Levi <dana@example.com>\""
        ));
    }
    let name = text[..open].trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(name)
        .trim();
    if name.contains('"') {
        return Err(format!(
            "the name in `{text}` has a stray `\"`; put the whole name in quotes or none of it"
        ));
    }
    Ok((
        (!name.is_empty()).then(|| name.to_string()),
        address.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::name_addr;

    #[test]
    fn plain_addresses_and_names_with_addresses() {
        let ok = |s: &str| name_addr(s).unwrap();
        assert_eq!(ok("dana@example.com"), (None, "dana@example.com".into()));
        assert_eq!(
            ok("Dana Levi <dana@example.com>"),
            (Some("Dana Levi".into()), "dana@example.com".into())
        );
        assert_eq!(
            ok("\"Levi, Dana\" <dana@example.com>"),
            (Some("Levi, Dana".into()), "dana@example.com".into())
        );
        assert_eq!(ok("<dana@example.com>"), (None, "dana@example.com".into()));
        assert_eq!(
            ok("דנה לוי <dana@example.com>"),
            (Some("דנה לוי".into()), "dana@example.com".into())
        );
        for bad in [
            "Dana Levi <dana@example.com",
            "Dana Levi <dana>",
            "Dana <a@b@c>",
            "Dana <>",
            "Dana Levi dana@example.com>",
            "\"Dana <dana@example.com>",
        ] {
            assert!(name_addr(bad).is_err(), "{bad}");
        }
    }
}
