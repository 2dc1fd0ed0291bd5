//! Email addresses as login keys, and people's names.

/// RFC 5321's limit on a forward path, the longest address that can receive mail.
pub const MAX_EMAIL_BYTES: usize = 254;
/// Long enough for any real first or last name, short enough for a table cell.
pub const MAX_NAME_CHARS: usize = portico_contract::names::MAX_PERSON_NAME;

/// Trims and lowercases an email so it can serve as the unique login key.
///
/// Lowercasing the local part is not what RFC 5321 says, but no real mail
/// system distinguishes `Jean@…` from `jean@…`, and two accounts differing only
/// by case would be a support trap. This is a sanity check, not full RFC
/// validation: the confirmation mail is what proves an address.
///
/// The error is a reference to the host's message (`i18n:form.email-…`),
/// translated where it is shown, in the reader's language.
pub fn normalize_email(input: &str) -> Result<String, String> {
    let problem = |key: &str| Err(reference(key, &[]));
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return problem("form.email-empty");
    }
    if email.len() > MAX_EMAIL_BYTES {
        return Err(reference(
            "form.email-too-long",
            &[("max", &MAX_EMAIL_BYTES.to_string())],
        ));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return problem("form.email-spaces");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return problem("form.email-no-at");
    };
    if domain.contains('@') {
        return problem("form.email-two-at");
    }
    if local.is_empty() {
        return problem("form.email-no-name");
    }
    let labels_ok = domain.split('.').all(|label| !label.is_empty());
    if !domain.contains('.') || !labels_ok {
        return problem("form.email-domain");
    }
    Ok(email)
}

/// Trims a person's name (`field` names it in the message, e.g. "first name")
/// and checks it is 1 to [`MAX_NAME_CHARS`] characters without control
/// characters (the contract's rule, shared with the SDK).
/// The error is a reference to the host's message, as for emails.
pub fn validate_name(field: &str, input: &str) -> Result<String, String> {
    portico_contract::names::person_name(field, input).map_err(|_| {
        let which = if field == "first name" {
            "first"
        } else {
            "last"
        };
        let name = input.trim();
        let problem = if name.is_empty() {
            "empty"
        } else if name.chars().count() > MAX_NAME_CHARS {
            "too-long"
        } else {
            "invalid"
        };
        reference(
            &format!("form.{which}-name-{problem}"),
            &[("max", &MAX_NAME_CHARS.to_string())],
        )
    })
}

use crate::i18n::reference;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(
            normalize_email("  Jean.Dupont@Example.FR \n").unwrap(),
            "jean.dupont@example.fr"
        );
        assert_eq!(normalize_email("a+b@x.co").unwrap(), "a+b@x.co");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "   ",
            "jean",
            "jean@",
            "@example.fr",
            "jean@localhost",
            "jean@@example.fr",
            "a@b@example.fr",
            "jean dupont@example.fr",
            "jean@exa\tmple.fr",
            "jean\u{7}@example.fr",
            "jean@.example.fr",
            "jean@example.fr.",
            "jean@example..fr",
        ] {
            assert!(normalize_email(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn email_length_limit_in_bytes() {
        let domain = "@example.fr";
        let fits = format!("{}{domain}", "a".repeat(MAX_EMAIL_BYTES - domain.len()));
        assert!(normalize_email(&fits).is_ok());
        let over = format!("a{fits}");
        assert!(normalize_email(&over).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(validate_name("last name", "  Élodie ").unwrap(), "Élodie");
        let err = validate_name("last name", "  ").unwrap_err();
        let lang = crate::i18n::Lang::En;
        assert_eq!(
            crate::i18n::translate_message(lang, None, &err),
            "Please enter your last name."
        );
        let err = normalize_email("jean").unwrap_err();
        assert_eq!(
            crate::i18n::translate_message(crate::i18n::Lang::Fr, None, &err),
            "L’adresse électronique doit contenir un @, comme dans nom@exemple.fr."
        );
        assert!(validate_name("name", &"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(validate_name("name", &"é".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(validate_name("name", "Jean\u{0}Paul").is_err());
        assert!(validate_name("name", "Jean\nPaul").is_err());
    }
}
