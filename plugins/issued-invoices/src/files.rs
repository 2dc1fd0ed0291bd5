//! Files kept with an invoice (the deposited document, attachments): the
//! SDK's attachment rules (AIFE's, with messages in the reader's language)
//! and its chunked storage under kv's 1 MiB value cap.

pub use portico_sdk::attachments::{check, load, save};

#[cfg(test)]
mod tests {
    use super::*;
    use portico_sdk::Upload;
    use portico_sdk::attachments::{MAX_FILE_BYTES, is_pdf};
    use portico_sdk::i18n::english;

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

    fn refusal(u: &Upload) -> String {
        english(&check(u).unwrap_err(), None)
    }

    #[test]
    fn a_pdf_must_be_a_pdf() {
        let html = Upload {
            bytes: b"<html><body><a href=https://elsewhere.example>Pay here</a>".to_vec(),
            ..up("invoice.pdf", 100)
        };
        assert!(refusal(&html).contains("is not a PDF"));
        assert!(!is_pdf(&html.bytes));
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
        assert!(refusal(&up(&long, 100)).contains("51"));
        assert!(check(&up(&format!("{}.pdf", "a".repeat(46)), 100)).is_ok());
        assert!(refusal(&up("run.exe", 10)).contains("not accepted"));
        assert!(check(&up("noextension", 10)).is_err());
        assert!(refusal(&up("empty.pdf", 0)).contains("empty"));
        assert!(refusal(&up("big.pdf", MAX_FILE_BYTES)).contains("10 MB"));
    }
}
