//! Structures, their identifiers and members' roles: the domain types every
//! other module speaks. Storage of these lives in `store`; the rules that need
//! storage (membership checks) live next to the web handlers that apply them.

mod identifier;

pub use identifier::{Identifier, IdentifierError, IdentifierType};

use serde::{Deserialize, Serialize};

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

    /// The spelling used in `areas.yaml`, URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PrimaryManager => "primary-manager",
            Role::SecondaryManager => "secondary-manager",
            Role::User => "user",
        }
    }

    /// Parses the `areas.yaml` spelling.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Primary or secondary manager.
    pub fn is_manager(self) -> bool {
        matches!(self, Role::PrimaryManager | Role::SecondaryManager)
    }

    /// The label shown to people.
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
    /// Both kinds.
    pub const ALL: [StructureKind; 2] = [StructureKind::Private, StructureKind::Public];

    /// The spelling used in `areas.yaml`, forms and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StructureKind::Private => "private",
            StructureKind::Public => "public",
        }
    }

    /// Parses the `areas.yaml` spelling.
    pub fn parse(s: &str) -> Option<StructureKind> {
        StructureKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a public structure requires on the invoices it receives (Chorus Pro's
/// `codeServiceDoitEtreRenseigne` / `numeroEJDoitEtreRenseigne` /
/// `gestionNumeroEJOuCodeService`, collapsed into one choice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

    /// The spelling used in forms, JSON and WIT.
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientRule::None => "none",
            RecipientRule::ServiceCode => "service-code",
            RecipientRule::CommitmentNumber => "commitment-number",
            RecipientRule::Either => "either",
        }
    }
}

/// How a user asked to use an area: read only, or read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubscriptionMode {
    /// Read only.
    Consultation,
    /// Read and write.
    Modification,
}

impl SubscriptionMode {
    /// The spelling used in forms, JSON and WIT.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionMode::Consultation => "consultation",
            SubscriptionMode::Modification => "modification",
        }
    }
}

/// Where a request (to be linked to a structure, to use an area) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// The spelling used in JSON and WIT.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Refused => "refused",
        }
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
