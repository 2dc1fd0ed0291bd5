//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the machine
//! interface, built here in one place: the token endpoint, bearer calls of
//! any granted area, and one entry per structure area of the live catalog
//! (so the document says what this deployment serves). Validated by
//! `tests/api_docs.rs` with `openapi-spec-validator`.
//!
//! The flow and webhook routes (`dataflows/api.rs`) are described by
//! [`flow_paths`], next to them here.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::config::{Capability, Scope};
use crate::web::AppState;

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn area_operation(method: &str, area: Option<(&str, &str)>) -> Value {
    let (summary, tag) = match area {
        Some((id, title)) => (
            format!("{title}: {method} a page of the area as JSON"),
            id.to_string(),
        ),
        None => (
            format!("{method} a page of any granted area as JSON"),
            "areas".to_string(),
        ),
    };
    let mut op = json!({
        "summary": summary,
        "tags": [tag],
        "security": [{ "bearer": [] }, { "oauth2": [] }],
        "responses": {
            "200": {
                "description": "The view's data (the JSON the area renders its page from), or a file the area sends.",
                "content": { "application/json": { "schema": { "type": "object" } } }
            },
            "303": {
                "description": "The area redirected (after a successful POST, typically); `Location` and the body name the next address.",
                "headers": { "Location": { "schema": { "type": "string" } } },
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Redirect" } } }
            },
            "401": error_response("No token, or a token unknown, expired, revoked or rotated out (RFC 6750; `WWW-Authenticate: Bearer`)."),
            "403": error_response("`insufficient_scope`: a read grant does not allow POST; or the area refused with its reason."),
            "404": error_response("Not this client's structure, an area not granted, not added or not available, or nothing at this address."),
            "422": {
                "description": "The form was refused: a summary and one message per field, in the language of `Accept-Language` (French by default).",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Invalid" } } }
            },
            "429": error_response("Over the client's budget of calls per minute; `Retry-After` says when to retry."),
            "500": error_response("The area could not answer; logged with the request id.")
        }
    });
    if method == "POST" {
        op["requestBody"] = json!({
            "description": "The form's fields. In JSON: a string, number or boolean is a field; an array repeats it; a file is an object with `filename`, `content_type` and `content_base64`. Url-encoded and multipart forms work too. No CSRF token.",
            "required": false,
            "content": {
                "application/json": { "schema": { "$ref": "#/components/schemas/FormBody" } },
                "application/x-www-form-urlencoded": { "schema": { "type": "object", "additionalProperties": { "type": "string" } } },
                "multipart/form-data": { "schema": { "type": "object" } }
            }
        });
    }
    op
}

fn path_item(area: Option<(&str, &str)>, rest: bool) -> Value {
    let mut params = vec![json!({
        "name": "structure", "in": "path", "required": true,
        "description": "The client's structure (its identifier, e.g. a SIRET).",
        "schema": { "type": "string" }
    })];
    if area.is_none() {
        params.push(json!({
            "name": "area", "in": "path", "required": true,
            "description": "An area id the client was granted, e.g. `issued-invoices`.",
            "schema": { "type": "string" }
        }));
    }
    if rest {
        params.push(json!({
            "name": "rest", "in": "path", "required": true,
            "description": "The page's path inside the area, as in the browser after `/s/{structure}/{area}/` (it may contain `/`).",
            "schema": { "type": "string" }
        }));
    }
    json!({
        "parameters": params,
        "get": area_operation("GET", area),
        "post": area_operation("POST", area),
    })
}

/// The flow and webhook routes (`crate::dataflows::api`): open to a client
/// granted Data flow overview (read; deposits and webhooks: read and write).
fn flow_paths(paths: &mut Map<String, Value>) {
    let bearer = json!([{ "bearer": [] }, { "oauth2": [] }]);
    let not_granted = error_response(
        "The client was not granted Data flow overview (or not in read and write for a change): answered as an unknown URL.",
    );
    let id_param =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]);
    let ok = |description: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": { "type": "object" } } }
        })
    };
    let with_schema = |description: &str, schema: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        })
    };
    paths.insert(
        "/api/v1/flows".into(),
        json!({
            "get": {
                "summary": "List the structure's data flows, newest first",
                "tags": ["flows"],
                "security": bearer,
                "parameters": [
                    { "name": "status", "in": "query", "schema": { "enum": ["received", "in-processing", "integrated", "partially-integrated", "rejected"] } },
                    { "name": "from-ms", "in": "query", "schema": { "type": "integer" }, "description": "Deposited at or after (ms since the epoch)." },
                    { "name": "to-ms", "in": "query", "schema": { "type": "integer" } },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
                ],
                "responses": { "200": ok("The flows, each with its status and counts."), "404": not_granted }
            },
            "post": {
                "summary": "Deposit a flow: one invoice (UBL 2.1, CII D16B, Factur-X PDF) or a ZIP of them",
                "tags": ["flows"],
                "security": bearer,
                "parameters": [{ "name": "filename", "in": "query", "required": true, "schema": { "type": "string", "maxLength": 50 } }],
                "requestBody": {
                    "required": true,
                    "description": "The file's bytes (at most 10 MB for one invoice, 30 MB for a ZIP). A qualification client's flows are checked and reported, and reach nobody.",
                    "content": { "application/octet-stream": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } } }
                },
                "responses": {
                    "202": with_schema("Recorded durably; `Location: /api/v1/flows/{id}`. Follow it until its status is final, or register a webhook.", "Flow"),
                    "422": error_response("Refused at once, nothing recorded: `errors`, each with its code, field, message and fix."),
                    "404": not_granted.clone()
                }
            }
        }),
    );
    paths.insert(
        "/api/v1/flows/{id}".into(),
        json!({ "parameters": id_param.clone(), "get": {
            "summary": "One flow: its status (Chorus Pro's `IN_*` code beside) and counts",
            "tags": ["flows"], "security": bearer,
            "responses": { "200": with_schema("The flow.", "Flow"), "404": error_response("No such flow of this structure.") }
        } }),
    );
    paths.insert(
        "/api/v1/flows/{id}/report".into(),
        json!({ "parameters": id_param.clone(), "get": {
            "summary": "A flow's report: per invoice, its file, number, recipient and its Issued invoices id or its errors",
            "tags": ["flows"], "security": bearer,
            "responses": { "200": with_schema("The report.", "FlowReport"), "404": error_response("No such flow of this structure.") }
        } }),
    );
    paths.insert(
        "/api/v1/webhooks".into(),
        json!({
            "get": {
                "summary": "The structure's webhooks",
                "tags": ["webhooks"], "security": bearer,
                "responses": { "200": ok("The webhooks (never their secrets)."), "404": not_granted.clone() }
            },
            "post": {
                "summary": "Register a webhook: `flow.completed` and `invoice.status-changed` are POSTed to it, signed (`Portico-Signature: t=…,v1=HMAC-SHA256`)",
                "tags": ["webhooks"], "security": bearer,
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["url"],
                    "properties": { "url": { "type": "string", "format": "uri", "description": "`https://`, public addresses only." } }
                } } } },
                "responses": {
                    "201": ok("Registered; the signing secret is in the answer, this once."),
                    "422": error_response("The URL is refused (scheme, private address, too many webhooks)."),
                    "404": not_granted
                }
            }
        }),
    );
    paths.insert(
        "/api/v1/webhooks/{id}".into(),
        json!({ "parameters": id_param, "delete": {
            "summary": "Remove a webhook",
            "tags": ["webhooks"], "security": bearer,
            "responses": { "204": { "description": "Removed." }, "404": error_response("No such webhook of this structure.") }
        } }),
    );
}

/// The document for the areas of `catalog`.
pub fn document(catalog: &crate::catalog::Catalog) -> Value {
    let mut paths = Map::new();
    paths.insert(
        "/oauth/token".into(),
        json!({
            "post": {
                "summary": "Obtain a bearer token (OAuth 2.0 client credentials, RFC 6749 §4.4)",
                "tags": ["oauth"],
                "security": [{ "clientBasic": [] }, {}],
                "requestBody": {
                    "required": true,
                    "content": { "application/x-www-form-urlencoded": { "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": { "const": "client_credentials" },
                            "scope": { "type": "string", "description": "Optional: fewer rights than the client's, space-separated `area:read` or `area:read-write`." },
                            "client_id": { "type": "string", "description": "When not using HTTP Basic." },
                            "client_secret": { "type": "string", "description": "When not using HTTP Basic." }
                        }
                    } } }
                },
                "responses": {
                    "200": {
                        "description": "A token (RFC 6749 §5.1); `Cache-Control: no-store`.",
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Token" } } }
                    },
                    "400": {
                        "description": "`invalid_request`, `invalid_grant` (the client was revoked or expired), `unsupported_grant_type` or `invalid_scope` (RFC 6749 §5.2).",
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                    },
                    "401": error_response("`invalid_client`: unknown client, wrong secret, or a secret whose overlap ended (`WWW-Authenticate: Basic`)."),
                    "429": error_response("Over the client's token requests per minute; `Retry-After` says when to retry.")
                }
            }
        }),
    );
    paths.insert(
        "/api/v1/s/{structure}/{area}".into(),
        path_item(None, false),
    );
    paths.insert(
        "/api/v1/s/{structure}/{area}/{rest}".into(),
        path_item(None, true),
    );
    flow_paths(&mut paths);
    let mut tags = vec![
        json!({ "name": "oauth", "description": "Tokens." }),
        json!({ "name": "areas", "description": "Any granted area, by id." }),
        json!({ "name": "flows", "description": "Invoice files deposited by programs, followed to the last invoice (README, \"Data flows\")." }),
        json!({ "name": "webhooks", "description": "Notifications of finished flows and invoice statuses." }),
    ];
    for area in catalog.areas.iter().filter(|a| {
        a.spec.scope == Scope::Structure && !a.spec.has(Capability::ApiClients) && a.loaded.is_ok()
    }) {
        let id = area.spec.id.as_str();
        let title = area.spec.title.current();
        paths.insert(
            format!("/api/v1/s/{{structure}}/{id}"),
            path_item(Some((id, title)), false),
        );
        paths.insert(
            format!("/api/v1/s/{{structure}}/{id}/{{rest}}"),
            path_item(Some((id, title)), true),
        );
        tags.push(json!({
            "name": id,
            "description": match area.spec.description.current() {
                "" => title,
                d => d,
            },
        }));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Portico API",
            "version": "1.0.0",
            "description": "Machine access to a structure's areas. A manager creates an API client in EDI and API connections; the client obtains a token at /oauth/token and calls the areas it was granted under /api/v1/s/{structure}/{area}/…, which answer what the pages answer, as JSON. See docs/api-quickstart.md."
        },
        "servers": [{ "url": "/" }],
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": { "clientCredentials": { "tokenUrl": "/oauth/token", "scopes": {} } }
                },
                "bearer": { "type": "http", "scheme": "bearer" },
                "clientBasic": { "type": "http", "scheme": "basic", "description": "client_id:client_secret, each form-urlencoded (RFC 6749 §2.3.1)." }
            },
            "schemas": {
                "Token": {
                    "type": "object",
                    "required": ["access_token", "token_type", "expires_in", "scope"],
                    "properties": {
                        "access_token": { "type": "string" },
                        "token_type": { "const": "Bearer" },
                        "expires_in": { "type": "integer", "description": "Seconds (900)." },
                        "scope": { "type": "string", "description": "The token's rights: `area:read` / `area:read-write`, space-separated." }
                    }
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": { "type": "string" },
                        "error_description": { "type": "string" },
                        "request_id": { "type": "string" }
                    }
                },
                "Invalid": {
                    "type": "object",
                    "required": ["message", "errors"],
                    "properties": {
                        "message": { "type": "string" },
                        "errors": { "type": "object", "additionalProperties": { "type": "string" } }
                    }
                },
                "Redirect": {
                    "type": "object",
                    "required": ["location"],
                    "properties": { "location": { "type": "string" } }
                },
                "File": {
                    "type": "object",
                    "required": ["content_base64"],
                    "properties": {
                        "filename": { "type": "string" },
                        "content_type": { "type": "string" },
                        "content_base64": { "type": "string", "contentEncoding": "base64" }
                    }
                },
                "Flow": flow_schema(false),
                "FlowReport": flow_schema(true),
                "FlowError": {
                    "type": "object",
                    "required": ["code", "field", "message", "fix"],
                    "properties": {
                        "code": { "type": "string", "description": "The rule or error code: `BR-16` (EN 16931), `CHORUS-…` (Chorus Pro's rules), `FLOW-…` (the flow: `FLOW-FORMAT`, `FLOW-ZIP-NESTED`, `FLOW-STORAGE-FULL`…)." },
                        "field": { "type": "string", "description": "The business term (`BT-48`), `file`, or empty." },
                        "message": { "$ref": "#/components/schemas/Text" },
                        "fix": { "$ref": "#/components/schemas/Text" }
                    }
                },
                "Text": {
                    "type": "object",
                    "required": ["fr", "en"],
                    "properties": { "fr": { "type": "string" }, "en": { "type": "string" } }
                },
                "FormBody": {
                    "type": "object",
                    "additionalProperties": {
                        "oneOf": [
                            { "type": ["string", "number", "boolean", "null"] },
                            { "$ref": "#/components/schemas/File" },
                            { "type": "array", "items": { "oneOf": [
                                { "type": ["string", "number", "boolean"] },
                                { "$ref": "#/components/schemas/File" }
                            ] } }
                        ]
                    }
                }
            }
        }
    })
}

/// A flow as `GET /api/v1/flows/{id}` gives it (`dataflows::summary`), and
/// with `report` its detailed report (`dataflows::report`).
pub(crate) fn flow_schema(report: bool) -> Value {
    let mut properties = json!({
        "id": { "type": "string" },
        "created-ms": { "type": "integer" },
        "updated-ms": { "type": "integer" },
        "filename": { "type": "string" },
        "format": { "type": "string", "description": "`ubl`, `cii`, `factur-x` or `zip`." },
        "size": { "type": "integer" },
        "sha256": { "type": "string" },
        "mode": { "enum": ["production", "qualification"] },
        "status": { "enum": ["received", "in-processing", "integrated", "partially-integrated", "rejected"] },
        "chorus-status": { "type": "string", "description": "Chorus Pro's code for the same status (`IN_RECU`, `IN_EN_COURS_TRAITEMENT_CPP`, `IN_INTEGRE`, `IN_INTEGRE_PARTIEL`, `IN_REJETE`)." },
        "source": { "enum": ["portal", "api"] },
        "client": { "type": "string", "description": "The API client's or the person's name." },
        "invoices": { "type": "integer" },
        "integrated": { "type": "integer", "description": "Receivable, with or without errors." },
        "rejected": { "type": "integer" },
        "pending": { "type": "integer" }
    });
    let mut required: Vec<&str> = vec![
        "id",
        "status",
        "chorus-status",
        "mode",
        "invoices",
        "integrated",
        "rejected",
        "pending",
    ];
    if report {
        properties["errors"] = json!({ "type": "array", "items": { "$ref": "#/components/schemas/FlowError" }, "description": "Errors of the file as a whole (an unreadable ZIP…)." });
        properties["report"] = json!({ "type": "array", "items": {
            "type": "object",
            "required": ["index", "filename", "verdict", "errors"],
            "properties": {
                "index": { "type": "integer" },
                "filename": { "type": "string" },
                "number": { "type": "string", "description": "BT-1, once read." },
                "recipient": { "type": "string", "description": "The buyer's SIRET, once read." },
                "verdict": { "enum": ["pending", "receivable", "receivable-with-errors", "not-receivable"], "description": "Chorus Pro's QP_RECEVABLE, QP_RECEVABLE_AVEC_ERREUR, QP_IRRECEVABLE. Receivable with errors: integrated, with remarks to read in `errors` (e.g. `CHORUS-PAYMENT-DELAY`)." },
                "invoice-id": { "type": ["string", "null"], "description": "Its Issued invoices id (production only)." },
                "errors": { "type": "array", "items": { "$ref": "#/components/schemas/FlowError" } },
                "decided-ms": { "type": ["integer", "null"] }
            }
        } });
        required.extend(["errors", "report"]);
    }
    json!({ "type": "object", "required": required, "properties": properties })
}

/// `GET /api/openapi.json`.
pub(crate) async fn serve(State(state): State<AppState>) -> Response {
    axum::Json(document(&state.catalog())).into_response()
}
