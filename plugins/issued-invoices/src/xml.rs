//! Reading a deposited structured invoice safely: size cap, UTF-8, no DTD
//! (so no entity expansion), element nesting bounded before the parser
//! sees the text, then UBL 2.1 (`Invoice`, `CreditNote`) or CII D16B
//! (`CrossIndustryInvoice`) into the one EN 16931 model.
//!
//! What makes the file unreadable is an `Err` (a field error on the file);
//! what the file says wrongly comes back as findings, all at once.

use crate::en16931::{Finding, Invoice, cii, syntax, ubl};
use portico_sdk::i18n::{self, Arg, compose};
use roxmltree::{Document, ParsingOptions};

const UBL_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const UBL_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CII: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";

/// Largest XML document read: a structured invoice is text; embedded
/// attachments make it larger, and 10 MB is the portal's file limit.
pub const MAX_XML_BYTES: usize = 10 * 1000 * 1000;
/// Deepest element nesting read. EN 16931 documents nest about ten levels
/// (UBL and CII alike); far deeper is a hostile file, refused before parsing.
pub const MAX_DEPTH: usize = 40;
/// Most XML nodes read: bounds memory whatever the file's shape.
const MAX_NODES: u32 = 2_000_000;

/// Which syntax a document used, as stored on the invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// UBL 2.1.
    Ubl,
    /// CII D16B.
    Cii,
    /// CII inside a Factur-X PDF/A-3.
    FacturX,
}

impl Source {
    /// The deposit source code stored on the invoice.
    pub fn code(self) -> &'static str {
        match self {
            Source::Ubl => "DEPOT_UBL",
            Source::Cii => "DEPOT_CII",
            Source::FacturX => "DEPOT_FACTURX",
        }
    }
}

/// How deeply elements nest in `text`, stopping early past `limit`.
/// Comments, CDATA sections, processing instructions and attribute values
/// are skipped, so a `<` or `>` inside them does not count.
pub fn nesting_depth(text: &str, limit: usize) -> usize {
    let b = text.as_bytes();
    let (mut i, mut depth, mut max) = (0usize, 0usize, 0usize);
    let skip_to = |from: usize, end: &[u8]| -> usize {
        b[from..]
            .windows(end.len())
            .position(|w| w == end)
            .map_or(b.len(), |p| from + p + end.len())
    };
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            i = skip_to(i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(i + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(i + 2, b"?>");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = skip_to(i + 2, b">");
        } else if rest.starts_with(b"<!") {
            i = skip_to(i + 2, b">");
        } else {
            // A start tag: find its end outside quoted attribute values.
            let mut j = i + 1;
            let mut quote = None;
            while j < b.len() {
                match (quote, b[j]) {
                    (None, b'"' | b'\'') => quote = Some(b[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            if j < b.len() && b[j - 1] != b'/' {
                depth += 1;
                max = max.max(depth);
                if max > limit {
                    return max;
                }
            }
            i = j + 1;
        }
    }
    max
}

/// Reads an EN 16931 invoice from XML bytes. `Err` says why the file cannot
/// be read at all (too large, not UTF-8, a DTD, too deep, not XML, not an
/// invoice); otherwise the model and what was malformed in it.
/// The `Err` is a translatable message (`en16931.unreadable.*`).
pub fn read(bytes: &[u8]) -> Result<(Invoice, Vec<Finding>), String> {
    if bytes.len() > MAX_XML_BYTES {
        return Err(compose(
            "en16931.unreadable.too-large",
            &[
                ("bytes", Arg::Text(&bytes.len().to_string())),
                ("max", Arg::Text(&MAX_XML_BYTES.to_string())),
            ],
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| i18n::message("en16931.unreadable.not-utf8", &[]))?;
    let depth = nesting_depth(text, MAX_DEPTH);
    if depth > MAX_DEPTH {
        return Err(compose(
            "en16931.unreadable.too-deep",
            &[("max", Arg::Text(&MAX_DEPTH.to_string()))],
        ));
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => i18n::message("en16931.unreadable.dtd", &[]),
        // The parser's own words (English) name the place: shown as they are.
        e => compose(
            "en16931.unreadable.not-xml",
            &[("error", Arg::Text(&e.to_string()))],
        ),
    })?;
    let root = doc.root_element();
    let ns = root.tag_name().namespace().unwrap_or("");
    match (root.tag_name().name(), ns) {
        ("Invoice", UBL_INVOICE) | ("CreditNote", UBL_CREDIT_NOTE) => {
            let (inv, mut findings) = ubl::read(root);
            findings.extend(syntax::check(root, inv.syntax));
            Ok((inv, findings))
        }
        ("CrossIndustryInvoice", CII) => {
            let (inv, mut findings) = cii::read(root);
            findings.extend(syntax::check(root, inv.syntax));
            findings.retain(|f| !syntax::waived(&f.rule, inv.specification.as_deref()));
            Ok((inv, findings))
        }
        (name, ns) => Err(compose(
            "en16931.unreadable.root",
            &[("root", Arg::Text(&format!("{{{ns}}}{name}")))],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UBL: &str = include_str!("../../../tests/fixtures/invoice-ubl.xml");

    #[test]
    fn depth_is_counted_outside_comments_cdata_and_attribute_values() {
        assert_eq!(nesting_depth("<a><b><c/></b></a>", 99), 2);
        assert_eq!(
            nesting_depth("<a x='>'><!-- <b><c> --><![CDATA[<d>]]></a>", 99),
            1
        );
        assert_eq!(
            nesting_depth("<?xml version='1.0'?><a><b>t</b><b/></a>", 99),
            2
        );
        assert!(nesting_depth(UBL, 99) < 12);
    }

    #[test]
    fn a_hostile_file_is_refused_unread_with_the_reason() {
        let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        let read = |b: &[u8]| {
            read(b).map_err(|e| portico_sdk::i18n::english(&e, Some(crate::en16931::findings::EN)))
        };
        let e = read(deep.as_bytes()).unwrap_err();
        assert!(e.contains("more than 40 levels"), "{e}");
        let dtd = "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>";
        assert!(read(dtd.as_bytes()).unwrap_err().contains("declares a DTD"));
        assert!(read(b"\xff\xfe<a/>").unwrap_err().contains("not UTF-8"));
        assert!(read(b"not xml").unwrap_err().contains("not well-formed"));
        assert!(
            read(b"<html/>")
                .unwrap_err()
                .contains("expected a UBL 2.1 Invoice")
        );
        let big = vec![b' '; MAX_XML_BYTES + 1];
        assert!(read(&big).unwrap_err().contains("at most"));
    }
}
