//! The clocks an area sees through WASI, coarsened as browsers coarsen
//! `performance.now()`: a nanosecond clock lets code time cache hits and
//! other tenants' work on the same machine (timing side channels); whole
//! milliseconds are enough for every business use (the call's `now-ms`
//! is milliseconds too).

use std::time::{Duration, Instant};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

/// The resolution of both clocks areas see.
pub const AREA_CLOCK_RESOLUTION: Duration = Duration::from_millis(1);

const RESOLUTION_NS: u64 = AREA_CLOCK_RESOLUTION.as_nanos() as u64;

/// Unix time from the host's one clock (so a test that moves it moves the
/// areas' `SystemTime` too), rounded down to [`AREA_CLOCK_RESOLUTION`].
pub(crate) struct CoarseWallClock(pub(crate) crate::clock::Clock);

impl HostWallClock for CoarseWallClock {
    fn resolution(&self) -> Duration {
        AREA_CLOCK_RESOLUTION
    }

    fn now(&self) -> Duration {
        let ms = self.0.now_ms();
        Duration::from_millis(ms - ms % AREA_CLOCK_RESOLUTION.as_millis() as u64)
    }
}

/// Time since the call started (so it says nothing of the host's uptime),
/// rounded down to [`AREA_CLOCK_RESOLUTION`].
pub(crate) struct CoarseMonotonicClock {
    start: Instant,
}

impl CoarseMonotonicClock {
    pub(crate) fn new() -> Self {
        CoarseMonotonicClock {
            start: Instant::now(),
        }
    }
}

impl HostMonotonicClock for CoarseMonotonicClock {
    fn resolution(&self) -> u64 {
        RESOLUTION_NS
    }

    fn now(&self) -> u64 {
        let ns = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        ns - ns % RESOLUTION_NS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_whole_milliseconds() {
        let wall = CoarseWallClock(crate::clock::Clock::system());
        let mono = CoarseMonotonicClock::new();
        for _ in 0..1000 {
            assert_eq!(wall.now().subsec_nanos() % 1_000_000, 0);
            assert_eq!(mono.now() % 1_000_000, 0);
        }
        assert_eq!(wall.resolution(), Duration::from_millis(1));
        assert_eq!(mono.resolution(), 1_000_000);
    }
}
