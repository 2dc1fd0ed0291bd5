//! Request budgets for the pages that send mail (sign-up, forgotten
//! password, confirmation links): at most `max` requests per key in any
//! sliding `window`. They stop a script from using Portico to flood someone's
//! mailbox, and from probing many addresses quickly.
//!
//! [`super::LoginThrottle`] counts *failures* and slows guessing; this counts
//! *requests*, successful or not, since every one of them may send a mail.
//!
//! Keys are SHA-256 hashed (fixed size, no plain email held in memory) and
//! the number of keys is bounded: memory stays flat whatever is tried.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Keys tracked per budget; past it, keys with no recent request are
/// dropped first, then arbitrary ones (which only ever lets a request through).
pub const MAX_TRACKED_KEYS: usize = 50_000;

/// A sliding-window request budget. Cheap to clone; clones share the counts.
#[derive(Clone)]
pub struct RateLimit {
    max: usize,
    window: Duration,
    cap: usize,
    hits: Arc<Mutex<HashMap<[u8; 32], VecDeque<Instant>>>>,
}

impl RateLimit {
    /// At most `max` (≥ 1) requests per key in any `window`.
    pub fn new(max: usize, window: Duration) -> RateLimit {
        Self::with_capacity(max, window, MAX_TRACKED_KEYS)
    }

    fn with_capacity(max: usize, window: Duration, cap: usize) -> RateLimit {
        RateLimit {
            max: max.max(1),
            window,
            cap,
            hits: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Counts one request for `key` at `now`; `Err(wait)` (and nothing
    /// counted) when the budget is spent: `wait` is when the next one fits.
    pub fn hit(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let key: [u8; 32] = Sha256::digest(key.trim().to_lowercase().as_bytes()).into();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if !hits.contains_key(&key) && hits.len() >= self.cap {
            let window = self.window;
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
            if hits.len() >= self.cap
                && let Some(any) = hits.keys().next().copied()
            {
                hits.remove(&any);
            }
        }
        let times = hits.entry(key).or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = (oldest + self.window).saturating_duration_since(now);
            return Err(wait.max(Duration::from_secs(1)));
        }
        times.push_back(now);
        Ok(())
    }
}

/// "2 minutes", "1 minute", "45 seconds": a wait in plain words.
pub fn plain_wait(wait: Duration) -> String {
    super::throttle::in_words(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn the_budget_slides() {
        let limit = RateLimit::new(3, 10 * MIN);
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limit.hit("a@example.fr", t0 + i * MIN).is_ok());
        }
        // Spent: the first request leaves the window 10 minutes after it was made.
        assert_eq!(limit.hit("A@Example.fr ", t0 + 3 * MIN), Err(7 * MIN));
        assert!(limit.hit("b@example.fr", t0 + 3 * MIN).is_ok(), "per key");
        // A refused request is not counted: the wait does not grow.
        assert_eq!(limit.hit("a@example.fr", t0 + 4 * MIN), Err(6 * MIN));
        assert!(limit.hit("a@example.fr", t0 + 10 * MIN).is_ok());
        assert!(limit.hit("a@example.fr", t0 + 10 * MIN).is_err());
    }

    #[test]
    fn memory_is_bounded() {
        let limit = RateLimit::with_capacity(1, MIN, 4);
        let t0 = Instant::now();
        for i in 0..100 {
            assert!(limit.hit(&format!("k{i}"), t0).is_ok());
        }
        assert!(limit.hits.lock().unwrap().len() <= 4);
    }
}
