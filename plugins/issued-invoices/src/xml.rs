//! Reading a deposited structured invoice: UBL 2.1 (`Invoice`,
//! `CreditNote`) or UN/CEFACT CII D16B (`CrossIndustryInvoice`), into the
//! same text fields as the entry form, so one set of checks applies.
//!
//! Elements are matched by namespace and local name along explicit paths
//! (EN 16931 business terms noted beside them). What is missing is reported
//! with the element's path and the business term, all at once.

use crate::model::{InvoiceInput, LineInput, StatedTotals};
use roxmltree::{Document, Node};

const UBL_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const UBL_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

/// Largest XML document read: a structured invoice is text, not images.
pub const MAX_XML_BYTES: usize = 5 << 20;

/// Which syntax a document used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// UBL 2.1.
    Ubl,
    /// CII D16B.
    Cii,
}

impl Syntax {
    /// The deposit source code stored on the invoice.
    pub fn source(self) -> &'static str {
        match self {
            Syntax::Ubl => "DEPOT_UBL",
            Syntax::Cii => "DEPOT_CII",
        }
    }
}

/// A document read: its fields, the supplier identifier it names, and what
/// was missing.
#[derive(Debug)]
pub struct Parsed {
    /// UBL or CII.
    pub syntax: Syntax,
    /// The form fields found.
    pub input: InvoiceInput,
    /// The seller's identifier as the document states it.
    pub seller_id: String,
    /// "element (business term) is missing" and similar, one per problem.
    pub problems: Vec<String>,
}

/// A path step: (namespace, local name).
type Step = (&'static str, &'static str);

fn child<'a, 'i>(node: Node<'a, 'i>, (ns, name): Step) -> Option<Node<'a, 'i>> {
    node.children().find(|c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
    })
}

fn children<'a, 'i>(node: Node<'a, 'i>, (ns, name): Step) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
    })
}

fn at<'a, 'i>(node: Node<'a, 'i>, path: &[Step]) -> Option<Node<'a, 'i>> {
    path.iter().try_fold(node, |n, s| child(n, *s))
}

fn text(node: Node<'_, '_>, path: &[Step]) -> Option<String> {
    at(node, path)
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn shown(path: &[Step]) -> String {
    path.iter()
        .map(|(ns, n)| {
            let p = match *ns {
                CBC => "cbc",
                CAC => "cac",
                RSM => "rsm",
                RAM => "ram",
                UDT => "udt",
                _ => "",
            };
            format!("{p}:{n}")
        })
        .collect::<Vec<_>>()
        .join("/")
}

struct Reader<'a, 'i> {
    root: Node<'a, 'i>,
    problems: Vec<String>,
}

impl<'a, 'i> Reader<'a, 'i> {
    /// A required value; records a problem naming the path and term.
    fn need(&mut self, node: Node<'a, 'i>, path: &[Step], term: &str) -> String {
        match text(node, path) {
            Some(t) => t,
            None => {
                self.problems
                    .push(format!("{} ({term}) is missing.", shown(path)));
                String::new()
            }
        }
    }

    fn opt(&self, node: Node<'a, 'i>, path: &[Step]) -> String {
        text(node, path).unwrap_or_default()
    }
}

/// Maps a UNCL 4461 payment means code to the Chorus payment mode.
fn payment_mode(code: &str) -> &'static str {
    match code {
        "30" | "31" | "42" | "58" => "VIREMENT",
        "20" => "CHEQUE",
        "49" | "59" => "PRELEVEMENT",
        "10" => "ESPECE",
        "" => "",
        _ => "AUTRE",
    }
}

/// Maps a UNCL 1001 document type code to the Chorus invoice type.
fn invoice_kind(code: &str) -> Result<&'static str, String> {
    match code {
        "380" | "384" | "389" => Ok("FACTURE"),
        "381" => Ok("AVOIR"),
        "386" => Ok("ACOMPTE"),
        "261" => Err("type code 261 (self-billed credit note) is not accepted".into()),
        other => Err(format!(
            "type code `{other}` is not an invoice (380), credit note (381) or advance (386)"
        )),
    }
}

/// The VAT regime from the tax category codes used (UNCL 5305).
fn vat_regime(categories: &[String]) -> &'static str {
    if !categories.is_empty() && categories.iter().all(|c| c == "E") {
        "EXONERATION"
    } else if !categories.is_empty() && categories.iter().all(|c| c == "O") {
        "SANS_TVA"
    } else {
        "TVA_SUR_DEBIT"
    }
}

/// The framework from BT-23; absent means A1.
fn framework(value: &str) -> String {
    if value.is_empty() {
        "A1_FACTURE_FOURNISSEUR".into()
    } else {
        value.to_string()
    }
}

/// Reads a UBL or CII invoice. `Err` when the bytes are not an invoice at
/// all (not XML, another document type).
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    if bytes.len() > MAX_XML_BYTES {
        return Err(format!(
            "the XML file is {} bytes; at most {} are read",
            bytes.len(),
            MAX_XML_BYTES
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())?;
    let doc = Document::parse(text).map_err(|e| format!("the file is not well-formed XML: {e}"))?;
    let root = doc.root_element();
    let ns = root.tag_name().namespace().unwrap_or("");
    match (root.tag_name().name(), ns) {
        ("Invoice", UBL_INVOICE) | ("CreditNote", UBL_CREDIT_NOTE) => Ok(parse_ubl(root)),
        ("CrossIndustryInvoice", RSM) => Ok(parse_cii(root)),
        (name, ns) => Err(format!(
            "the root element is {{{ns}}}{name}; expected a UBL 2.1 Invoice or CreditNote, or a CII D16B CrossIndustryInvoice"
        )),
    }
}

fn parse_ubl(root: Node<'_, '_>) -> Parsed {
    let credit = root.tag_name().name() == "CreditNote";
    let mut r = Reader {
        root,
        problems: Vec::new(),
    };
    let mut input = InvoiceInput {
        number: r.need(root, &[(CBC, "ID")], "BT-1 invoice number"),
        date: r.need(root, &[(CBC, "IssueDate")], "BT-2 issue date"),
        currency: r.need(root, &[(CBC, "DocumentCurrencyCode")], "BT-5 currency"),
        framework: framework(&r.opt(root, &[(CBC, "ProfileID")])),
        service_code: r.opt(root, &[(CBC, "BuyerReference")]),
        order_number: r.opt(root, &[(CAC, "OrderReference"), (CBC, "ID")]),
        contract_number: r.opt(root, &[(CAC, "ContractDocumentReference"), (CBC, "ID")]),
        comment: r.opt(root, &[(CBC, "Note")]),
        ..InvoiceInput::default()
    };
    let type_path: &[Step] = if credit {
        &[(CBC, "CreditNoteTypeCode")]
    } else {
        &[(CBC, "InvoiceTypeCode")]
    };
    let code = r.need(root, type_path, "BT-3 type code");
    if !code.is_empty() {
        match invoice_kind(&code) {
            Ok(k) => input.kind = k.into(),
            Err(m) => r.problems.push(format!("{}: {m}.", shown(type_path))),
        }
    }
    let party_id = |party: &[Step]| -> Option<String> {
        let p = at(root, party)?;
        text(p, &[(CAC, "PartyLegalEntity"), (CBC, "CompanyID")])
            .or_else(|| text(p, &[(CAC, "PartyIdentification"), (CBC, "ID")]))
    };
    let buyer: &[Step] = &[(CAC, "AccountingCustomerParty"), (CAC, "Party")];
    let seller: &[Step] = &[(CAC, "AccountingSupplierParty"), (CAC, "Party")];
    input.recipient = party_id(buyer).unwrap_or_else(|| {
        r.problems.push(format!(
            "{}/cac:PartyLegalEntity/cbc:CompanyID (BT-47 buyer SIRET) is missing.",
            shown(buyer)
        ));
        String::new()
    });
    let seller_id = party_id(seller).unwrap_or_else(|| {
        r.problems.push(format!(
            "{}/cac:PartyLegalEntity/cbc:CompanyID (BT-30 seller SIRET) is missing.",
            shown(seller)
        ));
        String::new()
    });
    input.payment_mode = if input.kind == "AVOIR" {
        String::new()
    } else {
        payment_mode(&r.opt(root, &[(CAC, "PaymentMeans"), (CBC, "PaymentMeansCode")])).into()
    };
    let line_name = if credit {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    let qty_name = if credit {
        "CreditedQuantity"
    } else {
        "InvoicedQuantity"
    };
    let mut categories = Vec::new();
    for (i, line) in children(root, (CAC, line_name)).enumerate() {
        let no = i + 1;
        let q = at(line, &[(CBC, qty_name)]);
        let mut l = LineInput {
            reference: r.opt(
                line,
                &[
                    (CAC, "Item"),
                    (CAC, "SellersItemIdentification"),
                    (CBC, "ID"),
                ],
            ),
            designation: r.opt(line, &[(CAC, "Item"), (CBC, "Name")]),
            quantity: q.and_then(|n| n.text()).unwrap_or("").trim().to_string(),
            unit: q
                .and_then(|n| n.attribute("unitCode"))
                .unwrap_or("")
                .to_string(),
            unit_price: r.opt(line, &[(CAC, "Price"), (CBC, "PriceAmount")]),
            vat_rate: r.opt(
                line,
                &[
                    (CAC, "Item"),
                    (CAC, "ClassifiedTaxCategory"),
                    (CBC, "Percent"),
                ],
            ),
            discount: String::new(),
        };
        for ac in children(line, (CAC, "AllowanceCharge")) {
            if text(ac, &[(CBC, "ChargeIndicator")]).as_deref() == Some("false") {
                l.discount = text(ac, &[(CBC, "Amount")]).unwrap_or_default();
            }
        }
        for (value, what) in [
            (&l.quantity, "quantity (BT-129)"),
            (&l.unit_price, "price (BT-146)"),
            (&l.designation, "item name (BT-153)"),
        ] {
            if value.is_empty() {
                r.problems
                    .push(format!("Line {no}: the {what} is missing."));
            }
        }
        if let Some(c) = text(
            line,
            &[(CAC, "Item"), (CAC, "ClassifiedTaxCategory"), (CBC, "ID")],
        ) {
            categories.push(c);
        }
        input.lines.push(l);
    }
    if input.lines.is_empty() {
        r.problems.push(format!(
            "No cac:{line_name}: an invoice needs at least one line."
        ));
    }
    input.vat_regime = vat_regime(&categories).into();
    if input.vat_regime == "EXONERATION" {
        input.vat_exemption_reason = r.opt(
            root,
            &[
                (CAC, "TaxTotal"),
                (CAC, "TaxSubtotal"),
                (CAC, "TaxCategory"),
                (CBC, "TaxExemptionReason"),
            ],
        );
    }
    let total: &[Step] = &[(CAC, "LegalMonetaryTotal")];
    let get = |name| text(root, &[total[0], (CBC, name)]);
    input.stated = Some(StatedTotals {
        net: get("TaxExclusiveAmount"),
        vat: text(root, &[(CAC, "TaxTotal"), (CBC, "TaxAmount")]),
        gross: get("TaxInclusiveAmount"),
        due: get("PayableAmount"),
    });
    let _ = r.root;
    Parsed {
        syntax: Syntax::Ubl,
        input,
        seller_id,
        problems: r.problems,
    }
}

fn parse_cii(root: Node<'_, '_>) -> Parsed {
    let mut r = Reader {
        root,
        problems: Vec::new(),
    };
    let doc: &[Step] = &[(RSM, "ExchangedDocument")];
    let tx: &[Step] = &[(RSM, "SupplyChainTradeTransaction")];
    let agreement = [tx[0], (RAM, "ApplicableHeaderTradeAgreement")];
    let settlement = [tx[0], (RAM, "ApplicableHeaderTradeSettlement")];
    let raw_date = r.need(
        root,
        &[doc[0], (RAM, "IssueDateTime"), (UDT, "DateTimeString")],
        "BT-2 issue date",
    );
    let date = if raw_date.len() == 8 && raw_date.chars().all(|c| c.is_ascii_digit()) {
        format!("{}-{}-{}", &raw_date[..4], &raw_date[4..6], &raw_date[6..])
    } else {
        raw_date
    };
    let mut input = InvoiceInput {
        number: r.need(root, &[doc[0], (RAM, "ID")], "BT-1 invoice number"),
        date,
        framework: framework(&r.opt(
            root,
            &[
                (RSM, "ExchangedDocumentContext"),
                (RAM, "BusinessProcessSpecifiedDocumentContextParameter"),
                (RAM, "ID"),
            ],
        )),
        service_code: r.opt(root, &[agreement[0], agreement[1], (RAM, "BuyerReference")]),
        order_number: r.opt(
            root,
            &[
                agreement[0],
                agreement[1],
                (RAM, "BuyerOrderReferencedDocument"),
                (RAM, "IssuerAssignedID"),
            ],
        ),
        contract_number: r.opt(
            root,
            &[
                agreement[0],
                agreement[1],
                (RAM, "ContractReferencedDocument"),
                (RAM, "IssuerAssignedID"),
            ],
        ),
        currency: r.need(
            root,
            &[settlement[0], settlement[1], (RAM, "InvoiceCurrencyCode")],
            "BT-5 currency",
        ),
        comment: r.opt(root, &[doc[0], (RAM, "IncludedNote"), (RAM, "Content")]),
        ..InvoiceInput::default()
    };
    let code = r.need(root, &[doc[0], (RAM, "TypeCode")], "BT-3 type code");
    if !code.is_empty() {
        match invoice_kind(&code) {
            Ok(k) => input.kind = k.into(),
            Err(m) => r
                .problems
                .push(format!("rsm:ExchangedDocument/ram:TypeCode: {m}.")),
        }
    }
    let party_id = |party: &'static str| -> Option<String> {
        let p = at(root, &[agreement[0], agreement[1], (RAM, party)])?;
        text(p, &[(RAM, "SpecifiedLegalOrganization"), (RAM, "ID")])
            .or_else(|| text(p, &[(RAM, "GlobalID")]))
    };
    input.recipient = party_id("BuyerTradeParty").unwrap_or_else(|| {
        r.problems.push("ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID (BT-47 buyer SIRET) is missing.".into());
        String::new()
    });
    let seller_id = party_id("SellerTradeParty").unwrap_or_else(|| {
        r.problems.push("ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID (BT-30 seller SIRET) is missing.".into());
        String::new()
    });
    input.payment_mode = if input.kind == "AVOIR" {
        String::new()
    } else {
        payment_mode(&r.opt(
            root,
            &[
                settlement[0],
                settlement[1],
                (RAM, "SpecifiedTradeSettlementPaymentMeans"),
                (RAM, "TypeCode"),
            ],
        ))
        .into()
    };
    let mut categories = Vec::new();
    let Some(txn) = at(root, tx) else {
        r.problems
            .push("rsm:SupplyChainTradeTransaction is missing.".into());
        return Parsed {
            syntax: Syntax::Cii,
            input,
            seller_id,
            problems: r.problems,
        };
    };
    for (i, item) in children(txn, (RAM, "IncludedSupplyChainTradeLineItem")).enumerate() {
        let no = i + 1;
        let q = at(
            item,
            &[(RAM, "SpecifiedLineTradeDelivery"), (RAM, "BilledQuantity")],
        );
        let tax: &[Step] = &[
            (RAM, "SpecifiedLineTradeSettlement"),
            (RAM, "ApplicableTradeTax"),
        ];
        let l = LineInput {
            reference: r.opt(
                item,
                &[(RAM, "SpecifiedTradeProduct"), (RAM, "SellerAssignedID")],
            ),
            designation: r.opt(item, &[(RAM, "SpecifiedTradeProduct"), (RAM, "Name")]),
            quantity: q.and_then(|n| n.text()).unwrap_or("").trim().to_string(),
            unit: q
                .and_then(|n| n.attribute("unitCode"))
                .unwrap_or("")
                .to_string(),
            unit_price: r.opt(
                item,
                &[
                    (RAM, "SpecifiedLineTradeAgreement"),
                    (RAM, "NetPriceProductTradePrice"),
                    (RAM, "ChargeAmount"),
                ],
            ),
            vat_rate: r.opt(item, &[tax[0], tax[1], (RAM, "RateApplicablePercent")]),
            discount: String::new(),
        };
        for (value, what) in [
            (&l.quantity, "quantity (BT-129)"),
            (&l.unit_price, "net price (BT-146)"),
            (&l.designation, "item name (BT-153)"),
        ] {
            if value.is_empty() {
                r.problems
                    .push(format!("Line {no}: the {what} is missing."));
            }
        }
        if let Some(c) = text(item, &[tax[0], tax[1], (RAM, "CategoryCode")]) {
            categories.push(c);
        }
        input.lines.push(l);
    }
    if input.lines.is_empty() {
        r.problems.push(
            "No ram:IncludedSupplyChainTradeLineItem: an invoice needs at least one line.".into(),
        );
    }
    input.vat_regime = vat_regime(&categories).into();
    if input.vat_regime == "EXONERATION" {
        input.vat_exemption_reason = r.opt(
            root,
            &[
                settlement[0],
                settlement[1],
                (RAM, "ApplicableTradeTax"),
                (RAM, "ExemptionReason"),
            ],
        );
    }
    let sum = |name| {
        text(
            root,
            &[
                settlement[0],
                settlement[1],
                (RAM, "SpecifiedTradeSettlementHeaderMonetarySummation"),
                (RAM, name),
            ],
        )
    };
    input.stated = Some(StatedTotals {
        net: sum("TaxBasisTotalAmount"),
        vat: sum("TaxTotalAmount"),
        gross: sum("GrandTotalAmount"),
        due: sum("DuePayableAmount"),
    });
    let _ = r.root;
    Parsed {
        syntax: Syntax::Cii,
        input,
        seller_id,
        problems: r.problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UBL: &str = include_str!("../../../tests/fixtures/invoice-ubl.xml");
    const CII: &str = include_str!("../../../tests/fixtures/invoice-cii.xml");

    #[test]
    fn ubl_and_cii_samples_give_the_same_fields() {
        let u = parse(UBL.as_bytes()).unwrap();
        let c = parse(CII.as_bytes()).unwrap();
        assert!(u.problems.is_empty(), "{:?}", u.problems);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(u.syntax, Syntax::Ubl);
        assert_eq!(c.syntax, Syntax::Cii);
        let mut ui = u.input.clone();
        let mut ci = c.input.clone();
        ui.number.clear();
        ci.number.clear();
        assert_eq!(ui, ci);
        assert_eq!(u.seller_id, c.seller_id);
        assert_eq!(u.input.recipient, "13000165200010");
        assert_eq!(u.input.lines.len(), 2);
        assert_eq!(u.input.payment_mode, "VIREMENT");
    }

    #[test]
    fn what_is_missing_is_named_with_its_path_and_term() {
        let broken = UBL
            .replace("<cbc:IssueDate>2026-11-20</cbc:IssueDate>", "")
            .replace(
                "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
                "",
            );
        let p = parse(broken.as_bytes()).unwrap();
        assert_eq!(
            p.problems,
            [
                "cbc:IssueDate (BT-2 issue date) is missing.",
                "cbc:DocumentCurrencyCode (BT-5 currency) is missing.",
            ]
        );
        assert!(
            parse(b"<html/>")
                .unwrap_err()
                .contains("expected a UBL 2.1 Invoice")
        );
        assert!(parse(b"not xml").unwrap_err().contains("not well-formed"));
    }
}
