//! `portico:area/account`: the signed-in user's own account (privileged).

use super::{HostCall, HostState, store_error};
use crate::access::{self, Party, Reason, Verdict};
use crate::auth;
use crate::config::Install;
use crate::directory::RequestStatus;
use crate::directory::{Identifier, IdentifierType, StructureKind};
use crate::i18n::reference;
use crate::runtime::bindings::portico::area::account::{
    AreaSubscription, Host, LinkRequest, Membership, NewStructure, Profile, StructureMatch,
};
use crate::runtime::bindings::types::{self, FieldError, HostError};
use crate::runtime::convert;
use crate::store::{MIN_NAME_PREFIX, NewStructure as StoreNewStructure, StoreError, UserId};

/// Structure searches per account: 20 at once, then one every 6 seconds.
/// Each costs index reads and reveals a little of the directory.
/// Counted in the store: every host of the portal shares the budget.
static SEARCHES: crate::auth::CellRateLimit =
    crate::auth::CellRateLimit::new("structure-search", 20, std::time::Duration::from_secs(6));

fn field(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

impl HostState {
    /// Joining or creating a structure needs a confirmed login email: a
    /// structure's managers must be able to trust who asks, and a
    /// structure must not be registered under an address nobody reads.
    fn require_confirmed_email(
        &mut self,
        scope: &crate::runtime::CallScope,
        user_id: &UserId,
        field_name: &str,
        doing: &str,
    ) -> Result<(), HostError> {
        let user = self
            .store()?
            .user(user_id)
            .map_err(|e| store_error(scope, e))?
            .ok_or_else(|| HostError::NotFound(reference("refusal.no-account-here", &[])))?;
        if user.email_verified {
            return Ok(());
        }
        Err(HostError::Invalid(vec![field(
            field_name,
            reference(doing, &[("email", &user.email)]),
        )]))
    }
}

impl Host for HostState {
    fn get_profile(&mut self) -> Result<Profile, HostError> {
        let scope = self.authorize(HostCall::AccountProfile)?.clone();
        let user_id = UserId::new(self.user()?);
        let user = self
            .store()?
            .user(&user_id)
            .map_err(|e| store_error(&scope, e))?
            .ok_or_else(|| HostError::NotFound(reference("refusal.no-account-here", &[])))?;
        Ok(Profile {
            email: user.email,
            first_name: user.first_name,
            last_name: user.last_name,
            contact_email: user.contact_email,
            last_login_ms: user.previous_login_ms,
        })
    }

    fn update_profile(
        &mut self,
        first_name: String,
        last_name: String,
        contact_email: String,
    ) -> Result<(), HostError> {
        let scope = self.authorize(HostCall::AccountUpdateProfile)?.clone();
        let mut errors = Vec::new();
        let first = auth::validate_name("first name", &first_name)
            .map_err(|m| errors.push(field("first-name", m)))
            .ok();
        let last = auth::validate_name("last name", &last_name)
            .map_err(|m| errors.push(field("last-name", m)))
            .ok();
        let contact = auth::normalize_email(&contact_email)
            .map_err(|m| errors.push(field("contact-email", m)))
            .ok();
        let (Some(first), Some(last), Some(contact)) = (first, last, contact) else {
            return Err(HostError::Invalid(errors));
        };
        let user_id = UserId::new(self.user()?);
        self.store()?
            .update_profile(&user_id, &first, &last, &contact)
            .map(|_| ())
            .map_err(|e| store_error(&scope, e))
    }

    fn memberships(&mut self) -> Result<Vec<Membership>, HostError> {
        let scope = self.authorize(HostCall::AccountMemberships)?.clone();
        let user_id = UserId::new(self.user()?);
        let list = self
            .store()?
            .memberships_of(&user_id)
            .map_err(|e| store_error(&scope, e))?;
        Ok(list
            .into_iter()
            .map(|(s, role)| Membership {
                structure: convert::structure(&s),
                role: convert::role(role),
            })
            .collect())
    }

    fn create_structure(&mut self, new: NewStructure) -> Result<types::Structure, HostError> {
        let scope = self.authorize(HostCall::AccountCreateStructure)?.clone();
        let mut errors = Vec::new();
        let ty = IdentifierType::parse(&new.identifier_type);
        if ty.is_none() {
            let valid: Vec<&str> = IdentifierType::ALL.iter().map(|t| t.as_str()).collect();
            errors.push(field(
                "identifier-type",
                reference(
                    "refusal.identifier-type",
                    &[
                        ("value", &new.identifier_type),
                        ("choices", &valid.join(", ")),
                    ],
                ),
            ));
        }
        let identifier = ty.and_then(|ty| {
            Identifier::parse(ty, &new.identifier)
                .map_err(|e| errors.push(field("identifier", e.message())))
                .ok()
        });
        let name = portico_contract::names::structure_name(&new.name)
            .map_err(|r| match r {
                portico_contract::Refusal::Invalid { field: f, message } => {
                    errors.push(field(f, message))
                }
                portico_contract::Refusal::LimitExceeded(m) => errors.push(field("name", m)),
            })
            .unwrap_or_default();
        let kind = match new.kind {
            types::StructureKind::Private => StructureKind::Private,
            types::StructureKind::Public => StructureKind::Public,
        };
        let (Some(ty), Some(identifier), true) = (ty, identifier, errors.is_empty()) else {
            return Err(HostError::Invalid(errors));
        };
        let user_id = UserId::new(self.user()?);
        self.require_confirmed_email(
            &scope,
            &user_id,
            "identifier",
            "refusal.confirm-email-create",
        )?;
        let created = self
            .store()?
            .create_structure(
                StoreNewStructure {
                    identifier_type: ty,
                    id: identifier,
                    name,
                    kind,
                },
                &user_id,
                self.now_ms(),
            )
            .map_err(|e| match e {
                crate::store::StoreError::Conflict(_) => HostError::Invalid(vec![field(
                    "identifier",
                    reference("refusal.structure-exists", &[]),
                )]),
                other => store_error(&scope, other),
            })?;
        if let Err(e) = self.store()?.audit(
            &user_id,
            Some(created.id.as_str()),
            "structure.create",
            serde_json::json!({ "name": created.name }),
            self.now_ms(),
        ) {
            tracing::warn!(error = %e, "audit write failed");
        }
        Ok(convert::structure(&created))
    }

    fn search_structures(&mut self, query: String) -> Result<Vec<StructureMatch>, HostError> {
        let scope = self.authorize(HostCall::AccountLinks)?.clone();
        let err = |e| store_error(&scope, e);
        let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.chars().count() < MIN_NAME_PREFIX {
            return Err(HostError::Invalid(vec![field(
                "query",
                reference(
                    "refusal.search-query",
                    &[("min", &MIN_NAME_PREFIX.to_string())],
                ),
            )]));
        }
        let user_id = UserId::new(self.user()?);
        let store = self.store()?;
        let now = store.clock().now_ms();
        if let Err(wait) = SEARCHES.take(store, user_id.as_str(), now) {
            return Err(HostError::Invalid(vec![field(
                "query",
                reference(
                    "refusal.search-throttled",
                    &[("wait", &crate::auth::throttle::in_words(wait))],
                ),
            )]));
        }
        let store = self.store()?;
        let mut out = Vec::new();
        for s in store.search_structures(&query).map_err(err)? {
            let sid = s.id.as_str();
            let member = store.role_in(&user_id, sid).map_err(err)?.is_some();
            let pending = store
                .link_requests_of(&user_id)
                .map_err(err)?
                .iter()
                .any(|r| r.structure == sid && r.status == RequestStatus::Pending);
            let services = store
                .services(sid)
                .map_err(err)?
                .into_iter()
                .filter(|s| s.active)
                .map(convert::service)
                .collect();
            out.push(StructureMatch {
                structure: convert::structure(&s),
                services,
                member,
                pending,
            });
        }
        Ok(out)
    }

    fn request_link(
        &mut self,
        structure_id: String,
        services: Vec<String>,
    ) -> Result<(), HostError> {
        let scope = self.authorize(HostCall::AccountLinks)?.clone();
        let err = |e| store_error(&scope, e);
        let user_id = UserId::new(self.user()?);
        self.require_confirmed_email(&scope, &user_id, "structure", "refusal.confirm-email-join")?;
        let store = self.store()?.clone();
        let structure = store
            .structure(&structure_id)
            .map_err(err)?
            .filter(|s| s.active)
            .ok_or_else(|| {
                HostError::NotFound(reference(
                    "refusal.no-active-structure",
                    &[("id", &structure_id)],
                ))
            })?;
        let known = store.services(&structure_id).map_err(err)?;
        let mut codes: Vec<String> = Vec::new();
        for code in services {
            if !known.iter().any(|s| s.active && s.code == code) {
                return Err(HostError::Invalid(vec![field(
                    "services",
                    reference(
                        "refusal.no-service",
                        &[("structure", &structure.name), ("code", &code)],
                    ),
                )]));
            }
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        store
            .request_link(&structure_id, &user_id, codes.clone(), self.now_ms())
            .map_err(err)?;
        if let Err(e) = store.audit(
            &user_id,
            Some(&structure_id),
            "link.request",
            serde_json::json!({ "services": codes }),
            self.now_ms(),
        ) {
            tracing::error!(error = %e, "audit write failed");
        }
        Ok(())
    }

    fn link_requests(&mut self) -> Result<Vec<LinkRequest>, HostError> {
        let scope = self.authorize(HostCall::AccountLinks)?.clone();
        let err = |e| store_error(&scope, e);
        let user_id = UserId::new(self.user()?);
        let store = self.store()?;
        let mut out = Vec::new();
        for r in store.link_requests_of(&user_id).map_err(err)? {
            let Some(s) = store.structure(&r.structure).map_err(err)? else {
                continue;
            };
            out.push(LinkRequest {
                structure: convert::structure(&s),
                services: r.services,
                status: convert::status(r.status),
                created_ms: r.created_ms,
                decided_ms: r.decided_ms,
            });
        }
        Ok(out)
    }

    fn subscriptions(&mut self) -> Result<Vec<AreaSubscription>, HostError> {
        let scope = self.authorize(HostCall::AccountSubscriptions)?.clone();
        let err = |e| store_error(&scope, e);
        let user_id = UserId::new(self.user()?);
        let catalog = self.catalog()?;
        let store = self.store()?;
        let mine = store.subscriptions_of(&user_id).map_err(err)?;
        let mut out = Vec::new();
        for (structure, role) in store.memberships_of(&user_id).map_err(err)? {
            let sid = structure.id.as_str();
            let installs = store.installs(sid).map_err(err)?;
            let facts = store.facts(sid).map_err(err)?;
            let subscribed = store.subscribed_areas(sid, &user_id).map_err(err)?;
            let place = access::Place {
                structure: &structure,
                installs: &installs,
                facts: &facts,
            };
            let party = Party::Member {
                role,
                subscriptions: &subscribed,
            };
            for area in &catalog.areas {
                let spec = &area.spec;
                // Areas added on request that this member could open, with
                // or without a subscription.
                let listed = spec.install == Install::OnRequest
                    && matches!(
                        access::decide(&catalog, area, &place, party),
                        Verdict::Open | Verdict::Closed(Reason::NotSubscribed)
                    );
                if !listed {
                    continue;
                }
                let sub = mine
                    .iter()
                    .find(|s| s.structure == sid && s.area == spec.id.as_str());
                out.push(AreaSubscription {
                    structure: convert::structure(&structure),
                    area: spec.id.to_string(),
                    area_title: spec.title.current().to_owned(),
                    description: spec.description.current().to_owned(),
                    mode: sub.map(|s| convert::mode(s.mode)),
                    status: sub.map(|s| convert::status(s.status)),
                    included: role.is_manager(),
                });
            }
        }
        Ok(out)
    }

    fn request_subscription(
        &mut self,
        structure_id: String,
        area: String,
        mode: types::SubscriptionMode,
    ) -> Result<(), HostError> {
        let scope = self.authorize(HostCall::AccountSubscriptions)?.clone();
        let user_id = UserId::new(self.user()?);
        let catalog = self.catalog()?;
        let Some(entry) = catalog
            .area(&area)
            .filter(|a| a.spec.install == Install::OnRequest)
        else {
            return Err(HostError::NotFound(reference(
                "refusal.not-by-subscription",
                &[("area", &area)],
            )));
        };
        // Asked of the one access rule: only an area this member could open
        // once subscribed (added, available, open to their role) is asked for.
        let err = |e| store_error(&scope, e);
        let store = self.store()?;
        let not_here =
            || HostError::NotFound(reference("refusal.area-not-yours", &[("area", &area)]));
        let structure = store
            .structure(&structure_id)
            .map_err(err)?
            .ok_or_else(not_here)?;
        let role = store
            .role_in(&user_id, &structure_id)
            .map_err(err)?
            .ok_or_else(not_here)?;
        let installs = store.installs(&structure_id).map_err(err)?;
        let facts = store.facts(&structure_id).map_err(err)?;
        let subscribed = store
            .subscribed_areas(&structure_id, &user_id)
            .map_err(err)?;
        let place = access::Place {
            structure: &structure,
            installs: &installs,
            facts: &facts,
        };
        let party = Party::Member {
            role,
            subscriptions: &subscribed,
        };
        match access::decide(&catalog, entry, &place, party) {
            Verdict::Open | Verdict::Closed(Reason::NotSubscribed) => {}
            Verdict::Closed(Reason::NotAdded) => return Err(not_here()),
            Verdict::Closed(reason) => {
                return Err(HostError::NotFound(reference(
                    "refusal.area-unusable",
                    &[
                        ("area", &area),
                        ("structure", &structure.name),
                        ("reason", &reason.to_string()),
                    ],
                )));
            }
        }
        let store = self.store()?.clone();
        let mode = convert::mode_from(mode);
        store
            .request_subscription(&structure_id, &user_id, &area, mode, self.now_ms())
            .map_err(|e| match e {
                StoreError::NotFound(_) => {
                    HostError::NotFound(reference("refusal.area-not-yours", &[("area", &area)]))
                }
                other => store_error(&scope, other),
            })?;
        if let Err(e) = store.audit(
            &user_id,
            Some(&structure_id),
            "subscription.request",
            serde_json::json!({ "area": area, "mode": mode.as_str() }),
            self.now_ms(),
        ) {
            tracing::error!(error = %e, "audit write failed");
        }
        Ok(())
    }
}
