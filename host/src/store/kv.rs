//! Areas' own key-value storage, namespaced by the host: an area reads and
//! writes only under (its id, the request's structure or user), and the
//! namespace is chosen by the host, never by the plugin.
//!
//! Keys are `part(area) ‖ owner tag ‖ part(owner id) ‖ key` (see `keys.rs`):
//! the namespace prefix is prefix-free, so no key string, however hostile,
//! reaches another namespace, and keys within one sort by their bytes.

use super::backend::TreeId;
use super::blobs::Stored;
use super::keys::KeyBuf;
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

    /// The prefix every key of this namespace starts with.
    fn prefix(&self) -> Vec<u8> {
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

impl Store {
    /// The value of `key`, if set.
    pub fn kv_get(&self, ns: &Namespace, key: &str) -> Result<Option<Vec<u8>>> {
        let k = ns.key(key)?;
        self.backend()
            .get(TreeId::Kv, &k)?
            .map(|v| self.inner.files.decode(&v))
            .transpose()
    }

    /// Sets `key` to `value`.
    pub fn kv_set(&self, ns: &Namespace, key: &str, value: &[u8]) -> Result<()> {
        let k = ns.key(key)?;
        check_value(value)?;
        let stored = self.inner.files.encode(value)?;
        self.write(|tx| tx.put(TreeId::Kv, &k, &stored))
    }

    /// Deletes `key`; `false` if it was not set.
    pub fn kv_delete(&self, ns: &Namespace, key: &str) -> Result<bool> {
        let k = ns.key(key)?;
        self.write(|tx| tx.delete(TreeId::Kv, &k))
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
                Some(self.inner.files.encode(v)?)
            }
            None => None,
        };
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
            match &stored {
                Some(s) => tx.put(TreeId::Kv, &k, s)?,
                None => {
                    tx.delete(TreeId::Kv, &k)?;
                }
            }
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
                Ok((utf8("kv key", key)?, self.inner.files.decode(&v)?))
            })
            .collect()
    }

    /// Bytes used by a namespace: keys plus values (full size, also for
    /// values held in the file store). For quotas.
    pub fn kv_usage(&self, ns: &Namespace) -> Result<u64> {
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
