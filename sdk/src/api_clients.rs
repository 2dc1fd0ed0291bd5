//! The current structure's API clients (contract 1.2.0). Capability:
//! `api-clients`, privileged: only the area `edi-api-connections` may hold
//! it, and the host answers `not-found` to anyone but a primary or secondary
//! manager of the current structure.
//!
//! The host keeps the secrets, as hashes. A secret in clear exists only in
//! the [`Issued`] that [`create`] and [`rotate`] answer: show it once, never
//! store it (not in kv, not in a fact, not in a log).

use serde::{Deserialize, Serialize};

use crate::{HostError, host};

/// What a client may do in one area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// GET only.
    Read,
    /// GET and POST.
    ReadWrite,
}

/// Whether what a client does reaches anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Everything is checked and reported; nothing reaches a recipient.
    Qualification,
    /// For real.
    Production,
}

/// One area a client may call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The area id.
    pub area: String,
    /// What it may do there.
    pub access: Access,
}

/// A client, as managers see it (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// `pc_…`: the OAuth `client_id`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The areas it may call.
    pub grants: Vec<Grant>,
    /// Qualification or production.
    pub mode: Mode,
    /// When it stops working, ms since the Unix epoch.
    pub expires_ms: u64,
    /// When it was created.
    pub created_ms: u64,
    /// When a manager revoked it.
    pub revoked_ms: Option<u64>,
    /// After a rotation, when the previous secret stops working.
    pub overlap_until_ms: Option<u64>,
}

impl Client {
    /// Whether it can still obtain tokens at `now_ms`.
    pub fn active(&self, now_ms: u64) -> bool {
        self.revoked_ms.is_none() && now_ms < self.expires_ms
    }
}

/// What [`create`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    /// 1 to 80 characters (field error `name`).
    pub name: String,
    /// At least one, among [`grantable`] (field error `grants`).
    pub grants: Vec<Grant>,
    /// Qualification or production.
    pub mode: Mode,
    /// After now, at most two years ahead (field error `expires`).
    pub expires_ms: u64,
}

/// A client with its new secret in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The client.
    pub client: Client,
    /// `pcs_…`: show it once, never store it.
    pub secret: String,
}

/// An area a client may be granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantableArea {
    /// The area id.
    pub id: String,
    /// Its title, in the request's language.
    pub title: String,
}

/// The structure's clients, revoked ones included, oldest first.
pub fn list() -> Result<Vec<Client>, HostError> {
    host::api_clients_list()
}

/// The areas a client of this structure may be granted.
pub fn grantable() -> Result<Vec<GrantableArea>, HostError> {
    host::api_clients_grantable()
}

/// Creates a client; the answer carries its secret.
pub fn create(new: &NewClient) -> Result<Issued, HostError> {
    host::api_clients_create(new)
}

/// Gives client `id` a new secret; the previous ones keep working until
/// `overlap_until_ms` (at most 30 days ahead: field error `overlap`).
pub fn rotate(id: &str, overlap_until_ms: u64) -> Result<Issued, HostError> {
    host::api_clients_rotate(id, overlap_until_ms)
}

/// Revokes client `id` at once.
pub fn revoke(id: &str) -> Result<Client, HostError> {
    host::api_clients_revoke(id)
}
