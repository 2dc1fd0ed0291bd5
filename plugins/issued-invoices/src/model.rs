//! The invoice as the supplier keeps it, its statuses, and the checks that
//! turn entered (or deposited) text into one.

use crate::money::{self, LineAmounts, Totals, VatLine};
use portico_sdk::messages::Recipient;
use serde::{Deserialize, Serialize};

/// Longest invoice number (Chorus Pro, Factur-X CHORUSPRO notes).
pub const MAX_NUMBER_CHARS: usize = 20;
/// Longest order (commitment) number, as connectors accept it.
pub const MAX_ORDER_CHARS: usize = 50;
/// Longest contract number.
pub const MAX_CONTRACT_CHARS: usize = 50;
/// Most lines on one invoice.
pub const MAX_LINES: usize = 200;
/// Line rows the entry form shows.
pub const FORM_LINES: usize = 5;
/// Longest comment.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Billing frameworks this area deposits, with a plain-language explanation.
pub const FRAMEWORKS: [(&str, &str, &str); 2] = [
    (
        "A1_FACTURE_FOURNISSEUR",
        "A1 – Supplier invoice",
        "The usual case: you delivered goods or services and ask to be paid.",
    ),
    (
        "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
        "A2 – Invoice already paid",
        "The buyer already paid in full (for example by card); the invoice is sent for the record and nothing remains to pay.",
    ),
];

/// Invoice types: (code, label).
pub const TYPES: [(&str, &str); 3] = [
    ("FACTURE", "Invoice"),
    ("AVOIR", "Credit note"),
    ("ACOMPTE", "Advance invoice"),
];

/// VAT regimes: (code, label).
pub const VAT_REGIMES: [(&str, &str); 4] = [
    ("TVA_SUR_DEBIT", "VAT on debits"),
    ("TVA_SUR_ENCAISSEMENT", "VAT on receipts"),
    ("EXONERATION", "Exempt from VAT (give the reason)"),
    ("SANS_TVA", "No VAT"),
];

/// Payment modes: (code, label).
pub const PAYMENT_MODES: [(&str, &str); 6] = [
    ("VIREMENT", "Bank transfer"),
    ("CHEQUE", "Cheque"),
    ("PRELEVEMENT", "Direct debit"),
    ("ESPECE", "Cash"),
    ("AUTRE", "Other"),
    ("REPORT", "Carried over"),
];

/// Currencies the entry form offers first; any convertible ISO 4217
/// currency is accepted (see [`crate::chorus::convertible`]).
pub const CURRENCIES: [&str; 5] = ["EUR", "USD", "GBP", "CHF", "XPF"];

/// Every status an issued invoice can have: (code, label).
pub const STATUSES: [(&str, &str); 15] = [
    ("BROUILLON", "Draft (not sent)"),
    ("DEPOSEE", "Deposited"),
    ("MISE_A_DISPOSITION", "Made available to the recipient"),
    ("ECHEC_ACHEMINEMENT", "Could not be delivered"),
    ("PRISE_EN_COMPTE_DESTINATAIRE", "Taken into account"),
    ("SUSPENDUE", "Suspended"),
    ("COMPLETEE", "Completed"),
    ("A_RECYCLER", "To recycle"),
    ("REJETEE", "Rejected"),
    ("SERVICE_FAIT", "Service rendered"),
    ("MANDATEE", "Mandated"),
    (
        "MISE_A_DISPOSITION_COMPTABLE",
        "Made available to the accountant",
    ),
    ("COMPTABILISEE", "Accounted"),
    ("MISE_EN_PAIEMENT", "Payment"),
    ("TRAITEE", "Rejection processed"),
];

/// The status label for a code.
pub fn status_label(code: &str) -> &str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| l)
}

/// A status code the catalogues know (`status.<code>`); an unknown one
/// reads as deposited rather than showing a raw code.
pub fn known_status(code: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("DEPOSEE", |(c, _)| c)
}

/// The badge class of a status, seen from the supplier: colour AND word —
/// "waiting" (your move), "progress" (the recipient's), "done", "problem".
pub fn badge(code: &str) -> &'static str {
    match code {
        "BROUILLON" => "waiting",
        "ECHEC_ACHEMINEMENT" | "SUSPENDUE" | "A_RECYCLER" | "REJETEE" => "problem",
        "MISE_EN_PAIEMENT" | "TRAITEE" => "done",
        _ => "progress",
    }
}

/// Every billing framework code (A1…A25); the catalogues name each
/// (`framework.<code>`), so an invoice deposited with any of them reads in
/// plain words.
pub const FRAMEWORK_CODES: [&str; 25] = [
    "A1_FACTURE_FOURNISSEUR",
    "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
    "A3_MEMOIRE_JUSTICE",
    "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR",
    "A5_ETAT_ACOMPTE_FOURNISSEUR",
    "A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR",
    "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR",
    "A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR",
    "A9_FACTURE_SOUSTRAITANT",
    "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT",
    "A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT",
    "A12_FACTURE_COTRAITANT",
    "A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT",
    "A14_PROJET_DECOMPTE_FINAL_COTRAITANT",
    "A15_ETAT_ACOMPTE_MOE",
    "A16_ETAT_ACOMPTE_VALIDE_MOE",
    "A17_PROJET_DECOMPTE_GENERAL_MOE",
    "A18_DECOMPTE_GENERAL_MOE",
    "A19_ETAT_ACOMPTE_VALIDE_MOA",
    "A20_DECOMPTE_GENERAL_MOA",
    "A21_DEMANDE_REMBOURSEMENT_TIC",
    "A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE",
    "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR",
    "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE",
    "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE",
];

/// How an invoice was made (`source.<code>` in the catalogues).
pub const SOURCES: [&str; 5] = [
    "SAISIE_WEB",
    "DEPOT_UBL",
    "DEPOT_CII",
    "DEPOT_FACTURX",
    "DEPOT_PDF",
];

/// VAT category codes (UNCL 5305) the catalogues name (`vat-category.<code>`).
pub const VAT_CATEGORIES: [&str; 9] = ["S", "Z", "E", "AE", "K", "G", "O", "L", "M"];

/// Unit codes (UN/ECE rec. 20) the catalogues name (`unit.<code>`); others
/// are shown as they came.
pub const UNITS: [&str; 11] = [
    "C62", "H87", "HUR", "DAY", "MON", "KGM", "MTR", "LTR", "MTK", "KMT", "E48",
];

/// Statuses a recipient may set (the messages this area accepts).
pub const RECIPIENT_STATUSES: [&str; 10] = [
    "MISE_A_DISPOSITION",
    "PRISE_EN_COMPTE_DESTINATAIRE",
    "SUSPENDUE",
    "A_RECYCLER",
    "REJETEE",
    "SERVICE_FAIT",
    "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
    "MISE_EN_PAIEMENT",
];

/// A stored file (main deposit or attachment), kept in chunks.
pub use portico_sdk::attachments::FileRef;

/// One line of the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Product reference.
    pub reference: String,
    /// What was sold.
    pub designation: String,
    /// Quantity as entered (normalised).
    pub quantity: String,
    /// Unit code (e.g. `C62` for unit, `HUR` for hour).
    pub unit: String,
    /// Unit price excl. VAT (normalised).
    pub unit_price: String,
    /// Discount excl. VAT (cents as `12.30`).
    pub discount: String,
    /// VAT rate in percent (normalised).
    pub vat_rate: String,
    /// Line total excl. VAT, `12.30`.
    pub net: String,
    /// VAT category code (UNCL 5305: S, Z, E, AE, K, G, O…); empty for
    /// form entries (the regime says it).
    #[serde(default)]
    pub vat_category: String,
    /// Price base quantity (BT-149): the price is per this many units.
    #[serde(default)]
    pub base_quantity: String,
    /// Line allowances and charges (BG-27, BG-28), deposits only.
    #[serde(default)]
    pub adjustments: Vec<Adjustment>,
    /// Line note (BT-127).
    #[serde(default)]
    pub note: String,
}

/// An allowance or a charge, on the document or a line, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Adjustment {
    /// A charge (`true`) or an allowance.
    pub charge: bool,
    /// Amount excl. VAT, `12.30`.
    pub amount: String,
    /// Reason, with its code when given: `Discount (95)`.
    pub reason: String,
    /// Percentage and base, `10 % of 1000.00`, when given.
    pub basis: String,
    /// VAT category and rate (document level): `S 20`.
    pub vat: String,
}

/// A supporting document the invoice names (BG-24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DocumentRef {
    /// Reference (BT-122).
    pub id: String,
    /// Description (BT-123).
    pub description: String,
    /// External location (BT-124).
    pub uri: String,
    /// Embedded file name and size, when embedded (BT-125).
    pub embedded: String,
}

/// One status change, as shown in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Status code.
    pub status: String,
    /// When, ms since the epoch.
    pub at_ms: u64,
    /// Who (name), or the platform.
    pub by: String,
    /// Reason or comment.
    pub comment: String,
    /// The message that brought it, to ignore a redelivery.
    #[serde(default)]
    pub message_id: Option<String>,
}

/// An invoice the structure issued (or is preparing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// Internal id (storage key).
    pub id: String,
    /// Current status code.
    pub status: String,
    /// The supplier's invoice number.
    pub number: String,
    /// Billing framework code.
    pub framework: String,
    /// `FACTURE`, `AVOIR` or `ACOMPTE`.
    pub kind: String,
    /// Invoice date, `YYYY-MM-DD`.
    pub date: String,
    /// Currency code.
    pub currency: String,
    /// VAT regime code.
    pub vat_regime: String,
    /// Reason of a VAT exemption.
    pub vat_exemption_reason: String,
    /// Payment mode code (none for credit notes).
    pub payment_mode: String,
    /// Recipient structure identifier.
    pub recipient_id: String,
    /// Recipient name, as the directory gave it.
    pub recipient_name: String,
    /// Recipient service code.
    pub service_code: String,
    /// Commitment (EJ) / purchase order number.
    pub order_number: String,
    /// Contract (market) number.
    pub contract_number: String,
    /// For a credit note: the invoice it corrects.
    pub original_number: String,
    /// Lines.
    pub lines: Vec<Line>,
    /// VAT per rate.
    pub vat_summary: Vec<VatLine>,
    /// Totals.
    pub totals: Totals,
    /// Free comment.
    pub comment: String,
    /// Notes of a deposited file (BG-1), subject code first when given.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Document-level allowances and charges (BG-20, BG-21).
    #[serde(default)]
    pub adjustments: Vec<Adjustment>,
    /// Supporting documents the file names or embeds (BG-24).
    #[serde(default)]
    pub documents: Vec<DocumentRef>,
    /// Payment terms (BT-20).
    #[serde(default)]
    pub payment_terms: String,
    /// Payment due date (BT-9).
    #[serde(default)]
    pub due_date: String,
    /// Account to pay to (BT-84).
    #[serde(default)]
    pub payment_account: String,
    /// The standard and profile of a deposited file, e.g. `CII, Factur-X Basic`.
    #[serde(default)]
    pub format: String,
    /// How it was made: `SAISIE_WEB`, `DEPOT_UBL`, `DEPOT_CII`, `DEPOT_PDF`.
    pub source: String,
    /// The deposited file, if any.
    pub main_file: Option<FileRef>,
    /// Additional attachments.
    pub attachments: Vec<FileRef>,
    /// Status history, oldest first.
    pub history: Vec<HistoryEntry>,
    /// When it was sent (legal start of the payment period).
    pub deposited_ms: Option<u64>,
    /// Whether the supplier acknowledged the last suspension or rejection.
    pub acknowledged: bool,
    /// Creation time.
    pub created_ms: u64,
}

impl Invoice {
    /// A new, empty draft: the entry form and the deposits fill it in.
    pub fn new_draft(
        id: String,
        source: &str,
        main_file: Option<FileRef>,
        created_ms: u64,
    ) -> Invoice {
        Invoice {
            id,
            status: "BROUILLON".into(),
            number: String::new(),
            framework: String::new(),
            kind: String::new(),
            date: String::new(),
            currency: String::new(),
            vat_regime: String::new(),
            vat_exemption_reason: String::new(),
            payment_mode: String::new(),
            recipient_id: String::new(),
            recipient_name: String::new(),
            service_code: String::new(),
            order_number: String::new(),
            contract_number: String::new(),
            original_number: String::new(),
            lines: Vec::new(),
            vat_summary: Vec::new(),
            totals: Default::default(),
            comment: String::new(),
            notes: Vec::new(),
            adjustments: Vec::new(),
            documents: Vec::new(),
            payment_terms: String::new(),
            due_date: String::new(),
            payment_account: String::new(),
            format: String::new(),
            source: source.into(),
            main_file,
            attachments: Vec::new(),
            history: Vec::new(),
            deposited_ms: None,
            acknowledged: false,
            created_ms,
        }
    }

    /// Whether the supplier can still edit it freely.
    pub fn is_draft(&self) -> bool {
        self.status == "BROUILLON"
    }

    /// Whether it waits for the supplier to acknowledge a return.
    pub fn needs_acknowledgement(&self) -> bool {
        matches!(
            self.status.as_str(),
            "SUSPENDUE" | "REJETEE" | "A_RECYCLER" | "ECHEC_ACHEMINEMENT"
        ) && !self.acknowledged
    }
}

/// Text fields of an invoice, as entered in the form or read from a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceInput {
    /// Recipient identifier.
    pub recipient: String,
    /// Service code.
    pub service_code: String,
    /// Order / commitment number.
    pub order_number: String,
    /// Contract number.
    pub contract_number: String,
    /// Framework code.
    pub framework: String,
    /// Invoice number.
    pub number: String,
    /// Date `YYYY-MM-DD`.
    pub date: String,
    /// Type code.
    pub kind: String,
    /// Currency.
    pub currency: String,
    /// VAT regime.
    pub vat_regime: String,
    /// Exemption reason.
    pub vat_exemption_reason: String,
    /// Payment mode.
    pub payment_mode: String,
    /// Original invoice (credit notes).
    pub original_number: String,
    /// Comment.
    pub comment: String,
    /// Lines: reference, designation, quantity, unit, unit price, discount, rate.
    pub lines: Vec<LineInput>,
    /// Totals the document states, to check against the computed ones
    /// (deposits only): net, vat, gross, due.
    pub stated: Option<StatedTotals>,
}

/// One line as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    /// Product reference.
    pub reference: String,
    /// Designation.
    pub designation: String,
    /// Quantity.
    pub quantity: String,
    /// Unit code.
    pub unit: String,
    /// Unit price excl. VAT.
    pub unit_price: String,
    /// Discount excl. VAT.
    pub discount: String,
    /// VAT rate, percent.
    pub vat_rate: String,
}

impl LineInput {
    fn is_blank(&self) -> bool {
        [
            &self.reference,
            &self.designation,
            &self.quantity,
            &self.unit_price,
            &self.discount,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// Totals stated by a deposited document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatedTotals {
    /// Total excl. VAT.
    pub net: Option<String>,
    /// VAT total.
    pub vat: Option<String>,
    /// Total incl. VAT.
    pub gross: Option<String>,
    /// Amount due.
    pub due: Option<String>,
}

/// Whether `date` is a real `YYYY-MM-DD` date.
pub fn valid_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2100).contains(&y) && (1..=days).contains(&d)
}

/// The checked parts of an invoice.
pub struct Checked {
    /// Lines with their computed nets.
    pub lines: Vec<Line>,
    /// VAT per rate.
    pub vat_summary: Vec<VatLine>,
    /// Totals.
    pub totals: Totals,
}

/// Checks `input` against the brief's rules and the recipient's directory
/// entry. Errors are (field, message); `for_sending` adds the rules that a
/// draft may still break (recipient, lines). Field names are the form's.
pub fn check(
    input: &InvoiceInput,
    recipient: Option<&Recipient>,
    for_sending: bool,
) -> (Option<Checked>, Vec<(String, String)>) {
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut err = |f: &str, m: String| {
        if !errors.iter().any(|(x, _)| x == f) {
            errors.push((f.to_string(), m));
        }
    };
    // Recipient and routing: Chorus Pro's rules, one place for form and deposits.
    if input.recipient.is_empty() {
        if for_sending {
            err(
                "recipient",
                portico_sdk::i18n::message("errors.recipient-needed", &[]),
            );
        }
    } else {
        for (field, finding) in crate::chorus::routing(
            &input.recipient,
            recipient,
            &input.service_code,
            &input.order_number,
        ) {
            err(field, finding.reference());
        }
    }
    if input.order_number.chars().count() > MAX_ORDER_CHARS {
        err(
            "order_number",
            portico_sdk::i18n::message(
                "errors.order-too-long",
                &[("max", &MAX_ORDER_CHARS.to_string())],
            ),
        );
    }
    if input.contract_number.chars().count() > MAX_CONTRACT_CHARS {
        err(
            "contract_number",
            portico_sdk::i18n::message(
                "errors.contract-too-long",
                &[("max", &MAX_CONTRACT_CHARS.to_string())],
            ),
        );
    }
    // Identification.
    if !FRAMEWORKS.iter().any(|(c, _, _)| *c == input.framework) {
        err(
            "framework",
            portico_sdk::i18n::message("errors.framework", &[]),
        );
    }
    let n = input.number.chars().count();
    if n == 0 {
        err("number", portico_sdk::i18n::message("errors.number", &[]));
    } else if n > MAX_NUMBER_CHARS {
        err(
            "number",
            portico_sdk::i18n::message(
                "errors.number-too-long",
                &[
                    ("max", &MAX_NUMBER_CHARS.to_string()),
                    ("n", &n.to_string()),
                ],
            ),
        );
    }
    if !valid_date(&input.date) {
        err(
            "date",
            portico_sdk::i18n::message("errors.date", &[("date", &input.date)]),
        );
    }
    if !TYPES.iter().any(|(c, _)| *c == input.kind) {
        err("kind", portico_sdk::i18n::message("errors.kind", &[]));
    }
    if !crate::chorus::convertible(&input.currency) {
        err(
            "currency",
            format!(
                "Currency `{}` is not accepted: use EUR or another convertible ISO 4217 currency, such as {}.",
                input.currency,
                CURRENCIES.join(", ")
            ),
        );
    }
    if !VAT_REGIMES.iter().any(|(c, _)| *c == input.vat_regime) {
        err(
            "vat_regime",
            portico_sdk::i18n::message("errors.vat-regime", &[]),
        );
    } else if input.vat_regime == "EXONERATION" && input.vat_exemption_reason.is_empty() {
        err(
            "vat_exemption_reason",
            portico_sdk::i18n::message("errors.exemption-reason", &[]),
        );
    }
    if input.kind == "AVOIR" {
        if !input.payment_mode.is_empty() {
            err(
                "payment_mode",
                portico_sdk::i18n::message("errors.credit-note-payment", &[]),
            );
        }
    } else if !PAYMENT_MODES.iter().any(|(c, _)| *c == input.payment_mode) {
        err(
            "payment_mode",
            portico_sdk::i18n::message("errors.payment-mode", &[]),
        );
    }
    if input.comment.chars().count() > MAX_COMMENT_CHARS {
        err(
            "comment",
            portico_sdk::i18n::message(
                "errors.comment-too-long",
                &[("max", &MAX_COMMENT_CHARS.to_string())],
            ),
        );
    }
    // Lines.
    let lines: Vec<(usize, &LineInput)> = input
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.is_blank())
        .collect();
    if lines.len() > MAX_LINES {
        err(
            "lines",
            portico_sdk::i18n::message("errors.too-many-lines", &[("max", &MAX_LINES.to_string())]),
        );
    }
    if lines.is_empty() && for_sending {
        err("lines", portico_sdk::i18n::message("errors.no-line", &[]));
    }
    let no_vat = matches!(input.vat_regime.as_str(), "EXONERATION" | "SANS_TVA");
    let mut out = Vec::new();
    let mut nets = Vec::new();
    for (i, l) in lines {
        let f = |name: &str| format!("line-{}-{name}", i + 1);
        let no = i + 1;
        if l.designation.trim().is_empty() {
            err(
                &f("designation"),
                portico_sdk::i18n::message("errors.line-designation", &[("no", &no.to_string())]),
            );
        }
        let quantity = money::parse_scaled(&l.quantity, money::MAX_DECIMALS)
            .map_err(|m| err(&f("quantity"), format!("Line {no}, quantity: {m}")));
        let price = money::parse_scaled(&l.unit_price, money::MAX_DECIMALS)
            .map_err(|m| err(&f("unit_price"), format!("Line {no}, unit price: {m}")));
        let discount = if l.discount.trim().is_empty() {
            Ok(0)
        } else {
            money::parse_cents(&l.discount)
                .map_err(|m| err(&f("discount"), format!("Line {no}, discount: {m}")))
        };
        let rate_text = if l.vat_rate.trim().is_empty() && no_vat {
            "0"
        } else {
            l.vat_rate.as_str()
        };
        let rate = money::parse_rate(rate_text)
            .map_err(|m| err(&f("vat_rate"), format!("Line {no}, VAT rate: {m}")));
        if no_vat && rate.as_ref().is_ok_and(|r| *r != 0) {
            err(
                &f("vat_rate"),
                portico_sdk::i18n::message("errors.line-no-vat", &[("no", &no.to_string())]),
            );
        }
        if let (Ok(quantity), Ok(unit_price), Ok(discount), Ok(vat_rate)) =
            (quantity, price, discount, rate)
        {
            let amounts = LineAmounts {
                quantity,
                unit_price,
                discount,
                vat_rate,
            };
            match amounts.net() {
                Ok(net) => {
                    nets.push((net, vat_rate));
                    out.push(Line {
                        reference: l.reference.trim().to_string(),
                        designation: l.designation.trim().to_string(),
                        quantity: money::format_scaled(quantity, 4, 0),
                        unit: if l.unit.trim().is_empty() {
                            "C62".into()
                        } else {
                            l.unit.trim().to_string()
                        },
                        unit_price: money::format_scaled(unit_price, 4, 2),
                        discount: money::cents(discount),
                        vat_rate: money::rate(vat_rate),
                        net: money::cents(net),
                        vat_category: String::new(),
                        base_quantity: String::new(),
                        adjustments: Vec::new(),
                        note: String::new(),
                    });
                }
                Err(m) => err(&f("quantity"), format!("Line {no}: {m}")),
            }
        }
    }
    let (vat_summary, totals) = money::summarize(
        &nets,
        input.framework == "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
    );
    if let Some(stated) = &input.stated {
        for (field, label, value, computed) in [
            ("total_net", "total excl. VAT", &stated.net, totals.net),
            ("total_vat", "VAT total", &stated.vat, totals.vat),
            (
                "total_gross",
                "total incl. VAT",
                &stated.gross,
                totals.gross,
            ),
        ] {
            match value.as_deref().map(money::parse_cents) {
                None => err(field, format!("The document does not state its {label}.")),
                Some(Err(m)) => err(field, format!("The {label}: {m}")),
                Some(Ok(v)) if v != computed => err(
                    field,
                    format!(
                        "The document states a {label} of {}, but its lines make {}.",
                        money::cents(v),
                        money::cents(computed)
                    ),
                ),
                Some(Ok(_)) => {}
            }
        }
    }
    if errors.is_empty() {
        (
            Some(Checked {
                lines: out,
                vat_summary,
                totals,
            }),
            errors,
        )
    } else {
        (None, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(rule: &str) -> Recipient {
        Recipient {
            id: "13000165200010".into(),
            name: "Préfecture".into(),
            kind: portico_sdk::StructureKind::Public,
            active: true,
            services: vec![("SERV-FIN".into(), "Finance".into())],
            recipient_rule: rule.into(),
        }
    }

    pub(crate) fn input() -> InvoiceInput {
        InvoiceInput {
            recipient: "13000165200010".into(),
            framework: "A1_FACTURE_FOURNISSEUR".into(),
            number: "F-2026-001".into(),
            date: "2026-11-29".into(),
            kind: "FACTURE".into(),
            currency: "EUR".into(),
            vat_regime: "TVA_SUR_DEBIT".into(),
            payment_mode: "VIREMENT".into(),
            lines: vec![LineInput {
                designation: "Repair".into(),
                quantity: "2".into(),
                unit_price: "150.25".into(),
                vat_rate: "20".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_invoice_passes_with_its_totals() {
        let (checked, errors) = check(&input(), Some(&recipient("none")), true);
        assert!(errors.is_empty(), "{errors:?}");
        let t = checked.unwrap().totals;
        assert_eq!((t.net, t.vat, t.gross, t.due), (30050, 6010, 36060, 36060));
    }

    #[test]
    fn recipient_rules_and_limits_name_the_field() {
        let mut i = input();
        i.number = "X".repeat(21);
        i.date = "2026-02-30".into();
        let (_, errors) = check(&i, Some(&recipient("service-code")), true);
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["service_code", "number", "date"]);
        i = input();
        i.service_code = "NOPE".into();
        let (_, errors) = check(&i, Some(&recipient("commitment-number")), true);
        let english = |m: &str| portico_sdk::i18n::english(m, Some(crate::en16931::findings::EN));
        assert!(english(&errors[0].1).contains("SERV-FIN"), "{errors:?}");
        assert_eq!(errors[1].0, "order_number");
        let (_, errors) = check(&input(), None, true);
        assert!(
            english(&errors[0].1)
                .starts_with("Chorus Pro rule CHORUS-RECIPIENT-UNKNOWN (BT-47): No structure"),
            "{errors:?}"
        );
    }

    #[test]
    fn any_convertible_currency_is_accepted_and_metals_are_not() {
        let mut i = input();
        i.currency = "SEK".into();
        assert!(check(&i, Some(&recipient("none")), true).1.is_empty());
        i.currency = "XAU".into();
        let (_, errors) = check(&i, Some(&recipient("none")), true);
        assert_eq!(errors[0].0, "currency");
        assert!(errors[0].1.contains("convertible"), "{errors:?}");
    }

    #[test]
    fn stated_totals_must_match_to_the_cent() {
        let mut i = input();
        i.stated = Some(StatedTotals {
            net: Some("300.50".into()),
            vat: Some("60.11".into()),
            gross: None,
            due: None,
        });
        let (_, errors) = check(&i, Some(&recipient("none")), true);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].1.contains("60.11") && errors[0].1.contains("60.10"));
        assert!(errors[1].1.contains("does not state its total incl. VAT"));
    }
}
