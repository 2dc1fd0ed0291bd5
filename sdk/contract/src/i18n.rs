//! Message references: `i18n:KEY` or `i18n:KEY {"name":"value"}`, the form
//! in which a text that a person will read leaves the code that made it.
//! The host translates it, where it is shown, with the area's catalogue and
//! then its own (which includes the SDK's, `sdk/i18n/*.json`). A text
//! argument is never translated (it may be what someone typed); a nested
//! message is the object `{"i18n": KEY, "args": …}` ([`nested`]). The SDK's
//! `i18n::message` and the host's `i18n::reference` write the same form.

/// The prefix of a message reference.
pub const PREFIX: &str = "i18n:";

/// A reference to message `key` with `args` (empty: no JSON part).
///
/// ```
/// use portico_contract::i18n::reference;
/// assert_eq!(reference("siret.empty", &[]), "i18n:siret.empty");
/// assert_eq!(reference("k", &[("n", "1".to_owned())]), r#"i18n:k {"n":"1"}"#);
/// ```
pub fn reference(key: &str, args: &[(&str, String)]) -> String {
    let args: Vec<(&str, serde_json::Value)> = args
        .iter()
        .map(|(n, v)| (*n, serde_json::Value::String(v.clone())))
        .collect();
    reference_with(key, &args)
}

/// A reference whose arguments may be nested messages ([`nested`]).
///
/// ```
/// use portico_contract::i18n::{nested, reference_with};
/// assert_eq!(
///     reference_with("a", &[("b", nested("c"))]),
///     r#"i18n:a {"b":{"args":null,"i18n":"c"}}"#
/// );
/// ```
pub fn reference_with(key: &str, args: &[(&str, serde_json::Value)]) -> String {
    if args.is_empty() {
        return format!("{PREFIX}{key}");
    }
    let args: serde_json::Map<String, serde_json::Value> = args
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect();
    format!("{PREFIX}{key} {}", serde_json::Value::Object(args))
}

/// Message `key` (no arguments) as an argument of another message: the
/// host translates it in the reader's language.
pub fn nested(key: &str) -> serde_json::Value {
    serde_json::json!({ "i18n": key, "args": null })
}
