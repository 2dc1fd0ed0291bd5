//! Exact decimals as invoices write them (`100`, `15.24000`, `-0.5`): an
//! integer mantissa and a scale, normalised so that trailing zeros never
//! count as decimals. No floating point anywhere.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// Most digits a decimal may have (integer and fraction together): far more
/// than any amount, quantity or price, and far inside `i128`.
const MAX_DIGITS: usize = 28;

/// An exact decimal: `mantissa × 10^-scale`, with no trailing zero in the
/// fraction (so `1.50` and `1.5` are the same value, with 1 decimal).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Dec {
    mantissa: i128,
    scale: u32,
}

impl Dec {
    /// Zero.
    pub const ZERO: Dec = Dec {
        mantissa: 0,
        scale: 0,
    };

    /// `mantissa × 10^-scale`, normalised.
    pub fn new(mantissa: i128, scale: u32) -> Dec {
        let mut d = Dec { mantissa, scale };
        while d.scale > 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        d
    }

    /// A whole number.
    pub fn int(v: i64) -> Dec {
        Dec::new(i128::from(v), 0)
    }

    /// An amount in hundredths (cents).
    pub fn cents(v: i64) -> Dec {
        Dec::new(i128::from(v), 2)
    }

    /// Parses the XML Schema `xs:decimal` lexical form: optional sign,
    /// digits, optional `.` and digits. The error says what is wrong.
    pub fn parse(text: &str) -> Result<Dec, String> {
        let t = text.trim();
        let (negative, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(format!("`{t}` is not a number; write it like 1234.56"));
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        if int.len() + frac.len() > MAX_DIGITS {
            return Err(format!("`{t}` has too many digits"));
        }
        let mut m: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            m = m * 10 + i128::from(b - b'0');
        }
        Ok(Dec::new(if negative { -m } else { m }, frac.len() as u32))
    }

    /// Decimals after normalisation (`15.24000` has 2).
    pub fn decimals(self) -> u32 {
        self.scale
    }

    /// Whether it is zero.
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Whether it is below zero.
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// The absolute value.
    pub fn abs(self) -> Dec {
        Dec::new(self.mantissa.abs(), self.scale)
    }

    fn at_scale(self, scale: u32) -> Option<i128> {
        self.mantissa
            .checked_mul(10i128.checked_pow(scale - self.scale)?)
    }

    fn common(a: Dec, b: Dec) -> Option<(i128, i128, u32)> {
        let s = a.scale.max(b.scale);
        Some((a.at_scale(s)?, b.at_scale(s)?, s))
    }

    /// `self + other`; `None` on overflow.
    pub fn checked_add(self, other: Dec) -> Option<Dec> {
        let (a, b, s) = Dec::common(self, other)?;
        Some(Dec::new(a.checked_add(b)?, s))
    }

    /// `self − other`; `None` on overflow.
    pub fn checked_sub(self, other: Dec) -> Option<Dec> {
        self.checked_add(Dec::new(-other.mantissa, other.scale))
    }

    /// `self × other`; `None` on overflow.
    pub fn checked_mul(self, other: Dec) -> Option<Dec> {
        Some(Dec::new(
            self.mantissa.checked_mul(other.mantissa)?,
            self.scale + other.scale,
        ))
    }

    /// `self ÷ other` rounded half away from zero to `scale` decimals;
    /// `None` when dividing by zero or on overflow.
    pub fn checked_div(self, other: Dec, scale: u32) -> Option<Dec> {
        if other.mantissa == 0 {
            return None;
        }
        // self/other = (ma/10^sa) / (mb/10^sb); scaled by 10^scale:
        // ma × 10^(scale + sb) / (mb × 10^sa).
        let num = self
            .mantissa
            .checked_mul(10i128.checked_pow(scale + other.scale)?)?;
        let den = other
            .mantissa
            .checked_mul(10i128.checked_pow(self.scale)?)?;
        Some(Dec::new(div_round(num, den), scale))
    }

    /// Rounded half away from zero to `scale` decimals (XPath `round` rounds
    /// half up; amounts in the corpus never sit on a negative half).
    pub fn round(self, scale: u32) -> Dec {
        if self.scale <= scale {
            return self;
        }
        let d = 10i128.pow(self.scale - scale);
        Dec::new(div_round(self.mantissa, d), scale)
    }

    /// The value in hundredths, if it has at most 2 decimals and fits.
    pub fn to_cents(self) -> Option<i64> {
        if self.scale > 2 {
            return None;
        }
        i64::try_from(self.at_scale(2)?).ok()
    }

    /// The sum of `items`; `None` on overflow.
    pub fn sum<I: IntoIterator<Item = Dec>>(items: I) -> Option<Dec> {
        items
            .into_iter()
            .try_fold(Dec::ZERO, |acc, d| acc.checked_add(d))
    }
}

fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d.abs() {
        q + n.signum() * d.signum()
    } else {
        q
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Dec) -> Ordering {
        match Dec::common(*self, *other) {
            Some((a, b, _)) => a.cmp(&b),
            // Only reachable with 28-digit values at very different scales:
            // compare the integer parts, which then differ.
            None => (self.mantissa / 10i128.pow(self.scale))
                .cmp(&(other.mantissa / 10i128.pow(other.scale))),
        }
    }
}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Dec) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.mantissa.unsigned_abs().to_string();
        let s = self.scale as usize;
        if s == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = s + 1);
        let (int, frac) = padded.split_at(padded.len() - s);
        write!(f, "{sign}{int}.{frac}")
    }
}

impl fmt::Debug for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Dec {
    /// With at least `min` decimals, for display (`12.5` → `12.50`).
    pub fn fixed(self, min: u32) -> String {
        if self.scale >= min {
            return self.to_string();
        }
        let m = self.mantissa * 10i128.pow(min - self.scale);
        Dec {
            mantissa: m,
            scale: min,
        }
        .to_string()
    }
}

impl TryFrom<String> for Dec {
    type Error = String;
    fn try_from(s: String) -> Result<Dec, String> {
        Dec::parse(&s)
    }
}

impl From<Dec> for String {
    fn from(d: Dec) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_zeros_are_not_decimals() {
        let d = Dec::parse("15.24000").unwrap();
        assert_eq!(d.decimals(), 2);
        assert_eq!(d.to_string(), "15.24");
        assert_eq!(Dec::parse("100").unwrap(), Dec::parse("100.000").unwrap());
        assert_eq!(Dec::parse("-0.50").unwrap().to_string(), "-0.5");
        assert_eq!(Dec::parse(".5").unwrap().to_string(), "0.5");
        assert_eq!(Dec::parse("0.05").unwrap().fixed(2), "0.05");
        assert_eq!(Dec::parse("7").unwrap().fixed(2), "7.00");
        assert!(Dec::parse("1,5").is_err());
        assert!(Dec::parse("").is_err());
        assert!(Dec::parse("1e5").is_err());
    }

    #[test]
    fn arithmetic_is_exact_and_rounds_half_away_from_zero() {
        let a = Dec::parse("0.1").unwrap();
        let b = Dec::parse("0.2").unwrap();
        assert_eq!(a.checked_add(b).unwrap(), Dec::parse("0.3").unwrap());
        assert_eq!(Dec::parse("2.345").unwrap().round(2).to_string(), "2.35");
        assert_eq!(Dec::parse("-2.345").unwrap().round(2).to_string(), "-2.35");
        let q = Dec::parse("10").unwrap();
        assert_eq!(q.checked_div(Dec::int(3), 2).unwrap().to_string(), "3.33");
        assert_eq!(
            Dec::parse("1.1")
                .unwrap()
                .checked_mul(Dec::parse("1.1").unwrap()),
            Some(Dec::parse("1.21").unwrap())
        );
        assert!(Dec::parse("1.5").unwrap() > Dec::parse("1.49").unwrap());
        assert_eq!(Dec::parse("12.30").unwrap().to_cents(), Some(1230));
        assert_eq!(Dec::parse("12.305").unwrap().to_cents(), None);
    }
}
