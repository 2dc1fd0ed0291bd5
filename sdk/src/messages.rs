//! Durable messages between structures. Capability: `messages`.
//!
//! Delivery is at least once, to the recipient area's
//! [`Area::on_message`](crate::Area::on_message): receivers must ignore a
//! [`Message::id`](crate::Message::id) they have already processed.

use serde::Serialize;

use crate::{Error, HostError, host};

/// Queues a message of `kind` for area `to_area` of the structure identified
/// by `to_structure`; returns the message id.
pub fn send(
    to_structure: &str,
    to_area: &str,
    kind: &str,
    payload: &str,
) -> Result<String, HostError> {
    host::messages_send(to_structure, to_area, kind, payload)
}

/// Like [`send`], with `payload` serialized as JSON.
pub fn send_json<T: Serialize + ?Sized>(
    to_structure: &str,
    to_area: &str,
    kind: &str,
    payload: &T,
) -> Result<String, Error> {
    let payload = serde_json::to_string(payload).map_err(|e| {
        Error::Failed(format!(
            "message `{kind}`: cannot encode the payload as JSON: {e}"
        ))
    })?;
    Ok(send(to_structure, to_area, kind, &payload)?)
}

/// A structure's public profile, as [`lookup`] returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// Its identifier (SIRET…).
    pub id: String,
    /// Registered name.
    pub name: String,
    /// Private supplier or public body.
    pub kind: crate::StructureKind,
    /// Inactive structures cannot be invoiced.
    pub active: bool,
    /// Active services as (code, name), by code.
    pub services: Vec<(String, String)>,
    /// `none`, `service-code`, `commitment-number` or `either`.
    pub recipient_rule: String,
}

impl Recipient {
    /// The recipient rule; `None` for a spelling this SDK does not know (a
    /// newer host's), which the `requires_*` methods treat as no requirement.
    pub fn rule(&self) -> Option<crate::directory::RecipientRule> {
        crate::directory::RecipientRule::parse(&self.recipient_rule)
    }

    /// Whether invoices to this structure must name one of its services.
    pub fn requires_service_code(&self) -> bool {
        self.rule() == Some(crate::directory::RecipientRule::ServiceCode)
    }

    /// Whether invoices to this structure must carry a commitment number.
    pub fn requires_commitment_number(&self) -> bool {
        self.rule() == Some(crate::directory::RecipientRule::CommitmentNumber)
    }

    /// Whether invoices must carry a service code or a commitment number.
    pub fn requires_either(&self) -> bool {
        self.rule() == Some(crate::directory::RecipientRule::Either)
    }
}

/// The public profile of the structure identified by `identifier` (spaces
/// ignored); `None` when no structure has it.
pub fn lookup(identifier: &str) -> Result<Option<Recipient>, HostError> {
    imp::lookup(identifier)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::Recipient;
    use crate::HostError;
    use crate::export::bindings::portico::area::messages as wit;

    pub(super) fn lookup(identifier: &str) -> Result<Option<Recipient>, HostError> {
        Ok(wit::lookup(identifier)?.map(|r| Recipient {
            id: r.id,
            name: r.name,
            kind: match r.kind {
                crate::export::bindings::portico::area::types::StructureKind::Private => {
                    crate::StructureKind::Private
                }
                crate::export::bindings::portico::area::types::StructureKind::Public => {
                    crate::StructureKind::Public
                }
            },
            active: r.active,
            services: r.services,
            recipient_rule: r.recipient_rule,
        }))
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::Recipient;
    use crate::HostError;
    use std::cell::RefCell;

    thread_local! {
        static RECIPIENTS: RefCell<Vec<Recipient>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn lookup(identifier: &str) -> Result<Option<Recipient>, HostError> {
        let id: String = identifier.chars().filter(|c| !c.is_whitespace()).collect();
        Ok(RECIPIENTS.with(|r| r.borrow().iter().find(|r| r.id == id).cloned()))
    }

    pub(super) fn register(recipient: Recipient) {
        RECIPIENTS.with(|r| {
            let mut r = r.borrow_mut();
            r.retain(|x| x.id != recipient.id);
            r.push(recipient);
        });
    }
}

/// Native unit tests only: makes [`lookup`] find `recipient` on this thread.
#[cfg(not(target_arch = "wasm32"))]
pub fn register_test_recipient(recipient: Recipient) {
    imp::register(recipient);
}
