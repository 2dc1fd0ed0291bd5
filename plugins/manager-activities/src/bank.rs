//! Bank details of the structure (`GET/POST /bank`): the account the State
//! pays into (justice costs, ICT refunds). Kept as this area's fact
//! `bank-details` (holder, IBAN, BIC), which those areas read and copy
//! into what they send; managers only, like every page here.

use portico_sdk::i18n::message;
use portico_sdk::{Context, Error, FieldError, Request, Response, View, facts, log};
use serde::{Deserialize, Serialize};

/// The fact other areas read.
pub const FACT: &str = "bank-details";
/// Longest account holder name.
const MAX_HOLDER_CHARS: usize = 100;

/// The structure's bank details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bank {
    /// Account holder, as the bank knows it.
    pub holder: String,
    /// IBAN without spaces, upper case.
    pub iban: String,
    /// BIC, upper case.
    pub bic: String,
}

/// The saved details, if any.
pub fn current(cx: &Context) -> Result<Option<Bank>, Error> {
    facts::get_json::<Bank>(&cx.area, FACT)
}

/// Checks an IBAN's length, country and ISO 13616 mod-97 key.
pub fn iban_ok(iban: &str) -> bool {
    if !(15..=34).contains(&iban.len())
        || !iban
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        || !iban.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
    {
        return false;
    }
    let moved = format!("{}{}", &iban[4..], &iban[..4]);
    let mut rem: u32 = 0;
    for c in moved.chars() {
        let v = c.to_digit(36).unwrap_or(0);
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// A BIC: 4 letters (bank), 2 letters (country), 2 letters or digits
/// (location), optionally 3 more (branch).
pub fn bic_ok(bic: &str) -> bool {
    let b = bic.as_bytes();
    (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Saves the form's details, or shows the form again with what is wrong.
pub fn save(
    cx: &Context,
    req: &Request,
    page: impl FnOnce() -> Result<View, Error>,
) -> Result<Response, Error> {
    let clean = |name: &str| -> String {
        req.form_value(name)
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase()
    };
    let holder = req.form_value("holder").unwrap_or("").trim().to_string();
    let (iban, bic) = (clean("iban"), clean("bic"));
    let mut errors = Vec::new();
    if holder.is_empty() || holder.chars().count() > MAX_HOLDER_CHARS {
        errors.push(FieldError::new("holder", message("bank.holder-error", &[])));
    }
    if !iban_ok(&iban) {
        errors.push(FieldError::new(
            "iban",
            message("bank.iban-error", &[("value", &iban)]),
        ));
    }
    if !bic_ok(&bic) {
        errors.push(FieldError::new(
            "bic",
            message("bank.bic-error", &[("value", &bic)]),
        ));
    }
    if !errors.is_empty() {
        let summary = message("bank.fix", &[]);
        return Ok(Response::invalid(summary, errors, page()?));
    }
    facts::set_json(FACT, &Bank { holder, iban, bic })?;
    log::info(&format!("bank details changed by {}", cx.user.email));
    Ok(Response::redirect(cx.href("/bank?done=bank")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_and_bic() {
        assert!(iban_ok("FR7630006000011234567890189"));
        assert!(!iban_ok("FR7630006000011234567890188"), "wrong key");
        assert!(!iban_ok("FR76"), "too short");
        assert!(bic_ok("AGRIFRPP"));
        assert!(bic_ok("AGRIFRPP882"));
        assert!(!bic_ok("AGRI12PP"));
    }
}
