//! Login throttling per account and per client IP, in memory.
//!
//! No enumeration: an email is tracked the same way whether or not an account
//! exists, so `check` answers identically for both. The caller records a
//! failure for unknown emails too, and shows one generic message for a
//! throttled attempt, a wrong password and an unknown email alike (with the
//! retry delay, which is the same for known and unknown emails).
//!
//! Counts live in memory only: a restart forgets them, which costs an
//! attacker's progress nothing but also keeps no personal data on disk.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Failures of one account before it is locked (OWASP: a small number, so
/// online guessing of one account is slow, yet a few typos are tolerated).
pub const ACCOUNT_MAX_FAILURES: u32 = 5;
/// Failures from one IP (or IPv6 /64) before it is locked: higher than per
/// account, since an office behind one NAT shares an address.
pub const IP_MAX_FAILURES: u32 = 20;
/// Failures are forgotten after this long without one (counted from the end
/// of any lockout), so "5 failures within 15 minutes" locks.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// First lockout; each further failure while over the limit doubles it.
pub const BASE_LOCKOUT: Duration = Duration::from_secs(60);
/// Longest lockout: bounds how long an attacker can lock a real user out.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Keys tracked per table; past it the oldest are evicted. Bounds memory
/// (~100 bytes a key) whatever the number of emails or addresses tried.
pub const MAX_TRACKED_KEYS: usize = 100_000;

/// Counts login failures and refuses attempts while locked.
/// Cheap to clone; all clones share the counts.
#[derive(Clone)]
pub struct LoginThrottle {
    inner: Arc<Mutex<Tables>>,
}

struct Tables {
    /// Keyed by SHA-256 of the normalised email: a fixed 32 bytes whatever
    /// the input, and no plain emails held in memory.
    accounts: Table<[u8; 32]>,
    ips: Table<IpAddr>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new()
    }
}

impl LoginThrottle {
    /// An empty throttle with the default limits and [`MAX_TRACKED_KEYS`].
    pub fn new() -> Self {
        Self::with_capacity(MAX_TRACKED_KEYS)
    }

    fn with_capacity(cap: usize) -> Self {
        LoginThrottle {
            inner: Arc::new(Mutex::new(Tables {
                accounts: Table::new(ACCOUNT_MAX_FAILURES, cap),
                ips: Table::new(IP_MAX_FAILURES, cap),
            })),
        }
    }

    /// `Err(retry_after)` when the account or the address is locked. Call it
    /// before verifying the password, and do not verify when it fails.
    pub fn check(&self, email: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let tables = self.lock();
        let wait = tables
            .accounts
            .locked_for(&account_key(email), now)
            .max(tables.ips.locked_for(&ip_key(ip), now));
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// A wrong password or an unknown email.
    pub fn record_failure(&self, email: &str, ip: IpAddr, now: Instant) {
        let mut tables = self.lock();
        tables.accounts.fail(account_key(email), now);
        tables.ips.fail(ip_key(ip), now);
    }

    /// A successful login clears the account's failures. The address keeps
    /// its count: one valid login must not reset an attacker's budget for
    /// guessing other accounts from the same address.
    pub fn record_success(&self, email: &str, _ip: IpAddr, _now: Instant) {
        self.lock().accounts.forget(&account_key(email));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        // Counters stay consistent even if a holder panicked: keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn account_key(email: &str) -> [u8; 32] {
    Sha256::digest(email.trim().to_lowercase().as_bytes()).into()
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

struct Entry {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
    /// Insertion number, to match this entry with its place in `order`.
    seq: u64,
}

impl Entry {
    /// Failures are forgotten after a quiet [`FAILURE_WINDOW`] following the
    /// last failure or the end of the lockout, whichever is later.
    fn is_stale(&self, now: Instant) -> bool {
        let quiet_since = self
            .locked_until
            .map_or(self.last_failure, |until| until.max(self.last_failure));
        now.saturating_duration_since(quiet_since) >= FAILURE_WINDOW
    }
}

struct Table<K> {
    max_failures: u32,
    cap: usize,
    entries: HashMap<K, Entry>,
    /// Keys in insertion order, for evicting the oldest. A key forgotten and
    /// re-inserted leaves a stale `(seq, key)` here, skipped by the seq check.
    order: VecDeque<(u64, K)>,
    next_seq: u64,
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn new(max_failures: u32, cap: usize) -> Self {
        Table {
            max_failures,
            cap,
            entries: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
        }
    }

    fn locked_for(&self, key: &K, now: Instant) -> Duration {
        self.entries
            .get(key)
            .and_then(|entry| entry.locked_until)
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
                locked_until: None,
                seq,
            };
            self.entries.insert(key.clone(), fresh);
        }
        let max_failures = self.max_failures;
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure = now;
        if entry.failures >= max_failures {
            entry.locked_until = Some(now + lockout(entry.failures - max_failures));
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

/// `BASE_LOCKOUT × 2^over`, at most `MAX_LOCKOUT`.
fn lockout(over: u32) -> Duration {
    BASE_LOCKOUT
        .checked_mul(1u32.checked_shl(over).unwrap_or(u32::MAX))
        .map_or(MAX_LOCKOUT, |d| d.min(MAX_LOCKOUT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const OTHER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
    const SEC: Duration = Duration::from_secs(1);

    fn fail_times(t: &LoginThrottle, email: &str, ip: IpAddr, now: Instant, n: u32) {
        for _ in 0..n {
            assert!(t.check(email, ip, now).is_ok());
            t.record_failure(email, ip, now);
        }
    }

    #[test]
    fn sixth_attempt_is_locked_then_unlocked() {
        let t = LoginThrottle::new();
        let start = Instant::now();
        fail_times(&t, "a@example.fr", IP, start, 5);
        assert_eq!(t.check("a@example.fr", IP, start), Err(BASE_LOCKOUT));
        // Locked for the account from any address, not for other accounts.
        assert!(t.check("a@example.fr", OTHER_IP, start + SEC).is_err());
        assert!(t.check("b@example.fr", IP, start).is_ok());
        // Case and spaces do not make a different account.
        assert!(t.check(" A@Example.FR ", OTHER_IP, start).is_err());
        assert!(
            t.check("a@example.fr", IP, start + BASE_LOCKOUT - SEC)
                .is_err()
        );
        assert!(t.check("a@example.fr", IP, start + BASE_LOCKOUT).is_ok());
    }

    #[test]
    fn lockout_doubles_up_to_the_cap() {
        let t = LoginThrottle::new();
        let mut now = Instant::now();
        fail_times(&t, "a@example.fr", IP, now, 5);
        let mut expected = BASE_LOCKOUT;
        for _ in 0..6 {
            assert_eq!(t.check("a@example.fr", IP, now), Err(expected));
            now += expected;
            assert!(t.check("a@example.fr", IP, now).is_ok());
            t.record_failure("a@example.fr", IP, now);
            expected = (expected * 2).min(MAX_LOCKOUT);
        }
        assert_eq!(t.check("a@example.fr", IP, now), Err(MAX_LOCKOUT));
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_window() {
        let t = LoginThrottle::new();
        let start = Instant::now();
        fail_times(&t, "a@example.fr", IP, start, 4);
        let later = start + FAILURE_WINDOW;
        fail_times(&t, "a@example.fr", OTHER_IP, later, 4);
        assert!(t.check("a@example.fr", IP, later).is_ok());
        // But failures closer together accumulate.
        t.record_failure("a@example.fr", IP, later + FAILURE_WINDOW - SEC);
        assert!(
            t.check("a@example.fr", IP, later + FAILURE_WINDOW - SEC)
                .is_err()
        );
    }

    #[test]
    fn after_lockout_the_window_restarts_from_its_end() {
        let t = LoginThrottle::new();
        let start = Instant::now();
        fail_times(&t, "a@example.fr", IP, start, 5);
        let unlocked = start + BASE_LOCKOUT;
        // Right after the lockout, one more failure locks again (doubled)…
        t.record_failure("a@example.fr", IP, unlocked);
        assert_eq!(t.check("a@example.fr", IP, unlocked), Err(2 * BASE_LOCKOUT));
        // …but a quiet window after the lockout's end starts from zero.
        let fresh = unlocked + 2 * BASE_LOCKOUT + FAILURE_WINDOW;
        fail_times(&t, "a@example.fr", IP, fresh, 4);
        assert!(t.check("a@example.fr", IP, fresh).is_ok());
    }

    #[test]
    fn ip_limit_is_independent_of_email() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for i in 0..IP_MAX_FAILURES {
            let email = format!("user{i}@example.fr");
            assert!(t.check(&email, IP, now).is_ok(), "attempt {i}");
            t.record_failure(&email, IP, now);
        }
        // A never-tried email from that address is refused…
        assert_eq!(t.check("new@example.fr", IP, now), Err(BASE_LOCKOUT));
        // …and the same email from another address is not.
        assert!(t.check("new@example.fr", OTHER_IP, now).is_ok());
        assert!(t.check("new@example.fr", IP, now + BASE_LOCKOUT).is_ok());
    }

    #[test]
    fn ipv6_counts_per_slash_64() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for i in 0..IP_MAX_FAILURES {
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
    fn success_clears_account_but_not_ip() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        fail_times(&t, "a@example.fr", IP, now, 4);
        t.record_success("a@example.fr", IP, now);
        fail_times(&t, "a@example.fr", IP, now, 4);
        assert!(t.check("a@example.fr", IP, now).is_ok());
        // 8 failures so far from IP; 12 more reach the IP limit despite the success.
        for i in 0..(IP_MAX_FAILURES - 8) {
            t.record_failure(&format!("c{i}@example.fr"), IP, now);
        }
        assert!(t.check("a@example.fr", IP, now).is_err());
        assert!(t.check("a@example.fr", OTHER_IP, now).is_ok());
    }

    #[test]
    fn memory_is_bounded_by_evicting_the_oldest() {
        let t = LoginThrottle::with_capacity(3);
        let now = Instant::now();
        fail_times(&t, "old@example.fr", IP, now, 5);
        assert!(t.check("old@example.fr", OTHER_IP, now).is_err());
        for i in 0..3 {
            t.record_failure(&format!("new{i}@example.fr"), OTHER_IP, now);
        }
        let tables = t.lock();
        assert_eq!(tables.accounts.entries.len(), 3);
        assert!(tables.ips.entries.len() <= 3);
        drop(tables);
        assert!(t.check("old@example.fr", OTHER_IP, now).is_ok());
        // Forget/re-insert churn does not let the order queue grow unbounded.
        for _ in 0..100 {
            t.record_failure("churn@example.fr", IP, now);
            t.record_success("churn@example.fr", IP, now);
        }
        assert!(t.lock().accounts.order.len() <= 2 * 3 + 1);
    }
}
