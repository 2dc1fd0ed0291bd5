//! The sandbox under attack: a hostile area tries every way to hurt the host
//! or reach another tenant's data, and each attempt ends as a clear error
//! panel (or a refused host call) while the other areas keep answering.
//!
//! Outcomes are asserted, never durations: what stops a loop is the epoch
//! deadline, and the test checks that it is reported as such.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::{Client, Portal, plugin};

const PASSWORD: &str = "correct horse battery staple";
const A: &str = "73282932000074";
const B: &str = "13000165200010";

fn areas(hostile_timeout_ms: u32) -> String {
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
    order: 20
    capabilities: [kv, facts, log]
  - id: hostile
    title: Hostile
    plugin: {hostile}
    version: 1.0.0
    order: 30
    capabilities: [kv, facts, messages, log]
    limits: {{ memory-mib: 32, timeout-ms: {hostile_timeout_ms}, storage-mib: 4 }}
  - id: hostile-big
    title: Hostile with room
    plugin: {hostile}
    version: 1.0.0
    order: 40
    limits: {{ memory-mib: 192, timeout-ms: 5000 }}
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
        hostile = plugin("hostile").display(),
        account = plugin("my-account").display(),
    )
}

/// A portal with one user, manager of structures A and B.
async fn portal_with(args: &[&str], hostile_timeout_ms: u32) -> (Portal, Client) {
    let portal = Portal::start_in(
        tempfile::tempdir().unwrap(),
        &areas(hostile_timeout_ms),
        args,
    );
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let a = alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let b = alice.create_structure(B, "Préfecture", "public").await;
    assert_eq!(b.status, 303, "{}", b.body);
    (portal, alice)
}

/// Runs the hostile request while the homepage of A is requested alongside;
/// the homepage must answer normally. Returns the hostile response.
async fn while_others_answer(alice: &Client, hostile: &str) -> support::Page {
    let normal = async {
        // Let the hostile call start first, so the two really overlap.
        tokio::time::sleep(Duration::from_millis(50)).await;
        alice.get(&format!("/s/{A}/homepage")).await
    };
    let (attacked, normal) = tokio::join!(alice.get(hostile), normal);
    assert_eq!(
        normal.status, 200,
        "homepage during {hostile}: {}",
        normal.body
    );
    assert!(normal.tabs().contains(&"Hostile".to_string()));
    attacked
}

/// Asserts an error panel: status, message, and the layout around it.
fn assert_panel(page: &support::Page, status: u16, message: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    assert!(
        page.body.contains("could not answer") && page.body.contains(message),
        "expected an error panel saying {message:?}: {}",
        page.body
    );
    assert!(page.body.contains("The other tabs keep working"));
    assert!(!page.tabs().is_empty(), "the tab bar stays");
}

#[tokio::test]
async fn every_sandbox_bound_stops_its_attack_with_a_clear_panel() {
    let (_portal, alice) = portal_with(&[], 1000).await;
    let h = format!("/s/{A}/hostile");
    let big = format!("/s/{A}/hostile-big");

    let page = while_others_answer(&alice, &format!("{h}/loop")).await;
    assert_panel(&page, 504, "did not answer within its 1000 ms time limit");

    let page = while_others_answer(&alice, &format!("{h}/memory")).await;
    assert_panel(&page, 500, "more than its 32 MiB memory limit");

    let page = while_others_answer(&alice, &format!("{h}/recurse")).await;
    assert_panel(&page, 500, "overflowed its call stack");

    // A panic's text may carry data: the log and /ops get it, not the person.
    let page = while_others_answer(&alice, &format!("{h}/panic")).await;
    assert_panel(&page, 500, "the area crashed");
    assert!(!page.body.contains("deliberate panic"), "{}", page.body);
    let rid = page.headers["x-request-id"].to_str().unwrap();
    assert!(page.body.contains(rid), "the request id is shown");

    let page = while_others_answer(&alice, &format!("{big}/huge-view?mib=5")).await;
    assert_panel(&page, 500, "a view&#x27;s data is at most 4 MiB");

    let page = while_others_answer(&alice, &format!("{big}/huge-download?mib=40")).await;
    assert_panel(&page, 500, "a download is at most 32 MiB");

    let page = while_others_answer(&alice, &format!("{h}/template-bomb")).await;
    assert_panel(&page, 500, "failed to render");
    assert!(page.body.contains("fuel"), "names the cause: {}", page.body);

    // The hostile area itself answers again: failures do not poison it.
    let page = alice.get(&format!("{h}/list")).await;
    assert_eq!(page.status, 200, "{}", page.body);
}

#[tokio::test]
async fn storage_bounds_refuse_big_values_long_keys_floods_and_too_many_calls() {
    let (portal, alice) = portal_with(&[], 1000).await;
    let h = format!("/s/{A}/hostile");

    let big = alice.get_json(&format!("{h}/kv-big")).await.json()["ok"].clone();
    assert_eq!(big["big_value"]["kind"], "limit-exceeded", "{big}");
    assert!(
        big["big_value"]["message"]
            .as_str()
            .unwrap()
            .contains("1048576")
    );
    assert_eq!(big["long_key"]["kind"], "limit-exceeded", "{big}");
    assert!(big["long_key"]["message"].as_str().unwrap().contains("256"));

    // storage-mib: 4 → three 1 MiB values fit (keys count too), the fourth does not.
    let flood = alice.get_json(&format!("{h}/kv-flood?tag=1")).await.json()["ok"].clone();
    assert_eq!(flood["written_mib"], 3, "{flood}");
    assert_eq!(flood["error"]["kind"], "limit-exceeded", "{flood}");
    assert!(
        flood["error"]["message"]
            .as_str()
            .unwrap()
            .contains("storage quota of 4 MiB"),
        "{flood}"
    );
    // The quota holds across requests, and only for this (area, structure).
    let again = alice.get_json(&format!("{h}/kv-flood?tag=2")).await.json()["ok"].clone();
    assert_eq!(again["written_mib"], 0, "{again}");
    let elsewhere = alice
        .get_json(&format!("/s/{B}/hostile/kv-flood?tag=1"))
        .await
        .json()["ok"]
        .clone();
    assert_eq!(elsewhere["written_mib"], 3, "{elsewhere}");

    let flood = alice.get_json(&format!("{h}/host-flood")).await.json()["ok"].clone();
    assert_eq!(flood["answered"], 10_000, "{flood}");
    assert_eq!(flood["error"]["kind"], "limit-exceeded", "{flood}");

    let metrics = alice.metrics().await.body;
    assert!(
        metrics.contains("portico_area_calls_total{area=\"hostile\"} 5"),
        "{metrics}"
    );
    drop(portal);
}

#[tokio::test]
async fn no_import_writes_outside_the_area_and_structure_it_runs_for() {
    let (_portal, alice) = portal_with(&[], 1000).await;
    let escape = alice
        .get_json(&format!("/s/{A}/hostile/escape?other={B}"))
        .await
        .json()["ok"]
        .clone();
    // Every hostile key is accepted, as a key of the hostile area's own namespace.
    for attempt in escape["kv"].as_array().unwrap() {
        assert_eq!(attempt["result"], "ok", "{attempt}");
    }
    assert_eq!(escape["facts_other_area"]["kind"], "invalid", "{escape}");
    assert_eq!(escape["facts_dotted"]["kind"], "invalid", "{escape}");
    // Messages are how areas reach other structures: both are accepted, but
    // the host stamps them as from (A, hostile) — the sender cannot forge
    // its origin — and they write nothing in B; the one to a structure that
    // does not exist comes back to the sender as `delivery-failed`
    // (tests/messages.rs covers delivery and bounces).
    assert_eq!(escape["message_forged"], "ok", "{escape}");
    assert_eq!(escape["message_nonexistent"], "ok", "{escape}");
    assert_eq!(escape["directory"]["kind"], "capability-denied", "{escape}");
    assert_eq!(escape["account"]["kind"], "capability-denied", "{escape}");

    // They all landed in (hostile, A), byte for byte…
    let own = alice.get_json(&format!("/s/{A}/hostile/list")).await.json()["ok"].clone();
    let own: Vec<&str> = own
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(own.len(), escape["kv"].as_array().unwrap().len(), "{own:?}");
    assert!(own.contains(&"../fixture/secret"));
    // …and nowhere else: not in B, not in the fixture area of A.
    let other = alice.get_json(&format!("/s/{B}/hostile/list")).await.json()["ok"].clone();
    assert_eq!(other, Value::Array(vec![]), "structure B sees nothing");
    let fixture = alice
        .get_json(&format!("/s/{A}/fixture/kv/list?prefix="))
        .await
        .json();
    assert_eq!(fixture["ok"], Value::Array(vec![]), "{fixture}");
    for area in ["fixture", "hostile"] {
        let fact = alice
            .get_json(&format!("/s/{A}/fixture/facts/get?area={area}&name=paid"))
            .await
            .json();
        assert_eq!(fact["ok"], Value::Null, "{fact}");
    }
}

#[tokio::test]
async fn a_full_sandbox_pool_answers_503_with_retry_after_then_recovers() {
    let (portal, alice) = portal_with(&["--max-concurrent-calls", "1"], 4000).await;
    let hog = portal.client();
    hog.log_in("alice@example.com", PASSWORD).await;
    let looping =
        tokio::spawn(async move { hog.get(&format!("/s/{A}/hostile/loop")).await.status });
    // Wait (functional deadline) until the loop holds the only slot.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let m = alice.metrics().await.body;
        if m.contains("portico_sandbox_slots_in_use 1") {
            assert!(m.contains("portico_sandbox_slots 1"), "{m}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the loop never started: {m}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let busy = alice.get(&format!("/s/{A}/homepage")).await;
    assert_eq!(busy.status, 503, "{}", busy.body);
    assert_eq!(busy.headers.get("retry-after").unwrap(), "1");
    assert!(busy.body.contains("busy"), "{}", busy.body);

    assert_eq!(
        looping.await.unwrap(),
        504,
        "the loop is stopped by its deadline"
    );
    let after = alice.get(&format!("/s/{A}/homepage")).await;
    assert_eq!(after.status, 200, "the slot is free again: {}", after.body);
}

/// 32 requests to an area that sleeps 60 s (blocked in WASI, where no epoch
/// check runs): the area gets its share of the sandbox (8 slots) and no
/// more, the other areas' pages answer while the sleepers hold that share,
/// and each sleeper ends by its deadline (504) or, past the share, after
/// the slot wait (503 + Retry-After) — never after the sleep.
#[tokio::test]
async fn sleeping_requests_end_by_their_deadline_and_take_only_their_share() {
    const SLEEPERS: usize = 32;
    const SHARE: usize = 8; // runtime::MAX_CALLS_PER_AREA
    let (portal, alice) = portal_with(&[], 5000).await;
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sleepers: Vec<_> = (0..SLEEPERS)
        .map(|_| {
            let (client, answered) = (alice.clone(), answered.clone());
            tokio::spawn(async move {
                let page = client.get(&format!("/s/{A}/hostile/sleep?s=60")).await;
                answered.lock().unwrap().push(page.status);
                page
            })
        })
        .collect();
    // Functional wait: until the sleepers hold the area's whole share.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let in_use = format!("portico_sandbox_slots_in_use {SHARE}\n");
    loop {
        let m = portal.client().metrics().await.body;
        if m.contains(&in_use) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sleepers never filled their share: {m}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The other areas answer, through the same sandbox, meanwhile.
    let home = alice.get(&format!("/s/{A}/homepage")).await;
    assert_eq!(home.status, 200, "{}", home.body);
    let fixture = alice.get_json(&format!("/s/{A}/fixture/echo")).await;
    assert_eq!(fixture.status, 200, "{}", fixture.body);
    let m = portal.client().metrics().await.body;
    assert!(
        m.contains(&in_use),
        "the sleepers still held their share when the other pages answered: {m}"
    );
    assert!(
        !answered.lock().unwrap().contains(&504),
        "no sleeper had reached its deadline yet"
    );

    let mut timed_out = 0;
    for sleeper in sleepers {
        let page = sleeper.await.unwrap();
        match page.status {
            504 => {
                timed_out += 1;
                assert_panel(&page, 504, "did not answer within its 5000 ms time limit");
            }
            503 => assert_eq!(page.headers.get("retry-after").unwrap(), "1"),
            other => panic!("a sleeper answered {other}: {}", page.body),
        }
    }
    assert!(
        (1..=SHARE).contains(&timed_out),
        "{timed_out} sleepers ran; the area's share is {SHARE}"
    );
    let after = alice.get(&format!("/s/{A}/hostile/list")).await;
    assert_eq!(after.status, 200, "the area answers again: {}", after.body);
}

/// Every call is a fresh instance, even though the host reuses a pooled slot's
/// memory for it: a call must never see what the previous one wrote. `/residue`
/// counts what an earlier call left in its memory image and in zeroed heap,
/// then marks every other page of both (over a thousand separate dirty runs,
/// far more than the pool's reset collects in one scan of the page map).
#[tokio::test]
async fn a_call_never_sees_what_an_earlier_call_left_in_memory() {
    let (_portal, alice) = portal_with(&[], 5000).await;
    let residue = format!("/s/{A}/hostile/residue");
    let check = |page: support::Page, when: &str| {
        assert_eq!(page.status, 200, "{when}: {}", page.body);
        let found = page.json()["ok"].clone();
        assert!(found["marked_pages"].as_u64().unwrap() > 1000, "{found}");
        assert_eq!(
            (found["image"].as_u64(), found["heap"].as_u64()),
            (Some(0), Some(0)),
            "{when}: a call read bytes an earlier call wrote: {found}"
        );
    };
    // One after the other: the same slot, reset between calls.
    for i in 0..12 {
        check(alice.get_json(&residue).await, &format!("call {i}"));
    }
    // Side by side: several slots at once, each reused afterwards.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (alice, residue) = (alice.clone(), residue.clone());
        calls.spawn(async move { alice.get_json(&residue).await });
    }
    let mut i = 0;
    while let Some(page) = calls.join_next().await {
        check(page.unwrap(), &format!("concurrent call {i}"));
        i += 1;
    }
    for i in 0..6 {
        check(alice.get_json(&residue).await, &format!("late call {i}"));
    }
}
