//! SIRET numbers: the 14-digit identifier of a French establishment
//! (SIREN, 9 digits, + NIC, 5 digits).
//!
//! A SIRET is valid when the Luhn sum of its 14 digits is a multiple of 10,
//! except for La Poste (SIREN `356000000`), whose establishments are numbered
//! so that the plain sum of the digits is a multiple of 5.

use std::fmt;

/// The SIREN of La Poste, whose SIRETs follow their own checksum rule.
pub const LA_POSTE_SIREN: &str = "356000000";

/// Why a text is not a valid SIRET; the message says what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiretError {
    /// Nothing was entered.
    Empty,
    /// A character other than a digit or a space.
    NotDigits,
    /// Not 14 digits; carries how many were given.
    WrongLength(usize),
    /// 14 digits, but the check digit does not match (a typo, most likely).
    BadChecksum,
}

impl fmt::Display for SiretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORMAT: &str = "a SIRET is 14 digits, e.g. 732 829 320 00074";
        match self {
            Self::Empty => write!(f, "Enter a SIRET: {FORMAT}."),
            Self::NotDigits => write!(f, "Use digits only (spaces allowed): {FORMAT}."),
            Self::WrongLength(n) => write!(f, "You entered {n} digits: {FORMAT}."),
            Self::BadChecksum => write!(
                f,
                "This is not a valid SIRET (its check digit does not match); please check each digit."
            ),
        }
    }
}

impl std::error::Error for SiretError {}

/// Validates a SIRET typed by a person (spaces allowed) and returns its 14
/// digits without spaces.
///
/// ```
/// use portico_sdk::siret;
/// assert_eq!(siret::validate("732 829 320 00074").unwrap(), "73282932000074");
/// assert!(siret::validate("12345678912345").is_err());
/// ```
pub fn validate(input: &str) -> Result<String, SiretError> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(SiretError::Empty);
    }
    if !compact.chars().all(|c| c.is_ascii_digit()) {
        return Err(SiretError::NotDigits);
    }
    if compact.len() != 14 {
        return Err(SiretError::WrongLength(compact.len()));
    }
    let digits: Vec<u32> = compact.bytes().map(|b| u32::from(b - b'0')).collect();
    let valid = if compact.starts_with(LA_POSTE_SIREN) {
        digits.iter().sum::<u32>().is_multiple_of(5)
    } else {
        luhn_sum(&digits).is_multiple_of(10)
    };
    if valid {
        Ok(compact)
    } else {
        Err(SiretError::BadChecksum)
    }
}

/// The Luhn sum: from the right, every second digit is doubled (minus 9 when
/// the double exceeds 9), then all are added.
fn luhn_sum(digits: &[u32]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_sirets() {
        assert_eq!(validate("73282932000074").as_deref(), Ok("73282932000074"));
        assert_eq!(
            validate(" 732 829 320 00074 ").as_deref(),
            Ok("73282932000074")
        );
    }

    #[test]
    fn la_poste_uses_the_digit_sum() {
        // Luhn sum of this one is not a multiple of 10: only the La Poste rule accepts it.
        assert_ne!(
            luhn_sum(&[3, 5, 6, 0, 0, 0, 0, 0, 0, 4, 9, 8, 3, 7]) % 10,
            0
        );
        assert_eq!(validate("35600000049837").as_deref(), Ok("35600000049837"));
        assert_eq!(validate("35600000049838"), Err(SiretError::BadChecksum));
    }

    #[test]
    fn rejects_bad_checksum() {
        assert_eq!(validate("12345678912345"), Err(SiretError::BadChecksum));
        assert_eq!(validate("73282932000075"), Err(SiretError::BadChecksum));
    }

    #[test]
    fn rejects_wrong_shapes_with_the_expected_format() {
        assert_eq!(validate(""), Err(SiretError::Empty));
        assert_eq!(validate("   "), Err(SiretError::Empty));
        assert_eq!(validate("7328293200007"), Err(SiretError::WrongLength(13)));
        assert_eq!(
            validate("732829320000745"),
            Err(SiretError::WrongLength(15))
        );
        assert_eq!(validate("7328293200007A"), Err(SiretError::NotDigits));
        assert_eq!(validate("٧٣٢٨٢٩٣٢٠٠٠٠٧٤"), Err(SiretError::NotDigits));
        let message = SiretError::WrongLength(13).to_string();
        assert!(
            message.contains("13 digits") && message.contains("14 digits"),
            "{message}"
        );
    }
}
