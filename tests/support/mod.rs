//! A real `portico` process on an ephemeral port, with real plugins, and an
//! HTTP client that behaves like a browser (cookies, forms, CSRF fields).

#![allow(dead_code, unreachable_pub)]

pub mod clocked;
pub mod html;

/// A browser's HTTP client: cookies, no automatic redirects, 30 s, asking
/// for `accept_language` (none if empty) with this `User-Agent` (none if
/// empty).
pub fn browser_with(accept_language: &str, user_agent: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if !accept_language.is_empty() {
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_str(accept_language).unwrap(),
        );
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .user_agent(user_agent)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A browser asking for English (the assertions read English words;
/// French is the portal's default).
pub fn browser() -> reqwest::Client {
    browser_with("en", "")
}

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where test plugins may live (the built ones in `plugins/`, old builds in
/// `tests/fixtures/`): test configurations are in temporary directories, so
/// they allow the repository with `--plugin-dir`.
pub fn plugin_dir() -> PathBuf {
    repo().canonicalize().unwrap()
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
    capabilities: [directory, facts, log]
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

/// The `--store` arguments of a host whose data directory is `data`: none on
/// sled, a PostgreSQL schema of its own under `PORTICO_TEST_STORE=postgres`
/// (the same one each time for the same `data`, so a restarted host finds its
/// data). See `portico::store::testing`.
pub fn store_args(data: &Path) -> Vec<String> {
    match portico::store::testing::store_url(data) {
        Some(url) => vec!["--store".into(), url],
        None => Vec::new(),
    }
}

/// Opens the store of the host whose data directory is `data` (stopped or
/// killed), on the backend under test.
pub fn open_store(data: &Path) -> portico::store::Store {
    portico::store::Store::open_at(
        data,
        &portico::store::testing::location(data),
        portico::clock::Clock::system(),
    )
    .expect("the store opens")
}

/// Whether this run's hosts use PostgreSQL (`PORTICO_TEST_STORE=postgres`).
pub fn on_postgres() -> bool {
    portico::store::testing::on_postgres()
}

/// The bearer token test portals want on `/metrics` ([`Client::metrics`]).
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

/// A running portal; killed on drop.
pub struct Portal {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
    /// What the server printed before "Portico listening on …".
    pub startup: Vec<String>,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

/// Bytes of the server's log a [`Portal`] keeps.
const LOG_KEPT: usize = 8 << 20;

impl Portal {
    /// Starts `portico serve` with this areas.yaml in a fresh data directory.
    pub fn start(areas_yaml: &str) -> Portal {
        Self::start_in(tempfile::tempdir().unwrap(), areas_yaml, &[])
    }

    /// Starts `portico serve` in `dir` (areas.yaml and `data/` inside it)
    /// with extra command-line arguments.
    pub fn start_in(dir: tempfile::TempDir, areas_yaml: &str, args: &[&str]) -> Portal {
        Self::start_with(dir, areas_yaml, args, &[])
    }

    /// Starts `portico serve` with a clock tests move (`POST /test/clock`).
    pub fn start_movable(areas_yaml: &str) -> Portal {
        Self::start_with(
            tempfile::tempdir().unwrap(),
            areas_yaml,
            &[],
            &[("PORTICO_TEST_MOVABLE_CLOCK", "1")],
        )
    }

    /// [`Portal::start_in`] with extra environment variables.
    pub fn start_with(
        dir: tempfile::TempDir,
        areas_yaml: &str,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Portal {
        let config = dir.path().join("areas.yaml");
        std::fs::write(&config, areas_yaml).unwrap();
        Self::launch(dir, "serve", &config, args, envs)
    }

    /// Starts `portico demo` on the repository's own `areas.yaml` (every
    /// built-in area) with a fresh data directory: the README's first command.
    pub fn start_demo() -> Portal {
        let config = repo().join("areas.yaml").canonicalize().unwrap();
        Self::launch(tempfile::tempdir().unwrap(), "demo", &config, &[], &[])
    }

    fn launch(
        dir: tempfile::TempDir,
        command: &str,
        config: &std::path::Path,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Portal {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico"));
        cmd.args([command, "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .arg("--data")
            .arg(dir.path().join("data"))
            .args(store_args(&dir.path().join("data")));
        if command == "serve" {
            // The demo serves the repository's areas.yaml, plugins beside it.
            cmd.args(["--metrics-token", METRICS_TOKEN])
                .arg("--plugin-dir")
                .arg(plugin_dir());
        }
        let mut child = cmd
            .args(args)
            // One compile cache for every portal of the run: each plugin is
            // compiled once (a Python area takes seconds), not per portal.
            .env(
                "PORTICO_COMPILE_CACHE",
                concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"),
            )
            .envs(envs.iter().copied())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("portico starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut startup = Vec::new();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(u) = line.strip_prefix("Portico listening on ") {
                        break u.trim().to_string();
                    }
                    startup.push(line);
                }
                _ => panic!("portico exited before listening"),
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe; the
        // log is kept (up to LOG_KEPT bytes) for tests that read it.
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                if log.len() < LOG_KEPT {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        Portal {
            child,
            url,
            dir,
            startup,
            log,
        }
    }

    /// A new browser-like client (own cookie jar, no automatic redirects)
    /// whose browser asks for English (`Accept-Language: en`).
    pub fn client(&self) -> Client {
        self.client_with("en", "")
    }

    /// A new browser-like client sending `Accept-Language: accept_language`
    /// (empty: no header, as a bare HTTP client).
    pub fn client_in(&self, accept_language: &str) -> Client {
        self.client_with(accept_language, "")
    }

    /// A client whose requests carry this `User-Agent` (none if empty).
    pub fn client_as(&self, user_agent: &str) -> Client {
        self.client_with("en", user_agent)
    }

    fn client_with(&self, accept_language: &str, user_agent: &str) -> Client {
        Client {
            http: browser_with(accept_language, user_agent),
            base: self.url.clone(),
            mailbox: Some(self.mailbox()),
        }
    }

    /// Moves the clock of a portal started with [`Portal::start_movable`].
    pub async fn advance_clock(&self, ms: u64) {
        let r = reqwest::Client::new()
            .post(format!("{}/test/clock?advance-ms={ms}", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "moving the clock");
    }

    /// Where the portal writes its mail (no SMTP configured).
    pub fn mailbox(&self) -> PathBuf {
        self.data().join("mailbox")
    }
}

/// A message read from a portal's mailbox.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

impl Mail {
    /// The link in the text whose path starts with `path`, as a path and
    /// query on the portal (the scheme and host are dropped).
    pub fn link(&self, path: &str) -> String {
        let at = self
            .text
            .find(&format!("{path}?"))
            .unwrap_or_else(|| panic!("no {path} link in: {}", self.text));
        let end = self.text[at..]
            .find(char::is_whitespace)
            .map_or(self.text.len(), |e| at + e);
        self.text[at..end].to_string()
    }
}

/// Every message of a mailbox, oldest first.
pub fn mails(mailbox: &Path) -> Vec<Mail> {
    let Ok(dir) = std::fs::read_dir(mailbox) else {
        return vec![];
    };
    let mut names: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let (to, subject, text) = portico::mail::read_message(&std::fs::read(&p).unwrap());
            Mail { to, subject, text }
        })
        .collect()
}

/// Messages to `to` whose subject contains `subject`, oldest first.
pub fn mails_to(mailbox: &Path, to: &str, subject: &str) -> Vec<Mail> {
    mails(mailbox)
        .into_iter()
        .filter(|m| m.to == to && m.subject.contains(subject))
        .collect()
}

/// Waits for the `nth` (1-based) message to `to` whose subject contains
/// `subject`. Mail is written by a task after the response; this waits for
/// that work, bounded, not for a clock.
pub async fn wait_for_mail(mailbox: &Path, to: &str, subject: &str, nth: usize) -> Mail {
    for _ in 0..500 {
        let found = mails_to(mailbox, to, subject);
        if found.len() >= nth {
            return found[nth - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "no message #{nth} to {to} about {subject:?}; the mailbox has: {:?}",
        mails(mailbox)
            .iter()
            .map(|m| (&m.to, &m.subject))
            .collect::<Vec<_>>()
    )
}

impl Portal {
    /// The server's log so far (stdout, without colours).
    pub fn log(&self) -> String {
        let raw = self.log.lock().unwrap().clone();
        // Strip ANSI colour sequences (ESC [ … m).
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\x1b' && chars.peek() == Some(&'[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
                continue;
            }
            out.push(c);
        }
        out
    }

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
    /// The form token of the first form in the page's content (an area's
    /// forms carry that area's token), or of the first form anywhere.
    pub fn csrf(&self) -> String {
        let content = self.content_start().unwrap_or(0);
        Self::token_from(&self.body[content..])
            .or_else(|| Self::token_from(&self.body))
            .expect("page has a CSRF field")
    }

    /// The token of the first form in the page's content, if it has one.
    pub fn area_csrf(&self) -> Option<String> {
        Self::token_from(&self.body[self.content_start()?..])
    }

    /// Where the area's content starts: inside `<main>`, after the host's
    /// "confirm your email" notice (a host form) when it is shown.
    fn content_start(&self) -> Option<usize> {
        let main = self.body.find("<main")?;
        let after_notice = self.body[main..].find("verify-email").and_then(|at| {
            let from = main + at;
            self.body[from..].find("</section>").map(|end| from + end)
        });
        Some(after_notice.unwrap_or(main))
    }

    /// The token of the host's own forms (the layout's logout form).
    pub fn host_csrf(&self) -> String {
        Self::token_from(&self.body).expect("page has a CSRF field")
    }

    fn token_from(html: &str) -> Option<String> {
        let at = html.find(r#"name="_csrf" value=""#)?;
        let rest = &html[at + r#"name="_csrf" value=""#.len()..];
        Some(rest[..rest.find('"')?].to_string())
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
    /// The portal's mailbox, to follow emailed links.
    pub mailbox: Option<PathBuf>,
}

impl Client {
    pub async fn page(r: reqwest::Response) -> Page {
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

    /// `/metrics`, as the scraper reads it (with the bearer token).
    pub async fn metrics(&self) -> Page {
        Self::page(
            self.http
                .get(format!("{}/metrics", self.base))
                .bearer_auth(METRICS_TOKEN)
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

    /// Signs up, opens the confirmation link from the mailbox, signs in, and
    /// returns the landing page (after redirects).
    pub async fn sign_up(&self, first: &str, email: &str, password: &str) -> Page {
        let before = mails_to(self.mailbox(), email, "Confirm your email").len();
        self.sign_up_unconfirmed(first, email, password).await;
        let mail = wait_for_mail(self.mailbox(), email, "Confirm your email", before + 1).await;
        let confirmed = self.open_link(&mail.link("/email/confirm")).await;
        assert_eq!(confirmed.status, 303, "confirming: {}", confirmed.body);
        let page = self.log_in(email, password).await;
        assert_eq!(page.status, 303, "sign-in after confirming: {}", page.body);
        self.follow(page).await
    }

    /// The portal's mailbox.
    pub fn mailbox(&self) -> &Path {
        self.mailbox
            .as_deref()
            .expect("a client made by Portal::client")
    }

    /// Posts the sign-up form; returns the "check your mailbox" page.
    pub async fn sign_up_unconfirmed(&self, first: &str, email: &str, password: &str) -> Page {
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
        assert_eq!(page.status, 200, "sign-up answers a page: {}", page.body);
        assert!(page.body.contains("Check your mailbox"), "{}", page.body);
        page
    }

    /// Opens an emailed link's page and presses its one button.
    pub async fn open_link(&self, link: &str) -> Page {
        let page = self.get(link).await;
        assert_eq!(page.status, 200, "link page {link}: {}", page.body);
        let t = link.split_once("?t=").expect("a link with a token").1;
        let action = link.split_once('?').unwrap().0;
        self.post(action, &[("_csrf", &page.csrf()), ("t", t)])
            .await
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

/// A small file that passes the host's PDF upload check, saying `text`.
pub fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n%%EOF\n").into_bytes()
}

/// Loads `form_page`, takes its CSRF token, and posts a multipart form to
/// `path`: text `fields` and PDF `files` as (field, file name, bytes).
pub async fn multipart(
    c: &Client,
    form_page: &str,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, Vec<u8>)],
) -> Page {
    let token = c.get(form_page).await.csrf();
    let mut form = reqwest::multipart::Form::new().text("_csrf", token);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (field, name, bytes) in files {
        form = form.part(
            field.to_string(),
            reqwest::multipart::Part::bytes(bytes.clone())
                .file_name(name.to_string())
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    let r = c
        .http
        .post(format!("{}{path}", c.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    Client::page(r).await
}
