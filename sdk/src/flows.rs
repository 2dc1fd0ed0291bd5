//! Data flows (contract 1.2.0). Capability: `flows`, structure-scoped areas.
//!
//! The host owns the flows of the current structure: files of invoices
//! deposited by a program (the API) or a person, each invoice integrated
//! into Issued invoices in the background. An area lists them, reads a
//! flow's detailed report, downloads the original file, deposits a file in
//! the signed-in person's name and reads the webhook delivery log. Every
//! call is scoped by the host to the current structure: a flow of another
//! structure answers as an unknown one.
//!
//! Lists and reports are JSON (`serde_json::Value`), in the words of the
//! API: see `sdk/wit/area.wit`, interface `flows`, for every field.

use crate::{Download, Error, HostError, host};

/// Flows of the current structure deposited in `[from_ms, to_ms)`, newest
/// first, filtered by `status` (`received`, `in-processing`, `integrated`,
/// `partially-integrated`, `rejected`) and `client` (a client's name, or
/// `portal` for people's deposits) when given; at most `limit` (1 to 1000).
pub fn list(
    from_ms: u64,
    to_ms: u64,
    status: Option<&str>,
    client: Option<&str>,
    limit: u32,
) -> Result<Vec<serde_json::Value>, Error> {
    let text = host::flows_list(from_ms, to_ms, status, client, limit)?;
    serde_json::from_str(&text).map_err(|e| Error::failed(format!("flows.list: {e}")))
}

/// One flow with its report (`report`: one entry per invoice), if it is one
/// of the current structure's.
pub fn get(id: &str) -> Result<Option<serde_json::Value>, Error> {
    match host::flows_get(id)? {
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::failed(format!("flows.get: {e}"))),
        None => Ok(None),
    }
}

/// The file as it was deposited.
pub fn original(id: &str) -> Result<Option<Download>, HostError> {
    host::flows_original(id)
}

/// The `index`th invoice file of a flow.
pub fn invoice_file(id: &str, index: u32) -> Result<Option<Download>, HostError> {
    host::flows_invoice_file(id, index)
}

/// Deposits a file in the signed-in person's name; returns the flow number.
/// The flow is recorded durably before this returns. A refused file answers
/// `HostError::Invalid` on field `file`, each message a JSON object with
/// `fr`, `en`, `fix-fr`, `fix-en` and `code` (the area shows the reader's
/// language).
pub fn deposit(filename: &str, bytes: &[u8], qualification: bool) -> Result<String, HostError> {
    host::flows_deposit(filename, bytes, qualification)
}

/// The newest `limit` webhook deliveries of the structure (`at-ms`,
/// `event`, `url`, `status`, `attempt`, `error`, `settled`).
pub fn deliveries(limit: u32) -> Result<Vec<serde_json::Value>, Error> {
    let text = host::flows_deliveries(limit)?;
    serde_json::from_str(&text).map_err(|e| Error::failed(format!("flows.deliveries: {e}")))
}
