//! `portico demo`: a supplier and a public body with their managers, so a
//! newcomer sees a working portal at once. The supplier also has a
//! secondary manager, a user waiting for an area subscription, and a person
//! waiting for their link request: every approval block of Manager
//! activities has something to show.

use crate::auth::Passwords;
use crate::directory::{Identifier, IdentifierType, Role, StructureKind, SubscriptionMode};
use crate::store::{NewStructure, NewUser, Store, StoreError};
use std::net::SocketAddr;

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
        created_ms: crate::web::session::now_ms(),
    })?)
}

/// The supplier's secondary manager, user and newcomer (see [`PEOPLE`]).
async fn seed_supplier_people(store: &Store, passwords: &Passwords) -> anyhow::Result<()> {
    let supplier = ACCOUNTS[0].4;
    let now = crate::web::session::now_ms();
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
        match store.create_structure(new, &user.id, crate::web::session::now_ms()) {
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
    println!();
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
