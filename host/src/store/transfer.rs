//! Moving a portal between stores (`portico export` / `portico import`):
//! every record of every tree, and the large values kept outside the trees,
//! through one file, checked by counting and hashing both sides.
//!
//! Backend-neutral: it reads and writes only through [`super::Backend`] and
//! the file store, so it moves sled → PostgreSQL, PostgreSQL → sled, or
//! sled → sled alike.
//!
//! Not moved: the live state of running hosts (heartbeats, delivery leases),
//! which describes the old deployment's processes, not the portal.
//!
//! The file: a header line, then framed records (`T` tree name, `R` key and
//! value, `F` a large value's bytes), then `E` and the [`Summary`] as JSON.
//! Each tree's hash is SHA-256 over its records in key order (each key and
//! value prefixed with its length), so the same data hashes the same in any
//! backend; large values are hashed by content, in hash order.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::backend::TreeId;
use super::blobs::Stored;
use super::{Result, Store, StoreError};

/// The file's first line.
const MAGIC: &[u8] = b"PORTICO-EXPORT 1\n";

/// Records written per import transaction.
const IMPORT_BATCH: usize = 500;

/// Trees that hold the state of running hosts, not of the portal.
/// `LargeValues` is PostgreSQL's home of large values: they travel as large
/// values (each once, by hash), not as that tree's records.
const NOT_MOVED: [TreeId; 3] = [TreeId::Hosts, TreeId::Leases, TreeId::LargeValues];

/// Trees whose values are tagged (inline or a reference to a large value).
const TAGGED: [TreeId; 3] = [TreeId::Kv, TreeId::Facts, TreeId::DataFlowFiles];

/// Records a portal has before anything was written to it (the store's
/// own format marker and health probe) do not make it "not empty".
const FRESH_META: [&[u8]; 2] = [b"format", b"health-probe"];

/// Counts and hashes of a store's contents (or of an export file's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Summary {
    /// Tree name → (records, SHA-256 hex).
    pub trees: BTreeMap<String, (u64, String)>,
    /// Large values: how many, their total bytes, SHA-256 hex of their hashes.
    pub files: (u64, u64, String),
}

impl Summary {
    /// Every record counted.
    pub fn records(&self) -> u64 {
        self.trees.values().map(|(n, _)| n).sum()
    }

    /// A table for the terminal: one line per tree, then the large values.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (tree, (n, hash)) in &self.trees {
            out.push_str(&format!("  {tree:<24} {n:>10}  {}\n", &hash[..16]));
        }
        let (n, bytes, hash) = &self.files;
        out.push_str(&format!(
            "  {:<24} {n:>10}  {}  ({bytes} bytes)\n",
            "(large values)",
            &hash[..16]
        ));
        out
    }

    /// Lines where `self` and `other` differ, in words.
    pub fn differences(&self, other: &Summary) -> Vec<String> {
        let mut out = Vec::new();
        let names: BTreeSet<&String> = self.trees.keys().chain(other.trees.keys()).collect();
        for name in names {
            let (a, b) = (self.trees.get(name), other.trees.get(name));
            if a != b {
                let show = |x: Option<&(u64, String)>| {
                    x.map_or("absent".into(), |(n, h)| {
                        format!("{n} records, {}", &h[..16])
                    })
                };
                out.push(format!("{name}: {} here, {} there", show(a), show(b)));
            }
        }
        if self.files != other.files {
            out.push(format!(
                "large values: {} ({} bytes) here, {} ({} bytes) there",
                self.files.0, self.files.1, other.files.0, other.files.1
            ));
        }
        out
    }
}

/// Running hash of one tree.
struct TreeHash {
    count: u64,
    hash: Sha256,
}

impl TreeHash {
    fn new() -> TreeHash {
        TreeHash {
            count: 0,
            hash: Sha256::new(),
        }
    }

    fn add(&mut self, key: &[u8], value: &[u8]) {
        self.count += 1;
        self.hash.update((key.len() as u64).to_be_bytes());
        self.hash.update(key);
        self.hash.update((value.len() as u64).to_be_bytes());
        self.hash.update(value);
    }

    fn finish(self) -> (u64, String) {
        (self.count, hex::encode(self.hash.finalize()))
    }
}

/// The files summary from (hash → len) of every large value.
fn files_summary(files: &BTreeMap<[u8; 32], u64>) -> (u64, u64, String) {
    let mut h = Sha256::new();
    for hash in files.keys() {
        h.update(hash);
    }
    (
        files.len() as u64,
        files.values().sum(),
        hex::encode(h.finalize()),
    )
}

fn moved_trees() -> impl Iterator<Item = TreeId> {
    TreeId::ALL.into_iter().filter(|t| !NOT_MOVED.contains(t))
}

fn frame(out: &mut impl Write, tag: u8, parts: &[&[u8]]) -> std::io::Result<()> {
    out.write_all(&[tag])?;
    for p in parts {
        out.write_all(&(p.len() as u64).to_be_bytes())?;
        out.write_all(p)?;
    }
    Ok(())
}

fn read_part(input: &mut impl Read, what: &str) -> Result<Vec<u8>> {
    let mut len = [0u8; 8];
    input.read_exact(&mut len).map_err(|e| truncated(what, e))?;
    let len = u64::from_be_bytes(len);
    // No single value is this large: a damaged length, not a huge record.
    if len > 1 << 36 {
        return Err(StoreError::Invalid(format!(
            "the export file is damaged: a {what} of {len} bytes"
        )));
    }
    let mut buf = vec![0u8; len as usize];
    input.read_exact(&mut buf).map_err(|e| truncated(what, e))?;
    Ok(buf)
}

fn truncated(what: &str, e: std::io::Error) -> StoreError {
    StoreError::Invalid(format!(
        "the export file ends in the middle of a {what} ({e}): it is truncated or damaged; export again"
    ))
}

/// One thing read from an export.
enum Item {
    /// A record of a tree.
    Record(TreeId, Vec<u8>, Vec<u8>),
    /// A large value's bytes.
    Large(Vec<u8>),
}

/// Reads an export whole, handing each record and large value to `sink`,
/// and checks it against its trailer; returns the trailer.
fn read_export(
    input: &mut impl BufRead,
    mut sink: impl FnMut(Item) -> Result<()>,
) -> Result<Summary> {
    let mut magic = Vec::with_capacity(MAGIC.len());
    input.take(MAGIC.len() as u64).read_to_end(&mut magic)?;
    if magic != MAGIC {
        return Err(StoreError::Invalid(
            "this is not a Portico export (it does not start with `PORTICO-EXPORT 1`); give the file `portico export --to` wrote".into(),
        ));
    }
    let mut tree: Option<TreeId> = None;
    let mut hashes: BTreeMap<String, TreeHash> = BTreeMap::new();
    let mut files = BTreeMap::new();
    let trailer = loop {
        let mut tag = [0u8; 1];
        input
            .read_exact(&mut tag)
            .map_err(|e| truncated("record", e))?;
        match tag[0] {
            b'T' => {
                let name = read_part(input, "tree name")?;
                let found = moved_trees().find(|t| t.name().as_bytes() == name);
                let Some(found) = found else {
                    return Err(StoreError::Invalid(format!(
                        "the export holds a tree `{}` this build does not know: import it with the Portico version that exported it, or a newer one",
                        String::from_utf8_lossy(&name)
                    )));
                };
                hashes.insert(found.name().to_owned(), TreeHash::new());
                tree = Some(found);
            }
            b'R' => {
                let (k, v) = (read_part(input, "key")?, read_part(input, "value")?);
                let t = tree.ok_or_else(|| {
                    StoreError::Invalid(
                        "the export file is damaged: a record before any tree".into(),
                    )
                })?;
                if let Some(h) = hashes.get_mut(t.name()) {
                    h.add(&k, &v);
                }
                sink(Item::Record(t, k, v))?;
            }
            b'F' => {
                let bytes = read_part(input, "large value")?;
                files.insert(Sha256::digest(&bytes).into(), bytes.len() as u64);
                sink(Item::Large(bytes))?;
            }
            b'E' => {
                let json = read_part(input, "summary")?;
                break serde_json::from_slice::<Summary>(&json).map_err(|e| {
                    StoreError::Invalid(format!("the export file's summary is damaged: {e}"))
                })?;
            }
            other => {
                return Err(StoreError::Invalid(format!(
                    "the export file is damaged: unexpected byte {other:#04x} where a record starts"
                )));
            }
        }
    };
    let read = Summary {
        trees: hashes.into_iter().map(|(n, h)| (n, h.finish())).collect(),
        files: files_summary(&files),
    };
    let damaged = read.differences(&trailer);
    if !damaged.is_empty() {
        return Err(StoreError::Invalid(format!(
            "the export file does not match its own summary (damaged in transit?): {}",
            damaged.join("; ")
        )));
    }
    Ok(trailer)
}

impl Store {
    /// The large value a tagged value refers to, with its hash, if any.
    fn large_value(&self, stored: &[u8]) -> Result<Option<([u8; 32], Vec<u8>)>> {
        match Stored::decode(stored)? {
            Stored::Inline(_) => Ok(None),
            Stored::File(_) => {
                let bytes = self.large_decode(stored)?;
                Ok(Some((Sha256::digest(&bytes).into(), bytes)))
            }
        }
    }

    /// Counts and hashes every moved record and every large value, reading
    /// each large value back (a missing or damaged one is an error).
    pub fn summary(&self) -> Result<Summary> {
        let mut out = Summary::default();
        let mut files = BTreeMap::new();
        for tree in moved_trees() {
            let mut h = TreeHash::new();
            self.walk(tree, b"", |(k, v)| {
                h.add(k, v);
                if TAGGED.contains(&tree)
                    && let Some((hash, bytes)) = self.large_value(v)?
                {
                    files.insert(hash, bytes.len() as u64);
                }
                Ok(())
            })?;
            out.trees.insert(tree.name().to_owned(), h.finish());
        }
        out.files = files_summary(&files);
        Ok(out)
    }

    /// Whether the store holds nothing of a portal yet.
    pub fn is_empty_portal(&self) -> Result<bool> {
        for tree in moved_trees() {
            let mut found = false;
            let mut after: Option<Vec<u8>> = None;
            loop {
                let page = self.backend().scan(tree, b"", after.as_deref(), 16)?;
                if page
                    .iter()
                    .any(|(k, _)| tree != TreeId::Meta || !FRESH_META.contains(&k.as_slice()))
                {
                    found = true;
                    break;
                }
                if page.len() < 16 {
                    break;
                }
                after = page.last().map(|(k, _)| k.clone());
            }
            if found {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes every record of every moved tree, and each large value once,
    /// to `out`; returns what it wrote (also the file's trailer).
    pub fn export(&self, out: &mut impl Write) -> Result<Summary> {
        out.write_all(MAGIC)?;
        let mut summary = Summary::default();
        let mut files = BTreeMap::new();
        for tree in moved_trees() {
            frame(out, b'T', &[tree.name().as_bytes()])?;
            let mut h = TreeHash::new();
            self.walk(tree, b"", |(k, v)| {
                h.add(k, v);
                if TAGGED.contains(&tree)
                    && let Some((hash, bytes)) = self.large_value(v)?
                    && !files.contains_key(&hash)
                {
                    files.insert(hash, bytes.len() as u64);
                    frame(out, b'F', &[&bytes])?;
                }
                frame(out, b'R', &[k, v])?;
                Ok(())
            })?;
            summary.trees.insert(tree.name().to_owned(), h.finish());
        }
        summary.files = files_summary(&files);
        let json = serde_json::to_vec(&summary)
            .map_err(|e| StoreError::Backend(format!("cannot write the summary: {e}")))?;
        frame(out, b'E', &[&json])?;
        out.flush()?;
        Ok(summary)
    }

    /// Reads the export `file` into this store and checks it: first the
    /// whole file against its own trailer (a damaged or truncated file is
    /// refused before anything is written), then, after the import, this
    /// store against the file. Refuses a store that already holds a portal
    /// unless `replace` (which first deletes every record of the moved
    /// trees). Returns the file's summary and this store's, recounted.
    pub fn import(&self, file: &std::path::Path, replace: bool) -> Result<(Summary, Summary)> {
        let open = || -> Result<std::io::BufReader<std::fs::File>> {
            Ok(std::io::BufReader::new(std::fs::File::open(file)?))
        };
        let trailer = read_export(&mut open()?, |_| Ok(()))?;
        if !self.is_empty_portal()? {
            if !replace {
                return Err(StoreError::Conflict(
                    "the destination already holds a portal (users, structures or other records); import into an empty store, or add --replace to delete what it holds first".into(),
                ));
            }
            self.clear_moved_trees()?;
        }
        let mut batch: Vec<(TreeId, Vec<u8>, Vec<u8>)> = Vec::new();
        read_export(&mut open()?, |item| {
            match item {
                Item::Record(t, k, v) => {
                    batch.push((t, k, v));
                    if batch.len() >= IMPORT_BATCH {
                        self.put_all(&batch)?;
                        batch.clear();
                    }
                }
                // Content-addressed: the tagged values refer to it by hash.
                Item::Large(bytes) => {
                    // A file on sled (written now), a row on PostgreSQL.
                    let encoded = self.inner.large.encode(&bytes)?;
                    self.transact(|tx| encoded.put_row(tx))?;
                }
            }
            Ok(())
        })?;
        self.put_all(&batch)?;
        self.durable()?;
        let here = self.summary()?;
        let lost = here.differences(&trailer);
        if !lost.is_empty() {
            return Err(StoreError::Corrupt(format!(
                "after the import this store differs from the export: {}",
                lost.join("; ")
            )));
        }
        Ok((trailer, here))
    }

    fn put_all(&self, batch: &[(TreeId, Vec<u8>, Vec<u8>)]) -> Result<()> {
        self.transact(|tx| {
            for (t, k, v) in batch {
                tx.put(*t, k, v)?;
            }
            Ok(())
        })
    }

    fn clear_moved_trees(&self) -> Result<()> {
        for tree in moved_trees() {
            loop {
                let page = self.backend().scan(tree, b"", None, IMPORT_BATCH)?;
                if page.is_empty() {
                    break;
                }
                self.transact(|tx| {
                    for (k, _) in &page {
                        tx.delete(tree, k)?;
                    }
                    Ok(())
                })?;
            }
        }
        self.durable()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_support::temp_store;
    use crate::store::{INLINE_LIMIT, Namespace};

    #[test]
    fn an_export_imports_whole_and_both_sides_hash_the_same() {
        let (_a, from) = temp_store();
        let ns = Namespace::structure("notes", "73282932000074");
        from.kv_set(&ns, "small", b"v").unwrap();
        let large = vec![7u8; INLINE_LIMIT + 10];
        from.kv_set(&ns, "large", &large).unwrap();
        from.kv_set(&ns, "same-large", &large).unwrap();
        from.limit_update("b", b"k", 0, |_: Option<u32>| (Some((1, u64::MAX)), ()))
            .unwrap();
        let mut bytes = Vec::new();
        let exported = from.export(&mut bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portal.export");
        std::fs::write(&file, &bytes).unwrap();
        assert_eq!(exported.trees["kv"].0, 3);
        assert_eq!(exported.files.0, 1, "a shared large value travels once");
        assert_eq!(exported, from.summary().unwrap());

        let (_b, to) = temp_store();
        let (read, here) = to.import(&file, false).unwrap();
        assert_eq!(read, exported);
        assert_eq!(here, exported);
        assert_eq!(to.kv_get(&ns, "large").unwrap(), Some(large));

        // Not into a portal unless told; with --replace, the old is gone.
        to.kv_set(&ns, "only-here", b"x").unwrap();
        let err = to.import(&file, false).unwrap_err();
        assert!(err.to_string().contains("--replace"), "{err}");
        to.import(&file, true).unwrap();
        assert_eq!(to.kv_get(&ns, "only-here").unwrap(), None);
        assert_eq!(to.summary().unwrap(), exported);
    }

    #[test]
    fn a_damaged_or_truncated_file_is_refused_before_anything_is_written() {
        let (_a, from) = temp_store();
        let ns = Namespace::structure("notes", "73282932000074");
        from.kv_set(&ns, "k", b"value").unwrap();
        let mut bytes = Vec::new();
        from.export(&mut bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portal.export");
        let (_b, to) = temp_store();
        let refused = |bytes: &[u8]| {
            std::fs::write(&file, bytes).unwrap();
            let err = to.import(&file, false).unwrap_err().to_string();
            assert!(to.is_empty_portal().unwrap(), "nothing written for: {err}");
            err
        };
        assert!(refused(&bytes[..bytes.len() - 20]).contains("truncated"));
        let pos = bytes.windows(5).position(|w| w == b"value").unwrap();
        let mut damaged = bytes.clone();
        damaged[pos] = b'V';
        assert!(refused(&damaged).contains("does not match its own summary"));
        assert!(refused(b"hello").contains("not a Portico export"));
    }
}
