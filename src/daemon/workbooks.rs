//! Watching the workbook files of the targets that keep one on this machine (Excel), so that a
//! saved edit starts a cycle at once instead of at the next poll. Works without
//! `[daemon] public_url`: nothing calls in from outside.
//!
//! The operating system reports each change to the file's folder (inotify on Linux, through
//! the `notify` crate). A save is many changes: Excel and LibreOffice write a temporary file,
//! rename the old workbook away, rename the new one in, and keep a lock file next to it
//! (`~$plan.xlsx`, `.~lock.plan.xlsx#`) while the workbook is open. So a change counts only
//! once the writer is done (`Book::settled`): no event for [`QUIET`], the file's size and
//! time the same at two looks in a row, and no lock file (a workbook that is open is not
//! written by throughline either; the cycle that follows its closing takes the edits).
//!
//! Then the content decides: a workbook whose bytes hash as the version last known (the one
//! the daemon found or wrote itself) changed nothing, so the daemon's own writes start no
//! cycle (no loop). While a cycle runs nothing is decided; at its end the versions the
//! cycle wrote become the known ones ([`Workbooks::cycle_ended`]), and a save of someone else
//! during the cycle still starts the next one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::shared::Shared;

/// How long a workbook's folder must be still before a save counts as done.
pub const QUIET: Duration = Duration::from_millis(300);
/// How often a pending workbook is looked at while its writer may still be busy.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// One watched workbook.
#[derive(Debug)]
struct Book {
    target: String,
    path: PathBuf,
    /// The hash of the version last known: found at start, written by a cycle, or already
    /// signalled.
    known: Option<u64>,
    /// When the last event in its folder came, while a change is pending.
    pending_since: Option<Instant>,
    /// The file's size and time at the previous look.
    last_stat: Option<(u64, SystemTime)>,
}

/// The content hash of a workbook file, `None` when it cannot be read.
fn version(path: &Path) -> Option<u64> {
    use std::hash::{DefaultHasher, Hasher};
    let bytes = std::fs::read(path).ok()?;
    let mut h = DefaultHasher::new();
    h.write(&bytes);
    Some(h.finish())
}

fn stat(path: &Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// The lock files Excel and LibreOffice keep next to an open workbook.
fn lock_names(name: &str) -> Vec<String> {
    let mut names = vec![format!(".~lock.{name}#"), format!("~${name}")];
    // Excel shortens long names: it replaces the first two characters.
    if name.chars().count() > 2 {
        names.push(format!("~${}", name.chars().skip(2).collect::<String>()));
    }
    names
}

impl Book {
    fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn folder(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn locked(&self) -> bool {
        let dir = self.folder();
        lock_names(&self.name())
            .iter()
            .any(|n| dir.join(n).exists())
    }

    /// Whether an event on `path` may be part of a save of this workbook: the file itself,
    /// its lock files, or a temporary file in its folder.
    fn concerns(&self, path: &Path) -> bool {
        if path.parent() != Some(self.folder()) {
            return false;
        }
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return false;
        };
        let temporary = name.starts_with('~')
            || name.ends_with(".tmp")
            || !name.contains('.')
            || name.starts_with(".~lock.");
        name == self.name() || lock_names(&self.name()).contains(&name) || temporary
    }

    /// The writer is done: quiet long enough, the same size and time as at the previous look,
    /// and no lock file.
    fn settled(&mut self, now: Instant) -> bool {
        let Some(since) = self.pending_since else {
            return false;
        };
        let stat = stat(&self.path);
        let stable = stat.is_some() && stat == self.last_stat;
        self.last_stat = stat;
        now.duration_since(since) >= QUIET && stable && !self.locked()
    }
}

/// The watched workbooks, and the watcher that reports their folders' changes.
pub struct Workbooks {
    books: Arc<Mutex<Vec<Book>>>,
    /// A cycle is running: nothing is decided until it ends.
    cycling: Arc<AtomicBool>,
    watcher: Option<RecommendedWatcher>,
    folders: Vec<PathBuf>,
}

impl Workbooks {
    /// Start watching nothing yet; [`Workbooks::set`] says what. Call inside the runtime: the
    /// changes are weighed on a task of their own, which hints `shared` at each real change.
    pub fn start(shared: Arc<Shared>) -> Workbooks {
        let books: Arc<Mutex<Vec<Book>>> = Arc::default();
        let cycling = Arc::new(AtomicBool::new(false));
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Vec<PathBuf>>();
        let watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
            if let Ok(e) = e {
                let _ = tx.send(e.paths);
            }
        });
        let watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch files on this machine; workbooks are read at the periodic cycle only");
                None
            }
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(weigh(rx, books.clone(), cycling.clone(), shared));
        }
        Workbooks {
            books,
            cycling,
            watcher,
            folders: Vec::new(),
        }
    }

    /// Watch these workbooks (target id, file), and only these; each one's present version is
    /// the known one.
    pub fn set(&mut self, files: Vec<(String, PathBuf)>) {
        let books: Vec<Book> = files
            .into_iter()
            .map(|(target, path)| {
                // The folder as the watcher names it in its events.
                let path = absolute(&path);
                Book {
                    target,
                    known: version(&path),
                    last_stat: stat(&path),
                    pending_since: None,
                    path,
                }
            })
            .collect();
        let mut folders: Vec<PathBuf> = books.iter().map(|b| b.folder().to_path_buf()).collect();
        folders.sort();
        folders.dedup();
        if let Some(w) = self.watcher.as_mut() {
            for gone in self.folders.iter().filter(|f| !folders.contains(f)) {
                let _ = w.unwatch(gone);
            }
            for f in folders.iter().filter(|f| !self.folders.contains(f)) {
                if let Err(e) = w.watch(f, RecursiveMode::NonRecursive) {
                    tracing::warn!(folder = %f.display(), error = %e, "cannot watch the workbook's folder; it is read at the periodic cycle only");
                }
            }
        }
        self.folders = folders;
        *lock(&self.books) = books;
    }

    /// A cycle starts: changes wait until it ends.
    pub fn cycle_started(&self) {
        self.cycling.store(true, Ordering::SeqCst);
    }

    /// A cycle ended; `wrote` says which targets it changed something in. Their present
    /// versions are the daemon's own and become the known ones; the others keep theirs, so
    /// a save made by someone during the cycle still counts.
    pub fn cycle_ended(&self, wrote: &dyn Fn(&str) -> bool) {
        for b in lock(&self.books).iter_mut() {
            if wrote(&b.target) {
                b.known = version(&b.path);
            }
        }
        self.cycling.store(false, Ordering::SeqCst);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `path` from the root, through the real folder (symbolic links resolved), as the watcher
/// reports it.
fn absolute(path: &Path) -> PathBuf {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    match path.file_name() {
        Some(name) => dir.join(name),
        None => path.to_path_buf(),
    }
}

/// Take the watcher's events; once a workbook's writer is done and its content is new, hint
/// its target.
async fn weigh(
    mut events: tokio::sync::mpsc::UnboundedReceiver<Vec<PathBuf>>,
    books: Arc<Mutex<Vec<Book>>>,
    cycling: Arc<AtomicBool>,
    shared: Arc<Shared>,
) {
    loop {
        let pending = lock(&books).iter().any(|b| b.pending_since.is_some());
        let paths = if pending {
            match tokio::time::timeout(LOOK_EVERY, events.recv()).await {
                Ok(Some(paths)) => paths,
                Ok(None) => return,
                Err(_) => Vec::new(),
            }
        } else {
            match events.recv().await {
                Some(paths) => paths,
                None => return,
            }
        };
        let now = Instant::now();
        let mut books = lock(&books);
        for b in books.iter_mut() {
            if paths.iter().any(|p| b.concerns(p)) {
                b.pending_since = Some(now);
            }
        }
        if cycling.load(Ordering::SeqCst) {
            continue;
        }
        for b in books.iter_mut() {
            if !b.settled(now) {
                continue;
            }
            b.pending_since = None;
            let v = version(&b.path);
            if v.is_some() && v != b.known {
                b.known = v;
                tracing::info!(target_id = %b.target, file = %b.path.display(), "the workbook was saved; a cycle starts");
                shared.hints.hint(&b.target);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(dir: &Path) -> Book {
        let path = absolute(&dir.join("plan.xlsx"));
        Book {
            target: "plan".into(),
            known: None,
            pending_since: None,
            last_stat: None,
            path,
        }
    }

    #[test]
    fn saves_of_excel_and_libreoffice_concern_the_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let b = book(dir.path());
        let folder = b.folder().to_path_buf();
        for name in [
            "plan.xlsx",
            "~$plan.xlsx",
            "~$an.xlsx",
            ".~lock.plan.xlsx#",
            "lu4821.tmp",
            "8A3B2C10",
        ] {
            assert!(b.concerns(&folder.join(name)), "{name}");
        }
        assert!(!b.concerns(&folder.join("throughline.db")));
        assert!(!b.concerns(&folder.join("other").join("plan.xlsx")));
    }

    #[test]
    fn a_save_settles_once_quiet_stable_and_unlocked() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = book(dir.path());
        std::fs::write(&b.path, "v1").unwrap();
        let start = Instant::now();
        assert!(!b.settled(start), "nothing pending");
        b.pending_since = Some(start);
        assert!(!b.settled(start + QUIET), "first look: stability unknown");
        assert!(
            b.settled(start + QUIET),
            "quiet and the same as at the last look"
        );
        std::fs::write(&b.path, "v2 longer").unwrap();
        assert!(!b.settled(start + QUIET), "it changed since the last look");
        let lock = b.folder().join(".~lock.plan.xlsx#");
        std::fs::write(&lock, "x").unwrap();
        assert!(!b.settled(start + QUIET), "open in LibreOffice");
        std::fs::remove_file(&lock).unwrap();
        assert!(b.settled(start + QUIET));
        b.pending_since = Some(start + QUIET);
        assert!(!b.settled(start + QUIET), "not quiet yet");
    }
}
