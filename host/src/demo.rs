//! `portico demo`: a supplier and a public body with their managers, so a
//! newcomer sees a working portal at once.

use crate::auth::Passwords;
use crate::directory::{Identifier, IdentifierType, StructureKind};
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

/// Creates the demo accounts and structures unless they exist.
pub async fn seed(store: &Store) -> anyhow::Result<()> {
    let passwords = Passwords::new()?;
    for ((email, first, last, password, siret), (_, name, kind)) in
        ACCOUNTS.iter().zip(STRUCTURES.iter())
    {
        if store.user_by_email(email)?.is_some() {
            continue;
        }
        let password_hash = passwords.hash(password.to_string()).await?;
        let user = store.create_user(NewUser {
            email: email.to_string(),
            contact_email: email.to_string(),
            first_name: first.to_string(),
            last_name: last.to_string(),
            password_hash,
            operator: false,
            created_ms: crate::web::session::now_ms(),
        })?;
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
        println!("  {email:<42} password: {password:<20} structure {siret}");
    }
    println!();
}
