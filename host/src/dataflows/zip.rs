//! Opening a deposited ZIP as untrusted input: every member is an invoice
//! file (`.xml` or `.pdf`) at the top of the archive; no nested archive, no
//! path (`../`, absolute, drive letters), no link, no encryption; at most
//! [`MAX_INVOICES`] members of at most [`MAX_MEMBER_BYTES`] each and
//! [`MAX_TOTAL_BYTES`] together, counted while inflating (the sizes a ZIP
//! declares are not believed), and no member inflating more than
//! [`MAX_RATIO`] times (a zip bomb). Each refusal names the member.

use std::io::{Cursor, Read};

use super::{FIX_FORMATS_EN, FIX_FORMATS_FR, file_error};
use crate::store::dataflows::{FlowError, FlowFile};

/// Most invoices in one flow (Chorus Pro's EDI limit, brief §4.5).
pub const MAX_INVOICES: usize = 500;
/// Largest member once inflated.
pub const MAX_MEMBER_BYTES: u64 = 10 * 1024 * 1024;
/// Largest total once inflated.
pub const MAX_TOTAL_BYTES: u64 = 120 * 1024 * 1024;
/// Largest inflation of one member (XML compresses ~10–20×; bombs 1000×).
pub(super) const MAX_RATIO: u64 = 200;

fn refuse(zip: &str, member: &str, fr: String, en: String) -> FlowError {
    let mut e = file_error(
        "FLOW-ZIP",
        format!("ZIP « {zip} », « {member} » : {fr}"),
        format!("ZIP “{zip}”, “{member}”: {en}"),
        FIX_FORMATS_FR,
        FIX_FORMATS_EN,
    );
    e.field = format!("file/{member}");
    e
}

/// The invoice files of a ZIP, in archive order.
pub(super) fn unzip(name: &str, bytes: &[u8]) -> Result<Vec<FlowFile>, Vec<FlowError>> {
    let whole = |fr: String, en: String| {
        vec![file_error(
            "FLOW-ZIP",
            format!("ZIP « {name} » : {fr}"),
            format!("ZIP “{name}”: {en}"),
            FIX_FORMATS_FR,
            FIX_FORMATS_EN,
        )]
    };
    let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        whole(
            format!("l'archive ne peut pas être lue ({e})."),
            format!("the archive cannot be read ({e})."),
        )
    })?;
    if archive.len() > MAX_INVOICES + 16 {
        return Err(whole(
            format!(
                "{} éléments ; un flux compte au plus {MAX_INVOICES} factures.",
                archive.len()
            ),
            format!(
                "{} entries; a flow holds at most {MAX_INVOICES} invoices.",
                archive.len()
            ),
        ));
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut member = match archive.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                errors.push(refuse(
                    name,
                    &format!("#{}", i + 1),
                    format!("illisible ({e}) ; seuls les fichiers non chiffrés, stockés ou compressés en deflate, sont acceptés."),
                    format!("unreadable ({e}); only unencrypted members, stored or deflated, are accepted."),
                ));
                continue;
            }
        };
        let raw = member
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("#{}", i + 1));
        let shown: String = raw.chars().filter(|c| !c.is_control()).take(200).collect();
        if member.is_dir() {
            continue;
        }
        if member.is_symlink() {
            errors.push(refuse(
                name,
                &shown,
                "un lien symbolique n'est pas une facture.".into(),
                "a symbolic link is not an invoice.".into(),
            ));
            continue;
        }
        let tricky = raw.starts_with('/')
            || raw.starts_with('\\')
            || raw.contains('\\')
            || raw.split('/').any(|p| p == ".." || p == ".")
            || raw.as_bytes().get(1) == Some(&b':')
            || member.enclosed_name().is_none();
        if tricky {
            errors.push(refuse(
                name,
                &shown,
                "ce chemin sort de l'archive ou est absolu ; il est refusé.".into(),
                "this path leaves the archive or is absolute; it is refused.".into(),
            ));
            continue;
        }
        if raw.contains('/') {
            errors.push(refuse(
                name,
                &shown,
                "les factures doivent être à la racine de l'archive, sans dossier.".into(),
                "invoices must be at the top of the archive, not in a folder.".into(),
            ));
            continue;
        }
        let lower = raw.to_lowercase();
        if [".zip", ".jar", ".7z", ".gz", ".tgz", ".rar"]
            .iter()
            .any(|x| lower.ends_with(x))
        {
            errors.push(refuse(
                name,
                &shown,
                "une archive dans l'archive est refusée.".into(),
                "an archive inside the archive is refused.".into(),
            ));
            continue;
        }
        if !(lower.ends_with(".xml") || lower.ends_with(".pdf")) {
            errors.push(refuse(
                name,
                &shown,
                "seuls les fichiers .xml (UBL, CII) et .pdf (Factur-X) sont acceptés.".into(),
                "only .xml (UBL, CII) and .pdf (Factur-X) files are accepted.".into(),
            ));
            continue;
        }
        let compressed = member.compressed_size().max(1);
        // Never believe the declared size: read one byte past the limit.
        let cap = MAX_MEMBER_BYTES.min(compressed.saturating_mul(MAX_RATIO).max(64 * 1024));
        let mut data = Vec::new();
        if let Err(e) = (&mut member).take(cap + 1).read_to_end(&mut data) {
            errors.push(refuse(
                name,
                &shown,
                format!("illisible ({e})."),
                format!("unreadable ({e})."),
            ));
            continue;
        }
        if data.len() as u64 > cap {
            let (fr, en) = if cap == MAX_MEMBER_BYTES {
                (
                    "dépasse 10 Mo une fois décompressé.".to_string(),
                    "is over 10 MB once inflated.".to_string(),
                )
            } else {
                (
                    format!(
                        "se décompresse plus de {MAX_RATIO} fois : c'est le signe d'une « bombe » ZIP, il est refusé."
                    ),
                    format!(
                        "inflates more than {MAX_RATIO} times: the mark of a zip bomb; it is refused."
                    ),
                )
            };
            errors.push(refuse(name, &shown, fr, en));
            continue;
        }
        if data.starts_with(b"PK\x03\x04") {
            errors.push(refuse(
                name,
                &shown,
                "une archive dans l'archive est refusée.".into(),
                "an archive inside the archive is refused.".into(),
            ));
            continue;
        }
        total += data.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(whole(
                "plus de 120 Mo une fois décompressée.".into(),
                "over 120 MB once inflated.".into(),
            ));
        }
        out.push(FlowFile {
            name: raw,
            bytes: data,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if out.is_empty() {
        return Err(whole(
            "elle ne contient aucune facture.".into(),
            "it holds no invoice.".into(),
        ));
    }
    if out.len() > MAX_INVOICES {
        return Err(whole(
            format!(
                "{} factures ; un flux en compte au plus {MAX_INVOICES}.",
                out.len()
            ),
            format!(
                "{} invoices; a flow holds at most {MAX_INVOICES}.",
                out.len()
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Deflated);
        for (name, bytes) in members {
            w.start_file(*name, options).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_good_zip_gives_its_invoices_in_order() {
        let z = zip_of(&[("a.xml", b"<Invoice/>"), ("b.pdf", b"%PDF-1.7")]);
        let files = unzip("f.zip", &z).unwrap();
        assert_eq!(
            files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["a.xml", "b.pdf"]
        );
        assert_eq!(files[0].bytes, b"<Invoice/>");
    }

    #[test]
    fn tricks_are_refused_each_by_name() {
        let inner = zip_of(&[("a.xml", b"<Invoice/>")]);
        let z = zip_of(&[
            ("../evil.xml", b"<Invoice/>"),
            ("dir/a.xml", b"<Invoice/>"),
            ("inner.zip", &inner),
            ("hidden.xml", &inner),
            ("notes.txt", b"hello"),
        ]);
        let errors = unzip("f.zip", &z).unwrap_err();
        let text: Vec<&str> = errors.iter().map(|e| e.message.en.as_str()).collect();
        assert_eq!(errors.len(), 5, "{text:#?}");
        assert!(text[0].contains("“../evil.xml”") && text[0].contains("leaves the archive"));
        assert!(text[1].contains("not in a folder"));
        assert!(text[2].contains("archive inside"));
        assert!(text[3].contains("archive inside"));
        assert!(text[4].contains("only .xml"));
    }

    #[test]
    fn a_zip_bomb_is_refused_without_inflating_it_all() {
        let zeros = vec![b' '; 9 * 1024 * 1024];
        let z = zip_of(&[("bomb.xml", &zeros)]);
        assert!(
            z.len() < 100 * 1024,
            "the test needs a small archive: {}",
            z.len()
        );
        let errors = unzip("f.zip", &z).unwrap_err();
        assert!(errors[0].message.en.contains("zip bomb"), "{:?}", errors[0]);
    }

    #[test]
    fn garbage_and_empty_archives_say_so() {
        assert!(
            unzip("f.zip", b"PK\x03\x04garbage").unwrap_err()[0]
                .message
                .en
                .contains("cannot be read")
        );
        assert!(
            unzip("f.zip", &zip_of(&[])).unwrap_err()[0]
                .message
                .en
                .contains("no invoice")
        );
    }
}
