//! Login throttling: growing delays, counted three ways, in memory.
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

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
/// Keys tracked per table; past it the oldest are evicted. Bounds memory
/// (~100 bytes a key) whatever the number of emails or addresses tried.
pub const MAX_TRACKED_KEYS: usize = 100_000;

type Digest32 = [u8; 32];

/// Counts sign-in failures and says how long the next attempt must wait.
/// Cheap to clone; all clones share the counts.
#[derive(Clone)]
pub struct LoginThrottle {
    inner: Arc<Mutex<Tables>>,
}

struct Tables {
    pairs: Table<Digest32>,
    addresses: Table<IpAddr>,
    accounts: Table<Digest32>,
    /// (account, address) pairs that signed in, with when.
    known: Table<Digest32>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new()
    }
}

impl LoginThrottle {
    /// An empty throttle with the default rules and [`MAX_TRACKED_KEYS`].
    pub fn new() -> Self {
        Self::with_capacity(MAX_TRACKED_KEYS)
    }

    fn with_capacity(cap: usize) -> Self {
        LoginThrottle {
            inner: Arc::new(Mutex::new(Tables {
                pairs: Table::new(PAIR_RULE, cap),
                addresses: Table::new(ADDRESS_RULE, cap),
                accounts: Table::new(ACCOUNT_RULE, cap),
                known: Table::new(PAIR_RULE, cap),
            })),
        }
    }

    /// `Err(wait)` when this attempt must wait. Call it before verifying the
    /// password, and do not verify when it fails.
    pub fn check(&self, email: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let t = self.lock();
        let (account, pair, address) = keys(email, ip);
        let mut wait = t
            .pairs
            .wait(&pair, now)
            .max(t.addresses.wait(&address, now));
        if !t.is_known(&pair, now) {
            wait = wait.max(t.accounts.wait(&account, now));
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// A wrong password or an unknown email.
    pub fn record_failure(&self, email: &str, ip: IpAddr, now: Instant) {
        let mut t = self.lock();
        let (account, pair, address) = keys(email, ip);
        t.pairs.fail(pair, now);
        t.addresses.fail(address, now);
        t.accounts.fail(account, now);
    }

    /// A successful sign-in: the pair's failures are forgotten and the
    /// address becomes known to the account. The address keeps its count
    /// (one valid sign-in must not reset an attacker's budget for other
    /// accounts), and so does the account (an attack from elsewhere goes on).
    pub fn record_success(&self, email: &str, ip: IpAddr, now: Instant) {
        let mut t = self.lock();
        let (_, pair, _) = keys(email, ip);
        t.pairs.forget(&pair);
        t.known.forget(&pair);
        t.known.fail(pair, now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        // Counters stay consistent even if a holder panicked: keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Tables {
    fn is_known(&self, pair: &Digest32, now: Instant) -> bool {
        self.known
            .entries
            .get(pair)
            .is_some_and(|e| now.saturating_duration_since(e.last_failure) < KNOWN_ADDRESS_FOR)
    }
}

/// (account, account from address, address) keys.
fn keys(email: &str, ip: IpAddr) -> (Digest32, Digest32, IpAddr) {
    let email = email.trim().to_lowercase();
    let address = ip_key(ip);
    let account: Digest32 = Sha256::digest(email.as_bytes()).into();
    let pair: Digest32 = Sha256::new()
        .chain_update(account)
        .chain_update(address.to_string().as_bytes())
        .finalize()
        .into();
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
/// directory searches, mails sent on request. In memory, bounded.
#[derive(Clone)]
pub struct CellRateLimit {
    burst: u32,
    interval: Duration,
    /// Key digest → theoretical arrival time of the next request.
    inner: Arc<Mutex<HashMap<Digest32, Instant>>>,
}

impl CellRateLimit {
    /// `burst` requests at once, then one per `interval`.
    pub fn new(burst: u32, interval: Duration) -> Self {
        CellRateLimit {
            burst: burst.max(1),
            interval,
            inner: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Counts one request for `key`; `Err(wait)` when it must wait that long
    /// (and is not counted).
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let digest: Digest32 = Sha256::digest(key.as_bytes()).into();
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED_KEYS && !map.contains_key(&digest) {
            map.retain(|_, tat| *tat > now);
            if map.len() >= MAX_TRACKED_KEYS {
                map.clear(); // under a flood of keys: forget, never grow
            }
        }
        let tat = map.get(&digest).copied().unwrap_or(now).max(now);
        let allowed_until = now + self.interval * (self.burst - 1);
        if tat > allowed_until {
            return Err(tat - allowed_until);
        }
        map.insert(digest, tat + self.interval);
        Ok(())
    }
}

struct Entry {
    failures: u32,
    last_failure: Instant,
    /// No attempt before this instant.
    wait_until: Option<Instant>,
    /// Insertion number, to match this entry with its place in `order`.
    seq: u64,
}

impl Entry {
    /// Failures are forgotten after a quiet [`FAILURE_WINDOW`] following the
    /// last failure or the end of the wait, whichever is later.
    fn is_stale(&self, now: Instant) -> bool {
        let quiet_since = self
            .wait_until
            .map_or(self.last_failure, |until| until.max(self.last_failure));
        now.saturating_duration_since(quiet_since) >= FAILURE_WINDOW
    }
}

struct Table<K> {
    rule: Rule,
    cap: usize,
    entries: HashMap<K, Entry>,
    /// Keys in insertion order, for evicting the oldest. A key forgotten and
    /// re-inserted leaves a stale `(seq, key)` here, skipped by the seq check.
    order: VecDeque<(u64, K)>,
    next_seq: u64,
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn new(rule: Rule, cap: usize) -> Self {
        Table {
            rule,
            cap,
            entries: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
        }
    }

    fn wait(&self, key: &K, now: Instant) -> Duration {
        self.entries
            .get(key)
            .and_then(|entry| entry.wait_until)
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now))
    }

    fn fail(&mut self, key: K, now: Instant) {
        if self.entries.get(&key).is_some_and(|e| e.is_stale(now)) {
            // Starting over: also move to the back of the eviction order.
            self.forget(&key);
        }
        if !self.entries.contains_key(&key) {
            self.make_room();
            let seq = self.next_seq;
            self.next_seq += 1;
            self.order.push_back((seq, key.clone()));
            let fresh = Entry {
                failures: 0,
                last_failure: now,
                wait_until: None,
                seq,
            };
            self.entries.insert(key.clone(), fresh);
        }
        let rule = self.rule;
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure = now;
        if entry.failures > rule.free {
            entry.wait_until = Some(now + delay(rule, entry.failures - rule.free - 1));
        }
    }

    fn forget(&mut self, key: &K) {
        self.entries.remove(key);
        // Its `order` slot goes stale; compact once stale slots dominate.
        if self.order.len() > 2 * self.cap.max(self.entries.len()) {
            let entries = &self.entries;
            self.order
                .retain(|(seq, key)| entries.get(key).is_some_and(|e| e.seq == *seq));
        }
    }

    fn make_room(&mut self) {
        while self.entries.len() >= self.cap {
            let Some((seq, key)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|e| e.seq == seq) {
                self.entries.remove(&key);
            }
        }
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
    use std::net::{Ipv4Addr, Ipv6Addr};

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const OTHER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
    const SEC: Duration = Duration::from_secs(1);

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0xC633_6400 + n)) // 198.51.100.0/24 and on
    }

    fn fail_times(t: &LoginThrottle, email: &str, ip: IpAddr, now: Instant, n: u32) {
        for i in 0..n {
            assert!(t.check(email, ip, now).is_ok(), "attempt {i}");
            t.record_failure(email, ip, now);
        }
    }

    #[test]
    fn typos_pass_then_the_wait_grows_and_is_capped() {
        let t = LoginThrottle::new();
        let mut now = Instant::now();
        fail_times(&t, "a@example.fr", IP, now, PAIR_RULE.free);
        t.record_failure("a@example.fr", IP, now);
        let mut expected = PAIR_RULE.first_delay;
        for _ in 0..8 {
            assert_eq!(t.check("a@example.fr", IP, now), Err(expected));
            // Case and spaces do not make a different account.
            assert!(t.check(" A@Example.FR ", IP, now).is_err());
            now += expected;
            assert!(t.check("a@example.fr", IP, now).is_ok());
            t.record_failure("a@example.fr", IP, now);
            expected = (expected * 2).min(PAIR_RULE.max_delay);
        }
        assert_eq!(t.check("a@example.fr", IP, now), Err(PAIR_RULE.max_delay));
    }

    #[test]
    fn an_attacker_elsewhere_does_not_make_the_owner_wait() {
        let t = LoginThrottle::new();
        let now = Instant::now();
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
        let t = LoginThrottle::new();
        let now = Instant::now();
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
            t.check("new@example.fr", IP, now + ADDRESS_RULE.first_delay)
                .is_ok()
        );
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_window() {
        let t = LoginThrottle::new();
        let start = Instant::now();
        fail_times(&t, "a@example.fr", IP, start, PAIR_RULE.free);
        let later = start + FAILURE_WINDOW;
        fail_times(&t, "a@example.fr", IP, later, PAIR_RULE.free);
        t.record_failure("a@example.fr", IP, later);
        assert!(t.check("a@example.fr", IP, later).is_err());
    }

    #[test]
    fn success_clears_the_pair_but_not_the_address() {
        let t = LoginThrottle::new();
        let now = Instant::now();
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
        let t = LoginThrottle::new();
        let now = Instant::now();
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
        let limit = CellRateLimit::new(3, 10 * SEC);
        let now = Instant::now();
        for _ in 0..3 {
            assert!(limit.take("ada", now).is_ok());
        }
        assert_eq!(limit.take("ada", now), Err(10 * SEC));
        assert!(limit.take("bob", now).is_ok(), "per key");
        assert!(limit.take("ada", now + 10 * SEC).is_ok());
        assert!(limit.take("ada", now + 10 * SEC).is_err());
        // A quiet minute refills the burst.
        let later = now + 60 * SEC;
        for _ in 0..3 {
            assert!(limit.take("ada", later).is_ok());
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
    fn memory_is_bounded_by_evicting_the_oldest() {
        let t = LoginThrottle::with_capacity(3);
        let now = Instant::now();
        for i in 0..10 {
            t.record_failure(&format!("new{i}@example.fr"), ip(i), now);
        }
        let tables = t.lock();
        assert_eq!(tables.accounts.entries.len(), 3);
        assert_eq!(tables.pairs.entries.len(), 3);
        assert!(tables.addresses.entries.len() <= 3);
        drop(tables);
        // Forget/re-insert churn does not let the order queue grow unbounded.
        for _ in 0..100 {
            t.record_failure("churn@example.fr", IP, now);
            t.record_success("churn@example.fr", IP, now);
        }
        assert!(t.lock().pairs.order.len() <= 2 * 3 + 1);
    }
}
