//! The on-disk compile cache: a plugin compiled once is kept as a wasmtime
//! artifact (`.cwasm`) under `<data>/cache/`, so a restart or a reload of an
//! unchanged plugin deserializes it in milliseconds instead of recompiling
//! it (hundreds of milliseconds to seconds per plugin).
//!
//! Entries are content-addressed: the file name is the SHA-256 of the
//! plugin's bytes and of wasmtime's compatibility hash (wasmtime version,
//! engine configuration, target), so a changed plugin or an upgraded host
//! simply misses and compiles. Stale entries are never read; they can be
//! deleted at any time (`rm -r <data>/cache`).
//!
//! This is the only module allowed `unsafe`: deserializing a precompiled
//! component trusts its bytes to be wasmtime's own output.
#![allow(unsafe_code)]

use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Suffix of cached artifacts.
const EXTENSION: &str = "cwasm";

/// Where compiled components are kept, and how they are named.
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: PathBuf,
}

/// How a component was obtained, for the load log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compiled {
    /// Read from the cache.
    CacheHit,
    /// Compiled now (and written to the cache when there is one).
    Compiled,
}

impl Compiled {
    /// `cache-hit` or `compiled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Compiled::CacheHit => "cache-hit",
            Compiled::Compiled => "compiled",
        }
    }
}

/// Feeds `Hash` output into SHA-256, so that wasmtime's compatibility hash
/// gives the same key from one run to the next (std's `DefaultHasher` is not
/// stable across Rust releases).
struct ShaHasher(Sha256);

impl std::hash::Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        // Only `write` is used; the digest is read from the inner state.
        0
    }
}

impl CompileCache {
    /// A cache in `dir` (created on first write).
    pub(crate) fn new(dir: PathBuf) -> CompileCache {
        CompileCache { dir }
    }

    /// The file holding `plugin` compiled by `engine`.
    pub(crate) fn path_for(&self, engine: &Engine, plugin: &[u8]) -> PathBuf {
        use std::hash::Hash as _;
        let mut hasher = ShaHasher(Sha256::new());
        hasher.0.update(Sha256::digest(plugin));
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let key = hex::encode(hasher.0.finalize());
        self.dir.join(format!("{key}.{EXTENSION}"))
    }

    /// The component for `plugin`: from the cache when present and valid,
    /// else compiled and stored. A cache that cannot be written (read-only
    /// disk, full disk) only costs a compile; it is logged, not fatal.
    pub(crate) fn component(
        &self,
        engine: &Engine,
        plugin: &[u8],
    ) -> wasmtime::Result<(Component, Compiled)> {
        let path = self.path_for(engine, plugin);
        if path.exists() {
            match deserialize_own_artifact(engine, &path) {
                Ok(component) => return Ok((component, Compiled::CacheHit)),
                Err(e) => {
                    // Truncated by a crash before rename cannot happen (we
                    // rename whole files), but a disk fault can: recompile.
                    tracing::warn!(path = %path.display(), "compile cache entry unusable, recompiling: {e:#}");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let artifact = engine.precompile_component(plugin)?;
        match write_atomically(&self.dir, &path, &artifact) {
            Ok(()) => {
                let component = deserialize_own_artifact(engine, &path)?;
                Ok((component, Compiled::Compiled))
            }
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), "cannot write the compile cache ({e}); compiling without it");
                Ok((Component::new(engine, plugin)?, Compiled::Compiled))
            }
        }
    }
}

/// Writes `bytes` to `path` so that a reader sees either nothing or the
/// whole file: temp file in the same directory, fsync, rename, fsync of
/// the directory.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| std::io::Error::other(e.to_string()))?;
    let tmp = dir.join(format!(".tmp-{}", hex::encode(suffix)));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Loads a compiled component written by [`CompileCache::component`].
///
/// The one `unsafe` call of Portico.
fn deserialize_own_artifact(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the file be an artifact produced by
    // `Engine::precompile_component` (its machine code is run as is). It is:
    // the file lives in this deployment's own data directory (which only
    // Portico writes), it was written by `write_atomically` above from
    // `precompile_component`'s output (temp + fsync + rename, so it is never
    // seen half-written), and its name is the SHA-256 of the plugin bytes and
    // of this engine's compatibility hash, so it is the artifact for exactly
    // this plugin and this engine. wasmtime still checks the header, version
    // and engine settings and refuses a mismatch with an error.
    unsafe { Component::deserialize_file(engine, path) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        Engine::new(&config).unwrap()
    }

    #[test]
    fn a_second_load_is_a_cache_hit_and_a_changed_plugin_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::new(dir.path().join("cache"));
        let engine = engine();
        let a = wat::parse_str("(component)").unwrap();
        let b = wat::parse_str("(component (core module))").unwrap();
        assert_eq!(cache.component(&engine, &a).unwrap().1, Compiled::Compiled);
        assert_eq!(cache.component(&engine, &a).unwrap().1, Compiled::CacheHit);
        assert_eq!(cache.component(&engine, &b).unwrap().1, Compiled::Compiled);
        assert_ne!(cache.path_for(&engine, &a), cache.path_for(&engine, &b));
        let entries = std::fs::read_dir(dir.path().join("cache")).unwrap().count();
        assert_eq!(entries, 2, "one artifact per plugin, no temp files left");
    }

    #[test]
    fn a_damaged_entry_is_replaced_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::new(dir.path().to_path_buf());
        let engine = engine();
        let a = wat::parse_str("(component)").unwrap();
        std::fs::write(cache.path_for(&engine, &a), b"garbage").unwrap();
        assert_eq!(cache.component(&engine, &a).unwrap().1, Compiled::Compiled);
        assert_eq!(cache.component(&engine, &a).unwrap().1, Compiled::CacheHit);
    }
}
