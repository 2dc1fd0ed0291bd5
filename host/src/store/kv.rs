//! Areas' own key-value storage, namespaced by the host: an area reads and
//! writes only under (its id, the request's structure or user), and the
//! namespace is chosen by the host, never by the plugin.
//!
//! Keys are `part(area) ‖ owner tag ‖ part(owner id) ‖ key` (see `keys.rs`):
//! the namespace prefix is prefix-free, so no key string, however hostile,
//! reaches another namespace, and keys within one sort by their bytes.

use std::collections::BTreeMap;

use super::backend::{TreeId, Tx};
use super::blobs::{Encoded, Stored};
use super::keys::{KeyBuf, split_part};
use super::{Result, Store, StoreError, check_list_limit, utf8};

pub use portico_contract::limits::kv::{MAX_KEY_BYTES, MAX_VALUE_BYTES};

/// Most entries one listing returns (the contract's `kv::MAX_LIST`): a page,
/// so one call cannot read a whole namespace into memory.
pub const MAX_LIST: usize = portico_contract::limits::kv::MAX_LIST as usize;

/// The contract's refusal as a store error (always a limit here).
fn limit(refusal: portico_contract::Refusal) -> StoreError {
    StoreError::LimitExceeded(refusal.to_string())
}

/// Who a kv namespace belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// Data of an area for one structure (`/s/{structure}/{area}`).
    Structure(String),
    /// Data of an area for one user (`/me/{area}`).
    User(String),
}

/// One area's storage for one owner.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace {
    /// The area's id.
    pub area: String,
    /// The structure or user the data belongs to.
    pub owner: Owner,
}

impl Namespace {
    /// `area`'s namespace for a structure.
    pub fn structure(area: &str, structure: &str) -> Namespace {
        Namespace {
            area: area.into(),
            owner: Owner::Structure(structure.into()),
        }
    }

    /// `area`'s namespace for a user.
    pub fn user(area: &str, user: &str) -> Namespace {
        Namespace {
            area: area.into(),
            owner: Owner::User(user.into()),
        }
    }

    /// The prefix every key of this namespace starts with; also the key of
    /// its usage counter in [`TreeId::KvUsage`].
    pub(super) fn prefix(&self) -> Vec<u8> {
        let (tag, id) = match &self.owner {
            Owner::Structure(s) => (b'S', s),
            Owner::User(u) => (b'U', u),
        };
        KeyBuf::new()
            .part(self.area.as_bytes())
            .tag(tag)
            .part(id.as_bytes())
            .finish()
    }

    pub(super) fn key(&self, key: &str) -> Result<Vec<u8>> {
        check_key("key", key)?;
        let mut k = self.prefix();
        k.extend_from_slice(key.as_bytes());
        Ok(k)
    }
}

fn check_key(what: &str, key: &str) -> Result<()> {
    portico_contract::limits::kv::check_key(what, key).map_err(limit)
}

pub(super) fn check_value(value: &[u8]) -> Result<()> {
    portico_contract::limits::kv::check_value(value.len()).map_err(limit)
}

/// What one kv write did: whether the key was set before, and by how many
/// bytes its namespace's usage changes.
pub(super) struct KvWrite {
    pub(super) existed: bool,
    pub(super) delta: i64,
}

/// Sets (`stored`: the tagged encoding) or deletes (`None`) the kv entry
/// `full` inside a transaction. `key_len` is the key's length within the
/// namespace. The caller adds the deltas to the counter ([`tx_add_usage`])
/// in the same transaction, so counter and data cannot disagree, even after
/// a crash.
pub(super) fn tx_kv_write(
    tx: &mut dyn Tx,
    full: &[u8],
    key_len: usize,
    stored: Option<&Encoded>,
) -> Result<KvWrite> {
    let size = |s: &[u8]| -> Result<i64> { Ok(key_len as i64 + Stored::decode(s)?.len() as i64) };
    let old = tx.get(TreeId::Kv, full)?;
    let old_size = old.as_deref().map(size).transpose()?.unwrap_or(0);
    let new_size = match stored {
        Some(s) => {
            s.put_row(tx)?;
            tx.put(TreeId::Kv, full, s.stored())?;
            size(s.stored())?
        }
        None => {
            if old.is_some() {
                tx.delete(TreeId::Kv, full)?;
            }
            0
        }
    };
    Ok(KvWrite {
        existed: old.is_some(),
        delta: new_size - old_size,
    })
}

/// Adds `delta` bytes to the usage counter of the namespace whose prefix is
/// `prefix`, inside the transaction that changed its entries.
pub(super) fn tx_add_usage(tx: &mut dyn Tx, prefix: &[u8], delta: i64) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    let current = match tx.get(TreeId::KvUsage, prefix)? {
        Some(v) => decode_usage(&v)?,
        None => 0,
    };
    let Some(new) = current.checked_add_signed(delta) else {
        return Err(StoreError::Corrupt(format!(
            "kv usage counter of {} would go below zero ({current} {delta:+})",
            String::from_utf8_lossy(prefix)
        )));
    };
    if new == 0 {
        tx.delete(TreeId::KvUsage, prefix)?;
    } else {
        tx.put(TreeId::KvUsage, prefix, &new.to_be_bytes())?;
    }
    Ok(())
}

fn decode_usage(bytes: &[u8]) -> Result<u64> {
    let b: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("kv usage counter of {} bytes", bytes.len())))?;
    Ok(u64::from_be_bytes(b))
}

/// Splits a full kv key into its namespace prefix and the key within it.
fn split_namespace(full: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_area, rest) = split_part(full)?;
    let (_tag, rest) = rest.split_first()?;
    let (_owner, key) = split_part(rest)?;
    Some(full.split_at(full.len() - key.len()))
}

impl Store {
    /// Counts every namespace's usage from its entries and writes the
    /// counters: the migration of data written before counters existed
    /// (format 1). Runs at open, before anyone else can write.
    pub(super) fn count_kv_usage(&self) -> Result<usize> {
        let mut usage: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        self.walk(TreeId::Kv, b"", |(k, v)| {
            let (prefix, key) = split_namespace(k)
                .ok_or_else(|| StoreError::Corrupt("kv key does not decode".into()))?;
            *usage.entry(prefix.to_vec()).or_default() +=
                key.len() as u64 + Stored::decode(v)?.len();
            Ok(())
        })?;
        let mut stale = Vec::new();
        self.walk(TreeId::KvUsage, b"", |(k, _)| {
            if !usage.contains_key(k) {
                stale.push(k.clone());
            }
            Ok(())
        })?;
        self.write(|tx| {
            for k in &stale {
                tx.delete(TreeId::KvUsage, k)?;
            }
            for (prefix, bytes) in &usage {
                tx.put(TreeId::KvUsage, prefix, &bytes.to_be_bytes())?;
            }
            Ok(())
        })?;
        Ok(usage.len())
    }

    /// The value of `key`, if set.
    pub fn kv_get(&self, ns: &Namespace, key: &str) -> Result<Option<Vec<u8>>> {
        let k = ns.key(key)?;
        self.backend()
            .get(TreeId::Kv, &k)?
            .map(|v| self.large_decode(&v))
            .transpose()
    }

    /// Sets `key` to `value`.
    pub fn kv_set(&self, ns: &Namespace, key: &str, value: &[u8]) -> Result<()> {
        let k = ns.key(key)?;
        check_value(value)?;
        let stored = self.inner.large.encode(value)?;
        let prefix = ns.prefix();
        self.write(|tx| {
            let w = tx_kv_write(tx, &k, key.len(), Some(&stored))?;
            tx_add_usage(tx, &prefix, w.delta)
        })
    }

    /// Deletes `key`; `false` if it was not set.
    pub fn kv_delete(&self, ns: &Namespace, key: &str) -> Result<bool> {
        let k = ns.key(key)?;
        let prefix = ns.prefix();
        self.write(|tx| {
            let w = tx_kv_write(tx, &k, key.len(), None)?;
            tx_add_usage(tx, &prefix, w.delta)?;
            Ok(w.existed)
        })
    }

    /// Compare-and-swap: if `key` currently holds `expected` (`None`: is
    /// unset), sets it to `new` (`None`: deletes it) and returns `true`;
    /// otherwise changes nothing and returns `false`.
    pub fn kv_cas(
        &self,
        ns: &Namespace,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool> {
        let k = ns.key(key)?;
        let stored = match new {
            Some(v) => {
                check_value(v)?;
                // Written before the transaction; if the swap fails the file
                // is merely unreferenced (see `blobs.rs` on collection).
                Some(self.inner.large.encode(v)?)
            }
            None => None,
        };
        let prefix = ns.prefix();
        self.write(|tx| {
            let current = tx.get(TreeId::Kv, &k)?;
            let matches = match (&current, expected) {
                (None, None) => true,
                (Some(cur), Some(exp)) => Stored::decode(cur)?.holds(exp),
                _ => false,
            };
            if !matches {
                return Ok(false);
            }
            let w = tx_kv_write(tx, &k, key.len(), stored.as_ref())?;
            tx_add_usage(tx, &prefix, w.delta)?;
            Ok(true)
        })
    }

    /// Up to `limit` (≤ [`MAX_LIST`]) entries whose keys start with
    /// `prefix` and sort after `after`, in key (byte) order. Pass the last
    /// key of a page as `after` to get the next.
    pub fn kv_list(
        &self,
        ns: &Namespace,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        check_key("prefix", prefix)?;
        check_list_limit(limit)?;
        let ns_prefix = ns.prefix();
        let full_prefix = ns.key(prefix)?;
        let after = after.map(|a| ns.key(a)).transpose()?;
        let entries = self
            .backend()
            .scan(TreeId::Kv, &full_prefix, after.as_deref(), limit)?;
        entries
            .into_iter()
            .map(|(k, v)| {
                let key = k
                    .strip_prefix(ns_prefix.as_slice())
                    .ok_or_else(|| StoreError::Corrupt("kv scan left its namespace".into()))?;
                Ok((utf8("kv key", key)?, self.large_decode(&v)?))
            })
            .collect()
    }

    /// Bytes used by a namespace: keys plus values (full size, also for
    /// values held in the file store). For quotas: one read of the counter
    /// every kv write keeps in its own transaction, whatever the namespace holds.
    pub fn kv_usage(&self, ns: &Namespace) -> Result<u64> {
        self.backend()
            .get(TreeId::KvUsage, &ns.prefix())?
            .map_or(Ok(0), |v| decode_usage(&v))
    }

    /// [`Store::kv_usage`] counted from the entries themselves, walking the
    /// whole namespace: what the counter must always equal (tests, checks).
    pub fn kv_usage_recount(&self, ns: &Namespace) -> Result<u64> {
        let prefix = ns.prefix();
        let mut total = 0u64;
        self.walk(TreeId::Kv, &prefix, |(k, v)| {
            total += (k.len() - prefix.len()) as u64 + Stored::decode(v)?.len();
            Ok(())
        })?;
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::INLINE_LIMIT;
    use crate::store::test_support::temp_store;

    #[test]
    fn set_get_delete_and_usage() {
        let (_dir, store) = temp_store();
        let ns = Namespace::structure("notes", "73282932000074");
        assert_eq!(store.kv_get(&ns, "a").unwrap(), None);
        store.kv_set(&ns, "a", b"1").unwrap();
        store.kv_set(&ns, "", b"empty key").unwrap();
        let big = vec![42u8; MAX_VALUE_BYTES];
        store.kv_set(&ns, "big", &big).unwrap();
        assert_eq!(store.kv_get(&ns, "a").unwrap().as_deref(), Some(&b"1"[..]));
        assert_eq!(
            store.kv_get(&ns, "").unwrap().as_deref(),
            Some(&b"empty key"[..])
        );
        assert_eq!(store.kv_get(&ns, "big").unwrap(), Some(big.clone()));
        assert_eq!(
            store.kv_usage(&ns).unwrap(),
            (1 + 1) + 9 + (3 + MAX_VALUE_BYTES as u64)
        );
        assert!(store.kv_delete(&ns, "a").unwrap());
        assert!(!store.kv_delete(&ns, "a").unwrap());
        assert_eq!(store.kv_get(&ns, "a").unwrap(), None);
        assert_eq!(
            store
                .kv_usage(&Namespace::user("notes", "73282932000074"))
                .unwrap(),
            0
        );
    }

    /// The counter equals a full recount, for every namespace given.
    fn assert_counted(store: &Store, spaces: &[&Namespace]) {
        for ns in spaces {
            assert_eq!(
                store.kv_usage(ns).unwrap(),
                store.kv_usage_recount(ns).unwrap(),
                "{ns:?}"
            );
        }
    }

    #[test]
    fn the_usage_counter_follows_every_kind_of_write() {
        use crate::store::CallBatch;
        let (_dir, store) = temp_store();
        let a = Namespace::structure("notes", "73282932000074");
        let b = Namespace::user("notes", "73282932000074");
        store.kv_set(&a, "k", b"12345").unwrap();
        assert_eq!(store.kv_usage(&a).unwrap(), 1 + 5);
        store.kv_set(&a, "k", b"1").unwrap(); // shrinks
        assert_eq!(store.kv_usage(&a).unwrap(), 1 + 1);
        let big = vec![7u8; INLINE_LIMIT + 10]; // in the file store
        store.kv_set(&a, "big", &big).unwrap();
        assert_eq!(store.kv_usage(&a).unwrap(), 2 + 3 + big.len() as u64);
        assert!(store.kv_cas(&a, "c", None, Some(b"xy")).unwrap());
        assert!(!store.kv_cas(&a, "c", None, Some(b"zzzz")).unwrap());
        assert!(store.kv_cas(&a, "big", Some(&big), None).unwrap());
        assert_eq!(store.kv_usage(&a).unwrap(), 2 + 3);
        assert!(!store.kv_delete(&a, "nothing").unwrap());
        store.kv_set(&a, "", b"").unwrap(); // counts nothing, exists
        assert!(store.kv_delete(&a, "").unwrap());
        assert_eq!(store.kv_usage(&b).unwrap(), 0, "another owner");
        // A call's batch: sets, an overwrite and a delete in one commit.
        let mut batch = CallBatch {
            ns: Some(a.clone()),
            ..CallBatch::default()
        };
        batch
            .writes
            .insert("k".into(), Some(b"long value".to_vec()));
        batch.writes.insert("c".into(), None);
        batch.writes.insert("new".into(), Some(b"v".to_vec()));
        store.commit_call(&batch, 1).unwrap();
        assert_eq!(store.kv_usage(&a).unwrap(), (1 + 10) + (3 + 1));
        assert_counted(&store, &[&a, &b]);
        assert!(store.kv_delete(&a, "k").unwrap());
        assert!(store.kv_delete(&a, "new").unwrap());
        assert_eq!(store.kv_usage(&a).unwrap(), 0);
        assert_counted(&store, &[&a, &b]);
    }

    #[test]
    fn a_format_1_directory_gets_its_counters_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let spaces = [
            Namespace::structure("notes", "73282932000074"),
            Namespace::structure("notes", "13000165200010"),
            Namespace::user("inbox", "u1"),
        ];
        let store = crate::store::test_support::open_in(dir.path());
        for (i, ns) in spaces.iter().enumerate() {
            for j in 0..=i * 300 {
                store.kv_set(ns, &format!("rec/{j}"), &vec![1; j]).unwrap();
            }
        }
        let expected: Vec<u64> = spaces
            .iter()
            .map(|ns| store.kv_usage(ns).unwrap())
            .collect();
        // What a format-1 build left: the same data, no counters (and a
        // stale one, which the count must drop).
        store
            .write(|tx| {
                for ns in &spaces {
                    tx.delete(TreeId::KvUsage, &ns.prefix())?;
                }
                tx.put(
                    TreeId::KvUsage,
                    &Namespace::user("gone", "u").prefix(),
                    &9u64.to_be_bytes(),
                )?;
                tx.put(TreeId::Meta, b"format", b"1")
            })
            .unwrap();
        drop(store);
        let store = crate::store::test_support::open_in(dir.path());
        for (ns, want) in spaces.iter().zip(&expected) {
            assert_eq!(store.kv_usage(ns).unwrap(), *want, "{ns:?}");
            assert!(*want > 0);
        }
        assert_eq!(store.kv_usage(&Namespace::user("gone", "u")).unwrap(), 0);
        assert_counted(&store, &spaces.iter().collect::<Vec<_>>());
        assert_eq!(
            store
                .backend()
                .get(TreeId::Meta, b"format")
                .unwrap()
                .as_deref(),
            Some(&b"2"[..])
        );
    }

    #[test]
    fn limits_are_enforced_with_both_numbers_in_the_message() {
        let (_dir, store) = temp_store();
        let ns = Namespace::user("notes", "u1");
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        let err = store.kv_set(&ns, &long, b"v").unwrap_err();
        assert!(
            matches!(&err, StoreError::LimitExceeded(m) if m.contains("256") && m.contains("257")),
            "{err}"
        );
        store.kv_set(&ns, &long[1..], b"v").unwrap();
        let err = store
            .kv_set(&ns, "k", &vec![0; MAX_VALUE_BYTES + 1])
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::LimitExceeded(m) if m.contains("1048577")),
            "{err}"
        );
        let err = store.kv_list(&ns, "", None, MAX_LIST + 1).unwrap_err();
        assert!(
            matches!(&err, StoreError::LimitExceeded(m) if m.contains("1000") && m.contains("1001")),
            "{err}"
        );
        assert!(matches!(
            store.kv_get(&ns, &long),
            Err(StoreError::LimitExceeded(_))
        ));
        assert!(matches!(
            store.kv_cas(&ns, "k", None, Some(&vec![0; MAX_VALUE_BYTES + 1])),
            Err(StoreError::LimitExceeded(_))
        ));
    }

    #[test]
    fn list_pages_in_key_order_within_a_prefix() {
        let (_dir, store) = temp_store();
        let ns = Namespace::structure("a", "s");
        for k in ["b/2", "b/1", "a", "b/3", "c"] {
            store.kv_set(&ns, k, k.as_bytes()).unwrap();
        }
        let keys = |v: Vec<(String, Vec<u8>)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(
            keys(store.kv_list(&ns, "", None, 10).unwrap()),
            ["a", "b/1", "b/2", "b/3", "c"]
        );
        assert_eq!(
            keys(store.kv_list(&ns, "b/", None, 2).unwrap()),
            ["b/1", "b/2"]
        );
        assert_eq!(
            keys(store.kv_list(&ns, "b/", Some("b/2"), 2).unwrap()),
            ["b/3"]
        );
        assert_eq!(
            keys(store.kv_list(&ns, "b/", Some("a"), 1).unwrap()),
            ["b/1"],
            "after before the prefix"
        );
        assert!(store.kv_list(&ns, "b/", Some("zz"), 5).unwrap().is_empty());
        assert!(store.kv_list(&ns, "", None, 0).unwrap().is_empty());
    }

    #[test]
    fn cas_inline_and_file_values() {
        let (_dir, store) = temp_store();
        let ns = Namespace::structure("a", "s");
        assert!(store.kv_cas(&ns, "k", None, Some(b"v1")).unwrap());
        assert!(
            !store.kv_cas(&ns, "k", None, Some(b"v2")).unwrap(),
            "already set"
        );
        assert!(!store.kv_cas(&ns, "k", Some(b"nope"), Some(b"v2")).unwrap());
        assert!(store.kv_cas(&ns, "k", Some(b"v1"), Some(b"v2")).unwrap());
        let big = vec![3u8; INLINE_LIMIT * 3];
        let mut other = big.clone();
        other[7] = 4;
        assert!(store.kv_cas(&ns, "k", Some(b"v2"), Some(&big)).unwrap());
        assert!(
            !store.kv_cas(&ns, "k", Some(&other), None).unwrap(),
            "file values compare by content"
        );
        assert_eq!(store.kv_get(&ns, "k").unwrap(), Some(big.clone()));
        assert!(store.kv_cas(&ns, "k", Some(&big), None).unwrap());
        assert_eq!(store.kv_get(&ns, "k").unwrap(), None);
    }

    #[test]
    fn namespaces_with_hostile_and_huge_names_stay_apart() {
        let (_dir, store) = temp_store();
        let huge = "x".repeat(64 * 1024);
        let spaces = [
            Namespace::structure("a", "b"),
            Namespace::structure("a", "b\0"),
            Namespace::structure("a\0", "b"),
            Namespace::structure("", ""),
            Namespace::user("a", "b"),
            Namespace::structure("a/b", ".."),
            Namespace::structure(&huge, &huge),
            Namespace::user(&huge, ""),
        ];
        for (i, ns) in spaces.iter().enumerate() {
            store.kv_set(ns, "", i.to_string().as_bytes()).unwrap();
            store.kv_set(ns, "k", i.to_string().as_bytes()).unwrap();
        }
        for (i, ns) in spaces.iter().enumerate() {
            let listed = store.kv_list(ns, "", None, MAX_LIST).unwrap();
            let want = vec![
                ("".to_string(), i.to_string().into_bytes()),
                ("k".to_string(), i.to_string().into_bytes()),
            ];
            assert_eq!(listed, want, "namespace {i}");
        }
    }
}
