//! `portico:area/messages`: durable messages between structures.
//!
//! `send` only buffers the message in the call's batch: it is queued in the
//! outbox in the same transaction as the sender's other writes, when the
//! call answers successfully, and handed to the recipient by the delivery
//! worker (`crate::delivery`). A failed or trapped call sends nothing.

use super::store_error;
use super::{HostCall, HostState, MAX_CALL_WRITE_BYTES};
use crate::runtime::bindings::portico::area::messages::{Host, Recipient};
use crate::runtime::bindings::types::{FieldError, HostError};
use crate::store::{MAX_MESSAGES_PER_CALL, MAX_PAYLOAD_BYTES, OutgoingMessage, new_message_id};

/// Longest structure identifier, area id or kind a message may name.
const MAX_NAME_BYTES: usize = 128;

fn check_name(field: &str, value: &str) -> Result<(), HostError> {
    if value.is_empty() || value.len() > MAX_NAME_BYTES {
        return Err(HostError::Invalid(vec![FieldError {
            field: field.into(),
            message: format!(
                "{field} must be 1 to {MAX_NAME_BYTES} bytes; got {}",
                value.len()
            ),
        }]));
    }
    Ok(())
}

impl Host for HostState {
    fn send(
        &mut self,
        to_structure: String,
        to_area: String,
        kind: String,
        payload: String,
    ) -> Result<String, HostError> {
        let scope = self.authorize(HostCall::MessagesSend)?.clone();
        let from_structure = self.structure()?.to_string();
        check_name("to-structure", &to_structure)?;
        check_name("to-area", &to_area)?;
        check_name("kind", &kind)?;
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(HostError::LimitExceeded(format!(
                "a message payload is at most {MAX_PAYLOAD_BYTES} bytes; this one is {} bytes",
                payload.len()
            )));
        }
        if self.batch.messages.len() >= MAX_MESSAGES_PER_CALL {
            return Err(HostError::LimitExceeded(format!(
                "one request may send at most {MAX_MESSAGES_PER_CALL} messages"
            )));
        }
        if self.buffered_bytes + payload.len() > MAX_CALL_WRITE_BYTES {
            return Err(HostError::LimitExceeded(format!(
                "one request may write at most {} MiB",
                MAX_CALL_WRITE_BYTES >> 20
            )));
        }
        self.buffered_bytes += payload.len();
        let id = new_message_id(self.now_ms());
        self.batch.messages.push(OutgoingMessage {
            id: id.clone(),
            from_structure,
            from_area: scope.area,
            to_structure,
            to_area,
            kind,
            payload,
        });
        Ok(id)
    }

    fn lookup(&mut self, identifier: String) -> Result<Option<Recipient>, HostError> {
        let scope = self.authorize(HostCall::MessagesLookup)?.clone();
        let store = self.store()?;
        let id: String = identifier.chars().filter(|c| !c.is_whitespace()).collect();
        let Some(s) = store.structure(&id).map_err(|e| store_error(&scope, e))? else {
            return Ok(None);
        };
        let services = store
            .services(&id)
            .map_err(|e| store_error(&scope, e))?
            .into_iter()
            .filter(|s| s.active)
            .map(|s| (s.code, s.name))
            .collect();
        Ok(Some(Recipient {
            id: s.id.to_string(),
            name: s.name.clone(),
            kind: crate::runtime::convert::kind(s.kind),
            active: s.active,
            services,
            recipient_rule: s.recipient_rule.as_str().to_string(),
        }))
    }
}
