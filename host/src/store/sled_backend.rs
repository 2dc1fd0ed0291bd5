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
use std::sync::{Mutex, PoisonError};

use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};

use super::StoreError;
use super::backend::{Backend, Entry, TreeId, Tx};

/// sled's page cache. Its default (1 GiB) assumes a dedicated database
/// server; Portico shares the machine with wasmtime, so keep it modest.
const SLED_CACHE_BYTES: u64 = 128 * 1024 * 1024;

/// A sled database with one sled tree per [`TreeId`].
pub(crate) struct SledBackend {
    db: sled::Db,
    /// Indexed by [`TreeId::index`].
    trees: Vec<sled::Tree>,
    dir: PathBuf,
    /// sled's blob files are written once and never modified, so each needs
    /// one fsync; this remembers which ones had it.
    synced_blobs: Mutex<HashSet<OsString>>,
}

fn backend_err(e: sled::Error) -> StoreError {
    StoreError::Backend(format!("sled: {e}"))
}

/// fsyncs a file or directory (on Linux a directory opened read-only can be
/// fsynced, which makes its entries — creations, renames — durable).
pub(crate) fn fsync_path(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

impl SledBackend {
    /// Opens (creating if needed) the sled database in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<SledBackend, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(SLED_CACHE_BYTES)
            .open()
            .map_err(backend_err)?;
        let trees = TreeId::ALL
            .iter()
            .map(|t| db.open_tree(t.name()).map_err(backend_err))
            .collect::<Result<Vec<_>, _>>()?;
        let backend = SledBackend {
            db,
            trees,
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

    fn tree(&self, tree: TreeId) -> &sled::Tree {
        &self.trees[tree.index()]
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
        Ok(self
            .tree(tree)
            .get(key)
            .map_err(backend_err)?
            .map(|v| v.to_vec()))
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
        let iter = match after {
            Some(after) if after >= prefix => self
                .tree(tree)
                .range::<&[u8], _>((Bound::Excluded(after), Bound::Unbounded)),
            _ => self.tree(tree).range::<&[u8], _>(prefix..),
        };
        for item in iter {
            let (k, v) = item.map_err(backend_err)?;
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
        // sled wants an `Fn` (it may re-run it); the RefCell lends our FnMut.
        let body = RefCell::new(body);
        let result = sled::Transactional::<StoreError>::transaction(
            self.trees.as_slice(),
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
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(backend_err(e)),
        }
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(backend_err)?;
        // flush() only did sync_file_range: fsync the log itself…
        fsync_path(&self.dir.join("db"))?;
        // …the large values sled keeps outside it…
        self.sync_sled_blobs()?;
        // …and the directory (sled creates snapshot files and `blobs/`).
        fsync_path(&self.dir)?;
        Ok(())
    }
}
