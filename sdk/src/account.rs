//! The signed-in user's own account (privileged). Capability: `account`.

use serde::{Deserialize, Serialize};

use crate::{
    HostError, IdentifierType, RequestStatus, Role, Service, Structure, StructureKind,
    SubscriptionMode, host,
};

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

/// A structure found by [`search_structures`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructureMatch {
    /// The structure.
    pub structure: Structure,
    /// Its active services, to name in a link request.
    pub services: Vec<Service>,
    /// Whether the user is a member already.
    pub member: bool,
    /// Whether the user has a request waiting there.
    pub pending: bool,
}

/// One of the user's link requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRequest {
    /// The structure asked for.
    pub structure: Structure,
    /// Service codes named.
    pub services: Vec<String>,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it was made, ms since the Unix epoch.
    pub created_ms: u64,
    /// When a manager decided, if one did.
    pub decided_ms: Option<u64>,
}

/// An area added on request to one of the user's structures, with the
/// user's subscription to it if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaSubscription {
    /// The structure.
    pub structure: Structure,
    /// Area id.
    pub area: String,
    /// Area title.
    pub area_title: String,
    /// One sentence from `areas.yaml`.
    pub description: String,
    /// The subscription's mode, if the user asked for one.
    pub mode: Option<SubscriptionMode>,
    /// Where the request stands; `None` if the user never asked.
    pub status: Option<RequestStatus>,
    /// Whether the user's role opens the area without a subscription.
    pub included: bool,
}

/// Active structures a person may find: the one whose identifier is exactly
/// `query` (spaces ignored; any kind), and public ones whose name starts
/// with `query` (at least 4 characters; case and spaces ignored). Suppliers
/// are never listed by name. At most 20. Field error `query` for a shorter
/// query, or when the account searched too often (it says how long to wait).
pub fn search_structures(query: &str) -> Result<Vec<StructureMatch>, HostError> {
    host::account_search_structures(query)
}

/// Asks the managers of `structure_id` to link the user, optionally naming
/// services. [`HostError::Conflict`] if a member already or already asked.
pub fn request_link(structure_id: &str, services: &[String]) -> Result<(), HostError> {
    host::account_request_link(structure_id, services)
}

/// The user's link requests, newest first.
pub fn link_requests() -> Result<Vec<LinkRequest>, HostError> {
    host::account_link_requests()
}

/// The areas added on request to the user's structures, with the user's
/// subscription state.
pub fn subscriptions() -> Result<Vec<AreaSubscription>, HostError> {
    host::account_subscriptions()
}

/// Asks to use `area` of `structure_id` in `mode`.
pub fn request_subscription(
    structure_id: &str,
    area: &str,
    mode: SubscriptionMode,
) -> Result<(), HostError> {
    host::account_request_subscription(structure_id, area, mode)
}
