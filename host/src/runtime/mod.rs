//! The sandbox: one wasmtime [`Engine`] (pooling allocator, epoch
//! interruption), one pre-linked [`InstancePre`] per area, and a fresh
//! [`Store`] + instance for every call, so no tenant's data survives in
//! memory from one request to the next.
//!
//! Calls are async and run on the caller's own task ([`sandbox::Sandbox::call`]
//! is the one entry every caller uses): WASI is linked async, so a guest
//! that sleeps or polls waits as a future, and the epoch ticker makes a
//! busy guest yield to the executor every tick. The call's deadline is
//! wall-clock time: a `tokio::time::timeout` around the call cancels it
//! wherever the guest is, and the epoch callback traps a guest that never
//! yields past its deadline.

mod bindings;
mod cache;
pub mod clocks;
pub(crate) mod convert;
mod failure;
pub mod host;
mod output;
pub mod sandbox;

pub use cache::Compiled;
pub use failure::AreaFailure;
pub use host::{CallScope, HostCall, Owner};
pub use sandbox::{Answer, Call, CallKind, Sandbox};

use crate::config::{AreaSpec, Capability};
use bindings::types;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasSelf, Linker, types::ComponentItem};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    UpdateDeadline,
};

pub use bindings::guest::{Request as WitRequest, Response as WitResponse};
pub use bindings::types as wit;

/// The `portico:area` version this host implements. Components built against
/// the same major and a minor ≤ ours load (1.0.0 components run unchanged:
/// wasmtime's linker resolves their `@1.0.0` imports to our 1.1.0 ones, and
/// `tests/fixtures/contract-1.0.0` proves it); anything else is refused.
pub const API_VERSION: semver::Version = semver::Version::new(1, 2, 0);

/// How often the epoch ticks. Deadlines are whole ticks, so this is the
/// precision of `timeout-ms`; 10 ms keeps the ticker's cost negligible.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Largest linear memory a pool slot can hold; per-area caps (`memory-mib`)
/// are enforced below it by a store limiter.
pub const POOL_MAX_MEMORY_MIB: usize = 256;

/// Concurrent sandboxed calls the pool is sized for. Every call holds a
/// permit of [`Sandbox`]'s semaphore of this size while it runs.
pub const MAX_CONCURRENT_CALLS: u32 = 32;

/// Concurrent calls one area may run: a quarter of the sandbox, so that an
/// area whose calls are slow (sleeping, looping until their deadline) can
/// never take the slots every other area needs. Calls past it wait for the
/// area's own slots, not for the others'.
pub const MAX_CALLS_PER_AREA: u32 = MAX_CONCURRENT_CALLS / 4;

/// A Rust wasip2 component instantiates a handful of core instances
/// (the module, wit-component shims, the WASI adapter's pieces).
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;

/// Wasm stack per call. Deep recursion traps with "stack overflow" instead
/// of taking the thread down.
const MAX_WASM_STACK: usize = 1 << 20;

/// Bytes of the low memory kept resident and reset in place between
/// instances: measured 3× faster instantiation than madvise'ing everything.
const KEEP_RESIDENT: usize = 2 << 20;

/// First pause before re-running a call whose commit found that a value it
/// read changed meanwhile (optimistic concurrency); it doubles with every
/// conflict up to [`MAX_CONFLICT_BACKOFF`], and each pause is drawn at
/// random below its bound so that colliding writers spread out instead of
/// colliding again. A call keeps being re-run until its deadline
/// (`timeout-ms`); only then does the person get a 409.
pub const FIRST_CONFLICT_BACKOFF: Duration = Duration::from_millis(2);

/// Longest pause between two runs of a conflicting call.
pub const MAX_CONFLICT_BACKOFF: Duration = Duration::from_millis(64);

/// An area whose component compiled, passed the version check and linked.
pub struct LoadedArea {
    pre: bindings::AreaPre<host::HostState>,
    /// The `portico:area` version the component was built against.
    pub api_version: semver::Version,
    /// (name, source) of the templates the area shipped.
    pub templates: Vec<(String, String)>,
    /// Whether the component came from the compile cache.
    pub compiled: Compiled,
    /// Time spent compiling or deserializing it.
    pub compile_time: Duration,
    /// SHA-256 of the plugin file, hex: what a reload compares to tell a
    /// replaced build from an unchanged one, whatever `version` says.
    pub digest: String,
}

/// Why an area could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The plugin file could not be read.
    #[error("cannot read plugin {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a valid WebAssembly component.
    #[error("plugin {path} is not a valid WebAssembly component: {reason}")]
    Compile {
        /// The file.
        path: String,
        /// wasmtime's message.
        reason: String,
    },
    /// The component targets an incompatible contract.
    #[error(
        "plugin {path} was built against portico:area@{found}, but this host implements portico:area@{host_major}.0.0 to {host}; {}",
        api_hint(.found, .host)
    )]
    ApiVersion {
        /// The file.
        path: String,
        /// The version the component declares.
        found: semver::Version,
        /// The host's version.
        host: semver::Version,
        /// The host's major version (it implements `major.0.0` to `host`).
        host_major: u64,
    },
    /// The component does not export `portico:area/plugin`.
    #[error(
        "plugin {path} does not export portico:area/plugin@{host}; is it built with portico-sdk's export_area! macro?"
    )]
    NotAnArea {
        /// The file.
        path: String,
        /// The host's version.
        host: semver::Version,
    },
    /// An import could not be satisfied.
    #[error("plugin {path} cannot be linked: {reason}")]
    Link {
        /// The file.
        path: String,
        /// wasmtime's message.
        reason: String,
    },
    /// The area's message catalogues are incomplete or disagree.
    #[error("plugin {path}: its message catalogues are not usable: {problems}")]
    Messages {
        /// The file.
        path: String,
        /// Every problem, `; `-separated.
        problems: String,
    },
    /// Calling `templates()` failed.
    #[error("plugin {path}: reading its templates failed: {failure}")]
    Templates {
        /// The file.
        path: String,
        /// What went wrong.
        failure: AreaFailure,
    },
    /// A template does not compile.
    #[error("plugin {path}: template `{name}`: {reason}")]
    Template {
        /// The file.
        path: String,
        /// Template name.
        name: String,
        /// minijinja's message.
        reason: String,
    },
}

/// The wasmtime engine, the linker with every host import, and the epoch ticker.
pub struct Runtime {
    engine: Engine,
    linker: Linker<host::HostState>,
    ticker_stop: Arc<AtomicBool>,
    cache: Option<cache::CompileCache>,
}

impl Runtime {
    /// Builds the engine (pooling allocator, epoch interruption) and starts the ticker.
    pub fn new() -> anyhow::Result<Runtime> {
        // Measuring only (`host/benches/load.sh instructions`): valgrind
        // cannot map the full pool's address space (~0.5 TiB of guarded
        // linear memories); PORTICO_POOL_MEMORIES shrinks it for a run in
        // which calls come one at a time. Per-call work is unchanged.
        let memories = std::env::var("PORTICO_POOL_MEMORIES")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .map_or(MAX_CONCURRENT_CALLS * 2 * 2, |n| n.max(2));
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(MAX_CONCURRENT_CALLS * 2)
            .total_core_instances(MAX_CONCURRENT_CALLS * 2 * CORE_INSTANCES_PER_COMPONENT)
            .total_memories(memories)
            .total_tables(MAX_CONCURRENT_CALLS * 2 * CORE_INSTANCES_PER_COMPONENT)
            .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
            .max_memories_per_component(2)
            .max_tables_per_component(CORE_INSTANCES_PER_COMPONENT)
            .max_memory_size(POOL_MAX_MEMORY_MIB << 20)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(64 << 10)
            .total_stacks(MAX_CONCURRENT_CALLS * 2)
            .pagemap_scan(Enabled::Auto);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(MAX_WASM_STACK)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        // Measuring only (BENCHMARKS.md §5): name the guest's functions in
        // /tmp/perf-<pid>.map, for `perf` profiles of the sandboxed code.
        if std::env::var_os("PORTICO_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(wasm_err)?;

        let mut linker = Linker::new(&engine);
        // Async WASI: a guest's sleep or poll is a future the call's
        // deadline can cancel (sync WASI would block the thread in it).
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wasm_err)?;
        bindings::Area::add_to_linker::<_, HasSelf<host::HostState>>(&mut linker, |s| s)
            .map_err(wasm_err)?;

        let ticker_stop = Arc::new(AtomicBool::new(false));
        let (weak, stop) = (engine.weak(), ticker_stop.clone());
        std::thread::Builder::new()
            .name("portico-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        Ok(Runtime {
            engine,
            linker,
            ticker_stop,
            cache: None,
        })
    }

    /// Keeps compiled components in `dir` (`<data>/cache`), so that a restart
    /// or a reload of an unchanged plugin does not compile it again.
    pub fn with_compile_cache(mut self, dir: PathBuf) -> Runtime {
        self.cache = Some(cache::CompileCache::new(dir));
        self
    }

    /// The engine, for tools that precompile.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles, version-checks and links the plugin at `path`, then reads its
    /// templates (one sandboxed call). The catalog compiles them (the
    /// runtime knows nothing of rendering).
    pub fn load(&self, path: &Path, spec: &AreaSpec) -> Result<LoadedArea, LoadError> {
        let shown = path.display().to_string();
        let bytes = read_plugin(path).map_err(|source| LoadError::Read {
            path: shown.clone(),
            source,
        })?;
        if !bytes.starts_with(b"\0asm") {
            // Never wasmtime's message here: it quotes the first bytes, and
            // the file could be anything (a secret a path pointed at).
            return Err(LoadError::Compile {
                path: shown,
                reason: "not a WebAssembly file (it does not start with the `\\0asm` magic number); build the area with `cargo build --target wasm32-wasip2`".into(),
            });
        }
        let digest = {
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(&bytes))
        };
        let started = Instant::now();
        let (component, compiled) = match &self.cache {
            Some(cache) => cache.component(&self.engine, &bytes),
            None => Component::new(&self.engine, &bytes).map(|c| (c, Compiled::Compiled)),
        }
        .map_err(|e| LoadError::Compile {
            path: shown.clone(),
            reason: format!("{e:#}"),
        })?;
        let compile_time = started.elapsed();
        let api_version = self.check_api_version(&component, &shown)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(bindings::AreaPre::new)
            .map_err(|e| LoadError::Link {
                path: shown.clone(),
                reason: format!("{e:#}"),
            })?;
        let mut area = LoadedArea {
            pre,
            api_version,
            templates: Vec::new(),
            compiled,
            compile_time,
            digest,
        };
        let scope = CallScope::for_load(spec);
        let templates = block_on_load(self.call(&area, spec, scope, None, Export::Templates))
            .map(|returned| match returned {
                Returned::Templates(t) => t,
                _ => unreachable!("templates() answers templates"),
            })
            .map_err(|failure| LoadError::Templates {
                path: shown.clone(),
                failure,
            })?;
        area.templates = templates;
        Ok(area)
    }

    /// Finds the `portico:area` version among the component's exports and
    /// imports and refuses anything this host cannot serve.
    fn check_api_version(
        &self,
        component: &Component,
        path: &str,
    ) -> Result<semver::Version, LoadError> {
        let ty = component.component_type();
        let mut versions: Vec<semver::Version> = Vec::new();
        let mut exports_plugin = false;
        let names = ty
            .exports(&self.engine)
            .map(|(n, i)| {
                (
                    n.to_string(),
                    matches!(i.ty, ComponentItem::ComponentInstance(_)),
                    true,
                )
            })
            .chain(
                ty.imports(&self.engine)
                    .map(|(n, _)| (n.to_string(), false, false)),
            );
        for (name, is_instance, is_export) in names {
            let Some(rest) = name.strip_prefix("portico:area/") else {
                continue;
            };
            let (iface, version) = rest.split_once('@').unwrap_or((rest, ""));
            if is_export && is_instance && iface == "plugin" {
                exports_plugin = true;
            }
            if let Ok(v) = semver::Version::parse(version) {
                versions.push(v);
            }
        }
        // Every portico:area name carries the version the component was built against.
        let found = versions.into_iter().max();
        match found {
            Some(found) if !api_compatible(&found, &API_VERSION) => Err(LoadError::ApiVersion {
                path: path.to_string(),
                found,
                host: API_VERSION,
                host_major: API_VERSION.major,
            }),
            Some(found) if exports_plugin => Ok(found),
            _ => Err(LoadError::NotAnArea {
                path: path.to_string(),
                host: API_VERSION,
            }),
        }
    }

    /// One sandboxed `handle` call in a fresh instance, with its commit.
    /// The raw call, holding no sandbox slot: the server calls areas through
    /// [`Sandbox::call`]; benchmarks measure this.
    pub async fn call_handle(
        &self,
        area: &LoadedArea,
        spec: &AreaSpec,
        scope: CallScope,
        context: &types::Context,
        request: &types::Request,
    ) -> Result<types::Response, AreaFailure> {
        match self
            .call(area, spec, scope, None, Export::Handle(context, request))
            .await?
        {
            Returned::Handle(r) => Ok(r),
            _ => unreachable!("handle answers a response"),
        }
    }

    /// Runs `export` in a fresh instance; when the answer is a success,
    /// commits the call's buffered writes in one transaction before
    /// returning. The whole call, re-runs included, ends by its deadline
    /// (`timeout-ms` from now): a conflicting commit re-runs it after a
    /// jittered pause while time is left; a failed answer, a trap or a
    /// timeout writes nothing.
    async fn call(
        &self,
        area: &LoadedArea,
        spec: &AreaSpec,
        scope: CallScope,
        consumed: Option<&crate::store::OutgoingMessage>,
        export: Export<'_>,
    ) -> Result<Returned, AreaFailure> {
        let started = Instant::now();
        let deadline = started + Duration::from_millis(u64::from(spec.limits.timeout_ms));
        let mut conflicts = 0u32;
        loop {
            let (result, state) = self
                .call_once(area, spec, scope.clone(), consumed, deadline, &export)
                .await;
            let answer = result?;
            if !answer.commits() {
                // A message the area refused because its storage is full:
                // the host says so (the area's own words may not), and the
                // delivery worker does not retry it.
                if let (Returned::OnMessage(Err(_)), Some(used)) = (&answer, state.quota_refused) {
                    return Err(AreaFailure::StorageQuota {
                        limit_mib: spec.limits.storage_mib,
                        used_mib: used.div_ceil(1 << 20),
                    });
                }
                return Ok(answer);
            }
            match commit(state).await {
                Ok(()) => return Ok(answer),
                Err(crate::store::StoreError::Conflict(reason)) => {
                    conflicts += 1;
                    let pause = conflict_pause(conflicts);
                    if Instant::now() + pause >= deadline {
                        tracing::warn!(request_id = %scope.request_id, area = %spec.id, conflicts, %reason, "commit conflicts until the deadline; nothing saved");
                        return Err(AreaFailure::Conflict { reason });
                    }
                    tracing::debug!(request_id = %scope.request_id, area = %spec.id, conflicts, %reason, "commit conflict; re-running the call");
                    tokio::time::sleep(pause).await;
                }
                Err(e) => {
                    tracing::error!(request_id = %scope.request_id, area = %spec.id, error = %e, "committing a call's writes failed");
                    return Err(AreaFailure::Storage {
                        reason: e
                            .unavailable_reason()
                            .unwrap_or("the server's storage failed")
                            .to_string(),
                    });
                }
            }
        }
    }

    /// One run of a call, ended at `deadline` whatever the guest is doing;
    /// returns the answer and the call's state (its buffered writes).
    async fn call_once(
        &self,
        area: &LoadedArea,
        spec: &AreaSpec,
        scope: CallScope,
        consumed: Option<&crate::store::OutgoingMessage>,
        deadline: Instant,
        export: &Export<'_>,
    ) -> (Result<Returned, AreaFailure>, host::HostState) {
        let started = Instant::now();
        let request_id = scope.request_id.clone();
        let area_id = spec.id.to_string();
        let output = output::CappedOutput::default();
        let mut state = host::HostState::new(scope, spec, output.clone());
        if let Some(m) = consumed {
            state.consume(m.clone());
        }
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // Every tick, a running guest yields to the executor (other requests
        // share the thread) or, past its deadline, traps.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        let run = async {
            let instance = area.pre.instantiate_async(&mut store).await?;
            let guest = instance.portico_area_plugin();
            Ok(match export {
                Export::Handle(cx, req) => {
                    Returned::Handle(guest.call_handle(&mut store, cx, req).await?)
                }
                Export::OnMessage(cx, m) => {
                    Returned::OnMessage(guest.call_on_message(&mut store, cx, m).await?)
                }
                Export::Templates => Returned::Templates(guest.call_templates(&mut store).await?),
            })
        };
        // The wall-clock bound: cancels the call even while the guest waits
        // in a host call (a sleep, a poll), where no epoch check runs.
        let timeout = deadline.saturating_duration_since(Instant::now());
        let outcome = tokio::time::timeout(timeout, run).await;
        let (text, dropped) = output.take();
        if !text.is_empty() {
            let text = host::log::escape(text.trim_end());
            tracing::info!(request_id = %request_id, area = %area_id, dropped_bytes = dropped, "area {area_id} output: {text}");
        }
        let result = match outcome {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(AreaFailure::classify(
                e,
                spec.limits.timeout_ms,
                spec.limits.memory_mib,
                started.elapsed(),
                &text,
            )),
            Err(_elapsed) => Err(AreaFailure::Timeout {
                limit_ms: spec.limits.timeout_ms,
            }),
        };
        (result, store.into_data())
    }

    /// Capabilities the WIT defines, for docs and `portico check`.
    pub fn capabilities() -> BTreeMap<&'static str, Capability> {
        Capability::ALL.iter().map(|c| (c.as_str(), *c)).collect()
    }
}

/// Reads a plugin file, refusing one over [`crate::config::MAX_PLUGIN_BYTES`]
/// without reading it whole.
fn read_plugin(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let max = crate::config::MAX_PLUGIN_BYTES;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "the file is larger than {} MiB, the most a plugin may be",
            max >> 20
        )));
    }
    Ok(bytes)
}

/// Whether a component built against `found` runs on a host implementing
/// `host`: same major, a minor no newer than the host's, no pre-release.
pub fn api_compatible(found: &semver::Version, host: &semver::Version) -> bool {
    found.major == host.major && found.minor <= host.minor && found.pre.is_empty()
}

/// What would make a component built against `found` load on a host
/// implementing `host`.
fn api_hint(found: &semver::Version, host: &semver::Version) -> String {
    let target = format!(
        "target portico:area@{host} or an older {}.x: rebuild it with a portico-sdk whose `API_VERSION` is one of those",
        host.major
    );
    if found.major == host.major && found.minor > host.minor {
        format!(
            "it needs a newer Portico (one implementing portico:area@{}.{}), or, for this host, {target}",
            found.major, found.minor
        )
    } else {
        format!("for this host, {target}")
    }
}

/// wasmtime 48 has its own error type; keep its full chain in the message.
fn wasm_err(e: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:#}")
}

/// Which export a call runs, with its arguments.
enum Export<'a> {
    Handle(&'a types::Context, &'a types::Request),
    OnMessage(&'a types::Context, &'a types::Message),
    Templates,
}

/// What the export answered.
enum Returned {
    Handle(types::Response),
    OnMessage(Result<(), String>),
    Templates(Vec<(String, String)>),
}

impl Returned {
    /// Whether the call's writes are committed: only a successful answer's.
    fn commits(&self) -> bool {
        match self {
            Returned::Handle(r) => !matches!(r, types::Response::Failed(_)),
            Returned::OnMessage(r) => r.is_ok(),
            Returned::Templates(_) => false,
        }
    }
}

/// Commits a call's writes. A durable write waits for fsync, so it runs on
/// a blocking thread; a call that wrote nothing (most pages) commits inline.
async fn commit(mut state: host::HostState) -> Result<(), crate::store::StoreError> {
    if !state.has_writes() {
        return state.commit();
    }
    // The commit runs on another thread: the request's page (if it is
    // recording, `store::watch`) learns from here that it wrote.
    crate::store::watch::note_write();
    tokio::task::spawn_blocking(move || state.commit())
        .await
        .unwrap_or_else(|e| {
            Err(crate::store::StoreError::Backend(format!(
                "the commit thread failed: {e}"
            )))
        })
}

/// The pause before re-running a call after its `conflicts`-th conflict:
/// random below a bound that doubles from [`FIRST_CONFLICT_BACKOFF`] to
/// [`MAX_CONFLICT_BACKOFF`] ("full jitter").
fn conflict_pause(conflicts: u32) -> Duration {
    let bound = FIRST_CONFLICT_BACKOFF
        .saturating_mul(2u32.saturating_pow(conflicts.saturating_sub(1)))
        .min(MAX_CONFLICT_BACKOFF);
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    let micros = bound.as_micros().max(1) as u64;
    Duration::from_micros(u64::from_le_bytes(bytes) % micros)
}

/// Runs a load-time call (a component's `templates()`) to completion from
/// synchronous code: the reload thread, `portico check`, start-up. Inside
/// an async runtime it runs on a scoped thread, never blocking a worker.
fn block_on_load<F: std::future::Future + Send>(f: F) -> F::Output
where
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(|| wasmtime_wasi::runtime::in_tokio(f))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    } else {
        wasmtime_wasi::runtime::in_tokio(f)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    #[test]
    fn api_versions() {
        assert!(api_compatible(&v("1.0.0"), &v("1.0.0")));
        assert!(api_compatible(&v("1.0.3"), &v("1.2.0")));
        assert!(api_compatible(&v("1.2.0"), &v("1.2.0")));
        assert!(!api_compatible(&v("1.3.0"), &v("1.2.0")), "newer minor");
        assert!(!api_compatible(&v("2.0.0"), &v("1.2.0")), "other major");
        assert!(!api_compatible(&v("0.9.0"), &v("1.2.0")), "older major");
        assert!(
            !api_compatible(&v("1.0.0-rc.1"), &v("1.0.0")),
            "pre-release"
        );
    }

    fn spec_for(plugin: &Path) -> AreaSpec {
        let yaml = format!(
            "areas:\n  - id: probe\n    title: Probe\n    plugin: {}\n    version: 1.0.0\n",
            plugin.display()
        );
        let dir = plugin.parent().unwrap();
        config::parse(&yaml, &dir.join("areas.yaml"))
            .unwrap()
            .areas
            .remove(0)
    }

    fn load_wat(wat: &str) -> Result<LoadedArea, LoadError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("probe.wasm");
        std::fs::write(&path, wat::parse_str(wat).unwrap()).unwrap();
        let runtime = Runtime::new().unwrap();
        let spec = spec_for(&path);
        runtime.load(&path, &spec)
    }

    #[test]
    fn a_component_for_another_major_is_refused_naming_both_versions() {
        let err = load_wat(
            r#"(component (instance $i) (export "portico:area/plugin@2.0.0" (instance $i)))"#,
        )
        .err()
        .expect("refused");
        let msg = err.to_string();
        assert!(
            msg.contains("built against portico:area@2.0.0")
                && msg.contains("implements portico:area@1.0.0 to 1.2.0"),
            "{msg}"
        );
    }

    #[test]
    fn a_component_for_a_newer_minor_is_refused() {
        let err = load_wat(
            r#"(component (instance $i) (export "portico:area/plugin@1.3.0" (instance $i)))"#,
        )
        .err()
        .expect("refused");
        let msg = err.to_string();
        assert!(
            msg.contains("built against portico:area@1.3.0")
                && msg.contains("implements portico:area@1.0.0 to 1.2.0")
                && msg.contains("needs a newer Portico")
                && msg.contains("target portico:area@1.2.0 or an older 1.x"),
            "{msg}"
        );
    }

    #[test]
    fn a_component_that_is_not_an_area_is_refused() {
        let err = load_wat("(component)").err().expect("refused");
        assert!(
            err.to_string()
                .contains("does not export portico:area/plugin@1.2.0"),
            "{err}"
        );
    }

    #[test]
    fn garbage_is_not_a_component() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("probe.wasm");
        std::fs::write(&path, b"not wasm at all").unwrap();
        let runtime = Runtime::new().unwrap();
        let err = runtime
            .load(&path, &spec_for(&path))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("not a WebAssembly file"), "{err}");
        assert!(
            !err.to_string().contains("not wasm"),
            "no file contents: {err}"
        );
    }

    #[test]
    fn a_huge_plugin_is_refused_without_being_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("probe.wasm");
        std::fs::write(&small, b"\0asm").unwrap();
        let path = dir.path().join("big.wasm");
        std::fs::File::create(&path)
            .unwrap()
            .set_len(1 << 30) // sparse
            .unwrap();
        let err = Runtime::new()
            .unwrap()
            .load(&path, &spec_for(&small))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
    }
}
