//! Durable writes (BENCHMARKS.md, "Durable writes"): acknowledged writes per
//! second when every write is flushed and fsynced before it returns, with
//! group commit (concurrent writers share one sync; production) and without
//! (every writer syncs on its own), for 1 to 64 concurrent writers.
//! Prints a table and the ratios; asserts nothing about time.
//!
//! Run: `cargo bench -p portico --bench durable` (about 30 s;
//! `DURABLE_SECONDS` sets the seconds per case, default 2; `DURABLE_SWAP=1`
//! swaps which mode runs first in each row, to see order effects of the disk).
//!
//! With `PORTICO_BENCH_POSTGRES=postgres://…` (`.ci/postgres` prints one) the
//! same writers then run on PostgreSQL in the same run (a fresh schema): a
//! write is acknowledged once its COMMIT returned, so there is one mode.

use portico::clock::Clock;
use portico::store::{Location, Namespace, Store, SyncMode, testing};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Concurrent writers (threads, as the web layer's blocking pool would be).
const WRITERS: [usize; 4] = [1, 4, 16, 64];
/// Bytes per value: a typical small kv record.
const VALUE_BYTES: usize = 200;

fn run(store: &Store, writers: usize, seconds: Duration) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let (stop, acked) = (stop.clone(), acked.clone());
            s.spawn(move || {
                let ns = Namespace::structure("bench", &format!("S{w:05}"));
                let value = vec![b'v'; VALUE_BYTES];
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    store
                        .kv_set(&ns, &format!("k{i}"), &value)
                        .expect("acknowledged write");
                    acked.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
        }
        std::thread::sleep(seconds);
        stop.store(true, Ordering::Relaxed);
    });
    acked.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --benches`: nothing to check
    }
    let seconds = Duration::from_secs(
        std::env::var("DURABLE_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    println!(
        "\n{:>8} {:>18} {:>18} {:>8}",
        "writers", "grouped writes/s", "per-write syncs/s", "ratio"
    );
    // Warm-up: the first writes of a fresh store also grow its files.
    run(&store, 4, seconds);
    for (i, writers) in WRITERS.into_iter().enumerate() {
        // Alternate which mode goes first, so neither always gets the warmer disk.
        let (mut grouped, mut solo) = (0.0, 0.0);
        for mode in if (i + usize::from(std::env::var_os("DURABLE_SWAP").is_some())) % 2 == 0 {
            [SyncMode::Grouped, SyncMode::PerWrite]
        } else {
            [SyncMode::PerWrite, SyncMode::Grouped]
        } {
            store.set_sync_mode_for_bench(mode);
            let rate = run(&store, writers, seconds);
            if mode == SyncMode::Grouped {
                grouped = rate;
            } else {
                solo = rate;
            }
        }
        println!(
            "{writers:>8} {grouped:>18.0} {solo:>18.0} {:>8.2}",
            grouped / solo
        );
    }
    store.set_sync_mode_for_bench(SyncMode::Grouped);
    drop(store);

    let Some(url) = std::env::var("PORTICO_BENCH_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        println!(
            "\n(PostgreSQL: set PORTICO_BENCH_POSTGRES=postgres://… to measure it in the same run)"
        );
        return;
    };
    let schema = format!("bench_durable_{}", std::process::id());
    let location = Location::parse(Some(&testing::with_schema(&url, &schema)))
        .expect("PORTICO_BENCH_POSTGRES is a PostgreSQL URL");
    let pg_dir = tempfile::tempdir().expect("tempdir");
    let store =
        Store::open_at(pg_dir.path(), &location, Clock::system()).expect("PostgreSQL store");
    println!(
        "\n{}\n{:>8} {:>18}",
        location.describe(pg_dir.path()),
        "writers",
        "COMMIT writes/s"
    );
    run(&store, 4, seconds);
    for writers in WRITERS {
        println!("{writers:>8} {:>18.0}", run(&store, writers, seconds));
    }
}
