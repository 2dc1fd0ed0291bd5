//! Decimal arithmetic for invoices, in integers: quantities and unit prices
//! to 4 decimals (ten-thousandths), amounts in cents, VAT rates in basis
//! points. Rounding is half away from zero, once per line and once per VAT
//! rate, as on a paper invoice; totals are exact sums of rounded parts.

use serde::{Deserialize, Serialize};

/// Decimals a quantity or unit price may have (Chorus Pro: 4 for quantities).
pub const MAX_DECIMALS: u32 = 4;

/// Largest absolute amount accepted, in cents (10^13 € keeps every product
/// far inside i128 and every total inside i64).
const MAX_CENTS: i128 = 1_000_000_000_000_000;

/// Parses a decimal such as `12`, `-3.5`, `1 234,56` into units of
/// 10^-`decimals`. The message says what is wrong.
pub fn parse_scaled(text: &str, decimals: u32) -> Result<i128, String> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(format!("`{text}` is not a number; write it like 1234.56"));
    }
    if frac.len() > decimals as usize {
        return Err(format!(
            "`{text}` has {} decimals; at most {decimals} are allowed",
            frac.len()
        ));
    }
    if int.len() > 15 {
        return Err(format!("`{text}` is too large"));
    }
    let mut value: i128 = if int.is_empty() {
        0
    } else {
        int.parse()
            .map_err(|_| format!("`{text}` is not a number"))?
    };
    let mut frac_value: i128 = 0;
    for c in frac.chars() {
        frac_value = frac_value * 10 + i128::from(c as u8 - b'0');
    }
    frac_value *= 10i128.pow(decimals - frac.len() as u32);
    value = value * 10i128.pow(decimals) + frac_value;
    Ok(if negative { -value } else { value })
}

/// Divides rounding half away from zero.
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d.abs() {
        q + n.signum() * d.signum()
    } else {
        q
    }
}

/// Formats `value` (units of 10^-`decimals`) with exactly `decimals`
/// decimals, or trimmed of trailing zeros (keeping at least `min`).
pub fn format_scaled(value: i128, decimals: u32, min: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let v = value.abs();
    let scale = 10i128.pow(decimals);
    let mut frac = format!("{:0width$}", v % scale, width = decimals as usize);
    while frac.len() > min as usize && frac.ends_with('0') {
        frac.pop();
    }
    if frac.is_empty() {
        format!("{sign}{}", v / scale)
    } else {
        format!("{sign}{}.{frac}", v / scale)
    }
}

/// Cents as `1234.56`.
pub fn cents(value: i64) -> String {
    format_scaled(i128::from(value), 2, 2)
}

/// Parses an amount in currency units (`12.30`) into cents.
pub fn parse_cents(text: &str) -> Result<i64, String> {
    let v = parse_scaled(text, 2)?;
    i64::try_from(v).map_err(|_| format!("`{text}` is too large"))
}

/// Parses a VAT rate in percent (`20`, `5.5`, `2,1`) into basis points.
pub fn parse_rate(text: &str) -> Result<i64, String> {
    let v = parse_scaled(text.trim_end_matches('%'), 2)?;
    if !(0..=10_000).contains(&v) {
        return Err(format!("a VAT rate is between 0 and 100 %; got {text}"));
    }
    Ok(v as i64)
}

/// A rate in basis points as `5.5`.
pub fn rate(bp: i64) -> String {
    format_scaled(i128::from(bp), 2, 0)
}

/// One invoice line's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAmounts {
    /// Quantity, ten-thousandths.
    pub quantity: i128,
    /// Unit price excl. VAT, ten-thousandths of the currency.
    pub unit_price: i128,
    /// Discount excl. VAT on the line, cents.
    pub discount: i64,
    /// VAT rate, basis points.
    pub vat_rate: i64,
}

impl LineAmounts {
    /// Line total excl. VAT in cents: quantity × unit price, rounded to the
    /// cent, minus the discount.
    pub fn net(&self) -> Result<i64, String> {
        let product = self.quantity * self.unit_price; // 10^-8 units
        let net = div_round(product, 1_000_000) - i128::from(self.discount);
        if net.abs() > MAX_CENTS {
            return Err("a line amount is too large".into());
        }
        Ok(net as i64)
    }
}

/// VAT of one rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatLine {
    /// Rate, basis points.
    pub rate: i64,
    /// Taxable base, cents.
    pub base: i64,
    /// VAT amount, cents.
    pub vat: i64,
    /// VAT category code (UNCL 5305), for deposits.
    #[serde(default)]
    pub category: String,
    /// Exemption reason and code (BT-120, BT-121), for deposits.
    #[serde(default)]
    pub exemption: String,
}

/// An invoice's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Total excl. VAT, cents.
    pub net: i64,
    /// VAT, cents.
    pub vat: i64,
    /// Total incl. VAT, cents.
    pub gross: i64,
    /// Amount to pay, cents (0 for an invoice already paid, framework A2).
    pub due: i64,
    /// Sum of line net amounts (BT-106), cents.
    #[serde(default)]
    pub lines: i64,
    /// Document-level allowances (BT-107), cents.
    #[serde(default)]
    pub allowances: i64,
    /// Document-level charges (BT-108), cents.
    #[serde(default)]
    pub charges: i64,
    /// Already paid (BT-113), cents.
    #[serde(default)]
    pub prepaid: i64,
    /// Rounding (BT-114), cents.
    #[serde(default)]
    pub rounding: i64,
    /// VAT total in the VAT accounting currency (BT-6, BT-111), when the
    /// file gives it: `("EUR", cents)`.
    #[serde(default)]
    pub vat_accounting: Option<(String, i64)>,
}

/// The VAT summary (one line per rate, by rate) and the totals of `nets`
/// (line net in cents, rate in basis points).
pub fn summarize(nets: &[(i64, i64)], already_paid: bool) -> (Vec<VatLine>, Totals) {
    let mut by_rate: std::collections::BTreeMap<i64, i64> = Default::default();
    for (net, rate) in nets {
        *by_rate.entry(*rate).or_default() += net;
    }
    let summary: Vec<VatLine> = by_rate
        .into_iter()
        .map(|(rate, base)| VatLine {
            rate,
            base,
            vat: div_round(i128::from(base) * i128::from(rate), 10_000) as i64,
            category: String::new(),
            exemption: String::new(),
        })
        .collect();
    let net: i64 = summary.iter().map(|l| l.base).sum();
    let vat: i64 = summary.iter().map(|l| l.vat).sum();
    let gross = net + vat;
    let totals = Totals {
        net,
        vat,
        gross,
        due: if already_paid { 0 } else { gross },
        lines: net,
        prepaid: if already_paid { gross } else { 0 },
        ..Totals::default()
    };
    (summary, totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimals_with_either_separator_and_refuses_extra_digits() {
        assert_eq!(parse_scaled("12", 4), Ok(120_000));
        assert_eq!(parse_scaled("1 234,5", 2), Ok(123_450));
        assert_eq!(parse_scaled("-0.0001", 4), Ok(-1));
        assert_eq!(parse_scaled(".5", 2), Ok(50));
        assert!(
            parse_scaled("1.23456", 4)
                .unwrap_err()
                .contains("at most 4")
        );
        assert!(parse_scaled("12a", 2).unwrap_err().contains("not a number"));
        assert!(parse_scaled("", 2).is_err());
        assert_eq!(parse_rate("5.5"), Ok(550));
        assert!(parse_rate("120").is_err());
    }

    #[test]
    fn lines_round_to_the_cent_and_vat_rounds_per_rate() {
        // 3 × 0.3333 = 0.9999 → 1.00; 0.1 + 0.2 must make 0.30 exactly.
        let l = LineAmounts {
            quantity: 30_000,
            unit_price: 3_333,
            discount: 0,
            vat_rate: 2000,
        };
        assert_eq!(l.net(), Ok(100));
        let (summary, totals) = summarize(&[(10, 2000), (20, 2000), (1000, 550)], false);
        assert_eq!(summary.len(), 2);
        assert_eq!(
            summary[1],
            VatLine {
                rate: 2000,
                base: 30,
                vat: 6,
                category: String::new(),
                exemption: String::new(),
            }
        );
        assert_eq!(
            summary[0],
            VatLine {
                rate: 550,
                base: 1000,
                vat: 55,
                category: String::new(),
                exemption: String::new(),
            }
        );
        assert_eq!(
            totals,
            Totals {
                net: 1030,
                vat: 61,
                gross: 1091,
                due: 1091,
                lines: 1030,
                ..Totals::default()
            }
        );
        assert_eq!(
            summarize(&[(1000, 2000)], true).1.due,
            0,
            "A2: already paid"
        );
        assert_eq!(cents(-5), "-0.05");
        assert_eq!(cents(123_456), "1234.56");
        assert_eq!(rate(550), "5.5");
    }
}
