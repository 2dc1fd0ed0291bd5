//! `portico:area/kv`: storage namespaced by the host to (area, owner).

use super::{HostCall, HostState, store_error};
use crate::runtime::bindings::portico::area::kv::Host;
use crate::runtime::bindings::types::HostError;

impl HostState {
    /// Checks that writing `value_len` bytes under `key` keeps the
    /// namespace within its quota, and counts them.
    ///
    /// The namespace is measured once per call (a walk of its keys), then
    /// writes are counted up, overwrites included; only when that estimate
    /// would pass the quota is the usage measured again, exactly, minus the
    /// value being replaced. Concurrent calls on one namespace can each
    /// pass a nearly full quota by at most one call's writes.
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
                let exact = store.kv_usage(&ns).map_err(|e| store_error(&scope, e))?;
                let replaced = store
                    .kv_get(&ns, key)
                    .map_err(|e| store_error(&scope, e))?
                    .map_or(0, |v| (key.len() + v.len()) as u64);
                let used = exact.saturating_sub(replaced);
                if used + add > quota {
                    self.storage_used = Some(exact);
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
        let scope = self.authorize(HostCall::KvGet)?.clone();
        let (store, ns) = self.namespace()?;
        store.kv_get(&ns, &key).map_err(|e| store_error(&scope, e))
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), HostError> {
        let scope = self.authorize(HostCall::KvSet)?.clone();
        self.reserve(&key, value.len())?;
        let (store, ns) = self.namespace()?;
        store
            .kv_set(&ns, &key, &value)
            .map_err(|e| store_error(&scope, e))
    }

    fn delete(&mut self, key: String) -> Result<bool, HostError> {
        let scope = self.authorize(HostCall::KvDelete)?.clone();
        let (store, ns) = self.namespace()?;
        store
            .kv_delete(&ns, &key)
            .map_err(|e| store_error(&scope, e))
    }

    fn list(
        &mut self,
        prefix: String,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<u8>)>, HostError> {
        let scope = self.authorize(HostCall::KvList)?.clone();
        let (store, ns) = self.namespace()?;
        store
            .kv_list(&ns, &prefix, after.as_deref(), limit as usize)
            .map_err(|e| store_error(&scope, e))
    }

    fn compare_and_swap(
        &mut self,
        key: String,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> Result<bool, HostError> {
        let scope = self.authorize(HostCall::KvCompareAndSwap)?.clone();
        if let Some(new) = &new {
            self.reserve(&key, new.len())?;
        }
        let (store, ns) = self.namespace()?;
        store
            .kv_cas(&ns, &key, expected.as_deref(), new.as_deref())
            .map_err(|e| store_error(&scope, e))
    }
}
