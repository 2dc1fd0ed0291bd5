//! A structure's identifier, validated by the contract's rule for its type
//! (`portico_contract::identifier`: SIRET with Luhn and La Poste's
//! exception, and the other identifier types Chorus Pro accepts).

use portico_contract::{IdentifierError, IdentifierType, identifier};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A validated structure identifier, normalised (spaces removed, upper case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identifier(String);

impl Identifier {
    /// Validates `input` as an identifier of type `ty`. Spaces are ignored.
    pub fn parse(ty: IdentifierType, input: &str) -> Result<Identifier, IdentifierError> {
        identifier::parse(ty, input).map(Identifier)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The host takes the contract's rule: what the SDK accepts, it accepts.
    #[test]
    fn the_host_applies_the_contract_rule() {
        for (input, ok) in [
            ("73282932000074", true),
            ("35600000000048", true),
            ("35600000049837", true),
            ("00000000000000", false),
            ("12345678912345", false),
        ] {
            assert_eq!(
                Identifier::parse(IdentifierType::Siret, input).is_ok(),
                ok,
                "{input}"
            );
            assert_eq!(
                portico_contract::siret::validate(input).is_ok(),
                ok,
                "{input}"
            );
        }
        assert_eq!(
            Identifier::parse(IdentifierType::Siret, "732 829 320 00074")
                .unwrap()
                .as_str(),
            "73282932000074"
        );
    }
}
