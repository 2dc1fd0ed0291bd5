//! Hot reload under load: while four clients keep requesting several areas,
//! areas.yaml is rewritten more than twenty times (an area withdrawn and
//! added back, another upgraded, broken files in between). No request to an
//! area present before and after a reload may fail, and every change must
//! be visible within a second of the file write.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::{Client, Portal, plugin};

const PASSWORD: &str = "correct horse battery staple";
const A: &str = "73282932000074";
/// The promise: a change is served within this time of the file write.
const VISIBLE_WITHIN: Duration = Duration::from_secs(1);
/// Rounds of (withdraw, break, add + upgrade, break): 4 reloads each.
const ROUNDS: u32 = 6;

/// The catalog: `homepage` and `fixture` never change, `swap` is upgraded
/// to `version`, and `extra` is present or withdrawn.
fn areas(version: &str, extra: bool) -> String {
    let mut yaml = format!(
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
    order: 20
    capabilities: [kv, log]
  - id: swap
    title: Swap
    plugin: {fixture}
    version: {version}
    order: 30
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
    );
    if extra {
        yaml.push_str(&format!(
            "  - id: extra\n    title: Extra\n    plugin: {}\n    version: 1.0.0\n    order: 40\n    capabilities: [kv]\n",
            plugin("hello").display()
        ));
    }
    yaml
}

/// Two kinds of broken file: not YAML, and a plugin that does not exist.
fn broken(round: u32) -> String {
    if round.is_multiple_of(2) {
        format!("{}  - id: [unclosed\n", areas("9.9.9", true))
    } else {
        areas("9.9.9", true).replace("hello.wasm", "no-such-plugin.wasm")
    }
}

async fn metrics(client: &Client) -> String {
    client.get("/metrics").await.body
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// Polls until `check` holds; panics if it takes longer than the promise.
async fn visible<F, Fut>(what: &str, written: Instant, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        if check().await {
            return;
        }
        assert!(
            written.elapsed() < VISIBLE_WITHIN,
            "{what}: not visible {VISIBLE_WITHIN:?} after the write"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_four_reloads_under_load_fail_no_request_and_show_within_a_second() {
    // Every plugin is in the first catalog, so the compile cache holds them
    // all before the clock starts (a debug build compiles one in ~1 s).
    let portal = Portal::start(&areas("1.0.0", true));
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let created = alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);

    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for worker in 0..4 {
        let client = portal.client();
        client.log_in("alice@example.com", PASSWORD).await;
        let (stop, served) = (stop.clone(), served.clone());
        load.push(tokio::spawn(async move {
            let stable = [
                format!("/s/{A}/homepage"),
                format!("/s/{A}/fixture/echo?w={worker}"),
                format!("/s/{A}/swap/echo"),
                "/me/my-account".to_string(),
            ];
            let mut failures = Vec::new();
            let mut i = worker;
            while !stop.load(Ordering::Relaxed) {
                let path = &stable[i % stable.len()];
                let page = client.get(path).await;
                if page.status != 200 {
                    failures.push(format!("{path}: {} {}", page.status, page.body));
                }
                // `extra` comes and goes: present (200) or withdrawn (404), nothing else.
                let extra = client.get(&format!("/s/{A}/extra")).await;
                if !matches!(extra.status, 200 | 404) {
                    failures.push(format!("extra: {} {}", extra.status, extra.body));
                }
                served.fetch_add(2, Ordering::Relaxed);
                i += 1;
            }
            failures
        }));
    }

    let home = format!("/s/{A}/homepage");
    let mut reloads: u32 = 0;
    for round in 0..ROUNDS {
        let version = format!("1.{}.0", round + 1);

        // Withdraw `extra`: gone from the tab bar.
        let written = Instant::now();
        portal.write_areas(&areas(&version, false));
        reloads += 1;
        visible("withdrawn area leaves the tab bar", written, || async {
            !alice.get(&home).await.tabs().contains(&"Extra".to_string())
        })
        .await;

        // A broken file: refused, everything keeps serving.
        let before = metric(&metrics(&alice).await, "portico_reload_attempts_total");
        let written = Instant::now();
        portal.write_areas(&broken(round));
        reloads += 1;
        visible("a broken file is refused", written, || async {
            let m = metrics(&alice).await;
            metric(&m, "portico_reload_attempts_total") > before
                && metric(&m, "portico_last_reload_success") == 0
        })
        .await;
        assert!(
            !alice.get(&home).await.tabs().contains(&"Extra".to_string()),
            "a failed reload changes nothing"
        );

        // Add `extra` back and upgrade `swap`.
        let written = Instant::now();
        portal.write_areas(&areas(&version, true));
        reloads += 1;
        let upgraded = format!("portico_area_loaded{{area=\"swap\",version=\"{version}\"}} 1");
        visible("added area and upgrade", written, || async {
            alice.get(&home).await.tabs().contains(&"Extra".to_string())
                && metrics(&alice).await.contains(&upgraded)
        })
        .await;

        // Broken again, the other way.
        let before = metric(&metrics(&alice).await, "portico_reload_attempts_total");
        let written = Instant::now();
        portal.write_areas(&broken(round + 1));
        reloads += 1;
        visible("a broken file is refused", written, || async {
            let m = metrics(&alice).await;
            metric(&m, "portico_reload_attempts_total") > before
                && metric(&m, "portico_last_reload_success") == 0
        })
        .await;
    }
    assert!(reloads >= 20);

    stop.store(true, Ordering::Relaxed);
    let mut failures = Vec::new();
    for task in load {
        failures.extend(task.await.unwrap());
    }
    assert!(
        failures.is_empty(),
        "failed requests during reloads: {failures:#?}"
    );
    let served = served.load(Ordering::Relaxed);
    assert!(served >= 200, "the load was real: {served} requests");

    // The history: every attempt counted, the last one failed, the previous
    // catalog still serving (with the data of the returning area intact).
    let m = metrics(&alice).await;
    assert_eq!(
        metric(&m, "portico_reload_attempts_total"),
        1 + u64::from(reloads)
    );
    assert_eq!(
        metric(&m, "portico_catalog_generation"),
        1 + 2 * u64::from(ROUNDS)
    );
}

#[tokio::test]
async fn a_withdrawn_area_keeps_its_data_and_portico_reload_reports_the_outcome() {
    let portal = Portal::start(&areas("1.0.0", true));
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    let set = alice
        .get_json(&format!("/s/{A}/fixture/kv/set?key=kept&value=yes"))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["error"], serde_json::Value::Null, "{}", set.body);
    let got = alice
        .get_json(&format!("/s/{A}/fixture/kv/get?key=kept"))
        .await
        .json();
    assert_eq!(got["ok"], "yes", "{got}");

    // Withdraw the fixture area without touching the file watcher's timing:
    // write the file, then ask explicitly with `portico reload`.
    let without =
        areas("1.0.0", true).replace("  - id: fixture\n", "  - id: fixture-gone-for-now\n");
    portal.write_areas(&without);
    let out = reload_command(&portal);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("sent SIGHUP to Portico"), "{said}");
    assert_eq!(
        alice
            .get(&format!("/s/{A}/fixture/kv/get?key=kept"))
            .await
            .status,
        404
    );

    // Back again: the data is still there.
    portal.write_areas(&areas("1.0.0", true));
    let out = reload_command(&portal);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = alice
        .get_json(&format!("/s/{A}/fixture/kv/get?key=kept"))
        .await;
    assert_eq!(kept.status, 200, "the area is back at once: {}", kept.body);
    let kept = kept.json();
    assert_eq!(kept["ok"], "yes");

    // A broken file: `portico reload` fails and says why, with file:line.
    portal.write_areas(&broken(1));
    let out = reload_command(&portal);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("FAILED") && said.contains("areas.yaml:"),
        "{said}"
    );
    assert!(said.contains("no-such-plugin.wasm"), "{said}");
}

fn reload_command(portal: &Portal) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .arg("reload")
        .arg("--data")
        .arg(portal.data())
        .output()
        .unwrap()
}

/// `portico operator add ops@example.com` on `dir/data`; the password.
fn add_operator(dir: &std::path::Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["operator", "add", "ops@example.com", "--data"])
        .arg(dir.join("data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    said.lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap_or_else(|| panic!("a generated password is printed: {said}"))
        .to_string()
}

/// Issue 9, defect 10: `portico reload` exits non-zero without an outcome,
/// a rebuilt plugin under the same version is reported as a change, and a
/// second server on the same data directory says a server is using it.
#[tokio::test]
async fn operator_commands_say_what_really_happened() {
    let dir = tempfile::tempdir().unwrap();
    let password = add_operator(dir.path());
    // `extra` is served from a copy that the test replaces.
    let extra = dir.path().join("extra.wasm");
    std::fs::copy(plugin("hello"), &extra).unwrap();
    let yaml = areas("1.0.0", true).replace(
        &plugin("hello").display().to_string(),
        &extra.display().to_string(),
    );
    let portal = Portal::start_in(dir, &yaml, &[]);

    let second = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(portal.config())
        .arg("--data")
        .arg(portal.data())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "a second server must not start");
    assert!(said.contains("a Portico server is using it"), "{said}");
    assert!(
        !said.contains("could not acquire lock"),
        "no raw lock error: {said}"
    );

    // A new build under the same version, moved over the old file.
    let tmp = portal.dir.path().join(".extra.wasm.tmp");
    std::fs::copy(plugin("fixture"), &tmp).unwrap();
    std::fs::rename(&tmp, &extra).unwrap();
    let out = reload_command(&portal);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The file watcher may have reloaded first; either way the history
    // (newest 20 reloads, in /ops) has the change, never "nothing changed".
    let ops = portal.client();
    let login = ops.log_in("ops@example.com", &password).await;
    assert_eq!(login.status, 303, "{}", login.body);
    let console = ops.get("/ops").await;
    assert!(
        console
            .body
            .contains("~extra 1.0.0 rebuilt (same version, new content)"),
        "{}",
        console.body
    );

    // A server that never answers: `reload` must not exit 0.
    let mut deaf = std::process::Command::new("sh")
        .args(["-c", "trap '' HUP; sleep 30"])
        .spawn()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("portico.pid"), format!("{}\n", deaf.id())).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["reload", "--wait", "1", "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    let _ = deaf.kill();
    let _ = deaf.wait();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "no outcome is not a success: {said}");
    assert!(said.contains("no outcome after 1 s"), "{said}");
}

#[tokio::test]
async fn operators_see_the_console_others_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let password = add_operator(dir.path());

    let portal = Portal::start_in(dir, &areas("1.0.0", true), &[]);
    let anonymous = portal.client().get("/ops").await;
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.location.unwrap().starts_with("/login"));

    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(alice.get("/ops").await.status, 403, "not an operator");
    alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    assert_eq!(alice.get(&format!("/s/{A}/fixture/trap")).await.status, 500);

    let ops = portal.client();
    let login = ops.log_in("ops@example.com", &password).await;
    assert_eq!(login.status, 303, "{}", login.body);
    let console = ops.get("/ops").await;
    assert_eq!(console.status, 200, "{}", console.body);
    for expected in [
        "id=\"area-fixture\"",
        "id=\"area-extra\"",
        "loaded (cache-hit)",
        "deliberate trap",
        "generation 1 serving",
    ] {
        assert!(
            console.body.contains(expected),
            "the console shows {expected:?}: {}",
            console.body
        );
    }
    // Per-area counters: one call of fixture, one error, one trap.
    let m = metrics(&ops).await;
    assert!(
        m.contains("portico_area_calls_total{area=\"fixture\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("portico_area_traps_total{area=\"fixture\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("portico_area_call_duration_seconds_count{area=\"fixture\"} 1"),
        "{m}"
    );
}
