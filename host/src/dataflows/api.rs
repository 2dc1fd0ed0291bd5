//! The flow and webhook endpoints of the API, for a client authenticated by
//! its bearer token (`crate::api::ApiPrincipal`: the guard has counted and
//! will record the call):
//!
//! - `POST /api/v1/flows?filename=F` — the body is the file (UBL, CII,
//!   Factur-X or ZIP, at most 30 MB): 202 with `Location:
//!   /api/v1/flows/{id}` and the flow's summary, once it is durable; 422
//!   with `errors` (code, field, message and fix in French and English)
//!   when the file is refused. A qualification client's flows are
//!   qualification flows.
//! - `GET /api/v1/flows` (`status`, `from-ms`, `to-ms`, `limit`),
//!   `GET /api/v1/flows/{id}`, `GET /api/v1/flows/{id}/report`.
//! - `POST /api/v1/webhooks` `{"url": …}` → 201 with the signing secret,
//!   shown this once; `GET /api/v1/webhooks`; `DELETE /api/v1/webhooks/{id}`.
//!
//! Rights: reading needs the `data-flow-overview` area granted to the
//! client (read), depositing and webhooks need it in read and write; an
//! area not granted answers 404, as every API URL of an area not granted.

use axum::Json;
use axum::body::Body;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::json;

use super::{DepositRefused, DepositRequest, MAX_ZIP_BYTES, report, summary, webhooks};
use crate::store::dataflows::{FlowMode, FlowSource, Webhook};
use crate::web::AppState;

/// The area whose grant opens the flow endpoints.
pub const FLOWS_AREA: &str = "data-flow-overview";
/// Most webhooks per structure.
pub const MAX_WEBHOOKS: usize = 10;

/// Who calls, as the flow endpoints need it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The client's structure.
    pub structure: String,
    /// The client's id.
    pub client_id: String,
    /// The client's name.
    pub client_name: String,
    /// Production (else qualification).
    pub production: bool,
    /// Whether the client may read flows.
    pub read: bool,
    /// Whether the client may deposit and register webhooks.
    pub write: bool,
}

fn problem(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "no such flow for this client")
}

fn storage(e: crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "flow API: storage failed");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "storage is unavailable; nothing was recorded: try again later",
    )
}

/// Query of `POST /api/v1/flows`.
#[derive(Deserialize)]
pub struct DepositQuery {
    filename: Option<String>,
}

/// `POST /api/v1/flows`.
pub async fn deposit(
    state: AppState,
    caller: Caller,
    Query(q): Query<DepositQuery>,
    body: Body,
) -> Response {
    if !caller.read {
        return not_found();
    }
    if !caller.write {
        return problem(
            StatusCode::FORBIDDEN,
            "this client may read flows but not deposit them; a manager grants it read and write on the Data flow overview",
        );
    }
    let Some(filename) = q.filename.filter(|f| !f.trim().is_empty()) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "name the file: POST /api/v1/flows?filename=invoices.zip with the file as the body",
        );
    };
    let bytes = match http_body_util::Limited::new(body, MAX_ZIP_BYTES + 1)
        .collect()
        .await
    {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "a flow is at most 30 MB (a ZIP) or 10 MB (one invoice); split it into several flows",
            );
        }
    };
    let store = state.store().clone();
    let source = FlowSource {
        channel: "api".into(),
        name: caller.client_name.clone(),
        client_id: Some(caller.client_id.clone()),
    };
    let mode = if caller.production {
        FlowMode::Production
    } else {
        FlowMode::Qualification
    };
    let structure = caller.structure.clone();
    let done = tokio::task::spawn_blocking(move || {
        super::deposit(
            &store,
            DepositRequest {
                structure: &structure,
                filename: &filename,
                bytes: &bytes,
                mode,
                source,
            },
        )
    })
    .await;
    match done {
        Ok(Ok(flow)) => {
            let location = format!("/api/v1/flows/{}", flow.id);
            let mut r = (StatusCode::ACCEPTED, Json(summary(&flow))).into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Ok(Err(DepositRefused::File(errors))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": "the file was refused; nothing was recorded", "errors": errors})),
        )
            .into_response(),
        Ok(Err(DepositRefused::Store(e))) => storage(e),
        Err(e) => {
            tracing::error!(error = %e, "flow API: the deposit task failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the deposit failed; nothing was recorded",
            )
        }
    }
}

/// Query of `GET /api/v1/flows`.
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    #[serde(rename = "from-ms")]
    from_ms: Option<u64>,
    #[serde(rename = "to-ms")]
    to_ms: Option<u64>,
    limit: Option<usize>,
}

/// `GET /api/v1/flows`.
pub async fn list(state: AppState, caller: Caller, Query(q): Query<ListQuery>) -> Response {
    if !caller.read {
        return not_found();
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let status = q.status.clone();
    match state.store().data_flows(
        &caller.structure,
        q.from_ms.unwrap_or(0),
        q.to_ms.unwrap_or(u64::MAX / 2),
        limit,
        |f| status.as_deref().is_none_or(|s| f.status.as_str() == s),
    ) {
        Ok(flows) => {
            Json(json!({"flows": flows.iter().map(summary).collect::<Vec<_>>()})).into_response()
        }
        Err(e) => storage(e),
    }
}

/// `GET /api/v1/flows/{id}` and `…/report`.
pub async fn get_flow(state: AppState, caller: Caller, id: String, with_report: bool) -> Response {
    if !caller.read {
        return not_found();
    }
    match state.store().data_flow(&caller.structure, &id) {
        Ok(Some(f)) if with_report => Json(report(&f)).into_response(),
        Ok(Some(f)) => Json(summary(&f)).into_response(),
        Ok(None) => not_found(),
        Err(e) => storage(e),
    }
}

/// Body of `POST /api/v1/webhooks`.
#[derive(Deserialize)]
pub struct NewWebhook {
    url: String,
}

/// `POST /api/v1/webhooks`: registers a URL; the secret is in this answer only.
pub async fn add_webhook(state: AppState, caller: Caller, body: axum::body::Bytes) -> Response {
    if !caller.read {
        return not_found();
    }
    if !caller.write {
        return problem(
            StatusCode::FORBIDDEN,
            "registering a webhook needs read and write on the Data flow overview",
        );
    }
    let Ok(new) = serde_json::from_slice::<NewWebhook>(&body) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "send JSON: {\"url\": \"https://erp.example.fr/portico/events\"}",
        );
    };
    let url = match webhooks::check_url(&new.url, webhooks::loopback_allowed()) {
        Ok(u) => u.to_string(),
        Err(why) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"error": why, "field": "url"})),
            )
                .into_response();
        }
    };
    let store = state.store();
    match store.webhooks(&caller.structure) {
        Ok(hooks) if hooks.len() >= MAX_WEBHOOKS => {
            return problem(
                StatusCode::CONFLICT,
                "a structure has at most 10 webhooks; delete one first",
            );
        }
        Ok(_) => {}
        Err(e) => return storage(e),
    }
    let now = store.clock().now_ms();
    let hook = Webhook {
        id: format!(
            "wh_{}",
            crate::store::dataflows::new_queue_id(now).replace('-', "")
        ),
        structure: caller.structure.clone(),
        client_id: caller.client_id.clone(),
        client_name: caller.client_name.clone(),
        url,
        secret: webhooks::new_secret(),
        created_ms: now,
    };
    let saved = hook.clone();
    let store2 = store.clone();
    match tokio::task::spawn_blocking(move || store2.webhook_add(&saved)).await {
        Ok(Ok(())) => (
            StatusCode::CREATED,
            Json(json!({
                "id": hook.id, "url": hook.url, "secret": hook.secret,
                "events": ["flow.completed", "invoice.status-changed"],
                "signature": "Portico-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>",
                "note": "the secret is shown this once; keep it to verify each notification",
            })),
        )
            .into_response(),
        Ok(Err(e)) => storage(e),
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "the registration failed"),
    }
}

/// `GET /api/v1/webhooks`: the structure's webhooks, without their secrets.
pub async fn list_webhooks(state: AppState, caller: Caller) -> Response {
    if !caller.read {
        return not_found();
    }
    match state.store().webhooks(&caller.structure) {
        Ok(hooks) => Json(json!({"webhooks": hooks.iter().map(|h| json!({
            "id": h.id, "url": h.url, "client": h.client_name, "created-ms": h.created_ms,
        })).collect::<Vec<_>>()}))
        .into_response(),
        Err(e) => storage(e),
    }
}

/// `DELETE /api/v1/webhooks/{id}`.
pub async fn delete_webhook(state: AppState, caller: Caller, id: String) -> Response {
    if !caller.read {
        return not_found();
    }
    if !caller.write {
        return problem(
            StatusCode::FORBIDDEN,
            "deleting a webhook needs read and write on the Data flow overview",
        );
    }
    let store = state.store().clone();
    let structure = caller.structure.clone();
    match tokio::task::spawn_blocking(move || store.webhook_remove(&structure, &id)).await {
        Ok(Ok(true)) => StatusCode::NO_CONTENT.into_response(),
        Ok(Ok(false)) => problem(StatusCode::NOT_FOUND, "no such webhook"),
        Ok(Err(e)) => storage(e),
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "the deletion failed"),
    }
}

impl From<&crate::api::ApiPrincipal> for Caller {
    fn from(p: &crate::api::ApiPrincipal) -> Caller {
        let access = p.access(FLOWS_AREA);
        Caller {
            structure: p.structure.clone(),
            client_id: p.client_id.clone(),
            client_name: p.client_name.clone(),
            production: p.mode == crate::api::Mode::Production,
            read: access.is_some(),
            write: access == Some(crate::api::Access::ReadWrite),
        }
    }
}

/// The flow and webhook routes, mounted under the API guard.
pub fn routes() -> axum::Router<AppState> {
    use crate::api::ApiPrincipal;
    use axum::extract::{Path, State};
    use axum::routing::{delete, get};
    axum::Router::new()
        .route(
            "/api/v1/flows",
            get(
                |State(s): State<AppState>, p: ApiPrincipal, q: Query<ListQuery>| async move {
                    list(s, Caller::from(&p), q).await
                },
            )
            .post(
                |State(s): State<AppState>,
                 p: ApiPrincipal,
                 q: Query<DepositQuery>,
                 body: Body| async move { deposit(s, Caller::from(&p), q, body).await },
            )
            .layer(axum::extract::DefaultBodyLimit::max(MAX_ZIP_BYTES + 1)),
        )
        .route(
            "/api/v1/flows/{id}",
            get(
                |State(s): State<AppState>, p: ApiPrincipal, Path(id): Path<String>| async move {
                    get_flow(s, Caller::from(&p), id, false).await
                },
            ),
        )
        .route(
            "/api/v1/flows/{id}/report",
            get(
                |State(s): State<AppState>, p: ApiPrincipal, Path(id): Path<String>| async move {
                    get_flow(s, Caller::from(&p), id, true).await
                },
            ),
        )
        .route(
            "/api/v1/webhooks",
            get(|State(s): State<AppState>, p: ApiPrincipal| async move {
                list_webhooks(s, Caller::from(&p)).await
            })
            .post(
                |State(s): State<AppState>, p: ApiPrincipal, body: axum::body::Bytes| async move {
                    add_webhook(s, Caller::from(&p), body).await
                },
            ),
        )
        .route(
            "/api/v1/webhooks/{id}",
            delete(
                |State(s): State<AppState>, p: ApiPrincipal, Path(id): Path<String>| async move {
                    delete_webhook(s, Caller::from(&p), id).await
                },
            ),
        )
}
