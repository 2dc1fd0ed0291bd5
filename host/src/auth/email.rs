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
pub fn normalize_email(input: &str) -> Result<String, String> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err("Please enter an email address.".into());
    }
    if email.len() > MAX_EMAIL_BYTES {
        return Err(format!(
            "The email address is too long (at most {MAX_EMAIL_BYTES} characters)."
        ));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("The email address must not contain spaces.".into());
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("The email address must contain an @, as in name@example.fr.".into());
    };
    if domain.contains('@') {
        return Err("The email address must contain a single @.".into());
    }
    if local.is_empty() {
        return Err("The email address needs a name before the @.".into());
    }
    let labels_ok = domain.split('.').all(|label| !label.is_empty());
    if !domain.contains('.') || !labels_ok {
        return Err("The part after the @ must be a domain name such as example.fr.".into());
    }
    Ok(email)
}

/// Trims a person's name (`field` names it in the message, e.g. "first name")
/// and checks it is 1 to [`MAX_NAME_CHARS`] characters without control
/// characters (the contract's rule, shared with the SDK).
pub fn validate_name(field: &str, input: &str) -> Result<String, String> {
    portico_contract::names::person_name(field, input)
}

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
        assert!(err.contains("last name"), "{err}");
        assert!(validate_name("name", &"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(validate_name("name", &"é".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(validate_name("name", "Jean\u{0}Paul").is_err());
        assert!(validate_name("name", "Jean\nPaul").is_err());
    }
}
