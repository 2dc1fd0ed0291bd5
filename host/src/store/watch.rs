//! What a request read, and whether any of it has changed since: the
//! store's side of the page cache (`web/page_cache.rs`).
//!
//! Every key and scan prefix falls in a *slot*: a counter among
//! [`SLOTS`], chosen by hashing the tree and a scope: the whole key for a
//! read of one key; for a scan, the first one or two length-prefixed
//! components of its prefix (a structure, a user, an area's namespace), or
//! the whole tree when the prefix has none (see [`Scopes`]). A read
//! made while a [`ReadSet`] is recording (a task-local, so only the
//! request's own reads count) notes each slot it touches with the slot's
//! counter *before* the read. A committed transaction bumps the slots of
//! every key it wrote, at each depth and for the whole tree, *after* the
//! commit. So a read set whose counters all still hold saw no write that
//! happened since, whatever the writer (a page, a delivery, a timer, an
//! operator command in the same process). Two scopes sharing a slot only
//! make a cached page be built again; they cannot make a stale one served.
//!
//! Only sled is watched: it is one process's store, so every write passes
//! here. On PostgreSQL other hosts write too, and the cache is off.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::StoreError;
use super::backend::{Backend, Entry, TreeId, Tx};
use super::keys::split_part;

/// Counters: a power of two. 64 Ki slots are 512 KiB; with a page reading
/// ~20 slots, a write makes an unrelated page be rebuilt once in ~3,000.
pub const SLOTS: usize = 1 << 16;

/// The change counters every write bumps and every read notes.
pub struct Generations {
    slots: Box<[AtomicU64]>,
}

impl Default for Generations {
    fn default() -> Self {
        Generations {
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Generations {
    fn current(&self, slot: u32) -> u64 {
        self.slots[slot as usize].load(Ordering::Acquire)
    }

    fn bump(&self, slot: u32) {
        self.slots[slot as usize].fetch_add(1, Ordering::AcqRel);
    }

    /// Whether nothing `reads` saw has been written since.
    pub fn unchanged(&self, reads: &ReadSet) -> bool {
        reads.seen.iter().all(|&(slot, g)| self.current(slot) == g)
    }
}

/// The slots of a key or scan prefix: the key itself, its first
/// component, its first two components, the whole tree.
struct Scopes;

impl Scopes {
    fn slot(tree: TreeId, depth: u8, bytes: &[u8]) -> u32 {
        // A fixed-key SipHash: the same slot in every process run is not
        // needed, but a collision costs only a rebuild either way.
        let mut h = std::hash::DefaultHasher::new();
        (tree.index() as u8, depth).hash(&mut h);
        bytes.hash(&mut h);
        (h.finish() as usize & (SLOTS - 1)) as u32
    }

    /// The bytes of the first `n` components of `key`, if it has them.
    fn prefix(key: &[u8], n: usize) -> Option<&[u8]> {
        let mut rest = key;
        for _ in 0..n {
            rest = split_part(rest)?.1;
        }
        Some(&key[..key.len() - rest.len()])
    }

    /// The one slot a read of `key` depends on: the key's own.
    fn of_key(tree: TreeId, key: &[u8]) -> u32 {
        Scopes::slot(tree, 0xff, key)
    }

    /// The one slot a scan of `prefix` depends on. Every key the scan can
    /// return starts with `prefix`, so shares its components: a write to
    /// any of them bumps this slot.
    fn of_scan(tree: TreeId, prefix: &[u8]) -> u32 {
        match (Scopes::prefix(prefix, 2), Scopes::prefix(prefix, 1)) {
            (Some(two), _) => Scopes::slot(tree, 2, two),
            (None, Some(one)) => Scopes::slot(tree, 1, one),
            (None, None) => Scopes::slot(tree, 0, b""),
        }
    }

    /// Every slot a write of `key` changes.
    fn of_write(tree: TreeId, key: &[u8], out: &mut Vec<u32>) {
        out.push(Scopes::slot(tree, 0, b""));
        if let Some(one) = Scopes::prefix(key, 1) {
            out.push(Scopes::slot(tree, 1, one));
        }
        if let Some(two) = Scopes::prefix(key, 2) {
            out.push(Scopes::slot(tree, 2, two));
        }
        out.push(Scopes::slot(tree, 0xff, key));
    }
}

/// What one request read (slot, counter before the read), and whether it
/// wrote anything itself.
#[derive(Debug, Default, Clone)]
pub struct ReadSet {
    seen: Vec<(u32, u64)>,
    wrote: bool,
}

impl ReadSet {
    /// Whether the request committed a write of its own (then its answer
    /// is not a pure read, and replaying it would skip the write).
    pub fn wrote(&self) -> bool {
        self.wrote
    }

    /// Slots noted (after [`ReadSet::finish`]: distinct).
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing was read.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Sorted and without repeats: what the cache keeps.
    pub fn finish(mut self) -> ReadSet {
        self.seen.sort_unstable();
        self.seen.dedup();
        self.seen.shrink_to_fit();
        self
    }
}

tokio::task_local! {
    static RECORDING: RefCell<ReadSet>;
}

/// Runs `fut` noting every store read and write it makes on its own task.
/// Reads made on other threads (`spawn_blocking`) are not seen: the page
/// path reads on its task; writes anywhere bump the counters regardless.
pub async fn recording<F: std::future::Future>(fut: F) -> (F::Output, ReadSet) {
    RECORDING
        .scope(RefCell::new(ReadSet::default()), async move {
            let out = fut.await;
            let reads = RECORDING.with(|r| std::mem::take(&mut *r.borrow_mut()));
            (out, reads)
        })
        .await
}

/// Marks the request being recorded (if any) as one that wrote: a call's
/// commit runs on another thread, so it says so from the request's task.
pub fn note_write() {
    let _ = RECORDING.try_with(|r| r.borrow_mut().wrote = true);
}

fn note_read(gens: &Generations, slot: u32) {
    let _ = RECORDING.try_with(|r| r.borrow_mut().seen.push((slot, gens.current(slot))));
}

/// A backend whose reads are noted and whose writes bump the counters.
pub(super) struct Watched {
    inner: Box<dyn Backend>,
    gens: Arc<Generations>,
}

impl Watched {
    pub(super) fn new(inner: Box<dyn Backend>, gens: Arc<Generations>) -> Watched {
        Watched { inner, gens }
    }
}

impl Backend for Watched {
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        note_read(&self.gens, Scopes::of_key(tree, key));
        self.inner.get(tree, key)
    }

    fn scan(
        &self,
        tree: TreeId,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        note_read(&self.gens, Scopes::of_scan(tree, prefix));
        self.inner.scan(tree, prefix, after, limit)
    }

    fn transact(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut written = Vec::new();
        let result = self.inner.transact(&mut |tx| {
            // A retried body starts over: only its last run's writes count.
            written.clear();
            body(&mut WatchedTx {
                tx,
                gens: &self.gens,
                written: &mut written,
            })
        });
        // After the commit (or the abort: bumping for nothing only costs a
        // rebuild), so a reader that noted the old counter also read the
        // old value or sees the new counter.
        if !written.is_empty() {
            written.sort_unstable();
            written.dedup();
            for slot in written {
                self.gens.bump(slot);
            }
            note_write();
        }
        result
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.inner.sync()
    }

    fn health(&self) -> Result<(), StoreError> {
        self.inner.health()
    }
}

struct WatchedTx<'a> {
    tx: &'a mut dyn Tx,
    gens: &'a Generations,
    written: &'a mut Vec<u32>,
}

impl Tx for WatchedTx<'_> {
    fn get(&mut self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        note_read(self.gens, Scopes::of_key(tree, key));
        self.tx.get(tree, key)
    }

    fn put(&mut self, tree: TreeId, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        Scopes::of_write(tree, key, self.written);
        self.tx.put(tree, key, value)
    }

    fn delete(&mut self, tree: TreeId, key: &[u8]) -> Result<bool, StoreError> {
        Scopes::of_write(tree, key, self.written);
        self.tx.delete(tree, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keys::KeyBuf;

    fn writes(tree: TreeId, key: &[u8]) -> Vec<u32> {
        let mut out = Vec::new();
        Scopes::of_write(tree, key, &mut out);
        out
    }

    #[test]
    fn a_write_bumps_the_slot_of_every_read_and_scan_that_can_see_it() {
        let structure = KeyBuf::new().part(b"73282932000074");
        let area = structure.part(b"homepage");
        let key = KeyBuf::new()
            .part(b"73282932000074")
            .part(b"homepage")
            .raw(b"late")
            .finish();
        let written = writes(TreeId::Facts, &key);
        // A point read of the key, a scan of its structure, of its area,
        // of the whole tree: each depends on a slot the write bumps.
        assert!(written.contains(&Scopes::of_key(TreeId::Facts, &key)));
        let by_structure = KeyBuf::new().part(b"73282932000074").finish();
        assert!(written.contains(&Scopes::of_scan(TreeId::Facts, &by_structure)));
        assert!(written.contains(&Scopes::of_scan(TreeId::Facts, &area.finish())));
        assert!(written.contains(&Scopes::of_scan(TreeId::Facts, b"")));
        // A scan by a partial first component cannot narrow: the tree.
        assert!(written.contains(&Scopes::of_scan(TreeId::Facts, &by_structure[..5])));
        // A raw key (a session hash) is its own scope.
        let raw = [7u8; 32];
        assert!(writes(TreeId::Sessions, &raw).contains(&Scopes::of_key(TreeId::Sessions, &raw)));
    }

    #[test]
    fn another_structure_or_tree_is_another_slot() {
        let a = KeyBuf::new().part(b"73282932000074").finish();
        let b = KeyBuf::new().part(b"35600000000048").finish();
        assert_ne!(
            Scopes::of_scan(TreeId::Facts, &a),
            Scopes::of_scan(TreeId::Facts, &b)
        );
        assert_ne!(
            Scopes::of_scan(TreeId::Facts, &a),
            Scopes::of_scan(TreeId::Installs, &a)
        );
    }

    #[tokio::test]
    async fn a_read_set_holds_until_a_write_it_could_see() {
        let gens = Arc::new(Generations::default());
        let dir = tempfile::tempdir().unwrap();
        let sled = super::super::sled_backend::SledBackend::open(&dir.path().join("db")).unwrap();
        let backend = Watched::new(Box::new(sled), gens.clone());
        let mine = KeyBuf::new().part(b"mine").raw(b"k").finish();
        let other = KeyBuf::new().part(b"other").raw(b"k").finish();
        let ((), reads) = recording(async {
            backend.get(TreeId::Kv, &mine).unwrap();
        })
        .await;
        let reads = reads.finish();
        assert!(!reads.wrote() && reads.len() == 1);
        // Someone else's namespace changes: the read still holds.
        backend
            .transact(&mut |tx| tx.put(TreeId::Kv, &other, b"1"))
            .unwrap();
        assert!(gens.unchanged(&reads));
        // Its own key changes: it no longer does.
        backend
            .transact(&mut |tx| tx.put(TreeId::Kv, &mine, b"1"))
            .unwrap();
        assert!(!gens.unchanged(&reads));
        // A request that writes says so.
        let ((), reads) = recording(async {
            backend
                .transact(&mut |tx| tx.delete(TreeId::Kv, &mine).map(|_| ()))
                .unwrap();
        })
        .await;
        assert!(reads.wrote());
    }
}
