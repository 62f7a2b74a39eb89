//! The workbook file on disk: reading a snapshot, noticing that Excel or LibreOffice has it
//! open, and replacing it atomically with a backup of the previous version.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use throughline_connector::ConnectorError;

use throughline_grid::fnv1a;

/// The file's bytes as read once, with what identifies this version of it.
pub(crate) struct Snapshot {
    pub bytes: Vec<u8>,
    pub hash: u64,
    pub modified: Option<SystemTime>,
}

/// `None` when there is no workbook yet (no file, or an empty one): the first sync makes it.
pub(crate) fn load(path: &Path) -> Result<Option<Snapshot>, ConnectorError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "read", &e)),
    };
    if bytes.is_empty() {
        // An empty file someone created as a placeholder: nothing in it yet.
        return Ok(None);
    }
    let modified = fs::metadata(path).and_then(|m| m.modified()).ok();
    Ok(Some(Snapshot {
        hash: fnv1a(&bytes),
        bytes,
        modified,
    }))
}

/// The lock file Excel (`~$name.xlsx`) or LibreOffice (`.~lock.name.xlsx#`) keeps next to a
/// workbook while someone has it open.
pub(crate) fn lock_file(path: &Path) -> Option<PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name()?.to_string_lossy().into_owned();
    let mut candidates = vec![
        dir.join(format!(".~lock.{name}#")),
        dir.join(format!("~${name}")),
    ];
    // Excel shortens long names: it replaces the first two characters.
    if name.chars().count() > 2 {
        candidates.push(dir.join(format!("~${}", name.chars().skip(2).collect::<String>())));
    }
    candidates.into_iter().find(|p| p.exists())
}

/// `<name>.bak.xlsx` next to the workbook: the version before throughline's last write.
pub fn backup_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "xlsx".into());
    path.with_file_name(format!("{stem}.bak.{ext}"))
}

/// Replace the workbook with `bytes`: written to a temporary file in the same folder, flushed
/// to disk, then renamed over the old one, so a crash leaves either the old or the new
/// workbook, never half of one. The old content, when there was one, becomes the backup.
pub(crate) fn replace(
    path: &Path,
    bytes: &[u8],
    previous: Option<&[u8]>,
) -> Result<(), ConnectorError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() && !make_folder(dir) {
        return Err(ConnectorError::Fatal {
            message: format!(
                "cannot write {}: the folder {} does not exist; create it or fix `path` in the target",
                path.display(),
                dir.display()
            ),
        });
    }
    refuse_read_only(path)?;
    remove_stale_temps(dir, path);
    if let Some(previous) = previous {
        let backup = backup_path(path);
        let tmp = write_temp(dir, path, previous)?;
        rename(&tmp, &backup)?;
    }
    let tmp = write_temp(dir, path, bytes)?;
    if let Ok(meta) = fs::metadata(path) {
        // Keep the permissions people gave the workbook (a shared folder, read for the team).
        let _ = fs::set_permissions(&tmp, meta.permissions());
    }
    rename(&tmp, path)?;
    sync_dir(dir);
    Ok(())
}

/// A workbook nobody may write is someone's decision (a final version, a shared copy): the
/// rename below would replace it anyway (and root writes anything), so its mode bits are
/// checked rather than left to a write to fail.
fn refuse_read_only(path: &Path) -> Result<(), ConnectorError> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.permissions().readonly() => Err(ConnectorError::Fatal {
            message: format!(
                "{} is read-only, so throughline leaves it as it is and writes nothing to it; \
                 make it writable (`chmod u+w`, or untick \"Read-only\" in its properties) for \
                 throughline to keep it in step, or remove the target from throughline.toml",
                path.display()
            ),
        }),
        _ => Ok(()),
    }
}

/// Make a workbook's missing folder when its own parent exists (`path = "plans/q1.xlsx"` in a
/// fresh deployment). A deeper gap is more likely a typo in `path`, so it is left as an error.
fn make_folder(dir: &Path) -> bool {
    let parent_exists = dir
        .parent()
        .is_some_and(|p| p.as_os_str().is_empty() || p.is_dir());
    parent_exists && fs::create_dir(dir).is_ok()
}

/// Temporary files an interrupted write left behind (a crash between writing and renaming).
/// Only old ones: a younger one may belong to a write in progress.
fn remove_stale_temps(dir: &Path, path: &Path) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.throughline-");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !(file.starts_with(&prefix) && file.ends_with(".tmp")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 3600);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn write_temp(dir: &Path, path: &Path, bytes: &[u8]) -> Result<PathBuf, ConnectorError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    loop {
        let tmp = dir.join(format!(
            ".{name}.throughline-{}-{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(path, "write", &e)),
        };
        let written = file.write_all(bytes).and_then(|_| file.sync_all());
        if let Err(e) = written {
            drop(file);
            let _ = fs::remove_file(&tmp);
            return Err(io_error(path, "write", &e));
        }
        return Ok(tmp);
    }
}

fn rename(tmp: &Path, to: &Path) -> Result<(), ConnectorError> {
    fs::rename(tmp, to).map_err(|e| {
        let _ = fs::remove_file(tmp);
        io_error(to, "replace", &e)
    })
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    // The rename is only durable once the folder itself is on disk.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) {
    let _ = File::open;
}

/// A plain sentence about a failed file operation, saying what to do.
pub(crate) fn io_error(path: &Path, doing: &str, e: &io::Error) -> ConnectorError {
    let file = path.display();
    // Windows reports a workbook open in Excel as a sharing or lock violation.
    let sharing = matches!(e.raw_os_error(), Some(32 | 33)) && cfg!(windows);
    if sharing {
        return ConnectorError::Retryable {
            message: format!(
                "{file} is open in another program; close it in Excel and throughline will write it on the next sync"
            ),
        };
    }
    match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            ConnectorError::Fatal {
                message: format!(
                    "cannot {doing} {file}: permission denied. If the workbook is open in Excel, close it; otherwise make the file and its folder writable for the account throughline runs as"
                ),
            }
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => ConnectorError::Fatal {
            message: format!(
                "cannot {doing} {file}: the disk is full; free some space and sync again"
            ),
        },
        _ => ConnectorError::Retryable {
            message: format!("cannot {doing} {file}: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_keeps_the_previous_version_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.xlsx");
        replace(&path, b"one", None).unwrap();
        assert!(
            !backup_path(&path).exists(),
            "nothing to back up the first time"
        );
        replace(&path, b"two", Some(b"one")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read(backup_path(&path)).unwrap(), b"one");
        assert_eq!(backup_path(&path).file_name().unwrap(), "plan.bak.xlsx");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names.len(),
            2,
            "only the workbook and its backup: {names:?}"
        );
    }

    #[test]
    fn lock_files_of_excel_and_libreoffice_are_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.xlsx");
        assert_eq!(lock_file(&path), None);
        fs::write(dir.path().join(".~lock.plan.xlsx#"), "x").unwrap();
        assert!(lock_file(&path).is_some());
        fs::remove_file(dir.path().join(".~lock.plan.xlsx#")).unwrap();
        fs::write(dir.path().join("~$plan.xlsx"), "x").unwrap();
        assert!(lock_file(&path).is_some());
    }

    #[test]
    fn a_read_only_workbook_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.xlsx");
        replace(&path, b"one", None).unwrap();
        let mut perms = fs::metadata(&path).unwrap().permissions();
        perms.set_readonly(true);
        fs::set_permissions(&path, perms).unwrap();
        // Checked by its mode bits: root could write it, and the rename would replace it.
        let e = replace(&path, b"two", Some(b"one")).unwrap_err();
        assert!(matches!(e, ConnectorError::Fatal { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(
            text.contains("read-only") && text.contains("writable"),
            "{text}"
        );
        assert_eq!(fs::read(&path).unwrap(), b"one");
        assert!(fs::metadata(&path).unwrap().permissions().readonly());
        assert!(
            !backup_path(&path).exists(),
            "nothing written next to it either"
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_folder_is_made_when_its_parent_exists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plans").join("plan.xlsx");
        replace(&path, b"x", None).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"x");
    }

    #[test]
    fn a_missing_folder_and_parent_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir
            .path()
            .join("no-such-folder")
            .join("plans")
            .join("plan.xlsx");
        let e = replace(&path, b"x", None).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
        assert!(!dir.path().join("no-such-folder").exists(), "nothing made");
    }
}
