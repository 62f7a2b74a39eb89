//! Noticing that the deployment's files changed: `throughline.toml`, the playbook and item files
//! its patterns match, and the mapping files its targets name.
//!
//! Polling is enough here: the files change a few times a day, and a poll of a few `stat`s
//! every couple of seconds costs nothing. A file that appears, disappears or changes size or
//! modification time is a change; the model is then loaded and validated again as a whole.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What the files looked like: every path with its modification time and size, or `None` when
/// it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<(PathBuf, Option<(SystemTime, u64)>)>);

fn stat(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The files the config names, found the way the loader finds them (patterns relative to the
/// config's folder). A config that does not parse is fingerprinted alone.
fn files(config: &Path) -> Vec<PathBuf> {
    let mut out = vec![config.to_path_buf()];
    let Ok(text) = std::fs::read_to_string(config) else {
        return out;
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return out;
    };
    let base = config.parent().unwrap_or(Path::new(""));
    let relative = |p: &str| -> PathBuf {
        if Path::new(p).is_absolute() || base.as_os_str().is_empty() {
            PathBuf::from(p)
        } else {
            base.join(p)
        }
    };
    let mut patterns: Vec<String> = Vec::new();
    for key in ["playbooks", "items"] {
        match table.get(key) {
            Some(toml::Value::String(s)) => patterns.push(s.clone()),
            Some(toml::Value::Array(a)) => {
                patterns.extend(a.iter().filter_map(|v| v.as_str().map(str::to_string)))
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for pattern in patterns {
        let full = if Path::new(&pattern).is_absolute() || base.as_os_str().is_empty() {
            pattern
        } else {
            format!(
                "{}/{}",
                glob::Pattern::escape(&base.to_string_lossy()),
                pattern
            )
        };
        if let Ok(paths) = glob::glob(&full) {
            found.extend(paths.flatten());
        }
    }
    if let Some(toml::Value::Array(targets)) = table.get("target") {
        for t in targets {
            if let Some(m) = t.get("mapping").and_then(toml::Value::as_str) {
                found.push(relative(m));
            }
        }
    }
    found.sort();
    found.dedup();
    out.extend(found);
    out
}

impl Fingerprint {
    pub fn of(config: &Path) -> Fingerprint {
        Fingerprint(
            files(config)
                .into_iter()
                .map(|p| {
                    let s = stat(&p);
                    (p, s)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn sees_edits_new_files_and_mappings() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("throughline.toml");
        write(
            &config,
            "playbooks = [\"playbooks/*.toml\"]\nitems = \"items/*.toml\"\n\n[[target]]\nid = \"w\"\nkind = \"excel\"\nmapping = \"mappings/excel.toml\"\n",
        );
        write(&dir.path().join("playbooks/content.toml"), "a");
        write(&dir.path().join("items/one.toml"), "b");
        write(&dir.path().join("mappings/excel.toml"), "c");
        let first = Fingerprint::of(&config);
        assert_eq!(first.0.len(), 4, "{first:?}");
        assert_eq!(Fingerprint::of(&config), first, "nothing changed");

        // Same size, same second: the length still differs when text is added.
        write(&dir.path().join("items/one.toml"), "bb");
        let second = Fingerprint::of(&config);
        assert_ne!(second, first);

        write(&dir.path().join("items/two.toml"), "b");
        let third = Fingerprint::of(&config);
        assert_ne!(third, second);

        std::fs::remove_file(dir.path().join("mappings/excel.toml")).unwrap();
        let fourth = Fingerprint::of(&config);
        assert_ne!(fourth, third);
        assert!(
            fourth
                .0
                .iter()
                .any(|(p, s)| p.ends_with("excel.toml") && s.is_none())
        );
    }

    #[test]
    fn a_broken_config_is_watched_alone() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("throughline.toml");
        write(&config, "playbooks = [\"p/*.toml\"\n");
        let f = Fingerprint::of(&config);
        assert_eq!(f.0.len(), 1);
        write(&config, "playbooks = [\"p/*.toml\"]\n");
        assert_ne!(Fingerprint::of(&config), f);
    }
}
