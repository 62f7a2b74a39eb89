//! Checking the imported files together with what is already in the output folder, and writing
//! them: all or nothing, never over an existing file without `--force`.

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
}

pub const CONFIG: &str = "throughline.toml";

/// Load `OUT/throughline.toml` if it exists; it must be valid, or the import cannot be checked.
pub fn load_existing(out: &Path) -> Result<Option<Existing>, ImportError> {
    let config = out.join(CONFIG);
    if !config.is_file() {
        return Ok(None);
    }
    let deployment = model::load(&config).map_err(ImportError::Deployment)?;
    let text = std::fs::read_to_string(&config).map_err(|e| ImportError::Io {
        path: config.clone(),
        source: e,
    })?;
    let table: toml::Table = text.parse().unwrap_or_default();
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
    Ok(Some(Existing {
        playbook_patterns: patterns("playbooks"),
        item_patterns: patterns("items"),
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
/// real folder is untouched whatever the outcome. Returns notes for the report.
pub fn check(
    out: &Path,
    files: &[OutFile],
    existing: Option<&Existing>,
) -> Result<Vec<String>, ImportError> {
    let temp = tempfile::Builder::new()
        .prefix("throughline-import-")
        .tempdir()
        .map_err(|e| ImportError::Io {
            path: std::env::temp_dir(),
            source: e,
        })?;
    let root = temp.path();
    let put = |rel: &Path, contents: &[u8]| -> Result<(), ImportError> {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ImportError::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
        std::fs::write(&path, contents).map_err(|e| ImportError::Io { path, source: e })
    };
    let replaced: Vec<PathBuf> = files.iter().map(|f| out.join(&f.path)).collect();
    let mut notes = Vec::new();
    match existing {
        None => {
            // The new throughline.toml picks up playbooks/*.toml and items/*.toml, old and new.
            for dir in ["playbooks", "items"] {
                for old in expand(out, &[format!("{dir}/*.toml")]) {
                    if !replaced.contains(&old) {
                        let contents = std::fs::read(&old).map_err(|e| ImportError::Io {
                            path: old.clone(),
                            source: e,
                        })?;
                        put(
                            &old.strip_prefix(out).unwrap_or(&old).to_path_buf(),
                            &contents,
                        )?;
                    }
                }
            }
            for f in files {
                put(&f.path, f.contents.as_bytes())?;
            }
        }
        Some(ex) => {
            let mut lists = [Vec::new(), Vec::new()];
            for (i, patterns) in [&ex.playbook_patterns, &ex.item_patterns]
                .into_iter()
                .enumerate()
            {
                for old in expand(out, patterns) {
                    if !replaced.contains(&old) {
                        let abs = std::path::absolute(&old).unwrap_or(old);
                        lists[i].push(glob::Pattern::escape(&abs.to_string_lossy()));
                    }
                }
            }
            for f in files {
                put(&f.path, f.contents.as_bytes())?;
                let is_playbook = f.path.starts_with("playbooks");
                let (patterns, key) = if is_playbook {
                    (&ex.playbook_patterns, "playbooks")
                } else {
                    (&ex.item_patterns, "items")
                };
                if !matches(out, patterns, &f.path) {
                    notes.push(format!(
                        "{} does not name {} in `{key}`; add \"{}/*.toml\" to that list so it is loaded",
                        ex.config.display(),
                        f.path.display(),
                        f.path.parent().map(|p| p.display().to_string()).unwrap_or_default()
                    ));
                }
                lists[usize::from(!is_playbook)]
                    .push(glob::Pattern::escape(&f.path.to_string_lossy()));
            }
            let list = |v: &[String]| {
                v.iter()
                    .map(|s| super::emit::quote(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let config = format!(
                "state = \"throughline.db\"\nplaybooks = [{}]\nitems = [{}]\n",
                list(&lists[0]),
                list(&lists[1])
            );
            put(Path::new(CONFIG), config.as_bytes())?;
        }
    }
    match model::load(&root.join(CONFIG)) {
        Ok(_) => Ok(notes),
        Err(diags) => {
            // Point at the files as they will be in the output folder, not at the copy.
            let mapped = diags
                .0
                .into_iter()
                .map(|d| Diagnostic {
                    file: match d.file.strip_prefix(root) {
                        Ok(rel) => out.join(rel),
                        Err(_) => d.file,
                    },
                    ..d
                })
                .collect();
            Err(ImportError::Invalid(Diagnostics(mapped)))
        }
    }
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
        let mut tmp = tempfile::Builder::new()
            .prefix(".throughline-import-")
            .tempfile_in(&dir)
            .map_err(|e| ImportError::Write {
                path: target.clone(),
                source: e,
            })?;
        tmp.write_all(f.contents.as_bytes())
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
