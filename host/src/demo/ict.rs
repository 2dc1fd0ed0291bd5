//! Demo: ICT refunds request. The customs office of the campaigns (a public
//! structure, agent Marc Lefort), a farm (EARL des Trois Chênes, manager
//! Anne Dubois, with bank details) and an accounting firm (Compta Rurale,
//! Julien Petit) whose accountant is linked to the farm through a link
//! request and subscribed to the area, whose firm declared filing for the
//! farm, and who filed the farm's 2024
//! request for it: made available, waiting for the customs. Made through
//! the areas' own calls; runs once; needs the delivery worker.

use super::justice::{Account, account_with_structure};
use super::{demo_call, demo_call_with_files, wait_for_delivery};
use crate::auth::Passwords;
use crate::directory::{IdentifierType, Role, StructureKind, SubscriptionMode};
use crate::store::{Namespace, Owner, StoreError};

const AREA: &str = "ict-refunds";

/// The customs agent, the farmer and the accountant.
const ACCOUNTS: [Account; 3] = [
    (
        "marc.lefort@douane.example",
        "Marc",
        "Lefort",
        "demo-customs-2026",
        "11000201100044",
        IdentifierType::Siret,
        "DGDDI — service TIC agricole",
        StructureKind::Public,
    ),
    (
        "anne.dubois@trois-chenes.example",
        "Anne",
        "Dubois",
        "demo-farm-2026",
        "44311871000013",
        IdentifierType::Siret,
        "EARL des Trois Chênes",
        StructureKind::Private,
    ),
    (
        "julien.petit@compta-rurale.example",
        "Julien",
        "Petit",
        "demo-accountant-2026",
        "80123456700015",
        IdentifierType::Siret,
        "Compta Rurale",
        StructureKind::Private,
    ),
];

/// Prints the demo's ICT accounts.
pub(crate) fn print_credentials() {
    for (email, _, _, password, id, _, name, _) in ACCOUNTS {
        println!("  {email:<42} password: {password:<20} primary manager of {id} ({name})");
    }
    println!(
        "  {:<42} {:<30} also files for {}",
        ACCOUNTS[2].0, "", ACCOUNTS[1].6
    );
}

/// Seeds the customs office, the farm, the firm and the farm's request.
pub(crate) async fn seed(state: &crate::web::AppState) -> anyhow::Result<()> {
    let store = state.store();
    let catalog = state.catalog();
    let loaded = |id: &str| {
        catalog
            .areas
            .iter()
            .any(|a| a.spec.id.as_str() == id && a.loaded.is_ok())
    };
    if !loaded(AREA) || !loaded("manager-activities") {
        return Ok(());
    }
    let passwords = Passwords::new()?;
    let mut users = Vec::new();
    for account in ACCOUNTS {
        users.push(account_with_structure(store, &passwords, account, AREA).await?);
    }
    let (farm, firm) = (ACCOUNTS[1].4, ACCOUNTS[2].4);
    let ns = Namespace {
        area: AREA.into(),
        owner: Owner::Structure(farm.into()),
    };
    if !store.kv_list(&ns, "req/", None, 1)?.is_empty() {
        return Ok(());
    }
    let (anne, julien) = (&users[1], &users[2]);
    let now = store.clock().now_ms();
    // The accountant asks to be linked to the farm; the farmer approves,
    // then approves the accountant's use of the area.
    match store.request_link(farm, &julien.id, Vec::new(), now) {
        Ok(_) => {
            store.decide_link_request(farm, &julien.id, true, Role::User, now)?;
        }
        Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    match store.request_subscription(farm, &julien.id, AREA, SubscriptionMode::Modification, now) {
        Ok(_) => {
            store.decide_subscription(farm, &julien.id, AREA, true, now)?;
        }
        Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let bank = vec![
        ("holder", "EARL des Trois Chênes".to_string()),
        ("iban", "FR76 3000 6000 0112 3456 7890 189".into()),
        ("bic", "AGRIFRPP".into()),
    ];
    demo_call(state, anne, farm, "manager-activities", "/bank", bank).await?;
    // The firm declares, from its own structure, that it files for the
    // farm: the farm's area must know it before the request names the firm.
    let mandate = vec![("op", "add".to_string()), ("farm", farm.to_string())];
    demo_call(state, julien, firm, AREA, "/mandates", mandate).await?;
    wait_for_delivery(store).await?;
    let pdf = |what: &str| format!("%PDF-1.4\n% {what}\n%%EOF\n").into_bytes();
    let form = vec![
        ("campaign", "2024".to_string()),
        ("category", "farming-company".into()),
        ("advances", "50,00".into()),
        ("firm", firm.into()),
        ("supplier-1", "Coopérative Agricole du Val".into()),
        ("date-1", "2024-03-12".into()),
        ("product-1", "gnr".into()),
        ("volume-1", "42,5".into()),
        ("supplier-2", "GRDF".into()),
        ("date-2", "2024-11-30".into()),
        ("product-2", "natural-gas".into()),
        ("volume-2", "3,25".into()),
    ];
    let files = vec![
        ("rib", "rib-trois-chenes.pdf", "application/pdf", pdf("rib")),
        (
            "copy-1",
            "facture-gnr-mars.pdf",
            "application/pdf",
            pdf("gnr"),
        ),
        (
            "copy-2",
            "facture-gaz-novembre.pdf",
            "application/pdf",
            pdf("gaz"),
        ),
    ];
    demo_call_with_files(state, julien, farm, AREA, "/save", form, files).await?;
    demo_call(state, julien, farm, AREA, "/request/2024/send", Vec::new()).await?;
    wait_for_delivery(store).await
}
