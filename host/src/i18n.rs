//! French and English: which language a request is served in, message
//! catalogues (the host's and each area's), and locale formatting of dates,
//! numbers and amounts (ICU4X, compiled CLDR data).
//!
//! A catalogue is a pair of JSON files, `fr.json` and `en.json`, mapping a
//! key to a text with `{name}` placeholders (nested objects are flattened
//! with dots: `{"status": {"paid": "Payée"}}` gives `status.paid`). Both
//! languages must have exactly the same keys and, per key, the same
//! placeholders; [`Messages::parse`] refuses anything else, so an area whose
//! catalogues disagree does not load (`portico check` fails) and the
//! repository's own catalogues are checked by a test.
//!
//! An area ships its catalogues inside its component, as two entries of its
//! `templates()` list named [`AREA_CATALOGUE_FR`] and [`AREA_CATALOGUE_EN`]
//! (the SDK's `Area::messages` puts them there). Templates translate with
//! `{{ t("key", name=value) }}` and format with the `date`, `datetime`,
//! `number` and `amount` filters; see `web::templates`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The name under which an area's French catalogue travels in `templates()`.
pub const AREA_CATALOGUE_FR: &str = "i18n/fr.json";
/// The name under which an area's English catalogue travels in `templates()`.
pub const AREA_CATALOGUE_EN: &str = "i18n/en.json";

/// The prefix of a translatable message produced by plugin code (form
/// errors, refusals): `i18n:KEY` or `i18n:KEY {"name":"value"}`. The host
/// translates it with the area's catalogue, then its own.
pub const MESSAGE_PREFIX: &str = "i18n:";

/// How deep nested messages are translated (the SDK's `i18n::MAX_NESTING`).
pub const MAX_NESTING: usize = 4;

tokio::task_local! {
    /// The language of the request being served, set by the edge middleware
    /// for the whole handler (see [`current`]).
    pub static REQUEST_LANG: Lang;
}

/// The language of the request this task serves (French outside a request).
pub fn current() -> Lang {
    REQUEST_LANG.try_with(|l| *l).unwrap_or_default()
}

/// The name of the cookie carrying the browser's language choice (set by
/// the switch, and from the profile at sign-in).
pub const LANG_COOKIE: &str = "portico_lang";

/// The request's language: the cookie (the user's choice, copied from the
/// profile at sign-in), else `Accept-Language`, else French.
pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
    cookie
        .and_then(Lang::parse)
        .or_else(|| accept_language.and_then(Lang::from_accept_language))
        .unwrap_or_default()
}

/// A language Portico speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// French, the default: Chorus Pro's users are French.
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// Every language, French first.
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The BCP 47 tag (`fr`, `en`), as in `<html lang>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language's own name, as the switch shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    /// `fr`, `en`, or a tag of either (`fr-CA`, `en_GB`), case-insensitive.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best language of an `Accept-Language` header (RFC 9110 §12.5.4:
    /// highest `q` first, order breaking ties; `q=0` means "not this"), or
    /// `None` if it names neither French nor English.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map(parse_q)
                .unwrap_or(1000);
            let Some(lang) = Lang::parse(tag) else {
                continue;
            };
            if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    fn locale(self) -> icu_locale_core::Locale {
        match self {
            Lang::Fr => icu_locale_core::locale!("fr"),
            Lang::En => icu_locale_core::locale!("en"),
        }
    }
}

/// `q` in thousandths; anything malformed counts as 0 (ignored).
fn parse_q(q: &str) -> u16 {
    match q.trim().parse::<f32>() {
        Ok(v) if (0.0..=1.0).contains(&v) => (v * 1000.0).round() as u16,
        _ => 0,
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A catalogue in both languages, checked to agree.
#[derive(Clone, Debug, Default)]
pub struct Messages {
    fr: BTreeMap<String, String>,
    en: BTreeMap<String, String>,
}

impl Messages {
    /// Parses and checks the French and English catalogues. Every problem is
    /// reported, one line each, naming the key and what would be right.
    pub fn parse(fr: &str, en: &str) -> Result<Messages, Vec<String>> {
        let mut problems = Vec::new();
        let fr_map = flatten_catalogue("fr", fr, &mut problems);
        let en_map = flatten_catalogue("en", en, &mut problems);
        for key in fr_map.keys() {
            if !en_map.contains_key(key) {
                problems.push(format!(
                    "message `{key}` is in fr.json but missing from en.json"
                ));
            }
        }
        for key in en_map.keys() {
            if !fr_map.contains_key(key) {
                problems.push(format!(
                    "message `{key}` is in en.json but missing from fr.json"
                ));
            }
        }
        for (key, fr_text) in &fr_map {
            let Some(en_text) = en_map.get(key) else {
                continue;
            };
            let (pf, pe) = (placeholders(fr_text), placeholders(en_text));
            if pf != pe {
                problems.push(format!(
                    "message `{key}`: placeholders differ (fr: {}; en: {}); both languages must use the same {{names}}",
                    show_set(&pf),
                    show_set(&pe)
                ));
            }
        }
        if problems.is_empty() {
            Ok(Messages {
                fr: fr_map,
                en: en_map,
            })
        } else {
            Err(problems)
        }
    }

    /// True if the catalogue has `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.fr.contains_key(key)
    }

    /// Every key, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fr.keys().map(String::as_str)
    }

    /// The raw text of `key` in `lang`, placeholders unfilled.
    pub fn get(&self, lang: Lang, key: &str) -> Option<&str> {
        match lang {
            Lang::Fr => self.fr.get(key),
            Lang::En => self.en.get(key),
        }
        .map(String::as_str)
    }

    /// `key` in `lang` with its placeholders filled from `args`; `None` if
    /// the catalogue lacks the key.
    pub fn format(
        &self,
        lang: Lang,
        key: &str,
        args: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        self.get(lang, key).map(|text| fill(text, args))
    }
}

fn show_set(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s.iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn flatten_catalogue(
    lang: &str,
    source: &str,
    problems: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match serde_json::from_str::<serde_json::Value>(source) {
        Ok(serde_json::Value::Object(map)) => flatten("", &map, lang, &mut out, problems),
        Ok(_) => problems.push(format!(
            "{lang}.json must be a JSON object of \"key\": \"text\" pairs"
        )),
        Err(e) => problems.push(format!("{lang}.json is not valid JSON: {e}")),
    }
    out
}

fn flatten(
    prefix: &str,
    map: &serde_json::Map<String, serde_json::Value>,
    lang: &str,
    out: &mut BTreeMap<String, String>,
    problems: &mut Vec<String>,
) {
    for (k, v) in map {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            serde_json::Value::String(s) if s.trim().is_empty() => {
                problems.push(format!("{lang}.json: message `{key}` is empty"))
            }
            serde_json::Value::String(s) => {
                out.insert(key, s.clone());
            }
            serde_json::Value::Object(inner) => flatten(&key, inner, lang, out, problems),
            _ => problems.push(format!(
                "{lang}.json: message `{key}` must be a text or an object of texts"
            )),
        }
    }
}

/// The `{name}` placeholders of a text.
pub fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if is_name(&after[..end]) => {
                out.insert(after[..end].to_owned());
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Fills `{name}` placeholders; an unknown one is left as written.
pub fn fill(text: &str, args: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if is_name(&after[..end]) => {
                match args(&after[..end]) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(&after[..end]);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The host's own catalogue (`host/i18n/*.json`) with the SDK's built-in
/// form messages (`sdk/i18n/*.json`, the `form.*` keys).
pub fn host_messages() -> &'static Messages {
    static HOST: std::sync::OnceLock<Messages> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        let parse = |fr, en, what: &str| {
            Messages::parse(fr, en)
                .unwrap_or_else(|problems| panic!("{what} catalogue: {}", problems.join("; ")))
        };
        let mut host = parse(
            include_str!("../i18n/fr.json"),
            include_str!("../i18n/en.json"),
            "host",
        );
        let sdk = parse(
            include_str!("../../sdk/i18n/fr.json"),
            include_str!("../../sdk/i18n/en.json"),
            "SDK",
        );
        host.fr.extend(sdk.fr);
        host.en.extend(sdk.en);
        host
    })
}

/// Translates a message that may be an `i18n:KEY {args}` reference (see
/// [`MESSAGE_PREFIX`]) with `area` then the host's catalogue; any other
/// text is returned as it is.
pub fn translate_message(lang: Lang, area: Option<&Messages>, message: &str) -> String {
    let Some(reference) = message.strip_prefix(MESSAGE_PREFIX) else {
        return message.to_owned();
    };
    let (key, args) = match reference.split_once(' ') {
        Some((k, a)) => (k, serde_json::from_str::<serde_json::Value>(a).ok()),
        None => (reference, None),
    };
    translate_key(lang, area, key, args.as_ref(), 0)
}

/// `key` with its arguments; an argument that is a nested message
/// (`{"i18n": key, "args": …}`, made by the SDK's `i18n::compose`) is
/// translated in its turn, at most [`MAX_NESTING`] levels deep; one that is
/// a text in both languages (`{"fr": …, "en": …}`, [`both`]: an area's
/// title) shows the reader's. A string argument is never translated,
/// whatever it says.
fn translate_key(
    lang: Lang,
    area: Option<&Messages>,
    key: &str,
    args: Option<&serde_json::Value>,
    depth: usize,
) -> String {
    let lookup = |name: &str| {
        args.and_then(|a| a.get(name)).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(o) if depth < MAX_NESTING => {
                match o.get("i18n").and_then(|k| k.as_str()) {
                    Some(k) => translate_key(lang, area, k, o.get("args"), depth + 1),
                    None => match o.get(lang.as_str()).and_then(|t| t.as_str()) {
                        Some(text) => text.to_owned(),
                        None => v.to_string(),
                    },
                }
            }
            other => other.to_string(),
        })
    };
    area.and_then(|m| m.format(lang, key, &lookup))
        .or_else(|| host_messages().format(lang, key, &lookup))
        .unwrap_or_else(|| {
            tracing::warn!(key, "message missing from every catalogue");
            key.to_owned()
        })
}

/// A reference to the host's (or an area's) message `key` with `args`,
/// translated for the reader where it is shown ([`translate_message`]):
/// for texts made before the reader's language matters (error values).
pub fn reference(key: &str, args: &[(&str, &str)]) -> String {
    if args.is_empty() {
        return format!("{MESSAGE_PREFIX}{key}");
    }
    let args: serde_json::Map<String, serde_json::Value> = args
        .iter()
        .map(|(n, v)| ((*n).to_owned(), serde_json::Value::String((*v).to_owned())))
        .collect();
    format!("{MESSAGE_PREFIX}{key} {}", serde_json::Value::Object(args))
}

/// `text` with the message reference it ends with (`… : i18n:KEY {args}`,
/// a host refusal quoted in an error) translated; any other text unchanged.
pub fn translate_embedded(lang: Lang, text: &str) -> String {
    match text.find(MESSAGE_PREFIX) {
        Some(at) => format!(
            "{}{}",
            &text[..at],
            translate_message(lang, None, &text[at..])
        ),
        None => text.to_owned(),
    }
}

/// A message argument given in both languages (an area's title, a reason
/// written for each): the reader sees theirs ([`translate_message`]).
pub fn both(fr: &str, en: &str) -> serde_json::Value {
    serde_json::json!({ "fr": fr, "en": en })
}

/// A reference (as [`reference`]) whose arguments may be nested messages or
/// texts in both languages ([`both`]).
pub fn reference_with(key: &str, args: &[(&str, serde_json::Value)]) -> String {
    portico_contract::i18n::reference_with(key, args)
}

/// `key` from the host's catalogue in the language of the request being
/// served, placeholders filled from `args`.
pub fn tr(key: &str, args: &[(&str, &str)]) -> String {
    host_text(current(), key, args)
}

/// A message that may be an `i18n:KEY {args}` reference (a validator's
/// error), in the language of the request being served.
pub fn localize(message: &str) -> String {
    translate_message(current(), None, message)
}

/// The language to write to `user` in: the one they chose, else `fallback`
/// (the language of the request that triggered the message).
pub fn language_of(chosen: Option<&str>, fallback: Lang) -> Lang {
    chosen.and_then(Lang::parse).unwrap_or(fallback)
}

/// `key` from the host's catalogue in `lang`, placeholders filled from `args`.
pub fn host_text(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    host_messages()
        .format(lang, key, &|name| {
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap_or_else(|| key.to_owned())
}

// ---- Formatting (ICU4X) ----

thread_local! {
    static DATE_FR: Option<icu_datetime::FixedCalendarDateTimeFormatter<icu_calendar::Gregorian, icu_datetime::fieldsets::YMD>> =
        icu_datetime::FixedCalendarDateTimeFormatter::try_new(Lang::Fr.locale().into(), icu_datetime::fieldsets::YMD::long()).ok();
    static DATE_EN: Option<icu_datetime::FixedCalendarDateTimeFormatter<icu_calendar::Gregorian, icu_datetime::fieldsets::YMD>> =
        icu_datetime::FixedCalendarDateTimeFormatter::try_new(Lang::En.locale().into(), icu_datetime::fieldsets::YMD::long()).ok();
    static DECIMAL_FR: Option<icu_decimal::DecimalFormatter> =
        icu_decimal::DecimalFormatter::try_new(Lang::Fr.locale().into(), Default::default()).ok();
    static DECIMAL_EN: Option<icu_decimal::DecimalFormatter> =
        icu_decimal::DecimalFormatter::try_new(Lang::En.locale().into(), Default::default()).ok();
}

/// A calendar date written out: "5 décembre 2026", "December 5, 2026".
pub fn format_date(lang: Lang, year: i32, month: u8, day: u8) -> Option<String> {
    let date = icu_calendar::Date::try_new_gregorian(year, month, day).ok()?;
    let with = |f: &Option<
        icu_datetime::FixedCalendarDateTimeFormatter<
            icu_calendar::Gregorian,
            icu_datetime::fieldsets::YMD,
        >,
    >| {
        f.as_ref()
            .map(|f| writeable::Writeable::write_to_string(&f.format(&date)).into_owned())
    };
    match lang {
        Lang::Fr => DATE_FR.with(with),
        Lang::En => DATE_EN.with(with),
    }
}

/// A date from what plugins hold: milliseconds since the Unix epoch (UTC),
/// `YYYY-MM-DD`, or an RFC 3339 timestamp (its date part).
pub fn format_date_value(lang: Lang, value: &DateInput) -> Option<String> {
    let (y, m, d) = value.ymd()?;
    format_date(lang, y, m, d)
}

/// A date with its UTC time: "5 décembre 2026 à 14:05 UTC",
/// "December 5, 2026 at 2:05 PM UTC".
pub fn format_datetime_ms(lang: Lang, ms: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    let date = format_date(lang, t.year(), t.month() as u8, t.day())?;
    let (h, min) = (t.hour(), t.minute());
    Some(match lang {
        Lang::Fr => format!("{date} à {h:02}:{min:02} UTC"),
        Lang::En => {
            let (h12, ampm) = match h {
                0 => (12, "AM"),
                1..=11 => (h, "AM"),
                12 => (12, "PM"),
                _ => (h - 12, "PM"),
            };
            format!("{date} at {h12}:{min:02} {ampm} UTC")
        }
    })
}

/// What the `date` filter accepts.
pub enum DateInput {
    /// Milliseconds since the Unix epoch.
    Ms(i64),
    /// `YYYY-MM-DD…` text.
    Text(String),
}

impl DateInput {
    fn ymd(&self) -> Option<(i32, u8, u8)> {
        match self {
            DateInput::Ms(ms) => {
                let t =
                    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(*ms) * 1_000_000)
                        .ok()?;
                Some((t.year(), t.month() as u8, t.day()))
            }
            DateInput::Text(s) => {
                let s = s.trim();
                let y = s.get(0..4)?.parse().ok()?;
                if s.get(4..5)? != "-" || s.get(7..8)? != "-" {
                    return None;
                }
                let m = s.get(5..7)?.parse().ok()?;
                let d = s.get(8..10)?.parse().ok()?;
                Some((y, m, d))
            }
        }
    }
}

/// A decimal number ("1234.5", "-3", "0.125") with `fraction` digits
/// (rounded when given): "1 234,50" / "1,234.50".
pub fn format_number(lang: Lang, decimal: &str, fraction: Option<i16>) -> Option<String> {
    let mut d: icu_decimal::input::Decimal = decimal.trim().parse().ok()?;
    if let Some(f) = fraction {
        d.round(-f);
        d.pad_end(-f);
    }
    let with = |f: &Option<icu_decimal::DecimalFormatter>| {
        f.as_ref()
            .map(|f| writeable::Writeable::write_to_string(&f.format(&d)).into_owned())
    };
    match lang {
        Lang::Fr => DECIMAL_FR.with(with),
        Lang::En => DECIMAL_EN.with(with),
    }
}

/// An amount of money, two decimals, with its currency placed as each
/// language writes it: "1 234,56 €" / "€1,234.56"; a currency without a
/// common symbol keeps its ISO code ("1 234,56 CHF" / "CHF 1,234.56").
pub fn format_amount(lang: Lang, decimal: &str, currency: &str) -> Option<String> {
    let currency = currency.trim().to_ascii_uppercase();
    let number = format_number(lang, decimal, Some(2))?;
    let symbol = match currency.as_str() {
        "EUR" | "" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        _ => None,
    };
    let (negative, digits) = match number.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest),
        None => (false, number.as_str()),
    };
    let minus = if negative { "-" } else { "" };
    Some(match (lang, symbol) {
        // French puts the symbol or code after, with a no-break space.
        (Lang::Fr, Some(s)) => format!("{minus}{digits}\u{a0}{s}"),
        (Lang::Fr, None) => format!("{minus}{digits}\u{a0}{currency}"),
        (Lang::En, Some(s)) => format!("{minus}{s}{digits}"),
        (Lang::En, None) => format!("{minus}{currency}\u{a0}{digits}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_of_ours() {
        assert_eq!(
            Lang::from_accept_language("en-GB,en;q=0.9,fr;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("de-DE, fr;q=0.5, en;q=0.4"),
            Some(Lang::Fr)
        );
        assert_eq!(
            Lang::from_accept_language("fr;q=0.2, en;q=0.9"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0, fr;q=0.1"),
            Some(Lang::Fr)
        );
        assert_eq!(Lang::from_accept_language("de, es"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn dates_numbers_and_amounts_follow_the_language() {
        assert_eq!(
            format_date(Lang::Fr, 2026, 12, 5).as_deref(),
            Some("5 décembre 2026")
        );
        assert_eq!(
            format_date(Lang::En, 2026, 12, 5).as_deref(),
            Some("December 5, 2026")
        );
        assert_eq!(
            format_amount(Lang::Fr, "1234.56", "EUR").as_deref(),
            Some("1\u{202f}234,56\u{a0}€")
        );
        assert_eq!(
            format_amount(Lang::En, "1234.56", "EUR").as_deref(),
            Some("€1,234.56")
        );
        assert_eq!(
            format_amount(Lang::En, "709.2", "EUR").as_deref(),
            Some("€709.20")
        );
        assert_eq!(
            format_amount(Lang::En, "-5", "EUR").as_deref(),
            Some("-€5.00")
        );
        assert_eq!(format_number(Lang::Fr, "0.5", None).as_deref(), Some("0,5"));
        assert_eq!(
            format_date_value(Lang::Fr, &DateInput::Text("2026-01-31".into())).as_deref(),
            Some("31 janvier 2026")
        );
        assert_eq!(
            format_datetime_ms(Lang::En, 1_764_943_500_000).as_deref(),
            Some("December 5, 2025 at 2:05 PM UTC")
        );
        assert_eq!(format_amount(Lang::Fr, "abc", "EUR"), None);
    }

    #[test]
    fn catalogues_must_agree_on_keys_and_placeholders() {
        let ok = Messages::parse(
            r#"{"hello": "Bonjour {name}", "status": {"paid": "Payée"}}"#,
            r#"{"hello": "Hello {name}", "status": {"paid": "Paid"}}"#,
        )
        .unwrap();
        assert_eq!(
            ok.format(Lang::Fr, "hello", &|n| (n == "name").then(|| "Ada".into()))
                .as_deref(),
            Some("Bonjour Ada")
        );
        assert_eq!(ok.get(Lang::En, "status.paid"), Some("Paid"));

        let problems = Messages::parse(
            r#"{"a": "Un {n}", "b": "Deux"}"#,
            r#"{"a": "One {count}", "c": "Three"}"#,
        )
        .unwrap_err();
        let all = problems.join("\n");
        assert!(
            all.contains("`b` is in fr.json but missing from en.json"),
            "{all}"
        );
        assert!(
            all.contains("`c` is in en.json but missing from fr.json"),
            "{all}"
        );
        assert!(
            all.contains("`a`: placeholders differ (fr: {n}; en: {count})"),
            "{all}"
        );
        assert!(Messages::parse("[]", "{}").is_err());
        assert!(Messages::parse(r#"{"a": " "}"#, r#"{"a": "x"}"#).is_err());
    }

    #[test]
    fn plugin_messages_are_translated_with_their_arguments() {
        let area = Messages::parse(
            r#"{"too-big": "Au plus {max} €"}"#,
            r#"{"too-big": "At most €{max}"}"#,
        )
        .unwrap();
        assert_eq!(
            translate_message(Lang::Fr, Some(&area), r#"i18n:too-big {"max": 100}"#),
            "Au plus 100 €"
        );
        assert_eq!(
            translate_message(Lang::En, None, "Plain text"),
            "Plain text"
        );
        assert_eq!(
            translate_message(Lang::Fr, None, "i18n:form.required"),
            host_text(Lang::Fr, "form.required", &[])
        );
    }

    #[test]
    fn nested_messages_are_translated_and_text_arguments_never_are() {
        let area = Messages::parse(
            r#"{"at": "{what} à la ligne {n}", "nothing": "Rien", "deep": "<{x}>"}"#,
            r#"{"at": "{what} at line {n}", "nothing": "Nothing", "deep": "<{x}>"}"#,
        )
        .unwrap();
        let m = r#"i18n:at {"what": {"i18n": "nothing", "args": null}, "n": "i18n:nothing"}"#;
        assert_eq!(
            translate_message(Lang::Fr, Some(&area), m),
            "Rien à la ligne i18n:nothing"
        );
        assert_eq!(
            translate_message(Lang::En, Some(&area), m),
            "Nothing at line i18n:nothing"
        );
        assert_eq!(
            translate_embedded(Lang::En, "host call failed: i18n:refusal.no-structure"),
            "host call failed: This structure does not exist."
        );
        // A text in both languages shows the reader's.
        let m = reference_with(
            "at",
            &[("what", both("Factures", "Invoices")), ("n", "2".into())],
        );
        assert_eq!(
            translate_message(Lang::Fr, Some(&area), &m),
            "Factures à la ligne 2"
        );
        assert_eq!(
            translate_message(Lang::En, Some(&area), &m),
            "Invoices at line 2"
        );
        // Nesting is bounded: past MAX_NESTING the object shows as data.
        let mut deep = r#"{"i18n": "nothing", "args": null}"#.to_string();
        for _ in 0..MAX_NESTING + 1 {
            deep = format!(r#"{{"i18n": "deep", "args": {{"x": {deep}}}}}"#);
        }
        let shown = translate_message(
            Lang::En,
            Some(&area),
            &format!(r#"i18n:deep {{"x": {deep}}}"#),
        );
        assert!(shown.starts_with("<<<<<"), "{shown}");
        assert!(!shown.contains("Nothing"), "{shown}");
    }

    /// The CI check: every catalogue of the repository (the host's and each
    /// built-in area's) has every message in both languages with the same
    /// placeholders, and every `t("key")` written in a template exists.
    #[test]
    fn every_catalogue_in_the_repository_is_complete() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut problems = Vec::new();
        let mut check = |dir: &std::path::Path, templates: &std::path::Path| {
            let read = |l: &str| std::fs::read_to_string(dir.join(format!("{l}.json")));
            let messages = match (read("fr"), read("en")) {
                (Ok(fr), Ok(en)) => match Messages::parse(&fr, &en) {
                    Ok(m) => Some(m),
                    Err(p) => {
                        problems.extend(p.into_iter().map(|p| format!("{}: {p}", dir.display())));
                        None
                    }
                },
                (Err(_), Err(_)) => Some(Messages::default()),
                _ => {
                    problems.push(format!("{}: needs both fr.json and en.json", dir.display()));
                    None
                }
            };
            let Some(messages) = messages else { return };
            for entry in std::fs::read_dir(templates).into_iter().flatten().flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                for key in template_keys(&text) {
                    // `t("role." ~ r)`: a family of keys; one must exist.
                    let found = |m: &Messages| match key.ends_with('.') {
                        true => m.keys().any(|k| k.starts_with(&key)),
                        false => m.contains(&key),
                    };
                    if !found(&messages) && !found(host_messages()) {
                        problems.push(format!(
                            "{}: t(\"{key}\") has no message in {}",
                            entry.path().display(),
                            dir.display()
                        ));
                    }
                }
            }
        };
        check(&root.join("host/i18n"), &root.join("host/templates"));
        check(&root.join("sdk/i18n"), &root.join("sdk/templates"));
        for entry in std::fs::read_dir(root.join("plugins")).unwrap().flatten() {
            if entry.path().join("Cargo.toml").exists() {
                check(&entry.path().join("i18n"), &entry.path().join("templates"));
            }
        }
        assert!(
            problems.is_empty(),
            "catalogue problems:\n{}",
            problems.join("\n")
        );
    }

    /// The literal keys of `t("…")` / `t('…')` calls in a template.
    fn template_keys(text: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("t(") {
            let before = rest[..i].chars().last();
            let after = &rest[i + 2..];
            rest = after;
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            if let Some(end) = after[1..].find(q) {
                keys.push(after[1..1 + end].to_owned());
            }
        }
        keys
    }
}
