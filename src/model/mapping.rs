//! Mapping files (`mappings/*.toml`), read and checked with every other file, so that `validate`
//! finds their mistakes and nothing is opened or written while one is wrong. The engine and
//! each connector say what is wrong, by dotted key (`layout.columns`); this module finds that
//! key in the file and reports it at its `line:col`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use throughline_connector::mapping::{KeyError, key_path};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::fields::{FileId, Files, Problems};
use super::load::{explain, parse};
use super::{Deployment, Source, TargetKind};

/// Check the mapping file of every target that names one (a missing file is already reported
/// at the `mapping` key). A file two targets share is read once and checked for each kind.
pub(crate) fn check(deployment: &Deployment, files: &mut Files, problems: &mut Problems) {
    let mut read: Vec<(PathBuf, Option<FileId>)> = Vec::new();
    let mut checked: BTreeSet<(PathBuf, &'static str)> = BTreeSet::new();
    for target in &deployment.targets {
        let Some(path) = target.mapping.as_ref().filter(|p| p.is_file()) else {
            continue;
        };
        if !checked.insert((path.clone(), target.kind.as_str())) {
            continue;
        }
        let file = match read.iter().find(|(p, _)| p == path) {
            Some((_, file)) => *file,
            None => {
                let file = add(path, files, problems);
                read.push((path.clone(), file));
                file
            }
        };
        if let Some(file) = file {
            check_file(file, target.kind, files, problems);
        }
    }
}

/// Read one mapping file and report its TOML mistakes; `None` when it cannot be read or has any.
fn add(path: &PathBuf, files: &mut Files, problems: &mut Problems) -> Option<FileId> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            let file = files.add(Source::new(path, String::new()));
            problems.add(
                file,
                0..0,
                format!("cannot read this mapping file: {}", explain(&err)),
            );
            return None;
        }
    };
    let file = files.add(Source::new(path, text));
    let before = problems.len();
    let (_, broken) = parse(files, file, problems);
    (!broken && problems.len() == before).then_some(file)
}

fn check_file(file: FileId, kind: TargetKind, files: &Files, problems: &mut Problems) {
    let source = files.get(file);
    let table: toml::Table = match source.text.parse() {
        Ok(table) => table,
        Err(err) => {
            let err: toml::de::Error = err;
            problems.add(file, err.span().unwrap_or(0..0), err.message().to_string());
            return;
        }
    };
    let (doc, _) = DeTable::parse_recoverable(&source.text);
    for problem in crate::engine::connectors::mapping_problems(kind, &table) {
        let span = locate(&doc, &table, &problem);
        problems.add(file, span, problem.to_string());
    }
}

/// Where a problem is in the file: the key when the key itself is wrong or holds a table; the
/// value otherwise, and in a list the entry the message quotes. A key that is not there (a
/// missing one) points at the nearest table around it that is, or the top of the file.
fn locate(
    doc: &Spanned<DeTable<'_>>,
    table: &toml::Table,
    problem: &KeyError,
) -> std::ops::Range<usize> {
    let mut dotted = problem.key.as_str();
    let path = loop {
        if let Some(path) = key_path(table, dotted) {
            break path;
        }
        match dotted.rsplit_once('.') {
            Some((parent, _)) => dotted = parent,
            None => return 0..0,
        }
    };
    let exact = dotted == problem.key;
    let mut current = doc.get_ref();
    let mut found = None;
    for key in &path {
        let Some((k, v)) = current
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key.as_str())
        else {
            break;
        };
        found = Some((k.span(), v));
        match v.get_ref() {
            DeValue::Table(t) => current = t,
            _ => break,
        }
    }
    let Some((key_span, value)) = found else {
        return 0..0;
    };
    if problem.unknown || !exact {
        return key_span;
    }
    match value.get_ref() {
        DeValue::Table(_) => key_span,
        // The entry the message quotes first: "unknown column \"tsk\"; allowed: \"id\", ...".
        DeValue::Array(entries) => entries
            .iter()
            .filter_map(|e| match e.get_ref() {
                DeValue::String(s) => problem
                    .message
                    .find(&format!("\"{s}\""))
                    .map(|at| (at, e.span())),
                _ => None,
            })
            .min_by_key(|(at, _)| *at)
            .map_or(value.span(), |(_, span)| span),
        _ => value.span(),
    }
}
