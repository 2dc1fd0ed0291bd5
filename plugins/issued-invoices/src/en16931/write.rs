//! Writing the model back as UBL 2.1 or CII D16B, along the same bindings
//! the readers follow. The round-trip tests prove reader and writer agree
//! (model → XML → model is the identity); the demo uses it to produce
//! sample deposits.

use super::decimal::Dec;
use super::model::*;

/// A small XML writer: elements with escaped text and attributes.
struct W {
    out: String,
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

impl W {
    fn open(&mut self, tag: &str) {
        self.out.push_str(&format!("<{tag}>"));
    }
    fn close(&mut self, tag: &str) {
        self.out.push_str(&format!("</{tag}>"));
    }
    fn leaf_attrs(&mut self, tag: &str, attrs: &[(&str, Option<&str>)], text: &str) {
        self.out.push_str(&format!("<{tag}"));
        for (k, v) in attrs {
            if let Some(v) = v {
                self.out.push_str(&format!(" {k}=\"{}\"", escape(v)));
            }
        }
        self.out.push_str(&format!(">{}</{tag}>", escape(text)));
    }
    fn leaf(&mut self, tag: &str, text: &str) {
        self.leaf_attrs(tag, &[], text);
    }
    fn opt(&mut self, tag: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.leaf(tag, v);
        }
    }
    fn dec(&mut self, tag: &str, v: Option<Dec>) {
        if let Some(v) = v {
            self.leaf(tag, &v.to_string());
        }
    }
    fn amount(&mut self, tag: &str, v: Option<Dec>, currency: Option<&str>) {
        if let Some(v) = v {
            self.leaf_attrs(tag, &[("currencyID", currency)], &v.to_string());
        }
    }
    fn id(&mut self, tag: &str, id: &Option<Id>) {
        if let Some(id) = id {
            self.leaf_attrs(tag, &[("schemeID", id.scheme.as_deref())], &id.value);
        }
    }
}

/// Base64 of `n` zero bytes: stands for an embedded file's content, of
/// which the model keeps only the size.
fn zeros_base64(n: usize) -> String {
    let mut s = "AAAA".repeat(n / 3);
    match n % 3 {
        1 => s.push_str("AA=="),
        2 => s.push_str("AAA="),
        _ => {}
    }
    s
}

/// The invoice as a UBL 2.1 `Invoice` (or `CreditNote`) document.
pub fn ubl(inv: &Invoice) -> String {
    let (root, ns, type_tag, line_tag, qty_tag) = if inv.credit_note {
        (
            "CreditNote",
            "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
            "cbc:CreditNoteTypeCode",
            "cac:CreditNoteLine",
            "cbc:CreditedQuantity",
        )
    } else {
        (
            "Invoice",
            "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
            "cbc:InvoiceTypeCode",
            "cac:InvoiceLine",
            "cbc:InvoicedQuantity",
        )
    };
    let cur = inv.currency.as_deref();
    let mut w = W {
        out: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{ns}\" xmlns:cac=\"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\" xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">"
        ),
    };
    w.opt("cbc:CustomizationID", &inv.specification);
    w.opt("cbc:ProfileID", &inv.process);
    w.opt("cbc:ID", &inv.number);
    w.opt("cbc:IssueDate", &inv.issue_date);
    if !inv.credit_note {
        w.opt("cbc:DueDate", &inv.due_date);
    }
    w.opt(type_tag, &inv.type_code);
    for n in &inv.notes {
        match &n.subject {
            Some(s) => w.leaf("cbc:Note", &format!("#{s}#{}", n.text)),
            None => w.leaf("cbc:Note", &n.text),
        }
    }
    w.opt("cbc:TaxPointDate", &inv.tax_point_date);
    w.opt("cbc:DocumentCurrencyCode", &inv.currency);
    w.opt("cbc:TaxCurrencyCode", &inv.vat_currency);
    w.opt("cbc:AccountingCost", &inv.buyer_accounting);
    w.opt("cbc:BuyerReference", &inv.buyer_reference);
    if inv.period.is_some() || inv.tax_point_code.is_some() {
        w.open("cac:InvoicePeriod");
        if let Some(p) = &inv.period {
            w.opt("cbc:StartDate", &p.start);
            w.opt("cbc:EndDate", &p.end);
        }
        w.opt("cbc:DescriptionCode", &inv.tax_point_code);
        w.close("cac:InvoicePeriod");
    }
    if inv.order.is_some() || inv.sales_order.is_some() {
        w.open("cac:OrderReference");
        w.leaf("cbc:ID", inv.order.as_deref().unwrap_or("NA"));
        w.opt("cbc:SalesOrderID", &inv.sales_order);
        w.close("cac:OrderReference");
    }
    for p in &inv.preceding {
        w.open("cac:BillingReference");
        w.open("cac:InvoiceDocumentReference");
        w.opt("cbc:ID", &p.number);
        w.opt("cbc:IssueDate", &p.date);
        w.close("cac:InvoiceDocumentReference");
        w.close("cac:BillingReference");
    }
    if let Some(c) = &inv.contract {
        w.open("cac:ContractDocumentReference");
        w.leaf("cbc:ID", c);
        w.close("cac:ContractDocumentReference");
    }
    for a in &inv.attachments {
        w.open("cac:AdditionalDocumentReference");
        w.opt("cbc:ID", &a.id);
        w.opt("cbc:DocumentDescription", &a.description);
        if a.embedded_bytes.is_some() || a.uri.is_some() {
            w.open("cac:Attachment");
            if let Some(n) = a.embedded_bytes {
                w.leaf_attrs(
                    "cbc:EmbeddedDocumentBinaryObject",
                    &[
                        ("mimeCode", a.mime.as_deref()),
                        ("filename", a.filename.as_deref()),
                    ],
                    &zeros_base64(n),
                );
            }
            if let Some(u) = &a.uri {
                w.open("cac:ExternalReference");
                w.leaf("cbc:URI", u);
                w.close("cac:ExternalReference");
            }
            w.close("cac:Attachment");
        }
        w.close("cac:AdditionalDocumentReference");
    }
    if let Some(p) = &inv.project {
        w.open("cac:ProjectReference");
        w.leaf("cbc:ID", p);
        w.close("cac:ProjectReference");
    }
    w.open("cac:AccountingSupplierParty");
    ubl_party(&mut w, &inv.seller, "cac:Party");
    w.close("cac:AccountingSupplierParty");
    w.open("cac:AccountingCustomerParty");
    ubl_party(&mut w, &inv.buyer, "cac:Party");
    w.close("cac:AccountingCustomerParty");
    if let Some(p) = &inv.payee {
        ubl_party(&mut w, p, "cac:PayeeParty");
    }
    if let Some(p) = &inv.tax_representative {
        ubl_party(&mut w, p, "cac:TaxRepresentativeParty");
    }
    if inv.delivery_date.is_some() || inv.delivery_country.is_some() {
        w.open("cac:Delivery");
        w.opt("cbc:ActualDeliveryDate", &inv.delivery_date);
        if let Some(c) = &inv.delivery_country {
            w.open("cac:DeliveryLocation");
            w.open("cac:Address");
            w.open("cac:Country");
            w.leaf("cbc:IdentificationCode", c);
            w.close("cac:Country");
            w.close("cac:Address");
            w.close("cac:DeliveryLocation");
        }
        w.close("cac:Delivery");
    }
    for (i, pm) in inv.payment_means.iter().enumerate() {
        w.open("cac:PaymentMeans");
        if let Some(c) = &pm.code {
            w.leaf_attrs("cbc:PaymentMeansCode", &[("name", pm.text.as_deref())], c);
        }
        if i == 0 && inv.credit_note {
            w.opt("cbc:PaymentDueDate", &inv.due_date);
        }
        w.opt("cbc:PaymentID", &pm.remittance);
        if let Some(c) = &pm.card {
            w.open("cac:CardAccount");
            w.leaf("cbc:PrimaryAccountNumberID", c);
            w.close("cac:CardAccount");
        }
        for a in &pm.accounts {
            w.open("cac:PayeeFinancialAccount");
            w.leaf("cbc:ID", a);
            w.close("cac:PayeeFinancialAccount");
        }
        if let Some(m) = &pm.mandate {
            w.open("cac:PaymentMandate");
            w.leaf("cbc:ID", m);
            w.close("cac:PaymentMandate");
        }
        w.close("cac:PaymentMeans");
    }
    if let Some(t) = &inv.payment_terms {
        w.open("cac:PaymentTerms");
        w.leaf("cbc:Note", t);
        w.close("cac:PaymentTerms");
    }
    for ac in &inv.allowances_charges {
        ubl_allowance_charge(&mut w, ac, cur);
    }
    if inv.totals.vat.is_some() || !inv.vat_breakdown.is_empty() {
        w.open("cac:TaxTotal");
        w.amount("cbc:TaxAmount", inv.totals.vat, cur);
        for b in &inv.vat_breakdown {
            w.open("cac:TaxSubtotal");
            w.amount("cbc:TaxableAmount", b.base, cur);
            w.amount("cbc:TaxAmount", b.amount, cur);
            w.open("cac:TaxCategory");
            w.opt("cbc:ID", &b.category);
            w.dec("cbc:Percent", b.rate);
            w.opt("cbc:TaxExemptionReasonCode", &b.exemption_code);
            w.opt("cbc:TaxExemptionReason", &b.exemption_reason);
            vat_scheme(&mut w);
            w.close("cac:TaxCategory");
            w.close("cac:TaxSubtotal");
        }
        w.close("cac:TaxTotal");
    }
    if inv.totals.vat_accounting.is_some() {
        w.open("cac:TaxTotal");
        w.amount(
            "cbc:TaxAmount",
            inv.totals.vat_accounting,
            inv.vat_currency.as_deref(),
        );
        w.close("cac:TaxTotal");
    }
    let t = &inv.totals;
    w.open("cac:LegalMonetaryTotal");
    w.amount("cbc:LineExtensionAmount", t.line_net, cur);
    w.amount("cbc:TaxExclusiveAmount", t.without_vat, cur);
    w.amount("cbc:TaxInclusiveAmount", t.with_vat, cur);
    w.amount("cbc:AllowanceTotalAmount", t.allowances, cur);
    w.amount("cbc:ChargeTotalAmount", t.charges, cur);
    w.amount("cbc:PrepaidAmount", t.prepaid, cur);
    w.amount("cbc:PayableRoundingAmount", t.rounding, cur);
    w.amount("cbc:PayableAmount", t.payable, cur);
    w.close("cac:LegalMonetaryTotal");
    for l in &inv.lines {
        w.open(line_tag);
        w.opt("cbc:ID", &l.id);
        w.opt("cbc:Note", &l.note);
        if let Some(q) = l.quantity {
            w.leaf_attrs(qty_tag, &[("unitCode", l.unit.as_deref())], &q.to_string());
        }
        w.amount("cbc:LineExtensionAmount", l.net, cur);
        if let Some(p) = &l.period {
            w.open("cac:InvoicePeriod");
            w.opt("cbc:StartDate", &p.start);
            w.opt("cbc:EndDate", &p.end);
            w.close("cac:InvoicePeriod");
        }
        if let Some(o) = &l.order_line {
            w.open("cac:OrderLineReference");
            w.leaf("cbc:LineID", o);
            w.close("cac:OrderLineReference");
        }
        for ac in &l.allowances_charges {
            ubl_allowance_charge(&mut w, ac, cur);
        }
        w.open("cac:Item");
        w.opt("cbc:Description", &l.description);
        w.opt("cbc:Name", &l.name);
        if let Some(s) = &l.seller_item_id {
            w.open("cac:SellersItemIdentification");
            w.leaf("cbc:ID", s);
            w.close("cac:SellersItemIdentification");
        }
        if l.standard_id.is_some() {
            w.open("cac:StandardItemIdentification");
            w.id("cbc:ID", &l.standard_id);
            w.close("cac:StandardItemIdentification");
        }
        if l.vat_category.is_some() || l.vat_rate.is_some() {
            w.open("cac:ClassifiedTaxCategory");
            w.opt("cbc:ID", &l.vat_category);
            w.dec("cbc:Percent", l.vat_rate);
            vat_scheme(&mut w);
            w.close("cac:ClassifiedTaxCategory");
        }
        w.close("cac:Item");
        if l.net_price.is_some()
            || l.base_quantity.is_some()
            || l.price_discount.is_some()
            || l.gross_price.is_some()
        {
            w.open("cac:Price");
            w.amount("cbc:PriceAmount", l.net_price, cur);
            w.dec("cbc:BaseQuantity", l.base_quantity);
            if l.price_discount.is_some() || l.gross_price.is_some() {
                w.open("cac:AllowanceCharge");
                w.leaf("cbc:ChargeIndicator", "false");
                w.amount("cbc:Amount", l.price_discount, cur);
                w.amount("cbc:BaseAmount", l.gross_price, cur);
                w.close("cac:AllowanceCharge");
            }
            w.close("cac:Price");
        }
        w.close(line_tag);
    }
    w.out.push_str(&format!("</{root}>\n"));
    w.out
}

fn vat_scheme(w: &mut W) {
    w.open("cac:TaxScheme");
    w.leaf("cbc:ID", "VAT");
    w.close("cac:TaxScheme");
}

fn ubl_allowance_charge(w: &mut W, ac: &AllowanceCharge, cur: Option<&str>) {
    w.open("cac:AllowanceCharge");
    w.leaf(
        "cbc:ChargeIndicator",
        if ac.charge { "true" } else { "false" },
    );
    w.opt("cbc:AllowanceChargeReasonCode", &ac.reason_code);
    w.opt("cbc:AllowanceChargeReason", &ac.reason);
    w.dec("cbc:MultiplierFactorNumeric", ac.percent);
    w.amount("cbc:Amount", ac.amount, cur);
    w.amount("cbc:BaseAmount", ac.base, cur);
    if ac.vat_category.is_some() || ac.vat_rate.is_some() {
        w.open("cac:TaxCategory");
        w.opt("cbc:ID", &ac.vat_category);
        w.dec("cbc:Percent", ac.vat_rate);
        vat_scheme(w);
        w.close("cac:TaxCategory");
    }
    w.close("cac:AllowanceCharge");
}

fn ubl_party(w: &mut W, p: &Party, tag: &str) {
    w.open(tag);
    let main = tag == "cac:Party";
    w.id("cbc:EndpointID", &p.electronic_address);
    for id in &p.ids {
        w.open("cac:PartyIdentification");
        w.id("cbc:ID", &Some(id.clone()));
        w.close("cac:PartyIdentification");
    }
    // The seller and buyer have a registration name and a trading name;
    // the payee and tax representative only a name (in PartyName).
    let party_name = if main { &p.trading_name } else { &p.name };
    if let Some(n) = party_name {
        w.open("cac:PartyName");
        w.leaf("cbc:Name", n);
        w.close("cac:PartyName");
    }
    if let Some(a) = &p.address {
        w.open("cac:PostalAddress");
        let mut lines = a.lines.iter();
        if let Some(l) = lines.next() {
            w.leaf("cbc:StreetName", l);
        }
        if let Some(l) = lines.next() {
            w.leaf("cbc:AdditionalStreetName", l);
        }
        w.opt("cbc:CityName", &a.city);
        w.opt("cbc:PostalZone", &a.postcode);
        w.opt("cbc:CountrySubentity", &a.subdivision);
        for l in lines {
            w.open("cac:AddressLine");
            w.leaf("cbc:Line", l);
            w.close("cac:AddressLine");
        }
        if let Some(c) = &a.country {
            w.open("cac:Country");
            w.leaf("cbc:IdentificationCode", c);
            w.close("cac:Country");
        }
        w.close("cac:PostalAddress");
    }
    for (id, scheme) in [(&p.vat_id, "VAT"), (&p.tax_registration, "TAX")] {
        if let Some(id) = id {
            w.open("cac:PartyTaxScheme");
            w.leaf("cbc:CompanyID", id);
            w.open("cac:TaxScheme");
            w.leaf("cbc:ID", scheme);
            w.close("cac:TaxScheme");
            w.close("cac:PartyTaxScheme");
        }
    }
    let registration = if main { &p.name } else { &None };
    if registration.is_some() || p.legal_id.is_some() {
        w.open("cac:PartyLegalEntity");
        w.opt("cbc:RegistrationName", registration);
        w.id("cbc:CompanyID", &p.legal_id);
        w.close("cac:PartyLegalEntity");
    }
    if let Some(c) = &p.contact {
        w.open("cac:Contact");
        w.leaf("cbc:Name", c);
        w.close("cac:Contact");
    }
    w.close(tag);
}

fn compact(date: &str) -> String {
    date.replace('-', "")
}

fn cii_date(w: &mut W, tag: &str, date: &Option<String>, prefix: &str) {
    if let Some(d) = date {
        w.open(tag);
        w.leaf_attrs(
            &format!("{prefix}:DateTimeString"),
            &[("format", Some("102"))],
            &compact(d),
        );
        w.close(tag);
    }
}

/// The invoice as a CII D16B `CrossIndustryInvoice` document.
pub fn cii(inv: &Invoice) -> String {
    let cur = inv.currency.as_deref();
    let mut w = W {
        out: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\" xmlns:ram=\"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100\" xmlns:qdt=\"urn:un:unece:uncefact:data:standard:QualifiedDataType:100\" xmlns:udt=\"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100\">".into(),
    };
    w.open("rsm:ExchangedDocumentContext");
    if let Some(p) = &inv.process {
        w.open("ram:BusinessProcessSpecifiedDocumentContextParameter");
        w.leaf("ram:ID", p);
        w.close("ram:BusinessProcessSpecifiedDocumentContextParameter");
    }
    if let Some(s) = &inv.specification {
        w.open("ram:GuidelineSpecifiedDocumentContextParameter");
        w.leaf("ram:ID", s);
        w.close("ram:GuidelineSpecifiedDocumentContextParameter");
    }
    w.close("rsm:ExchangedDocumentContext");
    w.open("rsm:ExchangedDocument");
    w.opt("ram:ID", &inv.number);
    w.opt("ram:TypeCode", &inv.type_code);
    cii_date(&mut w, "ram:IssueDateTime", &inv.issue_date, "udt");
    for n in &inv.notes {
        w.open("ram:IncludedNote");
        w.leaf("ram:Content", &n.text);
        w.opt("ram:SubjectCode", &n.subject);
        w.close("ram:IncludedNote");
    }
    w.close("rsm:ExchangedDocument");
    w.open("rsm:SupplyChainTradeTransaction");
    for l in &inv.lines {
        cii_line(&mut w, l);
    }
    w.open("ram:ApplicableHeaderTradeAgreement");
    w.opt("ram:BuyerReference", &inv.buyer_reference);
    cii_party(&mut w, &inv.seller, "ram:SellerTradeParty");
    cii_party(&mut w, &inv.buyer, "ram:BuyerTradeParty");
    if let Some(p) = &inv.tax_representative {
        cii_party(&mut w, p, "ram:SellerTaxRepresentativeTradeParty");
    }
    for (tag, v) in [
        ("ram:SellerOrderReferencedDocument", &inv.sales_order),
        ("ram:BuyerOrderReferencedDocument", &inv.order),
        ("ram:ContractReferencedDocument", &inv.contract),
    ] {
        if let Some(v) = v {
            w.open(tag);
            w.leaf("ram:IssuerAssignedID", v);
            w.close(tag);
        }
    }
    for a in &inv.attachments {
        w.open("ram:AdditionalReferencedDocument");
        w.opt("ram:IssuerAssignedID", &a.id);
        w.opt("ram:URIID", &a.uri);
        w.leaf("ram:TypeCode", "916");
        w.opt("ram:Name", &a.description);
        if let Some(n) = a.embedded_bytes {
            w.leaf_attrs(
                "ram:AttachmentBinaryObject",
                &[
                    ("mimeCode", a.mime.as_deref()),
                    ("filename", a.filename.as_deref()),
                ],
                &zeros_base64(n),
            );
        }
        w.close("ram:AdditionalReferencedDocument");
    }
    if let Some(p) = &inv.project {
        w.open("ram:SpecifiedProcuringProject");
        w.leaf("ram:ID", p);
        w.leaf("ram:Name", "Project reference");
        w.close("ram:SpecifiedProcuringProject");
    }
    w.close("ram:ApplicableHeaderTradeAgreement");
    w.open("ram:ApplicableHeaderTradeDelivery");
    if let Some(c) = &inv.delivery_country {
        w.open("ram:ShipToTradeParty");
        w.open("ram:PostalTradeAddress");
        w.leaf("ram:CountryID", c);
        w.close("ram:PostalTradeAddress");
        w.close("ram:ShipToTradeParty");
    }
    if inv.delivery_date.is_some() {
        w.open("ram:ActualDeliverySupplyChainEvent");
        cii_date(&mut w, "ram:OccurrenceDateTime", &inv.delivery_date, "udt");
        w.close("ram:ActualDeliverySupplyChainEvent");
    }
    w.close("ram:ApplicableHeaderTradeDelivery");
    w.open("ram:ApplicableHeaderTradeSettlement");
    if let Some(r) = inv.payment_means.first().and_then(|p| p.remittance.clone()) {
        w.leaf("ram:PaymentReference", &r);
    }
    w.opt("ram:TaxCurrencyCode", &inv.vat_currency);
    w.opt("ram:InvoiceCurrencyCode", &inv.currency);
    if let Some(p) = &inv.payee {
        cii_party(&mut w, p, "ram:PayeeTradeParty");
    }
    for pm in &inv.payment_means {
        w.open("ram:SpecifiedTradeSettlementPaymentMeans");
        w.opt("ram:TypeCode", &pm.code);
        w.opt("ram:Information", &pm.text);
        if let Some(c) = &pm.card {
            w.open("ram:ApplicableTradeSettlementFinancialCard");
            w.leaf("ram:ID", c);
            w.close("ram:ApplicableTradeSettlementFinancialCard");
        }
        for a in &pm.accounts {
            w.open("ram:PayeePartyCreditorFinancialAccount");
            w.leaf("ram:IBANID", a);
            w.close("ram:PayeePartyCreditorFinancialAccount");
        }
        w.close("ram:SpecifiedTradeSettlementPaymentMeans");
    }
    for (i, b) in inv.vat_breakdown.iter().enumerate() {
        w.open("ram:ApplicableTradeTax");
        w.amount("ram:CalculatedAmount", b.amount, None);
        w.leaf("ram:TypeCode", "VAT");
        w.opt("ram:ExemptionReason", &b.exemption_reason);
        w.amount("ram:BasisAmount", b.base, None);
        w.opt("ram:CategoryCode", &b.category);
        w.opt("ram:ExemptionReasonCode", &b.exemption_code);
        if i == 0 {
            if let Some(d) = &inv.tax_point_date {
                w.open("ram:TaxPointDate");
                w.leaf_attrs("udt:DateString", &[("format", Some("102"))], &compact(d));
                w.close("ram:TaxPointDate");
            }
            w.opt("ram:DueDateTypeCode", &inv.tax_point_code);
        }
        w.dec("ram:RateApplicablePercent", b.rate);
        w.close("ram:ApplicableTradeTax");
    }
    if let Some(p) = &inv.period {
        w.open("ram:BillingSpecifiedPeriod");
        cii_date(&mut w, "ram:StartDateTime", &p.start, "udt");
        cii_date(&mut w, "ram:EndDateTime", &p.end, "udt");
        w.close("ram:BillingSpecifiedPeriod");
    }
    for ac in &inv.allowances_charges {
        cii_allowance_charge(&mut w, ac, true);
    }
    let mandate = inv.payment_means.first().and_then(|p| p.mandate.clone());
    if inv.payment_terms.is_some() || inv.due_date.is_some() || mandate.is_some() {
        w.open("ram:SpecifiedTradePaymentTerms");
        w.opt("ram:Description", &inv.payment_terms);
        cii_date(&mut w, "ram:DueDateDateTime", &inv.due_date, "udt");
        w.opt("ram:DirectDebitMandateID", &mandate);
        w.close("ram:SpecifiedTradePaymentTerms");
    }
    let t = &inv.totals;
    w.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
    w.dec("ram:LineTotalAmount", t.line_net);
    w.dec("ram:ChargeTotalAmount", t.charges);
    w.dec("ram:AllowanceTotalAmount", t.allowances);
    w.dec("ram:TaxBasisTotalAmount", t.without_vat);
    w.amount("ram:TaxTotalAmount", t.vat, cur);
    w.amount(
        "ram:TaxTotalAmount",
        t.vat_accounting,
        inv.vat_currency.as_deref(),
    );
    w.dec("ram:RoundingAmount", t.rounding);
    w.dec("ram:GrandTotalAmount", t.with_vat);
    w.dec("ram:TotalPrepaidAmount", t.prepaid);
    w.dec("ram:DuePayableAmount", t.payable);
    w.close("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
    for p in &inv.preceding {
        w.open("ram:InvoiceReferencedDocument");
        w.opt("ram:IssuerAssignedID", &p.number);
        cii_date(&mut w, "ram:FormattedIssueDateTime", &p.date, "qdt");
        w.close("ram:InvoiceReferencedDocument");
    }
    if let Some(a) = &inv.buyer_accounting {
        w.open("ram:ReceivableSpecifiedTradeAccountingAccount");
        w.leaf("ram:ID", a);
        w.close("ram:ReceivableSpecifiedTradeAccountingAccount");
    }
    w.close("ram:ApplicableHeaderTradeSettlement");
    w.close("rsm:SupplyChainTradeTransaction");
    w.out.push_str("</rsm:CrossIndustryInvoice>\n");
    w.out
}

fn cii_allowance_charge(w: &mut W, ac: &AllowanceCharge, document: bool) {
    w.open("ram:SpecifiedTradeAllowanceCharge");
    w.open("ram:ChargeIndicator");
    w.leaf("udt:Indicator", if ac.charge { "true" } else { "false" });
    w.close("ram:ChargeIndicator");
    w.dec("ram:CalculationPercent", ac.percent);
    w.dec("ram:BasisAmount", ac.base);
    w.dec("ram:ActualAmount", ac.amount);
    w.opt("ram:ReasonCode", &ac.reason_code);
    w.opt("ram:Reason", &ac.reason);
    if document && (ac.vat_category.is_some() || ac.vat_rate.is_some()) {
        w.open("ram:CategoryTradeTax");
        w.leaf("ram:TypeCode", "VAT");
        w.opt("ram:CategoryCode", &ac.vat_category);
        w.dec("ram:RateApplicablePercent", ac.vat_rate);
        w.close("ram:CategoryTradeTax");
    }
    w.close("ram:SpecifiedTradeAllowanceCharge");
}

fn cii_party(w: &mut W, p: &Party, tag: &str) {
    w.open(tag);
    for id in p.ids.iter().filter(|i| i.scheme.is_none()) {
        w.leaf("ram:ID", &id.value);
    }
    for id in p.ids.iter().filter(|i| i.scheme.is_some()) {
        w.id("ram:GlobalID", &Some(id.clone()));
    }
    w.opt("ram:Name", &p.name);
    if p.legal_id.is_some() || p.trading_name.is_some() {
        w.open("ram:SpecifiedLegalOrganization");
        w.id("ram:ID", &p.legal_id);
        w.opt("ram:TradingBusinessName", &p.trading_name);
        w.close("ram:SpecifiedLegalOrganization");
    }
    if let Some(c) = &p.contact {
        w.open("ram:DefinedTradeContact");
        w.leaf("ram:PersonName", c);
        w.close("ram:DefinedTradeContact");
    }
    if let Some(a) = &p.address {
        w.open("ram:PostalTradeAddress");
        w.opt("ram:PostcodeCode", &a.postcode);
        for (tag, l) in ["ram:LineOne", "ram:LineTwo", "ram:LineThree"]
            .iter()
            .zip(&a.lines)
        {
            w.leaf(tag, l);
        }
        w.opt("ram:CityName", &a.city);
        w.opt("ram:CountryID", &a.country);
        w.opt("ram:CountrySubDivisionName", &a.subdivision);
        w.close("ram:PostalTradeAddress");
    }
    if p.electronic_address.is_some() {
        w.open("ram:URIUniversalCommunication");
        w.id("ram:URIID", &p.electronic_address);
        w.close("ram:URIUniversalCommunication");
    }
    for (id, scheme) in [(&p.vat_id, "VA"), (&p.tax_registration, "FC")] {
        if let Some(id) = id {
            w.open("ram:SpecifiedTaxRegistration");
            w.leaf_attrs("ram:ID", &[("schemeID", Some(scheme))], id);
            w.close("ram:SpecifiedTaxRegistration");
        }
    }
    w.close(tag);
}

fn cii_line(w: &mut W, l: &Line) {
    w.open("ram:IncludedSupplyChainTradeLineItem");
    w.open("ram:AssociatedDocumentLineDocument");
    w.opt("ram:LineID", &l.id);
    if let Some(n) = &l.note {
        w.open("ram:IncludedNote");
        w.leaf("ram:Content", n);
        w.close("ram:IncludedNote");
    }
    w.close("ram:AssociatedDocumentLineDocument");
    w.open("ram:SpecifiedTradeProduct");
    w.id("ram:GlobalID", &l.standard_id);
    w.opt("ram:SellerAssignedID", &l.seller_item_id);
    w.opt("ram:Name", &l.name);
    w.opt("ram:Description", &l.description);
    w.close("ram:SpecifiedTradeProduct");
    w.open("ram:SpecifiedLineTradeAgreement");
    if let Some(o) = &l.order_line {
        w.open("ram:BuyerOrderReferencedDocument");
        w.leaf("ram:LineID", o);
        w.close("ram:BuyerOrderReferencedDocument");
    }
    if l.gross_price.is_some() || l.price_discount.is_some() {
        w.open("ram:GrossPriceProductTradePrice");
        w.dec("ram:ChargeAmount", l.gross_price);
        if l.price_discount.is_some() {
            w.open("ram:AppliedTradeAllowanceCharge");
            w.open("ram:ChargeIndicator");
            w.leaf("udt:Indicator", "false");
            w.close("ram:ChargeIndicator");
            w.dec("ram:ActualAmount", l.price_discount);
            w.close("ram:AppliedTradeAllowanceCharge");
        }
        w.close("ram:GrossPriceProductTradePrice");
    }
    if l.net_price.is_some() || l.base_quantity.is_some() {
        w.open("ram:NetPriceProductTradePrice");
        w.dec("ram:ChargeAmount", l.net_price);
        w.dec("ram:BasisQuantity", l.base_quantity);
        w.close("ram:NetPriceProductTradePrice");
    }
    w.close("ram:SpecifiedLineTradeAgreement");
    w.open("ram:SpecifiedLineTradeDelivery");
    if let Some(q) = l.quantity {
        w.leaf_attrs(
            "ram:BilledQuantity",
            &[("unitCode", l.unit.as_deref())],
            &q.to_string(),
        );
    }
    w.close("ram:SpecifiedLineTradeDelivery");
    w.open("ram:SpecifiedLineTradeSettlement");
    if l.vat_category.is_some() || l.vat_rate.is_some() {
        w.open("ram:ApplicableTradeTax");
        w.leaf("ram:TypeCode", "VAT");
        w.opt("ram:CategoryCode", &l.vat_category);
        w.dec("ram:RateApplicablePercent", l.vat_rate);
        w.close("ram:ApplicableTradeTax");
    }
    if let Some(p) = &l.period {
        w.open("ram:BillingSpecifiedPeriod");
        cii_date(w, "ram:StartDateTime", &p.start, "udt");
        cii_date(w, "ram:EndDateTime", &p.end, "udt");
        w.close("ram:BillingSpecifiedPeriod");
    }
    for ac in &l.allowances_charges {
        cii_allowance_charge(w, ac, false);
    }
    w.open("ram:SpecifiedTradeSettlementLineMonetarySummation");
    w.dec("ram:LineTotalAmount", l.net);
    w.close("ram:SpecifiedTradeSettlementLineMonetarySummation");
    w.close("ram:SpecifiedLineTradeSettlement");
    w.close("ram:IncludedSupplyChainTradeLineItem");
}
