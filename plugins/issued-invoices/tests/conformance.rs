//! The EN 16931 conformance corpus (tests/fixtures/en16931, see ORIGIN.md):
//! every published example is read with the totals its file states, and
//! each business rule's published positive and negative cases are decided
//! as the CEN/TC 434 validation artefacts decide them.

use issued_invoices::chorus;
use issued_invoices::en16931::{Invoice, rules};
use issued_invoices::model;
use issued_invoices::xml;
use roxmltree::{Document, Node};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/en16931")
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(corpus().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")))
        .collect();
    out.sort();
    out
}

/// The totals a file states, read independently of the reader: the first
/// element of each name, wherever it is.
fn stated(text: &str) -> BTreeMap<&'static str, i64> {
    let doc = Document::parse(text).unwrap();
    let cents = |names: &[&str]| -> Option<i64> {
        doc.descendants()
            .find(|n| n.is_element() && names.contains(&n.tag_name().name()))
            .and_then(|n| n.text())
            .map(|t| {
                let d = issued_invoices::en16931::Dec::parse(t).unwrap();
                d.round(2).to_cents().unwrap()
            })
    };
    let mut out = BTreeMap::new();
    for (k, names) in [
        ("net", &["TaxExclusiveAmount", "TaxBasisTotalAmount"][..]),
        ("gross", &["TaxInclusiveAmount", "GrandTotalAmount"][..]),
        ("due", &["PayableAmount", "DuePayableAmount"][..]),
        ("lines", &["LegalMonetaryTotal", "LineTotalAmount"][..]),
    ] {
        if k == "lines" {
            // UBL's BT-106 sits inside LegalMonetaryTotal; CII's is the
            // header LineTotalAmount (the last one, after the lines').
            let v = doc
                .descendants()
                .find(|n| n.tag_name().name() == "LegalMonetaryTotal")
                .and_then(|m| {
                    m.children()
                        .find(|c| c.tag_name().name() == "LineExtensionAmount")
                })
                .or_else(|| {
                    doc.descendants()
                        .rfind(|n| n.tag_name().name() == "LineTotalAmount")
                })
                .and_then(|n| n.text())
                .map(|t| {
                    issued_invoices::en16931::Dec::parse(t)
                        .unwrap()
                        .to_cents()
                        .unwrap()
                });
            if let Some(v) = v {
                out.insert(k, v);
            }
        } else if let Some(v) = cents(names) {
            out.insert(k, v);
        }
    }
    out
}

fn kept(inv: &Invoice) -> model::Invoice {
    let mut kept = model::Invoice::new_draft("t".into(), "DEPOT", None, 0);
    chorus::apply(inv, &mut kept, None, false);
    kept
}

#[test]
fn every_published_example_is_read_with_the_totals_it_states() {
    let mut read = 0;
    for dir in ["examples/ubl", "examples/cii", "examples/ubl-bis"] {
        for path in files(dir) {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let (inv, mut findings) =
                xml::read(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            findings.extend(rules::check(&inv));
            assert!(
                findings.is_empty(),
                "{name} is a valid example, but: {:#?}",
                findings.iter().map(|f| f.message()).collect::<Vec<_>>()
            );
            let k = kept(&inv);
            let s = stated(&text);
            let ours: BTreeMap<&str, i64> = [
                ("net", k.totals.net),
                ("gross", k.totals.gross),
                ("due", k.totals.due),
                ("lines", k.totals.lines),
            ]
            .into_iter()
            .filter(|(key, _)| s.contains_key(key))
            .collect();
            assert_eq!(ours, s, "{name}: the totals kept are the file's");
            assert_eq!(k.lines.len(), inv.lines.len(), "{name}");
            let vat: i64 = k.vat_summary.iter().map(|v| v.vat).sum();
            assert_eq!(vat, k.totals.vat, "{name}: VAT per category adds up");
            read += 1;
        }
    }
    assert!(read >= 55, "only {read} examples read");
}

/// Rule ids the unit sets use for what this checker reports under another
/// id (the artefacts check the same thing twice).
fn alias(rule: &str) -> &str {
    match rule {
        "BR-CO-21" => "BR-33",
        "BR-CO-22" => "BR-38",
        "BR-CO-23" => "BR-42",
        "BR-CO-24" => "BR-44",
        r => r,
    }
}

/// The rule ids this checker knows (it may report each).
fn implemented(rule: &str) -> bool {
    let rule = alias(rule);
    let worded = issued_invoices::en16931::findings::RULES
        .iter()
        .any(|(id, _, _)| *id == rule);
    let category = issued_invoices::en16931::findings::CATEGORIES
        .iter()
        .any(|(_, prefix, _)| {
            rule.strip_prefix(&format!("BR-{prefix}-"))
                .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()))
        });
    let decimals = [
        "BR-DEC-01",
        "BR-DEC-02",
        "BR-DEC-05",
        "BR-DEC-06",
        "BR-DEC-09",
        "BR-DEC-10",
        "BR-DEC-11",
        "BR-DEC-12",
        "BR-DEC-13",
        "BR-DEC-14",
        "BR-DEC-15",
        "BR-DEC-16",
        "BR-DEC-17",
        "BR-DEC-18",
        "BR-DEC-19",
        "BR-DEC-20",
        "BR-DEC-23",
        "BR-DEC-24",
        "BR-DEC-25",
        "BR-DEC-27",
        "BR-DEC-28",
    ];
    (worded && !rule.starts_with("CHORUS")) || category || decimals.contains(&rule)
}

struct Case {
    file: String,
    index: usize,
    rule: String,
    must_fire: bool,
    xml: String,
}

fn cases(dir: &str) -> Vec<Case> {
    let mut out = Vec::new();
    for path in files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = Document::parse(&text).unwrap();
        let tests = doc
            .root_element()
            .children()
            .filter(|n| n.tag_name().name() == "test");
        for (index, test) in tests.enumerate() {
            let assert = test
                .children()
                .find(|n| n.tag_name().name() == "assert")
                .unwrap();
            let verdict = |name: &str| -> Vec<String> {
                assert
                    .children()
                    .filter(|n| n.tag_name().name() == name)
                    .filter_map(|n| n.text())
                    .map(|t| t.trim().to_string())
                    .collect()
            };
            let invoice: Node<'_, '_> = test
                .children()
                .find(|n| n.is_element() && n.tag_name().name() != "assert")
                .unwrap();
            for (must_fire, rules) in [(false, verdict("success")), (true, verdict("error"))] {
                for rule in rules {
                    out.push(Case {
                        file: path.file_name().unwrap().to_string_lossy().into(),
                        index,
                        rule,
                        must_fire,
                        xml: text[invoice.range()].to_string(),
                    });
                }
            }
        }
    }
    out
}

#[test]
fn each_rules_published_cases_are_decided_as_the_artefacts_decide() {
    let mut decided = 0;
    let mut wrong = Vec::new();
    let mut not_checked: BTreeSet<String> = BTreeSet::new();
    for dir in ["rules/ubl-invoice", "rules/ubl-creditnote", "rules/cii"] {
        for case in cases(dir) {
            if !implemented(&case.rule) {
                not_checked.insert(case.rule.clone());
                continue;
            }
            let fired: BTreeSet<String> = match xml::read(case.xml.as_bytes()) {
                Ok((inv, findings)) => findings
                    .into_iter()
                    .chain(rules::check(&inv))
                    .map(|f| f.rule)
                    .collect(),
                Err(e) => panic!("{} #{}: {e}", case.file, case.index),
            };
            let rule = alias(&case.rule).to_string();
            if fired.contains(&rule) != case.must_fire {
                wrong.push(format!(
                    "{dir}/{} test {}: {} should {}fire; fired {:?}",
                    case.file,
                    case.index + 1,
                    case.rule,
                    if case.must_fire { "" } else { "not " },
                    fired
                ));
            }
            decided += 1;
        }
    }
    eprintln!(
        "{decided} rule cases decided; rules without a check here: {:?}",
        not_checked
    );
    assert!(
        wrong.is_empty(),
        "{} of {decided} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_portals_own_samples_conform_and_say_the_same_in_both_syntaxes() {
    let fixtures = corpus().join("..");
    let mut kept_both = Vec::new();
    for file in ["invoice-ubl.xml", "invoice-cii.xml"] {
        let text = std::fs::read_to_string(fixtures.join(file)).unwrap();
        let (inv, findings) = xml::read(text.as_bytes()).unwrap();
        assert!(findings.is_empty(), "{file}: {findings:?}");
        let broken = rules::check(&inv);
        assert!(
            broken.is_empty(),
            "{file}: {:?}",
            broken.iter().map(|f| f.message()).collect::<Vec<_>>()
        );
        assert!(
            chorus::check(&inv, "73282932000074", None)
                .iter()
                .all(|f| f.rule == "CHORUS-RECIPIENT-UNKNOWN")
        );
        let mut k = kept(&inv);
        k.number.clear();
        k.format.clear();
        kept_both.push(k);
    }
    assert_eq!(kept_both[0], kept_both[1]);
    let k = &kept_both[0];
    assert_eq!(k.recipient_id, "13000165200010");
    assert_eq!(
        (k.totals.net, k.totals.vat, k.totals.gross, k.totals.due),
        (33680, 6736, 40416, 40416)
    );
    assert_eq!(k.payment_mode, "VIREMENT");
    assert_eq!(k.framework, "A1_FACTURE_FOURNISSEUR");
}

/// Factur-X Minimum and Basic WL: the PDF is the invoice, the XML carries
/// its header (no lines; Minimum has no VAT breakdown nor addresses). Read
/// and checked as such, not refused for what the profile leaves out.
#[test]
fn factur_x_minimum_and_basic_wl_are_read_as_headers() {
    use issued_invoices::en16931::{facturx, write};
    let text = std::fs::read_to_string(corpus().join("../invoice-cii.xml")).unwrap();
    let (full, _) = xml::read(text.as_bytes()).unwrap();
    for (spec, keeps_vat) in [
        ("urn:factur-x.eu:1p0:minimum", false),
        ("urn:factur-x.eu:1p0:basicwl", true),
    ] {
        let mut header = full.clone();
        header.specification = Some(spec.into());
        header.lines.clear();
        if !keeps_vat {
            header.vat_breakdown.clear();
            header.seller.address = None;
            header.buyer.address = None;
            header.payment_terms = None;
            header.due_date = None;
            header.payment_means.clear();
            header.totals.line_net = None;
        }
        let pdf = facturx::build(write::cii(&header).as_bytes(), "factur-x.xml", true);
        let embedded = facturx::embedded_invoice(&pdf).unwrap().unwrap();
        let (inv, findings) = xml::read(&embedded).unwrap();
        assert!(findings.is_empty());
        let broken: Vec<String> = rules::check(&inv).iter().map(|f| f.message()).collect();
        assert!(broken.is_empty(), "{spec}: {broken:?}");
        let k = kept(&inv);
        assert!(k.lines.is_empty());
        assert_eq!(
            (k.totals.net, k.totals.gross, k.totals.due),
            (33680, 40416, 40416),
            "{spec}"
        );
        assert!(k.format.contains("profile"), "{}", k.format);
        // The same header as a full EN 16931 invoice is refused: it has no lines.
        let mut as_full = inv.clone();
        as_full.specification = Some("urn:cen.eu:en16931:2017".into());
        assert!(rules::check(&as_full).iter().any(|f| f.rule == "BR-16"));
    }
}
