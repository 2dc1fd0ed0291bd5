//! `portico:area/api-clients` (contract 1.2.0): the current structure's API
//! clients (privileged: EDI and API connections).
//!
//! The host holds the secrets (hashes only, `store/api_clients.rs`); a
//! secret in clear exists only in the answer to `create` and `rotate`. Every
//! call re-reads the caller's role: anyone but a primary or secondary
//! manager of the current structure (an API client calling this area
//! included) gets `not-found`; only `list` also answers the area's own
//! timer deliveries (no person), so it can announce an expiry on time. Writes go to the store at once (a secret
//! must not be shown for a client that was never saved) and are audited.

use std::collections::BTreeMap;

use super::{HostCall, HostState, store_error};
use crate::access::{Party, Place, Verdict, decide};
use crate::config::{Capability, Scope};
use crate::runtime::bindings::portico::area::api_clients::{
    Access as WitAccess, Client, ClientMode, Grant, GrantableArea, Host, Issued, NewClient,
};
use crate::runtime::bindings::types::{FieldError, HostError};
use crate::store::{Access, ApiClient, Mode, NewApiClient, Store, UserId};

/// Longest client name, in characters.
pub(super) const MAX_NAME_CHARS: usize = 80;
/// Furthest expiry a client may get: two years.
pub(super) const MAX_LIFETIME_MS: u64 = 2 * 365 * 86_400_000;
/// Longest overlap of a rotation: 30 days.
pub(super) const MAX_OVERLAP_MS: u64 = 30 * 86_400_000;
/// Most clients one structure may have (revoked ones included).
pub(super) const MAX_CLIENTS: usize = 100;

struct Caller {
    scope: super::CallScope,
    store: Store,
    structure: String,
    user: UserId,
}

fn invalid(field: &str, key: &str, args: &[(&str, &str)]) -> HostError {
    HostError::Invalid(vec![FieldError {
        field: field.into(),
        message: crate::i18n::reference(key, args),
    }])
}

fn not_found() -> HostError {
    HostError::NotFound(crate::i18n::reference("api.clients-no-such", &[]))
}

impl HostState {
    /// For `list` only: the area's own delivery (a timer, no person) of the
    /// current structure may read the clients too (never their secrets), so
    /// that it can announce an expiry on time.
    fn api_reader(&mut self) -> Result<Caller, HostError> {
        if self.scope.user_id.is_some() {
            return self.api_caller();
        }
        let scope = self.authorize(HostCall::ApiClients)?.clone();
        let structure = self.structure()?.to_string();
        let store = self.store()?.clone();
        Ok(Caller {
            scope,
            store,
            structure,
            user: UserId::new(""),
        })
    }

    fn api_caller(&mut self) -> Result<Caller, HostError> {
        let scope = self.authorize(HostCall::ApiClients)?.clone();
        let structure = self.structure()?.to_string();
        let user = UserId::new(self.user()?);
        let store = self.store()?.clone();
        store
            .role_in(&user, &structure)
            .map_err(|e| store_error(&scope, e))?
            .filter(|r| r.is_manager())
            .ok_or_else(|| {
                HostError::NotFound(
                    "only a primary or secondary manager of this structure can do this".into(),
                )
            })?;
        Ok(Caller {
            scope,
            store,
            structure,
            user,
        })
    }

    /// The areas a client of the caller's structure may be granted: structure
    /// areas open to it now, except those holding `api-clients` (a client
    /// must not make clients).
    fn grantable_areas(&self, c: &Caller) -> Result<Vec<GrantableArea>, HostError> {
        let catalog = self.catalog()?;
        let err = |e| store_error(&c.scope, e);
        let Some(structure) = c.store.structure(&c.structure).map_err(err)? else {
            return Err(not_found());
        };
        let installs = c.store.installs(&c.structure).map_err(err)?;
        let facts = c.store.facts(&c.structure).map_err(err)?;
        let place = Place {
            structure: &structure,
            installs: &installs,
            facts: &facts,
        };
        Ok(catalog
            .areas
            .iter()
            .filter(|a| a.spec.scope == Scope::Structure && !a.spec.has(Capability::ApiClients))
            .filter(|a| decide(&catalog, a, &place, Party::Structure) == Verdict::Open)
            .map(|a| GrantableArea {
                id: a.spec.id.to_string(),
                title: a.spec.title.current().to_string(),
            })
            .collect())
    }
}

fn to_wit(c: &ApiClient, now_ms: u64) -> Client {
    Client {
        id: c.id.clone(),
        name: c.name.clone(),
        grants: c
            .grants
            .iter()
            .map(|(area, access)| Grant {
                area: area.clone(),
                access: match access {
                    Access::Read => WitAccess::Read,
                    Access::ReadWrite => WitAccess::ReadWrite,
                },
            })
            .collect(),
        mode: match c.mode {
            Mode::Qualification => ClientMode::Qualification,
            Mode::Production => ClientMode::Production,
        },
        expires_ms: c.expires_ms,
        created_ms: c.created_ms,
        revoked_ms: c.revoked_ms,
        overlap_until_ms: c
            .secrets
            .iter()
            .filter_map(|s| s.valid_until_ms)
            .filter(|end| *end > now_ms)
            .max(),
    }
}

fn audit(c: &Caller, action: &str, client: &ApiClient, now_ms: u64, extra: serde_json::Value) {
    let mut detail = serde_json::json!({ "client": client.name, "client_id": client.id });
    if let (Some(d), serde_json::Value::Object(more)) = (detail.as_object_mut(), extra) {
        d.extend(more);
    }
    if let Err(e) = c
        .store
        .audit(&c.user, Some(&c.structure), action, detail, now_ms)
    {
        tracing::error!(action, error = %e, "api client change not recorded in the history");
    }
}

impl Host for HostState {
    fn list(&mut self) -> Result<Vec<Client>, HostError> {
        let c = self.api_reader()?;
        let now = self.now_ms();
        let clients = c
            .store
            .api_clients(&c.structure)
            .map_err(|e| store_error(&c.scope, e))?;
        Ok(clients.iter().map(|cl| to_wit(cl, now)).collect())
    }

    fn grantable(&mut self) -> Result<Vec<GrantableArea>, HostError> {
        let c = self.api_caller()?;
        self.grantable_areas(&c)
    }

    fn create(&mut self, new: NewClient) -> Result<Issued, HostError> {
        let c = self.api_caller()?;
        let now = self.now_ms();
        let mut errors = Vec::new();
        let name = new.name.trim().to_string();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            errors.push(FieldError {
                field: "name".into(),
                message: crate::i18n::reference(
                    "api.clients-name",
                    &[("max", &MAX_NAME_CHARS.to_string())],
                ),
            });
        }
        let open = self.grantable_areas(&c)?;
        let mut grants = BTreeMap::new();
        for g in &new.grants {
            if !open.iter().any(|a| a.id == g.area) {
                errors.push(FieldError {
                    field: "grants".into(),
                    message: crate::i18n::reference("api.clients-grant-area", &[("area", &g.area)]),
                });
                continue;
            }
            let access = match g.access {
                WitAccess::Read => Access::Read,
                WitAccess::ReadWrite => Access::ReadWrite,
            };
            let slot = grants.entry(g.area.clone()).or_insert(access);
            *slot = (*slot).max(access);
        }
        if new.grants.is_empty() {
            errors.push(FieldError {
                field: "grants".into(),
                message: crate::i18n::reference("api.clients-grants-empty", &[]),
            });
        }
        if new.expires_ms <= now || new.expires_ms > now + MAX_LIFETIME_MS {
            errors.push(FieldError {
                field: "expires".into(),
                message: crate::i18n::reference("api.clients-expires", &[]),
            });
        }
        if !errors.is_empty() {
            return Err(HostError::Invalid(errors));
        }
        let count = c
            .store
            .api_clients(&c.structure)
            .map_err(|e| store_error(&c.scope, e))?
            .len();
        if count >= MAX_CLIENTS {
            return Err(HostError::LimitExceeded(format!(
                "a structure has at most {MAX_CLIENTS} API clients"
            )));
        }
        let (client, secret) = c
            .store
            .create_api_client(
                NewApiClient {
                    structure: c.structure.clone(),
                    name,
                    grants,
                    mode: match new.mode {
                        ClientMode::Qualification => Mode::Qualification,
                        ClientMode::Production => Mode::Production,
                    },
                    expires_ms: new.expires_ms,
                    created_by: c.user.to_string(),
                },
                now,
            )
            .map_err(|e| store_error(&c.scope, e))?;
        audit(
            &c,
            "api-client.create",
            &client,
            now,
            serde_json::json!({
                "mode": client.mode.as_str(),
                "scope": crate::api::token::scope_string(&client.grants),
                "expires_ms": client.expires_ms,
            }),
        );
        Ok(Issued {
            client: to_wit(&client, now),
            secret,
        })
    }

    fn rotate(&mut self, id: String, overlap_until_ms: u64) -> Result<Issued, HostError> {
        let c = self.api_caller()?;
        let now = self.now_ms();
        if overlap_until_ms > now + MAX_OVERLAP_MS {
            return Err(invalid("overlap", "api.clients-overlap", &[]));
        }
        let Some((client, secret)) = c
            .store
            .rotate_api_client(&c.structure, &id, overlap_until_ms.max(now), now)
            .map_err(|e| store_error(&c.scope, e))?
        else {
            return Err(not_found());
        };
        audit(
            &c,
            "api-client.rotate",
            &client,
            now,
            serde_json::json!({ "overlap_until_ms": overlap_until_ms.max(now) }),
        );
        Ok(Issued {
            client: to_wit(&client, now),
            secret,
        })
    }

    fn revoke(&mut self, id: String) -> Result<Client, HostError> {
        let c = self.api_caller()?;
        let now = self.now_ms();
        let Some(client) = c
            .store
            .revoke_api_client(&c.structure, &id, now)
            .map_err(|e| store_error(&c.scope, e))?
        else {
            return Err(not_found());
        };
        audit(&c, "api-client.revoke", &client, now, serde_json::json!({}));
        Ok(to_wit(&client, now))
    }
}
