//! The texts of every message Portico sends. Plain text: links are visible,
//! nothing is hidden behind markup, and no mail client blocks anything.
//!
//! Each says why it was sent and what to do if the person did not ask for
//! it, so that a message triggered by someone else is harmless and useful.
//! The words are the host's `mail.*` messages, in the recipient's language.

use crate::i18n::{Lang, host_text};

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// A short name for logs (`verify-email`, `reset-password`…); the
    /// recipient and the text are never logged.
    pub kind: &'static str,
    /// The recipient's address.
    pub to: String,
    /// The subject line (lettre encodes it when it is not ASCII).
    pub subject: String,
    /// The text.
    pub text: String,
}

/// How a password was changed, as the warning says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangedBy {
    /// With a link mailed to the address.
    ResetLink,
    /// From Sign-in and security, signed in.
    SecurityPage,
}

/// A letter in `lang` from the host's `mail.*` messages: the greeting, the
/// body `key` with `args`, the signature.
fn letter(
    lang: Lang,
    kind: &'static str,
    to: &str,
    first_name: &str,
    key: &str,
    args: &[(&str, &str)],
) -> Letter {
    let hello = if first_name.is_empty() {
        host_text(lang, "mail.hello", &[])
    } else {
        host_text(lang, "mail.hello-name", &[("name", first_name)])
    };
    Letter {
        kind,
        to: to.into(),
        subject: host_text(lang, &format!("mail.{key}-subject"), &[]),
        text: format!(
            "{hello}\n\n{}\n\n-- \n{}\n",
            host_text(lang, &format!("mail.{key}-text"), args),
            host_text(lang, "mail.signature", &[])
        ),
    }
}

/// A new account's confirmation link.
pub fn verify_email(lang: Lang, to: &str, first_name: &str, link: &str, hours: u64) -> Letter {
    let hours = hours.to_string();
    letter(
        lang,
        "verify-email",
        to,
        first_name,
        "verify",
        &[("link", link), ("hours", &hours)],
    )
}

/// Someone signed up with an address that already has an account.
pub fn already_registered(
    lang: Lang,
    to: &str,
    first_name: &str,
    login: &str,
    forgot: &str,
) -> Letter {
    letter(
        lang,
        "already-registered",
        to,
        first_name,
        "already",
        &[("login", login), ("forgot", forgot)],
    )
}

/// A password reset link.
pub fn reset_password(lang: Lang, to: &str, first_name: &str, link: &str, minutes: u64) -> Letter {
    let minutes = minutes.to_string();
    letter(
        lang,
        "reset-password",
        to,
        first_name,
        "reset",
        &[("link", link), ("minutes", &minutes)],
    )
}

/// The password was changed (by a reset link or from Sign-in and security).
pub fn password_changed(
    lang: Lang,
    to: &str,
    first_name: &str,
    how: ChangedBy,
    forgot: &str,
) -> Letter {
    let how = host_text(
        lang,
        match how {
            ChangedBy::ResetLink => "mail.changed-by-link",
            ChangedBy::SecurityPage => "mail.changed-by-page",
        },
        &[],
    );
    letter(
        lang,
        "password-changed",
        to,
        first_name,
        "password-changed",
        &[("how", &how), ("forgot", forgot)],
    )
}

/// The link confirming a new login email, sent to the new address.
pub fn confirm_new_email(lang: Lang, to: &str, first_name: &str, link: &str, hours: u64) -> Letter {
    let hours = hours.to_string();
    letter(
        lang,
        "confirm-new-email",
        to,
        first_name,
        "confirm-new",
        &[("link", link), ("hours", &hours)],
    )
}

/// A change of login email was asked: the warning to the current address.
pub fn email_change_requested(
    lang: Lang,
    to: &str,
    first_name: &str,
    new_email: &str,
    forgot: &str,
) -> Letter {
    letter(
        lang,
        "email-change-requested",
        to,
        first_name,
        "change-requested",
        &[("new", new_email), ("forgot", forgot)],
    )
}

/// The login email changed: the notice to the old address.
pub fn email_changed(lang: Lang, to: &str, first_name: &str, new_email: &str) -> Letter {
    letter(
        lang,
        "email-changed",
        to,
        first_name,
        "email-changed",
        &[("new", new_email)],
    )
}

/// A signed-in person asked to move their login to an address that
/// another account already uses: sent to that address, nothing changes.
pub fn email_in_use(lang: Lang, to: &str) -> Letter {
    letter(lang, "email-in-use", to, "", "in-use", &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_letter_names_its_link_and_what_to_do_otherwise() {
        let link = "https://portal.example.fr/password/reset?t=abc.def";
        let en = Lang::En;
        let letters = [
            verify_email(en, "a@b.fr", "Ada", link, 24),
            reset_password(en, "a@b.fr", "Ada", link, 30),
            confirm_new_email(en, "a@b.fr", "Ada", link, 24),
        ];
        for l in &letters {
            assert!(l.text.contains(link), "{}", l.kind);
            assert!(l.text.contains("Hello Ada,"), "{}", l.kind);
            assert!(l.text.contains("ignore this message"), "{}", l.kind);
        }
        assert!(letters[1].text.contains("30 minutes"));
        let warn = email_change_requested(en, "old@b.fr", "", "new@b.fr", link);
        assert!(warn.text.starts_with("Hello,\n"));
        assert!(warn.text.contains("new@b.fr") && warn.text.contains(link));
    }

    #[test]
    fn a_letter_is_written_in_the_recipients_language() {
        let link = "https://portal.example.fr/email/confirm?t=abc.def";
        let fr = verify_email(Lang::Fr, "a@b.fr", "Ada", link, 24);
        assert_eq!(
            fr.subject,
            "Confirmez votre adresse électronique pour Portico"
        );
        assert!(fr.text.starts_with("Bonjour Ada,\n"), "{}", fr.text);
        assert!(
            fr.text.contains(link) && fr.text.contains("24 heures"),
            "{}",
            fr.text
        );
        let en = verify_email(Lang::En, "a@b.fr", "Ada", link, 24);
        assert_eq!(en.subject, "Confirm your email address for Portico");
        let fr = password_changed(Lang::Fr, "a@b.fr", "", ChangedBy::ResetLink, link);
        assert!(
            fr.text.contains("avec un lien envoyé à cette adresse"),
            "{}",
            fr.text
        );
    }
}
