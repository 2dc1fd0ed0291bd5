//! `portico:area/directory`: the current structure's people (privileged).

use super::{HostCall, HostState, store_error};
use crate::runtime::bindings::portico::area::directory::{Host, Member};
use crate::runtime::bindings::types::HostError;
use crate::runtime::convert;

impl Host for HostState {
    fn members(&mut self) -> Result<Vec<Member>, HostError> {
        let scope = self.authorize(HostCall::DirectoryMembers)?.clone();
        let structure = self.structure()?.to_string();
        let members = self
            .store()?
            .members(&structure)
            .map_err(|e| store_error(&scope, e))?;
        Ok(members
            .into_iter()
            .map(|(user, role)| Member {
                user_id: user.id.to_string(),
                first_name: user.first_name,
                last_name: user.last_name,
                email: user.email,
                role: convert::role(role),
            })
            .collect())
    }
}
