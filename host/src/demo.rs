//! `portico demo`: a supplier and a public body with their managers, so a
//! newcomer sees a working portal at once. The supplier also has a
//! secondary manager, a user waiting for an area subscription, and a person
//! waiting for their link request: every approval block of Manager
//! activities has something to show.

pub(crate) mod ict;
pub(crate) mod justice;

use crate::auth::Passwords;
use crate::directory::{Identifier, IdentifierType, Role, StructureKind, SubscriptionMode};
use crate::store::{NewStructure, NewUser, Store, StoreError};
use std::net::SocketAddr;

mod payment_delays;

/// The demo accounts: (email, first, last, password, structure SIRET).
pub const ACCOUNTS: [(&str, &str, &str, &str, &str); 2] = [
    (
        "claire.martin@ateliers-dupont.example",
        "Claire",
        "Martin",
        "demo-supplier-2026",
        "73282932000074",
    ),
    (
        "paul.bernard@prefecture.example",
        "Paul",
        "Bernard",
        "demo-public-2026",
        "13000165200010",
    ),
];

const STRUCTURES: [(&str, &str, StructureKind); 2] = [
    (
        "73282932000074",
        "Ateliers Dupont SARL",
        StructureKind::Private,
    ),
    (
        "13000165200010",
        "Préfecture de la Région Exemple",
        StructureKind::Public,
    ),
];

/// How an extra demo person relates to the demo supplier.
#[derive(Clone, Copy)]
enum Link {
    /// A member with this role.
    Member(Role),
    /// A user who asked to use [`DEMO_AREA`] and waits for a manager.
    SubscriptionPending,
    /// Not a member: asked to be linked, waits for a manager.
    RequestPending,
}

/// The supplier's other people: (email, first, last, password, link).
const PEOPLE: [(&str, &str, &str, &str, Link); 3] = [
    (
        "luc.moreau@ateliers-dupont.example",
        "Luc",
        "Moreau",
        "demo-secondary-2026",
        Link::Member(Role::SecondaryManager),
    ),
    (
        "ines.roux@ateliers-dupont.example",
        "Inès",
        "Roux",
        "demo-user-2026",
        Link::SubscriptionPending,
    ),
    (
        "hugo.lefevre@example.com",
        "Hugo",
        "Lefèvre",
        "demo-newcomer-2026",
        Link::RequestPending,
    ),
];

/// The on-request area the demo supplier added and the demo user asked
/// for: Issued invoices, the supplier's main area in the domain. A catalog
/// that does not declare it shows the request under this id.
const DEMO_AREA: &str = "issued-invoices";

mod validation;
mod works;

/// Creates the demo accounts and structures unless they exist.
pub async fn seed(store: &Store) -> anyhow::Result<()> {
    let passwords = Passwords::new()?;
    seed_managers(store, &passwords).await?;
    seed_supplier_people(store, &passwords).await
}

async fn create_account(
    store: &Store,
    passwords: &Passwords,
    (email, first, last, password): (&str, &str, &str, &str),
) -> anyhow::Result<crate::store::User> {
    let password_hash = passwords.hash(password.to_string()).await?;
    Ok(store.create_user(NewUser {
        email: email.to_string(),
        contact_email: email.to_string(),
        first_name: first.to_string(),
        last_name: last.to_string(),
        password_hash,
        operator: false,
        // Demo accounts work at once: their addresses are not real mailboxes.
        email_verified: true,
        created_ms: store.clock().now_ms(),
    })?)
}

/// The supplier's secondary manager, user and newcomer (see [`PEOPLE`]).
async fn seed_supplier_people(store: &Store, passwords: &Passwords) -> anyhow::Result<()> {
    let supplier = ACCOUNTS[0].4;
    let now = store.clock().now_ms();
    store.install_area(supplier, DEMO_AREA)?;
    for (email, first, last, password, link) in PEOPLE {
        if store.user_by_email(email)?.is_some() {
            continue;
        }
        let user = create_account(store, passwords, (email, first, last, password)).await?;
        match link {
            Link::Member(role) => store.add_member(supplier, &user.id, role)?,
            Link::SubscriptionPending => {
                store.add_member(supplier, &user.id, Role::User)?;
                store.request_subscription(
                    supplier,
                    &user.id,
                    DEMO_AREA,
                    SubscriptionMode::Modification,
                    now,
                )?;
            }
            Link::RequestPending => {
                store.request_link(supplier, &user.id, Vec::new(), now)?;
            }
        }
    }
    Ok(())
}

async fn seed_managers(store: &Store, passwords: &Passwords) -> anyhow::Result<()> {
    for ((email, first, last, password, siret), (_, name, kind)) in
        ACCOUNTS.iter().zip(STRUCTURES.iter())
    {
        if store.user_by_email(email)?.is_some() {
            continue;
        }
        let user = create_account(store, passwords, (email, first, last, password)).await?;
        let identifier =
            Identifier::parse(IdentifierType::Siret, siret).map_err(|e| anyhow::anyhow!("{e}"))?;
        let new = NewStructure {
            identifier_type: IdentifierType::Siret,
            id: identifier,
            name: name.to_string(),
            kind: *kind,
        };
        match store.create_structure(new, &user.id, store.clock().now_ms()) {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Prints where to go and how to sign in.
pub fn print_credentials(addr: SocketAddr) {
    println!();
    println!("Demo portal: http://{addr}/login");
    for (email, _, _, password, siret) in ACCOUNTS {
        println!("  {email:<42} password: {password:<20} primary manager of {siret}");
    }
    let supplier = ACCOUNTS[0].4;
    for (email, _, _, password, link) in PEOPLE {
        let what = match link {
            Link::Member(role) => format!("{} of {supplier}", role.label().to_lowercase()),
            Link::SubscriptionPending => {
                format!("user of {supplier}, subscription to {DEMO_AREA} pending")
            }
            Link::RequestPending => format!("link request to {supplier} pending"),
        };
        println!("  {email:<42} password: {password:<20} {what}");
    }
    validation::print_credentials();
    works::print_credentials();
    justice::print_credentials();
    ict::print_credentials();
    println!();
}

/// How long the demo seeding waits for the outbox to drain between steps.
const DEMO_DELIVERY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Invoices in several statuses (draft, made available, suspended,
/// rejected, service rendered, paid) and a commitment, made by the invoicing
/// areas themselves through the same calls a browser makes, so the demo
/// data is exactly what the plugins write. Runs once: skipped when the
/// supplier already has invoices, or when the invoicing areas are not in
/// the catalog. Needs the delivery worker running.
pub async fn seed_invoices(state: &crate::web::AppState) -> anyhow::Result<()> {
    seed_issued(state).await?;
    validation::seed(state).await?;
    works::seed(state).await
}

async fn seed_issued(state: &crate::web::AppState) -> anyhow::Result<()> {
    use crate::store::{Namespace, Owner};
    if let Err(e) = payment_delays::seed(state).await {
        tracing::warn!(error = %format!("{e:#}"), "demo payment delays were not seeded");
    }
    let store = state.store();
    let supplier = ACCOUNTS[0].4;
    let buyer = ACCOUNTS[1].4;
    let catalog = state.catalog();
    let has = |id: &str| {
        catalog
            .areas
            .iter()
            .any(|a| a.spec.id.as_str() == id && a.loaded.is_ok())
    };
    if !has("issued-invoices") || !has("received-invoices") {
        return Ok(());
    }
    let ns = Namespace {
        area: "issued-invoices".into(),
        owner: Owner::Structure(supplier.into()),
    };
    if !store.kv_list(&ns, "inv/", None, 1)?.is_empty() {
        return Ok(());
    }
    for (s, a) in [
        (supplier, "issued-invoices"),
        (supplier, "commitments"),
        (buyer, "commitments"),
    ] {
        store.install_area(s, a)?;
    }
    let claire = store
        .user_by_email(ACCOUNTS[0].0)?
        .ok_or_else(|| anyhow::anyhow!("demo supplier missing"))?;
    let paul = store
        .user_by_email(ACCOUNTS[1].0)?
        .ok_or_else(|| anyhow::anyhow!("demo buyer missing"))?;
    let invoices: [(&str, &str, &str, &[&str], &str); 6] = [
        ("D-2026-001", "draft", "Boiler inspection (draft)", &[], ""),
        ("F-2026-101", "send", "Window repair", &[], ""),
        (
            "F-2026-102",
            "send",
            "Heating maintenance, October",
            &["SUSPENDUE"],
            "The signed delivery note is missing.",
        ),
        (
            "F-2026-103",
            "send",
            "Roof survey",
            &["REJETEE"],
            "The amount does not match the order.",
        ),
        (
            "F-2026-104",
            "send",
            "Plumbing, building B",
            &["PRISE_EN_COMPTE_DESTINATAIRE", "SERVICE_FAIT"],
            "",
        ),
        (
            "F-2026-105",
            "send",
            "Heating repair, September",
            &[
                "PRISE_EN_COMPTE_DESTINATAIRE",
                "SERVICE_FAIT",
                "MANDATEE",
                "MISE_A_DISPOSITION_COMPTABLE",
                "COMPTABILISEE",
                "MISE_EN_PAIEMENT",
            ],
            "",
        ),
    ];
    let mut sent = Vec::new();
    for (i, (number, action, designation, _, _)) in invoices.iter().enumerate() {
        let price = format!("{}.50", 120 + 35 * i);
        let form = vec![
            ("recipient", buyer.to_string()),
            ("framework", "A1_FACTURE_FOURNISSEUR".into()),
            ("number", number.to_string()),
            ("date", format!("2026-11-{:02}", 2 + i)),
            ("kind", "FACTURE".into()),
            ("currency", "EUR".into()),
            ("vat_regime", "TVA_SUR_DEBIT".into()),
            ("payment_mode", "VIREMENT".into()),
            ("order_number", format!("EJ-2026-{:04}", 40 + i)),
            ("line-1-designation", designation.to_string()),
            ("line-1-quantity", "2".into()),
            ("line-1-unit_price", price),
            ("line-1-vat_rate", "20".into()),
            ("action", action.to_string()),
            ("confirm", "yes".into()),
        ];
        let answer = demo_call(state, &claire, supplier, "issued-invoices", "/new", form).await?;
        if let crate::runtime::wit::Response::Redirect(to) = answer {
            let id = to
                .split("/invoice/")
                .nth(1)
                .unwrap_or("")
                .split('?')
                .next()
                .unwrap_or("")
                .to_string();
            sent.push((id, i));
        }
    }
    wait_for_delivery(store).await?;
    for (id, i) in &sent {
        let (_, _, _, steps, reason) = invoices[*i];
        for status in steps {
            let path = format!("/invoice/{supplier}/{id}/status");
            demo_call(
                state,
                &paul,
                buyer,
                "received-invoices",
                &path,
                vec![
                    ("status", status.to_string()),
                    ("reason", reason.to_string()),
                ],
            )
            .await?;
        }
    }
    wait_for_delivery(store).await?;
    demo_call(
        state,
        &paul,
        buyer,
        "commitments",
        "/create",
        vec![
            ("number", "EJ-2027-0001".into()),
            ("kind", "PURCHASE_ORDER".into()),
            ("object", "Boiler maintenance 2027".into()),
            ("date", "2027-01-05".into()),
            ("amount", "1200.00".into()),
            ("supplier", supplier.into()),
            ("service_code", String::new()),
        ],
    )
    .await?;
    wait_for_delivery(store).await
}

/// Waits until every queued message was delivered (or failed).
async fn wait_for_delivery(store: &Store) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    while !store.outbox_page(None, 1)?.is_empty() {
        if start.elapsed() > DEMO_DELIVERY_WAIT {
            anyhow::bail!(
                "demo messages were not delivered within {DEMO_DELIVERY_WAIT:?}; is delivery held?"
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(())
}

/// One POST to `area` of `structure` as `user`, through the sandbox.
async fn demo_call(
    state: &crate::web::AppState,
    user: &crate::store::User,
    structure: &str,
    area: &str,
    path: &str,
    form: Vec<(&str, String)>,
) -> anyhow::Result<crate::runtime::wit::Response> {
    let now_ms = state.clock().now_ms();
    demo_call_at(state, user, structure, area, path, form, now_ms).await
}

/// [`demo_call`] as if made at `now_ms` (an earlier time): pieces whose
/// clocks started days ago, so the demo shows deadlines passed and tacit
/// decisions (their durable timers are due, and fire at start).
async fn demo_call_at(
    state: &crate::web::AppState,
    user: &crate::store::User,
    structure: &str,
    area: &str,
    path: &str,
    form: Vec<(&str, String)>,
    now_ms: u64,
) -> anyhow::Result<crate::runtime::wit::Response> {
    demo_call_full(state, user, structure, area, path, form, now_ms, Vec::new()).await
}

/// [`demo_call`] with uploaded files: (field, file name, media type, bytes).
async fn demo_call_with_files(
    state: &crate::web::AppState,
    user: &crate::store::User,
    structure: &str,
    area: &str,
    path: &str,
    form: Vec<(&str, String)>,
    files: Vec<(&str, &str, &str, Vec<u8>)>,
) -> anyhow::Result<crate::runtime::wit::Response> {
    let now_ms = state.clock().now_ms();
    demo_call_full(state, user, structure, area, path, form, now_ms, files).await
}

/// One POST through the sandbox, at `now_ms`, with `files`.
#[allow(clippy::too_many_arguments)] // one call's whole description, kept flat
async fn demo_call_full(
    state: &crate::web::AppState,
    user: &crate::store::User,
    structure: &str,
    area: &str,
    path: &str,
    form: Vec<(&str, String)>,
    now_ms: u64,
    files: Vec<(&str, &str, &str, Vec<u8>)>,
) -> anyhow::Result<crate::runtime::wit::Response> {
    use crate::runtime::{Answer, Call, CallKind, wit};
    let catalog = state.catalog();
    let area_entry = catalog
        .area(area)
        .ok_or_else(|| anyhow::anyhow!("demo: no area {area}"))?;
    let s = state
        .store()
        .structure(structure)?
        .ok_or_else(|| anyhow::anyhow!("demo: no structure {structure}"))?;
    let role = state
        .store()
        .role_in(&user.id, structure)?
        .ok_or_else(|| anyhow::anyhow!("demo: not a member"))?;
    let request = wit::Request {
        method: wit::Method::Post,
        path: path.into(),
        query: Vec::new(),
        form: form.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        files: files
            .into_iter()
            .map(|(field, filename, content_type, bytes)| wit::Upload {
                field: field.into(),
                filename: filename.into(),
                content_type: content_type.into(),
                bytes,
            })
            .collect(),
    };
    let call = Call {
        request_id: format!("demo-{area}"),
        catalog: &catalog,
        area: area_entry,
        kind: CallKind::MemberPage {
            user,
            structure: &s,
            role,
            tabs: Vec::new(),
            request,
        },
        now_ms,
        wait: std::time::Duration::from_secs(30),
    };
    let answer = match state.sandbox().call(call).await {
        Ok(Answer::Page(answer)) => answer,
        Ok(Answer::Message(_)) => unreachable!("a page call answers a page"),
        Err(f) => anyhow::bail!("demo call to {area}{path}: {f}"),
    };
    if let wit::Response::Invalid(i) = &answer {
        anyhow::bail!("demo call {path} refused: {} {:?}", i.message, i.fields);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::RequestStatus;

    #[tokio::test]
    async fn the_supplier_has_a_secondary_manager_and_two_pending_requests_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        seed(&store).await.unwrap();
        seed(&store).await.unwrap(); // a second start changes nothing
        let supplier = ACCOUNTS[0].4;
        let roles: Vec<Role> = store
            .members(supplier)
            .unwrap()
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        assert_eq!(
            roles,
            [Role::PrimaryManager, Role::SecondaryManager, Role::User]
        );
        let subs = store.subscriptions(supplier).unwrap();
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0].status, RequestStatus::Pending);
        let links = store.link_requests(supplier).unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].status, RequestStatus::Pending);
    }
}
