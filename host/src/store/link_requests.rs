//! Requests to be linked to a structure, and their decisions.
//!
//! One request per (structure, person): asking again after a refusal
//! replaces the decided request, so the list a manager reads stays short;
//! who decided what, when, is kept in the audit log.

use serde::{Deserialize, Serialize};

use super::backend::TreeId;
use super::keys::{KeyBuf, split_part};
use super::{Result, Store, StoreError, UserId, tx_read, tx_write, utf8};
use crate::directory::{RequestStatus, Role};

/// Most services one link request may name.
pub const MAX_REQUEST_SERVICES: usize = 50;

/// A request to be linked to a structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRequest {
    /// The structure asked for.
    pub structure: String,
    /// Who asks.
    pub user: UserId,
    /// Service codes the person says they work for (may be empty).
    pub services: Vec<String>,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it was made, ms since the Unix epoch.
    pub created_ms: u64,
    /// When a manager decided, if one did.
    pub decided_ms: Option<u64>,
}

fn key(structure: &str, user: &UserId) -> Vec<u8> {
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

impl Store {
    /// Records `user`'s request to join `structure`. `NotFound` if the
    /// structure does not exist; `Conflict` if the user is a member already
    /// or has a pending request there.
    pub fn request_link(
        &self,
        structure: &str,
        user: &UserId,
        services: Vec<String>,
        now_ms: u64,
    ) -> Result<LinkRequest> {
        if services.len() > MAX_REQUEST_SERVICES {
            return Err(StoreError::LimitExceeded(format!(
                "a link request names at most {MAX_REQUEST_SERVICES} services, not {}",
                services.len()
            )));
        }
        let request = LinkRequest {
            structure: structure.to_string(),
            user: user.clone(),
            services,
            status: RequestStatus::Pending,
            created_ms: now_ms,
            decided_ms: None,
        };
        let key = key(structure, user);
        self.write(|tx| {
            super::installs::require_structure(tx, structure)?;
            let member = KeyBuf::new()
                .part(structure.as_bytes())
                .part(user.as_str().as_bytes())
                .finish();
            if tx.get(TreeId::Memberships, &member)?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "you are already a member of {structure}"
                )));
            }
            if let Some(old) = tx_read::<LinkRequest>(tx, TreeId::LinkRequests, &key)?
                && old.status == RequestStatus::Pending
            {
                return Err(StoreError::Conflict(format!(
                    "your request to join {structure} is already waiting for its managers"
                )));
            }
            tx_write(tx, TreeId::LinkRequests, &key, &request)?;
            tx.put(
                TreeId::LinkRequestsByUser,
                &by_user_key(user, structure),
                b"",
            )
        })?;
        Ok(request)
    }

    /// The link requests made to `structure`: pending first, then newest.
    pub fn link_requests(&self, structure: &str) -> Result<Vec<LinkRequest>> {
        let prefix = KeyBuf::new().part(structure.as_bytes()).finish();
        let mut out: Vec<LinkRequest> = self.records(TreeId::LinkRequests, &prefix)?;
        out.sort_by_key(|r| RequestStatus::pending_first(r.status, r.created_ms));
        Ok(out)
    }

    /// The link requests `user` made, newest first.
    pub fn link_requests_of(&self, user: &UserId) -> Result<Vec<LinkRequest>> {
        let prefix = KeyBuf::new().part(user.as_str().as_bytes()).finish();
        let mut structures = Vec::new();
        self.walk(TreeId::LinkRequestsByUser, &prefix, |(k, _)| {
            let (s, _) = split_part(&k[prefix.len()..])
                .ok_or_else(|| StoreError::Corrupt("link request key does not decode".into()))?;
            structures.push(utf8("structure id", s)?);
            Ok(())
        })?;
        let mut out = Vec::with_capacity(structures.len());
        for s in structures {
            if let Some(r) = self.read::<LinkRequest>(TreeId::LinkRequests, &key(&s, user))? {
                out.push(r);
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.created_ms));
        Ok(out)
    }

    /// Approves (the requester becomes a member with `role`) or refuses a
    /// pending request, in one transaction. `NotFound` if there is no
    /// pending request from `user` to `structure`.
    pub fn decide_link_request(
        &self,
        structure: &str,
        user: &UserId,
        approve: bool,
        role: Role,
        now_ms: u64,
    ) -> Result<LinkRequest> {
        if role == Role::PrimaryManager {
            return Err(StoreError::Conflict(
                "a new member cannot be made primary manager; transfer the role afterwards".into(),
            ));
        }
        let key = key(structure, user);
        self.write(|tx| {
            let mut r: LinkRequest = tx_read(tx, TreeId::LinkRequests, &key)?
                .filter(|r: &LinkRequest| r.status == RequestStatus::Pending)
                .ok_or_else(|| {
                    StoreError::NotFound(format!("pending link request from {user} to {structure}"))
                })?;
            r.status = if approve {
                RequestStatus::Approved
            } else {
                RequestStatus::Refused
            };
            r.decided_ms = Some(now_ms);
            if approve {
                let member = KeyBuf::new()
                    .part(structure.as_bytes())
                    .part(user.as_str().as_bytes())
                    .finish();
                if tx.get(TreeId::Memberships, &member)?.is_none() {
                    super::structures::tx_add_membership(tx, structure, user, role)?;
                }
            }
            tx_write(tx, TreeId::LinkRequests, &key, &r)?;
            Ok(r)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::structures::tests::new_structure;
    use crate::store::test_support::temp_store;
    use crate::store::users::tests::new_user;

    #[test]
    fn request_approve_refuse_and_ask_again() {
        let (_dir, store) = temp_store();
        let ada = store.create_user(new_user("ada@b.fr")).unwrap().id;
        let bob = store.create_user(new_user("bob@b.fr")).unwrap().id;
        let sid = "73282932000074";
        store
            .create_structure(new_structure(sid, "Zeta"), &ada, 1)
            .unwrap();

        assert!(
            matches!(
                store.request_link(sid, &ada, vec![], 2),
                Err(StoreError::Conflict(_))
            ),
            "a member cannot ask"
        );
        assert!(matches!(
            store.request_link("35600000049837", &bob, vec![], 2),
            Err(StoreError::NotFound(_))
        ));
        store
            .request_link(sid, &bob, vec!["SRV1".into()], 3)
            .unwrap();
        assert!(
            matches!(
                store.request_link(sid, &bob, vec![], 4),
                Err(StoreError::Conflict(_))
            ),
            "one pending request at a time"
        );
        assert_eq!(store.link_requests(sid).unwrap()[0].services, ["SRV1"]);

        let refused = store
            .decide_link_request(sid, &bob, false, Role::User, 5)
            .unwrap();
        assert_eq!(refused.status, RequestStatus::Refused);
        assert_eq!(store.role_in(&bob, sid).unwrap(), None);
        assert!(
            matches!(
                store.decide_link_request(sid, &bob, true, Role::User, 6),
                Err(StoreError::NotFound(_))
            ),
            "a decided request cannot be decided again"
        );

        store.request_link(sid, &bob, vec![], 7).unwrap();
        let approved = store
            .decide_link_request(sid, &bob, true, Role::User, 8)
            .unwrap();
        assert_eq!(approved.status, RequestStatus::Approved);
        assert_eq!(store.role_in(&bob, sid).unwrap(), Some(Role::User));
        let mine = store.link_requests_of(&bob).unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].status, RequestStatus::Approved);
        assert_eq!(
            store.memberships_of(&bob).unwrap().len(),
            1,
            "reverse index written"
        );
    }
}
