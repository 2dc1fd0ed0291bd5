//! argon2id password hashing on the blocking pool, bounded in concurrency.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use super::AuthError;

/// NIST SP 800-63B: length is what makes a password strong; 12 keeps
/// brute force of an offline hash out of reach without composition rules.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Bounds the work and memory a single login form can ask of us (argon2
/// pre-hashes its input, so this is about request size, not hashing time).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// argon2id memory cost in KiB: OWASP Password Storage Cheat Sheet's first
/// recommended configuration (m=19 MiB, t=2, p=1), sized for a small server
/// hashing a handful of logins at a time.
pub const ARGON2_M_COST_KIB: u32 = 19_456;
/// argon2id passes over memory (OWASP, paired with [`ARGON2_M_COST_KIB`]).
pub const ARGON2_T_COST: u32 = 2;
/// argon2id lanes: one, so one hash occupies one core and the semaphore's
/// permit count maps to cores.
pub const ARGON2_P_COST: u32 = 1;

/// Checks a password chosen at signup or change. Only length is enforced.
pub fn validate_new_password(password: &str) -> Result<(), String> {
    // References to the host's messages, translated where shown.
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(crate::i18n::reference(
            "form.password-too-long",
            &[("max", &MAX_PASSWORD_BYTES.to_string())],
        ));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(crate::i18n::reference(
            "form.password-too-short",
            &[("min", &MIN_PASSWORD_CHARS.to_string())],
        ));
    }
    Ok(())
}

/// Hashes and verifies passwords. Cheap to clone (shared state behind an `Arc`).
///
/// Each hash takes ~19 MiB and tens of milliseconds of CPU, so it runs in
/// `spawn_blocking` (never on a runtime worker) and at most one per core runs
/// at once: a burst of logins queues instead of exhausting memory.
#[derive(Clone)]
pub struct Passwords {
    inner: Arc<Inner>,
}

struct Inner {
    hasher: Argon2<'static>,
    permits: Arc<Semaphore>,
    /// Verified against when the email is unknown, so that path costs one
    /// full argon2 verification like a wrong password does.
    dummy_hash: String,
}

impl Passwords {
    /// Builds the hasher and computes the dummy hash (one argon2 run, done
    /// synchronously: call this at startup, not on a runtime worker per request).
    pub fn new() -> Result<Self, AuthError> {
        let hasher = argon2id();
        // A random password nobody knows: the dummy hash must never verify.
        let secret = super::session::new_session_id();
        let dummy_hash = hash_with(&hasher, &secret)?;
        let permits = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Passwords {
            inner: Arc::new(Inner {
                hasher,
                permits: Arc::new(Semaphore::new(permits)),
                dummy_hash,
            }),
        })
    }

    /// Hashes a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    /// The caller has already accepted it with [`validate_new_password`].
    pub async fn hash(&self, password: String) -> Result<String, AuthError> {
        let inner = Arc::clone(&self.inner);
        let permit = self.acquire().await;
        tokio::task::spawn_blocking(move || {
            // The permit moves into the task: if the request is dropped
            // mid-hash, the slot stays taken until the CPU work really ends.
            let _permit = permit;
            hash_with(&inner.hasher, &password)
        })
        .await?
    }

    /// True when `password` matches `stored`. With `stored == None` (no such
    /// account) this still runs a full verification and returns false.
    /// A stored hash that does not parse is logged and never matches.
    pub async fn verify(&self, stored: Option<&str>, password: String) -> bool {
        if password.len() > MAX_PASSWORD_BYTES {
            // Says nothing about the account: the length is the client's own input.
            return false;
        }
        let account_exists = stored.is_some();
        let stored = stored.map(str::to_owned);
        let inner = Arc::clone(&self.inner);
        let permit = self.acquire().await;
        let outcome = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let phc = stored.as_deref().unwrap_or(&inner.dummy_hash);
            let parsed = match PasswordHash::new(phc) {
                Ok(parsed) => parsed,
                Err(error) => {
                    tracing::error!(%error, "stored password hash is malformed");
                    return false;
                }
            };
            // Verification takes its parameters from the PHC string, so hashes
            // made with older parameters keep verifying.
            match inner.hasher.verify_password(password.as_bytes(), &parsed) {
                Ok(()) => true,
                Err(argon2::password_hash::Error::Password) => false,
                Err(error) => {
                    tracing::error!(%error, "stored password hash cannot be verified");
                    false
                }
            }
        })
        .await;
        match outcome {
            Ok(matched) => account_exists && matched,
            Err(error) => {
                tracing::error!(%error, "password verification task failed");
                false
            }
        }
    }

    async fn acquire(&self) -> tokio::sync::OwnedSemaphorePermit {
        Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .expect("the hashing semaphore is never closed")
    }
}

fn argon2id() -> Argon2<'static> {
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .expect("the OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_with(hasher: &Argon2<'_>, password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(validate_new_password(&"é".repeat(12)).is_ok());
        let err = validate_new_password(&"é".repeat(11)).unwrap_err();
        let err = crate::i18n::translate_message(crate::i18n::Lang::En, None, &err);
        assert!(err.contains("at least 12 characters"), "{err}");
        assert!(err.contains("no rule"), "{err}");
        assert!(validate_new_password("correct horse battery").is_ok());
    }

    #[test]
    fn length_is_capped_in_bytes() {
        assert!(validate_new_password(&"a".repeat(MAX_PASSWORD_BYTES)).is_ok());
        assert!(validate_new_password(&"a".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        // 513 two-byte characters: under 1024 characters, over 1024 bytes.
        assert!(validate_new_password(&"é".repeat(513)).is_err());
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let passwords = Passwords::new().unwrap();
        let phc = passwords
            .hash("correct horse battery staple".into())
            .await
            .unwrap();
        assert!(
            phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "unexpected PHC string {phc}"
        );
        assert!(
            passwords
                .verify(Some(&phc), "correct horse battery staple".into())
                .await
        );
        assert!(
            !passwords
                .verify(Some(&phc), "correct horse battery stapler".into())
                .await
        );
        // Two hashes of the same password differ (random salt).
        let again = passwords
            .hash("correct horse battery staple".into())
            .await
            .unwrap();
        assert_ne!(phc, again);
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        let passwords = Passwords::new().unwrap();
        assert!(!passwords.verify(None, String::new()).await);
        assert!(!passwords.verify(None, "anything at all".into()).await);
        // Same parameters as real hashes, so both paths cost the same time.
        let dummy = passwords.inner.dummy_hash.clone();
        assert!(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_false() {
        let passwords = Passwords::new().unwrap();
        assert!(
            !passwords
                .verify(Some("not a hash"), "whatever".into())
                .await
        );
        assert!(!passwords.verify(Some(""), String::new()).await);
    }
}
