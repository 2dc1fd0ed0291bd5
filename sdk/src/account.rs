//! The signed-in user's own account (privileged). Capability: `account`.

use serde::{Deserialize, Serialize};

use crate::{HostError, IdentifierType, Role, Structure, StructureKind, host};

/// The user's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Login email (not editable by areas).
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Where the portal writes to; defaults to the login email.
    pub contact_email: String,
    /// Previous sign-in, milliseconds since the Unix epoch, if any.
    pub last_login_ms: Option<u64>,
}

/// A structure the user belongs to, with the user's role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The structure.
    pub structure: Structure,
    /// The user's role there.
    pub role: Role,
}

/// What is needed to create a structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStructure {
    /// How the structure is identified.
    pub identifier_type: IdentifierType,
    /// The identifier; for a SIRET, 14 digits (spaces allowed).
    pub identifier: String,
    /// Registered name.
    pub name: String,
    /// Private supplier or public body.
    pub kind: StructureKind,
}

/// The user's profile.
pub fn profile() -> Result<Profile, HostError> {
    host::account_profile()
}

/// Changes the user's names and contact email. Field errors name
/// `first-name`, `last-name` or `contact-email`.
pub fn update_profile(
    first_name: &str,
    last_name: &str,
    contact_email: &str,
) -> Result<(), HostError> {
    host::account_update_profile(first_name, last_name, contact_email)
}

/// The structures the user belongs to.
pub fn memberships() -> Result<Vec<Membership>, HostError> {
    host::account_memberships()
}

/// Creates a structure; the user becomes its primary manager. Field errors
/// name `identifier-type`, `identifier`, `name` or `kind`;
/// [`HostError::Conflict`] if the identifier is taken.
pub fn create_structure(new: &NewStructure) -> Result<Structure, HostError> {
    host::account_create_structure(new)
}
