//! Delivery leases: several hosts on one database deliver each destination's
//! messages one host at a time.
//!
//! A destination is a (structure, area). Before a host hands a message to
//! its recipient it *claims* the message ([`Store::claim_delivery`]): one
//! transaction reads the message from the outbox and the destination's
//! lease, and writes the lease (host id, expiry) if nobody else holds it
//! or the holder's lease has expired. While it delivers, the host renews
//! its lease ([`Store::renew_lease`]); when its pass ends it releases them
//! ([`Store::release_leases`]). A host killed with `kill -9` releases
//! nothing: its leases expire after [`LEASE_MS`], and another host claims
//! the destination and redelivers what is still in the outbox (the
//! recipient's inbox recognises a message it already took).
//!
//! Order per destination holds because a host claims the destination, not
//! one message: another host sees it busy and holds back *all* that
//! destination's messages for its pass.
//!
//! Leases are written without waiting for durability: a lease lost in a
//! crash belonged to a host that is gone anyway.

use serde::{Deserialize, Serialize};

use super::backend::{TreeId, Tx};
use super::keys::{KeyBuf, split_part};
use super::{OutboxEntry, Result, Store, StoreError, decode, tx_read, tx_write, utf8};

/// How long a lease lasts without renewal: longer than the longest call an
/// area may make (`limits.timeout-ms` ≤ 30 s), so a live host renewing
/// every [`LEASE_RENEW_MS`] never loses one mid-delivery.
pub const LEASE_MS: u64 = 60_000;

/// How often a delivering host renews its leases.
pub const LEASE_RENEW_MS: u64 = 10_000;

/// A destination's lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The host delivering to the destination.
    pub host: String,
    /// Until when, ms since the epoch; after it any host may claim.
    pub expires_ms: u64,
}

/// A destination and its lease, for the operator console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationLease {
    /// Recipient structure.
    pub structure: String,
    /// Recipient area.
    pub area: String,
    /// The lease.
    pub lease: Lease,
}

/// What [`Store::claim_delivery`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The message, as it is now; this host holds its destination's lease.
    Claimed(OutboxEntry),
    /// Another host holds the destination's lease (until `expires_ms`).
    Busy {
        /// The holder.
        host: String,
        /// When its lease expires unless renewed.
        expires_ms: u64,
    },
    /// The message is waiting for a retry (its `next_attempt_ms` is later).
    NotDue(OutboxEntry),
    /// The message left the outbox (another host delivered it).
    Gone,
}

fn lease_key(structure: &str, area: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(structure.as_bytes())
        .part(area.as_bytes())
        .finish()
}

/// Writes `host`'s lease on (structure, area) if it is free, expired or
/// already `host`'s; `Err(lease)` with the holder's lease otherwise.
fn take(
    tx: &mut dyn Tx,
    key: &[u8],
    host: &str,
    now_ms: u64,
) -> Result<std::result::Result<(), Lease>> {
    if let Some(held) = tx_read::<Lease>(tx, TreeId::Leases, key)?
        && held.host != host
        && held.expires_ms > now_ms
    {
        return Ok(Err(held));
    }
    let lease = Lease {
        host: host.to_owned(),
        expires_ms: now_ms + LEASE_MS,
    };
    tx_write(tx, TreeId::Leases, key, &lease)?;
    Ok(Ok(()))
}

impl Store {
    /// Claims message `id` for `host`: in one transaction, reads it from the
    /// outbox and takes (or extends) its destination's lease. The lease is
    /// taken only for a message that is still queued and due.
    pub fn claim_delivery(&self, host: &str, id: &str, now_ms: u64) -> Result<Claim> {
        self.transact(|tx| {
            let Some(entry) = tx_read::<OutboxEntry>(tx, TreeId::Outbox, id.as_bytes())? else {
                return Ok(Claim::Gone);
            };
            let key = lease_key(&entry.message.to_structure, &entry.message.to_area);
            if let Some(held) = tx_read::<Lease>(tx, TreeId::Leases, &key)?
                && held.host != host
                && held.expires_ms > now_ms
            {
                return Ok(Claim::Busy {
                    host: held.host,
                    expires_ms: held.expires_ms,
                });
            }
            if entry.next_attempt_ms > now_ms {
                return Ok(Claim::NotDue(entry));
            }
            match take(tx, &key, host, now_ms)? {
                Ok(()) => Ok(Claim::Claimed(entry)),
                Err(held) => Ok(Claim::Busy {
                    host: held.host,
                    expires_ms: held.expires_ms,
                }),
            }
        })
    }

    /// Extends `host`'s lease on (structure, area) by [`LEASE_MS`] from
    /// `now_ms`; `false` if another host has taken it meanwhile (this host
    /// stalled past its lease): the caller should stop delivering there.
    pub fn renew_lease(
        &self,
        host: &str,
        structure: &str,
        area: &str,
        now_ms: u64,
    ) -> Result<bool> {
        let key = lease_key(structure, area);
        self.transact(|tx| Ok(take(tx, &key, host, now_ms)?.is_ok()))
    }

    /// Gives up `host`'s leases on `destinations` (those another host has
    /// taken since are left alone).
    pub fn release_leases(&self, host: &str, destinations: &[(String, String)]) -> Result<()> {
        if destinations.is_empty() {
            return Ok(());
        }
        self.transact(|tx| {
            for (structure, area) in destinations {
                let key = lease_key(structure, area);
                if tx_read::<Lease>(tx, TreeId::Leases, &key)?.is_some_and(|l| l.host == host) {
                    tx.delete(TreeId::Leases, &key)?;
                }
            }
            Ok(())
        })
    }

    /// Forgets every recorded lease; returns how many. Only for a store no
    /// other process can reach (sled, under its exclusive lock): its leases
    /// belong to an earlier process of this host, killed before it released
    /// them, and waiting [`LEASE_MS`] for them to expire would only delay
    /// the deliveries after a restart.
    pub(crate) fn forget_leases(&self) -> Result<usize> {
        let mut keys = Vec::new();
        self.walk(TreeId::Leases, b"", |(k, _)| {
            keys.push(k.to_vec());
            Ok(())
        })?;
        if !keys.is_empty() {
            self.transact(|tx| {
                for k in &keys {
                    tx.delete(TreeId::Leases, k)?;
                }
                Ok(())
            })?;
        }
        Ok(keys.len())
    }

    /// Every lease recorded (live or expired), by destination.
    pub fn leases(&self) -> Result<Vec<DestinationLease>> {
        let mut out = Vec::new();
        self.walk(TreeId::Leases, b"", |(k, v)| {
            let (structure, rest) = split_part(k)
                .ok_or_else(|| StoreError::Corrupt("lease key without a structure".into()))?;
            let (area, _) = split_part(rest)
                .ok_or_else(|| StoreError::Corrupt("lease key without an area".into()))?;
            out.push(DestinationLease {
                structure: utf8("lease structure", structure)?,
                area: utf8("lease area", area)?,
                lease: decode(TreeId::Leases, k, v)?,
            });
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Location;
    use crate::store::test_support::{open_in, temp_store};
    use crate::store::{CallBatch, OutgoingMessage};

    fn msg(id: &str, to_area: &str) -> OutgoingMessage {
        OutgoingMessage {
            id: id.into(),
            from_structure: "73282932000074".into(),
            from_area: "sender".into(),
            to_structure: "35600000000048".into(),
            to_area: to_area.into(),
            kind: "k".into(),
            payload: "{}".into(),
        }
    }

    fn queue(store: &Store, m: OutgoingMessage) {
        let batch = CallBatch {
            messages: vec![m],
            ..Default::default()
        };
        store.commit_call(&batch, 1).unwrap();
    }

    #[test]
    fn one_host_at_a_time_per_destination_until_the_lease_expires() {
        let (_dir, store) = temp_store();
        queue(&store, msg("0000000000001-aa", "inbox"));
        queue(&store, msg("0000000000002-bb", "inbox"));
        queue(&store, msg("0000000000003-cc", "other"));
        let now = 1_000;
        assert!(matches!(
            store.claim_delivery("a", "0000000000001-aa", now).unwrap(),
            Claim::Claimed(e) if e.message.id == "0000000000001-aa"
        ));
        // B may not deliver the same destination, not even its later message.
        for id in ["0000000000001-aa", "0000000000002-bb"] {
            assert_eq!(
                store.claim_delivery("b", id, now + 1).unwrap(),
                Claim::Busy {
                    host: "a".into(),
                    expires_ms: now + LEASE_MS
                }
            );
        }
        // Another destination is free.
        assert!(matches!(
            store.claim_delivery("b", "0000000000003-cc", now).unwrap(),
            Claim::Claimed(_)
        ));
        // A renews; B still waits past the first expiry.
        assert!(
            store
                .renew_lease("a", "35600000000048", "inbox", now + 30_000)
                .unwrap()
        );
        assert!(matches!(
            store
                .claim_delivery("b", "0000000000002-bb", now + LEASE_MS + 1)
                .unwrap(),
            Claim::Busy { .. }
        ));
        // A dies: once its lease expires, B takes over, and A's renewal fails.
        let later = now + 30_000 + LEASE_MS;
        assert!(matches!(
            store
                .claim_delivery("b", "0000000000001-aa", later)
                .unwrap(),
            Claim::Claimed(_)
        ));
        assert!(
            !store
                .renew_lease("a", "35600000000048", "inbox", later + 1)
                .unwrap()
        );
        let held: Vec<_> = store
            .leases()
            .unwrap()
            .into_iter()
            .map(|l| (l.area, l.lease.host))
            .collect();
        assert_eq!(
            held,
            [
                ("inbox".to_string(), "b".to_string()),
                ("other".into(), "b".into())
            ]
        );
        // Released, the destination is free at once.
        store
            .release_leases("b", &[("35600000000048".into(), "inbox".into())])
            .unwrap();
        assert!(matches!(
            store
                .claim_delivery("a", "0000000000002-bb", later + 2)
                .unwrap(),
            Claim::Claimed(_)
        ));
    }

    #[test]
    fn a_delivered_or_waiting_message_is_not_claimed() {
        let (_dir, store) = temp_store();
        let m = msg("0000000000001-aa", "inbox");
        queue(&store, m.clone());
        store.delivery_retry(&m.id, "busy", 5_000, 2).unwrap();
        assert!(matches!(
            store.claim_delivery("a", &m.id, 4_999).unwrap(),
            Claim::NotDue(e) if e.attempts == 1
        ));
        assert!(
            store.leases().unwrap().is_empty(),
            "no lease for a message not due"
        );
        store.mark_delivered(&m, 3).unwrap();
        assert_eq!(
            store.claim_delivery("a", &m.id, 6_000).unwrap(),
            Claim::Gone
        );
    }

    #[test]
    fn a_sled_store_reopened_forgets_the_leases_of_the_killed_process() {
        let (dir, store) = temp_store();
        queue(&store, msg("0000000000001-aa", "inbox"));
        let now = 1_000_000;
        assert!(matches!(
            store
                .claim_delivery("gone", "0000000000001-aa", now)
                .unwrap(),
            Claim::Claimed(_)
        ));
        store.durable().unwrap();
        drop(store); // never released: as after kill -9
        let again = open_in(dir.path());
        let sled = matches!(crate::store::testing::location(dir.path()), Location::Sled);
        // sled: nobody else can hold the directory, so the restarted host
        // delivers at once; PostgreSQL: the lease stands until it expires.
        assert_eq!(again.leases().unwrap().is_empty(), sled);
        let claim = again
            .claim_delivery("back", "0000000000001-aa", now + 1)
            .unwrap();
        assert_eq!(matches!(claim, Claim::Claimed(_)), sled, "{claim:?}");
    }
}
