//! The EN 16931 semantic model, as far as it changes routing, amounts, VAT
//! or what a person sees. Each field names its business term (BT) or group
//! (BG). Everything is optional here: the readers fill in what the file
//! says, and the rules (`rules.rs`) say what is missing.

use super::decimal::Dec;
use serde::{Deserialize, Serialize};

/// Which syntax a document came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Syntax {
    /// OASIS UBL 2.1 (`Invoice` or `CreditNote`).
    #[default]
    Ubl,
    /// UN/CEFACT CII D16B (`CrossIndustryInvoice`), alone or in a Factur-X PDF.
    Cii,
}

/// The Factur-X / ZUGFeRD profile a CII document declares in BT-24; it
/// decides which rules apply (Minimum and Basic WL carry no lines: the PDF
/// is the invoice and the XML only its header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Profile {
    /// `urn:factur-x.eu:1p0:minimum`.
    Minimum,
    /// `urn:factur-x.eu:1p0:basicwl`.
    BasicWl,
    /// `…#compliant#urn:factur-x.eu:1p0:basic`.
    Basic,
    /// EN 16931 itself, or a CIUS / extension of it (Peppol BIS, XRechnung,
    /// Factur-X EN 16931 and Extended…).
    #[default]
    Full,
}

impl Profile {
    /// The profile a specification identifier (BT-24) names.
    pub fn of(spec: Option<&str>) -> Profile {
        let s = spec.unwrap_or("").to_ascii_lowercase();
        if s.contains("factur-x.eu:1p0:minimum") || s.contains("zugferd.de:2p0:minimum") {
            Profile::Minimum
        } else if s.contains("factur-x.eu:1p0:basicwl") || s.contains("zugferd.de:2p0:basicwl") {
            Profile::BasicWl
        } else if s.ends_with("factur-x.eu:1p0:basic") || s.ends_with("zugferd.de:2p0:basic") {
            Profile::Basic
        } else {
            Profile::Full
        }
    }

    /// Whether the XML carries the lines (every profile but Minimum and
    /// Basic WL).
    pub fn has_lines(self) -> bool {
        !matches!(self, Profile::Minimum | Profile::BasicWl)
    }
}

/// An identifier with its optional scheme (ISO 6523 ICD such as `0009`
/// SIRET, `0002` SIREN, `0088` GLN; or an EAS code for electronic
/// addresses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Id {
    /// The identifier.
    pub value: String,
    /// Its scheme, if stated.
    pub scheme: Option<String>,
}

/// A postal address (BG-5, BG-8, BG-12, BG-15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    /// Address lines (BT-35, BT-36, BT-162 and the buyer's equivalents).
    pub lines: Vec<String>,
    /// City (BT-37, BT-52).
    pub city: Option<String>,
    /// Post code (BT-38, BT-53).
    pub postcode: Option<String>,
    /// Country subdivision (BT-39, BT-54).
    pub subdivision: Option<String>,
    /// Country code, ISO 3166-1 alpha-2 (BT-40, BT-55).
    pub country: Option<String>,
}

/// A party: the seller (BG-4), the buyer (BG-7), the payee (BG-10) or the
/// seller's tax representative (BG-11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Party {
    /// Name (BT-27, BT-44, BT-59, BT-62).
    pub name: Option<String>,
    /// Trading name (BT-28, BT-45).
    pub trading_name: Option<String>,
    /// Identifiers (BT-29, BT-46, BT-60), with their schemes.
    pub ids: Vec<Id>,
    /// Legal registration identifier (BT-30, BT-47, BT-61): SIREN or SIRET
    /// for a French company.
    pub legal_id: Option<Id>,
    /// VAT identifier (BT-31, BT-48, BT-63).
    pub vat_id: Option<String>,
    /// Tax registration identifier (BT-32).
    pub tax_registration: Option<String>,
    /// Electronic address (BT-34, BT-49).
    pub electronic_address: Option<Id>,
    /// Postal address, if the file gives one.
    pub address: Option<Address>,
    /// Contact: name, phone, e-mail (BT-41..43, BT-56..58).
    pub contact: Option<String>,
}

/// A note on the invoice (BG-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Note {
    /// Subject code, UNCL 4451 (BT-21).
    pub subject: Option<String>,
    /// Text (BT-22).
    pub text: String,
}

/// A preceding invoice (BG-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Preceding {
    /// Its number (BT-25).
    pub number: Option<String>,
    /// Its date (BT-26).
    pub date: Option<String>,
}

/// A period (BG-14, BG-26).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Period {
    /// Start (BT-73, BT-134).
    pub start: Option<String>,
    /// End (BT-74, BT-135).
    pub end: Option<String>,
}

/// A payment instruction (BG-16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PaymentMeans {
    /// Type code, UNCL 4461 (BT-81).
    pub code: Option<String>,
    /// Text (BT-82).
    pub text: Option<String>,
    /// Remittance information (BT-83).
    pub remittance: Option<String>,
    /// Credit transfer accounts (BT-84: IBAN or other).
    pub accounts: Vec<String>,
    /// Card primary account number, as given (BT-87).
    pub card: Option<String>,
    /// Direct debit mandate reference (BT-89).
    pub mandate: Option<String>,
}

/// An allowance or charge, on the document (BG-20, BG-21) or a line
/// (BG-27, BG-28).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AllowanceCharge {
    /// `true` for a charge, `false` for an allowance.
    pub charge: bool,
    /// Amount excl. VAT (BT-92, BT-99, BT-136, BT-141).
    pub amount: Option<Dec>,
    /// Base amount (BT-93, BT-100, BT-137, BT-142).
    pub base: Option<Dec>,
    /// Percentage (BT-94, BT-101, BT-138, BT-143).
    pub percent: Option<Dec>,
    /// VAT category code (BT-95, BT-102; document level only).
    pub vat_category: Option<String>,
    /// VAT rate (BT-96, BT-103; document level only).
    pub vat_rate: Option<Dec>,
    /// Reason (BT-97, BT-104, BT-139, BT-144).
    pub reason: Option<String>,
    /// Reason code, UNCL 5189 / 7161 (BT-98, BT-105, BT-140, BT-145).
    pub reason_code: Option<String>,
}

/// One VAT breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VatBreakdown {
    /// Taxable amount (BT-116).
    pub base: Option<Dec>,
    /// Tax amount (BT-117).
    pub amount: Option<Dec>,
    /// Category code, UNCL 5305 (BT-118).
    pub category: Option<String>,
    /// Rate in percent (BT-119).
    pub rate: Option<Dec>,
    /// Exemption reason text (BT-120).
    pub exemption_reason: Option<String>,
    /// Exemption reason code, VATEX (BT-121).
    pub exemption_code: Option<String>,
}

/// A supporting document (BG-24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Attachment {
    /// Reference (BT-122).
    pub id: Option<String>,
    /// Description (BT-123).
    pub description: Option<String>,
    /// External location (BT-124).
    pub uri: Option<String>,
    /// Embedded file name (BT-125 `filename`).
    pub filename: Option<String>,
    /// Embedded file media type (BT-125 `mimeCode`).
    pub mime: Option<String>,
    /// Size in bytes of the embedded file, once decoded from base64.
    pub embedded_bytes: Option<usize>,
}

/// The document totals (BG-22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Totals {
    /// Sum of line net amounts (BT-106).
    pub line_net: Option<Dec>,
    /// Sum of document allowances (BT-107).
    pub allowances: Option<Dec>,
    /// Sum of document charges (BT-108).
    pub charges: Option<Dec>,
    /// Total without VAT (BT-109).
    pub without_vat: Option<Dec>,
    /// Total VAT, in the invoice currency (BT-110).
    pub vat: Option<Dec>,
    /// Total VAT in the VAT accounting currency (BT-111).
    pub vat_accounting: Option<Dec>,
    /// Total with VAT (BT-112).
    pub with_vat: Option<Dec>,
    /// Paid amount (BT-113).
    pub prepaid: Option<Dec>,
    /// Rounding amount (BT-114).
    pub rounding: Option<Dec>,
    /// Amount due for payment (BT-115).
    pub payable: Option<Dec>,
    /// VAT totals stated beyond BT-110 and BT-111: a second one in the
    /// invoice currency, or one in a currency that is neither BT-5 nor BT-6.
    pub vat_extra: Vec<Dec>,
}

/// One invoice line (BG-25).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Line {
    /// Line identifier (BT-126).
    pub id: Option<String>,
    /// Note (BT-127).
    pub note: Option<String>,
    /// Invoiced quantity (BT-129).
    pub quantity: Option<Dec>,
    /// Unit of measure, UN/ECE Rec 20 (BT-130).
    pub unit: Option<String>,
    /// Net amount (BT-131).
    pub net: Option<Dec>,
    /// Referenced purchase order line (BT-132).
    pub order_line: Option<String>,
    /// Line period (BG-26).
    pub period: Option<Period>,
    /// Allowances and charges (BG-27, BG-28).
    pub allowances_charges: Vec<AllowanceCharge>,
    /// Item net price (BT-146).
    pub net_price: Option<Dec>,
    /// Item price discount (BT-147).
    pub price_discount: Option<Dec>,
    /// Item gross price (BT-148).
    pub gross_price: Option<Dec>,
    /// Item price base quantity (BT-149).
    pub base_quantity: Option<Dec>,
    /// VAT category code (BT-151).
    pub vat_category: Option<String>,
    /// VAT rate (BT-152).
    pub vat_rate: Option<Dec>,
    /// Item name (BT-153).
    pub name: Option<String>,
    /// Item description (BT-154).
    pub description: Option<String>,
    /// Seller's item identifier (BT-155).
    pub seller_item_id: Option<String>,
    /// Item standard identifier (BT-157).
    pub standard_id: Option<Id>,
}

/// An invoice or credit note, read from UBL or CII.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Invoice {
    /// The syntax it was read from.
    pub syntax: Syntax,
    /// Whether it was a UBL `CreditNote` document.
    pub credit_note: bool,
    /// Specification identifier (BT-24).
    pub specification: Option<String>,
    /// Business process type (BT-23): Chorus Pro's billing framework.
    pub process: Option<String>,
    /// Invoice number (BT-1).
    pub number: Option<String>,
    /// Issue date, `YYYY-MM-DD` (BT-2).
    pub issue_date: Option<String>,
    /// Type code, UNCL 1001 (BT-3).
    pub type_code: Option<String>,
    /// Invoice currency (BT-5).
    pub currency: Option<String>,
    /// VAT accounting currency (BT-6).
    pub vat_currency: Option<String>,
    /// VAT point date (BT-7).
    pub tax_point_date: Option<String>,
    /// VAT point date code (BT-8).
    pub tax_point_code: Option<String>,
    /// Payment due date (BT-9).
    pub due_date: Option<String>,
    /// Buyer reference (BT-10): Chorus Pro's service code.
    pub buyer_reference: Option<String>,
    /// Project reference (BT-11).
    pub project: Option<String>,
    /// Contract reference (BT-12): Chorus Pro's *numéro de marché*.
    pub contract: Option<String>,
    /// Purchase order reference (BT-13): Chorus Pro's commitment (EJ).
    pub order: Option<String>,
    /// Sales order reference (BT-14).
    pub sales_order: Option<String>,
    /// Buyer accounting reference (BT-19).
    pub buyer_accounting: Option<String>,
    /// Payment terms (BT-20).
    pub payment_terms: Option<String>,
    /// Notes (BG-1).
    pub notes: Vec<Note>,
    /// Preceding invoices (BG-3).
    pub preceding: Vec<Preceding>,
    /// Seller (BG-4).
    pub seller: Party,
    /// Buyer (BG-7).
    pub buyer: Party,
    /// Payee, when not the seller (BG-10).
    pub payee: Option<Party>,
    /// Seller tax representative (BG-11).
    pub tax_representative: Option<Party>,
    /// Actual delivery date (BT-72).
    pub delivery_date: Option<String>,
    /// Deliver-to country (BT-80).
    pub delivery_country: Option<String>,
    /// Invoicing period (BG-14).
    pub period: Option<Period>,
    /// Payment instructions (BG-16).
    pub payment_means: Vec<PaymentMeans>,
    /// Document-level allowances and charges (BG-20, BG-21).
    pub allowances_charges: Vec<AllowanceCharge>,
    /// Totals (BG-22).
    pub totals: Totals,
    /// VAT breakdown (BG-23).
    pub vat_breakdown: Vec<VatBreakdown>,
    /// Supporting documents (BG-24).
    pub attachments: Vec<Attachment>,
    /// Lines (BG-25).
    pub lines: Vec<Line>,
}

impl Totals {
    /// Files a stated VAT total: the first in the invoice currency (or with
    /// no currency) is BT-110, one in the VAT accounting currency BT-111,
    /// any other is kept aside for BR-CO-15 to refuse.
    pub fn place_vat(
        &mut self,
        amount: Dec,
        currency: Option<String>,
        invoice: &Option<String>,
        accounting: &Option<String>,
    ) {
        let in_invoice = currency.is_none() || currency == *invoice;
        if accounting.is_some() && currency == *accounting && !in_invoice {
            self.vat_accounting = Some(amount);
        } else if in_invoice && self.vat.is_none() {
            self.vat = Some(amount);
        } else {
            self.vat_extra.push(amount);
        }
    }
}

impl Invoice {
    /// The profile its specification identifier names.
    pub fn profile(&self) -> Profile {
        Profile::of(self.specification.as_deref())
    }
}
