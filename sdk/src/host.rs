//! The seam under every host import wrapper: on `wasm32` the calls go to the
//! real host through the generated bindings; elsewhere (native unit tests)
//! they go to the thread-local fake in [`crate::testing`].

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use crate::testing::imports::*;

#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::*;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use crate::account::{Membership, NewStructure, Profile};
    use crate::directory::Member;
    use crate::export::bindings::portico::area as wit;
    use crate::log::Level;
    use crate::{HostError, Structure};

    pub(crate) fn kv_get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
        wit::kv::get(key).map_err(Into::into)
    }

    pub(crate) fn kv_set(key: &str, value: &[u8]) -> Result<(), HostError> {
        wit::kv::set(key, value).map_err(Into::into)
    }

    pub(crate) fn kv_delete(key: &str) -> Result<bool, HostError> {
        wit::kv::delete(key).map_err(Into::into)
    }

    pub(crate) fn kv_list(
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<u8>)>, HostError> {
        wit::kv::list(prefix, after, limit).map_err(Into::into)
    }

    pub(crate) fn kv_compare_and_swap(
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, HostError> {
        wit::kv::compare_and_swap(key, expected, new).map_err(Into::into)
    }

    pub(crate) fn facts_set(name: &str, value: &str) -> Result<(), HostError> {
        wit::facts::set(name, value).map_err(Into::into)
    }

    pub(crate) fn facts_clear(name: &str) -> Result<(), HostError> {
        wit::facts::clear(name).map_err(Into::into)
    }

    pub(crate) fn facts_get(area: &str, name: &str) -> Result<Option<String>, HostError> {
        wit::facts::get(area, name).map_err(Into::into)
    }

    pub(crate) fn messages_send(
        to_structure: &str,
        to_area: &str,
        kind: &str,
        payload: &str,
    ) -> Result<String, HostError> {
        wit::messages::send(to_structure, to_area, kind, payload).map_err(Into::into)
    }

    pub(crate) fn directory_members() -> Result<Vec<Member>, HostError> {
        let members = wit::directory::members()?;
        Ok(members
            .into_iter()
            .map(|m| Member {
                user_id: m.user_id,
                first_name: m.first_name,
                last_name: m.last_name,
                email: m.email,
                role: m.role.into(),
            })
            .collect())
    }

    pub(crate) fn account_profile() -> Result<Profile, HostError> {
        let p = wit::account::get_profile()?;
        Ok(Profile {
            email: p.email,
            first_name: p.first_name,
            last_name: p.last_name,
            contact_email: p.contact_email,
            last_login_ms: p.last_login_ms,
        })
    }

    pub(crate) fn account_update_profile(
        first_name: &str,
        last_name: &str,
        contact_email: &str,
    ) -> Result<(), HostError> {
        wit::account::update_profile(first_name, last_name, contact_email).map_err(Into::into)
    }

    pub(crate) fn account_memberships() -> Result<Vec<Membership>, HostError> {
        let list = wit::account::memberships()?;
        Ok(list
            .into_iter()
            .map(|m| Membership {
                structure: m.structure.into(),
                role: m.role.into(),
            })
            .collect())
    }

    pub(crate) fn account_create_structure(new: &NewStructure) -> Result<Structure, HostError> {
        let new = wit::account::NewStructure {
            identifier_type: new.identifier_type.as_str().to_owned(),
            identifier: new.identifier.clone(),
            name: new.name.clone(),
            kind: new.kind.into(),
        };
        wit::account::create_structure(&new)
            .map(Into::into)
            .map_err(Into::into)
    }

    pub(crate) fn log_write(level: Level, message: &str) {
        let level = match level {
            Level::Debug => wit::log::Level::Debug,
            Level::Info => wit::log::Level::Info,
            Level::Warn => wit::log::Level::Warn,
            Level::Error => wit::log::Level::Error,
        };
        wit::log::write(level, message);
    }
}
