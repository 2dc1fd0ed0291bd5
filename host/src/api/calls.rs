//! Bearer calls of areas: `GET|POST /api/v1/s/{structure}/{area}/{rest…}`
//! is the area's page `/s/{structure}/{area}/{rest…}`, answered as JSON.
//!
//! - The client's token must be for `{structure}` and grant `{area}`, and the
//!   area must be open to the structure (added, available, loaded): anything
//!   else is 404, whatever the reason (a client learns nothing of areas it
//!   was not given). A read grant allows GET only: a POST is 403
//!   `insufficient_scope` (RFC 6750 §3.1).
//! - A POST body is a JSON object (`application/json`) or a form
//!   (url-encoded or multipart); the area receives the same fields as from a
//!   person's form and checks them the same way. In JSON, a string, number
//!   or boolean is a field; an array of them repeats the field; a file is an
//!   object `{"filename", "content_type", "content_base64"}` (or an array
//!   of them). No CSRF token: there is no cookie to ride on.
//! - Answers: a view → 200 with its data; a redirect → 303 with `Location`
//!   (under `/api/v1/` when it points at a page of this API) and
//!   `{"location"}`; a refused form → 422 `{"message", "errors": {field:
//!   message}}` in the language of `Accept-Language`; a download → the file;
//!   the area's 404/403/500 → `{"error", "error_description"}`.
//! - The area sees the client as the caller: `context.user` is
//!   `{id: "api-client:{client id}", first-name: client name, last-name: "",
//!   email: ""}` with the role `user` and no tabs. Host calls that need a
//!   person (`directory`, `account`) answer `not-found` for it.

use std::collections::{BTreeMap, HashMap};

use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::{Access, ApiPrincipal, json_error};
use crate::access::{Party, Place, Verdict, decide};
use crate::config::Scope;
use crate::directory::Role;
use crate::i18n::host_text;
use crate::runtime::{Answer, Call, CallKind, wit};
use crate::store::{User, UserId};
use crate::web::AppState;
use crate::web::forms::{FormData, UploadedFile, media_type, safe_filename};
use crate::web::security::RequestId;

/// Fields one JSON body may carry (as a form).
const MAX_FIELDS: usize = 2000;
/// Files one JSON body may carry (as a form).
const MAX_FILES: usize = 20;

fn not_found() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "not_found",
        &host_text(crate::i18n::current(), "api.not-found", &[]),
    )
}

fn bad_request(description: String) -> Response {
    json_error(StatusCode::BAD_REQUEST, "invalid_request", &description)
}

/// `ANY /api/v1/s/{structure}/{area}/{rest…}`.
pub(crate) async fn area_call(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    principal: ApiPrincipal,
    Path(params): Path<HashMap<String, String>>,
    req: Request,
) -> Response {
    let sid = params.get("structure").map(String::as_str).unwrap_or("");
    let area_id = params.get("area").map(String::as_str).unwrap_or("");
    // A trailing slash names the same page (no redirect for programs).
    let rest = format!(
        "/{}",
        params.get("rest").map_or("", |r| r.trim_end_matches('/'))
    );
    if sid != principal.structure {
        return not_found();
    }
    let Some(access) = principal.access(area_id) else {
        return not_found();
    };
    let catalog = state.catalog();
    let Some(area) = catalog.area(area_id) else {
        return not_found();
    };
    if area.spec.scope != Scope::Structure || area.loaded.is_err() {
        return not_found();
    }
    let store = state.store();
    let read = (|| -> Result<_, crate::store::StoreError> {
        let Some(structure) = store.structure(sid)? else {
            return Ok(None);
        };
        Ok(Some((structure, store.installs(sid)?, store.facts(sid)?)))
    })();
    let (structure, installs, facts) = match read {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(),
        Err(e) => return super::ApiRejection::Internal(e.to_string()).into_response(),
    };
    if !structure.active {
        return not_found();
    }
    let place = Place {
        structure: &structure,
        installs: &installs,
        facts: &facts,
    };
    if decide(&catalog, area, &place, Party::Structure) != Verdict::Open {
        return not_found();
    }
    let method = req.method().clone();
    if method == Method::POST && access == Access::Read {
        let mut r = json_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            &host_text(
                crate::i18n::current(),
                "api.read-only",
                &[("area", area_id)],
            ),
        );
        let challenge = format!(
            "Bearer realm=\"portico\", error=\"insufficient_scope\", scope=\"{area_id}:read-write\""
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        return r;
    }
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    let form = if method == Method::POST {
        match body(req).await {
            Ok(form) => form,
            Err(r) => return r,
        }
    } else if method == Method::GET || method == Method::HEAD {
        FormData::default()
    } else {
        let mut r = bad_request(host_text(
            crate::i18n::current(),
            "api.method",
            &[("method", method.as_str())],
        ));
        *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
        return r;
    };
    let request = wit::Request {
        method: if method == Method::POST {
            wit::Method::Post
        } else {
            wit::Method::Get
        },
        path: rest,
        query,
        form: form.fields,
        files: form
            .files
            .into_iter()
            .map(|f| wit::Upload {
                field: f.field,
                filename: f.filename,
                content_type: f.content_type,
                bytes: f.bytes,
            })
            .collect(),
    };
    let caller = client_user(&principal);
    let call = Call {
        request_id: rid.0.clone(),
        catalog: &catalog,
        area,
        kind: CallKind::MemberPage {
            user: &caller,
            structure: &structure,
            role: Role::User,
            tabs: Vec::new(),
            request,
        },
        now_ms: state.clock().now_ms(),
        wait: std::time::Duration::from_secs(2),
    };
    let started = std::time::Instant::now();
    let outcome = state.sandbox().call(call).await;
    state
        .ops()
        .metrics()
        .call(area.spec.id.as_str(), started.elapsed());
    let base = format!("/s/{}/{}", structure.id, area.spec.id);
    let Ok(loaded) = &area.loaded else {
        return not_found();
    };
    match outcome {
        Ok(Answer::Page(response)) => answer(&rid, &base, loaded, response),
        Ok(Answer::Message(_)) => not_found(),
        Err(failure) => {
            tracing::warn!(request_id = %rid.0, area = %area.spec.id, cause = %crate::runtime::host::log::escape(&failure.to_string()), "api area call failed");
            let status =
                StatusCode::from_u16(failure.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = (
                status,
                axum::Json(serde_json::json!({
                    "error": "area_failed",
                    "error_description": failure.public_message(),
                    "request_id": rid.0,
                })),
            )
                .into_response();
            if matches!(failure, crate::runtime::AreaFailure::Busy) {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            r
        }
    }
}

/// The caller as the area sees it.
fn client_user(p: &ApiPrincipal) -> User {
    User {
        id: UserId::new(format!("{}{}", super::ACTOR_PREFIX, p.client_id)),
        email: String::new(),
        first_name: p.client_name.clone(),
        last_name: String::new(),
        contact_email: String::new(),
        password_hash: String::new(),
        created_ms: 0,
        last_login_ms: None,
        previous_login_ms: None,
        operator: false,
        language: None,
        email_verified: false,
        credential_epoch: 0,
    }
}

fn answer(
    rid: &RequestId,
    base: &str,
    loaded: &crate::catalog::Loaded,
    response: wit::Response,
) -> Response {
    let lang = crate::i18n::current();
    let tr = |m: &str| crate::i18n::translate_message(lang, Some(&loaded.messages), m);
    let failed = |reason: String| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(serde_json::json!({
                "error": "area_failed",
                "error_description": reason,
                "request_id": rid.0,
            })),
        )
            .into_response()
    };
    match response {
        wit::Response::View(view) => match crate::web::areas::checked_json(&view.data) {
            Ok(body) => crate::web::areas::json_response(body),
            Err(f) => failed(f.public_message()),
        },
        wit::Response::Invalid(invalid) => {
            let errors: BTreeMap<String, String> = invalid
                .fields
                .iter()
                .map(|f| (f.field.clone(), tr(&f.message)))
                .collect();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(
                    serde_json::json!({ "message": tr(&invalid.message), "errors": errors }),
                ),
            )
                .into_response()
        }
        wit::Response::Redirect(to) => {
            let target = crate::web::areas::resolve_redirect(base, &to);
            let target = match target.strip_prefix("/s/") {
                Some(page) => format!("/api/v1/s/{page}"),
                None => target,
            };
            match HeaderValue::from_str(&target) {
                Ok(location) if !target.chars().any(char::is_control) => (
                    StatusCode::SEE_OTHER,
                    [(header::LOCATION, location)],
                    axum::Json(serde_json::json!({ "location": target })),
                )
                    .into_response(),
                _ => failed("the area redirected to an address with control characters".into()),
            }
        }
        wit::Response::Download(d) => {
            if d.bytes.len() > crate::web::areas::MAX_DOWNLOAD {
                return failed("the file is larger than a download may be".into());
            }
            let mut r = d.bytes.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                crate::web::forms::download_content_type(&d.content_type),
            );
            r.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                crate::web::forms::attachment(&d.filename),
            );
            r
        }
        wit::Response::NotFound => not_found(),
        wit::Response::Forbidden(reason) => {
            json_error(StatusCode::FORBIDDEN, "forbidden", &tr(&reason))
        }
        wit::Response::Failed(message) => {
            tracing::warn!(request_id = %rid.0, message = %crate::runtime::host::log::escape(&message), "area answered failed to an api call");
            failed(host_text(lang, "api.area-failed", &[]))
        }
    }
}

/// A POST body as form data: JSON, url-encoded or multipart.
async fn body(req: Request) -> Result<FormData, Response> {
    let lang = crate::i18n::current();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !content_type.starts_with("application/json") {
        let mut form = FormData::parse(req, crate::web::MAX_AREA_BODY)
            .await
            .map_err(|e| {
                let status = e.status();
                let mut r = bad_request(e.to_string());
                *r.status_mut() = status;
                r
            })?;
        // A bearer request has no session to bind a form token to: a
        // `_csrf` field is meaningless here and is not passed on.
        form.csrf = None;
        return Ok(form);
    }
    let bytes = axum::body::to_bytes(req.into_body(), crate::web::MAX_AREA_BODY)
        .await
        .map_err(|_| {
            json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                &host_text(
                    lang,
                    "api.body-too-large",
                    &[("mib", &(crate::web::MAX_AREA_BODY >> 20).to_string())],
                ),
            )
        })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        bad_request(host_text(
            lang,
            "api.body-not-json",
            &[("error", &e.to_string())],
        ))
    })?;
    json_form(value).map_err(bad_request)
}

/// A JSON object as form fields and files (see the module doc).
pub(crate) fn json_form(value: serde_json::Value) -> Result<FormData, String> {
    use serde_json::Value;
    let lang = crate::i18n::current();
    let Value::Object(map) = value else {
        return Err(host_text(lang, "api.body-not-object", &[]));
    };
    let mut form = FormData::default();
    let scalar = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    for (name, v) in map {
        let items: Vec<Value> = match v {
            Value::Array(items) => items,
            Value::Null => continue,
            other => vec![other],
        };
        for item in items {
            if let Some(s) = scalar(&item) {
                if form.fields.len() == MAX_FIELDS {
                    return Err(host_text(
                        lang,
                        "api.too-many-fields",
                        &[("max", &MAX_FIELDS.to_string())],
                    ));
                }
                form.fields.push((name.clone(), s));
            } else if let Value::Object(file) = &item {
                let text = |k: &str| file.get(k).and_then(Value::as_str);
                let Some(content) = text("content_base64") else {
                    return Err(host_text(lang, "api.file-shape", &[("field", &name)]));
                };
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(content.trim())
                    .map_err(|_| host_text(lang, "api.file-base64", &[("field", &name)]))?;
                if form.files.len() == MAX_FILES {
                    return Err(host_text(
                        lang,
                        "api.too-many-files",
                        &[("max", &MAX_FILES.to_string())],
                    ));
                }
                form.files.push(UploadedFile {
                    field: name.clone(),
                    filename: safe_filename(text("filename").unwrap_or("upload")),
                    content_type: text("content_type")
                        .and_then(media_type)
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    bytes,
                });
            } else {
                return Err(host_text(lang, "api.field-shape", &[("field", &name)]));
            }
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_body_is_a_form() {
        let form = json_form(serde_json::json!({
            "number": "F-1", "amount": 12.5, "paid": false, "lines": ["a", "b"], "skip": null,
            "pdf": { "filename": "../x.pdf", "content_type": "application/pdf", "content_base64": "JVBERg==" }
        }))
        .unwrap();
        assert_eq!(
            form.fields,
            [
                ("amount".to_string(), "12.5".to_string()),
                ("lines".into(), "a".into()),
                ("lines".into(), "b".into()),
                ("number".into(), "F-1".into()),
                ("paid".into(), "false".into()),
            ]
        );
        assert_eq!(form.files.len(), 1);
        assert_eq!(form.files[0].bytes, b"%PDF");
        assert!(!form.files[0].filename.contains('/'));
        assert!(json_form(serde_json::json!([1])).is_err());
        assert!(json_form(serde_json::json!({"f": {"content_base64": "***"}})).is_err());
        assert!(json_form(serde_json::json!({"f": [[1]]})).is_err());
    }
}
