//! Structures (the organisations users work for) and memberships.
//!
//! Membership rules live here, inside the transactions that change
//! memberships, so no interleaving of requests can break them: a structure
//! has exactly one primary manager, always; `set_role` and `remove_member`
//! never touch the primary; only [`Store::transfer_primary`] moves the role.

use serde::{Deserialize, Serialize};

use super::backend::TreeId;
use super::keys::{KeyBuf, split_part};
use super::{Result, Store, StoreError, User, UserId, tx_read, tx_write, utf8};
use crate::directory::{Identifier, IdentifierType, RecipientRule, Role, StructureKind};

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
    /// What invoices addressed to it must carry (absent in records written
    /// before the rule existed: none).
    #[serde(default)]
    pub recipient_rule: RecipientRule,
}

/// Shortest name prefix [`Store::search_structures`] accepts: shorter ones
/// would list much of the directory to anyone signed in.
pub const MIN_NAME_PREFIX: usize = 4;

/// Name-index entries one search looks at, at most (private structures
/// sharing the prefix are skipped, so this bounds the work, not the hits).
const NAME_SCAN: usize = 200;

/// A name as the index keeps it: lowercase, inner whitespace collapsed.
fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The name-index key of a structure.
fn name_index_key(name: &str, id: &str) -> Vec<u8> {
    [name_key(name).as_bytes(), b"\0", id.as_bytes()].concat()
}

/// Most structures one search returns.
pub const MAX_SEARCH_RESULTS: usize = 20;

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

/// Writes a membership and its reverse index inside a transaction (the
/// caller checked it does not exist).
pub(crate) fn tx_add_membership(
    tx: &mut dyn super::backend::Tx,
    structure: &str,
    user: &UserId,
    role: Role,
) -> Result<()> {
    tx_write(
        tx,
        TreeId::Memberships,
        &membership_key(structure, user),
        &Membership { role },
    )?;
    tx.put(
        TreeId::MembershipsByUser,
        &by_user_key(user, structure),
        b"",
    )
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
            recipient_rule: RecipientRule::None,
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
            tx.put(
                TreeId::StructuresByName,
                &name_index_key(&structure.name, sid),
                b"",
            )?;
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
    /// member or if `role` is primary manager (there is one already: the
    /// creator), `NotFound` if either does not exist.
    pub fn add_member(&self, structure: &str, user: &UserId, role: Role) -> Result<()> {
        if role == Role::PrimaryManager {
            return Err(StoreError::Conflict(
                "a structure has one primary manager; add the member, then transfer the role"
                    .into(),
            ));
        }
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
            tx_add_membership(tx, structure, user, role)
        })
    }

    /// Changes a member's role to secondary manager or user. `NotFound` if
    /// not a member; `Conflict` if the member is the primary manager (the
    /// role only moves by [`Store::transfer_primary`]) or if `role` is
    /// primary manager.
    pub fn set_role(&self, structure: &str, user: &UserId, role: Role) -> Result<()> {
        if role == Role::PrimaryManager {
            return Err(StoreError::Conflict(
                "the primary manager role is given only by a transfer from the current primary manager".into(),
            ));
        }
        let key = membership_key(structure, user);
        self.write(|tx| {
            let mut m: Membership = tx_read(tx, TreeId::Memberships, &key)?.ok_or_else(|| {
                StoreError::NotFound(format!("user {user} in structure {structure}"))
            })?;
            if m.role == Role::PrimaryManager {
                return Err(StoreError::Conflict(
                    "the primary manager keeps the role until they transfer it to another member"
                        .into(),
                ));
            }
            m.role = role;
            tx_write(tx, TreeId::Memberships, &key, &m)
        })
    }

    /// Makes `to` the primary manager and `from` (the current primary) a
    /// secondary manager, in one transaction. `Conflict` unless `from` is the
    /// primary manager; `NotFound` unless `to` is a member.
    pub fn transfer_primary(&self, structure: &str, from: &UserId, to: &UserId) -> Result<()> {
        if from == to {
            return Err(StoreError::Conflict(
                "you are already the primary manager; choose another member".into(),
            ));
        }
        let from_key = membership_key(structure, from);
        let to_key = membership_key(structure, to);
        self.write(|tx| {
            let mut f: Membership =
                tx_read(tx, TreeId::Memberships, &from_key)?.ok_or_else(|| {
                    StoreError::NotFound(format!("user {from} in structure {structure}"))
                })?;
            if f.role != Role::PrimaryManager {
                return Err(StoreError::Conflict(
                    "only the current primary manager can transfer the role".into(),
                ));
            }
            let mut t: Membership =
                tx_read(tx, TreeId::Memberships, &to_key)?.ok_or_else(|| {
                    StoreError::NotFound(format!("user {to} in structure {structure}"))
                })?;
            f.role = Role::SecondaryManager;
            t.role = Role::PrimaryManager;
            tx_write(tx, TreeId::Memberships, &from_key, &f)?;
            tx_write(tx, TreeId::Memberships, &to_key, &t)
        })
    }

    /// Removes a member and their area subscriptions there; `false` if not a
    /// member. `Conflict` if the member is the primary manager: a structure
    /// always has one.
    pub fn remove_member(&self, structure: &str, user: &UserId) -> Result<bool> {
        let subscriptions = self.subscription_keys(structure, user)?;
        self.write(|tx| {
            let key = membership_key(structure, user);
            if let Some(m) = tx_read::<Membership>(tx, TreeId::Memberships, &key)?
                && m.role == Role::PrimaryManager
            {
                return Err(StoreError::Conflict(
                    "the primary manager cannot be removed; they must first transfer the role"
                        .into(),
                ));
            }
            for (key, by_user) in &subscriptions {
                tx.delete(TreeId::Subscriptions, key)?;
                tx.delete(TreeId::SubscriptionsByUser, by_user)?;
            }
            tx.delete(TreeId::MembershipsByUser, &by_user_key(user, structure))?;
            tx.delete(TreeId::Memberships, &key)
        })
    }

    /// Changes a structure's kind, active flag and recipient rule; returns
    /// the structure as stored. `NotFound` if it does not exist.
    pub fn update_structure_settings(
        &self,
        structure: &str,
        kind: StructureKind,
        active: bool,
        recipient_rule: RecipientRule,
    ) -> Result<Structure> {
        self.write(|tx| {
            let mut s: Structure = tx_read(tx, TreeId::Structures, structure.as_bytes())?
                .ok_or_else(|| StoreError::NotFound(format!("structure {structure}")))?;
            s.kind = kind;
            s.active = active;
            s.recipient_rule = recipient_rule;
            tx_write(tx, TreeId::Structures, structure.as_bytes(), &s)?;
            Ok(s)
        })
    }

    /// What a person may find by searching (issue 10, enumeration): the
    /// structure whose identifier is exactly `query` (spaces ignored), of
    /// any kind; and **public** structures whose name starts with `query`
    /// (at least [`MIN_NAME_PREFIX`] characters, case and inner spaces
    /// ignored), read from the name index. Private structures — suppliers —
    /// are found only by their full identifier. Inactive structures are left
    /// out; at most [`MAX_SEARCH_RESULTS`], the exact identifier first.
    pub fn search_structures(&self, query: &str) -> Result<Vec<Structure>> {
        let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
        let mut out: Vec<Structure> = Vec::new();
        if !compact.is_empty()
            && let Some(s) = self.structure(&compact)?
            && s.active
        {
            out.push(s);
        }
        let prefix = name_key(query);
        if prefix.chars().count() >= MIN_NAME_PREFIX {
            let entries = self.backend().scan(
                TreeId::StructuresByName,
                prefix.as_bytes(),
                None,
                NAME_SCAN,
            )?;
            for (key, _) in entries {
                let Some(at) = key.iter().rposition(|b| *b == 0) else {
                    continue;
                };
                let id = utf8("structure id", &key[at + 1..])?;
                let Some(s) = self.structure(&id)? else {
                    continue;
                };
                if s.active && s.kind == StructureKind::Public && !out.iter().any(|o| o.id == s.id)
                {
                    out.push(s);
                }
                if out.len() == MAX_SEARCH_RESULTS {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Builds the name index for structures registered before it existed
    /// (run at open; a no-op once every structure is indexed).
    pub(crate) fn index_structure_names(&self) -> Result<()> {
        let indexed = !self
            .backend()
            .scan(TreeId::StructuresByName, b"", None, 1)?
            .is_empty();
        let any = !self
            .backend()
            .scan(TreeId::Structures, b"", None, 1)?
            .is_empty();
        if indexed || !any {
            return Ok(());
        }
        let mut keys = Vec::new();
        self.walk(TreeId::Structures, b"", |(k, v)| {
            let s: Structure = super::decode(TreeId::Structures, k, v)?;
            keys.push(name_index_key(&s.name, s.id.as_str()));
            Ok(())
        })?;
        self.write(|tx| {
            for key in &keys {
                tx.put(TreeId::StructuresByName, key, b"")?;
            }
            Ok(())
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

    #[test]
    fn there_is_always_exactly_one_primary_manager() {
        let (_dir, store) = temp_store();
        let ada = store.create_user(new_user("ada@b.fr")).unwrap().id;
        let bob = store.create_user(new_user("bob@b.fr")).unwrap().id;
        let sid = "73282932000074";
        store
            .create_structure(new_structure(sid, "Zeta"), &ada, 1)
            .unwrap();
        assert!(matches!(
            store.add_member(sid, &bob, Role::PrimaryManager),
            Err(StoreError::Conflict(_))
        ));
        store.add_member(sid, &bob, Role::User).unwrap();
        for attempt in [
            store.set_role(sid, &ada, Role::User),
            store.set_role(sid, &bob, Role::PrimaryManager),
            store.remove_member(sid, &ada).map(|_| ()),
            store.transfer_primary(sid, &bob, &ada),
            store.transfer_primary(sid, &ada, &ada),
        ] {
            assert!(
                matches!(attempt, Err(StoreError::Conflict(_))),
                "{attempt:?}"
            );
        }
        assert_eq!(
            store.role_in(&ada, sid).unwrap(),
            Some(Role::PrimaryManager)
        );
        store.transfer_primary(sid, &ada, &bob).unwrap();
        assert_eq!(
            store.role_in(&ada, sid).unwrap(),
            Some(Role::SecondaryManager)
        );
        assert_eq!(
            store.role_in(&bob, sid).unwrap(),
            Some(Role::PrimaryManager)
        );
        let primaries = store
            .members(sid)
            .unwrap()
            .into_iter()
            .filter(|(_, r)| *r == Role::PrimaryManager)
            .count();
        assert_eq!(primaries, 1);
    }

    #[test]
    fn search_finds_any_structure_by_full_identifier_and_public_ones_by_name() {
        let (_dir, store) = temp_store();
        let ada = store.create_user(new_user("ada@b.fr")).unwrap().id;
        store
            .create_structure(new_structure("73282932000074", "Zeta SA"), &ada, 1)
            .unwrap();
        store
            .create_structure(
                new_structure("35600000049837", "Préfecture  du Nord"),
                &ada,
                1,
            )
            .unwrap();
        store
            .create_structure(
                new_structure("13000165200010", "Préfecture de Paris"),
                &ada,
                1,
            )
            .unwrap();
        for sid in ["35600000049837", "13000165200010"] {
            store
                .update_structure_settings(sid, StructureKind::Public, true, RecipientRule::None)
                .unwrap();
        }
        let names = |q: &str| {
            store
                .search_structures(q)
                .unwrap()
                .into_iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
        };
        // Digits no longer list the directory.
        assert!(names("829").is_empty());
        assert!(names("000").is_empty());
        // A full identifier finds any kind, spaces ignored.
        assert_eq!(names("732 829 320 00074"), ["Zeta SA"]);
        assert_eq!(names("13000165200010"), ["Préfecture de Paris"]);
        // A name prefix finds public bodies only, case and spaces ignored…
        assert_eq!(
            names("préfecture"),
            ["Préfecture de Paris", "Préfecture  du Nord"]
        );
        assert_eq!(names("PRÉFECTURE DU"), ["Préfecture  du Nord"]);
        // …never a private supplier, and never from a short prefix.
        assert!(names("Zeta").is_empty() && names("zeta sa").is_empty());
        assert!(names("pré").is_empty(), "three letters are not enough");
        store
            .update_structure_settings(
                "73282932000074",
                StructureKind::Private,
                false,
                RecipientRule::Either,
            )
            .unwrap();
        assert!(
            names("73282932000074").is_empty(),
            "inactive structures are not offered"
        );
        assert_eq!(
            store
                .structure("73282932000074")
                .unwrap()
                .unwrap()
                .recipient_rule,
            RecipientRule::Either
        );
    }
}
