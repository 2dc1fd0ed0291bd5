//! Operating a running portal: hot reload of the catalog (file watch,
//! `SIGHUP`, `portico reload`), the reload history, per-area call metrics,
//! and the pid file. The console pages are in `web::ops`.

pub mod metrics;
pub mod operator;
pub mod pidfile;
pub mod reload;
pub mod transfer;
mod watch;

pub use metrics::Metrics;
pub use reload::{ReloadLog, ReloadRecord, Reloader, Trigger};
pub use watch::DEBOUNCE;

use std::sync::MutexGuard;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What the console and `/metrics` read, shared by the web layer and the
/// reload thread.
#[derive(Debug)]
pub struct OpsState {
    metrics: Metrics,
    reloads: reload::SharedLog,
    sandbox_slots: AtomicUsize,
}

impl OpsState {
    /// Empty history; `sandbox_slots` concurrent calls allowed.
    pub fn new(sandbox_slots: usize) -> OpsState {
        OpsState {
            metrics: Metrics::default(),
            reloads: Default::default(),
            sandbox_slots: AtomicUsize::new(sandbox_slots),
        }
    }

    /// Per-area call statistics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The reload history (a short lock: copy what you need).
    pub fn reloads(&self) -> MutexGuard<'_, ReloadLog> {
        self.reloads.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Concurrent sandboxed calls allowed.
    pub fn sandbox_slots(&self) -> usize {
        self.sandbox_slots.load(Ordering::Relaxed)
    }

    pub(crate) fn set_sandbox_slots(&self, n: usize) {
        self.sandbox_slots.store(n, Ordering::Relaxed);
    }
}
