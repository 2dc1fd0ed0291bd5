//! Every message the invoice checks give, in one place: one line per rule
//! id with the rule in plain words and how to say what would be right. A
//! finding carries only the rule, where, the value found and the value
//! expected; `message` puts them into words (English for now; a catalogue
//! per language replaces `RULES` once the host offers translations).

use serde::Serialize;

/// A broken rule: which, where, what was found and what would be right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule id: `BR-…` from EN 16931, `CHORUS-…` for Chorus Pro's own.
    pub rule: String,
    /// The business term (or group) concerned, e.g. `BT-106`.
    pub term: &'static str,
    /// Where, when the document has several: `line 2`, `VAT breakdown S 20 %`.
    pub place: String,
    /// The value found (empty: nothing).
    pub found: String,
    /// The value that would be right (empty: see the rule).
    pub expected: String,
}

impl Finding {
    /// A finding of `rule` on `term`.
    pub fn new(
        rule: impl Into<String>,
        term: &'static str,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) -> Finding {
        Finding {
            rule: rule.into(),
            term,
            place: String::new(),
            found: found.into(),
            expected: expected.into(),
        }
    }

    /// The same finding, placed (a line, a VAT category…).
    pub fn at(mut self, place: impl Into<String>) -> Finding {
        self.place = place.into();
        self
    }

    /// Whether the rule is Chorus Pro's rather than the standard's.
    pub fn is_chorus_pro(&self) -> bool {
        self.rule.starts_with("CHORUS")
    }

    /// The finding in words: the rule id, where, the rule, what was found
    /// and what would be right.
    pub fn message(&self) -> String {
        let key = wording(&self.rule);
        let (rule, expected) = RULES
            .iter()
            .find(|(id, _, _)| *id == key)
            .map(|(_, r, e)| (*r, *e))
            .unwrap_or(("The file breaks this rule.", "{}"));
        let who = if self.is_chorus_pro() {
            "Chorus Pro rule"
        } else {
            "EN 16931"
        };
        let place = if self.place.is_empty() {
            String::new()
        } else {
            format!(", {}", self.place)
        };
        let found = if self.found.is_empty() {
            "nothing".to_string()
        } else {
            format!("“{}”", self.found)
        };
        let mut out = format!(
            "{who} {} ({}{place}): {rule} Found: {found}.",
            self.rule, self.term
        );
        if !self.expected.is_empty() {
            out.push(' ');
            out.push_str(&expected.replace("{}", &self.expected));
            out.push('.');
        }
        out
    }
}

/// VAT categories (UNCL 5305) and the prefix of their rules in EN 16931.
pub const CATEGORIES: [(&str, &str, &str); 9] = [
    ("S", "S", "standard rate"),
    ("Z", "Z", "zero rated"),
    ("E", "E", "exempt from VAT"),
    ("AE", "AE", "reverse charge"),
    ("K", "IC", "intra-community supply"),
    ("G", "G", "export outside the EU"),
    ("O", "O", "not subject to VAT"),
    ("L", "AF", "IGIC, Canary Islands"),
    ("M", "AG", "IPSI, Ceuta and Melilla"),
];

/// The wording a rule id uses: the per-category rules (`BR-S-05`,
/// `BR-AE-02`…) share theirs by kind.
fn wording(rule: &str) -> String {
    if rule.starts_with("BR-DEC") {
        return "BR-DEC".into();
    }
    let Some((prefix, n)) = rule.strip_prefix("BR-").and_then(|r| r.rsplit_once('-')) else {
        return rule.into();
    };
    let Some((cat, _, _)) = CATEGORIES.iter().find(|c| c.1 == prefix) else {
        return rule.into();
    };
    let kind = match (n, *cat) {
        ("02" | "03" | "04", "AE" | "K" | "G" | "O") => format!("ID-{cat}"),
        ("02" | "03" | "04", _) => "ID".into(),
        ("05" | "06" | "07", "S") => "RATE-POS".into(),
        ("05" | "06" | "07", "O") => "RATE-NONE".into(),
        ("05" | "06" | "07", "L" | "M") => "RATE-NONNEG".into(),
        ("05" | "06" | "07", _) => "RATE-ZERO".into(),
        ("09", "S" | "L" | "M") => "VAT-RATE".into(),
        ("09", _) => "VAT-ZERO".into(),
        ("10", "S" | "Z" | "L" | "M") => "EXEMPT-NONE".into(),
        ("10", _) => "EXEMPT-NEEDED".into(),
        ("11" | "12", "K") => format!("IC-{n}"),
        (n, _) => n.into(),
    };
    format!("CAT-{kind}")
}

/// (rule id, the rule in plain words, how to word the expected value).
pub const RULES: &[(&str, &str, &str)] = &[
    ("XML", "The file must be a well-formed XML invoice.", "{}"),
    (
        "NUMBER",
        "An amount, quantity, price or rate is a number with a dot for decimals, such as 1234.56.",
        "Write it like {}",
    ),
    (
        "BR-01",
        "An invoice states its specification identifier (BT-24), such as urn:cen.eu:en16931:2017.",
        "Expected {}",
    ),
    ("BR-02", "An invoice has a number (BT-1).", "{}"),
    ("BR-03", "An invoice has an issue date (BT-2).", "{}"),
    (
        "BR-04",
        "An invoice has a type code (BT-3), such as 380 for an invoice or 381 for a credit note.",
        "{}",
    ),
    ("BR-05", "An invoice states its currency (BT-5).", "{}"),
    ("BR-06", "An invoice names the seller (BT-27).", "{}"),
    ("BR-07", "An invoice names the buyer (BT-44).", "{}"),
    (
        "BR-08",
        "An invoice gives the seller's postal address (BG-5).",
        "{}",
    ),
    (
        "BR-09",
        "The seller's postal address has a country code (BT-40).",
        "{}",
    ),
    (
        "BR-10",
        "An invoice gives the buyer's postal address (BG-8).",
        "{}",
    ),
    (
        "BR-11",
        "The buyer's postal address has a country code (BT-55).",
        "{}",
    ),
    (
        "BR-12",
        "An invoice states the sum of its line net amounts (BT-106).",
        "The lines add up to {}",
    ),
    (
        "BR-13",
        "An invoice states its total without VAT (BT-109).",
        "It would be {}",
    ),
    (
        "BR-14",
        "An invoice states its total with VAT (BT-112).",
        "It would be {}",
    ),
    (
        "BR-15",
        "An invoice states the amount due for payment (BT-115).",
        "It would be {}",
    ),
    ("BR-16", "An invoice has at least one line (BG-25).", "{}"),
    (
        "BR-17",
        "A payee other than the seller is named (BT-59).",
        "{}",
    ),
    (
        "BR-18",
        "A seller's tax representative is named (BT-62).",
        "{}",
    ),
    (
        "BR-19",
        "A seller's tax representative has a postal address (BG-12).",
        "{}",
    ),
    (
        "BR-20",
        "The tax representative's address has a country code (BT-69).",
        "{}",
    ),
    ("BR-21", "Each line has an identifier (BT-126).", "{}"),
    (
        "BR-22",
        "Each line has an invoiced quantity (BT-129).",
        "{}",
    ),
    (
        "BR-23",
        "Each line has a unit of measure for its quantity (BT-130).",
        "{}",
    ),
    ("BR-24", "Each line has a net amount (BT-131).", "{}"),
    ("BR-25", "Each line names the item sold (BT-153).", "{}"),
    ("BR-26", "Each line has an item net price (BT-146).", "{}"),
    ("BR-27", "An item net price (BT-146) is not negative.", "{}"),
    (
        "BR-28",
        "An item gross price (BT-148) is not negative.",
        "{}",
    ),
    (
        "BR-29",
        "The invoicing period ends (BT-74) on or after it starts (BT-73).",
        "It starts on {}",
    ),
    (
        "BR-30",
        "A line period ends (BT-135) on or after it starts (BT-134).",
        "It starts on {}",
    ),
    (
        "BR-31",
        "Each document-level allowance has an amount (BT-92).",
        "{}",
    ),
    (
        "BR-32",
        "Each document-level allowance has a VAT category code (BT-95).",
        "{}",
    ),
    (
        "BR-33",
        "Each document-level allowance has a reason (BT-97) or a reason code (BT-98).",
        "{}",
    ),
    (
        "BR-36",
        "Each document-level charge has an amount (BT-99).",
        "{}",
    ),
    (
        "BR-37",
        "Each document-level charge has a VAT category code (BT-102).",
        "{}",
    ),
    (
        "BR-38",
        "Each document-level charge has a reason (BT-104) or a reason code (BT-105).",
        "{}",
    ),
    ("BR-41", "Each line allowance has an amount (BT-136).", "{}"),
    (
        "BR-42",
        "Each line allowance has a reason (BT-139) or a reason code (BT-140).",
        "{}",
    ),
    ("BR-43", "Each line charge has an amount (BT-141).", "{}"),
    (
        "BR-44",
        "Each line charge has a reason (BT-144) or a reason code (BT-145).",
        "{}",
    ),
    (
        "BR-45",
        "Each VAT breakdown has a taxable amount (BT-116).",
        "{}",
    ),
    (
        "BR-46",
        "Each VAT breakdown has a tax amount (BT-117).",
        "{}",
    ),
    (
        "BR-47",
        "Each VAT breakdown has a VAT category code (BT-118).",
        "{}",
    ),
    (
        "BR-48",
        "Each VAT breakdown has a VAT rate (BT-119), unless it is “not subject to VAT” (O).",
        "{}",
    ),
    (
        "BR-49",
        "Each payment instruction has a payment means code (BT-81).",
        "{}",
    ),
    (
        "BR-50",
        "A credit transfer gives the account to pay to (BT-84).",
        "{}",
    ),
    (
        "BR-52",
        "Each supporting document has a reference (BT-122).",
        "{}",
    ),
    (
        "BR-53",
        "When a VAT accounting currency (BT-6) is given, the VAT total in that currency (BT-111) is given too.",
        "{}",
    ),
    (
        "BR-55",
        "Each preceding invoice reference gives the invoice number (BT-25).",
        "{}",
    ),
    (
        "BR-56",
        "A seller's tax representative has a VAT identifier (BT-63).",
        "{}",
    ),
    (
        "BR-61",
        "A payment by credit transfer (code 30 or 58) gives the account to pay to (BT-84).",
        "{}",
    ),
    (
        "BR-62",
        "The seller's electronic address (BT-34) has a scheme identifier.",
        "{}",
    ),
    (
        "BR-63",
        "The buyer's electronic address (BT-49) has a scheme identifier.",
        "{}",
    ),
    (
        "BR-64",
        "An item standard identifier (BT-157) has a scheme identifier.",
        "{}",
    ),
    (
        "BR-CO-03",
        "The VAT point date (BT-7) and the VAT point date code (BT-8) are not both given.",
        "{}",
    ),
    (
        "BR-CO-04",
        "Each line has a VAT category code (BT-151).",
        "{}",
    ),
    (
        "BR-CO-09",
        "A VAT identifier (BT-31, BT-48, BT-63) starts with the country's two-letter code.",
        "For example {}",
    ),
    (
        "BR-CO-10",
        "The sum of line net amounts (BT-106) equals the lines' net amounts (BT-131) added up.",
        "The lines add up to {}",
    ),
    (
        "BR-CO-11",
        "The sum of document-level allowances (BT-107) equals the allowances (BT-92) added up.",
        "The allowances add up to {}",
    ),
    (
        "BR-CO-12",
        "The sum of document-level charges (BT-108) equals the charges (BT-99) added up.",
        "The charges add up to {}",
    ),
    (
        "BR-CO-13",
        "The total without VAT (BT-109) is the sum of the lines (BT-106), minus the allowances (BT-107), plus the charges (BT-108).",
        "That makes {}",
    ),
    (
        "BR-CO-14",
        "The VAT total (BT-110) is the sum of the VAT of each category (BT-117).",
        "The categories add up to {}",
    ),
    (
        "BR-CO-15",
        "The total with VAT (BT-112) is the total without VAT (BT-109) plus the VAT total (BT-110).",
        "That makes {}",
    ),
    (
        "BR-CO-16",
        "The amount due (BT-115) is the total with VAT (BT-112), minus what was paid (BT-113), plus the rounding (BT-114).",
        "That makes {}",
    ),
    (
        "BR-CO-17",
        "The VAT of a category (BT-117) is its taxable amount (BT-116) times its rate (BT-119), rounded to the cent.",
        "That makes {}",
    ),
    (
        "BR-CO-18",
        "An invoice has at least one VAT breakdown (BG-23).",
        "{}",
    ),
    (
        "BR-CO-19",
        "An invoicing period (BG-14) has a start date (BT-73) or an end date (BT-74).",
        "{}",
    ),
    (
        "BR-CO-20",
        "A line period (BG-26) has a start date (BT-134) or an end date (BT-135).",
        "{}",
    ),
    (
        "BR-CO-25",
        "When an amount is due (BT-115), the invoice gives a due date (BT-9) or payment terms (BT-20).",
        "{}",
    ),
    (
        "BR-CO-26",
        "The seller is identified by an identifier (BT-29), a legal registration identifier (BT-30) or a VAT identifier (BT-31).",
        "{}",
    ),
    ("BR-DEC", "Amounts have at most 2 decimals.", "{}"),
    (
        "BR-CL-01",
        "The type code (BT-3) is an invoice or credit note code of UNTDID 1001.",
        "For example {}",
    ),
    (
        "BR-CL-04",
        "The currency (BT-5) is an ISO 4217 code.",
        "For example {}",
    ),
    (
        "BR-CL-05",
        "The VAT accounting currency (BT-6) is an ISO 4217 code.",
        "For example {}",
    ),
    (
        "BR-CL-18",
        "A VAT category code is one of UNCL 5305: S, Z, E, AE, K, G, O, L, M or B.",
        "{}",
    ),
    // Per VAT category: the same ten rules for each (S standard, Z zero
    // rated, E exempt, AE reverse charge, K intra-community, G export,
    // O not subject, L IGIC, M IPSI).
    (
        "CAT-01",
        "An invoice using this VAT category (on a line, an allowance or a charge) has a VAT breakdown for it (BG-23).",
        "{}",
    ),
    (
        "CAT-ID",
        "This VAT category needs the seller's VAT identifier (BT-31), tax registration (BT-32) or tax representative's VAT identifier (BT-63).",
        "{}",
    ),
    (
        "CAT-ID-AE",
        "A reverse charge needs the seller's VAT identifier (BT-31, BT-32 or BT-63) and the buyer's VAT identifier (BT-48) or legal registration identifier (BT-47).",
        "{}",
    ),
    (
        "CAT-ID-K",
        "An intra-community supply needs the seller's VAT identifier (BT-31 or BT-63) and the buyer's VAT identifier (BT-48).",
        "{}",
    ),
    (
        "CAT-ID-G",
        "An export outside the EU needs the seller's VAT identifier (BT-31 or BT-63).",
        "{}",
    ),
    (
        "CAT-ID-O",
        "An invoice not subject to VAT gives no VAT identifier for the seller (BT-31, BT-63) or the buyer (BT-48).",
        "{}",
    ),
    (
        "CAT-RATE-POS",
        "In this VAT category the rate is greater than zero.",
        "{}",
    ),
    ("CAT-RATE-ZERO", "In this VAT category the rate is 0.", "{}"),
    (
        "CAT-RATE-NONE",
        "Not subject to VAT means no VAT rate at all.",
        "{}",
    ),
    (
        "CAT-RATE-NONNEG",
        "In this VAT category the rate is 0 or more.",
        "{}",
    ),
    (
        "CAT-08",
        "The taxable amount of this VAT category (BT-116) is its lines' net amounts, plus its charges, minus its allowances.",
        "That makes {}",
    ),
    (
        "CAT-VAT-RATE",
        "The VAT of this category (BT-117) is its taxable amount times its rate.",
        "That makes {}",
    ),
    (
        "CAT-VAT-ZERO",
        "The VAT of this category (BT-117) is 0.",
        "{}",
    ),
    (
        "CAT-EXEMPT-NONE",
        "This VAT category has no exemption reason (BT-120, BT-121).",
        "{}",
    ),
    (
        "CAT-EXEMPT-NEEDED",
        "This VAT category states its exemption reason (BT-120) or reason code (BT-121).",
        "{}",
    ),
    (
        "CAT-11",
        "An invoice not subject to VAT (O) has no other VAT breakdown.",
        "{}",
    ),
    (
        "CAT-12",
        "An invoice not subject to VAT (O) has no line in another VAT category.",
        "{}",
    ),
    (
        "CAT-13",
        "An invoice not subject to VAT (O) has no allowance in another VAT category.",
        "{}",
    ),
    (
        "CAT-14",
        "An invoice not subject to VAT (O) has no charge in another VAT category.",
        "{}",
    ),
    (
        "CAT-IC-11",
        "An intra-community supply gives the delivery date (BT-72) or the invoicing period (BG-14).",
        "{}",
    ),
    (
        "CAT-IC-12",
        "An intra-community supply gives the country delivered to (BT-80).",
        "{}",
    ),
    // Chorus Pro's own rules, checked once the invoice meets the standard.
    (
        "CHORUS-BUYER",
        "Chorus Pro routes an invoice to the buyer's SIRET: the buyer's legal registration identifier (BT-47), an identifier (BT-46) or the electronic address (BT-49) with scheme 0009.",
        "{}",
    ),
    (
        "CHORUS-RECIPIENT-UNKNOWN",
        "No structure is registered with this identifier; check the SIRET with your customer.",
        "{}",
    ),
    (
        "CHORUS-RECIPIENT-PRIVATE",
        "This structure is not a public one; Issued invoices sends to public bodies only.",
        "{}",
    ),
    (
        "CHORUS-RECIPIENT-INACTIVE",
        "This structure is not active in the directory; it cannot receive invoices.",
        "{}",
    ),
    (
        "CHORUS-SELLER",
        "The seller (BT-29, BT-30 or BT-34) is the structure that deposits the invoice.",
        "You deposit for {}",
    ),
    (
        "CHORUS-SERVICE",
        "The service code (buyer reference, BT-10) is one of the recipient's active services, or empty.",
        "Its services are {}",
    ),
    (
        "CHORUS-SERVICE-REQUIRED",
        "This recipient requires a service code on its invoices (buyer reference, BT-10).",
        "Its services are {}",
    ),
    (
        "CHORUS-EJ-REQUIRED",
        "This recipient requires a commitment (EJ) number on its invoices (purchase order reference, BT-13).",
        "{}",
    ),
    (
        "CHORUS-EITHER-REQUIRED",
        "This recipient requires a service code (BT-10) or a commitment number (BT-13).",
        "{}",
    ),
    (
        "CHORUS-FRAMEWORK",
        "The billing framework (BT-23) of an invoice deposited in Issued invoices is A1 (supplier invoice) or A2 (already paid).",
        "{}",
    ),
    (
        "CHORUS-TYPE",
        "Chorus Pro does not accept self-billed credit notes (type code 261).",
        "{}",
    ),
    (
        "CHORUS-NUMBER",
        "An invoice number (BT-1) has at most 20 characters.",
        "{}",
    ),
    (
        "CHORUS-NUMBER-USED",
        "Every invoice of a supplier has its own number (BT-1).",
        "{}",
    ),
    (
        "CHORUS-ORDER",
        "A commitment number (BT-13) has at most 50 characters.",
        "{}",
    ),
    (
        "CHORUS-CONTRACT",
        "A contract number (BT-12) has at most 50 characters.",
        "{}",
    ),
    (
        "CHORUS-CURRENCY",
        "Chorus Pro takes invoices in euros or in a convertible currency; precious metals, funds and test codes are not currencies to pay in.",
        "{}",
    ),
    (
        "CHORUS-DATE",
        "The issue date (BT-2) is a real date between 1900 and 2100, written YYYY-MM-DD.",
        "{}",
    ),
    (
        "CHORUS-LINES",
        "Chorus Pro takes at most 200 lines per invoice.",
        "{}",
    ),
    (
        "CHORUS-A2-PAID",
        "An invoice in framework A2 (already paid) has nothing left to pay (BT-115 = 0).",
        "{}",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_names_the_rule_the_term_the_value_and_what_is_right() {
        let f = Finding::new("BR-CO-10", "BT-106", "100.00", "120.00");
        assert_eq!(
            f.message(),
            "EN 16931 BR-CO-10 (BT-106): The sum of line net amounts (BT-106) equals the lines' net amounts (BT-131) added up. Found: “100.00”. The lines add up to 120.00."
        );
        let f = Finding::new("CHORUS-TYPE", "BT-3", "261", "").at("document");
        assert!(
            f.message()
                .starts_with("Chorus Pro rule CHORUS-TYPE (BT-3, document)")
        );
        assert!(f.is_chorus_pro());
    }

    #[test]
    fn every_rule_id_is_worded_once() {
        assert_eq!(wording("BR-S-05"), "CAT-RATE-POS");
        assert_eq!(wording("BR-AE-02"), "CAT-ID-AE");
        assert_eq!(wording("BR-IC-11"), "CAT-IC-11");
        assert_eq!(wording("BR-CO-10"), "BR-CO-10");
        assert_eq!(wording("BR-DEC-09"), "BR-DEC");
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.0).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "a rule id is worded twice");
    }
}
