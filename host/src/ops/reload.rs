//! Hot reload: a new catalog built whole on the reload thread, then swapped
//! in atomically. Requests in flight keep the `Arc<Catalog>` they started
//! with; the next request sees the new one.
//!
//! A reload is all or nothing: if `areas.yaml` does not validate or any
//! plugin fails to load (compile, contract version, link, templates), the
//! reload fails, the previous catalog keeps serving every area, and the
//! errors are logged and kept for `/ops`. (At first start a broken plugin
//! only hides its tab, so one bad area does not keep the portal down.)

use super::watch::Watcher;
use crate::catalog::Catalog;
use crate::runtime::Runtime;
use crate::web::AppState;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Reloads remembered for `/ops`.
pub const RELOAD_HISTORY: usize = 20;

/// Name of the file, in the data directory, where the server writes the
/// outcome of its last reload attempt (read by `portico reload`).
pub const STATUS_FILE: &str = "reload-status.json";

/// What asked for a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// The first catalog, built before serving.
    Startup,
    /// A change to `areas.yaml` or a plugin file.
    FileChange,
    /// `SIGHUP` (also what `portico reload` sends).
    Signal,
}

impl Trigger {
    /// As shown in the console.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::FileChange => "file change",
            Trigger::Signal => "SIGHUP",
        }
    }
}

/// One reload attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReloadRecord {
    /// Attempt number since start (1 = the startup catalog).
    pub attempt: u64,
    /// The catalog generation serving after this attempt.
    pub generation: u64,
    /// When it finished, ms since the Unix epoch.
    pub at_ms: u64,
    /// When it started reading areas.yaml, µs since the Unix epoch: a
    /// reload that started after a signal was sent has seen the files as
    /// they were then (`portico reload` waits for one).
    #[serde(default)]
    pub started_us: u64,
    /// What asked for it.
    pub trigger: Trigger,
    /// Whether the new catalog is serving.
    pub ok: bool,
    /// Building time, ms.
    pub duration_ms: u64,
    /// What changed (`+added`, `-withdrawn`, `~upgraded 1.0.0→1.1.0`), if it succeeded.
    pub changes: Vec<String>,
    /// Every error, each with file:line, field and reason, if it failed;
    /// for a startup, the areas whose plugin failed (their tabs are hidden).
    pub errors: Vec<String>,
}

/// The reload history.
#[derive(Debug, Default)]
pub struct ReloadLog {
    attempts: u64,
    generation: u64,
    history: VecDeque<ReloadRecord>,
}

impl ReloadLog {
    /// The generation serving now (1 = the startup catalog).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Reload attempts since start, the startup catalog included.
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// The most recent attempts, newest first.
    pub fn recent(&self) -> impl Iterator<Item = &ReloadRecord> {
        self.history.iter().rev()
    }

    /// The last attempt.
    pub fn last(&self) -> Option<&ReloadRecord> {
        self.history.back()
    }

    fn push(&mut self, mut record: ReloadRecord) -> ReloadRecord {
        self.attempts += 1;
        if record.ok {
            self.generation += 1;
        }
        record.attempt = self.attempts;
        record.generation = self.generation;
        if self.history.len() == RELOAD_HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(record.clone());
        record
    }
}

/// Asks the reload thread for a reload; cheap to clone.
#[derive(Clone)]
pub struct Reloader {
    tx: mpsc::Sender<Trigger>,
}

impl Reloader {
    /// Records the startup catalog, then starts the reload thread and the
    /// file watcher (areas.yaml's directory and every plugin's).
    pub fn start(
        config: &Path,
        runtime: Arc<Runtime>,
        state: AppState,
    ) -> anyhow::Result<Reloader> {
        let config = absolute(config)?;
        let catalog = state.catalog();
        let errors = catalog
            .areas
            .iter()
            .filter_map(|a| {
                a.loaded.as_ref().err().map(|e| {
                    format!(
                        "area `{}` is hidden: its plugin failed to load: {e}",
                        a.spec.id
                    )
                })
            })
            .collect();
        let record = state.ops().reloads().push(ReloadRecord {
            attempt: 0,
            generation: 0,
            at_ms: state.clock().now_ms(),
            started_us: now_us(),
            trigger: Trigger::Startup,
            ok: true,
            duration_ms: 0,
            changes: catalog
                .areas
                .iter()
                .map(|a| format!("+{}", a.spec.id))
                .collect(),
            errors,
        });
        write_status(&state, &record);

        let (tx, rx) = mpsc::channel();
        let reloader = Reloader { tx };
        let on_change = reloader.clone();
        let watcher = Watcher::start(&config, move || on_change.request(Trigger::FileChange))?;
        watcher.watch(watched_files(&config, &catalog));
        std::thread::Builder::new()
            .name("portico-reload".into())
            .spawn(move || reload_loop(config, runtime, state, watcher, rx))?;
        Ok(reloader)
    }

    /// Asks for a reload; requests arriving during a reload are merged into
    /// the next one.
    pub fn request(&self, trigger: Trigger) {
        // The thread lives as long as the process; a send cannot fail before exit.
        let _ = self.tx.send(trigger);
    }
}

fn reload_loop(
    config: PathBuf,
    runtime: Arc<Runtime>,
    state: AppState,
    watcher: Watcher,
    rx: mpsc::Receiver<Trigger>,
) {
    while let Ok(mut trigger) = rx.recv() {
        // Merge the triggers queued meanwhile: one reload covers them all.
        while let Ok(t) = rx.try_recv() {
            if t == Trigger::Signal {
                trigger = t;
            }
        }
        reload(&config, &runtime, &state, trigger);
        watcher.watch(watched_files(&config, &state.catalog()));
    }
}

/// Builds a new catalog from `config` and swaps it in, or keeps the current
/// one and records why not. Runs on the reload thread, never on a request.
pub fn reload(
    config: &Path,
    runtime: &Runtime,
    state: &AppState,
    trigger: Trigger,
) -> ReloadRecord {
    let started_us = now_us();
    let started = Instant::now();
    let built = Catalog::build(config, runtime, true);
    let duration_ms = started.elapsed().as_millis() as u64;
    let record = match built {
        Ok(catalog) => {
            let changes = diff(&state.catalog(), &catalog);
            let areas = catalog.areas.len();
            // Dropped here, outside the lock, once no request holds it.
            let previous = state.swap_catalog_returning(catalog);
            let record = state.ops().reloads().push(ReloadRecord {
                attempt: 0,
                generation: 0,
                at_ms: state.clock().now_ms(),
                started_us,
                trigger,
                ok: true,
                duration_ms,
                changes,
                errors: Vec::new(),
            });
            tracing::info!(
                generation = record.generation, trigger = trigger.as_str(), areas, ms = duration_ms,
                changes = %if record.changes.is_empty() { "none".to_string() } else { record.changes.join(" ") },
                "reload: new catalog serving"
            );
            drop(previous);
            record
        }
        Err(errors) => {
            let errors: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
            let record = state.ops().reloads().push(ReloadRecord {
                attempt: 0,
                generation: 0,
                at_ms: state.clock().now_ms(),
                started_us,
                trigger,
                ok: false,
                duration_ms,
                changes: Vec::new(),
                errors,
            });
            tracing::error!(
                generation = record.generation,
                trigger = trigger.as_str(),
                errors = record.errors.len(),
                "reload failed; the previous catalog keeps serving:\n  {}",
                record.errors.join("\n  ")
            );
            record
        }
    };
    write_status(state, &record);
    record
}

/// `+new`, `-withdrawn`, `~upgraded 1.0.0→1.1.0`, `~rebuilt 1.0.0 rebuilt …` (a new
/// build under the same version: the plugin's content is compared, not its
/// version string), `~changed` (same build, other settings).
fn diff(old: &Catalog, new: &Catalog) -> Vec<String> {
    let digest =
        |a: &crate::catalog::CatalogArea| a.loaded.as_ref().ok().map(|l| l.area.digest.clone());
    let mut changes = Vec::new();
    for a in &new.areas {
        match old.area(a.spec.id.as_str()) {
            None => changes.push(format!("+{}", a.spec.id)),
            Some(o) if o.spec.version != a.spec.version => changes.push(format!(
                "~{} {}→{}",
                a.spec.id, o.spec.version, a.spec.version
            )),
            Some(o) if digest(o) != digest(a) => changes.push(format!(
                "~{} {} rebuilt (same version, new content)",
                a.spec.id, a.spec.version
            )),
            Some(o) if o.spec != a.spec => changes.push(format!("~{}", a.spec.id)),
            Some(_) => {}
        }
    }
    for o in &old.areas {
        if new.area(o.spec.id.as_str()).is_none() {
            changes.push(format!("-{}", o.spec.id));
        }
    }
    changes
}

/// The files whose change triggers a reload: areas.yaml and every plugin it
/// names (those of the catalog serving, so a broken file is still watched).
fn watched_files(config: &Path, catalog: &Catalog) -> BTreeSet<PathBuf> {
    std::iter::once(config.to_path_buf())
        .chain(catalog.areas.iter().map(|a| a.spec.plugin.clone()))
        .collect()
}

/// `path` made absolute with a canonical directory, keeping its file name
/// (so a replaced file, or a symlinked one, is still recognised).
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("{} does not name a file", path.display()))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = dir
        .canonicalize()
        .map_err(|e| anyhow::anyhow!("cannot resolve the directory of {}: {e}", path.display()))?;
    Ok(dir.join(name))
}

/// Writes the attempt's outcome where `portico reload` reads it. Best effort:
/// the console and the log have it too.
fn write_status(state: &AppState, record: &ReloadRecord) {
    let dir = state.store().data_dir();
    let tmp = dir.join(format!(".{STATUS_FILE}.tmp"));
    let result = serde_json::to_vec_pretty(record)
        .map_err(std::io::Error::other)
        .and_then(|json| std::fs::write(&tmp, json))
        .and_then(|()| std::fs::rename(&tmp, dir.join(STATUS_FILE)));
    if let Err(e) = result {
        tracing::warn!("cannot write {STATUS_FILE}: {e}");
    }
}

/// Microseconds since the Unix epoch.
// System time on purpose, not `crate::clock`: `portico reload` (another
// process, with no test clock) compares it with its own.
pub(crate) fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Shared with the web layer: the reload log behind its lock.
pub(crate) type SharedLog = Mutex<ReloadLog>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_counts_generations_only_for_successes() {
        let mut log = ReloadLog::default();
        let rec = |ok| ReloadRecord {
            attempt: 0,
            generation: 0,
            at_ms: 0,
            started_us: 0,
            trigger: Trigger::FileChange,
            ok,
            duration_ms: 0,
            changes: vec![],
            errors: vec![],
        };
        assert_eq!(log.push(rec(true)).generation, 1);
        let failed = log.push(rec(false));
        assert_eq!((failed.attempt, failed.generation), (2, 1));
        assert_eq!(log.push(rec(true)).generation, 2);
        for _ in 0..RELOAD_HISTORY {
            log.push(rec(false));
        }
        assert_eq!(log.recent().count(), RELOAD_HISTORY);
        assert_eq!(log.generation(), 2);
    }
}
