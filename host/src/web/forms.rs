//! Request bodies: url-encoded and multipart forms, with the host's CSRF
//! field taken out before anything reaches a plugin.

use super::AppError;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderValue, header};

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
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large(limit));
        }
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
                    let filename = safe_filename(&filename);
                    let content_type = media_type(&content_type)
                        .unwrap_or_else(|| "application/octet-stream".into());
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
                .map_err(|e| {
                    if is_length_limit(e) {
                        too_large(limit)
                    } else {
                        AppError::BadRequest("the form arrived incomplete; send it again".into())
                    }
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

/// 413, naming the limit in the unit a person reads best.
fn too_large(limit: usize) -> AppError {
    let allowed = if limit >= 1 << 20 {
        format!("{} MiB", limit >> 20)
    } else {
        format!("{} KiB", limit >> 10)
    };
    AppError::TooLarge(crate::i18n::reference(
        "error.too-large",
        &[("allowed", &allowed)],
    ))
}

/// Whether a body read failed on its length limit (rather than, say, a
/// client that went away).
fn is_length_limit(e: axum::Error) -> bool {
    e.into_inner()
        .downcast_ref::<http_body_util::LengthLimitError>()
        .is_some()
}

fn too_large_or_bad(e: axum::extract::multipart::MultipartError) -> AppError {
    let text = e.body_text();
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        too_large(super::MAX_AREA_BODY)
    } else {
        AppError::BadRequest(format!("malformed multipart form: {text}"))
    }
}

/// A file name as a person gave it, made harmless: the last path component
/// only (`../../x.xml` → `x.xml`), no control characters, at most
/// [`MAX_FILENAME_CHARS`] characters, never empty, `.` or `..`.
pub(crate) fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}'))
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_FILENAME_CHARS)
        .collect();
    match clean.as_str() {
        "" | "." | ".." => "file".into(),
        _ => clean,
    }
}

/// Longest file name kept (AIFE's attachments allow 50).
pub(crate) const MAX_FILENAME_CHARS: usize = 200;

/// `type/subtype` (lowercase, parameters dropped) if `value` is a well-formed
/// media type; `None` for anything else (an uploader can send any text).
pub(crate) fn media_type(value: &str) -> Option<String> {
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    let (ty, sub) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    (token(ty) && token(sub)).then_some(essence)
}

/// The Content-Type of a download: a well-formed media type, never one a
/// browser would run as a page of the portal (HTML, XHTML, SVG, XML with
/// stylesheets) — those, and anything malformed, become a plain download.
pub(crate) fn download_content_type(value: &str) -> HeaderValue {
    const ACTIVE: &[&str] = &[
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
    ];
    match media_type(value) {
        Some(t) if ACTIVE.contains(&t.as_str()) && t.contains("xml") && t != "image/svg+xml" => {
            // XML invoices are common: served as text, never rendered.
            HeaderValue::from_static("text/plain; charset=utf-8")
        }
        Some(t) if ACTIVE.contains(&t.as_str()) => {
            HeaderValue::from_static("application/octet-stream")
        }
        Some(t) => {
            // Keep a well-formed charset (a UTF-8 text file needs it).
            let charset = value.split(';').skip(1).find_map(|p| {
                let (k, v) = p.split_once('=')?;
                let v = v.trim().trim_matches('"');
                (k.trim().eq_ignore_ascii_case("charset")
                    && !v.is_empty()
                    && v.len() <= 40
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)))
                .then(|| v.to_ascii_lowercase())
            });
            let t = match charset {
                Some(cs) => format!("{t}; charset={cs}"),
                None => t,
            };
            HeaderValue::from_str(&t)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"))
        }
        None => HeaderValue::from_static("application/octet-stream"),
    }
}

/// `Content-Disposition: attachment` for `name`: an ASCII `filename` (others
/// replaced by `_`, quotes and backslashes removed) and the exact UTF-8 name
/// in `filename*` (RFC 6266 / 8187).
pub(crate) fn attachment(name: &str) -> HeaderValue {
    let name = safe_filename(name);
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| !matches!(c, '"' | '\\' | ';'))
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_lose_their_paths_and_controls() {
        assert_eq!(safe_filename("../../x.xml"), "x.xml");
        assert_eq!(safe_filename("C:\\Users\\me\\facture.pdf"), "facture.pdf");
        assert_eq!(
            safe_filename("a\r\nSet-Cookie: x.pdf"),
            "aSet-Cookie: x.pdf"
        );
        assert_eq!(safe_filename(".."), "file");
        assert_eq!(safe_filename("dir/"), "file");
        assert_eq!(
            safe_filename("Facture n°12 été.pdf"),
            "Facture n°12 été.pdf"
        );
    }

    #[test]
    fn download_headers_are_tame() {
        assert_eq!(download_content_type("application/pdf"), "application/pdf");
        assert_eq!(
            download_content_type("Application/PDF; x=y"),
            "application/pdf"
        );
        assert_eq!(
            download_content_type("text/html"),
            "application/octet-stream"
        );
        assert_eq!(
            download_content_type("image/svg+xml"),
            "application/octet-stream"
        );
        assert_eq!(
            download_content_type("application/xml"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            download_content_type("text/plain\r\nX: y"),
            "application/octet-stream"
        );
        assert_eq!(
            download_content_type("nonsense"),
            "application/octet-stream"
        );
        assert_eq!(
            attachment("../../x.xml"),
            "attachment; filename=\"x.xml\"; filename*=UTF-8''x.xml"
        );
        assert_eq!(
            attachment("été \"q\".pdf"),
            "attachment; filename=\"_t_ q.pdf\"; filename*=UTF-8''%C3%A9t%C3%A9%20%22q%22.pdf"
        );
    }
}
