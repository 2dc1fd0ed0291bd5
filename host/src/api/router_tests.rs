//! The token endpoint and the bearer guard through the real router, store
//! and fixture area, in process (the e2e tests in `tests/api.rs` go through
//! the manager's pages and a real server).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::Service as _;

use super::Access;
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::directory::{Identifier, IdentifierType, StructureKind};
use crate::runtime::Runtime;
use crate::store::{Mode, NewApiClient, NewStructure, NewUser, Store};
use crate::web::AppState;

const SIRET: &str = "73282932000074";

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    router: axum::Router,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let built = repo.join("plugins/fixture.wasm");
    assert!(built.exists(), "run .ci/build-plugins first");
    // Plugins must live under the configuration's directory.
    let plugin = dir.path().join("fixture.wasm");
    std::fs::copy(&built, &plugin).unwrap();
    let yaml = format!(
        "areas:\n  - id: fixture\n    title: Fixture\n    plugin: {p}\n    version: 1.0.0\n    capabilities: [kv, log]\n  - id: other\n    title: Other\n    plugin: {p}\n    version: 1.0.0\n",
        p = plugin.display()
    );
    let config = dir.path().join("areas.yaml");
    std::fs::write(&config, yaml).unwrap();
    let runtime = std::sync::Arc::new(
        Runtime::new()
            .unwrap()
            .with_compile_cache(dir.path().join("cache")),
    );
    let catalog = Catalog::build(&config, &runtime, true).unwrap();
    let store = Store::open_with_clock(&dir.path().join("data"), Clock::movable()).unwrap();
    let user = store
        .create_user(NewUser {
            email: "ada@example.fr".into(),
            first_name: "Ada".into(),
            last_name: "L".into(),
            contact_email: "ada@example.fr".into(),
            password_hash: String::new(),
            operator: false,
            email_verified: true,
            created_ms: 0,
        })
        .unwrap();
    store
        .create_structure(
            NewStructure {
                id: Identifier::parse(IdentifierType::Siret, SIRET).unwrap(),
                identifier_type: IdentifierType::Siret,
                name: "Ateliers".into(),
                kind: StructureKind::Private,
            },
            &user.id,
            0,
        )
        .unwrap();
    let state = AppState::new(catalog, runtime, store, false).unwrap();
    let router = crate::web::app(state.clone());
    Fixture {
        _dir: dir,
        state,
        router,
    }
}

impl Fixture {
    fn client(&self, grants: &[(&str, Access)]) -> (String, String) {
        let now = self.state.clock().now_ms();
        let (c, secret) = self
            .state
            .store()
            .create_api_client(
                NewApiClient {
                    structure: SIRET.into(),
                    name: "Compta Pro".into(),
                    grants: grants
                        .iter()
                        .map(|(a, x)| (a.to_string(), *x))
                        .collect::<BTreeMap<_, _>>(),
                    mode: Mode::Qualification,
                    expires_ms: now + 86_400_000,
                    created_by: "u".into(),
                },
                now,
            )
            .unwrap();
        (c.id, secret)
    }

    async fn send(&mut self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let r = self.router.call(req).await.unwrap();
        let (parts, body) = r.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts.status, parts.headers, json)
    }

    async fn token_req(&mut self, body: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
        self.send(
            Request::post("/oauth/token")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn token(&mut self, id: &str, secret: &str) -> String {
        let (status, _, json) = self
            .token_req(&format!(
                "grant_type=client_credentials&client_id={id}&client_secret={secret}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json["access_token"].as_str().unwrap().to_string()
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }
}

#[tokio::test]
async fn token_errors_follow_rfc_6749_and_tokens_open_granted_areas_only() {
    let mut f = fixture();
    let (id, secret) = f.client(&[("fixture", Access::ReadWrite), ("other", Access::Read)]);

    // §5.1: a token, its type, lifetime and scope; never cached.
    let (status, headers, json) = f
        .token_req(&format!(
            "grant_type=client_credentials&client_id={id}&client_secret={secret}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], 900);
    assert_eq!(json["scope"], "fixture:read-write other:read");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let token = json["access_token"].as_str().unwrap().to_string();

    // §5.2 errors.
    let (status, headers, json) = f
        .token_req(&format!(
            "grant_type=client_credentials&client_id={id}&client_secret=pcs_wrong"
        ))
        .await;
    assert_eq!(
        (status, json["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    assert!(
        headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let (status, _, json) = f.token_req("grant_type=password&username=a").await;
    assert_eq!(
        (status, json["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let (status, _, json) = f.token_req(&format!("client_id={id}")).await;
    assert_eq!(json["error"], "invalid_request", "{status}");
    let (_, _, json) = f
        .token_req(&format!(
            "grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=other:read-write"
        ))
        .await;
    assert_eq!(json["error"], "invalid_scope");

    // The token opens the granted areas, as JSON, with the client as caller.
    let (status, _, json) = f
        .call(
            "GET",
            &format!("/api/v1/s/{SIRET}/fixture/context"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["ok"]["user"]["first_name"], "Compta Pro", "{json}");
    let (status, _, json) = f
        .call(
            "POST",
            &format!("/api/v1/s/{SIRET}/fixture/echo"),
            &token,
            Some(serde_json::json!({"a": "b", "n": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(json.to_string().contains("\"b\""), "{json}");
    // A read grant refuses POST; an area not granted, another structure,
    // an unknown area: 404 alike.
    let (status, headers, json) = f
        .call(
            "POST",
            &format!("/api/v1/s/{SIRET}/other/echo"),
            &token,
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(
        (status, json["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("insufficient_scope"))
    );
    assert!(
        headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    for path in [
        format!("/api/v1/s/{SIRET}/nope/context"),
        "/api/v1/s/35600000000048/fixture/context".to_string(),
    ] {
        let (status, _, _) = f.call("GET", &path, &token, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // Refused forms are 422 with per-field errors; redirects stay in the API.
    let (status, _, json) = f
        .call(
            "GET",
            &format!("/api/v1/s/{SIRET}/fixture/invalid"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json["errors"].as_object().is_some_and(|e| !e.is_empty()),
        "{json}"
    );
    let (status, headers, json) = f
        .call(
            "GET",
            &format!("/api/v1/s/{SIRET}/fixture/redirect"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(json["location"], format!("/api/v1/s/{SIRET}/fixture/echo"));
    assert_eq!(
        headers[header::LOCATION],
        format!("/api/v1/s/{SIRET}/fixture/echo")
    );

    // No token, a wrong one: 401 per RFC 6750.
    let (status, headers, _) = f
        .send(
            Request::get(format!("/api/v1/s/{SIRET}/fixture/context"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        headers[header::WWW_AUTHENTICATE],
        "Bearer realm=\"portico\""
    );
    let (status, headers, _) = f
        .call(
            "GET",
            &format!("/api/v1/s/{SIRET}/fixture/context"),
            "pat_nope",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );

    // Every call is in the structure's history, with the client's name.
    let log = f.state.store().audit_log(Some(SIRET), 50).unwrap();
    let calls: Vec<_> = log
        .iter()
        .filter(|e| e.action == super::AUDIT_ACTION)
        .collect();
    assert_eq!(calls.len(), 7, "{calls:?}");
    assert!(calls.iter().all(|e| e.detail["client"] == "Compta Pro"));
    assert_eq!(calls[0].detail["status"], 303);

    // Revocation kills the token at once; the secret then gets invalid_grant.
    f.state
        .store()
        .revoke_api_client(SIRET, &id, f.state.clock().now_ms())
        .unwrap();
    let (status, _, _) = f
        .call(
            "GET",
            &format!("/api/v1/s/{SIRET}/fixture/context"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, json) = f
        .token_req(&format!(
            "grant_type=client_credentials&client_id={id}&client_secret={secret}"
        ))
        .await;
    assert_eq!(
        (status, json["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn basic_auth_works_and_token_requests_are_throttled_per_client() {
    let mut f = fixture();
    let (id, secret) = f.client(&[("fixture", Access::Read)]);
    let (other, other_secret) = f.client(&[("fixture", Access::Read)]);
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    for i in 0..super::token::TOKENS_PER_MINUTE {
        let (status, _, json) = f
            .send(
                Request::post("/oauth/token")
                    .header(header::AUTHORIZATION, format!("Basic {basic}"))
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from("grant_type=client_credentials"))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "request {i}: {json}");
    }
    let (status, headers, json) = f
        .token_req(&format!(
            "grant_type=client_credentials&client_id={id}&client_secret={secret}"
        ))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{json}");
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Another client is not slowed by this one.
    f.token(&other, &other_secret).await;
    // Once the window has passed, the client is served again.
    f.state
        .clock()
        .advance(std::time::Duration::from_secs(wait))
        .unwrap();
    f.token(&id, &secret).await;
}
