//! The current structure's people, services, settings, areas and history
//! (privileged: Manager activities). Capability: `directory`.
//!
//! The host re-checks every call: only a primary or secondary manager of the
//! current structure gets an answer ([`members`] and [`services`] are open
//! to every member); anyone else gets [`HostError::NotFound`], whatever the
//! area asks. Every change is written to the structure's audit log, which
//! [`history`] reads.

use serde::{Deserialize, Serialize};

use crate::{HostError, RequestStatus, Role, Service, StructureKind, SubscriptionMode, host};

/// A member of the current structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Account id.
    pub user_id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Login email.
    pub email: String,
    /// Role in the current structure.
    pub role: Role,
}

/// Someone who asked to be linked to the current structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRequest {
    /// Account id of the requester; identifies the request.
    pub user_id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Login email.
    pub email: String,
    /// Service codes the requester named.
    pub services: Vec<String>,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it was made, ms since the Unix epoch.
    pub created_ms: u64,
    /// When a manager decided, if one did.
    pub decided_ms: Option<u64>,
}

/// What invoices addressed to the structure must carry (the contract's
/// type, shared with the host).
pub use portico_contract::RecipientRule;

/// The structure's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Private supplier or public body.
    pub kind: StructureKind,
    /// Inactive structures cannot be invoiced nor joined.
    pub active: bool,
    /// What its invoices must carry.
    pub recipient_rule: RecipientRule,
}

/// An area the structure can add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaOffer {
    /// Area id.
    pub id: String,
    /// Tab label.
    pub title: String,
    /// One sentence from `areas.yaml`.
    pub description: String,
    /// Whether the structure added it.
    pub installed: bool,
    /// Why it cannot be opened yet (unmet `requires` or `when`); `None` if it can.
    pub unavailable_because: Option<String>,
}

/// A member's subscription to an added area, or a request for one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The member's account id.
    pub user_id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Login email.
    pub email: String,
    /// Area id.
    pub area: String,
    /// Area title.
    pub area_title: String,
    /// Consultation or modification.
    pub mode: SubscriptionMode,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it was asked for, ms since the Unix epoch.
    pub created_ms: u64,
}

/// One audited manager action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When, ms since the Unix epoch.
    pub at_ms: u64,
    /// Who acted: name and email.
    pub actor: String,
    /// What was done, e.g. `member.role`.
    pub action: String,
    /// Details as JSON text.
    pub detail: String,
}

/// The members of the current structure, primary manager first.
pub fn members() -> Result<Vec<Member>, HostError> {
    host::directory_members()
}

/// Link requests to the current structure: pending first, then newest.
pub fn link_requests() -> Result<Vec<LinkRequest>, HostError> {
    host::directory_link_requests()
}

/// Approves the pending requests of these accounts; each becomes a member
/// with `role` (secondary manager or user). Every id is checked before any
/// change.
pub fn approve_link_requests(user_ids: &[String], role: Role) -> Result<(), HostError> {
    host::directory_decide_link_requests(user_ids, Some(role))
}

/// Refuses the pending requests of these accounts.
pub fn refuse_link_requests(user_ids: &[String]) -> Result<(), HostError> {
    host::directory_decide_link_requests(user_ids, None)
}

/// Adds an existing account by its login email. Field errors name `email`
/// or `role`.
pub fn add_member(email: &str, role: Role) -> Result<Member, HostError> {
    host::directory_add_member(email, role)
}

/// Changes a member's role to secondary manager or user;
/// [`HostError::Conflict`] for the primary manager.
pub fn set_role(user_id: &str, role: Role) -> Result<(), HostError> {
    host::directory_set_role(user_id, role)
}

/// Makes another member primary manager; the caller (the primary manager)
/// becomes secondary manager.
pub fn transfer_primary(user_id: &str) -> Result<(), HostError> {
    host::directory_transfer_primary(user_id)
}

/// Removes a member (never the primary manager).
pub fn remove_member(user_id: &str) -> Result<(), HostError> {
    host::directory_remove_member(user_id)
}

/// The structure's services, by code.
pub fn services() -> Result<Vec<Service>, HostError> {
    host::directory_services()
}

/// Declares a service. Field errors name `code` or `name`.
pub fn create_service(service: &Service) -> Result<(), HostError> {
    host::directory_save_service(service, true)
}

/// Renames, deactivates or reactivates the service with `service.code`.
pub fn update_service(service: &Service) -> Result<(), HostError> {
    host::directory_save_service(service, false)
}

/// The structure's settings.
pub fn settings() -> Result<Settings, HostError> {
    host::directory_settings()
}

/// Changes the structure's settings.
pub fn update_settings(settings: &Settings) -> Result<(), HostError> {
    host::directory_update_settings(settings)
}

/// The areas this structure can add, with their state and why an area is
/// not available yet.
pub fn areas() -> Result<Vec<AreaOffer>, HostError> {
    host::directory_areas()
}

/// Adds an area listed by [`areas`].
pub fn install_area(area: &str) -> Result<(), HostError> {
    host::directory_install_area(area, true)
}

/// Removes an added area; its data is kept.
pub fn uninstall_area(area: &str) -> Result<(), HostError> {
    host::directory_install_area(area, false)
}

/// Subscriptions and requests in the structure: pending first.
pub fn subscriptions() -> Result<Vec<Subscription>, HostError> {
    host::directory_subscriptions()
}

/// Approves or refuses a member's pending request for `area`.
pub fn decide_subscription(user_id: &str, area: &str, approve: bool) -> Result<(), HostError> {
    host::directory_decide_subscription(user_id, area, approve)
}

/// The newest `limit` (at most 1000) manager actions on the structure.
pub fn history(limit: u32) -> Result<Vec<AuditEntry>, HostError> {
    host::directory_history(limit)
}
