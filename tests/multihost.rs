//! Issue 16: several hosts on one store, and moving a portal between stores.
//!
//! On sled (one process per data directory, by sled's lock) one host lists
//! itself on `/ops` with its catalogue generation, and `portico export` /
//! `portico import` move its portal whole — and, given a PostgreSQL server
//! (`PORTICO_TEST_POSTGRES`, `.ci/postgres`), on to PostgreSQL and back.
//! The tests with several hosts need a shared database: they run only on
//! PostgreSQL and say "skipped" without one.

mod invoicing;
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use invoicing::{
    BUYER, SUPPLIER, enter_invoice, eventually, invoice_form, invoice_id, manager_of, until_status,
};
use portico::store::testing;
use portico::store::{FlowState, Location, Store};
use support::{Client, Portal, browser, standard_areas};

const PASSWORD: &str = "correct horse battery staple";
const A: &str = SUPPLIER;

/// `portico operator add ops@example.com` on `data`; the password.
fn add_operator(data: &Path) -> String {
    let out = portico(&["operator", "add", "ops@example.com", "--data"], &[data]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a generated password is printed")
        .to_string()
}

fn portico(args: &[&str], paths: &[&Path]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The per-tree lines (`  name  count  hash`) of an export or import table.
fn table(said: &str, after: &str) -> Vec<String> {
    said.split(after)
        .nth(1)
        .unwrap_or_else(|| panic!("{after:?} in {said}"))
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn one_host_lists_itself_with_its_generation_and_its_portal_moves_whole() {
    let dir = tempfile::tempdir().unwrap();
    let password = add_operator(&dir.path().join("data"));
    let portal = Portal::start_with(dir, &standard_areas(), &[], &[("PORTICO_HOST_ID", "web-1")]);
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let created = alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let ops = portal.client();
    assert_eq!(ops.log_in("ops@example.com", &password).await.status, 303);
    let console = ops.get("/ops").await;
    assert!(
        console
            .body
            .contains(r#"data-host="web-1" data-generation="1""#),
        "{}",
        console.body
    );
    assert!(console.body.contains("(this host)"), "{}", console.body);

    // A reload shows on the host list within seconds (heartbeat on change).
    portal.write_areas(&standard_areas().replace("title: Bare fixture", "title: Bare"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body = ops.get("/ops").await.body;
        if body.contains(r#"data-host="web-1" data-generation="2""#) {
            break;
        }
        assert!(Instant::now() < deadline, "generation 2 on /ops: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Export refuses while the server holds the directory, and says why.
    let file = portal.dir.path().join("portal.export");
    let data = portal.data();
    let busy = portico(&["export", "--to"], &[&file, Path::new("--store"), &data]);
    assert!(!busy.status.success());
    assert!(
        stderr(&busy).contains("stop the server"),
        "{}",
        stderr(&busy)
    );

    let dir = portal.stop();
    let data = dir.path().join("data");
    let out = portico(&["export", "--to"], &[&file, Path::new("--store"), &data]);
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = stdout(&out);
    let sent = table(&exported, "exported ");
    assert!(
        sent.iter()
            .any(|l| l.trim_start().starts_with("users ") && l.contains(" 2 ")),
        "two accounts: {exported}"
    );
    // Never overwrites a file.
    let again = portico(&["export", "--to"], &[&file, Path::new("--store"), &data]);
    assert!(
        stderr(&again).contains("never overwritten"),
        "{}",
        stderr(&again)
    );

    let moved = tempfile::tempdir().unwrap();
    let to = moved.path().join("data");
    let out = portico(&["import", "--from"], &[&file, Path::new("--store"), &to]);
    assert!(out.status.success(), "{}", stderr(&out));
    let imported = stdout(&out);
    assert!(
        imported.contains("every count and hash matches"),
        "{imported}"
    );
    assert_eq!(table(&imported, "holds:"), sent, "the file as exported");
    assert_eq!(
        table(&imported, "now holds, recounted:"),
        sent,
        "the store as exported"
    );
    // A second import would mix two portals: refused unless told.
    let out = portico(&["import", "--from"], &[&file, Path::new("--store"), &to]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--replace"), "{}", stderr(&out));

    // The moved portal serves: the operator signs in, Alice's structure is there.
    let portal = Portal::start_in(moved, &standard_areas(), &[]);
    let ops = portal.client();
    assert_eq!(ops.log_in("ops@example.com", &password).await.status, 303);
    let alice = portal.client();
    assert_eq!(
        alice.log_in("alice@example.com", PASSWORD).await.status,
        303
    );
    let home = alice.get("/me/my-account").await;
    assert!(home.body.contains("Ateliers Dupont"), "{}", home.body);
    drop(portal);

    // On to PostgreSQL and back to sled, each step recounted and rehashed.
    let Some(pg) = pg_store("moved") else {
        testing::skipped();
        return;
    };
    let pg_path = Path::new(&pg);
    let out = portico(
        &["import", "--from"],
        &[&file, Path::new("--store"), pg_path],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let imported = stdout(&out);
    assert!(
        imported.contains("every count and hash matches"),
        "{imported}"
    );
    assert_eq!(
        table(&imported, "now holds, recounted:"),
        sent,
        "on PostgreSQL"
    );
    let pg_host = tempfile::tempdir().unwrap();
    let back_file = pg_host.path().join("back.export");
    let out = portico(
        &["export", "--to"],
        &[&back_file, Path::new("--store"), pg_path],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        table(&stdout(&out), "exported "),
        sent,
        "exported from PostgreSQL"
    );
    let back = tempfile::tempdir().unwrap();
    let back_data = back.path().join("data");
    let out = portico(
        &["import", "--from"],
        &[&back_file, Path::new("--store"), &back_data],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        table(&stdout(&out), "now holds, recounted:"),
        sent,
        "back on sled"
    );
}

/// A fresh schema on the test server for `name`, or `None` without one.
fn pg_store(name: &str) -> Option<String> {
    let url = testing::postgres_url()?;
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(testing::with_schema(&url, &format!("mh_{name}_{suffix}")))
}

/// One `portico serve` of a multi-host portal, killed on drop.
struct Host {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Host {
    /// `portico serve` named `id` on `store`, with its own directory (its
    /// areas.yaml, compile cache, mailbox): a machine of the deployment.
    fn start(id: &str, store: &str, areas: &str, envs: &[(&str, &str)]) -> Host {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("areas.yaml"), areas).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(dir.path().join("areas.yaml"))
            .arg("--data")
            .arg(dir.path().join("data"))
            .args(["--store", store, "--plugin-dir"])
            .arg(support::plugin_dir())
            .env(
                "PORTICO_COMPILE_CACHE",
                concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"),
            )
            .env("PORTICO_HOST_ID", id)
            .env_remove("PORTICO_HOLD_DELIVERY")
            .envs(envs.iter().copied())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("portico starts");
        use std::io::BufRead as _;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(u) = line.strip_prefix("Portico listening on ") {
                        break u.trim().to_string();
                    }
                }
                _ => panic!("host {id} exited before listening"),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Host { child, url, dir }
    }

    /// A client of this host sharing `http`'s cookies (one browser behind a
    /// load balancer: cookies do not depend on the port).
    fn client(&self, http: &reqwest::Client) -> Client {
        Client {
            http: http.clone(),
            base: self.url.clone(),
            mailbox: Some(self.dir.path().join("data").join("mailbox")),
        }
    }

    /// Replaces this machine's areas.yaml the way a deploy tool does.
    fn write_areas(&self, yaml: &str) {
        let tmp = self.dir.path().join(".areas.yaml.tmp");
        std::fs::write(&tmp, yaml).unwrap();
        std::fs::rename(&tmp, self.dir.path().join("areas.yaml")).unwrap();
    }
}

fn open(store: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::parse(Some(store)).unwrap();
    let s = Store::open_at(dir.path(), &location, portico::clock::Clock::system()).unwrap();
    (dir, s)
}

/// Every message between the supplier and the buyer was delivered, each
/// in one attempt: none lost, none doubled. Waits for the outbox to empty
/// first: the last status change's notice to the platform (for webhooks)
/// may still be on its way when the status shows.
async fn delivered_once(store: &str) {
    let (_dir, s) = open(store);
    eventually("the outbox to empty", Duration::from_secs(30), || async {
        s.outbox_page(None, 10).unwrap().is_empty().then_some(())
    })
    .await;
    let flows = s.flows_of(SUPPLIER, 100).unwrap();
    assert!(
        flows.len() >= 2,
        "the invoice and its acknowledgement: {flows:?}"
    );
    for f in &flows {
        assert_eq!(f.state, FlowState::Delivered, "{f:?}");
        assert_eq!(f.attempts, 1, "delivered once: {f:?}");
    }
    assert!(s.outbox_page(None, 10).unwrap().is_empty());
}

/// Issue 16: three hosts on one PostgreSQL serve one portal to a
/// round-robin client.
#[tokio::test]
async fn three_hosts_on_one_database_serve_one_portal() {
    let Some(store) = pg_store("three") else {
        testing::skipped();
        return;
    };
    let areas = invoicing::areas("default");
    let hosts: Vec<Host> = ["web-1", "web-2", "web-3"]
        .iter()
        .map(|id| Host::start(id, &store, &areas, &[]))
        .collect();
    let (claire_http, paul_http) = (browser(), browser());
    manager_of(
        hosts[0].client(&claire_http),
        "Claire",
        "claire@example.com",
        SUPPLIER,
        "Ateliers Dupont",
        "private",
    )
    .await;
    let _paul = manager_of(
        hosts[1].client(&paul_http),
        "Paul",
        "paul@example.com",
        BUYER,
        "Préfecture",
        "public",
    )
    .await;
    // Signed in on web-1, Claire goes on on each host.
    for h in &hosts {
        let page = h.client(&claire_http).get("/me/my-account").await;
        assert_eq!(page.status, 200, "{}: {}", h.url, page.body);
        assert!(page.body.contains("Ateliers Dupont"));
    }

    // Sent through web-3, delivered once, seen on web-1 and web-2.
    let sent = enter_invoice(
        &hosts[2].client(&claire_http),
        &invoice_form("F-MULTI-1"),
        &[("action", "send"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let id = invoice_id(&sent);
    let buyer = hosts[0].client(&paul_http);
    eventually(
        "the invoice in the buyer's inbox",
        Duration::from_secs(30),
        || async {
            let v = buyer
                .get_json(&format!("/s/{BUYER}/received-invoices"))
                .await
                .json();
            (v["total"] == 1).then_some(())
        },
    )
    .await;
    until_status(&hosts[1].client(&claire_http), &id, "MISE_A_DISPOSITION").await;
    delivered_once(&store).await;

    // Failed sign-ins are counted across hosts: five pass, whichever host
    // gets them, then the next waits on every host.
    let mallory = browser();
    for i in 0..6 {
        let r = hosts[i % 3]
            .client(&mallory)
            .log_in("paul@example.com", "wrong")
            .await;
        assert_eq!(r.status, 401, "attempt {i}: {}", r.body);
    }
    for h in &hosts {
        let r = h.client(&mallory).log_in("paul@example.com", "wrong").await;
        assert_eq!(r.status, 429, "{}: {}", h.url, r.body);
    }

    // An admin command while the hosts run: Claire becomes an operator, and
    // web-2 lets her into /ops at once.
    let before = hosts[1].client(&claire_http).get("/ops").await;
    assert_eq!(before.status, 403);
    let out = portico(
        &[
            "operator",
            "add",
            "claire@example.com",
            "--store",
            &store,
            "--data",
        ],
        &[&hosts[0].dir.path().join("data")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let console = hosts[1].client(&claire_http).get("/ops").await;
    assert_eq!(console.status, 200, "{}", console.body);
    for id in ["web-1", "web-2", "web-3"] {
        assert!(
            console
                .body
                .contains(&format!(r#"data-host="{id}" data-generation="1""#)),
            "{id} on /ops: {}",
            console.body
        );
    }

    // A new areas.yaml on every machine: each host reloads, /ops on any
    // host shows all three at generation 2.
    let renamed = areas.replace("title: Logged-in homepage", "title: Homepage");
    for h in &hosts {
        h.write_areas(&renamed);
    }
    let ops = hosts[2].client(&claire_http);
    eventually(
        "generation 2 on every host",
        Duration::from_secs(30),
        || async {
            let body = ops.get("/ops").await.body;
            ["web-1", "web-2", "web-3"]
                .iter()
                .all(|id| body.contains(&format!(r#"data-host="{id}" data-generation="2""#)))
                .then_some(())
        },
    )
    .await;

    // Logged out on web-1: web-2 and web-3 refuse the session at once.
    let home = hosts[0].client(&claire_http).get("/me/my-account").await;
    let out = hosts[0]
        .client(&claire_http)
        .post("/logout", &[("_csrf", &home.host_csrf())])
        .await;
    assert_eq!(out.status, 303);
    for h in &hosts[1..] {
        let after = h.client(&claire_http).get("/me/my-account").await;
        assert_eq!(after.status, 303, "{}: signed out everywhere", h.url);
        assert!(after.location.unwrap().starts_with("/login"));
    }
}

/// Issue 16: a host killed with kill -9 after claiming a message (its lease
/// written, the recipient not called) loses nothing: once the lease expires
/// another host delivers it, once.
#[tokio::test]
async fn a_host_killed_mid_delivery_hands_over_when_its_lease_expires() {
    let Some(store) = pg_store("kill") else {
        testing::skipped();
        return;
    };
    let areas = invoicing::areas("default");
    // web-b serves pages and does not deliver; web-a delivers and dies.
    let web_b = Host::start("web-b", &store, &areas, &[("PORTICO_HOLD_DELIVERY", "1")]);
    let mut web_a = Host::start(
        "web-a",
        &store,
        &areas,
        &[
            ("PORTICO_TEST_MOVABLE_CLOCK", "1"),
            ("PORTICO_TEST_KILL_AFTER_CLAIM", "1"),
        ],
    );
    let (claire_http, paul_http) = (browser(), browser());
    let claire = manager_of(
        web_b.client(&claire_http),
        "Claire",
        "claire@example.com",
        SUPPLIER,
        "Ateliers Dupont",
        "private",
    )
    .await;
    let paul = manager_of(
        web_b.client(&paul_http),
        "Paul",
        "paul@example.com",
        BUYER,
        "Préfecture",
        "public",
    )
    .await;
    let sent = enter_invoice(
        &claire,
        &invoice_form("F-KILL-LEASE"),
        &[("action", "send"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let id = invoice_id(&sent);
    let died = Instant::now() + Duration::from_secs(30);
    while web_a.child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < died,
            "web-a claims the message and kills itself"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    {
        let (_dir, s) = open(&store);
        let leases = s.leases().unwrap();
        assert_eq!(leases.len(), 1, "{leases:?}");
        assert_eq!(leases[0].lease.host, "web-a");
        assert_eq!(
            (leases[0].structure.as_str(), leases[0].area.as_str()),
            (BUYER, "received-invoices")
        );
        assert_eq!(s.outbox_page(None, 10).unwrap().len(), 1, "still queued");
    }
    // web-c starts while web-a's lease lives: it does not deliver there…
    let web_c = Host::start(
        "web-c",
        &store,
        &areas,
        &[("PORTICO_TEST_MOVABLE_CLOCK", "1")],
    );
    let inbox = paul
        .get_json(&format!("/s/{BUYER}/received-invoices"))
        .await
        .json();
    assert_eq!(inbox["total"], 0, "{inbox}");
    // …until the lease has expired by its clock.
    let moved = reqwest::Client::new()
        .post(format!(
            "{}/test/clock?advance-ms={}",
            web_c.url,
            portico::store::LEASE_MS + 1_000
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    eventually(
        "the invoice delivered by web-c",
        Duration::from_secs(30),
        || async {
            let v = paul
                .get_json(&format!("/s/{BUYER}/received-invoices"))
                .await
                .json();
            (v["total"] == 1).then_some(())
        },
    )
    .await;
    until_status(&claire, &id, "MISE_A_DISPOSITION").await;
    delivered_once(&store).await;
}
