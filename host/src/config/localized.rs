//! Texts of `areas.yaml` that people read (`title`, `description`,
//! `when-explained`), in one language for everyone or one per language:
//! `title: Commitments` or `title: { fr: Engagements, en: Commitments }`.

use std::collections::BTreeMap;

use crate::i18n::Lang;

/// A text per language; English is always there (the plain-string form is
/// English), and stands in for a language not written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Localized {
    /// Language → text; `en` is present unless the text is empty.
    texts: BTreeMap<String, String>,
}

impl Localized {
    /// The languages a text may be written in.
    pub const LANGUAGES: [&'static str; 2] = ["en", "fr"];

    /// From language → text; `None` without an English text.
    pub fn new(texts: BTreeMap<String, String>) -> Option<Localized> {
        texts.contains_key("en").then_some(Localized { texts })
    }

    /// One text for every language.
    pub fn plain(text: impl Into<String>) -> Localized {
        Localized {
            texts: BTreeMap::from([("en".to_owned(), text.into())]),
        }
    }

    /// The text in `language` (`fr`, `en`), or the English one.
    pub fn text(&self, language: &str) -> &str {
        self.texts
            .get(language)
            .or_else(|| self.texts.get("en"))
            .map_or("", String::as_str)
    }

    /// The text in `lang`, or the English one.
    pub fn in_lang(&self, lang: Lang) -> &str {
        self.text(lang.as_str())
    }

    /// The text in the language of the request being served.
    pub fn current(&self) -> &str {
        self.in_lang(crate::i18n::current())
    }

    /// The English text: logs, `/ops`, operator messages.
    pub fn en(&self) -> &str {
        self.text("en")
    }

    /// Whether no text was written.
    pub fn is_empty(&self) -> bool {
        self.texts.values().all(|t| t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_not_written_reads_the_english_text() {
        let both = Localized::new(BTreeMap::from([
            ("en".to_owned(), "Commitments".to_owned()),
            ("fr".to_owned(), "Engagements".to_owned()),
        ]))
        .unwrap();
        assert_eq!(both.in_lang(Lang::Fr), "Engagements");
        assert_eq!(both.in_lang(Lang::En), "Commitments");
        let plain = Localized::plain("Hello");
        assert_eq!(plain.in_lang(Lang::Fr), "Hello");
        assert!(Localized::new(BTreeMap::from([("fr".to_owned(), "x".to_owned())])).is_none());
    }
}
