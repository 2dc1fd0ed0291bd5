//! This project's own EN 16931 rule cases, kept in the repository and run
//! everywhere: each breaks one thing in the portal's own sample invoices
//! (tests/fixtures/invoice-ubl.xml and invoice-cii.xml, written here, the
//! same invoice in both syntaxes) and must be refused by the rule the
//! standard names for it, with a message that quotes the rule and the
//! business term; each positive case must go through. The public CEN/TC 434
//! corpus (conformance.rs) decides many more cases where it is at hand.

use issued_invoices::en16931::{Finding, rules};
use issued_invoices::xml;
use std::path::Path;

fn sample(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every finding of the reader and of the business rules.
fn findings(text: &str) -> Vec<Finding> {
    match xml::read(text.as_bytes()) {
        Ok((inv, found)) => found.into_iter().chain(rules::check(&inv)).collect(),
        Err(e) => panic!("the reader refused the whole file: {e}"),
    }
}

/// One change to a sample.
enum Edit {
    /// Replace the `n`th (0-based) occurrence of `from` with `to`.
    Nth(&'static str, usize, &'static str),
    /// Remove everything from the first `start` to the last `end`, both
    /// included.
    Cut(&'static str, &'static str),
    /// Remove each of these (first occurrence).
    Dels(&'static [&'static str]),
}
use Edit::{Cut, Dels, Nth};

fn apply(text: &str, edit: &Edit) -> String {
    match *edit {
        Nth(from, n, to) => {
            let at = text
                .match_indices(from)
                .nth(n)
                .unwrap_or_else(|| panic!("occurrence {n} of {from:?} is not in the sample"))
                .0;
            format!("{}{to}{}", &text[..at], &text[at + from.len()..])
        }
        Cut(start, end) => {
            let a = text.find(start).unwrap_or_else(|| panic!("{start:?}"));
            let b = text.rfind(end).unwrap_or_else(|| panic!("{end:?}")) + end.len();
            assert!(a < b, "{start:?} after {end:?}");
            format!("{}{}", &text[..a], &text[b..])
        }
        Dels(all) => all
            .iter()
            .fold(text.to_string(), |t, from| apply(&t, &del(from))),
    }
}

fn del(from: &'static str) -> Edit {
    Nth(from, 0, "")
}

fn set(from: &'static str, to: &'static str) -> Edit {
    Nth(from, 0, to)
}

/// (what is broken, the edit, the rule that must refuse it)
type Case = (&'static str, Edit, &'static str);

fn ubl_cases() -> Vec<Case> {
    vec![
        (
            "no specification identifier (BT-24)",
            del("<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>"),
            "BR-01",
        ),
        (
            "no invoice number (BT-1)",
            del("<cbc:ID>UBL-2026-001</cbc:ID>"),
            "BR-02",
        ),
        (
            "no issue date (BT-2)",
            del("<cbc:IssueDate>2026-11-20</cbc:IssueDate>"),
            "BR-03",
        ),
        (
            "no type code (BT-3)",
            del("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"),
            "BR-04",
        ),
        (
            "no currency (BT-5)",
            del("<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"),
            "BR-05",
        ),
        (
            "no seller name (BT-27)",
            del("<cbc:RegistrationName>Ateliers Dupont SARL</cbc:RegistrationName>"),
            "BR-06",
        ),
        (
            "no buyer name (BT-44)",
            del("<cbc:RegistrationName>Préfecture de la Région Exemple</cbc:RegistrationName>"),
            "BR-07",
        ),
        (
            "no seller country (BT-40)",
            Nth(
                "<cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>",
                0,
                "",
            ),
            "BR-09",
        ),
        (
            "no buyer country (BT-55)",
            Nth(
                "<cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>",
                1,
                "",
            ),
            "BR-11",
        ),
        (
            "no sum of line net amounts (BT-106)",
            del("<cbc:LineExtensionAmount currencyID=\"EUR\">336.80</cbc:LineExtensionAmount>"),
            "BR-12",
        ),
        (
            "no total without VAT (BT-109)",
            del("<cbc:TaxExclusiveAmount currencyID=\"EUR\">336.80</cbc:TaxExclusiveAmount>"),
            "BR-13",
        ),
        (
            "no total with VAT (BT-112)",
            del("<cbc:TaxInclusiveAmount currencyID=\"EUR\">404.16</cbc:TaxInclusiveAmount>"),
            "BR-14",
        ),
        (
            "no amount due (BT-115)",
            del("<cbc:PayableAmount currencyID=\"EUR\">404.16</cbc:PayableAmount>"),
            "BR-15",
        ),
        (
            "no line at all (BG-25)",
            Cut("<cac:InvoiceLine>", "</cac:InvoiceLine>"),
            "BR-16",
        ),
        (
            "a line without its identifier (BT-126)",
            del("<cbc:ID>1</cbc:ID>"),
            "BR-21",
        ),
        (
            "a line without quantity (BT-129)",
            del("<cbc:InvoicedQuantity unitCode=\"HUR\">2</cbc:InvoicedQuantity>"),
            "BR-22",
        ),
        (
            "a line without net amount (BT-131)",
            del("<cbc:LineExtensionAmount currencyID=\"EUR\">300.50</cbc:LineExtensionAmount>"),
            "BR-24",
        ),
        (
            "an item without name (BT-153)",
            del("<cbc:Name>Spare valve</cbc:Name>"),
            "BR-25",
        ),
        (
            "a line without price (BT-146)",
            del(
                "<cac:Price><cbc:PriceAmount currencyID=\"EUR\">12.10</cbc:PriceAmount></cac:Price>",
            ),
            "BR-26",
        ),
        (
            "a negative price (BT-146)",
            set(">12.10<", ">-12.10<"),
            "BR-27",
        ),
        (
            "a line without VAT category (BT-151)",
            Nth(
                "<cac:ClassifiedTaxCategory>\n        <cbc:ID>S</cbc:ID>\n        <cbc:Percent>20</cbc:Percent>\n        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>\n      </cac:ClassifiedTaxCategory>",
                1,
                "",
            ),
            "BR-CO-04",
        ),
        (
            "a seller VAT number without country prefix (BT-31)",
            set("FR44732829320", "44732829320"),
            "BR-CO-09",
        ),
        (
            "sum of line net amounts wrong (BT-106)",
            set(
                "<cbc:LineExtensionAmount currencyID=\"EUR\">336.80<",
                "<cbc:LineExtensionAmount currencyID=\"EUR\">336.90<",
            ),
            "BR-CO-10",
        ),
        (
            "total without VAT wrong (BT-109)",
            set(
                "<cbc:TaxExclusiveAmount currencyID=\"EUR\">336.80<",
                "<cbc:TaxExclusiveAmount currencyID=\"EUR\">336.90<",
            ),
            "BR-CO-13",
        ),
        (
            "VAT total not the sum of the breakdown (BT-110)",
            Nth(
                "<cbc:TaxAmount currencyID=\"EUR\">67.36</cbc:TaxAmount>",
                0,
                "<cbc:TaxAmount currencyID=\"EUR\">60.00</cbc:TaxAmount>",
            ),
            "BR-CO-14",
        ),
        (
            "total with VAT wrong (BT-112)",
            set(
                ">404.16</cbc:TaxInclusiveAmount>",
                ">404.17</cbc:TaxInclusiveAmount>",
            ),
            "BR-CO-15",
        ),
        (
            "amount due wrong (BT-115)",
            set(">404.16</cbc:PayableAmount>", ">400.00</cbc:PayableAmount>"),
            "BR-CO-16",
        ),
        (
            "no VAT breakdown (BG-23)",
            Cut("<cac:TaxSubtotal>", "</cac:TaxSubtotal>"),
            "BR-CO-18",
        ),
        (
            "an amount due without due date nor terms (BT-9, BT-20)",
            Dels(&[
                "<cbc:DueDate>2026-12-20</cbc:DueDate>",
                "<cac:PaymentTerms><cbc:Note>30 days from the invoice date</cbc:Note></cac:PaymentTerms>",
            ]),
            "BR-CO-25",
        ),
        (
            "a credit transfer without account (BT-84)",
            del(
                "<cac:PayeeFinancialAccount><cbc:ID>FR7630006000011234567890189</cbc:ID></cac:PayeeFinancialAccount>",
            ),
            "BR-61",
        ),
        (
            "standard rate breakdown with the wrong taxable amount (BT-116)",
            set(
                "<cbc:TaxableAmount currencyID=\"EUR\">336.80<",
                "<cbc:TaxableAmount currencyID=\"EUR\">300.00<",
            ),
            "BR-S-08",
        ),
        (
            "standard rate breakdown with the wrong VAT (BT-117)",
            Nth(
                "<cbc:TaxAmount currencyID=\"EUR\">67.36</cbc:TaxAmount>",
                1,
                "<cbc:TaxAmount currencyID=\"EUR\">60.00</cbc:TaxAmount>",
            ),
            "BR-S-09",
        ),
        (
            "an unknown type code (BT-3)",
            set("<cbc:InvoiceTypeCode>380<", "<cbc:InvoiceTypeCode>999<"),
            "BR-CL-01",
        ),
        (
            "an unknown currency (BT-5)",
            set(
                "<cbc:DocumentCurrencyCode>EUR<",
                "<cbc:DocumentCurrencyCode>EUX<",
            ),
            "BR-CL-04",
        ),
        (
            "an amount due with three decimals (BT-115)",
            set(
                ">404.16</cbc:PayableAmount>",
                ">404.161</cbc:PayableAmount>",
            ),
            "BR-DEC-18",
        ),
    ]
}

fn cii_cases() -> Vec<Case> {
    vec![
        (
            "no invoice number (BT-1)",
            del("<ram:ID>CII-2026-001</ram:ID>"),
            "BR-02",
        ),
        (
            "no issue date (BT-2)",
            del(
                "<ram:IssueDateTime><udt:DateTimeString format=\"102\">20261120</udt:DateTimeString></ram:IssueDateTime>",
            ),
            "BR-03",
        ),
        (
            "no currency (BT-5)",
            del("<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>"),
            "BR-05",
        ),
        (
            "no seller name (BT-27)",
            del("<ram:Name>Ateliers Dupont SARL</ram:Name>"),
            "BR-06",
        ),
        (
            "no line at all (BG-25)",
            Cut(
                "<ram:IncludedSupplyChainTradeLineItem>",
                "</ram:IncludedSupplyChainTradeLineItem>",
            ),
            "BR-16",
        ),
        (
            "an item without name (BT-153)",
            del("<ram:Name>Spare valve</ram:Name>"),
            "BR-25",
        ),
        (
            "a negative price (BT-146)",
            set(">12.10<", ">-12.10<"),
            "BR-27",
        ),
        (
            "a seller VAT number without country prefix (BT-31)",
            set("FR44732829320", "44732829320"),
            "BR-CO-09",
        ),
        (
            "sum of line net amounts wrong (BT-106)",
            set(
                "<ram:LineTotalAmount>336.80<",
                "<ram:LineTotalAmount>336.90<",
            ),
            "BR-CO-10",
        ),
        (
            "VAT total not the sum of the breakdown (BT-110)",
            set(
                "<ram:TaxTotalAmount currencyID=\"EUR\">67.36<",
                "<ram:TaxTotalAmount currencyID=\"EUR\">60.00<",
            ),
            "BR-CO-14",
        ),
        (
            "total with VAT wrong (BT-112)",
            set(
                "<ram:GrandTotalAmount>404.16<",
                "<ram:GrandTotalAmount>404.17<",
            ),
            "BR-CO-15",
        ),
        (
            "amount due wrong (BT-115)",
            set(
                "<ram:DuePayableAmount>404.16<",
                "<ram:DuePayableAmount>400.00<",
            ),
            "BR-CO-16",
        ),
        (
            "a credit transfer without account (BT-84)",
            del(
                "<ram:PayeePartyCreditorFinancialAccount><ram:IBANID>FR7630006000011234567890189</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>",
            ),
            "BR-61",
        ),
        (
            "standard rate breakdown with the wrong taxable amount (BT-116)",
            set("<ram:BasisAmount>336.80<", "<ram:BasisAmount>300.00<"),
            "BR-S-08",
        ),
        (
            "standard rate breakdown with the wrong VAT (BT-117)",
            set(
                "<ram:CalculatedAmount>67.36<",
                "<ram:CalculatedAmount>60.00<",
            ),
            "BR-S-09",
        ),
        (
            "an unknown payment means code (BT-81)",
            set(
                "<ram:TypeCode>30</ram:TypeCode>",
                "<ram:TypeCode>999</ram:TypeCode>",
            ),
            "BR-CL-16",
        ),
        (
            "an unknown type code (BT-3)",
            set("<ram:TypeCode>380<", "<ram:TypeCode>999<"),
            "BR-CL-01",
        ),
    ]
}

fn run(name: &str, cases: Vec<Case>) -> usize {
    let base = sample(name);
    let clean = findings(&base);
    assert!(
        clean.is_empty(),
        "{name} must conform: {:?}",
        clean.iter().map(Finding::message).collect::<Vec<_>>()
    );
    let mut wrong = Vec::new();
    let mut decided = 0;
    for (what, edit, rule) in &cases {
        let broken = apply(&base, edit);
        assert_ne!(broken, base, "{what}: the edit changed nothing");
        let found = findings(&broken);
        match found.iter().find(|f| f.rule == *rule) {
            None => wrong.push(format!(
                "{name}, {what}: {rule} did not fire; fired {:?}",
                found.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>()
            )),
            Some(f) => {
                let m = f.message();
                if !m.starts_with(&format!("EN 16931 {rule} (")) || m.contains("en16931.") {
                    wrong.push(format!(
                        "{name}, {what}: the message does not say it plainly: {m}"
                    ));
                }
            }
        }
        decided += 1;
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    decided
}

#[test]
fn each_broken_rule_in_the_ubl_sample_is_refused_by_its_own_rule() {
    assert!(run("invoice-ubl.xml", ubl_cases()) >= 30);
}

#[test]
fn each_broken_rule_in_the_cii_sample_is_refused_by_its_own_rule() {
    assert!(run("invoice-cii.xml", cii_cases()) >= 15);
}

/// What conformant software writes must go through: trailing zeros of a
/// price are not decimals (UBL amounts keep the artefacts' UBL-DT-01: at
/// most two written), a process identifier that is not one of Chorus Pro's
/// frameworks is no error, a note more or less changes nothing.
#[test]
fn conformant_variations_of_the_samples_go_through() {
    let ubl = sample("invoice-ubl.xml");
    let cii = sample("invoice-cii.xml");
    for (name, base, edit) in [
        (
            "UBL, a price with trailing zeros",
            &ubl,
            set(">12.10</cbc:PriceAmount>", ">12.10000</cbc:PriceAmount>"),
        ),
        (
            "UBL, a Peppol process identifier",
            &ubl,
            set(
                "<cbc:ProfileID>A1_FACTURE_FOURNISSEUR<",
                "<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0<",
            ),
        ),
        (
            "UBL, no note",
            &ubl,
            del("<cbc:Note>Heating repair, November</cbc:Note>"),
        ),
        (
            "CII, trailing zeros",
            &cii,
            set(
                "<ram:DuePayableAmount>404.16<",
                "<ram:DuePayableAmount>404.160<",
            ),
        ),
        (
            "CII, no process identifier",
            &cii,
            Cut(
                "<ram:BusinessProcessSpecifiedDocumentContextParameter>",
                "</ram:BusinessProcessSpecifiedDocumentContextParameter>",
            ),
        ),
    ] {
        let text = apply(base, &edit);
        assert_ne!(&text, base);
        let found = findings(&text);
        assert!(
            found.is_empty(),
            "{name}: {:?}",
            found.iter().map(Finding::message).collect::<Vec<_>>()
        );
    }
}

/// The richer sample (tests/fixtures/invoice-cii-nok.xml): another invoice
/// currency with the VAT also in euros, a line allowance, a document-level
/// allowance and charge, a prepaid amount. It conforms, and what is kept
/// for the buyer is what the file states.
#[test]
fn allowances_charges_prepaid_and_another_currency_are_kept_as_the_file_states() {
    use issued_invoices::{chorus, model};
    let text = sample("invoice-cii-nok.xml");
    let (inv, mut found) = xml::read(text.as_bytes()).unwrap();
    found.extend(rules::check(&inv));
    assert!(
        found.is_empty(),
        "{:?}",
        found.iter().map(Finding::message).collect::<Vec<_>>()
    );
    let mut kept = model::Invoice::new_draft("t".into(), "DEPOT", None, 0);
    chorus::apply(&inv, &mut kept, None, false);
    let t = &kept.totals;
    assert_eq!(kept.currency, "NOK");
    assert_eq!(
        (t.lines, t.net, t.vat, t.gross, t.prepaid, t.due),
        (130000, 128000, 32000, 160000, 60000, 100000)
    );
    assert_eq!(kept.lines.len(), 2);
    // The document-level allowance and charge, each with its reason.
    let adjustments = serde_json::to_string(&kept).unwrap();
    for said in ["Loyal customer discount", "Delivery", "Volume discount"] {
        assert!(adjustments.contains(said), "{said} is not kept");
    }
    // A wrong allowance total is refused by the rule that sums them.
    let broken = text.replacen(
        "<ram:AllowanceTotalAmount>50.00<",
        "<ram:AllowanceTotalAmount>40.00<",
        1,
    );
    assert!(findings(&broken).iter().any(|f| f.rule == "BR-CO-11"));
    let broken = text.replacen(
        "<ram:DuePayableAmount>1000.00<",
        "<ram:DuePayableAmount>1600.00<",
        1,
    );
    assert!(findings(&broken).iter().any(|f| f.rule == "BR-CO-16"));
}

/// Rules decided per profile: Factur-X's own profiles (Minimum, Basic WL,
/// Basic, Extended) are validated against Factur-X's XSD and schematron,
/// which allow a currency on every amount (CEN's CII-DT-031 does not
/// apply), and Minimum has no prepaid amount (BR-CO-16 does not apply).
/// Plain CII keeps CEN's rules.
#[test]
fn factur_x_profiles_follow_their_own_rules_and_plain_cii_keeps_cens() {
    let cii = sample("invoice-cii.xml");
    let with_currency = apply(
        &cii,
        &set(
            "<ram:GrandTotalAmount>404.16<",
            "<ram:GrandTotalAmount currencyID=\"EUR\">404.16<",
        ),
    );
    assert!(
        findings(&with_currency)
            .iter()
            .any(|f| f.rule == "CII-DT-031")
    );
    let basic = apply(
        &with_currency,
        &set(
            "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>",
            "<ram:ID>urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic</ram:ID>",
        ),
    );
    let found = findings(&basic);
    assert!(
        found.is_empty(),
        "{:?}",
        found.iter().map(Finding::message).collect::<Vec<_>>()
    );
    // Minimum: the header only, an amount due below the total (a deposit
    // paid, which the profile cannot state) goes through; in full
    // EN 16931 the same is BR-CO-16.
    let header = apply(
        &apply(
            &cii,
            &Cut(
                "<ram:IncludedSupplyChainTradeLineItem>",
                "</ram:IncludedSupplyChainTradeLineItem>",
            ),
        ),
        &set(
            "<ram:DuePayableAmount>404.16<",
            "<ram:DuePayableAmount>304.16<",
        ),
    );
    let minimum = apply(
        &header,
        &set(
            "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>",
            "<ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID>",
        ),
    );
    let found = findings(&minimum);
    assert!(
        !found.iter().any(|f| f.rule == "BR-CO-16"),
        "{:?}",
        found.iter().map(Finding::message).collect::<Vec<_>>()
    );
    assert!(findings(&header).iter().any(|f| f.rule == "BR-CO-16"));
}
