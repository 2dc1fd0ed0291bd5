//! The ICT refund request (*demande de remboursement TIC*): campaigns and
//! their per-unit rates (data, `data/rates.json`), beneficiary categories,
//! products, exact amounts in cents, statuses.

use portico_sdk::attachments::FileRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const RATES: &str = include_str!("../data/rates.json");

/// The customs office that processes a campaign's requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customs {
    /// Its identifier on this portal.
    pub siret: String,
    /// Its name.
    pub name: String,
}

/// A product's refund per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    /// `hl`, `100kg` or `mwh`.
    pub unit: String,
    /// Euros per unit, as a decimal string (up to 4 decimals).
    pub refund: String,
}

/// Where a campaign's rates come from: in French and English, or one text
/// for both (a file written before the two languages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Source {
    /// In each language.
    Both {
        /// French.
        fr: String,
        /// English.
        en: String,
    },
    /// The same words whatever the language.
    One(String),
}

impl Source {
    /// Whether any language says nothing.
    pub fn is_empty(&self) -> bool {
        match self {
            Source::Both { fr, en } => fr.trim().is_empty() || en.trim().is_empty(),
            Source::One(s) => s.trim().is_empty(),
        }
    }
}

/// A yearly campaign (the year of the purchases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Year of the purchases.
    pub year: u32,
    /// Where the rates come from.
    pub source: Source,
    /// Whether the rates are illustrative (not yet the published notice's):
    /// every page that computes a refund says so.
    #[serde(default)]
    pub illustrative: bool,
    /// Who processes the requests.
    pub customs: Customs,
    /// Refund per unit, by product.
    pub rates: BTreeMap<String, Rate>,
}

#[derive(Deserialize)]
struct Table {
    campaigns: Vec<Campaign>,
}

/// Every campaign, newest first.
pub fn campaigns() -> Vec<Campaign> {
    let mut c = serde_json::from_str::<Table>(RATES)
        .map(|t| t.campaigns)
        .unwrap_or_default();
    c.sort_by_key(|c| std::cmp::Reverse(c.year));
    c
}

/// The campaign of `year`.
pub fn campaign(year: u32) -> Option<Campaign> {
    campaigns().into_iter().find(|c| c.year == year)
}

/// Beneficiary categories (brief §11).
pub const CATEGORIES: [&str; 7] = [
    "individual-farm",
    "farming-company",
    "cuma",
    "contractor",
    "gie",
    "aquaculture",
    "forestry",
];

/// Products, in the form's order.
pub const PRODUCTS: [&str; 4] = ["gnr", "heavy-fuel", "lpg", "natural-gas"];

/// Invoice rows of the form.
pub const MAX_INVOICES: usize = 6;

/// Statuses and their badge tone.
pub const STATUSES: [(&str, &str); 5] = [
    ("BROUILLON", "waiting"),
    ("MISE_A_DISPOSITION", "progress"),
    ("ACCEPTEE", "done"),
    ("AJUSTEE", "done"),
    ("REJETEE", "problem"),
];

/// The badge tone of a status.
pub fn tone(status: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("waiting", |(_, t)| t)
}

/// One fuel invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// The fuel supplier.
    pub supplier: String,
    /// Invoice date, `YYYY-MM-DD`.
    pub date: String,
    /// One of [`PRODUCTS`].
    pub product: String,
    /// Volume in hundredths of the product's unit.
    pub volume: i64,
    /// Refund for this invoice, in cents.
    pub refund: i64,
    /// The invoice's copy.
    pub copy: FileRef,
}

/// One step of the event thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Status reached.
    pub status: String,
    /// When.
    pub at_ms: u64,
    /// Who.
    pub by: String,
    /// Reason or comment.
    pub comment: String,
}

/// The accounting firm that files for the farm, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firm {
    /// Its identifier.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A refund request: one per farm and campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The campaign's year (also its storage id).
    pub year: u32,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// The farm.
    pub farm_id: String,
    /// The farm's name.
    pub farm_name: String,
    /// Who filed it (a person), and for which firm if delegated.
    pub filed_by: String,
    /// The accounting firm filing for the farm.
    pub firm: Option<Firm>,
    /// The RIB, in the farm's name.
    pub rib: FileRef,
    /// Bank details copied when sent.
    pub bank: Option<serde_json::Value>,
    /// Fuel invoices.
    pub invoices: Vec<Invoice>,
    /// Advances already paid for the campaign, in cents.
    pub advances: i64,
    /// Amount the customs decided, if they adjusted it.
    pub adjusted: Option<i64>,
    /// Current status.
    pub status: String,
    /// The event thread, oldest first.
    pub history: Vec<Event>,
    /// Whether a step of the customs was not seen yet.
    #[serde(default)]
    pub unseen: bool,
}

impl RefundRequest {
    /// Sum of the invoices' refunds, in cents.
    pub fn gross(&self) -> i64 {
        self.invoices.iter().map(|i| i.refund).sum()
    }

    /// What the farm should receive: the adjusted amount, else the
    /// invoices' refunds minus the advances (never below zero).
    pub fn refund(&self) -> i64 {
        self.adjusted
            .unwrap_or_else(|| (self.gross() - self.advances).max(0))
    }
}

/// Parses a decimal with at most `places` decimals (`,` or `.`) into an
/// integer scaled by 10^places: `parse_scaled("12,5", 2)` is 1250.
pub fn parse_scaled(text: &str, places: usize) -> Option<i64> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '€')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 9 || frac.len() > places || !digits(whole) || !digits(frac)
    {
        return None;
    }
    let frac: i64 = format!("{frac:0<places$}").parse().unwrap_or(0);
    Some(whole.parse::<i64>().ok()? * 10_i64.pow(places as u32) + frac)
}

/// The refund of `volume` hundredths of a unit at `rate` euros per unit,
/// in cents, rounded half up: exact integer arithmetic.
pub fn refund_cents(rate: &str, volume: i64) -> Option<i64> {
    let per_unit = parse_scaled(rate, 4)?; // 1/10 000 €
    // per_unit (10^-4 €) × volume (10^-2 unit) = 10^-6 €; a cent is 10^4 of those.
    Some((per_unit * volume + 5_000) / 10_000)
}

/// Cents as an exact decimal string: `123456` → `1234.56`.
pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refund_is_rate_times_volume_in_exact_cents() {
        // 14.96 €/hl × 12.5 hl = 187.00 €.
        assert_eq!(refund_cents("14.96", 1_250), Some(18_700));
        // 1.665 €/100 kg × 33.33 = 55.49445 € → 55.49 €.
        assert_eq!(refund_cents("1.665", 3_333), Some(5_549));
        assert_eq!(parse_scaled("1 234,5", 2), Some(123_450));
        assert_eq!(parse_scaled("1,234", 2), None);
        assert_eq!(decimal(5_549), "55.49");
    }

    #[test]
    fn every_campaign_has_a_source_and_every_product() {
        let all = campaigns();
        assert!(all.len() >= 2);
        for c in all {
            assert!(!c.source.is_empty());
            assert!(portico_sdk::siret::validate(&c.customs.siret).is_ok());
            for p in PRODUCTS {
                let r = &c.rates[p];
                assert!(refund_cents(&r.refund, 100).is_some(), "{} {p}", c.year);
            }
        }
    }
}
