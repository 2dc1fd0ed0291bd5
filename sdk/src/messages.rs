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
