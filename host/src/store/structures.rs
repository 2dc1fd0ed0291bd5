//! Structures (the organisations users work for) and memberships.
//!
//! Membership rules (one primary manager, who may change roles…) come in a
//! later change; `add_member`, `set_role` and `remove_member` only keep the
//! two membership trees consistent.

use serde::{Deserialize, Serialize};

use super::backend::TreeId;
use super::keys::{KeyBuf, split_part};
use super::{Result, Store, StoreError, User, UserId, tx_read, tx_write, utf8};
use crate::directory::{Identifier, IdentifierType, Role, StructureKind};

/// A registered structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Structure {
    /// Its identifier (SIRET…), unique, used in URLs.
    pub id: Identifier,
    /// The kind of identifier.
    pub identifier_type: IdentifierType,
    /// Company or administration name.
    pub name: String,
    /// Private supplier or public buyer.
    pub kind: StructureKind,
    /// Inactive structures keep their data but cannot be worked in.
    pub active: bool,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: u64,
}

/// What [`Store::create_structure`] needs.
#[derive(Debug, Clone)]
pub struct NewStructure {
    /// Validated identifier.
    pub id: Identifier,
    /// The kind of identifier.
    pub identifier_type: IdentifierType,
    /// Name.
    pub name: String,
    /// Private or public.
    pub kind: StructureKind,
}

/// A membership as stored; a struct so that services and area
/// subscriptions can be added without a format change.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Membership {
    role: Role,
}

fn membership_key(structure: &str, user: &UserId) -> Vec<u8> {
    KeyBuf::new()
        .part(structure.as_bytes())
        .part(user.as_str().as_bytes())
        .finish()
}

fn by_user_key(user: &UserId, structure: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(user.as_str().as_bytes())
        .part(structure.as_bytes())
        .finish()
}

/// The second component of a two-part key.
fn second_part(key: &[u8]) -> Result<&[u8]> {
    split_part(key)
        .and_then(|(_, rest)| split_part(rest))
        .map(|(second, _)| second)
        .ok_or_else(|| StoreError::Corrupt("membership key does not decode".into()))
}

impl Store {
    /// Creates a structure with `creator` as its primary manager, in one
    /// transaction: there is never a structure without a manager. `Conflict`
    /// if the identifier is registered, `NotFound` if the creator is unknown.
    pub fn create_structure(
        &self,
        new: NewStructure,
        creator: &UserId,
        now_ms: u64,
    ) -> Result<Structure> {
        let structure = Structure {
            id: new.id,
            identifier_type: new.identifier_type,
            name: new.name,
            kind: new.kind,
            active: true,
            created_ms: now_ms,
        };
        let sid = structure.id.as_str();
        self.write(|tx| {
            if tx.get(TreeId::Structures, sid.as_bytes())?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "structure {sid} is already registered"
                )));
            }
            if tx
                .get(TreeId::Users, creator.as_str().as_bytes())?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("user {creator}")));
            }
            tx_write(tx, TreeId::Structures, sid.as_bytes(), &structure)?;
            let membership = Membership {
                role: Role::PrimaryManager,
            };
            tx_write(
                tx,
                TreeId::Memberships,
                &membership_key(sid, creator),
                &membership,
            )?;
            tx.put(TreeId::MembershipsByUser, &by_user_key(creator, sid), b"")
        })?;
        Ok(structure)
    }

    /// The structure with this identifier.
    pub fn structure(&self, id: &str) -> Result<Option<Structure>> {
        self.read(TreeId::Structures, id.as_bytes())
    }

    /// How many structures are registered.
    pub fn structure_count(&self) -> Result<u64> {
        let mut n = 0;
        self.walk(TreeId::Structures, b"", |_| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    /// The structures `user` belongs to, with their role, sorted by name.
    pub fn memberships_of(&self, user: &UserId) -> Result<Vec<(Structure, Role)>> {
        let prefix = KeyBuf::new().part(user.as_str().as_bytes()).finish();
        let mut ids = Vec::new();
        self.walk(TreeId::MembershipsByUser, &prefix, |(k, _)| {
            ids.push(utf8("structure id", second_part(k)?)?);
            Ok(())
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let structure = self.structure(&id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("membership of {user} in missing structure {id}"))
            })?;
            // A membership removed between the two reads is simply skipped.
            if let Some(role) = self.role_in(user, &id)? {
                out.push((structure, role));
            }
        }
        out.sort_by(|(a, _), (b, _)| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// `user`'s role in `structure`, if a member.
    pub fn role_in(&self, user: &UserId, structure: &str) -> Result<Option<Role>> {
        let m: Option<Membership> =
            self.read(TreeId::Memberships, &membership_key(structure, user))?;
        Ok(m.map(|m| m.role))
    }

    /// The members of `structure`: the primary manager first, then by role,
    /// then by name.
    pub fn members(&self, structure: &str) -> Result<Vec<(User, Role)>> {
        let prefix = KeyBuf::new().part(structure.as_bytes()).finish();
        let mut found = Vec::new();
        self.walk(TreeId::Memberships, &prefix, |(k, v)| {
            let user = UserId::new(utf8("user id", second_part(k)?)?);
            let m: Membership = super::decode(TreeId::Memberships, k, v)?;
            found.push((user, m.role));
            Ok(())
        })?;
        let mut out = Vec::with_capacity(found.len());
        for (id, role) in found {
            let user = self.user(&id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("structure {structure} has missing member {id}"))
            })?;
            out.push((user, role));
        }
        out.sort_by(|(a, ra), (b, rb)| {
            (ra, &a.last_name, &a.first_name, &a.email).cmp(&(
                rb,
                &b.last_name,
                &b.first_name,
                &b.email,
            ))
        });
        Ok(out)
    }

    /// Adds `user` to `structure` with `role`. `Conflict` if already a
    /// member, `NotFound` if either does not exist.
    pub fn add_member(&self, structure: &str, user: &UserId, role: Role) -> Result<()> {
        self.write(|tx| {
            if tx.get(TreeId::Structures, structure.as_bytes())?.is_none() {
                return Err(StoreError::NotFound(format!("structure {structure}")));
            }
            if tx.get(TreeId::Users, user.as_str().as_bytes())?.is_none() {
                return Err(StoreError::NotFound(format!("user {user}")));
            }
            let key = membership_key(structure, user);
            if tx.get(TreeId::Memberships, &key)?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "user {user} is already a member of {structure}"
                )));
            }
            tx_write(tx, TreeId::Memberships, &key, &Membership { role })?;
            tx.put(
                TreeId::MembershipsByUser,
                &by_user_key(user, structure),
                b"",
            )
        })
    }

    /// Changes a member's role. `NotFound` if not a member.
    pub fn set_role(&self, structure: &str, user: &UserId, role: Role) -> Result<()> {
        let key = membership_key(structure, user);
        self.write(|tx| {
            let mut m: Membership = tx_read(tx, TreeId::Memberships, &key)?.ok_or_else(|| {
                StoreError::NotFound(format!("user {user} in structure {structure}"))
            })?;
            m.role = role;
            tx_write(tx, TreeId::Memberships, &key, &m)
        })
    }

    /// Removes a member; `false` if not a member.
    pub fn remove_member(&self, structure: &str, user: &UserId) -> Result<bool> {
        self.write(|tx| {
            tx.delete(TreeId::MembershipsByUser, &by_user_key(user, structure))?;
            tx.delete(TreeId::Memberships, &membership_key(structure, user))
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::test_support::temp_store;
    use crate::store::users::tests::new_user;

    pub(crate) fn new_structure(siret: &str, name: &str) -> NewStructure {
        NewStructure {
            id: Identifier::parse(IdentifierType::Siret, siret).unwrap(),
            identifier_type: IdentifierType::Siret,
            name: name.into(),
            kind: StructureKind::Private,
        }
    }

    #[test]
    fn creating_a_structure_makes_its_creator_primary_manager() {
        let (_dir, store) = temp_store();
        let ada = store.create_user(new_user("ada@b.fr")).unwrap().id;
        let s = store
            .create_structure(new_structure("73282932000074", "Zeta"), &ada, 7)
            .unwrap();
        assert!(s.active);
        assert_eq!(store.structure("73282932000074").unwrap(), Some(s.clone()));
        assert_eq!(
            store.role_in(&ada, "73282932000074").unwrap(),
            Some(Role::PrimaryManager)
        );
        assert_eq!(store.structure_count().unwrap(), 1);

        let err = store
            .create_structure(new_structure("73282932000074", "Other"), &ada, 8)
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        let err = store
            .create_structure(
                new_structure("35600000049837", "Poste"),
                &UserId::new("ghost"),
                8,
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        assert_eq!(
            store.structure("35600000049837").unwrap(),
            None,
            "nothing half-written"
        );
        assert_eq!(store.structure_count().unwrap(), 1);
    }

    #[test]
    fn memberships_both_ways_sorted() {
        let (_dir, store) = temp_store();
        let ada = store.create_user(new_user("ada@b.fr")).unwrap();
        let mut bob_new = new_user("bob@b.fr");
        bob_new.last_name = "Aaron".into();
        let bob = store.create_user(bob_new).unwrap();
        store
            .create_structure(new_structure("73282932000074", "Zeta"), &ada.id, 1)
            .unwrap();
        store
            .create_structure(new_structure("35600000049837", "Alpha"), &bob.id, 1)
            .unwrap();
        store
            .add_member("35600000049837", &ada.id, Role::User)
            .unwrap();
        store
            .add_member("73282932000074", &bob.id, Role::SecondaryManager)
            .unwrap();
        assert!(matches!(
            store.add_member("73282932000074", &bob.id, Role::User),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.add_member("00000000000000", &bob.id, Role::User),
            Err(StoreError::NotFound(_))
        ));

        let mine: Vec<_> = store
            .memberships_of(&ada.id)
            .unwrap()
            .into_iter()
            .map(|(s, r)| (s.name, r))
            .collect();
        assert_eq!(
            mine,
            [
                ("Alpha".to_string(), Role::User),
                ("Zeta".to_string(), Role::PrimaryManager)
            ]
        );

        let members: Vec<_> = store
            .members("73282932000074")
            .unwrap()
            .into_iter()
            .map(|(u, r)| (u.email, r))
            .collect();
        assert_eq!(
            members,
            [
                ("ada@b.fr".to_string(), Role::PrimaryManager),
                ("bob@b.fr".to_string(), Role::SecondaryManager)
            ]
        );

        store
            .set_role("73282932000074", &bob.id, Role::User)
            .unwrap();
        assert_eq!(
            store.role_in(&bob.id, "73282932000074").unwrap(),
            Some(Role::User)
        );
        assert!(store.remove_member("73282932000074", &bob.id).unwrap());
        assert!(!store.remove_member("73282932000074", &bob.id).unwrap());
        assert_eq!(store.role_in(&bob.id, "73282932000074").unwrap(), None);
        assert_eq!(
            store.memberships_of(&bob.id).unwrap().len(),
            1,
            "the reverse index follows"
        );
        assert!(matches!(
            store.set_role("73282932000074", &bob.id, Role::User),
            Err(StoreError::NotFound(_))
        ));
    }
}
