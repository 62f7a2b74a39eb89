//! Reading a deployment from disk: `throughline.toml`, then every playbook and item file its
//! patterns match, each parsed with spans, then validated as a whole (`validate.rs`).

use std::io;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::DeTable;

use super::fields::{At, FileId, Files, Problems, parse_date_text};
use super::raw;
use super::validate::{self, Input};
use super::{Deployment, Diagnostic, Diagnostics, Source};

/// Load `throughline.toml` and every playbook and item file it names; all problems at once.
pub fn load(config: &Path) -> Result<Deployment, Diagnostics> {
    let text = read_text(config).map_err(|err| unreadable_config(config, &err))?;
    let base = config.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut files = Files::default();
    let mut problems = Problems::default();

    let config_id = files.add(Source::new(config, text));
    let (raw_config, config_broken) = {
        let (doc, broken) = parse(&files, config_id, &mut problems);
        (
            read_unless_broken(config_id, &doc, broken, raw::read_config, &mut problems),
            broken,
        )
    };

    let mut claimed: Vec<(PathBuf, &'static str)> = Vec::new();
    let (playbook_paths, playbooks_complete) = expand(
        &base,
        config,
        raw_config.playbooks.as_ref(),
        "playbooks",
        &mut claimed,
        &mut problems,
    );
    let (item_paths, items_complete) = expand(
        &base,
        config,
        raw_config.items.as_ref(),
        "items",
        &mut claimed,
        &mut problems,
    );
    let playbook_ids = add_files(&mut files, playbook_paths, &mut problems);
    let item_ids = add_files(&mut files, item_paths, &mut problems);

    // A playbook that was meant but not found would make every reference to it look unknown.
    let (playbooks, broken) = read_all(&files, playbook_ids, raw::read_playbook, &mut problems);
    let playbooks_broken = broken || !playbooks_complete || config_broken;
    let (item_files, broken) = read_all(&files, item_ids, raw::read_items, &mut problems);
    let items_broken = broken || !items_complete || config_broken;

    let input = Input {
        files: &files,
        config_path: config.to_path_buf(),
        base,
        config: raw_config,
        config_broken,
        playbooks,
        playbooks_broken,
        item_files,
        items_broken,
    };
    let deployment = validate::validate(input, &mut problems);
    super::mapping::check(&deployment, &mut files, &mut problems);
    if problems.is_empty() {
        Ok(deployment)
    } else {
        Err(problems.into_diagnostics(&files))
    }
}

/// The problem of a `throughline.toml` that cannot be read, with what to do about it.
fn unreadable_config(config: &Path, err: &io::Error) -> Diagnostics {
    let hint = if err.kind() == io::ErrorKind::NotFound {
        "; run 'throughline init' to create one, or point --config at it"
    } else {
        ""
    };
    Diagnostics(vec![Diagnostic {
        file: config.to_path_buf(),
        line: 1,
        col: 1,
        message: format!("cannot read {}: {}{hint}", config.display(), explain(err)),
    }])
}

/// Parse and read each file; whether any had syntax errors (those are not read).
fn read_all<T>(
    files: &Files,
    ids: Vec<FileId>,
    read: fn(FileId, &Spanned<DeTable<'_>>, &mut Problems) -> T,
    problems: &mut Problems,
) -> (Vec<T>, bool) {
    let mut out = Vec::new();
    let mut any_broken = false;
    for id in ids {
        let (doc, broken) = parse(files, id, problems);
        any_broken |= broken;
        if !broken {
            out.push(read(id, &doc, problems));
        }
    }
    (out, any_broken)
}

/// A file with syntax errors is still read, for the patterns it names, but its own problems
/// would only echo the syntax error, so they are dropped.
fn read_unless_broken<T>(
    file: FileId,
    doc: &Spanned<DeTable<'_>>,
    broken: bool,
    read: impl Fn(FileId, &Spanned<DeTable<'_>>, &mut Problems) -> T,
    problems: &mut Problems,
) -> T {
    if broken {
        read(file, doc, &mut Problems::default())
    } else {
        read(file, doc, problems)
    }
}

fn read_text(path: &Path) -> io::Result<String> {
    if path.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a folder, not a file",
        ));
    }
    std::fs::read_to_string(path)
}

pub(super) fn explain(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "the file does not exist".into(),
        io::ErrorKind::PermissionDenied => "permission denied; check the file's permissions".into(),
        io::ErrorKind::InvalidData => "it is not UTF-8 text; save it as UTF-8".into(),
        io::ErrorKind::IsADirectory => "it is a folder, not a file".into(),
        _ => err.to_string(),
    }
}

/// Parse one file, reporting its TOML errors. A duplicate key or an impossible date leaves the
/// rest of the file readable; any other syntax error makes everything after it guesswork, so
/// only the first is reported and the file counts as broken.
pub(super) fn parse<'f>(
    files: &'f Files,
    file: FileId,
    problems: &mut Problems,
) -> (Spanned<DeTable<'f>>, bool) {
    let source = files.get(file);
    let (doc, mut errors) = DeTable::parse_recoverable(&source.text);
    errors.sort_by_key(|e| e.span().map(|s| s.start).unwrap_or(0));
    let mut broken = false;
    // After a table defined twice, its keys are duplicates too: one message is enough.
    let mut repeated_table_ends = 0;
    for error in errors {
        let span = error.span().unwrap_or(0..0);
        let message = error.message();
        let found = source.text.get(span.clone()).unwrap_or("");
        if message.starts_with("duplicate key") {
            if span.start < repeated_table_ends {
                continue;
            }
            let line_start = source.text[..span.start].rfind('\n').map_or(0, |i| i + 1);
            if source.text[line_start..].starts_with('[') {
                let line_end = source.text[span.start..]
                    .find('\n')
                    .map_or(source.text.len(), |i| span.start + i);
                repeated_table_ends = source.text[line_end..]
                    .find("\n[")
                    .map_or(source.text.len(), |i| line_end + i);
            }
            problems.add(
                file,
                span,
                format!(
                    "`{found}` is already defined above in this file; remove or rename one of them"
                ),
            );
        } else if message.starts_with("invalid date") || message.starts_with("invalid time") {
            let date_part = found.get(..10).unwrap_or(found);
            let text = match parse_date_text(date_part) {
                Err(mine) if date_part.len() == 10 => mine,
                _ => format!("`{found}` is not a valid date: {message}"),
            };
            problems.add(file, span, text);
        } else {
            let token = bare_token(&source.text, span.start);
            problems.add(file, span, syntax_message(message, token));
            broken = true;
            break;
        }
    }
    (doc, broken)
}

/// The parser's words, with a plain explanation for the mistakes people make most: text
/// without quotes, and keys in Hebrew (or any non-Latin script) without quotes.
fn syntax_message(message: &str, token: &str) -> String {
    const UNQUOTED_VALUE: [&str; 6] = [
        "string values must be quoted",
        "invalid boolean",
        "invalid integer",
        "invalid float",
        "invalid value",
        "invalid date-time",
    ];
    let tail = "Fix it and run again to check the rest of this file";
    if message.starts_with("invalid unquoted key") && !token.is_ascii() {
        return format!(
            "`{token}` must be in quotes: a key in letters other than a-z is written in quotes, like [roles.\"{token}\"] or {{ \"{token}\" = ... }}. {tail}"
        );
    }
    if !token.is_empty() && UNQUOTED_VALUE.iter().any(|m| message.starts_with(m)) {
        let looks_like_date = token.contains('-')
            && token
                .chars()
                .all(|c| c.is_ascii_digit() || "-:T".contains(c));
        return if looks_like_date {
            format!(
                "`{token}` is not a valid date; write dates as year-month-day, like 2026-12-10. {tail}"
            )
        } else {
            format!(
                "`{token}` is not a valid value: text must be in quotes, like \"{token}\". {tail}"
            )
        };
    }
    format!("this is not valid TOML: {message}. {tail}")
}

/// The unquoted word starting at `start`: up to a space, a bracket, a quote, `=`, `,` or `#`.
fn bare_token(text: &str, start: usize) -> &str {
    let rest = text.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_whitespace() || "[]{}=,#\"'".contains(c))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The files the `key` patterns match, relative to the config's folder, sorted within each
/// pattern, each once; and whether every pattern was usable and matched something. A pattern
/// that matches nothing is a problem: it is almost always a typo.
fn expand(
    base: &Path,
    config: &Path,
    patterns: Option<&At<Vec<At<String>>>>,
    key: &'static str,
    claimed: &mut Vec<(PathBuf, &'static str)>,
    problems: &mut Problems,
) -> (Vec<PathBuf>, bool) {
    let mut out = Vec::new();
    let mut complete = true;
    // Without `playbooks` nothing can be complete; without `items` there are simply none.
    let Some(patterns) = patterns else {
        return (out, key == "items");
    };
    for pattern in &patterns.value {
        let full = if Path::new(&pattern.value).is_absolute() || base.as_os_str().is_empty() {
            pattern.value.clone()
        } else {
            format!(
                "{}/{}",
                glob::Pattern::escape(&base.to_string_lossy()),
                pattern.value
            )
        };
        let Some(mut matched) = matching_files(&full, pattern, config, problems) else {
            complete = false;
            continue;
        };
        if matched.is_empty() {
            complete = false;
            let folder = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base
            };
            problems.at(
                pattern,
                format!(
                    "no file matches `{}` (looked in {}); check the pattern and the folder names, or remove it from `{key}`",
                    pattern.value,
                    folder.display()
                ),
            );
        }
        matched.sort();
        for path in matched {
            match claimed.iter().find(|(p, _)| same_file(p, &path)) {
                Some((_, other)) if *other != key => problems.at(
                    pattern,
                    format!(
                        "{} is matched by both `{other}` and `{key}`; a file is either a playbook or an item file, so narrow one of the patterns",
                        path.display()
                    ),
                ),
                Some(_) => {}
                None => {
                    claimed.push((path.clone(), key));
                    out.push(path);
                }
            }
        }
    }
    (out, complete)
}

/// The files `full` (a pattern under the base folder) matches, `throughline.toml` aside; `None`
/// when it is no valid pattern. Each problem is placed on `pattern`.
fn matching_files(
    full: &str,
    pattern: &At<String>,
    config: &Path,
    problems: &mut Problems,
) -> Option<Vec<PathBuf>> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let paths = match glob::glob_with(full, options) {
        Ok(paths) => paths,
        Err(err) => {
            problems.at(
                pattern,
                format!(
                    "`{}` is not a valid file pattern: {}",
                    pattern.value, err.msg
                ),
            );
            return None;
        }
    };
    let mut matched = Vec::new();
    for entry in paths {
        match entry {
            Ok(path) if path.is_file() && !same_file(&path, config) => matched.push(path),
            Ok(_) => {}
            Err(err) => problems.at(
                pattern,
                format!(
                    "cannot look into {} for `{}`: {}",
                    err.path().display(),
                    pattern.value,
                    explain(err.error())
                ),
            ),
        }
    }
    Some(matched)
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

fn add_files(files: &mut Files, paths: Vec<PathBuf>, problems: &mut Problems) -> Vec<FileId> {
    let mut ids = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => ids.push(files.add(Source::new(path, text))),
            Err(err) => {
                let id = files.add(Source::new(path, String::new()));
                problems.add(
                    id,
                    0..0,
                    format!("cannot read this file: {}", explain(&err)),
                );
            }
        }
    }
    ids
}
