//! Request budgets for the pages that send mail (sign-up, forgotten
//! password, confirmation links): at most `max` requests per key in any
//! sliding `window`. They stop a script from using Portico to flood someone's
//! mailbox, and from probing many addresses quickly.
//!
//! [`super::LoginThrottle`] counts *failures* and slows guessing; this counts
//! *requests*, successful or not, since every one of them may send a mail.
//!
//! Keys are SHA-256 hashed (no plain email is stored) and counted in the
//! store, shared by every host; each record expires with its window and is
//! purged (`Store::purge_limits`), so storage stays flat whatever is tried.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::store::Store;

/// A sliding-window request budget, counted in the store
/// (`store/limits.rs`) so that every host of the portal shares it. Cheap to
/// clone.
#[derive(Clone)]
pub struct RateLimit {
    store: Store,
    budget: &'static str,
    max: usize,
    window: Duration,
}

impl RateLimit {
    /// At most `max` (≥ 1) requests per key in any `window`, counted under
    /// `budget` (a name of its own) in `store`.
    pub fn new(store: Store, budget: &'static str, max: usize, window: Duration) -> RateLimit {
        RateLimit {
            store,
            budget,
            max: max.max(1),
            window,
        }
    }

    /// Counts one request for `key` at `now_ms`; `Err(wait)` (and nothing
    /// counted) when the budget is spent: `wait` is when the next one fits.
    /// A store that fails lets the request through (and logs it).
    pub fn hit(&self, key: &str, now_ms: u64) -> Result<(), Duration> {
        let key: [u8; 32] = Sha256::digest(key.trim().to_lowercase().as_bytes()).into();
        let window = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX);
        let max = self.max;
        let counted =
            self.store
                .limit_update(self.budget, &key, now_ms, |times: Option<Vec<u64>>| {
                    let mut times = times.unwrap_or_default();
                    times.retain(|t| now_ms.saturating_sub(*t) < window);
                    let expires = |times: &Vec<u64>| times.last().map_or(now_ms, |t| t + window);
                    if times.len() >= max {
                        let oldest = times.first().copied().unwrap_or(now_ms);
                        let wait = Duration::from_millis((oldest + window).saturating_sub(now_ms));
                        let keep = expires(&times);
                        return (Some((times, keep)), Err(wait.max(Duration::from_secs(1))));
                    }
                    times.push(now_ms);
                    let keep = expires(&times);
                    (Some((times, keep)), Ok(()))
                });
        counted.unwrap_or_else(|e| {
            tracing::error!(error = %e, budget = self.budget, "a request budget could not be counted; letting it through");
            Ok(())
        })
    }
}

/// "2 minutes", "1 minute", "45 seconds": a wait in plain words.
pub fn plain_wait(wait: Duration) -> String {
    super::throttle::in_words(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    const MIN: Duration = Duration::from_secs(60);
    const M: u64 = 60_000;
    const T0: u64 = 1_700_000_000_000;

    #[test]
    fn the_budget_slides() {
        let (_dir, store) = temp_store();
        let limit = RateLimit::new(store.clone(), "test", 3, 10 * MIN);
        for i in 0..3 {
            assert!(limit.hit("a@example.fr", T0 + i * M).is_ok());
        }
        // Spent: the first request leaves the window 10 minutes after it was made.
        assert_eq!(limit.hit("A@Example.fr ", T0 + 3 * M), Err(7 * MIN));
        assert!(limit.hit("b@example.fr", T0 + 3 * M).is_ok(), "per key");
        // A refused request is not counted: the wait does not grow.
        assert_eq!(limit.hit("a@example.fr", T0 + 4 * M), Err(6 * MIN));
        assert!(limit.hit("a@example.fr", T0 + 10 * M).is_ok());
        assert!(limit.hit("a@example.fr", T0 + 10 * M).is_err());
        // Another budget on the same store counts apart; a second host shares it.
        let other = RateLimit::new(store.clone(), "other", 1, MIN);
        assert!(other.hit("a@example.fr", T0 + 10 * M).is_ok());
        let same_on_host_b = RateLimit::new(store.clone(), "test", 3, 10 * MIN);
        assert!(same_on_host_b.hit("a@example.fr", T0 + 10 * M).is_err());
    }

    #[test]
    fn nothing_is_kept_past_the_window() {
        let (_dir, store) = temp_store();
        let limit = RateLimit::new(store.clone(), "test", 1, MIN);
        for i in 0..100 {
            assert!(limit.hit(&format!("k{i}"), T0).is_ok());
        }
        assert_eq!(store.limit_records().unwrap(), 100);
        store.purge_limits(T0 + M).unwrap();
        assert_eq!(store.limit_records().unwrap(), 0);
    }
}
