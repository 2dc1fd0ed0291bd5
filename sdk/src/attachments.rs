//! Attachments kept by an area: the portal's upload rules (AIFE's
//! "pièces jointes" rules, as Issued invoices applies them) with messages in
//! the reader's language, chunked storage under kv's 1 MiB value limit, and
//! the transfer of a stored file to another structure's area (kv is per
//! structure: the receiver needs the bytes themselves, not the sender's key).
//!
//! Transfer: the sender calls [`send`] for each file before the message that
//! names it (messages to one destination keep their order); the receiver
//! passes each [`PART_KIND`] message to [`receive`], and reads the file
//! through [`received`]`(from, &file)` with [`load_complete`] (or answers
//! [`download`]). One call sends at most [`MAX_PARTS_PER_CALL`] parts:
//! [`check_sendable`] says beforehand whether a set of files fits.
//!
//! ```
//! use portico_sdk::{Upload, attachments};
//! let up = Upload { field: "rib".into(), filename: "run.exe".into(),
//!     content_type: "application/octet-stream".into(), bytes: vec![1; 10] };
//! let refusal = attachments::check(&up).unwrap_err();
//! assert!(portico_sdk::i18n::english(&refusal, None).contains("not accepted"));
//! ```

use crate::{Error, Message, Response, Upload, i18n::message, kv, messages};
use base64::Engine;
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

/// Kind of the messages that carry a file's bytes to another structure.
pub const PART_KIND: &str = "file-part";
/// Bytes of a file per part: base64 makes them 4/3 larger, which stays
/// under the host's 256 KiB message payload with room for the envelope.
pub const PART_BYTES: usize = 190 * 1024;
/// Most parts one call sends: the host takes 100 messages per call, and
/// the piece itself and its copies need a few.
pub const MAX_PARTS_PER_CALL: usize = 90;
/// Where a receiver keeps the parts: `received-file/{sender}/{sender's key}`.
const RECEIVED: &str = "received-file";

/// One part of a file on its way.
#[derive(Debug, Serialize, Deserialize)]
struct Part {
    /// The sender's key of the file.
    key: String,
    /// Its place, from 0.
    n: usize,
    /// Its bytes, base64.
    data: String,
}

/// How many parts a file of `size` bytes travels in.
pub fn parts(size: usize) -> usize {
    size.div_ceil(PART_BYTES).max(1)
}

/// Whether files of these sizes (bytes) can leave in one call; else the
/// refusal (a translatable message with their total and the most one
/// sending carries).
pub fn check_sendable(sizes: impl IntoIterator<Item = usize>) -> Result<(), String> {
    check_sendable_to(sizes, 1)
}

/// [`check_sendable`] for files sent to `destinations` structures in the
/// same call (each receives every part): the most is shared among them.
pub fn check_sendable_to(
    sizes: impl IntoIterator<Item = usize>,
    destinations: usize,
) -> Result<(), String> {
    let destinations = destinations.max(1);
    let (count, bytes) = sizes
        .into_iter()
        .fold((0, 0), |(c, b), size| (c + parts(size), b + size));
    let most = MAX_PARTS_PER_CALL / destinations;
    if count <= most {
        return Ok(());
    }
    let mb = |b: usize| format!("{:.1}", b as f64 / 1_000_000.0);
    Err(message(
        "attachment.too-much-to-send",
        &[("total", &mb(bytes)), ("max", &mb(most * PART_BYTES))],
    ))
}

/// Sends the bytes of the stored `file` to area `to_area` of structure
/// `to_structure` as [`PART_KIND`] messages; returns how many. Send them
/// before the message that names the file.
pub fn send(to_structure: &str, to_area: &str, file: &FileRef) -> Result<usize, Error> {
    let bytes = load(file)?;
    let mut n = 0;
    for chunk in bytes.chunks(PART_BYTES) {
        let part = Part {
            key: file.key.clone(),
            n,
            data: base64::engine::general_purpose::STANDARD.encode(chunk),
        };
        messages::send_json(to_structure, to_area, PART_KIND, &part)?;
        n += 1;
    }
    Ok(n)
}

/// On the receiving side: stores `msg` if it is a [`PART_KIND`] message
/// (`Ok(true)`), under its sender's name, so that no structure can write
/// into the files another sent. A malformed part is refused with the reason.
pub fn receive(msg: &Message) -> Result<bool, Error> {
    if msg.kind != PART_KIND {
        return Ok(false);
    }
    let part: Part = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("{PART_KIND}: the payload is not a part: {e}")))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&part.data)
        .map_err(|e| Error::failed(format!("{PART_KIND}: the data is not base64: {e}")))?;
    if bytes.len() > PART_BYTES || part.n >= MAX_FILE_BYTES.div_ceil(PART_BYTES) {
        return Err(Error::failed(format!(
            "{PART_KIND}: part {} of {} bytes is outside a file's limits",
            part.n,
            bytes.len()
        )));
    }
    let at = received_key(&msg.from_structure, &part.key);
    kv::set(&format!("{at}/{:04}", part.n), &bytes)?;
    Ok(true)
}

fn received_key(from: &str, key: &str) -> String {
    format!("{RECEIVED}/{from}/{key}")
}

/// The receiver's reference to `file`, which structure `from` announced
/// (its name, type and size) and sent with [`send`].
pub fn received(from: &str, file: &FileRef) -> FileRef {
    FileRef {
        key: received_key(from, &file.key),
        ..file.clone()
    }
}

/// The stored file, or `None` while some of its bytes have not arrived.
pub fn load_complete(file: &FileRef) -> Result<Option<Vec<u8>>, Error> {
    let bytes = load(file)?;
    Ok((bytes.len() == file.size).then_some(bytes))
}

/// The file as a download; "not found" while it is still arriving.
pub fn download(file: &FileRef) -> Result<Response, Error> {
    Ok(match load_complete(file)? {
        Some(bytes) => Response::download(&file.name, &file.content_type, bytes),
        None => Response::not_found(),
    })
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

    /// Sends a saved file on `POST /send`; answers the received copy of
    /// what `GET /got` names (the sender's file reference in kv `sent`).
    struct Courier;
    impl crate::Area for Courier {
        fn templates() -> &'static [(&'static str, &'static str)] {
            &[]
        }
        fn handle(_: &crate::Context, req: &crate::Request) -> Result<Response, Error> {
            if req.is_post() {
                let file = save("file/1/rib/5", req.file("rib").expect("a file"))?;
                check_sendable([file.size]).map_err(Error::failed)?;
                send("COURT", "courier", &file)?;
                kv::set_json("sent", &file)?;
                return Ok(Response::redirect("/"));
            }
            let file: FileRef = kv::get_json("sent")?.ok_or(Error::NotFound)?;
            download(&received("FARM", &file))
        }
        fn on_message(_: &crate::Context, msg: &Message) -> Result<(), Error> {
            receive(msg).map(|_| ())
        }
    }

    #[test]
    fn a_file_crosses_to_another_structure_part_by_part() {
        use crate::testing::TestHost;
        let host = TestHost::new().grant(&["kv", "messages"]);
        // Three parts: not a multiple of the part size either.
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.extend((0..2 * PART_BYTES + 1000).map(|i| (i % 251) as u8));
        bytes.extend_from_slice(b"\n%%EOF");
        let mut req = crate::Request::post("/send", [("go", "1")]);
        req.files.push(Upload {
            field: "rib".into(),
            filename: "rib.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: bytes.clone(),
        });
        host.handle::<Courier>(&req);
        let sent = host.sent_messages();
        assert_eq!(sent.len(), 3);
        assert!(
            sent.iter()
                .all(|m| m.kind == PART_KIND && m.to_structure == "COURT")
        );
        let deliver = |m: &crate::testing::SentMessage, from: &str| {
            host.deliver::<Courier>(&Message {
                id: m.id.clone(),
                from_structure: from.into(),
                from_area: "courier".into(),
                kind: m.kind.clone(),
                payload: m.payload.clone(),
            })
        };
        // Another structure's parts land under its own name, not the farm's.
        deliver(&sent[0], "INTRUDER").unwrap();
        // Two parts of three: still on its way.
        deliver(&sent[0], "FARM").unwrap();
        deliver(&sent[2], "FARM").unwrap();
        let get = || host.handle::<Courier>(&crate::Request::get("/got"));
        assert!(matches!(get(), Response::NotFound));
        deliver(&sent[1], "FARM").unwrap();
        // Delivered twice (at least once): the same bytes.
        deliver(&sent[1], "FARM").unwrap();
        match get() {
            Response::Download(d) => {
                assert_eq!(d.filename, "rib.pdf");
                assert_eq!(d.bytes, bytes);
            }
            other => panic!("not a download: {other:?}"),
        }
        // A part that is not one is refused, with the reason.
        let forged = Message {
            id: "x".into(),
            from_structure: "FARM".into(),
            from_area: "courier".into(),
            kind: PART_KIND.into(),
            payload: r#"{"key":"k","n":0,"data":"***"}"#.into(),
        };
        assert!(
            host.deliver::<Courier>(&forged)
                .unwrap_err()
                .contains("base64")
        );
    }

    #[test]
    fn what_one_sending_carries_is_bounded_with_a_clear_message() {
        assert!(check_sendable([1000, 1000]).is_ok());
        let refusal = check_sendable([9_000_000, 9_000_000]).unwrap_err();
        let text = english(&refusal, None);
        assert!(text.contains("18.0"), "{text}");
        assert!(text.contains("17.5"), "{text}");
        // To three structures at once, a third each.
        assert!(check_sendable_to([5_000_000], 1).is_ok());
        let text = english(&check_sendable_to([6_000_000], 3).unwrap_err(), None);
        assert!(text.contains("6.0") && text.contains("5.8"), "{text}");
    }
}
