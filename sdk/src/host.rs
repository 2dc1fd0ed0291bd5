//! The seam under every host import wrapper: on `wasm32` the calls go to the
//! real host through the generated bindings; elsewhere (native unit tests)
//! they go to the thread-local fake in [`crate::testing`].

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use crate::testing::imports::*;

#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::*;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use crate::account::{
        AreaSubscription, LinkRequest as MyLinkRequest, Membership, NewStructure, Profile,
        StructureMatch,
    };
    use crate::directory::{
        AreaOffer, AuditEntry, LinkRequest, Member, RecipientRule, Settings, Subscription,
    };
    use crate::export::bindings::portico::area as wit;
    use crate::log::Level;
    use crate::{HostError, Structure};
    use crate::{RequestStatus, Role, Service, SubscriptionMode};

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

    pub(crate) fn timers_schedule(
        at_ms: u64,
        kind: &str,
        payload: &str,
    ) -> Result<String, HostError> {
        wit::timers::schedule(at_ms, kind, payload).map_err(Into::into)
    }

    pub(crate) fn timers_cancel(id: &str) -> Result<bool, HostError> {
        wit::timers::cancel(id).map_err(Into::into)
    }

    fn download(d: wit::types::Download) -> crate::Download {
        crate::Download {
            filename: d.filename,
            content_type: d.content_type,
            bytes: d.bytes,
        }
    }

    pub(crate) fn flows_list(
        from_ms: u64,
        to_ms: u64,
        status: Option<&str>,
        client: Option<&str>,
        limit: u32,
    ) -> Result<String, HostError> {
        wit::flows::list(from_ms, to_ms, status, client, limit).map_err(Into::into)
    }

    pub(crate) fn flows_get(id: &str) -> Result<Option<String>, HostError> {
        wit::flows::get(id).map_err(Into::into)
    }

    pub(crate) fn flows_original(id: &str) -> Result<Option<crate::Download>, HostError> {
        Ok(wit::flows::original(id)?.map(download))
    }

    pub(crate) fn flows_invoice_file(
        id: &str,
        index: u32,
    ) -> Result<Option<crate::Download>, HostError> {
        Ok(wit::flows::invoice_file(id, index)?.map(download))
    }

    pub(crate) fn flows_deposit(
        filename: &str,
        bytes: &[u8],
        qualification: bool,
    ) -> Result<String, HostError> {
        wit::flows::deposit(filename, bytes, qualification).map_err(Into::into)
    }

    pub(crate) fn flows_deliveries(limit: u32) -> Result<String, HostError> {
        wit::flows::deliveries(limit).map_err(Into::into)
    }

    fn api_client(c: wit::api_clients::Client) -> crate::api_clients::Client {
        use crate::api_clients::{Access, Client, Grant, Mode};
        Client {
            id: c.id,
            name: c.name,
            grants: c
                .grants
                .into_iter()
                .map(|g| Grant {
                    area: g.area,
                    access: match g.access {
                        wit::api_clients::Access::Read => Access::Read,
                        wit::api_clients::Access::ReadWrite => Access::ReadWrite,
                    },
                })
                .collect(),
            mode: match c.mode {
                wit::api_clients::ClientMode::Qualification => Mode::Qualification,
                wit::api_clients::ClientMode::Production => Mode::Production,
            },
            expires_ms: c.expires_ms,
            created_ms: c.created_ms,
            revoked_ms: c.revoked_ms,
            overlap_until_ms: c.overlap_until_ms,
        }
    }

    fn api_issued(i: wit::api_clients::Issued) -> crate::api_clients::Issued {
        crate::api_clients::Issued {
            client: api_client(i.client),
            secret: i.secret,
        }
    }

    pub(crate) fn api_clients_list() -> Result<Vec<crate::api_clients::Client>, HostError> {
        Ok(wit::api_clients::list()?
            .into_iter()
            .map(api_client)
            .collect())
    }

    pub(crate) fn api_clients_grantable()
    -> Result<Vec<crate::api_clients::GrantableArea>, HostError> {
        Ok(wit::api_clients::grantable()?
            .into_iter()
            .map(|a| crate::api_clients::GrantableArea {
                id: a.id,
                title: a.title,
            })
            .collect())
    }

    pub(crate) fn api_clients_create(
        new: &crate::api_clients::NewClient,
    ) -> Result<crate::api_clients::Issued, HostError> {
        use crate::api_clients::{Access, Mode};
        let new = wit::api_clients::NewClient {
            name: new.name.clone(),
            grants: new
                .grants
                .iter()
                .map(|g| wit::api_clients::Grant {
                    area: g.area.clone(),
                    access: match g.access {
                        Access::Read => wit::api_clients::Access::Read,
                        Access::ReadWrite => wit::api_clients::Access::ReadWrite,
                    },
                })
                .collect(),
            mode: match new.mode {
                Mode::Qualification => wit::api_clients::ClientMode::Qualification,
                Mode::Production => wit::api_clients::ClientMode::Production,
            },
            expires_ms: new.expires_ms,
        };
        Ok(api_issued(wit::api_clients::create(&new)?))
    }

    pub(crate) fn api_clients_rotate(
        id: &str,
        overlap_until_ms: u64,
    ) -> Result<crate::api_clients::Issued, HostError> {
        Ok(api_issued(wit::api_clients::rotate(id, overlap_until_ms)?))
    }

    pub(crate) fn api_clients_revoke(id: &str) -> Result<crate::api_clients::Client, HostError> {
        Ok(api_client(wit::api_clients::revoke(id)?))
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

    fn role(r: Role) -> wit::types::Role {
        match r {
            Role::PrimaryManager => wit::types::Role::PrimaryManager,
            Role::SecondaryManager => wit::types::Role::SecondaryManager,
            Role::User => wit::types::Role::User,
        }
    }

    fn status(s: wit::types::RequestStatus) -> RequestStatus {
        match s {
            wit::types::RequestStatus::Pending => RequestStatus::Pending,
            wit::types::RequestStatus::Approved => RequestStatus::Approved,
            wit::types::RequestStatus::Refused => RequestStatus::Refused,
        }
    }

    fn mode(m: wit::types::SubscriptionMode) -> SubscriptionMode {
        match m {
            wit::types::SubscriptionMode::Consultation => SubscriptionMode::Consultation,
            wit::types::SubscriptionMode::Modification => SubscriptionMode::Modification,
        }
    }

    fn mode_to(m: SubscriptionMode) -> wit::types::SubscriptionMode {
        match m {
            SubscriptionMode::Consultation => wit::types::SubscriptionMode::Consultation,
            SubscriptionMode::Modification => wit::types::SubscriptionMode::Modification,
        }
    }

    fn service(s: wit::types::Service) -> Service {
        Service {
            code: s.code,
            name: s.name,
            active: s.active,
        }
    }

    fn service_to(s: &Service) -> wit::types::Service {
        wit::types::Service {
            code: s.code.clone(),
            name: s.name.clone(),
            active: s.active,
        }
    }

    pub(crate) fn directory_link_requests() -> Result<Vec<LinkRequest>, HostError> {
        Ok(wit::directory::link_requests()?
            .into_iter()
            .map(|r| LinkRequest {
                user_id: r.user_id,
                first_name: r.first_name,
                last_name: r.last_name,
                email: r.email,
                services: r.services,
                status: status(r.status),
                created_ms: r.created_ms,
                decided_ms: r.decided_ms,
            })
            .collect())
    }

    pub(crate) fn directory_decide_link_requests(
        user_ids: &[String],
        approve_as: Option<Role>,
    ) -> Result<(), HostError> {
        match approve_as {
            Some(r) => wit::directory::approve_link_requests(user_ids, role(r)),
            None => wit::directory::refuse_link_requests(user_ids),
        }
        .map_err(Into::into)
    }

    pub(crate) fn directory_add_member(email: &str, r: Role) -> Result<Member, HostError> {
        let m = wit::directory::add_member(email, role(r))?;
        Ok(Member {
            user_id: m.user_id,
            first_name: m.first_name,
            last_name: m.last_name,
            email: m.email,
            role: m.role.into(),
        })
    }

    pub(crate) fn directory_set_role(user_id: &str, r: Role) -> Result<(), HostError> {
        wit::directory::set_role(user_id, role(r)).map_err(Into::into)
    }

    pub(crate) fn directory_transfer_primary(user_id: &str) -> Result<(), HostError> {
        wit::directory::transfer_primary(user_id).map_err(Into::into)
    }

    pub(crate) fn directory_remove_member(user_id: &str) -> Result<(), HostError> {
        wit::directory::remove_member(user_id).map_err(Into::into)
    }

    pub(crate) fn directory_services() -> Result<Vec<Service>, HostError> {
        Ok(wit::directory::services()?
            .into_iter()
            .map(service)
            .collect())
    }

    pub(crate) fn directory_save_service(s: &Service, create: bool) -> Result<(), HostError> {
        let s = service_to(s);
        if create {
            wit::directory::create_service(&s)
        } else {
            wit::directory::update_service(&s)
        }
        .map_err(Into::into)
    }

    pub(crate) fn directory_settings() -> Result<Settings, HostError> {
        use wit::directory::RecipientRule as W;
        let s = wit::directory::settings()?;
        Ok(Settings {
            kind: s.kind.into(),
            active: s.active,
            recipient_rule: match s.recipient_rule {
                W::None => RecipientRule::None,
                W::ServiceCode => RecipientRule::ServiceCode,
                W::CommitmentNumber => RecipientRule::CommitmentNumber,
                W::Either => RecipientRule::Either,
            },
        })
    }

    pub(crate) fn directory_update_settings(s: &Settings) -> Result<(), HostError> {
        use wit::directory::RecipientRule as W;
        let settings = wit::directory::StructureSettings {
            kind: s.kind.into(),
            active: s.active,
            recipient_rule: match s.recipient_rule {
                RecipientRule::None => W::None,
                RecipientRule::ServiceCode => W::ServiceCode,
                RecipientRule::CommitmentNumber => W::CommitmentNumber,
                RecipientRule::Either => W::Either,
            },
        };
        wit::directory::update_settings(settings).map_err(Into::into)
    }

    pub(crate) fn directory_areas() -> Result<Vec<AreaOffer>, HostError> {
        Ok(wit::directory::areas()?
            .into_iter()
            .map(|a| AreaOffer {
                id: a.id,
                title: a.title,
                description: a.description,
                installed: a.installed,
                unavailable_because: a.unavailable_because,
            })
            .collect())
    }

    pub(crate) fn directory_install_area(area: &str, install: bool) -> Result<(), HostError> {
        if install {
            wit::directory::install_area(area)
        } else {
            wit::directory::uninstall_area(area)
        }
        .map_err(Into::into)
    }

    pub(crate) fn directory_subscriptions() -> Result<Vec<Subscription>, HostError> {
        Ok(wit::directory::subscriptions()?
            .into_iter()
            .map(|s| Subscription {
                user_id: s.user_id,
                first_name: s.first_name,
                last_name: s.last_name,
                email: s.email,
                area: s.area,
                area_title: s.area_title,
                mode: mode(s.mode),
                status: status(s.status),
                created_ms: s.created_ms,
            })
            .collect())
    }

    pub(crate) fn directory_decide_subscription(
        user_id: &str,
        area: &str,
        approve: bool,
    ) -> Result<(), HostError> {
        wit::directory::decide_subscription(user_id, area, approve).map_err(Into::into)
    }

    pub(crate) fn directory_history(limit: u32) -> Result<Vec<AuditEntry>, HostError> {
        Ok(wit::directory::history(limit)?
            .into_iter()
            .map(|e| AuditEntry {
                at_ms: e.at_ms,
                actor: e.actor,
                action: e.action,
                detail: e.detail,
            })
            .collect())
    }

    pub(crate) fn account_search_structures(query: &str) -> Result<Vec<StructureMatch>, HostError> {
        Ok(wit::account::search_structures(query)?
            .into_iter()
            .map(|m| StructureMatch {
                structure: m.structure.into(),
                services: m.services.into_iter().map(service).collect(),
                member: m.member,
                pending: m.pending,
            })
            .collect())
    }

    pub(crate) fn account_request_link(
        structure_id: &str,
        services: &[String],
    ) -> Result<(), HostError> {
        wit::account::request_link(structure_id, services).map_err(Into::into)
    }

    pub(crate) fn account_link_requests() -> Result<Vec<MyLinkRequest>, HostError> {
        Ok(wit::account::link_requests()?
            .into_iter()
            .map(|r| MyLinkRequest {
                structure: r.structure.into(),
                services: r.services,
                status: status(r.status),
                created_ms: r.created_ms,
                decided_ms: r.decided_ms,
            })
            .collect())
    }

    pub(crate) fn account_subscriptions() -> Result<Vec<AreaSubscription>, HostError> {
        Ok(wit::account::subscriptions()?
            .into_iter()
            .map(|a| AreaSubscription {
                structure: a.structure.into(),
                area: a.area,
                area_title: a.area_title,
                description: a.description,
                mode: a.mode.map(mode),
                status: a.status.map(status),
                included: a.included,
            })
            .collect())
    }

    pub(crate) fn account_request_subscription(
        structure_id: &str,
        area: &str,
        m: SubscriptionMode,
    ) -> Result<(), HostError> {
        wit::account::request_subscription(structure_id, area, mode_to(m)).map_err(Into::into)
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
