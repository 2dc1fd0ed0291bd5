//! Demo data for `payment-delays` (the Python area): the supplier tracks
//! one invoice a public buyer paid late and one still unpaid and late, so
//! the tab opens on real claims. Made through the area itself, after the
//! area is added to the supplier (it is `install: on-request`).

use super::{ACCOUNTS, demo_call};

/// Days before today the unpaid invoice was received: 30 days to pay, so
/// it is 15 days late when the demo starts.
const UNPAID_RECEIVED_DAYS_AGO: i64 = 45;

/// Seeds the supplier's two claims, once (an existing kv entry skips it).
pub(super) async fn seed(state: &crate::web::AppState) -> anyhow::Result<()> {
    use crate::store::{Namespace, Owner};
    let store = state.store();
    let supplier = ACCOUNTS[0].4;
    let catalog = state.catalog();
    if !catalog
        .areas
        .iter()
        .any(|a| a.spec.id.as_str() == "payment-delays" && a.loaded.is_ok())
    {
        return Ok(());
    }
    let ns = Namespace {
        area: "payment-delays".into(),
        owner: Owner::Structure(supplier.into()),
    };
    if !store.kv_list(&ns, "invoice/", None, 1)?.is_empty() {
        return Ok(());
    }
    store.install_area(supplier, "payment-delays")?;
    let claire = store
        .user_by_email(ACCOUNTS[0].0)?
        .ok_or_else(|| anyhow::anyhow!("demo supplier missing"))?;
    let now_ms = i64::try_from(store.clock().now_ms()).unwrap_or(i64::MAX);
    let today = time::OffsetDateTime::from_unix_timestamp(now_ms / 1000)?.date();
    let received = today - time::Duration::days(UNPAID_RECEIVED_DAYS_AGO);
    let invoices = [
        (
            "F-2025-087",
            "Ville de Lyon",
            "local",
            "18 400,00",
            "2025-09-15".to_string(),
            "2025-11-20",
        ),
        (
            "F-2026-012",
            "Préfecture du Rhône",
            "state",
            "6 250,00",
            received.to_string(),
            "",
        ),
    ];
    for (number, buyer, kind, amount, received_on, paid_on) in invoices {
        let form = vec![
            ("number", number.to_string()),
            ("buyer", buyer.to_string()),
            ("buyer-kind", kind.to_string()),
            ("amount", amount.to_string()),
            ("received-on", received_on),
            ("paid-on", paid_on.to_string()),
        ];
        demo_call(
            state,
            &claire,
            supplier,
            "payment-delays",
            "/invoices",
            form,
        )
        .await?;
    }
    Ok(())
}
