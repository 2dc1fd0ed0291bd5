//! Demo: Justice costs invoice. The Tribunal judiciaire de Lyon (a public
//! structure with the area, its clerk Hélène Girard) and an interpreter
//! without SIRET (Sophie Martin, a private individual) with bank details
//! and one statement of costs in each state, made through the areas' own
//! calls. Runs once (skipped when the interpreter has statements, or when
//! the areas are not in the catalog); needs the delivery worker.

use super::{create_account, demo_call, demo_call_with_files, wait_for_delivery};
use crate::auth::Passwords;
use crate::directory::{Identifier, IdentifierType, StructureKind};
use crate::store::{Namespace, NewStructure, Owner, StoreError};

/// (email, first, last, password, identifier, type, name, kind).
pub(super) type Account = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    IdentifierType,
    &'static str,
    StructureKind,
);

/// The jurisdiction's clerk and the interpreter.
const ACCOUNTS: [Account; 2] = [
    (
        "helene.girard@tj-lyon.example",
        "Hélène",
        "Girard",
        "demo-court-2026",
        "11004000200013",
        IdentifierType::Siret,
        "Tribunal judiciaire de Lyon",
        StructureKind::Public,
    ),
    (
        "sophie.martin@interpretes.example",
        "Sophie",
        "Martin",
        "demo-interpreter-2026",
        "MARTIN-SOPHIE-75",
        IdentifierType::PrivateIndividual,
        "Sophie Martin, interprète",
        StructureKind::Private,
    ),
];

const AREA: &str = "justice-costs";

/// The account (created unless it exists) and its structure (likewise,
/// the account its primary manager), with `area` installed.
pub(super) async fn account_with_structure(
    store: &crate::store::Store,
    passwords: &Passwords,
    (email, first, last, password, id, ty, name, kind): Account,
    area: &str,
) -> anyhow::Result<crate::store::User> {
    let user = match store.user_by_email(email)? {
        Some(u) => u,
        None => create_account(store, passwords, (email, first, last, password)).await?,
    };
    let identifier = Identifier::parse(ty, id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let new = NewStructure {
        identifier_type: ty,
        id: identifier,
        name: name.into(),
        kind,
    };
    match store.create_structure(new, &user.id, store.clock().now_ms()) {
        Ok(_) | Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    store.install_area(id, area)?;
    Ok(user)
}

/// Prints the demo's justice accounts.
pub(crate) fn print_credentials() {
    for (email, _, _, password, id, _, name, _) in ACCOUNTS {
        println!("  {email:<42} password: {password:<20} primary manager of {id} ({name})");
    }
}

/// Seeds the jurisdiction, the interpreter and their statements.
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
    let (court, provider) = (ACCOUNTS[0].4, ACCOUNTS[1].4);
    let ns = Namespace {
        area: AREA.into(),
        owner: Owner::Structure(provider.into()),
    };
    if !store.kv_list(&ns, "st/", None, 1)?.is_empty() {
        return Ok(());
    }
    let (helene, sophie) = (&users[0], &users[1]);
    let bank = vec![
        ("holder", "Sophie Martin".to_string()),
        ("iban", "FR76 3000 6000 0112 3456 7890 189".into()),
        ("bic", "AGRIFRPP".into()),
    ];
    demo_call(state, sophie, provider, "manager-activities", "/bank", bank).await?;

    let today = store.clock().now_ms() / 86_400_000;
    let day = |before: u64| -> String {
        let secs = ((today - before) * 86_400) as i64;
        time::OffsetDateTime::from_unix_timestamp(secs)
            .map(|t| t.date().to_string())
            .unwrap_or_default()
    };
    // (number, mission, steps of the jurisdiction, reason); the first stays a draft.
    let statements: [(&str, &str, &[&str], &str); 6] = [
        (
            "MJ-2026-001",
            "Interprétariat, audition de témoin (brouillon)",
            &[],
            "",
        ),
        ("MJ-2026-002", "Interprétariat en garde à vue", &[], ""),
        (
            "MJ-2026-003",
            "Traduction d’une commission rogatoire",
            &["correct"],
            "Joindre l’attestation de mission signée.",
        ),
        (
            "MJ-2026-004",
            "Interprétariat à l’audience correctionnelle",
            &["certify"],
            "",
        ),
        (
            "MJ-2026-005",
            "Interprétariat, confrontation",
            &["reject"],
            "Mission déjà réglée sur le mémoire MJ-2026-004.",
        ),
        (
            "MJ-2026-006",
            "Interprétariat, comparution immédiate",
            &["certify", "pay"],
            "",
        ),
    ];
    let pdf = |what: &str| format!("%PDF-1.4\n% {what}\n%%EOF\n").into_bytes();
    let mut sent = Vec::new();
    for (i, (number, label, steps, _)) in statements.iter().enumerate() {
        let i = i as u64;
        let form = vec![
            ("number", number.to_string()),
            ("court", "tj69123".into()),
            ("decision-kind", "requisition".into()),
            ("decision-reference", format!("PV 2026/{:05}", 1200 + i)),
            ("decision-date", day(60 - 5 * i)),
            ("mission-end", day(40 - 5 * i)),
            ("vat-option", "debits".into()),
            ("line-kind-1", "service".into()),
            ("line-label-1", label.to_string()),
            ("line-amount-1", format!("{},00", 180 + 45 * i)),
            ("line-rate-1", "20".into()),
            ("line-kind-2", "disbursement".into()),
            ("line-label-2", "Frais de déplacement (débours)".into()),
            ("line-amount-2", "23,60".into()),
        ];
        let files = vec![(
            "doc-requisition",
            "requisition.pdf",
            "application/pdf",
            pdf(number),
        )];
        let answer =
            demo_call_with_files(state, sophie, provider, AREA, "/save", form, files).await?;
        let crate::runtime::wit::Response::Redirect(to) = answer else {
            anyhow::bail!("demo statement {number} was not saved");
        };
        let id = to
            .split("/statement/")
            .nth(1)
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        if i > 0 {
            demo_call(
                state,
                sophie,
                provider,
                AREA,
                &format!("/statement/{id}/send"),
                Vec::new(),
            )
            .await?;
            sent.push((id, *steps, statements[i as usize].3));
        }
    }
    wait_for_delivery(store).await?;
    for (id, steps, reason) in sent {
        for action in steps {
            let path = format!("/received/{provider}/{id}/decide");
            let form = vec![
                ("action", action.to_string()),
                ("reason", reason.to_string()),
            ];
            demo_call(state, helene, court, AREA, &path, form).await?;
            wait_for_delivery(store).await?;
        }
    }
    Ok(())
}
