//! Group commit: concurrent writers share one flush + fsync.
//!
//! An fsync costs milliseconds; a portal under load has many writers at once.
//! Each writer needs *a* sync that started after its write, not one of its
//! own: while one sync runs, later writers wait, and the next sync covers all
//! of them.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::StoreError;

/// Sync generations: `started` counts syncs begun, `completed` the last one
/// finished (they run one at a time, in order).
#[derive(Default)]
struct State {
    started: u64,
    completed: u64,
    running: bool,
    /// The latest generation whose sync failed, and why.
    last_failure: Option<(u64, Failure)>,
}

/// Why a sync failed, kept for the writers that waited on it: whether the
/// storage is unavailable (and the disk full), and the cause.
#[derive(Clone)]
struct Failure {
    unavailable: Option<bool>,
    cause: String,
}

impl Failure {
    fn of(e: &StoreError) -> Failure {
        Failure {
            unavailable: match e {
                StoreError::Unavailable { disk_full, .. } => Some(*disk_full),
                _ => None,
            },
            cause: e.to_string(),
        }
    }

    /// The error each writer covered by the failed sync gets.
    fn error(&self) -> StoreError {
        let cause = format!("sync failed: {}", self.cause);
        match self.unavailable {
            Some(disk_full) => StoreError::Unavailable { disk_full, cause },
            None => StoreError::Backend(cause),
        }
    }
}

/// Serialises syncs and lets each one acknowledge every write made before it
/// started.
#[derive(Default)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    done: Condvar,
}

/// Clears `running` even if the sync panics, so waiters are not stuck forever.
struct RunningGuard<'a> {
    commit: &'a GroupCommit,
    generation: u64,
    failure: Option<Failure>,
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        let mut st = self.commit.lock();
        st.running = false;
        st.completed = self.generation;
        if std::thread::panicking() {
            self.failure = Some(Failure {
                unavailable: None,
                cause: "the sync panicked".into(),
            });
        }
        if let Some(why) = self.failure.take() {
            st.last_failure = Some((self.generation, why));
        }
        self.commit.done.notify_all();
    }
}

impl GroupCommit {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Returns once a call to `sync` that started after this call began has
    /// succeeded; runs it here if no other thread is syncing.
    ///
    /// A failure is reported to every caller whose generation failed or
    /// whose wait overlapped a later failure: after a failed fsync the kernel
    /// may have dropped dirty pages, so "maybe durable" is reported as not.
    pub(crate) fn sync(&self, sync: &dyn Fn() -> Result<(), StoreError>) -> Result<(), StoreError> {
        let mut st = self.lock();
        // A sync already running may have started before our write: we need
        // the next one.
        let target = st.started + 1;
        loop {
            if st.completed >= target {
                return match &st.last_failure {
                    Some((generation, failure)) if *generation >= target => Err(failure.error()),
                    _ => Ok(()),
                };
            }
            if !st.running {
                st.running = true;
                st.started += 1;
                let mut guard = RunningGuard {
                    commit: self,
                    generation: st.started,
                    failure: None,
                };
                drop(st);
                let result = sync();
                if let Err(e) = &result {
                    guard.failure = Some(Failure::of(e));
                }
                drop(guard);
                return result;
            }
            st = self.done.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    #[test]
    fn every_caller_is_covered_by_a_sync_started_after_its_write_and_syncs_are_shared() {
        let commit = Arc::new(GroupCommit::default());
        let written = Arc::new(AtomicU64::new(0));
        // The highest write number a completed sync is known to cover.
        let durable = Arc::new(AtomicU64::new(0));
        let syncs = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (commit, written, durable, syncs) = (
                    commit.clone(),
                    written.clone(),
                    durable.clone(),
                    syncs.clone(),
                );
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        let mine = written.fetch_add(1, Ordering::SeqCst) + 1;
                        commit
                            .sync(&|| {
                                let covers = written.load(Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(2));
                                syncs.fetch_add(1, Ordering::SeqCst);
                                durable.fetch_max(covers, Ordering::SeqCst);
                                Ok(())
                            })
                            .unwrap();
                        assert!(
                            durable.load(Ordering::SeqCst) >= mine,
                            "write {mine} acknowledged before a covering sync"
                        );
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let syncs = syncs.load(Ordering::SeqCst);
        assert!(
            syncs < 160,
            "no grouping happened: {syncs} syncs for 160 writes"
        );
    }

    #[test]
    fn writers_covered_by_a_sync_that_failed_on_a_full_disk_hear_it_as_such() {
        let failure = Failure::of(&StoreError::Unavailable {
            disk_full: true,
            cause: "No space left on device".into(),
        });
        assert!(matches!(
            failure.error(),
            StoreError::Unavailable {
                disk_full: true,
                ..
            }
        ));
    }

    #[test]
    fn a_failed_sync_is_reported_and_the_next_one_can_succeed() {
        let commit = GroupCommit::default();
        let err = commit
            .sync(&|| Err(StoreError::Backend("disk on fire".into())))
            .unwrap_err();
        assert!(err.to_string().contains("disk on fire"), "{err}");
        commit.sync(&|| Ok(())).unwrap();
    }
}
