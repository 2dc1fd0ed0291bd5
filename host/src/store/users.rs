//! User accounts, and the e-mail index that keeps addresses unique.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::backend::TreeId;
use super::{Result, Store, StoreError, tx_read, tx_write};

/// A user's id: 128 random bits in hex. Random rather than sequential so ids
/// in URLs and logs reveal neither the number of users nor sign-up order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// A fresh random id.
    pub fn random() -> Result<UserId> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| StoreError::Backend(format!("no randomness for a user id: {e}")))?;
        Ok(UserId(hex::encode(bytes)))
    }

    /// Wraps an id that came from elsewhere (a session, a form); whether
    /// such a user exists is for the store to say.
    pub fn new(id: impl Into<String>) -> UserId {
        UserId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Random, stable id.
    pub id: UserId,
    /// Login e-mail, lower-cased and trimmed; unique.
    pub email: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Where notifications go; may differ from the login e-mail.
    pub contact_email: String,
    /// argon2id PHC string (the store never sees a password).
    pub password_hash: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: u64,
    /// Last successful login, ms since the Unix epoch.
    pub last_login_ms: Option<u64>,
    /// The login before the last one: what "last connection" shows to a
    /// person who has just signed in.
    #[serde(default)]
    pub previous_login_ms: Option<u64>,
    /// Operators run the deployment (`/ops`); not a structure role.
    pub operator: bool,
    /// The language the user chose (`fr`, `en`); `None`: the browser's.
    #[serde(default)]
    pub language: Option<String>,
    /// Whether the login email was confirmed through an emailed link.
    /// Accounts stored before confirmation existed read as confirmed: they
    /// were accepted then, and locking them out of their structures now
    /// would help no one.
    #[serde(default = "confirmed_before_links_existed")]
    pub email_verified: bool,
    /// Bumped when the password changes or is reset: a session made under an
    /// older value is refused (see `Session::epoch`), so a reset ends every
    /// session, even one created while the reset was under way.
    #[serde(default)]
    pub credential_epoch: u64,
}

fn confirmed_before_links_existed() -> bool {
    true
}

/// What [`Store::create_user`] needs; the id is generated.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login e-mail (normalised by the store).
    pub email: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Contact e-mail.
    pub contact_email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether the account is an operator.
    pub operator: bool,
    /// Whether the login email is known to work (demo and operator accounts;
    /// a sign-up is not until its link is used).
    pub email_verified: bool,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: u64,
}

/// The form in which e-mails are compared and indexed.
pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Store {
    /// Creates a user. `Conflict` if the (normalised) e-mail is taken; the
    /// check and the insert are one transaction, so two sign-ups racing for
    /// one address cannot both succeed.
    pub fn create_user(&self, new: NewUser) -> Result<User> {
        let email = normalize_email(&new.email);
        if email.is_empty() {
            return Err(StoreError::Invalid("the e-mail is empty".into()));
        }
        let user = User {
            id: UserId::random()?,
            email,
            first_name: new.first_name,
            last_name: new.last_name,
            contact_email: new.contact_email,
            password_hash: new.password_hash,
            created_ms: new.created_ms,
            last_login_ms: None,
            previous_login_ms: None,
            operator: new.operator,
            language: None,
            email_verified: new.email_verified,
            credential_epoch: 0,
        };
        self.write(|tx| {
            if tx
                .get(TreeId::UsersByEmail, user.email.as_bytes())?
                .is_some()
            {
                return Err(StoreError::Conflict(format!(
                    "the e-mail {} is already registered",
                    user.email
                )));
            }
            tx.put(
                TreeId::UsersByEmail,
                user.email.as_bytes(),
                user.id.as_str().as_bytes(),
            )?;
            tx_write(tx, TreeId::Users, user.id.as_str().as_bytes(), &user)
        })?;
        Ok(user)
    }

    /// The user with this id.
    pub fn user(&self, id: &UserId) -> Result<Option<User>> {
        self.read(TreeId::Users, id.as_str().as_bytes())
    }

    /// The user with this login e-mail (normalised before lookup).
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = normalize_email(email);
        match self.backend().get(TreeId::UsersByEmail, email.as_bytes())? {
            None => Ok(None),
            Some(id) => {
                let id = UserId(super::utf8("user id in the e-mail index", &id)?);
                match self.user(&id)? {
                    Some(user) => Ok(Some(user)),
                    None => Err(StoreError::Corrupt(format!(
                        "e-mail {email} indexes missing user {id}"
                    ))),
                }
            }
        }
    }

    /// Reads, changes and writes back one user in a transaction.
    pub(super) fn update_user<T>(
        &self,
        id: &UserId,
        mut change: impl FnMut(&mut User) -> T,
    ) -> Result<(User, T)> {
        self.write(|tx| {
            let key = id.as_str().as_bytes();
            let mut user: User = tx_read(tx, TreeId::Users, key)?
                .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
            let out = change(&mut user);
            tx_write(tx, TreeId::Users, key, &user)?;
            Ok((user, out))
        })
    }

    /// Changes a user's names and contact e-mail; returns the updated user.
    pub fn update_profile(
        &self,
        id: &UserId,
        first_name: &str,
        last_name: &str,
        contact_email: &str,
    ) -> Result<User> {
        let (user, ()) = self.update_user(id, |u| {
            u.first_name = first_name.to_string();
            u.last_name = last_name.to_string();
            u.contact_email = contact_email.trim().to_string();
        })?;
        Ok(user)
    }

    /// Saves the user's language (`fr`, `en`), or forgets it with `None`.
    pub fn set_language(&self, id: &UserId, language: Option<&str>) -> Result<()> {
        self.update_user(id, |u| u.language = language.map(str::to_owned))?;
        Ok(())
    }

    /// Records a successful login at `now_ms`; returns the previous login
    /// time (shown to the user: "last login …" helps spot account misuse).
    pub fn record_login(&self, id: &UserId, now_ms: u64) -> Result<Option<u64>> {
        let (_, previous) = self.update_user(id, |u| {
            let previous = u.last_login_ms.replace(now_ms);
            u.previous_login_ms = previous;
            previous
        })?;
        Ok(previous)
    }

    /// Grants or removes operator rights.
    pub fn set_operator(&self, id: &UserId, operator: bool) -> Result<()> {
        self.update_user(id, |u| u.operator = operator)?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    pub(crate) fn new_user(email: &str) -> NewUser {
        NewUser {
            email: email.into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            contact_email: email.into(),
            password_hash: "$argon2id$fake".into(),
            operator: false,
            email_verified: false,
            created_ms: 1_000,
        }
    }

    #[test]
    fn create_and_find_by_id_and_normalised_email() {
        let (_dir, store) = temp_store();
        let user = store.create_user(new_user("  Ada@Example.ORG ")).unwrap();
        assert_eq!(user.email, "ada@example.org");
        assert_eq!(user.id.as_str().len(), 32, "128 bits in hex");
        assert_eq!(store.user(&user.id).unwrap().as_ref(), Some(&user));
        assert_eq!(
            store.user_by_email("ADA@example.org").unwrap().as_ref(),
            Some(&user)
        );
        assert_eq!(store.user_by_email("nobody@example.org").unwrap(), None);
        assert_eq!(store.user(&UserId::new("nope")).unwrap(), None);
    }

    #[test]
    fn an_email_can_be_registered_once_even_under_a_race() {
        let (_dir, store) = temp_store();
        store.create_user(new_user("a@b.fr")).unwrap();
        let err = store.create_user(new_user("A@B.FR")).unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(matches!(
            store.create_user(new_user("  ")),
            Err(StoreError::Invalid(_))
        ));

        let winners: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| store.create_user(new_user("race@b.fr")).is_ok()))
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(winners, 1);
    }

    #[test]
    fn profile_login_and_operator_updates() {
        let (_dir, store) = temp_store();
        let user = store.create_user(new_user("a@b.fr")).unwrap();
        let updated = store
            .update_profile(&user.id, "Grace", "Hopper", " g@navy.mil ")
            .unwrap();
        assert_eq!(
            (updated.first_name.as_str(), updated.contact_email.as_str()),
            ("Grace", "g@navy.mil")
        );
        assert_eq!(store.user(&user.id).unwrap().unwrap(), updated);

        assert_eq!(store.record_login(&user.id, 5).unwrap(), None);
        assert_eq!(store.record_login(&user.id, 9).unwrap(), Some(5));
        assert_eq!(
            store.user(&user.id).unwrap().unwrap().last_login_ms,
            Some(9)
        );

        store.set_operator(&user.id, true).unwrap();
        assert!(store.user(&user.id).unwrap().unwrap().operator);
        let missing = UserId::new("missing");
        assert!(matches!(
            store.record_login(&missing, 1),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.set_operator(&missing, true),
            Err(StoreError::NotFound(_))
        ));
    }
}
