//! Reading UN/CEFACT CII D16B `CrossIndustryInvoice` into the model, along
//! the EN 16931 CII binding; Factur-X profiles from Minimum to Extended use
//! the same elements (the smaller profiles simply leave some out).

use super::findings::Finding;
use super::model::*;
use super::xpath::{Numbers, RAM, RSM, Step, UDT, at, attr, child, children, own_text, text};
use roxmltree::Node;

/// Reads a CII document whose root is `rsm:CrossIndustryInvoice`.
pub fn read(root: Node<'_, '_>) -> (Invoice, Vec<Finding>) {
    let mut n = Numbers::default();
    let ctx = child(root, (RSM, "ExchangedDocumentContext"));
    let doc = child(root, (RSM, "ExchangedDocument"));
    let tx = child(root, (RSM, "SupplyChainTradeTransaction"));
    let agreement = tx.and_then(|t| child(t, (RAM, "ApplicableHeaderTradeAgreement")));
    let delivery = tx.and_then(|t| child(t, (RAM, "ApplicableHeaderTradeDelivery")));
    let settlement = tx.and_then(|t| child(t, (RAM, "ApplicableHeaderTradeSettlement")));
    let on = |node: Option<Node<'_, '_>>, path: &[Step]| node.and_then(|x| text(x, path));
    let terms = settlement.and_then(|s| child(s, (RAM, "SpecifiedTradePaymentTerms")));
    let mut inv = Invoice {
        syntax: Syntax::Cii,
        specification: on(
            ctx,
            &[
                (RAM, "GuidelineSpecifiedDocumentContextParameter"),
                (RAM, "ID"),
            ],
        ),
        process: on(
            ctx,
            &[
                (RAM, "BusinessProcessSpecifiedDocumentContextParameter"),
                (RAM, "ID"),
            ],
        ),
        number: on(doc, &[(RAM, "ID")]),
        issue_date: doc.and_then(|d| date(d, &[(RAM, "IssueDateTime")])),
        type_code: on(doc, &[(RAM, "TypeCode")]),
        currency: on(settlement, &[(RAM, "InvoiceCurrencyCode")]),
        vat_currency: on(settlement, &[(RAM, "TaxCurrencyCode")]),
        due_date: terms.and_then(|t| date(t, &[(RAM, "DueDateDateTime")])),
        payment_terms: terms.and_then(|t| text(t, &[(RAM, "Description")])),
        buyer_reference: on(agreement, &[(RAM, "BuyerReference")]),
        project: on(
            agreement,
            &[(RAM, "SpecifiedProcuringProject"), (RAM, "ID")],
        ),
        contract: on(
            agreement,
            &[
                (RAM, "ContractReferencedDocument"),
                (RAM, "IssuerAssignedID"),
            ],
        ),
        order: on(
            agreement,
            &[
                (RAM, "BuyerOrderReferencedDocument"),
                (RAM, "IssuerAssignedID"),
            ],
        ),
        sales_order: on(
            agreement,
            &[
                (RAM, "SellerOrderReferencedDocument"),
                (RAM, "IssuerAssignedID"),
            ],
        ),
        buyer_accounting: on(
            settlement,
            &[
                (RAM, "ReceivableSpecifiedTradeAccountingAccount"),
                (RAM, "ID"),
            ],
        ),
        delivery_date: delivery.and_then(|d| {
            date(
                d,
                &[
                    (RAM, "ActualDeliverySupplyChainEvent"),
                    (RAM, "OccurrenceDateTime"),
                ],
            )
        }),
        delivery_country: on(
            delivery,
            &[
                (RAM, "ShipToTradeParty"),
                (RAM, "PostalTradeAddress"),
                (RAM, "CountryID"),
            ],
        ),
        period: settlement
            .and_then(|s| child(s, (RAM, "BillingSpecifiedPeriod")))
            .map(period),
        ..Invoice::default()
    };
    if let Some(d) = doc {
        for note in children(d, (RAM, "IncludedNote")) {
            if let Some(t) = text(note, &[(RAM, "Content")]) {
                inv.notes.push(Note {
                    subject: text(note, &[(RAM, "SubjectCode")]),
                    text: t,
                });
            }
        }
    }
    if let Some(a) = agreement {
        if let Some(p) = child(a, (RAM, "SellerTradeParty")) {
            inv.seller = party(p);
        }
        if let Some(p) = child(a, (RAM, "BuyerTradeParty")) {
            inv.buyer = party(p);
        }
        inv.tax_representative = child(a, (RAM, "SellerTaxRepresentativeTradeParty")).map(party);
        for d in children(a, (RAM, "AdditionalReferencedDocument")) {
            // 916 is a supporting document; 130 (invoiced object) and 50
            // (tender) are references, not attachments.
            if matches!(text(d, &[(RAM, "TypeCode")]).as_deref(), Some("130" | "50")) {
                continue;
            }
            let bin = child(d, (RAM, "AttachmentBinaryObject"));
            inv.attachments.push(Attachment {
                id: text(d, &[(RAM, "IssuerAssignedID")]),
                description: text(d, &[(RAM, "Name")]),
                uri: text(d, &[(RAM, "URIID")]),
                filename: bin
                    .and_then(|b| b.attribute("filename"))
                    .map(str::to_string),
                mime: bin
                    .and_then(|b| b.attribute("mimeCode"))
                    .map(str::to_string),
                embedded_bytes: bin.map(|b| {
                    let t = own_text(b).unwrap_or_default();
                    let chars = t.bytes().filter(|c| !c.is_ascii_whitespace()).count();
                    let pad = t.bytes().rev().take_while(|c| *c == b'=').count();
                    (chars / 4 * 3).saturating_sub(pad)
                }),
            });
        }
    }
    if let Some(s) = settlement {
        inv.payee = child(s, (RAM, "PayeeTradeParty")).map(party);
        let remittance = text(s, &[(RAM, "PaymentReference")]);
        for pm in children(s, (RAM, "SpecifiedTradeSettlementPaymentMeans")) {
            let mut accounts = Vec::new();
            for a in children(pm, (RAM, "PayeePartyCreditorFinancialAccount")) {
                accounts.push(
                    text(a, &[(RAM, "IBANID")])
                        .or_else(|| text(a, &[(RAM, "ProprietaryID")]))
                        .unwrap_or_default(),
                );
            }
            inv.payment_means.push(PaymentMeans {
                code: text(pm, &[(RAM, "TypeCode")]),
                text: text(pm, &[(RAM, "Information")]),
                remittance: remittance.clone(),
                accounts,
                card: text(
                    pm,
                    &[(RAM, "ApplicableTradeSettlementFinancialCard"), (RAM, "ID")],
                ),
                mandate: terms.and_then(|t| text(t, &[(RAM, "DirectDebitMandateID")])),
            });
        }
        for tax in children(s, (RAM, "ApplicableTradeTax")) {
            if inv.tax_point_date.is_none() {
                inv.tax_point_date = at(tax, &[(RAM, "TaxPointDate"), (UDT, "DateString")])
                    .and_then(own_text)
                    .map(|d| iso_date(&d));
            }
            if inv.tax_point_code.is_none() {
                inv.tax_point_code = text(tax, &[(RAM, "DueDateTypeCode")]);
            }
            inv.vat_breakdown.push(VatBreakdown {
                base: n.dec(tax, &[(RAM, "BasisAmount")], "BT-116"),
                amount: n.dec(tax, &[(RAM, "CalculatedAmount")], "BT-117"),
                category: text(tax, &[(RAM, "CategoryCode")]),
                rate: n.dec(tax, &[(RAM, "RateApplicablePercent")], "BT-119"),
                exemption_reason: text(tax, &[(RAM, "ExemptionReason")]),
                exemption_code: text(tax, &[(RAM, "ExemptionReasonCode")]),
            });
        }
        for ac in children(s, (RAM, "SpecifiedTradeAllowanceCharge")) {
            inv.allowances_charges
                .push(allowance_charge(&mut n, ac, true));
        }
        if let Some(m) = child(s, (RAM, "SpecifiedTradeSettlementHeaderMonetarySummation")) {
            let t = &mut inv.totals;
            t.line_net = n.dec(m, &[(RAM, "LineTotalAmount")], "BT-106");
            t.charges = n.dec(m, &[(RAM, "ChargeTotalAmount")], "BT-108");
            t.allowances = n.dec(m, &[(RAM, "AllowanceTotalAmount")], "BT-107");
            t.without_vat = n.dec(m, &[(RAM, "TaxBasisTotalAmount")], "BT-109");
            for vat in children(m, (RAM, "TaxTotalAmount")) {
                let currency = vat.attribute("currencyID").map(str::to_string);
                if let Some(v) = n.of(vat, "BT-110") {
                    inv.totals
                        .place_vat(v, currency, &inv.currency, &inv.vat_currency);
                }
            }
            let t = &mut inv.totals;
            t.rounding = n.dec(m, &[(RAM, "RoundingAmount")], "BT-114");
            t.with_vat = n.dec(m, &[(RAM, "GrandTotalAmount")], "BT-112");
            t.prepaid = n.dec(m, &[(RAM, "TotalPrepaidAmount")], "BT-113");
            t.payable = n.dec(m, &[(RAM, "DuePayableAmount")], "BT-115");
        }
        for r in children(s, (RAM, "InvoiceReferencedDocument")) {
            inv.preceding.push(Preceding {
                number: text(r, &[(RAM, "IssuerAssignedID")]),
                date: date(r, &[(RAM, "FormattedIssueDateTime")]),
            });
        }
    }
    if let Some(t) = tx {
        for item in children(t, (RAM, "IncludedSupplyChainTradeLineItem")) {
            inv.lines.push(line(&mut n, item));
        }
    }
    (inv, n.findings)
}

/// `20130410` (format 102) as `2013-04-10`; other forms are kept as given.
fn iso_date(raw: &str) -> String {
    if raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &raw[..4], &raw[4..6], &raw[6..])
    } else {
        raw.to_string()
    }
}

/// A `udt:DateTimeString` (or `qdt:DateTimeString`) under `path`.
fn date(node: Node<'_, '_>, path: &[Step]) -> Option<String> {
    let holder = at(node, path)?;
    holder
        .children()
        .find(|c| c.is_element() && c.tag_name().name() == "DateTimeString")
        .and_then(own_text)
        .map(|d| iso_date(&d))
}

fn period(p: Node<'_, '_>) -> Period {
    Period {
        start: date(p, &[(RAM, "StartDateTime")]),
        end: date(p, &[(RAM, "EndDateTime")]),
    }
}

fn id_of(n: Node<'_, '_>) -> Option<Id> {
    Some(Id {
        value: own_text(n)?,
        scheme: n.attribute("schemeID").map(str::to_string),
    })
}

fn party(p: Node<'_, '_>) -> Party {
    let mut out = Party {
        name: text(p, &[(RAM, "Name")]),
        trading_name: text(
            p,
            &[
                (RAM, "SpecifiedLegalOrganization"),
                (RAM, "TradingBusinessName"),
            ],
        ),
        ids: children(p, (RAM, "ID"))
            .chain(children(p, (RAM, "GlobalID")))
            .filter_map(id_of)
            .collect(),
        legal_id: at(p, &[(RAM, "SpecifiedLegalOrganization"), (RAM, "ID")]).and_then(id_of),
        electronic_address: at(p, &[(RAM, "URIUniversalCommunication"), (RAM, "URIID")])
            .and_then(id_of),
        address: child(p, (RAM, "PostalTradeAddress")).map(|a| Address {
            lines: [
                text(a, &[(RAM, "LineOne")]),
                text(a, &[(RAM, "LineTwo")]),
                text(a, &[(RAM, "LineThree")]),
            ]
            .into_iter()
            .flatten()
            .collect(),
            city: text(a, &[(RAM, "CityName")]),
            postcode: text(a, &[(RAM, "PostcodeCode")]),
            subdivision: text(a, &[(RAM, "CountrySubDivisionName")]),
            country: text(a, &[(RAM, "CountryID")]),
        }),
        contact: child(p, (RAM, "DefinedTradeContact")).and_then(|c| {
            let parts: Vec<String> = [
                text(c, &[(RAM, "PersonName")]),
                text(
                    c,
                    &[
                        (RAM, "TelephoneUniversalCommunication"),
                        (RAM, "CompleteNumber"),
                    ],
                ),
                text(
                    c,
                    &[(RAM, "EmailURIUniversalCommunication"), (RAM, "URIID")],
                ),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }),
        ..Party::default()
    };
    for reg in children(p, (RAM, "SpecifiedTaxRegistration")) {
        let scheme = attr(reg, &[(RAM, "ID")], "schemeID").unwrap_or_default();
        let id = text(reg, &[(RAM, "ID")]);
        if scheme == "VA" {
            out.vat_id = id;
        } else {
            out.tax_registration = id;
        }
    }
    out
}

fn indicator(ac: Node<'_, '_>) -> bool {
    at(ac, &[(RAM, "ChargeIndicator"), (UDT, "Indicator")])
        .and_then(own_text)
        .is_some_and(|c| c.eq_ignore_ascii_case("true") || c == "1")
}

fn allowance_charge(n: &mut Numbers, ac: Node<'_, '_>, document: bool) -> AllowanceCharge {
    let charge = indicator(ac);
    let (amount, base, percent) = match (document, charge) {
        (true, false) => ("BT-92", "BT-93", "BT-94"),
        (true, true) => ("BT-99", "BT-100", "BT-101"),
        (false, false) => ("BT-136", "BT-137", "BT-138"),
        (false, true) => ("BT-141", "BT-142", "BT-143"),
    };
    let cat = child(ac, (RAM, "CategoryTradeTax"));
    AllowanceCharge {
        charge,
        amount: n.dec(ac, &[(RAM, "ActualAmount")], amount),
        base: n.dec(ac, &[(RAM, "BasisAmount")], base),
        percent: n.dec(ac, &[(RAM, "CalculationPercent")], percent),
        vat_category: cat.and_then(|c| text(c, &[(RAM, "CategoryCode")])),
        vat_rate: cat.and_then(|c| n.dec(c, &[(RAM, "RateApplicablePercent")], "BT-96")),
        reason: text(ac, &[(RAM, "Reason")]),
        reason_code: text(ac, &[(RAM, "ReasonCode")]),
    }
}

fn line(n: &mut Numbers, item: Node<'_, '_>) -> Line {
    let doc = child(item, (RAM, "AssociatedDocumentLineDocument"));
    let product = child(item, (RAM, "SpecifiedTradeProduct"));
    let agreement = child(item, (RAM, "SpecifiedLineTradeAgreement"));
    let gross = agreement.and_then(|a| child(a, (RAM, "GrossPriceProductTradePrice")));
    let net_price = agreement.and_then(|a| child(a, (RAM, "NetPriceProductTradePrice")));
    let q = at(
        item,
        &[(RAM, "SpecifiedLineTradeDelivery"), (RAM, "BilledQuantity")],
    );
    let settlement = child(item, (RAM, "SpecifiedLineTradeSettlement"));
    let tax = settlement.and_then(|s| child(s, (RAM, "ApplicableTradeTax")));
    let on = |node: Option<Node<'_, '_>>, path: &[Step]| node.and_then(|x| text(x, path));
    Line {
        id: on(doc, &[(RAM, "LineID")]),
        note: on(doc, &[(RAM, "IncludedNote"), (RAM, "Content")]),
        quantity: q.and_then(|q| n.of(q, "BT-129")),
        unit: q
            .and_then(|q| q.attribute("unitCode"))
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty()),
        net: settlement.and_then(|s| {
            n.dec(
                s,
                &[
                    (RAM, "SpecifiedTradeSettlementLineMonetarySummation"),
                    (RAM, "LineTotalAmount"),
                ],
                "BT-131",
            )
        }),
        order_line: on(
            agreement,
            &[(RAM, "BuyerOrderReferencedDocument"), (RAM, "LineID")],
        ),
        period: settlement
            .and_then(|s| child(s, (RAM, "BillingSpecifiedPeriod")))
            .map(period),
        allowances_charges: settlement
            .map(|s| {
                children(s, (RAM, "SpecifiedTradeAllowanceCharge"))
                    .map(|ac| allowance_charge(n, ac, false))
                    .collect()
            })
            .unwrap_or_default(),
        net_price: net_price.and_then(|p| n.dec(p, &[(RAM, "ChargeAmount")], "BT-146")),
        price_discount: gross.and_then(|g| {
            n.dec(
                g,
                &[(RAM, "AppliedTradeAllowanceCharge"), (RAM, "ActualAmount")],
                "BT-147",
            )
        }),
        gross_price: gross.and_then(|g| n.dec(g, &[(RAM, "ChargeAmount")], "BT-148")),
        base_quantity: net_price
            .and_then(|p| n.dec(p, &[(RAM, "BasisQuantity")], "BT-149"))
            .or_else(|| gross.and_then(|g| n.dec(g, &[(RAM, "BasisQuantity")], "BT-149"))),
        vat_category: tax.and_then(|t| text(t, &[(RAM, "CategoryCode")])),
        vat_rate: tax.and_then(|t| n.dec(t, &[(RAM, "RateApplicablePercent")], "BT-152")),
        name: on(product, &[(RAM, "Name")]),
        description: on(product, &[(RAM, "Description")]),
        seller_item_id: on(product, &[(RAM, "SellerAssignedID")]),
        standard_id: product
            .and_then(|p| child(p, (RAM, "GlobalID")))
            .and_then(id_of),
    }
}
