//! Facts: small JSON values an area publishes about a structure, read by
//! other areas' `when` expressions and by tab composition.

use std::collections::BTreeMap;

use serde_json::Value;

use super::backend::TreeId;
use super::installs::require_structure;
use super::keys::{KeyBuf, split_part};
use super::{Result, Store, StoreError, utf8};

fn key(structure: &str, area: &str, name: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(structure.as_bytes())
        .part(area.as_bytes())
        .raw(name.as_bytes())
        .finish()
}

impl Store {
    fn decode_fact(&self, stored: &[u8]) -> Result<Value> {
        let bytes = self.large_decode(stored)?;
        serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(format!("fact value: {e}")))
    }

    /// Sets fact `name` of `area` for `structure`. `NotFound` if the
    /// structure does not exist.
    pub fn set_fact(&self, structure: &str, area: &str, name: &str, value: Value) -> Result<()> {
        let json = serde_json::to_vec(&value)
            .map_err(|e| StoreError::Invalid(format!("fact {area}.{name}: {e}")))?;
        let stored = self.inner.large.encode(&json)?;
        let key = key(structure, area, name);
        self.write(|tx| {
            require_structure(tx, structure)?;
            stored.put_row(tx)?;
            tx.put(TreeId::Facts, &key, stored.stored())
        })
    }

    /// Removes a fact; `false` if it was not set.
    pub fn clear_fact(&self, structure: &str, area: &str, name: &str) -> Result<bool> {
        let key = key(structure, area, name);
        self.write(|tx| tx.delete(TreeId::Facts, &key))
    }

    /// One fact.
    pub fn fact(&self, structure: &str, area: &str, name: &str) -> Result<Option<Value>> {
        self.backend()
            .get(TreeId::Facts, &key(structure, area, name))?
            .map(|v| self.decode_fact(&v))
            .transpose()
    }

    /// Every fact of `structure`: area → name → value.
    pub fn facts(&self, structure: &str) -> Result<BTreeMap<String, BTreeMap<String, Value>>> {
        let prefix = KeyBuf::new().part(structure.as_bytes()).finish();
        let mut out: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        self.walk(TreeId::Facts, &prefix, |(k, v)| {
            let (area, name) = split_part(&k[prefix.len()..])
                .ok_or_else(|| StoreError::Corrupt("fact key does not decode".into()))?;
            out.entry(utf8("fact area", area)?)
                .or_default()
                .insert(utf8("fact name", name)?, self.decode_fact(v)?);
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::structures::tests::new_structure;
    use crate::store::test_support::temp_store;
    use crate::store::users::tests::new_user;
    use serde_json::json;

    #[test]
    fn facts_by_structure_area_and_name() {
        let (_dir, store) = temp_store();
        let ada = store.create_user(new_user("ada@b.fr")).unwrap().id;
        store
            .create_structure(new_structure("73282932000074", "A"), &ada, 1)
            .unwrap();
        store
            .create_structure(new_structure("35600000049837", "B"), &ada, 1)
            .unwrap();
        store
            .set_fact("73282932000074", "bank", "iban-set", json!(true))
            .unwrap();
        store
            .set_fact("73282932000074", "bank", "count", json!(3))
            .unwrap();
        store
            .set_fact("73282932000074", "invoices", "count", json!({"n": 1}))
            .unwrap();
        store
            .set_fact("35600000049837", "bank", "iban-set", json!(false))
            .unwrap();
        let big = json!("x".repeat(crate::store::INLINE_LIMIT + 10));
        store
            .set_fact("35600000049837", "bank", "big", big.clone())
            .unwrap();
        assert!(matches!(
            store.set_fact("nope", "a", "b", json!(1)),
            Err(StoreError::NotFound(_))
        ));

        assert_eq!(
            store.fact("73282932000074", "bank", "count").unwrap(),
            Some(json!(3))
        );
        assert_eq!(
            store.fact("35600000049837", "bank", "big").unwrap(),
            Some(big)
        );
        let all = store.facts("73282932000074").unwrap();
        assert_eq!(
            serde_json::to_value(&all).unwrap(),
            json!({
                "bank": {"count": 3, "iban-set": true},
                "invoices": {"count": {"n": 1}},
            })
        );
        assert!(store.clear_fact("73282932000074", "bank", "count").unwrap());
        assert!(!store.clear_fact("73282932000074", "bank", "count").unwrap());
        assert_eq!(store.fact("73282932000074", "bank", "count").unwrap(), None);
        assert_eq!(store.facts("35600000049837").unwrap()["bank"].len(), 2);
    }
}
