//! Data flows at volume (BENCHMARKS.md §5): an API client deposits 10,000
//! invoices (ZIP flows of 500, each invoice its own number, all to one
//! public buyer) through the real router (`POST /api/v1/flows` behind the
//! bearer guard), and the real delivery worker integrates them into Issued
//! invoices and sends them to the buyer's Received invoices, with real
//! sled and fsync. Reports flows/s accepted, invoices/s integrated (deposit
//! of the first flow to the last verdict), the load average before and
//! after, and the processor.
//!
//! `cargo bench -p portico --bench flows` (after `./.ci/build-plugins`).
//! `FLOWS_BENCH_INVOICES` (default 10000) and `FLOWS_BENCH_PER_FLOW`
//! (default 500) change the volume.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use portico::catalog::Catalog;
use portico::directory::{Identifier, IdentifierType, StructureKind};
use portico::runtime::Runtime;
use portico::store::{Access, Mode, NewApiClient, NewStructure, NewUser, Store};
use portico::web::AppState;
use tower::Service as _;

const SUPPLIER: &str = "73282932000074";
const BUYER: &str = "13000165200010";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn processor() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let name = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "?".into());
    let cores = info.lines().filter(|l| l.starts_with("processor")).count();
    format!("{name}, {cores} logical cores")
}

async fn send(router: &mut axum::Router, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let r = router.call(req).await.unwrap();
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 22).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

fn main() {
    let total = env_usize("FLOWS_BENCH_INVOICES", 10_000);
    let per_flow = env_usize("FLOWS_BENCH_PER_FLOW", 500).clamp(1, 500);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(total, per_flow));
}

async fn run(total: usize, per_flow: usize) {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    // 10,000 invoices with their files pass the default 64 MiB per area and
    // structure (about 6.5 kB each): as a large supplier's deployment would,
    // the invoice areas get 1 GiB.
    let mut yaml = String::from("areas:\n");
    for (id, kinds, caps) in [
        (
            "issued-invoices",
            "private",
            "kv, facts, messages, flows, log",
        ),
        ("received-invoices", "public", "kv, facts, messages, log"),
        ("data-flow-overview", "private", "flows, log"),
    ] {
        let plugin = dir.path().join(format!("{id}.wasm"));
        std::fs::copy(repo.join(format!("plugins/{id}.wasm")), &plugin)
            .expect("run ./.ci/build-plugins first");
        yaml.push_str(&format!(
            "  - id: {id}\n    title: {id}\n    plugin: {}\n    version: 1.0.0\n    structure-kinds: [{kinds}]\n    capabilities: [{caps}]\n    limits: {{ memory-mib: 128, timeout-ms: 10000, storage-mib: 1024 }}\n",
            plugin.display()
        ));
    }
    let config = dir.path().join("areas.yaml");
    std::fs::write(&config, yaml).unwrap();
    let runtime = Arc::new(
        Runtime::new()
            .unwrap()
            .with_compile_cache(dir.path().join("cache")),
    );
    let catalog = Catalog::build(&config, &runtime, true).expect("catalog");
    let store = Store::open(&dir.path().join("data")).unwrap();
    for (n, (siret, kind)) in [
        (SUPPLIER, StructureKind::Private),
        (BUYER, StructureKind::Public),
    ]
    .into_iter()
    .enumerate()
    {
        let user = store
            .create_user(NewUser {
                email: format!("m{n}@example.fr"),
                first_name: "M".into(),
                last_name: format!("{n}"),
                contact_email: format!("m{n}@example.fr"),
                password_hash: String::new(),
                operator: false,
                email_verified: true,
                created_ms: 0,
            })
            .unwrap();
        store
            .create_structure(
                NewStructure {
                    id: Identifier::parse(IdentifierType::Siret, siret).unwrap(),
                    identifier_type: IdentifierType::Siret,
                    name: format!("S{n}"),
                    kind,
                },
                &user.id,
                0,
            )
            .unwrap();
    }
    let state = AppState::new(catalog, runtime, store.clone(), false).unwrap();
    let mut router = portico::web::app(state.clone());
    let now = store.clock().now_ms();
    let (client, secret) = store
        .create_api_client(
            NewApiClient {
                structure: SUPPLIER.into(),
                name: "Bench ERP".into(),
                grants: [("data-flow-overview".to_string(), Access::ReadWrite)]
                    .into_iter()
                    .collect::<BTreeMap<_, _>>(),
                mode: Mode::Production,
                expires_ms: now + 86_400_000,
                created_by: "bench".into(),
            },
            now,
        )
        .unwrap();
    let (status, json) = send(
        &mut router,
        Request::post("/oauth/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "grant_type=client_credentials&client_id={}&client_secret={secret}",
                client.id
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let token = json["access_token"].as_str().unwrap().to_string();

    // The files, made before the clock starts.
    let template = std::fs::read_to_string(repo.join("tests/fixtures/invoice-ubl.xml")).unwrap();
    let mut zips = Vec::new();
    let mut made = 0;
    while made < total {
        let n = per_flow.min(total - made);
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in made..made + n {
            w.start_file(format!("inv-{i:05}.xml"), options).unwrap();
            w.write_all(
                template
                    .replace("UBL-2026-001", &format!("B-{i:05}"))
                    .as_bytes(),
            )
            .unwrap();
        }
        zips.push(w.finish().unwrap().into_inner());
        made += n;
    }

    println!("processor: {}", processor());
    println!("load average before: {}", loadavg());
    portico::delivery::spawn(state.clone());
    portico::dataflows::webhooks::spawn(store.clone());
    let start = Instant::now();
    let mut ids = Vec::new();
    for (n, zip) in zips.into_iter().enumerate() {
        let (status, json) = send(
            &mut router,
            Request::post(format!("/api/v1/flows?filename=batch-{n}.zip"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/zip")
                .body(Body::from(zip))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{json}");
        ids.push(json["id"].as_str().unwrap().to_string());
    }
    let deposited = start.elapsed();
    let flows = ids.len();
    println!(
        "deposit: {flows} flows ({total} invoices) accepted in {:.2} s: {:.1} flows/s, {:.0} invoices/s",
        deposited.as_secs_f64(),
        flows as f64 / deposited.as_secs_f64(),
        total as f64 / deposited.as_secs_f64()
    );
    // Integration: until every flow is settled.
    let mut last_report = Instant::now();
    loop {
        let mut settled = 0;
        let mut integrated = 0;
        let mut decided = 0;
        for id in &ids {
            let f = store.data_flow(SUPPLIER, id).unwrap().unwrap();
            if f.status.is_final() {
                settled += 1;
            }
            decided += f
                .invoices
                .iter()
                .filter(|i| i.verdict != portico::store::dataflows::Verdict::Pending)
                .count();
            integrated += f
                .invoices
                .iter()
                .filter(|i| i.verdict == portico::store::dataflows::Verdict::Receivable)
                .count();
        }
        if settled == flows {
            let took = start.elapsed();
            println!(
                "integrated: {integrated} of {total} invoices in {flows} flows, {:.1} s from the first deposit: {:.2} flows/s, {:.1} invoices/s",
                took.as_secs_f64(),
                flows as f64 / took.as_secs_f64(),
                total as f64 / took.as_secs_f64()
            );
            assert_eq!(integrated, total, "every invoice is receivable");
            break;
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            println!(
                "  … {decided} of {total} invoices decided after {:.0} s (load {})",
                start.elapsed().as_secs_f64(),
                loadavg()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("load average after: {}", loadavg());
}
