//! The flow API and webhooks through the real router, store, delivery and
//! webhook workers and the real Issued invoices, Received invoices and Data
//! flow overview components, in process (an API client is created in the
//! store: its manager pages are another area's), with a real HTTP receiver
//! on loopback that fails twice before accepting and checks every signature.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::Value;
use tower::Service as _;

use crate::auth::form_token::hmac_sha256;
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::directory::{Identifier, IdentifierType, StructureKind};
use crate::runtime::Runtime;
use crate::store::{Access, Mode, NewApiClient, NewStructure, NewUser, Store};
use crate::web::AppState;

const SUPPLIER: &str = "73282932000074";
const BUYER: &str = "13000165200010";

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn ubl(number: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/invoice-ubl.xml"))
        .unwrap()
        .replace("UBL-2026-001", number)
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    router: axum::Router,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
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
        let built = repo().join(format!("plugins/{id}.wasm"));
        assert!(built.exists(), "run .ci/build-plugins first");
        let plugin = dir.path().join(format!("{id}.wasm"));
        std::fs::copy(&built, &plugin).unwrap();
        yaml.push_str(&format!(
            "  - id: {id}\n    title: {id}\n    plugin: {}\n    version: 1.0.0\n    structure-kinds: [{kinds}]\n    capabilities: [{caps}]\n    limits: {{ memory-mib: 128, timeout-ms: 10000 }}\n",
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
    let catalog = Catalog::build(&config, &runtime, true).unwrap();
    let store = Store::open_with_clock(&dir.path().join("data"), Clock::movable()).unwrap();
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
    let state = AppState::new(catalog, runtime, store, false).unwrap();
    let router = crate::web::app(state.clone());
    Fixture {
        _dir: dir,
        state,
        router,
    }
}

impl Fixture {
    fn client(&self, grants: &[(&str, Access)], mode: Mode) -> (String, String) {
        let now = self.state.clock().now_ms();
        let (c, secret) = self
            .state
            .store()
            .create_api_client(
                NewApiClient {
                    structure: SUPPLIER.into(),
                    name: "Compta Pro".into(),
                    grants: grants
                        .iter()
                        .map(|(a, x)| (a.to_string(), *x))
                        .collect::<BTreeMap<_, _>>(),
                    mode,
                    expires_ms: now + 86_400_000,
                    created_by: "u".into(),
                },
                now,
            )
            .unwrap();
        (c.id, secret)
    }

    async fn send(&mut self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let r = self.router.call(req).await.unwrap();
        let (parts, body) = r.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 22).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts.status, parts.headers, json)
    }

    async fn token(&mut self, id: &str, secret: &str) -> String {
        let (status, _, json) = self
            .send(
                Request::post("/oauth/token")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!(
                        "grant_type=client_credentials&client_id={id}&client_secret={secret}"
                    )))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json["access_token"].as_str().unwrap().to_string()
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap, Value) {
        self.send(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    async fn settled(&mut self, location: &str, token: &str) -> Value {
        let start = Instant::now();
        loop {
            let (status, _, json) = self
                .call("GET", &format!("{location}/report"), token, Vec::new())
                .await;
            assert_eq!(status, StatusCode::OK, "{json}");
            if json["status"] != "received" && json["status"] != "in-processing" {
                return json;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never settled: {json}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// What the receiver saw: (event, headers, raw body).
type Seen = Arc<Mutex<Vec<(String, HeaderMap, String)>>>;

/// A webhook receiver on loopback: answers 500 to the first two
/// `flow.completed` notifications, 200 to everything else.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = kept.clone();
            async move {
                let event = headers["portico-event"].to_str().unwrap().to_string();
                let mut all = seen.lock().unwrap();
                let earlier = all.iter().filter(|(e, _, _)| *e == event).count();
                all.push((event.clone(), headers, body));
                if event == "flow.completed" && earlier < 2 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), seen)
}

fn verify(secret: &str, headers: &HeaderMap, body: &str) {
    let sig = headers["portico-signature"].to_str().unwrap();
    let (t, v1) = sig
        .strip_prefix("t=")
        .and_then(|r| r.split_once(",v1="))
        .unwrap_or_else(|| panic!("signature header: {sig}"));
    let mac = hmac_sha256(secret.as_bytes(), format!("{t}.{body}").as_bytes());
    assert_eq!(v1, hex::encode(mac), "the signature verifies");
}

async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_by_api_is_reported_and_its_webhook_retried_until_accepted() {
    super::webhooks::allow_loopback_for_tests();
    let mut f = fixture();
    crate::delivery::spawn(f.state.clone());
    super::webhooks::spawn(f.state.store().clone());
    let clock = f.state.clock().clone();

    // A client without the Data flow overview: 404, as any area not granted.
    let (other, other_secret) =
        f.client(&[("issued-invoices", Access::ReadWrite)], Mode::Production);
    let other = f.token(&other, &other_secret).await;
    let (status, _, _) = f.call("GET", "/api/v1/flows", &other, Vec::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A read-only client may not deposit.
    let (reader, reader_secret) =
        f.client(&[("data-flow-overview", Access::Read)], Mode::Production);
    let reader = f.token(&reader, &reader_secret).await;
    let (status, _, json) = f
        .call(
            "POST",
            "/api/v1/flows?filename=a.xml",
            &reader,
            ubl("R-1").into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{json}");

    let (id, secret) = f.client(
        &[("data-flow-overview", Access::ReadWrite)],
        Mode::Production,
    );
    let token = f.token(&id, &secret).await;
    let (url, seen) = receiver().await;
    // Webhooks: only https to public addresses, loopback in tests.
    let (status, _, json) = f
        .call(
            "POST",
            "/api/v1/webhooks",
            &token,
            br#"{"url": "https://10.1.2.3/hook"}"#.to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json["error"].as_str().unwrap().contains("private address"),
        "{json}"
    );
    let (status, _, hook) = f
        .call(
            "POST",
            "/api/v1/webhooks",
            &token,
            serde_json::to_vec(&serde_json::json!({"url": url})).unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let hook_secret = hook["secret"].as_str().unwrap().to_string();
    let (_, _, listed) = f.call("GET", "/api/v1/webhooks", &token, Vec::new()).await;
    assert!(
        !listed.to_string().contains(&hook_secret),
        "the secret is shown once: {listed}"
    );

    // A refused file: 422, the errors say why, nothing recorded.
    let (status, _, json) = f
        .call(
            "POST",
            "/api/v1/flows?filename=x.txt",
            &token,
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json["errors"][0]["code"], "FLOW-FORMAT", "{json}");

    // A ZIP of a good and a bad invoice: 202 at once, then the report.
    let bad = ubl("API-2").replace("<cbc:IssueDate>2026-11-20</cbc:IssueDate>", "");
    let zip = zip_of(&[
        ("good.xml", ubl("API-1").as_bytes()),
        ("bad.xml", bad.as_bytes()),
    ]);
    let (status, headers, json) = f
        .call("POST", "/api/v1/flows?filename=batch.zip", &token, zip)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{json}");
    assert_eq!(json["status"], "received");
    let location = headers[header::LOCATION].to_str().unwrap().to_string();
    assert_eq!(
        location,
        format!("/api/v1/flows/{}", json["id"].as_str().unwrap())
    );
    let report = f.settled(&location, &token).await;
    assert_eq!(report["status"], "partially-integrated", "{report:#}");
    // What the OpenAPI document promises is what comes back.
    fits(&crate::api::openapi::flow_schema(true), &report, "report");
    assert_eq!(report["client"], "Compta Pro");
    assert_eq!(report["report"][0]["verdict"], "receivable");
    assert!(report["report"][0]["invoice-id"].is_string());
    assert_eq!(report["report"][1]["verdict"], "not-receivable");
    assert_eq!(report["report"][1]["errors"][0]["field"], "BT-2");
    assert!(
        report["report"][1]["errors"][0]["message"]["fr"]
            .as_str()
            .unwrap()
            .len()
            > 10
    );
    // Another client's token of another structure never sees it: 404.
    let (status, _, _) = f.call("GET", &location, &other, Vec::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The webhook: refused twice (500), retried with backoff on the clock.
    let attempts = |n: usize| {
        let seen = seen.clone();
        move || {
            let all = seen.lock().unwrap();
            let flows: Vec<_> = all
                .iter()
                .filter(|(e, _, _)| e == "flow.completed")
                .cloned()
                .collect();
            (flows.len() >= n).then_some(flows)
        }
    };
    until("the first attempt", attempts(1)).await;
    clock.advance(Duration::from_secs(11)).unwrap();
    until("the second attempt", attempts(2)).await;
    clock.advance(Duration::from_secs(21)).unwrap();
    let flows = until("the third attempt", attempts(3)).await;
    for (_, headers, body) in &flows {
        verify(&hook_secret, headers, body);
    }
    let body: Value = serde_json::from_str(&flows[2].2).unwrap();
    assert_eq!(body["type"], "flow.completed");
    assert_eq!(body["data"]["status"], "partially-integrated");
    assert_eq!(body["data"]["flow"], report["id"]);
    let first: Value = serde_json::from_str(&flows[0].2).unwrap();
    assert_eq!(first["id"], body["id"], "one delivery id across retries");
    // The delivery log, newest first: 200 after two 500s.
    let log = until("the log", || {
        let log = f.state.store().webhook_log(SUPPLIER, 50).unwrap();
        let mine: Vec<_> = log
            .into_iter()
            .filter(|e| e.event == "flow.completed")
            .collect();
        (mine.len() == 3).then_some(mine)
    })
    .await;
    let got: Vec<(Option<u16>, u32)> = log.iter().map(|e| (e.status, e.attempt)).collect();
    assert_eq!(got, [(Some(200), 3), (Some(500), 2), (Some(500), 1)]);
    // The invoice's status changes are notified too (the buyer received it).
    let status_change = until("an invoice status notification", || {
        let all = seen.lock().unwrap();
        all.iter()
            .find(|(e, _, _)| e == "invoice.status-changed")
            .cloned()
    })
    .await;
    verify(&hook_secret, &status_change.1, &status_change.2);
    let change: Value = serde_json::from_str(&status_change.2).unwrap();
    assert_eq!(change["data"]["number"], "API-1", "{change}");
}

/// Whether `value` keeps to `schema` as far as the flow schemas go: every
/// key is described, every required one present, every `enum` respected,
/// and the same for the items of arrays described inline.
fn fits(schema: &serde_json::Value, value: &serde_json::Value, at: &str) {
    if let Some(allowed) = schema["enum"].as_array() {
        assert!(
            allowed.contains(value),
            "{at}: {value} is not one of {allowed:?}"
        );
    }
    if let Some(props) = schema["properties"].as_object() {
        let object = value
            .as_object()
            .unwrap_or_else(|| panic!("{at}: {value} is not an object"));
        for key in object.keys() {
            assert!(
                props.contains_key(key),
                "{at}: `{key}` is not in the OpenAPI schema"
            );
        }
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap();
            assert!(
                object.contains_key(key),
                "{at}: required `{key}` is missing"
            );
        }
        for (key, v) in object {
            fits(&props[key], v, &format!("{at}.{key}"));
        }
    }
    if schema["items"].is_object() {
        for (i, v) in value.as_array().into_iter().flatten().enumerate() {
            fits(&schema["items"], v, &format!("{at}[{i}]"));
        }
    }
}
