//! The current structure's people (privileged). Capability: `directory`.

use serde::{Deserialize, Serialize};

use crate::{HostError, Role, host};

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

/// The members of the current structure, primary manager first.
pub fn members() -> Result<Vec<Member>, HostError> {
    host::directory_members()
}
