//! `portico operator add EMAIL`: grants the operator console to an account,
//! creating the account (with a generated password) if it does not exist.

use crate::auth::Passwords;
use crate::store::{Location, NewUser, Store};
use std::path::Path;

/// Characters of a generated password: no look-alikes (0/O, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a generated password: ~140 bits from a 56-letter alphabet.
const PASSWORD_LEN: usize = 24;

/// Makes `email` an operator in the store at `location` (sled: in the data
/// directory `data`); returns what to tell the person at the terminal
/// (including a new password, once). On PostgreSQL it works while servers run.
pub fn add(email: &str, data: &Path, location: &Location) -> anyhow::Result<String> {
    let email = crate::auth::normalize_email(email).map_err(|e| {
        anyhow::anyhow!(
            "{}",
            crate::i18n::translate_message(crate::i18n::Lang::En, None, &e)
        )
    })?;
    let store =
        Store::open_at(data, location, crate::clock::Clock::system()).map_err(|e| match e {
            crate::store::StoreError::InUse(_) => {
                anyhow::anyhow!("{e}; stop the server, run this command, then start it again")
            }
            e => anyhow::anyhow!("cannot open the store {}: {e}", location.describe(data)),
        })?;
    if let Some(user) = store.user_by_email(&email)? {
        if user.operator {
            return Ok(format!("{email} is already an operator"));
        }
        store.set_operator(&user.id, true)?;
        return Ok(format!(
            "{email} is now an operator: sign in as usual and open /ops"
        ));
    }
    let password = generate_password()?;
    let passwords = Passwords::new()?;
    let hash = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(passwords.hash(password.clone()))?;
    store.create_user(NewUser {
        email: email.clone(),
        contact_email: email.clone(),
        first_name: "Operator".into(),
        last_name: String::new(),
        password_hash: hash,
        operator: true,
        // The operator typed the address at the server's console.
        email_verified: true,
        created_ms: store.clock().now_ms(),
    })?;
    Ok(format!(
        "created operator account {email}\npassword: {password}\n(shown once, keep it in a password manager: sign in at /login, then open /ops)"
    ))
}

fn generate_password() -> anyhow::Result<String> {
    let mut bytes = [0u8; PASSWORD_LEN];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    // 256 % 56 != 0: a slight bias, irrelevant at 24 characters.
    Ok(bytes
        .iter()
        .map(|b| PASSWORD_ALPHABET[usize::from(*b) % PASSWORD_ALPHABET.len()] as char)
        .collect())
}
