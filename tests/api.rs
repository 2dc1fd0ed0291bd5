//! Machine access end to end (issue 14): a manager creates an API client in
//! EDI and API connections, its software obtains tokens at `/oauth/token`
//! and calls the granted areas under `/api/v1/`; rotation, revocation,
//! throttling, the history, the homepage notice and the boundary between
//! cookies and tokens. One portal with the movable clock for the file.

mod support;

use serde_json::{Value, json};
use support::{Client, Portal};

const PASSWORD: &str = "correct horse battery staple";
const SIRET: &str = "73282932000074";
const OTHER: &str = "35600000000048";

fn areas() -> String {
    format!(
        r#"areas:
  - id: homepage
    title: Logged-in homepage
    plugin: {homepage}
    version: 1.0.0
    order: 10
    capabilities: [facts, log]
  - id: manager-activities
    title: Manager activities
    plugin: {manager}
    version: 1.0.0
    order: 20
    roles: [primary-manager, secondary-manager]
    capabilities: [directory, facts, log]
  - id: fixture
    title: Fixture
    plugin: {fixture}
    version: 1.0.0
    order: 50
    capabilities: [kv, log]
  - id: sent-requests
    title: Sent requests
    plugin: {sent}
    version: 1.0.0
    order: 60
    capabilities: [kv, facts, messages, log]
  - id: edi-api-connections
    title: {{ fr: Connexions EDI et API, en: EDI and API connections }}
    plugin: {edi}
    version: 1.0.0
    order: 110
    install: on-request
    roles: [primary-manager, secondary-manager]
    capabilities: [api-clients, kv, facts, timers, log]
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        homepage = support::plugin("homepage").display(),
        manager = support::plugin("manager-activities").display(),
        fixture = support::plugin("fixture").display(),
        sent = support::plugin("sent-requests").display(),
        edi = support::plugin("edi-api-connections").display(),
        account = support::plugin("my-account").display(),
    )
}

const BASE: &str = "/s/73282932000074/edi-api-connections";

/// The manager's client id and secret from the page that shows it once.
fn credentials(html: &str) -> (String, String) {
    let code = |id: &str| {
        let at = html
            .find(&format!(r#"<code id="{id}">"#))
            .unwrap_or_else(|| panic!("no {id} in {html}"));
        let rest = &html[at + id.len() + 12..];
        rest[..rest.find("</code>").unwrap()].to_string()
    };
    (code("client-id"), code("client-secret"))
}

/// A date `days` after the portal's now, `YYYY-MM-DD`.
fn date_in(now_ms: u64, days: u64) -> String {
    let z = (now_ms / 86_400_000 + days) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(portal: &Portal) -> Api {
        Api {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: portal.url.clone(),
        }
    }

    async fn token_response(
        &self,
        id: &str,
        secret: &str,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let r = self
            .http
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, r.json().await.unwrap_or(Value::Null), headers)
    }

    async fn token(&self, id: &str, secret: &str) -> String {
        let (status, json, _) = self.token_response(id, secret).await;
        assert_eq!(status, 200, "{json}");
        json["access_token"].as_str().unwrap().to_string()
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
        lang: &str,
    ) -> (u16, Value) {
        let mut r = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("accept-language", lang);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

async fn advance(portal: &Portal, ms: u64) -> u64 {
    let r = reqwest::Client::new()
        .post(format!("{}/test/clock?advance-ms={ms}", portal.url))
        .send()
        .await
        .unwrap();
    r.text().await.unwrap().trim().parse().unwrap()
}

async fn manager(portal: &Portal) -> Client {
    let c = portal.client();
    c.sign_up("Ada", "ada@example.fr", PASSWORD).await;
    let r = c
        .create_structure(SIRET, "Ateliers Dupont", "private")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = c
        .create_structure(OTHER, "Autre structure", "private")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let base = format!("/s/{SIRET}/manager-activities");
    let r = c
        .submit(
            &format!("{base}/areas"),
            &format!("{base}/areas/add"),
            &[("area", "edi-api-connections")],
        )
        .await;
    assert_eq!(r.status, 303, "install: {}", r.body);
    c
}

/// Creates a client through the manager's page; answers its credentials.
async fn create(
    c: &Client,
    name: &str,
    grants: &[(&str, &str)],
    expires: &str,
) -> (String, String) {
    let mut form: Vec<(String, String)> = vec![
        ("name".into(), name.into()),
        ("mode".into(), "qualification".into()),
        ("expires".into(), expires.into()),
    ];
    for (area, access) in grants {
        form.push((format!("grant.{area}"), (*access).into()));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let page = c.submit(BASE, &format!("{BASE}/create"), &fields).await;
    assert_eq!(page.status, 200, "{}", page.body);
    credentials(&page.body)
}

#[tokio::test]
async fn api_clients_from_creation_to_revocation() {
    let portal = Portal::start_movable(&areas());
    let ada = manager(&portal).await;
    let api = Api::new(&portal);
    let now = advance(&portal, 0).await;

    // The manager's form refuses what would not work, per field, in French too.
    let fr = portal.client_in("fr");
    fr.log_in("ada@example.fr", PASSWORD).await;
    let page = fr
        .submit(
            BASE,
            &format!("{BASE}/create"),
            &[
                ("name", ""),
                ("mode", "production"),
                ("expires", "31/12/2027"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("Donnez au client un nom"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Choisissez au moins un espace"),
        "{}",
        page.body
    );
    assert!(page.body.contains("AAAA-MM-JJ"), "{}", page.body);

    // Created: the secret is shown once, then never again.
    let expires = date_in(now, 365);
    let (id, secret) = create(
        &ada,
        "Compta Pro",
        &[
            ("fixture", "read-write"),
            ("sent-requests", "read-write"),
            ("homepage", "read"),
        ],
        &expires,
    )
    .await;
    assert!(
        id.starts_with("pc_") && secret.starts_with("pcs_"),
        "{id} {secret}"
    );
    let list = ada.get(BASE).await;
    assert!(
        list.body.contains("Compta Pro") && list.body.contains(&id),
        "{}",
        list.body
    );
    assert!(
        !list.body.contains(&secret),
        "the secret is shown only once"
    );

    // Wrong secret: RFC 6749 §5.2 invalid_client.
    let (status, json, headers) = api.token_response(&id, "pcs_wrong").await;
    assert_eq!(
        (status, json["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );

    let token = api.token(&id, &secret).await;
    let fixture = format!("/api/v1/s/{SIRET}/fixture");
    let (status, json) = api
        .call("GET", &format!("{fixture}/context"), &token, None, "en")
        .await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["ok"]["user"]["first_name"], "Compta Pro");
    assert_eq!(json["ok"]["structure"]["id"], SIRET);
    // A JSON body does what a form does.
    let (status, json) = api
        .call(
            "POST",
            &format!("{fixture}/echo"),
            &token,
            Some(json!({"invoice": "F-1"})),
            "en",
        )
        .await;
    assert_eq!(status, 200, "{json}");
    assert!(json.to_string().contains("F-1"), "{json}");
    // Per-field errors as JSON, in the language asked for.
    let sent = format!("/api/v1/s/{SIRET}/sent-requests/new");
    let (status, json) = api.call("POST", &sent, &token, Some(json!({})), "fr").await;
    assert_eq!(status, 422, "{json}");
    assert!(
        json["errors"]
            .to_string()
            .contains("Ce champ est obligatoire"),
        "{json}"
    );
    let (_, json) = api.call("POST", &sent, &token, Some(json!({})), "en").await;
    assert!(
        json["errors"]
            .to_string()
            .contains("This field is required"),
        "{json}"
    );
    // Read grant: no POST. Not granted, another structure, the clients'
    // own area: 404 alike.
    let (status, json) = api
        .call(
            "POST",
            &format!("/api/v1/s/{SIRET}/homepage/"),
            &token,
            Some(json!({})),
            "en",
        )
        .await;
    assert_eq!(
        (status, json["error"].as_str()),
        (403, Some("insufficient_scope")),
        "{json}"
    );
    for path in [
        format!("/api/v1/s/{SIRET}/manager-activities/history"),
        format!("/api/v1/s/{SIRET}/edi-api-connections/"),
        format!("/api/v1/s/{OTHER}/fixture/context"),
    ] {
        let (status, _) = api.call("GET", &path, &token, None, "en").await;
        assert_eq!(status, 404, "{path}");
    }

    // A cookie never authorises an API call; a token never opens a page.
    let r = ada.get(&format!("{fixture}/context")).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = api
        .http
        .get(format!("{}/s/{SIRET}/fixture/context", portal.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );

    // Every call is in the history, with the client's name.
    let history = ada
        .get(&format!("/s/{SIRET}/manager-activities/history"))
        .await;
    assert!(history.body.contains("Compta Pro (API"), "{}", history.body);

    // Rotation with a 2-day overlap: both secrets work, then only the new.
    let page = ada
        .submit(
            BASE,
            &format!("{BASE}/rotate"),
            &[("id", &id), ("overlap", "2")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (same_id, new_secret) = credentials(&page.body);
    assert_eq!(same_id, id);
    assert_ne!(new_secret, secret);
    api.token(&id, &secret).await;
    api.token(&id, &new_secret).await;
    // Five minutes before the overlap ends, both still work…
    advance(&portal, 2 * 86_400_000 - 5 * 60_000).await;
    let old_token = api.token(&id, &secret).await;
    let new_token = api.token(&id, &new_secret).await;
    // …six minutes later (tokens live 15), only the new secret and its token.
    advance(&portal, 6 * 60_000).await;
    let (status, json, _) = api.token_response(&id, &secret).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (401, Some("invalid_client")),
        "{json}"
    );
    let (status, _) = api
        .call("GET", &format!("{fixture}/context"), &old_token, None, "en")
        .await;
    assert_eq!(status, 401, "the old secret's token died with its overlap");
    let (status, json) = api
        .call("GET", &format!("{fixture}/context"), &new_token, None, "en")
        .await;
    assert_eq!(status, 200, "{json}");

    // Revocation: at once, tokens included; the secret gets invalid_grant.
    // (Two days later, the manager signs in again.)
    let r = ada.log_in("ada@example.fr", PASSWORD).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = ada
        .submit(BASE, &format!("{BASE}/revoke"), &[("id", &id)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (status, _) = api
        .call("GET", &format!("{fixture}/context"), &new_token, None, "en")
        .await;
    assert_eq!(status, 401);
    let (status, json, _) = api.token_response(&id, &new_secret).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (400, Some("invalid_grant")),
        "{json}"
    );
}

#[tokio::test]
async fn token_requests_are_throttled_and_expiry_is_announced_on_the_homepage() {
    let portal = Portal::start_movable(&areas());
    let ada = manager(&portal).await;
    let api = Api::new(&portal);
    let now = advance(&portal, 0).await;

    // Expires in 20 days: no notice yet; 7 days later, the homepage says so.
    let (id, secret) = create(
        &ada,
        "Facturation Nord",
        &[("fixture", "read")],
        &date_in(now, 20),
    )
    .await;
    let home = ada.get(&format!("/s/{SIRET}/homepage")).await;
    assert!(!home.body.contains("Facturation Nord"), "{}", home.body);
    advance(&portal, 7 * 86_400_000).await;
    // A week later the session has ended: sign in again.
    let r = ada.log_in("ada@example.fr", PASSWORD).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut home = ada.get(&format!("/s/{SIRET}/homepage")).await;
    let started = std::time::Instant::now();
    while !home.body.contains("Facturation Nord") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no expiry notice on the homepage: {}\n{}",
            home.body,
            portal.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        home = ada.get(&format!("/s/{SIRET}/homepage")).await;
    }
    assert!(home.body.contains("stops working after"), "{}", home.body);

    // 20 token requests a minute per client, then 429 with Retry-After.
    for i in 0..20 {
        let (status, json, _) = api.token_response(&id, &secret).await;
        assert_eq!(status, 200, "request {i}: {json}");
    }
    let (status, json, headers) = api.token_response(&id, &secret).await;
    assert_eq!(status, 429, "{json}");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    advance(&portal, wait * 1000).await;
    api.token(&id, &secret).await;
}
