//! Growth (BENCHMARKS.md, "Growth"): does a request cost more when the portal
//! holds more? Prints a table and ratios; asserts nothing about time.
//!
//! - tab composition (membership, structure, installs, facts, `compose_tabs`)
//!   and a full area page (`GET /s/{siret}/homepage` through the real router,
//!   wasm sandbox included) for a user in a portal of 10, 1,000 and 100,000
//!   structures: the ratios to the 10-structure case should stay near 1;
//! - a listing of 20 kv records (the store's `kv_list`, and the fixture area's
//!   `/kv/list` page through the router) in a structure holding 100 and
//!   100,000 records, first page and a page deep inside: O(page), ratios near 1;
//! - a kv write through the fixture area (`/kv/set`: sandboxed call, quota
//!   check, durable commit) in those two namespaces: the quota reads a
//!   counter, so the ratio stays near 1.
//!
//! Run: `.ci/build-plugins && cargo bench -p portico --bench growth`
//! (fills the stores first: ~1 minute; `GROWTH_MAX=1000` for a quick run).

use axum::body::Body;
use axum::http::Request;
use portico::auth::{new_csrf_token, new_session_id, session_cookie_name};
use portico::catalog::Catalog;
use portico::directory::{Identifier, IdentifierType, StructureKind};
use portico::runtime::Runtime;
use portico::store::{Namespace, NewStructure, NewUser, Session, Store, SyncMode, UserId};
use portico::web::{AppState, Place, app, compose_tabs};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// Portal sizes, in structures.
const SIZES: [usize; 3] = [10, 1_000, 100_000];
// `GROWTH_ONLY=kv` skips the structure sizes (the kv cases alone).
/// kv records in the listed structure: small, then large.
const KV_SIZES: [usize; 2] = [100, 100_000];
/// Records per listing page.
const PAGE: usize = 20;
/// Each case runs this many batches; the median batch is reported.
const BATCHES: usize = 15;
/// Target wall time of one batch: long enough to dwarf timer noise.
const BATCH_TIME: Duration = Duration::from_millis(100);
const SIRET: &str = "73282932000074";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// The repo's areas plus the fixture area (for kv listings), plugins by absolute path.
fn areas_yaml(dir: &Path) -> PathBuf {
    let plugin = |n: &str| {
        let p = repo().join("plugins").join(format!("{n}.wasm"));
        assert!(p.exists(), "{} missing: run .ci/build-plugins", p.display());
        p.display().to_string()
    };
    let yaml = format!(
        "areas:\n\
         \x20 - {{ id: homepage, title: Logged-in homepage, plugin: {h}, version: 1.0.0, order: 10, capabilities: [log] }}\n\
         \x20 - {{ id: fixture, title: Fixture, plugin: {f}, version: 1.0.0, order: 50, capabilities: [kv, log] }}\n\
         \x20 - {{ id: my-account, title: My account, plugin: {a}, version: 1.0.0, order: 1000, scope: user, capabilities: [account, log] }}\n",
        h = plugin("homepage"),
        f = plugin("fixture"),
        a = plugin("my-account"),
    );
    let path = dir.join("areas.yaml");
    std::fs::write(&path, yaml).expect("areas.yaml written");
    path
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

fn user(store: &Store, email: &str) -> UserId {
    store
        .create_user(NewUser {
            email: email.into(),
            first_name: "Ada".into(),
            last_name: "Bench".into(),
            contact_email: email.into(),
            password_hash: "$argon2id$bench-not-a-hash".into(),
            operator: false,
            email_verified: true,
            created_ms: now_ms(),
        })
        .expect("user")
        .id
}

/// A portal with `structures` structures and `kv` records in the measured
/// structure's fixture namespace. Returns the store and the session cookie.
fn portal(dir: &Path, structures: usize, kv: usize) -> (Store, String) {
    let store = Store::open(&dir.join("data")).expect("store");
    store.set_sync_mode_for_bench(SyncMode::NotDurable); // fixtures only
    let me = user(&store, "ada@bench.example");
    let filler = user(&store, "filler@bench.example");
    let siret = Identifier::parse(IdentifierType::Siret, SIRET).expect("valid SIRET");
    let new = |id: Identifier, ty, name: String| NewStructure {
        id,
        identifier_type: ty,
        name,
        kind: StructureKind::Private,
    };
    store
        .create_structure(
            new(siret, IdentifierType::Siret, "Ateliers Dupont".into()),
            &me,
            now_ms(),
        )
        .expect("structure");
    for i in 1..structures {
        let id = Identifier::from_stored(format!("FILLER{i:09}"));
        store
            .create_structure(
                new(id, IdentifierType::Other, format!("Filler {i}")),
                &filler,
                now_ms(),
            )
            .expect("filler structure");
    }
    let ns = Namespace::structure("fixture", SIRET);
    for i in 0..kv {
        store
            .kv_set(&ns, &format!("rec/{i:08}"), format!("value {i}").as_bytes())
            .expect("kv record");
    }
    // Durable from here: the session write below flushes everything the
    // fill left dirty, so sled's background flusher is idle while we measure.
    store.set_sync_mode_for_bench(SyncMode::Grouped);
    let sid = new_session_id();
    let now = now_ms();
    store
        .create_session(
            &sid,
            &Session {
                user_id: me,
                csrf: new_csrf_token(),
                created_ms: now,
                last_seen_ms: now,
                current_structure: Some(SIRET.into()),
                user_agent: String::new(),
                ip: String::new(),
                epoch: 0,
            },
        )
        .expect("session");
    (store, format!("{}={sid}", session_cookie_name(false)))
}

/// Median over batches of the mean time of `f`, in µs.
fn measure(mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut warm = 0u32;
    while started.elapsed() < BATCH_TIME || warm < 3 {
        f();
        warm += 1;
    }
    let per_batch = (f64::from(warm) * BATCH_TIME.as_secs_f64() / started.elapsed().as_secs_f64())
        .max(1.0) as u32;
    let mut means: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / f64::from(per_batch)
        })
        .collect();
    means.sort_by(f64::total_cmp);
    means[BATCHES / 2]
}

struct Row {
    case: String,
    size: usize,
    micros: f64,
}

fn get(rt: &tokio::runtime::Runtime, router: &axum::Router, cookie: &str, path: &str) -> usize {
    rt.block_on(async {
        let req = Request::get(path)
            .header("cookie", cookie)
            .body(Body::empty())
            .expect("request");
        let resp = router.clone().oneshot(req).await.expect("router answers");
        assert_eq!(resp.status(), 200, "GET {path}");
        axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body")
            .len()
    })
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: then do nothing.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // The catalogues below live in temporary directories; their plugins
    // are the repository's (as `serve --plugin-dir` would allow).
    portico::config::allow_plugin_dirs(&[repo().join("plugins")]).expect("plugins/ exists");
    let max: usize = std::env::var("GROWTH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio");
    let runtime = Arc::new(Runtime::new().expect("wasm runtime"));
    let mut rows = Vec::new();

    let kv_only = std::env::var("GROWTH_ONLY").is_ok_and(|v| v == "kv");
    for &n in SIZES.iter().filter(|&&n| n <= max && !kv_only) {
        let dir = tempfile::tempdir().expect("tempdir");
        let filled = Instant::now();
        let (store, cookie) = portal(dir.path(), n, 0);
        eprintln!("{n} structures filled in {:.1?}", filled.elapsed());
        let catalog = Catalog::build(&areas_yaml(dir.path()), &runtime, true).expect("catalog");
        let state =
            AppState::new(Catalog::empty(), runtime.clone(), store.clone(), false).expect("state");
        let me = store
            .user_by_email("ada@bench.example")
            .expect("read")
            .expect("user")
            .id;
        let tabs = measure(|| {
            let role = store.role_in(&me, SIRET).expect("role").expect("member");
            let s = store.structure(SIRET).expect("read").expect("structure");
            let installs = store.installs(SIRET).expect("installs");
            let facts = store.facts(SIRET).expect("facts");
            let subscriptions = store.subscribed_areas(SIRET, &me).expect("subscriptions");
            let place = Place {
                structure: Some((&s, role)),
                installs: &installs,
                facts: &facts,
                subscriptions: &subscriptions,
            };
            black_box(compose_tabs(&catalog, &place));
        });
        rows.push(Row {
            case: "tab composition".into(),
            size: n,
            micros: tabs,
        });
        state.swap_catalog(catalog);
        let router = app(state);
        let path = format!("/s/{SIRET}/homepage");
        let page = measure(|| {
            black_box(get(&rt, &router, &cookie, &path));
        });
        rows.push(Row {
            case: "homepage (HTTP, wasm)".into(),
            size: n,
            micros: page,
        });
    }

    for &k in KV_SIZES.iter().filter(|&&k| k <= max) {
        let dir = tempfile::tempdir().expect("tempdir");
        let filled = Instant::now();
        let (store, cookie) = portal(dir.path(), 1, k);
        eprintln!("{k} kv records filled in {:.1?}", filled.elapsed());
        let catalog = Catalog::build(&areas_yaml(dir.path()), &runtime, true).expect("catalog");
        let state = AppState::new(catalog, runtime.clone(), store.clone(), false).expect("state");
        let router = app(state);
        let ns = Namespace::structure("fixture", SIRET);
        let middle = format!("rec/{:08}", k / 2);
        for (label, after) in [("first page", None), ("middle page", Some(middle.as_str()))] {
            let t = measure(|| {
                let page = store.kv_list(&ns, "rec/", after, PAGE).expect("list");
                assert_eq!(page.len(), PAGE);
                black_box(page);
            });
            rows.push(Row {
                case: format!("kv_list {PAGE}, {label}"),
                size: k,
                micros: t,
            });
            let path = match after {
                None => format!("/s/{SIRET}/fixture/kv/list?prefix=rec/&limit={PAGE}"),
                Some(a) => {
                    format!("/s/{SIRET}/fixture/kv/list?prefix=rec/&limit={PAGE}&after={a}")
                }
            };
            let t = measure(|| {
                black_box(get(&rt, &router, &cookie, &path));
            });
            rows.push(Row {
                case: format!("list page (HTTP, wasm), {label}"),
                size: k,
                micros: t,
            });
        }
        // A kv write through the area (sandboxed call, quota check, one
        // durable commit): the quota must not make it grow with the
        // namespace. New keys each time, so the namespace keeps its size.
        let mut n = 0u64;
        let t = measure(|| {
            n += 1;
            let path = format!("/s/{SIRET}/fixture/kv/set?key=new/{n:012}&value=written");
            black_box(get(&rt, &router, &cookie, &path));
        });
        rows.push(Row {
            case: "kv write (HTTP, wasm, durable)".into(),
            size: k,
            micros: t,
        });
    }

    println!(
        "\n{:<40} {:>9} {:>12} {:>16}",
        "case", "size", "µs/request", "ratio to smallest"
    );
    let mut smallest: std::collections::HashMap<String, f64> = Default::default();
    for r in &rows {
        let base = *smallest.entry(r.case.clone()).or_insert(r.micros);
        println!(
            "{:<40} {:>9} {:>12.1} {:>16.2}",
            r.case,
            r.size,
            r.micros,
            r.micros / base
        );
    }
}
