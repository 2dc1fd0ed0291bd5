//! Attachments kept by an area: the portal's upload rules (AIFE's
//! "pièces jointes" rules, as Issued invoices applies them) with messages in
//! the reader's language, and chunked storage under kv's 1 MiB value limit.
//!
//! ```
//! use portico_sdk::{Upload, attachments};
//! let up = Upload { field: "rib".into(), filename: "run.exe".into(),
//!     content_type: "application/octet-stream".into(), bytes: vec![1; 10] };
//! let refusal = attachments::check(&up).unwrap_err();
//! assert!(portico_sdk::i18n::english(&refusal, None).contains("not accepted"));
//! ```

use crate::{Error, Upload, i18n::message, kv};
use serde::{Deserialize, Serialize};

/// Longest attachment name, extension included (AIFE rules).
pub const MAX_NAME_CHARS: usize = 50;
/// An attachment must be smaller than this (AIFE: "< 10 MB").
pub const MAX_FILE_BYTES: usize = 10 * 1000 * 1000;
/// Bytes per stored chunk: under kv's 1 MiB value limit.
const CHUNK: usize = 512 * 1024;
/// Allowed extensions (AIFE "pièces jointes : quelques règles").
pub const EXTENSIONS: [&str; 37] = [
    "bmp", "gif", "fax", "odt", "ppt", "tiff", "xls", "bz2", "gz", "jpeg", "p7s", "rtf", "txt",
    "xml", "csv", "gzip", "jpg", "pdf", "svg", "xhtml", "xlsx", "doc", "htm", "odp", "png", "tgz",
    "xlc", "zip", "docx", "html", "ods", "pps", "tif", "xlm", "pptx", "tar.gz", "ppsx",
];

/// A stored attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// The name the browser gave (checked by [`check`]).
    pub name: String,
    /// Media type given by the browser.
    pub content_type: String,
    /// Size in bytes.
    pub size: usize,
    /// kv key prefix of its chunks.
    pub key: String,
}

/// Checks a file against the attachment rules. The refusal is a
/// translatable message ([`crate::i18n::message`]) naming the file and
/// what would be right, ready for a field error.
pub fn check(upload: &Upload) -> Result<(), String> {
    let name = upload.filename.trim();
    let chars = name.chars().count();
    if name.is_empty() {
        return Err(message("attachment.no-name", &[]));
    }
    if chars > MAX_NAME_CHARS {
        return Err(message(
            "attachment.name-too-long",
            &[
                ("name", name),
                ("max", &MAX_NAME_CHARS.to_string()),
                ("count", &chars.to_string()),
            ],
        ));
    }
    let lower = name.to_lowercase();
    let Some(ext) = EXTENSIONS
        .iter()
        .find(|e| lower.ends_with(&format!(".{e}")))
    else {
        return Err(message("attachment.extension", &[("name", name)]));
    };
    if lower.len() == ext.len() + 1 {
        return Err(message("attachment.bare-extension", &[("name", name)]));
    }
    if upload.bytes.is_empty() {
        return Err(message("attachment.empty", &[("name", name)]));
    }
    if upload.bytes.len() >= MAX_FILE_BYTES {
        return Err(message(
            "attachment.too-large",
            &[("name", name), ("size", &upload.bytes.len().to_string())],
        ));
    }
    if *ext == "pdf" && !is_pdf(&upload.bytes) {
        return Err(message("attachment.not-pdf", &[("name", name)]));
    }
    Ok(())
}

/// Whether `bytes` look like a whole PDF: the `%PDF-` header at the start
/// (ISO 32000-1 §7.5.2) and the `%%EOF` marker near the end (§7.5.5).
pub fn is_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    bytes.starts_with(b"%PDF-") && tail.windows(5).any(|w| w == b"%%EOF")
}

/// Stores `upload` under `key` in chunks (call [`check`] first).
pub fn save(key: &str, upload: &Upload) -> Result<FileRef, Error> {
    for (i, chunk) in upload.bytes.chunks(CHUNK).enumerate() {
        kv::set(&format!("{key}/{i:04}"), chunk)?;
    }
    Ok(FileRef {
        name: upload.filename.trim().to_string(),
        content_type: if upload.content_type.is_empty() {
            "application/octet-stream".into()
        } else {
            upload.content_type.clone()
        },
        size: upload.bytes.len(),
        key: key.to_string(),
    })
}

/// Reads a stored file back.
pub fn load(file: &FileRef) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(file.size);
    let mut after: Option<String> = None;
    loop {
        let page = kv::list(&format!("{}/", file.key), after.as_deref(), 64)?;
        let n = page.len();
        for (k, v) in page {
            out.extend_from_slice(&v);
            after = Some(k);
        }
        if n < 64 {
            return Ok(out);
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::i18n::english;

    fn up(name: &str, bytes: &[u8]) -> Upload {
        Upload {
            field: "f".into(),
            filename: name.into(),
            content_type: "application/pdf".into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn the_rules_read_in_english() {
        let pdf = b"%PDF-1.7\n \n%%EOF";
        assert!(check(&up("requisition.pdf", pdf)).is_ok());
        let say = |u: Upload| english(&check(&u).unwrap_err(), None);
        assert!(say(up("fake.pdf", b"<html>")).contains("is not a PDF"));
        assert!(say(up(&format!("{}.pdf", "a".repeat(47)), pdf)).contains("51"));
        assert!(say(up("empty.pdf", b"")).contains("empty"));
        assert!(say(up("run.exe", b"x")).contains("not accepted"));
    }
}
