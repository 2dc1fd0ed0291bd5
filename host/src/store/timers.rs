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

use super::backend::{TreeId, Tx};
use super::keys::KeyBuf;
use super::outbox::queue;
use super::{OutgoingMessage, Result, Store, StoreError, decode, tx_read};

/// The contract's timer limits (`portico_contract::limits::timers`).
pub use portico_contract::limits::timers::{
    MAX_HORIZON_MS as MAX_TIMER_HORIZON_MS, MAX_PAYLOAD_BYTES as MAX_TIMER_PAYLOAD_BYTES,
    MAX_PENDING as MAX_PENDING_TIMERS, MAX_PER_CALL as MAX_TIMERS_PER_CALL,
};

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

/// The `Meta` key counting the pending timers of (structure, area).
fn pending_key(structure: &str, area: &str) -> Vec<u8> {
    KeyBuf::new()
        .raw(b"timers-pending/")
        .part(structure.as_bytes())
        .part(area.as_bytes())
        .finish()
}

fn decode_count(stored: Option<Vec<u8>>) -> Result<u64> {
    Ok(match stored {
        Some(v) => u64::from_be_bytes(
            v.as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("pending-timer count is not 8 bytes".into()))?,
        ),
        None => 0,
    })
}

fn read_count(tx: &mut dyn Tx, key: &[u8]) -> Result<u64> {
    decode_count(tx.get(TreeId::Meta, key)?)
}

/// Adds `delta` to the pending timers of the owner of `m`, inside `tx`;
/// `LimitExceeded` past [`MAX_PENDING_TIMERS`].
pub(super) fn count_pending(tx: &mut dyn Tx, m: &OutgoingMessage, delta: i64) -> Result<()> {
    let key = pending_key(&m.to_structure, &m.to_area);
    let count = read_count(tx, &key)?.saturating_add_signed(delta);
    if delta > 0 && count > MAX_PENDING_TIMERS {
        return Err(StoreError::LimitExceeded(format!(
            "area `{}` already has {MAX_PENDING_TIMERS} pending timers in this structure; cancel some or let them fire",
            m.to_area
        )));
    }
    if count == 0 {
        tx.delete(TreeId::Meta, &key)?;
    } else {
        tx.put(TreeId::Meta, &key, &count.to_be_bytes())?;
    }
    Ok(())
}

/// The due time a timer id (a `Timers` key) starts with.
fn due_of(key: &[u8]) -> Option<u64> {
    std::str::from_utf8(key.get(..13)?).ok()?.parse().ok()
}

impl Store {
    /// How many timers `area` has pending in `structure`.
    pub fn pending_timer_count(&self, structure: &str, area: &str) -> Result<u64> {
        decode_count(
            self.backend()
                .get(TreeId::Meta, &pending_key(structure, area))?,
        )
    }

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
            // The worker asks every 100 ms; mostly nothing is due. Ids start
            // with the due time, so the keys alone say what is: probe one,
            // then decode only due entries.
            let is_due = |key: &[u8]| due_of(key).is_some_and(|due| due <= now_ms);
            let first = self.backend().scan(TreeId::Timers, b"", None, 1)?;
            if !first.first().is_some_and(|(k, _)| is_due(k)) {
                return Ok(moved);
            }
            let due: Vec<TimerEntry> = self
                .backend()
                .scan(TreeId::Timers, b"", None, PROMOTE_BATCH)?
                .into_iter()
                .take_while(|(k, _)| is_due(k))
                .map(|(k, v)| decode(TreeId::Timers, &k, &v))
                .collect::<Result<_>>()?;
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
                        count_pending(tx, &t.message, -1)?;
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
    fn an_area_holds_at_most_max_pending_timers_per_structure() {
        let (_dir, store) = temp_store();
        for i in 0..MAX_PENDING_TIMERS / 100 {
            let batch = CallBatch {
                timers: (0..100).map(|j| timer(10_000 + i * 100 + j, "t")).collect(),
                ..Default::default()
            };
            store.commit_call(&batch, 1).unwrap();
        }
        assert_eq!(
            store
                .pending_timer_count("73282932000074", "works")
                .unwrap(),
            MAX_PENDING_TIMERS
        );
        let one_more = CallBatch {
            timers: vec![timer(50_000, "t")],
            ..Default::default()
        };
        let err = store.commit_call(&one_more, 2).unwrap_err();
        assert!(matches!(err, StoreError::LimitExceeded(_)), "{err}");
        // Firing and cancelling make room again.
        assert_eq!(store.promote_due_timers(10_000).unwrap(), 1);
        let first = store.pending_timers(1).unwrap().remove(0);
        let cancel = CallBatch {
            cancelled_timers: vec![first.message.id.clone()],
            ..Default::default()
        };
        store.commit_call(&cancel, 3).unwrap();
        assert_eq!(
            store
                .pending_timer_count("73282932000074", "works")
                .unwrap(),
            MAX_PENDING_TIMERS - 2
        );
        store.commit_call(&one_more, 4).unwrap();
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
