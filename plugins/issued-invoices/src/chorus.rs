//! Chorus Pro's own rules for an invoice, checked after the standard's:
//! routing to the buyer's SIRET and its services and commitment rules,
//! billing frameworks, type codes, number lengths, currencies. And the
//! mapping of a conformant EN 16931 invoice onto the invoice as kept.

use crate::en16931::model::{self as en, Party, Profile};
use crate::en16931::{Dec, Finding, rules};
use crate::model::{self, Adjustment, DocumentRef, Invoice, Line};
use crate::money::{Totals, VatLine};
use portico_sdk::messages::Recipient;

/// Codes of ISO 4217 that are not money to pay an invoice in: precious
/// metals, bond-market units, fund codes, SDR, test and "no currency".
const NOT_CONVERTIBLE: [&str; 17] = [
    "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX",
    "BOV", "CHE", "CHW", "CLF",
];

/// Whether Chorus Pro takes invoices in `code`: EUR, or a convertible
/// ISO 4217 currency (brief §4.4).
pub fn convertible(code: &str) -> bool {
    code.len() == 3
        && rules::CURRENCIES.contains(&format!(" {code} "))
        && !NOT_CONVERTIBLE.contains(&code)
}

/// Chorus Pro's framework codes (brief §4.2), by their short code.
const FRAMEWORK_CODES: [&str; 25] = [
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

/// The billing framework BT-23 carries (brief §4.2): one of Chorus Pro's
/// codes, written in full (`A1_FACTURE_FOURNISSEUR`) or short (`A1`);
/// absent or anything else (a Peppol or Factur-X process URN) means A1.
/// `Err` for a Chorus Pro framework that Issued invoices does not deposit.
pub fn framework(process: Option<&str>) -> Result<&'static str, Finding> {
    let value = process.unwrap_or("").trim();
    let short = |c: &str| c.split('_').next().unwrap_or(c).to_string();
    let Some(code) = FRAMEWORK_CODES
        .iter()
        .find(|c| value.eq_ignore_ascii_case(c) || value.eq_ignore_ascii_case(&short(c)))
    else {
        return Ok(FRAMEWORK_CODES[0]);
    };
    if model::FRAMEWORKS.iter().any(|(c, _, _)| c == code) {
        Ok(code)
    } else {
        Err(Finding::new("CHORUS-FRAMEWORK", "BT-23", value, ""))
    }
}

/// The Chorus Pro invoice type of a UNTDID 1001 code.
pub fn kind(inv: &en::Invoice) -> Result<&'static str, Finding> {
    let code = inv.type_code.as_deref().unwrap_or("");
    match code {
        "261" => Err(Finding::new("CHORUS-TYPE", "BT-3", code, "")),
        "386" => Ok("ACOMPTE"),
        "81" | "83" | "262" | "296" | "308" | "381" | "396" | "420" | "458" | "502" | "503"
        | "532" => Ok("AVOIR"),
        _ if inv.credit_note => Ok("AVOIR"),
        _ => Ok("FACTURE"),
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The SIRETs a party states (BT-30/47, BT-29/46, BT-34/49), scheme 0009
/// (or a French legal identifier of 14 digits), and the other French
/// identifiers it gives (a SIREN, scheme 0002) to name in a message.
pub fn sirets(p: &Party) -> (Vec<String>, Vec<String>) {
    let mut found = Vec::new();
    let mut others = Vec::new();
    let ids = p
        .legal_id
        .iter()
        .chain(p.ids.iter())
        .chain(p.electronic_address.iter());
    for id in ids {
        let v = digits(&id.value);
        let numeric = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
        match id.scheme.as_deref() {
            Some("0009") | None | Some("0002") if numeric && v.len() == 14 => found.push(v),
            Some("0002") | Some("0009") => others.push(id.value.clone()),
            _ => {}
        }
    }
    found.dedup();
    (found, others)
}

/// The recipient's SIRET, or why there is none.
pub fn buyer_siret(inv: &en::Invoice) -> Result<String, Finding> {
    let (found, others) = sirets(&inv.buyer);
    found
        .into_iter()
        .next()
        .ok_or_else(|| Finding::new("CHORUS-BUYER", "BT-47", others.join(", "), ""))
}

/// Days a public buyer has to pay an invoice (Code de la commande
/// publique, art. R2192-10: the State, its public bodies and local
/// authorities; public health bodies have 50, art. R2192-11). A due date
/// further away does not make an invoice unreceivable, but the buyer owes
/// payment within the legal delay whatever the invoice says: the sender is
/// told (Chorus Pro's "receivable with errors").
pub const LEGAL_PAYMENT_DAYS: i64 = 30;

/// Days from the issue date (BT-2) to the due date (BT-9), when the
/// invoice gives both.
pub fn payment_days(inv: &en::Invoice) -> Option<i64> {
    Some(day_number(inv.due_date.as_deref()?)? - day_number(inv.issue_date.as_deref()?)?)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (H. Hinnant's
/// days-from-civil); `None` for anything else.
fn day_number(iso: &str) -> Option<i64> {
    let mut parts = iso.splitn(3, '-');
    let (y, m, d): (i64, i64, i64) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Routing checks against the recipient's directory entry: (form field,
/// finding). One place for the form and the deposits.
pub fn routing(
    recipient_id: &str,
    recipient: Option<&Recipient>,
    service_code: &str,
    order_number: &str,
) -> Vec<(&'static str, Finding)> {
    let mut out = Vec::new();
    let Some(r) = recipient else {
        out.push((
            "recipient",
            Finding::new("CHORUS-RECIPIENT-UNKNOWN", "BT-47", recipient_id, ""),
        ));
        return out;
    };
    let place = crate::en16931::findings::place(
        "recipient",
        &[
            ("name", portico_sdk::i18n::Arg::Text(&r.name)),
            ("id", portico_sdk::i18n::Arg::Text(&r.id)),
        ],
    );
    if r.kind != portico_sdk::StructureKind::Public {
        out.push((
            "recipient",
            Finding::new("CHORUS-RECIPIENT-PRIVATE", "BT-47", &r.id, "").at_message(place),
        ));
        return out;
    }
    if !r.active {
        out.push((
            "recipient",
            Finding::new("CHORUS-RECIPIENT-INACTIVE", "BT-47", &r.id, "").at_message(place),
        ));
        return out;
    }
    let codes: Vec<&str> = r.services.iter().map(|(c, _)| c.as_str()).collect();
    let listed = if codes.is_empty() {
        "none".to_string()
    } else {
        codes.join(", ")
    };
    if !service_code.is_empty() && !codes.contains(&service_code) {
        out.push((
            "service_code",
            Finding::new("CHORUS-SERVICE", "BT-10", service_code, &listed)
                .at_message(place.clone()),
        ));
    } else if r.requires_service_code() && service_code.is_empty() {
        out.push((
            "service_code",
            Finding::new("CHORUS-SERVICE-REQUIRED", "BT-10", "", &listed).at_message(place.clone()),
        ));
    }
    if r.requires_commitment_number() && order_number.is_empty() {
        out.push((
            "order_number",
            Finding::new("CHORUS-EJ-REQUIRED", "BT-13", "", "").at_message(place.clone()),
        ));
    }
    if r.requires_either() && order_number.is_empty() && service_code.is_empty() {
        out.push((
            "order_number",
            Finding::new("CHORUS-EITHER-REQUIRED", "BT-13", "", "").at_message(place),
        ));
    }
    out
}

/// Chorus Pro's rules on a conformant invoice deposited by `depositor`
/// (its SIRET) to `recipient` (the directory entry of the buyer's SIRET).
pub fn check(inv: &en::Invoice, depositor: &str, recipient: Option<&Recipient>) -> Vec<Finding> {
    let mut out = Vec::new();
    match buyer_siret(inv) {
        Ok(siret) => out.extend(
            routing(
                &siret,
                recipient,
                inv.buyer_reference.as_deref().unwrap_or(""),
                inv.order.as_deref().unwrap_or(""),
            )
            .into_iter()
            .map(|(_, f)| f),
        ),
        Err(f) => out.push(f),
    }
    let (sellers, others) = sirets(&inv.seller);
    if !sellers.iter().any(|s| s == depositor) {
        let found = sellers
            .into_iter()
            .chain(others)
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Finding::new("CHORUS-SELLER", "BT-30", found, depositor));
    }
    let framework = framework(inv.process.as_deref());
    if let Err(f) = &framework {
        out.push(f.clone());
    }
    if let Err(f) = kind(inv) {
        out.push(f);
    }
    let number = inv.number.as_deref().unwrap_or("");
    if number.chars().count() > model::MAX_NUMBER_CHARS {
        out.push(Finding::new("CHORUS-NUMBER", "BT-1", number, ""));
    }
    if let Some(o) = &inv.order
        && o.chars().count() > model::MAX_ORDER_CHARS
    {
        out.push(Finding::new("CHORUS-ORDER", "BT-13", o, ""));
    }
    if let Some(c) = &inv.contract
        && c.chars().count() > model::MAX_CONTRACT_CHARS
    {
        out.push(Finding::new("CHORUS-CONTRACT", "BT-12", c, ""));
    }
    if let Some(cur) = &inv.currency
        && !convertible(cur)
    {
        out.push(Finding::new("CHORUS-CURRENCY", "BT-5", cur, ""));
    }
    if let Some(d) = &inv.issue_date
        && !model::valid_date(d)
    {
        out.push(Finding::new("CHORUS-DATE", "BT-2", d, ""));
    }
    if inv.lines.len() > model::MAX_LINES {
        out.push(Finding::new(
            "CHORUS-LINES",
            "BG-25",
            inv.lines.len().to_string(),
            "",
        ));
    }
    if framework == Ok("A2_FACTURE_FOURNISSEUR_DEJA_PAYEE")
        && inv.totals.payable.is_some_and(|p| !p.is_zero())
    {
        out.push(Finding::new(
            "CHORUS-A2-PAID",
            "BT-115",
            show(inv.totals.payable),
            "0.00",
        ));
    }
    out
}

fn show(d: Option<Dec>) -> String {
    d.map(|d| d.fixed(2)).unwrap_or_default()
}

fn cents(d: Option<Dec>) -> i64 {
    d.and_then(|d| d.round(2).to_cents()).unwrap_or(0)
}

fn payment_mode(code: &str) -> &'static str {
    match code {
        "30" | "31" | "42" | "58" => "VIREMENT",
        "20" => "CHEQUE",
        "49" | "59" => "PRELEVEMENT",
        "10" => "ESPECE",
        "" => "AUTRE",
        _ => "AUTRE",
    }
}

fn adjustment(a: &en::AllowanceCharge) -> Adjustment {
    let reason = match (&a.reason, &a.reason_code) {
        (Some(r), Some(c)) => format!("{r} ({c})"),
        (Some(r), None) => r.clone(),
        (None, Some(c)) => format!("code {c}"),
        (None, None) => String::new(),
    };
    let basis = match (a.percent, a.base) {
        (Some(p), Some(b)) => format!("{p} % of {}", b.fixed(2)),
        (Some(p), None) => format!("{p} %"),
        (None, Some(b)) => format!("on {}", b.fixed(2)),
        (None, None) => String::new(),
    };
    Adjustment {
        charge: a.charge,
        amount: show(a.amount),
        reason,
        basis,
        vat: [a.vat_category.clone(), a.vat_rate.map(|r| r.to_string())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// A label for the syntax and profile, as shown to both parties.
pub fn format_label(inv: &en::Invoice, factur_x: bool) -> String {
    let syntax = match (inv.syntax, inv.credit_note) {
        (en::Syntax::Ubl, false) => "UBL 2.1 invoice",
        (en::Syntax::Ubl, true) => "UBL 2.1 credit note",
        (en::Syntax::Cii, _) if factur_x => "Factur-X (CII D16B in PDF/A-3)",
        (en::Syntax::Cii, _) => "CII D16B",
    };
    let profile = match inv.profile() {
        Profile::Minimum => ", profile Minimum: the PDF is the invoice, the XML its header",
        Profile::BasicWl => ", profile Basic WL: the PDF carries the lines",
        Profile::Basic => ", profile Basic",
        Profile::Full => "",
    };
    format!(
        "{syntax}{profile} ({})",
        inv.specification
            .as_deref()
            .unwrap_or("no specification identifier")
    )
}

/// Fills the kept invoice from a conformant EN 16931 invoice (the amounts
/// are the file's: the rules proved them consistent).
pub fn apply(inv: &en::Invoice, out: &mut Invoice, recipient: Option<&Recipient>, factur_x: bool) {
    out.number = inv.number.clone().unwrap_or_default();
    out.framework = framework(inv.process.as_deref()).unwrap_or("").to_string();
    out.kind = kind(inv).unwrap_or("").to_string();
    out.date = inv.issue_date.clone().unwrap_or_default();
    out.currency = inv.currency.clone().unwrap_or_default();
    out.recipient_id = buyer_siret(inv).unwrap_or_default();
    out.recipient_name = recipient.map_or_else(
        || inv.buyer.name.clone().unwrap_or_default(),
        |r| r.name.clone(),
    );
    out.service_code = inv.buyer_reference.clone().unwrap_or_default();
    out.order_number = inv.order.clone().unwrap_or_default();
    out.contract_number = inv.contract.clone().unwrap_or_default();
    out.original_number = inv
        .preceding
        .first()
        .and_then(|p| p.number.clone())
        .unwrap_or_default();
    out.notes = inv
        .notes
        .iter()
        .map(|n| match &n.subject {
            Some(s) => format!("[{s}] {}", n.text),
            None => n.text.clone(),
        })
        .collect();
    let categories: Vec<&str> = inv
        .vat_breakdown
        .iter()
        .filter_map(|b| b.category.as_deref())
        .collect();
    out.vat_regime = if !categories.is_empty() && categories.iter().all(|c| *c == "E") {
        "EXONERATION"
    } else if !categories.is_empty() && categories.iter().all(|c| *c == "O") {
        "SANS_TVA"
    } else if matches!(inv.tax_point_code.as_deref(), Some("72" | "432")) {
        "TVA_SUR_ENCAISSEMENT"
    } else {
        "TVA_SUR_DEBIT"
    }
    .to_string();
    let exemption = |b: &en::VatBreakdown| {
        [b.exemption_reason.clone(), b.exemption_code.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — ")
    };
    out.vat_exemption_reason = inv
        .vat_breakdown
        .iter()
        .map(exemption)
        .find(|e| !e.is_empty())
        .unwrap_or_default();
    let first_means = inv.payment_means.first();
    out.payment_mode = if out.kind == "AVOIR" {
        String::new()
    } else {
        payment_mode(first_means.and_then(|m| m.code.as_deref()).unwrap_or("")).to_string()
    };
    out.payment_account = first_means
        .and_then(|m| m.accounts.first().cloned())
        .unwrap_or_default();
    out.payment_terms = inv.payment_terms.clone().unwrap_or_default();
    out.due_date = inv.due_date.clone().unwrap_or_default();
    out.comment = String::new();
    out.format = format_label(inv, factur_x);
    out.adjustments = inv.allowances_charges.iter().map(adjustment).collect();
    out.documents = inv
        .attachments
        .iter()
        .map(|a| DocumentRef {
            id: a.id.clone().unwrap_or_default(),
            description: a.description.clone().unwrap_or_default(),
            uri: a.uri.clone().unwrap_or_default(),
            embedded: match (&a.filename, a.embedded_bytes) {
                (Some(f), Some(n)) => format!("{f}, {n} bytes"),
                (None, Some(n)) => format!("{n} bytes"),
                _ => String::new(),
            },
        })
        .collect();
    out.lines = inv
        .lines
        .iter()
        .map(|l| Line {
            reference: l.seller_item_id.clone().unwrap_or_default(),
            designation: l.name.clone().unwrap_or_default(),
            quantity: l.quantity.map(|q| q.to_string()).unwrap_or_default(),
            unit: l.unit.clone().unwrap_or_default(),
            unit_price: show(l.net_price),
            discount: String::new(),
            vat_rate: l.vat_rate.map(|r| r.to_string()).unwrap_or_default(),
            net: show(l.net),
            vat_category: l.vat_category.clone().unwrap_or_default(),
            base_quantity: l
                .base_quantity
                .filter(|b| *b != Dec::int(1))
                .map(|b| b.to_string())
                .unwrap_or_default(),
            adjustments: l.allowances_charges.iter().map(adjustment).collect(),
            note: l.note.clone().unwrap_or_default(),
        })
        .collect();
    out.vat_summary = inv
        .vat_breakdown
        .iter()
        .map(|b| VatLine {
            rate: b
                .rate
                .and_then(|r| r.checked_mul(Dec::int(100)))
                .and_then(|r| r.round(0).to_cents())
                .map_or(0, |c| c / 100),
            base: cents(b.base),
            vat: cents(b.amount),
            category: b.category.clone().unwrap_or_default(),
            exemption: exemption(b),
        })
        .collect();
    let t = &inv.totals;
    out.totals = Totals {
        net: cents(t.without_vat),
        vat: cents(t.vat),
        gross: cents(t.with_vat),
        due: cents(t.payable),
        lines: cents(t.line_net),
        allowances: cents(t.allowances),
        charges: cents(t.charges),
        prepaid: cents(t.prepaid),
        rounding: cents(t.rounding),
        vat_accounting: match (&inv.vat_currency, t.vat_accounting) {
            (Some(c), Some(v)) => Some((c.clone(), cents(Some(v)))),
            _ => None,
        },
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn payment_days_count_calendar_days_across_months_and_leap_years() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(day_number("2026-13-01"), None);
        assert_eq!(day_number("20261120"), None);
        let mut inv = en::Invoice {
            issue_date: Some("2026-11-20".into()),
            due_date: Some("2026-12-20".into()),
            ..en::Invoice::default()
        };
        assert_eq!(payment_days(&inv), Some(30));
        inv.issue_date = Some("2028-02-01".into());
        inv.due_date = Some("2028-03-02".into());
        assert_eq!(payment_days(&inv), Some(30), "2028 is a leap year");
        inv.due_date = None;
        assert_eq!(payment_days(&inv), None);
    }

    use super::*;

    #[test]
    fn bt23_is_the_framework_only_when_it_is_a_chorus_pro_code() {
        assert_eq!(framework(None), Ok("A1_FACTURE_FOURNISSEUR"));
        assert_eq!(framework(Some("A1")), Ok("A1_FACTURE_FOURNISSEUR"));
        assert_eq!(
            framework(Some("a2")),
            Ok("A2_FACTURE_FOURNISSEUR_DEJA_PAYEE")
        );
        assert_eq!(
            framework(Some("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")),
            Ok("A1_FACTURE_FOURNISSEUR")
        );
        let e = framework(Some("A9_FACTURE_SOUSTRAITANT")).unwrap_err();
        assert_eq!(e.rule, "CHORUS-FRAMEWORK");
        assert!(
            e.message().contains("A1 (supplier invoice) or A2"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn convertible_currencies_are_money_not_metals() {
        for c in ["EUR", "USD", "SEK", "JPY", "NOK", "XPF", "HUF"] {
            assert!(convertible(c), "{c}");
        }
        for c in ["XAU", "XXX", "XTS", "EURO", "", "ZZZ"] {
            assert!(!convertible(c), "{c}");
        }
    }

    #[test]
    fn a_siret_is_read_from_any_of_the_parties_identifiers() {
        let id = |v: &str, s: Option<&str>| en::Id {
            value: v.into(),
            scheme: s.map(str::to_string),
        };
        let mut p = Party {
            electronic_address: Some(id("130 001 652 00010", Some("0009"))),
            ..Party::default()
        };
        assert_eq!(sirets(&p).0, ["13000165200010"]);
        p.electronic_address = Some(id("130001652", Some("0002")));
        assert_eq!(sirets(&p), (vec![], vec!["130001652".to_string()]));
        p.ids = vec![id("13000165200010", Some("0009"))];
        assert_eq!(sirets(&p).0, ["13000165200010"]);
        p.ids = vec![id("5790000436101", Some("0088"))];
        assert!(sirets(&p).0.is_empty());
    }
}
