//! A structure's services: the sub-units invoices are addressed to.

use serde::{Deserialize, Serialize};

use super::backend::TreeId;
use super::installs::require_structure;
use super::keys::KeyBuf;
use super::{Result, Store, StoreError, tx_read, tx_write};

/// Most services one structure may declare: a page lists them all.
pub const MAX_SERVICES: usize = 500;

/// A service of a structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Code suppliers write on invoices; unique in the structure, never changed.
    pub code: String,
    /// Label.
    pub name: String,
    /// Inactive services are kept (old invoices name them) but not offered.
    pub active: bool,
}

fn key(structure: &str, code: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(structure.as_bytes())
        .raw(code.as_bytes())
        .finish()
}

impl Store {
    /// Adds a service. `Conflict` if the code exists in this structure,
    /// `NotFound` if the structure does not exist, `LimitExceeded` past
    /// [`MAX_SERVICES`].
    pub fn create_service(&self, structure: &str, service: &Service) -> Result<()> {
        if self.services(structure)?.len() >= MAX_SERVICES {
            return Err(StoreError::LimitExceeded(format!(
                "a structure declares at most {MAX_SERVICES} services"
            )));
        }
        let key = key(structure, &service.code);
        self.write(|tx| {
            require_structure(tx, structure)?;
            if tx.get(TreeId::Services, &key)?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "service code {} is already used in this structure",
                    service.code
                )));
            }
            tx_write(tx, TreeId::Services, &key, service)
        })
    }

    /// Changes a service's name and active flag. `NotFound` if there is no
    /// service with this code.
    pub fn update_service(
        &self,
        structure: &str,
        code: &str,
        name: &str,
        active: bool,
    ) -> Result<Service> {
        let key = key(structure, code);
        self.write(|tx| {
            let mut s: Service = tx_read(tx, TreeId::Services, &key)?
                .ok_or_else(|| StoreError::NotFound(format!("service {code}")))?;
            s.name = name.to_string();
            s.active = active;
            tx_write(tx, TreeId::Services, &key, &s)?;
            Ok(s)
        })
    }

    /// The services of `structure`, by code.
    pub fn services(&self, structure: &str) -> Result<Vec<Service>> {
        let prefix = KeyBuf::new().part(structure.as_bytes()).finish();
        self.records(TreeId::Services, &prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::structures::tests::new_structure;
    use crate::store::test_support::temp_store;
    use crate::store::users::tests::new_user;

    #[test]
    fn services_are_per_structure_and_codes_unique() {
        let (_dir, store) = temp_store();
        let ada = store.create_user(new_user("ada@b.fr")).unwrap().id;
        store
            .create_structure(new_structure("73282932000074", "A"), &ada, 1)
            .unwrap();
        store
            .create_structure(new_structure("35600000049837", "B"), &ada, 1)
            .unwrap();
        let srv = Service {
            code: "ACC".into(),
            name: "Accounting".into(),
            active: true,
        };
        store.create_service("73282932000074", &srv).unwrap();
        assert!(matches!(
            store.create_service("73282932000074", &srv),
            Err(StoreError::Conflict(_))
        ));
        store.create_service("35600000049837", &srv).unwrap();
        let updated = store
            .update_service("73282932000074", "ACC", "Compta", false)
            .unwrap();
        assert!(!updated.active);
        assert_eq!(store.services("73282932000074").unwrap(), [updated]);
        assert!(
            store.services("35600000049837").unwrap()[0].active,
            "the other structure's service is untouched"
        );
        assert!(matches!(
            store.update_service("73282932000074", "NOPE", "x", true),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.create_service("00000000000000", &srv),
            Err(StoreError::NotFound(_))
        ));
    }
}
