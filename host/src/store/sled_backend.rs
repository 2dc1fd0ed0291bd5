//! The sled implementation of [`Backend`]: the only file in Portico that
//! names sled.
//!
//! Durability: sled 0.34's `flush()` ends in `sync_file_range` on Linux, which
//! writes data pages but neither the file's metadata nor the drive's cache,
//! and values over ~128 KiB live in `blobs/` files it never fsyncs. So
//! [`SledBackend::sync`] flushes and then fsyncs the files itself.

use std::cell::RefCell;
use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};

use super::StoreError;
use super::backend::{Backend, Entry, TreeId, Tx};

/// sled's page cache. Its default (1 GiB) assumes a dedicated database
/// server; Portico shares the machine with wasmtime, so keep it modest.
const SLED_CACHE_BYTES: u64 = 128 * 1024 * 1024;

/// After an I/O failure, how often an operation may try to reopen the
/// database (each try replays sled's log): a full disk is not fixed in
/// milliseconds, and a portal under load must not reopen on every request.
const REOPEN_INTERVAL: Duration = Duration::from_secs(1);

/// Free space a full disk must have regained before a reopen is tried:
/// closing the failed database stops reads too, so it is closed only when
/// opening again can succeed (sled writes a snapshot and a log segment).
const REOPEN_MIN_FREE_BYTES: u64 = 4 << 20;

/// How long a reopen waits for operations still holding the failed
/// database to finish (they fail fast: sled refuses writes once failed).
const REOPEN_DRAIN: Duration = Duration::from_millis(500);

/// A sled database with one sled tree per [`TreeId`].
///
/// sled 0.34 keeps the first I/O error of its log writer (a full disk, say)
/// and refuses every later write with it, even once the cause is gone. So
/// an I/O error marks the database failed, and the next operation at least
/// [`REOPEN_INTERVAL`] later closes it and opens it again: sled recovers
/// from its log, and writes work again without a restart. Reads keep
/// working meanwhile.
pub(crate) struct SledBackend {
    /// The open database; `None` between a close and a successful reopen.
    open: RwLock<Option<Arc<Open>>>,
    /// Why the database is failed (set by an I/O error, cleared by a reopen).
    failed: Mutex<Option<Failure>>,
    dir: PathBuf,
    /// sled's blob files are written once and never modified, so each needs
    /// one fsync; this remembers which ones had it.
    synced_blobs: Mutex<HashSet<OsString>>,
}

/// The handles of one opening of the database.
struct Open {
    db: sled::Db,
    /// Indexed by [`TreeId::index`].
    trees: Vec<sled::Tree>,
}

/// An I/O failure and when the database last tried to get over it.
struct Failure {
    disk_full: bool,
    cause: String,
    last_try: Instant,
}

fn backend_err(e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) => failing(io),
        other => StoreError::Backend(format!("sled: {other}")),
    }
}

/// An I/O error of the database's own files: whatever its kind, the
/// storage is failing (a full disk is the common case).
fn failing(e: io::Error) -> StoreError {
    match StoreError::from(e) {
        StoreError::Io(e) => StoreError::Unavailable {
            disk_full: false,
            cause: e.to_string(),
        },
        other => other,
    }
}

/// fsyncs a file or directory (on Linux a directory opened read-only can be
/// fsynced, which makes its entries — creations, renames — durable).
pub(crate) fn fsync_path(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Removes what an interrupted snapshot left in `dir`: sled writes
/// `snap.<lsn>.generating`, fsyncs it, then renames it; a full disk or a
/// crash before the rename leaves the temporary file, which sled 0.34 then
/// takes for the newest snapshot and refuses to open ("Read corrupted
/// data"). A leftover whose checksum does not verify is incomplete and
/// deleted: the previous snapshot and the log hold everything. A complete
/// one (crash between fsync and rename) is kept: sled reads it.
fn remove_snapshot_leftovers(dir: &Path) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.starts_with("snap.") && name.ends_with(".generating")) {
            continue;
        }
        if !snapshot_verifies(&std::fs::read(&path)?) {
            tracing::warn!(file = %path.display(), "removing an incomplete snapshot left by an interrupted write");
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Bytes an unprivileged process can still write on `dir`'s file system.
fn free_bytes(dir: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// sled 0.34's snapshot file: the bytes, their length (8 bytes), then the
/// CRC-32 of the bytes (4 bytes, little-endian).
fn snapshot_verifies(file: &[u8]) -> bool {
    if file.len() <= 12 {
        return false;
    }
    let (body, tail) = file.split_at(file.len() - 12);
    let crc = u32::from_le_bytes([tail[8], tail[9], tail[10], tail[11]]);
    crc32fast::hash(body) == crc
}

impl SledBackend {
    /// Opens (creating if needed) the sled database in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<SledBackend, StoreError> {
        let backend = SledBackend {
            open: RwLock::new(Some(Arc::new(Self::open_db(dir)?))),
            failed: Mutex::new(None),
            dir: dir.to_path_buf(),
            synced_blobs: Mutex::new(HashSet::new()),
        };
        // `conf` is written once at creation: make it (and the directory
        // entries of a new database) durable now rather than on every sync.
        let conf = dir.join("conf");
        if conf.exists() {
            fsync_path(&conf)?;
        }
        if let Some(parent) = dir.parent() {
            fsync_path(parent)?;
        }
        backend.sync()?;
        Ok(backend)
    }

    fn open_db(dir: &Path) -> Result<Open, StoreError> {
        remove_snapshot_leftovers(dir)?;
        let opened = sled::Config::new()
            .path(dir)
            .cache_capacity(SLED_CACHE_BYTES)
            .open();
        let db = match opened {
            Ok(db) => db,
            // sled 0.34 (pinned) words a held lock this way; see the test.
            Err(sled::Error::Io(io)) if io.to_string().contains("could not acquire lock") => {
                return Err(StoreError::InUse(dir.to_path_buf()));
            }
            Err(e) => {
                // Opening writes a snapshot: a full disk fails here, and
                // must not leave a file that stops the next start.
                let _ = remove_snapshot_leftovers(dir);
                return Err(backend_err(e));
            }
        };
        let trees = TreeId::ALL
            .iter()
            .map(|t| db.open_tree(t.name()).map_err(backend_err))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Open { db, trees })
    }

    /// The open database, after trying to reopen a failed one if its last
    /// try is old enough.
    fn db(&self) -> Result<Arc<Open>, StoreError> {
        if let Some(failure) = self.failure_due() {
            self.reopen(failure);
        }
        self.open
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| self.unavailable())
    }

    /// The current failure if a reopen should be tried now (and marks the try).
    fn failure_due(&self) -> Option<(bool, String)> {
        let mut failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        let f = failed.as_mut()?;
        if f.last_try.elapsed() < REOPEN_INTERVAL {
            return None;
        }
        f.last_try = Instant::now();
        // Still full: keep the failed database open for reads.
        if f.disk_full && free_bytes(&self.dir).is_some_and(|free| free < REOPEN_MIN_FREE_BYTES) {
            return None;
        }
        Some((f.disk_full, f.cause.clone()))
    }

    /// What operations answer while the database is failed.
    fn unavailable(&self) -> StoreError {
        let failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        match &*failed {
            Some(f) => StoreError::Unavailable {
                disk_full: f.disk_full,
                cause: f.cause.clone(),
            },
            None => StoreError::Unavailable {
                disk_full: false,
                cause: "the database is being reopened".into(),
            },
        }
    }

    /// Records an error; an I/O error marks the database failed.
    fn check<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(StoreError::Unavailable { disk_full, cause }) = &r {
            let mut failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
            if failed.is_none() {
                tracing::error!(dir = %self.dir.display(), disk_full, %cause, "storage failed; writes are refused until it can be reopened");
                *failed = Some(Failure {
                    disk_full: *disk_full,
                    cause: cause.clone(),
                    last_try: Instant::now(),
                });
            }
        }
        r
    }

    /// Closes the failed database and opens it again; on success the
    /// failure is cleared, otherwise it stays (and is tried again later).
    fn reopen(&self, (disk_full, cause): (bool, String)) {
        let mut open = self.open.write().unwrap_or_else(PoisonError::into_inner);
        // Operations in flight hold the old handles; sled's lock file is
        // released only when the last one is dropped.
        let drained = Instant::now();
        while open.as_ref().is_some_and(|o| Arc::strong_count(o) > 1) {
            if drained.elapsed() > REOPEN_DRAIN {
                tracing::warn!("storage reopen postponed: operations still running");
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(open.take());
        match Self::open_db(&self.dir) {
            Ok(db) => {
                *open = Some(Arc::new(db));
                *self.failed.lock().unwrap_or_else(PoisonError::into_inner) = None;
                tracing::info!(dir = %self.dir.display(), "storage reopened; writes work again");
            }
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, previous = %cause, disk_full, "storage still unavailable");
            }
        }
    }

    /// fsyncs the blob files not fsynced yet, then the `blobs` directory.
    fn sync_sled_blobs(&self) -> Result<(), StoreError> {
        let blobs = self.dir.join("blobs");
        let entries = match std::fs::read_dir(&blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let mut synced = self
            .synced_blobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut present = HashSet::new();
        let mut new_files = false;
        for entry in entries {
            let name = entry?.file_name();
            if !synced.contains(&name) {
                match fsync_path(&blobs.join(&name)) {
                    Ok(()) => new_files = true,
                    // sled removes blobs it has rewritten; nothing to keep.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            present.insert(name);
        }
        if new_files {
            fsync_path(&blobs)?;
        }
        *synced = present;
        Ok(())
    }
}

/// A sled transaction seen through [`Tx`]. sled reports a conflict as an
/// error the body must propagate for sled to retry; `conflict` remembers it
/// so a body that swallowed the error still gets retried.
struct SledTx<'a> {
    trees: &'a [TransactionalTree],
    conflict: bool,
}

impl SledTx<'_> {
    fn check<T>(&mut self, r: Result<T, UnabortableTransactionError>) -> Result<T, StoreError> {
        r.map_err(|e| match e {
            UnabortableTransactionError::Conflict => {
                self.conflict = true;
                StoreError::Backend("sled: transaction conflict (will retry)".into())
            }
            UnabortableTransactionError::Storage(e) => backend_err(e),
        })
    }
}

impl Tx for SledTx<'_> {
    fn get(&mut self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let r = self.trees[tree.index()].get(key);
        Ok(self.check(r)?.map(|v| v.to_vec()))
    }

    fn put(&mut self, tree: TreeId, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let r = self.trees[tree.index()].insert(key, value);
        self.check(r).map(|_| ())
    }

    fn delete(&mut self, tree: TreeId, key: &[u8]) -> Result<bool, StoreError> {
        let r = self.trees[tree.index()].remove(key);
        Ok(self.check(r)?.is_some())
    }
}

impl Backend for SledBackend {
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let db = self.db()?;
        let r = db.trees[tree.index()].get(key).map_err(backend_err);
        Ok(self.check(r)?.map(|v| v.to_vec()))
    }

    fn scan(
        &self,
        tree: TreeId,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let db = self.db()?;
        let tree = &db.trees[tree.index()];
        let iter = match after {
            Some(after) if after >= prefix => {
                tree.range::<&[u8], _>((Bound::Excluded(after), Bound::Unbounded))
            }
            _ => tree.range::<&[u8], _>(prefix..),
        };
        for item in iter {
            let (k, v) = self.check(item.map_err(backend_err))?;
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    fn transact(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let db = self.db()?;
        // sled wants an `Fn` (it may re-run it); the RefCell lends our FnMut.
        let body = RefCell::new(body);
        let result = sled::Transactional::<StoreError>::transaction(
            db.trees.as_slice(),
            |trees: &Vec<TransactionalTree>| {
                let mut tx = SledTx {
                    trees,
                    conflict: false,
                };
                let r = (body.borrow_mut())(&mut tx);
                if tx.conflict {
                    return Err(ConflictableTransactionError::Conflict);
                }
                r.map_err(ConflictableTransactionError::Abort)
            },
        );
        self.check(match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(backend_err(e)),
        })
    }

    fn sync(&self) -> Result<(), StoreError> {
        let db = self.db()?;
        self.check((|| {
            db.db.flush().map_err(backend_err)?;
            // flush() only did sync_file_range: fsync the log itself…
            fsync_path(&self.dir.join("db")).map_err(failing)?;
            // …the large values sled keeps outside it…
            self.sync_sled_blobs()?;
            // …and the directory (sled creates snapshot files and `blobs/`).
            fsync_path(&self.dir).map_err(failing)?;
            Ok(())
        })())
    }

    fn health(&self) -> Result<(), StoreError> {
        // Tries a reopen if one is due; failed until one succeeds.
        self.db()?;
        let failed = self
            .failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        if failed {
            Err(self.unavailable())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_open_of_the_same_directory_says_it_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let _first = SledBackend::open(dir.path()).unwrap();
        match SledBackend::open(dir.path()) {
            Err(StoreError::InUse(path)) => assert_eq!(path, dir.path()),
            Err(other) => panic!("expected InUse, got {other}"),
            Ok(_) => panic!("two opens of one directory"),
        }
    }

    /// Issue 9, defect 9(a): an empty `snap.*.generating` (a start on a full
    /// disk) made every later start fail with "Read corrupted data".
    #[test]
    fn an_incomplete_snapshot_left_by_a_full_disk_does_not_stop_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = SledBackend::open(dir.path()).unwrap();
            db.transact(&mut |tx| tx.put(TreeId::Meta, b"kept", b"yes"))
                .unwrap();
            db.sync().unwrap();
        }
        let leftover = dir.path().join("snap.FFFFFFFFFFFFFFFF.generating");
        std::fs::write(&leftover, b"").unwrap();
        let raw = sled::Config::new().path(dir.path()).open();
        assert!(raw.is_err(), "sled alone refuses this directory");
        drop(raw);
        std::fs::write(&leftover, b"").unwrap();
        let db = SledBackend::open(dir.path()).unwrap();
        assert_eq!(
            db.get(TreeId::Meta, b"kept").unwrap().as_deref(),
            Some(&b"yes"[..])
        );
        assert!(!leftover.exists());
    }

    #[test]
    fn only_a_snapshot_whose_checksum_verifies_is_complete() {
        let body = b"snapshot bytes".to_vec();
        let mut file = body.clone();
        file.extend_from_slice(&(body.len() as u64).to_le_bytes());
        file.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        assert!(snapshot_verifies(&file));
        let mut torn = file.clone();
        torn.truncate(file.len() - 1);
        assert!(!snapshot_verifies(&torn));
        assert!(!snapshot_verifies(b""));
    }
}
