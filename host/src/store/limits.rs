//! Throttling and rate counters shared by every host on the store: sign-in
//! failures (`auth::throttle`), the budgets of the pages that send mail
//! (`auth::rate`), directory searches. Kept here rather than in each
//! process so that three hosts behind a load balancer count one attacker
//! once, not three times.
//!
//! Each record belongs to a *budget* (a short name) and a key digest (the
//! callers hash emails and addresses: nothing personal is stored in clear),
//! and carries its own expiry: a record past it reads as absent and
//! [`Store::purge_limits`] deletes it, so the tree holds only what is still
//! counting. Writes do not wait for durability: a counter lost in a crash
//! only lets an attempt through, as a restart did when they lived in memory.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::backend::{TreeId, Tx};
use super::keys::KeyBuf;
use super::{Result, Store, StoreError, encode};

fn limit_key(budget: &str, key: &[u8]) -> Vec<u8> {
    KeyBuf::new().part(budget.as_bytes()).raw(key).finish()
}

/// `(expires_ms, JSON)` → the value if it has not expired.
fn decode_live<T: DeserializeOwned>(bytes: &[u8], now_ms: u64) -> Result<Option<T>> {
    let (expires, json) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| StoreError::Corrupt("limit record shorter than its expiry".into()))?;
    if u64::from_be_bytes(*expires) <= now_ms {
        return Ok(None);
    }
    serde_json::from_slice(json)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("limit record: {e}")))
}

fn tx_limit_get<T: DeserializeOwned>(
    tx: &mut dyn Tx,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<T>> {
    match tx.get(TreeId::Limits, key)? {
        Some(bytes) => decode_live(&bytes, now_ms),
        None => Ok(None),
    }
}

impl Store {
    /// The live record of `key` in `budget`, if any.
    pub fn limit_get<T: DeserializeOwned>(
        &self,
        budget: &str,
        key: &[u8],
        now_ms: u64,
    ) -> Result<Option<T>> {
        match self
            .backend()
            .get(TreeId::Limits, &limit_key(budget, key))?
        {
            Some(bytes) => decode_live(&bytes, now_ms),
            None => Ok(None),
        }
    }

    /// Reads the live record of `key` in `budget` and replaces it with what
    /// `f` returns, in one transaction (hosts updating the same counter at
    /// once are serialised): `Some((value, expires_ms))` to keep one,
    /// `None` to delete it. `f` may run more than once.
    pub fn limit_update<T: Serialize + DeserializeOwned, R>(
        &self,
        budget: &str,
        key: &[u8],
        now_ms: u64,
        mut f: impl FnMut(Option<T>) -> (Option<(T, u64)>, R),
    ) -> Result<R> {
        let key = limit_key(budget, key);
        self.transact(|tx| {
            let (next, out) = f(tx_limit_get(tx, &key, now_ms)?);
            match next {
                Some((value, expires_ms)) => {
                    let mut bytes = expires_ms.to_be_bytes().to_vec();
                    bytes.extend(encode(&value)?);
                    tx.put(TreeId::Limits, &key, &bytes)?;
                }
                None => {
                    tx.delete(TreeId::Limits, &key)?;
                }
            }
            Ok(out)
        })
    }

    /// Deletes every expired record; returns how many.
    pub fn purge_limits(&self, now_ms: u64) -> Result<usize> {
        let mut expired = Vec::new();
        self.walk(TreeId::Limits, b"", |(k, v)| {
            if v.get(..8)
                .and_then(|e| <[u8; 8]>::try_from(e).ok())
                .is_none_or(|e| u64::from_be_bytes(e) <= now_ms)
            {
                expired.push(k.clone());
            }
            Ok(())
        })?;
        for chunk in expired.chunks(super::SCAN_PAGE) {
            self.transact(|tx| {
                for k in chunk {
                    tx.delete(TreeId::Limits, k)?;
                }
                Ok(())
            })?;
        }
        Ok(expired.len())
    }

    /// Records in the limits tree (live or not yet purged).
    pub fn limit_records(&self) -> Result<usize> {
        let mut n = 0;
        self.walk(TreeId::Limits, b"", |_| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_support::temp_store;

    #[test]
    fn a_record_counts_until_it_expires_then_is_purged() {
        let (_dir, store) = temp_store();
        let bump = |now| {
            store
                .limit_update("b", b"k", now, |n: Option<u32>| {
                    let n = n.unwrap_or(0) + 1;
                    (Some((n, now + 100)), n)
                })
                .unwrap()
        };
        assert_eq!(bump(0), 1);
        assert_eq!(bump(50), 2);
        assert_eq!(store.limit_get::<u32>("b", b"k", 149).unwrap(), Some(2));
        assert_eq!(
            store.limit_get::<u32>("other", b"k", 149).unwrap(),
            None,
            "per budget"
        );
        assert_eq!(
            store.limit_get::<u32>("b", b"k", 150).unwrap(),
            None,
            "expired"
        );
        assert_eq!(bump(150), 1, "an expired record starts over");
        assert_eq!(store.purge_limits(249).unwrap(), 0);
        assert_eq!(store.purge_limits(250).unwrap(), 1);
        assert_eq!(store.limit_records().unwrap(), 0);
    }
}
