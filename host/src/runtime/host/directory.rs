//! `portico:area/directory`: the current structure's people, services,
//! settings, areas and history (privileged: Manager activities).
//!
//! The plugin's word is never trusted: every call re-reads the caller's role
//! in the current structure from the store and, unless the call is one of
//! the read-only ones open to members, answers `not-found` to anyone who is
//! not a primary or secondary manager there. Every change is audited.

use std::sync::Arc;

use super::{HostCall, HostState, store_error};
use crate::access::{self, Reason};
use crate::catalog::Catalog;
use crate::config::{Install, Scope};
use crate::directory::{RecipientRule, Role};
use crate::i18n::reference;
use crate::runtime::bindings::portico::area::directory::{
    AreaOffer, AuditEntry, Host, LinkRequest, Member, RecipientRule as WitRule,
    StructureSettings as Settings, Subscription,
};
use crate::runtime::bindings::types::{self, FieldError, HostError};
use crate::runtime::convert;
use crate::store::{MAX_LIST, Service, Store, StoreError, UserId};

/// Most link requests one bulk decision takes: one page of the list.
pub(super) const MAX_BULK: usize = 200;

/// Whether a call is open to every member or to managers only.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Member,
    Manager,
}

/// What a checked directory call works with.
struct Caller {
    scope: super::CallScope,
    store: Store,
    structure: String,
    user: UserId,
    role: Role,
}

impl Caller {
    fn err(&self, e: StoreError) -> HostError {
        store_error(&self.scope, e)
    }

    /// Records a manager action; a failure is logged (the change is done and
    /// durable, the page must not claim otherwise).
    fn audit(&self, action: &str, detail: serde_json::Value) {
        if let Err(e) = self.store.audit(
            &self.user,
            Some(&self.structure),
            action,
            detail,
            self.store.clock().now_ms(),
        ) {
            tracing::error!(request_id = %self.scope.request_id, action, error = %e, "audit write failed");
        }
    }
}

fn field(field: &str, message: impl Into<String>) -> HostError {
    HostError::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// `secondary-manager` or `user`; the primary role only moves by transfer.
fn assignable(role: types::Role) -> Result<Role, HostError> {
    match convert::role_from(role) {
        Role::PrimaryManager => Err(field("role", reference("refusal.role-primary", &[]))),
        r => Ok(r),
    }
}

/// The contract's rules for a service's code and name, every error at once.
fn check_service(s: &types::Service) -> Result<(String, String), HostError> {
    use portico_contract::names::{service_code, service_name};
    match (service_code(&s.code), service_name(&s.name)) {
        (Ok(code), Ok(name)) => Ok((code, name)),
        (code, name) => Err(super::refused_all(
            [code.err(), name.err()].into_iter().flatten(),
        )),
    }
}

fn rule(r: RecipientRule) -> WitRule {
    match r {
        RecipientRule::None => WitRule::None,
        RecipientRule::ServiceCode => WitRule::ServiceCode,
        RecipientRule::CommitmentNumber => WitRule::CommitmentNumber,
        RecipientRule::Either => WitRule::Either,
    }
}

fn rule_from(r: WitRule) -> RecipientRule {
    match r {
        WitRule::None => RecipientRule::None,
        WitRule::ServiceCode => RecipientRule::ServiceCode,
        WitRule::CommitmentNumber => RecipientRule::CommitmentNumber,
        WitRule::Either => RecipientRule::Either,
    }
}

impl HostState {
    /// Authorizes `call`, then re-reads the caller's role in the current
    /// structure. Anyone below `need` gets `not-found`: the plugin cannot
    /// widen what the host lets a person do, and non-managers learn nothing.
    fn caller(&mut self, call: HostCall, need: Need) -> Result<Caller, HostError> {
        let scope = self.authorize(call)?.clone();
        let structure = self.structure()?.to_string();
        let user = UserId::new(self.user()?);
        let store = self.store()?.clone();
        let role = store
            .role_in(&user, &structure)
            .map_err(|e| store_error(&scope, e))?
            .filter(|r| need == Need::Member || r.is_manager())
            .ok_or_else(|| HostError::NotFound(reference("refusal.managers-only", &[])))?;
        Ok(Caller {
            scope,
            store,
            structure,
            user,
            role,
        })
    }

    /// The member `user_id` of the caller's structure, or `not-found`
    /// (another structure's members do not exist here).
    fn member_of(c: &Caller, user_id: &str) -> Result<(UserId, Role), HostError> {
        let id = UserId::new(user_id);
        let role = c
            .store
            .role_in(&id, &c.structure)
            .map_err(|e| c.err(e))?
            .ok_or_else(|| {
                HostError::NotFound(reference("refusal.no-member", &[("id", user_id)]))
            })?;
        Ok((id, role))
    }

    /// The on-request structure areas of the catalog offered to this kind.
    fn offers(catalog: &Catalog, c: &Caller) -> Result<Vec<AreaOffer>, HostError> {
        let structure = c
            .store
            .structure(&c.structure)
            .map_err(|e| c.err(e))?
            .ok_or_else(|| HostError::NotFound(reference("refusal.no-structure", &[])))?;
        let installs = c.store.installs(&c.structure).map_err(|e| c.err(e))?;
        let facts = c.store.facts(&c.structure).map_err(|e| c.err(e))?;
        let place = access::Place {
            structure: &structure,
            installs: &installs,
            facts: &facts,
        };
        Ok(catalog
            .areas
            .iter()
            .filter(|a| {
                a.spec.scope == Scope::Structure
                    && a.spec.install == Install::OnRequest
                    && a.loaded.is_ok()
            })
            .filter_map(|a| {
                // Asked of the one access rule: could it be opened here once added?
                let unavailable = access::availability(catalog, a, &place, c.role);
                if matches!(unavailable, Some(Reason::KindNotOffered(_))) {
                    return None;
                }
                Some(AreaOffer {
                    id: a.spec.id.to_string(),
                    title: a.spec.title.current().to_owned(),
                    description: a.spec.description.current().to_owned(),
                    installed: installs.contains(a.spec.id.as_str()),
                    unavailable_because: unavailable.map(|r| r.to_string()),
                })
            })
            .collect())
    }

    fn offered(&mut self, c: &Caller, area: &str) -> Result<(), HostError> {
        let catalog: Arc<Catalog> = self.catalog()?;
        if Self::offers(&catalog, c)?.iter().any(|o| o.id == area) {
            Ok(())
        } else {
            Err(HostError::NotFound(reference(
                "refusal.area-not-offered",
                &[("area", area)],
            )))
        }
    }
}

impl Host for HostState {
    fn members(&mut self) -> Result<Vec<Member>, HostError> {
        let c = self.caller(HostCall::DirectoryMembers, Need::Member)?;
        let members = c.store.members(&c.structure).map_err(|e| c.err(e))?;
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

    fn link_requests(&mut self) -> Result<Vec<LinkRequest>, HostError> {
        let c = self.caller(HostCall::DirectoryLinkRequests, Need::Manager)?;
        let requests = c.store.link_requests(&c.structure).map_err(|e| c.err(e))?;
        let mut out = Vec::with_capacity(requests.len());
        for r in requests {
            // An account deleted since it asked is left out of the list.
            let Some(user) = c.store.user(&r.user).map_err(|e| c.err(e))? else {
                continue;
            };
            out.push(LinkRequest {
                user_id: user.id.to_string(),
                first_name: user.first_name,
                last_name: user.last_name,
                email: user.email,
                services: r.services,
                status: convert::status(r.status),
                created_ms: r.created_ms,
                decided_ms: r.decided_ms,
            });
        }
        Ok(out)
    }

    fn approve_link_requests(
        &mut self,
        user_ids: Vec<String>,
        role: types::Role,
    ) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectoryLinkRequests, Need::Manager)?;
        let role = assignable(role)?;
        decide_links(&c, user_ids, Some(role))
    }

    fn refuse_link_requests(&mut self, user_ids: Vec<String>) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectoryLinkRequests, Need::Manager)?;
        decide_links(&c, user_ids, None)
    }

    fn add_member(&mut self, email: String, role: types::Role) -> Result<Member, HostError> {
        let c = self.caller(HostCall::DirectoryMembership, Need::Manager)?;
        let role = assignable(role)?;
        let email = crate::auth::normalize_email(&email).map_err(|m| field("email", m))?;
        let user = c
            .store
            .user_by_email(&email)
            .map_err(|e| c.err(e))?
            .ok_or_else(|| {
                field(
                    "email",
                    reference("refusal.no-account", &[("email", &email)]),
                )
            })?;
        c.store
            .add_member(&c.structure, &user.id, role)
            .map_err(|e| match e {
                StoreError::Conflict(_) => field(
                    "email",
                    reference("refusal.already-member", &[("email", &email)]),
                ),
                other => c.err(other),
            })?;
        c.audit(
            "member.add",
            serde_json::json!({ "member": user.email, "role": role.as_str() }),
        );
        Ok(Member {
            user_id: user.id.to_string(),
            first_name: user.first_name,
            last_name: user.last_name,
            email: user.email,
            role: convert::role(role),
        })
    }

    fn set_role(&mut self, user_id: String, role: types::Role) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectoryMembership, Need::Manager)?;
        let role = assignable(role)?;
        let (id, _) = Self::member_of(&c, &user_id)?;
        c.store
            .set_role(&c.structure, &id, role)
            .map_err(|e| c.err(e))?;
        c.audit(
            "member.role",
            serde_json::json!({ "member": email_of(&c, &id), "role": role.as_str() }),
        );
        Ok(())
    }

    fn transfer_primary(&mut self, user_id: String) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectoryMembership, Need::Manager)?;
        if c.role != Role::PrimaryManager {
            return Err(HostError::Conflict(reference(
                "refusal.transfer-primary-only",
                &[],
            )));
        }
        let (id, _) = Self::member_of(&c, &user_id)?;
        c.store
            .transfer_primary(&c.structure, &c.user, &id)
            .map_err(|e| c.err(e))?;
        c.audit(
            "member.transfer-primary",
            serde_json::json!({ "to": email_of(&c, &id) }),
        );
        Ok(())
    }

    fn remove_member(&mut self, user_id: String) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectoryMembership, Need::Manager)?;
        let (id, _) = Self::member_of(&c, &user_id)?;
        let email = email_of(&c, &id);
        c.store
            .remove_member(&c.structure, &id)
            .map_err(|e| c.err(e))?;
        c.audit("member.remove", serde_json::json!({ "member": email }));
        Ok(())
    }

    fn services(&mut self) -> Result<Vec<types::Service>, HostError> {
        let c = self.caller(HostCall::DirectoryServices, Need::Member)?;
        let services = c.store.services(&c.structure).map_err(|e| c.err(e))?;
        Ok(services.into_iter().map(convert::service).collect())
    }

    fn create_service(&mut self, service: types::Service) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectoryServices, Need::Manager)?;
        let (code, name) = check_service(&service)?;
        let stored = Service {
            code: code.clone(),
            name: name.clone(),
            active: service.active,
        };
        c.store
            .create_service(&c.structure, &stored)
            .map_err(|e| match e {
                StoreError::Conflict(m) => field("code", m),
                other => c.err(other),
            })?;
        c.audit(
            "service.create",
            serde_json::json!({ "code": code, "name": name, "active": service.active }),
        );
        Ok(())
    }

    fn update_service(&mut self, service: types::Service) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectoryServices, Need::Manager)?;
        let (code, name) = check_service(&service)?;
        c.store
            .update_service(&c.structure, &code, &name, service.active)
            .map_err(|e| c.err(e))?;
        c.audit(
            "service.update",
            serde_json::json!({ "code": code, "name": name, "active": service.active }),
        );
        Ok(())
    }

    fn settings(&mut self) -> Result<Settings, HostError> {
        let c = self.caller(HostCall::DirectorySettings, Need::Manager)?;
        let s = c
            .store
            .structure(&c.structure)
            .map_err(|e| c.err(e))?
            .ok_or_else(|| HostError::NotFound(reference("refusal.no-structure", &[])))?;
        Ok(Settings {
            kind: convert::kind(s.kind),
            active: s.active,
            recipient_rule: rule(s.recipient_rule),
        })
    }

    fn update_settings(&mut self, settings: Settings) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectorySettings, Need::Manager)?;
        let kind = convert::kind_from(settings.kind);
        let recipient_rule = rule_from(settings.recipient_rule);
        c.store
            .update_structure_settings(&c.structure, kind, settings.active, recipient_rule)
            .map_err(|e| c.err(e))?;
        c.audit(
            "structure.settings",
            serde_json::json!({
                "kind": kind.as_str(),
                "active": settings.active,
                "recipient-rule": recipient_rule.as_str(),
            }),
        );
        Ok(())
    }

    fn areas(&mut self) -> Result<Vec<AreaOffer>, HostError> {
        let c = self.caller(HostCall::DirectoryAreas, Need::Manager)?;
        let catalog = self.catalog()?;
        Self::offers(&catalog, &c)
    }

    fn install_area(&mut self, area: String) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectoryAreas, Need::Manager)?;
        self.offered(&c, &area)?;
        let fresh = c
            .store
            .install_area(&c.structure, &area)
            .map_err(|e| c.err(e))?;
        if fresh {
            c.audit("area.add", serde_json::json!({ "area": area }));
        }
        Ok(())
    }

    fn uninstall_area(&mut self, area: String) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectoryAreas, Need::Manager)?;
        let removed = c
            .store
            .uninstall_area(&c.structure, &area)
            .map_err(|e| c.err(e))?;
        if !removed {
            return Err(HostError::NotFound(reference(
                "refusal.area-not-added",
                &[("area", &area)],
            )));
        }
        c.audit("area.remove", serde_json::json!({ "area": area }));
        Ok(())
    }

    fn subscriptions(&mut self) -> Result<Vec<Subscription>, HostError> {
        let c = self.caller(HostCall::DirectorySubscriptions, Need::Manager)?;
        let catalog = self.catalog()?;
        let subs = c.store.subscriptions(&c.structure).map_err(|e| c.err(e))?;
        let mut out = Vec::with_capacity(subs.len());
        for s in subs {
            let Some(user) = c.store.user(&s.user).map_err(|e| c.err(e))? else {
                continue;
            };
            out.push(Subscription {
                user_id: user.id.to_string(),
                first_name: user.first_name,
                last_name: user.last_name,
                email: user.email,
                area_title: catalog
                    .area(&s.area)
                    .map_or_else(|| s.area.clone(), |a| a.spec.title.current().to_owned()),
                area: s.area,
                mode: convert::mode(s.mode),
                status: convert::status(s.status),
                created_ms: s.created_ms,
            });
        }
        Ok(out)
    }

    fn decide_subscription(
        &mut self,
        user_id: String,
        area: String,
        approve: bool,
    ) -> Result<(), HostError> {
        let c = self.caller(HostCall::DirectorySubscriptions, Need::Manager)?;
        let id = UserId::new(&user_id);
        let s = c
            .store
            .decide_subscription(&c.structure, &id, &area, approve, c.store.clock().now_ms())
            .map_err(|e| c.err(e))?;
        c.audit(
            if approve {
                "subscription.approve"
            } else {
                "subscription.refuse"
            },
            serde_json::json!({ "member": email_of(&c, &id), "area": area, "mode": s.mode.as_str() }),
        );
        Ok(())
    }

    fn history(&mut self, limit: u32) -> Result<Vec<AuditEntry>, HostError> {
        let c = self.caller(HostCall::DirectoryHistory, Need::Manager)?;
        let limit = (limit as usize).min(MAX_LIST);
        let entries = c
            .store
            .audit_log(Some(&c.structure), limit)
            .map_err(|e| c.err(e))?;
        let mut names = std::collections::BTreeMap::new();
        Ok(entries
            .into_iter()
            .map(|e| {
                // An API client's calls name the client (issue 14).
                let client = e
                    .actor
                    .as_str()
                    .strip_prefix(crate::api::ACTOR_PREFIX)
                    .map(|id| match e.detail["client"].as_str() {
                        Some(name) => format!("{name} (API {id})"),
                        None => format!("API {id}"),
                    });
                let actor = names
                    .entry(e.actor.clone())
                    .or_insert_with(|| {
                        client.unwrap_or_else(|| match c.store.user(&e.actor) {
                            Ok(Some(u)) => {
                                format!("{} {} <{}>", u.first_name, u.last_name, u.email)
                            }
                            _ => e.actor.to_string(),
                        })
                    })
                    .clone();
                AuditEntry {
                    at_ms: e.at_ms,
                    actor,
                    action: e.action,
                    detail: e.detail.to_string(),
                }
            })
            .collect())
    }
}

/// The login email of `id`, for audit details (the id if the account is gone).
fn email_of(c: &Caller, id: &UserId) -> String {
    match c.store.user(id) {
        Ok(Some(u)) => u.email,
        _ => id.to_string(),
    }
}

/// Approves (with `role`) or refuses every listed pending request. All are
/// checked first, so a stale id refuses the whole batch before any change.
fn decide_links(c: &Caller, user_ids: Vec<String>, role: Option<Role>) -> Result<(), HostError> {
    if user_ids.is_empty() {
        return Err(field("user-ids", reference("refusal.select-requests", &[])));
    }
    if user_ids.len() > MAX_BULK {
        return Err(HostError::LimitExceeded(reference(
            "refusal.bulk-limit",
            &[
                ("max", &MAX_BULK.to_string()),
                ("count", &user_ids.len().to_string()),
            ],
        )));
    }
    let pending = c.store.link_requests(&c.structure).map_err(|e| c.err(e))?;
    for id in &user_ids {
        let waiting = pending
            .iter()
            .any(|r| r.user.as_str() == id && r.status == crate::directory::RequestStatus::Pending);
        if !waiting {
            return Err(HostError::NotFound(reference(
                "refusal.no-pending-request",
                &[("id", id)],
            )));
        }
    }
    for id in user_ids {
        let user = UserId::new(&id);
        c.store
            .decide_link_request(
                &c.structure,
                &user,
                role.is_some(),
                role.unwrap_or(Role::User),
                c.store.clock().now_ms(),
            )
            .map_err(|e| c.err(e))?;
        let email = email_of(c, &user);
        match role {
            Some(role) => c.audit(
                "link.approve",
                serde_json::json!({ "member": email, "role": role.as_str() }),
            ),
            None => c.audit("link.refuse", serde_json::json!({ "member": email })),
        }
    }
    Ok(())
}
