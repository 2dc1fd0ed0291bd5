//! Per-area call statistics kept in memory: counts, failures by kind, a
//! latency histogram (for `/metrics`) and the percentiles `/ops` shows.
//!
//! One short mutex per record: a call costs milliseconds, the lock
//! nanoseconds, and a histogram with fixed buckets needs no allocation.

use crate::runtime::AreaFailure;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds (Prometheus `le`):
/// from a cached page (1 ms) to the longest allowed `timeout-ms` (30 s).
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0,
];

/// Longest failure message kept for the console.
const MAX_ERROR_CHARS: usize = 300;

/// What happened to one area.
#[derive(Debug, Clone, Default)]
pub struct AreaStats {
    /// Sandboxed calls made (answered or not).
    pub calls: u64,
    /// Calls whose answer was an error panel (any failure but busy).
    pub errors: u64,
    /// Of those, the sandbox stops: timeout, memory, stack, crash, fault.
    pub traps: u64,
    /// Requests refused with 503 because every sandbox slot was busy.
    pub busy: u64,
    /// Count per bucket of [`LATENCY_BUCKETS`], plus one for larger values.
    pub buckets: [u64; LATENCY_BUCKETS.len() + 1],
    /// Sum of call durations, seconds.
    pub seconds_sum: f64,
    /// The last failure: (ms since the Unix epoch, what it was).
    pub last_error: Option<(u64, String)>,
}

impl AreaStats {
    /// The upper bound of the bucket holding the `q` quantile (0 < q ≤ 1),
    /// in seconds; `None` without calls. Beyond the last bucket: `INFINITY`.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(LATENCY_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        Some(f64::INFINITY)
    }
}

/// Statistics of every area seen since start (areas withdrawn by a reload
/// keep theirs, so a returning area's history is whole).
#[derive(Debug, Default)]
pub struct Metrics {
    areas: Mutex<BTreeMap<String, AreaStats>>,
}

impl Metrics {
    fn with(&self, area: &str, f: impl FnOnce(&mut AreaStats)) {
        let mut areas = self.areas.lock().unwrap_or_else(|e| e.into_inner());
        f(areas.entry(area.to_string()).or_default());
    }

    /// One sandboxed call of `area` that took `elapsed`.
    pub fn call(&self, area: &str, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.with(area, |s| {
            s.calls += 1;
            s.buckets[bucket] += 1;
            s.seconds_sum += secs;
        });
    }

    /// A failure shown as `area`'s error panel.
    pub fn failure(&self, area: &str, failure: &AreaFailure, now_ms: u64) {
        let message: String = failure.to_string().chars().take(MAX_ERROR_CHARS).collect();
        self.with(area, |s| {
            match failure {
                AreaFailure::Busy => s.busy += 1,
                AreaFailure::Timeout { .. }
                | AreaFailure::MemoryLimit { .. }
                | AreaFailure::StackOverflow
                | AreaFailure::Panic { .. }
                | AreaFailure::Trap { .. } => {
                    s.errors += 1;
                    s.traps += 1;
                }
                AreaFailure::BadAnswer { .. }
                | AreaFailure::Reported { .. }
                | AreaFailure::Conflict { .. }
                | AreaFailure::Storage { .. }
                | AreaFailure::StorageQuota { .. } => s.errors += 1,
            }
            s.last_error = Some((now_ms, message));
        });
    }

    /// A copy of every area's statistics.
    pub fn snapshot(&self) -> BTreeMap<String, AreaStats> {
        self.areas.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_buckets() {
        let m = Metrics::default();
        for _ in 0..90 {
            m.call("a", Duration::from_millis(3));
        }
        for _ in 0..10 {
            m.call("a", Duration::from_millis(400));
        }
        let s = &m.snapshot()["a"];
        assert_eq!(s.calls, 100);
        assert_eq!(s.quantile(0.5), Some(0.005));
        assert_eq!(s.quantile(0.9), Some(0.005));
        assert_eq!(s.quantile(0.95), Some(0.5));
        assert_eq!(AreaStats::default().quantile(0.5), None);
    }

    #[test]
    fn failures_are_counted_by_kind() {
        let m = Metrics::default();
        m.failure("a", &AreaFailure::StackOverflow, 1);
        m.failure("a", &AreaFailure::Busy, 2);
        m.failure(
            "a",
            &AreaFailure::Reported {
                message: "no".into(),
            },
            3,
        );
        let s = &m.snapshot()["a"];
        assert_eq!((s.errors, s.traps, s.busy), (2, 1, 1));
        assert_eq!(s.last_error.as_ref().unwrap().0, 3);
    }
}
