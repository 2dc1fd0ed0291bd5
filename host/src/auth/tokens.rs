//! Links sent by email: confirm an address, reset a password, confirm a new
//! login email.
//!
//! A link carries `{user id}.{secret}`. The store keeps, per (user, purpose),
//! only SHA-256(secret), an expiry and what the link may do; so:
//! - whoever reads a copy of the database cannot use a pending link;
//! - one user has at most one live link per purpose: a newer link replaces
//!   (invalidates) the older one;
//! - using a link deletes it in the same transaction as its effect
//!   (single use);
//! - the secret is compared in constant time ([`secret_matches`]).
//!
//! The secret is 256 random bits, out of reach of guessing whatever the
//! number of attempts; the link lives [`Purpose::lifetime`].

use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 256 bits: a link is a bearer credential for the account.
const SECRET_BYTES: usize = 32;

/// How long a new account's confirmation link works: a day, so that it
/// survives a night without making an old mailbox a standing credential.
pub const VERIFY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a password reset link works: short, since it grants the account
/// (OWASP's forgot-password guidance).
pub const RESET_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// How long a new login email's confirmation link works.
pub const EMAIL_CHANGE_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// What a link is for. Each purpose has its own slot per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Confirms a new account's login email.
    VerifyEmail,
    /// Sets a new password without the old one.
    ResetPassword,
    /// Confirms a new login email before it replaces the old one.
    ChangeEmail,
}

impl Purpose {
    /// Every purpose (a password reset clears them all).
    pub const ALL: [Purpose; 3] = [
        Purpose::VerifyEmail,
        Purpose::ResetPassword,
        Purpose::ChangeEmail,
    ];

    /// The stable name used in storage keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify-email",
            Purpose::ResetPassword => "reset-password",
            Purpose::ChangeEmail => "change-email",
        }
    }

    /// How long a link of this purpose works after it was sent.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => VERIFY_LIFETIME,
            Purpose::ResetPassword => RESET_LIFETIME,
            Purpose::ChangeEmail => EMAIL_CHANGE_LIFETIME,
        }
    }
}

/// A freshly made link token: what goes in the email, and what is stored.
#[derive(Debug, Clone)]
pub struct NewLink {
    /// `{user id}.{secret}`: the `t` parameter of the link. Never stored.
    pub token: String,
    /// Hex SHA-256 of the secret: the only thing the store keeps.
    pub secret_hash: String,
}

/// Makes a link token for `user_id`.
pub fn new_link(user_id: &str) -> NewLink {
    let mut bytes = [0u8; SECRET_BYTES];
    // As for session ids: without an OS random source, stop rather than
    // hand out guessable links.
    getrandom::fill(&mut bytes).expect("the operating system random source failed");
    let secret = hex::encode(bytes);
    NewLink {
        token: format!("{user_id}.{secret}"),
        secret_hash: hash_secret(&secret),
    }
}

/// A token from a link, split; `None` when it is not of our shape (then no
/// lookup is made at all).
pub fn parse_link(token: &str) -> Option<(&str, &str)> {
    let (user, secret) = token.trim().split_once('.')?;
    let hex_of = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_of(user, 32) && hex_of(secret, 2 * SECRET_BYTES)).then_some((user, secret))
}

/// Hex SHA-256 of a link secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.to_ascii_lowercase().as_bytes()))
}

/// Whether `secret` hashes to `stored_hash`, compared in constant time.
pub fn secret_matches(stored_hash: &str, secret: &str) -> bool {
    let given = hash_secret(secret);
    !stored_hash.is_empty() && bool::from(stored_hash.as_bytes().ct_eq(given.as_bytes()))
}

/// Milliseconds of a lifetime, for expiry arithmetic on stored times.
pub fn lifetime_ms(purpose: Purpose) -> u64 {
    u64::try_from(purpose.lifetime().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_link_round_trips_and_only_its_secret_matches() {
        let link = new_link(USER);
        let (user, secret) = parse_link(&link.token).expect("our own shape");
        assert_eq!(user, USER);
        assert!(secret_matches(&link.secret_hash, secret));
        assert!(
            !link.token.contains(&link.secret_hash),
            "the stored hash is not the secret"
        );
        let other = new_link(USER);
        assert_ne!(other.token, link.token);
        let (_, other_secret) = parse_link(&other.token).unwrap();
        assert!(!secret_matches(&link.secret_hash, other_secret));
        assert!(!secret_matches("", secret));
    }

    #[test]
    fn malformed_tokens_are_refused_before_any_lookup() {
        let link = new_link(USER);
        let (_, secret) = parse_link(&link.token).unwrap();
        for bad in [
            "",
            ".",
            USER,
            &format!("{USER}."),
            &format!(".{secret}"),
            &format!("{USER}.{}", &secret[1..]),
            &format!("{USER}.{secret}0"),
            &format!("{USER}x.{secret}"),
            &format!("../{USER}.{secret}"),
            &format!("{USER}.{secret}.{secret}"),
        ] {
            assert_eq!(parse_link(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lifetimes_are_short_for_resets() {
        assert_eq!(lifetime_ms(Purpose::ResetPassword), 30 * 60 * 1000);
        assert!(Purpose::ResetPassword.lifetime() < Purpose::VerifyEmail.lifetime());
        let names: Vec<&str> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names, ["verify-email", "reset-password", "change-email"]);
    }
}
