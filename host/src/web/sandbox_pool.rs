//! A small, fixed set of threads that run sandboxed calls.
//!
//! Why not `tokio::task::spawn_blocking`: its pool keeps a thread per call in
//! flight and wakes an idle one for every call, so each area request paid
//! two thread hand-offs (futex wake + context switch each way). The profile
//! of the area page showed scheduling and futex work as the largest cost of
//! the sandbox (BENCHMARKS.md). A few long-lived threads fed by one queue take
//! the next call without sleeping while calls are waiting, so under load the
//! hand-offs are paid once per burst instead of once per call.
//!
//! The threads are few but not one per core: a call may run up to its
//! `timeout-ms` (500 ms by default), and one slow area must not hold up
//! every other area's requests. Calls still wait for a permit of the web
//! layer's semaphore first, so the queue is bounded by `MAX_CONCURRENT_CALLS`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

/// Threads running sandboxed calls. More than the cores (a call can be slow,
/// and a call blocked in a durable write sleeps in fsync), few enough that
/// under load each one runs calls back to back instead of sleeping between them.
pub(crate) const SANDBOX_THREADS: usize = 8;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool; dropping it lets the threads finish their queue and exit.
pub(crate) struct SandboxPool {
    queue: Mutex<Sender<Job>>,
}

/// The call could not run or did not finish: a bug in the host (a panic
/// outside the sandbox's own trap handling), never a plugin's doing.
#[derive(Debug, thiserror::Error)]
#[error("the sandbox thread failed: {0}")]
pub(crate) struct PoolError(String);

impl SandboxPool {
    /// Starts `threads` named threads.
    pub(crate) fn new(threads: usize) -> std::io::Result<SandboxPool> {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("portico-sandbox-{i}"))
                .spawn(move || worker(&rx))?;
        }
        Ok(SandboxPool {
            queue: Mutex::new(tx),
        })
    }

    /// Runs `f` on a pool thread and waits for its result without blocking
    /// the async executor.
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, PoolError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panicked".into())
            });
            let _ = tx.send(outcome); // the request may have gone away
        });
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job)
            .map_err(|_| PoolError("the pool has shut down".into()))?;
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => Err(PoolError(panic)),
            Err(_) => Err(PoolError("the call was dropped".into())),
        }
    }
}

fn worker(rx: &Mutex<Receiver<Job>>) {
    loop {
        // Hold the lock only to take one job; run it unlocked.
        let job = match rx.lock().unwrap_or_else(PoisonError::into_inner).recv() {
            Ok(job) => job,
            Err(_) => return, // the pool was dropped
        };
        job();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_calls_and_reports_a_panic_without_losing_a_thread() {
        let pool = SandboxPool::new(1).unwrap();
        assert_eq!(pool.run(|| 2 + 2).await.unwrap(), 4);
        let err = pool
            .run(|| -> u32 { panic!("host bug") })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("host bug"), "{err}");
        // The only thread survived the panic and still serves.
        assert_eq!(pool.run(|| "still here").await.unwrap(), "still here");
    }

    #[tokio::test]
    async fn many_concurrent_calls_all_answer() {
        let pool = Arc::new(SandboxPool::new(3).unwrap());
        let calls: Vec<_> = (0..200u64)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.run(move || i * 2).await.unwrap() })
            })
            .collect();
        let mut total = 0;
        for c in calls {
            total += c.await.unwrap();
        }
        assert_eq!(total, (0..200u64).map(|i| i * 2).sum::<u64>());
    }
}
