//! Structure identifiers: SIRET (with the Luhn rule and La Poste's exception)
//! and the other identifier types Chorus Pro accepts.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of identifier a structure is registered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentifierType {
    /// French entities: 14 digits, SIREN (9) + NIC (5).
    Siret,
    /// European structure outside France: an intra-EU VAT number.
    Eu,
    /// Structure outside the EU: a foreign identifier.
    OutsideEu,
    /// New Caledonia's register.
    Ridet,
    /// French Polynesia's register.
    Tahiti,
    /// A private individual (e.g. a justice provider without SIRET).
    PrivateIndividual,
    /// Any other identifier.
    Other,
}

impl IdentifierType {
    /// Every type, in the order of the portal's drop-down.
    pub const ALL: [IdentifierType; 7] = [
        IdentifierType::Siret,
        IdentifierType::Eu,
        IdentifierType::OutsideEu,
        IdentifierType::Ridet,
        IdentifierType::Tahiti,
        IdentifierType::PrivateIndividual,
        IdentifierType::Other,
    ];

    /// The spelling used in forms, the WIT contract and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierType::Siret => "siret",
            IdentifierType::Eu => "eu",
            IdentifierType::OutsideEu => "outside-eu",
            IdentifierType::Ridet => "ridet",
            IdentifierType::Tahiti => "tahiti",
            IdentifierType::PrivateIndividual => "private-individual",
            IdentifierType::Other => "other",
        }
    }

    /// Parses the form spelling.
    pub fn parse(s: &str) -> Option<IdentifierType> {
        IdentifierType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The expected format, shown under the identifier field and in errors.
    pub fn expected_format(self) -> &'static str {
        match self {
            IdentifierType::Siret => {
                "14 digits (SIREN + NIC) with a valid check digit, e.g. 732 829 320 00074"
            }
            IdentifierType::Eu => {
                "an intra-EU VAT number: 2-letter country code then 2 to 13 letters or digits, e.g. DE123456789"
            }
            IdentifierType::OutsideEu => "3 to 18 letters, digits, dots or dashes",
            IdentifierType::Ridet => {
                "7 digits then a 3-digit establishment number, e.g. 1234567001"
            }
            IdentifierType::Tahiti => {
                "6 letters or digits then a 3-digit establishment number, e.g. A12345001"
            }
            IdentifierType::PrivateIndividual | IdentifierType::Other => {
                "3 to 18 letters, digits, dots or dashes"
            }
        }
    }
}

/// A validated structure identifier, normalised (spaces removed, upper case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identifier(String);

/// Why an identifier was refused; the message shows the expected format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}; expected {expected}")]
pub struct IdentifierError {
    /// What is wrong with the input.
    pub reason: String,
    /// The expected format for the chosen type.
    pub expected: &'static str,
}

impl Identifier {
    /// Validates `input` as an identifier of type `ty`. Spaces are ignored.
    pub fn parse(ty: IdentifierType, input: &str) -> Result<Identifier, IdentifierError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let fail = |reason: String| IdentifierError {
            reason,
            expected: ty.expected_format(),
        };
        if s.is_empty() {
            return Err(fail("the identifier is empty".into()));
        }
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        let alnum = |t: &str| t.bytes().all(|b| b.is_ascii_alphanumeric());
        match ty {
            IdentifierType::Siret => {
                if s.len() != 14 || !all_digits(&s) {
                    return Err(fail(format!(
                        "a SIRET has 14 digits, got {} character(s){}",
                        s.chars().count(),
                        if all_digits(&s) {
                            ""
                        } else {
                            " including non-digits"
                        }
                    )));
                }
                if !siret_checksum_ok(&s) {
                    return Err(fail("the check digit is wrong (Luhn sum)".into()));
                }
            }
            IdentifierType::Eu => {
                let ok = s.len() >= 4
                    && s.len() <= 15
                    && s.as_bytes()[..2].iter().all(u8::is_ascii_alphabetic)
                    && alnum(&s[2..])
                    && !s.starts_with("FR");
                if !ok {
                    return Err(fail(if s.starts_with("FR") {
                        "French structures register with their SIRET".into()
                    } else {
                        format!("`{s}` is not an intra-EU VAT number")
                    }));
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
            IdentifierType::OutsideEu
            | IdentifierType::PrivateIndividual
            | IdentifierType::Other => {
                let ok = (3..=18).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
                if !ok {
                    return Err(fail(format!("`{s}` is not a valid identifier")));
                }
            }
        }
        Ok(Identifier(s))
    }

    /// Rebuilds an identifier read back from storage, where it was validated.
    pub fn from_stored(s: String) -> Identifier {
        Identifier(s)
    }

    /// The normalised identifier, as used in URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SIRET rule: Luhn over the 14 digits, or, for La Poste's SIREN 356000000,
/// a plain digit sum that is a multiple of 5.
fn siret_checksum_ok(s: &str) -> bool {
    let digits: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
    let luhn: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    luhn.is_multiple_of(10)
        || (s.starts_with("356000000") && digits.iter().sum::<u32>().is_multiple_of(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siret_examples_from_the_domain() {
        assert!(Identifier::parse(IdentifierType::Siret, "73282932000074").is_ok());
        assert!(Identifier::parse(IdentifierType::Siret, "732 829 320 00074").is_ok());
        assert!(
            Identifier::parse(IdentifierType::Siret, "35600000049837").is_ok(),
            "La Poste"
        );
        assert!(
            Identifier::parse(IdentifierType::Siret, "35600000000048").is_ok(),
            "La Poste head office is plain Luhn"
        );
        let err = Identifier::parse(IdentifierType::Siret, "12345678912345").unwrap_err();
        assert!(err.to_string().contains("check digit"), "{err}");
        assert!(
            err.to_string().contains("14 digits"),
            "message shows the format: {err}"
        );
    }

    #[test]
    fn siret_wrong_length_or_letters() {
        let err = Identifier::parse(IdentifierType::Siret, "7328293200007").unwrap_err();
        assert!(err.reason.contains("got 13"), "{err}");
        assert!(Identifier::parse(IdentifierType::Siret, "7328293200007A").is_err());
        assert!(Identifier::parse(IdentifierType::Siret, "").is_err());
    }

    #[test]
    fn other_types() {
        assert_eq!(
            Identifier::parse(IdentifierType::Eu, "de 123456789")
                .unwrap()
                .as_str(),
            "DE123456789"
        );
        assert!(Identifier::parse(IdentifierType::Eu, "FR12345678901").is_err());
        assert!(Identifier::parse(IdentifierType::Ridet, "1234567001").is_ok());
        assert!(Identifier::parse(IdentifierType::Ridet, "123456").is_err());
        assert!(Identifier::parse(IdentifierType::Tahiti, "A12345001").is_ok());
        assert!(Identifier::parse(IdentifierType::Other, "x/y").is_err());
    }
}
