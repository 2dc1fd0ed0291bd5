//! Per-call cost of the sandbox (BENCHMARKS.md, "Per-call cost").
//!
//! - `call/*`: a fresh wasmtime store + instance + `handle` of the homepage
//!   area, for a small view (3 tabs) and a large one (1,000 tabs, ~100 KB of
//!   JSON), against the same logic compiled natively (`portico::bench_native`);
//! - `load/*`: compiling each plugin (`Component::new`) against loading its
//!   precompiled artifact (`Component::deserialize` of
//!   `Engine::precompile_component`), and `instantiate_pre` + template read
//!   as `Runtime::load` does;
//! - `catalog/build`: the whole catalog of the repo's areas.yaml.
//!
//! Run: `.ci/build-plugins && cargo bench -p portico --bench sandbox`.
#![allow(unsafe_code)] // Component::deserialize; see the SAFETY note below.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use portico::bench_native;
use portico::catalog::Catalog;
use portico::config::{self, AreaSpec};
use portico::runtime::{CallScope, LoadedArea, Runtime};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::component::Component;

/// Tabs of the small view: a structure with the standard areas.
const SMALL_TABS: usize = 3;
/// Tabs of the large view: far more than a portal shows, to see per-byte costs.
const LARGE_TABS: usize = 1_000;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

fn plugin(name: &str) -> PathBuf {
    let path = repo().join("plugins").join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: run .ci/build-plugins first",
        path.display()
    );
    path
}

fn spec(id: &str, plugin_path: &Path) -> AreaSpec {
    let yaml = format!(
        "areas:\n  - id: {id}\n    title: {id}\n    plugin: {}\n    version: 1.0.0\n    capabilities: [log]\n",
        plugin_path.display()
    );
    config::parse(&yaml, &repo().join("areas.yaml"))
        .expect("bench spec parses")
        .areas
        .remove(0)
}

fn scope(spec: &AreaSpec) -> CallScope {
    CallScope {
        request_id: "bench".into(),
        area: spec.id.to_string(),
        owner: None,
        user_id: Some("u-bench".into()),
        structure: Some("73282932000074".into()),
        capabilities: spec.capabilities.clone(),
        store: None,
        catalog: None,
    }
}

fn calls(c: &mut Criterion) {
    let runtime = Runtime::new().expect("runtime");
    let path = plugin("homepage");
    let spec = spec("homepage", &path);
    let area: LoadedArea = runtime.load(&path, &spec).expect("homepage loads");
    let request = bench_native::sample_request();
    // The server calls areas on the request's own task; a current-thread
    // executor adds no thread hop either.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let mut group = c.benchmark_group("call");
    for (name, tabs) in [("small", SMALL_TABS), ("large", LARGE_TABS)] {
        let cx = bench_native::sample_context(tabs);
        // Same answer both ways, or the comparison means nothing.
        let wasm = rt
            .block_on(runtime.call_handle(&area, &spec, scope(&spec), &cx, &request))
            .expect("wasm call");
        assert_eq!(
            bench_native::comparable(&wasm),
            bench_native::comparable(&bench_native::homepage(&cx, &request)),
            "the native twin drifted from plugins/homepage"
        );
        group.bench_function(format!("{name}/wasm-fresh-instance"), |b| {
            b.iter(|| {
                rt.block_on(runtime.call_handle(
                    &area,
                    &spec,
                    scope(&spec),
                    black_box(&cx),
                    &request,
                ))
                .expect("wasm call")
            })
        });
        group.bench_function(format!("{name}/native"), |b| {
            b.iter(|| bench_native::homepage(black_box(&cx), &request))
        });
    }
    group.finish();
}

fn loading(c: &mut Criterion) {
    let runtime = Runtime::new().expect("runtime");
    let engine = runtime.engine();
    let mut group = c.benchmark_group("load");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for name in ["homepage", "my-account"] {
        let path = plugin(name);
        let bytes = std::fs::read(&path).expect("plugin readable");
        let precompiled = engine
            .precompile_component(&bytes)
            .expect("plugin precompiles");
        group.bench_function(format!("{name}/compile"), |b| {
            b.iter(|| Component::new(engine, black_box(&bytes)).expect("compiles"))
        });
        group.bench_function(format!("{name}/deserialize"), |b| {
            b.iter(|| {
                // SAFETY: `precompiled` was produced just above by
                // `precompile_component` on this very engine, in this process,
                // and is never modified: exactly what `deserialize` requires.
                unsafe { Component::deserialize(engine, black_box(&precompiled)) }
                    .expect("deserializes")
            })
        });
        let spec = spec(name, &path);
        group.bench_function(format!("{name}/runtime-load"), |b| {
            b.iter(|| runtime.load(&path, &spec).expect("loads"))
        });
    }
    group.finish();
}

fn catalog(c: &mut Criterion) {
    let runtime = Runtime::new().expect("runtime");
    let areas = repo().join("areas.yaml");
    plugin("homepage");
    let mut group = c.benchmark_group("catalog");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("build/repo-areas.yaml", |b| {
        b.iter_batched(
            || (),
            |()| Catalog::build(&areas, &runtime, true).expect("catalog builds"),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, calls, loading, catalog);
criterion_main!(benches);
