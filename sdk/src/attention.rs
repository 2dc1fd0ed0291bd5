//! The homepage's "needs your attention" list. An area with `facts`
//! publishes the fact `attention`, `{"items": [{"href", "tone", "fr", "en"}]}`,
//! and the homepage lists every tab's items in the reader's language. The
//! texts are rendered here in both languages from the area's own catalogues,
//! because the homepage does not hold them.
//!
//! ```
//! use portico_sdk::{Area, Context, Error, Request, Response, attention, i18n::message};
//! struct Claims;
//! impl Area for Claims {
//!     fn templates() -> &'static [(&'static str, &'static str)] { &[] }
//!     fn messages() -> &'static [(&'static str, &'static str)] {
//!         &[("fr", r#"{"late": "Demande {n} en retard"}"#), ("en", r#"{"late": "Request {n} late"}"#)]
//!     }
//!     fn handle(_: &Context, _: &Request) -> Result<Response, Error> { Ok(Response::not_found()) }
//! }
//! let item = attention::Item::new::<Claims>("/claim/7", "problem", &[&message("late", &[("n", "7")])]);
//! assert_eq!((item.fr.as_str(), item.en.as_str()), ("Demande 7 en retard", "Request 7 late"));
//! ```

use serde::Serialize;

use crate::{Area, Error, facts, i18n::in_language};

/// The fact the homepage reads.
pub const FACT: &str = "attention";

/// One line of the list, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Where it leads, inside the area (`""`: the area's first page).
    pub href: String,
    /// `problem`, `progress`, `done`… (the badge's colour).
    pub tone: String,
    /// French text.
    pub fr: String,
    /// English text.
    pub en: String,
}

impl Item {
    /// An item whose text is `parts` (messages of area `A`'s catalogue, see
    /// [`crate::i18n::message`], or plain text) rendered in each language
    /// and joined by spaces.
    pub fn new<A: Area>(href: impl Into<String>, tone: &str, parts: &[&str]) -> Self {
        let (fr, en): (Vec<String>, Vec<String>) = parts.iter().map(|p| both::<A>(p)).unzip();
        Item {
            href: href.into(),
            tone: tone.to_string(),
            fr: fr.join(" "),
            en: en.join(" "),
        }
    }
}

/// `text` (a message, or plain text) as a French and an English reader see
/// it, with area `A`'s catalogues.
pub fn both<A: Area>(text: &str) -> (String, String) {
    let catalogue = |lang: &str| {
        A::messages()
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, json)| *json)
    };
    (
        in_language(text, "fr", catalogue("fr")),
        in_language(text, "en", catalogue("en")),
    )
}

/// Publishes the list (the fact is cleared when `items` is empty, so the
/// homepage shows nothing for this tab).
pub fn publish(items: &[Item]) -> Result<(), Error> {
    if items.is_empty() {
        facts::clear(FACT)?;
        return Ok(());
    }
    facts::set_json(FACT, &serde_json::json!({ "items": items }))
}

/// Publishes one item, "`count` waiting" (message `key` of area `A`'s
/// catalogue with `{count}`), leading to the area's first page; clears the
/// list when nothing waits. For a receiving side's inbox.
pub fn waiting<A: Area>(count: usize, key: &str) -> Result<(), Error> {
    if count == 0 {
        return publish(&[]);
    }
    let text = crate::i18n::message(key, &[("count", &count.to_string())]);
    publish(&[Item::new::<A>("", "progress", &[&text])])
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::testing::TestHost;
    use crate::{Context, Request, Response, i18n::message};

    struct Claims;
    impl Area for Claims {
        fn templates() -> &'static [(&'static str, &'static str)] {
            &[]
        }
        fn messages() -> &'static [(&'static str, &'static str)] {
            &[
                (
                    "fr",
                    r#"{"late": "Demande {n} en retard", "paid": "payée", "wait": "{count} à traiter"}"#,
                ),
                (
                    "en",
                    r#"{"late": "Request {n} late", "paid": "paid", "wait": "{count} to process"}"#,
                ),
            ]
        }
        fn handle(_: &Context, req: &Request) -> Result<Response, Error> {
            if let Some(n) = req.query_value("waiting") {
                waiting::<Claims>(n.parse().unwrap(), "wait")?;
                return Ok(Response::redirect("/"));
            }
            let items = if req.is_post() {
                vec![Item::new::<Claims>(
                    "/claim/7",
                    "done",
                    &[&message("late", &[("n", "7")]), &message("paid", &[])],
                )]
            } else {
                Vec::new()
            };
            publish(&items)?;
            Ok(Response::redirect("/"))
        }
    }

    #[test]
    fn items_are_published_in_both_languages_and_cleared_when_none() {
        let host = TestHost::new().grant(&["facts"]);
        host.handle::<Claims>(&Request::post("/", [("go", "1")]));
        let fact: serde_json::Value =
            serde_json::from_str(&host.fact_value("test-area", FACT).expect("published")).unwrap();
        assert_eq!(fact["items"][0]["fr"], "Demande 7 en retard payée");
        assert_eq!(fact["items"][0]["en"], "Request 7 late paid");
        assert_eq!(fact["items"][0]["href"], "/claim/7");
        host.handle::<Claims>(&Request::get("/"));
        assert_eq!(host.fact_value("test-area", FACT), None);
    }

    #[test]
    fn a_count_waiting_is_one_item_or_none() {
        let host = TestHost::new().grant(&["facts"]);
        host.handle::<Claims>(&Request::get("/?waiting=3"));
        let fact: serde_json::Value =
            serde_json::from_str(&host.fact_value("test-area", FACT).expect("published")).unwrap();
        assert_eq!(fact["items"][0]["fr"], "3 à traiter");
        assert_eq!(fact["items"][0]["en"], "3 to process");
        host.handle::<Claims>(&Request::get("/?waiting=0"));
        assert_eq!(host.fact_value("test-area", FACT), None);
    }
}
