//! Reading UBL 2.1 `Invoice` and `CreditNote` into the model, along the
//! EN 16931 UBL binding (the CEN/TC 434 syntax mapping).

use super::findings::Finding;
use super::model::*;
use super::xpath::{CAC, CBC, Numbers, Step, at, attr, child, children, is, own_text, text};
use roxmltree::Node;

/// Reads a UBL document whose root is `Invoice` or `CreditNote`. Values
/// that are not numbers come back as findings; nothing else fails here.
pub fn read(root: Node<'_, '_>) -> (Invoice, Vec<Finding>) {
    let credit = root.tag_name().name() == "CreditNote";
    let mut n = Numbers::default();
    let t = |path: &[Step]| text(root, path);
    let mut inv = Invoice {
        syntax: Syntax::Ubl,
        credit_note: credit,
        specification: t(&[(CBC, "CustomizationID")]),
        process: t(&[(CBC, "ProfileID")]),
        number: t(&[(CBC, "ID")]),
        issue_date: t(&[(CBC, "IssueDate")]),
        type_code: if credit {
            t(&[(CBC, "CreditNoteTypeCode")])
        } else {
            t(&[(CBC, "InvoiceTypeCode")])
        },
        currency: t(&[(CBC, "DocumentCurrencyCode")]),
        vat_currency: t(&[(CBC, "TaxCurrencyCode")]),
        tax_point_date: t(&[(CBC, "TaxPointDate")]),
        tax_point_code: t(&[(CAC, "InvoicePeriod"), (CBC, "DescriptionCode")]),
        due_date: t(&[(CBC, "DueDate")])
            .or_else(|| t(&[(CAC, "PaymentMeans"), (CBC, "PaymentDueDate")])),
        buyer_reference: t(&[(CBC, "BuyerReference")]),
        project: t(&[(CAC, "ProjectReference"), (CBC, "ID")]),
        contract: t(&[(CAC, "ContractDocumentReference"), (CBC, "ID")]),
        order: t(&[(CAC, "OrderReference"), (CBC, "ID")]),
        sales_order: t(&[(CAC, "OrderReference"), (CBC, "SalesOrderID")]),
        buyer_accounting: t(&[(CBC, "AccountingCost")]),
        payment_terms: t(&[(CAC, "PaymentTerms"), (CBC, "Note")]),
        delivery_date: t(&[(CAC, "Delivery"), (CBC, "ActualDeliveryDate")]),
        delivery_country: t(&[
            (CAC, "Delivery"),
            (CAC, "DeliveryLocation"),
            (CAC, "Address"),
            (CAC, "Country"),
            (CBC, "IdentificationCode"),
        ]),
        // An invoice period holding only the VAT point date code (BT-8) is no period.
        period: child(root, (CAC, "InvoicePeriod")).and_then(|p| {
            let per = period(p)?;
            let code_only = per.start.is_none()
                && per.end.is_none()
                && text(p, &[(CBC, "DescriptionCode")]).is_some();
            (!code_only).then_some(per)
        }),
        ..Invoice::default()
    };
    for note in children(root, (CBC, "Note")) {
        if let Some(text) = own_text(note) {
            inv.notes.push(split_note(&text));
        }
    }
    for r in children(root, (CAC, "BillingReference")) {
        if let Some(d) = child(r, (CAC, "InvoiceDocumentReference")) {
            inv.preceding.push(Preceding {
                number: text(d, &[(CBC, "ID")]),
                date: text(d, &[(CBC, "IssueDate")]),
            });
        } else {
            inv.preceding.push(Preceding::default());
        }
    }
    for d in children(root, (CAC, "AdditionalDocumentReference")) {
        // Type code 130 is the invoiced object identifier (BT-18), not a document.
        if text(d, &[(CBC, "DocumentTypeCode")]).as_deref() == Some("130") {
            continue;
        }
        let bin = at(
            d,
            &[(CAC, "Attachment"), (CBC, "EmbeddedDocumentBinaryObject")],
        );
        inv.attachments.push(Attachment {
            id: text(d, &[(CBC, "ID")]),
            description: text(d, &[(CBC, "DocumentDescription")]),
            uri: text(
                d,
                &[
                    (CAC, "Attachment"),
                    (CAC, "ExternalReference"),
                    (CBC, "URI"),
                ],
            ),
            filename: bin
                .and_then(|b| b.attribute("filename"))
                .map(str::to_string),
            mime: bin
                .and_then(|b| b.attribute("mimeCode"))
                .map(str::to_string),
            embedded_bytes: bin.map(|b| base64_len(&own_text(b).unwrap_or_default())),
        });
    }
    if let Some(p) = at(root, &[(CAC, "AccountingSupplierParty"), (CAC, "Party")]) {
        inv.seller = party(p);
    }
    if let Some(p) = at(root, &[(CAC, "AccountingCustomerParty"), (CAC, "Party")]) {
        inv.buyer = party(p);
    }
    inv.payee = child(root, (CAC, "PayeeParty")).map(party);
    inv.tax_representative = child(root, (CAC, "TaxRepresentativeParty")).map(party);
    for pm in children(root, (CAC, "PaymentMeans")) {
        inv.payment_means.push(PaymentMeans {
            code: text(pm, &[(CBC, "PaymentMeansCode")]),
            text: attr(pm, &[(CBC, "PaymentMeansCode")], "name"),
            remittance: text(pm, &[(CBC, "PaymentID")]),
            accounts: children(pm, (CAC, "PayeeFinancialAccount"))
                .map(|a| text(a, &[(CBC, "ID")]).unwrap_or_default())
                .collect(),
            card: text(pm, &[(CAC, "CardAccount"), (CBC, "PrimaryAccountNumberID")]),
            mandate: text(pm, &[(CAC, "PaymentMandate"), (CBC, "ID")]),
        });
    }
    for ac in children(root, (CAC, "AllowanceCharge")) {
        inv.allowances_charges
            .push(allowance_charge(&mut n, ac, true));
    }
    for tt in children(root, (CAC, "TaxTotal")) {
        let amount_node = child(tt, (CBC, "TaxAmount"));
        let currency = amount_node
            .and_then(|a| a.attribute("currencyID"))
            .map(str::to_string);
        if let Some(amount) = amount_node.and_then(|a| n.of(a, "BT-110")) {
            inv.totals
                .place_vat(amount, currency, &inv.currency, &inv.vat_currency);
        }
        for sub in children(tt, (CAC, "TaxSubtotal")) {
            let cat = child(sub, (CAC, "TaxCategory"));
            inv.vat_breakdown.push(VatBreakdown {
                base: n.dec(sub, &[(CBC, "TaxableAmount")], "BT-116"),
                amount: n.dec(sub, &[(CBC, "TaxAmount")], "BT-117"),
                category: cat.and_then(|c| text(c, &[(CBC, "ID")])),
                rate: cat.and_then(|c| n.dec(c, &[(CBC, "Percent")], "BT-119")),
                exemption_reason: cat.and_then(|c| text(c, &[(CBC, "TaxExemptionReason")])),
                exemption_code: cat.and_then(|c| text(c, &[(CBC, "TaxExemptionReasonCode")])),
            });
        }
    }
    if let Some(m) = child(root, (CAC, "LegalMonetaryTotal")) {
        inv.totals.line_net = n.dec(m, &[(CBC, "LineExtensionAmount")], "BT-106");
        inv.totals.allowances = n.dec(m, &[(CBC, "AllowanceTotalAmount")], "BT-107");
        inv.totals.charges = n.dec(m, &[(CBC, "ChargeTotalAmount")], "BT-108");
        inv.totals.without_vat = n.dec(m, &[(CBC, "TaxExclusiveAmount")], "BT-109");
        inv.totals.with_vat = n.dec(m, &[(CBC, "TaxInclusiveAmount")], "BT-112");
        inv.totals.prepaid = n.dec(m, &[(CBC, "PrepaidAmount")], "BT-113");
        inv.totals.rounding = n.dec(m, &[(CBC, "PayableRoundingAmount")], "BT-114");
        inv.totals.payable = n.dec(m, &[(CBC, "PayableAmount")], "BT-115");
    }
    // Either kind of line is read whatever the root, as the artefacts do
    // (a credit note with invoice lines is then refused by the schema rules).
    for l in root
        .children()
        .filter(|c| is(*c, (CAC, "InvoiceLine")) || is(*c, (CAC, "CreditNoteLine")))
    {
        inv.lines.push(line(&mut n, l));
    }
    (inv, n.findings)
}

/// UBL notes may carry their subject code as `#AAI#text` (Peppol usage).
fn split_note(text: &str) -> Note {
    if let Some(rest) = text.strip_prefix('#')
        && let Some((code, body)) = rest.split_once('#')
        && (2..=3).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_uppercase())
    {
        return Note {
            subject: Some(code.to_string()),
            text: body.trim().to_string(),
        };
    }
    Note {
        subject: None,
        text: text.to_string(),
    }
}

/// Bytes a base64 text decodes to (whitespace ignored).
fn base64_len(b64: &str) -> usize {
    let chars = b64.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    let pad = b64.bytes().rev().take_while(|b| *b == b'=').count();
    (chars / 4 * 3).saturating_sub(pad)
}

fn period(p: Node<'_, '_>) -> Option<Period> {
    let start = text(p, &[(CBC, "StartDate")]);
    let end = text(p, &[(CBC, "EndDate")]);
    Some(Period { start, end })
}

fn id_of(n: Node<'_, '_>) -> Option<Id> {
    Some(Id {
        value: own_text(n)?,
        scheme: n.attribute("schemeID").map(str::to_string),
    })
}

fn party(p: Node<'_, '_>) -> Party {
    let mut out = Party {
        name: text(p, &[(CAC, "PartyLegalEntity"), (CBC, "RegistrationName")]),
        trading_name: text(p, &[(CAC, "PartyName"), (CBC, "Name")]),
        ids: children(p, (CAC, "PartyIdentification"))
            .filter_map(|i| child(i, (CBC, "ID")).and_then(id_of))
            .collect(),
        legal_id: at(p, &[(CAC, "PartyLegalEntity"), (CBC, "CompanyID")]).and_then(id_of),
        electronic_address: child(p, (CBC, "EndpointID")).and_then(id_of),
        address: child(p, (CAC, "PostalAddress")).map(address),
        contact: child(p, (CAC, "Contact")).and_then(|c| {
            let parts: Vec<String> = [
                text(c, &[(CBC, "Name")]),
                text(c, &[(CBC, "Telephone")]),
                text(c, &[(CBC, "ElectronicMail")]),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }),
        ..Party::default()
    };
    // Payee and tax representative carry their name in PartyName.
    if out.name.is_none() && p.tag_name().name() != "Party" {
        out.name = out.trading_name.take();
    }
    for ts in children(p, (CAC, "PartyTaxScheme")) {
        let scheme = text(ts, &[(CAC, "TaxScheme"), (CBC, "ID")]).unwrap_or_default();
        let id = text(ts, &[(CBC, "CompanyID")]);
        if scheme.eq_ignore_ascii_case("VAT") {
            out.vat_id = id;
        } else {
            out.tax_registration = id;
        }
    }
    out
}

fn address(a: Node<'_, '_>) -> Address {
    let mut lines: Vec<String> = [
        text(a, &[(CBC, "StreetName")]),
        text(a, &[(CBC, "AdditionalStreetName")]),
    ]
    .into_iter()
    .flatten()
    .collect();
    for l in children(a, (CAC, "AddressLine")) {
        if let Some(t) = text(l, &[(CBC, "Line")]) {
            lines.push(t);
        }
    }
    Address {
        lines,
        city: text(a, &[(CBC, "CityName")]),
        postcode: text(a, &[(CBC, "PostalZone")]),
        subdivision: text(a, &[(CBC, "CountrySubentity")]),
        country: text(a, &[(CAC, "Country"), (CBC, "IdentificationCode")]),
    }
}

fn allowance_charge(n: &mut Numbers, ac: Node<'_, '_>, document: bool) -> AllowanceCharge {
    let charge = text(ac, &[(CBC, "ChargeIndicator")])
        .is_some_and(|c| c.eq_ignore_ascii_case("true") || c == "1");
    let (amount, base, percent) = match (document, charge) {
        (true, false) => ("BT-92", "BT-93", "BT-94"),
        (true, true) => ("BT-99", "BT-100", "BT-101"),
        (false, false) => ("BT-136", "BT-137", "BT-138"),
        (false, true) => ("BT-141", "BT-142", "BT-143"),
    };
    let cat = child(ac, (CAC, "TaxCategory"));
    AllowanceCharge {
        charge,
        amount: n.dec(ac, &[(CBC, "Amount")], amount),
        base: n.dec(ac, &[(CBC, "BaseAmount")], base),
        percent: n.dec(ac, &[(CBC, "MultiplierFactorNumeric")], percent),
        vat_category: cat.and_then(|c| text(c, &[(CBC, "ID")])),
        vat_rate: cat.and_then(|c| n.dec(c, &[(CBC, "Percent")], "BT-96")),
        reason: text(ac, &[(CBC, "AllowanceChargeReason")]),
        reason_code: text(ac, &[(CBC, "AllowanceChargeReasonCode")]),
    }
}

fn line(n: &mut Numbers, l: Node<'_, '_>) -> Line {
    let q = child(l, (CBC, "InvoicedQuantity")).or_else(|| child(l, (CBC, "CreditedQuantity")));
    let item = child(l, (CAC, "Item"));
    let price = child(l, (CAC, "Price"));
    let tax = item.and_then(|i| child(i, (CAC, "ClassifiedTaxCategory")));
    let price_ac = price.and_then(|p| child(p, (CAC, "AllowanceCharge")));
    Line {
        id: text(l, &[(CBC, "ID")]),
        note: text(l, &[(CBC, "Note")]),
        quantity: q.and_then(|q| n.of(q, "BT-129")),
        unit: q
            .and_then(|q| q.attribute("unitCode"))
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty()),
        net: n.dec(l, &[(CBC, "LineExtensionAmount")], "BT-131"),
        order_line: text(l, &[(CAC, "OrderLineReference"), (CBC, "LineID")]),
        period: child(l, (CAC, "InvoicePeriod")).and_then(period),
        allowances_charges: children(l, (CAC, "AllowanceCharge"))
            .map(|ac| allowance_charge(n, ac, false))
            .collect(),
        net_price: price.and_then(|p| n.dec(p, &[(CBC, "PriceAmount")], "BT-146")),
        price_discount: price_ac.and_then(|a| n.dec(a, &[(CBC, "Amount")], "BT-147")),
        gross_price: price_ac.and_then(|a| n.dec(a, &[(CBC, "BaseAmount")], "BT-148")),
        base_quantity: price.and_then(|p| n.dec(p, &[(CBC, "BaseQuantity")], "BT-149")),
        vat_category: tax.and_then(|t| text(t, &[(CBC, "ID")])),
        vat_rate: tax.and_then(|t| n.dec(t, &[(CBC, "Percent")], "BT-152")),
        name: item.and_then(|i| text(i, &[(CBC, "Name")])),
        description: item.and_then(|i| text(i, &[(CBC, "Description")])),
        seller_item_id: item
            .and_then(|i| text(i, &[(CAC, "SellersItemIdentification"), (CBC, "ID")])),
        standard_id: item
            .and_then(|i| at(i, &[(CAC, "StandardItemIdentification"), (CBC, "ID")]))
            .and_then(id_of),
    }
}
