//! `portico:area/flows` (contract 1.2.0): the current structure's data
//! flows, for the Data flow overview (list, report, original, deposit, the
//! webhook log) and for Issued invoices (each invoice's file).
//!
//! Every call is scoped by the host to the current structure: a flow of
//! another structure answers as an unknown one. `deposit` is an immediate,
//! durable write in the signed-in person's name (like `directory` writes):
//! a flow number handed out is never lost, even if the call then fails.

use super::{HostCall, HostState, store_error};
use crate::dataflows::{self, DepositRefused, DepositRequest};
use crate::runtime::bindings::portico::area::flows::Host;
use crate::runtime::bindings::types::{Download, FieldError, HostError};
use crate::store::dataflows::{FlowMode, FlowSource};

/// Most flows one `list` returns.
const MAX_LIST: u32 = 1000;

fn content_type(name: &str) -> &'static str {
    let lower = name.to_lowercase();
    if lower.ends_with(".zip") {
        "application/zip"
    } else if lower.ends_with(".pdf") {
        "application/pdf"
    } else {
        "application/xml"
    }
}

impl Host for HostState {
    fn list(
        &mut self,
        from_ms: u64,
        to_ms: u64,
        status: Option<String>,
        client: Option<String>,
        limit: u32,
    ) -> Result<String, HostError> {
        let scope = self.authorize(HostCall::FlowsRead)?.clone();
        let structure = self.structure()?.to_string();
        if limit == 0 || limit > MAX_LIST {
            return Err(HostError::Invalid(vec![FieldError {
                field: "limit".into(),
                message: format!("limit is 1 to {MAX_LIST}; got {limit}"),
            }]));
        }
        let flows = self
            .store()?
            .data_flows(&structure, from_ms, to_ms, limit as usize, |f| {
                status.as_deref().is_none_or(|s| f.status.as_str() == s)
                    && client.as_deref().is_none_or(|c| {
                        if c == "portal" {
                            f.source.channel == "portal"
                        } else {
                            f.source.channel == "api" && f.source.name == c
                        }
                    })
            })
            .map_err(|e| store_error(&scope, e))?;
        let list: Vec<serde_json::Value> = flows.iter().map(dataflows::summary).collect();
        Ok(serde_json::Value::Array(list).to_string())
    }

    fn get(&mut self, id: String) -> Result<Option<String>, HostError> {
        let scope = self.authorize(HostCall::FlowsRead)?.clone();
        let structure = self.structure()?.to_string();
        let flow = self
            .store()?
            .data_flow(&structure, &id)
            .map_err(|e| store_error(&scope, e))?;
        Ok(flow.map(|f| dataflows::report(&f).to_string()))
    }

    fn original(&mut self, id: String) -> Result<Option<Download>, HostError> {
        let scope = self.authorize(HostCall::FlowsRead)?.clone();
        let structure = self.structure()?.to_string();
        let store = self.store()?.clone();
        let Some(flow) = store
            .data_flow(&structure, &id)
            .map_err(|e| store_error(&scope, e))?
        else {
            return Ok(None);
        };
        let bytes = store
            .data_flow_file(&flow.id, "original")
            .map_err(|e| store_error(&scope, e))?;
        Ok(bytes.map(|bytes| Download {
            content_type: content_type(&flow.filename).into(),
            filename: flow.filename.clone(),
            bytes,
        }))
    }

    fn invoice_file(&mut self, id: String, index: u32) -> Result<Option<Download>, HostError> {
        let scope = self.authorize(HostCall::FlowsRead)?.clone();
        let structure = self.structure()?.to_string();
        let store = self.store()?.clone();
        let Some(flow) = store
            .data_flow(&structure, &id)
            .map_err(|e| store_error(&scope, e))?
        else {
            return Ok(None);
        };
        let Some(inv) = flow.invoices.iter().find(|i| i.index == index) else {
            return Ok(None);
        };
        let bytes = store
            .data_flow_file(&flow.id, &index.to_string())
            .map_err(|e| store_error(&scope, e))?;
        Ok(bytes.map(|bytes| Download {
            content_type: content_type(&inv.filename).into(),
            filename: inv.filename.clone(),
            bytes,
        }))
    }

    fn deposit(
        &mut self,
        filename: String,
        bytes: Vec<u8>,
        qualification: bool,
    ) -> Result<String, HostError> {
        let scope = self.authorize(HostCall::FlowsDeposit)?.clone();
        let structure = self.structure()?.to_string();
        let user = self.user()?.to_string();
        let store = self.store()?.clone();
        // An API client calling the area's page (`/api/v1/s/…`) deposits as
        // itself, and a qualification client only in qualification.
        let (source, forced) = match user.strip_prefix(crate::api::ACTOR_PREFIX) {
            Some(client_id) => {
                let client = store
                    .api_client(client_id)
                    .map_err(|e| store_error(&scope, e))?;
                let qualification_only = client
                    .as_ref()
                    .is_none_or(|c| c.mode != crate::api::Mode::Production);
                let source = FlowSource {
                    channel: "api".into(),
                    name: client.map(|c| c.name).unwrap_or_default(),
                    client_id: Some(client_id.to_string()),
                };
                (source, qualification_only)
            }
            None => {
                let name = store
                    .user(&crate::store::UserId::new(user))
                    .map_err(|e| store_error(&scope, e))?
                    .map(|u| format!("{} {}", u.first_name, u.last_name))
                    .unwrap_or_default();
                let source = FlowSource {
                    channel: "portal".into(),
                    name,
                    client_id: None,
                };
                (source, false)
            }
        };
        let req = DepositRequest {
            structure: &structure,
            filename: &filename,
            bytes: &bytes,
            mode: if qualification || forced {
                FlowMode::Qualification
            } else {
                FlowMode::Production
            },
            source,
        };
        match dataflows::deposit(&store, req) {
            Ok(flow) => Ok(flow.id),
            Err(DepositRefused::File(errors)) => Err(HostError::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError {
                        field: "file".into(),
                        // Both languages: the area shows the reader's.
                        message: serde_json::json!({"fr": e.message.fr, "en": e.message.en, "fix-fr": e.fix.fr, "fix-en": e.fix.en, "code": e.code}).to_string(),
                    })
                    .collect(),
            )),
            Err(DepositRefused::Store(e)) => Err(store_error(&scope, e)),
        }
    }

    fn deliveries(&mut self, limit: u32) -> Result<String, HostError> {
        let scope = self.authorize(HostCall::FlowsRead)?.clone();
        let structure = self.structure()?.to_string();
        let log = self
            .store()?
            .webhook_log(&structure, limit.clamp(1, MAX_LIST) as usize)
            .map_err(|e| store_error(&scope, e))?;
        let list: Vec<serde_json::Value> = log
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at-ms": e.at_ms,
                    "event": e.event,
                    "url": e.url,
                    "status": e.status,
                    "attempt": e.attempt,
                    "error": e.error,
                    "settled": e.settled,
                    "delivery": e.delivery,
                })
            })
            .collect();
        Ok(serde_json::Value::Array(list).to_string())
    }
}
