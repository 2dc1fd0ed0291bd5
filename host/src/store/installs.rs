//! Which optional areas each structure has installed.

use std::collections::BTreeSet;

use super::backend::{TreeId, Tx};
use super::keys::KeyBuf;
use super::{Result, Store, StoreError, utf8};

fn prefix(structure: &str) -> Vec<u8> {
    KeyBuf::new().part(structure.as_bytes()).finish()
}

/// Fails with `NotFound` unless the structure exists (inside a transaction,
/// so a structure cannot be deleted under a write that depends on it).
pub(crate) fn require_structure(tx: &mut dyn Tx, structure: &str) -> Result<()> {
    match tx.get(TreeId::Structures, structure.as_bytes())? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("structure {structure}"))),
    }
}

impl Store {
    /// Installs `area` in `structure`; `false` if it already was.
    pub fn install_area(&self, structure: &str, area: &str) -> Result<bool> {
        let key = KeyBuf::new()
            .part(structure.as_bytes())
            .raw(area.as_bytes())
            .finish();
        self.write(|tx| {
            require_structure(tx, structure)?;
            let fresh = tx.get(TreeId::Installs, &key)?.is_none();
            tx.put(TreeId::Installs, &key, b"")?;
            Ok(fresh)
        })
    }

    /// Uninstalls `area` from `structure`; `false` if it was not installed.
    /// The area's data (kv, facts) is kept, so reinstalling restores it.
    pub fn uninstall_area(&self, structure: &str, area: &str) -> Result<bool> {
        let key = KeyBuf::new()
            .part(structure.as_bytes())
            .raw(area.as_bytes())
            .finish();
        self.write(|tx| tx.delete(TreeId::Installs, &key))
    }

    /// The areas installed in `structure`.
    pub fn installs(&self, structure: &str) -> Result<BTreeSet<String>> {
        let prefix = prefix(structure);
        let mut out = BTreeSet::new();
        self.walk(TreeId::Installs, &prefix, |(k, _)| {
            out.insert(utf8("installed area id", &k[prefix.len()..])?);
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

    #[test]
    fn install_uninstall_per_structure() {
        let (_dir, store) = temp_store();
        let ada = store.create_user(new_user("ada@b.fr")).unwrap().id;
        store
            .create_structure(new_structure("73282932000074", "A"), &ada, 1)
            .unwrap();
        store
            .create_structure(new_structure("35600000049837", "B"), &ada, 1)
            .unwrap();
        assert!(store.install_area("73282932000074", "invoices").unwrap());
        assert!(!store.install_area("73282932000074", "invoices").unwrap());
        assert!(store.install_area("73282932000074", "exports").unwrap());
        assert!(matches!(
            store.install_area("nope", "x"),
            Err(StoreError::NotFound(_))
        ));
        let set = store.installs("73282932000074").unwrap();
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["exports", "invoices"]);
        assert!(store.installs("35600000049837").unwrap().is_empty());
        assert!(store.uninstall_area("73282932000074", "invoices").unwrap());
        assert!(!store.uninstall_area("73282932000074", "invoices").unwrap());
        assert_eq!(store.installs("73282932000074").unwrap().len(), 1);
    }
}
