//! `portico:area/messages`: durable messages between structures.

use super::{HostCall, HostState};
use crate::runtime::bindings::portico::area::messages::Host;
use crate::runtime::bindings::types::HostError;

impl Host for HostState {
    fn send(
        &mut self,
        _to_structure: String,
        _to_area: String,
        _kind: String,
        _payload: String,
    ) -> Result<String, HostError> {
        self.authorize(HostCall::MessagesSend)?;
        // The outbox and its delivery worker come with the invoicing areas;
        // until then the host says so rather than pretending to deliver.
        Err(HostError::Unavailable(
            "message delivery is not enabled on this Portico version yet".into(),
        ))
    }
}
