//! Session ids, CSRF tokens, session expiry and the session cookies.
//!
//! Pre-session CSRF (login and signup forms, shown before any session
//! exists): the page sets [`PRE_SESSION_COOKIE`] to a random token and puts
//! the same token in a hidden field; the post is accepted only when both are
//! present and equal ([`pre_session_csrf_ok`]). This double submit is enough
//! here because:
//! - the cookie is `SameSite=Strict`, so a cross-site form post (login CSRF:
//!   logging the victim into the attacker's account) arrives without it;
//! - another origin can read neither the cookie (`HttpOnly`, same-origin
//!   policy) nor the page holding the hidden field, so it cannot copy the token;
//! - over HTTPS the `__Host-` prefix forbids `Domain` and requires `Secure`,
//!   so a sibling subdomain or a plain-HTTP man in the middle cannot plant a
//!   cookie of its own choosing (the classic weakness of double submit).
//!   Without `secure` (local development over HTTP) that last guarantee is gone.
//!
//! It also needs no server-side state before login, so anonymous visitors
//! cannot make the store grow.

use std::time::Duration;

use subtle::ConstantTimeEq;

/// Session cookie name over plain HTTP (development only).
pub const SESSION_COOKIE: &str = "portico_session";
/// Session cookie name over HTTPS: `__Host-` makes the browser insist on
/// `Secure`, `Path=/` and no `Domain`, so no subdomain can set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-portico_session";
/// Pre-session CSRF cookie name over plain HTTP (development only).
pub const PRE_SESSION_COOKIE: &str = "portico_presession";
/// Pre-session CSRF cookie name over HTTPS (see the module doc for `__Host-`).
pub const SECURE_PRE_SESSION_COOKIE: &str = "__Host-portico_presession";

/// How long a login or signup form stays submittable after it was shown.
pub const PRE_SESSION_MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);

/// Default idle timeout: OWASP's range for applications handling business
/// data is 15–30 minutes.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(30 * 60);
/// Default absolute lifetime: a working day, after which one logs in again
/// whatever the activity, bounding the use of a stolen cookie.
pub const DEFAULT_ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
/// Last-seen is written at most this often, not on every request; idle
/// expiry is therefore precise to this much.
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// 128 bits: OWASP's minimum session id entropy, out of reach of guessing.
const TOKEN_BYTES: usize = 16;

/// A fresh session id: 128 random bits, 32 lowercase hex characters.
/// Generate a new one at every login (session fixation).
pub fn new_session_id() -> String {
    random_token()
}

/// A fresh CSRF token: 128 random bits, 32 lowercase hex characters.
pub fn new_csrf_token() -> String {
    random_token()
}

fn random_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    // Without an OS random source no token can be trusted: stop rather than
    // hand out guessable sessions.
    getrandom::fill(&mut bytes).expect("the operating system random source failed");
    hex::encode(bytes)
}

/// Constant-time token comparison (the time does not reveal how long a
/// prefix matched). An empty expected token never matches.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    // `ct_eq` on slices of different lengths is false; the length of a token
    // is public anyway.
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Double-submit check for forms posted before login: the pre-session
/// cookie's value (if the browser sent it) must equal the form's token.
pub fn pre_session_csrf_ok(cookie_value: Option<&str>, form_token: &str) -> bool {
    cookie_value.is_some_and(|cookie| csrf_matches(cookie, form_token))
}

/// Session lifetime limits. Times are Unix milliseconds, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Expire after this long without a request.
    pub idle: Duration,
    /// Expire this long after login, whatever the activity.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: DEFAULT_IDLE,
            absolute: DEFAULT_ABSOLUTE,
        }
    }
}

/// What [`SessionPolicy::check`] concluded about a stored session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Usable.
    Valid,
    /// Unused for [`SessionPolicy::idle`] or more.
    IdleExpired,
    /// Older than [`SessionPolicy::absolute`] (reported first when both apply).
    AbsoluteExpired,
}

impl SessionPolicy {
    /// A session is expired from the exact instant a limit is reached. A clock
    /// that went backwards counts as no time elapsed.
    pub fn check(&self, created_ms: u64, last_seen_ms: u64, now_ms: u64) -> SessionState {
        if now_ms.saturating_sub(created_ms) >= millis(self.absolute) {
            SessionState::AbsoluteExpired
        } else if now_ms.saturating_sub(last_seen_ms) >= millis(self.idle) {
            SessionState::IdleExpired
        } else {
            SessionState::Valid
        }
    }

    /// Whether last-seen is worth writing: only once it has moved by at least
    /// [`TOUCH_INTERVAL`], to avoid a store write per request.
    pub fn should_touch(&self, last_seen_ms: u64, now_ms: u64) -> bool {
        now_ms.saturating_sub(last_seen_ms) >= millis(TOUCH_INTERVAL)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The session cookie's name: `__Host-` prefixed when served over HTTPS.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The pre-session cookie's name: `__Host-` prefixed when served over HTTPS.
pub fn pre_session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_PRE_SESSION_COOKIE
    } else {
        PRE_SESSION_COOKIE
    }
}

/// `Set-Cookie` value for a session. `max_age: None` makes a browser-session
/// cookie (the server-side [`SessionPolicy`] is what really ends a session).
pub fn session_cookie(id: &str, secure: bool, max_age: Option<Duration>) -> String {
    build_cookie(session_cookie_name(secure), id, secure, max_age)
}

/// `Set-Cookie` value that deletes the session cookie (logout, expiry).
pub fn clear_session_cookie(secure: bool) -> String {
    build_cookie(
        session_cookie_name(secure),
        "",
        secure,
        Some(Duration::ZERO),
    )
}

/// `Set-Cookie` value for the pre-session CSRF token of login/signup forms.
pub fn pre_session_cookie(token: &str, secure: bool) -> String {
    build_cookie(
        pre_session_cookie_name(secure),
        token,
        secure,
        Some(PRE_SESSION_MAX_AGE),
    )
}

/// `Set-Cookie` value that deletes the pre-session cookie (after login).
pub fn clear_pre_session_cookie(secure: bool) -> String {
    build_cookie(
        pre_session_cookie_name(secure),
        "",
        secure,
        Some(Duration::ZERO),
    )
}

fn build_cookie(name: &str, value: &str, secure: bool, max_age: Option<Duration>) -> String {
    // Values are our own hex tokens; anything else would break the header.
    debug_assert!(value.bytes().all(|b| b.is_ascii_alphanumeric()));
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(max_age) = max_age {
        cookie.push_str(&format!("; Max-Age={}", max_age.as_secs()));
    }
    cookie
}

/// The value of cookie `name` in a `Cookie` request header
/// (`a=1; b=2`), or None. The first occurrence wins.
pub fn read_cookie<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    #[test]
    fn tokens_are_128_bit_hex_and_distinct() {
        let a = new_session_id();
        let b = new_session_id();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_ne!(new_csrf_token(), new_csrf_token());
    }

    #[test]
    fn csrf_comparison() {
        let token = "0123456789abcdef0123456789abcdef";
        assert!(csrf_matches(token, token));
        assert!(!csrf_matches(token, "0123456789abcdef0123456789abcdee"));
        // Equal prefix, different length, either way round.
        assert!(!csrf_matches(token, &token[..31]));
        assert!(!csrf_matches(&token[..31], token));
        assert!(!csrf_matches(token, &format!("{token}0")));
        assert!(!csrf_matches(token, ""));
        assert!(!csrf_matches("", ""));
    }

    #[test]
    fn pre_session_double_submit() {
        let token = new_csrf_token();
        let header = format!("{}={token}", PRE_SESSION_COOKIE);
        let cookie = read_cookie(&header, PRE_SESSION_COOKIE);
        assert!(pre_session_csrf_ok(cookie, &token));
        assert!(!pre_session_csrf_ok(cookie, &new_csrf_token()));
        // A cross-site post arrives without the SameSite=Strict cookie.
        assert!(!pre_session_csrf_ok(None, &token));
        assert!(!pre_session_csrf_ok(Some(""), ""));
        let set = pre_session_cookie(&token, true);
        assert_eq!(
            set,
            format!(
                "__Host-portico_presession={token}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=7200"
            )
        );
    }

    #[test]
    fn default_policy() {
        let policy = SessionPolicy::default();
        assert_eq!(policy.idle, Duration::from_secs(30 * 60));
        assert_eq!(policy.absolute, Duration::from_secs(12 * 60 * 60));
    }

    #[test]
    fn idle_expiry_boundary() {
        let policy = SessionPolicy::default();
        let created = 1_000_000;
        let seen = created + 10 * MIN;
        assert_eq!(policy.check(created, seen, seen), SessionState::Valid);
        assert_eq!(
            policy.check(created, seen, seen + 30 * MIN - 1),
            SessionState::Valid
        );
        assert_eq!(
            policy.check(created, seen, seen + 30 * MIN),
            SessionState::IdleExpired
        );
    }

    #[test]
    fn absolute_expiry_boundary_despite_activity() {
        let policy = SessionPolicy::default();
        let created = 1_000_000;
        let twelve_hours = 12 * 60 * MIN;
        let now = created + twelve_hours - 1;
        assert_eq!(policy.check(created, now, now), SessionState::Valid);
        let now = created + twelve_hours;
        assert_eq!(
            policy.check(created, now - 1, now),
            SessionState::AbsoluteExpired
        );
        // Both limits passed: absolute is reported.
        assert_eq!(
            policy.check(created, created, now),
            SessionState::AbsoluteExpired
        );
    }

    #[test]
    fn clock_going_backwards_is_not_expiry() {
        let policy = SessionPolicy::default();
        assert_eq!(policy.check(5_000, 5_000, 1_000), SessionState::Valid);
        assert!(!policy.should_touch(5_000, 1_000));
    }

    #[test]
    fn touch_only_after_a_minute() {
        let policy = SessionPolicy::default();
        assert!(!policy.should_touch(1_000_000, 1_000_000));
        assert!(!policy.should_touch(1_000_000, 1_000_000 + MIN - 1));
        assert!(policy.should_touch(1_000_000, 1_000_000 + MIN));
    }

    fn attributes(cookie: &str) -> Vec<&str> {
        let mut parts: Vec<&str> = cookie.split("; ").skip(1).collect();
        parts.sort_unstable();
        parts
    }

    #[test]
    fn secure_session_cookie() {
        let cookie = session_cookie("abc123", true, Some(Duration::from_secs(3600)));
        assert!(
            cookie.starts_with("__Host-portico_session=abc123; "),
            "{cookie}"
        );
        assert_eq!(
            attributes(&cookie),
            [
                "HttpOnly",
                "Max-Age=3600",
                "Path=/",
                "SameSite=Strict",
                "Secure"
            ]
        );
    }

    #[test]
    fn plain_session_cookie_has_no_secure_nor_host_prefix() {
        let cookie = session_cookie("abc123", false, None);
        assert!(cookie.starts_with("portico_session=abc123; "), "{cookie}");
        assert!(!cookie.contains("__Host-"));
        assert_eq!(
            attributes(&cookie),
            ["HttpOnly", "Path=/", "SameSite=Strict"]
        );
    }

    #[test]
    fn clearing_cookies() {
        let cookie = clear_session_cookie(true);
        assert!(cookie.starts_with("__Host-portico_session=; "), "{cookie}");
        assert_eq!(
            attributes(&cookie),
            [
                "HttpOnly",
                "Max-Age=0",
                "Path=/",
                "SameSite=Strict",
                "Secure"
            ]
        );
        let cookie = clear_session_cookie(false);
        assert!(cookie.starts_with("portico_session=; "), "{cookie}");
        assert_eq!(
            attributes(&cookie),
            ["HttpOnly", "Max-Age=0", "Path=/", "SameSite=Strict"]
        );
        assert!(clear_pre_session_cookie(false).starts_with("portico_presession=; "));
    }

    #[test]
    fn read_cookie_among_several() {
        let header = "theme=dark;portico_session=abc;  __Host-portico_session=def ; x=";
        assert_eq!(read_cookie(header, "portico_session"), Some("abc"));
        assert_eq!(read_cookie(header, "__Host-portico_session"), Some("def"));
        assert_eq!(read_cookie(header, "theme"), Some("dark"));
        assert_eq!(read_cookie(header, "x"), Some(""));
        assert_eq!(read_cookie(header, "portico"), None);
        assert_eq!(read_cookie(header, "session"), None);
        assert_eq!(read_cookie("", "portico_session"), None);
        assert_eq!(read_cookie("portico_session", "portico_session"), None);
        // A value may itself contain '='; the name is what precedes the first one.
        assert_eq!(read_cookie("a=b=c", "a"), Some("b=c"));
        assert_eq!(read_cookie("a=1; a=2", "a"), Some("1"));
    }
}
