//! Durable timers: messages an area schedules for itself (contract 1.1.0).
//!
//! A timer is an [`OutgoingMessage`] from (structure, area) to the same
//! (structure, area), kept in the `Timers` tree until it is due. Its id
//! starts with the due time in milliseconds, zero-padded, so the tree walks
//! soonest first and "what is due" is a prefix of it. Scheduling and
//! cancelling are part of a call's batch ([`super::CallBatch`]), committed
//! in the call's one transaction. Once due, [`Store::promote_due_timers`]
//! moves a timer to the outbox (with its flow line) in one transaction, and
//! the delivery worker hands it to the area's `on-message` like any message:
//! same retries, same at-least-once, same crash safety. A timer can be
//! cancelled until it is promoted; after that it is on its way.

use serde::{Deserialize, Serialize};

use super::backend::TreeId;
use super::outbox::queue;
use super::{OutgoingMessage, Result, Store, decode, tx_read};

/// Timers one sandboxed call may schedule.
pub const MAX_TIMERS_PER_CALL: usize = 100;

/// How far ahead a timer may be set: ten years (the longest legal delays the
/// domain knows are months; this only refuses nonsense such as `u64::MAX`).
pub const MAX_TIMER_HORIZON_MS: u64 = 10 * 366 * 24 * 3600 * 1000;

/// Due timers moved to the outbox per transaction.
const PROMOTE_BATCH: usize = 100;

/// A scheduled timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerEntry {
    /// The message it delivers; `message.id` is the timer id.
    pub message: OutgoingMessage,
    /// When it is due, ms since the epoch (the host's clock).
    pub due_ms: u64,
    /// When it was scheduled.
    pub created_ms: u64,
}

/// A new timer id: the due time (ms, 13 digits) then 16 random hex digits,
/// so ids sort by due time.
pub fn new_timer_id(due_ms: u64) -> String {
    super::new_message_id(due_ms)
}

impl Store {
    /// The pending timer `id`, if it has not fired (nor been cancelled).
    pub fn timer(&self, id: &str) -> Result<Option<TimerEntry>> {
        self.read(TreeId::Timers, id.as_bytes())
    }

    /// Up to `limit` pending timers, soonest first.
    pub fn pending_timers(&self, limit: usize) -> Result<Vec<TimerEntry>> {
        self.backend()
            .scan(TreeId::Timers, b"", None, limit)?
            .into_iter()
            .map(|(k, v)| decode(TreeId::Timers, &k, &v))
            .collect()
    }

    /// Moves the timers due at `now_ms` to the outbox, soonest first, each
    /// with its flow line and in one transaction per batch, so a crash
    /// leaves every timer either pending or queued, never lost nor doubled.
    /// Returns how many moved.
    pub fn promote_due_timers(&self, now_ms: u64) -> Result<usize> {
        let mut moved = 0;
        loop {
            let due: Vec<TimerEntry> = self
                .pending_timers(PROMOTE_BATCH)?
                .into_iter()
                .take_while(|t| t.due_ms <= now_ms)
                .collect();
            if due.is_empty() {
                return Ok(moved);
            }
            let n = due.len();
            moved += self.write(|tx| {
                let mut n = 0;
                for t in &due {
                    let id = t.message.id.as_bytes();
                    // A cancel may have committed since the scan.
                    if tx_read::<TimerEntry>(tx, TreeId::Timers, id)?.is_some() {
                        tx.delete(TreeId::Timers, id)?;
                        queue(tx, &t.message, now_ms)?;
                        n += 1;
                    }
                }
                Ok(n)
            })?;
            if n < PROMOTE_BATCH {
                return Ok(moved);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;
    use crate::store::{CallBatch, FlowState, StoreError};

    fn timer(due_ms: u64, kind: &str) -> TimerEntry {
        TimerEntry {
            message: OutgoingMessage {
                id: new_timer_id(due_ms),
                from_structure: "73282932000074".into(),
                from_area: "works".into(),
                to_structure: "73282932000074".into(),
                to_area: "works".into(),
                kind: kind.into(),
                payload: "{}".into(),
            },
            due_ms,
            created_ms: 1,
        }
    }

    #[test]
    fn a_timer_waits_in_its_tree_until_due_then_joins_the_outbox() {
        let (_dir, store) = temp_store();
        let (soon, late) = (timer(1_000, "soon"), timer(5_000, "late"));
        let batch = CallBatch {
            timers: vec![late.clone(), soon.clone()],
            ..Default::default()
        };
        store.commit_call(&batch, 1).unwrap();
        let pending = store.pending_timers(10).unwrap();
        assert_eq!(pending, [soon.clone(), late.clone()], "soonest first");
        assert!(store.outbox_page(None, 10).unwrap().is_empty());

        assert_eq!(store.promote_due_timers(999).unwrap(), 0, "not yet due");
        assert_eq!(store.promote_due_timers(1_000).unwrap(), 1);
        let out = store.outbox_page(None, 10).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].message, soon.message);
        let flow = store.flow(&soon.message.id).unwrap().unwrap();
        assert_eq!(flow.state, FlowState::Queued);
        assert_eq!(store.pending_timers(10).unwrap(), [late]);
    }

    #[test]
    fn cancelling_commits_with_the_call_and_fails_if_the_timer_fired_meanwhile() {
        let (_dir, store) = temp_store();
        let (a, b) = (timer(1_000, "a"), timer(2_000, "b"));
        let batch = CallBatch {
            timers: vec![a.clone(), b.clone()],
            ..Default::default()
        };
        store.commit_call(&batch, 1).unwrap();

        let cancel_b = CallBatch {
            cancelled_timers: vec![b.message.id.clone()],
            ..Default::default()
        };
        store.commit_call(&cancel_b, 2).unwrap();
        assert_eq!(store.pending_timers(10).unwrap(), std::slice::from_ref(&a));

        // The call saw `a` pending, but it fired before the call committed:
        // the commit conflicts (the call is re-run and sees it gone).
        store.promote_due_timers(1_500).unwrap();
        let cancel_a = CallBatch {
            cancelled_timers: vec![a.message.id.clone()],
            ..Default::default()
        };
        let err = store.commit_call(&cancel_a, 3).unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert_eq!(store.outbox_page(None, 10).unwrap().len(), 1);
    }
}
