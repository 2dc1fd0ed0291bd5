//! Factur-X (and ZUGFeRD 2): a PDF/A-3 carrying its invoice as an embedded
//! CII file. The PDF is parsed with lopdf (cross-reference tables and
//! streams, object streams, filters), the embedded files are walked from
//! the catalogue's `/AF` array and `/Names /EmbeddedFiles` name tree, and
//! the one named `factur-x.xml` (or a ZUGFeRD / XRechnung name) is decoded
//! with a bound on its inflated size.

use crate::xml::MAX_XML_BYTES;
use lopdf::{Dictionary, Document, LoadOptions, Object};
use std::collections::HashSet;

/// Names an embedded Factur-X / ZUGFeRD invoice goes by (compared without case).
pub const INVOICE_NAMES: [&str; 4] = [
    "factur-x.xml",
    "zugferd-invoice.xml",
    "zugferd_invoice.xml",
    "xrechnung.xml",
];
/// Deepest name-tree nesting followed (a loop or a hostile tree stops here).
const MAX_TREE_DEPTH: usize = 16;

/// The CII XML embedded in a Factur-X PDF. `Ok(None)` when the PDF cannot
/// be parsed or embeds no invoice (a plain PDF); `Err` when it names an
/// embedded invoice that cannot be decoded.
pub fn embedded_invoice(pdf: &[u8]) -> Result<Option<Vec<u8>>, String> {
    if !pdf.starts_with(b"%PDF-") {
        return Ok(None);
    }
    let options = LoadOptions {
        // Object and cross-reference streams are inflated at load: bound them.
        max_decompressed_size: Some(MAX_XML_BYTES),
        ..LoadOptions::default()
    };
    let Ok(doc) = Document::load_mem_with_options(pdf, options) else {
        return Ok(None);
    };
    let Some((name, spec)) = files(&doc)
        .into_iter()
        .find(|(name, _)| INVOICE_NAMES.iter().any(|n| name.eq_ignore_ascii_case(n)))
    else {
        return Ok(None);
    };
    let stream = spec
        .get(b"EF")
        .and_then(|ef| deref(&doc, ef))
        .and_then(Object::as_dict)
        .and_then(|ef| ef.get(b"F").or_else(|_| ef.get(b"UF")))
        .and_then(|f| deref(&doc, f))
        .and_then(Object::as_stream)
        .map_err(|e| format!("the PDF names an embedded {name} but holds no file for it ({e})"))?;
    let bytes = stream
        .decompressed_content_with_limit(MAX_XML_BYTES)
        .map_err(|e| format!("the embedded {name} could not be decoded: {e}"))?;
    Ok(Some(bytes))
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> lopdf::Result<&'a Object> {
    doc.dereference(o).map(|(_, o)| o)
}

fn text(o: &Object) -> Option<String> {
    match o {
        Object::String(bytes, _) => Some(decode_pdf_text(bytes)),
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

/// A PDF text string: UTF-16BE with a byte-order mark, else PDFDocEncoding
/// (Latin-1 for the characters a file name uses).
fn decode_pdf_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// Every embedded file: (its name, its file specification dictionary).
pub fn files(doc: &Document) -> Vec<(String, Dictionary)> {
    let mut out = Vec::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let mut add = |key: Option<String>, spec: &Object| {
        if let Ok(d) = deref(doc, spec).and_then(Object::as_dict) {
            let name = d
                .get(b"UF")
                .ok()
                .and_then(text)
                .or_else(|| d.get(b"F").ok().and_then(text))
                .or(key)
                .unwrap_or_default();
            if !out.iter().any(|(n, _): &(String, Dictionary)| *n == name) {
                out.push((name, d.clone()));
            }
        }
    };
    if let Ok(af) = catalog
        .get(b"AF")
        .and_then(|o| deref(doc, o))
        .and_then(Object::as_array)
    {
        for spec in af {
            add(None, spec);
        }
    }
    let tree = catalog
        .get(b"Names")
        .and_then(|n| deref(doc, n))
        .and_then(Object::as_dict)
        .and_then(|n| n.get(b"EmbeddedFiles"))
        .and_then(|t| deref(doc, t));
    if let Ok(tree) = tree {
        let mut seen = HashSet::new();
        walk(doc, tree, 0, &mut seen, &mut |key, spec| {
            add(Some(key), spec)
        });
    }
    out
}

/// Walks a name tree (`/Names` pairs, `/Kids` subtrees), depth-bounded and
/// never visiting an object twice.
fn walk(
    doc: &Document,
    node: &Object,
    depth: usize,
    seen: &mut HashSet<(u32, u16)>,
    f: &mut dyn FnMut(String, &Object),
) {
    if depth > MAX_TREE_DEPTH {
        return;
    }
    let Ok(dict) = node.as_dict() else {
        return;
    };
    if let Ok(names) = dict
        .get(b"Names")
        .and_then(|n| deref(doc, n))
        .and_then(Object::as_array)
    {
        for pair in names.chunks(2) {
            if let [key, spec] = pair {
                f(text(key).unwrap_or_default(), spec);
            }
        }
    }
    if let Ok(kids) = dict
        .get(b"Kids")
        .and_then(|k| deref(doc, k))
        .and_then(Object::as_array)
    {
        for kid in kids {
            if let Ok(id) = kid.as_reference()
                && !seen.insert(id)
            {
                continue;
            }
            if let Ok(k) = deref(doc, kid) {
                walk(doc, k, depth + 1, seen, f);
            }
        }
    }
}

/// Builds a PDF/A-3 the way Factur-X writers do (one page, XMP metadata
/// declaring the Factur-X profile, the XML embedded as an associated file
/// with `/AFRelationship /Data`, compressed): for tests and the demo.
pub fn build(xml: &[u8], name: &str, compress: bool) -> Vec<u8> {
    use lopdf::{Stream, StringFormat, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"BT /F1 12 Tf 72 720 Td (Invoice: see the embedded factur-x.xml) Tj ET".to_vec(),
    ));
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
        }),
    );
    let mut file = Stream::new(
        dictionary! {
            "Type" => "EmbeddedFile",
            "Subtype" => Object::Name(b"text/xml".to_vec()),
            "Params" => dictionary! { "Size" => xml.len() as i64 },
        },
        xml.to_vec(),
    );
    if compress {
        let _ = file.compress();
    }
    let file_id = doc.add_object(file);
    let spec = doc.add_object(dictionary! {
        "Type" => "Filespec",
        "F" => Object::String(name.as_bytes().to_vec(), StringFormat::Literal),
        "UF" => Object::String(name.as_bytes().to_vec(), StringFormat::Literal),
        "Desc" => Object::string_literal("Factur-X invoice"),
        "AFRelationship" => "Data",
        "EF" => dictionary! { "F" => file_id, "UF" => file_id },
    });
    let xmp = format!(
        "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\
<rdf:Description rdf:about='' xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/'><pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>\
<rdf:Description rdf:about='' xmlns:fx='urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#'><fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>{name}</fx:DocumentFileName><fx:Version>1.0</fx:Version><fx:ConformanceLevel>EN 16931</fx:ConformanceLevel></rdf:Description>\
</rdf:RDF></x:xmpmeta><?xpacket end='w'?>"
    );
    let metadata = doc.add_object(
        Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            xmp.into_bytes(),
        )
        .with_compression(false),
    );
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
        "Metadata" => metadata,
        "AF" => vec![spec.into()],
        "Names" => dictionary! {
            "EmbeddedFiles" => dictionary! {
                "Names" => vec![Object::String(name.as_bytes().to_vec(), StringFormat::Literal), spec.into()],
            },
        },
    });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("writing a PDF to memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CII: &[u8] = include_bytes!("../../../../tests/fixtures/invoice-cii.xml");

    #[test]
    fn the_embedded_cii_comes_out_byte_for_byte() {
        for compress in [true, false] {
            let pdf = build(CII, "factur-x.xml", compress);
            assert!(pdf.starts_with(b"%PDF-1.7"));
            assert_eq!(embedded_invoice(&pdf).unwrap().as_deref(), Some(CII));
        }
        let zugferd = build(CII, "ZUGFeRD-invoice.xml", true);
        assert_eq!(embedded_invoice(&zugferd).unwrap().as_deref(), Some(CII));
    }

    #[test]
    fn a_pdf_without_an_invoice_is_a_plain_pdf() {
        let other = build(b"<x/>", "delivery-note.xml", true);
        assert_eq!(embedded_invoice(&other), Ok(None));
        assert_eq!(embedded_invoice(b"%PDF-1.4 garbage"), Ok(None));
        assert_eq!(embedded_invoice(b"not a pdf"), Ok(None));
        assert_eq!(
            files(&Document::load_mem(&other).unwrap())[0].0,
            "delivery-note.xml"
        );
    }
}
