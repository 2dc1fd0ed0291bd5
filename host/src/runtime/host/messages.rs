//! `portico:area/messages`: durable messages between structures.
//!
//! `send` only buffers the message in the call's batch: it is queued in the
//! outbox in the same transaction as the sender's other writes, when the
//! call answers successfully, and handed to the recipient by the delivery
//! worker (`crate::delivery`). A failed or trapped call sends nothing.

use super::{HostCall, HostState, MAX_CALL_WRITE_BYTES, refused, store_error};
use crate::runtime::bindings::portico::area::messages::{Host, Recipient};
use crate::runtime::bindings::types::HostError;
use crate::store::{OutgoingMessage, new_message_id};
use portico_contract::limits::messages::{check_count, check_name, check_payload};

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
        check_name("to-structure", &to_structure).map_err(refused)?;
        check_name("to-area", &to_area).map_err(refused)?;
        check_name("kind", &kind).map_err(refused)?;
        check_payload(payload.len()).map_err(refused)?;
        check_count(self.batch.messages.len()).map_err(refused)?;
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
