//! Large values: where values over [`INLINE_LIMIT`] live, and the tagged
//! encoding that says whether a stored value is inline or a reference.
//!
//! Two homes ([`LargeValues`]):
//! - on sled, a content-addressed file store: files at `<data>/files/ab/cdef…`
//!   (the sha256 in hex, split after two characters so no directory grows
//!   huge), written and fsynced *before* the transaction that references
//!   them, so a reference never dangles;
//! - on PostgreSQL, rows of their own table (`TreeId::LargeValues`, sha256 →
//!   bytes, `bytea` that PostgreSQL TOASTs out of line), written *in* the
//!   transaction of the record that references them ([`Encoded::put_row`]):
//!   every host sees them, a backup of the database holds them, and an
//!   aborted transaction leaves nothing behind.
//!
//! Identical values share one file (one row).
//!
//! Not done yet: garbage collection. A file whose last reference is deleted
//! or overwritten stays on disk, as do temp files of a writer that crashed
//! mid-write (`.tmp-*`). A collector must scan every tagged value (kv, facts)
//! and remove unreferenced files older than the oldest running write.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::StoreError;
use super::backend::{Backend, TreeId, Tx};
use super::sled_backend::fsync_path;

/// Values longer than this go to the file store and only their hash to sled.
/// sled 0.34 puts any log record over ~128 KiB (a quarter of its 512 KiB
/// segment) into its own blob files, and rewrites whole pages on update: big
/// values inline would bloat its log and its page rewrites. 100 KiB leaves
/// room for the key and record headers under that threshold.
pub const INLINE_LIMIT: usize = 100 * 1024;

const TAG_INLINE: u8 = 0;
const TAG_FILE: u8 = 1;

/// A value stored in the file store: its sha256 and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileRef {
    hash: [u8; 32],
    len: u64,
}

impl FileRef {
    fn of(bytes: &[u8]) -> FileRef {
        FileRef {
            hash: Sha256::digest(bytes).into(),
            len: bytes.len() as u64,
        }
    }
}

/// A value as sled holds it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stored<'a> {
    /// The bytes themselves.
    Inline(&'a [u8]),
    /// A reference into the file store.
    File(FileRef),
}

impl Stored<'_> {
    /// Decodes a tagged value read from the backend.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Stored<'_>, StoreError> {
        match bytes.split_first() {
            Some((&TAG_INLINE, rest)) => Ok(Stored::Inline(rest)),
            Some((&TAG_FILE, rest)) => {
                let (hash, rest) = rest
                    .split_first_chunk::<32>()
                    .ok_or_else(|| StoreError::Corrupt("file reference too short".into()))?;
                let len: [u8; 8] = rest.try_into().map_err(|_| {
                    StoreError::Corrupt(format!("file reference of {} bytes", bytes.len()))
                })?;
                Ok(Stored::File(FileRef {
                    hash: *hash,
                    len: u64::from_be_bytes(len),
                }))
            }
            Some((tag, _)) => Err(StoreError::Corrupt(format!("unknown value tag {tag}"))),
            None => Err(StoreError::Corrupt("empty stored value".into())),
        }
    }

    /// The length of the value (not of its encoding): what quotas count.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Stored::Inline(b) => b.len() as u64,
            Stored::File(r) => r.len,
        }
    }

    /// Whether this is the stored form of `value`, without reading the file.
    pub(crate) fn holds(&self, value: &[u8]) -> bool {
        match self {
            Stored::Inline(b) => *b == value,
            Stored::File(r) => *r == FileRef::of(value),
        }
    }
}

fn encode_inline(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 1);
    out.push(TAG_INLINE);
    out.extend_from_slice(value);
    out
}

fn encode_file(r: FileRef) -> Vec<u8> {
    let mut out = Vec::with_capacity(41);
    out.push(TAG_FILE);
    out.extend_from_slice(&r.hash);
    out.extend_from_slice(&r.len.to_be_bytes());
    out
}

/// Where large values live (see the module's doc).
pub(crate) enum LargeValues {
    /// Files beside the sled database.
    Files(FileStore),
    /// Rows of the backend's `TreeId::LargeValues` tree.
    Table,
}

/// A value encoded for the backend: the bytes to store under its key, and,
/// for a large value kept in the table, the row that must be written in the
/// same transaction ([`Encoded::put_row`]).
#[derive(Debug)]
pub(crate) struct Encoded {
    stored: Vec<u8>,
    row: Option<(FileRef, Vec<u8>)>,
}

impl Encoded {
    /// The tagged bytes to store under the record's key.
    pub(crate) fn stored(&self) -> &[u8] {
        &self.stored
    }

    /// Writes the large value's row, if it has one, in the transaction that
    /// stores the reference. Call it in every transaction that stores
    /// [`Encoded::stored`].
    pub(crate) fn put_row(&self, tx: &mut dyn Tx) -> Result<(), StoreError> {
        match &self.row {
            Some((r, bytes)) => tx.put(TreeId::LargeValues, &r.hash, bytes),
            None => Ok(()),
        }
    }
}

impl LargeValues {
    /// Encodes `value` for the backend: inline, or a reference to its file
    /// (written durably now) or to its row (written by [`Encoded::put_row`]).
    pub(crate) fn encode(&self, value: &[u8]) -> Result<Encoded, StoreError> {
        match self {
            LargeValues::Files(files) => Ok(Encoded {
                stored: files.encode(value)?,
                row: None,
            }),
            LargeValues::Table if value.len() <= INLINE_LIMIT => Ok(Encoded {
                stored: encode_inline(value),
                row: None,
            }),
            LargeValues::Table => {
                let r = FileRef::of(value);
                Ok(Encoded {
                    stored: encode_file(r),
                    row: Some((r, value.to_vec())),
                })
            }
        }
    }

    /// The value a tagged encoding stands for, reading (and verifying) its
    /// file or row if it is a reference.
    pub(crate) fn decode(
        &self,
        backend: &dyn Backend,
        stored: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        match self {
            LargeValues::Files(files) => files.decode(stored),
            LargeValues::Table => match Stored::decode(stored)? {
                Stored::Inline(b) => Ok(b.to_vec()),
                Stored::File(r) => {
                    let bytes = backend.get(TreeId::LargeValues, &r.hash)?.ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "large value {} is missing from its table",
                            hex::encode(r.hash)
                        ))
                    })?;
                    if FileRef::of(&bytes) != r {
                        return Err(StoreError::Corrupt(format!(
                            "large value {} does not match its hash",
                            hex::encode(r.hash)
                        )));
                    }
                    Ok(bytes)
                }
            },
        }
    }
}

/// The content-addressed file store.
pub(crate) struct FileStore {
    root: PathBuf,
}

impl FileStore {
    /// Opens (creating if needed) the store rooted at `root`.
    pub(crate) fn open(root: &Path) -> Result<FileStore, StoreError> {
        fs::create_dir_all(root)?;
        fsync_path(root)?;
        if let Some(parent) = root.parent() {
            fsync_path(parent)?;
        }
        Ok(FileStore {
            root: root.to_path_buf(),
        })
    }

    fn path_of(&self, r: &FileRef) -> (PathBuf, PathBuf) {
        let hex = hex::encode(r.hash);
        let dir = self.root.join(&hex[..2]);
        let file = dir.join(&hex[2..]);
        (dir, file)
    }

    /// Encodes `value` for the backend, first writing it durably to a file if
    /// it is over [`INLINE_LIMIT`]. The file is on stable storage before the
    /// caller can store a reference to it, so a reference never dangles.
    pub(crate) fn encode(&self, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        if value.len() <= INLINE_LIMIT {
            return Ok(encode_inline(value));
        }
        let r = FileRef::of(value);
        let (dir, file) = self.path_of(&r);
        if !file.exists() {
            match fs::create_dir(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e.into()),
            }
            let mut nonce = [0u8; 8];
            getrandom::fill(&mut nonce)
                .map_err(|e| StoreError::Backend(format!("no randomness for a temp name: {e}")))?;
            let tmp = dir.join(format!(".tmp-{}", hex::encode(nonce)));
            let written = (|| {
                let mut f = File::create(&tmp)?;
                f.write_all(value)?;
                f.sync_all()?;
                fs::rename(&tmp, &file)
            })();
            if let Err(e) = written {
                let _ = fs::remove_file(&tmp);
                return Err(e.into());
            }
        }
        // Also when the file already existed: a concurrent writer of the same
        // value may not have fsynced the directories yet.
        fsync_path(&dir)?;
        fsync_path(&self.root)?;
        Ok(encode_file(r))
    }

    /// The value a tagged encoding stands for, reading (and verifying) the
    /// file if it is a reference.
    pub(crate) fn decode(&self, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
        match Stored::decode(stored)? {
            Stored::Inline(b) => Ok(b.to_vec()),
            Stored::File(r) => {
                let (_, file) = self.path_of(&r);
                let bytes = fs::read(&file).map_err(|e| {
                    StoreError::Corrupt(format!("value file {}: {e}", file.display()))
                })?;
                if FileRef::of(&bytes) != r {
                    return Err(StoreError::Corrupt(format!(
                        "value file {} does not match its hash",
                        file.display()
                    )));
                }
                Ok(bytes)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_stay_inline_large_ones_go_to_one_shared_file() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::open(&dir.path().join("files")).unwrap();
        let small = vec![7u8; INLINE_LIMIT];
        let enc = files.encode(&small).unwrap();
        assert!(matches!(Stored::decode(&enc).unwrap(), Stored::Inline(_)));
        assert_eq!(files.decode(&enc).unwrap(), small);

        let big = vec![9u8; INLINE_LIMIT + 1];
        let enc = files.encode(&big).unwrap();
        assert_eq!(enc.len(), 41, "only the reference is stored");
        let stored = Stored::decode(&enc).unwrap();
        assert_eq!(stored.len(), big.len() as u64);
        assert!(stored.holds(&big) && !stored.holds(&small));
        assert_eq!(files.decode(&enc).unwrap(), big);
        assert_eq!(
            files.encode(&big).unwrap(),
            enc,
            "same content, same reference"
        );

        let count = walk(&dir.path().join("files"));
        assert_eq!(count, 1, "deduplicated, no temp file left");
    }

    #[test]
    fn a_damaged_file_reads_as_corrupt_not_as_data() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::open(dir.path()).unwrap();
        let big = vec![1u8; INLINE_LIMIT * 2];
        let enc = files.encode(&big).unwrap();
        let Stored::File(r) = Stored::decode(&enc).unwrap() else {
            panic!("not a file")
        };
        let (_, path) = files.path_of(&r);
        fs::write(&path, b"tampered").unwrap();
        assert!(matches!(files.decode(&enc), Err(StoreError::Corrupt(_))));
        fs::remove_file(&path).unwrap();
        assert!(matches!(files.decode(&enc), Err(StoreError::Corrupt(_))));
        assert!(matches!(
            Stored::decode(&[TAG_FILE, 1, 2]),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(Stored::decode(&[]), Err(StoreError::Corrupt(_))));
        assert!(matches!(Stored::decode(&[42]), Err(StoreError::Corrupt(_))));
    }

    fn walk(dir: &Path) -> usize {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    }
}
