//! Accepting a drift into the playbook: the value a person set in a tool becomes the files'
//! own, so every tool gets it and the drift stops.
//!
//! | what drifted | what changes in the files |
//! |---|---|
//! | a task's `owner` | the item's `people = { <stage's role> = "<person>" }` in its item file (that item only) |
//! | a checklist entry's `text` | the entry in its playbook's `[[stage]]`: a plain text entry becomes `{ id = "<its key>", text = "…" }`, so its identity (and every tool's link) stays |
//!
//! Titles and descriptions come from the mapping's templates, group from the stage, and dates
//! from the schedule, so none of them is one value in the files: such a drift is refused with
//! where to change it by hand.
//!
//! The file is changed in place with `toml_edit` (comments, order and spacing kept), the old
//! one copied to `<file>.bak` first; then the whole deployment is loaded again, and only when
//! it is valid and says the new value is the change kept. Otherwise the file is put back byte
//! for byte and the problems are shown.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, InlineTable, Item, Value};

use super::ActionError;
use crate::model::{Deployment, slug};

/// What a drift event says: the field, the hub's value and the tool's, as the engine wrote
/// them (`owner changed in the tool from "a@x" to "b@x"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drifted {
    pub field: String,
    pub hub: String,
    pub tool: String,
}

/// Read a drift event's detail.
pub fn parse_detail(detail: &str) -> Option<Drifted> {
    let (field, rest) = detail.split_once(" changed in the tool from ")?;
    let (hub, rest) = debug_string(rest)?;
    let rest = rest.strip_prefix(" to ")?;
    let (tool, rest) = debug_string(rest)?;
    rest.is_empty().then(|| Drifted {
        field: field.to_string(),
        hub,
        tool,
    })
}

/// A string as Rust's `{:?}` writes it, and the text after it.
fn debug_string(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &text[i + 2..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                'u' => {
                    let rest = chars.as_str().strip_prefix('{')?;
                    let end = rest.find('}')?;
                    out.push(char::from_u32(u32::from_str_radix(&rest[..end], 16).ok()?)?);
                    for _ in 0..end + 2 {
                        chars.next();
                    }
                }
                _ => return None,
            },
            c => out.push(c),
        }
    }
    None
}

/// A change to a parsed TOML file, or why it cannot be made there.
type Change = Box<dyn Fn(&mut DocumentMut) -> Result<(), String>>;

/// One change to make in one file.
struct Edit {
    file: PathBuf,
    /// What it does, in words, for the record.
    what: String,
    apply: Change,
    /// Whether the reloaded deployment holds the new value.
    took: Box<dyn Fn(&Deployment) -> bool>,
}

/// What was changed, for the record and the page.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub backup: PathBuf,
    pub what: String,
}

/// Take `d` (a drift of `identity`) into the files of `dep`.
pub fn accept(dep: &Deployment, identity: &str, d: &Drifted) -> Result<Accepted, ActionError> {
    let edit = plan_edit(dep, identity, d)?;
    apply(&dep.config_path, edit)
}

fn plan_edit(dep: &Deployment, identity: &str, d: &Drifted) -> Result<Edit, ActionError> {
    let parts: Vec<&str> = identity.split('/').collect();
    let refuse = |why: String| Err(ActionError::Bad(why));
    match (parts.as_slice(), d.field.as_str()) {
        ([item, stage], "owner") => owner_edit(dep, item, stage, &d.tool),
        ([_, stage, key], "text") => entry_text_edit(dep, identity, stage, key, &d.tool),
        (_, "title" | "description") => refuse(format!(
            "the {} of {identity} is made by the mapping's template from the item and stage, so it is not one value in the files; change the item's `title` or `notes`, or the mapping's `[task] {}` template, by hand",
            d.field, d.field
        )),
        (_, "group") => refuse(format!(
            "where {identity} sits in the tool (its list, section or column) follows its stage; a task cannot move to another stage from the dashboard"
        )),
        (_, "start" | "due") => refuse(format!(
            "the {} date of {identity} is scheduled back from the item's go-live through the stages' `days`; change `golive` in its item file or a stage's `days` by hand",
            d.field
        )),
        _ => refuse(format!(
            "a drift of `{}` on {identity} cannot be taken into the files from the dashboard",
            d.field
        )),
    }
}

/// The item's file: the item file that holds `[[item]]` with this id.
fn item_file(dep: &Deployment, item: &str) -> Result<PathBuf, ActionError> {
    for path in item_files(dep)? {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(doc) = text.parse::<DocumentMut>() else {
            continue;
        };
        let found = doc
            .get("item")
            .and_then(Item::as_array_of_tables)
            .is_some_and(|items| {
                items
                    .iter()
                    .any(|t| t.get("id").and_then(Item::as_str) == Some(item))
            });
        if found {
            return Ok(path);
        }
    }
    Err(ActionError::Stale(format!(
        "no item file holds [[item]] id = \"{item}\" any more; reload the page"
    )))
}

/// The files `items = [...]` in `throughline.toml` matches.
fn item_files(dep: &Deployment) -> Result<Vec<PathBuf>, ActionError> {
    let text = std::fs::read_to_string(&dep.config_path).map_err(|e| {
        ActionError::Failed(format!("cannot read {}: {e}", dep.config_path.display()))
    })?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| {
        ActionError::Failed(format!("cannot read {}: {e}", dep.config_path.display()))
    })?;
    let patterns = doc
        .get("items")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for p in patterns.iter().filter_map(toml::Value::as_str) {
        let full = if Path::new(p).is_absolute() {
            p.to_string()
        } else {
            format!("{}/{p}", glob::Pattern::escape(&dep.root.to_string_lossy()))
        };
        if let Ok(paths) = glob::glob(&full) {
            out.extend(paths.flatten());
        }
    }
    Ok(out)
}

fn owner_edit(
    dep: &Deployment,
    item: &str,
    stage: &str,
    person: &str,
) -> Result<Edit, ActionError> {
    let found = dep.items.iter().find(|i| i.id == item);
    let Some(it) = found else {
        return Err(ActionError::Stale(format!(
            "there is no item `{item}` any more; reload the page"
        )));
    };
    if let Some(cadence) = &it.cadence {
        return Err(ActionError::Bad(format!(
            "{item} is one date of cadence `{cadence}`: its owner would change for every date; set `people` in that [[cadence]] by hand if that is meant"
        )));
    }
    let process = dep.process(&it.process).ok_or_else(|| {
        ActionError::Stale(format!("process `{}` is gone; reload the page", it.process))
    })?;
    let role = process
        .stages
        .iter()
        .find(|s| s.id == stage)
        .map(|s| s.owner.clone())
        .ok_or_else(|| {
            ActionError::Stale(format!(
                "stage `{stage}` is gone from {}; reload the page",
                process.id
            ))
        })?;
    if person.is_empty() || person == "(empty)" {
        return Err(ActionError::Bad(format!(
            "the task was left without an owner in the tool; a role always has an owner in the files, so this cannot be taken in (the `{role}` role keeps its person)"
        )));
    }
    let file = item_file(dep, item)?;
    let (id, r, p) = (item.to_string(), role.clone(), person.to_string());
    let (id2, r2, p2) = (id.clone(), r.clone(), p.clone());
    Ok(Edit {
        what: format!(
            "people.{role} = \"{person}\" for item {item} in {}",
            file.display()
        ),
        file,
        apply: Box::new(move |doc| {
            let items = doc
                .get_mut("item")
                .and_then(Item::as_array_of_tables_mut)
                .ok_or("the file has no [[item]] any more")?;
            let table = items
                .iter_mut()
                .find(|t| t.get("id").and_then(Item::as_str) == Some(id.as_str()))
                .ok_or("the item is not in the file any more")?;
            let people = table
                .entry("people")
                .or_insert(Item::Value(Value::InlineTable(InlineTable::new())));
            match people {
                Item::Value(Value::InlineTable(t)) => {
                    t.insert(&r, Value::from(p.as_str()));
                }
                Item::Table(t) => {
                    t.insert(&r, toml_edit::value(p.as_str()));
                }
                _ => return Err("`people` is not a table in the file".to_string()),
            }
            Ok(())
        }),
        took: Box::new(move |dep| {
            dep.items
                .iter()
                .any(|i| i.id == id2 && i.people.get(&r2) == Some(&p2))
        }),
    })
}

fn entry_text_edit(
    dep: &Deployment,
    identity: &str,
    stage: &str,
    key: &str,
    text: &str,
) -> Result<Edit, ActionError> {
    let item = identity.split('/').next().unwrap_or_default();
    let process = dep
        .items
        .iter()
        .find(|i| i.id == item)
        .and_then(|i| dep.process(&i.process))
        .ok_or_else(|| {
            ActionError::Stale(format!(
                "there is no item `{item}` any more; reload the page"
            ))
        })?;
    if text.trim().is_empty() || text == "(empty)" {
        return Err(ActionError::Bad("the entry's text was emptied in the tool; an entry needs text, so this cannot be taken in".into()));
    }
    let file = process.file.clone();
    let (stage, key, text) = (stage.to_string(), key.to_string(), text.to_string());
    let (stage2, key2, text2, pid) = (stage.clone(), key.clone(), text.clone(), process.id.clone());
    Ok(Edit {
        what: format!(
            "the text of checklist entry `{key}` of stage `{stage}` in {}",
            file.display()
        ),
        file,
        apply: Box::new(move |doc| {
            let stages = doc
                .get_mut("stage")
                .and_then(Item::as_array_of_tables_mut)
                .ok_or("the playbook has no [[stage]] any more")?;
            let st = stages
                .iter_mut()
                .find(|t| t.get("id").and_then(Item::as_str) == Some(stage.as_str()))
                .ok_or("the stage is not in the playbook any more")?;
            let list = st
                .get_mut("checklist")
                .and_then(Item::as_array_mut)
                .ok_or("the stage has no checklist any more")?;
            for v in list.iter_mut() {
                match v {
                    Value::String(s) if slug(s.value()) == key => {
                        let mut t = InlineTable::new();
                        t.insert("id", Value::from(key.as_str()));
                        t.insert("text", Value::from(text.as_str()));
                        let decor = s.decor().clone();
                        let mut new = Value::InlineTable(t);
                        *new.decor_mut() = decor;
                        *v = new;
                        return Ok(());
                    }
                    Value::InlineTable(t)
                        if t.get("id").and_then(Value::as_str) == Some(key.as_str())
                            || (t.get("id").is_none()
                                && t.get("text").and_then(Value::as_str).map(slug).as_deref()
                                    == Some(key.as_str())) =>
                    {
                        if t.get("id").is_none() {
                            t.insert("id", Value::from(key.as_str()));
                        }
                        t.insert("text", Value::from(text.as_str()));
                        return Ok(());
                    }
                    _ => {}
                }
            }
            Err("the entry is not in the stage's checklist any more".to_string())
        }),
        took: Box::new(move |dep| {
            dep.process(&pid).is_some_and(|p| {
                p.stages.iter().any(|s| {
                    s.id == stage2 && s.checklist.iter().any(|e| e.key == key2 && e.text == text2)
                })
            })
        }),
    })
}

/// `<file>.bak`, next to it.
fn backup_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".bak");
    PathBuf::from(name)
}

/// Write `bytes` to `file` through a temporary file next to it and a rename, so a reader sees
/// the old file or the new one, never half of one.
fn replace(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp_name = file.as_os_str().to_owned();
    tmp_name.push(".throughline-tmp");
    let tmp = PathBuf::from(tmp_name);
    std::fs::write(&tmp, bytes)?;
    if let Ok(meta) = std::fs::metadata(file) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, file)
}

/// Change the file, check the whole deployment, and keep the change only when it is valid and
/// holds the new value; else put the file (and any earlier backup) back as they were.
fn apply(config: &Path, edit: Edit) -> Result<Accepted, ActionError> {
    let file = &edit.file;
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        ActionError::Failed(format!("cannot {what} {}: {e}", file.display()))
    };
    let before = std::fs::read(file).map_err(|e| failed("read", &e))?;
    let text = String::from_utf8(before.clone()).map_err(|e| failed("read", &e))?;
    let mut doc: DocumentMut = text.parse().map_err(|e| failed("read", &e))?;
    (edit.apply)(&mut doc)
        .map_err(|e| ActionError::Stale(format!("{}: {e}; reload the page", file.display())))?;
    let after = doc.to_string();
    let backup = backup_of(file);
    let old_backup = std::fs::read(&backup).ok();
    std::fs::write(&backup, &before).map_err(|e| failed("back up", &e))?;
    replace(file, after.as_bytes()).map_err(|e| failed("write", &e))?;
    let verdict = match crate::model::load(config) {
        Ok(dep) if (edit.took)(&dep) => Ok(()),
        Ok(_) => Err("the files load, but do not hold the new value (another file may set it); nothing was changed".to_string()),
        Err(diags) => Err(diags.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")),
    };
    match verdict {
        Ok(()) => Ok(Accepted {
            backup,
            what: edit.what,
        }),
        Err(problems) => {
            replace(file, &before).map_err(|e| failed("put back", &e))?;
            match old_backup {
                Some(old) => drop(std::fs::write(&backup, old)),
                None => drop(std::fs::remove_file(&backup)),
            }
            Err(ActionError::Invalid(format!(
                "{} was not changed: with this value the files would not be valid:\n{problems}",
                file.display()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drift_events_detail_reads_back() {
        let d =
            parse_detail(r#"owner changed in the tool from "a@x.com" to "b \"q\" \u{7}@x.com""#)
                .unwrap();
        assert_eq!(d.field, "owner");
        assert_eq!(d.hub, "a@x.com");
        assert_eq!(d.tool, "b \"q\" \u{7}@x.com");
        let text = format!(
            "text changed in the tool from {:?} to {:?}",
            "טיוטה\n", "line\\two\t"
        );
        let d = parse_detail(&text).unwrap();
        assert_eq!(
            (d.hub.as_str(), d.tool.as_str()),
            ("טיוטה\n", "line\\two\t")
        );
        assert_eq!(parse_detail("something else"), None);
        assert_eq!(
            parse_detail(r#"owner changed in the tool from "a" to "b" and more"#),
            None
        );
    }
}
