//! Files kept with an invoice (the deposited document, attachments): the
//! brief's attachment rules, and chunked storage under kv's 1 MiB value cap.

use crate::model::FileRef;
use portico_sdk::{Error, Upload, kv};

/// Longest attachment name, extension included (AIFE rules).
pub const MAX_NAME_CHARS: usize = 50;
/// An attachment must be smaller than this (AIFE: "< 10 MB").
pub const MAX_FILE_BYTES: usize = 10 * 1000 * 1000;
/// Bytes per stored chunk: under kv's 1 MiB value limit.
const CHUNK: usize = 512 * 1024;
/// Allowed extensions (AIFE "pièces jointes: quelques règles").
pub const EXTENSIONS: [&str; 37] = [
    "bmp", "gif", "fax", "odt", "ppt", "tiff", "xls", "bz2", "gz", "jpeg", "p7s", "rtf", "txt",
    "xml", "csv", "gzip", "jpg", "pdf", "svg", "xhtml", "xlsx", "doc", "htm", "odp", "png", "tgz",
    "xlc", "zip", "docx", "html", "ods", "pps", "tif", "xlm", "pptx", "tar.gz", "ppsx",
];

/// Checks a file against the attachment rules; the message names the file
/// and says what would be right.
pub fn check(upload: &Upload) -> Result<(), String> {
    let name = upload.filename.trim();
    let chars = name.chars().count();
    if name.is_empty() {
        return Err("the file has no name".into());
    }
    if chars > MAX_NAME_CHARS {
        return Err(format!(
            "“{name}”: a file name has at most {MAX_NAME_CHARS} characters including its extension; this one has {chars}"
        ));
    }
    let lower = name.to_lowercase();
    let Some(ext) = EXTENSIONS
        .iter()
        .find(|e| lower.ends_with(&format!(".{e}")))
    else {
        return Err(format!(
            "“{name}”: the extension is not accepted; use one of .pdf, .xml, .jpg, .png, .docx, .xlsx, .odt, .zip, .txt, .csv…"
        ));
    };
    if lower.len() == ext.len() + 1 {
        return Err(format!("“{name}”: the name needs something before .{ext}"));
    }
    if upload.bytes.is_empty() {
        return Err(format!("“{name}” is empty"));
    }
    if upload.bytes.len() >= MAX_FILE_BYTES {
        return Err(format!(
            "“{name}” is {} bytes; a file must be smaller than 10 MB",
            upload.bytes.len()
        ));
    }
    if *ext == "pdf" && !is_pdf(&upload.bytes) {
        return Err(format!(
            "“{name}” is not a PDF (a PDF file starts with %PDF- and ends with %%EOF); export the document as PDF again"
        ));
    }
    Ok(())
}

/// Whether `bytes` look like a whole PDF: the `%PDF-` header at the start
/// (ISO 32000-1 §7.5.2) and the `%%EOF` marker near the end (§7.5.5), so
/// text or HTML renamed `.pdf` is not forwarded to a buyer as an invoice.
pub fn is_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    bytes.starts_with(b"%PDF-") && tail.windows(5).any(|w| w == b"%%EOF")
}

/// Stores `upload` under `key` in chunks.
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
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `size` bytes; a `.pdf` one (size ≥ 15) is shaped like a PDF.
    fn up(name: &str, size: usize) -> Upload {
        let bytes = if name.ends_with(".pdf") && size >= 15 {
            [b"%PDF-1.7\n".as_slice(), &vec![b' '; size - 15], b"\n%%EOF"].concat()
        } else {
            vec![1; size]
        };
        Upload {
            field: "attachment".into(),
            filename: name.into(),
            content_type: "application/pdf".into(),
            bytes,
        }
    }

    #[test]
    fn a_pdf_must_be_a_pdf() {
        let html = Upload {
            bytes: b"<html><body><a href=https://elsewhere.example>Pay here</a>".to_vec(),
            ..up("invoice.pdf", 100)
        };
        assert!(check(&html).unwrap_err().contains("is not a PDF"));
        let truncated = Upload {
            bytes: b"%PDF-1.7\n1 0 obj << >> endobj\n".to_vec(),
            ..up("invoice.pdf", 100)
        };
        assert!(check(&truncated).is_err(), "no %%EOF: cut short");
        assert!(check(&up("invoice.pdf", 100)).is_ok());
        // Other extensions are not held to the PDF shape.
        assert!(check(&up("notes.txt", 10)).is_ok());
    }

    #[test]
    fn the_attachment_rules_of_the_brief() {
        assert!(check(&up("delivery-note.pdf", 100)).is_ok());
        assert!(check(&up("archive.tar.gz", 10)).is_ok());
        let long = format!("{}.pdf", "a".repeat(47));
        assert!(check(&up(&long, 100)).unwrap_err().contains("51"));
        assert!(check(&up(&format!("{}.pdf", "a".repeat(46)), 100)).is_ok());
        assert!(
            check(&up("run.exe", 10))
                .unwrap_err()
                .contains("not accepted")
        );
        assert!(check(&up("noextension", 10)).is_err());
        assert!(check(&up("empty.pdf", 0)).unwrap_err().contains("empty"));
        assert!(
            check(&up("big.pdf", MAX_FILE_BYTES))
                .unwrap_err()
                .contains("10 MB")
        );
    }
}
