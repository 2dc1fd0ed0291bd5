//! The host's one clock. Sessions, login throttling, delivery backoff,
//! timers, the audit log and the `now-ms` areas see all read the time here,
//! so a test can move every one of them at once instead of sleeping.
//!
//! A served portal uses [`Clock::system`]. [`Clock::movable`] adds an offset
//! that [`Clock::advance`] moves forward; a `portico serve` process gets one
//! only when started with [`TEST_CLOCK_ENV`]`=1` (end-to-end tests), which
//! also mounts `POST /test/clock` — see `web::test_clock`. It never moves
//! backwards, so a deadline computed from it stays a deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Set to `1` to serve with a movable clock. **For tests only**: anyone who
/// can reach `POST /test/clock` can then expire sessions and fire timers
/// early. `serve` refuses it together with `--secure-cookies` (a deployment
/// behind https), and logs a warning at start.
pub const TEST_CLOCK_ENV: &str = "PORTICO_TEST_MOVABLE_CLOCK";

/// The time source. Cheap to clone; clones share the offset.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    /// How far this clock is ahead of the system's, ms.
    offset_ms: AtomicU64,
    movable: bool,
}

/// [`Clock::advance`] on the system clock.
#[derive(Debug, thiserror::Error)]
#[error(
    "this portal's clock is the system clock and cannot be moved; start the server with {TEST_CLOCK_ENV}=1 (tests only)"
)]
pub struct NotMovable;

impl Clock {
    /// The system's wall clock; cannot be moved.
    pub fn system() -> Clock {
        Clock::new(false)
    }

    /// The system's clock plus an offset that [`Clock::advance`] moves.
    pub fn movable() -> Clock {
        Clock::new(true)
    }

    fn new(movable: bool) -> Clock {
        Clock {
            inner: Arc::new(Inner {
                offset_ms: AtomicU64::new(0),
                movable,
            }),
        }
    }

    /// Whether [`Clock::advance`] works.
    pub fn is_movable(&self) -> bool {
        self.inner.movable
    }

    /// How far the clock was moved ahead of the system's.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.inner.offset_ms.load(Ordering::SeqCst))
    }

    /// Milliseconds since the Unix epoch, UTC.
    pub fn now_ms(&self) -> u64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        system.saturating_add(self.inner.offset_ms.load(Ordering::SeqCst))
    }

    /// A monotonic instant, moved with the clock (login throttling counts
    /// lockouts with these).
    pub fn instant(&self) -> Instant {
        Instant::now() + self.offset()
    }

    /// Moves a movable clock forward by `by`; returns the new time (ms).
    pub fn advance(&self, by: Duration) -> Result<u64, NotMovable> {
        if !self.inner.movable {
            return Err(NotMovable);
        }
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.inner.offset_ms.fetch_add(by, Ordering::SeqCst);
        Ok(self.now_ms())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("movable", &self.inner.movable)
            .field("offset_ms", &self.inner.offset_ms.load(Ordering::SeqCst))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_cannot_be_moved() {
        let clock = Clock::system();
        let err = clock.advance(Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains(TEST_CLOCK_ENV), "{err}");
        assert_eq!(clock.offset(), Duration::ZERO);
    }

    #[test]
    fn a_movable_clock_moves_every_clone_forward() {
        let clock = Clock::movable();
        let other = clock.clone();
        let before = other.now_ms();
        let (instant, later) = (other.instant(), clock.advance(Duration::from_secs(3600)));
        let later = later.unwrap();
        assert!(later >= before + 3_600_000, "{before} → {later}");
        assert!(other.now_ms() >= before + 3_600_000);
        assert!(other.instant() >= instant + Duration::from_secs(3600));
    }
}
