//! The pid file that lets `portico reload` find the running server: written
//! in the data directory when `serve` starts, removed when it stops.

use super::reload::{ReloadRecord, STATUS_FILE};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The pid file's name in the data directory.
pub const PID_FILE: &str = "portico.pid";

/// How long `portico reload` waits for the server to report the outcome, by
/// default (`--wait`). A reload of cached plugins takes well under a second;
/// a first compile of several large plugins in a debug build can take tens
/// of seconds.
pub const RELOAD_WAIT: Duration = Duration::from_secs(60);

/// How often `portico reload` looks at the status file while waiting.
const POLL: Duration = Duration::from_millis(50);

/// The pid file of a running server; removed on drop (graceful stop).
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes this process's id to `<data>/portico.pid`. The data directory
    /// is already locked by the store, so no other server owns this file.
    pub fn create(data: &Path) -> std::io::Result<PidFile> {
        let path = data.join(PID_FILE);
        if let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id())) {
            // A full disk leaves an empty file: do not leave a stale pid
            // file that `reload` and `operator add` would believe.
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        Ok(PidFile { path })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Sends `SIGHUP` to the server whose pid file is in `data`, waits up to
/// `wait` for it to report the reload, and returns what to tell the operator
/// (`Err` when the reload could not be asked for, failed, or reported no
/// outcome in time: a deploy script must not take silence for success).
pub fn signal_reload(data: &Path, wait: Duration) -> anyhow::Result<String> {
    let path = data.join(PID_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow::anyhow!(
            "no running Portico found: cannot read {} ({e}); is `portico serve --data {}` running?",
            path.display(),
            data.display()
        )
    })?;
    let pid: i32 = text
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{} does not hold a process id: {text:?}", path.display()))?;
    let process = rustix::process::Pid::from_raw(pid)
        .ok_or_else(|| anyhow::anyhow!("{} holds an invalid process id {pid}", path.display()))?;
    let status = data.join(STATUS_FILE);
    // Only a reload that started after the signal has read today's files
    // (one triggered earlier by the file watcher may still be finishing).
    let sent_us = super::reload::now_us();
    rustix::process::kill_process(process, rustix::process::Signal::HUP).map_err(|e| {
        anyhow::anyhow!(
            "cannot signal Portico (pid {pid}, from {}): {e}; if it is not running, the pid file is stale and can be deleted",
            path.display()
        )
    })?;
    let started = Instant::now();
    while started.elapsed() < wait {
        if let Some(record) = read_status(&status).filter(|r| r.started_us >= sent_us) {
            return if record.ok {
                Ok(format!(
                    "sent SIGHUP to Portico (pid {pid}); reloaded in {} ms: generation {} serving{}",
                    record.duration_ms,
                    record.generation,
                    if record.changes.is_empty() {
                        ", nothing changed".to_string()
                    } else {
                        format!(" ({})", record.changes.join(" "))
                    }
                ))
            } else {
                Err(anyhow::anyhow!(
                    "sent SIGHUP to Portico (pid {pid}); the reload FAILED and generation {} keeps serving:\n  {}",
                    record.generation,
                    record.errors.join("\n  ")
                ))
            };
        }
        std::thread::sleep(POLL);
    }
    Err(anyhow::anyhow!(
        "sent SIGHUP to Portico (pid {pid}); no outcome after {} s: the reload may have failed or may still be running; see its log or /ops",
        wait.as_secs_f64()
    ))
}

fn read_status(path: &Path) -> Option<ReloadRecord> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}
