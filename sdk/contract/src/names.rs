//! The syntax of names the host and areas exchange: area ids, services,
//! and the names of structures and people. Fact and message names are with
//! their limits, in [`crate::limits`].

use crate::limits::Refusal;

/// Longest area id: it appears in URLs and storage keys.
pub const MAX_AREA_ID: usize = 40;
/// Longest service code: it is written on invoices.
pub const MAX_SERVICE_CODE: usize = 30;
/// Longest service name, in characters.
pub const MAX_SERVICE_NAME: usize = 100;
/// Longest structure name, in characters: long enough for any registered
/// company name, short enough for a table cell.
pub const MAX_STRUCTURE_NAME: usize = 100;
/// Longest first or last name of a person, in characters.
pub const MAX_PERSON_NAME: usize = 100;

/// An area id is `^[a-z][a-z0-9-]{1,39}$` without a trailing or doubled dash.
pub fn is_area_id(s: &str) -> bool {
    let bytes = s.as_bytes();
    (2..=MAX_AREA_ID).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// A service code, trimmed: 1 to [`MAX_SERVICE_CODE`] letters, digits, `-` or `_`.
pub fn service_code(input: &str) -> Result<String, Refusal> {
    let code = input.trim();
    let ok = (1..=MAX_SERVICE_CODE).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(code.to_owned())
    } else {
        Err(Refusal::Invalid {
            field: "code",
            // "a service code is 1 to … letters, digits, - or _ (e.g. SRV-ACCOUNTING)"
            message: crate::i18n::reference(
                "name.service-code",
                &[("max", MAX_SERVICE_CODE.to_string())],
            ),
        })
    }
}

/// A service's name, trimmed: required, at most [`MAX_SERVICE_NAME`]
/// characters, no control characters.
pub fn service_name(input: &str) -> Result<String, Refusal> {
    label(input, MAX_SERVICE_NAME).ok_or_else(|| Refusal::Invalid {
        field: "name",
        // "the name is required, at most … characters"
        message: crate::i18n::reference(
            "name.required-max",
            &[("max", MAX_SERVICE_NAME.to_string())],
        ),
    })
}

/// A structure's name, trimmed: required, at most [`MAX_STRUCTURE_NAME`]
/// characters, no control characters.
pub fn structure_name(input: &str) -> Result<String, Refusal> {
    label(input, MAX_STRUCTURE_NAME).ok_or_else(|| Refusal::Invalid {
        field: "name",
        // "the name is required, at most … characters"
        message: crate::i18n::reference(
            "name.required-max",
            &[("max", MAX_STRUCTURE_NAME.to_string())],
        ),
    })
}

/// A person's first or last name (`what` says which, e.g. "first name"),
/// trimmed: required, at most [`MAX_PERSON_NAME`] characters, no control
/// characters. The error is a sentence for the form.
pub fn person_name(what: &str, input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err(format!("Please enter your {what}."));
    }
    if name.chars().count() > MAX_PERSON_NAME {
        return Err(format!(
            "The {what} is too long (at most {MAX_PERSON_NAME} characters)."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("The {what} contains invalid characters."));
    }
    Ok(name.to_owned())
}

/// `input` trimmed when it is 1 to `max` characters without control characters.
fn label(input: &str, max: usize) -> Option<String> {
    let s = input.trim();
    let ok = !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control);
    ok.then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_ids() {
        for ok in ["homepage", "my-account", "a1", &"a".repeat(40)] {
            assert!(is_area_id(ok), "{ok}");
        }
        for bad in ["", "a", "1a", "A-b", "a-", "a--b", "a_b", &"a".repeat(41)] {
            assert!(!is_area_id(bad), "{bad}");
        }
    }

    #[test]
    fn services() {
        assert_eq!(service_code(" SRV-1_a ").unwrap(), "SRV-1_a");
        assert!(service_code("").is_err());
        assert!(service_code("a b").is_err());
        assert!(service_code(&"a".repeat(31)).is_err());
        assert_eq!(service_name(" Accounting ").unwrap(), "Accounting");
        assert!(service_name("  ").is_err());
        assert!(service_name("a\u{7}b").is_err());
    }

    #[test]
    fn names_of_structures_and_people() {
        assert_eq!(structure_name(" Ateliers ").unwrap(), "Ateliers");
        assert!(structure_name(&"é".repeat(100)).is_ok());
        assert!(structure_name(&"é".repeat(101)).is_err());
        assert_eq!(person_name("first name", " Ada ").unwrap(), "Ada");
        assert!(
            person_name("first name", "")
                .unwrap_err()
                .contains("first name")
        );
        assert!(person_name("last name", "a\nb").is_err());
    }
}
