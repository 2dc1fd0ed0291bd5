//! Every identifier type's syntax: the SIRET's rule (see [`crate::siret`])
//! and the other types Chorus Pro accepts.

use crate::siret;
use crate::words::IdentifierType;
use std::fmt;

/// Why an identifier was refused; the message shows the expected format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierError {
    /// What is wrong with the input.
    pub reason: String,
    /// The expected format for the chosen type.
    pub expected: &'static str,
    /// The catalogue key of the message (`identifier.*` or `siret.*`, in the
    /// SDK's catalogue); see [`IdentifierError::message`].
    pub key: &'static str,
    /// Its arguments (the expected format is a nested message).
    args: Vec<(&'static str, serde_json::Value)>,
}

impl IdentifierError {
    /// The message for the person who typed the identifier, as a reference
    /// (`i18n:identifier.… {args}`) the host shows in the reader's
    /// language, the expected format included. [`Display`](fmt::Display)
    /// is the English text, for logs.
    ///
    /// ```
    /// use portico_contract::{IdentifierType, identifier};
    /// let e = identifier::parse(IdentifierType::Ridet, "12").unwrap_err();
    /// assert!(e.message().starts_with("i18n:identifier.not-ridet {"));
    /// assert!(e.message().contains(r#""i18n":"identifier.format.ridet""#));
    /// assert!(e.message().contains(r#""value":"12""#));
    /// ```
    pub fn message(&self) -> String {
        crate::i18n::reference_with(self.key, &self.args)
    }
}

impl fmt::Display for IdentifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; expected {}", self.reason, self.expected)
    }
}

impl std::error::Error for IdentifierError {}

/// The identifier without spaces, in upper case: the form it is stored and
/// looked up in.
pub fn normalize(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Validates `input` as an identifier of type `ty` (spaces ignored) and
/// returns its normalised form.
///
/// ```
/// use portico_contract::{IdentifierType, identifier};
/// assert_eq!(identifier::parse(IdentifierType::Eu, "de 123456789").unwrap(), "DE123456789");
/// let err = identifier::parse(IdentifierType::Siret, "12345678912345").unwrap_err();
/// assert!(err.to_string().contains("14 digits"));
/// ```
pub fn parse(ty: IdentifierType, input: &str) -> Result<String, IdentifierError> {
    let s = normalize(input);
    // The expected format, as a nested message.
    let format = crate::i18n::nested(&format!("identifier.format.{}", ty.as_str()));
    let fail = |reason: String, key: &'static str, value: Option<&str>| {
        let mut args = vec![("expected", format.clone())];
        if let Some(v) = value {
            args.push(("value", serde_json::Value::String(v.to_owned())));
        }
        IdentifierError {
            reason,
            expected: ty.expected_format(),
            key,
            args,
        }
    };
    if s.is_empty() {
        return Err(fail(
            "the identifier is empty".into(),
            "identifier.empty",
            None,
        ));
    }
    // The checks below slice by bytes: anything but ASCII is refused first,
    // so no slice can fall inside a multi-byte character.
    if ty != IdentifierType::Siret && !s.is_ascii() {
        return Err(fail(
            format!("`{s}` contains characters other than letters, digits, dots or dashes"),
            "identifier.characters",
            Some(&s),
        ));
    }
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let alnum = |t: &str| t.bytes().all(|b| b.is_ascii_alphanumeric());
    match ty {
        IdentifierType::Siret => {
            siret::validate(&s).map_err(|e| {
                let (key, args) = e.key();
                IdentifierError {
                    reason: e.reason(),
                    expected: ty.expected_format(),
                    key,
                    args: args
                        .into_iter()
                        .map(|(n, v)| (n, serde_json::Value::String(v)))
                        .collect(),
                }
            })?;
        }
        IdentifierType::Eu => {
            if s.starts_with("FR") {
                return Err(fail(
                    "French structures register with their SIRET".into(),
                    "identifier.eu-french",
                    None,
                ));
            }
            let ok = (4..=15).contains(&s.len())
                && s.as_bytes()[..2].iter().all(u8::is_ascii_alphabetic)
                && alnum(&s[2..]);
            if !ok {
                return Err(fail(
                    format!("`{s}` is not an intra-EU VAT number"),
                    "identifier.not-eu",
                    Some(&s),
                ));
            }
        }
        IdentifierType::Ridet => {
            if s.len() != 10 || !all_digits(&s) {
                return Err(fail(
                    format!("`{s}` is not a RIDET number"),
                    "identifier.not-ridet",
                    Some(&s),
                ));
            }
        }
        IdentifierType::Tahiti => {
            if s.len() != 9 || !alnum(&s[..6]) || !all_digits(&s[6..]) {
                return Err(fail(
                    format!("`{s}` is not a TAHITI number"),
                    "identifier.not-tahiti",
                    Some(&s),
                ));
            }
        }
        IdentifierType::OutsideEu | IdentifierType::PrivateIndividual | IdentifierType::Other => {
            let ok = (3..=18).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !ok {
                return Err(fail(
                    format!("`{s}` is not a valid identifier"),
                    "identifier.invalid",
                    Some(&s),
                ));
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siret_examples_from_the_domain() {
        assert!(parse(IdentifierType::Siret, "73282932000074").is_ok());
        assert!(parse(IdentifierType::Siret, "732 829 320 00074").is_ok());
        assert!(
            parse(IdentifierType::Siret, "35600000049837").is_ok(),
            "La Poste"
        );
        assert!(
            parse(IdentifierType::Siret, "35600000000048").is_ok(),
            "La Poste head office is plain Luhn"
        );
        let err = parse(IdentifierType::Siret, "12345678912345").unwrap_err();
        assert!(err.to_string().contains("check digit"), "{err}");
        assert!(
            err.to_string().contains("14 digits"),
            "shows the format: {err}"
        );
        let err = parse(IdentifierType::Siret, "00000000000000").unwrap_err();
        assert!(err.reason.contains("nine zeros"), "{err}");
        assert_eq!(err.message(), "i18n:siret.impossible-siren");
    }

    /// Every key an error can carry is in the SDK's catalogue, in both
    /// languages (the host's catalogue includes it).
    #[test]
    fn every_message_key_is_in_the_sdk_catalogue() {
        let catalogue = |lang: &str| -> serde_json::Value {
            let path = format!("{}/../i18n/{lang}.json", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
        };
        let inputs = [
            "",
            "é",
            "FR123",
            "x",
            "1234567",
            "12345678912345",
            "00000000000000",
            "123a",
        ];
        for lang in ["fr", "en"] {
            let c = catalogue(lang);
            let has = |key: &str| {
                key.split('.')
                    .try_fold(&c, |v, k| v.get(k))
                    .is_some_and(|v| v.is_string())
            };
            for ty in IdentifierType::ALL {
                assert!(
                    has(&format!("identifier.format.{}", ty.as_str())),
                    "{lang}: {ty}"
                );
                for input in inputs {
                    if let Err(e) = parse(ty, input) {
                        assert!(has(e.key), "{lang}: {} ({ty}, {input:?})", e.key);
                    }
                }
            }
        }
    }

    #[test]
    fn siret_wrong_length_or_letters() {
        let err = parse(IdentifierType::Siret, "7328293200007").unwrap_err();
        assert!(err.reason.contains("got 13"), "{err}");
        assert!(parse(IdentifierType::Siret, "7328293200007A").is_err());
        assert!(parse(IdentifierType::Siret, "").is_err());
    }

    #[test]
    fn other_types() {
        assert_eq!(
            parse(IdentifierType::Eu, "de 123456789").unwrap(),
            "DE123456789"
        );
        assert!(parse(IdentifierType::Eu, "FR12345678901").is_err());
        assert!(parse(IdentifierType::Ridet, "1234567001").is_ok());
        assert!(parse(IdentifierType::Ridet, "123456").is_err());
        assert!(parse(IdentifierType::Tahiti, "A12345001").is_ok());
        assert!(parse(IdentifierType::Other, "x/y").is_err());
    }

    /// Multi-byte input used to be sliced at byte 6 for TAHITI numbers,
    /// which panics inside a character; every type refuses it cleanly now.
    #[test]
    fn non_ascii_input_is_refused_not_a_panic() {
        for ty in IdentifierType::ALL {
            for input in ["AAAAAéAA", "éééé", "ÀB1234567", "数字数字数字"] {
                let err = parse(ty, input).unwrap_err();
                assert!(!err.reason.is_empty(), "{ty}: {input}");
            }
        }
    }
}
