//! Areas written in Python (sdk/python, componentize-py) through the real
//! host: the `payment-delays` area's pages, forms, download, timers and
//! languages, and `plugins/hostile-py`, whose attacks must be stopped
//! exactly like the Rust hostile area's (tests/hostile.rs).
//!
//! One portal for the whole file: each Python component is ~18 MB of wasm
//! and takes seconds to compile on the first load (then the compile cache
//! serves it), so the steps share it instead of paying that per test.

mod support;

use std::time::Duration;
use support::{Client, Page, Portal, plugin};

const PASSWORD: &str = "correct horse battery staple";
const A: &str = "73282932000074";
const DAY_MS: u64 = 86_400_000;

fn areas() -> String {
    format!(
        r#"areas:
  - id: homepage
    title: Logged-in homepage
    plugin: {homepage}
    version: 1.0.0
    order: 10
    capabilities: [log]
  - id: payment-delays
    title: Payment delays
    plugin: {delays}
    version: 1.0.0
    order: 20
    structure-kinds: [private]
    capabilities: [kv, facts, timers, log]
    limits: {{ memory-mib: 64, timeout-ms: 1000 }}
  - id: hostile-py
    title: Hostile Python
    plugin: {hostile}
    version: 1.0.0
    order: 30
    capabilities: [kv, log]
    limits: {{ memory-mib: 32, timeout-ms: 1000 }}
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        homepage = plugin("homepage").display(),
        delays = plugin("payment-delays").display(),
        hostile = plugin("hostile-py").display(),
        account = plugin("my-account").display(),
    )
}

/// Moves the server's clock forward.
async fn advance(c: &Client, ms: u64) {
    let r = c
        .http
        .post(format!("{}/test/clock?advance-ms={ms}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// Waits (bounded) until the server's log contains `needle`.
async fn log_shows(portal: &Portal, needle: &str) -> bool {
    for _ in 0..200 {
        if portal.log().contains(needle) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Asserts the host's error panel with `message`, as tests/hostile.rs does.
fn assert_panel(page: &Page, status: u16, message: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    assert!(
        page.body.contains("could not answer") && page.body.contains(message),
        "expected an error panel saying {message:?}: {}",
        page.body
    );
    assert!(page.body.contains("The other tabs keep working"));
}

#[tokio::test]
async fn a_python_area_serves_its_pages_and_is_stopped_like_a_rust_one() {
    let portal = Portal::start_movable(&areas());
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let created = alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let delays = format!("/s/{A}/payment-delays");

    // The page, rendered by the host from the Python area's template and
    // English catalogue, with the tab in the bar.
    let page = alice.get(&delays).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.tabs().contains(&"Payment delays".to_string()));
    assert!(
        page.body.contains("<h1>Payment delays</h1>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("No invoice tracked yet"));
    let today = alice.get_json(&delays).await.json()["today"]
        .as_str()
        .unwrap()
        .to_string();

    // Every faulty field at once (422), in the reader's language; nothing kept.
    let bad = alice
        .submit(
            &delays,
            &format!("{delays}/invoices"),
            &[
                ("number", ""),
                ("buyer", "Ville de Lyon"),
                ("buyer-kind", "local"),
                ("amount", "12,345"),
                ("received-on", "2999-01-01"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("This field is required."), "{}", bad.body);
    assert!(bad.body.contains("with at most two decimals"));
    assert!(bad.body.contains("This date is in the future"));
    assert!(
        bad.body
            .contains("Please correct the 3 fields marked below.")
    );
    assert!(
        bad.body.contains(r#"value="Ville de Lyon""#),
        "the form keeps what was typed"
    );

    // A paid-late invoice: due 2025-02-09, paid 2025-03-11 (30 days late),
    // ECB 3.15 % + 8: 1200 × 11.15 % × 30 / 365 = 10.997… → 11.00 €.
    let paid_late = alice
        .submit(
            &delays,
            &format!("{delays}/invoices"),
            &[
                ("number", "F-2025-001"),
                ("buyer", "Ville de Lyon"),
                ("buyer-kind", "local"),
                ("amount", "1 200,00"),
                ("received-on", "2025-01-10"),
                ("paid-on", "2025-03-11"),
            ],
        )
        .await;
    assert_eq!(paid_late.status, 303, "{}", paid_late.body);
    assert_eq!(paid_late.location.as_deref(), Some(delays.as_str()));
    // An unpaid invoice received today: due in 30 days, with a timer then.
    let unpaid = alice
        .submit(
            &delays,
            &format!("{delays}/invoices"),
            &[
                ("number", "F-2025-002"),
                ("buyer", "Préfecture du Rhône"),
                ("buyer-kind", "state"),
                ("amount", "5000"),
                ("received-on", &today),
            ],
        )
        .await;
    assert_eq!(unpaid.status, 303, "{}", unpaid.body);

    let data = alice.get_json(&delays).await.json();
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{data}");
    assert_eq!(rows[0]["days_late"], 30);
    assert_eq!(rows[0]["interest"], "11.00");
    assert_eq!(rows[0]["indemnity"], "40.00");
    assert_eq!(rows[1]["days_left"], 30);
    let page = alice.get(&delays).await;
    assert!(page.body.contains("Paid 30 days late"), "{}", page.body);
    assert!(page.body.contains("Due in 30 days"));

    // The claims as CSV, a download.
    let csv = alice.get(&format!("{delays}/claims.csv")).await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("late-payment-claims-"),
        "{:?}",
        csv.headers
    );
    assert!(
        csv.body.starts_with("Invoice,Buyer,Amount incl. VAT"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("F-2025-001,Ville de Lyon,1200.00,2025-01-10,2025-02-09,2025-03-11,30,11.15,11.00,40.00,51.00"), "{}", csv.body);

    // French reader: the same page from the French catalogue.
    let french = portal.client_in("fr");
    french.log_in("alice@example.com", PASSWORD).await;
    let page = french.get(&delays).await;
    assert!(
        page.body.contains("<h1>Délais de paiement</h1>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Payée avec 30 jours de retard"));

    // ---- hostile Python, each attack while another tab answers ----------
    let h = format!("/s/{A}/hostile-py");
    let attack = |path: String| {
        let alice = &alice;
        async move {
            let normal = async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                alice.get(&format!("/s/{A}/homepage")).await
            };
            let (attacked, normal) = tokio::join!(alice.get(&path), normal);
            assert_eq!(
                normal.status, 200,
                "homepage during {path}: {}",
                normal.body
            );
            attacked
        }
    };
    let page = attack(format!("{h}/loop")).await;
    assert_panel(&page, 504, "did not answer within its 1000 ms time limit");
    let page = attack(format!("{h}/memory")).await;
    assert_panel(&page, 500, "more than its 32 MiB memory limit");
    // An exception: its text stays in the log, the person sees its type; the
    // write made before it is not kept (one call, one transaction).
    let page = attack(format!("{h}/raise")).await;
    assert_panel(&page, 500, "the area failed with RuntimeError");
    assert!(!page.body.contains("hunter2"), "{}", page.body);
    assert!(
        log_shows(&portal, "hunter2").await,
        "the traceback is logged"
    );
    let page = attack(format!("{h}/exit")).await;
    assert_panel(&page, 500, "the area failed with SystemExit");
    let page = alice.get(&format!("{h}/ok")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(r#"<p id="ok">False</p>"#),
        "{}",
        page.body
    );
    // The Python area still answers after its neighbour's attacks.
    assert_eq!(alice.get(&delays).await.status, 200);

    // The due-date timer: 31 days on, on_message recounts the late invoices.
    advance(&alice, 31 * DAY_MS).await;
    assert!(
        log_shows(
            &portal,
            "invoice F-2025-002 reached its due date; 1 late invoice(s)"
        )
        .await,
        "the timer fired: {}",
        portal.log()
    );
    // 31 days outlive the session: sign in again.
    let again = alice.log_in("alice@example.com", PASSWORD).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let data = alice.get_json(&delays).await.json();
    assert_eq!(data["late"], 1, "{data}");
}
