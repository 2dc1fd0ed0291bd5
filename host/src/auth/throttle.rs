//! Login throttling: growing delays, counted three ways, across hosts.
//!
//! A failed sign-in counts against
//! - the **account from this address** ([`PAIR_RULE`]): a person's own typos,
//!   or one attacker guessing one account;
//! - the **address** ([`ADDRESS_RULE`]), whatever the accounts: one attacker
//!   trying many accounts. The address is the client's as seen through
//!   trusted proxies (`serve --trusted-proxy`), not the proxy's;
//! - the **account from everywhere** ([`ACCOUNT_RULE`]): guessing one account
//!   from many addresses. An address that signed in to the account before
//!   (a [known address](KNOWN_ADDRESS_FOR)) is exempt from this one, so an
//!   attacker cannot keep the owner out from elsewhere.
//!
//! Each rule lets a few failures through, then makes the next attempt wait,
//! the wait doubling with each further failure up to a cap — a delay, never a
//! lock without end. [`in_words`] says the wait in plain words.
//!
//! No enumeration: an email is tracked the same way whether or not an account
//! exists. Counts live in memory only: a restart forgets them, which keeps no
//! personal data on disk. Emails and addresses are held as SHA-256 digests.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::Store;

use sha2::{Digest, Sha256};

/// How many failures pass freely, then the first wait and its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Failures allowed before any wait.
    pub free: u32,
    /// The wait after the first failure past `free`; it doubles after each
    /// further one.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

/// One account from one address: five typos pass, then 30 s, 1 min, 2 min…
/// up to 15 min between attempts (a few hundred guesses a day at most).
pub const PAIR_RULE: Rule = Rule {
    free: 5,
    first_delay: Duration::from_secs(30),
    max_delay: Duration::from_secs(15 * 60),
};
/// One address, any accounts: higher than per account, since an office
/// behind one address shares it.
pub const ADDRESS_RULE: Rule = Rule {
    free: 20,
    first_delay: Duration::from_secs(30),
    max_delay: Duration::from_secs(15 * 60),
};
/// One account from all addresses but its known ones: slows a distributed
/// guess without shutting out the owner.
pub const ACCOUNT_RULE: Rule = Rule {
    free: 20,
    first_delay: Duration::from_secs(60),
    max_delay: Duration::from_secs(60 * 60),
};
/// Failures are forgotten after this long without one (counted from the end
/// of the last wait).
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a successful sign-in makes its address known to the account.
pub const KNOWN_ADDRESS_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);

type Digest32 = [u8; 32];

/// Counts sign-in failures and says how long the next attempt must wait.
/// The counts live in the store (`store/limits.rs`), so every host serving
/// the portal counts the same failures. Cheap to clone.
#[derive(Clone)]
pub struct LoginThrottle {
    store: Store,
}

/// The store's budgets (one per table).
const PAIRS: &str = "login-pair";
const ADDRESSES: &str = "login-address";
const ACCOUNTS: &str = "login-account";
const KNOWN: &str = "login-known";

/// One key's failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Failures {
    failures: u32,
    last_failure_ms: u64,
    /// No attempt before this time, ms since the epoch.
    wait_until_ms: Option<u64>,
}

impl Failures {
    /// Failures are forgotten after a quiet [`FAILURE_WINDOW`] following the
    /// last failure or the end of the wait, whichever is later.
    fn forgotten_at(&self) -> u64 {
        let quiet_since = self.wait_until_ms.map_or(self.last_failure_ms, |until| {
            until.max(self.last_failure_ms)
        });
        quiet_since + ms(FAILURE_WINDOW)
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl LoginThrottle {
    /// The throttle of the portal whose store is `store`.
    pub fn new(store: Store) -> Self {
        LoginThrottle { store }
    }

    /// `Err(wait)` when this attempt must wait. Call it before verifying the
    /// password, and do not verify when it fails. A store that cannot be
    /// read lets the attempt through (and says so in the log): the sign-in
    /// itself then fails on the same store.
    pub fn check(&self, email: &str, ip: IpAddr, now_ms: u64) -> Result<(), Duration> {
        let (account, pair, address) = keys(email, ip);
        let mut wait = self
            .wait(PAIRS, &pair, now_ms)
            .max(self.wait(ADDRESSES, &address, now_ms));
        if !self.is_known(&pair, now_ms) {
            wait = wait.max(self.wait(ACCOUNTS, &account, now_ms));
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// A wrong password or an unknown email.
    pub fn record_failure(&self, email: &str, ip: IpAddr, now_ms: u64) {
        let (account, pair, address) = keys(email, ip);
        self.fail(PAIRS, PAIR_RULE, &pair, now_ms);
        self.fail(ADDRESSES, ADDRESS_RULE, &address, now_ms);
        self.fail(ACCOUNTS, ACCOUNT_RULE, &account, now_ms);
    }

    /// A successful sign-in: the pair's failures are forgotten and the
    /// address becomes known to the account. The address keeps its count
    /// (one valid sign-in must not reset an attacker's budget for other
    /// accounts), and so does the account (an attack from elsewhere goes on).
    pub fn record_success(&self, email: &str, ip: IpAddr, now_ms: u64) {
        let (_, pair, _) = keys(email, ip);
        let forget = self
            .store
            .limit_update(PAIRS, &pair, now_ms, |_: Option<Failures>| (None, ()));
        let known = self
            .store
            .limit_update(KNOWN, &pair, now_ms, |_: Option<u64>| {
                (Some((now_ms, now_ms + ms(KNOWN_ADDRESS_FOR))), ())
            });
        if let Err(e) = forget.and(known) {
            tracing::error!(error = %e, "recording a sign-in in the throttle failed");
        }
    }

    fn wait(&self, budget: &str, key: &[u8], now_ms: u64) -> Duration {
        match self.store.limit_get::<Failures>(budget, key, now_ms) {
            Ok(found) => found
                .and_then(|f| f.wait_until_ms)
                .map_or(Duration::ZERO, |until| {
                    Duration::from_millis(until.saturating_sub(now_ms))
                }),
            Err(e) => {
                tracing::error!(error = %e, "reading the sign-in throttle failed; not throttling");
                Duration::ZERO
            }
        }
    }

    fn is_known(&self, pair: &Digest32, now_ms: u64) -> bool {
        self.store
            .limit_get::<u64>(KNOWN, pair, now_ms)
            .is_ok_and(|k| k.is_some())
    }

    fn fail(&self, budget: &str, rule: Rule, key: &[u8], now_ms: u64) {
        let done = self
            .store
            .limit_update(budget, key, now_ms, |found: Option<Failures>| {
                // A record past its quiet window reads as absent: starting over.
                let mut entry = found
                    .filter(|f| f.forgotten_at() > now_ms)
                    .unwrap_or(Failures {
                        failures: 0,
                        last_failure_ms: now_ms,
                        wait_until_ms: None,
                    });
                entry.failures = entry.failures.saturating_add(1);
                entry.last_failure_ms = now_ms;
                if entry.failures > rule.free {
                    entry.wait_until_ms =
                        Some(now_ms + ms(delay(rule, entry.failures - rule.free - 1)));
                }
                (Some((entry, entry.forgotten_at())), ())
            });
        if let Err(e) = done {
            tracing::error!(error = %e, "counting a failed sign-in failed");
        }
    }
}

/// (account, account from address, address) keys, all digests.
fn keys(email: &str, ip: IpAddr) -> (Digest32, Digest32, Digest32) {
    let email = email.trim().to_lowercase();
    let address = ip_key(ip);
    let account: Digest32 = Sha256::digest(email.as_bytes()).into();
    let pair: Digest32 = Sha256::new()
        .chain_update(account)
        .chain_update(address.to_string().as_bytes())
        .finalize()
        .into();
    let address: Digest32 = Sha256::digest(address.to_string().as_bytes()).into();
    (account, pair, address)
}

/// IPv6 clients usually own a whole /64, so one address per /64 is counted;
/// IPv4-mapped IPv6 addresses count as the IPv4 address.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

/// A wait in plain words, rounded up: "30 seconds", "1 minute", "15 minutes",
/// "1 hour".
pub fn in_words(wait: Duration) -> String {
    in_words_in(crate::i18n::current(), wait)
}

/// [`in_words`] in `lang`: "2 minutes", "1 heure".
pub fn in_words_in(lang: crate::i18n::Lang, wait: Duration) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let (n, unit) = if secs < 60 {
        (secs.max(1), "second")
    } else if secs < 3600 {
        (secs.div_ceil(60), "minute")
    } else {
        (secs.div_ceil(3600), "hour")
    };
    // French and English both use the singular for one.
    let form = if n == 1 { "one" } else { "other" };
    crate::i18n::host_text(
        lang,
        &format!("time.{unit}-{form}"),
        &[("n", &n.to_string())],
    )
}

/// A rate limit per key (an account, an address, an email): `burst`
/// requests at once, then one per `interval` (the generic cell rate
/// algorithm). For actions that cost the portal or reveal something:
/// directory searches, mails sent on request. Counted in the store, across
/// hosts.
#[derive(Clone)]
pub struct CellRateLimit {
    budget: &'static str,
    burst: u32,
    interval: Duration,
}

impl CellRateLimit {
    /// `burst` requests at once, then one per `interval`, counted under
    /// `budget` (a name of its own).
    pub const fn new(budget: &'static str, burst: u32, interval: Duration) -> Self {
        CellRateLimit {
            budget,
            burst: if burst == 0 { 1 } else { burst },
            interval,
        }
    }

    /// Counts one request for `key`; `Err(wait)` when it must wait that long
    /// (and is not counted). A store that fails lets it through (logged).
    pub fn take(&self, store: &Store, key: &str, now_ms: u64) -> Result<(), Duration> {
        let digest: Digest32 = Sha256::digest(key.as_bytes()).into();
        let interval = ms(self.interval);
        let allowed_until = now_ms + interval * u64::from(self.burst - 1);
        // The record is the theoretical arrival time of the next request.
        let taken = store.limit_update(self.budget, &digest, now_ms, |tat: Option<u64>| {
            let tat = tat.unwrap_or(now_ms).max(now_ms);
            if tat > allowed_until {
                (
                    Some((tat, tat)),
                    Err(Duration::from_millis(tat - allowed_until)),
                )
            } else {
                (Some((tat + interval, tat + interval)), Ok(()))
            }
        });
        taken.unwrap_or_else(|e| {
            tracing::error!(error = %e, budget = self.budget, "a rate limit could not be counted; letting it through");
            Ok(())
        })
    }
}

/// `first_delay × 2^over`, at most `max_delay`.
fn delay(rule: Rule, over: u32) -> Duration {
    rule.first_delay
        .checked_mul(1u32.checked_shl(over).unwrap_or(u32::MAX))
        .map_or(rule.max_delay, |d| d.min(rule.max_delay))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const OTHER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
    const SEC: Duration = Duration::from_secs(1);
    const T0: u64 = 1_700_000_000_000;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0xC633_6400 + n)) // 198.51.100.0/24 and on
    }

    fn fail_times(t: &LoginThrottle, email: &str, ip: IpAddr, now: u64, n: u32) {
        for i in 0..n {
            assert!(t.check(email, ip, now).is_ok(), "attempt {i}");
            t.record_failure(email, ip, now);
        }
    }

    #[test]
    fn typos_pass_then_the_wait_grows_and_is_capped() {
        let (_dir, store) = temp_store();
        let t = LoginThrottle::new(store);
        let mut now = T0;
        fail_times(&t, "a@example.fr", IP, now, PAIR_RULE.free);
        t.record_failure("a@example.fr", IP, now);
        let mut expected = PAIR_RULE.first_delay;
        for _ in 0..8 {
            assert_eq!(t.check("a@example.fr", IP, now), Err(expected));
            // Case and spaces do not make a different account.
            assert!(t.check(" A@Example.FR ", IP, now).is_err());
            now += ms(expected);
            assert!(t.check("a@example.fr", IP, now).is_ok());
            t.record_failure("a@example.fr", IP, now);
            expected = (expected * 2).min(PAIR_RULE.max_delay);
        }
        assert_eq!(t.check("a@example.fr", IP, now), Err(PAIR_RULE.max_delay));
    }

    #[test]
    fn an_attacker_elsewhere_does_not_make_the_owner_wait() {
        let (_dir, store) = temp_store();
        let t = LoginThrottle::new(store);
        let now = T0;
        // The owner signed in from home before.
        t.record_success("owner@example.fr", IP, now);
        // An attacker guesses from many addresses, a few tries each.
        for n in 0..(ACCOUNT_RULE.free + 10) {
            let _ = t.check("owner@example.fr", ip(n), now);
            t.record_failure("owner@example.fr", ip(n), now);
        }
        // A new address now waits (distributed guessing is slowed)…
        assert!(t.check("owner@example.fr", OTHER_IP, now).is_err());
        // …the owner at home does not.
        assert!(t.check("owner@example.fr", IP, now).is_ok());
        // And the wait is bounded.
        let worst = t.check("owner@example.fr", OTHER_IP, now).unwrap_err();
        assert!(worst <= ACCOUNT_RULE.max_delay);
    }

    #[test]
    fn one_address_guessing_many_accounts_waits_but_others_do_not() {
        let (_dir, store) = temp_store();
        let t = LoginThrottle::new(store);
        let now = T0;
        for i in 0..ADDRESS_RULE.free {
            let email = format!("user{i}@example.fr");
            assert!(t.check(&email, IP, now).is_ok(), "attempt {i}");
            t.record_failure(&email, IP, now);
        }
        t.record_failure("one-more@example.fr", IP, now);
        assert_eq!(
            t.check("new@example.fr", IP, now),
            Err(ADDRESS_RULE.first_delay)
        );
        // Another client (say, behind the same trusted proxy) is not affected.
        assert!(t.check("new@example.fr", OTHER_IP, now).is_ok());
        assert!(
            t.check("new@example.fr", IP, now + ms(ADDRESS_RULE.first_delay))
                .is_ok()
        );
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_window() {
        let (_dir, store) = temp_store();
        let t = LoginThrottle::new(store);
        let start = T0;
        fail_times(&t, "a@example.fr", IP, start, PAIR_RULE.free);
        let later = start + ms(FAILURE_WINDOW);
        fail_times(&t, "a@example.fr", IP, later, PAIR_RULE.free);
        t.record_failure("a@example.fr", IP, later);
        assert!(t.check("a@example.fr", IP, later).is_err());
    }

    #[test]
    fn success_clears_the_pair_but_not_the_address() {
        let (_dir, store) = temp_store();
        let t = LoginThrottle::new(store);
        let now = T0;
        fail_times(&t, "a@example.fr", IP, now, 4);
        t.record_success("a@example.fr", IP, now);
        fail_times(&t, "a@example.fr", IP, now, 4);
        assert!(t.check("a@example.fr", IP, now).is_ok());
        for i in 0..(ADDRESS_RULE.free - 8 + 1) {
            t.record_failure(&format!("c{i}@example.fr"), IP, now);
        }
        assert!(t.check("a@example.fr", IP, now).is_err());
        assert!(t.check("a@example.fr", OTHER_IP, now).is_ok());
    }

    #[test]
    fn ipv6_counts_per_slash_64() {
        let (_dir, store) = temp_store();
        let t = LoginThrottle::new(store);
        let now = T0;
        for i in 0..=ADDRESS_RULE.free {
            let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, i as u16));
            t.record_failure(&format!("user{i}@example.fr"), ip, now);
        }
        let same_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 9, 9, 9, 9));
        let other_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 2, 0, 0, 0, 1));
        assert!(t.check("x@example.fr", same_64, now).is_err());
        assert!(t.check("x@example.fr", other_64, now).is_ok());
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        assert_eq!(ip_key(mapped), IP);
    }

    #[test]
    fn a_rate_limit_allows_a_burst_then_one_per_interval() {
        let (_dir, store) = temp_store();
        let limit = CellRateLimit::new("test", 3, 10 * SEC);
        let now = T0;
        for _ in 0..3 {
            assert!(limit.take(&store, "ada", now).is_ok());
        }
        assert_eq!(limit.take(&store, "ada", now), Err(10 * SEC));
        assert!(limit.take(&store, "bob", now).is_ok(), "per key");
        assert!(limit.take(&store, "ada", now + 10_000).is_ok());
        assert!(limit.take(&store, "ada", now + 10_000).is_err());
        // A quiet minute refills the burst.
        let later = now + 60_000;
        for _ in 0..3 {
            assert!(limit.take(&store, "ada", later).is_ok());
        }
    }

    #[test]
    fn waits_read_as_words_in_both_languages() {
        use crate::i18n::Lang::{En, Fr};
        assert_eq!(in_words_in(En, Duration::from_millis(300)), "1 second");
        assert_eq!(in_words_in(En, 30 * SEC), "30 seconds");
        assert_eq!(in_words_in(En, 61 * SEC), "2 minutes");
        assert_eq!(in_words_in(En, 60 * SEC), "1 minute");
        assert_eq!(in_words_in(En, 15 * 60 * SEC), "15 minutes");
        assert_eq!(in_words_in(En, 3600 * SEC), "1 hour");
        assert_eq!(in_words_in(Fr, 30 * SEC), "30 secondes");
        assert_eq!(in_words_in(Fr, 60 * SEC), "1 minute");
        assert_eq!(in_words_in(Fr, 2 * 3600 * SEC), "2 heures");
        // Outside a request: French, the portal's default.
        assert_eq!(in_words(60 * SEC), "1 minute");
    }

    #[test]
    fn two_hosts_on_one_store_count_the_same_failures() {
        let (_dir, store) = temp_store();
        let (a, b) = (
            LoginThrottle::new(store.clone()),
            LoginThrottle::new(store.clone()),
        );
        // Failures alternate between the hosts behind a load balancer.
        for i in 0..PAIR_RULE.free {
            let host = if i % 2 == 0 { &a } else { &b };
            assert!(host.check("a@example.fr", IP, T0).is_ok());
            host.record_failure("a@example.fr", IP, T0);
        }
        a.record_failure("a@example.fr", IP, T0);
        assert_eq!(b.check("a@example.fr", IP, T0), Err(PAIR_RULE.first_delay));
        // Nothing lingers once every count is past its quiet window.
        assert!(store.limit_records().unwrap() > 0);
        let much_later = T0 + ms(ACCOUNT_RULE.max_delay) + ms(FAILURE_WINDOW) + 1;
        store.purge_limits(much_later).unwrap();
        assert_eq!(store.limit_records().unwrap(), 0);
    }
}
