//! Closed sets of words the contract speaks: each with every value (`ALL`,
//! in display order), its wire spelling (`as_str`, used in `areas.yaml`,
//! forms, JSON and WIT), `parse` for that spelling, and a label for people.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Implements `Display` as the wire spelling.
macro_rules! display_as_str {
    ($($name:ident),+) => {
        $(impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        })+
    };
}

display_as_str!(
    Role,
    StructureKind,
    IdentifierType,
    RecipientRule,
    SubscriptionMode,
    RequestStatus
);

/// A member's role in one structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Exactly one per structure: the creator, until the role is transferred.
    PrimaryManager,
    /// A manager who is not the primary one.
    SecondaryManager,
    /// A member without management rights.
    User,
}

impl Role {
    /// Every role, in the order used for display and for `areas.yaml` defaults.
    pub const ALL: [Role; 3] = [Role::PrimaryManager, Role::SecondaryManager, Role::User];

    /// The wire spelling: `primary-manager`, `secondary-manager` or `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PrimaryManager => "primary-manager",
            Role::SecondaryManager => "secondary-manager",
            Role::User => "user",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Primary or secondary manager.
    pub fn is_manager(self) -> bool {
        matches!(self, Role::PrimaryManager | Role::SecondaryManager)
    }

    /// The label shown to people, e.g. `Primary manager`.
    pub fn label(self) -> &'static str {
        match self {
            Role::PrimaryManager => "Primary manager",
            Role::SecondaryManager => "Secondary manager",
            Role::User => "User",
        }
    }
}

/// Whether a structure supplies (private) or buys (public).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StructureKind {
    /// Companies and other private suppliers.
    Private,
    /// State, local authorities, hospitals: recipients of invoices.
    Public,
}

impl StructureKind {
    /// Both kinds, in display order.
    pub const ALL: [StructureKind; 2] = [StructureKind::Private, StructureKind::Public];

    /// The wire spelling: `private` or `public`.
    pub fn as_str(self) -> &'static str {
        match self {
            StructureKind::Private => "private",
            StructureKind::Public => "public",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<StructureKind> {
        StructureKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A label for people, e.g. `Private (supplier)`.
    pub fn label(self) -> &'static str {
        match self {
            StructureKind::Private => "Private (supplier)",
            StructureKind::Public => "Public (buyer)",
        }
    }
}

/// The kind of identifier a structure is registered with (Chorus Pro's
/// `typeIdentifiantStructure`). Each type's syntax is in [`crate::identifier`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentifierType {
    /// French entities: 14 digits, SIREN (9) + NIC (5) (see [`crate::siret`]).
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

    /// The wire spelling, e.g. `outside-eu`.
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

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<IdentifierType> {
        IdentifierType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// A label for people, e.g. `SIRET (France)`.
    pub fn label(self) -> &'static str {
        match self {
            IdentifierType::Siret => "SIRET (France)",
            IdentifierType::Eu => "European Union (outside France)",
            IdentifierType::OutsideEu => "Outside the European Union",
            IdentifierType::Ridet => "RIDET (New Caledonia)",
            IdentifierType::Tahiti => "TAHITI (French Polynesia)",
            IdentifierType::PrivateIndividual => "Private individual",
            IdentifierType::Other => "Other",
        }
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
            IdentifierType::Ridet => {
                "7 digits then a 3-digit establishment number, e.g. 1234567001"
            }
            IdentifierType::Tahiti => {
                "6 letters or digits then a 3-digit establishment number, e.g. A12345001"
            }
            IdentifierType::OutsideEu
            | IdentifierType::PrivateIndividual
            | IdentifierType::Other => "3 to 18 letters, digits, dots or dashes",
        }
    }
}

/// What a public structure requires on the invoices it receives (Chorus Pro's
/// `codeServiceDoitEtreRenseigne` / `numeroEJDoitEtreRenseigne` /
/// `gestionNumeroEJOuCodeService`, collapsed into one choice).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum RecipientRule {
    /// Nothing beyond the structure's identifier.
    #[default]
    None,
    /// A service code is required.
    ServiceCode,
    /// A commitment (EJ) number is required.
    CommitmentNumber,
    /// Either a service code or a commitment number is required.
    Either,
}

impl RecipientRule {
    /// Every rule, in display order.
    pub const ALL: [RecipientRule; 4] = [
        RecipientRule::None,
        RecipientRule::ServiceCode,
        RecipientRule::CommitmentNumber,
        RecipientRule::Either,
    ];

    /// The wire spelling, e.g. `service-code`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientRule::None => "none",
            RecipientRule::ServiceCode => "service-code",
            RecipientRule::CommitmentNumber => "commitment-number",
            RecipientRule::Either => "either",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<RecipientRule> {
        RecipientRule::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            RecipientRule::None => "No requirement",
            RecipientRule::ServiceCode => "Service code required",
            RecipientRule::CommitmentNumber => "Commitment number required",
            RecipientRule::Either => "Service code or commitment number required",
        }
    }

    /// Whether an invoice carrying a service code (`has_service_code`) and a
    /// commitment number (`has_commitment_number`) meets the rule.
    pub fn is_met(self, has_service_code: bool, has_commitment_number: bool) -> bool {
        match self {
            RecipientRule::None => true,
            RecipientRule::ServiceCode => has_service_code,
            RecipientRule::CommitmentNumber => has_commitment_number,
            RecipientRule::Either => has_service_code || has_commitment_number,
        }
    }
}

/// How a member uses an area added on request: read only, or read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubscriptionMode {
    /// Read only.
    Consultation,
    /// Read and write.
    Modification,
}

impl SubscriptionMode {
    /// Both modes, in display order.
    pub const ALL: [SubscriptionMode; 2] = [
        SubscriptionMode::Consultation,
        SubscriptionMode::Modification,
    ];

    /// The wire spelling: `consultation` or `modification`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionMode::Consultation => "consultation",
            SubscriptionMode::Modification => "modification",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<SubscriptionMode> {
        SubscriptionMode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Where a request (to be linked to a structure, to use an area) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestStatus {
    /// Waiting for a manager.
    Pending,
    /// A manager approved it.
    Approved,
    /// A manager refused it.
    Refused,
}

impl RequestStatus {
    /// Every status, in display order.
    pub const ALL: [RequestStatus; 3] = [
        RequestStatus::Pending,
        RequestStatus::Approved,
        RequestStatus::Refused,
    ];

    /// The wire spelling: `pending`, `approved` or `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Refused => "refused",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<RequestStatus> {
        RequestStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Sort key for request lists: pending first (managers act on those),
    /// then newest first.
    pub fn pending_first(self, created_ms: u64) -> (bool, std::cmp::Reverse<u64>) {
        (
            self != RequestStatus::Pending,
            std::cmp::Reverse(created_ms),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word parses back from its spelling, and serde uses the same one
    /// (the host stores these with serde, the WIT and forms use `as_str`).
    #[test]
    fn spellings_round_trip_through_parse_and_serde() {
        fn check<T: Copy + PartialEq + fmt::Debug + Serialize>(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            for &v in all {
                assert_eq!(parse(as_str(v)), Some(v));
                assert_eq!(
                    serde_json::to_value(v).unwrap(),
                    serde_json::Value::String(as_str(v).into())
                );
            }
            assert_eq!(parse("nonsense"), None);
        }
        check(&Role::ALL, Role::as_str, Role::parse);
        check(
            &StructureKind::ALL,
            StructureKind::as_str,
            StructureKind::parse,
        );
        check(
            &IdentifierType::ALL,
            IdentifierType::as_str,
            IdentifierType::parse,
        );
        check(
            &RecipientRule::ALL,
            RecipientRule::as_str,
            RecipientRule::parse,
        );
        check(
            &SubscriptionMode::ALL,
            SubscriptionMode::as_str,
            SubscriptionMode::parse,
        );
        check(
            &RequestStatus::ALL,
            RequestStatus::as_str,
            RequestStatus::parse,
        );
    }

    #[test]
    fn recipient_rules() {
        assert!(RecipientRule::None.is_met(false, false));
        assert!(!RecipientRule::ServiceCode.is_met(false, true));
        assert!(RecipientRule::ServiceCode.is_met(true, false));
        assert!(!RecipientRule::CommitmentNumber.is_met(true, false));
        assert!(RecipientRule::Either.is_met(false, true));
        assert!(!RecipientRule::Either.is_met(false, false));
    }

    #[test]
    fn only_managers_manage() {
        assert!(Role::PrimaryManager.is_manager() && Role::SecondaryManager.is_manager());
        assert!(!Role::User.is_manager());
    }
}
