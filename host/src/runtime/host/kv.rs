//! `portico:area/kv`: storage namespaced by the host to (area, owner).

use super::{HostCall, HostState, store_error};
use crate::runtime::bindings::portico::area::kv::Host;
use crate::runtime::bindings::types::HostError;

impl Host for HostState {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, HostError> {
        let scope = self.authorize(HostCall::KvGet)?.clone();
        let (store, ns) = self.namespace()?;
        store.kv_get(&ns, &key).map_err(|e| store_error(&scope, e))
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), HostError> {
        let scope = self.authorize(HostCall::KvSet)?.clone();
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
        let (store, ns) = self.namespace()?;
        store
            .kv_cas(&ns, &key, expected.as_deref(), new.as_deref())
            .map_err(|e| store_error(&scope, e))
    }
}
