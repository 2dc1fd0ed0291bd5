//! SIRET numbers: the 14-digit identifier of a French establishment
//! (SIREN, 9 digits, + NIC, 5 digits).
//!
//! The rule (the domain brief's §1.2): 14 digits, and either the Luhn sum of
//! all 14 is a multiple of 10, or the SIREN is La Poste's `356000000` and the
//! plain sum of the digits is a multiple of 5 (La Poste has too many
//! establishments for Luhn-valid NICs; its head office, `35600000000048`, is
//! an ordinary Luhn number). A SIREN of nine zeros passes Luhn but no
//! company can have it, so it is refused.

use std::fmt;

/// The SIREN of La Poste, whose SIRETs may follow the digit-sum rule.
pub const LA_POSTE_SIREN: &str = "356000000";

/// The SIREN no company has (its Luhn sum is 0, so Luhn alone accepts it).
const IMPOSSIBLE_SIREN: &str = "000000000";

/// Why a text is not a valid SIRET; the message says what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiretError {
    /// Nothing was entered.
    Empty,
    /// A character other than a digit or a space.
    NotDigits,
    /// Not 14 digits; carries how many characters were given.
    WrongLength(usize),
    /// The SIREN is all zeros: it passes Luhn but no company has it.
    ImpossibleSiren,
    /// 14 digits, but the check digit does not match (a typo, most likely).
    BadChecksum,
}

impl SiretError {
    /// What is wrong, as a clause (no capital, no final stop), for messages
    /// that add the expected format themselves.
    pub fn reason(&self) -> String {
        match self {
            Self::Empty => "the identifier is empty".into(),
            Self::NotDigits => "a SIRET has only digits (spaces allowed)".into(),
            Self::WrongLength(n) => format!("a SIRET has 14 digits, got {n}"),
            Self::ImpossibleSiren => {
                "a SIREN of nine zeros does not exist (no company has it)".into()
            }
            Self::BadChecksum => "the check digit is wrong (Luhn sum)".into(),
        }
    }
}

impl SiretError {
    /// The catalogue key of this error's message (`siret.*` in the SDK's
    /// catalogue, `sdk/i18n/*.json`, which the host's includes) and its
    /// arguments.
    pub fn key(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            Self::Empty => ("siret.empty", Vec::new()),
            Self::NotDigits => ("siret.not-digits", Vec::new()),
            Self::WrongLength(n) => ("siret.wrong-length", vec![("count", n.to_string())]),
            Self::ImpossibleSiren => ("siret.impossible-siren", Vec::new()),
            Self::BadChecksum => ("siret.bad-checksum", Vec::new()),
        }
    }

    /// The message for the person who typed the number, as a reference
    /// (`i18n:siret.… {args}`) that the host shows in the reader's language
    /// (and the SDK's test host in English): what an area returns as a
    /// form error. [`Display`](fmt::Display) is the English text, for logs.
    ///
    /// ```
    /// use portico_contract::siret;
    /// let e = siret::validate("123").unwrap_err();
    /// assert_eq!(e.message(), r#"i18n:siret.wrong-length {"count":"3"}"#);
    /// ```
    pub fn message(&self) -> String {
        let (key, args) = self.key();
        crate::i18n::reference(key, &args)
    }
}

impl fmt::Display for SiretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORMAT: &str = "a SIRET is 14 digits, e.g. 732 829 320 00074";
        match self {
            Self::Empty => write!(f, "Enter a SIRET: {FORMAT}."),
            Self::NotDigits => write!(f, "Use digits only (spaces allowed): {FORMAT}."),
            Self::WrongLength(n) => write!(f, "You entered {n} digits: {FORMAT}."),
            Self::ImpossibleSiren => write!(
                f,
                "This is not a valid SIRET: its first nine digits (the SIREN) cannot all be zeros; please check the number."
            ),
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
/// use portico_contract::siret;
/// assert_eq!(siret::validate("732 829 320 00074").unwrap(), "73282932000074");
/// assert!(siret::validate("35600000000048").is_ok()); // La Poste's head office: Luhn
/// assert!(siret::validate("35600000049837").is_ok()); // La Poste: digit sum 45
/// assert!(siret::validate("12345678912345").is_err());
/// assert!(siret::validate("00000000000000").is_err());
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
    if compact.starts_with(IMPOSSIBLE_SIREN) {
        return Err(SiretError::ImpossibleSiren);
    }
    let digits: Vec<u32> = compact.bytes().map(|b| u32::from(b - b'0')).collect();
    let la_poste =
        compact.starts_with(LA_POSTE_SIREN) && digits.iter().sum::<u32>().is_multiple_of(5);
    if luhn_sum(&digits).is_multiple_of(10) || la_poste {
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

    fn digits(s: &str) -> Vec<u32> {
        s.bytes().map(|b| u32::from(b - b'0')).collect()
    }

    #[test]
    fn accepts_valid_sirets() {
        assert_eq!(validate("73282932000074").as_deref(), Ok("73282932000074"));
        assert_eq!(
            validate(" 732 829 320 00074 ").as_deref(),
            Ok("73282932000074")
        );
    }

    #[test]
    fn la_poste_head_office_is_plain_luhn() {
        // Its digit sum is 26, not a multiple of 5: only Luhn accepts it
        // (the defect: the SDK tried the digit sum alone for La Poste).
        assert_eq!(digits("35600000000048").iter().sum::<u32>() % 5, 1);
        assert_eq!(luhn_sum(&digits("35600000000048")) % 10, 0);
        assert_eq!(validate("35600000000048").as_deref(), Ok("35600000000048"));
    }

    #[test]
    fn la_poste_establishments_use_the_digit_sum() {
        assert_ne!(luhn_sum(&digits("35600000049837")) % 10, 0);
        assert_eq!(validate("35600000049837").as_deref(), Ok("35600000049837"));
        // Neither rule: digit sum 46, Luhn sum not a multiple of 10.
        assert_eq!(validate("35600000049838"), Err(SiretError::BadChecksum));
        // The digit-sum rule is La Poste's alone: 60 is a multiple of 5.
        assert_eq!(validate("12345678912345"), Err(SiretError::BadChecksum));
    }

    #[test]
    fn an_all_zero_siren_is_impossible() {
        // Luhn alone accepts these (sums 0 and 10).
        assert_eq!(luhn_sum(&digits("00000000000000")) % 10, 0);
        assert_eq!(luhn_sum(&digits("00000000000091")) % 10, 0);
        assert_eq!(validate("00000000000000"), Err(SiretError::ImpossibleSiren));
        assert_eq!(
            validate("000 000 000 00091"),
            Err(SiretError::ImpossibleSiren)
        );
        assert!(
            SiretError::ImpossibleSiren.to_string().contains("zeros"),
            "the message says what is wrong"
        );
    }

    #[test]
    fn rejects_bad_checksum() {
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
