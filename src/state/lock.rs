//! The single-writer lock: `<state file>.lock`, held with an OS file lock for the life of a
//! writable store, so two processes never sync the same state at once.
//!
//! The OS releases the lock when the holder exits, however it exits, so a lock file left behind
//! by a crash never blocks anyone. The file is never deleted: deleting it would let a second
//! process lock a fresh file while a third still holds the old, unlinked one. The pid written
//! inside only tells people which process holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::StateError;

/// `<db>.lock`, next to the state file.
pub(super) fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[derive(Debug)]
pub(super) struct StateLock {
    file: File,
}

impl StateLock {
    pub(super) fn acquire(db: &Path) -> Result<StateLock, StateError> {
        let path = lock_path(db);
        let open_error = |what: &str, e: std::io::Error| StateError::Open {
            path: db.display().to_string(),
            message: format!(
                "cannot {what} the lock file {} next to it: {e}; make sure you may write to that folder",
                path.display()
            ),
        };
        let mut file =
            super::sqlite::private_file(OpenOptions::new().read(true).write(true).truncate(false))
                .open(&path)
                .map_err(|e| open_error("create", e))?;
        // `File::try_lock` is stable since Rust 1.89; the toolchain is newer than the
        // workspace's declared rust-version.
        match try_lock_briefly(&file) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StateError::Locked {
                    path: db.display().to_string(),
                    lock: path.display().to_string(),
                    pid: read_pid(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(open_error("lock", e)),
        }
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .map_err(|e| open_error("write", e))?;
        Ok(StateLock { file })
    }
}

/// A lock released a moment ago can still look held: a process forked by another thread of
/// this one (a test, a notifier running a command) shares every open file until its `exec`
/// closes them. So a held lock is tried again for a quarter of a second before it counts.
fn try_lock_briefly(file: &File) -> Result<(), TryLockError> {
    let mut tries = 10;
    loop {
        #[allow(clippy::incompatible_msrv)]
        match file.try_lock() {
            Err(TryLockError::WouldBlock) if tries > 0 => {
                tries -= 1;
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Leave the file empty rather than naming a process that has let go; the OS lock
        // itself is released when the file is closed right after.
        let _ = self.file.set_len(0);
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}
