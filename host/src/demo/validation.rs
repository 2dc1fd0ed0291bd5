//! Demo of Invoices to validate: a subcontractor of the demo supplier
//! (who is the prime contractor) with payment requests in every state —
//! refused, validated tacitly (deposited 16 days ago: its durable timer is
//! due at start), validated and made available to the demo public body,
//! and one waiting for the prime contractor with its days left. Made
//! through the area's own calls, once.

use super::{ACCOUNTS, create_account, demo_call, demo_call_at, wait_for_delivery};
use crate::auth::Passwords;
use crate::directory::{Identifier, IdentifierType, StructureKind};
use crate::store::NewStructure;

/// The subcontractor's manager: (email, first, last, password).
pub(super) const SUBCONTRACTOR: (&str, &str, &str, &str) = (
    "sami.benali@electricite-benali.example",
    "Sami",
    "Benali",
    "demo-subcontractor-2026",
);
/// The subcontractor's structure: (SIRET, name).
pub(super) const SUBCONTRACTOR_STRUCTURE: (&str, &str) =
    ("44100000000014", "Électricité Benali SAS");

const AREA: &str = "invoices-to-validate";
const DAY_MS: u64 = 86_400_000;

/// Prints the subcontractor's account beside the others.
pub(super) fn print_credentials() {
    let (email, _, _, password) = SUBCONTRACTOR;
    let (siret, _) = SUBCONTRACTOR_STRUCTURE;
    println!(
        "  {email:<42} password: {password:<20} primary manager of {siret}, subcontractor of {} (Invoices to validate)",
        ACCOUNTS[0].4
    );
}

/// A demo structure and its primary manager (an account made if missing).
pub(super) async fn structure_with_manager(
    store: &crate::store::Store,
    (email, first, last, password): (&str, &str, &str, &str),
    (siret, name, kind): (&str, &str, StructureKind),
) -> anyhow::Result<crate::store::User> {
    let user = match store.user_by_email(email)? {
        Some(u) => u,
        None => create_account(store, &Passwords::new()?, (email, first, last, password)).await?,
    };
    let identifier =
        Identifier::parse(IdentifierType::Siret, siret).map_err(|e| anyhow::anyhow!("{e}"))?;
    store.create_structure(
        NewStructure {
            identifier_type: IdentifierType::Siret,
            id: identifier,
            name: name.to_string(),
            kind,
        },
        &user.id,
        store.clock().now_ms(),
    )?;
    Ok(user)
}

/// Seeds once: skipped when the subcontractor exists or the areas are not
/// in the catalog.
pub(super) async fn seed(state: &crate::web::AppState) -> anyhow::Result<()> {
    let store = state.store();
    let catalog = state.catalog();
    let has = |id: &str| {
        catalog
            .areas
            .iter()
            .any(|a| a.spec.id.as_str() == id && a.loaded.is_ok())
    };
    let (siret, name) = SUBCONTRACTOR_STRUCTURE;
    if !has(AREA) || !has("received-invoices") || store.structure(siret)?.is_some() {
        return Ok(());
    }
    let sami =
        structure_with_manager(store, SUBCONTRACTOR, (siret, name, StructureKind::Private)).await?;
    let prime = ACCOUNTS[0].4;
    let buyer = ACCOUNTS[1].4;
    store.install_area(siret, AREA)?;
    store.install_area(prime, AREA)?;
    let claire = store
        .user_by_email(ACCOUNTS[0].0)?
        .ok_or_else(|| anyhow::anyhow!("demo supplier missing"))?;

    let now = state.clock().now_ms();
    // (number, framework, days ago, designation, amount)
    let requests = [
        (
            "ST-2026-09",
            "A9_FACTURE_SOUSTRAITANT",
            6,
            "Câblage, bâtiment A",
            "2400",
        ),
        (
            "ST-2026-10",
            "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT",
            16,
            "Situation n° 3 : tableaux électriques",
            "5200",
        ),
        (
            "ST-2026-11",
            "A9_FACTURE_SOUSTRAITANT",
            3,
            "Éclairage de secours",
            "1850",
        ),
        (
            "ST-2026-12",
            "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT",
            2,
            "Situation n° 4 : courants faibles",
            "3100",
        ),
    ];
    let mut ids = Vec::new();
    for (number, framework, days_ago, designation, price) in requests {
        let form = vec![
            ("framework", framework.to_string()),
            ("number", number.to_string()),
            ("date", "2026-11-30".into()),
            ("validator", prime.to_string()),
            ("recipient", buyer.to_string()),
            ("order_number", "EJ-2026-0077".into()),
            ("contract_number", "M-2026-12-LOT3".into()),
            ("line-1-designation", designation.to_string()),
            ("line-1-quantity", "1".into()),
            ("line-1-unit_price", price.to_string()),
            ("line-1-vat_rate", "20".into()),
            (
                "comment",
                "Lot 3 électricité, sous-traitance acceptée par l'acte spécial n° 2.".into(),
            ),
        ];
        let at = now - days_ago * DAY_MS;
        let answer = demo_call_at(state, &sami, siret, AREA, "/new", form, at).await?;
        if let crate::runtime::wit::Response::Redirect(to) = answer {
            let id = to
                .split("/request/")
                .nth(1)
                .unwrap_or("")
                .split('?')
                .next()
                .unwrap_or("")
                .to_string();
            ids.push(id);
        }
    }
    wait_for_delivery(store).await?;
    if let [refused, _tacit, validated, _waiting] = ids.as_slice() {
        demo_call(
            state,
            &claire,
            prime,
            AREA,
            &format!("/validate/{siret}/{refused}/refuse"),
            vec![
                ("reason", "above-subcontract".into()),
                (
                    "comment",
                    "L'acte spécial prévoit 2 000 € HT pour ce poste.".into(),
                ),
            ],
        )
        .await?;
        demo_call(
            state,
            &claire,
            prime,
            AREA,
            &format!("/validate/{siret}/{validated}/validate"),
            vec![
                ("confirm", "yes".into()),
                ("message", "Travaux réceptionnés le 28 novembre.".into()),
            ],
        )
        .await?;
    }
    wait_for_delivery(store).await
}
