//! The mailbox: a directory of `.eml` files, one per message, named so that
//! they sort oldest first (`{ms since epoch, 13 digits}-{random}.eml`).
//! Written with temp + fsync + rename, so a reader (the console, a test)
//! never sees half a message.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Bytes of a message file read when listing (headers and text of our own
/// letters are far smaller).
const MAX_READ: u64 = 64 << 10;

/// A directory of messages. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Mailbox {
    dir: PathBuf,
}

/// A message read back from the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLetter {
    /// The file.
    pub path: PathBuf,
    /// When it was written, ms since the Unix epoch (from its name).
    pub at_ms: u64,
    /// The `To` header.
    pub to: String,
    /// The `Subject` header.
    pub subject: String,
    /// The text (the body, as written: 8-bit UTF-8).
    pub text: String,
}

impl Mailbox {
    /// Opens (creating if needed) the mailbox at `dir`.
    pub fn open(dir: &Path) -> std::io::Result<Mailbox> {
        std::fs::create_dir_all(dir)?;
        Ok(Mailbox {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one formatted message; returns its path.
    pub fn store(&self, message: &[u8]) -> std::io::Result<PathBuf> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
        let name = format!("{now:013}-{}.eml", hex::encode(random));
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(message)?;
        file.sync_all()?;
        drop(file);
        let path = self.dir.join(name);
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&self.dir)?.sync_all()?;
        Ok(path)
    }

    /// The newest `limit` messages, newest first.
    pub fn list(&self, limit: usize) -> std::io::Result<Vec<StoredLetter>> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".eml") && !n.starts_with('.'))
            .collect();
        names.sort_unstable_by(|a, b| b.cmp(a));
        let mut out = Vec::new();
        for name in names.into_iter().take(limit) {
            let path = self.dir.join(&name);
            let mut raw = Vec::new();
            use std::io::Read as _;
            std::fs::File::open(&path)?
                .take(MAX_READ)
                .read_to_end(&mut raw)?;
            let (to, subject, text) = read_message(&raw);
            out.push(StoredLetter {
                at_ms: name
                    .split('-')
                    .next()
                    .and_then(|ms| ms.parse().ok())
                    .unwrap_or(0),
                to,
                subject,
                text,
                path,
            });
        }
        Ok(out)
    }
}

/// The `To`, `Subject` and decoded text of one of our messages (raw RFC
/// 5322 bytes, a quoted-printable or 7/8-bit text body); line ends become `\n`.
pub fn read_message(raw: &[u8]) -> (String, String, String) {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw.get(split + 4..).unwrap_or(&[]);
    let quoted =
        header(&head, "Content-Transfer-Encoding").eq_ignore_ascii_case("quoted-printable");
    let body = if quoted {
        decode_quoted_printable(body)
    } else {
        body.to_vec()
    };
    let text = String::from_utf8_lossy(&body).replace("\r\n", "\n");
    (header(&head, "To"), header(&head, "Subject"), text)
}

/// RFC 2045 §6.7: `=XX` is a byte, `=` at a line end joins two lines.
fn decode_quoted_printable(body: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'=' {
            if body[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if body[i + 1..].starts_with(b"\n") {
                i += 2;
                continue;
            }
            if let (Some(h), Some(l)) = (
                body.get(i + 1).copied().and_then(hex),
                body.get(i + 2).copied().and_then(hex),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(body[i]);
        i += 1;
    }
    out
}

/// A header's value (folded lines joined); our letters' headers are ASCII.
fn header(head: &str, name: &str) -> String {
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        match &mut value {
            // Unfolding removes the line break only (RFC 5322 §2.2.3).
            Some(v) if line.starts_with([' ', '\t']) => v.push_str(line),
            Some(_) => break,
            None => {
                if let Some((n, v)) = line.split_once(':')
                    && n.eq_ignore_ascii_case(name)
                {
                    value = Some(v.trim().to_string());
                }
            }
        }
    }
    value.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_and_folded_headers_unfolded() {
        let dir = tempfile::tempdir().unwrap();
        let mailbox = Mailbox::open(&dir.path().join("mailbox")).unwrap();
        mailbox
            .store(b"To: a@b.fr\r\nSubject: first\r\n\r\nhello\r\n")
            .unwrap();
        std::fs::rename(
            mailbox.list(1).unwrap()[0].path.clone(),
            mailbox.dir().join("0000000000001-aaaaaaaaaaaa.eml"),
        )
        .unwrap();
        mailbox
            .store(b"Subject: a long\r\n subject\r\nTo: c@d.fr\r\n\r\nline 1\r\nline 2\r\n")
            .unwrap();
        let list = mailbox.list(10).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[0].to.as_str(), list[0].subject.as_str()),
            ("c@d.fr", "a long subject")
        );
        assert_eq!(list[0].text, "line 1\nline 2\n");
        assert_eq!((list[1].subject.as_str(), list[1].at_ms), ("first", 1));
        assert_eq!(mailbox.list(1).unwrap().len(), 1);
        let (_, _, text) = read_message(
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\nBonjour In=C3=A8s, http://x/a?t=3D12=\r\n34 =3D=\r\n\r\nend",
        );
        assert_eq!(text, "Bonjour Inès, http://x/a?t=1234 =\nend");
        assert!(
            std::fs::read_dir(mailbox.dir()).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")),
            "no temporary file is left behind"
        );
    }
}
