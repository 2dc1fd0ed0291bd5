//! `portico:area/kv`: storage namespaced by the host to (area, owner).
//!
//! Writes go to the call's batch, not to the store: reads see them (an
//! overlay over the store), and they are committed all together when the
//! call answers (see [`HostState::commit`]). Every value read from the
//! store is remembered so the commit can refuse if it changed meanwhile.

use super::{HostCall, HostState, MAX_CALL_WRITE_BYTES, refused, store_error};
use crate::runtime::bindings::portico::area::kv::Host;
use crate::runtime::bindings::types::HostError;
use crate::store::MAX_LIST;

impl HostState {
    /// The call's current value of `key`: its own write if any, else the
    /// store's (remembered for the commit's check).
    fn kv_current(&mut self, key: &str) -> Result<Option<Vec<u8>>, HostError> {
        if let Some(v) = self.batch.writes.get(key) {
            return Ok(v.clone());
        }
        let scope = self.scope.clone();
        let (store, ns) = self.namespace()?;
        let raw = store
            .kv_get_raw(&ns, key)
            .map_err(|e| store_error(&scope, e))?;
        let value = raw
            .as_deref()
            .map(|r| store.kv_decode(r))
            .transpose()
            .map_err(|e| store_error(&scope, e))?;
        self.batch.reads.entry(key.to_string()).or_insert(raw);
        Ok(value)
    }

    /// Buffers a write after checking the limits.
    fn kv_buffer(&mut self, key: String, value: Option<Vec<u8>>) -> Result<(), HostError> {
        let scope = self.scope.clone();
        let (store, ns) = self.namespace()?;
        store
            .kv_check(&ns, &key, value.as_deref())
            .map_err(|e| store_error(&scope, e))?;
        let size = key.len() + value.as_ref().map_or(0, Vec::len);
        if self.buffered_bytes + size > MAX_CALL_WRITE_BYTES {
            return Err(HostError::LimitExceeded(format!(
                "one request may write at most {} MiB; this write would make {} bytes",
                MAX_CALL_WRITE_BYTES >> 20,
                self.buffered_bytes + size
            )));
        }
        self.buffered_bytes += size;
        self.batch.writes.insert(key, value);
        Ok(())
    }
}

impl HostState {
    /// Checks that writing `value_len` bytes under `key` keeps the
    /// namespace within its quota, and counts them.
    ///
    /// The namespace's usage is read once per call from its counter (kept
    /// by the store in every kv write's transaction: one read, whatever the
    /// namespace holds), then writes are counted up, overwrites included;
    /// only when that estimate would pass the quota is the usage read again,
    /// exactly, minus the value being replaced. Concurrent calls on one
    /// namespace can each pass a nearly full quota by at most one call's
    /// writes.
    fn reserve(&mut self, key: &str, value_len: usize) -> Result<(), HostError> {
        use crate::store::{MAX_KEY_BYTES, MAX_VALUE_BYTES};
        if key.len() > MAX_KEY_BYTES || value_len > MAX_VALUE_BYTES {
            // The store refuses it with the precise limit; nothing to count.
            return Ok(());
        }
        let scope = self.scope.clone();
        let quota = self.storage_quota;
        let add = (key.len() + value_len) as u64;
        let (store, ns) = self.namespace()?;
        let used = match self.storage_used {
            Some(used) if used + add <= quota => used,
            _ => {
                // Stored bytes plus what this call has buffered but not
                // committed yet (counted in full: conservative when a
                // buffered write replaces a stored value).
                let stored = store.kv_usage(&ns).map_err(|e| store_error(&scope, e))?;
                let pending: u64 = self
                    .batch
                    .writes
                    .iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| (k.len() + v.len()) as u64))
                    .sum();
                let exact = stored + pending;
                let replaced = match self.batch.writes.get(key) {
                    Some(v) => v.as_ref().map_or(0, |v| (key.len() + v.len()) as u64),
                    None => store
                        .kv_get(&ns, key)
                        .map_err(|e| store_error(&scope, e))?
                        .map_or(0, |v| (key.len() + v.len()) as u64),
                };
                let used = exact.saturating_sub(replaced);
                if used + add > quota {
                    self.storage_used = Some(exact);
                    self.quota_refused = Some(exact);
                    return Err(HostError::LimitExceeded(format!(
                        "storage quota of {} MiB reached for area `{}` here ({} bytes used, this write needs {add}); raise `limits.storage-mib` in areas.yaml or delete data",
                        quota >> 20,
                        scope.area,
                        exact
                    )));
                }
                used
            }
        };
        self.storage_used = Some(used + add);
        Ok(())
    }
}

impl Host for HostState {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, HostError> {
        self.authorize(HostCall::KvGet)?;
        self.kv_current(&key)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), HostError> {
        self.authorize(HostCall::KvSet)?;
        self.reserve(&key, value.len())?;
        self.kv_buffer(key, Some(value))
    }

    fn delete(&mut self, key: String) -> Result<bool, HostError> {
        self.authorize(HostCall::KvDelete)?;
        let existed = self.kv_current(&key)?.is_some();
        self.kv_buffer(key, None)?;
        Ok(existed)
    }

    fn list(
        &mut self,
        prefix: String,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<u8>)>, HostError> {
        let scope = self.authorize(HostCall::KvList)?.clone();
        let (store, ns) = self.namespace()?;
        portico_contract::limits::kv::check_list_limit(limit).map_err(refused)?;
        let limit = limit as usize;
        if limit == 0 {
            return Ok(Vec::new());
        }
        // The call's own writes in range, merged over the store's entries.
        let in_range = |k: &str| k.starts_with(&prefix) && after.as_deref().is_none_or(|a| k > a);
        let mut merged: std::collections::BTreeMap<String, Vec<u8>> = self
            .batch
            .writes
            .iter()
            .filter(|(k, v)| v.is_some() && in_range(k))
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
            .collect();
        // Read store pages until `limit` of its entries are not shadowed by
        // the call's writes (or it runs out): then the first `limit` of the
        // union are exact.
        let mut cursor = after.clone();
        let mut from_store = 0usize;
        let mut last_store_key: Option<String> = None;
        let mut exhausted = false;
        while from_store < limit {
            let page = store
                .kv_list(&ns, &prefix, cursor.as_deref(), limit.min(MAX_LIST))
                .map_err(|e| store_error(&scope, e))?;
            let short = page.len() < limit.min(MAX_LIST);
            for (k, v) in page {
                cursor = Some(k.clone());
                last_store_key = Some(k.clone());
                if !self.batch.writes.contains_key(&k) {
                    from_store += 1;
                    merged.insert(k, v);
                }
            }
            if short {
                exhausted = true;
                break;
            }
        }
        Ok(merged
            .into_iter()
            .filter(|(k, _)| exhausted || last_store_key.as_deref().is_none_or(|l| k.as_str() <= l))
            .take(limit)
            .collect())
    }

    fn compare_and_swap(
        &mut self,
        key: String,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> Result<bool, HostError> {
        self.authorize(HostCall::KvCompareAndSwap)?;
        if self.kv_current(&key)? != expected {
            return Ok(false);
        }
        if let Some(new) = &new {
            self.reserve(&key, new.len())?;
        }
        self.kv_buffer(key, new)?;
        Ok(true)
    }
}
