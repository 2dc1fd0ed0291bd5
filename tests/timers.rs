//! Contract 1.1.0 end to end: durable timers on a movable clock (a real
//! `portico` process killed with SIGKILL and restarted), a component built
//! against contract 1.0.0 running unchanged, and `portico check` naming each
//! area's contract version and refusing a too-new one.
//!
//! No test here sleeps to let time pass: the server runs with
//! `PORTICO_TEST_MOVABLE_CLOCK=1` and the test moves its clock with
//! `POST /test/clock`. Waiting for the delivery worker uses a sentinel timer
//! due at once: when it has arrived, the worker has looked at every timer
//! due at that time.

mod support;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";
const SUPPLIER: &str = "73282932000074";
const BUYER: &str = "13000165200010";
const MINUTE: u64 = 60_000;
/// The test hook that SIGKILLs the host between a timer's promotion to the
/// outbox and its delivery (`portico::delivery::KILL_AFTER_PROMOTION_ENV`).
const KILL_AFTER_PROMOTION: &str = portico::delivery::KILL_AFTER_PROMOTION_ENV;

/// A child `portico`, killed (SIGKILL) when dropped.
struct Host(Child);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `portico serve` on `data` with the movable test clock.
fn spawn(config: &Path, data: &Path) -> (Host, String) {
    spawn_with(config, data, &[])
}

/// [`spawn`] with more environment variables (test hooks).
fn spawn_with(config: &Path, data: &Path, env: &[(&str, &str)]) -> (Host, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .arg("--plugin-dir")
        .arg(support::plugin_dir())
        .arg("--data")
        .arg(data)
        .args(support::store_args(data))
        .env("RUST_LOG", "info")
        .env("PORTICO_TEST_MOVABLE_CLOCK", "1")
        .env_remove("PORTICO_HOLD_DELIVERY")
        .env_remove(KILL_AFTER_PROMOTION)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("portico starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
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
    std::thread::spawn(move || for _ in lines {});
    (Host(child), url)
}

fn client(base: &str, http: Option<&reqwest::Client>, data: &Path) -> support::Client {
    support::Client {
        http: http.cloned().unwrap_or_else(support::browser),
        base: base.to_string(),
        mailbox: Some(data.join("mailbox")),
    }
}

/// Polls `check` until it answers; the worker runs every 100 ms.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Moves the server's clock forward.
async fn advance(c: &support::Client, ms: u64) {
    let r = c
        .http
        .post(format!("{}/test/clock?advance-ms={ms}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

fn catalog(fixture: &Path) -> String {
    format!(
        r#"areas:
  - id: homepage
    title: Logged-in homepage
    plugin: {homepage}
    version: 1.0.0
    order: 10
  - id: fixture
    title: Fixture
    plugin: {fixture}
    version: 1.0.0
    order: 50
    capabilities: [kv, messages, timers, log]
  - id: quiet
    title: Without timers
    plugin: {fixture}
    version: 1.0.0
    order: 60
    capabilities: [kv, log]
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        homepage = support::plugin("homepage").display(),
        fixture = fixture.display(),
        account = support::plugin("my-account").display(),
    )
}

/// The fixture's inbox in `structure`: the messages (and timers) it took.
async fn inbox(c: &support::Client, structure: &str) -> Vec<Value> {
    let page = c.get_json(&format!("/s/{structure}/fixture/inbox")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.json()["ok"].as_array().cloned().unwrap_or_default()
}

fn kinds(inbox: &[Value]) -> Vec<String> {
    inbox
        .iter()
        .map(|m| m["kind"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Schedules a timer `in_ms` from the server's now; returns its id.
async fn schedule(c: &support::Client, in_ms: u64, kind: &str, payload: &str) -> String {
    let page = c
        .get_json(&format!(
            "/s/{SUPPLIER}/fixture/timers/schedule?in={in_ms}&kind={kind}&payload={payload}"
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let v = page.json();
    assert_eq!(v["error"], Value::Null, "{v}");
    v["ok"].as_str().unwrap().to_string()
}

/// Schedules a timer due now and waits for it: proof that the delivery
/// worker made a pass after the clock's last move.
async fn worker_caught_up(c: &support::Client, name: &str) -> Vec<Value> {
    schedule(c, 0, name, "").await;
    eventually(&format!("sentinel timer {name}"), || async {
        let taken = inbox(c, SUPPLIER).await;
        kinds(&taken).contains(&name.to_string()).then_some(taken)
    })
    .await
}

#[tokio::test]
async fn a_timer_fires_once_due_by_the_movable_clock_and_survives_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("areas.yaml");
    std::fs::write(&config, catalog(&support::plugin("fixture"))).unwrap();
    let data = dir.path().join("data");

    let (mut first, url) = spawn(&config, &data);
    let alice = client(&url, None, &data);
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let created = alice
        .create_structure(SUPPLIER, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);

    let wake = schedule(&alice, 60 * MINUTE, "wake", "hello").await;
    // Without the capability, the host refuses and names it.
    let denied = alice
        .get_json(&format!("/s/{SUPPLIER}/quiet/timers/schedule?in=0&kind=x"))
        .await
        .json();
    assert_eq!(denied["error"]["kind"], "capability-denied", "{denied}");
    assert!(
        denied["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`timers`")
    );
    // Cancelled in a later call: never delivered; a second cancel finds nothing.
    let never = schedule(&alice, 120 * MINUTE, "never", "").await;
    let cancel = |id: String| {
        let alice = &alice;
        async move {
            alice
                .get_json(&format!("/s/{SUPPLIER}/fixture/timers/cancel?id={id}"))
                .await
                .json()["ok"]
                .clone()
        }
    };
    assert_eq!(cancel(never.clone()).await, true);
    assert_eq!(cancel(never.clone()).await, false);
    // Another area's or a made-up id is not this area's to cancel.
    assert_eq!(cancel("0000000000001-0000000000000000".into()).await, false);
    // A call that fails after scheduling keeps nothing (one transaction).
    let failed = alice
        .get_json(&format!(
            "/s/{SUPPLIER}/fixture/timers/schedule?in=0&kind=lost&then=fail"
        ))
        .await;
    assert_eq!(failed.status, 500, "{}", failed.body);

    // 20 minutes later: the sentinel due now arrives, the 60-minute timer does not.
    advance(&alice, 20 * MINUTE).await;
    let taken = worker_caught_up(&alice, "sentinel-1").await;
    assert_eq!(kinds(&taken), ["sentinel-1"], "{taken:?}");

    first.0.kill().expect("SIGKILL");
    first.0.wait().unwrap();
    // Alice becomes an operator while the server is down.
    let granted = Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["operator", "add", "alice@example.com", "--data"])
        .arg(&data)
        .args(support::store_args(&data))
        .output()
        .unwrap();
    assert!(granted.status.success(), "{granted:?}");

    // A new process, its clock back at the system's time: the timer is
    // still pending and the console lists it.
    let (_second, url) = spawn(&config, &data);
    let alice = client(&url, Some(&alice.http), &data);
    let ops = alice.get("/ops").await;
    assert_eq!(ops.status, 200, "{}", ops.body);
    assert!(ops.body.contains(r#"id="timers""#), "{}", ops.body);
    assert!(
        ops.body.contains(&wake) && !ops.body.contains(&never),
        "the console lists the pending timer, not the cancelled one: {}",
        ops.body
    );
    assert!(ops.body.contains("Test clock"), "{}", ops.body);

    // An hour later by the one clock: sessions expired too (idle 30 min)…
    advance(&alice, 61 * MINUTE).await;
    let expired = alice.get(&format!("/s/{SUPPLIER}/homepage")).await;
    assert_eq!(expired.status, 303, "the session expired with the clock");
    assert!(expired.location.unwrap().starts_with("/login"));
    let back = alice.log_in("alice@example.com", PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);

    // …and the timer fired, once, with what it was scheduled with.
    let taken = worker_caught_up(&alice, "sentinel-2").await;
    let fired: Vec<&Value> = taken.iter().filter(|m| m["kind"] == "wake").collect();
    assert_eq!(fired.len(), 1, "{taken:?}");
    assert_eq!(fired[0]["id"], wake.as_str());
    assert_eq!(fired[0]["payload"], "hello");
    assert_eq!(fired[0]["from_structure"], SUPPLIER);
    assert_eq!(fired[0]["from_area"], "fixture");
    assert!(
        !kinds(&taken).iter().any(|k| k == "never" || k == "lost"),
        "{taken:?}"
    );
    let ops = alice.get("/ops").await;
    assert!(ops.body.contains("No timer pending"), "{}", ops.body);
}

/// How many deliveries of message `id` the fixture committed.
async fn deliveries(c: &support::Client, id: &str) -> u64 {
    let v = c
        .get_json(&format!("/s/{SUPPLIER}/fixture/deliveries?id={id}"))
        .await
        .json();
    v["ok"].as_u64().unwrap_or_else(|| panic!("{v}"))
}

#[tokio::test]
async fn a_timer_killed_9_between_its_promotion_and_its_delivery_arrives_exactly_once() {
    use std::os::unix::process::ExitStatusExt as _;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("areas.yaml");
    std::fs::write(&config, catalog(&support::plugin("fixture"))).unwrap();
    let data = dir.path().join("data");

    // The hook: the host SIGKILLs itself right after a pass has durably
    // moved due timers to the outbox, before it delivers any.
    let (mut first, url) = spawn_with(&config, &data, &[(KILL_AFTER_PROMOTION, "1")]);
    let alice = client(&url, None, &data);
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let created = alice
        .create_structure(SUPPLIER, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let wake = schedule(&alice, 60 * MINUTE, "wake", "once").await;
    advance(&alice, 61 * MINUTE).await;

    // The next pass promotes it and the process dies of SIGKILL.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = first.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the host was not killed after promoting the due timer"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status.signal(), Some(9), "{status:?}");

    // On disk, while no host runs: the timer left the timers, sits in the
    // outbox as a queued message, and the area has not seen it.
    {
        let store = support::open_store(&data);
        assert_eq!(store.timer(&wake).unwrap(), None, "promoted, not pending");
        let outbox = store.outbox_page(None, 10).unwrap();
        let queued: Vec<_> = outbox.iter().map(|e| e.message.id.as_str()).collect();
        assert_eq!(queued, [wake.as_str()], "{outbox:?}");
        assert_eq!(outbox[0].attempts, 0, "never tried");
        assert!(!store.inbox_has(SUPPLIER, "fixture", &wake).unwrap());
        let flow = store.flow(&wake).unwrap().expect("its flow line");
        assert_eq!(flow.state, portico::store::FlowState::Queued);
    }

    // A new process (clock back at the system's time; the message is due
    // at the first process's time, so move this clock past it too).
    let (_second, url) = spawn(&config, &data);
    let alice = client(&url, Some(&alice.http), &data);
    advance(&alice, 62 * MINUTE).await;
    let back = alice.log_in("alice@example.com", PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let taken = worker_caught_up(&alice, "sentinel-1").await;
    let fired: Vec<&Value> = taken.iter().filter(|m| m["kind"] == "wake").collect();
    assert_eq!(fired.len(), 1, "{taken:?}");
    assert_eq!(fired[0]["id"], wake.as_str());
    assert_eq!(fired[0]["payload"], "once");
    // Exactly once: the area's on-message committed one delivery, and a
    // later pass of the worker does not deliver it again.
    assert_eq!(deliveries(&alice, &wake).await, 1);
    worker_caught_up(&alice, "sentinel-2").await;
    assert_eq!(deliveries(&alice, &wake).await, 1);
}

/// The fixture area as built from contract 1.0.0, before 1.1 existed.
fn legacy_fixture() -> PathBuf {
    support::repo()
        .join("tests/fixtures/contract-1.0.0/fixture.wasm")
        .canonicalize()
        .unwrap()
}

fn legacy_catalog() -> String {
    format!(
        r#"areas:
  - id: fixture
    title: Fixture (contract 1.0.0)
    plugin: {legacy}
    version: 1.0.0
    order: 50
    capabilities: [kv, messages, log]
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        legacy = legacy_fixture().display(),
        account = support::plugin("my-account").display(),
    )
}

#[tokio::test]
async fn a_component_built_against_contract_1_0_0_runs_unchanged() {
    let portal = support::Portal::start(&legacy_catalog());
    let alice = portal.client();
    // Without PORTICO_TEST_MOVABLE_CLOCK=1 the clock cannot be moved: no such route.
    let moved = alice
        .http
        .post(format!("{}/test/clock?advance-ms=3600000", portal.url))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 404);
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    for (siret, name, kind) in [
        (SUPPLIER, "Ateliers Dupont", "private"),
        (BUYER, "Préfecture", "public"),
    ] {
        let created = alice.create_structure(siret, name, kind).await;
        assert_eq!(created.status, 303, "{}", created.body);
    }

    // A page, rendered from the area's template inside the host layout.
    let page = alice
        .get(&format!("/s/{SUPPLIER}/fixture/echo?said=hi"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("said"), "{}", page.body);
    assert!(
        page.tabs()
            .contains(&"Fixture (contract 1.0.0)".to_string())
    );
    let cx = alice
        .get_json(&format!("/s/{SUPPLIER}/fixture/context"))
        .await
        .json();
    assert_eq!(cx["ok"]["structure"]["id"], SUPPLIER, "{cx}");

    // A kv write, read back.
    let set = alice
        .get_json(&format!("/s/{SUPPLIER}/fixture/kv/set?key=k&value=kept"))
        .await
        .json();
    assert_eq!(set["error"], Value::Null, "{set}");
    let got = alice
        .get_json(&format!("/s/{SUPPLIER}/fixture/kv/get?key=k"))
        .await
        .json();
    assert_eq!(got["ok"], "kept", "{got}");

    // A message to the same area of another structure, delivered.
    let sent = alice
        .get_json(&format!(
            "/s/{SUPPLIER}/fixture/messages/send?to={BUYER}&area=fixture&kind=hello&payload=from-1.0"
        ))
        .await
        .json();
    let id = sent["ok"]
        .as_str()
        .unwrap_or_else(|| panic!("{sent}"))
        .to_string();
    let taken = eventually("the 1.0 message in the buyer's fixture", || async {
        let taken = inbox(&alice, BUYER).await;
        (!taken.is_empty()).then_some(taken)
    })
    .await;
    assert_eq!(taken[0]["id"], id.as_str());
    assert_eq!(taken[0]["payload"], "from-1.0");
    assert_eq!(taken[0]["from_structure"], SUPPLIER);
}

fn check(config: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portico"))
        .arg("check")
        .arg(config)
        .arg("--plugin-dir")
        .arg(support::plugin_dir())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn check_names_each_areas_contract_and_refuses_a_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("areas.yaml");
    let both = format!(
        "{}  - id: current\n    title: Current\n    plugin: {}\n    version: 1.0.0\n    capabilities: [kv, timers]\n",
        legacy_catalog(),
        support::plugin("fixture").display()
    );
    std::fs::write(&config, both).unwrap();
    let (ok, text) = check(&config);
    assert!(ok, "{text}");
    let line = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("ok  {id} ")))
            .unwrap_or_else(|| panic!("no line for {id}: {text}"))
            .to_string()
    };
    assert!(line("fixture").contains("portico:area@1.0.0"), "{text}");
    assert!(line("current").contains("portico:area@1.2.0"), "{text}");

    // A component built against a contract this host does not implement yet.
    let newer = dir.path().join("newer.wasm");
    std::fs::write(
        &newer,
        wat::parse_str(
            r#"(component (instance $i) (export "portico:area/plugin@1.3.0" (instance $i)))"#,
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(
        &config,
        format!(
            "{}  - id: newer\n    title: Newer\n    plugin: {}\n    version: 1.0.0\n",
            legacy_catalog(),
            newer.display()
        ),
    )
    .unwrap();
    let (ok, text) = check(&config);
    assert!(!ok, "{text}");
    assert!(
        text.contains("built against portico:area@1.3.0")
            && text.contains("this host implements portico:area@1.0.0 to 1.2.0"),
        "{text}"
    );
}

#[test]
fn the_movable_clock_is_refused_on_a_deployment_behind_https() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_portico"))
        .args([
            "serve",
            "--secure-cookies",
            "--listen",
            "127.0.0.1:0",
            "--data",
        ])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(dir.path().join("areas.yaml"))
        .env("PORTICO_TEST_MOVABLE_CLOCK", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PORTICO_TEST_MOVABLE_CLOCK") && err.contains("--secure-cookies"),
        "{err}"
    );
}
