//! Demo of Work invoices: a works contract of the demo supplier (the firm)
//! with a project manager (MOE), the demo public body as contracting
//! authority (MOA) and a financial service, and three monthly files: one
//! whose MOE step is overdue (deposited 12 days ago: its durable timer is
//! due at start), one waiting for the MOA, one at the financial service.
//! Made through the area's own calls, once.

use super::validation::structure_with_manager;
use super::{ACCOUNTS, demo_call, demo_call_at, wait_for_delivery};
use crate::directory::StructureKind;

const AREA: &str = "work-invoices";
const DAY_MS: u64 = 86_400_000;
const CONTRACT: &str = "M-2026-AILE-NORD";

/// The project manager's account and structure.
const MOE: ((&str, &str, &str, &str), (&str, &str)) = (
    (
        "marc.lemoine@atelier-lemoine.example",
        "Marc",
        "Lemoine",
        "demo-moe-2026",
    ),
    ("66300000000013", "Atelier d'architecture Lemoine"),
);
/// The financial service's account and structure.
const FINANCIAL: ((&str, &str, &str, &str), (&str, &str)) = (
    (
        "sophie.garnier@service-facturier.example",
        "Sophie",
        "Garnier",
        "demo-financial-2026",
    ),
    ("21300000000017", "Service facturier régional"),
);

/// Prints the MOE's and the financial service's accounts.
pub(super) fn print_credentials() {
    for ((email, _, _, password), (siret, _), what) in [
        (MOE.0, MOE.1, "project manager (MOE)"),
        (FINANCIAL.0, FINANCIAL.1, "financial service"),
    ] {
        println!(
            "  {email:<42} password: {password:<20} primary manager of {siret}, {what} (Work invoices)"
        );
    }
}

/// Seeds once: skipped when the MOE exists or the areas are not loaded.
pub(super) async fn seed(state: &crate::web::AppState) -> anyhow::Result<()> {
    let store = state.store();
    let catalog = state.catalog();
    let has = |id: &str| {
        catalog
            .areas
            .iter()
            .any(|a| a.spec.id.as_str() == id && a.loaded.is_ok())
    };
    if !has(AREA) || !has("received-invoices") || store.structure(MOE.1.0)?.is_some() {
        return Ok(());
    }
    let marc =
        structure_with_manager(store, MOE.0, (MOE.1.0, MOE.1.1, StructureKind::Private)).await?;
    structure_with_manager(
        store,
        FINANCIAL.0,
        (FINANCIAL.1.0, FINANCIAL.1.1, StructureKind::Public),
    )
    .await?;
    let firm = ACCOUNTS[0].4;
    let moa = ACCOUNTS[1].4;
    for s in [firm, moa, MOE.1.0, FINANCIAL.1.0] {
        store.install_area(s, AREA)?;
    }
    let claire = store
        .user_by_email(ACCOUNTS[0].0)?
        .ok_or_else(|| anyhow::anyhow!("demo supplier missing"))?;
    let paul = store
        .user_by_email(ACCOUNTS[1].0)?
        .ok_or_else(|| anyhow::anyhow!("demo buyer missing"))?;
    let now = state.clock().now_ms();
    let sheet = vec![
        ("number", CONTRACT.to_string()),
        (
            "object",
            "Rénovation de l'aile nord de la préfecture".into(),
        ),
        ("moe", MOE.1.0.into()),
        ("moa", moa.into()),
        ("financial", FINANCIAL.1.0.into()),
        ("order_number", "EJ-2026-0500".into()),
        ("moe_days", "7".into()),
        ("moa_days", "7".into()),
        ("dg_days", "30".into()),
        ("a22_days", "10".into()),
        ("payment_days", "30".into()),
    ];
    demo_call_at(
        state,
        &claire,
        firm,
        AREA,
        "/contract/new",
        sheet,
        now - 40 * DAY_MS,
    )
    .await?;
    wait_for_delivery(store).await?;
    // (days ago, amount): n° 1 overdue at the MOE, n° 2 with the MOA, n° 3 paid on.
    for (days_ago, amount) in [(12, "18500"), (4, "22300"), (3, "9800")] {
        let form = vec![
            ("kind", "monthly".to_string()),
            ("amount", amount.to_string()),
            ("vat_rate", "20".into()),
            ("comment", "Situation de travaux du mois".into()),
        ];
        let path = format!("/contract/{firm}/{CONTRACT}/deposit");
        demo_call_at(
            state,
            &claire,
            firm,
            AREA,
            &path,
            form,
            now - days_ago * DAY_MS,
        )
        .await?;
    }
    wait_for_delivery(store).await?;
    for no in [2, 3] {
        demo_call(
            state,
            &marc,
            MOE.1.0,
            AREA,
            &format!("/file/{firm}/{CONTRACT}/{no}/statement"),
            vec![("amount", String::new()), ("comment", String::new())],
        )
        .await?;
    }
    wait_for_delivery(store).await?;
    demo_call(
        state,
        &paul,
        moa,
        AREA,
        &format!("/file/{firm}/{CONTRACT}/3/validate"),
        vec![
            ("amount", String::new()),
            ("comment", "Bon pour paiement".into()),
        ],
    )
    .await?;
    wait_for_delivery(store).await
}
