//! Every identifier type's syntax: the SIRET's rule (see [`crate::siret`])
//! and the other types Chorus Pro accepts.

use crate::siret;
use crate::words::IdentifierType;
use std::fmt;

/// Why an identifier was refused; the message shows the expected format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierError {
    /// What is wrong with the input.
    pub reason: String,
    /// The expected format for the chosen type.
    pub expected: &'static str,
}

impl fmt::Display for IdentifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; expected {}", self.reason, self.expected)
    }
}

impl std::error::Error for IdentifierError {}

/// The identifier without spaces, in upper case: the form it is stored and
/// looked up in.
pub fn normalize(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Validates `input` as an identifier of type `ty` (spaces ignored) and
/// returns its normalised form.
///
/// ```
/// use portico_contract::{IdentifierType, identifier};
/// assert_eq!(identifier::parse(IdentifierType::Eu, "de 123456789").unwrap(), "DE123456789");
/// let err = identifier::parse(IdentifierType::Siret, "12345678912345").unwrap_err();
/// assert!(err.to_string().contains("14 digits"));
/// ```
pub fn parse(ty: IdentifierType, input: &str) -> Result<String, IdentifierError> {
    let s = normalize(input);
    let fail = |reason: String| IdentifierError {
        reason,
        expected: ty.expected_format(),
    };
    if s.is_empty() {
        return Err(fail("the identifier is empty".into()));
    }
    // The checks below slice by bytes: anything but ASCII is refused first,
    // so no slice can fall inside a multi-byte character.
    if ty != IdentifierType::Siret && !s.is_ascii() {
        return Err(fail(format!(
            "`{s}` contains characters other than letters, digits, dots or dashes"
        )));
    }
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let alnum = |t: &str| t.bytes().all(|b| b.is_ascii_alphanumeric());
    match ty {
        IdentifierType::Siret => {
            siret::validate(&s).map_err(|e| fail(e.reason()))?;
        }
        IdentifierType::Eu => {
            if s.starts_with("FR") {
                return Err(fail("French structures register with their SIRET".into()));
            }
            let ok = (4..=15).contains(&s.len())
                && s.as_bytes()[..2].iter().all(u8::is_ascii_alphabetic)
                && alnum(&s[2..]);
            if !ok {
                return Err(fail(format!("`{s}` is not an intra-EU VAT number")));
            }
        }
        IdentifierType::Ridet => {
            if s.len() != 10 || !all_digits(&s) {
                return Err(fail(format!("`{s}` is not a RIDET number")));
            }
        }
        IdentifierType::Tahiti => {
            if s.len() != 9 || !alnum(&s[..6]) || !all_digits(&s[6..]) {
                return Err(fail(format!("`{s}` is not a TAHITI number")));
            }
        }
        IdentifierType::OutsideEu | IdentifierType::PrivateIndividual | IdentifierType::Other => {
            let ok = (3..=18).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !ok {
                return Err(fail(format!("`{s}` is not a valid identifier")));
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siret_examples_from_the_domain() {
        assert!(parse(IdentifierType::Siret, "73282932000074").is_ok());
        assert!(parse(IdentifierType::Siret, "732 829 320 00074").is_ok());
        assert!(
            parse(IdentifierType::Siret, "35600000049837").is_ok(),
            "La Poste"
        );
        assert!(
            parse(IdentifierType::Siret, "35600000000048").is_ok(),
            "La Poste head office is plain Luhn"
        );
        let err = parse(IdentifierType::Siret, "12345678912345").unwrap_err();
        assert!(err.to_string().contains("check digit"), "{err}");
        assert!(
            err.to_string().contains("14 digits"),
            "shows the format: {err}"
        );
        let err = parse(IdentifierType::Siret, "00000000000000").unwrap_err();
        assert!(err.reason.contains("nine zeros"), "{err}");
    }

    #[test]
    fn siret_wrong_length_or_letters() {
        let err = parse(IdentifierType::Siret, "7328293200007").unwrap_err();
        assert!(err.reason.contains("got 13"), "{err}");
        assert!(parse(IdentifierType::Siret, "7328293200007A").is_err());
        assert!(parse(IdentifierType::Siret, "").is_err());
    }

    #[test]
    fn other_types() {
        assert_eq!(
            parse(IdentifierType::Eu, "de 123456789").unwrap(),
            "DE123456789"
        );
        assert!(parse(IdentifierType::Eu, "FR12345678901").is_err());
        assert!(parse(IdentifierType::Ridet, "1234567001").is_ok());
        assert!(parse(IdentifierType::Ridet, "123456").is_err());
        assert!(parse(IdentifierType::Tahiti, "A12345001").is_ok());
        assert!(parse(IdentifierType::Other, "x/y").is_err());
    }

    /// Multi-byte input used to be sliced at byte 6 for TAHITI numbers,
    /// which panics inside a character; every type refuses it cleanly now.
    #[test]
    fn non_ascii_input_is_refused_not_a_panic() {
        for ty in IdentifierType::ALL {
            for input in ["AAAAAéAA", "éééé", "ÀB1234567", "数字数字数字"] {
                let err = parse(ty, input).unwrap_err();
                assert!(!err.reason.is_empty(), "{ty}: {input}");
            }
        }
    }
}
