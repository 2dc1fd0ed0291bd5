//! The links Portico emails (see `auth::tokens`): one live link per user and
//! purpose, stored as the hash of its secret, used up in the same
//! transaction as its effect.

use serde::{Deserialize, Serialize};

use super::backend::TreeId;
use super::keys::KeyBuf;
use super::{Result, Store, StoreError, User, UserId, tx_read, tx_write};
use crate::auth::tokens::{self, Purpose};

/// A live emailed link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLink {
    /// Hex SHA-256 of the link's secret.
    pub secret_hash: String,
    /// When it was sent, ms since the Unix epoch.
    pub created_ms: u64,
    /// When it stops working, ms since the Unix epoch.
    pub expires_ms: u64,
    /// For [`Purpose::ChangeEmail`]: the address it confirms.
    #[serde(default)]
    pub new_email: Option<String>,
}

/// Why a link did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkProblem {
    /// Unknown, already used, replaced by a newer link, or not ours.
    Unknown,
    /// It was right, but too old; it is gone now.
    Expired,
    /// A new login email that another account took meanwhile.
    EmailTaken,
}

fn key(user: &UserId, purpose: Purpose) -> Vec<u8> {
    KeyBuf::new()
        .part(user.as_str().as_bytes())
        .raw(purpose.as_str().as_bytes())
        .finish()
}

/// Checks a link inside a transaction and deletes it if it was right
/// (used or expired). Unknown and wrong links leave the stored one alone.
fn take(
    tx: &mut dyn super::Tx,
    user: &UserId,
    purpose: Purpose,
    secret: &str,
    now_ms: u64,
) -> Result<std::result::Result<AccountLink, LinkProblem>> {
    let k = key(user, purpose);
    let Some(link) = tx_read::<AccountLink>(tx, TreeId::AccountLinks, &k)? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if !tokens::secret_matches(&link.secret_hash, secret) {
        return Ok(Err(LinkProblem::Unknown));
    }
    tx.delete(TreeId::AccountLinks, &k)?;
    if now_ms >= link.expires_ms {
        return Ok(Err(LinkProblem::Expired));
    }
    Ok(Ok(link))
}

fn read_user(tx: &mut dyn super::Tx, user: &UserId) -> Result<User> {
    tx_read::<User>(tx, TreeId::Users, user.as_str().as_bytes())?
        .ok_or_else(|| StoreError::NotFound(format!("user {user}")))
}

impl Store {
    /// Stores the link for (`user`, `purpose`), replacing (and so
    /// invalidating) any earlier one.
    pub fn put_account_link(
        &self,
        user: &UserId,
        purpose: Purpose,
        secret_hash: &str,
        now_ms: u64,
        new_email: Option<String>,
    ) -> Result<()> {
        let link = AccountLink {
            secret_hash: secret_hash.to_string(),
            created_ms: now_ms,
            expires_ms: now_ms.saturating_add(tokens::lifetime_ms(purpose)),
            new_email,
        };
        self.write(|tx| {
            // The user must exist: a link for nobody would be a dangling record.
            read_user(tx, user)?;
            tx_write(tx, TreeId::AccountLinks, &key(user, purpose), &link)
        })
    }

    /// Whether the link `secret` for (`user`, `purpose`) would work now,
    /// without using it (the page behind a link shows its form first, so a
    /// mail scanner that opens links does not use them up).
    pub fn check_account_link(
        &self,
        user: &UserId,
        purpose: Purpose,
        secret: &str,
        now_ms: u64,
    ) -> Result<std::result::Result<AccountLink, LinkProblem>> {
        let Some(link) = self.read::<AccountLink>(TreeId::AccountLinks, &key(user, purpose))?
        else {
            return Ok(Err(LinkProblem::Unknown));
        };
        if !tokens::secret_matches(&link.secret_hash, secret) {
            return Ok(Err(LinkProblem::Unknown));
        }
        if now_ms >= link.expires_ms {
            return Ok(Err(LinkProblem::Expired));
        }
        Ok(Ok(link))
    }

    /// The new login email a live change link waits to confirm, if any.
    pub fn pending_new_email(&self, user: &UserId, now_ms: u64) -> Result<Option<String>> {
        Ok(self
            .read::<AccountLink>(TreeId::AccountLinks, &key(user, Purpose::ChangeEmail))?
            .filter(|l| now_ms < l.expires_ms)
            .and_then(|l| l.new_email))
    }

    /// Uses a new account's confirmation link: the login email is confirmed.
    pub fn confirm_email(
        &self,
        user: &UserId,
        secret: &str,
        now_ms: u64,
    ) -> Result<std::result::Result<User, LinkProblem>> {
        self.write(|tx| {
            if let Err(p) = take(tx, user, Purpose::VerifyEmail, secret, now_ms)? {
                return Ok(Err(p));
            }
            let mut u = read_user(tx, user)?;
            u.email_verified = true;
            tx_write(tx, TreeId::Users, user.as_str().as_bytes(), &u)?;
            Ok(Ok(u))
        })
    }

    /// Uses a password reset link: sets `password_hash`, ends every session
    /// (by moving the credential epoch, then deleting them), drops every
    /// other pending link, and counts the email as confirmed (the link was
    /// read in that mailbox).
    pub fn reset_password(
        &self,
        user: &UserId,
        secret: &str,
        password_hash: &str,
        now_ms: u64,
    ) -> Result<std::result::Result<User, LinkProblem>> {
        let done = self.write(|tx| {
            if let Err(p) = take(tx, user, Purpose::ResetPassword, secret, now_ms)? {
                return Ok(Err(p));
            }
            for purpose in Purpose::ALL {
                tx.delete(TreeId::AccountLinks, &key(user, purpose))?;
            }
            let mut u = read_user(tx, user)?;
            u.password_hash = password_hash.to_string();
            u.credential_epoch += 1;
            u.email_verified = true;
            tx_write(tx, TreeId::Users, user.as_str().as_bytes(), &u)?;
            Ok(Ok(u))
        })?;
        if done.is_ok() {
            self.delete_user_sessions(user)?;
        }
        Ok(done)
    }

    /// Sets a new password for a signed-in user who gave the current one:
    /// moves the credential epoch and keeps only the session `keep` (moved
    /// to the new epoch). Returns how many other sessions ended.
    pub fn change_password(&self, user: &UserId, password_hash: &str, keep: &str) -> Result<usize> {
        let (u, ()) = self.update_user(user, |u| {
            u.password_hash = password_hash.to_string();
            u.credential_epoch += 1;
        })?;
        self.set_session_epoch(keep, u.credential_epoch)?;
        self.end_other_sessions(user, keep)
    }

    /// Uses a new login email's confirmation link: the account's login
    /// email becomes the confirmed new address (and so does its contact
    /// email, if it was the old login email). Returns the user and the old
    /// address.
    pub fn confirm_email_change(
        &self,
        user: &UserId,
        secret: &str,
        now_ms: u64,
    ) -> Result<std::result::Result<(User, String), LinkProblem>> {
        self.write(|tx| {
            let link = match take(tx, user, Purpose::ChangeEmail, secret, now_ms)? {
                Ok(link) => link,
                Err(p) => return Ok(Err(p)),
            };
            let Some(new_email) = link.new_email.map(|e| super::users::normalize_email(&e)) else {
                return Ok(Err(LinkProblem::Unknown));
            };
            let mut u = read_user(tx, user)?;
            if let Some(owner) = tx.get(TreeId::UsersByEmail, new_email.as_bytes())?
                && owner != user.as_str().as_bytes()
            {
                return Ok(Err(LinkProblem::EmailTaken));
            }
            let old = std::mem::replace(&mut u.email, new_email.clone());
            tx.delete(TreeId::UsersByEmail, old.as_bytes())?;
            tx.put(
                TreeId::UsersByEmail,
                new_email.as_bytes(),
                user.as_str().as_bytes(),
            )?;
            if u.contact_email.eq_ignore_ascii_case(&old) {
                u.contact_email = new_email;
            }
            u.email_verified = true;
            tx_write(tx, TreeId::Users, user.as_str().as_bytes(), &u)?;
            Ok(Ok((u, old)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tokens::new_link;
    use crate::store::Session;
    use crate::store::test_support::temp_store;
    use crate::store::users::tests::new_user;

    const HOUR: u64 = 3_600_000;

    fn secret(token: &str) -> String {
        tokens::parse_link(token).unwrap().1.to_string()
    }

    #[test]
    fn a_confirmation_link_works_once() {
        let (_dir, store) = temp_store();
        let user = store.create_user(new_user("a@b.fr")).unwrap();
        assert!(!user.email_verified);
        let link = new_link(user.id.as_str());
        store
            .put_account_link(&user.id, Purpose::VerifyEmail, &link.secret_hash, 10, None)
            .unwrap();
        let s = secret(&link.token);
        assert!(
            store
                .check_account_link(&user.id, Purpose::VerifyEmail, &s, 11)
                .unwrap()
                .is_ok()
        );
        // Wrong purpose, wrong secret, wrong user: nothing.
        assert_eq!(
            store
                .confirm_email(&UserId::new("x"), &s, 11)
                .unwrap()
                .unwrap_err(),
            LinkProblem::Unknown
        );
        let other = new_link(user.id.as_str());
        assert_eq!(
            store
                .confirm_email(&user.id, &secret(&other.token), 11)
                .unwrap()
                .unwrap_err(),
            LinkProblem::Unknown
        );
        let confirmed = store.confirm_email(&user.id, &s, 11).unwrap().unwrap();
        assert!(confirmed.email_verified);
        assert!(store.user(&user.id).unwrap().unwrap().email_verified);
        assert_eq!(
            store.confirm_email(&user.id, &s, 12).unwrap().unwrap_err(),
            LinkProblem::Unknown,
            "single use"
        );
    }

    #[test]
    fn a_newer_link_replaces_the_older_and_links_expire() {
        let (_dir, store) = temp_store();
        let user = store.create_user(new_user("a@b.fr")).unwrap();
        let first = new_link(user.id.as_str());
        let second = new_link(user.id.as_str());
        for l in [&first, &second] {
            store
                .put_account_link(&user.id, Purpose::ResetPassword, &l.secret_hash, 0, None)
                .unwrap();
        }
        assert_eq!(
            store
                .reset_password(&user.id, &secret(&first.token), "h1", 1)
                .unwrap()
                .unwrap_err(),
            LinkProblem::Unknown
        );
        // Expired exactly at its lifetime; then gone.
        let at = tokens::lifetime_ms(Purpose::ResetPassword);
        assert_eq!(
            store
                .check_account_link(&user.id, Purpose::ResetPassword, &secret(&second.token), at)
                .unwrap()
                .unwrap_err(),
            LinkProblem::Expired
        );
        assert!(
            store
                .check_account_link(
                    &user.id,
                    Purpose::ResetPassword,
                    &secret(&second.token),
                    at - 1
                )
                .unwrap()
                .is_ok()
        );
        assert_eq!(
            store
                .reset_password(&user.id, &secret(&second.token), "h2", at)
                .unwrap()
                .unwrap_err(),
            LinkProblem::Expired
        );
        assert_eq!(
            store
                .reset_password(&user.id, &secret(&second.token), "h2", 1)
                .unwrap()
                .unwrap_err(),
            LinkProblem::Unknown,
            "an expired link is deleted when tried"
        );
        assert_eq!(
            store.user(&user.id).unwrap().unwrap().password_hash,
            "$argon2id$fake"
        );
    }

    #[test]
    fn a_reset_ends_every_session_and_every_other_link() {
        let (_dir, store) = temp_store();
        let user = store.create_user(new_user("a@b.fr")).unwrap();
        let session = |at| Session {
            user_id: user.id.clone(),
            csrf: "c".into(),
            created_ms: at,
            last_seen_ms: at,
            current_structure: None,
            user_agent: "Firefox".into(),
            ip: "192.0.2.1".into(),
            epoch: 0,
        };
        store.create_session("s1", &session(1)).unwrap();
        store.create_session("s2", &session(2)).unwrap();
        let verify = new_link(user.id.as_str());
        store
            .put_account_link(&user.id, Purpose::VerifyEmail, &verify.secret_hash, 0, None)
            .unwrap();
        let reset = new_link(user.id.as_str());
        store
            .put_account_link(
                &user.id,
                Purpose::ResetPassword,
                &reset.secret_hash,
                0,
                None,
            )
            .unwrap();
        let u = store
            .reset_password(&user.id, &secret(&reset.token), "new-hash", HOUR / 60)
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                u.password_hash.as_str(),
                u.credential_epoch,
                u.email_verified
            ),
            ("new-hash", 1, true)
        );
        assert!(store.sessions_of(&user.id).unwrap().is_empty());
        assert_eq!(store.session("s1").unwrap(), None);
        assert_eq!(
            store
                .confirm_email(&user.id, &secret(&verify.token), 1)
                .unwrap()
                .unwrap_err(),
            LinkProblem::Unknown
        );
    }

    #[test]
    fn changing_the_login_email_moves_the_index_unless_taken() {
        let (_dir, store) = temp_store();
        let user = store.create_user(new_user("old@b.fr")).unwrap();
        let link = new_link(user.id.as_str());
        store
            .put_account_link(
                &user.id,
                Purpose::ChangeEmail,
                &link.secret_hash,
                0,
                Some("new@b.fr".into()),
            )
            .unwrap();
        let (u, old) = store
            .confirm_email_change(&user.id, &secret(&link.token), 1)
            .unwrap()
            .unwrap();
        assert_eq!(
            (u.email.as_str(), u.contact_email.as_str(), old.as_str()),
            ("new@b.fr", "new@b.fr", "old@b.fr")
        );
        assert_eq!(
            store.user_by_email("new@b.fr").unwrap().unwrap().id,
            user.id
        );
        assert_eq!(store.user_by_email("old@b.fr").unwrap(), None);

        // Someone else took the address between the request and the click.
        let link = new_link(user.id.as_str());
        store
            .put_account_link(
                &user.id,
                Purpose::ChangeEmail,
                &link.secret_hash,
                0,
                Some("taken@b.fr".into()),
            )
            .unwrap();
        store.create_user(new_user("taken@b.fr")).unwrap();
        assert_eq!(
            store
                .confirm_email_change(&user.id, &secret(&link.token), 1)
                .unwrap()
                .unwrap_err(),
            LinkProblem::EmailTaken
        );
        assert_eq!(store.user(&user.id).unwrap().unwrap().email, "new@b.fr");
    }
}
