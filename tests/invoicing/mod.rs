//! Helpers shared by the invoicing end-to-end tests: a catalog with the
//! invoicing areas, two structures, and an invoice entry.

#![allow(dead_code, unreachable_pub)]

use super::support::{self, Client, Page};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "correct horse battery staple";
/// Ateliers Dupont: the supplier.
pub const SUPPLIER: &str = "73282932000074";
/// Préfecture: the public buyer.
pub const BUYER: &str = "13000165200010";

/// The invoicing areas. Issued invoices and Commitments are `on-request` in
/// the repo's areas.yaml; here they are default so the tests do not depend
/// on Manager activities to add them (`when` still applies).
/// `received_install` lets a test make Received invoices on-request (not
/// added anywhere) to see a delivery fail.
pub fn areas(received_install: &str) -> String {
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
  - id: commitments
    title: Commitments
    plugin: {commitments}
    version: 1.0.0
    order: 40
    when: "structure.kind == 'public' or fact('issued-invoices', 'payment-reached')"
    when-explained: opens to suppliers once one of their invoices reached Payment
    capabilities: [kv, messages, log]
  - id: issued-invoices
    title: Issued invoices
    plugin: {issued}
    version: 1.0.0
    order: 70
    structure-kinds: [private]
    capabilities: [kv, facts, messages, log]
    limits: {{ memory-mib: 128, timeout-ms: 5000 }}
  - id: received-invoices
    title: Received invoices
    plugin: {received}
    version: 1.0.0
    order: 75
    install: {received_install}
    structure-kinds: [public]
    capabilities: [kv, facts, messages, log]
  - id: sent-requests
    title: Sent requests
    plugin: {requests}
    version: 1.0.0
    order: 100
    capabilities: [kv, facts, messages, log]
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        homepage = support::plugin("homepage").display(),
        commitments = support::plugin("commitments").display(),
        issued = support::plugin("issued-invoices").display(),
        received = support::plugin("received-invoices").display(),
        account = support::plugin("my-account").display(),
        requests = support::plugin("sent-requests").display(),
        manager = support::plugin("manager-activities").display(),
    )
}

/// A new client signed up as `first`, primary manager of a new structure.
pub async fn manager_of(
    client: Client,
    first: &str,
    email: &str,
    siret: &str,
    name: &str,
    kind: &str,
) -> Client {
    client.sign_up(first, email, PASSWORD).await;
    let created = client.create_structure(siret, name, kind).await;
    assert_eq!(created.status, 303, "creating {name}: {}", created.body);
    client
}

/// Claire, manager of the supplier, and Paul, manager of the public buyer.
pub async fn supplier_and_buyer(portal: &support::Portal) -> (Client, Client) {
    let supplier = manager_of(
        portal.client(),
        "Claire",
        "claire@example.com",
        SUPPLIER,
        "Ateliers Dupont",
        "private",
    )
    .await;
    let buyer = manager_of(
        portal.client(),
        "Paul",
        "paul@example.com",
        BUYER,
        "Préfecture",
        "public",
    )
    .await;
    (supplier, buyer)
}

/// The fields of a complete invoice to the buyer (2 × 150.25 at 20 %).
pub fn invoice_form(number: &str) -> Vec<(String, String)> {
    [
        ("recipient", BUYER),
        ("framework", "A1_FACTURE_FOURNISSEUR"),
        ("number", number),
        ("date", "2026-11-20"),
        ("kind", "FACTURE"),
        ("currency", "EUR"),
        ("vat_regime", "TVA_SUR_DEBIT"),
        ("payment_mode", "VIREMENT"),
        ("order_number", "EJ-2026-0042"),
        ("line-1-designation", "Repair of the heating system"),
        ("line-1-quantity", "2"),
        ("line-1-unit_price", "150.25"),
        ("line-1-vat_rate", "20"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Posts the entry form with `action` (`draft` or `send`) and extra fields.
pub async fn enter_invoice(
    c: &Client,
    fields: &[(String, String)],
    extra: &[(&str, &str)],
) -> Page {
    let path = format!("/s/{SUPPLIER}/issued-invoices/new");
    let page = c.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page.csrf();
    let mut form: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    form.extend_from_slice(extra);
    c.post(&path, &form).await
}

/// The invoice id from the redirect after saving or sending.
pub fn invoice_id(page: &Page) -> String {
    let loc = page
        .location
        .as_deref()
        .unwrap_or_else(|| panic!("no redirect: {} {}", page.status, page.body));
    let rest = loc
        .split("/invoice/")
        .nth(1)
        .expect("redirect to the invoice");
    rest.split('?').next().unwrap().to_string()
}

/// The supplier's view of an invoice, as JSON.
pub async fn issued(c: &Client, id: &str) -> serde_json::Value {
    let page = c
        .get_json(&format!("/s/{SUPPLIER}/issued-invoices/invoice/{id}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.json()["inv"].clone()
}

/// Polls `check` until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the supplier's invoice has `status`.
pub async fn until_status(c: &Client, id: &str, status: &str) -> serde_json::Value {
    eventually(
        &format!("invoice {id} to be {status}"),
        Duration::from_secs(15),
        || async {
            let inv = issued(c, id).await;
            (inv["status"] == status).then_some(inv)
        },
    )
    .await
}

/// Loads a page, takes its CSRF token, posts `form` (with the token) to `path`.
pub async fn post_with_token(
    c: &Client,
    page_path: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Page {
    c.submit(page_path, path, form).await
}
