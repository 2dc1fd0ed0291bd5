//! Durable messages between structures, and the atomic write of one
//! sandboxed call.
//!
//! A call's kv writes, fact changes and sent messages are committed by
//! [`Store::commit_call`] in **one** transaction, so a message is queued if
//! and only if the sender's own state change is: a crash can lose neither
//! half alone. Three trees hold messages:
//! - `Outbox`: id → [`OutboxEntry`], messages not yet delivered (or bounced);
//! - `Inbox`: (structure, area, id) → time, messages an area already took, so
//!   a redelivery after a crash is recognised;
//! - `Flows`: id → [`Flow`], the permanent log (sender, recipient, kind,
//!   state, attempts, last error) behind the Data flow overview.
//!
//! Message ids start with the send time in milliseconds, zero-padded, so the
//! outbox walks oldest first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::backend::{TreeId, Tx};
use super::installs::require_structure;
use super::keys::KeyBuf;
use super::kv::{Namespace, tx_add_usage, tx_kv_write};
use super::timers::{TimerEntry, count_pending};
use super::{Result, Store, StoreError, decode, encode, tx_read, tx_write};

/// Largest payload of one message (the contract's limit): messages carry
/// references and small documents (an invoice's fields), not files.
pub const MAX_PAYLOAD_BYTES: usize = portico_contract::limits::messages::MAX_PAYLOAD_BYTES;

/// Messages one sandboxed call may send (the contract's limit).
pub const MAX_MESSAGES_PER_CALL: usize = portico_contract::limits::messages::MAX_PER_CALL;

/// A message as an area sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// Unique id (see [`new_message_id`]).
    pub id: String,
    /// Sending structure.
    pub from_structure: String,
    /// Sending area.
    pub from_area: String,
    /// Recipient structure's identifier.
    pub to_structure: String,
    /// Recipient area.
    pub to_area: String,
    /// Application-defined kind.
    pub kind: String,
    /// Application-defined payload.
    pub payload: String,
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The message.
    pub message: OutgoingMessage,
    /// When it was sent, ms since the epoch.
    pub created_ms: u64,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// Not before this time, ms since the epoch (backoff).
    pub next_attempt_ms: u64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// Where a flow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowState {
    /// In the outbox; `attempts` says how many tries failed.
    Queued,
    /// The recipient area took it.
    Delivered,
    /// Given up; the sender was told (`delivery-failed`).
    Failed,
}

/// One line of the flow log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// Message id.
    pub id: String,
    /// Sending structure.
    pub from_structure: String,
    /// Sending area.
    pub from_area: String,
    /// Recipient structure.
    pub to_structure: String,
    /// Recipient area.
    pub to_area: String,
    /// Message kind.
    pub kind: String,
    /// When it was sent.
    pub created_ms: u64,
    /// Last change of state.
    pub updated_ms: u64,
    /// Current state.
    pub state: FlowState,
    /// Delivery attempts made.
    pub attempts: u32,
    /// Why the last attempt failed, or why the flow failed.
    pub last_error: Option<String>,
}

/// What one sandboxed call wants to write, committed all or nothing.
#[derive(Debug, Default)]
pub struct CallBatch {
    /// The call's kv namespace; `None` when the call had no storage.
    pub ns: Option<Namespace>,
    /// Keys the call read from the store, with the stored bytes it saw
    /// (`None`: absent). Re-checked at commit: a change means another call
    /// wrote in between, and the commit fails with `Conflict`.
    pub reads: BTreeMap<String, Option<Vec<u8>>>,
    /// Keys to set (`Some`) or delete (`None`).
    pub writes: BTreeMap<String, Option<Vec<u8>>>,
    /// Facts of (structure, area) to set (`Some`) or clear (`None`).
    pub facts: Vec<FactChange>,
    /// Messages to queue.
    pub messages: Vec<OutgoingMessage>,
    /// The message this call consumed (an `on-message` call): leaves the
    /// outbox and enters the recipient's inbox in the same transaction.
    pub consumed: Option<OutgoingMessage>,
    /// Timers to schedule (`timers.rs`).
    pub timers: Vec<TimerEntry>,
    /// Ids of pending timers to cancel. Each must still be pending at
    /// commit (the call saw it so): if it fired meanwhile the commit fails
    /// with `Conflict` and the call is re-run.
    pub cancelled_timers: Vec<String>,
}

/// One fact change of a batch.
#[derive(Debug, Clone)]
pub struct FactChange {
    /// Structure.
    pub structure: String,
    /// Publishing area.
    pub area: String,
    /// Fact name.
    pub name: String,
    /// New value; `None` clears it.
    pub value: Option<Value>,
}

impl CallBatch {
    /// Whether committing would write anything.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
            && self.facts.is_empty()
            && self.messages.is_empty()
            && self.consumed.is_none()
            && self.timers.is_empty()
            && self.cancelled_timers.is_empty()
    }
}

/// A new message id: send time (ms, 13 digits) then 16 random hex digits.
pub fn new_message_id(now_ms: u64) -> String {
    let mut bytes = [0u8; 8];
    // An id collision needs the same millisecond and 64 equal random bits.
    let _ = getrandom::fill(&mut bytes);
    format!("{now_ms:013}-{}", hex::encode(bytes))
}

fn inbox_key(structure: &str, area: &str, id: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(structure.as_bytes())
        .part(area.as_bytes())
        .raw(id.as_bytes())
        .finish()
}

fn fact_key(structure: &str, area: &str, name: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(structure.as_bytes())
        .part(area.as_bytes())
        .raw(name.as_bytes())
        .finish()
}

/// Queues `m` in the outbox with its flow line, inside `tx`.
pub(super) fn queue(tx: &mut dyn Tx, m: &OutgoingMessage, now_ms: u64) -> Result<()> {
    let entry = OutboxEntry {
        message: m.clone(),
        created_ms: now_ms,
        attempts: 0,
        next_attempt_ms: now_ms,
        last_error: None,
    };
    tx_write(tx, TreeId::Outbox, m.id.as_bytes(), &entry)?;
    let flow = Flow {
        id: m.id.clone(),
        from_structure: m.from_structure.clone(),
        from_area: m.from_area.clone(),
        to_structure: m.to_structure.clone(),
        to_area: m.to_area.clone(),
        kind: m.kind.clone(),
        created_ms: now_ms,
        updated_ms: now_ms,
        state: FlowState::Queued,
        attempts: 0,
        last_error: None,
    };
    tx_write(tx, TreeId::Flows, m.id.as_bytes(), &flow)
}

fn update_flow(tx: &mut dyn Tx, id: &str, now_ms: u64, f: impl FnOnce(&mut Flow)) -> Result<()> {
    if let Some(mut flow) = tx_read::<Flow>(tx, TreeId::Flows, id.as_bytes())? {
        f(&mut flow);
        flow.updated_ms = now_ms;
        tx_write(tx, TreeId::Flows, id.as_bytes(), &flow)?;
    }
    Ok(())
}

impl Store {
    /// The stored (tagged) bytes of a kv key, for [`CallBatch::reads`].
    pub fn kv_get_raw(&self, ns: &Namespace, key: &str) -> Result<Option<Vec<u8>>> {
        let k = ns.key(key)?;
        self.backend().get(TreeId::Kv, &k)
    }

    /// Checks a key (and value) against the kv limits without writing.
    pub fn kv_check(&self, ns: &Namespace, key: &str, value: Option<&[u8]>) -> Result<()> {
        ns.key(key)?;
        if let Some(v) = value {
            super::kv::check_value(v)?;
        }
        Ok(())
    }

    /// Decodes stored bytes read by [`Store::kv_get_raw`] into the value.
    pub fn kv_decode(&self, stored: &[u8]) -> Result<Vec<u8>> {
        self.large_decode(stored)
    }

    /// Commits a call's batch in one transaction and returns once it is
    /// durable. `Conflict` if a key the call read changed meanwhile (the
    /// caller re-runs the call); nothing is written then.
    pub fn commit_call(&self, batch: &CallBatch, now_ms: u64) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let ns = batch.ns.as_ref();
        let mut writes = Vec::with_capacity(batch.writes.len());
        for (key, value) in &batch.writes {
            let ns =
                ns.ok_or_else(|| StoreError::Invalid("kv writes without a namespace".into()))?;
            let stored = match value {
                Some(v) => {
                    super::kv::check_value(v)?;
                    // Large values go to the file store before the
                    // transaction; an aborted commit leaves an unreferenced
                    // file (see `blobs.rs` on collection).
                    Some(self.inner.large.encode(v)?)
                }
                None => None,
            };
            writes.push((ns.key(key)?, key.len(), stored));
        }
        let usage_key = ns.map(Namespace::prefix);
        let mut reads = Vec::with_capacity(batch.reads.len());
        if let Some(ns) = ns {
            for (key, seen) in &batch.reads {
                reads.push((key.as_str(), ns.key(key)?, seen));
            }
        }
        let mut facts = Vec::with_capacity(batch.facts.len());
        for f in &batch.facts {
            let stored = match &f.value {
                Some(v) => Some(self.inner.large.encode(&encode(v)?)?),
                None => None,
            };
            facts.push((f, fact_key(&f.structure, &f.area, &f.name), stored));
        }
        self.write(|tx| {
            for (key, full, seen) in &reads {
                if tx.get(TreeId::Kv, full)?.as_ref() != seen.as_ref() {
                    return Err(StoreError::Conflict(format!(
                        "`{key}` was changed by another request while this one ran"
                    )));
                }
            }
            let mut delta = 0;
            for (full, key_len, stored) in &writes {
                delta += tx_kv_write(tx, full, *key_len, stored.as_ref())?.delta;
            }
            if let Some(prefix) = &usage_key {
                tx_add_usage(tx, prefix, delta)?;
            }
            for (f, key, stored) in &facts {
                match stored {
                    Some(s) => {
                        require_structure(tx, &f.structure)?;
                        s.put_row(tx)?;
                        tx.put(TreeId::Facts, key, s.stored())?;
                    }
                    None => {
                        tx.delete(TreeId::Facts, key)?;
                    }
                }
            }
            for m in &batch.messages {
                queue(tx, m, now_ms)?;
            }
            for id in &batch.cancelled_timers {
                let Some(t) = tx_read::<TimerEntry>(tx, TreeId::Timers, id.as_bytes())? else {
                    return Err(StoreError::Conflict(format!(
                        "timer {id} fired while this request ran"
                    )));
                };
                tx.delete(TreeId::Timers, id.as_bytes())?;
                count_pending(tx, &t.message, -1)?;
            }
            for t in &batch.timers {
                tx_write(tx, TreeId::Timers, t.message.id.as_bytes(), t)?;
                count_pending(tx, &t.message, 1)?;
            }
            if let Some(m) = &batch.consumed {
                consume(tx, m, now_ms)?;
            }
            Ok(())
        })
    }

    /// Up to `limit` outbox entries, oldest first, starting after `after`.
    pub fn outbox_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.backend()
            .scan(TreeId::Outbox, b"", after.map(str::as_bytes), limit)?
            .into_iter()
            .map(|(k, v)| decode(TreeId::Outbox, &k, &v))
            .collect()
    }

    /// Whether `area` of `structure` already took message `id`.
    pub fn inbox_has(&self, structure: &str, area: &str, id: &str) -> Result<bool> {
        Ok(self
            .backend()
            .get(TreeId::Inbox, &inbox_key(structure, area, id))?
            .is_some())
    }

    /// Marks a message delivered without a call (a redelivery of a message
    /// the area already took).
    pub fn mark_delivered(&self, m: &OutgoingMessage, now_ms: u64) -> Result<()> {
        self.write(|tx| consume(tx, m, now_ms))
    }

    /// Records a failed attempt; the message stays queued until `next_ms`.
    pub fn delivery_retry(&self, id: &str, error: &str, next_ms: u64, now_ms: u64) -> Result<()> {
        self.write(|tx| {
            let Some(mut entry) = tx_read::<OutboxEntry>(tx, TreeId::Outbox, id.as_bytes())? else {
                return Ok(());
            };
            entry.attempts += 1;
            entry.next_attempt_ms = next_ms;
            entry.last_error = Some(error.to_string());
            tx_write(tx, TreeId::Outbox, id.as_bytes(), &entry)?;
            update_flow(tx, id, now_ms, |f| {
                f.attempts = entry.attempts;
                f.last_error = Some(error.to_string());
            })
        })
    }

    /// Gives up on a message: out of the outbox, flow `Failed` with the
    /// reason, and `bounce` (the sender's `delivery-failed` notice, if any)
    /// queued in the same transaction, so the sender always hears of it.
    pub fn delivery_failed(
        &self,
        id: &str,
        reason: &str,
        bounce: Option<&OutgoingMessage>,
        now_ms: u64,
    ) -> Result<()> {
        self.write(|tx| {
            let attempts = tx_read::<OutboxEntry>(tx, TreeId::Outbox, id.as_bytes())?
                .map_or(0, |e| e.attempts + 1);
            tx.delete(TreeId::Outbox, id.as_bytes())?;
            update_flow(tx, id, now_ms, |f| {
                f.state = FlowState::Failed;
                f.attempts = attempts;
                f.last_error = Some(reason.to_string());
            })?;
            if let Some(b) = bounce {
                queue(tx, b, now_ms)?;
            }
            Ok(())
        })
    }

    /// One flow, by message id.
    pub fn flow(&self, id: &str) -> Result<Option<Flow>> {
        self.read(TreeId::Flows, id.as_bytes())
    }

    /// Up to `limit` flows sent or received by `structure`, oldest first.
    /// Walks the whole log: fine for the operator and tests; the Data flow
    /// overview will want a per-structure index.
    pub fn flows_of(&self, structure: &str, limit: usize) -> Result<Vec<Flow>> {
        let mut out = Vec::new();
        self.walk(TreeId::Flows, b"", |(k, v)| {
            let flow: Flow = decode(TreeId::Flows, k, v)?;
            if out.len() < limit
                && (flow.from_structure == structure || flow.to_structure == structure)
            {
                out.push(flow);
            }
            Ok(())
        })?;
        Ok(out)
    }
}

pub(super) fn consume(tx: &mut dyn Tx, m: &OutgoingMessage, now_ms: u64) -> Result<()> {
    tx.delete(TreeId::Outbox, m.id.as_bytes())?;
    tx.put(
        TreeId::Inbox,
        &inbox_key(&m.to_structure, &m.to_area, &m.id),
        &now_ms.to_be_bytes(),
    )?;
    update_flow(tx, &m.id, now_ms, |f| {
        f.state = FlowState::Delivered;
        f.attempts += 1;
        f.last_error = None;
    })
}

impl Store {
    /// The newest `limit` flows, newest first (the operator console).
    pub fn recent_flows(&self, limit: usize) -> Result<Vec<Flow>> {
        let mut all: std::collections::VecDeque<Flow> = std::collections::VecDeque::new();
        self.walk(TreeId::Flows, b"", |(k, v)| {
            all.push_back(decode(TreeId::Flows, k, v)?);
            if all.len() > limit {
                all.pop_front();
            }
            Ok(())
        })?;
        Ok(all.into_iter().rev().collect())
    }

    /// Entries of `area`'s kv whose key starts with `key_prefix`, across
    /// every structure (owner id, key, value), at most `limit`. For the
    /// operator console, which lists what areas leave for the platform
    /// (e.g. support requests); areas themselves never see other owners.
    pub fn kv_scan_area(
        &self,
        area: &str,
        key_prefix: &str,
        limit: usize,
    ) -> Result<Vec<(String, String, Vec<u8>)>> {
        let prefix = KeyBuf::new().part(area.as_bytes()).tag(b'S').finish();
        let mut out = Vec::new();
        self.walk(TreeId::Kv, &prefix, |(k, v)| {
            if out.len() >= limit {
                return Ok(());
            }
            let Some((owner, key)) = super::keys::split_part(&k[prefix.len()..]) else {
                return Err(StoreError::Corrupt("kv key does not decode".into()));
            };
            if key.starts_with(key_prefix.as_bytes()) {
                out.push((
                    super::utf8("kv owner", owner)?,
                    super::utf8("kv key", key)?,
                    self.large_decode(v)?,
                ));
            }
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    fn msg(id: &str) -> OutgoingMessage {
        OutgoingMessage {
            id: id.into(),
            from_structure: "73282932000074".into(),
            from_area: "issued-invoices".into(),
            to_structure: "13000165200010".into(),
            to_area: "received-invoices".into(),
            kind: "invoice-sent".into(),
            payload: "{}".into(),
        }
    }

    #[test]
    fn a_batch_writes_state_and_queues_messages_together() {
        let (_dir, store) = temp_store();
        let ns = Namespace::structure("issued-invoices", "73282932000074");
        let mut batch = CallBatch {
            ns: Some(ns.clone()),
            ..Default::default()
        };
        batch
            .writes
            .insert("invoice/1".into(), Some(b"sent".to_vec()));
        batch.messages.push(msg("0000000000001-aa"));
        store.commit_call(&batch, 1).unwrap();
        assert_eq!(
            store.kv_get(&ns, "invoice/1").unwrap().as_deref(),
            Some(&b"sent"[..])
        );
        let out = store.outbox_page(None, 10).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            store.flow("0000000000001-aa").unwrap().unwrap().state,
            FlowState::Queued
        );

        let delivery = CallBatch {
            consumed: Some(msg("0000000000001-aa")),
            ..Default::default()
        };
        store.commit_call(&delivery, 2).unwrap();
        assert!(store.outbox_page(None, 10).unwrap().is_empty());
        assert!(
            store
                .inbox_has("13000165200010", "received-invoices", "0000000000001-aa")
                .unwrap()
        );
        let flow = store.flow("0000000000001-aa").unwrap().unwrap();
        assert_eq!((flow.state, flow.attempts), (FlowState::Delivered, 1));
    }

    #[test]
    fn a_stale_read_aborts_the_whole_batch() {
        let (_dir, store) = temp_store();
        let ns = Namespace::structure("a", "s");
        store.kv_set(&ns, "counter", b"1").unwrap();
        let seen = store.kv_get_raw(&ns, "counter").unwrap();
        store.kv_set(&ns, "counter", b"2").unwrap();
        let mut batch = CallBatch {
            ns: Some(ns.clone()),
            ..Default::default()
        };
        batch.reads.insert("counter".into(), seen);
        batch.writes.insert("counter".into(), Some(b"2+1".to_vec()));
        batch.messages.push(msg("0000000000001-bb"));
        let err = store.commit_call(&batch, 1).unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m) if m.contains("counter")),
            "{err}"
        );
        assert_eq!(
            store.kv_get(&ns, "counter").unwrap().as_deref(),
            Some(&b"2"[..])
        );
        assert!(
            store.outbox_page(None, 10).unwrap().is_empty(),
            "no message without the state"
        );
    }

    #[test]
    fn the_console_scans_one_area_across_structures_and_lists_newest_flows() {
        let (_dir, store) = temp_store();
        store
            .kv_set(&Namespace::structure("sent-requests", "A"), "req/1", b"a")
            .unwrap();
        store
            .kv_set(&Namespace::structure("sent-requests", "B"), "req/2", b"b")
            .unwrap();
        store
            .kv_set(&Namespace::structure("sent-requests", "B"), "file/2", b"x")
            .unwrap();
        store
            .kv_set(&Namespace::user("sent-requests", "U"), "req/3", b"u")
            .unwrap();
        store
            .kv_set(&Namespace::structure("other", "A"), "req/4", b"o")
            .unwrap();
        let found = store.kv_scan_area("sent-requests", "req/", 10).unwrap();
        assert_eq!(
            found,
            [
                ("A".into(), "req/1".into(), b"a".to_vec()),
                ("B".into(), "req/2".into(), b"b".to_vec())
            ]
        );
        let mut batch = CallBatch::default();
        batch.messages.push(msg("0000000000001-aa"));
        batch.messages.push(msg("0000000000002-bb"));
        store.commit_call(&batch, 1).unwrap();
        let ids: Vec<String> = store
            .recent_flows(1)
            .unwrap()
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(ids, ["0000000000002-bb"]);
    }

    #[test]
    fn a_failed_delivery_bounces_to_the_sender_in_the_same_write() {
        let (_dir, store) = temp_store();
        let mut batch = CallBatch::default();
        batch.messages.push(msg("0000000000001-cc"));
        store.commit_call(&batch, 1).unwrap();
        store
            .delivery_retry("0000000000001-cc", "busy", 50, 2)
            .unwrap();
        let mut bounce = msg("0000000000003-dd");
        bounce.kind = "delivery-failed".into();
        store
            .delivery_failed("0000000000001-cc", "no such structure", Some(&bounce), 3)
            .unwrap();
        let flow = store.flow("0000000000001-cc").unwrap().unwrap();
        assert_eq!(flow.state, FlowState::Failed);
        assert_eq!(flow.attempts, 2);
        assert_eq!(flow.last_error.as_deref(), Some("no such structure"));
        let out = store.outbox_page(None, 10).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].message.kind, "delivery-failed");
        assert_eq!(store.flows_of("73282932000074", 10).unwrap().len(), 2);
    }
}
