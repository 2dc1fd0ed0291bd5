//! Watches `areas.yaml` and the plugin files it names, and calls back once
//! the changes settle.
//!
//! Directories are watched, not files: editors and deploy tools replace a
//! file by renaming a new one over it, which a watch on the old inode would
//! miss. Events for other files in those directories are ignored.

use notify::{EventKind, RecursiveMode, Watcher as _};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::time::Duration;

/// Quiet time after the last change before reloading: a deploy writes
/// areas.yaml and several plugins in a burst; one reload should see them all.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// The file watcher; dropping it stops watching.
pub(crate) struct Watcher {
    watcher: Mutex<notify::RecommendedWatcher>,
    dirs: Mutex<BTreeSet<PathBuf>>,
    files: Arc<RwLock<BTreeSet<PathBuf>>>,
    config: PathBuf,
}

impl Watcher {
    /// Watches `config`'s directory; `on_change` runs on the debounce thread
    /// after each settled burst of changes to a watched file.
    pub(crate) fn start(
        config: &Path,
        on_change: impl Fn() + Send + 'static,
    ) -> anyhow::Result<Watcher> {
        let files: Arc<RwLock<BTreeSet<PathBuf>>> =
            Arc::new(RwLock::new(BTreeSet::from([config.to_path_buf()])));
        let (tx, rx) = mpsc::channel::<()>();
        let relevant = files.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            // Reading a file (our own loads) is not a change.
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            let files = relevant.read().unwrap_or_else(|e| e.into_inner());
            if event.paths.iter().any(|p| files.contains(p)) {
                let _ = tx.send(());
            }
        })?;
        std::thread::Builder::new()
            .name("portico-watch".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    // Wait for the burst to end.
                    while rx.recv_timeout(DEBOUNCE).is_ok() {}
                    on_change();
                }
            })?;
        let this = Watcher {
            watcher: Mutex::new(watcher),
            dirs: Mutex::new(BTreeSet::new()),
            files,
            config: config.to_path_buf(),
        };
        this.watch(BTreeSet::from([config.to_path_buf()]));
        Ok(this)
    }

    /// Watches exactly these files (and the config given to `start`, which
    /// is always among them).
    pub(crate) fn watch(&self, mut files: BTreeSet<PathBuf>) {
        // Never lose areas.yaml itself, whatever the catalog says.
        files.insert(self.config.clone());
        let wanted: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        *self.files.write().unwrap_or_else(|e| e.into_inner()) = files;
        let mut watcher = self.watcher.lock().unwrap_or_else(|e| e.into_inner());
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        for dir in wanted.difference(&dirs.clone()) {
            match watcher.watch(dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    dirs.insert(dir.clone());
                }
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), "cannot watch for changes: {e}; use SIGHUP or `portico reload`")
                }
            }
        }
    }
}
