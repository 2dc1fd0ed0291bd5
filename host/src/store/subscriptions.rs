//! Area subscriptions: a member asks to use an area the structure added
//! (`install: on-request`), a manager approves or refuses.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::backend::TreeId;
use super::keys::{KeyBuf, split_part};
use super::{Result, Store, StoreError, UserId, tx_read, tx_write, utf8};
use crate::directory::{RequestStatus, SubscriptionMode};

/// A member's subscription (or request for one) to an area of a structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The structure.
    pub structure: String,
    /// The member.
    pub user: UserId,
    /// The area.
    pub area: String,
    /// Consultation or modification.
    pub mode: SubscriptionMode,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it was asked for, ms since the Unix epoch.
    pub created_ms: u64,
    /// When a manager decided, if one did.
    pub decided_ms: Option<u64>,
}

fn key(structure: &str, user: &UserId, area: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(structure.as_bytes())
        .part(user.as_str().as_bytes())
        .raw(area.as_bytes())
        .finish()
}

fn by_user_key(user: &UserId, structure: &str, area: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(user.as_str().as_bytes())
        .part(structure.as_bytes())
        .raw(area.as_bytes())
        .finish()
}

impl Store {
    /// Asks for `area` in `structure` for `user` (a member). `NotFound`
    /// unless the user is a member and the area is installed; `Conflict` if a
    /// request is pending or the same subscription is approved. Asking for
    /// another mode (or again after a refusal) replaces the old request.
    pub fn request_subscription(
        &self,
        structure: &str,
        user: &UserId,
        area: &str,
        mode: SubscriptionMode,
        now_ms: u64,
    ) -> Result<Subscription> {
        let sub = Subscription {
            structure: structure.to_string(),
            user: user.clone(),
            area: area.to_string(),
            mode,
            status: RequestStatus::Pending,
            created_ms: now_ms,
            decided_ms: None,
        };
        let key = key(structure, user, area);
        let member = KeyBuf::new()
            .part(structure.as_bytes())
            .part(user.as_str().as_bytes())
            .finish();
        let install = KeyBuf::new()
            .part(structure.as_bytes())
            .raw(area.as_bytes())
            .finish();
        self.write(|tx| {
            if tx.get(TreeId::Memberships, &member)?.is_none() {
                return Err(StoreError::NotFound(format!("structure {structure}")));
            }
            if tx.get(TreeId::Installs, &install)?.is_none() {
                return Err(StoreError::NotFound(format!(
                    "area {area} is not added to this structure"
                )));
            }
            if let Some(old) = tx_read::<Subscription>(tx, TreeId::Subscriptions, &key)? {
                let same = old.status == RequestStatus::Approved && old.mode == mode;
                if old.status == RequestStatus::Pending || same {
                    return Err(StoreError::Conflict(format!(
                        "you already have a {} {} subscription to this area",
                        old.status.as_str(),
                        old.mode.as_str()
                    )));
                }
            }
            tx_write(tx, TreeId::Subscriptions, &key, &sub)?;
            tx.put(
                TreeId::SubscriptionsByUser,
                &by_user_key(user, structure, area),
                b"",
            )
        })?;
        Ok(sub)
    }

    /// Approves or refuses a pending request. `NotFound` if there is none.
    pub fn decide_subscription(
        &self,
        structure: &str,
        user: &UserId,
        area: &str,
        approve: bool,
        now_ms: u64,
    ) -> Result<Subscription> {
        let key = key(structure, user, area);
        self.write(|tx| {
            let mut s: Subscription = tx_read(tx, TreeId::Subscriptions, &key)?
                .filter(|s: &Subscription| s.status == RequestStatus::Pending)
                .ok_or_else(|| {
                    StoreError::NotFound(format!("pending subscription of {user} to {area}"))
                })?;
            s.status = if approve {
                RequestStatus::Approved
            } else {
                RequestStatus::Refused
            };
            s.decided_ms = Some(now_ms);
            tx_write(tx, TreeId::Subscriptions, &key, &s)?;
            Ok(s)
        })
    }

    /// Every subscription and request in `structure`: pending first, newest first.
    pub fn subscriptions(&self, structure: &str) -> Result<Vec<Subscription>> {
        let prefix = KeyBuf::new().part(structure.as_bytes()).finish();
        let mut out: Vec<Subscription> = self.records(TreeId::Subscriptions, &prefix)?;
        out.sort_by_key(|s| RequestStatus::pending_first(s.status, s.created_ms));
        Ok(out)
    }

    /// The areas `user` may open in `structure` through an approved
    /// subscription. Read on every page: tabs follow approvals at once.
    pub fn subscribed_areas(&self, structure: &str, user: &UserId) -> Result<BTreeSet<String>> {
        let prefix = KeyBuf::new()
            .part(structure.as_bytes())
            .part(user.as_str().as_bytes())
            .finish();
        let mut out = BTreeSet::new();
        self.walk(TreeId::Subscriptions, &prefix, |(k, v)| {
            let s: Subscription = super::decode(TreeId::Subscriptions, k, v)?;
            if s.status == RequestStatus::Approved {
                out.insert(utf8("area id", &k[prefix.len()..])?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Every subscription and request of `user`, in every structure.
    pub fn subscriptions_of(&self, user: &UserId) -> Result<Vec<Subscription>> {
        let prefix = KeyBuf::new().part(user.as_str().as_bytes()).finish();
        let mut keys = Vec::new();
        self.walk(TreeId::SubscriptionsByUser, &prefix, |(k, _)| {
            let (structure, area) = split_part(&k[prefix.len()..])
                .ok_or_else(|| StoreError::Corrupt("subscription key does not decode".into()))?;
            keys.push(key(
                &utf8("structure id", structure)?,
                user,
                &utf8("area id", area)?,
            ));
            Ok(())
        })?;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(s) = self.read::<Subscription>(TreeId::Subscriptions, &k)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Keys (main, reverse) of `user`'s subscriptions in `structure`, for
    /// removal with the membership.
    pub(crate) fn subscription_keys(
        &self,
        structure: &str,
        user: &UserId,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let prefix = KeyBuf::new()
            .part(structure.as_bytes())
            .part(user.as_str().as_bytes())
            .finish();
        let mut out = Vec::new();
        self.walk(TreeId::Subscriptions, &prefix, |(k, _)| {
            let area = utf8("area id", &k[prefix.len()..])?;
            out.push((k.clone(), by_user_key(user, structure, &area)));
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Role;
    use crate::store::structures::tests::new_structure;
    use crate::store::test_support::temp_store;
    use crate::store::users::tests::new_user;

    #[test]
    fn subscribe_approve_and_lose_it_with_the_membership() {
        let (_dir, store) = temp_store();
        let ada = store.create_user(new_user("ada@b.fr")).unwrap().id;
        let bob = store.create_user(new_user("bob@b.fr")).unwrap().id;
        let sid = "73282932000074";
        store
            .create_structure(new_structure(sid, "Zeta"), &ada, 1)
            .unwrap();
        let mode = SubscriptionMode::Consultation;
        assert!(
            matches!(
                store.request_subscription(sid, &bob, "invoices", mode, 2),
                Err(StoreError::NotFound(_))
            ),
            "not a member"
        );
        store.add_member(sid, &bob, Role::User).unwrap();
        assert!(
            matches!(
                store.request_subscription(sid, &bob, "invoices", mode, 2),
                Err(StoreError::NotFound(_))
            ),
            "not installed"
        );
        store.install_area(sid, "invoices").unwrap();
        store
            .request_subscription(sid, &bob, "invoices", mode, 3)
            .unwrap();
        assert!(matches!(
            store.request_subscription(sid, &bob, "invoices", mode, 4),
            Err(StoreError::Conflict(_))
        ));
        assert!(
            store.subscribed_areas(sid, &bob).unwrap().is_empty(),
            "pending is not subscribed"
        );
        store
            .decide_subscription(sid, &bob, "invoices", true, 5)
            .unwrap();
        assert_eq!(
            store
                .subscribed_areas(sid, &bob)
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            ["invoices"]
        );
        assert_eq!(store.subscriptions_of(&bob).unwrap().len(), 1);
        assert!(store.remove_member(sid, &bob).unwrap());
        assert!(
            store.subscriptions(sid).unwrap().is_empty(),
            "removed with the membership"
        );
        assert!(store.subscriptions_of(&bob).unwrap().is_empty());
    }
}
