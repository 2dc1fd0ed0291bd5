//! Every piece of persistent state, behind one typed API ([`Store`]) over a
//! small ordered key-value seam ([`backend::Backend`]) with two
//! implementations, chosen by [`Location`]: sled (`sled_backend.rs`, the
//! default, one machine) and PostgreSQL (`pg_backend.rs`, `--store
//! postgres://…`, several hosts). This is the only module that touches
//! either.
//!
//! Layout of a data directory on sled:
//! - `db/`: the sled database (one sled tree per [`backend::TreeId`]);
//! - `files/`: values over [`INLINE_LIMIT`], content-addressed (`blobs.rs`).
//!
//! On PostgreSQL everything is in the database (large values in a table of
//! their own); the data directory keeps only what is local to a host.
//!
//! Durability: every public method that writes returns `Ok` only once the
//! write is on stable storage (sled flushed *and* its files fsynced, see
//! `sled_backend.rs`; a PostgreSQL COMMIT, see `pg_backend.rs`); concurrent
//! writers share one sync (`group_commit.rs`).
//! The one exception, [`Store::touch_session`], says why on its doc.
//!
//! Records are JSON: simple to read when debugging a data directory, and
//! serde's defaults let fields be added later.
//!
//! All methods block; async callers run them on `spawn_blocking`.

pub mod backend;
mod blobs;
mod group_commit;
mod keys;
mod pg_backend;
mod sled_backend;

mod account_links;
mod api_clients;
mod audit;
pub mod dataflows;
mod facts;
mod hosts;
mod installs;
mod kv;
mod leases;
mod limits;
mod link_requests;
mod outbox;
mod page;
mod services;
mod sessions;
mod structures;
mod subscriptions;
#[doc(hidden)]
pub mod testing;
mod timers;
mod transfer;
mod users;
pub mod watch;

pub use account_links::{AccountLink, LinkProblem};
pub use api_clients::{
    Access, ApiClient, ApiToken, CLIENT_ID_PREFIX, CredentialProblem, Mode, NewApiClient,
    StoredSecret,
};
pub use audit::AuditEntry;
pub use blobs::INLINE_LIMIT;
pub use hosts::{HEARTBEAT_MS, HOST_FORGET_MS, HOST_LIVE_MS, HostBeat};
pub use kv::{MAX_KEY_BYTES, MAX_LIST, MAX_VALUE_BYTES, Namespace, Owner};
pub use leases::{Claim, DestinationLease, LEASE_MS, LEASE_RENEW_MS, Lease};
pub use link_requests::{LinkRequest, MAX_REQUEST_SERVICES};
pub use outbox::{
    CallBatch, FactChange, Flow, FlowState, MAX_MESSAGES_PER_CALL, MAX_PAYLOAD_BYTES, OutboxEntry,
    OutgoingMessage, new_message_id,
};
pub use page::PageRead;
pub use services::{MAX_SERVICES, Service};
pub use sessions::{Session, SessionEntry};
pub use structures::{MAX_SEARCH_RESULTS, MIN_NAME_PREFIX, NewStructure, Structure};
pub use subscriptions::Subscription;
pub use timers::{
    MAX_PENDING_TIMERS, MAX_TIMER_HORIZON_MS, MAX_TIMER_PAYLOAD_BYTES, MAX_TIMERS_PER_CALL,
    TimerEntry, new_timer_id,
};
pub use transfer::Summary;
pub use users::{NewUser, User, UserId};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::clock::Clock;
use backend::{Backend, Entry, TreeId, Tx};
use blobs::{FileStore, LargeValues};
use group_commit::GroupCommit;
use pg_backend::{PgBackend, PgTarget};
use sled_backend::SledBackend;

/// The on-disk format this build reads and writes (the `format` key of the
/// meta tree). Bump it with a migration when an encoding changes.
///
/// - 1: the first format.
/// - 2: every kv namespace has a usage counter (`TreeId::KvUsage`), changed
///   in the transaction of each kv write. Opening a format-1 directory counts
///   them once; a format-1 build refuses a format-2 directory (it would
///   write kv without keeping the counters).
const FORMAT_VERSION: &str = "2";

/// How many entries a full-prefix walk (usage, purge) reads per backend call:
/// bounds memory without a round trip per entry.
const SCAN_PAGE: usize = 256;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The write would break a uniqueness rule (e-mail taken, structure exists…).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A record the operation needs does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// An input is over one of the store's limits; the message states both.
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// An input the store cannot hold (e.g. an empty e-mail).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Data read back does not decode: a bug, a format mismatch or damage.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A file-system error (file store, fsync) that is not the storage
    /// failing (those are [`StoreError::Unavailable`]).
    #[error("i/o: {0}")]
    Io(std::io::Error),
    /// The storage cannot write now: a full disk, or an I/O failure. The
    /// operation was not acknowledged; the store recovers by itself once
    /// the cause is gone (no restart), so retrying later may succeed.
    #[error("storage unavailable{}: {cause}", if *.disk_full { " (disk full)" } else { "" })]
    Unavailable {
        /// The disk (or the quota) is full.
        disk_full: bool,
        /// The system's words, for the log; never shown to users.
        cause: String,
    },
    /// The backend failed (sled error, failed sync).
    #[error("storage backend: {0}")]
    Backend(String),
    /// Another process holds the data directory (sled's exclusive lock).
    #[error(
        "the data directory {0} is in use: a Portico server is using it; stop it first, or give this command another --data"
    )]
    InUse(PathBuf),
}

impl From<std::io::Error> for StoreError {
    /// Storage failures (full disk, quota, read-only file system, I/O error)
    /// become [`StoreError::Unavailable`]; the rest stay I/O errors.
    fn from(e: std::io::Error) -> StoreError {
        use std::io::ErrorKind as K;
        let disk_full = matches!(e.kind(), K::StorageFull | K::QuotaExceeded)
            || e.raw_os_error() == Some(libc::ENOSPC);
        let failing = disk_full
            || matches!(e.kind(), K::ReadOnlyFilesystem)
            || e.raw_os_error() == Some(libc::EIO);
        if failing {
            StoreError::Unavailable {
                disk_full,
                cause: e.to_string(),
            }
        } else {
            StoreError::Io(e)
        }
    }
}

impl StoreError {
    /// For people: why nothing can be saved now, when the storage itself is
    /// failing (never the system's words); `None` for other errors.
    pub fn unavailable_reason(&self) -> Option<&'static str> {
        match self {
            StoreError::Unavailable {
                disk_full: true, ..
            } => Some("the server's disk is full"),
            StoreError::Unavailable { .. } => Some("the server's storage is failing"),
            _ => None,
        }
    }
}

/// Shorthand for this module's results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The store: cheap to clone (an `Arc`), safe to share between threads.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Box<dyn Backend>,
    large: LargeValues,
    /// Where the records are, for logs and messages.
    location: String,
    /// Whether every store operation is a network round trip (PostgreSQL)
    /// rather than mostly memory (sled).
    over_network: bool,
    commit: GroupCommit,
    data_dir: PathBuf,
    /// A [`SyncMode`] as `u8`; [`SyncMode::Grouped`] unless a benchmark says otherwise.
    sync_mode: AtomicU8,
    /// When `health` last wrote its probe, and whether it worked.
    last_probe: std::sync::Mutex<Option<(std::time::Instant, ProbeOutcome)>>,
    /// The host's one clock (see `crate::clock`): whoever holds the store
    /// holds the time it stamps records with.
    clock: Clock,
    /// What a read saw can be checked against these (sled only: on
    /// PostgreSQL other hosts write where this process cannot see).
    generations: Option<Arc<watch::Generations>>,
}

/// A health probe's outcome: `Err((disk full, cause))`.
type ProbeOutcome = std::result::Result<(), (bool, String)>;

/// How often `/healthz` may write its probe: a load balancer polling every
/// second costs one small durable write per second at most.
pub const HEALTH_PROBE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// How a write reaches the disk before it is acknowledged. Production always
/// uses [`SyncMode::Grouped`]; the others exist for the durable-writes
/// benchmark (BENCHMARKS.md) and for loading benchmark fixtures fast.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SyncMode {
    /// Concurrent writers share one flush + fsync (group commit). The default.
    Grouped = 0,
    /// Every writer flushes and fsyncs on its own: the baseline group commit beats.
    PerWrite = 1,
    /// No flush at all: **not durable**. Only for loading benchmark fixtures.
    NotDurable = 2,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.inner.data_dir)
            .field("location", &self.inner.location)
            .finish_non_exhaustive()
    }
}

/// Where a store keeps its records: the `--store` option.
#[derive(Clone, Debug)]
pub enum Location {
    /// sled, in `<data>/db` (and large values in `<data>/files`): the default.
    Sled,
    /// A PostgreSQL database (`postgres://…`), shared by every host.
    Postgres(PgLocation),
}

/// A parsed `postgres://` URL (its password is never shown).
#[derive(Clone, Debug)]
pub struct PgLocation(Box<PgTarget>);

impl Location {
    /// Parses a `--store` value: absent (or `sled`) for sled in the data
    /// directory, or a `postgres://` URL. The error says what would be right.
    pub fn parse(store: Option<&str>) -> std::result::Result<Location, String> {
        match store.map(str::trim) {
            None | Some("") | Some("sled") => Ok(Location::Sled),
            Some(url) => PgTarget::parse(url).map(|t| Location::Postgres(PgLocation(Box::new(t)))),
        }
    }

    /// For messages: "sled in DIR/db" or "PostgreSQL at HOST:PORT (…)".
    pub fn describe(&self, data_dir: &Path) -> String {
        match self {
            Location::Sled => format!("sled in {}", data_dir.join("db").display()),
            Location::Postgres(PgLocation(t)) => t.shown().to_string(),
        }
    }
}

impl Store {
    /// Opens the data directory, creating it if needed. Fails if another
    /// process has it open (sled holds an exclusive lock) or if it was
    /// written by an incompatible version.
    pub fn open(data_dir: &Path) -> Result<Store> {
        Store::open_with_clock(data_dir, Clock::system())
    }

    /// [`Store::open`] with the host's clock (a movable one in tests).
    pub fn open_with_clock(data_dir: &Path, clock: Clock) -> Result<Store> {
        Store::open_at(data_dir, &Location::Sled, clock)
    }

    /// Opens the store at `location`; `data_dir` is the host's local
    /// directory (created if needed), which also holds sled's files.
    pub fn open_at(data_dir: &Path, location: &Location, clock: Clock) -> Result<Store> {
        std::fs::create_dir_all(data_dir)?;
        let (backend, large, generations): (Box<dyn Backend>, LargeValues, _) = match location {
            Location::Sled => {
                let backend = SledBackend::open(&data_dir.join("db")).map_err(|e| match e {
                    StoreError::InUse(_) => StoreError::InUse(data_dir.to_path_buf()),
                    other => other,
                })?;
                let files = FileStore::open(&data_dir.join("files"))?;
                // One process's store: every write passes here, so what a
                // page read can be known unchanged (`watch.rs`).
                let generations = Arc::new(watch::Generations::default());
                let watched = watch::Watched::new(Box::new(backend), generations.clone());
                (
                    Box::new(watched),
                    LargeValues::Files(files),
                    Some(generations),
                )
            }
            Location::Postgres(PgLocation(target)) => {
                (Box::new(PgBackend::open(target)?), LargeValues::Table, None)
            }
        };
        let store = Store {
            inner: Arc::new(Inner {
                backend,
                large,
                location: location.describe(data_dir),
                over_network: matches!(location, Location::Postgres(_)),
                commit: GroupCommit::default(),
                data_dir: data_dir.to_path_buf(),
                sync_mode: AtomicU8::new(SyncMode::Grouped as u8),
                last_probe: std::sync::Mutex::new(None),
                clock,
                generations,
            }),
        };
        store.check_format()?;
        store.index_structure_names()?;
        if matches!(location, Location::Sled) {
            let stale = store.forget_leases()?;
            if stale > 0 {
                tracing::info!(
                    leases = stale,
                    "delivery leases of an earlier process forgotten (sled: no other host can hold them)"
                );
            }
        }
        Ok(store)
    }

    /// The change counters reads can be checked against, when this process
    /// sees every write (sled); `None` on PostgreSQL.
    pub fn generations(&self) -> Option<&Arc<watch::Generations>> {
        self.inner.generations.as_ref()
    }

    /// Whether the store can write now, for `/healthz`: recovers a failed
    /// backend if it can, then proves it with a small durable write (at
    /// most one per [`HEALTH_PROBE_INTERVAL`]; calls in between get that
    /// probe's answer).
    pub fn health(&self) -> Result<()> {
        self.backend().health()?;
        let mut last = self
            .inner
            .last_probe
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, outcome)) = &*last
            && at.elapsed() < HEALTH_PROBE_INTERVAL
        {
            return match outcome {
                Ok(()) => Ok(()),
                Err((disk_full, cause)) => Err(StoreError::Unavailable {
                    disk_full: *disk_full,
                    cause: cause.clone(),
                }),
            };
        }
        let now = self.clock().now_ms();
        let probe = self.write(|tx| tx.put(TreeId::Meta, b"health-probe", &now.to_be_bytes()));
        let outcome = match &probe {
            Ok(()) => Ok(()),
            Err(e) => Err((
                matches!(
                    e,
                    StoreError::Unavailable {
                        disk_full: true,
                        ..
                    }
                ),
                e.to_string(),
            )),
        };
        *last = Some((std::time::Instant::now(), outcome));
        probe
    }

    /// The host's clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The directory this store was opened on.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Where the records are: "sled in DIR/db" or "PostgreSQL at …".
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// Whether every operation is a network round trip that blocks its
    /// thread (PostgreSQL): the server then runs more worker threads, so
    /// that requests waiting on the database do not hold back the others.
    pub fn over_network(&self) -> bool {
        self.inner.over_network
    }

    /// A stored (tagged) value's bytes, reading its file or row if large.
    fn large_decode(&self, stored: &[u8]) -> Result<Vec<u8>> {
        self.inner.large.decode(self.backend(), stored)
    }

    /// Checks the directory's format, migrating older ones. Runs at open,
    /// under sled's exclusive lock: nobody else writes meanwhile.
    fn check_format(&self) -> Result<()> {
        let found = self.backend().get(TreeId::Meta, b"format")?;
        match found.as_deref() {
            Some(v) if v == FORMAT_VERSION.as_bytes() => return Ok(()),
            // A new directory, or one from before the usage counters.
            None | Some(b"1") => {}
            Some(v) => {
                return Err(StoreError::Corrupt(format!(
                    "data format {:?}; this build reads format {FORMAT_VERSION} (and migrates 1)",
                    String::from_utf8_lossy(v)
                )));
            }
        }
        // Counters first, then the format: a crash in between leaves format
        // 1, and the next open counts again from the data.
        let namespaces = self.count_kv_usage()?;
        if found.is_some() {
            tracing::info!(
                namespaces,
                "store migrated to format {FORMAT_VERSION}: kv usage counters"
            );
        }
        self.write(|tx| tx.put(TreeId::Meta, b"format", FORMAT_VERSION.as_bytes()))
    }

    fn backend(&self) -> &dyn Backend {
        &*self.inner.backend
    }

    /// Benchmarks only: changes how later writes are made durable.
    #[doc(hidden)]
    pub fn set_sync_mode_for_bench(&self, mode: SyncMode) {
        self.inner.sync_mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Makes every write done so far durable, sharing the sync with
    /// concurrent callers.
    fn durable(&self) -> Result<()> {
        match self.inner.sync_mode.load(Ordering::Relaxed) {
            m if m == SyncMode::PerWrite as u8 => self.inner.backend.sync(),
            m if m == SyncMode::NotDurable as u8 => Ok(()),
            _ => self.inner.commit.sync(&|| self.inner.backend.sync()),
        }
    }

    /// Runs `body` as one transaction, *without* waiting for durability.
    /// `body` may run several times (retries): no side effects outside `tx`.
    fn transact<T>(&self, mut body: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mut out = None;
        self.backend().transact(&mut |tx| {
            out = Some(body(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| StoreError::Backend("transaction committed without a result".into()))
    }

    /// Runs `body` as one transaction and returns once it is durable. Also
    /// syncs when `body` wrote nothing: what it read may be another caller's
    /// write that is not durable yet, and our caller will report it as done.
    fn write<T>(&self, body: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let out = self.transact(body)?;
        self.durable()?;
        Ok(out)
    }

    /// Reads and decodes one record.
    fn read<T: DeserializeOwned>(&self, tree: TreeId, key: &[u8]) -> Result<Option<T>> {
        self.backend()
            .get(tree, key)?
            .map(|v| decode(tree, key, &v))
            .transpose()
    }

    /// Calls `f` on every entry under `prefix`, a page at a time.
    /// Every record of `tree` under `prefix`, decoded, in key order.
    fn records<T: DeserializeOwned>(&self, tree: TreeId, prefix: &[u8]) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.walk(tree, prefix, |(k, v)| {
            out.push(decode(tree, k, v)?);
            Ok(())
        })?;
        Ok(out)
    }

    fn walk(
        &self,
        tree: TreeId,
        prefix: &[u8],
        mut f: impl FnMut(&Entry) -> Result<()>,
    ) -> Result<()> {
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self
                .backend()
                .scan(tree, prefix, after.as_deref(), SCAN_PAGE)?;
            for entry in &page {
                f(entry)?;
            }
            if page.len() < SCAN_PAGE {
                return Ok(());
            }
            after = page.into_iter().last().map(|(k, _)| k);
        }
    }
}

/// Serializes a record.
fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| StoreError::Backend(format!("cannot serialize a record: {e}")))
}

/// Deserializes a record; a failure names the tree and key.
fn decode<T: DeserializeOwned>(tree: TreeId, key: &[u8], bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        StoreError::Corrupt(format!(
            "{} record {}: {e}",
            tree.name(),
            String::from_utf8_lossy(key)
        ))
    })
}

/// Reads and decodes one record inside a transaction.
fn tx_read<T: DeserializeOwned>(tx: &mut dyn Tx, tree: TreeId, key: &[u8]) -> Result<Option<T>> {
    tx.get(tree, key)?
        .map(|v| decode(tree, key, &v))
        .transpose()
}

/// Encodes and writes one record inside a transaction.
fn tx_write<T: Serialize>(tx: &mut dyn Tx, tree: TreeId, key: &[u8], value: &T) -> Result<()> {
    tx.put(tree, key, &encode(value)?)
}

/// Decodes a stored string component (ids, names): they went in as `&str`.
fn utf8(what: &str, bytes: &[u8]) -> Result<String> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("{what} is not UTF-8")))
}

/// Rejects a `limit` over [`MAX_LIST`] with the message the API promises.
fn check_list_limit(limit: usize) -> Result<()> {
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    portico_contract::limits::kv::check_list_limit(limit)
        .map_err(|r| StoreError::LimitExceeded(r.to_string()))
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A store in a fresh temporary directory (kept alive by the guard):
    /// sled, or a fresh schema on PostgreSQL under `PORTICO_TEST_STORE=postgres`
    /// (see `testing.rs`).
    pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_at(dir.path(), &testing::location(dir.path()), Clock::system())
            .expect("open store");
        (dir, store)
    }

    /// Opens (again) the test store of `dir`, on the backend under test.
    pub(crate) fn open_in(dir: &Path) -> Store {
        Store::open_at(dir, &testing::location(dir), Clock::system()).expect("open store")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::open_in;

    #[test]
    fn reopening_keeps_data_and_a_second_open_is_refused_on_sled_shared_on_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_in(dir.path());
        let ns = Namespace::structure("notes", "73282932000074");
        store.kv_set(&ns, "k", b"v").unwrap();
        if testing::on_postgres() {
            // Several hosts on one database: a second store sees the first's writes.
            let second = open_in(dir.path());
            assert_eq!(second.kv_get(&ns, "k").unwrap().as_deref(), Some(&b"v"[..]));
            second.kv_set(&ns, "k2", b"w").unwrap();
            assert_eq!(store.kv_get(&ns, "k2").unwrap().as_deref(), Some(&b"w"[..]));
        } else {
            assert!(
                Store::open(dir.path()).is_err(),
                "sled's lock refuses a second opener"
            );
        }
        drop(store);
        let store = open_in(dir.path());
        assert_eq!(store.kv_get(&ns, "k").unwrap().as_deref(), Some(&b"v"[..]));
    }

    #[test]
    fn an_unknown_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_in(dir.path());
        store
            .write(|tx| tx.put(TreeId::Meta, b"format", b"99"))
            .unwrap();
        drop(store);
        let err = Store::open_at(dir.path(), &testing::location(dir.path()), Clock::system())
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt(ref m) if m.contains("99")),
            "{err}"
        );
    }

    /// Read-modify-write transactions from many threads at once: every
    /// increment counts (sled retries conflicts, PostgreSQL serialization
    /// failures), none is lost or applied twice.
    #[test]
    fn concurrent_read_modify_write_transactions_lose_no_update() {
        let (_dir, store) = test_support::temp_store();
        let threads = 6;
        let each = 25;
        std::thread::scope(|s| {
            for _ in 0..threads {
                let store = &store;
                s.spawn(move || {
                    for _ in 0..each {
                        store
                            .write(|tx| {
                                let n = tx
                                    .get(TreeId::Meta, b"counter")?
                                    .map(|v| u64::from_be_bytes(v.try_into().unwrap()))
                                    .unwrap_or(0);
                                tx.put(TreeId::Meta, b"counter", &(n + 1).to_be_bytes())
                            })
                            .unwrap();
                    }
                });
            }
        });
        let n = store
            .backend()
            .get(TreeId::Meta, b"counter")
            .unwrap()
            .unwrap();
        assert_eq!(u64::from_be_bytes(n.try_into().unwrap()), threads * each);
    }

    /// A transaction's reads see its own writes, an aborted one leaves
    /// nothing (not even a large value's row), scans keep key order within
    /// a prefix.
    #[test]
    fn transactions_see_their_writes_and_an_abort_leaves_nothing() {
        let (_dir, store) = test_support::temp_store();
        let err = store
            .write(|tx| {
                tx.put(TreeId::Meta, b"a", b"1")?;
                assert_eq!(tx.get(TreeId::Meta, b"a")?.as_deref(), Some(&b"1"[..]));
                assert!(tx.delete(TreeId::Meta, b"a")?);
                assert_eq!(tx.get(TreeId::Meta, b"a")?, None);
                tx.put(TreeId::Meta, b"b", b"2")?;
                tx.put(TreeId::LargeValues, b"h", &vec![7; INLINE_LIMIT * 2])?;
                Err::<(), _>(StoreError::Invalid("abort".into()))
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert_eq!(store.backend().get(TreeId::Meta, b"b").unwrap(), None);
        assert_eq!(
            store.backend().get(TreeId::LargeValues, b"h").unwrap(),
            None
        );

        store
            .write(|tx| {
                for k in [&b"p\xff"[..], b"p\x00", b"p", b"q", b"o\xff", b"p\x01\x02"] {
                    tx.put(TreeId::Meta, k, k)?;
                }
                Ok(())
            })
            .unwrap();
        let keys = |after: Option<&[u8]>, limit| -> Vec<Vec<u8>> {
            store
                .backend()
                .scan(TreeId::Meta, b"p", after, limit)
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        let all: Vec<Vec<u8>> = vec![
            b"p".to_vec(),
            b"p\x00".to_vec(),
            b"p\x01\x02".to_vec(),
            b"p\xff".to_vec(),
        ];
        assert_eq!(keys(None, 10), all);
        assert_eq!(keys(None, 2), all[..2]);
        assert_eq!(keys(Some(b"p\x00"), 10), all[2..]);
        assert_eq!(keys(Some(b"a"), 10), all, "an `after` before the prefix");
        assert_eq!(keys(Some(b"p\xff"), 10), Vec::<Vec<u8>>::new());
        let ff = store
            .backend()
            .scan(TreeId::Meta, b"\xff", None, 10)
            .unwrap();
        assert!(ff.is_empty(), "{ff:?}");
    }

    /// Values over the inline limit round-trip through the large-value home
    /// of the backend (files on sled, a table on PostgreSQL).
    #[test]
    fn large_values_round_trip_through_their_home() {
        let (_dir, store) = test_support::temp_store();
        let ns = Namespace::structure("notes", "73282932000074");
        let big: Vec<u8> = (0..INLINE_LIMIT * 3).map(|i| (i % 251) as u8).collect();
        store.kv_set(&ns, "big", &big).unwrap();
        assert_eq!(store.kv_get(&ns, "big").unwrap().as_deref(), Some(&big[..]));
        let rows = store
            .backend()
            .scan(TreeId::LargeValues, b"", None, 10)
            .unwrap();
        if testing::on_postgres() {
            assert_eq!(rows.len(), 1, "one row, in the database");
            assert_eq!(rows[0].1, big);
        } else {
            assert!(rows.is_empty(), "sled keeps large values in files");
        }
        assert!(
            store
                .kv_cas(&ns, "big", Some(&big), Some(b"small"))
                .unwrap()
        );
        assert_eq!(
            store.kv_get(&ns, "big").unwrap().as_deref(),
            Some(&b"small"[..])
        );
    }
}
