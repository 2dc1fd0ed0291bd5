//! `POST /oauth/token`: OAuth 2.0 client credentials (RFC 6749 §4.4).
//!
//! - The body is `application/x-www-form-urlencoded` with
//!   `grant_type=client_credentials` and optionally `scope` (a space-separated
//!   subset of the client's grants, `{area}:read` or `{area}:read-write`).
//! - The client authenticates with HTTP Basic (`client_id:client_secret`,
//!   each form-urlencoded as §2.3.1 says) or with `client_id` and
//!   `client_secret` in the body; not both (§2.3).
//! - Success (§5.1): `{"access_token", "token_type": "Bearer", "expires_in",
//!   "scope"}` with `Cache-Control: no-store` and `Pragma: no-cache`.
//! - Errors (§5.2): `invalid_request` (400), `invalid_client` (401 with
//!   `WWW-Authenticate: Basic`), `invalid_grant` (400: the client was revoked
//!   or expired), `unsupported_grant_type` (400), `invalid_scope` (400).
//! - Every attempt with a well-formed client id counts against that client's
//!   [`TOKENS_PER_MINUTE`] (in the store, shared by every host) before its
//!   secret is checked: over it, 429 with `Retry-After`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::{Access, json_error, too_many};
use crate::i18n::{Lang, host_text};
use crate::store::CredentialProblem;
use crate::web::AppState;

/// How long a bearer token lives: short, so that a leaked one is worth
/// little; a client asks for a new one with its secret when it expires.
pub const TOKEN_LIFETIME_SECS: u64 = 15 * 60;

/// Token requests one client may make per minute, all hosts together. A
/// client needs one per [`TOKEN_LIFETIME_SECS`]; twenty leaves room for
/// restarts and parallel workers, and makes guessing a secret pointless.
pub const TOKENS_PER_MINUTE: u32 = 20;

/// Largest body of a token request.
pub const MAX_TOKEN_BODY: usize = 4 << 10;

fn no_store(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    no_store(json_error(status, code, description))
}

fn invalid_request(lang: Lang, key: &str, args: &[(&str, &str)]) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        &host_text(lang, key, args),
    )
}

fn invalid_client(lang: Lang) -> Response {
    let mut r = error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        &host_text(lang, "api.invalid-client", &[]),
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"portico\", charset=\"UTF-8\""),
    );
    r
}

/// `client_id` and `client_secret` from `Authorization: Basic`, if that
/// header is present; `Err` when it is present but malformed.
fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let (scheme, encoded) = value.split_once(' ').ok_or(())?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = decoded.split_once(':').ok_or(())?;
    // RFC 6749 §2.3.1: both are form-urlencoded before joining.
    let unescape = |s: &str| -> Result<String, ()> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(&format!("v={s}")).map_err(|_| ())?;
        pairs.into_iter().next().map(|(_, v)| v).ok_or(())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

/// Parses a space-separated scope into grants; `Err(item)` names the first
/// item that is not `{area}:read` or `{area}:read-write`.
pub fn parse_scope(scope: &str) -> Result<BTreeMap<String, Access>, String> {
    let mut out = BTreeMap::new();
    for item in scope.split(' ').filter(|s| !s.is_empty()) {
        let Some((area, access)) = item.rsplit_once(':') else {
            return Err(item.to_string());
        };
        let Some(access) = Access::parse(access) else {
            return Err(item.to_string());
        };
        if area.is_empty() {
            return Err(item.to_string());
        }
        let slot = out.entry(area.to_string()).or_insert(access);
        *slot = (*slot).max(access);
    }
    Ok(out)
}

/// Writes grants as a scope: `area:read area2:read-write`.
pub fn scope_string(grants: &BTreeMap<String, Access>) -> String {
    grants
        .iter()
        .map(|(area, access)| format!("{area}:{}", access.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `POST /oauth/token`.
pub(crate) async fn issue(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = crate::i18n::current();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return invalid_request(lang, "api.token-form", &[]);
    }
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return invalid_request(lang, "api.token-form", &[]);
    };
    // §3.2: parameters must not be repeated.
    let mut params: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in &pairs {
        if params.insert(k.as_str(), v.as_str()).is_some() {
            return invalid_request(lang, "api.token-repeated", &[("name", k)]);
        }
    }
    let Some(grant_type) = params.get("grant_type") else {
        return invalid_request(lang, "api.token-grant-missing", &[]);
    };
    if *grant_type != "client_credentials" {
        return error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &host_text(
                lang,
                "api.token-grant-unsupported",
                &[("grant", grant_type)],
            ),
        );
    }
    let in_body = (params.get("client_id"), params.get("client_secret"));
    let (client_id, secret) = match (basic(&headers), in_body) {
        (Err(()), _) => return invalid_client(lang),
        (Ok(Some(_)), (Some(_), _) | (_, Some(_))) => {
            return invalid_request(lang, "api.token-two-methods", &[]);
        }
        (Ok(Some((id, secret))), _) => (id, secret),
        (Ok(None), (Some(id), Some(secret))) => (id.to_string(), secret.to_string()),
        (Ok(None), _) => return invalid_client(lang),
    };
    let well_formed = client_id.len() == crate::store::CLIENT_ID_PREFIX.len() + 32
        && client_id.starts_with(crate::store::CLIENT_ID_PREFIX)
        && client_id.is_ascii();
    if !well_formed {
        return invalid_client(lang);
    }
    let now = state.clock().now_ms();
    match state.store().count_api_request(
        &format!("token:{client_id}"),
        TOKENS_PER_MINUTE,
        60_000,
        now,
    ) {
        Ok(None) => {}
        Ok(Some(wait_ms)) => return no_store(too_many(wait_ms.div_ceil(1000))),
        Err(e) => return super::ApiRejection::Internal(e.to_string()).into_response(),
    }
    let (client, secret_hash) = match state
        .store()
        .check_api_credentials(&client_id, &secret, now)
    {
        Ok(Ok(found)) => found,
        Ok(Err(CredentialProblem::Unknown)) => return invalid_client(lang),
        Ok(Err(CredentialProblem::Revoked)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                &host_text(lang, "api.client-revoked", &[]),
            );
        }
        Ok(Err(CredentialProblem::Expired)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                &host_text(lang, "api.client-expired", &[]),
            );
        }
        Err(e) => return super::ApiRejection::Internal(e.to_string()).into_response(),
    };
    let grants = match params.get("scope").map(|s| parse_scope(s)) {
        None => client.grants.clone(),
        Some(Err(item)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                &host_text(lang, "api.scope-malformed", &[("item", &item)]),
            );
        }
        Some(Ok(asked)) => {
            for (area, access) in &asked {
                if client
                    .grants
                    .get(area)
                    .is_none_or(|granted| granted < access)
                {
                    let item = format!("{area}:{}", access.as_str());
                    return error(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        &host_text(lang, "api.scope-not-granted", &[("item", &item)]),
                    );
                }
            }
            asked
        }
    };
    let issued = state.store().issue_api_token(
        &client,
        &secret_hash,
        grants,
        TOKEN_LIFETIME_SECS * 1000,
        now,
    );
    match issued {
        Ok((value, token)) => {
            let expires_in = token.expires_ms.saturating_sub(now).div_ceil(1000);
            no_store(
                axum::Json(serde_json::json!({
                    "access_token": value,
                    "token_type": "Bearer",
                    "expires_in": expires_in,
                    "scope": scope_string(&token.grants),
                }))
                .into_response(),
            )
        }
        Err(e) => super::ApiRejection::Internal(e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print() {
        let g = parse_scope("a:read b:read-write a:read-write").unwrap();
        assert_eq!(scope_string(&g), "a:read-write b:read-write");
        assert_eq!(parse_scope("a:write"), Err("a:write".into()));
        assert_eq!(parse_scope(":read"), Err(":read".into()));
        assert!(parse_scope("").unwrap().is_empty());
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut h = HeaderMap::new();
        assert_eq!(basic(&h), Ok(None));
        let enc = base64::engine::general_purpose::STANDARD.encode("pc_1%3Ax:s+1%25");
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {enc}")).unwrap(),
        );
        assert_eq!(basic(&h), Ok(Some(("pc_1:x".into(), "s 1%".into()))));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!"));
        assert_eq!(basic(&h), Err(()));
    }
}
