//! Passwords, sessions, CSRF tokens and login throttling, as pure logic.
//!
//! The model, in a few lines:
//! - Passwords are stored as argon2id PHC strings ([`Passwords`]); a login for an
//!   unknown email still runs one full verification against a dummy hash, so
//!   "no such account" and "wrong password" cost the same time and get the
//!   same generic message from the web layer (no account enumeration).
//! - A session is a random 128-bit id in an `HttpOnly; SameSite=Strict` cookie
//!   (`__Host-` + `Secure` over HTTPS), rotated at login, expiring after
//!   [`SessionPolicy::idle`] without use or [`SessionPolicy::absolute`] after
//!   creation, whichever comes first.
//! - Every form post carries a CSRF token compared in constant time with the
//!   one held by the session, or, before login, by the pre-session cookie
//!   (double submit; see [`session::pre_session_csrf_ok`]).
//! - [`LoginThrottle`] slows password guessing per account and per client IP;
//!   [`rate::RateLimit`] caps the requests that send mail.
//! - Emailed links (confirm an address, reset a password) carry 256 random
//!   bits; only their hash is stored, one per user and purpose, used once
//!   ([`tokens`]).
//!
//! Nothing here touches HTTP types or storage: the web layer calls these
//! functions, the store persists what they produce.

pub mod email;
pub mod password;
pub mod rate;
pub mod session;
pub mod throttle;
pub mod tokens;

pub use email::{normalize_email, validate_name};
pub use password::{
    ARGON2_M_COST_KIB, ARGON2_P_COST, ARGON2_T_COST, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS,
    Passwords, validate_new_password,
};
pub use rate::RateLimit;
pub use session::{
    PRE_SESSION_COOKIE, SECURE_PRE_SESSION_COOKIE, SECURE_SESSION_COOKIE, SESSION_COOKIE,
    SessionPolicy, SessionState, clear_pre_session_cookie, clear_session_cookie, csrf_matches,
    new_csrf_token, new_session_id, pre_session_cookie, pre_session_cookie_name,
    pre_session_csrf_ok, read_cookie, session_cookie, session_cookie_name,
};
pub use throttle::LoginThrottle;

/// Internal failures of the auth module. User mistakes (a weak password, a
/// malformed email) are plain `Err(String)` messages meant to be shown as is.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// argon2 refused to hash (bad parameters or salt): a bug, not a user error.
    #[error("password hashing failed: {0}")]
    Hash(#[from] argon2::password_hash::Error),
    /// The blocking hashing task panicked or was cancelled at shutdown.
    #[error("password hashing task did not complete: {0}")]
    Task(#[from] tokio::task::JoinError),
}
