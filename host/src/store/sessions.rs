//! Login sessions. Stored under sha256(session id): whoever reads a copy of
//! the database gets no cookie that logs them in.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::backend::TreeId;
use super::keys::KeyBuf;
use super::{Result, Store, UserId, decode, tx_read, tx_write};

/// A login session (the id itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Who is logged in.
    pub user_id: UserId,
    /// The CSRF token forms of this session must carry.
    pub csrf: String,
    /// Login time, ms since the Unix epoch.
    pub created_ms: u64,
    /// Last request seen, ms since the Unix epoch (for idle expiry).
    pub last_seen_ms: u64,
    /// The structure the user is working in, if any.
    pub current_structure: Option<String>,
    /// The browser, as its `User-Agent` named it at sign-in (capped), so the
    /// person can recognise their sessions in My account.
    #[serde(default)]
    pub user_agent: String,
    /// The client address at sign-in, as the web layer determined it.
    #[serde(default)]
    pub ip: String,
    /// The user's `credential_epoch` when the session was made; a session
    /// from an older epoch (password changed or reset since) is refused.
    #[serde(default)]
    pub epoch: u64,
}

/// A session as its owner sees it in the list of their sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEntry {
    /// A handle naming the session in "end this session" forms: the hex
    /// SHA-256 of the id, the key it is stored under. It cannot be turned
    /// back into a cookie.
    pub handle: String,
    /// The session.
    pub session: Session,
}

fn session_key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

fn by_user_prefix(user: &UserId) -> Vec<u8> {
    KeyBuf::new().part(user.as_str().as_bytes()).finish()
}

fn by_user_key(user: &UserId, hash: &[u8]) -> Vec<u8> {
    KeyBuf::new()
        .part(user.as_str().as_bytes())
        .raw(hash)
        .finish()
}

impl Store {
    /// Stores a new session under `id` (the cookie value), replacing any.
    pub fn create_session(&self, id: &str, session: &Session) -> Result<()> {
        let hash = session_key(id);
        self.write(|tx| {
            tx_write(tx, TreeId::Sessions, &hash, session)?;
            tx.put(
                TreeId::SessionsByUser,
                &by_user_key(&session.user_id, &hash),
                b"",
            )
        })
    }

    /// The session with this id, if it exists.
    pub fn session(&self, id: &str) -> Result<Option<Session>> {
        self.read(TreeId::Sessions, &session_key(id))
    }

    /// Reads, changes and writes back a session; `false` if it is gone.
    fn update_session(
        &self,
        id: &str,
        durable: bool,
        mut change: impl FnMut(&mut Session),
    ) -> Result<bool> {
        let hash = session_key(id);
        let body = |tx: &mut dyn super::Tx| {
            let Some(mut session) = tx_read::<Session>(tx, TreeId::Sessions, &hash)? else {
                return Ok(false);
            };
            change(&mut session);
            tx_write(tx, TreeId::Sessions, &hash, &session)?;
            Ok(true)
        };
        if durable {
            self.write(body)
        } else {
            self.transact(body)
        }
    }

    /// Records activity on a session. Does not wait for durability: it runs
    /// on every request, and losing a last-seen time in a crash only makes a
    /// session expire a little early.
    pub fn touch_session(&self, id: &str, now_ms: u64) -> Result<bool> {
        self.update_session(id, false, |s| s.last_seen_ms = now_ms)
    }

    /// Sets the structure a session works in; `false` if the session is gone.
    pub fn set_session_structure(&self, id: &str, structure: Option<&str>) -> Result<bool> {
        self.update_session(id, true, |s| {
            s.current_structure = structure.map(str::to_string)
        })
    }

    /// Moves a session to the user's new credential epoch (the session that
    /// changed the password stays signed in); `false` if it is gone.
    pub fn set_session_epoch(&self, id: &str, epoch: u64) -> Result<bool> {
        self.update_session(id, true, |s| s.epoch = epoch)
    }

    /// Deletes a session (logout); `false` if it did not exist.
    pub fn delete_session(&self, id: &str) -> Result<bool> {
        let hash = session_key(id);
        self.write(|tx| {
            let Some(session) = tx_read::<Session>(tx, TreeId::Sessions, &hash)? else {
                return Ok(false);
            };
            tx.delete(
                TreeId::SessionsByUser,
                &by_user_key(&session.user_id, &hash),
            )?;
            tx.delete(TreeId::Sessions, &hash)
        })
    }

    /// Deletes every session of a user (password change, "log out
    /// everywhere"); returns how many there were.
    pub fn delete_user_sessions(&self, user: &UserId) -> Result<usize> {
        let prefix = by_user_prefix(user);
        let mut keys = Vec::new();
        self.walk(TreeId::SessionsByUser, &prefix, |(k, _)| {
            keys.push(k.clone());
            Ok(())
        })?;
        self.write(|tx| {
            let mut deleted = 0;
            for k in &keys {
                tx.delete(TreeId::SessionsByUser, k)?;
                if tx.delete(TreeId::Sessions, &k[prefix.len()..])? {
                    deleted += 1;
                }
            }
            Ok(deleted)
        })
    }

    /// The user's sessions, most recently used first.
    pub fn sessions_of(&self, user: &UserId) -> Result<Vec<SessionEntry>> {
        let prefix = by_user_prefix(user);
        let mut hashes = Vec::new();
        self.walk(TreeId::SessionsByUser, &prefix, |(k, _)| {
            hashes.push(k[prefix.len()..].to_vec());
            Ok(())
        })?;
        let mut out = Vec::new();
        for hash in hashes {
            if let Some(session) = self.read::<Session>(TreeId::Sessions, &hash)?
                && session.user_id == *user
            {
                out.push(SessionEntry {
                    handle: hex::encode(&hash),
                    session,
                });
            }
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.session.last_seen_ms));
        Ok(out)
    }

    /// The handle [`Store::sessions_of`] gives the session with this id.
    pub fn session_handle(id: &str) -> String {
        hex::encode(session_key(id))
    }

    /// Ends the session named by `handle` if it belongs to `user`; `false`
    /// otherwise (another person's handle ends nothing).
    pub fn end_session(&self, user: &UserId, handle: &str) -> Result<bool> {
        let Some(hash) = hex::decode(handle).ok().filter(|h| h.len() == 32) else {
            return Ok(false);
        };
        self.write(
            |tx| match tx_read::<Session>(tx, TreeId::Sessions, &hash)? {
                Some(s) if s.user_id == *user => {
                    tx.delete(TreeId::SessionsByUser, &by_user_key(user, &hash))?;
                    tx.delete(TreeId::Sessions, &hash)
                }
                _ => Ok(false),
            },
        )
    }

    /// Ends every session of `user` but the one with id `keep`; returns how many.
    pub fn end_other_sessions(&self, user: &UserId, keep: &str) -> Result<usize> {
        let keep = session_key(keep);
        let mut ended = 0;
        for entry in self.sessions_of(user)? {
            if entry.handle != hex::encode(keep) && self.end_session(user, &entry.handle)? {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Deletes sessions last seen before `older_than_ms`; returns how many.
    pub fn purge_sessions(&self, older_than_ms: u64) -> Result<usize> {
        let mut stale = Vec::new();
        self.walk(TreeId::Sessions, b"", |(k, v)| {
            let session: Session = decode(TreeId::Sessions, k, v)?;
            if session.last_seen_ms < older_than_ms {
                stale.push((k.clone(), session.user_id));
            }
            Ok(())
        })?;
        self.write(|tx| {
            let mut deleted = 0;
            for (hash, user) in &stale {
                // Re-check: the session may have been touched since the scan.
                match tx_read::<Session>(tx, TreeId::Sessions, hash)? {
                    Some(s) if s.last_seen_ms < older_than_ms => {
                        tx.delete(TreeId::Sessions, hash)?;
                        tx.delete(TreeId::SessionsByUser, &by_user_key(user, hash))?;
                        deleted += 1;
                    }
                    _ => {}
                }
            }
            Ok(deleted)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;
    use crate::store::users::tests::new_user;

    fn session(user: &UserId, at: u64) -> Session {
        Session {
            user_id: user.clone(),
            csrf: "csrf".into(),
            created_ms: at,
            last_seen_ms: at,
            current_structure: None,
            user_agent: String::new(),
            ip: String::new(),
            epoch: 0,
        }
    }

    #[test]
    fn sessions_are_found_by_id_but_stored_under_its_hash() {
        let (dir, store) = temp_store();
        let user = store.create_user(new_user("a@b.fr")).unwrap().id;
        let id = "cookie-value-0123456789abcdef-unique-marker";
        store.create_session(id, &session(&user, 10)).unwrap();
        assert_eq!(store.session(id).unwrap().unwrap().user_id, user);
        assert_eq!(store.session("other").unwrap(), None);

        assert!(store.touch_session(id, 20).unwrap());
        assert!(
            store
                .set_session_structure(id, Some("73282932000074"))
                .unwrap()
        );
        let s = store.session(id).unwrap().unwrap();
        assert_eq!(
            (s.last_seen_ms, s.current_structure.as_deref()),
            (20, Some("73282932000074"))
        );
        assert!(!store.touch_session("other", 20).unwrap());

        drop(store);
        let mut found = false;
        for file in walk_files(dir.path()) {
            let bytes = std::fs::read(&file).unwrap();
            found |= bytes.windows(id.len()).any(|w| w == id.as_bytes());
        }
        assert!(!found, "the raw session id reached the disk");
    }

    #[test]
    fn logout_everywhere_and_purge() {
        let (_dir, store) = temp_store();
        let a = store.create_user(new_user("a@b.fr")).unwrap().id;
        let b = store.create_user(new_user("b@b.fr")).unwrap().id;
        store.create_session("a1", &session(&a, 10)).unwrap();
        store.create_session("a2", &session(&a, 100)).unwrap();
        store.create_session("b1", &session(&b, 10)).unwrap();
        store.create_session("b2", &session(&b, 100)).unwrap();

        assert!(store.delete_session("a2").unwrap());
        assert!(!store.delete_session("a2").unwrap());
        assert_eq!(store.delete_user_sessions(&a).unwrap(), 1);
        assert_eq!(store.session("a1").unwrap(), None);
        assert!(
            store.session("b1").unwrap().is_some(),
            "other users keep theirs"
        );

        assert_eq!(store.purge_sessions(50).unwrap(), 1);
        assert_eq!(store.session("b1").unwrap(), None);
        assert!(store.session("b2").unwrap().is_some());
        let index = store
            .backend()
            .scan(TreeId::SessionsByUser, &by_user_prefix(&b), None, 10)
            .unwrap();
        assert_eq!(index.len(), 1, "purge also cleaned the index");
    }

    fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk_files(&p))
            } else {
                out.push(p)
            }
        }
        out
    }
}
