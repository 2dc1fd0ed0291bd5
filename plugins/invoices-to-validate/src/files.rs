//! Attachments: checked at entry, kept in chunks (kv values are at most
//! 1 MiB, message payloads 256 KiB), sent to the validator chunk by chunk
//! ahead of the request itself (messages to one destination keep their
//! order), and downloaded whole on either side.

use crate::model::FileMeta;
use base64::Engine;
use portico_sdk::{Error, Response, Upload, i18n, kv};

/// Bytes per chunk: base64 makes it 4/3 larger, under the 256 KiB payload.
pub(crate) const CHUNK: usize = 150 * 1024;
/// Most attachments on one request.
pub(crate) const MAX_FILES: usize = 5;
/// Largest attachment (the whole request must travel in one call's 100
/// messages: 5 × 2 MB is 70 chunks).
pub(crate) const MAX_FILE_BYTES: usize = 2 * 1000 * 1000;
/// Longest file name, extension included (AIFE rules).
pub(crate) const MAX_NAME_CHARS: usize = 50;
/// Accepted extensions (the common ones of AIFE's list).
pub(crate) const EXTENSIONS: [&str; 12] = [
    "pdf", "jpg", "jpeg", "png", "xml", "zip", "docx", "xlsx", "odt", "ods", "txt", "csv",
];

/// Checks an upload; the error is a translatable message naming the file.
pub(crate) fn check(upload: &Upload) -> Result<(), String> {
    let name = upload.filename.trim();
    let chars = name.chars().count();
    let lower = name.to_lowercase();
    let ext_ok = EXTENSIONS
        .iter()
        .any(|e| lower.ends_with(&format!(".{e}")) && lower.len() > e.len() + 1);
    if name.is_empty() || chars > MAX_NAME_CHARS {
        return Err(i18n::message(
            "error.file-name",
            &[("name", name), ("max", &MAX_NAME_CHARS.to_string())],
        ));
    }
    if !ext_ok {
        return Err(i18n::message("error.file-type", &[("name", name)]));
    }
    if upload.bytes.is_empty() {
        return Err(i18n::message("error.file-empty", &[("name", name)]));
    }
    if upload.bytes.len() > MAX_FILE_BYTES {
        return Err(i18n::message("error.file-size", &[("name", name)]));
    }
    Ok(())
}

/// Stores `bytes` in chunks under `prefix/{n}`; returns the chunk count.
pub(crate) fn store(prefix: &str, bytes: &[u8]) -> Result<usize, Error> {
    let mut n = 0;
    for chunk in bytes.chunks(CHUNK) {
        kv::set(&format!("{prefix}/{n}"), chunk)?;
        n += 1;
    }
    Ok(n)
}

/// The chunks of a stored file, base64 each (for `file-chunk` messages).
pub(crate) fn encoded_chunks(prefix: &str, meta: &FileMeta) -> Result<Vec<String>, Error> {
    (0..meta.chunks)
        .map(|n| {
            let bytes = kv::get(&format!("{prefix}/{n}"))?.unwrap_or_default();
            Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
        })
        .collect()
}

/// Stores one received base64 chunk.
pub(crate) fn store_encoded(key: &str, data: &str) -> Result<(), Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| Error::failed(format!("file-chunk: bad base64: {e}")))?;
    kv::set(key, &bytes)?;
    Ok(())
}

/// The whole file as a download.
pub(crate) fn download(prefix: &str, meta: &FileMeta) -> Result<Response, Error> {
    let mut bytes = Vec::with_capacity(meta.size);
    for n in 0..meta.chunks {
        match kv::get(&format!("{prefix}/{n}"))? {
            Some(part) => bytes.extend(part),
            None => return Ok(Response::not_found()), // still on its way
        }
    }
    Ok(Response::download(
        meta.name.clone(),
        meta.content_type.clone(),
        bytes,
    ))
}
