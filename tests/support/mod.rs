//! A real `portico` process on an ephemeral port, with real plugins, and an
//! HTTP client that behaves like a browser (cookies, forms, CSRF fields).

#![allow(dead_code, unreachable_pub)]

pub mod html;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A built plugin, as `.ci/build-plugins` leaves it.
pub fn plugin(name: &str) -> PathBuf {
    let p = repo().join("plugins").join(format!("{name}.wasm"));
    assert!(
        p.exists(),
        "{} is missing: run .ci/build-plugins first",
        p.display()
    );
    p.canonicalize().unwrap()
}

/// The areas used by most tests: the repo's areas plus the fixture area.
pub fn standard_areas() -> String {
    format!(
        r#"areas:
  - id: homepage
    title: Logged-in homepage
    plugin: {homepage}
    version: 1.0.0
    order: 10
    capabilities: [log]
  - id: fixture
    title: Fixture
    plugin: {fixture}
    version: 1.0.0
    order: 50
    capabilities: [kv, facts, log]
    limits: {{ memory-mib: 32, timeout-ms: 300 }}
  - id: bare
    title: Bare fixture
    plugin: {fixture}
    version: 1.0.0
    order: 60
    roles: [primary-manager]
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        homepage = plugin("homepage").display(),
        fixture = plugin("fixture").display(),
        account = plugin("my-account").display(),
    )
}

/// The catalog of the directory tests (`structures.rs`, `authz.rs`): the repo's areas, the fixture (which can
/// publish facts), an on-request area `invoices`, an on-request area
/// `reports` that requires `invoices`, and `commitments`, on request and
/// shown only once the fixture published `payment-reached`.
pub fn directory_areas() -> String {
    format!(
        r#"areas:
  - id: homepage
    title: Logged-in homepage
    plugin: {homepage}
    version: 1.0.0
    order: 10
    capabilities: [log]
  - id: manager-activities
    title: Manager activities
    plugin: {manager}
    version: 1.0.0
    order: 20
    roles: [primary-manager, secondary-manager]
    capabilities: [directory, log]
  - id: fixture
    title: Fixture
    plugin: {fixture}
    version: 1.0.0
    order: 50
    capabilities: [kv, facts, log]
  - id: invoices
    title: Issued invoices
    description: Enter and follow invoices.
    plugin: {fixture}
    version: 1.0.0
    order: 60
    install: on-request
  - id: reports
    title: Data flow overview
    description: Reports on deposited flows.
    plugin: {fixture}
    version: 1.0.0
    order: 70
    install: on-request
    requires: {{ invoices: "^1" }}
  - id: commitments
    title: Commitments
    description: Orders from public buyers.
    plugin: {fixture}
    version: 1.0.0
    order: 80
    install: on-request
    when: "fact('fixture', 'payment-reached')"
    when-explained: opens once one of the structure's invoices reached Payment
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        homepage = plugin("homepage").display(),
        manager = plugin("manager-activities").display(),
        fixture = plugin("fixture").display(),
        account = plugin("my-account").display(),
    )
}

/// A running portal; killed on drop.
pub struct Portal {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Portal {
    /// Starts `portico serve` with this areas.yaml in a fresh data directory.
    pub fn start(areas_yaml: &str) -> Portal {
        Self::start_in(tempfile::tempdir().unwrap(), areas_yaml, &[])
    }

    /// Starts `portico serve` in `dir` (areas.yaml and `data/` inside it)
    /// with extra command-line arguments.
    pub fn start_in(dir: tempfile::TempDir, areas_yaml: &str, args: &[&str]) -> Portal {
        let config = dir.path().join("areas.yaml");
        std::fs::write(&config, areas_yaml).unwrap();
        Self::launch(dir, "serve", &config, args)
    }

    /// Starts `portico demo` on the repository's own `areas.yaml` (every
    /// built-in area) with a fresh data directory: the README's first command.
    pub fn start_demo() -> Portal {
        let config = repo().join("areas.yaml").canonicalize().unwrap();
        Self::launch(tempfile::tempdir().unwrap(), "demo", &config, &[])
    }

    fn launch(
        dir: tempfile::TempDir,
        command: &str,
        config: &std::path::Path,
        args: &[&str],
    ) -> Portal {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
            .args([command, "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .arg("--data")
            .arg(dir.path().join("data"))
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("portico starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(u) = line.strip_prefix("Portico listening on ") {
                        break u.trim().to_string();
                    }
                }
                _ => panic!("portico exited before listening"),
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Portal { child, url, dir }
    }

    /// A new browser-like client (own cookie jar, no automatic redirects)
    /// whose browser asks for English (`Accept-Language: en`).
    pub fn client(&self) -> Client {
        self.client_in("en")
    }

    /// A new browser-like client sending `Accept-Language: accept_language`
    /// (empty: no header, as a bare HTTP client).
    pub fn client_in(&self, accept_language: &str) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        if !accept_language.is_empty() {
            headers.insert(
                reqwest::header::ACCEPT_LANGUAGE,
                reqwest::header::HeaderValue::from_str(accept_language).unwrap(),
            );
        }
        Client {
            http: reqwest::Client::builder()
                .default_headers(headers)
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: self.url.clone(),
        }
    }
}

impl Portal {
    /// The areas.yaml the portal serves.
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("areas.yaml")
    }

    /// The portal's data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Replaces areas.yaml the way a deploy tool should: a whole new file
    /// renamed over the old one, so the watcher never reads half of it.
    pub fn write_areas(&self, yaml: &str) {
        let tmp = self.dir.path().join(".areas.yaml.tmp");
        std::fs::write(&tmp, yaml).unwrap();
        std::fs::rename(&tmp, self.config()).unwrap();
    }
}

impl Portal {
    /// Kills the server (as `kill -9` would) and hands back its directory,
    /// to start another server on the same data.
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a test sees of a response.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="_csrf" value=""#)
            .expect("page has a CSRF field");
        let rest = &self.body[at + r#"name="_csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The tab labels of the tab bar, in order.
    pub fn tabs(&self) -> Vec<String> {
        let Some(start) = self.body.find(r#"<nav class="tabs""#) else {
            return vec![];
        };
        let nav = &self.body[start..];
        let nav = &nav[..nav.find("</nav>").unwrap()];
        nav.split("<a href=")
            .skip(1)
            .map(|s| {
                let s = &s[s.find('>').unwrap() + 1..];
                s[..s.find("</a>").unwrap()].trim().to_string()
            })
            .collect()
    }
}

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    async fn page(r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let location = headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let body = r.text().await.unwrap();
        Page {
            status,
            location,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn get_json(&self, path: &str) -> Page {
        Self::page(
            self.http
                .get(format!("{}{path}", self.base))
                .header("accept", "application/json")
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Follows redirects (GET) up to 5 times.
    pub async fn follow(&self, mut page: Page) -> Page {
        for _ in 0..5 {
            match (page.status, &page.location) {
                (301 | 302 | 303 | 307 | 308, Some(loc)) => page = self.get(&loc.clone()).await,
                _ => break,
            }
        }
        page
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::page(
            self.http
                .post(format!("{}{path}", self.base))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Loads `form_page`, takes its CSRF token, and posts `form` to `path`.
    pub async fn submit(&self, form_page: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let page = self.get(form_page).await;
        assert_eq!(page.status, 200, "form page {form_page}: {}", page.body);
        let token = page.csrf();
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }

    /// Signs up and returns the landing page (after redirects).
    pub async fn sign_up(&self, first: &str, email: &str, password: &str) -> Page {
        let page = self
            .submit(
                "/signup",
                "/signup",
                &[
                    ("first-name", first),
                    ("last-name", "Tester"),
                    ("email", email),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "sign-up should redirect: {}", page.body);
        self.follow(page).await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Creates a structure through My account; returns the landing page.
    pub async fn create_structure(&self, siret: &str, name: &str, kind: &str) -> Page {
        self.submit(
            "/me/my-account",
            "/me/my-account/structures",
            &[
                ("identifier-type", "siret"),
                ("identifier", siret),
                ("name", name),
                ("kind", kind),
            ],
        )
        .await
    }
}
