//! `portico:area/timers` (contract 1.1.0): messages an area schedules for
//! itself, delivered to its `on-message` no earlier than a given time.
//!
//! Like `messages.send`, both calls only change the call's batch: the timer
//! is stored (or removed) in the same transaction as the call's other
//! writes, when the call answers successfully. A timer is scoped by the
//! host to the calling area and the current structure; an area cannot see,
//! cancel or address another's.

use super::{HostCall, HostState, MAX_CALL_WRITE_BYTES, refused, store_error};
use crate::runtime::bindings::portico::area::timers::Host;
use crate::runtime::bindings::types::HostError;
use crate::store::{OutgoingMessage, TimerEntry, new_timer_id};
use portico_contract::limits::timers as limits;

impl Host for HostState {
    fn schedule(&mut self, at_ms: u64, kind: String, payload: String) -> Result<String, HostError> {
        let scope = self.authorize(HostCall::TimersSchedule)?.clone();
        let structure = self.structure()?.to_string();
        let now = self.now_ms();
        limits::check_schedule(at_ms, now, &kind, payload.len()).map_err(refused)?;
        let pending = self
            .store()?
            .pending_timer_count(&structure, &scope.area)
            .map_err(|e| store_error(&scope, e))?;
        // Cancels in this call free their places at commit.
        let pending = (pending + self.batch.timers.len() as u64)
            .saturating_sub(self.batch.cancelled_timers.len() as u64);
        limits::check_count(self.batch.timers.len(), pending).map_err(refused)?;
        if self.buffered_bytes + payload.len() > MAX_CALL_WRITE_BYTES {
            return Err(HostError::LimitExceeded(format!(
                "one request may write at most {} MiB",
                MAX_CALL_WRITE_BYTES >> 20
            )));
        }
        self.buffered_bytes += payload.len();
        // A time in the past is due at once: it fires on the worker's next pass.
        let id = new_timer_id(at_ms);
        self.batch.timers.push(TimerEntry {
            message: OutgoingMessage {
                id: id.clone(),
                from_structure: structure.clone(),
                from_area: scope.area.clone(),
                to_structure: structure,
                to_area: scope.area,
                kind,
                payload,
            },
            due_ms: at_ms,
            created_ms: now,
        });
        Ok(id)
    }

    fn cancel(&mut self, id: String) -> Result<bool, HostError> {
        let scope = self.authorize(HostCall::TimersCancel)?.clone();
        let structure = self.structure()?.to_string();
        let mine = |m: &OutgoingMessage| m.from_structure == structure && m.from_area == scope.area;
        // Scheduled by this very call: it never reaches the store.
        if let Some(at) = self.batch.timers.iter().position(|t| t.message.id == id) {
            let t = self.batch.timers.remove(at);
            self.buffered_bytes -= t.message.payload.len();
            return Ok(true);
        }
        if self.batch.cancelled_timers.contains(&id) {
            return Ok(false);
        }
        let stored = self
            .store()?
            .timer(&id)
            .map_err(|e| store_error(&scope, e))?;
        // Another area's or structure's timer answers as an unknown one.
        match stored {
            Some(t) if mine(&t.message) => {
                self.batch.cancelled_timers.push(id);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
