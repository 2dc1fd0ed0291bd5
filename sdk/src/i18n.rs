//! Translatable messages: an area ships a French and an English catalogue
//! (`i18n/fr.json`, `i18n/en.json`, returned by [`Area::messages`](crate::Area::messages),
//! usually through [`messages!`](crate::messages)), and the host renders
//! every page in the reader's language.
//!
//! In templates: `{{ t("invoice.status.paid") }}`, `{{ t("greeting", name=user.first_name) }}`,
//! and the host's locale filters `{{ ms|date }}`, `{{ ms|datetime }}`,
//! `{{ "1234.5"|number }}`, `{{ "709.2"|amount("EUR") }}`.
//!
//! In code, where a text leaves the plugin (form errors, a refusal), use
//! [`message`]: it encodes a key and its arguments that the host translates
//! with the area's catalogue (then its own).
//!
//! ```
//! use portico_sdk::i18n::message;
//! assert_eq!(message("amount.too-large", &[]), "i18n:amount.too-large");
//! assert_eq!(
//!     message("amount.at-most", &[("max", "100")]),
//!     r#"i18n:amount.at-most {"max":"100"}"#
//! );
//! ```

/// The prefix the host recognises on a translatable message.
pub const PREFIX: &str = "i18n:";

/// A translatable message: `key` of the area's catalogue (or of the host's,
/// e.g. `form.required`) with `{name}` placeholders filled from `args`.
pub fn message(key: &str, args: &[(&str, &str)]) -> String {
    if args.is_empty() {
        return format!("{PREFIX}{key}");
    }
    let map: serde_json::Map<String, serde_json::Value> = args
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned())))
        .collect();
    format!("{PREFIX}{key} {}", serde_json::Value::Object(map))
}

/// An argument of [`compose`]: a text shown as it is, or a message (made
/// by [`message`] or [`compose`]) translated in its turn.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// Shown as it is, never translated (a value from a file, a name…).
    Text(&'a str),
    /// A translatable message, rendered in the reader's language.
    Message(&'a str),
}

/// How deep messages may nest in [`compose`]; deeper ones show their key.
pub const MAX_NESTING: usize = 4;

/// A translatable message some of whose arguments are messages too: a
/// sentence framing a rule's own text, a place worded per language…
/// Nested messages travel as JSON objects `{"i18n": key, "args": {…}}`, so
/// a text argument is never mistaken for a message, whatever it says.
///
/// ```
/// use portico_sdk::i18n::{Arg, compose, english, message};
/// let en = r#"{"at": "{what} at line {n}", "missing": "Nothing"}"#;
/// let m = compose("at", &[("what", Arg::Message(&message("missing", &[]))), ("n", Arg::Text("i18n:missing"))]);
/// assert_eq!(english(&m, Some(en)), "Nothing at line i18n:missing");
/// ```
pub fn compose(key: &str, args: &[(&str, Arg<'_>)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = args
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Arg::Text(t) => serde_json::Value::String((*t).to_owned()),
                Arg::Message(m) => as_object(m),
            };
            ((*k).to_owned(), value)
        })
        .collect();
    format!("{PREFIX}{key} {}", serde_json::Value::Object(map))
}

/// A message reference as the object that nests it; a plain text stays text.
fn as_object(reference: &str) -> serde_json::Value {
    let Some(rest) = reference.strip_prefix(PREFIX) else {
        return serde_json::Value::String(reference.to_owned());
    };
    let (key, args) = match rest.split_once(' ') {
        Some((k, a)) => (
            k,
            serde_json::from_str(a).unwrap_or(serde_json::Value::Null),
        ),
        None => (rest, serde_json::Value::Null),
    };
    serde_json::json!({ "i18n": key, "args": args })
}

/// The area's catalogues from the crate's `i18n/fr.json` and `i18n/en.json`,
/// for [`Area::messages`](crate::Area::messages).
#[macro_export]
macro_rules! messages {
    () => {
        &[
            (
                "fr",
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/i18n/fr.json")),
            ),
            (
                "en",
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/i18n/en.json")),
            ),
        ]
    };
}

/// The SDK's own English catalogue (the `form.*` messages of [`Form`](crate::Form)).
const SDK_EN: &str = include_str!("../i18n/en.json");

/// `text` as an English reader sees it: an [`message`] reference rendered
/// with `area_en` (the area's English catalogue, JSON) then the SDK's own;
/// any other text unchanged. The test host shows form errors this way, so
/// tests read what people read.
///
/// ```
/// use portico_sdk::i18n::{english, message};
/// assert_eq!(english(&message("form.required", &[]), None), "This field is required.");
/// assert_eq!(english(&message("hi", &[("name", "Ada")]), Some(r#"{"hi": "Hi {name}"}"#)), "Hi Ada");
/// ```
pub fn english(text: &str, area_en: Option<&str>) -> String {
    in_language(text, "en", area_en)
}

/// The SDK's own French catalogue.
const SDK_FR: &str = include_str!("../i18n/fr.json");

/// `text` as a reader of `lang` (`fr`, else English) sees it, rendered with
/// `area_catalogue` (the area's catalogue in that language, JSON) then the
/// SDK's own. For texts the host does not translate, because another area
/// shows them (a fact on the homepage carries both languages).
///
/// ```
/// use portico_sdk::i18n::{in_language, message};
/// let fr = r#"{"paid": "Mémoire {n} payé"}"#;
/// assert_eq!(in_language(&message("paid", &[("n", "M-1")]), "fr", Some(fr)), "Mémoire M-1 payé");
/// ```
pub fn in_language(text: &str, lang: &str, area_catalogue: Option<&str>) -> String {
    let sdk = if lang == "fr" { SDK_FR } else { SDK_EN };
    let Some(reference) = text.strip_prefix(PREFIX) else {
        return text.to_owned();
    };
    let (key, args) = match reference.split_once(' ') {
        Some((k, a)) => (k, serde_json::from_str::<serde_json::Value>(a).ok()),
        None => (reference, None),
    };
    render(key, args.as_ref(), area_catalogue, sdk, lang, 0)
}

/// `key` from `area_catalogue` then `sdk`, its arguments filled in; nested
/// messages (see [`compose`]) rendered in their turn, [`MAX_NESTING`] deep;
/// a text in both languages (`{"fr": …, "en": …}`, as the host writes an
/// area's title) in `lang`'s.
fn render(
    key: &str,
    args: Option<&serde_json::Value>,
    area_catalogue: Option<&str>,
    sdk: &str,
    lang: &str,
    depth: usize,
) -> String {
    let lookup = |source: &str| -> Option<String> {
        let root: serde_json::Value = serde_json::from_str(source).ok()?;
        let flat = root.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        flat.or_else(|| {
            key.split('.')
                .try_fold(&root, |v, part| v.get(part))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
    };
    let Some(template) = area_catalogue.and_then(lookup).or_else(|| lookup(sdk)) else {
        return key.to_owned();
    };
    let mut out = template;
    if let Some(serde_json::Value::Object(map)) = args {
        for (name, value) in map {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Object(o) if depth < MAX_NESTING => {
                    match o.get("i18n").and_then(|k| k.as_str()) {
                        Some(k) => render(k, o.get("args"), area_catalogue, sdk, lang, depth + 1),
                        None => match o.get(if lang == "fr" { "fr" } else { "en" }) {
                            Some(serde_json::Value::String(t)) => t.clone(),
                            _ => value.to_string(),
                        },
                    }
                }
                other => other.to_string(),
            };
            out = out.replace(&format!("{{{name}}}"), &value);
        }
    }
    out
}
