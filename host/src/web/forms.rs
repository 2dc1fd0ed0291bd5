//! Request bodies: url-encoded and multipart forms, with the host's CSRF
//! field taken out before anything reaches a plugin.

use super::AppError;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;

/// Form fields one request may carry.
const MAX_FIELDS: usize = 2000;
/// Files one request may carry.
const MAX_FILES: usize = 20;

/// A file from a multipart form.
pub(crate) struct UploadedFile {
    pub(crate) field: String,
    pub(crate) filename: String,
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
}

/// A parsed POST body.
#[derive(Default)]
pub(crate) struct FormData {
    /// Fields in order, without `_csrf`.
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) files: Vec<UploadedFile>,
    /// The `_csrf` field, if present.
    pub(crate) csrf: Option<String>,
}

impl FormData {
    /// The first value of a field.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parses a url-encoded or multipart body. `limit` caps the whole body.
    pub(crate) async fn parse(req: Request<Body>, limit: usize) -> Result<FormData, AppError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let header_csrf = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut form = FormData::default();
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(req, &())
                .await
                .map_err(|e| AppError::BadRequest(format!("malformed multipart form: {e}")))?;
            while let Some(field) = multipart.next_field().await.map_err(too_large_or_bad)? {
                let name = field.name().unwrap_or("").to_string();
                if let Some(filename) = field.file_name().map(str::to_owned) {
                    let content_type = field
                        .content_type()
                        .unwrap_or("application/octet-stream")
                        .to_string();
                    let bytes = field.bytes().await.map_err(too_large_or_bad)?.to_vec();
                    if filename.is_empty() && bytes.is_empty() {
                        continue; // an empty file input
                    }
                    if form.files.len() == MAX_FILES {
                        return Err(AppError::BadRequest(format!(
                            "at most {MAX_FILES} files per form"
                        )));
                    }
                    form.files.push(UploadedFile {
                        field: name,
                        filename,
                        content_type,
                        bytes,
                    });
                } else {
                    let value = field.text().await.map_err(too_large_or_bad)?;
                    form.push(name, value)?;
                }
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded")
            || content_type.is_empty()
        {
            let bytes = axum::body::to_bytes(req.into_body(), limit)
                .await
                .map_err(|_| {
                    AppError::BadRequest(format!(
                        "the form is larger than the {} KiB allowed",
                        limit >> 10
                    ))
                })?;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
                .map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))?;
            for (k, v) in pairs {
                form.push(k, v)?;
            }
        } else {
            return Err(AppError::BadRequest(format!(
                "unsupported content type `{content_type}`; send application/x-www-form-urlencoded or multipart/form-data"
            )));
        }
        if form.csrf.is_none() {
            form.csrf = header_csrf;
        }
        Ok(form)
    }

    fn push(&mut self, name: String, value: String) -> Result<(), AppError> {
        if name == "_csrf" {
            self.csrf = Some(value);
            return Ok(());
        }
        if self.fields.len() == MAX_FIELDS {
            return Err(AppError::BadRequest(format!(
                "at most {MAX_FIELDS} form fields"
            )));
        }
        self.fields.push((name, value));
        Ok(())
    }
}

fn too_large_or_bad(e: axum::extract::multipart::MultipartError) -> AppError {
    let text = e.body_text();
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::BadRequest(format!(
            "the upload is larger than the {} MiB allowed per request",
            super::MAX_AREA_BODY >> 20
        ))
    } else {
        AppError::BadRequest(format!("malformed multipart form: {text}"))
    }
}
