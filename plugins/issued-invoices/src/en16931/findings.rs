//! What the invoice checks find, and how it is worded. A finding carries
//! only the rule, where, the value found and the value expected;
//! `reference` makes it a translatable message the host words in the
//! reader's language from the area's catalogues (`i18n/fr.json`,
//! `i18n/en.json`, block `en16931`): one sentence per rule id under
//! `en16931.rule`, what would be right under `en16931.expected`, places
//! under `en16931.place`. `message` is the English, for tests and logs.

use portico_sdk::i18n::{self, Arg, compose};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The area's English catalogue (the French one has the same keys).
pub const EN: &str = include_str!("../../i18n/en.json");

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
    /// Whether `place` is a translatable message (else it is shown as is:
    /// an element's path, say).
    pub place_is_message: bool,
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
            place_is_message: false,
        }
    }

    /// The same finding, placed by a text shown as it is (an XML path).
    pub fn at(mut self, place: impl Into<String>) -> Finding {
        self.place = place.into();
        self.place_is_message = false;
        self
    }

    /// The same finding, placed by a translatable message (`place(…)`).
    pub fn at_message(mut self, place: String) -> Finding {
        self.place = place;
        self.place_is_message = true;
        self
    }

    /// Whether the rule is Chorus Pro's rather than the standard's.
    pub fn is_chorus_pro(&self) -> bool {
        self.rule.starts_with("CHORUS")
    }

    /// The finding as a translatable message: the rule id, where, the
    /// rule in words, what was found and what would be right.
    pub fn reference(&self) -> String {
        let key = wording(&self.rule);
        let source = if self.is_chorus_pro() {
            "en16931.source.chorus"
        } else {
            "en16931.source.standard"
        };
        let source = i18n::message(source, &[]);
        let text = i18n::message(&format!("en16931.rule.{key}"), &[]);
        let found = if self.found.is_empty() {
            i18n::message("en16931.nothing", &[])
        } else {
            compose("en16931.found", &[("value", Arg::Text(&self.found))])
        };
        let place = if self.place_is_message {
            Arg::Message(&self.place)
        } else {
            Arg::Text(&self.place)
        };
        let term_and_place;
        let at = match (self.term.is_empty(), self.place.is_empty()) {
            (false, false) => {
                term_and_place = compose(
                    "en16931.where",
                    &[("term", Arg::Text(self.term)), ("place", place)],
                );
                Arg::Message(&term_and_place)
            }
            (false, true) => Arg::Text(self.term),
            (true, _) => place,
        };
        let mut args = vec![
            ("source", Arg::Message(&source)),
            ("rule", Arg::Text(&self.rule)),
            ("at", at),
            ("text", Arg::Message(&text)),
            ("found", Arg::Message(&found)),
        ];
        let expected;
        if self.expected.is_empty() {
            compose("en16931.finding", &args)
        } else {
            let key = if has_expected(&key) {
                format!("en16931.expected.{key}")
            } else {
                "en16931.expected.default".to_string()
            };
            expected = compose(&key, &[("value", Arg::Text(&self.expected))]);
            args.push(("expected", Arg::Message(&expected)));
            compose("en16931.finding-expected", &args)
        }
    }

    /// The finding in English (tests, logs).
    pub fn message(&self) -> String {
        i18n::english(&self.reference(), Some(EN))
    }
}

/// A translatable place: `place("line", &[("n", "2")])` is
/// `en16931.place.line`, "line 2" in English.
pub fn place(key: &str, args: &[(&str, Arg<'_>)]) -> String {
    compose(&format!("en16931.place.{key}"), args)
}

/// A translatable place within another: `{place}, line 2`.
pub fn place_in(parent: &str, key: &str, args: &[(&str, Arg<'_>)]) -> String {
    let mut all = vec![("place", Arg::Message(parent))];
    all.extend_from_slice(args);
    place(key, &all)
}

/// The English catalogue's `en16931` block, flattened: `rule.BR-01` → text.
fn english() -> &'static BTreeMap<String, String> {
    static FLAT: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    FLAT.get_or_init(|| {
        fn walk(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        let p = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        walk(&p, v, out);
                    }
                }
                serde_json::Value::String(s) => {
                    out.insert(prefix.to_string(), s.clone());
                }
                _ => {}
            }
        }
        let root: serde_json::Value = serde_json::from_str(EN).unwrap_or_default();
        let mut out = BTreeMap::new();
        if let Some(block) = root.get("en16931") {
            walk("", block, &mut out);
        }
        out
    })
}

fn has_expected(key: &str) -> bool {
    english().contains_key(&format!("expected.{key}"))
}

/// Whether the catalogue words `rule` (what `coverage` counts as checked).
pub fn worded(rule: &str) -> bool {
    english().contains_key(&format!("rule.{}", wording(rule)))
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
pub fn wording(rule: &str) -> String {
    if rule.starts_with("BR-DEC") {
        return "BR-DEC".into();
    }
    if let Some(shape) = super::syntax::SHAPES.iter().find(|s| s.id == rule) {
        return shape.check.wording().into();
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
    fn every_rule_id_is_worded() {
        assert_eq!(wording("BR-S-05"), "CAT-RATE-POS");
        assert_eq!(wording("BR-AE-02"), "CAT-ID-AE");
        assert_eq!(wording("BR-IC-11"), "CAT-IC-11");
        assert_eq!(wording("BR-CO-10"), "BR-CO-10");
        assert_eq!(wording("BR-DEC-09"), "BR-DEC");
        assert_eq!(wording("UBL-SR-12"), "SHAPE-AT-MOST");
        for s in super::super::syntax::SHAPES {
            assert!(worded(s.id), "{} is not worded", s.id);
        }
        for c in super::super::syntax::CODED {
            assert!(worded(c.id), "{} is not worded", c.id);
        }
    }
}
