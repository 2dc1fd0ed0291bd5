//! Machine access (issue 14): API clients of a structure obtain short-lived
//! bearer tokens with OAuth 2.0 client credentials (`POST /oauth/token`,
//! [`token`]) and call every area they were granted under
//! `/api/v1/s/{structure}/{area}/…` ([`calls`]), which answers JSON.
//!
//! The rules, enforced here and nowhere else:
//! - every `/api/v1/…` request is authenticated by [`guard`] from its
//!   `Authorization: Bearer` header alone: a session cookie never authorises
//!   one, and no CSRF token is asked (there is no ambient credential to
//!   forge). Without a valid token: 401 with `WWW-Authenticate: Bearer`
//!   (RFC 6750 §3);
//! - a bearer token never opens an HTML page: the page routes read only the
//!   session cookie;
//! - each client's requests are counted in the store (several hosts share
//!   the counts): over [`CALLS_PER_MINUTE`], 429 with `Retry-After`;
//! - every `/api/v1/…` call is written to the structure's history (audit
//!   action `api.call`) with the client's name, method, path and status.
//!
//! Other modules mount their own `/api/v1/…` routes and take an
//! [`ApiPrincipal`] argument: the guard has already authenticated, counted
//! and will record the call.

pub mod calls;
pub mod openapi;
pub mod token;

#[cfg(test)]
mod router_tests;

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::store::ApiClient;
pub use crate::store::{Access, Mode};
use crate::web::AppState;

/// Requests one client may make to `/api/v1/…` per minute, all hosts
/// together: plenty for an accounting system depositing its day's invoices
/// (a flow carries many), little enough that a runaway loop cannot starve
/// the other structures.
pub const CALLS_PER_MINUTE: u32 = 600;

/// Audit action of an API call.
pub const AUDIT_ACTION: &str = "api.call";

/// Prefix of the audit actor of an API call: `api-client:{client id}`.
pub const ACTOR_PREFIX: &str = "api-client:";

/// Who is calling: an API client of one structure, as its bearer token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiPrincipal {
    /// The structure the client acts for (its identifier, e.g. a SIRET).
    pub structure: String,
    /// The client's id (`pc_…`), the OAuth `client_id`.
    pub client_id: String,
    /// The client's name, as its manager gave it.
    pub client_name: String,
    /// Area id → what the token allows there.
    pub grants: BTreeMap<String, Access>,
    /// Qualification (nothing may reach a recipient) or production.
    pub mode: Mode,
}

impl ApiPrincipal {
    /// What the token allows in `area`; `None`: the area does not exist for
    /// this client (answer 404, never 403).
    pub fn access(&self, area: &str) -> Option<Access> {
        self.grants.get(area).copied()
    }

    /// The audit actor id of this client.
    pub fn actor(&self) -> crate::store::UserId {
        crate::store::UserId::new(format!("{ACTOR_PREFIX}{}", self.client_id))
    }
}

/// Why a bearer request was refused before reaching its handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiRejection {
    /// No `Authorization: Bearer` header (RFC 6750 §3.1: no error code).
    Missing,
    /// A token that is malformed, unknown, expired, or whose client was
    /// revoked, expired or rotated past it.
    InvalidToken,
    /// Over [`CALLS_PER_MINUTE`]; retry after this many seconds.
    TooMany(u64),
    /// The store failed; the message is for the log.
    Internal(String),
}

impl IntoResponse for ApiRejection {
    fn into_response(self) -> Response {
        let lang = crate::i18n::current();
        match self {
            ApiRejection::Missing => {
                let description = crate::i18n::host_text(lang, "api.token-missing", &[]);
                let mut r = json_error(StatusCode::UNAUTHORIZED, "invalid_request", &description);
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"portico\""),
                );
                r
            }
            ApiRejection::InvalidToken => {
                let description = crate::i18n::host_text(lang, "api.token-invalid", &[]);
                let mut r = json_error(StatusCode::UNAUTHORIZED, "invalid_token", &description);
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Bearer realm=\"portico\", error=\"invalid_token\", error_description=\"The access token is unknown, expired or revoked\"",
                    ),
                );
                r
            }
            ApiRejection::TooMany(secs) => too_many(secs),
            ApiRejection::Internal(cause) => {
                tracing::error!(%cause, "api request failed");
                let description = crate::i18n::host_text(lang, "api.internal", &[]);
                json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    &description,
                )
            }
        }
    }
}

/// `{"error": code, "error_description": text}` with `status`.
pub(crate) fn json_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

/// 429 with `Retry-After`.
pub(crate) fn too_many(secs: u64) -> Response {
    let secs = secs.max(1);
    let description = crate::i18n::host_text(
        crate::i18n::current(),
        "api.too-many",
        &[("seconds", &secs.to_string())],
    );
    let mut r = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        &description,
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

/// The bearer token of `headers`, if any (`Authorization: Bearer <token>`,
/// scheme case-insensitive per RFC 7235).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn principal(client: ApiClient, token: crate::store::ApiToken) -> ApiPrincipal {
    ApiPrincipal {
        structure: client.structure,
        client_id: client.id,
        client_name: client.name,
        grants: token.grants,
        mode: token.mode,
    }
}

/// Authenticates `headers`' bearer token (no counting, no audit).
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<ApiPrincipal, ApiRejection> {
    let Some(value) = bearer(headers) else {
        return if headers.contains_key(header::AUTHORIZATION) {
            Err(ApiRejection::InvalidToken)
        } else {
            Err(ApiRejection::Missing)
        };
    };
    let now = state.clock().now_ms();
    match state.store().api_token(value, now) {
        Ok(Some((token, client))) => Ok(principal(client, token)),
        Ok(None) => Err(ApiRejection::InvalidToken),
        Err(e) => Err(ApiRejection::Internal(e.to_string())),
    }
}

/// The middleware of every `/api/v1/…` request: authenticates the bearer
/// token, counts the call against the client's budget, hands the
/// [`ApiPrincipal`] to the handler (request extension), then writes the call
/// to the structure's history with the status it got.
pub(crate) async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let principal = match authenticate(&state, req.headers()) {
        Ok(p) => p,
        Err(rejection) => return rejection.into_response(),
    };
    let now = state.clock().now_ms();
    let bucket = format!("call:{}", principal.client_id);
    match state
        .store()
        .count_api_request(&bucket, CALLS_PER_MINUTE, 60_000, now)
    {
        Ok(None) => {}
        Ok(Some(wait_ms)) => return too_many(wait_ms.div_ceil(1000)),
        Err(e) => return ApiRejection::Internal(e.to_string()).into_response(),
    }
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    req.extensions_mut().insert(principal.clone());
    let response = next.run(req).await;
    let detail = serde_json::json!({
        "client": principal.client_name,
        "client_id": principal.client_id,
        "mode": principal.mode.as_str(),
        "method": method,
        "path": path,
        "status": response.status().as_u16(),
    });
    if let Err(e) = state.store().audit(
        &principal.actor(),
        Some(&principal.structure),
        AUDIT_ACTION,
        detail,
        state.clock().now_ms(),
    ) {
        // The call happened; its trace could not be written. Say so loudly.
        tracing::error!(client = %principal.client_id, error = %e, "api call not recorded in the history");
    }
    response
}

impl FromRequestParts<AppState> for ApiPrincipal {
    type Rejection = ApiRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<ApiPrincipal>() {
            return Ok(p.clone());
        }
        // A route outside `/api/v1/`: authenticate here (not counted, not
        // recorded: mount API routes under `/api/v1/`).
        authenticate(state, &parts.headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bearer_scheme_gives_a_token() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  abc "),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), None);
    }
}
