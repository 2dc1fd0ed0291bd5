//! `portico:area/account`: the signed-in user's own account (privileged).

use super::{HostCall, HostState, now_ms, store_error};
use crate::auth;
use crate::directory::{Identifier, IdentifierType, StructureKind};
use crate::runtime::bindings::portico::area::account::{Host, Membership, NewStructure, Profile};
use crate::runtime::bindings::types::{self, FieldError, HostError};
use crate::runtime::convert;
use crate::store::{NewStructure as StoreNewStructure, UserId};

fn field(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
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
            .ok_or_else(|| HostError::NotFound("account not found".into()))?;
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
                format!(
                    "unknown identifier type `{}`; choose one of {}",
                    new.identifier_type,
                    valid.join(", ")
                ),
            ));
        }
        let identifier = ty.and_then(|ty| {
            Identifier::parse(ty, &new.identifier)
                .map_err(|e| errors.push(field("identifier", e.to_string())))
                .ok()
        });
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            errors.push(field(
                "name",
                "the name is required, at most 100 characters",
            ));
        }
        let kind = match new.kind {
            types::StructureKind::Private => StructureKind::Private,
            types::StructureKind::Public => StructureKind::Public,
        };
        let (Some(ty), Some(identifier), true) = (ty, identifier, errors.is_empty()) else {
            return Err(HostError::Invalid(errors));
        };
        let user_id = UserId::new(self.user()?);
        let created = self
            .store()?
            .create_structure(StoreNewStructure { identifier_type: ty, id: identifier, name, kind }, &user_id, now_ms())
            .map_err(|e| match e {
                crate::store::StoreError::Conflict(_) => HostError::Invalid(vec![field(
                    "identifier",
                    "a structure with this identifier already exists; ask its managers to link you to it",
                )]),
                other => store_error(&scope, other),
            })?;
        if let Err(e) = self.store()?.audit(
            &user_id,
            Some(created.id.as_str()),
            "structure.create",
            serde_json::json!({ "name": created.name }),
            now_ms(),
        ) {
            tracing::warn!(error = %e, "audit write failed");
        }
        Ok(convert::structure(&created))
    }
}
