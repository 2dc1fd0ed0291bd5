//! The page cache: a GET page of an area that declares `page-cache-s` is
//! kept, per session, and served again while it is provably what a fresh
//! call would show:
//!
//! - nothing the page read has been written since (its [`ReadSet`]: the
//!   session, the user, memberships, installs, facts, subscriptions and
//!   every store read of the area's own call; `store::watch`). A logout, a
//!   password change, a new role, an install, a fact changed by a delivery
//!   or a timer: each is a write to something the page read;
//! - the catalogue and `portico dev`'s notices are the same ([`PageCache::bump`]
//!   on every reload);
//! - the session is still valid and not due for its last-seen write;
//! - it is younger than the area's `page-cache-s`: the area was told the
//!   time (`context.now-ms`), so what only the clock changes may be that
//!   late, and no later;
//! - building it wrote nothing (a page that writes is a page that acts, and
//!   acts every time) and its answer did not contain the request id.
//!
//! Keyed by the SHA-256 of the session cookie, the language, JSON or HTML,
//! and the path and query: one person's page never reaches another, nor
//! another session of the same person. The request id in the footer is the
//! new request's. Bounded in bytes (oldest first out); off on PostgreSQL,
//! where other hosts write where this one cannot see, and with a budget of 0.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::auth::SessionPolicy;
use crate::auth::SessionState;
use crate::i18n::Lang;
use crate::store::watch::{Generations, ReadSet};

/// Said on a page served from the cache (`hit`), for operators and tests.
pub(crate) const HEADER: &str = "x-portico-page-cache";

/// Default budget: ~2,000 homepages of 30 KiB.
pub(super) const DEFAULT_BUDGET_MIB: usize = 64;

const SHARDS: usize = 16;

/// Which page: whose session, in which language and form, at which address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PageKey {
    session: [u8; 32],
    lang: Lang,
    json: bool,
    /// The benchmark's native twin of the homepage (feature `bench-native`).
    native: bool,
    /// Path and query, as asked.
    uri: String,
}

impl PageKey {
    pub(crate) fn new(
        session_cookie: &str,
        lang: Lang,
        json: bool,
        native: bool,
        uri: &str,
    ) -> Self {
        PageKey {
            session: Sha256::digest(session_cookie.as_bytes()).into(),
            lang,
            json,
            native,
            uri: uri.to_owned(),
        }
    }

    fn shard(&self) -> usize {
        usize::from(self.session[0]) % SHARDS
    }
}

/// What a kept page needs to be checked and sent again.
pub(crate) struct Kept {
    reads: ReadSet,
    epoch: u64,
    built_ms: u64,
    fresh_until_ms: u64,
    session_created_ms: u64,
    session_last_seen_ms: u64,
    content_type: HeaderValue,
    /// The body is `head` + the request id + `tail` (HTML: the footer's
    /// id), or `head` alone (JSON).
    head: Bytes,
    tail: Option<Bytes>,
}

impl Kept {
    fn bytes(&self) -> usize {
        self.head.len() + self.tail.as_ref().map_or(0, Bytes::len) + 8 * self.reads.len() + 128
    }
}

/// A page just built, and what it was built from.
pub(crate) struct Built<'a> {
    pub reads: ReadSet,
    pub epoch: u64,
    pub now_ms: u64,
    pub keep_s: u32,
    pub session_created_ms: u64,
    pub session_last_seen_ms: u64,
    pub request_id: &'a str,
}

#[derive(Default)]
struct Shard {
    map: HashMap<PageKey, (u64, Arc<Kept>)>,
    /// Insertion order (key, serial); a serial no longer in `map` is stale.
    order: VecDeque<(PageKey, u64)>,
    bytes: usize,
    serial: u64,
}

impl Shard {
    fn remove(&mut self, key: &PageKey) {
        if let Some((_, kept)) = self.map.remove(key) {
            self.bytes -= kept.bytes() + key.uri.len();
        }
    }

    fn insert(&mut self, key: PageKey, kept: Kept, budget: usize) {
        let size = kept.bytes() + key.uri.len();
        if size > budget {
            return;
        }
        self.remove(&key);
        self.serial += 1;
        self.order.push_back((key.clone(), self.serial));
        self.map.insert(key, (self.serial, Arc::new(kept)));
        self.bytes += size;
        while self.bytes > budget {
            let Some((old, serial)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&old).is_some_and(|(s, _)| *s == serial) {
                self.remove(&old);
            }
        }
        // Replaced pages leave stale order entries: drop them before the
        // queue outgrows the map.
        if self.order.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.order
                .retain(|(k, s)| map.get(k).is_some_and(|(live, _)| live == s));
        }
    }
}

/// The cache; one per server.
pub(crate) struct PageCache {
    shards: Vec<Mutex<Shard>>,
    budget_per_shard: usize,
    /// Bumped by every catalogue swap and `portico dev` notice: pages
    /// built before are not served.
    epoch: AtomicU64,
    generations: Option<Arc<Generations>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl PageCache {
    /// A cache of `budget_mib` over the store's change counters; off when
    /// either is missing.
    pub(crate) fn new(budget_mib: usize, generations: Option<Arc<Generations>>) -> PageCache {
        PageCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            budget_per_shard: (budget_mib << 20) / SHARDS,
            epoch: AtomicU64::new(0),
            generations: generations.filter(|_| budget_mib > 0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Whether pages are kept at all.
    pub(crate) fn enabled(&self) -> bool {
        self.generations.is_some()
    }

    /// Every page kept so far will be built again (a reload, a dev notice).
    pub(crate) fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The epoch a page is built in: read before anything else of it.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// (pages served from the cache, pages built) since the start.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Memory the kept pages take, as counted against the budget.
    pub(crate) fn bytes(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).bytes)
            .sum()
    }

    fn shard(&self, key: &PageKey) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[key.shard()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept page for `key` with `request_id` in it, if it is still
    /// what a fresh request would get (see the module's doc).
    pub(crate) fn serve(
        &self,
        key: &PageKey,
        now_ms: u64,
        policy: &SessionPolicy,
        request_id: &str,
    ) -> Option<Response> {
        let generations = self.generations.as_ref()?;
        let kept = self.shard(key).map.get(key).map(|(_, k)| k.clone());
        let fresh = kept.filter(|k| {
            k.epoch == self.epoch()
                // A clock moved back (tests) is not a page made in the future.
                && (k.built_ms..k.fresh_until_ms).contains(&now_ms)
                && policy.check(k.session_created_ms, k.session_last_seen_ms, now_ms)
                    == SessionState::Valid
                && !policy.should_touch(k.session_last_seen_ms, now_ms)
                && generations.unchanged(&k.reads)
        });
        let Some(kept) = fresh else {
            self.shard(key).remove(key);
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        let body = match &kept.tail {
            None => kept.head.clone(),
            Some(tail) => {
                let mut body = Vec::with_capacity(kept.head.len() + request_id.len() + tail.len());
                body.extend_from_slice(&kept.head);
                body.extend_from_slice(request_id.as_bytes());
                body.extend_from_slice(tail);
                Bytes::from(body)
            }
        };
        let mut response = body.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, kept.content_type.clone());
        headers.insert(HEADER, HeaderValue::from_static("hit"));
        Some(response)
    }

    /// `response`, kept for `key` first if it may be served again (see
    /// the module's doc). Its body is read only then.
    pub(crate) async fn keep(
        &self,
        key: PageKey,
        response: Response,
        built: Built<'_>,
    ) -> Result<Response, axum::Error> {
        let Some(generations) = &self.generations else {
            return Ok(response);
        };
        let headers = response.headers();
        let Some(content_type) = headers.get(header::CONTENT_TYPE).cloned() else {
            return Ok(response);
        };
        let html = content_type.as_bytes().starts_with(b"text/html");
        let json = content_type.as_bytes().starts_with(b"application/json");
        if built.reads.wrote()
            || response.status() != StatusCode::OK
            || headers.contains_key(header::SET_COOKIE)
            || !(html || json)
        {
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await?;
        let id = built.request_id.as_bytes();
        let mut at = memchr::memmem::find_iter(&body, id);
        let split = match (json, at.next(), at.next()) {
            // The footer's id, and only it: the area's answer did not show it.
            (false, Some(i), None) => Some((body.slice(..i), Some(body.slice(i + id.len()..)))),
            (true, None, None) => Some((body.clone(), None)),
            _ => None,
        };
        let reads = built.reads.finish();
        // Checked once more now that it is built: a write that landed
        // meanwhile makes it stale at once, and keeping it is wasted.
        if let (Some((head, tail)), true) = (split, generations.unchanged(&reads)) {
            let kept = Kept {
                reads,
                epoch: built.epoch,
                built_ms: built.now_ms,
                fresh_until_ms: built.now_ms + u64::from(built.keep_s) * 1000,
                session_created_ms: built.session_created_ms,
                session_last_seen_ms: built.session_last_seen_ms,
                content_type,
                head,
                tail,
            };
            self.shard(&key).insert(key, kept, self.budget_per_shard);
        }
        Ok(Response::from_parts(parts, axum::body::Body::from(body)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> PageKey {
        PageKey {
            session: [n; 32],
            lang: Lang::default(),
            json: false,
            native: false,
            uri: format!("/s/1/a/{n}"),
        }
    }

    fn page(len: usize) -> Kept {
        Kept {
            reads: ReadSet::default(),
            epoch: 0,
            built_ms: 0,
            fresh_until_ms: u64::MAX,
            session_created_ms: 0,
            session_last_seen_ms: 0,
            content_type: HeaderValue::from_static("text/html"),
            head: Bytes::from(vec![b'x'; len]),
            tail: None,
        }
    }

    #[test]
    fn a_shard_keeps_within_its_budget_oldest_out_first() {
        let mut shard = Shard::default();
        let size = page(1000).bytes() + key(0).uri.len();
        for n in 0..10 {
            shard.insert(key(n), page(1000), 3 * size);
        }
        assert!(shard.bytes <= 3 * size);
        let kept: Vec<u8> = (0..10)
            .filter(|n| shard.map.contains_key(&key(*n)))
            .collect();
        assert_eq!(kept, vec![7, 8, 9]);
        // A page larger than the whole budget is not kept (nor evicts).
        shard.insert(key(42), page(10_000), 3 * size);
        assert!(!shard.map.contains_key(&key(42)) && shard.map.len() == 3);
        // Rebuilding one page many times does not grow the order queue.
        for _ in 0..1000 {
            shard.insert(key(9), page(1000), 3 * size);
        }
        assert!(shard.order.len() <= 2 * shard.map.len() + 64);
        assert_eq!(shard.bytes, 3 * size);
    }
}
