//! SIRET numbers: the 14-digit identifier of a French establishment
//! (SIREN, 9 digits, + NIC, 5 digits).
//!
//! A SIRET is valid when it has 14 digits and either the Luhn sum of all 14
//! is a multiple of 10, or its SIREN is La Poste's `356000000` and the plain
//! sum of its digits is a multiple of 5; a SIREN of nine zeros is refused.
//! This is the host's rule, from the same crate (`portico-contract`).
//!
//! ```
//! use portico_sdk::siret;
//! assert_eq!(siret::validate("732 829 320 00074").unwrap(), "73282932000074");
//! assert!(siret::validate("35600000000048").is_ok()); // La Poste's head office
//! assert!(siret::validate("00000000000000").is_err());
//! ```

pub use portico_contract::siret::{LA_POSTE_SIREN, SiretError, validate};
