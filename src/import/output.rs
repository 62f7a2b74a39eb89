//! Checking the imported files together with what is already in the output folder, and writing
//! them: all or nothing, never over an existing file without `--force`.
//!
//! The check ([`check`]) loads the exact text that will be written, with the folder's other
//! files, through the deployment loader (`model::load`, what `throughline validate` runs), from
//! a temporary copy. A large items file is loaded in parts of `CHECK_ITEMS` items, on up to
//! `CHECK_THREADS` threads at once; the ids are then compared across the parts, and every
//! problem keeps its line in the whole file (the `check_tests` below prove both).

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::ImportError;
use crate::model::{self, Deployment, Diagnostic, Diagnostics};

/// A file the import writes, relative to the output folder.
#[derive(Debug, Clone)]
pub struct OutFile {
    pub path: PathBuf,
    pub contents: String,
    /// For the report: "41 items", "starter playbook".
    pub what: String,
}

/// The deployment already in the output folder, if there is one.
#[derive(Debug)]
pub struct Existing {
    pub config: PathBuf,
    pub deployment: Deployment,
    playbook_patterns: Vec<String>,
    item_patterns: Vec<String>,
    /// The state file its `state` names; `None` for a database URL.
    pub state: Option<PathBuf>,
}

pub const CONFIG: &str = "throughline.toml";

/// Load the deployment in `OUT` if there is one. Its file patterns may match nothing yet (a
/// playbook-only folder whose `items` pattern waits for this import), so it is loaded from the
/// files its patterns match today, not through its own `throughline.toml`.
pub fn load_existing(out: &Path) -> Result<Option<Existing>, ImportError> {
    let config = out.join(CONFIG);
    if !config.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&config).map_err(|e| ImportError::Io {
        path: config.clone(),
        source: e,
    })?;
    let Ok(table) = text.parse::<toml::Table>() else {
        // Let the loader explain the syntax error with its place.
        return Err(ImportError::Deployment(match model::load(&config) {
            Err(diags) => diags,
            Ok(_) => Diagnostics::default(),
        }));
    };
    let patterns = |key: &str| -> Vec<String> {
        table
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (playbook_patterns, item_patterns) = (patterns("playbooks"), patterns("items"));
    let state = match table.get("state").and_then(|v| v.as_str()) {
        Some(s) if s.contains("://") => None,
        Some(s) => Some(out.join(s)),
        None => Some(out.join("throughline.db")),
    };
    // Its processes are what the import needs; its items are checked with the imported files
    // (a large items file the import replaces would cost hundreds of megabytes to load here).
    let deployment =
        load_combined(out, &playbook_patterns, &[], &[]).map_err(ImportError::Deployment)?;
    Ok(Some(Existing {
        state,
        playbook_patterns,
        item_patterns,
        config,
        deployment,
    }))
}

const GLOB: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: true,
};

/// A pattern from `throughline.toml`, relative to its folder as the loader reads it.
fn full_pattern(out: &Path, pattern: &str) -> String {
    if Path::new(pattern).is_absolute() {
        pattern.to_string()
    } else {
        format!(
            "{}/{pattern}",
            glob::Pattern::escape(&out.to_string_lossy())
        )
    }
}

fn matches(out: &Path, patterns: &[String], rel: &Path) -> bool {
    patterns.iter().any(|p| {
        glob::Pattern::new(&full_pattern(out, p))
            .is_ok_and(|pat| pat.matches_path_with(&out.join(rel), GLOB))
    })
}

fn expand(out: &Path, patterns: &[String]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for p in patterns {
        if let Ok(paths) = glob::glob_with(&full_pattern(out, p), GLOB) {
            files.extend(paths.flatten().filter(|p| p.is_file()));
        }
    }
    files.sort();
    files.dedup();
    files
}

/// Load the deployment the folder would hold after the import, from a temporary copy, so the
/// real folder is untouched whatever the outcome.
pub fn check(
    out: &Path,
    files: &[OutFile],
    existing: Option<&Existing>,
) -> Result<(), ImportError> {
    let (playbooks, items) = match existing {
        // The throughline.toml this import writes: every playbook and item file in the folder.
        None => (
            vec!["playbooks/*.toml".to_string()],
            vec!["items/*.toml".to_string()],
        ),
        Some(ex) => {
            for f in files {
                let (patterns, key) = if f.path.starts_with("playbooks") {
                    (&ex.playbook_patterns, "playbooks")
                } else {
                    (&ex.item_patterns, "items")
                };
                if !matches(out, patterns, &f.path) {
                    let dir = f
                        .path
                        .parent()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    return Err(ImportError::NotLoaded {
                        config: ex.config.clone(),
                        file: f.path.clone(),
                        key,
                        pattern: format!("{dir}/*.toml"),
                    });
                }
            }
            (ex.playbook_patterns.clone(), ex.item_patterns.clone())
        }
    };
    // A large items file is loaded in parts: the loader holds a file's whole parse tree, which
    // for 100,000 items is several hundred megabytes.
    let big = files.iter().enumerate().find_map(|(i, f)| {
        let parts = f
            .path
            .starts_with("items")
            .then(|| parts(&f.contents, CHECK_ITEMS))?;
        (parts.len() > 1).then_some((i, parts))
    });
    let Some((big, parts)) = big else {
        return load_combined(out, &playbooks, &items, files)
            .map(|_| ())
            .map_err(ImportError::Invalid);
    };
    let file = &files[big];
    let others: Vec<OutFile> = files
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != big)
        .map(|(_, f)| f.clone())
        .collect();
    // The parts are loaded side by side, one per core (at most CHECK_THREADS, which bounds the
    // memory); each also reads its ids, for the comparison across parts below.
    let results = in_parallel(&parts, |(_, text)| {
        let mut part_files = others.clone();
        part_files.push(OutFile {
            path: file.path.clone(),
            contents: text.to_string(),
            what: String::new(),
        });
        load_combined(out, &playbooks, &items, &part_files).map(|_| item_ids(text))
    });
    merge_parts(&out.join(&file.path), &parts, results)
}

/// A part's item ids, each with its line (0-based) in the part.
type PartIds<'a> = Vec<(usize, Cow<'a, str>)>;

/// The parts' results as one: each part's problems at their lines in the whole file, and an id
/// that a later part repeats.
fn merge_parts<'a>(
    real: &Path,
    parts: &[(usize, &str)],
    results: Vec<Result<PartIds<'a>, Diagnostics>>,
) -> Result<(), ImportError> {
    let total = results.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum();
    let mut seen: HashMap<Cow<'a, str>, usize> = HashMap::with_capacity(total);
    let mut problems = Vec::new();
    for ((first_line, _), result) in parts.iter().zip(results) {
        match result {
            Ok(ids) => {
                // Within a part the loader compares ids; across parts, here.
                for (line, id) in ids {
                    match seen.entry(id) {
                        Entry::Occupied(first) => problems.push(Diagnostic {
                            file: real.to_path_buf(),
                            line: first_line + line + 1,
                            col: 1,
                            message: format!(
                                "the item id `{}` is used twice (first on line {})",
                                first.key(),
                                first.get() + 1
                            ),
                        }),
                        Entry::Vacant(place) => {
                            place.insert(first_line + line);
                        }
                    }
                }
            }
            Err(diags) => {
                problems.extend(diags.0.into_iter().map(|mut d| {
                    if d.file == real {
                        d.line += first_line;
                    }
                    d
                }));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
        problems.dedup();
        Err(ImportError::Invalid(Diagnostics(problems)))
    }
}

/// Items loaded at once when an items file is checked.
const CHECK_ITEMS: usize = 5_000;

/// The `id = "…"` of each `[[item]]` (the line right after it, as the import writes them),
/// with its line (0-based) in `text`. Called on a part the loader accepted, so each value is a
/// valid TOML string: one without a backslash is its text between the quotes; any other is
/// read by the TOML parser.
fn item_ids(text: &str) -> PartIds<'_> {
    let mut out = Vec::new();
    let mut line = 0;
    let mut counted = 0;
    for at in item_starts(text) {
        line += newlines(&text[counted..at]);
        counted = at;
        let next = &text[at + ITEM.len()..];
        let Some(value) = next
            .split('\n')
            .next()
            .and_then(|l| l.strip_prefix("id = "))
        else {
            continue;
        };
        let plain = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|v| !v.contains(['\\', '"']));
        let id = match plain {
            Some(v) => Cow::Borrowed(v),
            None => {
                let Some(id) = toml::from_str::<toml::Table>(&format!("v = {value}"))
                    .ok()
                    .and_then(|t| t["v"].as_str().map(str::to_string))
                else {
                    continue;
                };
                Cow::Owned(id)
            }
        };
        out.push((line + 1, id));
    }
    out
}

/// The `[[item]]` line as the import writes it.
const ITEM: &str = "[[item]]\n";

/// Where each `[[item]]` line starts (a line of its own, as the import writes it).
fn item_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.match_indices(ITEM)
        .map(|(at, _)| at)
        .filter(move |&at| at == 0 || text.as_bytes()[at - 1] == b'\n')
}

fn newlines(text: &str) -> usize {
    text.bytes().filter(|b| *b == b'\n').count()
}

/// Run `work` on every part, on up to [`CHECK_THREADS`] threads; the results in the parts'
/// order.
fn in_parallel<P: Sync, R: Send>(parts: &[P], work: impl Fn(&P) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, CHECK_THREADS)
        .min(parts.len());
    if threads <= 1 {
        return parts.iter().map(work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(part) = parts.get(i) else {
                            return mine;
                        };
                        mine.push((i, work(part)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The most parts of an items file loaded at once: each holds its parse tree in memory.
const CHECK_THREADS: usize = 4;

/// An items file cut before every `per`-th `[[item]]` line: each part's first line (0-based)
/// in the whole file, and its text, so that a problem's place in a part maps back.
fn parts(text: &str, per: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let (mut start, mut start_line) = (0usize, 0usize);
    for (n, at) in item_starts(text).enumerate() {
        if n > 0 && n % per == 0 {
            out.push((start_line, &text[start..at]));
            start_line += newlines(&text[start..at]);
            start = at;
        }
    }
    out.push((start_line, &text[start..]));
    out
}

/// Load the files `patterns` match in `out`, with `files` added (replacing any at the same
/// place), through a temporary `throughline.toml` that names each file. Problems point at the
/// files' places in `out`.
fn load_combined(
    out: &Path,
    playbook_patterns: &[String],
    item_patterns: &[String],
    files: &[OutFile],
) -> Result<Deployment, Diagnostics> {
    let io_problem = |path: &Path, e: std::io::Error| {
        Diagnostics(vec![Diagnostic {
            file: path.to_path_buf(),
            line: 1,
            col: 1,
            message: format!("could not prepare the check of the imported files: {e}"),
        }])
    };
    let temp = tempfile::Builder::new()
        .prefix("throughline-import-")
        .tempdir()
        .map_err(|e| io_problem(&std::env::temp_dir(), e))?;
    let root = temp.path();
    let replaced: Vec<PathBuf> = files.iter().map(|f| out.join(&f.path)).collect();
    let mut lists: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for (i, patterns) in [playbook_patterns, item_patterns].into_iter().enumerate() {
        for old in expand(out, patterns) {
            if !replaced.contains(&old) {
                let abs = std::path::absolute(&old).unwrap_or(old);
                lists[i].push(glob::Pattern::escape(&abs.to_string_lossy()));
            }
        }
    }
    for f in files {
        if f.path == Path::new(CONFIG) {
            continue;
        }
        let path = root.join(&f.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_problem(dir, e))?;
        }
        std::fs::write(&path, &f.contents).map_err(|e| io_problem(&path, e))?;
        let list = usize::from(!f.path.starts_with("playbooks"));
        lists[list].push(glob::Pattern::escape(&f.path.to_string_lossy()));
    }
    let quoted = |v: &[String]| {
        v.iter()
            .map(|s| super::emit::quote(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut config = format!(
        "state = \"throughline.db\"\nplaybooks = [{}]\n",
        quoted(&lists[0])
    );
    if !lists[1].is_empty() {
        config.push_str(&format!("items = [{}]\n", quoted(&lists[1])));
    }
    // The files are checked, not the deployment's size: how many tasks a playbook may make is
    // the deployment's own `[limits]`, which `validate` applies to the imported files.
    config.push_str(&format!("\n[limits]\ntasks_per_playbook = {}\n", u32::MAX));
    let config_path = root.join(CONFIG);
    std::fs::write(&config_path, config).map_err(|e| io_problem(&config_path, e))?;
    model::load(&config_path).map_err(|diags| {
        // Point at the files as they will be in the output folder, not at the copy.
        let mapped = diags
            .0
            .into_iter()
            .map(|d| Diagnostic {
                file: match d.file.strip_prefix(root) {
                    Ok(rel) if rel == Path::new(CONFIG) => out.join(CONFIG),
                    Ok(rel) => out.join(rel),
                    Err(_) => d.file,
                },
                ..d
            })
            .collect();
        Diagnostics(mapped)
    })
}

/// Files that exist already.
pub fn conflicts(out: &Path, files: &[OutFile]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|f| out.join(&f.path))
        .filter(|p| p.exists())
        .collect()
}

/// Write every file: first each to a temporary file beside its place (so a full disk or a
/// permission problem stops everything before any file changes), then move them into place.
/// A new file gets the mode the umask gives (0644 under the usual 022, so a service user can
/// read it); a replaced one keeps its own.
pub fn write(out: &Path, files: &[OutFile], force: bool) -> Result<Vec<PathBuf>, ImportError> {
    let existing = conflicts(out, files);
    if !force && !existing.is_empty() {
        return Err(ImportError::Conflicts(existing));
    }
    let mut staged = Vec::new();
    for f in files {
        let target = out.join(&f.path);
        let dir = target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| out.to_path_buf());
        std::fs::create_dir_all(&dir).map_err(|e| ImportError::Write {
            path: dir.clone(),
            source: e,
        })?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".throughline-import-");
        // Read and write for all, narrowed by the umask (tempfile's default, 0600, would hide
        // the files from everyone else, e.g. the service user that syncs them).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let mut tmp = builder.tempfile_in(&dir).map_err(|e| ImportError::Write {
            path: target.clone(),
            source: e,
        })?;
        // A replaced file keeps the mode its owner gave it.
        let keep = match std::fs::metadata(&target) {
            Ok(meta) => tmp.as_file().set_permissions(meta.permissions()),
            Err(_) => Ok(()),
        };
        keep.and_then(|_| tmp.write_all(f.contents.as_bytes()))
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(|e| ImportError::Write {
                path: target.clone(),
                source: e,
            })?;
        staged.push((tmp, target));
    }
    let mut written = Vec::new();
    for (tmp, target) in staged {
        tmp.persist(&target).map_err(|e| ImportError::Write {
            path: target.clone(),
            source: e.error,
        })?;
        written.push(target);
    }
    Ok(written)
}

#[cfg(test)]
mod part_tests {
    use super::*;

    #[test]
    fn an_items_file_is_cut_at_item_boundaries_with_its_lines() {
        let text =
            "# head\n\n[[item]]\nid = \"a\"\n\n[[item]]\nid = \"b\"\n\n[[item]]\nid = \"c\"\n";
        let p = parts(text, 2);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0],
            (
                0,
                "# head\n\n[[item]]\nid = \"a\"\n\n[[item]]\nid = \"b\"\n\n"
            )
        );
        assert_eq!(p[1], (8, "[[item]]\nid = \"c\"\n"));
        assert_eq!(p.iter().map(|(_, t)| *t).collect::<String>(), text);
        assert_eq!(
            item_ids(text),
            [(3, "a".into()), (6, "b".into()), (9, "c".into())]
        );
        // A value with escapes is read as TOML reads it.
        assert_eq!(
            item_ids("[[item]]\nid = \"a\\\"b\\u00e9\"\n"),
            [(1, "a\"bé".into())]
        );
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    const PLAYBOOK: &str = "[process]\nid = \"content\"\nname = \"Content\"\ntimezone = \"UTC\"\n\
        workweek = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n\n[roles.owner]\n\
        name = \"Owner\"\npeople = [\"owner@example.com\"]\n\n[[stage]]\nid = \"publish\"\n\
        name = \"Publish\"\nowner = \"owner\"\ndays = 0\n";

    /// An items file of more than one part, with `bad` changing the text of item `n` (0-based).
    fn files(bad: impl Fn(usize, &str) -> String) -> Vec<OutFile> {
        let mut items = String::new();
        for n in 0..CHECK_ITEMS + 5 {
            let item = format!(
                "[[item]]\nid = \"post-{n}\"\nprocess = \"content\"\ntitle = \"Post {n}\"\n\
                 golive = 2026-03-04\n\n"
            );
            items.push_str(&bad(n, &item));
        }
        vec![
            OutFile {
                path: "playbooks/content.toml".into(),
                contents: PLAYBOOK.into(),
                what: "a playbook".into(),
            },
            OutFile {
                path: "items/posts.toml".into(),
                contents: items,
                what: "items".into(),
            },
        ]
    }

    /// The 1-based line of item `n`'s `[[item]]` in [`files`].
    fn line_of(n: usize) -> usize {
        n * 6 + 1
    }

    fn problems(files: &[OutFile]) -> Vec<String> {
        let out = tempfile::tempdir().unwrap();
        match check(out.path(), files, None) {
            Ok(()) => Vec::new(),
            Err(ImportError::Invalid(d)) => {
                d.0.iter()
                    .map(|d| format!("{}:{}", d.line, d.message))
                    .collect()
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_large_file_that_loads_passes() {
        assert_eq!(
            problems(&files(|_, item| item.to_string())),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_id_repeated_in_a_later_part_is_caught_at_its_line() {
        let last = CHECK_ITEMS + 3;
        let files = files(|n, item| {
            if n == last {
                item.replace(&format!("\"post-{n}\""), "\"post-2\"")
            } else {
                item.to_string()
            }
        });
        assert_eq!(
            problems(&files),
            [format!(
                "{}:the item id `post-2` is used twice (first on line {})",
                line_of(last) + 1,
                line_of(2) + 1
            )]
        );
    }

    #[test]
    fn a_bad_item_in_a_later_part_is_caught_at_its_line_in_the_whole_file() {
        let bad = CHECK_ITEMS + 2;
        let files = files(|n, item| {
            if n == bad {
                item.replace("process = \"content\"", "process = \"nowhere\"")
            } else {
                item.to_string()
            }
        });
        let found = problems(&files);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(&format!("{}:", line_of(bad) + 2)),
            "{found:?} (the process line of item {bad} is {})",
            line_of(bad) + 2
        );
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// This process's umask, as the kernel reports it.
    fn umask() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
    }

    fn file(path: &str) -> OutFile {
        OutFile {
            path: PathBuf::from(path),
            contents: "# imported\n".into(),
            what: "a file".into(),
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_get_the_mode_the_umask_gives() {
        let out = tempfile::tempdir().unwrap();
        let written = write(
            out.path(),
            &[file("throughline.toml"), file("items/posts.toml")],
            false,
        )
        .unwrap();
        assert_eq!(written.len(), 2);
        for path in written {
            assert_eq!(
                mode(&path),
                0o666 & !umask(),
                "{} (umask {:03o})",
                path.display(),
                umask()
            );
        }
    }

    #[test]
    fn a_replaced_file_keeps_its_mode() {
        let out = tempfile::tempdir().unwrap();
        let path = out.path().join("throughline.toml");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
        write(out.path(), &[file("throughline.toml")], true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# imported\n");
        assert_eq!(mode(&path), 0o664);
    }
}
